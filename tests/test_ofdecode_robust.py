"""Hostile bytes: the decoder raises nothing but DecodeError, never loops,
never loses a flow, and marks only the part it could not decode.  Real flow
bodies come from a real 25.03 br-int and from the corpus of every field and
action (:mod:`tests.flowcatalog`), then are cut, stretched and corrupted;
every decode runs under a watchdog, so a loop fails the test instead of
hanging it."""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowprog import ofactions, ofmatch
from flowprog.flowjson import JsonPieces, flow_json
from flowprog.flows import FlowEntry
from flowprog.ofcodec import load
from flowprog.ofdecode import OF13, OF15, Decoder, entries
from flowprog.ofext import install
from flowprog.offormat import format_flow
from mvcore.errors import DecodeError
from mvtep.sandbox.node import Sandbox, down, up
from mvtep.sandbox.topology import Size
from tests.flowcatalog import SETUP, corpus
from tests.flowdump import mvtep_flows, read_flows
from tests.ovsbridge import start

CODEC = install(load(os.environ))
_LIMIT_S = 2.0  # one flow decodes in well under a millisecond


class Hang(BaseException):
    """Not an Exception: nothing on the way may take it for a decode failure."""


@contextmanager
def watchdog(seconds: float = _LIMIT_S) -> Iterator[None]:
    """Fail with Hang if the block runs longer than ``seconds``: SIGALRM
    interrupts even a loop in the codec."""
    def expired(signum: int, frame: object) -> None:
        raise Hang(f"decoding took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _stacks_if_stuck() -> Iterator[None]:
    """The last resort, should a loop hold the signal off: every thread's
    stack on stderr and the process ended, rather than a test run that never
    finishes."""
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def real_bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, list[bytes]]]:
    """Flow bodies as OVS sends them: a real OVN br-int and the corpus."""
    box: Sandbox = up(Path(tmp_path_factory.mktemp("robust")) / "run", "25.03", Size(), os.environ)
    br = start(Path(tmp_path_factory.mktemp("robust-corpus")) / "run", "26.03", os.environ)
    try:
        for args in SETUP:
            br.ofctl(*[a.replace("{bridge}", br.bridge) for a in args])
        flows = list(corpus((4, 0)))
        for version in sorted({f.add_version for f in flows}):
            br.add_flows([f.text for f in flows if f.add_version == version], version)
        yield {v: [f.entry.body for f in mvtep_flows(box, v)] + [f.entry.body for f in read_flows(br.remote, v)]
               for v in (OF15, OF13)}
    finally:
        br.stop()
        down(box.rundir)


def _decode_all(version: int, data: bytes, decoder: Decoder | None = None) -> int:
    """Split, decode and print; returns how many flows came out. Raises only
    DecodeError (for bytes that do not split into flows at all)."""
    decoder = decoder or Decoder(CODEC)
    n = 0
    with watchdog():
        try:
            batch = list(entries(version, data))
        except DecodeError:
            with pytest.raises(DecodeError):  # mvtep flows' text path refuses the same replies
                decoder.text_lines(version, data)
            raise
        lines = []
        for entry in batch:
            flow = decoder.decode(entry)
            assert flow.entry is entry
            lines.append(format_flow(flow))
            n += 1
        # mvtep flows' paths, which skip the entries and the model, say the same.
        assert decoder.text_lines(version, data) == lines
        pieces = JsonPieces()
        docs = decoder.rows(version, data, pieces.row, pieces.flow, clean=True)
        assert [json.loads(d) for d in docs] == [flow_json(decoder.decode(e)) for e in batch]
    return n


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([OF13, OF15]), data=st.binary(max_size=600))
def test_random_bytes(version: int, data: bytes) -> None:
    try:
        _decode_all(version, data)
    except DecodeError:
        pass


