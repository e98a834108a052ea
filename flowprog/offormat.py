"""Flows as ``ovs-ofctl dump-flows`` prints them, so they paste into the usual tools.

The line is lib/ofp-flow.c ``ofputil_flow_stats_format``: the statistics and
flow options, the match (:mod:`flowprog.ofmatch`, lib/match.c
``match_format``) after its priority, and the actions
(:mod:`flowprog.ofactions`).
"""

from __future__ import annotations

from flowprog.flows import Flow, FlowEntry

__all__ = ["format_flow", "line", "format_header", "duration_text", "flags_text", "match_text", "actions_text"]

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


def _options(e: FlowEntry) -> str:
    """The flow's options after its counters: timeouts, flags, importance,
    and the idle age OpenFlow 1.5 reports."""
    out = ""
    if e.idle_timeout:
        out += f"idle_timeout={e.idle_timeout}, "
    if e.hard_timeout:
        out += f"hard_timeout={e.hard_timeout}, "
    if e.flags:
        out += flags_text(e.flags)
    if e.importance:
        out += f"importance={e.importance}, "
    if e.idle_age is not None:
        out += f"idle_age={e.idle_age}, "
    return out


def format_header(e: FlowEntry) -> str:
    """Everything before the match, with its trailing separator."""
    return (f"cookie={e.cookie:#x}, duration={duration_text(e.duration_sec, e.duration_nsec)}, table={e.table}, "
            f"n_packets={e.packet_count}, n_bytes={e.byte_count}, {_options(e)}")


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
    match = flow.match_text
    actions = flow.actions_text
    return line(flow.entry, match_text(flow) if match is None else match,
                actions_text(flow) if actions is None else actions)


def line(e: FlowEntry, match: str, actions: str) -> str:
    """The line of a flow with this header, match text and actions text.

    This runs for every flow of a dump: :func:`format_header` is inlined for
    the usual flow (a duration in whole milliseconds, as OVS keeps it)."""
    nsec = e.duration_nsec
    duration = f"{e.duration_sec}.{nsec // 1_000_000:03d}s" if nsec and not nsec % 1_000_000 else duration_text(
        e.duration_sec, nsec)
    options = _options(e) if e.idle_age is not None or e.flags or e.idle_timeout or e.hard_timeout \
        or e.importance else ""
    if e.priority != _DEFAULT_PRIORITY:
        match = f"priority={e.priority},{match}" if match else f"priority={e.priority}"
    return (f"cookie={e.cookie:#x}, duration={duration}, table={e.table}, n_packets={e.packet_count}, "
            f"n_bytes={e.byte_count}, {options}{match + ' ' if match else ''}actions={actions}")
