"""The one adapter between multivtep and ovsdbapp.

It opens a read-only IDL connection to one database, registers only the
tables and columns asked for, copies their rows out as plain Python values,
and closes.  Every ovsdbapp/ovs failure leaves this module as
:class:`mvcore.errors.Unavailable`.  Two ovsdbapp pitfalls are handled here so
nobody else meets them: commands swallow errors unless ``check_error=True``
is passed, and ``Backend`` keeps its connection in a *class* attribute, so a
fresh subclass is made per connection.
"""

from __future__ import annotations

import logging
import sys
import uuid
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowprog import idlguard
from flowprog.ovsdb_fetch import SslFiles, database_id, fetch_schema, present_columns, use_ssl
from flowprog.ovsdb_select import plain_remote, select_tables
from mvcore.errors import MvtepError, Unavailable
from mvcore.ovsdb_rows import OVS_COLUMNS, SB_COLUMNS, OvsState, RowsInvalid, SbRows, ovs_state, sb_state

if TYPE_CHECKING:
    from flowprog.keychange import KeyChange

__all__ = ["Rows", "SslFiles", "OvsdbMonitor", "read_tables", "read_once", "change_keys", "database_id",
           "DEFAULT_TIMEOUT", "typed_ovs", "typed_sb", "ovs_monitor", "sb_monitor", "read_ovs", "read_sb",
           "SB_OPTIONAL"]

DEFAULT_TIMEOUT = 5.0
MAX_CONTENTS = 512 << 20  # bytes of the tables' first contents (100,000 Port_Bindings are about 100 MiB)
Rows = dict[str, list[dict[str, Any]]]
SB_OPTIONAL = frozenset({"Chassis_Private"})  # southbound schemas before OVN 20.09 have none


