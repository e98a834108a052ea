"""A bridge's flows kept as the switch sent them, and the flows verify needs.

Reading (live): :func:`read_dump` asks the switch for whole tables and keeps
the flow-stats reply bodies in a :class:`~mvcore.snapshot.FlowDump`;
:func:`remote_output_tables` finds the tables whose flows output to a
tunnel port with the flow-stats ``out_port`` filter, so the remote-output
table is known by what its flows do (42 in OVN 25.03, 44 in 26.03), never
by a release's number.

Using (pure): :func:`dump_entries` splits a dump into flow entries again;
:func:`verify_flows` picks table 0 and the remote-output tables' flows out of
any dump -- the few tables a live verify read, or every table of a support
bundle -- with the same rule the live discovery applies, so both give the
same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flowprog.flows import Flow, FlowEntry
from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ofdecode import Decoder, entries
from mvcore.snapshot import FlowDump

__all__ = ["read_dump", "remote_output_tables", "dump_entries", "verify_flows", "covers"]


def read_dump(client: OpenFlowClient, bridge: str, tables: tuple[int, ...] | None) -> FlowDump:
    """Every flow of ``tables`` (every table when None), replies kept as they came."""
    if tables is None:
        replies = tuple(client.replies(FlowFilter()))
    else:
        replies = tuple(r for t in tables for r in client.replies(FlowFilter(table=t)))
    return FlowDump(bridge, client.version, tables, replies)


def remote_output_tables(client: OpenFlowClient, tunnel_ports: Iterable[int]) -> tuple[int, ...]:
    """The tables holding flows that output to a tunnel port: the first
    tunnel port any flow outputs to names them.  (Each ``out_port`` request
    makes the switch walk every flow of the bridge, so one is asked, not one
    per port.)"""
    for port in tunnel_ports:
        tables = sorted({e.table for e in client.flows(FlowFilter(out_port=port))})
        if tables:
            return tuple(tables)
    return ()


def dump_entries(dump: FlowDump) -> Iterator[FlowEntry]:
    """The dump's flows, in the order the switch sent them."""
    for reply in dump.replies:
        yield from entries(dump.version, reply)


def covers(dump: FlowDump, table: int | None) -> bool:
    """Whether the dump holds every flow of ``table`` (None: of every table)."""
    if dump.tables is None:
        return True
    return table is not None and table in dump.tables


def verify_flows(dump: FlowDump, decoder: Decoder,
                 tunnel_ports: Iterable[int]) -> tuple[tuple[Flow, ...], tuple[Flow, ...]]:
    """Table 0's flows, and every flow of the tables that output to a tunnel
    port, chosen as :func:`remote_output_tables` chooses them live (the
    tables of the first tunnel port, in ``tunnel_ports`` order, that any flow
    outputs to).  One rule for a live read of those few tables and for a
    bundle holding every table, so both give the same flows."""
    decoded = [decoder.decode(e) for e in dump_entries(dump)]
    table0 = tuple(f for f in decoded if f.table == 0)
    for port in tunnel_ports:
        tables = {f.table for f in decoded if port in f.outputs()}
        if tables:
            return table0, tuple(f for f in decoded if f.table in tables)
    return table0, ()
