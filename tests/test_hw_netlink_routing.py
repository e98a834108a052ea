"""hw.routing against the design document's multi-VTEP routing, built for
real inside a scratch network namespace (tests/vtepns.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute

from hw import netns, routing
from hw.model import RouteAnswer, Rule
from mvcore.errors import Unavailable
from tests.vtepns import FAR, GATEWAY, design_doc_vteps, point_table_at

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")



@pytest.fixture
def ns() -> Iterator[str]:
    with design_doc_vteps() as name:
        yield name


def test_each_vtep_leaves_through_its_own_interface(ns: str) -> None:
    assert routing.route_get(FAR, "10.0.0.1", ns) == RouteAnswer(FAR, "10.0.0.1", 6081, "vtep0", GATEWAY)
    assert routing.route_get(FAR, "10.0.0.2", ns) == RouteAnswer(FAR, "10.0.0.2", 6082, "vtep1", GATEWAY)


def test_a_wrong_table_shows_the_wrong_interface(ns: str) -> None:
    # table 6082's overlay route points at vtep0: VTEP 10.0.0.2's tunnels would leave through vtep0.
    point_table_at(ns, 6082, "vtep0")
    assert routing.route_get(FAR, "10.0.0.2", ns) == RouteAnswer(FAR, "10.0.0.2", 6082, "vtep0", GATEWAY)
    assert routing.route_get(FAR, "10.0.0.1", ns).oif == "vtep0"


def test_without_the_rule_the_main_table_answers(ns: str) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.rule("del", src="10.0.0.2", src_len=32, table=6082, priority=101)
    answer = routing.route_get("10.0.1.7", "10.0.0.2", ns)
    assert answer.table == 254 and answer.gateway is None and answer.error is None
    assert routing.route_get(FAR, "10.0.0.2", ns).error == "ENETUNREACH"  # main has no overlay route


def test_rules_list_both_vteps(ns: str) -> None:
    rules = routing.rules(ns)
    assert Rule(100, "10.0.0.1/32", 6081) in rules
    assert Rule(101, "10.0.0.2/32", 6082) in rules
    assert Rule(101, "fd00::2/128", 6082) in rules
    assert Rule(32766, None, 254) in rules  # from all lookup main
    assert rules[0] == Rule(0, None, 255)  # from all lookup local: IPv4 first, kernel order


def test_errors_are_answers(ns: str) -> None:
    assert routing.route_get("192.0.2.1", "10.0.0.1", ns).error == "ENETUNREACH"
    assert routing.route_get(FAR, "fd00::2", ns).error == "EINVAL: dst and src of different families"
    assert (routing.route_get("not-an-ip", "10.0.0.1", ns).error or "").startswith("EINVAL")


def test_table_routes(ns: str) -> None:
    assert routing.table_routes(6081, ns) == ["10.0.0.0/23", "10.0.0.0/16"]
    assert routing.table_routes(6099, ns) == []


def test_addresses_and_links(ns: str) -> None:
    addresses = routing.addresses(ns)
    assert addresses["10.0.0.1"] == ("vtep0", 23, "ipv4")
    assert addresses["10.0.0.2"] == ("vtep1", 23, "ipv4")
    assert addresses["fd00::2"] == ("vtep1", 64, "ipv6")
    assert any(ip.startswith("fe80:") and ip.endswith("%vtep0") for ip in addresses)
    links = routing.links(ns)
    assert (links["vtep0"], links["vtep1"], links["lo"]) == (1500, 9000, 65536)
    assert set(links) == {"lo", "vtep0", "vtep0p", "vtep1", "vtep1p"}


def test_missing_namespace_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        routing.rules("mvtep-test-no-such-namespace")
    assert not netns.exists("mvtep-test-no-such-namespace")
