"""Pre-flight checks of the underlay: each VTEP's address, MTU, routing and
ARP/reverse-path parameters, judged by what the kernel answers.

* The VTEP IP must sit on a device of a bridge its PF's traffic can reach in
  hardware: the PF's own uplink bridge, its bond's with VF-LAG, or the other
  port's with a MultiPort E-Switch (:func:`hw.roles.shares_eswitch`).
* MTU: ovnkube-node refuses to start unless the VTEP device leaves room for
  Geneve over IPv6 (78 bytes) whenever the cluster runs IPv6, dual-stack
  included, and over IPv4 (58) only on single-stack IPv4 clusters
  (``validateVTEPInterfaceMTU``, ``types.GeneveHeaderLengthIPv4/IPv6``).
* Routing: the kernel's own answer to ``ip route get <remote> from <VTEP>``
  decides; an ``ip rule`` is how the design document gets there, not a goal.
* Several VTEPs in one subnet: with the default ``arp_ignore=0`` every NIC
  answers ARP for every local address (ARP flux) and ``arp_announce=0`` may
  announce a VTEP's address from another NIC, so a remote node can send one
  VTEP's tunnel traffic to another NIC; strict ``rp_filter`` (1) then drops
  it, since the reply would leave through the VTEP's own device
  (Documentation/networking/ip-sysctl.rst).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from hw.inputs import PreflightInput
from hw.model import PhysicalFunction
from hw.probes import covers
from hw.roles import eswitch_peers
from hw.sysctl import conf_name, effective
from mvcore.findings import Finding, Severity

__all__ = ["check_vteps", "GENEVE_OVERHEAD"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
GENEVE_OVERHEAD = {4: 58, 6: 78}  # outer IP + UDP + Geneve + inner Ethernet (ovn-kubernetes' figures)
_RESERVED_TABLES = {0, 253, 254, 255}  # unspec, default, main, local
_TABLE_NAMES = {253: "default", 254: "main", 255: "local"}


def check_vteps(inp: PreflightInput) -> Iterator[Finding]:
    addresses = inp.host.addresses.value
    if addresses is None:  # not read: nothing to say about any VTEP
        return
    for pf_name, ip in inp.vteps:
        found = addresses.get(ip)
        if found is None:
            yield Finding("vtep-ip-missing", E, f"VTEP IP {ip} of {pf_name} is not configured on any interface",
                          f"add it to the VTEP interface on {pf_name}'s OVS bridge", subject=ip)
            continue
        dev, _prefix, family = found
        yield from _bridge(inp, pf_name, ip, dev)
        yield from _mtu(inp, pf_name, ip, dev, 6 if family == "ipv6" else 4)
        yield from _routing(inp, ip, dev)
    yield from _arp(inp)


def _pf(inp: PreflightInput, uplink: str) -> PhysicalFunction | None:
    return next((pf for a in inp.inventory.adapters for pf in a.pfs if pf.uplink == uplink), None)


def _bridges(inp: PreflightInput, pf_name: str) -> tuple[dict[str, str], str]:
    """The bridges whose VTEP ``pf_name``'s VFs can use -> the device that makes them usable;
    and how (for the message)."""
    assert inp.ovs is not None
    out: dict[str, str] = {}
    how = ""
    mine = _pf(inp, pf_name)
    pfs = [mine] if mine else []
    if mine is not None:
        pfs += [other for other in eswitch_peers(inp.inventory, mine, inp.host) if other is not mine and other.uplink]
        if len(pfs) > 1:
            how = f" (VF-LAG {mine.lag.master})" if mine.lag else " (MultiPort E-Switch)"
    for pf in pfs:
        for dev in (pf.uplink, pf.lag.master if pf.lag else None):
            bridge = inp.ovs.bridge_of.get(dev) if dev else None
            if bridge is not None and dev is not None:
                out.setdefault(bridge, dev)
    if mine is None and pf_name in inp.ovs.bridge_of:
        out[inp.ovs.bridge_of[pf_name]] = pf_name
    return out, how


def _bridge(inp: PreflightInput, pf_name: str, ip: str, dev: str) -> Iterator[Finding]:
    if inp.ovs is None:
        return
    usable, how = _bridges(inp, pf_name)
    bridge = inp.ovs.bridge_of.get(dev)
    if usable and bridge not in usable:
        where = f"on {bridge}" if bridge else "not on an OVS bridge"
        names = ", ".join(f"{b} (with {d})" for b, d in usable.items())
        yield Finding("vtep-ip-missing", E, f"VTEP IP {ip} is on {dev}, which is {where}, not on a bridge "
                      f"{pf_name}'s VFs reach in hardware{how}: {names}",
                      f"move the address to an internal port of {next(iter(usable))}", subject=ip)


def _mtu(inp: PreflightInput, pf_name: str, ip: str, dev: str, family: int) -> Iterator[Finding]:
    links = inp.host.links.value or {}
    vtep_mtu = links[dev].mtu if dev in links else None
    pf_mtu = links[pf_name].mtu if pf_name in links else None
    if vtep_mtu is None:
        return
    if pf_mtu is not None and vtep_mtu > pf_mtu:
        yield Finding("vtep-mtu-too-small", E, f"{pf_name} MTU {pf_mtu} is below its VTEP {dev}'s MTU {vtep_mtu}: "
                      "full-size tunnel packets are dropped", f"raise {pf_name}'s MTU to at least {vtep_mtu}",
                      subject=ip)
    if inp.overlay_mtu is None:
        return
    ipv6 = family == 6 or inp.dual_stack is True
    need = GENEVE_OVERHEAD[6 if ipv6 else 4]
    if inp.overlay_mtu + need <= vtep_mtu:
        return
    if family == 6:
        why = "an IPv6 VTEP"
    elif inp.dual_stack:
        why = f"the cluster runs IPv6 ({inp.dual_stack_from}): ovnkube-node requires room for the IPv6 header"
    else:
        why = "over IPv4" + ("" if inp.dual_stack is False else "; a dual-stack cluster needs 78 (--dual-stack)")
    yield Finding("vtep-mtu-too-small", E, f"{dev} (VTEP {ip}) MTU {vtep_mtu} leaves no room for Geneve under the "
                  f"overlay MTU {inp.overlay_mtu}: needs {inp.overlay_mtu + need} ({need} bytes, {why})",
                  f"raise {dev} and {pf_name} to {inp.overlay_mtu + need} or lower the overlay MTU", subject=ip)


def _table(table: int | None) -> str:
    return "no table" if table is None else _TABLE_NAMES.get(table, str(table))


def _routing(inp: PreflightInput, ip: str, dev: str) -> Iterator[Finding]:
    """The kernel's answers for traffic from the VTEP decide; the rules only explain them."""
    rules = [r for r in inp.host.rules.value or () if covers(r, ip) and r.table not in _RESERVED_TABLES]
    answers = sorted(((probe, a) for (probe, vtep), a in inp.host.route_answers.items() if vtep == ip))
    why = (f"ip rule priority {rules[0].priority} sends it to table {rules[0].table}" if rules
           else f"no ip rule selects a table for traffic from {ip}")
    wrong = [(probe, a) for probe, a in answers if a.error or a.oif != dev]
    for probe, a in wrong:
        got = a.error or f"leaves through {a.oif} (table {_table(a.table)})"
        table = str(rules[0].table) if rules else "<table>"
        hint = (f"in table {table}: ip route add <remote VTEP subnet> via <gateway> dev {dev}" if rules else
                f"ip rule add from {ip} lookup {table}, with the local subnet and the remote VTEPs routed via {dev} "
                "in that table")
        yield Finding("vtep-route-wrong-device", E, f"traffic from VTEP {ip} to {probe} {got}, not through {dev} "
                      f"({why})", hint, subject=ip)
    if not rules and not wrong:
        said = f"the kernel routes it through {dev} to {', '.join(p for p, _ in answers)}" if answers else \
            "the kernel was not asked about any remote VTEP (--probe IP asks)"
        yield Finding("vtep-rule-missing", I if answers else W, f"no ip rule for VTEP {ip}: {said} by table "
                      f"{_table(answers[0][1].table) if answers else 'main'}; a route added for another VTEP's "
                      "device can change that", f"ip rule add from {ip} lookup <table>, with the overlay routes "
                      f"via {dev} in that table", subject=ip)


