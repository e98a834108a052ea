import pytest

from mvcore.endpoints import DEFAULT_RUNDIR, resolve
from mvcore.errors import UsageError


def test_defaults_follow_ovs_rundir() -> None:
    ends = resolve({"OVS_RUNDIR": "/tmp/node"})
    assert ends.db == "unix:/tmp/node/db.sock"
    assert ends.openflow == "unix:/tmp/node/br-int.mgmt"
    assert ends.bridge == "br-int"


def test_without_ovs_rundir_uses_the_ovs_default() -> None:
    assert resolve({}).db == f"unix:{DEFAULT_RUNDIR}/db.sock"


def test_options_override_environment() -> None:
    ends = resolve({"OVS_RUNDIR": "/x"}, db="tcp:127.0.0.1:6640", bridge="br-ex")
    assert ends.db == "tcp:127.0.0.1:6640"
    assert ends.openflow == "unix:/x/br-ex.mgmt"


@pytest.mark.parametrize("kw", [{"db": "127.0.0.1:6640"}, {"openflow": "tcp:host"}, {"bridge": "br int"}])
def test_bad_remotes_are_usage_errors(kw: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        resolve({}, **kw)
