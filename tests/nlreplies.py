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


# linux/pkt_cls.h TCA_ACT_*, linux/gen_stats.h TCA_STATS_*, linux/tc_act/tc_mirred.h
TCA_ACT_KIND, TCA_ACT_OPTIONS, TCA_ACT_STATS, TCA_ACT_PAD, TCA_ACT_IN_HW_COUNT = 1, 2, 4, 5, 10
TCA_STATS_BASIC, TCA_STATS_QUEUE, TCA_STATS_PAD, TCA_STATS_BASIC_HW, TCA_STATS_PKT64 = 1, 3, 6, 7, 8
TCA_MIRRED_TM, TCA_MIRRED_PARMS, TCA_MIRRED_PAD = 1, 2, 3
TC_ACT_STOLEN, TCA_EGRESS_REDIR = 4, 1


def basic(kind: int, packets: int, nbytes: int) -> bytes:
    """A struct gnet_stats_basic {u64 bytes; u32 packets} (16 bytes with its padding), then
    TCA_STATS_PKT64 when the packets do not fit 32 bits (___gnet_stats_copy_basic, net/core/gen_stats.c)."""
    out = nla(kind, struct.pack("=QI4x", nbytes, packets & 0xFFFFFFFF))
    return out + (nla(TCA_STATS_PKT64, struct.pack("=Q", packets)) if packets >= 1 << 32 else b"")


def action_stats(packets: int, nbytes: int, hw_packets: int, hw_bytes: int) -> bytes:
    """TCA_ACT_STATS as tcf_action_copy_stats() writes it: BASIC (every packet), BASIC_HW
    (those the hardware switched), QUEUE; each 64-bit attribute after a PAD to align it."""
    return nla(TCA_ACT_STATS, nla(TCA_STATS_PAD, b"") + basic(TCA_STATS_BASIC, packets, nbytes)
               + nla(TCA_STATS_PAD, b"") + basic(TCA_STATS_BASIC_HW, hw_packets, hw_bytes)
               + nla(TCA_STATS_QUEUE, bytes(20)))


def tc_action(order: int, kind: str, stats: bytes, options: bytes) -> bytes:
    """One action of a filter (tcf_action_dump_1, net/sched/act_api.c): KIND, STATS, IN_HW_COUNT, OPTIONS."""
    return nla(order, string(TCA_ACT_KIND, kind) + stats + u32(TCA_ACT_IN_HW_COUNT, 1) + nla(TCA_ACT_OPTIONS, options))


def mirred_parms(ifindex: int) -> bytes:
    """struct tc_mirred {tc_gen (u32 index, u32 capab, int action, int refcnt, int bindcnt); int eaction;
    u32 ifindex}: an egress redirect (TCA_EGRESS_REDIR), action TC_ACT_STOLEN."""
    return nla(TCA_MIRRED_PARMS, struct.pack("=IIiiiiI", 1, 0, TC_ACT_STOLEN, 1, 1, TCA_EGRESS_REDIR, ifindex)) \
        + nla(TCA_MIRRED_PAD, b"") + nla(TCA_MIRRED_TM, bytes(32))


def decap_actions(to_ifindex: int, packets: int, hw_packets: int, size: int = 100) -> bytes:
    """OVS's decap filter on the tunnel netdev: tunnel_key unset, then mirred to the VF representor;
    both actions count the same packets (tcf_exts_hw_stats_update)."""
    stats = action_stats(packets, packets * size, hw_packets, hw_packets * size)
    return nla(TCA_FLOWER_ACT, tc_action(1, "tunnel_key", stats, nla(2, bytes(24)))
               + tc_action(2, "mirred", stats, mirred_parms(to_ifindex)))


def flower_options(flags: int | None, in_hw_count: int, actions: bytes | None = None) -> bytes:
    """What fl_dump() puts in TCA_OPTIONS for a Geneve decap rule: keys
    (fl_dump_key, with the tunnel options nested: fl_dump_key_options), FLAGS
    only when non-zero, IN_HW_COUNT always, then the actions nest
    (tcf_exts_dump; by default one mirred action without stats).  Every nest
    is started with nla_nest_start_noflag()."""
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
    return out + (actions if actions is not None else nla(TCA_FLOWER_ACT, nla(1, string(TCA_KIND, "mirred"))))


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


# -- ethtool -S of an mlx5 VF representor (an ioctl: names and u64 values, no netlink) -----------

# drivers/net/ethernet/mellanox/mlx5/core/en_rep.c: mlx5e_rep_stats_grps = {sw_rep, vport_rep};
# sw_rep_stats_desc (the representor's own rings: software), then vport_rep_stats_desc (the
# e-switch vport's QUERY_VPORT_COUNTER, flipped to the representor's side: every packet).
MLX5_REP_STATS = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
                  "vport_rx_packets", "vport_rx_bytes", "vport_tx_packets", "vport_tx_bytes",
                  "rx_vport_rdma_unicast_packets", "rx_vport_rdma_unicast_bytes",
                  "tx_vport_rdma_unicast_packets", "tx_vport_rdma_unicast_bytes",
                  "rx_vport_rdma_multicast_packets", "rx_vport_rdma_multicast_bytes",
                  "tx_vport_rdma_multicast_packets", "tx_vport_rdma_multicast_bytes")


