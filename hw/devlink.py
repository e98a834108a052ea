"""E-switch mode and device info of a PF, asked over devlink generic netlink.

Two do-requests of the ``"devlink"`` generic netlink family (version 1),
each naming the device by ``DEVLINK_ATTR_BUS_NAME``/``DEVLINK_ATTR_DEV_NAME``
(``"pci"``, ``"0000:03:00.0"``), as ``devlink dev eswitch show`` and
``devlink dev info`` send them:

* ``DEVLINK_CMD_ESWITCH_GET`` (29) answers ``ESWITCH_MODE`` (25, u16),
  ``ESWITCH_INLINE_MODE`` (26, u8) and ``ESWITCH_ENCAP_MODE`` (62, u8); the
  last two only when the driver implements their getters.  It needs
  CAP_NET_ADMIN, and a function that is not the e-switch manager (a VF, a
  BlueField-2 host PF in DPU mode) gets EOPNOTSUPP, or EPERM on older mlx5.
* ``DEVLINK_CMD_INFO_GET`` (51) answers ``INFO_DRIVER_NAME`` (98),
  ``INFO_SERIAL_NUMBER`` (99) and one nested ``INFO_VERSION_{FIXED,RUNNING,
  STORED}`` (100-102) per version, each holding ``INFO_VERSION_NAME`` (103)
  and ``INFO_VERSION_VALUE`` (104).

Numbers are uapi ``include/uapi/linux/devlink.h`` (ABI-stable).  pyroute2
has no helper for either command, so the requests are built here, and the
replies are read with a subclass of pyroute2's ``devlinkcmd`` whose NLA map
names exactly these attributes by number instead of by list position.

Nothing here raises for a missing family, a refusing kernel or a garbled
reply: those are answers (``EswitchState(mode="unknown", error=...)``,
``None``) for the checks to judge.  The MLNX_OFED fallback
(``/sys/class/net/<pf>/compat/devlink/mode``) is read by the caller.
"""

from __future__ import annotations

import errno
import functools
import struct
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from hw.model import DevInfo, EswitchState
from hw.netns import errno_name

__all__ = [
    "DEVLINK_UNAVAILABLE", "DevlinkSock", "eswitch", "info", "decode_eswitch", "decode_info", "open_socket",
]

DEVLINK_UNAVAILABLE = "devlink unavailable"

CMD_ESWITCH_GET = 29
CMD_INFO_GET = 51

# enum devlink_eswitch_mode / _inline_mode / _encap_mode.  SWITCHDEV_INACTIVE
# was appended to the enum by "devlink: Add DEVLINK_ESWITCH_MODE_SWITCHDEV_INACTIVE"
# (netdev, Nov 2025; the set policy's max went from 1 to 2); older kernels never send it.
_MODES = {0: "legacy", 1: "switchdev", 2: "switchdev_inactive"}
_INLINE = {0: "none", 1: "link", 2: "network", 3: "transport"}
_ENCAP = {0: "none", 1: "basic"}

_NLMSG_HDRLEN = 16  # struct nlmsghdr
_GENL_HDRLEN = 4  # struct genlmsghdr: cmd, version, reserved
_NLMSG_ERROR = 2
_NLMSG_MIN_TYPE = 16  # below are control messages (noop, error, done, overrun)
_NLM_F_REQUEST, _NLM_F_ACK = 0x1, 0x4
_NLA_HDRLEN = 4
_NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER
_MIN_PAYLOAD = {25: 2, 26: 1, 62: 1}  # u16 mode, u8 inline, u8 encap
_NESTS = {100, 101, 102}  # INFO_VERSION_FIXED/RUNNING/STORED


class DevlinkSock(Protocol):
    """What :func:`eswitch` and :func:`info` need of a bound devlink socket
    (pyroute2's ``DevlinkSocket`` after ``bind()``; a fake in tests)."""

    @property
    def prid(self) -> int: ...  # the family id the kernel assigned to "devlink"

    def nlm_request(self, msg: Any, msg_type: int, msg_flags: int) -> Iterable[Any]: ...

    def close(self) -> None: ...


@functools.cache
def _message_class() -> type[Any]:
    """pyroute2's ``devlinkcmd`` with the attributes read here, by uapi number."""
    from pyroute2.netlink import nla
    from pyroute2.netlink.devlink import devlinkcmd

    class devlink_msg(devlinkcmd):  # type: ignore[misc]
        nla_map = (
            (1, "DEVLINK_ATTR_BUS_NAME", "asciiz"),
            (2, "DEVLINK_ATTR_DEV_NAME", "asciiz"),
            (25, "DEVLINK_ATTR_ESWITCH_MODE", "uint16"),
            (26, "DEVLINK_ATTR_ESWITCH_INLINE_MODE", "uint8"),
            (62, "DEVLINK_ATTR_ESWITCH_ENCAP_MODE", "uint8"),
            (98, "DEVLINK_ATTR_INFO_DRIVER_NAME", "asciiz"),
            (99, "DEVLINK_ATTR_INFO_SERIAL_NUMBER", "asciiz"),
            (100, "DEVLINK_ATTR_INFO_VERSION_FIXED", "version"),
            (101, "DEVLINK_ATTR_INFO_VERSION_RUNNING", "version"),
            (102, "DEVLINK_ATTR_INFO_VERSION_STORED", "version"),
            (146, "DEVLINK_ATTR_INFO_BOARD_SERIAL_NUMBER", "asciiz"),
        )

        class version(nla):  # type: ignore[misc]  # the children of INFO_VERSION_*
            prefix = "DEVLINK_ATTR_"
            nla_map = (
                (103, "DEVLINK_ATTR_INFO_VERSION_NAME", "asciiz"),
                (104, "DEVLINK_ATTR_INFO_VERSION_VALUE", "asciiz"),
            )

    return devlink_msg


