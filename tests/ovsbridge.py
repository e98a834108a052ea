"""A bare OVS for tests: ovsdb-server and ovs-vswitchd with one dummy bridge.

No OVN, no ports beyond the bridge's own: just a switch that takes flows and
dumps them, for comparing mvtep's decoding with ovs-ofctl's.  The daemons
run from the release's unpacked root (``mvtep.sandbox``) in a private run
directory, and :meth:`OvsBridge.stop` signals exactly the pids it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mvtep.sandbox import daemons
from mvtep.sandbox.node import tools_for
from mvtep.sandbox.toolroot import ToolRoot

__all__ = ["OvsBridge", "start", "PROTOCOLS"]

PROTOCOLS = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15"
_OF = {1: "OpenFlow10", 4: "OpenFlow13", 5: "OpenFlow14", 6: "OpenFlow15"}


@dataclass
class OvsBridge:
    rundir: Path
    tools: ToolRoot
    env: dict[str, str]
    version: str  # "3.5.0"
    pids: dict[str, int]
    bridge: str = "br0"

    @property
    def remote(self) -> str:
        return f"unix:{self.rundir}/{self.bridge}.mgmt"

    def ofctl(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ovs-ofctl against this switch."""
        argv = self.tools.argv("ovs-ofctl", *args)
        done = subprocess.run(argv, env=self.env, input=stdin, capture_output=True, text=True, timeout=120)
        if check and done.returncode:
            raise AssertionError(f"ovs-ofctl {' '.join(args[:3])} failed: {done.stderr.strip()}")
        return done

    def add_flows(self, flows: Iterable[str], version: int | None = None) -> None:
        """Add flows (ovs-ofctl add-flow syntax), all at once from stdin."""
        opts = ["-O", _OF[version]] if version else []
        self.ofctl(*opts, "add-flows", self.bridge, "-", stdin="".join(f + "\n" for f in flows))

    def accepts(self, flow: str) -> str | None:
        """Add one flow; None if the switch took it, else ovs-ofctl's complaint."""
        done = self.ofctl("add-flow", self.bridge, flow, check=False)
        return None if done.returncode == 0 else done.stderr.strip()

    def dump(self, version: int, *spec: str) -> list[str]:
        """ovs-ofctl's own dump, one line per flow (its leading space removed)."""
        out = self.ofctl("--no-names", "-O", _OF[version], "dump-flows", self.bridge, *spec).stdout
        return [line[1:] for line in out.splitlines() if line.startswith(" ")]

    def clear(self) -> None:
        self.ofctl("del-flows", self.bridge)

    def stop(self) -> None:
        """TERM (then KILL) exactly the daemons this bridge started."""
        for name in ("ovs-vswitchd", "ovsdb-server"):
            pid = self.pids.pop(name, None)
            if pid is None or not _is(pid, self.rundir, name):
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _is(pid, self.rundir, name) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _is(pid, self.rundir, name):
                os.kill(pid, signal.SIGKILL)


def _pidfile(rundir: Path, name: str) -> str:
    return f"--pidfile={rundir}/{name}.pid"


def _is(pid: int, rundir: Path, name: str) -> bool:
    """True while ``pid`` is the daemon started with our pidfile option."""
    try:
        return _pidfile(rundir, name).encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


def start(rundir: Path, release: str, env: Mapping[str, str], bridge: str = "br0") -> OvsBridge:
    """ovsdb-server and ovs-vswitchd of ``release`` in ``rundir``, with one
    dummy bridge speaking OpenFlow 1.0 to 1.5 and no flows."""
    tools, _ = tools_for(release, env)
    rundir.mkdir(parents=True, exist_ok=True)
    run_env = daemons.environment(env, rundir, tools)
    pids: dict[str, int] = {}
    box = OvsBridge(rundir, tools, run_env, "", pids, bridge)
    try:
        tools.run("ovsdb-tool", ["create", f"{rundir}/conf.db", str(tools.data("openvswitch", "vswitch.ovsschema"))],
                  run_env)
        for name, args in (
            ("ovsdb-server", [f"{rundir}/conf.db", f"--remote=punix:{rundir}/db.sock",
                              f"--unixctl={rundir}/ovsdb-server.ctl"]),
            ("ovs-vswitchd", ["--enable-dummy=override", "--disable-system", "--disable-system-route",
                              f"--unixctl={rundir}/ovs-vswitchd.ctl", f"unix:{rundir}/db.sock"]),
        ):
            tools.run(name, [*args, "--detach", "--no-chdir", _pidfile(rundir, name),
                             f"--log-file={rundir}/{name}.log"], run_env)
            pids[name] = int((rundir / f"{name}.pid").read_text().strip())
            if name == "ovsdb-server":
                tools.run("ovs-vsctl", ["--no-wait", "init"], run_env)
        tools.run("ovs-vsctl", ["add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=dummy",
                                "fail-mode=secure", f"protocols={PROTOCOLS}"], run_env)
        box.version = tools.run("ovs-vswitchd", ["--version"], run_env).split()[3]
        box.ofctl("del-flows", bridge)
    except BaseException:
        box.stop()
        raise
    return box
