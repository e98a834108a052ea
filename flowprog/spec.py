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

Every mistake is a :class:`SpecError` naming the line it is on.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mvcore.errors import UsageError

__all__ = ["VtepSpec", "NodeSpec", "SpecError", "load_spec", "parse_spec"]

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

    def fail(index: int | None, key: str, message: str) -> SpecError:
        return SpecError(f"{where}:{line_of(text, index, key)}: {message}")

    unknown = set(doc) - {"vtep", "default_vtep"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(None, key, f"unknown key {key!r}")
    raw = doc.get("vtep", [])
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{where}: no [[vtep]] table", hint="each PF with a VTEP needs a [[vtep]] table")
    vteps = [_vtep(i, v, fail) for i, v in enumerate(raw)]
    for attr, what in (("ip", "VTEP IP"), ("pf", "PF"), ("interface", "interface"), ("table", "table")):
        seen: dict[Any, int] = {}
        for i, v in enumerate(vteps):
            value = getattr(v, attr)
            if value in seen:
                raise fail(i, attr, f"{what} {value} is also in [[vtep]] {seen[value] + 1}")
            seen[value] = i
    default = doc.get("default_vtep")
    if default is not None and default not in {v.ip for v in vteps}:
        raise fail(None, "default_vtep", f"default_vtep {default} is not one of the VTEP IPs")
    return NodeSpec(tuple(vteps), default)


def _vtep(i: int, v: Any, fail: Any) -> VtepSpec:
    if not isinstance(v, dict):
        raise fail(i, "pf", "[[vtep]] must be a table")
    for key in sorted(set(v) - _KEYS):
        raise fail(i, key, f"unknown key {key!r} in [[vtep]]")
    for key in ("pf", "interface", "ip", "table", "overlay", "gateway"):
        if key not in v:
            raise fail(i, "pf", f"[[vtep]] {i + 1} has no {key}")
    for key in ("pf", "interface"):
        if not isinstance(v[key], str) or not _NAME.match(v[key]):
            raise fail(i, key, f"{key} {v[key]!r} is not an interface name")
    try:
        iface = ipaddress.ip_interface(str(v["ip"]))
    except ValueError:
        raise fail(i, "ip", f"ip {v['ip']!r} is not ADDRESS/PREFIX") from None
    if "/" not in str(v["ip"]) or iface.version != 4:
        raise fail(i, "ip", f"ip {v['ip']!r} must be an IPv4 ADDRESS/PREFIX")
    if iface.ip in (iface.network.network_address, iface.network.broadcast_address) and iface.network.prefixlen < 31:
        raise fail(i, "ip", f"ip {v['ip']} is the network or broadcast address of its prefix")
    try:
        overlay = ipaddress.ip_network(str(v["overlay"]), strict=True)
    except ValueError as e:
        raise fail(i, "overlay", f"overlay {v['overlay']!r} is not a network: {e}") from None
    try:
        gateway = ipaddress.ip_address(str(v["gateway"]))
    except ValueError:
        raise fail(i, "gateway", f"gateway {v['gateway']!r} is not an address") from None
    if gateway not in iface.network:
        raise fail(i, "gateway", f"gateway {gateway} is outside the VTEP's prefix {iface.network}")
    if gateway == iface.ip:
        raise fail(i, "gateway", f"gateway {gateway} is the VTEP IP itself")
    table = v["table"]
    if not isinstance(table, int) or isinstance(table, bool) or not 1 <= table <= 0xFFFFFFFF or table in (
            253, 254, 255):
        raise fail(i, "table", f"table {table!r} must be a number other than 253-255 (default, main, local)")
    priority = v.get("priority", table)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority < 32766:
        raise fail(i, "priority", f"priority {priority!r} must be between 1 and 32765")
    reps = v.get("representors", [])
    if not isinstance(reps, list) or not all(isinstance(r, str) and r for r in reps):
        raise fail(i, "representors", "representors must be a list of name patterns")
    return VtepSpec(v["pf"], v["interface"], str(iface.ip), iface.network.prefixlen, table, str(overlay),
                    str(gateway), priority, tuple(reps))


def load_spec(path: Path) -> NodeSpec:
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(f"cannot read spec {path}: {e.strerror}") from e
    return parse_spec(text, str(path))
