"""The one gatherer: read a node into a :class:`~mvcore.snapshot.NodeSnapshot`.

Every command that reads a live node goes through :class:`Gatherer`, asking
for the parts it needs (a :class:`Scope`); ``mvtep collect`` asks for all of
them.  Each source is read by its own adapter: OVSDB and the southbound DB
(:mod:`flowprog.ovsdb`, monitors kept open between refreshes), OpenFlow
(:mod:`flowprog.ofclient`: table 0 and the remote-output tables, or every
table), ovs-vswitchd's control socket (:mod:`flowprog.unixctl`: datapath
flows, versions), sysfs (:mod:`hw.sysfs`, recorded as it is read), netlink
and ethtool (:mod:`hw.host`).  No subprocess is started.

A part the command cannot do without (``Scope.required``) raises its
adapter's error; any other part that cannot be read is kept in the snapshot
as unread, with the reason.  sysfs, devlink, ethtool's features, the
routing (tables, the kernel's route per VTEP pair, the ARP and reverse-path
parameters) and the conntrack table change rarely or are slow to read, so a
gatherer used again within :data:`SLOW_EVERY` seconds (``mvtep watch``, the
exporter) reuses their last reading (the routing at once when the VTEPs,
remote VTEPs, rules or addresses it was asked for change).

The VF representors' statistics (``ethtool -S``) give rates only from two
samples: a gatherer pairs each sample with the one it took the time before,
and on its first snapshot, when ``Scope.sample`` asks for it and there are
hardware counters to sample, it takes two, that many seconds apart.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Generic, TypeVar

from flowprog import unixctl
from flowprog.flowdump import decoded_flows, first_table, read_dump, remote_output_tables
from flowprog.node_verify import node_of
from flowprog.nodeconfig import NodeConfig
from flowprog.ofclient import OpenFlowClient
from flowprog.ofdecode import Decoder
from flowprog.ofcodec import Codec
from flowprog.oftrace import TraceRequest, run_trace
from flowprog.ovsdb import OvsdbMonitor, Rows, SslFiles, ovs_monitor, read_ovs, read_sb, sb_monitor, typed_ovs, typed_sb
from hw.devlink import PARAMS
from hw.ethstats import has_hw_counters
from hw.host import HostReader, HostRequests, HostView, host_view, read_elsewhere
from hw.inventory import discover
from hw.model import PhysicalFunction
from hw.probes import probes_for, vtep_table
from hw.sysctl import VTEP_SYSCTLS, conf_name
from hw.sysfs import RecordingSysfs, SysfsSource
from mvcore.endpoints import Endpoints
from mvcore.errors import MvtepError, NotFound, Unavailable
from mvcore.ovsdb_rows import OvsState, SbRows
from mvcore.reading import Reading
from mvcore.snapshot import (DaemonState, FeatureBits, FlowDump, HostState, Key, NetdevStats, NetlinkAnswer,
                             NodeSnapshot, SysfsRecord)

__all__ = ["Scope", "HostSources", "Gatherer", "SLOW_EVERY", "TRACE_FAILURES", "LOGGED_DAEMONS", "rundir_of",
           "ovn_rundirs", "system_id_override"]

SLOW_EVERY = 10.0  # seconds between re-reading sysfs, devlink, ethtool features, conntrack in a long-lived gatherer
TUNNEL_KINDS = ("geneve", "vxlan")  # the kernel datapath's tunnel netdevs (genev_sys_6081...): decap filters
LOG_TAIL = 64 * 1024  # bytes of each daemon log a support bundle keeps
LOGGED_DAEMONS = ("ovs-vswitchd", "ovn-controller")  # the daemons whose log tail a Scope can ask for
TRACE_FAILURES = 3  # ofproto/trace failures in a row after which the rest are not asked
TRACE_CONNECTIONS = 4  # ofproto/trace requests in flight at once
SAMPLE_SECONDS = 1.0  # a command reading the node once samples the counters this far apart
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Scope:
    """The parts of the node a command needs."""

    ovsdb: bool = False
    openflow: str | None = None  # None, "verify" (table 0 and the remote-output tables) or "all"
    southbound: bool = False
    hardware: bool = False  # sysfs, and devlink/ethtool for the PFs found there
    host: bool = False  # rtnetlink: links, addresses, rules, routes, route lookups, TC
    datapath: bool = False  # dpctl/dump-flows over ovs-vswitchd's control socket
    daemons: bool = False  # ovs-vswitchd's and ovn-controller's versions
    logs: tuple[str, ...] = ()  # the daemons of LOGGED_DAEMONS whose log tail to read
    probes: tuple[str, ...] = ()  # remote VTEPs to ask the kernel the route to, besides the node's own
    tables: tuple[int, ...] = ()  # routing tables to read whole, besides those the VTEPs' rules name
    vteps: tuple[tuple[str, str], ...] = ()  # (PF, VTEP IP) to check when OVSDB has no mapping yet
    required: frozenset[str] = frozenset()  # parts that must be read: "ovsdb", "openflow", "bridge"
    offload: bool = False  # with host: the offload evidence (VF statistics, receive-side TC, neighbours, conntrack)
    sample: float = 0.0  # seconds between two samples of the representors' counters, when there is no earlier one

    @classmethod
    def everything(cls) -> Scope:
        return cls(ovsdb=True, openflow="all", southbound=True, hardware=True, host=True, datapath=True,
                   daemons=True, logs=LOGGED_DAEMONS, offload=True, sample=SAMPLE_SECONDS)


@dataclass(frozen=True, slots=True)
class HostSources:
    """Where the host side of the node is read."""

    sysfs: SysfsSource
    netns: str | None = None  # the namespace holding the VTEP interfaces and their routing
    # devlink and ethtool describe this kernel's devices; when sysfs is a copy of
    # another node's, they do not, and this says why they are not read.
    kernel_devices_unread: str | None = None


@dataclass
class _Slow:
    """The slowly changing parts, kept between refreshes."""

    at: float = -SLOW_EVERY
    sysfs: Reading[SysfsRecord] = field(default_factory=Reading)
    host: HostState | None = None  # devlink and ethtool answers
    uplinks: tuple[str, ...] = ()  # the PFs' uplink netdevs sysfs shows
    conntrack_at: float = -SLOW_EVERY
    conntrack: NetlinkAnswer | None = None


class _Replica(Generic[T]):
    """One database's monitor, kept open between refreshes and started anew once
    it has disconnected, and its rows as typed rows, converted again only when
    they changed (the monitor hands the same rows object over while its replica
    has not changed)."""

    def __init__(self) -> None:
        self.monitor: OvsdbMonitor | None = None
        self._typed: tuple[Rows, T] | None = None  # the last conversion, by the replica's rows

    def read(self, start: Callable[[], OvsdbMonitor], convert: Callable[[Rows], T]) -> T:
        """The typed rows; ``start`` makes a monitor (not started) when there is no connected one."""
        if self.monitor is None or not self.monitor.connected():
            self.stop()
            monitor = start()
            monitor.start()
            self.monitor = monitor
        rows = self.monitor.rows()
        if self._typed is None or self._typed[0] is not rows:
            self._typed = (rows, convert(rows))
        return self._typed[1]

    def stop(self) -> None:
        """Close the monitor (the last conversion is kept: equal rows are not converted again)."""
        if self.monitor is not None:
            self.monitor.stop()
            self.monitor = None


def rundir_of(ends: Endpoints, env: Mapping[str, str]) -> Path:
    """Where ovs-vswitchd's control socket is: beside a unix: OVSDB socket, else OVS_RUNDIR."""
    if ends.db.startswith("unix:"):
        return Path(ends.db[5:]).parent
    return Path(env.get("OVS_RUNDIR") or "/var/run/openvswitch")


