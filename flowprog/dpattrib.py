"""Which VF, and which direction, each datapath flow carries traffic for.

A VF's traffic crosses the datapath in two directions:

* what the VF sends (``tx``) enters through its representor: every flow
  with ``in_port(<representor>)``, recirculations included (the kernel and
  userspace datapaths keep ``in_port`` across ``recirc``);
* what it receives (``rx``) enters elsewhere -- from the tunnel netdev
  (``in_port(genev_sys_6081)`` with a ``tunnel(...)`` match: the Geneve
  decap flows), from the uplink, from another VF -- and leaves through its
  representor: a flow whose actions output to the representor, or that
  recirculates (``recirc(0x5)``) into flows that do (``recirc_id(0x5)``, same
  datapath), directly or further down the chain.

Pure: :class:`~flowprog.dpflows.DpFlow` records in, per representor and
direction the flows and their packet counters out.  Output actions are
port names with ``dpctl/dump-flows -m`` (``odp_portno_name_format``,
lib/odp-util.c), nested inside ``clone(...)``, ``check_pkt_len(...)`` or
``sample(...)`` too; a name is only taken for a representor's when it is
one of the names asked about.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from flowprog.dpflows import DpFlow, match_text

__all__ = ["DirectionFlows", "VfFlows", "attribute", "outputs", "recirc_id", "recircs", "match_of"]

_TOKENS = re.compile(r"[(),]")
_RECIRC_ID = re.compile(r"(?:^|,)recirc_id\((0x[0-9a-fA-F]+|\d+)\)")
_RECIRC = re.compile(r"(?:^|[(,])recirc\((0x[0-9a-fA-F]+|\d+)\)")


@dataclass(frozen=True, slots=True)
class DirectionFlows:
    """The datapath flows of one direction of a VF, and what they counted."""

    flows: tuple[DpFlow, ...] = ()

    @property
    def total(self) -> int:
        return len(self.flows)

    @property
    def offloaded(self) -> int:
        return sum(1 for f in self.flows if f.offloaded == "yes")

    @property
    def partial(self) -> int:
        return sum(1 for f in self.flows if f.offloaded == "partial")

    @property
    def hw_packets(self) -> int:
        """Packets of the flows in hardware (``offloaded:yes``), since each flow was installed."""
        return sum(f.packets for f in self.flows if f.offloaded == "yes")

    @property
    def sw_packets(self) -> int:
        """Packets of the others: the software datapath (a partially offloaded flow's actions run there)."""
        return sum(f.packets for f in self.flows if f.offloaded != "yes")


@dataclass(frozen=True, slots=True)
class VfFlows:
    tx: DirectionFlows = DirectionFlows()
    rx: DirectionFlows = DirectionFlows()

    def direction(self, name: str) -> DirectionFlows:
        return self.tx if name == "tx" else self.rx

    @property
    def flows(self) -> tuple[DpFlow, ...]:
        """Every flow of the VF, once (a hairpin flow is in both directions)."""
        return tuple(dict.fromkeys((*self.tx.flows, *self.rx.flows)))


_NONE = VfFlows()  # what a VF without datapath flows shares


def match_of(flow: DpFlow) -> str:
    """The flow's match, as printed (without the ufid): the one parse_line
    kept, else (a flow made otherwise) read from its line."""
    return flow.match or match_text(flow.raw)


def recirc_id(flow: DpFlow) -> int:
    """The ``recirc_id`` the flow matches (0 when it matches none)."""
    found = _RECIRC_ID.search(match_of(flow))
    return int(found.group(1), 0) if found else 0


def recircs(flow: DpFlow) -> tuple[int, ...]:
    """The recirculation ids its actions continue in."""
    return tuple(int(m.group(1), 0) for m in _RECIRC.finditer(flow.actions))


def outputs(actions: str, ports: Collection[str]) -> tuple[str, ...]:
    """The ports of ``ports`` the actions output to, at any nesting depth, in order."""
    return tuple(dict.fromkeys(t for t in (t.strip() for t in _TOKENS.split(actions)) if t in ports))


def attribute(flows: Iterable[DpFlow], representors: Collection[str]) -> Mapping[str, VfFlows]:
    """Per representor in ``representors`` (each present, possibly without
    flows): its transmit and receive flows."""
    reps = frozenset(representors)
    every = tuple(flows)
    by_recirc: dict[tuple[str | None, int], list[DpFlow]] = {}
    for f in every:
        if (rid := recirc_id(f)) != 0:
            by_recirc.setdefault((f.datapath, rid), []).append(f)
    reach: dict[int, frozenset[str]] = {}  # id(flow) -> the representors it leads to

    def leads_to(f: DpFlow, seen: frozenset[int]) -> frozenset[str]:
        key = id(f)
        if key in reach:
            return reach[key]
        found = set(outputs(f.actions, reps))
        for rid in recircs(f):
            for child in by_recirc.get((f.datapath, rid), ()):
                if id(child) not in seen:
                    found |= leads_to(child, seen | {key})
        reach[key] = frozenset(found)
        return reach[key]

    tx: dict[str, list[DpFlow]] = {}
    rx: dict[str, list[DpFlow]] = {}
    for f in every:
        if f.in_port in reps:
            tx.setdefault(f.in_port, []).append(f)
        for rep in leads_to(f, frozenset()):
            if rep != f.in_port:
                rx.setdefault(rep, []).append(f)
    return {r: VfFlows(DirectionFlows(tuple(tx.get(r, ()))), DirectionFlows(tuple(rx.get(r, ()))))
            if r in tx or r in rx else _NONE for r in sorted(reps)}
