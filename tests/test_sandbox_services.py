"""The sandbox node's logical network (mvtep/sandbox/services.py): what real
ovn-controller programs on br-int for it, and the ACL size knob."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from mvcore.errors import UsageError
from mvtep.sandbox import node as sandbox_node
from mvtep.sandbox.node import Sandbox, down
from mvtep.sandbox.services import acl_transactions, extra_acl_matches, ipv6_of
from mvtep.sandbox.topology import Size, plan


def _flows(box: Sandbox) -> str:
    return box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "dump-flows", "br-int"], box.env)


def _actions(flows: str) -> list[str]:
    return re.findall(r" actions=(\S+)", flows)


# One regex per action kind, searched in each flow's actions.  ct(...) holds
# nested parentheses (nat(...), exec(...)), hence the one-level balanced group.
ACTION_KINDS = {
    "conjunction": r"\bconjunction\(\d+,\d+/\d+\)",
    "learn": r"\blearn\(",
    "ct with nat": r"\bct\((?:[^()]|\([^()]*\))*\bnat\b",
    "ct_clear": r"\bct_clear\b",
    "controller with userdata": r"\bcontroller\(userdata=[0-9a-f.]+",
    "controller with meter_id": r"\bcontroller\(userdata=[0-9a-f.]+,meter_id=\d+\)",
    "check_pkt_larger": r"\bcheck_pkt_larger\(\d+\)->",
    "group": r"\bgroup:\d+",
    "dec_ttl": r"\bdec_ttl\b",
    "push": r"\bpush:",
    "pop": r"\bpop:",
    "move": r"\bmove:",
    "set_field to tun_metadata0": r"\bset_field:0x[0-9a-f]+->tun_metadata0\b",
    "resubmit": r"\bresubmit\(",
}

needs_sandbox = pytest.mark.sandbox  # the pure tests at the end need none


@needs_sandbox
@pytest.mark.parametrize("kind", ACTION_KINDS)
def test_br_int_holds_each_action_kind(sandbox: Sandbox, kind: str) -> None:
    pattern = re.compile(ACTION_KINDS[kind])
    assert any(pattern.search(a) for a in _actions(_flows(sandbox))), kind


@needs_sandbox
def test_br_int_holds_the_match_fields_of_a_real_node(sandbox: Sandbox) -> None:
    flows = _flows(sandbox)
    assert re.search(r"\bconj_id=\d+", flows)  # the other half of conjunction
    assert re.search(r"\btp_dst=0x[0-9a-f]+/0x[0-9a-f]+", flows)  # ACL port ranges
    assert re.search(r"\bipv6_src=fd00:10:128::", flows)  # dual-stack pods
    assert re.search(r"\bnd_target=", flows)  # neighbour discovery
    assert re.search(r"\bct_state=", flows) and re.search(r"\bct_mark=", flows)
    assert re.search(r"\bdl_src=0a:01:", flows)  # port security on the VFs


@needs_sandbox
def test_dhcp_dns_and_acl_log_go_to_the_controller(sandbox: Sandbox) -> None:
    # OVN's pinctrl opcodes (include/ovn/actions.h), the first word of userdata.
    opcode = {"put_dhcp_opts": 2, "put_dhcpv6_opts": 5, "dns_lookup": 6, "log": 7}
    flows = _flows(sandbox).splitlines()

    def sent(op: str, match: str) -> bool:
        word = f"userdata=00.00.00.{opcode[op]:02x}."
        return any(re.search(match, f) and word in f for f in flows)

    assert sent("put_dhcp_opts", r"\budp,.*tp_src=68,tp_dst=67\b")
    assert sent("put_dhcpv6_opts", r"\budp6,.*tp_src=546,tp_dst=547\b")
    assert sent("dns_lookup", r"\budp,.*tp_dst=53\b")
    assert any("meter_id=" in f for f in flows if f"userdata=00.00.00.{opcode['log']:02x}." in f)


@needs_sandbox
def test_load_balancers_are_select_groups_over_their_backends(sandbox: Sandbox) -> None:
    groups = sandbox.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "dump-groups", "br-int"], sandbox.env)
    assert "type=select" in groups
    backends = set(re.findall(r"nat\(dst=([0-9.]+):8080\)", groups))
    p = sandbox.plan
    assert backends == {v.ip for v in p.vfs[:2]} | {r.ip for r in p.remote_ports[:2]}


@needs_sandbox
def test_gateway_port_is_resident_here(sandbox: Sandbox) -> None:
    out = json.loads(sandbox.tools.run("ovn-sbctl", [
        "--format=json", "--columns=logical_port,chassis", "find", "Port_Binding", "type=chassisredirect"],
        sandbox.env))
    chassis = json.loads(sandbox.tools.run("ovn-sbctl", ["--format=json", "--columns=_uuid,name", "list", "Chassis"],
                                           sandbox.env))
    name_of = {u[1]: n for u, n in chassis["data"]}
    assert [(port, name_of[ch[1]]) for port, ch in out["data"]] == [("cr-rtr-ext", sandbox.plan.chassis)]


@needs_sandbox
def test_default_node_stays_small(sandbox: Sandbox) -> None:
    # Fast to start and to read; the --acls knob is what makes nodes big.
    n = len(_flows(sandbox).splitlines()) - 1  # less the reply header
    assert 300 <= n <= 2000, n
    assert sandbox.seconds < 10


@needs_sandbox
def test_extra_acls_scale_the_flows(tmp_path: Path) -> None:
    size = Size(vfs=2, remote_chassis=1, remote_ports=3, acls=300)
    box = sandbox_node.up(tmp_path / "run", "25.03", size, os.environ)
    try:
        matches = json.loads(box.tools.run("ovn-nbctl", ["--format=json", "--columns=match", "list", "ACL"],
                                           box.env))["data"]
        assert set(extra_acl_matches(box.plan, 300)) <= {m for (m,) in matches}
        flows = _flows(box)
        # Every extra ACL is on br-int once up returns: a flow matching its
        # protocol, peer and port.
        for match in extra_acl_matches(box.plan, 300):
            peer, proto, port = re.findall(r"ip4.src == (\S+) && (tcp|udp).dst == (\d+)", match)[0]
            assert re.search(rf"\b{proto},\S*nw_src={re.escape(peer)},tp_dst={port}\b", flows), match
    finally:
        down(box.rundir)


# --- pure parts ----------------------------------------------------------------


def test_extra_acls_are_distinct_and_bounded() -> None:
    p = plan(Size(remote_chassis=1, remote_ports=1, acls=50_000))
    matches = extra_acl_matches(p, p.extra_acls)
    assert len(set(matches)) == 50_000
    assert max(int(m.rsplit(" ", 1)[1]) for m in matches) <= 65535
    with pytest.raises(UsageError):
        plan(Size(acls=50_001))
    with pytest.raises(UsageError):
        plan(Size(acls=-1))


def test_acl_transactions_fit_their_argv_budget_and_attach_every_acl() -> None:
    p = plan(Size(acls=1000))
    budget = 20_000
    argvs = acl_transactions(p, budget=budget)
    assert len(argvs) > 1
    created: list[str] = []
    for argv in argvs:
        assert sum(len(a) + 1 for a in argv) <= budget
        refs = [a.removeprefix("--id=") for a in argv if a.startswith("--id=")]
        tail = argv[argv.index("add"):]
        assert tail[:4] == ["add", "Port_Group", "pg_pods", "acls"] and tail[4:] == refs
        created += [json.loads(a.removeprefix("match=")) for a in argv if a.startswith("match=")]
    assert created == extra_acl_matches(p, 1000)
    assert acl_transactions(plan(Size())) == []


def test_pod_ipv6_addresses_mirror_their_ipv4() -> None:
    assert ipv6_of("10.128.0.2") == "fd00:10:128::2"
    assert ipv6_of("10.128.128.0") == "fd00:10:128::8000"
    p = plan(Size(vfs=100, remote_chassis=10, remote_ports=10))
    ips = [v.ip for v in p.vfs] + [r.ip for r in p.remote_ports]
    assert len({ipv6_of(ip) for ip in ips}) == len(ips)
