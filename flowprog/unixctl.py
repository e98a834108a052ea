"""The adapter to the unixctl control sockets of ovs-vswitchd and the OVN
daemons (what ``ovs-appctl``/``ovn-appctl`` talk to).

A daemon's socket is ``<rundir>/<daemon>.<pid>.ctl`` with the pid from
``<rundir>/<daemon>.pid`` (``unixctl_server_create()`` in OVS
``lib/unixctl.c``; ``ovs-appctl -t`` finds it the same way).  The protocol is
JSON-RPC 1.0 over the stream: one request ``{"method": "dpctl/dump-flows",
"params": ["-m"], "id": 0}``, one reply ``{"result": "<text>", "error":
null, "id": 0}`` or ``{"result": null, "error": "<text>", "id": 0}``.

The ``ovs`` package's ``ovs.unixctl.client.UnixctlClient`` speaks the same
protocol but cannot be used here: ``transact()`` has no timeout, and its
pure-Python JSON parser (``ovs.json.Parser``, the only one when the package
is built without libopenvswitch, as the PyPI one is) is quadratic in the
number of escaped newlines of a reply string; measured with ovs 4.0.0, a
dump of 500 700-byte flow lines took 5.7 s to parse and 2,000 lines 47 s.
So the exchange is done with :mod:`flowprog.jsonrpc` (the standard library's
``socket`` and C ``json``), following ``UnixctlClient.transact`` message
for message, with one deadline and a size bound for the whole call.

Every failure leaves this module as :class:`mvcore.errors.Unavailable`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from flowprog import jsonrpc
from flowprog.peer import Budget
from mvcore.errors import Unavailable

__all__ = ["DAEMON", "control_socket", "call", "daemon_version", "datapaths", "dump_datapath_flows"]

DAEMON = "ovs-vswitchd"
# The largest reply read: dpctl/dump-flows -m of a datapath at OVS's default
# flow limit (other_config:flow-limit, 200,000 flows of under 1 KiB each).
MAX_REPLY = 256 << 20


def control_socket(rundir: Path, daemon: str = DAEMON) -> Path:
    """``<rundir>/<daemon>.<pid>.ctl``, the pid read from ``<rundir>/<daemon>.pid``.

    Raises:
        Unavailable: no readable pidfile, or no socket for that pid.
    """
    pidfile = rundir / f"{daemon}.pid"
    variable = "OVN_RUNDIR" if daemon.startswith("ovn") else "OVS_RUNDIR"
    hint = f"is {daemon} running? set {variable} to its run directory"
    try:
        text = pidfile.read_text().strip()
    except FileNotFoundError as e:
        raise Unavailable(f"{daemon} is not running in {rundir} (no {pidfile.name})", hint=hint) from e
    except OSError as e:
        raise Unavailable(f"cannot read {pidfile}: {e.strerror}", hint=hint) from e
    if not text.isdigit():
        raise Unavailable(f"{pidfile} does not hold a pid: {text[:40]!r}", hint=hint)
    path = rundir / f"{daemon}.{int(text)}.ctl"
    if not path.exists():
        raise Unavailable(f"{daemon} (pid {int(text)}) has no control socket {path}", hint=hint)
    return path


def call(path: Path, command: str, args: Sequence[str] = (), timeout: float = 5.0) -> str:
    """Run one unixctl ``command`` with ``args`` and return its text reply.

    ``timeout`` is the deadline of the whole call, connecting included, and
    the reply may be at most :data:`MAX_REPLY` bytes: a daemon that answers
    without end, or one byte at a time, is cut off.

    Raises:
        Unavailable: cannot connect, no whole answer in time, the connection
            ends early, the answer is too large or not JSON-RPC, or the
            daemon refuses the command (its own error text is the message).
    """
    where = str(path)
    budget = Budget(where, timeout, max_bytes=MAX_REPLY, max_messages=16)
    try:
        reply = jsonrpc.call(f"unix:{where}", command, list(args), budget)
    except jsonrpc.RpcFailed as e:
        if e.kind == "connect":
            raise Unavailable(e.message, hint="is the daemon running? is this its control socket?") from e
        raise
    return _result(reply, where, command)


def _result(reply: dict[str, object], where: str, command: str) -> str:
    error = reply.get("error")
    if error is not None:
        text = error if isinstance(error, str) else json.dumps(error)
        raise Unavailable(f"{command} failed: {text.strip()}")
    result = reply.get("result")
    if not isinstance(result, str):
        raise Unavailable(f"{where} answered {command} without a text result")
    return result


def daemon_version(rundirs: Sequence[Path], daemon: str, timeout: float) -> str:
    """The version ``daemon`` reports over its control socket (``version``).

    The socket is looked for in each of ``rundirs`` in turn (OVN daemons
    use ``OVN_RUNDIR``, by default ``/var/run/ovn``; the sandbox keeps them
    beside OVS's).  The answer is the last word of the reply's first line:
    ``"25.03.0"`` from ``"ovn-controller 25.03.0"``, ``"3.5.0"`` from
    ``"ovs-vswitchd (Open vSwitch) 3.5.0"``.

    Raises:
        Unavailable: no running ``daemon`` in any of ``rundirs``, or no answer.
    """
    missing: list[Unavailable] = []
    for rundir in rundirs:
        try:
            path = control_socket(rundir, daemon)
        except Unavailable as e:
            missing.append(e)
            continue
        lines = call(path, "version", (), timeout).strip().splitlines()
        words = lines[0].split() if lines else []
        if not words:
            raise Unavailable(f"{daemon} answered version with nothing")
        return words[-1]
    raise missing[0] if missing else Unavailable(f"no run directory to look for {daemon} in")


def datapaths(rundir: Path, timeout: float) -> tuple[str, ...]:
    """The datapaths ovs-vswitchd has open, ``type@name`` (``dpctl/dump-dps``)."""
    return _datapaths(control_socket(rundir), timeout)


def _datapaths(path: Path, timeout: float) -> tuple[str, ...]:
    out = call(path, "dpctl/dump-dps", (), timeout)
    return tuple(line.strip() for line in out.splitlines() if line.strip())


def dump_datapath_flows(rundir: Path, timeout: float, datapath: str | None = None) -> str:
    """``dpctl/dump-flows -m`` of ``datapath``, or of every datapath when ``None``.

    One ``dpctl/dump-flows`` call reads one datapath (without a name it
    fails with "multiple datapaths, specify one" as soon as there are two,
    e.g. ``system@ovs-system`` and ``netdev@ovs-netdev``), so each datapath
    is dumped in turn and its section starts with a ``<type>@<name>:`` line,
    as ``dpctl/show`` prints it; :func:`flowprog.dpflows.parse_dump` reads
    those lines.  ``-m`` gives ufids, port names and the ``offloaded:`` and
    ``dp:`` fields; the default ``type`` already lists every kind of flow
    (ovs, tc, dpdk, offloaded, partially offloaded).
    """
    path = control_socket(rundir)
    sections = []
    for name in (datapath,) if datapath is not None else _datapaths(path, timeout):
        text = call(path, "dpctl/dump-flows", ("-m", name), timeout)
        sections.append(f"{name}:\n{text}" + ("" if text.endswith("\n") or not text else "\n"))
    return "".join(sections)
