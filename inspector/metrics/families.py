"""One gather of the exporter -> metric families.  Pure: no I/O, no clock,
no ``prometheus_client`` (the adapter turns :class:`Family` into its types).

The per-node metrics come from the same :class:`~inspector.paths.PathsReport`
``mvtep paths`` prints and the findings ``mvtep preflight`` prints, read
from one snapshot.  When the node itself could not be read there is no
report, and only the exporter's own metrics are there: ``mvtep_up 0`` and
the reason, never the last good verdicts presented as current.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inspector.metrics.table import METRICS, SOURCES, MetricSpec
from inspector.paths import VERDICTS, PathsReport, VfPath
from mvcore.findings import Finding

__all__ = ["Gathered", "Totals", "Sample", "Family", "families"]


@dataclass(frozen=True, slots=True)
class Gathered:
    """What one gather found."""

    taken_at: float  # when it started (Unix time)
    seconds: float  # how long it took
    report: PathsReport | None  # None: the node could not be read (see errors)
    preflight: tuple[Finding, ...] | None  # None: the preflight checks could not run (see errors)
    errors: Mapping[str, str] = field(default_factory=dict)  # source (SOURCES) -> why it could not be read
    read: frozenset[str] = frozenset()  # the sources read fine
    bridge: str = ""  # the integration bridge


@dataclass(frozen=True, slots=True)
class Totals:
    """The exporter's counters since it started."""

    gathers: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)  # source -> gathers in which it failed


@dataclass(frozen=True, slots=True)
class Sample:
    labels: tuple[str, ...]  # values, in the order of the spec's labels
    value: float


@dataclass(frozen=True, slots=True)
class Family:
    spec: MetricSpec
    samples: tuple[Sample, ...]


class _Builder:
    def __init__(self) -> None:
        self.samples: dict[str, list[Sample]] = {m.name: [] for m in METRICS}

    def add(self, name: str, value: float, *labels: str | None) -> None:
        self.samples[name].append(Sample(tuple(v or "" for v in labels), float(value)))

    def families(self) -> tuple[Family, ...]:
        return tuple(Family(m, tuple(self.samples[m.name])) for m in METRICS if self.samples[m.name])


def families(g: Gathered, totals: Totals, version: str) -> tuple[Family, ...]:
    """The metric families of one gather (families without samples left out)."""
    b = _Builder()
    b.add("mvtep_up", 1 if g.report is not None and not g.errors else 0)
    for source in SOURCES:
        if source in g.errors or source in g.read:
            b.add("mvtep_source_up", 0 if source in g.errors else 1, source)
    for source, why in sorted(g.errors.items()):
        b.add("mvtep_gather_error_info", 1, source, why)
    b.add("mvtep_gather_duration_seconds", g.seconds)
    b.add("mvtep_gather_timestamp_seconds", g.taken_at)
    b.add("mvtep_gathers_total", totals.gathers)
    for source in SOURCES:
        b.add("mvtep_gather_errors_total", totals.errors.get(source, 0), source)
    r = g.report
    b.add("mvtep_build_info", 1, version, r.ovs_version if r else None, r.ovn_version if r else None)
    if g.preflight is not None:
        _findings(b, "preflight", g.preflight)
    if r is None:
        return b.families()
    b.add("mvtep_node_info", 1, r.chassis, g.bridge)
    if r.ovs_hw_offload is not None:
        b.add("mvtep_ovs_hw_offload", 1 if r.ovs_hw_offload else 0)
    _vteps(b, r)
    _paths(b, r.paths)
    _findings(b, "verify", (*r.findings, *(f for p in r.paths for f in p.findings)))
    return b.families()


def _vteps(b: _Builder, r: PathsReport) -> None:
    for v in r.vteps:
        b.add("mvtep_vtep_info", 1, v.ip, None if v.encap_id is None else str(v.encap_id), v.pf, v.device)
        egress = [e for p in r.paths if p.vtep_ip == v.ip for e in p.egress]
        if egress:  # the kernel was asked the route to a remote VTEP from this one
            b.add("mvtep_vtep_egress_ok", 1 if all(e.ok for e in egress) else 0, v.ip)
        mine = next((p for p in r.paths if p.vtep_ip == v.ip), None)
        if mine is not None:  # the remote-output flows of an encap id are shared by its VIFs
            b.add("mvtep_vtep_tunnel_packets_total", mine.counters.tunnel_packets, v.ip)
            b.add("mvtep_vtep_tunnel_bytes_total", mine.counters.tunnel_bytes, v.ip)
    ports: dict[tuple[str, str], set[str]] = {}
    for p in r.paths:
        for t in p.tunnels:
            if t.local_ip and t.remote_chassis:
                ports.setdefault((t.local_ip, t.remote_chassis), set()).add(t.interface)
    for (local, chassis), names in sorted(ports.items()):
        b.add("mvtep_tunnels", len(names), local, chassis)


def _paths(b: _Builder, paths: tuple[VfPath, ...]) -> None:
    for verdict in VERDICTS:
        b.add("mvtep_paths", sum(1 for p in paths if p.verdict == verdict), verdict)
    for p in paths:
        name, off = p.interface, p.offload
        b.add("mvtep_path_verdict", 1, name, p.iface_id, p.vf_netdev, p.pf, p.vtep_ip, p.verdict)
        b.add("mvtep_path_datapath_flows", off.dp_flows, name)
        b.add("mvtep_path_datapath_flows_offloaded", off.dp_offloaded, name)
        b.add("mvtep_path_datapath_flows_partial", off.dp_partial, name)
        if off.tc_in_hw is not None and off.tc_not_in_hw is not None:  # read from the kernel
            b.add("mvtep_path_tc_rules", off.tc_in_hw, name, "true")
            b.add("mvtep_path_tc_rules", off.tc_not_in_hw, name, "false")
        b.add("mvtep_path_sent_packets_total", p.counters.packets, name)
        b.add("mvtep_path_sent_bytes_total", p.counters.bytes, name)
        traffic = p.evidence.traffic if p.evidence is not None else None
        for direction, t in (traffic or {}).items():  # only where the representor has hardware counters
            b.add("mvtep_path_packets_total", t.hw_packets, name, direction, "hardware")
            b.add("mvtep_path_packets_total", t.sw_packets, name, direction, "software")
            b.add("mvtep_path_bytes_total", t.hw_bytes, name, direction, "hardware")
            b.add("mvtep_path_bytes_total", t.sw_bytes, name, direction, "software")


def _findings(b: _Builder, command: str, found: Iterable[Finding]) -> None:
    counts: dict[tuple[str, str], int] = {}
    for f in found:
        key = (f.code, f.severity.value)
        counts[key] = counts.get(key, 0) + 1
    for (code, severity), n in sorted(counts.items()):
        b.add("mvtep_findings", n, command, code, severity)
