"""Pre-flight checks: pure functions from what was read to findings.

Everything a check needs arrives in a :class:`PreflightInput`: the sysfs
inventory, the host's answers decoded once (:class:`~hw.host.HostView`:
devlink, ethtool, links, addresses, rules, the kernel's routing verdicts) and
plain OVSDB values (:class:`OvsView`).  So each check is testable on
modelled hardware with recorded answers, and each finding code (README,
"Finding codes") comes from exactly one place here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from hw.host import HostView, eswitch_of
from hw.model import Adapter, Inventory, PhysicalFunction
from hw.probes import covers
from mvcore.findings import Finding, Severity, sort_findings

__all__ = ["OvsView", "PreflightInput", "CHECKS", "run_checks", "GENEVE_OVERHEAD"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
GENEVE_OVERHEAD = {4: 58, 6: 78}  # outer IP + UDP + Geneve + inner Ethernet (ovn-kubernetes' figures)
_RESERVED_TABLES = {0, 253, 254, 255}  # unspec, default, main, local


@dataclass(frozen=True, slots=True)
class OvsView:
    """What the checks need of the Open_vSwitch database, as plain values."""

    hw_offload: bool  # other_config:hw-offload
    tc_policy: str | None  # other_config:tc-policy
    encap_ips: tuple[str, ...]  # external_ids:ovn-encap-ip
    pf_mapping: tuple[tuple[str, str], ...]  # external_ids:ovn-pf-encap-ip-mapping: (PF, IP) pairs
    bridge_of: Mapping[str, str]  # interface name -> its bridge
    integration_bridge: str = "br-int"


@dataclass(frozen=True, slots=True)
class PreflightInput:
    inventory: Inventory
    host: HostView  # devlink, ethtool, links, addresses, rules, route answers
    ovs: OvsView | None
    ovs_error: str | None  # why ovs is None
    privileged: bool
    overlay_mtu: int | None = None  # the pods' MTU, when known
    vteps: tuple[tuple[str, str], ...] = field(default=())  # (PF, VTEP IP): OVS's mapping or given pairs


def _pfs(inp: PreflightInput) -> Iterator[tuple[Adapter, PhysicalFunction]]:
    for a in inp.inventory.adapters:
        if a.supported:
            for pf in a.pfs:
                yield a, pf


def check_adapters(inp: PreflightInput) -> Iterator[Finding]:
    if not any(a.supported for a in inp.inventory.adapters):
        yield Finding("no-adapters", W, "no ConnectX-6 or BlueField-2 adapter found",
                      "multi-VTEP offload needs SR-IOV NICs: check lspci and the mlx5_core driver")
    for a in inp.inventory.adapters:
        if not a.supported:
            yield Finding("adapter-unsupported", I, f"{a.product} at {a.slot} is not a ConnectX-6 or BlueField-2: "
                          "not checked", subject=a.slot)
    for reason in inp.inventory.skipped:
        yield Finding("device-skipped", W, reason, "sysfs changed or is unreadable: run again")
    for _, pf in _pfs(inp):
        for problem in pf.problems:
            yield Finding("sysfs-unreadable", W, f"{pf.pci}: {problem}", subject=pf.pci)


def _dpu_mode(inp: PreflightInput, a: Adapter, pf: PhysicalFunction) -> bool:
    """BlueField-2 whose host PF is not the e-switch manager (hw-reference.md 5)."""
    state = inp.host.devlink.get(pf.pci)
    refused = state is not None and state.error in ("EOPNOTSUPP", "EPERM") and inp.privileged
    no_reps = bool(pf.vfs) and not pf.representors
    return a.bluefield and (refused or (pf.switch_id is None and (no_reps or not pf.vfs)))


def check_sriov_eswitch(inp: PreflightInput) -> Iterator[Finding]:
    for a, pf in _pfs(inp):
        name = pf.uplink or pf.pci
        if _dpu_mode(inp, a, pf):
            yield Finding("bluefield-dpu-mode", E, f"{a.product} {name} is in DPU mode: the Arm owns the e-switch and "
                          "the VF representors, this host cannot do multi-VTEP",
                          "switch the card to NIC mode (INTERNAL_CPU_MODEL / ESWITCH_MANAGER=EXT_HOST_PF) and reboot",
                          subject=name)
            continue
        if pf.sriov_totalvfs == 0:
            yield Finding("sriov-disabled", E, f"{name}: SR-IOV is off in firmware (sriov_totalvfs 0)",
                          "enable SRIOV_EN and NUM_OF_VFS in the adapter's firmware configuration", subject=name)
        elif not pf.sriov_numvfs:
            yield Finding("sriov-disabled", E, f"{name}: no VFs created (sriov_numvfs 0)",
                          f"echo N > /sys/bus/pci/devices/{pf.pci}/sriov_numvfs (after switching to switchdev)",
                          subject=name)
        state = eswitch_of(pf, inp.host)
        if state.mode == "unknown":
            why = state.error or "devlink unavailable"
            hint = ("run as root: reading the e-switch mode needs CAP_NET_ADMIN" if not inp.privileged
                    else "devlink is unavailable here and the MLNX_OFED compat/devlink/mode file is absent")
            yield Finding("eswitch-mode-unknown", W, f"{name}: e-switch mode unknown ({why})", hint, subject=name)
        elif state.mode != "switchdev":
            yield Finding("eswitch-not-switchdev", E, f"{name}: e-switch is in {state.mode} mode",
                          f"devlink dev eswitch set pci/{pf.pci} mode switchdev (with VFs unbound)", subject=name)
        if state.encap_mode == "none":
            yield Finding("eswitch-encap-none", W, f"{name}: e-switch encap mode is none: Geneve cannot be offloaded",
                          f"devlink dev eswitch set pci/{pf.pci} encap-mode basic", subject=name)


def check_representors(inp: PreflightInput) -> Iterator[Finding]:
    for a, pf in _pfs(inp):
        if _dpu_mode(inp, a, pf) or eswitch_of(pf, inp.host).mode == "legacy":
            continue  # reported above; representors only exist in switchdev
        for vf in pf.vfs:
            if vf.representor is None:
                yield Finding("vf-without-representor", E, f"VF {vf.index} ({vf.pci}) of {pf.uplink or pf.pci} has "
                              "no representor", "switch the PF to switchdev before creating VFs, then rebind them",
                              subject=vf.pci)
            elif inp.ovs is not None and inp.ovs.bridge_of.get(vf.representor) != inp.ovs.integration_bridge:
                where = inp.ovs.bridge_of.get(vf.representor)
                yield Finding("representor-not-on-bridge", E, f"representor {vf.representor} of VF {vf.index} is "
                              f"{'on ' + where if where else 'not on any OVS bridge'}, not on "
                              f"{inp.ovs.integration_bridge}", "the pod's VF is not plugged yet, or was plugged "
                              f"elsewhere: ovs-vsctl add-port {inp.ovs.integration_bridge} {vf.representor}",
                              subject=vf.representor)


def check_tc_offload(inp: PreflightInput) -> Iterator[Finding]:
    for a, pf in _pfs(inp):
        if _dpu_mode(inp, a, pf):
            continue
        names = [pf.uplink] if pf.uplink else []
        names += [vf.representor for vf in pf.vfs if vf.representor]
        for name in names:
            f = inp.host.features.get(name)
            if f is None or f.hw_tc_offload is None:
                continue
            if not f.hw_tc_offload:
                role = "uplink" if name == pf.uplink else "VF representor"
                hint = ("the driver cannot offload TC here ([fixed])" if f.fixed
                        else f"ethtool -K {name} hw-tc-offload on")
                yield Finding("hw-tc-offload-off", E, f"hw-tc-offload is off on {role} {name}", hint, subject=name)


def check_ovs(inp: PreflightInput) -> Iterator[Finding]:
    if inp.ovs is None:
        yield Finding("ovs-unreachable", I, f"OVS not reachable ({inp.ovs_error}): OVS checks skipped",
                      "normal before OVS is installed; run again once it is")
        return
    if not inp.ovs.hw_offload:
        yield Finding("ovs-hw-offload-off", E, "Open_vSwitch other_config:hw-offload is not true: "
                      "datapath flows stay in software", "ovs-vsctl set Open_vSwitch . other_config:hw-offload=true "
                      "and restart ovs-vswitchd")
    policy = inp.ovs.tc_policy or "none"
    if policy == "skip_sw":
        yield Finding("ovs-tc-policy-skip-sw", W, "tc-policy is skip_sw: conntrack offload needs TC software tables",
                      "use tc-policy=none (the default)")
    else:
        yield Finding("ovs-tc-policy", I, f"tc-policy is {policy}")
    uplinks = {pf.uplink for _, pf in _pfs(inp) if pf.uplink}
    for pf_name, _ip in inp.ovs.pf_mapping:
        if pf_name not in uplinks:
            yield Finding("pf-mapping-unknown-pf", E, f"ovn-pf-encap-ip-mapping names {pf_name}, which is not the "
                          "uplink of a checked adapter", "use the uplink representor's name (phys_port_name p<N>), as "
                          "ovnkube-node looks it up", subject=pf_name)


def _uplink_pf(inp: PreflightInput, name: str) -> PhysicalFunction | None:
    return next((pf for _, pf in _pfs(inp) if pf.uplink == name), None)


def check_vteps(inp: PreflightInput) -> Iterator[Finding]:
    addresses = inp.host.addresses.value
    if addresses is None:  # not read: nothing to say about any VTEP
        return
    for pf_name, ip in inp.vteps:
        found = addresses.get(ip)
        if found is None:
            yield Finding("vtep-ip-missing", E, f"VTEP IP {ip} of {pf_name} is not configured on any interface",
                          f"add it to the VTEP interface on {pf_name}'s OVS bridge", subject=ip)
            continue
        dev, _prefix, family = found
        bridge = inp.ovs.bridge_of.get(dev) if inp.ovs else None
        pf_bridge = inp.ovs.bridge_of.get(pf_name) if inp.ovs else None
        if pf_bridge is not None and bridge != pf_bridge:
            where = f"on {bridge}" if bridge else "not on an OVS bridge"
            yield Finding("vtep-ip-missing", E, f"VTEP IP {ip} is on {dev}, which is "
                          f"{where}, not on {pf_name}'s bridge {pf_bridge}",
                          f"move the address to an internal port of {pf_bridge}", subject=ip)
        yield from _mtu(inp, pf_name, ip, dev, 6 if family == "ipv6" else 4)
        yield from _routing(inp, ip, dev)


def _mtu(inp: PreflightInput, pf_name: str, ip: str, dev: str, family: int) -> Iterator[Finding]:
    links = inp.host.links.value or {}
    vtep_mtu = links[dev].mtu if dev in links else None
    pf_mtu = links[pf_name].mtu if pf_name in links else None
    if vtep_mtu is None:
        return
    need = GENEVE_OVERHEAD[family]
    if pf_mtu is not None and vtep_mtu > pf_mtu:
        yield Finding("vtep-mtu-too-small", E, f"{pf_name} MTU {pf_mtu} is below its VTEP {dev}'s MTU {vtep_mtu}: "
                      "full-size tunnel packets are dropped", f"raise {pf_name}'s MTU to at least {vtep_mtu}",
                      subject=ip)
    if inp.overlay_mtu is not None and inp.overlay_mtu + need > vtep_mtu:
        yield Finding("vtep-mtu-too-small", E, f"{dev} (VTEP {ip}) MTU {vtep_mtu} leaves no room for Geneve under "
                      f"the overlay MTU {inp.overlay_mtu}: needs {inp.overlay_mtu + need} "
                      f"({need} bytes over IPv{family})",
                      f"raise {dev} and {pf_name} to {inp.overlay_mtu + need} or lower the overlay MTU", subject=ip)


def _routing(inp: PreflightInput, ip: str, dev: str) -> Iterator[Finding]:
    rules = [r for r in inp.host.rules.value or () if covers(r, ip) and r.table not in _RESERVED_TABLES]
    if not rules:
        yield Finding("vtep-rule-missing", E, f"no ip rule sends traffic from VTEP {ip} to its own table",
                      f"ip rule add from {ip} lookup <table>, with the overlay routes via {dev} in that table",
                      subject=ip)
        return
    for (probe, vtep), answer in sorted(inp.host.route_answers.items(), key=lambda item: item[0][::-1]):
        if vtep != ip:
            continue
        if answer.error or answer.oif != dev:
            got = answer.error or f"leaves through {answer.oif} (table {answer.table})"
            yield Finding("vtep-route-wrong-device", E, f"traffic from VTEP {ip} to {probe} {got}, not through {dev}",
                          f"in table {rules[0].table}: ip route add <remote VTEP subnet> via <gateway> dev {dev}",
                          subject=ip)


CHECKS = {
    "adapters": check_adapters,
    "sriov-eswitch": check_sriov_eswitch,
    "representors": check_representors,
    "hw-tc-offload": check_tc_offload,
    "ovs": check_ovs,
    "vteps": check_vteps,
}


def run_checks(inp: PreflightInput, only: tuple[str, ...] = ()) -> tuple[Finding, ...]:
    """Run the named checks (all by default); findings sorted errors first."""
    found = [f for name, check in CHECKS.items() if not only or name in only for f in check(inp)]
    if not inp.privileged:
        found.append(Finding("needs-root", I, "not running as root: the e-switch mode (devlink) cannot be read",
                             "run mvtep preflight as root for the complete picture"))
    return sort_findings(found)
