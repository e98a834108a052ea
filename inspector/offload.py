"""Is a VF's traffic in hardware, both directions, right now -- and if not, why?

The evidence per VF (:class:`OffloadEvidence`, built from a snapshot by
:mod:`inspector.offload_inputs`) and the offload side of its verdict
(:func:`judge`, which :func:`inspector.paths.build_paths` hands over to once
nothing breaks the path).  Pure.

The evidence, strongest first:

* traffic: the representor's hardware vport counters next to what reached
  software (:mod:`hw.ethstats`), per direction, over the interval between two
  samples: the only evidence of where packets really went.  A VF that
  moved at least :data:`MIN_PACKETS` packets in the interval is judged by
  its hardware share whatever the flows say (ovn-kubernetes #3835:
  ``offloaded:yes`` flows with ``packets:0`` while every packet went
  through the representor);
* ovs-vswitchd's running state: flow offload enabled or not, from
  ``dpif/offload/show`` (OVS >= 3.7) or its log, besides OVSDB's
  ``hw-offload`` (turned off, it stays on until a restart);
* the next hop toward every remote VTEP: mlx5 keeps an encap rule on the
  slow path while the neighbour is not resolved (``NUD_VALID``, en/tc_tun.c);
* TC flower filters, both directions: on the representor's ingress (what
  the VF sends) and on the tunnel netdev or uplink redirecting to it (what
  it receives), ``in_hw``/``not_in_hw`` and their hardware counters;
* conntrack: the established connections of the VF's zone in hardware;
* the datapath flows of both directions (:mod:`flowprog.dpattrib`), with
  why each one that is not in hardware is not (:mod:`flowprog.dpreasons`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flowprog.dpreasons import FlowWhy

__all__ = ["Offload", "Traffic", "FlowCount", "TcCount", "NextHop", "Conntrack", "FlowApi", "OffloadEvidence",
           "judge", "MIN_PACKETS", "SHARE_OK", "SHARE_NONE", "DIRECTIONS", "share_text"]

DIRECTIONS = ("tx", "rx")  # the VF's: what it sends, what it receives
MIN_PACKETS = 100  # packets in the interval before the counters decide: a few ARP or DHCP packets say nothing
SHARE_OK = 0.9  # at least this share in hardware: offloaded (first packets of new flows always go to software)
SHARE_NONE = 0.1  # at most this share in hardware: not offloaded at all


@dataclass(frozen=True, slots=True)
class Offload:
    ovs_hw_offload: bool | None
    tc_policy: str | None
    kernel_netdev: bool  # the representor exists as a kernel netdev (not on the dummy datapath)
    eswitch: str | None  # the PF's e-switch mode
    representor_tc: bool | None  # hw-tc-offload on the representor
    uplink_tc: bool | None
    dp_flows: int = 0  # datapath flows with this in_port
    dp_offloaded: int = 0
    dp_partial: int = 0
    tc_in_hw: int | None = None  # flower rules on the representor's ingress
    tc_not_in_hw: int | None = None


@dataclass(frozen=True, slots=True)
class Traffic:
    """One direction of a VF's packets: switched by the hardware or handled in software."""

    hw_packets: int  # since the representor's counters started
    sw_packets: int
    hw_bytes: int
    sw_bytes: int
    hw_pps: float | None = None  # over the interval; None: one sample only
    sw_pps: float | None = None

    @property
    def share(self) -> float | None:
        """The hardware share of the interval's packets; None without an interval or packets."""
        if self.hw_pps is None or self.sw_pps is None or self.hw_pps + self.sw_pps <= 0:
            return None
        return self.hw_pps / (self.hw_pps + self.sw_pps)


@dataclass(frozen=True, slots=True)
class FlowCount:
    """The datapath flows of one direction of a VF."""

    flows: int = 0
    offloaded: int = 0  # offloaded:yes
    partial: int = 0  # offloaded:partial
    hw_packets: int = 0  # packets of the offloaded flows, since each was installed
    sw_packets: int = 0


@dataclass(frozen=True, slots=True)
class TcCount:
    """The TC flower filters of one direction of a VF, and what their actions counted."""

    filters: int = 0
    in_hw: int = 0
    not_in_hw: int = 0
    packets: int = 0  # TCA_STATS_BASIC: every packet
    hw_packets: int = 0  # TCA_STATS_BASIC_HW: of those, in hardware


@dataclass(frozen=True, slots=True)
class NextHop:
    """The neighbour the kernel (and mlx5) resolve to reach a remote VTEP from a local one."""

    vtep_ip: str
    remote_ip: str
    ip: str  # the gateway, or the remote VTEP itself when it is on the link
    device: str
    state: str | None  # NUD_* name; None: not in the neighbour table (nothing tried to reach it yet)
    resolved: bool | None  # None: not in the table

    @property
    def unresolved(self) -> bool:
        return self.resolved is False


