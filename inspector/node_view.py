"""The node summary: one result object, two renderers (rich and JSON).

``mvtep show`` prints what OVSDB says about the node's VTEPs, its VIFs with
their configured VTEP, and the tunnel ports ovn-controller created.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flowprog.nodeconfig import NodeConfig, Vif

__all__ = ["SCHEMA", "to_json", "render"]

SCHEMA = 1


def _vif_note(node: NodeConfig, vif: Vif) -> str:
    if vif.encap_ip is None and vif.misnamed_encap_ip is not None:
        return "ovn-encap-ip is ignored by OVN; use encap-ip"
    if vif.encap_ip is None:
        return "no VTEP assigned: default VTEP"
    if vif.encap_ip not in node.encap_ips:
        return "encap-ip is not a VTEP of this chassis"
    return ""


def to_json(node: NodeConfig) -> dict[str, Any]:
    """The JSON document of ``mvtep show --json`` (schema in the README)."""
    return {
        "schema": SCHEMA,
        "kind": "node",
        "chassis": node.chassis,
        "hostname": node.hostname,
        "ovs_version": node.ovs_version,
        "bridge": node.bridge,
        "encap_type": node.encap_type,
        "encap_ip_default": node.encap_ip_default,
        "hw_offload": node.hw_offload,
        "vteps": [{"ip": ip, "pf": node.pf_mapping.pf_of(ip)} for ip in node.encap_ips],
        "pf_mapping_malformed": list(node.pf_mapping.malformed),
        "vifs": [
            {
                "interface": v.name, "ofport": v.ofport, "iface_id": v.iface_id,
                "encap_ip": v.encap_ip, "pf": node.pf_mapping.pf_of(v.encap_ip),
                "misnamed_encap_ip": v.misnamed_encap_ip, "note": _vif_note(node, v) or None,
            }
            for v in node.vifs
        ],
        "tunnels": [
            {
                "interface": t.name, "type": t.type, "ofport": t.ofport, "remote_chassis": t.remote_chassis,
                "local_ip": t.local_ip, "remote_ip": t.remote_ip,
            }
            for t in node.tunnels
        ],
    }


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def render(node: NodeConfig) -> RenderableType:
    """A one-screen summary; pure, so tests render it through a fixed console."""
    head = Text.assemble(
        ("chassis ", "dim"), (_dash(node.chassis), "bold"),
        ("  bridge ", "dim"), node.bridge,
        ("  OVS ", "dim"), _dash(node.ovs_version),
        ("  encap ", "dim"), _dash(node.encap_type),
        ("  hw-offload ", "dim"), ("on", "green") if node.hw_offload else ("off", "yellow"),
    )
    vteps = Table(title="VTEPs", title_justify="left", expand=False)
    for col in ("VTEP IP", "PF", "VIFs", "tunnels"):
        vteps.add_column(col)
    for ip in node.encap_ips:
        mark = " (default)" if ip == node.encap_ip_default else ""
        vteps.add_row(ip + mark, _dash(node.pf_mapping.pf_of(ip)),
                      str(sum(v.encap_ip == ip for v in node.vifs)),
                      str(sum(t.local_ip == ip for t in node.tunnels)))
    vifs = Table(title="VIFs on " + node.bridge, title_justify="left")
    for col in ("interface", "ofport", "iface-id", "encap-ip", "PF", "note"):
        vifs.add_column(col, overflow="fold")
    for v in node.vifs:
        note = _vif_note(node, v)
        style = "yellow" if note and v.encap_ip is None and v.misnamed_encap_ip is None else ("red" if note else "")
        vifs.add_row(v.name, _dash(v.ofport), v.iface_id, _dash(v.encap_ip),
                     _dash(node.pf_mapping.pf_of(v.encap_ip)), Text(note, style=style))
    tunnels = Table(title="Tunnel ports", title_justify="left")
    for col in ("interface", "ofport", "remote chassis", "local_ip", "remote_ip"):
        tunnels.add_column(col, overflow="fold")
    for t in sorted(node.tunnels, key=lambda t: (t.remote_chassis or "", t.remote_ip or "", t.local_ip or "")):
        tunnels.add_row(t.name, _dash(t.ofport), _dash(t.remote_chassis), _dash(t.local_ip), _dash(t.remote_ip))
    return Group(head, vteps, vifs, tunnels)
