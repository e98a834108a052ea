"""hw.tcflower: recorded RTM_NEWTFILTER dumps, byte for byte as the kernel
builds them, decoded by pyroute2's own rtnetlink marshal; and the real
kernel, in a scratch network namespace (it has no cls_flower, so real
flower filters cannot exist here: the reader must find none, quietly)."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute
from pyroute2.netlink.rtnl.marshal import MarshalRtnl

from hw import netns
from hw.tcflower import (
    INGRESS_PARENT, TcFilter, TcOffload, filter_from_message, ingress_filters, options_bytes,
    parse_flower_options, summarize_filters,
)

# uapi linux/rtnetlink.h, linux/netlink.h, linux/pkt_sched.h, linux/pkt_cls.h
RTM_NEWTFILTER = 44
NLMSG_DONE = 3
NLM_F_MULTI = 0x2
NLA_F_NESTED = 1 << 15
TCA_KIND, TCA_OPTIONS, TCA_CHAIN = 1, 2, 11
TCA_FLOWER_ACT, TCA_FLOWER_KEY_ETH_DST, TCA_FLOWER_KEY_ETH_DST_MASK = 3, 4, 5
TCA_FLOWER_KEY_ETH_TYPE, TCA_FLOWER_KEY_IP_PROTO = 8, 9
TCA_FLOWER_FLAGS, TCA_FLOWER_KEY_ENC_OPTS, TCA_FLOWER_IN_HW_COUNT = 22, 84, 86
TCA_FLOWER_KEY_ENC_OPTS_GENEVE = 1
SKIP_HW, SKIP_SW, IN_HW, NOT_IN_HW = 1 << 0, 1 << 1, 1 << 2, 1 << 3


def nla(kind: int, payload: bytes) -> bytes:
    """struct nlattr: u16 nla_len (header included), u16 nla_type, payload, pad to 4."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def u32(value: int) -> bytes:
    return struct.pack("=I", value)


def tfilter(handle: int, kind: str, options: bytes | None, *, ifindex: int = 7, prio: int = 2,
            seq: int = 1) -> bytes:
    """One RTM_NEWTFILTER as tcf_fill_node() writes it: struct tcmsg
    {u8 family, u8 pad1, u16 pad2, int ifindex, u32 handle, u32 parent,
    u32 info = prio<<16 | htons(ETH_P_IP)}, TCA_KIND, TCA_CHAIN, then
    TCA_OPTIONS (nested without NLA_F_NESTED: nla_nest_start_noflag)."""
    info = (prio << 16) | socket.htons(0x0800)
    body = struct.pack("=BBHiIII", socket.AF_UNSPEC, 0, 0, ifindex, handle, INGRESS_PARENT, info)
    body += nla(TCA_KIND, kind.encode() + b"\0") + nla(TCA_CHAIN, u32(0))
    if options is not None:
        body += nla(TCA_OPTIONS, options)
    return struct.pack("=IHHII", 16 + len(body), RTM_NEWTFILTER, NLM_F_MULTI, seq, 0) + body


def flower_options(flags: int | None, in_hw_count: int) -> bytes:
    """What fl_dump() puts in TCA_OPTIONS for a Geneve decap rule: keys
    (fl_dump_key, with the tunnel options nested: fl_dump_key_options), FLAGS
    only when non-zero, IN_HW_COUNT always, then the actions nest
    (tcf_exts_dump).  Every nest is started with nla_nest_start_noflag()."""
    geneve = nla(TCA_FLOWER_KEY_ENC_OPTS_GENEVE,
                 nla(1, struct.pack("!H", 0x0102)) + nla(2, b"\x80") + nla(3, u32(0x10002)))
    out = (nla(TCA_FLOWER_KEY_ETH_DST, bytes.fromhex("0a0100000002"))
           + nla(TCA_FLOWER_KEY_ETH_DST_MASK, b"\xff" * 6)
           + nla(TCA_FLOWER_KEY_ETH_TYPE, struct.pack("!H", 0x0800))
           + nla(TCA_FLOWER_KEY_IP_PROTO, b"\x11")
           + nla(TCA_FLOWER_KEY_ENC_OPTS, geneve))
    if flags is not None:
        out += nla(TCA_FLOWER_FLAGS, u32(flags))
    out += nla(TCA_FLOWER_IN_HW_COUNT, u32(in_hw_count))
    return out + nla(TCA_FLOWER_ACT, nla(1, nla(TCA_KIND, b"mirred\0")))


def done(seq: int = 1) -> bytes:
    return struct.pack("=IHHIIi", 20, NLMSG_DONE, NLM_F_MULTI, seq, 0, 0)


def decode(dump: bytes) -> list[TcFilter]:
    """What the live adapter sees: pyroute2's rtnetlink marshal turns the
    dump into tcmsg objects (nlsocket/core.py does exactly this)."""
    return [filter_from_message(m) for m in MarshalRtnl().parse(dump) if m["header"]["type"] == RTM_NEWTFILTER]


def test_a_recorded_dump_counts_in_hw_not_in_hw_and_absent_flags() -> None:
    dump = (
        tfilter(0, "flower", None)  # the per-classifier message: not a filter
        + tfilter(1, "flower", flower_options(IN_HW, 1))
        + tfilter(2, "flower", flower_options(NOT_IN_HW, 0))
        + tfilter(3, "flower", flower_options(None, 0))  # flags absent: OVS's "undefined"
        + tfilter(4, "flower", flower_options(SKIP_SW | IN_HW, 2))
        + tfilter(5, "flower", flower_options(SKIP_HW | NOT_IN_HW, 0))
        + done()
    )
    filters = decode(dump)
    assert [f.handle for f in filters] == [0, 1, 2, 3, 4, 5]
    assert filters[0] == TcFilter("flower", 0, None)
    assert summarize_filters(filters) == TcOffload(total=5, in_hw=2, not_in_hw=2, in_hw_count=3, error=None)


