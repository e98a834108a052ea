"""Where a command's node snapshot comes from: the live node, or ``--from`` a bundle.

Every command that reads a node builds its :class:`~inspector.gather.Gatherer`
here from the shared options, and every ``--from`` goes through
:func:`from_bundle`, which also says when a bundle lacks a part the command
needs.  (No heavy imports at module level: building the parser must stay cheap.)
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvcore.endpoints import check_remote, resolve
from mvcore.errors import UsageError
from mvcore.reading import Reading
from mvtep.cli.options import netns_of
from mvtep.cli.runtime import Runtime

if TYPE_CHECKING:
    from flowprog.ofdecode import Decoder
    from flowprog.ovsdb import SslFiles
    from inspector.gather import Gatherer, HostSources
    from mvcore.snapshot import NodeSnapshot

__all__ = ["add_from_option", "gatherer", "host_sources", "from_bundle", "producer", "sb_ssl", "add_sb_options"]

_PARTS = {"ovsdb": "the Open_vSwitch database", "openflow": "the bridge's flows", "sysfs": "sysfs",
          "host": "netlink"}


def add_from_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                   help="read a support bundle (mvtep collect) instead of the live node")


def add_sb_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sb", help="southbound DB remote (default: external_ids:ovn-remote)")
    p.add_argument("--sb-private-key", help="private key for an ssl: southbound remote")
    p.add_argument("--sb-certificate", help="certificate for an ssl: southbound remote")
    p.add_argument("--sb-ca-cert", help="CA certificate for an ssl: southbound remote")


def sb_ssl(args: argparse.Namespace) -> SslFiles | None:
    from flowprog.ovsdb import SslFiles
    files = (getattr(args, "sb_private_key", None), getattr(args, "sb_certificate", None),
             getattr(args, "sb_ca_cert", None))
    if not any(files):
        return None
    if not all(files):
        raise UsageError("--sb-private-key, --sb-certificate and --sb-ca-cert go together")
    for f in files:
        if not Path(str(f)).is_file():
            raise UsageError(f"no such file: {f}")
    return SslFiles(str(files[0]), str(files[1]), str(files[2]))


def producer() -> str:
    """What wrote a bundle: ``mvtep <version>``."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return f"mvtep {version('multivtep')}"
    except PackageNotFoundError:
        return "mvtep"


def host_sources(args: argparse.Namespace, rt: Runtime) -> HostSources:
    """sysfs and netlink as the options say: this host's, or a copy of another's sysfs."""
    from hw.sysfs import DirSysfs
    from inspector.gather import HostSources
    root: Path | None = getattr(args, "sysfs_root", None)
    if root is None:
        return HostSources(DirSysfs(Path("/"), udev=True), netns_of(args, rt.env))
    if not (root / "sys").is_dir():
        raise UsageError(f"{root} has no sys/ directory", hint="--sysfs-root takes the directory that contains "
                         "sys/, like /")
    return HostSources(DirSysfs(root), netns_of(args, rt.env),
                       kernel_devices_unread=f"not asked: sysfs is read from {root}, not from this kernel")


def gatherer(args: argparse.Namespace, rt: Runtime, *, host: bool = False, monitor: bool = False,
             decoder: Decoder | None = None) -> Gatherer:
    """A gatherer for the node the options name (not connected until used);
    ``monitor`` for one read again and again (watch, the exporter);
    ``decoder``: the one the command decodes the snapshot's flows with."""
    from flowprog.ofcodec import load
    from flowprog.ofext import install
    from inspector.gather import Gatherer
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    sb = getattr(args, "sb", None)
    return Gatherer(ends, rt.env, decoder.codec if decoder else install(load(rt.env)), timeout=args.timeout,
                    host=host_sources(args, rt) if host else None,
                    sb_remote=check_remote(sb, "--sb") if sb else None, ssl=sb_ssl(args), monitor=monitor,
                    decoder=decoder)


def from_bundle(path: Path, needs: Iterable[str]) -> NodeSnapshot:
    """The snapshot in bundle ``path``; a part the command needs and the bundle
    lacks is an error naming it (a bundle from ``verify --save`` has no sysfs)."""
    from inspector.bundle import BundleInvalid, read_bundle
    snap = read_bundle(path)
    parts: dict[str, Reading[Any]] = {"ovsdb": snap.ovsdb, "openflow": snap.openflow, "sysfs": snap.sysfs,
                                      "host": snap.host}
    for need in needs:
        reading = parts[need]
        if reading.value is None:
            why = reading.error or "it was not collected"
            raise BundleInvalid(f"{path} has no {_PARTS[need]} ({why})",
                                hint="mvtep collect gathers every part a command needs")
    return snap
