"""Gather a :class:`PathsSnapshot` from a live node, cheaply enough to repeat.

A :class:`Gatherer` keeps its connections open between refreshes: the OVSDB
and southbound replicas are monitors (the servers push changes; a refresh
copies the local replica), the OpenFlow connection asks only for table 0 and
the remote-output table(s) it found once, ovs-vswitchd answers one
``dpctl/dump-flows -m`` over its control socket, and the kernel answers
netlink dumps.  No subprocess is started.  When a connection drops, the
snapshot says so and the next refresh reconnects.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path

from flowprog.collect import remote_output_tables
from flowprog.flowroles import remote_outputs
from flowprog.flows import Flow
from flowprog.nodeconfig import TABLES, NodeConfig
from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ofcodec import load
from flowprog.ofdecode import Decoder
from flowprog.ofext import install
from flowprog.ovsdb import OvsdbMonitor, Rows
from flowprog.sbstate import SB_TABLES
from flowprog.snapshot import Snapshot
from flowprog.verify import VerifyResult, verify
from hw.host import HostReader, HostRequests, HostView, eswitch_of, host_view
from hw.inventory import discover
from hw.model import EswitchState, Features, Inventory
from hw.sysfs import DirSysfs
from inspector import dpflows, unixctl
from inspector.paths import Counters, PathInputs, PathsSnapshot, Vtep, build_paths
from mvcore.endpoints import Endpoints
from mvcore.errors import MvtepError, Unavailable
from mvcore.snapshot import HostState

__all__ = ["Gatherer", "rundir_of"]

_SB_TABLES = {**SB_TABLES, "Datapath_Binding": ("tunnel_key", "external_ids")}
_SLOW_EVERY = 10.0  # seconds between re-reading sysfs, devlink and ethtool (they change rarely)


def rundir_of(ends: Endpoints, env: Mapping[str, str]) -> Path:
    """Where ovs-vswitchd's control socket is: beside a unix: OVSDB socket, else OVS_RUNDIR."""
    if ends.db.startswith("unix:"):
        return Path(ends.db[5:]).parent
    return Path(env.get("OVS_RUNDIR") or "/var/run/openvswitch")


