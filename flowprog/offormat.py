"""Flows as ``ovs-ofctl dump-flows`` prints them, so they paste into the usual tools.

The line is lib/ofp-flow.c ``ofputil_flow_stats_format``: the statistics and
flow options, the match (:mod:`flowprog.ofmatch`, lib/match.c
``match_format``) after its priority, and the actions
(:mod:`flowprog.ofactions`).
"""

from __future__ import annotations

from flowprog.flows import Action, FieldMatch, Flow, FlowEntry

__all__ = ["format_flow", "line", "text_row", "stats_line", "options_text", "duration_text",
           "flags_text", "match_text", "actions_text"]

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


def options_text(idle_timeout: int, hard_timeout: int, flags: int, importance: int, idle_age: int | None) -> str:
    """The flow's options after its counters: timeouts, flags, importance,
    and the idle age OpenFlow 1.5 reports."""
    out = ""
    if idle_timeout:
        out += f"idle_timeout={idle_timeout}, "
    if hard_timeout:
        out += f"hard_timeout={hard_timeout}, "
    if flags:
        out += flags_text(flags)
    if importance:
        out += f"importance={importance}, "
    if idle_age is not None:
        out += f"idle_age={idle_age}, "
    return out


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
    return line(flow.entry, match_text(flow), actions_text(flow))


def line(e: FlowEntry, match: str, actions: str) -> str:
    """The line of a flow with this header, match text and actions text."""
    options = options_text(e.idle_timeout, e.hard_timeout, e.flags, e.importance, e.idle_age)
    return stats_line(e.cookie, e.duration_sec, e.duration_nsec, e.table, e.packet_count, e.byte_count, options,
                      e.priority, match, actions)


def text_row(table: int, priority: int, cookie: int, n_packets: int, n_bytes: int, sec: int, nsec: int,
             idle_timeout: int, hard_timeout: int, flags: int, importance: int, idle_age: int | None,
             match: list[tuple[int, FieldMatch]], actions: tuple[tuple[Action, ...], str, str | None]) -> str:
    """:func:`format_flow`'s line from the flow's parts, as
    :meth:`flowprog.ofdecode.Decoder.rows` gives them: ``match`` the
    (rank, item) pairs in print order, ``actions`` (actions, text, why any
    is undecoded)."""
    if idle_timeout or hard_timeout or flags or importance:
        options = options_text(idle_timeout, hard_timeout, flags, importance, idle_age)
    else:
        options = "" if idle_age is None else f"idle_age={idle_age}, "
    return stats_line(cookie, sec, nsec, table, n_packets, n_bytes, options, priority,
                      ",".join([t for _, f in match if (t := f.text)]), actions[1])


def stats_line(cookie: int, sec: int, nsec: int, table: int, n_packets: int, n_bytes: int, options: str,
               priority: int, match: str, actions: str) -> str:
    """The line from the flow's numbers, its options (:func:`options_text`) and
    its match and actions texts.  This runs for every flow of a dump: the
    usual duration (whole milliseconds, as OVS keeps it) is written here."""
    duration = f"{sec}.{nsec // 1_000_000:03d}s" if nsec and not nsec % 1_000_000 else duration_text(sec, nsec)
    if priority != _DEFAULT_PRIORITY:
        match = f"priority={priority},{match}" if match else f"priority={priority}"
    return (f"cookie={cookie:#x}, duration={duration}, table={table}, n_packets={n_packets}, "
            f"n_bytes={n_bytes}, {options}{match + ' ' if match else ''}actions={actions}")
