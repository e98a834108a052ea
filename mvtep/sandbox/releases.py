"""The OVN releases a sandbox can run, and the Debian suite that ships each.

Only releases whose packages were checked on this project's machines are
listed (see shared/reference/facts.md).  ``per_vtep`` says whether that
ovn-controller selects the tunnel by the port's VTEP (OVN 24.03.0 and later,
:data:`flowprog.ovnrelease.PER_VTEP_MIN`): 23.03 is kept on purpose as the
negative case.  Other releases (the 24.03.9 and 24.09.2 source builds, a
user's own build) run from ``--ovn-root``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowprog.ovnrelease import PER_VTEP_MIN
from mvcore.errors import UsageError

__all__ = ["Release", "RELEASES", "DEFAULT_RELEASE", "HOST", "lookup", "version_tuple"]


@dataclass(frozen=True, slots=True)
class Release:
    """One OVN release the sandbox can fetch."""

    name: str  # "25.03"
    suite: str  # the Debian suite whose packages carry it
    per_vtep: bool  # one tunnel port per (local VTEP, remote encap)


RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release("23.03", "bookworm", per_vtep=False),
        Release("25.03", "trixie", per_vtep=True),
        Release("26.03", "sid", per_vtep=True),
    )
}
DEFAULT_RELEASE = "25.03"
HOST = "host"  # use the OVS/OVN the host already has installed

MIN_PER_VTEP = PER_VTEP_MIN  # oldest release with per-port VTEP selection (not the design doc's 24.03.3)


def lookup(name: str) -> Release:
    """Return the release called ``name`` or raise a UsageError listing the choices."""
    try:
        return RELEASES[name]
    except KeyError:
        choices = ", ".join([*RELEASES, HOST])
        raise UsageError(f"unknown OVN release {name!r}", hint=f"choose one of: {choices}") from None


def version_tuple(text: str) -> tuple[int, ...]:
    """Parse the version an OVN program prints.

    >>> version_tuple("ovn-controller 25.03.0")
    (25, 3, 0)
    """
    for word in text.split():
        parts = word.split(".")
        if len(parts) >= 2 and all(p.isdigit() for p in parts):
            return tuple(int(p) for p in parts)
    return ()
