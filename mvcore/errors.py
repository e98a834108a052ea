"""The one error model of multivtep.

Every failure the user should see is an :class:`MvtepError` with a stable
``code`` (kebab-case, part of the CLI contract), a one-line ``message`` and an
optional ``hint`` saying what to do about it.  Libraries raise these; only the
CLI boundary (``mvtep.cli.main``) turns them into text and an exit status.
A library's hint never names a command-line option (libraries do not know
the command line): it names the ``topic`` instead ("ovsdb", "openflow"...)
and the CLI adds the option that points elsewhere.
Third-party exceptions are converted where they enter, with ``raise ... from``
so ``--debug`` still shows the original cause.
"""

from __future__ import annotations

import enum

__all__ = [
    "ExitStatus",
    "MvtepError",
    "UsageError",
    "Unavailable",
    "FetchError",
    "RunDirInUse",
    "SandboxError",
    "NotFound",
    "DecodeError",
    "OutputFailed",
]


class ExitStatus(enum.IntEnum):
    """Exit codes documented in the README."""

    OK = 0
    PROBLEMS = 1  # the command ran and found error findings
    ERROR = 2  # the command could not run: usage, connection, environment
    INTERRUPTED = 130


class MvtepError(Exception):
    """Base class: a failure with a stable code, a message and a hint."""

    code: str = "error"
    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None, topic: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.topic = topic  # what it is about, for the CLI's own hint: "ovsdb", "openflow", "southbound"...

    def __str__(self) -> str:
        return self.message


class UsageError(MvtepError):
    """The command line or an input file is wrong."""

    code = "usage"


class Unavailable(MvtepError):
    """Something the command needs to talk to is not there or not answering
    (an OVSDB socket, the OpenFlow management socket, netlink)."""

    code = "unavailable"


class FetchError(MvtepError):
    """OVS/OVN packages could not be fetched or unpacked."""

    code = "fetch-failed"


class RunDirInUse(MvtepError):
    """A sandbox run directory already has live daemons."""

    code = "rundir-in-use"


class SandboxError(MvtepError):
    """A sandbox daemon failed to start or the node never converged."""

    code = "sandbox-failed"


class NotFound(MvtepError):
    """A named object (bridge, port, release) is not on the node."""

    code = "not-found"


class DecodeError(MvtepError):
    """OpenFlow bytes could not be decoded; ``offset`` says where, if known."""

    code = "decode-failed"

    def __init__(self, message: str, *, offset: int | None = None, hint: str | None = None,
                 topic: str | None = None) -> None:
        super().__init__(message if offset is None else f"{message} (at byte {offset})", hint=hint, topic=topic)
        self.offset = offset


class OutputFailed(MvtepError):
    """The command's output could not be written (a full disk, a closed
    standard output): it is lost, so the run did not succeed."""

    code = "output-failed"
