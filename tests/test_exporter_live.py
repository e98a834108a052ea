"""The exporter, the alert rules and ``mvtep fleet`` with the real things:
two sandbox nodes (real OVS/OVN 25.03), ``mvtep exporter`` on each on a
loopback port, and Debian's Prometheus scraping both with the rules of
``deploy/`` loaded."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox
from tests.conftest import SMALL, fresh_node, run_cli
from tests.promserver import exporter, free_port, http_get, prometheus, query, wait_for
from tests.test_cli import mvtep

pytestmark = pytest.mark.sandbox
BROKEN_VF = "enp2s0f0_0"


@dataclass
class Fleet:
    a: Sandbox
    b: Sandbox
    exporters: dict[str, str]  # node name -> exporter URL
    prometheus: str
    tmp: Path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("fleet")
    with ExitStack() as stack:
        a = stack.enter_context(fresh_node(tmp / "a", "25.03", SMALL))
        b = stack.enter_context(fresh_node(tmp / "b", "25.03", SMALL))
        urls = {"node-a": stack.enter_context(exporter(a, tmp / "exporter-a.log")),
                "node-b": stack.enter_context(exporter(b, tmp / "exporter-b.log"))}
        prom = stack.enter_context(prometheus(tmp / "prometheus",
                                              {name: url.removeprefix("http://") for name, url in urls.items()}))
        yield Fleet(a, b, urls, prom, tmp)


def _metric(url: str, line_start: str) -> list[str]:
    """The exposition lines of the exporter at ``url`` that start with ``line_start``."""
    return [ln for ln in http_get(f"{url}/metrics")[1].splitlines() if ln.startswith(line_start)]


def test_prometheus_scrapes_the_series_a_wrong_encap_ip_breaks_the_path_and_the_alert_goes_pending(
        fleet: Fleet) -> None:
    vfs = len(fleet.a.plan.vfs)
    wait_for(lambda: len(query(fleet.prometheus, 'mvtep_path_verdict{node="node-a"}')) == vfs and
             len(query(fleet.prometheus, 'mvtep_path_verdict{node="node-b"}')) == vfs,
             "a verdict series per VF of both nodes")
    up = {s["metric"]["node"]: s["value"][1] for s in query(fleet.prometheus, "mvtep_up")}
    assert up == {"node-a": "1", "node-b": "1"}
    vteps = query(fleet.prometheus, 'mvtep_vtep_info{node="node-a"}')
    assert sorted(s["metric"]["vtep_ip"] for s in vteps) == [v.ip for v in fleet.a.plan.vteps]
    build = query(fleet.prometheus, 'mvtep_build_info{node="node-a"}')[0]["metric"]
    assert build["ovn_version"].startswith("25.03") and build["ovs_version"]
    assert query(fleet.prometheus, f'mvtep_path_verdict{{interface="{BROKEN_VF}", verdict="broken"}}') == []

    fleet.a.tools.run("ovs-vsctl", ["set", "Interface", BROKEN_VF, "external_ids:encap-ip=10.9.9.9"], fleet.a.env)

    broken = wait_for(lambda: query(fleet.prometheus, 'mvtep_path_verdict{verdict="broken"}'),
                      "the broken verdict series")
    assert [(s["metric"]["node"], s["metric"]["interface"]) for s in broken] == [("node-a", BROKEN_VF)]
    alert = wait_for(lambda: query(fleet.prometheus, 'ALERTS{alertname="MvtepPathBroken"}'), "the alert")
    assert alert[0]["metric"]["alertstate"] == "pending" and alert[0]["metric"]["interface"] == BROKEN_VF
    findings = query(fleet.prometheus, 'mvtep_findings{command="verify", severity="error"}')
    assert [(s["metric"]["node"], s["metric"]["code"]) for s in findings] == [("node-a", "encap-ip-unknown")]

    # mvtep fleet: both rows, the broken node first, then its broken path
    res = run_cli(["fleet", "--prometheus", fleet.prometheus], width=160)
    assert res.status == 1, res.err
    rows = [ln.split() for ln in res.out.splitlines() if ln.strip().startswith(("node-a", "node-b"))]
    # node-b: not broken, but a sandbox node has preflight errors (no adapters, OVS hw-offload off)
    assert [r[:2] for r in rows[:2]] == [["node-a", "broken"], ["node-b", "errors"]], res.out
    assert f"mvtep paths --vf {BROKEN_VF}" in res.out
    doc = json.loads(run_cli(["fleet", "--prometheus", fleet.prometheus, "--json"]).out)
    assert doc["kind"] == "fleet" and [n["node"] for n in doc["nodes"]] == ["node-a", "node-b"]
    assert doc["nodes"][0]["paths"]["broken"] == 1 and doc["nodes"][0]["error_findings"] >= 1
    assert doc["nodes"][1]["paths"]["not-offloaded"] == vfs and doc["nodes"][1]["vteps"] == 3
    assert doc["broken_paths"] == [{"instance": fleet.exporters["node-a"].removeprefix("http://"), "node": "node-a",
                                    "interface": BROKEN_VF, "iface_id": "pod-1", "vf": "", "pf": "enp1s0f0",
                                    "vtep_ip": "10.0.0.1"}]  # an unknown encap-ip: OVN uses encap id 0


def test_the_exporter_lives_through_ovn_controller_and_ovsdb_restarts(fleet: Fleet) -> None:
    url, box = fleet.exporters["node-b"], fleet.b
    assert _metric(url, "mvtep_up ") == ["mvtep_up 1.0"]
    daemons.stop(box.rundir, "ovn-controller")
    wait_for(lambda: _metric(url, 'mvtep_source_up{source="ovn-controller"} 0'), "ovn-controller to be missed")
    assert _metric(url, "mvtep_up ") == ["mvtep_up 0.0"]
    assert _metric(url, 'mvtep_gather_error_info{error=')  # the reason, in words
    daemons.start_controller(box.rundir, box.tools, box.env)
    wait_for(lambda: _metric(url, "mvtep_up 1"), "ovn-controller to be read again")

    daemons.stop(box.rundir, "ovsdb-server")
    wait_for(lambda: _metric(url, 'mvtep_source_up{source="ovsdb"} 0'), "OVSDB to be missed")
    status, words = http_get(f"{url}/healthz")
    assert status == 503 and "ovsdb" in words
    assert not _metric(url, "mvtep_path_verdict")  # no verdicts while the node cannot be read
    # ovsdb-server again, as the sandbox started it; ovs-vswitchd and the exporter reconnect
    rundir = box.rundir
    box.tools.run("ovsdb-server", [f"{rundir}/conf.db", f"--remote=punix:{rundir}/db.sock",
                                   f"--unixctl={rundir}/ovsdb-server.ctl", "--detach", "--no-chdir",
                                   f"--pidfile={rundir}/ovsdb-server.pid", f"--log-file={rundir}/ovsdb-server.log"],
                  box.env)
    wait_for(lambda: _metric(url, "mvtep_up 1"), "the node to be read again", timeout=60)
    assert len(_metric(url, "mvtep_path_verdict{")) == len(box.plan.vfs)


def test_a_port_in_use_is_one_line_and_exit_2(fleet: Fleet) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = mvtep("exporter", "--listen", f"127.0.0.1:{port}", env={"OVS_RUNDIR": str(fleet.a.rundir)}, timeout=60)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines()[0] == f"mvtep: error: cannot listen on 127.0.0.1:{port}: the port is in use"
    assert "Traceback" not in p.stderr and len(p.stderr.splitlines()) <= 2


def _fleet_error(url: str) -> tuple[int, list[str]]:
    p = mvtep("fleet", "--prometheus", url, timeout=60)
    assert "Traceback" not in p.stderr
    return p.returncode, p.stderr.splitlines()


def test_fleet_bad_input_is_one_line_and_exit_2(fleet: Fleet, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    status, lines = _fleet_error(closed)
    assert status == 2 and lines[0].startswith(f"mvtep: error: cannot reach Prometheus at {closed}: "), lines
    status, lines = _fleet_error(fleet.exporters["node-a"])  # an HTTP server that is not Prometheus
    assert status == 2 and "did not answer as Prometheus' HTTP API does" in lines[0], lines
    status, lines = _fleet_error("ftp://example.invalid")
    assert status == 2 and "is not an http:// or https:// URL" in lines[0], lines
    with prometheus(tmp_path / "empty", {}, rules=None) as empty:
        status, lines = _fleet_error(empty)
    assert status == 2 and lines[0] == f"mvtep: error: Prometheus at {empty} has no mvtep series", lines