class Gatherer:
    def __init__(self, ends: Endpoints, env: Mapping[str, str], *, timeout: float, netns: str | None = None,
                 sysfs_root: Path | None = None, sb_remote: str | None = None) -> None:
        """``sysfs_root`` None reads this host; a directory holding a copy of
        another node's ``sys/`` is read without asking this host's devlink
        and ethtool about it."""
        self.ends, self.env, self.timeout, self.netns = ends, env, timeout, netns
        self.sb_remote = sb_remote
        self._live = sysfs_root is None
        self._sysfs = DirSysfs(Path("/"), udev=True) if sysfs_root is None else DirSysfs(sysfs_root)
        self.codec = install(load(env))
        self.decoder = Decoder(self.codec)
        self._ovs: OvsdbMonitor | None = None
        self._sb: OvsdbMonitor | None = None
        self._sb_error: str | None = None
        self._of: OpenFlowClient | None = None
        self._tables: tuple[int, ...] = ()
        self._slow_at = 0.0
        self._inventory: Inventory | None = None
        self._eswitch: dict[str, EswitchState] = {}
        self._features: dict[str, Features] = {}
        self._last: PathsSnapshot | None = None
        self._host = HostReader(netns)

    # -- connections -----------------------------------------------------------

    def _ovsdb(self) -> OvsdbMonitor:
        if self._ovs is None or not self._ovs.connected():
            self._drop_ovsdb()
            monitor = OvsdbMonitor(self.ends.db, "Open_vSwitch", TABLES, self.timeout)
            monitor.start()
            self._ovs = monitor
        return self._ovs

    def _sbdb(self, node: NodeConfig) -> OvsdbMonitor | None:
        remote = self.sb_remote or node.ovn_remote
        if not remote:
            self._sb_error = "no external_ids:ovn-remote"
            return None
        if self._sb is None or not self._sb.connected():
            if self._sb is not None:
                self._sb.stop()
                self._sb = None
            try:
                monitor = OvsdbMonitor(remote, "OVN_Southbound", _SB_TABLES, self.timeout)
                monitor.start()
                self._sb, self._sb_error = monitor, None
            except Unavailable as e:
                self._sb_error = e.message
        return self._sb

    def _openflow(self) -> OpenFlowClient:
        if self._of is None:
            client = OpenFlowClient(self.ends.openflow, self.codec, timeout=self.timeout)
            client.connect()
            self._of = client
        return self._of

    def _drop_ovsdb(self) -> None:
        if self._ovs is not None:
            self._ovs.stop()
            self._ovs = None

    def close(self) -> None:
        self._host.close()
        self._drop_ovsdb()
        if self._sb is not None:
            self._sb.stop()
            self._sb = None
        if self._of is not None:
            self._of.close()
            self._of = None

    # -- one refresh -----------------------------------------------------------

    def snapshot(self) -> PathsSnapshot:
        """Gather once; a failure gives the last snapshot marked reconnecting
        (the next call starts the connections afresh)."""
        started = time.monotonic()
        try:
            snap = dataclasses.replace(self._gather(), seconds=time.monotonic() - started)
        except MvtepError as e:
            self.close()
            self._tables = ()
            status = f"reconnecting: {e.message}"
            if self._last is None:
                return PathsSnapshot(time.time(), None, None, None, (), (), (), status=status, stale=True)
            return dataclasses.replace(self._last, status=status, stale=True)
        self._last = snap
        return snap

    def _gather(self) -> PathsSnapshot:
        rows = self._ovsdb().rows()
        node = NodeConfig.from_rows(rows, self.ends.bridge)
        tunnel_ports = [t.ofport for t in node.tunnels if t.ofport and t.ofport > 0]
        client = self._openflow()
        table0 = tuple(e.body for e in client.flows(FlowFilter(table=0)))
        if not self._tables:
            self._tables = remote_output_tables(client, tunnel_ports)
        remote = tuple(e.body for t in self._tables for e in client.flows(FlowFilter(table=t)))
        sb = self._sbdb(node)
        sb_rows = sb.rows() if sb is not None else None
        snap = Snapshot(self.ends.bridge, rows, client.version, table0, remote, sb_rows, self._sb_error)
        t0, ro = snap.flows(self.decoder)
        result = verify(node, t0, ro, snap.sb(), self._sb_error)
        if result.remote_output_table is None and tunnel_ports:
            self._tables = ()  # look for it again next time (ovn-controller may have restarted)
        self._slow(node)
        inputs = self._path_inputs(node, result, t0, ro, sb_rows)
        paths = build_paths(inputs)
        vteps = tuple(self._vtep(result, inputs, ip) for ip in node.encap_ips)
        node_findings = tuple(f for f in result.findings if f.interface is None)
        return PathsSnapshot(time.time(), node.chassis, node.ovs_version, self._ovn_version(), vteps, paths,
                             node_findings, ovs_hw_offload=node.hw_offload,
                             remote_output_table=result.remote_output_table)

    def _slow(self, node: NodeConfig) -> None:
        """sysfs, devlink and ethtool: re-read every few seconds only."""
        if time.monotonic() - self._slow_at < _SLOW_EVERY and self._inventory is not None:
            return
        self._slow_at = time.monotonic()
        self._inventory = discover(self._sysfs)
        pfs = [pf for a in self._inventory.adapters if a.supported for pf in a.pfs]
        if self._live:
            view = host_view(self._host.read(HostRequests(
                ethtool=tuple(n for pf in pfs for n in pf.offload_netdevs), devlink=tuple(pf.pci for pf in pfs))))
        else:
            view = host_view(HostState(self.netns), unasked="modelled sysfs")
        self._eswitch = {pf.pci: eswitch_of(pf, view) for pf in pfs}
        self._features = dict(view.features)

    def _path_inputs(self, node: NodeConfig, result: VerifyResult, t0: tuple[Flow, ...],
                     ro: tuple[Flow, ...], sb_rows: Rows | None) -> PathInputs:
        pairs = sorted({(t.remote_ip, p.vtep_ip) for p in result.paths for t in p.tunnels
                        if p.vtep_ip and t.remote_ip and t.remote_ip != "flow"})
        view = self._host_view(HostRequests(route_gets=tuple(pairs),
                                            tc_ingress=tuple(sorted({p.interface for p in result.paths}))))
        addresses = {ip: dev for ip, (dev, _p, _f) in (view.addresses.value or {}).items()}
        routes = {(src, dst): answer for (dst, src), answer in view.route_answers.items()}
        kernel = frozenset(view.links.value or {})
        dp = self._datapath()
        tc = {name: (found.in_hw, found.not_in_hw) for name, found in view.tc.items()
              if found.error is None and name in kernel}
        return PathInputs(
            verify=result, pf_of_ip={ip: pf for pf, ip in node.pf_mapping.pairs}, inventory=self._inventory,
            routes=routes, addresses=addresses, bridge_of=node.bridge_of,
            ovs_hw_offload=node.hw_offload, tc_policy=node.tc_policy,
            kernel_netdevs=kernel, eswitch={k: v.mode for k, v in self._eswitch.items()},
            features=self._features, dp=dp, tc=tc,
            counters=_counters(result, t0, ro), logical_switch=_switches(sb_rows))

    def _datapath(self) -> dict[str, tuple[int, int, int]]:
        try:
            text = unixctl.dump_datapath_flows(rundir_of(self.ends, self.env), self.timeout)
        except Unavailable:
            return {}
        return {port: (s.total, s.offloaded, s.partial) for port, s in dpflows.summarize(dpflows.parse_dump(text)).items()}

    def _host_view(self, requests: HostRequests) -> HostView:
        """The host's answers decoded; links and addresses unreadable is a
        failed refresh, as a lost OVSDB connection is."""
        view = host_view(self._host.read(requests))
        for what, part in (("links", view.links), ("addresses", view.addresses)):
            if part.error is not None:
                raise Unavailable(f"rtnetlink {what}: {part.error}")
        return view

    def _vtep(self, result: VerifyResult, inputs: PathInputs, ip: str) -> Vtep:
        encap_id = next((k for k, v in result.encap_ips.items() if v == ip), None)
        answer = next((a for (v, _r), a in sorted(inputs.routes.items()) if v == ip), None)
        egress = None if answer is None else (answer.error or f"{answer.oif} (table {answer.table})")
        return Vtep(ip, encap_id, inputs.pf_of_ip.get(ip), inputs.addresses.get(ip), egress)

    def _ovn_version(self) -> str | None:
        try:
            return unixctl.daemon_version(_ovn_rundirs(self.ends, self.env), "ovn-controller", self.timeout)
        except Unavailable:
            return None


