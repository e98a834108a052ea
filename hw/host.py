"""The host side of a node: read in one go, decoded once.

:class:`HostReader` asks the kernel what a command needs (rtnetlink in one
namespace over one long-lived socket, devlink and ethtool) and returns the
raw answers (and the text of ``/proc/sys/net`` parameters, :mod:`hw.sysctl`) as a
:class:`~mvcore.snapshot.HostState`, the part of a node
snapshot a support bundle keeps.  :func:`host_view` decodes such a state,
live or recorded, into a :class:`HostView`: every part either decoded or
carrying why it could not be.  :func:`eswitch_of` is the one place that
decides a PF's e-switch mode.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from hw import devlink
from hw.conntrack import ConntrackReader, ZoneConntrack, zones
from hw.devlink import ParamValue
from hw.ethstats import StatsReader
from hw.ethtool import features_of, read_features_each
from hw.model import DevInfo, EswitchState, Features, PhysicalFunction
from hw.netns import Closing
from hw.sysctl import read_sysctls
from hw.routing import (
    Link, NetlinkReader, decode_addresses, decode_links, decode_neighbours, decode_route_answer, decode_routes,
    decode_rules, decode_tc,
)
from hw.tcflower import TcOffload
from mvcore.errors import Unavailable
from mvcore.reading import Reading
from mvcore.routes import Neighbour, Route, RouteAnswer, Rule
from mvcore.snapshot import FeatureBits, HostState, Key, NetdevStats, NetlinkAnswer, StatsSample

__all__ = ["HostRequests", "HostReader", "HostView", "host_view", "eswitch_of", "NOT_READ", "read_elsewhere",
           "namespace_holding"]

NOT_READ = "not read"


@dataclass(frozen=True, slots=True)
class HostRequests:
    """What to read: links, addresses and rules (``base``), and the rest as asked."""

    base: bool = True  # links, addresses and rules; a second read in one refresh can skip them
    route_gets: tuple[tuple[str, str], ...] = ()  # (dst, src): ip route get <dst> from <src>
    tables: tuple[int, ...] = ()  # routing tables to dump
    tc_ingress: tuple[str, ...] = ()  # netdevs whose ingress TC filters to dump
    ethtool: tuple[str, ...] = ()  # netdevs whose hw-tc-offload to read
    devlink: tuple[str, ...] = ()  # PF PCI addresses to ask the e-switch mode and device info of
    params: tuple[tuple[str, str], ...] = ()  # (PF PCI, devlink parameter name) to ask
    sysctls: tuple[str, ...] = ()  # /proc/sys/net paths to read in netns: "net/ipv4/conf/vtep0/rp_filter"
    neighbours: bool = False
    stats: tuple[str, ...] = ()  # netdevs whose statistics to read (ethtool -S), one sample each
    conntrack: bool = False  # the conntrack table of netns


class HostReader(Closing):
    """The host's answers in ``netns`` (this namespace when None), over one
    rtnetlink socket kept open between reads (see :class:`~hw.routing.NetlinkReader`).

    devlink is asked in this process's namespace, where the PCI devices'
    devlink instances are; ethtool, conntrack and the sysctls in ``netns``, where the netdevs are.
    """

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._netlink = NetlinkReader(netns)
        self._stats = StatsReader(netns)
        self._conntrack = ConntrackReader(netns)

    def close(self) -> None:
        self._netlink.close()
        self._stats.close()
        self._conntrack.close()

    def forget(self) -> None:
        """Read the statistics' names again (a netdev may have been replaced under its name)."""
        self._stats.forget()

    def read(self, requests: HostRequests) -> HostState:
        """Links, addresses and rules (unless not ``base``), and what ``requests`` asks; raises
        :class:`mvcore.errors.Unavailable` only when no socket can be opened."""
        nl = self._netlink
        answers = {Key.LINKS: nl.links(), Key.ADDRESSES: nl.addresses(), Key.RULES: nl.rules()} if requests.base else {}
        answers |= {Key.routes(t): nl.routes(t) for t in requests.tables}
        answers |= {Key.route_get(dst, src): nl.route_get(dst, src) for dst, src in requests.route_gets}
        if requests.tc_ingress:
            links = decode_links(answers[Key.LINKS]).value if Key.LINKS in answers else None
            answers |= {Key.tc_ingress(n): found for n, found in nl.tc_ingress_each(requests.tc_ingress, links).items()}
        if requests.neighbours:
            answers[Key.NEIGHBOURS] = nl.neighbours()
        if requests.conntrack:
            answers[Key.CONNTRACK] = self._conntrack.dump()
        for pci in requests.devlink:
            answers[Key.devlink_eswitch(pci)] = devlink.ask_eswitch(pci)
            answers[Key.devlink_info(pci)] = devlink.ask_info(pci)
        answers |= {Key.devlink_param(pci, name): devlink.ask_param(pci, name) for pci, name in requests.params}
        ethtool = read_features_each(dict.fromkeys(requests.ethtool), self.netns)  # one socket for all
        sysctls = read_sysctls(requests.sysctls, self.netns) if requests.sysctls else {}
        stats = {n: self._sample(n) for n in requests.stats}
        return HostState(netns=self.netns, netlink=answers, ethtool=ethtool, sysctls=sysctls, stats=stats)

    def _sample(self, netdev: str) -> Reading[NetdevStats]:
        found = self._stats.read(netdev)
        if found.value is None:
            return Reading.failed(found.error or "not read")
        names, values = found.value
        return Reading.of(NetdevStats(names, (StatsSample(time.time(), values),)))


