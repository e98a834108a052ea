"""The verifier's rules as pure functions, on a snapshot saved from a real
OVN 25.03 node (tests/data, made with ``mvtep verify --save``), changed
copies of its rows, and hand-made flows.  Every finding code of
``mvtep verify`` has a test here that fails when its rule is removed."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from flowprog.encapids import Numbering, encap_ids, possible_encap_ids, split_encap_ips
from flowprog.flowdump import MAX_PORTS_ASKED, first_table, pick_tables
from flowprog.flowroles import remote_outputs, vif_ingress
from flowprog.flows import Action, FieldMatch, Flow, FlowEntry
from flowprog.ovnrelease import UNKNOWN, OvnRelease, from_chassis_features, from_version, release_of
from flowprog.verify import VerifyResult, verify
from mvcore.snapshot import NodeSnapshot
from tests.snapshots import DECODER, SNAP, flows, iface, node, row, sb, with_ovs, with_sb

__all__ = ["DECODER", "SNAP"]

R2403 = from_version("24.03.9")
R2409 = from_version("24.09.2")
R2503 = from_version("25.03.0")


def run(snap: NodeSnapshot = SNAP, table0: Any = None, remote: Any = None, **kw: Any) -> VerifyResult:
    t0, ro = flows(snap)
    return verify(node(snap), t0 if table0 is None else table0, ro if remote is None else remote, sb(snap),
                  snap.southbound.error, **kw)


def codes(r: VerifyResult, severity: str | None = None) -> list[str]:
    return sorted(f.code for f in r.findings if severity is None or f.severity.value == severity)


def ext(change: dict[str, str | None]) -> NodeSnapshot:
    """SNAP with Open_vSwitch external_ids changed (None removes a key)."""
    def edit(rows: dict[str, Any]) -> None:
        ids = rows["Open_vSwitch"][0]["external_ids"]
        for k, v in change.items():
            if v is None:
                ids.pop(k, None)
            else:
                ids[k] = v
    return with_ovs(edit)


def _entry(table: int, priority: int = 100) -> FlowEntry:
    return FlowEntry(6, table, priority, 0, 0, 0, 0.0, 0, 0, 0, 0, b"")


def _load(field: str, value: Any, mask: int | None = 0xFFFFFFFF) -> Action:
    return Action("set_field", (("field", field), ("value", value), ("mask", mask)), "")


def _output(port: int) -> Action:
    return Action("output", (("port", port),), "")


def _ingress(ofport: int, encap_id: int, priority: int = 100) -> Flow:
    return Flow(_entry(0, priority), (FieldMatch("in_port", ofport),),
                (_load("reg13", 5, 0xFFFF), _load("metadata", 1, (1 << 64) - 1),
                 _load("reg13", encap_id << 16, 0xFFFF0000)))


def _remote(port_key: int, encap_id: int | None, *ofports: int, table: int = 42, sets: tuple[Action, ...] = ()) -> Flow:
    match = [FieldMatch("reg15", port_key), FieldMatch("metadata", 1)]
    if encap_id is not None:
        match.append(FieldMatch("reg13", encap_id << 16, 0xFFFF0000))
    return Flow(_entry(table), tuple(match), (*sets, *(_output(p) for p in ofports)))


def _to(f: Flow, port_key: int, encap_id: int | None = None) -> bool:
    """Whether ``f`` is the remote-output flow to ``port_key`` (for ``encap_id``)."""
    reg15, reg13 = f.field("reg15"), f.field("reg13")
    return reg15 is not None and reg15.value == port_key and (
        encap_id is None or reg13 is not None and reg13.value == encap_id << 16)


def tunnel_port(local: str, remote: str) -> int:
    return next(t.ofport for t in node().tunnels if (t.local_ip, t.remote_ip) == (local, remote))  # type: ignore[misc]


# -- numbering, release by release ----------------------------------------------------


def test_encap_ids_sort_as_strings_and_swap_the_default() -> None:
    swap = Numbering.SWAPPED
    assert encap_ids(["172.30.0.9", "172.30.0.10"], None, swap).ids == {0: "172.30.0.10", 1: "172.30.0.9"}  # type: ignore[union-attr]
    assert encap_ids(["a", "b", "c", "d"], "c", swap).ids == {0: "c", 1: "b", 2: "a", 3: "d"}  # type: ignore[union-attr]
    assert encap_ids(["a", "b"], "z", swap).ids == {0: "a", 1: "b"}  # type: ignore[union-attr]


@pytest.mark.parametrize(("release", "ids", "unset", "unknown_ip"), [
    ("24.03.9", ("10.0.0.1", "10.0.0.2", "10.0.0.3"), 0, 0),  # the default is not read at all
    ("24.09.2", ("10.0.0.1", "10.0.0.2", "10.0.0.3"), 2, 0),  # no swap; unset -> the is_default Encap
    ("24.09.3", ("10.0.0.3", "10.0.0.2", "10.0.0.1"), 0, 0),  # swapped into id 0
    ("26.03.1", ("10.0.0.3", "10.0.0.2", "10.0.0.1"), 0, 0),
    ("23.09.6", (), None, None),  # no encap id before 24.03
])
def test_each_release_numbers_as_its_source_does(release: str, ids: tuple[str, ...], unset: int | None,
                                                 unknown_ip: int | None) -> None:
    found = encap_ids(["10.0.0.2", "10.0.0.3", "10.0.0.1"], "10.0.0.3", from_version(release))
    assert found is not None and found.order == ids
    assert found.id_of(None) == unset and found.id_of("10.9.9.9") == unknown_ip
    if ids:
        assert found.id_of("10.0.0.2") == 1


def test_an_unknown_release_offers_every_numbering_that_differs() -> None:
    many = possible_encap_ids(["10.0.0.1", "10.0.0.2", "10.0.0.3"], "10.0.0.3", UNKNOWN)
    assert [(n.order[0], n.default_id) for n in many] == [("10.0.0.3", 0), ("10.0.0.1", 2), ("10.0.0.1", 0)]
    assert encap_ids(["10.0.0.1", "10.0.0.2", "10.0.0.3"], "10.0.0.3", None) is None
    # without a default, or with the smallest as default, every release agrees
    assert len(possible_encap_ids(["10.0.0.1", "10.0.0.2"], None, None)) == 1
    assert len(possible_encap_ids(["10.0.0.1", "10.0.0.2"], "10.0.0.1", None)) == 1


def test_the_list_is_split_as_ovn_splits_it() -> None:
    assert split_encap_ips("10.0.0.1, 10.0.0.2,,10.0.0.1,") == ("10.0.0.1", " 10.0.0.2")
    n = encap_ids(split_encap_ips("10.0.0.1, 10.0.0.2"), None, Numbering.SWAPPED)
    assert n is not None and n.ids == {0: " 10.0.0.2", 1: "10.0.0.1"}  # the space sorts first


@pytest.mark.parametrize(("flags", "text", "numbering"), [
    ({"port-up-notif": "true", "ct-commit-to-zone": "true", "ct-next-zone": "true"}, "24.03.x", Numbering.SORTED),
    ({"port-up-notif": "true", "ovn-sample-with-registers": "false", "ct-next-zone": "true"}, "24.09.0-24.09.2",
     Numbering.SORTED_DEFAULT),
    ({"port-up-notif": "true", "ovn-sample-with-registers": "true", "ct-state-save": "true"}, "24.09.3",
     Numbering.SWAPPED),
    ({"port-up-notif": "true", "ovn-sample-with-registers": "true", "ct-label-flush": "true"}, "25.03.0 or later",
     Numbering.SWAPPED),
])
def test_the_release_is_bounded_by_the_chassis_feature_flags(flags: dict[str, str], text: str,
                                                              numbering: Numbering) -> None:
    found = from_chassis_features(flags)
    assert found is not None and (found.text, found.numbering, found.source) == (text, numbering, "southbound")


def test_the_release_sources_in_order() -> None:
    assert release_of("24.03.9", {"port-up-notif": "true", "ct-label-flush": "true"}).text == "24.03.9"
    assert release_of(None, {"port-up-notif": "true", "ct-label-flush": "true"}).source == "southbound"
    # 23.09.2 to 24.03.1 publish the same flags: only the flows can tell
    assert not release_of(None, {"port-up-notif": "true", "ct-commit-nat-v2": "true"}, "no socket").known
    assert release_of("ovn-controller 24.03.9-0ubuntu1", None).numbering is Numbering.SORTED


# -- the saved node ------------------------------------------------------------------


def test_the_saved_node_is_correct() -> None:
    r = run()
    assert codes(r) == ["encap-ip-unset"] and r.per_vtep and r.sb_checked
    assert r.encap_ips == r.expected_encap_ips == {0: "10.0.0.1", 1: "10.0.0.2", 2: "10.0.0.3"}


def test_a_default_that_is_not_first_is_judged_by_the_release() -> None:
    """The saved flows number the VTEPs in string order.  With a default of
    10.0.0.3 that is right for 24.03 and wrong for 25.03; with the release
    unknown the flows decide, and an info says so."""
    snap = ext({"ovn-encap-ip-default": "10.0.0.3"})
    assert "encap-id-mismatch" in codes(run(snap, release=R2503))
    assert "tunnel-local-ip-mismatch" in codes(run(snap, release=R2503))
    assert codes(run(snap, release=R2403), "error") == []
    assert "encap-default-ignored" in codes(run(snap, release=R2403))
    unknown = run(snap)
    assert codes(unknown, "error") == [] and "ovn-release-unknown" in codes(unknown, "info")
    assert unknown.numbering is Numbering.SORTED  # pod-5 (no encap-ip) loads 0: not 24.09.0-24.09.2's 2
    # on 24.09.2 the VIF without encap-ip loads the default's sorted index, 2, not 0
    assert [f.interface for f in run(snap, release=R2409).findings if f.code == "encap-id-mismatch"] == [
        "enp3s0f0_1"]


def test_an_unknown_release_still_sees_a_flow_fault() -> None:
    snap = ext({"ovn-encap-ip-default": "10.0.0.3"})
    t0, _ro = flows(snap)
    bad = tuple(_ingress(2, 2) if f.field("in_port") and f.field("in_port").value == 2 and f.priority == 100  # type: ignore[union-attr]
                else f for f in t0)
    r = run(snap, table0=bad)
    assert [f.interface for f in r.findings if f.code == "encap-id-mismatch"] == ["enp2s0f0_0"]


# -- configuration ---------------------------------------------------------------------


def test_no_vtep_at_all() -> None:
    assert "encap-ip-missing" in codes(run(ext({"ovn-encap-ip": None})))


def test_one_vtep_is_info() -> None:
    assert "single-vtep" in codes(run(ext({"ovn-encap-ip": "10.0.0.1"})), "info")


def test_a_spaced_or_bad_entry_of_the_list() -> None:
    r = run(ext({"ovn-encap-ip": "10.0.0.1, 10.0.0.2,10.0.0.3,vtep-4"}))
    bad = [f for f in r.findings if f.code == "encap-ip-list-invalid"]
    assert [(f.subject, f.severity.value) for f in bad] == [(" 10.0.0.2", "error"), ("vtep-4", "error")]
    assert "has a space" in bad[0].message and "encap id 0" in bad[0].message
    unknown = [f for f in r.findings if f.code == "encap-ip-unknown" and f.interface == "enp2s0f0_0"]
    assert unknown and "remove the space" in unknown[0].hint


def test_pf_mapping_rules() -> None:
    r = run(ext({"ovn-pf-encap-ip-mapping": "enp1s0f0:10.0.0.1,x,:10.0.0.2, enp3s0f0:10.0.0.3,enp9s0f0:10.7.7.7,"
                                            "enp2s0f0:10.0.0.1,enp2s0f0:10.0.0.2"}))
    bad = {f.subject: f.message for f in r.findings if f.code == "pf-mapping-invalid"}
    assert set(bad) == {"x", "", " enp3s0f0", "enp9s0f0"}
    assert "fails CNI ADD" in bad["x"] and "maps no PF" in bad[""] and "with a space" in bad[" enp3s0f0"]
    assert "not in ovn-encap-ip" in bad["enp9s0f0"]
    assert [f.subject for f in r.findings if f.code == "pf-mapping-duplicate"] == ["enp2s0f0"]
    shared = run(ext({"ovn-pf-encap-ip-mapping": "enp1s0f0:10.0.0.1,enp1s0f1:10.0.0.1"}))
    assert [(f.subject, f.severity.value) for f in shared.findings if f.code == "vtep-shared-by-pfs"] == [
        ("10.0.0.1", "info")]


def test_a_default_that_is_no_vtep() -> None:
    assert "encap-default-unknown" in codes(run(ext({"ovn-encap-ip-default": "10.0.0.99"})), "warning")


def test_an_encap_ip_two_chassis_claim() -> None:
    def steal(rows: dict[str, Any]) -> None:
        mine = row(rows, "Encap", ip="10.0.0.2")
        mine["chassis_name"] = "remote-0"
        row(rows, "Chassis", name="remote-0")["encaps"].append(mine["_uuid"])
        row(rows, "Chassis", name="mvtep-node")["encaps"].remove(mine["_uuid"])
    r = run(with_sb(steal))
    assert [f.subject for f in r.findings if f.code == "encap-ip-duplicate"] == ["10.0.0.2"]

    def both(rows: dict[str, Any]) -> None:
        copy = dict(row(rows, "Encap", ip="10.1.0.1"), _uuid="e-dup", chassis_name="remote-1")
        rows["Encap"].append(copy)
        row(rows, "Chassis", name="remote-1")["encaps"].append("e-dup")
    r = run(with_sb(both))
    dup = [f for f in r.findings if f.code == "encap-ip-duplicate"]
    assert [f.subject for f in dup] == ["10.1.0.1"] and "remote-0, remote-1" in dup[0].message


# -- VIFs ------------------------------------------------------------------------------


def test_vif_rules() -> None:
    def change(rows: dict[str, Any]) -> None:
        iface(rows, "enp2s0f0_0")["external_ids"]["encap-ip"] = "10.5.5.5"
        del iface(rows, "enp1s0f0_1")["external_ids"]["encap-ip"]
        iface(rows, "enp1s0f0_1")["external_ids"]["ovn-encap-ip"] = "10.0.0.1"
        iface(rows, "enp3s0f0_0")["ofport"] = -1
    r = run(with_ovs(change))
    by = {(f.code, f.interface) for f in r.findings}
    assert {("encap-ip-unknown", "enp2s0f0_0"), ("encap-key-misnamed", "enp1s0f0_1"),
            ("vif-no-ofport", "enp3s0f0_0"), ("encap-id-mismatch", "enp2s0f0_0")} <= by


def test_a_vif_without_an_ingress_flow() -> None:
    t0, _ = flows()
    kept = tuple(f for f in t0 if not (f.field("in_port") and f.field("in_port").value == 1))  # type: ignore[union-attr]
    assert [f.interface for f in run(table0=kept).findings if f.code == "vif-not-programmed"] == ["enp1s0f0_0"]


def test_encap_ip_unset_only_for_representors() -> None:
    """A veth pod and the management port use the default VTEP by design:
    one info line for them; a VF representor without encap-ip is a warning."""
    def change(rows: dict[str, Any]) -> None:
        for name in ("enp1s0f0_0", "enp2s0f0_0"):
            del iface(rows, name)["external_ids"]["encap-ip"]
        iface(rows, "enp1s0f0_0")["name"] = "a1b2c3d4e5f6a7b"  # a veth pod's host side
        iface(rows, "a1b2c3d4e5f6a7b")["status"] = {"driver_name": "veth"}
        iface(rows, "enp2s0f0_0")["type"] = "internal"  # as ovn-k8s-mp0
    r = run(with_ovs(change))
    assert [f.interface for f in r.findings if f.code == "encap-ip-unset"] == ["enp3s0f0_1"]  # named <uplink>_<n>
    (summary,) = [f for f in r.findings if f.code == "vifs-on-default-vtep"]
    assert summary.severity.value == "info" and summary.interface is None and "2 VIF(s)" in summary.message
    # sysfs, or the representor driver OVS reports, says who is a representor whatever the name
    assert "a1b2c3d4e5f6a7b" in {f.interface for f in run(with_ovs(change), representors=frozenset(
        {"a1b2c3d4e5f6a7b"})).findings if f.code == "encap-ip-unset"}

    def rep_driver(rows: dict[str, Any]) -> None:
        change(rows)
        iface(rows, "a1b2c3d4e5f6a7b")["status"] = {"driver_name": "mlx5e_rep"}
    assert "a1b2c3d4e5f6a7b" in {f.interface for f in run(with_ovs(rep_driver)).findings
                                 if f.code == "encap-ip-unset"}


def test_activation_strategy_flows_are_not_the_vifs_flow() -> None:
    """A port migrating here has priority-1010 RARP flows loading encap id 0
    (physical.c setup_rarp_activation_strategy): the VIF's flow is its
    lowest-priority one."""
    t0, _ = flows()
    rarp = _ingress(2, 0, priority=1010)
    assert vif_ingress((rarp, *t0), [2])[2].encap_id == 1
    assert "encap-id-mismatch" not in codes(run(table0=(rarp, *t0)))


def test_a_vif_bound_here_only_as_additional_chassis() -> None:
    """Live migration to this node: pod-1 is bound to remote-0, this chassis
    is its additional one, and table 0 loads the id of its Port_Binding.encap
    -- remote-0's, so 0 (physical.c load_logical_ingress_metadata)."""
    def migrating(rows: dict[str, Any]) -> None:
        pb = row(rows, "Port_Binding", logical_port="pod-1")
        pb["chassis"] = row(rows, "Chassis", name="remote-0")["_uuid"]
        pb["additional_chassis"] = [row(rows, "Chassis", name="mvtep-node")["_uuid"]]
        pb["encap"] = row(rows, "Encap", ip="10.1.0.1")["_uuid"]
    t0, _ = flows()
    moved = tuple(_ingress(2, 0) if f.field("in_port") and f.field("in_port").value == 2  # type: ignore[union-attr]
                  and f.priority == 100 else f for f in t0)
    r = run(with_sb(migrating), table0=moved)
    assert "encap-id-mismatch" not in codes(r)
    (note,) = [f for f in r.findings if f.code == "vif-additional-chassis"]
    assert note.interface == "enp2s0f0_0" and "remote-0" in note.message
    assert "encap-id-mismatch" in codes(run(table0=moved))  # bound here as main chassis: a fault


