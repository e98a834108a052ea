"""Encap ids: how ovn-controller numbers a chassis' VTEP IPs.

ovn-controller (controller/ovn-controller.c, ``parse_encap_ips``) puts the
``ovn-encap-ip`` list in a set, sorts it *as strings* so the numbering is
deterministic, and then swaps ``ovn-encap-ip-default`` (when set and one of
the IPs) into index 0, because id 0 is what a port without ``encap-ip`` gets.
The index is the encap id that table 0 loads into reg13[16..31].
Note the string order: ``172.30.0.10`` sorts before ``172.30.0.9``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["encap_ids", "id_of"]


def encap_ids(encap_ips: Iterable[str], default: str | None = None) -> dict[int, str]:
    """id -> VTEP IP, as ovn-controller assigns them.

    >>> encap_ids(["10.0.0.9", "10.0.0.10"])
    {0: '10.0.0.10', 1: '10.0.0.9'}
    >>> encap_ids(["10.0.0.1", "10.0.0.2", "10.0.0.3"], default="10.0.0.3")
    {0: '10.0.0.3', 1: '10.0.0.2', 2: '10.0.0.1'}
    """
    ips = sorted(set(encap_ips))
    if default in ips:
        i = ips.index(default)
        ips[0], ips[i] = ips[i], ips[0]  # a swap, not a rotation
    return dict(enumerate(ips))


def id_of(ids: dict[int, str], ip: str | None) -> int:
    """The id a port with ``encap-ip`` ``ip`` gets: 0 when unset or unknown."""
    return next((k for k, v in ids.items() if v == ip), 0)
