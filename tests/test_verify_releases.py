"""``mvtep verify`` on every OVN release a user runs: real nodes of 24.03.9
and 24.09.2 (source builds, ../shared/ovn-builds), 25.03 and 26.03
(Debian), with ``ovn-encap-ip-default`` on the third of three VTEPs, which
is not first as text.  The three numberings differ there
(shared/reference/facts.md): a correct node must give no error, each VIF --
with, without and with an unknown ``encap-ip`` -- the encap id and VTEP its
release gives it, and a flow fault must still be found, also when the
release cannot be read (ovn-controller stopped)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox, down, up
from mvtep.sandbox.topology import Shape
from tests.conftest import SMALL, node_env, run_cli
from tests.test_verify import _flows, _tunnels, eventually, path_of, verify

pytestmark = pytest.mark.sandbox

BUILDS = Path(os.environ.get("MVTEP_OVN_BUILDS") or Path(__file__).resolve().parents[2] / "shared" / "ovn-builds")
RELEASES = ("24.03.9", "24.09.2", "25.03", "26.03")
DEFAULT = "10.0.0.3"

# What each release gives the VIF without encap-ip and the one whose encap-ip is no VTEP: (id, VTEP).
EXPECTED = {
    "24.03.9": {"unset": (0, "10.0.0.1"), "unknown": (0, "10.0.0.1"), "ids": ("10.0.0.1", "10.0.0.2", "10.0.0.3"),
                "numbering": "sorted"},
    "24.09.2": {"unset": (2, "10.0.0.3"), "unknown": (0, "10.0.0.1"), "ids": ("10.0.0.1", "10.0.0.2", "10.0.0.3"),
                "numbering": "sorted-default"},
    "25.03": {"unset": (0, "10.0.0.3"), "unknown": (0, "10.0.0.3"), "ids": ("10.0.0.3", "10.0.0.2", "10.0.0.1"),
              "numbering": "swapped"},
    "26.03": {"unset": (0, "10.0.0.3"), "unknown": (0, "10.0.0.3"), "ids": ("10.0.0.3", "10.0.0.2", "10.0.0.1"),
              "numbering": "swapped"},
}


def build_root(release: str) -> Path | None:
    """The source build of ``release`` (None for a Debian release); skips the
    test when the build is not there."""
    if release not in ("24.03.9", "24.09.2"):
        return None
    tarball = BUILDS / f"ovn-{release}.tar.xz"
    if not tarball.is_file():
        pytest.skip(f"no OVN {release} source build at {tarball} (a clone without ../shared/ovn-builds)")
    return tarball


def start(tmp: Path, release: str, shape: Shape) -> Sandbox:
    root = build_root(release)
    return up(tmp / "run", release, SMALL, os.environ, shape=shape, root=root)


@pytest.fixture(params=RELEASES)
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Sandbox]]:
    box = start(tmp_path, request.param, Shape(encap_ip_default=DEFAULT))
    try:
        yield request.param, box
    finally:
        down(box.rundir)


def errors(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(f["code"], f["interface"] or f["subject"]) for f in doc["findings"] if f["severity"] == "error"]


def test_a_correct_node_numbered_as_its_release_numbers(node: tuple[str, Sandbox]) -> None:
    release, box = node
    want = EXPECTED[release]
    status, doc = verify(box)
    assert (status, errors(doc)) == (0, [])
    assert doc["ovn_release"]["source"] == "ovn-controller" and doc["ovn_release"]["version"].startswith(release)
    assert doc["ovn_release"]["numbering"] == want["numbering"]
    assert doc["expected_encap_ips"] == doc["encap_ips"] == {str(k): ip for k, ip in enumerate(want["ids"])}
    for vf in box.plan.vfs:
        p = path_of(doc, vf.representor)
        if vf.encap_ip is None:
            assert (p["encap_id"], p["vtep_ip"]) == want["unset"], vf
        else:
            assert p["vtep_ip"] == vf.encap_ip and p["encap_id"] == want["ids"].index(vf.encap_ip), vf
        assert {t["local_ip"] for t in p["tunnels"]} == {p["vtep_ip"]}
    # a VIF whose encap-ip is no VTEP of the chassis: no Port_Binding.encap, so id 0
    vf = box.plan.vfs[1]
    box.tools.run("ovs-vsctl", ["set", "Interface", vf.representor, "external_ids:encap-ip=10.9.9.9"], box.env)
    status, doc = eventually(box, lambda d: path_of(d, vf.representor)["encap_id"] == 0)
    assert (path_of(doc, vf.representor)["encap_id"], path_of(doc, vf.representor)["vtep_ip"]) == want["unknown"]
    assert errors(doc) == [("encap-ip-unknown", vf.representor)]


def _rewrite(box: Sandbox, flow: str, old: str, new: str) -> None:
    match, actions = flow.split(" actions=")
    assert old in actions, flow
    box.tools.run("ovs-ofctl", ["-O", "OpenFlow15", "mod-flows", "--strict", "br-int",
                                f"{match} actions={actions.replace(old, new)}"], box.env)


def test_a_flow_fault_is_found_on_every_release(node: tuple[str, Sandbox]) -> None:
    """With ovn-controller stopped its flows stay, and its release is read
    from the feature flags of its Chassis row -- or, without the southbound
    DB, not at all: then the flows' own numbering is taken.  A VIF's table-0
    load and a remote-output flow are rewritten to another VTEP's; both
    faults are found either way."""
    release, box = node
    want = EXPECTED[release]
    assert daemons.stop(box.rundir, "ovn-controller")
    vf = box.plan.vfs[1]  # 10.0.0.2: id 1 in every numbering
    (flow,) = [f for f in _flows(box, f"table=0,in_port={vf.ofport}") if "priority=100" in f and "->reg13" in f]
    other = want["ids"].index("10.0.0.1")
    _rewrite(box, flow, "set_field:0x10000/0xffff0000->reg13", f"set_field:{other << 16:#x}/0xffff0000->reg13")
    tunnels = _tunnels(box)
    by_port = {p: pair for pair, p in tunnels.items()}
    k = want["ids"].index("10.0.0.3")
    remote = next(f for f in _flows(box, f"reg13={k << 16:#x}/0xffff0000")
                  if (m := re.search(r"output:(\d+)", f)) and int(m.group(1)) in by_port)
    port = int(re.search(r"output:(\d+)", remote).group(1))  # type: ignore[union-attr]
    wrong = tunnels[("10.0.0.1", by_port[port][1])]
    _rewrite(box, remote, f"output:{port}", f"output:{wrong}")
    for args, source in (((), "southbound"), (("--sb", f"unix:{box.rundir}/nothing.sock"), "unknown")):
        status, doc = verify(box, *args)
        assert doc["ovn_release"]["source"] == source
        found = errors(doc)
        assert status == 1 and ("encap-id-mismatch", vf.representor) in found
        assert any(code == "tunnel-local-ip-mismatch" for code, _ in found)
        assert {code for code, _ in found} <= {"encap-id-mismatch", "tunnel-local-ip-mismatch", "tunnel-missing"}
    assert doc["ovn_release"]["numbering"] == want["numbering"]  # what the flows follow: the release's own
    assert "ovn-release-unknown" in {f["code"] for f in doc["findings"]}


def test_23_03_says_why_and_breaks_every_path(tmp_path: Path) -> None:
    """OVN 23.03 has no per-VTEP selection; as ovnkube-node sets
    ovn-set-local-ip=true, every tunnel leaves from one VTEP.  verify says
    so once, and paths marks every VF broken with that reason."""
    box = start(tmp_path, "23.03", Shape())
    try:
        status, doc = verify(box)
        (f,) = [f for f in doc["findings"] if f["code"] == "multi-vtep-unsupported"]
        assert status == 1 and doc["per_vtep"] is False
        assert re.search(r"every tunnel leaves from 10\.0\.0\.\d", f["message"])
        assert "24.03.0 or newer" in f["hint"] and "23.03" in f["hint"]
        locals_ = {dict(o[1]).get("local_ip") for _p, o in json.loads(box.tools.run(
            "ovs-vsctl", ["--format=json", "--columns=ofport,options", "find", "Interface", "type=geneve"],
            box.env))["data"]}
        assert len(locals_) == 1 and None not in locals_
        env = node_env(box)
        paths = json.loads(run_cli(["paths", "--json"], env=env).out)
        assert {p["verdict"] for p in paths["paths"]} == {"broken"}
        assert all("selects no VTEP per port" in p["reason"] for p in paths["paths"])
        frame = run_cli(["watch", "--once"], env=env, width=160).out  # the live view's rows say so too
        rows = [line for line in frame.splitlines() if line.split()[:1] and any(
            line.split()[0] == vf.representor for vf in box.plan.vfs)]
        assert len(rows) == len(box.plan.vfs) and all("broken" in r and "not-offloaded" not in r for r in rows)
    finally:
        down(box.rundir)
