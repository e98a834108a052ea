"""``mvtep plan`` / ``mvtep apply`` against a real sandbox OVS DB and real
kernel routing in a namespace the test builds (veth pairs as VTEP
interfaces, addresses only: no rules or tables yet)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import IPRoute

from hw import netns
from mvtep.sandbox.node import Sandbox
from tests.conftest import fresh_node
from tests.vtepns import current_routes, current_rules, route_get

pytestmark = [pytest.mark.sandbox, pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")]

SPEC = """\
default_vtep = "10.0.0.1"

[[vtep]]
pf = "enp1s0f0"
interface = "vtep0"
ip = "10.0.0.1/23"
table = 6081
overlay = "10.1.0.0/16"
gateway = "10.0.1.254"
representors = ["enp1s0f0_*"]

[[vtep]]
pf = "enp2s0f0"
interface = "vtep1"
ip = "10.0.0.2/23"
table = 6082
overlay = "10.1.0.0/16"
gateway = "10.0.1.254"
representors = ["enp2s0f0_*"]

[[vtep]]
pf = "enp3s0f0"
interface = "vtep2"
ip = "10.0.0.3/23"
table = 6083
overlay = "10.1.0.0/16"
gateway = "10.0.1.254"
representors = ["enp3s0f0_*"]
"""


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Sandbox]:
    with fresh_node(tmp_path) as box:
        yield box


@pytest.fixture
def ns() -> Iterator[str]:
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            for i in range(3):
                ipr.link("add", ifname=f"vtep{i}", kind="veth", peer=f"vtep{i}p")
            for link in ipr.get_links():
                ipr.link("set", index=link["index"], state="up")
            for i in range(3):
                (index,) = ipr.link_lookup(ifname=f"vtep{i}")
                ipr.addr("add", index=index, address=f"10.0.0.{i + 1}", prefixlen=23)
        yield name


def mvtep(node: Sandbox, ns: str, *args: str, spec: str = SPEC, tmp: Path) -> tuple[int, str, str]:
    path = tmp / "node.toml"
    path.write_text(spec)
    p = subprocess.run([sys.executable, "-m", "mvtep", *args[:1], str(path), "--netns", ns, *args[1:]],
                       capture_output=True, text=True, timeout=60, check=False,
                       env={**os.environ, "OVS_RUNDIR": str(node.rundir)})
    return p.returncode, p.stdout, p.stderr


def iface_ids(node: Sandbox, name: str) -> dict[str, str]:
    out = node.tools.run("ovs-vsctl", ["--format=json", "--columns=external_ids", "find", "Interface",
                                       f"name={name}"], node.env)
    return dict(json.loads(out)["data"][0][0][1])


def kernel_state(ns: str) -> tuple[Any, ...]:
    return current_rules(ns), tuple(current_routes(t, ns) for t in (6081, 6082, 6083))


def test_plan_then_apply_converges(node: Sandbox, ns: str, tmp_path: Path) -> None:
    status, out, _ = mvtep(node, ns, "plan", "--json", tmp=tmp_path)
    doc = json.loads(out)
    kinds = sorted((c["kind"], c["action"]) for c in doc["changes"])
    # exit 0: nothing is refused (the VTEP is set whatever the offload state); a refusal exits 1
    assert status == 0 and kinds.count(("rule", "add")) == 3 and kinds.count(("route", "add")) == 6
    (vif,) = [c for c in doc["changes"] if c["kind"] == "vif"]
    assert vif["target"] == "Interface enp1s0f0_1 external_ids:encap-ip" and vif["new"] == "10.0.0.1"
    assert vif["refused"] is None  # the VTEP is set whatever the offload state, as ovnkube-node does
    assert any("cannot offload" in n for n in doc["notes"])  # the sandbox has OVS hw-offload off and no NICs
    assert ("ovsdb", "add") in kinds  # ovn-encap-ip-default
    assert kernel_state(ns) == ((), ((), (), ()))  # plan changed nothing
    assert mvtep(node, ns, "plan", "--allow-software", tmp=tmp_path)[0] == 0  # nothing refused

    status, out, err = mvtep(node, ns, "apply", "--yes", "--allow-software", tmp=tmp_path)
    assert status == 0, err
    assert iface_ids(node, "enp1s0f0_1")["encap-ip"] == "10.0.0.1"
    for i in range(3):
        answer = route_get("10.1.7.7", f"10.0.0.{i + 1}", ns)
        assert (answer.oif, answer.table) == (f"vtep{i}", 6081 + i)
    status, out, _ = mvtep(node, ns, "apply", "--yes", "--allow-software", tmp=tmp_path)
    assert status == 0 and "nothing to change" in out


def test_vfs_get_their_vtep_even_when_their_pf_cannot_offload(node: Sandbox, ns: str, tmp_path: Path) -> None:
    """Not mapping it would leave the VF on the default VTEP, possibly another
    NIC's: VTEP choice and offload are separate, the offload problem is a note."""
    status, out, _ = mvtep(node, ns, "apply", "--yes", tmp=tmp_path)
    assert status == 0 and "cannot offload" in out and "refused" not in out
    assert iface_ids(node, "enp1s0f0_1")["encap-ip"] == "10.0.0.1"
    assert len(current_rules(ns)) == 3


