"""What a new user sees in the first hour: global options wherever they are
written, exit codes that claim nothing the command does not know, output
into a file as wide as it is, and hints where something is to be done."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mvtep.sandbox.node import Sandbox
from tests.conftest import run_cli
from tests.test_cli import assert_one_line_error, mvtep


def test_global_options_after_the_command(tmp_path: Path) -> None:
    env = {"OVS_RUNDIR": str(tmp_path)}
    p = mvtep("show", "--debug", env=env)
    assert p.returncode != 0 and "Traceback" in p.stderr and "Unavailable" in p.stderr
    assert_one_line_error(mvtep("show", "--color", "never", env=env), "cannot connect")
    assert "\x1b[" in mvtep("show", "--color=always", env=env).stderr
    assert "\x1b[" not in mvtep("--color", "always", "show", "--color", "never", env=env).stderr  # the last wins
    p = mvtep("sandbox", "status", "--dir", str(tmp_path / "none"), "--color", "never")  # a nested subcommand
    assert p.returncode == 1 and "not running" in p.stdout


def test_a_usage_error_is_one_line_even_with_debug() -> None:
    assert_one_line_error(mvtep("show", "--debug", "--no-such-option"), "unrecognized arguments: --no-such-option")
    assert_one_line_error(mvtep("--debug", "show", "--color", "sometimes"), "invalid choice: 'sometimes'")


def test_watch_once_on_an_unreachable_node_says_so(tmp_path: Path) -> None:
    p = mvtep("watch", "--once", env={"OVS_RUNDIR": str(tmp_path), "NO_COLOR": "1"})
    assert_one_line_error(p, "cannot connect to OVSDB", "db.sock")
    assert p.stdout == ""  # no frame claiming "hw-offload off", "0 VFs", "no findings"


def test_paths_without_ovsdb_has_a_hint(tmp_path: Path) -> None:
    p = mvtep("paths", env={"OVS_RUNDIR": str(tmp_path)})
    assert_one_line_error(p, "cannot connect to OVSDB")
    assert p.stderr.splitlines()[1].startswith("hint: ") and "OVS_RUNDIR" in p.stderr


@pytest.mark.skipif(shutil.which("ovn-controller") is not None, reason="this machine has OVN installed")
def test_sandbox_on_the_host_without_ovn_says_to_install_it(tmp_path: Path) -> None:
    p = mvtep("sandbox", "up", "--ovn", "host", "--dir", str(tmp_path / "run"))
    assert_one_line_error(p, "ovn-controller is not installed on this machine")
    assert "install OVS and OVN" in p.stderr and "--ovn 25.03" in p.stderr


@pytest.mark.sandbox
def test_paths_with_a_vf_or_pf_that_is_not_there(sandbox: Sandbox) -> None:
    env = {"OVS_RUNDIR": str(sandbox.rundir), "MVTEP_NETNS": sandbox.netns or ""}
    assert_one_line_error(mvtep("paths", "--vf", "nosuch", env=env), "no VF 'nosuch'")
    assert_one_line_error(mvtep("paths", "--pf", "enp9s0f0", env=env), "no VF of PF 'enp9s0f0'")
    assert_one_line_error(mvtep("watch", "--once", "--vf", "nosuch", env=env), "no VF 'nosuch'")
    p = mvtep("paths", "--vf", sandbox.plan.vfs[0].representor, "--json", env=env)
    assert p.returncode == 0 and [r["interface"] for r in json.loads(p.stdout)["paths"]] == [
        sandbox.plan.vfs[0].representor]


@pytest.mark.sandbox
def test_output_into_a_file_is_not_cut_at_80_columns(sandbox: Sandbox) -> None:
    env = {"OVS_RUNDIR": str(sandbox.rundir)}
    p = mvtep("verify", env=env)
    lines = p.stdout.splitlines()
    chassis = len(sandbox.plan.remotes)
    for vf in sandbox.plan.vfs:  # one line per remote chassis, nothing wrapped
        at = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith(vf.representor + " "))
        assert all(ln.lstrip().startswith("remote-") or vf.representor in ln for ln in lines[at:at + chassis])
    hint = next(ln for ln in lines if "hint:" in ln)
    assert hint.rstrip().endswith("as ovnkube-node does")  # the whole hint, on its line
    assert max(map(len, lines)) > 80
    narrow = mvtep("verify", env={**env, "COLUMNS": "60"})
    assert max(map(len, narrow.stdout.splitlines())) <= 60


@pytest.mark.sandbox
def test_verify_rows_on_ovn_2303_show_the_node_error(sandbox_2303: Sandbox) -> None:
    res = run_cli(["verify"], env={**os.environ, "OVS_RUNDIR": str(sandbox_2303.rundir)}, width=200)
    assert res.status == 1
    rows = [ln for ln in res.out.splitlines() if any(ln.lstrip().startswith(vf.representor + " ")
                                                     for vf in sandbox_2303.plan.vfs)]
    assert len(rows) == len(sandbox_2303.plan.vfs)
    assert all("node: multi-vtep-unsupported" in r and " ok" not in r for r in rows), rows


def test_preflight_prints_no_empty_adapters_table(tmp_path: Path) -> None:
    (tmp_path / "sys").mkdir()
    res = run_cli(["preflight", "--sysfs-root", str(tmp_path), "--only", "adapters", "--db",
                   f"unix:{tmp_path}/no.sock"])
    assert "no-adapters" in res.out and "Adapters" not in res.out and "PCI" not in res.out


@pytest.mark.sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's underlay namespace needs root")
def test_preflight_reads_the_sandbox_namespace_from_the_environment(sandbox: Sandbox) -> None:
    """After ``eval "$(mvtep sandbox up)"``: MVTEP_NETNS is where the VTEP addresses are."""
    assert sandbox.netns
    env = {"OVS_RUNDIR": str(sandbox.rundir), "MVTEP_NETNS": sandbox.netns}
    p = mvtep("preflight", "--json", "--only", "vteps", env=env)
    missing = [f for f in json.loads(p.stdout)["findings"] if f["code"] == "vtep-ip-missing"]
    assert missing == [] and "Traceback" not in p.stderr
    # the same without the variable reads this namespace, which has none of them
    outside = {k: v for k, v in os.environ.items() if k != "MVTEP_NETNS"}
    res = run_cli(["preflight", "--json", "--only", "vteps"], env={**outside, "OVS_RUNDIR": str(sandbox.rundir)})
    doc = json.loads(res.out)
    assert sorted(f["subject"] for f in doc["findings"] if f["code"] == "vtep-ip-missing") == [
        v.ip for v in sandbox.plan.vteps]