@st.composite
def _mutated(draw: st.DrawFn, bodies: dict[int, list[bytes]]) -> tuple[int, bytes]:
    """A real flow, damaged the ways a broken switch, proxy or support file
    would: bytes overwritten, 16-bit lengths set to small values, a piece cut
    out or repeated, the end cut off."""
    version = draw(st.sampled_from([OF13, OF15]))
    body = bytearray(draw(st.sampled_from(bodies[version])))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(body) - 2))
        how = draw(st.sampled_from(["byte", "length", "cut", "repeat", "truncate"]))
        if how == "byte":
            body[pos] = draw(st.integers(0, 255))
        elif how == "length":  # lengths are what the parsers loop on
            struct.pack_into("!H", body, pos, draw(st.sampled_from([0, 1, 2, 4, 6, 8, 0xFFFF])))
        elif how == "cut":
            del body[pos:pos + draw(st.integers(1, 16))]
        elif how == "repeat":
            body[pos:pos] = body[pos:pos + draw(st.integers(1, 16))]
        else:
            del body[pos:]
        if len(body) < 2:
            break
    if len(body) >= 2:
        struct.pack_into("!H", body, 0, len(body))  # the entry itself frames, so its insides get decoded
    return version, bytes(body)


@pytest.mark.sandbox
def test_corrupted_real_flows(real_bodies: dict[int, list[bytes]]) -> None:
    @settings(max_examples=1500, deadline=_LIMIT_S * 1000,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.data_too_large])
    @given(case=_mutated(real_bodies))
    def run(case: tuple[int, bytes]) -> None:
        version, data = case
        try:
            _decode_all(version, data)
        except DecodeError:
            pass
    run()


def _actions(version: int, body: bytes) -> Iterator[bytes]:
    """The top-level actions of a flow body's action lists, as their bytes."""
    data = body[next(entries(version, body)).inst_at:]
    pos = 0
    while pos + 4 <= len(data):
        itype, length = struct.unpack_from("!HH", data, pos)
        if itype in (3, 4):
            at = pos + 8
            while at + 4 <= pos + length:
                (alen,) = struct.unpack_from("!H", data, at + 2)
                yield data[at:at + alen]
                at += alen
        pos += length


@pytest.mark.sandbox
def test_every_length_of_every_action_zeroed(real_bodies: dict[int, list[bytes]]) -> None:
    """Each distinct action of the real flows, alone in a flow, with each
    16-bit word in turn set to 0 and to 4 (where the lengths are, it makes
    the lengths the parsers loop on useless): every one decodes, fast.  This
    is how the codec's controller2 loop (issue #17) shows."""
    for version in (OF13, OF15):
        decoder = Decoder(CODEC)
        # One of each kind: type, length, and what says which action or field it is.
        kinds = {a[:12]: a for body in real_bodies[version] for a in _actions(version, body)}
        for action in sorted(kinds.values()):
            for pos in range(0, len(action) - 1, 2):
                for value in (0, 4):
                    damaged = bytearray(action)
                    struct.pack_into("!H", damaged, pos, value)
                    with watchdog():
                        entry = _flow_entry(version, bytes(damaged) + _OUTPUT_7)
                        flow = decoder.decode(entry)
                        assert decoder.text_lines(version, entry.body) == [format_flow(flow)]
                    assert pos < 4 or flow.actions[-1].text == "output:7" or "does not fit" in str(flow.undecoded)


@pytest.mark.sandbox
def test_truncated_and_mis_sized_entries(real_bodies: dict[int, list[bytes]]) -> None:
    body = max(real_bodies[OF15], key=len)
    with pytest.raises(DecodeError):
        list(entries(OF15, body[:-8]))  # the entry says it is longer than the reply
    with pytest.raises(DecodeError):
        list(entries(OF15, struct.pack("!H", 4) + body[2:]))  # shorter than a header
    stretched = struct.pack("!H", len(body) + 8) + body[2:] + bytes(8)
    (entry,) = entries(OF15, stretched)
    flow = Decoder(CODEC).decode(entry)
    assert flow.undecoded and flow.match  # padding where instructions should be; the match is kept


