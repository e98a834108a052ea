"""Inspection is read-only: every command that only looks, run against a real
node (and a live ``watch`` on a terminal), leaves its OVSDB and southbound
DB, its flows, groups and meters, and its routing exactly as they were."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mvtep.sandbox.node import Sandbox
from tests.conftest import node_env
from tests.test_apply import SPEC, node  # noqa: F401 (fixture)

pytestmark = [pytest.mark.sandbox, pytest.mark.skipif(shutil.which("ip") is None, reason="needs ip(8)")]

# What ovs-vswitchd itself refreshes every few seconds, whoever looks.
VOLATILE = {"statistics", "status", "link_resets", "link_state", "admin_state", "link_speed", "duplex"}


def _db(box: Sandbox, sock: str) -> object:
    text = box.tools.run("ovsdb-client", ["-f", "json", "dump", f"unix:{box.rundir}/{sock}"], box.env)
    out = []
    for table in map(json.loads, text.splitlines()):  # one document per table
        keep = [i for i, c in enumerate(table["headings"]) if c not in VOLATILE]
        out.append((table["caption"], sorted(json.dumps([row[i] for i in keep]) for row in table["data"])))
    return sorted(out)


def state(box: Sandbox) -> dict[str, object]:
    """Everything an inspection could change."""
    found: dict[str, object] = {"ovsdb": _db(box, "db.sock"), "southbound": _db(box, "ovnsb_db.sock")}
    for what in ("dump-flows", "dump-groups", "dump-meters"):
        found[what] = box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "--no-stats", what, "br-int"], box.env)
    ns = ["-netns", box.netns] if box.netns else []
    for what in (["rule"], ["-6", "rule"], ["route", "show", "table", "all"], ["-6", "route", "show", "table", "all"],
                 ["addr"]):
        found[" ".join(what)] = subprocess.run(["ip", *ns, *what], capture_output=True, text=True, check=True).stdout
    return found


def test_inspection_changes_nothing(node: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    env = node_env(node, NO_COLOR="1")
    spec = tmp_path / "node.toml"
    spec.write_text(SPEC)
    time.sleep(2)  # let ovn-controller settle after start-up
    before = state(node)
    commands = [["show"], ["show", "--json"], ["verify"], ["verify", "--json", "--save", str(tmp_path / "v.tgz")],
                ["paths"], ["paths", "--json"], ["preflight"], ["preflight", "--json"], ["flows"],
                ["flows", "--json", "--table", "0"], ["collect", "-o", str(tmp_path / "b.tgz")], ["watch", "--once"],
                ["plan", str(spec)], ["plan", str(spec), "--json"]]
    for argv in commands:
        p = subprocess.run([sys.executable, "-m", "mvtep", *argv], env=env, capture_output=True, text=True,
                           timeout=120, check=False)
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr, (argv, p.stderr)
    master, slave = pty.openpty()
    watch = subprocess.Popen([sys.executable, "-m", "mvtep", "watch", "--interval", "0.2"], stdin=slave,
                             stdout=slave, stderr=slave, env={**env, "TERM": "xterm"}, start_new_session=True)
    try:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:  # about two dozen refreshes, reading all the while
            if select.select([master], [], [], 0.2)[0]:
                os.read(master, 1 << 16)
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=30) == 130
    finally:
        if watch.poll() is None:
            watch.kill()
        os.close(master)
        os.close(slave)
    after = state(node)
    assert {k: v for k, v in after.items() if v != before[k]} == {}
