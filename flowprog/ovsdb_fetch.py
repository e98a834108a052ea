"""Before an IDL connects: the database's schema (and its identity), fetched
with a deadline and a size bound, and the TLS files for ``ssl:`` remotes.

ovsdbapp's own schema fetch blocks for ever on a socket that accepts and
never answers, and python-ovs's JSON parser is pure Python; so over
``unix:`` and ``tcp:`` the exchange is :mod:`flowprog.jsonrpc`'s.  ``ssl:``
goes through python-ovs's stream, which does the TLS.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowprog import jsonrpc
from flowprog.peer import Budget
from mvcore.errors import Unavailable

__all__ = ["SslFiles", "use_ssl", "fetch_schema", "present_columns", "plain_call", "database_id", "MAX_SCHEMA"]

MAX_SCHEMA = 16 << 20  # bytes of a get_schema answer (OVN's southbound schema is about 100 KiB)


@dataclass(frozen=True, slots=True)
class SslFiles:
    """Key, certificate and CA certificate for ``ssl:`` remotes."""

    private_key: str
    certificate: str
    ca_cert: str


def use_ssl(ssl: SslFiles | None, remote: str) -> None:
    if not any(r.strip().startswith("ssl:") for r in remote.split(",")):
        return
    if ssl is None:
        raise Unavailable(f"{remote} is an ssl remote but no key, certificate and CA were given",
                          topic="ovsdb-ssl")
    _check_tls_files(ssl)
    import ovs.stream

    ovs.stream.Stream.ssl_set_private_key_file(ssl.private_key)
    ovs.stream.Stream.ssl_set_certificate_file(ssl.certificate)
    ovs.stream.Stream.ssl_set_ca_cert_file(ssl.ca_cert)


def _check_tls_files(files: SslFiles) -> None:
    """Load the files as python-ovs will (``ovs/stream.py`` SSLStream), now:
    there a bad file is an ``ssl.SSLError`` from deep inside the connect."""
    import ssl

    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(files.ca_cert)
        context.load_cert_chain(files.certificate, files.private_key)
    except (ssl.SSLError, OSError) as e:
        reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or str(e)
        raise Unavailable(f"the TLS key, certificate or CA cannot be used: {reason}", topic="ovsdb-ssl") from e


def fetch_schema(remote: str, schema: str, timeout: float) -> dict[str, Any]:
    """``get_schema`` with a deadline (ovsdbapp's own fetch blocks forever on
    a socket that accepts but never answers)."""
    if remote.startswith(("unix:", "tcp:")):
        return _fetch_schema_plain(remote, schema, timeout)
    return _fetch_schema_ovs(remote, schema, timeout)


def _fetch_schema_plain(remote: str, schema: str, timeout: float) -> dict[str, Any]:
    """The same JSON-RPC exchange over a plain socket (:func:`plain_call`):
    python-ovs's own parser is pure Python, and a southbound schema takes it
    a tenth of a second."""
    reply = plain_call(remote, "get_schema", [schema], timeout, MAX_SCHEMA)
    if reply.get("error") is not None or not isinstance(reply.get("result"), dict):
        raise Unavailable(f"{remote} has no {schema} database", topic="ovsdb")
    return dict(reply["result"])


def present_columns(schema_json: dict[str, Any], remote: str, schema: str, tables: Mapping[str, Sequence[str]],
                    optional: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Table -> the columns of ``tables`` the server's schema has.  An older
    release's schema may lack a column: what there is is read (the typed
    rows give a missing column its empty value).  A table of ``optional``
    the schema lacks is left out; any other is an error."""
    known = schema_json.get("tables", {})
    present: dict[str, tuple[str, ...]] = {}
    for table, columns in tables.items():
        if table not in known:
            if table in optional:
                continue
            raise Unavailable(f"{remote}: database {schema} has no table {table}")
        present[table] = tuple(c for c in columns if c in known[table].get("columns", {}))
    return present


