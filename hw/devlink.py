"""E-switch mode, device info and parameters of a PF, asked over devlink generic netlink.

Three do-requests of the ``"devlink"`` generic netlink family (version 1),
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
* ``DEVLINK_CMD_PARAM_GET`` (38) with ``PARAM_NAME`` (81) answers one
  ``PARAM`` nest (80, ``devlink_nl_param_fill``, net/devlink/param.c):
  ``PARAM_NAME``, ``PARAM_GENERIC`` (82, flag), ``PARAM_TYPE`` (83, u8: the
  NLA type, 1-4 u8..u64, 5 string, 6 flag), and ``PARAM_VALUES_LIST`` (84)
  holding one ``PARAM_VALUE`` (85) per configuration mode, each with
  ``PARAM_VALUE_CMODE`` (87, u8: 0 runtime, 1 driverinit, 2 permanent) and
  ``PARAM_VALUE_DATA`` (86; a bool is the flag's presence).  Unprivileged;
  a parameter the driver does not have is EINVAL.  mlx5's are
  ``flow_steering_mode`` (string ``dmfs``/``smfs``/``hmfs``) and
  ``esw_multiport`` (bool), both runtime (Documentation/networking/devlink/mlx5.rst).

Numbers are uapi ``include/uapi/linux/devlink.h`` (ABI-stable).  The live
side (:func:`ask_eswitch`, :func:`ask_info`) only sends the request and keeps
the kernel's reply bytes (or the refusal); the pure side
(:func:`decode_eswitch`, :func:`decode_info`) is the one decoder, for a live
answer and a recorded one alike.  pyroute2 has no helper for either command,
so requests are built here, and replies are read with a subclass of its
``devlinkcmd`` naming exactly these attributes by number.

Nothing here raises for a missing family, a refusing kernel or a garbled
reply: those are answers (``EswitchState(mode="unknown", error=...)``,
``None``) for the checks to judge.  The MLNX_OFED fallback
(``compat/devlink/mode`` in sysfs) is weighed by :func:`hw.host.eswitch_of`.
"""

from __future__ import annotations

import errno
import functools
import sys
from typing import Any

from hw.model import DevInfo, EswitchState
from hw.netns import errno_name
from hw.nlmsg import NLMSG_HDRLEN, attrs, concat, narrow, parse, split
from mvcore.reading import Reading
from mvcore.snapshot import NetlinkAnswer

__all__ = [
    "DEVLINK_UNAVAILABLE", "CMD_ESWITCH_GET", "CMD_INFO_GET", "CMD_PARAM_GET", "PARAMS", "ParamValue",
    "ask_eswitch", "ask_info", "ask_param", "request", "decode_eswitch", "decode_info", "decode_param", "unanswered",
]

DEVLINK_UNAVAILABLE = "devlink unavailable"

CMD_ESWITCH_GET = 29
CMD_INFO_GET = 51
CMD_PARAM_GET = 38
PARAMS = ("flow_steering_mode", "esw_multiport")  # the mlx5 parameters mvtep reads

ParamValue = str | int | bool
_ATTR_PARAM, _PARAM_NAME, _PARAM_TYPE, _VALUES_LIST, _VALUE, _VALUE_DATA, _VALUE_CMODE = 80, 81, 83, 84, 85, 86, 87
_TYPE_STRING, _TYPE_FLAG = 5, 6
_INT_SIZES = {1: 1, 2: 2, 3: 4, 4: 8}  # NLA_U8..NLA_U64
_CMODE_RUNTIME = 0

# enum devlink_eswitch_mode / _inline_mode / _encap_mode.  SWITCHDEV_INACTIVE
# was appended to the enum by "devlink: Add DEVLINK_ESWITCH_MODE_SWITCHDEV_INACTIVE"
# (netdev, Nov 2025; the set policy's max went from 1 to 2); older kernels never send it.
_MODES = {0: "legacy", 1: "switchdev", 2: "switchdev_inactive"}
_INLINE = {0: "none", 1: "link", 2: "network", 3: "transport"}
_ENCAP = {0: "none", 1: "basic"}

_GENL_HDRLEN = 4  # struct genlmsghdr: cmd, version, reserved
_NLM_F_REQUEST, _NLM_F_ACK = 0x1, 0x4
_MIN_PAYLOAD = {25: 2, 26: 1, 62: 1}  # u16 mode, u8 inline, u8 encap
_NESTS = frozenset({100, 101, 102, _ATTR_PARAM, _VALUES_LIST, _VALUE})  # info versions, the param nests


