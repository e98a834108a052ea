"""A flow's match, as OVS holds it and as ovs-ofctl prints it.

OVS does not print the OXM fields of a match in the order they came: it
first sets each one into its ``struct match`` (lib/meta-flow.c ``mf_set``,
lib/match.c ``match_set_*``), where several fields share one member
(``vlan_vid`` and ``vlan_pcp`` the TCI, ``ip_dscp`` and ``ip_ecn`` the ToS
byte, ``xreg0`` the registers 0 and 1, ``arp_op`` the IP protocol), and then
prints the members in a fixed order (lib/match.c ``match_format``), folding
``dl_type``/``nw_proto`` into ``tcp``, ``arp``..., naming a member by the
packet type (``nw_src`` is ``arp_spa`` in an ARP match) and leaving out
what the type makes meaningless.  :func:`build` does the first step,
:func:`fields` the second; both follow OVS's functions line by line, so a
match prints exactly as ``ovs-ofctl dump-flows`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flowprog.flows import FieldMatch
from flowprog.mfields import MField, by_name
from flowprog.ofvalues import (CT_STATE_NAMES, TCP_FLAG_NAMES, TNL_FLAG_NAMES, eth_masked, eth_text,
                               flags_masked, flags_text, frag_text, hex_text, ip_masked, ip_text, ipv6_masked,
                               ipv6_text, packet_type_masked, port_from_ofp11, port_text)

__all__ = ["MatchState", "build", "fields", "set_field"]

_ETH_IP, _ETH_ARP, _ETH_RARP, _ETH_IPV6, _ETH_MPLS, _ETH_MPLS_MCAST, _ETH_NSH = (
    0x0800, 0x0806, 0x8035, 0x86DD, 0x8847, 0x8848, 0x894F)
_ICMP, _TCP, _UDP, _SCTP, _ICMPV6 = 1, 6, 17, 132, 58
_OFPHTN_ETHERTYPE = 1  # packet_type namespace whose type is an Ethertype

# Members of struct match that a field sets only part of: field -> (member,
# the field's bit offset in it).  Fields not listed set a member of their own
# name, whole (lib/match.c).
_PART_OF = {
    "nsh_spi": ("nsh_path_hdr", 8), "nsh_si": ("nsh_path_hdr", 0),
    "mpls_label": ("mpls_lse0", 12), "mpls_tc": ("mpls_lse0", 9), "mpls_bos": ("mpls_lse0", 8),
    "mpls_ttl": ("mpls_lse0", 0),
}
# Fields that set another field's member (lib/meta-flow.c mf_set_value).
_MEMBER = {
    "eth_src": "dl_src", "eth_dst": "dl_dst", "eth_type": "dl_type", "ip_src": "nw_src", "ip_dst": "nw_dst",
    "arp_spa": "nw_src", "arp_tpa": "nw_dst", "arp_op": "nw_proto", "nd_sll": "arp_sha", "nd_tll": "arp_tha",
    "tcp_src": "tp_src", "udp_src": "tp_src", "sctp_src": "tp_src", "icmp_type": "tp_src",
    "icmpv6_type": "tp_src", "tcp_dst": "tp_dst", "udp_dst": "tp_dst", "sctp_dst": "tp_dst",
    "icmp_code": "tp_dst", "icmpv6_code": "tp_dst", "nd_reserved": "igmp_group_ip4",
    "nd_options_type": "tcp_flags", "in_port_oxm": "in_port", "ip_dscp": "nw_tos", "nw_ecn": "nw_tos",
}
# Widths of the members whose exact match sets more bits than the field has
# (match_set_icmp_type sets all 16 bits of tp_src, for one).
_MEMBER_BITS = {"tp_src": 16, "tp_dst": 16, "tcp_flags": 16, "nw_proto": 8, "in_port": 16, "ipv6_label": 32}


@dataclass(slots=True)
class MatchState:
    """The members of OVS's ``struct match`` a flow sets: value and mask
    (wildcards) per member; tunnel metadata by option index."""

    m: dict[str, list[int]] = field(default_factory=dict)
    tun_md: dict[int, tuple[int, int, int, bool]] = field(default_factory=dict)  # idx -> value, mask, len, masked

    def put(self, member: str, value: int, mask: int, shift: int = 0) -> None:
        """Set the bits of ``mask`` (at ``shift``) to ``value``, keeping the
        member's other bits."""
        cur = self.m.get(member)
        v, mk = (value & mask) << shift, mask << shift
        if cur is None:
            self.m[member] = [v, mk]
        else:
            cur[0] = cur[0] & ~mk | v
            cur[1] |= mk

    def replace(self, member: str, value: int, mask: int) -> None:
        if mask:
            self.m[member] = [value, mask]
        else:
            self.m.pop(member, None)


