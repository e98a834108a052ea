"""A release fetch says what it does: the files apt announces (from apt's
own ``--print-uris`` answer), what is on disk while a real process writes
it, and how the CLI shows that on a terminal and in a log."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console

from mvcore.errors import FetchError
from mvtep.cli.fetch_progress import fetch_progress
from mvtep.cli.runtime import Runtime
from mvtep.sandbox.packages import Download, apt_options, cache_dir, parse_print_uris, run_download


class Recorded:
    """A FetchProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.files: Sequence[Download] = ()
        self.done: list[int] = []
        self.finished: list[str] = []

    def step(self, text: str) -> None:
        self.steps.append(text)

    def downloading(self, files: Sequence[Download]) -> None:
        self.files = files

    def advance(self, done: int, finished: Sequence[Download]) -> None:
        self.done.append(done)
        self.finished += [f.file for f in finished]


def test_the_files_apt_announces() -> None:
    """apt's own answer, from the package index a fetch left in the cache (no network)."""
    apt = cache_dir(os.environ) / "ovn-25.03" / "apt"
    if not (apt / "state" / "lists").is_dir() or shutil.which("apt-get") is None:
        pytest.skip("no OVN 25.03 package index cached (make test fetches it)")
    out = subprocess.run(["apt-get", *apt_options(apt), "--print-uris", "download", "libnuma1", "zlib1g"],
                         capture_output=True, text=True, check=True).stdout
    files = {f.package: f for f in parse_print_uris(out)}
    assert set(files) == {"libnuma1", "zlib1g"} and all(f.size > 1000 for f in files.values())
    assert "%3a" in files["zlib1g"].file  # the epoch, escaped as apt-get download names the file


def test_files_are_reported_as_they_complete(tmp_path: Path) -> None:
    files = (Download("a_1_amd64.deb", 1000), Download("b_2_amd64.deb", 300_000))
    writer = ("head -c 1000 /dev/zero > a_1_amd64.deb; sleep 0.5; head -c 100000 /dev/zero > b_2_amd64.deb; "
              "sleep 0.5; head -c 300000 /dev/zero > b_2_amd64.deb")
    seen = Recorded()
    run_download(["sh", "-c", writer], tmp_path, "OVN test", files, seen)
    assert seen.finished == ["a_1_amd64.deb", "b_2_amd64.deb"]  # each once, in the order they completed
    assert seen.done == sorted(seen.done) and seen.done[-1] == 301_000
    assert any(1000 < d < 301_000 for d in seen.done)  # a part of b, before it was complete


def test_a_failed_download_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="could not fetch OVN test: Failed to fetch http://x/a.deb"):
        run_download(["sh", "-c", "echo 'E: Failed to fetch http://x/a.deb' >&2; exit 100"], tmp_path, "OVN test",
                     (Download("a_1_amd64.deb", 10),), Recorded())


def _runtime(terminal: bool) -> tuple[Runtime, io.StringIO]:
    err = io.StringIO()
    console = Console(file=err, width=100, force_terminal=terminal, color_system=None, legacy_windows=False)
    return Runtime(env={}, out=console, err=console), err


def _show(rt: Runtime) -> None:
    files = (Download("libfoo_1_amd64.deb", 2000), Download("ovn-common_25.03.0-1_amd64.deb", 2_500_000))
    with fetch_progress(rt, "OVN 25.03") as progress:
        progress.step("reading the package index of Debian trixie")
        progress.downloading(files)
        progress.advance(2000, files[:1])
        progress.advance(2_502_000, files[1:])
        progress.step("unpacking 2 packages")


def test_a_log_gets_a_line_per_package() -> None:
    rt, err = _runtime(terminal=False)
    _show(rt)
    assert err.getvalue().splitlines()[:-1] == [  # the last line, with its time, below
        "OVN 25.03: reading the package index of Debian trixie",
        "OVN 25.03: downloading 2 packages, 2.5 MB",
        "  [1/2] libfoo (2.0 kB)",
        "  [2/2] ovn-common (2.5 MB)",
        "OVN 25.03: unpacking 2 packages",
    ]
    assert err.getvalue().splitlines()[-1].startswith("OVN 25.03: fetched 2.5 MB in ")


def test_a_terminal_gets_a_bar() -> None:
    rt, err = _runtime(terminal=True)
    _show(rt)
    text = err.getvalue()
    assert "2/2 packages" in text and "2.5/2.5 MB" in text and "━" in text
    assert "[1/2]" not in text  # no line per package on a terminal
    assert "OVN 25.03: fetched 2.5 MB in " in text
