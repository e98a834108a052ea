"""Codec action objects -> :class:`~flowprog.flows.Action`, table-driven.

One small converter per codec action class, registered in ``_CONVERTERS``
by the class name (the same in os-ken and ryu; the ``Ext*`` classes are
:mod:`flowprog.ofext`'s).  Each builds the structured arguments and the text
``ovs-ofctl`` prints, following OVS's ``format_*`` function for that action
(lib/ofp-actions.c unless said otherwise; see ovs-actions(7)).  A codec class
without a converter raises :class:`UnknownAction`: an action is never
silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from flowprog.flows import Action
from flowprog.mfields import ETH, IPV4, IPV6, MField, by_codec
from flowprog.ofcodec import call
from flowprog.ofvalues import eth_text, hex_text, ip_text, ipv6_text, mf_format, port_from_ofp11, port_text

__all__ = ["convert", "convert_one", "instruction", "Context", "UnknownAction", "subfield"]

_OFPP_MAX, _OFPP_CONTROLLER, _OFPP_IN_PORT, _OFPP_NONE = 0xFF00, 0xFFFD, 0xFFF8, 0xFFFF
_OFPR_ACTION = 1
_NAT_SRC, _NAT_DST, _NAT_PERSISTENT, _NAT_HASH, _NAT_RANDOM = 1, 2, 4, 8, 16
_NAT_RANGE_V4_MIN, _NAT_RANGE_V6_MIN = 1, 4
_CT_COMMIT, _CT_FORCE = 1, 2
_LEARN_SEND_FLOW_REM, _LEARN_DELETE_LEARNED, _LEARN_WRITE_RESULT = 1, 2, 4
_REASONS = {0: "no_match", 1: "action", 2: "invalid_ttl", 3: "action_set", 4: "group", 5: "packet_out",
            6: "", 7: ""}  # lib/ofp-packet.c ofputil_packet_in_reason_to_string
_HASH_FIELDS = ("eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp", "nw_src", "nw_dst",
                "symmetric_l3")  # lib/flow.c flow_hash_fields_to_str
_BUNDLE_ALGORITHMS = ("active_backup", "hrw")
_MULTIPATH_ALGORITHMS = ("modulo_n", "hash_threshold", "hrw", "iter_hash")
_PACKET_TYPES = {0: "ethernet", 0x1894F: "nsh", 0x18847: "mpls", 0x18848: "mpls_mc"}  # format_encap_pkt_type
_PT_USE_NEXT_PROTO = 0xFFFE  # (OFPHTN_ONF, 0xfffe)


class UnknownAction(Exception):
    """The codec returned an action this module has no converter for."""


@dataclass(frozen=True, slots=True)
class Context:
    """What a converter needs besides the action: the codec's OXM module of
    the flow's version (to read set_field values back as wire bytes)."""

    ofp: ModuleType

    def convert(self, actions: Any) -> tuple[Action, ...]:
        return convert(actions, self)


def _field(codec_name: str) -> MField:
    f = by_codec(codec_name)
    if f is None:
        raise UnknownAction(f"field {codec_name}")
    return f


def subfield(codec_name: str, ofs: int, n_bits: int) -> str:
    """lib/nx-match.c ``mf_format_subfield``: ``NXM_NX_REG13[16..31]``,
    ``[]`` for the whole field, ``[N]`` for one bit."""
    f = _field(codec_name)
    if ofs == 0 and n_bits == f.n_bits:
        return f"{f.nxm}[]"
    if n_bits == 1:
        return f"{f.nxm}[{ofs}]"
    return f"{f.nxm}[{ofs}..{ofs + n_bits - 1}]"


def _ofs_nbits(ofs_nbits: int) -> tuple[int, int]:
    return ofs_nbits >> 6, (ofs_nbits & 0x3F) + 1


def _json_value(f: MField, value: int) -> int | str:
    """Addresses as text, everything else as the integer."""
    if f.fmt == IPV4 and f.n_bytes == 4:
        return ip_text(value)
    if f.fmt == IPV6:
        return ipv6_text(value)
    if f.fmt == ETH:
        return eth_text(value)
    return value


