"""``mvtep verify``'s rules: pure functions over a snapshot of one node.

Inputs are the node's OVSDB configuration, its decoded table-0 and
remote-output flows (with what could not be decoded), the southbound
bindings when reachable, and the ovn-controller release when the node tells
it (:mod:`flowprog.ovnrelease`).  The result says, per local VIF, which
encap id table 0 loads, which VTEP IP that id stands for on the wire, and
which tunnel ports its traffic leaves through, plus every finding (codes in
the README).

Encap ids are judged by the numbering of the release that programmed the
flows (:mod:`flowprog.encapids`).  When the release is unknown and the
releases number the configuration differently (an ``ovn-encap-ip-default``
that is not the smallest IP as text), the numbering the flows follow best
is taken -- a flow fault still disagrees with it -- and an info finding says
so.  Flows mvtep could not decode are counted and never read as missing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flowprog.encapids import EncapIds, possible_encap_ids
from flowprog.flowroles import RemoteOutput, VifIngress, remote_outputs, vif_ingress
from flowprog.flows import Flow
from flowprog.nodeconfig import NodeConfig, TunnelPort, Vif
from flowprog.ovnrelease import UNKNOWN, Numbering, OvnRelease
from flowprog.sbstate import Binding, SbState
from flowprog.verify_config import config_findings
from flowprog.verify_remote import RemoteContext, destination_findings, remote_findings
from mvcore.findings import Finding, Severity, sort_findings

__all__ = ["Tunnel", "VifPath", "VerifyResult", "verify", "PATH_BREAKING", "PATH_UNKNOWN"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# Findings that decide a VIF's path: these node-level errors break every
# one; flows that could not be decoded (the node's, or the VIF's own) leave
# it unknown.
PATH_BREAKING = frozenset({"multi-vtep-unsupported"})
PATH_UNKNOWN = frozenset({"flows-undecoded", "vif-flows-undecoded"})


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
    release: OvnRelease = UNKNOWN  # what the node said about its ovn-controller
    numbering: Numbering | None = None  # the numbering the checks used (None: no encap id to check)
    undecoded: Mapping[int, tuple[int, str]] = field(default_factory=dict)  # table -> (flows, first reason)


def _vif_finding(vif: Vif, code: str, sev: Severity, message: str, hint: str = "") -> Finding:
    return Finding(code, sev, message, hint, interface=vif.name, iface_id=vif.iface_id)


def _observed_ids(remote: Iterable[RemoteOutput], tunnels: dict[int, TunnelPort]) -> dict[int, set[str]]:
    seen: dict[int, set[str]] = {}
    for r in remote:
        if r.encap_id is None:
            continue
        for port in r.ofports:
            ip = r.tun_src or (tunnels[port].local_ip if port in tunnels else None)
            if ip and ip != "flow":
                seen.setdefault(r.encap_id, set()).add(ip)
    return seen


def _tunnel(r: RemoteOutput, port: int, tunnels: dict[int, TunnelPort], sb: SbState | None) -> Tunnel:
    t = tunnels[port]
    binding = sb.at(r.datapath_key, r.port_key) if sb else None
    # A flow-based tunnel port serves every chassis: the binding says which.
    return Tunnel(remote_chassis=t.remote_chassis or (binding.chassis if binding else None),
                  local_ip=r.tun_src or t.local_ip, remote_ip=r.tun_dst or t.remote_ip, ofport=t.ofport,
                  interface=t.name)


def _choose(candidates: tuple[EncapIds, ...], node: NodeConfig, ingress: Mapping[int, VifIngress],
            remote: list[RemoteOutput], tunnels: dict[int, TunnelPort]) -> EncapIds:
    """The candidate numbering the flows agree with most (the first on a tie)."""
    if len(candidates) == 1:  # the release is known, or its numberings agree: nothing to weigh
        return candidates[0]

    def score(c: EncapIds) -> int:
        hits = 0
        for r in remote:
            for port in r.ofports if r.encap_id is not None else ():
                hits += c.ip_of(r.encap_id) == (r.tun_src or (tunnels[port].local_ip if port in tunnels else None))
        for vif in node.vifs:
            flow = ingress.get(vif.ofport or -1)
            if flow is not None and flow.encap_id is not None:
                hits += c.id_of(vif.encap_ip) == flow.encap_id
        return hits
    return max(candidates, key=score)  # max keeps the first of equals


def _per_vtep(node: NodeConfig, ingress: Iterable[VifIngress], remote: list[RemoteOutput]) -> bool | None:
    flows = list(ingress)
    if any(r.encap_id is not None for r in remote) or any(f.encap_id is not None for f in flows):
        return True
    if remote or flows or any(t.local_ip is None for t in node.tunnels):
        return False
    return None


def _unsupported(node: NodeConfig, release: OvnRelease) -> Finding:
    locals_ = sorted({t.local_ip for t in node.tunnels if t.local_ip and not t.flow_based})
    tunnels = (f"every tunnel leaves from {locals_[0]}" if len(locals_) == 1 else
               "tunnels without local_ip" if not locals_ else "no tunnel per local VTEP")
    running = f" (this node runs OVN {release.text})" if release.known else ""
    return Finding(
        "multi-vtep-unsupported", E,
        f"{len(node.encap_ips)} VTEP IPs are configured but ovn-controller selects no VTEP per port: table 0 loads "
        f"all of reg13 and {tunnels}", f"per-port VTEP selection needs OVN 24.03.0 or newer{running}: upgrade "
        "ovn-controller")


def _undecoded_finding(undecoded: Mapping[int, tuple[int, str]], unsplit: str | None) -> Finding:
    parts = [f"{n} flow(s) of table {t}" for t, (n, _r) in sorted(undecoded.items())]
    reason = next(iter(r for _n, r in undecoded.values()), None) or unsplit
    if unsplit:
        parts.append("part of a flow-stats reply")
    return Finding(
        "flows-undecoded", E,
        f"mvtep could not decode {' and '.join(parts)} ({reason}): the checks that need them are skipped, and "
        "nothing they might hold is reported missing",
        "this is mvtep's decoder, not OVN: send a support bundle (mvtep collect) with the mvtep version")


def verify(node: NodeConfig, table0: Iterable[Flow], remote_flows: Iterable[Flow], sb: SbState | None,
           sb_error: str | None = None, *, release: OvnRelease = UNKNOWN,
           undecoded: Mapping[int, tuple[int, str]] | None = None, unsplit: str | None = None,
           representors: frozenset[str] | None = None) -> VerifyResult:
    """Check the node; see the module docstring.  ``representors`` are the VF
    and SF representors sysfs shows (None: sysfs was not read)."""
    undecoded = dict(undecoded or {})
    tunnels = {t.ofport: t for t in node.tunnels if t.ofport and t.ofport > 0}
    ingress = vif_ingress(table0, [v.ofport for v in node.vifs if v.ofport])
    remote = remote_outputs(remote_flows, tunnels)
    per_vtep = _per_vtep(node, ingress.values(), remote)
    known = release if release.numbering not in (None, Numbering.NONE) or per_vtep is False else UNKNOWN
    candidates = possible_encap_ids(node.encap_ips, node.encap_ip_default,
                                    Numbering.NONE if per_vtep is False else known)
    numbering = _choose(candidates, node, ingress, remote, tunnels)
    findings = config_findings(node, release, numbering, sb)
    observed = _observed_ids(remote, tunnels)
    shown = {k: sorted(v)[0] for k, v in sorted(observed.items())} or numbering.ids
    if len(node.encap_ips) > 1 and per_vtep is False:
        findings.append(_unsupported(node, release))
    if len(candidates) > 1:
        findings.append(Finding(
            "ovn-release-unknown", I,
            f"the ovn-controller release is unknown ({release.why_unknown or 'nothing on the node says'}) and "
            f"releases number these VTEPs differently: judged by the flows, which follow "
            f"{numbering.numbering.words}",
            "give mvtep access to ovn-controller's control socket (OVN_RUNDIR) to check against its release"))
    if undecoded or unsplit:
        findings.append(_undecoded_finding(undecoded, unsplit))
    representor = _representor_test(node, representors)
    bound = {b.logical_port: b for b in sb.bindings} if sb is not None else {}
    paths = []
    by_id: dict[int | None, tuple[Tunnel, ...]] = {}  # the tunnels depend on the encap id alone
    for vif in node.vifs:
        flow = ingress.get(vif.ofport or -1)
        findings += _vif_findings(node, vif, numbering, flow, per_vtep, 0 in undecoded, representor(vif),
                                  bound.get(vif.iface_id))
        k = flow.encap_id if flow else None
        if k not in by_id:
            chosen = [r for r in remote if per_vtep is False or r.encap_id == (k or 0)]
            by_id[k] = tuple(sorted({_tunnel(r, p, tunnels, sb) for r in chosen for p in r.ofports},
                                    key=lambda t: (t.remote_chassis or "", t.remote_ip or "", t.local_ip or "")))
        paths.append(VifPath(vif.name, vif.iface_id, vif.ofport, vif.encap_ip, k,
                             shown.get(k) if k is not None else None, by_id[k]))
    findings += _default_vtep_summary(node, numbering, representor)
    if per_vtep:
        ctx = RemoteContext(node, numbering, remote, tunnels, sb,
                            check_missing=not unsplit and not (set(undecoded) - {0}) and not (undecoded and not remote))
        findings += remote_findings(ctx, ingress.values())
        paths = [dataclasses.replace(p, unreachable=tuple(sorted(ctx.gaps.get(p.encap_id or 0, ())))) for p in paths]
    findings += _tunnel_port_findings(node)
    findings += destination_findings(node, remote, sb)
    if sb is None:
        findings.append(Finding("sb-unreachable", I, f"southbound DB not read ({sb_error or 'no ovn-remote'}): "
                                "destination checks skipped",
                                "give --sb (and --sb-* for ssl) to check remote ports' VTEPs"))
    tables = {r.table for r in remote}
    return VerifyResult(node.chassis, shown, numbering.ids, min(tables) if tables else None, per_vtep,
                        sb is not None, tuple(paths), sort_findings(findings), release,
                        numbering.numbering if per_vtep is not False else Numbering.NONE, undecoded)


def _representor_test(node: NodeConfig, representors: frozenset[str] | None) -> Callable[[Vif], bool]:
    def test(vif: Vif) -> bool:
        if representors is not None and vif.name in representors:
            return True
        return node.is_representor(vif) is True
    return test


def _tunnel_port_findings(node: NodeConfig) -> list[Finding]:
    out = []
    for t in (*node.tunnels, *node.evpn_ports):
        if t.failed:
            out.append(Finding(
                "tunnel-port-failed", E,
                f"OVS could not create the tunnel port {t.name} (local {t.local_ip}, remote {t.remote_ip}): "
                f"{t.error or 'ofport -1'}", "OVN falls back to another tunnel to that chassis, from another VTEP: "
                "fix what OVS reports (a local_ip that is no address, a port that exists twice...)",
                subject=t.name))
    return out


def _default_vtep_summary(node: NodeConfig, numbering: EncapIds, representor: Callable[[Vif], bool]) -> list[Finding]:
    """One line for the VIFs that are not representors and have no encap-ip:
    veth pods and the management port use the default VTEP by design
    (ovnkube-node sets encap-ip only for a pod with a PCI/SF device)."""
    if len(node.encap_ips) < 2:
        return []
    others = [v.name for v in node.vifs if v.encap_ip is None and v.misnamed_encap_ip is None and not representor(v)]
    if not others:
        return []
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    return [Finding("vifs-on-default-vtep", I,
                    f"{len(others)} VIF(s) that are not VF representors have no encap-ip ({shown}) and use the "
                    f"default VTEP {numbering.ip_of(numbering.default_id) or '-'}, as ovn-kubernetes intends for "
                    "veth pods and the management port")]


def _migrating(node: NodeConfig, binding: Binding | None) -> bool:
    """Bound here only as an additional chassis (a live migration to this node)."""
    return binding is not None and binding.chassis != node.chassis and node.chassis in binding.additional_chassis


def _vif_findings(node: NodeConfig, vif: Vif, numbering: EncapIds, flow: VifIngress | None, per_vtep: bool | None,
                  table0_undecoded: bool, representor: bool, binding: Binding | None = None) -> list[Finding]:
    out = []
    migrating = _migrating(node, binding)
    multi = len(node.encap_ips) > 1
    default_ip = numbering.ip_of(numbering.default_id)
    if vif.encap_ip is None and vif.misnamed_encap_ip is not None:
        out.append(_vif_finding(
            vif, "encap-key-misnamed", E,
            f"{vif.name} has external_ids:ovn-encap-ip={vif.misnamed_encap_ip}, a key OVN does not read: "
            "it uses the default VTEP",
            f"ovs-vsctl set Interface {vif.name} external_ids:encap-ip={vif.misnamed_encap_ip}"))
    elif vif.encap_ip is None and multi and representor:
        out.append(_vif_finding(
            vif, "encap-ip-unset", W, f"{vif.name} is a VF representor with no external_ids:encap-ip: it uses the "
            f"default VTEP {default_ip}", "set the VTEP of its PF (ovn-pf-encap-ip-mapping), as ovnkube-node does"))
    if vif.encap_ip is not None and vif.encap_ip not in node.encap_ips:
        spaced = [e for e in node.encap_ips if e.strip() == vif.encap_ip]
        hint = (f"ovn-encap-ip holds it as {spaced[0]!r}: remove the space" if spaced else
                "set encap-ip to one of ovn-encap-ip, or add the IP to ovn-encap-ip")
        out.append(_vif_finding(
            vif, "encap-ip-unknown", E, f"{vif.name} has encap-ip {vif.encap_ip}, which is not a VTEP of this chassis "
            f"({', '.join(map(repr, node.encap_ips)) or 'none'}): OVN uses encap id 0, "
            f"{numbering.ip_of(0) or 'the default VTEP'}", hint))
    if vif.ofport is None or vif.ofport < 0:
        out.append(_vif_finding(vif, "vif-no-ofport", E, f"{vif.name} has no OpenFlow port number",
                                "check the interface exists: ovs-vsctl list Interface " + vif.name))
    elif flow is None and table0_undecoded:
        out.append(_vif_finding(
            vif, "vif-flows-undecoded", W, f"no decoded table-0 flow for {vif.name} (in_port={vif.ofport}), and "
            "table 0 holds flows mvtep could not decode: not checked"))
    elif flow is None:
        out.append(_vif_finding(
            vif, "vif-not-programmed", E, f"table 0 has no ingress flow for {vif.name} (in_port={vif.ofport})",
            f"is {vif.iface_id} a logical port claimed by this chassis? see ovn-controller's log"))
    elif per_vtep and flow.encap_id is not None:
        # Table 0 loads the id of Port_Binding.encap (physical.c load_logical_ingress_metadata); while the
        # port is bound to another chassis and only additionally here, that encap is the other chassis'.
        want = numbering.id_of(vif.encap_ip)
        if migrating and binding is not None:
            want = numbering.id_of(binding.encap_ip) if binding.encap_ip in node.encap_ips else 0
            out.append(_vif_finding(
                vif, "vif-additional-chassis", I,
                f"{vif.iface_id} is bound to {binding.chassis} and only additionally here (a live migration): "
                f"until this chassis is its main one, table 0 loads the id of its Port_Binding.encap "
                f"({binding.encap_ip or 'none'}), {want} ({numbering.ip_of(want)}), not its encap-ip's"))
        if want is not None and flow.encap_id != want:
            out.append(_vif_finding(
                vif, "encap-id-mismatch", E,
                f"table 0 loads encap id {flow.encap_id} ({numbering.ip_of(flow.encap_id) or '?'}) for {vif.name}, "
                f"but {_numbered_by(numbering)} its VTEP {vif.encap_ip or 'default (no encap-ip)'} is id {want} "
                f"({numbering.ip_of(want)})",
                "ovn-controller's flows are stale or were changed: recompute "
                "(ovn-appctl -t ovn-controller recompute) or restart ovn-controller"))
    return out


def _numbered_by(numbering: EncapIds) -> str:
    return {Numbering.SORTED: "in OVN 24.03's numbering",
            Numbering.SORTED_DEFAULT: "in OVN 24.09.0-24.09.2's numbering"}.get(numbering.numbering,
                                                                                "in OVN's numbering")
