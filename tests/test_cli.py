"""The CLI boundary: one-line errors and documented exit codes, run as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mvtep.sandbox.node import Sandbox


def mvtep(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mvtep", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def assert_one_line_error(p: subprocess.CompletedProcess[str], *words: str) -> None:
    assert p.returncode == 2, p
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert lines[0].startswith("mvtep: error: ") and all(w in lines[0] for w in words), p.stderr
    assert len(lines) <= 2  # the error and its hint


def test_unknown_release() -> None:
    assert_one_line_error(mvtep("sandbox", "up", "--ovn", "24.99"), "unknown OVN release", "24.99")


def test_unknown_command_and_option() -> None:
    assert_one_line_error(mvtep("frobnicate"), "invalid choice")
    assert_one_line_error(mvtep("show", "--no-such-option"), "unrecognized arguments")


def test_missing_socket(tmp_path: Path) -> None:
    assert_one_line_error(mvtep("show", env={"OVS_RUNDIR": str(tmp_path)}), "cannot connect", "db.sock")


def test_socket_that_never_answers(tmp_path: Path) -> None:
    path = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        s.listen(1)
        assert_one_line_error(mvtep("--timeout", "1", "--db", f"unix:{path}", "show"), "did not answer")


def test_socket_that_is_not_ovsdb(sandbox: Sandbox) -> None:
    # br-int's OpenFlow socket answers, but in OpenFlow.
    assert_one_line_error(mvtep("--db", f"unix:{sandbox.rundir}/br-int.mgmt", "show"), "did not speak OVSDB")
    assert_one_line_error(mvtep("--db", f"unix:{sandbox.rundir}/ovnsb_db.sock", "show"), "no Open_vSwitch")


def test_run_directory_in_use(sandbox: Sandbox) -> None:
    assert_one_line_error(mvtep("sandbox", "up", "--dir", str(sandbox.rundir)), "in use")


def test_no_network_to_the_package_registry(tmp_path: Path) -> None:
    # An empty cache and a mirror nobody listens on (loopback port 9).
    env = {"XDG_CACHE_HOME": str(tmp_path), "MVTEP_DEBIAN_MIRROR": "http://127.0.0.1:9/debian"}
    p = mvtep("sandbox", "fetch", "--ovn", "26.03", env=env)
    progress, _, error = p.stderr.partition("mvtep: error: ")  # the fetch said what it was doing first
    assert progress.splitlines() == ["OVN 26.03: reading the package index of Debian sid from http://127.0.0.1:9/debian"]
    assert_one_line_error(subprocess.CompletedProcess(p.args, p.returncode, p.stdout, "mvtep: error: " + error),
                          "could not fetch OVN 26.03")


@pytest.mark.sandbox
def test_a_cached_release_is_not_downloaded_again(sandbox: Sandbox) -> None:
    # The same unreachable mirror, but the real cache: nothing is fetched.
    p = mvtep("sandbox", "fetch", "--ovn", sandbox.release, env={"MVTEP_DEBIAN_MIRROR": "http://127.0.0.1:9/debian"})
    assert p.returncode == 0, p.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    p = mvtep("--debug", "show", env={"OVS_RUNDIR": str(tmp_path)})
    assert p.returncode != 0 and "Traceback" in p.stderr and "Unavailable" in p.stderr
