"""Values as OVS prints them: ports, addresses, flag sets, hex strings.

Each function follows one of OVS's own formatters, named in its docstring,
so that a field's value comes out exactly as ``ovs-ofctl`` writes it.
:func:`mf_format` is the per-field entry point (lib/meta-flow.c
``mf_format``): it picks the formatter from the field's ``fmt`` in
:mod:`flowprog.mfields`, the way OVS's ``Formatting:`` column does.
"""

from __future__ import annotations

import socket

from flowprog.mfields import (CT_STATE, DEC, ETH, FRAG, HEX, IPV4, IPV6, PACKET_TYPE, PORT, PORT_OXM, TCP_FLAGS,
                              TNL_FLAGS, MField)

__all__ = ["hex_text", "port_text", "port_from_ofp11", "port_to_ofp11", "port_from_text",
           "ip_text", "ip_masked", "ipv6_text", "ipv6_masked",
           "eth_text", "eth_masked", "flags_text", "flags_masked", "packet_type_masked", "frag_text",
           "mf_format", "RESERVED_PORTS", "CT_STATE_NAMES", "TCP_FLAG_NAMES", "TNL_FLAG_NAMES"]

# include/openflow/openflow-1.0.h: the reserved ports and their names
# (lib/ofp-port.c OFPUTIL_NAMED_PORTS).
RESERVED_PORTS = {0xFFF7: "UNSET", 0xFFF8: "IN_PORT", 0xFFF9: "TABLE", 0xFFFA: "NORMAL", 0xFFFB: "FLOOD",
                  0xFFFC: "ALL", 0xFFFD: "CONTROLLER", 0xFFFE: "LOCAL", 0xFFFF: "ANY"}
_OFPP_MAX = 0xFF00
_OFPP11_OFFSET = 0xFFFF0000  # OpenFlow 1.1+ ports: 0xffffff00.. stand for 0xff00..

# lib/packets.h CS_STATES, lib/packets.c packet_tcp_flag_to_string,
# lib/flow.c flow_tun_flag_to_string: bit -> name.
CT_STATE_NAMES = {0x01: "new", 0x02: "est", 0x04: "rel", 0x08: "rpl", 0x10: "inv", 0x20: "trk", 0x40: "snat",
                  0x80: "dnat"}
TCP_FLAG_NAMES = {0x001: "fin", 0x002: "syn", 0x004: "rst", 0x008: "psh", 0x010: "ack", 0x020: "urg", 0x040: "ece",
                  0x080: "cwr", 0x100: "ns", 0x200: "[200]", 0x400: "[400]", 0x800: "[800]"}
TNL_FLAG_NAMES = {0x1: "oam", 0x2: "df", 0x4: "csum", 0x8: "key"}


def hex_text(value: int) -> str:
    """lib/dynamic-string.c ``ds_put_hex``: ``0x`` and the digits without
    leading zero bytes, or ``0``.  (The first byte is printed without a
    leading zero, later ones with: the same as ``%#x`` of the number.)"""
    return f"{value:#x}" if value else "0"


def port_from_ofp11(port: int) -> int:
    """lib/ofp-port.c ``ofputil_port_from_ofp11``: a 32-bit OpenFlow 1.1+
    port as the 16-bit port OVS works with (0xfffffffe -> 0xfffe, LOCAL);
    OFPP_NONE for the range in between, which OVS refuses."""
    if port < _OFPP_MAX:
        return port
    if port >= _OFPP11_OFFSET + _OFPP_MAX:
        return port - _OFPP11_OFFSET
    return 0xFFFF


def port_to_ofp11(port: int) -> int:
    """lib/ofp-port.c ``ofputil_port_to_ofp11``: the inverse, for requests
    (a port that is already a 32-bit one is kept)."""
    return port + _OFPP11_OFFSET if _OFPP_MAX <= port <= 0xFFFF else port


def port_from_text(text: str) -> int | None:
    """lib/ofp-port.c ``ofputil_port_from_string`` without a port map: a
    reserved port's name (any case; ``NONE`` is ``ANY``) or a decimal
    number below 65536; None for anything else."""
    name = text.upper()
    if name == "NONE":
        name = "ANY"
    for number, reserved in RESERVED_PORTS.items():
        if reserved == name:
            return number
    if text.isdigit() and int(text) <= 0xFFFF:
        return int(text)
    return None


def port_text(port: int) -> str:
    """lib/ofp-port.c ``ofputil_format_port`` (without a port-name map, as
    ``ovs-ofctl --no-names``): reserved ports by name, others in decimal."""
    return RESERVED_PORTS.get(port) or str(port)


def ip_text(value: int) -> str:
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def _cidr_bits(mask: int, width: int) -> int | None:
    """The prefix length if ``mask`` is a CIDR mask of ``width`` bits."""
    inverted = ~mask & ((1 << width) - 1)
    if inverted & (inverted + 1):
        return None
    return width - inverted.bit_length()


def ip_masked(value: int, mask: int = 0xFFFFFFFF) -> str:
    """lib/packets.c ``ip_format_masked``: ``/N`` for a CIDR mask, a dotted
    mask otherwise, nothing for an exact match."""
    text = ip_text(value)
    if mask == 0xFFFFFFFF:
        return text
    bits = _cidr_bits(mask, 32)
    return f"{text}/{bits}" if bits is not None else f"{text}/{ip_text(mask)}"


