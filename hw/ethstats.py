"""A VF representor's traffic, split into what the hardware switched and what
reached software: ``ethtool -S`` read, and decoded.

mlx5 gives a VF representor two groups of statistics (``ETH_SS_STATS``,
``mlx5e_rep_stats_grps`` in drivers/net/ethernet/mellanox/mlx5/core/en_rep.c):

* ``sw_rep``: ``rx_packets``, ``rx_bytes``, ``tx_packets``, ``tx_bytes``, the
  representor netdev's own rings (``mlx5e_fold_sw_stats64``): what went
  through software, the slow path;
* ``vport_rep``: ``vport_rx_packets``, ``vport_rx_bytes``,
  ``vport_tx_packets``, ``vport_tx_bytes`` (then RDMA and loopback
  counters): the e-switch vport's own counters, read from the firmware
  (``QUERY_VPORT_COUNTER``), every packet of the VF, switched in hardware
  or not.  They are "flipped" to the representor's point of view: the
  VF's transmitted packets are the representor's ``vport_rx_*``.

The hardware share is therefore ``1 - sw / vport`` per direction (kernel
commit a228060a7c9a, "net/mlx5e: Add HW vport counters to representor
ethtool stats").  The same two numbers reach rtnetlink, but crossed: a
representor's link statistics (``ndo_get_stats64``, ``ip -s link``) are the
*vport* counters, refreshed in the background (``mlx5e_rep_get_stats``), and
the software ones are ``IFLA_OFFLOAD_XSTATS_CPU_HIT``; ethtool reads both in
one synchronous update, by name, so that is what is read here.

Directions are the VF's (the pod's): ``tx`` is what the VF sends (the
representor's ``rx_*``), ``rx`` what it receives (``tx_*``).

The reader issues what ``ethtool -S`` issues (uapi linux/ethtool.h):
``ETHTOOL_GSSET_INFO`` for the number of statistics, ``ETHTOOL_GSTRINGS``
for their names (only when the number changed), ``ETHTOOL_GSTATS`` for the
values.  pyroute2's ``IoctlEthtool.get_statistics`` does the same but keeps
the names it read first and sizes the values' buffer from them, while the
kernel writes as many values as the driver has *now*
(``ethtool_get_stats``, net/ethtool/ioctl.c); here every buffer has room to
spare and the count the kernel reports is checked against it.  A netdev
without those names (a veth, a non-mlx5 driver) has no hardware counters,
and says so.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from hw.ethtool import NO_SUCH_INTERFACE
from hw.netns import IFNAMSIZ, Closing, errno_name, possible_ifname, socket_in
from mvcore.reading import Reading
from mvcore.snapshot import NetdevStats

__all__ = ["DIRECTIONS", "Split", "RepTraffic", "StatsReader", "rep_traffic", "has_hw_counters"]

DIRECTIONS = ("tx", "rx")  # the VF's: what it sends, what it receives
_SIOCETHTOOL = 0x8946
_ETHTOOL_GSTRINGS, _ETHTOOL_GSTATS, _ETHTOOL_GSSET_INFO = 0x1B, 0x1D, 0x37
_ETH_SS_STATS = 1
_ETH_GSTRING_LEN = 32
_SLACK = 64  # spare entries in every buffer: the driver's count may grow between two requests
# The representor's counter names per VF direction: (every packet of the vport, what reached software).
_NAMES = {"tx": ("vport_rx", "rx"), "rx": ("vport_tx", "tx")}


@dataclass(frozen=True, slots=True)
class Split:
    """Packets and bytes of one direction: switched by the hardware, handled in software."""

    hw_packets: int
    sw_packets: int
    hw_bytes: int
    sw_bytes: int

    @property
    def packets(self) -> int:
        return self.hw_packets + self.sw_packets


@dataclass(frozen=True, slots=True)
class RepTraffic:
    """A VF's traffic per direction (``"tx"``, ``"rx"``): since its counters
    started (the last sample), and over the ``seconds`` between two samples."""

    total: Mapping[str, Split]
    interval: Mapping[str, Split] | None  # None: one sample, or the counters were reset in between
    seconds: float | None


def _split(names: Mapping[str, int], values: tuple[int, ...], direction: str) -> Split:
    vport, sw = _NAMES[direction]
    every = (values[names[f"{vport}_packets"]], values[names[f"{vport}_bytes"]])
    soft = (values[names[f"{sw}_packets"]], values[names[f"{sw}_bytes"]])
    # Both come from one update of the driver; a slow-path packet is in both.
    return Split(max(0, every[0] - soft[0]), soft[0], max(0, every[1] - soft[1]), soft[1])


def has_hw_counters(names: tuple[str, ...]) -> bool:
    """Whether statistics of these names split a VF's traffic into hardware and software."""
    return all(f"{prefix}_{unit}" in names for pair in _NAMES.values() for prefix in pair
               for unit in ("packets", "bytes"))


