"""Fetch OVS/OVN from Debian's packages into a private, per-release cache.

apt runs with its own state, cache and source list under the cache directory,
so the system's apt configuration and dpkg database are never touched; the
packages are unpacked with ``dpkg -x`` and run through their own loader
(:mod:`mvtep.sandbox.toolroot`).  The Debian mirror is the one the host's apt
already uses (or ``MVTEP_DEBIAN_MIRROR``); only the suite differs.

Layout of ``<cache>/ovn-<release>/``::

    apt/        private apt state and downloaded .debs
    root/       the unpacked packages
    READY       written last: the root is complete

Fetching says what it does through an optional :class:`FetchProgress` (the
CLI draws it); the library itself prints nothing.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mvcore.errors import FetchError
from mvtep.sandbox.mirror import Mirror, find_mirror
from mvtep.sandbox.releases import Release
from mvtep.sandbox.toolroot import ToolRoot

__all__ = ["cache_dir", "ensure_release", "ensure_packages", "build_once", "Fetch", "CORE_PACKAGES", "Download",
           "FetchProgress", "parse_print_uris", "apt_options", "run_download"]

CORE_PACKAGES = ("openvswitch-common", "openvswitch-switch", "ovn-common", "ovn-host", "ovn-central")
# From the dependency closure only shared libraries are needed: the programs
# are started directly, never through maintainer scripts or systemd.
_WANTED_PREFIXES = ("lib", "zlib", "ovn-", "openvswitch-")
_CHECKED_PROGRAMS = ("ovsdb-server", "ovs-vswitchd", "ovn-controller", "ovn-northd", "ovs-vsctl")
_POLL = 0.2  # seconds between looks at the download directory
_APT_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class Download:
    """One package file apt will fetch: its name on disk and its size."""

    file: str  # "ovn-common_25.03.0-1_amd64.deb"
    size: int

    @property
    def package(self) -> str:
        return self.file.split("_", 1)[0]


class FetchProgress(Protocol):
    """What a fetch reports, for the caller to show (or not)."""

    def step(self, text: str) -> None:
        """A stage begins: "reading the package index of Debian trixie"."""

    def downloading(self, files: Sequence[Download]) -> None:
        """The package files about to be downloaded."""

    def advance(self, done: int, finished: Sequence[Download]) -> None:
        """``done`` bytes are on disk; ``finished``: the files completed since the last call."""


def parse_print_uris(text: str) -> tuple[Download, ...]:
    """The files of ``apt-get --print-uris download``: one line each,
    ``'URI' FILE SIZE HASH`` (apt-private/private-download.cc)."""
    out = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0].startswith("'") and words[2].isdigit():
            out.append(Download(words[1], int(words[2])))
    return tuple(out)


def cache_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/multivtep``, else ``~/.cache/multivtep``."""
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or "/root") / ".cache")
    return Path(base) / "multivtep"


@dataclass(frozen=True, slots=True)
class Fetch:
    """Debian packages to unpack into ``<cache>/<name>/root``, with the shared
    libraries of their dependency closure (names starting with ``wanted``)."""

    name: str
    suite: str
    packages: tuple[str, ...]
    what: str  # in messages: "OVN 25.03 (Debian trixie)"
    wanted: tuple[str, ...] = _WANTED_PREFIXES
    checked: tuple[str, ...] = _CHECKED_PROGRAMS  # programs whose libraries must resolve inside the root


def ensure_release(release: Release, env: Mapping[str, str], etc_apt: Path = Path("/etc/apt"),
                   progress: FetchProgress | None = None) -> ToolRoot:
    """Return the unpacked root for ``release``, fetching it only if not cached."""
    return ensure_packages(Fetch(f"ovn-{release.name}", release.suite, CORE_PACKAGES,
                                 f"OVN {release.name} (Debian {release.suite})"), env, etc_apt, progress)


def ensure_packages(fetch: Fetch, env: Mapping[str, str], etc_apt: Path = Path("/etc/apt"),
                    progress: FetchProgress | None = None) -> ToolRoot:
    """Return the unpacked root for ``fetch``, fetching it only if not cached."""
    home = cache_dir(env) / fetch.name
    return ToolRoot.unpacked(build_once(home, lambda _root: _fetch(fetch, home, find_mirror(env, etc_apt),
                                                                   progress or _Silent())))


def build_once(home: Path, build: Callable[[Path], str]) -> Path:
    """``home/root``, made by ``build(root)`` unless a complete one is there.

    Under ``home/.lock``: two sandboxes starting at once share one build, and
    ``sandbox clean`` leaves a directory alone while its lock is held
    (:mod:`mvtep.sandbox.cache`).  ``home/READY`` says a root is complete:
    without it, what an interrupted build left is removed first.  ``build``
    fills ``root`` and returns READY's text, written last.
    """
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "READY").exists():
            shutil.rmtree(home / "root", ignore_errors=True)
            (home / "READY").write_text(build(home / "root"))
    return home / "root"


