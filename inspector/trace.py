"""The trace's verdict: where the packet really left, against what ``verify``
read from the flows.  Pure: a planned trace, the switch's answer and verify's
result in, a :class:`TraceVerdict` out.

verify proves a VIF's path by reading two kinds of flow (table 0 and the
remote-output table); the trace walks one packet through every table, so it
also sees a flow in between that sends the packet elsewhere, a stale flow,
or a datapath that does something else.  The expectation is verify's answer
for the VIF (:class:`~flowprog.verify.VifPath`: the encap id table 0 loads,
the VTEP it stands for, the tunnels), so the verdict follows whatever encap
id numbering verify applies for the running OVN release.

The packet left through a tunnel when the OpenFlow walk outputs to a tunnel
port *and* the datapath actions send a copy (:mod:`flowprog.tracewalk`).
OVN's remote-output flows load the tunnel's metadata (``put_encapsulation``
in OVN ``controller/physical.c``: ``tun_id`` = the datapath key, Geneve
option 0x0102/0x80 = logical inport << 16 | outport) and output to the
tunnel port, whose ``options:local_ip``/``remote_ip`` (or, for flow-based
tunnels, the ``tun_src``/``tun_dst`` the flow sets) are the outer addresses.
Where the walk goes another way than verify says, the verdict names the
flow: the one that output the packet, or, when ``reg13[16..31]`` held
another encap id by then, the one that wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flowprog.nodeconfig import NodeConfig, TunnelPort
from flowprog.traceparse import Step, Trace, parse_trace
from flowprog.tracewalk import Departure, TunnelOutput, Walk, departures, summarise, switch_notes, tunnel_outputs
from flowprog.verify import Tunnel, VerifyResult
from inspector.trace_inputs import PlannedTrace
from mvcore.findings import Finding, Severity
from mvcore.reading import Reading

__all__ = ["TraceVerdict", "judge", "judge_all", "unread", "expected_tunnels", "describe", "STATUSES"]

E, W = Severity.ERROR, Severity.WARNING
# confirmed: left where verify says; disagrees: through another tunnel (or none where verify has one);
# dropped: never output to a tunnel; not-sent: OpenFlow outputs to a tunnel, the datapath sends nothing;
# local: the destination is on this node and the packet stayed; unread: no answer to judge
STATUSES = ("confirmed", "disagrees", "dropped", "not-sent", "local", "unread")
_STALE = "ovn-controller's flows are stale or were changed: recompute or restart it"


@dataclass(frozen=True, slots=True)
class TraceVerdict:
    planned: PlannedTrace
    expected: tuple[Tunnel, ...]  # verify's tunnels towards the destination
    walk: Walk | None
    departures: tuple[Departure, ...]
    status: str  # one of STATUSES
    astray: Step | None  # where the packet went another way than verify says
    findings: tuple[Finding, ...]  # against the configuration, with verify's codes
    disagreement: Finding | None  # trace-disagrees / trace-dropped, for verify --trace
    notes: tuple[str, ...]  # the switch's warnings and errors on the way
    error: str | None = None  # why there is nothing to judge

    @property
    def departure(self) -> Departure | None:
        """The copy that went towards the destination's chassis (else the first)."""
        d = self.planned.destination
        towards = [x for x in self.departures if x.dst in (d.encap_ip, *d.chassis_encaps)]
        return next(iter(towards or self.departures), None)


# -- judging ---------------------------------------------------------------------------


def expected_tunnels(planned: PlannedTrace) -> tuple[Tunnel, ...]:
    """verify's tunnels towards the destination: to its chassis, through its
    ``Port_Binding.encap`` when verify has that one; none when verify lists the
    port unreachable, or the destination is local."""
    d, path = planned.destination, planned.source.path
    if path is None or d.local or d.logical_port in path.unreachable:
        return ()
    to_chassis = [t for t in path.tunnels if t.remote_chassis == d.chassis]
    through = [t for t in to_chassis if t.remote_ip == d.encap_ip]
    return tuple(through or to_chassis)


