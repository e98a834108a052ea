"""``mvtep preflight`` as a pure function of a node snapshot: what the checks
of :mod:`hw.checks` need, decoded from the sysfs, netlink, devlink, ethtool
and OVSDB answers the snapshot holds."""

from __future__ import annotations

from flowprog.nodeconfig import NodeConfig
from hw.checks import OvsView, PreflightInput
from inspector.hardware import require_host, require_inventory
from mvcore.snapshot import NodeSnapshot

__all__ = ["preflight_input"]


def preflight_input(snap: NodeSnapshot, *, overlay_mtu: int | None = None,
                    pf_mapping: tuple[tuple[str, str], ...] = ()) -> PreflightInput:
    """``pf_mapping`` (PF, VTEP IP) pairs stand in for OVS's
    ``ovn-pf-encap-ip-mapping`` before OVS is set up."""
    ovs = None
    if snap.ovsdb.value is not None:
        node = NodeConfig.from_state(snap.ovsdb.value, snap.bridge)
        ovs = OvsView(node.hw_offload, node.tc_policy, node.encap_ips, node.pf_mapping.pairs, node.bridge_of,
                      snap.bridge)
    vteps = pf_mapping or (ovs.pf_mapping if ovs else ())
    return PreflightInput(require_inventory(snap), require_host(snap), ovs,
                          None if ovs else snap.ovsdb.why_not("the Open_vSwitch database"),
                          privileged=bool(snap.privileged), overlay_mtu=overlay_mtu, vteps=tuple(vteps))
