"""Datapath flows as ``ovs-appctl dpctl/dump-flows -m`` prints them, parsed.

A pure parser: text in, frozen dataclasses out, no I/O (the text comes from
:func:`flowprog.unixctl.dump_datapath_flows`, a saved file, or a support
case).  The line format is ``format_dpif_flow()`` in OVS ``lib/dpctl.c``::

    [ufid:<uuid>, ]<match>, packets:<n>, bytes:<n>, used:<t>[, flags:<tcp>]
        [, offloaded:yes|partial][, dp:<layer>], actions:<actions>[, dp-extra-info:<text>]

* ``ufid:`` and the ``offloaded``/``dp``/``dp-extra-info`` fields are printed
  only with ``-m``/``--more``.  ``-m`` also turns port names on (the
  ``dpctl`` unixctl handler sets ``names = verbosity > 0``), so ``in_port``
  shows ``in_port(enp3s0f0_0)``; without names, or for a port the datapath
  cannot name, the number: ``in_port(5)`` (``odp_portno_name_format`` in
  ``lib/odp-util.c``).
* ``offloaded:yes`` means the flow is in hardware (``dp:tc``, ``dp:dpdk``,
  or ``dp:dummy`` for OVS 4.0's simulated offload); ``offloaded:partial``
  means the flow is offloaded but its datapath layer is still ``ovs``
  (dpif-netdev's mark-and-recirculate "partial offload").  A flow that is
  not offloaded has no ``offloaded`` field at all.
* The stats are ``dpif_flow_stats_format()`` (``lib/dpif.c``): ``used`` is
  seconds ago with three decimals (``0.370s``) or ``never``.
* The userspace datapath precedes each PMD thread's flows with
  ``flow-dump from pmd on cpu core: N`` or ``flow-dump from the main
  thread:``.  One ``dpctl/dump-flows`` call reads one datapath; the adapter
  puts ``<type>@<name>:`` (the header ``dpctl/show`` prints) before each
  datapath's section, and the parser records it in :attr:`DpFlow.datapath`.

Anything else (a line cut short, an error text, a key this parser does not
know) never raises: unknown ``key:value`` fields are ignored and a line
without the ``packets:``/``bytes:``/``used:`` stats is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["DpFlow", "PortOffload", "UNKNOWN_PORT", "parse_dump", "parse_line", "summarize", "match_text"]

UNKNOWN_PORT = "?"  # the summary key of flows whose match has no in_port(...)

_MAIN_THREAD = re.compile(r"flow-dump from the main thread:$")
_PMD_THREAD = re.compile(r"flow-dump from pmd on cpu core: (\d+)$")
_DATAPATH = re.compile(r"([A-Za-z0-9_.-]+@[^\s,()]+):$")  # "system@ovs-system:", as dpctl/show prints
_STATS = re.compile(r"(?:^|, )packets:(\d+), bytes:(\d+), used:([^,\s]+)")
_IN_PORT = re.compile(r"(?:^|,)in_port\(([^()]*)\)")
_UFID = re.compile(r"ufid:([0-9a-fA-F-]+), ")
_ACTIONS = ", actions:"
_EXTRA_INFO = ", dp-extra-info:"


@dataclass(frozen=True, slots=True)
class DpFlow:
    """One datapath flow.

    ``in_port`` is the text inside ``in_port(...)`` exactly as printed: a
    port name with ``-m`` (``"enp3s0f0_0"``, ``"genev_sys_6081"``), else a
    number (``"5"``); ``None`` if the match has no ``in_port``.
    ``offloaded`` is ``"yes"``, ``"partial"`` or ``None`` (not offloaded, or
    a dump without ``-m``); ``dp`` the datapath layer (``"ovs"``, ``"tc"``,
    ``"dpdk"``, ``"dummy"``) or ``None`` without ``-m``.
    """

    in_port: str | None
    packets: int
    bytes: int
    used: str  # "0.370s" or "never"
    offloaded: str | None
    dp: str | None
    actions: str
    ufid: str | None
    datapath: str | None  # "system@ovs-system"; None when the text has no datapath header
    pmd: int | None  # CPU core of the PMD thread holding the flow; None for the main thread or no header
    raw: str
    # match_text(raw), made once by parse_line: the attribution reads it per flow per refresh.
    # (Derived from raw, so it neither compares nor shows.)
    match: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PortOffload:
    """Datapath flows entering through one port, by offload state."""

    total: int = 0
    offloaded: int = 0  # offloaded:yes
    partial: int = 0  # offloaded:partial
    not_offloaded: int = 0
    packets: int = 0
    bytes: int = 0


def parse_line(line: str, *, datapath: str | None = None, pmd: int | None = None) -> DpFlow | None:
    """One flow line, or ``None`` if the line is not a flow.

    >>> parse_line("recirc_id(0),in_port(2),eth_type(0x0800),ipv4(frag=no), "
    ...            "packets:9, bytes:882, used:0.001s, actions:3").in_port
    '2'
    """
    text = line.strip()
    stats = _STATS.search(text)
    if stats is None:
        return None
    head = text[:stats.start()]
    ufid = _UFID.match(head)
    match = head[ufid.end():] if ufid else head
    port = _IN_PORT.search(match)
    tail = text[stats.end():]
    fields_text, found, actions = tail.partition(_ACTIONS)
    if not found:  # OVS always prints actions; a line without them is cut short
        actions = ""
    extra = actions.rfind(_EXTRA_INFO)
    if extra >= 0:
        actions = actions[:extra]
    fields = _fields(fields_text)
    return DpFlow(
        in_port=port.group(1) if port else None,
        packets=int(stats.group(1)),
        bytes=int(stats.group(2)),
        used=stats.group(3),
        offloaded=fields.get("offloaded"),
        dp=fields.get("dp"),
        actions=actions,
        ufid=ufid.group(1) if ufid else None,
        datapath=datapath,
        pmd=pmd,
        raw=text,
        match=match_text(text),
    )


def match_text(raw: str) -> str:
    """A flow line's match, as printed (without the ufid): what precedes its stats."""
    text = raw
    if text.startswith("ufid:"):
        text = text.split(", ", 1)[1] if ", " in text else ""
    cut = text.find(", packets:")
    return text[:cut] if cut >= 0 else text


