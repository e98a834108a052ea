"""Support bundles: a node snapshot in one versioned file, and back.

``mvtep collect`` writes one; ``--from FILE`` reads one (or the older
``mvtep verify --save`` JSON).  The file is a gzip-compressed tar::

    manifest.json      format "mvtep-bundle", version, when, by what, and per part
                       whether it was read, failed (with why) or not asked
    ovsdb.json         Open_vSwitch rows, as OVSDB encodes them
    southbound.json    OVN southbound rows
    openflow.json      bridge, OpenFlow version, tables read
    openflow.bin       the flow-stats reply bodies, each after a 4-byte big-endian length
    sysfs.json         every sysfs file, link and directory the discovery read
    netlink.json       each netlink request's raw reply messages (hex) or errno; ethtool bits;
                       the /proc/sys/net parameters read; the VF representors' statistics
                       (ethtool -S: names and one or two samples)
    datapath.txt       dpctl/dump-flows -m
    traces.json        ofproto/trace answers (text) or why there is none, by request
    daemons.json       the daemons' versions and ovs-vswitchd's dpif/offload/show; ovn-controller's
                       system-id-override file
    logs/<daemon>.log  the tail of each daemon's log

A bundle is untrusted input (it comes from another machine, by mail): it
is never extracted; only regular members with the names above are read,
each under a size limit, and every value is type-checked before use.  Any
damage is a :class:`BundleInvalid` (one line, exit 2), never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import tarfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from flowprog.ofdecode import entries
from mvcore.errors import DecodeError, UsageError
from mvcore.ovsdb_rows import RowsInvalid, ovs_plain, ovs_state, sb_plain, sb_state
from mvcore.reading import Reading
from mvcore.snapshot import (DaemonState, FeatureBits, FlowDump, HostState, NetdevStats, NetlinkAnswer,
                             NodeSnapshot, StatsSample, SysfsEntry, SysfsRecord)

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "BundleInvalid", "write_bundle", "read_bundle", "MAX_FILE",
           "MAX_MEMBER"]

BUNDLE_FORMAT = "mvtep-bundle"
BUNDLE_VERSION = 1
MAX_FILE = 1 << 30  # a bundle file larger than 1 GiB is refused before it is opened
MAX_MEMBER = 512 << 20  # any one member larger than this (uncompressed) is refused
MAX_TOTAL = 1 << 30  # all members together, uncompressed
_LEGACY_MAX = 256 << 20  # the old verify --save JSON
_MEMBERS = frozenset({"manifest.json", "ovsdb.json", "southbound.json", "openflow.json", "openflow.bin",
                      "sysfs.json", "netlink.json", "datapath.txt", "traces.json", "daemons.json",
                      "logs/ovs-vswitchd.log", "logs/ovn-controller.log"})
_PARTS = ("ovsdb", "southbound", "openflow", "sysfs", "netlink", "datapath", "traces")
_SYSFS_KINDS = frozenset({"file", "link", "dir", "missing", "error"})
T = TypeVar("T")


class BundleInvalid(UsageError):
    """The file is not a bundle this mvtep can read: damaged, hostile, or from a newer mvtep."""

    code = "bundle-invalid"


# -- writing -------------------------------------------------------------------------


def _status(r: Reading[Any]) -> dict[str, Any]:
    return {"status": "read" if r.value is not None else "failed" if r.error is not None else "not-asked",
            "error": r.error}


def _frame(replies: tuple[bytes, ...]) -> bytes:
    return b"".join(struct.pack("!I", len(r)) + r for r in replies)


def write_bundle(snap: NodeSnapshot, path: Path, producer: str) -> None:
    """Write ``snap`` to ``path`` (replaced whole: written aside, then renamed)."""
    members: dict[str, bytes] = {}

    def put_json(name: str, doc: object) -> None:
        members[name] = json.dumps(doc, sort_keys=True).encode()

    if snap.ovsdb.value is not None:
        put_json("ovsdb.json", ovs_plain(snap.ovsdb.value))
    if snap.southbound.value is not None:
        put_json("southbound.json", sb_plain(snap.southbound.value))
    if snap.openflow.value is not None:
        dump = snap.openflow.value
        put_json("openflow.json", {"bridge": dump.bridge, "version": dump.version,
                                   "tables": None if dump.tables is None else list(dump.tables)})
        members["openflow.bin"] = _frame(dump.replies)
    if snap.sysfs.value is not None:
        rec = snap.sysfs.value
        put_json("sysfs.json", {"root": rec.root, "entries": {
            p: {"kind": e.kind, "text": e.text, "names": list(e.names)} for p, e in sorted(rec.entries.items())}})
    if snap.host.value is not None:
        host = snap.host.value
        put_json("netlink.json", {
            "netns": host.netns,
            "netlink": {k: {"hex": a.messages.hex(), "error": a.error} for k, a in sorted(host.netlink.items())},
            "ethtool": {k: {"bits": None if r.value is None else {
                "available": r.value.available, "requested": r.value.requested, "active": r.value.active,
                "never_changed": r.value.never_changed}, "error": r.error} for k, r in sorted(host.ethtool.items())},
            "sysctls": {k: _reading_json(r) for k, r in sorted(host.sysctls.items())},
            "stats": {k: {"names": list(r.value.names), "samples": [{"at": x.at, "values": list(x.values)}
                                                                   for x in r.value.samples]}
                      if r.value is not None else {"error": r.error} for k, r in sorted(host.stats.items())}})
    if snap.datapath.value is not None:
        members["datapath.txt"] = snap.datapath.value.encode()
    if snap.traces:
        put_json("traces.json", {k: _reading_json(r) for k, r in sorted(snap.traces.items())})
    d = snap.daemons
    put_json("daemons.json", {"ovs_version": _reading_json(d.ovs_version), "ovn_version": _reading_json(d.ovn_version),
                              "system_id_override": _reading_json(d.system_id_override),
                              "offload": _reading_json(d.offload), "logs": {k: r.error for k, r in d.logs.items()}})
    for daemon, log in d.logs.items():
        if log.value is not None and f"logs/{daemon}.log" in _MEMBERS:
            members[f"logs/{daemon}.log"] = log.value.encode()
    parts: dict[str, Reading[Any]] = {
        "ovsdb": snap.ovsdb, "southbound": snap.southbound, "openflow": snap.openflow, "sysfs": snap.sysfs,
        "netlink": snap.host, "datapath": snap.datapath,
        "traces": Reading.of(snap.traces) if snap.traces else Reading()}
    manifest = {
        "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "producer": producer, "bridge": snap.bridge,
        "taken_at": snap.taken_at, "privileged": snap.privileged,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(snap.taken_at)),
        "parts": {name: _status(r) for name, r in parts.items()},
        "members": {name: len(data) for name, data in sorted(members.items())},
    }
    members = {"manifest.json": json.dumps(manifest, indent=2, sort_keys=True).encode(), **members}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), int(snap.taken_at), 0o644
                tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from e


def _reading_json(r: Reading[str]) -> dict[str, Any]:
    return {"value": r.value, "error": r.error}


# -- reading -------------------------------------------------------------------------


def read_bundle(path: Path) -> NodeSnapshot:
    """The snapshot in bundle ``path`` (or in an old ``verify --save`` file)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise BundleInvalid(f"cannot read {path}: {e.strerror}") from e
    if not stat.S_ISREG(st.st_mode):
        raise BundleInvalid(f"{path} is not a regular file")
    if st.st_size > MAX_FILE:
        raise BundleInvalid(f"{path} is {st.st_size >> 20} MiB, more than a bundle can be ({MAX_FILE >> 20} MiB)")
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except OSError as e:
        raise BundleInvalid(f"cannot read {path}: {e.strerror}") from e
    if head[:1] == b"{":
        return _legacy(path, st.st_size)
    try:
        with tarfile.open(path, "r:*") as tar:
            members = _members(tar, path)
    except (tarfile.TarError, EOFError, OSError, ValueError, struct.error) as e:
        raise BundleInvalid(_line(f"{path} is not a mvtep bundle ({type(e).__name__}: {e})")) from e
    try:
        return _snapshot(members, path)
    except (RowsInvalid, ValueError, TypeError, KeyError, AttributeError) as e:
        raise BundleInvalid(_line(f"{path} is a damaged bundle: {e}")) from e


