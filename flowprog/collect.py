"""Take a :class:`~flowprog.snapshot.Snapshot` of a live node.

Reads only what verification needs: the OVSDB tables of
:data:`~flowprog.nodeconfig.TABLES`, table 0, the table(s) whose flows
output to tunnel ports -- found with the flow-stats request's ``out_port``
filter, so the remote-output table is known by what its flows do, not by a
release's number -- and, when reachable, the southbound rows.
"""

from __future__ import annotations

from flowprog.nodeconfig import TABLES, NodeConfig
from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ovsdb import SslFiles, read_tables
from flowprog.sbstate import SB_TABLES
from flowprog.snapshot import Snapshot
from mvcore.endpoints import Endpoints
from mvcore.errors import NotFound, Unavailable

__all__ = ["take_snapshot", "remote_output_tables", "remote_output_flows"]


def take_snapshot(ends: Endpoints, client: OpenFlowClient, *, sb_remote: str | None, ssl: SslFiles | None,
                  timeout: float) -> Snapshot:
    """Read the node; ``sb_remote`` None means "use external_ids:ovn-remote"."""
    rows = read_tables(ends.db, "Open_vSwitch", TABLES, timeout=timeout)
    if not any(b["name"] == ends.bridge for b in rows["Bridge"]):
        raise NotFound(f"no bridge {ends.bridge} in the OVSDB at {ends.db}",
                       hint="is OVN running on this node? pick another with --bridge")
    node = NodeConfig.from_rows(rows, ends.bridge)
    with client:
        table0 = tuple(e.body for e in client.flows(FlowFilter(table=0)))
        remote = remote_output_flows(client, [t.ofport for t in node.tunnels if t.ofport and t.ofport > 0])
        version = client.version
    sb = sb_remote or node.ovn_remote
    sb_rows, sb_error = None, None
    if sb:
        try:
            sb_rows = read_tables(sb, "OVN_Southbound", SB_TABLES, timeout=timeout, ssl=ssl)
        except Unavailable as e:
            sb_error = e.message
    else:
        sb_error = "no external_ids:ovn-remote and no --sb"
    return Snapshot(ends.bridge, rows, version, table0, remote, sb_rows, sb_error)


def remote_output_tables(client: OpenFlowClient, tunnel_ports: list[int]) -> tuple[int, ...]:
    """The tables holding flows that output to a tunnel port: the first tunnel
    port any flow outputs to names them."""
    for port in tunnel_ports:
        tables = sorted({e.table for e in client.flows(FlowFilter(out_port=port))})
        if tables:
            return tuple(tables)
    return ()


def remote_output_flows(client: OpenFlowClient, tunnel_ports: list[int]) -> tuple[bytes, ...]:
    """The tables whose flows output to tunnel ports, read whole.

    The first tunnel port any flow outputs to names the table(s); those
    tables are then read with a table filter, which the switch answers from
    that table alone, where an ``out_port`` filter makes it walk every flow
    of the bridge once per port.
    """
    tables = remote_output_tables(client, tunnel_ports)
    return tuple(e.body for t in tables for e in client.flows(FlowFilter(table=t)))
