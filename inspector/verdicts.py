"""Path verdicts and the orders the views sort by, on their own: the command
line offers them without importing the path model."""

from __future__ import annotations

__all__ = ["VERDICTS", "SORTS"]

# Verdicts, worst first (the order "problems first" sorting uses).  "unknown":
# evidence the verdict needs could not be read, so nothing is claimed.
VERDICTS = ("broken", "unknown", "not-offloaded", "partial", "idle", "offloaded")
SORTS = ("status", "interface", "vtep", "rate")  # the orders the views offer
