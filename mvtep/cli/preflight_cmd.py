"""``mvtep preflight``: are this node's ConnectX-6 / BlueField-2 adapters ready
for offloaded multi-VTEP?  Read-only."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hw.checks import CHECKS
from mvcore.endpoints import resolve
from mvcore.errors import ExitStatus, UsageError
from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime

if TYPE_CHECKING:
    from hw.checks import OvsView, PreflightInput


__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("preflight", help="check SR-IOV adapters, e-switch, offload, OVS and VTEP routing")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.add_argument("--sysfs-root", type=Path,
                   help="read sysfs under this root instead of / (a copy of a node's sysfs)")
    p.add_argument("--only", nargs="+", metavar="CHECK", default=(),
                   help=f"run only these checks: {', '.join(CHECKS)}")
    p.add_argument("--netns", help="read links, addresses, rules and routes in this network namespace")
    p.add_argument("--probe", action="append", default=[], metavar="IP",
                   help="a remote VTEP to ask the kernel the route to (repeatable)")
    p.add_argument("--overlay-mtu", type=int, help="the pods' MTU, to check the VTEP MTU leaves room for Geneve")
    p.add_argument("--pf-mapping", metavar="PF:IP,...",
                   help="the PF -> VTEP IP mapping to check, before OVS has ovn-pf-encap-ip-mapping")
    add_node_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.nodeconfig import parse_pf_mapping
    from hw.checks import run_checks
    from inspector.preflight_view import render, to_json
    from mvcore.findings import has_errors
    unknown = [c for c in args.only if c not in CHECKS]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}", hint=f"choose from: {', '.join(CHECKS)}")
    if args.sysfs_root is not None and not (args.sysfs_root / "sys").is_dir():
        raise UsageError(f"{args.sysfs_root} has no sys/ directory", hint="--sysfs-root takes the directory "
                         "that contains sys/, like /")
    mapping = parse_pf_mapping(args.pf_mapping or "")
    if mapping.malformed:
        raise UsageError(f"--pf-mapping item {mapping.malformed[0]!r} is not PF:IP")
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    inp = _collect(sysfs_root=args.sysfs_root, db=ends.db, bridge=ends.bridge, timeout=args.timeout,
                   netns=args.netns, remote_vteps=tuple(args.probe), overlay_mtu=args.overlay_mtu,
                   pf_mapping=mapping.pairs)
    findings = run_checks(inp, tuple(args.only))
    if args.json:
        rt.emit_json(to_json(inp, findings))
    else:
        rt.out.print(render(inp, findings))
    return ExitStatus.PROBLEMS if has_errors(findings) else ExitStatus.OK


def _ovs(db: str, bridge: str, timeout: float) -> tuple[OvsView | None, str | None]:
    from flowprog.nodeconfig import TABLES, NodeConfig
    from flowprog.ovsdb import read_tables
    from hw.checks import OvsView
    from mvcore.errors import Unavailable
    try:
        rows = read_tables(db, "Open_vSwitch", TABLES, timeout=timeout)
    except Unavailable as e:
        return None, e.message
    node = NodeConfig.from_rows(rows, bridge)
    return OvsView(node.hw_offload, node.tc_policy, node.encap_ips, node.pf_mapping.pairs, node.bridge_of,
                   bridge), None


def _collect(*, sysfs_root: Path | None, db: str, bridge: str, timeout: float, netns: str | None,
             remote_vteps: tuple[str, ...], overlay_mtu: int | None,
             pf_mapping: tuple[tuple[str, str], ...] = ()) -> PreflightInput:
    """Read what the checks need: this host (``sysfs_root`` None) or a copy of
    another node's sysfs, whose devlink and ethtool are not this host's to ask.
    ``pf_mapping`` pairs stand in for OVS's ``ovn-pf-encap-ip-mapping``."""
    import os

    from hw.checks import PreflightInput
    from hw.host import HostReader, HostRequests, host_view
    from hw.inventory import discover
    from hw.probes import probes_for, vtep_table
    from hw.sysfs import DirSysfs
    from mvcore.errors import Unavailable
    live = sysfs_root is None
    inventory = discover(DirSysfs(Path("/"), udev=True) if live else DirSysfs(sysfs_root or Path("/")))
    ovs, ovs_error = _ovs(db, bridge, timeout)
    vteps = pf_mapping or (ovs.pf_mapping if ovs else ())
    pfs = [pf for a in inventory.adapters if a.supported for pf in a.pfs]
    with HostReader(netns) as reader:
        # the VTEPs' tables from the rules, then probes from those tables' routes, then everything at once
        first = host_view(reader.read(HostRequests()))
        for part in (first.links, first.addresses, first.rules):
            if part.error is not None:
                raise Unavailable(f"rtnetlink: {part.error}")
        tables = {ip: vtep_table(ip, first.rules.value or ()) for _pf, ip in vteps}
        wanted = tuple(sorted({t for t in tables.values() if t is not None}))
        routes = host_view(reader.read(HostRequests(tables=wanted))).routes
        pairs: list[tuple[str, str]] = []  # (probe, VTEP IP)
        for _pf, ip in vteps:
            table = tables[ip]
            found = routes.get(table) if table is not None else None
            prefixes = [r.dst for r in (found.value or ())] if found is not None else []
            pairs += [(probe, ip) for probe in probes_for(ip, prefixes, remote_vteps)]
        state = reader.read(HostRequests(
            route_gets=tuple(pairs), tables=wanted,
            ethtool=tuple(n for pf in pfs for n in pf.offload_netdevs) if live else (),
            devlink=tuple(pf.pci for pf in pfs) if live else ()))
    view = host_view(state, unasked="modelled sysfs")
    return PreflightInput(inventory, view, ovs, ovs_error, privileged=os.geteuid() == 0,
                          overlay_mtu=overlay_mtu, vteps=tuple(vteps))
