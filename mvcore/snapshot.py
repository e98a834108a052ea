"""One node, read once: the raw answers of every source, frozen.

A :class:`NodeSnapshot` is what ``verify``, ``paths``, ``watch``,
``preflight``, ``plan`` and ``show`` are pure functions of, and what
``mvtep collect`` writes to a support bundle.  It keeps each source's answer
as close to the wire as it exists, so the same decoding code runs on a live
node and on a bundle read a year later:

* OVSDB: typed rows (:mod:`mvcore.ovsdb_rows`), Open_vSwitch and southbound;
* OpenFlow: the flow-stats multipart reply bodies, bytes as the switch sent them;
* sysfs: every file, link and directory the hardware discovery looked at;
* netlink: the kernel's reply messages per request, bytes with their
  ``nlmsghdr`` (rtnetlink: links, addresses, rules, routes, route lookups,
  neighbours, TC filters; generic netlink: devlink; nfnetlink: the
  conntrack table), keyed by :class:`Key`;
* ethtool: the feature bits of each netdev, and the statistics of the VF
  representors (``ethtool -S``: names and values, sampled twice to give a
  rate; ioctls, no messages);
* sysctls: the text of per-interface network parameters (``/proc/sys/net``)
  in the namespace holding the VTEP devices;
* ovs-vswitchd: the datapath flows (``dpctl/dump-flows -m`` text) and its
  answers to the ``ofproto/trace`` requests a command made (text, by request);
* the daemons: their versions, ovs-vswitchd's flow offload state
  (``dpif/offload/show``) and the tails of their logs.

Every part is a :class:`~mvcore.reading.Reading`: what could not be read
says why, and stays unread all the way to the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mvcore.ovsdb_rows import OvsState, SbRows
from mvcore.reading import Reading

__all__ = [
    "FlowDump", "SysfsEntry", "SysfsRecord", "NetlinkAnswer", "FeatureBits", "StatsSample", "NetdevStats",
    "HostState", "DaemonState", "NodeSnapshot", "Key",
]


@dataclass(frozen=True, slots=True)
class FlowDump:
    """A bridge's flows as the switch sent them in flow-stats replies."""

    bridge: str
    version: int  # OpenFlow wire version: 4 (1.3) or 6 (1.5)
    tables: tuple[int, ...] | None  # the tables asked for, in order; None: every table
    replies: tuple[bytes, ...]  # multipart reply bodies after the multipart header, in arrival order


@dataclass(frozen=True, slots=True)
class SysfsEntry:
    """One sysfs path as it was found: a file's text, a link's target, a
    directory's names, or the error reading it gave."""

    kind: str  # "file", "link", "dir", "missing" (ENOENT and the kernel's "no value" errors), "error"
    text: str = ""  # file: its content (one page at most); link: its target; error: the errno name
    names: tuple[str, ...] = ()  # dir: its entries, sorted


@dataclass(frozen=True, slots=True)
class SysfsRecord:
    """The part of sysfs the hardware discovery read, keyed by path as the host names it (``/sys/...``)."""

    root: str  # where it was read from: "/" on a live node, a directory holding a copy's sys/
    entries: Mapping[str, SysfsEntry]


@dataclass(frozen=True, slots=True)
class NetlinkAnswer:
    """The kernel's reply to one netlink request: its messages (each with its
    ``nlmsghdr``, concatenated as they arrived), or the errno name it refused with."""

    messages: bytes = b""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FeatureBits:
    """One ethtool feature of a netdev (``ETHTOOL_GFEATURES``, uapi linux/ethtool.h)."""

    available: bool  # in hw_features: the user may change it
    requested: bool
    active: bool
    never_changed: bool


@dataclass(frozen=True, slots=True)
class StatsSample:
    """The values of a netdev's statistics at one time (``ETHTOOL_GSTATS``)."""

    at: float  # seconds since the epoch
    values: tuple[int, ...]  # u64 each, in the order of the names


@dataclass(frozen=True, slots=True)
class NetdevStats:
    """``ethtool -S`` of a netdev: the ``ETH_SS_STATS`` string set and one or
    two samples of the values (two, oldest first, give a rate over the time
    between them).  Every sample holds one value per name."""

    names: tuple[str, ...]
    samples: tuple[StatsSample, ...]


@dataclass(frozen=True, slots=True)
class HostState:
    """The host side of a node: what netlink, ethtool and /proc/sys answered, in one namespace."""

    netns: str | None  # None: the namespace mvtep ran in
    netlink: Mapping[str, NetlinkAnswer] = field(default_factory=dict)  # Key -> answer
    ethtool: Mapping[str, Reading[FeatureBits]] = field(default_factory=dict)  # netdev -> hw-tc-offload
    # "net/ipv4/conf/vtep0/rp_filter" (the path under /proc/sys) -> its text
    sysctls: Mapping[str, Reading[str]] = field(default_factory=dict)
    stats: Mapping[str, Reading[NetdevStats]] = field(default_factory=dict)  # netdev -> ethtool -S


