"""A node's multi-VTEP configuration as OVSDB holds it: pure model and reader.

``NodeConfig.from_state`` turns the typed Open_vSwitch rows of a node
snapshot into frozen dataclasses; nothing here does I/O, so verification rules
and renderers can be tested on hand-made rows.

Every value is read the way the program that uses it reads it
(shared/reference/upstream-behaviour.md §1, §3):

* the chassis name: ovn-controller's ``system-id-override`` file, else
  ``external_ids:system-id`` (controller/chassis.c ``get_ovs_chassis_id``);
* ``ovn-encap-ip`` and ``ovn-encap-ip-default``: the ``<key>-<chassis>``
  variant first (``get_chassis_external_id_value``); the list split on commas
  with nothing trimmed (:func:`~flowprog.encapids.split_encap_ips`);
* ``ovn-pf-encap-ip-mapping``: as ovnkube-node's CNI reads it
  (go-controller/pkg/cni/helper_linux.go ``getPfEncapIP``): the generic key
  only, split on ``,`` then ``:``, every item exactly two tokens, nothing
  trimmed, the last of a duplicated PF winning;
* per VIF ``Interface external_ids:encap-ip`` -- not ``ovn-encap-ip``, which
  the design document names but ovn-controller ignores; it is kept as
  ``misnamed_encap_ip`` so that mistake can be reported.

Tunnel ports are the chassis tunnels ovn-controller made (``Port
external_ids:ovn-chassis-id``); EVPN ports (``ovn-evpn-tunnel=true``, OVN
25.09+, vxlan with ``local_ip=flow``) are kept apart: they carry no chassis
traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flowprog.encapids import split_encap_ips
from mvcore.ovsdb_rows import OvsState

__all__ = ["Vif", "TunnelPort", "PfMapping", "NodeConfig", "parse_pf_mapping", "chassis_key", "override_chassis",
           "REPRESENTOR_DRIVERS"]

_TUNNEL_TYPES = frozenset({"geneve", "vxlan", "stt"})
REPRESENTOR_DRIVERS = frozenset({"mlx5e_rep"})  # ethtool's driver name of an mlx5 VF/SF representor


@dataclass(frozen=True, slots=True)
class Vif:
    """A VIF port on the integration bridge (``external_ids:iface-id``)."""

    name: str
    ofport: int | None  # None until ovs-vswitchd assigns one (or -1: failed)
    iface_id: str
    encap_ip: str | None  # external_ids:encap-ip
    misnamed_encap_ip: str | None  # external_ids:ovn-encap-ip (ignored by OVN)
    type: str = ""  # Interface type: "" (a system netdev), "internal" (ovn-k8s-mp0), "dpdk"...
    driver: str | None = None  # Interface status:driver_name, as OVS read it from the netdev


@dataclass(frozen=True, slots=True)
class TunnelPort:
    """A tunnel port ovn-controller made towards a remote chassis encap."""

    name: str
    type: str
    ofport: int | None  # -1: OVS could not create it
    local_ip: str | None  # None: the kernel picks the source (no per-VTEP tunnel)
    remote_ip: str | None  # "flow" for flow-based tunnels
    remote_chassis: str | None  # from Port external_ids:ovn-chassis-id; None for a flow-based port
    error: str | None = None  # Interface error: why OVS could not create it

    @property
    def failed(self) -> bool:
        return self.error is not None or self.ofport == -1

    @property
    def flow_based(self) -> bool:
        return self.remote_ip == "flow"


@dataclass(frozen=True, slots=True)
class PfMapping:
    """``ovn-pf-encap-ip-mapping`` as ovnkube-node parses it."""

    pairs: tuple[tuple[str, str], ...]  # (PF, IP) as written, in order, duplicates kept
    malformed: tuple[str, ...]  # items that are not exactly PF:IP: CNI ADD then fails for every VF pod

    @property
    def effective(self) -> dict[str, str]:
        """PF -> IP as ovnkube-node ends up with it: a later item for the same PF wins."""
        return dict(self.pairs)

    def pf_of(self, ip: str | None) -> str | None:
        return next((pf for pf, mapped in self.effective.items() if mapped == ip), None)


def parse_pf_mapping(text: str) -> PfMapping:
    """Parse ``enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.2`` exactly as ovnkube-node does.

    >>> m = parse_pf_mapping("enp1s0f0:10.0.0.1, enp2s0f0:10.0.0.2,a:fd00::1,")
    >>> m.pairs, m.malformed
    ((('enp1s0f0', '10.0.0.1'), (' enp2s0f0', '10.0.0.2')), ('a:fd00::1', ''))
    """
    if not text:
        return PfMapping((), ())
    pairs, bad = [], []
    for item in text.split(","):
        tokens = item.split(":")
        if len(tokens) == 2:
            pairs.append((tokens[0], tokens[1]))
        else:
            bad.append(item)
    return PfMapping(tuple(pairs), tuple(bad))


def override_chassis(text: str | None) -> str | None:
    """The chassis name in a ``system-id-override`` file, read as ovn-controller
    does (``get_file_system_id``: the first line, at most 63 bytes, its newline
    removed); None for no file or an empty one."""
    if not text:
        return None
    first = text.encode()[:63].decode(errors="replace").split("\n", 1)[0]
    return first or None


def chassis_key(key: str, chassis: str | None, external_ids: Mapping[str, str]) -> str:
    """The key ovn-controller reads for ``key``: ``<key>-<chassis>`` when that is set."""
    specific = f"{key}-{chassis}" if chassis else None
    return specific if specific is not None and specific in external_ids else key


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """What OVSDB says about one node's OVN multi-VTEP setup."""

    chassis: str | None  # the system-id-override file, else external_ids:system-id
    hostname: str | None
    ovs_version: str | None
    bridge: str
    encap_type: str | None
    encap_ips: tuple[str, ...]  # the entries as OVN splits them, in the configured order, nothing trimmed
    encap_ip_default: str | None
    pf_mapping: PfMapping
    hw_offload: bool
    vifs: tuple[Vif, ...]
    tunnels: tuple[TunnelPort, ...]
    ovn_remote: str | None = None  # external_ids:ovn-remote: the southbound DB
    tc_policy: str | None = None  # other_config:tc-policy
    bridge_of: Mapping[str, str] = field(default_factory=dict)  # every interface -> its bridge
    encap_ip_key: str = "ovn-encap-ip"  # the key OVN reads the list from (or its "-<chassis>" variant)
    default_key: str = "ovn-encap-ip-default"
    interconnect: bool = False  # external_ids:ovn-is-interconn=true: ovn-kubernetes interconnect mode
    set_local_ip: bool = False  # external_ids:ovn-set-local-ip=true (ovnkube-node sets it; OVN <= 24.03 reads it)
    evpn_ports: tuple[TunnelPort, ...] = ()  # ovn-evpn-* vxlan ports (OVN 25.09+): not chassis tunnels
    system_id: str | None = None  # external_ids:system-id, when the override file names another chassis

    @classmethod
    def from_state(cls, state: OvsState, bridge: str, system_id_override: str | None = None) -> NodeConfig:
        """Build from the Open_vSwitch rows; only ports on ``bridge`` count.
        ``system_id_override`` is the content of ovn-controller's
        ``system-id-override`` file, when there is one."""
        top = state.open_vswitch
        ext = top.external_ids if top else {}
        system_id = ext.get("system-id")
        chassis = override_chassis(system_id_override) or system_id
        encap_key = chassis_key("ovn-encap-ip", chassis, ext)
        default_key = chassis_key("ovn-encap-ip-default", chassis, ext)
        other = top.other_config if top else {}
        ifaces = {i.uuid: i for i in state.interfaces}
        ports = {p.uuid: p for p in state.ports}
        br = state.bridge(bridge)
        vifs: list[Vif] = []
        tunnels: list[TunnelPort] = []
        evpn: list[TunnelPort] = []
        for port in sorted((ports[p] for p in (br.ports if br else ()) if p in ports), key=lambda p: p.name):
            for iface in (ifaces[i] for i in port.interfaces if i in ifaces):
                ids = iface.external_ids
                if iface.type in _TUNNEL_TYPES:
                    chassis_id = port.external_ids.get("ovn-chassis-id", "")
                    tunnel = TunnelPort(
                        name=iface.name, type=iface.type, ofport=iface.ofport,
                        local_ip=iface.options.get("local_ip"), remote_ip=iface.options.get("remote_ip"),
                        # "<chassis>@<remote ip>%<local ip>" ("<chassis>@<remote ip>" before 24.03;
                        # "flow" for the flow-based port of OVN 26.03)
                        remote_chassis=chassis_id.split("@")[0] if chassis_id not in ("", "flow") else None,
                        error=iface.error)
                    evpn_port = port.external_ids.get("ovn-evpn-tunnel") == "true"
                    (evpn if evpn_port else tunnels).append(tunnel)
                elif "iface-id" in ids:
                    vifs.append(Vif(
                        name=iface.name, ofport=iface.ofport, iface_id=ids["iface-id"],
                        encap_ip=ids.get("encap-ip"), misnamed_encap_ip=ids.get("ovn-encap-ip"),
                        type=iface.type, driver=iface.status.get("driver_name"),
                    ))
        return cls(
            chassis=chassis,
            hostname=ext.get(chassis_key("hostname", chassis, ext)),
            ovs_version=top.ovs_version if top else None,
            bridge=bridge,
            encap_type=ext.get(chassis_key("ovn-encap-type", chassis, ext)),
            encap_ips=split_encap_ips(ext.get(encap_key, "")),
            encap_ip_default=ext.get(default_key),
            # ovnkube-node reads the generic key only (no "-<chassis>" variant for this one)
            pf_mapping=parse_pf_mapping(ext.get("ovn-pf-encap-ip-mapping", "")),
            hw_offload=other.get("hw-offload", "false").lower() == "true",
            vifs=tuple(vifs),
            tunnels=tuple(tunnels),
            ovn_remote=ext.get(chassis_key("ovn-remote", chassis, ext)),
            tc_policy=other.get("tc-policy"),
            bridge_of={ifaces[i].name: b.name for b in state.bridges for p in b.ports
                       if p in ports for i in ports[p].interfaces if i in ifaces},
            encap_ip_key=encap_key,
            default_key=default_key,
            interconnect=ext.get("ovn-is-interconn", "false").lower() == "true",
            set_local_ip=ext.get(chassis_key("ovn-set-local-ip", chassis, ext), "false").lower() == "true",
            evpn_ports=tuple(evpn),
            system_id=system_id if system_id != chassis else None,
        )

    def is_representor(self, vif: Vif) -> bool | None:
        """Whether ``vif`` is a VF (or SF) representor, from OVSDB alone: the
        driver OVS read (``mlx5e_rep``), or NVIDIA's representor naming
        ``<uplink>_<n>`` for an uplink the PF mapping names; False for an
        internal port (``ovn-k8s-mp0``) and a veth; None when nothing tells."""
        if vif.type == "internal" or vif.driver == "veth":
            return False
        if vif.driver in REPRESENTOR_DRIVERS:
            return True
        stem, sep, index = vif.name.rpartition("_")
        if sep and index.isdigit() and stem in self.pf_mapping.effective:
            return True
        return None
