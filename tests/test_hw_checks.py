"""Pre-flight checks on modelled hardware: sysfs trees laid out as the kernel
lays them out (tests/hwmodel.py), read by DirSysfs and discover; devlink
answers built byte for byte (tests/nlreplies.py) and ethtool's feature bits,
put in a HostState and decoded by host_view, as a live node's are; the
VTEP checks on links and addresses the real kernel reports in a scratch
network namespace."""

from __future__ import annotations

import dataclasses
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
from tests.nlreplies import (
    LEGACY, SWITCHDEV, TYPE_FLAG, TYPE_STRING, answer, eswitch_reply, param_reply,
)
from tests.nlreplies import devlink_error as nlerror

ON = FeatureBits(available=True, requested=True, active=True, never_changed=False)
OFF = FeatureBits(available=True, requested=False, active=False, never_changed=False)


def _host(inv: Inventory, eswitch: dict[str, bytes] | None, features: dict[str, FeatureBits] | None,
          params: dict[tuple[str, str], bytes] | None = None) -> HostView:
    """What a live node's host reader would have returned, for these recorded answers."""
    pfs = [pf for a in inv.adapters for pf in a.pfs]
    netlink = {Key.devlink_eswitch(pf.pci): answer((eswitch or {}).get(pf.pci, SWITCHDEV)) for pf in pfs}
    netlink |= {Key.devlink_param(pci, name): answer(data) for (pci, name), data in (params or {}).items()}
    ethtool = {n: Reading.of((features or {}).get(n, ON)) for pf in pfs for n in pf.offload_netdevs}
    return host_view(HostState(None, netlink, ethtool))


def _inputs(inv: Inventory, *, eswitch: dict[str, bytes] | None = None,
            features: dict[str, FeatureBits] | None = None, ovs: OvsView | None = None,
            host: HostView | None = None, privileged: bool = True, vteps: tuple[tuple[str, str], ...] = (),
            overlay_mtu: int | None = None, params: dict[tuple[str, str], bytes] | None = None,
            dual_stack: bool | None = None) -> PreflightInput:
    return PreflightInput(inv, host or _host(inv, eswitch, features, params), ovs, None if ovs else "no db.sock",
                          privileged, overlay_mtu=overlay_mtu, vteps=vteps, dual_stack=dual_stack,
                          dual_stack_from="given")


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
    testing.SysfsBuilder(tmp_path).function("0000:05:00.0", 0x1007, driver="mlx4_core")  # a ConnectX-3
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


# -- which hardware: any mlx5 PF that manages its e-switch ------------------------------


def pcis(inv: Inventory) -> list[str]:
    return [pf.pci for a in inv.adapters for pf in a.pfs]


@pytest.mark.parametrize("scenario", [testing.cx7_switchdev, testing.bf3_nic_mode])
def test_newer_generations_get_every_check_and_pass(tmp_path: Path, scenario: Callable[[Path], object]) -> None:
    inv = tree(tmp_path, scenario)
    findings = run_checks(_inputs(inv, ovs=_ovs_on_br_int(inv)))
    assert codes(findings, "error") == [] and "adapter-unsupported" not in codes(findings)
    off = run_checks(_inputs(inv, features={inv.adapters[0].pfs[0].uplink or "": OFF}, ovs=_ovs_on_br_int(inv)))
    assert codes(off, "error") == ["hw-tc-offload-off"]  # checked, not skipped


def test_bluefield2_nic_mode_before_setup_is_not_dpu_mode(tmp_path: Path) -> None:
    # Legacy, no VFs, an older kernel (no switch id): devlink answering proves NIC mode.
    inv = tree(tmp_path, testing.bf2_nic_legacy_fresh)
    findings = run_checks(_inputs(inv, eswitch=dict.fromkeys(pcis(inv), LEGACY)))
    assert codes(findings, "error") == ["eswitch-not-switchdev"] * 2 + ["sriov-disabled"] * 2
    # unprivileged, devlink cannot answer: unknown, never a guessed DPU mode
    refused = run_checks(_inputs(inv, eswitch=dict.fromkeys(pcis(inv), nlerror(errno.EPERM)), privileged=False))
    assert "bluefield-dpu-mode" not in codes(refused) and codes(refused).count("eswitch-mode-unknown") == 2


