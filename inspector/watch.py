"""``mvtep watch``: snapshot -> pure render -> ``rich.live.Live``.

The loop gathers a snapshot every interval, renders it with
:func:`inspector.paths_view.render` and lets Live redraw the screen in place.
Keys are read from the terminal in cbreak mode with ``select`` (no extra
dependency): ``q`` quits, ``p`` toggles problems-only, ``s`` cycles the sort.
The terminal is restored however the loop ends.
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
from inspector.paths_view import SORTS, ViewState, render
from mvcore.errors import MvtepError

__all__ = ["watch", "KEYS_HELP", "LiveReports"]

KEYS_HELP = "q quit  p problems only  s sort"


class LiveReports:
    """One paths report per call, from a long-lived gatherer: a failed read
    gives the last good report marked ``reconnecting`` (the gatherer reopens
    its connections on the next call), so a daemon restart never ends the view."""

    def __init__(self, read: Callable[[], PathsReport], clock: Callable[[], float] = time.time) -> None:
        self.read, self.clock = read, clock
        self.last: PathsReport | None = None

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


def _key(stream: TextIO, timeout: float) -> str | None:
    ready, _, _ = select.select([stream], [], [], max(0.0, timeout))
    if not ready:
        return None
    return os.read(stream.fileno(), 1).decode(errors="replace") or None


def _sleep_until(due: float) -> str | None:
    """Without a terminal to read keys from, just wait (no key pressed)."""
    time.sleep(max(0.0, due - time.monotonic()))
    return None


def _footer(view: ViewState, interval: float, snap: PathsReport) -> str:
    return (f" {KEYS_HELP}:{view.sort}  every {interval:g} s  "
            f"(refresh took {snap.seconds * 1000:.0f} ms)  problems only: {'on' if view.problems_only else 'off'} ")


def watch(snapshot: Callable[[], PathsReport], console: Console, *, interval: float, view: ViewState,
          once: bool = False, keys: TextIO | None = None) -> None:
    """Run the live view until ``q`` (or one frame with ``once`` / without a terminal)."""
    snap = snapshot()
    if once or not console.is_terminal:
        console.print(render(snap, view, None, width=console.width))
        return
    stream = keys if keys is not None else sys.stdin
    prev: PathsReport | None = None
    with _cbreak(stream) as interactive, Live(console=console, screen=True, auto_refresh=False,
                                              redirect_stdout=False, redirect_stderr=False) as live:
        due = time.monotonic() + interval
        while True:
            # Rows beyond the screen are not rendered: header, footer and findings take ~16 lines.
            rows = max(5, console.height - 16 - len(snap.vteps))
            live.update(render(snap, view, prev, width=console.width, footer=_footer(view, interval, snap),
                               max_rows=rows), refresh=True)
            key = _key(stream, due - time.monotonic()) if interactive else _sleep_until(due)
            if key in ("q", "Q"):
                return
            if key == "p":
                view = dataclasses.replace(view, problems_only=not view.problems_only)
            elif key == "s":
                view = dataclasses.replace(view, sort=SORTS[(SORTS.index(view.sort) + 1) % len(SORTS)])
            if time.monotonic() >= due:
                prev, snap = snap, snapshot()
                due = time.monotonic() + interval
