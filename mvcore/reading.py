"""What one source gave when the node was read: a value, or why there is none.

Every part of a node snapshot is a :class:`Reading`, so "could not be read"
travels with the data into every verdict instead of turning into an empty
table somewhere on the way.  Three states:

* read: ``value`` set, ``error`` None;
* failed: ``error`` says why in words ("ovsdb-server did not answer in 5 s");
* not asked: both None (the command did not need that source, or a support
  bundle was made by a command that did not read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Reading", "NOT_ASKED"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    value: T | None = None
    error: str | None = None

    @classmethod
    def of(cls, value: T) -> Reading[T]:
        return cls(value, None)

    @classmethod
    def failed(cls, error: str) -> Reading[T]:
        return cls(None, error)

    @property
    def ok(self) -> bool:
        return self.error is None and self.value is not None

    @property
    def asked(self) -> bool:
        return self.value is not None or self.error is not None

    def why_not(self, what: str) -> str:
        """Why there is no value, in words: the error, or that it was not read."""
        return self.error or f"{what} was not read"


NOT_ASKED: Reading[object] = Reading()
