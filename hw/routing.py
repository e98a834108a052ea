"""The host's rtnetlink state: one reader keeping the kernel's replies, and
pure decoders over them.

:class:`NetlinkReader` asks the kernel (in a network namespace, or this one)
and keeps what it answered as bytes, each message with its ``nlmsghdr``
(:class:`~mvcore.snapshot.NetlinkAnswer`): links, addresses, policy rules,
a table's routes, neighbours, the flower filters on a netdev's ingress hook,
and the kernel's own routing verdict, ``ip route get <dst> from <src>``.
That last one is ``RTM_GETROUTE`` with ``RTA_DST``, ``RTA_SRC`` and
``RTM_F_LOOKUP_TABLE`` (uapi linux/rtnetlink.h): without the flag the reply
names table main (254) whatever table matched (``inet_rtm_getroute``,
net/ipv4/route.c); iproute2 sets it too.  Nothing is sent on the wire.

The decoders (``decode_*``) take those answers, live or read back from a
support bundle, re-parse the bytes (:mod:`hw.nlmsg` checks every length,
then pyroute2's message classes decode), and never raise: damaged bytes are
an error value (``Reading.failed``, ``RouteAnswer.error``,
``TcOffload.error``).  Message layouts (uapi): ``struct ifinfomsg``
(linux/rtnetlink.h, 16 bytes), ``struct ifaddrmsg`` (linux/if_addr.h, 8),
``struct rtmsg`` (linux/rtnetlink.h, 12), ``struct fib_rule_hdr``
(linux/fib_rules.h, 12), ``struct tcmsg`` (linux/rtnetlink.h, 20).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hw.ethtool import NO_SUCH_INTERFACE
from hw.netns import Closing, RtnlSocket, errno_name, possible_ifname
from hw.nlmsg import NLMSG_HDRLEN, Message, attrs, concat, narrow, parse, split, u32
from hw.tcflower import INGRESS_PARENT, TcFilter, TcOffload, summarize_filters
from mvcore.reading import Reading
from mvcore.routes import Neighbour, Route, RouteAnswer, Rule
from mvcore.snapshot import NetlinkAnswer

__all__ = [
    "NetlinkReader", "Link", "decode_links", "decode_addresses", "decode_rules", "decode_routes",
    "decode_route_answer", "decode_tc", "decode_neighbours", "ingress_block",
]

_RTM_F_LOOKUP_TABLE = 0x1000
_RTM_NEWLINK, _RTM_NEWADDR, _RTM_NEWROUTE, _RTM_NEWNEIGH, _RTM_NEWRULE, _RTM_NEWQDISC, _RTM_NEWTFILTER = \
    16, 20, 24, 28, 32, 36, 44
_ADDR_LEN: dict[int, int] = {socket.AF_INET: 4, socket.AF_INET6: 16}
_FAMILIES: dict[int, str] = {socket.AF_INET: "ipv4", socket.AF_INET6: "ipv6"}

# linux/if_link.h, linux/if_addr.h
_IFLA_IFNAME, _IFLA_MTU, _IFLA_LINKINFO, _IFLA_INFO_KIND = 3, 4, 18, 1
_IFA_ADDRESS, _IFA_LOCAL = 1, 2
# linux/rtnetlink.h
_RTA_DST, _RTA_OIF, _RTA_GATEWAY, _RTA_MULTIPATH, _RTA_TABLE, _RTA_VIA = 1, 4, 5, 9, 15, 18
_RTN_UNICAST, _RTN_BLACKHOLE, _RTN_UNREACHABLE, _RTN_PROHIBIT = 1, 6, 7, 8
_ROUTE_TYPES = {_RTN_UNICAST, _RTN_BLACKHOLE, _RTN_UNREACHABLE, _RTN_PROHIBIT}
_SCOPES = {0: "universe", 253: "link"}  # RT_SCOPE_UNIVERSE, RT_SCOPE_LINK
# linux/fib_rules.h
_FR_ACT_TO_TBL = 1  # "lookup <table>"
_FIB_RULE_INVERT = 0x2  # "not from"
_FRA_SRC, _FRA_PRIORITY, _FRA_SUPPRESS_IFGROUP, _FRA_SUPPRESS_PREFIXLEN = 2, 6, 13, 14
_FRA_TABLE, _FRA_PAD, _FRA_PROTOCOL = 15, 18, 21
_UNSET = 0xFFFFFFFF  # FRA_SUPPRESS_PREFIXLEN / FRA_SUPPRESS_IFGROUP "not set" (-1 as u32)
# What a plain "from <src> lookup <table>" rule carries; any other attribute
# (iif, fwmark, dst, ports...) narrows it further than a Rule can say.
_PLAIN_RULE_ATTRS = frozenset({_FRA_SRC, _FRA_TABLE, _FRA_PRIORITY, _FRA_PROTOCOL, _FRA_PAD})
# linux/neighbour.h: NDA_*, and the NUD_* states (one bit each)
_NDA_DST, _NDA_LLADDR = 1, 2
_NUD_STATES = {0x00: "NONE", 0x01: "INCOMPLETE", 0x02: "REACHABLE", 0x04: "STALE", 0x08: "DELAY", 0x10: "PROBE",
               0x20: "FAILED", 0x40: "NOARP", 0x80: "PERMANENT"}
# linux/rtnetlink.h (TCA_*)
_TCA_KIND, _TCA_OPTIONS, _TCA_INGRESS_BLOCK = 1, 2, 13
_TC_H_INGRESS = 0xFFFFFFF1  # the parent of an ingress or clsact qdisc

_U32 = dict.fromkeys((_IFLA_MTU, _RTA_OIF, _RTA_TABLE, _FRA_PRIORITY, _FRA_TABLE, _FRA_SUPPRESS_IFGROUP,
                      _FRA_SUPPRESS_PREFIXLEN, _TCA_INGRESS_BLOCK), 4)
_SIZES = {**_U32, _FRA_PROTOCOL: 1, _RTA_VIA: 2}


class NetlinkReader(Closing):
    """One rtnetlink socket in ``netns`` (this namespace when None), kept
    open across requests: in another namespace, opening one costs ten times
    a lookup, and a live view asks every second.

    Each request returns the kernel's reply messages, or the errno name it
    refused with.  A request whose socket fails (not a refusal: the kernel
    did not answer) closes it, and the next request opens a new one.
    Opening raises :class:`mvcore.errors.Unavailable` (no such namespace).
    """

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._sock = RtnlSocket(netns)

    def close(self) -> None:
        self._sock.close()

    def _ask(self, request: Callable[[Any], Iterable[Any]]) -> NetlinkAnswer:
        found = self._messages(request)
        return found if isinstance(found, NetlinkAnswer) else NetlinkAnswer(messages=concat(found))

    def _messages(self, request: Callable[[Any], Iterable[Any]]) -> list[Any] | NetlinkAnswer:
        """The reply's pyroute2 messages, or the answer saying why there are none."""
        from pyroute2.netlink.exceptions import NetlinkError

        ipr = self._sock.get()
        try:
            return list(request(ipr))
        except NetlinkError as e:  # the kernel's refusal; the socket is fine
            return NetlinkAnswer(error=errno_name(e.code))
        except OSError as e:
            self.close()
            return NetlinkAnswer(error=errno_name(e.errno))
        except BaseException:
            self.close()
            raise

    def links(self) -> NetlinkAnswer:
        """``RTM_GETLINK`` dump."""
        return self._ask(lambda ipr: ipr.get_links())

    def addresses(self) -> NetlinkAnswer:
        """``RTM_GETADDR`` dump, every family."""
        return self._ask(lambda ipr: ipr.get_addr())

    def rules(self) -> NetlinkAnswer:
        """``RTM_GETRULE`` dumps of IPv4 then IPv6, one after the other.

        (``AF_UNSPEC`` would add the multicast routing families' rules.)  A
        kernel without IPv6 answers EAFNOSUPPORT for the second: no rules.
        """
        v4 = self._ask(lambda ipr: ipr.get_rules(family=socket.AF_INET))
        v6 = self._ask(lambda ipr: ipr.get_rules(family=socket.AF_INET6))
        if v6.error == "EAFNOSUPPORT":
            v6 = NetlinkAnswer()
        return v4 if v4.error else v6 if v6.error else NetlinkAnswer(messages=v4.messages + v6.messages)

    def routes(self, table: int) -> NetlinkAnswer:
        """The routes of ``table``, every family (``RTM_GETROUTE`` dump; pyroute2
        keeps that table's messages, the kernel may send every table's)."""
        return self._ask(lambda ipr: ipr.get_routes(table=table))

    def route_get(self, dst: str, src: str) -> NetlinkAnswer:
        """``ip route get <dst> from <src>``: the route the kernel would use.

        ``src`` must be a local address (else EINVAL or ENETUNREACH).  A pair
        that is not two addresses of one family is refused here, as the
        kernel would (``EINVAL: ...``), without asking.
        """
        try:
            if ipaddress.ip_address(dst).version != ipaddress.ip_address(src).version:
                return NetlinkAnswer(error="EINVAL: dst and src of different families")
        except ValueError as e:
            return NetlinkAnswer(error=f"EINVAL: {e}")
        return self._ask(lambda ipr: ipr.route("get", dst=dst, src=src, flags=_RTM_F_LOOKUP_TABLE))

    def neighbours(self) -> NetlinkAnswer:
        """``RTM_GETNEIGH`` dump, every family."""
        return self._ask(lambda ipr: ipr.get_neighbours())

    def tc_ingress(self, ifname: str) -> NetlinkAnswer:
        """The TC filters on ``ifname``'s ingress hook (``RTM_GETTFILTER``,
        parent 0xFFFFFFF2: see :mod:`hw.tcflower`), every chain; after the
        netdev's qdiscs (``RTM_GETQDISC``), which say whether its ingress is a
        shared block (``TCA_INGRESS_BLOCK``), as OVS makes it for a bond and
        its members: then the block's filters are dumped instead
        (``tcm_ifindex`` = ``TCM_IFINDEX_MAGIC_BLOCK``, ``tcm_block_index`` in
        the parent's place; net/sched/cls_api.c ``tc_dump_tfilter``).  No
        such interface is ENODEV, as the kernel says it."""
        return self._tc_ingress(ifname, None, None)

    def tc_ingress_each(self, ifnames: Iterable[str], links: Mapping[str, Link] | None = None
                        ) -> dict[str, NetlinkAnswer]:
        """:meth:`tc_ingress` of each netdev, the same answers, with the qdiscs dumped once for all.

        pyroute2's ``get_qdiscs(index=...)`` dumps every qdisc of the namespace
        and keeps the netdev's itself (``msg.get("index")``), so asking each
        netdev in turn costs every netdev's qdiscs each time; here the one dump
        is sliced the same way.  A netdev's index comes from ``links`` (a links
        dump of the same read) when it names it, else from ``link get`` (which
        also knows alternative names).  When the shared dump fails, each netdev
        asks alone."""
        names = list(dict.fromkeys(ifnames))
        if len(names) < 2:
            return {n: self.tc_ingress(n) for n in names}
        dumped = self._messages(lambda ipr: ipr.get_qdiscs())
        if isinstance(dumped, NetlinkAnswer):
            return {n: self.tc_ingress(n) for n in names}
        by_index: dict[Any, list[Any]] = {}
        for qdisc in dumped:
            by_index.setdefault(qdisc.get("index"), []).append(qdisc)
        known = links or {}
        return {n: self._tc_ingress(n, known.get(n), by_index) for n in names}

    def _tc_ingress(self, ifname: str, link: Link | None, by_index: Mapping[Any, list[Any]] | None) -> NetlinkAnswer:
        """:meth:`tc_ingress`, with ``ifname``'s link when known and every qdisc by index when dumped already."""
        if not possible_ifname(ifname):
            return NetlinkAnswer(error="ENODEV")  # no netdev can have that name

        def request(ipr: Any) -> Iterable[Any]:
            if link is not None:
                index = link.index
            else:
                (found,) = ipr.link("get", ifname=ifname)  # ENODEV when there is none
                index = found["index"]
            qdiscs = list(ipr.get_qdiscs(index=index)) if by_index is None else by_index.get(index, [])
            block = ingress_block(split(concat(qdiscs), msg_type=None, fixed=20, sizes=_SIZES))
            if block is None:
                filters = ipr.get_filters(index=index, parent=INGRESS_PARENT)
            else:  # tcm_ifindex is an int: TCM_IFINDEX_MAGIC_BLOCK (0xFFFFFFFF) is -1
                filters = ipr.get_filters(index=-1, parent=block)
            return [*qdiscs, *filters]

        return self._ask(request)


