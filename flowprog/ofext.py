"""Extensions to ryu's (os-ken's) OpenFlow codec for what OVS and OVN emit.

Out of the box the codec fails on a real br-int:

* OpenFlow 1.5 ``copy_field``: its parser reads the OXM ids up to
  ``offset + len`` from the *end* of the fixed part, so padding and the next
  actions are taken for OXM ids and an assertion fails.
* OpenFlow 1.3 carries the same action as ONF experimenter action 3200, which
  the codec leaves as an opaque ``OFPActionExperimenterUnknown``.
* controller2's ``meter_id`` property, whose absence makes the parser fail.
* Nicira actions it has no class for: ``check_pkt_larger`` (49),
  ``resubmit(,T,ct)`` (44), ``clone`` (42), ``delete_field`` (50).
* NXM fields it does not know: ``tun_metadata0-63`` (variable length),
  the conntrack original-tuple fields ``ct_nw_*``/``ct_ipv6_*``/``ct_tp_*``,
  ``xreg0-7`` (OXM packet registers) and ``actset_output``.

:func:`install` adds them through the codec's own registries
(``OFPAction.register_action_type``, ``NXAction.register`` and the
``oxm_types`` tables), once per codec, so every message class of the codec
parses them.  Layouts are the ones in OVS's ``lib/ofp-actions.c`` and
``meta-flow.xml`` (ovs-actions(7), ovs-fields(7)).
"""

from __future__ import annotations

import struct
from types import ModuleType
from typing import Any

from flowprog.ofcodec import Codec

__all__ = ["install", "ONF_EXPERIMENTER_ID", "NX_EXPERIMENTER_ID"]

ONF_EXPERIMENTER_ID = 0x4F4E4600
NX_EXPERIMENTER_ID = 0x00002320
_ONF_COPY_FIELD = 3200
_NXM_1 = 0x0001
_PACKET_REGS = 0x8001

_installed: set[str] = set()


class _VarBytes:
    """A field type whose width is whatever the switch sends (tun_metadata:
    OVS sends as many bytes as the TLV mapping gives the option).  No ``size``
    attribute, so the codec does not insist on one width."""

    @staticmethod
    def to_user(binary: bytes) -> int:
        return int.from_bytes(binary, "big")

    @staticmethod
    def from_user(value: int) -> bytes:
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _oxm_name(ofp: ModuleType, buf: bytes, offset: int) -> tuple[str, int]:
    """The field an OXM/NXM *header* (no value) names, and the header's length."""
    num, hdr_len = ofp.oxm_parse_header(buf, offset)
    return str(ofp.oxm_to_user_header(num)), int(hdr_len)


def _fields(codec_oxm: Any, type_desc: Any, basic_actset: bool) -> list[Any]:
    """The fields to add, as the codec's own oxm field descriptors."""
    new = [codec_oxm.NiciraExtended1(f"tun_metadata{i}", 40 + i, _VarBytes) for i in range(64)]
    new += [
        codec_oxm.NiciraExtended1("ct_nw_proto", 119, type_desc.Int1),
        codec_oxm.NiciraExtended1("ct_nw_src", 120, type_desc.IPv4Addr),
        codec_oxm.NiciraExtended1("ct_nw_dst", 121, type_desc.IPv4Addr),
        codec_oxm.NiciraExtended1("ct_ipv6_src", 122, type_desc.IPv6Addr),
        codec_oxm.NiciraExtended1("ct_ipv6_dst", 123, type_desc.IPv6Addr),
        codec_oxm.NiciraExtended1("ct_tp_src", 124, type_desc.Int2),
        codec_oxm.NiciraExtended1("ct_tp_dst", 125, type_desc.Int2),
    ]
    new += [codec_oxm.PacketRegs(f"xreg{i}", i, type_desc.Int8) for i in range(8)]
    if basic_actset:  # OpenFlow 1.5 made actset_output a basic field (43)
        new.append(codec_oxm.OpenFlowBasic("actset_output", 43, type_desc.Int4))
    else:  # OpenFlow 1.3: ONF experimenter field 43
        new.append(codec_oxm.ONFExperimenter("actset_output", 43, type_desc.Int4))
    return new


def _add_fields(ofp: ModuleType, codec_oxm: Any, type_desc: Any, basic_actset: bool) -> None:
    known = {f.name for f in ofp.oxm_types}
    known_nums = {f.num for f in ofp.oxm_types}
    extra = [f for f in _fields(codec_oxm, type_desc, basic_actset) if f.name not in known and f.num not in known_nums]
    ofp.oxm_types.extend(extra)
    # Rebuild the name/number lookups the codec's parsers call at run time.
    codec_oxm.generate(ofp.__name__)


def _copy_field_body(ofp: ModuleType, buf: bytes, offset: int) -> tuple[int, int, int, str, str]:
    """n_bits, src_offset, dst_offset (three be16, two pad bytes), then two OXM headers."""
    n_bits, src_ofs, dst_ofs = struct.unpack_from("!HHH2x", buf, offset)
    src, used = _oxm_name(ofp, buf, offset + 8)
    dst, _ = _oxm_name(ofp, buf, offset + 8 + used)
    return n_bits, src_ofs, dst_ofs, src, dst


