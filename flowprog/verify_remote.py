"""``mvtep verify``'s destination rules: where each remote-output flow sends
a local encap id's traffic, against the tunnel ports OVS has and the
bindings the southbound DB holds.  Pure.

What OVN does (controller/physical.c ``get_remote_tunnels`` /
``get_port_binding_tun``, controller/local_data.c ``chassis_tunnel_find``):
for local encap id k it looks for the tunnel to the port's chassis whose
local IP is id k's and whose remote IP is the port's ``Port_Binding.encap``
(any of the chassis' encaps when that is empty); when there is none, it
silently takes *any* tunnel to that chassis.  A tunnel OVS could not create
(``Interface error``, ``ofport`` -1) is not one ovn-controller can use, so
the usual cause of traffic leaving from another local VTEP is a failed
tunnel port, not stale flows.  A port with additional chassis (live
migration) gets one more tunnel output, to the additional chassis, in the
same flow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowprog.encapids import EncapIds
from flowprog.flowroles import RemoteOutput, VifIngress
from flowprog.nodeconfig import NodeConfig, TunnelPort
from flowprog.sbstate import Binding, SbState
from mvcore.findings import Finding, Severity

__all__ = ["RemoteContext", "remote_findings", "destination_findings"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True, slots=True)
class RemoteContext:
    node: NodeConfig
    numbering: EncapIds  # the ids the checks expect
    remote: list[RemoteOutput]
    tunnels: dict[int, TunnelPort]  # by ofport
    sb: SbState | None
    check_missing: bool = True  # False when flows of the remote-output tables could not be decoded
    gaps: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))  # encap id -> unreachable ports

    def name_of(self, binding: Binding | None, dp: int, port: int) -> str:
        return binding.logical_port if binding else f"port {port} of datapath {dp}"


def _tunnel_between(node: NodeConfig, local: str | None, remote: str | None) -> TunnelPort | None:
    return next((t for t in node.tunnels if t.local_ip == local and t.remote_ip == remote), None)


def _fallback_hint(node: NodeConfig, local: str, remote_ip: str | None, chassis: str | None) -> str:
    """Why OVN used another tunnel than the one from ``local`` to ``remote_ip``
    (None: any encap of ``chassis``), in words a person acts on."""
    if remote_ip is not None:
        wanted = _tunnel_between(node, local, remote_ip)
    else:
        wanted = next((t for t in node.tunnels if t.local_ip == local and t.remote_chassis == chassis), None)
    if wanted is not None and wanted.failed:
        return (f"OVS could not create the tunnel port {wanted.name} from {local} to {wanted.remote_ip} "
                f"({wanted.error or 'ofport -1'}), so OVN fell back to another tunnel to that chassis: fix what "
                "OVS reports (ovs-vsctl list Interface " + wanted.name + ")")
    if wanted is None:
        return (f"there is no tunnel port from {local} to {remote_ip or chassis}, so OVN fell back to another "
                "tunnel to that chassis (ovn-controller logs \"Failed to locate tunnel\" or a failed "
                "transaction): see ovn-controller's log")
    return "ovn-controller's flows or tunnel ports are stale: recompute (ovn-appctl -t ovn-controller recompute)"


def _remote_ip_finding(ctx: RemoteContext, r: RemoteOutput, t: TunnelPort, binding: Binding,
                       want: str | None) -> Finding | None:
    """``want``: the local VTEP of the flow's encap id (None: no per-VTEP id)."""
    remote_ip = r.tun_dst or t.remote_ip
    name = binding.logical_port
    sb = ctx.sb
    assert sb is not None
    # A port-based tunnel names its chassis; a second output to an additional chassis is right.
    if t.remote_chassis and t.remote_chassis != binding.chassis and t.remote_chassis in binding.additional_chassis:
        if remote_ip in sb.chassis_encaps.get(t.remote_chassis, ()):
            return None
        return Finding("tunnel-remote-ip-mismatch", E,
                       f"traffic to {name} leaves through {t.name} to {remote_ip}, not an encap of its additional "
                       f"chassis {t.remote_chassis}", "", subject=t.name)
    if binding.encap_ip and remote_ip != binding.encap_ip:
        local = want or r.tun_src or t.local_ip  # the tunnel OVN looked for first
        wanted = _tunnel_between(ctx.node, local, binding.encap_ip)
        hint = (f"the remote port's VTEP on {binding.chassis} is {binding.encap_ip}" if wanted and not wanted.failed
                else _fallback_hint(ctx.node, local or "?", binding.encap_ip, binding.chassis))
        return Finding("tunnel-remote-ip-mismatch", E,
                       f"traffic to {name} leaves through {t.name} to {remote_ip}, but its Port_Binding.encap is "
                       f"{binding.encap_ip}", hint, subject=t.name)
    if not binding.encap_ip and remote_ip not in sb.chassis_encaps.get(binding.chassis, ()):
        return Finding("tunnel-remote-ip-mismatch", E,
                       f"traffic to {name} leaves through {t.name} to {remote_ip}, not an encap of {binding.chassis}",
                       "", subject=t.name)
    return None