def _sig_bytes(value: int) -> int:
    return (value.bit_length() + 7) // 8


def set_field(st: MatchState, f: MField, value: int, mask: int | None) -> None:
    """lib/meta-flow.c ``mf_set`` (``mf_set_value`` when ``mask`` is None or
    all ones) for a field read off the wire, then
    ``match_add_ethernet_prereq``."""
    name, full = f.name, (1 << (8 * f.n_bytes)) - 1
    if mask is not None and mask & full == full:
        mask = None
    if f.variable:  # tun_metadata_set_match: the option's length is its significant bytes
        masked = mask is not None
        length = max(_sig_bytes(value), _sig_bytes(mask) if mask is not None else 0)
        st.tun_md[int(name[12:])] = (value & (full if mask is None else mask),
                                     (1 << 8 * length) - 1 if mask is None else mask, length, masked)
    elif mask == 0:
        pass  # mf_set_wild: matching nothing
    elif name in _SETTERS:
        _SETTERS[name](st, value, mask)
    elif name.startswith("xreg"):  # match_set_xreg_masked: the high half is reg 2N, the low reg 2N+1
        i, m = int(name[4:]), full if mask is None else mask
        for k, shift in ((2 * i, 32), (2 * i + 1, 0)):
            st.replace(f"reg{k}", value >> shift & m >> shift & 0xFFFFFFFF, m >> shift & 0xFFFFFFFF)
    elif name.startswith("xxreg"):
        i, m = int(name[5:]), full if mask is None else mask
        for k in range(4):
            shift = 96 - 32 * k
            st.replace(f"reg{4 * i + k}", value >> shift & m >> shift & 0xFFFFFFFF, m >> shift & 0xFFFFFFFF)
    elif name in _PART_OF:
        member, shift = _PART_OF[name]
        st.put(member, value, (1 << f.n_bits) - 1 if mask is None else mask, shift)
    else:
        member = _MEMBER.get(name, name)
        m = (1 << _MEMBER_BITS.get(member, 8 * f.n_bytes)) - 1 if mask is None else mask
        st.replace(member, value & m, m)
    if f.prereqs != "none" and "packet_type" not in st.m:
        st.m["packet_type"] = [0, 0xFFFFFFFF]  # match_set_default_packet_type: Ethernet


def _vlan_vid(st: MatchState, value: int, mask: int | None) -> None:
    """match_set_vlan_vid_masked: the VID and the CFI ("present") bit."""
    m = (0x1FFF if mask is None else mask) & 0x1FFF
    tci = st.m.get("vlan_tci", [0, 0])
    st.m["vlan_tci"] = [tci[0] & ~0x1FFF | value & m, m | tci[1] & 0xE000]


def _vlan_pcp(st: MatchState, value: int, mask: int | None) -> None:
    """match_set_dl_vlan_pcp: the PCP bits, and CFI set."""
    tci = st.m.get("vlan_tci", [0, 0])
    st.m["vlan_tci"] = [tci[0] & ~0xE000 | value << 13 & 0xE000 | 0x1000, tci[1] | 0xF000]


Setter = Callable[["MatchState", int, "int | None"], None]


def _tos(mask_bits: int, shift: int) -> Setter:
    """match_set_nw_dscp / match_set_nw_ecn: their bits of the ToS byte."""
    def setter(st: MatchState, value: int, mask: int | None) -> None:
        st.put("nw_tos", value << shift, mask_bits)
    return setter


def _ipv6_label(st: MatchState, value: int, mask: int | None) -> None:
    # mf_set: a mask covering all 20 label bits is an exact match (all 32 bits)
    if mask is None or mask & 0xFFFFF == 0xFFFFF:
        st.replace("ipv6_label", value, 0xFFFFFFFF)
    else:
        st.replace("ipv6_label", value & mask, mask)


def _port_oxm(member: str) -> Setter:
    def setter(st: MatchState, value: int, mask: int | None) -> None:
        st.replace(member, port_from_ofp11(value), 0xFFFF)
    return setter