def _act(name: str, text: str, nested: tuple[Action, ...] = (), /, **args: Any) -> Action:
    return Action(name, tuple(args.items()), text, nested)


def _wire(ctx: Context, key: str, user: Any) -> tuple[MField, int, int | None]:
    """A codec field value (its 'user' form) back to OVS's integer of the
    wire bytes, through the codec's own encoder."""
    _num, value, mask = call(ctx.ofp.oxm_from_user, key, user)
    return _field(key), int.from_bytes(value, "big"), None if mask is None else int.from_bytes(mask, "big")


# -- output -------------------------------------------------------------------

def _output(a: Any, ctx: Context) -> Action:
    """format_OUTPUT: ``output:N``, reserved ports by name, ``CONTROLLER:max_len``."""
    port = port_from_ofp11(int(a.port))
    text = f"output:{port}" if port < _OFPP_MAX else port_text(port)
    if port == _OFPP_CONTROLLER:
        text += f":{a.max_len}"
    return _act("output", text, port=port, max_len=int(a.max_len))


def _output_reg(a: Any, ctx: Context) -> Action:
    """format_OUTPUT_REG."""
    ofs, n_bits = _ofs_nbits(a.ofs_nbits)
    sub = subfield(a.src, ofs, n_bits)
    return _act("output", f"output:{sub}", port=sub, field=_field(a.src).name, ofs=ofs, n_bits=n_bits,
                max_len=int(a.max_len))


def _output_trunc(a: Any, ctx: Context) -> Action:
    """format_OUTPUT_TRUNC."""
    port = int(a.port)
    return _act("output", f"output(port={port_text(port)},max_len={a.max_len})", port=port, max_len=int(a.max_len))


def _controller(a: Any, ctx: Context) -> Action:
    """format_CONTROLLER: ``CONTROLLER:max_len`` for the plain case."""
    reason, max_len, cid = int(a.reason), int(a.max_len), int(a.controller_id)
    userdata, pause = bytes(getattr(a, "userdata", b"") or b""), bool(getattr(a, "pause", False))
    meter = getattr(a, "meter_id", None)
    args = {"reason": reason, "max_len": max_len, "id": cid, "userdata": userdata.hex() or None, "pause": pause,
            "meter_id": meter}
    if reason == _OFPR_ACTION and not cid and not userdata and not pause and meter is None:
        return _act("controller", f"CONTROLLER:{max_len}", **args)
    parts = []
    if reason != _OFPR_ACTION:
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
    return _act("controller", f"controller({','.join(parts)})", **args)


def _nx_controller(a: Any, ctx: Context) -> Action:
    class _C:  # NXAST_CONTROLLER: reason, max_len and id only
        reason, max_len, controller_id = a.reason, a.max_len, a.controller_id
    return _controller(_C(), ctx)


def _bundle(a: Any, ctx: Context) -> Action:
    """lib/bundle.c ``bundle_format``."""
    load = type(a).__name__ == "NXActionBundleLoad"
    fields = _HASH_FIELDS[a.fields] if a.fields < len(_HASH_FIELDS) else "<unknown>"
    algorithm = _BUNDLE_ALGORITHMS[a.algorithm] if a.algorithm < len(_BUNDLE_ALGORITHMS) else "<unknown>"
    members = [int(p) for p in a.slaves]
    text = f"{'bundle_load' if load else 'bundle'}({fields},{a.basis},{algorithm},ofport,"
    dst = None
    if load:
        dst = subfield(a.dst, *_ofs_nbits(a.ofs_nbits))
        text += dst + ","
    text += "members:" + ",".join(port_text(p) for p in members) + ")"
    return _act("bundle_load" if load else "bundle", text, fields=fields, basis=int(a.basis), algorithm=algorithm,
                dst=dst, members=members)


def _group(a: Any, ctx: Context) -> Action:
    return _act("group", f"group:{a.group_id}", group=int(a.group_id))


# -- field modification -------------------------------------------------------