@functools.cache
def _message_class() -> type[Any]:
    """pyroute2's ``devlinkcmd`` with the attributes read here, by uapi number."""
    from pyroute2.netlink import nla
    from pyroute2.netlink.devlink import devlinkcmd

    class version(nla):  # type: ignore[misc]  # the children of INFO_VERSION_*
        prefix = "DEVLINK_ATTR_"
        nla_map = (
            (103, "DEVLINK_ATTR_INFO_VERSION_NAME", "asciiz"),
            (104, "DEVLINK_ATTR_INFO_VERSION_VALUE", "asciiz"),
        )

    cls = narrow(devlinkcmd, "devlink_msg", (
        (1, "DEVLINK_ATTR_BUS_NAME", "asciiz"),
        (2, "DEVLINK_ATTR_DEV_NAME", "asciiz"),
        (25, "DEVLINK_ATTR_ESWITCH_MODE", "uint16"),
        (81, "DEVLINK_ATTR_PARAM_NAME", "asciiz"),
        (26, "DEVLINK_ATTR_ESWITCH_INLINE_MODE", "uint8"),
        (62, "DEVLINK_ATTR_ESWITCH_ENCAP_MODE", "uint8"),
        (98, "DEVLINK_ATTR_INFO_DRIVER_NAME", "asciiz"),
        (99, "DEVLINK_ATTR_INFO_SERIAL_NUMBER", "asciiz"),
        (100, "DEVLINK_ATTR_INFO_VERSION_FIXED", "version"),
        (101, "DEVLINK_ATTR_INFO_VERSION_RUNNING", "version"),
        (102, "DEVLINK_ATTR_INFO_VERSION_STORED", "version"),
        (146, "DEVLINK_ATTR_INFO_BOARD_SERIAL_NUMBER", "asciiz"),
    ))
    cls.version = version
    return cls


def request(pci: str, cmd: int, param: str | None = None) -> Any:
    """The request ``devlink`` sends for ``cmd`` about ``pci`` (``"0000:03:00.0"``
    or ``"pci/0000:03:00.0"``), as a pyroute2 message; ``param`` names the
    parameter of a ``PARAM_GET``."""
    bus, sep, dev = pci.partition("/")
    msg = _message_class()()
    msg["cmd"] = cmd
    msg["version"] = 1
    msg["attrs"] = [["DEVLINK_ATTR_BUS_NAME", bus if sep else "pci"], ["DEVLINK_ATTR_DEV_NAME", dev if sep else pci]]
    if param is not None:
        msg["attrs"].append(["DEVLINK_ATTR_PARAM_NAME", param])
    return msg


def _ask(pci: str, cmd: int, param: str | None = None) -> NetlinkAnswer:
    """One do-request on a devlink socket of this namespace: the reply's bytes, or why not."""
    from pyroute2.netlink.devlink import DevlinkSocket
    from pyroute2.netlink.exceptions import NetlinkError

    try:
        sock = DevlinkSocket()
    except Exception:  # noqa: BLE001 - no netlink here at all: not available
        return NetlinkAnswer(error=DEVLINK_UNAVAILABLE)
    # pyroute2 logs a missing family at error level; here it is an answer.
    getattr(sock, "asyncore", sock).module_err_level = "debug"
    try:
        try:
            sock.bind()  # resolves the family's id: ENOENT when this kernel has no devlink
        except NetlinkError as e:
            return NetlinkAnswer(error=DEVLINK_UNAVAILABLE if e.code == errno.ENOENT else errno_name(e.code))
        replies = sock.nlm_request(request(pci, cmd, param), msg_type=sock.prid,
                                   msg_flags=_NLM_F_REQUEST | _NLM_F_ACK)
        return NetlinkAnswer(messages=concat(replies))
    except NetlinkError as e:  # the kernel's refusal: EOPNOTSUPP, EPERM, ENODEV...
        return NetlinkAnswer(error=errno_name(e.code))
    except OSError as e:
        return NetlinkAnswer(error=errno_name(e.errno))
    finally:
        sock.close()


def ask_eswitch(pci: str) -> NetlinkAnswer:
    """The kernel's reply to ``DEVLINK_CMD_ESWITCH_GET`` for PF ``pci``."""
    return _ask(pci, CMD_ESWITCH_GET)


def ask_info(pci: str) -> NetlinkAnswer:
    """The kernel's reply to ``DEVLINK_CMD_INFO_GET`` for PF ``pci``."""
    return _ask(pci, CMD_INFO_GET)


def ask_param(pci: str, name: str) -> NetlinkAnswer:
    """The kernel's reply to ``DEVLINK_CMD_PARAM_GET`` of parameter ``name`` of PF ``pci``."""
    return _ask(pci, CMD_PARAM_GET, name)


