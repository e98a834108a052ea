"""Shared fixtures: real sandbox nodes (one per OVN release per session) and
an in-process CLI runner with fixed consoles."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from mvtep.cli.main import run
from mvtep.cli.runtime import Runtime
from mvcore.errors import ExitStatus
from mvtep.sandbox.node import Sandbox, down, up
from mvtep.sandbox.topology import Shape, Size


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rendering must not depend on the caller's terminal settings.
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)


@dataclass
class CliResult:
    status: ExitStatus
    out: str
    err: str


def run_cli(argv: list[str], env: dict[str, str] | None = None, width: int = 120) -> CliResult:
    """Run mvtep in-process with consoles writing to strings."""
    out, err = io.StringIO(), io.StringIO()
    rt = Runtime(
        env=dict(os.environ if env is None else env),
        out=Console(file=out, width=width, color_system=None, legacy_windows=False),
        err=Console(file=err, width=width, color_system=None, legacy_windows=False),
    )
    status = run(argv, rt)
    return CliResult(status, out.getvalue(), err.getvalue())


def node_env(box: Sandbox, **more: str) -> dict[str, str]:
    """The environment of a command run against ``box``: this one's, its run
    directory, ``more``, and its underlay namespace when it has one."""
    env = {**os.environ, "OVS_RUNDIR": str(box.rundir), **more}
    if box.netns:
        env["MVTEP_NETNS"] = box.netns
    return env


SMALL = Size(vfs=4, remote_chassis=2, remote_ports=2)


@contextmanager
def fresh_node(tmp: Path, release: str = "25.03", size: Size = SMALL, *, shape: Shape | None = None
               ) -> Iterator[Sandbox]:
    """A sandbox node of its own (of ``shape``), for a test that changes or breaks it."""
    box = up(tmp / "run", release, size, os.environ, shape=shape)
    try:
        yield box
    finally:
        down(box.rundir)


def _start(tmp: Path, release: str) -> Iterator[Sandbox]:
    with fresh_node(tmp, release, Size()) as box:
        yield box


@pytest.fixture(scope="session", params=["25.03", "26.03"])
def sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running multi-VTEP node of each OVN release with per-port VTEPs."""
    yield from _start(tmp_path_factory.mktemp(f"ovn{request.param}"), request.param)


@pytest.fixture(scope="session")
def sandbox_2303(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """OVN 23.03: too old for per-port VTEP selection."""
    yield from _start(tmp_path_factory.mktemp("ovn2303"), "23.03")
