"""The node a benchmark runs on: a running sandbox (``--dir``) or a large one
it starts and stops itself."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mvtep.sandbox.daemons import running  # noqa: E402
from mvtep.sandbox.node import down, up  # noqa: E402
from mvtep.sandbox.toolroot import ToolRoot  # noqa: E402
from mvtep.sandbox.topology import Size  # noqa: E402


def add_node_arguments(ap: argparse.ArgumentParser, runs: int, acls: int = 8500) -> None:
    ap.add_argument("--dir", type=Path, help="use this running sandbox instead of starting one")
    ap.add_argument("--ovn", default="25.03")
    ap.add_argument("--acls", type=int, default=acls, help="extra ACLs: 8500 gives over 100,000 flows")
    ap.add_argument("--vfs", type=int, default=Size().vfs, help="VFs on br-int")
    ap.add_argument("--runs", type=int, default=runs)


def add_vf_node_arguments(ap: argparse.ArgumentParser) -> None:
    """A node shaped for the per-VF benches: many VFs, a few remote chassis."""
    ap.add_argument("--dir", type=Path, help="use this running sandbox instead of starting one")
    ap.add_argument("--vfs", type=int, default=1000)


def vf_node_size(args: argparse.Namespace) -> Size:
    return Size(vfs=args.vfs, remote_chassis=4, remote_ports=10)


@contextmanager
def bench_node(args: argparse.Namespace, size: Size | None = None) -> Iterator[Path]:
    """The run directory of the node to measure: ``--dir``, or a node of
    ``size`` (default: ``--vfs`` and ``--acls``) started and stopped here."""
    if args.dir is not None:
        yield args.dir
        return
    if size is None:
        size = Size(vfs=getattr(args, "vfs", Size().vfs), acls=args.acls)
    rundir = Path(tempfile.mkdtemp(prefix="mvtep-bench-")) / "run"
    box = up(rundir, getattr(args, "ovn", "25.03"), size, os.environ)
    print(f"sandbox: {box.ovn_version}, {size.vfs} VFs, programmed in {box.seconds:.1f} s", file=sys.stderr)
    try:
        yield rundir
    finally:
        down(rundir)


def settle(rundir: Path, quiet: float = 0.02, most: float = 180.0) -> None:
    """Wait until the node's daemons are idle (under ``quiet`` s of CPU in a
    second, at most ``most`` s): a node just started still has ovn-northd and
    ovn-controller computing, which would be measured as the cases' time."""
    pids = list(running(rundir).values())

    def cpu() -> float:
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(pid)
            except (OSError, ValueError):  # gone
                pass
        return total

    deadline = time.monotonic() + most
    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu()
        if now - before < quiet:
            return
        before = now
    print(f"{rundir}: the daemons never went quiet in {most:g} s", file=sys.stderr)


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (proc(5): fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flow_count(tools: ToolRoot, env: Mapping[str, str]) -> int:
    """How many OpenFlow flows br-int holds (``ovs-ofctl dump-flows`` prints one ``actions=`` per flow)."""
    return tools.run("ovs-ofctl", ["-O", "OpenFlow15", "dump-flows", "br-int"], env).count("actions=")
