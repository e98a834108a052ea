"""``mvtep paths`` as a pure function of a node snapshot.

Decodes what the snapshot holds -- OVSDB rows and br-int's flows (the
verify result), the southbound bindings, the sysfs inventory, the host's
netlink answers, the datapath flows -- into :class:`~inspector.paths.PathInputs`,
then joins them per VF (:func:`inspector.paths.build_paths`).  The same
function runs on a live snapshot and on a support bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flowprog import dpflows
from flowprog.flowdump import VerifyFlows
from flowprog.flowroles import ingress_flows, remote_outputs
from flowprog.flows import Flow
from flowprog.nodeconfig import NodeConfig
from flowprog.ofdecode import Decoder
from flowprog.node_verify import node_of, release_of_snapshot, sb_of, snapshot_flows, verify_decoded
from flowprog.verify import VerifyResult
from hw.host import HostView, eswitch_of, namespace_holding
from inspector.hardware import host_of, inventory_of
from inspector.offload_inputs import offload_evidence
from inspector.recent import RecentFlows
from inspector.paths import Counters, PathInputs, PathsReport, Vtep, build_paths
from mvcore.ovsdb_rows import SbRows
from mvcore.snapshot import NodeSnapshot

__all__ = ["paths_report"]


def paths_report(snap: NodeSnapshot, decoder: Decoder, *, seconds: float = 0.0) -> PathsReport:
    node = node_of(snap)
    sb = sb_of(snap)
    inventory = inventory_of(snap)
    representors = frozenset(vf.representor for a in inventory.adapters for pf in a.pfs for vf in pf.vfs
                             if vf.representor) if inventory else None
    release = release_of_snapshot(snap, node, sb)

    def check(flows: VerifyFlows) -> VerifyResult:
        return verify_decoded(snap, node, sb, release, flows, representors)

    if isinstance(decoder, RecentFlows):  # a live view: what did not change since its last refresh is reused
        flows, result = decoder.verified(snap, node, (release, representors), check)
        sources = decoder.while_unchanged("counter sources", lambda: counter_sources(flows.table0, flows.remote))
    else:
        flows = snapshot_flows(snap, node, decoder)
        result = check(flows)
        sources = counter_sources(flows.table0, flows.remote)
    inputs = _inputs(snap, node, result, _counters(result, flows.table0, flows.remote, sources))
    node_findings = tuple(f for f in result.findings if f.interface is None)
    ovn = snap.daemons.ovn_version.value or (
        f"{result.release.text} (southbound)" if result.release.source == "southbound" else None)
    return PathsReport(
        snap.taken_at, node.chassis, snap.daemons.ovs_version.value or node.ovs_version, ovn,
        tuple(_vtep(result, inputs, node, ip) for ip in node.encap_ips),
        build_paths(inputs), node_findings, seconds=seconds, ovs_hw_offload=node.hw_offload,
        remote_output_table=result.remote_output_table)


def _inputs(snap: NodeSnapshot, node: NodeConfig, result: VerifyResult, counters: Mapping[str, Counters]) -> PathInputs:
    inventory = inventory_of(snap)
    host = host_of(snap)
    links = (host.links.value if host else None) or {}
    addresses = {ip: a[0] for ip, a in ((host.addresses.value if host else None) or {}).items()}
    routes = {(src, dst): answer for (dst, src), answer in host.route_answers.items()} if host else {}
    pfs = [pf for a in inventory.adapters for pf in a.pfs] if inventory else []
    states = {pf.pci: eswitch_of(pf, host) for pf in pfs} if host else {}
    eswitch = {pci: state.mode for pci, state in states.items()}
    flows = dpflows.parse_dump(snap.datapath.value) if snap.datapath.value is not None else ()
    rep_eswitch = {vf.representor: (states[pf.pci].mode, states[pf.pci].error) for pf in pfs for vf in pf.vfs
                   if vf.representor and pf.pci in states}
    evidence = offload_evidence(snap, result, host, flows, routes, rep_eswitch, node.hw_offload, node.tc_policy)
    # The representor's own counts (Offload.dp_*, tc_*) are the evidence's transmit side: the flows with
    # in_port(<representor>) and the filters on its ingress, counted once, there.
    dp = {rep: (tx.flows, tx.offloaded, tx.partial) for rep, ev in evidence.items()
          if (tx := ev.flows.get("tx")) is not None}
    tc = {rep: (t.in_hw, t.not_in_hw) for rep, ev in evidence.items() if (t := ev.tc.get("tx")) is not None}
    return PathInputs(
        verify=result, pf_of_ip={ip: pf for pf, ip in node.pf_mapping.pairs}, inventory=inventory,
        routes=routes, addresses=addresses, bridge_of=node.bridge_of, ovs_hw_offload=node.hw_offload,
        tc_policy=node.tc_policy, kernel_netdevs=frozenset(links), eswitch=eswitch,
        features=dict(host.features) if host else {}, dp=dp, tc=tc, counters=counters,
        logical_switch=_switches(snap.southbound.value),
        dp_error=None if snap.datapath.value is not None else snap.datapath.why_not("the datapath flows"),
        host_error=_host_error(snap, host), vtep_absent=_vtep_absent(snap, node, addresses), evidence=evidence)


def _host_error(snap: NodeSnapshot, host: HostView | None) -> str | None:
    if host is None:
        return snap.host.why_not("netlink")
    return host.links.error


def _vtep_absent(snap: NodeSnapshot, node: NodeConfig, addresses: Mapping[str, str]) -> dict[str, str]:
    """VTEP IPs on no interface of the namespace read, and where they are, in words."""
    state = snap.host.value
    if state is None:
        return {}
    here = f"network namespace {state.netns}" if state.netns else "this network namespace"
    out = {}
    for ip in node.encap_ips:
        if ip not in addresses:
            holders = namespace_holding(state, ip)
            held = (f"; network namespace {holders[0]} holds it: read that one" if len(holders) == 1 else
                    f"; network namespaces {', '.join(holders)} hold it" if holders else "")
            out[ip] = f"VTEP IP {ip} is on no interface of {here}{held}"
    return out


def _vtep(result: VerifyResult, inputs: PathInputs, node: NodeConfig, ip: str) -> Vtep:
    encap_id = next((k for k, v in result.encap_ips.items() if v == ip), None)
    answer = next((a for (v, _r), a in sorted(inputs.routes.items()) if v == ip), None)
    egress = None if answer is None else (answer.error or (f"{answer.oif} (table {answer.table})" if answer.oif
                                                           else "no egress device"))
    return Vtep(ip, encap_id, inputs.pf_of_ip.get(ip), inputs.addresses.get(ip), egress)


@dataclass(frozen=True, slots=True)
class CounterSources:
    """Which flows' counters add up to which VIF's: positions in the table-0
    and remote-output flows verify read.  They follow from the flows' matches
    and actions alone, so a live view keeps them while no flow changed."""

    ingress: Mapping[int, tuple[int, ...]]  # VIF ofport -> its table-0 ingress flows
    tunnel: Mapping[int | None, tuple[int, ...]]  # encap id -> its remote-output flows (once per output)


def counter_sources(table0: tuple[Flow, ...], remote: tuple[Flow, ...]) -> CounterSources:
    """A VIF's table-0 ingress flows are those
    :func:`flowprog.flowroles.ingress_flows` chooses (100, or 150 for a
    VLAN-tagged port, never the priority-1010 flows of an activation
    strategy; tied flows add up); its tunnel counters are those of the
    remote-output flows of its encap id (shared by the VIFs of one VTEP)."""
    at = {id(f): i for i, f in enumerate(table0)}
    ingress = {port: tuple(at[id(f)] for f in tied) for port, tied in ingress_flows(table0).items()}
    tunnels = {o for f in remote for o in f.outputs()}
    tunnel: dict[int | None, list[int]] = {}
    for i, f in enumerate(remote):
        for r in remote_outputs((f,), tunnels):
            tunnel.setdefault(r.encap_id, []).append(i)
    return CounterSources(ingress, {k: tuple(v) for k, v in tunnel.items()})


def _sum(flows: tuple[Flow, ...], at: tuple[int, ...]) -> tuple[int, int]:
    packets = nbytes = 0
    for i in at:
        entry = flows[i].entry
        packets += entry.packet_count
        nbytes += entry.byte_count
    return packets, nbytes


def _counters(result: VerifyResult, table0: tuple[Flow, ...], remote: tuple[Flow, ...],
              sources: CounterSources) -> dict[str, Counters]:
    """Per VIF: the counters of the flows ``sources`` names, as just read."""
    by_port = {port: _sum(table0, at) for port, at in sources.ingress.items()}
    by_id = {encap_id: _sum(remote, at) for encap_id, at in sources.tunnel.items()}
    out = {}
    for p in result.paths:
        packets, nbytes = by_port.get(p.ofport or -1, (0, 0))
        tp, tb = by_id.get(p.encap_id, (0, 0))
        out[p.interface] = Counters(packets, nbytes, tp, tb)
    return out


def _switches(sb: SbRows | None) -> Mapping[str, str]:
    """iface-id -> logical switch name (Datapath_Binding external_ids:name)."""
    if sb is None:
        return {}
    names = {d.uuid: d.external_ids.get("name") for d in sb.datapaths}
    return {pb.logical_port: str(names[pb.datapath]) for pb in sb.port_bindings if names.get(pb.datapath)}
