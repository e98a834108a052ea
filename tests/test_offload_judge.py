"""inspector.offload.judge, rule by rule: each verdict and reason of a path
nothing breaks, from evidence built by hand (tests/test_offload_paths.py
builds it from a modelled node)."""

from __future__ import annotations

from inspector.offload import (
    Conntrack, FlowApi, FlowCount, NextHop, Offload, OffloadEvidence, TcCount, Traffic, judge,
)

READY = Offload(ovs_hw_offload=True, tc_policy=None, kernel_netdev=True, eswitch="switchdev", representor_tc=True,
                uplink_tc=True)
FLOWS_ON = {"tx": FlowCount(2, 2, 0, 900, 0), "rx": FlowCount(1, 1, 0, 900, 0)}


def traffic(hw: float, sw: float) -> dict[str, Traffic]:
    """Both directions at these packets per second."""
    return {d: Traffic(int(hw) * 10, int(sw) * 10, 0, 0, hw, sw) for d in ("tx", "rx")}


def ev(**kw: object) -> OffloadEvidence:
    base: dict[str, object] = {"flows": FLOWS_ON, "seconds": 1.0}
    base.update(kw)
    return OffloadEvidence(**base)  # type: ignore[arg-type]


def test_the_running_state_wins_over_ovsdb() -> None:
    off = judge(Offload(False, None, True, "switchdev", True, True), ev(), "enp1s0f0")
    assert off == ("not-offloaded", "OVS hw-offload is off: every flow stays in the software datapath")
    still_on = judge(Offload(False, None, True, "switchdev", True, True),
                     ev(flow_api=FlowApi(True, "ovs-vswitchd.log: netdev: Flow API Enabled")), "enp1s0f0")
    assert still_on[0] == "offloaded" and "still runs with offload on (until restarted)" in still_on[1]
    disabled = judge(READY, ev(flow_api=FlowApi(False, "dpif/offload/show: Globally enabled: false")), "enp1s0f0")
    assert disabled == ("not-offloaded", "hw-offload is true in OVSDB but ovs-vswitchd runs with flow offload "
                                         "disabled (dpif/offload/show: Globally enabled: false); restart it")


def test_configuration_rules() -> None:
    uplink = Offload(True, None, True, "switchdev", True, False)
    assert judge(uplink, ev(), "enp1s0f0") == ("not-offloaded", "hw-tc-offload is off on the uplink enp1s0f0")
    skip_hw = Offload(True, "skip_hw", True, "switchdev", True, True)
    assert judge(skip_hw, ev(), "enp1s0f0") == (
        "not-offloaded", "OVS other_config:tc-policy is skip_hw: every TC filter stays in software")
    assert judge(READY, ev(ingress_qdisc=False), "enp1s0f0")[1] == (
        "the representor has no ingress qdisc: OVS cannot put its flows in TC")


def test_traffic_decides_once_enough_packets_moved() -> None:
    assert judge(READY, ev(traffic=traffic(990, 10)), None)[0] == "offloaded"
    half = judge(READY, ev(traffic=traffic(500, 500)), None)
    assert half == ("partial", "50% of its packets reached software over the last 1 s (tx 50%, rx 50% in hardware)"
                               ", although all 3 datapath flows say offloaded:yes")
    assert judge(READY, ev(traffic=traffic(50, 950)), None)[0] == "not-offloaded"
    # 40 packets in a second are too few to judge by: the flows decide
    assert judge(READY, ev(traffic=traffic(0, 40)), None) == ("offloaded", "all 3 datapath flows in hardware")
    # ...unless there are no flows left to look at
    assert judge(READY, ev(traffic=traffic(0, 4), flows={}), None)[0] == "not-offloaded"
    assert judge(READY, ev(traffic=traffic(0, 0), flows={}), None)[0] == "idle"


def test_next_hop_filters_and_conntrack() -> None:
    hop = NextHop("10.0.0.2", "10.1.0.1", "10.0.1.254", "vtep1", "FAILED", False)
    assert judge(READY, ev(next_hops=(hop,)), None) == ("partial", (
        "the next hop 10.0.1.254 (vtep1) toward remote VTEP 10.1.0.1 is FAILED: mlx5 keeps the encap rules to it "
        "on the slow path, in software"))
    absent = NextHop("10.0.0.2", "10.1.0.1", "10.0.1.254", "vtep1", None, None)
    assert judge(READY, ev(next_hops=(absent,)), None)[0] == "offloaded"
    decap_sw = {"tx": TcCount(2, 2, 0, 10, 10), "rx": TcCount(1, 0, 1, 5, 0)}
    assert judge(READY, ev(tc=decap_sw), None) == ("partial", "1 TC rule(s) of its traffic are not in hardware")
    assert judge(READY, ev(tc={"rx": TcCount(1, 0, 1)}), None)[0] == "not-offloaded"
    ct = Conntrack(zone=4, entries=12, offloadable=10, offloaded=10, in_hw=5, icmp=2)
    assert judge(READY, ev(conntrack=ct), None) == (
        "partial", "5 of 10 established connections of its conntrack zone 4 are not in hardware")
    assert judge(READY, ev(conntrack=Conntrack(4, 10, 10, 10, 9)), None)[0] == "offloaded"  # 90%: the new ones lag


def test_flags_only_say_so() -> None:
    assert judge(READY, ev(traffic_error="no hardware vport counters"), None) == (
        "offloaded", "all 3 datapath flows in hardware (by the flows' flags only: no hardware counters)")
    mixed = {"tx": FlowCount(2, 2), "rx": FlowCount(2, 0, 1)}
    assert judge(READY, ev(flows=mixed), None) == (
        "partial", "2 of 4 datapath flows in hardware (1 partially) (received: 0 of 2)")
    assert judge(READY, ev(flows={"tx": FlowCount(1), "rx": FlowCount(1)}), None)[0] == "not-offloaded"


def test_an_unknown_eswitch_mode_is_unknown_unless_the_packets_vouch() -> None:
    """No devlink, or not root: nobody can tell the e-switch is in switchdev -- only the counters can."""
    unread = Offload(True, None, True, "unknown", True, True)
    assert judge(unread, ev(eswitch_error="EPERM"), "enp3s0f0np0") == (
        "unknown", "the e-switch mode of enp3s0f0np0 could not be read (EPERM)")
    assert judge(unread, ev(traffic=traffic(990, 10), eswitch_error="EPERM"), "enp3s0f0np0")[0] == "offloaded"
    assert judge(unread, ev(traffic=traffic(10, 990)), "enp3s0f0np0")[0] == "not-offloaded"
