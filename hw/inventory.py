"""Hardware discovery: the host's Mellanox PFs, VFs and representors, from sysfs.

``discover()`` reads only sysfs (``drivers/pci/pci-sysfs.c``,
``drivers/pci/iov.c``, ``net/core/net-sysfs.c``), the way sriovnet does for
ovn-kubernetes (hw-reference.md 2.6):

* a PCI function with vendor 0x15b3 and no ``physfn`` link is a PF; its VFs
  are its ``virtfn<N>`` links, N being the VF index devlink and
  ``phys_port_name`` use (device ids cannot tell: 0x101e is every family's VF);
* everything under ``<pf>/net`` belongs to the PF: since kernel 5.8 (commit
  123f0f53dd64) mlx5 parents the VF representors to the PF's PCI device;
* the uplink is the first of those with ``phys_port_name`` ``p<N>`` and a
  non-empty ``phys_switch_id`` (sriovnet ``GetUplinkRepresentor``);
* a VF's representor is the netdev whose ``phys_port_name`` is
  ``pf<P>vf<N>`` (sriovnet ``GetVfRepresentor``'s sysfs fallback);
* a scalable function is an auxiliary device ``mlx5_core.sf.<N>`` under the
  PF's PCI device, its ``sfnum`` S naming its representor ``pf<P>sf<S>``
  (sriovnet ``sriovnet_aux.go``; mlx5 ``sf/dev/dev.c`` parents it to the PF);
* representors of another host's functions (``c1pf0vf3``, ``pf0hpf`` =
  ``c1pf0``) mean this is a BlueField Arm managing the e-switch for its host;
* an uplink whose ``master`` is a bond (a device with ``bonding/``) is in a
  LAG: with VF-LAG, OVS and the driver see the bond, not the port.

Everything is asked of a :class:`~hw.sysfs.SysfsSource` (the live host, a
copy, a recording), each path once per scan: a scan sees one answer per
path, so replaying its recording finds exactly what the live scan found.
Bad sysfs content never raises: it becomes ``PhysicalFunction.problems`` or
``Inventory.skipped``.  Whether the e-switch is really in switchdev mode is
devlink's answer (:mod:`hw.devlink`, decided in :func:`hw.host.eswitch_of`),
not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby
from pathlib import PurePosixPath

from hw.model import Adapter, Inventory, Lag, NetDev, PhysicalFunction, Representor, SubFunction, VirtualFunction
from hw.portnames import is_uplink_port, parse_function_port
from hw.products import KNOWN, MELLANOX, product
from hw.sysfs import (
    Problems, SysfsSource, link_name, link_target, list_dir, read_attr, read_int, resolve, resolve_link,
)
from mvcore.snapshot import SysfsEntry

__all__ = ["discover"]

# domain:bus:device.function as the kernel names PCI devices (pci_setup_device:
# "%04x:%02x:%02x.%d"); a domain can be wider than 4 digits (VMD's 10000:).
_BDF = re.compile(r"[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", re.ASCII)
_VIRTFN = re.compile(r"virtfn(\d+)", re.ASCII)
_SF_DEVICE = re.compile(r"mlx5_core\.sf\.\d+", re.ASCII)
_NETWORK_CLASS = 0x02  # PCI base class "network controller" (Ethernet 0x0200, InfiniBand 0x0207)
_BUS = PurePosixPath("/sys/bus/pci/devices")


class _Once:
    """A source that asks each path once: the answers of one scan."""

    __slots__ = ("inner", "_seen")

    def __init__(self, inner: SysfsSource) -> None:
        self.inner = inner
        self._seen: dict[str, SysfsEntry] = {}

    def entry(self, path: str) -> SysfsEntry:
        found = self._seen.get(path)
        if found is None:
            found = self._seen[path] = self.inner.entry(path)
        return found

    def pci_functions(self, vendor: int) -> tuple[str, ...] | None:
        return self.inner.pci_functions(vendor)


def discover(source: SysfsSource) -> Inventory:
    """Every Mellanox adapter ``source`` shows, grouped by slot.

    The PCI functions come from udev when the source offers it (a live
    host), else from listing ``/sys/bus/pci/devices``; every attribute is
    read from sysfs either way.
    """
    source = _Once(source)
    skipped: dict[str, str] = {}  # address -> why
    addresses = source.pci_functions(MELLANOX)
    if addresses is None:
        listing = source.entry(str(_BUS))
        addresses = listing.names if listing.kind == "dir" else ()
        if listing.kind == "error":
            skipped[str(_BUS)] = f"unreadable ({listing.text})"

    pfs: list[PhysicalFunction] = []
    vf_functions: dict[str, PurePosixPath] = {}  # VFs as listed on the bus, to find orphans
    for addr in addresses:
        _scan_function(source, addr, pfs, vf_functions, skipped)

    claimed = {vf.pci for pf in pfs for vf in pf.vfs}
    orphans = {addr: dev for addr, dev in vf_functions.items() if addr not in claimed}
    lines = [f"{addr}: {why}" for addr, why in skipped.items()] + _orphan_lines(source, orphans, skipped)
    return Inventory(adapters=_adapters(pfs), skipped=tuple(lines))


def _not_a_dir(source: SysfsSource, path: PurePosixPath | None) -> str | None:
    """Why ``path`` is no directory to scan ("unreadable (...)" or ""), None when it is one."""
    found = SysfsEntry("missing") if path is None else source.entry(str(path))
    if found.kind == "dir":
        return None
    return f"unreadable ({found.text})" if found.kind == "error" else ""


def _scan_function(source: SysfsSource, addr: str, pfs: list[PhysicalFunction],
                   vf_functions: dict[str, PurePosixPath], skipped: dict[str, str]) -> None:
    if not _BDF.fullmatch(addr):
        skipped[addr] = "not a PCI address"
        return
    dev = resolve(source, _BUS / addr)
    why = _not_a_dir(source, dev)
    if dev is None or why is not None:
        skipped[addr] = why or "vanished during the scan (no device directory)"
        return
    problems = Problems()
    vendor = read_int(source, dev / "vendor", problems, base=16)
    if vendor is None:
        skipped[addr] = "vendor unknown: " + ("; ".join(problems.items) or "no vendor attribute")
        return
    if vendor != MELLANOX:
        return
    physfn = source.entry(str(dev / "physfn"))
    if physfn.kind == "error":
        skipped[addr] = f"{dev / 'physfn'}: unreadable ({physfn.text})"
        return
    if physfn.kind != "missing":
        vf_functions[addr] = dev  # a VF: its PF's virtfn<N> link gives its index
        return
    device_id = read_int(source, dev / "device", problems, base=16)
    pci_class = read_int(source, dev / "class", problems, base=16)
    if pci_class is not None and pci_class >> 16 != _NETWORK_CLASS:
        # e.g. BlueField-2's SoC management interface (0xc2d3), a DMA controller
        # in the same slot as the PFs: not a port, and it must not name the card.
        skipped[addr] = f"{product(device_id).name}: PCI class 0x{pci_class:06x} is not a network controller"
        return
    pfs.append(_scan_pf(source, addr, dev, device_id, problems))


def _scan_pf(source: SysfsSource, addr: str, dev: PurePosixPath, device_id: int | None,
             problems: Problems) -> PhysicalFunction:
    function = int(addr.rsplit(".", 1)[1])
    netdevs = tuple(_netdev(source, dev / "net" / name, name, problems)
                    for name in list_dir(source, dev / "net", problems))
    for n in netdevs:
        if n.phys_switch_id and n.phys_port_name is None:
            problems.note(f"{n.name}: has a phys_switch_id but no phys_port_name, so it is neither uplink "
                          "nor representor")
    uplink = next((n for n in netdevs if is_uplink_port(n.phys_port_name) and n.phys_switch_id), None)
    representors = _representors(netdevs)
    numvfs = read_int(source, dev / "sriov_numvfs", problems, base=10)
    links = _virtfn_links(source, dev, problems)
    if numvfs is not None and numvfs != len(links):
        # Transient while VFs are created or destroyed; otherwise a broken tree.
        problems.note(f"{addr}: sriov_numvfs is {numvfs} but there are {len(links)} virtfn links")
    vfs = tuple(vf for index, link in links
                if (vf := _scan_vf(source, dev, index, link, representors, function, problems)) is not None)
    return PhysicalFunction(
        driver=link_name(source, dev / "driver", problems),
        sfs=_scan_sfs(source, dev, representors, problems),
        lag=None if uplink is None else _lag(source, dev / "net" / uplink.name, problems),
        pci=addr,
        device_id=device_id,
        function=function,
        netdevs=netdevs,
        uplink=None if uplink is None else uplink.name,
        switch_id=None if uplink is None else uplink.phys_switch_id,
        sriov_totalvfs=read_int(source, dev / "sriov_totalvfs", problems, base=10),
        sriov_numvfs=numvfs,
        vfs=vfs,
        representors=representors,
        compat_mode=_compat_mode(source, dev, netdevs, uplink, problems),
        problems=problems.items,
    )


def _netdev(source: SysfsSource, path: PurePosixPath, name: str, problems: Problems) -> NetDev:
    # The same directory as /sys/class/net/<name> (a link to it); read here so
    # the netdev is the one under this PF even if a namespace move races us.
    return NetDev(
        name=name,
        phys_port_name=read_attr(source, path / "phys_port_name", problems) or None,
        # "%*phN" of 0 bytes is "\n": an empty switch id is none
        phys_switch_id=read_attr(source, path / "phys_switch_id", problems) or None,
        mtu=read_int(source, path / "mtu", problems, base=10),
    )


def _representors(netdevs: Iterable[NetDev]) -> tuple[Representor, ...]:
    reps = []
    for n in netdevs:
        port = parse_function_port(n.phys_port_name)
        if port is not None:
            reps.append(Representor(netdev=n.name, kind=port.kind, pf_number=port.pf_number, index=port.index,
                                    controller=port.controller))
    return tuple(sorted(reps, key=lambda r: (r.controller or 0, r.pf_number, r.kind, r.index or -1, r.netdev)))


def _scan_sfs(source: SysfsSource, dev: PurePosixPath, representors: tuple[Representor, ...],
              problems: Problems) -> tuple[SubFunction, ...]:
    """The PF's scalable functions: ``<pf>/mlx5_core.sf.<N>`` with ``sfnum`` and ``net/``."""
    out = []
    for name in list_dir(source, dev, problems):
        if not _SF_DEVICE.fullmatch(name):
            continue
        sfnum = read_int(source, dev / name / "sfnum", problems, base=10)
        net = list_dir(source, dev / name / "net", problems)
        rep = next((r.netdev for r in representors if r.kind == "sf" and r.index == sfnum and not r.controller),
                   None) if sfnum is not None else None
        out.append(SubFunction(name=name, sfnum=sfnum, netdev=net[0] if net else None, representor=rep))
    return tuple(sorted(out, key=lambda sf: (sf.sfnum is None, sf.sfnum or 0, sf.name)))


