"""Kernel parameters of a network namespace, as ``sysctl`` shows them: read, never written.

The files under ``/proc/sys/net`` answer for the network namespace of the
task that *opens* them (``net_ctl_header_lookup`` resolves
``current->nsproxy->net_ns``), and an open file keeps answering for the
namespace it was opened in.  So another namespace's values are read the way
pyroute2 makes a socket there (:func:`pyroute2.netns.create_socket`), with
its helper: a short-lived forked child enters the namespace (``setns(2)``),
reads the files and sends their text back (a datagram of at most 1 KiB,
hence batches); this process's threads never move.
Only ``/proc/sys/net/...`` paths are read, and nothing is created: a missing
namespace is an error, never made on the fly.

Names are the paths under ``/proc/sys`` (``net/ipv4/conf/vtep0/rp_filter``):
an interface name may hold a dot, which ``sysctl``'s dotted form cannot say.
The per-interface ARP and reverse-path parameters that matter to several
VTEPs in one subnet (Documentation/networking/ip-sysctl.rst) are combined
with ``conf/all`` by the kernel: ``arp_ignore`` and ``arp_announce`` take the
maximum of the two (``IN_DEV_ARP_IGNORE``/``IN_DEV_ARP_ANNOUNCE``), and so
does ``rp_filter`` (``IN_DEV_RPFILTER``, "the max value from conf/{all,interface}").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from hw.netns import errno_name, exists
from mvcore.reading import Reading

__all__ = ["PROC_SYS", "VTEP_SYSCTLS", "conf_name", "read_sysctls", "effective"]

PROC_SYS = "/proc/sys"
_NAME = re.compile(r"net/ipv[46]/conf/[^/\0]{1,15}/[a-z_]+", re.ASCII)  # IFNAMSIZ - 1 characters at most
_MAX_VALUE = 64  # an integer parameter's text is far shorter


def conf_name(family: str, device: str, key: str) -> str:
    """``conf_name("ipv4", "vtep0", "rp_filter")`` -> ``"net/ipv4/conf/vtep0/rp_filter"``."""
    return f"net/{family}/conf/{device}/{key}"


def _check(names: Iterable[str]) -> tuple[list[str], dict[str, Reading[str]]]:
    good: list[str] = []
    bad: dict[str, Reading[str]] = {}
    for name in dict.fromkeys(names):
        parts = name.split("/")
        if _NAME.fullmatch(name) is None or parts[3] in (".", ".."):
            bad[name] = Reading.failed("not a per-interface network parameter")
        else:
            good.append(name)
    return good, bad


def _read(path: str) -> Reading[str]:
    try:
        with open(path, "rb") as f:
            return Reading.of(f.read(_MAX_VALUE).decode("ascii", "replace").strip())
    except OSError as e:
        return Reading.failed(errno_name(e.errno))


def read_sysctls(names: Iterable[str], netns: str | None = None) -> dict[str, Reading[str]]:
    """Each parameter's text (``"1"``), or why not (``"ENOENT"``: no such
    interface, or no such parameter on this kernel), read in ``netns`` (this
    namespace when None).  Never raises for what it reads."""
    good, out = _check(names)
    if not good:
        return out
    if netns is None:
        return {**out, **{name: _read(f"{PROC_SYS}/{name}") for name in good}}
    if not exists(netns):
        return {**out, **dict.fromkeys(good, Reading[str].failed(f"no such network namespace: {netns}"))}
    return {**out, **_read_in(netns, good)}


VTEP_SYSCTLS = ("arp_ignore", "arp_announce", "rp_filter")  # read for each device holding an IPv4 VTEP

_BATCH = 32  # names per child: their values must fit pyroute2's 1 KiB answer


def _read_in(netns: str, names: list[str]) -> dict[str, Reading[str]]:
    out: dict[str, Reading[str]] = {}
    for i in range(0, len(names), _BATCH):
        out |= _read_batch(netns, names[i:i + _BATCH])
    return out


def _read_batch(netns: str, names: list[str]) -> dict[str, Reading[str]]:
    from pyroute2.process import ChildProcess

    try:
        with ChildProcess(target=_read_in_child, args=[netns, names]) as child:
            payload = child.get_data()
        answers = json.loads(payload)
    except Exception as e:  # noqa: BLE001 - the child's failure arrives as any exception class
        why = errno_name(e.errno) if isinstance(e, OSError) and e.errno else type(e).__name__
        return dict.fromkeys(names, Reading[str].failed(f"cannot read in network namespace {netns}: {why}"))
    if not isinstance(answers, list) or len(answers) != len(names) or not all(
            isinstance(a, list) and len(a) == 2 and all(isinstance(x, str) for x in a) for a in answers):
        return dict.fromkeys(names, Reading[str].failed("garbled answer from the namespace helper"))
    return {name: Reading.failed(error) if error else Reading.of(text)
            for name, (text, error) in zip(names, answers, strict=True)}


def _read_in_child(netns: str, names: list[str]) -> bytes:
    """Runs in the forked child: enter ``netns`` (never creating it), read each
    file; [text, ""] or ["", errno name] per name, as JSON."""
    from pyroute2.netns import setns

    setns(netns, flags=0, fork=False)
    answers = []
    for name in names:
        found = _read(f"{PROC_SYS}/{name}")
        answers.append(["", found.error or "unknown error"] if found.value is None else [found.value, ""])
    return json.dumps(answers, separators=(",", ":")).encode()


def effective(values: Mapping[str, Reading[str]], family: str, device: str, key: str) -> int | None:
    """The value the kernel acts on for ``device``: the maximum of ``conf/all``
    and ``conf/<device>`` (see the module docstring); None unless both were read."""
    found = []
    for where in ("all", device):
        reading = values.get(conf_name(family, where, key))
        text = reading.value if reading is not None else None
        if text is None or not text.lstrip("-").isdigit():
            return None
        found.append(int(text))
    return max(found)
