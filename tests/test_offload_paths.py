"""``mvtep paths`` on a modelled offloading node: the saved OVN 25.03 node's
OVSDB and flows, its VF representors and VTEP underlay built for real in a
scratch network namespace (links, addresses, policy routing, the kernel's
routes and neighbours, ingress qdiscs), and what this kernel cannot have --
mlx5 NICs in switchdev, their representors' vport counters, TC flower
filters, offloaded datapath flows, offloaded conntrack entries -- modelled
as sysfs trees (tests/hwmodel.py) and answers shaped as mlx5 and the kernel
give them (tests/nlreplies.py).  The same code reads a live node.

The six VFs, one per case:

* enp1s0f0_0: 99% of its packets in hardware            -> offloaded
* enp3s0f0_0: 95% in software, every flow offloaded:yes -> not-offloaded (ovn-kubernetes #3835)
* enp2s0f0_0: decap flows and filters of its own, and its VTEP's next hop unresolved -> partial
* enp1s0f0_1: little traffic, 3 of 4 connections of its conntrack zone out of hardware -> partial
* enp2s0f0_1: no traffic, no flows (the same unresolved next hop)  -> idle
* enp3s0f0_1: no ingress qdisc on its representor     -> not-offloaded
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import IPRoute

from hw import netns
from hw.host import HostReader, HostRequests
from hw.inventory import discover
from hw.sysfs import DirSysfs, RecordingSysfs
from inspector.bundle import write_bundle
from inspector.path_inputs import paths_report
from inspector.paths import VfPath
from inspector.paths_view import ViewState, to_json
from mvcore.reading import Reading
from mvcore.snapshot import FeatureBits, HostState, Key, NetdevStats, NodeSnapshot, StatsSample
from mvtep.sandbox.underlay import Underlay, build
from tests.conftest import run_cli
from tests.hwmodel import SWITCH_ID_CX6DX, SysfsBuilder
from tests.nlreplies import (
    IN_HW, IPS_ASSURED, IPS_CONFIRMED, IPS_HW_OFFLOAD, IPS_OFFLOAD, IPS_SEEN_REPLY, MLX5_REP_STATS,
    TCP_CONNTRACK_ESTABLISHED, answer, ct_entry, decap_actions, done, eswitch_reply, flower_options, rep_stats,
    tfilter,
)
from tests.snapshots import DECODER, SNAP, with_ovs

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the underlay's namespace needs root")

PFS = {"enp1s0f0": "0000:01:00.0", "enp2s0f0": "0000:02:00.0", "enp3s0f0": "0000:03:00.0"}
REPS = [f"{pf}_{i}" for pf in PFS for i in (0, 1)]
NO_QDISC = "enp3s0f0_1"
ZONE = 7  # pod-3's conntrack zone


def sysfs(root: Path) -> Reading[Any]:
    """Three ConnectX-6 Dx PFs in switchdev, two VFs each, representors named as the node's VIFs."""
    b = SysfsBuilder(root)
    for uplink, bdf in PFS.items():
        b.pf(bdf, 0x101D, totalvfs=8)
        b.netdev(bdf, uplink, phys_port_name="p0", phys_switch_id=SWITCH_ID_CX6DX)
        for i in (0, 1):
            b.vf(bdf, i, netdev=f"{uplink}v{i}")
            b.netdev(bdf, f"{uplink}_{i}", phys_port_name=f"pf0vf{i}", phys_switch_id=SWITCH_ID_CX6DX)
    recorder = RecordingSysfs(DirSysfs(root))
    discover(recorder)
    return Reading.of(recorder.record())


