"""Reading br-int: mvtep against the usual tools, on the same 100,000+ flows.

Starts a large sandbox node (or uses ``--dir`` of a running one) and times,
each in a fresh process so wall time and peak memory are its own:

  (a) raw transfer: the flow-stats replies read from the socket, not decoded
  (b) ovs-ofctl dump-flows br-int > /dev/null
  (c) ovs-ofctl dump-flows + the ovs package's parser (what ovs-flowviz does)
  (d) mvtep reading the whole table: every flow's header decoded, match and
      actions on demand (d-lazy), and every flow fully decoded (d-full)
  (e) mvtep reading only table 0 and the remote-output table
  (f) `mvtep flows > /dev/null`, the whole process as a user runs it
  (g) `mvtep flows --json > /dev/null`, the whole process

and then, per node size (``--verify-acls``: about 10,000, 100,000 and
300,000 flows), `ovs-ofctl dump-flows` against `mvtep verify --json`
(whole processes: the verify time is its time to verdict).

The cases run in rounds, each once per round after one round not counted,
and the medians are printed: wall time, CPU time (user + system, a child's
included: what a machine shared with other work disturbs less) and the
peak memory.  Python runs as an installed mvtep does, with its bytecode
compiled (in a cache outside the source tree).

Usage: .venv/bin/python bench/flows_bench.py [--dir DIR] [--ovn 25.03] [--acls 8500] [--runs 3]
                                             [--verify-acls 850,8500,25500]
(``--dir`` names a running node of the ``--acls`` size; the other verify
sizes are started and stopped by the bench.)
Not part of the test suite; it prints its numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _node import ROOT, add_node_arguments, bench_node, flow_count, settle

from mvtep.sandbox.node import attach

# Each case runs as `python -c CASE` with REMOTE, TABLES, OFCTL, MVTEP (json
# argv) in the environment.  peak_mb is the case's own peak, or its child's
# for the cases that run one program; cpu its CPU time (user + system, the
# child's included), which a machine shared with other work disturbs less
# than the wall time.
_PRELUDE = """
import json, os, resource, time, subprocess
t0 = time.perf_counter()
r0 = resource.getrusage(resource.RUSAGE_SELF)
"""
_EPILOGUE = """
seconds = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime - r0.ru_utime - r0.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"seconds": seconds, "cpu": cpu, "n": n, "peak_mb": max(me.ru_maxrss, kids.ru_maxrss) / 1024}))
"""
_MVTEP = """
from flowprog.ofcodec import load
from flowprog.ofext import install
from flowprog.ofclient import OpenFlowClient, FlowFilter
from flowprog.ofdecode import Decoder
codec = install(load(os.environ))
"""


def _program(argv_var: str, *extra: str) -> str:
    """A case that runs one program to completion, its output thrown away."""
    return f"""
argv = json.loads(os.environ["{argv_var}"]) + {list(extra)!r}
with open(os.devnull, "w") as null:
    done = subprocess.run(argv, stdout=null, stderr=subprocess.PIPE, text=True)
if done.returncode not in (0, 1):
    raise SystemExit(done.stderr)
n = 0
"""


CASES = {
    "a raw transfer": _MVTEP + """
n = 0
with OpenFlowClient(os.environ["REMOTE"], codec) as c:
    for body in c.replies():
        n += len(body)