# -- decoding ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """A network interface as rtnetlink shows it."""

    index: int
    name: str
    mtu: int | None
    kind: str | None = None  # IFLA_INFO_KIND: "veth", "geneve", "vxlan", "bond"...; None for plain devices


@functools.cache
def _classes() -> dict[str, type[Any]]:
    """pyroute2's rtnetlink message classes, each narrowed to the attributes read here."""
    from pyroute2.netlink.rtnl.fibmsg import fibmsg
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    from pyroute2.netlink.rtnl.rtmsg import rtmsg
    from pyroute2.netlink.rtnl.tcmsg import tcmsg

    return {
        "link": narrow(ifinfmsg, "link_msg", ((_IFLA_IFNAME, "IFLA_IFNAME", "asciiz"),
                                              (_IFLA_MTU, "IFLA_MTU", "uint32"))),
        "addr": narrow(ifaddrmsg, "addr_msg", ((_IFA_ADDRESS, "IFA_ADDRESS", "ipaddr"),
                                               (_IFA_LOCAL, "IFA_LOCAL", "ipaddr"))),
        "rule": narrow(fibmsg, "rule_msg", ((_FRA_SRC, "FRA_SRC", "ipaddr"),
                                            (_FRA_PRIORITY, "FRA_PRIORITY", "uint32"),
                                            (_FRA_TABLE, "FRA_TABLE", "uint32"),
                                            (_FRA_PROTOCOL, "FRA_PROTOCOL", "uint8"))),
        "route": narrow(rtmsg, "route_msg", ((_RTA_DST, "RTA_DST", "ipaddr"),
                                             (_RTA_OIF, "RTA_OIF", "uint32"),
                                             (_RTA_GATEWAY, "RTA_GATEWAY", "ipaddr"),
                                             (_RTA_TABLE, "RTA_TABLE", "uint32"))),
        "tc": narrow(tcmsg, "tc_msg", ((_TCA_KIND, "TCA_KIND", "asciiz"),)),
    }


