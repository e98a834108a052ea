"""Pre-flight checks: pure functions from what was read to findings.

Everything a check needs arrives in a :class:`PreflightInput`: the sysfs
inventory, the host's answers decoded once (:class:`~hw.host.HostView`:
devlink, ethtool, links, addresses, rules, the kernel's routing verdicts,
sysctls) and plain OVSDB values (:class:`OvsView`).  So each check is
testable on modelled hardware with recorded answers, and each finding code
(README, "Finding codes") comes from exactly one place here or in
:mod:`hw.vtep_checks`.

Which PFs are checked is decided by what they are, not by a product list
(:mod:`hw.roles`): every PF of an mlx5 NIC gets every check unless the host
proves it is not its e-switch's manager (a BlueField's host PF in DPU
mode); on a BlueField's Arm the Arm's side is checked.
"""

from __future__ import annotations

from hw.check_names import CHECK_NAMES

from collections.abc import Iterator
from dataclasses import dataclass

from hw.host import eswitch_of
from hw.inputs import OvsView, PreflightInput
from hw.model import Adapter, PhysicalFunction
from hw.roles import NOT_MANAGER_ERRORS, Role, role_of
from hw.vtep_checks import check_vteps
from mvcore.findings import Finding, Severity, sort_findings

__all__ = ["OvsView", "PreflightInput", "CHECKS", "run_checks", "checked_pfs", "Checked"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
_LAG_MODES = ("active-backup", "balance-xor", "802.3ad")  # what mlx5 can offload as VF-LAG (hw-reference.md 7)


@dataclass(frozen=True, slots=True)
class Checked:
    """A PF of an mlx5 adapter and what it is to its e-switch."""

    adapter: Adapter
    pf: PhysicalFunction
    role: Role

    @property
    def name(self) -> str:
        return self.pf.uplink or self.pf.pci


def checked_pfs(inp: PreflightInput) -> Iterator[Checked]:
    """Every PF of an mlx5 adapter, with its role."""
    for a in inp.inventory.adapters:
        if a.supported:
            for pf in a.pfs:
                yield Checked(a, pf, role_of(a, pf, inp.host, inp.privileged))


def _managed(inp: PreflightInput) -> Iterator[Checked]:
    """The PFs whose e-switch this host can configure (all but DPU-mode host PFs)."""
    return (c for c in checked_pfs(inp) if c.role.kind != "dpu-host")


def check_adapters(inp: PreflightInput) -> Iterator[Finding]:
    if not any(a.supported for a in inp.inventory.adapters):
        yield Finding("no-adapters", W, "no mlx5 adapter (ConnectX, BlueField) found",
                      "multi-VTEP offload needs SR-IOV NICs: check lspci and the mlx5_core driver")
    for a in inp.inventory.adapters:
        if not a.supported:
            yield Finding("adapter-unsupported", I, f"{a.product} at {a.slot} is not an mlx5 NIC function: "
                          "not checked", subject=a.slot)
    for reason in inp.inventory.skipped:
        yield Finding("device-skipped", W, reason, "sysfs changed or is unreadable: run again")
    for c in checked_pfs(inp):
        for problem in c.pf.problems:
            yield Finding("sysfs-unreadable", W, f"{c.pf.pci}: {problem}", subject=c.pf.pci)


def _role_findings(c: Checked) -> Iterator[Finding]:
    if c.role.kind == "dpu-host":
        yield Finding("bluefield-dpu-mode", E, f"{c.adapter.product} {c.name} is in DPU mode ({c.role.why}): the "
                      "Arm owns the e-switch and the VF representors, this host cannot offload or select VTEPs",
                      "run mvtep preflight on the BlueField's Arm, where ovnkube-node --ovnkube-node-mode dpu "
                      "plugs this host's VFs and maps the Arm's uplinks p0/p1; or switch the card to NIC mode "
                      "(INTERNAL_CPU_MODEL / ESWITCH_MANAGER=EXT_HOST_PF) and reboot", subject=c.name)
    elif c.role.kind == "arm":
        hosts = [r for r in c.pf.host_representors if r.kind == "vf"]
        pfs = ", ".join(r.netdev for r in c.pf.host_representors if r.kind == "pf") or "none"
        yield Finding("bluefield-arm", I, f"{c.name}: this is the {c.adapter.product}'s Arm (DPU mode): the host's "
                      f"PF representor {pfs} and {len(hosts)} host VF representor(s) are here; checking the Arm's "
                      "side, as ovnkube-node --ovnkube-node-mode dpu uses it"
                      + ("" if hosts else " (the host has created no VFs yet)"), subject=c.name)


def check_sriov_eswitch(inp: PreflightInput) -> Iterator[Finding]:
    for c in checked_pfs(inp):
        yield from _role_findings(c)
        if c.role.kind == "dpu-host":
            continue
        pf, name = c.pf, c.name
        if c.role.kind != "arm":  # on the Arm, the host creates the VFs
            yield from _sriov(pf, name)
        state = eswitch_of(pf, inp.host)
        if state.mode == "unknown":
            yield Finding("eswitch-mode-unknown", W, f"{name}: e-switch mode unknown "
                          f"({state.error or 'devlink unavailable'})", _unknown_hint(inp, c, state.error),
                          subject=name)
        elif state.mode == "switchdev_inactive":
            # "devlink: Introduce switchdev_inactive eswitch mode" (net-next, Nov 2025): traffic is
            # dropped on this FDB; switchdev_inactive -> switchdev enables it, representors and FDB kept.
            yield Finding("eswitch-switchdev-inactive", E, f"{name}: e-switch is switchdev_inactive: the "
                          "kernel drops this e-switch's traffic until it is activated",
                          f"devlink dev eswitch set pci/{pf.pci} mode switchdev (representors and rules are kept; "
                          "VFs need not be unbound)", subject=name)
        elif state.mode != "switchdev":
            yield Finding("eswitch-not-switchdev", E, f"{name}: e-switch is in {state.mode} mode",
                          f"devlink dev eswitch set pci/{pf.pci} mode switchdev (with VFs unbound)", subject=name)
        if state.encap_mode == "none":
            yield Finding("eswitch-encap-none", E, f"{name}: e-switch encap mode is none: no Geneve "
                          "encapsulation or decapsulation can be offloaded",
                          f"devlink dev eswitch set pci/{pf.pci} encap-mode basic (before any flow is offloaded)",
                          subject=name)
        steering = inp.host.params.get((pf.pci, "flow_steering_mode"))
        if steering is not None and steering.value == "dmfs":
            yield Finding("flow-steering-dmfs", I, f"{name}: flow_steering_mode is dmfs (firmware-managed): "
                          "offloaded rules are inserted more slowly than with smfs, which sriov-network-operator "
                          "sets on switchdev PFs",
                          f"devlink dev param set pci/{pf.pci} name flow_steering_mode value smfs cmode runtime "
                          "(while the e-switch is legacy)", subject=name)


def _sriov(pf: PhysicalFunction, name: str) -> Iterator[Finding]:
    if pf.sriov_totalvfs == 0:
        yield Finding("sriov-disabled", E, f"{name}: SR-IOV is off in firmware (sriov_totalvfs 0)",
                      "enable SRIOV_EN and NUM_OF_VFS in the adapter's firmware configuration", subject=name)
    elif not pf.sriov_numvfs and not pf.sfs:
        yield Finding("sriov-disabled", E, f"{name}: no VFs created (sriov_numvfs 0)",
                      f"echo N > /sys/bus/pci/devices/{pf.pci}/sriov_numvfs (after switching to switchdev)",
                      subject=name)


def _unknown_hint(inp: PreflightInput, c: Checked, error: str | None) -> str:
    if not inp.privileged:
        return "run as root: reading the e-switch mode needs CAP_NET_ADMIN"
    if error in NOT_MANAGER_ERRORS:
        return ("this PF does not manage its e-switch: a multi-host card's other host, or (older kernels) "
                "SR-IOV is not enabled yet")
    return "devlink is unavailable here and the MLNX_OFED compat/devlink/mode file is absent"


def _not_on_bridge(inp: PreflightInput, netdev: str, what: str) -> Iterator[Finding]:
    if inp.ovs is None or inp.ovs.bridge_of.get(netdev) == inp.ovs.integration_bridge:
        return
    where = inp.ovs.bridge_of.get(netdev)
    yield Finding("representor-not-on-bridge", E, f"representor {netdev} of {what} is "
                  f"{'on ' + where if where else 'not on any OVS bridge'}, not on {inp.ovs.integration_bridge}",
                  "the pod's function is not plugged yet, or was plugged elsewhere: "
                  f"ovs-vsctl add-port {inp.ovs.integration_bridge} {netdev}", subject=netdev)


def check_representors(inp: PreflightInput) -> Iterator[Finding]:
    for c in _managed(inp):
        pf = c.pf
        if eswitch_of(pf, inp.host).mode == "legacy":
            continue  # reported above; representors only exist in switchdev
        for vf in pf.vfs:
            if vf.representor is None:
                yield Finding("vf-without-representor", E, f"VF {vf.index} ({vf.pci}) of {c.name} has "
                              "no representor", "switch the PF to switchdev before creating VFs, then rebind them",
                              subject=vf.pci)
            else:
                yield from _not_on_bridge(inp, vf.representor, f"VF {vf.index}")
        for sf in pf.sfs:
            if sf.representor is None:
                yield Finding("sf-without-representor", E, f"SF {sf.name} (sfnum {sf.sfnum}) of {c.name} has no "
                              "representor on this host", "the SF's devlink port is gone or belongs to another "
                              f"controller: devlink port show pci/{pf.pci}", subject=sf.name)
            else:
                yield from _not_on_bridge(inp, sf.representor, f"SF {sf.name}")
        for rep in pf.host_representors:
            if rep.kind == "vf":  # ovnkube-node in dpu mode plugs these (GetVfRepresentorDPU)
                yield from _not_on_bridge(inp, rep.netdev, f"the host's VF {rep.index}")


def check_tc_offload(inp: PreflightInput) -> Iterator[Finding]:
    for c in _managed(inp):
        for name in c.pf.offload_netdevs:
            f = inp.host.features.get(name)
            if f is None or f.hw_tc_offload is None or f.hw_tc_offload:
                continue
            role = "uplink" if name == c.pf.uplink else "representor"
            hint = "the driver cannot offload TC here ([fixed])" if f.fixed else f"ethtool -K {name} hw-tc-offload on"
            yield Finding("hw-tc-offload-off", E, f"hw-tc-offload is off on {role} {name}", hint, subject=name)


def check_lag(inp: PreflightInput) -> Iterator[Finding]:
    """VF-LAG (both uplinks of a card in one bond) and MultiPort E-Switch."""
    by_card: dict[str, list[Checked]] = {}
    for c in _managed(inp):
        by_card.setdefault(c.adapter.slot, []).append(c)
    for slot, members in by_card.items():
        bonded = [c for c in members if c.pf.lag is not None]
        masters = sorted({c.pf.lag.master for c in bonded if c.pf.lag is not None})
        for master in masters:
            mine = [c for c in bonded if c.pf.lag is not None and c.pf.lag.master == master]
            mode = mine[0].pf.lag.mode if mine[0].pf.lag is not None else None
            names = " and ".join(c.name for c in mine)
            if mode not in _LAG_MODES:
                yield Finding("lag-mode-unsupported", E, f"{master} bonds {names} in mode {mode or 'unknown'}: mlx5 "
                              "forms a hardware LAG only for active-backup, balance-xor and 802.3ad",
                              f"set {master}'s mode to 802.3ad (LACP) or active-backup", subject=master)
            elif len(mine) < len(members):
                rest = ", ".join(c.name for c in members if c not in mine)
                yield Finding("lag-incomplete", E, f"{master} holds {names} but not {rest} of the same card: "
                              "mlx5 forms VF-LAG only over both ports", f"enslave {rest} to {master}", subject=master)
            else:
                yield Finding("vf-lag", I, f"{names} are bonded in {master} ({mode}): VF-LAG, one e-switch; OVS "
                              f"offloads on {master} (shared TC block) and the VTEP belongs on {master}'s bridge",
                              subject=master)
        multiport = [c for c in members if inp.host.param(c.pf.pci, "esw_multiport") is True]
        if multiport and not bonded:
            yield Finding("eswitch-multiport", I, f"{', '.join(c.name for c in multiport)}: MultiPort E-Switch "
                          "(esw_multiport): one FDB for the card's ports, so a VF may leave through either uplink "
                          "and either port's VTEP", subject=slot)



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
    managed = list(_managed(inp))
    uplinks = {c.pf.uplink for c in managed if c.pf.uplink}
    mapped = dict(inp.ovs.pf_mapping)
    for pf_name, _ip in inp.ovs.pf_mapping:
        if pf_name not in uplinks:
            yield Finding("pf-mapping-unknown-pf", E, f"ovn-pf-encap-ip-mapping names {pf_name}, which is not the "
                          "uplink of a checked adapter", "use the uplink representor's name (phys_port_name p<N>), as "
                          "ovnkube-node looks it up", subject=pf_name)
    for c in managed:  # ovnkube-node looks up the VF's *own* PF (sriovnet GetUplinkRepresentor)
        lag = c.pf.lag
        if lag is None or c.pf.uplink is None or c.pf.uplink in mapped:
            continue
        peers = [p.pf.uplink for p in managed if p.pf.lag == lag and p.pf.uplink in mapped]
        if peers:
            yield Finding("pf-mapping-lag-incomplete", E, f"{c.pf.uplink} is bonded with {peers[0]} in {lag.master}, "
                          f"but ovn-pf-encap-ip-mapping names only {peers[0]}: VFs of {c.pf.uplink} get no encap-ip "
                          "and use the default VTEP", f"add {c.pf.uplink}:{mapped[peers[0]]} to "
                          "ovn-pf-encap-ip-mapping", subject=c.pf.uplink)


CHECKS = {
    "adapters": check_adapters,
    "sriov-eswitch": check_sriov_eswitch,
    "representors": check_representors,
    "hw-tc-offload": check_tc_offload,
    "lag": check_lag,
    "ovs": check_ovs,
    "vteps": check_vteps,
}


assert tuple(CHECKS) == CHECK_NAMES  # the command line lists CHECK_NAMES without importing this module


def run_checks(inp: PreflightInput, only: tuple[str, ...] = ()) -> tuple[Finding, ...]:
    """Run the named checks (all by default); findings sorted errors first."""
    found = [f for name, check in CHECKS.items() if not only or name in only for f in check(inp)]
    if not inp.privileged:
        found.append(Finding("needs-root", I, "not running as root: the e-switch mode (devlink) cannot be read",
                             "run mvtep preflight as root for the complete picture"))
    return sort_findings(found)
