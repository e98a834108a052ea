"""The logical network an OVN-Kubernetes node really carries, on top of the
bare pod switch of :mod:`mvtep.sandbox.build`.

A node with only a switch and its ports holds a few hundred flows of a few
kinds.  A real node also holds network policies (ACLs on port groups and
address sets, logged and metered, with port ranges), Services (load balancers
with hairpin), the cluster router with a distributed gateway port on this
chassis (SNAT, DNAT, static and policy routes, an MTU check), DHCP and DNS.
ovn-controller turns those into the actions and match fields that
flow-reading code must cope with: ``conjunction``, ``learn``, ``ct(...nat)``,
``ct_clear``, ``group``, ``controller(userdata=...,meter_id=...)``,
``check_pkt_larger``, ``dec_ttl``, ``push:``/``pop:``, masked ``tp_dst``,
IPv6 and ND matches.

Everything is derived from the :class:`~mvtep.sandbox.topology.Plan`, so two
nodes of one size get the same logical network, and goes through the
release's own ctl programs in a handful of batched transactions.

``Size.acls`` adds that many extra network-policy ACLs (distinct remote
address / protocol / port combinations on the pod port group), which is what
makes a node big: each costs 2 logical flows (new and established
connections) times the ports in the group, 12 OpenFlow flows on the default
node.  The default node holds about 1,100-1,300 flows.  Measured on a 2-core
machine, this benchmark node holds over 100,000 flows on br-int (103,549 with
OVN 25.03, 103,652 with 26.03) and is programmed about 3 s after start:

    mvtep sandbox up --dir /tmp/svc-big --acls 8500

(``--acls 50000``, the maximum, gives about 600,000 flows in under 25 s.)
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping, Sequence

from mvtep.sandbox.toolroot import ToolRoot
from mvtep.sandbox.topology import Plan, RemotePort, Vf

__all__ = ["configure_services", "ipv6_of", "extra_acl_matches", "acl_transactions", "ROUTER", "PORT_GROUP"]

ROUTER = "cluster-router"
PORT_GROUP = "pg_pods"  # every pod of the "namespace": the network policies' subject
_DENY_GROUP = "pg_isolated"  # pods under a default-deny policy
_ADDRESS_SET = "as_remote_pods"  # the policy's peer pods, as OVN-Kubernetes keeps them
_METER = "acl-logging"  # OVN-Kubernetes' name for its ACL log meter
_EXT_SWITCH = "ext"
_PHYSNET = "physnet"
_EXT_BRIDGE = "br-ex"

# Router and gateway addresses (the pods are in 10.128.0.0/14, see topology).
_RTR_MAC = "0a:00:00:00:01:01"
_RTR_IP4, _RTR_IP6 = "10.128.0.1", "fd00:10:128::1"
_POD_CIDR4, _POD_CIDR6 = "10.128.0.0/14", "fd00:10:128::/64"
_GW_MAC = "0a:00:00:00:02:01"
_GW_IP4, _GW_IP6 = "172.16.0.2", "fd00:172:16::2"
_GW_NEXT_HOP = "172.16.0.1"
_VIP_TCP, _VIP_UDP, _VIP_TCP6 = "172.30.0.10", "172.30.0.53", "fd00:172:30::10"
_HAIRPIN_SNAT = "169.254.169.5 fd69::5"  # OVN-Kubernetes' hairpin masquerade IPs

# Above this many argv bytes per ovn-nbctl call, the extra ACLs are chunked
# (Linux allows ~2 MB of argv plus environment).
_ARGV_BUDGET = 900_000


def _q(value: str) -> str:
    """Quote an OVSDB string value."""
    return json.dumps(value)


def ipv6_of(ip4: str) -> str:
    """The pod's IPv6 address: its offset in 10.128.0.0/14 placed in fd00:10:128::/64."""
    offset = int(ipaddress.IPv4Address(ip4)) - int(ipaddress.IPv4Address("10.128.0.0"))
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("fd00:10:128::")) + offset))


def _dual_stack(index: int) -> bool:
    # Every other pod is dual-stack, so nodes hold both v4-only and v6 ports.
    return index % 2 == 0


