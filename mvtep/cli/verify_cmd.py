"""``mvtep verify``: does each VIF's in_port -> reg13[16..31] -> tunnel match its VTEP?"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvcore.errors import ExitStatus, UsageError
from mvtep.cli.node_source import add_from_option, add_sb_options, from_bundle, gatherer, producer
from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime

if TYPE_CHECKING:
    from flowprog.verify import VerifyResult
    from inspector.gather import Gatherer
    from inspector.trace_run import VerifyTraces
    from mvcore.snapshot import NodeSnapshot

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("verify", help="check each VIF's encap id and tunnel against its VTEP")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.add_argument("--trace", action="store_true",
                   help="also trace a packet from each VIF to each remote chassis (ofproto/trace) and report "
                   "where it disagrees with the flows read")
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
    from mvcore.findings import has_errors, sort_findings
    from rich.console import Group
    if args.from_file and args.save:
        raise UsageError("--from and --save do not go together")
    decoder = Decoder(install(load(rt.env)))
    if args.from_file:
        snap = from_bundle(args.from_file, ("ovsdb", "openflow"))
        result = verify_snapshot(snap, decoder)
        if args.trace and not snap.traces:
            raise UsageError(f"{args.from_file} holds no traces", hint="verify --trace --save writes them")
        traced = _traces(snap, result) if args.trace else None
    else:
        with gatherer(args, rt, decoder=decoder) as g:
            snap = g.snapshot(Scope(ovsdb=True, openflow="verify", southbound=True, daemons=True,
                                    required=frozenset({"ovsdb", "bridge", "openflow"})))
            result = verify_snapshot(snap, decoder)
            traced = _traces(snap, result, g) if args.trace else None
        if traced is not None:
            snap = traced.snapshot
        if args.save:
            write_bundle(snap, args.save, producer())
    if traced is not None:
        result = replace(result, findings=sort_findings([*result.findings, *traced.findings]))
    if traced is None and args.json:
        rt.emit_json(to_json(result))
    elif traced is None:
        rt.out.print(render(result))
    else:
        from inspector.trace_view import render_traces, traces_json
        if args.json:
            rt.emit_json({**to_json(result), **traces_json(traced.verdicts, traced.skipped)})
        else:
            rt.out.print(Group(render(result), render_traces(traced.verdicts, traced.skipped)))
    return ExitStatus.PROBLEMS if has_errors(result.findings) else ExitStatus.OK


def _traces(snap: NodeSnapshot, result: VerifyResult, g: Gatherer | None = None) -> VerifyTraces:
    # imported here: the trace machinery is a tenth of verify's start-up, and only --trace needs it
    from inspector.trace_run import verify_traces
    return verify_traces(snap, result, g)
