"""The cache of fetched OVN releases: how large it is, and removing it.

Removing is refused while a program runs from it (a sandbox started from an
unpacked release runs every daemon through that release's own loader, so its
path is on the daemon's command line) or while a fetch holds a lock in it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

from mvcore.errors import RunDirInUse
from mvtep.sandbox.packages import cache_dir

__all__ = ["disk_usage", "users", "remove"]


def disk_usage(path: Path) -> int:
    """Bytes ``path`` takes on disk (as ``du`` counts them: allocated blocks, links once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for top, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def users(path: Path, proc: Path = Path("/proc")) -> list[int]:
    """Pids of processes whose command line runs something from under ``path``."""
    prefix = str(path.absolute()).encode() + b"/"
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        if any(a.startswith(prefix) for a in argv):
            found.append(int(entry.name))
    return sorted(found)


def _locked(home: Path, stack: ExitStack) -> Iterator[Path]:
    """Take every fetch lock without waiting (each ``<cache>/<name>/.lock``: an OVN
    release, an unpacked --ovn-root tarball, Prometheus; :func:`~mvtep.sandbox.packages.build_once`);
    yield the directories whose lock a fetch holds."""
    for path in sorted(home.glob("*/.lock")):
        try:
            lock = stack.enter_context(open(path, "w"))  # noqa: SIM115 (closed by the stack)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield path.parent


def remove(env: Mapping[str, str]) -> tuple[Path, int]:
    """Remove the release cache; returns where it was and the bytes it took."""
    home = cache_dir(env)
    if not home.exists():
        return home, 0
    running = users(home)
    if running:
        raise RunDirInUse(f"{home} is in use: pid {', '.join(map(str, running[:5]))} runs a program from it",
                          hint="stop the sandbox first: mvtep sandbox down [--dir DIR]")
    with ExitStack() as stack:
        busy = list(_locked(home, stack))
        if busy:
            raise RunDirInUse(f"{busy[0]} is being fetched right now", hint="try again when the fetch is done")
        size = disk_usage(home)
        shutil.rmtree(home)
    return home, size