def remote_findings(ctx: RemoteContext, ingress: Iterable[VifIngress]) -> list[Finding]:
    """Findings about remote output; ``ctx.gaps`` collects, per encap id, the
    remote ports its VIFs cannot reach."""
    out = []
    node, sb = ctx.node, ctx.sb
    expected = ctx.numbering.ids
    by_port: dict[tuple[int, int], set[int]] = defaultdict(set)
    for r in ctx.remote:
        if r.encap_id is not None:
            by_port[(r.datapath_key, r.port_key)].add(r.encap_id)
        binding = sb.at(r.datapath_key, r.port_key) if sb else None
        name = ctx.name_of(binding, r.datapath_key, r.port_key)
        for port in r.ofports:
            t = ctx.tunnels[port]
            local = r.tun_src or t.local_ip
            want = ctx.numbering.ip_of(r.encap_id)
            # The additional chassis' tunnel has the same local IP: it is checked like the main one.
            if want and local != want:
                chassis = t.remote_chassis or (binding.chassis if binding else None)
                desired = binding.encap_ip if binding is not None and chassis == binding.chassis else None
                out.append(Finding(
                    "tunnel-local-ip-mismatch", E,
                    f"traffic of encap id {r.encap_id} ({want}) to {name} leaves through {t.name}, whose local_ip "
                    f"is {local}", _fallback_hint(node, want, desired, chassis), subject=t.name))
            if binding is not None:
                found = _remote_ip_finding(ctx, r, t, binding, want)
                if found is not None:
                    out.append(found)
    if ctx.check_missing:
        for (dp, port), ids in sorted(by_port.items()):
            missing = sorted(set(expected) - ids)
            if missing:
                binding = sb.at(dp, port) if sb else None
                name = ctx.name_of(binding, dp, port)
                for k in missing:
                    ctx.gaps[k].add(name)
                out.append(Finding(
                    "tunnel-missing", E, f"no remote-output flow to {name} for encap id(s) "
                    f"{', '.join(f'{k} ({expected[k]})' for k in missing)}",
                    "OVN skips the flow when it finds no tunnel at all to that chassis: check the tunnel ports "
                    "from that VTEP and ovn-controller's log", subject=name))
        if sb is not None:
            out += _unreached_bindings(ctx, by_port, ingress, sb)
    return out


