"""``mvtep verify`` and ``mvtep paths`` on the node shapes real ovn-kubernetes
nodes have, each built for real by the sandbox (:class:`~mvtep.sandbox.topology.Shape`):
interconnect mode, remote ports without ``Port_Binding.encap``, a remote
port with an additional chassis, a VIF being live-migrated here, IPv6 VTEPs
(port- and flow-based tunnels), EVPN ports, a tunnel port that cannot be
created, a spaced ``ovn-encap-ip``, the ``system-id-override`` chassis, flows
mvtep cannot decode, and a VF tunnelling from the other NIC's VTEP."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flowprog.node_verify import verify_snapshot
from inspector.bundle import read_bundle
from mvcore.reading import Reading
from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox
from mvtep.sandbox.topology import Shape
from tests.conftest import fresh_node, node_env, run_cli
from tests.hwmodel import sandbox_two_nics
from tests.snapshots import DECODER
from tests.test_apply import mvtep as apply_spec
from tests.test_apply import ns

__all__ = ["ns"]  # the namespace fixture of the apply tests, with its VTEP interfaces

pytestmark = pytest.mark.sandbox


def cli(box: Sandbox, *argv: str, **env: str) -> tuple[int, dict[str, Any]]:
    res = run_cli([*argv, "--json"], env=node_env(box, **env))
    return int(res.status), json.loads(res.out)


def verify(box: Sandbox, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    return cli(box, "verify", *args, **env)


def eventually(box: Sandbox, check: Callable[[dict[str, Any]], bool], **env: str) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + 15
    while True:
        status, doc = verify(box, **env)
        if check(doc) or time.monotonic() > deadline:
            return status, doc
        time.sleep(0.2)


def codes(doc: dict[str, Any], severity: str | None = None) -> list[str]:
    return sorted(f["code"] for f in doc["findings"] if severity is None or f["severity"] == severity)


def path_of(doc: dict[str, Any], interface: str) -> dict[str, Any]:
    return next(p for p in doc["paths"] if p["interface"] == interface)


def vsctl(box: Sandbox, *args: str) -> str:
    return box.tools.run("ovs-vsctl", list(args), box.env)


def test_interconnect_mode(tmp_path: Path) -> None:
    """Remote pods are "remote" ports northd binds to remote-zone chassis,
    with no Port_Binding.encap: said once, not per port."""
    with fresh_node(tmp_path, shape=Shape(interconnect=True)) as box:
        status, doc = verify(box)
        assert status == 0 and codes(doc, "info").count("interconnect-mode") == 1
        assert "remote-encap-unset" not in codes(doc) and doc["remote_output_table"] is not None
        assert all(p["tunnels"] for p in doc["paths"])


def test_remote_ports_without_their_encap(tmp_path: Path) -> None:
    with fresh_node(tmp_path, shape=Shape(remote_encap_unset=True)) as box:
        status, doc = verify(box)
        found = [f for f in doc["findings"] if f["code"] == "remote-encap-unset"]
        # remote-1 has two VTEPs, so its ports' VTEP is arbitrary; remote-0 has one
        assert status == 0 and [(f["subject"], f["severity"]) for f in found] == [("remote-1", "warning")]


def test_an_additional_chassis_and_a_live_migration(tmp_path: Path) -> None:
    with fresh_node(tmp_path, shape=Shape(additional_chassis=True, activation_strategy=True)) as box:
        flows = box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "dump-flows", "br-int"], box.env)
        assert any(len(re.findall(r"output:\d+", f)) == 2 for f in flows.splitlines() if "reg15=" in f)
        vf = box.plan.vfs[1]
        assert re.search(rf"priority=1010,rarp,in_port={vf.ofport} ", flows)
        status, doc = verify(box)
        assert status == 0 and codes(doc, "error") == []
        (note,) = [f for f in doc["findings"] if f["code"] == "vif-additional-chassis"]
        assert note["interface"] == vf.representor and "bound to remote-0" in note["message"]


def test_ipv6_vteps_port_and_flow_based(tmp_path: Path) -> None:
    with fresh_node(tmp_path, "26.03", shape=Shape(ipv6=True, evpn=True)) as box:
        status, doc = verify(box)
        assert status == 0 and codes(doc, "error") == []
        assert doc["encap_ips"] == {"0": "fd00::1", "1": "fd00::2", "2": "fd00::3"}
        evpn = vsctl(box, "--bare", "--columns=name", "find", "Interface", "type=vxlan").split()
        assert evpn == ["ovn-evpn-4789"]  # an EVPN port that is no chassis tunnel
        assert all(t["interface"] != "ovn-evpn-4789" for p in doc["paths"] for t in p["tunnels"])
        vsctl(box, "set", "Open_vSwitch", ".", "external_ids:ovn-enable-flow-based-tunnels=true")
        status, doc = eventually(box, lambda d: {t["interface"] for p in d["paths"] for t in p["tunnels"]}
                                 == {"ovn-geneve"})
        assert status == 0 and codes(doc, "error") == []
        p = path_of(doc, box.plan.vfs[2].representor)
        assert {(t["local_ip"], t["remote_ip"]) for t in p["tunnels"]} == {
            ("fd00::3", "fd01::1"), ("fd00::3", "fd01::1:1"), ("fd00::3", "fd01::1:2")}


def test_a_tunnel_port_that_cannot_be_created(tmp_path: Path) -> None:
    """OVN falls back to another tunnel to that chassis; verify says the
    tunnel is missing, not that the flows are stale."""
    with fresh_node(tmp_path, shape=Shape(failed_tunnel=True)) as box:
        status, doc = verify(box)
        assert status == 1
        mismatch = [f for f in doc["findings"] if f["code"] in ("tunnel-remote-ip-mismatch",
                                                                 "tunnel-local-ip-mismatch")]
        assert mismatch and all("there is no tunnel port from 10.0.0.2 to 10.1.1.1" in f["hint"] for f in mismatch)
        assert all("recompute" not in f["hint"] and "restart" not in f["hint"] for f in mismatch)
        assert any(f["code"] == "tunnel-missing" and "from 10.0.0.2 to remote-1" in f["message"]
                   for f in doc["findings"])


def test_a_spaced_encap_list(tmp_path: Path) -> None:
    """OVN keeps " 10.0.0.2" as it is: it sorts first, becomes id 0, and the
    VIFs whose encap-ip is 10.0.0.2 match no encap (id 0 all the same)."""
    with fresh_node(tmp_path, shape=Shape()) as box:
        vsctl(box, "set", "Open_vSwitch", ".", 'external_ids:ovn-encap-ip="10.0.0.1, 10.0.0.2,10.0.0.3"')
        status, doc = eventually(box, lambda d: d["encap_ips"].get("0") == " 10.0.0.2")
        bad = [f for f in doc["findings"] if f["code"] == "encap-ip-list-invalid"]
        assert status == 1 and [f["subject"] for f in bad] == [" 10.0.0.2"] and "encap id 0" in bad[0]["message"]
        vf = box.plan.vfs[1]
        unknown = [f for f in doc["findings"] if f["code"] == "encap-ip-unknown"]
        assert [f["interface"] for f in unknown] == [vf.representor] and "remove the space" in unknown[0]["hint"]
        assert path_of(doc, vf.representor)["encap_id"] == 0
        assert "encap-id-mismatch" not in codes(doc)


def test_the_override_file_names_the_chassis(tmp_path: Path) -> None:
    """ovn-controller takes its chassis name from system-id-override before
    external_ids:system-id, and then reads the keys of that chassis."""
    with fresh_node(tmp_path, shape=Shape()) as box:
        assert daemons.stop(box.rundir, "ovn-controller")
        (box.rundir / "system-id-override").write_text("node-b\n")  # OVN_SYSCONFDIR is the run directory
        vsctl(box, "set", "Open_vSwitch", ".", 'external_ids:ovn-encap-ip-node-b="10.0.0.1,10.0.0.2,10.0.0.3"',
              "external_ids:ovn-encap-ip=10.9.9.9")
        daemons.start_controller(box.rundir, box.tools, box.env)
        sysconf = {"OVN_SYSCONFDIR": str(box.rundir)}
        # the old chassis row still holds the VTEPs: node-b cannot register them
        status, doc = eventually(box, lambda d: "encap-ip-duplicate" in codes(d), **sysconf)
        assert doc["chassis"] == "node-b"
        assert sorted(f["subject"] for f in doc["findings"] if f["code"] == "encap-ip-duplicate") == [
            "10.0.0.1", "10.0.0.2", "10.0.0.3"]
        box.tools.run("ovn-sbctl", ["chassis-del", "mvtep-node"], box.env)
        status, doc = eventually(box, lambda d: d["chassis"] == "node-b" and len(
            {t["local_ip"] for p in d["paths"] for t in p["tunnels"]}) == 3, **sysconf)
        assert status == 0 and doc["chassis"] == "node-b" and codes(doc, "error") == []
        _status, blind = verify(box, OVN_SYSCONFDIR=str(tmp_path / "nowhere"))
        assert blind["chassis"] == "mvtep-node" and "encap-ip-missing" not in codes(blind)  # the wrong keys...
        assert codes(blind, "error")  # ...read as the wrong chassis give false errors


def test_flows_mvtep_cannot_decode_are_not_blamed_on_ovn(sandbox: Sandbox, tmp_path: Path) -> None:
    """A bundle whose flows do not decode (here: OpenFlow 1.5 bodies labelled
    1.3, as a hostile or damaged file can claim): no VIF is called
    unprogrammed and no tunnel missing; the count per table is said."""
    path = tmp_path / "b.tar.gz"
    assert run_cli(["collect", "-o", str(path)], env=node_env(sandbox)).status == 0  # collecting only reads
    snap = read_bundle(path)
    assert snap.openflow.value is not None and snap.openflow.value.version == 6
    bad = dataclasses.replace(snap, openflow=Reading.of(dataclasses.replace(snap.openflow.value, version=4)))
    result = verify_snapshot(bad, DECODER)
    found = {f.code for f in result.findings}
    assert "flows-undecoded" in found and not {"vif-not-programmed", "tunnel-missing"} & found
    (f,) = [f for f in result.findings if f.code == "flows-undecoded"]
    assert "table 0" in f.message or "flow-stats reply" in f.message


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's VTEP underlay needs root")
def test_a_vf_tunnelling_from_the_other_nics_vtep(tmp_path: Path) -> None:
    root = tmp_path / "root"
    sandbox_two_nics(root, vfs=(2, 1), mtu=9000)  # enp1s0f0 (VFs 0, 1) and enp2s0f0 (VF 0), each its own e-switch
    with fresh_node(tmp_path, shape=Shape()) as box:
        vf = box.plan.vfs[0]  # enp1s0f0_0, a VF of enp1s0f0
        vsctl(box, "set", "Interface", vf.representor, "external_ids:encap-ip=10.0.0.2")  # enp2s0f0's VTEP
        eventually(box, lambda d: path_of(d, vf.representor)["vtep_ip"] == "10.0.0.2")
        status, doc = cli(box, "paths", "--sysfs-root", str(root))
        p = path_of(doc, vf.representor)
        assert status == 1 and p["verdict"] == "broken" and "enp1s0f0" in p["reason"]
        (f,) = [f for f in p["findings"] if f["code"] == "vtep-on-other-nic"]
        assert "10.0.0.1" in f["hint"]  # the VTEP of its own PF
        assert path_of(doc, box.plan.vfs[1].representor)["verdict"] != "broken"  # enp2s0f0_0 is on enp2s0f0
        # one e-switch for both PFs (a VF-LAG: the uplinks share their switch id): no finding
        for netdev in ("enp2s0f0", "enp2s0f0_0"):
            (next(root.glob(f"sys/devices/**/net/{netdev}")) / "phys_switch_id").write_text("b8cef60300aa0001\n")
        _status, doc = cli(box, "paths", "--sysfs-root", str(root))
        assert "vtep-on-other-nic" not in {f["code"] for f in path_of(doc, vf.representor)["findings"]}


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")
def test_apply_writes_what_ovn_reads(tmp_path: Path, ns: str) -> None:
    """A spaced ovn-encap-ip is not the spec's list: apply repairs it.  With a
    chassis-specific ovn-encap-ip-<chassis>, that is the key apply writes,
    the one OVN reads; verify then agrees."""
    with fresh_node(tmp_path, shape=Shape()) as box:
        vsctl(box, "set", "Open_vSwitch", ".", 'external_ids:ovn-encap-ip="10.0.0.1, 10.0.0.2,10.0.0.3"')
        status, out, err = apply_spec(box, ns, "apply", "--yes", tmp=tmp_path)
        assert status == 0 and "ovn-encap-ip" in out, err
        got = vsctl(box, "get", "Open_vSwitch", ".", "external_ids:ovn-encap-ip").strip()
        assert got == '"10.0.0.1,10.0.0.2,10.0.0.3"'
        vsctl(box, "set", "Open_vSwitch", ".", 'external_ids:ovn-encap-ip-mvtep-node="10.0.0.1,10.0.0.2"')
        status, out, err = apply_spec(box, ns, "apply", "--yes", tmp=tmp_path)
        assert status == 0 and "external_ids:ovn-encap-ip-mvtep-node" in out, err
        assert vsctl(box, "get", "Open_vSwitch", ".", "external_ids:ovn-encap-ip-mvtep-node").strip() == \
            '"10.0.0.1,10.0.0.2,10.0.0.3"'
        status, doc = eventually(box, lambda d: len({t["local_ip"] for p in d["paths"] for t in p["tunnels"]}) == 3)
        assert codes(doc, "error") == []