# -- flows that could not be decoded ------------------------------------------------------


def test_undecoded_flows_are_never_read_as_missing() -> None:
    t0, _ = flows()
    kept = tuple(f for f in t0 if not (f.field("in_port") and f.field("in_port").value == 1))  # type: ignore[union-attr]
    r = run(table0=kept, undecoded={0: (1, "no converter for experimenter 0x2320 subtype 99")})
    assert "vif-not-programmed" not in codes(r)
    assert [f.interface for f in r.findings if f.code == "vif-flows-undecoded"] == ["enp1s0f0_0"]
    (f,) = [f for f in r.findings if f.code == "flows-undecoded"]
    assert "1 flow(s) of table 0" in f.message and "not OVN" in f.hint
    # the remote-output table's flows unreadable: no tunnel is reported missing
    gone = run(remote=(), undecoded={42: (18, "OFPBAC_BAD_TYPE")})
    assert "tunnel-missing" not in codes(gone) and "flows-undecoded" in codes(gone, "error")
    assert "tunnel-missing" in codes(run(remote=()))


# -- remote output ---------------------------------------------------------------------------


def test_remote_output_through_the_wrong_local_vtep() -> None:
    _, ro = flows()
    wrong = tunnel_port("10.0.0.3", "10.1.1.2")
    flow = _remote(9, 1, wrong)
    r = run(remote=(*(f for f in ro if not _to(f, 9, 1)), flow))
    (f,) = [f for f in r.findings if f.code == "tunnel-local-ip-mismatch"]
    assert "recompute" in f.hint  # the right tunnel exists: the flows are stale