def _decoded(answer: NetlinkAnswer, msg_type: int, fixed: int, kind: str) -> list[tuple[Message, Any]] | str:
    """Each message of ``msg_type`` checked, then parsed by the ``kind`` class; or why not."""
    if answer.error is not None:
        return answer.error
    found = split(answer.messages, msg_type=msg_type, fixed=fixed, sizes=_SIZES)
    if isinstance(found, str):
        return found
    out = []
    for m in found:
        msg = parse(_classes()[kind], m)
        if msg is None:
            return "undecodable message"
        out.append((m, msg))
    return out


def _decoded_raw(answer: NetlinkAnswer, msg_type: int, fixed: int) -> list[Message] | str:
    """Each message of ``msg_type`` checked, its attributes' sizes left to the caller; or why not."""
    if answer.error is not None:
        return answer.error
    return split(answer.messages, msg_type=msg_type, fixed=fixed)


def _address(m: Message, kind: int, family: int, value: Any) -> str | None:
    """An address attribute's text, when its payload has the family's size."""
    payload = m.attr(kind)
    if payload is None or len(payload) != _ADDR_LEN.get(family) or not isinstance(value, str):
        return None
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decode_links(answer: NetlinkAnswer) -> Reading[Mapping[str, Link]]:
    """Each interface name -> its :class:`Link`."""
    found = _decoded(answer, _RTM_NEWLINK, 16, "link")
    if isinstance(found, str):
        return Reading.failed(found)
    out: dict[str, Link] = {}
    for m, msg in found:
        name, index = msg.get_attr("IFLA_IFNAME"), _int(msg["index"])
        if not isinstance(name, str) or not name or index is None:
            return Reading.failed("a link without a name")
        out[name] = Link(index, name, _int(msg.get_attr("IFLA_MTU")), _kind(m.attr(_IFLA_LINKINFO)))
    return Reading.of(out)


