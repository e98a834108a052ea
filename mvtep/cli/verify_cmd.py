"""``mvtep verify``: does each VIF's in_port -> reg13[16..31] -> tunnel match its VTEP?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mvcore.errors import ExitStatus, UsageError
from mvtep.cli.node_source import add_from_option, add_sb_options, from_bundle, gatherer, producer
from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("verify", help="check each VIF's encap id and tunnel against its VTEP")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    add_sb_options(p)
    p.add_argument("--save", type=Path, metavar="FILE",
                   help="also write what was read as a support bundle, for --from later")
    add_from_option(p)
    add_node_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.ofcodec import load
    from flowprog.ofdecode import Decoder
    from flowprog.ofext import install
    from flowprog.node_verify import verify_snapshot
    from inspector.bundle import write_bundle
    from inspector.gather import Scope
    from inspector.verify_view import render, to_json
    from mvcore.findings import has_errors
    if args.from_file and args.save:
        raise UsageError("--from and --save do not go together")
    if args.from_file:
        snap = from_bundle(args.from_file, ("ovsdb", "openflow"))
    else:
        with gatherer(args, rt) as g:
            snap = g.snapshot(Scope(ovsdb=True, openflow="verify", southbound=True, daemons=True,
                                    required=frozenset({"ovsdb", "bridge", "openflow"})))
        if args.save:
            write_bundle(snap, args.save, producer())
    result = verify_snapshot(snap, Decoder(install(load(rt.env))))
    if args.json:
        rt.emit_json(to_json(result))
    else:
        rt.out.print(render(result))
    return ExitStatus.PROBLEMS if has_errors(result.findings) else ExitStatus.OK
