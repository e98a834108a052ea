"""SIGINT and SIGTERM: what they do to a run of mvtep.

:class:`Interrupts` (the whole run, installed by ``mvtep.cli.main``): a
signal stops the command the way Ctrl-C does -- a KeyboardInterrupt, so
every ``finally`` and ``with`` unwinds: sockets close, ``watch`` leaves the
alternate screen -- and is remembered, so an interruption that a library
swallowed (in a ``__del__``, a bare ``except``) still ends the run as
interrupted, never as a success.

:class:`StopRequests` (while ``mvtep apply`` changes the node): stopping at
once would leave the node half-changed -- an OVSDB transaction committed with
the routing not yet written, once a VTEP with no ``ip rule`` at all -- so a
signal only asks to stop: the change in progress finishes, then everything
the run changed is undone (:func:`flowprog.apply.apply_plan` looks before
each change).  Each signal is answered on stderr at once, so Ctrl-C is never
met with silence; a second one does not cut the undoing short (that would
leave the node half-changed again): it says so.  Only SIGKILL ends it.

Both are inherited by processes forked from mvtep (pyroute2 runs its netns
helpers that way); there a signal is the helper's own, and it dies of it
the default way.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

__all__ = ["Interrupts", "StopRequests", "default_action"]


def default_action(signum: int) -> None:
    """Die of ``signum`` the default way."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class _Handlers:
    """SIGINT and SIGTERM go to :meth:`_on` while the ``with`` block runs."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._pid = os.getpid()

    def __enter__(self) -> Any:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, _frame: object) -> None:
        if os.getpid() != self._pid:  # a forked helper told to stop
            default_action(signum)
        self._on(signum)

    def _on(self, signum: int) -> None:
        raise NotImplementedError


class Interrupts(_Handlers):
    """``with Interrupts() as interrupts: ...``; ``interrupts.received`` is the
    signal that came, if one did."""

    def __init__(self) -> None:
        super().__init__()
        self.received: int | None = None
        self._unraisable = sys.unraisablehook
        self._main = threading.get_ident()
        self._active = False

    def __enter__(self) -> Interrupts:
        super().__enter__()
        self._unraisable = sys.unraisablehook
        sys.unraisablehook = self._unraisable_hook
        self._main = threading.get_ident()
        self._active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._active = False
        super().__exit__(*exc)
        sys.unraisablehook = self._unraisable

    def _on(self, signum: int) -> None:
        self.received = signum
        raise KeyboardInterrupt

    def _unraisable_hook(self, info: Any) -> None:
        # The interrupt landed in a __del__ or a weakref callback, which cannot
        # raise: Python would print "Exception ignored" and a traceback.  It is
        # remembered (self.received), and sent again to the main thread once
        # it has left the finalizer, so the run stops now rather than when what
        # it waits for times out (up to --timeout later).  From another thread:
        # sent from here, it would land in this hook; and as a real signal, so
        # that it cuts the main thread's blocking call short.
        if isinstance(info.exc_value, KeyboardInterrupt) and self.received is not None:
            again = threading.Timer(0.01, self._again, (self.received,))
            again.daemon = True
            again.start()
            return
        self._unraisable(info)

    def _again(self, signum: int) -> None:
        if self._active:
            signal.pthread_kill(self._main, signum)


class StopRequests(_Handlers):
    """``with StopRequests() as stop: apply_plan(..., stop=stop)``"""

    def __init__(self) -> None:
        super().__init__()
        self.why: str | None = None

    def __enter__(self) -> StopRequests:
        super().__enter__()
        return self

    def __call__(self) -> str | None:
        return self.why

    def _on(self, signum: int) -> None:
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
