"""``mvtep plan`` as a pure function of a node snapshot and a spec: the node's
current multi-VTEP plumbing (OVSDB keys, VF representors' VTEPs, the VTEPs'
rules and routes) and whether each PF can offload, as :mod:`flowprog.plan`
compares them with the spec."""

from __future__ import annotations

from flowprog.node_verify import node_of
from flowprog.plan import CurrentState
from flowprog.spec import NodeSpec
from hw.host import eswitch_of
from hw.plumbing import writable_route, writable_rule
from inspector.hardware import require_host, require_inventory
from mvcore.errors import Unavailable
from mvcore.snapshot import NodeSnapshot

__all__ = ["current_state", "spec_tables"]


def spec_tables(spec: NodeSpec) -> tuple[int, ...]:
    """The routing tables a plan compares: the spec's own."""
    return tuple(v.table for v in spec.vteps)


def current_state(snap: NodeSnapshot, spec: NodeSpec) -> CurrentState:
    node = node_of(snap)
    assert snap.ovsdb.value is not None  # node_of says why otherwise
    top = snap.ovsdb.value.open_vswitch
    inventory = require_inventory(snap)
    view = require_host(snap)
    pfs = [pf for a in inventory.adapters if a.supported for pf in a.pfs]
    reps = {vf.representor: pf.uplink for pf in pfs for vf in pf.vfs if vf.representor and pf.uplink}
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
    routes = {}
    for table in spec_tables(spec):
        found = view.routes.get(table)
        if found is None or found.value is None:
            raise Unavailable(f"routing table {table}: {found.error if found else 'not read'}", topic="netns")
        routes[table] = tuple(r for r in found.value if writable_route(r))
    return CurrentState(
        node=node, external_ids=dict(top.external_ids) if top else {},
        ovs_interfaces=frozenset(i.name for i in snap.ovsdb.value.interfaces),
        kernel_interfaces=frozenset(view.links.value or {}),
        addresses={ip: dev for ip, (dev, _p, _f) in (view.addresses.value or {}).items()},
        rules=tuple(r for r in view.rules.value or () if writable_rule(r)),
        routes=routes, pf_of_representor=reps, uplinks=frozenset(pf.uplink for pf in pfs if pf.uplink),
        offload_blockers=blockers)
