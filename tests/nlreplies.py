"""Netlink replies built byte for byte as the kernel lays them out, for the
answers this kernel cannot give (no devlink family, no cls_flower).

Layout (uapi linux/netlink.h, linux/genetlink.h): a 16-byte ``struct
nlmsghdr`` (u32 length including itself, u16 type, u16 flags, u32 seq, u32
pid), the family's fixed header, then ``struct nlattr`` attributes (u16
length including the 4-byte header, u16 type, the value, padding to 4
bytes).  What the tests feed them to is the production decoder
(:func:`hw.devlink.decode_eswitch`, :func:`hw.routing.decode_tc`...), wrapped
in the :class:`~mvcore.snapshot.NetlinkAnswer` a live reader would return.
"""

from __future__ import annotations

import socket
import struct

from mvcore.snapshot import NetlinkAnswer

# -- generic -------------------------------------------------------------------------------

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLA_F_NESTED = 1 << 15


def nla(kind: int, value: bytes) -> bytes:
    size = 4 + len(value)
    return struct.pack("=HH", size, kind) + value + b"\0" * (-size % 4)


def string(kind: int, text: str) -> bytes:
    return nla(kind, text.encode() + b"\0")  # nla_put_string() keeps the NUL


def u8(kind: int, v: int) -> bytes:
    return nla(kind, struct.pack("=B", v))


def u16(kind: int, v: int) -> bytes:
    return nla(kind, struct.pack("=H", v))


def u32(kind: int, v: int) -> bytes:
    return nla(kind, struct.pack("=I", v))


def nlmsg(msg_type: int, body: bytes, *, flags: int = 0, seq: int = 1) -> bytes:
    return struct.pack("=IHHII", 16 + len(body), msg_type, flags, seq, 0) + body


