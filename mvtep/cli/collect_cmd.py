"""``mvtep collect``: the node's snapshot as a support bundle, read-only."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from mvcore.errors import ExitStatus
from mvtep.cli.node_source import add_sb_options, gatherer, producer
from mvtep.cli.options import add_host_options, add_node_options
from mvtep.cli.runtime import Runtime

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("collect", help="write the node's snapshot as a support bundle (read-only)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="the bundle to write (default mvtep-<chassis or host>-<time>.tar.gz here)")
    add_node_options(p)
    add_sb_options(p)
    add_host_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    import socket

    from inspector.bundle import write_bundle
    from inspector.gather import Scope
    with gatherer(args, rt, host=True) as g:
        snap = g.snapshot(Scope.everything())
    top = snap.ovsdb.value.open_vswitch if snap.ovsdb.value else None
    name = (top.external_ids.get("system-id") if top else None) or socket.gethostname()
    out = args.output or Path(f"mvtep-{name}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(snap.taken_at))}.tar.gz")
    write_bundle(snap, out, producer())
    for source, why in snap.unreadable():
        rt.say(f"not collected: {source}: {why}")
    rt.say(f"wrote {out}")
    return ExitStatus.OK
