"""What preflight learns from the node itself: whether the cluster runs IPv6, from
ovn-kubernetes' management port (the VIF whose iface-id is ``k8s-<node>``) and the
addresses the kernel gives it, for ovnkube-node's dual-stack MTU rule."""

from __future__ import annotations

from typing import Any

from inspector.preflight_inputs import dual_stack_of
from tests.snapshots import iface, node, with_ovs


def _management_port(rows: dict[str, Any]) -> None:
    mp = iface(rows, "enp3s0f0_0")  # any VIF of br-int, renamed as ovnkube-node names its management port
    mp["name"] = "ovn-k8s-mp0"
    mp["external_ids"] = {"iface-id": "k8s-mvtep-node"}


def test_dual_stack_from_the_management_ports_addresses() -> None:
    n = node(with_ovs(_management_port))
    both = {"10.244.0.2": ("ovn-k8s-mp0", 24, "ipv4"), "fd00:10:244::2": ("ovn-k8s-mp0", 64, "ipv6"),
            "fe80::1%ovn-k8s-mp0": ("ovn-k8s-mp0", 64, "ipv6"), "10.0.0.1": ("vtep0", 23, "ipv4")}
    assert dual_stack_of(n, both) == (True, "the management port ovn-k8s-mp0 has IPv4 and IPv6 addresses")
    v4 = {ip: a for ip, a in both.items() if a[2] == "ipv4"}
    assert dual_stack_of(n, v4) == (False, "the management port ovn-k8s-mp0 has IPv4 addresses")
    # an IPv6 link-local address alone says nothing about the cluster
    assert dual_stack_of(n, {"fe80::1%ovn-k8s-mp0": ("ovn-k8s-mp0", 64, "ipv6")}) == (None, "")


def test_no_management_port_no_answer() -> None:
    assert dual_stack_of(node(), {"10.0.0.1": ("vtep0", 23, "ipv4")}) == (None, "")
