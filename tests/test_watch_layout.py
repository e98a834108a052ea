"""The watch screen's layout, rendered through a fixed console of a given
size: rows sized from what the header and findings really take, scrolling,
the key bar, columns dropped before a VF name is cut, both PFs, the legend,
and the verdicts nobody can vouch for."""

from __future__ import annotations

import dataclasses
import io

import pytest
from rich.console import Console

from inspector.paths import PathsReport, VfPath, build_paths
from inspector.paths_view import ViewState, frame, render, select, unknown_filter
from inspector.watch import key_bar, keys_of
from tests.test_paths_view import VTEPS, _inputs, _snap

def report(paths: tuple[VfPath, ...], **over: object) -> PathsReport:
    return dataclasses.replace(_snap(paths), **over)  # type: ignore[arg-type]


def seed() -> PathsReport:
    """The 25.03 seed node: 6 VFs, the last without a VTEP (an encap-ip-unset finding)."""
    return report(build_paths(_inputs()))


def many(n: int) -> PathsReport:
    """``n`` VFs (long names, the worst case for the VF column), cycling over the seed's."""
    base = build_paths(_inputs())
    rows = tuple(dataclasses.replace(base[i % len(base)], interface=f"enp1s0f0np0_{i:03d}")
                 for i in range(n))
    return report(rows)


def screen(rep: PathsReport, width: int, height: int, **kw: object) -> list[str]:
    view = kw.pop("view", ViewState())
    shown = frame(rep, view, width=width, height=height, footer=key_bar(view, 1.0, rep), **kw)  # type: ignore[arg-type]
    buf = io.StringIO()
    Console(file=buf, width=width, height=height, color_system=None, legacy_windows=False).print(shown.renderable)
    return buf.getvalue().splitlines()


@pytest.mark.parametrize("width,height", [(80, 24), (70, 20)])
def test_the_seed_node_fits_whole(width: int, height: int) -> None:
    rep = seed()
    lines = screen(rep, width, height)
    assert len(lines) <= height and max(map(len, lines)) <= width
    text = "\n".join(lines)
    assert all(p.interface in text for p in rep.paths)  # every VF, the one with the finding too
    assert "encap-ip-unset" in text and "hint:" in text
    assert lines[-1].startswith(" q quit") and "PgUp" in lines[-1]  # the key bar: the last line, one line


@pytest.mark.parametrize("width,height", [(80, 24), (70, 20)])
def test_many_vfs_fill_the_screen_and_say_how_many(width: int, height: int) -> None:
    rep = many(40)
    lines = screen(rep, width, height)
    assert len(lines) == height  # no line left blank, none off the screen
    rows = [ln for ln in lines if "s0f0np0_" in ln.split(" ")[0]]
    assert rows and f"VFs 1-{len(rows)} of 40" in "\n".join(lines)
    assert all(ln.split(" ")[0].endswith(f"_{i:03d}") for i, ln in enumerate(rows))  # never cut
    assert "encap-ip-unset" in "\n".join(lines) or "more finding" in "\n".join(lines)


def test_scrolling_is_clamped_to_the_last_page() -> None:
    rep = many(40)
    first = frame(rep, width=80, height=24)
    assert (first.offset, first.total) == (0, 40) and 5 <= first.page < 40
    last = frame(rep, width=80, height=24, offset=10_000)
    assert last.offset == 40 - last.page
    rows = [ln.split(" ")[0] for ln in screen(rep, 80, 24, offset=10_000) if ln.startswith("enp")]
    assert rows[-1] == "enp1s0f0np0_039" and "enp1s0f0np0_000" not in rows


def test_findings_that_do_not_fit_are_counted() -> None:
    base = seed()
    finding = base.paths[-1].findings[0]
    crowded = dataclasses.replace(base, findings=tuple(dataclasses.replace(finding, interface=None, subject=f"x{i}")
                                                       for i in range(12)))
    lines = screen(crowded, 80, 24)
    assert len(lines) <= 24 and all(p.interface in "\n".join(lines) for p in base.paths)
    assert any("more finding" in ln and "mvtep paths" in ln for ln in lines)


def test_columns_go_before_a_vf_name_is_cut() -> None:
    rep = many(3)
    for width in (80, 60, 40):
        lines = screen(rep, width, 24)
        assert all(p.interface in "\n".join(lines) for p in rep.paths), width
    narrow = screen(rep, 40, 24)
    assert "status" in narrow[len(VTEPS) + 1]  # the verdict stays too


def test_the_vf_pf_and_the_vtep_pf_are_separate_columns() -> None:
    lines = screen(seed(), 120, 40)
    head = next(ln for ln in lines if ln.startswith("VF "))
    assert "PF" in head.split() and "VTEP PF" in head
    row = next(ln for ln in lines if ln.startswith("enp3s0f0_1 "))  # no encap-ip: the default VTEP, enp1s0f0's
    pf_at, vtep_pf_at = head.index(" PF ") + 1, head.index("VTEP PF")
    assert row[pf_at] == "-"  # no sysfs VF here: its own PF is unknown, not the VTEP's
    assert row[vtep_pf_at:].startswith("enp1s0f0")


def test_the_tunnels_column_has_a_legend() -> None:
    text = "\n".join(screen(seed(), 160, 40))
    assert "3 to 2" in text and "tunnels N to M: N tunnel ports from the VF's VTEP, reaching M remote chassis" in text


