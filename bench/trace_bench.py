"""Time to verdict with traces: ``mvtep verify`` against ``mvtep verify --trace``
(one ofproto/trace per VIF and remote chassis) on the same node.

Usage: .venv/bin/python bench/trace_bench.py [--dir DIR] [--ovn 25.03] [--vfs 1000] [--acls 0] [--runs 3]
The default is the default sandbox node (6 VFs, 2 remote chassis: 12 traces);
``--vfs 1000`` starts the 1,000-VF node (2,000 traces, about a minute to start).
Not part of the test suite; it prints its numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _node import add_node_arguments, bench_node, flow_count
from verify_bench import timed

from mvtep.sandbox.node import attach


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_node_arguments(ap, runs=3, acls=0)
    args = ap.parse_args()
    mvtep = str(Path(sys.executable).parent / "mvtep")
    with bench_node(args) as rundir:
        tools, env, version = attach(rundir, os.environ)
        env = {**env, "OVS_RUNDIR": str(rundir)}
        flows = flow_count(tools, env)
        doc = json.loads(subprocess.run([mvtep, "verify", "--trace", "--json"], env=env, capture_output=True,
                                        text=True).stdout)
        statuses = sorted({t["status"] for t in doc["traces"]})
        plain = timed([mvtep, "verify", "--json"], env, args.runs, ok=(0, 1))
        traced = timed([mvtep, "verify", "--trace", "--json"], env, args.runs, ok=(0, 1))
        n = len(doc["traces"])
        print(f"{version}, {len(doc['paths'])} VIFs, {flows} flows on br-int, {n} traces ({', '.join(statuses)}), "
              f"median of {args.runs} runs")
        print(f"mvtep verify --json          {plain:7.3f} s")
        each = (traced - plain) / max(n, 1) * 1000
        print(f"mvtep verify --trace --json  {traced:7.3f} s   ({each:.1f} ms per trace)")


if __name__ == "__main__":
    main()
