"""Misbehaving peers on unix sockets a test serves: what a broken switch, a
proxy, a wrong socket or a hostile process can send mvtep.

Each is a :class:`Peer` running ``talk(conn)`` for every connection in a
thread of its own, until closed.  They speak just enough of the protocol to
get mvtep to the point where they misbehave: an OpenFlow HELLO, an OVSDB
schema, a JSON-RPC request read.  Nothing here stands in for OVS in a test
of what mvtep reads; they only test that mvtep stops.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OF15 = 6
HEADER = struct.Struct("!BBHI")
HELLO, MULTIPART_REQUEST, MULTIPART_REPLY = 0, 18, 19


class Peer:
    """``with Peer(path, talk) as peer: ... peer.remote ...``"""

    def __init__(self, path: Path, talk: Callable[[socket.socket], None]) -> None:
        self.path, self.talk = path, talk
        self.connections = 0
        self.sent = 0  # bytes the peer managed to send
        self._closed = threading.Event()
        self._srv = socket.socket(socket.AF_UNIX)
        self._srv.bind(str(path))
        self._srv.listen(16)
        self._srv.settimeout(0.1)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def remote(self) -> str:
        return f"unix:{self.path}"

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        self._srv.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.talk(conn)
            except OSError:
                pass  # the client hung up: what it should do

    def send_forever(self, conn: socket.socket, data: bytes) -> None:
        """``data`` again and again until the client hangs up or the peer closes."""
        while not self._closed.is_set():
            conn.sendall(data)
            self.sent += len(data)


def read_json_request(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while True:
        data += conn.recv(65536)
        try:
            return dict(json.loads(data))
        except ValueError:
            continue


# -- OpenFlow ------------------------------------------------------------------------


def of_hello(xid: int = 1) -> bytes:
    return HEADER.pack(OF15, HELLO, 16, xid) + struct.pack("!HHI", 1, 8, 1 << OF15)


def read_of_message(conn: socket.socket) -> tuple[int, int, int]:
    """The type, xid and length of the next message from the client (its body is dropped)."""
    head = b""
    while len(head) < 8:
        chunk = conn.recv(8 - len(head))
        if not chunk:
            raise OSError("closed")
        head += chunk
    _version, kind, length, xid = HEADER.unpack(head)
    rest = length - 8
    while rest:
        rest -= len(conn.recv(rest))
    return kind, xid, length


def of_slow_drip(peer: Peer, interval: float) -> Callable[[socket.socket], None]:
    """Sends its HELLO one byte every ``interval`` seconds."""
    def talk(conn: socket.socket) -> None:
        for byte in of_hello():
            time.sleep(interval)
            conn.sendall(bytes([byte]))
        time.sleep(60)
    return talk


def of_garbage_after_hello(peer: Peer) -> Callable[[socket.socket], None]:
    """A proper HELLO, then random bytes without end once asked for flows."""
    def talk(conn: socket.socket) -> None:
        conn.sendall(of_hello())
        read_of_message(conn)  # the client's HELLO
        read_of_message(conn)  # its flow-stats request
        peer.send_forever(conn, os.urandom(1 << 16))
    return talk


def of_endless_more(peer: Peer, version_noise: bool = False) -> Callable[[socket.socket], None]:
    """Answers the flow-stats request with empty replies, each flagged MORE."""
    def talk(conn: socket.socket) -> None:
        conn.sendall(of_hello())
        read_of_message(conn)
        kind, xid, _ = read_of_message(conn)
        assert kind == MULTIPART_REQUEST
        # ofp_multipart_reply: type OFPMP_FLOW_DESC (1), flags OFPMPF_REPLY_MORE (1), 4 pad bytes
        reply = HEADER.pack(OF15, MULTIPART_REPLY, 16, xid) + struct.pack("!HH4x", 1, 1)
        peer.send_forever(conn, reply * 4096)
    return talk


def of_endless_unrelated(peer: Peer) -> Callable[[socket.socket], None]:
    """Answers the flow-stats request with well-formed messages for other xids, without end."""
    def talk(conn: socket.socket) -> None:
        conn.sendall(of_hello())
        read_of_message(conn)
        _kind, xid, _ = read_of_message(conn)
        other = HEADER.pack(OF15, MULTIPART_REPLY, 16, xid + 1) + struct.pack("!HH4x", 1, 1)
        peer.send_forever(conn, other * 4096)
    return talk


# -- OVSDB, unixctl: JSON-RPC --------------------------------------------------------

# The smallest Open_vSwitch schema python-ovs accepts with the one table asked for.
SCHEMA = {"name": "Open_vSwitch", "version": "8.8.0", "tables": {"Open_vSwitch": {"columns": {
    "external_ids": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}},
    "maxRows": 1, "isRoot": True}}}


def json_endless_reply(peer: Peer) -> Callable[[socket.socket], None]:
    """Reads a request and starts an answer that never ends (a string that never closes)."""
    def talk(conn: socket.socket) -> None:
        request = read_json_request(conn)
        conn.sendall(json.dumps({"id": request["id"], "error": None})[:-1].encode() + b', "result": "')
        peer.send_forever(conn, b"\\n\\\"}]{" * 8192)
    return talk


def json_slow_drip(peer: Peer, interval: float) -> Callable[[socket.socket], None]:
    """Reads a request and answers it one byte every ``interval`` seconds."""
    def talk(conn: socket.socket) -> None:
        request = read_json_request(conn)
        for byte in json.dumps({"id": request["id"], "error": None, "result": "x" * 100}).encode():
            time.sleep(interval)
            conn.sendall(bytes([byte]))
    return talk


def ovsdb_endless_monitor(peer: Peer) -> Callable[[socket.socket], None]:
    """A server with a schema whose IDL session, once it asks for the tables,
    gets an answer without end: what python-ovs's parser keeps reading."""
    def talk(conn: socket.socket) -> None:
        request = read_json_request(conn)
        if request["method"] == "get_schema" and request["params"] == ["Open_vSwitch"]:
            conn.sendall(json.dumps({"id": request["id"], "error": None, "result": SCHEMA}).encode())
            time.sleep(0.5)  # mvtep's plain schema fetch hangs up; the IDL connects again
            return
        # python-ovs asks for the _Server database first (or monitors straight away)
        conn.sendall(json.dumps({"id": request["id"], "error": None})[:-1].encode() + b', "result": {"a": ["')
        peer.send_forever(conn, b"x" * (1 << 16))
    return talk