def _line(text: str) -> str:
    """One line of at most 300 characters (library messages can span lines)."""
    return " ".join(text.split())[:300]


def _members(tar: tarfile.TarFile, path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    total = 0
    for m in tar:
        if m.name not in _MEMBERS or not m.isfile():
            raise BundleInvalid(f"{path}: unexpected member {m.name[:80]!r}"
                                + ("" if m.isfile() else " (not a regular file)"))
        if m.name in out:
            raise BundleInvalid(f"{path}: member {m.name} appears twice")
        if m.size > MAX_MEMBER or total + m.size > MAX_TOTAL:
            raise BundleInvalid(f"{path}: member {m.name} is too large ({m.size >> 20} MiB)")
        f = tar.extractfile(m)
        data = f.read(m.size + 1) if f is not None else b""
        if len(data) != m.size:
            raise BundleInvalid(f"{path}: member {m.name} is truncated")
        total += m.size
        out[m.name] = data
    if "manifest.json" not in out:
        raise BundleInvalid(f"{path} is not a mvtep bundle (no manifest.json)")
    return out


def _json(members: Mapping[str, bytes], name: str) -> Any:
    try:
        return json.loads(members[name])
    except (ValueError, UnicodeDecodeError) as e:
        raise BundleInvalid(f"{name} is not JSON: {e}") from e


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{what} is {type(value).__name__}, not an object")
    return value


def _str_or_none(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{what} is {type(value).__name__}, not a string")
    return value


def _snapshot(members: Mapping[str, bytes], path: Path) -> NodeSnapshot:
    manifest = _obj(_json(members, "manifest.json"), "the manifest")
    if manifest.get("format") != BUNDLE_FORMAT:
        raise BundleInvalid(f"{path} is not a mvtep bundle (format {str(manifest.get('format'))[:40]!r})")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleInvalid(f"{path}: the manifest has no version")
    if version > BUNDLE_VERSION:
        raise BundleInvalid(f"{path} is bundle version {version}; this mvtep reads version {BUNDLE_VERSION}",
                            hint="read it with a newer mvtep")
    bridge = manifest.get("bridge")
    taken_at = manifest.get("taken_at")
    if not isinstance(bridge, str) or not isinstance(taken_at, (int, float)) or isinstance(taken_at, bool):
        raise TypeError("the manifest's bridge or taken_at is missing")
    parts = _obj(manifest.get("parts", {}), "the manifest's parts")
    privileged = manifest.get("privileged")
    if privileged is not None and not isinstance(privileged, bool):
        raise TypeError("the manifest's privileged is not a boolean")

    def part(name: str, member: str, load: Any) -> Reading[Any]:
        status = _obj(parts.get(name, {"status": "not-asked"}), f"part {name}")
        error = _str_or_none(status.get("error"), f"part {name}'s error")
        if status.get("status") == "read":
            if member not in members:
                raise BundleInvalid(f"{path}: part {name} is said read but {member} is missing")
            return Reading.of(load())
        if status.get("status") == "failed":
            return Reading.failed(error or "could not be read")
        return Reading()

    ovsdb = part("ovsdb", "ovsdb.json", lambda: ovs_state(_json(members, "ovsdb.json")))
    southbound = part("southbound", "southbound.json", lambda: sb_state(_json(members, "southbound.json")))
    openflow = part("openflow", "openflow.json", lambda: _flow_dump(members))
    sysfs = part("sysfs", "sysfs.json", lambda: _sysfs(_json(members, "sysfs.json")))
    host = part("netlink", "netlink.json", lambda: _host(_json(members, "netlink.json")))
    datapath = part("datapath", "datapath.txt", lambda: members["datapath.txt"].decode("utf-8", "replace"))
    traces = part("traces", "traces.json", lambda: _traces(_json(members, "traces.json")))
    daemons = _daemons(members)
    return NodeSnapshot(float(taken_at), bridge, ovsdb, openflow, southbound, sysfs, host, datapath, daemons,
                        privileged=privileged, origin=f"bundle {path}", traces=traces.value or {})


def _flow_dump(members: Mapping[str, bytes]) -> FlowDump:
    doc = _obj(_json(members, "openflow.json"), "openflow.json")
    bridge, version, tables = doc.get("bridge"), doc.get("version"), doc.get("tables")
    if not isinstance(bridge, str) or version not in (4, 6):
        raise TypeError("openflow.json has no bridge or a version other than 4 (1.3) and 6 (1.5)")
    if tables is not None and (not isinstance(tables, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) and 0 <= t <= 254 for t in tables)):
        raise TypeError("openflow.json's tables are not table numbers")
    data = members.get("openflow.bin", b"")
    replies, pos = [], 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("openflow.bin ends inside a length")
        (size,) = struct.unpack_from("!I", data, pos)
        if pos + 4 + size > len(data):
            raise ValueError("openflow.bin ends inside a reply")
        replies.append(data[pos + 4:pos + 4 + size])
        pos += 4 + size
    return FlowDump(bridge, version, None if tables is None else tuple(tables), tuple(replies))


def _sysfs(doc: Any) -> SysfsRecord:
    doc = _obj(doc, "sysfs.json")
    root = doc.get("root")
    entries = _obj(doc.get("entries"), "sysfs.json's entries")
    if not isinstance(root, str):
        raise TypeError("sysfs.json has no root")
    out = {}
    for p, e in entries.items():
        e = _obj(e, f"sysfs entry {p[:60]}")
        kind, text, names = e.get("kind"), e.get("text", ""), e.get("names", [])
        if kind not in _SYSFS_KINDS or not isinstance(text, str) or not isinstance(names, list) or not all(
                isinstance(n, str) for n in names):
            raise TypeError(f"sysfs entry {p[:60]} is misshapen")
        out[p] = SysfsEntry(kind, text, tuple(names))
    return SysfsRecord(root, out)


def _host(doc: Any) -> HostState:
    doc = _obj(doc, "netlink.json")
    netns = _str_or_none(doc.get("netns"), "netlink.json's netns")
    netlink = {}
    for key, a in _obj(doc.get("netlink", {}), "netlink.json's answers").items():
        a = _obj(a, f"netlink answer {key[:60]}")
        hexed = a.get("hex", "")
        if not isinstance(hexed, str):
            raise TypeError(f"netlink answer {key[:60]} is not hex")
        netlink[key] = NetlinkAnswer(bytes.fromhex(hexed), _str_or_none(a.get("error"), "a netlink error"))
    ethtool: dict[str, Reading[FeatureBits]] = {}
    for name, r in _obj(doc.get("ethtool", {}), "netlink.json's ethtool").items():
        r = _obj(r, f"ethtool answer {name[:60]}")
        bits = r.get("bits")
        if bits is None:
            ethtool[name] = Reading.failed(_str_or_none(r.get("error"), "an ethtool error") or "not read")
            continue
        bits = _obj(bits, f"ethtool bits of {name[:60]}")
        values = [bits.get(k) for k in ("available", "requested", "active", "never_changed")]
        flags = [v for v in values if isinstance(v, bool)]
        if len(flags) != 4:
            raise TypeError(f"ethtool bits of {name[:60]} are not booleans")
        ethtool[name] = Reading.of(FeatureBits(*flags))
    sysctls: dict[str, Reading[str]] = {}
    for name, r in _obj(doc.get("sysctls", {}), "netlink.json's sysctls").items():
        r = _obj(r, f"sysctl {name[:60]}")
        text, error = _str_or_none(r.get("value"), "a sysctl's value"), _str_or_none(r.get("error"), "a sysctl error")
        sysctls[name] = Reading.of(text) if text is not None else Reading.failed(error or "not read")
    stats: dict[str, Reading[NetdevStats]] = {}
    for name, r in _obj(doc.get("stats", {}), "netlink.json's stats").items():
        stats[name] = _stats(_obj(r, f"statistics of {name[:60]}"), name)
    return HostState(netns, netlink, ethtool, sysctls, stats)


def _stats(doc: dict[str, Any], name: str) -> Reading[NetdevStats]:
    """One netdev's statistics: names and samples of as many u64 values, or why they were not read."""
    if "names" not in doc:
        return Reading.failed(_str_or_none(doc.get("error"), "a statistics error") or "not read")
    names, samples = doc.get("names"), doc.get("samples")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not isinstance(samples, list):
        raise TypeError(f"statistics of {name[:60]} are misshapen")
    out = []
    for sample in samples:
        sample = _obj(sample, f"a statistics sample of {name[:60]}")
        at, values = sample.get("at"), sample.get("values")
        if (not isinstance(at, (int, float)) or isinstance(at, bool) or not isinstance(values, list)
                or len(values) != len(names) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                        and 0 <= v < 1 << 64 for v in values)):
            raise TypeError(f"a statistics sample of {name[:60]} is misshapen")
        out.append(StatsSample(float(at), tuple(values)))
    return Reading.of(NetdevStats(tuple(names), tuple(out)))


