"""``mvtep verify`` on real OVN nodes: a correct node, each misconfiguration
OVSDB can carry, and flow-level faults made for real (ovn-controller stopped,
its flows rewritten with ovs-ofctl)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox, down
from tests.conftest import fresh_node, run_cli

pytestmark = pytest.mark.sandbox

@pytest.fixture(params=["25.03", "26.03"])
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    """A fresh node per test: these tests break it on purpose."""
    with fresh_node(tmp_path, request.param) as box:
        yield box


def verify(box: Sandbox, *args: str) -> tuple[int, dict[str, Any]]:
    res = run_cli(["verify", "--json", *args], env={**os.environ, "OVS_RUNDIR": str(box.rundir)})
    return int(res.status), json.loads(res.out)


def codes(doc: dict[str, Any], severity: str | None = None) -> set[str]:
    return {f["code"] for f in doc["findings"] if severity is None or f["severity"] == severity}


def eventually(box: Sandbox, check: Callable[[dict[str, Any]], bool], *args: str) -> tuple[int, dict[str, Any]]:
    """ovn-controller reacts to OVSDB changes asynchronously: ask until it has."""
    deadline = time.monotonic() + 15
    while True:
        status, doc = verify(box, *args)
        if check(doc) or time.monotonic() > deadline:
            return status, doc
        time.sleep(0.2)


def vsctl(box: Sandbox, *args: str) -> str:
    return box.tools.run("ovs-vsctl", list(args), box.env)


def path_of(doc: dict[str, Any], interface: str) -> dict[str, Any]:
    return next(p for p in doc["paths"] if p["interface"] == interface)


def test_a_correct_node(node: Sandbox) -> None:
    status, doc = verify(node)
    assert status == 0 and codes(doc, "error") == set()
    assert doc["encap_ips"] == {"0": "10.0.0.1", "1": "10.0.0.2", "2": "10.0.0.3"}
    assert doc["sb_checked"] and doc["per_vtep"]
    default = doc["encap_ips"]["0"]
    for vf in node.plan.vfs:
        p = path_of(doc, vf.representor)
        assert p["vtep_ip"] == (vf.encap_ip or default)
        assert {t["local_ip"] for t in p["tunnels"]} == {p["vtep_ip"]}
        by_chassis = {(t["remote_chassis"], t["remote_ip"]) for t in p["tunnels"]}
        # remote-0 has one encap, remote-1 two, and its ports are bound through both.
        assert by_chassis == {("remote-0", "10.1.0.1"), ("remote-1", "10.1.1.1"), ("remote-1", "10.1.1.2")}
    assert codes(doc) == {"encap-ip-unset"}  # the seed's last VF has no VTEP on purpose


def test_design_doc_key_is_reported(node: Sandbox) -> None:
    vf = node.plan.vfs[1]  # encap-ip 10.0.0.2
    vsctl(node, "remove", "Interface", vf.representor, "external_ids", "encap-ip",
          "--", "set", "Interface", vf.representor, "external_ids:ovn-encap-ip=10.0.0.2")
    status, doc = eventually(node, lambda d: path_of(d, vf.representor)["encap_id"] == 0)
    assert status == 1 and "encap-key-misnamed" in codes(doc, "error")
    assert path_of(doc, vf.representor)["vtep_ip"] == "10.0.0.1"  # OVN really fell back to the default


def test_encap_ip_not_a_vtep(node: Sandbox) -> None:
    vf = node.plan.vfs[2]
    vsctl(node, "set", "Interface", vf.representor, "external_ids:encap-ip=10.9.9.9")
    status, doc = eventually(node, lambda d: path_of(d, vf.representor)["encap_id"] == 0)
    assert status == 1 and "encap-ip-unknown" in codes(doc, "error")


def test_pf_mapping_read_as_ovnkube_node_reads_it(node: Sandbox) -> None:
    """Items that are not exactly PF:IP make CNI ADD fail for every SR-IOV pod
    (an IPv6 VTEP, a stray comma, a:b:c); a spaced PF name never matches; a
    PF given twice takes its last IP; two PFs on one VTEP is only info."""
    vsctl(node, "set", "Open_vSwitch", ".", 'external_ids:ovn-pf-encap-ip-mapping="enp1s0f0:10.0.0.1,'
          'enp2s0f0:10.0.0.1,bogus,enp9s0f0:10.7.7.7,enp4s0f0:fd00::1,a:b:c, enp3s0f0:10.0.0.3,enp2s0f0:10.0.0.2,"')
    status, doc = verify(node)
    bad = [f for f in doc["findings"] if f["code"] == "pf-mapping-invalid"]
    assert status == 1 and {f["subject"] for f in bad} == {"bogus", "enp9s0f0", "enp4s0f0:fd00::1", "a:b:c", "",
                                                           " enp3s0f0"}
    fatal = [f for f in bad if f["subject"] in ("bogus", "", "a:b:c", "enp4s0f0:fd00::1")]
    assert all("fails CNI ADD for every SR-IOV pod" in f["message"] for f in fatal)
    assert "IPv6" in next(f["message"] for f in fatal if f["subject"] == "enp4s0f0:fd00::1")
    assert "use the default VTEP" in next(f["message"] for f in bad if f["subject"] == " enp3s0f0")
    dup = [f for f in doc["findings"] if f["code"] == "pf-mapping-duplicate"]
    assert [(f["subject"], f["severity"]) for f in dup] == [("enp2s0f0", "warning")]
    assert "uses the last, 10.0.0.2" in dup[0]["message"]
    assert "vtep-shared-by-pfs" not in codes(doc)  # the last item wins: enp2s0f0 has 10.0.0.2 after all
    vsctl(node, "set", "Open_vSwitch", ".", 'external_ids:ovn-pf-encap-ip-mapping="enp1s0f0:10.0.0.1,'
          'enp1s0f1:10.0.0.1,enp2s0f0:10.0.0.2,enp3s0f0:10.0.0.3"')
    status, doc = verify(node)
    assert status == 0 and [f["subject"] for f in doc["findings"] if f["code"] == "vtep-shared-by-pfs"] == ["10.0.0.1"]


def test_single_vtep_is_info(node: Sandbox) -> None:
    vsctl(node, "set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip=10.0.0.1",
          'external_ids:ovn-pf-encap-ip-mapping="enp1s0f0:10.0.0.1"')
    _, doc = eventually(node, lambda d: len({t["local_ip"] for p in d["paths"] for t in p["tunnels"]}) == 1)
    assert "single-vtep" in codes(doc, "info")


def _flows(box: Sandbox, spec: str) -> list[str]:
    out = box.tools.run("ovs-ofctl", ["--no-names", "--no-stats", "-O", "OpenFlow15", "dump-flows", "br-int", spec],
                        box.env)
    return [line.strip() for line in out.splitlines() if "actions=" in line]


def _tunnels(box: Sandbox) -> dict[tuple[str, str], int]:
    rows = json.loads(vsctl(box, "--format=json", "--columns=ofport,options", "find", "Interface", "type=geneve"))
    return {(dict(o[1])["local_ip"], dict(o[1])["remote_ip"]): port for port, o in rows["data"]}


def _rewrite(box: Sandbox, flow: str, new_actions: str) -> None:
    match = flow.split(" actions=")[0]
    box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "mod-flows", "--strict", "br-int",
                                f"{match} actions={new_actions}"], box.env)


@pytest.fixture
def frozen(node: Sandbox) -> Sandbox:
    """The node with ovn-controller stopped: its flows stay, and stay as we change them."""
    assert daemons.stop(node.rundir, "ovn-controller")
    return node


def _remote_flow(box: Sandbox, encap_id: int, local: str) -> tuple[str, int, str]:
    """A remote-output flow for encap id ``encap_id``: (flow, tunnel ofport, remote ip)."""
    tunnels = _tunnels(box)
    by_port = {p: key for key, p in tunnels.items()}
    for line in _flows(box, f"reg13={encap_id << 16:#x}/0xffff0000"):
        out = re.search(r"output:(\d+)", line)
        if out and int(out.group(1)) in by_port and by_port[int(out.group(1))][0] == local:
            return line, int(out.group(1)), by_port[int(out.group(1))][1]
    raise AssertionError(f"no remote-output flow for id {encap_id}")


def test_table0_loading_the_wrong_id(frozen: Sandbox) -> None:
    vf = frozen.plan.vfs[1]  # 10.0.0.2: id 1
    (flow,) = [f for f in _flows(frozen, f"table=0,in_port={vf.ofport}") if "->reg13" in f and "priority=100" in f]
    assert "set_field:0x10000/0xffff0000->reg13" in flow
    _rewrite(frozen, flow, flow.split(" actions=")[1].replace("set_field:0x10000/0xffff0000->reg13",
                                                               "set_field:0x20000/0xffff0000->reg13"))
    status, doc = verify(frozen)
    found = [f for f in doc["findings"] if f["code"] == "encap-id-mismatch"]
    assert status == 1 and [f["interface"] for f in found] == [vf.representor]
    assert path_of(doc, vf.representor)["vtep_ip"] == "10.0.0.3"  # what the wire would now see


def test_remote_output_through_the_wrong_local_vtep(frozen: Sandbox) -> None:
    flow, port, remote = _remote_flow(frozen, 1, "10.0.0.2")
    wrong = _tunnels(frozen)[("10.0.0.3", remote)]
    _rewrite(frozen, flow, flow.split(" actions=")[1].replace(f"output:{port}", f"output:{wrong}"))
    status, doc = verify(frozen)
    assert status == 1 and "tunnel-local-ip-mismatch" in codes(doc, "error")


def test_remote_output_to_the_wrong_remote_vtep(frozen: Sandbox) -> None:
    flow, port, remote = _remote_flow(frozen, 1, "10.0.0.2")
    other = next(r for (loc, r) in _tunnels(frozen) if loc == "10.0.0.2" and r != remote)
    wrong = _tunnels(frozen)[("10.0.0.2", other)]
    _rewrite(frozen, flow, flow.split(" actions=")[1].replace(f"output:{port}", f"output:{wrong}"))
    status, doc = verify(frozen)
    assert status == 1 and "tunnel-remote-ip-mismatch" in codes(doc, "error")
    assert "tunnel-local-ip-mismatch" not in codes(doc)


def test_remote_output_flow_deleted(frozen: Sandbox) -> None:
    flow, _, _ = _remote_flow(frozen, 2, "10.0.0.3")
    match = re.sub(r"cookie=0x[0-9a-f]+, *", "", flow.split(" actions=")[0])
    frozen.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "del-flows", "--strict", "br-int", match], frozen.env)
    status, doc = verify(frozen)
    missing = [f for f in doc["findings"] if f["code"] == "tunnel-missing"]
    assert status == 1 and missing and all("10.0.0.3" in f["message"] for f in missing)


def test_without_the_southbound_db(node: Sandbox) -> None:
    status, doc = verify(node, "--sb", f"unix:{node.rundir}/nothing.sock")
    assert status == 0 and "sb-unreachable" in codes(doc, "info") and not doc["sb_checked"]
    assert all(p["tunnels"] for p in doc["paths"])  # the flows alone still give the paths


def test_saved_snapshot_gives_the_same_verdict(node: Sandbox, tmp_path: Path) -> None:
    _, live = verify(node, "--save", str(tmp_path / "snap.json"))
    down(node.rundir)  # nothing left to read: the file is all there is
    status, offline = verify(node, "--from", str(tmp_path / "snap.json"))
    assert offline == live and status == 0


def test_ovn_2303_has_no_per_vtep_selection(sandbox_2303: Sandbox) -> None:
    status, doc = verify(sandbox_2303)
    assert status == 1 and "multi-vtep-unsupported" in codes(doc, "error") and doc["per_vtep"] is False


def test_flow_based_tunnels(tmp_path: Path) -> None:
    with fresh_node(tmp_path, "26.03") as box:
        vsctl(box, "set", "Open_vSwitch", ".", "external_ids:ovn-enable-flow-based-tunnels=true")
        status, doc = eventually(box, lambda d: {t["interface"] for p in d["paths"] for t in p["tunnels"]}
                                 == {"ovn-geneve"})
        assert status == 0 and codes(doc, "error") == set()
        p = path_of(doc, box.plan.vfs[2].representor)
        assert {(t["remote_chassis"], t["local_ip"], t["remote_ip"]) for t in p["tunnels"]} == {
            ("remote-0", "10.0.0.3", "10.1.0.1"), ("remote-1", "10.0.0.3", "10.1.1.1"),
            ("remote-1", "10.0.0.3", "10.1.1.2")}
