"""The packet a pod would send, as a flow ``ofproto/trace`` takes: pure.

The addresses come from the southbound ``Port_Binding.mac`` column, which
holds what northd copied from the logical port's addresses: one entry per
address set, ``"MAC IP [IP...]"`` (a router port's IPs carry their prefix,
``10.128.0.1/14``), or the words ``router``, ``unknown``, ``dynamic``
(ovn-sb(5), Port_Binding ``mac``).

A pod on the destination's logical switch sends straight to the
destination's MAC; a pod elsewhere sends to its switch's router port, the
way it would after ARP for its gateway: the switch's ``patch`` port names
the router port (``options:peer``), whose MAC and networks are on the
router port's own binding.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mvcore.ovsdb_rows import PortBindingRow

__all__ = ["Addresses", "addresses_of", "Packet", "PROTOCOLS", "SOURCE_PORT", "router_mac", "NoPacket",
           "packet_between"]

PROTOCOLS = ("icmp", "tcp", "udp")
SOURCE_PORT = 49152  # the first ephemeral port (RFC 6335): any client port would do
_TTL = 64


class NoPacket(ValueError):
    """No packet can be built: the message says what is missing."""


@dataclass(frozen=True, slots=True)
class Addresses:
    """One entry of ``Port_Binding.mac``."""

    mac: str
    ips: tuple[str, ...]  # without prefix lengths
    networks: tuple[str, ...]  # as written: with a prefix length on router ports

    def ip_of(self, version: int) -> str | None:
        return next((ip for ip in self.ips if ipaddress.ip_address(ip).version == version), None)


def addresses_of(column: Iterable[str]) -> tuple[Addresses, ...]:
    """The MAC/IP entries of a ``Port_Binding.mac`` column; the bare words
    (``router``, ``unknown``, ``dynamic``) and malformed entries are skipped."""
    out = []
    for entry in column:
        words = entry.split()
        if len(words) < 1 or words[0].count(":") != 5:
            continue
        ips, nets = [], []
        for word in words[1:]:
            try:
                ips.append(str(ipaddress.ip_interface(word).ip))
                nets.append(word)
            except ValueError:
                continue
        out.append(Addresses(words[0].lower(), tuple(ips), tuple(nets)))
    return tuple(out)


def router_mac(bindings: Sequence[PortBindingRow], datapath: str, src_ip: str) -> str | None:
    """The MAC of the router port on logical switch ``datapath`` (a
    Datapath_Binding UUID) whose network holds ``src_ip``: the pod's gateway."""
    by_name = {b.logical_port: b for b in bindings}
    address = ipaddress.ip_address(src_ip)
    fallback = None
    for b in bindings:
        peer = b.options.get("peer")
        if b.datapath != datapath or b.type != "patch" or peer not in by_name:
            continue
        for entry in addresses_of(by_name[peer].mac):
            fallback = fallback or entry.mac
            if any(address in ipaddress.ip_interface(n).network for n in entry.networks if "/" in n):
                return entry.mac
    return fallback


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet from a VIF: what ``ofproto/trace`` needs to walk it."""

    in_port: int
    dl_src: str
    dl_dst: str
    nw_src: str
    nw_dst: str
    proto: str = "icmp"  # one of PROTOCOLS
    dport: int | None = None  # tcp/udp

    def flow(self) -> str:
        """In ovs-ofctl flow syntax: an ICMP echo request, or a TCP/UDP packet
        from :data:`SOURCE_PORT` to ``dport``, with the pod's TTL.

        >>> Packet(2, "0a:01:00:00:00:02", "0a:02:00:00:00:02", "10.128.0.3", "10.128.128.1", "udp", 53).flow()
        'in_port=2,dl_src=0a:01:00:00:00:02,dl_dst=0a:02:00:00:00:02,udp,nw_src=10.128.0.3,nw_dst=10.128.128.1,nw_ttl=64,udp_src=49152,udp_dst=53'
        """
        v6 = ipaddress.ip_address(self.nw_src).version == 6
        kind = f"{self.proto}6" if v6 else self.proto
        src, dst = ("ipv6_src", "ipv6_dst") if v6 else ("nw_src", "nw_dst")
        head = (f"in_port={self.in_port},dl_src={self.dl_src},dl_dst={self.dl_dst},{kind},"
                f"{src}={self.nw_src},{dst}={self.nw_dst},nw_ttl={_TTL}")
        if self.proto == "icmp":
            return head + (",icmpv6_type=128,icmpv6_code=0" if v6 else ",icmp_type=8,icmp_code=0")
        # udp_src/udp_dst, not tp_src/tp_dst: for an exact flow ovs-vswitchd takes
        # tp_* as the TCP fields and refuses them on UDP ("prerequisites not met").
        return head + f",{self.proto}_src={SOURCE_PORT},{self.proto}_dst={self.dport or 0}"


def packet_between(in_port: int, src: Sequence[Addresses], dst: Sequence[Addresses], dst_mac: str | None,
                   dst_ip: str | None, proto: str, dport: int | None) -> Packet:
    """The packet from a port with addresses ``src`` to ``dst_ip`` (or the
    destination's first address of a family both have, IPv4 first), sent to
    ``dst_mac`` (the destination's own MAC or the gateway's).

    Raises:
        NoPacket: the source has no MAC or no address of the family needed.
    """
    if not src:
        raise NoPacket("it has no MAC/IP in its Port_Binding.mac")
    families = [ipaddress.ip_address(dst_ip).version] if dst_ip else [4, 6]
    for version in families:
        s = next((a for a in src if a.ip_of(version)), None)
        d_ip = dst_ip or next((ip for a in dst if (ip := a.ip_of(version))), None)
        if s is not None and d_ip is not None:
            return Packet(in_port, s.mac, dst_mac or s.mac, s.ip_of(version) or "", d_ip, proto, dport)
    wanted = f"IPv{families[0]}" if dst_ip else "an IP family the destination has"
    raise NoPacket(f"it has no address of {wanted}")