def nlerror(code: int, request_type: int) -> bytes:
    """struct nlmsgerr: the negative errno, then the request's nlmsghdr."""
    request = struct.pack("=IHHII", 20, request_type, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    return nlmsg(NLMSG_ERROR, struct.pack("=i", -code) + request)


def done(seq: int = 1) -> bytes:
    return nlmsg(NLMSG_DONE, struct.pack("=i", 0), flags=NLM_F_MULTI, seq=seq)


def answer(data: bytes) -> NetlinkAnswer:
    return NetlinkAnswer(messages=data)


# -- devlink (uapi linux/devlink.h; devlink_nl_eswitch_fill(), devlink_nl_info_fill()) ----

FAMILY_ID = 0x14  # the kernel assigns generic netlink family ids at run time
PCI = "0000:03:00.0"
(BUS_NAME, DEV_NAME, ESWITCH_MODE, INLINE_MODE, ENCAP_MODE) = (1, 2, 25, 26, 62)
(DRIVER, SERIAL, V_FIXED, V_RUNNING, V_STORED, V_NAME, V_VALUE) = (98, 99, 100, 101, 102, 103, 104)


def version(kind: int, name: str, value: str) -> bytes:
    return nla(kind, string(V_NAME, name) + string(V_VALUE, value))


def genl(cmd: int, *attrs: bytes, seq: int = 1) -> bytes:
    return nlmsg(FAMILY_ID, struct.pack("=BBH", cmd, 1, 0) + b"".join(attrs), seq=seq)


def eswitch_reply(mode: int, inline: int | None = 0, encap: int | None = 1, pci: str = PCI) -> bytes:
    attrs = [string(BUS_NAME, "pci"), string(DEV_NAME, pci), u16(ESWITCH_MODE, mode)]
    attrs += [u8(INLINE_MODE, inline)] if inline is not None else []
    attrs += [u8(ENCAP_MODE, encap)] if encap is not None else []
    return genl(29, *attrs)


def devlink_error(code: int) -> bytes:
    return nlerror(code, FAMILY_ID)


SWITCHDEV = eswitch_reply(1, 0, 1)
LEGACY = eswitch_reply(0, 0, 1)
INFO = genl(
    51,
    string(BUS_NAME, "pci"), string(DEV_NAME, PCI),
    string(DRIVER, "mlx5_core"), string(SERIAL, "MT2116X09299"),
    version(V_FIXED, "fw.psid", "MT_0000000436"),
    version(V_RUNNING, "fw.version", "22.41.0188"),
    version(V_RUNNING, "fw", "22.41.0188"),
    version(V_STORED, "fw.version", "22.43.2026"),
    version(V_STORED, "fw", "22.43.2026"),
)

# -- TC filters (uapi linux/rtnetlink.h, linux/pkt_sched.h, linux/pkt_cls.h) ----------------

RTM_NEWTFILTER = 44
INGRESS_PARENT = 0xFFFFFFF2  # TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
TCA_KIND, TCA_OPTIONS, TCA_CHAIN = 1, 2, 11
TCA_FLOWER_ACT, TCA_FLOWER_KEY_ETH_DST, TCA_FLOWER_KEY_ETH_DST_MASK = 3, 4, 5
TCA_FLOWER_KEY_ETH_TYPE, TCA_FLOWER_KEY_IP_PROTO = 8, 9
TCA_FLOWER_FLAGS, TCA_FLOWER_KEY_ENC_OPTS, TCA_FLOWER_IN_HW_COUNT = 22, 84, 86
TCA_FLOWER_KEY_ENC_OPTS_GENEVE = 1
SKIP_HW, SKIP_SW, IN_HW, NOT_IN_HW = 1 << 0, 1 << 1, 1 << 2, 1 << 3


def tfilter(handle: int, kind: str, options: bytes | None, *, ifindex: int = 7, prio: int = 2,
            seq: int = 1) -> bytes:
    """One RTM_NEWTFILTER as tcf_fill_node() writes it: struct tcmsg
    {u8 family, u8 pad1, u16 pad2, int ifindex, u32 handle, u32 parent,
    u32 info = prio<<16 | htons(ETH_P_IP)}, TCA_KIND, TCA_CHAIN, then
    TCA_OPTIONS (nested without NLA_F_NESTED: nla_nest_start_noflag)."""
    info = (prio << 16) | socket.htons(0x0800)
    body = struct.pack("=BBHiIII", socket.AF_UNSPEC, 0, 0, ifindex, handle, INGRESS_PARENT, info)
    body += string(TCA_KIND, kind) + u32(TCA_CHAIN, 0)
    if options is not None:
        body += nla(TCA_OPTIONS, options)
    return nlmsg(RTM_NEWTFILTER, body, flags=NLM_F_MULTI, seq=seq)


def flower_options(flags: int | None, in_hw_count: int) -> bytes:
    """What fl_dump() puts in TCA_OPTIONS for a Geneve decap rule: keys
    (fl_dump_key, with the tunnel options nested: fl_dump_key_options), FLAGS
    only when non-zero, IN_HW_COUNT always, then the actions nest
    (tcf_exts_dump).  Every nest is started with nla_nest_start_noflag()."""
    geneve = nla(TCA_FLOWER_KEY_ENC_OPTS_GENEVE,
                 nla(1, struct.pack("!H", 0x0102)) + nla(2, b"\x80") + nla(3, struct.pack("=I", 0x10002)))
    out = (nla(TCA_FLOWER_KEY_ETH_DST, bytes.fromhex("0a0100000002"))
           + nla(TCA_FLOWER_KEY_ETH_DST_MASK, b"\xff" * 6)
           + nla(TCA_FLOWER_KEY_ETH_TYPE, struct.pack("!H", 0x0800))
           + nla(TCA_FLOWER_KEY_IP_PROTO, b"\x11")
           + nla(TCA_FLOWER_KEY_ENC_OPTS, geneve))
    if flags is not None:
        out += u32(TCA_FLOWER_FLAGS, flags)
    out += u32(TCA_FLOWER_IN_HW_COUNT, in_hw_count)
    return out + nla(TCA_FLOWER_ACT, nla(1, string(TCA_KIND, "mirred")))


# -- devlink parameters (net/devlink/param.c devlink_nl_param_fill; uapi linux/devlink.h) -----

(PARAM, PARAM_NAME, PARAM_GENERIC, PARAM_TYPE, PARAM_VALUES_LIST, PARAM_VALUE, PARAM_DATA,
 PARAM_CMODE) = (80, 81, 82, 83, 84, 85, 86, 87)
TYPE_U32, TYPE_STRING, TYPE_FLAG = 3, 5, 6  # the NLA types devlink puts in PARAM_TYPE
CMODE_RUNTIME, CMODE_DRIVERINIT = 0, 1


def param_reply(name: str, kind: int, value: str | int | bool, *, cmode: int = CMODE_RUNTIME,
                pci: str = PCI) -> bytes:
    """One PARAM_GET reply: the handle, then PARAM nested (nla_nest_start_noflag) with the
    name, the type, and VALUES_LIST > VALUE > (CMODE, DATA); a false bool has no DATA."""
    if kind == TYPE_STRING:
        data = string(PARAM_DATA, str(value))
    elif kind == TYPE_FLAG:
        data = nla(PARAM_DATA, b"") if value else b""
    else:
        data = u32(PARAM_DATA, int(value))
    values = nla(PARAM_VALUES_LIST, nla(PARAM_VALUE, u8(PARAM_CMODE, cmode) + data))
    return genl(38, string(BUS_NAME, "pci"), string(DEV_NAME, pci),
                nla(PARAM, string(PARAM_NAME, name) + u8(PARAM_TYPE, kind) + values))