def test_a_fallback_for_a_failed_tunnel_port_says_so() -> None:
    def fail(rows: dict[str, Any]) -> None:
        t = iface(rows, "ovn-remote-0")  # 10.0.0.2 -> 10.1.1.2
        t["error"], t["ofport"] = "could not add network device ovn-remote-0 to ofproto (File exists)", -1
    _, ro = flows()
    flow = _remote(9, 1, tunnel_port("10.0.0.3", "10.1.1.2"))
    r = run(with_ovs(fail), remote=(*(f for f in ro if not _to(f, 9)), flow))
    (f,) = [f for f in r.findings if f.code == "tunnel-local-ip-mismatch"]
    assert "could not create the tunnel port ovn-remote-0" in f.hint and "restart" not in f.hint
    (failed,) = [f for f in r.findings if f.code == "tunnel-port-failed"]
    assert failed.subject == "ovn-remote-0" and "File exists" in failed.message


def test_remote_output_to_the_wrong_remote_vtep() -> None:
    _, ro = flows()
    flow = _remote(9, 1, tunnel_port("10.0.0.2", "10.1.1.1"))  # remote-1-pod-1 is bound through 10.1.1.2
    r = run(remote=(*(f for f in ro if not _to(f, 9, 1)), flow))
    assert "tunnel-remote-ip-mismatch" in codes(r) and "tunnel-local-ip-mismatch" not in codes(r)


