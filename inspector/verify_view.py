"""``mvtep verify``'s result, for people (rich) and for programs (JSON)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flowprog.verify import Tunnel, VerifyResult, VifPath
from mvcore.findings import Finding, Severity, finding_json, worst

__all__ = ["SCHEMA", "SEVERITY_STYLE", "tunnel_json", "to_json", "render", "render_findings", "finding_lines"]

SCHEMA = 1
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def tunnel_json(t: Tunnel) -> dict[str, Any]:
    """One tunnel port, as every JSON output shows it (verify's and paths' VIFs, trace's expected)."""
    return {"remote_chassis": t.remote_chassis, "local_ip": t.local_ip, "remote_ip": t.remote_ip,
            "ofport": t.ofport, "interface": t.interface}


def to_json(r: VerifyResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "kind": "verify", "chassis": r.chassis,
        "encap_ips": {str(k): v for k, v in sorted(r.encap_ips.items())},
        "expected_encap_ips": {str(k): v for k, v in sorted(r.expected_encap_ips.items())},
        "remote_output_table": r.remote_output_table, "per_vtep": r.per_vtep, "sb_checked": r.sb_checked,
        "ovn_release": {"version": r.release.text, "source": r.release.source,
                        "numbering": r.numbering.value if r.numbering else None},
        "undecoded": {str(t): {"flows": n, "reason": why} for t, (n, why) in sorted(r.undecoded.items())},
        "paths": [{
            "interface": p.interface, "iface_id": p.iface_id, "ofport": p.ofport,
            "configured_encap_ip": p.configured_encap_ip, "encap_id": p.encap_id, "vtep_ip": p.vtep_ip,
            "tunnels": [tunnel_json(t) for t in p.tunnels],
            "unreachable": list(p.unreachable),
        } for p in r.paths],
        "findings": [finding_json(f) for f in r.findings],
    }


def _status(p: VifPath, findings: tuple[Finding, ...]) -> Text:
    """The VIF's own findings, and any node-level error: that breaks every
    VIF (OVN 23.03's ``multi-vtep-unsupported``), so no row claims ``ok``."""
    mine = [f for f in findings if f.interface == p.interface]
    node = [f for f in findings if f.interface is None and f.severity is Severity.ERROR]
    most = worst([*mine, *node])
    if most is None:
        return Text("ok", style="green")
    words = sorted({f.code for f in mine}) + (["node: " + ", ".join(sorted({f.code for f in node}))] if node else [])
    return Text(", ".join(words), style=SEVERITY_STYLE[most])


def _tunnels(p: VifPath) -> Text:
    """Remote VTEPs per chassis; the local side only where it is not the VIF's VTEP."""
    by_chassis: dict[str, list[str]] = {}
    for t in p.tunnels:
        shown = str(t.remote_ip) if t.local_ip == p.vtep_ip else f"{t.local_ip}→{t.remote_ip}"
        by_chassis.setdefault(t.remote_chassis or "?", []).append(shown)
    return Text("\n".join(f"{c} {' '.join(v)}" for c, v in by_chassis.items()) or "-")


def finding_lines(findings: tuple[Finding, ...]) -> list[Text]:
    """Each finding as a line, and its hint as another (a screen counts them)."""
    lines = []
    for f in findings:
        where = f.interface or f.subject
        lines.append(Text.assemble((f"{f.severity.value:7} ", SEVERITY_STYLE[f.severity]), (f.code, "bold"),
                                   f" {where}: " if where else ": ", f.message))
        if f.hint:
            lines.append(Text("        hint: " + f.hint, style="dim"))
    return lines


def render_findings(findings: tuple[Finding, ...]) -> RenderableType:
    lines = finding_lines(findings)
    return Group(*lines) if lines else Text("no findings", style="green")


def render(r: VerifyResult) -> RenderableType:
    ids = "  ".join(f"{k}={v}" for k, v in sorted(r.encap_ips.items()))
    head = Text.assemble(("chassis ", "dim"), (r.chassis or "-", "bold"), ("  encap ids ", "dim"), ids or "-",
                         ("  remote-output table ", "dim"), str(r.remote_output_table or "-"),
                         ("  southbound ", "dim"), ("checked", "green") if r.sb_checked else ("not read", "yellow"))
    table = Table(title="VIF paths: in_port -> reg13[16..31] -> tunnel", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, show_edge=False, collapse_padding=True)
    for col, wrap in (("interface", False), ("iface-id", False), ("port", False), ("encap-ip", False),
                      ("id", False), ("on wire", False), ("remote VTEPs", True), ("status", True)):
        table.add_column(col, no_wrap=not wrap, overflow="fold")
    for p in r.paths:
        table.add_row(p.interface, p.iface_id, str(p.ofport), p.configured_encap_ip or "-",
                      "-" if p.encap_id is None else str(p.encap_id), p.vtep_ip or "-", _tunnels(p),
                      _status(p, r.findings))
    return Group(head, table, render_findings(r.findings))
