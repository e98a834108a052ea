"""Everything a command touches outside itself, passed in rather than global.

Tests build a :class:`Runtime` with their own environment and consoles
writing to ``StringIO``; ``main`` builds the real one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO, cast

from rich.console import Console

from mvcore.errors import OutputFailed

__all__ = ["Runtime", "make_console", "checked_stdout", "UNBOUNDED_WIDTH"]


class _CheckedStream:
    """A text stream whose write errors are :class:`OutputFailed`: rich and
    ``print`` would otherwise lose output to a full disk or a closed
    descriptor (rich writes to a null file when ``sys.stdout`` is None).  A
    broken pipe stays a BrokenPipeError: the reader going away is not a
    failure of the command (``mvtep flows | head``)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream if stream is not None else open(os.devnull, "w")  # noqa: SIM115 (lives with us)
        self._closed = stream is None

    def _fail(self, e: OSError | None) -> OutputFailed:
        why = "standard output is closed" if e is None else f"cannot write the output: {e.strerror or e}"
        return OutputFailed(why, hint="the output is lost; write it somewhere with room, or to a pipe")

    def write(self, text: str) -> int:
        if self._closed:
            raise self._fail(None)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise self._fail(e) from e

    def flush(self) -> None:
        if self._closed:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise self._fail(e) from e

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def checked_stdout(stream: TextIO | None) -> TextIO:
    """``stream`` (``sys.stdout``, None when descriptor 1 was closed) with write errors raised."""
    return cast(TextIO, _CheckedStream(stream))


# The width of output that is not a terminal and has no COLUMNS: lines as
# long as they are (a pipe or a file has no edge), within reason.
UNBOUNDED_WIDTH = 4096


def make_console(file: TextIO | None, color: str, env: Mapping[str, str], stderr: bool = False) -> Console:
    """A console that lets rich decide colour (honouring NO_COLOR and non-TTY)
    unless ``--color always|never`` says otherwise.  Its width is the
    terminal's, else ``COLUMNS`` (rich reads it), else unbounded: rich's 80
    columns for a pipe would cut tables and hints mid-phrase in a file."""
    force = True if color == "always" else None
    console = Console(file=file, stderr=stderr, force_terminal=force, no_color=color == "never" or None,
                      highlight=False, soft_wrap=False)
    if not console.is_terminal and not (env.get("COLUMNS") or "").isdigit():
        console.width = UNBOUNDED_WIDTH
    return console


@dataclass(frozen=True, slots=True)
class Runtime:
    env: Mapping[str, str]
    out: Console  # results
    err: Console  # diagnostics and progress

    def say(self, message: str) -> None:
        """One line of progress or diagnostics on stderr, never re-wrapped."""
        self.err.print(message, markup=False, emoji=False, highlight=False, soft_wrap=True)

    def emit_json(self, document: Mapping[str, Any]) -> None:
        """Write one JSON document to stdout (never styled)."""
        self.out.file.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
        self.out.file.flush()
