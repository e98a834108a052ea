"""Per-VF paths for people (one pure render function, used by ``mvtep paths``
and by every frame of ``mvtep watch``) and for programs (JSON)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from inspector.paths import SORTS, VERDICTS, PathsReport, VfPath
from inspector.paths_table import TUNNELS_LEGEND, VERDICT_STYLE, vf_table
from inspector.verify_view import finding_lines
from mvcore.findings import finding_json, sort_findings

__all__ = ["SCHEMA", "SORTS", "ViewState", "Frame", "to_json", "render", "frame", "select", "unknown_filter"]

SCHEMA = 1


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


def _rates(snap: PathsReport, prev: PathsReport | None) -> dict[str, tuple[float, float]]:
    before = {p.interface: p for p in (prev.paths if prev else ())}
    seconds = snap.taken_at - prev.taken_at if prev else 0.0
    return {p.interface: _rate(p, before, seconds) for p in snap.paths}


def _line(*parts: str | tuple[str, str]) -> Text:
    """One header line: cut at the edge, never wrapped (the screen counts it as one)."""
    text = Text.assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _header(snap: PathsReport) -> list[Text]:
    live = snap.status == "live"
    offload = {True: ("on", "green"), False: ("off", "yellow"), None: ("?", "magenta")}[snap.ovs_hw_offload]
    lines = [_line(("node ", "dim"), (snap.chassis or "?", "bold"), ("  OVS ", "dim"), snap.ovs_version or "?",
                   ("  OVN ", "dim"), snap.ovn_version or "?", ("  hw-offload ", "dim"), offload,
                   *((("  live", "green"),) if live else ()))]
    if not live:  # "reconnecting: <why>": the why matters, so it may take two lines
        lines.append(Text(snap.status, style="bold yellow"))
    for v in snap.vteps:
        lines.append(_line(
            ("VTEP ", "dim"), (v.ip, "bold"), f" id {'-' if v.encap_id is None else v.encap_id}",
            ("  PF ", "dim"), v.pf or "-", ("  dev ", "dim"), v.device or "-",
            ("  egress ", "dim"), v.egress or "-"))
    return lines


def _reasons(rows: list[VfPath], most: int = 6) -> list[Text]:
    """Why rows are not offloaded, one line per distinct reason (VFs usually share one)."""
    by_reason: dict[tuple[str, str], list[str]] = {}
    for p in rows:
        if p.verdict != "offloaded":
            by_reason.setdefault((p.verdict, p.reason), []).append(p.interface)
    lines = []
    for (verdict, reason), names in list(by_reason.items())[:most]:
        who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        lines.append(Text.assemble((f"{verdict}: ", VERDICT_STYLE.get(verdict, "")), reason, (f"  ({who})", "dim")))
    return lines


@dataclass(frozen=True, slots=True)
class Frame:
    """One screen of the view: what to draw, and the window of rows it shows."""

    renderable: RenderableType
    offset: int  # the first row shown (0-based), after clamping
    page: int  # how many rows fit
    total: int  # rows selected


def _heights(lines: list[Text], width: int) -> list[int]:
    console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    return [len(t.wrap(console, width)) if not t.no_wrap else 1 for t in lines]


def _extras(reasons: list[Text], findings: list[list[Text]], room: int, width: int) -> list[Text]:
    """The reasons and findings (each with its hint) that fit in ``room``
    screen lines, whole; when some do not, the last line counts them."""
    groups = [[r] for r in reasons] + findings
    heights = [sum(_heights(g, width)) for g in groups]
    if sum(heights) <= room:
        return [line for g in groups for line in g]
    kept: list[Text] = []
    used = shown = 0
    for group, h in zip(groups, heights, strict=True):
        if used + h > room - 1:
            break
        kept += group
        used += h
        shown += 1
    if room >= 1:
        left_reasons = max(0, len(reasons) - shown)
        left_findings = len(groups) - shown - left_reasons
        left = " and ".join(f"{n} more {what}{'s' if n > 1 else ''}" for n, what in
                            ((left_reasons, "reason"), (left_findings, "finding")) if n)
        kept.append(_line((f"... {left} (mvtep paths shows all)", "dim")))
    return kept


def frame(snap: PathsReport, view: ViewState = ViewState(), prev: PathsReport | None = None, *,
          width: int = 120, height: int | None = None, offset: int = 0, footer: Text | None = None) -> Frame:
    """One frame: header, one row per VF, the reasons and findings, and (for
    watch) the key bar.  With ``height`` (a screen), the rows shown are a window
    from ``offset``, as many as fit once the header, the key bar and some of the
    findings are placed (their real height at this width); what does not fit
    is counted, never silently dropped."""
    selected = select(snap, view, prev)
    head = _header(snap)
    vtep_pf = {v.ip: v.pf for v in snap.vteps if v.pf}
    findings = sort_findings([*snap.findings, *(f for p in selected for f in p.findings)])
    reasons = _reasons(selected)
    per_finding = [finding_lines((f,)) for f in findings] or [[Text("no findings", style="green")]]
    extras = [*reasons, *(line for group in per_finding for line in group)]
    page = len(selected)
    if height is not None:
        rest = height - sum(_heights(head, width)) - 2 - 1 - (1 if footer is not None else 0)  # table head, count
        need = sum(_heights(extras, width))
        if page + need > rest:  # rows first, but the findings keep a third of the room
            reserve = min(need, max(2, rest // 3))
            if page <= rest - reserve:
                extras = _extras(reasons, per_finding, rest - page, width)
            else:
                extras = _extras(reasons, per_finding, reserve, width)
                page = max(1, rest - sum(_heights(extras, width)))
    offset = max(0, min(offset, len(selected) - page))
    rows = selected[offset:offset + page]
    table, legend = vf_table(rows, selected, vtep_pf, _rates(snap, prev), width)
    parts: list[RenderableType] = [*head, table, _count(snap, view, offset, len(rows), len(selected), legend),
                                   *extras]
    if footer is not None:
        parts.append(footer)
    return Frame(Group(*parts), offset, page, len(selected))


def _count(snap: PathsReport, view: ViewState, offset: int, shown: int, selected: int, legend: bool) -> Text:
    if shown < selected:
        text = f"VFs {offset + 1}-{offset + shown} of {selected}"
    else:
        text = f"{selected} of {len(snap.paths)} VFs" if selected < len(snap.paths) else f"{selected} VFs"
    if view.problems_only:
        text += " (problems only)"
    if legend:
        text += f"; {TUNNELS_LEGEND}"
    return _line((text, "dim"))


def render(snap: PathsReport, view: ViewState = ViewState(), prev: PathsReport | None = None,
           *, width: int = 120, height: int | None = None) -> RenderableType:
    """All of it (``mvtep paths``), or one screen of it with ``height``."""
    return frame(snap, view, prev, width=width, height=height).renderable


def unknown_filter(snap: PathsReport, view: ViewState) -> str | None:
    """What ``--vf`` or ``--pf`` names that no VF on the node matches, in words; None when both match."""
    if view.vf is not None and not any(view.vf in (p.interface, p.iface_id, p.vf_netdev) for p in snap.paths):
        return f"no VF {view.vf!r} on this node (neither a representor, an iface-id nor a VF netdev)"
    if view.pf is not None and not any(view.pf in (p.pf, p.pf_pci) for p in snap.paths):
        return f"no VF of PF {view.pf!r} on this node"
    return None


def to_json(snap: PathsReport, view: ViewState = ViewState()) -> dict[str, Any]:
    vtep_pf = {v.ip: v.pf for v in snap.vteps}
    return {
        "schema": SCHEMA, "kind": "paths", "status": snap.status, "chassis": snap.chassis,
        "ovs_version": snap.ovs_version, "ovn_version": snap.ovn_version, "ovs_hw_offload": snap.ovs_hw_offload,
        "vteps": [{"ip": v.ip, "encap_id": v.encap_id, "pf": v.pf, "device": v.device, "egress": v.egress}
                  for v in snap.vteps],
        "paths": [{
            "interface": p.interface, "iface_id": p.iface_id, "logical_switch": p.logical_switch,
            "ofport": p.ofport, "vf_netdev": p.vf_netdev, "vf_pci": p.vf_pci, "pf": p.pf, "pf_pci": p.pf_pci,
            "vtep_pf": vtep_pf.get(p.vtep_ip or ""),
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