def _set_field_from(f: MField, value: int, mask: int | None) -> Action:
    """format_SET_FIELD for an OpenFlow set_field or NXAST_REG_LOAD2:
    ``set_field:VALUE[/MASK]->FIELD`` in the field's own format."""
    full = (1 << (8 * f.n_bytes)) - 1
    text = f"set_field:{mf_format(f, value, mask)}->{f.name}"
    return _act("set_field", text, field=f.name, value=_json_value(f, value),
                mask=full if mask is None or mask & full == full else mask)


def _set_field(a: Any, ctx: Context) -> Action:
    return _set_field_from(*_wire(ctx, a.key, a.value))


def _reg_load2(a: Any, ctx: Context) -> Action:
    user = a.value if a.mask is None else (a.value, a.mask)
    return _set_field_from(*_wire(ctx, a.dst, user))


def _reg_load(a: Any, ctx: Context) -> Action:
    """format_SET_FIELD for NXAST_REG_LOAD: ``load:VALUE->SUBFIELD``."""
    ofs, n_bits = _ofs_nbits(a.ofs_nbits)
    value, f = int(a.value), _field(a.dst)
    return _act("load", f"load:{hex_text(value)}->{subfield(a.dst, ofs, n_bits)}", field=f.name,
                value=value << ofs, mask=((1 << n_bits) - 1) << ofs, ofs=ofs, n_bits=n_bits)


def _move(a: Any, ctx: Context) -> Action:
    """lib/nx-match.c ``nxm_format_reg_move`` (NXAST_REG_MOVE and copy_field)."""
    if hasattr(a, "src_field"):  # the codec's NXActionRegMove
        src, dst, src_ofs, dst_ofs = a.src_field, a.dst_field, a.src_ofs, a.dst_ofs
    else:  # ofext's copy_field
        src, dst, src_ofs, dst_ofs = a.src, a.dst, a.src_offset, a.dst_offset
    n = int(a.n_bits)
    text = f"move:{subfield(src, src_ofs, n)}->{subfield(dst, dst_ofs, n)}"
    return _act("move", text, src=_field(src).name, src_ofs=src_ofs, dst=_field(dst).name, dst_ofs=dst_ofs, n_bits=n)


def _stack(push: bool) -> Callable[[Any, Context], Action]:
    def conv(a: Any, ctx: Context) -> Action:
        name = "push" if push else "pop"
        return _act(name, f"{name}:{subfield(a.field, a.ofs, a.n_bits)}", field=_field(a.field).name, ofs=a.ofs,
                    n_bits=a.n_bits)
    return conv


def _number(name: str, attr: str, fmt: str = "{}") -> Callable[[Any, Context], Action]:
    """Actions printed as ``name:N`` (or another fixed pattern) of one argument."""
    def conv(a: Any, ctx: Context) -> Action:
        value = int(getattr(a, attr))
        return _act(name, fmt.format(value), **{attr: value})
    return conv


def _simple(name: str, text: str | None = None) -> Callable[[Any, Context], Action]:
    return lambda a, ctx: _act(name, text or name)


def _dec_ttl_ids(a: Any, ctx: Context) -> Action:
    """format_DEC_TTL for NXAST_DEC_TTL_CNT_IDS."""
    ids = [int(i) for i in a.cnt_ids]
    return _act("dec_ttl", f"dec_ttl({','.join(map(str, ids))})", ids=ids)


def _set_tunnel(wide: bool) -> Callable[[Any, Context], Action]:
    def conv(a: Any, ctx: Context) -> Action:
        tun_id = int(a.tun_id)
        text = f"set_tunnel{'64' if wide or tun_id > 0xFFFFFFFF else ''}:{hex_text(tun_id)}"
        return _act("set_tunnel", text, tun_id=tun_id)
    return conv


def _check_pkt_larger(a: Any, ctx: Context) -> Action:
    dst = subfield(a.dst, a.ofs, 1)
    return _act("check_pkt_larger", f"check_pkt_larger({a.pkt_len})->{dst}", pkt_len=a.pkt_len,
                field=_field(a.dst).name, bit=a.ofs)