def _fields(text: str) -> dict[str, str]:
    """``", flags:S., offloaded:yes, dp:tc"`` -> ``{"flags": "S.", ...}``;
    items that are not ``key:value`` are ignored."""
    fields: dict[str, str] = {}
    for item in text.split(", "):
        key, sep, value = item.strip().partition(":")
        if sep and key and key not in fields:
            fields[key] = value
    return fields


def parse_dump(text: str) -> tuple[DpFlow, ...]:
    """Every flow of a ``dpctl/dump-flows`` output, in order.

    Header lines set the datapath and PMD thread of the flows after them;
    blank, header and unrecognisable lines yield nothing.
    """
    flows: list[DpFlow] = []
    datapath: str | None = None
    pmd: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if (dp := _DATAPATH.fullmatch(stripped)) is not None:
            datapath, pmd = dp.group(1), None
        elif _MAIN_THREAD.fullmatch(stripped):
            pmd = None
        elif (core := _PMD_THREAD.fullmatch(stripped)) is not None:
            pmd = int(core.group(1))
        elif (flow := parse_line(stripped, datapath=datapath, pmd=pmd)) is not None:
            flows.append(flow)
    return tuple(flows)


def summarize(flows: Iterable[DpFlow]) -> dict[str, PortOffload]:
    """Per ``in_port`` (as printed; :data:`UNKNOWN_PORT` for flows without
    one), how many flows are fully, partially or not offloaded, and the
    packets and bytes they counted.  Keys are sorted.

    A flow that several PMD threads hold is several datapath flows, each
    with its own stats, and is counted once per thread.  An ``offloaded``
    value other than ``yes``/``partial`` (none exists in OVS up to 4.0)
    counts only in ``total``.
    """
    acc: dict[str, list[int]] = {}
    for flow in flows:
        c = acc.setdefault(flow.in_port if flow.in_port is not None else UNKNOWN_PORT, [0] * 6)
        c[0] += 1
        if flow.offloaded == "yes":
            c[1] += 1
        elif flow.offloaded == "partial":
            c[2] += 1
        elif flow.offloaded is None:
            c[3] += 1
        c[4] += flow.packets
        c[5] += flow.bytes
    return {port: PortOffload(*acc[port]) for port in sorted(acc)}
