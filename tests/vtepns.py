"""The design document's multi-VTEP routing, built for real in a scratch
network namespace (route lookups send nothing; the namespace disappears
with everything in it).

Both VTEP addresses sit in one /23, as in the design document; per-VTEP
source rules pick per-VTEP tables, each sending the overlay /16 through
its own interface:

    ip rule add from 10.0.0.1 lookup 6081 priority 100
    ip rule add from 10.0.0.2 lookup 6082 priority 101
    ip route add 10.0.0.0/23 dev vtep0 scope link table 6081
    ip route add 10.0.0.0/16 via 10.0.1.254 dev vtep0 table 6081
    (and the same for vtep1 in table 6082)
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyroute2 import IPRoute

from hw import netns
from hw.host import HostReader, HostRequests, host_view
from hw.plumbing import writable_route, writable_rule
from mvcore.routes import Route, RouteAnswer, Rule

GATEWAY = "10.0.1.254"  # inside the /23, so reachable on either VTEP's link
FAR = "10.0.5.5"  # a remote VTEP beyond the /23, inside the overlay /16


def index(ipr: Any, name: str) -> int:
    (found,) = ipr.link_lookup(ifname=name)
    return int(found)


@contextmanager
def design_doc_vteps() -> Iterator[str]:
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            for vtep in ("vtep0", "vtep1"):
                ipr.link("add", ifname=vtep, kind="veth", peer=f"{vtep}p")
            for link in ipr.get_links():
                ipr.link("set", index=link["index"], state="up")
            ipr.link("set", index=index(ipr, "vtep1"), mtu=9000)
            for address, table, vtep in (("10.0.0.1", 6081, "vtep0"), ("10.0.0.2", 6082, "vtep1")):
                oif = index(ipr, vtep)
                ipr.addr("add", index=oif, address=address, prefixlen=23)
                ipr.route("add", dst="10.0.0.0/23", oif=oif, scope="link", table=table)
                ipr.route("add", dst="10.0.0.0/16", gateway=GATEWAY, oif=oif, table=table)
                ipr.rule("add", src=address, src_len=32, table=table, priority=table - 5981)
            ipr.addr("add", index=index(ipr, "vtep1"), address="fd00::2", prefixlen=64)
            ipr.rule("add", family=socket.AF_INET6, src="fd00::2", src_len=128, table=6082, priority=101)
        yield name
    assert not netns.exists(name)


def point_table_at(ns: str, table: int, vtep: str) -> None:
    """Make ``table``'s overlay route leave through ``vtep`` (a misconfiguration)."""
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.route("del", dst="10.0.0.0/16", table=table)
        ipr.route("add", dst="10.0.0.0/16", gateway=GATEWAY, oif=index(ipr, vtep), table=table)


def route_get(dst: str, src: str, ns: str | None) -> RouteAnswer:
    """``ip route get <dst> from <src>`` in ``ns``, asked and decoded as mvtep does."""
    with HostReader(ns) as reader:
        return host_view(reader.read(HostRequests(route_gets=((dst, src),)))).route_answers[(dst, src)]


def current_rules(ns: str | None) -> tuple[Rule, ...]:
    """The rules mvtep plans against: plain IPv4 ``from <prefix> lookup <table>``."""
    with HostReader(ns) as reader:
        found = host_view(reader.read(HostRequests())).rules
    assert found.value is not None, found.error
    return tuple(r for r in found.value if writable_rule(r))


def current_routes(table: int, ns: str | None) -> tuple[Route, ...]:
    """The routes of ``table`` mvtep plans against: IPv4, through one device."""
    with HostReader(ns) as reader:
        found = host_view(reader.read(HostRequests(tables=(table,)))).routes[table]
    assert found.value is not None, found.error
    return tuple(r for r in found.value if writable_route(r))


def set_sysctls(ns: str, **values: int) -> None:
    """Set ``net.ipv4.conf.<dev>.<key>`` in the test's namespace: ``set_sysctls(ns, vtep0_arp_ignore=1)``
    reads as device ``vtep0``, key ``arp_ignore`` (mvtep itself only ever reads them)."""
    import subprocess

    for name, value in values.items():
        dev, key = name.split("_", 1)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv4.conf.{dev}.{key}={value}"],
                       check=True, capture_output=True)


def arp_per_vtep(ns: str) -> None:
    """What several VTEPs in one subnet need: each NIC answers and announces only its own address."""
    set_sysctls(ns, vtep0_arp_ignore=1, vtep0_arp_announce=2, vtep1_arp_ignore=1, vtep1_arp_announce=2)