def _clipped(member: str, bits: int, exact: int) -> Setter:
    """Members OVS masks on the way in: ct_state to 8 bits, tun_flags to
    its public flags, nw_frag to the two fragment bits."""
    def setter(st: MatchState, value: int, mask: int | None) -> None:
        m = (exact if mask is None else mask) & bits
        st.replace(member, value & m, m)
    return setter


_SETTERS: dict[str, Setter] = {
    "vlan_vid": _vlan_vid, "vlan_pcp": _vlan_pcp,
    "nw_tos": _tos(0xFC, 0), "ip_dscp": _tos(0xFC, 2), "nw_ecn": _tos(0x03, 0),
    "ipv6_label": _ipv6_label,
    "in_port_oxm": _port_oxm("in_port"), "actset_output": _port_oxm("actset_output"),
    "ct_state": _clipped("ct_state", 0xFF, 0xFF), "tun_flags": _clipped("tun_flags", 0x1, 0xFFFF),
    "ip_frag": _clipped("nw_frag", 0x3, 0x3),
}


def build(entries: list[tuple[MField, int, int | None]]) -> MatchState:
    """The struct match of a flow's OXM fields, in wire order."""
    st = MatchState()
    for f, value, mask in entries:
        set_field(st, f, value, mask)
    return st


# -- lib/match.c match_format -------------------------------------------------

def _u32(v: int, m: int, full: int = 0xFFFFFFFF) -> str:
    """format_uint32_masked / format_be64_masked: hex, ``/mask`` unless exact."""
    return hex_text(v) if m == full else f"{hex_text(v)}/{hex_text(m)}"


def _dec16(v: int, m: int) -> str:
    """format_be16_masked / format_uint16_masked: decimal when exact."""
    return str(v) if m == 0xFFFF else f"{v:#x}/{m:#x}"


def _dec32(v: int, m: int) -> str:
    """format_be32_masked: decimal when exact, else zero-padded hex."""
    return str(v) if m == 0xFFFFFFFF else f"0x{v:08x}/0x{m:08x}"


def _dec8(v: int, m: int) -> str:
    """format_uint8_masked."""
    return str(v) if m == 0xFF else f"0x{v:02x}/0x{m:02x}"


def _hex32(v: int, m: int) -> str:
    """format_be32_masked_hex."""
    return f"{v:#x}" if m == 0xFFFFFFFF else f"{v:#x}/{m:#x}"


def _fm(out: list[FieldMatch], name: str, value: object, mask: object, text: str) -> None:
    out.append(FieldMatch(name, value, mask, text))  # type: ignore[arg-type]


def _opt(m: int, full: int) -> int | None:
    return None if m == full else m


