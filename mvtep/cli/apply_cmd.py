"""``mvtep plan SPEC`` and ``mvtep apply SPEC``: the node's multi-VTEP plumbing,
declared in a spec file, reviewed as a diff, then made so."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from mvtep.cli.node_source import gatherer
from mvtep.cli.options import add_host_options, add_node_options, netns_of, seconds
from mvtep.cli.runtime import Runtime
from mvcore.endpoints import Endpoints, resolve
from mvcore.errors import ExitStatus, UsageError

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowprog.plan import CurrentState, Plan
    from flowprog.spec import NodeSpec

__all__ = ["register"]


def _common(p: argparse.ArgumentParser) -> None:
    add_node_options(p)
    p.add_argument("spec", type=Path, help="the node spec (TOML; see the README)")
    add_host_options(p)
    p.add_argument("--allow-software", action="store_true",
                   help="accepted for old scripts: VFs get their PF's VTEP whether or not it can offload")


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="show what apply would change, as a diff; changes nothing")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON (schema in the README)")
    p.set_defaults(func=run_plan)
    a = sub.add_parser("apply", help="make the node match the spec (OVSDB in one transaction, rules, routes)")
    _common(a)
    a.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    a.add_argument("--watch", action="store_true", help="then keep new VF ports' encap-ip right as they appear")
    a.add_argument("--interval", type=seconds, default=1.0, help="--watch: seconds between checks")
    a.set_defaults(func=run_apply)


def _read(args: argparse.Namespace) -> tuple[str, NodeSpec]:
    """The spec's text and what it says: a mistake in it is reported before
    the node is asked anything."""
    from flowprog.spec import parse_spec, read_spec
    text = read_spec(args.spec)
    return text, parse_spec(text, str(args.spec))


def _plan(args: argparse.Namespace, rt: Runtime, text: str,
          spec: NodeSpec) -> tuple[Endpoints, str | None, Plan]:
    from flowprog.plan import check_against_node, make_plan
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    cur = _current(args, rt, spec)
    check_against_node(spec, cur, str(args.spec), text)
    return ends, netns_of(args, rt.env), make_plan(spec, cur, allow_software=args.allow_software)


def _current(args: argparse.Namespace, rt: Runtime, spec: NodeSpec) -> CurrentState:
    """The node as the plan compares it with ``spec``, read now."""
    from inspector.gather import Scope
    from inspector.plan_inputs import current_state, spec_tables
    with gatherer(args, rt, host=True) as g:
        snap = g.snapshot(Scope(ovsdb=True, hardware=True, host=True, tables=spec_tables(spec),
                                required=frozenset({"ovsdb", "bridge", "host"})))
    return current_state(snap, spec)


def run_plan(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from inspector.plan_view import render, to_json
    _ends, _netns, plan = _plan(args, rt, *_read(args))
    if args.json:
        rt.emit_json(to_json(plan))
    else:
        rt.out.print(render(plan))
    return _status_of(plan)


def _status_of(plan: Plan) -> ExitStatus:
    """1 when apply would refuse a change (the README's exit codes), else 0."""
    return ExitStatus.PROBLEMS if len(plan.todo) < len(plan.changes) else ExitStatus.OK


def _confirm(rt: Runtime, count: int) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("refusing to change the node without confirmation", hint="pass --yes")
    rt.err.print(f"make these {count} change(s)? [y/N] ", end="", markup=False, emoji=False, highlight=False)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _lock_dir() -> Path:
    """Where apply locks live: /run/mvtep for root (who changes routing), else
    a directory of the user's own."""
    if os.geteuid() == 0:
        return Path("/run/mvtep")
    return Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"mvtep-{os.getuid()}"


def run_apply(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    from flowprog.applylock import ApplyLock
    from flowprog.ovsdb import database_id
    # The lock is taken before the node is read: the plan must not be made
    # from what another apply is in the middle of changing.
    text, spec = _read(args)
    ends = resolve(rt.env, db=args.db, openflow=args.openflow, bridge=args.bridge)
    node = database_id(ends.db, args.timeout)
    with ApplyLock(_lock_dir(), node, shlex.join(["mvtep", *sys.argv[1:]])):
        return _apply_locked(args, rt, text, spec)


def _apply_locked(args: argparse.Namespace, rt: Runtime, text: str, spec: NodeSpec) -> ExitStatus:
    from flowprog.apply import ApplyFailed, apply_plan
    from hw.plumbing import Plumbing
    from inspector.plan_view import render
    from mvtep.cli.signals import StopRequests
    ends, netns, plan = _plan(args, rt, text, spec)
    rt.out.print(render(plan))
    if plan.todo:
        if not args.yes and not _confirm(rt, len(plan.todo)):
            rt.say("nothing changed")
            return ExitStatus.OK
        try:
            with StopRequests() as stop, Plumbing(netns) as kernel:
                done = apply_plan(plan, db=ends.db, kernel=kernel, timeout=args.timeout, stop=stop)
        except ApplyFailed as e:
            for what in e.undone:
                rt.say(f"undone: {what}")
            for what in e.not_restored:
                rt.say(f"NOT restored: {what}")
            raise
        rt.say(f"applied {len(done)} change(s)")
        if stop.why:  # it came after the last look: everything was made, and stays
            rt.say(f"mvtep: {stop.why} came after the last change: all {len(done)} change(s) stay")
            return ExitStatus.INTERRUPTED
    if args.watch:
        _watch(args, rt, spec, ends, netns)
        return ExitStatus.INTERRUPTED
    return ExitStatus.PROBLEMS if len(plan.todo) < len(plan.changes) else ExitStatus.OK


def _watch(args: argparse.Namespace, rt: Runtime, spec: NodeSpec, ends: Endpoints, netns: str | None) -> None:
    """Keep VF ports' encap-ip right as ports come and go, until SIGINT or
    SIGTERM.  The signals only set a flag: stopping between two passes never
    leaves a change half made or a netlink socket half closed."""
    from flowprog.apply import ApplyFailed
    from flowprog.ovsdb import OvsdbMonitor
    rt.say(f"watching {ends.bridge} for new VF ports (Ctrl-C stops)")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with OvsdbMonitor(ends.db, "Open_vSwitch", {"Interface": ("name", "external_ids")},
                          args.timeout) as monitor:
            seen: object = None
            while not stop.wait(args.interval):
                rows = monitor.rows()  # the same object until the server reports a change
                if rows is seen:
                    continue
                seen = rows
                try:
                    _correct_vifs(args, rt, spec, ends, netns)
                except ApplyFailed as e:  # (someone wrote the same keys meanwhile): again next time
                    rt.say(f"could not correct the VF ports now: {e.message}")
                    seen = None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    rt.say("stopped")


def _correct_vifs(args: argparse.Namespace, rt: Runtime, spec: NodeSpec, ends: Endpoints,
                  netns: str | None) -> None:
    from flowprog.apply import apply_plan
    from flowprog.plan import Plan, make_plan
    from hw.plumbing import Plumbing
    from inspector.plan_view import render_change
    cur = _current(args, rt, spec)
    plan = make_plan(spec, cur, allow_software=args.allow_software)
    vif = Plan(tuple(c for c in plan.changes if c.kind == "vif"))
    if vif.todo:
        with Plumbing(netns) as kernel:  # (VIF changes are all OVSDB: it stays unopened)
            apply_plan(vif, db=ends.db, kernel=kernel, timeout=args.timeout)
        for c in vif.todo:
            rt.out.print(render_change(c))
        rt.out.file.flush()
