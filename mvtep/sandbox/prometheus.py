"""Debian's Prometheus (``prometheus`` and ``promtool``), fetched into a
private root the way the sandbox fetches OVN (:mod:`mvtep.sandbox.packages`):
apt with its own state, ``dpkg -x``, run through the root's own loader.

The tests run it for real: ``promtool test rules`` on the alert rules in
``deploy/``, and a Prometheus scraping ``mvtep exporter`` on a loopback port.
Nothing is installed on the system.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mvtep.sandbox.packages import Fetch, ensure_packages
from mvtep.sandbox.toolroot import ToolRoot

__all__ = ["PROMETHEUS", "ensure_prometheus"]

# Debian 13's Prometheus 2.53 (``promtool`` is its own package there).  The
# other dependencies are the web UI's JavaScript and init-system glue: of the
# closure only the C library is wanted.
PROMETHEUS = Fetch("prometheus-trixie", "trixie", ("prometheus", "promtool"), "Prometheus (Debian trixie)",
                   wanted=("prometheus", "promtool", "libc6"), checked=("prometheus", "promtool"))


def ensure_prometheus(env: Mapping[str, str], etc_apt: Path = Path("/etc/apt")) -> ToolRoot:
    """The unpacked Prometheus root, fetched only if not cached."""
    return ensure_packages(PROMETHEUS, env, etc_apt)
