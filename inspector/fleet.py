"""``mvtep fleet``: which nodes are in trouble, from the Prometheus that
scrapes every node's ``mvtep exporter``.

Prometheus is the engine that aggregates the fleet: :data:`QUERIES` ask it
for per-node aggregates and the broken paths, and :func:`fleet_report` joins
the answers by target (``instance``) into one row per node, worst first.
Pure apart from :func:`read_fleet`, which asks the queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from inspector.paths import VERDICTS
from inspector.promapi import PrometheusApi, PromSample
from mvcore.errors import NotFound

__all__ = ["QUERIES", "FleetNode", "BrokenPath", "FleetReport", "STATUSES", "fleet_report", "read_fleet"]

# Every target of a job that has mvtep series (in the last hour: a node whose
# exporter just went down still has its row, with up 0).
_MVTEP_JOBS = "count by (job) (last_over_time(mvtep_build_info[1h]))"
QUERIES: Mapping[str, str] = {
    "targets": f"up and on (job) {_MVTEP_JOBS}",
    "gathering": "mvtep_up",
    "node": "mvtep_node_info",
    "paths": "mvtep_paths",
    "vteps": "count by (instance) (mvtep_vtep_info)",
    "egress_wrong": "count by (instance) (mvtep_vtep_egress_ok == 0)",
    "flows": "sum by (instance) (mvtep_path_datapath_flows)",
    "flows_offloaded": "sum by (instance) (mvtep_path_datapath_flows_offloaded)",
    "errors": 'sum by (instance) (mvtep_findings{severity="error"})',
    "broken": 'mvtep_path_verdict{verdict="broken"}',
}

# A node's status, worst first: the exporter is not scraped; it cannot read
# the node; a path is broken or a VTEP's egress wrong; error findings; paths
# not (fully) offloaded or unknown; all well.
STATUSES = ("down", "failing", "broken", "errors", "degraded", "ok")
_TROUBLE = frozenset(STATUSES[:4])


@dataclass(frozen=True, slots=True)
class FleetNode:
    instance: str  # the scrape target
    node: str  # the node's name: the target's node label, else the OVN chassis, else the target
    status: str  # one of STATUSES
    exporter_up: bool
    gathering: bool | None  # mvtep_up; None: no answer (the exporter is down)
    vteps: int
    vteps_egress_wrong: int
    paths: Mapping[str, int]  # verdict -> VF paths
    hardware_flow_share: float | None  # datapath flows in hardware / all; None: no datapath flows
    error_findings: int

    @property
    def in_trouble(self) -> bool:
        return self.status in _TROUBLE


@dataclass(frozen=True, slots=True)
class BrokenPath:
    instance: str
    node: str
    interface: str
    iface_id: str
    vf: str
    pf: str
    vtep_ip: str


@dataclass(frozen=True, slots=True)
class FleetReport:
    prometheus: str
    nodes: tuple[FleetNode, ...]  # worst first
    broken: tuple[BrokenPath, ...]
    notes: tuple[str, ...] = field(default=())


def _by_instance(samples: tuple[PromSample, ...]) -> dict[str, float]:
    return {s.labels.get("instance", ""): s.value for s in samples}


def _status(exporter_up: bool, gathering: bool | None, broken: int, egress_wrong: int, errors: int,
            paths: Mapping[str, int]) -> str:
    if not exporter_up:
        return "down"
    if gathering is not True:
        return "failing"
    if broken or egress_wrong:
        return "broken"
    if errors:
        return "errors"
    if any(paths.get(v, 0) for v in ("unknown", "not-offloaded", "partial")):
        return "degraded"
    return "ok"


def fleet_report(url: str, answers: Mapping[str, tuple[PromSample, ...]]) -> FleetReport:
    """One row per target of a job with mvtep series, worst first, then the broken paths."""
    targets = _by_instance(answers["targets"])
    if not targets:
        raise NotFound(f"Prometheus at {url} has no mvtep series",
                       hint="is it scraping mvtep exporter on the nodes? (deploy/ has the ServiceMonitor)",
                       topic="prometheus")
    gathering = _by_instance(answers["gathering"])
    names: dict[str, str] = {}
    for s in answers["node"]:
        names[s.labels.get("instance", "")] = s.labels.get("node") or s.labels.get("chassis") or ""
    paths: dict[str, dict[str, int]] = {}
    for s in answers["paths"]:
        paths.setdefault(s.labels.get("instance", ""), {})[s.labels.get("verdict", "")] = int(s.value)
    vteps, wrong = _by_instance(answers["vteps"]), _by_instance(answers["egress_wrong"])
    flows, offloaded = _by_instance(answers["flows"]), _by_instance(answers["flows_offloaded"])
    errors = _by_instance(answers["errors"])
    nodes = []
    for instance, up in targets.items():
        mine = {v: paths.get(instance, {}).get(v, 0) for v in VERDICTS}
        gather = None if instance not in gathering else gathering[instance] == 1
        total = flows.get(instance, 0)
        share = offloaded.get(instance, 0) / total if total else None
        nodes.append(FleetNode(
            instance, names.get(instance) or instance,
            _status(up == 1, gather, mine["broken"], int(wrong.get(instance, 0)), int(errors.get(instance, 0)), mine),
            up == 1, gather, int(vteps.get(instance, 0)), int(wrong.get(instance, 0)), mine, share,
            int(errors.get(instance, 0))))
    nodes.sort(key=lambda n: (STATUSES.index(n.status), -n.paths["broken"], -n.error_findings, n.node))
    broken = sorted((BrokenPath(s.labels.get("instance", ""), names.get(s.labels.get("instance", "")) or
                                s.labels.get("instance", ""), s.labels.get("interface", ""),
                                s.labels.get("iface_id", ""), s.labels.get("vf", ""), s.labels.get("pf", ""),
                                s.labels.get("vtep_ip", ""))
                     for s in answers["broken"]), key=lambda b: (b.node, b.interface))
    return FleetReport(url, tuple(nodes), tuple(broken))


def read_fleet(api: PrometheusApi) -> FleetReport:
    return fleet_report(api.url, {name: api.query(q) for name, q in QUERIES.items()})
