"""The offload evidence of every VF, from a node snapshot (pure).

Joins what the snapshot holds per VF representor -- its statistics
(:mod:`hw.ethstats`), the datapath flows of both directions
(:mod:`flowprog.dpattrib`) and why those not in hardware are not
(:mod:`flowprog.dpreasons`), the TC filters on its ingress and those on
the tunnel netdevs and uplinks that redirect to it, the next hop toward
each remote VTEP of its VTEP, its conntrack zone -- and ovs-vswitchd's
running offload state, into :class:`~inspector.offload.OffloadEvidence`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from flowprog.dpattrib import VfFlows, attribute
from flowprog.dpflows import DpFlow
from flowprog.dpreasons import explain
from flowprog.ovslog import OffloadLog, globally_enabled, offload_log
from flowprog.verify import VerifyResult
from hw.ethstats import RepTraffic, rep_traffic
from hw.host import HostView
from hw.conntrack import ZoneConntrack
from hw.tcflower import TCA_CLS_FLAGS_NOT_IN_HW, FlowerFilter, TcOffload
from inspector.offload import (DIRECTIONS, Conntrack, FlowApi, FlowCount, NextHop, OffloadEvidence, TcCount,
                               Traffic)
from mvcore.reading import Reading
from mvcore.routes import Neighbour, RouteAnswer
from mvcore.snapshot import NodeSnapshot

__all__ = ["NodeOffload", "node_offload", "offload_evidence"]

CT_ZONE_KEY = "ct-zone-"  # br-int external_ids:ct-zone-<logical port> (ovn-controller, controller/ct-zone.c)
NOT_KERNEL = "the representor is not a kernel netdev here"


@dataclass(frozen=True, slots=True)
class NodeOffload:
    """What holds for every VF of the node: ovs-vswitchd's running state and what its log says."""

    flow_api: FlowApi
    log: OffloadLog


def node_offload(snap: NodeSnapshot) -> NodeOffload:
    log_text = snap.daemons.logs.get("ovs-vswitchd")
    log = offload_log(log_text.value) if log_text is not None and log_text.value is not None else OffloadLog()
    shown = snap.daemons.offload.value
    if shown is not None and (enabled := globally_enabled(shown)) is not None:
        api = FlowApi(enabled, f"dpif/offload/show: Globally enabled: {'true' if enabled else 'false'}")
    elif log.enabled is not None:
        api = FlowApi(True, f"ovs-vswitchd.log: {log.enabled.split('|')[-1].strip()}")
    elif log.started is not None:  # the whole log since it started is there, and it never enabled offload
        api = FlowApi(False, f"ovs-vswitchd.log: no \"Flow API Enabled\" since {log.started.split('|')[-1].strip()}")
    else:
        api = FlowApi(None, None)
    return NodeOffload(api, log)


def _traffic(found: RepTraffic) -> dict[str, Traffic]:
    out = {}
    for d in DIRECTIONS:
        total = found.total[d]
        delta = found.interval[d] if found.interval is not None else None
        seconds = found.seconds or 0.0
        out[d] = Traffic(total.hw_packets, total.sw_packets, total.hw_bytes, total.sw_bytes,
                         delta.hw_packets / seconds if delta is not None and seconds else None,
                         delta.sw_packets / seconds if delta is not None and seconds else None)
    return out


_NO_FLOWS = FlowCount()


def _flow_count(flows: VfFlows, direction: str) -> FlowCount:
    d = flows.direction(direction)
    if not d.flows:
        return _NO_FLOWS
    return FlowCount(d.total, d.offloaded, d.partial, d.hw_packets, d.sw_packets)


def _tc_count(filters: Iterable[FlowerFilter]) -> TcCount:
    count = in_hw = not_in_hw = packets = hw = 0
    for f in filters:
        count += 1
        in_hw += 1 if f.in_hw else 0
        not_in_hw += 1 if f.flags is not None and f.flags & TCA_CLS_FLAGS_NOT_IN_HW else 0
        packets += f.packets or 0
        hw += f.hw_packets or 0
    return TcCount(count, in_hw, not_in_hw, packets, hw)


def _redirects(tc: Mapping[str, TcOffload]) -> dict[int, list[tuple[int | str, FlowerFilter]]]:
    """Target ifindex -> (where the filter is: a shared block's number or a netdev, the filter) for every
    filter that redirects there; a shared block read through several netdevs counts once."""
    seen: set[int | str] = set()
    out: dict[int, list[tuple[int | str, FlowerFilter]]] = {}
    for netdev, t in tc.items():
        key = t.block if t.block is not None else netdev
        if t.error is not None or key in seen:
            continue
        seen.add(key)
        for f in t.filters:
            for target in dict.fromkeys(f.redirects):
                out.setdefault(target, []).append((key, f))
    return out


def _next_hops(neighbours: Mapping[tuple[str, str], Neighbour],
               egress: Collection[tuple[str, str, RouteAnswer]]) -> tuple[NextHop, ...]:
    out = []
    for vtep, remote, answer in egress:
        if answer.oif is None or answer.error is not None:
            continue
        via = answer.gateway or remote
        found = neighbours.get((via, answer.oif))
        out.append(NextHop(vtep, remote, via, answer.oif, found.state if found else None,
                           found.resolved if found else None))
    return tuple(out)


