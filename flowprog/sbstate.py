"""What the OVN southbound database says about where ports live.

Only what the destination checks need: each chassis' encaps, and each port
binding's datapath key, port key, chassis and ``encap`` (the VTEP of the
remote chassis that traffic to this port must reach).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SB_TABLES", "Binding", "SbState"]

SB_TABLES: Mapping[str, tuple[str, ...]] = {
    "Chassis": ("name", "encaps"),
    "Encap": ("ip", "type", "chassis_name"),
    "Datapath_Binding": ("tunnel_key",),
    "Port_Binding": ("logical_port", "tunnel_key", "datapath", "chassis", "encap", "type"),
}


@dataclass(frozen=True, slots=True)
class Binding:
    """A logical port bound to a chassis."""

    logical_port: str
    port_key: int  # reg15 when traffic goes to it
    datapath_key: int  # metadata
    chassis: str
    encap_ip: str | None  # Port_Binding.encap: the remote VTEP to use; None: any of the chassis'
    type: str


@dataclass(frozen=True, slots=True)
class SbState:
    chassis_encaps: Mapping[str, tuple[str, ...]]  # chassis name -> encap IPs
    bindings: tuple[Binding, ...]
    # (datapath key, port key) -> binding: looked up once per remote-output flow per VIF
    by_key: Mapping[tuple[int, int], Binding] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_rows(cls, rows: Mapping[str, list[dict[str, Any]]]) -> SbState:
        encaps = {r["_uuid"]: r for r in rows["Encap"]}
        chassis = {r["_uuid"]: r["name"] for r in rows["Chassis"]}
        datapaths = {r["_uuid"]: r["tunnel_key"] for r in rows["Datapath_Binding"]}
        chassis_encaps = {r["name"]: tuple(sorted(encaps[e]["ip"] for e in r["encaps"] if e in encaps))
                          for r in rows["Chassis"]}
        bindings = []
        for pb in rows["Port_Binding"]:
            ch = pb["chassis"][0] if isinstance(pb["chassis"], list) and pb["chassis"] else pb["chassis"]
            enc = pb["encap"][0] if isinstance(pb["encap"], list) and pb["encap"] else pb["encap"]
            if not ch or ch not in chassis or pb["datapath"] not in datapaths:
                continue
            bindings.append(Binding(
                logical_port=pb["logical_port"], port_key=int(pb["tunnel_key"]),
                datapath_key=int(datapaths[pb["datapath"]]), chassis=chassis[ch],
                encap_ip=encaps[enc]["ip"] if enc and enc in encaps else None, type=pb["type"],
            ))
        ordered = tuple(sorted(bindings, key=lambda b: b.logical_port))
        return cls(chassis_encaps, ordered, {(b.datapath_key, b.port_key): b for b in ordered})

    def remote(self, local_chassis: str | None) -> tuple[Binding, ...]:
        """Bindings on other chassis."""
        return tuple(b for b in self.bindings if b.chassis != local_chassis)

    def at(self, datapath_key: int, port_key: int) -> Binding | None:
        return self.by_key.get((datapath_key, port_key))
