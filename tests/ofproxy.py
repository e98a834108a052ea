"""A fault-injecting relay between the OpenFlow client and a real switch.

It forwards the real ovs-vswitchd's bytes unchanged, and can cut the
connection after some bytes of the switch's answer, or slip an ECHO_REQUEST
in front of it, and it records every message the client sends, so tests can
prove the client is read-only.  It is not a switch: everything the client
decodes comes from OVS.
"""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path


class Relay:
    def __init__(self, upstream: str, path: Path, cut_after: int | None = None, echo: bool = False) -> None:
        self.upstream, self.path, self.cut_after, self.echo = upstream, path, cut_after, echo
        self.sent_types: list[int] = []  # message types the client sent
        self.echo_replies = 0
        self._srv = socket.socket(socket.AF_UNIX)
        self._srv.bind(str(path))
        self._srv.listen(1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def remote(self) -> str:
        return f"unix:{self.path}"

    def _serve(self) -> None:
        client, _ = self._srv.accept()
        switch = socket.socket(socket.AF_UNIX)
        switch.connect(self.upstream)
        down = threading.Thread(target=self._downstream, args=(switch, client), daemon=True)
        down.start()
        self._upstream(client, switch)
        down.join(timeout=10)
        client.close()
        switch.close()

    def _upstream(self, client: socket.socket, switch: socket.socket) -> None:
        pending = b""
        while True:
            try:
                chunk = client.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            while len(pending) >= 8 and len(pending) >= struct.unpack_from("!H", pending, 2)[0]:
                length = struct.unpack_from("!H", pending, 2)[0]
                msg, pending = pending[:length], pending[length:]
                version, kind = msg[0], msg[1]
                self.sent_types.append(kind)
                if kind == 3:  # our injected echo's reply: not for the switch
                    self.echo_replies += 1
                    continue
                if kind == 18 and self.echo:
                    client.sendall(struct.pack("!BBHI", version, 2, 12, 0xEC40) + b"ping")
                switch.sendall(msg)

    def _downstream(self, switch: socket.socket, client: socket.socket) -> None:
        sent = 0
        while True:
            try:
                chunk = switch.recv(65536)
            except OSError:
                return
            if not chunk:
                break
            try:
                if self.cut_after is not None and sent + len(chunk) > self.cut_after:
                    client.sendall(chunk[: self.cut_after - sent])
                    break
                client.sendall(chunk)
            except OSError:
                return  # the client hung up
            sent += len(chunk)
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._srv.close()
