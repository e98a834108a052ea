"""Make a :class:`~flowprog.plan.Plan`'s changes, all or none.

OVSDB changes go in one transaction; rules and routes follow (stale routes
and rules removed first, then rules and routes added) through the kernel
writer the caller passes in (``hw.plumbing.Plumbing`` on a node).  Every change made is
logged with how to undo it; when one fails, the log is undone in reverse and
the error says what failed and anything that could not be restored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flowprog.ovsdb import MapOp, write_map_keys
from flowprog.plan import Change, OvsdbOp, Plan
from mvcore.errors import MvtepError
from mvcore.routes import Route, Rule

__all__ = ["ApplyFailed", "KernelWriter", "apply_plan"]


class KernelWriter(Protocol):
    """What applying needs of the kernel: each call makes exactly one change
    or raises :class:`~mvcore.errors.MvtepError` saying why not."""

    def add_rule(self, rule: Rule) -> None: ...

    def delete_rule(self, rule: Rule) -> None: ...

    def add_route(self, route: Route) -> None: ...

    def delete_route(self, route: Route) -> None: ...


class ApplyFailed(MvtepError):
    code = "apply-failed"


@dataclass(frozen=True, slots=True)
class _Undo:
    what: str
    run: Callable[[], None]


def _map_op(op: OvsdbOp, value: str | None) -> MapOp:
    return (op.table, op.record, op.column, op.key, value)


def _order(c: Change) -> int:
    # stale routes, then stale rules, then new rules, then new routes
    return {("route", "remove"): 0, ("rule", "remove"): 1, ("rule", "add"): 2, ("route", "add"): 3}[(c.kind, c.action)]


def apply_plan(plan: Plan, *, db: str, kernel: KernelWriter, timeout: float) -> tuple[Change, ...]:
    """Apply ``plan.todo``; returns the changes made.  Raises ApplyFailed after rolling back."""
    todo = plan.todo
    ovs = [c for c in todo if isinstance(c.op, OvsdbOp)]
    routing = sorted((c for c in todo if not isinstance(c.op, OvsdbOp)), key=_order)
    undo: list[_Undo] = []
    done: list[Change] = []
    try:
        if ovs:
            write_map_keys(db, [_map_op(c.op, c.new) for c in ovs if isinstance(c.op, OvsdbOp)], timeout)
            olds = [_map_op(c.op, c.old) for c in ovs if isinstance(c.op, OvsdbOp)]
            undo.append(_Undo(f"{len(ovs)} OVSDB change(s)", lambda: write_map_keys(db, olds, timeout)))
            done += ovs
        for c in routing:
            undo.append(_kernel(c, kernel))
            done.append(c)
    except MvtepError as e:
        failed = _rollback(undo)
        restored = f"rolled back {len(undo) - len(failed)} change(s)"
        lost = f"; could not restore: {'; '.join(failed)}" if failed else ""
        raise ApplyFailed(f"{e.message}; {restored}{lost}",
                          hint="nothing else was changed" if not failed else "fix the above by hand") from e
    return tuple(done)


def _kernel(c: Change, kernel: KernelWriter) -> _Undo:
    op = c.op
    if isinstance(op, Rule):
        if c.action == "add":
            kernel.add_rule(op)
            return _Undo(c.target, lambda: kernel.delete_rule(op))
        kernel.delete_rule(op)
        return _Undo(c.target, lambda: kernel.add_rule(op))
    assert isinstance(op, Route)
    if c.action == "add":
        kernel.add_route(op)
        return _Undo(c.target, lambda: kernel.delete_route(op))
    kernel.delete_route(op)
    return _Undo(c.target, lambda: kernel.add_route(op))


def _rollback(undo: list[_Undo]) -> list[str]:
    failed = []
    for u in reversed(undo):
        try:
            u.run()
        except MvtepError as e:
            failed.append(f"{u.what} ({e.message})")
    return failed
