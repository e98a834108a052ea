"""Real OVN nodes: what ovn-controller actually programmed on br-int."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mvcore.errors import RunDirInUse, UsageError
from mvtep.sandbox import daemons, underlay
from mvtep.sandbox.node import Sandbox, down
from mvtep.sandbox.topology import Size
from mvtep.sandbox import node as sandbox_node
from tests.conftest import run_cli
from tests.vtepns import route_get

pytestmark = pytest.mark.sandbox


def _vsctl_json(box: Sandbox, *args: str) -> list[Any]:
    return list(json.loads(box.tools.run("ovs-vsctl", ["--format=json", *args], box.env))["data"])


def test_one_tunnel_port_per_local_vtep_and_remote_encap(sandbox: Sandbox) -> None:
    tunnels = _vsctl_json(sandbox, "--columns=options", "find", "Interface", "type=geneve")
    pairs = sorted((dict(o[1])["local_ip"], dict(o[1])["remote_ip"]) for (o,) in tunnels)
    expected = sorted((v.ip, r) for v in sandbox.plan.vteps for c in sandbox.plan.remotes for r in c.encap_ips)
    assert len(pairs) == 9
    assert pairs == expected


def test_table0_loads_each_vifs_encap_id_into_reg13_high_bits(sandbox: Sandbox) -> None:
    flows = sandbox.tools.run("ovs-ofctl", ["--no-names", "-O", "OpenFlow15", "dump-flows", "br-int", "table=0"],
                              sandbox.env)
    loads = dict(re.findall(r"priority=100,in_port=(\d+) actions=\S*?set_field:(0x[0-9a-f]+|0)/0xffff0000->reg13",
                            flows))
    # OVN numbers the chassis' encap IPs in string order; unset encap-ip -> id 0.
    ids = {ip: i for i, ip in enumerate(sorted(v.ip for v in sandbox.plan.vteps))}
    for vf in sandbox.plan.vfs:
        assert int(loads[str(vf.ofport)], 16) >> 16 == ids.get(vf.encap_ip or "", 0), vf


def test_remote_ports_are_bound_through_their_encap(sandbox: Sandbox) -> None:
    out = json.loads(sandbox.tools.run("ovn-sbctl", ["--format=json", "--columns=logical_port,encap", "list",
                                                     "Port_Binding"], sandbox.env))
    encaps = json.loads(sandbox.tools.run("ovn-sbctl", ["--format=json", "--columns=_uuid,ip", "list", "Encap"],
                                          sandbox.env))
    ip_of = {u[1]: ip for u, ip in encaps["data"]}
    bound = {port: ip_of.get(e[1]) if e[0] == "uuid" else None for port, e in out["data"]}
    for rp in sandbox.plan.remote_ports:
        assert bound[rp.name] == rp.encap_ip


def test_show_reads_the_live_node(sandbox: Sandbox) -> None:
    res = run_cli(["show", "--json"], env={**os.environ, "OVS_RUNDIR": str(sandbox.rundir)})
    assert res.status == 0
    doc = json.loads(res.out)
    assert [v["ip"] for v in doc["vteps"]] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert {(v["interface"], v["encap_ip"]) for v in doc["vifs"]} == {
        (vf.representor, vf.encap_ip) for vf in sandbox.plan.vfs}
    assert len(doc["tunnels"]) == 9 and all(t["remote_chassis"] for t in doc["tunnels"])
    text = run_cli(["show"], env={**os.environ, "OVS_RUNDIR": str(sandbox.rundir)}, width=100).out
    assert "no VTEP assigned: default VTEP" in text and "10.1.1.2" in text


def test_a_live_run_directory_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(RunDirInUse):
        daemons.check_rundir(sandbox.rundir)


def test_ovn_2303_starts_without_per_vtep_tunnels(sandbox_2303: Sandbox) -> None:
    tunnels = _vsctl_json(sandbox_2303, "--columns=options", "find", "Interface", "type=geneve")
    assert len(tunnels) == 3  # one per remote encap, whatever the local VTEPs
    # ovn-set-local-ip=true, as ovnkube-node sets it: one local VTEP for every tunnel (encaps.c)
    assert len({dict(o[1])["local_ip"] for (o,) in tunnels}) == 1


def test_down_stops_exactly_the_sandbox_daemons(tmp_path: Path) -> None:
    box = sandbox_node.up(tmp_path / "run", "25.03", Size(vfs=2, remote_chassis=1, remote_ports=1), os.environ)
    pids = daemons.running(box.rundir)
    assert set(pids) == set(daemons.DAEMONS)
    # A bystander whose command line names the run directory must survive.
    bystander = subprocess.Popen(["sh", "-c", "sleep 60", str(box.rundir)])
    try:
        assert box.netns and underlay.exists(box.netns)
        answer = route_get("10.1.1.2", "10.0.0.2", box.netns)  # the underlay routes per VTEP
        assert (answer.oif, answer.table) == ("vtep1", 6082)
        assert set(down(box.rundir)) == {*daemons.DAEMONS, f"netns {box.netns}"}
        assert not underlay.exists(box.netns)
        for pid in pids.values():
            assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/cmdline").read_bytes() == b""
        # A stale pidfile that now names someone else's process: left alone.
        (box.rundir / "ovn-northd.pid").write_text(f"{bystander.pid}\n")
        assert down(box.rundir) == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def _builds() -> Path:
    from tests.test_verify_releases import BUILDS
    return BUILDS


def test_up_runs_the_ovn_of_a_root_tarball_or_directory(tmp_path: Path) -> None:
    tarball = _builds() / "ovn-24.03.9.tar.xz"
    if not tarball.is_file():
        pytest.skip(f"no OVN 24.03.9 source build at {tarball} (a clone without ../shared/ovn-builds)")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    res = run_cli(["sandbox", "up", "--dir", str(tmp_path / "run"), "--ovn-root", str(tarball), "--vfs", "2",
                   "--remote-chassis", "1", "--remote-ports", "1"], env=env)
    try:
        assert res.status == 0, res.err
        assert "ovn-controller 24.03.9" in res.err and res.out.startswith(f"export OVS_RUNDIR={tmp_path / 'run'}")
    finally:
        run_cli(["sandbox", "down", "--dir", str(tmp_path / "run")], env=env)
    (unpacked,) = (tmp_path / "cache" / "multivtep").glob("ovn-root-*/root")
    assert (unpacked.parent / "READY").exists()
    # the unpacked tree itself is a root directory too
    box = sandbox_node.up(tmp_path / "run2", "25.03", Size(vfs=2, remote_chassis=1, remote_ports=1), env,
                          root=unpacked)
    try:
        assert box.ovn_version.endswith("24.03.9") and box.tools.root == unpacked and box.per_vtep
    finally:
        down(box.rundir)


@pytest.mark.parametrize("what", ["missing", "empty-dir", "not-a-tarball", "escaping-tarball"])
def test_a_bad_ovn_root_is_one_line(tmp_path: Path, what: str) -> None:
    import io
    import tarfile
    path = tmp_path / "root"
    if what == "empty-dir":
        path.mkdir()
    elif what == "not-a-tarball":
        path.write_text("hello")
    elif what == "escaping-tarball":
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("../outside")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with pytest.raises(UsageError, match="--ovn-root") as e:  # exit 2, one line (main's error boundary)
        run_cli(["sandbox", "up", "--dir", str(tmp_path / "run"), "--ovn-root", str(path)], env=env)
    assert "\n" not in e.value.message and e.value.exit_status == 2
    assert not (tmp_path / "outside").exists() and not daemons.running(tmp_path / "run")