def fields(st: MatchState) -> tuple[FieldMatch, ...]:
    """The match as ovs-ofctl prints it: one FieldMatch per printed item, in
    ``match_format``'s order, each with its text (``tcp``, ``nw_src=10.0.0.0/8``).
    A protocol shorthand is the ``dl_type`` item; the ``nw_proto`` it folds in
    follows with an empty text."""
    g = st.m.get
    out: list[FieldMatch] = []
    for name in ("pkt_mark",):
        if (x := g(name)) is not None:
            _fm(out, name, x[0], _opt(x[1], 0xFFFFFFFF), f"{name}={_u32(*x)}")
    megaflow = False
    if (x := g("recirc_id")) is not None:
        _fm(out, "recirc_id", x[0], _opt(x[1], 0xFFFFFFFF), f"recirc_id={_u32(*x)}")
        megaflow = True
    if (x := g("dp_hash")) is not None:
        _fm(out, "dp_hash", x[0], _opt(x[1], 0xFFFFFFFF), f"dp_hash={_u32(*x)}")
    if (x := g("conj_id")) is not None:
        _fm(out, "conj_id", x[0], None, f"conj_id={x[0]}")
    if (x := g("skb_priority")) is not None:
        _fm(out, "skb_priority", x[0], None, f"skb_priority={hex_text(x[0])}")
    if (x := g("actset_output")) is not None:
        _fm(out, "actset_output", x[0], None, f"actset_output={port_text(x[0])}")
    if (x := g("ct_state")) is not None:
        text = flags_text(CT_STATE_NAMES, x[0]) if x[1] == 0xFF else flags_masked(CT_STATE_NAMES, x[0], x[1], 0xFF)
        _fm(out, "ct_state", x[0], _opt(x[1], 0xFF), f"ct_state={text}")
    if (x := g("ct_zone")) is not None:
        _fm(out, "ct_zone", x[0], _opt(x[1], 0xFFFF), f"ct_zone={_dec16(*x)}")
    if (x := g("ct_mark")) is not None:
        _fm(out, "ct_mark", x[0], _opt(x[1], 0xFFFFFFFF), f"ct_mark={_u32(*x)}")
    if (x := g("ct_label")) is not None:
        _fm(out, "ct_label", x[0], _opt(x[1], (1 << 128) - 1), f"ct_label={_u32(x[0], x[1], (1 << 128) - 1)}")
    for name in ("ct_nw_src", "ct_ipv6_src", "ct_nw_dst", "ct_ipv6_dst"):
        if (x := g(name)) is not None:
            _addr(out, name, x)
    if (x := g("ct_nw_proto")) is not None:
        _fm(out, "ct_nw_proto", x[0], None, f"ct_nw_proto={x[0]}")
        for name in ("ct_tp_src", "ct_tp_dst"):
            if (y := g(name)) is not None:
                _fm(out, name, y[0], _opt(y[1], 0xFFFF), f"{name}={_dec16(*y)}")

    dl = g("dl_type")
    dl_type = dl[0] if dl else 0
    pt = g("packet_type")
    if pt is not None and (pt != [0, 0xFFFFFFFF] or megaflow):
        _fm(out, "packet_type", pt[0], _opt(pt[1], 0xFFFFFFFF), packet_type_masked(*pt))
        if pt[0] >> 16 == _OFPHTN_ETHERTYPE:
            dl_type = pt[0] & 0xFFFF
    proto = g("nw_proto")
    nw_proto = proto[0] if proto else 0
    skip_type = skip_proto = False
    if dl is not None:
        short = _shorthand(dl_type, proto)
        if short is not None:
            skip_type, skip_proto = True, short[1]
            _fm(out, "dl_type", dl_type, None, short[0])
            if skip_proto:
                _fm(out, "nw_proto", nw_proto, None, "")
    for i in range(32):
        if (x := g(f"reg{i}")) is not None:
            _fm(out, f"reg{i}", x[0], _opt(x[1], 0xFFFFFFFF), f"reg{i}={_u32(*x)}")
    _tunnel(out, st)
    if (x := g("metadata")) is not None:
        full = (1 << 64) - 1
        _fm(out, "metadata", x[0], _opt(x[1], full), f"metadata={_u32(x[0], x[1], full)}")
    if (x := g("in_port")) is not None:
        _fm(out, "in_port", x[0], None, f"in_port={port_text(x[0])}")
    if (x := g("vlan_tci")) is not None:
        _vlan(out, *x)
    for name in ("dl_src", "dl_dst"):
        if (x := g(name)) is not None:
            _fm(out, name, eth_text(x[0]), _eth_mask(x[1]), f"{name}={eth_masked(*x)}")
    if not skip_type and dl is not None:
        _fm(out, "dl_type", dl_type, None, f"dl_type=0x{dl_type:04x}")
    if dl_type == _ETH_IPV6:
        for name in ("ipv6_src", "ipv6_dst"):
            if (x := g(name)) is not None:
                _addr(out, name, x)
        if (x := g("ipv6_label")) is not None:
            text = f"0x{x[0]:05x}" if x[1] == 0xFFFFFFFF else f"0x{x[0]:05x}/0x{x[1]:05x}"
            _fm(out, "ipv6_label", x[0], _opt(x[1], 0xFFFFFFFF), f"ipv6_label={text}")
    elif dl_type in (_ETH_ARP, _ETH_RARP):
        for member, name in (("nw_src", "arp_spa"), ("nw_dst", "arp_tpa")):
            if (x := g(member)) is not None:
                _addr(out, name, x)
    elif dl_type == _ETH_NSH:
        _nsh(out, st)
    else:
        for name in ("nw_src", "nw_dst"):
            if (x := g(name)) is not None:
                _addr(out, name, x)
    arp = dl_type in (_ETH_ARP, _ETH_RARP)
    if not skip_proto and proto is not None:
        name = "arp_op" if arp else "nw_proto"
        _fm(out, name, nw_proto, None, f"{name}={nw_proto}")
    if arp:
        for name in ("arp_sha", "arp_tha"):
            if (x := g(name)) is not None:
                _fm(out, name, eth_text(x[0]), _eth_mask(x[1]), f"{name}={eth_masked(*x)}")
    if (x := g("nw_tos")) is not None:
        if x[1] & 0xFC:
            _fm(out, "nw_tos", x[0] & 0xFC, None, f"nw_tos={x[0] & 0xFC}")
        if x[1] & 0x03:
            _fm(out, "nw_ecn", x[0] & 0x03, None, f"nw_ecn={x[0] & 0x03}")
    if (x := g("nw_ttl")) is not None:
        _fm(out, "nw_ttl", x[0], None, f"nw_ttl={x[0]}")
    if (x := g("mpls_lse0")) is not None:
        for name, shift, bits in (("mpls_label", 12, 0xFFFFF), ("mpls_tc", 9, 0x7), ("mpls_ttl", 0, 0xFF),
                                  ("mpls_bos", 8, 0x1)):
            if x[1] >> shift & bits:
                _fm(out, name, x[0] >> shift & bits, None, f"{name}={x[0] >> shift & bits}")
    if (x := g("nw_frag")) is not None:
        text = frag_text(x[0], x[1])
        _fm(out, "nw_frag", x[0], _opt(x[1], 3), f"nw_frag={text}")
    icmp4 = dl_type == _ETH_IP and nw_proto == _ICMP
    icmp6 = dl_type == _ETH_IPV6 and nw_proto == _ICMPV6
    tp_names = ("icmp_type", "icmp_code") if icmp4 or icmp6 else ("tp_src", "tp_dst")
    for member, name in zip(("tp_src", "tp_dst"), tp_names, strict=True):
        if (x := g(member)) is not None:
            _fm(out, name, x[0], _opt(x[1], 0xFFFF), f"{name}={_dec16(*x)}")
    if icmp6:
        if (x := g("nd_target")) is not None:
            _addr(out, "nd_target", x)
        for member, name in (("arp_sha", "nd_sll"), ("arp_tha", "nd_tll")):
            if (x := g(member)) is not None:
                _fm(out, name, eth_text(x[0]), _eth_mask(x[1]), f"{name}={eth_masked(*x)}")
        if (x := g("igmp_group_ip4")) is not None:
            _fm(out, "nd_reserved", x[0], _opt(x[1], 0xFFFFFFFF), f"nd_reserved={_dec32(*x)}")
        if (x := g("tcp_flags")) is not None:
            _fm(out, "nd_options_type", x[0], _opt(x[1], 0xFFFF), f"nd_options_type={_dec16(*x)}")
    elif dl_type in (_ETH_IP, _ETH_IPV6) and nw_proto == _TCP and (x := g("tcp_flags")) is not None:
        text = flags_masked(TCP_FLAG_NAMES, x[0], x[1] & 0xFFF, 0xFFF)
        _fm(out, "tcp_flags", x[0], _opt(x[1], 0xFFFF), f"tcp_flags={text}")
    return tuple(out)


