"""Extensions to ryu's (os-ken's) OpenFlow codec for what OVS sends.

Out of the box the codec knows a part of what a switch running OVS puts in a
flow-stats reply.  :func:`install` adds the rest through the codec's own
registries, once per codec, so that every message class of the codec parses
it:

* Fields: every NXM/OXM header of ovs-fields(7) the codec's ``oxm_types``
  lack (:data:`flowprog.mfields.FIELDS`): registers 16-31, ``xxreg``,
  ``packet_type`` in OpenFlow 1.3, the conntrack original-tuple fields,
  ERSPAN, GTP-U, ``tun_metadata0-63`` (as long as the switch's TLV mapping
  makes them), ``nd_reserved``...
* Actions the codec has no class for (lib/ofp-actions.c has the layouts):
  OpenFlow 1.5 ``copy_field`` and its OpenFlow 1.3 ONF form, the OpenFlow
  1.1 MPLS actions OVS still sends, and the Nicira actions ``learn2``
  (``limit``, ``result_dst``), ``encap``, ``decap``, ``sample`` v3 and v4,
  ``clone``, ``resubmit(,T,ct)``, ``check_pkt_larger``, ``delete_field``.
* Actions whose codec parser is wrong for OVS: ``learn`` (assumes 4-byte
  field headers, and reads registers 16-31 wrong), ``push``/``pop`` and
  ``output:field`` (the same), ``controller2`` (loops forever on a property
  of length 0, and lacks ``meter_id``).

Every parser here checks its lengths before it loops, raising
``ValueError`` on bytes that do not frame: a malformed action is refused,
never spun on.
"""

from __future__ import annotations

import importlib
import struct
from types import ModuleType
from typing import Any

from flowprog.mfields import ETH, FIELDS, IPV4, IPV6, Header
from flowprog.ofcodec import Codec

__all__ = ["install", "knows_action", "pad8", "ONF_EXPERIMENTER_ID", "NX_EXPERIMENTER_ID"]

ONF_EXPERIMENTER_ID = 0x4F4E4600
NX_EXPERIMENTER_ID = 0x00002320
_ONF_COPY_FIELD = 3200
_OFPAT_SET_MPLS_LABEL, _OFPAT_SET_MPLS_TC = 13, 14

_installed: set[str] = set()


class _VarBytes:
    """A field type whose width is whatever the switch sends (tun_metadata:
    as many bytes as the TLV mapping gives the option).  No ``size``
    attribute, so the codec does not insist on one width."""

    @staticmethod
    def to_user(binary: bytes) -> int:
        return int.from_bytes(binary, "big")

    @staticmethod
    def from_user(value: int) -> bytes:
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


# -- fields -------------------------------------------------------------------

def _field_type(type_desc: Any, fmt: str, n_bytes: int, variable: bool) -> Any:
    if variable:
        return _VarBytes
    if fmt == IPV4 and n_bytes == 4:
        return type_desc.IPv4Addr
    if fmt == IPV6 and n_bytes == 16:
        return type_desc.IPv6Addr
    if fmt == ETH and n_bytes == 6:
        return type_desc.MacAddr
    return {1: type_desc.Int1, 2: type_desc.Int2, 3: type_desc.Int3, 4: type_desc.Int4, 8: type_desc.Int8,
            16: type_desc.Int16}[n_bytes]


def _descriptor(codec_oxm: Any, header: Header, name: str, ftype: Any, kinds: dict[tuple[int, int], Any]) -> Any:
    """The codec's descriptor for ``header``: an OXM class of the codec's
    own kind (oxm_fields ``_OxmClass``), keyed by class number and, for
    experimenter headers, experimenter id."""
    key = (header.oxm_class, header.experimenter)
    if key not in kinds:
        base = codec_oxm._Experimenter if header.oxm_class == 0xFFFF else codec_oxm._OxmClass
        attrs: dict[str, Any] = {"_class": header.oxm_class}
        if header.oxm_class == 0xFFFF:
            attrs["experimenter_id"] = header.experimenter
        kinds[key] = type(f"OvsOxm{header.oxm_class:x}_{header.experimenter:x}", (base,), attrs)
    return kinds[key](name, header.field, ftype)


def _num(header: Header) -> Any:
    """The codec's key for a header: class and field, and the experimenter
    id for experimenter headers (oxm_fields ``_OxmClass.num``)."""
    oxm_type = header.field | header.oxm_class << 7
    return (header.experimenter, oxm_type) if header.oxm_class == 0xFFFF else oxm_type