def _kind(linkinfo: bytes | None) -> str | None:
    """IFLA_INFO_KIND inside an IFLA_LINKINFO nest (``rtnl_link_info_fill``, net/core/rtnetlink.c)."""
    kind = dict(attrs(linkinfo or b"")).get(_IFLA_INFO_KIND)
    return kind.split(b"\0", 1)[0].decode("ascii", "replace") or None if kind else None


def _names(links: Mapping[str, Link]) -> dict[int, str]:
    return {link.index: name for name, link in links.items()}


def decode_addresses(answer: NetlinkAnswer, links: Mapping[str, Link]
                     ) -> Reading[Mapping[str, tuple[str, int, str]]]:
    """Each address -> (interface, prefix length, ``"ipv4"``/``"ipv6"``).

    The local address is ``IFA_LOCAL`` when present (on point-to-point links
    ``IFA_ADDRESS`` is the peer).  IPv6 link-local addresses repeat across
    interfaces, so they are keyed ``"fe80::1%eth0"``.  Addresses of
    interfaces ``links`` does not name are left out.
    """
    found = _decoded(answer, _RTM_NEWADDR, 8, "addr")
    if isinstance(found, str):
        return Reading.failed(found)
    names = _names(links)
    out: dict[str, tuple[str, int, str]] = {}
    for m, msg in found:
        family = msg["family"]
        local = _address(m, _IFA_LOCAL, family, msg.get_attr("IFA_LOCAL"))
        ip = local or _address(m, _IFA_ADDRESS, family, msg.get_attr("IFA_ADDRESS"))
        name = names.get(msg["index"])
        if family not in _FAMILIES or ip is None or name is None:
            continue
        if family == socket.AF_INET6 and ipaddress.ip_address(ip).is_link_local:
            ip = f"{ip}%{name}"
        out[ip] = (name, msg["prefixlen"], _FAMILIES[family])
    return Reading.of(out)