def _traces(doc: Any) -> dict[str, Reading[str]]:
    out = {}
    for key, r in _obj(doc, "traces.json").items():
        r = _obj(r, f"trace {key[:60]}")
        out[key] = Reading(_str_or_none(r.get("value"), "a trace"), _str_or_none(r.get("error"), "a trace error"))
    return out


def _daemons(members: Mapping[str, bytes]) -> DaemonState:
    if "daemons.json" not in members:
        return DaemonState()
    doc = _obj(_json(members, "daemons.json"), "daemons.json")

    def reading(key: str) -> Reading[str]:
        r = _obj(doc.get(key, {}), key)
        return Reading(_str_or_none(r.get("value"), key), _str_or_none(r.get("error"), key))

    logs: dict[str, Reading[str]] = {}
    for daemon, error in _obj(doc.get("logs", {}), "daemons.json's logs").items():
        member = f"logs/{daemon}.log"
        if member in members:
            logs[daemon] = Reading.of(members[member].decode("utf-8", "replace"))
        else:
            logs[daemon] = Reading.failed(_str_or_none(error, "a log error") or "not collected")
    return DaemonState(reading("ovs_version"), reading("ovn_version"), logs,
                       system_id_override=reading("system_id_override"), offload=reading("offload"))


# -- the old verify --save file ----------------------------------------------------------


