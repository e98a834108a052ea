"""Pre-flight checks on modelled hardware: sysfs trees laid out as the kernel
does (tests/hwmodel.py), devlink answers built byte for byte and decoded by the same
code that reads a live node, ethtool answers from the same decoding helper."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest

from flowprog.nodeconfig import parse_pf_mapping
from hw.checks import HostView, OvsView, PreflightInput, run_checks
from hw.devlink import decode_eswitch
from hw.ethtool import from_bits
from hw.inventory import discover
from hw.sysfs import DirSysfs
from hw.model import Features, Inventory
from mvcore.findings import Finding
from tests import hwmodel as testing
from tests.nlreplies import LEGACY, SWITCHDEV, answer, eswitch_reply
from tests.nlreplies import devlink_error as nlerror

ON = from_bits(active=True, available=True)
OFF = from_bits(active=False, available=True)


def _inputs(inv: Inventory, *, eswitch: dict[str, bytes] | None = None, features: dict[str, Features] | None = None,
            ovs: OvsView | None = None, host: HostView | None = None, privileged: bool = True,
            vteps: tuple[tuple[str, str], ...] = (), overlay_mtu: int | None = None) -> PreflightInput:
    pfs = [pf for a in inv.adapters for pf in a.pfs]
    states = {pf.pci: decode_eswitch(answer((eswitch or {}).get(pf.pci, SWITCHDEV))) for pf in pfs}
    names = [n for pf in pfs for n in [pf.uplink, *[vf.representor for vf in pf.vfs]] if n]
    feats = {n: (features or {}).get(n, ON) for n in names}
    return PreflightInput(inv, states, {}, feats, ovs, None if ovs else "no db.sock", host, privileged,
                          overlay_mtu=overlay_mtu, vteps=vteps)


def _ovs_on_br_int(inv: Inventory, **kw: object) -> OvsView:
    reps = {vf.representor: "br-int" for a in inv.adapters for pf in a.pfs for vf in pf.vfs if vf.representor}
    return OvsView(True, None, ("10.0.0.1",), parse_pf_mapping(""), reps, **kw)  # type: ignore[arg-type]


def codes(findings: tuple[Finding, ...], severity: str | None = None) -> list[str]:
    return sorted(f.code for f in findings if severity is None or f.severity.value == severity)


def tree(tmp_path: Path, scenario: Callable[[Path], object]) -> Inventory:
    scenario(tmp_path)
    return discover(DirSysfs(tmp_path))


def test_cx6dx_in_switchdev_passes(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    findings = run_checks(_inputs(inv, ovs=_ovs_on_br_int(inv)))
    assert codes(findings, "error") == [] and codes(findings, "warning") == []


def test_cx6lx_in_legacy_mode(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6lx_legacy)
    findings = run_checks(_inputs(inv, eswitch={pf.pci: LEGACY for a in inv.adapters for pf in a.pfs}))
    assert codes(findings, "error") == ["eswitch-not-switchdev", "eswitch-not-switchdev", "sriov-disabled"]
    # PF1 has no VFs: that is the sriov-disabled; no representor findings in legacy mode.
    assert "vf-without-representor" not in codes(findings)


def test_legacy_mode_from_the_mlnx_ofed_compat_file(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6lx_legacy)
    unavailable = {pf.pci: nlerror(errno.ENOENT) for a in inv.adapters for pf in a.pfs}
    inp = _inputs(inv, eswitch=unavailable)
    assert {s.mode for s in inp.eswitch.values()} == {"unknown"}
    assert codes(run_checks(inp)).count("eswitch-not-switchdev") == 2  # compat/devlink/mode says legacy


def test_mode_unknown_without_devlink_or_compat(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    inp = _inputs(inv, eswitch={pf.pci: nlerror(errno.ENOENT) for a in inv.adapters for pf in a.pfs})
    assert codes(run_checks(inp)).count("eswitch-mode-unknown") == 2


def test_bluefield2_nic_mode_passes(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.bf2_nic_mode)
    assert codes(run_checks(_inputs(inv, ovs=_ovs_on_br_int(inv))), "error") == []


def test_bluefield2_dpu_mode(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.bf2_dpu_mode)
    refused = {pf.pci: nlerror(errno.EOPNOTSUPP) for a in inv.adapters for pf in a.pfs}
    findings = run_checks(_inputs(inv, eswitch=refused))
    assert codes(findings, "error") == ["bluefield-dpu-mode", "bluefield-dpu-mode"]


def test_hw_tc_offload_off_on_an_uplink_and_a_representor(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    findings = run_checks(_inputs(inv, features={"enp3s0f0np0": OFF, "enp3s0f1_2": OFF}, ovs=_ovs_on_br_int(inv)))
    off = [f for f in findings if f.code == "hw-tc-offload-off"]
    assert sorted(f.subject or "" for f in off) == ["enp3s0f0np0", "enp3s0f1_2"]
    assert all("ethtool -K" in f.hint for f in off)


def test_vfs_without_representors(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.vfs_without_representors)
    assert codes(run_checks(_inputs(inv, ovs=_ovs_on_br_int(inv)))).count("vf-without-representor") == 2


def test_representor_not_on_br_int(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    ovs = _ovs_on_br_int(inv)
    moved = OvsView(True, None, (), ovs.pf_mapping, {**ovs.bridge_of, "enp3s0f1_0": "br-ex"})
    missing = [f for f in run_checks(_inputs(inv, ovs=moved)) if f.code == "representor-not-on-bridge"]
    assert [f.subject for f in missing] == ["enp3s0f1_0"]


def test_encap_none_and_ovs_offload_off(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    no_encap = {pf.pci: eswitch_reply(1, 0, 0) for a in inv.adapters for pf in a.pfs}
    ovs = OvsView(False, "skip_sw", (), parse_pf_mapping("enp3s0f0np0:10.0.0.1,ens9:10.0.0.2"),
                  _ovs_on_br_int(inv).bridge_of)
    found = codes(run_checks(_inputs(inv, eswitch=no_encap, ovs=ovs)))
    for code in ("eswitch-encap-none", "ovs-hw-offload-off", "ovs-tc-policy-skip-sw", "pf-mapping-unknown-pf"):
        assert code in found, code
    assert found.count("pf-mapping-unknown-pf") == 1  # enp3s0f0np0 is a real uplink


def test_unprivileged_and_without_ovs(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    refused = {pf.pci: nlerror(errno.EPERM) for a in inv.adapters for pf in a.pfs}
    findings = run_checks(_inputs(inv, eswitch=refused, privileged=False))
    assert "needs-root" in codes(findings, "info") and "ovs-unreachable" in codes(findings, "info")
    unknown = [f for f in findings if f.code == "eswitch-mode-unknown"]
    assert unknown and all("run as root" in f.hint for f in unknown)


def test_no_adapters_and_other_parts(tmp_path: Path) -> None:
    testing.SysfsBuilder(tmp_path).pf("0000:05:00.0", 0x1017, totalvfs=8)  # a ConnectX-5
    findings = run_checks(_inputs(discover(DirSysfs(tmp_path))))
    assert "no-adapters" in codes(findings, "warning") and "adapter-unsupported" in codes(findings, "info")


@pytest.mark.parametrize("damage", ["numvfs", "physfn"])
def test_damaged_sysfs_is_a_finding_not_a_crash(tmp_path: Path, damage: str) -> None:
    testing.cx6dx_switchdev(tmp_path)
    if damage == "numvfs":
        testing.corrupt_numvfs(tmp_path, "0000:03:00.0")
    else:
        testing.dangle_physfn(tmp_path, testing.vf_address("0000:03:00.0", 2, 1, 1))
    inv = discover(DirSysfs(tmp_path))
    found = codes(run_checks(_inputs(inv, ovs=_ovs_on_br_int(inv))))
    assert "sysfs-unreadable" in found or "device-skipped" in found


def test_vtep_mtu(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    host = HostView({"10.0.0.1": ("vtep0", 23, "ipv4")}, {"vtep0": 1500, "enp3s0f0np0": 9000}, (), {})
    ok = run_checks(_inputs(inv, host=host, vteps=(("enp3s0f0np0", "10.0.0.1"),), overlay_mtu=1400))
    small = run_checks(_inputs(inv, host=host, vteps=(("enp3s0f0np0", "10.0.0.1"),), overlay_mtu=1450))
    assert "vtep-mtu-too-small" not in codes(ok) and "vtep-mtu-too-small" in codes(small)
    assert "vtep-rule-missing" in codes(ok)  # no ip rule in this host view
