"""``mvtep trace`` and ``mvtep verify --trace`` on real OVN nodes: ovs-vswitchd's
own ``ofproto/trace`` walks a packet from each VF, and the verdict says which
tunnel it leaves through.  Faults are made for real: ovn-controller stopped,
then flows added or rewritten with ovs-ofctl, as a stale or foreign flow
would be."""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox, down
from mvtep.sandbox.topology import Shape
from tests.conftest import fresh_node, run_cli
from tests.test_cli import mvtep
from tests.test_verify_releases import EXPECTED, start

pytestmark = pytest.mark.sandbox

SOURCE_BUILDS = ("24.03.9", "24.09.2")  # OVN releases Debian does not ship: built from source
# The VTEP a VIF without encap-ip leaves from once ovn-encap-ip-default is 10.0.0.3 (facts.md):
# 24.03.x ignores the default (id 0 = the smallest IP); 24.09.0-.2 give the VIF the default's
# sorted index; from 24.09.3 and 25.03 the default is swapped into id 0.
DEFAULT_VTEP = {release: want["unset"][1] for release, want in EXPECTED.items()}


@pytest.fixture(params=["25.03", "26.03", *SOURCE_BUILDS])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    """A fresh node per test, of every release with per-port VTEPs."""
    box = start(tmp_path, request.param, Shape())  # skips a source build that is not there
    try:
        yield box
    finally:
        down(box.rundir)


@pytest.fixture(params=["25.03", "26.03"])
def debian_node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    with fresh_node(tmp_path, request.param) as box:
        yield box


def env_of(box: Sandbox) -> dict[str, str]:
    return {**os.environ, "OVS_RUNDIR": str(box.rundir)}


def cli(box: Sandbox, *args: str) -> tuple[int, dict[str, Any]]:
    res = run_cli([*args, "--json"], env=env_of(box))
    assert res.out, res.err
    return int(res.status), json.loads(res.out)


def eventually(check: Callable[[], tuple[int, dict[str, Any]]], ok: Callable[[dict[str, Any]], bool]
               ) -> tuple[int, dict[str, Any]]:
    """ovn-controller reacts to OVSDB changes asynchronously: ask until it has."""
    deadline = time.monotonic() + 15
    while True:
        status, doc = check()
        if ok(doc) or time.monotonic() > deadline:
            return status, doc
        time.sleep(0.2)


def vsctl(box: Sandbox, *args: str) -> str:
    return box.tools.run("ovs-vsctl", list(args), box.env)


def ofctl(box: Sandbox, *args: str) -> str:
    return box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", *args], box.env)


def tunnel_port(box: Sandbox, local: str, remote: str) -> int:
    rows = json.loads(vsctl(box, "--format=json", "--columns=ofport,options", "find", "Interface", "type=geneve"))
    ports = {(dict(o[1])["local_ip"], dict(o[1])["remote_ip"]): port for port, o in rows["data"]}
    return int(ports[(local, remote)])


def codes(doc: dict[str, Any], severity: str | None = None) -> set[str]:
    return {f["code"] for f in doc["findings"] if severity is None or f["severity"] == severity}


def traces_of(doc: dict[str, Any], interface: str) -> list[dict[str, Any]]:
    return [t for t in doc["traces"] if t["source"]["interface"] == interface]


@pytest.fixture
def frozen(debian_node: Sandbox) -> Sandbox:
    """The node with ovn-controller stopped: its flows stay, and stay as we change them."""
    assert daemons.stop(debian_node.rundir, "ovn-controller")
    return debian_node


# -- a correct node ----------------------------------------------------------------------


