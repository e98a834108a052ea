"""The sandbox node's topology, as a pure plan.

The seed node follows the multi-VTEP design document: three PFs, each with its
own VTEP IP (``10.0.0.1``-``10.0.0.3``), VF representors on br-int that carry
``external_ids:encap-ip`` of their PF's VTEP, one VF with no VTEP (it uses the
default encap), and remote chassis with one or two encaps whose logical ports
are bound with ``Port_Binding.encap`` set.  The addresses only ever appear in
OVSDB rows: the dummy datapath sends nothing anywhere.

A :class:`Shape` turns the seed into the node shapes verify must judge
right: ``ovn-encap-ip-default`` on a VTEP that is not first as text, IPv6
VTEPs, ovn-kubernetes interconnect mode, remote ports without
``Port_Binding.encap``, a remote port with an additional chassis, a local
VIF being live-migrated here (``activation-strategy``), EVPN ports, and a
tunnel port ovn-controller cannot create.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mvcore.errors import UsageError

__all__ = ["Size", "Shape", "Vtep", "Vf", "RemoteChassis", "RemotePort", "Plan", "plan", "FEATURES"]

LOCAL_CHASSIS = "mvtep-node"
LOGICAL_SWITCH = "pods"


@dataclass(frozen=True, slots=True)
class Size:
    """The topology size knobs of ``mvtep sandbox up``."""

    vfs: int = 6
    remote_chassis: int = 2
    remote_ports: int = 2  # per remote chassis
    vteps: int = 3
    # Extra network-policy ACLs (mvtep.sandbox.services): the knob that makes
    # flows scale, about a dozen flows each on the default node.
    acls: int = 0

    def check(self) -> Size:
        """Return self, or raise UsageError for a size the plan cannot lay out."""
        limits = {"vfs": (1, 4000), "remote_chassis": (1, 250), "remote_ports": (1, 1000), "vteps": (1, 8),
                  "acls": (0, 50_000)}
        for name, (lo, hi) in limits.items():
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise UsageError(f"--{name.replace('_', '-')} must be between {lo} and {hi}, not {value}")
        return self


# The --with features of ``mvtep sandbox up``: Shape attribute -> what it builds.
FEATURES = {
    "remote-encap-unset": "remote ports bound without Port_Binding.encap",
    "additional-chassis": "the first remote port of remote-1 also bound to remote-0 (additional_chassis)",
    "activation-strategy": "pod-1 bound to remote-0 and migrating here (activation-strategy=rarp)",
    "evpn": "EVPN ports (ovn-evpn-vxlan-ports=4789; OVN 25.09 and later)",
    "failed-tunnel": "the tunnel from the second VTEP to remote-1's first encap cannot be created",
}


@dataclass(frozen=True, slots=True)
class Shape:
    """How the node differs from the design document's seed."""

    encap_ip_default: str | None = None  # Open_vSwitch external_ids:ovn-encap-ip-default
    ipv6: bool = False  # IPv6 VTEPs and remote encaps
    interconnect: bool = False  # ovn-is-interconn=true, remote chassis is-remote=true, no Port_Binding.encap
    remote_encap_unset: bool = False
    additional_chassis: bool = False
    activation_strategy: bool = False
    evpn: bool = False
    failed_tunnel: bool = False

    @classmethod
    def with_features(cls, features: tuple[str, ...], **kw: object) -> Shape:
        """A shape from ``--with`` feature names (see :data:`FEATURES`)."""
        for name in features:
            if name not in FEATURES:
                raise UsageError(f"unknown sandbox feature {name!r}", hint=f"choose from: {', '.join(FEATURES)}")
        flags = {name.replace("-", "_"): True for name in features}
        return cls(**flags, **kw)  # type: ignore[arg-type]

    @property
    def encap_set(self) -> bool:
        """Whether remote ports are bound through a Port_Binding.encap."""
        return not (self.interconnect or self.remote_encap_unset)


