"""The verifier's rules as pure functions, on a snapshot saved from a real
OVN 25.03 node (tests/data, made with ``mvtep verify --save``) and on
hand-made flows."""

from __future__ import annotations

from typing import Any

import pytest

from flowprog.encapids import encap_ids, id_of
from flowprog.flows import Action, FieldMatch, Flow, FlowEntry
from flowprog.verify import VerifyResult, verify
from mvcore.snapshot import NodeSnapshot
from tests.snapshots import DECODER, SNAP, flows, iface, node, sb, with_ovs

__all__ = ["DECODER", "SNAP"]


def run(snap: NodeSnapshot = SNAP, table0: Any = None, remote: Any = None) -> VerifyResult:
    t0, ro = flows(snap)
    return verify(node(snap), t0 if table0 is None else table0, ro if remote is None else remote, sb(snap),
                  snap.southbound.error)


def codes(r: VerifyResult) -> list[str]:
    return sorted(f.code for f in r.findings)






def test_encap_ids_sort_as_strings_and_swap_the_default() -> None:
    assert encap_ids(["172.30.0.9", "172.30.0.10"]) == {0: "172.30.0.10", 1: "172.30.0.9"}
    assert encap_ids(["a", "b", "c", "d"], default="c") == {0: "c", 1: "b", 2: "a", 3: "d"}
    assert encap_ids(["a", "b"], default="z") == {0: "a", 1: "b"}
    assert id_of({0: "a", 1: "b"}, "b") == 1 and id_of({0: "a"}, "x") == 0 and id_of({0: "a"}, None) == 0


def test_the_saved_node_is_correct() -> None:
    r = run()
    assert codes(r) == ["encap-ip-unset"] and r.per_vtep and r.sb_checked
    assert r.encap_ips == r.expected_encap_ips == {0: "10.0.0.1", 1: "10.0.0.2", 2: "10.0.0.3"}


def test_config_rules() -> None:
    def change(rows: dict[str, Any]) -> None:
        ext = rows["Open_vSwitch"][0]["external_ids"]
        ext["ovn-pf-encap-ip-mapping"] = "enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.1,x"
        ext["ovn-encap-ip-default"] = "10.0.0.99"
        iface(rows, "enp2s0f0_0")["external_ids"]["encap-ip"] = "10.5.5.5"
        del iface(rows, "enp1s0f0_1")["external_ids"]["encap-ip"]
        iface(rows, "enp1s0f0_1")["external_ids"]["ovn-encap-ip"] = "10.0.0.1"
    r = run(with_ovs(change))
    assert codes(r) == ["encap-default-unknown", "encap-id-mismatch", "encap-ip-unknown", "encap-ip-unset",
                        "encap-key-misnamed", "pf-mapping-invalid", "pf-mapping-invalid"]


def test_no_vtep_at_all() -> None:
    r = run(with_ovs(lambda rows: rows["Open_vSwitch"][0]["external_ids"].pop("ovn-encap-ip")))
    assert "encap-ip-missing" in codes(r)


def test_chassis_specific_keys_win() -> None:
    def change(rows: dict[str, Any]) -> None:
        ext = rows["Open_vSwitch"][0]["external_ids"]
        ext["ovn-encap-ip-mvtep-node"] = ext.pop("ovn-encap-ip")
        ext["ovn-encap-ip"] = "192.0.2.1"
    assert node(with_ovs(change)).encap_ips == ("10.0.0.1", "10.0.0.2", "10.0.0.3")


def _entry(table: int) -> FlowEntry:
    return FlowEntry(6, table, 100, 0, 0, 0, 0.0, 0, 0, 0, 0, b"")


def _load(field: str, value: int, mask: int) -> Action:
    return Action("set_field", (("field", field), ("value", value), ("mask", mask)), "")


def test_a_vif_without_an_ingress_flow() -> None:
    t0, _ = flows()
    vif_ports = {v.ofport for v in node().vifs}
    kept = tuple(f for f in t0 if not (f.field("in_port") and f.field("in_port").value == min(vif_ports)))  # type: ignore[union-attr]
    assert "vif-not-programmed" in codes(run(table0=kept))


def test_pre_2403_flows_are_multi_vtep_unsupported() -> None:
    vif = node().vifs[0]
    ingress = Flow(_entry(0), (FieldMatch("in_port", vif.ofport or 1),),
                   (_load("reg13", 5, 0xFFFFFFFF), _load("metadata", 1, (1 << 64) - 1), _load("reg14", 1, 0xFFFFFFFF)))
    tunnel = node().tunnels[0]
    out = Flow(_entry(39), (FieldMatch("reg15", 9), FieldMatch("metadata", 1)),
               (Action("output", (("port", tunnel.ofport),), ""),))
    r = run(table0=(ingress,), remote=(out,))
    assert "multi-vtep-unsupported" in codes(r) and r.per_vtep is False


@pytest.mark.parametrize("field", ["reg15", "metadata"])
def test_flows_that_are_not_unicast_remote_output_are_ignored(field: str) -> None:
    tunnel = node().tunnels[0]
    match = tuple(m for m in (FieldMatch("reg15", 40000), FieldMatch("metadata", 1)) if m.name == field)
    flow = Flow(_entry(40), match, (Action("output", (("port", tunnel.ofport),), ""),))
    t0, ro = flows()
    assert codes(run(remote=ro + (flow,))) == codes(run())