def _delete_field(a: Any, ctx: Context) -> Action:
    name = _field(a.field).name
    return _act("delete_field", f"delete_field:{name}", field=name)


# -- encapsulation ------------------------------------------------------------

def _encap(a: Any, ctx: Context) -> Action:
    """format_ENCAP and lib/ofp-ed-props.c ``format_ed_prop``: NSH
    ``md_type=N`` and ``tlv(class,type,value)`` properties."""
    kind = _PACKET_TYPES.get(a.packet_type, "UNKNOWN")
    props, texts = [], []
    for pclass, ptype, body in a.props:
        if pclass == 4 and ptype == 1:  # OFPPPC_NSH, OFPPPT_PROP_NSH_MDTYPE
            props.append({"md_type": body[0]})
            texts.append(f"md_type={body[0]}")
        elif pclass == 4 and ptype == 2:  # OFPPPT_PROP_NSH_TLV
            tclass, ttype, tlen = int.from_bytes(body[0:2], "big"), body[2], body[3]
            value = int.from_bytes(body[4:4 + tlen], "big")
            props.append({"class": tclass, "type": ttype, "value": body[4:4 + tlen].hex()})
            texts.append(f"tlv(0x{tclass:04x},{ttype},{hex_text(value)})")
        else:
            raise UnknownAction(f"encap property class {pclass} type {ptype}")
    text = f"encap({kind}" + (f"({','.join(texts)})" if texts else "") + ")"
    return _act("encap", text, packet_type=kind, props=props)


def _decap(a: Any, ctx: Context) -> Action:
    pt = int(a.packet_type)
    inner = "" if pt == _PT_USE_NEXT_PROTO else f"packet_type(ns={pt >> 16},type={hex_text(pt & 0xFFFF)})"
    return _act("decap", f"decap({inner})", ns=None if not inner else pt >> 16,
                type=None if not inner else pt & 0xFFFF)


# -- metadata, firewalling ----------------------------------------------------

def _nat_addr(v6: bool, addr: str, bracket: bool) -> str:
    if not v6:
        return addr
    return f"[{addr}]" if bracket else addr


def _nat(a: Any, ctx: Context) -> Action:
    """format_NAT."""
    flags = int(a.flags)
    if not flags & (_NAT_SRC | _NAT_DST):
        return _act("nat", "nat", flags=flags)
    kind = "src" if flags & _NAT_SRC else "dst"
    v4_min, v6_min = a.range_ipv4_min or None, a.range_ipv6_min or None
    lo, hi = (v4_min, a.range_ipv4_max or None) if v4_min else (v6_min, a.range_ipv6_max or None)
    pmin, pmax = a.range_proto_min or 0, a.range_proto_max or 0
    text = kind
    if lo:
        v6 = not v4_min
        text += "=" + _nat_addr(v6, _canon_ip(lo, v6), bool(pmin))
        if hi and hi not in ("0.0.0.0", "::") and _canon_ip(hi, v6) != _canon_ip(lo, v6):
            text += "-" + _nat_addr(v6, _canon_ip(hi, v6), bool(pmin))
        if pmin:
            text += f":{pmin}" + (f"-{pmax}" if pmax and pmax != pmin else "")
        for bit, word in ((_NAT_PERSISTENT, "persistent"), (_NAT_HASH, "hash"), (_NAT_RANDOM, "random")):
            if flags & bit:
                text += "," + word
    return _act("nat", f"nat({text})", type=kind, min=lo, max=hi, proto_min=pmin or None, proto_max=pmax or None,
                flags=flags)


def _canon_ip(text: str, v6: bool) -> str:
    """Addresses as OVS prints them (the codec's text may differ in form)."""
    if not v6:
        return text
    import ipaddress
    return ipv6_text(int(ipaddress.IPv6Address(text)))


