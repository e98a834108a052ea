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

__all__ = ["configure_ovs", "configure_ovn", "configure_shape", "fail_tunnel", "local_ports"]


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
        # ovnkube-node writes it at every start (default_node_network_controller.go); OVN <= 24.03 reads it
        "external_ids:ovn-set-local-ip=true",
    ]
    if not plan.shape.ipv6:  # ovn-kubernetes' mapping cannot hold IPv6 VTEPs (PF:IP split on ':')
        args.append(f"external_ids:ovn-pf-encap-ip-mapping={_q(mapping)}")
    if plan.shape.encap_ip_default is not None:
        args.append(f"external_ids:ovn-encap-ip-default={_q(plan.shape.encap_ip_default)}")
    if plan.shape.interconnect:
        args.append("external_ids:ovn-is-interconn=true")
    if plan.shape.evpn:
        args.append("external_ids:ovn-evpn-vxlan-ports=4789")
    args += [
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
        if plan.shape.interconnect:  # what ovnkube-node's zone-interconnect chassis handler writes
            sb += ["--", "set", "Chassis", r.name, "other_config:is-remote=true"]
        for k, ip in enumerate(r.encap_ips[1:]):
            ref = f"@e_{r.name.replace('-', '_')}_{k}"
            sb += ["--", f"--id={ref}", "create", "Encap", "type=geneve", f"ip={_q(ip)}",
                   f"chassis_name={r.name}", "options:csum=true",
                   "--", "add", "Chassis", r.name, "encaps", ref]
    tools.run("ovn-sbctl", sb[1:], env)
    if plan.shape.interconnect:
        # In interconnect mode a pod of another node is a "remote" port that ovn-northd binds to the
        # requested remote-zone chassis (northd.c: is-remote-nb-bound); it has no Port_Binding.encap.
        ic: list[str] = []
        for p in plan.remote_ports:
            ic += ["--", "lsp-set-type", p.name, "remote", "--", "lsp-set-options", p.name,
                   f"requested-chassis={p.chassis}"]
        tools.run("ovn-nbctl", ic[1:], env)
    # Port_Bindings exist once northd has caught up with NB.
    tools.run("ovn-nbctl", ["--timeout=30", "--wait=sb", "sync"], env)
    if plan.shape.interconnect:
        return
    encaps = _encap_uuids(tools, env)
    bind: list[str] = []
    for p in plan.remote_ports:
        bind += ["--", "lsp-bind", p.name, p.chassis]
        if plan.shape.encap_set:
            bind += ["--", "set", "Port_Binding", p.name, f"encap={encaps[p.encap_ip]}"]
    tools.run("ovn-sbctl", bind[1:], env)


def _uuid(tools: ToolRoot, env: Mapping[str, str], table: str, condition: str) -> str:
    return tools.run("ovn-sbctl", ["--bare", "--columns=_uuid", "find", table, condition], env).split()[0]


def configure_shape(tools: ToolRoot, env: Mapping[str, str], plan: Plan) -> None:
    """What the shape adds once the logical network exists: a remote port
    bound to a second, additional chassis, and a local VIF that is being
    live-migrated here (bound to a remote chassis, this one its additional
    chassis, with an activation strategy, as ovn-kubernetes' KubeVirt live
    migration sets it)."""
    shape = plan.shape
    if shape.additional_chassis and len(plan.remotes) > 1:
        port = next(p for p in plan.remote_ports if p.chassis == plan.remotes[1].name)
        other = _uuid(tools, env, "Chassis", f"name={plan.remotes[0].name}")
        tools.run("ovn-sbctl", ["set", "Port_Binding", port.name, f"additional_chassis={other}"], env)
    if shape.activation_strategy and len(plan.vfs) > 1:
        vf = plan.vfs[1]
        tools.run("ovn-nbctl", ["lsp-set-options", vf.iface_id,
                                f"requested-chassis={plan.remotes[0].name},{plan.chassis}",
                                "activation-strategy=rarp"], env)
        tools.run("ovn-nbctl", ["--timeout=30", "--wait=sb", "sync"], env)
        # This node's ovn-controller, now only the port's additional chassis, lets
        # the main binding go; until it has, the port cannot be bound elsewhere.
        tools.run("ovn-sbctl", ["--timeout=30", "wait-until", "Port_Binding", vf.iface_id, "chassis=[]"], env)
        # What remote-0's ovn-controller would write as the port's main chassis: itself and its encap.
        encap = _uuid(tools, env, "Encap", f"ip={_q(plan.remotes[0].encap_ips[0])}")
        tools.run("ovn-sbctl", ["lsp-bind", vf.iface_id, plan.remotes[0].name,
                                "--", "set", "Port_Binding", vf.iface_id, f"encap={encap}"], env)


def fail_tunnel(tools: ToolRoot, env: Mapping[str, str], plan: Plan) -> None:
    """Make one tunnel port impossible to create: the one from the second
    VTEP to remote-1's first encap is removed from br-int and its name taken
    by a port of another bridge (interface names are unique in OVSDB), so
    ovn-controller's attempts to add it again fail and OVN falls back to
    another tunnel to remote-1, as it does on a node where OVS cannot add a
    tunnel."""
    local, remote = plan.vteps[min(1, len(plan.vteps) - 1)].ip, plan.remotes[-1].encap_ips[0]
    name = tools.run("ovs-vsctl", ["--bare", "--columns=name", "find", "Interface", "type=geneve",
                                   f"options:local_ip={_q(local)}", f"options:remote_ip={_q(remote)}"], env).split()
    if name:
        tools.run("ovs-vsctl", ["del-port", "br-int", name[0], "--", "add-port", f"br{plan.vteps[0].pf}", name[0],
                                "--", "set", "Interface", name[0], "type=internal"], env)


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
