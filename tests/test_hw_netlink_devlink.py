"""hw.devlink: the real kernel (no devlink family here) and recorded replies.

The replies are built byte for byte as the kernel lays them out (uapi
linux/netlink.h, linux/genetlink.h, linux/devlink.h): a 16-byte nlmsghdr,
a 4-byte genlmsghdr (cmd, version 1, reserved), then NLAs (u16 length
including the 4-byte header, u16 type, value, padding to 4 bytes), in the
order devlink_nl_eswitch_fill() and devlink_nl_info_fill() put them.
"""

from __future__ import annotations

import errno
import random
import struct
from collections.abc import Iterable
from typing import Any

import pytest
from pyroute2.netlink.devlink import devlinkcmd
from pyroute2.netlink.exceptions import NetlinkError

from hw import devlink
from hw.model import DevInfo, EswitchState

FAMILY_ID = 0x14  # the kernel assigns generic netlink family ids at run time
PCI = "0000:03:00.0"
NLMSG_ERROR, NLM_F_REQUEST, NLM_F_ACK = 2, 0x1, 0x4
(BUS_NAME, DEV_NAME, ESWITCH_MODE, INLINE_MODE, ENCAP_MODE) = (1, 2, 25, 26, 62)
(DRIVER, SERIAL, V_FIXED, V_RUNNING, V_STORED, V_NAME, V_VALUE) = (98, 99, 100, 101, 102, 103, 104)


def nla(kind: int, value: bytes) -> bytes:
    size = 4 + len(value)
    return struct.pack("=HH", size, kind) + value + b"\0" * (-size % 4)


def string(kind: int, text: str) -> bytes:
    return nla(kind, text.encode() + b"\0")  # nla_put_string() keeps the NUL


def u8(kind: int, v: int) -> bytes:
    return nla(kind, struct.pack("=B", v))


def u16(kind: int, v: int) -> bytes:
    return nla(kind, struct.pack("=H", v))


def version(kind: int, name: str, value: str) -> bytes:
    return nla(kind, string(V_NAME, name) + string(V_VALUE, value))


def genl(cmd: int, *attrs: bytes, seq: int = 1) -> bytes:
    body = struct.pack("=BBH", cmd, 1, 0) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), FAMILY_ID, 0, seq, 0) + body


