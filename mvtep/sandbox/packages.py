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
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mvcore.errors import FetchError
from mvtep.sandbox.mirror import Mirror, find_mirror
from mvtep.sandbox.releases import Release
from mvtep.sandbox.toolroot import ToolRoot

__all__ = ["cache_dir", "ensure_release", "ensure_packages", "Fetch", "CORE_PACKAGES"]

CORE_PACKAGES = ("openvswitch-common", "openvswitch-switch", "ovn-common", "ovn-host", "ovn-central")
# From the dependency closure only shared libraries are needed: the programs
# are started directly, never through maintainer scripts or systemd.
_WANTED_PREFIXES = ("lib", "zlib", "ovn-", "openvswitch-")
_CHECKED_PROGRAMS = ("ovsdb-server", "ovs-vswitchd", "ovn-controller", "ovn-northd", "ovs-vsctl")


def cache_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/multivtep``, else ``~/.cache/multivtep``."""
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or "/root") / ".cache")
    return Path(base) / "multivtep"


def ensure_release(release: Release, env: Mapping[str, str], etc_apt: Path = Path("/etc/apt")) -> ToolRoot:
    """Return the unpacked root for ``release``, fetching it only if not cached."""
    return ensure_packages(Fetch(f"ovn-{release.name}", release.suite, CORE_PACKAGES,
                                 f"OVN {release.name} (Debian {release.suite})"), env, etc_apt)


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


def ensure_packages(fetch: Fetch, env: Mapping[str, str], etc_apt: Path = Path("/etc/apt")) -> ToolRoot:
    """Return the unpacked root for ``fetch``, fetching it only if not cached."""
    home = cache_dir(env) / fetch.name
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        # Two sandboxes starting at once share one download.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "READY").exists():
            _fetch(fetch, home, find_mirror(env, etc_apt))
    return ToolRoot.unpacked(home / "root")


def _fetch(fetch: Fetch, home: Path, mirror: Mirror) -> None:
    apt = home / "apt"
    shutil.rmtree(apt, ignore_errors=True)
    shutil.rmtree(home / "root", ignore_errors=True)
    for d in ("state/lists/partial", "cache/archives/partial", "debs"):
        (apt / d).mkdir(parents=True)
    (apt / "state" / "status").touch()
    (apt / "sources.list").write_text(mirror.source_line(fetch.suite) + "\n")
    opts = [
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
    what = fetch.what
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
    _apt(["apt-get", *opts, "download", *names], apt / "debs", what)
    root = home / "root"
    for deb in sorted((apt / "debs").glob("*.deb")):
        _apt(["dpkg-deb", "-x", str(deb), str(root)], apt, what)
    tools = ToolRoot.unpacked(root)
    for program in fetch.checked:
        missing = tools.unresolved_libraries(program)
        if missing:
            raise FetchError(f"{program} from {what} needs libraries the packages did not bring: {', '.join(missing)}")
    shutil.rmtree(apt / "debs")  # the unpacked root is what is kept
    (home / "READY").write_text("\n".join(names) + "\n")


def _apt(argv: list[str], cwd: Path, what: str) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    except FileNotFoundError as e:
        raise FetchError(f"{argv[0]} is not installed",
                         hint="the sandbox needs a Debian machine with apt and dpkg") from e
    except subprocess.TimeoutExpired as e:
        raise FetchError(f"fetching {what}: {argv[0]} timed out") from e
    if done.returncode != 0:
        errors = done.stderr.splitlines()
        lines = [ln for ln in errors if ln.startswith(("E:", "W:", "dpkg"))] or errors
        reason = lines[0].removeprefix("E: ").removeprefix("W: ") if lines else f"exit {done.returncode}"
        raise FetchError(
            f"could not fetch {what}: {reason}",
            hint="the sandbox needs the Debian package mirror; a release fetched once is cached",
        )
    return done.stdout
