"""hw.routing: NetlinkReader asking the real kernel about the design
document's multi-VTEP routing, built inside a scratch network namespace
(tests/vtepns.py), and the production decoders over its answers.

pyroute2's own high-level parse of the same kernel state is the oracle for
links, addresses and route lookups.  The kernel's real reply bytes, cut at
every length and overwritten at random, must decode to an error value,
never an exception.
"""

from __future__ import annotations

import os
import random
import socket
import struct
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute

from hw import netns
from hw.routing import (
    Link, NetlinkReader, decode_addresses, decode_links, decode_route_answer, decode_routes, decode_rules,
)
from mvcore.errors import Unavailable
from mvcore.reading import Reading
from mvcore.routes import Route, RouteAnswer, Rule
from mvcore.snapshot import NetlinkAnswer
from tests.vtepns import FAR, GATEWAY, design_doc_vteps, point_table_at

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")


@pytest.fixture
def ns() -> Iterator[str]:
    with design_doc_vteps() as name:
        yield name


def ask(ns: str, dst: str, src: str) -> RouteAnswer:
    with NetlinkReader(ns) as nl:
        return decode_route_answer(dst, src, nl.route_get(dst, src), decode_links(nl.links()).value or {})


def test_each_vtep_leaves_through_its_own_interface(ns: str) -> None:
    assert ask(ns, FAR, "10.0.0.1") == RouteAnswer(FAR, "10.0.0.1", 6081, "vtep0", GATEWAY)
    assert ask(ns, FAR, "10.0.0.2") == RouteAnswer(FAR, "10.0.0.2", 6082, "vtep1", GATEWAY)


def test_a_wrong_table_shows_the_wrong_interface(ns: str) -> None:
    # table 6082's overlay route points at vtep0: VTEP 10.0.0.2's tunnels would leave through vtep0.
    point_table_at(ns, 6082, "vtep0")
    assert ask(ns, FAR, "10.0.0.2") == RouteAnswer(FAR, "10.0.0.2", 6082, "vtep0", GATEWAY)
    assert ask(ns, FAR, "10.0.0.1").oif == "vtep0"


def test_without_the_rule_the_main_table_answers(ns: str) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.rule("del", src="10.0.0.2", src_len=32, table=6082, priority=101)
    answer = ask(ns, "10.0.1.7", "10.0.0.2")
    assert answer.table == 254 and answer.gateway is None and answer.error is None
    assert ask(ns, FAR, "10.0.0.2").error == "ENETUNREACH"  # main has no overlay route


def test_refusals_are_answers(ns: str) -> None:
    with NetlinkReader(ns) as nl:
        assert nl.route_get("192.0.2.1", "10.0.0.1") == NetlinkAnswer(error="ENETUNREACH")
        assert nl.route_get(FAR, "fd00::2") == NetlinkAnswer(error="EINVAL: dst and src of different families")
        assert (nl.route_get("not-an-ip", "10.0.0.1").error or "").startswith("EINVAL")
        assert nl.links().error is None  # the socket survives a refusal
    assert decode_route_answer(FAR, "x", NetlinkAnswer(error="ENETUNREACH"), {}) == RouteAnswer(
        FAR, "x", None, None, None, error="ENETUNREACH")


def test_rules_list_both_families_in_the_kernels_order(ns: str) -> None:
    with NetlinkReader(ns) as nl:
        rules = decode_rules(nl.rules()).value
    assert rules is not None
    assert Rule(100, "10.0.0.1/32", 6081) in rules
    assert Rule(101, "10.0.0.2/32", 6082) in rules
    assert Rule(101, "fd00::2/128", 6082) in rules
    assert Rule(32766, None, 254) in rules  # from all lookup main
    assert rules[0] == Rule(0, None, 255)  # from all lookup local: IPv4 first, kernel order
    assert all(r.plain for r in rules)


def test_rules_keep_their_protocol_and_say_when_they_select_more(ns: str) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.rule("add", src="10.0.0.1", src_len=32, table=6081, priority=200, fwmark=1)
        ipr.rule("add", src="10.0.0.2", src_len=32, table=6082, priority=201, iifname="vtep1")
        ipr.rule("add", src="10.0.0.2", src_len=32, table=6082, priority=202, flags=0x2)  # not from
        ipr.rule("add", src="10.0.0.1", src_len=32, table=6081, priority=203, protocol=4)
        ipr.rule("add", src="10.0.0.1", src_len=32, priority=204, action=6)  # FR_ACT_BLACKHOLE: no lookup
    with NetlinkReader(ns) as nl:
        rules = {r.priority: r for r in decode_rules(nl.rules()).value or () if 200 <= r.priority < 300}
    assert sorted(rules) == [200, 201, 202, 203]
    assert [rules[p].plain for p in (200, 201, 202, 203)] == [False, False, False, True]
    assert rules[203].protocol == 4 and rules[200].protocol == 0


def test_a_tables_routes(ns: str) -> None:
    with NetlinkReader(ns) as nl:
        links = decode_links(nl.links()).value or {}
        routes = decode_routes(nl.routes(6081), links)
        assert decode_routes(nl.routes(6099), links) == Reading.of(())
    assert routes == Reading.of((Route(6081, "10.0.0.0/23", "vtep0", None, "link"),
                                 Route(6081, "10.0.0.0/16", "vtep0", GATEWAY, "universe")))


