"""Read the node as ``mvtep plan`` compares it with a spec: OVSDB, the
kernel's rules and routes (in ``--netns`` when given), sysfs, and whether
each PF can offload (the pre-flight component's sources)."""

from __future__ import annotations

from pathlib import Path

from flowprog.nodeconfig import TABLES, NodeConfig
from flowprog.ovsdb import read_tables
from flowprog.plan import CurrentState
from flowprog.spec import NodeSpec
from hw.host import HostReader, HostRequests, eswitch_of, host_view
from hw.inventory import discover
from hw.plumbing import writable_route, writable_rule
from hw.sysfs import DirSysfs
from mvcore.endpoints import Endpoints
from mvcore.errors import NotFound, Unavailable

__all__ = ["read_current"]


def read_current(spec: NodeSpec, ends: Endpoints, *, netns: str | None, sysfs_root: Path | None,
                 timeout: float) -> CurrentState:
    """``sysfs_root`` None reads this host; a directory holding a copy of
    another node's ``sys/`` is read without asking this host's devlink and
    ethtool about it."""
    rows = read_tables(ends.db, "Open_vSwitch", TABLES, timeout=timeout)
    if not any(b["name"] == ends.bridge for b in rows["Bridge"]):
        raise NotFound(f"no bridge {ends.bridge} in the OVSDB at {ends.db}")
    node = NodeConfig.from_rows(rows, ends.bridge)
    ext = rows["Open_vSwitch"][0].get("external_ids", {}) if rows["Open_vSwitch"] else {}
    live = sysfs_root is None
    inventory = discover(DirSysfs(Path("/"), udev=True) if sysfs_root is None else DirSysfs(sysfs_root))
    pfs = [pf for a in inventory.adapters if a.supported for pf in a.pfs]
    with HostReader(netns) as reader:
        view = host_view(reader.read(HostRequests(
            tables=tuple(v.table for v in spec.vteps),
            ethtool=tuple(v.pf for v in spec.vteps) if live else (),
            devlink=tuple(pf.pci for pf in pfs if pf.uplink in {v.pf for v in spec.vteps}) if live else ())))
    reps = {vf.representor: pf.uplink for pf in pfs for vf in pf.vfs if vf.representor and pf.uplink}
    uplinks = frozenset(pf.uplink for pf in pfs if pf.uplink)
    blockers: dict[str, str] = {}
    for v in spec.vteps:
        pf = next((p for p in pfs if p.uplink == v.pf), None)
        if not node.hw_offload:
            blockers[v.pf] = "OVS other_config:hw-offload is not true"
        elif pf is None:
            blockers[v.pf] = "not an uplink of a ConnectX-6/BlueField-2 in sysfs"
        else:
            mode = eswitch_of(pf, view).mode
            feat = view.features.get(v.pf)
            if mode != "switchdev":
                blockers[v.pf] = f"e-switch mode is {mode or 'unknown'}"
            elif feat is not None and feat.hw_tc_offload is not True:
                blockers[v.pf] = "hw-tc-offload is not on"
    errors = [view.links.error, view.addresses.error, view.rules.error, *(r.error for r in view.routes.values())]
    if any(errors):
        raise Unavailable(f"rtnetlink: {next(e for e in errors if e)}")
    return CurrentState(
        node=node, external_ids=ext, ovs_interfaces=frozenset(r["name"] for r in rows["Interface"]),
        kernel_interfaces=frozenset(view.links.value or {}),
        addresses={ip: dev for ip, (dev, _p, _f) in (view.addresses.value or {}).items()},
        rules=tuple(r for r in view.rules.value or () if writable_rule(r)),
        routes={t: tuple(r for r in found.value or () if writable_route(r)) for t, found in view.routes.items()},
        pf_of_representor=reps, uplinks=uplinks, offload_blockers=blockers)
