"""``mvtep collect`` then ``--from``: every command prints exactly what it
printed live, on real OVN 25.03 and 26.03 nodes (and on modelled hardware
for preflight); collecting changes nothing on the node."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest

from inspector.bundle import BundleInvalid
from mvtep.sandbox.node import Sandbox
from tests import hwmodel
from tests.conftest import node_env, run_cli

COMMANDS = [
    ["show"], ["show", "--json"],
    ["verify"], ["verify", "--json"],
    ["paths"], ["paths", "--json"], ["paths", "--problems"],
    ["preflight"], ["preflight", "--json"],
]
FLOWS = [["flows"], ["flows", "--json"], ["flows", "--table", "0"], ["flows", "--in-port", "enp1s0f0_0"],
         ["flows", "--in-port", "LOCAL"], ["flows", "--cookie", "0x0/0xffffffff00000000"]]


# What ovs-vswitchd itself refreshes every few seconds (counters of the GARPs OVN
# sends through the localnet patch ports, link state): not an inspection's doing.
_VOLATILE = {"statistics", "status", "link_resets", "link_state", "admin_state"}


def _ovsdb(box: Sandbox) -> str:
    out = box.tools.run("ovsdb-client", ["--format=json", "dump", f"unix:{box.rundir}/db.sock"], box.env)
    tables = [json.loads(line) for line in out.splitlines() if line.strip()]  # one table per line
    kept = []
    for t in tables:
        keep = [i for i, h in enumerate(t["headings"]) if h not in _VOLATILE]
        kept.append([t["caption"], [t["headings"][i] for i in keep],
                     sorted(json.dumps([row[i] for i in keep]) for row in t["data"])])
    return json.dumps(kept)


def dump(box: Sandbox) -> str:
    """Everything an inspection could change: OVSDB, flows, groups, meters."""
    out = [_ovsdb(box)]
    for what in ("dump-flows", "dump-groups", "dump-meters"):
        text = box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "--no-stats", what, "br-int"], box.env)
        out.append(text)
    return "\n".join(out)


@pytest.fixture(scope="module")
def bundle(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Sandbox, Path, dict[str, str]]:
    """The live output of every command (those of FLOWS too), then a bundle collected right after."""
    env = node_env(sandbox)
    before = dump(sandbox)
    live = {" ".join(argv): run_cli(argv, env=env).out for argv in [*COMMANDS, *FLOWS]}
    path = tmp_path_factory.mktemp("bundle") / "node.tar.gz"
    res = run_cli(["collect", "-o", str(path)], env=env)
    assert res.status == 0, res.err
    assert dump(sandbox) == before  # read-only
    return sandbox, path, live


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_from_prints_what_live_printed(bundle: tuple[Sandbox, Path, dict[str, str]], argv: list[str]) -> None:
    _box, path, live = bundle
    res = run_cli([*argv, "--from", str(path)], env={k: v for k, v in os.environ.items()
                                                     if k not in ("OVS_RUNDIR", "MVTEP_NETNS")})
    assert res.out == live[" ".join(argv)], res.err


def test_the_bundle_holds_every_part(bundle: tuple[Sandbox, Path, dict[str, str]]) -> None:
    box, path, _live = bundle
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "ovsdb.json", "southbound.json", "openflow.json", "openflow.bin", "sysfs.json",
            "netlink.json", "datapath.txt", "daemons.json", "logs/ovs-vswitchd.log",
            "logs/ovn-controller.log"} <= names


def test_a_bundle_without_a_part_says_so(bundle: tuple[Sandbox, Path, dict[str, str]], tmp_path: Path) -> None:
    box, _path, _live = bundle
    saved = tmp_path / "verify.tar.gz"
    assert run_cli(["verify", "--save", str(saved)], env=node_env(box)).status in (0, 1)
    with pytest.raises(BundleInvalid, match="has no sysfs"):
        run_cli(["preflight", "--from", str(saved)])


def test_what_could_not_be_collected_is_said(sandbox: Sandbox, tmp_path: Path) -> None:
    """Without the southbound DB, collect still writes a bundle and names
    what it could not read; the bundle keeps the reason."""
    res = run_cli(["collect", "-o", str(tmp_path / "b.tar.gz"), "--sb", f"unix:{tmp_path}/no-sb.sock"],
                  env=node_env(sandbox))
    assert res.status == 0 and (tmp_path / "b.tar.gz").exists()
    assert "not collected: southbound: cannot connect to OVSDB" in res.err
    res2 = run_cli(["verify", "--from", str(tmp_path / "b.tar.gz")])
    assert "southbound DB not read" in res2.out


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
@pytest.mark.parametrize("tree", ["cx6dx_switchdev", "bf2_nic_mode", "vfs_without_representors"])
def test_preflight_on_modelled_hardware(tree: str, tmp_path: Path) -> None:
    from tests.vtepns import design_doc_vteps
    root = tmp_path / "root"
    getattr(hwmodel, tree)(root)
    with design_doc_vteps() as ns:
        args = ["--sysfs-root", str(root), "--netns", ns, "--db", f"unix:{tmp_path}/no-ovs.sock",
                "--pf-mapping", "enp3s0f0np0:10.0.0.1,enp3s0f1np1:10.0.0.2"]
        live = run_cli(["preflight", *args])
        path = tmp_path / "hw.tar.gz"
        assert run_cli(["collect", "-o", str(path), *args[:-2]]).status == 0
    offline = run_cli(["preflight", "--from", str(path), "--pf-mapping", "enp3s0f0np0:10.0.0.1,enp3s0f1np1:10.0.0.2"])
    assert offline.out == live.out and offline.status == live.status


def _timeless(text: str) -> str:
    """Without what changes by itself between two reads of a node: ages, and the
    counters of the flows ovn-controller's own packets (GARPs) go through."""
    import re
    text = re.sub(r"(duration=[0-9.]+s|n_packets=[0-9]+|n_bytes=[0-9]+|(idle|hard)_age=[0-9]+), ", "", text)
    return re.sub(r'"(duration|idle_age|hard_age|packets|bytes)": [0-9.]+, ', "", text)


@pytest.mark.parametrize("argv", FLOWS, ids=" ".join)
def test_flows_from_prints_what_live_printed(bundle: tuple[Sandbox, Path, dict[str, str]], argv: list[str]) -> None:
    _box, path, lives = bundle
    live = lives[" ".join(argv)]
    offline = run_cli([*argv, "--from", str(path)], env={k: v for k, v in os.environ.items()
                                                         if k not in ("OVS_RUNDIR", "MVTEP_NETNS")})
    assert live.count("\n") >= (0 if "LOCAL" in argv else 1 if "--in-port" in argv else 10)
    assert _timeless(offline.out) == _timeless(live)


def test_flows_from_a_bundle_without_the_table(sandbox: Sandbox, tmp_path: Path) -> None:
    saved = tmp_path / "verify.tar.gz"
    run_cli(["verify", "--save", str(saved)], env=node_env(sandbox))
    assert run_cli(["flows", "--table", "0", "--from", str(saved)]).out.count("\n") > 10
    with pytest.raises(BundleInvalid, match="holds only the flows of table"):
        run_cli(["flows", "--table", "12", "--from", str(saved)])