def test_fixes_the_misnamed_key_and_stale_ips(node: Sandbox, ns: str, tmp_path: Path) -> None:
    node.tools.run("ovs-vsctl", ["set", "Interface", "enp2s0f0_0", "external_ids:encap-ip=10.0.0.3",
                                 "--", "remove", "Interface", "enp3s0f0_0", "external_ids", "encap-ip",
                                 "--", "set", "Interface", "enp3s0f0_0", "external_ids:ovn-encap-ip=10.0.0.3"],
                   node.env)
    status, _, err = mvtep(node, ns, "apply", "--yes", "--allow-software", tmp=tmp_path)
    assert status == 0, err
    assert iface_ids(node, "enp2s0f0_0")["encap-ip"] == "10.0.0.2"
    fixed = iface_ids(node, "enp3s0f0_0")
    assert fixed["encap-ip"] == "10.0.0.3" and "ovn-encap-ip" not in fixed


def test_a_failure_midway_rolls_back(node: Sandbox, ns: str, tmp_path: Path) -> None:
    before_ovs = iface_ids(node, "enp1s0f0_1")
    with IPRoute(netns=ns, flags=0) as ipr:  # vtep2's link goes down: its gateway is no longer reachable
        (index,) = ipr.link_lookup(ifname="vtep2")
        ipr.link("set", index=index, state="down")
    status, _, err = mvtep(node, ns, "apply", "--yes", "--allow-software", tmp=tmp_path)
    assert status == 2 and "Traceback" not in err
    (error,) = [line for line in err.splitlines() if line.startswith("mvtep: error: ")]
    assert "vtep2" in error and "rolled back 9 change(s)" in error
    undone = [line for line in err.splitlines() if line.startswith("undone: ")]
    assert len(undone) == 9 and "undone: Interface enp1s0f0_1 external_ids:encap-ip" in undone
    assert kernel_state(ns) == ((), ((), (), ()))  # every rule and route removed again
    assert iface_ids(node, "enp1s0f0_1") == before_ovs  # and the OVSDB transaction undone


def test_rollback_puts_removed_rules_back_with_their_protocol(node: Sandbox, ns: str, tmp_path: Path) -> None:
    """Stale rules from the VTEP IPs: one added without a protocol (0, as
    `ip rule add` leaves it), one `proto boot`.  apply removes them, fails
    later, and puts each back as it was, not as `proto static`."""
    with IPRoute(netns=ns, flags=0) as ipr:
        ipr.rule("add", src="10.0.0.1", src_len=32, table=7001, priority=901)
        ipr.rule("add", src="10.0.0.2", src_len=32, table=7002, priority=902, protocol=3)
        (index,) = ipr.link_lookup(ifname="vtep2")
        ipr.link("set", index=index, state="down")  # the routes through vtep2 will fail
    before = {r.priority: r.protocol for r in current_rules(ns)}
    assert before == {901: 0, 902: 3}
    status, _, err = mvtep(node, ns, "apply", "--yes", "--allow-software", tmp=tmp_path)
    assert status == 2 and "undone: rule from 10.0.0.1/32 lookup 7001 priority 901 (put back)" in err, err
    assert {r.priority: r.protocol for r in current_rules(ns)} == before


@pytest.mark.parametrize("edit,words", [
    (lambda s: s.replace('ip = "10.0.0.2/23"', 'ip = "10.0.0.1/23"'), ":15: VTEP IP 10.0.0.1 is also in"),
    (lambda s: s.replace('gateway = "10.0.1.254"\nrepresentors = ["enp2s0f0_*"]',
                         'gateway = "10.5.1.254"\nrepresentors = ["enp2s0f0_*"]'),
     ":18: gateway 10.5.1.254 is outside"),
    (lambda s: s.replace('pf = "enp3s0f0"', 'pf = "enp9s0f0"'), ":22: unknown PF enp9s0f0"),
    (lambda s: s.replace("table = 6083", "table = 6099"), ":25: table 6099 is in use by another rule"),
    (lambda s: s + "colour = 1\n", ":29: unknown key 'colour' in [[vtep]]"),
    (lambda s: s.replace('overlay = "10.1.0.0/16"\ngateway = "10.0.1.254"\nrepresentors = ["enp2s0f0_*"]',
                         'overlay = "fd00:1::/48"\ngateway = "10.0.1.254"\nrepresentors = ["enp2s0f0_*"]'),
     ":17: overlay fd00:1::/48 is IPv6, the VTEP IP 10.0.0.2 is IPv4"),
])
def test_bad_specs_change_nothing(node: Sandbox, ns: str, tmp_path: Path, edit: Any, words: str) -> None:
    with IPRoute(netns=ns, flags=0) as ipr:  # someone else's rule on table 6099
        ipr.rule("add", src="192.0.2.9", src_len=32, table=6099, priority=500)
    before = kernel_state(ns), iface_ids(node, "enp1s0f0_1")
    status, out, err = mvtep(node, ns, "apply", "--yes", "--allow-software", spec=edit(SPEC), tmp=tmp_path)
    assert status == 2 and words in err and "Traceback" not in err, err
    assert (kernel_state(ns), iface_ids(node, "enp1s0f0_1")) == before


def test_watch_corrects_new_vf_ports(node: Sandbox, ns: str, tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_text(SPEC)
    proc = subprocess.Popen([sys.executable, "-m", "mvtep", "apply", str(path), "--netns", ns, "--yes",
                             "--allow-software", "--watch", "--interval", "0.2"],
                            env={**os.environ, "OVS_RUNDIR": str(node.rundir)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        node.tools.run("ovs-vsctl", ["add-port", "br-int", "enp2s0f0_7", "--", "set", "Interface", "enp2s0f0_7",
                                     "external_ids:iface-id=pod-new"], node.env)
        deadline = time.monotonic() + 15
        while iface_ids(node, "enp2s0f0_7").get("encap-ip") != "10.0.0.2" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert iface_ids(node, "enp2s0f0_7").get("encap-ip") == "10.0.0.2"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err