def configure_services(tools: ToolRoot, env: Mapping[str, str], plan: Plan) -> None:
    """Add policies, Services, the gateway router, DHCP and DNS to ``plan``'s
    node, plus its ``extra_acls`` network-policy ACLs."""
    # The gateway's external network is a localnet port; OVN realises it only
    # on a chassis that maps the physical network to a bridge, as ovnkube-node
    # does with br-ex.
    tools.run("ovs-vsctl", [
        "--may-exist", "add-br", _EXT_BRIDGE, "--", "set", "Bridge", _EXT_BRIDGE, "datapath_type=dummy",
        "--", "set", "Open_vSwitch", ".", f"external_ids:ovn-bridge-mappings={_PHYSNET}:{_EXT_BRIDGE}",
    ], env)
    tools.run("ovn-nbctl", _join([
        *_ports(plan), *_policies(plan), *_router(plan), *_load_balancers(plan), *_dhcp_dns(plan),
    ]), env)
    for argv in acl_transactions(plan):
        tools.run("ovn-nbctl", argv, env, timeout=300.0)


def _join(commands: Sequence[list[str]]) -> list[str]:
    """One ovn-nbctl argv running ``commands`` in one transaction."""
    # A leading "--" ends ovn-nbctl's own options, so the first command may
    # carry command options (--id=..., --type=...) like the others.
    return [arg for command in commands for arg in ("--", *command)]


# --- ports: dual stack and port security ------------------------------------


def _addresses(mac: str, ip: str, index: int) -> str:
    return f"{mac} {ip} {ipv6_of(ip)}" if _dual_stack(index) else f"{mac} {ip}"


def _ports(plan: Plan) -> Iterator[list[str]]:
    for i, vf in enumerate(plan.vfs):
        addresses = _addresses(vf.mac, vf.ip, i)
        yield ["lsp-set-addresses", vf.iface_id, addresses]
        # The CNI locks every pod port to its addresses; the last VF is left
        # open, so a node also shows a port without port security.
        if i < len(plan.vfs) - 1 or len(plan.vfs) == 1:
            yield ["lsp-set-port-security", vf.iface_id, addresses]
    for i, rp in enumerate(plan.remote_ports):
        yield ["lsp-set-addresses", rp.name, _addresses(rp.mac, rp.ip, i)]


# --- network policies ----------------------------------------------------------


def _policies(plan: Plan) -> Iterator[list[str]]:
    pods = [v.iface_id for v in plan.vfs] + [p.name for p in plan.remote_ports]
    isolated = [v.iface_id for i, v in enumerate(plan.vfs) if i % 2 == 0]
    peers = [p.ip for p in plan.remote_ports] + ["10.132.0.10", "10.132.0.11"]  # and pods elsewhere
    yield ["meter-add", _METER, "drop", "20", "pktps"]
    yield ["pg-add", PORT_GROUP, *pods]
    yield ["pg-add", _DENY_GROUP, *isolated]
    yield ["create", "Address_Set", f"name={_ADDRESS_SET}", f"addresses=[{','.join(map(_q, peers))}]"]
    logged = ["--log", f"--meter={_METER}", "--severity=info"]
    pg = "--type=port-group"
    # Peers (an address set) on a set of ports: both sides have several
    # values, so OVN matches them with conjunction flows.
    yield [pg, *logged, "--name=allow-web", "acl-add", PORT_GROUP, "to-lport", "1001",
           f"outport == @{PORT_GROUP} && ip4.src == ${_ADDRESS_SET} && tcp.dst == {{80, 443, 8080}}",
           "allow-related"]
    # Port ranges: masked tp_dst matches.
    yield [pg, "--name=allow-nodeports", "acl-add", PORT_GROUP, "to-lport", "1001",
           f"outport == @{PORT_GROUP} && ip4.src == ${_ADDRESS_SET} && udp.dst >= 30000 && udp.dst <= 32767",
           "allow-related"]
    yield [pg, "--name=allow-v6-range", "acl-add", PORT_GROUP, "to-lport", "1001",
           f"outport == @{PORT_GROUP} && ip6 && tcp.dst >= 9000 && tcp.dst <= 9099", "allow-related"]
    # Default deny with ARP/ND still allowed, as OVN-Kubernetes programs it.
    yield [pg, "acl-add", _DENY_GROUP, "to-lport", "1001", f"outport == @{_DENY_GROUP} && (arp || nd)", "allow"]
    yield [pg, *logged, "--name=default-deny-ingress", "acl-add", _DENY_GROUP, "to-lport", "1000",
           f"outport == @{_DENY_GROUP} && ip", "drop"]
    yield [pg, *logged, "--name=deny-egress-metadata", "acl-add", _DENY_GROUP, "from-lport", "1000",
           f"inport == @{_DENY_GROUP} && ip4.dst == 169.254.169.254", "reject"]
    # A switch-level ACL: reject SSH to the external network from any pod.
    yield ["--type=switch", "acl-add", plan.logical_switch, "from-lport", "900",
           "ip4.dst == 172.16.0.0/16 && tcp.dst == 22", "reject"]


