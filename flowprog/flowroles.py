"""The two kinds of flow that decide a VIF's VTEP, read out of decoded flows.

* VIF ingress (table 0, physical-to-logical): ``in_port=<ofport>`` loads the
  logical datapath (``metadata``), the logical inport (``reg14``) and, from
  OVN 24.03 on, the port's encap id into ``reg13[16..31]``.  The port's own
  flow is the one of lowest priority (100, or 150 with a VLAN tag): a port
  with an ``activation-strategy`` (live migration) also gets priority-1010
  RARP/ARP/ND flows on its in_port that load encap id 0 whatever its VTEP
  (controller/physical.c ``setup_rarp_activation_strategy``).
* Remote output: matches the logical outport (``reg15``), the datapath
  (``metadata``) and, with per-VTEP selection, ``reg13=<id<<16>/0xffff0000``,
  and outputs to the tunnel port towards the port's chassis.  Its table
  number changes between releases (42 in 25.03, 44 in 26.03), so it is found
  by what the flows do (output to a tunnel port), never by number.

With flow-based tunnels (OVN 26.03, experimental) there is one tunnel port
and each flow sets ``tun_src``/``tun_dst`` (``tun_ipv6_src``/``tun_ipv6_dst``
for IPv6 encaps, ``put_set_tunnel_ip``) itself; those addresses are read
from the actions.  A port with additional chassis (``Port_Binding
additional_chassis``) gets one more tunnel output in the same flow.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flowprog.flows import Flow

__all__ = ["ingress_flows", "VifIngress", "RemoteOutput", "vif_ingress", "remote_outputs", "is_unicast_remote_output",
           "MULTICAST_KEY_MIN"]

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


def _ip(value: object, v6: bool = False) -> str | None:
    """A tunnel address a flow sets: text from set_field, an integer from load."""
    if isinstance(value, int):
        return str(ipaddress.IPv6Address(value) if v6 else ipaddress.IPv4Address(value))
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def ingress_flows(flows: Iterable[Flow], ofports: Iterable[int] | None = None) -> dict[int, list[Flow]]:
    """Each VIF ofport's ingress flows (of ``ofports``; None: every port):
    table 0, ``in_port``, loads ``metadata``, at the lowest priority the port
    has (see the module docstring); several when tied, in dump order."""
    wanted = None if ofports is None else set(ofports)
    best: dict[int, list[Flow]] = {}
    for f in flows:
        port = f.field("in_port")
        if (f.table != 0 or port is None or not isinstance(port.value, int)
                or (wanted is not None and port.value not in wanted) or not f.loads("metadata")):
            continue
        current = best.get(port.value)
        if current is None or f.priority < current[0].priority:
            best[port.value] = [f]
        elif f.priority == current[0].priority:
            current.append(f)
    return best


def vif_ingress(flows: Iterable[Flow], ofports: Iterable[int]) -> dict[int, VifIngress]:
    """The ingress flow of each VIF ofport that has one: the first of its
    :func:`ingress_flows`."""
    best = {ofport: tied[0] for ofport, tied in ingress_flows(flows, ofports).items()}
    found = {}
    for ofport, f in best.items():
        reg13 = f.loads("reg13")
        ids = [ld.bits(16, 31) for ld in reg13 if ld.mask == _ENCAP_MASK]
        found[ofport] = VifIngress(ofport=ofport, datapath_key=f.loads("metadata")[-1].value,
                                 encap_id=ids[-1] if ids else None,
                                 loads_whole_reg13=any(ld.mask == 0xFFFFFFFF for ld in reg13))
    return found


def _unicast_keys(f: Flow) -> tuple[int, int] | None:
    """(datapath key, port key) of a flow matching one logical outport exactly."""
    reg15, metadata = f.field("reg15"), f.field("metadata")
    if reg15 is None or metadata is None or reg15.mask is not None:
        return None
    port_key, dp_key = _int(reg15.value), _int(metadata.value)
    if port_key is None or dp_key is None or port_key >= MULTICAST_KEY_MIN:
        return None
    return dp_key, port_key


def is_unicast_remote_output(f: Flow) -> bool:
    """A flow sending one logical port's traffic out of the node: it matches
    the outport and datapath exactly and outputs somewhere."""
    return _unicast_keys(f) is not None and bool(f.outputs())


def remote_outputs(flows: Iterable[Flow], tunnel_ofports: Iterable[int]) -> list[RemoteOutput]:
    """Unicast flows that send a logical port's traffic into a tunnel."""
    tunnels = set(tunnel_ofports)
    out = []
    for f in flows:
        ports = tuple(p for p in f.outputs() if p in tunnels)
        keys = _unicast_keys(f) if ports else None
        if keys is None:
            continue
        reg13 = f.field("reg13")
        encap_id = _int(reg13.value) if reg13 is not None and reg13.mask == _ENCAP_MASK else None
        sets: Mapping[str, object] = {a.arg("field"): a.arg("value") for a in f.actions
                                      if a.name in ("set_field", "load")}
        out.append(RemoteOutput(
            table=f.table, datapath_key=keys[0], port_key=keys[1],
            encap_id=None if encap_id is None else encap_id >> 16, ofports=ports,
            tun_src=_ip(sets.get("tun_src")) or _ip(sets.get("tun_ipv6_src"), v6=True),
            tun_dst=_ip(sets.get("tun_dst")) or _ip(sets.get("tun_ipv6_dst"), v6=True)))
    return out
