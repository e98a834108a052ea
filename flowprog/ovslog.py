"""What ovs-vswitchd's log says about flow offload, and its running state.

The log lines (``<time>|<seq>|<module>(<thread>)|<LEVEL>|<message>``,
lib/vlog.c's default pattern) that matter:

* the flow API was enabled: ``netdev: Flow API Enabled`` (lib/netdev-offload.c,
  OVS up to 3.6) or ``Flow HW offload is enabled`` (lib/dpif-offload.c,
  OVS 3.7 and 4.0).  Both are logged once, when ``other_config:hw-offload``
  is first seen true (``ovsthread_once``): turning it on works at run time,
  turning it off only at the next start -- so a configuration that says
  ``false`` may run with offload on, and the log (or ``dpif/offload/show``)
  is the running truth;
* a start: ``ovs-vswitchd (Open vSwitch) <version>`` (vswitchd/bridge.c):
  only what follows the last one describes the running process, and when
  the tail holds it, the tail holds everything the process logged: no
  enabling line after it means flow offload is off (both lines are INFO);
* ``failed to offload flow: <error>: <netdev>`` (dpif_netlink up to 3.6,
  dpif_offload_tc from 3.7; ERR, except ENOSPC/EOPNOTSUPP at DBG from 3.7):
  ``No such file or directory`` there means the netdev has no ingress
  qdisc or block (ovn-org/ovn#160);
* ``failed adding ingress qdisc required for offloading on <netdev>: <error>``;
* other offload errors naming no netdev, such as ``flow_put: recirc_id
  sharing not supported`` (netdev_offload_tc, ovn-org/ovn#173).

``dpif/offload/show`` (OVS >= 3.7, ofproto/ofproto-dpif.c) answers
``Globally enabled: true|false`` first.  Pure: text in, records out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["OffloadLog", "offload_log", "globally_enabled"]

_ENABLED = ("netdev: Flow API Enabled", "Flow HW offload is enabled")
_START = re.compile(r"\|INFO\|ovs-vswitchd \(Open vSwitch\) \S+")
_FAILED = re.compile(r"failed to offload flow: (?P<error>.+): (?P<netdev>[^:\s]+)\s*$")
_QDISC = re.compile(r"failed adding ingress qdisc required for offloading on (?P<netdev>\S+): (?P<error>.+)$")
# the offload modules' errors and warnings, OVS 2.x to 4.0: <module>[(<thread>)]|<LEVEL>|
_OTHER = re.compile(r"\|(?:netdev_offload\w*|dpif_offload\w*)(?:\([^)]*\))?\|(?:ERR|WARN)\|")
_GLOBALLY = re.compile(r"^Globally enabled: (true|false)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class OffloadLog:
    """The offload lines of the running ovs-vswitchd's log (its tail)."""

    enabled: str | None = None  # the line saying flow offload was enabled; None: not in the tail
    started: str | None = None  # the last start line in the tail; None: the process started before it
    failures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # netdev -> its "failed to offload" lines
    errors: Mapping[str, str] = field(default_factory=dict)  # netdev -> the error of its last failure
    other: tuple[str, ...] = ()  # offload errors that name no netdev

    def lines_for(self, netdev: str | None) -> tuple[str, ...]:
        """The failure lines about ``netdev``, else those naming none."""
        return self.failures.get(netdev or "", ()) or self.other


def offload_log(text: str) -> OffloadLog:
    """The offload facts of a log tail; lines before the last start are about an earlier process."""
    lines = text.splitlines()
    start = max((i for i, line in enumerate(lines) if _START.search(line)), default=-1)
    current = lines[start + 1:] if start >= 0 else lines
    enabled = next((line for line in reversed(current) if any(e in line for e in _ENABLED)), None)
    failures: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    other: list[str] = []
    for line in current:
        message = line.split("|", 4)[-1]
        if (found := _FAILED.search(message)) is not None:
            failures.setdefault(found["netdev"], []).append(line)
            errors[found["netdev"]] = found["error"]
        elif (found := _QDISC.search(message)) is not None:
            failures.setdefault(found["netdev"], []).append(line)
            errors[found["netdev"]] = f"no ingress qdisc: {found['error']}"
        elif _OTHER.search(line):
            other.append(line)
    return OffloadLog(enabled, lines[start] if start >= 0 else None,
                      {k: tuple(v[-3:]) for k, v in failures.items()}, errors, tuple(other[-3:]))


def globally_enabled(text: str) -> bool | None:
    """``dpif/offload/show``'s first line: whether flow offload is enabled in the running ovs-vswitchd."""
    found = _GLOBALLY.search(text)
    return None if found is None else found.group(1) == "true"
