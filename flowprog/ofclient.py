"""A read-only OpenFlow client for a bridge's management socket.

It says HELLO (offering OpenFlow 1.5 and 1.3), answers the switch's echo
requests, and asks for flow statistics with the filters OpenFlow offers
(table, out_port, cookie/mask, match), yielding each flow as its multipart
reply arrives.  It never sends a message that changes the switch: the only
messages it builds are HELLO, ECHO_REPLY and the flow-stats request.

Every request has one deadline (:class:`~flowprog.peer.Budget`): the
connection with its HELLO, and each flow dump, may take ``timeout`` seconds
of the switch's time in all (the caller's own time between two replies, as
it decodes what arrived, is not counted), at most :data:`MAX_DUMP` bytes and
:data:`MAX_MESSAGES` messages, all of the version agreed in the HELLO.  A
switch that drips its header, sends garbage, or never ends a dump (the MORE
flag on every reply) is cut off with :class:`~mvcore.errors.Unavailable` or
:class:`~mvcore.errors.DecodeError`, saying how many flows had arrived: a
partial table is never passed off as the whole.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from flowprog.flows import FlowEntry
from flowprog.ofcodec import Codec
from flowprog.ofdecode import OF13, OF15, entries
from flowprog.peer import Budget, connect
from flowprog.ofvalues import port_to_ofp11
from mvcore.errors import DecodeError, Unavailable, UsageError

T = TypeVar("T")

__all__ = ["FlowFilter", "OpenFlowClient"]

_HDR = struct.Struct("!BBHI")
_HELLO, _ERROR, _ECHO_REQUEST, _ECHO_REPLY, _MP_REQUEST, _MP_REPLY = 0, 1, 2, 3, 18, 19
_MP_MORE = 1
_OFPTT_ALL, _OFPP_ANY, _OFPG_ANY = 0xFF, 0xFFFFFFFF, 0xFFFFFFFF
_NAMES = {OF13: "OpenFlow 1.3", OF15: "OpenFlow 1.5"}
# One flow dump: OVS packs its replies up to 64 KiB each, so a 1,000,000-flow
# table is about 190 MiB in 3,000 messages.  (512 MiB is also the most a
# support bundle member may hold.)
MAX_DUMP = 512 << 20
MAX_MESSAGES = 100_000
_MAX_HELLO = 1 << 16  # what may arrive before the switch's HELLO is complete


@dataclass(frozen=True, slots=True)
class FlowFilter:
    """What to ask the switch for; everything unset means every flow."""

    table: int | None = None
    out_port: int | None = None  # an OpenFlow 1.0 port number: LOCAL is 0xfffe
    cookie: int = 0
    cookie_mask: int = 0
    match: Mapping[str, Any] | None = None  # codec OFPMatch keyword arguments, e.g. {"in_port": 7} (LOCAL: 0xfffe)


class OpenFlowClient:
    """``with OpenFlowClient(remote, codec) as c: for entry in c.flows(): ...``"""

    def __init__(self, remote: str, codec: Codec, timeout: float = 5.0,
                 versions: tuple[int, ...] = (OF15, OF13)) -> None:
        self.remote, self.codec, self.timeout, self.versions = remote, codec, timeout, versions
        self.version = 0
        self._sock: socket.socket | None = None
        self._buf = bytearray()
        self._xid = 0x6D760000  # "mv": recognisable in a capture

    # -- connection ---------------------------------------------------------

    def __enter__(self) -> OpenFlowClient:
        if self._sock is None:
            self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self, budget: Budget) -> socket.socket:
        if not self.remote.startswith(("unix:", "tcp:")):
            raise UsageError(f"OpenFlow remote {self.remote!r} is not unix:PATH or tcp:HOST:PORT")
        try:
            return connect(self.remote, budget)
        except OSError as e:
            raise Unavailable(f"cannot connect to OpenFlow at {self.remote}: {e.strerror or e}",
                              hint="is ovs-vswitchd running?", topic="openflow") from e

    def connect(self) -> None:
        budget = Budget(self.remote, self.timeout, max_bytes=_MAX_HELLO)
        self.close()
        self._sock = self._open(budget)
        self._buf.clear()
        self.version = 0
        bitmap = sum(1 << v for v in self.versions)
        # HELLO with a version-bitmap element, so either version can be agreed.
        hello = _HDR.pack(max(self.versions), _HELLO, 16, self._next_xid()) + struct.pack("!HHI", 1, 8, bitmap)
        self._send(hello, budget)
        version, kind, _xid, body = self._recv(budget, "say HELLO")
        if kind != _HELLO:
            raise Unavailable(f"{self.remote} did not answer HELLO (got message type {kind})",
                              hint="is this a bridge's OpenFlow management socket?")
        peer = self._peer_versions(version, body)
        common = [v for v in self.versions if v in peer]
        if not common:
            raise Unavailable(f"{self.remote} speaks none of {', '.join(_NAMES[v] for v in self.versions)}",
                              hint="enable OpenFlow13 or OpenFlow15 in the bridge's protocols")
        self.version = max(common)

    @staticmethod
    def _peer_versions(version: int, body: bytes) -> set[int]:
        pos = 0
        while pos + 4 <= len(body):
            etype, elen = struct.unpack_from("!HH", body, pos)
            if etype == 1 and elen >= 8:
                bits = int.from_bytes(body[pos + 4:pos + elen], "big")
                return {v for v in range(32 * ((elen - 4) // 4)) if bits >> v & 1} or {version}
            pos += (elen + 7) & ~7 if elen else len(body)
        return set(range(1, version + 1))  # no bitmap: every version up to its own

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # -- framing ------------------------------------------------------------

    def _next_xid(self) -> int:
        self._xid += 1
        return self._xid

    def _send(self, data: bytes, budget: Budget) -> None:
        assert self._sock is not None
        budget.sendall(self._sock, data, "take the request")

    def _fill(self, need: int, budget: Budget, doing: str) -> None:
        assert self._sock is not None
        while len(self._buf) < need:
            chunk = budget.recv(self._sock, doing, 1 << 18)
            if not chunk:
                raise Unavailable(f"{self.remote} closed the OpenFlow connection")
            self._buf += chunk

    def _recv(self, budget: Budget, doing: str) -> tuple[int, int, int, bytes]:
        """One message: version, type, xid and body (after the 8-byte header)."""
        self._fill(8, budget, doing)
        version, kind, length, xid = _HDR.unpack_from(self._buf)
        if length < 8:
            raise DecodeError(f"{self.remote} sent an OpenFlow message with length {length}",
                              hint="is this a bridge's OpenFlow management socket?")
        if self.version and version != self.version:
            raise DecodeError(f"{self.remote} sent a message of OpenFlow version {version} on a connection that "
                              f"agreed on {_NAMES.get(self.version, self.version)}",
                              hint="is this a bridge's OpenFlow management socket?")
        self._fill(length, budget, doing)
        body = bytes(self._buf[8:length])
        del self._buf[:length]
        budget.message()
        return version, kind, xid, body

    # -- flow statistics ----------------------------------------------------

    def _request(self, f: FlowFilter, xid: int) -> bytes:
        ofpp = self.codec.v13_parser if self.version == OF13 else self.codec.v15_parser
        dp = self.codec.datapath(self.version)
        cls = ofpp.OFPFlowStatsRequest if self.version == OF13 else ofpp.OFPFlowDescStatsRequest
        fields = dict(f.match or {})
        if isinstance(fields.get("in_port"), int):  # OpenFlow 1.1+ numbers the reserved ports 0xffffff00 up
            fields["in_port"] = port_to_ofp11(fields["in_port"])
        try:
            match = ofpp.OFPMatch(**fields)
        except (KeyError, TypeError, ValueError) as e:
            raise UsageError(f"cannot match on {fields}: {e}") from e
        out_port = _OFPP_ANY if f.out_port is None else port_to_ofp11(f.out_port)
        req = cls(dp, 0, _OFPTT_ALL if f.table is None else f.table, out_port, _OFPG_ANY, f.cookie,
                  f.cookie_mask, match)
        req.xid = xid
        req.serialize()
        return bytes(req.buf)

    def replies(self, f: FlowFilter = FlowFilter()) -> Iterator[bytes]:
        """The raw flow-stats multipart reply bodies for ``f`` (after their
        8-byte multipart header), as they arrive."""
        if self._sock is None:
            raise Unavailable("OpenFlow client is not connected")
        budget = Budget(self.remote, self.timeout, max_bytes=MAX_DUMP, max_messages=MAX_MESSAGES)
        xid = self._next_xid()
        self._send(self._request(f, xid), budget)
        while True:
            version, kind, rxid, body = self._recv(budget, "send the flows")
            if kind == _ECHO_REQUEST:  # keep the switch from dropping us mid-dump
                self._send(_HDR.pack(version, _ECHO_REPLY, 8 + len(body), rxid) + body, budget)
                continue
            if rxid != xid:
                continue  # asynchronous messages: not ours
            if kind == _ERROR:
                etype, code = struct.unpack_from("!HH", body) if len(body) >= 4 else (0, 0)
                raise Unavailable(f"{self.remote} refused the flow request (error type {etype}, code {code})")
            if kind != _MP_REPLY or len(body) < 8:
                raise DecodeError(f"unexpected OpenFlow message type {kind} in reply to flow stats")
            _mp_type, flags = struct.unpack_from("!HH", body)
            with budget.paused():  # the caller's time, decoding what arrived
                yield body[8:]
            if not flags & _MP_MORE:
                return

    @overload
    def flow_batches(self, f: FlowFilter = ...) -> Iterator[list[FlowEntry]]: ...

    @overload
    def flow_batches(self, f: FlowFilter, split: Callable[[int, bytes], list[T]]) -> Iterator[list[T]]: ...

    def flow_batches(self, f: FlowFilter = FlowFilter(),
                     split: Callable[[int, bytes], list[Any]] | None = None) -> Iterator[list[Any]]:
        """The flows matching ``f``, a reply's worth at a time as they
        arrive: as :class:`FlowEntry` objects, or as ``split(version,
        body)`` makes them of each reply body (``mvtep flows`` turns a
        body straight into lines)."""
        count = 0
        try:
            for body in self.replies(f):
                batch = split(self.version, body) if split is not None else list(entries(self.version, body))
                count += len(batch)
                yield batch
        except (Unavailable, DecodeError) as e:
            if count:
                cut = type(e)(f"{e.message} after {count} flows: the table is incomplete",
                              hint="the flows read so far are not the whole table", topic=e.topic)
                raise cut from e
            raise

    def flows(self, f: FlowFilter = FlowFilter()) -> Iterator[FlowEntry]:
        """The flows matching ``f``, one by one as the replies arrive."""
        for batch in self.flow_batches(f):
            yield from batch