def extra_acl_matches(plan: Plan, count: int) -> list[str]:
    """The matches of ``count`` extra ACLs: each allows one remote pod on one
    protocol and port, all distinct."""
    peers = [p.ip for p in plan.remote_ports]
    matches = []
    for i in range(count):
        k, peer = divmod(i, len(peers))
        proto = "tcp" if k % 2 == 0 else "udp"
        matches.append(f"outport == @{PORT_GROUP} && ip4.src == {peers[peer]} && {proto}.dst == {1024 + k // 2}")
    return matches


def _argv_bytes(args: Sequence[str]) -> int:
    return sum(len(a.encode()) + 1 for a in args)  # each argument and its NUL


def acl_transactions(plan: Plan, budget: int = _ARGV_BUDGET) -> list[list[str]]:
    """The ovn-nbctl argvs that add ``plan.extra_acls`` ACLs to the pod port
    group, each at most ``budget`` bytes long (one transaction each)."""
    # acl-add looks for a duplicate among all existing ACLs (quadratic for
    # thousands); plain create plus one add per transaction is linear.
    attach = ["--", "add", "Port_Group", PORT_GROUP, "acls"]
    argvs: list[list[str]] = []
    creates: list[str] = []
    refs: list[str] = []
    size = _argv_bytes(attach)
    for n, match in enumerate(extra_acl_matches(plan, plan.extra_acls)):
        ref = f"@x{n}"
        create = ["--", f"--id={ref}", "create", "ACL", "direction=to-lport", "priority=1000",
                  f"match={_q(match)}", "action=allow-related"]
        cost = _argv_bytes(create) + _argv_bytes([ref])
        if refs and size + cost > budget:
            argvs.append([*creates, *attach, *refs])
            creates, refs, size = [], [], _argv_bytes(attach)
        creates += create
        refs.append(ref)
        size += cost
    if refs:
        argvs.append([*creates, *attach, *refs])
    return argvs


# --- the cluster router and its gateway ----------------------------------------


def _router(plan: Plan) -> Iterator[list[str]]:
    ls = plan.logical_switch
    yield ["lr-add", ROUTER]
    yield ["lrp-add", ROUTER, f"rtr-{ls}", _RTR_MAC, f"{_RTR_IP4}/14", f"{_RTR_IP6}/64"]
    yield ["lsp-add", ls, f"{ls}-rtr"]
    yield ["lsp-set-type", f"{ls}-rtr", "router"]
    yield ["lsp-set-addresses", f"{ls}-rtr", "router"]
    yield ["lsp-set-options", f"{ls}-rtr", f"router-port=rtr-{ls}"]
    # The external network: a switch with a localnet port on physnet.
    yield ["ls-add", _EXT_SWITCH]
    yield ["lsp-add", _EXT_SWITCH, f"{_EXT_SWITCH}-localnet"]
    yield ["lsp-set-type", f"{_EXT_SWITCH}-localnet", "localnet"]
    yield ["lsp-set-addresses", f"{_EXT_SWITCH}-localnet", "unknown"]
    yield ["lsp-set-options", f"{_EXT_SWITCH}-localnet", f"network_name={_PHYSNET}"]
    yield ["lrp-add", ROUTER, "rtr-ext", _GW_MAC, f"{_GW_IP4}/24", f"{_GW_IP6}/64"]
    yield ["lsp-add", _EXT_SWITCH, f"{_EXT_SWITCH}-rtr"]
    yield ["lsp-set-type", f"{_EXT_SWITCH}-rtr", "router"]
    yield ["lsp-set-addresses", f"{_EXT_SWITCH}-rtr", "router"]
    yield ["lsp-set-options", f"{_EXT_SWITCH}-rtr", "router-port=rtr-ext"]
    # A distributed gateway port resident here; packets over the gateway MTU
    # get ICMP "too big" (check_pkt_larger).
    yield ["lrp-set-gateway-chassis", "rtr-ext", plan.chassis, "10"]
    yield ["set", "Logical_Router_Port", "rtr-ext", "options:gateway_mtu=1400"]
    # Egress SNAT for the pod network; one pod with a floating IP, centralised,
    # and one distributed (bound to its port, with its own MAC).
    yield ["lr-nat-add", ROUTER, "snat", _GW_IP4, _POD_CIDR4]
    yield ["lr-nat-add", ROUTER, "snat", _GW_IP6, _POD_CIDR6]
    yield ["lr-nat-add", ROUTER, "dnat_and_snat", "172.16.0.100", plan.vfs[0].ip]
    if len(plan.vfs) > 1:
        yield ["lr-nat-add", ROUTER, "dnat_and_snat", "172.16.0.101", plan.vfs[1].ip,
               plan.vfs[1].iface_id, "0a:00:00:00:02:65"]
    yield ["lr-route-add", ROUTER, "0.0.0.0/0", _GW_NEXT_HOP]
    yield ["lr-route-add", ROUTER, "192.168.100.0/24", "172.16.0.254"]
    # A policy route: steer one pod's traffic for a subnet via another pod.
    if len(plan.vfs) > 1:
        yield ["lr-policy-add", ROUTER, "1004", f"ip4.src == {plan.vfs[0].ip} && ip4.dst == 192.168.200.0/24",
               "reroute", plan.vfs[-1].ip]


