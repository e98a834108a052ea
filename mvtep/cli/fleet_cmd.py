"""``mvtep fleet``: one row per node from the Prometheus that scrapes the
nodes' exporters, worst first, then the broken paths across the cluster."""

from __future__ import annotations

import argparse
from typing import Any

from mvcore.errors import ExitStatus
from mvtep.cli.runtime import Runtime

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("fleet", help="which nodes are in trouble: every node's paths, from Prometheus")
    p.add_argument("--prometheus", required=True, metavar="URL",
                   help="Prometheus scraping mvtep exporter, e.g. http://prometheus:9090")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from inspector.fleet import read_fleet
    from inspector.fleet_view import render, to_json
    from inspector.promapi import PrometheusApi
    report = read_fleet(PrometheusApi(args.prometheus, timeout=args.timeout))
    if args.json:
        rt.emit_json(to_json(report))
    else:
        rt.out.print(render(report))
    return ExitStatus.PROBLEMS if any(n.in_trouble for n in report.nodes) else ExitStatus.OK
