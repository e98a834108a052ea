"""``mvtep flows``: a bridge's flows over OpenFlow, in ovs-ofctl syntax or JSON."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from mvcore.endpoints import Endpoints, resolve
from mvcore.errors import ExitStatus, NotFound, UsageError
from mvtep.cli.node_source import add_from_option, from_bundle
from mvtep.cli.options import add_node_options
from mvtep.cli.runtime import Runtime

if TYPE_CHECKING:
    from flowprog.ofclient import OpenFlowClient
    from mvcore.snapshot import NodeSnapshot

__all__ = ["register", "VERSIONS", "open_client", "parse_cookie"]

_OF13, _OF15 = 4, 6  # flowprog.ofdecode's OF13/OF15 (not imported here: the CLI starts without the codec)
VERSIONS = {"1.5": (_OF15,), "1.3": (_OF13,), "auto": (_OF15, _OF13)}
SCHEMA = 1


def register(sub: Any) -> None:
    p = sub.add_parser("flows", help="dump the bridge's OpenFlow flows, decoded (ovs-ofctl syntax or JSON)")
    p.add_argument("--table", type=int, help="only this table")
    p.add_argument("--in-port", help="only flows matching this in_port (ofport number, reserved name such as "
                                     "LOCAL, or interface name)")
    p.add_argument("--cookie", type=parse_cookie, help="only flows with this cookie (VALUE or VALUE/MASK)")
    p.add_argument("--of-version", choices=sorted(VERSIONS), default="auto",
                   help="OpenFlow version to speak (auto: 1.5, else 1.3)")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    add_node_options(p)
    add_from_option(p)
    p.set_defaults(func=run)


def parse_cookie(text: str) -> tuple[int, int]:
    """VALUE or VALUE/MASK, each a 64-bit unsigned number (a cookie is
    64 bits on the wire; a larger or negative one would be cut silently)."""
    value, slash, mask = text.partition("/")
    try:
        numbers = int(value, 0), int(mask, 0) if slash else (1 << 64) - 1
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not VALUE or VALUE/MASK") from None
    if not all(0 <= n < 1 << 64 for n in numbers):
        raise argparse.ArgumentTypeError(f"{text!r}: a cookie and its mask are 0 to 0xffffffffffffffff")
    return numbers


def _ofport(port: str, ends: Endpoints, timeout: float) -> int:
    """The in_port to ask for, as OVS numbers ports (LOCAL is 0xfffe; the
    client sends the OpenFlow 1.1+ number): a reserved port's name, a
    number, or an interface's name (the bridge's own is LOCAL)."""
    from flowprog.ofvalues import port_from_text
    from flowprog.ovsdb import read_once
    number = port_from_text(port)
    if number is not None:
        return number
    rows = read_once(ends.db, "Open_vSwitch", {"Interface": ("name", "ofport")}, timeout=timeout)
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
    from flowprog.flowjson import JsonPieces
    from flowprog.ofclient import FlowFilter
    from flowprog.ofdecode import Decoder
    if args.table is not None and not 0 <= args.table <= 254:
        raise UsageError(f"--table {args.table} is not a table number (0-254)")
    if args.from_file:
        return _from(args, rt, from_bundle(args.from_file, ("openflow",)))
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    match = {"in_port": _ofport(args.in_port, ends, args.timeout)} if args.in_port else None
    cookie, cookie_mask = args.cookie or (0, 0)
    filt = FlowFilter(table=args.table, cookie=cookie, cookie_mask=cookie_mask, match=match)
    out = rt.out.file
    with open_client(args, rt, ends) as client:
        decoder = Decoder(client.codec)
        # A reply's flows at a time: the first print while the rest arrive.
        if not args.json:
            for lines in client.flow_batches(filt, decoder.text_lines):
                out.write("".join([f" {text}\n" for text in lines]))
            out.flush()
            return ExitStatus.OK
        render = JsonPieces()

        def documents(version: int, body: bytes) -> list[str]:
            return decoder.rows(version, body, render.row, render.flow, clean=True)

        # Streamed too, one flow per line.  The closing bracket and the count
        # come last: a dump cut short leaves a document that does not parse,
        # never one that looks whole.
        version = "1.5" if client.version == _OF15 else "1.3"
        out.write(f'{{"schema": {SCHEMA}, "kind": "flows", "bridge": {json.dumps(ends.bridge)}, '
                  f'"openflow": "{version}", "flows": [')
        sep = "\n"
        try:
            for docs in client.flow_batches(filt, documents):
                if docs:
                    out.write(sep + ",\n".join(docs))
                    sep = ",\n"
            out.write(f'\n], "undecoded": {render.undecoded}}}\n')
        finally:
            out.flush()
    return ExitStatus.OK


def _from(args: argparse.Namespace, rt: Runtime, snap: NodeSnapshot) -> ExitStatus:
    """``--from``: the bundle's flows, filtered here the way the switch filters
    a flow-stats request, printed exactly as live."""
    from flowprog.flowdump import covers, dump_entries
    from flowprog.flowjson import JsonPieces
    from flowprog.ofcodec import load
    from flowprog.ofdecode import Decoder
    from flowprog.ofext import install
    from flowprog.offormat import format_flow
    from flowprog.ofvalues import RESERVED_PORTS, port_from_text
    from inspector.bundle import BundleInvalid
    dump = snap.openflow.value
    assert dump is not None  # from_bundle checked
    if not covers(dump, args.table):
        held = ", ".join(map(str, dump.tables or ()))
        raise BundleInvalid(f"{args.from_file} holds only the flows of table(s) {held}",
                            hint="mvtep collect keeps every table")
    token = None
    if args.in_port:
        number = port_from_text(args.in_port)
        if number is None:
            ifaces = {i.name: i.ofport for i in (snap.ovsdb.value.interfaces if snap.ovsdb.value else ())}
            found = ifaces.get(args.in_port)
            if found is None or found <= 0:
                raise NotFound(f"no interface {args.in_port!r} with an ofport in {args.from_file}")
            number = found
        token = f"in_port={RESERVED_PORTS.get(number, number)}"  # as ovs-ofctl prints it
    cookie, mask = args.cookie or (0, 0)
    decoder = Decoder(install(load(rt.env)))
    flows = []
    for e in dump_entries(dump):
        if args.table is not None and e.table != args.table or (e.cookie & mask) != (cookie & mask):
            continue
        flow = decoder.decode(e)
        if token is not None and token not in format_flow(flow).split(" actions=")[0].replace(" ", ",").split(","):
            continue
        flows.append(flow)
    out = rt.out.file
    if not args.json:
        out.write("".join(f" {format_flow(f)}\n" for f in flows))
        out.flush()
        return ExitStatus.OK
    render = JsonPieces()
    docs = [render.flow(f) for f in flows]
    version = "1.5" if dump.version == _OF15 else "1.3"
    out.write(f'{{"schema": {SCHEMA}, "kind": "flows", "bridge": {json.dumps(dump.bridge)}, '
              f'"openflow": "{version}", "flows": [' + ("\n" + ",\n".join(docs) if docs else "")
              + f'\n], "undecoded": {render.undecoded}}}\n')
    out.flush()
    return ExitStatus.OK
