"""What ``mvtep apply`` writes to OVSDB: keys of map columns, each changed
from the value it was planned from (:mod:`flowprog.ovsdb_keys` makes them)."""

from __future__ import annotations

from dataclasses import dataclass

from mvcore.errors import MvtepError

__all__ = ["KeyChange", "KeysChanged"]


@dataclass(frozen=True, slots=True)
class KeyChange:
    """Set ``key`` of ``table`` ``record``'s map ``column`` from ``old`` to
    ``new`` (None: absent).  ``record`` is a row's ``name``, or ``"."`` for the
    table's only row."""

    table: str
    record: str
    column: str
    key: str
    old: str | None
    new: str | None

    @property
    def target(self) -> str:
        row = "" if self.record == "." else f" {self.record}"
        return f"{self.table}{row} {self.column}:{self.key}"

    def undo(self) -> KeyChange:
        return KeyChange(self.table, self.record, self.column, self.key, self.new, self.old)


class KeysChanged(MvtepError):
    """A key no longer held what the change was planned from: nothing was written."""

    code = "apply-failed"
