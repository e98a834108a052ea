"""The paths/watch renderer, through a fixed console: what a person sees."""

from __future__ import annotations

import io
import json

from rich.console import Console

from flowprog.verify import Tunnel
from hw.model import Features
from mvcore.routes import RouteAnswer
from inspector.paths import Counters, Offload, PathInputs, PathsReport, VfPath, Vtep, build_paths
from inspector.paths_view import ViewState, render, select, to_json
from flowprog.verify import verify
from tests.snapshots import SNAP, flows, node, sb


def _inputs(**over: object) -> PathInputs:
    t0, ro = flows()
    base = dict(
        verify=verify(node(), t0, ro, sb(), SNAP.southbound.error),
        pf_of_ip={"10.0.0.1": "enp1s0f0", "10.0.0.2": "enp2s0f0", "10.0.0.3": "enp3s0f0"}, inventory=None,
        routes={}, addresses={"10.0.0.1": "vtep0", "10.0.0.2": "vtep1", "10.0.0.3": "vtep2"}, bridge_of={},
        ovs_hw_offload=True, tc_policy=None, kernel_netdevs=frozenset(), eswitch={}, features={}, dp={}, tc={},
        counters={})
    base.update(over)
    return PathInputs(**base)  # type: ignore[arg-type]


VTEPS = tuple(Vtep(ip, i, f"enp{i + 1}s0f0", f"vtep{i}", f"vtep{i} (table {6081 + i})")
              for i, ip in enumerate(("10.0.0.1", "10.0.0.2", "10.0.0.3")))


def _snap(paths: tuple[VfPath, ...], taken_at: float = 100.0) -> PathsReport:
    return PathsReport(taken_at, "mvtep-node", "3.5.0", "25.03.0", VTEPS, paths, (), ovs_hw_offload=True)


def _text(renderable: object, width: int = 120) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, legacy_windows=False).print(renderable)
    return buf.getvalue()


def test_verdicts_follow_the_offload_chain() -> None:
    rep = "enp2s0f0_0"
    software = {p.interface: p for p in build_paths(_inputs())}
    assert software[rep].verdict == "not-offloaded" and "not a kernel netdev" in software[rep].reason
    kernel = frozenset(p.interface for p in software.values())
    tc_off = {p.interface: p for p in build_paths(_inputs(kernel_netdevs=kernel,
                                                          features={rep: Features(False)}))}
    assert tc_off[rep].verdict == "not-offloaded" and "hw-tc-offload is off" in tc_off[rep].reason
    idle = {p.interface: p for p in build_paths(_inputs(kernel_netdevs=kernel))}
    assert idle[rep].verdict == "idle"
    mixed = {p.interface: p for p in build_paths(_inputs(kernel_netdevs=kernel, dp={rep: (4, 3, 1)}))}
    assert mixed[rep].verdict == "partial" and "3 of 4" in mixed[rep].reason
    full = {p.interface: p for p in build_paths(_inputs(kernel_netdevs=kernel, dp={rep: (2, 2, 0)}))}
    assert full[rep].verdict == "offloaded"
    off = {p.interface: p for p in build_paths(_inputs(kernel_netdevs=kernel, ovs_hw_offload=False))}
    assert off[rep].verdict == "not-offloaded" and "OVS hw-offload is off" in off[rep].reason


def test_wrong_egress_is_broken() -> None:
    wrong = {("10.0.0.2", r): RouteAnswer(r, "10.0.0.2", 6082, "vtep0", None) for r in ("10.1.0.1", "10.1.1.1",
                                                                                        "10.1.1.2")}
    paths = {p.interface: p for p in build_paths(_inputs(routes=wrong))}
    assert paths["enp2s0f0_0"].verdict == "broken" and "through vtep0" in paths["enp2s0f0_0"].reason
    assert paths["enp1s0f0_0"].verdict != "broken"


def test_frame_shows_every_vf_and_fits_80_columns() -> None:
    snap = _snap(build_paths(_inputs()))
    for width in (80, 120):
        text = _text(render(snap, ViewState(), width=width, height=24), width)
        assert all(p.interface in text for p in snap.paths)
        assert max(len(line) for line in text.splitlines()) <= width
    wide = _text(render(snap, width=120), 120)
    assert "10.0.0.2" in wide and "vtep1 (table 6082)" in wide and "not-offloaded" in wide


def test_rates_problems_only_and_sort() -> None:
    first = build_paths(_inputs())
    later = build_paths(_inputs(counters={"enp3s0f0_0": Counters(packets=500)}))
    prev, cur = _snap(first, 100.0), _snap(later, 102.0)
    assert "250" in _text(render(cur, ViewState(), prev), 120)  # 500 packets in 2 s
    assert select(cur, ViewState(sort="rate"), prev)[0].interface == "enp3s0f0_0"
    kernel = frozenset(p.interface for p in first)
    healthy = _snap(build_paths(_inputs(kernel_netdevs=kernel, dp=dict.fromkeys(kernel, (1, 1, 0)))))
    # only the VF with a finding (the seed's VF without a VTEP) is a problem once all are offloaded
    assert [p.interface for p in select(healthy, ViewState(problems_only=True))] == ["enp3s0f0_1"]


