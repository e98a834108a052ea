"""``mvtep flows``: br-int's flows over OpenFlow, in ovs-ofctl syntax or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from mvtep.cli.runtime import Runtime
from flowprog.ofdecode import OF13, OF15
from mvtep.cli.options import add_node_options
from mvcore.endpoints import Endpoints, resolve
from mvcore.errors import ExitStatus, NotFound, UsageError

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowprog.ofclient import OpenFlowClient

__all__ = ["register", "VERSIONS", "open_client", "parse_cookie"]

VERSIONS = {"1.5": (OF15,), "1.3": (OF13,), "auto": (OF15, OF13)}
SCHEMA = 1


def register(sub: Any) -> None:
    p = sub.add_parser("flows", help="dump the bridge's OpenFlow flows, decoded (ovs-ofctl syntax or JSON)")
    p.add_argument("--table", type=int, help="only this table")
    p.add_argument("--in-port", help="only flows matching this in_port (ofport number or interface name)")
    p.add_argument("--cookie", type=parse_cookie, help="only flows with this cookie (VALUE or VALUE/MASK)")
    p.add_argument("--of-version", choices=sorted(VERSIONS), default="auto",
                   help="OpenFlow version to speak (auto: 1.5, else 1.3)")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    add_node_options(p)
    p.set_defaults(func=run)


def parse_cookie(text: str) -> tuple[int, int]:
    value, _, mask = text.partition("/")
    try:
        return int(value, 0), int(mask, 0) if mask else (1 << 64) - 1
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not VALUE or VALUE/MASK") from None


def _ofport(port: str, ends: Endpoints, timeout: float) -> int:
    from flowprog.ovsdb import read_tables
    if port.isdigit():
        return int(port)
    rows = read_tables(ends.db, "Open_vSwitch", {"Interface": ("name", "ofport")}, timeout=timeout)
    for row in rows["Interface"]:
        if row["name"] == port and isinstance(row["ofport"], int) and row["ofport"] > 0:
            return int(row["ofport"])
    raise NotFound(f"no interface {port!r} with an ofport in {ends.db}", hint="give the ofport number instead")


def open_client(args: argparse.Namespace, rt: Runtime, ends: Endpoints) -> OpenFlowClient:
    """A client for the node's bridge, speaking the version asked for; it
    connects when entered (``with open_client(...) as client``)."""
    from flowprog.ofclient import OpenFlowClient
    from flowprog.ofcodec import load
    from flowprog.ofext import install
    codec = install(load(rt.env))
    return OpenFlowClient(ends.openflow, codec, timeout=args.timeout,
                          versions=VERSIONS[getattr(args, "of_version", "auto")])


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.flowjson import flow_json
    from flowprog.ofclient import FlowFilter
    from flowprog.ofdecode import Decoder
    from flowprog.offormat import format_flow
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    if args.table is not None and not 0 <= args.table <= 254:
        raise UsageError(f"--table {args.table} is not a table number (0-254)")
    match = {"in_port": _ofport(args.in_port, ends, args.timeout)} if args.in_port else None
    cookie, cookie_mask = args.cookie or (0, 0)
    filt = FlowFilter(table=args.table, cookie=cookie, cookie_mask=cookie_mask, match=match)
    with open_client(args, rt, ends) as client:
        decoder = Decoder(client.codec)
        flows = (decoder.decode(e) for e in client.flows(filt))
        if args.json:
            # Collected first: a dump cut short raises before any JSON is written.
            docs = [flow_json(f) for f in flows]
            version = "1.5" if client.version == OF15 else "1.3"
            rt.emit_json({"schema": SCHEMA, "kind": "flows", "bridge": ends.bridge, "openflow": version,
                          "flows": docs, "undecoded": sum(1 for d in docs if "undecoded" in d)})
            return ExitStatus.OK
        out = rt.out.file
        for flow in flows:  # streamed: the first flows print while the rest arrive
            out.write(" " + format_flow(flow) + "\n")
        out.flush()
    return ExitStatus.OK
