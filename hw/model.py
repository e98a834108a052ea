"""What a node's NVIDIA adapters look like to the host: frozen, plain data.

Discovery (:mod:`hw.inventory`) fills these from sysfs; the decoders of the
netlink and ethtool answers (:mod:`hw.devlink`, :mod:`hw.ethtool`, gathered
by :mod:`hw.host`) answer the questions sysfs cannot; the checks
(:mod:`hw.checks`) are pure functions over all of it.  Routing records are
:mod:`mvcore.routes`'.  See shared/reference/hw-reference.md for where each value
comes from on a real host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "NetDev", "Representor", "VirtualFunction", "SubFunction", "Lag", "PhysicalFunction", "Adapter", "Inventory",
    "EswitchState", "DevInfo", "Features", "tc_offload_of",
]


@dataclass(frozen=True, slots=True)
class NetDev:
    """A network interface as sysfs shows it."""

    name: str
    phys_port_name: str | None  # "p0", "pf0vf3", "c1pf0vf3"; None when absent or unreadable
    phys_switch_id: str | None  # hex GUID; None when absent, unreadable or empty
    mtu: int | None


@dataclass(frozen=True, slots=True)
class Representor:
    """A netdev of the PF whose phys_port_name is [c<C>]pf<P>[vf<V>|sf<S>] (:mod:`hw.portnames`)."""

    netdev: str
    kind: str  # "vf", "sf", or "pf": a host PF's representor, which only a BlueField Arm has
    pf_number: int
    index: int | None  # the VF index or the SF number; None for "pf"
    controller: int | None  # the c<C> prefix (external controller), None when absent

    @property
    def external(self) -> bool:
        """A function of another host (a BlueField's host, seen from its Arm): controller >= 1,
        or a host-PF port, which mlx5 only creates on an ECPF (esw/devlink_port.c)."""
        return bool(self.controller) or self.kind == "pf"


@dataclass(frozen=True, slots=True)
class VirtualFunction:
    index: int  # N of the PF's virtfnN link: the VF index devlink and phys_port_name use
    pci: str  # "0000:03:00.2"
    device_id: int | None  # 0x101e ...; None when unreadable
    netdev: str | None  # None when unbound, bound to vfio-pci, or moved into a pod's namespace
    driver: str | None  # "mlx5_core", "vfio-pci", None
    representor: str | None  # the representor netdev on this host, None when there is none


@dataclass(frozen=True, slots=True)
class SubFunction:
    """A scalable function: the auxiliary device ``mlx5_core.sf.<N>`` under its PF's
    PCI device (mlx5 sf/dev/dev.c parents it there), as sriovnet's
    ``GetPfPciFromAux`` finds it."""

    name: str  # "mlx5_core.sf.4": what ovn-kubernetes gets as the pod's deviceID
    sfnum: int | None  # its ``sfnum`` attribute: the S of its representor's pf<P>sf<S>
    netdev: str | None  # the SF's own netdev (under the auxiliary device), None when not probed
    representor: str | None  # its representor on this host


@dataclass(frozen=True, slots=True)
class Lag:
    """The bond an uplink is enslaved to (its ``master`` link names a device with ``bonding/``)."""

    master: str  # "bond0"
    mode: str | None  # bonding/mode's first word: "802.3ad", "active-backup", "balance-xor"...


@dataclass(frozen=True, slots=True)
class PhysicalFunction:
    pci: str  # "0000:03:00.0"
    device_id: int | None
    function: int  # the PCI function number: pfnum in phys_port_name
    netdevs: tuple[NetDev, ...]  # everything under <pf>/net (uplink, representors)
    uplink: str | None  # the netdev with phys_port_name p<N> (and a switch id), sriovnet's rule
    switch_id: str | None  # the uplink's phys_switch_id
    sriov_totalvfs: int | None
    sriov_numvfs: int | None
    vfs: tuple[VirtualFunction, ...]
    representors: tuple[Representor, ...]
    compat_mode: str | None  # MLNX_OFED compat/devlink/mode ("legacy"/"switchdev"), None when absent
    problems: tuple[str, ...] = ()  # what could not be read, in words
    driver: str | None = None  # the PCI driver bound: "mlx5_core"; None when unbound
    sfs: tuple[SubFunction, ...] = ()
    lag: Lag | None = None  # the bond the uplink is in (VF-LAG)

    @property
    def host_representors(self) -> tuple[Representor, ...]:
        """Representors of another host's functions: ``pf0hpf`` (``c1pf0``), ``c1pf0vf3``...
        Only a BlueField Arm, the e-switch manager in DPU mode, has them."""
        return tuple(r for r in self.representors if r.external)

    @property
    def offload_netdevs(self) -> tuple[str, ...]:
        """The netdevs whose hw-tc-offload decides offload: uplink, the VF and SF
        representors, and the host's representors (on a BlueField Arm)."""
        names = (self.uplink, *(vf.representor for vf in self.vfs), *(sf.representor for sf in self.sfs),
                 *(r.netdev for r in self.host_representors))
        return tuple(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True, slots=True)
class Adapter:
    """One NIC: the PFs that share a PCI bus/device (a dual-port card has two)."""

    slot: str  # "0000:03:00"
    product: str  # "ConnectX-6 Dx", "BlueField-2", "Mellanox device 0x1017"...
    device_id: int | None
    bluefield: bool
    supported: bool  # an mlx5 NIC (mlx5_core_pci_table): its PFs are checked
    pfs: tuple[PhysicalFunction, ...]


@dataclass(frozen=True, slots=True)
class Inventory:
    adapters: tuple[Adapter, ...]
    skipped: tuple[str, ...] = ()  # devices left out, with the reason


@dataclass(frozen=True, slots=True)
class EswitchState:
    """devlink's e-switch answer for one PF (or the MLNX_OFED compat file's)."""

    mode: str  # "legacy", "switchdev", "switchdev_inactive", "unknown"
    inline_mode: str | None = None
    encap_mode: str | None = None  # "none", "basic"
    source: str | None = None  # "devlink", "compat", None
    error: str | None = None  # errno name when devlink refused: "EOPNOTSUPP", "EPERM", "ENOENT"...


@dataclass(frozen=True, slots=True)
class DevInfo:
    driver: str | None
    serial: str | None
    fw_version: str | None  # running fw.version


@dataclass(frozen=True, slots=True)
class Features:
    """ethtool's view of one netdev's hw-tc-offload."""

    hw_tc_offload: bool | None  # active; None when the netdev could not be asked
    fixed: bool = False  # not changeable ("[fixed]")
    error: str | None = None


def tc_offload_of(features: Mapping[str, Features], netdev: str | None) -> bool | None:
    """hw-tc-offload of ``netdev`` as read; None when unknown or not read."""
    found = features.get(netdev) if netdev else None
    return found.hw_tc_offload if found else None
