"""The decoded-flow model: small frozen dataclasses, no codec objects.

A :class:`FlowEntry` is what the client yields for each flow in a flow-stats
reply: the fixed header (table, priority, cookie, counters) decoded at once,
and the entry's own bytes kept so match and actions are decoded only when
asked (:meth:`flowprog.ofdecode.Decoder.decode`), which is what makes reading a large
table cheap.  A :class:`Flow` is the full decode; a flow the codec cannot
decode still becomes a Flow, with ``undecoded`` saying why and ``raw`` kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FieldMatch", "Action", "FlowEntry", "Flow", "RegLoad"]

Value = int | str  # integers for numeric fields; text for addresses and flag sets


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One match field: ``reg13=0x10000/0xffff0000`` is
    ``FieldMatch("reg13", 0x10000, 0xffff0000)``."""

    name: str
    value: Value
    mask: Value | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One action: its ovs-ofctl keyword, structured arguments and text.

    ``args`` holds JSON-ready values (``set_field`` has ``field``, ``value``,
    ``mask``; ``output`` has ``port``; ``resubmit`` has ``table``...);
    ``nested`` holds the actions inside ``ct(exec(...))`` and ``clone(...)``.
    """

    name: str
    args: tuple[tuple[str, Any], ...]
    text: str
    nested: tuple[Action, ...] = ()
    # args as a dict, for lookups on hot paths (verification reads every load of every flow)
    kw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not self.kw and self.args:
            object.__setattr__(self, "kw", dict(self.args))

    def arg(self, key: str, default: Any = None) -> Any:
        return self.kw.get(key, default)


@dataclass(frozen=True, slots=True)
class RegLoad:
    """A constant written into bits of a field: ``value`` already shifted,
    with ``mask`` covering the bits written."""

    field: str
    value: int
    mask: int

    def bits(self, lo: int, hi: int) -> int | None:
        """The value written into bits ``lo..hi`` if the load covers them all.

        >>> RegLoad("reg13", 0x10000, 0xffff0000).bits(16, 31)
        1
        """
        want = ((1 << (hi - lo + 1)) - 1) << lo
        return (self.value & want) >> lo if self.mask & want == want else None


@dataclass(frozen=True, slots=True)
class FlowEntry:
    """A flow's header, decoded eagerly, and its undecoded body."""

    version: int  # OpenFlow wire version: 4 (1.3) or 6 (1.5)
    table: int
    priority: int
    cookie: int
    packet_count: int
    byte_count: int
    duration: float  # seconds
    idle_timeout: int
    hard_timeout: int
    flags: int
    importance: int
    body: bytes  # the whole flow-stats entry as the switch sent it


@dataclass(frozen=True, slots=True)
class Flow:
    """A fully decoded flow."""

    entry: FlowEntry
    match: tuple[FieldMatch, ...]
    actions: tuple[Action, ...]
    undecoded: str | None = None  # why match/actions could not be decoded

    @property
    def table(self) -> int:
        return self.entry.table

    @property
    def priority(self) -> int:
        return self.entry.priority

    def field(self, name: str) -> FieldMatch | None:
        return next((f for f in self.match if f.name == name), None)

    def loads(self, field: str) -> list[RegLoad]:
        """Every constant load into ``field`` (``set_field`` or ``load``), in
        action order, including those nested in ``clone``."""
        out: list[RegLoad] = []
        for action in _walk(self.actions):
            if action.name in ("set_field", "load") and action.arg("field") == field:
                value, mask = action.arg("value"), action.arg("mask")
                if isinstance(value, int):
                    out.append(RegLoad(field, value, mask if isinstance(mask, int) else _ones(field)))
        return out

    def outputs(self) -> list[int]:
        """Ports this flow outputs to directly (``output:N``)."""
        return [a.arg("port") for a in _walk(self.actions) if a.name == "output" and isinstance(a.arg("port"), int)]


def _walk(actions: tuple[Action, ...]) -> list[Action]:
    out: list[Action] = []
    for a in actions:
        out.append(a)
        if a.name == "clone":
            out.extend(_walk(a.nested))
    return out


def _ones(field: str) -> int:
    widths = {"metadata": 64, "tun_id": 64, "ct_label": 128}
    if field.startswith("xxreg"):
        return (1 << 128) - 1
    if field.startswith("xreg"):
        return (1 << 64) - 1
    return (1 << widths.get(field, 32)) - 1