def test_a_second_output_to_an_additional_chassis_is_right() -> None:
    def additional(rows: dict[str, Any]) -> None:
        row(rows, "Port_Binding", logical_port="remote-1-pod-1")["additional_chassis"] = [
            row(rows, "Chassis", name="remote-0")["_uuid"]]
    snap = with_sb(additional)
    _, ro = flows()
    two = [_remote(9, k, tunnel_port(ip, "10.1.1.2"), tunnel_port(ip, "10.1.0.1"))
           for k, ip in enumerate(("10.0.0.1", "10.0.0.2", "10.0.0.3"))]
    r = run(snap, remote=(*(f for f in ro if not _to(f, 9)), *two))
    assert codes(r, "error") == []
    assert "tunnel-remote-ip-mismatch" in codes(run(remote=(*(f for f in ro if not _to(f, 9)), *two)))


def test_a_missing_remote_output_flow() -> None:
    _, ro = flows()
    kept = tuple(f for f in ro if not _to(f, 9, 2))
    r = run(remote=kept)
    (f,) = [f for f in r.findings if f.code == "tunnel-missing"]
    assert "remote-1-pod-1" in f.message and "2 (10.0.0.3)" in f.message
    assert [p.unreachable for p in r.paths if p.encap_id == 2][0] == ("remote-1-pod-1",)