def test_unknown_evidence_shows_as_unknown() -> None:
    kernel = frozenset(p.interface for p in build_paths(_inputs()))
    rep = report(build_paths(_inputs(kernel_netdevs=kernel, dp_error="no ovs-vswitchd.pid")), ovs_hw_offload=None)
    text = "\n".join(screen(rep, 80, 24))
    assert "hw-offload ?" in text  # not "off": it was not read
    assert "unknown: the datapath flows could not be read: no ovs-vswitchd.pid" in text
    assert "unknown" in next(ln for ln in text.splitlines() if ln.startswith("enp2s0f0_0"))
    assert len(select(rep, ViewState(problems_only=True))) == len(rep.paths)  # a problem: nobody vouches for it


def test_a_reconnecting_header_keeps_its_reason() -> None:
    rep = dataclasses.replace(seed(), status="reconnecting: cannot connect to OVSDB at unix:/run/x/db.sock: "
                              "No such file or directory", stale=True)
    text = "\n".join(screen(rep, 70, 20))
    assert "No such file or directory" in " ".join(text.split())


def test_unknown_vf_or_pf_filters_are_named() -> None:
    rep = seed()
    assert unknown_filter(rep, ViewState(vf="pod-1")) is None
    assert unknown_filter(rep, ViewState(pf="enp1s0f0")) is None
    assert "no VF 'nosuch'" in (unknown_filter(rep, ViewState(vf="nosuch")) or "")
    assert "no VF of PF 'enp9s0f0'" in (unknown_filter(rep, ViewState(pf="enp9s0f0")) or "")


def test_paths_prints_everything_without_a_height() -> None:
    rep = many(40)
    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(render(rep))
    assert all(p.interface in buf.getvalue() for p in rep.paths) and "40 VFs" in buf.getvalue()


@pytest.mark.parametrize("sent,keys", [
    (b"q", ["q"]), (b"ps", ["p", "s"]),
    (b"\x1b[A\x1b[B", ["up", "down"]), (b"\x1bOA\x1bOB", ["up", "down"]),  # normal and application cursor mode
    (b"\x1b[5~\x1b[6~", ["pgup", "pgdn"]),
    (b"\x1b[H\x1b[F\x1b[1~\x1b[4~\x1bOH\x1bOF", ["home", "end", "home", "end", "home", "end"]),
    (b"\x1b[15~p", ["p"]),  # F5: skipped whole, not read as "1", "5", "~"
    (b"\x1b[1;5Aq", ["q"]),  # Ctrl-Up
    (b"\x1b", []),
])
def test_keys_from_the_terminal(sent: bytes, keys: list[str]) -> None:
    assert keys_of(sent) == keys


@pytest.mark.parametrize("width,height", [(80, 24), (70, 20)])
def test_the_why_view_replaces_the_reasons_and_fits(width: int, height: int) -> None:
    from flowprog.dpflows import parse_line
    from flowprog.dpreasons import REASONS, FlowWhy
    from inspector.offload import OffloadEvidence
    flow = parse_line("recirc_id(0),in_port(enp2s0f0_0),eth_type(0x0800),ipv4(proto=1,frag=no),icmp(type=8),"
                      " packets:3, bytes:294, used:0.5s, dp:ovs, actions:ct(zone=4),recirc(0x3)")
    assert flow is not None
    ev = OffloadEvidence(why=(FlowWhy(flow, REASONS["ct-icmp"]),))
    base = seed()
    rep = dataclasses.replace(base, paths=tuple(dataclasses.replace(p, evidence=ev) for p in base.paths))
    view = ViewState(why=True)
    lines = screen(rep, width, height, view=view)
    text = "\n".join(lines)
    assert len(lines) <= height and max(map(len, lines)) <= width
    assert "why ct-icmp 6 flow(s)" in text and "not-offloaded: OVS hw-offload is off" not in text
    assert "w why:on" in lines[-1] or "PgUp" in lines[-1]  # the key bar, cut at the edge
    assert "why:off" in key_bar(ViewState(), 1.0, rep).plain


@pytest.mark.parametrize("rows", [6, 40])
def test_the_table_is_laid_out_as_rich_lays_it_out(rows: int) -> None:
    """vf_table lays its lines out itself (watch draws a thousand VFs a second); rich's own
    Table, given the same columns, is the oracle, at every width (the narrowest fall back to it)."""
    from inspector import paths_table
    rep = seed() if rows == 6 else many(rows)
    paths = list(rep.paths)
    vtep_pf = {v.ip: v.pf for v in rep.vteps if v.pf}
    for width in range(20, 221):
        ours, _legend = paths_table.vf_table(paths, paths, vtep_pf, {}, width)
        cells = [[c.cell(p, vtep_pf, {}) for c in paths_table._COLUMNS] for p in paths]
        natural = [max(len(c.header), *(len(row[i]) for row in cells)) for i, c in enumerate(paths_table._COLUMNS)]
        chosen = paths_table._fit(natural, width)
        oracle = paths_table._rich_table(paths, sorted(chosen), chosen, vtep_pf, {}, frozenset())
        texts = []
        for renderable in (ours, oracle):
            buf = io.StringIO()
            Console(file=buf, width=width, color_system=None, legacy_windows=False).print(renderable)
            texts.append(buf.getvalue())
        assert texts[0] == texts[1], width
