"""What the pre-flight checks (:mod:`hw.checks`, :mod:`hw.vtep_checks`) are
given: the hardware, the host's answers, plain OVSDB values, and what the
caller knows about the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hw.host import HostView
from hw.model import Inventory

__all__ = ["OvsView", "PreflightInput"]


@dataclass(frozen=True, slots=True)
class OvsView:
    """What the checks need of the Open_vSwitch database, as plain values."""

    hw_offload: bool  # other_config:hw-offload
    tc_policy: str | None  # other_config:tc-policy
    encap_ips: tuple[str, ...]  # external_ids:ovn-encap-ip
    pf_mapping: tuple[tuple[str, str], ...]  # external_ids:ovn-pf-encap-ip-mapping: (PF, IP) pairs
    bridge_of: Mapping[str, str]  # interface name -> its bridge
    integration_bridge: str = "br-int"


@dataclass(frozen=True, slots=True)
class PreflightInput:
    inventory: Inventory
    host: HostView  # devlink, ethtool, links, addresses, rules, route answers, sysctls
    ovs: OvsView | None
    ovs_error: str | None  # why ovs is None
    privileged: bool
    overlay_mtu: int | None = None  # the pods' MTU, when known
    vteps: tuple[tuple[str, str], ...] = field(default=())  # (PF, VTEP IP): OVS's mapping or given pairs
    # Whether the cluster runs IPv6 (dual-stack or single-stack): ovnkube-node then requires room for
    # the IPv6 header on every VTEP.  None: not known; ``dual_stack_from`` says where it was learnt.
    dual_stack: bool | None = None
    dual_stack_from: str = ""
