"""The multi-VTEP policy routing, written for ``mvtep apply`` over rtnetlink.

Each VTEP's tunnels must leave through that VTEP's own NIC, which the design
document gets from source-based routing: one ``ip rule from <vtep ip> lookup
<table>`` per VTEP, and in that table the VTEP's subnet ``scope link`` and the
overlay supernet ``via <gateway>``.  This is the one module that changes
them; :mod:`hw.routing` only reads.  The caller plans exact changes from
:func:`current_rules` / :func:`current_routes`, so every write does exactly
one thing and any refusal is an error (:class:`PlumbingError`), including
``EEXIST`` for something already there.

Values used (uapi headers):

* ``FR_ACT_TO_TBL = 1`` (linux/fib_rules.h): the ``lookup <table>`` action;
  ``FIB_RULE_INVERT = 0x2`` is ``not from``.
* ``RTN_UNICAST = 1``, ``RT_SCOPE_UNIVERSE = 0``, ``RT_SCOPE_LINK = 253``,
  ``RTPROT_STATIC = 4`` (linux/rtnetlink.h): rules and routes are added
  ``proto static``, as in the design document.
* Tables above 255 only fit in ``FRA_TABLE`` / ``RTA_TABLE`` (the header
  byte says ``RT_TABLE_COMPAT = 252``).

pyroute2 (0.9.7) details this relies on: ``route("del")`` sends scope 0
unless told, and the kernel then finds no ``scope link`` route (``ESRCH``),
so deletes always pass the scope; ``rule("add")`` sends no protocol unless
``protocol=`` is given; deletes pass no protocol, so they also remove
entries someone added by hand (``proto boot``).  A gateway is resolved in the
route's own table first, then by a full lookup (``fib_check_nh_v4_gw``):
add a table's ``scope link`` route before its ``via`` route.

Every function takes an optional ``ip netns`` name; it is never created
(a missing one raises :class:`mvcore.errors.Unavailable`).  pyroute2 is
imported inside the functions.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collections.abc import Iterator
from contextlib import contextmanager

from hw.netns import errno_name, open_iproute
from mvcore.errors import MvtepError, Unavailable

__all__ = [
    "RuleSpec", "RouteSpec", "PlumbingError", "current_rules", "current_routes", "interfaces",
    "add_rule", "delete_rule", "add_route", "delete_route",
]

_FR_ACT_TO_TBL = 1
_FIB_RULE_INVERT = 0x2
_RTN_UNICAST = 1
_RT_SCOPE_UNIVERSE, _RT_SCOPE_LINK = 0, 253
_RTPROT_STATIC = 4
_SCOPES = {"universe": _RT_SCOPE_UNIVERSE, "link": _RT_SCOPE_LINK}
_UNSET = 0xFFFFFFFF  # FRA_SUPPRESS_PREFIXLEN / FRA_SUPPRESS_IFGROUP "not set" (-1 as u32)
# Attributes of a plain "from <src> lookup <table>" rule; any other (iif, fwmark, dst, ports...)
# narrows it, and RuleSpec cannot say that.
_PLAIN_RULE_ATTRS = frozenset({"FRA_SRC", "FRA_TABLE", "FRA_PRIORITY", "FRA_PROTOCOL", "FRA_PAD"})


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """``ip rule from <src> lookup <table> priority <priority>`` (IPv4)."""

    src: str  # "10.0.0.1/32"
    table: int
    priority: int


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """``ip route <dst> [via <gateway>] dev <dev> scope <scope> table <table>`` (IPv4 unicast)."""

    table: int
    dst: str  # "10.0.0.0/23", "10.0.0.0/16"
    dev: str
    gateway: str | None
    scope: str  # "link" or "universe"


class PlumbingError(MvtepError):
    """The kernel refused a rule or route change; ``errno`` is its name ("ENETUNREACH")."""

    code = "apply-failed"

    def __init__(self, message: str, *, errno: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.errno = errno


@contextmanager
def _ipr(netns: str | None) -> Iterator[Any]:
    from pyroute2.netlink.exceptions import NetlinkError

    ipr = open_iproute(netns)
    try:
        yield ipr
    except NetlinkError as e:
        raise Unavailable(f"rtnetlink: {errno_name(e.code)}") from e
    finally:
        ipr.close()


def _names(ipr: Any) -> dict[int, str]:
    return {link["index"]: link.get("IFLA_IFNAME") for link in ipr.get_links()}


def _describe_rule(spec: RuleSpec) -> str:
    return f"rule from {spec.src} lookup {spec.table} priority {spec.priority}"


def _describe_route(spec: RouteSpec) -> str:
    via = f" via {spec.gateway}" if spec.gateway else ""
    scope = " scope link" if spec.scope == "link" else ""
    return f"route {spec.dst}{via} dev {spec.dev}{scope} table {spec.table}"


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


def _send(netns: str | None, verb: str, what: str, call: Callable[[Any], object]) -> None:
    from pyroute2.netlink.exceptions import NetlinkError

    with _ipr(netns) as ipr:
        try:
            call(ipr)
        except NetlinkError as e:
            meaning = _MEANINGS.get((f"{verb} {what.split(' ', 1)[0]}", abs(e.code or 0)))  # "add rule"...
            raise _fail(f"{verb} {what}", errno_name(e.code), meaning) from e


def _ipv4(value: str, verb: str, what: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(value)  # strict: no host bits beyond the prefix
    except ValueError as e:
        raise _fail(f"{verb} {what}", "EINVAL", str(e)) from e
    if not isinstance(net, ipaddress.IPv4Network):
        raise _fail(f"{verb} {what}", "EINVAL", "not an IPv4 prefix")
    return net


def current_rules(netns: str | None = None) -> tuple[RuleSpec, ...]:
    """The IPv4 ``from <src> lookup <table>`` rules, in the kernel's order.

    Left out: "from all" rules, other actions (goto, blackhole...), ``not
    from``, and rules with any further selector (iif, fwmark, dst, ports...)
    or modifier (suppress_prefixlength...): they are not what a RuleSpec
    says, so one must not be taken for the rule the plan wants.
    """
    out: list[RuleSpec] = []
    with _ipr(netns) as ipr:
        for msg in ipr.get_rules(family=socket.AF_INET):
            src = msg.get("FRA_SRC")
            if msg["action"] != _FR_ACT_TO_TBL or not src or not msg["src_len"]:
                continue
            if msg["flags"] & _FIB_RULE_INVERT or msg["dst_len"] or msg["tos"]:
                continue
            extra = {name for name, value in msg["attrs"]
                     if name not in _PLAIN_RULE_ATTRS
                     and not (name in ("FRA_SUPPRESS_PREFIXLEN", "FRA_SUPPRESS_IFGROUP") and value == _UNSET)}
            if extra:
                continue
            out.append(RuleSpec(src=f"{src}/{msg['src_len']}", table=msg.get("FRA_TABLE") or msg["table"],
                                priority=msg.get("FRA_PRIORITY") or 0))  # absent for priority 0
    return tuple(out)


def current_routes(table: int, netns: str | None = None) -> tuple[RouteSpec, ...]:
    """The IPv4 unicast routes of ``table``, in the kernel's order.

    Routes a RouteSpec cannot say (multipath, an IPv6 next hop, no device)
    are left out; the metric and preferred source are not kept.
    """
    out: list[RouteSpec] = []
    with _ipr(netns) as ipr:
        names = _names(ipr)
        for msg in ipr.get_routes(family=socket.AF_INET, table=table):
            oif = msg.get("RTA_OIF")
            if (msg["type"] != _RTN_UNICAST or (msg.get("RTA_TABLE") or msg["table"]) != table
                    or oif is None or oif not in names or msg.get("RTA_VIA") or msg.get("RTA_MULTIPATH")):
                continue
            out.append(RouteSpec(
                table=table,
                dst=f"{msg.get('RTA_DST') or '0.0.0.0'}/{msg['dst_len']}",
                dev=names[oif],
                gateway=msg.get("RTA_GATEWAY"),
                scope="link" if msg["scope"] == _RT_SCOPE_LINK else "universe",
            ))
    return tuple(out)


def interfaces(netns: str | None = None) -> dict[str, int]:
    """Each interface name -> its ifindex."""
    with _ipr(netns) as ipr:
        return {name: index for index, name in _names(ipr).items()}


def _rule_args(spec: RuleSpec, verb: str) -> dict[str, Any]:
    net = _ipv4(spec.src, verb, _describe_rule(spec))
    return {"family": socket.AF_INET, "src": str(net.network_address), "src_len": net.prefixlen,
            "table": spec.table, "priority": spec.priority, "action": _FR_ACT_TO_TBL}


def add_rule(spec: RuleSpec, netns: str | None = None) -> None:
    """``ip rule add from <src> lookup <table> priority <priority> proto static``."""
    args = _rule_args(spec, "add")
    _send(netns, "add", _describe_rule(spec), lambda ipr: ipr.rule("add", protocol=_RTPROT_STATIC, **args))


def delete_rule(spec: RuleSpec, netns: str | None = None) -> None:
    """``ip rule del from <src> lookup <table> priority <priority>`` (any protocol)."""
    args = _rule_args(spec, "delete")
    _send(netns, "delete", _describe_rule(spec), lambda ipr: ipr.rule("del", **args))


def _route(spec: RouteSpec, verb: str, netns: str | None) -> None:
    what = _describe_route(spec)
    net = _ipv4(spec.dst, verb, what)
    if spec.scope not in _SCOPES:
        raise _fail(f"{verb} {what}", "EINVAL", f"scope {spec.scope!r} is neither 'link' nor 'universe'")
    if spec.gateway is not None:
        try:
            ipaddress.IPv4Address(spec.gateway)
        except ValueError as e:
            raise _fail(f"{verb} {what}", "EINVAL", str(e)) from e

    def call(ipr: Any) -> None:
        oif = {name: index for index, name in _names(ipr).items()}.get(spec.dev)
        if oif is None:
            raise PlumbingError(f"cannot {verb} {what}: no interface {spec.dev}", errno="ENODEV")
        args: dict[str, Any] = {"family": socket.AF_INET, "dst": str(net.network_address),
                                "dst_len": net.prefixlen, "oif": oif, "table": spec.table,
                                "scope": _SCOPES[spec.scope], "type": _RTN_UNICAST}
        if spec.gateway is not None:
            args["gateway"] = spec.gateway
        if verb == "add":
            ipr.route("add", proto=_RTPROT_STATIC, **args)
        else:
            ipr.route("del", **args)

    _send(netns, verb, what, call)


def add_route(spec: RouteSpec, netns: str | None = None) -> None:
    """``ip route add <dst> [via <gw>] dev <dev> scope <scope> table <table> proto static``."""
    _route(spec, "add", netns)


def delete_route(spec: RouteSpec, netns: str | None = None) -> None:
    """``ip route del`` of exactly that route: dst, device, gateway and scope must match (any protocol)."""
    _route(spec, "delete", netns)
