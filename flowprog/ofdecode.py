"""Decode flow-stats entries: the header at once, match and actions on demand.

:func:`entries` splits a multipart reply body into :class:`FlowEntry`
objects with ``struct`` alone (the fixed headers of OpenFlow 1.3
``ofp_flow_stats`` and 1.5 ``ofp_flow_desc`` plus its OXS counters), which
is cheap enough to run on every flow of a large table.  :meth:`Decoder.decode` runs
ryu's codec (extended by :mod:`flowprog.ofext`) on one entry and converts
its match and instructions into the project's model; a flow the codec cannot
decode comes back with ``undecoded`` set and nothing lost.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from flowprog.fieldnames import lookup, xreg_halves
from flowprog.flows import Action, FieldMatch, Flow, FlowEntry
from flowprog.ofactions import UnknownAction, convert
from flowprog.ofcodec import Codec
from mvcore.errors import DecodeError

__all__ = ["entries", "Decoder", "OF13", "OF15"]

OF13, OF15 = 4, 6
_H13 = struct.Struct("!HBxIIHHHH4xQQQ")  # ofp_flow_stats up to the match (48 bytes)
_H15 = struct.Struct("!H2xBxHHHHHQ")  # ofp_flow_desc up to the match (24 bytes)
_MATCH_HDR = struct.Struct("!HH")
_OXS_CLASS = 0x8002
_CT_STATE = ("new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat")
_TCP_FLAGS = ("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns")


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def _counters15(body: bytes, offset: int, end: int) -> tuple[float, int, int, int]:
    """OXS stats after the match: duration, packets, bytes, and where they end."""
    if offset + 4 > end:
        raise DecodeError("flow desc truncated before its stats", offset=offset)
    _reserved, length = _MATCH_HDR.unpack_from(body, offset)
    if length < 4 or offset + length > end:
        raise DecodeError(f"bad OXS stats length {length}", offset=offset)
    duration, packets, nbytes = 0.0, 0, 0
    pos, stop = offset + 4, offset + length
    while pos + 4 <= stop:
        (header,) = struct.unpack_from("!I", body, pos)
        cls, field, size = header >> 16, (header >> 9) & 0x7F, header & 0xFF
        if pos + 4 + size > stop:
            raise DecodeError("OXS field overruns its stats", offset=pos)
        if cls == _OXS_CLASS and field == 0 and size == 8:
            sec, nsec = struct.unpack_from("!II", body, pos + 4)
            duration = sec + nsec / 1e9
        elif cls == _OXS_CLASS and field == 4 and size == 8:
            (packets,) = struct.unpack_from("!Q", body, pos + 4)
        elif cls == _OXS_CLASS and field == 5 and size == 8:
            (nbytes,) = struct.unpack_from("!Q", body, pos + 4)
        pos += 4 + size
    return duration, packets, nbytes, offset + _pad8(length)


def _entry(version: int, body: bytes) -> FlowEntry:
    if version == OF13:
        if len(body) < _H13.size + 4:
            raise DecodeError(f"flow stats entry of {len(body)} bytes is too short")
        (_l, table, sec, nsec, prio, idle, hard, flags, cookie, packets, nbytes) = _H13.unpack_from(body)
        return FlowEntry(version, table, prio, cookie, packets, nbytes, sec + nsec / 1e9, idle, hard, flags, 0, body)
    if len(body) < _H15.size + 4:
        raise DecodeError(f"flow desc entry of {len(body)} bytes is too short")
    (_l, table, prio, idle, hard, flags, importance, cookie) = _H15.unpack_from(body)
    _type, match_len = _MATCH_HDR.unpack_from(body, _H15.size)
    if match_len < 4:
        raise DecodeError(f"bad match length {match_len}", offset=_H15.size)
    duration, packets, nbytes, _ = _counters15(body, _H15.size + _pad8(match_len), len(body))
    return FlowEntry(version, table, prio, cookie, packets, nbytes, duration, idle, hard, flags, importance, body)


def entries(version: int, data: bytes, offset: int = 0) -> Iterator[FlowEntry]:
    """The flows in a flow-stats multipart reply body (after its 16-byte header)."""
    end = len(data)
    while offset < end:
        if offset + 2 > end:
            raise DecodeError("trailing byte after the last flow", offset=offset)
        (length,) = struct.unpack_from("!H", data, offset)
        if length < 8 or offset + length > end:
            raise DecodeError(f"flow entry length {length} does not fit the reply", offset=offset)
        yield _entry(version, bytes(data[offset:offset + length]))
        offset += length


def _flag_text(names: tuple[str, ...], value: int, mask: int | None, full: int) -> str:
    """ovs-ofctl's flag notation: ``+trk-est`` when masked, ``new|trk`` when exact."""
    if mask is None or mask & full == full:
        return "|".join(n for i, n in enumerate(names) if value >> i & 1) or "0"
    if not mask:
        return "0/0"
    return "".join(("+" if value >> i & 1 else "-") + (names[i] if i < len(names) else f"[{1 << i:#x}]")
                   for i in range(32) if mask >> i & 1)