def _answer(dep: Departure | None) -> str:
    if dep is None:
        return "no tunnel"
    via = f" ({dep.interface})" if dep.interface else ""
    return f"{dep.src} -> {dep.dst}{via}"


def describe(tunnels: tuple[Tunnel, ...]) -> str:
    """``10.0.0.2 -> 10.1.0.1 (ovn-remote-7)``, joined by "or"; "no tunnel" for none."""
    if not tunnels:
        return "no tunnel"
    return " or ".join(f"{t.local_ip} -> {t.remote_ip} ({t.interface})" for t in tunnels)


def judge(planned: PlannedTrace, text: str | None, error: str | None, node: NodeConfig,
          result: VerifyResult) -> TraceVerdict:
    """The verdict on one trace (``text``: the switch's answer; ``error``: why
    there is none)."""
    if text is None or error is not None:
        return unread(planned, error or "not traced")
    trace = parse_trace(text)
    tunnels = {t.ofport: t for t in node.tunnels if t.ofport}
    per_stage, loaded = tunnel_outputs(trace, tunnels)
    sent, unsent = departures(trace, tunnels, per_stage)
    v = TraceVerdict(planned, expected_tunnels(planned), summarise(trace, loaded), tuple(sent), "confirmed",
                     None, (), None, switch_notes(trace))
    dep = v.departure
    if planned.destination.local:
        return _local(v, dep)
    if dep is None:
        return _not_left(v, trace, unsent, tunnels, result.remote_output_table)
    return _left(v, dep)


def _finding(v: TraceVerdict, code: str, severity: Severity, message: str, hint: str = _STALE) -> Finding:
    vif, dst = v.planned.source.vif, v.planned.destination
    return Finding(code, severity, f"{vif.name} -> {dst.logical_port}: {message}", hint, interface=vif.name,
                   iface_id=vif.iface_id, subject=dst.logical_port)


def _local(v: TraceVerdict, dep: Departure | None) -> TraceVerdict:
    if dep is None:
        return _done(v, "local", None, [], None)
    found = _finding(v, "trace-disagrees", E, f"{v.planned.destination.logical_port} is on this node, but the "
                     f"trace leaves through {_answer(dep)}: {_flow(dep.step)} sent it")
    return _done(v, "disagrees", dep.step, [found], found)


def _not_left(v: TraceVerdict, trace: Trace, unsent: list[TunnelOutput], tunnels: dict[int, TunnelPort],
              remote_table: int | None) -> TraceVerdict:
    """No copy left through a tunnel: the datapath would not send it, or the walk never output it."""
    if unsent:
        o = unsent[0]
        why = next((n.split(": ", 1)[1] for n in v.notes if n.startswith(o.step.where() + ": ")), "")
        t = tunnels[o.ofport]
        found = _finding(v, "trace-dropped", W, f"OpenFlow outputs it to {t.name} ({t.local_ip} -> {t.remote_ip}) "
                         f"at {_flow(o.step)}, but the datapath sends nothing" + (f": {why}" if why else ""),
                         "the datapath cannot send through that tunnel: check its route and neighbour "
                         "(ovs-appctl ovs/route/show, tnl/neigh/show)")
        return _done(v, "not-sent", o.step, [found], found)
    steps = list(trace.steps())
    last = steps[-1] if steps else None
    expected = v.expected
    if remote_table is not None and any(s.table == remote_table for s in steps):
        missing = _finding(v, "tunnel-missing", E, f"the packet reaches the remote-output table {remote_table} but "
                           f"leaves through no tunnel; it ends at {_flow(last)}")
        disagrees = _finding(v, "trace-disagrees", E, f"verify says {describe(expected)}, the trace leaves through "
                             f"no tunnel; it ends at {_flow(last)}") if expected else None
        return _done(v, "disagrees" if expected else "dropped", last, [missing], disagrees)
    if last is not None and any(a.text.startswith("controller(") for a in last.actions):
        found = _finding(v, "trace-dropped", W, f"the packet does not leave the node: {_flow(last)} hands it to "
                         "ovn-controller", "OVN answers such packets itself (DNS, DHCP, ARP/ND, ICMP errors) or "
                         "resolves something first (a MAC binding): trace another port or protocol")
    else:
        found = _finding(v, "trace-dropped", W, f"the packet does not leave the node: it ends at {_flow(last)}",
                         "an ACL or a policy may drop it (ovs-appctl ofproto/trace shows the whole walk)")
    return _done(v, "dropped", last, [found], found if expected else None)


