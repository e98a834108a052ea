"""One request to a peer (ovsdb-server, ovs-vswitchd) and what it may cost.

A :class:`Budget` is the deadline of one whole request -- connecting,
sending, and every byte of the answer -- not of each wait: a peer that drips
one byte a second, or answers without end, is cut off when the request's
time is up, or as soon as it has sent more bytes or messages than any real
answer holds.  Time a caller spends on its own between two reads of a reply
it consumes as it arrives (decoding flows while the dump goes on) is not the
peer's: :meth:`Budget.paused` leaves it out.

Every failure is :class:`~mvcore.errors.Unavailable`; running out of time
has ``topic="timeout"`` (the CLI names ``--timeout``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mvcore.errors import Unavailable

__all__ = ["Budget", "TooLarge", "connect"]

MiB = 1 << 20


class TooLarge(Unavailable):
    """The peer sent more bytes or messages than any real answer holds."""


class Budget:
    """``timeout`` seconds, ``max_bytes`` received and ``max_messages`` for one
    request to ``peer`` (a remote, for the messages)."""

    def __init__(self, peer: str, timeout: float, *, max_bytes: int, max_messages: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.peer, self.timeout, self.max_bytes, self.max_messages = peer, timeout, max_bytes, max_messages
        self.clock = clock
        self.deadline = clock() + timeout
        self.received = 0
        self.messages = 0

    def left(self, doing: str) -> float:
        """Seconds left; raises when there are none (``doing``: "answer get_schema")."""
        left = self.deadline - self.clock()
        if left <= 0:
            raise self._late(doing)
        return left

    def _late(self, doing: str) -> Unavailable:
        got = f" ({self.received} bytes had arrived)" if self.received else ""
        return Unavailable(f"{self.peer} did not {doing} within {self.timeout:g} s{got}", hint="is it busy or stuck?",
                           topic="timeout")

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The caller's own time, not the peer's: the deadline moves by it."""
        started = self.clock()
        try:
            yield
        finally:
            self.deadline += self.clock() - started

    def recv(self, sock: socket.socket, doing: str, size: int = 1 << 16) -> bytes:
        """One ``recv`` within what is left; b"" when the peer closed."""
        sock.settimeout(self.left(doing))
        try:
            data = sock.recv(size)
        except TimeoutError as e:
            raise self._late(doing) from e
        except OSError as e:
            raise Unavailable(f"reading from {self.peer} failed: {e.strerror or e}") from e
        self.received += len(data)
        if self.received > self.max_bytes:
            raise TooLarge(f"{self.peer} sent more than {self.max_bytes // MiB} MiB in answer to one request: "
                              "refused", hint="no real answer is that large; is this the right socket?")
        return data

    def message(self) -> None:
        """Count one message of the answer."""
        self.messages += 1
        if self.max_messages is not None and self.messages > self.max_messages:
            raise TooLarge(f"{self.peer} sent more than {self.max_messages} messages in answer to one request: "
                              "refused", hint="no real answer has that many; is this the right socket?")

    def sendall(self, sock: socket.socket, data: bytes, doing: str) -> None:
        sock.settimeout(self.left(doing))
        try:
            sock.sendall(data)
        except TimeoutError as e:
            raise self._late(doing) from e
        except OSError as e:
            raise Unavailable(f"sending to {self.peer} failed: {e.strerror or e}") from e


def connect(remote: str, budget: Budget) -> socket.socket:
    """A stream socket to ``unix:PATH`` or ``tcp:HOST:PORT`` within the budget's time.

    Raises:
        Unavailable: the remote refused or is not there (``OSError`` kept as the cause).
        ValueError: ``remote`` is neither.
    """
    kind, _, where = remote.partition(":")
    if kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(budget.left("accept the connection"))
            sock.connect(where)
        except BaseException:
            sock.close()
            raise
        return sock
    if kind == "tcp":
        host, _, port = where.rpartition(":")
        return socket.create_connection((host.strip("[]"), int(port)), timeout=budget.left("accept the connection"))
    raise ValueError(f"{remote!r} is not unix:PATH or tcp:HOST:PORT")
