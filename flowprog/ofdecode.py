"""Decode flow-stats entries: the header at once, match and actions on demand.

:func:`entries` splits a multipart reply body into :class:`FlowEntry`
objects with ``struct`` alone (the fixed headers of OpenFlow 1.3
``ofp_flow_stats`` and 1.5 ``ofp_flow_desc`` plus its OXS counters), which
is cheap enough to run on every flow of a large table.
:meth:`Decoder.decode` runs ryu's codec (extended by :mod:`flowprog.ofext`)
on one entry and converts its match (:mod:`flowprog.ofmatch`) and
instructions (:mod:`flowprog.ofactions`) into the project's model.

Only the codec's own failures are turned into marks: every call into the
codec goes through :func:`flowprog.ofcodec.call`, which raises
:class:`DecodeError` for whatever the codec raises, and the framing checks
here raise :class:`DecodeError` themselves.  A part
that cannot be decoded -- the match, or one action -- is marked in place
and the rest of the flow kept; a bug in a converter is not caught.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from flowprog.flows import Action, FieldMatch, Flow, FlowEntry
from flowprog.mfields import MField, by_codec
from flowprog.ofactions import Context, UnknownAction, convert_one, instruction
from flowprog.ofcodec import Codec, call as _codec
from flowprog.ofext import knows_action, pad8
from flowprog.ofmatch import CONTEXT, DL_TYPE, PROTO, SIMPLE, Pieces, build, fields
from flowprog.offormat import format_flow, text_row
from mvcore.errors import DecodeError

__all__ = ["entries", "Decoder", "Row", "OF13", "OF15"]

OF13, OF15 = 4, 6
_H13 = struct.Struct("!HBxIIHHHH4xQQQ")  # ofp_flow_stats up to the match (48 bytes)
_H15 = struct.Struct("!H2xBxHHHHHQ")  # ofp_flow_desc up to the match (24 bytes)
_MATCH_HDR = struct.Struct("!HH")
_OXS_CLASS = 0x8002
_OFPAT_EXPERIMENTER, _NX_VENDOR, _NX_CT, _NX_CLONE = 0xFFFF, 0x2320, 35, 42
# Nicira actions whose codec parser walks a nested action list, and where it starts.
_NESTED = {_NX_CT: 24, _NX_CLONE: 16}
# OVS turns instructions into actions in this order, whatever order they
# came in (lib/ofp-actions.c ofpacts_pull_openflow_instructions).
_INSTRUCTION_ORDER = {6: 0, 4: 1, 5: 2, 3: 3, 2: 4, 1: 5}  # meter, apply, clear, write, write_metadata, goto

_FIRST, _FRAME_ID = itemgetter(0), itemgetter(4)
Piece = tuple[int, FieldMatch]  # an item of a match and its rank in ovs-ofctl's order
# One OXM field, classified (flowprog.ofmatch.Pieces.classify): kind, the
# members it sets as bits, payload, the field and its value and mask, and
# its frame id (see Decoder._match).
Classified = tuple[int, int, Any, tuple[MField, int, int | None], int]
# A frame: the match's items without its CONTEXT fields', the (Ethernet
# type, IP protocol) those are printed for, and for each CONTEXT field its
# index among the match's fields and where its one item goes, with what rank.
Frame = tuple[list[Piece], tuple[int | None, int | None], list[tuple[int, int, int]]]
_NO_FRAME: Frame = ([], (None, None), [])  # for matches that are put together the long way

# What makes the usual flow's line or document in Decoder.rows: table,
# priority, cookie, packets, bytes, duration (s, ns), idle and hard
# timeouts, flags, importance, idle age (None: OpenFlow 1.3), the match's
# (rank, item) pairs in print order, and (actions, their text, why any is
# undecoded).
Row = Callable[[int, int, int, int, int, int, int, int, int, int, int, int | None,
                list[tuple[int, FieldMatch]], tuple[tuple[Action, ...], str, str | None]], str]


def _counters15(body: bytes, offset: int, end: int) -> tuple[int, int, int, int, int | None, int]:
    """OXS stats after the match: duration (s, ns), packets, bytes, idle age,
    and where they end."""
    if offset + 4 > end:
        raise DecodeError("flow desc truncated before its stats", offset=offset)
    _reserved, length = _MATCH_HDR.unpack_from(body, offset)
    if length < 4 or offset + length > end:
        raise DecodeError(f"bad OXS stats length {length}", offset=offset)
    sec = nsec = packets = nbytes = 0
    idle: int | None = None
    pos, stop = offset + 4, offset + length
    while pos + 4 <= stop:
        (header,) = struct.unpack_from("!I", body, pos)
        cls, field, size = header >> 16, (header >> 9) & 0x7F, header & 0xFF
        if pos + 4 + size > stop:
            raise DecodeError("OXS field overruns its stats", offset=pos)
        if cls == _OXS_CLASS and size == 8:
            if field == 0:
                sec, nsec = struct.unpack_from("!II", body, pos + 4)
            elif field == 1:
                (idle,) = struct.unpack_from("!I", body, pos + 4)
            elif field == 4:
                (packets,) = struct.unpack_from("!Q", body, pos + 4)
            elif field == 5:
                (nbytes,) = struct.unpack_from("!Q", body, pos + 4)
        pos += 4 + size
    return sec, nsec, packets, nbytes, idle, offset + pad8(length)


# What OVS sends as a flow's OXS stats (lib/ox-stat.c oxs_put_stats): the
# stats header, then duration, idle time, packet and byte counts, padded to 8.
_OXS_USUAL = struct.Struct("!2xHIQIQIQIQ4x")
_OXS_HEADERS = (52, 0x80020008, 0x80020208, 0x80020808, 0x80020A08)


def _entry(version: int, body: bytes) -> FlowEntry:
    if version == OF13:
        if len(body) < _H13.size + 4:
            raise DecodeError(f"flow stats entry of {len(body)} bytes is too short")
        (_l, table, sec, nsec, prio, idle, hard, flags, cookie, packets, nbytes) = _H13.unpack_from(body)
        _type, match_len = _MATCH_HDR.unpack_from(body, _H13.size)
        inst_at = _H13.size + pad8(match_len) if match_len >= 4 and _H13.size + pad8(match_len) <= len(body) else 0
        return FlowEntry(version, table, prio, cookie, packets, nbytes, sec + nsec / 1e9, idle, hard, flags, 0, body,
                         sec, nsec, None, match_len, inst_at)
    if len(body) < _H15.size + 4:
        raise DecodeError(f"flow desc entry of {len(body)} bytes is too short")
    (_l, table, prio, idle, hard, flags, importance, cookie) = _H15.unpack_from(body)
    _type, match_len = _MATCH_HDR.unpack_from(body, _H15.size)
    if match_len < 4:
        raise DecodeError(f"bad match length {match_len}", offset=_H15.size)
    # (The usual OXS stats never reach here: entries() reads those itself.)
    sec, nsec, packets, nbytes, idle_age, inst_at = _counters15(body, _H15.size + pad8(match_len), len(body))
    return FlowEntry(version, table, prio, cookie, packets, nbytes, sec + nsec / 1e9, idle, hard, flags, importance,
                     body, sec, nsec, idle_age, match_len, inst_at)


# The fixed headers with the match's length, in one read (the match type, OXM, is skipped).
_E13 = struct.Struct("!HBxIIHHHH4xQQQ2xH")
_E15 = struct.Struct("!H2xBxHHHHHQ2xH")


def entries(version: int, data: bytes, offset: int = 0) -> Iterator[FlowEntry]:
    """The flows in a flow-stats multipart reply body (after its 16-byte header).

    Runs for every flow of a dump, so the usual entry is read with as few
    ``struct`` calls as it takes; anything else goes through :func:`_entry`,
    which checks every length."""
    end = len(data)
    if version == OF13:
        head, fixed = _E13, _H13.size
    else:
        head, fixed = _E15, _H15.size
    oxs, usual, size = _OXS_USUAL.unpack_from, _OXS_HEADERS, head.size
    while offset < end:
        if offset + size <= end:
            found = head.unpack_from(data, offset)
            length, match_len = found[0], found[-1]
            at = fixed + pad8(match_len)
            if size <= length and offset + length <= end and match_len >= 4 and at <= length:
                body = data[offset:offset + length]
                if version == OF13:
                    (_l, table, sec, nsec, prio, idle, hard, flags, cookie, packets, nbytes, _m) = found
                    yield FlowEntry(version, table, prio, cookie, packets, nbytes, sec + nsec / 1e9, idle, hard,
                                    flags, 0, body, sec, nsec, None, match_len, at)
                    offset += length
                    continue
                if at + 56 <= length:
                    (_l, table, prio, idle, hard, flags, importance, cookie, _m) = found
                    (slen, h_dur, dur, h_idle, idle_ns, h_pkt, packets, h_byte, nbytes) = oxs(body, at)
                    if (slen, h_dur, h_idle, h_pkt, h_byte) == usual:
                        sec, nsec = dur >> 32, dur & 0xFFFFFFFF
                        yield FlowEntry(version, table, prio, cookie, packets, nbytes, sec + nsec / 1e9, idle, hard,
                                        flags, importance, body, sec, nsec, idle_ns >> 32, match_len, at + 56)
                        offset += length
                        continue
        if offset + 2 > end:
            raise DecodeError("trailing byte after the last flow", offset=offset)
        (length,) = struct.unpack_from("!H", data, offset)
        if length < 8 or offset + length > end:
            raise DecodeError(f"flow entry length {length} does not fit the reply", offset=offset)
        yield _entry(version, bytes(data[offset:offset + length]))
        offset += length


def _check_actions(data: bytes, pos: int, end: int, depth: int = 0) -> None:
    """Check the framing of an action list the codec will walk itself (the
    one inside ``ct``, and whatever nests in it): the codec loops forever on
    an action of length 0 there and reads past one that overruns its list."""
    if depth > 8:
        raise DecodeError("actions nested too deep", offset=pos)
    for at, atype, length in _action_frames(data, pos, end):
        if atype == _OFPAT_EXPERIMENTER and length >= 16:
            vendor, subtype = struct.unpack_from("!IH", data, at + 4)
            if vendor == _NX_VENDOR and subtype in _NESTED and length >= _NESTED[subtype]:
                _check_actions(data, at + _NESTED[subtype], at + length, depth + 1)


def _action_frames(data: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(offset, type, length) of each action of the list at ``data[pos:end]``,
    its framing checked (OpenFlow: a length of at least 8, a multiple of 8,
    within the list) before the caller hands any of it to the codec."""
    while pos < end:
        if pos + 4 > end:
            raise DecodeError("truncated action header", offset=pos)
        atype, length = struct.unpack_from("!HH", data, pos)
        if length < 8 or length % 8 or pos + length > end:
            raise DecodeError(f"action length {length} does not fit its list", offset=pos)
        yield pos, atype, length
        pos += length