def _ct(a: Any, ctx: Context) -> Action:
    """format_CT: flags, table, zone, a leading nat outside exec(), alg."""
    parts = []
    flags = int(a.flags)
    if flags & _CT_COMMIT:
        parts.append("commit")
    if flags & _CT_FORCE:
        parts.append("force")
    if a.recirc_table != 255:
        parts.append(f"table={a.recirc_table}")
    zone: Any = None
    if a.zone_src:
        zone = subfield(a.zone_src, *_ofs_nbits(a.zone_ofs_nbits))
        parts.append(f"zone={zone}")
    elif a.zone_ofs_nbits:  # the immediate zone shares the field with ofs_nbits
        zone = int(a.zone_ofs_nbits)
        parts.append(f"zone={zone}")
    nested = ctx.convert(a.actions)
    rest = list(nested)
    if rest and rest[0].name == "nat":
        parts.append(rest.pop(0).text)
    if rest:
        parts.append(f"exec({','.join(x.text for x in rest)})")
    alg = int(a.alg)
    if alg:
        parts.append({21: "alg=ftp", 69: "alg=tftp"}.get(alg, f"alg={alg}"))
    return _act("ct", f"ct({','.join(parts)})", nested, commit=bool(flags & _CT_COMMIT),
                force=bool(flags & _CT_FORCE), table=None if a.recirc_table == 255 else a.recirc_table, zone=zone,
                alg=alg or None)


def _learn(a: Any, ctx: Context) -> Action:
    """lib/learn.c ``learn_format``."""
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
    if a.limit:
        parts.append(f"limit={a.limit}")
    if a.flags & _LEARN_WRITE_RESULT and a.result_dst is not None:
        parts.append(f"result_dst={subfield(a.result_dst[0], a.result_dst[1], 1)}")
    specs = [_learn_spec(s) for s in a.specs]
    return _act("learn", f"learn({','.join(parts + specs)})", table=a.table_id, idle_timeout=a.idle_timeout,
                hard_timeout=a.hard_timeout, priority=a.priority, cookie=a.cookie, flags=a.flags,
                limit=a.limit, specs=specs)


def _learn_spec(spec: Any) -> str:
    n_bits = spec.n_bits
    if spec.src_type == 1:  # immediate
        value = int.from_bytes(spec.src, "big")
        dst = _field(spec.dst[0])
        if spec.dst_type == 0:  # match
            if spec.dst[1] == 0 and n_bits == dst.n_bits:
                return f"{dst.name}={mf_format(dst, value, None)}"
            return f"{subfield(spec.dst[0], spec.dst[1], n_bits)}={hex_text(value)}"
        return f"load:{hex_text(value)}->{subfield(spec.dst[0], spec.dst[1], n_bits)}"
    src = subfield(spec.src[0], spec.src[1], n_bits)
    if spec.dst_type == 2:  # output
        return f"output:{src}"
    dst_text = subfield(spec.dst[0], spec.dst[1], n_bits)
    if spec.dst_type == 1:
        return f"load:{src}->{dst_text}"
    if _field(spec.src[0]) is _field(spec.dst[0]) and spec.src[1] == spec.dst[1]:
        return dst_text  # "udp_dst" for udp_dst=udp_dst
    return f"{dst_text}={src}"


def _fin_timeout(a: Any, ctx: Context) -> Action:
    parts = []
    if a.fin_idle_timeout:
        parts.append(f"idle_timeout={a.fin_idle_timeout}")
    if a.fin_hard_timeout:
        parts.append(f"hard_timeout={a.fin_hard_timeout}")
    return _act("fin_timeout", f"fin_timeout({','.join(parts)})", idle_timeout=a.fin_idle_timeout,
                hard_timeout=a.fin_hard_timeout)


# -- control flow, other ------------------------------------------------------

def _resubmit(ct: bool) -> Callable[[Any, Context], Action]:
    def conv(a: Any, ctx: Context) -> Action:
        """format_RESUBMIT."""
        port, table = int(a.in_port), int(getattr(a, "table_id", 255))
        if port != _OFPP_IN_PORT and table == 255:
            text = f"resubmit:{port_text(port)}"
        else:
            text = (f"resubmit({'' if port == _OFPP_IN_PORT else port_text(port)},{'' if table == 255 else table}"
                    f"{',ct' if ct else ''})")
        return _act("resubmit", text, port=None if port == _OFPP_IN_PORT else port,
                    table=None if table == 255 else table, ct=ct)
    return conv