def _install_actions(ofp: ModuleType, ofpp: ModuleType) -> None:
    base_exp = ofpp.OFPActionExperimenter
    original_exp_parser = base_exp.parser

    class CopyField(base_exp):  # type: ignore[misc,valid-type]
        """copy_field as OVS writes it (OF1.5 type 28, or ONF experimenter 3200 in OF1.3)."""

        def __init__(self, n_bits: int, src_offset: int, dst_offset: int, src: str, dst: str) -> None:
            super().__init__(ONF_EXPERIMENTER_ID)
            self.n_bits, self.src_offset, self.dst_offset = n_bits, src_offset, dst_offset
            self.src, self.dst = src, dst

    class Experimenter(base_exp):  # type: ignore[misc,valid-type]
        @classmethod
        def parser(cls, buf: bytes, offset: int) -> Any:
            _type, length, experimenter = struct.unpack_from("!HHI", buf, offset)
            if experimenter == ONF_EXPERIMENTER_ID and length >= 24:
                (exp_type,) = struct.unpack_from("!H", buf, offset + 8)
                if exp_type == _ONF_COPY_FIELD:
                    obj = CopyField(*_copy_field_body(ofp, buf, offset + 12))
                    obj.len = length
                    return obj
            return original_exp_parser.__func__(cls, buf, offset)

    ofpp.OFPAction.register_action_type(ofp.OFPAT_EXPERIMENTER, ofp.OFP_ACTION_EXPERIMENTER_HEADER_SIZE)(Experimenter)

    if hasattr(ofp, "OFPAT_COPY_FIELD"):
        class CopyField15(ofpp.OFPAction):  # type: ignore[misc,name-defined]
            @classmethod
            def parser(cls, buf: bytes, offset: int) -> Any:
                _type, length = struct.unpack_from("!HH", buf, offset)
                obj = CopyField(*_copy_field_body(ofp, buf, offset + 4))
                obj.len = length
                return obj

        ofpp.OFPAction.register_action_type(ofp.OFPAT_COPY_FIELD, 16)(CopyField15)

    nx = ofpp.NXAction

    class NXActionCheckPktLarger(nx):  # type: ignore[misc,valid-type]
        _subtype = 49

        def __init__(self, pkt_len: int, dst: str, ofs: int) -> None:
            super().__init__()
            self.pkt_len, self.dst, self.ofs = pkt_len, dst, ofs

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            pkt_len, ofs = struct.unpack_from("!HH", buf, 0)
            dst, _ = _oxm_name(ofp, bytes(buf), 4)
            return cls(pkt_len, dst, ofs)

    class NXActionResubmitTableCT(nx):  # type: ignore[misc,valid-type]
        _subtype = 44

        def __init__(self, in_port: int, table_id: int) -> None:
            super().__init__()
            self.in_port, self.table_id = in_port, table_id

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            in_port, table_id = struct.unpack_from("!HB", buf, 0)
            return cls(in_port, table_id)

    class NXActionClone(nx):  # type: ignore[misc,valid-type]
        _subtype = 42

        def __init__(self, actions: list[Any]) -> None:
            super().__init__()
            self.actions = actions

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            data = bytes(buf)
            offset, actions = 6, []  # 6 pad bytes after the subtype
            while offset + 4 <= len(data):
                action = ofpp.OFPAction.parser(data, offset)
                if not action.len:
                    raise ValueError("zero-length action inside clone")
                actions.append(action)
                offset += action.len
            return cls(actions)

    class NXActionDeleteField(nx):  # type: ignore[misc,valid-type]
        _subtype = 50

        def __init__(self, field: str) -> None:
            super().__init__()
            self.field = field

        @classmethod
        def parser(cls, buf: bytes) -> Any:
            field, _ = _oxm_name(ofp, bytes(buf), 0)
            return cls(field)

    for cls in (NXActionCheckPktLarger, NXActionResubmitTableCT, NXActionClone, NXActionDeleteField):
        if cls._subtype not in nx._subtypes:
            nx.register(cls)

    # controller2's meter_id property (NXAC2PT_METER_ID = 5, a be32): without
    # it the codec's fallback has no name for the property and fails.
    prop = _controller2_prop_base(ofpp)
    if prop is not None and 5 not in prop._TYPES:
        @prop.register_type(5)
        class NXActionController2PropMeterId(prop):  # type: ignore[misc,valid-type]
            _arg_name = "meter_id"

            @classmethod
            def parser_prop(cls, buf: bytes, length: int) -> tuple[int, int]:
                (meter_id,) = struct.unpack_from("!I", buf, 0)
                return meter_id, 4

            @classmethod
            def serialize_prop(cls, value: int) -> bytearray:
                return bytearray(struct.pack("!HHI", 5, 8, value))


def _controller2_prop_base(ofpp: ModuleType) -> Any:
    """The codec's ``NXActionController2Prop`` registry class.  It is not
    exported from the parser module, only closed over by the controller2
    parser, so it is found there."""
    for cell in ofpp.NXActionController2.parser.__func__.__closure__ or ():
        value = cell.cell_contents
        if isinstance(value, type) and value.__name__ == "NXActionController2Prop":
            return value
    return None


def install(codec: Codec) -> Codec:
    """Add the extensions to ``codec``'s parsers; idempotent. Returns ``codec``."""
    if codec.package in _installed:
        return codec
    import importlib

    codec_oxm = importlib.import_module(f"{codec.package}.ofproto.oxm_fields")
    type_desc = importlib.import_module(f"{codec.package}.lib.type_desc")
    _add_fields(codec.v13, codec_oxm, type_desc, basic_actset=False)
    _add_fields(codec.v15, codec_oxm, type_desc, basic_actset=True)
    _install_actions(codec.v13, codec.v13_parser)
    _install_actions(codec.v15, codec.v15_parser)
    _installed.add(codec.package)
    return codec
