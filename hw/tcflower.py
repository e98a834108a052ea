"""TC flower filters on a netdev's ingress hook: how many the hardware holds.

With ``hw-offload=true`` OVS turns each kernel datapath flow into a TC
flower filter on the ingress hook of the flow's in_port netdev (a VF
representor, the uplink, the tunnel netdev), parent
``TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)`` = ``0xFFFFFFF2`` (OVS
``lib/tc.h``).  ``RTM_GETTFILTER`` with that parent dumps every chain
(OVS puts recirculations in chains); the reply is one ``RTM_NEWTFILTER``
per filter, plus one per classifier instance (chain and priority) that
has no ``TCA_OPTIONS`` and is not a filter (``tcf_chain_dump``,
net/sched/cls_api.c; ``tc filter show`` prints it as the line without
``handle``).

Each flower filter's ``TCA_OPTIONS`` nest holds (``fl_dump``,
net/sched/cls_flower.c; numbers from uapi ``linux/pkt_cls.h``):

* ``TCA_FLOWER_FLAGS`` (22, u32, only when non-zero): ``TCA_CLS_FLAGS_IN_HW``
  (1<<2) or ``TCA_CLS_FLAGS_NOT_IN_HW`` (1<<3), besides ``SKIP_HW``/``SKIP_SW``;
* ``TCA_FLOWER_IN_HW_COUNT`` (86, u32, always): how many devices hold it;
* ``TCA_FLOWER_ACT`` (3): the actions, one nest each (numbered in order),
  holding ``TCA_ACT_KIND`` (``"tunnel_key"``, ``"mirred"``, ``"ct"``...),
  ``TCA_ACT_STATS`` and ``TCA_ACT_OPTIONS`` (``tcf_action_dump_1``,
  net/sched/act_api.c).  The stats (uapi ``linux/gen_stats.h``,
  ``tcf_action_copy_stats``) carry ``TCA_STATS_BASIC`` (every packet the
  filter's action saw, hardware included) and ``TCA_STATS_BASIC_HW`` (those
  the hardware switched), each a ``struct gnet_stats_basic`` {u64 bytes; u32
  packets}, followed by ``TCA_STATS_PKT64`` when the packets overflow 32
  bits; ``tc -s`` prints them as "Sent ... / Sent software ... / Sent
  hardware ...".  A ``mirred`` action's ``TCA_MIRRED_PARMS`` (``struct
  tc_mirred``, uapi linux/tc_act/tc_mirred.h) names the netdev the packet
  goes to (``ifindex``): a decap filter on the tunnel netdev redirects to the
  VF representor it delivers to.

OVS reads the same two bits, ``NOT_IN_HW`` first (``nl_get_flower_offloaded_state``,
lib/tc.c).  pyroute2 0.9.7 has no flower plugin, so
:func:`parse_flower_options` walks the ``TCA_OPTIONS`` attributes itself.
When the kernel supports shared blocks, OVS puts the filters of a LAG
(bond) primary and its members on an ingress block numbered after the
primary's ifindex (``netdev_linux_get_block_id``, lib/netdev-linux.c); such
filters are dumped by block, not by netdev: the reader
(:meth:`hw.routing.NetlinkReader.tc_ingress`) sees the block on the
netdev's ingress qdisc and dumps it, and :attr:`TcOffload.block` says so.

This module is pure: :meth:`hw.routing.NetlinkReader.tc_ingress` asks the
kernel, :func:`hw.routing.decode_tc` turns the reply into :class:`TcFilter`
records, and :func:`summarize_filters` counts them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from hw.nlmsg import NLA_HDRLEN, NLA_TYPE_MASK, attrs

__all__ = [
    "INGRESS_PARENT", "TCA_FLOWER_FLAGS", "TCA_FLOWER_IN_HW_COUNT", "TCA_CLS_FLAGS_IN_HW",
    "TCA_CLS_FLAGS_NOT_IN_HW", "TcFilter", "FlowerFilter", "TcOffload", "parse_flower_options", "flower_filter",
    "summarize_filters",
]

INGRESS_PARENT = 0xFFFFFFF2  # TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS); also finds an "ingress" qdisc's filters
TCA_FLOWER_ACT = 3
TCA_FLOWER_FLAGS = 22
TCA_FLOWER_IN_HW_COUNT = 86
TCA_CLS_FLAGS_IN_HW = 1 << 2
TCA_CLS_FLAGS_NOT_IN_HW = 1 << 3
# linux/pkt_cls.h (TCA_ACT_*), linux/gen_stats.h (TCA_STATS_*), linux/tc_act/tc_mirred.h
_TCA_ACT_KIND, _TCA_ACT_OPTIONS, _TCA_ACT_STATS = 1, 2, 4
_TCA_STATS_BASIC, _TCA_STATS_BASIC_HW, _TCA_STATS_PKT64 = 1, 7, 8
_TCA_MIRRED_PARMS = 2
_TC_MIRRED_IFINDEX = 24  # struct tc_mirred: tc_gen (index, capab, action, refcnt, bindcnt), eaction, ifindex


@dataclass(frozen=True, slots=True)
class FlowerFilter:
    """One flower filter: its flags, and what its first action counted and where it sends packets."""

    flags: int | None  # TCA_FLOWER_FLAGS; None when absent
    in_hw_count: int | None
    packets: int | None  # TCA_STATS_BASIC: every packet; None without stats
    hw_packets: int | None  # TCA_STATS_BASIC_HW: of those, switched by the hardware
    bytes: int | None
    hw_bytes: int | None
    actions: tuple[str, ...] = ()  # the actions' kinds, in order
    redirects: tuple[int, ...] = ()  # the ifindex of every mirred action's target

    @property
    def in_hw(self) -> bool:
        return self.flags is not None and not self.flags & TCA_CLS_FLAGS_NOT_IN_HW \
            and bool(self.flags & TCA_CLS_FLAGS_IN_HW)


@dataclass(frozen=True, slots=True)
class TcOffload:
    """The flower filters of one hook and how many are in hardware.

    ``in_hw``/``not_in_hw`` count filters flagged so; a filter with neither
    flag (no ``TCA_FLOWER_FLAGS``) counts only in ``total``.
    ``in_hw_count`` is the sum of the filters' ``TCA_FLOWER_IN_HW_COUNT``.
    ``error`` says why nothing could be read (the counts are then zero).
    """

    total: int
    in_hw: int
    not_in_hw: int
    in_hw_count: int
    error: str | None = None
    block: int | None = None  # the shared block the filters were read from (VF-LAG), None: the netdev's own
    ingress: bool | None = None  # an ingress (or clsact) qdisc is there; None: the qdiscs were not in the answer
    filters: tuple[FlowerFilter, ...] = ()

    @classmethod
    def failed(cls, error: str) -> TcOffload:
        return cls(0, 0, 0, 0, error)


@dataclass(frozen=True, slots=True)
class TcFilter:
    """One ``RTM_NEWTFILTER`` message, reduced to what matters here (:func:`hw.routing.decode_tc`)."""

    kind: str | None  # TCA_KIND: "flower", "u32", ...
    handle: int  # 0 for the per-classifier message that is not a filter
    options: bytes | None  # the TCA_OPTIONS payload; None when absent


def parse_flower_options(raw: bytes) -> tuple[int | None, int | None]:
    """``(TCA_FLOWER_FLAGS, TCA_FLOWER_IN_HW_COUNT)`` from a flower ``TCA_OPTIONS`` payload.

    The payload is a run of netlink attributes: ``u16 nla_len`` (header
    included), ``u16 nla_type``, the value, padding to 4 bytes; values in
    host byte order.  Only the top level is walked (the two wanted
    attributes are not nested); nested ones, whatever their flag bits, are
    stepped over.  Either value is ``None`` when absent; a truncated or
    garbled run stops the walk, keeping what was read before it.

    >>> parse_flower_options(bytes.fromhex("0800160004000000" "0800560001000000"))
    (4, 1)
    """
    flags: int | None = None
    count: int | None = None
    offset = 0
    while offset + NLA_HDRLEN <= len(raw):
        length, kind = struct.unpack_from("=HH", raw, offset)
        if length < NLA_HDRLEN or offset + length > len(raw):
            break
        kind &= NLA_TYPE_MASK
        if length == NLA_HDRLEN + 4 and kind in (TCA_FLOWER_FLAGS, TCA_FLOWER_IN_HW_COUNT):
            (value,) = struct.unpack_from("=I", raw, offset + NLA_HDRLEN)
            if kind == TCA_FLOWER_FLAGS:
                flags = value
            else:
                count = value
        offset += (length + 3) & ~3
    return flags, count


def _basic(payload: bytes) -> tuple[int, int] | None:
    """(packets, bytes) of a ``struct gnet_stats_basic``."""
    if len(payload) < 12:
        return None
    nbytes, packets = struct.unpack_from("=QI", payload)
    return int(packets), int(nbytes)


def _action_stats(raw: bytes) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """(every, hardware) as (packets, bytes) from a ``TCA_ACT_STATS`` nest;
    a ``TCA_STATS_PKT64`` replaces the 32-bit packets of the basic before it."""
    every = hw = None
    last: int | None = None
    for kind, payload in attrs(raw):
        if kind in (_TCA_STATS_BASIC, _TCA_STATS_BASIC_HW) and (found := _basic(payload)) is not None:
            if kind == _TCA_STATS_BASIC:
                every = found
            else:
                hw = found
            last = kind
        elif kind == _TCA_STATS_PKT64 and len(payload) == 8 and last is not None:
            (packets,) = struct.unpack("=Q", payload)
            if last == _TCA_STATS_BASIC and every is not None:
                every = (int(packets), every[1])
            elif hw is not None:
                hw = (int(packets), hw[1])
    return every, hw


def flower_filter(raw: bytes) -> FlowerFilter:
    """One flower filter's ``TCA_OPTIONS`` payload, with its first counted
    action's statistics and every mirred target; damaged parts are left out."""
    flags, count = parse_flower_options(raw)
    kinds: list[str] = []
    redirects: list[int] = []
    every = hw = None
    for kind, payload in attrs(raw):
        if kind != TCA_FLOWER_ACT:
            continue
        for _order, action in attrs(payload):
            found = dict(attrs(action))
            name = found.get(_TCA_ACT_KIND, b"").split(b"\0", 1)[0].decode("ascii", "replace")
            kinds.append(name)
            if every is None and _TCA_ACT_STATS in found:
                every, hw = _action_stats(found[_TCA_ACT_STATS])
            if name == "mirred" and _TCA_ACT_OPTIONS in found:
                parms = dict(attrs(found[_TCA_ACT_OPTIONS])).get(_TCA_MIRRED_PARMS, b"")
                if len(parms) >= _TC_MIRRED_IFINDEX + 4:
                    redirects.append(int(struct.unpack_from("=I", parms, _TC_MIRRED_IFINDEX)[0]))
    return FlowerFilter(flags, count, every[0] if every else None, hw[0] if hw else None,
                        every[1] if every else None, hw[1] if hw else None, tuple(kinds), tuple(redirects))


def summarize_filters(filters: Iterable[TcFilter]) -> TcOffload:
    """Count the flower filters and their hardware state, and keep each one's details.

    Messages of other classifiers, and the per-classifier message with no
    options, are not filters of interest and are skipped.
    """
    total = in_hw = not_in_hw = count = 0
    found = []
    for f in filters:
        if f.kind != "flower" or f.options is None:
            continue
        one = flower_filter(f.options)
        found.append(one)
        total += 1
        if one.flags is not None and one.flags & TCA_CLS_FLAGS_NOT_IN_HW:
            not_in_hw += 1
        elif one.flags is not None and one.flags & TCA_CLS_FLAGS_IN_HW:
            in_hw += 1
        count += one.in_hw_count or 0
    return TcOffload(total, in_hw, not_in_hw, count, filters=tuple(found))