def _frag_text(value: int, mask: int | None) -> str:
    m = 3 if mask is None else mask & 3
    if m == 3:
        return {0: "no", 1: "first", 3: "later"}.get(value & 3, f"{value:#x}/{m:#x}")
    if m == 1:
        return "yes" if value & 1 else "no"
    if m == 2:
        return "later" if value & 2 else "not_later"
    return f"{value:#x}/{m:#x}"


def _vlan(value: int, mask: int | None) -> FieldMatch:
    """OXM vlan_vid (VID plus the "present" bit 0x1000) as OVS shows it:
    ``dl_vlan=N`` for an exact VID, otherwise the 802.1Q TCI bits."""
    m = 0x1FFF if mask is None else mask & 0x1FFF
    if m == 0x1FFF and value & 0x1000:
        return FieldMatch("dl_vlan", value & 0xFFF)
    return FieldMatch("vlan_tci", value & 0x1FFF, m)


def _field(codec_name: str, value: Any, mask: Any) -> list[FieldMatch]:
    """One codec match field as the field(s) OVS shows."""
    names = lookup(codec_name)
    if codec_name.startswith("xreg"):
        return [FieldMatch(n, v, m) for n, v, m in xreg_halves(int(codec_name[4:]), value, mask)]
    if names.kind == "ct_state":
        return [FieldMatch("ct_state", _flag_text(_CT_STATE, value, mask, 0xFF))]
    if names.kind == "tcp_flags":
        return [FieldMatch("tcp_flags", _flag_text(_TCP_FLAGS, value, mask, 0xFFF))]
    if names.kind == "frag":
        return [FieldMatch("nw_frag", _frag_text(value, mask))]
    if codec_name == "vlan_vid":
        return [_vlan(value, mask)]
    if codec_name == "ip_dscp":  # OVS shows DSCP in the TOS byte
        return [FieldMatch("nw_tos", value << 2, None if mask is None else mask << 2)]
    return [FieldMatch(names.match, value, mask)]


def _instructions(insts: Any) -> tuple[Action, ...]:
    out: list[Action] = []
    for inst in insts:
        kind = type(inst).__name__
        if kind == "OFPInstructionActions":
            actions = convert(inst.actions)
            if inst.type == 4:  # APPLY_ACTIONS: the common case, shown bare
                out.extend(actions)
            elif inst.type == 3:
                out.append(Action("write_actions", (), f"write_actions({','.join(a.text for a in actions)})", actions))
            else:
                out.append(Action("clear_actions", (), "clear_actions"))
        elif kind == "OFPInstructionGotoTable":
            out.append(Action("goto_table", (("table", inst.table_id),), f"goto_table:{inst.table_id}"))
        elif kind == "OFPInstructionWriteMetadata":
            text = f"write_metadata:{inst.metadata:#x}/{inst.metadata_mask:#x}"
            out.append(Action("write_metadata", (("value", inst.metadata), ("mask", inst.metadata_mask)), text))
        elif kind == "OFPInstructionMeter":
            out.append(Action("meter", (("meter", inst.meter_id),), f"meter:{inst.meter_id}"))
        else:
            raise UnknownAction(kind)
    return tuple(out)


# Nicira actions that carry a nested action list, and where it starts:
# ct (35) after its 24-byte fixed part, clone (42) after 16 bytes.
_NESTED = {35: 24, 42: 16}


def _check_actions(data: bytes, pos: int, end: int, depth: int = 0) -> None:
    """Check an action list's framing before the codec walks it: the codec
    loops forever on a zero-length action inside ``ct`` and reads past an
    action whose length overruns its list."""
    if depth > 8:
        raise DecodeError("actions nested too deep", offset=pos)
    while pos < end:
        if pos + 4 > end:
            raise DecodeError("truncated action header", offset=pos)
        atype, length = struct.unpack_from("!HH", data, pos)
        if length < 8 or length % 8 or pos + length > end:
            raise DecodeError(f"action length {length} does not fit its list", offset=pos)
        if atype == 0xFFFF and length >= 16:
            vendor, subtype = struct.unpack_from("!IH", data, pos + 4)
            if vendor == 0x2320 and subtype in _NESTED and length >= _NESTED[subtype]:
                _check_actions(data, pos + _NESTED[subtype], pos + length, depth + 1)
        pos += length