def ovn_rundirs(ends: Endpoints, env: Mapping[str, str]) -> tuple[Path, ...]:
    """ovn-controller's control socket: OVN_RUNDIR, /var/run/ovn, or beside OVS's."""
    dirs = [Path(env["OVN_RUNDIR"])] if env.get("OVN_RUNDIR") else []
    return (*dirs, Path("/var/run/ovn"), rundir_of(ends, env))


def _attempt(read: Callable[[], T], required: bool) -> Reading[T]:
    try:
        return Reading.of(read())
    except MvtepError as e:
        if required:
            raise
        return Reading.failed(e.message)


class Gatherer:
    """Reads a node; keeps its connections open between :meth:`snapshot` calls.

    ``with Gatherer(...) as g: snap = g.snapshot(scope)``
    """

    def __init__(self, ends: Endpoints, env: Mapping[str, str], codec: Codec, *, timeout: float,
                 host: HostSources | None = None, sb_remote: str | None = None, ssl: SslFiles | None = None,
                 clock: Callable[[], float] = time.time, monitor: bool = False,
                 decoder: Decoder | None = None) -> None:
        """``monitor``: keep OVSDB monitors open, for a gatherer asked again and
        again (``watch``, the exporter); a one-shot reads each database with one
        select (:mod:`flowprog.ovsdb_select`), which costs a fraction of it.
        ``decoder``: the one the command decodes the snapshot's flows with,
        so that what the gatherer decodes to find the remote-output tables
        (table 0) is not decoded from scratch again."""
        self.ends, self.env, self.codec, self.timeout = ends, env, codec, timeout
        self.decoder = decoder if decoder is not None else Decoder(codec)
        self.sources, self.sb_remote, self.ssl, self.clock = host, sb_remote, ssl, clock
        self.monitor = monitor
        self._ovs: _Replica[OvsState] = _Replica()
        self._sb: _Replica[SbRows] = _Replica()
        self._of: OpenFlowClient | None = None
        self._host: HostReader | None = None
        self._tables: tuple[int, ...] = ()
        self._slow = _Slow()
        self._stats: dict[str, NetdevStats] = {}  # the last sample of each netdev's statistics
        self._routes: tuple[float, object, tuple[HostState | None, HostState]] | None = None  # see _routing
        self._elsewhere_for: tuple[tuple[str, ...], HostState] | None = None

    def __enter__(self) -> Gatherer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection; the next snapshot opens them again."""
        self._ovs.stop()
        self._sb.stop()
        if self._of is not None:
            self._of.close()
        if self._host is not None:
            self._host.close()
        self._of = self._host = None
        self._tables = ()
        self._stats = {}
        self._routes = None

    # -- one snapshot ------------------------------------------------------------

    def snapshot(self, scope: Scope) -> NodeSnapshot:
        """Read what ``scope`` asks for.  A required part that fails raises (and
        the connections are closed, so the next call starts afresh)."""
        try:
            return self._read(scope)
        except BaseException:
            self.close()
            raise

    def _read(self, scope: Scope) -> NodeSnapshot:
        req = scope.required
        taken = self.clock()
        ovsdb: Reading[OvsState] = Reading()
        node: NodeConfig | None = None
        override: Reading[str] = Reading()
        if scope.ovsdb:
            ovsdb = _attempt(self._ovsdb_state, "ovsdb" in req or "bridge" in req)
            override = system_id_override(self.env)
            if ovsdb.value is not None:
                if ovsdb.value.bridge(self.ends.bridge) is None and "bridge" in req:
                    raise NotFound(f"no bridge {self.ends.bridge} in the OVSDB at {self.ends.db}",
                                   hint="is OVN running on this node?", topic="bridge")
                node = node_of(replace(NodeSnapshot(0.0, self.ends.bridge), ovsdb=ovsdb,
                                       daemons=DaemonState(system_id_override=override)))
        openflow: Reading[FlowDump] = Reading()
        if scope.openflow:
            openflow = _attempt(lambda: self._flows(scope.openflow or "all", node), "openflow" in req)
        southbound: Reading[SbRows] = Reading()
        if scope.southbound:
            southbound = self._southbound(node)
        sysfs, slow_host = self._hardware(scope) if scope.hardware else (Reading(), None)
        host: Reading[HostState] = Reading()
        if scope.host or scope.hardware:
            host = _attempt(lambda: self._host_state(scope, node, southbound.value, sysfs.value, slow_host),
                            "host" in req)
        datapath: Reading[str] = Reading()
        if scope.datapath:
            datapath = _attempt(lambda: unixctl.dump_datapath_flows(rundir_of(self.ends, self.env), self.timeout),
                                False)
        daemons = self._daemons(scope) if scope.daemons or scope.logs else DaemonState()
        daemons = replace(daemons, system_id_override=override)
        return NodeSnapshot(taken, self.ends.bridge, ovsdb, openflow, southbound, sysfs, host, datapath, daemons,
                            privileged=os.geteuid() == 0)

    def traces(self, snap: NodeSnapshot, requests: Sequence[TraceRequest]) -> NodeSnapshot:
        """``snap`` with ovs-vswitchd's answer to each ``ofproto/trace`` request
        added (a refused request keeps the switch's reason).

        :data:`TRACE_CONNECTIONS` requests are in flight at once: the switch
        answers each in its main loop, so a lone caller mostly waits for the
        next iteration.  Once :data:`TRACE_FAILURES` have failed with no
        answer in between, the rest are not asked: a switch that stopped
        answering would otherwise cost a timeout each.

        Raises:
            Unavailable: ovs-vswitchd has no control socket here.
        """
        socket = unixctl.control_socket(rundir_of(self.ends, self.env))
        lock = threading.Lock()
        failed: list[str] = []  # the failures since the last answer

        def ask(request: TraceRequest) -> Reading[str]:
            with lock:
                if len(failed) >= TRACE_FAILURES:
                    return Reading.failed(f"not asked after {len(failed)} failures: {failed[-1]}")
            answer = _attempt(partial(run_trace, socket, request, self.timeout), False)
            with lock:
                if answer.error is not None:
                    failed.append(answer.error)
                else:
                    failed.clear()
            return answer

        with ThreadPoolExecutor(TRACE_CONNECTIONS) as pool:
            answers = dict(zip((r.key for r in requests), pool.map(ask, requests), strict=True))
        return replace(snap, traces={**snap.traces, **answers})

    # -- the sources ---------------------------------------------------------------

    def _ovsdb_state(self) -> OvsState:
        if not self.monitor:  # one read: over a plain socket, one select request
            return read_ovs(self.ends.db, self.timeout)
        return self._ovs.read(lambda: ovs_monitor(self.ends.db, self.timeout),
                              lambda rows: typed_ovs(rows, self.ends.db))

    def _southbound(self, node: NodeConfig | None) -> Reading[SbRows]:
        remote = self.sb_remote or (node.ovn_remote if node else None)
        if not remote:
            return Reading.failed("no external_ids:ovn-remote names the southbound DB")
        try:
            if not self.monitor:
                return Reading.of(read_sb(remote, self.timeout, self.ssl))
            return Reading.of(self._sb.read(lambda: sb_monitor(remote, self.timeout, self.ssl),
                                            lambda rows: typed_sb(rows, remote)))
        except Unavailable as e:
            self._sb.stop()
            return Reading.failed(e.message)

    def _client(self) -> OpenFlowClient:
        if self._of is None:
            client = OpenFlowClient(self.ends.openflow, self.codec, timeout=self.timeout)
            client.connect()
            self._of = client
        return self._of

    def _flows(self, which: str, node: NodeConfig | None) -> FlowDump:
        client = self._client()
        if which == "all":
            return read_dump(client, self.ends.bridge, None)
        ports = [t.ofport for t in (node.tunnels if node else ()) if t.ofport and t.ofport > 0]
        if self._tables or not ports:
            return read_dump(client, self.ends.bridge, (0, *self._tables))
        # (an empty answer is not kept: ovn-controller may still be starting, so look again next time)
        table0 = read_dump(client, self.ends.bridge, (0,))
        first = first_table(decoded_flows(table0, self.decoder), ports)
        self._tables = remote_output_tables(client, self.decoder, ports, first)
        rest = read_dump(client, self.ends.bridge, self._tables)
        return replace(table0, tables=(0, *self._tables), replies=table0.replies + rest.replies)

    def _hardware(self, scope: Scope) -> tuple[Reading[SysfsRecord], HostState | None]:
        """sysfs, then devlink and ethtool for what it shows: reused for SLOW_EVERY seconds."""
        if self.sources is None:
            return Reading.failed("no sysfs source"), None
        now = time.monotonic()
        if now - self._slow.at < SLOW_EVERY and self._slow.sysfs.asked:
            return self._slow.sysfs, self._slow.host
        recorder = RecordingSysfs(self.sources.sysfs)
        inventory = discover(recorder)
        sysfs = Reading.of(recorder.record())
        pfs = [pf for a in inventory.adapters for pf in a.pfs]
        uplinks = tuple(pf.uplink for pf in pfs if pf.uplink)
        slow_host: HostState | None = None
        if self.sources.kernel_devices_unread is not None:
            slow_host = _unread(pfs, self.sources.kernel_devices_unread)
        elif pfs:
            requests = HostRequests(base=False, devlink=tuple(pf.pci for pf in pfs),
                                    params=tuple((pf.pci, name) for pf in pfs for name in PARAMS),
                                    ethtool=tuple(n for pf in pfs for n in pf.offload_netdevs))
            try:
                slow_host = self._host_reader().read(requests)
            except Unavailable:
                slow_host = None  # the whole host reading says why, below
        if self.sources.kernel_devices_unread is None and self._host is not None:
            self._host.forget()  # a netdev may be another one under the same name by now
        self._slow = _Slow(now, sysfs, slow_host, uplinks, self._slow.conntrack_at, self._slow.conntrack)
        return sysfs, slow_host

    def _host_reader(self) -> HostReader:
        if self._host is None:
            self._host = HostReader(self.sources.netns if self.sources else None)
        return self._host

    def _host_state(self, scope: Scope, node: NodeConfig | None, sb: SbRows | None,
                    sysfs: SysfsRecord | None, slow: HostState | None) -> HostState:
        """Links, addresses and rules first; then the routing (:meth:`_routing`);
        then TC on every VIF that is a kernel netdev (and, for the offload
        evidence, on the tunnel netdevs and uplinks), the neighbours, the VF
        representors' statistics and the conntrack table."""
        reader = self._host_reader()
        first = reader.read(HostRequests())  # links, addresses and rules
        view = host_view(first)
        routing = self._routing(reader, scope, node, sb, view)
        links = view.links.value or {}
        vifs = [v.name for v in (node.vifs if node else ()) if v.name in links]
        # Where the filters of a VF's received traffic are: the tunnel netdevs (decap) and the uplinks.
        receive = [n for n, link in links.items() if link.kind in TUNNEL_KINDS] if scope.offload else []
        receive += [n for n in self._slow.uplinks if n in links and n not in vifs] if scope.offload else []
        last = reader.read(HostRequests(base=False, tc_ingress=tuple(dict.fromkeys([*vifs, *receive])),
                                        neighbours=scope.offload))
        addresses = view.addresses.value or {}
        missing = tuple(ip for ip in _vteps_of(scope, node) if ip not in addresses)
        elsewhere = self._elsewhere(missing) if missing else None
        if not scope.offload:
            return _merge(first, *routing, last, slow, elsewhere)
        stats = self._sampled(reader, tuple(vifs), scope.sample)
        return _merge(first, *routing, last, slow, self._conntrack(reader),
                      HostState(reader.netns, stats=stats) if stats else None, elsewhere)

    def _routing(self, reader: HostReader, scope: Scope, node: NodeConfig | None, sb: SbRows | None,
                 view: HostView) -> tuple[HostState | None, HostState]:
        """The VTEPs' routing tables; the kernel's route to every remote VTEP from
        every local one (and to one address in each route of the VTEP's table and
        in its own subnet); the ARP and reverse-path parameters of the devices
        holding IPv4 addresses.  Routing changes rarely and costs the most to
        ask (a request per pair), so a long-lived gatherer reuses it for
        SLOW_EVERY seconds -- unless the VTEPs, remote VTEPs, rules or addresses
        it was asked for changed."""
        rules = view.rules.value or ()
        vteps = _vteps_of(scope, node)
        tables = sorted({t for ip in vteps if (t := vtep_table(ip, rules)) is not None} | set(scope.tables))
        remotes = _remote_vteps(node, sb, scope.probes)
        addresses = view.addresses.value or {}
        key = (tuple(vteps), tuple(tables), remotes, tuple(rules), tuple(sorted(addresses.items())))
        now = time.monotonic()
        if self._routes is not None and self._routes[1] == key and now - self._routes[0] < SLOW_EVERY:
            return self._routes[2]
        second = reader.read(HostRequests(base=False, tables=tuple(tables))) if tables else None
        routes = host_view(second).routes if second else {}
        pairs = []
        for ip in vteps:
            table = vtep_table(ip, rules)
            found = routes.get(table) if table is not None else None
            prefixes = [r.dst for r in (found.value or ())] if found is not None else []
            if ip in addresses:  # its own subnet: where the other VTEPs of the design document are
                prefixes.append(f"{ip}/{addresses[ip][1]}")
            pairs += [(probe, ip) for probe in probes_for(ip, prefixes, remotes)]
        # Every device with an IPv4 address, not only the VTEPs known now: a bundle collected
        # before the PF mapping exists must answer for the VTEPs named later (--pf-mapping).
        devices = sorted({dev for dev, _len, family in addresses.values() if family == "ipv4" and dev != "lo"})
        sysctls = tuple(conf_name("ipv4", dev, key) for dev in ("all", *devices) for key in VTEP_SYSCTLS)
        asked = reader.read(HostRequests(base=False, route_gets=tuple(dict.fromkeys(pairs)),
                                         sysctls=sysctls if devices else ()))
        self._routes = (now, key, (second, asked))
        return second, asked

    def _sampled(self, reader: HostReader, netdevs: tuple[str, ...], sample: float) -> dict[str, Reading[NetdevStats]]:
        """Each netdev's statistics, its last sample paired with the one before (see the module docstring)."""
        if not netdevs:
            return {}
        now = reader.read(HostRequests(base=False, stats=netdevs)).stats
        fresh = [n for n in netdevs if n not in self._stats]
        if sample > 0 and fresh and any(has_hw_counters(r.value.names) for n in fresh if (r := now[n]).value):
            for n in fresh:
                if (r := now[n]).value is not None:
                    self._stats[n] = r.value
            time.sleep(sample)
            now = reader.read(HostRequests(base=False, stats=netdevs)).stats
        out: dict[str, Reading[NetdevStats]] = {}
        for n in netdevs:
            found = now[n]
            before = self._stats.get(n)
            if found.value is None:
                self._stats.pop(n, None)
                out[n] = found
                continue
            self._stats[n] = found.value
            if before is not None and before.names == found.value.names:
                out[n] = Reading.of(NetdevStats(found.value.names, (before.samples[-1], *found.value.samples)))
            else:
                out[n] = found
        for gone in set(self._stats) - set(netdevs):
            del self._stats[gone]
        return out

    def _conntrack(self, reader: HostReader) -> HostState:
        """The conntrack table: reused for SLOW_EVERY seconds (it may hold hundreds of thousands of entries)."""
        now = time.monotonic()
        if self._slow.conntrack is None or now - self._slow.conntrack_at >= SLOW_EVERY:
            found = reader.read(HostRequests(base=False, conntrack=True)).netlink[Key.CONNTRACK]
            self._slow = replace(self._slow, conntrack_at=now, conntrack=found)
        assert self._slow.conntrack is not None
        return HostState(reader.netns, {Key.CONNTRACK: self._slow.conntrack})

    def _elsewhere(self, missing: tuple[str, ...]) -> HostState:
        """The other namespaces' links and addresses, when VTEP IPs are on no
        interface of the one read: where they are is worth saying.  Read once
        per set of missing IPs (a live view asks every second)."""
        if self._elsewhere_for is None or self._elsewhere_for[0] != missing:
            netns = self.sources.netns if self.sources else None
            self._elsewhere_for = (missing, HostState(netns, read_elsewhere(netns)))
        return self._elsewhere_for[1]

    def _daemons(self, scope: Scope) -> DaemonState:
        rundir = rundir_of(self.ends, self.env)
        ovs = _attempt(lambda: unixctl.daemon_version((rundir,), "ovs-vswitchd", self.timeout), False)
        ovn = _attempt(lambda: unixctl.daemon_version(ovn_rundirs(self.ends, self.env), "ovn-controller",
                                                      self.timeout), False)
        offload = _attempt(lambda: unixctl.call(unixctl.control_socket(rundir), "dpif/offload/show", (),
                                                self.timeout), False)
        logs: dict[str, Reading[str]] = {}
        for daemon, dirs in (("ovs-vswitchd", (rundir, Path("/var/log/openvswitch"))),
                             ("ovn-controller", (*ovn_rundirs(self.ends, self.env), Path("/var/log/ovn")))):
            if daemon in scope.logs:
                logs[daemon] = _log_tail(daemon, dirs)
        return DaemonState(ovs, ovn, logs, offload=offload)


def system_id_override(env: Mapping[str, str]) -> Reading[str]:
    """ovn-controller's ``system-id-override`` file, in ``$OVN_SYSCONFDIR``
    (else ``/etc/ovn``) as ovn-controller looks for it (``ovn_sysconfdir()``):
    its text, or "" when there is none."""
    path = Path(env.get("OVN_SYSCONFDIR") or "/etc/ovn") / "system-id-override"
    try:
        with open(path, "rb") as f:
            return Reading.of(f.read(256).decode("utf-8", "replace"))
    except (FileNotFoundError, NotADirectoryError):
        return Reading.of("")
    except OSError as e:
        return Reading.failed(f"cannot read {path}: {e.strerror}")


def _vteps_of(scope: Scope, node: NodeConfig | None) -> list[str]:
    """The local VTEP IPs to ask about: those given, else the node's own and its mapping's."""
    return [ip for _pf, ip in scope.vteps] or list(dict.fromkeys(
        [*(node.encap_ips if node else ()), *(ip for _pf, ip in (node.pf_mapping.pairs if node else ()))]))


def _remote_vteps(node: NodeConfig | None, sb: SbRows | None, probes: tuple[str, ...]) -> tuple[str, ...]:
    """Every remote VTEP the node may send to: its tunnels' remote_ip and the
    other chassis' encaps, plus the probes asked for."""
    found = list(probes)
    for t in node.tunnels if node else ():
        if t.remote_ip and t.remote_ip != "flow":
            found.append(t.remote_ip)
    local = node.chassis if node else None
    names = {c.name for c in sb.chassis} if sb else set()
    for e in sb.encaps if sb else ():
        if e.chassis_name != local and e.chassis_name in names:
            found.append(e.ip)
    return tuple(dict.fromkeys(found))


def _merge(*states: HostState | None) -> HostState:
    """One HostState from several reads of the same namespace (later wins)."""
    present = [s for s in states if s is not None]
    netlink: dict[str, NetlinkAnswer] = {}
    ethtool: dict[str, Reading[FeatureBits]] = {}
    sysctls: dict[str, Reading[str]] = {}
    stats: dict[str, Reading[NetdevStats]] = {}
    for s in present:
        netlink.update(s.netlink)
        ethtool.update(s.ethtool)
        sysctls.update(s.sysctls)
        stats.update(s.stats)
    return HostState(present[0].netns, netlink, ethtool, sysctls, stats)


def _unread(pfs: list[PhysicalFunction], why: str) -> HostState:
    """devlink and ethtool answers for PFs that were not asked, saying why."""
    return HostState(None, {k: NetlinkAnswer(error=why) for pf in pfs
                            for k in (Key.devlink_eswitch(pf.pci), Key.devlink_info(pf.pci),
                                      *(Key.devlink_param(pf.pci, name) for name in PARAMS))},
                     {n: Reading.failed(why) for pf in pfs for n in pf.offload_netdevs})


def _log_tail(daemon: str, dirs: tuple[Path, ...]) -> Reading[str]:
    for d in dirs:
        path = d / f"{daemon}.log"
        try:
            with open(path, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - LOG_TAIL))
                data = f.read(LOG_TAIL)
        except FileNotFoundError:
            continue
        except OSError as e:
            return Reading.failed(f"cannot read {path}: {e.strerror}")
        text = data.decode("utf-8", "replace")
        return Reading.of(text[text.find("\n") + 1:] if size > LOG_TAIL else text)
    return Reading.failed(f"no {daemon}.log in {', '.join(map(str, dirs))}")