@pytest.mark.parametrize("default", [None, "10.0.0.3"])
def test_a_correct_node_traces_every_vif_to_its_tunnel(node: Sandbox, default: str | None) -> None:
    """With and without ovn-encap-ip-default: the numbering of encap ids
    changes with it (and with the release), the paths must not."""
    if default is not None:
        vsctl(node, "set", "Open_vSwitch", ".", f"external_ids:ovn-encap-ip-default={default}")
    last = node.plan.vfs[-1].representor  # no encap-ip: it follows the default
    want = DEFAULT_VTEP[node.release] if default else "10.0.0.1"
    status, doc = eventually(lambda: cli(node, "verify", "--trace"),
                             lambda d: all(t["status"] == "confirmed" for t in d["traces"])
                             and all(t["departure"]["src"] == want for t in traces_of(d, last)))
    assert status == 0 and "trace-disagrees" not in codes(doc), doc["findings"]
    chassis = {r.name for r in node.plan.remotes}
    assert {(t["source"]["interface"], t["destination"]["chassis"]) for t in doc["traces"]} == {
        (vf.representor, c) for vf in node.plan.vfs for c in chassis}
    for t in doc["traces"]:
        path = next(p for p in doc["paths"] if p["interface"] == t["source"]["interface"])
        left, dest = t["departure"], t["destination"]
        assert t["status"] == "confirmed", t
        # The datapath's own tunnel header: from the VIF's VTEP to the destination's Port_Binding.encap.
        assert (left["src"], left["dst"]) == (path["vtep_ip"], dest["encap_ip"])
        assert left["interface"] in {x["interface"] for x in path["tunnels"]}
        # OVN's encapsulation: the VNI is the datapath key, the Geneve option ends in the outport key.
        assert left["tun_id"] == dest["datapath_key"]
        assert [(o["class"], o["type"], o["value"] & 0xFFFF) for o in left["geneve"]] == [
            (0x102, 0x80, dest["port_key"])]
        assert t["walk"]["encap_id"] == path["encap_id"] and t["walk"]["tables"][0][0] == 0


def test_a_vif_without_encap_ip_leaves_from_the_release_default(node: Sandbox) -> None:
    last = node.plan.vfs[-1]  # the seed's VF without encap-ip
    dest = node.plan.remote_ports[0]
    status, doc = cli(node, "trace", last.representor, dest.name)
    assert status == 0 and doc["status"] == "confirmed"
    assert doc["departure"]["src"] == "10.0.0.1"  # no default configured: id 0, the smallest IP
    vsctl(node, "set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip-default=10.0.0.3")
    want = DEFAULT_VTEP[node.release]
    status, doc = eventually(lambda: cli(node, "trace", last.representor, dest.name),
                             lambda d: bool(d.get("departure")) and d["departure"]["src"] == want)
    assert doc["departure"]["src"] == want, doc["departure"]
    assert doc["status"] == "confirmed" and status == 0, doc["findings"]  # and verify's numbering agrees


def test_names_a_pod_by_iface_id_and_the_destination_by_ip(debian_node: Sandbox) -> None:
    vf, dest = debian_node.plan.vfs[1], debian_node.plan.remote_ports[2]
    status, doc = cli(debian_node, "trace", vf.iface_id, dest.ip, "--proto", "tcp", "--dport", "443")
    assert status == 0 and doc["destination"]["logical_port"] == dest.name
    assert ",tcp," in doc["packet"] and "tcp_dst=443" in doc["packet"] and f"nw_dst={dest.ip}" in doc["packet"]
    assert (doc["departure"]["src"], doc["departure"]["dst"]) == (vf.encap_ip, dest.encap_ip)
    # A dual-stack pair by its IPv6 address, over UDP.
    src6, dst6 = debian_node.plan.vfs[0], debian_node.plan.remote_ports[0]
    v6 = next(a.split()[2] for a in [debian_node.tools.run("ovn-nbctl", ["get", "Logical_Switch_Port", dst6.name,
                                                                         "addresses"], debian_node.env).strip('[]"\n')])
    status, doc = cli(debian_node, "trace", src6.representor, v6, "--proto", "udp", "--dport", "4789")
    assert status == 0 and ",udp6," in doc["packet"] and "ipv6_dst=" + v6 in doc["packet"]
    assert (doc["departure"]["src"], doc["departure"]["dst"]) == (src6.encap_ip, dst6.encap_ip)
    # DNS is answered by OVN itself (the sandbox's switch has DNS records): it never leaves.
    status, doc = cli(debian_node, "trace", src6.representor, v6, "--proto", "udp", "--dport", "53")
    assert status == 1 and doc["status"] == "dropped"
    assert any("hands it to ovn-controller" in f["message"] for f in doc["findings"] if f["code"] == "trace-dropped")


