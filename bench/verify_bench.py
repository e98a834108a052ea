"""Time to verdict: ``mvtep verify`` against a bare ``ovs-ofctl dump-flows``
on the same large node (100,000+ flows), side by side.

Usage: .venv/bin/python bench/verify_bench.py [--dir DIR] [--ovn 25.03] [--acls 8500] [--runs 5]
Not part of the test suite; it prints its numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _node import add_node_arguments, bench_node, flow_count

from mvtep.sandbox.node import attach


def timed(argv: list[str], env: dict[str, str], runs: int, ok: tuple[int, ...] = (0,)) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t0)
        if done.returncode not in ok:
            raise SystemExit(f"{argv[0]} failed: {done.stderr.strip()}")
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_node_arguments(ap, runs=5)
    args = ap.parse_args()
    with bench_node(args) as rundir:
        tools, env, version = attach(rundir, os.environ)
        env = {**env, "OVS_RUNDIR": str(rundir)}
        count = flow_count(tools, env)
        ofctl = timed(tools.argv("ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "br-int"), env, args.runs)
        mvtep = timed([str(Path(sys.executable).parent / "mvtep"), "verify", "--json"], env, args.runs, ok=(0, 1))
        print(f"{version}, {count} flows on br-int, median of {args.runs} runs")
        print(f"ovs-ofctl dump-flows br-int    {ofctl:6.3f} s")
        print(f"mvtep verify --json (verdict)  {mvtep:6.3f} s   ({ofctl / mvtep:.1f}x faster)")


if __name__ == "__main__":
    main()
