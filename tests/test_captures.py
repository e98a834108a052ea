"""The checks on real hosts' published output (tests/data/captures, each file citing
its source), translated into the sysfs tree and netlink replies the kernel would
have given (tests/captures.py), read by the production readers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hw.checks import OvsView, PreflightInput, run_checks
from hw.host import host_view
from hw.inventory import discover
from hw.routing import decode_tc
from hw.sysfs import DirSysfs
from hw.tcflower import TcOffload
from mvcore.findings import Finding
from mvcore.snapshot import HostState, Key
from tests import captures
from tests.nlreplies import SWITCHDEV, answer


def codes(findings: tuple[Finding, ...], severity: str = "error") -> list[str]:
    return sorted(f.code for f in findings if f.severity.value == severity)


def check(root: Path, eswitch: bytes, ovs: OvsView | None = None) -> tuple[Finding, ...]:
    inv = discover(DirSysfs(root))
    pfs = [pf for a in inv.adapters for pf in a.pfs]
    host = host_view(HostState(None, {Key.devlink_eswitch(pf.pci): answer(eswitch) for pf in pfs}))
    return run_checks(PreflightInput(inv, host, ovs, None if ovs else "no db.sock", privileged=True))


def test_a_connectx4_lx_is_checked_legacy_then_switchdev(tmp_path: Path) -> None:
    cap = captures.load("cx4lx-eswitch-opennebula.txt")
    captures.build_tree(cap, tmp_path)
    (card,) = discover(DirSysfs(tmp_path)).adapters
    assert (card.product, card.supported) == ("ConnectX-4 Lx", True) and len(card.pfs[0].vfs) == 2
    (_, legacy), (_, switchdev) = captures.eswitch_replies(cap)
    before = check(tmp_path, legacy)
    assert codes(before) == ["eswitch-not-switchdev"] and "adapter-unsupported" not in codes(before, "info")
    # switchdev, but this capture shows no representors yet: each VF is reported, not ignored
    assert codes(check(tmp_path, switchdev)) == ["vf-without-representor"] * 2


def test_the_older_iproute2_encap_wording() -> None:
    cap = captures.load("eswitch-old-iproute2-sriov-dp.txt")
    ((pci, reply),) = captures.eswitch_replies(cap)
    state = host_view(HostState(None, {Key.devlink_eswitch(pci): answer(reply)})).devlink[pci]
    assert (state.mode, state.inline_mode, state.encap_mode) == ("switchdev", "none", "basic")


def test_a_connectx5_scalable_function(tmp_path: Path) -> None:
    cap = captures.load("cx5-sf-kernel-doc.txt")
    captures.build_tree(cap, tmp_path)
    (card,) = discover(DirSysfs(tmp_path)).adapters
    (pf,) = card.pfs
    assert card.product == "ConnectX-5" and pf.uplink == "ens2f0np0"
    assert [(sf.name, sf.sfnum, sf.netdev, sf.representor) for sf in pf.sfs] == [
        ("mlx5_core.sf.4", 88, "p0sf88", "ens2f0npf0sf88")]
    switchdev = SWITCHDEV  # the page sets switchdev before adding the SF
    plugged = OvsView(True, None, (), (), {"ens2f0npf0sf88": "br-int"})
    assert codes(check(tmp_path, switchdev, plugged)) == []
    unplugged = check(tmp_path, switchdev, OvsView(True, None, (), (), {}))
    assert [f.subject for f in unplugged if f.code == "representor-not-on-bridge"] == ["ens2f0npf0sf88"]


def test_a_bluefield_arm_from_its_devlink_ports(tmp_path: Path) -> None:
    cap = captures.load("bluefield-arm-external-controller.txt")
    captures.build_tree(cap, tmp_path)
    (pf,) = discover(DirSysfs(tmp_path)).adapters[0].pfs
    assert pf.uplink == "enP51p1s0f0np0"
    assert [(r.netdev, r.kind, r.controller, r.index) for r in pf.host_representors] == [
        ("eth0", "pf", 1, None), ("eth1", "sf", 1, 77)]
    findings = check(tmp_path, SWITCHDEV, OvsView(True, None, (), (), {}))
    assert "bluefield-arm" in codes(findings, "info") and codes(findings) == []
    assert "sriov-disabled" not in codes(findings)  # the host, not the Arm, creates the VFs


def test_tc_filters_in_hardware() -> None:
    dump = captures.tc_filters(captures.load("tc-flower-in-hw-lnst.txt"))
    found = decode_tc(answer(dump))
    assert dataclasses.replace(found, filters=()) == TcOffload(total=1, in_hw=1, not_in_hw=0, in_hw_count=1)
    assert [(f.in_hw, f.in_hw_count, f.actions) for f in found.filters] == [(True, 1, ("mirred",))]


def test_every_capture_cites_its_source() -> None:
    for path in sorted(captures.DIR.glob("*.txt")):
        assert path.read_text().startswith("# source: "), path.name
