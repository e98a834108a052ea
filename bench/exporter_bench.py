"""What ``mvtep exporter`` costs to leave running on a node with 1,000 VFs
(real ovn-controller flows): CPU as a share of one core, and resident memory.

Starts ``python -m mvtep exporter --interval 10`` against the node as its own
process, scrapes ``/metrics`` the way Prometheus would (every 10 s, plus a
burst of scrapes to show they never reach OVS), and reads the process's CPU
time and RSS from /proc over the measured window.

Usage: .venv/bin/python bench/exporter_bench.py [--dir DIR] [--vfs 1000] [--interval 10] [--window 120]
Not part of the test suite; it prints its numbers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _node import add_vf_node_arguments, bench_node, cpu_seconds, vf_node_size

from mvtep.sandbox.node import netns_name
from tests.promserver import free_port, http_get, wait_for

def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_vf_node_arguments(ap)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--window", type=float, default=120.0, help="seconds measured, after a warm-up gather")
    args = ap.parse_args()
    with bench_node(args, vf_node_size(args)) as rundir:
        measure(rundir, args)


def measure(rundir: Path, args: argparse.Namespace) -> None:
    port = free_port()
    env = {**os.environ, "OVS_RUNDIR": str(rundir)}
    if os.geteuid() == 0:
        env["MVTEP_NETNS"] = netns_name(rundir)
    proc = subprocess.Popen([sys.executable, "-m", "mvtep", "exporter", "--listen", f"127.0.0.1:{port}",
                             "--interval", f"{args.interval:g}"], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_get(f"{url}/healthz")[0] == 200, "the first gather", timeout=120)
        body = http_get(f"{url}/metrics")[1]
        series = sum(1 for ln in body.splitlines() if ln and not ln.startswith("#"))
        paths = sum(1 for ln in body.splitlines() if ln.startswith("mvtep_path_verdict{"))
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        scrape_ms = []
        while time.monotonic() - t0 < args.window:
            s0 = time.perf_counter()
            with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
                r.read()
            scrape_ms.append((time.perf_counter() - s0) * 1000)
            time.sleep(args.interval)
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.monotonic() - t0
        rss, hwm = memory_kib(proc.pid)
        burst0 = cpu_seconds(proc.pid)
        for _ in range(20):  # a scrape storm: formatting only, never OVS
            with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
                r.read()
        burst = (cpu_seconds(proc.pid) - burst0) / 20
        print(f"{paths} VF paths, {series} series per scrape; gathering every {args.interval:g} s, "
              f"{len(scrape_ms)} scrapes over {wall:.0f} s")
        print(f"CPU: {cpu / wall * 100:.2f}% of one core  ({cpu:.2f} s of CPU in {wall:.0f} s)")
        print(f"RSS: {rss / 1024:.1f} MiB now, {hwm / 1024:.1f} MiB peak")
        print(f"a scrape: {sorted(scrape_ms)[len(scrape_ms) // 2]:.1f} ms median wall, "
              f"{burst * 1000:.1f} ms CPU each in a burst of 20")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
