"""``mvtep fleet`` for people (one table per screen) and for programs (JSON)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from inspector.fleet import FleetNode, FleetReport

__all__ = ["SCHEMA", "render", "to_json"]

SCHEMA = 1
_STYLE = {"down": "bold red", "failing": "bold red", "broken": "bold red", "errors": "red", "degraded": "yellow",
          "ok": "green"}
# Columns of the verdict counts: (heading, verdicts counted)
_COUNTS = (("broken", ("broken",)), ("unknown", ("unknown",)), ("software", ("not-offloaded",)),
           ("partial", ("partial",)), ("idle", ("idle",)), ("hw", ("offloaded",)))


def _share(n: FleetNode) -> str:
    return "-" if n.hardware_flow_share is None else f"{n.hardware_flow_share:.0%}"


def _vteps(n: FleetNode) -> str:
    return f"{n.vteps} ({n.vteps_egress_wrong} wrong)" if n.vteps_egress_wrong else str(n.vteps)


def render(report: FleetReport) -> RenderableType:
    trouble = sum(1 for n in report.nodes if n.in_trouble)
    head = Text(f"{len(report.nodes)} node(s) from {report.prometheus}: "
                f"{trouble} in trouble" if trouble else f"{len(report.nodes)} node(s) from {report.prometheus}: "
                "none in trouble", style="bold")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    for name in ("node", "status", "VTEPs", "paths"):
        table.add_column(name, no_wrap=True, justify="right" if name in ("VTEPs", "paths") else "left")
    for heading, _ in _COUNTS:
        table.add_column(heading, justify="right", no_wrap=True)
    table.add_column("dp flows in hw", justify="right", no_wrap=True)
    table.add_column("error findings", justify="right", no_wrap=True)
    for n in report.nodes:
        known = n.exporter_up and n.gathering is True
        counts = [str(sum(n.paths.get(v, 0) for v in vs)) if known else "-" for _, vs in _COUNTS]
        table.add_row(n.node, Text(n.status, style=_STYLE.get(n.status, "")), _vteps(n) if known else "-",
                      str(sum(n.paths.values())) if known else "-", *counts, _share(n) if known else "-",
                      str(n.error_findings) if known else "-")
    parts: list[RenderableType] = [head, table]
    if report.broken:
        broken = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False, title="broken paths", title_justify="left")
        for name in ("node", "VF", "pod", "VTEP", "PF", "next step"):
            broken.add_column(name, no_wrap=True)
        for b in report.broken:
            broken.add_row(b.node, b.interface, b.iface_id, b.vtep_ip or "-", b.pf or "-",
                           f"mvtep paths --vf {b.interface}  (on {b.node})")
        parts.append(broken)
    return Group(*parts)


def to_json(report: FleetReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "kind": "fleet", "prometheus": report.prometheus,
        "nodes": [{"instance": n.instance, "node": n.node, "status": n.status, "exporter_up": n.exporter_up,
                   "gathering": n.gathering, "vteps": n.vteps, "vteps_egress_wrong": n.vteps_egress_wrong,
                   "paths": dict(n.paths), "hardware_flow_share": n.hardware_flow_share,
                   "error_findings": n.error_findings} for n in report.nodes],
        "broken_paths": [{"instance": b.instance, "node": b.node, "interface": b.interface, "iface_id": b.iface_id,
                          "vf": b.vf, "pf": b.pf, "vtep_ip": b.vtep_ip} for b in report.broken],
    }