def _clone(a: Any, ctx: Context) -> Action:
    nested = ctx.convert(a.actions)
    return _act("clone", f"clone({','.join(x.text for x in nested) or 'drop'})", nested)


def _multipath(a: Any, ctx: Context) -> Action:
    """lib/multipath.c ``multipath_format``."""
    fields = _HASH_FIELDS[a.fields] if a.fields < len(_HASH_FIELDS) else "<unknown>"
    algorithm = _MULTIPATH_ALGORITHMS[a.algorithm] if a.algorithm < len(_MULTIPATH_ALGORITHMS) else "<unknown>"
    dst = subfield(a.dst, *_ofs_nbits(a.ofs_nbits))
    text = f"multipath({fields},{a.basis},{algorithm},{a.max_link + 1},{a.arg},{dst})"
    return _act("multipath", text, fields=fields, basis=a.basis, algorithm=algorithm, n_links=a.max_link + 1,
                arg=a.arg, dst=dst)


def _conjunction(a: Any, ctx: Context) -> Action:
    return _act("conjunction", f"conjunction({a.id},{a.clause + 1}/{a.n_clauses})", id=a.id, clause=a.clause + 1,
                n_clauses=a.n_clauses)


def _note(a: Any, ctx: Context) -> Action:
    data = bytes(a.note)
    return _act("note", "note:" + ".".join(f"{b:02x}" for b in data), note=data.hex())


def _sample(a: Any, ctx: Context) -> Action:
    """format_SAMPLE for sample, sample2, sample3 and sample4."""
    kind = type(a).__name__
    domain = getattr(a, "obs_domain", getattr(a, "obs_domain_id", 0))
    point = getattr(a, "obs_point", getattr(a, "obs_point_id", 0))
    port = int(getattr(a, "sampling_port", _OFPP_NONE)) if kind != "NXActionSample" else _OFPP_NONE
    direction = int(getattr(a, "direction", 0))

    def obs(value: Any) -> str:
        return subfield(value[0], *_ofs_nbits(value[1])) if isinstance(value, tuple) else str(value)

    text = (f"sample(probability={a.probability},collector_set_id={a.collector_set_id},"
            f"obs_domain_id={obs(domain)},obs_point_id={obs(point)}")
    if port != _OFPP_NONE:
        text += f",sampling_port={port_text(port)}"
    text += {1: ",ingress", 2: ",egress"}.get(direction, "") + ")"
    return _act("sample", text, probability=a.probability, collector_set_id=a.collector_set_id,
                obs_domain_id=obs(domain) if isinstance(domain, tuple) else domain,
                obs_point_id=obs(point) if isinstance(point, tuple) else point,
                sampling_port=None if port == _OFPP_NONE else port,
                direction={1: "ingress", 2: "egress"}.get(direction))


