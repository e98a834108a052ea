"""``deploy/``: the alert rules under ``promtool`` (Debian's Prometheus, fetched
like OVN), the Kubernetes manifests against the Kubernetes API schemas
(kubernetes-validate, offline) and the Prometheus operator's CRD schemas, and
the Grafana dashboard against the metrics the exporter really exports."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from inspector.metrics.table import METRICS
from mvtep.sandbox.prometheus import ensure_prometheus
from mvtep.sandbox.toolroot import ToolRoot

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "mvtep-rules.yml"
CRDS = Path(__file__).parent / "data" / "crds"
# The oldest Kubernetes minor still under upstream support when this was
# written, and the newest the validator knows.
K8S_VERSIONS = ("1.31.0", kubernetes_validate.utils.latest_version())


@pytest.fixture(scope="module")
def prom() -> ToolRoot:
    return ensure_prometheus(os.environ)


def promtool(tools: ToolRoot, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(tools.argv("promtool", *args), cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


def test_rules_pass_promtool_check_and_their_unit_tests(prom: ToolRoot) -> None:
    checked = promtool(prom, "check", "rules", RULES.name, cwd=RULES.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool(prom, "test", "rules", "mvtep-rules.test.yml", cwd=RULES.parent)
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def test_rule_unit_tests_fail_when_a_rule_is_removed(prom: ToolRoot, tmp_path: Path) -> None:
    """The unit tests really depend on the rules: without MvtepPathBroken they fail."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        group["rules"] = [r for r in group["rules"] if r.get("alert") != "MvtepPathBroken"]
    (tmp_path / RULES.name).write_text(yaml.safe_dump(rules))
    (tmp_path / "t.yml").write_text((RULES.parent / "mvtep-rules.test.yml").read_text())
    assert promtool(prom, "test", "rules", "t.yml", cwd=tmp_path).returncode != 0


def _every_alert_says_what_to_run() -> list[str]:
    alerts = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r]
    return [a["alert"] for a in alerts if "`mvtep " not in a["annotations"]["summary"]]


def test_every_alert_summary_names_the_mvtep_command_to_run() -> None:
    assert _every_alert_says_what_to_run() == []


def _manifests() -> list[tuple[Path, dict[str, Any]]]:
    return [(p, doc) for p in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
            for doc in yaml.safe_load_all(p.read_text()) if doc]


def test_prometheusrule_carries_exactly_the_rule_file() -> None:
    rule = next(doc for _p, doc in _manifests() if doc["kind"] == "PrometheusRule")
    assert rule["spec"] == yaml.safe_load(RULES.read_text())


def _strict(schema: Any) -> Any:
    """An OpenAPI v3 CRD schema as the API server applies it: fields it does
    not declare are not kept (structural pruning), so here they are errors."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out and \
                not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _crd_errors(doc: dict[str, Any]) -> list[str]:
    crd = json.loads((CRDS / f"{doc['kind'].lower()}.json").read_text())
    assert doc["apiVersion"] == f"{crd['group']}/{crd['version']}"
    validator = jsonschema.Draft4Validator(_strict(crd["openAPIV3Schema"]))
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]


def _k8s_errors(doc: dict[str, Any], version: str) -> list[str]:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{'.'.join(map(str, e.path))}: {e.message}"]
    return []


def _errors(doc: dict[str, Any], version: str) -> list[str]:
    if doc["apiVersion"].startswith("monitoring.coreos.com/"):
        return _crd_errors(doc)
    return _k8s_errors(doc, version)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_validates_against_the_api_schemas(version: str) -> None:
    found = _manifests()
    assert {doc["kind"] for _p, doc in found} == {"Namespace", "ServiceAccount", "DaemonSet", "Service",
                                                  "ServiceMonitor", "PrometheusRule"}
    for path, doc in found:
        assert _errors(doc, version) == [], path.name


def test_the_validators_catch_mistakes() -> None:
    docs = {doc["kind"]: doc for _p, doc in _manifests()}
    ds = copy.deepcopy(docs["DaemonSet"])
    ds["spec"]["template"]["spec"]["hostNetwork"] = "yes"
    assert _errors(ds, K8S_VERSIONS[-1])
    ds = copy.deepcopy(docs["DaemonSet"])
    ds["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilites"] = {}  # a misspelt field
    assert _errors(ds, K8S_VERSIONS[-1])
    sm = copy.deepcopy(docs["ServiceMonitor"])
    sm["spec"]["endpoint"] = sm["spec"].pop("endpoints")
    assert _errors(sm, K8S_VERSIONS[-1])
    rule = copy.deepcopy(docs["PrometheusRule"])
    rule["spec"]["groups"][0]["rules"][0]["expr"] = {"not": "a string"}
    assert _errors(rule, K8S_VERSIONS[-1])


def test_daemonset_reads_the_node_read_only_with_exactly_the_capabilities_it_needs() -> None:
    docs = {doc["kind"]: doc for _p, doc in _manifests()}
    pod = docs["DaemonSet"]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True and "feature.node.kubernetes.io/pci-15b3.present" in pod["nodeSelector"]
    container = pod["containers"][0]
    sc = container["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN", "DAC_OVERRIDE"]}
    assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and "privileged" not in sc
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert set(mounts) >= {"/var/run/openvswitch", "/var/run/ovn", "/sys", "/var/log/openvswitch"}
    assert all(m["readOnly"] for m in mounts.values())
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["OVS_RUNDIR"] in mounts and env["OVN_RUNDIR"] in mounts
    port = container["ports"][0]
    assert container["args"][container["args"].index("--listen") + 1] == f":{port['containerPort']}"
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    assert docs["ServiceMonitor"]["spec"]["endpoints"][0]["port"] == docs["Service"]["spec"]["ports"][0]["name"]
    assert "readinessProbe" not in container  # a failing gather must keep being scraped (mvtep_up 0)


def _dashboard_exprs() -> list[str]:
    dash = json.loads((DEPLOY / "grafana" / "mvtep-node.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
    return exprs


def test_dashboard_references_only_metrics_the_exporter_exports(prom: ToolRoot, tmp_path: Path) -> None:
    exported = {m.name for m in METRICS}
    recorded = {r["record"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "record" in r}
    exprs = _dashboard_exprs()
    used = {name for e in exprs for name in re.findall(r"\bmvtep[_:][A-Za-z0-9_:]*", e)}
    assert used and used <= exported | recorded, used - exported - recorded
    # every panel's query parses: promtool checks them as recording rules
    concrete = [e.replace("$node", "n1").replace("$__rate_interval", "1m") for e in exprs
                if not e.startswith("label_values(")]
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:q{i}", "expr": e}
                                                         for i, e in enumerate(concrete)]}]}
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    checked = promtool(prom, "check", "rules", "dashboard.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
