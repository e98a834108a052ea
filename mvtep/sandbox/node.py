"""Bring a real OVN multi-VTEP node up in a run directory, and down again.

``up`` fetches (or reuses) the release, starts the daemons, lays out the
topology of :mod:`mvtep.sandbox.topology` and the logical network of
:mod:`mvtep.sandbox.services` through the real ctl programs, and returns only
once ovn-controller has programmed br-int: every expected tunnel port exists,
table 0 holds a flow for every VF's ofport, and ovn-controller reports (through
``nb_cfg``) that the flows for the whole northbound configuration are installed.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mvcore.errors import NotFound, SandboxError
from mvtep.sandbox import daemons, underlay
from mvtep.sandbox.build import configure_ovn, configure_ovs, configure_shape, fail_tunnel, local_ports
from mvtep.sandbox.packages import ensure_release
from mvtep.sandbox.ovnroot import ovn_root
from mvtep.sandbox.releases import HOST, MIN_PER_VTEP, lookup, version_tuple
from mvtep.sandbox.services import configure_services
from mvtep.sandbox.toolroot import ToolRoot
from mvtep.sandbox.topology import Plan, Shape, Size, plan

__all__ = ["Sandbox", "up", "down", "tools_for", "attach", "STATE_FILE"]

STATE_FILE = "sandbox.json"  # in the run directory: which release runs there


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A running sandbox node."""

    rundir: Path
    release: str
    ovn_version: str
    tools: ToolRoot
    plan: Plan
    env: dict[str, str]  # the environment its programs run with
    per_vtep: bool
    seconds: float  # time from start of daemons to a programmed br-int
    netns: str | None = None  # the namespace holding the VTEP underlay (root only)

    @property
    def expected_tunnels(self) -> int:
        per_remote = len(self.plan.vteps) if self.per_vtep else 1
        return per_remote * self.plan.remote_encaps


def tools_for(release: str, env: Mapping[str, str], root: Path | None = None) -> tuple[ToolRoot, bool]:
    """The programs for ``release`` (or of the OVN root at ``root``) and
    whether that OVN selects per-port VTEPs."""
    if root is not None:
        tools = ovn_root(root, env)
        return tools, version_tuple(tools.run("ovn-controller", ["--version"], env)) >= MIN_PER_VTEP
    if release == HOST:
        tools = ToolRoot.host()
        version = version_tuple(tools.run("ovn-controller", ["--version"], env))
        if version < (24, 3):
            raise SandboxError(
                f"the host's OVN is {'.'.join(map(str, version)) or 'unknown'}, older than 24.03",
                hint="use --ovn 25.03 or 26.03 to fetch a newer one",
            )
        return tools, version >= MIN_PER_VTEP
    info = lookup(release)
    return ensure_release(info, env), info.per_vtep


def default_timeout(size: Size) -> float:
    """Seconds to wait for br-int to be programmed on a node of ``size``.

    The base node takes under a second.  Extra ACLs cost northd and
    ovn-controller time roughly in proportion: on a 2-core machine about
    0.5 ms each (50,000 in 24 s, see services.py).  The wait allows ten
    times that, for slower or busier machines.
    """
    return 60.0 + 0.005 * size.acls


def up(rundir: Path, release: str, size: Size, env: Mapping[str, str], timeout: float | None = None, *,
       shape: Shape | None = None, root: Path | None = None) -> Sandbox:
    """Start a sandbox node of ``size`` and ``shape`` in ``rundir`` and wait
    until br-int is programmed.  ``root`` runs the OVN of that root
    (:mod:`mvtep.sandbox.ovnroot`) instead of ``release``.

    ``timeout`` defaults to :func:`default_timeout` for ``size``.  On any
    failure the daemons already started are stopped again.
    """
    shape = shape or Shape()
    node_plan = plan(size, shape)
    if timeout is None:
        timeout = default_timeout(size)
    tools, per_vtep = tools_for(release, env, root)
    rundir = daemons.check_rundir(rundir)
    run_env = daemons.environment(env, rundir, tools)
    started = time.monotonic()
    try:
        daemons.start_all(rundir, tools, run_env, node_plan.chassis)
        configure_ovs(tools, run_env, rundir, node_plan)
        daemons.start_controller(rundir, tools, run_env)
        configure_ovn(tools, run_env, node_plan)
        configure_services(tools, run_env, node_plan)
        configure_shape(tools, run_env, node_plan)
        version = tools.run("ovn-controller", ["--version"], run_env).splitlines()[0]
        if root is not None:
            release = version.split()[-1]
        box = Sandbox(rundir, release, version, tools, node_plan, run_env, per_vtep, 0.0)
        _wait_programmed(box, deadline=time.monotonic() + timeout)
        if shape.failed_tunnel:
            fail_tunnel(tools, run_env, node_plan)
            _wait_caught_up(box, time.monotonic() + timeout)
    except BaseException:
        daemons.stop_all(rundir)
        raise
    netns = _underlay(rundir, node_plan)
    box = Sandbox(rundir, release, version, tools, node_plan, run_env, per_vtep, time.monotonic() - started,
                  netns)
    (rundir / STATE_FILE).write_text(json.dumps({
        "release": release, "ovn_version": version, "root": str(tools.root),
        "loader": str(tools.loader) if tools.loader else None, "library_path": tools.library_path,
        "netns": netns,
    }, indent=2) + "\n")
    return box