def test_links_and_addresses_agree_with_pyroute2(ns: str) -> None:
    with NetlinkReader(ns) as nl:
        links = decode_links(nl.links()).value
        assert links is not None
        addresses = decode_addresses(nl.addresses(), links).value
    with IPRoute(netns=ns, flags=0) as ipr:
        expected = {m.get("IFLA_IFNAME"): Link(m["index"], m.get("IFLA_IFNAME"), m.get("IFLA_MTU"),
                                               m.get(("IFLA_LINKINFO", "IFLA_INFO_KIND")))
                    for m in ipr.get_links()}
    assert links == expected
    assert (links["vtep0"].kind, links["lo"].kind) == ("veth", None)
    assert (links["vtep0"].mtu, links["vtep1"].mtu, links["lo"].mtu) == (1500, 9000, 65536)
    assert addresses is not None
    assert addresses["10.0.0.1"] == ("vtep0", 23, "ipv4")
    assert addresses["10.0.0.2"] == ("vtep1", 23, "ipv4")
    assert addresses["fd00::2"] == ("vtep1", 64, "ipv6")
    assert any(ip.startswith("fe80:") and ip.endswith("%vtep0") for ip in addresses)


def test_a_missing_namespace_is_unavailable_and_never_created() -> None:
    with NetlinkReader("mvtep-test-no-such-namespace") as nl, pytest.raises(Unavailable):
        nl.rules()
    assert not netns.exists("mvtep-test-no-such-namespace")


def test_a_broken_socket_is_closed_and_the_next_request_reopens(ns: str) -> None:
    with NetlinkReader(ns) as nl:
        assert nl.links().error is None
        os.close(nl._sock.get().fileno())  # the descriptor goes away under the reader
        assert nl.links() == NetlinkAnswer(error="EBADF")
        again = nl.links()
        assert again.error is None and "vtep0" in (decode_links(again).value or {})


# -- damaged bytes -------------------------------------------------------------------------


def answers(ns: str) -> dict[str, tuple[NetlinkAnswer, object]]:
    """Real answers of each kind, with a decoder for each."""
    with NetlinkReader(ns) as nl:
        links = decode_links(nl.links()).value or {}
        return {
            "links": (nl.links(), decode_links),
            "addresses": (nl.addresses(), lambda a: decode_addresses(a, links)),
            "rules": (nl.rules(), decode_rules),
            "routes": (nl.routes(6081), lambda a: decode_routes(a, links)),
            "route-get": (nl.route_get(FAR, "10.0.0.1"), lambda a: decode_route_answer(FAR, "10.0.0.1", a, links)),
        }


def test_every_cut_decodes_to_a_value_or_an_error(ns: str) -> None:
    for name, (good, decode) in answers(ns).items():
        data = good.messages
        assert data, name
        for cut in range(0, len(data), 1 if len(data) < 1200 else 3):
            for bytes_ in (data[:cut], _fixed_up(data[:cut])):
                result = decode(NetlinkAnswer(bytes_))  # type: ignore[operator]
                assert isinstance(result, (Reading, RouteAnswer)), (name, cut)


def _fixed_up(data: bytes) -> bytes:
    """The cut with its last message's length made to fit: an attribute now runs off the end."""
    offset = 0
    while offset + 16 <= len(data):
        length = struct.unpack_from("=I", data, offset)[0]
        if length < 16 or offset + length > len(data):
            return data[:offset] + struct.pack("=I", len(data) - offset) + data[offset + 4:]
        offset += (length + 3) & ~3
    return data


def test_random_damage_never_raises(ns: str) -> None:
    rnd = random.Random(6081)
    for name, (good, decode) in answers(ns).items():
        data = good.messages
        for _ in range(150):
            junk = bytearray(data)
            for _ in range(rnd.randrange(1, 8)):
                junk[rnd.randrange(len(junk))] = rnd.getrandbits(8)
            result = decode(NetlinkAnswer(bytes(junk)))  # type: ignore[operator]
            assert isinstance(result, (Reading, RouteAnswer)), name
        for size in (0, 3, 16, 40, 200):
            result = decode(NetlinkAnswer(bytes(rnd.getrandbits(8) for _ in range(size))))  # type: ignore[operator]
            assert isinstance(result, (Reading, RouteAnswer)), name


def test_what_cannot_be_decoded_says_so() -> None:
    header = struct.pack("=IHHII", 16 + 16, 16, 0, 1, 0)  # RTM_NEWLINK, an ifinfomsg, no attributes
    nameless = header + struct.pack("=BBHiII", socket.AF_UNSPEC, 0, 1, 7, 0, 0)
    assert decode_links(NetlinkAnswer(nameless)) == Reading.failed("a link without a name")
    assert decode_links(NetlinkAnswer(nameless[:20])) == Reading.failed("truncated reply")
    assert decode_links(NetlinkAnswer(struct.pack("=IHHII", 16, 24, 0, 1, 0))) == Reading.failed(
        "unexpected message type 24")
    assert decode_links(NetlinkAnswer(error="EPERM")) == Reading.failed("EPERM")
    assert decode_route_answer("a", "b", NetlinkAnswer(), {}).error == "no answer"
