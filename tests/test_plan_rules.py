"""``mvtep plan``'s OVSDB rules as pure functions: values compared the way
OVN and ovnkube-node read them, the keys OVN reads written, and the VTEP set
whatever the offload state.  (The real-node side is in test_apply.py and
test_verify_shapes.py.)"""

from __future__ import annotations

from typing import Any

from flowprog.nodeconfig import NodeConfig
from flowprog.plan import CurrentState, make_plan
from flowprog.spec import parse_spec
from mvcore.ovsdb_rows import ovs_state

SPEC = parse_spec("""
default_vtep = "10.0.0.1"
[[vtep]]
pf = "enp1s0f0"
interface = "vtep0"
ip = "10.0.0.1/23"
table = 6081
overlay = "10.1.0.0/16"
gateway = "10.0.1.254"
representors = ["enp1s0f0_*"]
[[vtep]]
pf = "enp2s0f0"
interface = "vtep1"
ip = "10.0.0.2/23"
table = 6082
overlay = "10.1.0.0/16"
gateway = "10.0.1.254"
representors = ["enp2s0f0_*"]
""")
RIGHT = {"system-id": "n1", "ovn-encap-ip": "10.0.0.1,10.0.0.2", "ovn-encap-ip-default": "10.0.0.1",
         "ovn-pf-encap-ip-mapping": "enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.2"}


def state(ext: dict[str, str], override: str | None = None, blockers: dict[str, str] | None = None,
          vif_ip: str = "10.0.0.2") -> CurrentState:
    rows: dict[str, Any] = {
        "Open_vSwitch": [{"_uuid": "o", "external_ids": ext, "other_config": {}, "ovs_version": "3.5.0"}],
        "Bridge": [{"_uuid": "b", "name": "br-int", "ports": ["p1"]}],
        "Port": [{"_uuid": "p1", "name": "enp2s0f0_0", "interfaces": ["i1"], "external_ids": {}}],
        "Interface": [{"_uuid": "i1", "name": "enp2s0f0_0", "type": "", "ofport": 1, "options": {},
                       "external_ids": {"iface-id": "pod-1", "encap-ip": vif_ip}}],
    }
    node = NodeConfig.from_state(ovs_state(rows), "br-int", override)
    return CurrentState(node=node, external_ids=ext, ovs_interfaces=frozenset(), kernel_interfaces=frozenset(),
                        addresses={}, rules=(), routes={}, pf_of_representor={}, uplinks=frozenset(),
                        offload_blockers=blockers or {})


def ovsdb(cur: CurrentState) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(c.target, c.old, c.new, c.refused) for c in make_plan(SPEC, cur).changes if c.kind == "ovsdb"]


def test_a_node_that_matches_needs_nothing() -> None:
    assert ovsdb(state(RIGHT)) == []
    # the list is a set to OVN: another order is the same list
    assert ovsdb(state({**RIGHT, "ovn-encap-ip": "10.0.0.2,10.0.0.1"})) == []


def test_a_spaced_list_is_not_the_list() -> None:
    spaced = {**RIGHT, "ovn-encap-ip": "10.0.0.1, 10.0.0.2"}
    assert ovsdb(state(spaced)) == [("Open_vSwitch external_ids:ovn-encap-ip", "10.0.0.1, 10.0.0.2",
                                     "10.0.0.1,10.0.0.2", None)]


def test_a_mapping_ovnkube_node_would_read_otherwise_is_rewritten() -> None:
    for bad in ("enp1s0f0:10.0.0.1, enp2s0f0:10.0.0.2", "enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.2,",
                "enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.2,enp2s0f0:10.0.0.2"):
        (change,) = ovsdb(state({**RIGHT, "ovn-pf-encap-ip-mapping": bad}))
        assert change[0] == "Open_vSwitch external_ids:ovn-pf-encap-ip-mapping" and change[1] == bad
    assert ovsdb(state({**RIGHT, "ovn-pf-encap-ip-mapping": "enp2s0f0:10.0.0.2,enp1s0f0:10.0.0.1"})) == []


def test_the_chassis_specific_keys_ovn_reads_are_the_ones_written() -> None:
    ext = {**RIGHT, "ovn-encap-ip-n1": "10.9.0.1", "ovn-encap-ip-default-n1": "10.9.0.1"}
    assert [c[0] for c in ovsdb(state(ext))] == ["Open_vSwitch external_ids:ovn-encap-ip-n1",
                                                 "Open_vSwitch external_ids:ovn-encap-ip-default-n1"]
    # the system-id-override file names the chassis, as for ovn-controller
    ext = {**RIGHT, "ovn-encap-ip-other": "10.9.0.1"}
    assert [c[0] for c in ovsdb(state(ext, override="other\n"))] == ["Open_vSwitch external_ids:ovn-encap-ip-other"]
    assert ovsdb(state(ext)) == []  # chassis n1 reads the generic key, which is right


def test_a_chassis_called_default_cannot_have_both_keys() -> None:
    changes = ovsdb(state({**RIGHT, "system-id": "default", "ovn-encap-ip-default": "10.0.0.1,10.0.0.2"}))
    refused = [c for c in changes if c[3]]
    assert refused and all("called 'default'" in c[3] for c in refused if c[3])


def test_the_vtep_is_set_whatever_the_offload_state() -> None:
    plan = make_plan(SPEC, state(RIGHT, blockers={"enp2s0f0": "e-switch mode is legacy"}, vif_ip="10.0.0.1"))
    (vif,) = [c for c in plan.changes if c.kind == "vif"]
    assert (vif.new, vif.refused) == ("10.0.0.2", None) and plan.todo == plan.changes
    assert any("enp2s0f0 cannot offload (e-switch mode is legacy)" in n for n in plan.notes)