def _add_fields(ofp: ModuleType, codec_oxm: Any, type_desc: Any, kinds: dict[tuple[int, int], Any]) -> None:
    known_nums = {f.num for f in ofp.oxm_types}
    names = {f.name for f in ofp.oxm_types}
    for mfield in FIELDS:
        for header in mfield.headers:
            if _num(header) in known_nums:
                continue
            # A name the codec uses for another header (actset_output is an
            # ONF field in its 1.3 tables, a basic one in 1.5) is taken.
            name = header.codec if header.codec not in names else header.oxm.lower()
            ftype = _field_type(type_desc, mfield.fmt, mfield.n_bytes, mfield.variable)
            ofp.oxm_types.append(_descriptor(codec_oxm, header, name, ftype, kinds))
            known_nums.add(_num(header))
            names.add(name)
    codec_oxm.generate(ofp.__name__)  # rebuild the codec's name/number lookups


# -- helpers for the parsers below --------------------------------------------

def _header(ofp: ModuleType, buf: bytes, offset: int) -> tuple[str, int]:
    """The field an NXM/OXM header (no value) names, and the header's length
    (4, or 8 for experimenter headers)."""
    if offset + 4 > len(buf):
        raise ValueError("field header overruns the action")
    num, hdr_len = ofp.oxm_parse_header(buf, offset)
    if offset + hdr_len > len(buf):
        raise ValueError("field header overruns the action")
    return str(ofp.oxm_to_user_header(num)), int(hdr_len)


def pad8(n: int) -> int:
    """``n`` rounded up to OpenFlow's 8-byte alignment."""
    return (n + 7) & ~7


def _nested(ofpp: ModuleType, data: bytes, offset: int) -> list[Any]:
    """An action list inside an action (clone, write_actions), each action's
    length checked before the codec sees it."""
    actions = []
    while offset < len(data):
        if offset + 4 > len(data):
            raise ValueError("truncated nested action")
        (length,) = struct.unpack_from("!H", data, offset + 2)
        if length < 8 or length % 8 or offset + length > len(data):
            raise ValueError(f"nested action length {length} does not fit")
        actions.append(ofpp.OFPAction.parser(data, offset))
        offset += length
    return actions


