import io
import json

from rich.console import Console

from flowprog.nodeconfig import NodeConfig
from inspector.node_view import render, to_json
from mvcore.ovsdb_rows import ovs_state
from tests.test_nodeconfig import rows


def _text(width: int = 100) -> str:
    node = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a", "ovn-encap-ip": "10.0.0.2"})), "br-int")
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, legacy_windows=False).print(render(node))
    return buf.getvalue()


def test_summary_names_vteps_pfs_and_the_misnamed_key() -> None:
    text = _text()
    assert "10.0.0.2 │ enp2s0f0" in text
    assert "ovn-encap-ip is ignored by OVN; use encap-ip" in text
    assert "remote-1" in text and "10.1.0.1" in text


def test_summary_fits_80_columns() -> None:
    assert max(len(line) for line in _text(80).splitlines()) <= 80


def test_json_is_versioned_and_serialisable() -> None:
    node = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a", "encap-ip": "10.0.0.1"})), "br-int")
    doc = json.loads(json.dumps(to_json(node)))
    assert doc["schema"] == 1 and doc["kind"] == "node"
    assert doc["vteps"] == [{"ip": "10.0.0.1", "pf": "enp1s0f0"}, {"ip": "10.0.0.2", "pf": "enp2s0f0"}]
    assert doc["vifs"][0] | {} == {"interface": "vf0", "ofport": 7, "iface_id": "pod-a", "encap_ip": "10.0.0.1",
                                   "pf": "enp1s0f0", "misnamed_encap_ip": None, "note": None}
