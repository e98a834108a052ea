"""The names of the pre-flight checks (``mvtep preflight --only``), on their
own: the command line lists them without importing the checks."""

from __future__ import annotations

__all__ = ["CHECK_NAMES"]

CHECK_NAMES = ("adapters", "sriov-eswitch", "representors", "hw-tc-offload", "lag", "ovs", "vteps")
