"""The sandbox node's underlay: the design document's VTEP interfaces and
source-based policy routing, built for real in a private network namespace.

For each VTEP ``i`` (the design document's example):

    vtep<i> (a veth) with <VTEP IP>/23
    ip rule add from <VTEP IP> lookup <6081+i>
    ip route add <VTEP subnet>/23 dev vtep<i> scope link table <6081+i>
    ip route add <remote VTEPs> via <gateway> dev vtep<i> table <6081+i>

so ``ip route get <remote VTEP> from <VTEP IP>`` answers with the VTEP's own
device.  Everything lives in the namespace: the host's interfaces, rules and
routes are never touched, and removing the namespace removes it all.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Underlay", "build", "remove", "exists"]


@dataclass(frozen=True, slots=True)
class Underlay:
    vteps: Sequence[str]  # VTEP IPs, in order: vtep0, vtep1...
    prefixlen: int = 23
    remote: str = "10.1.0.0/16"  # where the remote VTEPs are
    gateway: str = "10.0.1.254"  # inside the /23, reachable on every VTEP's link
    first_table: int = 6081

    @classmethod
    def of(cls, vteps: Sequence[str]) -> Underlay:
        """The underlay for these VTEPs: the IPv4 layout above, or its IPv6
        twin (fd00::/64, remote VTEPs in fd01::/16) for IPv6 VTEPs."""
        if any(":" in ip for ip in vteps):
            return cls(vteps, prefixlen=64, remote="fd01::/16", gateway="fd00::fe")
        return cls(vteps)


def exists(name: str) -> bool:
    from pyroute2 import netns as pyroute2_netns

    return name in pyroute2_netns.listnetns()


def build(name: str, underlay: Underlay) -> None:
    """Create namespace ``name`` holding ``underlay``; needs root."""
    from pyroute2 import IPRoute
    from pyroute2 import netns as pyroute2_netns

    pyroute2_netns.create(name)
    try:
        with IPRoute(netns=name, flags=0) as ipr:
            for i, _ip in enumerate(underlay.vteps):
                ipr.link("add", ifname=f"vtep{i}", kind="veth", peer=f"vtep{i}p")
            for link in ipr.get_links():
                ipr.link("set", index=link["index"], state="up")
            for i, ip in enumerate(underlay.vteps):
                (oif,) = ipr.link_lookup(ifname=f"vtep{i}")
                table = underlay.first_table + i
                ipr.addr("add", index=oif, address=ip, prefixlen=underlay.prefixlen)
                net = f"{_network(ip, underlay.prefixlen)}/{underlay.prefixlen}"
                ipr.route("add", dst=net, oif=oif, scope="link", table=table)
                ipr.route("add", dst=underlay.remote, gateway=underlay.gateway, oif=oif, table=table)
                v6 = ":" in ip
                ipr.rule("add", family=socket.AF_INET6 if v6 else socket.AF_INET, src=ip, src_len=128 if v6 else 32,
                         table=table, priority=100 + i)
    except BaseException:
        pyroute2_netns.remove(name)
        raise


def remove(name: str) -> bool:
    """Remove namespace ``name`` if it exists; True if it did."""
    from pyroute2 import netns as pyroute2_netns

    if not exists(name):
        return False
    pyroute2_netns.remove(name)
    return True


def _network(ip: str, prefixlen: int) -> str:
    import ipaddress

    return str(ipaddress.ip_network(f"{ip}/{prefixlen}", strict=False).network_address)


def can_build() -> bool:
    return os.geteuid() == 0
