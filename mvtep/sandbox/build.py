"""Lay a :class:`~mvtep.sandbox.topology.Plan` onto the running daemons.

Everything goes through the release's own ctl programs, batched into one
transaction per step, so the node is configured exactly as an operator (or
ovnkube-node) would configure a real one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mvtep.sandbox.toolroot import ToolRoot
from mvtep.sandbox.topology import Plan

__all__ = ["configure_ovs", "configure_ovn", "local_ports"]


def _q(value: str) -> str:
    """Quote an OVSDB string value (commas and colons would split it)."""
    return json.dumps(value)


def configure_ovs(tools: ToolRoot, env: Mapping[str, str], rundir: Path, plan: Plan) -> None:
    """Open_vSwitch external_ids for OVN, the PF bridges with their VTEP
    ports (the design doc's brenpXs0f0/vtepN), and the VF representors on br-int."""
    # ovs-ctl records the version at start; the sandbox does the same.
    version = tools.run("ovs-vswitchd", ["--version"], env).split()[-1]
    encap_ips = ",".join(v.ip for v in plan.vteps)
    mapping = ",".join(f"{v.pf}:{v.ip}" for v in plan.vteps)
    args = [
        "set", "Open_vSwitch", ".", f"ovs_version={_q(version)}",
        f"external_ids:system-id={plan.chassis}",
        f"external_ids:hostname={plan.chassis}",
        f"external_ids:ovn-remote={_q('unix:' + str(rundir) + '/ovnsb_db.sock')}",
        "external_ids:ovn-encap-type=geneve",
        f"external_ids:ovn-encap-ip={_q(encap_ips)}",
        f"external_ids:ovn-pf-encap-ip-mapping={_q(mapping)}",
        "--", "add-br", "br-int",
        "--", "set", "Bridge", "br-int", "datapath_type=dummy", "fail-mode=secure",
        "other-config:disable-in-band=true",
    ]
    for i, vtep in enumerate(plan.vteps):
        bridge = f"br{vtep.pf}"
        args += [
            "--", "add-br", bridge, "--", "set", "Bridge", bridge, "datapath_type=dummy",
            "--", "add-port", bridge, vtep.pf,
            "--", "add-port", bridge, f"vtep{i}", "--", "set", "Interface", f"vtep{i}", "type=internal",
        ]
    for vf in plan.vfs:
        ids = [f"external_ids:iface-id={vf.iface_id}"]
        if vf.encap_ip:
            ids.append(f"external_ids:encap-ip={vf.encap_ip}")
        args += ["--", "add-port", "br-int", vf.representor,
                 "--", "set", "Interface", vf.representor, f"ofport_request={vf.ofport}", *ids]
    tools.run("ovs-vsctl", args, env)
    # The tunnel ports are real Geneve vports (ovs-vswitchd runs with
    # --enable-dummy=system); without tunnel push/pop the dummy datapath
    # encapsulates the way the kernel datapath of an SR-IOV node does, so a
    # trace ends in set(tunnel(src=<VTEP>,dst=<remote VTEP>,...)),<port>.
    tools.run("ovs-appctl", ["dpif/set-dp-features", "br-int", "tnl_push_pop", "false"], env)


def configure_ovn(tools: ToolRoot, env: Mapping[str, str], plan: Plan) -> None:
    """The logical switch and its ports in NB; the remote chassis, their
    encaps and the remote ports' bindings (with ``Port_Binding.encap``) in SB."""
    nb = ["ls-add", plan.logical_switch]
    for name, mac, ip in [(v.iface_id, v.mac, v.ip) for v in plan.vfs] + \
                         [(p.name, p.mac, p.ip) for p in plan.remote_ports]:
        nb += ["--", "lsp-add", plan.logical_switch, name, "--", "lsp-set-addresses", name, f"{mac} {ip}"]
    tools.run("ovn-nbctl", nb, env)

    sb: list[str] = []
    for r in plan.remotes:
        sb += ["--", "chassis-add", r.name, "geneve", r.encap_ips[0]]
        for k, ip in enumerate(r.encap_ips[1:]):
            ref = f"@e_{r.name.replace('-', '_')}_{k}"
            sb += ["--", f"--id={ref}", "create", "Encap", "type=geneve", f"ip={_q(ip)}",
                   f"chassis_name={r.name}", "options:csum=true",
                   "--", "add", "Chassis", r.name, "encaps", ref]
    tools.run("ovn-sbctl", sb[1:], env)
    # Port_Bindings exist once northd has caught up with NB.
    tools.run("ovn-nbctl", ["--timeout=30", "--wait=sb", "sync"], env)
    encaps = _encap_uuids(tools, env)
    bind: list[str] = []
    for p in plan.remote_ports:
        bind += ["--", "lsp-bind", p.name, p.chassis,
                 "--", "set", "Port_Binding", p.name, f"encap={encaps[p.encap_ip]}"]
    tools.run("ovn-sbctl", bind[1:], env)


def _encap_uuids(tools: ToolRoot, env: Mapping[str, str]) -> dict[str, str]:
    out = tools.run("ovn-sbctl", ["--format=json", "--columns=_uuid,ip", "list", "Encap"], env)
    return {ip: uuid[1] for uuid, ip in json.loads(out)["data"]}


def local_ports(tools: ToolRoot, env: Mapping[str, str]) -> dict[str, int]:
    """br-int's VIF interfaces (those with ``external_ids:iface-id``): name -> ofport.

    An interface whose ofport is not assigned yet maps to -1.
    """
    out = tools.run("ovs-vsctl", ["--format=json", "--columns=name,ofport,external_ids", "list", "Interface"], env)
    ports = {}
    for name, ofport, ids in json.loads(out)["data"]:
        if "iface-id" in dict(ids[1]):
            ports[name] = ofport if isinstance(ofport, int) else -1
    return ports
