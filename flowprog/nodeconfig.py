"""A node's multi-VTEP configuration as OVSDB holds it: pure model and reader.

``NodeConfig.from_state`` turns the typed Open_vSwitch rows of a node
snapshot into frozen dataclasses; nothing here does I/O, so verification rules
and renderers can be tested on hand-made rows.

The keys read are the ones OVN really uses (shared/reference/facts.md):
``Open_vSwitch external_ids:ovn-encap-ip`` (comma-separated VTEP IPs),
``ovn-pf-encap-ip-mapping`` (``PF:IP,...``), ``ovn-encap-ip-default``, and per
VIF ``Interface external_ids:encap-ip`` -- not ``ovn-encap-ip``, which the
design document names but ovn-controller ignores; it is kept as
``misnamed_encap_ip`` so that mistake can be reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mvcore.ovsdb_rows import OvsState

__all__ = ["Vif", "TunnelPort", "PfMapping", "NodeConfig", "parse_pf_mapping"]

_TUNNEL_TYPES = frozenset({"geneve", "vxlan", "stt"})


@dataclass(frozen=True, slots=True)
class Vif:
    """A VIF (VF representor) port on the integration bridge."""

    name: str
    ofport: int | None  # None until ovs-vswitchd assigns one (or -1: failed)
    iface_id: str
    encap_ip: str | None  # external_ids:encap-ip
    misnamed_encap_ip: str | None  # external_ids:ovn-encap-ip (ignored by OVN)


@dataclass(frozen=True, slots=True)
class TunnelPort:
    """A tunnel port ovn-controller made towards a remote chassis encap."""

    name: str
    type: str
    ofport: int | None
    local_ip: str | None  # None: the kernel picks the source (no per-VTEP tunnel)
    remote_ip: str | None  # "flow" for flow-based tunnels
    remote_chassis: str | None  # from Port external_ids:ovn-chassis-id


@dataclass(frozen=True, slots=True)
class PfMapping:
    """``ovn-pf-encap-ip-mapping`` parsed: well-formed pairs plus what was not."""

    pairs: tuple[tuple[str, str], ...]
    malformed: tuple[str, ...]

    def pf_of(self, ip: str | None) -> str | None:
        return next((pf for pf, mapped in self.pairs if mapped == ip), None)


def parse_pf_mapping(text: str) -> PfMapping:
    """Parse ``enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.2``.

    >>> parse_pf_mapping("enp1s0f0:10.0.0.1,bogus").malformed
    ('bogus',)
    """
    pairs, bad = [], []
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        pf, sep, ip = item.partition(":")
        if sep and pf and ip:
            pairs.append((pf, ip))
        else:
            bad.append(item)
    return PfMapping(tuple(pairs), tuple(bad))


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """What OVSDB says about one node's OVN multi-VTEP setup."""

    chassis: str | None  # external_ids:system-id
    hostname: str | None
    ovs_version: str | None
    bridge: str
    encap_type: str | None
    encap_ips: tuple[str, ...]  # as configured, in the configured order
    encap_ip_default: str | None
    pf_mapping: PfMapping
    hw_offload: bool
    vifs: tuple[Vif, ...]
    tunnels: tuple[TunnelPort, ...]
    ovn_remote: str | None = None  # external_ids:ovn-remote: the southbound DB
    tc_policy: str | None = None  # other_config:tc-policy
    bridge_of: Mapping[str, str] = field(default_factory=dict)  # every interface -> its bridge

    @classmethod
    def from_state(cls, state: OvsState, bridge: str) -> NodeConfig:
        """Build from the Open_vSwitch rows; only ports on ``bridge`` count."""
        top = state.open_vswitch
        raw_ext = top.external_ids if top else {}
        chassis = raw_ext.get("system-id")
        # ovn-controller prefers "<key>-<chassis>" over "<key>" (several chassis per OVS).
        ext = {k: raw_ext.get(f"{k}-{chassis}", v) for k, v in raw_ext.items()}
        ext.update({k[: -len(chassis) - 1]: v for k, v in raw_ext.items() if chassis and k.endswith("-" + chassis)})
        other = top.other_config if top else {}
        ifaces = {i.uuid: i for i in state.interfaces}
        ports = {p.uuid: p for p in state.ports}
        br = state.bridge(bridge)
        vifs, tunnels = [], []
        for port in sorted((ports[p] for p in (br.ports if br else ()) if p in ports), key=lambda p: p.name):
            for iface in (ifaces[i] for i in port.interfaces if i in ifaces):
                ids = iface.external_ids
                if iface.type in _TUNNEL_TYPES:
                    chassis_id = port.external_ids.get("ovn-chassis-id", "")
                    tunnels.append(TunnelPort(
                        name=iface.name, type=iface.type, ofport=iface.ofport,
                        local_ip=iface.options.get("local_ip"), remote_ip=iface.options.get("remote_ip"),
                        # "<chassis>@<remote ip>%<local ip>" (or just "<chassis>" before 24.03)
                        remote_chassis=chassis_id.split("@")[0] or None,
                    ))
                elif "iface-id" in ids:
                    vifs.append(Vif(
                        name=iface.name, ofport=iface.ofport, iface_id=ids["iface-id"],
                        encap_ip=ids.get("encap-ip"), misnamed_encap_ip=ids.get("ovn-encap-ip"),
                    ))
        return cls(
            chassis=chassis,
            hostname=ext.get("hostname"),
            ovs_version=top.ovs_version if top else None,
            bridge=bridge,
            encap_type=ext.get("ovn-encap-type"),
            encap_ips=tuple(ip.strip() for ip in ext.get("ovn-encap-ip", "").split(",") if ip.strip()),
            encap_ip_default=ext.get("ovn-encap-ip-default"),
            pf_mapping=parse_pf_mapping(ext.get("ovn-pf-encap-ip-mapping", "")),
            hw_offload=other.get("hw-offload", "false").lower() == "true",
            vifs=tuple(vifs),
            tunnels=tuple(tunnels),
            ovn_remote=ext.get("ovn-remote"),
            tc_policy=other.get("tc-policy"),
            bridge_of={ifaces[i].name: b.name for b in state.bridges for p in b.ports
                       if p in ports for i in ports[p].interfaces if i in ifaces},
        )
