"""``mvtep paths`` read in a namespace that does not hold the VTEPs (the
sandbox's underlay is in its own; run without ``$MVTEP_NETNS``): the paths
say where the VTEP IPs are, not that they are broken."""

from __future__ import annotations

import os

import pytest

from mvtep.sandbox.node import Sandbox
from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's underlay namespace needs root")


def test_vteps_in_another_namespace(sandbox: Sandbox) -> None:
    assert sandbox.netns is not None
    env = {k: v for k, v in os.environ.items() if k != "MVTEP_NETNS"} | {"OVS_RUNDIR": str(sandbox.rundir)}
    res = run_cli(["paths", "--json"], env=env)
    import json
    doc = json.loads(res.out)
    assert all(p["verdict"] != "broken" for p in doc["paths"]), [p["reason"] for p in doc["paths"]]
    reasons = {p["reason"] for p in doc["paths"] if p["vtep_ip"]}
    # (the session runs two sandboxes, 25.03 and 26.03, with the same VTEP IPs: each namespace is named)
    assert any(sandbox.netns in r and "is on no interface of this network namespace" in r for r in reasons), reasons
    assert "None" not in res.out
    text = run_cli(["paths"], env=env).out
    assert "None" not in text
