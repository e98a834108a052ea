"""TC flower offload state: hw.routing.decode_tc over recorded RTM_NEWTFILTER
dumps (built byte for byte as the kernel builds them, tests/nlreplies.py),
and NetlinkReader.tc_ingress against the real kernel in a scratch network
namespace.  This kernel has no cls_flower, so real flower filters cannot
exist here: the reader must find none, quietly, under a real u32 filter."""

from __future__ import annotations

import os
import random
import socket
import struct
from collections.abc import Iterator
from dataclasses import replace

import pytest
from pyroute2 import IPRoute
from pyroute2 import netns as pyroute2_netns

from hw import netns
from hw.routing import NetlinkReader, decode_tc
from hw.tcflower import INGRESS_PARENT, TcFilter, TcOffload, flower_filter, parse_flower_options, summarize_filters
from mvcore.errors import Unavailable
from mvcore.snapshot import NetlinkAnswer
from tests.nlreplies import (
    IN_HW, NLA_F_NESTED, NOT_IN_HW, SKIP_HW, SKIP_SW, TCA_FLOWER_FLAGS, TCA_FLOWER_IN_HW_COUNT,
    TCA_FLOWER_KEY_ENC_OPTS, answer, decap_actions, done, flower_options, nla, nlmsg, string, tfilter, u32,
)

DUMP = (
    tfilter(0, "flower", None)  # the per-classifier message: not a filter
    + tfilter(1, "flower", flower_options(IN_HW, 1))
    + tfilter(2, "flower", flower_options(NOT_IN_HW, 0))
    + tfilter(3, "flower", flower_options(None, 0))  # flags absent: OVS's "undefined"
    + tfilter(4, "flower", flower_options(SKIP_SW | IN_HW, 2))
    + tfilter(5, "flower", flower_options(SKIP_HW | NOT_IN_HW, 0))
    + done()
)


def counts(tc: TcOffload) -> TcOffload:
    """The summary alone (the per-filter details left out)."""
    return replace(tc, filters=())


def test_a_recorded_dump_counts_in_hw_not_in_hw_and_absent_flags() -> None:
    found = decode_tc(answer(DUMP))
    assert counts(found) == TcOffload(total=5, in_hw=2, not_in_hw=2, in_hw_count=3, error=None)
    assert [(f.flags, f.in_hw_count, f.in_hw, f.actions) for f in found.filters] == [
        (IN_HW, 1, True, ("mirred",)), (NOT_IN_HW, 0, False, ("mirred",)), (None, 0, False, ("mirred",)),
        (SKIP_SW | IN_HW, 2, True, ("mirred",)), (SKIP_HW | NOT_IN_HW, 0, False, ("mirred",))]
    assert found.ingress is None  # the dump held no qdisc


def test_a_decap_filter_names_its_target_and_counts_hardware_and_software() -> None:
    """tc -s filter show dev genev_sys_6081 ingress: "Sent 2000 bytes 20 pkt ... Sent software 200
    bytes 2 pkt, Sent hardware 1800 bytes 18 pkt", redirecting to the representor (ifindex 12)."""
    (f,) = decode_tc(answer(tfilter(1, "flower", flower_options(IN_HW, 1, decap_actions(12, 20, 18))) + done())).filters
    assert (f.packets, f.hw_packets, f.bytes, f.hw_bytes) == (20, 18, 2000, 1800)
    assert (f.actions, f.redirects, f.in_hw) == (("tunnel_key", "mirred"), (12,), True)
    big = decode_tc(answer(tfilter(1, "flower", flower_options(IN_HW, 1, decap_actions(12, 5 << 32, 3 << 32)))
                           + done())).filters[0]
    assert (big.packets, big.hw_packets) == (5 << 32, 3 << 32)  # TCA_STATS_PKT64 after each basic
    plain = flower_filter(flower_options(NOT_IN_HW, 0))
    assert (plain.packets, plain.redirects) == (None, ())  # an action without stats or options


def test_other_classifiers_are_not_counted() -> None:
    u32_sel = nla(5, b"\0" * 16)  # TCA_U32_SEL
    dump = tfilter(0x800, "u32", u32_sel) + tfilter(1, "matchall", u32(3, IN_HW)) + done()
    assert decode_tc(answer(dump)) == TcOffload(0, 0, 0, 0)


