"""One select read of OVSDB gives the rows the monitor gives, typed alike,
on real ovsdb-servers (the node's Open_vSwitch database and the southbound)."""

from __future__ import annotations

import pytest

from flowprog.ovsdb import ovs_monitor, sb_monitor, typed_ovs, typed_sb
from flowprog.ovsdb_select import _value, plain_remote, select_tables
from mvcore.errors import Unavailable
from mvcore.ovsdb_rows import OVS_COLUMNS, SB_COLUMNS
from mvtep.sandbox.node import Sandbox


def test_ovsdb_json_values_unwrap_as_the_monitor_gives_them() -> None:
    assert _value(["uuid", "u1"]) == "u1"
    assert _value(["set", []]) == [] and _value(["set", [["uuid", "a"], ["uuid", "b"]]]) == ["a", "b"]
    assert _value(["map", [["k", "v"], ["n", 3]]]) == {"k": "v", "n": 3}
    assert _value(7) == 7 and _value("x") == "x" and _value(["odd", 1, 2]) == ["odd", 1, 2]
    assert plain_remote("unix:/run/db.sock") and plain_remote("tcp:1.2.3.4:6642")
    assert not plain_remote("ssl:1.2.3.4:6642") and not plain_remote("tcp:a:1,tcp:b:1")


def test_a_select_reads_what_the_monitor_reads(sandbox: Sandbox) -> None:
    db, sb = f"unix:{sandbox.rundir}/db.sock", f"unix:{sandbox.rundir}/ovnsb_db.sock"
    with ovs_monitor(db) as m:
        assert typed_ovs(select_tables(db, "Open_vSwitch", OVS_COLUMNS, 5), db) == typed_ovs(m.rows(), db)
    with sb_monitor(sb) as m:
        selected = typed_sb(select_tables(sb, "OVN_Southbound", SB_COLUMNS, 5,
                                          optional=frozenset({"Chassis_Private"})), sb)
        assert selected == typed_sb(m.rows(), sb) and selected.port_bindings


def test_a_table_the_schema_lacks(sandbox: Sandbox) -> None:
    db = f"unix:{sandbox.rundir}/db.sock"
    with pytest.raises(Unavailable, match="has no table Nope"):
        select_tables(db, "Open_vSwitch", {"Nope": ("name",)}, 5)
    assert "Bridge" in select_tables(db, "Open_vSwitch", {"Bridge": ("name",), "Nope": ("x",)}, 5,
                                     optional=frozenset({"Nope"}))
