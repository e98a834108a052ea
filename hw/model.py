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
    "NetDev", "Representor", "VirtualFunction", "PhysicalFunction", "Adapter", "Inventory",
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
    """A VF representor: a netdev of the PF whose phys_port_name is pf<P>vf<V>."""

    netdev: str
    pf_number: int
    vf_index: int
    controller: int | None  # the c<C> prefix (external controller), None when absent


@dataclass(frozen=True, slots=True)
class VirtualFunction:
    index: int  # N of the PF's virtfnN link: the VF index devlink and phys_port_name use
    pci: str  # "0000:03:00.2"
    device_id: int | None  # 0x101e ...; None when unreadable
    netdev: str | None  # None when unbound, bound to vfio-pci, or moved into a pod's namespace
    driver: str | None  # "mlx5_core", "vfio-pci", None
    representor: str | None  # the representor netdev on this host, None when there is none


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

    @property
    def offload_netdevs(self) -> tuple[str, ...]:
        """The netdevs whose hw-tc-offload decides offload: uplink, then VF representors."""
        return tuple(n for n in (self.uplink, *(vf.representor for vf in self.vfs)) if n)


@dataclass(frozen=True, slots=True)
class Adapter:
    """One NIC: the PFs that share a PCI bus/device (a dual-port card has two)."""

    slot: str  # "0000:03:00"
    product: str  # "ConnectX-6 Dx", "BlueField-2", "Mellanox device 0x1017"...
    device_id: int | None
    bluefield: bool
    supported: bool  # one of the card's adapters (ConnectX-6 family, BlueField-2)
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
