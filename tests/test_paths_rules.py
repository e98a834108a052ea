"""The per-VF verdict rules of :mod:`inspector.paths` as pure functions: the
multi-VTEP invariant (a VF tunnels from its own NIC's VTEP, unless both PFs
share one e-switch), node-level errors that break every path, and flows
that could not be decoded leaving a path unknown.  The hardware is a
modelled sysfs tree read by the production discovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowprog.verify import Tunnel, VerifyResult, VifPath
from hw.inventory import discover
from hw.model import Inventory
from hw.sysfs import DirSysfs
from inspector.paths import PathInputs, build_paths
from mvcore.findings import Finding, Severity
from tests.hwmodel import SWITCH_ID_NIC_A, SWITCH_ID_NIC_B, sandbox_two_nics

SWITCH_A, SWITCH_B = SWITCH_ID_NIC_A, SWITCH_ID_NIC_B


def two_nics(root: Path, second_switch: str = SWITCH_B) -> Inventory:
    """enp1s0f0 (VF 0 with representor enp1s0f0_0) and enp2s0f0 (VF 0, enp2s0f0_0), one card each."""
    sandbox_two_nics(root, second_switch=second_switch)
    return discover(DirSysfs(root))


def result(vtep_of: dict[str, str], findings: tuple[Finding, ...] = ()) -> VerifyResult:
    paths = tuple(VifPath(name, f"pod-{i}", i + 1, ip, i, ip, (Tunnel("remote-0", ip, "10.1.0.1", 9, "t"),))
                  for i, (name, ip) in enumerate(vtep_of.items()))
    return VerifyResult("node", {0: "10.0.0.1", 1: "10.0.0.2"}, {0: "10.0.0.1", 1: "10.0.0.2"}, 42, True, True,
                        paths, findings)


def inputs(inventory: Inventory | None, verify: VerifyResult, **over: Any) -> PathInputs:
    base: dict[str, Any] = dict(
        verify=verify, pf_of_ip={"10.0.0.1": "enp1s0f0", "10.0.0.2": "enp2s0f0"}, inventory=inventory, routes={},
        addresses={"10.0.0.1": "vtep0", "10.0.0.2": "vtep1"},
        bridge_of={"vtep0": "brenp1s0f0", "enp1s0f0": "brenp1s0f0", "vtep1": "brenp2s0f0", "enp2s0f0": "brenp2s0f0"},
        ovs_hw_offload=True, tc_policy=None, kernel_netdevs=frozenset({"enp1s0f0_0", "enp2s0f0_0"}), eswitch={},
        features={}, dp={}, tc={}, counters={})
    base.update(over)
    return PathInputs(**base)


def by_name(inp: PathInputs) -> dict[str, Any]:
    return {p.interface: p for p in build_paths(inp)}


def test_a_vf_on_the_other_nics_vtep_is_broken(tmp_path: Path) -> None:
    inv = two_nics(tmp_path)
    paths = by_name(inputs(inv, result({"enp1s0f0_0": "10.0.0.2", "enp2s0f0_0": "10.0.0.2"})))
    wrong = paths["enp1s0f0_0"]
    assert wrong.verdict == "broken" and "VF of enp1s0f0" in wrong.reason and "enp2s0f0" in wrong.reason
    (f,) = [f for f in wrong.findings if f.code == "vtep-on-other-nic"]
    assert f.severity is Severity.ERROR and "10.0.0.1" in f.hint
    assert paths["enp2s0f0_0"].verdict != "broken"


def test_one_e_switch_for_both_pfs_is_right(tmp_path: Path) -> None:
    """A VF-LAG: both uplinks report one phys_switch_id, and either PF's VF
    may use the bond's VTEP."""
    inv = two_nics(tmp_path, second_switch=SWITCH_A)
    paths = by_name(inputs(inv, result({"enp1s0f0_0": "10.0.0.2"})))
    assert not [f for f in paths["enp1s0f0_0"].findings if f.code == "vtep-on-other-nic"]


def test_the_vteps_pf_from_the_mapping_when_its_holder_is_unknown(tmp_path: Path) -> None:
    inv = two_nics(tmp_path)
    paths = by_name(inputs(inv, result({"enp1s0f0_0": "10.0.0.2"}), addresses={}))
    assert [f.code for f in paths["enp1s0f0_0"].findings] == ["vtep-on-other-nic"]


def test_without_sysfs_nothing_is_claimed() -> None:
    paths = by_name(inputs(None, result({"enp1s0f0_0": "10.0.0.2"})))
    assert not paths["enp1s0f0_0"].findings


def test_a_node_level_error_breaks_every_path(tmp_path: Path) -> None:
    """OVN before 24.03: no VF has its own VTEP, whatever its offload state."""
    why = Finding("multi-vtep-unsupported", Severity.ERROR, "2 VTEP IPs are configured but ovn-controller selects "
                  "no VTEP per port")
    paths = by_name(inputs(two_nics(tmp_path), result({"enp1s0f0_0": "10.0.0.1", "enp2s0f0_0": "10.0.0.2"},
                                                      (why,)), dp={"enp1s0f0_0": (2, 2, 0)}))
    assert {p.verdict for p in paths.values()} == {"broken"}
    assert all(p.reason == why.message for p in paths.values())


def test_undecoded_flows_leave_paths_unknown(tmp_path: Path) -> None:
    why = Finding("flows-undecoded", Severity.ERROR, "mvtep could not decode 3 flow(s) of table 0")
    paths = by_name(inputs(two_nics(tmp_path), result({"enp1s0f0_0": "10.0.0.1"}, (why,)),
                           dp={"enp1s0f0_0": (2, 2, 0)}))
    assert (paths["enp1s0f0_0"].verdict, paths["enp1s0f0_0"].reason) == ("unknown", why.message)