def apt_options(apt: Path) -> list[str]:
    """apt's options for the private state, cache and source list under ``apt``."""
    return [
        f"-oDir::State={apt / 'state'}",
        f"-oDir::State::status={apt / 'state' / 'status'}",
        f"-oDir::Cache={apt / 'cache'}",
        f"-oDir::Etc::SourceList={apt / 'sources.list'}",
        "-oDir::Etc::SourceParts=/dev/null",
        "-oDir::Etc::Preferences=/dev/null",
        "-oDir::Etc::PreferencesParts=/dev/null",
        "-oAPT::Architecture=amd64",
        "-oAPT::Architectures=amd64",
        "-oAPT::Sandbox::User=root",
        "-oDebug::NoLocking=1",
        "-oAcquire::Retries=1",
        "-oAcquire::http::Timeout=20",
    ]


class _Silent:
    def step(self, text: str) -> None:
        pass

    def downloading(self, files: Sequence[Download]) -> None:
        pass

    def advance(self, done: int, finished: Sequence[Download]) -> None:
        pass


def _fetch(fetch: Fetch, home: Path, mirror: Mirror, progress: FetchProgress) -> str:
    """Fetch and unpack into ``home/root``; the text of READY (the packages unpacked)."""
    apt = home / "apt"
    shutil.rmtree(apt, ignore_errors=True)
    for d in ("state/lists/partial", "cache/archives/partial", "debs"):
        (apt / d).mkdir(parents=True)
    (apt / "state" / "status").touch()
    (apt / "sources.list").write_text(mirror.source_line(fetch.suite) + "\n")
    opts = apt_options(apt)
    what = fetch.what
    progress.step(f"reading the package index of Debian {fetch.suite} from {mirror.uri}")
    _apt(["apt-get", *opts, "--error-on=any", "update"], apt, what)
    closure = _apt(
        ["apt-cache", *opts, "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *fetch.packages],
        apt, what,
    )
    names = sorted({
        line.strip() for line in closure.splitlines()
        if line and not line.startswith((" ", "<")) and line.startswith(fetch.wanted)
    })
    if not set(fetch.packages) <= set(names):
        raise FetchError(f"Debian {fetch.suite} does not list {', '.join(fetch.packages)}")
    files = parse_print_uris(_apt(["apt-get", *opts, "--print-uris", "download", *names], apt, what))
    progress.downloading(files)
    run_download(["apt-get", *opts, "download", *names], apt / "debs", what, files, progress)
    root = home / "root"
    debs = sorted((apt / "debs").glob("*.deb"))
    progress.step(f"unpacking {len(debs)} packages into {root}")
    for deb in debs:
        _apt(["dpkg-deb", "-x", str(deb), str(root)], apt, what)
    tools = ToolRoot.unpacked(root)
    for program in fetch.checked:
        missing = tools.unresolved_libraries(program)
        if missing:
            raise FetchError(f"{program} from {what} needs libraries the packages did not bring: "
                             f"{', '.join(missing)}")
    shutil.rmtree(apt / "debs")  # the unpacked root is what is kept
    return "\n".join(names) + "\n"


def run_download(argv: list[str], cwd: Path, what: str, files: Sequence[Download], progress: FetchProgress) -> None:
    """Run ``apt-get download`` and report what is on disk while it runs: it
    writes each file under its final name in ``cwd``, so a file is complete
    when it has its announced size."""
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: it never fills up and blocks apt
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        except FileNotFoundError as e:
            raise _not_installed(argv[0]) from e
        _follow(proc, cwd, what, files, progress)
        errors.seek(0)
        _check(proc.returncode, errors.read(), what)


def _follow(proc: subprocess.Popen[str], cwd: Path, what: str, files: Sequence[Download],
            progress: FetchProgress) -> None:
    deadline = time.monotonic() + _APT_TIMEOUT
    reported: set[str] = set()
    with proc:
        while True:
            try:
                proc.wait(timeout=_POLL)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            done, complete = 0, []
            for f in files:
                try:
                    size = min((cwd / f.file).stat().st_size, f.size)
                except OSError:
                    continue
                done += size
                if size == f.size and f.file not in reported:
                    reported.add(f.file)
                    complete.append(f)
            progress.advance(done, complete)
            if finished:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise FetchError(f"fetching {what}: apt-get download timed out")


def _not_installed(program: str) -> FetchError:
    return FetchError(f"{program} is not installed", hint="the sandbox needs a Debian machine with apt and dpkg")


def _apt(argv: list[str], cwd: Path, what: str) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=_APT_TIMEOUT, check=False)
    except FileNotFoundError as e:
        raise _not_installed(argv[0]) from e
    except subprocess.TimeoutExpired as e:
        raise FetchError(f"fetching {what}: {argv[0]} timed out") from e
    _check(done.returncode, done.stderr, what)
    return done.stdout


def _check(returncode: int, stderr: str, what: str) -> None:
    if returncode != 0:
        errors = stderr.splitlines()
        lines = [ln for ln in errors if ln.startswith(("E:", "W:", "dpkg"))] or errors
        reason = lines[0].removeprefix("E: ").removeprefix("W: ") if lines else f"exit {returncode}"
        raise FetchError(
            f"could not fetch {what}: {reason}",
            hint="the sandbox needs the Debian package mirror; a release fetched once is cached",
        )
