"""``mvtep show``: the node's VTEPs, VIFs and tunnel ports, from live OVSDB."""

from __future__ import annotations

import argparse
from typing import Any

from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime
from mvcore.endpoints import resolve
from mvcore.errors import ExitStatus, NotFound

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowprog.nodeconfig import NodeConfig

__all__ = ["register", "read_node"]


def register(sub: Any) -> None:
    p = sub.add_parser("show", help="summarise the node's VTEPs, VIFs and tunnel ports")
    add_node_options(p)
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run)


def read_node(args: argparse.Namespace, rt: Runtime) -> NodeConfig:
    from flowprog.nodeconfig import TABLES, NodeConfig
    from flowprog.ovsdb import read_tables
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    rows = read_tables(ends.db, "Open_vSwitch", TABLES, timeout=args.timeout)
    if not any(b["name"] == ends.bridge for b in rows["Bridge"]):
        raise NotFound(f"no bridge {ends.bridge} in the OVSDB at {ends.db}",
                       hint="is OVN running on this node? pick another with --bridge")
    return NodeConfig.from_rows(rows, ends.bridge)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from inspector.node_view import render, to_json
    node = read_node(args, rt)
    if args.json:
        rt.emit_json(to_json(node))
    else:
        rt.out.print(render(node))
    return ExitStatus.OK
