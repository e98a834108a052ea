"""Start and stop the sandbox's OVS/OVN daemons in a private run directory.

Every daemon detaches with its pidfile and log in the run directory, and every
``OVS_*``/``OVN_*`` directory variable points there, so nothing is read from or
written to the host's ``/etc`` or ``/var/run``.  Stopping reads those pidfiles
and signals a pid only if that process's command line names the run
directory: the sandbox never stops anything it did not start.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from mvcore.errors import RunDirInUse, SandboxError, UsageError
from mvtep.sandbox.toolroot import ToolRoot

__all__ = ["DAEMONS", "environment", "check_rundir", "start_all", "start_controller", "stop", "stop_all",
           "running"]

# Start order; stop runs in reverse.  The three ovsdb-servers are named after
# their socket so that ovs-vsctl, ovn-nbctl and ovn-sbctl find them by default.
DAEMONS = ("ovsdb-server", "ovnnb_db", "ovnsb_db", "ovs-vswitchd", "ovn-northd", "ovn-controller")
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path, less the terminating NUL


def environment(base: Mapping[str, str], rundir: Path, tools: ToolRoot) -> dict[str, str]:
    """The environment every sandbox program runs with."""
    env = dict(base)
    for prefix, pkg in (("OVS", "openvswitch"), ("OVN", "ovn")):
        for kind in ("RUNDIR", "LOGDIR", "DBDIR", "SYSCONFDIR"):
            env[f"{prefix}_{kind}"] = str(rundir)
        env[f"{prefix}_PKGDATADIR"] = str(tools.data(pkg))
    env["OVN_NB_DB"] = f"unix:{rundir}/ovnnb_db.sock"
    env["OVN_SB_DB"] = f"unix:{rundir}/ovnsb_db.sock"
    return env


def _pid(rundir: Path, daemon: str) -> int | None:
    try:
        return int((rundir / f"{daemon}.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _ours(pid: int, rundir: Path, daemon: str) -> bool:
    """True if ``pid`` is alive and is ``daemon`` started for ``rundir``: its
    command line carries the exact pidfile option the sandbox gave it."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return _detach(rundir, daemon)[2].encode() in cmdline


def running(rundir: Path) -> dict[str, int]:
    """The sandbox daemons alive in ``rundir``: name -> pid."""
    found = {}
    for daemon in DAEMONS:
        pid = _pid(rundir, daemon)
        if pid is not None and _ours(pid, rundir, daemon):
            found[daemon] = pid
    return found


def check_rundir(rundir: Path) -> Path:
    """Validate and create a run directory for a new sandbox."""
    rundir = rundir.absolute()
    if len(str(rundir / "ovs-vswitchd.999999999.ctl")) > _SUN_PATH_MAX:
        raise UsageError(f"run directory {rundir} is too long for unix sockets", hint="choose a shorter --dir")
    alive = running(rundir)
    if alive:
        pids = ", ".join(f"{d} {p}" for d, p in alive.items())
        raise RunDirInUse(
            f"run directory {rundir} is in use ({pids})",
            hint=f"stop it with: mvtep sandbox down --dir {rundir}",
        )
    rundir.mkdir(parents=True, exist_ok=True)
    return rundir


def _detach(rundir: Path, daemon: str) -> list[str]:
    return ["--detach", "--no-chdir", f"--pidfile={rundir}/{daemon}.pid", f"--log-file={rundir}/{daemon}.log"]


def start_all(rundir: Path, tools: ToolRoot, env: Mapping[str, str], chassis: str) -> None:
    """Create the databases and start every daemon; OVS is configured for OVN
    by the caller between ``ovs-vswitchd`` and ``ovn-controller``."""
    for db, schema in (("conf", tools.data("openvswitch", "vswitch.ovsschema")),
                       ("ovnnb", tools.data("ovn", "ovn-nb.ovsschema")),
                       ("ovnsb", tools.data("ovn", "ovn-sb.ovsschema"))):
        (rundir / f"{db}.db").unlink(missing_ok=True)
        tools.run("ovsdb-tool", ["create", f"{rundir}/{db}.db", str(schema)], env)
    for daemon, db in (("ovsdb-server", "conf"), ("ovnnb_db", "ovnnb"), ("ovnsb_db", "ovnsb")):
        sock = "db" if db == "conf" else daemon
        tools.run("ovsdb-server", [
            f"{rundir}/{db}.db", f"--remote=punix:{rundir}/{sock}.sock",
            f"--unixctl={rundir}/{daemon}.ctl", *_detach(rundir, daemon)], env)
    tools.run("ovs-vsctl", ["--no-wait", "init"], env)
    # --enable-dummy=system: the VF representors ("system" ports) are dummy
    # netdevs; tunnel ports stay real vports, so traces show the encapsulation.
    tools.run("ovs-vswitchd", [
        "--enable-dummy=system", "--disable-system", "--disable-system-route",
        *_detach(rundir, "ovs-vswitchd"), f"unix:{rundir}/db.sock"], env)
    tools.run("ovn-northd", [
        f"--ovnnb-db=unix:{rundir}/ovnnb_db.sock", f"--ovnsb-db=unix:{rundir}/ovnsb_db.sock",
        *_detach(rundir, "ovn-northd")], env)


def start_controller(rundir: Path, tools: ToolRoot, env: Mapping[str, str]) -> None:
    """Start ovn-controller (its default unixctl path is in OVN_RUNDIR; 23.03
    has no ``--unixctl`` option)."""
    tools.run("ovn-controller", [f"unix:{rundir}/db.sock", *_detach(rundir, "ovn-controller")], env)


def stop(rundir: Path, daemon: str, grace: float = 5.0) -> bool:
    """Stop one daemon of ``rundir`` (TERM, then KILL after ``grace``);
    False if it was not running."""
    pid = _pid(rundir, daemon)
    if pid is None or not _ours(pid, rundir, daemon):
        return False
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _ours(pid, rundir, daemon) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _ours(pid, rundir, daemon):
        _signal(pid, signal.SIGKILL)
    return True


def stop_all(rundir: Path, grace: float = 5.0) -> list[str]:
    """Stop the daemons started for ``rundir``; return the names stopped."""
    return [d for d in reversed(DAEMONS) if stop(rundir, d, grace)]


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as e:
        raise SandboxError(f"not allowed to stop pid {pid}") from e
