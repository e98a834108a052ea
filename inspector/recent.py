"""What a live view (``mvtep watch``, the exporter) can reuse from its previous refresh.

Every refresh reads table 0 and the remote-output tables again, about 1,200
flows on a node with 1,000 VFs, and between two refreshes almost nothing
but their counters changes.  :class:`RecentFlows` is a
:class:`~flowprog.ofdecode.Decoder` that decodes a flow once while its bytes
stay the same but for its counters, and keeps the verify result while
neither OVSDB, the southbound DB nor any flow changed: verify reads
matches and actions, never counters (:mod:`flowprog.verify`); so is what
else follows from matches and actions alone (:meth:`RecentFlows.while_unchanged`:
which flows' counters are each VIF's).  The counters themselves always come
from the flows just read.

The counters' place in a flow-stats entry (OpenFlow 1.3 ``ofp_flow_stats``,
1.5 ``ofp_flow_desc``; openflow-spec 1.3.5 section 7.3.5.2, 1.5.1 section
7.3.5.2):

* 1.3: ``duration_sec``/``duration_nsec`` at bytes 4-11, ``packet_count``/
  ``byte_count`` at 32-47, everything else fixed or after them;
* 1.5: the 24-byte header, the match (``ofp_match``, its length at byte 26,
  padded to 8), then the counters as OXS stats (``ofp_stats``, its length 2
  bytes into it, padded to 8: duration, idle time, packets, bytes), then
  the instructions.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from flowprog.flowdump import VerifyFlows
from flowprog.flows import Flow, FlowEntry
from flowprog.node_verify import snapshot_flows
from flowprog.nodeconfig import NodeConfig
from flowprog.ofcodec import Codec
from flowprog.ofdecode import OF13, OF15, Decoder
from flowprog.verify import VerifyResult
from mvcore.snapshot import NodeSnapshot

__all__ = ["RecentFlows", "stable_bytes"]

T = TypeVar("T")

_KEEP = 50_000  # flows remembered at most: a node's table 0 and remote-output tables, several times over


def stable_bytes(entry: FlowEntry) -> bytes | None:
    """The entry's bytes without its counters; None when they cannot be told apart."""
    body = entry.body
    if entry.version == OF13:
        return body[:4] + body[12:32] + body[48:] if len(body) >= 48 else None
    if entry.version != OF15 or len(body) < 28:
        return None
    (match_len,) = struct.unpack_from("!H", body, 26)
    stats = 24 + ((match_len + 7) & ~7)
    if match_len < 4 or stats + 4 > len(body):
        return None
    (stats_len,) = struct.unpack_from("!H", body, stats + 2)
    end = stats + ((stats_len + 7) & ~7)
    return body[:stats] + body[end:] if stats_len >= 4 and end <= len(body) else None


@dataclass(frozen=True, slots=True)
class _Verified:
    # what the result was verified against: the snapshot's OVSDB state, southbound rows and sysfs
    # record (compared by identity: a gatherer hands the same object over while nothing changed),
    # the southbound's error, the release and representors judged by, and each flow's stable bytes
    inputs: tuple[object, ...]
    flows: tuple[bytes | None, ...]
    result: tuple[VerifyFlows, VerifyResult]


class RecentFlows(Decoder):
    """A decoder for a live view (see the module docstring)."""

    def __init__(self, codec: Codec) -> None:
        super().__init__(codec)
        self._flows: dict[bytes, Flow] = {}
        self._order: list[bytes | None] = []
        self._last: _Verified | None = None
        self._unchanged = False  # the last verified() reused its result: nothing it reads changed
        self._kept: dict[str, object] = {}

    def decode(self, entry: FlowEntry) -> Flow:
        key = stable_bytes(entry)
        self._order.append(key)
        known = self._flows.get(key) if key is not None else None
        if known is None:
            known = super().decode(entry)
            if key is not None:
                if len(self._flows) >= _KEEP:
                    self._flows.clear()
                self._flows[key] = known
        return known._replace(entry=entry)

    def verified(self, snap: NodeSnapshot, node: NodeConfig, judged_by: object,
                 verify: Callable[[VerifyFlows], VerifyResult]) -> tuple[VerifyFlows, VerifyResult]:
        """The flows verify reads (:func:`~flowprog.node_verify.snapshot_flows`) and
        ``verify(flows)``, or the last result while nothing it depends on
        changed (``judged_by``: what else the verdict depends on, by value)."""
        self._order = []
        flows = snapshot_flows(snap, node, self)
        keys = tuple(self._order)
        inputs = (snap.ovsdb.value, snap.southbound.value, snap.southbound.error, snap.sysfs.value, judged_by)
        last = self._last
        if (last is not None and all(a is b or a == b for a, b in zip(last.inputs, inputs, strict=True))
                and last.flows == keys and None not in keys):
            self._unchanged = True
            return flows, last.result[1]
        result = verify(flows)
        self._last = _Verified(inputs, keys, (flows, result))
        self._unchanged = False
        self._kept.clear()
        return flows, result

    def while_unchanged(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, or what it gave before while nothing :meth:`verified`
        depends on changed (call it after :meth:`verified`): for what follows
        from the flows' matches and actions, never from their counters."""
        if self._unchanged and name in self._kept:
            return cast(T, self._kept[name])
        value = compute()
        self._kept[name] = value
        return value
