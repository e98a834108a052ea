"""``mvtep trace``: walk one packet from a VF through br-int and see which tunnel it leaves by."""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

from mvcore.errors import ExitStatus, Unavailable, UsageError
from mvtep.cli.node_source import add_sb_options, gatherer
from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime

__all__ = ["register"]

def register(sub: Any) -> None:
    p = sub.add_parser("trace", help="trace a packet from a VF and check the tunnel it leaves through")
    p.add_argument("source", metavar="SOURCE", help="the VF: its interface, iface-id or pod (namespace/name)")
    p.add_argument("dest", metavar="DEST", help="a logical port, a pod (namespace/name) or one of their IPs")
    p.add_argument("--proto", choices=("icmp", "tcp", "udp"), default="icmp",
                   help="the packet: an ICMP echo request (default) or a TCP/UDP packet to --dport")
    p.add_argument("--dport", type=int, metavar="N", help="the destination port, with --proto tcp or udp")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    add_sb_options(p)
    add_node_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.node_verify import node_of, verify_snapshot
    from flowprog.ofcodec import load
    from flowprog.ofdecode import Decoder
    from flowprog.ofext import install
    from flowprog.tracepacket import NoPacket
    from inspector.gather import Scope
    from inspector.trace import judge
    from inspector.trace_inputs import Bindings, find_destination, find_source, plan
    from inspector.trace_view import render, to_json
    from mvcore.findings import has_errors, sort_findings
    if args.dport is not None and args.proto == "icmp":
        raise UsageError("--dport needs --proto tcp or udp")
    if args.dport is None and args.proto != "icmp":
        raise UsageError(f"--proto {args.proto} needs --dport")
    if args.dport is not None and not 0 < args.dport < 65536:
        raise UsageError(f"--dport must be a port number (1-65535), not {args.dport}")
    decoder = Decoder(install(load(rt.env)))
    with gatherer(args, rt, decoder=decoder) as g:
        snap = g.snapshot(Scope(ovsdb=True, openflow="verify", southbound=True,
                                required=frozenset({"ovsdb", "bridge", "openflow"})))
        result = verify_snapshot(snap, decoder)
        node = node_of(snap)
        if snap.southbound.value is None:
            raise Unavailable("the packet's addresses are in the southbound DB, which was not read: "
                              + snap.southbound.why_not("the southbound DB"), topic="southbound")
        bindings = Bindings(snap.southbound.value)
        source = find_source(node, bindings, result, args.source)
        dest = find_destination(bindings, node.chassis, args.dest)
        try:
            planned = plan(source, dest, bindings, node.bridge, args.proto, args.dport, _ip(args.dest))
        except NoPacket as e:
            raise UsageError(f"cannot build a packet from {source.vif.name} to {dest.logical_port}: {e}") from e
        snap = g.traces(snap, [planned.request])
    answer = snap.traces[planned.request.key]
    if answer.value is None:
        raise Unavailable(f"ovs-vswitchd could not trace the packet: {answer.error}")
    verdict = judge(planned, answer.value, None, node, result)
    # verify's own findings about this path: the VIF's, the destination's and the node's.
    static = [f for f in result.findings if f.interface == source.vif.name or f.subject == dest.logical_port
              or (f.interface is None and f.subject is None)]
    findings = sort_findings([*static, *verdict.findings])
    if args.json:
        rt.emit_json(to_json(verdict, findings))
    else:
        rt.out.print(render(verdict, findings))
    ok = verdict.status in ("confirmed", "local") and not has_errors(findings)
    return ExitStatus.OK if ok else ExitStatus.PROBLEMS


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
