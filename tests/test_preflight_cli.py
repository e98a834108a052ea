"""``mvtep preflight`` end to end: modelled adapters, a real OVS (the
sandbox) or none, and real policy routing in a namespace the test builds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mvtep.sandbox.node import Sandbox
from tests import hwmodel as testing
from tests.test_cli import mvtep
from tests.vtepns import arp_per_vtep, design_doc_vteps, point_table_at, set_sysctls

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

MAPPING = "enp3s0f0np0:10.0.0.1,enp3s0f1np1:10.0.0.2"


def preflight(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    p = mvtep("preflight", "--json", *args, env=env, timeout=60)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr


@pytest.fixture
def node_tree(tmp_path: Path) -> Path:
    testing.cx6dx_switchdev(tmp_path)
    return tmp_path


@pytest.fixture
def vteps() -> Iterator[str]:
    with design_doc_vteps() as ns:
        arp_per_vtep(ns)
        yield ns


def codes(doc: dict[str, Any], subject: str | None = None) -> list[str]:
    return sorted(f["code"] for f in doc["findings"] if subject is None or f["subject"] == subject)


def test_before_ovs_exists(node_tree: Path, vteps: str, tmp_path: Path) -> None:
    status, doc, err = preflight("--sysfs-root", str(node_tree), "--netns", vteps, "--pf-mapping", MAPPING,
                                 "--db", f"unix:{tmp_path}/no-ovs.sock")
    assert "Traceback" not in err
    assert [a["product"] for a in doc["adapters"]] == ["ConnectX-6 Dx"]
    assert len(doc["adapters"][0]["pfs"]) == 2 and len(doc["adapters"][0]["pfs"][0]["vfs"]) == 4
    assert "ovs-unreachable" in codes(doc)
    # the routing of both VTEPs is right: no VTEP finding
    assert not [c for c in codes(doc) if c.startswith("vtep-")], doc["findings"]
    # e-switch mode cannot be asked of a modelled card's devlink: unknown, a warning, not an error
    assert status == 0 and "eswitch-mode-unknown" in codes(doc)


def test_a_vtep_routed_through_the_wrong_device(node_tree: Path, vteps: str, tmp_path: Path) -> None:
    point_table_at(vteps, 6082, "vtep0")
    status, doc, _ = preflight("--sysfs-root", str(node_tree), "--netns", vteps, "--pf-mapping", MAPPING,
                               "--db", f"unix:{tmp_path}/no-ovs.sock")
    assert status == 1 and codes(doc, "10.0.0.2") == ["vtep-route-wrong-device"]
    assert codes(doc, "10.0.0.1") == []


def test_a_missing_rule_and_a_missing_address(node_tree: Path, vteps: str, tmp_path: Path) -> None:
    status, doc, _ = preflight("--sysfs-root", str(node_tree), "--netns", vteps, "--pf-mapping",
                               "enp3s0f0np0:10.0.0.1,enp3s0f1np1:10.0.0.9", "--db", f"unix:{tmp_path}/x.sock")
    assert status == 1 and codes(doc, "10.0.0.9") == ["vtep-ip-missing"]


def test_with_the_sandbox_ovs(node_tree: Path, sandbox: Sandbox) -> None:
    # The sandbox's OVS: hw-offload is off there and its PFs are not this tree's uplinks.
    status, doc, _ = preflight("--sysfs-root", str(node_tree), "--only", "ovs", "representors",
                               env={"OVS_RUNDIR": str(sandbox.rundir)})
    found = codes(doc)
    assert status == 1 and "ovs-hw-offload-off" in found and found.count("pf-mapping-unknown-pf") == 3
    # the modelled card's representors are not ports of the sandbox's br-int, except where the
    # sandbox happens to use the same name (its VIFs are called enp3s0f0_<N> too)
    reps = {f"enp3s0f{p}_{i}" for p in (0, 1) for i in range(4)} - {"enp3s0f0_1"} | {"e5a1c8fcef0f327"}
    plugged = reps & {vf.representor for vf in sandbox.plan.vfs}
    assert found.count("representor-not-on-bridge") == 8 - len(plugged) and len(plugged) < 8


def test_bad_input(tmp_path: Path) -> None:
    status, _, err = preflight("--sysfs-root", str(tmp_path / "nope"))
    assert status == 2 and err.startswith("mvtep: error:") and "Traceback" not in err
    status, _, err = preflight("--only", "bogus")
    assert status == 2 and "unknown check" in err
    status, _, err = preflight("--pf-mapping", "enp1s0f0")
    assert status == 2 and "PF:IP" in err


def test_this_machine(tmp_path: Path) -> None:
    """The real host: no NVIDIA adapter, devlink absent, no OVS: findings, never a crash."""
    status, doc, err = preflight("--db", f"unix:{tmp_path}/x.sock")
    assert status in (0, 1) and "Traceback" not in err
    assert "no-adapters" in codes(doc) and "ovs-unreachable" in codes(doc)


def test_several_vteps_in_one_subnet_need_per_nic_arp(node_tree: Path, tmp_path: Path) -> None:
    """The sysctls are read inside the namespace holding the VTEPs: its defaults (arp_ignore 0,
    arp_announce 0) let either NIC answer for both addresses; strict rp_filter then drops."""
    args = ("--sysfs-root", str(node_tree), "--pf-mapping", MAPPING, "--db", f"unix:{tmp_path}/no-ovs.sock")
    with design_doc_vteps() as ns:
        _, doc, _ = preflight(*args, "--netns", ns)
        flux = [f for f in doc["findings"] if f["code"] == "vtep-arp-flux"]
        assert sorted(f["subject"] for f in flux) == ["10.0.0.1", "10.0.0.2"]
        assert all("net.ipv4.conf.vtep" in f["hint"] and f["severity"] == "warning" for f in flux)
        arp_per_vtep(ns)
        set_sysctls(ns, all_rp_filter=1)  # conf/all counts: the kernel takes the higher value
        _, doc, _ = preflight(*args, "--netns", ns)
        assert codes(doc, "10.0.0.1") == codes(doc, "10.0.0.2") == ["vtep-rp-filter-strict"]
        set_sysctls(ns, all_rp_filter=0, vtep0_rp_filter=2, vtep1_rp_filter=2)
        _, doc, _ = preflight(*args, "--netns", ns)
        assert codes(doc, "10.0.0.1") == codes(doc, "10.0.0.2") == []


def test_routing_is_judged_by_the_kernels_answer(node_tree: Path, tmp_path: Path) -> None:
    """Without ip rules, the main table picks one device for the shared subnet: wrong for
    one VTEP, and that is what is reported, with the reason; a single VTEP routed right by
    main needs no rule."""
    from pyroute2 import IPRoute

    args = ("--sysfs-root", str(node_tree), "--db", f"unix:{tmp_path}/no-ovs.sock")
    with design_doc_vteps() as ns:
        arp_per_vtep(ns)
        with IPRoute(netns=ns, flags=0) as ipr:
            for rule in ipr.get_rules(family=2) + ipr.get_rules(family=10):
                if rule.get_attr("FRA_TABLE") in (6081, 6082):
                    ipr.rule("del", family=rule["family"], priority=rule.get_attr("FRA_PRIORITY"))
        status, doc, _ = preflight(*args, "--netns", ns, "--pf-mapping", MAPPING)
        wrong = [f for f in doc["findings"] if f["code"] == "vtep-route-wrong-device"]
        assert status == 1 and len(wrong) == 1, doc["findings"]
        assert "no ip rule selects a table" in wrong[0]["message"] and "table main" in wrong[0]["message"]
        right = next(f for f in doc["findings"] if f["code"] == "vtep-rule-missing")
        assert right["severity"] == "info" and "the kernel routes it through" in right["message"]
        # one VTEP alone: the kernel's main table is right, so no error at all
        status, doc, _ = preflight(*args, "--netns", ns, "--pf-mapping", MAPPING.split(",")[wrong[0]["subject"]
                                                                                        == "10.0.0.1"])
        assert status == 0 and "vtep-route-wrong-device" not in codes(doc)


def test_dual_stack_mtu_rule(node_tree: Path, vteps: str, tmp_path: Path) -> None:
    args = ("--sysfs-root", str(node_tree), "--netns", vteps, "--pf-mapping", MAPPING, "--overlay-mtu", "1430",
            "--db", f"unix:{tmp_path}/no-ovs.sock")
    status, doc, _ = preflight(*args)
    assert status == 0 and "vtep-mtu-too-small" not in codes(doc) and doc["dual_stack"] is None
    status, doc, _ = preflight(*args, "--dual-stack")  # vtep0 is 1500: 1430 + 78 does not fit
    assert status == 1 and codes(doc, "10.0.0.1") == ["vtep-mtu-too-small"] and doc["dual_stack"] is True
