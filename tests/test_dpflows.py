"""flowprog.dpflows and flowprog.unixctl: datapath flows and their
offload state, read from a real ovs-vswitchd (the sandbox's dummy
datapath, packets injected with netdev-dummy/receive) and from recorded
lines in the exact format OVS prints (lib/dpctl.c format_dpif_flow)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowprog.dpflows import UNKNOWN_PORT, DpFlow, PortOffload, parse_dump, parse_line, summarize
from flowprog.unixctl import call, control_socket, daemon_version, datapaths, dump_datapath_flows
from mvcore.errors import Unavailable
from mvtep.sandbox.node import Sandbox, down, up
from mvtep.sandbox.topology import Size

# --- recorded lines ----------------------------------------------------------
# Kernel datapath with TC offload (ovs-appctl dpctl/dump-flows -m on a
# ConnectX-6 node): a Geneve decap flow on the tunnel netdev and a VF
# representor's encap flow, both in hardware.  Same layout as the lines in
# ovn-org/ovn#173 and hw-reference.md section 6; values are this project's.
TC_DECAP = (
    "ufid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9, skb_priority(0/0),tunnel(tun_id=0x3,src=10.1.0.1,dst=10.0.0.3,"
    "ttl=0/0,tp_dst=6081,geneve({class=0x102,type=0x80,len=4,0x30002/0x7fffffff}),flags(+key)),skb_mark(0/0),"
    "ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(genev_sys_6081),"
    "packet_type(ns=0/0,id=0/0),eth(src=0a:02:00:00:00:01,dst=0a:01:00:00:00:03),eth_type(0x0800),"
    "ipv4(src=10.128.128.0,dst=10.128.0.4,proto=6,tos=0/0,ttl=64/0,frag=no),tcp(src=0/0,dst=0/0),tcp_flags(0/0),"
    " packets:1520, bytes:2181632, used:0.370s, offloaded:yes, dp:tc, actions:enp3s0f0_0"
)
TC_ENCAP = (
    "ufid:7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d, skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),"
    "ct_mark(0/0),ct_label(0/0),recirc_id(0),dp_hash(0/0),in_port(enp3s0f0_0),packet_type(ns=0/0,id=0/0),"
    "eth(src=0a:01:00:00:00:03,dst=0a:02:00:00:00:01),eth_type(0x0800),"
    "ipv4(src=10.128.0.4,dst=10.128.128.0,proto=6,tos=0/0,ttl=64,frag=no),tcp(src=0/0,dst=0/0),tcp_flags(0/0),"
    " packets:10, bytes:980, used:2.890s, flags:SP., offloaded:yes, dp:tc,"
    " actions:set(tunnel(tun_id=0x3,src=10.0.0.3,dst=10.1.0.1,ttl=64,tp_dst=6081,"
    "geneve({class=0x102,type=0x80,len=4,0x30002}),flags(csum|key))),genev_sys_6081"
)
# Kernel datapath, not offloaded (dp:ovs and no offloaded field).
KERNEL_SW = (
    "ufid:0c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f, recirc_id(0),dp_hash(0/0),skb_priority(0/0),in_port(enp1s0f0_0),"
    "skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),eth(src=0a:01:00:00:00:01,"
    "dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.128.0.2,tip=10.128.0.3,op=1/0xff,sha=0a:01:00:00:00:01/"
    "00:00:00:00:00:00,tha=00:00:00:00:00:00/00:00:00:00:00:00), packets:3, bytes:126, used:never, dp:ovs,"
    " actions:userspace(pid=3,controller(reason=1,dont_send=0,continuation=0,recirc_id=5,rule_cookie=0x8e6c55f8,"
    "controller_id=0,max_len=65535))"
)
# dpif-netdev partial offload (OVS 4.0, seen on the 26.03 sandbox below).
PARTIAL = (
    "ufid:912ca57f-ef15-4a85-9834-dd8e52e77181, recirc_id(0),dp_hash(0/0),skb_priority(0/0),in_port(enp1s0f0_0),"
    "skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0),packet_type(ns=0,id=0),"
    "eth(src=0a:01:00:00:00:01,dst=0a:01:00:00:00:02),eth_type(0x0800),ipv4(src=10.128.0.2,dst=10.128.0.3/128.0.0.0,"
    "proto=17,tos=0/0,ttl=64/0,frag=no),udp(src=5100/0xf000,dst=5101/0), packets:1, bytes:106, used:1.201s,"
    " offloaded:partial, dp:ovs, actions:ct(zone=4,nat),recirc(0x1), dp-extra-info:miniflow_bits(2,6)"
)
# DPDK rte_flow full offload.
DPDK = ("ufid:5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170, recirc_id(0),in_port(pf0vf1),eth_type(0x0800),ipv4(frag=no),"
        " packets:42, bytes:4200, used:0.010s, offloaded:yes, dp:dpdk, actions:pf0vf2")
# Without -m: no ufid, port numbers, no offload fields (tests/system-offloads-traffic.at style).
PLAIN = ("recirc_id(0),in_port(2),eth(src=0a:01:00:00:00:01,dst=0a:01:00:00:00:02),eth_type(0x0800),"
         "ipv4(frag=no), packets:9, bytes:882, used:0.001s, actions:3")


def test_tc_offloaded_lines() -> None:
    decap, encap = parse_dump(f"{TC_DECAP}\n{TC_ENCAP}\n")
    assert (decap.in_port, decap.packets, decap.bytes, decap.used) == ("genev_sys_6081", 1520, 2181632, "0.370s")
    assert (decap.offloaded, decap.dp, decap.actions) == ("yes", "tc", "enp3s0f0_0")
    assert decap.ufid == "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
    assert (decap.datapath, decap.pmd, decap.raw) == (None, None, TC_DECAP)
    # tcp flags sit between used and offloaded; the tunnel action keeps its commas
    assert (encap.in_port, encap.offloaded, encap.dp, encap.used) == ("enp3s0f0_0", "yes", "tc", "2.890s")
    assert encap.actions.startswith("set(tunnel(tun_id=0x3,") and encap.actions.endswith("),genev_sys_6081")


def test_partial_software_dpdk_and_plain_lines() -> None:
    partial, sw, dpdk, plain = parse_dump("\n".join([PARTIAL, KERNEL_SW, DPDK, PLAIN]))
    assert (partial.in_port, partial.offloaded, partial.dp) == ("enp1s0f0_0", "partial", "ovs")
    assert partial.actions == "ct(zone=4,nat),recirc(0x1)"  # dp-extra-info is not an action
    assert (sw.offloaded, sw.dp, sw.used, sw.packets) == (None, "ovs", "never", 3)
    assert sw.actions.startswith("userspace(") and sw.actions.endswith("max_len=65535))")
    assert (dpdk.in_port, dpdk.offloaded, dpdk.dp) == ("pf0vf1", "yes", "dpdk")
    assert plain == DpFlow("2", 9, 882, "0.001s", None, None, "3", None, None, None, PLAIN)


def test_datapath_and_thread_headers() -> None:
    text = "\n".join([
        "system@ovs-system:", TC_ENCAP, KERNEL_SW,
        "netdev@ovs-netdev:", "flow-dump from pmd on cpu core: 3", DPDK,
        "flow-dump from the main thread:", PARTIAL,
    ])
    flows = parse_dump(text)
    assert [(f.datapath, f.pmd, f.in_port) for f in flows] == [
        ("system@ovs-system", None, "enp3s0f0_0"), ("system@ovs-system", None, "enp1s0f0_0"),
        ("netdev@ovs-netdev", 3, "pf0vf1"), ("netdev@ovs-netdev", None, "enp1s0f0_0"),
    ]


def test_strange_lines_are_skipped_and_unknown_fields_tolerated() -> None:
    text = "\n".join([
        "", "   ", "ovs-vswitchd: datapath not found (Invalid argument)", "garbage(1),in_port(",
        "in_port(1), packets:x, bytes:1, used:never, actions:drop",  # not a number
        "in_port(1), packets:1, bytes:2, actions:drop",  # no used
        "in_port(4), packets:1, bytes:2, used:0.5s, colour:blue, odd item, dp:tc, future:1, actions:drop",
        "recirc_id(0),in_port(5),eth(), packets:7, bytes:8, used:never, offloaded:y",  # cut short
        "eth_type(0x0800), packets:1, bytes:1, used:never, actions:drop",  # no in_port
        "flow-dump from pmd on cpu core: x",
    ])
    flows = parse_dump(text)
    assert [(f.in_port, f.dp, f.offloaded, f.actions) for f in flows] == [
        ("4", "tc", None, "drop"), ("5", None, "y", ""), (None, None, None, "drop"),
    ]
    assert parse_line("no flow here") is None


@given(st.text())
def test_parse_dump_never_raises(text: str) -> None:
    for flow in parse_dump(text):
        assert flow.raw in text


@given(st.lists(st.sampled_from([TC_DECAP, TC_ENCAP, KERNEL_SW, PARTIAL, DPDK, PLAIN, "junk", ""])))
def test_every_recorded_line_is_one_flow(lines: list[str]) -> None:
    assert len(parse_dump("\n".join(lines))) == sum(1 for line in lines if line not in ("junk", ""))


def test_summarize_per_in_port() -> None:
    flows = parse_dump("\n".join([TC_DECAP, TC_ENCAP, KERNEL_SW, PARTIAL, PLAIN,
                                  "eth(), packets:1, bytes:1, used:never, actions:drop"]))
    assert summarize(flows) == {
        "2": PortOffload(total=1, not_offloaded=1, packets=9, bytes=882),
        UNKNOWN_PORT: PortOffload(total=1, not_offloaded=1, packets=1, bytes=1),
        "enp1s0f0_0": PortOffload(total=2, partial=1, not_offloaded=1, packets=4, bytes=232),
        "enp3s0f0_0": PortOffload(total=1, offloaded=1, packets=10, bytes=980),
        "genev_sys_6081": PortOffload(total=1, offloaded=1, packets=1520, bytes=2181632),
    }
    assert summarize(()) == {}


# --- the unixctl adapter without a daemon -------------------------------------

def test_no_pidfile(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match="ovs-vswitchd is not running in") as e:
        dump_datapath_flows(tmp_path, 1.0)
    assert e.value.hint and "OVS_RUNDIR" in e.value.hint


def test_stale_or_garbled_pidfile(tmp_path: Path) -> None:
    (tmp_path / "ovs-vswitchd.pid").write_text("999999999\n")
    with pytest.raises(Unavailable, match=r"\(pid 999999999\) has no control socket"):
        control_socket(tmp_path)
    (tmp_path / "ovs-vswitchd.pid").write_text("vswitchd\n")
    with pytest.raises(Unavailable, match="does not hold a pid"):
        control_socket(tmp_path)


def _fake_daemon(tmp_path: Path, serve: Callable[[socket.socket, dict[str, object]], None]) -> Path:
    """A unix socket at ``<tmp>/ovs-vswitchd.4242.ctl`` (and its pidfile)
    answering one connection with ``serve(conn, request)``."""
    path = tmp_path / "ovs-vswitchd.4242.ctl"
    (tmp_path / "ovs-vswitchd.pid").write_text("4242\n")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def run() -> None:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.recv(65536))
            serve(conn, request)
            time.sleep(0.2)
        server.close()

    threading.Thread(target=run, daemon=True).start()
    return path


def test_a_silent_socket_times_out(tmp_path: Path) -> None:
    path = tmp_path / "ovs-vswitchd.4242.ctl"
    (tmp_path / "ovs-vswitchd.pid").write_text("4242\n")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(str(path))
        silent.listen(1)  # the connect completes in the backlog; nothing ever answers
        started = time.monotonic()
        with pytest.raises(Unavailable, match="did not answer dpctl/dump-dps within 0.3 s"):
            datapaths(tmp_path, 0.3)
        assert time.monotonic() - started < 3


def test_a_reply_in_pieces_with_braces_inside(tmp_path: Path) -> None:
    def serve(conn: socket.socket, request: dict[str, object]) -> None:
        reply = json.dumps({"id": request["id"], "error": None, "result": "geneve({class=0x102}) }\n"}).encode()
        # cut right after each "}" inside the string: two incomplete pieces that look finished
        first, second = reply.index(b"}") + 1, reply.index(b" }") + 2
        for piece in (reply[:first], reply[first:second], reply[second:]):
            assert piece.endswith(b"}")
            conn.sendall(piece)
            time.sleep(0.05)

    path = _fake_daemon(tmp_path, serve)
    assert call(path, "dpctl/dump-flows", ["-m"], 2.0) == "geneve({class=0x102}) }\n"


@pytest.mark.parametrize(("reply", "message"), [
    (b"", "closed the connection before answering"),
    (b'{"id": -1, "result": "x", "error": null}', "answered another request"),
    (b"[1, 2]", "not a JSON-RPC object"),
    (b'{"id": ID, "result": "cut sh', "closed the connection in the middle of its answer"),
    (b'{"id": ID, "result": null, "error": "ovs-vswitchd: no datapaths exist"}',
     "dpctl/dump-dps failed: ovs-vswitchd: no datapaths exist"),
    (b'{"id": ID, "result": 7, "error": null}', "without a text result"),
])
def test_bad_replies(tmp_path: Path, reply: bytes, message: str) -> None:
    def serve(conn: socket.socket, request: dict[str, object]) -> None:
        conn.sendall(reply.replace(b"ID", str(request["id"]).encode()))
        conn.shutdown(socket.SHUT_WR)

    _fake_daemon(tmp_path, serve)
    with pytest.raises(Unavailable, match=message.replace("(", r"\(")):
        datapaths(tmp_path, 2.0)


def test_daemon_version_looks_in_each_rundir(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Unavailable, match="ovn-controller is not running in"):
        daemon_version([empty], "ovn-controller", 1.0)
    with pytest.raises(Unavailable, match="no run directory"):
        daemon_version([], "ovn-controller", 1.0)


# --- real ovs-vswitchd: the sandbox's dummy datapath --------------------------

SIZE = Size(vfs=2, remote_chassis=1, remote_ports=1)


@pytest.fixture
def node25(tmp_path: Path) -> Iterator[Sandbox]:
    box = up(tmp_path / "run", "25.03", SIZE, os.environ)  # OVS 3.5
    try:
        yield box
    finally:
        down(box.rundir)


@pytest.fixture
def node26(tmp_path: Path) -> Iterator[Sandbox]:
    box = up(tmp_path / "run", "26.03", SIZE, os.environ)  # OVS 4.0
    try:
        yield box
    finally:
        down(box.rundir)


def _pod_to_pod_udp(box: Sandbox, sport: int = 5100) -> tuple[str, str]:
    """(VF representor, packet hex): UDP from the first pod to the second,
    with the addresses port security lets through."""
    a, b = box.plan.vfs[0], box.plan.vfs[1]
    packet = box.tools.run("ovs-ofctl", [
        "compose-packet", "--bare",
        f"eth_src={a.mac},eth_dst={b.mac},udp,nw_src={a.ip},nw_dst={b.ip},nw_ttl=64,udp_src={sport},udp_dst=5201",
    ], box.env).strip()
    return a.representor, packet


def _inject(box: Sandbox, port: str, packet: str, times: int = 2) -> None:
    # The first packet misses and installs the datapath flows (upcall); the next ones hit them.
    for _ in range(times):
        box.tools.run("ovs-appctl", ["netdev-dummy/receive", port, packet], box.env)
        time.sleep(0.05)


def _wait_flows(box: Sandbox, ready: Callable[[tuple[DpFlow, ...]], bool], seconds: float = 15.0) -> tuple[DpFlow, ...]:
    deadline = time.monotonic() + seconds
    while True:
        flows = parse_dump(dump_datapath_flows(box.rundir, 5.0))
        if ready(flows) or time.monotonic() > deadline:
            return flows
        time.sleep(0.1)


def _wait_log(box: Sandbox, *needles: str, seconds: float = 10.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        log = (box.rundir / "ovs-vswitchd.log").read_text(errors="replace")
        if any(n in log for n in needles) or time.monotonic() > deadline:
            return log
        time.sleep(0.1)


def _enable_hw_offload(box: Sandbox, port: str) -> None:
    """What OVS's own "dpif-netdev - partial hw offload - dummy" test does:
    an ifindex on the dummy port and other_config:hw-offload=true."""
    box.tools.run("ovs-vsctl", ["set", "Interface", port, "options:ifindex=1100", "--",
                                "set", "Open_vSwitch", ".", "other_config:hw-offload=true"], box.env)
    log = _wait_log(box, "netdev: Flow API Enabled", "Flow HW offload is enabled")
    assert "netdev: Flow API Enabled" in log or "Flow HW offload is enabled" in log


@pytest.mark.sandbox
def test_dummy_datapath_flows_are_software_flows(node25: Sandbox) -> None:
    port, packet = _pod_to_pod_udp(node25)
    _inject(node25, port, packet)
    flows = _wait_flows(node25, lambda fs: any(f.in_port == port and f.packets for f in fs))
    mine = [f for f in flows if f.in_port == port]
    assert mine, "no datapath flow for the VF port"
    assert all(f.dp == "ovs" and f.offloaded is None for f in mine)
    assert all(f.datapath == "dummy@ovs-dummy" and f.pmd is None and f.ufid for f in mine)
    # the conntrack pipeline: recirc_id(0) -> ct(...),recirc; every stage saw the second packet
    assert any(f.raw.count("recirc_id(0),") and "ct(" in f.actions for f in mine)
    summary = summarize(flows)[port]
    assert summary.total == summary.not_offloaded == len(mine) and summary.offloaded == summary.partial == 0
    assert summary.packets >= len(mine) and summary.bytes >= 106 * len(mine)
    # the same flows ovs-appctl prints (an independent client of the same socket)
    text = node25.tools.run("ovs-appctl", ["dpctl/dump-flows", "-m"], node25.env)
    ufids = {line.split(",")[0].removeprefix("ufid:") for line in text.splitlines() if line.startswith("ufid:")}
    assert {f.ufid for f in flows} == ufids
    assert f"in_port({port})" in text


@pytest.mark.sandbox
def test_datapaths_versions_and_a_refused_command(node25: Sandbox) -> None:
    assert datapaths(node25.rundir, 5.0) == ("dummy@ovs-dummy",)
    assert dump_datapath_flows(node25.rundir, 5.0, "dummy@ovs-dummy").startswith("dummy@ovs-dummy:\n")
    assert daemon_version([node25.rundir], "ovs-vswitchd", 5.0) == "3.5.0"
    assert daemon_version([node25.rundir / "nowhere", node25.rundir], "ovn-controller", 5.0) == "25.03.0"
    with pytest.raises(Unavailable, match=r"dpctl/dump-flows failed: ovs-vswitchd: datapath not found"):
        dump_datapath_flows(node25.rundir, 5.0, "dummy@no-such-dp")


@pytest.mark.sandbox
def test_ovs_35_offloads_to_the_dummy_but_the_dump_does_not_say_so(node25: Sandbox) -> None:
    # OVS 3.5's dummy flow API has flow_put/flow_del but no flow_get, so
    # dpif-netdev cannot ask it for a flow's offload state: the flow carries
    # a mark (partial offload) yet dumps as plain dp:ovs.
    port, packet = _pod_to_pod_udp(node25)
    node25.tools.run("ovs-appctl", ["vlog/set", "dpif_netdev:file:dbg", "netdev_dummy:file:dbg"], node25.env)
    _enable_hw_offload(node25, port)
    _inject(node25, port, packet)
    log = _wait_log(node25, "succeed to add netdev flow")
    assert f"{port}: flow put[create]" in log and "mark: " in log
    flows = _wait_flows(node25, lambda fs: any(f.in_port == port and f.packets for f in fs))
    mine = [f for f in flows if f.in_port == port]
    assert mine and all(f.offloaded is None and f.dp == "ovs" for f in mine)


@pytest.mark.sandbox
def test_ovs_40_reports_partial_offload(node26: Sandbox) -> None:
    port, packet = _pod_to_pod_udp(node26)
    _enable_hw_offload(node26, port)
    _inject(node26, port, packet)

    def partial(fs: tuple[DpFlow, ...]) -> bool:
        mine = [f for f in fs if f.in_port == port]
        return bool(mine) and all(f.offloaded == "partial" for f in mine)

    flows = _wait_flows(node26, partial)
    mine = [f for f in flows if f.in_port == port]
    assert mine and all(f.offloaded == "partial" and f.dp == "ovs" for f in mine)
    assert all(", offloaded:partial, dp:ovs, actions:" in f.raw for f in mine)
    summary = summarize(flows)[port]
    assert summary.partial == summary.total == len(mine) and summary.offloaded == summary.not_offloaded == 0


@pytest.mark.sandbox
def test_ovs_40_reports_full_offload_of_dummy_pmd_ports(node26: Sandbox) -> None:
    # OVS 4.0's simulated hardware offload takes a flow whole when its only
    # actions are outputs to other dummy-pmd ports ("dpif-netdev - full hw
    # offload - dummy-pmd"); OVN's pipeline uses ct(), so a scratch bridge.
    node26.tools.run("ovs-vsctl", [
        "add-br", "br-hw", "--", "set", "Bridge", "br-hw", "datapath_type=dummy", "fail-mode=secure",
        "--", "add-port", "br-hw", "hw1", "--", "set", "Interface", "hw1", "type=dummy-pmd", "ofport_request=1",
        "options:ifindex=1100",
        "--", "add-port", "br-hw", "hw2", "--", "set", "Interface", "hw2", "type=dummy-pmd", "ofport_request=2",
        "options:ifindex=1200",
        "--", "set", "Open_vSwitch", ".", "other_config:hw-offload=true",
    ], node26.env)
    node26.tools.run("ovs-ofctl", ["add-flow", "br-hw", "in_port=1,actions=output:2"], node26.env)
    _wait_log(node26, "Flow HW offload is enabled")
    _, packet = _pod_to_pod_udp(node26)
    _inject(node26, "hw1", packet)
    flows = _wait_flows(node26, lambda fs: any(f.in_port == "hw1" and f.offloaded == "yes" for f in fs))
    (flow,) = [f for f in flows if f.in_port == "hw1"]
    assert (flow.offloaded, flow.dp, flow.actions) == ("yes", "dummy", "hw2")
    assert flow.pmd is not None  # dummy-pmd ports are polled by a PMD thread: "flow-dump from pmd on cpu core: N"
    assert summarize(flows)["hw1"] == PortOffload(total=1, offloaded=1, packets=flow.packets, bytes=flow.bytes)
