"""Datapath flows per VF and direction (flowprog.dpattrib), why a flow is not
in hardware (flowprog.dpreasons) and what ovs-vswitchd logged about offload
(flowprog.ovslog): recorded lines in the exact formats OVS prints
(lib/dpctl.c format_dpif_flow, lib/vlog.c), taken from real reports where
there are some (each cited), and a real ovs-vswitchd's flows and log."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from flowprog.dpattrib import attribute, match_of, outputs, recirc_id, recircs
from flowprog.dpflows import parse_dump, parse_line
from flowprog.dpreasons import NODE_CAUSES, REASONS, explain, top_level
from flowprog.ovslog import OffloadLog, globally_enabled, offload_log
from mvtep.sandbox.node import Sandbox
from tests.conftest import run_cli
from tests.test_dpflows import (
    DPDK, KERNEL_SW, PARTIAL, TC_DECAP, TC_ENCAP, _enable_hw_offload, _inject, _pod_to_pod_udp, _wait_flows,
    node25, node26,  # noqa: F401 (fixtures)
)

REP, OTHER = "enp3s0f0_0", "enp1s0f0_0"

# -- the VF's flows, both directions -----------------------------------------------------------

# A decap flow whose conntrack recirculation outputs to the VF (the shape of ovn-org/ovn#173's
# "recirc_id(0),tunnel(...geneve(...)),in_port(2)... actions:ct(...),recirc(...)" lines, with -m names).
DECAP_CT = ("ufid:11111111-2222-4333-8444-555555555555, recirc_id(0),tunnel(tun_id=0x3,src=10.1.0.1,dst=10.0.0.3,"
            "geneve({class=0x102,type=0x80,len=4,0x30002/0x7fffffff}),flags(-df+csum+key)),in_port(genev_sys_6081),"
            "ct_state(-new-trk),eth_type(0x0800),ipv4(proto=6,frag=no), packets:30, bytes:3000, used:0.1s, dp:ovs,"
            " actions:ct(zone=9),recirc(0x2a)")
DECAP_OUT = ("ufid:11111111-2222-4333-8444-666666666666, recirc_id(0x2a),tunnel(tun_id=0x3,src=10.1.0.1,"
             "dst=10.0.0.3,flags(-df+csum+key)),in_port(genev_sys_6081),ct_state(-new+est+trk),eth_type(0x0800),"
             "ipv4(proto=6,frag=no), packets:29, bytes:2900, used:0.1s, dp:ovs, actions:enp3s0f0_0")
LOCAL = ("recirc_id(0),in_port(enp1s0f0_0),eth_type(0x0800),ipv4(frag=no), packets:5, bytes:500, used:0.2s,"
         " offloaded:yes, dp:tc, actions:clone(enp3s0f0_0),enp2s0f0_0")


def test_flows_are_counted_for_the_vf_in_both_directions() -> None:
    flows = parse_dump("\n".join([TC_DECAP, TC_ENCAP, DECAP_CT, DECAP_OUT, LOCAL, KERNEL_SW]))
    by_vf = attribute(flows, [REP, OTHER, "nobody_0"])
    mine = by_vf[REP]
    assert [f.in_port for f in mine.tx.flows] == [REP]  # the encap flow it sends
    # received: the TC decap flow, the conntrack decap flow whose recirculation delivers to it,
    # that recirculation, and the other VF's flow that clones a copy to it
    assert [f.raw for f in mine.rx.flows] == [TC_DECAP, DECAP_CT, DECAP_OUT, LOCAL]
    assert (mine.rx.total, mine.rx.offloaded, mine.rx.hw_packets, mine.rx.sw_packets) == (4, 2, 1525, 59)
    assert [f.raw for f in by_vf[OTHER].tx.flows] == [LOCAL, KERNEL_SW] and not by_vf[OTHER].rx.flows
    assert by_vf["nobody_0"].flows == ()
    assert len(mine.flows) == 5


def test_the_pieces() -> None:
    decap_ct, out = parse_line(DECAP_CT), parse_line(DECAP_OUT)
    assert decap_ct is not None and out is not None
    assert (recirc_id(decap_ct), recircs(decap_ct), recirc_id(out), recircs(out)) == (0, (0x2A,), 0x2A, ())
    assert match_of(decap_ct).startswith("recirc_id(0),tunnel(") and "packets:" not in match_of(decap_ct)
    assert outputs("set(tunnel(dst=10.1.0.1)),genev_sys_6081", {"genev_sys_6081"}) == ("genev_sys_6081",)
    assert outputs("check_pkt_len(size=1514,gt(userspace(pid=1)),le(enp3s0f0_0))", {REP}) == (REP,)
    assert top_level("ct(zone=4,nat),recirc(0x1)") == ("ct(zone=4,nat)", "recirc(0x1)")
    assert top_level("") == ()


def test_a_recirculation_loop_does_not_hang() -> None:
    a = "recirc_id(0x1),in_port(genev_sys_6081), packets:1, bytes:1, used:never, actions:recirc(0x2)"
    b = "recirc_id(0x2),in_port(genev_sys_6081), packets:1, bytes:1, used:never, actions:recirc(0x1),enp3s0f0_0"
    assert len(attribute(parse_dump(f"{a}\n{b}"), [REP])[REP].rx.flows) == 2


# -- why, one reason per flow ----------------------------------------------------------------------

ICMP_CT = ("recirc_id(0),in_port(enp3s0f0_0),eth_type(0x0800),ipv4(src=10.128.0.4,proto=1,frag=no),"
           "icmp(type=8,code=0), packets:3, bytes:294, used:0.5s, dp:ovs, actions:ct(zone=4),recirc(0x3)")
NEW = ("recirc_id(0x3),in_port(enp3s0f0_0),ct_state(+new-est+trk),eth_type(0x0800),ipv4(proto=6,frag=no),"
       " packets:1, bytes:74, used:0.5s, dp:ovs, actions:ct(commit,zone=4),genev_sys_6081")
LB = ("recirc_id(0),in_port(enp3s0f0_0),eth_type(0x0800),ipv4(dst=10.96.0.10,proto=6,frag=no), packets:9,"
      " bytes:900, used:0.5s, dp:ovs, actions:hash(l4(0)),recirc(0x7)")
LB_PICK = ("recirc_id(0x7),dp_hash(0x3/0xf),in_port(enp3s0f0_0),eth_type(0x0800),ipv4(frag=no), packets:9,"
           " bytes:900, used:0.5s, dp:ovs, actions:ct(zone=4,nat(dst=10.128.1.5:8080)),recirc(0x8)")
MTU = ("recirc_id(0),in_port(enp3s0f0_0),eth_type(0x0800),ipv4(frag=no), packets:2, bytes:3000, used:0.5s, dp:ovs,"
       " actions:check_pkt_len(size=1414,gt(userspace(pid=3,controller(reason=1))),le(genev_sys_6081))")
GENEVE = ("recirc_id(0),tunnel(tun_id=0x3,src=10.1.0.1,dst=10.0.0.3,geneve({class=0x102,type=0x80,len=4,"
          "0x30002/0x7fffffff}{class=0xffff,type=0x1,len=8,0x1/0xff}),flags(+key)),in_port(genev_sys_6081),"
          "eth_type(0x0800), packets:4, bytes:400, used:0.5s, dp:ovs, actions:enp3s0f0_0")
TC_REFUSED = ("recirc_id(0),in_port(enp3s0f0_0),eth_type(0x0800),ipv4(frag=no), packets:4, bytes:400,"
              " used:0.5s, dp:tc, actions:genev_sys_6081")
PLAIN_SW = ("recirc_id(0),in_port(enp3s0f0_0),eth_type(0x0806), packets:1, bytes:60, used:0.5s, dp:ovs,"
            " actions:genev_sys_6081")
# ovn-org/ovn#160 (marceloleitner's reply): the ingress qdisc was gone from these netdevs.
LOG_160 = ("2022-11-09T09:44:47.380Z|00011|dpif_netlink(handler1)|ERR|failed to offload flow: No such file or "
           "directory: ovn-f14c0f-0\n"
           "2022-11-09T09:44:47.383Z|00005|dpif_netlink(handler3)|ERR|failed to offload flow: No such file or "
           "directory: br-ext\n")
# ovn-kubernetes#839: the NIC refused every flow of a representor.
LOG_839 = ("2019-09-23T03:14:48.824Z|00035|dpif_netlink(handler2)|ERR|failed to offload flow: Operation not "
           "supported: enp3s0f0_0\n")
# ovn-org/ovn#207 (the same reporter, NAT and ACLs): an offload error that names no netdev.
LOG_207 = ("2023-01-13T06:50:43.423Z|00290|netdev_offload_tc(handler3)|ERR|flow_put: recirc_id sharing not "
           "supported\n")
QDISC_GONE = ("recirc_id(0),in_port(ovn-f14c0f-0),eth_type(0x0800), packets:1, bytes:100, used:0.5s, dp:ovs,"
              " actions:enp3s0f0_0")


def reasons(lines: list[str], log: str = "", **kw: object) -> list[str]:
    return [w.reason.code for w in explain(parse_dump("\n".join(lines)), offload_log(log), **kw)]  # type: ignore[arg-type]


def test_every_flow_of_the_test_set_gets_its_cause() -> None:
    lines = [KERNEL_SW, MTU, QDISC_GONE, TC_REFUSED, LB, LB_PICK, GENEVE, ICMP_CT, NEW, PARTIAL, PLAIN_SW,
             TC_ENCAP, DPDK]
    assert reasons(lines, LOG_160) == [
        "userspace", "check-pkt-len", "no-ingress-qdisc", "not-in-hw", "dp-hash", "dp-hash", "geneve-options",
        "ct-icmp", "ct-new", "partial", "unknown"]  # the two offloaded:yes flows are not explained
    why = {w.reason.code: w for w in explain(parse_dump("\n".join(lines)), offload_log(LOG_160))}
    assert why["no-ingress-qdisc"].log == tuple(LOG_160.splitlines()[:1])  # the line about that netdev
    assert why["geneve-options"].detail == "2 option(s) of 4, 8 bytes"
    assert why["partial"].detail == "ct, recirc"


def test_a_logged_failure_names_the_error_and_unknown_shows_the_log() -> None:
    (failed,) = explain(parse_dump(PLAIN_SW), offload_log(LOG_839))
    assert (failed.reason.code, failed.detail, failed.log) == ("offload-failed", "Operation not supported",
                                                               (LOG_839.strip(),))
    (unknown,) = explain(parse_dump(PLAIN_SW), offload_log(LOG_207))
    assert (unknown.reason.code, unknown.log) == ("unknown", (LOG_207.strip(),))
    (bare,) = explain(parse_dump(PLAIN_SW), OffloadLog())
    assert (bare.reason.code, bare.log) == ("unknown", ())
    (no_qdisc,) = explain(parse_dump(PLAIN_SW), OffloadLog(), no_qdisc={REP})  # seen by TC, nothing logged
    assert no_qdisc.reason.code == "no-ingress-qdisc"


@pytest.mark.parametrize("cause", NODE_CAUSES)
def test_a_node_cause_explains_every_flow(cause: str) -> None:
    assert set(reasons([KERNEL_SW, PLAIN_SW, ICMP_CT], node=(cause, "legacy"))) == {cause}


def test_every_reason_says_what_to_do() -> None:
    assert all(r.title and r.action and r.code == code for code, r in REASONS.items())
    assert set(NODE_CAUSES) <= set(REASONS)


# -- the log --------------------------------------------------------------------------------------

START_35 = "2026-12-02T05:00:00.100Z|00057|bridge|INFO|ovs-vswitchd (Open vSwitch) 3.5.0\n"
ENABLED_35 = "2026-12-02T05:00:01.000Z|00060|netdev_offload|INFO|netdev: Flow API Enabled\n"
ENABLED_40 = "2026-12-02T05:00:01.000Z|00060|dpif_offload|INFO|Flow HW offload is enabled\n"


def test_the_log_says_whether_the_running_process_enabled_offload() -> None:
    assert offload_log(START_35 + ENABLED_35).enabled == ENABLED_35.strip()
    assert offload_log(ENABLED_40).enabled == ENABLED_40.strip()  # started before the tail: still this process
    restarted = offload_log(START_35 + ENABLED_35 + START_35)
    assert restarted.enabled is None and restarted.started == START_35.strip()  # the new process has not
    assert offload_log("").enabled is None
    qdisc = offload_log("2026-12-02T05:00:02Z|00061|netdev_offload_tc|INFO|failed adding ingress qdisc required "
                        "for offloading on enp3s0f0_0: Operation not permitted\n")
    assert qdisc.errors == {REP: "no ingress qdisc: Operation not permitted"}
    assert globally_enabled("Globally enabled: true\nDatapaths:\nsystem@ovs-system:\n  tc\n") is True
    assert globally_enabled("Globally enabled: false\nDatapaths:\n") is False
    assert globally_enabled('"dpif/offload/show" is not a valid command') is None


# -- a real ovs-vswitchd: its flows, its log, dpif/offload/show ------------------------------------

def _why(box: Sandbox, vf: str) -> dict[str, Any]:
    env = {**os.environ, "OVS_RUNDIR": str(box.rundir)}
    env.pop("MVTEP_NETNS", None)
    if box.netns:
        env["MVTEP_NETNS"] = box.netns
    res = run_cli(["paths", "--vf", vf, "--why", "--json"], env=env)
    assert res.status in (0, 1), res.err
    doc: dict[str, Any] = json.loads(res.out)
    return doc


@pytest.mark.sandbox
def test_ovs_35_offload_off_and_then_enabled_as_its_log_says(node25: Sandbox) -> None:  # noqa: F811
    """OVN 25.03's ovs-vswitchd: OVS 3.5."""
    port, packet = _pod_to_pod_udp(node25)
    _inject(node25, port, packet)
    _wait_flows(node25, lambda fs: any(f.in_port == port for f in fs))
    doc = _why(node25, port)
    # 3.5 has no dpif/offload/show; its log holds its start and no enabling since
    assert doc["flow_offload"] == {
        "running": False, "source": 'ovs-vswitchd.log: no "Flow API Enabled" since ovs-vswitchd (Open vSwitch) 3.5.0'}
    (p,) = doc["paths"]
    assert {w["reason"] for w in p["why"]} == {"hw-offload-off"} and p["why"][0]["flows"]
    _enable_hw_offload(node25, port)
    doc = _why(node25, port)
    assert doc["flow_offload"] == {"running": True, "source": "ovs-vswitchd.log: netdev: Flow API Enabled"}
    assert doc["paths"][0]["verdict"] == "not-offloaded"  # a dummy port is no kernel netdev


@pytest.mark.sandbox
def test_ovs_40_says_it_runs_with_offload_and_why_flows_are_partial(node26: Sandbox) -> None:  # noqa: F811
    """OVN 26.03's ovs-vswitchd: OVS 4.0."""
    port, packet = _pod_to_pod_udp(node26)
    assert _why(node26, port)["flow_offload"] == {"running": False,
                                                  "source": "dpif/offload/show: Globally enabled: false"}
    _enable_hw_offload(node26, port)
    _inject(node26, port, packet)
    _wait_flows(node26, lambda fs: any(f.in_port == port and f.offloaded == "partial" for f in fs))
    doc = _why(node26, port)
    assert doc["flow_offload"] == {"running": True, "source": "dpif/offload/show: Globally enabled: true"}
    (p,) = doc["paths"]
    reasons = {w["reason"]: w for w in p["why"]}
    assert "partial" in reasons and set(reasons) <= {"partial", "userspace", "ct-new"}
    assert reasons["partial"]["flows"][0]["flow"].startswith("ufid:") and ", offloaded:partial, dp:ovs, " in \
        reasons["partial"]["flows"][0]["flow"]
    assert p["offload"]["flows"]["tx"]["partial"] >= 1
