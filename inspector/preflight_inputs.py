"""``mvtep preflight`` as a pure function of a node snapshot: what the checks
of :mod:`hw.checks` need, decoded from the sysfs, netlink, devlink, ethtool,
sysctl and OVSDB answers the snapshot holds."""

from __future__ import annotations

from collections.abc import Mapping

from flowprog.node_verify import node_of
from flowprog.nodeconfig import NodeConfig
from hw.checks import OvsView, PreflightInput
from inspector.hardware import require_host, require_inventory
from mvcore.snapshot import NodeSnapshot

__all__ = ["preflight_input", "dual_stack_of"]

# ovn-kubernetes names a node's management port's logical port "k8s-<node>"
# (types.K8sPrefix) and gives it an address from each of the node's subnets.
_MANAGEMENT_PORT_PREFIX = "k8s-"


def dual_stack_of(node: NodeConfig, addresses: Mapping[str, tuple[str, int, str]]) -> tuple[bool | None, str]:
    """Whether the cluster runs IPv6, from the node's OVN configuration: the
    families of the addresses on ovn-kubernetes' management port (the VIF whose
    iface-id is ``k8s-<node>``, ``ovn-k8s-mp0``); (None, "") when there is none."""
    port = next((v.name for v in node.vifs if v.iface_id.startswith(_MANAGEMENT_PORT_PREFIX)), None)
    if port is None:
        return None, ""
    families = {family for ip, (dev, _len, family) in addresses.items() if dev == port and "%" not in ip}
    if not families:
        return None, ""
    both = "ipv6" in families
    kinds = " and ".join(sorted(f.replace("ip", "IP") for f in families))
    return both, f"the management port {port} has {kinds} addresses"


def preflight_input(snap: NodeSnapshot, *, overlay_mtu: int | None = None,
                    pf_mapping: tuple[tuple[str, str], ...] = (), dual_stack: bool = False) -> PreflightInput:
    """``pf_mapping`` (PF, VTEP IP) pairs stand in for OVS's
    ``ovn-pf-encap-ip-mapping`` before OVS is set up; ``dual_stack`` says the
    cluster runs IPv6 when the node cannot tell yet."""
    ovs = None
    inventory = require_inventory(snap)
    host = require_host(snap)
    ipv6, source = (True, "given") if dual_stack else (None, "")
    if snap.ovsdb.value is not None:
        # the same configuration the paths of this snapshot are judged by: built once per
        # gather, and with ovn-controller's system-id-override naming the chassis (per-chassis keys)
        node = node_of(snap)
        ovs = OvsView(node.hw_offload, node.tc_policy, node.encap_ips, node.pf_mapping.pairs, node.bridge_of,
                      snap.bridge)
        if not dual_stack:
            ipv6, source = dual_stack_of(node, host.addresses.value or {})
    vteps = pf_mapping or (ovs.pf_mapping if ovs else ())
    return PreflightInput(inventory, host, ovs,
                          None if ovs else snap.ovsdb.why_not("the Open_vSwitch database"),
                          privileged=bool(snap.privileged), overlay_mtu=overlay_mtu, vteps=tuple(vteps),
                          dual_stack=ipv6, dual_stack_from=source)
