"""Modelled sysfs trees: real files laid out the way the kernel lays them out.

:class:`SysfsBuilder` writes under a root (a test's ``tmp_path``);
``discover(DirSysfs(tmp_path))`` then reads that root with the same source
class, and the same code, that reads ``/`` on a live node.  What is
modelled, and where the kernel does it:

* ``sys/devices/pci<domain>:00/[<root port>/]<bdf>/`` real directories with
  ``vendor``/``device``/``class`` as ``0x%04x``/``0x%06x`` plus ``"\\n"``
  (``drivers/pci/pci-sysfs.c``); a function on bus N > 0 sits behind a PCIe
  root port on bus 0, as on real hosts.
* ``sriov_totalvfs``/``sriov_numvfs``/``sriov_offset``/``sriov_stride`` in
  decimal and ``sriov_vf_device`` as ``%x`` (``drivers/pci/iov.c``); VF
  addresses follow offset and stride (``pci_iov_virtfn_bus/devfn``).
* relative links: ``sys/bus/pci/devices/<bdf>``, ``virtfn<N> -> ../<vf>``,
  ``physfn -> ../<pf>``, ``driver -> ../../../bus/pci/drivers/mlx5_core``
  (depth as the tree needs), ``sys/class/net/<if>`` and ``<if>/device``.
* scalable functions: ``<pf>/mlx5_core.sf.<N>/`` with ``sfnum`` and ``net/``
  (mlx5 ``sf/dev/dev.c`` parents the auxiliary device to the PF; its netdev
  hangs off it, ``SET_NETDEV_DEV(netdev, mdev->device)``), and the bus link
  ``sys/bus/auxiliary/devices/mlx5_core.sf.<N>``;
* bonds: ``sys/devices/virtual/net/<bond>/bonding/{mode,slaves}`` and each
  member's ``master`` link (drivers/net/bonding/bond_sysfs.c,
  net/core/dev.c ``netdev_upper_dev_link`` -> ``master``);
* netdev attributes ``mtu``, ``ifindex``, ``phys_port_name``,
  ``phys_switch_id``; a value of None means the file is absent, which is how
  kernels since 2025 hide them (hw-reference.md 2.2).  The older "file there
  but the read fails with EOPNOTSUPP" cannot be modelled with real files;
  :class:`hw.sysfs.DirSysfs` answers both as ``missing``.

The scenario functions build the cards hw-reference.md describes; the
``corrupt``/``drop``/``dangle``/``vanish`` helpers break a tree on purpose.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = [
    "SysfsBuilder", "vf_address", "SWITCH_ID_CX6DX", "SWITCH_ID_CX6LX", "SWITCH_ID_BF2", "SWITCH_ID_SPARE",
    "cx6dx_switchdev", "cx6lx_legacy", "bf2_nic_mode", "bf2_dpu_mode", "vfs_without_representors",
    "cx7_switchdev", "bf3_nic_mode", "bf2_nic_legacy_fresh", "bf2_arm", "cx6dx_sfs", "cx6dx_vf_lag",
    "SWITCH_ID_NIC_A", "SWITCH_ID_NIC_B", "sandbox_two_nics",
    "write_attr", "drop_attr", "corrupt_numvfs", "drop_phys_port_name", "dangle_physfn", "dangle_virtfn",
    "vanish", "SCENARIOS",
]

# System image GUIDs (Mellanox OUI b8:ce:f6 / 0c:42:a1): 16 hex digits, what
# phys_switch_id prints for both PFs of one card (mlx5_esw_get_port_parent_id).
SWITCH_ID_CX6DX = "b8cef60300d5e6f0"
SWITCH_ID_CX6LX = "0c42a10300a1b2c0"
SWITCH_ID_BF2 = "b8cef60300e0f1a2"
SWITCH_ID_SPARE = "0c42a10300c0ffee"
SWITCH_ID_NIC_A, SWITCH_ID_NIC_B = "b8cef60300aa0001", "b8cef60300bb0002"  # sandbox_two_nics' cards

_ROOT_PORT = (0x8086, 0x2030)  # Intel Sky Lake-E PCIe root port: what a NIC's bus hangs off
_MLX5_SUBSYSTEM_DEVICE = 0x0016


def _bdf_parts(bdf: str) -> tuple[str, int, int, int]:
    domain, bus, rest = bdf.split(":")
    dev, fn = rest.split(".")
    return domain, int(bus, 16), int(dev, 16), int(fn)


def vf_address(pf_bdf: str, offset: int, stride: int, index: int) -> str:
    """The address of VF ``index``: routing id + offset + stride * index (``drivers/pci/iov.c``)."""
    domain, bus, dev, fn = _bdf_parts(pf_bdf)
    rid = (bus << 8 | dev << 3 | fn) + offset + stride * index
    return f"{domain}:{rid >> 8:02x}:{(rid >> 3) & 0x1F:02x}.{rid & 7}"


class SysfsBuilder:
    """Writes PCI functions, SR-IOV VFs and netdevs under ``root``.

    >>> b = SysfsBuilder(tmp_path)                                      # doctest: +SKIP
    >>> b.pf("0000:03:00.0", 0x101d, totalvfs=8)                        # doctest: +SKIP
    >>> b.netdev("0000:03:00.0", "enp3s0f0np0", phys_port_name="p0",
    ...          phys_switch_id=SWITCH_ID_CX6DX, mtu=9000)             # doctest: +SKIP
    >>> b.vf("0000:03:00.0", 0, netdev="enp3s0f0v0")                    # doctest: +SKIP
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sys = root / "sys"
        self._root_ports: dict[tuple[str, int], str] = {}
        self._ifindex = 1  # lo is 1 on every host; ours start after it

    # -- paths -------------------------------------------------------------

    def device_dir(self, bdf: str) -> Path:
        """The real directory of a function already added (via its bus link)."""
        return Path(os.path.realpath(self.sys / "bus/pci/devices" / bdf))

    def _parent(self, bdf: str) -> Path:
        domain, bus, _, _ = _bdf_parts(bdf)
        host = self.sys / "devices" / f"pci{domain}:00"
        if bus == 0:
            return host
        port = self._root_ports.get((domain, bus))
        if port is None:
            port = f"{domain}:00:{len(self._root_ports) + 1:02x}.0"
            self._root_ports[(domain, bus)] = port
            self._function(port, host, vendor=_ROOT_PORT[0], device_id=_ROOT_PORT[1], pci_class=0x060400,
                           driver="pcieport", subsystem_device=0)
        return host / port

    # -- PCI functions -----------------------------------------------------

    def function(self, bdf: str, device_id: int, *, vendor: int = 0x15B3, pci_class: int = 0x020000,
                 driver: str | None = "mlx5_core") -> Path:
        """A plain PCI function (any vendor): attributes, bus link, driver link."""
        return self._function(bdf, self._parent(bdf), vendor=vendor, device_id=device_id, pci_class=pci_class,
                              driver=driver, subsystem_device=_MLX5_SUBSYSTEM_DEVICE)

    def _function(self, bdf: str, parent: Path, *, vendor: int, device_id: int, pci_class: int,
                  driver: str | None, subsystem_device: int) -> Path:
        d = parent / bdf
        d.mkdir(parents=True)
        self._write(d / "vendor", f"0x{vendor:04x}")
        self._write(d / "device", f"0x{device_id:04x}")
        self._write(d / "subsystem_vendor", f"0x{vendor:04x}")
        self._write(d / "subsystem_device", f"0x{subsystem_device:04x}")
        self._write(d / "class", f"0x{pci_class:06x}")
        self._write(d / "revision", "0x00")
        self._link(self.sys / "bus/pci/devices" / bdf, d)
        if driver is not None:
            self.bind(d, driver)
        return d

    def bind(self, dev: Path, driver: str) -> None:
        """``<dev>/driver -> .../bus/pci/drivers/<driver>`` and the driver's link back."""
        drv = self.sys / "bus/pci/drivers" / driver
        drv.mkdir(parents=True, exist_ok=True)
        self._link(dev / "driver", drv)
        self._link(drv / dev.name, dev)

    def pf(self, bdf: str, device_id: int, *, totalvfs: int = 8, vf_device_id: int = 0x101E,
           sriov_offset: int | None = None, sriov_stride: int = 1) -> Path:
        """An SR-IOV capable PF with no VFs yet (``sriov_numvfs`` 0); :meth:`vf` adds them.

        The default offset puts PF0's VFs right after a two-function card
        (``03:00.2`` on) and each further PF's after the previous PF's
        ``totalvfs``, as mlx5 firmware lays them out.
        """
        d = self.function(bdf, device_id)
        fn = _bdf_parts(bdf)[3]
        offset = 2 + fn * (totalvfs - 1) if sriov_offset is None else sriov_offset
        self._write(d / "sriov_totalvfs", str(totalvfs))
        self._write(d / "sriov_numvfs", "0")
        self._write(d / "sriov_offset", str(offset))
        self._write(d / "sriov_stride", str(sriov_stride))
        self._write(d / "sriov_vf_device", f"{vf_device_id:x}")  # "%x": no 0x (drivers/pci/iov.c)
        self._write(d / "sriov_drivers_autoprobe", "1")
        return d

    def vf(self, pf_bdf: str, index: int, *, bdf: str | None = None, driver: str | None = "mlx5_core",
           netdev: str | None = None, mtu: int = 1500) -> Path:
        """VF ``index`` of ``pf_bdf``: ``virtfn<index>``, ``physfn``, driver, optional netdev.

        ``driver="vfio-pci"`` (a DPDK or VM VF) or ``None`` (unbound) give no
        netdev, as on a host; a netdev moved into a pod is also just absent.
        """
        pf = self.device_dir(pf_bdf)
        if bdf is None:
            offset, stride = int(self._read(pf / "sriov_offset")), int(self._read(pf / "sriov_stride"))
            bdf = vf_address(pf_bdf, offset, stride, index)
        d = pf.parent / bdf  # VFs hang off the PF's parent bridge, like the PF (pci_iov_add_virtfn)
        vf_device_id = int(self._read(pf / "sriov_vf_device"), 16)
        self._function(bdf, pf.parent, vendor=int(self._read(pf / "vendor"), 16), device_id=vf_device_id,
                       pci_class=0x020000, driver=driver, subsystem_device=_MLX5_SUBSYSTEM_DEVICE)
        self._link(pf / f"virtfn{index}", d)
        self._link(d / "physfn", pf)
        numvfs = sum(1 for p in pf.iterdir() if p.name.startswith("virtfn"))
        self._write(pf / "sriov_numvfs", str(numvfs))
        if netdev is not None:
            self.netdev(bdf, netdev, mtu=mtu)
        return d

    # -- netdevs -----------------------------------------------------------

    def netdev(self, parent_bdf: str, name: str, *, phys_port_name: str | None = None,
               phys_switch_id: str | None = None, mtu: int = 1500, compat_mode: str | None = None) -> Path:
        """A netdev whose parent device is ``parent_bdf``: ``<dev>/net/<name>`` + class link.

        ``phys_switch_id=""`` writes the kernel's empty answer (``"\\n"``);
        ``None`` leaves the file out.  ``compat_mode`` writes MLNX_OFED's
        ``compat/devlink/mode``.
        """
        return self._netdev_at(self.device_dir(parent_bdf), name, phys_port_name=phys_port_name,
                               phys_switch_id=phys_switch_id, mtu=mtu, compat_mode=compat_mode)

    def _netdev_at(self, dev: Path, name: str, *, phys_port_name: str | None = None,
                   phys_switch_id: str | None = None, mtu: int = 1500, compat_mode: str | None = None) -> Path:
        d = dev / "net" / name
        d.mkdir(parents=True)
        self._ifindex += 1
        self._write(d / "ifindex", str(self._ifindex))
        self._write(d / "mtu", str(mtu))
        self._write(d / "type", "1")  # ARPHRD_ETHER
        self._write(d / "uevent", f"INTERFACE={name}\nIFINDEX={self._ifindex}")
        if phys_port_name is not None:
            self._write(d / "phys_port_name", phys_port_name)
        if phys_switch_id is not None:
            self._write(d / "phys_switch_id", phys_switch_id)
        if compat_mode is not None:
            (d / "compat/devlink").mkdir(parents=True)
            self._write(d / "compat/devlink/mode", compat_mode)
        self._link(d / "device", dev)
        self._link(d / "subsystem", self.sys / "class/net")
        self._link(self.sys / "class/net" / name, d)
        return d

    def sf(self, pf_bdf: str, index: int, sfnum: int, *, netdev: str | None = None, mtu: int = 1500) -> Path:
        """Scalable function ``mlx5_core.sf.<index>`` of ``pf_bdf`` with ``sfnum``, its netdev when probed."""
        pf = self.device_dir(pf_bdf)
        d = pf / f"mlx5_core.sf.{index}"
        d.mkdir()
        self._write(d / "sfnum", str(sfnum))
        self._link(self.sys / "bus/auxiliary/devices" / d.name, d)
        drv = self.sys / "bus/auxiliary/drivers/mlx5_core.sf"
        drv.mkdir(parents=True, exist_ok=True)
        self._link(d / "driver", drv)
        if netdev is not None:
            self._netdev_at(d, netdev, mtu=mtu)
        return d

    def bond(self, name: str, members: list[str], mode: str = "802.3ad 4", mtu: int = 9000) -> Path:
        """A bond (a virtual netdev) enslaving ``members``: ``bonding/mode`` reads "802.3ad 4"."""
        d = self.sys / "devices/virtual/net" / name
        (d / "bonding").mkdir(parents=True)
        self._ifindex += 1
        self._write(d / "ifindex", str(self._ifindex))
        self._write(d / "mtu", str(mtu))
        self._write(d / "bonding/mode", mode)
        self._write(d / "bonding/slaves", " ".join(members))
        self._link(self.sys / "class/net" / name, d)
        for m in members:
            member = Path(os.path.realpath(self.sys / "class/net" / m))
            self._link(member / "master", d)
            self._link(d / f"lower_{m}", member)
            self._link(member / f"upper_{name}", d)
        return d

    # -- helpers -----------------------------------------------------------

    @staticmethod
    def _write(path: Path, value: str) -> None:
        path.write_text(value + "\n")  # every sysfs show() ends its value with a newline

    @staticmethod
    def _read(path: Path) -> str:
        return path.read_text().strip()

    @staticmethod
    def _link(link: Path, target: Path) -> None:
        # Relative, spelled as kernfs_get_target_path (fs/kernfs/symlink.c)
        # spells it: up to an ancestor of the target's parent, then down, so
        # <if>/device is "../../../0000:03:00.0", not "../..".
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.join(os.path.relpath(target.parent, link.parent), target.name))


