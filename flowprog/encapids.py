"""Encap ids: how ovn-controller numbers a chassis' VTEP IPs, release by release.

ovn-controller (controller/ovn-controller.c, ``parse_encap_ips``) splits
``ovn-encap-ip`` on commas without trimming (OVS ``sset_from_delimited_string``:
``strtok_r``, empty tokens skipped, duplicates dropped), sorts the set *as
strings* (``sset_sort``: ``qsort`` with ``strcmp``, so ``172.30.0.10`` sorts
before ``172.30.0.9`` and ``" 10.0.0.2"`` before both), and from 24.09.3 /
25.03.0 swaps ``ovn-encap-ip-default`` into index 0.  The index is the encap
id table 0 loads into ``reg13[16..31]`` (``load_logical_ingress_metadata``,
controller/physical.c), taken from the VIF's ``Port_Binding.encap``:
``encap_ip_to_id`` gives 0 for a binding without one.  Which encap a binding
gets (``sbrec_get_port_encap``, controller/binding.c): the Encap whose IP is
the VIF's ``encap-ip``; none when that IP is not the chassis'; with no
``encap-ip``, none before 24.09.0 and the ``is_default`` Encap from 24.09.0.

The API, pure and release-aware (see :mod:`flowprog.ovnrelease`)::

    numbering = encap_ids(ips, default, release)   # EncapIds, or None: the release is
                                                   # unknown and the numberings differ
    numbering.ip_of(k), numbering.id_of(encap_ip)
    possible_encap_ids(ips, default, release)       # every numbering the release may use
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flowprog.ovnrelease import Numbering, OvnRelease

__all__ = ["EncapIds", "encap_ids", "possible_encap_ids", "split_encap_ips", "Numbering", "OvnRelease"]


@dataclass(frozen=True, slots=True)
class EncapIds:
    """One release's numbering of one configuration."""

    numbering: Numbering = field(compare=False)  # two releases giving the same ids are the same numbering
    order: tuple[str, ...]  # the VTEP IPs by id (empty with Numbering.NONE)
    default_id: int  # the id a VIF without encap-ip loads

    @property
    def ids(self) -> dict[int, str]:
        """id -> VTEP IP, as table 0 loads and the remote-output flows match them."""
        return dict(enumerate(self.order))

    def ip_of(self, encap_id: int | None) -> str | None:
        return self.order[encap_id] if encap_id is not None and 0 <= encap_id < len(self.order) else None

    def id_of(self, encap_ip: str | None) -> int | None:
        """The id table 0 loads for a VIF with ``external_ids:encap-ip`` =
        ``encap_ip`` (None: unset): its index; 0 when it is not one of the
        chassis' IPs (no ``Port_Binding.encap``); None when the release loads
        no encap id."""
        if self.numbering is Numbering.NONE:
            return None
        if encap_ip is None:
            return self.default_id
        return self.order.index(encap_ip) if encap_ip in self.order else 0


def split_encap_ips(text: str) -> tuple[str, ...]:
    """``ovn-encap-ip`` as OVN reads it: split on commas, nothing trimmed,
    empty entries skipped, duplicates dropped (first kept).

    >>> split_encap_ips("10.0.0.1, 10.0.0.2,,10.0.0.1")
    ('10.0.0.1', ' 10.0.0.2')
    """
    return tuple(dict.fromkeys(e for e in text.split(",") if e))


def _numbered(ips: Iterable[str], default: str | None, numbering: Numbering) -> EncapIds:
    order = sorted(set(ips))  # Python's str order is strcmp's for these ASCII strings
    if numbering is Numbering.NONE:
        return EncapIds(numbering, (), 0)
    known = default if default in order else None  # a default that is not an IP of the list is ignored
    if numbering is Numbering.SWAPPED and known is not None:
        i = order.index(known)
        order[0], order[i] = order[i], order[0]  # a swap, not a rotation
    default_id = order.index(known) if numbering is not Numbering.SORTED and known is not None else 0
    return EncapIds(numbering, tuple(order), default_id)


_PER_VTEP = (Numbering.SWAPPED, Numbering.SORTED_DEFAULT, Numbering.SORTED)  # newest first


def possible_encap_ids(ips: Iterable[str], default: str | None,
                       release: OvnRelease | Numbering | None) -> tuple[EncapIds, ...]:
    """Every distinct numbering ``release`` may give the configuration: one
    when the release is known, else one per per-VTEP release whose numbering
    differs (newest first; one when they all agree, e.g. without a default).

    >>> [n.ids[0] for n in possible_encap_ids(["10.0.0.1", "10.0.0.3"], "10.0.0.3", None)]
    ['10.0.0.3', '10.0.0.1', '10.0.0.1']
    """
    numbering = release.numbering if isinstance(release, OvnRelease) else release
    ips = tuple(ips)
    if numbering is not None:
        return (_numbered(ips, default, numbering),)
    return tuple(dict.fromkeys(_numbered(ips, default, n) for n in _PER_VTEP))


def encap_ids(ips: Iterable[str], default: str | None,
              release: OvnRelease | Numbering | None) -> EncapIds | None:
    """The numbering ``release`` gives the configuration; None when the
    release is unknown and the per-VTEP releases number it differently
    (a default that is not the smallest string): ask the flows.

    >>> encap_ids(["10.0.0.9", "10.0.0.10"], None, None).ids
    {0: '10.0.0.10', 1: '10.0.0.9'}
    >>> encap_ids(["10.0.0.1", "10.0.0.2", "10.0.0.3"], "10.0.0.3", Numbering.SWAPPED).ids
    {0: '10.0.0.3', 1: '10.0.0.2', 2: '10.0.0.1'}
    """
    found = possible_encap_ids(ips, default, release)
    return found[0] if len(found) == 1 else None