def _eth_mask(mask: int) -> str | None:
    return None if mask == 0xFFFFFFFFFFFF else eth_text(mask)


def _addr(out: list[FieldMatch], name: str, x: list[int]) -> None:
    """format_ip_netmask / format_ipv6_netmask."""
    if x[1] >> 32:  # 128-bit member
        full = (1 << 128) - 1
        _fm(out, name, ipv6_text(x[0]), None if x[1] == full else ipv6_text(x[1]), f"{name}={ipv6_masked(*x)}")
    elif name.startswith(("ct_ipv6", "ipv6", "tun_ipv6", "nd_")):
        _fm(out, name, ipv6_text(x[0]), ipv6_text(x[1]), f"{name}={ipv6_masked(*x)}")
    else:
        _fm(out, name, ip_text(x[0]), None if x[1] == 0xFFFFFFFF else ip_text(x[1]), f"{name}={ip_masked(*x)}")


def _shorthand(dl_type: int, proto: list[int] | None) -> tuple[str, bool] | None:
    """match_format's protocol names: (name, whether nw_proto is folded in)."""
    if dl_type == _ETH_IP:
        names = {_ICMP: "icmp", _TCP: "tcp", _UDP: "udp", _SCTP: "sctp"}
        if proto is not None and proto[0] in names:
            return names[proto[0]], True
        return "ip", False
    if dl_type == _ETH_IPV6:
        names = {_ICMPV6: "icmp6", _TCP: "tcp6", _UDP: "udp6", _SCTP: "sctp6"}
        if proto is not None and proto[0] in names:
            return names[proto[0]], True
        return "ipv6", False
    plain = {_ETH_ARP: "arp", _ETH_RARP: "rarp", _ETH_MPLS: "mpls", _ETH_MPLS_MCAST: "mplsm"}
    return (plain[dl_type], False) if dl_type in plain else None


