"""Every flow real OVN puts on br-int, printed by mvtep, is byte-identical to
ovs-ofctl's own dump of the same bridge (statistics aside)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowprog.flows import Action, Flow
from flowprog.ofdecode import OF13, OF15
from flowprog.offormat import format_flow
from mvtep.sandbox.node import Sandbox, down, up
from mvtep.sandbox.topology import Size
from tests.flowdump import differences, mvtep_flows, ofctl_flows

pytestmark = pytest.mark.sandbox

# Actions a realistic OVN-Kubernetes br-int holds (mvtep.sandbox.services).
EXPECTED_ACTIONS = {"set_field", "move", "resubmit", "output", "ct", "ct_clear", "nat", "conjunction", "learn",
                    "controller", "check_pkt_larger", "group", "dec_ttl", "push", "pop", "drop"}


def _assert_agrees(box: Sandbox, version: int) -> list[Flow]:
    flows = mvtep_flows(box, version)
    assert [f for f in flows if f.undecoded] == []
    reference = ofctl_flows(box, version)
    assert len(flows) == len(reference) > 500
    problems = differences(reference, [format_flow(f) for f in flows])
    assert not problems, "\n".join(problems[:40])
    return flows


def _names(actions: tuple[Action, ...]) -> set[str]:
    return {a.name for a in actions} | {n for a in actions for n in _names(a.nested)}


@pytest.mark.parametrize("version", [OF15, OF13], ids=["of15", "of13"])
def test_every_flow_agrees_with_ovs_ofctl(sandbox: Sandbox, version: int) -> None:
    flows = _assert_agrees(sandbox, version)
    seen = {n for f in flows for n in _names(f.actions)} | {"drop" for f in flows if not f.actions}
    assert seen >= EXPECTED_ACTIONS, EXPECTED_ACTIONS - seen


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    # MVTEP_LARGE_ACLS=8500 makes it the 100,000-flow node of bench/.
    acls = int(os.environ.get("MVTEP_LARGE_ACLS", "800"))
    box = up(Path(tmp_path_factory.mktemp("large")) / "run", "25.03", Size(acls=acls), os.environ)
    try:
        yield box
    finally:
        down(box.rundir)


def test_a_large_node_agrees_too(large: Sandbox) -> None:
    assert len(_assert_agrees(large, OF15)) > 10_000


def test_the_seed_vifs_load_their_encap_id(sandbox: Sandbox) -> None:
    """The model's helper answers the card's question for table 0."""
    flows = mvtep_flows(sandbox, OF15)
    ids = {ip: i for i, ip in enumerate(sorted(v.ip for v in sandbox.plan.vteps))}
    for vf in sandbox.plan.vfs:
        (flow,) = [f for f in flows if f.table == 0 and f.priority == 100 and f.field("in_port")
                   and f.field("in_port").value == vf.ofport]  # type: ignore[union-attr]
        loads = [ld.bits(16, 31) for ld in flow.loads("reg13") if ld.bits(16, 31) is not None]
        assert loads == [ids.get(vf.encap_ip or "", 0)]