@pytest.fixture(scope="module")
def underlay() -> Iterator[str]:
    """The sandbox's VTEP underlay (10.0.0.1-3 on vtep0-2, 10.1.0.0/16 via 10.0.1.254), plus the
    representors as veths with OVS's ingress qdisc (but one); vtep1 tries to reach its gateway,
    which nobody answers: the kernel's neighbour entry stays unresolved."""
    with netns.temporary() as name:
        netns_name = f"{name}-u"
        build(netns_name, Underlay(("10.0.0.1", "10.0.0.2", "10.0.0.3")))
        try:
            with IPRoute(netns=netns_name, flags=0) as ipr:
                for rep in REPS:
                    ipr.link("add", ifname=rep, kind="veth", peer=f"{rep}p")
                    (index,) = ipr.link_lookup(ifname=rep)
                    ipr.link("set", index=index, state="up")
                    if rep != NO_QDISC:
                        ipr.tc("add", "ingress", index)
            sock = netns.socket_in(netns_name, socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind(("10.0.0.2", 0))
                sock.sendto(b"x", ("10.1.0.1", 6081))  # table 6082: via 10.0.1.254 dev vtep1
            finally:
                sock.close()
            yield netns_name
        finally:
            from mvtep.sandbox.underlay import remove
            remove(netns_name)


def flow(in_port: str, actions: str, packets: int, *, match: str = "eth_type(0x0800),ipv4(frag=no)",
         offloaded: bool = True) -> str:
    state = ", offloaded:yes, dp:tc" if offloaded else ", dp:ovs"
    return (f"recirc_id(0),in_port({in_port}),{match}, packets:{packets}, bytes:{packets * 100}, used:0.100s"
            f"{state}, actions:{actions}")


ENCAP = "set(tunnel(tun_id=0x3,dst=10.1.0.1,ttl=64,tp_dst=6081,flags(csum|key))),genev_sys_6081"
DECAP = "tunnel(tun_id=0x3,src=10.1.0.1,dst=10.0.0.2,flags(+key))"
DATAPATH = "\n".join([
    "system@ovs-system:",
    flow("enp1s0f0_0", ENCAP, 990),
    flow("enp3s0f0_0", ENCAP, 0), flow("genev_sys_6081", "enp3s0f0_0", 0, match=DECAP),  # packets:0, as in #3835
    flow("enp2s0f0_0", ENCAP, 500), flow("genev_sys_6081", "enp2s0f0_0", 480, match=DECAP),
    flow("enp1s0f0_1", ENCAP, 3), flow("genev_sys_6081", "enp1s0f0_1", 3, match=DECAP),
]) + "\n"
SENT_RECEIVED = {  # (before, after): (VF sent (all, software), VF received (all, software))
    "enp1s0f0_0": (((0, 0), (0, 0)), ((10_000, 10), (10_000, 10))),
    "enp3s0f0_0": (((0, 0), (0, 0)), ((10_000, 9_500), (10_000, 9_500))),
    "enp2s0f0_0": (((0, 0), (0, 0)), ((5_000, 10), (5_000, 10))),
    "enp1s0f0_1": (((0, 0), (0, 0)), ((20, 2), (20, 2))),
    "enp2s0f0_1": (((0, 0), (0, 0)), ((0, 0), (0, 0))),
    "enp3s0f0_1": (((0, 0), (0, 0)), ((0, 0), (0, 0))),
}


def node(underlay: str, tmp: Path) -> NodeSnapshot:
    routes = tuple((remote, vtep) for vtep in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
                   for remote in ("10.1.0.1", "10.1.1.1", "10.1.1.2"))
    with HostReader(underlay) as reader:
        real = reader.read(HostRequests(route_gets=routes, tables=(6081, 6082, 6083), tc_ingress=tuple(REPS),
                                        neighbours=True))
    with IPRoute(netns=underlay, flags=0) as ipr:
        (target,) = ipr.link_lookup(ifname="enp2s0f0_0")
    on = Reading.of(FeatureBits(available=True, requested=True, active=True, never_changed=False))
    offloaded = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED | IPS_OFFLOAD
    host = HostState(real.netns, {
        **real.netlink,
        # the tunnel netdev's decap filter, redirecting to enp2s0f0_0: 20 packets, 18 in hardware
        Key.tc_ingress("genev_sys_6081"): answer(tfilter(1, "flower", flower_options(IN_HW, 1, decap_actions(
            target, 20, 18))) + done()),
        **{Key.devlink_eswitch(pci): answer(eswitch_reply(1, pci=pci)) for pci in PFS.values()},
        Key.CONNTRACK: answer(ct_entry(6, offloaded | IPS_HW_OFFLOAD, ZONE, TCP_CONNTRACK_ESTABLISHED)
                              + b"".join(ct_entry(6, offloaded if i else IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED,
                                                  ZONE, TCP_CONNTRACK_ESTABLISHED, src=f"10.128.0.{10 + i}")
                                         for i in range(3))
                              + ct_entry(1, IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED, ZONE) + done()),
    }, dict.fromkeys([*REPS, *PFS], on), {}, {
        rep: Reading.of(NetdevStats(MLX5_REP_STATS, (
            StatsSample(1000.0, rep_stats(vf_sent=before[0], vf_received=before[1], size=100)),
            StatsSample(1001.0, rep_stats(vf_sent=after[0], vf_received=after[1], size=100)))))
        for rep, (before, after) in SENT_RECEIVED.items()})

    def hw_offload(rows: dict[str, Any]) -> None:
        rows["Open_vSwitch"][0]["other_config"]["hw-offload"] = "true"
        (br_int,) = [b for b in rows["Bridge"] if b["name"] == "br-int"]
        br_int["external_ids"] = {"ct-zone-pod-3": str(ZONE), "ct-zone-pod-2": "8"}

    return dataclasses.replace(with_ovs(hw_offload, SNAP), host=Reading.of(host), sysfs=sysfs(tmp),
                               datapath=Reading.of(DATAPATH), taken_at=1001.0)


@pytest.fixture(scope="module")
def paths(underlay: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, VfPath]:
    report = paths_report(node(underlay, tmp_path_factory.mktemp("sys")), DECODER)
    return {p.interface: p for p in report.paths}


@needs_root
def test_every_case_gets_its_verdict(paths: dict[str, VfPath]) -> None:
    assert {name: p.verdict for name, p in paths.items()} == {
        "enp1s0f0_0": "offloaded", "enp3s0f0_0": "not-offloaded", "enp2s0f0_0": "partial",
        "enp1s0f0_1": "partial", "enp2s0f0_1": "idle", "enp3s0f0_1": "not-offloaded"}
    assert paths["enp1s0f0_0"].reason.startswith("99% of its packets in hardware over the last 1 s")
    assert paths["enp3s0f0_1"].reason == "the representor has no ingress qdisc: OVS cannot put its flows in TC"
    assert "3 of 4 established connections of its conntrack zone 7 are not in hardware" in paths["enp1s0f0_1"].reason


@needs_root
def test_counters_showing_software_beat_flows_saying_offloaded(paths: dict[str, VfPath]) -> None:
    p = paths["enp3s0f0_0"]
    assert (p.verdict, p.reason) == ("not-offloaded", (
        "95% of its packets reached software over the last 1 s (tx 5%, rx 5% in hardware), although all 2 "
        "datapath flows say offloaded:yes"))
    assert p.evidence is not None and p.evidence.why == ()  # no flow is out of hardware: the counters tell


@needs_root
def test_decap_flows_and_filters_count_for_the_vf_they_deliver_to(paths: dict[str, VfPath]) -> None:
    p = paths["enp2s0f0_0"]
    assert p.evidence is not None
    assert (p.evidence.flows["rx"].flows, p.evidence.flows["rx"].offloaded, p.evidence.flows["rx"].hw_packets) == (
        1, 1, 480)
    assert (p.evidence.flows["tx"].flows, p.offload.dp_flows) == (1, 1)  # dp_flows: its in_port flows, as before
    assert (p.evidence.tc["rx"].filters, p.evidence.tc["rx"].packets, p.evidence.tc["rx"].hw_packets) == (1, 20, 18)
    assert p.evidence.tc["tx"].filters == 0 and paths["enp1s0f0_0"].evidence.tc["rx"].filters == 0  # type: ignore[union-attr]


@needs_root
def test_an_unresolved_next_hop_makes_the_path_partial(paths: dict[str, VfPath]) -> None:
    p = paths["enp2s0f0_0"]
    assert p.verdict == "partial"
    assert p.reason.startswith("the next hop 10.0.1.254 (vtep1) toward remote VTEP 10.1.")
    assert "mlx5 keeps the encap rules to it on the slow path" in p.reason
    hops = {(h.remote_ip, h.state) for h in p.evidence.next_hops} if p.evidence else set()
    assert {state for _r, state in hops} <= {"INCOMPLETE", "FAILED"} and len(hops) == 3
    # the same next hop, but nothing to send: idle, with the next hop's state in the evidence
    assert paths["enp2s0f0_1"].verdict == "idle"
    # vtep0 never needed its gateway: no entry, nothing claimed
    assert {h.state for h in paths["enp1s0f0_0"].evidence.next_hops} == {None}  # type: ignore[union-attr]


@needs_root
def test_paths_from_a_bundle_says_so_with_json_and_why(underlay: str, tmp_path: Path) -> None:
    bundle = tmp_path / "node.tar.gz"
    write_bundle(node(underlay, tmp_path / "sys"), bundle, "test")
    text = run_cli(["paths", "--from", str(bundle)], width=160)
    assert text.status == 0, text.err
    assert "hw% tx/rx" in text.out
    row = next(line for line in text.out.splitlines() if line.startswith("enp3s0f0_0 "))
    assert row.split()[-2:] == ["5/5", "not-offloaded"]
    assert "not-offloaded: 95% of its packets reached software" in text.out
    doc = json.loads(run_cli(["paths", "--from", str(bundle), "--vf", "enp2s0f0_0", "--json"]).out)
    (p,) = doc["paths"]
    assert p["traffic"]["tx"] == {"hardware_pps": 4990.0, "software_pps": 10.0, "hardware_share": 0.998,
                                  "hardware_packets": 4990, "software_packets": 10, "hardware_bytes": 499_000,
                                  "software_bytes": 1000}
    assert p["offload"]["flows"]["rx"] == {"flows": 1, "offloaded": 1, "partial": 0, "hardware_packets": 480,
                                           "software_packets": 0}
    assert p["offload"]["tc"]["rx"]["hardware_packets"] == 18 and p["why"] is None
    assert p["next_hops"][0]["next_hop"] == "10.0.1.254" and p["next_hops"][0]["resolved"] is False
    assert doc["flow_offload"] == {"running": None, "source": None}
    ct = json.loads(run_cli(["paths", "--from", str(bundle), "--vf", "enp1s0f0_1", "--json"]).out)["paths"][0]
    assert ct["conntrack"] == {"zone": 7, "entries": 5, "offloadable": 4, "offloaded": 3, "in_hw": 1, "icmp": 1,
                               "error": None}
    why = run_cli(["paths", "--from", str(bundle), "--vf", "enp3s0f0_0", "--why"], width=160).out
    assert "why enp3s0f0_0 (pod-2): not-offloaded: every one of its 2 datapath flows is in hardware" in why


def test_to_json_without_evidence_keeps_its_shape() -> None:
    from tests.test_paths_view import _inputs, _snap
    from inspector.paths import build_paths
    doc = to_json(_snap(build_paths(_inputs())), ViewState(vf="pod-1", why=True))
    (p,) = doc["paths"]
    assert p["traffic"] is None and p["why"] is None and p["next_hops"] == [] and p["conntrack"] is None


def test_a_shared_block_read_through_both_bonded_uplinks_counts_once() -> None:
    """VF-LAG: OVS binds both uplinks' ingress to one block (lib/netdev-linux.c); the reader dumps
    that block for each of them (tests/test_tcflower.py), the evidence counts its filters once."""
    from hw.routing import decode_tc
    from inspector.offload_inputs import _redirects
    block = answer(tfilter(1, "flower", flower_options(IN_HW, 1, decap_actions(12, 20, 18)), ifindex=-1) + done())
    shared = dataclasses.replace(decode_tc(block), block=9)
    own = decode_tc(answer(tfilter(1, "flower", flower_options(IN_HW, 1, decap_actions(12, 5, 5))) + done()))
    into = _redirects({"enp3s0f0np0": shared, "enp3s0f1np1": shared, "genev_sys_6081": own})
    assert [(key, f.packets) for key, f in into[12]] == [(9, 20), ("genev_sys_6081", 5)]
