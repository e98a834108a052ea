"""Per-VF paths for people (one pure render function, used by ``mvtep paths``
and by every frame of ``mvtep watch``) and for programs (JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from inspector.paths import SORTS, VERDICTS, PathsReport, VfPath
from inspector.verify_view import render_findings
from mvcore.findings import finding_json, sort_findings

__all__ = ["SCHEMA", "SORTS", "ViewState", "to_json", "render", "select"]

SCHEMA = 1
_STYLE = {"broken": "bold red", "unknown": "magenta", "not-offloaded": "yellow", "partial": "yellow",
          "idle": "cyan", "offloaded": "green"}


@dataclass(frozen=True, slots=True)
class ViewState:
    problems_only: bool = False
    sort: str = "status"
    vf: str | None = None  # only this VF (interface, iface-id or VF netdev)
    pf: str | None = None  # only VFs of this PF


def _rate(cur: VfPath, prev: dict[str, VfPath], seconds: float) -> tuple[float, float]:
    before = prev.get(cur.interface)
    if before is None or seconds <= 0:
        return 0.0, 0.0
    return (max(0, cur.counters.packets - before.counters.packets) / seconds,
            max(0, cur.counters.tunnel_packets - before.counters.tunnel_packets) / seconds)


def select(snap: PathsReport, view: ViewState, prev: PathsReport | None = None) -> list[VfPath]:
    """The rows to show, filtered and sorted as ``view`` says."""
    rows = [p for p in snap.paths
            if (not view.problems_only or p.verdict not in ("offloaded", "idle") or p.findings)
            and (view.vf is None or view.vf in (p.interface, p.iface_id, p.vf_netdev))
            and (view.pf is None or view.pf in (p.pf, p.pf_pci))]
    before = {p.interface: p for p in (prev.paths if prev else ())}
    seconds = snap.taken_at - prev.taken_at if prev else 0.0
    keys = {
        "status": lambda p: (VERDICTS.index(p.verdict), p.interface),
        "interface": lambda p: (p.interface,),
        "vtep": lambda p: (p.vtep_ip or "~", p.interface),
        "rate": lambda p: (-_rate(p, before, seconds)[0], p.interface),
    }
    return sorted(rows, key=keys.get(view.sort, keys["status"]))


def _human(rate: float) -> str:
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.1f}{unit}"
    return f"{rate:.0f}"


def _header(snap: PathsReport) -> RenderableType:
    status = Text(snap.status, style="green" if snap.status == "live" else "bold yellow")
    head = Text.assemble(
        ("node ", "dim"), (snap.chassis or "?", "bold"), ("  OVS ", "dim"), snap.ovs_version or "?",
        ("  OVN ", "dim"), snap.ovn_version or "?", ("  hw-offload ", "dim"),
        ("on", "green") if snap.ovs_hw_offload else ("off", "yellow"), "  ", status)
    lines: list[RenderableType] = [head]
    for v in snap.vteps:
        lines.append(Text.assemble(
            ("VTEP ", "dim"), (v.ip, "bold"), f" id {'-' if v.encap_id is None else v.encap_id}",
            ("  PF ", "dim"), v.pf or "-", ("  dev ", "dim"), v.device or "-",
            ("  egress ", "dim"), v.egress or "-"))
    return Group(*lines)


def _reasons(rows: list[VfPath], most: int = 6) -> list[Text]:
    """Why rows are not offloaded, one line per distinct reason (VFs usually share one)."""
    by_reason: dict[tuple[str, str], list[str]] = {}
    for p in rows:
        if p.verdict != "offloaded":
            by_reason.setdefault((p.verdict, p.reason), []).append(p.interface)
    lines = []
    for (verdict, reason), names in list(by_reason.items())[:most]:
        who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        lines.append(Text.assemble((f"{verdict}: ", _STYLE.get(verdict, "")), reason, (f"  ({who})", "dim")))
    return lines


def render(snap: PathsReport, view: ViewState = ViewState(), prev: PathsReport | None = None,
           *, width: int = 120, footer: str | None = None, max_rows: int | None = None) -> RenderableType:
    """One frame: header, one row per VF (the first ``max_rows`` in the
    chosen order, for a screen), the findings, and (for watch) the keys."""
    selected = select(snap, view, prev)
    rows = selected if max_rows is None else selected[:max(1, max_rows)]
    before = {p.interface: p for p in (prev.paths if prev else ())}
    seconds = snap.taken_at - prev.taken_at if prev else 0.0
    wide = width >= 110
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("VF", no_wrap=True)
    table.add_column("pod", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("encap-ip", no_wrap=True)
    table.add_column("wire VTEP", no_wrap=True)
    table.add_column("PF", no_wrap=True, overflow="ellipsis", max_width=12)
    if wide:
        table.add_column("tunnels", no_wrap=True)
        table.add_column("egress", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("pkt/s", justify="right", no_wrap=True)
    if wide:
        table.add_column("tun pkt/s", justify="right", no_wrap=True)
        table.add_column("dp hw/all", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True, min_width=13)
    for p in rows:
        vf_rate, tun_rate = _rate(p, before, seconds)
        cells: list[str | Text] = [p.interface, p.iface_id, p.configured_encap_ip or "-",
                                   p.vtep_ip if p.vtep_ip else "-", p.pf or "-"]
        if wide:
            chassis = sorted({t.remote_chassis or "?" for t in p.tunnels})
            cells += [f"{len(p.tunnels)} to {len(chassis)}",
                      ", ".join(sorted({e.device or "?" for e in p.egress})) or "-"]
        cells.append(_human(vf_rate))
        if wide:
            cells += [_human(tun_rate), f"{p.offload.dp_offloaded}/{p.offload.dp_flows}"]
        cells.append(Text(p.verdict, style=_STYLE.get(p.verdict, "")))
        table.add_row(*cells)
    shown = f"{len(rows)} of {len(snap.paths)} VFs" + (" (problems only)" if view.problems_only else "")
    if len(rows) < len(selected):
        shown += f"; {len(selected) - len(rows)} more below (p: problems only, s: sort)"
    reasons = _reasons(selected)
    findings = sort_findings([*snap.findings, *(f for p in selected for f in p.findings)])
    parts: list[RenderableType] = [_header(snap), table, Text(shown, style="dim"), *reasons,
                                   render_findings(findings[:10])]
    if footer:
        parts.append(Text(footer, style="reverse"))
    return Group(*parts)


def to_json(snap: PathsReport, view: ViewState = ViewState()) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "kind": "paths", "status": snap.status, "chassis": snap.chassis,
        "ovs_version": snap.ovs_version, "ovn_version": snap.ovn_version, "ovs_hw_offload": snap.ovs_hw_offload,
        "vteps": [{"ip": v.ip, "encap_id": v.encap_id, "pf": v.pf, "device": v.device, "egress": v.egress}
                  for v in snap.vteps],
        "paths": [{
            "interface": p.interface, "iface_id": p.iface_id, "logical_switch": p.logical_switch,
            "ofport": p.ofport, "vf_netdev": p.vf_netdev, "vf_pci": p.vf_pci, "pf": p.pf, "pf_pci": p.pf_pci,
            "configured_encap_ip": p.configured_encap_ip, "encap_id": p.encap_id, "vtep_ip": p.vtep_ip,
            "tunnels": [{"remote_chassis": t.remote_chassis, "local_ip": t.local_ip, "remote_ip": t.remote_ip,
                         "ofport": t.ofport, "interface": t.interface} for t in p.tunnels],
            "unreachable": list(p.unreachable),
            "egress": [{"vtep_ip": e.vtep_ip, "remote_ip": e.remote_ip, "table": e.table, "device": e.device,
                        "vtep_device": e.vtep_device, "on_pf_bridge": e.on_pf_bridge, "error": e.error}
                       for e in p.egress],
            "offload": {"ovs_hw_offload": p.offload.ovs_hw_offload, "tc_policy": p.offload.tc_policy,
                        "kernel_netdev": p.offload.kernel_netdev, "eswitch": p.offload.eswitch,
                        "representor_hw_tc_offload": p.offload.representor_tc,
                        "uplink_hw_tc_offload": p.offload.uplink_tc, "dp_flows": p.offload.dp_flows,
                        "dp_offloaded": p.offload.dp_offloaded, "dp_partial": p.offload.dp_partial,
                        "tc_in_hw": p.offload.tc_in_hw, "tc_not_in_hw": p.offload.tc_not_in_hw},
            "counters": {"packets": p.counters.packets, "bytes": p.counters.bytes,
                         "tunnel_packets": p.counters.tunnel_packets, "tunnel_bytes": p.counters.tunnel_bytes},
            "verdict": p.verdict, "reason": p.reason,
            "findings": [finding_json(f) for f in p.findings],
        } for p in select(snap, view)],
        "findings": [finding_json(f) for f in snap.findings],
    }
