"""The kernel's conntrack table, per zone: how many connections, how many
could be offloaded, and how many are.

OVN sends a VIF's traffic through conntrack in the VIF's own zone (ACLs,
``ct-zone-<logical port>`` in br-int's ``external_ids``); with TC offload,
``act_ct`` puts a connection in its flow table -- and, when the driver takes
it, in hardware -- only once it is established (``tcf_ct_flow_table_process_conn``,
net/sched/act_ct.c): a TCP connection ``ASSURED`` and in state ESTABLISHED,
a UDP one confirmed (both directions when ``ASSURED``), GRE; never ICMP.
Each entry's ``CTA_STATUS`` then carries ``IPS_OFFLOAD`` (in the flow
table) and ``IPS_HW_OFFLOAD`` (in hardware) -- what ``conntrack -L`` prints
as ``[OFFLOAD]`` and ``[HW_OFFLOAD]``.

:class:`ConntrackReader` dumps the table over nfnetlink (``IPCTNL_MSG_CT_GET``
with ``NLM_F_DUMP``, every family: pyroute2's ``NFCTSocket``) and keeps the
reply's bytes; :func:`zones` counts them.  Layouts (uapi
``linux/netfilter/nfnetlink.h``, ``nfnetlink_conntrack.h``,
``nf_conntrack_common.h``, ``nf_conntrack_tcp.h``): after the ``nlmsghdr``
(type ``NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW``) a 4-byte ``struct
nfgenmsg``, then attributes in network byte order: ``CTA_TUPLE_ORIG`` >
``CTA_TUPLE_PROTO`` > ``CTA_PROTO_NUM`` (u8), ``CTA_STATUS`` (be32),
``CTA_PROTOINFO`` > ``CTA_PROTOINFO_TCP`` > ``CTA_PROTOINFO_TCP_STATE``
(u8), ``CTA_ZONE`` (be16; absent for zone 0, ``ctnetlink_dump_zone_id``).
Dumping needs ``CAP_NET_ADMIN``; unprivileged, the answer is ``EPERM``.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hw.netns import Closing, errno_name, exists
from hw.nlmsg import attrs, concat, split
from mvcore.reading import Reading
from mvcore.snapshot import NetlinkAnswer

__all__ = ["ZoneConntrack", "ConntrackReader", "zones"]

_CT_NEW = (1 << 8) | 0  # NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW: what a dump answers with
_CTA_TUPLE_ORIG, _CTA_STATUS, _CTA_PROTOINFO, _CTA_ZONE = 1, 3, 4, 18
_CTA_TUPLE_PROTO, _CTA_PROTO_NUM = 2, 1
_CTA_PROTOINFO_TCP, _CTA_PROTOINFO_TCP_STATE = 1, 1
_IPS_ASSURED, _IPS_CONFIRMED, _IPS_OFFLOAD, _IPS_HW_OFFLOAD = 1 << 2, 1 << 3, 1 << 14, 1 << 15
_TCP_ESTABLISHED = 3  # enum tcp_conntrack
_TCP, _UDP, _GRE, _ICMP, _ICMPV6 = 6, 17, 47, 1, 58


@dataclass(frozen=True, slots=True)
class ZoneConntrack:
    """The connections of one conntrack zone."""

    entries: int = 0
    offloadable: int = 0  # established the way act_ct offloads them (TCP ESTABLISHED, UDP, GRE)
    offloaded: int = 0  # of those, in act_ct's flow table (IPS_OFFLOAD)
    in_hw: int = 0  # of those, in hardware (IPS_HW_OFFLOAD)
    icmp: int = 0  # ICMP and ICMPv6 connections: never offloaded


class ConntrackReader(Closing):
    """The conntrack table of ``netns`` (this namespace when None), over one
    nfnetlink socket opened there on first use and kept."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self._sock: Any = None

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def dump(self) -> NetlinkAnswer:
        """Every entry, as the kernel sent them; or the errno name it refused with."""
        from pyroute2 import NFCTSocket
        from pyroute2.netlink.exceptions import NetlinkError

        if self.netns is not None and not exists(self.netns):
            return NetlinkAnswer(error=f"no such network namespace: {self.netns}")
        try:
            if self._sock is None:
                kwargs: dict[str, Any] = {"netns": self.netns, "flags": 0} if self.netns else {}
                self._sock = NFCTSocket(nfgen_family=socket.AF_UNSPEC, **kwargs)
            return NetlinkAnswer(messages=concat(self._sock.dump()))
        except NetlinkError as e:
            return NetlinkAnswer(error=errno_name(e.code))
        except OSError as e:
            self.close()
            return NetlinkAnswer(error=errno_name(e.errno))


def _attrs(raw: bytes) -> dict[int, bytes]:
    return dict(attrs(raw))


def zones(answer: NetlinkAnswer) -> Reading[Mapping[int, ZoneConntrack]]:
    """Zone -> its connections, from a :meth:`ConntrackReader.dump` answer (live or from a bundle)."""
    if answer.error is not None:
        return Reading.failed(answer.error)
    found = split(answer.messages, msg_type=_CT_NEW, fixed=4)  # nests are read leniently below
    if isinstance(found, str):
        return Reading.failed(found)
    counts: dict[int, list[int]] = {}
    for m in found:
        status_raw = m.attr(_CTA_STATUS)
        zone_raw = m.attr(_CTA_ZONE)
        status = struct.unpack("!I", status_raw)[0] if status_raw and len(status_raw) == 4 else 0
        zone = struct.unpack("!H", zone_raw)[0] if zone_raw and len(zone_raw) == 2 else 0
        proto_raw = _attrs(_attrs(m.attr(_CTA_TUPLE_ORIG) or b"").get(_CTA_TUPLE_PROTO, b"")).get(_CTA_PROTO_NUM)
        proto = proto_raw[0] if proto_raw else None
        tcp_state = _attrs(_attrs(m.attr(_CTA_PROTOINFO) or b"").get(_CTA_PROTOINFO_TCP, b"")) \
            .get(_CTA_PROTOINFO_TCP_STATE)
        c = counts.setdefault(zone, [0, 0, 0, 0, 0])
        c[0] += 1
        if proto in (_ICMP, _ICMPV6):
            c[4] += 1
        offloadable = (proto == _TCP and status & _IPS_ASSURED and tcp_state == bytes([_TCP_ESTABLISHED])) \
            or (proto in (_UDP, _GRE) and status & _IPS_CONFIRMED)
        if offloadable:
            c[1] += 1
            c[2] += 1 if status & _IPS_OFFLOAD else 0
            c[3] += 1 if status & _IPS_HW_OFFLOAD else 0
    return Reading.of({zone: ZoneConntrack(*c) for zone, c in sorted(counts.items())})