def test_a_missing_tunnel_port() -> None:
    def drop(rows: dict[str, Any]) -> None:
        rows["Interface"].remove(iface(rows, "ovn-remote-6"))  # 10.0.0.2 -> 10.1.0.1
    r = run(with_ovs(drop))
    assert any(f.code == "tunnel-missing" and "no tunnel port from 10.0.0.2 to remote-0" in f.message
               for f in r.findings)


def test_remote_ports_without_port_binding_encap() -> None:
    def unset(rows: dict[str, Any]) -> None:
        for pb in rows["Port_Binding"]:
            if pb["logical_port"].startswith("remote-"):
                pb["encap"] = []
    r = run(with_sb(unset))
    # remote-1 has two VTEPs: arbitrary; remote-0 has one: nothing to choose
    assert [(f.subject, f.severity.value) for f in r.findings if f.code == "remote-encap-unset"] == [
        ("remote-1", "warning")]


def test_interconnect_mode_is_said_once_instead() -> None:
    def remote_zone(rows: dict[str, Any]) -> None:
        for pb in rows["Port_Binding"]:
            if pb["logical_port"].startswith("remote-"):
                pb["encap"] = []
        for name in ("remote-0", "remote-1"):
            row(rows, "Chassis", name=name)["other_config"]["is-remote"] = "true"
    for snap in (with_sb(remote_zone), with_ovs(lambda rows: None, with_sb(remote_zone))):
        r = run(snap)
        assert codes(r, "info").count("interconnect-mode") == 1 and "remote-encap-unset" not in codes(r)
    assert "interconnect-mode" in codes(run(ext({"ovn-is-interconn": "true"})))


