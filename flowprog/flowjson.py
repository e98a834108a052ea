"""Flows as JSON: the second renderer of the same model (schema in the README).

:func:`flow_json` gives a flow's document as plain data; :func:`flow_json_text`
the same document as JSON text, put together from pieces it remembers (a
flow's match items and its action list recur across a table), which is
what lets ``mvtep flows --json`` stream a hundred thousand flows at the
speed of the text output.  Both give the same document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from operator import itemgetter
from typing import Any, cast

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


_SECOND = itemgetter(1)


class JsonPieces:
    """The JSON text of match items and action lists already seen, and how
    many flows it has rendered undecoded.

    Keyed by the object's id, with the object kept alive alongside so that
    the id cannot be reused while the entry lives; bounded like the
    decoder's caches, whose objects these are."""

    _LIMIT = 200_000

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}
        self._alive: list[object] = []
        self.undecoded = 0

    def _text(self, obj: object, make: Any) -> str:
        if len(self._texts) >= self._LIMIT:
            self._texts.clear()
            self._alive.clear()
        self._alive.append(obj)
        text = self._texts[id(obj)] = json.dumps(make(obj))
        return text

    def _document(self, table: int, priority: int, cookie: int, n_packets: int, n_bytes: int, duration: float,
                  idle_timeout: int, hard_timeout: int, flags: int, importance: int, match: Iterable[FieldMatch],
                  actions: tuple[Action, ...]) -> str:
        """The document's text up to its closing brace: ``flow_json``'s keys,
        in its order."""
        get = self._texts.get
        match = tuple(match)
        found = list(map(get, map(id, match)))
        items = cast(list[str], found) if None not in found else [
            get(id(m)) or self._text(m, _match_json) for m in match]
        acts = get(id(actions)) or self._text(actions, lambda acts: [action_json(a) for a in acts])
        return (f'{{"table": {table}, "priority": {priority}, "cookie": {cookie}, '
                f'"packets": {n_packets}, "bytes": {n_bytes}, "duration": {round(duration, 3)!r}, '
                f'"idle_timeout": {idle_timeout}, "hard_timeout": {hard_timeout}, "importance": {importance}, '
                f'"flags": {flags}, "match": [{", ".join(items)}], "actions": {acts}')

    def flow(self, f: Flow) -> str:
        """``json.dumps(flow_json(f))``, faster."""
        e = f.entry
        text = self._document(e.table, e.priority, e.cookie, e.packet_count, e.byte_count, e.duration,
                              e.idle_timeout, e.hard_timeout, e.flags, e.importance, f.match, f.actions)
        if f.undecoded:
            self.undecoded += 1
            text += f', "undecoded": {json.dumps(f.undecoded)}, "raw": "{e.body.hex()}"'
        return text + "}"

    def row(self, table: int, priority: int, cookie: int, n_packets: int, n_bytes: int, sec: int, nsec: int,
            idle_timeout: int, hard_timeout: int, flags: int, importance: int, idle_age: int | None,
            match: list[tuple[int, FieldMatch]], actions: tuple[tuple[Action, ...], str, str | None]) -> str:
        """:meth:`flow`'s text from the flow's parts, as
        :meth:`flowprog.ofdecode.Decoder.rows` gives them (with ``clean``:
        every action decoded)."""
        return self._document(table, priority, cookie, n_packets, n_bytes, sec + nsec / 1e9, idle_timeout,
                              hard_timeout, flags, importance, map(_SECOND, match), actions[0]) + "}"


def flow_json_text(f: Flow, pieces: JsonPieces | None = None) -> str:
    """A flow's document as JSON text (one line)."""
    return (pieces or JsonPieces()).flow(f)
