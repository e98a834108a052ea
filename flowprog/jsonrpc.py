"""One JSON-RPC 1.0 request over a stream socket, bounded: what ovsdb-server
(RFC 7047) and the OVS daemons' unixctl servers (``lib/unixctl.c``) speak.

The request is one JSON object; the answer is the first object that arrives
with a ``result`` or an ``error``, and it must carry the request's ``id``
(requests and notifications of the peer's own, such as an echo, are
skipped and counted).  The
whole exchange is one :class:`~flowprog.peer.Budget`: a deadline for all of
it and a bound on the bytes.

The end of the answer is found as the bytes arrive, in one pass over them
(:class:`ObjectEnd`), and the object is decoded once with the standard
library's C parser.  (Trying a full decode after each chunk, as this code
used to, is quadratic in the size of the answer: an endless reply kept a CPU
busy while memory grew; python-ovs's incremental parser is pure Python.)

Every failure is :class:`RpcFailed` (an :class:`~mvcore.errors.Unavailable`)
whose ``kind`` says which: ``"connect"``, ``"timeout"``, ``"closed"``,
``"protocol"``, ``"size"``; callers word it for what they asked.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
from typing import Any

from flowprog.peer import Budget, TooLarge, connect
from mvcore.errors import Unavailable

__all__ = ["ObjectEnd", "RpcFailed", "call"]

_STRUCTURE = re.compile(rb'["{}\[\]]')  # what matters outside strings
_QUOTE, _BACKSLASH, _OPEN = ord('"'), ord("\\"), ord("{")
_ids = itertools.count()


class RpcFailed(Unavailable):
    def __init__(self, message: str, kind: str, *, hint: str | None = None, topic: str | None = None) -> None:
        super().__init__(message, hint=hint, topic=topic)
        self.kind = kind


class ObjectEnd:
    """Finds where the JSON object at the start of a growing buffer ends.

    Feed it the same buffer, grown, until it returns the end offset; each
    byte is looked at once (outside strings by a regular expression, inside
    them by ``bytes.find`` of the next quote).  Only the structure is
    followed; the JSON itself is checked when the object is decoded.
    """

    def __init__(self) -> None:
        self.pos = 0
        self.depth = 0
        self.in_string = False

    def feed(self, buf: bytes | bytearray) -> int | None:
        """The end offset of the object, or None while it is incomplete.

        Raises:
            ValueError: the buffer does not start with an object.
        """
        pos, n = self.pos, len(buf)
        if self.depth == 0 and not self.in_string:
            while pos < n and buf[pos] in b" \t\r\n":
                pos += 1
            if pos < n and buf[pos] != _OPEN:
                raise ValueError(f"not a JSON-RPC object (it starts with {bytes(buf[pos:pos + 8])!r})")
        while pos < n:
            if self.in_string:
                quote = buf.find(b'"', pos)
                if quote < 0:
                    pos = n
                    break
                pos = quote + 1
                escapes = 0
                while buf[quote - 1 - escapes] == _BACKSLASH:  # the string's own opening quote stops this
                    escapes += 1
                if escapes % 2 == 0:
                    self.in_string = False
                continue
            m = _STRUCTURE.search(buf, pos)
            if m is None:
                pos = n
                break
            pos = m.end()
            c = buf[m.start()]
            if c == _QUOTE:
                self.in_string = True
            elif c in b"{[":
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 0:
                    self.pos = pos
                    return pos
        self.pos = pos
        return None


def call(remote: str, method: str, params: list[Any], budget: Budget) -> dict[str, Any]:
    """Send ``method(params)`` to ``remote`` and return the answer object
    (with ``result`` and ``error``), all within ``budget``."""
    request_id = next(_ids)
    try:
        sock = connect(remote, budget)
    except OSError as e:
        raise RpcFailed(f"cannot connect to {remote}: {e.strerror or e}", "connect") from e
    with sock:
        try:
            return _exchange(sock, remote, method, params, request_id, budget)
        except RpcFailed:
            raise
        except Unavailable as e:  # the budget's: out of time, too large, the socket failed
            kind = "timeout" if e.topic == "timeout" else "size" if isinstance(e, TooLarge) else "closed"
            raise RpcFailed(e.message, kind, hint=e.hint, topic=e.topic) from e


def _exchange(sock: socket.socket, remote: str, method: str, params: list[Any], request_id: int,
              budget: Budget) -> dict[str, Any]:
    doing = f"answer {method}"
    budget.sendall(sock, json.dumps({"method": method, "params": params, "id": request_id}).encode(), doing)
    buf = bytearray()
    end = ObjectEnd()
    while True:
        try:
            stop = end.feed(buf)
        except ValueError as e:
            raise RpcFailed(f"{remote} did not answer {method}: {e}", "protocol") from e
        if stop is None:
            budget.left(doing)  # the deadline holds between reads too: finding the end takes time
            chunk = budget.recv(sock, doing)
            if not chunk:
                what = "in the middle of its answer to" if buf.strip() else "before answering"
                raise RpcFailed(f"{remote} closed the connection {what} {method}", "closed")
            buf += chunk
            continue
        try:
            message = json.loads(bytes(buf[:stop]))
        except (ValueError, UnicodeDecodeError) as e:
            raise RpcFailed(f"{remote} answered {method} with something that is not JSON: {e}", "protocol") from e
        del buf[:stop]
        end = ObjectEnd()
        if "result" in message or "error" in message:
            if message.get("id") != request_id:
                raise RpcFailed(f"{remote} answered another request (id {message.get('id')!r}, not {request_id})",
                                "protocol")
            return dict(message)
        budget.message()  # a request or notification of the peer's own (an echo): not the answer