def rep_stats(*, vf_sent: tuple[int, int], vf_received: tuple[int, int], size: int = 1000) -> tuple[int, ...]:
    """The values an mlx5 VF representor reports for a VF that sent ``vf_sent`` = (all, in software)
    packets and received ``vf_received`` = (all, in software): the VF's transmitted packets are the
    representor's vport_rx_*, those that missed in hardware reached its rx rings (rx_packets)."""
    (sent, sent_sw), (got, got_sw) = vf_sent, vf_received
    return (sent_sw, sent_sw * size, got_sw, got_sw * size, sent, sent * size, got, got * size) + (0,) * 8


# -- RTM_NEWNEIGH (uapi linux/neighbour.h; neigh_fill_info, net/core/neighbour.c) ----------------

RTM_NEWNEIGH = 28
NDA_DST, NDA_LLADDR = 1, 2
NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE, NUD_FAILED, NUD_PERMANENT = 0x01, 0x02, 0x04, 0x20, 0x80


def neighbour(ip: str, ifindex: int, state: int, lladdr: str | None = None) -> bytes:
    """struct ndmsg {u8 family; u8 pad1; u16 pad2; s32 ifindex; u16 state; u8 flags; u8 type},
    NDA_DST, NDA_LLADDR (only while the entry holds one: not when INCOMPLETE or FAILED)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    body = struct.pack("=BBHiHBB", family, 0, 0, ifindex, state, 0, 1) + nla(NDA_DST, socket.inet_pton(family, ip))
    if lladdr is not None:
        body += nla(NDA_LLADDR, bytes.fromhex(lladdr.replace(":", "")))
    return nlmsg(RTM_NEWNEIGH, body, flags=NLM_F_MULTI)


# -- ctnetlink (uapi linux/netfilter/nfnetlink.h, nfnetlink_conntrack.h; ctnetlink_fill_info) ----

CT_NEW = (1 << 8) | 0  # NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW
(CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO, CTA_TIMEOUT, CTA_ID, CTA_ZONE) = (1, 2, 3, 4, 7, 12, 18)
CTA_TUPLE_IP, CTA_TUPLE_PROTO, CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2, 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT, CTA_PROTO_ICMP_ID = 1, 2, 3, 4
CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE = 1, 1
IPS_SEEN_REPLY, IPS_ASSURED, IPS_CONFIRMED, IPS_OFFLOAD, IPS_HW_OFFLOAD = 1 << 1, 1 << 2, 1 << 3, 1 << 14, 1 << 15
TCP_CONNTRACK_SYN_SENT, TCP_CONNTRACK_ESTABLISHED = 1, 3


def ct_entry(proto: int, status: int, zone: int = 0, tcp_state: int | None = None, src: str = "10.128.0.4",
             dst: str = "10.128.1.5") -> bytes:
    """One conntrack entry as a dump answers: struct nfgenmsg {u8 family; u8 version; be16 res_id},
    the tuples (nested, NLA_F_NESTED), then CTA_STATUS, CTA_TIMEOUT, CTA_PROTOINFO (TCP), CTA_ID,
    CTA_ZONE (only for a zone other than 0, ctnetlink_dump_zone_id); values in network order."""
    ports = (nla(CTA_PROTO_SRC_PORT, struct.pack("!H", 40000)) + nla(CTA_PROTO_DST_PORT, struct.pack("!H", 80))
             if proto in (6, 17) else nla(CTA_PROTO_ICMP_ID, struct.pack("!H", 7)))

    def tuple_(kind: int, a: str, b: str) -> bytes:
        ip = nla(CTA_TUPLE_IP | NLA_F_NESTED, nla(CTA_IP_V4_SRC, socket.inet_aton(a)) + nla(CTA_IP_V4_DST,
                                                                                            socket.inet_aton(b)))
        return nla(kind | NLA_F_NESTED, ip + nla(CTA_TUPLE_PROTO | NLA_F_NESTED, u8(CTA_PROTO_NUM, proto) + ports))

    body = struct.pack("=BBH", socket.AF_INET, 0, 0) + tuple_(CTA_TUPLE_ORIG, src, dst) + tuple_(CTA_TUPLE_REPLY,
                                                                                                   dst, src)
    body += nla(CTA_STATUS, struct.pack("!I", status)) + nla(CTA_TIMEOUT, struct.pack("!I", 120))
    if tcp_state is not None:
        body += nla(CTA_PROTOINFO | NLA_F_NESTED, nla(CTA_PROTOINFO_TCP | NLA_F_NESTED,
                                                      u8(CTA_PROTOINFO_TCP_STATE, tcp_state)))
    body += nla(CTA_ID, struct.pack("!I", 0x1234))
    if zone:
        body += nla(CTA_ZONE, struct.pack("!H", zone))
    return nlmsg(CT_NEW, body, flags=NLM_F_MULTI)