def plain_call(remote: str, method: str, params: list[Any], timeout: float, max_bytes: int) -> dict[str, Any]:
    """One OVSDB request over a ``unix:``/``tcp:`` socket (:mod:`flowprog.jsonrpc`:
    the standard library's C JSON parser, one deadline and a size bound for
    the whole answer), its failures worded for OVSDB."""
    budget = Budget(remote, timeout, max_bytes=max_bytes, max_messages=16)
    try:
        return jsonrpc.call(remote, method, params, budget)
    except jsonrpc.RpcFailed as e:
        if e.kind == "connect":
            cause = e.__cause__
            reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
            raise Unavailable(f"cannot connect to OVSDB at {remote}: {reason}", hint="is ovsdb-server running?",
                              topic="ovsdb") from e
        if e.kind == "timeout":
            raise Unavailable(f"{remote} did not answer as an OVSDB server within {timeout:g} s",
                              hint="is this the socket of ovsdb-server? is it stuck?", topic="timeout") from e
        if e.kind in ("protocol", "closed"):
            raise Unavailable(f"{remote} did not speak OVSDB: {e.message}",
                              hint="is this the socket of ovsdb-server?") from e
        raise


def _fetch_schema_ovs(remote: str, schema: str, timeout: float) -> dict[str, Any]:
    """ssl: remotes: python-ovs's stream does the TLS."""
    import ovs.jsonrpc
    import ovs.poller
    import ovs.stream
    import ovs.timeval

    deadline = ovs.timeval.msec() + int(timeout * 1000)
    err, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(remote), int(timeout * 1000))
    if err:
        raise Unavailable(f"cannot connect to OVSDB at {remote}: {os.strerror(err)}",
                          hint="is ovsdb-server running?", topic="ovsdb")
    rpc = ovs.jsonrpc.Connection(stream)
    try:
        request = ovs.jsonrpc.Message.create_request("get_schema", [schema])
        err = rpc.send(request)
        while not err:
            err, reply = rpc.recv()
            if err == errno.EAGAIN:
                if ovs.timeval.msec() >= deadline:
                    raise Unavailable(f"{remote} did not answer as an OVSDB server within {timeout:g} s",
                                      hint="is this the socket of ovsdb-server?")
                rpc.run()
                poller = ovs.poller.Poller()
                rpc.wait(poller)
                rpc.recv_wait(poller)
                poller.timer_wait_until(deadline)
                poller.block()
                err = 0
                continue
            if reply is not None and reply.id == request.id:
                if reply.type == ovs.jsonrpc.Message.T_ERROR:
                    raise Unavailable(f"{remote} has no {schema} database", topic="ovsdb")
                return dict(reply.result)
        raise Unavailable(f"{remote} did not speak OVSDB: {os.strerror(err)}",
                          hint="is this the socket of ovsdb-server?")
    finally:
        rpc.close()


def database_id(remote: str, timeout: float) -> str:
    """The ``_uuid`` of the Open_vSwitch row: one node's database, however
    its remote is spelled (``unix:``, ``tcp:``) -- what ``mvtep apply`` locks."""
    budget = Budget(remote, timeout, max_bytes=MAX_SCHEMA, max_messages=16)
    select = {"op": "select", "table": "Open_vSwitch", "where": [], "columns": ["_uuid"]}
    try:
        reply = jsonrpc.call(remote, "transact", ["Open_vSwitch", select], budget)
    except jsonrpc.RpcFailed as e:
        raise Unavailable(f"cannot read the Open_vSwitch row at {remote}: {e.message}", topic="ovsdb") from e
    try:
        (row,) = reply["result"][0]["rows"]
        kind, value = row["_uuid"]
        if kind != "uuid" or not isinstance(value, str):
            raise ValueError(kind)
        return str(uuid.UUID(value))
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise Unavailable(f"{remote} has no single Open_vSwitch row ({reply.get('error') or e})",
                          topic="ovsdb") from e
