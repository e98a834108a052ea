"""The decoded-flow model: small frozen dataclasses, no codec objects.

A :class:`FlowEntry` is what the client yields for each flow in a flow-stats
reply: the fixed header (table, priority, cookie, counters) decoded at once,
and the entry's own bytes kept so match and actions are decoded only when
asked (:meth:`flowprog.ofdecode.Decoder.decode`), which is what makes reading a large
table cheap.  A :class:`Flow` is the full decode.  A part the codec cannot
decode (the match, or one action) is marked in place, with ``undecoded``
saying why; everything else is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["FieldMatch", "Action", "FlowEntry", "Flow", "RegLoad"]

Value = int | str  # integers for numeric fields; text for addresses and flag sets


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One match field as ovs-ofctl prints it: ``reg13=0x10000/0xffff0000``
    is ``FieldMatch("reg13", 0x10000, 0xffff0000, "reg13=0x10000/0xffff0000")``.

    ``value`` and ``mask`` are integers, addresses as text; ``mask`` is None
    for an exact match.  ``text`` is what ovs-ofctl prints for it: a protocol
    shorthand (``tcp``) is the ``dl_type`` field's text, and the ``nw_proto``
    it folds in has an empty one."""

    name: str
    value: Value | None
    mask: Value | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """One action: its ovs-ofctl keyword, structured arguments and text.

    ``args`` holds JSON-ready values (``set_field`` has ``field``, ``value``,
    ``mask``; ``output`` has ``port``; ``resubmit`` has ``table``...);
    ``nested`` holds the actions inside ``ct(exec(...))``, ``clone(...)`` and
    ``write_actions(...)``.  An action the codec could not decode has the
    name ``undecoded`` and its raw bytes in ``args``.
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


class FlowEntry(NamedTuple):
    """A flow's header, decoded eagerly, and its undecoded body.

    A NamedTuple rather than a frozen dataclass, like :class:`Flow`: a dump
    makes one per flow, a hundred thousand on a large br-int, and a frozen
    dataclass takes six times as long to build."""

    version: int  # OpenFlow wire version: 4 (1.3) or 6 (1.5)
    table: int
    priority: int
    cookie: int
    packet_count: int
    byte_count: int
    duration: float  # seconds
    idle_timeout: int
    hard_timeout: int
    flags: int  # OFPFF_*: send_flow_rem, check_overlap, reset_counts, no_packet_counts, no_byte_counts
    importance: int
    body: bytes  # the whole flow-stats entry as the switch sent it
    duration_sec: int = 0
    duration_nsec: int = 0
    idle_age: int | None = None  # seconds since the flow last matched (OpenFlow 1.5 only)
    match_len: int = 0  # the match's length (its header included); 0: read it from the body
    inst_at: int = 0  # where the instructions start in the body; 0: find them


class Flow(NamedTuple):
    """A fully decoded flow (a NamedTuple for the reason given at
    :class:`FlowEntry`)."""

    entry: FlowEntry
    match: tuple[FieldMatch, ...]
    actions: tuple[Action, ...]
    undecoded: str | None = None  # why the match or an action could not be decoded
    match_text: str | None = None  # the match as ovs-ofctl prints it (None: joined from ``match``)
    actions_text: str | None = None  # likewise the actions

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
        """Ports this flow outputs to directly (``output:N``; not the reserved
        ports such as ``NORMAL``)."""
        return [p for a in _walk(self.actions) if a.name == "output" and isinstance(p := a.arg("port"), int)
                and p < 0xFF00]


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