def test_summarize_filters() -> None:
    filters = [TcFilter("flower", 1, flower_options(IN_HW, 1)), TcFilter("flower", 0, None),
               TcFilter("u32", 2, flower_options(IN_HW, 1))]
    assert counts(summarize_filters(filters)) == TcOffload(1, 1, 0, 1)


def test_refusals_and_damage_are_errors() -> None:
    assert decode_tc(NetlinkAnswer(error="ENODEV")) == TcOffload.failed("no such interface")
    assert decode_tc(NetlinkAnswer(error="EPERM")) == TcOffload.failed("EPERM")
    assert decode_tc(answer(DUMP[:50])).error == "truncated reply"
    assert decode_tc(answer(b"")) == TcOffload(0, 0, 0, 0)  # no qdisc: nothing to dump


def test_every_cut_and_random_damage_never_raise() -> None:
    for cut in range(len(DUMP)):
        assert isinstance(decode_tc(answer(DUMP[:cut])), TcOffload)
    rnd = random.Random(6081)
    for _ in range(300):
        junk = bytearray(DUMP)
        for _ in range(rnd.randrange(1, 8)):
            junk[rnd.randrange(len(junk))] = rnd.getrandbits(8)
        assert isinstance(decode_tc(answer(bytes(junk))), TcOffload)


def test_parse_flower_options_forms_and_damage() -> None:
    good = u32(TCA_FLOWER_FLAGS, IN_HW) + u32(TCA_FLOWER_IN_HW_COUNT, 3)
    assert parse_flower_options(good) == (IN_HW, 3)
    assert parse_flower_options(b"") == (None, None)
    # cut short in the second attribute: what came before is kept
    assert parse_flower_options(good[:10]) == (IN_HW, None)
    # a zero-length header stops the walk instead of looping
    assert parse_flower_options(b"\0\0\0\0" + good) == (None, None)
    # a wrong-sized FLAGS is not read as one
    assert parse_flower_options(nla(TCA_FLOWER_FLAGS, b"\x04\0")) == (None, None)
    # NLA_F_NESTED / NLA_F_NET_BYTEORDER bits are not part of the type; a flagged nest is stepped over
    assert parse_flower_options(u32(TCA_FLOWER_IN_HW_COUNT | (1 << 14), 5)) == (None, 5)
    flagged = nla(TCA_FLOWER_KEY_ENC_OPTS | NLA_F_NESTED, u32(TCA_FLOWER_FLAGS, NOT_IN_HW))
    assert parse_flower_options(flagged + good) == (IN_HW, 3)
    assert parse_flower_options(flower_options(IN_HW, 1)) == (IN_HW, 1)
    assert parse_flower_options(string(1, "mirred")) == (None, None)


# The real kernel ----------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")


@pytest.fixture
def ns() -> Iterator[str]:
    """A scratch namespace with a veth pair v0/v1; removed afterwards."""
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname="v0", kind="veth", peer="v1")
        yield name


def ingress(ifname: str, ns: str | None) -> TcOffload:
    with NetlinkReader(ns) as nl:
        return decode_tc(nl.tc_ingress(ifname))


@needs_root
def test_no_qdisc_is_zero_filters(ns: str) -> None:
    assert ingress("v0", ns) == TcOffload(0, 0, 0, 0, None)


@needs_root
@pytest.mark.parametrize("qdisc", ["clsact", "ingress"])
def test_a_real_ingress_hook_with_a_u32_filter_has_no_flower_filters(ns: str, qdisc: str) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:
        (index,) = ipr.link_lookup(ifname="v0")
        ipr.tc("add", qdisc, index)
        # cls_u32 is built into this kernel, cls_flower is not; no action (act_gact is missing too).
        ipr.tc("add-filter", "u32", index, parent=INGRESS_PARENT, protocol=0x0800, prio=1,
               target=0x10001, keys=["0x0/0x0+0"])
    with NetlinkReader(ns) as nl:
        found = nl.tc_ingress("v0")
    assert found.error is None and found.messages  # the filter is really there, under the parent asked
    assert decode_tc(found) == TcOffload(0, 0, 0, 0, None, ingress=True)


@needs_root
def test_an_up_netdev_without_ingress_qdisc_says_so(ns: str) -> None:
    """Up, a netdev has its root qdisc (noqueue on a veth) in the dump, and no ingress one:
    where OVS would log "failed to offload flow: No such file or directory"."""
    with IPRoute(netns=ns, flags=0) as ipr:
        (index,) = ipr.link_lookup(ifname="v0")
        ipr.link("set", index=index, state="up")
    assert ingress("v0", ns).ingress is False