@dataclass(frozen=True, slots=True)
class Conntrack:
    """The connections of the VF's conntrack zone (br-int external_ids ct-zone-<iface-id>)."""

    zone: int
    entries: int = 0
    offloadable: int = 0
    offloaded: int = 0
    in_hw: int = 0
    icmp: int = 0


@dataclass(frozen=True, slots=True)
class FlowApi:
    """Whether ovs-vswitchd really runs with flow offload enabled (node-wide)."""

    running: bool | None  # None: neither dpif/offload/show nor the log's tail says
    source: str | None  # where that comes from, in words: the dpif/offload/show line or the log line


@dataclass(frozen=True, slots=True)
class OffloadEvidence:
    traffic: Mapping[str, Traffic] | None = None  # direction -> packets; None: no hardware counters
    traffic_error: str | None = None  # why there are none
    seconds: float | None = None  # the interval the rates are over
    flows: Mapping[str, FlowCount] = field(default_factory=dict)  # direction -> datapath flows
    tc: Mapping[str, TcCount] = field(default_factory=dict)  # direction -> flower filters
    ingress_qdisc: bool | None = None  # the representor's ingress (or clsact) qdisc
    next_hops: tuple[NextHop, ...] = ()
    neighbours_error: str | None = None
    conntrack: Conntrack | None = None
    conntrack_error: str | None = None
    flow_api: FlowApi = FlowApi(None, None)
    why: tuple[FlowWhy, ...] = ()  # the flows not in hardware, with their reason
    eswitch_error: str | None = None  # why devlink could not tell the PF's e-switch mode (it is "unknown")

    def interval_packets(self) -> tuple[float, float]:
        """(hardware, software) packets per second over the interval, both directions; zeros without one."""
        if self.traffic is None:
            return 0.0, 0.0
        return (sum(t.hw_pps or 0.0 for t in self.traffic.values()),
                sum(t.sw_pps or 0.0 for t in self.traffic.values()))


def share_text(share: float | None) -> str:
    """A hardware share as a person reads it: ``"99%"``; ``"-"`` when unknown (a share just under 100% is 99%)."""
    if share is None:
        return "-"
    percent = int(share * 100)
    return f"{percent}%"


def _directions(ev: OffloadEvidence) -> str:
    if ev.traffic is None:
        return ""
    parts = [f"{d} {share_text(t.share)}" for d, t in ev.traffic.items() if t.share is not None]
    return f" ({', '.join(parts)} in hardware)" if parts else ""


def _by_traffic(ev: OffloadEvidence, *, floor: bool = True) -> tuple[str, str] | None:
    """The verdict the counters give, when they give one."""
    if ev.traffic is None or ev.seconds is None:
        return None
    hw, sw = ev.interval_packets()
    moved = (hw + sw) * ev.seconds
    if moved <= 0 or (floor and moved < MIN_PACKETS):
        return None
    share = hw / (hw + sw)
    over = f"over the last {ev.seconds:.3g} s{_directions(ev)}"
    software = f"{share_text(1 - share)} of its packets reached software {over}"
    if share <= SHARE_NONE:
        return "not-offloaded", software + _flags_disagree(ev)
    if share < SHARE_OK:
        return "partial", software + _flags_disagree(ev)
    return "offloaded", f"{share_text(share)} of its packets in hardware {over}"


def _flags_disagree(ev: OffloadEvidence) -> str:
    flows = list(ev.flows.values())
    total, done = sum(c.flows for c in flows), sum(c.offloaded for c in flows)
    if total and done == total:
        return f", although all {total} datapath flows say offloaded:yes"
    return ""


def _flows(ev: OffloadEvidence | None, off: Offload) -> tuple[int, int, int, str]:
    """(flows, offloaded, partial, what they are) of both directions, or the representor's ingress flows."""
    if ev is None or not ev.flows:
        return off.dp_flows, off.dp_offloaded, off.dp_partial, ""
    tx, rx = ev.flows.get("tx", FlowCount()), ev.flows.get("rx", FlowCount())
    detail = f" (received: {rx.offloaded} of {rx.flows})" if rx.flows else ""
    return tx.flows + rx.flows, tx.offloaded + rx.offloaded, tx.partial + rx.partial, detail


