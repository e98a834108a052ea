"""``mvtep watch``: snapshot -> pure render -> ``rich.live.Live``.

The loop gathers a snapshot every interval, lays it out for the screen with
:func:`inspector.paths_view.frame` and lets Live redraw the screen in place.
Keys are read from the terminal in cbreak mode with ``select`` (no extra
dependency): ``q`` quits, ``p`` toggles problems-only, ``s`` cycles the sort,
``w`` shows why the VFs' flows are not in hardware instead of the verdicts'
reasons, the arrow keys, PgUp/PgDn and Home/End scroll the rows.  The terminal is
restored however the loop ends.
"""

from __future__ import annotations

import dataclasses
import os
import select
import sys
import termios
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.live import Live

from inspector.paths import PathsReport
from rich.text import Text

from inspector.paths_view import SORTS, ViewState, frame, render
from mvcore.errors import MvtepError

__all__ = ["watch", "LiveReports", "keys_of", "key_bar"]

# What the terminal sends for each scrolling key: xterm's normal and
# application cursor modes, and the VT220 editing keys tmux and screen send
# for Home/End (ECMA-48 CSI sequences; see ctlseqs(ms) "PC-Style Function Keys").
_SEQUENCES = {
    b"\x1b[A": "up", b"\x1bOA": "up", b"\x1b[B": "down", b"\x1bOB": "down",
    b"\x1b[5~": "pgup", b"\x1b[6~": "pgdn",
    b"\x1b[H": "home", b"\x1bOH": "home", b"\x1b[1~": "home", b"\x1b[7~": "home",
    b"\x1b[F": "end", b"\x1bOF": "end", b"\x1b[4~": "end", b"\x1b[8~": "end",
}


class LiveReports:
    """One paths report per call, from a long-lived gatherer: a failed read
    gives the last good report marked ``reconnecting`` (the gatherer reopens
    its connections on the next call), so a daemon restart never ends the view."""

    def __init__(self, read: Callable[[], PathsReport], clock: Callable[[], float] = time.time,
                 last: PathsReport | None = None) -> None:
        self.read, self.clock = read, clock
        self.last = last

    def __call__(self) -> PathsReport:
        started = time.monotonic()
        try:
            report = dataclasses.replace(self.read(), seconds=time.monotonic() - started)
        except MvtepError as e:
            status = f"reconnecting: {e.message}"
            if self.last is None:
                return PathsReport(self.clock(), None, None, None, (), (), (), status=status, stale=True)
            return dataclasses.replace(self.last, status=status, stale=True)
        self.last = report
        return report


@contextmanager
def _cbreak(stream: TextIO) -> Iterator[bool]:
    """Single keypresses without Enter; yields False when there is no terminal."""
    try:
        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):
        yield False
        return
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def keys_of(data: bytes) -> list[str]:
    """The keys in what the terminal sent: plain characters as themselves, the
    scrolling keys by name; any other escape sequence is skipped whole."""
    keys: list[str] = []
    i = 0
    while i < len(data):
        if data[i] != 0x1B:
            keys.append(chr(data[i]))
            i += 1
            continue
        known = next((seq for seq in _SEQUENCES if data.startswith(seq, i)), None)
        if known is not None:
            keys.append(_SEQUENCES[known])
            i += len(known)
            continue
        # ESC [ parameters... final byte (0x40-0x7e), or ESC O x, or a lone ESC
        j = i + 1
        if j < len(data) and data[j] in b"[O":
            j += 1
            while j < len(data) and not 0x40 <= data[j] <= 0x7E:
                j += 1
            j += 1
        i = j
    return keys


def _keys(stream: TextIO, timeout: float) -> list[str]:
    ready, _, _ = select.select([stream], [], [], max(0.0, timeout))
    if not ready:
        return []
    return keys_of(os.read(stream.fileno(), 64))


def _sleep_until(due: float) -> list[str]:
    """Without a terminal to read keys from, just wait (no key pressed)."""
    time.sleep(max(0.0, due - time.monotonic()))
    return []


def key_bar(view: ViewState, interval: float, snap: PathsReport) -> Text:
    """The keys, on one line (cut at the edge, never wrapped), the least needed last."""
    return Text(f" q quit  p problems:{'on' if view.problems_only else 'off'}  s sort:{view.sort}  "
                f"↑↓ PgUp/Dn Home/End  w why:{'on' if view.why else 'off'}  {interval:g}s/{snap.seconds * 1000:.0f}ms ",
                style="reverse", no_wrap=True, overflow="ellipsis")


def _scroll(key: str, offset: int, page: int) -> int:
    moves = {"up": offset - 1, "down": offset + 1, "pgup": offset - page, "pgdn": offset + page, "home": 0,
             "end": 1 << 30}  # the frame clamps it to the last page
    return max(0, moves.get(key, offset))


def watch(snapshot: Callable[[], PathsReport], console: Console, *, interval: float, view: ViewState,
          first: PathsReport, once: bool = False, keys: TextIO | None = None) -> None:
    """Run the live view from report ``first`` until ``q`` (or print that one
    frame whole with ``once`` / without a terminal)."""
    snap = first
    if once or not console.is_terminal:
        console.print(render(snap, view, None, width=console.width))
        return
    stream = keys if keys is not None else sys.stdin
    prev: PathsReport | None = None
    offset = 0
    with _cbreak(stream) as interactive, Live(console=console, screen=True, auto_refresh=False,
                                              redirect_stdout=False, redirect_stderr=False) as live:
        due = time.monotonic() + interval
        while True:
            shown = frame(snap, view, prev, width=console.width, height=console.height, offset=offset,
                          footer=key_bar(view, interval, snap))
            offset = shown.offset
            live.update(shown.renderable, refresh=True)
            for key in _keys(stream, due - time.monotonic()) if interactive else _sleep_until(due):
                if key in ("q", "Q"):
                    return
                if key == "p":
                    view, offset = dataclasses.replace(view, problems_only=not view.problems_only), 0
                elif key == "s":
                    view, offset = dataclasses.replace(view, sort=SORTS[(SORTS.index(view.sort) + 1) % len(SORTS)]), 0
                elif key == "w":
                    view = dataclasses.replace(view, why=not view.why)
                else:
                    offset = _scroll(key, offset, shown.page)
            if time.monotonic() >= due:
                prev, snap = snap, snapshot()
                due = time.monotonic() + interval
