"""How a release fetch shows its progress on stderr: a rich progress bar on
a terminal, otherwise one line per stage and per downloaded package (a log
or CI output keeps every line; a bar would be redrawn into it)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.filesize import decimal
from rich.progress import (BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)

from rich.status import Status

from mvtep.cli.runtime import Runtime
from mvtep.sandbox.packages import Download, FetchProgress

__all__ = ["fetch_progress"]


class _Lines:
    """One line per stage and per finished package."""

    def __init__(self, rt: Runtime, what: str) -> None:
        self.rt, self.what = rt, what
        self.count = self.total = self.finished = 0
        self.started = time.monotonic()

    def step(self, text: str) -> None:
        self.rt.say(f"{self.what}: {text}")

    def downloading(self, files: Sequence[Download]) -> None:
        self.count, self.total = len(files), sum(f.size for f in files)
        self.rt.say(f"{self.what}: downloading {self.count} packages, {decimal(self.total)}")

    def advance(self, done: int, finished: Sequence[Download]) -> None:
        for f in finished:
            self.finished += 1
            self.rt.say(f"  [{self.finished}/{self.count}] {f.package} ({decimal(f.size)})")

    def close(self) -> None:
        if self.count and self.finished == self.count:
            self.rt.say(f"{self.what}: fetched {decimal(self.total)} in {time.monotonic() - self.started:.1f} s")


class _Bar(_Lines):
    """A bar of bytes downloaded, with the speed and the time left; a spinner
    while apt reads the package index or dpkg unpacks (nothing to count)."""

    def __init__(self, rt: Runtime, what: str) -> None:
        super().__init__(rt, what)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TransferSpeedColumn(), TimeRemainingColumn(), console=rt.err, transient=True)
        self.task: TaskID | None = None
        self.spinner: Status | None = None

    def _stop(self) -> None:
        if self.spinner is not None:
            self.spinner.stop()
            self.spinner = None
        if self.task is not None:
            self.bar.stop()
            self.task = None

    def step(self, text: str) -> None:
        self._stop()
        self.spinner = self.rt.err.status(f"{self.what}: {text}")
        self.spinner.start()

    def downloading(self, files: Sequence[Download]) -> None:
        self._stop()
        self.count, self.total = len(files), sum(f.size for f in files)
        self.bar.start()
        self.task = self.bar.add_task(f"{self.what}: 0/{self.count} packages", total=self.total)

    def advance(self, done: int, finished: Sequence[Download]) -> None:
        self.finished += len(finished)
        if self.task is not None:
            self.bar.update(self.task, completed=done,
                            description=f"{self.what}: {self.finished}/{self.count} packages")

    def close(self) -> None:
        self._stop()
        super().close()


@contextmanager
def fetch_progress(rt: Runtime, what: str) -> Iterator[FetchProgress]:
    """A :class:`FetchProgress` drawing on ``rt.err``; the bar is removed when done."""
    shown = _Bar(rt, what) if rt.err.is_terminal else _Lines(rt, what)
    try:
        yield shown
    finally:
        shown.close()
