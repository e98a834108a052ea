"""Network-namespace plumbing shared by the netlink adapters.

:mod:`hw.ethtool`, :mod:`hw.routing` and :mod:`hw.plumbing` can look at
another network namespace than the caller's (a test's scratch namespace, or a node whose
VTEP interfaces live in one).  A socket belongs to the namespace it was
*created* in (``sock_net(sk)`` in the kernel), so all that is needed is a
socket created there: pyroute2 does that in a short-lived child that calls
``setns(2)`` and passes the descriptor back, which leaves this process's
threads where they are.

Names are those of ``ip netns`` (bind mounts under ``/run/netns``).  A name
that does not exist is an error here, never created on the fly: pyroute2
creates missing namespaces unless ``flags=0`` is passed, and every call
below passes it.

pyroute2 costs ~0.1 s to import, so it is imported inside the functions.
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from mvcore.errors import Unavailable

__all__ = ["NETNS_RUN_DIR", "IFNAMSIZ", "errno_name", "possible_ifname", "exists", "names", "socket_in",
           "open_iproute", "RtnlSocket", "Closing", "temporary"]

NETNS_RUN_DIR = Path("/run/netns")
IFNAMSIZ = 16  # an interface name's room, the NUL included (linux/if.h)

# errno.errorcode picks one name where Linux gives two to the same number;
# use the one the kernel's netlink code returns (and devlink(8) prints).
_PREFERRED = {errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EAGAIN: "EAGAIN", errno.EDEADLK: "EDEADLK"}

_counter = itertools.count()


def errno_name(code: int | None) -> str:
    """The symbolic name of an errno value: ``95 -> "EOPNOTSUPP"``.

    Netlink reports failures as a negative errno in ``struct nlmsgerr``
    (uapi ``linux/netlink.h``); pyroute2 hands it over as a positive
    ``NetlinkError.code``.  Unknown or missing codes still get a stable text.
    """
    if code is None:
        return "unknown error"
    code = abs(code)
    return _PREFERRED.get(code) or errno.errorcode.get(code, f"errno {code}")


def possible_ifname(ifname: str) -> bool:
    """Whether some netdev could have that name (``dev_valid_name``, net/core/dev.c,
    in part): a name no netdev can have is "no such interface" without asking."""
    return bool(ifname) and len(ifname.encode()) < IFNAMSIZ and "/" not in ifname


def exists(netns: str) -> bool:
    """Whether ``ip netns`` knows a namespace of that name."""
    return "/" not in netns and (NETNS_RUN_DIR / netns).exists()


def names() -> tuple[str, ...]:
    """The namespaces ``ip netns`` knows, sorted (none when there are none)."""
    try:
        return tuple(sorted(p.name for p in NETNS_RUN_DIR.iterdir()))
    except OSError:
        return ()


def socket_in(netns: str | None, family: int, kind: int) -> socket.socket:
    """A new socket in ``netns`` (the caller's namespace when ``None``).

    Raises:
        FileNotFoundError: there is no namespace of that name.
        OSError: the socket could not be created (or not handed over).
    """
    if netns is None:
        return socket.socket(family, kind)
    if not exists(netns):
        raise FileNotFoundError(errno.ENOENT, "no such network namespace", netns)
    from pyroute2 import netns as pyroute2_netns

    sock: socket.socket = pyroute2_netns.create_socket(netns, family, kind, flags=0)
    return sock


def open_iproute(netns: str | None) -> Any:
    """A pyroute2 ``IPRoute`` (an rtnetlink socket) in ``netns``, this
    namespace when None; the caller closes it.

    Raises:
        Unavailable: there is no namespace of that name, or no socket could be made.
    """
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError

    where = f"network namespace {netns}" if netns else "this network namespace"
    if netns is not None and not exists(netns):
        raise Unavailable(f"no network namespace {netns}", hint="see `ip netns list`")
    try:
        return IPRoute(netns=netns, flags=0) if netns else IPRoute()  # flags=0: never create the namespace
    except NetlinkError as e:
        raise Unavailable(f"rtnetlink in {where}: {errno_name(e.code)}") from e
    except OSError as e:
        raise Unavailable(f"rtnetlink in {where}: {errno_name(e.errno)}") from e


class Closing:
    """Closed when its ``with`` block ends (the readers and writers holding sockets)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class RtnlSocket:
    """One rtnetlink socket in ``netns``, opened on first use and kept: in
    another namespace, opening one costs ten times a request.  The reader
    (:mod:`hw.routing`) and the writer (:mod:`hw.plumbing`) share it."""

    __slots__ = ("netns", "_ipr")

    def __init__(self, netns: str | None) -> None:
        self.netns = netns
        self._ipr: Any = None

    def get(self) -> Any:
        """The pyroute2 ``IPRoute``; raises Unavailable as :func:`open_iproute` does."""
        if self._ipr is None:
            self._ipr = open_iproute(self.netns)
        return self._ipr

    def close(self) -> None:
        """Close it (after a failure too); the next :meth:`get` opens a new one."""
        ipr, self._ipr = self._ipr, None
        if ipr is not None:
            try:
                ipr.close()
            except OSError:  # a broken socket is gone either way
                pass


@contextmanager
def temporary(prefix: str = "mvtep-test") -> Iterator[str]:
    """Create a network namespace ``<prefix>-<pid>-<n>`` and always delete it.

    For tests and demos: everything built inside (veth pairs, addresses,
    rules, routes) disappears with the namespace, and nothing on the host
    is touched.
    """
    from pyroute2 import netns as pyroute2_netns

    name = f"{prefix}-{os.getpid()}-{next(_counter)}"
    if exists(name):
        raise FileExistsError(errno.EEXIST, "network namespace exists", name)
    pyroute2_netns.create(name)
    try:
        yield name
    finally:
        pyroute2_netns.remove(name)
