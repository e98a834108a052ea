"""Which routing questions the pre-flight checks ask the kernel about a VTEP.

Pure: from the rules and a table's routes (decoded by :mod:`hw.routing`) to
the ``ip route get <probe> from <vtep>`` pairs a
:class:`~hw.host.HostRequests` carries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from mvcore.routes import Rule

__all__ = ["covers", "vtep_table", "probes_for"]


def covers(rule: Rule, ip: str) -> bool:
    """Whether ``rule`` selects traffic from ``ip`` by its source prefix."""
    if rule.src is None:
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(rule.src, strict=False)
    except ValueError:
        return False


def vtep_table(ip: str, rules: Iterable[Rule]) -> int | None:
    """The table of the first rule (in the kernel's order) whose source covers ``ip``."""
    return next((r.table for r in rules if covers(r, ip)), None)


def probes_for(vtep: str, table_routes: Iterable[str], extra: Iterable[str]) -> list[str]:
    """Addresses to ask the kernel about for traffic from ``vtep``: the
    given remote VTEPs, and one far address inside each route of the
    VTEP's table (the last host of the prefix), skipping the VTEP's own."""
    out = list(extra)
    for prefix in table_routes:
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            continue
        if net.version != ipaddress.ip_address(vtep).version or net.num_addresses < 4:
            continue
        probe = str(net[-2])
        if probe != vtep and probe not in out:
            out.append(probe)
    return out
