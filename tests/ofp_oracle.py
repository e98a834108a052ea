"""The reference implementation as test oracle.

Both sides -- ``ovs-ofctl dump-flows`` output and mvtep's own ovs-ofctl-syntax
output -- are parsed by the ``ovs`` package's flow parser (``ovs.flow.ofp``,
what ovs-flowviz uses) and brought to one canonical form, so the comparison
is field for field and value for value, not text against text: ``0x50`` and
``80``, ``tcp`` and ``dl_type=0x800,nw_proto=6``, ``NXM_OF_IP_SRC`` and
``ip_src`` are the same thing.
"""

from __future__ import annotations

import collections
from typing import Any

from ovs.flow.ofp import OFPFlow
from ovs.flow.ofp_fields import field_aliases

from flowprog.offormat import PROTOCOLS

# Spellings ovs-ofctl accepts for one field (ovs-fields(7)); the ovs package
# lists the NXM/OXM ones, these are the remaining prerequisites-era names.
_SYNONYMS = {
    "dl_src": "eth_src", "dl_dst": "eth_dst", "dl_type": "eth_type", "nw_src": "ip_src", "nw_dst": "ip_dst",
    "ip_proto": "nw_proto", "tcp_src": "tp_src", "tcp_dst": "tp_dst", "udp_src": "tp_src", "udp_dst": "tp_dst",
    "sctp_src": "tp_src", "sctp_dst": "tp_dst", "icmpv6_type": "icmp_type", "icmpv6_code": "icmp_code",
    "ip_ecn": "nw_ecn", "ip_frag": "nw_frag", "tun_id": "tun_id", "tunnel_id": "tun_id",
}
_SHORTHAND = {name: key for key, name in PROTOCOLS.items()}


def canon_field(name: str) -> str:
    name = field_aliases.get(name, name)
    return _SYNONYMS.get(name, name)


def _canon(value: Any) -> Any:
    """Decoded values as comparable plain data."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "field" and isinstance(v, str):
                v = canon_field(v)
            out[canon_field(k) if isinstance(k, str) and not k.endswith("[]") else k] = _canon(v)
        return out
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "mask"):  # ovs.flow masks: IntMask, EthMask, IPMask
        return ("masked", str(value))
    return value if isinstance(value, (int, str, bool, type(None))) else str(value)


def canonical(line: str) -> tuple[tuple[Any, ...], list[Any]]:
    """(key, actions): key is table, priority, cookie and the match as a sorted tuple."""
    flow = OFPFlow(line.strip())
    match: dict[str, Any] = {}
    for kv in flow.match_kv:
        key = kv.key
        if key in _SHORTHAND and kv.value is True:
            dl_type, proto = _SHORTHAND[key]
            match["eth_type"] = dl_type
            if proto is not None:
                match["nw_proto"] = proto
            continue
        if key == "priority":
            continue
        # Masked values print canonically (hex/CIDR) whatever the input spelling.
        match[canon_field(key)] = str(kv.value) if hasattr(kv.value, "mask") else kv.value
    info = flow.info
    prio = next((kv.value for kv in flow.match_kv if kv.key == "priority"), 0x8000)
    key = (info.get("table", 0), prio, info.get("cookie", 0), tuple(sorted((k, str(v)) for k, v in match.items())))
    actions = [(canon_field(kv.key), _canon(kv.value)) for kv in flow.actions_kv]
    return key, actions


def compare(reference: list[str], mine: list[str]) -> list[str]:
    """Differences between two dumps, in words; empty when they agree."""
    ref: dict[Any, list[Any]] = collections.defaultdict(list)
    got: dict[Any, list[Any]] = collections.defaultdict(list)
    for lines, into in ((reference, ref), (mine, got)):
        for line in lines:
            if "actions=" not in line or line.startswith("OFPST"):
                continue
            key, actions = canonical(line)
            into[key].append(actions)
    problems = []
    for key in ref.keys() | got.keys():
        a, b = ref.get(key, []), got.get(key, [])
        if len(a) != len(b):
            problems.append(f"{key}: ovs-ofctl has {len(a)} flows, mvtep {len(b)}")
        elif sorted(map(repr, a)) != sorted(map(repr, b)):
            problems.append(f"{key}: actions differ:\n  ovs-ofctl {a}\n  mvtep     {b}")
    return problems
