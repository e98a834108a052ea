"""hw.ethtool on real veth interfaces inside a scratch network namespace."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute

from hw import netns
from hw.ethtool import NO_SUCH_INTERFACE, features, from_bits
from hw.model import Features

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creating network namespaces needs root")

# Names the host is unlikely to have, so "not visible outside" is a real check.
VETH, PEER = f"mvt{os.getpid() % 100000}a", f"mvt{os.getpid() % 100000}b"


@pytest.fixture(scope="module")
def ns() -> Iterator[str]:
    with netns.temporary() as name:
        with IPRoute(netns=name, flags=0) as ipr:
            ipr.link("add", ifname=VETH, kind="veth", peer=PEER)
        yield name
    assert not netns.exists(name)


def test_veth_hw_tc_offload_is_off_and_fixed(ns: str) -> None:
    # veth has no NETIF_F_HW_TC in hw_features: `ethtool -k` says "off [fixed]".
    assert features(VETH, ns) == Features(hw_tc_offload=False, fixed=True, error=None)
    assert features(PEER, ns) == Features(hw_tc_offload=False, fixed=True, error=None)


def test_missing_interface(ns: str) -> None:
    assert features("nosuchdev0", ns) == Features(None, error=NO_SUCH_INTERFACE)
    assert features("x" * 16, ns) == Features(None, error=NO_SUCH_INTERFACE)  # longer than IFNAMSIZ allows
    assert features("", ns) == Features(None, error=NO_SUCH_INTERFACE)


def test_the_namespace_is_where_the_name_is_looked_up(ns: str) -> None:
    assert features(VETH) == Features(None, error=NO_SUCH_INTERFACE)  # not in the caller's namespace
    assert features("lo", ns).error is None


def test_missing_namespace() -> None:
    result = features("lo", "mvtep-test-no-such-namespace")
    assert result.hw_tc_offload is None and result.error == "no such network namespace: mvtep-test-no-such-namespace"
    assert not netns.exists("mvtep-test-no-such-namespace")  # asked about, never created


@pytest.mark.parametrize(("bits", "expected"), [
    ({"active": True, "available": True}, Features(True, fixed=False)),  # mlx5 uplink after ethtool -K ... on
    ({"active": False, "available": True}, Features(False, fixed=False)),  # PF in legacy mode: can be turned on
    ({"active": False, "available": False}, Features(False, fixed=True)),  # no TC offload in this driver
    ({"active": True, "available": True, "never_changed": True}, Features(True, fixed=True)),
])
def test_fixed_as_ethtool_prints_it(bits: dict[str, bool], expected: Features) -> None:
    assert from_bits(**bits) == expected
