"""Flows as ``ovs-ofctl dump-flows`` prints them, so they paste into the usual tools.

The line is lib/ofp-flow.c ``ofputil_flow_stats_format``: the statistics and
flow options, the match (:mod:`flowprog.ofmatch`, lib/match.c
``match_format``) after its priority, and the actions
(:mod:`flowprog.ofactions`).
"""

from __future__ import annotations

from flowprog.flows import Flow, FlowEntry

__all__ = ["format_flow", "format_header", "duration_text", "flags_text", "match_text", "actions_text"]

_DEFAULT_PRIORITY = 0x8000
# lib/ofp-flow.c ofputil_flow_mod_flags_format: OFPFF_* bits, in its order.
_FLAGS = ((1, "send_flow_rem"), (2, "check_overlap"), (4, "reset_counts"), (8, "no_packet_counts"),
          (16, "no_byte_counts"))


def duration_text(sec: int, nsec: int) -> str:
    """lib/ofp-print.c ``ofp_print_duration``: milliseconds when they are
    exact, every significant nanosecond digit otherwise."""
    if not nsec:
        return f"{sec}s"
    if nsec % 1_000_000 == 0:
        return f"{sec}.{nsec // 1_000_000:03d}s"
    return f"{sec}.{nsec:09d}".rstrip("0") + "s"


def flags_text(flags: int) -> str:
    return "".join(f"{name} " for bit, name in _FLAGS if flags & bit)


def format_header(e: FlowEntry) -> str:
    """Everything before the match, with its trailing separator."""
    head = (f"cookie={e.cookie:#x}, duration={duration_text(e.duration_sec, e.duration_nsec)}, table={e.table}, "
            f"n_packets={e.packet_count}, n_bytes={e.byte_count}, ")
    if e.idle_timeout:
        head += f"idle_timeout={e.idle_timeout}, "
    if e.hard_timeout:
        head += f"hard_timeout={e.hard_timeout}, "
    if e.flags:
        head += flags_text(e.flags)
    if e.importance:
        head += f"importance={e.importance}, "
    if e.idle_age is not None:
        head += f"idle_age={e.idle_age}, "
    return head


def match_text(flow: Flow) -> str:
    if flow.match_text is not None:
        return flow.match_text
    return ",".join(t for f in flow.match if (t := f.text))


def actions_text(flow: Flow) -> str:
    if flow.actions_text is not None:
        return flow.actions_text
    return ",".join(a.text for a in flow.actions) or "drop"


def format_flow(flow: Flow) -> str:
    """One ``ovs-ofctl dump-flows`` line (without its leading space)."""
    e = flow.entry
    match = match_text(flow)
    if e.priority != _DEFAULT_PRIORITY:
        match = f"priority={e.priority},{match}" if match else f"priority={e.priority}"
    return f"{format_header(e)}{match + ' ' if match else ''}actions={actions_text(flow)}"
