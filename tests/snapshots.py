"""Node snapshots for tests: the one saved from a real OVN 25.03 node, and
changed copies of it.

``tests/data/snapshot-25.03.json`` was written by ``mvtep verify --save``
before support bundles existed; it is read by the same reader ``--from``
uses for such files (:func:`inspector.bundle.read_bundle`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowprog.flowdump import verify_flows
from flowprog.flows import Flow
from flowprog.nodeconfig import NodeConfig
from flowprog.ofcodec import load
from flowprog.ofdecode import Decoder
from flowprog.sbstate import SbState
from flowprog.node_verify import node_of, sb_of
from inspector.bundle import read_bundle
from mvcore.ovsdb_rows import ovs_plain, ovs_state, sb_plain, sb_state
from mvcore.reading import Reading
from mvcore.snapshot import NodeSnapshot
from flowprog.ofext import install

SAVED = Path(__file__).parent / "data" / "snapshot-25.03.json"
SNAP: NodeSnapshot = read_bundle(SAVED)
DECODER = Decoder(install(load({})))


def with_ovs(change: Callable[[dict[str, Any]], None], snap: NodeSnapshot = SNAP) -> NodeSnapshot:
    """A copy of ``snap`` whose Open_vSwitch rows (plain, as OVSDB encodes them) ``change`` edited."""
    assert snap.ovsdb.value is not None
    rows = copy.deepcopy(ovs_plain(snap.ovsdb.value))
    change(rows)
    return dataclasses.replace(snap, ovsdb=Reading.of(ovs_state(rows)))


def iface(rows: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in rows["Interface"] if r["name"] == name)


def node(snap: NodeSnapshot = SNAP) -> NodeConfig:
    return node_of(snap)


def sb(snap: NodeSnapshot = SNAP) -> SbState | None:
    return sb_of(snap)


def flows(snap: NodeSnapshot = SNAP) -> tuple[tuple[Flow, ...], tuple[Flow, ...]]:
    """Table 0's and the remote-output tables' flows, decoded."""
    n = node_of(snap)
    assert snap.openflow.value is not None
    found = verify_flows(snap.openflow.value, DECODER, [t.ofport for t in n.tunnels if t.ofport and t.ofport > 0])
    return found.table0, found.remote


def with_sb(change: Callable[[dict[str, Any]], None], snap: NodeSnapshot = SNAP) -> NodeSnapshot:
    """A copy of ``snap`` whose southbound rows (plain) ``change`` edited."""
    assert snap.southbound.value is not None
    rows = copy.deepcopy(sb_plain(snap.southbound.value))
    change(rows)
    return dataclasses.replace(snap, southbound=Reading.of(sb_state(rows)))


def row(rows: dict[str, Any], table: str, **match: Any) -> dict[str, Any]:
    """The plain row of ``table`` whose columns have the values ``match`` gives."""
    return next(r for r in rows[table] if all(r.get(k) == v for k, v in match.items()))
