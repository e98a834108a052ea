"""``mvtep preflight``'s result: a table grouped adapter -> PF -> function, and JSON."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from hw.checks import PreflightInput, checked_pfs
from hw.host import eswitch_of
from hw.model import PhysicalFunction, tc_offload_of
from hw.roles import Role
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
    roles = {c.pf.pci: c.role for c in checked_pfs(inp)}

    def netdev_json(name: str | None) -> dict[str, Any]:
        return {"hw_tc_offload": tc_offload_of(inp.host.features, name),
                "bridge": inp.ovs.bridge_of.get(name) if inp.ovs and name else None}

    def pf_json(pf: PhysicalFunction) -> dict[str, Any]:
        state = inp.host.devlink_eswitch(pf.pci)
        info = inp.host.info[pf.pci].value if pf.pci in inp.host.info else None
        role = roles.get(pf.pci)
        return {
            "pci": pf.pci, "uplink": pf.uplink, "switch_id": pf.switch_id, "driver": pf.driver,
            "role": None if role is None else {"kind": role.kind, "why": role.why},
            "sriov_totalvfs": pf.sriov_totalvfs, "sriov_numvfs": pf.sriov_numvfs,
            "eswitch": {"mode": state.mode, "inline_mode": state.inline_mode, "encap_mode": state.encap_mode,
                        "source": state.source, "error": state.error},
            "compat_mode": pf.compat_mode, "fw_version": info.fw_version if info else None,
            "flow_steering_mode": inp.host.param(pf.pci, "flow_steering_mode"),
            "esw_multiport": inp.host.param(pf.pci, "esw_multiport"),
            "lag": None if pf.lag is None else {"master": pf.lag.master, "mode": pf.lag.mode},
            "hw_tc_offload": tc_offload_of(inp.host.features, pf.uplink),
            "vfs": [{"index": vf.index, "pci": vf.pci, "netdev": vf.netdev, "driver": vf.driver,
                     "representor": vf.representor, **netdev_json(vf.representor)} for vf in pf.vfs],
            "sfs": [{"name": sf.name, "sfnum": sf.sfnum, "netdev": sf.netdev, "representor": sf.representor,
                     **netdev_json(sf.representor)} for sf in pf.sfs],
            "host_representors": [{"netdev": r.netdev, "kind": r.kind, "controller": r.controller,
                                   "pf_number": r.pf_number, "index": r.index, **netdev_json(r.netdev)}
                                  for r in pf.host_representors],
        }
    return {
        "schema": SCHEMA, "kind": "preflight",
        "adapters": [{"slot": a.slot, "product": a.product, "device_id": a.device_id, "bluefield": a.bluefield,
                      "supported": a.supported, "pfs": [pf_json(pf) for pf in a.pfs]}
                     for a in inp.inventory.adapters],
        "ovs": None if inp.ovs is None else {"hw_offload": inp.ovs.hw_offload, "tc_policy": inp.ovs.tc_policy,
                                             "encap_ips": list(inp.ovs.encap_ips)},
        "dual_stack": inp.dual_stack, "dual_stack_from": inp.dual_stack_from or None,
        "findings": [finding_json(f) for f in findings],
    }


_ROLE_NOTE = {"arm": " (Arm)", "dpu-host": " (DPU host)", "manager": "", "unknown": ""}


def render(inp: PreflightInput, findings: tuple[Finding, ...]) -> RenderableType:
    if not inp.inventory.adapters:  # no table with nothing in it: the findings say what was (not) found
        return render_findings(findings)
    roles: dict[str, Role] = {c.pf.pci: c.role for c in checked_pfs(inp)}
    table = Table(title="Adapters", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("", "PCI", "netdev", "mode/driver", "tc", "check"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")

    def function_row(label: str, where: str, rep: str | None, detail: str, *subjects: str | None) -> None:
        table.add_row(label, where, rep or "no representor", detail,
                      _on_off(tc_offload_of(inp.host.features, rep)), _mark(_about(findings, rep, *subjects)))

    for a in inp.inventory.adapters:
        table.add_row(Text(a.product, style="bold"), a.slot, "", "", "",
                      "" if a.supported else Text("not checked", style="dim"))
        for pf in a.pfs:
            role = roles.get(pf.pci)
            mode = eswitch_of(pf, inp.host).mode + (_ROLE_NOTE[role.kind] if role else "")
            steering = inp.host.param(pf.pci, "flow_steering_mode")
            mode += f" {steering}" if isinstance(steering, str) else ""
            uplink = pf.uplink or "-"
            if pf.lag is not None:
                uplink += f" ({pf.lag.master})"
            table.add_row("  PF", pf.pci, uplink, mode, _on_off(tc_offload_of(inp.host.features, pf.uplink)),
                          _mark(_about(findings, pf.uplink or pf.pci, pf.pci, pf.lag.master if pf.lag else None)))
            for vf in pf.vfs:
                function_row(f"    VF {vf.index}", vf.pci, vf.representor, vf.driver or "-", vf.pci)
            for sf in pf.sfs:
                function_row(f"    SF {sf.sfnum}", sf.name, sf.representor, sf.netdev or "-", sf.name)
            for r in pf.host_representors:
                label = f"    host VF {r.index}" if r.kind == "vf" else f"    host {r.kind.upper()}"
                function_row(label, f"c{r.controller or 0}pf{r.pf_number}", r.netdev, "external")
    return Group(table, render_findings(findings))