def test_a_destination_behind_acls_still_reaches_its_tunnel(debian_node: Sandbox) -> None:
    """A stateful ACL sends the packet through conntrack: the trace follows the
    recirculation with the --ct-next state it gave and reaches the tunnel."""
    box = debian_node
    vf, dest = box.plan.vfs[0], box.plan.remote_ports[1]
    box.tools.run("ovn-nbctl", ["--wait=hv", "--type=port-group", "acl-add", "pg_pods", "from-lport", "1100",
                                f"inport == @pg_pods && ip4.dst == {dest.ip} && tcp.dst == 8443",
                                "allow-related"], box.env)
    status, doc = cli(box, "trace", vf.representor, dest.name, "--proto", "tcp", "--dport", "8443")
    assert status == 0 and doc["status"] == "confirmed"
    assert "--ct-next" in doc["request"]
    assert doc["walk"]["ct_states"] and doc["walk"]["ct_states"][0] == "new|trk"  # given, not the default
    assert len(doc["walk"]["tables"]) >= 2 and doc["walk"]["datapath_actions"][0].endswith(")")
    assert "recirc(" in doc["walk"]["datapath_actions"][0]
    assert (doc["departure"]["src"], doc["departure"]["dst"]) == (vf.encap_ip, dest.encap_ip)


def test_a_packet_an_acl_drops_is_not_a_path_fault(debian_node: Sandbox) -> None:
    """A policy that drops the packet is the answer for that packet, but not a
    fault of the VIF's path: verify --trace warns, it does not fail."""
    box = debian_node
    vf, dest = box.plan.vfs[0], box.plan.remote_ports[0]  # the port verify --trace picks on remote-0
    box.tools.run("ovn-nbctl", ["--wait=hv", "--type=port-group", "acl-add", "pg_pods", "from-lport", "1100",
                                f"inport == @pg_pods && ip4.dst == {dest.ip}", "drop"], box.env)
    status, one = cli(box, "trace", vf.representor, dest.name)
    assert status == 1 and one["status"] == "dropped" and one["departure"] is None
    assert codes(one) >= {"trace-dropped"} and not codes(one, "error") - {"encap-ip-unset"}
    assert one["astray"] is not None and one["astray"]["table"] != 0
    status, doc = cli(box, "verify", "--trace")
    dropped = [t for t in doc["traces"] if t["status"] == "dropped"]
    assert status == 0 and dropped and {t["destination"]["logical_port"] for t in dropped} == {dest.name}
    assert all(t["disagreement"]["code"] == "trace-dropped" for t in dropped)
    assert "trace-dropped" in codes(doc, "warning") and "trace-disagrees" not in codes(doc)


def test_a_pod_on_another_switch_is_reached_through_the_router(debian_node: Sandbox) -> None:
    """OVN-Kubernetes puts each node's pods on a switch of their own: a packet to
    a remote pod goes to the gateway's MAC and through the cluster router."""
    box = debian_node
    nb = ["ls-add", "pods2", "--", "lrp-add", "cluster-router", "rtr-pods2", "0a:00:00:00:03:01", "10.200.0.1/24",
          "--", "lsp-add", "pods2", "pods2-rtr", "--", "lsp-set-type", "pods2-rtr", "router",
          "--", "lsp-set-addresses", "pods2-rtr", "router", "--", "lsp-set-options", "pods2-rtr",
          "router-port=rtr-pods2", "--", "lsp-add", "pods2", "far-pod",
          "--", "lsp-set-addresses", "far-pod", "0a:04:00:00:00:01 10.200.0.5"]
    box.tools.run("ovn-nbctl", ["--wait=sb", *nb], box.env)
    encap = box.tools.run("ovn-sbctl", ["--bare", "--columns=_uuid", "find", "Encap", "ip=10.1.1.2"], box.env)
    box.tools.run("ovn-sbctl", ["lsp-bind", "far-pod", "remote-1", "--", "set", "Port_Binding", "far-pod",
                                f"encap={encap.strip()}"], box.env)
    box.tools.run("ovn-nbctl", ["--wait=hv", "sync"], box.env)
    vf = box.plan.vfs[2]  # VTEP 10.0.0.3
    status, doc = cli(box, "trace", vf.representor, "10.200.0.5")
    assert status == 0 and doc["status"] == "confirmed"
    router_mac = box.tools.run("ovn-nbctl", ["get", "Logical_Router_Port", "rtr-pods", "mac"], box.env).strip('"\n')
    assert f"dl_dst={router_mac}," in doc["packet"] and doc["destination"]["logical_port"] == "far-pod"
    assert (doc["departure"]["src"], doc["departure"]["dst"]) == ("10.0.0.3", "10.1.1.2")
    assert doc["departure"]["tun_id"] == doc["destination"]["datapath_key"] != 1  # pods2's key, not pods'


