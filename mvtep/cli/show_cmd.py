"""``mvtep show``: the node's VTEPs, VIFs and tunnel ports, from OVSDB."""

from __future__ import annotations

import argparse
from typing import Any

from mvcore.errors import ExitStatus
from mvtep.cli.node_source import add_from_option, from_bundle, gatherer
from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("show", help="summarise the node's VTEPs, VIFs and tunnel ports")
    add_node_options(p)
    add_from_option(p)
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.node_verify import node_of
    from inspector.gather import Scope
    from inspector.node_view import render, to_json
    if args.from_file:
        snap = from_bundle(args.from_file, ("ovsdb",))
    else:
        with gatherer(args, rt) as g:
            snap = g.snapshot(Scope(ovsdb=True, required=frozenset({"ovsdb", "bridge"})))
    node = node_of(snap)
    if args.json:
        rt.emit_json(to_json(node))
    else:
        rt.out.print(render(node))
    return ExitStatus.OK
