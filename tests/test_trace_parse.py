"""The trace parser against the switch itself: every flow a real
``ofproto/trace`` names is, written back in ovs-ofctl syntax, a flow
``ovs-ofctl dump-flows`` lists; and hostile text (cut, shuffled, garbage,
as a damaged support bundle could hold) gives a verdict, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowprog.node_verify import node_of, verify_snapshot
from flowprog.nodeconfig import NodeConfig
from flowprog.ofdecode import Decoder
from flowprog.ofext import install
from flowprog.ofcodec import load
from flowprog.odpactions import tunnel_sends
from flowprog.traceparse import parse_trace
from flowprog.verify import VerifyResult
from inspector.gather import Gatherer, Scope
from inspector.trace import STATUSES, judge
from inspector.trace_inputs import Bindings, PlannedTrace, plan_verify
from mvcore.endpoints import resolve
from mvtep.sandbox.node import Sandbox

pytestmark = pytest.mark.sandbox


@dataclass(frozen=True)
class Traced:
    box: Sandbox
    node: NodeConfig
    result: VerifyResult
    planned: list[PlannedTrace]
    texts: list[str]


@pytest.fixture(scope="module")
def traced(sandbox: Sandbox) -> Iterator[Traced]:
    """verify --trace's traces of a real node, as the switch answered them."""
    env = {**os.environ, "OVS_RUNDIR": str(sandbox.rundir)}
    codec = install(load(env))
    with Gatherer(resolve(env), env, codec, timeout=10) as g:
        snap = g.snapshot(Scope(ovsdb=True, openflow="verify", southbound=True))
        result = verify_snapshot(snap, Decoder(codec))
        assert snap.southbound.value is not None
        planned, _ = plan_verify(node_of(snap), Bindings(snap.southbound.value), result)
        snap = g.traces(snap, [p.request for p in planned])
    texts = [snap.traces[p.request.key].value or "" for p in planned]
    yield Traced(sandbox, node_of(snap), result, planned, texts)


def test_every_flow_the_trace_names_is_on_the_bridge(traced: Traced) -> None:
    box = traced.box
    dumped: dict[int, set[str]] = {}
    for text in traced.texts:
        steps = [s for s in parse_trace(text).steps() if s.priority is not None and s.table is not None]
        assert len(steps) > 20
        for step in steps:
            if step.table not in dumped:
                out = box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "--no-stats", "--no-names", "dump-flows",
                                                  "br-int", f"table={step.table}"], box.env)
                dumped[step.table] = {line.strip() for line in out.splitlines() if " actions=" in line}
            assert step.flow_text() in dumped[step.table], step.flow_text()


def test_every_trace_leaves_through_one_tunnel(traced: Traced) -> None:
    for text in traced.texts:
        sends = [s for st in parse_trace(text).stages for s in tunnel_sends(st.datapath_actions)]
        assert len(sends) == 1 and sends[0].src in traced.node.encap_ips


_mutations = st.one_of(
    st.tuples(st.just("cut"), st.integers(min_value=0, max_value=20_000)),
    st.tuples(st.just("drop-line"), st.integers(min_value=0, max_value=400)),
    st.tuples(st.just("replace-line"), st.integers(min_value=0, max_value=400), st.text(max_size=200)),
    st.tuples(st.just("insert"), st.integers(min_value=0, max_value=20_000), st.text(max_size=200)),
)


def _mutate(text: str, steps: list[tuple[object, ...]]) -> str:
    for m in steps:
        lines = text.splitlines()
        if m[0] == "cut":
            text = text[: int(str(m[1])) % (len(text) + 1)]
        elif m[0] == "drop-line" and lines:
            del lines[int(str(m[1])) % len(lines)]
            text = "\n".join(lines)
        elif m[0] == "replace-line" and lines:
            lines[int(str(m[1])) % len(lines)] = str(m[2])
            text = "\n".join(lines)
        elif m[0] == "insert":
            at = int(str(m[1])) % (len(text) + 1)
            text = text[:at] + str(m[2]) + text[at:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(min_value=0, max_value=100), steps=st.lists(_mutations, min_size=1, max_size=6))
def test_hostile_text_gives_a_verdict(traced: Traced, which: int, steps: list[tuple[object, ...]]) -> None:
    i = which % len(traced.texts)
    verdict = judge(traced.planned[i], _mutate(traced.texts[i], steps), None, traced.node, traced.result)
    assert verdict.status in STATUSES


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=2000))
def test_any_text_parses(text: str) -> None:
    parse_trace(text)
    tunnel_sends(text)