def rep_traffic(stats: NetdevStats) -> RepTraffic | str:
    """The VF's traffic from its representor's statistics, or why there is none."""
    index = {name: i for i, name in enumerate(stats.names)}
    if not has_hw_counters(stats.names):
        return "no hardware vport counters (ethtool -S has no vport_rx_packets: not an mlx5 representor)"
    samples = [s for s in stats.samples if len(s.values) == len(stats.names)]
    if not samples:
        return "the statistics were not read whole"
    last = samples[-1]
    total = {d: _split(index, last.values, d) for d in DIRECTIONS}
    if len(samples) < 2 or last.at <= samples[0].at:
        return RepTraffic(total, None, None)
    before = {d: _split(index, samples[0].values, d) for d in DIRECTIONS}
    deltas = {}
    for d in DIRECTIONS:
        now, then = total[d], before[d]
        delta = Split(now.hw_packets - then.hw_packets, now.sw_packets - then.sw_packets,
                      now.hw_bytes - then.hw_bytes, now.sw_bytes - then.sw_bytes)
        if min(delta.sw_packets, delta.sw_bytes, delta.packets) < 0:  # the counters restarted (driver reload)
            return RepTraffic(total, None, None)
        # hw = vport - sw from two samples may dip when a slow-path packet is counted by sw first
        deltas[d] = Split(max(0, delta.hw_packets), delta.sw_packets, max(0, delta.hw_bytes), delta.sw_bytes)
    return RepTraffic(total, deltas, last.at - samples[0].at)


class StatsReader(Closing):
    """``ethtool -S`` of netdevs in ``netns`` (this namespace when None), over
    one socket made there and kept; the names are kept per netdev and read
    again when their number changes (or after :meth:`forget`)."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._sock: socket.socket | None = None
        self._names: dict[str, tuple[str, ...]] = {}

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def forget(self) -> None:
        """Read every netdev's names again next time (a netdev may have been replaced under its name)."""
        self._names.clear()

    def read(self, ifname: str) -> Reading[tuple[tuple[str, ...], tuple[int, ...]]]:
        """(names, values) of ``ifname``'s statistics; never raises for the
        interface or the kernel (``"no such interface"``, ``"EOPNOTSUPP"``...)."""
        if not possible_ifname(ifname):
            return Reading.failed(NO_SUCH_INTERFACE)
        try:
            if self._sock is None:
                self._sock = socket_in(self.netns, socket.AF_INET, socket.SOCK_DGRAM)
            return Reading.of(self._read(self._sock, ifname))
        except FileNotFoundError:
            return Reading.failed(f"no such network namespace: {self.netns}")
        except _Changed as e:
            return Reading.failed(str(e))
        except OSError as e:
            if e.errno == errno.ENODEV:
                return Reading.failed(NO_SUCH_INTERFACE)
            return Reading.failed(errno_name(e.errno))

    def _read(self, sock: socket.socket, ifname: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        count = _count(sock, ifname)
        if count == 0:
            raise OSError(errno.EOPNOTSUPP, "no statistics")
        names = self._names.get(ifname)
        if names is None or len(names) != count:
            names = self._names[ifname] = _strings(sock, ifname, count)
        values = _stats(sock, ifname, len(names))
        if len(values) != len(names):  # the driver's set changed in between: once more, from the names
            names = self._names[ifname] = _strings(sock, ifname, len(values))
            values = _stats(sock, ifname, len(names))
            if len(values) != len(names):
                raise _Changed("the statistics changed while being read")
        return names, values


class _Changed(Exception):
    pass


def _ioctl(sock: socket.socket, ifname: str, buf: ctypes.Array[ctypes.c_char]) -> None:
    """SIOCETHTOOL with ``struct ifreq`` {char ifr_name[IFNAMSIZ]; void *ifr_data; ...} pointing at ``buf``."""
    ifreq = ifname.encode().ljust(IFNAMSIZ, b"\0") + struct.pack("P", ctypes.addressof(buf)) + bytes(16)
    fcntl.ioctl(sock.fileno(), _SIOCETHTOOL, ifreq)


def _count(sock: socket.socket, ifname: str) -> int:
    """ETHTOOL_GSSET_INFO: struct ethtool_sset_info {u32 cmd; u32 reserved; u64 sset_mask; u32 data[]}."""
    buf = ctypes.create_string_buffer(struct.pack("=IIQI", _ETHTOOL_GSSET_INFO, 0, 1 << _ETH_SS_STATS, 0))
    _ioctl(sock, ifname, buf)
    _cmd, _reserved, mask, count = struct.unpack_from("=IIQI", buf.raw)
    return int(count) if mask & (1 << _ETH_SS_STATS) else 0  # the kernel clears the bits of sets it lacks


def _strings(sock: socket.socket, ifname: str, count: int) -> tuple[str, ...]:
    """ETHTOOL_GSTRINGS: struct ethtool_gstrings {u32 cmd; u32 string_set; u32 len; u8 data[len * 32]}."""
    room = count + _SLACK
    buf = ctypes.create_string_buffer(12 + room * _ETH_GSTRING_LEN)
    struct.pack_into("=III", buf, 0, _ETHTOOL_GSTRINGS, _ETH_SS_STATS, count)
    _ioctl(sock, ifname, buf)
    (n,) = struct.unpack_from("=I", buf.raw, 8)
    if n > room:
        raise _Changed("the statistics changed while being read")
    raw = buf.raw
    return tuple(raw[12 + i * _ETH_GSTRING_LEN:12 + (i + 1) * _ETH_GSTRING_LEN].split(b"\0", 1)[0]
                 .decode("ascii", "replace") for i in range(n))


def _stats(sock: socket.socket, ifname: str, count: int) -> tuple[int, ...]:
    """ETHTOOL_GSTATS: struct ethtool_stats {u32 cmd; u32 n_stats; u64 data[n_stats]}."""
    room = count + _SLACK
    buf = ctypes.create_string_buffer(8 + room * 8)
    struct.pack_into("=II", buf, 0, _ETHTOOL_GSTATS, count)
    _ioctl(sock, ifname, buf)
    (n,) = struct.unpack_from("=I", buf.raw, 4)
    if n > room:
        raise _Changed("the statistics changed while being read")
    return struct.unpack_from(f"={n}Q", buf.raw, 8)
