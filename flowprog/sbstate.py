"""What the OVN southbound database says about where ports live.

Only what the destination checks need: each chassis' encaps (and whether
ovn-kubernetes made it as a remote zone's chassis, ``other_config:is-remote``,
and the feature flags its ovn-controller published), and each port
binding's datapath key, port key, chassis and ``encap`` (the VTEP of the
remote chassis that traffic to this port must reach), with its additional
chassis (``additional_chassis``, OVN 22.09+: a port being live-migrated is
bound to two chassis and its traffic goes to both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mvcore.ovsdb_rows import SbRows

__all__ = ["Binding", "SbState"]


@dataclass(frozen=True, slots=True)
class Binding:
    """A logical port bound to a chassis."""

    logical_port: str
    port_key: int  # reg15 when traffic goes to it
    datapath_key: int  # metadata
    chassis: str
    encap_ip: str | None  # Port_Binding.encap: the remote VTEP to use; None: any of the chassis'
    type: str
    additional_chassis: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SbState:
    chassis_encaps: Mapping[str, tuple[str, ...]]  # chassis name -> encap IPs
    bindings: tuple[Binding, ...]
    # (datapath key, port key) -> binding: looked up once per remote-output flow per VIF
    by_key: Mapping[tuple[int, int], Binding] = field(default_factory=dict, compare=False, repr=False)
    remote_zone: frozenset[str] = frozenset()  # chassis with other_config:is-remote=true (ovn-k interconnect)
    other_config: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # chassis -> other_config
    encap_owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # encap IP -> chassis having it

    @classmethod
    def from_rows(cls, rows: SbRows) -> SbState:
        encaps = {e.uuid: e for e in rows.encaps}
        chassis = {c.uuid: c.name for c in rows.chassis}
        datapaths = {d.uuid: d.tunnel_key for d in rows.datapaths}
        chassis_encaps = {c.name: tuple(sorted({encaps[e].ip for e in c.encaps if e in encaps}))
                          for c in rows.chassis}
        owners: dict[str, set[str]] = {}
        for e in rows.encaps:
            owners.setdefault(e.ip, set()).add(e.chassis_name)
        for name, ips in chassis_encaps.items():
            for ip in ips:
                owners.setdefault(ip, set()).add(name)
        bindings = []
        for pb in rows.port_bindings:
            if not pb.chassis or pb.chassis not in chassis or pb.datapath not in datapaths:
                continue
            bindings.append(Binding(
                logical_port=pb.logical_port, port_key=pb.tunnel_key, datapath_key=datapaths[pb.datapath],
                chassis=chassis[pb.chassis], encap_ip=encaps[pb.encap].ip if pb.encap in encaps else None,
                type=pb.type, additional_chassis=tuple(chassis[c] for c in pb.additional_chassis if c in chassis),
            ))
        ordered = tuple(sorted(bindings, key=lambda b: b.logical_port))
        return cls(chassis_encaps, ordered, {(b.datapath_key, b.port_key): b for b in ordered},
                   remote_zone=frozenset(c.name for c in rows.chassis if c.other_config.get("is-remote") == "true"),
                   other_config={c.name: c.other_config for c in rows.chassis},
                   encap_owners={ip: tuple(sorted(names)) for ip, names in sorted(owners.items())})

    def remote(self, local_chassis: str | None) -> tuple[Binding, ...]:
        """Bindings on other chassis."""
        return tuple(b for b in self.bindings if b.chassis != local_chassis)

    def at(self, datapath_key: int, port_key: int) -> Binding | None:
        return self.by_key.get((datapath_key, port_key))
