"""The udev adapter: which PCI functions of a vendor the live host has.

Only the enumeration goes through udev (``udev_enumerate`` scans
``/sys/bus/pci/devices`` and matches the ``vendor`` attribute with
``udev_enumerate_add_match_sysattr``); every attribute is then read with
:mod:`hw.sysfs`, so the live host and a modelled tree take the same path.
pyudev is imported when called, never at import time, and a host without
pyudev or libudev (a minimal container) gets ``None``: the caller lists
sysfs instead.
"""

from __future__ import annotations

__all__ = ["pci_addresses"]


def pci_addresses(vendor: int) -> list[str] | None:
    """Sorted PCI addresses (``"0000:03:00.0"``) of ``vendor``'s functions; None without udev."""
    try:
        import pyudev
    except ImportError:
        return None
    try:
        # Context() loads libudev with ctypes: ImportError when the library is absent.
        context = pyudev.Context()
        devices = context.list_devices(subsystem="pci").match_attribute("vendor", f"0x{vendor:04x}")
        return sorted(str(d.sys_name) for d in devices)
    except (ImportError, OSError):
        return None