# -- scenarios ---------------------------------------------------------------


def _switchdev_port(b: SysfsBuilder, bdf: str, port: int, uplink: str, switch_id: str, nvfs: int,
                    reps: dict[int, str], vf_netdev: str, mtu: int = 9000) -> None:
    b.netdev(bdf, uplink, phys_port_name=f"p{port}", phys_switch_id=switch_id, mtu=mtu)
    for i in range(nvfs):
        b.vf(bdf, i, netdev=f"{vf_netdev}v{i}")
    for i, rep in reps.items():
        b.netdev(bdf, rep, phys_port_name=f"pf{port}vf{i}", phys_switch_id=switch_id)


def sandbox_two_nics(root: Path, *, vfs: tuple[int, int] = (1, 1), second_switch: str = SWITCH_ID_NIC_B,
                     mtu: int = 1500) -> SysfsBuilder:
    """Two single-port ConnectX-6 Dx cards at 0000:03:00.0 and 0000:04:00.0 whose
    PFs and representors carry the sandbox's names: enp1s0f0 and enp2s0f0 with
    ``vfs`` VFs each (``enp1s0f0v0``, representor ``enp1s0f0_0``...), each card
    its own e-switch unless ``second_switch`` is the first's; ``mtu`` is the uplinks'."""
    b = SysfsBuilder(root)
    for card, (uplink, switch_id, nvfs) in enumerate((("enp1s0f0", SWITCH_ID_NIC_A, vfs[0]),
                                                      ("enp2s0f0", second_switch, vfs[1]))):
        bdf = f"0000:{card + 3:02x}:00.0"
        b.pf(bdf, 0x101D, totalvfs=4)
        b.netdev(bdf, uplink, phys_port_name="p0", phys_switch_id=switch_id, mtu=mtu)
        for i in range(nvfs):
            b.vf(bdf, i, netdev=f"{uplink}v{i}")
            b.netdev(bdf, f"{uplink}_{i}", phys_port_name=f"pf0vf{i}", phys_switch_id=switch_id)
    return b