def test_bluefield2_dpu_mode_names_the_arm(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.bf2_dpu_mode)
    findings = run_checks(_inputs(inv, eswitch=dict.fromkeys(pcis(inv), nlerror(errno.EOPNOTSUPP))))
    dpu = [f for f in findings if f.code == "bluefield-dpu-mode"]
    assert len(dpu) == 2 and all("Arm" in f.hint and "p0/p1" in f.hint for f in dpu)
    assert codes(findings, "error") == ["bluefield-dpu-mode"] * 2  # no host checks reported as failures


def test_on_the_bluefield_arm(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.bf2_arm)
    ovs = _ovs_on_br_int(inv)
    plugged = OvsView(True, None, ("10.0.0.1",), (("p0", "10.0.0.1"),),
                      {**ovs.bridge_of, "pf0vf0": "br-int", "pf0vf1": "br-int", "en3f0pf0sf0": "br-int"})
    findings = run_checks(_inputs(inv, ovs=plugged))
    assert codes(findings, "error") == [] and "bluefield-arm" in codes(findings, "info")
    arm = next(f for f in findings if f.code == "bluefield-arm")
    assert "pf0hpf" in arm.message and "2 host VF" in arm.message
    # the host VFs' representors must be on br-int, as ovnkube-node in dpu mode plugs them
    missing = run_checks(_inputs(inv, ovs=OvsView(True, None, (), (("p0", "10.0.0.1"),), {})))
    assert sorted(f.subject or "" for f in missing if f.code == "representor-not-on-bridge") == [
        "en3f0pf0sf0", "pf0vf0", "pf0vf1"]
    assert "pf-mapping-unknown-pf" not in codes(missing)  # p0 is the Arm's uplink