def _vlan(out: list[FieldMatch], tci: int, mask: int) -> None:
    """match_format's VLAN rules: dl_vlan/dl_vlan_pcp when the tag is
    present and VID and PCP are each matched whole or not at all."""
    vid_mask, pcp_mask, cfi = mask & 0x0FFF, mask & 0xE000, mask & 0x1000
    if (cfi and tci & 0x1000 and vid_mask in (0, 0x0FFF) and pcp_mask in (0, 0xE000)
            and (vid_mask or pcp_mask)):
        if vid_mask:
            _fm(out, "dl_vlan", tci & 0xFFF, None, f"dl_vlan={tci & 0xFFF}")
        if pcp_mask:
            _fm(out, "dl_vlan_pcp", tci >> 13, None, f"dl_vlan_pcp={tci >> 13}")
    elif mask == 0xFFFF:
        _fm(out, "vlan_tci", tci, None, f"vlan_tci=0x{tci:04x}")
    else:
        _fm(out, "vlan_tci", tci, mask, f"vlan_tci=0x{tci:04x}/0x{mask:04x}")


def _tunnel(out: list[FieldMatch], st: MatchState) -> None:
    """format_flow_tunnel."""
    g = st.m.get
    if (x := g("tun_id")) is not None:
        full = (1 << 64) - 1
        _fm(out, "tun_id", x[0], _opt(x[1], full), f"tun_id={_u32(x[0], x[1], full)}")
    for name in ("tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst"):
        if (x := g(name)) is not None:
            _addr(out, name, x)
    if (x := g("tun_gbp_id")) is not None:
        _fm(out, "tun_gbp_id", x[0], _opt(x[1], 0xFFFF), f"tun_gbp_id={_dec16(*x)}")
    if (x := g("tun_gbp_flags")) is not None:
        _fm(out, "tun_gbp_flags", x[0], None, f"tun_gbp_flags={hex_text(x[0])}")
    if (x := g("tun_tos")) is not None:
        _fm(out, "tun_tos", x[0], None, f"tun_tos={x[0]:x}")
    if (x := g("tun_ttl")) is not None:
        _fm(out, "tun_ttl", x[0], None, f"tun_ttl={x[0]}")
    ver = g("tun_erspan_ver")
    if ver is not None:
        _fm(out, "tun_erspan_ver", ver[0], None, f"tun_erspan_ver={ver[0]}")
    ver_value = ver[0] if ver else 0
    if (x := g("tun_erspan_idx")) is not None and ver_value == 1:
        _fm(out, "tun_erspan_idx", x[0], None, f"tun_erspan_idx={hex_text(x[0])}")
    if (x := g("tun_erspan_dir")) is not None and ver_value == 2:
        _fm(out, "tun_erspan_dir", x[0], None, f"tun_erspan_dir={x[0]}")
    if (x := g("tun_erspan_hwid")) is not None and ver_value == 2:
        _fm(out, "tun_erspan_hwid", x[0], None, f"tun_erspan_hwid={hex_text(x[0])}")
    if (x := g("tun_gtpu_flags")) is not None:
        _fm(out, "tun_gtpu_flags", x[0], None, f"gtpu_flags={hex_text(x[0])}")
    if (x := g("tun_gtpu_msgtype")) is not None:
        _fm(out, "tun_gtpu_msgtype", x[0], None, f"gtpu_msgtype={x[0]}")
    if (x := g("tun_flags")) is not None and x[1] & 0xF:
        text = flags_masked(TNL_FLAG_NAMES, x[0] & 0xF, x[1] & 0xF, 0xF)
        _fm(out, "tun_flags", x[0], x[1], f"tun_flags={text}")
    for idx in sorted(st.tun_md):  # tun_metadata_match_format
        value, mask, length, masked = st.tun_md[idx]
        name = f"tun_metadata{idx}"
        full = (1 << 8 * length) - 1
        if masked and not mask & full:
            _fm(out, name, None, mask, name)
            continue
        text = hex_text(value & full)
        if mask & full != full:
            text += "/" + hex_text(mask & full)
        _fm(out, name, value, None if mask & full == full else mask, f"{name}={text}")