@dataclass(frozen=True, slots=True)
class HostView:
    """A :class:`~mvcore.snapshot.HostState` decoded.

    Parts that were asked and could not be read say why (``Reading.error``,
    ``RouteAnswer.error``, ``TcOffload.error``, ``Features.error``,
    ``EswitchState.error``); parts that were not asked are absent from the
    mappings, and :attr:`unasked` says why when one is looked up.
    """

    netns: str | None
    links: Reading[Mapping[str, Link]]
    addresses: Reading[Mapping[str, tuple[str, int, str]]]  # ip -> (ifname, prefixlen, "ipv4"/"ipv6")
    rules: Reading[tuple[Rule, ...]]
    routes: Mapping[int, Reading[tuple[Route, ...]]] = field(default_factory=dict)  # table -> its routes
    route_answers: Mapping[tuple[str, str], RouteAnswer] = field(default_factory=dict)  # (dst, src) -> answer
    tc: Mapping[str, TcOffload] = field(default_factory=dict)  # netdev -> its ingress flower filters
    features: Mapping[str, Features] = field(default_factory=dict)  # netdev -> hw-tc-offload
    devlink: Mapping[str, EswitchState] = field(default_factory=dict)  # PF PCI -> devlink's answer (see eswitch_of)
    info: Mapping[str, Reading[DevInfo]] = field(default_factory=dict)  # PF PCI -> devlink's device info
    params: Mapping[tuple[str, str], Reading[ParamValue]] = field(default_factory=dict)  # (PCI, name)
    sysctls: Mapping[str, Reading[str]] = field(default_factory=dict)  # /proc/sys path -> text
    unasked: str = NOT_READ  # why devlink and ethtool have no answer for what they were not asked
    stats: Mapping[str, Reading[NetdevStats]] = field(default_factory=dict)  # netdev -> ethtool -S samples
    neighbours: Reading[tuple[Neighbour, ...]] = field(default_factory=Reading)  # not asked: Reading()
    conntrack: Reading[Mapping[int, ZoneConntrack]] = field(default_factory=Reading)  # zone -> its connections

    def devlink_eswitch(self, pci: str) -> EswitchState:
        """devlink's answer for PF ``pci``; unknown, saying why, when it was not asked."""
        return self.devlink.get(pci) or EswitchState("unknown", error=self.unasked)

    def features_of(self, netdev: str) -> Features:
        """``hw-tc-offload`` of ``netdev``; unknown, saying why, when it was not asked."""
        return self.features.get(netdev) or Features(None, error=self.unasked)

    def param(self, pci: str, name: str) -> object:
        """A devlink parameter's value for PF ``pci``; None when unread or unknown."""
        found = self.params.get((pci, name))
        return None if found is None else found.value


def read_elsewhere(netns: str | None, most: int = 16) -> dict[str, NetlinkAnswer]:
    """Links and addresses of the other namespaces ``ip netns`` knows (at most
    ``most``): where a VTEP IP missing from ``netns`` may be.  A namespace
    that cannot be read is left out."""
    from hw.netns import names

    out: dict[str, NetlinkAnswer] = {}
    for name in [n for n in names() if n != netns][:most]:
        try:
            with NetlinkReader(name) as reader:
                links, addresses = reader.links(), reader.addresses()
        except Unavailable:
            continue
        out[Key.links_in(name)], out[Key.addresses_in(name)] = links, addresses
    return out


def namespace_holding(state: HostState, ip: str) -> tuple[str, ...]:
    """The other namespaces whose interfaces hold ``ip``, among those a
    :func:`read_elsewhere` recorded in ``state``."""
    out = []
    for key in sorted(state.netlink):
        if not key.startswith("addresses@"):
            continue
        name = key.removeprefix("addresses@")
        links = decode_links(state.netlink.get(Key.links_in(name), NetlinkAnswer(error=NOT_READ)))
        found = decode_addresses(state.netlink[key], links.value or {})
        if found.value is not None and ip in found.value:
            out.append(name)
    return tuple(out)


def eswitch_of(pf: PhysicalFunction, view: HostView) -> EswitchState:
    """The e-switch mode of ``pf``: devlink's answer; else MLNX_OFED's
    ``compat/devlink/mode`` file, which that driver stack offers where
    devlink cannot answer (``eswitch_devlink_compat.c``); else unknown, with
    devlink's reason (or, when devlink was not asked, the view's)."""
    state = view.devlink_eswitch(pf.pci)
    if state.mode == "unknown" and pf.compat_mode in ("legacy", "switchdev"):
        return EswitchState(pf.compat_mode, source="compat")
    return state


