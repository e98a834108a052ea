"""``mvtep preflight``'s result: a table grouped adapter -> PF -> VF, and JSON."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from hw.checks import PreflightInput
from hw.host import eswitch_of
from hw.model import PhysicalFunction, tc_offload_of
from inspector.verify_view import SEVERITY_STYLE, render_findings
from mvcore.findings import Finding, finding_json, worst

__all__ = ["SCHEMA", "to_json", "render"]

SCHEMA = 1


def _about(findings: tuple[Finding, ...], *subjects: str | None) -> tuple[Finding, ...]:
    names = {s for s in subjects if s}
    return tuple(f for f in findings if f.subject in names or f.interface in names)


def _mark(findings: tuple[Finding, ...]) -> Text:
    """The worst severity, and how many findings: the list below the table says which."""
    most = worst(findings)
    if most is None:
        return Text("pass", style="green")
    more = f" +{len(findings) - 1}" if len(findings) > 1 else ""
    return Text(f"{most.value}{more}", style=SEVERITY_STYLE[most])


def _on_off(value: bool | None) -> str:
    return "-" if value is None else ("on" if value else "off")


def to_json(inp: PreflightInput, findings: tuple[Finding, ...]) -> dict[str, Any]:
    def pf_json(pf: PhysicalFunction) -> dict[str, Any]:
        state = inp.host.devlink_eswitch(pf.pci)
        info = inp.host.info[pf.pci].value if pf.pci in inp.host.info else None
        return {
            "pci": pf.pci, "uplink": pf.uplink, "switch_id": pf.switch_id,
            "sriov_totalvfs": pf.sriov_totalvfs, "sriov_numvfs": pf.sriov_numvfs,
            "eswitch": {"mode": state.mode, "inline_mode": state.inline_mode, "encap_mode": state.encap_mode,
                        "source": state.source, "error": state.error},
            "compat_mode": pf.compat_mode, "fw_version": info.fw_version if info else None,
            "hw_tc_offload": tc_offload_of(inp.host.features, pf.uplink),
            "vfs": [{"index": vf.index, "pci": vf.pci, "netdev": vf.netdev, "driver": vf.driver,
                     "representor": vf.representor,
                     "hw_tc_offload": tc_offload_of(inp.host.features, vf.representor),
                     "bridge": inp.ovs.bridge_of.get(vf.representor) if inp.ovs and vf.representor else None}
                    for vf in pf.vfs],
        }
    return {
        "schema": SCHEMA, "kind": "preflight",
        "adapters": [{"slot": a.slot, "product": a.product, "device_id": a.device_id, "bluefield": a.bluefield,
                      "supported": a.supported, "pfs": [pf_json(pf) for pf in a.pfs]}
                     for a in inp.inventory.adapters],
        "ovs": None if inp.ovs is None else {"hw_offload": inp.ovs.hw_offload, "tc_policy": inp.ovs.tc_policy,
                                             "encap_ips": list(inp.ovs.encap_ips)},
        "findings": [finding_json(f) for f in findings],
    }


def render(inp: PreflightInput, findings: tuple[Finding, ...]) -> RenderableType:
    if not inp.inventory.adapters:  # no table with nothing in it: the findings say what was (not) found
        return render_findings(findings)
    table = Table(title="Adapters", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("", "PCI", "netdev", "mode/driver", "tc", "check"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for a in inp.inventory.adapters:
        table.add_row(Text(a.product, style="bold"), a.slot, "", "", "",
                      "" if a.supported else Text("not checked", style="dim"))
        for pf in a.pfs:
            table.add_row("  PF", pf.pci, pf.uplink or "-", eswitch_of(pf, inp.host).mode,
                          _on_off(tc_offload_of(inp.host.features, pf.uplink)),
                          _mark(_about(findings, pf.uplink or pf.pci, pf.pci)))
            for vf in pf.vfs:
                table.add_row(f"    VF {vf.index}", vf.pci, vf.representor or "no representor", vf.driver or "-",
                              _on_off(tc_offload_of(inp.host.features, vf.representor)),
                              _mark(_about(findings, vf.representor, vf.pci)))
    return Group(table, render_findings(findings))
