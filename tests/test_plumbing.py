"""hw.plumbing writing the design document's multi-VTEP rules and routes for
real, inside a scratch network namespace (never the host's), read back with
the production reader and decoders (hw.host)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute

from hw import netns
from hw.host import HostReader, HostRequests, host_view
from hw.plumbing import Plumbing, PlumbingError
from mvcore.errors import Unavailable
from mvcore.routes import Route, RouteAnswer, Rule
from tests.vtepns import current_routes, current_rules, route_get

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")

GATEWAY = "10.0.1.254"
OVERLAY = "10.1.0.0/16"
FAR = "10.1.5.5"
VTEPS = (("vtep0", "10.0.0.1", 6081), ("vtep1", "10.0.0.2", 6082))


def rule(address: str, table: int) -> Rule:
    return Rule(table, f"{address}/32", table)


def link_route(vtep: str, table: int) -> Route:
    return Route(table, "10.0.0.0/23", vtep, None, "link")


def overlay_route(vtep: str, table: int, gateway: str = GATEWAY) -> Route:
    return Route(table, OVERLAY, vtep, gateway, "universe")


@pytest.fixture
def ns() -> Iterator[str]:
    """vtep0/vtep1 up with 10.0.0.1/23 and 10.0.0.2/23; no rules or table routes yet."""
    with netns.temporary("mvtep-plumbing") as name:
        with IPRoute(netns=name, flags=0) as ipr:
            for vtep, _, _ in VTEPS:
                ipr.link("add", ifname=vtep, kind="veth", peer=f"{vtep}p")
            for link in ipr.get_links():
                ipr.link("set", index=link["index"], state="up")
            for vtep, address, _ in VTEPS:
                (oif,) = ipr.link_lookup(ifname=vtep)
                ipr.addr("add", index=oif, address=address, prefixlen=23)
        yield name
    assert not netns.exists(name)


@pytest.fixture
def plumbing(ns: str) -> Iterator[Plumbing]:
    with Plumbing(ns) as writer:
        yield writer


def build(plumbing: Plumbing) -> None:
    for vtep, address, table in VTEPS:
        plumbing.add_rule(rule(address, table))
        plumbing.add_route(link_route(vtep, table))
        plumbing.add_route(overlay_route(vtep, table))


def test_add_read_back_route_and_delete(ns: str, plumbing: Plumbing) -> None:
    assert current_rules(ns) == ()
    build(plumbing)
    assert current_rules(ns) == (rule("10.0.0.1", 6081), rule("10.0.0.2", 6082))
    for vtep, _, table in VTEPS:
        assert current_routes(table, ns) == (link_route(vtep, table), overlay_route(vtep, table))
    assert route_get(FAR, "10.0.0.2", ns) == RouteAnswer(FAR, "10.0.0.2", 6082, "vtep1", GATEWAY)
    assert route_get(FAR, "10.0.0.1", ns) == RouteAnswer(FAR, "10.0.0.1", 6081, "vtep0", GATEWAY)

    for vtep, address, table in VTEPS:
        plumbing.delete_route(overlay_route(vtep, table))
        plumbing.delete_route(link_route(vtep, table))  # needs the scope: pyroute2 sends 0 otherwise
        plumbing.delete_rule(rule(address, table))
        assert current_routes(table, ns) == ()
    assert current_rules(ns) == ()
    assert route_get(FAR, "10.0.0.2", ns).error == "ENETUNREACH"  # main has no overlay route


def test_writes_are_proto_static_and_leave_the_default_rules(ns: str, plumbing: Plumbing) -> None:
    build(plumbing)
    with IPRoute(netns=ns, flags=0) as ipr:
        ours = [m for m in ipr.get_rules() if m.get("FRA_SRC")]
        assert [m.get("FRA_PROTOCOL") for m in ours] == [4, 4]
        assert {m["proto"] for m in ipr.get_routes(table=6082)} == {4}
    with HostReader(ns) as reader:
        tables = {r.table for r in host_view(reader.read(HostRequests())).rules.value or ()}
    assert {255, 254, 253} <= tables  # local, main, default untouched


def test_deletes_remove_entries_added_by_hand(ns: str, plumbing: Plumbing) -> None:
    # `ip rule/route add` without proto: the deletes must not ask for proto static.
    with IPRoute(netns=ns, flags=0) as ipr:
        (oif,) = ipr.link_lookup(ifname="vtep1")
        ipr.rule("add", src="10.0.0.2", src_len=32, table=6082, priority=6082)
        ipr.route("add", dst="10.0.0.0/23", oif=oif, scope="link", table=6082, proto="boot")
    plumbing.delete_route(link_route("vtep1", 6082))
    plumbing.delete_rule(rule("10.0.0.2", 6082))
    assert current_routes(6082, ns) == () and current_rules(ns) == ()


def test_rules_with_more_selectors_are_not_taken_for_plain_ones(ns: str, plumbing: Plumbing) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.rule("add", src="10.0.0.1", src_len=32, table=6081, priority=6081, fwmark=1)
        ipr.rule("add", src="10.0.0.2", src_len=32, table=6082, priority=6082, iifname="vtep1")
        ipr.rule("add", table=6083, priority=6083)  # from all
    assert current_rules(ns) == ()
    plumbing.add_rule(rule("10.0.0.1", 6081))  # not "already there"
    assert current_rules(ns) == (rule("10.0.0.1", 6081),)


def test_adding_twice_is_an_error_that_says_so(ns: str, plumbing: Plumbing) -> None:
    build(plumbing)
    with pytest.raises(PlumbingError) as e:
        plumbing.add_rule(rule("10.0.0.1", 6081))
    assert e.value.errno == "EEXIST" and e.value.code == "apply-failed"
    assert str(e.value) == ("cannot add rule from 10.0.0.1/32 lookup 6081 priority 6081: "
                            "EEXIST (an identical rule is already there)")
    with pytest.raises(PlumbingError, match=r"cannot add route 10\.1\.0\.0/16 via 10\.0\.1\.254 dev vtep1 "
                                            r"table 6082: EEXIST \(the table already has a route"):
        plumbing.add_route(overlay_route("vtep1", 6082))


def test_unreachable_gateway(ns: str, plumbing: Plumbing) -> None:
    with pytest.raises(PlumbingError) as e:
        plumbing.add_route(overlay_route("vtep1", 6082, "192.168.77.1"))
    assert str(e.value) == "cannot add route 10.1.0.0/16 via 192.168.77.1 dev vtep1 table 6082: ENETUNREACH"
    assert e.value.errno == "ENETUNREACH" and e.value.hint
    assert current_routes(6082, ns) == ()


def test_missing_device(ns: str, plumbing: Plumbing) -> None:
    with pytest.raises(PlumbingError, match="no interface vtep7$") as e:
        plumbing.add_route(link_route("vtep7", 6088))
    assert e.value.errno == "ENODEV"
    with pytest.raises(PlumbingError, match="no interface vtep7$"):
        plumbing.delete_route(overlay_route("vtep7", 6088))


def test_deleting_what_is_not_there(ns: str, plumbing: Plumbing) -> None:
    with pytest.raises(PlumbingError) as e:
        plumbing.delete_rule(rule("10.0.0.9", 6089))
    assert e.value.errno == "ENOENT"
    assert str(e.value) == "cannot delete rule from 10.0.0.9/32 lookup 6089 priority 6089: ENOENT (no such rule)"
    with pytest.raises(PlumbingError) as e:
        plumbing.delete_route(overlay_route("vtep1", 6082))
    assert e.value.errno == "ESRCH" and "(no such route)" in str(e.value)


def test_a_delete_matches_device_gateway_and_scope(ns: str, plumbing: Plumbing) -> None:
    build(plumbing)
    with pytest.raises(PlumbingError, match="ESRCH"):
        plumbing.delete_route(overlay_route("vtep0", 6082))  # table 6082's is on vtep1
    with pytest.raises(PlumbingError, match="ESRCH"):
        plumbing.delete_route(overlay_route("vtep1", 6082, "10.0.1.253"))
    with pytest.raises(PlumbingError, match="ESRCH"):
        plumbing.delete_route(Route(6082, "10.0.0.0/23", "vtep1", None, "universe"))
    assert len(current_routes(6082, ns)) == 2


def test_bad_specs_are_refused_before_the_kernel(ns: str, plumbing: Plumbing) -> None:
    for bad in (Rule(6081, "10.0.0.1/23", 6081), Rule(6081, "fd00::2/128", 6081), Rule(1, "x", 1),
                Rule(1, None, 1)):
        with pytest.raises(PlumbingError, match="EINVAL"):
            plumbing.add_rule(bad)
    for route in (Route(6082, OVERLAY, "vtep1", None, "global"), Route(6082, OVERLAY, None, GATEWAY, "universe"),
                  Route(6082, OVERLAY, "vtep1", "fe80::1", "universe")):
        with pytest.raises(PlumbingError, match="EINVAL"):
            plumbing.add_route(route)
    assert current_rules(ns) == () and current_routes(6082, ns) == ()


def test_a_restored_entry_keeps_its_protocol(ns: str, plumbing: Plumbing) -> None:
    # What a failed apply puts back is what it took away, protocol included.
    boot = Route(6082, "10.0.0.0/23", "vtep1", None, "link", protocol=3)
    plumbing.add_route(boot)
    plumbing.add_rule(Rule(6082, "10.0.0.2/32", 6082, protocol=3))
    with IPRoute(netns=ns, flags=0) as ipr:
        assert {m["proto"] for m in ipr.get_routes(table=6082)} == {3}
        assert [m.get("FRA_PROTOCOL") for m in ipr.get_rules() if m.get("FRA_SRC")] == [3]
    with HostReader(ns) as reader:
        view = host_view(reader.read(HostRequests(tables=(6082,))))
    assert [r.protocol for r in view.routes[6082].value or ()] == [3]


def test_a_broken_socket_fails_one_change_and_the_next_reopens(ns: str, plumbing: Plumbing) -> None:
    plumbing.add_rule(rule("10.0.0.1", 6081))
    os.close(plumbing._sock.get().fileno())
    with pytest.raises(PlumbingError, match="EBADF"):
        plumbing.add_rule(rule("10.0.0.2", 6082))
    plumbing.add_rule(rule("10.0.0.2", 6082))
    assert current_rules(ns) == (rule("10.0.0.1", 6081), rule("10.0.0.2", 6082))


def test_missing_namespace_is_unavailable() -> None:
    name = "mvtep-plumbing-absent"
    assert not netns.exists(name)
    with Plumbing(name) as plumbing:
        for call in (lambda: plumbing.add_rule(rule("10.0.0.1", 6081)),
                     lambda: plumbing.add_route(link_route("vtep0", 6081)), lambda: current_rules(name)):
            with pytest.raises(Unavailable, match="no network namespace"):
                call()
    assert not netns.exists(name)
