"""What ``ofproto/trace`` printed, read back into data: pure, no I/O.

ovs-vswitchd builds the text in ``ofproto/ofproto-dpif-trace.c``
(``ofproto_trace``, ``oftrace_node_print_details``) from the nodes
``ofproto/ofproto-dpif-xlate.c`` reports while translating:

* a pass over the tables starts with ``Flow: <flow>``, then
  ``bridge("br-int")`` and a line of dashes;
* each flow that matched is a table node, ``%2d. <match>, priority P[,
  cookie C]`` (``xlate_report_table``; ``No match.`` when none did), and
  the actions it executed are its children, one line each (``xlate_trace``),
  followed by their notes: `` -> `` details, `` >> `` warnings and
  `` >>>> ... <<<<`` errors;
* children are indented four spaces deeper than their parent, except that
  the last child of a node that is not a leaf is printed at its parent's
  level; so a chain of tail ``resubmit``\\ s prints flat, and only a resubmit
  in the middle of a flow's actions prints nested;
* the pass ends with ``Final flow:``, ``Megaflow:`` and ``Datapath
  actions:`` (the datapath's own syntax, ``lib/odp-util.c``);
* each recirculation (conntrack, ``recirc(0x..)``) then gets a header
  between two lines of 79 ``=`` naming the ct_state it resumes with (the
  ``--ct-next`` states, else ``trk|new``) and, for NAT, the addresses it
  rewrote; then a pass of its own.

:func:`parse_trace` keeps every flow the packet met, in order, with its
table, match, priority, cookie and the actions as they ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["TracedAction", "Step", "Stage", "Trace", "parse_trace", "flow_fields"]

_RULE = "=" * 79
_TABLE = re.compile(r"^( *)(\d+)\. (.*)$", re.ASCII)
_ACTION_SET = re.compile(r"^( *)--\. (.*)$")
_BRIDGE = re.compile(r'^( *)bridge\("(.*)"\)$')
_MATCHED = re.compile(r"^(?:(?P<match>.*), )?priority (?P<priority>\d+)(?:, cookie (?P<cookie>0x[0-9a-f]+))?$",
                      re.ASCII)
_RECIRC = re.compile(r"^recirc\((0x[0-9a-f]+)\)(?: - resume conntrack with (?:default )?ct_state=(\S+))?", re.ASCII)
_NOTE_MARKS = ("-> ", ">> ", ">>>> ")


@dataclass(frozen=True, slots=True)
class TracedAction:
    """One action as the switch executed it, and what it said about it."""

    text: str  # in ovs-ofctl syntax: "set_field:0x10000/0xffff0000->reg13", "output:11"
    notes: tuple[str, ...] = ()  # with their marks: "-> NXM_NX_REG13[16..31] is now 0x2", ">> ..."


@dataclass(frozen=True, slots=True)
class Step:
    """One flow the packet matched (or one table it found no flow in)."""

    stage: int  # 0: the first pass; n: after the n-th recirculation
    bridge: str
    table: int | None  # None: the action set being executed ("--. Executing action set:")
    match: str  # ovs-ofctl syntax, "" for a catch-all
    priority: int | None  # None: no flow matched
    cookie: int
    actions: tuple[TracedAction, ...]
    missed: str | None = None  # what the switch said when no flow matched ("No match.")

    def flow_text(self) -> str:
        """The flow as ``ovs-ofctl -O OpenFlow15 dump-flows --no-stats`` writes it (the
        actions as they ran; nested ``ct``/``clone`` actions ran one by one
        and are folded back into their parent)."""
        if self.priority is None:
            return f"table={self.table}, {self.missed or 'no flow'}"
        # ovs-ofctl leaves a zero cookie and table 0 out (ofputil_flow_stats_format)
        cookie = f"cookie={self.cookie:#x}, " if self.cookie else ""
        table = f"table={self.table}, " if self.table else ""
        head = f"{cookie}{table}priority={self.priority}"
        return f"{head}{',' + self.match if self.match else ''} actions={','.join(own_actions(self)) or 'drop'}"

    def where(self) -> str:
        """``table 8 (priority 200, cookie 0x...)``, for messages."""
        if self.priority is None:
            return f"table {self.table} ({self.missed or 'no flow'})"
        return f"table {self.table} (priority {self.priority}, cookie {self.cookie:#x})"


@dataclass(frozen=True, slots=True)
class Stage:
    """One pass of the packet over the tables: the first, or one resumed after a recirculation."""

    flow: str  # the "Flow:" line: the packet's fields (and registers) as the pass starts
    steps: tuple[Step, ...]
    datapath_actions: str  # "" when the pass printed none (the trace was cut short)
    final_flow: str | None = None
    megaflow: str | None = None
    recirc_id: int | None = None  # for a resumed pass: the recirculation it resumes
    ct_state: str | None = None  # the conntrack state it resumed with ("new|trk")
    notes: tuple[str, ...] = ()  # "Translation failed (...)", slow-path reasons, NAT simulated


@dataclass(frozen=True, slots=True)
class Trace:
    stages: tuple[Stage, ...]
    cut_short: bool = False  # "Trace reached the recirculation limit"

    def steps(self) -> Iterator[Step]:
        for stage in self.stages:
            yield from stage.steps


def flow_fields(flow: str) -> dict[str, str]:
    """``key=value`` items of a ``Flow:`` line (bare protocol words map to "")."""
    out = {}
    for item in flow.split(","):
        key, _, value = item.partition("=")
        out[key.strip()] = value
    return out


def own_actions(step: Step) -> list[str]:
    """The step's flow's own actions: those a nested ``ct(...)``/``clone(...)``
    ran one by one after it are dropped again (xlate reports them as siblings)."""
    out: list[str] = []
    skip = 0
    for a in step.actions:
        if skip:
            skip -= 1
            continue
        out.append(a.text)
        skip = nested_count(a.text)
    return out


def nested_count(action: str) -> int:
    """How many action lines the switch prints after ``action`` for the actions
    nested in it: ``ct``'s ``nat`` and ``exec(...)`` and ``clone(...)``'s list."""
    name, args = call_parts(action) or (action, "")
    if name == "clone":
        return sum(1 + nested_count(a) for a in split_top(args))
    if name != "ct":
        return 0
    count = 0
    for arg in split_top(args):
        inner_name, inner = call_parts(arg) or (arg, "")
        if inner_name == "nat" or arg == "nat":
            count += 1
        elif inner_name == "exec":
            count += sum(1 + nested_count(a) for a in split_top(inner))
    return count


def call_parts(text: str) -> tuple[str, str] | None:
    """``name(args)`` -> (name, args); anything else -> None."""
    if text.endswith(")") and "(" in text:
        name, _, rest = text.partition("(")
        return name, rest[:-1]
    return None


def split_top(text: str) -> list[str]:
    """Split on the commas outside any (), {} or [] (flows and datapath actions nest)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if start < len(text):
        parts.append(text[start:])
    return [p for p in (s.strip() for s in parts) if p]


