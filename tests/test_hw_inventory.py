"""Hardware discovery (hw.inventory over hw.sysfs sources).

Modelled trees are real files laid out as the kernel lays out sysfs
(tests/hwmodel.py), read through ``DirSysfs``: the class, and the code, that
reads ``/`` on a live node.  This machine's own ``/sys`` is read once with
udev and once without.  Recordings of every tree are replayed through
``RecordedSysfs`` and must give the identical inventory; damaged and
incomplete records must give problems, never exceptions or silently absent
hardware."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hw import inventory, udev
from hw.model import Adapter, Inventory, Lag, PhysicalFunction
from hw.sysfs import DirSysfs
from tests import hwmodel as hwt


def discover(root: Path) -> Inventory:
    """A tree's inventory, read the way a copy of a node's sysfs is read."""
    return inventory.discover(DirSysfs(root))


def only_adapter(inv: Inventory) -> Adapter:
    assert len(inv.adapters) == 1, inv
    return inv.adapters[0]


def vf_map(pf: PhysicalFunction) -> dict[int, tuple[str, str | None, str | None, str | None]]:
    return {vf.index: (vf.pci, vf.netdev, vf.driver, vf.representor) for vf in pf.vfs}


# -- scenarios ------------------------------------------------------------------


def test_cx6dx_switchdev(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    inv = discover(tmp_path)
    assert inv.skipped == ()  # the Intel root port is not ours and is not mentioned
    card = only_adapter(inv)
    assert (card.slot, card.product, card.device_id, card.bluefield, card.supported) == (
        "0000:03:00", "ConnectX-6 Dx", 0x101D, False, True)
    pf0, pf1 = card.pfs
    assert (pf0.pci, pf0.function, pf1.pci, pf1.function) == ("0000:03:00.0", 0, "0000:03:00.1", 1)
    assert (pf0.uplink, pf1.uplink) == ("enp3s0f0np0", "enp3s0f1np1")
    assert pf0.switch_id == pf1.switch_id == hwt.SWITCH_ID_CX6DX  # one card, one switch id
    for pf in (pf0, pf1):
        assert (pf.sriov_totalvfs, pf.sriov_numvfs, pf.compat_mode, pf.problems) == (8, 4, None, ())
        assert {vf.device_id for vf in pf.vfs} == {0x101E}
        assert len(pf.representors) == 4 and all(r.controller is None for r in pf.representors)
        assert [r.pf_number for r in pf.representors] == [pf.function] * 4
    assert vf_map(pf0) == {
        0: ("0000:03:00.2", "enp3s0f0v0", "mlx5_core", "enp3s0f0_0"),
        1: ("0000:03:00.3", "enp3s0f0v1", "mlx5_core", "e5a1c8fcef0f327"),  # found by phys_port_name, not name
        2: ("0000:03:00.4", "enp3s0f0v2", "mlx5_core", "enp3s0f0_2"),
        3: ("0000:03:00.5", None, "vfio-pci", "enp3s0f0_3"),
    }
    assert vf_map(pf1) == {i: (f"0000:03:01.{i + 2}", f"enp3s0f1v{i}", "mlx5_core", f"enp3s0f1_{i}")
                           for i in range(4)}
    uplink = next(n for n in pf0.netdevs if n.name == "enp3s0f0np0")
    assert (uplink.phys_port_name, uplink.mtu) == ("p0", 9000)


def test_cx6lx_legacy(tmp_path: Path) -> None:
    hwt.cx6lx_legacy(tmp_path)
    card = only_adapter(discover(tmp_path))
    assert (card.slot, card.product, card.supported, card.bluefield) == ("0000:81:00", "ConnectX-6 Lx", True, False)
    pf0, pf1 = card.pfs
    # sriovnet's rule calls a legacy PF with a switch id an uplink: the e-switch
    # mode is devlink's (or compat's) answer, which is why compat_mode is kept.
    assert (pf0.uplink, pf0.switch_id, pf0.compat_mode) == ("enp129s0f0np0", hwt.SWITCH_ID_CX6LX, "legacy")
    assert (pf1.uplink, pf1.compat_mode) == ("enp129s0f1np1", "legacy")
    assert pf0.representors == pf1.representors == ()
    assert vf_map(pf0) == {0: ("0000:81:00.2", "enp129s0f0v0", "mlx5_core", None),
                           1: ("0000:81:00.3", "enp129s0f0v1", "mlx5_core", None)}
    assert (pf1.sriov_numvfs, pf1.vfs) == (0, ())


def test_bf2_nic_mode(tmp_path: Path) -> None:
    hwt.bf2_nic_mode(tmp_path)
    card = only_adapter(discover(tmp_path))
    assert (card.slot, card.product, card.device_id, card.bluefield, card.supported) == (
        "0000:3b:00", "BlueField-2", 0xA2D6, True, True)
    for pf in card.pfs:
        assert pf.uplink == f"enp59s0f{pf.function}np{pf.function}" and pf.switch_id == hwt.SWITCH_ID_BF2
        assert pf.sriov_totalvfs == 16
        assert [vf.representor for vf in pf.vfs] == [f"enp59s0f{pf.function}_{i}" for i in range(2)]
        assert pf.problems == ()


def test_bf2_dpu_mode(tmp_path: Path) -> None:
    hwt.bf2_dpu_mode(tmp_path)
    card = only_adapter(discover(tmp_path))
    assert (card.product, card.bluefield, card.supported) == ("BlueField-2", True, True)
    pf0, pf1 = card.pfs
    # p0 without a switch id: not the e-switch manager, so not an uplink by sriovnet's rule.
    assert [(n.name, n.phys_port_name, n.phys_switch_id) for n in pf0.netdevs] == [("enp59s0f0np0", "p0", None)]
    assert (pf0.uplink, pf0.switch_id, pf1.uplink) == (None, None, None)
    assert pf0.representors == ()
    assert vf_map(pf0) == {0: ("0000:3b:00.2", "enp59s0f0v0", "mlx5_core", None),
                           1: ("0000:3b:00.3", "enp59s0f0v1", "mlx5_core", None)}
    assert pf0.problems == pf1.problems == ()


def test_vfs_without_representors(tmp_path: Path) -> None:
    hwt.vfs_without_representors(tmp_path)
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert pf.uplink == "enp5s0f0np0"
    assert {vf.index: (vf.pci, vf.representor) for vf in pf.vfs} == {
        0: ("0000:05:00.1", "enp5s0f0_0"), 1: ("0000:05:00.2", None),
        2: ("0000:05:00.3", "enp5s0f0_2"), 3: ("0000:05:00.4", None)}
    assert pf.problems == ()


def test_scenarios_together(tmp_path: Path) -> None:
    b = hwt.cx6dx_switchdev(tmp_path)
    # A second card in the same host: its own bus and root port, its own adapter.
    b.pf("0000:81:00.0", 0x101F)
    b.netdev("0000:81:00.0", "enp129s0f0np0", phys_port_name="p0", phys_switch_id=hwt.SWITCH_ID_CX6LX)
    inv = discover(tmp_path)
    assert [(a.slot, a.product) for a in inv.adapters] == [("0000:03:00", "ConnectX-6 Dx"),
                                                           ("0000:81:00", "ConnectX-6 Lx")]


# -- other parts ------------------------------------------------------------------


@pytest.mark.parametrize(("device_id", "name", "bluefield", "driver", "mlx5"), [
    (0x1017, "ConnectX-5", False, "mlx5_core", True),
    (0x1021, "ConnectX-7", False, "mlx5_core", True),
    (0x1025, "ConnectX-9", False, "mlx5_core", True),
    (0xA2DC, "BlueField-3", True, "mlx5_core", True),
    (0x1234, "Mellanox device 0x1234", False, "mlx5_core", True),  # newer than the table, bound to mlx5_core
    (0x1007, "Mellanox device 0x1007", False, "mlx4_core", False),  # ConnectX-3: mlx4, no switchdev
    (0x0212, "ConnectX-6 Dx Flash Recovery", False, None, False),  # a card in its recovery state
])
def test_every_mlx5_part_is_checked_others_are_named(tmp_path: Path, device_id: int, name: str, bluefield: bool,
                                                     driver: str | None, mlx5: bool) -> None:
    b = hwt.SysfsBuilder(tmp_path)
    b.function("0000:06:00.0", device_id, driver=driver)
    (tmp_path / "sys/bus/pci/devices/0000:06:00.0/sriov_totalvfs").write_text("0\n")
    (tmp_path / "sys/bus/pci/devices/0000:06:00.0/sriov_numvfs").write_text("0\n")
    b.netdev("0000:06:00.0", "enp6s0f0np0", phys_port_name="p0", phys_switch_id=hwt.SWITCH_ID_SPARE)
    card = only_adapter(discover(tmp_path))
    assert (card.product, card.device_id, card.bluefield, card.supported) == (name, device_id, bluefield, mlx5)
    assert card.pfs[0].driver == driver
    assert card.pfs[0].uplink == "enp6s0f0np0"
    assert (card.pfs[0].sriov_totalvfs, card.pfs[0].sriov_numvfs) == (0, 0)


def test_bluefield_management_function_is_skipped_not_a_port(tmp_path: Path) -> None:
    # lspci on such hosts: 00.0 and 00.1 the ports, 00.2 "DMA controller [0801]: [15b3:c2d3]".
    b = hwt.SysfsBuilder(tmp_path)
    for fn in (0, 1):
        b.pf(f"0000:3b:00.{fn}", 0xA2D6, totalvfs=16)
        b.netdev(f"0000:3b:00.{fn}", f"enp59s0f{fn}np{fn}", phys_port_name=f"p{fn}", phys_switch_id=hwt.SWITCH_ID_BF2)
    b.function("0000:3b:00.2", 0xC2D3, pci_class=0x080100, driver=None)
    inv = discover(tmp_path)
    card = only_adapter(inv)
    assert card.product == "BlueField-2" and [pf.pci for pf in card.pfs] == ["0000:3b:00.0", "0000:3b:00.1"]
    assert inv.skipped == ("0000:3b:00.2: BlueField-2 SoC Management Interface: PCI class 0x080100 is not "
                           "a network controller",)


def test_other_vendors_are_ignored(tmp_path: Path) -> None:
    b = hwt.SysfsBuilder(tmp_path)
    b.function("0000:00:03.0", 0x1041, vendor=0x1AF4, driver="virtio-pci")
    b.function("0000:02:00.0", 0x1592, vendor=0x8086, driver="ice")
    assert discover(tmp_path) == Inventory(adapters=())


def test_external_controller_representor_is_not_a_local_vf(tmp_path: Path) -> None:
    # On a BlueField Arm, c1pf0vf0 represents the *host's* VF 0, not virtfn0.
    b = hwt.SysfsBuilder(tmp_path)
    b.pf("0000:03:00.0", 0xA2D6)
    b.netdev("0000:03:00.0", "p0", phys_port_name="p0", phys_switch_id=hwt.SWITCH_ID_BF2)
    b.netdev("0000:03:00.0", "pf0vf0", phys_port_name="c1pf0vf0", phys_switch_id=hwt.SWITCH_ID_BF2)
    b.vf("0000:03:00.0", 0, netdev="p0v0")
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert [(r.netdev, r.kind, r.controller, r.index) for r in pf.representors] == [("pf0vf0", "vf", 1, 0)]
    assert pf.vfs[0].representor is None


def test_many_vfs_in_numeric_order(tmp_path: Path) -> None:
    b = hwt.SysfsBuilder(tmp_path)
    b.pf("0000:03:00.0", 0x101D, totalvfs=16)
    for i in range(12):
        b.vf("0000:03:00.0", i)
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert [vf.index for vf in pf.vfs] == list(range(12))  # virtfn10 after virtfn9
    assert pf.vfs[11].pci == hwt.vf_address("0000:03:00.0", 2, 1, 11) == "0000:03:01.5"
    assert pf.sriov_numvfs == 12 and pf.problems == ()


# -- the layout is the kernel's -----------------------------------------------------


def test_modelled_layout_matches_the_kernel(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    sysfs = tmp_path / "sys"
    pf = sysfs / "devices/pci0000:00/0000:00:01.0/0000:03:00.0"
    vf = pf.parent / "0000:03:00.2"
    assert (os.readlink(sysfs / "bus/pci/devices/0000:03:00.0")
            == "../../../devices/pci0000:00/0000:00:01.0/0000:03:00.0")
    assert os.readlink(pf / "virtfn0") == "../0000:03:00.2"
    assert os.readlink(vf / "physfn") == "../0000:03:00.0"
    assert os.readlink(pf / "driver") == "../../../../bus/pci/drivers/mlx5_core"
    assert os.readlink(pf / "net/enp3s0f0np0/device") == "../../../0000:03:00.0"
    assert os.readlink(pf / "net/enp3s0f0np0/subsystem") == "../../../../../../class/net"
    assert os.readlink(sysfs / "class/net/enp3s0f0np0") == (
        "../../devices/pci0000:00/0000:00:01.0/0000:03:00.0/net/enp3s0f0np0")
    assert (pf / "vendor").read_text() == "0x15b3\n"
    assert (pf / "device").read_text() == "0x101d\n"
    assert (pf / "class").read_text() == "0x020000\n"
    assert (pf / "sriov_vf_device").read_text() == "101e\n"
    assert (pf / "sriov_numvfs").read_text() == "4\n"
    assert (pf / "net/enp3s0f0np0/phys_switch_id").read_text() == hwt.SWITCH_ID_CX6DX + "\n"
    assert not (vf / "net/enp3s0f0v0/phys_port_name").exists()  # a VF netdev has none


def test_absolute_links_stay_inside_the_root(tmp_path: Path) -> None:
    # The same tree with every link made absolute ("/sys/devices/..."): each
    # must be read from the root, never from this host's /sys.
    hwt.cx6dx_switchdev(tmp_path / "rel")
    relative = discover(tmp_path / "rel")
    root = tmp_path / "abs"
    hwt.cx6dx_switchdev(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink():
                target = Path(os.path.normpath(p.parent / os.readlink(p)))
                p.unlink()
                p.symlink_to("/" + target.relative_to(root).as_posix())
    assert os.readlink(root / "sys/bus/pci/devices/0000:03:00.0").startswith("/sys/devices/")
    assert discover(root) == relative


# -- bad input: problems and skips, never exceptions ----------------------------------


def test_garbage_numvfs(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.corrupt_numvfs(tmp_path, "0000:03:00.0", "four\n")
    pf0, pf1 = only_adapter(discover(tmp_path)).pfs
    assert pf0.sriov_numvfs is None and len(pf0.vfs) == 4  # the VFs still come from virtfn links
    assert pf0.problems == ("/sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0/sriov_numvfs: "
                            "not a decimal number: 'four'",)
    assert pf1.problems == ()


def test_dangling_physfn(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.dangle_physfn(tmp_path, "0000:03:00.3")
    inv = discover(tmp_path)
    pf0 = only_adapter(inv).pfs[0]
    assert [vf.pci for vf in pf0.vfs][1] == "0000:03:00.3"  # still the PF's virtfn1
    (problem,) = pf0.problems
    assert "0000:03:00.3/physfn: does not point back to the PF (-> ../0000:ff:1f.7)" in problem
    assert inv.skipped == ()


def test_dangling_virtfn(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.dangle_virtfn(tmp_path, "0000:03:00.0", 2)
    inv = discover(tmp_path)
    pf0 = only_adapter(inv).pfs[0]
    assert [vf.index for vf in pf0.vfs] == [0, 1, 3]
    assert any("0000:03:00.0/virtfn2: dangling link to ../0000:ff:1f.6" in p for p in pf0.problems)
    # The function virtfn2 used to name is still on the bus, and nobody claims it.
    assert inv.skipped == ("0000:03:00.4: a VF not listed by the virtfn links of its PF 0000:03:00.0",)


def test_orphan_vf_with_dangling_physfn(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.dangle_virtfn(tmp_path, "0000:03:00.0", 2)
    hwt.dangle_physfn(tmp_path, "0000:03:00.4")
    inv = discover(tmp_path)
    assert inv.skipped == ("0000:03:00.4: a VF whose physfn is dangling (-> ../0000:ff:1f.7)",)


def test_missing_phys_port_name_on_the_uplink(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.drop_phys_port_name(tmp_path, "enp3s0f0np0")
    pf0, pf1 = only_adapter(discover(tmp_path)).pfs
    assert (pf0.uplink, pf0.switch_id) == (None, None)
    assert pf0.problems == ("enp3s0f0np0: has a phys_switch_id but no phys_port_name, so it is neither uplink "
                            "nor representor",)
    assert len(pf0.representors) == 4 and pf1.uplink == "enp3s0f1np1"


def test_missing_phys_port_name_on_a_representor(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.drop_phys_port_name(tmp_path, "enp3s0f1_2")
    pf1 = only_adapter(discover(tmp_path)).pfs[1]
    assert [vf.representor for vf in pf1.vfs] == ["enp3s0f1_0", "enp3s0f1_1", None, "enp3s0f1_3"]
    assert len(pf1.problems) == 1 and pf1.problems[0].startswith("enp3s0f1_2:")


def test_empty_switch_id_is_none(tmp_path: Path) -> None:
    b = hwt.SysfsBuilder(tmp_path)
    b.pf("0000:03:00.0", 0x101F)
    b.netdev("0000:03:00.0", "enp3s0f0np0", phys_port_name="p0", phys_switch_id="")
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert pf.netdevs[0].phys_switch_id is None and pf.uplink is None and pf.problems == ()


@pytest.mark.parametrize(("sys_path", "text", "check"), [
    ("/sys/class/net/enp3s0f0np0/mtu", "lots\n",
     lambda inv: inv.adapters[0].pfs[0].netdevs[-1].mtu is None and inv.adapters[0].pfs[0].uplink == "enp3s0f0np0"),
    ("/sys/bus/pci/devices/0000:03:00.0/device", "\x00\xff\n",
     lambda inv: inv.adapters[0].pfs[0].device_id is None and inv.adapters[0].product == "ConnectX-6 Dx"),
    ("/sys/bus/pci/devices/0000:03:00.2/device", "0xzz\n",
     lambda inv: inv.adapters[0].pfs[0].vfs[0].device_id is None),
    ("/sys/bus/pci/devices/0000:03:00.0/sriov_totalvfs", "-1\n",
     lambda inv: inv.adapters[0].pfs[0].sriov_totalvfs is None),
])
def test_garbage_values_become_problems(tmp_path: Path, sys_path: str, text: str,
                                        check: Callable[[Inventory], bool]) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.write_attr(tmp_path, sys_path, text)
    inv = discover(tmp_path)
    assert check(inv)
    problems = inv.adapters[0].pfs[0].problems
    assert len(problems) == 1 and "not a" in problems[0] and problems[0].endswith(repr(text.strip()))


def test_garbage_vendor_is_a_skip(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.write_attr(tmp_path, "/sys/bus/pci/devices/0000:03:00.1/vendor", "mellanox\n")
    inv = discover(tmp_path)
    assert [pf.pci for pf in only_adapter(inv).pfs] == ["0000:03:00.0"]
    skip, vfs = inv.skipped
    assert skip.startswith("0000:03:00.1: vendor unknown: ") and "not a hex number: 'mellanox'" in skip
    assert vfs == "0000:03:01.2, 0000:03:01.3, 0000:03:01.4, 0000:03:01.5: VFs of 0000:03:00.1, which is skipped"


def test_unreadable_attribute_is_a_problem(tmp_path: Path) -> None:
    # Tests run as root, so chmod 000 would still read: a directory where the
    # file should be gives a real EISDIR from the kernel instead.
    hwt.cx6dx_switchdev(tmp_path)
    hwt.drop_attr(tmp_path, "/sys/bus/pci/devices/0000:03:00.0/sriov_totalvfs")
    (tmp_path / "sys/bus/pci/devices/0000:03:00.0/sriov_totalvfs").mkdir()
    pf0 = only_adapter(discover(tmp_path)).pfs[0]
    assert pf0.sriov_totalvfs is None
    assert pf0.problems == ("/sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0/sriov_totalvfs: unreadable (EISDIR)",)


def test_pf_vanished_after_the_listing(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.vanish(tmp_path, "0000:03:00.1")
    inv = discover(tmp_path)
    assert [pf.pci for pf in only_adapter(inv).pfs] == ["0000:03:00.0"]
    assert inv.skipped == ("0000:03:00.1: vanished during the scan (no device directory)",
                           "0000:03:01.2, 0000:03:01.3, 0000:03:01.4, 0000:03:01.5: VFs of 0000:03:00.1, "
                           "which is skipped")


def test_vf_vanished_after_the_listing(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    hwt.vanish(tmp_path, "0000:03:01.3")
    inv = discover(tmp_path)
    pf1 = only_adapter(inv).pfs[1]
    assert [vf.index for vf in pf1.vfs] == [0, 2, 3]
    assert any("virtfn1: dangling link to ../0000:03:01.3" in p for p in pf1.problems)
    assert inv.skipped == ("0000:03:01.3: vanished during the scan (no device directory)",)


def test_junk_in_the_bus_directory(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    (tmp_path / "sys/bus/pci/devices/not-a-device").mkdir()
    inv = discover(tmp_path)
    assert inv.skipped == ("not-a-device: not a PCI address",) and len(inv.adapters[0].pfs) == 2


def test_empty_and_missing_roots(tmp_path: Path) -> None:
    assert discover(tmp_path) == Inventory(adapters=())
    assert discover(tmp_path / "nowhere") == Inventory(adapters=())


def test_every_single_corruption_is_survived(tmp_path: Path) -> None:
    """Garbage in any one file, or any one link dangling: discover still answers."""
    hwt.cx6dx_switchdev(tmp_path)
    paths = sorted(Path(d) / n for d, ds, fs in os.walk(tmp_path) for n in ds + fs)
    for p in paths:
        if p.is_symlink():
            target = os.readlink(p)
            p.unlink()
            p.symlink_to("../no-such-thing")
            assert isinstance(discover(tmp_path), Inventory), p
            p.unlink()
            p.symlink_to(target)
        elif p.is_file():
            data = p.read_bytes()
            p.write_bytes(b"\xff\x00garbage\n")
            assert isinstance(discover(tmp_path), Inventory), p
            p.write_bytes(data)
    assert only_adapter(discover(tmp_path)).pfs[0].problems == ()  # everything restored


# -- this machine ---------------------------------------------------------------------


def test_real_kernel() -> None:
    """This host's /sys (no Mellanox NIC expected): an Inventory, whatever it holds,
    the same with udev's enumeration and with the bus listing."""
    with_udev = inventory.discover(DirSysfs(Path("/"), udev=True))
    without = inventory.discover(DirSysfs(Path("/")))
    assert isinstance(with_udev, Inventory) and isinstance(without, Inventory)
    assert [a.slot for a in with_udev.adapters] == [a.slot for a in without.adapters]