def test_a_destination_on_this_node_stays(debian_node: Sandbox) -> None:
    src, dst = debian_node.plan.vfs[0], debian_node.plan.vfs[1]
    status, doc = cli(debian_node, "trace", src.representor, dst.iface_id)
    assert status == 0 and doc["status"] == "local" and doc["departures"] == [] and doc["destination"]["local"]


def test_tracing_changes_nothing(debian_node: Sandbox) -> None:
    """No packet is given to ofproto/trace, so nothing is executed: no
    conntrack entry, no datapath flow, no OpenFlow change.  (The control: the
    same trace with -generate commits a conntrack entry.)"""
    box = debian_node

    def state() -> tuple[str, str, str]:
        appctl = [box.tools.run("ovs-appctl", [cmd], box.env) for cmd in ("dpctl/dump-conntrack", "dpctl/dump-flows")]
        return appctl[0], appctl[1], ofctl(box, "--no-stats", "dump-flows", "br-int")

    before = state()
    assert before[0] == ""
    status, doc = cli(box, "verify", "--trace")
    assert status == 0 and doc["traces"] and state() == before
    box.tools.run("ovs-appctl", ["ofproto/trace", "br-int", doc["traces"][0]["packet"], "-generate"], box.env)
    assert "icmp" in state()[0]


# -- flows verify does not read ------------------------------------------------------------


def test_a_higher_priority_flow_in_an_intermediate_table(frozen: Sandbox) -> None:
    vf, dest = frozen.plan.vfs[1], frozen.plan.remote_ports[0]  # VTEP 10.0.0.2; remote-0 at 10.1.0.1
    wrong = tunnel_port(frozen, "10.0.0.3", dest.encap_ip)
    # Table 8 is the first table of OVN's logical ingress pipeline in every release.
    ofctl(frozen, "add-flow", "br-int", f"table=8,priority=200,in_port={vf.ofport},actions=output:{wrong}")
    status, doc = cli(frozen, "verify", "--trace")
    assert status == 1
    assert codes(doc, "error") == {"trace-disagrees"}  # verify's static view still looks right
    disagree = [f for f in doc["findings"] if f["code"] == "trace-disagrees"]
    assert {f["interface"] for f in disagree} == {vf.representor}
    assert all("table 8 (priority 200" in f["message"] and f"output:{wrong}" in f["message"] for f in disagree)
    for t in traces_of(doc, vf.representor):
        assert t["status"] == "disagrees" and t["departure"]["src"] == "10.0.0.3"
        assert (t["astray"]["table"], t["astray"]["priority"]) == (8, 200)
    assert all(t["status"] == "confirmed" for t in doc["traces"] if t["source"]["interface"] != vf.representor)
    # mvtep trace names it with verify's own code.
    status, one = cli(frozen, "trace", vf.representor, dest.name)
    assert status == 1 and "tunnel-local-ip-mismatch" in codes(one, "error")
    assert one["astray"]["flow"] == f"table=8, priority=200,in_port={vf.ofport} actions=output:{wrong}"


def test_a_flow_to_the_wrong_remote_vtep(frozen: Sandbox) -> None:
    vf, dest = frozen.plan.vfs[1], frozen.plan.remote_ports[0]  # 10.0.0.2 -> remote-0 at 10.1.0.1
    wrong = tunnel_port(frozen, "10.0.0.2", "10.1.1.1")  # right VTEP, another chassis' encap
    ofctl(frozen, "add-flow", "br-int", f"table=8,priority=200,in_port={vf.ofport},actions=output:{wrong}")
    status, one = cli(frozen, "trace", vf.representor, dest.name)
    assert status == 1 and one["status"] == "disagrees" and one["departure"]["dst"] == "10.1.1.1"
    assert "tunnel-remote-ip-mismatch" in codes(one, "error") and "tunnel-local-ip-mismatch" not in codes(one)
    assert one["astray"]["table"] == 8


