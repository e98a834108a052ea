"""``mvtep flows`` as a user runs it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from mvcore.errors import Unavailable, UsageError
from mvtep.cli.main import run
from mvtep.cli.runtime import Runtime
from mvtep.sandbox.node import Sandbox
from tests.conftest import run_cli
from tests.flowdump import differences, ofctl_flows
from tests.ofproxy import Relay

pytestmark = pytest.mark.sandbox


def _env(box: Sandbox) -> dict[str, str]:
    return {**os.environ, "OVS_RUNDIR": str(box.rundir)}


def test_text_pastes_like_ovs_ofctl(sandbox: Sandbox) -> None:
    res = run_cli(["flows", "--table", "0"], env=_env(sandbox))
    assert res.status == 0
    lines = res.out.splitlines()
    assert lines and differences(ofctl_flows(sandbox, 6, "table=0"), lines) == []


def test_json_by_interface_name(sandbox: Sandbox) -> None:
    vf = sandbox.plan.vfs[0]
    res = run_cli(["flows", "--in-port", vf.representor, "--json"], env=_env(sandbox))
    doc = json.loads(res.out)
    assert doc["schema"] == 1 and doc["kind"] == "flows" and doc["openflow"] == "1.5" and doc["undecoded"] == 0
    assert doc["flows"] and all({"field": "in_port", "value": vf.ofport, "mask": None} in f["match"]
                                for f in doc["flows"])
    vif = [f for f in doc["flows"] if f["table"] == 0 and f["priority"] == 100]
    assert any(a["args"].get("field") == "reg13" for a in vif[0]["actions"])


def test_bad_table_is_a_usage_error(sandbox: Sandbox) -> None:
    with pytest.raises(UsageError):
        run_cli(["flows", "--table", "300"], env=_env(sandbox))


def test_json_is_streamed_and_a_partial_table_never_parses(sandbox: Sandbox, tmp_path: Path) -> None:
    """The document is written as the flows arrive; cut short, what was
    written is not a complete document (and the error says so)."""
    out = io.StringIO()
    rt = Runtime(env=_env(sandbox), out=Console(file=out, color_system=None), err=Console(file=io.StringIO()))
    relay = Relay(f"{sandbox.rundir}/br-int.mgmt", tmp_path / "r.sock", cut_after=150_000)
    try:
        with pytest.raises(Unavailable, match="incomplete"):
            run(["--openflow", relay.remote, "flows", "--json"], rt)
    finally:
        relay.close()
    assert out.getvalue().count("\n") > 100  # flows were written before the cut
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.getvalue())


def test_reserved_ports_by_name(sandbox: Sandbox) -> None:
    """--in-port LOCAL and the bridge's own port name ask for OpenFlow's
    LOCAL (0xfffffffe), which the switch takes."""
    for port in ("LOCAL", "br-int"):
        res = run_cli(["flows", "--in-port", port], env=_env(sandbox))
        assert res.status == 0 and all("in_port=LOCAL" in line for line in res.out.splitlines())
