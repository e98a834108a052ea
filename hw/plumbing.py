"""The multi-VTEP policy routing, written for ``mvtep apply`` over rtnetlink.

Each VTEP's tunnels must leave through that VTEP's own NIC, which the design
document gets from source-based routing: one ``ip rule from <vtep ip> lookup
<table>`` per VTEP, and in that table the VTEP's subnet ``scope link`` and the
overlay supernet ``via <gateway>``.  This is the one module that changes
them; reading them is :mod:`hw.routing`'s.  The caller plans exact changes
from what it read (the entries :func:`writable_rule` / :func:`writable_route`
accept are those this module can write back exactly), so every write does
exactly one thing and any refusal is an error (:class:`PlumbingError`),
including ``EEXIST`` for something already there.

Values used (uapi headers):

* ``FR_ACT_TO_TBL = 1`` (linux/fib_rules.h): the ``lookup <table>`` action.
* ``RTN_UNICAST = 1``, ``RT_SCOPE_UNIVERSE = 0``, ``RT_SCOPE_LINK = 253``,
  ``RTPROT_STATIC = 4`` (linux/rtnetlink.h): what a new rule or route
  carries, as in the design document; an entry put back after a failed
  apply keeps the protocol it was read with, ``RTPROT_UNSPEC = 0`` (a rule
  added without one) included.
* Tables above 255 only fit in ``FRA_TABLE`` / ``RTA_TABLE`` (the header
  byte says ``RT_TABLE_COMPAT = 252``).

pyroute2 (0.9.7) details this relies on: ``route("del")`` sends scope 0
unless told, and the kernel then finds no ``scope link`` route (``ESRCH``),
so deletes always pass the scope; ``rule("add")`` sends no protocol unless
``protocol=`` is given; deletes pass no protocol, so they also remove
entries someone added by hand (``proto boot``).  A gateway is resolved in the
route's own table first, then by a full lookup (``fib_check_nh_v4_gw``):
add a table's ``scope link`` route before its ``via`` route.

The namespace is an ``ip netns`` name, never created (a missing one raises
:class:`mvcore.errors.Unavailable`).  pyroute2 is imported when used.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from hw.netns import Closing, RtnlSocket, errno_name
from mvcore.errors import MvtepError
from mvcore.routes import RTPROT_STATIC, Route, Rule

__all__ = ["PlumbingError", "Plumbing", "writable_rule", "writable_route"]

_FR_ACT_TO_TBL = 1
_RTN_UNICAST = 1
_SCOPES = {"universe": 0, "link": 253}  # RT_SCOPE_UNIVERSE, RT_SCOPE_LINK


class PlumbingError(MvtepError):
    """The kernel refused a rule or route change; ``errno`` is its name ("ENETUNREACH")."""

    code = "apply-failed"

    def __init__(self, message: str, *, errno: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.errno = errno


def writable_rule(rule: Rule) -> bool:
    """Whether :class:`Plumbing` can write ``rule`` back exactly: a plain
    ``from <IPv4 prefix> lookup <table>``."""
    return rule.plain and rule.src is not None and ":" not in rule.src


def writable_route(route: Route) -> bool:
    """Whether :class:`Plumbing` can write ``route`` back exactly: IPv4,
    through one device, via an IPv4 gateway or none, scope link or universe."""
    return (route.dev is not None and ":" not in route.dst and ":" not in (route.gateway or "")
            and route.scope in _SCOPES)


# What a refusal means for each (verb, errno), when the name alone is unclear.
_MEANINGS: dict[tuple[str, int], str] = {
    ("add rule", errno.EEXIST): "an identical rule is already there",
    ("delete rule", errno.ENOENT): "no such rule",
    ("add route", errno.EEXIST): "the table already has a route to that prefix",
    ("delete route", errno.ESRCH): "no such route",
}


def _fail(what: str, code: str, meaning: str | None = None) -> PlumbingError:
    hint = {"EPERM": "needs CAP_NET_ADMIN (run as root)",
            "ENETUNREACH": "the gateway must be on a subnet the device reaches "
                           "(looked up in the route's table, then by the rules)",
            }.get(code)
    detail = f"{code} ({meaning})" if meaning else code
    return PlumbingError(f"cannot {what}: {detail}", errno=code, hint=hint)


def _protocol(read: int | None) -> int:
    """What an added entry carries: its own protocol when it was read from the
    kernel (put back as it was), ``proto static`` when it is new."""
    return RTPROT_STATIC if read is None else read


def _ipv4(value: str | None, verb: str, what: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(value or "")  # strict: no host bits beyond the prefix
    except ValueError as e:
        raise _fail(f"{verb} {what}", "EINVAL", str(e)) from e
    if not isinstance(net, ipaddress.IPv4Network):
        raise _fail(f"{verb} {what}", "EINVAL", "not an IPv4 prefix")
    return net


class Plumbing(Closing):
    """Adds and deletes rules and routes in ``netns`` (this namespace when
    None) over one rtnetlink socket, opened on first use."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._sock = RtnlSocket(netns)

    def close(self) -> None:
        self._sock.close()

    def _send(self, verb: str, what: str, call: Callable[[Any], object]) -> None:
        from pyroute2.netlink.exceptions import NetlinkError

        ipr = self._sock.get()
        try:
            call(ipr)
        except NetlinkError as e:
            meaning = _MEANINGS.get((f"{verb} {what.split(' ', 1)[0]}", abs(e.code or 0)))  # "add rule"...
            raise _fail(f"{verb} {what}", errno_name(e.code), meaning) from e
        except OSError as e:  # the socket broke: the next change opens another
            self._sock.close()
            raise _fail(f"{verb} {what}", errno_name(e.errno)) from e

    def _rule(self, rule: Rule, verb: str) -> None:
        what = rule.describe()
        net = _ipv4(rule.src, verb, what)
        args = {"family": socket.AF_INET, "src": str(net.network_address), "src_len": net.prefixlen,
                "table": rule.table, "priority": rule.priority, "action": _FR_ACT_TO_TBL}
        if verb == "add":
            self._send(verb, what, lambda ipr: ipr.rule("add", protocol=_protocol(rule.protocol), **args))
        else:
            self._send(verb, what, lambda ipr: ipr.rule("del", **args))

    def add_rule(self, rule: Rule) -> None:
        """``ip rule add from <src> lookup <table> priority <priority> proto static``
        (or the protocol the rule was read with, when it was read)."""
        self._rule(rule, "add")

    def delete_rule(self, rule: Rule) -> None:
        """``ip rule del from <src> lookup <table> priority <priority>`` (any protocol)."""
        self._rule(rule, "delete")

    def _route(self, route: Route, verb: str) -> None:
        what = route.describe()
        net = _ipv4(route.dst, verb, what)
        if route.scope not in _SCOPES:
            raise _fail(f"{verb} {what}", "EINVAL", f"scope {route.scope!r} is neither 'link' nor 'universe'")
        if route.dev is None:
            raise _fail(f"{verb} {what}", "EINVAL", "no device")
        if route.gateway is not None:
            try:
                ipaddress.IPv4Address(route.gateway)
            except ValueError as e:
                raise _fail(f"{verb} {what}", "EINVAL", str(e)) from e

        def call(ipr: Any) -> None:
            found = ipr.link_lookup(ifname=route.dev)
            if not found:
                raise PlumbingError(f"cannot {verb} {what}: no interface {route.dev}", errno="ENODEV")
            args: dict[str, Any] = {"family": socket.AF_INET, "dst": str(net.network_address),
                                    "dst_len": net.prefixlen, "oif": found[0], "table": route.table,
                                    "scope": _SCOPES[route.scope], "type": _RTN_UNICAST}
            if route.gateway is not None:
                args["gateway"] = route.gateway
            if verb == "add":
                ipr.route("add", proto=_protocol(route.protocol), **args)
            else:
                ipr.route("del", **args)

        self._send(verb, what, call)

    def add_route(self, route: Route) -> None:
        """``ip route add <dst> [via <gw>] dev <dev> scope <scope> table <table> proto static``
        (or the protocol the route was read with, when it was read)."""
        self._route(route, "add")

    def delete_route(self, route: Route) -> None:
        """``ip route del`` of exactly that route: dst, device, gateway and scope must match (any protocol)."""
        self._route(route, "delete")