def decode_rules(answer: NetlinkAnswer) -> Reading[tuple[Rule, ...]]:
    """The ``lookup`` rules (IPv4, then IPv6, in the kernel's order).

    ``src`` is ``"10.0.0.1/32"``, or None for "from all".  A rule that also
    selects on what a Rule cannot say (``not``, ``to``, ``tos``, iif, fwmark,
    ports...) is kept with ``plain=False``; rules with another action (goto,
    blackhole, unreachable, prohibit) are left out.  ``ip route get`` gives
    the kernel's real verdict.
    """
    found = _decoded(answer, _RTM_NEWRULE, 12, "rule")
    if isinstance(found, str):
        return Reading.failed(found)
    out = []
    for m, msg in found:
        family = msg["family"]
        if msg["action"] != _FR_ACT_TO_TBL or family not in _FAMILIES:
            continue
        src = _address(m, _FRA_SRC, family, msg.get_attr("FRA_SRC"))
        if m.attr(_FRA_SRC) is not None and src is None:
            return Reading.failed("malformed FRA_SRC")
        extra = {k for k, payload in m.attrs
                 if k not in _PLAIN_RULE_ATTRS
                 and not (k in (_FRA_SUPPRESS_PREFIXLEN, _FRA_SUPPRESS_IFGROUP) and u32(payload) == _UNSET)}
        out.append(Rule(
            priority=_int(msg.get_attr("FRA_PRIORITY")) or 0,  # absent for priority 0
            src=f"{src}/{msg['src_len']}" if src else None,
            table=_int(msg.get_attr("FRA_TABLE")) or msg["table"],  # tables > 255 only in FRA_TABLE
            protocol=_int(msg.get_attr("FRA_PROTOCOL")) or 0,
            plain=not (msg["flags"] & _FIB_RULE_INVERT or msg["dst_len"] or msg["tos"] or extra),
        ))
    return Reading.of(tuple(out))


