"""Misbehaving peers (tests/fakepeers.py) and a hung ovsdb-server: every
request ends within its deadline and its size bounds, with one error."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowprog import unixctl
from flowprog.jsonrpc import ObjectEnd
from flowprog.ofclient import MAX_MESSAGES, OpenFlowClient
from flowprog.ofcodec import load
from flowprog.ofext import install
from flowprog.ovsdb import read_tables
from inspector.gather import Gatherer, Scope
from mvcore.endpoints import resolve
from mvcore.errors import MvtepError, Unavailable
from tests import fakepeers as fp
from tests.conftest import fresh_node
from tests.test_cli import mvtep

CODEC = install(load(os.environ))
TIMEOUT = 1.0


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., fp.Peer]]:
    peers: list[fp.Peer] = []

    def start(make: Callable[..., Callable[[object], None]], *args: object) -> fp.Peer:
        peer = fp.Peer(tmp_path / f"peer{len(peers)}.sock", lambda conn: None)
        peer.talk = make(peer, *args)  # type: ignore[assignment]
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.__exit__()


def fails_within(seconds: float, call: Callable[[], object]) -> MvtepError:
    started = time.monotonic()
    with pytest.raises(MvtepError) as e:
        call()
    took = time.monotonic() - started
    assert took < seconds, f"took {took:.1f} s: {e.value.message}"
    assert "\n" not in e.value.message
    return e.value


def stops_sending(peer: fp.Peer) -> None:
    """The client hung up: the peer can no longer send."""
    time.sleep(0.3)
    sent = peer.sent
    time.sleep(0.5)
    assert peer.sent == sent


def dump(remote: str) -> list[object]:
    with OpenFlowClient(remote, CODEC, timeout=TIMEOUT) as client:
        return list(client.flows())


# -- OpenFlow ------------------------------------------------------------------------


def test_a_slow_drip_hello_is_cut_at_the_deadline(serve: Callable[..., fp.Peer]) -> None:
    peer = serve(fp.of_slow_drip, 0.3)  # 16 bytes, each within the timeout: 4.8 s in all
    e = fails_within(TIMEOUT + 1, lambda: dump(peer.remote))
    assert isinstance(e, Unavailable) and "did not say HELLO within 1 s" in e.message and e.topic == "timeout"


def test_garbage_after_hello(serve: Callable[..., fp.Peer]) -> None:
    peer = serve(fp.of_garbage_after_hello)
    e = fails_within(TIMEOUT + 1, lambda: dump(peer.remote))
    assert "OpenFlow" in e.message
    stops_sending(peer)


@pytest.mark.parametrize("make", [fp.of_endless_more, fp.of_endless_unrelated], ids=["more", "other-xids"])
def test_a_dump_without_end(serve: Callable[..., fp.Peer], make: Callable[..., object]) -> None:
    peer = serve(make)
    e = fails_within(TIMEOUT + 5, lambda: dump(peer.remote))
    assert f"more than {MAX_MESSAGES} messages" in e.message or "within 1 s" in e.message
    stops_sending(peer)


@pytest.mark.parametrize("make", [fp.of_garbage_after_hello, fp.of_endless_more], ids=["garbage", "more"])
def test_flows_command_against_a_bad_switch(serve: Callable[..., fp.Peer], make: Callable[..., object]) -> None:
    peer = serve(make)
    started = time.monotonic()
    p = mvtep("--timeout", "1", "--openflow", peer.remote, "flows", timeout=60)
    assert time.monotonic() - started < 15
    assert p.returncode == 2 and p.stderr.startswith("mvtep: error: ") and "Traceback" not in p.stderr


# -- JSON-RPC: unixctl and OVSDB ------------------------------------------------------


def test_an_endless_unixctl_reply(serve: Callable[..., fp.Peer]) -> None:
    peer = serve(fp.json_endless_reply)
    e = fails_within(TIMEOUT + 1, lambda: unixctl.call(peer.path, "dpctl/dump-flows", ["-m"], TIMEOUT))
    assert "did not answer dpctl/dump-flows within 1 s" in e.message and e.topic == "timeout"
    stops_sending(peer)


def test_a_slow_drip_unixctl_reply(serve: Callable[..., fp.Peer]) -> None:
    peer = serve(fp.json_slow_drip, 0.05)  # 150 bytes, 7.5 s in all
    e = fails_within(TIMEOUT + 1, lambda: unixctl.call(peer.path, "version", [], TIMEOUT))
    assert "did not answer version within 1 s" in e.message


def test_an_endless_ovsdb_schema(serve: Callable[..., fp.Peer]) -> None:
    peer = serve(fp.json_endless_reply)
    e = fails_within(TIMEOUT + 1, lambda: read_tables(peer.remote, "Open_vSwitch",
                                                       {"Open_vSwitch": ("external_ids",)}, TIMEOUT))
    assert "did not answer as an OVSDB server within 1 s" in e.message or "sent more than 16 MiB" in e.message
    stops_sending(peer)


def test_an_endless_ovsdb_monitor_answer(serve: Callable[..., fp.Peer]) -> None:
    """The schema is fine; the IDL session's answer never ends: python-ovs's
    reader would loop in it for ever (and ovsdbapp's own timeout would never
    be looked at)."""
    peer = serve(fp.ovsdb_endless_monitor)
    before = threading.active_count()
    e = fails_within(2 * TIMEOUT + 1, lambda: read_tables(peer.remote, "Open_vSwitch",
                                                           {"Open_vSwitch": ("external_ids",)}, TIMEOUT))
    assert "did not send its tables within 1 s" in e.message
    stops_sending(peer)
    assert threading.active_count() <= before  # no thread left reading


def test_show_against_an_endless_ovsdb(serve: Callable[..., fp.Peer]) -> None:
    peer = serve(fp.json_endless_reply)
    started = time.monotonic()
    p = mvtep("--timeout", "1", "--db", peer.remote, "show", timeout=60)
    assert time.monotonic() - started < 10
    first = p.stderr.splitlines()[0]
    assert p.returncode == 2 and ("within 1 s" in first or "sent more than 16 MiB" in first), p.stderr


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=6), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab"\\{}[] \n', max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text('"\\}', max_size=3), inner, max_size=3),
    max_leaves=12)), cuts=st.lists(st.integers(1, 9), max_size=40), after=st.binary(max_size=12))
def test_the_end_of_an_object_is_found_however_it_arrives(doc: dict[str, object], cuts: list[int],
                                                          after: bytes) -> None:
    data = json.dumps(doc).encode()
    stream, buf, end, pos = data + after, bytearray(), ObjectEnd(), 0
    found = None
    for cut in [*cuts, len(stream)]:
        buf += stream[pos:pos + cut]
        pos += cut
        found = end.feed(buf)
        if found is not None:
            break
    assert found == len(data) and json.loads(bytes(buf[:found])) == doc


# -- a hung ovsdb-server ------------------------------------------------------------------


@pytest.mark.sandbox
def test_a_hung_ovsdb_server_is_not_shown_live(tmp_path: Path) -> None:
    """SIGSTOP, not kill: the socket stays open and nothing answers.  The
    live view's gatherer must stop reading it as live within a few timeouts
    (python-ovs sends no probes on unix sockets unless told to)."""
    with fresh_node(tmp_path) as box:
        env = {"OVS_RUNDIR": str(box.rundir)}
        pid = int((box.rundir / "ovsdb-server.pid").read_text())
        scope = Scope(ovsdb=True, required=frozenset({"ovsdb"}))
        with Gatherer(resolve(env), env, CODEC, timeout=TIMEOUT) as g:
            g.snapshot(scope)
            os.kill(pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                with pytest.raises(Unavailable) as e:
                    while time.monotonic() - started < 30:
                        g.snapshot(scope)
                        time.sleep(0.2)
                assert time.monotonic() - started < 4 * TIMEOUT + 1, e.value.message
            finally:
                os.kill(pid, signal.SIGCONT)
            assert g.snapshot(scope).ovsdb.ok  # and live again once it answers
