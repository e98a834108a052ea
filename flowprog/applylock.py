"""One ``mvtep apply`` per node at a time.

Two applies at once each plan from what they read; the second's writes (or
its rollback) then land on the first's, and the node matches neither spec.
So an apply holds an exclusive lock on its node from before it reads the
node until it exits (``apply --watch``: until it stops watching).

The node is its Open_vSwitch database, named by the ``_uuid`` of the
Open_vSwitch row (:func:`flowprog.ovsdb.database_id`), so the lock holds
however the database is reached.  The lock is ``flock(2)`` on a file named
after it: the kernel drops it when its holder exits, however it exits, so a
crashed apply leaves no stale lock.  The holder writes its pid, command line
and start time into the file (a refused apply names them), and removes the
file when done, while still holding it (the next one checks that the file it
locked is still the one at the path).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from mvcore.errors import MvtepError

__all__ = ["ApplyLock", "NodeLocked", "Holder"]


class NodeLocked(MvtepError):
    """Another apply holds the node's lock."""

    code = "node-locked"


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    command: str
    since: str  # local time, as a person reads it

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command}, since {self.since})"


class ApplyLock:
    """``with ApplyLock(directory, node, command): ...``; raises
    :class:`NodeLocked` naming the holder when another process has it."""

    def __init__(self, directory: Path, node: str, command: str) -> None:
        self.path = directory / f"apply-{node}.lock"
        self.command = command
        self._fd: int | None = None

    def __enter__(self) -> ApplyLock:
        try:
            self.path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        except OSError as e:
            raise MvtepError(f"cannot make {self.path.parent} for the apply lock: {e.strerror}") from e
        while True:
            fd = self._lock()
            # The file may have been removed by the holder this one waited
            # for (it removes it when done): then this lock is on a file
            # nobody else will open, so try again with the one at the path.
            try:
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        me = {"pid": os.getpid(), "command": self.command, "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode() + b"\n", 0)
        self._fd = fd
        return self

    def _lock(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise MvtepError(f"cannot open the apply lock {self.path}: {e.strerror}") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            who = str(holder) if holder else "another process (it has not said who yet)"
            raise NodeLocked(f"another mvtep apply is changing this node: {who}",
                             hint=f"wait for it to finish, or stop it; the lock is {self.path}") from None
        except OSError as e:
            os.close(fd)
            raise MvtepError(f"cannot lock {self.path}: {e.strerror}") from e
        return fd

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.unlink(self.path)  # while still holding it: see __enter__
            except OSError:
                pass
            os.close(fd)  # and with it the lock


def _holder(fd: int) -> Holder | None:
    try:
        doc = json.loads(os.pread(fd, 4096, 0) or b"null")
        return Holder(int(doc["pid"]), str(doc["command"]), str(doc["since"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None
