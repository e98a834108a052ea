"""hw.devlink: the live requests against this kernel (which has no devlink
family), and recorded replies, built byte for byte as the kernel lays them
out (tests/nlreplies.py), decoded by ``decode_eswitch``/``decode_info``: the
one decoder production uses for a live answer and a recorded one alike.
"""

from __future__ import annotations

import errno
import random
import struct

import pytest
from pyroute2.netlink.devlink import devlinkcmd

from hw import devlink
from hw.model import DevInfo, EswitchState
from mvcore.snapshot import NetlinkAnswer
from mvcore.reading import Reading
from tests.nlreplies import (
    CMODE_DRIVERINIT, TYPE_FLAG, TYPE_STRING, TYPE_U32, param_reply,
)
from tests.nlreplies import (
    BUS_NAME, DEV_NAME, DRIVER, ESWITCH_MODE, FAMILY_ID, INFO, LEGACY, NLM_F_ACK, NLM_F_REQUEST, PCI, SWITCHDEV,
    V_RUNNING, answer, devlink_error, done, eswitch_reply, genl, nla, string, u16, version,
)


def test_switchdev_reply_layout() -> None:
    # Written out by hand from the uapi structs, independently of the helpers.
    assert bytes.fromhex(
        "48000000" "1400" "0000" "01000000" "00000000"  # nlmsghdr: len 72, type, flags, seq 1, pid 0
        "1d" "01" "0000"  # genlmsghdr: cmd 29 ESWITCH_GET, version 1
        "0800" "0100" "70636900"  # BUS_NAME "pci\0"
        "1100" "0200" "303030303a30333a30302e3000" "000000"  # DEV_NAME, 13 bytes + 3 padding
        "0600" "1900" "0100" "0000"  # ESWITCH_MODE u16 1 (switchdev) + 2 padding
        "0500" "1a00" "00" "000000"  # INLINE_MODE u8 0 (none)
        "0500" "3e00" "01" "000000"  # ENCAP_MODE u8 1 (basic)
    ) == SWITCHDEV


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
    assert devlink.decode_eswitch(answer(data)) == expected


def test_decode_info_takes_the_running_firmware() -> None:
    assert devlink.decode_info(answer(INFO)) == DevInfo(driver="mlx5_core", serial="MT2116X09299",
                                                        fw_version="22.41.0188")


def test_decode_info_falls_back_to_fw_and_nested_flag() -> None:
    # NLA_F_NESTED (0x8000) on the nest must not matter; "fw" stands in for "fw.version".
    data = genl(51, string(DRIVER, "mlx5_core"), version(V_RUNNING | 0x8000, "fw", "24.40.1000"))
    assert devlink.decode_info(answer(data)) == DevInfo(driver="mlx5_core", serial=None, fw_version="24.40.1000")


@pytest.mark.parametrize(("code", "name"), [(errno.EOPNOTSUPP, "EOPNOTSUPP"), (errno.EPERM, "EPERM"),
                                            (errno.ENODEV, "ENODEV")])
def test_kernel_errors_are_answers(code: int, name: str) -> None:
    # a refusal the reader kept as the errno name, and one kept as the kernel's NLMSG_ERROR bytes
    for refused in (NetlinkAnswer(error=name), answer(devlink_error(code))):
        assert devlink.decode_eswitch(refused) == EswitchState("unknown", source="devlink", error=name)
        assert devlink.decode_info(refused) is None


def test_unknown_mode_value() -> None:
    state = devlink.decode_eswitch(answer(eswitch_reply(7)))
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
        assert devlink.decode_eswitch(answer(data[:cut])).mode == "unknown"
        assert devlink.decode_info(answer(data[:cut])) is None
        # the same cut with the header's length fixed up: now an attribute runs off the end
        fixed = bytearray(data[:cut])
        if cut >= 4:
            struct.pack_into("=I", fixed, 0, cut)
        state, info = devlink.decode_eswitch(answer(bytes(fixed))), devlink.decode_info(answer(bytes(fixed)))
        if cut not in attribute_boundaries(data):
            assert state.mode == "unknown" and state.error
            assert info is None
        elif data[16] == 51:  # a shorter but well-formed info reply
            assert info is not None and all(isinstance(v, (str, type(None))) for v in (info.driver, info.serial))


