"""Support bundles: a snapshot written and read back is the same snapshot, and
a damaged, hostile or future bundle is one BundleInvalid, never anything else."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.bundle import BUNDLE_VERSION, BundleInvalid, read_bundle, write_bundle
from mvcore.ovsdb_rows import sb_state
from mvcore.reading import Reading
from mvcore.snapshot import (DaemonState, FeatureBits, FlowDump, HostState, Key, NetdevStats, NetlinkAnswer,
                             NodeSnapshot, StatsSample, SysfsEntry, SysfsRecord)
from tests.snapshots import SAVED, SNAP


def full_snapshot() -> NodeSnapshot:
    """Every part read (or failed), with values of every shape a bundle holds."""
    assert SNAP.openflow.value is not None
    return NodeSnapshot(
        taken_at=1796189431.25, bridge="br-int", ovsdb=SNAP.ovsdb,
        openflow=Reading.of(FlowDump("br-int", 6, None, SNAP.openflow.value.replies)),
        southbound=SNAP.southbound,
        sysfs=Reading.of(SysfsRecord("/", {
            "/sys/bus/pci/devices": SysfsEntry("dir", names=("0000:03:00.0",)),
            "/sys/bus/pci/devices/0000:03:00.0": SysfsEntry("link", "../../../devices/pci0000:00/0000:03:00.0"),
            "/sys/devices/pci0000:00/0000:03:00.0/vendor": SysfsEntry("file", "0x15b3\n"),
            "/sys/devices/pci0000:00/0000:03:00.0/odd": SysfsEntry("file", "bad \udcff byte"),
            "/sys/devices/pci0000:00/0000:03:00.0/gone": SysfsEntry("missing"),
            "/sys/devices/pci0000:00/0000:03:00.0/secret": SysfsEntry("error", "EACCES"),
        })),
        host=Reading.of(HostState("mvtep-ns", {
            Key.LINKS: NetlinkAnswer(bytes(range(40))),
            Key.route_get("10.1.0.1", "10.0.0.1"): NetlinkAnswer(error="ENETUNREACH"),
            Key.devlink_eswitch("0000:03:00.0"): NetlinkAnswer(error="devlink unavailable"),
            Key.devlink_param("0000:03:00.0", "flow_steering_mode"): NetlinkAnswer(bytes(range(7, 60))),
            Key.NEIGHBOURS: NetlinkAnswer(bytes(range(3, 50))), Key.CONNTRACK: NetlinkAnswer(error="EPERM"),
        }, {"enp3s0f0np0": Reading.of(FeatureBits(True, True, False, False)),
            "enp3s0f0_0": Reading.failed("no such interface")},
            {"net/ipv4/conf/vtep0/rp_filter": Reading.of("1"), "net/ipv4/conf/eth0.100/arp_ignore": Reading.of("2"),
             "net/ipv4/conf/vtep9/arp_announce": Reading.failed("ENOENT")},
            {"enp3s0f0_0": Reading.of(NetdevStats(("rx_packets", "vport_rx_packets"), (
                StatsSample(1796189430.25, (7, (1 << 64) - 1)), StatsSample(1796189431.25, (9, 0))))),
             "enp3s0f0_1": Reading.of(NetdevStats(("peer_ifindex",), (StatsSample(1.5, (12,)),))),
             "enp3s0f0_2": Reading.failed("EOPNOTSUPP")})),
        datapath=Reading.failed("ovs-vswitchd is not running"),
        daemons=DaemonState(Reading.of("3.5.0"), Reading.failed("no ovn-controller.pid"),
                            {"ovs-vswitchd": Reading.of("2026-12-02T05:00:00Z|00001|vlog|INFO|opened\n"),
                             "ovn-controller": Reading.failed("no ovn-controller.log")},
                            Reading.failed('dpif/offload/show failed: "dpif/offload/show" is not a valid command')),
    )


def test_a_written_snapshot_reads_back_the_same(tmp_path: Path) -> None:
    snap = full_snapshot()
    write_bundle(snap, tmp_path / "b.tar.gz", "mvtep test")
    back = read_bundle(tmp_path / "b.tar.gz")
    assert back.origin == f"bundle {tmp_path / 'b.tar.gz'}"
    assert back == snap.__class__(**{**{f: getattr(snap, f) for f in snap.__dataclass_fields__},
                                     "origin": back.origin})


def test_parts_not_asked_stay_not_asked(tmp_path: Path) -> None:
    snap = NodeSnapshot(1.0, "br-int", ovsdb=SNAP.ovsdb)
    write_bundle(snap, tmp_path / "b.tar.gz", "mvtep test")
    back = read_bundle(tmp_path / "b.tar.gz")
    assert back.ovsdb == SNAP.ovsdb and not back.openflow.asked and not back.sysfs.asked
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest["format"] == "mvtep-bundle" and manifest["version"] == BUNDLE_VERSION
    assert manifest["parts"]["openflow"] == {"status": "not-asked", "error": None}


def test_the_old_verify_snapshot_is_read_too() -> None:
    assert SNAP.ovsdb.ok and SNAP.openflow.ok and SNAP.southbound.ok
    assert SNAP.openflow.value is not None and SNAP.openflow.value.tables == (0, 42)


# -- hostile and damaged files -------------------------------------------------------------


def tar_bytes(members: dict[str, bytes | None], *, manifest: object | None = None) -> bytes:
    """A gzip tar; a member of None is a symlink to /etc/passwd."""
    buf = io.BytesIO()
    doc = manifest if manifest is not None else {"format": "mvtep-bundle", "version": 1, "bridge": "br-int",
                                                 "taken_at": 1.0, "parts": {}}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {"manifest.json": json.dumps(doc).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def manifest_with(**parts: str) -> dict[str, object]:
    return {"format": "mvtep-bundle", "version": 1, "bridge": "br-int", "taken_at": 1.0,
            "parts": {p: {"status": s, "error": None} for p, s in parts.items()}}


HOSTILE: dict[str, bytes] = {
    "path traversal": tar_bytes({"../../etc/evil": b"x"}),
    "absolute path": tar_bytes({"/etc/evil": b"x"}),
    "symlink member": tar_bytes({"ovsdb.json": None}),
    "unknown member": tar_bytes({"payload.sh": b"rm -rf /"}),
    "future version": tar_bytes({}, manifest={"format": "mvtep-bundle", "version": 99, "bridge": "br-int",
                                              "taken_at": 1.0}),
    "another format": tar_bytes({}, manifest={"format": "sosreport", "version": 1}),
    "manifest not an object": tar_bytes({}, manifest=[1, 2, 3]),
    "ovsdb rows of the wrong type": tar_bytes({"ovsdb.json": json.dumps({"Open_vSwitch": "x"}).encode()},
                                              manifest=manifest_with(ovsdb="read")),
    "ofport a string": tar_bytes({"ovsdb.json": json.dumps({
        "Open_vSwitch": [], "Bridge": [], "Port": [],
        "Interface": [{"_uuid": "u", "name": "vf0", "ofport": "seven"}]}).encode()},
        manifest=manifest_with(ovsdb="read")),
    "part said read but absent": tar_bytes({}, manifest=manifest_with(southbound="read")),
    "openflow version 99": tar_bytes({"openflow.json": json.dumps({"bridge": "br-int", "version": 99,
                                                                   "tables": None}).encode()},
                                     manifest=manifest_with(openflow="read")),
    "openflow frames cut short": tar_bytes({"openflow.json": json.dumps({"bridge": "br-int", "version": 6,
                                                                         "tables": [0]}).encode(),
                                            "openflow.bin": b"\x00\x00\x10\x00abc"},
                                           manifest=manifest_with(openflow="read")),
    "sysctl value not text": tar_bytes({"netlink.json": json.dumps({"sysctls": {"net/ipv4/conf/x/rp_filter": {
        "value": 1, "error": None}}}).encode()}, manifest=manifest_with(netlink="read")),
    "sysctls not an object": tar_bytes({"netlink.json": json.dumps({"sysctls": ["rp_filter"]}).encode()},
                                       manifest=manifest_with(netlink="read")),
    "statistics of another length than their names": tar_bytes({"netlink.json": json.dumps({"stats": {"r0": {
        "names": ["rx_packets", "tx_packets"], "samples": [{"at": 1.0, "values": [1]}]}}}).encode()},
        manifest=manifest_with(netlink="read")),
    "a statistic beyond 64 bits": tar_bytes({"netlink.json": json.dumps({"stats": {"r0": {
        "names": ["rx_packets"], "samples": [{"at": 1.0, "values": [1 << 64]}]}}}).encode()},
        manifest=manifest_with(netlink="read")),
    "statistics names not text": tar_bytes({"netlink.json": json.dumps({"stats": {"r0": {
        "names": [1], "samples": []}}}).encode()}, manifest=manifest_with(netlink="read")),
    "a statistics sample without a time": tar_bytes({"netlink.json": json.dumps({"stats": {"r0": {
        "names": ["rx_packets"], "samples": [{"values": [1]}]}}}).encode()}, manifest=manifest_with(netlink="read")),
    "offload state not text": tar_bytes({"daemons.json": json.dumps({"offload": {"value": 7}}).encode()}),
    "netlink not hex": tar_bytes({"netlink.json": json.dumps({"netlink": {"links": {"hex": "zz"}}}).encode()},
                                 manifest=manifest_with(netlink="read")),
    "sysfs entry of an unknown kind": tar_bytes({"sysfs.json": json.dumps(
        {"root": "/", "entries": {"/sys": {"kind": "device"}}}).encode()}, manifest=manifest_with(sysfs="read")),
    "not JSON": tar_bytes({"ovsdb.json": b"\xff\xfe"}, manifest=manifest_with(ovsdb="read")),
    "plain garbage": b"this is not a bundle at all",
    "truncated gzip": gzip.compress(b"x" * 4096)[:40],
    "empty file": b"",
    "legacy JSON of another kind": json.dumps({"kind": "paths"}).encode(),
    "legacy JSON with bad hex": json.dumps({"kind": "verify-snapshot", "schema": 1, "bridge": "br-int",
                                            "openflow_version": 6, "ovs": {}, "table0": ["zz"],
                                            "remote_output": [], "sb": None, "sb_error": None}).encode(),
    "legacy JSON of a future schema": json.dumps({"kind": "verify-snapshot", "schema": 7}).encode(),
}


def _duplicate() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("manifest.json", "manifest.json"):
            data = b"{}"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


HOSTILE["duplicate member"] = _duplicate()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_or_damaged_bundle_is_one_error(tmp_path: Path, case: str) -> None:
    path = tmp_path / "bundle"
    path.write_bytes(HOSTILE[case])
    with pytest.raises(BundleInvalid) as e:
        read_bundle(path)
    assert "\n" not in e.value.message and len(e.value.message) <= 300
    assert not (tmp_path / "etc").exists() and not Path("/etc/evil").exists()


def test_a_member_claiming_a_huge_size_is_refused_before_reading(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = 3 << 30  # a header that promises 3 GiB
        tar.addfile(info)  # no data follows
    path = tmp_path / "huge.tar"
    path.write_bytes(buf.getvalue())
    with pytest.raises(BundleInvalid, match="too large|truncated|not a mvtep bundle"):
        read_bundle(path)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "directory", "fifo", "missing"])
def test_special_files_are_refused_before_reading(tmp_path: Path, special: str) -> None:
    path = Path(special) if special.startswith("/") else tmp_path / special
    if special == "directory":
        path.mkdir()
    elif special == "fifo":
        os.mkfifo(path)
    with pytest.raises(BundleInvalid):
        read_bundle(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_random_bytes_never_escape(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(data)
    try:
        read_bundle(path)
    except BundleInvalid:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_real_bundle_never_escapes(tmp_path: Path, data: st.DataObject) -> None:
    """Flip, cut and insert bytes of a real bundle's uncompressed tar."""
    good = tmp_path / "good.tar.gz"
    if not good.exists():
        write_bundle(full_snapshot(), good, "mvtep test")
    raw = bytearray(gzip.decompress(good.read_bytes()))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "cut":
            del raw[at:at + data.draw(st.integers(1, 512))]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    path = tmp_path / "mutated.tar"
    path.write_bytes(bytes(raw))
    try:
        read_bundle(path)
    except BundleInvalid:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=4), max_leaves=20),
       part=st.sampled_from(["ovsdb.json", "southbound.json", "openflow.json", "sysfs.json", "netlink.json",
                             "daemons.json"]))
def test_any_json_in_any_part_never_escapes(tmp_path: Path, doc: object, part: str) -> None:
    name = {"ovsdb.json": "ovsdb", "southbound.json": "southbound", "openflow.json": "openflow",
            "sysfs.json": "sysfs", "netlink.json": "netlink", "daemons.json": "daemons"}[part]
    path = tmp_path / "b.tar.gz"
    path.write_bytes(tar_bytes({part: json.dumps(doc).encode()}, manifest=manifest_with(**{name: "read"})))
    try:
        read_bundle(path)
    except BundleInvalid:
        pass


def test_southbound_rows_survive_a_round_trip() -> None:
    assert SNAP.southbound.value is not None
    from mvcore.ovsdb_rows import sb_plain
    assert sb_state(sb_plain(SNAP.southbound.value)) == SNAP.southbound.value
    assert SAVED.exists()