def test_json_schema() -> None:
    doc = json.loads(json.dumps(to_json(_snap(build_paths(_inputs())), ViewState(vf="pod-1"))))
    assert doc["schema"] == 1 and doc["kind"] == "paths"
    (p,) = doc["paths"]
    assert (p["interface"], p["vtep_ip"], p["pf"], p["verdict"]) == ("enp2s0f0_0", "10.0.0.2", "enp2s0f0",
                                                                     "not-offloaded")
    assert {t["remote_chassis"] for t in p["tunnels"]} == {"remote-0", "remote-1"}
    assert set(p["offload"]) >= {"dp_flows", "dp_offloaded", "tc_in_hw", "representor_hw_tc_offload"}


def test_unused_offload_fields_are_none_not_zero() -> None:
    (p,) = [p for p in build_paths(_inputs()) if p.interface == "enp2s0f0_0"]
    assert p.offload == Offload(True, None, False, None, None, None)
    assert isinstance(p.tunnels[0], Tunnel)


def test_unreadable_evidence_is_unknown_never_fine() -> None:
    """An unreadable dpctl dump or netlink is not "no flows" or "no netdev"."""
    rep = "enp2s0f0_0"
    kernel = frozenset(p.interface for p in build_paths(_inputs()))
    no_dp = {p.interface: p for p in build_paths(_inputs(kernel_netdevs=kernel, dp_error="no ovs-vswitchd.pid"))}
    assert no_dp[rep].verdict == "unknown" and "no ovs-vswitchd.pid" in no_dp[rep].reason
    no_host = {p.interface: p for p in build_paths(_inputs(host_error="no network namespace x"))}
    assert no_host[rep].verdict == "unknown" and "no network namespace x" in no_host[rep].reason
    # a broken path stays broken whatever else could not be read
    broken = {p.interface: p for p in build_paths(_inputs(dp_error="x", host_error="y", routes={
        ("10.0.0.2", "10.1.0.1"): RouteAnswer("10.1.0.1", "10.0.0.2", 6082, "eth9", None)}))}
    assert broken[rep].verdict == "broken"


def test_a_switchdev_inactive_eswitch_breaks_the_path(tmp_path: object) -> None:
    """devlink's switchdev_inactive: the kernel drops the e-switch's traffic (not merely slow)."""
    from pathlib import Path

    from hw.inventory import discover
    from hw.sysfs import DirSysfs
    from tests.hwmodel import SWITCH_ID_SPARE, SysfsBuilder

    assert isinstance(tmp_path, Path)
    b = SysfsBuilder(tmp_path)
    b.pf("0000:02:00.0", 0x101D)
    b.netdev("0000:02:00.0", "enp2s0f0", phys_port_name="p0", phys_switch_id=SWITCH_ID_SPARE)
    b.vf("0000:02:00.0", 0)
    b.netdev("0000:02:00.0", "enp2s0f0_0", phys_port_name="pf0vf0", phys_switch_id=SWITCH_ID_SPARE)
    inv = discover(DirSysfs(tmp_path))
    rep = "enp2s0f0_0"
    kernel = frozenset({rep})
    paths = {p.interface: p for p in build_paths(_inputs(inventory=inv, kernel_netdevs=kernel,
                                                         eswitch={"0000:02:00.0": "switchdev_inactive"}))}
    assert paths[rep].verdict == "broken" and "switchdev_inactive" in paths[rep].reason
    legacy = {p.interface: p for p in build_paths(_inputs(inventory=inv, kernel_netdevs=kernel,
                                                          eswitch={"0000:02:00.0": "legacy"}))}
    assert legacy[rep].verdict == "not-offloaded"


def test_a_vtep_on_no_interface_read_is_unknown_never_broken() -> None:
    """Read in the wrong namespace, the VTEP IP is nowhere: say where it is
    instead of calling the path broken, and never print None."""
    rep = "enp2s0f0_0"
    where = "VTEP IP 10.0.0.2 is on no interface of this network namespace; network namespace ns1 holds it"
    routes = {("10.0.0.2", "10.1.0.1"): RouteAnswer("10.1.0.1", "10.0.0.2", None, None, None, "ENETUNREACH")}
    paths = {p.interface: p for p in build_paths(_inputs(addresses={}, routes=routes,
                                                         vtep_absent={"10.0.0.2": where}))}
    assert paths[rep].verdict == "unknown" and paths[rep].reason == where
    # the same answer with the VTEP where it should be is a broken egress, in words without None
    held = {p.interface: p for p in build_paths(_inputs(addresses={"10.0.0.2": "vtep1"}, routes=routes))}
    assert held[rep].verdict == "broken" and "None" not in held[rep].reason
    gone = {p.interface: p for p in build_paths(_inputs(addresses={}, routes=routes))}
    assert gone[rep].verdict == "broken" and "None" not in gone[rep].reason


def test_a_vif_whose_flows_could_not_be_decoded_is_unknown_and_says_why() -> None:
    """Its own finding names it (the node's says only that table 0 holds
    undecoded flows): the path is unknown, never broken for a flow that
    may well be there."""
    t0, ro = flows()
    kept = tuple(f for f in t0 if not (f.field("in_port") and f.field("in_port").value == 1))  # type: ignore[union-attr]
    result = verify(node(), kept, ro, sb(), SNAP.southbound.error,
                    undecoded={0: (1, "no converter for experimenter 0x2320 subtype 99")})
    paths = {p.interface: p for p in build_paths(_inputs(verify=result))}
    assert paths["enp1s0f0_0"].verdict == "unknown"
    assert paths["enp1s0f0_0"].reason.startswith("no decoded table-0 flow for enp1s0f0_0")
    assert {p.verdict for p in paths.values()} == {"unknown"}  # the node's flows-undecoded: every path