class Decoder:
    """Decodes flows with one codec, remembering what it has decoded.

    OVN's tables repeat themselves: the same ``metadata=0x1`` match field
    and the same action lists recur across thousands of flows.  The codec
    decodes each distinct OXM field and each distinct instruction list once;
    later flows reuse the result (the caches are bounded).
    """

    _LIMIT = 200_000

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self._fields: dict[bytes, tuple[FieldMatch, ...]] = {}
        self._insts: dict[bytes, tuple[Action, ...]] = {}

    def decode(self, entry: FlowEntry) -> Flow:
        """Fully decode one flow; a body that cannot be decoded is marked, never raised."""
        try:
            match, insts = self._split(entry)
            return Flow(entry, self._match(entry.version, match), self._instructions(entry.version, insts))
        except UnknownAction as e:
            return Flow(entry, (), (), undecoded=f"no converter for {e}")
        except DecodeError as e:
            return Flow(entry, (), (), undecoded=e.message)
        except Exception as e:  # noqa: BLE001 - the codec asserts, overruns and mis-sizes in many ways
            return Flow(entry, (), (), undecoded=f"{type(e).__name__}: {e}"[:200])

    @staticmethod
    def _split(entry: FlowEntry) -> tuple[bytes, bytes]:
        """The OXM fields and the instructions of an entry, as byte strings."""
        body = entry.body
        start = _H13.size if entry.version == OF13 else _H15.size
        _type, length = _MATCH_HDR.unpack_from(body, start)
        if length < 4 or start + _pad8(length) > len(body):
            raise DecodeError(f"match length {length} does not fit the flow", offset=start)
        fields = body[start + 4:start + length]
        after = start + _pad8(length)
        if entry.version == OF15:
            after = _counters15(body, after, len(body))[3]
        return fields, body[after:]

    def _match(self, version: int, data: bytes) -> tuple[FieldMatch, ...]:
        ofp = self.codec.v13 if version == OF13 else self.codec.v15
        out: list[FieldMatch] = []
        pos = 0
        while pos < len(data):
            if pos + 4 > len(data):
                raise DecodeError("truncated OXM header", offset=pos)
            size = 4 + data[pos + 3]
            if pos + size > len(data):
                raise DecodeError("OXM field overruns the match", offset=pos)
            tlv = data[pos:pos + size]
            cached = self._fields.get(tlv)
            if cached is None:
                n, value, mask, used = ofp.oxm_parse(tlv, 0)
                if used != size:
                    raise DecodeError("OXM field length mismatch", offset=pos)
                name, user = ofp.oxm_to_user(n, value, mask)
                v, m = user if isinstance(user, tuple) else (user, None)
                cached = tuple(_field(name, v, m))
                self._remember(self._fields, tlv, cached)
            out.extend(cached)
            pos += size
        return tuple(out)

    def _instructions(self, version: int, data: bytes) -> tuple[Action, ...]:
        cached = self._insts.get(data)
        if cached is None:
            ofpp = self.codec.v13_parser if version == OF13 else self.codec.v15_parser
            insts, pos = [], 0
            while pos < len(data):
                if pos + 4 > len(data):
                    raise DecodeError("truncated instruction", offset=pos)
                (length,) = struct.unpack_from("!H", data, pos + 2)
                if length < 8 or length % 8 or pos + length > len(data):
                    raise DecodeError(f"instruction length {length} does not fit", offset=pos)
                (itype,) = struct.unpack_from("!H", data, pos)
                if itype in (3, 4):  # WRITE_ACTIONS, APPLY_ACTIONS: 8-byte header, then actions
                    _check_actions(data, pos + 8, pos + length)
                insts.append(ofpp.OFPInstruction.parser(data, pos))
                pos += length
            cached = _instructions(insts)
            self._remember(self._insts, data, cached)
        return cached

    def _remember(self, cache: dict[bytes, Any], key: bytes, value: Any) -> None:
        if len(cache) >= self._LIMIT:
            cache.clear()
        cache[key] = value
