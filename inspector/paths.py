"""Per-VF paths: everything the other components know, joined per VF.

One row per VIF on br-int: pod (iface-id) and logical switch -> VF netdev
and PCI address (when the VF is on this host) -> representor and ofport ->
PF and uplink -> configured encap-ip and the VTEP the flows really use ->
tunnel ports per remote chassis -> the Linux egress for that VTEP -> offload
state -> a verdict in words.  Pure: the inputs are gathered by
:mod:`inspector.gather`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flowprog.verify import PATH_BREAKING, PATH_UNKNOWN, Tunnel, VerifyResult
from flowprog.verify import VifPath as VerifyPath
from hw.model import Features, Inventory, PhysicalFunction, tc_offload_of
from inspector.offload import Offload, OffloadEvidence, judge
from inspector.verdicts import SORTS, VERDICTS  # (re-exported: the views import them from here)
from mvcore.findings import Finding, Severity
from mvcore.routes import RouteAnswer

__all__ = ["Egress", "Offload", "Counters", "VfPath", "PathInputs", "Vtep", "PathsReport", "build_paths",
           "VERDICTS", "SORTS"]


@dataclass(frozen=True, slots=True)
class Egress:
    """Where Linux sends this VTEP's tunnel traffic to one remote VTEP."""

    vtep_ip: str
    remote_ip: str
    table: int | None
    device: str | None
    vtep_device: str | None  # the interface holding the VTEP IP
    on_pf_bridge: bool | None  # is the egress device a port of the PF's OVS bridge?
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.device is not None and self.device == self.vtep_device


@dataclass(frozen=True, slots=True)
class Counters:
    packets: int = 0  # the VIF's table-0 flow: what the VF sent
    bytes: int = 0
    tunnel_packets: int = 0  # remote-output flows of its encap id (shared by VIFs of one VTEP)
    tunnel_bytes: int = 0


@dataclass(frozen=True, slots=True)
class VfPath:
    interface: str  # the representor's OVS interface
    iface_id: str
    logical_switch: str | None
    ofport: int | None
    vf_netdev: str | None
    vf_pci: str | None
    pf: str | None  # the uplink (as ovn-pf-encap-ip-mapping names it)
    pf_pci: str | None
    configured_encap_ip: str | None
    encap_id: int | None
    vtep_ip: str | None
    tunnels: tuple[Tunnel, ...]
    unreachable: tuple[str, ...]  # remote ports its VTEP has no tunnel flow to
    egress: tuple[Egress, ...]
    offload: Offload
    counters: Counters
    verdict: str  # one of VERDICTS
    reason: str  # the verdict in words a person acts on
    findings: tuple[Finding, ...] = field(default=())
    evidence: OffloadEvidence | None = None  # traffic, filters, next hops, conntrack, why (inspector.offload)


@dataclass(frozen=True, slots=True)
class PathInputs:
    verify: VerifyResult
    pf_of_ip: Mapping[str, str]  # VTEP IP -> PF (ovn-pf-encap-ip-mapping)
    inventory: Inventory | None
    routes: Mapping[tuple[str, str], RouteAnswer]  # (vtep ip, remote ip) -> the kernel's answer
    addresses: Mapping[str, str]  # IP -> interface holding it
    bridge_of: Mapping[str, str]  # interface -> OVS bridge
    ovs_hw_offload: bool | None
    tc_policy: str | None
    kernel_netdevs: frozenset[str]
    eswitch: Mapping[str, str]  # PF PCI -> mode
    features: Mapping[str, Features]
    dp: Mapping[str, tuple[int, int, int]]  # in_port name -> (flows, offloaded, partial)
    tc: Mapping[str, tuple[int, int]]  # representor -> (in_hw, not_in_hw)
    counters: Mapping[str, Counters]  # interface -> counters
    logical_switch: Mapping[str, str] = field(default_factory=dict)  # iface-id -> logical switch
    dp_error: str | None = None  # why the datapath flows could not be read
    host_error: str | None = None  # why the host's netdevs (netlink) could not be read
    vtep_absent: Mapping[str, str] = field(default_factory=dict)  # VTEP IP on no interface read -> in words
    evidence: Mapping[str, OffloadEvidence] = field(default_factory=dict)  # interface -> offload evidence


@dataclass(frozen=True, slots=True)
class Vtep:
    ip: str
    encap_id: int | None
    pf: str | None
    device: str | None  # the interface holding it
    egress: str | None  # "vtep1 (table 6082)" for its first remote, in words


@dataclass(frozen=True, slots=True)
class PathsReport:
    taken_at: float
    chassis: str | None
    ovs_version: str | None
    ovn_version: str | None
    vteps: tuple[Vtep, ...]
    paths: tuple[VfPath, ...]
    findings: tuple[Finding, ...]  # node-level (not about one VIF)
    status: str = "live"  # or "reconnecting: <why>"
    seconds: float = 0.0  # how long gathering took
    stale: bool = False  # the rows are the last good ones, kept while reconnecting
    ovs_hw_offload: bool | None = None
    remote_output_table: int | None = None
    counters_total: Mapping[str, int] = field(default_factory=dict)