def ipv6_text(value: int) -> str:
    """OVS's ``ipv6_format_addr`` is the C library's ``inet_ntop``, and so
    is Python's: ``::`` for the longest zero run, and a dotted tail for
    IPv4-compatible and -mapped addresses (``::ffff:10.0.0.1``)."""
    return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))


def ipv6_masked(value: int, mask: int | None = None) -> str:
    """lib/packets.c ``ipv6_format_masked``: ``/N`` for a CIDR mask, the
    mask as an address otherwise."""
    text = ipv6_text(value)
    full = (1 << 128) - 1
    if mask is None or mask == full:
        return text
    bits = _cidr_bits(mask, 128)
    return f"{text}/{bits}" if bits is not None else f"{text}/{ipv6_text(mask)}"


def eth_text(value: int) -> str:
    return ":".join(f"{b:02x}" for b in value.to_bytes(6, "big"))


def eth_masked(value: int, mask: int | None = None) -> str:
    """lib/packets.c ``eth_format_masked``."""
    if mask is None or mask == 0xFFFFFFFFFFFF:
        return eth_text(value)
    return f"{eth_text(value)}/{eth_text(mask)}"


def flags_text(names: dict[int, str], flags: int) -> str:
    """lib/flow.c ``format_flags`` with ``|``: the set bits' names from the
    lowest up, unnamed bits together in hex at the end, ``0`` for none."""
    if not flags:
        return "0"
    words, bad, bit = [], 0, 1
    while bit <= flags:
        if flags & bit:
            if bit in names:
                words.append(names[bit])
            else:
                bad |= bit
        bit <<= 1
    if bad:
        words.append(f"{bad:#x}")
    return "|".join(words)


def flags_masked(names: dict[int, str], flags: int, mask: int, max_mask: int) -> str:
    """lib/flow.c ``format_flags_masked``: ``+name-name`` for each mask bit
    from the lowest up, or :func:`flags_text` when the mask is full."""
    if mask == max_mask:
        return flags_text(names, flags)
    if not mask:
        return "0/0"
    out, bit = [], 1
    while bit <= mask:
        if mask & bit:
            out.append(("+" if flags & bit else "-") + names.get(bit, "[Unknown]"))
        bit <<= 1
    return "".join(out)


def _u16_masked(value: int, mask: int) -> str:
    """lib/flow.c ``put_u16_masked``."""
    if not mask:
        return "*"
    text = f"{value:#x}" if value > 9 else str(value)
    return text if mask == 0xFFFF else f"{text}/{mask:#x}"


def packet_type_masked(value: int, mask: int) -> str:
    """lib/flow.c ``format_packet_type_masked``: ``eth`` for Ethernet,
    ``packet_type=(ns,type)`` otherwise."""
    if value == 0 and mask == 0xFFFFFFFF:
        return "eth"
    return (f"packet_type=({_u16_masked(value >> 16, mask >> 16)},"
            f"{_u16_masked(value & 0xFFFF, mask & 0xFFFF)})")


# lib/meta-flow.c all_frags: (value, mask) -> name, in OVS's order.
_FRAGS = (((0, 3), "no"), ((1, 3), "first"), ((3, 3), "later"), ((0, 1), "no"), ((1, 1), "yes"),
          ((0, 2), "not_later"), ((2, 2), "later"))


def frag_text(value: int, mask: int) -> str:
    """lib/meta-flow.c ``mf_format_frag_string``."""
    mask &= 3
    value &= mask
    return next((name for vm, name in _FRAGS if vm == (value, mask)), "<error>")


def mf_format(field: MField, value: int, mask: int | None) -> str:
    """lib/meta-flow.c ``mf_format``: a value of ``field`` (as the integer
    of its ``n_bytes`` wire bytes) in the field's own format; ``mask`` None
    or all ones means exact."""
    full = (1 << (8 * field.n_bytes)) - 1
    if mask is not None:
        if mask == 0:
            return "ANY"
        if mask & full == full:
            mask = None
    fmt = field.fmt
    if fmt == PORT_OXM and mask is None:
        return port_text(port_from_ofp11(value))
    if fmt == PORT and mask is None:
        return port_text(value)
    if fmt in (DEC, HEX, PORT, PORT_OXM):
        text = hex_text(value) if fmt == HEX else str(value)
        return text if mask is None else f"{text}/{hex_text(mask)}"
    if fmt == CT_STATE:
        return flags_masked(CT_STATE_NAMES, value, 0xFFFFFFFF if mask is None else mask, 0xFFFF)
    if fmt == ETH:
        return eth_masked(value, mask)
    if fmt == IPV4:
        return ip_masked(value, 0xFFFFFFFF if mask is None else mask)
    if fmt == IPV6:
        return ipv6_masked(value, mask)
    if fmt == FRAG:
        return frag_text(value, 0xFF if mask is None else mask)
    if fmt == TNL_FLAGS:
        return flags_masked(TNL_FLAG_NAMES, value, (0xFFFF if mask is None else mask) & 1, 1)
    if fmt == TCP_FLAGS:
        return flags_masked(TCP_FLAG_NAMES, value, (0xFFFF if mask is None else mask) & 0xFFF, 0xFFF)
    if fmt == PACKET_TYPE:
        return packet_type_masked(value, 0xFFFFFFFF if mask is None else mask)
    raise ValueError(f"no format {fmt!r}")  # every MField.fmt is one of the above