def nlerror(code: int) -> bytes:
    """struct nlmsgerr: the negative errno, then the request's nlmsghdr."""
    request = struct.pack("=IHHII", 20, FAMILY_ID, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    body = struct.pack("=i", -code) + request
    return struct.pack("=IHHII", 16 + len(body), NLMSG_ERROR, 0, 1, 0) + body


def eswitch_reply(mode: int, inline: int | None = 0, encap: int | None = 1) -> bytes:
    attrs = [string(BUS_NAME, "pci"), string(DEV_NAME, PCI), u16(ESWITCH_MODE, mode)]
    attrs += [u8(INLINE_MODE, inline)] if inline is not None else []
    attrs += [u8(ENCAP_MODE, encap)] if encap is not None else []
    return genl(29, *attrs)


SWITCHDEV = eswitch_reply(1, 0, 1)
LEGACY = eswitch_reply(0, 0, 1)
INFO = genl(
    51,
    string(BUS_NAME, "pci"), string(DEV_NAME, PCI),
    string(DRIVER, "mlx5_core"), string(SERIAL, "MT2116X09299"),
    version(V_FIXED, "fw.psid", "MT_0000000436"),
    version(V_RUNNING, "fw.version", "22.41.0188"),
    version(V_RUNNING, "fw", "22.41.0188"),
    version(V_STORED, "fw.version", "22.43.2026"),
    version(V_STORED, "fw", "22.43.2026"),
)


def test_switchdev_reply_layout() -> None:
    # Written out by hand from the uapi structs, independently of the helpers.
    assert SWITCHDEV == bytes.fromhex(
        "48000000" "1400" "0000" "01000000" "00000000"  # nlmsghdr: len 72, type, flags, seq 1, pid 0
        "1d" "01" "0000"  # genlmsghdr: cmd 29 ESWITCH_GET, version 1
        "0800" "0100" "70636900"  # BUS_NAME "pci\0"
        "1100" "0200" "303030303a30333a30302e3000" "000000"  # DEV_NAME, 13 bytes + 3 padding
        "0600" "1900" "0100" "0000"  # ESWITCH_MODE u16 1 (switchdev) + 2 padding
        "0500" "1a00" "00" "000000"  # INLINE_MODE u8 0 (none)
        "0500" "3e00" "01" "000000"  # ENCAP_MODE u8 1 (basic)
    )


def test_pyroute2_reads_the_recorded_bytes_alike() -> None:
    # pyroute2's own devlinkcmd (positional NLA table) agrees on the numbers.
    msg = devlinkcmd(INFO)
    msg.decode()
    assert msg["cmd"] == 51
    assert msg.get_attr("DEVLINK_ATTR_INFO_DRIVER_NAME") == "mlx5_core"
    running = msg.get_attrs("DEVLINK_ATTR_INFO_VERSION_RUNNING")
    assert running[0].get_attr("DEVLINK_ATTR_INFO_VERSION_VALUE") == "22.41.0188"
    msg = devlinkcmd(SWITCHDEV)
    msg.decode()
    assert [msg.get_attr(f"DEVLINK_ATTR_ESWITCH_{a}") for a in ("MODE", "INLINE_MODE", "ENCAP_MODE")] == [1, 0, 1]


@pytest.mark.parametrize(("data", "expected"), [
    (SWITCHDEV, EswitchState("switchdev", "none", "basic", source="devlink")),
    (LEGACY, EswitchState("legacy", "none", "basic", source="devlink")),
    (eswitch_reply(2, 0, 1), EswitchState("switchdev_inactive", "none", "basic", source="devlink")),
    (eswitch_reply(0, 1, 0), EswitchState("legacy", "link", "none", source="devlink")),  # CX-4 Lx style
    (eswitch_reply(1, None, None), EswitchState("switchdev", None, None, source="devlink")),  # no getters
], ids=["switchdev", "legacy", "switchdev_inactive", "legacy-link-none", "mode-only"])
def test_decode_eswitch(data: bytes, expected: EswitchState) -> None:
    assert devlink.decode_eswitch(data) == expected


def test_decode_info_takes_the_running_firmware() -> None:
    assert devlink.decode_info(INFO) == DevInfo(driver="mlx5_core", serial="MT2116X09299", fw_version="22.41.0188")


def test_decode_info_falls_back_to_fw_and_nested_flag() -> None:
    # NLA_F_NESTED (0x8000) on the nest must not matter; "fw" stands in for "fw.version".
    data = genl(51, string(DRIVER, "mlx5_core"), version(V_RUNNING | 0x8000, "fw", "24.40.1000"))
    assert devlink.decode_info(data) == DevInfo(driver="mlx5_core", serial=None, fw_version="24.40.1000")


@pytest.mark.parametrize(("code", "name"), [(errno.EOPNOTSUPP, "EOPNOTSUPP"), (errno.EPERM, "EPERM"),
                                            (errno.ENODEV, "ENODEV")])
def test_kernel_errors_are_answers(code: int, name: str) -> None:
    assert devlink.decode_eswitch(nlerror(code)) == EswitchState("unknown", source="devlink", error=name)
    assert devlink.decode_info(nlerror(code)) is None


def test_unknown_mode_value() -> None:
    state = devlink.decode_eswitch(eswitch_reply(7))
    assert state.mode == "unknown" and state.error == "unknown e-switch mode 7"


def attribute_boundaries(data: bytes) -> set[int]:
    """Offsets where a top-level attribute starts or ends (with or without its
    padding: a last attribute without padding is still whole)."""
    out, offset = set(), 20
    while offset < len(data):
        size = struct.unpack_from("=H", data, offset)[0]
        out |= set(range(offset + size, offset + ((size + 3) & ~3) + 1))
        offset += (size + 3) & ~3
    return out | {20}


@pytest.mark.parametrize("data", [SWITCHDEV, LEGACY, INFO], ids=["switchdev", "legacy", "info"])
def test_every_truncation_is_unknown_not_an_exception(data: bytes) -> None:
    for cut in range(len(data)):
        assert devlink.decode_eswitch(data[:cut]).mode == "unknown"
        assert devlink.decode_info(data[:cut]) is None
        # the same cut with the header's length fixed up: now an attribute runs off the end
        fixed = bytearray(data[:cut])
        if cut >= 4:
            struct.pack_into("=I", fixed, 0, cut)
        state, info = devlink.decode_eswitch(bytes(fixed)), devlink.decode_info(bytes(fixed))
        if cut not in attribute_boundaries(data):
            assert state.mode == "unknown" and state.error
            assert info is None
        elif data[16] == 51:  # a shorter but well-formed info reply
            assert info is not None and all(isinstance(v, (str, type(None))) for v in (info.driver, info.serial))


def test_malformed_replies() -> None:
    short_mode = genl(29, nla(ESWITCH_MODE, b"\x01"))  # a u16 with one byte
    assert devlink.decode_eswitch(short_mode) == EswitchState("unknown", source="devlink", error="malformed attributes")
    stray = SWITCHDEV[:-8] + b"\x05\x00"  # two bytes where an NLA header should be
    assert devlink.decode_eswitch(struct.pack("=I", len(stray)) + stray[4:]).error == "malformed attributes"
    wrong_cmd = genl(51, u16(ESWITCH_MODE, 1))
    assert devlink.decode_eswitch(wrong_cmd).error == "reply to command 51, not 29"
    assert devlink.decode_info(SWITCHDEV) is None
    done = struct.pack("=IHHIIi", 20, 3, 0, 1, 0, 0)  # NLMSG_DONE
    assert devlink.decode_eswitch(done).error == "not a devlink reply"
    assert devlink.decode_eswitch(nlerror(0)).error == "acknowledged without a reply"
    assert devlink.decode_eswitch(b"").error == "truncated reply"


def test_random_garbage() -> None:
    rnd = random.Random(6081)
    for _ in range(500):
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 96)))
        assert devlink.decode_eswitch(junk).mode == "unknown"
        assert devlink.decode_info(junk) is None
        # a valid header over random attributes
        for good in (SWITCHDEV, INFO):
            body = bytearray(good)
            body[20:] = bytes(rnd.getrandbits(8) for _ in range(len(body) - 20))
            assert isinstance(devlink.decode_eswitch(bytes(body)), EswitchState)
            info = devlink.decode_info(bytes(body))
            assert info is None or isinstance(info, DevInfo)


