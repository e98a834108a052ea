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
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from hw.model import Features
from hw.netns import errno_name, socket_in

__all__ = ["HW_TC_OFFLOAD", "NO_SUCH_INTERFACE", "features", "from_bits"]

HW_TC_OFFLOAD = "hw-tc-offload"
NO_SUCH_INTERFACE = "no such interface"
_IFNAMSIZ = 16  # including the NUL


def from_bits(*, active: bool, available: bool, never_changed: bool = False) -> Features:
    """``Features`` from one feature's GFEATURES bits.

    ethtool prints ``[fixed]`` when the bit is not in ``hw_features`` or is
    in the never-change set (ethtool.c ``dump_features``; netlink/features.c
    ``dump_feature``): the driver cannot do it on this netdev, it is not a
    setting to flip.  ``hw-tc-offload`` is not in NETIF_F_NEVER_CHANGE, so
    for it "fixed" means exactly "not in hw_features".
    """
    return Features(hw_tc_offload=active, fixed=not available or never_changed)


def features(ifname: str, netns: str | None = None) -> Features:
    """``hw-tc-offload`` of ``ifname`` (in ``netns`` when given).

    Never raises for the interface or the kernel: a missing interface gives
    ``Features(None, error="no such interface")``, other refusals their errno
    name (``"EOPNOTSUPP"`` when the driver has no ethtool ops).
    """
    if not ifname or len(ifname.encode()) >= _IFNAMSIZ or "/" in ifname:
        return Features(None, error=NO_SUCH_INTERFACE)  # no netdev can have that name
    from pyroute2.ethtool.ioctl import EthtoolError, NoSuchDevice

    try:
        sock = socket_in(netns, socket.AF_INET, socket.SOCK_DGRAM)
    except FileNotFoundError:
        return Features(None, error=f"no such network namespace: {netns}")
    except OSError as e:
        return Features(None, error=errno_name(e.errno))
    tool = _ioctl(sock)
    try:
        tool.change_ifname(ifname)
        flist = tool.get_features()
        if HW_TC_OFFLOAD not in flist:
            return Features(None, error=f"{HW_TC_OFFLOAD} is unknown to this kernel")
        return from_bits(active=flist.is_active(HW_TC_OFFLOAD), available=flist.is_available(HW_TC_OFFLOAD),
                         never_changed=flist.is_never_changed(HW_TC_OFFLOAD))
    except NoSuchDevice:
        return Features(None, error=NO_SUCH_INTERFACE)
    except EthtoolError:  # its NotSupportedError: the ioctl says EOPNOTSUPP
        return Features(None, error="EOPNOTSUPP")
    except OSError as e:  # some requests skip pyroute2's wrapper: plain ENODEV
        return Features(None, error=NO_SUCH_INTERFACE if e.errno == errno.ENODEV else errno_name(e.errno))
    finally:
        tool.close()


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

