"""``mvtep preflight``: are this node's ConnectX-6 / BlueField-2 adapters ready
for offloaded multi-VTEP?  Read-only."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mvtep.cli.runtime import Runtime
from hw.checks import CHECKS
from mvtep.cli.options import add_node_options
from mvcore.endpoints import resolve
from mvcore.errors import ExitStatus, UsageError


__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("preflight", help="check SR-IOV adapters, e-switch, offload, OVS and VTEP routing")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.add_argument("--sysfs-root", type=Path, default=Path("/"),
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
    from hw.collect import collect
    from inspector.preflight_view import render, to_json
    from mvcore.findings import has_errors
    unknown = [c for c in args.only if c not in CHECKS]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}", hint=f"choose from: {', '.join(CHECKS)}")
    if not (args.sysfs_root / "sys").is_dir():
        raise UsageError(f"{args.sysfs_root} has no sys/ directory", hint="--sysfs-root takes the directory "
                         "that contains sys/, like /")
    mapping = parse_pf_mapping(args.pf_mapping or "")
    if mapping.malformed:
        raise UsageError(f"--pf-mapping item {mapping.malformed[0]!r} is not PF:IP")
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    inp = collect(sysfs_root=args.sysfs_root, db=ends.db, bridge=ends.bridge, timeout=args.timeout,
                  netns=args.netns, remote_vteps=tuple(args.probe), overlay_mtu=args.overlay_mtu,
                  pf_mapping=mapping.pairs)
    findings = run_checks(inp, tuple(args.only))
    if args.json:
        rt.emit_json(to_json(inp, findings))
    else:
        rt.out.print(render(inp, findings))
    return ExitStatus.PROBLEMS if has_errors(findings) else ExitStatus.OK
