"""``mvtep verify``: does each VIF's in_port -> reg13[16..31] -> tunnel match its VTEP?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mvtep.cli.flows_cmd import VERSIONS, open_client
from mvtep.cli.runtime import Runtime
from mvtep.cli.options import add_node_options
from mvcore.endpoints import check_remote, resolve
from mvcore.errors import ExitStatus, UsageError

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowprog.ovsdb import SslFiles

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("verify", help="check each VIF's encap id and tunnel against its VTEP")
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.add_argument("--sb", help="southbound DB remote (default: external_ids:ovn-remote)")
    p.add_argument("--sb-private-key", help="private key for an ssl: southbound remote")
    p.add_argument("--sb-certificate", help="certificate for an ssl: southbound remote")
    p.add_argument("--sb-ca-cert", help="CA certificate for an ssl: southbound remote")
    p.add_argument("--save", type=Path, metavar="FILE", help="also save what was read, for --from later")
    p.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                   help="verify a saved snapshot instead of the live node")
    p.add_argument("--of-version", choices=sorted(VERSIONS), default="auto", help="OpenFlow version to speak")
    add_node_options(p)
    p.set_defaults(func=run)


def _ssl(args: argparse.Namespace) -> SslFiles | None:
    from flowprog.ovsdb import SslFiles
    files = (args.sb_private_key, args.sb_certificate, args.sb_ca_cert)
    if not any(files):
        return None
    if not all(files):
        raise UsageError("--sb-private-key, --sb-certificate and --sb-ca-cert go together")
    return SslFiles(*files)


def run(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.collect import take_snapshot
    from flowprog.ofcodec import load
    from flowprog.ofdecode import Decoder
    from flowprog.ofext import install
    from flowprog.snapshot import Snapshot
    from flowprog.verify import verify
    from inspector.verify_view import render, to_json
    from mvcore.findings import has_errors
    if args.from_file and args.save:
        raise UsageError("--from and --save do not go together")
    if args.from_file:
        snap = Snapshot.load(args.from_file)
    else:
        ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
        sb = check_remote(args.sb, "--sb") if args.sb else None
        snap = take_snapshot(ends, open_client(args, rt, ends), sb_remote=sb, ssl=_ssl(args),
                             timeout=args.timeout)
        if args.save:
            snap.save(args.save)
    table0, remote = snap.flows(Decoder(install(load(rt.env))))
    result = verify(snap.node(), table0, remote, snap.sb(), snap.sb_error)
    if args.json:
        rt.emit_json(to_json(result))
    else:
        rt.out.print(render(result))
    return ExitStatus.PROBLEMS if has_errors(result.findings) else ExitStatus.OK
