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
from hw.sysfs import DirSysfs
from hw.model import DevInfo, EswitchState, Features, Inventory
from mvcore.errors import Unavailable

__all__ = ["collect", "probes_for", "offload_state"]

def _ovs(db: str, bridge: str, timeout: float) -> tuple[OvsView | None, str | None]:
    try:
        rows = read_tables(db, "Open_vSwitch", TABLES, timeout=timeout)
    except Unavailable as e:
        return None, e.message
    node = NodeConfig.from_rows(rows, bridge)
    return OvsView(node.hw_offload, node.tc_policy, node.encap_ips, node.pf_mapping, node.bridge_of, bridge), None


def offload_state(inventory: Inventory, sysfs_root: Path, netns: str | None
                  ) -> tuple[dict[str, EswitchState], dict[str, DevInfo | None], dict[str, Features]]:
    """Each supported PF's e-switch (devlink) and device info, and each
    uplink's and representor's hw-tc-offload (ethtool).  devlink and ethtool
    describe this kernel's devices, so a modelled sysfs root gets "unknown"."""
    pfs = [pf for a in inventory.adapters if a.supported for pf in a.pfs]
    if sysfs_root != Path("/"):
        return ({pf.pci: EswitchState("unknown", error="modelled sysfs") for pf in pfs}, {pf.pci: None for pf in pfs},
                {n: Features(None, error="modelled sysfs") for pf in pfs for n in pf.offload_netdevs})
    return ({pf.pci: devlink.decode_eswitch(devlink.ask_eswitch(pf.pci)) for pf in pfs},
            {pf.pci: devlink.decode_info(devlink.ask_info(pf.pci)) for pf in pfs},
            {n: ethtool.features(n, netns) for pf in pfs for n in pf.offload_netdevs})


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
    inventory: Inventory = discover(DirSysfs(sysfs_root, udev=sysfs_root == Path("/")))
    eswitch, info, features = offload_state(inventory, sysfs_root, netns)
    ovs, ovs_error = _ovs(db, bridge, timeout)
    vteps = pf_mapping or (ovs.pf_mapping.pairs if ovs else ())
    host = None
    if vteps:
        rules = routing.rules(netns)
        pairs = []  # (probe, VTEP IP): asked over one netlink socket below
        for _pf, ip in vteps:
            tables = [r.table for r in rules if r.src and _in(ip, r.src)]
            prefixes = routing.table_routes(tables[0], netns) if tables else []
            pairs += [(probe, ip) for probe in probes_for(ip, prefixes, remote_vteps)]
        net = routing.host_network(pairs, netns)
        routes = {(ip, probe): answer for (probe, ip), answer in net.routes.items()}
        host = HostView(net.addresses, net.links, rules, routes)
    return PreflightInput(inventory, eswitch, info, features, ovs, ovs_error, host,
                          privileged=os.geteuid() == 0, overlay_mtu=overlay_mtu, vteps=tuple(vteps))


def _in(ip: str, prefix: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