def cx6dx_switchdev(root: Path) -> SysfsBuilder:
    """Two-port ConnectX-6 Dx (0x101d) at 0000:03:00.0/.1 in switchdev, 4 VFs per PF.

    Uplinks ``enp3s0f0np0`` (``p0``) and ``enp3s0f1np1`` (``p1``) share one
    switch id.  Representors are named ``enp3s0f<P>_<N>`` by the MLNX_OFED/SNO
    udev rule, except pf0vf1, renamed by ovn-kubernetes to a container-derived
    name when its pod was plugged.  VF 3 of PF0 is bound to vfio-pci (no
    netdev); the other VFs carry systemd's ``enp3s0f<P>v<N>`` names.
    """
    b = SysfsBuilder(root)
    for fn in (0, 1):
        bdf = f"0000:03:00.{fn}"
        b.pf(bdf, 0x101D, totalvfs=8)
        b.netdev(bdf, f"enp3s0f{fn}np{fn}", phys_port_name=f"p{fn}", phys_switch_id=SWITCH_ID_CX6DX, mtu=9000)
        for i in range(4):
            vfio = fn == 0 and i == 3
            b.vf(bdf, i, driver="vfio-pci" if vfio else "mlx5_core", netdev=None if vfio else f"enp3s0f{fn}v{i}")
        for i in range(4):
            rep = "e5a1c8fcef0f327" if (fn, i) == (0, 1) else f"enp3s0f{fn}_{i}"
            b.netdev(bdf, rep, phys_port_name=f"pf{fn}vf{i}", phys_switch_id=SWITCH_ID_CX6DX)
    return b


