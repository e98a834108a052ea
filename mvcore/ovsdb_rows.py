"""OVSDB rows as typed, frozen records: the Open_vSwitch and OVN southbound
tables mvtep reads, and one validating converter from plain rows.

Plain rows are what the OVSDB adapter copies out of its replica and what a
support bundle stores: ``{"Interface": [{"_uuid": "...", "name": "vf0",
"ofport": 7, "external_ids": {...}}, ...], ...}``, with OVSDB's encodings
(a map is a dict, a set a list, an optional scalar its value or ``[]``,
a reference the row's UUID as a string).  :func:`ovs_state` and
:func:`sb_state` turn them into records, checking every value's type on the
way: a live node and a bundle go through the same function, and a damaged
bundle fails here with :class:`RowsInvalid`, not later with a ``KeyError``.
A column the database's schema lacks (an older release) takes its empty
value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "RowsInvalid", "OVS_COLUMNS", "SB_COLUMNS", "PlainRows",
    "OpenVSwitchRow", "BridgeRow", "PortRow", "InterfaceRow", "OvsState", "ovs_state",
    "ChassisRow", "EncapRow", "DatapathRow", "PortBindingRow", "ChassisPrivateRow", "SbRows", "sb_state",
    "ovs_plain", "sb_plain",
]

PlainRows = Mapping[str, list[dict[str, Any]]]

# What mvtep reads of each database: table -> columns.  Readers register only
# these (and only those the server's schema has).
OVS_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Open_vSwitch": ("external_ids", "other_config", "ovs_version"),
    "Bridge": ("name", "ports", "external_ids", "datapath_type"),
    "Port": ("name", "interfaces", "external_ids", "bond_mode"),
    "Interface": ("name", "type", "ofport", "external_ids", "options", "error", "status"),
}
SB_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Chassis": ("name", "hostname", "encaps", "other_config", "external_ids"),
    "Chassis_Private": ("name", "chassis", "nb_cfg", "external_ids"),
    "Encap": ("ip", "type", "chassis_name", "options"),
    "Datapath_Binding": ("tunnel_key", "external_ids"),
    "Port_Binding": ("logical_port", "tunnel_key", "datapath", "chassis", "encap", "type", "additional_chassis",
                     "additional_encap", "options", "mac", "requested_chassis"),
}


class RowsInvalid(ValueError):
    """Plain rows that do not have the shape of their table."""


# -- the Open_vSwitch database ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenVSwitchRow:
    external_ids: Mapping[str, str]
    other_config: Mapping[str, str]
    ovs_version: str | None


@dataclass(frozen=True, slots=True)
class BridgeRow:
    uuid: str
    name: str
    ports: tuple[str, ...]
    external_ids: Mapping[str, str]
    datapath_type: str


@dataclass(frozen=True, slots=True)
class PortRow:
    uuid: str
    name: str
    interfaces: tuple[str, ...]
    external_ids: Mapping[str, str]
    bond_mode: str | None


@dataclass(frozen=True, slots=True)
class InterfaceRow:
    uuid: str
    name: str
    type: str
    ofport: int | None  # None until assigned; -1 when OVS could not add the port
    external_ids: Mapping[str, str]
    options: Mapping[str, str]
    error: str | None  # why OVS could not create it ("could not add network device ...")
    # OVS's view of the netdev: driver_name ("mlx5e_rep" for a VF/SF representor, "veth"...)
    status: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OvsState:
    """The Open_vSwitch database as read."""

    open_vswitch: OpenVSwitchRow | None  # None: the table is empty (ovs-vsctl init never ran)
    bridges: tuple[BridgeRow, ...]
    ports: tuple[PortRow, ...]
    interfaces: tuple[InterfaceRow, ...]

    def bridge(self, name: str) -> BridgeRow | None:
        return next((b for b in self.bridges if b.name == name), None)


# -- the OVN southbound database -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChassisRow:
    uuid: str
    name: str
    hostname: str
    encaps: tuple[str, ...]
    other_config: Mapping[str, str]
    external_ids: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ChassisPrivateRow:
    uuid: str
    name: str
    chassis: str | None
    nb_cfg: int
    external_ids: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class EncapRow:
    uuid: str
    ip: str
    type: str
    chassis_name: str
    options: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DatapathRow:
    uuid: str
    tunnel_key: int
    external_ids: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PortBindingRow:
    uuid: str
    logical_port: str
    tunnel_key: int
    datapath: str
    chassis: str | None
    encap: str | None
    type: str
    additional_chassis: tuple[str, ...]
    additional_encap: tuple[str, ...]
    options: Mapping[str, str]
    mac: tuple[str, ...]
    requested_chassis: str | None


@dataclass(frozen=True, slots=True)
class SbRows:
    """The southbound tables as read."""

    chassis: tuple[ChassisRow, ...]
    chassis_private: tuple[ChassisPrivateRow, ...]
    encaps: tuple[EncapRow, ...]
    datapaths: tuple[DatapathRow, ...]
    port_bindings: tuple[PortBindingRow, ...]


# -- converting plain rows -------------------------------------------------------

R = TypeVar("R")


class _Row:
    """One plain row, read column by column with type checks."""

    __slots__ = ("table", "row")

    def __init__(self, table: str, row: object) -> None:
        if not isinstance(row, dict):
            raise RowsInvalid(f"{table}: a row is {type(row).__name__}, not an object")
        self.table, self.row = table, row

    def _fail(self, column: str, what: str) -> RowsInvalid:
        return RowsInvalid(f"{self.table}.{column}: {what}")

    def text(self, column: str, default: str = "") -> str:
        value = self.row.get(column, default)
        if value == []:  # an unset optional string
            return default
        if not isinstance(value, str):
            raise self._fail(column, f"{type(value).__name__}, not a string")
        return value

    def opt_text(self, column: str) -> str | None:
        value = self.row.get(column, [])
        if value == [] or value is None:
            return None
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            raise self._fail(column, f"{type(value).__name__}, not a string")
        return value

    def integer(self, column: str, default: int = 0) -> int:
        value = self.row.get(column, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(column, f"{type(value).__name__}, not an integer")
        return value

    def opt_integer(self, column: str) -> int | None:
        value = self.row.get(column, [])
        if value == [] or value is None:
            return None
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(column, f"{type(value).__name__}, not an integer")
        return value

    def strings(self, column: str) -> tuple[str, ...]:
        value = self.row.get(column, [])
        if isinstance(value, str):  # a set of one is sometimes sent bare
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(column, "not a set of strings")
        return tuple(sorted(value))  # a set: sorted, so two readers of one database agree

    def smap(self, column: str) -> dict[str, str]:
        value = self.row.get(column, {})
        if value == []:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in value.items()):
            raise self._fail(column, "not a map of strings")
        return dict(value)

    def uuid(self) -> str:
        return self.text("_uuid")


def _table(rows: PlainRows, table: str, make: Callable[[_Row], R], required: bool = True) -> tuple[R, ...]:
    if not isinstance(rows, Mapping):
        raise RowsInvalid(f"the rows are {type(rows).__name__}, not an object")
    found = rows.get(table)
    if found is None:
        if required:
            raise RowsInvalid(f"no table {table}")
        return ()
    if not isinstance(found, list):
        raise RowsInvalid(f"{table}: {type(found).__name__}, not a list of rows")
    made = [make(_Row(table, r)) for r in found]
    # Rows in no order of the server's: by UUID, so two readers of one database agree.
    return tuple(sorted(made, key=lambda r: str(getattr(r, "uuid", ""))))


def ovs_state(rows: PlainRows) -> OvsState:
    """Typed Open_vSwitch rows; raises :class:`RowsInvalid` on anything misshapen."""
    top = _table(rows, "Open_vSwitch", lambda r: OpenVSwitchRow(
        r.smap("external_ids"), r.smap("other_config"), r.opt_text("ovs_version")))
    return OvsState(
        open_vswitch=top[0] if top else None,
        bridges=_table(rows, "Bridge", lambda r: BridgeRow(
            r.uuid(), r.text("name"), r.strings("ports"), r.smap("external_ids"), r.text("datapath_type"))),
        ports=_table(rows, "Port", lambda r: PortRow(
            r.uuid(), r.text("name"), r.strings("interfaces"), r.smap("external_ids"), r.opt_text("bond_mode"))),
        interfaces=_table(rows, "Interface", lambda r: InterfaceRow(
            r.uuid(), r.text("name"), r.text("type"), r.opt_integer("ofport"), r.smap("external_ids"),
            r.smap("options"), r.opt_text("error"), r.smap("status"))),
    )


def sb_state(rows: PlainRows) -> SbRows:
    """Typed southbound rows; raises :class:`RowsInvalid` on anything misshapen."""
    return SbRows(
        chassis=_table(rows, "Chassis", lambda r: ChassisRow(
            r.uuid(), r.text("name"), r.text("hostname"), r.strings("encaps"), r.smap("other_config"),
            r.smap("external_ids"))),
        chassis_private=_table(rows, "Chassis_Private", lambda r: ChassisPrivateRow(
            r.uuid(), r.text("name"), r.opt_text("chassis"), r.integer("nb_cfg"), r.smap("external_ids")),
            required=False),
        encaps=_table(rows, "Encap", lambda r: EncapRow(
            r.uuid(), r.text("ip"), r.text("type"), r.text("chassis_name"), r.smap("options"))),
        datapaths=_table(rows, "Datapath_Binding", lambda r: DatapathRow(
            r.uuid(), r.integer("tunnel_key"), r.smap("external_ids"))),
        port_bindings=_table(rows, "Port_Binding", lambda r: PortBindingRow(
            r.uuid(), r.text("logical_port"), r.integer("tunnel_key"), r.text("datapath"), r.opt_text("chassis"),
            r.opt_text("encap"), r.text("type"), r.strings("additional_chassis"), r.strings("additional_encap"),
            r.smap("options"), r.strings("mac"), r.opt_text("requested_chassis"))),
    )


# -- and back to plain rows (what a support bundle stores) ----------------------


def ovs_plain(state: OvsState) -> dict[str, list[dict[str, Any]]]:
    """The inverse of :func:`ovs_state`."""
    top = state.open_vswitch
    return {
        "Open_vSwitch": [] if top is None else [{
            "external_ids": dict(top.external_ids), "other_config": dict(top.other_config),
            "ovs_version": top.ovs_version if top.ovs_version is not None else []}],
        "Bridge": [{"_uuid": b.uuid, "name": b.name, "ports": list(b.ports), "external_ids": dict(b.external_ids),
                    "datapath_type": b.datapath_type} for b in state.bridges],
        "Port": [{"_uuid": p.uuid, "name": p.name, "interfaces": list(p.interfaces),
                  "external_ids": dict(p.external_ids), "bond_mode": _opt(p.bond_mode)} for p in state.ports],
        "Interface": [{"_uuid": i.uuid, "name": i.name, "type": i.type, "ofport": _opt(i.ofport),
                       "external_ids": dict(i.external_ids), "options": dict(i.options), "error": _opt(i.error),
                       "status": dict(i.status)}
                      for i in state.interfaces],
    }


def sb_plain(rows: SbRows) -> dict[str, list[dict[str, Any]]]:
    """The inverse of :func:`sb_state`."""
    return {
        "Chassis": [{"_uuid": c.uuid, "name": c.name, "hostname": c.hostname, "encaps": list(c.encaps),
                     "other_config": dict(c.other_config), "external_ids": dict(c.external_ids)}
                    for c in rows.chassis],
        "Chassis_Private": [{"_uuid": c.uuid, "name": c.name, "chassis": _opt(c.chassis), "nb_cfg": c.nb_cfg,
                             "external_ids": dict(c.external_ids)} for c in rows.chassis_private],
        "Encap": [{"_uuid": e.uuid, "ip": e.ip, "type": e.type, "chassis_name": e.chassis_name,
                   "options": dict(e.options)} for e in rows.encaps],
        "Datapath_Binding": [{"_uuid": d.uuid, "tunnel_key": d.tunnel_key, "external_ids": dict(d.external_ids)}
                             for d in rows.datapaths],
        "Port_Binding": [{"_uuid": p.uuid, "logical_port": p.logical_port, "tunnel_key": p.tunnel_key,
                          "datapath": p.datapath, "chassis": _opt(p.chassis), "encap": _opt(p.encap),
                          "type": p.type, "additional_chassis": list(p.additional_chassis),
                          "additional_encap": list(p.additional_encap), "options": dict(p.options),
                          "mac": list(p.mac), "requested_chassis": _opt(p.requested_chassis)}
                         for p in rows.port_bindings],
    }


def _opt(value: object) -> object:
    """An optional column as OVSDB encodes it: the value, or ``[]`` when unset."""
    return [] if value is None else value
