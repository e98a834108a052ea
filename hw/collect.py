"""Read everything the pre-flight checks need from a live node (or a
modelled one: a sysfs root and a network namespace are parameters).

Each source may be missing -- OVS not installed yet, devlink absent,
not root -- and then the matching part of :class:`~hw.checks.PreflightInput`
says so instead of failing the whole run.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from flowprog.nodeconfig import TABLES, NodeConfig
from flowprog.ovsdb import read_tables
from hw import devlink, ethtool, routing
from hw.checks import HostView, OvsView, PreflightInput
from hw.inventory import discover
from hw.model import EswitchState, Features, Inventory
from mvtep.errors import Unavailable

__all__ = ["collect", "probes_for"]

def _ovs(db: str, bridge: str, timeout: float) -> tuple[OvsView | None, str | None]:
    try:
        rows = read_tables(db, "Open_vSwitch", TABLES, timeout=timeout)
    except Unavailable as e:
        return None, e.message
    node = NodeConfig.from_rows(rows, bridge)
    return OvsView(node.hw_offload, node.tc_policy, node.encap_ips, node.pf_mapping, node.bridge_of, bridge), None


def probes_for(vtep: str, table_routes: list[str], extra: tuple[str, ...]) -> list[str]:
    """Addresses to ask the kernel about for traffic from ``vtep``: the
    given remote VTEPs, and one far address inside each overlay route of the
    VTEP's table (the last host of the prefix), skipping the VTEP's own."""
    out = list(extra)
    for prefix in table_routes:
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            continue
        if net.version != ipaddress.ip_address(vtep).version or net.num_addresses < 4:
            continue
        probe = str(net[-2])
        if probe != vtep and probe not in out:
            out.append(probe)
    return out


def collect(*, sysfs_root: Path, db: str, bridge: str, timeout: float, netns: str | None,
            remote_vteps: tuple[str, ...], overlay_mtu: int | None,
            pf_mapping: tuple[tuple[str, str], ...] = ()) -> PreflightInput:
    """``pf_mapping`` (PF, VTEP IP) pairs stand in for OVS's
    ``ovn-pf-encap-ip-mapping`` before OVS is set up; with OVS reachable its
    mapping is used unless pairs are given."""
    inventory: Inventory = discover(sysfs_root)
    pfs = [pf for a in inventory.adapters if a.supported for pf in a.pfs]
    live = sysfs_root == Path("/")
    # devlink and ethtool describe this kernel's devices: only ask them about a live sysfs.
    eswitch = {pf.pci: devlink.eswitch(pf.pci) if live else EswitchState("unknown", error="modelled sysfs")
               for pf in pfs}
    info = {pf.pci: devlink.info(pf.pci) if live else None for pf in pfs}
    names = [n for pf in pfs for n in ([pf.uplink] if pf.uplink else []) + [vf.representor for vf in pf.vfs
                                                                            if vf.representor]]
    features = {n: ethtool.features(n, netns) if live else Features(None, error="modelled sysfs") for n in names}
    ovs, ovs_error = _ovs(db, bridge, timeout)
    vteps = pf_mapping or (ovs.pf_mapping.pairs if ovs else ())
    host = None
    if vteps:
        rules = routing.rules(netns)
        routes = {}
        for _pf, ip in vteps:
            tables = [r.table for r in rules if r.src and _in(ip, r.src)]
            prefixes = routing.table_routes(tables[0], netns) if tables else []
            for probe in probes_for(ip, prefixes, remote_vteps):
                routes[(ip, probe)] = routing.route_get(probe, ip, netns)
        host = HostView(routing.addresses(netns), routing.links(netns), rules, routes)
    return PreflightInput(inventory, eswitch, info, features, ovs, ovs_error, host,
                          privileged=os.geteuid() == 0, overlay_mtu=overlay_mtu, vteps=tuple(vteps))


def _in(ip: str, prefix: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