_NO_VF: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)


def _vfs_of(inv: Inventory | None) -> dict[str, tuple[str | None, str | None, str | None, str | None]]:
    """Representor -> (VF netdev, VF PCI, uplink, PF PCI), from sysfs; built once
    per report (a node has a thousand VFs).  A representor sysfs shows twice
    keeps its first VF, in the inventory's order."""
    out: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
    for a in inv.adapters if inv else ():
        for pf in a.pfs:
            for vf in pf.vfs:
                if vf.representor is not None:
                    out.setdefault(vf.representor, (vf.netdev, vf.pci, pf.uplink, pf.pci))
    return out


def _egress(inp: PathInputs, vtep: str | None, pf: str | None, tunnels: tuple[Tunnel, ...]) -> tuple[Egress, ...]:
    if vtep is None:
        return ()
    out = []
    for remote in sorted({t.remote_ip for t in tunnels if t.remote_ip and t.remote_ip != "flow"}):
        answer = inp.routes.get((vtep, remote))
        if answer is None:
            continue
        dev = inp.addresses.get(vtep)
        pf_bridge = inp.bridge_of.get(pf) if pf else None
        on_bridge = None if answer.oif is None or pf_bridge is None else inp.bridge_of.get(answer.oif) == pf_bridge
        out.append(Egress(vtep, remote, answer.table, answer.oif, dev, on_bridge, answer.error))
    return tuple(out)


def _judge(path_findings: tuple[Finding, ...], unreachable: tuple[str, ...], egress: tuple[Egress, ...],
           off: Offload, pf: str | None, dp_error: str | None = None,
           host_error: str | None = None, node_findings: tuple[Finding, ...] = (),
           vtep_absent: Mapping[str, str] | None = None, evidence: OffloadEvidence | None = None
           ) -> tuple[str, str]:
    errors = [f for f in path_findings if f.severity is Severity.ERROR]
    if errors:
        return "broken", errors[0].message
    breaking = [f for f in node_findings if f.code in PATH_BREAKING]
    if breaking:
        return "broken", breaking[0].message
    unread = [f for f in (*path_findings, *node_findings) if f.code in PATH_UNKNOWN]
    if unread:
        return "unknown", unread[0].message
    if unreachable:
        more = f" and {len(unreachable) - 1} more" if len(unreachable) > 1 else ""
        return "broken", f"no tunnel from its VTEP to {unreachable[0]}{more}"
    bad = [e for e in egress if not e.ok]
    absent = [e for e in bad if e.vtep_device is None and e.vtep_ip in (vtep_absent or {})]
    if absent:  # the VTEP is not where this read looked: its egress cannot be judged, nor called broken
        return "unknown", (vtep_absent or {})[absent[0].vtep_ip]
    if bad:
        e = bad[0]
        got = e.error or f"leaves through {e.device} (table {e.table})"
        want = e.vtep_device or "the VTEP's own device"
        return "broken", f"tunnel traffic from {e.vtep_ip} to {e.remote_ip} {got}, not through {want}"
    if off.eswitch == "switchdev_inactive":  # the kernel drops this e-switch's traffic until it is activated
        return "broken", f"the e-switch of {pf or 'its PF'} is switchdev_inactive: its traffic is dropped"
    return judge(off, evidence, pf, dp_error, host_error)  # nothing breaks it: is it in hardware? (inspector.offload)


def _pfs(inv: Inventory | None) -> dict[str, PhysicalFunction]:
    return {pf.uplink: pf for a in (inv.adapters if inv else ()) for pf in a.pfs if pf.uplink}


def _vtep_pfs(inp: PathInputs, vtep: str, pfs: dict[str, PhysicalFunction]) -> tuple[str, ...]:
    """The PF uplink(s) a VTEP IP belongs to: those on the OVS bridge of the
    interface holding it (both ports of a bond), the uplink itself when it
    holds the IP, else the PF ovn-pf-encap-ip-mapping names."""
    dev = inp.addresses.get(vtep)
    if dev is not None:
        if dev in pfs:
            return (dev,)
        bridge = inp.bridge_of.get(dev)
        on_bridge = tuple(sorted(n for n, b in inp.bridge_of.items()
                                 if bridge is not None and b == bridge and n in pfs))
        if on_bridge:
            return on_bridge
    mapped = inp.pf_of_ip.get(vtep)
    return (mapped,) if mapped else ()