def test_switchdev_inactive_is_an_error_without_unbinding(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    findings = run_checks(_inputs(inv, eswitch=dict.fromkeys(pcis(inv), eswitch_reply(2, 0, 1)),
                                  ovs=_ovs_on_br_int(inv)))
    inactive = [f for f in findings if f.code == "eswitch-switchdev-inactive"]
    assert len(inactive) == 2 and codes(findings, "error") == ["eswitch-switchdev-inactive"] * 2
    assert all("mode switchdev" in f.hint and "unbound" not in f.hint.replace("need not be unbound", "")
               for f in inactive)


def test_encap_none_is_an_error(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    findings = run_checks(_inputs(inv, eswitch=dict.fromkeys(pcis(inv), eswitch_reply(1, 0, 0)),
                                  ovs=_ovs_on_br_int(inv)))
    assert codes(findings, "error") == ["eswitch-encap-none"] * 2


def test_flow_steering_mode_from_the_devlink_parameter(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    pf0, pf1 = pcis(inv)
    params = {(pf0, "flow_steering_mode"): param_reply("flow_steering_mode", TYPE_STRING, "dmfs", pci=pf0),
              (pf1, "flow_steering_mode"): param_reply("flow_steering_mode", TYPE_STRING, "smfs", pci=pf1)}
    inp = _inputs(inv, ovs=_ovs_on_br_int(inv), params=params)
    assert inp.host.params[(pf0, "flow_steering_mode")].value == "dmfs"
    dmfs = [f for f in run_checks(inp) if f.code == "flow-steering-dmfs"]
    assert [f.subject for f in dmfs] == ["enp3s0f0np0"] and "smfs" in dmfs[0].hint


def test_scalable_functions(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_sfs)
    findings = run_checks(_inputs(inv, ovs=OvsView(True, None, (), (), {"enp8s0f0npf0sf11": "br-int"})))
    assert codes(findings, "error") == ["sf-without-representor"]  # sfnum 88; no sriov-disabled: SFs are used
    moved = run_checks(_inputs(inv, ovs=OvsView(True, None, (), (), {"enp8s0f0npf0sf11": "br-ex"})))
    assert [f.subject for f in moved if f.code == "representor-not-on-bridge"] == ["enp8s0f0npf0sf11"]
    off = run_checks(_inputs(inv, features={"enp8s0f0npf0sf11": OFF}))
    assert [f.subject for f in off if f.code == "hw-tc-offload-off"] == ["enp8s0f0npf0sf11"]


# -- LAG and MultiPort E-Switch --------------------------------------------------------------


def test_vf_lag(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_vf_lag)
    ovs = _ovs_on_br_int(inv)
    both = OvsView(True, None, (), (("enp3s0f0np0", "10.0.0.1"), ("enp3s0f1np1", "10.0.0.1")), ovs.bridge_of)
    findings = run_checks(_inputs(inv, ovs=both))
    assert codes(findings, "error") == [] and "vf-lag" in codes(findings, "info")
    one = OvsView(True, None, (), (("enp3s0f0np0", "10.0.0.1"),), ovs.bridge_of)
    lacking = [f for f in run_checks(_inputs(inv, ovs=one)) if f.code == "pf-mapping-lag-incomplete"]
    assert [f.subject for f in lacking] == ["enp3s0f1np1"] and "enp3s0f1np1:10.0.0.1" in lacking[0].hint


def test_lag_modes_mlx5_cannot_offload(tmp_path: Path) -> None:
    testing.cx6dx_switchdev(tmp_path)
    testing.SysfsBuilder(tmp_path).bond("bond0", ["enp3s0f0np0", "enp3s0f1np1"], "balance-rr 0")
    assert "lag-mode-unsupported" in codes(run_checks(_inputs(discover(DirSysfs(tmp_path)))), "error")


def test_half_a_lag(tmp_path: Path) -> None:
    testing.cx6dx_switchdev(tmp_path)
    testing.SysfsBuilder(tmp_path).bond("bond0", ["enp3s0f0np0"])
    found = [f for f in run_checks(_inputs(discover(DirSysfs(tmp_path)))) if f.code == "lag-incomplete"]
    assert len(found) == 1 and "enp3s0f1np1" in found[0].message


def test_shares_eswitch(tmp_path: Path) -> None:
    from hw.roles import eswitch_peers, shares_eswitch
    plain = tree(tmp_path / "plain", testing.cx6dx_switchdev)
    lag = tree(tmp_path / "lag", testing.cx6dx_vf_lag)
    p0, p1 = plain.adapters[0].pfs
    l0, l1 = lag.adapters[0].pfs
    host = _host(plain, None, None)
    assert not shares_eswitch(p0, p1, host) and shares_eswitch(l0, l1, _host(lag, None, None))
    mpesw = _host(plain, None, None, {(pf.pci, "esw_multiport"): param_reply("esw_multiport", TYPE_FLAG, True,
                                                                              pci=pf.pci) for pf in (p0, p1)})
    assert shares_eswitch(p0, p1, mpesw) and eswitch_peers(plain, p0, mpesw) == (p0, p1)
    assert eswitch_peers(plain, p0, host) == (p0,)


def test_a_multiport_eswitch_is_named(tmp_path: Path) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    mpesw = {(pf.pci, "esw_multiport"): param_reply("esw_multiport", TYPE_FLAG, True, pci=pf.pci)
             for pf in inv.adapters[0].pfs}
    assert "eswitch-multiport" in codes(run_checks(_inputs(inv, params=mpesw), ("lag",)), "info")
    assert "eswitch-multiport" not in codes(run_checks(_inputs(inv), ("lag",)))


def test_vtep_sysctls_that_could_not_be_read_are_unknown_not_fine(tmp_path: Path) -> None:
    """Two VTEPs in one subnet on two devices: their ARP parameters decide which NIC answers;
    unread, that is said (with the reason), never taken as right."""
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    vteps = (("enp3s0f0np0", "10.0.0.1"), ("enp3s0f1np1", "10.0.0.2"))
    addresses = {"10.0.0.1": ("vtep0", 23, "ipv4"), "10.0.0.2": ("vtep1", 23, "ipv4")}
    good = {f"net/ipv4/conf/{dev}/{key}": Reading.of(value) for dev in ("all", "vtep0", "vtep1")
            for key, value in (("arp_ignore", "1"), ("arp_announce", "2"), ("rp_filter", "2"))}
    unread = {**good, "net/ipv4/conf/vtep1/arp_announce": Reading.failed("permission denied")}

    def found(sysctls: dict[str, Reading[str]]) -> list[Finding]:
        host = dataclasses.replace(_host(inv, None, None), addresses=Reading.of(addresses), sysctls=sysctls)
        return [f for f in run_checks(_inputs(inv, host=host, vteps=vteps), ("vteps",))
                if f.code.startswith(("vtep-sysctl", "vtep-arp", "vtep-rp"))]
    assert found(good) == []
    (unknown,) = found(unread)
    assert (unknown.code, unknown.subject) == ("vtep-sysctl-unknown", "10.0.0.2")
    assert "permission denied" in unknown.message and "net.ipv4.conf.vtep1.arp_announce" in (unknown.hint or "")


@pytest.fixture
def bridged_ns() -> Iterator[str]:
    """vtep0 (10.0.0.1/23) on br-phy0 with PF0's uplink and vtep1 (10.0.0.2/23) on br-phy1 with
    PF1's, as the OvsView below says; netdevs named as the modelled card's."""
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root")
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            for dev in ("vtep0", "vtep1", "enp3s0f0np0", "enp3s0f1np1", "bond0"):
                ipr.link("add", ifname=dev, kind="veth", peer=f"{dev}-p")
            for ip, dev in (("10.0.0.1", "vtep0"), ("10.0.0.2", "vtep1")):
                (index,) = ipr.link_lookup(ifname=dev)
                ipr.addr("add", index=index, address=ip, prefixlen=23)
        yield name


BRIDGES = {"vtep0": "br-phy0", "enp3s0f0np0": "br-phy0", "vtep1": "br-phy1", "enp3s0f1np1": "br-phy1"}


def test_a_vtep_on_the_other_ports_bridge_needs_a_shared_eswitch(tmp_path: Path, bridged_ns: str) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    with HostReader(bridged_ns) as reader:
        state = reader.read(HostRequests())
    crossed = (("enp3s0f1np1", "10.0.0.1"),)  # PF1's VFs told to use the VTEP on PF0's bridge
    ovs = OvsView(True, None, (), crossed, {**_ovs_on_br_int(inv).bridge_of, **BRIDGES})
    separate = run_checks(_inputs(inv, host=host_view(state), ovs=ovs, vteps=crossed), ("vteps",))
    assert [f.code for f in separate if f.severity.value == "error"] == ["vtep-ip-missing"]
    mpesw = {(pf.pci, "esw_multiport"): answer(param_reply("esw_multiport", TYPE_FLAG, True, pci=pf.pci))
             for pf in inv.adapters[0].pfs}
    shared = HostState(state.netns, {**state.netlink, **{Key.devlink_param(p, n): a for (p, n), a in mpesw.items()}})
    ok = run_checks(_inputs(inv, host=host_view(shared), ovs=ovs, vteps=crossed), ("vteps",))
    assert "vtep-ip-missing" not in codes(ok)


def test_a_vtep_on_the_bonds_bridge(tmp_path: Path, bridged_ns: str) -> None:
    inv = tree(tmp_path, testing.cx6dx_vf_lag)
    with HostReader(bridged_ns) as reader:
        host = host_view(reader.read(HostRequests()))
    mapping = (("enp3s0f0np0", "10.0.0.1"), ("enp3s0f1np1", "10.0.0.1"))
    ovs = OvsView(True, None, (), mapping, {**_ovs_on_br_int(inv).bridge_of, "bond0": "br-phy0", "vtep0": "br-phy0"})
    assert "vtep-ip-missing" not in codes(run_checks(_inputs(inv, host=host, ovs=ovs, vteps=mapping), ("vteps",)))


# -- MTU: the dual-stack rule --------------------------------------------------------------


def test_dual_stack_needs_room_for_ipv6(tmp_path: Path, vtep_ns: str) -> None:
    inv = tree(tmp_path, testing.cx6dx_switchdev)
    with HostReader(vtep_ns) as reader:
        host = host_view(reader.read(HostRequests()))
    vteps = (("enp3s0f0np0", "10.0.0.1"),)  # an IPv4 VTEP, MTU 1500
    v4 = run_checks(_inputs(inv, host=host, vteps=vteps, overlay_mtu=1430, dual_stack=False))
    dual = run_checks(_inputs(inv, host=host, vteps=vteps, overlay_mtu=1430, dual_stack=True))
    assert "vtep-mtu-too-small" not in codes(v4)  # 1430 + 58 <= 1500
    small = [f for f in dual if f.code == "vtep-mtu-too-small"]  # 1430 + 78 > 1500
    assert len(small) == 1 and "needs 1508" in small[0].message and "IPv6" in small[0].message