@dataclass
class _Open:
    """A node whose children are still being read: a table step or a bridge."""

    indent: int
    bridge: str
    step: _StepBuilder | None = None  # None: a bridge
    equal_children: bool | None = None  # a bridge: whether its children print at its own level


@dataclass
class _StepBuilder:
    stage: int
    bridge: str
    table: int | None
    match: str = ""
    priority: int | None = None
    cookie: int = 0
    missed: str | None = None
    actions: list[tuple[str, list[str]]] = field(default_factory=list)

    def freeze(self) -> Step:
        return Step(self.stage, self.bridge, self.table, self.match, self.priority, self.cookie,
                    tuple(TracedAction(t, tuple(n) if n else ()) for t, n in self.actions), self.missed)


@dataclass
class _StageBuilder:
    flow: str
    recirc_id: int | None
    ct_state: str | None
    notes: list[str]
    steps: list[_StepBuilder] = field(default_factory=list)
    final_flow: str | None = None
    megaflow: str | None = None
    datapath_actions: str = ""
    stack: list[_Open] = field(default_factory=list)
    bridge: str = ""

    def freeze(self) -> Stage:
        return Stage(self.flow, tuple(s.freeze() for s in self.steps), self.datapath_actions, self.final_flow,
                     self.megaflow, self.recirc_id, self.ct_state, tuple(self.notes))

    def line(self, text: str) -> None:
        """A line of the pass between the bridge header and ``Final flow:``."""
        content = text.lstrip(" ")
        indent = len(text) - len(content)
        first = content[:1]
        # Most lines are actions: only a line starting with a digit, "-" or "b"
        # can be a table, the action set, dashes or a bridge.
        table = _TABLE.match(text) if first.isdigit() else None
        action_set = _ACTION_SET.match(text) if first == "-" else None
        bridge = _BRIDGE.match(text) if first == "b" else None
        if first == "-" and action_set is None and not content.strip("-"):
            return  # the dashes under a bridge name
        if table is not None:
            digits = table.group(2)
            indent = len(table.group(1)) - max(0, 2 - len(digits))  # "%2d. " right-aligns the number
        stack = self.stack
        if stack and indent <= stack[-1].indent or table is not None or action_set is not None:
            self._close(indent, is_table=table is not None or action_set is not None)
        if bridge is not None:
            stack.append(_Open(indent, bridge.group(2)))
            self.bridge = self.bridge or bridge.group(2)
            return
        if table is not None or action_set is not None:
            step = _StepBuilder(0, stack[-1].bridge if stack else self.bridge, None)
            if table is not None:
                step.table = int(table.group(2))
                _fill(step, table.group(3))
            else:
                step.match, step.priority = action_set.group(2) if action_set else "", 0
            self.steps.append(step)
            stack.append(_Open(indent, step.bridge, step))
            return
        owner = stack[-1].step if stack else None
        if owner is None:
            owner = next((o.step for o in reversed(stack) if o.step is not None), None)
            if owner is None:
                return  # "thaw", "Resuming from table 15": the resumed pass's own preamble
        if content.startswith(_NOTE_MARKS):
            if owner.actions:
                owner.actions[-1][1].append(content)
            else:
                owner.actions.append(("", [content]))
        else:
            owner.actions.append((content, []))

    def _close(self, indent: int, is_table: bool) -> None:
        """Pop the nodes a line at ``indent`` is no longer inside.  A bridge's
        children print at its own level when it was the last node of its
        parent (see the module docstring): its first table line tells."""
        while self.stack:
            top = self.stack[-1]
            if indent > top.indent:
                if top.step is None and is_table and top.equal_children is None:
                    top.equal_children = False
                return
            if top.step is None and indent == top.indent and (
                    top.equal_children or (top.equal_children is None and is_table)):
                top.equal_children = True
                return
            self.stack.pop()