def cx6lx_legacy(root: Path) -> SysfsBuilder:
    """Two-port ConnectX-6 Lx (0x101f) at 0000:81:00.0/.1, e-switch legacy, MLNX_OFED.

    A recent kernel: the PF netdevs already report ``p0``/``p1`` and a switch
    id although there are no representors (hw-reference.md 2.3), so sriovnet
    calls them uplinks.  PF0 has 2 VFs with netdevs; PF1 has none.  MLNX_OFED
    is installed, so ``compat/devlink/mode`` reads ``legacy``.
    """
    b = SysfsBuilder(root)
    for fn in (0, 1):
        bdf = f"0000:81:00.{fn}"
        b.pf(bdf, 0x101F, totalvfs=8)
        b.netdev(bdf, f"enp129s0f{fn}np{fn}", phys_port_name=f"p{fn}", phys_switch_id=SWITCH_ID_CX6LX,
                 compat_mode="legacy")
    for i in range(2):
        b.vf("0000:81:00.0", i, netdev=f"enp129s0f0v{i}")
    return b


def bf2_nic_mode(root: Path) -> SysfsBuilder:
    """BlueField-2 (0xa2d6) at 0000:3b:00.0/.1 in NIC mode, switchdev: looks like a ConnectX-6 Dx.

    2 VFs per PF with representors ``enp59s0f<P>_<N>``; uplinks
    ``enp59s0f0np0``/``enp59s0f1np1`` with the card's switch id.
    """
    b = SysfsBuilder(root)
    for fn in (0, 1):
        bdf = f"0000:3b:00.{fn}"
        b.pf(bdf, 0xA2D6, totalvfs=16)
        _switchdev_port(b, bdf, fn, f"enp59s0f{fn}np{fn}", SWITCH_ID_BF2, 2,
                        {i: f"enp59s0f{fn}_{i}" for i in range(2)}, f"enp59s0f{fn}")
    return b


