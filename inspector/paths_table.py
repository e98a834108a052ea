"""The per-VF table of ``mvtep paths`` and ``mvtep watch``, fitted to a width.

Columns are kept by importance and the least important are dropped first
when the width runs out; the VF's own name is never cut (it is what a
person acts on), the pod name is the one column that is shortened.  The
PF column is the VF's own PF (from sysfs; ``-`` when this host has no such
VF), the VTEP PF column is the PF ``ovn-pf-encap-ip-mapping`` gives the
VTEP the VF really uses: the two differ exactly when a VF tunnels through
another NIC.  ``hw tx/rx`` is the share of the VF's packets the hardware
switched over the last interval, per direction (its representor's
counters, :mod:`inspector.offload`); it is highlighted when it fell since the
previous frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from inspector.offload import SHARE_NONE, SHARE_OK, share_text
from inspector.paths import VfPath

__all__ = ["VERDICT_STYLE", "Rates", "vf_table", "TUNNELS_LEGEND", "hw_share"]

VERDICT_STYLE = {"broken": "bold red", "unknown": "magenta", "not-offloaded": "yellow", "partial": "yellow",
                 "idle": "cyan", "offloaded": "green"}
TUNNELS_LEGEND = "tunnels N to M: N tunnel ports from the VF's VTEP, reaching M remote chassis"
_GAP = 2  # between two columns: the padding (collapsed to one space) and the box's divider (a space)
_POD_MIN = 6  # "pod-1…" still says which pod


# Packets per second since the previous frame, per interface: (VF, tunnel).
Rates = Mapping[str, tuple[float, float]]


def _human(rate: float) -> str:
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.1f}{unit}"
    return f"{rate:.0f}"


@dataclass(frozen=True, slots=True)
class _Column:
    header: str
    cell: Callable[[VfPath, Mapping[str, str], Rates], str]
    keep: int  # lower is kept longer when the width runs out
    right: bool = False
    style: Callable[[VfPath, frozenset[str]], str] | None = None  # the cell's style, if it has one


def _tunnels(p: VfPath) -> str:
    return f"{len(p.tunnels)} to {len({t.remote_chassis or '?' for t in p.tunnels})}"


def hw_share(p: VfPath) -> float | None:
    """The hardware share of the VF's packets over the interval, both directions; None when unmeasured."""
    ev = p.evidence
    if ev is None or ev.traffic is None:
        return None
    hw, sw = ev.interval_packets()
    return hw / (hw + sw) if hw + sw > 0 else None


def _shares(p: VfPath) -> str:
    ev = p.evidence
    if ev is None or ev.traffic is None:
        return "-"
    return "/".join(share_text(ev.traffic[d].share).rstrip("%") if d in ev.traffic else "-" for d in ("tx", "rx"))


def _share_style(p: VfPath, dropped: frozenset[str]) -> str:
    share = hw_share(p)
    style = "" if share is None or share >= SHARE_OK else "red" if share <= SHARE_NONE else "yellow"
    return f"{style} reverse".strip() if p.interface in dropped else style


# In the order shown.  ``vtep_pf`` maps a VTEP IP to its PF; the styles get the VFs whose hardware share fell.
_COLUMNS = (
    _Column("VF", lambda p, _v, _r: p.interface, 0),
    _Column("pod", lambda p, _v, _r: p.iface_id, 6),
    _Column("encap-ip", lambda p, _v, _r: p.configured_encap_ip or "-", 3),
    _Column("wire VTEP", lambda p, _v, _r: p.vtep_ip or "-", 2),
    _Column("PF", lambda p, _v, _r: (p.pf or "-") if p.pf_pci else "-", 5),
    _Column("VTEP PF", lambda p, v, _r: v.get(p.vtep_ip or "", "-"), 4),
    _Column("tunnels", lambda p, _v, _r: _tunnels(p), 8),
    _Column("egress", lambda p, _v, _r: ", ".join(sorted({e.device or "?" for e in p.egress})) or "-", 9),
    _Column("pkt/s", lambda p, _v, r: _human(r.get(p.interface, (0.0, 0.0))[0]), 7, right=True),
    _Column("tun pkt/s", lambda p, _v, r: _human(r.get(p.interface, (0.0, 0.0))[1]), 10, right=True),
    _Column("dp hw/all", lambda p, _v, _r: f"{p.offload.dp_offloaded}/{p.offload.dp_flows}", 11, right=True),
    _Column("hw% tx/rx", lambda p, _v, _r: _shares(p), 12, right=True, style=_share_style),
    _Column("status", lambda p, _v, _r: p.verdict, 1, style=lambda p, _d: VERDICT_STYLE.get(p.verdict, "")),
)