def test_udev_enumeration_agrees_with_sysfs() -> None:
    devices = Path("/sys/bus/pci/devices")
    names = sorted(os.listdir(devices)) if devices.is_dir() else []
    if not names:
        pytest.skip("no PCI devices on this host")
    vendor = int((devices / names[0] / "vendor").read_text(), 16)
    found = udev.pci_addresses(vendor)
    if found is None:
        pytest.skip("pyudev/libudev not available")
    assert found == [n for n in names if (devices / n / "vendor").read_text().strip() == f"0x{vendor:04x}"]
    assert DirSysfs(Path("/"), udev=True).pci_functions(vendor) == tuple(found)
    assert DirSysfs(Path("/")).pci_functions(vendor) is None  # only when the caller says udev may answer


# -- scalable functions, a BlueField's Arm, VF-LAG -------------------------------------


def test_scalable_functions_map_to_their_pf(tmp_path: Path) -> None:
    hwt.cx6dx_sfs(tmp_path)
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert [(sf.name, sf.sfnum, sf.netdev, sf.representor) for sf in pf.sfs] == [
        ("mlx5_core.sf.1", 11, "enp8s0f0s11", "enp8s0f0npf0sf11"),  # by pf0sf11, the name is udev's
        ("mlx5_core.sf.4", 88, "enp8s0f0s88", None),
    ]
    assert [(r.netdev, r.kind, r.index) for r in pf.representors] == [("enp8s0f0npf0sf11", "sf", 11)]
    assert pf.vfs == () and pf.problems == ()
    assert pf.offload_netdevs == ("enp8s0f0np0", "enp8s0f0npf0sf11")