def test_pyroute2_hands_flower_options_over_as_a_hex_string() -> None:
    (msg,) = [m for m in MarshalRtnl().parse(tfilter(9, "flower", flower_options(IN_HW, 1)))]
    raw = msg.get_attr("TCA_OPTIONS")
    assert isinstance(raw, str) and raw.startswith("0a:00:04:00:0a:01")  # nla_len 10, KEY_ETH_DST
    assert options_bytes(raw) == flower_options(IN_HW, 1)
    assert parse_flower_options(raw) == (IN_HW, 1)


def test_other_classifiers_are_not_counted() -> None:
    u32_sel = nla(5, b"\0" * 16)  # TCA_U32_SEL, decoded by pyroute2's u32 plugin
    dump = tfilter(0x800, "u32", u32_sel) + tfilter(1, "matchall", nla(3, u32(IN_HW))) + done()
    filters = decode(dump)
    assert [f.kind for f in filters] == ["u32", "matchall"]
    assert summarize_filters(filters) == TcOffload(0, 0, 0, 0)


def test_parse_flower_options_forms_and_damage() -> None:
    good = nla(TCA_FLOWER_FLAGS, u32(IN_HW)) + nla(TCA_FLOWER_IN_HW_COUNT, u32(3))
    assert parse_flower_options(good) == (IN_HW, 3)
    assert parse_flower_options(good.hex()) == (IN_HW, 3)
    assert parse_flower_options(":".join(f"{b:02x}" for b in good)) == (IN_HW, 3)
    assert parse_flower_options(b"") == (None, None)
    assert parse_flower_options("zz:00") == (None, None)
    # cut short in the second attribute: what came before is kept
    assert parse_flower_options(good[:10]) == (IN_HW, None)
    # a zero-length header stops the walk instead of looping
    assert parse_flower_options(b"\0\0\0\0" + good) == (None, None)
    # a wrong-sized FLAGS is not read as one
    assert parse_flower_options(nla(TCA_FLOWER_FLAGS, b"\x04\0")) == (None, None)
    # NLA_F_NESTED / NLA_F_NET_BYTEORDER bits are not part of the type; a flagged nest is stepped over
    assert parse_flower_options(nla(TCA_FLOWER_IN_HW_COUNT | (1 << 14), u32(5))) == (None, 5)
    flagged = nla(TCA_FLOWER_KEY_ENC_OPTS | NLA_F_NESTED, nla(TCA_FLOWER_FLAGS, u32(NOT_IN_HW)))
    assert parse_flower_options(flagged + good) == (IN_HW, 3)


def test_options_bytes() -> None:
    assert options_bytes("0x0800") == b"\x08\x00"
    assert options_bytes(bytearray(b"\x01")) == b"\x01"
    assert options_bytes({"attrs": []}) is None
    assert options_bytes(None) is None


# The real kernel ----------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")


@pytest.fixture
def ns() -> Iterator[str]:
    """A scratch namespace with a veth pair v0/v1; removed afterwards."""
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname="v0", kind="veth", peer="v1")
        yield name


def _index(ns: str) -> int:
    with IPRoute(netns=ns, flags=0) as ipr:
        return int(ipr.link_lookup(ifname="v0")[0])


@needs_root
def test_no_qdisc_is_zero_filters(ns: str) -> None:
    assert ingress_filters("v0", ns) == TcOffload(0, 0, 0, 0, None)


@needs_root
@pytest.mark.parametrize("qdisc", ["clsact", "ingress"])
def test_a_real_ingress_hook_with_a_u32_filter_has_no_flower_filters(ns: str, qdisc: str) -> None:
    index = _index(ns)
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.tc("add", qdisc, index)
        # cls_u32 is built into this kernel, cls_flower is not; no action (act_gact is missing too).
        ipr.tc("add-filter", "u32", index, parent=INGRESS_PARENT, protocol=0x0800, prio=1,
               target=0x10001, keys=["0x0/0x0+0"])
        kinds = [m.get_attr("TCA_KIND") for m in ipr.get_filters(index=index, parent=INGRESS_PARENT)]
    assert kinds and set(kinds) == {"u32"}  # the filter is really there, under the parent the reader asks
    assert ingress_filters("v0", ns) == TcOffload(0, 0, 0, 0, None)


@needs_root
def test_a_missing_interface_is_an_error_answer(ns: str) -> None:
    assert ingress_filters("nosuch0", ns) == TcOffload(0, 0, 0, 0, "no such interface")
    assert ingress_filters("a-name-far-too-long-for-linux", ns).error == "no such interface"
    assert ingress_filters("", ns).error == "no such interface"


@needs_root
def test_a_missing_namespace_is_an_error_answer() -> None:
    name = "mvtep-test-no-such-namespace"
    assert ingress_filters("v0", name) == TcOffload(0, 0, 0, 0, f"no such network namespace: {name}")
    assert not netns.exists(name)  # and it was not created on the way


def test_a_missing_interface_in_this_namespace_is_an_error_answer() -> None:
    # a read-only lookup of a name no host interface has
    assert ingress_filters("mvtep-nosuch0").error == "no such interface"
