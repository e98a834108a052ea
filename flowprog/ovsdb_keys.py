"""Changing keys of OVSDB map columns, each only while it still holds what the
caller last saw: what lets ``mvtep apply`` write its plan only over the
values it planned from, and undo only what it wrote itself.

The check and the change are one transaction: the command verifies the
column (``Row.verify``, an OVSDB ``wait`` for its value as the replica holds
it), so if anyone changes the column in between, the server refuses the
commit, ovsdbapp retries (``TRY_AGAIN``) with the new contents, and the
command looks again.  Imported only when writing, after :mod:`flowprog.ovsdb`
has imported python-ovs its own way (this imports ovsdbapp).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ovsdbapp.backend.ovs_idl.command import BaseCommand

from flowprog.keychange import KeyChange, KeysChanged
from mvcore.errors import MvtepError

__all__ = ["ChangeKeys"]


def _row(api: Any, named: dict[str, dict[str | None, Any]], table: str, record: str) -> Any:
    """``named``: each table's rows by ``name``, built on the table's first
    lookup and kept for the command (reading a column of an IDL row converts
    it each time).  Of rows sharing a name, the first in the replica's order,
    the one a scan would find."""
    if record == ".":
        rows = list(api.idl.tables[table].rows.values())
        if len(rows) != 1:
            raise MvtepError(f"table {table} has {len(rows)} rows, not one")
        return rows[0]
    if table not in named:
        by_name: dict[str | None, Any] = {}
        for row in api.idl.tables[table].rows.values():
            by_name.setdefault(getattr(row, "name", None), row)
        named[table] = by_name
    return named[table].get(record)


class ChangeKeys(BaseCommand):  # type: ignore[misc]  # (ovsdbapp is untyped)
    """The ovsdbapp command.  ``result``: the changes not made, each with the
    value its key held instead (with ``skip_changed``; without it the first
    such key raises :class:`KeysChanged` and the transaction writes nothing)."""

    def __init__(self, api: Any, changes: Sequence[KeyChange], skip_changed: bool) -> None:
        super().__init__(api)
        self.changes, self.skip_changed = tuple(changes), skip_changed

    def run_idl(self, txn: Any) -> None:
        skipped: list[tuple[KeyChange, str | None]] = []
        by_column: dict[tuple[str, str, str], list[KeyChange]] = {}
        for c in self.changes:
            by_column.setdefault((c.table, c.record, c.column), []).append(c)
        named: dict[str, dict[str | None, Any]] = {}
        for (table, record, column), changes in by_column.items():
            row = _row(self.api, named, table, record)
            current: dict[str, str] = dict(getattr(row, column)) if row is not None else {}
            wanted = dict(current)
            for c in changes:
                now = current.get(c.key) if row is not None else "(row gone)"
                if now != c.old:
                    if not self.skip_changed:
                        raise KeysChanged(f"{c.target} changed since it was read (now {now!r}, planned from "
                                          f"{c.old!r}): nothing was written", hint="run it again")
                    skipped.append((c, now))
                elif c.new is None:
                    wanted.pop(c.key, None)
                else:
                    wanted[c.key] = c.new
            if row is not None and wanted != current:
                row.verify(column)
                setattr(row, column, wanted)
        self.result = tuple(skipped)
