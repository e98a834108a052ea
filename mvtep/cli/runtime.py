"""Everything a command touches outside itself, passed in rather than global.

Tests build a :class:`Runtime` with their own environment and consoles
writing to ``StringIO``; ``main`` builds the real one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console

__all__ = ["Runtime", "make_console", "UNBOUNDED_WIDTH"]


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
        self.err.print(message, markup=False, highlight=False, soft_wrap=True)

    def emit_json(self, document: Mapping[str, Any]) -> None:
        """Write one JSON document to stdout (never styled)."""
        self.out.file.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
        self.out.file.flush()
