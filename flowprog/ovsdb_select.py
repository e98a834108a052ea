"""One read of OVSDB tables: a ``transact`` of ``select`` operations.

A command that reads a node once (``verify``, ``show``, ``paths``...) needs
the rows as they are now, not a replica kept up to date: one ``transact``
request with a ``select`` per table (RFC 7047 section 5.2.2), answered in
one JSON object and decoded with the standard library's C parser.  The
ovsdbapp monitor (:class:`flowprog.ovsdb.OvsdbMonitor`) is for the views
that read again and again; for one read it costs several times more,
python-ovs decoding the initial update with its pure-Python JSON parser
(about a quarter of a second on a small node).  ``ssl:`` remotes go
through the monitor, which does the TLS.

The rows come out as the monitor gives them (see
:func:`flowprog.ovsdb.read_tables`): OVSDB's JSON encodings unwrapped --
``["uuid", U]`` is U, ``["set", [...]]`` a list, ``["map", [[k, v]...]]`` a
dict, a set of one sent bare stays bare -- so one typed converter
(:mod:`mvcore.ovsdb_rows`) serves both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowprog.ovsdb_fetch import fetch_schema, plain_call, present_columns
from mvcore.errors import Unavailable

__all__ = ["select_tables", "MAX_ROWS", "plain_remote"]

MAX_ROWS = 256 << 20  # bytes of a select answer: far more than any node's Open_vSwitch or southbound rows


def plain_remote(remote: str) -> bool:
    """Whether ``remote`` is one server over a plain socket (what :func:`select_tables` reads)."""
    return remote.startswith(("unix:", "tcp:")) and "," not in remote


def _value(v: Any) -> Any:
    """An OVSDB JSON value unwrapped (RFC 7047 section 5.1)."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        tag, body = v
        if tag in ("uuid", "named-uuid"):
            return body
        if tag == "set" and isinstance(body, list):
            return [_value(x) for x in body]
        if tag == "map" and isinstance(body, list):
            return {_value(p[0]): _value(p[1]) for p in body if isinstance(p, list) and len(p) == 2}
    return v


def select_tables(remote: str, schema: str, tables: Mapping[str, Sequence[str]], timeout: float,
                  optional: frozenset[str] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``tables`` (table -> columns: those the server's schema
    has) from database ``schema`` at ``remote``, in one request.  A table of
    ``optional`` the schema lacks is left out; any other is an error."""
    present = present_columns(fetch_schema(remote, schema, timeout), remote, schema, tables, optional)
    ops = [{"op": "select", "table": t, "where": [], "columns": ["_uuid", *cols]} for t, cols in present.items()]
    reply = plain_call(remote, "transact", [schema, *ops], timeout, MAX_ROWS)
    results = reply.get("result")
    if reply.get("error") is not None or not isinstance(results, list) or len(results) < len(ops):
        raise Unavailable(f"{remote} refused to read database {schema}: {reply.get('error') or 'no result'}")
    out: dict[str, list[dict[str, Any]]] = {}
    for table, result in zip(present, results, strict=False):  # (a transact answer may hold more)
        rows = result.get("rows") if isinstance(result, dict) else None
        if not isinstance(rows, list):
            why = result.get("error") if isinstance(result, dict) else result
            raise Unavailable(f"{remote} refused to read table {table}: {why}")
        out[table] = [{k: _value(v) for k, v in row.items()} for row in rows if isinstance(row, dict)]
    return out