def test_a_rewritten_table0_flow(frozen: Sandbox) -> None:
    vf = frozen.plan.vfs[1]  # VTEP 10.0.0.2: encap id 1
    out = ofctl(frozen, "--no-names", "--no-stats", "dump-flows", "br-int", f"table=0,in_port={vf.ofport}")
    (flow,) = [f.strip() for f in out.splitlines() if "priority=100" in f and "0x10000/0xffff0000->reg13" in f]
    match, actions = flow.split(" actions=")
    zone = int(re.search(r"set_field:(0x[0-9a-f]+)/0xffff->reg13", actions).group(1), 16)  # type: ignore[union-attr]
    # Still loads id 1 into reg13[16..31], then overwrites the whole register with id 2.
    tampered = actions.replace("resubmit(,8)", f"set_field:{0x20000 | zone:#x}->reg13,resubmit(,8)")
    ofctl(frozen, "mod-flows", "--strict", "br-int", f"{match} actions={tampered}")
    status, doc = cli(frozen, "verify", "--trace")
    path = next(p for p in doc["paths"] if p["interface"] == vf.representor)
    assert path["encap_id"] == 1  # what verify reads: the masked load
    assert status == 1
    disagree = [f for f in doc["findings"] if f["code"] == "trace-disagrees"]
    assert disagree and {f["interface"] for f in disagree} == {vf.representor}
    for t in traces_of(doc, vf.representor):
        assert t["status"] == "disagrees" and t["departure"]["src"] == "10.0.0.3"
        assert t["departure"]["encap_id"] == 2 and t["astray"]["table"] == 0
        assert "table 0 (priority 100" in t["disagreement"]["message"]
    status, one = cli(frozen, "trace", vf.representor, frozen.plan.remote_ports[0].name)
    assert status == 1 and "encap-id-mismatch" in codes(one, "error") and one["astray"]["table"] == 0


def test_a_deleted_remote_output_flow(frozen: Sandbox) -> None:
    """verify sees this one too; the trace agrees that nothing leaves."""
    vf, dest = frozen.plan.vfs[2], frozen.plan.remote_ports[0]  # VTEP 10.0.0.3: encap id 2
    key = frozen.tools.run("ovn-sbctl", ["--bare", "--columns=tunnel_key", "find", "Port_Binding",
                                         f"logical_port={dest.name}"], frozen.env).strip()
    out = ofctl(frozen, "--no-names", "--no-stats", "dump-flows", "br-int", f"reg13=0x20000/0xffff0000,reg15={key}")
    port = tunnel_port(frozen, "10.0.0.3", dest.encap_ip)
    (flow,) = [f.strip() for f in out.splitlines() if f"output:{port}," in f]
    match = re.sub(r"cookie=0x[0-9a-f]+, *", "", flow.split(" actions=")[0])
    ofctl(frozen, "del-flows", "--strict", "br-int", match)
    status, one = cli(frozen, "trace", vf.representor, dest.name)
    assert status == 1 and one["status"] == "dropped" and one["departure"] is None
    assert "tunnel-missing" in codes(one, "error")


