import pytest

from mvcore.errors import UsageError
from mvtep.sandbox.topology import Size, plan


def test_seed_node_matches_the_design_document() -> None:
    p = plan(Size())
    assert [(v.pf, v.ip) for v in p.vteps] == [
        ("enp1s0f0", "10.0.0.1"), ("enp2s0f0", "10.0.0.2"), ("enp3s0f0", "10.0.0.3")]
    assert [len(r.encap_ips) for r in p.remotes] == [1, 2]
    assert p.remote_encaps == 3
    # every VF but the last carries its PF's VTEP; the last uses the default
    assert [vf.encap_ip for vf in p.vfs][-1] is None
    assert all(vf.encap_ip == next(v.ip for v in p.vteps if v.pf == vf.pf) for vf in p.vfs[:-1])


def test_names_and_addresses_are_unique_at_scale() -> None:
    p = plan(Size(vfs=1000, remote_chassis=50, remote_ports=40))
    for values in ([v.representor for v in p.vfs], [v.ofport for v in p.vfs],
                   [v.mac for v in p.vfs] + [r.mac for r in p.remote_ports],
                   [v.ip for v in p.vfs] + [r.ip for r in p.remote_ports],
                   [r.name for r in p.remote_ports]):
        assert len(values) == len(set(values))
    # remote ports of two-encap chassis are spread over both encaps
    assert {r.encap_ip for r in p.remote_ports if r.chassis == "remote-1"} == {"10.1.1.1", "10.1.1.2"}


@pytest.mark.parametrize("size", [Size(vfs=0), Size(remote_chassis=251), Size(vteps=9)])
def test_sizes_out_of_range_are_usage_errors(size: Size) -> None:
    with pytest.raises(UsageError):
        plan(size)
