"""The host side of a node snapshot, decoded: the hardware its sysfs shows and
what netlink, devlink and ethtool answered."""

from __future__ import annotations

from hw.host import HostView, host_view
from hw.inventory import discover
from hw.model import Inventory
from hw.sysfs import RecordedSysfs
from mvcore.errors import Unavailable
from mvcore.snapshot import NodeSnapshot, SysfsRecord

__all__ = ["inventory_of", "host_of", "require_host", "require_inventory"]


_last: list[tuple[SysfsRecord, Inventory]] = []  # a live view reuses one sysfs record for seconds


def inventory_of(snap: NodeSnapshot) -> Inventory | None:
    """The hardware the snapshot's sysfs shows; None when sysfs was not read.
    (The same record again gives the same inventory without a rescan.)"""
    record = snap.sysfs.value
    if record is None:
        return None
    if not _last or _last[0][0] is not record:
        _last[:] = [(record, discover(RecordedSysfs(record)))]
    return _last[0][1]


def host_of(snap: NodeSnapshot) -> HostView | None:
    return host_view(snap.host.value) if snap.host.value is not None else None


def require_inventory(snap: NodeSnapshot) -> Inventory:
    found = inventory_of(snap)
    if found is None:
        raise Unavailable(snap.sysfs.why_not("sysfs"))
    return found


def require_host(snap: NodeSnapshot) -> HostView:
    """The host's answers; links, addresses and rules must have been readable."""
    found = host_of(snap)
    if found is None:
        raise Unavailable(snap.host.why_not("netlink"), topic="netns")
    for part in (found.links, found.addresses, found.rules):
        if part.error is not None:
            raise Unavailable(f"rtnetlink: {part.error}", topic="netns")
    return found
