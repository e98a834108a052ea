"""A bridge's flows kept as the switch sent them, and the flows verify needs.

Reading (live): :func:`read_dump` asks the switch for whole tables and keeps
the flow-stats reply bodies in a :class:`~mvcore.snapshot.FlowDump`;
:func:`remote_output_tables` finds the tables whose flows output to the
tunnel ports with the flow-stats ``out_port`` filter, so the remote-output
table is known by what its flows do (39 in OVN 24.03, 42 in 25.03, 44 in
26.03), never by a release's number.

Using (pure): :func:`dump_entries` splits a dump into flow entries again;
:func:`verify_flows` picks table 0 and the remote-output tables' flows out of
any dump -- the few tables a live verify read, or every table of a support
bundle -- with the same rule the live discovery applies, so both give the
same answer, and counts what could not be decoded, per table.

The rule (:func:`pick_tables`): ask the chassis tunnel ports one by one, in
name order (EVPN ports, which only EVPN's REMOTE_VTEP_OUTPUT table feeds,
are not chassis tunnels and are left out); stop at the first port whose flows include
unicast remote output (``reg15`` a logical port, ``metadata`` a datapath):
that table holds the remote output to *every* tunnel port.  A port only
flood, multicast, EVPN or network-function flows reach (FLOOD_REMOTE_CHASSIS,
LOCAL_OUTPUT) does not end the search; when no port has unicast remote
output, every table seen is kept (its flows may be the ones mvtep could not
decode).  At most :data:`MAX_PORTS_ASKED` ports are asked: each
``out_port`` request makes the switch walk every flow of the bridge (50 ms on
300,000 flows, the one cost of verify that grows with the ACLs).  So one
table is asked first, alone (:func:`first_table`): OVN hands what arrives
from a tunnel (table 0, ``in_port=<tunnel>``) to LOCAL_OUTPUT, the table
after REMOTE_OUTPUT in every release; when the ports' unicast remote output
is there, that table is the answer, else the search runs over every table.
Either way the table is known by what its flows do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from flowprog.flowroles import is_unicast_remote_output
from flowprog.flows import Flow, FlowEntry
from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ofdecode import Decoder, entries
from mvcore.errors import DecodeError
from mvcore.snapshot import FlowDump

__all__ = ["read_dump", "remote_output_tables", "dump_entries", "decoded_flows", "verify_flows", "covers",
           "pick_tables", "first_table", "OutputsTo", "VerifyFlows", "Undecoded", "MAX_PORTS_ASKED"]

MAX_PORTS_ASKED = 16


@dataclass(frozen=True, slots=True)
class Undecoded:
    """Flows of one table the decoder could not read."""

    count: int
    reason: str  # the first one's


@dataclass(frozen=True, slots=True)
class VerifyFlows:
    """What verify reads of a dump."""

    table0: tuple[Flow, ...]
    remote: tuple[Flow, ...]  # every flow of the remote-output tables
    undecoded: Mapping[int, Undecoded] = field(default_factory=dict)  # table -> what could not be decoded
    unsplit: str | None = None  # a reply that could not be split into flows: why (the rest of it is lost)


def read_dump(client: OpenFlowClient, bridge: str, tables: tuple[int, ...] | None) -> FlowDump:
    """Every flow of ``tables`` (every table when None), replies kept as they came."""
    if tables is None:
        replies = tuple(client.replies(FlowFilter()))
    else:
        replies = tuple(r for t in tables for r in client.replies(FlowFilter(table=t)))
    return FlowDump(bridge, client.version, tables, replies)


OutputsTo = Callable[[int, "int | None"], Iterable[Flow]]
"""``outputs_to(port, table)``: the flows of ``table`` (None: of every table)
that output to ``port``."""


def pick_tables(tunnel_ports: Iterable[int], outputs_to: OutputsTo, first: int | None = None) -> tuple[int, ...]:
    """The remote-output tables, by the rule of the module docstring: in
    table ``first`` alone when the ports' unicast remote output is there,
    else in every table.  Once unicast remote output is found, only its
    table(s) are kept: a flood or EVPN table is of no use to verify (and
    costs a read every refresh)."""
    ports = list(tunnel_ports)
    if first is not None and _search(ports, lambda port: outputs_to(port, first))[0]:
        return (first,)
    unicast, seen = _search(ports, lambda port: outputs_to(port, None))
    return tuple(sorted(unicast or seen))


def _search(tunnel_ports: list[int], outputs_to: Callable[[int], Iterable[Flow]]) -> tuple[set[int], set[int]]:
    """(tables with unicast remote output, every table seen), asking the
    ports in order until one has unicast remote output."""
    seen: set[int] = set()
    unicast: set[int] = set()
    for port in tunnel_ports[:MAX_PORTS_ASKED]:
        flows = list(outputs_to(port))
        seen |= {f.table for f in flows}
        unicast |= {f.table for f in flows if is_unicast_remote_output(f)}
        if unicast:
            break
    return unicast, seen


def first_table(table0: Iterable[Flow], tunnel_ports: Iterable[int]) -> int | None:
    """The table to ask first: the one before where table 0 resubmits what
    arrives from a tunnel (``in_port=<tunnel>`` alone, OVN's priority-100 flow:
    LOCAL_OUTPUT, which follows REMOTE_OUTPUT), or None without such a flow."""
    ports = set(tunnel_ports)
    targets = [a.arg("table") for f in table0 if len(f.match) == 1 and f.match[0].name == "in_port"
               and f.match[0].value in ports for a in f.actions if a.name == "resubmit"]
    tables = [t for t in targets if isinstance(t, int) and 0 < t < 255]
    return min(tables) - 1 if tables else None


def remote_output_tables(client: OpenFlowClient, decoder: Decoder, tunnel_ports: Iterable[int],
                         first: int | None = None) -> tuple[int, ...]:
    """The tables :func:`pick_tables` chooses, asked of the switch with the
    ``out_port`` filter (one request per port asked)."""
    return pick_tables(tunnel_ports, lambda port, table: [
        decoder.decode(e) for e in client.flows(FlowFilter(table=table, out_port=port))], first)


def dump_entries(dump: FlowDump) -> Iterator[FlowEntry]:
    """The dump's flows, in the order the switch sent them."""
    for reply in dump.replies:
        yield from entries(dump.version, reply)


