"""Who sends to whom: the trace's source VIF and destination port, found in a
node snapshot, and the packet between them.  Pure: OVSDB and southbound rows
in, :class:`~flowprog.oftrace.TraceRequest` out.

A source is a VIF on the integration bridge, named by its interface, its
``iface-id`` or its pod (``namespace/name``: OVN-Kubernetes names a pod's
logical port ``<namespace>_<name>``, and a secondary network's
``<network prefix>_<namespace>_<name>``, ``util.GetLogicalPortName``).  A
destination is a bound logical port named the same ways, or an IP one of the
southbound ``Port_Binding.mac`` entries holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from flowprog.nodeconfig import NodeConfig, Vif
from flowprog.oftrace import TraceRequest
from flowprog.tracepacket import Addresses, NoPacket, Packet, addresses_of, packet_between, router_mac
from flowprog.verify import VerifyResult, VifPath
from mvcore.errors import NotFound, UsageError
from mvcore.ovsdb_rows import PortBindingRow, SbRows

__all__ = ["Bindings", "Source", "Destination", "PlannedTrace", "Skipped", "find_source", "find_destination",
           "plan", "plan_verify"]

_VIF_TYPES = ("", "virtual", "external")  # ports a pod sits behind (ovn-sb(5) Port_Binding type)


@dataclass(frozen=True, slots=True)
class Source:
    vif: Vif
    addresses: tuple[Addresses, ...]
    datapath: str | None  # its logical switch (Datapath_Binding UUID); None: no Port_Binding
    path: VifPath | None  # verify's answer for it


@dataclass(frozen=True, slots=True)
class Destination:
    logical_port: str
    chassis: str | None  # the chassis it is bound to, by name
    local: bool  # bound to this node
    encap_ip: str | None  # Port_Binding.encap: the remote VTEP traffic to it must reach
    chassis_encaps: tuple[str, ...]  # every VTEP of its chassis
    datapath: str
    datapath_key: int
    port_key: int
    addresses: tuple[Addresses, ...]


@dataclass(frozen=True, slots=True)
class PlannedTrace:
    source: Source
    destination: Destination
    packet: Packet
    request: TraceRequest


@dataclass(frozen=True, slots=True)
class Skipped:
    """A (VIF, remote chassis) pair ``verify --trace`` could not trace, and why."""

    interface: str
    remote_chassis: str
    reason: str


class Bindings:
    """The southbound rows, indexed for these lookups."""

    def __init__(self, rows: SbRows) -> None:
        self.rows = rows
        self.by_port = {b.logical_port: b for b in rows.port_bindings}
        self.datapath_key = {d.uuid: d.tunnel_key for d in rows.datapaths}
        self.chassis_name = {c.uuid: c.name for c in rows.chassis}
        encap_ip = {e.uuid: e.ip for e in rows.encaps}
        self.encap_ip = encap_ip
        self.chassis_encaps = {c.name: tuple(sorted(encap_ip[e] for e in c.encaps if e in encap_ip))
                               for c in rows.chassis}

    def chassis_of(self, b: PortBindingRow) -> str | None:
        return self.chassis_name.get(b.chassis) if b.chassis else None


def _pod_ports(name: str, candidates: Iterable[str]) -> list[str]:
    """The logical port names ``namespace/name`` can stand for."""
    namespace, _, pod = name.partition("/")
    composed = f"{namespace}_{pod}"
    return [c for c in candidates if c == composed or c.endswith("_" + composed)]


def find_source(node: NodeConfig, bindings: Bindings, result: VerifyResult, name: str) -> Source:
    """The VIF ``name`` names (interface, iface-id or namespace/name).

    Raises:
        NotFound: no VIF on the bridge is ``name``.
        UsageError: a pod with several VIFs on the bridge.
    """
    vifs = [v for v in node.vifs if name in (v.name, v.iface_id)]
    if not vifs and "/" in name:
        ports = set(_pod_ports(name, [v.iface_id for v in node.vifs]))
        vifs = [v for v in node.vifs if v.iface_id in ports]
    if not vifs:
        raise NotFound(f"no VIF on {node.bridge} is {name!r}: not an interface, an iface-id or a pod "
                       "(namespace/name) of this node", hint="mvtep show lists the VIFs")
    if len(vifs) > 1:
        raise UsageError(f"{name} has {len(vifs)} VIFs on {node.bridge} "
                         f"({', '.join(v.name for v in vifs)}): name one by its interface")
    vif = vifs[0]
    if vif.ofport is None or vif.ofport < 0:
        raise NotFound(f"{vif.name} has no OpenFlow port number: nothing can enter the bridge there")
    own = bindings.by_port.get(vif.iface_id)
    path = next((p for p in result.paths if p.interface == vif.name), None)
    return Source(vif, addresses_of(own.mac) if own else (), own.datapath if own else None, path)


def find_destination(bindings: Bindings, local_chassis: str | None, name: str) -> Destination:
    """The bound logical port ``name`` names (a port, a pod, or one of its IPs).

    Raises:
        NotFound: no such port or IP, or the port is bound to no chassis.
    """
    try:
        ip: str | None = str(ipaddress.ip_address(name))
    except ValueError:
        ip = None
    if ip is not None:
        found = [b for b in bindings.rows.port_bindings if b.type in _VIF_TYPES
                 and any(ip in a.ips for a in addresses_of(b.mac))]
        if not found:
            raise NotFound(f"no logical port has the IP {ip} (no Port_Binding.mac holds it)")
    else:
        found = [bindings.by_port[name]] if name in bindings.by_port else []
        if not found and "/" in name:
            found = [bindings.by_port[p] for p in _pod_ports(name, bindings.by_port)]
        if not found:
            raise NotFound(f"no logical port {name!r} in the southbound DB (not a port or a pod namespace/name)")
    bound = [b for b in found if bindings.chassis_of(b)]
    if not bound:
        raise NotFound(f"{found[0].logical_port} has no Port_Binding on any chassis: nothing can reach it",
                       hint="is its pod running? ovn-sbctl find Port_Binding logical_port=" + found[0].logical_port)
    return _destination(bindings, bound[0], local_chassis)


def _destination(bindings: Bindings, b: PortBindingRow, local_chassis: str | None) -> Destination:
    chassis = bindings.chassis_of(b)
    return Destination(
        b.logical_port, chassis, chassis == local_chassis, bindings.encap_ip.get(b.encap) if b.encap else None,
        bindings.chassis_encaps.get(chassis or "", ()), b.datapath, bindings.datapath_key.get(b.datapath, -1),
        b.tunnel_key, addresses_of(b.mac))


def plan(source: Source, dest: Destination, bindings: Bindings, bridge: str, proto: str = "icmp",
         dport: int | None = None, dst_ip: str | None = None) -> PlannedTrace:
    """The packet ``source``'s pod sends to ``dest`` (to ``dst_ip`` when the
    destination was named by an IP), as a trace request.

    Raises:
        NoPacket: the source or destination lacks the addresses a packet needs.
    """
    assert source.vif.ofport is not None
    dst = dest.addresses[0] if dest.addresses else None
    if source.datapath is not None and source.datapath != dest.datapath:
        gateway = None
        for a in source.addresses:
            src_ip = next((ip for ip in a.ips), None)
            if src_ip and (gateway := router_mac(bindings.rows.port_bindings, source.datapath, src_ip)):
                break
        if gateway is None:
            raise NoPacket(f"{dest.logical_port} is on another logical switch and {source.vif.iface_id}'s switch "
                           "has no router port")
        dst_mac: str | None = gateway
    else:
        dst_mac = dst.mac if dst else None
    if dst_mac is None:
        raise NoPacket(f"{dest.logical_port} has no MAC in its Port_Binding.mac")
    try:
        packet = packet_between(source.vif.ofport, source.addresses, dest.addresses, dst_mac, dst_ip, proto, dport)
    except NoPacket as e:
        raise NoPacket(f"{source.vif.iface_id}: {e}") from e
    return PlannedTrace(source, dest, packet, TraceRequest(bridge, packet.flow()))


def plan_verify(node: NodeConfig, bindings: Bindings, result: VerifyResult) -> tuple[list[PlannedTrace],
                                                                                      list[Skipped]]:
    """``verify --trace``'s traces: for each VIF with a binding, one packet to a
    port on each remote chassis, preferring a port on the VIF's own logical
    switch, then one bound through ``Port_Binding.encap``, then by name."""
    remote = [b for b in bindings.rows.port_bindings
              if b.type in _VIF_TYPES and (c := bindings.chassis_of(b)) and c != node.chassis]
    by_chassis: dict[str, list[PortBindingRow]] = {}
    for b in remote:
        by_chassis.setdefault(bindings.chassis_of(b) or "", []).append(b)
    chassis = sorted(by_chassis)
    planned: list[PlannedTrace] = []
    skipped: list[Skipped] = []
    vifs = {v.name: v for v in node.vifs}
    for path in result.paths:
        vif = vifs[path.interface]
        own = bindings.by_port.get(vif.iface_id)
        if vif.ofport is None or vif.ofport < 0 or own is None or not own.chassis:
            continue  # verify's own findings say why (vif-no-ofport, vif-not-programmed)
        source = Source(vif, addresses_of(own.mac), own.datapath, path)
        for name in chassis:
            ports = sorted(by_chassis[name], key=lambda b: (b.datapath != own.datapath, not b.encap, b.logical_port))
            reasons = []
            for b in ports:
                try:
                    planned.append(plan(source, _destination(bindings, b, node.chassis), bindings, node.bridge))
                    break
                except NoPacket as e:
                    reasons.append(str(e))
            else:
                skipped.append(Skipped(vif.name, name, reasons[0] if reasons else "no port bound there"))
    return planned, skipped
