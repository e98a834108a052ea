"""``mvtep preflight``: are this node's mlx5 adapters (ConnectX, BlueField in NIC
mode or on its Arm) ready for offloaded multi-VTEP?  Read-only."""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

from hw.check_names import CHECK_NAMES
from mvcore.errors import ExitStatus, UsageError
from mvtep.cli.node_source import add_from_option, from_bundle, gatherer
from mvtep.cli.options import add_host_options, add_node_options
from mvtep.cli.runtime import Runtime

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("preflight", help="check SR-IOV adapters, e-switch, offload, OVS and VTEP routing")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.add_argument("--only", nargs="+", metavar="CHECK", default=(),
                   help=f"run only these checks: {', '.join(CHECK_NAMES)}")
    p.add_argument("--probe", action="append", default=[], metavar="IP", type=_address,
                   help="a remote VTEP to ask the kernel the route to (repeatable)")
    p.add_argument("--overlay-mtu", type=int, help="the pods' MTU, to check the VTEP MTU leaves room for Geneve")
    p.add_argument("--dual-stack", action="store_true",
                   help="the cluster runs IPv6 (dual-stack): VTEPs need room for the IPv6 header, as ovnkube-node "
                   "requires (found from ovn-kubernetes' management port when it exists)")
    p.add_argument("--pf-mapping", metavar="PF:IP,...",
                   help="the PF -> VTEP IP mapping to check, before OVS has ovn-pf-encap-ip-mapping")
    add_node_options(p)
    add_host_options(p)
    add_from_option(p)
    p.set_defaults(func=run)


def _address(text: str) -> str:
    """argparse type of ``--probe``: an IP address, as the kernel is asked the route to it."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.nodeconfig import parse_pf_mapping
    from hw.checks import run_checks
    from inspector.gather import Scope
    from inspector.preflight_inputs import preflight_input
    from inspector.preflight_view import render, to_json
    from mvcore.findings import has_errors
    unknown = [c for c in args.only if c not in CHECK_NAMES]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}", hint=f"choose from: {', '.join(CHECK_NAMES)}")
    mapping = parse_pf_mapping(args.pf_mapping or "")
    if mapping.malformed:
        raise UsageError(f"--pf-mapping item {mapping.malformed[0]!r} is not PF:IP")
    for pf, ip in mapping.pairs:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise UsageError(f"--pf-mapping item {pf}:{ip}: {ip!r} is not an IP address") from None
    if args.from_file:
        snap = from_bundle(args.from_file, ("sysfs", "host"))
    else:
        with gatherer(args, rt, host=True) as g:
            snap = g.snapshot(Scope(ovsdb=True, hardware=True, host=True, probes=tuple(args.probe),
                                    vteps=mapping.pairs, required=frozenset({"host"})))
    inp = preflight_input(snap, overlay_mtu=args.overlay_mtu, pf_mapping=mapping.pairs, dual_stack=args.dual_stack)
    findings = run_checks(inp, tuple(args.only))
    if args.json:
        rt.emit_json(to_json(inp, findings))
    else:
        rt.out.print(render(inp, findings))
    return ExitStatus.PROBLEMS if has_errors(findings) else ExitStatus.OK