def _reply(answer: NetlinkAnswer, cmd: int) -> Any | str:
    """The one devlink reply to ``cmd`` in ``answer``, parsed; or why there is none.

    Checks what pyroute2 would take on trust (:mod:`hw.nlmsg`) and the
    genlmsghdr's command.  The family id is the kernel's choice at run time,
    so any family message type is taken.
    """
    if answer.error is not None:
        return answer.error
    found = split(answer.messages, msg_type=None, fixed=_GENL_HDRLEN, sizes=_MIN_PAYLOAD, nests=_NESTS)
    if isinstance(found, str):
        return found
    if not found:
        return "no answer in the reply"
    got = found[0].data[NLMSG_HDRLEN]
    if got != cmd:
        return f"reply to command {got}, not {cmd}"
    if cmd == CMD_PARAM_GET:
        return found[0]  # its nests are walked by decode_param
    return parse(_message_class(), found[0]) or "undecodable reply"


def unanswered(answer: NetlinkAnswer, cmd: int) -> str | None:
    """Why ``answer`` holds no reply to ``cmd`` (the refusal, or what is wrong
    with the bytes); None when it holds one."""
    found = _reply(answer, cmd)
    return found if isinstance(found, str) else None


def decode_eswitch(answer: NetlinkAnswer) -> EswitchState:
    """The e-switch state in an ``ESWITCH_GET`` answer.

    ``mode`` is ``"unknown"`` with ``error`` set when the answer does not
    say: ``"devlink unavailable"`` (no family: ``source`` None), the errno
    name the kernel refused with (``"EOPNOTSUPP"``/``"EPERM"``: not the
    e-switch manager or not privileged; ``"ENODEV"``: no such devlink
    instance), or what is wrong with the bytes.
    """
    msg = _reply(answer, CMD_ESWITCH_GET)
    if isinstance(msg, str):
        return EswitchState("unknown", source=None if msg == DEVLINK_UNAVAILABLE else "devlink", error=msg)
    try:
        mode = msg.get_attr("DEVLINK_ATTR_ESWITCH_MODE")
        inline = msg.get_attr("DEVLINK_ATTR_ESWITCH_INLINE_MODE")
        encap = msg.get_attr("DEVLINK_ATTR_ESWITCH_ENCAP_MODE")
    except Exception:  # noqa: BLE001 - attributes of the wrong size decode to junk
        return EswitchState("unknown", source="devlink", error="undecodable reply")
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


def decode_info(answer: NetlinkAnswer) -> DevInfo | None:
    """Driver, serial number and running firmware in an ``INFO_GET`` answer;
    None when the answer is a refusal or not a usable reply."""
    msg = _reply(answer, CMD_INFO_GET)
    if isinstance(msg, str):
        return None
    try:
        # mlx5 reports the running firmware as both "fw.version" and "fw".
        fw = _version(msg, "RUNNING", "fw.version") or _version(msg, "RUNNING", "fw")
        serial = _text(msg.get_attr("DEVLINK_ATTR_INFO_SERIAL_NUMBER")) or _text(
            msg.get_attr("DEVLINK_ATTR_INFO_BOARD_SERIAL_NUMBER"))
        return DevInfo(driver=_text(msg.get_attr("DEVLINK_ATTR_INFO_DRIVER_NAME")), serial=serial, fw_version=fw)
    except Exception:  # noqa: BLE001
        return None


def decode_param(answer: NetlinkAnswer) -> Reading[ParamValue]:
    """The value of the parameter in a ``PARAM_GET`` answer: its runtime value
    (else the first one given); failed with the refusal (``"EINVAL"``: no such
    parameter) or what is wrong with the bytes."""
    msg = _reply(answer, CMD_PARAM_GET)
    if isinstance(msg, str):
        return Reading.failed(msg)
    nest = msg.attr(_ATTR_PARAM)
    if nest is None:
        return Reading.failed("no parameter in the reply")
    found = dict(attrs(nest))  # split() checked every nest already
    kind = found.get(_PARAM_TYPE)
    if kind is None or len(kind) < 1:
        return Reading.failed("no parameter type in the reply")
    values = []
    for k, value in attrs(found.get(_VALUES_LIST, b"")):
        if k != _VALUE:
            continue
        inner = dict(attrs(value))
        mode = inner.get(_VALUE_CMODE)
        values.append((mode[0] if mode else None, inner.get(_VALUE_DATA)))
    if not values:
        return Reading.failed("no value in the reply")
    _cmode, data = next((v for v in values if v[0] == _CMODE_RUNTIME), values[0])
    return _value(kind[0], data)


def _value(kind: int, data: bytes | None) -> Reading[ParamValue]:
    if kind == _TYPE_FLAG:
        return Reading.of(data is not None)  # nla_put_flag() only when true
    if data is None:
        return Reading.failed("no value data in the reply")
    if kind == _TYPE_STRING:
        text = data.split(b"\0", 1)[0]
        try:
            return Reading.of(text.decode("ascii"))
        except UnicodeDecodeError:
            return Reading.failed("undecodable string value")
    size = _INT_SIZES.get(kind)
    if size is None or len(data) < size:
        return Reading.failed(f"parameter type {kind} not understood")
    return Reading.of(int.from_bytes(data[:size], sys.byteorder))
