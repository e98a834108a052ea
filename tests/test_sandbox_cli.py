"""``mvtep sandbox`` as the README uses it: after ``eval "$(mvtep sandbox up
--dir DIR)"`` the other actions find that sandbox through ``OVS_RUNDIR``;
a program run by ``exec`` keeps its own arguments and its fate; ``clean``
removes the release cache, never from under a running sandbox."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox
from mvtep.sandbox.topology import Size
from tests.conftest import fresh_node
from tests.test_cli import assert_one_line_error, mvtep


@pytest.mark.sandbox
def test_exec_and_status_follow_the_exported_rundir(sandbox: Sandbox, tmp_path: Path) -> None:
    env = {"OVS_RUNDIR": str(sandbox.rundir), "TMPDIR": str(tmp_path)}  # the default directory holds nothing
    p = mvtep("sandbox", "exec", "ovs-ofctl", "dump-flows", "br-int", "table=0", env=env)
    assert p.returncode == 0 and "priority=100,in_port=" in p.stdout, p.stderr
    p = mvtep("sandbox", "status", env=env)
    assert p.returncode == 0 and all(d in p.stdout for d in daemons.DAEMONS) and "not running" not in p.stdout
    # --dir still wins
    p = mvtep("sandbox", "status", "--dir", str(tmp_path / "none"), env=env)
    assert p.returncode == 1 and "not running" in p.stdout


@pytest.mark.sandbox
def test_exec_leaves_the_programs_own_options_alone(sandbox: Sandbox) -> None:
    env = {"OVS_RUNDIR": str(sandbox.rundir)}
    # ovs-ofctl has a --color of its own: it must get it, whatever mvtep's is
    p = mvtep("--color", "never", "sandbox", "exec", "ovs-ofctl", "--color=always", "dump-flows", "br-int",
              "table=0", env=env)
    assert p.returncode == 0 and "\x1b[" in p.stdout, p.stderr
    p = mvtep("sandbox", "exec", "ovs-ofctl", "dump-flows", "br-int", "table=0", "--color=never", env=env)
    assert p.returncode == 0 and "\x1b[" not in p.stdout
    # and an ovs-vsctl error with --debug among its arguments is its own error, not a mvtep traceback
    p = mvtep("sandbox", "exec", "ovs-vsctl", "--debug", "show", env=env)
    assert "Traceback" not in p.stderr and "mvtep: error" not in p.stderr


def test_exec_without_a_sandbox_is_one_line_even_with_a_programs_debug(tmp_path: Path) -> None:
    p = mvtep("sandbox", "exec", "--dir", str(tmp_path), "ovs-ofctl", "--debug", "show", "br-int")
    assert_one_line_error(p, "no sandbox in")


@pytest.mark.sandbox
def test_exec_of_a_program_killed_by_a_signal(sandbox: Sandbox) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "mvtep", "sandbox", "exec", "ovsdb-client", "monitor",
                             f"unix:{sandbox.rundir}/db.sock", "Open_vSwitch", "Bridge", "name"],
                            env={**os.environ, "OVS_RUNDIR": str(sandbox.rundir)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        child = _child_of(proc.pid)
        os.kill(child, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2 and "Traceback" not in err
    # (the program may say something of its own first: OVS logs "terminating with signal 15")
    assert err.splitlines()[-1] == "mvtep: error: ovsdb-client was killed by SIGTERM", err


def _child_of(pid: int, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError("mvtep started no program")


@pytest.mark.sandbox
def test_down_follows_the_exported_rundir(tmp_path: Path) -> None:
    with fresh_node(tmp_path, size=Size(vfs=1, remote_chassis=1, remote_ports=1)) as box:
        p = mvtep("sandbox", "down", env={"OVS_RUNDIR": str(box.rundir), "TMPDIR": str(tmp_path)})
        assert p.returncode == 0 and "ovn-controller" in p.stderr
        assert daemons.running(box.rundir) == {}


def _cache(tmp_path: Path) -> Path:
    """A release cache with one unpacked program in it."""
    root = tmp_path / "multivtep" / "ovn-25.03" / "root" / "usr" / "bin"
    root.mkdir(parents=True)
    sleep = shutil.which("sleep")
    assert sleep
    shutil.copy(sleep, root / "sleep")
    (root.parents[2] / "READY").write_text("")
    return tmp_path / "multivtep"


def test_clean_removes_the_release_cache(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    p = mvtep("sandbox", "clean", env={"XDG_CACHE_HOME": str(tmp_path)})
    assert p.returncode == 0 and f"removed {cache} (" in p.stderr and " kB)" in p.stderr
    assert not cache.exists()
    p = mvtep("sandbox", "clean", env={"XDG_CACHE_HOME": str(tmp_path)})
    assert p.returncode == 0 and "no release cache" in p.stderr


def test_clean_refuses_while_a_program_runs_from_the_cache(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    running = subprocess.Popen([str(cache / "ovn-25.03" / "root" / "usr" / "bin" / "sleep"), "60"])
    try:
        p = mvtep("sandbox", "clean", env={"XDG_CACHE_HOME": str(tmp_path)})
        assert_one_line_error(p, "is in use", f"pid {running.pid}")
        assert cache.exists()
    finally:
        running.kill()
        running.wait()


def test_clean_refuses_during_a_fetch(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    with open(cache / "ovn-25.03" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # what ensure_release holds while fetching
        assert_one_line_error(mvtep("sandbox", "clean", env={"XDG_CACHE_HOME": str(tmp_path)}), "being fetched")
    assert cache.exists()
