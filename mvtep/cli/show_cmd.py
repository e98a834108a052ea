"""``mvtep show``: the node's VTEPs, VIFs and tunnel ports, from live OVSDB."""

from __future__ import annotations

import argparse
from typing import Any

from flowprog.nodeconfig import TABLES, NodeConfig
from flowprog.ovsdb import DEFAULT_TIMEOUT, read_tables
from inspector.node_view import render, to_json
from mvtep.cli.runtime import Runtime
from mvtep.endpoints import resolve
from mvtep.errors import ExitStatus, NotFound

__all__ = ["register", "add_node_options", "read_node"]


def add_node_options(p: argparse.ArgumentParser, top: bool = False) -> None:
    """The options every command that reads a node takes; accepted before the
    command (``mvtep --db X show``) and after it (``mvtep show --db X``)."""
    default: object = None if top else argparse.SUPPRESS
    p.add_argument("--db", default=default, help="OVSDB remote (default unix:$OVS_RUNDIR/db.sock)")
    p.add_argument("--openflow", default=default,
                   help="OpenFlow remote (default unix:$OVS_RUNDIR/<bridge>.mgmt)")
    p.add_argument("--bridge", default=default, help="integration bridge (default br-int)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT if top else argparse.SUPPRESS,
                   help=f"seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})")


def register(sub: Any) -> None:
    p = sub.add_parser("show", help="summarise the node's VTEPs, VIFs and tunnel ports")
    add_node_options(p)
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run)


def read_node(args: argparse.Namespace, rt: Runtime) -> NodeConfig:
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    rows = read_tables(ends.db, "Open_vSwitch", TABLES, timeout=args.timeout)
    if not any(b["name"] == ends.bridge for b in rows["Bridge"]):
        raise NotFound(f"no bridge {ends.bridge} in the OVSDB at {ends.db}",
                       hint="is OVN running on this node? pick another with --bridge")
    return NodeConfig.from_rows(rows, ends.bridge)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    node = read_node(args, rt)
    if args.json:
        rt.emit_json(to_json(node))
    else:
        rt.out.print(render(node))
    return ExitStatus.OK