@needs_root
def test_a_missing_interface_is_an_error_answer(ns: str) -> None:
    with NetlinkReader(ns) as nl:
        assert nl.tc_ingress("nosuch0") == NetlinkAnswer(error="ENODEV")
        assert nl.tc_ingress("a-name-far-too-long-for-linux") == NetlinkAnswer(error="ENODEV")
        assert nl.tc_ingress("") == NetlinkAnswer(error="ENODEV")
    assert ingress("nosuch0", ns) == TcOffload(0, 0, 0, 0, "no such interface")


@needs_root
def test_a_missing_namespace_is_unavailable() -> None:
    name = "mvtep-test-no-such-namespace"
    with pytest.raises(Unavailable):
        ingress("v0", name)
    assert not netns.exists(name)  # and it was not created on the way


def test_a_missing_interface_in_this_namespace_is_an_error_answer() -> None:
    # a read-only lookup of a name no host interface has
    assert ingress("mvtep-nosuch0", None).error == "no such interface"


# -- shared blocks (what OVS makes of a bond and its members) --------------------------------

RTM_NEWQDISC = 36


def ingress_qdisc(ifindex: int, block: int | None) -> bytes:
    """RTM_NEWQDISC of an ingress qdisc as tc_fill_qdisc() writes it: struct tcmsg with
    handle ffff:, parent TC_H_INGRESS, TCA_KIND, and TCA_INGRESS_BLOCK (13) when bound to one."""
    body = struct.pack("=BBHiIII", 0, 0, 0, ifindex, 0xFFFF0000, 0xFFFFFFF1, 1) + string(1, "ingress")
    return nlmsg(RTM_NEWQDISC, body + (u32(13, block) if block else b""))


def test_a_recorded_shared_block_dump() -> None:
    # the block's filters carry tcm_ifindex TCM_IFINDEX_MAGIC_BLOCK (-1): the block, not the netdev
    dump = (ingress_qdisc(9, 9) + tfilter(1, "flower", flower_options(IN_HW, 2), ifindex=-1)
            + tfilter(2, "flower", flower_options(NOT_IN_HW, 0), ifindex=-1) + done())
    assert counts(decode_tc(answer(dump))) == TcOffload(2, 1, 1, 2, None, block=9, ingress=True)
    assert decode_tc(answer(ingress_qdisc(9, None) + DUMP)).block is None


@needs_root
def test_a_real_shared_block_is_read_by_block(ns: str) -> None:
    """An ingress qdisc bound to block 22 (``tc qdisc add dev v0 ingress_block 22 ingress``,
    sent as the bytes tc sends) with a u32 filter on the block: the reader dumps the block."""
    with IPRoute(netns=ns, flags=0) as ipr:
        (index,) = ipr.link_lookup(ifname="v0")
    sock = pyroute2_netns.create_socket(ns, socket.AF_NETLINK, socket.SOCK_RAW, 0, flags=0)  # NETLINK_ROUTE
    try:
        body = struct.pack("=BBHiIII", 0, 0, 0, index, 0xFFFF0000, 0xFFFFFFF1, 0) + string(1, "ingress")
        sock.send(nlmsg(RTM_NEWQDISC, body + u32(13, 22), flags=0x1 | 0x4 | 0x400 | 0x200))  # REQUEST ACK CREATE EXCL
        assert struct.unpack_from("=i", sock.recv(4096), 16)[0] == 0
    finally:
        sock.close()
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.tc("add-filter", "u32", -1, parent=22, protocol=0x0800, prio=1, target=0x10001, keys=["0x0/0x0+0"])
    with NetlinkReader(ns) as nl:
        found = nl.tc_ingress("v0")
    types = {struct.unpack_from("=H", found.messages, off + 4)[0] for off in _offsets(found.messages)}
    assert {RTM_NEWQDISC, 44} <= types  # the qdisc, then the block's filter
    assert decode_tc(found) == TcOffload(0, 0, 0, 0, None, block=22, ingress=True)


def _offsets(data: bytes) -> list[int]:
    out, off = [], 0
    while off < len(data):
        out.append(off)
        off += (struct.unpack_from("=I", data, off)[0] + 3) & ~3
    return out
