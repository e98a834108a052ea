"""Reading br-int: mvtep against the usual tools, on the same 100,000+ flows.

Starts a large sandbox node (or uses ``--dir`` of a running one) and times,
each in a fresh process so wall time and peak memory are its own:

  (a) raw transfer: the flow-stats replies read from the socket, not decoded
  (b) ovs-ofctl dump-flows br-int > /dev/null
  (c) ovs-ofctl dump-flows + the ovs package's parser (what ovs-flowviz does)
  (d) mvtep reading the whole table: every flow's header decoded, match and
      actions on demand (d-lazy), and every flow fully decoded (d-full)
  (e) mvtep reading only table 0 and the remote-output table

Usage: .venv/bin/python bench/flows_bench.py [--dir DIR] [--ovn 25.03] [--acls 8500] [--runs 3]
Not part of the test suite; it prints its numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _node import ROOT, add_node_arguments, bench_node

from mvtep.sandbox.node import attach

# Each case runs as `python -c CASE` with REMOTE, TABLES, OFCTL (json argv) in the environment.
_PRELUDE = """
import json, os, resource, time, subprocess
t0 = time.perf_counter()
"""
_EPILOGUE = """
print(json.dumps({"seconds": time.perf_counter() - t0, "n": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
_MVTEP = """
from flowprog.ofcodec import load
from flowprog.ofext import install
from flowprog.ofclient import OpenFlowClient, FlowFilter
from flowprog.ofdecode import Decoder
codec = install(load(os.environ))
"""
CASES = {
    "a raw transfer": _MVTEP + """
n = 0
with OpenFlowClient(os.environ["REMOTE"], codec) as c:
    for body in c.replies():
        n += len(body)
""",
    "b ovs-ofctl dump-flows": """
argv = json.loads(os.environ["OFCTL"])
with open(os.devnull, "w") as null:
    subprocess.run(argv, stdout=null, check=True)
n = 0
""",
    "c ovs-ofctl + ovs.flow parse": """
from ovs.flow.ofp import OFPFlow
argv = json.loads(os.environ["OFCTL"])
out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
n = 0
for line in out.splitlines():
    if "actions=" in line:
        OFPFlow(line.strip())
        n += 1
""",
    "d-lazy mvtep, whole table": _MVTEP + """
n = 0
with OpenFlowClient(os.environ["REMOTE"], codec) as c:
    flows = list(c.flows())
n = len(flows)
""",
    "d-full mvtep, whole table decoded": _MVTEP + """
with OpenFlowClient(os.environ["REMOTE"], codec) as c:
    d = Decoder(codec)
    flows = [d.decode(e) for e in c.flows()]
n = len(flows)
assert not [f for f in flows if f.undecoded]
""",
    "e mvtep, tables 0 + remote-output": _MVTEP + """
n = 0
with OpenFlowClient(os.environ["REMOTE"], codec) as c:
    d = Decoder(codec)
    for table in json.loads(os.environ["TABLES"]):
        n += len([d.decode(e) for e in c.flows(FlowFilter(table=table))])
""",
}


def remote_output_table(rundir: Path) -> int:
    """The table whose flows output to tunnel ports (not hard-coded: it moves
    between OVN releases)."""
    code = "import os\n" + _MVTEP + f"""
from flowprog.ovsdb import read_tables
rows = read_tables("unix:{rundir}/db.sock", "Open_vSwitch", {{"Interface": ("type", "ofport")}})
tunnels = {{r["ofport"] for r in rows["Interface"] if r["type"] == "geneve"}}
with OpenFlowClient("unix:{rundir}/br-int.mgmt", codec) as c:
    d = Decoder(codec)
    for e in c.flows():
        if e.table and set(d.decode(e).outputs()) & tunnels:
            print(e.table)
            break
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return int(out.stdout.split()[0])


def measure(case: str, env: dict[str, str], runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _PRELUDE + CASES[case] + _EPILOGUE], env=env,
                              capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in results),
            "peak_mb": max(r["peak_mb"] for r in results), "n": results[0]["n"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_node_arguments(ap, runs=3)
    args = ap.parse_args()
    with bench_node(args) as rundir:
        tools, env, version = attach(rundir, os.environ)
        table = remote_output_table(rundir)
        env = {**env, "REMOTE": f"unix:{rundir}/br-int.mgmt", "TABLES": json.dumps([0, table]),
               "OFCTL": json.dumps(tools.argv("ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "br-int")),
               "PYTHONPATH": str(ROOT)}
        rows = {case: measure(case, env, args.runs) for case in CASES}
        flows = rows["d-lazy mvtep, whole table"]["n"]
        print(f"{version}, {flows} flows on br-int, remote-output table {table}, median of {args.runs} runs")
        print(f"{'case':38} {'seconds':>8} {'flows/s':>10} {'peak MB':>8}")
        for case, r in rows.items():
            n = flows if case[0] in "bcd" else r["n"]
            rate = f"{n / r['seconds']:10.0f}" if case[0] != "a" else f"{r['n'] / 1e6:7.1f} MB"
            print(f"{case:38} {r['seconds']:8.3f} {rate:>10} {r['peak_mb']:8.0f}")
        b, c = rows["b ovs-ofctl dump-flows"]["seconds"], rows["c ovs-ofctl + ovs.flow parse"]["seconds"]
        for case in ("d-lazy mvtep, whole table", "d-full mvtep, whole table decoded"):
            d = rows[case]["seconds"]
            print(f"{case}: {c / d:.1f}x faster than (c), {d / b:.2f}x the time of (b)")
        print(f"(e) is {b / rows['e mvtep, tables 0 + remote-output']['seconds']:.1f}x faster than (b)")


if __name__ == "__main__":
    main()