def netns_name(rundir: Path) -> str:
    """The sandbox's private network namespace: named after its run directory."""
    return "mvtep-" + hashlib.sha1(str(rundir.absolute()).encode()).hexdigest()[:10]


def _underlay(rundir: Path, node_plan: Plan) -> str | None:
    """The VTEP interfaces and policy routing, in the sandbox's own namespace
    (root only: without it the node has no underlay to show)."""
    if not underlay.can_build():
        return None
    name = netns_name(rundir)
    underlay.remove(name)  # a leftover of a sandbox that was not stopped
    underlay.build(name, underlay.Underlay.of([v.ip for v in node_plan.vteps]))
    return name


def attach(rundir: Path, env: Mapping[str, str]) -> tuple[ToolRoot, dict[str, str], str]:
    """The programs and environment of the sandbox in ``rundir``, and its OVN version."""
    rundir = rundir.absolute()
    try:
        state = json.loads((rundir / STATE_FILE).read_text())
        tools = ToolRoot(Path(state["root"]), Path(state["loader"]) if state["loader"] else None,
                         state["library_path"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise NotFound(f"no sandbox in {rundir}", hint="start one with: mvtep sandbox up --dir DIR") from e
    return tools, daemons.environment(env, rundir, tools), str(state.get("ovn_version", "?"))


def down(rundir: Path) -> list[str]:
    """Stop the sandbox daemons of ``rundir`` and remove its namespace;
    returns what was stopped."""
    stopped = daemons.stop_all(rundir.absolute())
    if underlay.can_build() and underlay.remove(netns_name(rundir)):
        stopped.append("netns " + netns_name(rundir))
    return stopped


def _wait_programmed(box: Sandbox, deadline: float) -> None:
    missing: list[str] = []
    while time.monotonic() < deadline:
        missing = _unprogrammed(box)
        if not missing:
            break
        time.sleep(0.1)
    else:
        raise SandboxError(
            f"ovn-controller did not program br-int in time: {'; '.join(missing)}",
            hint=f"see {box.rundir}/ovn-controller.log",
        )
    _wait_caught_up(box, deadline)


def _wait_caught_up(box: Sandbox, deadline: float) -> None:
    """Wait until ovn-controller has installed the flows for everything in NB.

    Table 0 fills in on ovn-controller's first pass, long before a big ACL
    set is through northd and ovn-controller.  ``--wait=hv`` bumps NB's
    ``nb_cfg`` and returns once every Chassis_Private row reports it, which
    ovn-controller does only after OVS has acknowledged the flows.  The remote
    chassis are SB rows without a Chassis_Private, so only this node counts.
    """
    seconds = max(1, int(deadline - time.monotonic()))
    try:
        box.tools.run("ovn-nbctl", [f"--timeout={seconds}", "--wait=hv", "sync"], box.env, timeout=seconds + 10)
    except SandboxError as e:
        raise SandboxError(
            f"ovn-controller did not catch up with the northbound database within the wait ({e})",
            hint=f"see {box.rundir}/ovn-northd.log and ovn-controller.log; a bigger node needs a longer --wait",
        ) from e
    _wait_settled(box, deadline)


def _wait_settled(box: Sandbox, deadline: float, quiet: int = 3) -> None:
    """Wait until br-int's flow count stops changing.

    Even after ``--wait=hv``, ovn-controller adds flows for a port it has
    just claimed (port security, for one) on a later pass; a test that reads
    the table twice must not see it grow in between.
    """
    last, same = -1, 0
    while time.monotonic() < deadline and same < quiet:
        found = re.search(r"flow_count=(\d+)", box.tools.run("ovs-ofctl", ["dump-aggregate", "br-int"], box.env))
        count = int(found.group(1)) if found else -1
        same = same + 1 if count == last else 0
        last = count
        time.sleep(0.1)


def _unprogrammed(box: Sandbox) -> list[str]:
    """What is still missing on br-int, in words; empty when programmed."""
    missing = []
    tunnels = box.tools.run("ovs-vsctl", [
        "--bare", "--columns=name", "find", "Interface", "type=geneve"], box.env).split()
    if len(tunnels) != box.expected_tunnels:
        missing.append(f"{len(tunnels)} of {box.expected_tunnels} tunnel ports")
    flows = box.tools.run("ovs-ofctl", ["--no-names", "-O", "OpenFlow15", "dump-flows", "br-int", "table=0"], box.env)
    # The VIF's physical-to-logical flow: priority 100 on its in_port, loading reg13.
    with_flows = {int(p) for p in re.findall(r"priority=100,in_port=(\d+) actions=\S*reg13", flows)}
    ports = local_ports(box.tools, box.env)
    lacking = [name for name, ofport in ports.items() if ofport not in with_flows]
    if len(ports) != len(box.plan.vfs) or lacking:
        missing.append(f"no table 0 flow yet for {len(lacking) or len(box.plan.vfs)} VF port(s)")
    return missing
