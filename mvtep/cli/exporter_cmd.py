"""``mvtep exporter``: the node's paths, VTEPs and findings as Prometheus
metrics on ``/metrics`` (and ``/healthz``), gathered in the background."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from mvcore.errors import ExitStatus, UsageError
from mvtep.cli.node_source import add_sb_options, gatherer
from mvtep.cli.options import add_host_options, add_node_options, seconds
from mvtep.cli.runtime import Runtime

__all__ = ["register", "parse_listen", "DEFAULT_LISTEN"]

DEFAULT_LISTEN = ":9477"


def register(sub: Any) -> None:
    p = sub.add_parser("exporter", help="serve the node's paths, VTEPs and findings as Prometheus metrics")
    add_node_options(p)
    add_sb_options(p)
    add_host_options(p)
    p.add_argument("--listen", default=DEFAULT_LISTEN, metavar="ADDR:PORT",
                   help=f"where to serve /metrics and /healthz (default {DEFAULT_LISTEN}: every address)")
    p.add_argument("--interval", type=seconds, default=10.0,  # finite and above 0; at least 1, checked in run
                   help="seconds between gathers (default 10); a scrape returns the last gather")
    p.set_defaults(func=run)


def parse_listen(text: str) -> tuple[str, int]:
    """``ADDR:PORT``, ``:PORT`` (every address) or ``[IPv6]:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen {text!r} is not ADDR:PORT", hint="for example 127.0.0.1:9477 or :9477")
    host = host.removeprefix("[").removesuffix("]")
    return host or "0.0.0.0", int(port)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("multivtep")
    except PackageNotFoundError:
        return "unknown"


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.ofcodec import load
    from flowprog.ofext import install
    from inspector.exporter import GatherLoop, read_node
    from inspector.recent import RecentFlows
    from inspector.metrics.promclient import LastGather, MetricsServer
    from mvtep.cli.paths_cmd import paths_scope
    if args.interval < 1:
        raise UsageError(f"--interval {args.interval:g} is too short", hint="use 1 second or more (10 is usual)")
    listen = parse_listen(args.listen)
    decoder = RecentFlows(install(load(rt.env)))  # each gather reuses what did not change
    scope = paths_scope(sample=False)
    collector = LastGather()
    stop = threading.Event()
    with gatherer(args, rt, host=True, monitor=True, decoder=decoder) as g:
        loop = GatherLoop(lambda: read_node(g, scope, decoder), collector, interval=args.interval,
                          version=_version(), log=rt.say)
        server = MetricsServer(listen, collector, loop.health)  # binds now: a port in use fails here
        previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set())
        try:
            server.start()
            rt.say(f"mvtep exporter: serving /metrics on {server.address[0]}:{server.address[1]}, "
                   f"gathering every {args.interval:g} s")
            loop.start()
            while not stop.wait(1.0):  # wakes for Ctrl-C too
                pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
            loop.stop()
    return ExitStatus.OK
