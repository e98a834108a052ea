"""``mvtep``: the command line, and the one place errors become exit codes.

Every command returns an :class:`~mvcore.errors.ExitStatus`; any
:class:`~mvcore.errors.MvtepError` raised below is printed here as one line
(plus its hint) and mapped to its status.  ``--debug`` lets the traceback
through instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from mvtep.cli import (apply_cmd, collect_cmd, flows_cmd, paths_cmd, preflight_cmd, sandbox_cmd, show_cmd,
                       trace_cmd, verify_cmd)
from mvtep.cli import exporter_cmd, fleet_cmd
from mvtep.cli.options import COLORS, add_global_options, add_node_options
from mvtep.cli.runtime import Runtime, checked_stdout, make_console
from mvtep.cli.signals import Interrupts
from mvcore.errors import ExitStatus, MvtepError, OutputFailed, UsageError

__all__ = ["main", "run", "build_parser"]

Command = Callable[[argparse.Namespace, Runtime], ExitStatus]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is an MvtepError like any other, and
    every parser (subcommands' too: they are built with this class) takes
    the global options."""

    def __init__(self, *args: Any, top: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_global_options(self, top=top)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"see: {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mvtep", description="Inspect and program OVN multi-VTEP nodes.", top=True)
    add_node_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in (show_cmd, verify_cmd, trace_cmd, paths_cmd, preflight_cmd, apply_cmd, flows_cmd, collect_cmd,
                   sandbox_cmd):
        module.register(sub)
    exporter_cmd.register(sub)
    fleet_cmd.register(sub)
    return parser


def run(argv: Sequence[str], rt: Runtime) -> ExitStatus:
    """Parse ``argv`` and run the command; raises MvtepError on failure."""
    return _call(build_parser().parse_args(argv), rt)


def _call(args: argparse.Namespace, rt: Runtime) -> ExitStatus:
    command: Command = args.func
    return command(args, rt)


def _early_color(argv: Sequence[str]) -> str:
    """``--color`` as written, for reporting a usage error (the parser did not
    get far enough to say); a program's own arguments after ``exec`` are not ours."""
    color = "auto"
    words = list(argv)
    for i, a in enumerate(words):
        if a == "exec":
            break
        if a.startswith("--color="):
            color = a.split("=", 1)[1]
        elif a == "--color" and i + 1 < len(words):
            color = words[i + 1]
    return color if color in COLORS else "auto"


def _runtime(color: str) -> Runtime:
    return Runtime(env=os.environ, out=make_console(checked_stdout(sys.stdout), color, os.environ),
                   err=make_console(None, color, os.environ, stderr=True))


# What to change on the command line, by what an error is about: libraries
# name the topic, only the CLI knows its options.
_OPTION_HINTS = {
    "ovsdb": "set OVS_RUNDIR or --db",
    "ovsdb-ssl": "pass --sb-private-key, --sb-certificate and --sb-ca-cert",
    "openflow": "set OVS_RUNDIR or --openflow",
    "bridge": "pick another with --bridge",
    "southbound": "point --sb at the southbound DB",
    "timeout": "try a longer --timeout",
    "ovn-release": "or let the sandbox fetch one: --ovn 25.03",
    "netns": "set --netns (or $MVTEP_NETNS) to the namespace holding the VTEP interfaces",
    "prometheus": "check the server --prometheus names (its HTTP API answers at /api/v1/)",
}


def hint_of(e: MvtepError) -> str | None:
    """The error's own hint, and the option that points elsewhere."""
    extra = _OPTION_HINTS.get(e.topic or "")
    if e.hint and extra:
        return f"{e.hint.rstrip('.')}; {extra}"
    return e.hint or extra


def _report(rt: Runtime, e: MvtepError) -> None:
    plain: dict[str, Any] = {"markup": False, "emoji": False, "highlight": False, "soft_wrap": True}
    rt.err.print(f"mvtep: error: {e.message}", style="bold red", **plain)  # (":b:" in a message is no emoji)
    hint = hint_of(e)
    if hint:
        rt.err.print(f"hint: {hint}", style="dim", **plain)


def _interrupted(rt: Runtime) -> int:
    rt.say("mvtep: interrupted")
    return int(ExitStatus.INTERRUPTED)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with Interrupts() as interrupts:
        rt: Runtime | None = None
        debug = False
        try:
            try:
                args = build_parser().parse_args(argv)  # (registering the commands imports them)
            except MvtepError as e:  # a usage error: its traceback would show argparse, not the mistake
                _report(_runtime(_early_color(argv)), e)
                return int(e.exit_status)
            rt = _runtime(args.color)
            debug = args.debug
            status = _run_reported(args, rt, debug, interrupts)
            if status != ExitStatus.OK or not sys.stderr.closed:  # (closed: the reader of stdout went away)
                rt.out.file.flush()  # a full disk is reported, not found by the interpreter at exit
        except OutputFailed as e:
            _report(rt or _runtime(_early_color(argv)), e)
            status = int(e.exit_status)
        except KeyboardInterrupt:  # before the command ran, or a second signal while reporting the first
            if debug:
                raise
            status = _interrupted(rt or _runtime(_early_color(argv)))
        except Exception as e:  # importing the commands, cut short by a signal (see _cut_short)
            if debug or not _cut_short(e, interrupts):
                raise
            status = _interrupted(rt or _runtime(_early_color(argv)))
        if interrupts.received is not None and status != ExitStatus.INTERRUPTED:
            status = _interrupted(rt or _runtime(_early_color(argv)))
    return status


def _cut_short(e: BaseException, interrupts: Interrupts) -> bool:
    """Whether ``e`` is the signal's KeyboardInterrupt in another shape.

    Python wraps what some places raise: on 3.11 a KeyboardInterrupt inside a
    descriptor's ``__set_name__`` (a dataclass field, while a module that a
    command imports defines a class) reaches us as ``RuntimeError: Error
    calling __set_name__``, and a library may turn it into its own error.  A
    signal the run received is the end of the story either way: reporting
    the wrapper would show an "internal error" for a Ctrl-C."""
    seen: set[int] = set()
    cause: BaseException | None = e
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return interrupts.received is not None


def _run_reported(args: argparse.Namespace, rt: Runtime, debug: bool, interrupts: Interrupts) -> int:
    try:
        return int(_call(args, rt))
    except MvtepError as e:
        if debug:
            raise
        if _cut_short(e, interrupts):
            return _interrupted(rt)
        _report(rt, e)
        return int(e.exit_status)
    except KeyboardInterrupt:
        if debug:
            raise
        return _interrupted(rt)
    except BrokenPipeError:
        # The reader went away (mvtep show | head): not an error of ours.  What
        # is still buffered goes nowhere, so the interpreter's own flush at exit
        # does not fail (and turn the status into 120).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stderr.close()
        return int(ExitStatus.OK)
    except Exception as e:  # a bug: still one line, the traceback on --debug
        if debug:
            raise
        if _cut_short(e, interrupts):
            return _interrupted(rt)
        _report(rt, MvtepError(f"internal error: {type(e).__name__}: {e}",
                               hint="run again with --debug and report the traceback"))
        return int(ExitStatus.ERROR)
