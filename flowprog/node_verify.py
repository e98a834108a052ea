"""``mvtep verify`` on a node snapshot: the configuration, flows and bindings it
holds, decoded, then the pure rules of :mod:`flowprog.verify`."""

from __future__ import annotations

from flowprog.flowdump import verify_flows
from flowprog.nodeconfig import NodeConfig
from flowprog.ofdecode import Decoder
from flowprog.sbstate import SbState
from flowprog.verify import VerifyResult, verify
from mvcore.errors import Unavailable
from mvcore.ovsdb_rows import OvsState
from mvcore.snapshot import NodeSnapshot

__all__ = ["node_of", "sb_of", "verify_snapshot"]


_last: list[tuple[OvsState, str, NodeConfig]] = []  # a live view reads one unchanged state many times


def node_of(snap: NodeSnapshot) -> NodeConfig:
    """The node's configuration; a snapshot without OVSDB rows cannot say it.
    (The same rows again give the same configuration without rebuilding it.)"""
    state = snap.ovsdb.value
    if state is None:
        raise Unavailable(snap.ovsdb.why_not("the Open_vSwitch database"), topic="ovsdb")
    if not _last or _last[0][0] is not state or _last[0][1] != snap.bridge:
        _last[:] = [(state, snap.bridge, NodeConfig.from_state(state, snap.bridge))]
    return _last[0][2]


def sb_of(snap: NodeSnapshot) -> SbState | None:
    return SbState.from_rows(snap.southbound.value) if snap.southbound.value is not None else None


def verify_snapshot(snap: NodeSnapshot, decoder: Decoder) -> VerifyResult:
    """:func:`verify` on what a snapshot holds (OVSDB rows, br-int's flows,
    the southbound rows when they were read)."""
    node = node_of(snap)
    if snap.openflow.value is None:
        raise Unavailable(snap.openflow.why_not(f"the flows of {snap.bridge}"), topic="openflow")
    ports = [t.ofport for t in node.tunnels if t.ofport and t.ofport > 0]
    table0, remote = verify_flows(snap.openflow.value, decoder, ports)
    return verify(node, table0, remote, sb_of(snap), snap.southbound.why_not("the southbound DB"))
