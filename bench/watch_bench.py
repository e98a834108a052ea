"""What ``mvtep watch`` costs to leave running: CPU per refresh and refresh
latency on a node with 1,000 VFs (real ovn-controller flows).

Each refresh is what one frame of ``mvtep watch`` does: gather a snapshot
(OVSDB monitors, table 0 and remote-output flows, dpctl/dump-flows over the
control socket, netlink) and render the frame into a terminal-sized console.

Usage: .venv/bin/python bench/watch_bench.py [--dir DIR] [--vfs 1000] [--refreshes 20]
Not part of the test suite; it prints its numbers.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from flowprog.ofcodec import load  # noqa: E402
from flowprog.ofext import install  # noqa: E402
from hw.sysfs import DirSysfs  # noqa: E402
from inspector.gather import Gatherer, HostSources  # noqa: E402
from inspector.path_inputs import paths_report  # noqa: E402
from inspector.paths_view import ViewState, render  # noqa: E402
from inspector.recent import RecentFlows  # noqa: E402
from mvcore.endpoints import resolve  # noqa: E402
from mvtep.cli.paths_cmd import paths_scope  # noqa: E402
from mvtep.sandbox.node import down, netns_name, up  # noqa: E402
from mvtep.sandbox.topology import Size  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, help="use this running sandbox")
    ap.add_argument("--vfs", type=int, default=1000)
    ap.add_argument("--refreshes", type=int, default=20)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()
    rundir, started = args.dir, None
    if rundir is None:
        rundir = Path(tempfile.mkdtemp(prefix="mvtep-bench-")) / "run"
        started = up(rundir, "25.03", Size(vfs=args.vfs, remote_chassis=4, remote_ports=10), os.environ)
        print(f"sandbox: {started.ovn_version}, {args.vfs} VFs, programmed in {started.seconds:.1f} s",
              file=sys.stderr)
    try:
        env = {**os.environ, "OVS_RUNDIR": str(rundir)}
        ends = resolve(env)
        codec = install(load(env))
        decoder = RecentFlows(codec)  # what watch decodes with
        netns = netns_name(rundir) if os.geteuid() == 0 else None
        gatherer = Gatherer(ends, env, codec, timeout=10, host=HostSources(DirSysfs(Path("/"), udev=True), netns))
        scope = paths_scope(sample=False)  # what watch asks: each refresh pairs with the one before
        console = Console(file=io.StringIO(), width=160, height=50, color_system="truecolor")
        cpu, wall = [], []
        prev = None
        first = paths_report(gatherer.snapshot(scope), decoder)  # connects, reads everything once
        for _ in range(args.refreshes):
            c0, w0 = time.process_time(), time.perf_counter()
            snap = paths_report(gatherer.snapshot(scope), decoder)
            console.print(render(snap, ViewState(), prev, width=160, height=50))  # as watch on 160x50
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
            prev = snap
            time.sleep(max(0.0, args.interval - wall[-1]))
        gatherer.close()
        print(f"{len(first.paths)} VF paths, {first.status}; {args.refreshes} refreshes every {args.interval:g} s")
        print(f"CPU per refresh     median {statistics.median(cpu) * 1000:7.1f} ms   max {max(cpu) * 1000:7.1f} ms")
        print(f"refresh latency     median {statistics.median(wall) * 1000:7.1f} ms   max {max(wall) * 1000:7.1f} ms")
        print(f"CPU at a {args.interval:g} s interval: {statistics.median(cpu) / args.interval * 100:.1f}% of one core")
    finally:
        if started is not None:
            down(rundir)


if __name__ == "__main__":
    main()
