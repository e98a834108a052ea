"""hw.host: HostReader reading the real kernel in a scratch network namespace
(the design document's VTEP routing, tests/vtepns.py), host_view decoding
what it read, and the same HostState copied byte for byte (as a support
bundle would give it back) decoding to the same view.  devlink answers this
kernel cannot give are recorded replies (tests/nlreplies.py) in a HostState,
decoded by host_view as production decodes them; eswitch_of, the one place
deciding a PF's e-switch mode, runs on modelled trees (tests/hwmodel.py)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from hw.host import HostReader, HostRequests, HostView, eswitch_of, host_view
from hw.inventory import discover
from hw.model import DevInfo, EswitchState, Features
from hw.sysfs import DirSysfs
from hw.tcflower import TcOffload
from mvcore.reading import Reading
from mvcore.routes import Route, RouteAnswer, Rule
from mvcore.snapshot import FeatureBits, HostState, Key, NetlinkAnswer
from tests import hwmodel
from tests.nlreplies import INFO, LEGACY, SWITCHDEV, answer, devlink_error
from tests.vtepns import FAR, GATEWAY, design_doc_vteps

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")

REQUESTS = HostRequests(route_gets=((FAR, "10.0.0.1"), (FAR, "10.0.0.2"), ("192.0.2.1", "10.0.0.1")),
                        tables=(6081, 6082), tc_ingress=("vtep0", "nosuch0"), ethtool=("vtep0", "nosuch0"),
                        devlink=("0000:03:00.0",), neighbours=True)


@pytest.fixture(scope="module")
def ns() -> Iterator[str]:
    with design_doc_vteps() as name:
        yield name


@pytest.fixture(scope="module")
def state(ns: str) -> HostState:
    with HostReader(ns) as reader:
        return reader.read(REQUESTS)


@needs_root
def test_the_reader_asks_what_was_requested(state: HostState, ns: str) -> None:
    assert state.netns == ns
    assert set(state.netlink) == {
        Key.LINKS, Key.ADDRESSES, Key.RULES, Key.NEIGHBOURS, Key.routes(6081), Key.routes(6082),
        Key.route_get(FAR, "10.0.0.1"), Key.route_get(FAR, "10.0.0.2"), Key.route_get("192.0.2.1", "10.0.0.1"),
        Key.tc_ingress("vtep0"), Key.tc_ingress("nosuch0"),
        Key.devlink_eswitch("0000:03:00.0"), Key.devlink_info("0000:03:00.0")}
    assert set(state.ethtool) == {"vtep0", "nosuch0"}
    assert state.netlink[Key.LINKS].messages[4:6] == b"\x10\x00"  # RTM_NEWLINK, nlmsghdr kept


@needs_root
def test_host_view_decodes_everything_once(state: HostState) -> None:
    view = host_view(state)
    assert view.links.value is not None and view.links.value["vtep1"].mtu == 9000
    assert (view.addresses.value or {})["10.0.0.2"] == ("vtep1", 23, "ipv4")
    assert Rule(100, "10.0.0.1/32", 6081) in (view.rules.value or ())
    assert view.routes[6082] == Reading.of((Route(6082, "10.0.0.0/23", "vtep1", None, "link"),
                                            Route(6082, "10.0.0.0/16", "vtep1", GATEWAY, "universe")))
    assert view.route_answers == {
        (FAR, "10.0.0.1"): RouteAnswer(FAR, "10.0.0.1", 6081, "vtep0", GATEWAY),
        (FAR, "10.0.0.2"): RouteAnswer(FAR, "10.0.0.2", 6082, "vtep1", GATEWAY),
        ("192.0.2.1", "10.0.0.1"): RouteAnswer("192.0.2.1", "10.0.0.1", None, None, None, error="ENETUNREACH"),
    }
    # vtep0 is up with its root qdisc and no ingress one: OVS could not put filters there
    assert view.tc == {"vtep0": TcOffload(0, 0, 0, 0, ingress=False), "nosuch0": TcOffload.failed("no such interface")}
    assert view.neighbours.value is not None and view.neighbours.error is None  # nothing resolved in a fresh namespace
    assert view.features == {"vtep0": Features(False, fixed=True), "nosuch0": Features(None, error="no such interface")}
    # this kernel has no devlink: unknown, saying so
    assert view.devlink == {"0000:03:00.0": EswitchState("unknown", error="devlink unavailable")}
    assert view.info == {"0000:03:00.0": Reading.failed("devlink unavailable")}


@needs_root
def test_a_recorded_state_decodes_to_the_live_view(state: HostState) -> None:
    copied = HostState(
        netns=state.netns,
        netlink={key: NetlinkAnswer(bytes(bytearray(a.messages)), a.error) for key, a in state.netlink.items()},
        ethtool={name: Reading(r.value, r.error) for name, r in state.ethtool.items()})
    assert copied.netlink[Key.LINKS].messages is not state.netlink[Key.LINKS].messages
    assert host_view(copied) == host_view(state)


@needs_root
def test_the_socket_is_kept_between_reads(ns: str) -> None:
    with HostReader(ns) as reader:
        reader.read(HostRequests())
        sock = reader._netlink._sock.get()
        reader.read(HostRequests(tables=(6081,)))
        assert reader._netlink._sock.get() is sock


# -- recorded devlink answers -------------------------------------------------------------


def recorded(**devlink: tuple[bytes, bytes]) -> HostView:
    """A host view whose devlink answers are recorded replies (eswitch, info) per PCI address."""
    netlink = {}
    for pci, (eswitch, info) in devlink.items():
        netlink[Key.devlink_eswitch(pci)] = answer(eswitch)
        netlink[Key.devlink_info(pci)] = answer(info)
    return host_view(HostState(None, netlink))


def test_recorded_devlink_answers() -> None:
    view = recorded(**{"0000:03:00.0": (SWITCHDEV, INFO), "0000:03:00.1": (devlink_error(95), devlink_error(95))})
    assert view.devlink["0000:03:00.0"] == EswitchState("switchdev", "none", "basic", source="devlink")
    assert view.info["0000:03:00.0"] == Reading.of(DevInfo("mlx5_core", "MT2116X09299", "22.41.0188"))
    assert view.devlink["0000:03:00.1"] == EswitchState("unknown", source="devlink", error="EOPNOTSUPP")
    assert view.info["0000:03:00.1"] == Reading.failed("EOPNOTSUPP")
    # and what was never read: links, addresses, rules say so
    assert view.links == Reading.failed("not read") and view.rules.error == "not read"


def test_eswitch_of_devlink_then_compat_then_unknown(tmp_path: Path) -> None:
    hwmodel.cx6lx_legacy(tmp_path / "lx")  # MLNX_OFED: compat/devlink/mode says legacy
    hwmodel.cx6dx_switchdev(tmp_path / "dx")  # no compat file
    (lx,) = discover(DirSysfs(tmp_path / "lx")).adapters
    (dx,) = discover(DirSysfs(tmp_path / "dx")).adapters
    lx0, dx0 = lx.pfs[0], dx.pfs[0]
    answered = recorded(**{lx0.pci: (SWITCHDEV, INFO), dx0.pci: (LEGACY, INFO)})
    assert eswitch_of(lx0, answered) == EswitchState("switchdev", "none", "basic", source="devlink")  # devlink wins
    assert eswitch_of(dx0, answered).mode == "legacy"
    absent = host_view(HostState(None, {Key.devlink_eswitch(lx0.pci): NetlinkAnswer(error="devlink unavailable"),
                                        Key.devlink_eswitch(dx0.pci): NetlinkAnswer(error="devlink unavailable")}))
    assert eswitch_of(lx0, absent) == EswitchState("legacy", source="compat")
    assert eswitch_of(dx0, absent) == EswitchState("unknown", error="devlink unavailable")
    # not asked (the sysfs is another node's): the caller's reason, never a guess; compat still counts
    copy = host_view(HostState(None), unasked="modelled sysfs")
    assert eswitch_of(dx0, copy) == EswitchState("unknown", error="modelled sysfs")
    assert eswitch_of(lx0, copy) == EswitchState("legacy", source="compat")
    assert copy.features_of("enp3s0f0np0") == Features(None, error="modelled sysfs")
    assert host_view(HostState(None)).devlink_eswitch(dx0.pci).error == "not read"


# -- damaged states ---------------------------------------------------------------------------


GARBAGE: list[object] = [None, 5, "x", b"\x00" * 7, NetlinkAnswer(b"\xff" * 40), NetlinkAnswer("text"),  # type: ignore[arg-type]
                         NetlinkAnswer(error=7), Reading.of("bits"), Reading.of(FeatureBits(True, True, True, True))]  # type: ignore[arg-type]


def test_damaged_states_never_raise() -> None:
    rnd = random.Random(6081)
    keys = [Key.LINKS, Key.ADDRESSES, Key.RULES, Key.routes(7), Key.route_get("a", "b"), Key.tc_ingress("v0"),
            Key.devlink_eswitch("0000:03:00.0"), Key.devlink_info("pci/0000:03:00.0"), "bogus", "routes/x",
            "tc/v0", 17, Key.NEIGHBOURS, Key.CONNTRACK]
    for _ in range(300):
        netlink = {rnd.choice(keys): rnd.choice([*GARBAGE, answer(SWITCHDEV), answer(INFO)]) for _ in range(5)}
        ethtool = {rnd.choice(["v0", 3]): rnd.choice(GARBAGE) for _ in range(2)}
        stats = {rnd.choice(["v0", 3]): rnd.choice(GARBAGE) for _ in range(2)}
        view = host_view(HostState(None, netlink, ethtool, {}, stats))  # type: ignore[arg-type]
        assert isinstance(view, HostView)
    assert isinstance(host_view(HostState(None, None, None)), HostView)  # type: ignore[arg-type]
