"""What a parsed ``ofproto/trace`` says about a packet from an OVN VIF: the
encap id in ``reg13[16..31]`` along the walk, the tunnel ports the walk
outputs to, and the tunnel copies the datapath really sends.  Pure.

OVN keeps the encap id in ``reg13[16..31]`` (``MFF_LOG_ENCAP_ID``, loaded by
the VIF's table-0 flow, ``load_logical_ingress_metadata`` in OVN
``controller/physical.c``); the remote-output flows match on it.  The trace
prints each action as it ran, and for a ``move``/``pop`` the value it wrote
("-> NXM_NX_REG13[16..31] is now 0x2"), so the id can be followed flow by
flow: where it was last written is where a wrong one came from.

Each OpenFlow output to a tunnel port is paired, in order within its pass,
with a tunnel copy in that pass's datapath actions
(:func:`flowprog.odpactions.tunnel_sends`).  An output with no copy was not
sent (a userspace datapath without a route for the remote VTEP says
"native tunnel routing failed").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowprog.nodeconfig import TunnelPort
from flowprog.odpactions import GeneveOption, tunnel_sends
from flowprog.traceparse import Step, Trace, TracedAction, flow_fields

__all__ = ["Departure", "Walk", "TunnelOutput", "tunnel_outputs", "departures", "summarise", "switch_notes",
           "encap_after"]

_FIELD = re.compile(r"^(?:reg13|NXM_NX_REG13)(?:\[(\d+)?(?:\.\.(\d+))?\])?$", re.ASCII)
_NOW = re.compile(r"^-> (?:reg13|NXM_NX_REG13)(\[[\d.]*\]) is now (0x[0-9a-f]+|\d+)$", re.ASCII)
_OUTPUT = re.compile(r"^output:(\d+)$", re.ASCII)
_ENCAP = 0xFFFF0000


@dataclass(frozen=True, slots=True)
class Departure:
    """One copy of the packet leaving through a tunnel."""

    src: str | None  # the outer source: the local VTEP
    dst: str | None  # the outer destination: the remote VTEP
    tun_id: int | None
    geneve: tuple[GeneveOption, ...]
    datapath_port: int | None
    ofport: int | None  # the OpenFlow tunnel port it was output to
    interface: str | None
    encap_id: int | None  # reg13[16..31] when it was output
    step: Step | None  # the flow that output it
    setter: Step | None  # the flow that last wrote reg13[16..31] before


@dataclass(frozen=True, slots=True)
class Walk:
    """The table walk, summarised."""

    tables: tuple[tuple[int | None, ...], ...]  # per pass, the tables crossed in order
    encap_id: int | None  # what the VIF's table-0 flow loaded into reg13[16..31]
    ct_states: tuple[str | None, ...]  # per recirculation followed, the ct_state it resumed with
    steps: int
    datapath_actions: tuple[str, ...]  # per pass
    cut_short: bool



def _bits(spec: str | None, hi: str | None) -> tuple[int, int]:
    if spec is None:
        return 0, 31
    lo = int(spec)
    return lo, int(hi) if hi is not None else lo


def _write(eid: int | None, lo: int, hi: int, value: int) -> int | None:
    """reg13[16..31] after ``value`` is written into reg13[lo..hi]."""
    mask = ((1 << (hi - lo + 1)) - 1) << lo
    if not mask & _ENCAP:
        return eid
    reg = ((eid or 0) << 16) & ~mask | (value << lo) & mask
    if eid is None and mask & _ENCAP != _ENCAP:
        return None  # part of the id is still unknown
    return (reg >> 16) & 0xFFFF


def encap_after(eid: int | None, action: TracedAction) -> tuple[int | None, bool]:
    """reg13[16..31] after ``action``, and whether the action wrote it (an
    unreadable value makes the id unknown, never an exception)."""
    try:
        return _encap_write(eid, action)
    except ValueError:
        return None, True


def _encap_write(eid: int | None, action: TracedAction) -> tuple[int | None, bool]:
    text = action.text
    if text.startswith("set_field:") and "->" in text:
        value, _, dst = text[10:].rpartition("->")
        if dst != "reg13":
            return eid, False
        v, _, m = value.partition("/")
        mask = int(m, 0) if m else 0xFFFFFFFF
        if not mask & _ENCAP:
            return eid, False
        reg = ((eid or 0) << 16) & ~mask | int(v, 0) & mask
        known = eid is not None or mask & _ENCAP == _ENCAP
        return ((reg >> 16) & 0xFFFF) if known else None, True
    if not text.startswith(("load:", "move:", "pop:")) or "REG13" not in text.upper():
        return eid, False
    found = _FIELD.match(text.rpartition("->")[2] if "->" in text else text[4:])
    if found is None:
        return eid, False
    lo, hi = _bits(found.group(1), found.group(2))
    if not ((1 << (hi - lo + 1)) - 1) << lo & _ENCAP:
        return eid, False
    if text.startswith("load:"):
        return _write(eid, lo, hi, int(text[5:].partition("->")[0], 0)), True
    # move/pop: the switch says what the field now holds ("-> NXM_NX_REG13[16..31] is now 0x2")
    now = next((int(hit.group(2), 0) for n in action.notes if (hit := _NOW.match(n))), None)
    return (_write(eid, lo, hi, now) if now is not None else None), True


def _initial_encap(flow: str) -> int:
    try:
        return (int(flow_fields(flow).get("reg13") or "0", 0) >> 16) & 0xFFFF
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class TunnelOutput:
    """An OpenFlow ``output`` to a tunnel port in the walk."""

    step: Step  # the flow whose actions hold it
    ofport: int
    encap_id: int | None  # reg13[16..31] at that moment
    setter: Step | None  # the flow that last wrote reg13[16..31] before


def tunnel_outputs(trace: Trace, tunnels: dict[int, TunnelPort]) -> tuple[list[list[TunnelOutput]], int | None]:
    """Per pass, the OpenFlow outputs to tunnel ports (with reg13[16..31] at that
    moment); and the encap id the first table-0 flow loaded."""
    per_stage: list[list[TunnelOutput]] = []
    loaded: int | None = None
    setter: Step | None = None
    for stage in trace.stages:
        eid: int | None = _initial_encap(stage.flow)
        found: list[TunnelOutput] = []
        for step in stage.steps:
            for action in step.actions:
                eid, wrote = encap_after(eid, action)
                if wrote:
                    setter = step
                out = _OUTPUT.match(action.text)
                if out is not None and int(out.group(1)) in tunnels:
                    found.append(TunnelOutput(step, int(out.group(1)), eid, setter))
            if step.stage == 0 and step.table == 0 and loaded is None and step.priority is not None:
                loaded = eid
        per_stage.append(found)
    return per_stage, loaded


def departures(trace: Trace, tunnels: dict[int, TunnelPort],
                per_stage: list[list[TunnelOutput]]) -> tuple[list[Departure], list[TunnelOutput]]:
    """Tunnel copies, each OpenFlow output paired with the datapath's send in the
    same pass (in order); an output the datapath does not send is returned apart."""
    out: list[Departure] = []
    unsent: list[TunnelOutput] = []
    for stage, outputs in zip(trace.stages, per_stage, strict=True):
        sends = list(tunnel_sends(stage.datapath_actions))
        for i, o in enumerate(outputs):
            if i < len(sends):
                s = sends[i]
                out.append(Departure(s.src, s.dst, s.tun_id, s.geneve, s.port, o.ofport, tunnels[o.ofport].name,
                                     o.encap_id, o.step, o.setter))
            else:
                unsent.append(o)
        for s in sends[len(outputs):]:  # the datapath sends more than the walk showed: keep them
            out.append(Departure(s.src, s.dst, s.tun_id, s.geneve, s.port, None, None, None, None, None))
    return out, unsent


def summarise(trace: Trace, loaded: int | None) -> Walk:
    return Walk(tuple(tuple(s.table for s in st.steps) for st in trace.stages), loaded,
                tuple(st.ct_state for st in trace.stages[1:]), sum(len(st.steps) for st in trace.stages),
                tuple(st.datapath_actions for st in trace.stages), trace.cut_short)


def switch_notes(trace: Trace) -> tuple[str, ...]:
    """The switch's warnings (``>>``) and errors (``>>>> <<<<``), and each pass's own notes."""
    out = []
    for stage in trace.stages:
        for step in stage.steps:
            for a in step.actions:
                out += [f"{step.where()}: {n[2:].strip(' <>')}" for n in a.notes if n.startswith(">>")]
        out += [n for n in stage.notes if not n.startswith("NAT ")]
    return tuple(dict.fromkeys(out))
