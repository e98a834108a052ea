"""``mvtep paths`` and ``mvtep watch``: per-VF VTEP paths with offload status."""

from __future__ import annotations

import argparse
from typing import Any

from mvtep.cli.runtime import Runtime
from inspector.paths import SORTS
from mvtep.cli.options import add_host_options, add_node_options, netns_of
from mvcore.endpoints import check_remote, resolve
from mvcore.errors import ExitStatus, Unavailable, UsageError

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspector.gather import Gatherer
    from inspector.paths_view import ViewState

__all__ = ["register"]


def _common(p: argparse.ArgumentParser) -> None:
    add_node_options(p)
    p.add_argument("--sb", help="southbound DB remote (default: external_ids:ovn-remote)")
    add_host_options(p)
    p.add_argument("--vf", help="only this VF (representor, iface-id or VF netdev)")
    p.add_argument("--pf", help="only VFs of this PF (uplink name or PCI address)")
    p.add_argument("--problems", action="store_true", help="only VFs that are not offloaded or have findings")


def register(sub: Any) -> None:
    p = sub.add_parser("paths", help="per-VF VTEP paths with offload status, once")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run_paths)
    w = sub.add_parser("watch", help="the live view of per-VF paths (q quit, p problems, s sort)")
    _common(w)
    w.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes (default 1)")
    w.add_argument("--sort", choices=SORTS, default="status", help="initial sort")
    w.add_argument("--once", action="store_true", help="render one frame and exit (scripts, no TTY)")
    w.set_defaults(func=run_watch)


def _gatherer(args: argparse.Namespace, rt: Runtime) -> Gatherer:
    from inspector.gather import Gatherer

    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    sb = check_remote(args.sb, "--sb") if args.sb else None
    return Gatherer(ends, rt.env, timeout=args.timeout, netns=netns_of(args, rt.env),
                    sysfs_root=args.sysfs_root, sb_remote=sb)


def _view(args: argparse.Namespace) -> ViewState:
    from inspector.paths_view import ViewState
    return ViewState(problems_only=args.problems, sort=getattr(args, "sort", "status"), vf=args.vf, pf=args.pf)


def run_paths(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from inspector.paths_view import render, to_json
    gatherer = _gatherer(args, rt)
    try:
        snap = gatherer.snapshot()
    finally:
        gatherer.close()
    if snap.stale:  # one shot: nothing to fall back on
        raise Unavailable(snap.status.removeprefix("reconnecting: "))
    view = _view(args)
    if args.json:
        rt.emit_json(to_json(snap, view))
    else:
        rt.out.print(render(snap, view, width=rt.out.width))
    broken = any(p.verdict == "broken" for p in snap.paths) or any(f.severity.value == "error"
                                                                   for f in snap.findings)
    return ExitStatus.PROBLEMS if broken else ExitStatus.OK


def run_watch(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from inspector.watch import watch
    if args.interval < 0.1:
        raise UsageError(f"--interval {args.interval:g} is too short", hint="use 0.1 seconds or more")
    gatherer = _gatherer(args, rt)
    try:
        watch(gatherer.snapshot, rt.out, interval=args.interval, view=_view(args), once=args.once)
    finally:
        gatherer.close()
    return ExitStatus.OK