def bf2_dpu_mode(root: Path) -> SysfsBuilder:
    """BlueField-2 (0xa2d6) at 0000:3b:00.0/.1 in DPU (ECPF) mode, seen from the host.

    The host PF is not the e-switch manager: its netdev has ``p<N>`` but no
    ``phys_switch_id`` (en/devlink.c sets it only for the manager), and the
    representors of the host's VFs live on the Arm.  PF0 has 2 VFs.
    """
    b = SysfsBuilder(root)
    for fn in (0, 1):
        bdf = f"0000:3b:00.{fn}"
        b.pf(bdf, 0xA2D6, totalvfs=16)
        b.netdev(bdf, f"enp59s0f{fn}np{fn}", phys_port_name=f"p{fn}", mtu=9000)
    for i in range(2):
        b.vf("0000:3b:00.0", i, netdev=f"enp59s0f0v{i}")
    return b


def vfs_without_representors(root: Path) -> SysfsBuilder:
    """One-port ConnectX-6 Dx (0x101d) at 0000:05:00.0 in switchdev; VFs 1 and 3 lack a representor.

    As when representors were unregistered or moved into another namespace.
    """
    b = SysfsBuilder(root)
    bdf = "0000:05:00.0"
    b.pf(bdf, 0x101D, totalvfs=8, sriov_offset=1)
    _switchdev_port(b, bdf, 0, "enp5s0f0np0", SWITCH_ID_SPARE, 4, {0: "enp5s0f0_0", 2: "enp5s0f0_2"}, "enp5s0f0")
    return b


