"""Flows as ovs-ofctl prints them, so they paste into the usual tools.

The match follows ovs-ofctl's ``match_format`` conventions: protocol
shorthands (``tcp``, ``icmp6``, ``arp``...) instead of ``dl_type``/
``nw_proto``, CIDR prefixes for contiguous address masks, decimal for small
protocol numbers and hex for registers and metadata.
"""

from __future__ import annotations

import ipaddress

from flowprog.flows import FieldMatch, Flow, FlowEntry

__all__ = ["format_flow", "format_match", "format_header", "PROTOCOLS", "DECIMAL_FIELDS"]

# (dl_type, nw_proto or None) -> shorthand, as ovs-ofctl folds them.
PROTOCOLS: dict[tuple[int, int | None], str] = {
    (0x0800, None): "ip", (0x0800, 1): "icmp", (0x0800, 2): "igmp", (0x0800, 6): "tcp", (0x0800, 17): "udp",
    (0x0800, 132): "sctp", (0x86DD, None): "ipv6", (0x86DD, 58): "icmp6", (0x86DD, 6): "tcp6",
    (0x86DD, 17): "udp6", (0x86DD, 132): "sctp6", (0x0806, None): "arp", (0x8035, None): "rarp",
    (0x8847, None): "mpls", (0x8848, None): "mplsm",
}
DECIMAL_FIELDS = frozenset({"in_port", "tp_src", "tp_dst", "icmp_type", "icmp_code", "nw_ttl", "nw_tos", "nw_ecn",
                      "nw_proto", "arp_op", "ct_zone", "conj_id", "ct_nw_proto", "dl_vlan_pcp", "dl_vlan", "ct_tp_src",
                      "ct_tp_dst", "actset_output"})
# The order in which ovs-ofctl prints fields; others follow in decode order.
_ORDER = ["pkt_mark", "recirc_id", "dp_hash", "conj_id", "actset_output", "ct_state", "ct_zone", "ct_mark",
          "ct_label", "ct_nw_src", "ct_ipv6_src", "ct_nw_dst", "ct_ipv6_dst", "ct_nw_proto", "ct_tp_src",
          "ct_tp_dst", "<proto>", *[f"reg{i}" for i in range(16)], *[f"xxreg{i}" for i in range(4)],
          "tun_id", "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "tun_flags",
          *[f"tun_metadata{i}" for i in range(64)], "metadata", "in_port", "dl_vlan", "vlan_tci", "dl_vlan_pcp",
          "dl_src", "dl_dst", "dl_type", "ipv6_src", "ipv6_dst", "ipv6_label", "arp_spa", "arp_tpa", "nw_src",
          "nw_dst", "nw_proto", "nw_tos", "nw_ecn", "arp_op", "arp_sha", "arp_tha", "nw_ttl", "nw_frag",
          "icmp_type", "icmp_code", "nd_target", "nd_sll", "nd_tll", "tp_src", "tp_dst", "tcp_flags"]
_RANK = {name: i for i, name in enumerate(_ORDER)}


def _addr_mask(value: str, mask: str) -> str:
    try:
        net = ipaddress.ip_network(f"{value}/{mask}", strict=False)
        if str(net.netmask) == str(ipaddress.ip_address(mask)):
            return f"{value}/{net.prefixlen}"
    except ValueError:
        pass
    return f"{value}/{mask}"


def _value(f: FieldMatch) -> str:
    v, m = f.value, f.mask
    if isinstance(v, str):
        if m is None:
            return v
        return _addr_mask(v, str(m)) if ("." in v or ":" in v) and v.count(":") != 5 else f"{v}/{m}"
    if f.name == "vlan_tci":  # the TCI is shown as four hex digits
        return f"0x{v:04x}" + (f"/0x{m:04x}" if isinstance(m, int) else "")
    if m is None:
        return str(v) if f.name in DECIMAL_FIELDS else f"{v:#x}" if v else "0"
    return f"{v:#x}/{m:#x}" if v else f"0/{m:#x}"


def format_match(match: tuple[FieldMatch, ...]) -> str:
    """``icmp6,in_port=9,icmp_type=2`` -- the fields in ovs-ofctl's order."""
    fields = list(match)
    dl_type = next((f.value for f in fields if f.name == "dl_type" and f.mask is None), None)
    nw_proto = next((f.value for f in fields if f.name == "nw_proto" and f.mask is None), None)
    proto = None
    if isinstance(dl_type, int):
        key = (dl_type, nw_proto if isinstance(nw_proto, int) else None)
        proto = PROTOCOLS.get(key)
        if proto is None and key[1] is not None:
            proto = PROTOCOLS.get((dl_type, None))
            key = (dl_type, None)
        if proto is not None:
            fields = [f for f in fields if f.name != "dl_type" and not (key[1] is not None and f.name == "nw_proto")]
    ordered = sorted(enumerate(fields), key=lambda p: (_RANK.get(p[1].name, len(_RANK)), p[0]))
    parts = [f"{f.name}={_value(f)}" for _, f in ordered]
    if proto is not None:
        at = sum(1 for _, f in ordered if _RANK.get(f.name, len(_RANK)) < _RANK["<proto>"])
        parts.insert(at, proto)
    return ",".join(parts)


def format_header(e: FlowEntry) -> str:
    parts = [f"cookie={e.cookie:#x}", f"duration={e.duration:.3f}s", f"table={e.table}",
             f"n_packets={e.packet_count}", f"n_bytes={e.byte_count}"]
    if e.idle_timeout:
        parts.append(f"idle_timeout={e.idle_timeout}")
    if e.hard_timeout:
        parts.append(f"hard_timeout={e.hard_timeout}")
    if e.importance:
        parts.append(f"importance={e.importance}")
    return ", ".join(parts)


def format_flow(flow: Flow) -> str:
    """One ``ovs-ofctl dump-flows`` line (without its leading space)."""
    match = format_match(flow.match)
    prio = f"priority={flow.priority}" if flow.priority != 0x8000 else ""
    head = ",".join(p for p in (prio, match) if p)
    if flow.undecoded:
        return f"{format_header(flow.entry)}, {head} actions=<undecoded: {flow.undecoded}>"
    actions = ",".join(a.text for a in flow.actions) or "drop"
    return f"{format_header(flow.entry)}, {head + ' ' if head else ''}actions={actions}"