""",
    "b ovs-ofctl dump-flows": _program("OFCTL"),
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
    "f mvtep flows": _program("MVTEP", "flows"),
    "g mvtep flows --json": _program("MVTEP", "flows", "--json"),
}
_VERIFY = {"ovs-ofctl dump-flows": _program("OFCTL"), "mvtep verify --json": _program("MVTEP", "verify", "--json")}


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


def _run(code: str, env: dict[str, str]) -> dict[str, float]:
    # Through sh, not exec'd by it: a process forked from this one would
    # report this process's peak memory as its own (Linux keeps the
    # high-water mark across fork and exec), one forked from sh does not.
    argv = ["sh", "-c", '"$0" -c "$1"', sys.executable, _PRELUDE + code + _EPILOGUE]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


Job = tuple[str, dict[str, str]]  # a case's code and the environment it runs in


def measure(jobs: dict[Any, Job], runs: int) -> dict[Any, dict[str, float]]:
    """Each job ``runs`` times, in rounds (every job once per round), so
    that a machine shared with other work slows all of them alike; the
    median time and CPU time, the highest peak."""
    results: dict[Any, list[dict[str, float]]] = {key: [] for key in jobs}
    for code, env in jobs.values():  # a round not counted: bytecode compiled, files cached
        _run(code, env)
    for _ in range(runs):
        for key, (code, env) in jobs.items():
            results[key].append(_run(code, env))
    return {key: {"seconds": statistics.median(r["seconds"] for r in rs),
                  "cpu": statistics.median(r["cpu"] for r in rs),
                  "peak_mb": max(r["peak_mb"] for r in rs), "n": rs[0]["n"]} for key, rs in results.items()}


def node_env(rundir: Path) -> tuple[dict[str, str], str, int]:
    """The environment the cases run with on the node in ``rundir``, its
    version and its flow count."""
    tools, env, version = attach(rundir, os.environ)
    count = flow_count(tools, env)
    # Python as an installed mvtep runs: with its modules' bytecode compiled
    # (kept apart from the source tree), whatever this shell says.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "mvtep-bench-pycache")
    return {**env, "OVS_RUNDIR": str(rundir), "REMOTE": f"unix:{rundir}/br-int.mgmt", "PYTHONPATH": str(ROOT),
            "OFCTL": json.dumps(tools.argv("ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "br-int")),
            "MVTEP": json.dumps([str(Path(sys.executable).parent / "mvtep")])}, version, count


def flows_cases(rundir: Path, runs: int) -> None:
    env, version, count = node_env(rundir)
    table = remote_output_table(rundir)
    env["TABLES"] = json.dumps([0, table])
    settle(rundir)
    rows = measure({case: (code, env) for case, code in CASES.items()}, runs)
    print(f"{version}, {count} flows on br-int, remote-output table {table}, median of {runs} runs")
    print(f"{'case':38} {'seconds':>8} {'cpu s':>7} {'flows/s':>10} {'peak MB':>8}")
    for case, r in rows.items():
        n = count if case[0] in "bcdfg" else r["n"]
        rate = f"{n / r['seconds']:10.0f}" if case[0] != "a" else f"{r['n'] / 1e6:7.1f} MB"
        print(f"{case:38} {r['seconds']:8.3f} {r['cpu']:7.3f} {rate:>10} {r['peak_mb']:8.0f}")
    b, c = rows["b ovs-ofctl dump-flows"]["seconds"], rows["c ovs-ofctl + ovs.flow parse"]["seconds"]
    for case in ("d-lazy mvtep, whole table", "d-full mvtep, whole table decoded"):
        d = rows[case]["seconds"]
        print(f"{case}: {c / d:.1f}x faster than (c), {d / b:.2f}x the time of (b)")
    print(f"(e) is {b / rows['e mvtep, tables 0 + remote-output']['seconds']:.1f}x faster than (b)")
    b_cpu = rows["b ovs-ofctl dump-flows"]["cpu"]
    for case, target in (("f mvtep flows", 2.0), ("g mvtep flows --json", 2.5)):
        print(f"({case[0]}) {case[2:]}: {rows[case]['seconds'] / b:.2f}x the time of (b) (target <= {target}x), "
              f"{rows[case]['cpu'] / b_cpu:.2f}x its CPU time")


def verify_rows(nodes: dict[str, Path], runs: int) -> list[tuple[str, int, dict[str, dict[str, float]]]]:
    """ovs-ofctl and mvtep verify on every node, in the same rounds (so the
    sizes are compared under the same load), each node quiet first."""
    envs = {acls: node_env(rundir) for acls, rundir in nodes.items()}
    for rundir in nodes.values():
        settle(rundir)
    found = measure({(acls, case): (code, envs[acls][0]) for acls in nodes for case, code in _VERIFY.items()}, runs)
    return [(acls, envs[acls][2], {case: found[(acls, case)] for case in _VERIFY}) for acls in nodes]


def print_verify(rows: list[tuple[str, int, dict[str, dict[str, float]]]], runs: int) -> None:
    """Time to verdict against ovs-ofctl, per node size, in one table."""
    print(f"\nmvtep verify --json (time to verdict) against ovs-ofctl dump-flows, median of {runs} runs")
    print(f"{'acls':>6} {'flows':>8} {'ovs-ofctl s':>12} {'verify s':>9} {'ratio':>6} "
          f"{'ofctl cpu':>10} {'verify cpu':>10} {'verify MB':>10}")
    for acls, count, r in sorted(rows, key=lambda row: row[1]):
        ofctl, verify = r["ovs-ofctl dump-flows"], r["mvtep verify --json"]
        print(f"{acls:>6} {count:>8} {ofctl['seconds']:12.3f} {verify['seconds']:9.3f} "
              f"{verify['seconds'] / ofctl['seconds']:6.2f} {ofctl['cpu']:10.3f} {verify['cpu']:10.3f} "
              f"{verify['peak_mb']:10.0f}")
    times = [r["mvtep verify --json"]["seconds"] for _, _, r in rows]
    if len(times) > 1:
        print(f"verify time spread across sizes: {max(times) / min(times) - 1:.0%} (target <= 20%)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_node_arguments(ap, runs=3)
    ap.add_argument("--verify-acls", default="850,8500,25500",
                    help="node sizes for the verify cases (extra ACLs, comma-separated; empty: skip them)")
    args = ap.parse_args()
    sizes = [str(int(a)) for a in args.verify_acls.split(",") if a]
    with ExitStack() as nodes:
        rundir = nodes.enter_context(bench_node(args))
        flows_cases(rundir, args.runs)
        if not sizes:
            return
        verify_nodes = {acls: rundir if acls == str(args.acls) else
                        nodes.enter_context(bench_node(argparse.Namespace(dir=None, ovn=args.ovn, acls=int(acls))))
                        for acls in sizes}
        print_verify(verify_rows(verify_nodes, args.runs), args.runs)

if __name__ == "__main__":
    main()
