"""Find the Debian mirror the host's apt already uses.

The sandbox reuses that mirror (and its signing keyring) for another suite,
so it needs no address of its own.  Both source formats are read: deb822
``*.sources`` files and one-line ``sources.list`` entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from mvcore.errors import FetchError

__all__ = ["Mirror", "find_mirror", "parse_sources"]


@dataclass(frozen=True, slots=True)
class Mirror:
    """A Debian archive: its URI and the keyring that signs it."""

    uri: str
    signed_by: str | None = None

    def source_line(self, suite: str) -> str:
        """A one-line apt source for ``suite``'s main component."""
        opts = f"[signed-by={self.signed_by}] " if self.signed_by else ""
        return f"deb {opts}{self.uri} {suite} main"


def _is_main_archive(uri: str, suites: list[str]) -> bool:
    # The security and updates archives carry only a few packages; the main
    # archive is the one with a plain suite name.
    return uri.rstrip("/").endswith("/debian") and any(re.fullmatch(r"[a-z]+", s) for s in suites)


def parse_sources(text: str, deb822: bool) -> Iterator[Mirror]:
    """Yield the main Debian archives named in one sources file."""
    if deb822:
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
                continue
            for uri in fields.get("uris", "").split():
                if _is_main_archive(uri, fields.get("suites", "").split()):
                    yield Mirror(uri, fields.get("signed-by") or None)
        return
    for line in text.splitlines():
        m = re.match(r"^\s*deb\s+(?:\[(?P<opts>[^]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)", line)
        if not m:
            continue
        opts = dict(o.split("=", 1) for o in (m["opts"] or "").split() if "=" in o)
        if _is_main_archive(m["uri"], [m["suite"]]):
            yield Mirror(m["uri"], opts.get("signed-by"))


def find_mirror(env: Mapping[str, str], etc_apt: Path) -> Mirror:
    """The mirror to fetch from: ``MVTEP_DEBIAN_MIRROR`` or the host's own."""
    override = env.get("MVTEP_DEBIAN_MIRROR")
    if override:
        return Mirror(override)
    files = [(etc_apt / "sources.list", False)]
    files += [(p, p.suffix == ".sources") for p in sorted((etc_apt / "sources.list.d").glob("*"))
              if p.suffix in (".list", ".sources")]
    for path, deb822 in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for mirror in parse_sources(text, deb822):
            return mirror
    raise FetchError(
        f"no Debian archive found in {etc_apt}",
        hint="set MVTEP_DEBIAN_MIRROR to the URI of a Debian archive",
    )
