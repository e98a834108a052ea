import pytest

from flowprog.ofcodec import load
from mvcore.errors import Unavailable


def test_codec_round_trips_an_openflow15_message() -> None:
    codec = load({})
    dp = codec.datapath(codec.v15.OFP_VERSION)
    req = codec.v15_parser.OFPEchoRequest(dp, data=b"mvtep")
    req.serialize()
    version, msg_type, msg_len, xid = codec.parser.header(bytes(req.buf))
    msg = codec.parser.msg(dp, version, msg_type, msg_len, xid, bytes(req.buf))
    assert (version, msg.data) == (0x06, b"mvtep")


def test_unknown_codec_package_is_refused() -> None:
    with pytest.raises(Unavailable):
        load({"MVTEP_OFP_CODEC": "pox"})


def test_the_codec_asked_for_is_the_one_used() -> None:
    import os

    wanted = os.environ.get("MVTEP_OFP_CODEC")
    assert load(os.environ).package == (wanted or "os_ken")