def cx7_switchdev(root: Path) -> SysfsBuilder:
    """One-port ConnectX-7 (0x1021) at 0000:41:00.0 in switchdev, 2 VFs with representors."""
    b = SysfsBuilder(root)
    b.pf("0000:41:00.0", 0x1021, totalvfs=16)
    _switchdev_port(b, "0000:41:00.0", 0, "enp65s0f0np0", SWITCH_ID_SPARE, 2,
                    {i: f"enp65s0f0_{i}" for i in range(2)}, "enp65s0f0")
    return b


def bf3_nic_mode(root: Path) -> SysfsBuilder:
    """BlueField-3 (0xa2dc) at 0000:a1:00.0 in NIC mode, switchdev, 2 VFs."""
    b = SysfsBuilder(root)
    b.pf("0000:a1:00.0", 0xA2DC, totalvfs=16)
    _switchdev_port(b, "0000:a1:00.0", 0, "enp161s0f0np0", SWITCH_ID_BF2, 2,
                    {i: f"enp161s0f0_{i}" for i in range(2)}, "enp161s0f0")
    return b


def bf2_nic_legacy_fresh(root: Path) -> SysfsBuilder:
    """BlueField-2 (0xa2d6) at 0000:3b:00.0/.1 in NIC mode before set-up: e-switch
    legacy, no VFs, and an older kernel, whose legacy PF netdevs have ``p<N>``
    but no switch id (hw-reference.md 2.3): from sysfs alone it looks like DPU mode."""
    b = SysfsBuilder(root)
    for fn in (0, 1):
        bdf = f"0000:3b:00.{fn}"
        b.pf(bdf, 0xA2D6, totalvfs=16)
        b.netdev(bdf, f"enp59s0f{fn}np{fn}", phys_port_name=f"p{fn}", mtu=9000)
    return b


def bf2_arm(root: Path) -> SysfsBuilder:
    """The Arm of a BlueField-2 in DPU mode: the ECPF 0000:03:00.0 (0xa2d6) manages
    the e-switch; its netdevs are the uplink ``p0``, the host PF's representor
    ``pf0hpf`` (``c1pf0``), the host's two VFs' representors ``pf0vf0``/``pf0vf1``
    (``c1pf0vf<N>``: external, controller 1) and a local SF ``en3f0pf0sf0``
    (``pf0sf0``) whose device is ``mlx5_core.sf.2`` (netdev ``enp3s0f0s0``).
    Names as NVIDIA's "Kernel Representors Model" shows them."""
    b = SysfsBuilder(root)
    bdf = "0000:03:00.0"
    b.pf(bdf, 0xA2D6, totalvfs=16)
    b.netdev(bdf, "p0", phys_port_name="p0", phys_switch_id=SWITCH_ID_BF2, mtu=9000)
    b.netdev(bdf, "pf0hpf", phys_port_name="c1pf0", phys_switch_id=SWITCH_ID_BF2)
    for i in range(2):
        b.netdev(bdf, f"pf0vf{i}", phys_port_name=f"c1pf0vf{i}", phys_switch_id=SWITCH_ID_BF2)
    b.netdev(bdf, "en3f0pf0sf0", phys_port_name="pf0sf0", phys_switch_id=SWITCH_ID_BF2)
    b.sf(bdf, 2, 0, netdev="enp3s0f0s0")
    return b


