"""The OpenFlow client against a real ovs-vswitchd: filters, echo, a dump cut
short, and proof that it only ever asks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ofcodec import load
from flowprog.ofdecode import OF13, OF15
from flowprog.ofext import install
from mvcore.errors import Unavailable
from mvtep.sandbox.node import Sandbox
from tests.flowdump import mvtep_flows, ofctl_flows
from tests.ofproxy import Relay

pytestmark = pytest.mark.sandbox


@pytest.mark.parametrize("version", [OF15, OF13], ids=["of15", "of13"])
def test_filters_ask_the_switch_for_less(sandbox: Sandbox, version: int) -> None:
    table0 = mvtep_flows(sandbox, version, FlowFilter(table=0))
    assert table0 and {f.table for f in table0} == {0}
    assert len(table0) == len(ofctl_flows(sandbox, version, "table=0"))
    vf = sandbox.plan.vfs[1]
    port = mvtep_flows(sandbox, version, FlowFilter(match={"in_port": vf.ofport}))
    assert port and all(f.field("in_port") and f.field("in_port").value == vf.ofport  # type: ignore[union-attr]
                        for f in port)
    assert len(port) == len(ofctl_flows(sandbox, version, f"in_port={vf.ofport}"))
    cookie = table0[0].entry.cookie
    same = mvtep_flows(sandbox, version, FlowFilter(cookie=cookie, cookie_mask=(1 << 64) - 1))
    assert same and {f.entry.cookie for f in same} == {cookie}


def test_answers_echo_and_only_reads(sandbox: Sandbox, tmp_path: Path) -> None:
    relay = Relay(f"{sandbox.rundir}/br-int.mgmt", tmp_path / "relay.sock", echo=True)
    try:
        flows = mvtep_flows(sandbox, OF15, remote=relay.remote)
    finally:
        relay.close()
    assert len(flows) == len(ofctl_flows(sandbox, OF15))
    assert relay.echo_replies == 1
    assert set(relay.sent_types) <= {0, 3, 18}  # HELLO, ECHO_REPLY, MULTIPART_REQUEST


def test_a_dump_cut_short_is_an_error_not_a_table(sandbox: Sandbox, tmp_path: Path) -> None:
    relay = Relay(f"{sandbox.rundir}/br-int.mgmt", tmp_path / "relay.sock", cut_after=150_000)
    got = []
    codec = install(load(os.environ))
    try:
        with pytest.raises(Unavailable, match=r"after \d+ flows: the table is incomplete"):
            with OpenFlowClient(relay.remote, codec) as client:
                for entry in client.flows():
                    got.append(entry)
    finally:
        relay.close()
    assert 0 < len(got) < len(ofctl_flows(sandbox, OF15))


def test_not_an_openflow_socket(sandbox: Sandbox) -> None:
    codec = install(load(os.environ))
    with pytest.raises(Unavailable), OpenFlowClient(f"unix:{sandbox.rundir}/db.sock", codec, timeout=1) as client:
        list(client.flows())


def test_no_socket(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match="cannot connect"):
        OpenFlowClient(f"unix:{tmp_path}/nothing.mgmt", install(load(os.environ))).connect()