def _left(v: TraceVerdict, dep: Departure) -> TraceVerdict:
    """It left through a tunnel: is that verify's answer, and is it right?"""
    dst, path = v.planned.destination, v.planned.source.path
    agrees = any((t.local_ip, t.remote_ip) == (dep.src, dep.dst) for t in v.expected)
    findings: list[Finding] = []
    astray: Step | None = None
    if not agrees:
        wrong_id = (path is not None and path.encap_id is not None and dep.encap_id is not None
                    and dep.encap_id != path.encap_id)
        astray = dep.setter if wrong_id and dep.setter is not None else dep.step
        if wrong_id:
            findings.append(_finding(
                v, "encap-id-mismatch", E, f"reg13[16..31] holds encap id {dep.encap_id} when the packet is output, "
                f"not {path.encap_id if path else '?'} ({path.vtep_ip if path else '?'}): {_flow(astray)} wrote it",
                _STALE + " (ovn-appctl -t ovn-controller recompute)"))
        elif path is not None and path.vtep_ip is not None and dep.src != path.vtep_ip:
            findings.append(_finding(
                v, "tunnel-local-ip-mismatch", E, f"the packet leaves from {dep.src}, not from its VTEP "
                f"{path.vtep_ip}: {_flow(astray)} sent it through {dep.interface or dep.datapath_port}"))
    wanted = (dst.encap_ip,) if dst.encap_ip else dst.chassis_encaps
    if wanted and dep.dst not in wanted:
        astray = astray or dep.step
        findings.append(_finding(
            v, "tunnel-remote-ip-mismatch", E, f"the packet leaves to {dep.dst}, but "
            + (f"{dst.logical_port}'s Port_Binding.encap is {dst.encap_ip}" if dst.encap_ip else
               f"{dst.chassis}'s VTEPs are {', '.join(wanted)}") + f": {_flow(astray)} sent it",
            f"the remote port's VTEP on {dst.chassis} is {', '.join(wanted)}"))
    disagrees = None if agrees else _finding(
        v, "trace-disagrees", E, f"verify says {describe(v.expected)}, the trace leaves {_answer(dep)}: "
        f"{_flow(astray)} sent it that way",
        "a flow verify does not read changes the path: " + _STALE)
    return _done(v, "confirmed" if agrees else "disagrees", astray, findings, disagrees)


def _flow(step: Step | None) -> str:
    return f"{step.where()} {step.flow_text()}" if step is not None else "an unknown flow"


def _done(v: TraceVerdict, status: str, astray: Step | None, findings: list[Finding],
          disagreement: Finding | None) -> TraceVerdict:
    return TraceVerdict(v.planned, v.expected, v.walk, v.departures, status, astray, tuple(findings), disagreement,
                        v.notes)


def unread(planned: PlannedTrace, why: str) -> TraceVerdict:
    """A verdict with nothing to judge: the trace could not be asked or read.
    It is said, never taken as confirmed."""
    v = TraceVerdict(planned, expected_tunnels(planned), None, (), "unread", None, (), None, (), why)
    found = _finding(v, "trace-unread", W, f"not traced: {why}", "trace it again (mvtep trace SOURCE DEST)")
    return TraceVerdict(v.planned, v.expected, None, (), "unread", None, (), found, (), why)


def judge_all(planned: list[PlannedTrace], answers: Mapping[str, Reading[str]], node: NodeConfig,
              result: VerifyResult) -> list[TraceVerdict]:
    """A verdict on each planned trace from the answers a snapshot holds."""
    out = []
    for p in planned:
        answer = answers.get(p.request.key)
        if answer is None:
            out.append(unread(p, "not traced (no answer in this snapshot)"))
        else:
            out.append(judge(p, answer.value, answer.error, node, result))
    return out