_CONVERTERS: dict[str, Callable[[Any, Context], Action]] = {
    # OpenFlow actions
    "OFPActionOutput": _output,
    "OFPActionGroup": _group,
    "OFPActionSetQueue": _number("set_queue", "queue_id", "set_queue:{}"),
    "OFPActionSetMplsTtl": _number("set_mpls_ttl", "mpls_ttl", "set_mpls_ttl({})"),
    "OFPActionDecMplsTtl": _simple("dec_mpls_ttl"),
    "OFPActionSetNwTtl": _number("mod_nw_ttl", "nw_ttl", "mod_nw_ttl:{}"),
    "OFPActionDecNwTtl": _simple("dec_ttl"),
    "OFPActionPushVlan": _number("push_vlan", "ethertype", "push_vlan:{:#x}"),
    "OFPActionPopVlan": _simple("pop_vlan"),
    "OFPActionPushMpls": _number("push_mpls", "ethertype", "push_mpls:0x{:04x}"),
    "OFPActionPopMpls": _number("pop_mpls", "ethertype", "pop_mpls:0x{:04x}"),
    "OFPActionSetField": _set_field,
    "OFPActionMeter": _number("meter", "meter_id", "meter:{}"),
    "ExtCopyField": _move,
    "ExtSetMplsLabel": _number("set_mpls_label", "label", "set_mpls_label({})"),
    "ExtSetMplsTc": _number("set_mpls_tc", "tc", "set_mpls_tc({})"),
    # Nicira actions
    "NXActionResubmit": _resubmit(False),
    "NXActionResubmitTable": _resubmit(False),
    "ExtResubmitTableCT": _resubmit(True),
    "NXActionSetTunnel": _set_tunnel(False),
    "NXActionSetTunnel64": _set_tunnel(True),
    "NXActionSetQueue": _number("set_queue", "queue_id", "set_queue:{}"),
    "NXActionPopQueue": _simple("pop_queue"),
    "NXActionRegMove": _move,
    "NXActionRegLoad": _reg_load,
    "NXActionRegLoad2": _reg_load2,
    "NXActionNote": _note,
    "NXActionMultipath": _multipath,
    "NXActionBundle": _bundle,
    "NXActionBundleLoad": _bundle,
    "NXActionOutputReg": _output_reg,
    "ExtOutputReg2": _output_reg,
    "ExtLearn": _learn,
    "ExtLearn2": _learn,
    "NXActionExit": _simple("exit"),
    "NXActionDecTtl": _simple("dec_ttl"),
    "NXActionDecTtlCntIds": _dec_ttl_ids,
    "NXActionFinTimeout": _fin_timeout,
    "NXActionController": _nx_controller,
    "ExtController2": _controller,
    "NXActionPushMpls": _number("push_mpls", "ethertype", "push_mpls:0x{:04x}"),
    "NXActionPopMpls": _number("pop_mpls", "ethertype", "pop_mpls:0x{:04x}"),
    "NXActionSetMplsTtl": _number("set_mpls_ttl", "ttl", "set_mpls_ttl({})"),
    "NXActionDecMplsTtl": _simple("dec_mpls_ttl"),
    "NXActionSetMplsLabel": _number("set_mpls_label", "label", "set_mpls_label({})"),
    "NXActionSetMplsTc": _number("set_mpls_tc", "tc", "set_mpls_tc({})"),
    "ExtStackPush": _stack(True),
    "ExtStackPop": _stack(False),
    "NXActionSample": _sample,
    "NXActionSample2": _sample,
    "ExtSample3": _sample,
    "ExtSample4": _sample,
    "NXActionConjunction": _conjunction,
    "NXActionCT": _ct,
    "NXActionNAT": _nat,
    "NXActionOutputTrunc": _output_trunc,
    "ExtClone": _clone,
    "NXActionCTClear": _simple("ct_clear"),
    "ExtEncap": _encap,
    "ExtDecap": _decap,
    "NXActionDecNshTtl": _simple("dec_nsh_ttl"),
    "ExtCheckPktLarger": _check_pkt_larger,
    "ExtDeleteField": _delete_field,
}


def convert(actions: Any, ctx: Context) -> tuple[Action, ...]:
    """Convert a list of codec action objects, in order."""
    return tuple(convert_one(a, ctx) for a in actions)


def convert_one(action: Any, ctx: Context) -> Action:
    conv = _CONVERTERS.get(type(action).__name__)
    if conv is None:
        raise UnknownAction(type(action).__name__)
    return conv(action, ctx)


def instruction(inst: Any) -> Action:
    """The instructions that are not action lists (format_METER,
    format_WRITE_METADATA, format_GOTO_TABLE)."""
    kind = type(inst).__name__
    if kind == "OFPInstructionGotoTable":
        return _act("goto_table", f"goto_table:{inst.table_id}", table=inst.table_id)
    if kind == "OFPInstructionWriteMetadata":
        value, mask = int(inst.metadata), int(inst.metadata_mask)
        text = f"write_metadata:{hex_text(value)}" + ("" if mask == (1 << 64) - 1 else f"/{hex_text(mask)}")
        return _act("write_metadata", text, value=value, mask=mask)
    if kind == "OFPInstructionMeter":
        return _act("meter", f"meter:{inst.meter_id}", meter=inst.meter_id)
    raise UnknownAction(kind)
