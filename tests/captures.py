"""Published output of real mlx5 hosts (``tests/data/captures/*.txt``, each citing
its source), turned into what the kernel gives mvtep: a sysfs tree laid out as
the kernel lays it out (:mod:`tests.hwmodel`) and netlink replies byte for byte
(:mod:`tests.nlreplies`), so the production readers and checks run on them.

Each file holds ``#`` lines (the source; ``# pci <bdf> <device id> [key value]...``
for what the text implies about the PCI function, marked inferred where it is)
and ``$ command`` lines followed by that command's output, verbatim.  What is
translated, and by which kernel rule:

* ``devlink dev eswitch show``: ``mode``/``inline-mode``/``encap-mode`` (or the
  older ``encap enable|disable``) -> the ``ESWITCH_GET`` reply
  (``devlink_nl_eswitch_fill``);
* ``devlink port show``/``port add``: each port's netdev gets the
  ``phys_port_name`` devlink core builds from the port's attributes
  (``__devlink_port_phys_port_name_get``: physical ``p<port>``, PCI PF
  ``[c<C>]pf<P>``, VF ``[c<C>]pf<P>vf<V>``, SF ``[c<C>]pf<P>sf<S>``, the ``c``
  prefix when ``external``); an ``auxiliary/mlx5_core.sf.<N>`` port is the SF
  device's own netdev;
* ``tc -s filter show``: each filter with a handle -> one ``RTM_NEWTFILTER`` whose
  flower options carry the flags (``skip_sw``, ``skip_hw``, ``in_hw``,
  ``not_in_hw``) and ``in_hw_count`` printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tests import nlreplies
from tests.hwmodel import SysfsBuilder

DIR = Path(__file__).parent / "data" / "captures"
_ESWITCH = re.compile(r"(?P<handle>\S+): mode (?P<mode>\S+)(?: inline-mode (?P<inline>\S+))?"
                      r"(?: encap-mode (?P<encap>\S+)| encap (?P<old>enable|disable))?")
_PORT = re.compile(r"(?P<bus>pci|auxiliary)/(?P<dev>[^/]+)/\d+: type eth netdev (?P<netdev>\S+) (?P<rest>.*)")
_MODES = {"legacy": 0, "switchdev": 1, "switchdev_inactive": 2}
_INLINE = {"none": 0, "link": 1, "network": 2, "transport": 3}
_ENCAP = {"none": 0, "basic": 1, "disable": 0, "enable": 1}


@dataclass
class Capture:
    name: str
    facts: dict[str, str] = field(default_factory=dict)  # from "# pci ..."
    outputs: list[tuple[str, list[str]]] = field(default_factory=list)  # ($ command, its output lines)

    def output_of(self, command: str) -> list[str]:
        """Every output line of the commands starting with ``command``."""
        return [line for cmd, lines in self.outputs if cmd.startswith(command) for line in lines]


def load(name: str) -> Capture:
    cap = Capture(name)
    for line in (DIR / name).read_text().splitlines():
        if line.startswith("# pci "):
            bdf, device, *rest = line[6:].split()
            cap.facts |= {"pci": bdf, "device": device, **dict(zip(rest[::2], rest[1::2], strict=True))}
        elif line.startswith("$ "):
            cap.outputs.append((line[2:], []))
        elif not line.startswith("#") and cap.outputs:
            cap.outputs[-1][1].append(line)
    return cap


def eswitch_replies(cap: Capture) -> list[tuple[str, bytes]]:
    """Each ``devlink dev eswitch show`` answer: (PCI address, the ESWITCH_GET reply)."""
    out = []
    for line in cap.output_of("devlink dev eswitch show"):
        m = _ESWITCH.fullmatch(line.strip())
        assert m is not None, line
        encap = m["encap"] or m["old"]
        pci = m["handle"].split("/", 1)[1]
        out.append((pci, nlreplies.eswitch_reply(_MODES[m["mode"]], _INLINE.get(m["inline"] or ""),
                                                 None if encap is None else _ENCAP[encap], pci=pci)))
    return out


@dataclass(frozen=True)
class Port:
    bus: str
    device: str  # "0000:06:00.0", "mlx5_core.sf.4"
    netdev: str
    attrs: dict[str, str]

    @property
    def phys_port_name(self) -> str | None:
        """What devlink core prints for this port (net/devlink/port.c)."""
        a = self.attrs
        prefix = f"c{a['controller']}" if a.get("external") == "true" else ""
        flavour = a["flavour"]
        if flavour == "physical":
            return f"p{a['port']}"
        if flavour == "pcipf":
            return f"{prefix}pf{a['pfnum']}"
        if flavour == "pcivf":
            return f"{prefix}pf{a['pfnum']}vf{a['vfnum']}"
        if flavour == "pcisf":
            return f"{prefix}pf{a['pfnum']}sf{a['sfnum']}"
        return None  # virtual: a VF's or SF's own netdev has no phys_port_name


def ports(cap: Capture) -> list[Port]:
    out = []
    for line in cap.output_of("devlink port"):
        m = _PORT.fullmatch(line.strip())
        if m is None:
            continue
        words = m["rest"].split()
        out.append(Port(m["bus"], m["dev"], m["netdev"], dict(zip(words[::2], words[1::2], strict=False))))
    return out


def build_tree(cap: Capture, root: Path) -> SysfsBuilder:
    """The PF the capture is about, its uplink (given or from a physical port), and every port's netdev."""
    b = SysfsBuilder(root)
    pci, switch_id = cap.facts["pci"], cap.facts.get("switch-id")
    b.pf(pci, int(cap.facts["device"], 16), totalvfs=8, vf_device_id=int(cap.facts.get("vf-device", "0x101e"), 16))
    if "uplink" in cap.facts:
        b.netdev(pci, cap.facts["uplink"], phys_port_name="p0", phys_switch_id=switch_id)
    for i, vf in enumerate(cap.facts["vfs"].split(",") if "vfs" in cap.facts else []):
        b.vf(pci, i, bdf=vf)
    for port in ports(cap):
        if port.bus == "pci":
            b.netdev(port.device, port.netdev, phys_port_name=port.phys_port_name, phys_switch_id=switch_id)
    for port in ports(cap):
        if port.bus == "auxiliary":
            sfnum = next(p.attrs["sfnum"] for p in ports(cap) if p.attrs.get("flavour") == "pcisf")
            b.sf(pci, int(port.device.rsplit(".", 1)[1]), int(sfnum), netdev=port.netdev)
    return b


def tc_filters(cap: Capture, ifindex: int = 7) -> bytes:
    """The filters ``tc filter show`` printed, as the kernel's RTM_NEWTFILTER dump."""
    out = b""
    lines = cap.output_of("tc ")
    for i, line in enumerate(lines):
        m = re.match(r"filter protocol \S+ pref (\d+) flower chain \d+ handle (0x[0-9a-f]+)", line.strip())
        if m is None:
            continue
        block = []
        for more in lines[i + 1:]:
            if more.strip().startswith("filter "):
                break
            block.append(more.strip())
        flags = 0
        for word, bit in (("skip_hw", nlreplies.SKIP_HW), ("skip_sw", nlreplies.SKIP_SW),
                          ("in_hw", nlreplies.IN_HW), ("not_in_hw", nlreplies.NOT_IN_HW)):
            if any(line == word or line.startswith(word + " ") for line in block):
                flags |= bit
        count = next((int(w.split()[-1]) for w in block if w.startswith("in_hw in_hw_count")), 0)
        out += nlreplies.tfilter(int(m[2], 16), "flower", nlreplies.flower_options(flags or None, count),
                                 ifindex=ifindex, prio=int(m[1]))
    return out + nlreplies.done()