def open_socket() -> DevlinkSock:
    """A devlink socket bound to the family, replies parsed with our class.

    Raises pyroute2's ``NetlinkError`` (ENOENT when the kernel has no devlink
    family) or ``OSError``.
    """
    from pyroute2.netlink.devlink import DevlinkSocket

    sock = DevlinkSocket()
    # pyroute2 logs a missing family at error level; here it is an answer.
    setattr(getattr(sock, "asyncore", sock), "module_err_level", "debug")
    try:
        sock.bind()
    except BaseException:
        sock.close()
        raise
    try:  # same attribute names as pyroute2's class, so only a nicety
        sock.marshal.msg_map[sock.prid] = _message_class()
    except (AttributeError, TypeError):
        pass
    return sock  # type: ignore[no-any-return]


def _handle(pci: str) -> tuple[str, str]:
    """``"0000:03:00.0"`` or ``"pci/0000:03:00.0"`` -> (bus, device)."""
    bus, sep, dev = pci.partition("/")
    return (bus, dev) if sep else ("pci", pci)


def _ask(pci: str, cmd: int, sock_factory: Callable[[], DevlinkSock]) -> tuple[list[Any], str | None, bool]:
    """Send one do-request; (replies, error, devlink answered)."""
    from pyroute2.netlink.exceptions import NetlinkError

    try:
        sock = sock_factory()
    except NetlinkError as e:  # ENOENT: no "devlink" family in this kernel
        return [], DEVLINK_UNAVAILABLE if e.code == errno.ENOENT else errno_name(e.code), False
    except Exception:  # noqa: BLE001 - any failure to open is "not available here"
        return [], DEVLINK_UNAVAILABLE, False
    try:
        msg = _message_class()()
        msg["cmd"] = cmd
        msg["version"] = 1
        bus, dev = _handle(pci)
        msg["attrs"] = [["DEVLINK_ATTR_BUS_NAME", bus], ["DEVLINK_ATTR_DEV_NAME", dev]]
        replies = list(sock.nlm_request(msg, msg_type=sock.prid, msg_flags=_NLM_F_REQUEST | _NLM_F_ACK))
        return replies, None, True
    except NetlinkError as e:  # the kernel's refusal: EOPNOTSUPP, EPERM, ENODEV...
        return [], errno_name(e.code), True
    except OSError as e:
        return [], errno_name(e.errno), False
    finally:
        sock.close()


def eswitch(pci: str, *, sock_factory: Callable[[], DevlinkSock] = open_socket) -> EswitchState:
    """The e-switch mode of PF ``pci`` (``"0000:03:00.0"``) as devlink reports it.

    ``mode`` is ``"unknown"`` with ``error`` set when devlink could not say:
    ``"devlink unavailable"`` (no family), or the errno name the kernel
    answered with (``"EOPNOTSUPP"``/``"EPERM"``: not the e-switch manager or
    not privileged; ``"ENODEV"``: no such devlink instance).
    """
    replies, error, answered = _ask(pci, CMD_ESWITCH_GET, sock_factory)
    if error is not None:
        return EswitchState("unknown", source="devlink" if answered else None, error=error)
    for reply in replies:
        if reply.get("cmd") == CMD_ESWITCH_GET:
            return _eswitch_from(reply)
    return EswitchState("unknown", source="devlink", error="no e-switch answer in the reply")


def info(pci: str, *, sock_factory: Callable[[], DevlinkSock] = open_socket) -> DevInfo | None:
    """Driver, serial number and running firmware of ``pci``; ``None`` when
    devlink is unavailable, refuses, or answers something unreadable."""
    replies, error, _answered = _ask(pci, CMD_INFO_GET, sock_factory)
    if error is not None:
        return None
    for reply in replies:
        if reply.get("cmd") == CMD_INFO_GET:
            return _info_from(reply)
    return None


