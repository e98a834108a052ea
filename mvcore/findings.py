"""Findings: what a check found, in one shape for every command.

``mvtep verify``, ``mvtep preflight`` and ``mvtep paths`` all report
findings with a stable ``code`` (part of the contract, listed in the README),
a severity, the subject it is about, a one-line message and a hint saying
what to do.  Exit status 1 means at least one error finding.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Severity", "Finding", "has_errors", "finding_json", "sort_findings", "worst"]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    hint: str = ""
    interface: str | None = None  # the OVS interface (VF representor) it is about
    iface_id: str | None = None  # its logical port
    subject: str | None = None  # anything else it is about: a PF, a tunnel, a VTEP IP


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The most severe severity among ``findings``; None when there are none."""
    return min((f.severity for f in findings), key=_RANK.__getitem__, default=None)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then info; stable within each."""
    return tuple(sorted(findings, key=lambda f: _RANK[f.severity]))


def finding_json(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity.value, "interface": f.interface, "iface_id": f.iface_id,
            "subject": f.subject, "message": f.message, "hint": f.hint}
