"""Field names: the codec's names -> the names OVS prints.

ryu's codec names OXM/NXM fields its own way (``ipv4_src_nxm``,
``tunnel_id``); OVS users know them as ovs-fields(7) and ovs-ofctl print them
(``nw_src``, ``tun_id``).  Matches use the short name; subfield references
inside actions (``move:NXM_NX_TUN_ID[0..23]->...``, ``ct(zone=...)``) use the
NXM/OXM name, as ovs-ofctl does.  Fields this table does not list keep the
codec's name, so nothing is lost, only less familiar.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FieldName", "lookup", "xreg_halves", "width"]


@dataclass(frozen=True, slots=True)
class FieldName:
    match: str  # as in a match: "nw_src"
    nxm: str  # as in a subfield reference: "NXM_OF_IP_SRC"
    kind: str  # "int", "ip", "ipv6", "mac", "ct_state", "frag", "tcp_flags"


def _f(match: str, nxm: str, kind: str = "int") -> FieldName:
    return FieldName(match, nxm, kind)


_TABLE: dict[str, FieldName] = {
    "in_port": _f("in_port", "NXM_OF_IN_PORT"),
    "in_port_nxm": _f("in_port", "NXM_OF_IN_PORT"),
    "metadata": _f("metadata", "OXM_OF_METADATA"),
    "eth_dst": _f("dl_dst", "NXM_OF_ETH_DST", "mac"),
    "eth_dst_nxm": _f("dl_dst", "NXM_OF_ETH_DST", "mac"),
    "eth_src": _f("dl_src", "NXM_OF_ETH_SRC", "mac"),
    "eth_src_nxm": _f("dl_src", "NXM_OF_ETH_SRC", "mac"),
    "eth_type": _f("dl_type", "NXM_OF_ETH_TYPE"),
    "eth_type_nxm": _f("dl_type", "NXM_OF_ETH_TYPE"),
    "vlan_tci": _f("vlan_tci", "NXM_OF_VLAN_TCI"),
    "vlan_vid": _f("vlan_vid", "OXM_OF_VLAN_VID"),
    "vlan_pcp": _f("dl_vlan_pcp", "OXM_OF_VLAN_PCP"),
    "ip_dscp": _f("nw_tos", "OXM_OF_IP_DSCP"),
    "nw_tos": _f("nw_tos", "NXM_OF_IP_TOS"),
    "ip_ecn": _f("nw_ecn", "NXM_NX_IP_ECN"),
    "ip_ecn_nxm": _f("nw_ecn", "NXM_NX_IP_ECN"),
    "ip_proto": _f("nw_proto", "NXM_OF_IP_PROTO"),
    "ip_proto_nxm": _f("nw_proto", "NXM_OF_IP_PROTO"),
    "ipv4_src": _f("nw_src", "NXM_OF_IP_SRC", "ip"),
    "ipv4_src_nxm": _f("nw_src", "NXM_OF_IP_SRC", "ip"),
    "ipv4_dst": _f("nw_dst", "NXM_OF_IP_DST", "ip"),
    "ipv4_dst_nxm": _f("nw_dst", "NXM_OF_IP_DST", "ip"),
    "tcp_src": _f("tp_src", "NXM_OF_TCP_SRC"),
    "tcp_src_nxm": _f("tp_src", "NXM_OF_TCP_SRC"),
    "tcp_dst": _f("tp_dst", "NXM_OF_TCP_DST"),
    "tcp_dst_nxm": _f("tp_dst", "NXM_OF_TCP_DST"),
    "udp_src": _f("tp_src", "NXM_OF_UDP_SRC"),
    "udp_src_nxm": _f("tp_src", "NXM_OF_UDP_SRC"),
    "udp_dst": _f("tp_dst", "NXM_OF_UDP_DST"),
    "udp_dst_nxm": _f("tp_dst", "NXM_OF_UDP_DST"),
    "sctp_src": _f("tp_src", "OXM_OF_SCTP_SRC"),
    "sctp_dst": _f("tp_dst", "OXM_OF_SCTP_DST"),
    "icmpv4_type": _f("icmp_type", "NXM_OF_ICMP_TYPE"),
    "icmpv4_type_nxm": _f("icmp_type", "NXM_OF_ICMP_TYPE"),
    "icmpv4_code": _f("icmp_code", "NXM_OF_ICMP_CODE"),
    "icmpv4_code_nxm": _f("icmp_code", "NXM_OF_ICMP_CODE"),
    "arp_op": _f("arp_op", "NXM_OF_ARP_OP"),
    "arp_op_nxm": _f("arp_op", "NXM_OF_ARP_OP"),
    "arp_spa": _f("arp_spa", "NXM_OF_ARP_SPA", "ip"),
    "arp_spa_nxm": _f("arp_spa", "NXM_OF_ARP_SPA", "ip"),
    "arp_tpa": _f("arp_tpa", "NXM_OF_ARP_TPA", "ip"),
    "arp_tpa_nxm": _f("arp_tpa", "NXM_OF_ARP_TPA", "ip"),
    "arp_sha": _f("arp_sha", "NXM_NX_ARP_SHA", "mac"),
    "arp_sha_nxm": _f("arp_sha", "NXM_NX_ARP_SHA", "mac"),
    "arp_tha": _f("arp_tha", "NXM_NX_ARP_THA", "mac"),
    "arp_tha_nxm": _f("arp_tha", "NXM_NX_ARP_THA", "mac"),
    "ipv6_src": _f("ipv6_src", "NXM_NX_IPV6_SRC", "ipv6"),
    "ipv6_src_nxm": _f("ipv6_src", "NXM_NX_IPV6_SRC", "ipv6"),
    "ipv6_dst": _f("ipv6_dst", "NXM_NX_IPV6_DST", "ipv6"),
    "ipv6_dst_nxm": _f("ipv6_dst", "NXM_NX_IPV6_DST", "ipv6"),
    "ipv6_flabel": _f("ipv6_label", "NXM_NX_IPV6_LABEL"),
    "ipv6_label": _f("ipv6_label", "NXM_NX_IPV6_LABEL"),
    "icmpv6_type": _f("icmp_type", "NXM_NX_ICMPV6_TYPE"),
    "icmpv6_type_nxm": _f("icmp_type", "NXM_NX_ICMPV6_TYPE"),
    "icmpv6_code": _f("icmp_code", "NXM_NX_ICMPV6_CODE"),
    "icmpv6_code_nxm": _f("icmp_code", "NXM_NX_ICMPV6_CODE"),
    "ipv6_nd_target": _f("nd_target", "NXM_NX_ND_TARGET", "ipv6"),
    "nd_target": _f("nd_target", "NXM_NX_ND_TARGET", "ipv6"),
    "ipv6_nd_sll": _f("nd_sll", "NXM_NX_ND_SLL", "mac"),
    "nd_sll": _f("nd_sll", "NXM_NX_ND_SLL", "mac"),
    "ipv6_nd_tll": _f("nd_tll", "NXM_NX_ND_TLL", "mac"),
    "nd_tll": _f("nd_tll", "NXM_NX_ND_TLL", "mac"),
    "ip_frag": _f("nw_frag", "NXM_NX_IP_FRAG", "frag"),
    "nw_ttl": _f("nw_ttl", "NXM_NX_IP_TTL"),
    "tunnel_id": _f("tun_id", "NXM_NX_TUN_ID"),
    "tunnel_id_nxm": _f("tun_id", "NXM_NX_TUN_ID"),
    "tun_ipv4_src": _f("tun_src", "NXM_NX_TUN_IPV4_SRC", "ip"),
    "tun_ipv4_dst": _f("tun_dst", "NXM_NX_TUN_IPV4_DST", "ip"),
    "tun_ipv6_src": _f("tun_ipv6_src", "NXM_NX_TUN_IPV6_SRC", "ipv6"),
    "tun_ipv6_dst": _f("tun_ipv6_dst", "NXM_NX_TUN_IPV6_DST", "ipv6"),
    "pkt_mark": _f("pkt_mark", "NXM_NX_PKT_MARK"),
    "tcp_flags": _f("tcp_flags", "OXM_OF_TCP_FLAGS", "tcp_flags"),
    "tcp_flags_nxm": _f("tcp_flags", "NXM_NX_TCP_FLAGS", "tcp_flags"),
    "conj_id": _f("conj_id", "NXM_NX_CONJ_ID"),
    "tun_flags": _f("tun_flags", "NXM_NX_TUN_FLAGS"),
    "ct_state": _f("ct_state", "NXM_NX_CT_STATE", "ct_state"),
    "ct_zone": _f("ct_zone", "NXM_NX_CT_ZONE"),
    "ct_mark": _f("ct_mark", "NXM_NX_CT_MARK"),
    "ct_label": _f("ct_label", "NXM_NX_CT_LABEL"),
    "ct_nw_proto": _f("ct_nw_proto", "NXM_NX_CT_NW_PROTO"),
    "ct_nw_src": _f("ct_nw_src", "NXM_NX_CT_NW_SRC", "ip"),
    "ct_nw_dst": _f("ct_nw_dst", "NXM_NX_CT_NW_DST", "ip"),
    "ct_ipv6_src": _f("ct_ipv6_src", "NXM_NX_CT_IPV6_SRC", "ipv6"),
    "ct_ipv6_dst": _f("ct_ipv6_dst", "NXM_NX_CT_IPV6_DST", "ipv6"),
    "ct_tp_src": _f("ct_tp_src", "NXM_NX_CT_TP_SRC"),
    "ct_tp_dst": _f("ct_tp_dst", "NXM_NX_CT_TP_DST"),
    "_recirc_id": _f("recirc_id", "NXM_NX_RECIRC_ID"),
    "_dp_hash": _f("dp_hash", "NXM_NX_DP_HASH"),
    "actset_output": _f("actset_output", "ONFOXM_ET_ACTSET_OUTPUT"),
}
_TABLE.update({f"reg{i}": _f(f"reg{i}", f"NXM_NX_REG{i}") for i in range(16)})
_TABLE.update({f"xreg{i}": _f(f"xreg{i}", f"OXM_OF_PKT_REG{i}") for i in range(8)})
_TABLE.update({f"xxreg{i}": _f(f"xxreg{i}", f"NXM_NX_XXREG{i}") for i in range(4)})
_TABLE.update({f"tun_metadata{i}": _f(f"tun_metadata{i}", f"NXM_NX_TUN_METADATA{i}") for i in range(64)})


def lookup(codec_name: str) -> FieldName:
    """The OVS names of a field the codec calls ``codec_name``."""
    found = _TABLE.get(codec_name)
    return found if found is not None else FieldName(codec_name, codec_name, "int")


def xreg_halves(index: int, value: int, mask: int | None) -> list[tuple[str, int, int | None]]:
    """Split an OpenFlow 1.5 packet-register match into the 32-bit registers
    OVS shows: ``xreg<N>`` is ``reg<2N>`` (high half) and ``reg<2N+1>`` (low)."""
    full = (1 << 64) - 1 if mask is None else mask
    out: list[tuple[str, int, int | None]] = []
    for name, shift in ((f"reg{2 * index}", 32), (f"reg{2 * index + 1}", 0)):
        m = (full >> shift) & 0xFFFFFFFF
        if m:
            out.append((name, (value >> shift) & 0xFFFFFFFF, None if m == 0xFFFFFFFF else m))
    return out


# Field widths in bits, for subfield notation: "[]" when all bits are used.
_WIDTHS: dict[str, int] = {
    "in_port": 16, "dl_type": 16, "vlan_tci": 16, "tp_src": 16, "tp_dst": 16, "arp_op": 16, "ct_zone": 16,
    "ct_tp_src": 16, "ct_tp_dst": 16, "vlan_vid": 13, "dl_vlan_pcp": 3,
    "nw_proto": 8, "icmp_type": 8, "icmp_code": 8, "nw_ttl": 8, "nw_tos": 8, "ct_nw_proto": 8, "nw_ecn": 2,
    "nw_frag": 2, "tcp_flags": 12, "ipv6_label": 20,
    "dl_src": 48, "dl_dst": 48, "arp_sha": 48, "arp_tha": 48, "nd_sll": 48, "nd_tll": 48,
    "metadata": 64, "tun_id": 64,
    "ipv6_src": 128, "ipv6_dst": 128, "nd_target": 128, "ct_label": 128, "ct_ipv6_src": 128, "ct_ipv6_dst": 128,
    "tun_ipv6_src": 128, "tun_ipv6_dst": 128,
}


def width(match_name: str) -> int:
    """Width in bits of the field OVS shows as ``match_name`` (default 32)."""
    if match_name.startswith("xxreg"):
        return 128
    if match_name.startswith("xreg"):
        return 64
    if match_name.startswith("tun_metadata"):
        return 992  # OVS gives every tun_metadata field 124 bytes
    return _WIDTHS.get(match_name, 32)