# --- Services ------------------------------------------------------------------


def _backends(endpoints: Sequence[Vf | RemotePort], port: int, v6: bool = False) -> str:
    return ",".join(f"[{ipv6_of(e.ip)}]:{port}" if v6 else f"{e.ip}:{port}" for e in endpoints)


def _load_balancers(plan: Plan) -> Iterator[list[str]]:
    local, remote = list(plan.vfs), list(plan.remote_ports)
    # Two local and two remote backends where the node has them: a local
    # backend is what makes hairpin (a pod reaching itself via the VIP) real.
    tcp = local[:2] + remote[:2]
    udp = local[-1:] + remote[-2:]
    v6 = [e for i, e in enumerate(local) if _dual_stack(i)][:2] + \
         [e for i, e in enumerate(remote) if _dual_stack(i)][:1]
    lbs = {
        "svc-web-tcp": [f"{_VIP_TCP}:80", _backends(tcp, 8080), "tcp"],
        "svc-dns-udp": [f"{_VIP_UDP}:53", _backends(udp, 5353), "udp"],
        "svc-web-tcp6": [f"[{_VIP_TCP6}]:80", _backends(v6, 8080, v6=True), "tcp"],
    }
    for name, args in lbs.items():
        yield ["lb-add", name, *args]
        yield ["set", "Load_Balancer", name, f"options:hairpin_snat_ip={_q(_HAIRPIN_SNAT)}"]
        yield ["ls-lb-add", plan.logical_switch, name]
        yield ["lr-lb-add", ROUTER, name]


# --- DHCP and DNS ----------------------------------------------------------------


def _dhcp_dns(plan: Plan) -> Iterator[list[str]]:
    yield ["--id=@dhcp4", "create", "DHCP_Options", f"cidr={_q(_POD_CIDR4)}",
           "options:lease_time=3600", f"options:router={_RTR_IP4}", f"options:server_id={_RTR_IP4}",
           f"options:server_mac={_q(_RTR_MAC)}", "options:mtu=1400", f"options:dns_server={_q('{172.30.0.53}')}"]
    yield ["--id=@dhcp6", "create", "DHCP_Options", f"cidr={_q(_POD_CIDR6)}",
           f"options:server_id={_q(_RTR_MAC)}", f"options:dns_server={_q('{fd00:172:30::53}')}"]
    for i, vf in enumerate(plan.vfs):
        if i % 3 != 2:  # most pods, not all: ports without DHCP stay on a node too
            yield ["set", "Logical_Switch_Port", vf.iface_id, "dhcpv4_options=@dhcp4"]
        if _dual_stack(i):
            yield ["set", "Logical_Switch_Port", vf.iface_id, "dhcpv6_options=@dhcp6"]
    records = {
        "web.default.svc.cluster.local": f"{_VIP_TCP} {_VIP_TCP6}",
        "dns.default.svc.cluster.local": _VIP_UDP,
    }
    records |= {f"{rp.name}.pods.cluster.local": rp.ip for rp in plan.remote_ports}
    yield ["--id=@dns", "create", "DNS", *(f"records:{_q(k)}={_q(v)}" for k, v in records.items())]
    yield ["add", "Logical_Switch", plan.logical_switch, "dns_records", "@dns"]
