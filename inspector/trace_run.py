"""``verify --trace``: plan a trace per (VIF, remote chassis), have the
gatherer ask ovs-vswitchd (on a live node), and judge each answer against
verify's result.  Without a gatherer the answers come from the snapshot
(a support bundle written by ``verify --trace --save``)."""

from __future__ import annotations

from dataclasses import dataclass

from flowprog.node_verify import node_of
from flowprog.verify import VerifyResult
from inspector.gather import Gatherer
from inspector.trace import TraceVerdict, judge_all
from inspector.trace_inputs import Bindings, Skipped, plan_verify
from mvcore.errors import Unavailable
from mvcore.findings import Finding
from mvcore.snapshot import NodeSnapshot

__all__ = ["VerifyTraces", "verify_traces"]


@dataclass(frozen=True, slots=True)
class VerifyTraces:
    snapshot: NodeSnapshot  # with the traces' answers
    verdicts: tuple[TraceVerdict, ...]
    skipped: tuple[Skipped, ...]
    findings: tuple[Finding, ...]  # trace-disagrees and trace-dropped, one per disagreeing trace


def verify_traces(snap: NodeSnapshot, result: VerifyResult, gatherer: Gatherer | None = None) -> VerifyTraces:
    """Trace and judge every (VIF, remote chassis) pair.

    Raises:
        Unavailable: the southbound DB was not read (the packets' addresses
            are there), or ovs-vswitchd has no control socket.
    """
    if snap.southbound.value is None:
        raise Unavailable("tracing needs the southbound DB (the packets' addresses are in Port_Binding), which "
                          "was not read: " + snap.southbound.why_not("the southbound DB"), topic="southbound")
    node = node_of(snap)
    planned, skipped = plan_verify(node, Bindings(snap.southbound.value), result)
    if gatherer is not None:
        snap = gatherer.traces(snap, [p.request for p in planned])
    verdicts = judge_all(planned, snap.traces, node, result)
    findings = tuple(v.disagreement for v in verdicts if v.disagreement is not None)
    return VerifyTraces(snap, tuple(verdicts), tuple(skipped), findings)
