"""A plan as a reviewable diff (rich) and as JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from flowprog.plan import Change, Plan

__all__ = ["SCHEMA", "to_json", "render", "render_change"]

SCHEMA = 1
_MARK = {"add": ("+", "green"), "change": ("~", "yellow"), "remove": ("-", "red")}


def render_change(c: Change) -> Text:
    mark, style = _MARK[c.action]
    if c.refused:
        return Text.assemble(("! ", "bold magenta"), (c.target, "magenta"), (f"  refused: {c.refused}", "dim"))
    if c.kind in ("rule", "route"):
        return Text.assemble((f"{mark} ", style), (c.target, style))
    if c.action == "change":
        return Text.assemble((f"{mark} ", style), c.target, ": ", (str(c.old), "red"), " -> ", (str(c.new), "green"))
    value = c.new if c.action == "add" else c.old
    return Text.assemble((f"{mark} ", style), c.target, (f" = {value}", style))


def render(plan: Plan) -> RenderableType:
    lines: list[RenderableType] = [render_change(c) for c in plan.changes]
    lines += [Text(f"note: {n}", style="dim") for n in plan.notes]
    refused = len(plan.changes) - len(plan.todo)
    if plan.todo:
        summary = f"{len(plan.todo)} change(s) to make" + (f", {refused} refused" if refused else "")
    else:
        summary = "nothing to change" + (f" ({refused} refused)" if refused else ": the node matches the spec")
    lines.append(Text(summary, style="bold"))
    return Group(*lines)


def to_json(plan: Plan) -> dict[str, Any]:
    return {"schema": SCHEMA, "kind": "plan",
            "changes": [{"kind": c.kind, "action": c.action, "target": c.target, "old": c.old, "new": c.new,
                         "refused": c.refused} for c in plan.changes],
            "notes": list(plan.notes)}
