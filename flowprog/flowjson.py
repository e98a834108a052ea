"""Flows as JSON: the second renderer of the same model (schema in the README).

:func:`flow_json` gives a flow's document as plain data; :func:`flow_json_text`
the same document as JSON text, put together from pieces it remembers (a
flow's match items and its action list recur across a table), which is
what lets ``mvtep flows --json`` stream a hundred thousand flows at the
speed of the text output.  Both give the same document.
"""

from __future__ import annotations

import json
from typing import Any

from flowprog.flows import Action, FieldMatch, Flow

__all__ = ["flow_json", "action_json", "flow_json_text", "JsonPieces"]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def action_json(a: Action) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": a.name, "text": a.text, "args": {k: _plain(v) for k, v in a.args}}
    if a.nested:
        doc["nested"] = [action_json(n) for n in a.nested]
    return doc


def _match_json(m: FieldMatch) -> dict[str, Any]:
    return {"field": m.name, "value": m.value, "mask": m.mask}


def flow_json(f: Flow) -> dict[str, Any]:
    e = f.entry
    doc: dict[str, Any] = {
        "table": e.table, "priority": e.priority, "cookie": e.cookie, "packets": e.packet_count,
        "bytes": e.byte_count, "duration": round(e.duration, 3), "idle_timeout": e.idle_timeout,
        "hard_timeout": e.hard_timeout, "importance": e.importance, "flags": e.flags,
        "match": [_match_json(m) for m in f.match],
        "actions": [action_json(a) for a in f.actions],
    }
    if f.undecoded:
        doc["undecoded"] = f.undecoded
        doc["raw"] = e.body.hex()
    return doc


class JsonPieces:
    """The JSON text of match items and action lists already seen.

    Keyed by the object's id, with the object kept alongside so that the id
    cannot be reused while the entry lives; bounded like the decoder's
    caches, whose objects these are."""

    _LIMIT = 200_000

    def __init__(self) -> None:
        self._seen: dict[int, tuple[object, str]] = {}

    def _text(self, obj: object, make: Any) -> str:
        found = self._seen.get(id(obj))
        if found is None:
            if len(self._seen) >= self._LIMIT:
                self._seen.clear()
            found = self._seen[id(obj)] = (obj, json.dumps(make(obj)))
        return found[1]

    def flow(self, f: Flow) -> str:
        """``json.dumps(flow_json(f))``, faster."""
        e = f.entry
        match = ", ".join([self._text(m, _match_json) for m in f.match])
        actions = self._text(f.actions, lambda acts: [action_json(a) for a in acts])
        text = (f'{{"table": {e.table}, "priority": {e.priority}, "cookie": {e.cookie}, '
                f'"packets": {e.packet_count}, "bytes": {e.byte_count}, "duration": {round(e.duration, 3)!r}, '
                f'"idle_timeout": {e.idle_timeout}, "hard_timeout": {e.hard_timeout}, "importance": {e.importance}, '
                f'"flags": {e.flags}, "match": [{match}], "actions": {actions}')
        if f.undecoded:
            text += f', "undecoded": {json.dumps(f.undecoded)}, "raw": "{e.body.hex()}"'
        return text + "}"


def flow_json_text(f: Flow, pieces: JsonPieces | None = None) -> str:
    """A flow's document as JSON text (one line)."""
    return (pieces or JsonPieces()).flow(f)
