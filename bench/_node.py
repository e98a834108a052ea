"""The node a benchmark runs on: a running sandbox (``--dir``) or a large one
it starts and stops itself."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mvtep.sandbox.node import down, up  # noqa: E402
from mvtep.sandbox.topology import Size  # noqa: E402


def add_node_arguments(ap: argparse.ArgumentParser, runs: int, acls: int = 8500) -> None:
    ap.add_argument("--dir", type=Path, help="use this running sandbox instead of starting one")
    ap.add_argument("--ovn", default="25.03")
    ap.add_argument("--acls", type=int, default=acls, help="extra ACLs: 8500 gives over 100,000 flows")
    ap.add_argument("--vfs", type=int, default=Size().vfs, help="VFs on br-int")
    ap.add_argument("--runs", type=int, default=runs)


@contextmanager
def bench_node(args: argparse.Namespace) -> Iterator[Path]:
    """The run directory of the node to measure."""
    if args.dir is not None:
        yield args.dir
        return
    rundir = Path(tempfile.mkdtemp(prefix="mvtep-bench-")) / "run"
    box = up(rundir, args.ovn, Size(vfs=getattr(args, "vfs", Size().vfs), acls=args.acls), os.environ)
    print(f"sandbox: {box.ovn_version}, programmed in {box.seconds:.1f} s", file=sys.stderr)
    try:
        yield rundir
    finally:
        down(rundir)