@dataclass(frozen=True, slots=True)
class DaemonState:
    """What the daemons say about themselves over their control sockets, their
    logs, and the file that names ovn-controller's chassis."""

    ovs_version: Reading[str] = field(default_factory=Reading)  # ovs-vswitchd's
    ovn_version: Reading[str] = field(default_factory=Reading)  # ovn-controller's
    logs: Mapping[str, Reading[str]] = field(default_factory=dict)  # "ovs-vswitchd" -> the log's tail
    # <OVN_SYSCONFDIR>/system-id-override, which ovn-controller prefers to external_ids:system-id:
    # its text, "" when there is no such file
    system_id_override: Reading[str] = field(default_factory=Reading)
    offload: Reading[str] = field(default_factory=Reading)  # ovs-vswitchd's dpif/offload/show (OVS >= 3.7)


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """Everything read from one node at one time (see the module docstring)."""

    taken_at: float  # seconds since the epoch
    bridge: str  # the integration bridge
    ovsdb: Reading[OvsState] = field(default_factory=Reading)
    openflow: Reading[FlowDump] = field(default_factory=Reading)
    southbound: Reading[SbRows] = field(default_factory=Reading)
    sysfs: Reading[SysfsRecord] = field(default_factory=Reading)
    host: Reading[HostState] = field(default_factory=Reading)
    datapath: Reading[str] = field(default_factory=Reading)  # dpctl/dump-flows -m of every datapath
    daemons: DaemonState = field(default_factory=DaemonState)
    privileged: bool | None = None  # read as root (some answers need CAP_NET_ADMIN); None: not known
    origin: str = "live"  # or "bundle <file>": where the answers came from
    traces: Mapping[str, Reading[str]] = field(default_factory=dict)  # ofproto/trace arguments -> answer

    def unreadable(self) -> tuple[tuple[str, str], ...]:
        """(source, why) for every part that was asked for and could not be read."""
        errors = [
            ("ovsdb", self.ovsdb.error), ("openflow", self.openflow.error), ("southbound", self.southbound.error),
            ("sysfs", self.sysfs.error), ("netlink", self.host.error), ("datapath flows", self.datapath.error),
            ("ovs-vswitchd version", self.daemons.ovs_version.error),
            ("ovn-controller version", self.daemons.ovn_version.error),
        ]
        return tuple((name, error) for name, error in errors if error is not None)


class Key:
    """The names of netlink requests in :attr:`HostState.netlink`: the
    producer (the gatherer) and the consumers (decoders) build them here."""

    LINKS = "links"  # RTM_GETLINK dump
    ADDRESSES = "addresses"  # RTM_GETADDR dump
    RULES = "rules"  # RTM_GETRULE dump, IPv4 and IPv6
    NEIGHBOURS = "neighbours"  # RTM_GETNEIGH dump
    CONNTRACK = "conntrack"  # IPCTNL_MSG_CT_GET dump, every family and zone

    @staticmethod
    def links_in(netns: str) -> str:
        """RTM_GETLINK dump of another network namespace (where a VTEP IP that is
        on no interface of the namespace read may be)."""
        return f"links@{netns}"

    @staticmethod
    def addresses_in(netns: str) -> str:
        """RTM_GETADDR dump of another network namespace."""
        return f"addresses@{netns}"

    @staticmethod
    def routes(table: int) -> str:
        """RTM_GETROUTE dump of one table."""
        return f"routes/{table}"

    @staticmethod
    def route_get(dst: str, src: str) -> str:
        """RTM_GETROUTE for ``ip route get <dst> from <src>``."""
        return f"route-get/{dst}/{src}"

    @staticmethod
    def tc_ingress(ifname: str) -> str:
        """RTM_GETTFILTER dump of a netdev's ingress hook."""
        return f"tc/{ifname}/ingress"

    @staticmethod
    def devlink_eswitch(pci: str) -> str:
        """DEVLINK_CMD_ESWITCH_GET for a PF."""
        return f"devlink/eswitch/{pci}"

    @staticmethod
    def devlink_info(pci: str) -> str:
        """DEVLINK_CMD_INFO_GET for a PF."""
        return f"devlink/info/{pci}"

    @staticmethod
    def devlink_param(pci: str, name: str) -> str:
        """DEVLINK_CMD_PARAM_GET of one parameter of a PF."""
        return f"devlink/param/{pci}/{name}"

    @staticmethod
    def parse(key: str) -> tuple[str, tuple[str, ...]]:
        """What a key built above names: (``"routes"``, (table,)),
        (``"route-get"``, (dst, src)), (``"tc"``, (ifname,)), (``"eswitch"``,
        (pci,)), (``"info"``, (pci,)), (``"param"``, (pci, name)); ("", ())
        for the others.  Each guess is checked by building the key again, so
        an ifname or PCI handle holding a "/" cannot be read as another kind.

        >>> Key.parse(Key.devlink_param("pci/0000:03:00.0", "esw_multiport"))
        ('param', ('pci/0000:03:00.0', 'esw_multiport'))
        """
        parts = key.split("/")
        guesses: list[tuple[str, tuple[str, ...], str]] = []
        if len(parts) == 2 and parts[1].isdigit():
            guesses.append(("routes", (parts[1],), Key.routes(int(parts[1]))))
        if len(parts) == 3:
            guesses += [("route-get", (parts[1], parts[2]), Key.route_get(parts[1], parts[2])),
                        ("tc", (parts[1],), Key.tc_ingress(parts[1]))]
        if len(parts) >= 3:  # a PCI handle may hold a "/" ("pci/0000:03:00.0")
            pci = "/".join(parts[2:])
            guesses += [("eswitch", (pci,), Key.devlink_eswitch(pci)), ("info", (pci,), Key.devlink_info(pci))]
        if len(parts) >= 4:
            pci, name = "/".join(parts[2:-1]), parts[-1]
            guesses.append(("param", (pci, name), Key.devlink_param(pci, name)))
        return next(((what, arg) for what, arg, again in guesses if again == key), ("", ()))
