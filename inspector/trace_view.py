"""Trace verdicts for people (rich) and for programs (JSON): ``mvtep trace``
and the traces of ``mvtep verify --trace``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flowprog.traceparse import Step
from flowprog.tracewalk import Departure
from inspector.trace import TraceVerdict, describe
from inspector.trace_inputs import Skipped
from inspector.verify_view import render_findings, tunnel_json
from mvcore.findings import Finding, finding_json

__all__ = ["SCHEMA", "verdict_json", "to_json", "traces_json", "render", "render_traces"]

SCHEMA = 1
_STYLE = {"confirmed": "green", "local": "green", "disagrees": "bold red", "dropped": "yellow",
          "not-sent": "yellow", "unread": "yellow"}


def _departure_json(d: Departure) -> dict[str, Any]:
    return {"src": d.src, "dst": d.dst, "tun_id": d.tun_id,
            "geneve": [{"class": o.cls, "type": o.type, "value": o.value} for o in d.geneve],
            "datapath_port": d.datapath_port, "ofport": d.ofport, "interface": d.interface,
            "encap_id": d.encap_id, "flow": _step_json(d.step)}


def _step_json(s: Step | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"pass": s.stage, "bridge": s.bridge, "table": s.table, "priority": s.priority, "cookie": s.cookie,
            "match": s.match, "flow": s.flow_text()}


def verdict_json(v: TraceVerdict) -> dict[str, Any]:
    """One verdict: the shape of ``mvtep trace --json`` without ``schema``/``kind``,
    and of each item of ``verify --trace``'s ``traces``."""
    src, dst, path = v.planned.source, v.planned.destination, v.planned.source.path
    walk = v.walk
    return {
        "source": {"interface": src.vif.name, "iface_id": src.vif.iface_id, "ofport": src.vif.ofport,
                   "encap_id": path.encap_id if path else None, "vtep_ip": path.vtep_ip if path else None},
        "destination": {"logical_port": dst.logical_port, "chassis": dst.chassis, "local": dst.local,
                        "encap_ip": dst.encap_ip, "chassis_encaps": list(dst.chassis_encaps),
                        "datapath_key": dst.datapath_key, "port_key": dst.port_key},
        "packet": v.planned.packet.flow(),
        "request": list(v.planned.request.args()),
        "status": v.status,
        "expected": [tunnel_json(t) for t in v.expected],
        "departure": _departure_json(v.departure) if v.departure else None,
        "departures": [_departure_json(d) for d in v.departures],
        "walk": None if walk is None else {
            "tables": [list(t) for t in walk.tables], "encap_id": walk.encap_id, "ct_states": list(walk.ct_states),
            "flows": walk.steps, "datapath_actions": list(walk.datapath_actions), "cut_short": walk.cut_short},
        "astray": _step_json(v.astray),
        "notes": list(v.notes),
        "error": v.error,
        "findings": [finding_json(f) for f in v.findings],
    }


def to_json(v: TraceVerdict, findings: Sequence[Finding]) -> dict[str, Any]:
    """``mvtep trace --json``: the verdict, with ``findings`` (verify's about
    the source VIF and the destination, and the trace's own) in place of its own."""
    doc = {"schema": SCHEMA, "kind": "trace", **verdict_json(v)}
    doc["findings"] = [finding_json(f) for f in findings]
    return doc


def traces_json(verdicts: Sequence[TraceVerdict], skipped: Sequence[Skipped]) -> dict[str, Any]:
    """What ``verify --trace`` adds to verify's JSON document."""
    return {"traces": [{**verdict_json(v), "disagreement": finding_json(v.disagreement) if v.disagreement else None}
                       for v in verdicts],
            "traces_skipped": [{"interface": s.interface, "remote_chassis": s.remote_chassis, "reason": s.reason}
                               for s in skipped]}


def _tables(tables: tuple[tuple[int | None, ...], ...]) -> str:
    return " | ct | ".join(" ".join("set" if t is None else str(t) for t in stage) for stage in tables)


def _departure(d: Departure | None) -> str:
    if d is None:
        return "no tunnel"
    geneve = " ".join(f"{o.cls:#06x}/{o.type:#04x}={o.value:#x}" for o in d.geneve if o.value is not None)
    parts = [f"{d.src} -> {d.dst}"]
    if d.interface:
        parts.append(f"through {d.interface} (port {d.ofport})")
    if d.tun_id is not None:
        parts.append(f"tun_id {d.tun_id:#x}")
    if geneve:
        parts.append(f"geneve {geneve}")
    if d.datapath_port is not None:
        parts.append(f"datapath port {d.datapath_port}")
    return ", ".join(parts)


def render(v: TraceVerdict, findings: Sequence[Finding]) -> RenderableType:
    src, dst = v.planned.source, v.planned.destination
    encap = dst.encap_ip or "any of " + ", ".join(dst.chassis_encaps)
    where = "this node" if dst.local else f"{dst.chassis} (encap {encap})"
    rows: list[tuple[str, Text | str]] = [
        ("from", f"{src.vif.name} ({src.vif.iface_id}, port {src.vif.ofport})"),
        ("to", f"{dst.logical_port} on {where}"),
        ("packet", v.planned.packet.flow()),
    ]
    if v.walk is not None:
        w = v.walk
        ct = f", {len(w.ct_states)} conntrack recirculation(s) ({', '.join(s or '?' for s in w.ct_states)})" \
            if w.ct_states else ""
        loads = "no encap id" if w.encap_id is None else f"encap id {w.encap_id}"
        rows.append(("walk", f"table 0 loads {loads}; {w.steps} flows{ct}"
                     + (" (cut short)" if w.cut_short else "")))
        rows.append(("tables", _tables(w.tables)))
        rows.append(("datapath", " | ".join(w.datapath_actions)))
    rows.append(("leaves", _departure(v.departure)))
    rows.append(("verify", "stays on this node" if dst.local else describe(v.expected)))
    rows.append(("verdict", Text(v.status + (f": {v.error}" if v.error else ""), style=_STYLE[v.status])))
    if v.astray is not None:
        rows.append(("astray", f"{v.astray.where()}: {v.astray.flow_text()}"))
    for note in v.notes:
        rows.append(("note", note))
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for k, value in rows:
        table.add_row(k, value)
    return Group(table, Text(""), render_findings(tuple(findings)))


def render_traces(verdicts: Sequence[TraceVerdict], skipped: Sequence[Skipped]) -> RenderableType:
    """``verify --trace``: one row per (VIF, remote chassis)."""
    table = Table(title="traces: where each VIF's packet really leaves", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("interface", "to", "chassis", "verify says", "trace leaves", "verdict"):
        table.add_column(col, overflow="fold")
    for v in verdicts:
        dst = v.planned.destination
        table.add_row(v.planned.source.vif.name, dst.logical_port, dst.chassis or "-", describe(v.expected),
                      "-" if v.error else _departure(v.departure).split(",")[0],
                      Text(v.status, style=_STYLE[v.status]))
    for s in skipped:
        table.add_row(s.interface, "-", s.remote_chassis, "-", "-", Text(f"not traced: {s.reason}", style="yellow"))
    return table
