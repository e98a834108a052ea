"""Where a node's OVSDB and OpenFlow sockets are, resolved as the OVS tools do.

The OVS utilities find their sockets through ``OVS_RUNDIR`` (default
``/var/run/openvswitch``): the database at ``unix:$OVS_RUNDIR/db.sock`` and a
bridge's OpenFlow management socket at ``unix:$OVS_RUNDIR/<bridge>.mgmt``.
Explicit ``--db``, ``--openflow`` and ``--bridge`` options win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mvcore.errors import UsageError

__all__ = ["Endpoints", "resolve", "check_remote", "DEFAULT_RUNDIR"]

DEFAULT_RUNDIR = "/var/run/openvswitch"

# The remote syntaxes ovsdb-server and ovs-ofctl accept for an active client.
_REMOTE = re.compile(r"^(unix:.+|tcp:[^:]+:\d+|tcp:\[[0-9a-fA-F:.]+\]:\d+|ssl:[^:]+:\d+)$")


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The sockets a command talks to."""

    db: str
    openflow: str
    bridge: str


def check_remote(remote: str, what: str, *, ssl: bool = True) -> str:
    """Return ``remote`` if it is a usable OVS remote, else raise UsageError.

    ``ssl`` says whether ``ssl:`` is usable for this remote.  The node's own
    OVSDB and OpenFlow sockets are not reached over TLS: python-ovs keeps one
    TLS key, certificate and CA per process, which the southbound DB's
    ``--sb-*`` files already take, and the OpenFlow client speaks plain
    streams only.

    >>> check_remote("unix:/run/openvswitch/db.sock", "--db")
    'unix:/run/openvswitch/db.sock'
    """
    if not ssl and remote.startswith("ssl:"):
        raise UsageError(f"{what} {remote!r}: mvtep reaches it over unix:PATH or tcp:HOST:PORT, not ssl:",
                         hint="the node's own sockets are under OVS_RUNDIR; ssl: is for the southbound DB (--sb)")
    if not _REMOTE.match(remote):
        raise UsageError(f"{what} {remote!r} is not an OVS remote",
                         hint="use unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT" if ssl else
                         "use unix:PATH or tcp:HOST:PORT")
    return remote


def resolve(
    env: Mapping[str, str],
    *,
    db: str | None = None,
    openflow: str | None = None,
    bridge: str | None = None,
) -> Endpoints:
    """Resolve the endpoints from options and the environment.

    Args:
        env: the process environment (passed in, never read here directly).
        db: ``--db`` if given.
        openflow: ``--openflow`` if given.
        bridge: ``--bridge`` if given (default ``br-int``).
    """
    rundir = env.get("OVS_RUNDIR") or DEFAULT_RUNDIR
    bridge = bridge or "br-int"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", bridge):
        raise UsageError(f"--bridge {bridge!r} is not a bridge name")
    return Endpoints(
        db=check_remote(db or f"unix:{rundir}/db.sock", "--db", ssl=False),
        openflow=check_remote(openflow or f"unix:{rundir}/{bridge}.mgmt", "--openflow", ssl=False),
        bridge=bridge,
    )
