"""SIGINT and SIGTERM while ``mvtep apply`` changes the node.

Outside this, a signal stops mvtep at once (a KeyboardInterrupt,
``mvtep.cli.main``).  While the node is being changed that would leave it
half-changed -- an OVSDB transaction committed with the routing not yet
written, once a VTEP with no ``ip rule`` at all -- so here a signal only asks
to stop: the change in progress finishes, then everything this run changed
is undone (:func:`flowprog.apply.apply_plan` looks before each change).

Each signal is answered on stderr at once, so Ctrl-C is never met with
silence; a second one does not cut the undoing short (it would leave the
node half-changed again): it says so.  Only SIGKILL ends it.
"""

from __future__ import annotations

import os
import signal
from typing import Any

__all__ = ["StopRequests", "default_action"]


def default_action(signum: int) -> None:
    """Die of ``signum`` the default way: what a forked child (pyroute2 runs
    netns helpers that way) must do with a signal meant for it, instead of
    running the parent's handlers it inherited."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class StopRequests:
    """``with StopRequests() as stop: apply_plan(..., stop=stop)``"""

    def __init__(self) -> None:
        self.why: str | None = None
        self._previous: dict[int, Any] = {}
        self._pid = os.getpid()

    def __enter__(self) -> StopRequests:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def __call__(self) -> str | None:
        return self.why

    def _handle(self, signum: int, _frame: object) -> None:
        if os.getpid() != self._pid:
            default_action(signum)
        name = signal.Signals(signum).name
        if self.why is None:
            self.why = name
            _say(f"mvtep: {name}: stopping after the change in progress, then undoing what this run changed")
        else:
            _say(f"mvtep: {name} again: still stopping; the undoing is not cut short (it would leave the node "
                 "half-changed)")


def _say(line: str) -> None:
    # os.write, not the console: this runs between any two bytecodes, maybe
    # in the middle of the console's own write.
    try:
        os.write(2, (line + "\n").encode())
    except OSError:
        pass