def judge(off: Offload, ev: OffloadEvidence | None, pf: str | None, dp_error: str | None = None,
          host_error: str | None = None) -> tuple[str, str]:
    """The verdict of a path nothing breaks: ``not-offloaded``, ``unknown``,
    ``partial``, ``idle`` or ``offloaded``, and why in words."""
    api = ev.flow_api if ev is not None else FlowApi(None, None)
    note = ""
    if off.ovs_hw_offload is False:
        if api.running is not True:
            return "not-offloaded", "OVS hw-offload is off: every flow stays in the software datapath"
        note = "; OVS hw-offload is false in OVSDB but ovs-vswitchd still runs with offload on (until restarted)"
    elif off.ovs_hw_offload is True and api.running is False:
        return "not-offloaded", ("hw-offload is true in OVSDB but ovs-vswitchd runs with flow offload disabled"
                                 f" ({api.source}); restart it")
    verdict, reason = _judge(off, ev, pf, dp_error, host_error)
    return verdict, reason + note


def _judge(off: Offload, ev: OffloadEvidence | None, pf: str | None, dp_error: str | None,
           host_error: str | None) -> tuple[str, str]:
    if host_error is not None:
        return "unknown", f"the host's netdevs could not be read: {host_error}"
    if not off.kernel_netdev:
        return "not-offloaded", "the representor is not a kernel netdev here: software datapath only"
    if off.eswitch not in (None, "switchdev", "unknown"):
        return "not-offloaded", f"the e-switch of {pf or 'its PF'} is in {off.eswitch} mode"
    if off.representor_tc is False:
        return "not-offloaded", "hw-tc-offload is off on the representor"
    if off.uplink_tc is False:
        return "not-offloaded", f"hw-tc-offload is off on the uplink {pf}"
    if off.tc_policy == "skip_hw":
        return "not-offloaded", "OVS other_config:tc-policy is skip_hw: every TC filter stays in software"
    if ev is not None and ev.ingress_qdisc is False:
        return "not-offloaded", "the representor has no ingress qdisc: OVS cannot put its flows in TC"
    if dp_error is not None:
        return "unknown", f"the datapath flows could not be read: {dp_error}"
    by_traffic = _by_traffic(ev) if ev is not None else None
    if by_traffic is not None and by_traffic[0] != "offloaded":
        return by_traffic
    if off.eswitch == "unknown" and by_traffic is None:  # only the packets could vouch for it
        why = ev.eswitch_error if ev is not None and ev.eswitch_error else "devlink did not answer"
        return "unknown", f"the e-switch mode of {pf or 'its PF'} could not be read ({why})"
    flows, full, partial, detail = _flows(ev, off)
    busy = flows > 0 or (ev is not None and sum(ev.interval_packets()) > 0)  # an idle VF sends nowhere
    if busy and ev is not None and (hop := next((h for h in ev.next_hops if h.unresolved), None)) is not None:
        return "partial", (f"the next hop {hop.ip} ({hop.device}) toward remote VTEP {hop.remote_ip} is {hop.state}:"
                           " mlx5 keeps the encap rules to it on the slow path, in software")
    tc_not, tc_in = _tc(off, ev)
    if tc_not:
        return ("partial" if tc_in else "not-offloaded"), f"{tc_not} TC rule(s) of its traffic are not in hardware"
    if ev is not None and (ct := ev.conntrack) is not None and ct.offloadable and ct.in_hw < SHARE_OK * ct.offloadable:
        return "partial", (f"{ct.offloadable - ct.in_hw} of {ct.offloadable} established connections of its "
                           f"conntrack zone {ct.zone} are not in hardware")
    if by_traffic is not None:
        return by_traffic
    if flows == 0:
        moved = _by_traffic(ev, floor=False) if ev is not None else None
        if moved is not None:  # a little traffic and no flow left to look at: the counters say all there is
            return moved
        return "idle", "ready for offload; no datapath flows yet (no traffic)"
    if full == flows:
        return "offloaded", f"all {flows} datapath flows in hardware{_by_flags(ev)}"
    if full or partial:
        return "partial", f"{full} of {flows} datapath flows in hardware ({partial} partially){detail}"
    return "not-offloaded", f"none of {flows} datapath flows is in hardware{detail}"


def _by_flags(ev: OffloadEvidence | None) -> str:
    if ev is None or ev.traffic is not None:
        return ""
    return " (by the flows' flags only: no hardware counters)" if ev.traffic_error else ""


def _tc(off: Offload, ev: OffloadEvidence | None) -> tuple[int, int]:
    """(not in hardware, in hardware) TC filters of both directions."""
    if ev is None or not ev.tc:
        return off.tc_not_in_hw or 0, off.tc_in_hw or 0
    return sum(t.not_in_hw for t in ev.tc.values()), sum(t.in_hw for t in ev.tc.values())
