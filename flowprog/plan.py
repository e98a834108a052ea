"""What ``mvtep apply`` would change: a pure diff of a spec against a node.

The node's multi-VTEP plumbing (the design document's "How to enable") is
four things that must agree: the Open_vSwitch ``ovn-encap-ip`` list and
``ovn-pf-encap-ip-mapping``, each VF representor's ``external_ids:encap-ip``
(the VTEP of its PF -- the rule ovnkube-node applies when it plugs a pod),
and per-VTEP policy routing.  :func:`make_plan` lists the changes that make
the node match the spec, each as add / change / remove with old and new
values.

Values are compared the way their readers read them: ``ovn-encap-ip`` as
OVN splits it (a spaced ``"10.0.0.1, 10.0.0.2"`` is *not* the list
``10.0.0.1,10.0.0.2``: OVN sees ``" 10.0.0.2"``), the PF mapping as
ovnkube-node parses it.  The keys written are the ones OVN reads: a
chassis-specific ``ovn-encap-ip-<chassis>`` (or ``ovn-encap-ip-default-<chassis>``)
when the node has one, the chassis named by ovn-controller's
``system-id-override`` file first.  A VF gets the VTEP of its PF whether or
not that PF can offload -- ovnkube-node does the same, and leaving it
unmapped sends it through the default VTEP, possibly another NIC's -- and
what keeps it from offloading is said in the notes.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from flowprog.encapids import split_encap_ips
from flowprog.nodeconfig import NodeConfig, parse_pf_mapping
from flowprog.spec import NodeSpec, SpecError, VtepSpec, line_of
from mvcore.routes import Route, Rule

__all__ = ["OvsdbOp", "Change", "Plan", "CurrentState", "make_plan", "check_against_node"]


@dataclass(frozen=True, slots=True)
class OvsdbOp:
    """Set (value) or remove (None) one key of a map column."""

    table: str
    record: str
    column: str
    key: str
    value: str | None


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # "ovsdb", "vif", "rule", "route"
    action: str  # "add", "change", "remove"
    target: str  # in words: "Interface enp1s0f0_0 external_ids:encap-ip"
    old: str | None
    new: str | None
    op: OvsdbOp | Rule | Route
    refused: str | None = None  # why apply will not make this change (OVN would not read it)


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    @property
    def todo(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.refused is None)


@dataclass(frozen=True, slots=True)
class CurrentState:
    node: NodeConfig
    external_ids: Mapping[str, str]  # Open_vSwitch external_ids as stored
    ovs_interfaces: frozenset[str]  # every OVS interface name
    kernel_interfaces: frozenset[str]  # in the routing namespace
    addresses: Mapping[str, str]  # IP -> interface holding it
    rules: tuple[Rule, ...]  # the IPv4 "from <prefix> lookup <table>" rules
    routes: Mapping[int, tuple[Route, ...]]  # table -> its IPv4 routes through one device
    pf_of_representor: Mapping[str, str]  # from sysfs: representor -> PF uplink
    uplinks: frozenset[str]  # PF uplinks found in sysfs
    offload_blockers: Mapping[str, str] = field(default_factory=dict)  # PF -> why it cannot offload (a note)


def _same_list(old: str, new: str) -> bool:
    """As OVN reads ``ovn-encap-ip``: a set of entries, nothing trimmed."""
    return set(split_encap_ips(old)) == set(split_encap_ips(new))


def _same_mapping(old: str, new: str) -> bool:
    """As ovnkube-node reads ``ovn-pf-encap-ip-mapping``: the same pairs, nothing malformed."""
    was, want = parse_pf_mapping(old), parse_pf_mapping(new)
    return not was.malformed and sorted(set(was.pairs)) == sorted(set(want.pairs)) and len(was.pairs) == len(
        set(was.pairs))


def _refusal(key: str, node: NodeConfig) -> str | None:
    """Why a key cannot be written so that OVN reads it."""
    if node.chassis == "default" and key.startswith("ovn-encap-ip"):
        # get_chassis_external_id_value: "<key>-<chassis>" -- for a chassis called "default" the
        # chassis-specific ovn-encap-ip *is* ovn-encap-ip-default, so one value cannot be both.
        return ("the chassis is called 'default': OVN reads ovn-encap-ip-default as its ovn-encap-ip, "
                "so the list and the default cannot both be set; rename the chassis (system-id)")
    return None


def _ovsdb(spec: NodeSpec, cur: CurrentState) -> list[Change]:
    node = cur.node
    want = [  # (the key OVN / ovnkube-node reads, the value, how its reader compares)
        (node.encap_ip_key, ",".join(v.ip for v in spec.vteps), _same_list),
        ("ovn-pf-encap-ip-mapping", ",".join(f"{v.pf}:{v.ip}" for v in spec.vteps), _same_mapping),
        (node.default_key, spec.default_vtep, str.__eq__),
    ]
    out = []
    for key, new, same in want:
        old = cur.external_ids.get(key)
        if new is None and old is None:
            continue
        if old is not None and new is not None and same(old, new):
            continue
        action = "add" if old is None else "remove" if new is None else "change"
        out.append(Change("ovsdb", action, f"Open_vSwitch external_ids:{key}", old, new,
                          OvsdbOp("Open_vSwitch", ".", "external_ids", key, new), _refusal(key, node)))
    return out


def _pf_of(spec: NodeSpec, cur: CurrentState, representor: str) -> VtepSpec | None:
    for v in spec.vteps:
        if any(fnmatch.fnmatchcase(representor, pattern) for pattern in v.representors):
            return v
    pf = cur.pf_of_representor.get(representor)
    return spec.vtep_of_pf(pf) if pf else None


def _vifs(spec: NodeSpec, cur: CurrentState) -> tuple[list[Change], list[str]]:
    out, notes = [], []
    slow: dict[str, list[str]] = {}
    for vif in cur.node.vifs:
        vtep = _pf_of(spec, cur, vif.name)
        if vtep is None:
            notes.append(f"{vif.name}: no PF known for this VIF (not a VF representor in sysfs, no representors "
                         "pattern): left as it is")
            continue
        if vtep.pf in cur.offload_blockers:
            slow.setdefault(vtep.pf, []).append(vif.name)
        target = f"Interface {vif.name} external_ids"
        if vif.encap_ip != vtep.ip:
            out.append(Change("vif", "add" if vif.encap_ip is None else "change", f"{target}:encap-ip",
                              vif.encap_ip, vtep.ip, OvsdbOp("Interface", vif.name, "external_ids", "encap-ip",
                                                             vtep.ip)))
        if vif.misnamed_encap_ip is not None:
            out.append(Change("vif", "remove", f"{target}:ovn-encap-ip (a key OVN does not read)",
                              vif.misnamed_encap_ip, None,
                              OvsdbOp("Interface", vif.name, "external_ids", "ovn-encap-ip", None)))
    for pf, names in slow.items():
        notes.append(f"{pf} cannot offload ({cur.offload_blockers[pf]}): {len(names)} VF(s) of it "
                     f"({', '.join(names[:3])}{' ...' if len(names) > 3 else ''}) get its VTEP all the same, and "
                     "their traffic stays in software until that is fixed")
    return out, notes


def _routing(spec: NodeSpec, cur: CurrentState) -> list[Change]:
    out = []
    for v in spec.vteps:
        want_rule = Rule(v.priority, f"{v.ip}/32", v.table)
        mine = [r for r in cur.rules if r.src == f"{v.ip}/32"]
        for rule in mine:
            if rule != want_rule:
                out.append(Change("rule", "remove", rule.describe(), f"table {rule.table}", None, rule))
        if want_rule not in mine:
            out.append(Change("rule", "add", want_rule.describe(), None, f"table {v.table}", want_rule))
        want = [Route(v.table, v.subnet, v.interface, None, "link"),
                Route(v.table, v.overlay, v.interface, v.gateway, "universe")]
        have = cur.routes.get(v.table, ())
        for r in have:
            if r not in want:
                out.append(Change("route", "remove", r.describe(), r.describe(), None, r))
        for r in want:
            if r not in have:
                out.append(Change("route", "add", r.describe(), None, r.describe(), r))
    return out


def check_against_node(spec: NodeSpec, cur: CurrentState, source: str, text: str) -> None:
    """What the spec asks that the node cannot give: raises SpecError naming the line."""
    for i, v in enumerate(spec.vteps):
        def fail(key: str, message: str, i: int = i) -> SpecError:
            return SpecError(f"{source}:{line_of(text, i, key)}: {message}")

        if v.pf not in cur.uplinks and v.pf not in cur.ovs_interfaces and v.pf not in cur.kernel_interfaces:
            raise fail("pf", f"unknown PF {v.pf}: no such uplink in sysfs, OVS interface or netdev")
        if v.interface not in cur.kernel_interfaces:
            raise fail("interface", f"VTEP interface {v.interface} does not exist")
        holder = cur.addresses.get(v.ip)
        if holder != v.interface:
            where = f"is on {holder}" if holder else "is not configured"
            raise fail("ip", f"VTEP IP {v.ip} {where}, not on {v.interface}: configure the VTEP interface first")
        for r in cur.rules:
            if r.table == v.table and r.src != f"{v.ip}/32":
                raise fail("table", f"table {v.table} is in use by another rule (from {r.src or 'all'} priority "
                           f"{r.priority})")


def make_plan(spec: NodeSpec, cur: CurrentState, *, allow_software: bool = False) -> Plan:
    """The changes that make the node match ``spec``.  (``allow_software`` is
    kept for callers of the time offload gated the VTEP: it changes nothing.)"""
    del allow_software
    vif_changes, notes = _vifs(spec, cur)
    return Plan(tuple(_ovsdb(spec, cur) + vif_changes + _routing(spec, cur)), tuple(notes))
