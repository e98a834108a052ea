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
import time
from pathlib import Path

from _node import add_vf_node_arguments, bench_node, vf_node_size

from rich.console import Console

from flowprog.ofcodec import load
from flowprog.ofext import install
from hw.sysfs import DirSysfs
from inspector.gather import Gatherer, HostSources
from inspector.path_inputs import paths_report
from inspector.paths_view import ViewState, render
from inspector.recent import RecentFlows
from mvcore.endpoints import resolve
from mvtep.cli.paths_cmd import paths_scope
from mvtep.sandbox.node import netns_name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_vf_node_arguments(ap)
    ap.add_argument("--refreshes", type=int, default=20)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()
    with bench_node(args, vf_node_size(args)) as rundir:
        env = {**os.environ, "OVS_RUNDIR": str(rundir)}
        ends = resolve(env)
        codec = install(load(env))
        decoder = RecentFlows(codec)  # what watch decodes with
        netns = netns_name(rundir) if os.geteuid() == 0 else None
        gatherer = Gatherer(ends, env, codec, timeout=10, host=HostSources(DirSysfs(Path("/"), udev=True), netns),
                            monitor=True)
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


if __name__ == "__main__":
    main()
