"""``mvtep exporter``'s background gather: one long-lived
:class:`~inspector.gather.Gatherer` (the connections ``mvtep watch`` keeps:
OVSDB and southbound monitors, one OpenFlow connection asking for table 0
and the remote-output tables, dpctl over the control socket, netlink),
read every interval in its own thread.  Each gather becomes metric families
once; a scrape only formats the last ones and never touches OVS.

A failed read is a gather like any other: ``mvtep_up 0`` and the reason
(the gatherer closes its connections and opens them again next time), so
the exporter lives through OVSDB, ovs-vswitchd and ovn-controller restarts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flowprog.ofdecode import Decoder
from hw.checks import run_checks
from inspector.gather import Gatherer, Scope
from inspector.metrics.families import Gathered, Totals, families
from inspector.metrics.promclient import LastGather
from inspector.metrics.table import INTERNAL
from inspector.path_inputs import paths_report
from inspector.preflight_inputs import preflight_input
from mvcore.errors import MvtepError
from mvcore.reading import Reading
from mvcore.snapshot import NodeSnapshot

__all__ = ["read_node", "GatherLoop"]

# The source a required part's error is about, by the error's topic.
_TOPIC_SOURCE = {"bridge": "ovsdb", "ovsdb": "ovsdb", "ovsdb-ssl": "ovsdb", "openflow": "openflow",
                 "netns": "netlink", "southbound": "southbound"}


def _parts(snap: NodeSnapshot) -> dict[str, Reading[Any]]:
    d = snap.daemons
    return {"ovsdb": snap.ovsdb, "openflow": snap.openflow, "southbound": snap.southbound,
            "sysfs": snap.sysfs, "netlink": snap.host, "datapath": snap.datapath,
            "ovs-vswitchd": d.ovs_version, "ovn-controller": d.ovn_version}


def read_node(gatherer: Gatherer, scope: Scope, decoder: Decoder) -> Gathered:
    """One gather: the paths report and the preflight findings of one snapshot."""
    started, t0 = time.time(), time.monotonic()
    try:
        snap = gatherer.snapshot(scope)
    except MvtepError as e:
        source = _TOPIC_SOURCE.get(e.topic or "", "ovsdb")
        return Gathered(started, time.monotonic() - t0, None, None, {source: e.message})
    parts = _parts(snap)
    errors = {name: r.error for name, r in parts.items() if r.error is not None}
    read = {name for name, r in parts.items() if r.ok}
    report = preflight = None
    try:
        report = paths_report(snap, decoder)
    except MvtepError as e:
        errors.setdefault(_TOPIC_SOURCE.get(e.topic or "", "openflow"), e.message)
    try:
        preflight = run_checks(preflight_input(snap))
        read.add("preflight")
    except MvtepError as e:
        errors["preflight"] = e.message
    return Gathered(snap.taken_at, time.monotonic() - t0, report, preflight, errors, frozenset(read - set(errors)),
                    snap.bridge)


class GatherLoop:
    """Gathers every ``interval`` seconds in a thread and publishes each
    gather's families to ``collector``; ``log`` hears when a source goes away
    and comes back (one line each, not one per gather)."""

    def __init__(self, read: Callable[[], Gathered], collector: LastGather, *, interval: float, version: str,
                 log: Callable[[str], None] = lambda _line: None) -> None:
        self.read, self.collector, self.interval, self.version, self.log = read, collector, interval, version, log
        self.totals = Totals()
        self.last: Gathered | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mvtep-gather", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def health(self) -> tuple[bool, str]:
        """For ``/healthz``: did the last gather read the node, and if not, why."""
        g = self.last
        if g is None:
            return False, "starting: no gather yet"
        if g.report is None or g.errors:
            return False, "; ".join(f"{source}: {why}" for source, why in sorted(g.errors.items()))
        return True, f"ok: read in {g.seconds:.3f} s"

    def gather_once(self) -> Gathered:
        try:
            g = self.read()
        except Exception as e:  # noqa: BLE001 -- a bug of ours must not end the exporter: it is reported as a gather
            g = Gathered(time.time(), 0.0, None, None, {INTERNAL: f"internal error: {type(e).__name__}: {e}"})
        errors = dict(self.totals.errors)
        for source in g.errors:
            errors[source] = errors.get(source, 0) + 1
        self.totals = replace(self.totals, gathers=self.totals.gathers + 1, errors=errors)
        self._log_changes(self.last, g)
        self.collector.update(families(g, self.totals, self.version))
        self.last = g
        return g

    def _log_changes(self, before: Gathered | None, now: Gathered) -> None:
        was = before.errors if before else {}
        for source, why in sorted(now.errors.items()):
            if was.get(source) != why:
                self.log(f"mvtep exporter: {source}: {why}")
        for source in sorted(set(was) - set(now.errors)):
            self.log(f"mvtep exporter: {source}: read again")

    def _run(self) -> None:
        while not self._stop.is_set():
            due = time.monotonic() + self.interval
            self.gather_once()
            self._stop.wait(max(0.0, due - time.monotonic()))
