"""Every metric ``mvtep exporter`` exports: name, type, labels, help.

Named the Prometheus way (https://prometheus.io/docs/practices/naming/):
the ``mvtep_`` prefix, base units (seconds, bytes), ``_total`` on counters,
``_info`` on series whose value is always 1 and whose labels carry the
information.  No label is unbounded: per-VF series are keyed by the
representor's interface name, findings by their code from the README's
table, sources by the fixed :data:`SOURCES`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricSpec", "METRICS", "SOURCES", "INTERNAL", "by_name"]

# What the exporter reads, as the ``source`` label names it.
# "exporter" is never read: it names a gather that failed on an error of mvtep's own.
SOURCES = ("ovsdb", "openflow", "southbound", "sysfs", "netlink", "datapath", "ovs-vswitchd", "ovn-controller",
           "preflight")
INTERNAL = "exporter"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str  # as exposed: counters end in _total
    type: str  # "gauge" or "counter"
    labels: tuple[str, ...]
    help: str


_PATH = ("interface",)  # the VF representor's OVS interface: one VF path

METRICS: tuple[MetricSpec, ...] = (
    # -- the exporter and its gathers
    MetricSpec("mvtep_up", "gauge", (),
               "1 when the last gather read every source; 0 while one is gone (mvtep_source_up says which)"),
    MetricSpec("mvtep_source_up", "gauge", ("source",), "1 when the last gather read this source, 0 when it failed"),
    MetricSpec("mvtep_gather_error_info", "gauge", ("source", "error"),
               "why a source could not be read on the last gather (one series per failing source, value 1)"),
    MetricSpec("mvtep_gather_duration_seconds", "gauge", (), "how long the last gather took"),
    MetricSpec("mvtep_gather_timestamp_seconds", "gauge", (), "when the last gather started (Unix time)"),
    MetricSpec("mvtep_gathers_total", "counter", (), "gathers since the exporter started"),
    MetricSpec("mvtep_gather_errors_total", "counter", ("source",), "gathers in which a source could not be read"),
    MetricSpec("mvtep_build_info", "gauge", ("version", "ovs_version", "ovn_version"),
               "mvtep's version and the versions ovs-vswitchd and ovn-controller report (value 1)"),
    MetricSpec("mvtep_node_info", "gauge", ("chassis", "bridge"), "the node's OVN chassis and integration bridge"),
    MetricSpec("mvtep_ovs_hw_offload", "gauge", (), "OVS other_config:hw-offload: 1 true, 0 false"),
    # -- VTEPs and tunnels
    MetricSpec("mvtep_vtep_info", "gauge", ("vtep_ip", "encap_id", "pf", "device"),
               "a VTEP (ovn-encap-ip): its encap id, its PF (ovn-pf-encap-ip-mapping), the interface holding it"),
    MetricSpec("mvtep_vtep_egress_ok", "gauge", ("vtep_ip",),
               "1 when the kernel routes this VTEP's tunnel traffic to every remote VTEP out of its own device"),
    MetricSpec("mvtep_vtep_tunnel_packets_total", "counter", ("vtep_ip",),
               "packets of the remote-output flows of this VTEP's encap id (OpenFlow counters)"),
    MetricSpec("mvtep_vtep_tunnel_bytes_total", "counter", ("vtep_ip",),
               "bytes of the remote-output flows of this VTEP's encap id (OpenFlow counters)"),
    MetricSpec("mvtep_tunnels", "gauge", ("vtep_ip", "remote_chassis"),
               "tunnel ports the flows use from this local VTEP to this remote chassis"),
    # -- VF paths
    MetricSpec("mvtep_paths", "gauge", ("verdict",), "VF paths by verdict"),
    MetricSpec("mvtep_path_verdict", "gauge", ("interface", "iface_id", "vf", "pf", "vtep_ip", "verdict"),
               "one series per VF path, value 1; the verdict label is the path's verdict"),
    MetricSpec("mvtep_path_datapath_flows", "gauge", _PATH, "datapath flows with the representor as in_port"),
    MetricSpec("mvtep_path_datapath_flows_offloaded", "gauge", _PATH,
               "of those, in hardware (dpctl/dump-flows -m: offloaded:yes)"),
    MetricSpec("mvtep_path_datapath_flows_partial", "gauge", _PATH,
               "of those, partially offloaded (offloaded:partial)"),
    MetricSpec("mvtep_path_tc_rules", "gauge", ("interface", "in_hw"),
               "TC flower rules on the representor's ingress, in hardware (in_hw) or not (not_in_hw)"),
    MetricSpec("mvtep_path_sent_packets_total", "counter", _PATH,
               "packets the VF sent into br-int (its table-0 flow's OpenFlow counter)"),
    MetricSpec("mvtep_path_sent_bytes_total", "counter", _PATH,
               "bytes the VF sent into br-int (its table-0 flow's OpenFlow counter)"),
    MetricSpec("mvtep_path_packets_total", "counter", ("interface", "direction", "datapath"),
               "packets of the VF (direction tx: sent, rx: received) switched by the hardware or handled in "
               "software, from its representor's vport and software counters (ethtool -S)"),
    MetricSpec("mvtep_path_bytes_total", "counter", ("interface", "direction", "datapath"),
               "bytes of the VF by direction and datapath, as mvtep_path_packets_total"),
    # -- findings
    MetricSpec("mvtep_findings", "gauge", ("command", "code", "severity"),
               "current findings of mvtep verify and mvtep preflight, by code"),
)


def by_name() -> dict[str, MetricSpec]:
    return {m.name: m for m in METRICS}