def _answer(found: object) -> NetlinkAnswer:
    """An answer as stored, or an unreadable one when a damaged record holds something else."""
    if (isinstance(found, NetlinkAnswer) and isinstance(found.messages, bytes)
            and (found.error is None or isinstance(found.error, str))):
        return found
    return NetlinkAnswer(error="damaged record")


def _bits(found: object) -> Reading[FeatureBits]:
    if isinstance(found, Reading) and (found.value is None or isinstance(found.value, FeatureBits)):
        return found
    return Reading.failed("damaged record")


def _info(answer: NetlinkAnswer) -> Reading[DevInfo]:
    found = devlink.decode_info(answer)
    if found is not None:
        return Reading.of(found)
    return Reading.failed(devlink.unanswered(answer, devlink.CMD_INFO_GET) or "no usable device info")


_last_view: list[tuple[HostState, str, HostView]] = []  # the last decode: a live view decodes one state twice


def host_view(state: HostState, *, unasked: str = NOT_READ) -> HostView:
    """Decode ``state`` (see :func:`_decode`), once: the same state object
    again gives the same view without decoding it again."""
    if _last_view and _last_view[0][0] is state and _last_view[0][1] == unasked:
        return _last_view[0][2]
    view = _decode(state, unasked=unasked)
    _last_view[:] = [(state, unasked, view)]
    return view


def _decode(state: HostState, *, unasked: str = NOT_READ) -> HostView:
    """Decode everything in ``state`` once.  ``unasked`` is why devlink and
    ethtool have no answer for what ``state`` holds none of (say, because
    the sysfs read belongs to another node): looked up, such parts are
    unknown with that reason, never guessed."""
    netlink = state.netlink if isinstance(state.netlink, Mapping) else {}
    answers = {key: _answer(found) for key, found in netlink.items() if isinstance(key, str)}
    missing = NetlinkAnswer(error=NOT_READ)
    links = decode_links(answers.get(Key.LINKS, missing))
    known = links.value or {}
    routes: dict[int, Reading[tuple[Route, ...]]] = {}
    route_answers: dict[tuple[str, str], RouteAnswer] = {}
    tc: dict[str, TcOffload] = {}
    eswitch: dict[str, EswitchState] = {}
    info: dict[str, Reading[DevInfo]] = {}
    params: dict[tuple[str, str], Reading[ParamValue]] = {}
    for key, answer in answers.items():
        what, arg = Key.parse(key)
        if what == "routes":
            found = decode_routes(answer, known)
            table = int(arg[0])
            routes[table] = found if found.value is None else Reading.of(
                tuple(r for r in found.value if r.table == table))
        elif what == "route-get":
            route_answers[(arg[0], arg[1])] = decode_route_answer(arg[0], arg[1], answer, known)
        elif what == "tc":
            tc[arg[0]] = decode_tc(answer)
        elif what == "eswitch":
            eswitch[arg[0]] = devlink.decode_eswitch(answer)
        elif what == "info":
            info[arg[0]] = _info(answer)
        elif what == "param":
            params[(arg[0], arg[1])] = devlink.decode_param(answer)
    ethtool = state.ethtool if isinstance(state.ethtool, Mapping) else {}
    sysctls = getattr(state, "sysctls", None)
    stats = getattr(state, "stats", None)
    neighbours = answers.get(Key.NEIGHBOURS)
    conntrack = answers.get(Key.CONNTRACK)
    return HostView(
        netns=state.netns,
        links=links,
        addresses=decode_addresses(answers.get(Key.ADDRESSES, missing), known),
        rules=decode_rules(answers.get(Key.RULES, missing)),
        routes=routes, route_answers=route_answers, tc=tc,
        features={n: features_of(_bits(r)) for n, r in ethtool.items() if isinstance(n, str)},
        devlink=eswitch, info=info, params=params,
        sysctls={n: r for n, r in (sysctls.items() if isinstance(sysctls, Mapping) else ())
                 if isinstance(n, str) and isinstance(r, Reading) and (r.value is None or isinstance(r.value, str))},
        unasked=unasked,
        stats={n: r for n, r in (stats.items() if isinstance(stats, Mapping) else ())
               if isinstance(n, str) and isinstance(r, Reading)
               and (r.value is None or isinstance(r.value, NetdevStats))},
        neighbours=decode_neighbours(neighbours, known) if neighbours is not None else Reading(),
        conntrack=_zones(conntrack) if conntrack is not None else Reading(),
    )


_last_zones: list[tuple[NetlinkAnswer, Reading[Mapping[int, ZoneConntrack]]]] = []


def _zones(answer: NetlinkAnswer) -> Reading[Mapping[int, ZoneConntrack]]:
    """:func:`~hw.conntrack.zones`, once per answer object: a live gatherer keeps
    one conntrack dump for several refreshes (it may hold 100k entries) and
    merges it into each refresh's new state, so the same object comes back."""
    if _last_zones and _last_zones[0][0] is answer:
        return _last_zones[0][1]
    found = zones(answer)
    _last_zones[:] = [(answer, found)]
    return found