class _Obj:
    """Attribute bag for the parsers' results."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


# -- actions ------------------------------------------------------------------

def _learn_specs(ofp: ModuleType, buf: bytes, pos: int) -> list[_Obj]:
    """lib/ofp-actions.c ``decode_LEARN_specs``: header (src type, dst type,
    n_bits), then the source (a field and offset, or an immediate of
    ``2 * ceil(n_bits / 16)`` bytes) and, for match and load, the
    destination.  An all-zero header ends the list."""
    specs = []
    while pos + 2 <= len(buf):
        (hdr,) = struct.unpack_from("!H", buf, pos)
        pos += 2
        if not hdr:
            break
        src_type, dst_type, n_bits = hdr >> 13 & 1, hdr >> 11 & 3, hdr & 0x3FF
        if dst_type == 3 or (dst_type == 2 and src_type == 1):
            raise ValueError(f"learn spec {hdr:#x} has no valid source and destination")
        if src_type == 0:
            name, hlen = _header(ofp, buf, pos)
            (ofs,) = struct.unpack_from("!H", buf, pos + hlen)
            src: Any = (name, ofs)
            pos += hlen + 2
        else:
            size = 2 * ((n_bits + 15) // 16)
            if pos + size > len(buf):
                raise ValueError("learn immediate overruns the action")
            src = bytes(buf[pos + size - (n_bits + 7) // 8:pos + size])
            pos += size
        dst: Any = None
        if dst_type in (0, 1):
            name, hlen = _header(ofp, buf, pos)
            (ofs,) = struct.unpack_from("!H", buf, pos + hlen)
            dst = (name, ofs)
            pos += hlen + 2
        specs.append(_Obj(src_type=src_type, dst_type=dst_type, n_bits=n_bits, src=src, dst=dst))
    return specs


def _install_nx(ofp: ModuleType, ofpp: ModuleType) -> None:
    nx = ofpp.NXAction

    class ExtLearn(nx):  # type: ignore[misc,valid-type]
        """learn (16) and learn2 (45): nx_action_learn's fixed part, then for
        learn2 the limit, the result bit and its field header."""
        _subtype = 16

        def __init__(self, **kw: Any) -> None:
            super().__init__()
            self.__dict__.update(kw)

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            (idle, hard, prio, cookie, flags, table, _pad, fin_idle, fin_hard) = struct.unpack_from(
                "!HHHQHBBHH", buf, 0)
            pos, limit, result_dst = 22, 0, None
            if cls._subtype == 45:
                limit, result_ofs, _pad2 = struct.unpack_from("!IHH", buf, pos)
                pos += 8
                if flags & 4:  # NX_LEARN_F_WRITE_RESULT
                    name, hlen = _header(ofp, buf, pos)
                    result_dst, pos = (name, result_ofs), pos + hlen
            return cls(idle_timeout=idle, hard_timeout=hard, priority=prio, cookie=cookie, flags=flags,
                       table_id=table, fin_idle_timeout=fin_idle, fin_hard_timeout=fin_hard, limit=limit,
                       result_dst=result_dst, specs=_learn_specs(ofp, buf, pos))

    class ExtLearn2(ExtLearn):
        _subtype = 45

    class ExtController2(nx):  # type: ignore[misc,valid-type]
        """controller2 (37): properties after 6 pad bytes (lib/ofp-prop.c
        framing, each padded to 8), as decode_NXAST_RAW_CONTROLLER2 reads them."""
        _subtype = 37

        def __init__(self, **kw: Any) -> None:
            super().__init__()
            self.__dict__.update(kw)

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            kw: dict[str, Any] = {"max_len": 0xFFFF, "controller_id": 0, "reason": 1, "userdata": b"",
                                  "pause": False, "meter_id": None}
            pos = 6
            while pos < len(buf):
                if pos + 4 > len(buf):
                    raise ValueError("truncated controller2 property")
                ptype, plen = struct.unpack_from("!HH", buf, pos)
                if plen < 4 or pos + plen > len(buf):
                    raise ValueError(f"controller2 property length {plen} does not fit")
                body = buf[pos + 4:pos + plen]
                if ptype == 0:
                    (kw["max_len"],) = struct.unpack_from("!H", body)
                elif ptype == 1:
                    (kw["controller_id"],) = struct.unpack_from("!H", body)
                elif ptype == 2:
                    (kw["reason"],) = struct.unpack_from("!B", body)
                elif ptype == 3:
                    kw["userdata"] = body
                elif ptype == 4:
                    kw["pause"] = True
                elif ptype == 5:
                    (kw["meter_id"],) = struct.unpack_from("!I", body)
                else:
                    raise ValueError(f"unknown controller2 property {ptype}")
                pos += pad8(plen)
            return cls(**kw)

    class ExtStackPush(nx):  # type: ignore[misc,valid-type]
        """push (27) / pop (28): offset, field header (4 or 8 bytes), n_bits."""
        _subtype = 27

        def __init__(self, field: str, ofs: int, n_bits: int) -> None:
            super().__init__()
            self.field, self.ofs, self.n_bits = field, ofs, n_bits

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            (ofs,) = struct.unpack_from("!H", buf, 0)
            name, hlen = _header(ofp, buf, 2)
            (n_bits,) = struct.unpack_from("!H", buf, 2 + hlen)
            return cls(name, ofs, n_bits)

    class ExtStackPop(ExtStackPush):
        _subtype = 28

    class ExtOutputReg2(nx):  # type: ignore[misc,valid-type]
        """output_reg2 (32): ofs_nbits, max_len, then the field header."""
        _subtype = 32

        def __init__(self, ofs_nbits: int, src: str, max_len: int) -> None:
            super().__init__()
            self.ofs_nbits, self.src, self.max_len = ofs_nbits, src, max_len

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            ofs_nbits, max_len = struct.unpack_from("!HH", buf, 0)
            name, _ = _header(ofp, buf, 4)
            return cls(ofs_nbits, name, max_len)

    class ExtEncap(nx):  # type: ignore[misc,valid-type]
        """encap (46): header size, new packet type, then ED properties
        (lib/ofp-ed-props.c: class, type, length, padded to 8)."""
        _subtype = 46

        def __init__(self, hdr_size: int, packet_type: int, props: list[tuple[int, int, bytes]]) -> None:
            super().__init__()
            self.hdr_size, self.packet_type, self.props = hdr_size, packet_type, props

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            hdr_size, packet_type = struct.unpack_from("!HI", buf, 0)
            props, pos = [], 6
            while pos < len(buf):
                if pos + 4 > len(buf):
                    raise ValueError("truncated encap property")
                pclass, ptype, plen = struct.unpack_from("!HBB", buf, pos)
                if plen < 4 or pos + pad8(plen) > len(buf):
                    raise ValueError(f"encap property length {plen} does not fit")
                props.append((pclass, ptype, buf[pos + 4:pos + pad8(plen)]))
                pos += pad8(plen)
            return cls(hdr_size, packet_type, props)

    class ExtDecap(nx):  # type: ignore[misc,valid-type]
        """decap (47): two pad bytes, then the new packet type."""
        _subtype = 47

        def __init__(self, packet_type: int) -> None:
            super().__init__()
            self.packet_type = packet_type

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            (packet_type,) = struct.unpack_from("!2xI", bytes(buf), 0)
            return cls(packet_type)

    class ExtSample3(nx):  # type: ignore[misc,valid-type]
        """sample v3 (41): nx_action_sample2 with a direction."""
        _subtype = 41

        def __init__(self, **kw: Any) -> None:
            super().__init__()
            self.__dict__.update(kw)

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            (prob, coll, dom, point, port, direction) = struct.unpack_from("!HIIIHB", bytes(buf), 0)
            return cls(probability=prob, collector_set_id=coll, obs_domain=dom, obs_point=point,
                       sampling_port=port, direction=direction)

    class ExtSample4(nx):  # type: ignore[misc,valid-type]
        """sample v4 (51): observation domain and point each either an
        immediate or a subfield (a 32-bit NXM header and ofs_nbits)."""
        _subtype = 51

        def __init__(self, **kw: Any) -> None:
            super().__init__()
            self.__dict__.update(kw)

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            (prob, coll, dom_src, dom, point_src, point, port, direction) = struct.unpack_from(
                "!HIIIIIHB", buf, 0)
            kw: dict[str, Any] = {"probability": prob, "collector_set_id": coll, "sampling_port": port,
                                  "direction": direction}
            for key, src, word, at in (("obs_domain", dom_src, dom, 6), ("obs_point", point_src, point, 14)):
                if src:  # the union holds ofs_nbits in its first two bytes
                    name, _ = _header(ofp, buf, at)
                    kw[key] = (name, word >> 16)
                else:
                    kw[key] = word
            return cls(**kw)

    class ExtClone(nx):  # type: ignore[misc,valid-type]
        """clone (42): six pad bytes, then an action list."""
        _subtype = 42

        def __init__(self, actions: list[Any]) -> None:
            super().__init__()
            self.actions = actions

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            return cls(_nested(ofpp, bytes(buf), 6))

    class ExtResubmitTableCT(nx):  # type: ignore[misc,valid-type]
        """resubmit(,T,ct) (44): the resubmit layout."""
        _subtype = 44

        def __init__(self, in_port: int, table_id: int) -> None:
            super().__init__()
            self.in_port, self.table_id = in_port, table_id

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            in_port, table_id = struct.unpack_from("!HB", bytes(buf), 0)
            return cls(in_port, table_id)

    class ExtCheckPktLarger(nx):  # type: ignore[misc,valid-type]
        """check_pkt_larger (49): packet length, bit offset, field header."""
        _subtype = 49

        def __init__(self, pkt_len: int, dst: str, ofs: int) -> None:
            super().__init__()
            self.pkt_len, self.dst, self.ofs = pkt_len, dst, ofs

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            buf = bytes(buf)
            pkt_len, ofs = struct.unpack_from("!HH", buf, 0)
            dst, _ = _header(ofp, buf, 4)
            return cls(pkt_len, dst, ofs)

    class ExtDeleteField(nx):  # type: ignore[misc,valid-type]
        """delete_field (50): a field header."""
        _subtype = 50

        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            field, _ = _header(ofp, bytes(buf), 0)
            return cls(field)

    for cls in (ExtLearn, ExtLearn2, ExtController2, ExtStackPush, ExtStackPop, ExtOutputReg2, ExtEncap,
                ExtDecap, ExtSample3, ExtSample4, ExtClone, ExtResubmitTableCT, ExtCheckPktLarger,
                ExtDeleteField):
        nx.register(cls)


def _install_standard(ofp: ModuleType, ofpp: ModuleType) -> None:
    base_exp = ofpp.OFPActionExperimenter
    original_exp_parser = base_exp.parser

    class ExtCopyField(base_exp):  # type: ignore[misc,valid-type]
        """copy_field as OVS writes it (OF1.5 type 28, or ONF experimenter
        3200 in OF1.3): n_bits, src_offset, dst_offset, two pad bytes, then
        the source and destination field headers."""

        def __init__(self, n_bits: int, src_offset: int, dst_offset: int, src: str, dst: str) -> None:
            super().__init__(ONF_EXPERIMENTER_ID)
            self.n_bits, self.src_offset, self.dst_offset = n_bits, src_offset, dst_offset
            self.src, self.dst = src, dst

        @classmethod
        def from_body(cls, buf: bytes, offset: int, end: int, length: int) -> Any:
            data = bytes(buf[:end])
            n_bits, src_ofs, dst_ofs = struct.unpack_from("!HHH2x", data, offset)
            src, used = _header(ofp, data, offset + 8)
            dst, _ = _header(ofp, data, offset + 8 + used)
            obj = cls(n_bits, src_ofs, dst_ofs, src, dst)
            obj.len = length
            return obj

    class Experimenter(base_exp):  # type: ignore[misc,valid-type]
        @classmethod
        def parser(cls, buf: bytes, offset: int) -> Any:
            _type, length, experimenter = struct.unpack_from("!HHI", buf, offset)
            if experimenter == ONF_EXPERIMENTER_ID and length >= 24:
                (exp_type,) = struct.unpack_from("!H", buf, offset + 8)
                if exp_type == _ONF_COPY_FIELD:
                    return ExtCopyField.from_body(buf, offset + 12, offset + length, length)
            return original_exp_parser.__func__(cls, buf, offset)

    ofpp.OFPAction.register_action_type(ofp.OFPAT_EXPERIMENTER, ofp.OFP_ACTION_EXPERIMENTER_HEADER_SIZE)(Experimenter)

    if hasattr(ofp, "OFPAT_COPY_FIELD"):
        class CopyField15(ofpp.OFPAction):  # type: ignore[misc,name-defined]
            @classmethod
            def parser(cls, buf: bytes, offset: int) -> Any:
                _type, length = struct.unpack_from("!HH", buf, offset)
                return ExtCopyField.from_body(buf, offset + 4, offset + length, length)

        ofpp.OFPAction.register_action_type(ofp.OFPAT_COPY_FIELD, 16)(CopyField15)

    # OpenFlow 1.1's MPLS label and TC actions, which OVS still sends for
    # set_mpls_label/set_mpls_tc (lib/ofp-actions.c OFPAT_RAW_SET_MPLS_*).
    class ExtSetMplsLabel(ofpp.OFPAction):  # type: ignore[misc,name-defined]
        def __init__(self, label: int) -> None:
            super().__init__()
            self.label = label

        @classmethod
        def parser(cls, buf: bytes, offset: int) -> Any:
            _type, length, label = struct.unpack_from("!HHI", buf, offset)
            obj = cls(label)
            obj.len = length
            return obj

    class ExtSetMplsTc(ofpp.OFPAction):  # type: ignore[misc,name-defined]
        def __init__(self, tc: int) -> None:
            super().__init__()
            self.tc = tc

        @classmethod
        def parser(cls, buf: bytes, offset: int) -> Any:
            _type, length, tc = struct.unpack_from("!HHB", buf, offset)
            obj = cls(tc)
            obj.len = length
            return obj

    for atype, cls in ((_OFPAT_SET_MPLS_LABEL, ExtSetMplsLabel), (_OFPAT_SET_MPLS_TC, ExtSetMplsTc)):
        if atype not in ofpp.OFPAction._ACTION_TYPES:
            ofpp.OFPAction.register_action_type(atype, 8)(cls)


def knows_action(ofpp: ModuleType, action_type: int) -> bool:
    """Whether the codec has a parser for OpenFlow action type ``action_type``
    (its own parser asserts on the others)."""
    return action_type in ofpp.OFPAction._ACTION_TYPES


def install(codec: Codec) -> Codec:
    """Add the extensions to ``codec``'s parsers; idempotent. Returns ``codec``."""
    if codec.package in _installed:
        return codec
    codec_oxm = importlib.import_module(f"{codec.package}.ofproto.oxm_fields")
    type_desc = importlib.import_module(f"{codec.package}.lib.type_desc")
    kinds: dict[tuple[int, int], Any] = {}
    for ofp, ofpp in ((codec.v13, codec.v13_parser), (codec.v15, codec.v15_parser)):
        _add_fields(ofp, codec_oxm, type_desc, kinds)
        _install_standard(ofp, ofpp)
        _install_nx(ofp, ofpp)
    _installed.add(codec.package)
    return codec
