"""Make a :class:`~flowprog.plan.Plan`'s changes, all or none.

OVSDB changes go in one transaction; rules and routes follow (stale routes
and rules removed first, then rules and routes added) through the kernel
writer the caller passes in (``hw.plumbing.Plumbing`` on a node).

Every change made is logged with how to undo it.  When one fails, or the
caller asks to stop (``stop()`` is looked at before each change and after
the last: a signal, in ``mvtep apply``), the log is undone in reverse and the
error says what was undone and what could not be.  An undo touches only
what this run changed, and only while it is still as this run left it:

* OVSDB keys are written only while they hold what the plan was made from
  (else nothing is written), and put back only while they hold what this
  run wrote (else they are left as they are, and the error says so);
* a kernel entry is deleted or added back exactly (destination, device,
  gateway, scope; protocol as it was read), so one someone else replaced
  is not touched: the kernel refuses, and the error says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from flowprog.ovsdb import change_keys
from flowprog.keychange import KeyChange
from flowprog.plan import Change, OvsdbOp, Plan
from mvcore.errors import ExitStatus, MvtepError
from mvcore.routes import Route, Rule

__all__ = ["ApplyFailed", "ApplyInterrupted", "KernelWriter", "apply_plan", "key_change"]


class KernelWriter(Protocol):
    """What applying needs of the kernel: each call makes exactly one change
    or raises :class:`~mvcore.errors.MvtepError` saying why not."""

    def add_rule(self, rule: Rule) -> None: ...

    def delete_rule(self, rule: Rule) -> None: ...

    def add_route(self, route: Route) -> None: ...

    def delete_route(self, route: Route) -> None: ...


class ApplyFailed(MvtepError):
    """A change failed (or the run was stopped) and the changes made were undone:
    ``undone`` names them, ``not_restored`` what could not be put back and why."""

    code = "apply-failed"

    def __init__(self, message: str, *, undone: tuple[str, ...] = (), not_restored: tuple[str, ...] = (),
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.undone, self.not_restored = undone, not_restored


class ApplyInterrupted(ApplyFailed):
    """Stopped on request (a signal) before every change was made; what was made is undone."""

    code = "interrupted"
    exit_status = ExitStatus.INTERRUPTED


@dataclass(frozen=True, slots=True)
class _Undo:
    what: str
    run: Callable[[], tuple[list[str], list[str]]]  # what it undid; what it could not restore, and why


def key_change(c: Change) -> KeyChange:
    """The OVSDB key change a plan's change stands for."""
    assert isinstance(c.op, OvsdbOp)
    return KeyChange(c.op.table, c.op.record, c.op.column, c.op.key, c.old, c.op.value)


def _order(c: Change) -> int:
    # stale routes, then stale rules, then new rules, then new routes
    return {("route", "remove"): 0, ("rule", "remove"): 1, ("rule", "add"): 2, ("route", "add"): 3}[(c.kind, c.action)]


def apply_plan(plan: Plan, *, db: str, kernel: KernelWriter, timeout: float,
               stop: Callable[[], str | None] = lambda: None) -> tuple[Change, ...]:
    """Apply ``plan.todo``; returns the changes made.

    ``stop()`` returns why to stop (``"SIGTERM"``) or None.

    Raises:
        ApplyInterrupted: ``stop()`` said to stop; the changes made are undone.
        ApplyFailed: a change failed; the changes made before it are undone.
    """
    todo = plan.todo
    ovs = [c for c in todo if isinstance(c.op, OvsdbOp)]
    routing = sorted((c for c in todo if not isinstance(c.op, OvsdbOp)), key=_order)
    steps: list[tuple[int, Callable[[], _Undo]]] = []  # (how many changes, the step)
    if ovs:
        steps.append((len(ovs), lambda: _ovsdb(ovs, db, timeout)))
    steps += [(1, partial(_kernel, c, kernel)) for c in routing]
    undo: list[_Undo] = []
    made = 0
    try:
        for count, step in steps:
            why = stop()
            if why:
                raise _Stop(why)
            undo.append(step())
            made += count
        why = stop()
        if why:
            raise _Stop(why)
    except _Stop as e:
        undone, failed = _rollback(undo)
        raise ApplyInterrupted(f"interrupted by {e.why} with {made} of {len(todo)} change(s) made; "
                               f"{_rolled_back(undone, failed)}", undone=undone, not_restored=failed,
                               hint=_hint(failed)) from None
    except MvtepError as e:
        undone, failed = _rollback(undo)
        raise ApplyFailed(f"{e.message}; {_rolled_back(undone, failed)}", undone=undone, not_restored=failed,
                          hint=_hint(failed)) from e
    return tuple(ovs + routing)


class _Stop(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _rolled_back(undone: tuple[str, ...], failed: tuple[str, ...]) -> str:
    lost = f"; could not restore: {'; '.join(failed)}" if failed else ""
    return f"rolled back {len(undone)} change(s){lost}"


def _hint(failed: tuple[str, ...]) -> str:
    return "fix the above by hand" if failed else "nothing else was changed"


def _ovsdb(ovs: list[Change], db: str, timeout: float) -> _Undo:
    """The plan's OVSDB changes, made only over the values they were planned from."""
    changes = [key_change(c) for c in ovs]
    change_keys(db, changes, timeout)

    def undo() -> tuple[list[str], list[str]]:
        left = change_keys(db, [c.undo() for c in changes], timeout, skip_changed=True)
        kept = {c.target for c, _now in left}
        return ([c.target for c in changes if c.target not in kept],
                [f"{c.target} (changed by someone else since: it holds {now!r}; left as it is)" for c, now in left])

    return _Undo(f"{len(changes)} OVSDB change(s)", undo)


def _kernel(c: Change, kernel: KernelWriter) -> _Undo:
    op = c.op
    if isinstance(op, Rule):
        do, back = (kernel.add_rule, kernel.delete_rule) if c.action == "add" else (kernel.delete_rule,
                                                                                    kernel.add_rule)
        do(op)
        return _Undo(c.target, partial(_exactly, c, partial(back, op)))
    assert isinstance(op, Route)
    do_, back_ = (kernel.add_route, kernel.delete_route) if c.action == "add" else (kernel.delete_route,
                                                                                    kernel.add_route)
    do_(op)
    return _Undo(c.target, partial(_exactly, c, partial(back_, op)))


def _exactly(c: Change, back: Callable[[], None]) -> tuple[list[str], list[str]]:
    """An exact kernel undo either happens or raises (the kernel refuses one
    whose entry someone else changed meanwhile)."""
    back()
    return [f"{c.target} ({'removed again' if c.action == 'add' else 'put back'})"], []


def _rollback(undo: list[_Undo]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Undo in reverse: what was undone, and what could not be and why."""
    undone: list[str] = []
    failed: list[str] = []
    for u in reversed(undo):
        try:
            did, left = u.run()
        except MvtepError as e:
            failed.append(f"{u.what} ({e.message})")
            continue
        undone += did
        failed += left
    return tuple(undone), tuple(failed)
