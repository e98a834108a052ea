"""An OVN root the user brings: ``mvtep sandbox up --ovn-root PATH``.

PATH is a directory laid out like an unpacked Debian root (``usr/bin``,
``usr/sbin``, ``usr/share/openvswitch``, ``usr/share/ovn``; its own loader
and libraries under ``lib/x86_64-linux-gnu`` when it carries them, as the
source builds in shared/ovn-builds do), or a tarball of one (``.tar``,
``.tar.gz``, ``.tar.xz``...).  A tarball is unpacked once into the cache,
under a name made of its content's digest, so a changed file is unpacked
again and the same file never twice:

    <cache>/ovn-root-<sha256 prefix>/root/    the unpacked tree
    <cache>/ovn-root-<sha256 prefix>/READY    written last: the root is complete

It is unpacked with tarfile's ``data`` filter: nothing lands outside the
cache directory, no device files, no links pointing out of it.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path

from mvcore.errors import SandboxError, UsageError
from mvtep.sandbox.packages import build_once, cache_dir
from mvtep.sandbox.toolroot import PROGRAM_DIRS, ToolRoot

__all__ = ["ovn_root", "unpack"]

_NEEDED = ("ovn-controller", "ovn-northd", "ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ovn-nbctl", "ovn-sbctl")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def unpack(tarball: Path, env: Mapping[str, str]) -> Path:
    """The unpacked root of ``tarball`` in the cache, unpacking it if needed."""
    try:
        home = cache_dir(env) / f"ovn-root-{_digest(tarball)}"
    except OSError as e:
        raise UsageError(f"cannot read --ovn-root {tarball}: {e.strerror}") from e

    def extract(root: Path) -> str:
        try:
            with tarfile.open(tarball, "r:*") as tar:
                tar.extractall(root, filter="data")
        except (tarfile.TarError, OSError, EOFError) as e:
            shutil.rmtree(root, ignore_errors=True)
            why = " ".join(str(e).split())[:200]  # tarfile's messages can span lines
            raise UsageError(f"--ovn-root {tarball} is not a tarball of an OVN root ({why})") from e
        return f"{tarball}\n"

    return build_once(home, extract)  # two sandboxes starting at once share one unpacking


def ovn_root(path: Path, env: Mapping[str, str]) -> ToolRoot:
    """The programs of the root at ``path`` (a directory or a tarball of one)."""
    if path.is_file():
        root = unpack(path, env)
    elif path.is_dir():
        root = path.absolute()
    else:
        raise UsageError(f"--ovn-root {path}: no such directory or tarball")
    missing = [p for p in _NEEDED if not any((root / d / p).is_file() for d in PROGRAM_DIRS)]
    if missing:
        raise UsageError(f"--ovn-root {path} has no {', '.join(missing)}",
                         hint="give the root an OVS/OVN 'make install DESTDIR=...' made, or a tarball of it")
    try:
        return ToolRoot.unpacked(root)
    except SandboxError:
        # No loader of its own: programs built for this machine run as they are.
        return ToolRoot(root=root, loader=None, library_path="")
