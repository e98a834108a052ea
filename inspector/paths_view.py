"""Per-VF paths for people (one pure render function, used by ``mvtep paths``
and by every frame of ``mvtep watch``) and for programs (JSON); ``--why``:
the datapath flows of a VF that are not in hardware, grouped by reason
(:mod:`flowprog.dpreasons`), with what to do."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from flowprog.dpreasons import FlowWhy
from inspector.offload import DIRECTIONS, OffloadEvidence, Traffic
from inspector.paths import SORTS, VERDICTS, PathsReport, VfPath
from inspector.paths_table import TUNNELS_LEGEND, VERDICT_STYLE, hw_share, vf_table
from inspector.verify_view import finding_lines, tunnel_json
from mvcore.findings import finding_json, sort_findings

__all__ = ["SCHEMA", "SORTS", "ViewState", "Frame", "to_json", "render", "frame", "select", "unknown_filter",
           "why_lines", "DROP"]

DROP = 0.1  # a hardware share this much lower than the previous frame's is highlighted
WHY_FLOWS = 5  # flows shown per reason (mvtep paths --why; JSON has them all)

SCHEMA = 1


@dataclass(frozen=True, slots=True)
class ViewState:
    problems_only: bool = False
    sort: str = "status"
    vf: str | None = None  # only this VF (interface, iface-id or VF netdev)
    pf: str | None = None  # only VFs of this PF
    why: bool = False  # the flows not in hardware, by reason (paths --why, watch's w key)


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


def _dropped(snap: PathsReport, prev: PathsReport | None) -> frozenset[str]:
    """The VFs whose hardware share fell by DROP or more since the previous report."""
    before = {p.interface: hw_share(p) for p in (prev.paths if prev else ())}
    out = set()
    for p in snap.paths:
        now, then = hw_share(p), before.get(p.interface)
        if now is not None and then is not None and then - now >= DROP:
            out.add(p.interface)
    return frozenset(out)


def _by_reason(whys: Iterable[tuple[str, FlowWhy]]) -> dict[str, list[tuple[str, FlowWhy]]]:
    """(VF, why) pairs by reason code, in the order the reasons first appear."""
    groups: dict[str, list[tuple[str, FlowWhy]]] = {}
    for vf, w in whys:
        groups.setdefault(w.reason.code, []).append((vf, w))
    return groups


def why_lines(p: VfPath, most: int = WHY_FLOWS) -> list[Text]:
    """``mvtep paths --why`` for one VF: its flows not in hardware, by reason, each
    reason with what to do, its flows in ovs-dpctl syntax and the OVS log lines."""
    ev = p.evidence
    whys = ev.why if ev is not None else ()
    flows = sum(c.flows for c in ev.flows.values()) if ev is not None else 0
    head = Text.assemble(("why ", "dim"), (p.interface, "bold"), f" ({p.iface_id}): ",
                         (p.verdict, VERDICT_STYLE.get(p.verdict, "")))
    if not whys:
        head.append(f": every one of its {flows} datapath flows is in hardware" if flows else ": no datapath flows")
        return [head, Text(f"  {p.reason}")]
    head.append(f": {len(whys)} of its {flows} datapath flows not in hardware")
    lines = [head]
    for code, group in _by_reason((p.interface, w) for w in whys).items():
        reason = group[0][1].reason
        lines.append(Text.assemble("  ", (code, "bold"), f" ({len(group)} flow{'s' if len(group) > 1 else ''}): ",
                                   reason.title))
        lines.append(Text.assemble(("    do: ", "dim"), reason.action))
        for _p, w in group[:most]:
            lines.append(Text(f"    {w.flow.raw}"))
            if w.detail:
                lines.append(Text.assemble(("      ", ""), (w.detail, "dim")))
            lines += [Text.assemble(("      ovs-vswitchd.log: ", "dim"), line) for line in w.log]
        if len(group) > most:
            lines.append(Text(f"    ... and {len(group) - most} more (mvtep paths --json)", style="dim"))
    return lines


def _why_summary(rows: list[VfPath]) -> list[Text]:
    """watch's why view: per reason, how many flows of which VFs, and what to do (one line each)."""
    groups = _by_reason((p.interface, w) for p in rows for w in (p.evidence.why if p.evidence else ()))
    if not groups:
        return [Text("why: every datapath flow of these VFs is in hardware", style="green")]
    lines = []
    for code, group in groups.items():
        names = list(dict.fromkeys(vf for vf, _w in group))
        who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        reason = group[0][1].reason
        lines.append(Text.assemble(("why ", "dim"), (code, "bold"), f" {len(group)} flow(s) ", (f"({who})", "dim"),
                                   f": {reason.title}; ", ("do: ", "dim"), reason.action))
    return lines


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
    reasons = _why_summary(selected) if view.why else _reasons(selected)
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
    table, legend = vf_table(rows, selected, vtep_pf, _rates(snap, prev), width, _dropped(snap, prev))
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
    """All of it (``mvtep paths``, and with ``view.why`` each VF's flows out of
    hardware after it), or one screen of it with ``height``."""
    shown = frame(snap, view, prev, width=width, height=height).renderable
    if not view.why or height is not None:
        return shown
    return Group(shown, *(line for p in select(snap, view) for line in [Text(""), *why_lines(p)]))


def unknown_filter(snap: PathsReport, view: ViewState) -> str | None:
    """What ``--vf`` or ``--pf`` names that no VF on the node matches, in words; None when both match."""
    if view.vf is not None and not any(view.vf in (p.interface, p.iface_id, p.vf_netdev) for p in snap.paths):
        return f"no VF {view.vf!r} on this node (neither a representor, an iface-id nor a VF netdev)"
    if view.pf is not None and not any(view.pf in (p.pf, p.pf_pci) for p in snap.paths):
        return f"no VF of PF {view.pf!r} on this node"
    return None


