"""The node spec of ``mvtep plan`` / ``mvtep apply``: a TOML file, validated.

    default_vtep = "10.0.0.1"        # optional: ovn-encap-ip-default

    [[vtep]]
    pf = "enp1s0f0"                  # the PF's uplink, as ovn-pf-encap-ip-mapping names it
    interface = "vtep0"              # the VTEP interface holding the address
    ip = "10.0.0.1/23"               # VTEP IP and prefix
    table = 6081                     # its policy-routing table
    overlay = "10.1.0.0/16"          # where the remote VTEPs are
    gateway = "10.0.1.254"           # next hop towards them, inside the VTEP's subnet
    priority = 6081                  # optional: the ip rule's priority (default: the table id)
    representors = ["enp1s0f0_*"]    # optional: VF representors of this PF by name pattern,
                                     # for nodes without the NICs (labs); else found in sysfs

Every mistake is a :class:`SpecError` naming the line it is on, raised before
anything reads the node: a spec is read only when it is a regular file of at
most :data:`MAX_SPEC_BYTES`, holds UTF-8, and has at most :data:`MAX_VTEPS`
VTEPs, so a wrong path (``/dev/zero``) or a generated file gone wrong is one
line, not a process eating memory or reading thousands of routing tables.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mvcore.errors import UsageError

__all__ = ["VtepSpec", "NodeSpec", "SpecError", "load_spec", "read_spec", "parse_spec", "MAX_SPEC_BYTES",
           "MAX_VTEPS"]

MAX_SPEC_BYTES = 1 << 20  # a spec of MAX_VTEPS tables is about 64 KiB
MAX_VTEPS = 256  # VTEPs (PFs) one node can have; far more than any server has NICs

_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,15}$")  # a Linux interface name (IFNAMSIZ - 1)
_KEYS = {"pf", "interface", "ip", "table", "overlay", "gateway", "priority", "representors"}


class SpecError(UsageError):
    code = "spec-invalid"


@dataclass(frozen=True, slots=True)
class VtepSpec:
    pf: str
    interface: str
    ip: str  # "10.0.0.1"
    prefixlen: int
    table: int
    overlay: str  # "10.1.0.0/16"
    gateway: str
    priority: int
    representors: tuple[str, ...] = ()

    @property
    def subnet(self) -> str:
        return str(ipaddress.ip_network(f"{self.ip}/{self.prefixlen}", strict=False))


@dataclass(frozen=True, slots=True)
class NodeSpec:
    vteps: tuple[VtepSpec, ...]
    default_vtep: str | None = None

    def vtep_of_pf(self, pf: str) -> VtepSpec | None:
        return next((v for v in self.vteps if v.pf == pf), None)


def line_of(text: str, index: int | None, key: str) -> int:
    """The line of ``key`` (in the ``index``-th [[vtep]] table, or at top level)."""
    lines = text.splitlines()
    start = 0
    if index is not None:
        headers = [i for i, ln in enumerate(lines) if ln.strip().startswith("[[vtep]]")]
        if index < len(headers):
            start = headers[index]
    for i in range(start, len(lines)):
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1


def parse_spec(text: str, where: str = "spec") -> NodeSpec:
    """Parse and validate; raises SpecError naming ``where:line``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{where}: {e}") from e
    except RecursionError as e:  # tomllib recurses once per nested array or inline table
        raise SpecError(f"{where}: arrays or tables nested too deeply") from e

    def fail(index: int | None, key: str, message: str) -> SpecError:
        return SpecError(f"{where}:{line_of(text, index, key)}: {message}")

    unknown = set(doc) - {"vtep", "default_vtep"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(None, key, f"unknown key {key!r}")
    raw = doc.get("vtep", [])
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{where}: no [[vtep]] table", hint="each PF with a VTEP needs a [[vtep]] table")
    if len(raw) > MAX_VTEPS:
        raise fail(MAX_VTEPS, "pf", f"{len(raw)} [[vtep]] tables: a node has at most {MAX_VTEPS} VTEPs")
    vteps = [_vtep(i, v, fail) for i, v in enumerate(raw)]
    for attr, what in (("ip", "VTEP IP"), ("pf", "PF"), ("interface", "interface"), ("table", "table")):
        seen: dict[Any, int] = {}
        for i, v in enumerate(vteps):
            value = getattr(v, attr)
            if value in seen:
                raise fail(i, attr, f"{what} {value} is also in [[vtep]] {seen[value] + 1}")
            seen[value] = i
    default = doc.get("default_vtep")
    if default is not None and not isinstance(default, str):
        raise fail(None, "default_vtep", f"default_vtep {default!r} must be a string, one of the VTEP IPs")
    if default is not None and default not in {v.ip for v in vteps}:
        raise fail(None, "default_vtep", f"default_vtep {default} is not one of the VTEP IPs")
    return NodeSpec(tuple(vteps), default)


# What each [[vtep]] key must hold, as TOML types: mistakes of type are named
# as such, before any value is interpreted ("table = "6081"" is not a table id).
_TYPES: dict[str, tuple[type, str]] = {
    "pf": (str, "a string"), "interface": (str, "a string"), "ip": (str, "a string like \"10.0.0.1/23\""),
    "table": (int, "a number"), "overlay": (str, "a string like \"10.1.0.0/16\""),
    "gateway": (str, "a string like \"10.0.1.254\""), "priority": (int, "a number"),
    "representors": (list, "a list of name patterns"),
}


def _vtep(i: int, v: Any, fail: Any) -> VtepSpec:
    if not isinstance(v, dict):
        raise fail(i, "pf", "[[vtep]] must be a table")
    for key in sorted(set(v) - _KEYS):
        raise fail(i, key, f"unknown key {key!r} in [[vtep]]")
    for key in ("pf", "interface", "ip", "table", "overlay", "gateway"):
        if key not in v:
            raise fail(i, "pf", f"[[vtep]] {i + 1} has no {key}")
    for key, (kind, words) in _TYPES.items():
        if key in v and (not isinstance(v[key], kind) or isinstance(v[key], bool)):
            raise fail(i, key, f"{key} {v[key]!r} must be {words}")
    for key in ("pf", "interface"):
        if not _NAME.match(v[key]):
            raise fail(i, key, f"{key} {v[key]!r} is not an interface name")
    try:
        iface = ipaddress.ip_interface(v["ip"])
    except ValueError:
        raise fail(i, "ip", f"ip {v['ip']!r} is not ADDRESS/PREFIX") from None
    if "/" not in v["ip"] or iface.version != 4:
        raise fail(i, "ip", f"ip {v['ip']!r} must be an IPv4 ADDRESS/PREFIX")
    if iface.ip in (iface.network.network_address, iface.network.broadcast_address) and iface.network.prefixlen < 31:
        raise fail(i, "ip", f"ip {v['ip']} is the network or broadcast address of its prefix")
    try:
        overlay = ipaddress.ip_network(v["overlay"], strict=True)
    except ValueError as e:
        raise fail(i, "overlay", f"overlay {v['overlay']!r} is not a network: {e}") from None
    if overlay.version != iface.version:
        # The kernel refuses an IPv6 route through an IPv4 gateway only when it
        # is written, after the OVSDB transaction: say so before anything is.
        raise fail(i, "overlay", f"overlay {overlay} is IPv{overlay.version}, the VTEP IP {iface.ip} is "
                   f"IPv{iface.version}")
    try:
        gateway = ipaddress.ip_address(v["gateway"])
    except ValueError:
        raise fail(i, "gateway", f"gateway {v['gateway']!r} is not an address") from None
    if gateway not in iface.network:
        raise fail(i, "gateway", f"gateway {gateway} is outside the VTEP's prefix {iface.network}")
    if gateway == iface.ip:
        raise fail(i, "gateway", f"gateway {gateway} is the VTEP IP itself")
    table: int = v["table"]
    if not 1 <= table <= 0xFFFFFFFF or table in (253, 254, 255):
        raise fail(i, "table", f"table {table!r} must be a number other than 253-255 (default, main, local)")
    priority: int = v.get("priority", table)
    if not 1 <= priority < 32766:
        raise fail(i, "priority", f"priority {priority!r} must be between 1 and 32765")
    reps = v.get("representors", [])
    if not all(isinstance(r, str) and r for r in reps):
        raise fail(i, "representors", "representors must be a list of name patterns")
    return VtepSpec(v["pf"], v["interface"], str(iface.ip), iface.network.prefixlen, table, str(overlay),
                    str(gateway), priority, tuple(reps))


def read_spec(path: Path) -> str:
    """The text of the spec at ``path``: a regular file of at most
    :data:`MAX_SPEC_BYTES` holding UTF-8, checked before it is read whole."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it has no
        # effect on the regular file read below).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as f:
            st = os.fstat(fd)  # of what was opened, not of what the name points to later
            if not stat.S_ISREG(st.st_mode):
                raise SpecError(f"{path} is not a regular file", hint="the spec is a TOML file")
            if st.st_size > MAX_SPEC_BYTES:
                raise SpecError(f"{path} is {st.st_size} bytes; a spec is at most {MAX_SPEC_BYTES} bytes")
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise SpecError(f"cannot read spec {path}: {e.strerror}") from e
    if len(data) > MAX_SPEC_BYTES:  # it grew while being read
        raise SpecError(f"{path} is larger than {MAX_SPEC_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SpecError(f"{path}:{line}: not UTF-8 (byte 0x{data[e.start]:02x})") from e


def load_spec(path: Path) -> NodeSpec:
    return parse_spec(read_spec(path), str(path))
