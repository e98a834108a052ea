"""What ``mvtep verify`` reads from a node, kept as its raw inputs.

A snapshot holds the OVSDB rows, the raw OpenFlow bytes of the flows that
matter (table 0 and the flows that output to a tunnel port) and the
southbound rows, exactly as read.  The model is rebuilt from them by the same
pure code whether the snapshot was just taken or loaded from a file, so
``mvtep verify --save`` on a customer's node and ``--from`` on a laptop give
the same verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowprog.flows import Flow, FlowEntry
from flowprog.nodeconfig import NodeConfig
from flowprog.ofdecode import Decoder, entries
from flowprog.ovsdb import Rows
from flowprog.sbstate import SbState
from mvcore.errors import DecodeError, UsageError

__all__ = ["Snapshot", "SNAPSHOT_SCHEMA"]

SNAPSHOT_SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Snapshot:
    bridge: str
    ovs_rows: Rows
    version: int  # OpenFlow version the flows were read with
    table0: tuple[bytes, ...]  # flow-stats entries, as the switch sent them
    remote_output: tuple[bytes, ...]
    sb_rows: Rows | None
    sb_error: str | None

    def node(self) -> NodeConfig:
        return NodeConfig.from_rows(self.ovs_rows, self.bridge)

    def sb(self) -> SbState | None:
        return SbState.from_rows(self.sb_rows) if self.sb_rows is not None else None

    def flows(self, decoder: Decoder) -> tuple[tuple[Flow, ...], tuple[Flow, ...]]:
        """Decoded table-0 and remote-output flows."""
        def decode(bodies: tuple[bytes, ...]) -> tuple[Flow, ...]:
            return tuple(decoder.decode(e) for b in bodies for e in self._entries(b))
        return decode(self.table0), decode(self.remote_output)

    def _entries(self, body: bytes) -> list[FlowEntry]:
        return list(entries(self.version, body))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SNAPSHOT_SCHEMA, "kind": "verify-snapshot", "bridge": self.bridge,
                "openflow_version": self.version, "ovs": self.ovs_rows,
                "table0": [b.hex() for b in self.table0], "remote_output": [b.hex() for b in self.remote_output],
                "sb": self.sb_rows, "sb_error": self.sb_error}

    def save(self, path: Path) -> None:
        try:
            path.write_text(json.dumps(self.to_json()) + "\n")
        except OSError as e:
            raise UsageError(f"cannot write snapshot {path}: {e.strerror}") from e

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        try:
            doc = json.loads(path.read_text())
        except OSError as e:
            raise UsageError(f"cannot read snapshot {path}: {e.strerror}") from e
        except ValueError as e:
            raise UsageError(f"{path} is not a snapshot (not JSON: {e})") from e
        if not isinstance(doc, dict) or doc.get("kind") != "verify-snapshot":
            raise UsageError(f"{path} is not a mvtep verify snapshot")
        if doc.get("schema") != SNAPSHOT_SCHEMA:
            raise UsageError(f"{path} has snapshot schema {doc.get('schema')}, this mvtep reads {SNAPSHOT_SCHEMA}")
        try:
            return cls(doc["bridge"], doc["ovs"], int(doc["openflow_version"]),
                       tuple(bytes.fromhex(h) for h in doc["table0"]),
                       tuple(bytes.fromhex(h) for h in doc["remote_output"]), doc["sb"], doc["sb_error"])
        except (KeyError, TypeError, ValueError, DecodeError) as e:
            raise UsageError(f"{path} is a damaged snapshot ({type(e).__name__}: {e})") from e
