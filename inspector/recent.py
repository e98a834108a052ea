"""What a live view (``mvtep watch``, the exporter) can reuse from its previous refresh.

Every refresh reads table 0 and the remote-output tables again, about 1,200
flows on a node with 1,000 VFs, and between two refreshes almost nothing
but their counters changes.  :class:`RecentFlows` is a
:class:`~flowprog.ofdecode.Decoder` that decodes a flow once while its bytes
stay the same but for its counters, and keeps the verify result while
neither OVSDB, the southbound DB nor any flow changed: verify reads
matches and actions, never counters (:mod:`flowprog.verify`).  The counters
themselves always come from the flows just read.

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

from flowprog.flowdump import verify_flows
from flowprog.flows import Flow, FlowEntry
from flowprog.ofcodec import Codec
from flowprog.ofdecode import OF13, OF15, Decoder
from flowprog.verify import VerifyResult
from mvcore.snapshot import FlowDump

__all__ = ["RecentFlows", "stable_bytes"]

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
    ovsdb: object  # the snapshot's OVSDB state and southbound rows it was verified against (compared by identity)
    southbound: object
    southbound_error: str | None
    flows: tuple[bytes | None, ...]
    result: VerifyResult


class RecentFlows(Decoder):
    """A decoder for a live view (see the module docstring)."""

    def __init__(self, codec: Codec) -> None:
        super().__init__(codec)
        self._flows: dict[bytes, Flow] = {}
        self._order: list[bytes | None] = []
        self._last: _Verified | None = None

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
        return Flow(entry, known.match, known.actions, known.undecoded)

    def verified(self, dump: FlowDump, ports: list[int], ovsdb: object, southbound: object,
                 southbound_error: str | None, verify: Callable[[tuple[Flow, ...], tuple[Flow, ...]], VerifyResult]
                 ) -> tuple[tuple[Flow, ...], tuple[Flow, ...], VerifyResult]:
        """Table 0's and the remote-output tables' flows (:func:`~flowprog.flowdump.verify_flows`) and
        ``verify(table0, remote_output)``, or the last result while nothing it depends on changed."""
        self._order = []
        table0, remote = verify_flows(dump, self, ports)
        flows = tuple(self._order)
        last = self._last
        if (last is not None and last.ovsdb is ovsdb and last.southbound is southbound
                and last.southbound_error == southbound_error and last.flows == flows and None not in flows):
            return table0, remote, last.result
        result = verify(table0, remote)
        self._last = _Verified(ovsdb, southbound, southbound_error, flows, result)
        return table0, remote, result