def test_saved_traces_give_the_same_verdict(debian_node: Sandbox, tmp_path: Path) -> None:
    _, live = cli(debian_node, "verify", "--trace", "--save", str(tmp_path / "b.tar.gz"))
    down(debian_node.rundir)
    status, offline = cli(debian_node, "verify", "--trace", "--from", str(tmp_path / "b.tar.gz"))
    assert offline == live and status == 0 and offline["traces"]
    # A bundle that lacks one trace: that pair is unread and said so, not confirmed.
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    traces = json.loads(members["traces.json"])
    lost = " ".join(live["traces"][0]["request"])
    del traces[lost]
    members["traces.json"] = json.dumps(traces).encode()
    with tarfile.open(tmp_path / "c.tar.gz", "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    status, partial = cli(debian_node, "verify", "--trace", "--from", str(tmp_path / "c.tar.gz"))
    unread = [t for t in partial["traces"] if t["status"] == "unread"]
    assert len(unread) == 1 and unread[0]["request"] == live["traces"][0]["request"]
    assert unread[0]["disagreement"]["code"] == "trace-unread" and "trace-unread" in codes(partial, "warning")


# -- datapaths that push the tunnel header themselves (userspace, OVS-DPDK) ----------------


def test_native_tunnels_without_a_route_are_not_sent(debian_node: Sandbox) -> None:
    box = debian_node
    box.tools.run("ovs-appctl", ["dpif/set-dp-features", "br-int", "tnl_push_pop", "true"], box.env)
    vf, dest = box.plan.vfs[0], box.plan.remote_ports[0]
    status, doc = cli(box, "trace", vf.representor, dest.name)
    assert status == 1 and doc["status"] == "not-sent" and "trace-dropped" in codes(doc, "warning")
    assert any("native tunnel routing failed" in n for n in doc["notes"])
    # Routed and with a neighbour, the datapath pushes the outer header itself.
    pf = box.plan.vteps[0].pf
    for cmd in (["netdev-dummy/ip4addr", f"br{pf}", "10.0.0.1/24"],
                ["ovs/route/add", "10.1.0.0/16", f"br{pf}", "10.0.0.254", "src=10.0.0.1"],
                ["tnl/neigh/set", f"br{pf}", "10.0.0.254", "aa:55:aa:55:00:01"]):
        box.tools.run("ovs-appctl", cmd, box.env)
    status, doc = cli(box, "trace", vf.representor, dest.name)
    assert status == 0 and doc["status"] == "confirmed"
    assert doc["departure"]["src"] == "10.0.0.1" and doc["departure"]["dst"] == dest.encap_ip
    assert "tnl_push(" in doc["walk"]["datapath_actions"][-1]


# -- bad input -----------------------------------------------------------------------------


def _one_line_error(box: Sandbox, *args: str, env: dict[str, str] | None = None) -> str:
    """mvtep run as a program: the error boundary prints one line (and a hint), exit 2."""
    p = mvtep(*args, env=env or {"OVS_RUNDIR": str(box.rundir)})
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and p.stdout == "" and len(lines) <= 2, p.stderr
    assert lines[0].startswith("mvtep: error: ") and (len(lines) == 1 or lines[1].startswith("hint: ")), p.stderr
    return lines[0]


def test_bad_input(debian_node: Sandbox, tmp_path: Path) -> None:
    box = debian_node
    vf = box.plan.vfs[0].representor
    assert "no VIF on br-int is 'nosuch/pod'" in _one_line_error(box, "trace", "nosuch/pod", "remote-0-pod-0")
    assert "no logical port 'nosuch'" in _one_line_error(box, "trace", vf, "nosuch")
    assert "no logical port has the IP 10.9.9.9" in _one_line_error(box, "trace", vf, "10.9.9.9")
    box.tools.run("ovn-nbctl", ["--wait=sb", "lsp-add", "pods", "ghost", "--", "lsp-set-addresses", "ghost",
                                "0a:03:00:00:00:01 10.130.0.1"], box.env)
    assert "ghost has no Port_Binding on any chassis" in _one_line_error(box, "trace", vf, "ghost")
    assert "--dport needs --proto" in _one_line_error(box, "trace", vf, "remote-0-pod-0", "--dport", "80")
    assert "--proto udp needs --dport" in _one_line_error(box, "trace", vf, "remote-0-pod-0", "--proto", "udp")
    # OVSDB and OpenFlow reachable, but no ovs-vswitchd control socket beside them.
    bare = tmp_path / "bare"
    bare.mkdir()
    for sock in ("db.sock", "br-int.mgmt"):
        (bare / sock).symlink_to(box.rundir / sock)
    env = {"OVS_RUNDIR": str(bare)}
    for argv in (["trace", vf, "remote-0-pod-0"], ["verify", "--trace"]):
        assert "ovs-vswitchd is not running" in _one_line_error(box, *argv, env=env)


def test_ovn_2303_leaves_from_the_first_vtep(sandbox_2303: Sandbox) -> None:
    """Before 24.03 there is no per-VTEP selection: with ``ovn-set-local-ip=true``
    (what ovnkube-node always sets, and the sandbox too) every tunnel carries
    the chassis' first encap as its local_ip (the first of its Encap rows, in
    no set order), and the trace shows every VIF leaving from that one VTEP."""
    status, doc = cli(sandbox_2303, "verify", "--trace")
    assert status == 1 and "multi-vtep-unsupported" in codes(doc, "error")
    assert doc["traces"] and all(t["status"] == "confirmed" for t in doc["traces"])
    sources = {t["departure"]["src"] for t in doc["traces"]}
    assert len(sources) == 1 and sources <= {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