def _nsh(out: list[FieldMatch], st: MatchState) -> None:
    """format_nsh_masked."""
    g = st.m.get
    for name in ("nsh_flags", "nsh_ttl", "nsh_mdtype", "nsh_np"):
        if (x := g(name)) is not None:
            _fm(out, name, x[0], _opt(x[1], 0xFF), f"{name}={_dec8(*x)}")
    path = g("nsh_path_hdr")
    if path is not None:
        spi_mask = path[1] >> 8
        spi_mask = 0xFFFFFFFF if spi_mask == 0xFFFFFF else spi_mask
        if spi_mask:
            _fm(out, "nsh_spi", path[0] >> 8, _opt(spi_mask, 0xFFFFFFFF), f"nsh_spi={_hex32(path[0] >> 8, spi_mask)}")
        if path[1] & 0xFF:
            si = (path[0] & 0xFF, path[1] & 0xFF)
            _fm(out, "nsh_si", si[0], _opt(si[1], 0xFF), f"nsh_si={_dec8(*si)}")
    md = g("nsh_mdtype")
    if md is not None and md[1] == 0xFF and md[0] == 1:
        for i in (1, 2, 3, 4):
            if (x := g(f"nsh_c{i}")) is not None:
                _fm(out, f"nsh_c{i}", x[0], _opt(x[1], 0xFFFFFFFF), f"nsh_c{i}={_hex32(*x)}")


# -- the same, a field at a time ----------------------------------------------
#
# Most of a match prints field by field: ``reg14=0x1`` reads the same in any
# flow.  :class:`Pieces` keeps each distinct OXM field's printed items
# (computed by :func:`fields` itself, so the two can never disagree) with
# their place in match_format's order, and puts a flow's match together by
# sorting them.  Fields whose printing depends on another field are of two
# kinds: those depending only on the Ethernet type and IP protocol (named
# ``nw_src`` or ``arp_spa``, ``tp_src`` or ``icmp_type``...), resolved per
# (type, protocol) and remembered; and the rare rest (VLAN-free NSH, ERSPAN,
# packet_type...), for which the whole flow goes through :func:`build` and
# :func:`fields`.  So does a flow in which two fields set one member.

SIMPLE, DL_TYPE, PROTO, CONTEXT, WHOLE = range(5)
_CONTEXT_MEMBERS = frozenset({"nw_src", "nw_dst", "ipv6_src", "ipv6_dst", "ipv6_label", "arp_sha", "arp_tha",
                              "tp_src", "tp_dst", "nd_target", "igmp_group_ip4", "tcp_flags"})
_WHOLE_FIELDS = frozenset({"packet_type", "recirc_id", "ct_tp_src", "ct_tp_dst", "tun_erspan_idx",
                           "tun_erspan_dir", "tun_erspan_hwid"})
_ORDER = ["pkt_mark", "recirc_id", "dp_hash", "conj_id", "skb_priority", "actset_output", "ct_state", "ct_zone",
          "ct_mark", "ct_label", "ct_nw_src", "ct_ipv6_src", "ct_nw_dst", "ct_ipv6_dst", "ct_nw_proto", "ct_tp_src",
          "ct_tp_dst", "packet_type", "<shorthand>", "<folded nw_proto>", *[f"reg{i}" for i in range(32)], "tun_id",
          "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "tun_gbp_id", "tun_gbp_flags", "tun_tos", "tun_ttl",
          "tun_erspan_ver", "tun_erspan_idx", "tun_erspan_dir", "tun_erspan_hwid", "tun_gtpu_flags",
          "tun_gtpu_msgtype", "tun_flags", *[f"tun_metadata{i}" for i in range(64)], "metadata", "in_port",
          "dl_vlan", "dl_vlan_pcp", "vlan_tci", "dl_src", "dl_dst", "dl_type", "ipv6_src", "ipv6_dst", "ipv6_label",
          "arp_spa", "arp_tpa", "nsh_flags", "nsh_ttl", "nsh_mdtype", "nsh_np", "nsh_spi", "nsh_si", "nsh_c1",
          "nsh_c2", "nsh_c3", "nsh_c4", "nw_src", "nw_dst", "nw_proto", "arp_op", "arp_sha", "arp_tha", "nw_tos",
          "nw_ecn", "nw_ttl", "mpls_label", "mpls_tc", "mpls_ttl", "mpls_bos", "nw_frag", "icmp_type", "icmp_code",
          "tp_src", "tp_dst", "nd_target", "nd_sll", "nd_tll", "nd_reserved", "nd_options_type", "tcp_flags"]