def test_without_the_southbound_db() -> None:
    t0, ro = flows()
    r = verify(node(), t0, ro, None, "cannot connect")
    assert "sb-unreachable" in codes(r, "info") and not r.sb_checked


# -- before 24.03 -------------------------------------------------------------------------


def test_pre_2403_flows_are_multi_vtep_unsupported() -> None:
    vif = node().vifs[0]
    ingress = Flow(_entry(0), (FieldMatch("in_port", vif.ofport or 1),),
                   (_load("reg13", 5), _load("metadata", 1, (1 << 64) - 1), _load("reg14", 1)))
    out = Flow(_entry(39), (FieldMatch("reg15", 9), FieldMatch("metadata", 1)),
               (_output(node().tunnels[0].ofport or 0),))
    r = run(table0=(ingress,), remote=(out,), release=from_version("23.03.1"))
    (f,) = [f for f in r.findings if f.code == "multi-vtep-unsupported"]
    assert r.per_vtep is False and "24.03.0 or newer" in f.hint and "23.03.1" in f.hint
    assert "newer than 24.03.2" not in f.hint


def test_pre_2403_on_an_ovn_kubernetes_node_names_the_one_local_ip() -> None:
    """ovnkube-node sets ovn-set-local-ip=true: 23.x then gives every tunnel
    the first encap as local_ip (encaps.c), one tunnel per remote encap."""
    def v23(rows: dict[str, Any]) -> None:
        for name in ("ovn-remote-0", "ovn-remote-1", "ovn-remote-3", "ovn-remote-4", "ovn-remote-6", "ovn-remote-7"):
            rows["Interface"].remove(iface(rows, name))
    vif = node().vifs[0]
    ingress = Flow(_entry(0), (FieldMatch("in_port", vif.ofport or 1),),
                   (_load("reg13", 5), _load("metadata", 1, (1 << 64) - 1)))
    r = run(with_ovs(v23), table0=(ingress,), remote=())
    (f,) = [f for f in r.findings if f.code == "multi-vtep-unsupported"]
    assert "every tunnel leaves from 10.0.0.1" in f.message


