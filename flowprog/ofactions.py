"""Codec action objects -> :class:`~flowprog.flows.Action`, table-driven.

One small converter per codec action class, registered in ``_CONVERTERS`` by
the class name (the same in os-ken and ryu).  Each builds the structured
arguments and the text ovs-ofctl would print (the formats of OVS's
``format_*`` functions in lib/ofp-actions.c and lib/learn.c; see
ovs-actions(7)).  A codec class without a converter raises
:class:`UnknownAction`, which the decoder turns into an undecoded flow: an
action is never silently dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from flowprog.fieldnames import lookup, width
from flowprog.flows import Action
from flowprog.offormat import DECIMAL_FIELDS

__all__ = ["convert", "UnknownAction", "subfield", "format_value", "set_field_name"]

OFPP_IN_PORT = 0xFFF8
_RESERVED_PORTS = {0xFFF8: "IN_PORT", 0xFFF9: "TABLE", 0xFFFA: "NORMAL", 0xFFFB: "FLOOD", 0xFFFC: "ALL",
                   0xFFFD: "CONTROLLER", 0xFFFE: "LOCAL", 0xFFFF: "ANY"}
_NAT_SRC, _NAT_DST, _NAT_PERSISTENT, _NAT_HASH, _NAT_RANDOM = 1, 2, 4, 8, 16
_CT_COMMIT, _CT_FORCE = 1, 2
_LEARN_SEND_FLOW_REM, _LEARN_DELETE_LEARNED, _LEARN_WRITE_RESULT = 1, 2, 4
_SET_NAMES = {"NXM_NX_IP_TTL": "nw_ttl", "NXM_OF_IP_TOS": "nw_tos", "NXM_OF_IP_PROTO": "nw_proto",
              "NXM_NX_IP_ECN": "nw_ecn", "NXM_NX_TUN_IPV4_SRC": "tun_src", "NXM_NX_TUN_IPV4_DST": "tun_dst"}


class UnknownAction(Exception):
    """The codec returned an action class this module has no converter for."""


def set_field_name(codec_name: str) -> str:
    """The name ``set_field`` uses (ovs-fields(7) canonical): ``eth_src``, ``ip_dst``..."""
    nxm = lookup(codec_name).nxm
    if nxm in _SET_NAMES:
        return _SET_NAMES[nxm]
    if nxm.startswith("OXM_OF_PKT_REG"):
        return "xreg" + nxm.removeprefix("OXM_OF_PKT_REG")
    for prefix in ("NXM_OF_", "NXM_NX_", "OXM_OF_", "ONFOXM_ET_"):
        if nxm.startswith(prefix):
            return nxm.removeprefix(prefix).lower()
    return codec_name


def port_text(port: int) -> str:
    return _RESERVED_PORTS.get(port, str(port)) if port >= 0xFFF8 else str(port)


def subfield(codec_name: str, ofs: int, n_bits: int) -> str:
    """``NXM_NX_REG13[16..31]`` notation; ``[]`` for the whole field."""
    names = lookup(codec_name)
    if ofs == 0 and n_bits == width(names.match):
        return f"{names.nxm}[]"
    if n_bits == 1:
        return f"{names.nxm}[{ofs}]"
    return f"{names.nxm}[{ofs}..{ofs + n_bits - 1}]"


def format_value(value: Any) -> str:
    """Integers in hex as ovs-ofctl prints them; addresses as they are."""
    if isinstance(value, int):
        return f"{value:#x}" if value else "0"
    return str(value)


def typed_value(codec_name: str, value: int) -> str:
    """An integer shown the way its field is: ``169.254.169.5``, ``fd69::5``,
    ``0a:00:00:00:00:01``, ``6`` for protocol numbers, hex otherwise."""
    names = lookup(codec_name)
    if names.kind == "ip":
        return str(ipaddress.IPv4Address(value))
    if names.kind == "ipv6":
        return str(ipaddress.IPv6Address(value))
    if names.kind == "mac":
        return ":".join(f"{b:02x}" for b in value.to_bytes(6, "big"))
    return str(value) if names.match in DECIMAL_FIELDS else format_value(value)


def _act(name: str, text: str, nested: tuple[Action, ...] = (), **args: Any) -> Action:
    return Action(name, tuple(args.items()), text, nested)


def _output(a: Any) -> Action:
    port = int(a.port)
    if port == 0xFFFD:
        return _act("output", f"CONTROLLER:{a.max_len}", port="CONTROLLER", max_len=int(a.max_len))
    text = f"output:{port}" if port < 0xFF00 else port_text(port)
    return _act("output", text, port=port if port < 0xFF00 else port_text(port))


def _set_field(a: Any) -> Action:
    value, mask = (a.value if isinstance(a.value, tuple) else (a.value, None))
    name = set_field_name(a.key)
    shown = port_text(value) if name == "in_port" and isinstance(value, int) and mask is None else format_value(value)
    text = f"set_field:{shown}{'/' + format_value(mask) if mask is not None else ''}->{name}"
    if isinstance(value, int) and mask is None:
        mask = (1 << width(lookup(a.key).match)) - 1
    return _act("set_field", text, field=lookup(a.key).match, value=value, mask=mask)


def _reg_load(a: Any) -> Action:
    ofs, n_bits = a.ofs_nbits >> 6, (a.ofs_nbits & 0x3F) + 1
    value = int(a.value)
    return _act("load", f"load:{format_value(value)}->{subfield(a.dst, ofs, n_bits)}",
                field=lookup(a.dst).match, value=value << ofs, mask=((1 << n_bits) - 1) << ofs)


def _reg_load2(a: Any) -> Action:
    class _SF:
        key, value = a.dst, (a.value, a.mask) if a.mask is not None else a.value
    return _set_field(_SF())


def _move(a: Any) -> Action:
    src, dst = (a.src_field, a.dst_field) if hasattr(a, "src_field") else (a.src, a.dst)
    src_ofs, dst_ofs = a.src_ofs if hasattr(a, "src_ofs") else a.src_offset, (
        a.dst_ofs if hasattr(a, "dst_ofs") else a.dst_offset)
    text = f"move:{subfield(src, src_ofs, a.n_bits)}->{subfield(dst, dst_ofs, a.n_bits)}"
    return _act("move", text, src=lookup(src).match, src_ofs=src_ofs, dst=lookup(dst).match, dst_ofs=dst_ofs,
                n_bits=a.n_bits)


def _resubmit(a: Any, ct: bool = False) -> Action:
    port, table = int(a.in_port), int(getattr(a, "table_id", 255))
    if port != OFPP_IN_PORT and table == 255:
        text = f"resubmit:{port_text(port)}"
    else:
        text = f"resubmit({'' if port == OFPP_IN_PORT else port_text(port)},{'' if table == 255 else table}" \
               f"{',ct' if ct else ''})"
    return _act("resubmit", text, port=None if port == OFPP_IN_PORT else port,
                table=None if table == 255 else table, ct=ct)


def _nat(a: Any) -> Action:
    flags = int(a.flags)
    if not flags & (_NAT_SRC | _NAT_DST):
        return _act("nat", "nat")
    kind = "src" if flags & _NAT_SRC else "dst"
    parts = [kind]
    lo, hi = a.range_ipv4_min or a.range_ipv6_min, a.range_ipv4_max or a.range_ipv6_max
    pmin, pmax = a.range_proto_min, a.range_proto_max
    if lo:
        v6 = ipaddress.ip_address(lo).version == 6
        addr = f"[{lo}]" if v6 and pmin else str(lo)
        if hi and hi != lo and hi not in ("::", "0.0.0.0"):
            addr += "-" + (f"[{hi}]" if v6 and pmin else str(hi))
        if pmin:
            addr += f":{pmin}" + (f"-{pmax}" if pmax and pmax != pmin else "")
        parts[0] = f"{kind}={addr}"
        parts += [w for bit, w in ((_NAT_PERSISTENT, "persistent"), (_NAT_HASH, "hash"), (_NAT_RANDOM, "random"))
                  if flags & bit]
    return _act("nat", f"nat({','.join(parts)})", type=kind, min=lo or None, max=hi or None,
                proto_min=pmin, proto_max=pmax, flags=flags)


def _ct(a: Any, convert_all: Callable[[Any], tuple[Action, ...]]) -> Action:
    parts = []
    if a.flags & _CT_COMMIT:
        parts.append("commit")
    if a.flags & _CT_FORCE:
        parts.append("force")
    if a.recirc_table != 255:
        parts.append(f"table={a.recirc_table}")
    zone: Any = None
    if a.zone_src:
        ofs, n_bits = a.zone_ofs_nbits >> 6, (a.zone_ofs_nbits & 0x3F) + 1
        zone = subfield(a.zone_src, ofs, n_bits)
        parts.append(f"zone={zone}")
    elif a.zone_ofs_nbits:
        zone = int(a.zone_ofs_nbits)
        parts.append(f"zone={zone}")
    nested = convert_all(a.actions)
    rest = list(nested)
    if rest and rest[0].name == "nat":
        parts.append(rest.pop(0).text)
    if rest:
        parts.append(f"exec({','.join(x.text for x in rest)})")
    if a.alg:
        parts.append({21: "alg=ftp", 69: "alg=tftp"}.get(a.alg, f"alg={a.alg}"))
    return _act("ct", f"ct({','.join(parts)})", nested, commit=bool(a.flags & _CT_COMMIT),
                table=None if a.recirc_table == 255 else a.recirc_table, zone=zone, alg=a.alg or None)


def _controller2(a: Any) -> Action:
    reason, max_len = getattr(a, "reason", 1), getattr(a, "max_len", 0xFFFF)
    cid, userdata = getattr(a, "controller_id", 0), bytes(getattr(a, "userdata", b"") or b"")
    pause, meter = bool(getattr(a, "pause", False)), getattr(a, "meter_id", None)
    if reason == 1 and not cid and not userdata and not pause and meter is None:
        return _act("output", f"CONTROLLER:{max_len}", port="CONTROLLER", max_len=max_len)
    parts = []
    if reason != 1:
        parts.append(f"reason={_REASONS.get(reason, str(reason))}")
    if max_len != 0xFFFF:
        parts.append(f"max_len={max_len}")
    if cid:
        parts.append(f"id={cid}")
    if userdata:
        parts.append("userdata=" + ".".join(f"{b:02x}" for b in userdata))
    if pause:
        parts.append("pause")
    if meter is not None:
        parts.append(f"meter_id={meter}")
    return _act("controller", f"controller({','.join(parts)})", reason=reason, max_len=max_len, id=cid,
                userdata=userdata.hex() or None, pause=pause, meter_id=meter)


_REASONS = {0: "no_match", 1: "action", 2: "invalid_ttl", 3: "action_set", 4: "group", 5: "packet_out"}


def _learn(a: Any) -> Action:
    parts = [f"table={a.table_id}"]
    if a.idle_timeout:
        parts.append(f"idle_timeout={a.idle_timeout}")
    if a.hard_timeout:
        parts.append(f"hard_timeout={a.hard_timeout}")
    if a.fin_idle_timeout:
        parts.append(f"fin_idle_timeout={a.fin_idle_timeout}")
    if a.fin_hard_timeout:
        parts.append(f"fin_hard_timeout={a.fin_hard_timeout}")
    if a.priority != 0x8000:
        parts.append(f"priority={a.priority}")
    if a.flags & _LEARN_SEND_FLOW_REM:
        parts.append("send_flow_rem")
    if a.flags & _LEARN_DELETE_LEARNED:
        parts.append("delete_learned")
    if a.cookie:
        parts.append(f"cookie={a.cookie:#x}")
    for spec in a.specs:
        parts.append(_learn_spec(spec))
    return _act("learn", f"learn({','.join(parts)})", table=a.table_id, cookie=a.cookie, specs=parts[1:])


def _learn_spec(spec: Any) -> str:
    kind = type(spec).__name__
    n_bits = spec.n_bits
    if kind == "NXFlowSpecOutput":
        return f"output:{subfield(spec.src[0], spec.src[1], n_bits)}"
    dst = subfield(spec.dst[0], spec.dst[1], n_bits)
    imm = not isinstance(spec.src, tuple)
    if kind == "NXFlowSpecLoad":
        src = f"{spec.src:#x}" if imm else subfield(spec.src[0], spec.src[1], n_bits)
        return f"load:{src}->{dst}"
    if imm:  # an immediate match: "field=value" for a whole field, else hex
        names = lookup(spec.dst[0])
        if spec.dst[1] == 0 and n_bits == width(names.match):
            return f"{set_field_name(spec.dst[0])}={typed_value(spec.dst[0], int(spec.src))}"
        return f"{dst}={spec.src:#x}"
    src_name, src_ofs = spec.src
    if src_name == spec.dst[0] and src_ofs == spec.dst[1]:
        return dst
    return f"{dst}={subfield(src_name, src_ofs, n_bits)}"


def _stack(push: bool) -> Callable[[Any], Action]:
    def conv(a: Any) -> Action:
        # The codec calls the subfield's offset "start" and its width "end".
        sub = subfield(a.field, a.start, a.end)
        return _act("push" if push else "pop", f"{'push' if push else 'pop'}:{sub}", field=lookup(a.field).match,
                    ofs=a.start, n_bits=a.end)
    return conv


def _output_reg(a: Any) -> Action:
    ofs, n_bits = a.ofs_nbits >> 6, (a.ofs_nbits & 0x3F) + 1
    return _act("output", f"output:{subfield(a.src, ofs, n_bits)}", port=subfield(a.src, ofs, n_bits))


def _check_pkt_larger(a: Any) -> Action:
    dst = subfield(a.dst, a.ofs, 1)
    return _act("check_pkt_larger", f"check_pkt_larger({a.pkt_len})->{dst}", pkt_len=a.pkt_len,
                field=lookup(a.dst).match, bit=a.ofs)


def _conjunction(a: Any) -> Action:
    return _act("conjunction", f"conjunction({a.id},{a.clause + 1}/{a.n_clauses})", id=a.id,
                clause=a.clause + 1, n_clauses=a.n_clauses)


def _simple(name: str) -> Callable[[Any], Action]:
    return lambda a: _act(name, name)


_CONVERTERS: dict[str, Callable[[Any], Action]] = {
    "OFPActionOutput": _output,
    "OFPActionGroup": lambda a: _act("group", f"group:{a.group_id}", group=a.group_id),
    "OFPActionSetField": _set_field,
    "NXActionRegLoad": _reg_load,
    "NXActionRegLoad2": _reg_load2,
    "NXActionRegMove": _move,
    "CopyField": _move,
    "NXActionResubmitTable": _resubmit,
    "NXActionResubmit": _resubmit,
    "NXActionResubmitTableCT": lambda a: _resubmit(a, ct=True),
    "NXActionNAT": _nat,
    "NXActionController2": _controller2,
    "NXActionController": lambda a: _controller2(a),
    "NXActionLearn": _learn,
    "NXActionStackPush": _stack(True),
    "NXActionStackPop": _stack(False),
    "NXActionOutputReg": _output_reg,
    "NXActionOutputReg2": _output_reg,
    "NXActionCheckPktLarger": _check_pkt_larger,
    "NXActionConjunction": _conjunction,
    "NXActionDecTtl": _simple("dec_ttl"),
    "NXActionDecTtlCntIds": lambda a: _act("dec_ttl", f"dec_ttl({','.join(str(i) for i in a.cnt_ids)})",
                                           ids=list(a.cnt_ids)),
    "OFPActionDecNwTtl": _simple("dec_ttl"),
    "NXActionCTClear": _simple("ct_clear"),
    "NXActionExit": _simple("exit"),
    "OFPActionPopVlan": _simple("pop_vlan"),
    "OFPActionPushVlan": lambda a: _act("push_vlan", f"push_vlan:{a.ethertype:#x}", ethertype=a.ethertype),
    "OFPActionMeter": lambda a: _act("meter", f"meter:{a.meter_id}", meter=a.meter_id),
    "OFPActionSetQueue": lambda a: _act("set_queue", f"set_queue:{a.queue_id}", queue=a.queue_id),
    "NXActionDeleteField": lambda a: _act("delete_field", f"delete_field:{set_field_name(a.field)}",
                                          field=lookup(a.field).match),
    "NXActionNote": lambda a: _act("note", "note:" + ".".join(f"{b:02x}" for b in bytes(a.note)),
                                   note=bytes(a.note).hex()),
}


def convert(actions: Any) -> tuple[Action, ...]:
    """Convert a list of codec action objects, in order."""
    out = []
    for a in actions:
        name = type(a).__name__
        if name == "NXActionCT":
            out.append(_ct(a, convert))
        elif name == "NXActionClone":
            nested = convert(a.actions)
            out.append(_act("clone", f"clone({','.join(x.text for x in nested)})", nested))
        elif name in _CONVERTERS:
            out.append(_CONVERTERS[name](a))
        else:
            raise UnknownAction(name)
    return tuple(out)