def _lag(source: SysfsSource, netdev: PurePosixPath, problems: Problems) -> Lag | None:
    """The bond ``netdev`` is enslaved to: its ``master`` link, when that device has
    ``bonding/`` (drivers/net/bonding/bond_sysfs.c).  An OVS port's master is
    ``ovs-system`` and a Linux bridge's has ``bridge/``: not a LAG."""
    master = resolve_link(source, netdev / "master")
    if master is None or source.entry(str(master / "bonding")).kind != "dir":
        return None
    mode = read_attr(source, master / "bonding/mode", problems)  # "802.3ad 4"
    return Lag(master=master.name, mode=mode.split()[0] if mode else None)


def _virtfn_links(source: SysfsSource, dev: PurePosixPath, problems: Problems) -> list[tuple[int, PurePosixPath]]:
    # Numeric order: virtfn10 after virtfn9.
    found = [(int(m.group(1)), dev / name) for name in list_dir(source, dev, problems)
             if (m := _VIRTFN.fullmatch(name))]
    return sorted(found)


def _scan_vf(source: SysfsSource, pf_dev: PurePosixPath, index: int, link: PurePosixPath,
             representors: tuple[Representor, ...], function: int, problems: Problems) -> VirtualFunction | None:
    found = source.entry(str(link))
    target = resolve_link(source, link)
    why = f"unreadable ({found.text})" if found.kind == "error" else _not_a_dir(source, target)
    if target is None or why is not None:
        problems.add(link, why or f"dangling link to {_readlink(source, link)}: VF {index} is not there")
        return None
    pci = target.name
    if not _BDF.fullmatch(pci):
        problems.add(link, f"points to {pci!r}, not a PCI function")
        return None
    if resolve_link(source, target / "physfn") != pf_dev:
        problems.add(target / "physfn",
                     f"does not point back to the PF (-> {_readlink(source, target / 'physfn')})")
    vf_net = list_dir(source, target / "net", problems)
    return VirtualFunction(
        index=index,
        pci=pci,
        device_id=read_int(source, target / "device", problems, base=16),
        netdev=vf_net[0] if vf_net else None,
        driver=link_name(source, target / "driver", problems),
        representor=_representor_of(index, representors, function),
    )