def _flow_entry(version: int, actions: bytes, match: bytes = b"") -> FlowEntry:
    """A flow (table 0, priority 1) with OXM fields ``match``, applying ``actions``."""
    insts = struct.pack("!HH4x", 4, 8 + len(actions)) + actions
    match = struct.pack("!HH", 1, 4 + len(match)) + match
    match += bytes(-len(match) % 8)
    if version == OF13:
        head = struct.pack("!HBxIIHHHH4xQQQ", 48 + len(match) + len(insts), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
        (entry,) = entries(OF13, head + match + insts)
    else:
        stats = struct.pack("!HH4x", 0, 4)
        head = struct.pack("!H2xBxHHHHHQ", 24 + len(match) + len(stats) + len(insts), 0, 1, 0, 0, 0, 0, 0)
        (entry,) = entries(OF15, head + match + stats + insts)
    return entry


def _apply_actions_entry(actions: bytes, match: bytes = b"") -> FlowEntry:
    return _flow_entry(OF13, actions, match)


_OUTPUT_7 = struct.pack("!HHIH6x", 0, 16, 7, 0xFFFF)
_IN_PORT_5 = struct.pack("!IH", 0x00000002, 5)  # NXM_OF_IN_PORT: in_port=5


def test_zero_length_action_is_marked_not_looped_on() -> None:
    flow = Decoder(CODEC).decode(_apply_actions_entry(struct.pack("!HH4x", 0xFFFF, 0)))
    assert flow.undecoded and "length 0" in flow.undecoded


def test_zero_length_action_inside_ct() -> None:
    # ct (NX subtype 35): 24-byte fixed part, then a nested action of length 0.
    ct = struct.pack("!HHIHHIHB3xH", 0xFFFF, 32, 0x2320, 35, 0, 0, 0, 255, 0) + struct.pack("!HH4x", 0, 0)
    flow = Decoder(CODEC).decode(_apply_actions_entry(ct + _OUTPUT_7))
    assert flow.undecoded
    assert [a.text for a in flow.actions][1:] == ["output:7"]  # the next action is kept


def test_controller2_property_of_length_zero() -> None:
    """The codec's own controller2 parser never advances past a property of
    length 0 (issue #17): the action is marked, the flow decodes, at once."""
    prop = struct.pack("!HH4x", 0, 0)
    controller2 = struct.pack("!HHIH6x", 0xFFFF, 24, 0x2320, 37) + prop
    with watchdog():
        flow = Decoder(CODEC).decode(_apply_actions_entry(controller2 + _OUTPUT_7, _IN_PORT_5))
    assert flow.undecoded and "controller2 property length 0" in flow.undecoded
    assert format_flow(flow).endswith("priority=1,in_port=5 actions=<undecoded: ValueError: controller2 property "
                                      "length 0 does not fit>,output:7")


def test_unknown_experimenter_action_is_kept_raw() -> None:
    unknown = struct.pack("!HHI8x", 0xFFFF, 16, 0x00ABCDEF)
    flow = Decoder(CODEC).decode(_apply_actions_entry(unknown, _IN_PORT_5))
    assert flow.undecoded and "OFPActionExperimenterUnknown" in flow.undecoded
    (action,) = flow.actions
    assert action.name == "undecoded" and action.arg("raw") == unknown.hex()
    assert flow.match[0].text == "in_port=5"  # the match is kept


def test_an_undecodable_match_keeps_the_rest() -> None:
    bad_field = struct.pack("!I", 0x80007E04) + bytes(4)  # OXM basic field 63: no such field
    flow = Decoder(CODEC).decode(_apply_actions_entry(_OUTPUT_7, bad_field))
    assert flow.undecoded and flow.match == ()
    assert format_flow(flow).startswith("cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, priority=1,"
                                        "<undecoded match: ")
    assert format_flow(flow).endswith(" actions=output:7")


def test_a_good_flow_decodes() -> None:
    flow = Decoder(CODEC).decode(_apply_actions_entry(_OUTPUT_7, _IN_PORT_5))
    assert flow.undecoded is None and [a.text for a in flow.actions] == ["output:7"]
    assert format_flow(flow) == "cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, priority=1,in_port=5 " \
                                "actions=output:7"


def test_a_bug_in_a_converter_is_not_an_undecoded_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the codec's failures become marks (issue #10): a converter that
    breaks fails loudly."""
    def broken(a: object, ctx: object) -> object:
        raise ZeroDivisionError("a bug")
    monkeypatch.setitem(ofactions._CONVERTERS, "OFPActionOutput", broken)
    with pytest.raises(ZeroDivisionError):
        Decoder(CODEC).decode(_apply_actions_entry(_OUTPUT_7))


def test_a_bug_in_the_match_printer_is_not_an_undecoded_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(st: object) -> object:
        raise KeyError("a bug")
    monkeypatch.setattr(ofmatch, "fields", broken)
    with pytest.raises(KeyError):
        Decoder(CODEC).decode(_apply_actions_entry(_OUTPUT_7, _IN_PORT_5))