def _quiet() -> None:
    # ovsdbapp logs with LOG.exception on paths where it also raises; the CLI
    # reports the error once, so its and python-ovs's loggers stay quiet.
    for name in ("ovsdbapp", "ovs"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _plain(value: Any) -> Any:
    """Row values as plain data: UUIDs and references to rows become UUID
    strings, containers are copied."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if type(value).__name__ == "Row" and isinstance(getattr(value, "uuid", None), uuid.UUID):
        return str(value.uuid)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _import_poller() -> None:
    """Import python-ovs's poller without its eventlet probe.

    The poller imports eventlet (which os-ken installs) only to ask whether
    it monkey-patched ``select``.  multivtep never uses eventlet; the probe
    costs about 0.1 s of start-up and a deprecation warning, so while the
    poller is first imported, eventlet is made unimportable.
    """
    if "ovs.poller" in sys.modules:
        return
    had = "eventlet" in sys.modules
    if not had:
        sys.modules["eventlet"] = None  # type: ignore[assignment]
    try:
        import ovs.poller  # noqa: F401
    finally:
        if not had:
            del sys.modules["eventlet"]


class OvsdbMonitor:
    """A read-only IDL connection kept open: the server sends changes as they
    happen (OVSDB monitor), so each :meth:`rows` call copies the local replica
    instead of asking the server again.  python-ovs reconnects by itself after
    the server goes away; :meth:`connected` says whether it currently is.

    ``with OvsdbMonitor(remote, schema, tables) as m: m.rows()``
    """

    def __init__(self, remote: str, schema: str, tables: Mapping[str, Sequence[str]],
                 timeout: float = DEFAULT_TIMEOUT, ssl: SslFiles | None = None,
                 optional: frozenset[str] = frozenset()) -> None:
        """``optional`` names tables an older schema may not have."""
        self.remote, self.schema, self.tables, self.timeout, self.ssl = remote, schema, tables, timeout, ssl
        self.optional = optional
        self._present: dict[str, tuple[str, ...]] = {}
        self._conn: Any = None
        self._api: Any = None
        self._seqno: int | None = None  # the replica's change counter when _cached was copied
        self._cached: Rows = {}

    def __enter__(self) -> OvsdbMonitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        _quiet()
        _import_poller()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
            from ovs.db import idl as ovs_idl
            from ovsdbapp import api as ovsdbapp_api
            from ovsdbapp import exceptions as ovsdbapp_exc
            from ovsdbapp.backend import ovs_idl as backend
            from ovsdbapp.backend.ovs_idl import connection, idlutils

        use_ssl(self.ssl, self.remote)
        schema_json: dict[str, Any] = {}
        failures = []
        for one in (r.strip() for r in self.remote.split(",") if r.strip()):  # ovn-remote may list several
            try:
                schema_json = fetch_schema(one, self.schema, self.timeout)
                break
            except Unavailable as e:
                failures.append(e)
        else:
            raise failures[-1] if failures else Unavailable(f"no OVSDB remote in {self.remote!r}")
        helper = idlutils.create_schema_helper(schema_json)
        self._present = present_columns(schema_json, self.remote, self.schema, self.tables, self.optional)
        for table, have in self._present.items():
            helper.register_columns(table, list(have))
        idl = ovs_idl.Idl(self.remote, helper)
        # A hung server (not a dead one) must not look connected: probe it,
        # so it is found out within one timeout of its last word.
        idlguard.probe_every(idl, self.timeout / 2)
        self._conn = connection.Connection(idl, self.timeout)
        # A fresh class per connection: Backend stores the connection on the class.
        # (``schema``: what ovsdbapp names in the error it raises when the connection fails)
        api_cls = type("_Reader", (backend.Backend, ovsdbapp_api.API), {"_ovsdb_connection": None,
                                                                       "schema": self.schema})
        with idlguard.Watchdog(idl, self.timeout, MAX_CONTENTS) as dog:
            try:
                self._api = api_cls(self._conn, auto_index=False)
            except (OSError, RuntimeError, ovsdbapp_exc.OvsdbAppException) as e:
                self.stop()
                if dog.fired or ovsdbapp_exc.TimeoutException in (type(e), type(e.__cause__)):
                    why = dog.fired or f"did not send its tables within {self.timeout:g} s"
                    raise Unavailable(f"OVSDB at {self.remote} {why}", topic="timeout") from e
                raise Unavailable(f"reading OVSDB at {self.remote} failed: {type(e).__name__}") from e

    def connected(self) -> bool:
        """Whether the session to the server is up right now.  python-ovs's Idl
        has no public accessor for this; its jsonrpc Session has."""
        if self._conn is None:
            return False
        session = getattr(self._conn.idl, "_session", None)
        return bool(session is not None and session.is_connected())

    def rows(self) -> Rows:
        """The monitored tables as plain rows (see :func:`read_tables`); the
        copy is made again only when the replica has changed since."""
        from ovsdbapp import exceptions as ovsdbapp_exc

        if self._api is None:
            raise Unavailable("OVSDB monitor is not started")
        seqno = self._conn.idl.change_seqno
        if seqno == self._seqno:
            return self._cached
        out: Rows = {}
        # The connection thread holds this lock while it reads updates; one
        # that never ends (a server answering without end) must not hold us.
        if not self._conn.lock.acquire(timeout=self.timeout):
            idlguard.sever(self._conn.idl)
            raise Unavailable(f"OVSDB at {self.remote} kept its connection busy for {self.timeout:g} s",
                              hint="is ovsdb-server sending without end?", topic="timeout")
        try:
            for table, columns in self._present.items():
                rows = self._api.db_list(table, columns=["_uuid", *columns]).execute(check_error=True,
                                                                                    log_errors=False)
                out[table] = [{k: _plain(v) for k, v in row.items()} for row in rows]
        except (OSError, RuntimeError, ovsdbapp_exc.OvsdbAppException) as e:
            raise Unavailable(f"reading OVSDB at {self.remote} failed: {type(e).__name__}") from e
        finally:
            self._conn.lock.release()
        self._seqno, self._cached = seqno, out
        return out

    def change_keys(self, changes: Sequence[KeyChange], *, skip_changed: bool = False
                    ) -> tuple[tuple[KeyChange, str | None], ...]:
        """Make ``changes`` in one transaction, each only if its key still
        holds ``old`` (:mod:`flowprog.ovsdb_keys`).  Without ``skip_changed``
        a key that does not raises :class:`~flowprog.ovsdb_keys.KeysChanged`
        and nothing is written; with it, the others are made and the ones
        left alone are returned, each with what its key held instead.

        Raises:
            Unavailable: the transaction failed or did not commit in time.
        """
        from ovsdbapp import exceptions as ovsdbapp_exc

        from flowprog.keychange import KeysChanged
        from flowprog.ovsdb_keys import ChangeKeys

        if self._api is None:
            raise Unavailable("OVSDB monitor is not started")
        command = ChangeKeys(self._api, changes, skip_changed)
        try:
            with self._api.transaction(check_error=True, log_errors=False) as txn:
                txn.add(command)
        except KeysChanged:
            raise
        except ovsdbapp_exc.TimeoutException as e:
            raise Unavailable(f"OVSDB at {self.remote} did not commit within {self.timeout:g} s",
                              topic="timeout") from e
        except (RuntimeError, ovsdbapp_exc.OvsdbAppException, MvtepError) as e:
            raise Unavailable(f"OVSDB transaction at {self.remote} failed: {e}") from e
        return tuple(command.result or ())

    def stop(self) -> None:
        conn, self._conn, self._api = self._conn, None, None
        if conn is None:
            return
        if conn.thread is not None:
            thread = conn.thread
            if not conn.stop(timeout=self.timeout):  # stuck reading a server that does not stop sending
                idlguard.sever(conn.idl)
                thread.join(self.timeout)
        else:
            idlguard.sever(conn.idl)
            conn.idl.close()


def change_keys(remote: str, changes: Sequence[KeyChange], timeout: float = DEFAULT_TIMEOUT, *,
                skip_changed: bool = False) -> tuple[tuple[KeyChange, str | None], ...]:
    """:meth:`OvsdbMonitor.change_keys` on the Open_vSwitch database at ``remote``."""
    tables: dict[str, tuple[str, ...]] = {}
    for c in changes:
        tables[c.table] = tuple(sorted({*tables.get(c.table, ()), c.column, *(() if c.record == "." else ("name",))}))
    with OvsdbMonitor(remote, "Open_vSwitch", tables, timeout) as monitor:
        return monitor.change_keys(changes, skip_changed=skip_changed)


def read_tables(
    remote: str,
    schema: str,
    tables: Mapping[str, Sequence[str]],
    timeout: float = DEFAULT_TIMEOUT,
    ssl: SslFiles | None = None,
) -> Rows:
    """Read ``tables`` (table -> columns) from database ``schema`` at ``remote`` once.

    Returns table -> list of rows; each row maps column -> value as ovsdbapp
    gives it (maps as dict, sets as list, an optional scalar as the value or
    an empty list) with references and ``_uuid`` as UUID strings.
    """
    with OvsdbMonitor(remote, schema, tables, timeout, ssl) as monitor:
        return monitor.rows()


def read_once(remote: str, schema: str, tables: Mapping[str, Sequence[str]], timeout: float = DEFAULT_TIMEOUT,
              ssl: SslFiles | None = None, optional: frozenset[str] = frozenset()) -> Rows:
    """Read ``tables`` once, as :func:`read_tables` gives them: one ``select``
    request over a plain socket (:mod:`flowprog.ovsdb_select`), else (an
    ``ssl:`` remote, several servers) through the monitor."""
    if plain_remote(remote):
        return select_tables(remote, schema, tables, timeout, optional=optional)
    with OvsdbMonitor(remote, schema, tables, timeout, ssl, optional=optional) as monitor:
        return monitor.rows()


def typed_ovs(rows: Rows, remote: str) -> OvsState:
    """Plain Open_vSwitch rows as typed rows (a server that sends misshapen ones is not usable)."""
    try:
        return ovs_state(rows)
    except RowsInvalid as e:
        raise Unavailable(f"OVSDB at {remote} sent rows mvtep cannot read: {e}", topic="ovsdb") from e


def typed_sb(rows: Rows, remote: str) -> SbRows:
    """Plain southbound rows as typed rows."""
    try:
        return sb_state(rows)
    except RowsInvalid as e:
        raise Unavailable(f"the southbound DB at {remote} sent rows mvtep cannot read: {e}", topic="southbound") from e


def ovs_monitor(remote: str, timeout: float = DEFAULT_TIMEOUT) -> OvsdbMonitor:
    """A monitor of the Open_vSwitch tables mvtep reads (not started)."""
    return OvsdbMonitor(remote, "Open_vSwitch", OVS_COLUMNS, timeout)


def sb_monitor(remote: str, timeout: float = DEFAULT_TIMEOUT, ssl: SslFiles | None = None) -> OvsdbMonitor:
    """A monitor of the southbound tables mvtep reads (not started); Chassis_Private is
    optional (southbound schemas before OVN 20.09 have none)."""
    return OvsdbMonitor(remote, "OVN_Southbound", SB_COLUMNS, timeout, ssl, optional=SB_OPTIONAL)


def read_ovs(remote: str, timeout: float = DEFAULT_TIMEOUT) -> OvsState:
    """The Open_vSwitch database's rows mvtep reads, once: one ``select``
    request over a plain socket (:mod:`flowprog.ovsdb_select`), else the monitor."""
    return typed_ovs(read_once(remote, "Open_vSwitch", OVS_COLUMNS, timeout), remote)


def read_sb(remote: str, timeout: float = DEFAULT_TIMEOUT, ssl: SslFiles | None = None) -> SbRows:
    """The southbound rows mvtep reads, once (as :func:`read_ovs`; ``ssl``
    serves an ``ssl:`` remote, which goes through the monitor)."""
    return typed_sb(read_once(remote, "OVN_Southbound", SB_COLUMNS, timeout, ssl, SB_OPTIONAL), remote)
