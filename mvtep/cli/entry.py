"""The ``mvtep`` program: :func:`mvtep.cli.main.main`, imported under a guard.

Importing the CLI takes about a quarter of a second (rich, the command
modules); a Ctrl-C or SIGTERM in that time would otherwise end in a Python
traceback.  Nothing has been done yet then, so it is just "interrupted".
The same holds for the instant between the import and the first line of
:func:`~mvtep.cli.main.main`, which sets the handlers for the run.
"""

from __future__ import annotations

import signal
import sys

__all__ = ["main"]


def main() -> int:
    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        from mvtep.cli.main import main as run
        # (inside the guard too: a signal can land between the import and
        # the first line of run(), before it sets its own handlers)
        status = run()
    except KeyboardInterrupt:
        sys.stderr.write("mvtep: interrupted\n")
        return 130
    # The result is out: from here a signal ends the process the default way.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return status
