"""``mvtep paths`` and ``mvtep watch``: per-VF VTEP paths with offload status."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from inspector.verdicts import SORTS
from mvcore.errors import ExitStatus, NotFound, UsageError
from mvtep.cli.node_source import add_from_option, add_sb_options, from_bundle, gatherer
from mvtep.cli.options import add_host_options, add_node_options, seconds
from mvtep.cli.runtime import Runtime

if TYPE_CHECKING:
    from inspector.gather import Scope
    from inspector.paths import PathsReport
    from inspector.paths_view import ViewState

__all__ = ["register"]


def _common(p: argparse.ArgumentParser) -> None:
    add_node_options(p)
    add_sb_options(p)
    add_host_options(p)
    p.add_argument("--vf", help="only this VF (representor, iface-id or VF netdev)")
    p.add_argument("--pf", help="only VFs of this PF (uplink name or PCI address)")
    p.add_argument("--problems", action="store_true", help="only VFs that are not offloaded or have findings")
    p.add_argument("--why", action="store_true",
                   help="the datapath flows not in hardware, by reason, with what to do (watch: the w key)")


def register(sub: Any) -> None:
    p = sub.add_parser("paths", help="per-VF VTEP paths with offload status, once")
    _common(p)
    add_from_option(p)
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run_paths)
    w = sub.add_parser("watch", help="the live view of per-VF paths (q quit, p problems, s sort, w why)")
    _common(w)
    w.add_argument("--interval", type=seconds, default=1.0, help="seconds between refreshes (default 1)")
    w.add_argument("--sort", choices=SORTS, default="status", help="initial sort")
    w.add_argument("--once", action="store_true", help="render one frame and exit (scripts, no TTY)")
    w.set_defaults(func=run_watch)


def paths_scope(sample: bool = True) -> Scope:
    """What paths, watch and the exporter read; ``sample``: a one-shot read samples the VF counters twice,
    a long-lived gatherer pairs each sample with its previous one.  Of the logs, only ovs-vswitchd's
    says anything here (its offload state, inspector.offload_inputs): ovn-controller's is not read."""
    from inspector.gather import SAMPLE_SECONDS, Scope
    return Scope(ovsdb=True, openflow="verify", southbound=True, hardware=True, host=True, datapath=True,
                 daemons=True, logs=("ovs-vswitchd",), offload=True, sample=SAMPLE_SECONDS if sample else 0.0,
                 required=frozenset({"ovsdb", "bridge", "openflow"}))


def _view(args: argparse.Namespace) -> ViewState:
    from inspector.paths_view import ViewState
    return ViewState(problems_only=args.problems, sort=getattr(args, "sort", "status"), vf=args.vf, pf=args.pf,
                     why=args.why)


def _check_filter(report: PathsReport, view: ViewState) -> None:
    from inspector.paths_view import unknown_filter
    problem = unknown_filter(report, view)
    if problem:
        raise NotFound(problem, hint="mvtep paths lists the VFs with their representor, pod and PF")


def run_paths(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.ofcodec import load
    from flowprog.ofdecode import Decoder
    from flowprog.ofext import install
    from inspector.path_inputs import paths_report
    from inspector.paths_view import render, to_json
    decoder = Decoder(install(load(rt.env)))
    if args.from_file:
        snap = from_bundle(args.from_file, ("ovsdb", "openflow"))
    else:
        with gatherer(args, rt, host=True, decoder=decoder) as g:
            snap = g.snapshot(paths_scope())
    report = paths_report(snap, decoder)
    view = _view(args)
    _check_filter(report, view)
    if args.json:
        rt.emit_json(to_json(report, view))
    else:
        rt.out.print(render(report, view, width=rt.out.width))
    broken = any(p.verdict == "broken" for p in report.paths) or any(f.severity.value == "error"
                                                                     for f in report.findings)
    return ExitStatus.PROBLEMS if broken else ExitStatus.OK


def run_watch(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.ofcodec import load
    from flowprog.ofext import install
    from inspector.path_inputs import paths_report
    from inspector.recent import RecentFlows
    from inspector.watch import LiveReports, watch
    if args.interval < 0.1:
        raise UsageError(f"--interval {args.interval:g} is too short", hint="use 0.1 seconds or more")
    decoder = RecentFlows(install(load(rt.env)))  # each refresh reuses what did not change
    scope = paths_scope(sample=False)
    view = _view(args)
    with gatherer(args, rt, host=True, monitor=True, decoder=decoder) as g:
        def read() -> PathsReport:
            return paths_report(g.snapshot(scope), decoder)
        # The first read must succeed: until the node has been read once there
        # is nothing to show, and an empty frame would look like a node without VFs.
        first = read()
        if args.once:
            _check_filter(first, view)
        watch(LiveReports(read, last=first), rt.out, interval=args.interval, view=view, first=first,
              once=args.once)
    return ExitStatus.OK