def _representor_of(index: int, representors: tuple[Representor, ...], function: int) -> str | None:
    # Only local ports: on a BlueField Arm, c1pf0vf3 is the *host's* VF 3, not
    # this PF's virtfn3 (sriovnet asks devlink for controller 0).  The pf
    # number is a tie-breaker only; every entry of <pf>/net is this PF's.
    local = [r for r in representors if r.kind == "vf" and r.index == index and not r.controller]
    local.sort(key=lambda r: r.pf_number != function)
    return local[0].netdev if local else None


def _compat_mode(source: SysfsSource, dev: PurePosixPath, netdevs: tuple[NetDev, ...], uplink: NetDev | None,
                 problems: Problems) -> str | None:
    # MLNX_OFED's compat/devlink lives on the PF netdev (eswitch_devlink_compat.c);
    # try the uplink first, then any netdev that is not a VF representor.
    names = [uplink.name] if uplink is not None else []
    names += [n.name for n in netdevs if n is not uplink and parse_function_port(n.phys_port_name) is None]
    for name in names:
        mode = read_attr(source, dev / "net" / name / "compat/devlink/mode", problems)
        if mode:
            return mode
    return None


def _orphan_lines(source: SysfsSource, orphans: dict[str, PurePosixPath], skipped: dict[str, str]) -> list[str]:
    """Why VFs that no PF claimed are left out: one line per VF, or one per skipped PF."""
    lines = []
    of_skipped: dict[str, list[str]] = {}
    for addr, dev in orphans.items():
        physfn = dev / "physfn"
        target = resolve_link(source, physfn)
        if target is not None and target.name in skipped:
            of_skipped.setdefault(target.name, []).append(addr)  # said once, with the PF
        elif target is None or _not_a_dir(source, target) is not None:
            lines.append(f"{addr}: a VF whose physfn is dangling (-> {_readlink(source, physfn)})")
        else:
            lines.append(f"{addr}: a VF not listed by the virtfn links of its PF {target.name}")
    for pf, vfs in of_skipped.items():
        lines.append(f"{', '.join(vfs)}: VFs of {pf}, which is skipped")
    return lines


def _adapters(pfs: list[PhysicalFunction]) -> tuple[Adapter, ...]:
    adapters = []
    ordered = sorted(pfs, key=lambda pf: pf.pci)
    for slot, group in groupby(ordered, key=lambda pf: pf.pci.rsplit(".", 1)[0]):
        members = tuple(group)
        device_id = next((pf.device_id for pf in members if pf.device_id is not None), None)
        p = product(device_id)
        # An id this table does not know yet, bound to mlx5_core, is an mlx5 NIC all the same.
        mlx5 = p.mlx5 or (device_id not in KNOWN and any(pf.driver == "mlx5_core" for pf in members))
        adapters.append(Adapter(slot=slot, product=p.name, device_id=device_id, bluefield=p.bluefield,
                                supported=mlx5, pfs=members))
    return tuple(adapters)


def _readlink(source: SysfsSource, link: PurePosixPath) -> str:
    return link_target(source, link) or "nothing"