def _via(payload: bytes | None) -> str | None:
    """``RTA_VIA`` (struct rtvia: u16 family, then the address): an IPv6 next
    hop of an IPv4 route."""
    if payload is None or len(payload) < 2:
        return None
    family = struct.unpack_from("=H", payload)[0]
    addr = payload[2:]
    if len(addr) != _ADDR_LEN.get(family):
        return None
    return socket.inet_ntop(family, addr)


def _gateway(m: Message, msg: Any) -> str | None:
    return _address(m, _RTA_GATEWAY, msg["family"], msg.get_attr("RTA_GATEWAY")) or _via(m.attr(_RTA_VIA))


def decode_routes(answer: NetlinkAnswer, links: Mapping[str, Link]) -> Reading[tuple[Route, ...]]:
    """The unicast, blackhole, unreachable and prohibit routes in the answer
    (IPv4 and IPv6, in the kernel's order); local, broadcast and multicast
    entries are left out.  ``dev`` is None for a route through no single
    device (multipath, blackhole...)."""
    found = _decoded(answer, _RTM_NEWROUTE, 12, "route")
    if isinstance(found, str):
        return Reading.failed(found)
    names = _names(links)
    out = []
    for m, msg in found:
        family = msg["family"]
        if msg["type"] not in _ROUTE_TYPES or family not in _FAMILIES:
            continue
        dst = _address(m, _RTA_DST, family, msg.get_attr("RTA_DST"))
        if m.attr(_RTA_DST) is not None and dst is None:
            return Reading.failed("malformed RTA_DST")
        oif = _int(msg.get_attr("RTA_OIF"))
        out.append(Route(
            table=_int(msg.get_attr("RTA_TABLE")) or msg["table"],
            dst=f"{dst or ('0.0.0.0' if family == socket.AF_INET else '::')}/{msg['dst_len']}",
            dev=None if oif is None or m.attr(_RTA_MULTIPATH) is not None else names.get(oif),
            gateway=_gateway(m, msg),
            scope=_SCOPES.get(msg["scope"], str(msg["scope"])),
            protocol=msg["proto"],
        ))
    return Reading.of(tuple(out))


def decode_route_answer(dst: str, src: str, answer: NetlinkAnswer, links: Mapping[str, Link]) -> RouteAnswer:
    """The kernel's answer to ``ip route get <dst> from <src>``: the table that
    matched, the egress device, the gateway; or why there is none
    (``error``: the errno name, or what is wrong with the bytes)."""
    found = _decoded(answer, _RTM_NEWROUTE, 12, "route")
    if isinstance(found, str) or not found:
        return RouteAnswer(dst, src, None, None, None, error=found if isinstance(found, str) else "no answer")
    m, msg = found[0]
    oif = _int(msg.get_attr("RTA_OIF"))
    return RouteAnswer(dst, src, table=_int(msg.get_attr("RTA_TABLE")) or msg["table"],
                       oif=None if oif is None else _names(links).get(oif), gateway=_gateway(m, msg))


