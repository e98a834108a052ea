"""Pre-flight checks on modelled hardware: sysfs trees laid out as the kernel
lays them out (tests/hwmodel.py), read by DirSysfs and discover; devlink
answers built byte for byte (tests/nlreplies.py) and ethtool's feature bits,
put in a HostState and decoded by host_view, as a live node's are; the
VTEP checks on links and addresses the real kernel reports in a scratch
network namespace."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from hw import netns
from hw.checks import OvsView, PreflightInput, run_checks
from hw.host import HostReader, HostRequests, HostView, host_view
from hw.inventory import discover
from hw.model import Inventory
from hw.sysfs import DirSysfs
from mvcore.findings import Finding
from mvcore.reading import Reading
from mvcore.snapshot import FeatureBits, HostState, Key
from tests import hwmodel as testing
from tests.nlreplies import LEGACY, SWITCHDEV, answer, eswitch_reply
from tests.nlreplies import devlink_error as nlerror

ON = FeatureBits(available=True, requested=True, active=True, never_changed=False)
OFF = FeatureBits(available=True, requested=False, active=False, never_changed=False)


def _host(inv: Inventory, eswitch: dict[str, bytes] | None, features: dict[str, FeatureBits] | None) -> HostView:
    """What a live node's host reader would have returned, for these recorded answers."""
    pfs = [pf for a in inv.adapters for pf in a.pfs]
    netlink = {Key.devlink_eswitch(pf.pci): answer((eswitch or {}).get(pf.pci, SWITCHDEV)) for pf in pfs}
    ethtool = {n: Reading.of((features or {}).get(n, ON)) for pf in pfs for n in pf.offload_netdevs}
    return host_view(HostState(None, netlink, ethtool))


def _inputs(inv: Inventory, *, eswitch: dict[str, bytes] | None = None,
            features: dict[str, FeatureBits] | None = None, ovs: OvsView | None = None,
            host: HostView | None = None, privileged: bool = True, vteps: tuple[tuple[str, str], ...] = (),
            overlay_mtu: int | None = None) -> PreflightInput:
    return PreflightInput(inv, host or _host(inv, eswitch, features), ovs, None if ovs else "no db.sock",
                          privileged, overlay_mtu=overlay_mtu, vteps=vteps)


def _ovs_on_br_int(inv: Inventory, **kw: object) -> OvsView:
    reps = {vf.representor: "br-int" for a in inv.adapters for pf in a.pfs for vf in pf.vfs if vf.representor}
    return OvsView(True, None, ("10.0.0.1",), (), reps, **kw)  # type: ignore[arg-type]


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
    assert {s.mode for s in inp.host.devlink.values()} == {"unknown"}
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
    ovs = OvsView(False, "skip_sw", (), (("enp3s0f0np0", "10.0.0.1"), ("ens9", "10.0.0.2")),
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


@pytest.fixture
def vtep_ns() -> Iterator[str]:
    """vtep0 (MTU 1500, 10.0.0.1/23) and a netdev named as the modelled card's
    uplink, enp3s0f0np0 (MTU 9000); no rules."""
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root")
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname="vtep0", kind="veth", peer="vtep0p")
            ipr.link("add", ifname="enp3s0f0np0", kind="veth", peer="pf0p", mtu=9000)
            (index,) = ipr.link_lookup(ifname="vtep0")
            ipr.addr("add", index=index, address="10.0.0.1", prefixlen=23)
        yield name


def test_vtep_mtu(tmp_path: Path, vtep_ns: str) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    with HostReader(vtep_ns) as reader:
        host = host_view(reader.read(HostRequests()))
    ok = run_checks(_inputs(inv, host=host, vteps=(("enp3s0f0np0", "10.0.0.1"),), overlay_mtu=1400))
    small = run_checks(_inputs(inv, host=host, vteps=(("enp3s0f0np0", "10.0.0.1"),), overlay_mtu=1450))
    assert "vtep-mtu-too-small" not in codes(ok) and "vtep-mtu-too-small" in codes(small)
    assert "vtep-rule-missing" in codes(ok)  # no ip rule in this namespace
    missing = run_checks(_inputs(inv, host=host, vteps=(("enp3s0f0np0", "10.0.0.9"),)))
    assert "vtep-ip-missing" in codes(missing)