def covers(dump: FlowDump, table: int | None) -> bool:
    """Whether the dump holds every flow of ``table`` (None: of every table)."""
    if dump.tables is None:
        return True
    return table is not None and table in dump.tables


def _decoded(dump: FlowDump, decoder: Decoder) -> tuple[list[Flow], str | None]:
    flows: list[Flow] = []
    unsplit = None
    for reply in dump.replies:
        try:
            for e in entries(dump.version, reply):
                flows.append(decoder.decode(e))
        except DecodeError as e:
            unsplit = unsplit or f"{e.message} (after {len(flows)} flows)"
    return flows, unsplit


def decoded_flows(dump: FlowDump, decoder: Decoder) -> list[Flow]:
    """The dump's flows decoded, as far as its replies can be split."""
    return _decoded(dump, decoder)[0]


def verify_flows(dump: FlowDump, decoder: Decoder, tunnel_ports: Iterable[int]) -> VerifyFlows:
    """Table 0's flows, and every flow of the remote-output tables: those a
    live read holds (the switch chose them, :func:`remote_output_tables`), or
    those :func:`pick_tables` chooses in a dump of every table.  Both give
    the same flows.  Flows that cannot be decoded are counted per table in
    table 0 and the remote-output tables -- in every table of a full dump
    when no remote-output table was recognised, since it may be among them."""
    decoded, unsplit = _decoded(dump, decoder)
    table0 = tuple(f for f in decoded if f.table == 0)
    if dump.tables is not None:
        tables = set(dump.tables) - {0}
    else:
        ports = list(tunnel_ports)
        # Each flow's outputs read once, not once per port asked (and again for the first table).
        asked = set(ports)
        by_port: dict[int, list[Flow]] = {}
        for f in decoded:
            for port in asked.intersection(f.outputs()):
                by_port.setdefault(port, []).append(f)
        tables = set(pick_tables(ports, lambda port, table: [
            f for f in by_port.get(port, ()) if table is None or f.table == table],
            first_table(table0, ports)))
    remote = tuple(f for f in decoded if f.table in tables)
    found = any(is_unicast_remote_output(f) for f in remote)
    undecoded: dict[int, Undecoded] = {}
    for f in decoded:
        if f.undecoded is not None and (f.table == 0 or f.table in tables or not found):
            seen = undecoded.get(f.table)
            undecoded[f.table] = Undecoded((seen.count if seen else 0) + 1, seen.reason if seen else f.undecoded)
    return VerifyFlows(table0, remote, dict(sorted(undecoded.items())), unsplit)
