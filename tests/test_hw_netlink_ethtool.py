"""hw.ethtool: read_features on real veth interfaces inside a scratch network
namespace, and features_of, the one reading of the four GFEATURES bits, on
what the kernel answered and on bits as other drivers report them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pyroute2 import IPRoute

from hw import netns
from hw.ethtool import NO_SUCH_INTERFACE, features_of, read_features
from hw.model import Features
from mvcore.reading import Reading
from mvcore.snapshot import FeatureBits

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
    for name in (VETH, PEER):
        bits = read_features(name, ns)
        assert bits == Reading.of(FeatureBits(available=False, requested=False, active=False, never_changed=False))
        assert features_of(bits) == Features(hw_tc_offload=False, fixed=True, error=None)


def test_missing_interface(ns: str) -> None:
    for name in ("nosuchdev0", "x" * 16, ""):  # the second is longer than IFNAMSIZ allows
        assert read_features(name, ns) == Reading.failed(NO_SUCH_INTERFACE)
    assert features_of(read_features("nosuchdev0", ns)) == Features(None, error=NO_SUCH_INTERFACE)


def test_the_namespace_is_where_the_name_is_looked_up(ns: str) -> None:
    assert read_features(VETH) == Reading.failed(NO_SUCH_INTERFACE)  # not in the caller's namespace
    assert read_features("lo", ns).error is None


def test_missing_namespace() -> None:
    result = read_features("lo", "mvtep-test-no-such-namespace")
    assert result == Reading.failed("no such network namespace: mvtep-test-no-such-namespace")
    assert not netns.exists("mvtep-test-no-such-namespace")  # asked about, never created


@pytest.mark.parametrize(("bits", "expected"), [
    (FeatureBits(True, True, True, False), Features(True, fixed=False)),  # mlx5 uplink after ethtool -K ... on
    (FeatureBits(True, False, False, False), Features(False, fixed=False)),  # PF in legacy mode: can be turned on
    (FeatureBits(False, False, False, False), Features(False, fixed=True)),  # no TC offload in this driver
    (FeatureBits(True, True, True, True), Features(True, fixed=True)),
])
def test_fixed_as_ethtool_prints_it(bits: FeatureBits, expected: Features) -> None:
    assert features_of(Reading.of(bits)) == expected


def test_not_read() -> None:
    assert features_of(Reading()) == Features(None, error="hw-tc-offload was not read")