def _traffic_json(t: Traffic) -> dict[str, Any]:
    return {"hardware_pps": t.hw_pps, "software_pps": t.sw_pps, "hardware_share": t.share,
            "hardware_packets": t.hw_packets, "software_packets": t.sw_packets, "hardware_bytes": t.hw_bytes,
            "software_bytes": t.sw_bytes}


def _evidence_json(ev: OffloadEvidence | None, why: bool) -> dict[str, Any]:
    """The offload evidence of a path: traffic, flows and filters per direction, next hops, conntrack, why."""
    if ev is None:
        return {"traffic": None, "flows": None, "tc": None, "ingress_qdisc": None, "next_hops": [],
                "conntrack": None, "why": None}
    ct = ev.conntrack
    return {
        "traffic": {"seconds": ev.seconds, "error": ev.traffic_error,
                    **{d: _traffic_json(ev.traffic[d]) if ev.traffic else None for d in DIRECTIONS}},
        "flows": {d: {"flows": c.flows, "offloaded": c.offloaded, "partial": c.partial,
                      "hardware_packets": c.hw_packets, "software_packets": c.sw_packets}
                  for d, c in ev.flows.items()},
        "tc": {d: {"filters": t.filters, "in_hw": t.in_hw, "not_in_hw": t.not_in_hw, "packets": t.packets,
                   "hardware_packets": t.hw_packets} for d, t in ev.tc.items()},
        "ingress_qdisc": ev.ingress_qdisc,
        "next_hops": [{"vtep_ip": h.vtep_ip, "remote_ip": h.remote_ip, "next_hop": h.ip, "device": h.device,
                       "state": h.state, "resolved": h.resolved} for h in ev.next_hops],
        "conntrack": None if ct is None and ev.conntrack_error is None else {
            "zone": ct.zone if ct else None, "entries": ct.entries if ct else None,
            "offloadable": ct.offloadable if ct else None, "offloaded": ct.offloaded if ct else None,
            "in_hw": ct.in_hw if ct else None, "icmp": ct.icmp if ct else None, "error": ev.conntrack_error},
        "why": [{"reason": code, "title": group[0][1].reason.title, "action": group[0][1].reason.action,
                 "flows": [{"flow": w.flow.raw, "detail": w.detail, "log": list(w.log)} for _p, w in group]}
                for code, group in _by_reason(("", w) for w in ev.why).items()]
        if why else None,
    }


def _path_json(p: VfPath, vtep_pf: dict[str, str | None], why: bool) -> dict[str, Any]:
    ev = _evidence_json(p.evidence, why)
    return {
        "interface": p.interface, "iface_id": p.iface_id, "logical_switch": p.logical_switch,
        "ofport": p.ofport, "vf_netdev": p.vf_netdev, "vf_pci": p.vf_pci, "pf": p.pf, "pf_pci": p.pf_pci,
        "vtep_pf": vtep_pf.get(p.vtep_ip or ""),
        "configured_encap_ip": p.configured_encap_ip, "encap_id": p.encap_id, "vtep_ip": p.vtep_ip,
        "tunnels": [tunnel_json(t) for t in p.tunnels],
        "unreachable": list(p.unreachable),
        "egress": [{"vtep_ip": e.vtep_ip, "remote_ip": e.remote_ip, "table": e.table, "device": e.device,
                    "vtep_device": e.vtep_device, "on_pf_bridge": e.on_pf_bridge, "error": e.error}
                   for e in p.egress],
        "offload": {"ovs_hw_offload": p.offload.ovs_hw_offload, "tc_policy": p.offload.tc_policy,
                    "kernel_netdev": p.offload.kernel_netdev, "eswitch": p.offload.eswitch,
                    "representor_hw_tc_offload": p.offload.representor_tc,
                    "uplink_hw_tc_offload": p.offload.uplink_tc, "dp_flows": p.offload.dp_flows,
                    "dp_offloaded": p.offload.dp_offloaded, "dp_partial": p.offload.dp_partial,
                    "tc_in_hw": p.offload.tc_in_hw, "tc_not_in_hw": p.offload.tc_not_in_hw,
                    "ingress_qdisc": ev["ingress_qdisc"], "flows": ev["flows"], "tc": ev["tc"]},
        "traffic": ev["traffic"], "next_hops": ev["next_hops"], "conntrack": ev["conntrack"],
        "counters": {"packets": p.counters.packets, "bytes": p.counters.bytes,
                     "tunnel_packets": p.counters.tunnel_packets, "tunnel_bytes": p.counters.tunnel_bytes},
        "verdict": p.verdict, "reason": p.reason, "why": ev["why"],
        "findings": [finding_json(f) for f in p.findings],
    }


def to_json(snap: PathsReport, view: ViewState = ViewState()) -> dict[str, Any]:
    vtep_pf = {v.ip: v.pf for v in snap.vteps}
    api = next((p.evidence.flow_api for p in snap.paths if p.evidence is not None), None)
    return {
        "schema": SCHEMA, "kind": "paths", "status": snap.status, "chassis": snap.chassis,
        "ovs_version": snap.ovs_version, "ovn_version": snap.ovn_version, "ovs_hw_offload": snap.ovs_hw_offload,
        "flow_offload": {"running": api.running if api else None, "source": api.source if api else None},
        "vteps": [{"ip": v.ip, "encap_id": v.encap_id, "pf": v.pf, "device": v.device, "egress": v.egress}
                  for v in snap.vteps],
        "paths": [_path_json(p, vtep_pf, view.why) for p in select(snap, view)],
        "findings": [finding_json(f) for f in snap.findings],
    }
