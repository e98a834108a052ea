"""``ofproto/trace``: ask ovs-vswitchd how it would forward one packet.

The command (OVS ``ofproto/ofproto-dpif-trace.c``,
``ofproto_unixctl_trace``) takes a bridge and a flow in ovs-ofctl syntax
and translates that flow through the bridge's OpenFlow tables exactly as it
would a packet missing the datapath's cache, printing every flow it matched
and the datapath actions it would install.  It is read-only as used here:

* no packet is given (neither ``-generate`` nor hex bytes), so
  ``execute_actions_except_outputs`` never runs and xlate runs without a
  packet: nothing is learned (``learn``), sent to a controller, counted or
  committed to conntrack;
* ``ofproto/trace-packet-out`` (which takes actions to run) and
  ``netdev-dummy/receive`` (which injects a packet) are never used.

``--ct-next FLAGS`` gives the conntrack state each recirculation resumes
with, in order (the default for the rest is ``trk|new``).  A packet through
OVN's stateful ACLs and load balancers recirculates after ``ct(...)``; the
trace follows each recirculation as a further pass.

Each answer is kept as the text ovs-vswitchd sent (a support bundle stores
it); :mod:`flowprog.traceparse` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flowprog import unixctl

__all__ = ["TraceRequest", "CT_NEW", "run_trace"]

CT_NEW = "trk,new"  # the first packet of a connection: what a pod sends first
_CT_PASSES = 4  # recirculations given a state explicitly (OVN's pipelines need one or two)


@dataclass(frozen=True, slots=True)
class TraceRequest:
    """One ``ofproto/trace`` call."""

    bridge: str
    flow: str  # ovs-ofctl syntax, from flowprog.tracepacket.Packet.flow()
    ct_next: tuple[str, ...] = (CT_NEW,) * _CT_PASSES

    def args(self) -> tuple[str, ...]:
        out = [self.bridge, self.flow]
        for state in self.ct_next:
            out += ["--ct-next", state]
        return tuple(out)

    @property
    def key(self) -> str:
        """What a node snapshot files the answer under."""
        return " ".join(self.args())


def run_trace(socket: Path, request: TraceRequest, timeout: float) -> str:
    """ovs-vswitchd's answer to ``request``, as text (``socket``: its control
    socket, from :func:`flowprog.unixctl.control_socket`).

    Raises:
        Unavailable: no answer in time, or the switch refused the request
            (its own words: "Bad openflow flow syntax: ...", "br-x: unknown bridge").
    """
    return unixctl.call(socket, "ofproto/trace", request.args(), timeout)
