"""The offload evidence readers: ethtool statistics (hw.ethstats), neighbours
(hw.routing.decode_neighbours) and conntrack (hw.conntrack), each on the real
kernel in a scratch network namespace where it can be, and on answers shaped
as mlx5 and the kernel give them (tests/nlreplies.py) where it cannot: this
kernel has no mlx5 representor, and conntrack's offload bits cannot be set
from user space (IPS_UNCHANGEABLE_MASK, nf_conntrack_common.h)."""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute, NFCTSocket
from pyroute2.netlink.nfnetlink.nfctsocket import NFCTAttrTuple

from hw import netns
from hw.conntrack import ConntrackReader, ZoneConntrack, zones
from hw.ethstats import Split, StatsReader, has_hw_counters, rep_traffic
from hw.host import HostReader, HostRequests, host_view
from hw.routing import Link, NetlinkReader, decode_links, decode_neighbours
from mvcore.reading import Reading
from mvcore.routes import Neighbour
from mvcore.snapshot import NetdevStats, NetlinkAnswer, StatsSample
from tests.nlreplies import (
    IPS_ASSURED, IPS_CONFIRMED, IPS_HW_OFFLOAD, IPS_OFFLOAD, IPS_SEEN_REPLY, MLX5_REP_STATS, NUD_FAILED,
    NUD_INCOMPLETE, NUD_PERMANENT, NUD_REACHABLE, NUD_STALE, TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_SYN_SENT,
    answer, ct_entry, done, neighbour, rep_stats,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")


@pytest.fixture
def ns() -> Iterator[str]:
    """A scratch namespace with an up veth v0 (10.0.0.1/24) whose peer answers nothing."""
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname="v0", kind="veth", peer="v0p")
            (index,) = ipr.link_lookup(ifname="v0")
            ipr.link("set", index=index, state="up")
            ipr.addr("add", index=index, address="10.0.0.1", prefixlen=24)
        yield name


# -- ethtool -S ----------------------------------------------------------------------------------


@needs_root
def test_a_real_veth_has_statistics_but_no_hardware_counters(ns: str) -> None:
    with StatsReader(ns) as reader:
        found = reader.read("v0")
        assert found.value is not None
        names, values = found.value
        assert names[0] == "peer_ifindex" and len(values) == len(names)  # veth_get_ethtool_stats
        assert reader.read("v0").value == found.value  # the names kept, the values read again
        assert reader.read("nosuch0") == Reading.failed("no such interface")
        assert reader.read("lo") == Reading.failed("EOPNOTSUPP")  # loopback has no statistics
        assert reader.read("x" * 20) == Reading.failed("no such interface")
    assert not has_hw_counters(names)
    assert rep_traffic(NetdevStats(names, (StatsSample(1.0, values),))) == (
        "no hardware vport counters (ethtool -S has no vport_rx_packets: not an mlx5 representor)")
    assert StatsReader("mvtep-test-no-such-ns").read("v0") == Reading.failed(
        "no such network namespace: mvtep-test-no-such-ns")


@needs_root
def test_the_host_reader_samples_statistics(ns: str) -> None:
    with HostReader(ns) as reader:
        state = reader.read(HostRequests(base=False, stats=("v0", "nosuch0")))
    sample = state.stats["v0"].value
    assert sample is not None and len(sample.samples) == 1 and len(sample.samples[0].values) == len(sample.names)
    assert state.stats["nosuch0"] == Reading.failed("no such interface")
    assert host_view(state).stats == state.stats


def mlx5(*samples: tuple[float, tuple[int, ...]]) -> NetdevStats:
    return NetdevStats(MLX5_REP_STATS, tuple(StatsSample(at, values) for at, values in samples))


def test_an_mlx5_representor_splits_hardware_and_software_per_direction() -> None:
    # The VF sent 1,000 packets, 50 of them through software; it received 400, 400 through software.
    one = rep_traffic(mlx5((10.0, rep_stats(vf_sent=(1000, 50), vf_received=(400, 400)))))
    assert not isinstance(one, str)
    assert one.total == {"tx": Split(950, 50, 950_000, 50_000), "rx": Split(0, 400, 0, 400_000)}
    assert one.interval is None and one.seconds is None  # one sample: no rate yet
    two = rep_traffic(mlx5((10.0, rep_stats(vf_sent=(1000, 50), vf_received=(400, 400))),
                           (12.0, rep_stats(vf_sent=(3000, 150), vf_received=(600, 420)))))
    assert not isinstance(two, str) and two.seconds == 2.0
    assert two.interval == {"tx": Split(1900, 100, 1_900_000, 100_000), "rx": Split(180, 20, 180_000, 20_000)}
    assert has_hw_counters(MLX5_REP_STATS)


def test_restarted_counters_give_no_interval() -> None:
    found = rep_traffic(mlx5((10.0, rep_stats(vf_sent=(1000, 50), vf_received=(400, 400))),
                             (11.0, rep_stats(vf_sent=(10, 1), vf_received=(4, 4)))))  # the driver was reloaded
    assert not isinstance(found, str) and found.interval is None and found.total["tx"].packets == 10
    short = rep_traffic(NetdevStats(MLX5_REP_STATS, (StatsSample(1.0, (1, 2)),)))  # a damaged sample
    assert short == "the statistics were not read whole"


# -- neighbours -----------------------------------------------------------------------------------