def _ingress_qdisc(messages: list[Message]) -> Message | None:
    """The ingress (or clsact) qdisc among ``messages``: the one whose parent is TC_H_INGRESS."""
    return next((m for m in messages if m.type == _RTM_NEWQDISC
                 and struct.unpack_from("=I", m.data, NLMSG_HDRLEN + 12)[0] == _TC_H_INGRESS), None)


def decode_neighbours(answer: NetlinkAnswer, links: Mapping[str, Link]) -> Reading[tuple[Neighbour, ...]]:
    """The IPv4 and IPv6 entries of an ``RTM_GETNEIGH`` dump (``struct ndmsg``:
    u8 family, u8 pad, u16 pad, s32 ifindex, u16 state, u8 flags, u8 type;
    then ``NDA_DST``, ``NDA_LLADDR``), in the kernel's order.  Entries of
    interfaces ``links`` does not name, and proxy entries, are left out."""
    found = _decoded_raw(answer, _RTM_NEWNEIGH, 12)
    if isinstance(found, str):
        return Reading.failed(found)
    names = _names(links)
    out = []
    for m in found:
        family, ifindex, state = struct.unpack_from("=B3xiH", m.data, NLMSG_HDRLEN)
        dst = m.attr(_NDA_DST)
        name = names.get(ifindex)
        if family not in _FAMILIES or dst is None or len(dst) != _ADDR_LEN[family] or name is None:
            continue
        lladdr = m.attr(_NDA_LLADDR)
        out.append(Neighbour(socket.inet_ntop(family, dst), name, _NUD_STATES.get(state, f"0x{state:x}"),
                             ":".join(f"{b:02x}" for b in lladdr) if lladdr else None))
    return Reading.of(tuple(out))


def ingress_block(messages: list[Message] | str) -> int | None:
    """The shared block an ingress (or clsact) qdisc among ``messages`` is bound to; None when none."""
    if isinstance(messages, str):
        return None
    qdisc = _ingress_qdisc(messages)
    return (u32(qdisc.attr(_TCA_INGRESS_BLOCK)) or None) if qdisc is not None else None


def decode_tc(answer: NetlinkAnswer) -> TcOffload:
    """The flower filters in a ``tc_ingress`` answer and how many are in hardware;
    ``block`` is the shared block they were read from.

    No qdisc, or no flower filters, is zeros without error; no such
    interface is ``"no such interface"``.  ``ingress`` says whether the
    netdev has the ingress (or clsact) qdisc OVS must add before any filter
    (``tc_add_del_qdisc``, lib/dpif-offload-tc-netdev.c in OVS); an answer
    without qdisc messages (an empty one) leaves it None.
    """
    if answer.error is not None:
        return TcOffload.failed(NO_SUCH_INTERFACE if answer.error == "ENODEV" else answer.error)
    found = split(answer.messages, msg_type=None, fixed=20, sizes=_SIZES)
    if isinstance(found, str):
        return TcOffload.failed(found)
    filters = []
    for m in found:
        if m.type == _RTM_NEWQDISC:
            continue
        if m.type != _RTM_NEWTFILTER:
            return TcOffload.failed(f"unexpected message type {m.type}")
        msg = parse(_classes()["tc"], m)
        if msg is None:
            return TcOffload.failed("undecodable message")
        kind = msg.get_attr("TCA_KIND")
        filters.append(TcFilter(kind=kind if isinstance(kind, str) else None, handle=msg["handle"],
                                options=m.attr(_TCA_OPTIONS)))
    qdiscs = [m for m in found if m.type == _RTM_NEWQDISC]
    return replace(summarize_filters(filters), block=ingress_block(found),
                   ingress=(_ingress_qdisc(qdiscs) is not None) if qdiscs else None)
