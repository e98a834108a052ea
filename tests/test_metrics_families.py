"""The exporter's metrics as a pure function of one gather, on the node
snapshot saved from a real OVN 25.03 node (no HTTP, no daemons), and the
prometheus_client adapter's exposition of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from inspector.exporter import GatherLoop
from inspector.metrics.families import Family, Gathered, Totals, families
from inspector.metrics.promclient import LastGather
from inspector.metrics.table import METRICS, SOURCES
from inspector.path_inputs import paths_report
from inspector.paths import VERDICTS, Egress, PathsReport
from mvcore.findings import Finding, Severity
from mvcore.snapshot import NodeSnapshot
from tests.snapshots import DECODER, SNAP, iface, node, with_ovs

ALL_READ = frozenset(SOURCES)


def _gathered(snap: NodeSnapshot = SNAP, **over: object) -> Gathered:
    base: dict[str, object] = dict(taken_at=1000.0, seconds=0.25, report=paths_report(snap, DECODER),
                                   preflight=(), errors={}, read=ALL_READ, bridge="br-int")
    base.update(over)
    return Gathered(**base)  # type: ignore[arg-type]


def _series(fams: tuple[Family, ...]) -> dict[str, list[dict[str, object]]]:
    """name -> [labels + value], as a person reads the exposition."""
    out: dict[str, list[dict[str, object]]] = {}
    for f in fams:
        out[f.spec.name] = [{**dict(zip(f.spec.labels, s.labels, strict=True)), "value": s.value} for s in f.samples]
    return out


def test_one_series_per_vf_path_with_its_verdict() -> None:
    g = _gathered()
    assert g.report is not None
    m = _series(families(g, Totals(gathers=3), "0.1.0"))
    assert m["mvtep_up"] == [{"value": 1.0}]
    verdicts = {s["interface"]: s for s in m["mvtep_path_verdict"]}
    assert set(verdicts) == {p.interface for p in g.report.paths}
    p = g.report.paths[0]
    assert verdicts[p.interface] == {"interface": p.interface, "iface_id": p.iface_id, "vf": p.vf_netdev or "",
                                     "pf": p.pf or "", "vtep_ip": p.vtep_ip or "", "verdict": p.verdict, "value": 1.0}
    by_verdict = {s["verdict"]: s["value"] for s in m["mvtep_paths"]}
    assert list(by_verdict) == list(VERDICTS) and sum(by_verdict.values()) == len(g.report.paths)  # type: ignore[arg-type]
    assert {s["interface"] for s in m["mvtep_path_datapath_flows"]} == set(verdicts)
    assert m["mvtep_node_info"] == [{"chassis": g.report.chassis, "bridge": "br-int", "value": 1.0}]
    assert m["mvtep_gathers_total"] == [{"value": 3.0}]


def test_vteps_and_tunnels_per_local_vtep_and_remote_chassis() -> None:
    m = _series(families(_gathered(), Totals(), "0.1.0"))
    assert {s["vtep_ip"] for s in m["mvtep_vtep_info"]} == set(node().encap_ips)
    expected: dict[tuple[str, str], int] = {}
    for t in node().tunnels:
        if t.local_ip and t.remote_chassis:
            expected[(t.local_ip, t.remote_chassis)] = expected.get((t.local_ip, t.remote_chassis), 0) + 1
    assert {(s["vtep_ip"], s["remote_chassis"]): s["value"] for s in m["mvtep_tunnels"]} == expected


def test_a_wrong_encap_ip_turns_the_verdict_series_broken_and_counts_the_finding() -> None:
    broken = with_ovs(lambda rows: iface(rows, "enp2s0f0_0")["external_ids"].update({"encap-ip": "10.9.9.9"}))
    m = _series(families(_gathered(broken), Totals(), "0.1.0"))
    verdict = next(s for s in m["mvtep_path_verdict"] if s["interface"] == "enp2s0f0_0")
    assert verdict["verdict"] == "broken"
    assert {"command": "verify", "code": "encap-ip-unknown", "severity": "error", "value": 1.0} in m["mvtep_findings"]
    before = _series(families(_gathered(), Totals(), "0.1.0"))
    assert next(s for s in before["mvtep_path_verdict"] if s["interface"] == "enp2s0f0_0")["verdict"] != "broken"


def test_findings_counted_by_command_code_and_severity() -> None:
    pre = (Finding("hw-tc-offload-off", Severity.ERROR, "off", subject="a"),
           Finding("hw-tc-offload-off", Severity.ERROR, "off", subject="b"),
           Finding("needs-root", Severity.INFO, "not root"))
    m = _series(families(_gathered(preflight=pre), Totals(), "0.1.0"))
    found = m["mvtep_findings"]
    assert {"command": "preflight", "code": "hw-tc-offload-off", "severity": "error", "value": 2.0} in found
    assert {"command": "preflight", "code": "needs-root", "severity": "info", "value": 1.0} in found


def test_an_unread_node_has_only_the_exporters_own_metrics_and_says_why() -> None:
    g = Gathered(1000.0, 5.0, None, None, {"ovsdb": "ovsdb-server did not answer in 5 s"})
    m = _series(families(g, Totals(gathers=7, errors={"ovsdb": 2}), "0.1.0"))
    assert m["mvtep_up"] == [{"value": 0.0}]
    assert m["mvtep_source_up"] == [{"source": "ovsdb", "value": 0.0}]
    assert m["mvtep_gather_error_info"] == [{"source": "ovsdb", "error": "ovsdb-server did not answer in 5 s",
                                              "value": 1.0}]
    assert {"source": "ovsdb", "value": 2.0} in m["mvtep_gather_errors_total"]
    assert not {"mvtep_path_verdict", "mvtep_node_info", "mvtep_paths", "mvtep_vtep_info"} & set(m)


def test_a_gone_optional_source_is_up_0_and_the_paths_stay() -> None:
    g = _gathered(errors={"ovn-controller": "no ovn-controller control socket"},
                  read=ALL_READ - {"ovn-controller"})
    m = _series(families(g, Totals(), "0.1.0"))
    assert m["mvtep_up"] == [{"value": 0.0}]
    assert {"source": "ovn-controller", "value": 0.0} in m["mvtep_source_up"]
    assert {"source": "ovsdb", "value": 1.0} in m["mvtep_source_up"]
    assert m["mvtep_path_verdict"]


def _with_paths(report: PathsReport, **offload: object) -> PathsReport:
    return dataclasses.replace(report, paths=tuple(
        dataclasses.replace(p, offload=dataclasses.replace(p.offload, **offload)) for p in report.paths))


def test_tc_rules_are_series_only_when_the_kernel_was_asked() -> None:
    report = paths_report(SNAP, DECODER)
    assert "mvtep_path_tc_rules" not in _series(families(_gathered(report=report), Totals(), "v"))
    read = _series(families(_gathered(report=_with_paths(report, tc_in_hw=3, tc_not_in_hw=1)), Totals(), "v"))
    one = [s for s in read["mvtep_path_tc_rules"] if s["interface"] == report.paths[0].interface]
    assert sorted((s["in_hw"], s["value"]) for s in one) == [("false", 1.0), ("true", 3.0)]


def test_vtep_egress_ok_is_every_remote_routed_out_of_its_own_device() -> None:
    report = paths_report(SNAP, DECODER)
    def egress(ip: str, device: str) -> tuple[Egress, ...]:
        return (Egress(ip, "10.1.0.1", 6082, device, f"vtep{ip[-1]}", True),)
    paths = tuple(dataclasses.replace(p, egress=egress(p.vtep_ip or "", "vtep0" if p.vtep_ip == "10.0.0.2" else
                                                       f"vtep{(p.vtep_ip or '0')[-1]}"))
                  for p in report.paths)
    m = _series(families(_gathered(report=dataclasses.replace(report, paths=paths)), Totals(), "v"))
    ok = {s["vtep_ip"]: s["value"] for s in m["mvtep_vtep_egress_ok"]}
    assert ok["10.0.0.2"] == 0.0 and ok["10.0.0.1"] == 1.0
    assert "mvtep_vtep_egress_ok" not in _series(families(_gathered(), Totals(), "v"))  # the kernel was not asked


def test_exposition_names_types_and_help_follow_the_table() -> None:
    from inspector.offload import OffloadEvidence, Traffic
    collector = LastGather()
    report = _with_paths(paths_report(SNAP, DECODER), tc_in_hw=1, tc_not_in_hw=0)
    counted = OffloadEvidence(traffic={d: Traffic(9, 1, 900, 100) for d in ("tx", "rx")})
    report = dataclasses.replace(report, paths=tuple(dataclasses.replace(p, evidence=counted) for p in report.paths))
    collector.update(families(_gathered(preflight=(Finding("needs-root", Severity.INFO, "x"),), report=report),
                              Totals(gathers=1), "0.1.0"))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    parsed = {f.name: f for f in text_string_to_metric_families(text)}
    for spec in METRICS:
        if spec.name in ("mvtep_gather_error_info", "mvtep_vtep_egress_ok"):
            continue  # not in a healthy gather without route answers
        name = spec.name.removesuffix("_total") if spec.type == "counter" else spec.name
        assert parsed[name].type == spec.type, spec.name
        assert parsed[name].documentation == spec.help
        assert all(s.name == spec.name for s in parsed[name].samples), spec.name
        assert all(set(s.labels) == set(spec.labels) for s in parsed[name].samples), spec.name


def test_table_names_are_prometheus_style() -> None:
    for spec in METRICS:
        assert spec.name.startswith("mvtep_")
        assert spec.name.endswith("_total") == (spec.type == "counter"), spec.name
        assert not any(unit in spec.name for unit in ("_ms", "_milliseconds", "_kb", "_mb")), spec.name


def test_the_loop_survives_its_own_bugs_and_reports_them() -> None:
    lines: list[str] = []
    calls = iter([RuntimeError("boom"), _gathered()])

    def read() -> Gathered:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    loop = GatherLoop(read, LastGather(), interval=10, version="v", log=lines.append)
    first = loop.gather_once()
    assert first.report is None and "internal error: RuntimeError: boom" in first.errors["exporter"]
    assert loop.health() == (False, "exporter: internal error: RuntimeError: boom")
    loop.gather_once()
    assert loop.health()[0] and loop.totals.gathers == 2 and loop.totals.errors == {"exporter": 1}
    assert lines == ["mvtep exporter: exporter: internal error: RuntimeError: boom",
                     "mvtep exporter: exporter: read again"]


def test_the_readme_documents_every_metric_with_its_type_and_labels() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for spec in METRICS:
        labels = ", ".join(f"`{name}`" for name in spec.labels) or "-"
        assert f"| `{spec.name}` | {spec.type} | {labels} | {spec.help} |" in readme, spec.name


def test_packets_and_bytes_per_direction_and_datapath_where_there_are_hardware_counters() -> None:
    from inspector.offload import OffloadEvidence, Traffic
    g = _gathered()
    assert g.report is not None
    first = g.report.paths[0]
    ev = OffloadEvidence(traffic={"tx": Traffic(950, 50, 95_000, 5_000, 9.5, 0.5),
                                  "rx": Traffic(400, 0, 40_000, 0, 4.0, 0.0)}, seconds=1.0)
    paths = (dataclasses.replace(first, evidence=ev), *g.report.paths[1:])
    m = _series(families(dataclasses.replace(g, report=dataclasses.replace(g.report, paths=paths)), Totals(), "x"))
    packets = {(s["direction"], s["datapath"]): s["value"] for s in m["mvtep_path_packets_total"]}
    assert packets == {("tx", "hardware"): 950, ("tx", "software"): 50, ("rx", "hardware"): 400,
                       ("rx", "software"): 0}
    assert {s["interface"] for s in m["mvtep_path_bytes_total"]} == {first.interface}  # the others have none
    assert {(s["direction"], s["datapath"], s["value"]) for s in m["mvtep_path_bytes_total"]} == {
        ("tx", "hardware", 95_000), ("tx", "software", 5_000), ("rx", "hardware", 40_000), ("rx", "software", 0)}