# --- the socket side, with the kernel replaced -------------------------------------------


class FakeSock:
    """A bound devlink socket whose kernel answers with recorded bytes or an errno."""

    prid = FAMILY_ID

    def __init__(self, reply: bytes | None = None, code: int | None = None) -> None:
        self.reply, self.code = reply, code
        self.sent: list[tuple[Any, int, int]] = []
        self.closed = False

    def nlm_request(self, msg: Any, msg_type: int, msg_flags: int) -> Iterable[Any]:
        self.sent.append((msg, msg_type, msg_flags))
        if self.code is not None:
            raise NetlinkError(self.code)
        reply = devlinkcmd(self.reply)  # parsed as pyroute2's own socket would
        reply.decode()
        return [reply]

    def close(self) -> None:
        self.closed = True


def test_real_kernel_without_devlink() -> None:
    # This kernel has no "devlink" family (bind fails with ENOENT): an answer, not a crash.
    state = devlink.eswitch(PCI)
    assert state.mode == "unknown" and state.error
    assert devlink.info(PCI) is None


def test_request_bytes_and_reply() -> None:
    sock = FakeSock(SWITCHDEV)
    assert devlink.eswitch(PCI, sock_factory=lambda: sock) == EswitchState("switchdev", "none", "basic", "devlink")
    (msg, msg_type, flags), = sock.sent
    assert (msg_type, flags, sock.closed) == (FAMILY_ID, NLM_F_REQUEST | NLM_F_ACK, True)
    msg.encode()
    # what `devlink dev eswitch show pci/0000:03:00.0` sends after the nlmsghdr
    assert bytes(msg.data[16:msg["header"]["length"]]) == (
        struct.pack("=BBH", 29, 1, 0) + string(BUS_NAME, "pci") + string(DEV_NAME, PCI))


def test_info_through_the_socket() -> None:
    sock = FakeSock(INFO)
    assert devlink.info(f"pci/{PCI}", sock_factory=lambda: sock) == DevInfo("mlx5_core", "MT2116X09299", "22.41.0188")
    assert sock.sent[0][0]["cmd"] == 51


@pytest.mark.parametrize(("code", "name"), [(errno.EOPNOTSUPP, "EOPNOTSUPP"), (errno.EPERM, "EPERM")])
def test_not_the_eswitch_manager(code: int, name: str) -> None:
    # BlueField-2 host PF in DPU mode, or no CAP_NET_ADMIN: the kernel refuses.
    sock = FakeSock(code=code)
    assert devlink.eswitch(PCI, sock_factory=lambda: sock) == EswitchState("unknown", source="devlink", error=name)
    assert sock.closed
    assert devlink.info(PCI, sock_factory=lambda: FakeSock(code=code)) is None


def test_family_absent_or_socket_unavailable() -> None:
    def absent() -> devlink.DevlinkSock:
        raise NetlinkError(errno.ENOENT)

    def refused() -> devlink.DevlinkSock:
        raise PermissionError(errno.EACCES, "denied")

    expected = EswitchState("unknown", error=devlink.DEVLINK_UNAVAILABLE)
    assert devlink.eswitch(PCI, sock_factory=absent) == expected
    assert devlink.eswitch(PCI, sock_factory=refused) == expected
    assert devlink.info(PCI, sock_factory=absent) is None