def test_recorded_neighbours() -> None:
    links = {"vtep0": Link(7, "vtep0", 1500), "vtep1": Link(8, "vtep1", 1500)}
    dump = (neighbour("10.0.1.254", 7, NUD_REACHABLE, "0a:00:00:00:fe:01")
            + neighbour("10.0.1.253", 8, NUD_FAILED) + neighbour("10.0.1.252", 8, NUD_INCOMPLETE)
            + neighbour("fd00::1", 8, NUD_STALE, "0a:00:00:00:fe:02") + neighbour("10.9.9.9", 99, NUD_PERMANENT)
            + done())
    found = decode_neighbours(answer(dump), links)
    assert found.value == (Neighbour("10.0.1.254", "vtep0", "REACHABLE", "0a:00:00:00:fe:01"),
                           Neighbour("10.0.1.253", "vtep1", "FAILED", None),
                           Neighbour("10.0.1.252", "vtep1", "INCOMPLETE", None),
                           Neighbour("fd00::1", "vtep1", "STALE", "0a:00:00:00:fe:02"))  # ifindex 99: no such link
    assert [n.resolved for n in found.value] == [True, False, False, True]
    assert decode_neighbours(NetlinkAnswer(error="EPERM"), links) == Reading.failed("EPERM")
    for cut in range(len(dump)):
        assert isinstance(decode_neighbours(answer(dump[:cut]), links), Reading)
    rnd = random.Random(6081)
    for _ in range(200):
        junk = bytearray(dump)
        junk[rnd.randrange(len(junk))] = rnd.getrandbits(8)
        assert isinstance(decode_neighbours(answer(bytes(junk)), links), Reading)


@needs_root
def test_a_real_unanswered_next_hop_is_unresolved(ns: str) -> None:
    """Sending to an on-link address nobody answers makes the kernel's entry INCOMPLETE, then
    FAILED after its probes: what mlx5 finds when it builds an encap header to that next hop."""
    with IPRoute(netns=ns, flags=0) as ipr:
        (index,) = ipr.link_lookup(ifname="v0")
        ipr.neigh("add", dst="10.0.0.9", lladdr="0a:00:00:00:00:09", ifindex=index, state=NUD_PERMANENT)
    sock = netns.socket_in(ns, socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.sendto(b"x", ("10.0.0.254", 6081))
    finally:
        sock.close()
    with NetlinkReader(ns) as nl:
        links = decode_links(nl.links()).value
        assert links is not None
        found = {n.ip: n for n in decode_neighbours(nl.neighbours(), links).value or ()}
    assert found["10.0.0.9"] == Neighbour("10.0.0.9", "v0", "PERMANENT", "0a:00:00:00:00:09")
    assert found["10.0.0.254"].state in ("INCOMPLETE", "FAILED") and not found["10.0.0.254"].resolved


# -- conntrack ------------------------------------------------------------------------------------

OFFLOADED_TCP = IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED | IPS_OFFLOAD | IPS_HW_OFFLOAD


def test_recorded_conntrack_per_zone() -> None:
    dump = (ct_entry(6, OFFLOADED_TCP, zone=7, tcp_state=TCP_CONNTRACK_ESTABLISHED)  # [HW_OFFLOAD]
            + ct_entry(6, IPS_ASSURED | IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_OFFLOAD, zone=7,
                       tcp_state=TCP_CONNTRACK_ESTABLISHED)  # [OFFLOAD]: act_ct's software flow table
            + ct_entry(6, IPS_ASSURED | IPS_CONFIRMED | IPS_SEEN_REPLY, zone=7, tcp_state=TCP_CONNTRACK_ESTABLISHED)
            + ct_entry(6, IPS_CONFIRMED, zone=7, tcp_state=TCP_CONNTRACK_SYN_SENT)  # not established yet
            + ct_entry(1, IPS_ASSURED | IPS_CONFIRMED | IPS_SEEN_REPLY, zone=7)  # ICMP: never offloaded
            + ct_entry(17, IPS_CONFIRMED, zone=9) + ct_entry(17, IPS_CONFIRMED)  # zone 0: no CTA_ZONE
            + done())
    assert zones(answer(dump)) == Reading.of({
        0: ZoneConntrack(1, 1, 0, 0, 0),
        7: ZoneConntrack(entries=5, offloadable=3, offloaded=2, in_hw=1, icmp=1),
        9: ZoneConntrack(1, 1, 0, 0, 0)})
    assert zones(NetlinkAnswer(error="EPERM")) == Reading.failed("EPERM")
    for cut in range(len(dump)):
        assert isinstance(zones(answer(dump[:cut])), Reading)


@needs_root
def test_real_conntrack_entries_in_zones(ns: str) -> None:
    """Entries created over ctnetlink (what ``conntrack -I`` does) in zone 5 and zone 0, read back."""
    with NFCTSocket(nfgen_family=socket.AF_INET, netns=ns, flags=0) as ct:
        for port, zone in ((53, 5), (54, 5), (55, 0)):
            ct.entry("add", timeout=300, zone=zone, status=IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED,
                     tuple_orig=NFCTAttrTuple(saddr="10.128.0.4", daddr="10.128.0.5", proto=17, sport=1234,
                                              dport=port),
                     tuple_reply=NFCTAttrTuple(saddr="10.128.0.5", daddr="10.128.0.4", proto=17, sport=port,
                                               dport=1234))
    with ConntrackReader(ns) as reader:
        found = reader.dump()
    assert found.error is None
    # established, and not offloaded: nothing here runs act_ct, and the offload bits cannot be set
    assert zones(found) == Reading.of({0: ZoneConntrack(1, 1, 0, 0, 0), 5: ZoneConntrack(2, 2, 0, 0, 0)})
    with HostReader(ns) as host:
        assert host_view(host.read(HostRequests(base=False, conntrack=True))).conntrack == zones(found)
    assert ConntrackReader("mvtep-test-no-such-ns").dump() == NetlinkAnswer(
        error="no such network namespace: mvtep-test-no-such-ns")


def test_time_is_seconds_since_the_epoch() -> None:
    assert abs(time.time() - StatsSample(time.time(), ()).at) < 5
