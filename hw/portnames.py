"""``phys_port_name`` grammar: which netdev is an uplink, which a VF representor.

devlink core builds the name from the port attributes
(``net/devlink/port.c``, ``__devlink_port_phys_port_name_get``): physical
``p<port>``, PCI VF ``pf<pf>vf<vf>``, prefixed ``c<controller>`` when the
port is external (a host's VF seen from a BlueField Arm).  The regexes are
sriovnet's (``sriovnet_switchdev.go``), so a netdev is classified the way
ovn-kubernetes classifies it.  Netdev *names* are never used: udev rules and
ovn-kubernetes rename representors freely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["VfPort", "is_uplink_port", "parse_vf_port"]

_UPLINK = re.compile(r"p\d+", re.ASCII)
# sriovnet splits local "pf0vf3" from external "c1pf0vf3"; one regex with an
# optional controller keeps both, and the caller decides which it wants.
_VF = re.compile(r"(?:c(\d+))?pf(\d+)vf(\d+)", re.ASCII)


@dataclass(frozen=True, slots=True)
class VfPort:
    """The parts of ``[c<controller>]pf<pf>vf<vf>``."""

    pf_number: int
    vf_index: int
    controller: int | None  # None without the c<N> prefix

    @property
    def local(self) -> bool:
        """A VF of this host: no controller, or controller 0 (devlink's local one)."""
        return not self.controller


def is_uplink_port(phys_port_name: str | None) -> bool:
    """``p0``, ``p1``: a physical port (not split ``p0s1``, not on a linecard).

    >>> is_uplink_port("p0"), is_uplink_port("pf0vf1"), is_uplink_port(None)
    (True, False, False)
    """
    return phys_port_name is not None and _UPLINK.fullmatch(phys_port_name) is not None


def parse_vf_port(phys_port_name: str | None) -> VfPort | None:
    """The VF representor port in a ``phys_port_name``, or None.

    >>> parse_vf_port("pf1vf3")
    VfPort(pf_number=1, vf_index=3, controller=None)
    >>> parse_vf_port("c1pf0vf2")
    VfPort(pf_number=0, vf_index=2, controller=1)
    >>> parse_vf_port("pf0sf88") is None
    True
    """
    m = _VF.fullmatch(phys_port_name or "")
    if m is None:
        return None
    c, pf, vf = m.groups()
    return VfPort(pf_number=int(pf), vf_index=int(vf), controller=None if c is None else int(c))
