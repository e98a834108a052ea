"""inspector.recent: a live view decodes a flow once while only its counters
change, and verifies again only when OVSDB, the southbound DB or a flow
changed -- with the counters always the fresh ones.  On the flows saved
from a real OVN 25.03 node (OpenFlow 1.5) and on 1.3 entries built as
ofp_flow_stats lays them out."""

from __future__ import annotations

import dataclasses
import struct

from flowprog.flowdump import dump_entries
from flowprog.flows import FlowEntry
from flowprog.ofcodec import load
from flowprog.ofext import install
from inspector.path_inputs import paths_report
from inspector.recent import RecentFlows, stable_bytes
from mvcore.reading import Reading
from mvcore.snapshot import FlowDump
from tests.snapshots import DECODER, SNAP, iface, with_ovs

_OXS_PACKETS = (0x8002 << 16) | (4 << 9) | 8  # OXS_OF_PACKET_COUNT, 8 bytes (openflow-spec 1.5.1, 7.2.4)


def counted(body: bytes, packets: int, seconds: int) -> bytes:
    """An OpenFlow 1.5 flow desc with other counters: the same flow, later."""
    out = bytearray(body)
    (match_len,) = struct.unpack_from("!H", out, 26)
    stats = 24 + ((match_len + 7) & ~7)
    (stats_len,) = struct.unpack_from("!H", out, stats + 2)
    pos = stats + 4
    while pos + 4 <= stats + stats_len:
        (header,) = struct.unpack_from("!I", out, pos)
        if header == _OXS_PACKETS:
            struct.pack_into("!Q", out, pos + 4, packets)
        elif header >> 9 == (0x8002 << 7) | 0:  # OXS_OF_DURATION
            struct.pack_into("!I", out, pos + 4, seconds)
        pos += 4 + (header & 0xFF)
    return bytes(out)


def later(dump: FlowDump, packets: int) -> FlowDump:
    """The dump as the switch sends it a refresh later: every flow with new counters."""
    replies = []
    for reply in dump.replies:
        out, offset = b"", 0
        while offset < len(reply):
            (length,) = struct.unpack_from("!H", reply, offset)
            out += counted(reply[offset:offset + length], packets, 999)
            offset += length
        replies.append(out)
    return dataclasses.replace(dump, replies=tuple(replies))


def test_the_counters_are_left_out_and_nothing_else() -> None:
    assert SNAP.openflow.value is not None
    first = next(dump_entries(SNAP.openflow.value))
    again = next(dump_entries(later(SNAP.openflow.value, 77)))
    assert again.packet_count == 77 and again.body != first.body
    assert stable_bytes(again) == stable_bytes(first) is not None
    other = first._replace(body=first.body[:-1] + bytes([first.body[-1] ^ 1]))  # an action's byte
    assert stable_bytes(other) != stable_bytes(first)
    # OpenFlow 1.3 ofp_flow_stats: duration at 4-11, packet and byte counts at 32-47
    body13 = struct.pack("!HBxIIHHHH4xQQQ", 56, 0, 10, 5, 100, 0, 0, 0, 0xAB, 3, 300) + bytes(8)
    later13 = struct.pack("!HBxIIHHHH4xQQQ", 56, 0, 11, 9, 100, 0, 0, 0, 0xAB, 4, 400) + bytes(8)
    e13 = FlowEntry(4, 0, 100, 0xAB, 3, 300, 10.0, 0, 0, 0, 0, body13)
    assert stable_bytes(e13) == stable_bytes(e13._replace(body=later13))
    assert stable_bytes(e13._replace(body=body13[:20])) is None


def test_a_live_view_reports_what_a_fresh_decoder_reports() -> None:
    recent = RecentFlows(install(load({})))
    fresh = paths_report(SNAP, DECODER)
    assert paths_report(SNAP, recent) == fresh
    again = paths_report(SNAP, recent)
    assert again == fresh
    assert SNAP.openflow.value is not None
    # a refresh later: the verify result is the same object, the counters are the new ones
    moved = dataclasses.replace(SNAP, openflow=Reading.of(later(SNAP.openflow.value, 500)))
    before = recent._last
    report = paths_report(moved, recent)
    assert recent._last is before  # verified once
    assert {p.counters.packets for p in report.paths} == {500} and report.paths[0].counters.tunnel_packets >= 500
    assert report == paths_report(moved, DECODER)


def test_a_change_in_ovsdb_is_verified_again() -> None:
    recent = RecentFlows(install(load({})))
    paths_report(SNAP, recent)
    broken = with_ovs(lambda rows: iface(rows, "enp2s0f0_0")["external_ids"].update({"encap-ip": "10.9.9.9"}))
    report = {p.interface: p for p in paths_report(broken, recent).paths}
    assert report["enp2s0f0_0"].verdict == "broken"
    assert {p.interface: p.verdict for p in paths_report(SNAP, recent).paths}["enp2s0f0_0"] != "broken"


def numbered(dump: FlowDump, reverse: bool) -> FlowDump:
    """The dump with flow i counting i + 1 packets, its flows in the order
    given: the same flows, each with counters of its own."""
    bodies = []
    for reply in dump.replies:
        offset = 0
        while offset < len(reply):
            (length,) = struct.unpack_from("!H", reply, offset)
            bodies.append(counted(reply[offset:offset + length], len(bodies) + 1, 999))
            offset += length
    return dataclasses.replace(dump, replies=(b"".join(reversed(bodies) if reverse else bodies),))


def test_which_flows_count_for_a_vif_is_chosen_again_when_the_flows_change() -> None:
    """A live view keeps which flows' counters are a VIF's while no flow
    changes; flows in another order are other flows there: each VIF's
    counters still come from its own flows."""
    assert SNAP.openflow.value is not None
    recent = RecentFlows(install(load({})))
    for reverse in (False, True, False):
        snap = dataclasses.replace(SNAP, openflow=Reading.of(numbered(SNAP.openflow.value, reverse)))
        report = paths_report(snap, recent)
        assert len({p.counters.packets for p in report.paths}) == len(report.paths) > 1  # each VIF its own flow
        assert report == paths_report(snap, DECODER)