_RANK = {name: i for i, name in enumerate(_ORDER)}

Piece = tuple[int, FieldMatch]


def _rank(f: FieldMatch) -> int:
    if f.name == "dl_type" and not f.text.startswith("dl_type="):
        return _RANK["<shorthand>"]
    if f.name == "nw_proto" and not f.text:
        return _RANK["<folded nw_proto>"]
    return _RANK[f.name]


def _pieces(found: tuple[FieldMatch, ...], drop: frozenset[str] = frozenset()) -> tuple[Piece, ...]:
    return tuple((_rank(f), f) for f in found if f.name not in drop)


_PROTO_NAMES = frozenset({"dl_type", "nw_proto", "arp_op"})


class Pieces:
    """Printed items per distinct OXM field, and per Ethernet type and IP
    protocol; see the comment above."""

    def __init__(self) -> None:
        self._members: dict[str, int] = {}
        self._protos: dict[tuple[int | None, int | None], tuple[Piece, ...]] = {}

    def _bits(self, st: MatchState) -> int:
        bits = 0
        for member in [*st.m, *(f"tun_metadata{i}" for i in st.tun_md)]:
            if member != "packet_type":
                bits |= 1 << self._members.setdefault(member, len(self._members))
        return bits

    def classify(self, entry: tuple[MField, int, int | None]) -> tuple[int, int, object]:
        """(kind, the members it sets as bits, payload) for one OXM field:
        SIMPLE -> its pieces; DL_TYPE/PROTO -> the value; CONTEXT -> a
        per-(type, protocol) cache; WHOLE -> nothing."""
        f, value, _mask = entry
        st = build([entry])
        bits = self._bits(st)
        if f.name in _WHOLE_FIELDS or f.prereqs == "NSH":
            return WHOLE, bits, None
        if f.name == "eth_type":
            return DL_TYPE, bits, value
        if f.name in ("nw_proto", "arp_op"):
            return PROTO, bits, st.m["nw_proto"][0]
        if _CONTEXT_MEMBERS & set(st.m):
            return CONTEXT, bits, (entry, {})
        return SIMPLE, bits, _pieces(fields(st))

    @classmethod
    def context(cls, payload: tuple[tuple[MField, int, int | None],
                                    dict[tuple[int | None, int | None], tuple[Piece, ...]]],
                key: tuple[int | None, int | None]) -> tuple[Piece, ...]:
        """A CONTEXT field's items for a flow of this (Ethernet type, IP
        protocol); remembered in the payload."""
        entry, seen = payload
        found = seen.get(key)
        if found is None:
            found = seen[key] = _pieces(fields(build([*cls._protocol(*key), entry])), _PROTO_NAMES)
        return found

    def protocol(self, key: tuple[int | None, int | None]) -> tuple[Piece, ...]:
        """The items of the (Ethernet type, IP protocol) themselves (``tcp``,
        ``ip,nw_proto=2``, ``arp_op=1``)."""
        found = self._protos.get(key)
        if found is None:
            found = self._protos[key] = _pieces(fields(build(self._protocol(*key))))
        return found

    @staticmethod
    def _protocol(dl_type: int | None, nw_proto: int | None) -> list[tuple[MField, int, int | None]]:
        out: list[tuple[MField, int, int | None]] = []
        if dl_type is not None:
            out.append((_ETH_TYPE, dl_type, None))
        if nw_proto is not None:
            out.append((_IP_PROTO, nw_proto, None))
        return out


def _named(name: str) -> MField:
    f = by_name(name)
    assert f is not None, name
    return f


_ETH_TYPE, _IP_PROTO = _named("eth_type"), _named("nw_proto")
