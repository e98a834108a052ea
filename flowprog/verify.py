"""``mvtep verify``'s rules: pure functions over a snapshot of one node.

Inputs are the node's OVSDB configuration, its decoded table-0 and
remote-output flows, and (when reachable) the southbound bindings.  The
result says, per local VIF, which encap id table 0 loads, which VTEP IP that
id stands for on the wire, and which tunnel ports its traffic leaves through,
plus every finding (codes in the README).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowprog.encapids import encap_ids, id_of
from flowprog.flowroles import RemoteOutput, VifIngress, remote_outputs, vif_ingress
from flowprog.flows import Flow
from flowprog.nodeconfig import NodeConfig, TunnelPort, Vif
from flowprog.sbstate import SbState
from mvcore.findings import Finding, Severity, sort_findings

__all__ = ["Tunnel", "VifPath", "VerifyResult", "verify"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True, slots=True)
class Tunnel:
    remote_chassis: str | None
    local_ip: str | None
    remote_ip: str | None
    ofport: int | None
    interface: str


@dataclass(frozen=True, slots=True)
class VifPath:
    interface: str
    iface_id: str
    ofport: int | None
    configured_encap_ip: str | None
    encap_id: int | None  # loaded by table 0; None when no flow loads one
    vtep_ip: str | None  # what that id stands for on the wire
    tunnels: tuple[Tunnel, ...]
    unreachable: tuple[str, ...] = ()  # remote ports this VIF's VTEP has no tunnel flow to


@dataclass(frozen=True, slots=True)
class VerifyResult:
    chassis: str | None
    encap_ips: dict[int, str]  # id -> IP as the flows show it (else as OVN would number them)
    expected_encap_ips: dict[int, str]  # id -> IP by OVN's numbering of the configuration
    remote_output_table: int | None
    per_vtep: bool | None  # None: nothing on the node tells
    sb_checked: bool
    paths: tuple[VifPath, ...]
    findings: tuple[Finding, ...] = field(default=())


def _vif_finding(vif: Vif, code: str, sev: Severity, message: str, hint: str = "") -> Finding:
    return Finding(code, sev, message, hint, interface=vif.name, iface_id=vif.iface_id)


def _config_findings(node: NodeConfig) -> list[Finding]:
    out = []
    n = len(node.encap_ips)
    if n == 0:
        out.append(Finding("encap-ip-missing", E, "Open_vSwitch external_ids:ovn-encap-ip is not set",
                           "set it to the node's VTEP IPs: ovs-vsctl set Open_vSwitch . "
                           'external_ids:ovn-encap-ip="IP1,IP2"'))
    elif n == 1:
        out.append(Finding("single-vtep", I, f"one VTEP IP configured ({node.encap_ips[0]}): no per-VF selection",
                           "list every NIC's VTEP IP in external_ids:ovn-encap-ip for multi-VTEP"))
    mapping = node.pf_mapping
    for bad in mapping.malformed:
        out.append(Finding("pf-mapping-invalid", E, f"ovn-pf-encap-ip-mapping item {bad!r} is not PF:IP",
                           "write it as PF1:IP1,PF2:IP2", subject=bad))
    by_ip: dict[str, list[str]] = defaultdict(list)
    for pf, ip in mapping.pairs:
        by_ip[ip].append(pf)
        if ip not in node.encap_ips:
            out.append(Finding("pf-mapping-invalid", E, f"ovn-pf-encap-ip-mapping maps {pf} to {ip}, "
                               "which is not in ovn-encap-ip", f"add {ip} to ovn-encap-ip or fix the mapping",
                               subject=pf))
    for ip, pfs in by_ip.items():
        if len(pfs) > 1:
            out.append(Finding("pf-mapping-invalid", E, f"ovn-pf-encap-ip-mapping maps {', '.join(pfs)} to one "
                               f"VTEP {ip}", "give each PF its own VTEP IP", subject=ip))
    if node.encap_ip_default and node.encap_ip_default not in node.encap_ips:
        out.append(Finding("encap-default-unknown", W, f"ovn-encap-ip-default {node.encap_ip_default} is not in "
                           "ovn-encap-ip: OVN ignores it", "make it one of the ovn-encap-ip addresses"))
    return out


def _observed_ids(remote: Iterable[RemoteOutput], tunnels: dict[int, TunnelPort]) -> dict[int, set[str]]:
    seen: dict[int, set[str]] = defaultdict(set)
    for r in remote:
        if r.encap_id is None:
            continue
        for port in r.ofports:
            ip = r.tun_src or (tunnels[port].local_ip if port in tunnels else None)
            if ip and ip != "flow":
                seen[r.encap_id].add(ip)
    return seen


def _tunnel(r: RemoteOutput, port: int, tunnels: dict[int, TunnelPort], sb: SbState | None) -> Tunnel:
    t = tunnels[port]
    binding = sb.at(r.datapath_key, r.port_key) if sb else None
    # A flow-based tunnel port serves every chassis: the binding says which.
    named = None if t.remote_ip == "flow" else t.remote_chassis
    return Tunnel(remote_chassis=named or (binding.chassis if binding else None),
                  local_ip=r.tun_src or t.local_ip, remote_ip=r.tun_dst or t.remote_ip, ofport=t.ofport,
                  interface=t.name)


def verify(node: NodeConfig, table0: Iterable[Flow], remote_flows: Iterable[Flow], sb: SbState | None,
           sb_error: str | None = None) -> VerifyResult:
    """Check the node; see the module docstring."""
    findings = _config_findings(node)
    expected = encap_ids(node.encap_ips, node.encap_ip_default)
    tunnels = {t.ofport: t for t in node.tunnels if t.ofport}
    ingress = vif_ingress(table0, [v.ofport for v in node.vifs if v.ofport])
    remote = remote_outputs(remote_flows, tunnels)
    observed = _observed_ids(remote, tunnels)
    shown = {k: sorted(v)[0] for k, v in observed.items()} or dict(expected)
    per_vtep = _per_vtep(node, ingress.values(), remote)
    if len(node.encap_ips) > 1 and per_vtep is False:
        findings.append(Finding(
            "multi-vtep-unsupported", E,
            f"{len(node.encap_ips)} VTEP IPs are configured but ovn-controller selects no VTEP per port "
            "(tunnels without local_ip, table 0 loads all of reg13)",
            "per-port VTEP selection needs OVN newer than 24.03.2: upgrade ovn-controller"))
    paths = []
    by_id: dict[int | None, tuple[Tunnel, ...]] = {}  # the tunnels depend on the encap id alone
    for vif in node.vifs:
        findings += _vif_findings(node, vif, expected, ingress.get(vif.ofport or -1), per_vtep)
        flow = ingress.get(vif.ofport or -1)
        k = flow.encap_id if flow else None
        if k not in by_id:
            chosen = [r for r in remote if per_vtep is False or r.encap_id == (k or 0)]
            by_id[k] = tuple(sorted({_tunnel(r, p, tunnels, sb) for r in chosen for p in r.ofports},
                                    key=lambda t: (t.remote_chassis or "", t.remote_ip or "", t.local_ip or "")))
        paths.append(VifPath(vif.name, vif.iface_id, vif.ofport, vif.encap_ip, k,
                             shown.get(k) if k is not None else None, by_id[k]))
    gaps: dict[int, set[str]] = defaultdict(set)
    if per_vtep:
        findings += _remote_findings(node, expected, remote, tunnels, ingress.values(), sb, gaps)
        paths = [dataclasses.replace(p, unreachable=tuple(sorted(gaps.get(p.encap_id or 0, ())))) for p in paths]
    if sb is None:
        findings.append(Finding("sb-unreachable", I, f"southbound DB not read ({sb_error or 'no ovn-remote'}): "
                                "destination checks skipped",
                                "give --sb (and --sb-* for ssl) to check remote ports' VTEPs"))
    tables = {r.table for r in remote}
    return VerifyResult(node.chassis, shown, expected, min(tables) if tables else None, per_vtep, sb is not None,
                        tuple(paths), sort_findings(findings))


def _per_vtep(node: NodeConfig, ingress: Iterable[VifIngress], remote: list[RemoteOutput]) -> bool | None:
    flows = list(ingress)
    if any(r.encap_id is not None for r in remote) or any(f.encap_id is not None for f in flows):
        return True
    if remote or flows or any(t.local_ip is None for t in node.tunnels):
        return False
    return None


def _vif_findings(node: NodeConfig, vif: Vif, expected: dict[int, str], flow: VifIngress | None,
                  per_vtep: bool | None) -> list[Finding]:
    out = []
    multi = len(node.encap_ips) > 1
    if vif.encap_ip is None and vif.misnamed_encap_ip is not None:
        out.append(_vif_finding(
            vif, "encap-key-misnamed", E,
            f"{vif.name} has external_ids:ovn-encap-ip={vif.misnamed_encap_ip}, a key OVN does not read: "
            "it uses the default VTEP",
            f"ovs-vsctl set Interface {vif.name} external_ids:encap-ip={vif.misnamed_encap_ip}"))
    elif vif.encap_ip is None and multi:
        out.append(_vif_finding(
            vif, "encap-ip-unset", W, f"{vif.name} has no external_ids:encap-ip: it uses the default VTEP "
            f"{expected.get(0)}", "set the VTEP of its PF (ovn-pf-encap-ip-mapping), as ovnkube-node does"))
    if vif.encap_ip is not None and vif.encap_ip not in node.encap_ips:
        out.append(_vif_finding(
            vif, "encap-ip-unknown", E, f"{vif.name} has encap-ip {vif.encap_ip}, which is not a VTEP of this chassis "
            f"({', '.join(node.encap_ips) or 'none'}): OVN uses the default VTEP",
            "set encap-ip to one of ovn-encap-ip, or add the IP to ovn-encap-ip"))
    if vif.ofport is None or vif.ofport < 0:
        out.append(_vif_finding(vif, "vif-no-ofport", E, f"{vif.name} has no OpenFlow port number",
                                "check the interface exists: ovs-vsctl list Interface " + vif.name))
    elif flow is None:
        out.append(_vif_finding(
            vif, "vif-not-programmed", E, f"table 0 has no ingress flow for {vif.name} (in_port={vif.ofport})",
            f"is {vif.iface_id} a logical port claimed by this chassis? see ovn-controller's log"))
    elif per_vtep and flow.encap_id is not None:
        want = id_of(expected, vif.encap_ip if vif.encap_ip in node.encap_ips else None)
        if flow.encap_id != want:
            out.append(_vif_finding(
                vif, "encap-id-mismatch", E,
                f"table 0 loads encap id {flow.encap_id} ({expected.get(flow.encap_id, '?')}) for {vif.name}, "
                f"but its VTEP {vif.encap_ip or 'default'} is id {want} ({expected.get(want)})",
                "ovn-controller's flows are stale or were changed: restart ovn-controller or recompute "
                "(ovn-appctl -t ovn-controller recompute)"))
    return out


def _remote_findings(node: NodeConfig, expected: dict[int, str], remote: list[RemoteOutput],
                     tunnels: dict[int, TunnelPort], ingress: Iterable[VifIngress],
                     sb: SbState | None, gaps: dict[int, set[str]]) -> list[Finding]:
    """Findings about remote output; ``gaps`` collects, per encap id, the
    remote ports its VIFs cannot reach."""
    out = []
    by_port: dict[tuple[int, int], set[int]] = defaultdict(set)
    for r in remote:
        if r.encap_id is not None:
            by_port[(r.datapath_key, r.port_key)].add(r.encap_id)
        binding = sb.at(r.datapath_key, r.port_key) if sb else None
        name = binding.logical_port if binding else f"port {r.port_key} of datapath {r.datapath_key}"
        for port in r.ofports:
            t = tunnels[port]
            local = r.tun_src or t.local_ip
            want = expected.get(r.encap_id) if r.encap_id is not None else None
            if want and local != want:
                out.append(Finding(
                    "tunnel-local-ip-mismatch", E,
                    f"traffic of encap id {r.encap_id} ({want}) to {name} leaves through {t.name}, whose local_ip "
                    f"is {local}", "ovn-controller's flows or tunnel ports are stale: recompute or restart it",
                    subject=t.name))
            remote_ip = r.tun_dst or t.remote_ip
            if binding and binding.encap_ip and remote_ip != binding.encap_ip:
                out.append(Finding(
                    "tunnel-remote-ip-mismatch", E,
                    f"traffic to {name} leaves through {t.name} to {remote_ip}, but its Port_Binding.encap is "
                    f"{binding.encap_ip}", f"the remote port's VTEP on {binding.chassis} is {binding.encap_ip}",
                    subject=t.name))
            elif binding and not binding.encap_ip and remote_ip not in sb.chassis_encaps.get(binding.chassis, ()):  # type: ignore[union-attr]
                out.append(Finding(
                    "tunnel-remote-ip-mismatch", E,
                    f"traffic to {name} leaves through {t.name} to {remote_ip}, not an encap of {binding.chassis}",
                    "", subject=t.name))
    for (dp, port), ids in sorted(by_port.items()):
        missing = sorted(set(expected) - ids)
        if missing:
            binding = sb.at(dp, port) if sb else None
            name = binding.logical_port if binding else f"port {port} of datapath {dp}"
            for k in missing:
                gaps[k].add(name)
            out.append(Finding(
                "tunnel-missing", E, f"no remote-output flow to {name} for encap id(s) "
                f"{', '.join(f'{k} ({expected[k]})' for k in missing)}",
                "a tunnel port from that VTEP to the remote chassis is missing: check ovn-controller's log",
                subject=name))
    if sb is not None:
        out += _unreached_bindings(node, expected, by_port, ingress, sb, gaps)
    return out


def _unreached_bindings(node: NodeConfig, expected: dict[int, str], by_port: dict[tuple[int, int], set[int]],
                        ingress: Iterable[VifIngress], sb: SbState, gaps: dict[int, set[str]]) -> list[Finding]:
    """Remote VIFs on this node's datapaths that no flow reaches, and
    (local VTEP, remote VTEP) pairs with no tunnel port."""
    out = []
    local_dps = {f.datapath_key for f in ingress if f.datapath_key is not None}
    pairs = {(t.local_ip, t.remote_ip) for t in node.tunnels}
    for b in sb.remote(node.chassis):
        if b.type or b.datapath_key not in local_dps:
            continue
        if (b.datapath_key, b.port_key) not in by_port:
            for k in expected:
                gaps[k].add(b.logical_port)
            out.append(Finding("tunnel-missing", E, f"no remote-output flow reaches {b.logical_port} on {b.chassis}",
                               "check the tunnel ports to that chassis and ovn-controller's log",
                               subject=b.logical_port))
            continue
        remotes = [b.encap_ip] if b.encap_ip else list(sb.chassis_encaps.get(b.chassis, ()))
        for k, ip in expected.items():
            if not any((ip, r) in pairs for r in remotes) and not any(t.local_ip == "flow" for t in node.tunnels):
                gaps[k].add(b.logical_port)
                out.append(Finding("tunnel-missing", E, f"no tunnel port from {ip} to {b.chassis} "
                                   f"({', '.join(remotes)}) for {b.logical_port}",
                                   "ovn-controller creates one per (local VTEP, remote encap): check its log",
                                   subject=b.logical_port))
    return out

