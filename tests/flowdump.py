"""Test helpers: read a switch's flows with mvtep and with ovs-ofctl, and
compare the two dumps line for line."""

from __future__ import annotations

import os
import re
from collections import Counter

from flowprog.flows import Flow
from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ofcodec import load
from flowprog.ofdecode import OF13, OF15, Decoder
from flowprog.ofext import install
from flowprog.offormat import format_flow
from mvtep.sandbox.node import Sandbox

OFCTL = {OF15: "OpenFlow15", OF13: "OpenFlow13"}
# The statistics in a dump-flows line: they differ between two dumps.
_STATS = re.compile(r"\b(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*, ")


def read_flows(remote: str, version: int, filt: FlowFilter | None = None,
               env: dict[str, str] | None = None) -> list[Flow]:
    codec = install(load(os.environ if env is None else env))
    with OpenFlowClient(remote, codec, versions=(version,)) as client:
        decoder = Decoder(codec)
        return [decoder.decode(e) for e in client.flows(filt or FlowFilter())]


def mvtep_flows(box: Sandbox, version: int, filt: FlowFilter | None = None, env: dict[str, str] | None = None,
                remote: str | None = None) -> list[Flow]:
    return read_flows(remote or f"unix:{box.rundir}/br-int.mgmt", version, filt, env)


def ofctl_flows(box: Sandbox, version: int, *spec: str) -> list[str]:
    out = box.tools.run("ovs-ofctl", ["--no-names", "-O", OFCTL[version], "dump-flows", "br-int", *spec], box.env)
    return [line[1:] for line in out.splitlines() if line.startswith(" ")]


def strip_stats(line: str) -> str:
    """A dump-flows line without its statistics (duration, n_packets,
    n_bytes, idle_age, hard_age), and without its leading space."""
    return _STATS.sub("", line.strip())


def _key(line: str) -> str:
    """The part of a line that names the flow: cookie, table, priority."""
    return " ".join(re.findall(r"\b(?:cookie|table|priority)=[^, ]*", line))


def differences(reference: list[str], mine: list[str]) -> list[str]:
    """Where two dumps of the same switch differ, statistics aside: for each
    flow that prints differently, both lines, in words (paired by cookie,
    table and priority; the order of the dumps does not matter)."""
    ref, got = Counter(map(strip_stats, reference)), Counter(map(strip_stats, mine))
    only_ref, only_got = list((ref - got).elements()), list((got - ref).elements())
    by_key: dict[str, list[str]] = {}
    for line in only_got:
        by_key.setdefault(_key(line), []).append(line)
    problems = []
    for line in only_ref:
        pair = by_key.get(_key(line))
        problems.append(f"ovs-ofctl: {line}\n    mvtep: {pair.pop(0) if pair else '(no such flow)'}")
    problems += [f"ovs-ofctl: (no such flow)\n    mvtep: {x}" for lines in by_key.values() for x in lines]
    return problems


def mvtep_lines(flows: list[Flow]) -> list[str]:
    return [format_flow(f) for f in flows]