def test_malformed_replies() -> None:
    def error(data: bytes) -> str | None:
        return devlink.decode_eswitch(answer(data)).error

    short_mode = genl(29, nla(ESWITCH_MODE, b"\x01"))  # a u16 with one byte
    assert devlink.decode_eswitch(answer(short_mode)) == EswitchState("unknown", source="devlink",
                                                                      error="malformed attributes")
    stray = SWITCHDEV[:-8] + b"\x05\x00"  # two bytes where an NLA header should be
    assert error(struct.pack("=I", len(stray)) + stray[4:]) == "malformed attributes"
    assert error(genl(51, u16(ESWITCH_MODE, 1))) == "reply to command 51, not 29"
    assert devlink.decode_info(answer(SWITCHDEV)) is None
    assert error(done()) == "no answer in the reply"
    assert error(devlink_error(0)) == "no answer in the reply"  # an acknowledgement alone
    assert error(b"") == "no answer in the reply"
    assert error(SWITCHDEV[:30]) == "truncated reply"
    assert error(struct.pack("=IHHII", 16, 5, 0, 1, 0)) == "unexpected message type 5"  # a control type
    assert error(struct.pack("=IHHII", 18, FAMILY_ID, 0, 1, 0) + b"\x1d\x01") == "truncated message"


def test_random_garbage() -> None:
    rnd = random.Random(6081)
    for _ in range(500):
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 96)))
        assert devlink.decode_eswitch(answer(junk)).mode == "unknown"
        assert devlink.decode_info(answer(junk)) is None
        # a valid header over random attributes
        for good in (SWITCHDEV, INFO):
            body = bytearray(good)
            body[20:] = bytes(rnd.getrandbits(8) for _ in range(len(body) - 20))
            assert isinstance(devlink.decode_eswitch(answer(bytes(body))), EswitchState)
            info = devlink.decode_info(answer(bytes(body)))
            assert info is None or isinstance(info, DevInfo)


# --- the live side ---------------------------------------------------------------------


def test_this_kernel_has_no_devlink() -> None:
    # The family is absent (bind fails with ENOENT): an answer, not a crash, and
    # the decoders say so without a source.
    for ask in (devlink.ask_eswitch, devlink.ask_info):
        assert ask(PCI) == NetlinkAnswer(error=devlink.DEVLINK_UNAVAILABLE)
    assert devlink.decode_eswitch(devlink.ask_eswitch(PCI)) == EswitchState("unknown", error="devlink unavailable")
    assert devlink.decode_info(devlink.ask_info(PCI)) is None


def test_the_request_is_what_devlink_sends() -> None:
    # what `devlink dev eswitch show pci/0000:03:00.0` sends after the nlmsghdr
    for handle in (PCI, f"pci/{PCI}"):
        msg = devlink.request(handle, devlink.CMD_ESWITCH_GET)
        msg["header"]["type"] = FAMILY_ID
        msg["header"]["flags"] = NLM_F_REQUEST | NLM_F_ACK
        msg.encode()
        assert bytes(msg.data[16:msg["header"]["length"]]) == (
            struct.pack("=BBH", 29, 1, 0) + string(BUS_NAME, "pci") + string(DEV_NAME, PCI))


# -- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (param_reply("flow_steering_mode", TYPE_STRING, "smfs"), "smfs"),
    (param_reply("flow_steering_mode", TYPE_STRING, "dmfs"), "dmfs"),
    (param_reply("esw_multiport", TYPE_FLAG, True), True),
    (param_reply("esw_multiport", TYPE_FLAG, False), False),  # nla_put_flag() only when true
    (param_reply("fdb_large_groups", TYPE_U32, 15, cmode=CMODE_DRIVERINIT), 15),
])
def test_decode_param(data: bytes, expected: object) -> None:
    assert devlink.decode_param(answer(data)) == Reading.of(expected)


def test_param_refusals_and_damage() -> None:
    # no such parameter: devlink_nl_param_get_doit returns -EINVAL
    assert devlink.decode_param(answer(devlink_error(errno.EINVAL))) == Reading.failed("EINVAL")
    good = param_reply("flow_steering_mode", TYPE_STRING, "smfs")
    for cut in range(1, len(good)):
        assert devlink.decode_param(answer(good[:cut])).error is not None
    # the request carries the parameter's name
    msg = devlink.request("0000:03:00.0", devlink.CMD_PARAM_GET, "esw_multiport")
    assert ["DEVLINK_ATTR_PARAM_NAME", "esw_multiport"] in msg["attrs"]