def _other_nic(inp: PathInputs, p: VerifyPath, vf_pf: str | None, pfs: dict[str, PhysicalFunction],
               owners: tuple[str, ...]) -> Finding | None:
    """The multi-VTEP invariant: a VF tunnels from the VTEP of its own NIC.  A
    VTEP of another PF is right only when both PFs are on one e-switch (the
    uplinks of a VF-LAG share their phys_switch_id); otherwise mlx5 cannot
    forward between the two e-switches and the traffic is not offloaded, and
    leaves through the other NIC's uplink.  ``owners``: the PF uplinks its
    VTEP belongs to (:func:`_vtep_pfs`)."""
    if vf_pf is None or p.vtep_ip is None:
        return None
    if not owners or vf_pf in owners:
        return None
    mine = pfs[vf_pf].switch_id if vf_pf in pfs else None
    if mine is not None and any(o in pfs and pfs[o].switch_id == mine for o in owners):
        return None
    right = next((ip for ip, pf in inp.pf_of_ip.items() if pf == vf_pf), None)
    return Finding(
        "vtep-on-other-nic", Severity.ERROR,
        f"{p.interface} is a VF of {vf_pf} but tunnels from VTEP {p.vtep_ip} of {', '.join(owners)}, another NIC "
        "(another e-switch): its traffic crosses NICs and cannot be offloaded",
        f"set its encap-ip to {right}, the VTEP of {vf_pf}" if right else
        f"map {vf_pf} to its own VTEP in ovn-pf-encap-ip-mapping and set the VF's encap-ip to it",
        interface=p.interface, iface_id=p.iface_id, subject=vf_pf)


def build_paths(inp: PathInputs) -> tuple[VfPath, ...]:
    out = []
    # VIFs of one VTEP share their egress.  (Keyed by the tunnels' identity:
    # verify hands the VIFs of one encap id the same tuple, and hashing a
    # thousand VIFs' tunnels by value costs a live view more than the rest.)
    egress_of: dict[tuple[str | None, str | None, int], tuple[Egress, ...]] = {}
    pfs = _pfs(inp.inventory)
    node_findings = tuple(f for f in inp.verify.findings if f.interface is None)
    owners_of: dict[str, tuple[str, ...]] = {}  # VTEP IP -> the PF uplinks it belongs to
    findings_of: dict[str, list[Finding]] = {}
    for f in inp.verify.findings:
        if f.interface is not None:
            findings_of.setdefault(f.interface, []).append(f)
    vfs = _vfs_of(inp.inventory)
    for p in inp.verify.paths:
        vf_netdev, vf_pci, uplink, pf_pci = vfs.get(p.interface, _NO_VF)
        pf = uplink or (inp.pf_of_ip.get(p.vtep_ip) if p.vtep_ip else None)
        mine = tuple(findings_of.get(p.interface, ()))
        if p.vtep_ip is not None and p.vtep_ip not in owners_of:  # (per VTEP: it scans every interface)
            owners_of[p.vtep_ip] = _vtep_pfs(inp, p.vtep_ip, pfs)
        crossed = _other_nic(inp, p, uplink, pfs, owners_of.get(p.vtep_ip or "", ()))
        if crossed is not None:
            mine = (crossed, *mine)
        key = (p.vtep_ip, pf, id(p.tunnels))
        egress = egress_of.get(key)
        if egress is None:
            egress = egress_of[key] = _egress(inp, p.vtep_ip, pf, p.tunnels)
        flows, offloaded, partial = inp.dp.get(p.interface, (0, 0, 0))
        in_hw, not_in_hw = inp.tc.get(p.interface, (None, None))
        off = Offload(
            ovs_hw_offload=inp.ovs_hw_offload, tc_policy=inp.tc_policy,
            kernel_netdev=p.interface in inp.kernel_netdevs, eswitch=inp.eswitch.get(pf_pci or ""),
            representor_tc=tc_offload_of(inp.features, p.interface), uplink_tc=tc_offload_of(inp.features, pf),
            dp_flows=flows, dp_offloaded=offloaded, dp_partial=partial, tc_in_hw=in_hw, tc_not_in_hw=not_in_hw)
        evidence = inp.evidence.get(p.interface)
        verdict, reason = _judge(mine, p.unreachable, egress, off, pf, inp.dp_error, inp.host_error, node_findings,
                                 inp.vtep_absent, evidence)
        out.append(VfPath(
            interface=p.interface, iface_id=p.iface_id, logical_switch=inp.logical_switch.get(p.iface_id),
            ofport=p.ofport, vf_netdev=vf_netdev, vf_pci=vf_pci, pf=pf, pf_pci=pf_pci,
            configured_encap_ip=p.configured_encap_ip, encap_id=p.encap_id, vtep_ip=p.vtep_ip, tunnels=p.tunnels,
            unreachable=p.unreachable,
            egress=egress, offload=off, counters=inp.counters.get(p.interface, Counters()), verdict=verdict,
            reason=reason, findings=mine, evidence=evidence))
    return tuple(out)