def _fit(natural: Sequence[int], width: int) -> dict[int, int]:
    """Column index -> width: the most important columns that fit in ``width``
    (each at its natural width; the pod column may shrink to what is left)."""
    chosen: dict[int, int] = {}
    used = 0
    for i in sorted(range(len(_COLUMNS)), key=lambda i: _COLUMNS[i].keep):
        need = natural[i] + (_GAP if chosen else 0)
        if used + need <= width or not chosen or _COLUMNS[i].keep <= 1:
            chosen[i] = natural[i]
            used += need
        elif _COLUMNS[i].header == "pod" and width - used - _GAP >= _POD_MIN:
            chosen[i] = width - used - _GAP
            used = width
    return chosen


def _cell(text: str, width: int, right: bool) -> str:
    """A cell's text in ``width`` columns: cut with an ellipsis, padded to the side it is justified from."""
    if len(text) > width:
        text = text[:max(0, width - 1)] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


def vf_table(rows: Sequence[VfPath], all_rows: Sequence[VfPath], vtep_pf: Mapping[str, str], rates: Rates,
             width: int, dropped: frozenset[str] = frozenset()) -> tuple[RenderableType, bool]:
    """The table of ``rows`` in ``width`` columns (sized on ``all_rows``, so
    scrolling does not make columns jump), and whether it shows the tunnels column.

    Laid out as rich's ``Table`` (box SIMPLE_HEAD, no edges, collapsed
    padding) lays it out -- two spaces between columns, the header bold, a
    rule under it -- but line by line: ``watch`` draws it every second for a
    thousand VFs, and a rich table costs a millisecond a row.  When the
    columns that must stay do not fit, rich's table shrinks them.
    """
    cells = [[c.cell(p, vtep_pf, rates) for c in _COLUMNS] for p in all_rows]
    natural = [max(len(c.header), *(len(row[i]) for row in cells)) if cells else len(c.header)
               for i, c in enumerate(_COLUMNS)]
    chosen = _fit(natural, width)
    shown = sorted(chosen)
    legend = any(_COLUMNS[i].header == "tunnels" for i in shown)
    if sum(chosen.values()) + _GAP * (len(shown) - 1) > width:
        return _rich_table(rows, shown, chosen, vtep_pf, rates, dropped), legend
    gap = " " * _GAP
    head = Text(gap.join(_cell(_COLUMNS[i].header, chosen[i], _COLUMNS[i].right) for i in shown), style="bold")
    lines = [head, Text("─" * len(head.plain))]
    for p in rows:
        line = Text()
        for n, i in enumerate(shown):
            c = _COLUMNS[i]
            if n:
                line.append(gap)
            line.append(_cell(c.cell(p, vtep_pf, rates), chosen[i], c.right), style=c.style(p, dropped) if c.style
                        else None)
        lines.append(line)
    for line in lines:
        line.no_wrap, line.overflow = True, "ellipsis"
    return Group(*lines), legend


def _rich_table(rows: Sequence[VfPath], shown: Sequence[int], chosen: Mapping[int, int], vtep_pf: Mapping[str, str],
                rates: Rates, dropped: frozenset[str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False, collapse_padding=True)
    for i in shown:
        c = _COLUMNS[i]
        table.add_column(c.header, no_wrap=True, justify="right" if c.right else "left",
                         overflow="ellipsis", width=chosen[i], min_width=chosen[i] if c.keep == 0 else None)
    for p in rows:
        table.add_row(*(Text(_COLUMNS[i].cell(p, vtep_pf, rates), style=(s := _COLUMNS[i].style) and s(p, dropped)
                             or "") for i in shown))
    return table