def test_a_bluefield_arm_has_the_hosts_representors(tmp_path: Path) -> None:
    hwt.bf2_arm(tmp_path)
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert pf.uplink == "p0" and pf.vfs == ()
    assert [(r.netdev, r.kind, r.controller, r.index) for r in pf.host_representors] == [
        ("pf0hpf", "pf", 1, None), ("pf0vf0", "vf", 1, 0), ("pf0vf1", "vf", 1, 1)]
    assert [(sf.name, sf.representor) for sf in pf.sfs] == [("mlx5_core.sf.2", "en3f0pf0sf0")]  # the Arm's own SF
    assert set(pf.offload_netdevs) == {"p0", "en3f0pf0sf0", "pf0hpf", "pf0vf0", "pf0vf1"}


def test_uplinks_in_a_bond_are_a_lag(tmp_path: Path) -> None:
    hwt.cx6dx_vf_lag(tmp_path)
    pf0, pf1 = only_adapter(discover(tmp_path)).pfs
    assert pf0.lag == pf1.lag == Lag("bond0", "802.3ad")
    hwt.cx6dx_switchdev(tmp_path / "plain")
    assert all(pf.lag is None for pf in only_adapter(discover(tmp_path / "plain")).pfs)


def test_an_ovs_port_master_is_not_a_lag(tmp_path: Path) -> None:
    b = hwt.cx7_switchdev(tmp_path)
    ovs = tmp_path / "sys/devices/virtual/net/ovs-system"
    ovs.mkdir(parents=True)
    b._link(Path(os.path.realpath(tmp_path / "sys/class/net/enp65s0f0np0")) / "master", ovs)
    (pf,) = only_adapter(discover(tmp_path)).pfs
    assert pf.lag is None