def _legacy(path: Path, size: int) -> NodeSnapshot:
    """``mvtep verify --save`` before bundles: one JSON document, kind "verify-snapshot", schema 1."""
    if size > _LEGACY_MAX:
        raise BundleInvalid(f"{path} is too large for a verify snapshot")
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise BundleInvalid(f"{path} is neither a bundle nor a verify snapshot (not JSON)") from e
    if not isinstance(doc, dict) or doc.get("kind") != "verify-snapshot":
        raise BundleInvalid(f"{path} is neither a bundle nor a verify snapshot")
    if doc.get("schema") != 1:
        raise BundleInvalid(f"{path} is a verify snapshot of schema {str(doc.get('schema'))[:20]}; this mvtep "
                            "reads schema 1")
    try:
        version = doc["openflow_version"]
        if version not in (4, 6):
            raise ValueError(f"OpenFlow version {version!r}")
        table0 = [bytes.fromhex(h) for h in doc["table0"]]
        remote = [bytes.fromhex(h) for h in doc["remote_output"]]
        # Each saved item is one flow entry: a reply body holding one flow.
        tables = (0, *sorted({e.table for b in remote for e in entries(version, b)}))
        ovsdb = ovs_state(doc["ovs"])
        sb = Reading.of(sb_state(doc["sb"])) if doc["sb"] is not None else Reading[Any].failed(
            str(doc.get("sb_error") or "not read"))
        return NodeSnapshot(0.0, str(doc["bridge"]), Reading.of(ovsdb),
                            Reading.of(FlowDump(str(doc["bridge"]), version, tables, (*table0, *remote))), sb,
                            origin=f"verify snapshot {path}")
    except (KeyError, TypeError, ValueError, RowsInvalid, DecodeError) as e:
        raise BundleInvalid(_line(f"{path} is a damaged verify snapshot ({type(e).__name__}: {e})")) from e
