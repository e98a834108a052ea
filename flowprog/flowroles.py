"""The two kinds of flow that decide a VIF's VTEP, read out of decoded flows.

* VIF ingress (table 0, physical-to-logical): ``in_port=<ofport>`` loads the
  logical datapath (``metadata``), the logical inport (``reg14``) and, from
  OVN 24.03 on, the port's encap id into ``reg13[16..31]``.
* Remote output: matches the logical outport (``reg15``), the datapath
  (``metadata``) and, with per-VTEP selection, ``reg13=<id<<16>/0xffff0000``,
  and outputs to the tunnel port towards the port's chassis.  Its table
  number changes between releases (42 in 25.03, 44 in 26.03), so it is found
  by what the flows do (output to a tunnel port), never by number.

With flow-based tunnels (OVN 26.03, experimental) there is one tunnel port
and each flow sets ``tun_src``/``tun_dst`` itself; those addresses are read
from the actions.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flowprog.flows import Flow

__all__ = ["VifIngress", "RemoteOutput", "vif_ingress", "remote_outputs", "MULTICAST_KEY_MIN"]

MULTICAST_KEY_MIN = 32768  # OVN's multicast group keys: BUM traffic may use any VTEP
_ENCAP_MASK = 0xFFFF0000


@dataclass(frozen=True, slots=True)
class VifIngress:
    ofport: int
    datapath_key: int | None
    encap_id: int | None  # reg13[16..31] as loaded; None when not loaded on its own
    loads_whole_reg13: bool  # pre-24.03: the CT zone load covers all 32 bits


@dataclass(frozen=True, slots=True)
class RemoteOutput:
    table: int
    datapath_key: int
    port_key: int
    encap_id: int | None  # the reg13[16..31] matched; None: no per-VTEP match
    ofports: tuple[int, ...]  # tunnel ports it outputs to
    tun_src: str | None  # flow-based tunnels: the addresses the flow sets
    tun_dst: str | None


def _ip(value: object) -> str | None:
    """A tunnel address a flow sets: text from set_field, an integer from load."""
    if isinstance(value, int):
        return str(ipaddress.IPv4Address(value))
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def vif_ingress(flows: Iterable[Flow], ofports: Iterable[int]) -> dict[int, VifIngress]:
    """The ingress flow of each VIF ofport that has one (table 0, loads metadata)."""
    wanted = set(ofports)
    found: dict[int, VifIngress] = {}
    for f in flows:
        port = f.field("in_port")
        if f.table != 0 or port is None or port.value not in wanted:
            continue
        metadata = f.loads("metadata")
        if not metadata:
            continue
        reg13 = f.loads("reg13")
        ids = [ld.bits(16, 31) for ld in reg13 if ld.mask == _ENCAP_MASK]
        current = found.get(int(port.value))
        if current is None or (current.encap_id is None and ids):
            found[int(port.value)] = VifIngress(
                ofport=int(port.value), datapath_key=metadata[-1].value,
                encap_id=ids[-1] if ids else None,
                loads_whole_reg13=any(ld.mask == 0xFFFFFFFF for ld in reg13))
    return found


def remote_outputs(flows: Iterable[Flow], tunnel_ofports: Iterable[int]) -> list[RemoteOutput]:
    """Unicast flows that send a logical port's traffic into a tunnel."""
    tunnels = set(tunnel_ofports)
    out = []
    for f in flows:
        ports = tuple(p for p in f.outputs() if p in tunnels)
        reg15, metadata = f.field("reg15"), f.field("metadata")
        if not ports or reg15 is None or metadata is None or reg15.mask is not None:
            continue
        port_key, dp_key = _int(reg15.value), _int(metadata.value)
        if port_key is None or dp_key is None or port_key >= MULTICAST_KEY_MIN:
            continue
        reg13 = f.field("reg13")
        encap_id = _int(reg13.value) if reg13 is not None and reg13.mask == _ENCAP_MASK else None
        sets: Mapping[str, object] = {a.arg("field"): a.arg("value") for a in f.actions
                                      if a.name in ("set_field", "load")}
        out.append(RemoteOutput(
            table=f.table, datapath_key=dp_key, port_key=port_key,
            encap_id=None if encap_id is None else encap_id >> 16, ofports=ports,
            tun_src=_ip(sets.get("tun_src")), tun_dst=_ip(sets.get("tun_dst"))))
    return out