@dataclass(frozen=True, slots=True)
class Vtep:
    pf: str  # the PF's uplink name, as in ovn-pf-encap-ip-mapping
    ip: str


@dataclass(frozen=True, slots=True)
class Vf:
    representor: str  # the OVS interface on br-int
    iface_id: str  # the logical switch port (pod interface)
    pf: str
    encap_ip: str | None  # None: no VTEP assigned, OVN uses the default
    mac: str
    ip: str
    ofport: int


@dataclass(frozen=True, slots=True)
class RemoteChassis:
    name: str
    encap_ips: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemotePort:
    name: str
    chassis: str
    encap_ip: str  # the Port_Binding.encap this port is bound through
    mac: str
    ip: str


@dataclass(frozen=True, slots=True)
class Plan:
    chassis: str
    logical_switch: str
    vteps: tuple[Vtep, ...]
    vfs: tuple[Vf, ...]
    remotes: tuple[RemoteChassis, ...]
    remote_ports: tuple[RemotePort, ...]
    extra_acls: int = 0  # Size.acls
    shape: Shape = Shape()

    @property
    def remote_encaps(self) -> int:
        return sum(len(r.encap_ips) for r in self.remotes)


def _mac(kind: int, n: int) -> str:
    return f"0a:{kind:02x}:00:{(n >> 16) & 0xff:02x}:{(n >> 8) & 0xff:02x}:{n & 0xff:02x}"


def _overlay_ip(n: int) -> str:
    # Pod addresses in 10.128.0.0/14, as an OVN-Kubernetes cluster network would.
    return f"10.{128 + (n >> 16)}.{(n >> 8) & 0xff}.{n & 0xff}"


def _vtep_ip(i: int, ipv6: bool) -> str:
    return f"fd00::{i + 1}" if ipv6 else f"10.0.0.{i + 1}"


def _remote_ip(chassis: int, k: int, ipv6: bool) -> str:
    # canonical text: OVN compares encap IPs as strings
    return str(ipaddress.IPv6Address(f"fd01::{chassis:x}:{k + 1}")) if ipv6 else f"10.1.{chassis}.{k + 1}"


def plan(size: Size, shape: Shape = Shape()) -> Plan:
    """Lay out a node of ``size`` and ``shape``; deterministic, so tests can predict it.

    The last VF has no VTEP, so a node always shows the default-encap case.
    """
    size.check()
    vteps = tuple(Vtep(pf=f"enp{i + 1}s0f0", ip=_vtep_ip(i, shape.ipv6)) for i in range(size.vteps))
    vfs: list[Vf] = []
    for n in range(size.vfs):
        vtep = vteps[n % len(vteps)]
        index = n // len(vteps)
        last = n == size.vfs - 1 and size.vfs > 1
        vfs.append(Vf(
            representor=f"{vtep.pf}_{index}",
            iface_id=f"pod-{n}",
            pf=vtep.pf,
            encap_ip=None if last else vtep.ip,
            mac=_mac(1, n + 1),
            ip=_overlay_ip(n + 2),
            ofport=n + 1,
        ))
    remotes = tuple(
        RemoteChassis(name=f"remote-{i}", encap_ips=tuple(_remote_ip(i, k, shape.ipv6) for k in range(1 + i % 2)))
        for i in range(size.remote_chassis)
    )
    ports: list[RemotePort] = []
    for r in remotes:
        for k in range(size.remote_ports):
            n = len(ports)
            ports.append(RemotePort(
                name=f"{r.name}-pod-{k}", chassis=r.name, encap_ip=r.encap_ips[k % len(r.encap_ips)],
                mac=_mac(2, n + 1), ip=_overlay_ip(0x8000 + n),
            ))
    return Plan(LOCAL_CHASSIS, LOGICAL_SWITCH, vteps, tuple(vfs), remotes, tuple(ports), size.acls, shape)
