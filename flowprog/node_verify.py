"""``mvtep verify`` on a node snapshot: the configuration, flows and bindings it
holds, decoded, then the pure rules of :mod:`flowprog.verify`."""

from __future__ import annotations

from flowprog.flowdump import VerifyFlows, verify_flows
from flowprog.nodeconfig import NodeConfig
from flowprog.ofdecode import Decoder
from flowprog.ovnrelease import OvnRelease, release_of
from flowprog.sbstate import SbState
from flowprog.verify import VerifyResult, verify
from mvcore.errors import Unavailable
from mvcore.ovsdb_rows import OvsState, SbRows
from mvcore.snapshot import NodeSnapshot

__all__ = ["node_of", "sb_of", "release_of_snapshot", "snapshot_flows", "verify_decoded", "verify_snapshot"]


_last: list[tuple[OvsState, str, str | None, NodeConfig]] = []  # a live view reads one unchanged state many times


def node_of(snap: NodeSnapshot) -> NodeConfig:
    """The node's configuration; a snapshot without OVSDB rows cannot say it.
    (The same rows again give the same configuration without rebuilding it.)"""
    state = snap.ovsdb.value
    if state is None:
        raise Unavailable(snap.ovsdb.why_not("the Open_vSwitch database"), topic="ovsdb")
    override = snap.daemons.system_id_override.value
    if not _last or _last[0][0] is not state or _last[0][1] != snap.bridge or _last[0][2] != override:
        _last[:] = [(state, snap.bridge, override, NodeConfig.from_state(state, snap.bridge, override))]
    return _last[0][3]


_last_sb: list[tuple[SbRows, SbState]] = []  # as with _last: a refresh may hand back the same rows


def sb_of(snap: NodeSnapshot) -> SbState | None:
    """The southbound state, when the snapshot read it.  (The same rows again
    give the same state without rebuilding it.)"""
    rows = snap.southbound.value
    if rows is None:
        return None
    if not _last_sb or _last_sb[0][0] is not rows:
        _last_sb[:] = [(rows, SbState.from_rows(rows))]
    return _last_sb[0][1]


def release_of_snapshot(snap: NodeSnapshot, node: NodeConfig, sb: SbState | None) -> OvnRelease:
    """The ovn-controller release: its own answer over its control socket,
    else the feature flags it published in its southbound Chassis row."""
    features = sb.other_config.get(node.chassis or "") if sb is not None else None
    why = [snap.daemons.ovn_version.why_not("ovn-controller's version")]
    if sb is None:
        why.append(snap.southbound.why_not("the southbound DB"))
    elif features is None:
        why.append(f"no Chassis {node.chassis} in the southbound DB")
    else:
        why.append(f"the feature flags of Chassis {node.chassis} do not tell")
    return release_of(snap.daemons.ovn_version.value, features, "; ".join(why))


def snapshot_flows(snap: NodeSnapshot, node: NodeConfig, decoder: Decoder) -> VerifyFlows:
    """Table 0 and the remote-output tables of the snapshot's flows."""
    if snap.openflow.value is None:
        raise Unavailable(snap.openflow.why_not(f"the flows of {snap.bridge}"), topic="openflow")
    ports = [t.ofport for t in node.tunnels if t.ofport and t.ofport > 0]
    return verify_flows(snap.openflow.value, decoder, ports)


def verify_snapshot(snap: NodeSnapshot, decoder: Decoder, representors: frozenset[str] | None = None) -> VerifyResult:
    """:func:`verify` on what a snapshot holds (OVSDB rows, br-int's flows,
    the southbound rows when they were read, what ovn-controller said)."""
    node = node_of(snap)
    sb = sb_of(snap)
    return verify_decoded(snap, node, sb, release_of_snapshot(snap, node, sb), snapshot_flows(snap, node, decoder),
                          representors)


def verify_decoded(snap: NodeSnapshot, node: NodeConfig, sb: SbState | None, release: OvnRelease,
                   flows: VerifyFlows, representors: frozenset[str] | None) -> VerifyResult:
    """:func:`verify` on flows already chosen and decoded from ``snap`` (a
    live view reuses what did not change since its last refresh)."""
    return verify(node, flows.table0, flows.remote, sb, snap.southbound.why_not("the southbound DB"),
                  release=release, undecoded={t: (u.count, u.reason) for t, u in flows.undecoded.items()},
                  unsplit=flows.unsplit, representors=representors)