def _arp(inp: PreflightInput) -> Iterator[Finding]:
    """ARP and reverse-path parameters of the devices of IPv4 VTEPs that share a subnet."""
    addresses = inp.host.addresses.value or {}
    devices: dict[str, tuple[str, ipaddress.IPv4Network]] = {}
    for _pf, ip in inp.vteps:
        found = addresses.get(ip)
        if found is not None and found[2] == "ipv4":
            devices[ip] = (found[0], ipaddress.IPv4Network(f"{ip}/{found[1]}", strict=False))
    for ip, (dev, net) in sorted(devices.items()):
        others = sorted(o for o, (d, n) in devices.items() if o != ip and d != dev and n.overlaps(net))
        if not others:
            continue
        shared = f"VTEP {ip} on {dev} shares {net} with {', '.join(others)}"
        values = inp.host.sysctls
        ignore = effective(values, "ipv4", dev, "arp_ignore")
        announce = effective(values, "ipv4", dev, "arp_announce")
        rp = effective(values, "ipv4", dev, "rp_filter")
        if None in (ignore, announce, rp):
            missing = [conf_name("ipv4", dev, k) for k in ("arp_ignore", "arp_announce", "rp_filter")
                       if effective(values, "ipv4", dev, k) is None]
            reason = next((r.error for n in missing if (r := values.get(n)) is not None and r.error), "not read")
            yield Finding("vtep-sysctl-unknown", W, f"{shared}, but its ARP and reverse-path parameters could not "
                          f"be read ({reason})", f"check sysctl {' '.join(m.replace('/', '.') for m in missing)}",
                          subject=ip)
            continue
        if ignore == 0 or announce != 2:
            yield Finding("vtep-arp-flux", W, f"{shared}; with arp_ignore {ignore} and arp_announce {announce} "
                          "another NIC may answer ARP for it or announce it, and its tunnel traffic then arrives "
                          "on the wrong NIC", f"sysctl -w net.ipv4.conf.{dev}.arp_ignore=1 "
                          f"net.ipv4.conf.{dev}.arp_announce=2 (and for each VTEP device)", subject=ip)
        if rp == 1:
            yield Finding("vtep-rp-filter-strict", W, f"{shared}; strict rp_filter on {dev} drops tunnel traffic "
                          "for another VTEP arriving here (its reply would leave through that VTEP's device)",
                          f"sysctl -w net.ipv4.conf.{dev}.rp_filter=2 (loose; conf/all counts too: the kernel "
                          "uses the higher of all and the device)", subject=ip)