def offload_evidence(snap: NodeSnapshot, result: VerifyResult, host: HostView | None, flows: tuple[DpFlow, ...],
                     routes: Mapping[tuple[str, str], RouteAnswer], eswitch: Mapping[str, tuple[str, str | None]],
                     hw_offload: bool | None, tc_policy: str | None) -> Mapping[str, OffloadEvidence]:
    """Interface -> its evidence, for every VIF of ``result``.  ``routes`` is
    (VTEP, remote VTEP) -> the kernel's route; ``eswitch`` representor -> its PF's
    e-switch mode and why it is unknown, where sysfs shows one.  Linear in VFs, filters and flows:
    a node has a thousand VFs and a refresh a second."""
    node = node_offload(snap)
    by_vf = attribute(flows, [p.interface for p in result.paths])
    links = (host.links.value if host else None) or {}
    tc = dict(host.tc) if host else {}
    no_qdisc = frozenset(n for n, t in tc.items() if t.ingress is False)
    into = _redirects(tc)
    neighbours = {(n.ip, n.dev): n for n in ((host.neighbours.value if host else None) or ())}
    hops: dict[tuple[str | None, tuple[str, ...]], tuple[NextHop, ...]] = {}  # the VFs of a VTEP share them
    zones = ovs_zones(snap)
    conntrack = host.conntrack if host else None
    out = {}
    for p in result.paths:
        rep = p.interface
        kernel = rep in links
        stats = host.stats.get(rep) if host else None
        found: RepTraffic | str = (NOT_KERNEL if not kernel else rep_traffic(stats.value)
                                   if stats is not None and stats.value is not None
                                   else stats.error if stats is not None and stats.error else "not read")
        mine = tc.get(rep)
        tcs = {}
        if mine is not None and mine.error is None:
            tcs["tx"] = _tc_count(mine.filters)
        if kernel:
            own = mine.block if mine is not None and mine.block is not None else rep
            tcs["rx"] = _tc_count(f for key, f in into.get(links[rep].index, ()) if key != own)
        remotes = tuple(sorted({t.remote_ip for t in p.tunnels if t.remote_ip and t.remote_ip != "flow"}))
        if (p.vtep_ip, remotes) not in hops:
            hops[(p.vtep_ip, remotes)] = _next_hops(neighbours, [
                (p.vtep_ip, r, routes[(p.vtep_ip, r)]) for r in remotes if p.vtep_ip and (p.vtep_ip, r) in routes])
        vf_flows = by_vf[p.interface]
        out[rep] = OffloadEvidence(
            traffic=_traffic(found) if isinstance(found, RepTraffic) else None,
            traffic_error=found if isinstance(found, str) else None,
            seconds=found.seconds if isinstance(found, RepTraffic) else None,
            flows={d: _flow_count(vf_flows, d) for d in DIRECTIONS},
            tc=tcs,
            ingress_qdisc=mine.ingress if mine is not None and mine.error is None else None,
            next_hops=hops[(p.vtep_ip, remotes)],
            neighbours_error=host.neighbours.error if host else None,
            conntrack=_conntrack(zones.get(p.iface_id), conntrack) if kernel else None,
            conntrack_error=(f"{NOT_KERNEL}: its connections are ovs-vswitchd's own" if not kernel
                             else conntrack.error if conntrack is not None and conntrack.error
                             else None if p.iface_id in zones
                             else f"no {CT_ZONE_KEY}<its iface-id> in br-int's external_ids"),
            flow_api=node.flow_api,
            eswitch_error=mode[1] if (mode := eswitch.get(rep)) is not None and mode[0] == "unknown" else None,
            why=explain(vf_flows.flows, node.log, node=_node_cause(hw_offload, node.flow_api, tc_policy,
                                                                     mode[0] if mode else None), no_qdisc=no_qdisc)
            if vf_flows.tx.flows or vf_flows.rx.flows else (),
        )
    return out


def _conntrack(zone: int | None, table: Reading[Mapping[int, ZoneConntrack]] | None) -> Conntrack | None:
    if zone is None or table is None or table.value is None:
        return None
    c = table.value.get(zone) or ZoneConntrack()
    return Conntrack(zone, c.entries, c.offloadable, c.offloaded, c.in_hw, c.icmp)


def _node_cause(hw_offload: bool | None, api: FlowApi, tc_policy: str | None,
                eswitch: str | None) -> tuple[str, str | None] | None:
    """The cause every flow of a VF shares, when there is one (flowprog.dpreasons.NODE_CAUSES)."""
    if hw_offload is False and api.running is not True:
        return "hw-offload-off", None
    if api.running is False:
        return "flow-api-off", api.source
    if tc_policy == "skip_hw":
        return "tc-policy-skip-hw", None
    if eswitch is not None and eswitch not in ("switchdev", "unknown"):
        return "eswitch", eswitch
    return None


def ovs_zones(snap: NodeSnapshot) -> dict[str, int]:
    """Logical port -> its conntrack zone, from the integration bridge's external_ids."""
    state = snap.ovsdb.value
    bridge = state.bridge(snap.bridge) if state is not None else None
    out = {}
    for key, value in (bridge.external_ids.items() if bridge is not None else ()):
        if key.startswith(CT_ZONE_KEY) and value.isdigit():
            out[key[len(CT_ZONE_KEY):]] = int(value)
    return out