def _fill(step: _StepBuilder, rest: str) -> None:
    found = _MATCHED.match(rest)
    if found is None:
        step.missed = rest.strip()
        return
    step.match = found.group("match") or ""
    step.priority = int(found.group("priority"))
    step.cookie = int(found.group("cookie"), 16) if found.group("cookie") else 0


def parse_trace(text: str) -> Trace:
    """Read ``ofproto/trace``'s answer (see the module docstring).

    Lines it does not know are skipped, never guessed at: a newer OVS that
    adds a kind of note still parses.
    """
    stages: list[_StageBuilder] = []
    header: list[str] | None = None  # inside the ==== lines before a resumed pass
    pending: tuple[int | None, str | None, list[str]] = (None, None, [])
    cut_short = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            continue
        if line == _RULE:
            if header is None:
                header = []
            else:
                pending = _header(header)
                header = None
            continue
        if header is not None:
            header.append(line)
            if line.startswith("Trace reached the recirculation limit"):
                cut_short = True
            continue
        if line[0] == " " and stages and stages[-1].final_flow is None:
            stages[-1].line(line)  # the walk: most lines
            continue
        if line.startswith("Flow: "):
            recirc_id, ct_state, notes = pending
            stages.append(_StageBuilder(line[6:], recirc_id, ct_state, list(notes)))
            pending = (None, None, [])
            continue
        if not stages:
            continue
        stage = stages[-1]
        if line.startswith("Final flow: "):
            stage.final_flow = line[12:]
        elif line.startswith("Megaflow: "):
            stage.megaflow = line[10:]
        elif line.startswith("Datapath actions: "):
            stage.datapath_actions = line[18:].strip()
        elif stage.datapath_actions or stage.final_flow is not None:
            stage.notes.append(line.strip())  # translation errors, slow-path reasons
        else:
            stage.line(line)
    if header is not None and header:  # the limit message has no closing rule
        cut_short = cut_short or any(h.startswith("Trace reached") for h in header)
    frozen = []
    for n, s in enumerate(stages):
        for step in s.steps:
            step.stage = n
        frozen.append(s.freeze())
    return Trace(tuple(frozen), cut_short)


def _header(lines: list[str]) -> tuple[int | None, str | None, list[str]]:
    """The recirculation header: its id, the ct_state it resumes with, and the NAT it simulated."""
    recirc_id, ct_state, notes = None, None, []
    for line in lines:
        found = _RECIRC.match(line)
        if found is not None:
            recirc_id = int(found.group(1), 16)
            ct_state = found.group(2)
        elif line.strip().startswith(("Initial flow:", "Modified flow:")) and line.split(":", 1)[1].strip():
            notes.append("NAT " + line.strip())
    return recirc_id, ct_state, notes
