"""Policy routing as records: what the kernel holds and what ``mvtep apply`` writes.

One set of types for both sides: :mod:`hw.routing` decodes the kernel's
rtnetlink messages into them, the plan compares them with the spec, and
:mod:`hw.plumbing` writes them.  Rules and routes compare on what they
select and where they send traffic; how they got there (the protocol) is
kept for display and for putting a removed entry back exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Rule", "Route", "RouteAnswer", "Neighbour", "RTPROT_STATIC", "NUD_VALID"]

RTPROT_STATIC = 4  # uapi linux/rtnetlink.h: what mvtep apply writes, as the design document does
# include/net/neighbour.h NUD_VALID: the states in which an entry holds a usable link-layer address
NUD_VALID = frozenset({"PERMANENT", "NOARP", "REACHABLE", "PROBE", "STALE", "DELAY"})


@dataclass(frozen=True, slots=True)
class Rule:
    """``ip rule from <src> lookup <table> priority <priority>``.

    ``plain`` is False for a rule that also selects on something a Rule
    cannot say (iif, fwmark, dst, ports, ``not``...): it must never be
    taken for the one a plan wants.
    """

    priority: int
    src: str | None  # "10.0.0.1/32"; None = from all
    table: int
    protocol: int | None = field(default=None, compare=False)
    plain: bool = field(default=True, compare=False)

    def describe(self) -> str:
        """As ``mvtep apply`` names it, in its plan and in what it writes."""
        return f"rule from {self.src or 'all'} lookup {self.table} priority {self.priority}"


@dataclass(frozen=True, slots=True)
class Route:
    """``ip route <dst> [via <gateway>] dev <dev> scope <scope> table <table>`` (unicast)."""

    table: int
    dst: str  # "10.0.0.0/23", "0.0.0.0/0"
    dev: str | None  # None: no single device (multipath, blackhole)
    gateway: str | None
    scope: str  # "link" or "universe" (anything else: its number)
    protocol: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        """As ``mvtep apply`` names it, in its plan and in what it writes."""
        via = f" via {self.gateway}" if self.gateway else ""
        scope = " scope link" if self.scope == "link" else ""
        return f"route {self.dst}{via} dev {self.dev}{scope} table {self.table}"


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    """The kernel's answer to ``ip route get <dst> from <src>``."""

    dst: str
    src: str
    table: int | None
    oif: str | None  # the egress device
    gateway: str | None
    error: str | None = None  # the errno name when the kernel refused: "ENETUNREACH"


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An entry of the kernel's neighbour table (``ip neigh``): the next hop's link-layer address."""

    ip: str
    dev: str
    state: str  # uapi linux/neighbour.h NUD_*: "REACHABLE", "STALE", "INCOMPLETE", "FAILED"...
    lladdr: str | None

    @property
    def resolved(self) -> bool:
        """What mlx5 asks before it puts an encap rule in hardware (``nud_state & NUD_VALID``,
        en/tc_tun.c); otherwise the rule stays on the slow path until the entry resolves."""
        return self.state in NUD_VALID