def _eswitch_from(msg: Any) -> EswitchState:
    mode = msg.get_attr("DEVLINK_ATTR_ESWITCH_MODE")
    inline = msg.get_attr("DEVLINK_ATTR_ESWITCH_INLINE_MODE")
    encap = msg.get_attr("DEVLINK_ATTR_ESWITCH_ENCAP_MODE")
    if mode is None:
        return EswitchState("unknown", source="devlink", error="no e-switch mode in the reply")
    if mode not in _MODES:
        return EswitchState("unknown", source="devlink", error=f"unknown e-switch mode {mode}")
    return EswitchState(
        _MODES[mode],
        inline_mode=None if inline is None else _INLINE.get(inline, f"unknown ({inline})"),
        encap_mode=None if encap is None else _ENCAP.get(encap, f"unknown ({encap})"),
        source="devlink",
    )


def _text(value: Any) -> str | None:
    """A string attribute's value; pyroute2 leaves undecodable ones as bytes."""
    return value if isinstance(value, str) and value else None


def _version(msg: Any, kind: str, name: str) -> str | None:
    for nest in msg.get_attrs(f"DEVLINK_ATTR_INFO_VERSION_{kind}"):
        if nest.get_attr("DEVLINK_ATTR_INFO_VERSION_NAME") == name:
            return _text(nest.get_attr("DEVLINK_ATTR_INFO_VERSION_VALUE"))
    return None


def _info_from(msg: Any) -> DevInfo:
    # mlx5 reports the running firmware as both "fw.version" and "fw".
    fw = _version(msg, "RUNNING", "fw.version") or _version(msg, "RUNNING", "fw")
    serial = _text(msg.get_attr("DEVLINK_ATTR_INFO_SERIAL_NUMBER")) or _text(
        msg.get_attr("DEVLINK_ATTR_INFO_BOARD_SERIAL_NUMBER"))
    return DevInfo(driver=_text(msg.get_attr("DEVLINK_ATTR_INFO_DRIVER_NAME")), serial=serial, fw_version=fw)


def _nlas_fit(data: bytes, offset: int, end: int) -> bool:
    """Whether the NLA chain in ``data[offset:end]`` is well formed: each
    ``struct nlattr`` (u16 length including its 4-byte header, u16 type)
    lies inside the message, the fixed-size values are big enough, and the
    version nests are well formed too.  pyroute2 would instead return the
    bytes of a cut-off attribute as its value."""
    while offset + _NLA_HDRLEN <= end:
        size, kind = struct.unpack_from("=HH", data, offset)
        kind &= _NLA_TYPE_MASK
        if size < _NLA_HDRLEN or offset + size > end or size - _NLA_HDRLEN < _MIN_PAYLOAD.get(kind, 0):
            return False
        if kind in _NESTS and not _nlas_fit(data, offset + _NLA_HDRLEN, offset + size):
            return False
        offset += (size + 3) & ~3  # NLA_ALIGN
    return offset >= end  # no stray bytes after the last attribute


def _parse(data: bytes, cmd: int) -> Any | str:
    """One devlink reply message from raw bytes, or why it is not one.

    Checks what pyroute2 would take on trust: the nlmsghdr length, a
    non-control message type, the genlmsghdr command.  A kernel error
    (``NLMSG_ERROR`` with a negative errno) comes back as its errno name.
    """
    if len(data) < _NLMSG_HDRLEN:
        return "truncated reply"
    length, kind = struct.unpack_from("=IH", data)
    if not _NLMSG_HDRLEN <= length <= len(data):
        return "truncated reply"
    if kind == _NLMSG_ERROR:
        if length < _NLMSG_HDRLEN + 4:
            return "truncated reply"
        (code,) = struct.unpack_from("=i", data, _NLMSG_HDRLEN)
        return errno_name(-code) if code else "acknowledged without a reply"
    if kind < _NLMSG_MIN_TYPE or length < _NLMSG_HDRLEN + _GENL_HDRLEN:
        return "not a devlink reply"
    if data[_NLMSG_HDRLEN] != cmd:
        return f"reply to command {data[_NLMSG_HDRLEN]}, not {cmd}"
    if not _nlas_fit(data, _NLMSG_HDRLEN + _GENL_HDRLEN, length):
        return "malformed attributes"
    try:
        msg = _message_class()(data[:length])
        msg.decode()
    except Exception:  # noqa: BLE001 - pyroute2 raises assorted errors on bad NLAs
        return "undecodable reply"
    return msg


def decode_eswitch(data: bytes) -> EswitchState:
    """An ``EswitchState`` from the bytes of one ESWITCH_GET reply (or of the
    kernel's error message); ``mode="unknown"`` with ``error`` when the bytes
    are not a usable answer."""
    msg = _parse(data, CMD_ESWITCH_GET)
    if isinstance(msg, str):
        return EswitchState("unknown", source="devlink", error=msg)
    try:
        return _eswitch_from(msg)
    except Exception:  # noqa: BLE001 - attributes of the wrong size decode to junk
        return EswitchState("unknown", source="devlink", error="undecodable reply")


def decode_info(data: bytes) -> DevInfo | None:
    """A ``DevInfo`` from the bytes of one INFO_GET reply; ``None`` when the
    bytes are an error or not a usable answer."""
    msg = _parse(data, CMD_INFO_GET)
    if isinstance(msg, str):
        return None
    try:
        return _info_from(msg)
    except Exception:  # noqa: BLE001
        return None