def _undecoded_reasons(actions: tuple[Action, ...]) -> list[str]:
    out = []
    for a in actions:
        if a.name == "undecoded":
            out.append(str(a.arg("reason")))
        out += _undecoded_reasons(a.nested)
    return out


def _undecoded(reason: str, raw: bytes) -> Action:
    return Action("undecoded", (("reason", reason), ("raw", raw.hex())), f"<undecoded: {reason}>")


class Decoder:
    """Decodes flows with one codec, remembering what it has decoded.

    Flow tables repeat themselves: OVN's br-int holds a hundred thousand
    flows made of a few thousand distinct match fields and a few hundred
    distinct action lists.  The codec decodes each distinct OXM field and
    each distinct instruction list once; later flows reuse the result (the
    caches are bounded).
    """

    _LIMIT = 200_000

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self._tlvs: dict[int, dict[bytes, Classified]] = {
            OF13: {}, OF15: {}}
        self._pieces = Pieces()
        self._insts: dict[int, dict[bytes, tuple[tuple[Action, ...], str, str | None]]] = {OF13: {}, OF15: {}}
        # How a match of this length and first OXM header splits into its
        # fields: a struct format of their sizes (see _classified).
        self._shapes: dict[tuple[int, bytes], Callable[[bytes], tuple[bytes, ...]]] = {}
        self._next_id = itertools.count().__next__
        self._context_ids: dict[tuple[bytes, int], int] = {}
        self._frames: dict[tuple[int, ...], Frame] = {}
        self._contexts = {OF13: Context(codec.v13), OF15: Context(codec.v15)}

    def decode(self, entry: FlowEntry) -> Flow:
        """Fully decode one flow.  What the codec cannot decode is marked in
        place, never raised: the match (``<undecoded match: ...>``) or an
        action (``<undecoded: ...>``)."""
        version = entry.version
        try:
            match_bytes, inst_bytes = self._split(entry)
        except DecodeError as e:
            return Flow(entry, (), (), e.message, f"<undecoded match: {e.message}>", f"<undecoded: {e.message}>")
        actions, actions_text, reason = self._insts[version].get(inst_bytes) or self._instructions(
            version, inst_bytes)
        try:
            match = tuple([f for _, f in self._match(version, match_bytes)])
        except DecodeError as e:
            reason = e.message if reason is None else f"{e.message}; {reason}"
            return Flow(entry, (), actions, reason, f"<undecoded match: {e.message}>", actions_text)
        return Flow(entry, match, actions, reason, None, actions_text)  # the match's text: joined when printed

    def rows(self, version: int, data: bytes, row: Row, other: Callable[[Flow], str],
             clean: bool = False) -> list[str]:
        """``other(self.decode(e)) for e in entries(version, data)``, the
        usual flow made by ``row`` instead: the whole-dump path of ``mvtep
        flows`` (:func:`flowprog.offormat.text_row`,
        :meth:`flowprog.flowjson.JsonPieces.row`), one multipart reply body
        at a time.

        The usual flow -- the fixed header, OVS's usual OXS counters, a
        match that decodes, and (``clean``) actions that all decode -- is
        read here and given to ``row`` as its numbers, its match's items in
        print order as (rank, item) pairs, and its instructions as
        (actions, text, why any is undecoded), without an entry or model on
        the way; whatever else goes through :func:`entries` and
        :meth:`decode`, with every check they make.  (This runs for every
        flow of a dump: it is written for speed.)"""
        out: list[str] = []
        insts, match = self._insts[version], self._match
        of13 = version == OF13
        head, fixed = (_E13, _H13.size) if of13 else (_E15, _H15.size)
        unpack, size, oxs, usual = head.unpack_from, head.size, _OXS_USUAL.unpack_from, _OXS_HEADERS
        offset, end = 0, len(data)
        while offset < end:
            if offset + size <= end:
                found = unpack(data, offset)
                length, match_len = found[0], found[-1]
                at = fixed + ((match_len + 7) & ~7)
                stop = offset + length
                if size <= length and stop <= end and match_len >= 4 and at <= length:
                    if of13:
                        (_l, table, sec, nsec, prio, idle, hard, flags, cookie, packets, nbytes, _m) = found
                        importance, idle_age = 0, None
                    elif at + 56 <= length:
                        (_l, table, prio, idle, hard, flags, importance, cookie, _m) = found
                        (slen, h_dur, dur, h_idle, idle_ns, h_pkt, packets, h_byte, nbytes) = oxs(data, offset + at)
                        sec, nsec, idle_age = dur >> 32, dur & 0xFFFFFFFF, idle_ns >> 32
                        at = at + 56 if (slen, h_dur, h_idle, h_pkt, h_byte) == usual else 0
                    else:
                        at = 0
                    if at:
                        inst_bytes = data[offset + at:stop]
                        acts = insts.get(inst_bytes) or self._instructions(version, inst_bytes)
                        try:
                            pieces = match(version, data[offset + fixed + 4:offset + fixed + match_len])
                        except DecodeError:
                            pieces = None
                        if pieces is not None and not (clean and acts[2]):
                            out.append(row(table, prio, cookie, packets, nbytes, sec, nsec, idle, hard, flags,
                                           importance, idle_age, pieces, acts))
                            offset = stop
                            continue
            # Anything unusual: one entry, read with every check.
            e = next(entries(version, data, offset))
            out.append(other(self.decode(e)))
            offset += len(e.body)
        return out

    def text_lines(self, version: int, data: bytes) -> list[str]:
        """``format_flow(self.decode(e)) for e in entries(version, data)``:
        the lines of ``mvtep flows`` for one multipart reply body."""
        return self.rows(version, data, text_row, format_flow)

    @staticmethod
    def _split(entry: FlowEntry) -> tuple[bytes, bytes]:
        """The OXM fields and the instructions of an entry, as byte strings."""
        body = entry.body
        start = _H13.size if entry.version == OF13 else _H15.size
        if entry.inst_at:  # entries() has found them
            return body[start + 4:start + entry.match_len], body[entry.inst_at:]
        _type, length = _MATCH_HDR.unpack_from(body, start)
        if length < 4 or start + pad8(length) > len(body):
            raise DecodeError(f"match length {length} does not fit the flow", offset=start)
        fields_ = body[start + 4:start + length]
        after = start + pad8(length)
        if entry.version == OF15:
            after = _counters15(body, after, len(body))[-1]
        return fields_, body[after:]

    # -- match --------------------------------------------------------------

    def _tlv(self, version: int, tlv: bytes) -> tuple[MField, int, int | None]:
        ofp = self.codec.v13 if version == OF13 else self.codec.v15
        num, value, mask, used = _codec(ofp.oxm_parse, tlv, 0)
        if used != len(tlv):
            raise DecodeError("OXM field length mismatch")
        name = _codec(ofp.oxm_to_user_header, num)
        f = by_codec(name)
        if f is None:
            raise DecodeError(f"OXM field {name} is not an OVS field")
        if not f.variable and len(value) != f.n_bytes:
            raise DecodeError(f"OXM field {f.name} of {len(value)} bytes, not {f.n_bytes}")
        return f, int.from_bytes(value, "big"), None if mask is None else int.from_bytes(mask, "big")

    def _field(self, version: int, tlv: bytes, pos: int = 0, end: int = 1 << 16) -> Classified:
        """Decode one OXM field the caches do not hold yet; ``pos`` and
        ``end`` say where it is in its match, to tell one cut short."""
        if pos + len(tlv) > end or len(tlv) < 4 or len(tlv) != 4 + tlv[3]:
            raise DecodeError("OXM field overruns the match", offset=pos)
        entry = self._tlv(version, tlv)
        kind, bits, payload = self._pieces.classify(entry)
        if kind == CONTEXT:  # one frame id per header (the field, masked or not, its size) and members
            frame_id = self._context_ids.setdefault((tlv[:4], bits), self._next_id())
        else:  # one per distinct field
            frame_id = self._next_id()
        classified = (kind, bits, payload, entry, frame_id)
        self._remember(self._tlvs[version], tlv, classified)
        return classified

    def _classified(self, version: int, data: bytes) -> list[Classified]:
        """Each OXM field of a match, classified (:meth:`_field`).

        A large table repeats a few hundred match layouts, so a match is
        first split the way the last one of its length and first header
        was, in one ``struct`` call.  That split is right when every piece
        is a field seen before: each remembered field's length byte gives
        its own size, so pieces that are all remembered fields and tile the
        match are exactly what walking it field by field finds.  Otherwise
        the match is walked, and its layout remembered."""
        get = self._tlvs[version].get
        key = (len(data), data[:4])
        split = self._shapes.get(key)
        if split is not None:
            found = [get(tlv) for tlv in split(data)]
            if None not in found:
                return found  # type: ignore[return-value]
        walked = []
        sizes = ""
        pos, end = 0, len(data)
        try:
            while pos < end:
                size = 4 + data[pos + 3]
                tlv = data[pos:pos + size]
                walked.append(get(tlv) or self._field(version, tlv, pos, end))
                sizes += f"{size}s"
                pos += size
        except IndexError:  # data[pos + 3]: the last header is cut short
            raise DecodeError("truncated OXM header", offset=pos) from None
        if split is None:
            self._remember(self._shapes, key, struct.Struct("!" + sizes).unpack_from)
        return walked

    def _match(self, version: int, data: bytes) -> list[Piece]:
        """The match's items, in the order ovs-ofctl prints them (each with
        its rank in that order).

        A large table's matches differ mostly in fields whose text depends
        on the flow's Ethernet type and IP protocol (addresses, ports: the
        CONTEXT fields of :class:`flowprog.ofmatch.Pieces`).  So the items
        of the other fields, put in order, are remembered as the match's
        frame, keyed by those fields and the CONTEXT fields' headers; a
        match with a frame only puts each CONTEXT field's item where the
        frame says it goes.  (This runs for every flow of a dump: it is
        written for speed.)"""
        found = self._classified(version, data)
        key = tuple(map(_FRAME_ID, found))
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frame(found, key)
        if frame is _NO_FRAME:
            return self._combine(found)
        base, proto, holes = frame
        if not holes:
            return base.copy()
        pieces = base.copy()
        context = self._pieces.context
        for index, at, rank in holes:  # in the order of ``at``: each lands where it was found
            payload = found[index][2]
            item = payload[1].get(proto) or context(payload, proto)
            if len(item) != 1 or item[0][0] != rank:  # not printed as the frame's match printed it
                return self._combine(found)
            pieces.insert(at, item[0])
        return pieces

    def _frame(self, found: list[Classified], key: tuple[int, ...]) -> Frame:
        """The frame of a match (:meth:`_match`), remembered; ``_NO_FRAME``
        for a match put together the long way every time."""
        pieces = self._combine(found)
        frame = _NO_FRAME
        proto = self._proto(found)
        if proto is not None:
            holes = []
            for index, c in enumerate(found):
                if c[0] == CONTEXT:
                    item = c[2][1].get(proto) or self._pieces.context(c[2], proto)
                    if len(item) != 1:
                        break
                    holes.append((index, next(at for at, p in enumerate(pieces) if p is item[0]), item[0][0]))
            else:
                holes.sort(key=lambda hole: hole[1])
                taken = {at for _, at, _ in holes}
                frame = ([p for at, p in enumerate(pieces) if at not in taken], proto, holes)
        self._remember(self._frames, key, frame)
        return frame

    @staticmethod
    def _proto(found: list[Classified]) -> tuple[int | None, int | None] | None:
        """The (Ethernet type, IP protocol) of a match that is put together
        from its fields' items; None for one that goes through
        :func:`~flowprog.ofmatch.build` whole."""
        seen, dl_type, nw_proto = 0, None, None
        for kind, bits, payload, _entry, _id in found:
            if seen & bits:  # two fields set one member
                return None
            seen |= bits
            if kind == DL_TYPE:
                dl_type = payload
            elif kind == PROTO:
                nw_proto = payload
            elif kind != SIMPLE and kind != CONTEXT:
                return None
        return dl_type, nw_proto

    def _combine(self, found: list[Classified]) -> list[Piece]:
        """The match put together the long way: in the common case -- no
        two fields setting one member, none of the rare kinds -- from each
        field's remembered items (:class:`flowprog.ofmatch.Pieces`), sorted;
        otherwise through :func:`~flowprog.ofmatch.build` whole."""
        proto = self._proto(found)
        if proto is None:
            return self._whole(found)
        pieces: list[Piece] = []
        for kind, _bits, payload, _entry, _id in found:
            if kind == SIMPLE:
                pieces += payload
        if proto != (None, None):
            pieces += self._pieces.protocol(proto)
        for kind, _bits, payload, _entry, _id in found:
            if kind == CONTEXT:
                pieces += payload[1].get(proto) or self._pieces.context(payload, proto)
        pieces.sort(key=_FIRST)
        return pieces

    @staticmethod
    def _whole(found: list[Classified]) -> list[tuple[int, FieldMatch]]:
        """The match set field by field into OVS's struct match, then printed."""
        return [(0, f) for f in fields(build([c[3] for c in found]))]

    # -- instructions and actions -------------------------------------------

    def _instructions(self, version: int, data: bytes) -> tuple[tuple[Action, ...], str, str | None]:
        """An instruction list's actions, their text and why any could not
        be decoded; remembered."""
        try:
            actions = self._decode_instructions(version, data)
        except DecodeError as e:
            actions = (_undecoded(e.message, data),)
        text = ",".join(a.text for a in actions) or "drop"
        found = (actions, text, "; ".join(_undecoded_reasons(actions)) or None)
        self._remember(self._insts[version], data, found)
        return found

    def _decode_instructions(self, version: int, data: bytes) -> tuple[Action, ...]:
        ofpp = self.codec.v13_parser if version == OF13 else self.codec.v15_parser
        ctx = self._contexts[version]
        found: list[tuple[int, list[Action]]] = []
        pos = 0
        while pos < len(data):
            if pos + 4 > len(data):
                raise DecodeError("truncated instruction", offset=pos)
            itype, length = struct.unpack_from("!HH", data, pos)
            if length < 8 or length % 8 or pos + length > len(data):
                raise DecodeError(f"instruction length {length} does not fit", offset=pos)
            if itype in (3, 4):  # WRITE_ACTIONS, APPLY_ACTIONS: an 8-byte header, then actions
                actions = self._actions(ofpp, ctx, data, pos + 8, pos + length)
                if itype == 3:
                    text = f"write_actions({','.join(a.text for a in actions) or 'drop'})"
                    actions = [Action("write_actions", (), text, tuple(actions))]
            elif itype == 5:
                actions = [Action("clear_actions", (), "clear_actions")]
            elif itype in (1, 2, 6):
                inst = _codec(ofpp.OFPInstruction.parser, data, pos)
                try:
                    actions = [instruction(inst)]
                except UnknownAction as e:
                    actions = [_undecoded(f"no converter for {e}", data[pos:pos + length])]
            else:
                actions = [_undecoded(f"instruction type {itype}", data[pos:pos + length])]
            found.append((_INSTRUCTION_ORDER.get(itype, 6), actions))
            pos += length
        found.sort(key=lambda item: item[0])
        return tuple(a for _, actions in found for a in actions)

    def _actions(self, ofpp: Any, ctx: Context, data: bytes, pos: int, end: int) -> list[Action]:
        """An action list, each action decoded on its own: one the codec
        cannot decode is marked, the others kept."""
        out = []
        for at, atype, length in _action_frames(data, pos, end):
            raw = data[at:at + length]
            try:
                if not knows_action(ofpp, atype):
                    raise DecodeError(f"action type {atype} unknown to the codec")
                _check_actions(data, at, at + length)
                codec_action = _codec(ofpp.OFPAction.parser, data, at)
                out.append(convert_one(codec_action, ctx))
            except DecodeError as e:
                out.append(_undecoded(e.message, raw))
            except UnknownAction as e:
                out.append(_undecoded(f"no converter for {e}", raw))
        return out

    def _remember(self, cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= self._LIMIT:
            cache.clear()
        cache[key] = value
