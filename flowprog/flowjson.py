"""Flows as JSON: the second renderer of the same model (schema in the README)."""

from __future__ import annotations

from typing import Any

from flowprog.flows import Action, Flow

__all__ = ["flow_json", "action_json"]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def action_json(a: Action) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": a.name, "text": a.text, "args": {k: _plain(v) for k, v in a.args}}
    if a.nested:
        doc["nested"] = [action_json(n) for n in a.nested]
    return doc


def flow_json(f: Flow) -> dict[str, Any]:
    e = f.entry
    doc: dict[str, Any] = {
        "table": e.table, "priority": e.priority, "cookie": e.cookie, "packets": e.packet_count,
        "bytes": e.byte_count, "duration": round(e.duration, 3), "idle_timeout": e.idle_timeout,
        "hard_timeout": e.hard_timeout, "importance": e.importance, "flags": e.flags,
        "match": [{"field": m.name, "value": m.value, "mask": m.mask} for m in f.match],
        "actions": [action_json(a) for a in f.actions],
    }
    if f.undecoded:
        doc["undecoded"] = f.undecoded
        doc["raw"] = e.body.hex()
    return doc