def _ovn_rundirs(ends: Endpoints, env: Mapping[str, str]) -> tuple[Path, ...]:
    """ovn-controller's control socket: OVN_RUNDIR, /var/run/ovn, or beside OVS's."""
    dirs = [Path(env["OVN_RUNDIR"])] if env.get("OVN_RUNDIR") else []
    return (*dirs, Path("/var/run/ovn"), rundir_of(ends, env))


def _counters(result: VerifyResult, table0: tuple[Flow, ...], remote: tuple[Flow, ...]) -> dict[str, Counters]:
    """Per VIF: its table-0 ingress flow's counters, and those of the
    remote-output flows of its encap id (shared by the VIFs of one VTEP)."""
    by_port: dict[int, tuple[int, int]] = {}
    for f in table0:
        port = f.field("in_port")
        if port is not None and isinstance(port.value, int) and f.priority == 100 and f.loads("metadata"):
            packets, nbytes = by_port.get(port.value, (0, 0))
            by_port[port.value] = (packets + f.entry.packet_count, nbytes + f.entry.byte_count)
    tunnels = {o for f in remote for o in f.outputs()}
    by_id: dict[int | None, tuple[int, int]] = {}
    for f in remote:
        for r in remote_outputs((f,), tunnels):
            packets, nbytes = by_id.get(r.encap_id, (0, 0))
            by_id[r.encap_id] = (packets + f.entry.packet_count, nbytes + f.entry.byte_count)
    out = {}
    for p in result.paths:
        packets, nbytes = by_port.get(p.ofport or -1, (0, 0))
        tp, tb = by_id.get(p.encap_id, (0, 0))
        out[p.interface] = Counters(packets, nbytes, tp, tb)
    return out


def _switches(sb_rows: Rows | None) -> dict[str, str]:
    """iface-id -> logical switch name (Datapath_Binding external_ids:name)."""
    if sb_rows is None:
        return {}
    names = {r["_uuid"]: r.get("external_ids", {}).get("name") for r in sb_rows.get("Datapath_Binding", [])}
    return {str(pb["logical_port"]): str(names[pb["datapath"]]) for pb in sb_rows.get("Port_Binding", [])
            if names.get(pb["datapath"])}
