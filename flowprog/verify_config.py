"""``mvtep verify``'s configuration rules: the node's OVSDB keys read as OVN
and ovnkube-node read them (:mod:`flowprog.nodeconfig`), and the encaps the
southbound DB holds.  Pure."""

from __future__ import annotations

import ipaddress
from collections import defaultdict

from flowprog.encapids import EncapIds
from flowprog.nodeconfig import NodeConfig
from flowprog.ovnrelease import Numbering, OvnRelease
from flowprog.sbstate import SbState
from mvcore.findings import Finding, Severity

__all__ = ["config_findings", "is_ip"]

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


def is_ip(text: str) -> bool:
    """An IP address written exactly (no space, no prefix)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _encap_list(node: NodeConfig, numbering: EncapIds | None) -> list[Finding]:
    out = []
    n = len(node.encap_ips)
    key = node.encap_ip_key
    if n == 0:
        out.append(Finding("encap-ip-missing", E, f"Open_vSwitch external_ids:{key} is not set",
                           "set it to the node's VTEP IPs: ovs-vsctl set Open_vSwitch . "
                           f'external_ids:{key}="IP1,IP2"'))
    elif n == 1:
        out.append(Finding("single-vtep", I, f"one VTEP IP configured ({node.encap_ips[0]}): no per-VF selection",
                           f"list every NIC's VTEP IP in external_ids:{key} for multi-VTEP"))
    clean = ",".join(dict.fromkeys(e.strip() for e in node.encap_ips if e.strip()))
    for entry in node.encap_ips:
        if is_ip(entry):
            continue
        what = "has a space" if entry != entry.strip() and is_ip(entry.strip()) else "is not an IP address"
        where = ""
        if numbering is not None and numbering.numbering is not Numbering.NONE:
            where = f" as encap id {numbering.order.index(entry)}"
        out.append(Finding(
            "encap-ip-list-invalid", E,
            f"{key} entry {entry!r} {what}: OVN splits the list on commas and trims nothing, so it uses "
            f"{entry!r} as written{where}, and no tunnel can be created from it",
            f'ovs-vsctl set Open_vSwitch . external_ids:{key}="{clean}"', subject=entry))
    return out


def _pf_mapping(node: NodeConfig) -> list[Finding]:
    """The mapping as ovnkube-node's CNI parses it (helper_linux.go ``getPfEncapIP``)."""
    out = []
    mapping = node.pf_mapping
    for bad in mapping.malformed:
        why = ("an empty item (a stray comma)" if not bad else
               "an IPv6 VTEP, which this mapping cannot hold" if bad.count(":") > 1 and is_ip(bad.partition(":")[2])
               else "not PF:IP")
        out.append(Finding(
            "pf-mapping-invalid", E,
            f"ovn-pf-encap-ip-mapping item {bad!r} is {why}: ovnkube-node then fails CNI ADD for every SR-IOV pod "
            "on this node (\"bad ovn-pf-encap-ip-mapping config\")",
            "write it as PF1:IP1,PF2:IP2 with no spaces and no trailing comma", subject=bad))
    by_pf: dict[str, list[str]] = defaultdict(list)
    for pf, ip in mapping.pairs:
        by_pf[pf].append(ip)
    for pf, ips in by_pf.items():
        if not pf.strip():
            out.append(Finding(
                "pf-mapping-invalid", E, f"ovn-pf-encap-ip-mapping maps no PF ({pf!r}) to {ips[-1]}: no VF gets it",
                "write it as PF1:IP1,PF2:IP2", subject=pf))
        elif pf != pf.strip():
            out.append(Finding(
                "pf-mapping-invalid", E,
                f"ovn-pf-encap-ip-mapping names the PF {pf!r}, with a space: ovnkube-node looks a VF's uplink up "
                f"by its exact name, so VFs of {pf.strip()} get no encap-ip and use the default VTEP",
                "remove the spaces from ovn-pf-encap-ip-mapping", subject=pf))
        if len(ips) > 1:
            out.append(Finding(
                "pf-mapping-duplicate", W,
                f"ovn-pf-encap-ip-mapping maps {pf} {len(ips)} times ({', '.join(ips)}): ovnkube-node uses the "
                f"last, {ips[-1]}", f"keep one item for {pf}", subject=pf))
    by_ip: dict[str, list[str]] = defaultdict(list)
    for pf, ip in mapping.effective.items():
        by_ip[ip].append(pf)
        if ip not in node.encap_ips:
            out.append(Finding(
                "pf-mapping-invalid", E,
                f"ovn-pf-encap-ip-mapping maps {pf} to {ip!r}, which is not in {node.encap_ip_key}: its VFs' "
                "encap-ip is then no VTEP of this chassis and OVN uses the default",
                f"add {ip.strip()} to {node.encap_ip_key} or fix the mapping", subject=pf))
    for ip, pfs in by_ip.items():
        if len(pfs) > 1:
            out.append(Finding(
                "vtep-shared-by-pfs", I,
                f"ovn-pf-encap-ip-mapping gives {', '.join(pfs)} one VTEP {ip}: right only when those PFs share an "
                "e-switch (VF-LAG, a bond); mvtep paths checks each VF against its own NIC", subject=ip))
    return out