def _unreached_bindings(ctx: RemoteContext, by_port: dict[tuple[int, int], set[int]],
                        ingress: Iterable[VifIngress], sb: SbState) -> list[Finding]:
    """Remote VIFs on this node's datapaths that no flow reaches, and
    (local VTEP, remote VTEP) pairs with no usable tunnel port."""
    out = []
    node = ctx.node
    expected = ctx.numbering.ids
    local_dps = {f.datapath_key for f in ingress if f.datapath_key is not None}
    usable = {(t.local_ip, t.remote_ip) for t in node.tunnels if not t.failed}
    failed = {(t.local_ip, t.remote_ip): t for t in node.tunnels if t.failed}
    flow_based = any(t.flow_based and not t.failed for t in node.tunnels)
    for b in sb.remote(node.chassis):
        # VIFs of other chassis; "remote" ports are other zones' pods (ovn-kubernetes interconnect)
        if b.type not in ("", "remote") or b.datapath_key not in local_dps:
            continue
        if (b.datapath_key, b.port_key) not in by_port:
            for k in expected:
                ctx.gaps[k].add(b.logical_port)
            out.append(Finding("tunnel-missing", E, f"no remote-output flow reaches {b.logical_port} on {b.chassis}",
                               "check the tunnel ports to that chassis and ovn-controller's log",
                               subject=b.logical_port))
            continue
        if flow_based:
            continue  # one flow-based port serves every (local, remote) pair
        remotes = [b.encap_ip] if b.encap_ip else list(sb.chassis_encaps.get(b.chassis, ()))
        for k, ip in expected.items():
            if any((ip, r) in usable for r in remotes):
                continue
            ctx.gaps[k].add(b.logical_port)
            broken = [failed[(ip, r)] for r in remotes if (ip, r) in failed]
            why = (f"OVS could not create {broken[0].name} ({broken[0].error or 'ofport -1'})" if broken else
                   "ovn-controller creates one per (local VTEP, remote encap): check its log")
            out.append(Finding("tunnel-missing", E, f"no tunnel port from {ip} to {b.chassis} "
                               f"({', '.join(remotes)}) for {b.logical_port}", why, subject=b.logical_port))
    return out


def destination_findings(node: NodeConfig, remote: list[RemoteOutput], sb: SbState | None) -> list[Finding]:
    """Whether OVN selects the destination VTEP at all: a remote port with no
    ``Port_Binding.encap`` on a chassis with several encaps goes to whichever
    tunnel OVN finds first; in ovn-kubernetes interconnect mode no remote
    port has one (OKEP-5535), which is said once instead."""
    if sb is None:
        return []
    reached = {(r.datapath_key, r.port_key) for r in remote}
    bindings = [b for b in (sb.at(dp, port) for dp, port in sorted(reached)) if b is not None]
    zone = sorted(sb.remote_zone)
    if node.interconnect or zone:
        why = "ovn-is-interconn=true" if node.interconnect else f"{len(zone)} remote-zone chassis (is-remote=true)"
        return [Finding(
            "interconnect-mode", I,
            f"ovn-kubernetes interconnect mode ({why}): remote ports carry no Port_Binding.encap, so OVN does not "
            "select the destination VTEP; traffic to a node with several VTEPs leaves through any of its tunnels",
            "destination-VTEP selection in interconnect mode is ovn-kubernetes OKEP-5535 (not released yet)")]
    unset: dict[str, list[str]] = defaultdict(list)
    for b in bindings:
        if not b.encap_ip and len(sb.chassis_encaps.get(b.chassis, ())) > 1:
            unset[b.chassis].append(b.logical_port)
    out = []
    for chassis, ports in sorted(unset.items()):
        shown = ", ".join(ports[:3]) + (f" and {len(ports) - 3} more" if len(ports) > 3 else "")
        out.append(Finding(
            "remote-encap-unset", W,
            f"{len(ports)} remote port(s) on {chassis} ({shown}) have no Port_Binding.encap: {chassis} has "
            f"{len(sb.chassis_encaps[chassis])} VTEPs ({', '.join(sb.chassis_encaps[chassis])}) and OVN sends to "
            "whichever tunnel it finds first", f"set encap-ip on those ports' interfaces on {chassis}",
            subject=chassis))
    return out