# -- which flows are remote output -----------------------------------------------------------


@pytest.mark.parametrize("field", ["reg15", "metadata"])
def test_flows_that_are_not_unicast_remote_output_are_ignored(field: str) -> None:
    tunnel = node().tunnels[0]
    match = tuple(m for m in (FieldMatch("reg15", 40000), FieldMatch("metadata", 1)) if m.name == field)
    flow = Flow(_entry(40), match, (_output(tunnel.ofport or 0),))
    _t0, ro = flows()
    assert codes(run(remote=ro + (flow,))) == codes(run())


def test_ipv6_flow_based_tunnel_addresses_are_read() -> None:
    flow = _remote(9, 0, 30, sets=(_load("tun_ipv6_src", "fd00::1", None), _load("tun_ipv6_dst", "fd01::1:2", None)))
    (r,) = remote_outputs((flow,), [30])
    assert (r.tun_src, r.tun_dst) == ("fd00::1", "fd01::1:2")
    loaded = _remote(9, 0, 30, sets=(_load("tun_ipv6_src", 1, None),))
    assert remote_outputs((loaded,), [30])[0].tun_src == "::1"


def test_the_remote_output_table_is_found_past_flood_and_evpn_ports() -> None:
    """A port only a flood (84) or EVPN (45) table outputs to does not end the
    search; the first port with unicast remote output does."""
    flood = Flow(_entry(84), (), (_output(1),))
    evpn = Flow(_entry(45), (FieldMatch("reg15", 1 << 31), FieldMatch("metadata", 5)), (_output(1),))
    unicast = _remote(9, 0, 2, table=44)
    later = _remote(9, 1, 3, table=44)
    by_port = {1: [flood, evpn], 2: [unicast, flood], 3: [later]}
    asked: list[int] = []

    def outputs_to(port: int, table: int | None) -> list[Flow]:
        asked.append(port)
        return [f for f in by_port[port] if table is None or f.table == table]
    assert pick_tables([1, 2, 3], outputs_to) == (44,) and asked == [1, 2]
    # no unicast remote output anywhere: every table seen is kept (its flows may be undecodable)
    assert pick_tables([1], outputs_to) == (45, 84)
    assert pick_tables(range(100), lambda p, t: []) == () and MAX_PORTS_ASKED == 16