def cx6dx_sfs(root: Path) -> SysfsBuilder:
    """One-port ConnectX-6 Dx (0x101d) at 0000:08:00.0 in switchdev with two scalable
    functions (sfnum 11, 88) and no VFs; SF 88 has no representor (its port is gone)."""
    b = SysfsBuilder(root)
    bdf = "0000:08:00.0"
    b.pf(bdf, 0x101D, totalvfs=8)
    b.netdev(bdf, "enp8s0f0np0", phys_port_name="p0", phys_switch_id=SWITCH_ID_SPARE, mtu=9000)
    b.netdev(bdf, "enp8s0f0npf0sf11", phys_port_name="pf0sf11", phys_switch_id=SWITCH_ID_SPARE)
    b.sf(bdf, 1, 11, netdev="enp8s0f0s11")
    b.sf(bdf, 4, 88, netdev="enp8s0f0s88")
    return b


def cx6dx_vf_lag(root: Path) -> SysfsBuilder:
    """:func:`cx6dx_switchdev` with both uplinks enslaved to ``bond0`` (802.3ad): VF-LAG."""
    b = cx6dx_switchdev(root)
    b.bond("bond0", ["enp3s0f0np0", "enp3s0f1np1"])
    return b


SCENARIOS = (cx6dx_switchdev, cx6lx_legacy, bf2_nic_mode, bf2_dpu_mode, vfs_without_representors,
             cx7_switchdev, bf3_nic_mode, bf2_nic_legacy_fresh, bf2_arm, cx6dx_sfs, cx6dx_vf_lag)


# -- breaking a tree -----------------------------------------------------------


def _at(root: Path, sys_path: str) -> Path:
    return root / sys_path.lstrip("/")


def write_attr(root: Path, sys_path: str, text: str) -> None:
    """Overwrite an attribute, e.g. ``write_attr(root, "/sys/class/net/p0/mtu", "lots\\n")``."""
    _at(root, sys_path).write_text(text)


def drop_attr(root: Path, sys_path: str) -> None:
    """Remove an attribute file, as a kernel that hides it does."""
    _at(root, sys_path).unlink()


def corrupt_numvfs(root: Path, bdf: str, text: str = "garbage\n") -> None:
    write_attr(root, f"/sys/bus/pci/devices/{bdf}/sriov_numvfs", text)


def drop_phys_port_name(root: Path, netdev: str) -> None:
    drop_attr(root, f"/sys/class/net/{netdev}/phys_port_name")


def _relink(link: Path, target: str) -> None:
    link.unlink()
    link.symlink_to(target)


def dangle_physfn(root: Path, vf_bdf: str, target: str = "../0000:ff:1f.7") -> None:
    """Point a VF's ``physfn`` at a function that does not exist."""
    _relink(_at(root, f"/sys/bus/pci/devices/{vf_bdf}/physfn"), target)


def dangle_virtfn(root: Path, pf_bdf: str, index: int, target: str = "../0000:ff:1f.6") -> None:
    """Point a PF's ``virtfn<index>`` at a function that does not exist."""
    _relink(_at(root, f"/sys/bus/pci/devices/{pf_bdf}/virtfn{index}"), target)


def vanish(root: Path, bdf: str) -> None:
    """Remove a function's directory but keep its bus link: hot-unplugged after the listing."""
    shutil.rmtree(os.path.realpath(_at(root, f"/sys/bus/pci/devices/{bdf}")))
