"""Policy routing as the kernel sees it, over rtnetlink (pyroute2 ``IPRoute``).

Multi-VTEP needs traffic *from* each VTEP address to leave through that
VTEP's own NIC: one ``ip rule from <vtep> lookup <table>`` per VTEP and the
remote-VTEP routes in that table.  Reading the rules and tables is not
enough to know what happens (priorities, a more specific route in another
table, a missing gateway), so :func:`route_get` asks the kernel the question
``ip route get <dst> from <src>`` asks: ``RTM_GETROUTE`` with ``RTA_DST``,
``RTA_SRC`` and ``RTM_F_LOOKUP_TABLE`` (uapi linux/rtnetlink.h).  Without
that flag the reply names table main (254) whatever table matched
(``inet_rtm_getroute``, net/ipv4/route.c); iproute2 sets it too.  Nothing is
sent on the wire.

Every function takes an optional ``ip netns`` name; the netlink socket is
then created in that namespace (``IPRoute(netns=..., flags=0)``: never
creates one).  Failing to open it raises :class:`mvcore.errors.Unavailable`;
the kernel refusing a route lookup is an answer, ``RouteAnswer(error=...)``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hw.model import RouteAnswer, Rule
from hw.netns import errno_name, exists
from mvcore.errors import Unavailable

__all__ = ["rules", "route_get", "routes_get", "table_routes", "addresses", "links", "HostNetwork",
           "host_network", "HostReader"]

_RTM_F_LOOKUP_TABLE = 0x1000
_FR_ACT_TO_TBL = 1  # enum fib_rule action: "lookup <table>" (uapi linux/fib_rules.h)
_RTN_UNICAST, _RTN_BLACKHOLE, _RTN_UNREACHABLE, _RTN_PROHIBIT = 1, 6, 7, 8
_ROUTE_TYPES = {_RTN_UNICAST, _RTN_BLACKHOLE, _RTN_UNREACHABLE, _RTN_PROHIBIT}
_FAMILIES = {socket.AF_INET: "ipv4", socket.AF_INET6: "ipv6"}


@contextmanager
def _ipr(netns: str | None) -> Iterator[Any]:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError

    where = f"network namespace {netns}" if netns else "this network namespace"
    if netns is not None and not exists(netns):
        raise Unavailable(f"no network namespace {netns}", hint="see `ip netns list`")
    try:
        ipr = IPRoute(netns=netns, flags=0) if netns else IPRoute()
    except NetlinkError as e:
        raise Unavailable(f"rtnetlink in {where}: {errno_name(e.code)}") from e
    except OSError as e:
        raise Unavailable(f"rtnetlink in {where}: {errno_name(e.errno)}") from e
    try:
        yield ipr
    except NetlinkError as e:
        raise Unavailable(f"rtnetlink in {where}: {errno_name(e.code)}") from e
    finally:
        ipr.close()


def _names(ipr: Any) -> dict[int, str]:
    return {link["index"]: link.get("IFLA_IFNAME") for link in ipr.get_links()}


def rules(netns: str | None = None) -> tuple[Rule, ...]:
    """The IPv4 then IPv6 ``lookup`` rules, in the kernel's order.

    ``src`` is ``"10.0.0.1/32"`` or ``None`` for "from all".  Only the source
    selector is kept (iif, fwmark... are not), and rules with another action
    (goto, blackhole, unreachable, prohibit) are left out: ``Rule`` cannot say
    them.  :func:`route_get` gives the kernel's real verdict.
    """
    out: list[Rule] = []
    with _ipr(netns) as ipr:
        for family in _FAMILIES:
            for msg in ipr.get_rules(family=family):
                if msg["action"] != _FR_ACT_TO_TBL:
                    continue
                src = msg.get("FRA_SRC")
                out.append(Rule(
                    priority=msg.get("FRA_PRIORITY") or 0,  # absent for priority 0
                    src=f"{src}/{msg['src_len']}" if src else None,
                    table=msg.get("FRA_TABLE") or msg["table"],  # tables > 255 only in FRA_TABLE
                ))
    return tuple(out)


def route_get(dst: str, src: str, netns: str | None = None) -> RouteAnswer:
    """The kernel's answer to ``ip route get <dst> from <src>``.

    ``src`` must be a local address (else the kernel says EINVAL or
    ENETUNREACH); the answer names the table that matched, the egress device
    and the gateway.  Errors come back as ``RouteAnswer(error="ENETUNREACH")``.
    """
    return routes_get([(dst, src)], netns)[(dst, src)]


def routes_get(pairs: list[tuple[str, str]], netns: str | None = None) -> dict[tuple[str, str], RouteAnswer]:
    """:func:`route_get` for many (dst, src) pairs over one netlink socket
    (opening one costs far more than a lookup)."""
    with _ipr(netns) as ipr:
        return _routes(ipr, _names(ipr), pairs)


def _routes(ipr: Any, names: dict[int, str], pairs: list[tuple[str, str]]) -> dict[tuple[str, str], RouteAnswer]:
    from pyroute2.netlink.exceptions import NetlinkError

    out: dict[tuple[str, str], RouteAnswer] = {}
    for dst, src in pairs:
        try:
            if ipaddress.ip_address(dst).version != ipaddress.ip_address(src).version:
                out[(dst, src)] = RouteAnswer(dst, src, None, None, None,
                                              error="EINVAL: dst and src of different families")
                continue
        except ValueError as e:
            out[(dst, src)] = RouteAnswer(dst, src, None, None, None, error=f"EINVAL: {e}")
            continue
        try:
            replies = list(ipr.route("get", dst=dst, src=src, flags=_RTM_F_LOOKUP_TABLE))
        except NetlinkError as e:
            out[(dst, src)] = RouteAnswer(dst, src, None, None, None, error=errno_name(e.code))
            continue
        if not replies:
            out[(dst, src)] = RouteAnswer(dst, src, None, None, None, error="no answer")
            continue
        msg = replies[0]
        oif = msg.get("RTA_OIF")
        via = msg.get("RTA_VIA")  # an IPv6 next hop of an IPv4 route
        gateway = msg.get("RTA_GATEWAY") or (via.get("addr") if isinstance(via, dict) else None)
        out[(dst, src)] = RouteAnswer(dst, src, table=msg.get("RTA_TABLE") or msg["table"],
                                      oif=names.get(oif) if oif is not None else None, gateway=gateway)
    return out


def table_routes(table: int, netns: str | None = None) -> list[str]:
    """The destination prefixes of routing table ``table``, IPv4 then IPv6
    (``"10.0.0.0/16"``, ``"0.0.0.0/0"``): what a VTEP's table sends where.
    Local, broadcast and multicast entries are left out."""
    out: list[str] = []
    with _ipr(netns) as ipr:
        for family, default in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            for msg in ipr.get_routes(family=family, table=table):
                if msg["type"] in _ROUTE_TYPES and (msg.get("RTA_TABLE") or msg["table"]) == table:
                    out.append(f"{msg.get('RTA_DST') or default}/{msg['dst_len']}")
    return out


def _addresses(ipr: Any, names: dict[int, str]) -> dict[str, tuple[str, int, str]]:
    out: dict[str, tuple[str, int, str]] = {}
    for msg in ipr.get_addr():
        family = _FAMILIES.get(msg["family"])
        ip = msg.get("IFA_LOCAL") or msg.get("IFA_ADDRESS")
        name = names.get(msg["index"])
        if family is None or ip is None or name is None:
            continue
        if family == "ipv6" and ipaddress.ip_address(ip).is_link_local:
            ip = f"{ip}%{name}"
        out[ip] = (name, msg["prefixlen"], family)
    return out


def addresses(netns: str | None = None) -> dict[str, tuple[str, int, str]]:
    """Each address -> (interface, prefix length, ``"ipv4"``/``"ipv6"``).

    The local address is ``IFA_LOCAL`` when present (on point-to-point links
    ``IFA_ADDRESS`` is the peer).  IPv6 link-local addresses repeat across
    interfaces, so they are keyed ``"fe80::1%eth0"``.
    """
    with _ipr(netns) as ipr:
        return _addresses(ipr, _names(ipr))


def links(netns: str | None = None) -> dict[str, int]:
    """Each interface name -> its MTU."""
    with _ipr(netns) as ipr:
        return _links(ipr)


def _links(ipr: Any) -> dict[str, int]:
    return {link.get("IFLA_IFNAME"): link.get("IFLA_MTU") for link in ipr.get_links()}


@dataclass(frozen=True, slots=True)
class HostNetwork:
    """Links, addresses and route answers read together."""

    links: dict[str, int]
    addresses: dict[str, tuple[str, int, str]]
    routes: dict[tuple[str, str], RouteAnswer]


def host_network(pairs: list[tuple[str, str]], netns: str | None = None) -> HostNetwork:
    """:func:`links`, :func:`addresses` and :func:`routes_get` (``pairs`` are
    (dst, src)) over one netlink socket."""
    with HostReader(netns) as reader:
        return reader.read(pairs)


class HostReader:
    """A netlink socket kept open for repeated :meth:`read` calls: in another
    namespace, opening one costs ten times a lookup, and a live view asks
    every second.  A failed read closes it; the next read opens a new one."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._stack: Any = None
        self._ipr: Any = None

    def __enter__(self) -> HostReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, pairs: list[tuple[str, str]]) -> HostNetwork:
        from contextlib import ExitStack

        if self._ipr is None:
            stack = ExitStack()
            self._ipr = stack.enter_context(_ipr(self.netns))
            self._stack = stack
        try:
            names = _names(self._ipr)
            return HostNetwork(_links(self._ipr), _addresses(self._ipr, names), _routes(self._ipr, names, pairs))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        stack, self._stack, self._ipr = self._stack, None, None
        if stack is not None:
            stack.close()