def _default(node: NodeConfig, release: OvnRelease, numbering: EncapIds | None) -> list[Finding]:
    default = node.encap_ip_default
    if not default:
        return []
    if default not in node.encap_ips:
        return [Finding("encap-default-unknown", W, f"{node.default_key} {default} is not in {node.encap_ip_key}: "
                        "OVN ignores it", f"make it one of the {node.encap_ip_key} addresses")]
    if release.numbering is Numbering.SORTED and numbering is not None and numbering.ip_of(0) != default:
        return [Finding("encap-default-ignored", I,
                        f"OVN {release.text} does not read {node.default_key} (it came in 24.09.0): VIFs without "
                        f"encap-ip use encap id 0, {numbering.ip_of(0)}, the smallest of the list as text, "
                        f"not {default}", "upgrade ovn-controller to 24.09.3 or 25.03 for the default to be id 0")]
    return []


def _duplicates(node: NodeConfig, sb: SbState | None) -> list[Finding]:
    """An encap IP two chassis claim: before OVN 26.03 (c2dd8593c, backported to
    24.03.7, 25.03.2, 25.09.1) the chassis fight over it in an endless SB
    transaction loop; from then on the second one's Encap is skipped
    ("already has encap ip ... cannot duplicate")."""
    if sb is None:
        return []
    out = []
    for ip, owners in sb.encap_owners.items():
        if len(owners) > 1:
            out.append(Finding("encap-ip-duplicate", E, f"encap IP {ip} belongs to {len(owners)} chassis in the "
                               f"southbound DB ({', '.join(owners)})",
                               "each chassis needs VTEP IPs of its own: fix ovn-encap-ip on one of them",
                               subject=ip))
    for ip in node.encap_ips:
        owners = sb.encap_owners.get(ip, ())
        if owners and node.chassis not in owners and len(owners) == 1:
            out.append(Finding(
                "encap-ip-duplicate", E,
                f"VTEP {ip} of this node is an encap of chassis {owners[0]} in the southbound DB, not of "
                f"{node.chassis}: ovn-controller cannot add it here (\"already has encap ip\")",
                "each chassis needs VTEP IPs of its own (a chassis renamed by system-id-override leaves its old "
                "row behind: ovn-sbctl chassis-del OLD)", subject=ip))
    return out


def config_findings(node: NodeConfig, release: OvnRelease, numbering: EncapIds | None,
                    sb: SbState | None) -> list[Finding]:
    """Findings about the node's configuration, before any flow is looked at."""
    return [*_encap_list(node, numbering), *_pf_mapping(node), *_default(node, release, numbering),
            *_duplicates(node, sb)]
