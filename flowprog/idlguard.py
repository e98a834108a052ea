"""Bounds around python-ovs's IDL session, which has none of its own.

Two ways an OVSDB server can hold an IDL forever, and what is done here:

* It answers without end (or faster than python-ovs parses).
  ``ovs.jsonrpc.Connection.recv`` loops while bytes keep coming, so the
  ``idl.run()`` of ovsdbapp's ``wait_for_change`` never returns to look at
  its own timeout.  A :class:`Watchdog` thread watches the session while the
  first contents arrive, and when time or the byte bound runs out it
  :func:`sever`\\ s it: no more reconnecting (``Reconnect.set_max_tries(0)``)
  and the socket shut down, so that loop reads the end of the stream.

* It hangs (stopped, deadlocked) with the connection open.  python-ovs
  sends no inactivity probes on unix sockets
  (``Session.open_multiple``: ``stream_or_pstream_needs_probes`` is false for
  ``unix:``), so a monitor would keep serving its last copy as live.
  :func:`probe_every` turns the probes on: after an interval without
  traffic an echo request goes out, and without an answer one interval
  later the session is down (``ovs/reconnect.py``, ACTIVE -> IDLE ->
  disconnect), which :meth:`OvsdbMonitor.connected` then says.

These reach into python-ovs's session (``Idl._session``), which has no public
accessor; python-ovs 2.17 to 4.0 have the same attributes.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["Watchdog", "probe_every", "received_bytes", "sever"]


def _session(idl: Any) -> Any:
    return getattr(idl, "_session", None)


def probe_every(idl: Any, seconds: float) -> None:
    """Probe the server after ``seconds`` of silence (python-ovs's floor is 1 s)."""
    session = _session(idl)
    if session is not None:
        session.reconnect.set_probe_interval(max(1000, int(seconds * 1000)))


def received_bytes(idl: Any) -> int:
    """Bytes the session's current connection has received."""
    session = _session(idl)
    rpc = getattr(session, "rpc", None)
    return int(rpc.get_received_bytes()) if rpc is not None else 0


def sever(idl: Any) -> None:
    """End the session for good: no reconnecting, the socket shut down (from
    any thread: ``shutdown`` wakes a ``recv`` in another), and what the
    kernel had already queued for it thrown away, so python-ovs's reader,
    which is slow, reads the end of the stream next instead of that."""
    session = _session(idl)
    if session is None:
        return
    session.reconnect.set_max_tries(0)
    sock = getattr(getattr(getattr(session, "rpc", None), "stream", None), "socket", None)
    if not isinstance(sock, socket.socket):
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
        while sock.recv(1 << 20, socket.MSG_DONTWAIT):  # b"": the queue is empty and reading is shut
            pass
    except OSError:
        pass  # already closed, or nothing queued


class Watchdog:
    """``with Watchdog(idl, timeout, max_bytes) as dog: ...``: severs the
    session if the block is still running after ``timeout`` seconds or the
    session has received more than ``max_bytes``; ``dog.fired`` says why."""

    def __init__(self, idl: Any, timeout: float, max_bytes: int) -> None:
        self.idl, self.timeout, self.max_bytes = idl, timeout, max_bytes
        self.fired: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="mvtep-idl-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self._done.wait(0.05):
            if received_bytes(self.idl) > self.max_bytes:
                self.fired = f"sent more than {self.max_bytes >> 20} MiB"
            elif time.monotonic() > deadline:
                self.fired = f"did not send its tables within {self.timeout:g} s"
            if self.fired:
                sever(self.idl)
                return
