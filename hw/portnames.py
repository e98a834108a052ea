"""``phys_port_name`` grammar: which netdev is an uplink, which a representor of what.

devlink core builds the name from the port attributes
(``net/devlink/port.c``, ``__devlink_port_phys_port_name_get``): physical
``p<port>``; PCI PF ``pf<pf>``; PCI VF ``pf<pf>vf<vf>``; PCI SF
``pf<pf>sf<sf>``; the last three prefixed ``c<controller>`` when the port
is external (a host's function seen from a BlueField Arm, where mlx5 sets
``external`` and ``controller = host number + 1``, esw/devlink_port.c).
The regexes are sriovnet's (``sriovnet_switchdev.go``: ``physPortRepRegex``,
``pfPortRepRegex``, ``vfPortRepRegex``, ``sfPortRepRegex`` and their
external variants), so a netdev is classified the way ovn-kubernetes
classifies it.  Netdev *names* are never used: udev rules and
ovn-kubernetes rename representors freely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FunctionPort", "is_uplink_port", "parse_function_port"]

_UPLINK = re.compile(r"p\d+", re.ASCII)
# sriovnet splits local "pf0vf3" from external "c1pf0vf3"; one regex with an
# optional controller keeps both, and the caller decides which it wants.
_FUNCTION = re.compile(r"(?:c(\d+))?pf(\d+)(?:(vf|sf)(\d+))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class FunctionPort:
    """The parts of ``[c<controller>]pf<pf>[vf<vf>|sf<sf>]``."""

    kind: str  # "pf" (a host PF seen from a BlueField Arm), "vf", "sf"
    pf_number: int
    index: int | None  # the VF index or the SF number; None for a PF port
    controller: int | None  # None without the c<N> prefix

    @property
    def local(self) -> bool:
        """A function of this host: no controller, or controller 0 (devlink's local one)."""
        return not self.controller


def is_uplink_port(phys_port_name: str | None) -> bool:
    """``p0``, ``p1``: a physical port (not split ``p0s1``, not on a linecard).

    >>> is_uplink_port("p0"), is_uplink_port("pf0vf1"), is_uplink_port(None)
    (True, False, False)
    """
    return phys_port_name is not None and _UPLINK.fullmatch(phys_port_name) is not None


def parse_function_port(phys_port_name: str | None) -> FunctionPort | None:
    """The PF, VF or SF representor port in a ``phys_port_name``, or None.

    >>> parse_function_port("pf1vf3")
    FunctionPort(kind='vf', pf_number=1, index=3, controller=None)
    >>> parse_function_port("c1pf0sf77")
    FunctionPort(kind='sf', pf_number=0, index=77, controller=1)
    >>> parse_function_port("c1pf0")
    FunctionPort(kind='pf', pf_number=0, index=None, controller=1)
    >>> parse_function_port("p0") is None
    True
    """
    m = _FUNCTION.fullmatch(phys_port_name or "")
    if m is None:
        return None
    c, pf, kind, index = m.groups()
    return FunctionPort(kind=kind or "pf", pf_number=int(pf), index=None if index is None else int(index),
                        controller=None if c is None else int(c))
