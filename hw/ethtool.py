"""``hw-tc-offload`` of a netdev, as ``ethtool -k`` shows it.

``NETIF_F_HW_TC`` gates every TC flower offload: with it off, the driver
refuses rules with "TC offload is disabled on net device" and OVS keeps the
datapath flows in software (``tc_can_offload()``, include/net/pkt_cls.h).
It must be on for the uplink representor of each PF and for the VF
representors.

Read with the ``SIOCETHTOOL`` ioctl through pyroute2's ``IoctlEthtool``:
``ETHTOOL_GSSET_INFO``/``ETHTOOL_GSTRINGS`` for the ``ETH_SS_FEATURES``
names (``"hw-tc-offload"`` is NETIF_F_HW_TC's, net/ethtool/common.c), then
``ETHTOOL_GFEATURES`` (uapi linux/ethtool.h, ``struct
ethtool_get_features_block``): per 32 features ``available``
(= ``dev->hw_features``, what the user may change), ``requested``
(``wanted_features``), ``active`` (``features``) and ``never_changed``.
The ioctl needs no privilege and exists on every kernel; the ethtool
netlink family's FEATURES_GET carries the same bitsets, but pyroute2 0.9
has no request for it.

A socket resolves the interface name in the namespace it was created in,
so another namespace only needs the socket made there (:mod:`hw.netns`).

The live side, :func:`read_features`, keeps the four bits as read
(:class:`~mvcore.snapshot.FeatureBits`, what a support bundle stores); the
pure :func:`features_of` says what they mean.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable
from typing import Any

from hw.model import Features
from hw.netns import errno_name, possible_ifname, socket_in
from mvcore.reading import Reading
from mvcore.snapshot import FeatureBits

__all__ = ["HW_TC_OFFLOAD", "NO_SUCH_INTERFACE", "read_features", "read_features_each", "features_of"]

HW_TC_OFFLOAD = "hw-tc-offload"
NO_SUCH_INTERFACE = "no such interface"


def features_of(reading: Reading[FeatureBits]) -> Features:
    """What ``hw-tc-offload``'s bits mean; unknown, with the reason, when they were not read.

    ethtool prints ``[fixed]`` when the bit is not in ``hw_features`` or is
    in the never-change set (ethtool.c ``dump_features``; netlink/features.c
    ``dump_feature``): the driver cannot do it on this netdev, it is not a
    setting to flip.  ``hw-tc-offload`` is not in NETIF_F_NEVER_CHANGE, so
    for it "fixed" means exactly "not in hw_features".
    """
    bits = reading.value
    if bits is None:
        return Features(None, error=reading.why_not(HW_TC_OFFLOAD))
    return Features(hw_tc_offload=bits.active, fixed=not bits.available or bits.never_changed)


def read_features(ifname: str, netns: str | None = None) -> Reading[FeatureBits]:
    """``hw-tc-offload``'s bits on ``ifname`` (in ``netns`` when given).

    Never raises for the interface or the kernel: a missing interface is
    ``"no such interface"``, a missing namespace ``"no such network
    namespace: NAME"``, other refusals their errno name (``"EOPNOTSUPP"``
    when the driver has no ethtool ops).
    """
    return read_features_each((ifname,), netns)[ifname]


def read_features_each(ifnames: Iterable[str], netns: str | None = None) -> dict[str, Reading[FeatureBits]]:
    """:func:`read_features` of each netdev, over one socket: in another
    namespace, making one forks a child (:func:`hw.netns.socket_in`)."""
    out: dict[str, Reading[FeatureBits]] = {}
    tool: Any = None
    unopened: Reading[FeatureBits] | None = None  # why no socket could be made
    try:
        for ifname in ifnames:
            if not possible_ifname(ifname):
                out[ifname] = Reading.failed(NO_SUCH_INTERFACE)  # no netdev can have that name
                continue
            if tool is None and unopened is None:
                try:
                    tool = _ioctl(socket_in(netns, socket.AF_INET, socket.SOCK_DGRAM))
                except FileNotFoundError:
                    unopened = Reading.failed(f"no such network namespace: {netns}")
                except OSError as e:
                    unopened = Reading.failed(errno_name(e.errno))
            out[ifname] = unopened if unopened is not None else _features(tool, ifname)
    finally:
        if tool is not None:
            tool.close()
    return out


def _features(tool: Any, ifname: str) -> Reading[FeatureBits]:
    from pyroute2.ethtool.ioctl import EthtoolError, NoSuchDevice

    try:
        tool.change_ifname(ifname)
        flist = tool.get_features()
        if HW_TC_OFFLOAD not in flist:
            return Reading.failed(f"{HW_TC_OFFLOAD} is unknown to this kernel")
        return Reading.of(FeatureBits(available=flist.is_available(HW_TC_OFFLOAD),
                                      requested=flist.is_requested(HW_TC_OFFLOAD),
                                      active=flist.is_active(HW_TC_OFFLOAD),
                                      never_changed=flist.is_never_changed(HW_TC_OFFLOAD)))
    except NoSuchDevice:
        return Reading.failed(NO_SUCH_INTERFACE)
    except EthtoolError:  # its NotSupportedError: the ioctl says EOPNOTSUPP
        return Reading.failed("EOPNOTSUPP")
    except OSError as e:  # some requests skip pyroute2's wrapper: plain ENODEV
        return Reading.failed(NO_SUCH_INTERFACE if e.errno == errno.ENODEV else errno_name(e.errno))


def _ioctl(sock: socket.socket) -> Any:
    """pyroute2's ioctl helper, issuing its requests on ``sock``."""
    from pyroute2.ethtool.ioctl import IoctlEthtool

    try:
        tool = IoctlEthtool()
    except BaseException:
        sock.close()
        raise
    tool.sock.close()  # it makes one in the caller's namespace; use ours
    tool.sock = sock
    return tool
