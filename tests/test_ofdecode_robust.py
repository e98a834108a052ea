"""Hostile bytes: the decoder raises nothing but DecodeError, never loops,
never loses a flow.  Real flow bodies come from a real 25.03 br-int, then are
cut, stretched and corrupted."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowprog.flows import FlowEntry
from flowprog.ofcodec import load
from flowprog.ofdecode import OF13, OF15, Decoder, entries
from flowprog.ofext import install
from mvcore.errors import DecodeError
from mvtep.sandbox.node import Sandbox, down, up
from mvtep.sandbox.topology import Size
from tests.flowdump import mvtep_flows

CODEC = install(load(os.environ))


@pytest.fixture(scope="module")
def real_bodies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, list[bytes]]]:
    box: Sandbox = up(Path(tmp_path_factory.mktemp("robust")) / "run", "25.03", Size(), os.environ)
    try:
        yield {v: [f.entry.body for f in mvtep_flows(box, v)] for v in (OF15, OF13)}
    finally:
        down(box.rundir)


def _decode_all(version: int, data: bytes) -> int:
    """Split and decode; returns how many flows came out. Raises only DecodeError."""
    decoder = Decoder(CODEC)
    n = 0
    for entry in entries(version, data):
        flow = decoder.decode(entry)
        assert flow.entry is entry
        n += 1
    return n


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([OF13, OF15]), data=st.binary(max_size=600))
def test_random_bytes(version: int, data: bytes) -> None:
    try:
        _decode_all(version, data)
    except DecodeError:
        pass


@pytest.mark.sandbox
def test_corrupted_real_flows(real_bodies: dict[int, list[bytes]]) -> None:
    @settings(max_examples=400, deadline=1000, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        version = data.draw(st.sampled_from([OF13, OF15]))
        body = bytearray(data.draw(st.sampled_from(real_bodies[version])))
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(body) - 1))
            body[pos] = data.draw(st.integers(0, 255))
        try:
            _decode_all(version, bytes(body))
        except DecodeError:
            pass
    run()


@pytest.mark.sandbox
def test_truncated_and_mis_sized_entries(real_bodies: dict[int, list[bytes]]) -> None:
    body = max(real_bodies[OF15], key=len)
    with pytest.raises(DecodeError):
        list(entries(OF15, body[:-8]))  # the entry says it is longer than the reply
    with pytest.raises(DecodeError):
        list(entries(OF15, struct.pack("!H", 4) + body[2:]))  # shorter than a header
    stretched = struct.pack("!H", len(body) + 8) + body[2:] + bytes(8)
    (entry,) = entries(OF15, stretched)
    assert Decoder(CODEC).decode(entry).undecoded  # padding where instructions should be


def _apply_actions_entry(actions: bytes) -> FlowEntry:
    """An OpenFlow 1.3 flow (table 0, empty match) applying ``actions``."""
    insts = struct.pack("!HH4x", 4, 8 + len(actions)) + actions
    match = struct.pack("!HH4x", 1, 4)
    head = struct.pack("!HBxIIHHHH4xQQQ", 48 + len(match) + len(insts), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
    (entry,) = entries(OF13, head + match + insts)
    return entry


def test_zero_length_action_is_marked_not_looped_on() -> None:
    flow = Decoder(CODEC).decode(_apply_actions_entry(struct.pack("!HH4x", 0xFFFF, 0)))
    assert flow.undecoded and "length 0" in flow.undecoded


def test_zero_length_action_inside_ct() -> None:
    # ct (NX subtype 35): 24-byte fixed part, then a nested action of length 0.
    ct = struct.pack("!HHIHHIHBxH", 0xFFFF, 32, 0x2320, 35, 0, 0, 0, 255, 0) + struct.pack("!HH4x", 0, 0)
    flow = Decoder(CODEC).decode(_apply_actions_entry(ct))
    assert flow.undecoded


def test_unknown_experimenter_action_is_kept_raw() -> None:
    unknown = struct.pack("!HHI8x", 0xFFFF, 16, 0x00ABCDEF)
    flow = Decoder(CODEC).decode(_apply_actions_entry(unknown))
    assert flow.undecoded and "OFPActionExperimenterUnknown" in flow.undecoded
    assert flow.entry.body.endswith(unknown)


def test_a_good_flow_decodes() -> None:
    output = struct.pack("!HHIH6x", 0, 16, 7, 0xFFFF)
    flow = Decoder(CODEC).decode(_apply_actions_entry(output))
    assert flow.undecoded is None and [a.text for a in flow.actions] == ["output:7"]