def _from_tunnel(ofport: int, to: int) -> Flow:
    """OVN's table-0 flow for what arrives from a tunnel: to LOCAL_OUTPUT."""
    return Flow(_entry(0), (FieldMatch("in_port", ofport),),
                (Action("move", (), ""), Action("resubmit", (("port", None), ("table", to)), "")))


def test_the_table_before_local_output_is_asked_alone_first() -> None:
    """Each question across every table makes the switch walk all its flows,
    so the table before the one table 0 sends tunnel traffic to is asked
    first; only when its flows are not unicast remote output to the tunnels
    is every table searched (as the rule above)."""
    table0 = [_ingress(3, 0), _from_tunnel(7, 43), _from_tunnel(8, 43),
              Flow(_entry(0, 120), (FieldMatch("in_port", 7), FieldMatch("icmp_type", 3)),
                   (Action("resubmit", (("port", None), ("table", 80)), ""),))]
    assert first_table(table0, [7, 8]) == 42
    assert first_table(table0, [9]) is None and first_table([], [7]) is None
    flows = [_remote(9, 0, 7, table=42), Flow(_entry(84), (), (_output(7),)), _remote(9, 1, 8, table=50)]
    asked: list[int | None] = []

    def outputs_to(port: int, table: int | None) -> list[Flow]:
        asked.append(table)
        return [f for f in flows if (table is None or f.table == table) and port in f.outputs()]
    assert pick_tables([7, 8], outputs_to, first=42) == (42,) and asked == [42]
    asked.clear()  # a table without the unicast remote output: every table is searched, as without a guess
    assert pick_tables([7, 8], outputs_to, first=84) == (42,) and asked == [84, 84, None]
    asked.clear()
    assert pick_tables([7, 8], outputs_to, first=None) == (42,) and asked == [None]


def test_evpn_ports_are_not_chassis_tunnels() -> None:
    def evpn(rows: dict[str, Any]) -> None:
        rows["Interface"].append({"_uuid": "i-evpn", "name": "ovn-evpn-4789", "type": "vxlan", "ofport": 40,
                                  "external_ids": {}, "options": {"local_ip": "flow", "remote_ip": "flow",
                                                                  "key": "flow", "dst_port": "4789"}})
        rows["Port"].append({"_uuid": "p-evpn", "name": "ovn-evpn-4789", "interfaces": ["i-evpn"],
                             "external_ids": {"ovn-evpn-tunnel": "true"}})
        row(rows, "Bridge", name="br-int")["ports"].append("p-evpn")
    snap = with_ovs(evpn)
    n = node(snap)
    assert "ovn-evpn-4789" not in {t.name for t in n.tunnels} and [t.name for t in n.evpn_ports] == ["ovn-evpn-4789"]
    r = run(snap, remote=(*flows()[1], _remote(1 << 31, None, 40, table=45)))
    assert codes(r) == codes(run())  # no flow-based port to skip the tunnel checks, no false tunnel-missing


def test_result_carries_the_release() -> None:
    r = run(release=R2503)
    assert r.release == R2503 and r.numbering is Numbering.SWAPPED
    assert dataclasses.replace(run(), findings=()).release == UNKNOWN
    assert isinstance(UNKNOWN, OvnRelease)


def test_the_override_file_travels_in_a_bundle(tmp_path: Any) -> None:
    """ovn-controller's system-id-override, read with the OVSDB rows, is kept
    in the bundle's daemons.json; the chassis it names is the one read back."""
    from inspector.bundle import read_bundle, write_bundle
    from mvcore.reading import Reading
    from mvcore.snapshot import DaemonState
    snap = dataclasses.replace(SNAP, daemons=DaemonState(ovn_version=Reading.of("25.03.0"),
                                                          system_id_override=Reading.of("node-b\n")))
    write_bundle(snap, tmp_path / "b.tar.gz", "test")
    back = read_bundle(tmp_path / "b.tar.gz")
    assert back.daemons.system_id_override == Reading.of("node-b\n")
    assert node(back).chassis == "node-b" and node(back).system_id == "mvtep-node"
    assert not read_bundle(tmp_path / "b.tar.gz").daemons.system_id_override.error
