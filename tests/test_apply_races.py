"""``mvtep apply`` interrupted, racing another apply, and racing another writer,
against a real sandbox OVSDB and real kernel routing in a namespace the test
builds (as in test_apply.py).

Where a signal must land in the middle of a change, the node's ovsdb-server
is stopped (SIGSTOP) while apply writes to it, so the signal arrives while
the OVSDB transaction is under way, deterministically."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from flowprog.apply import ApplyFailed, apply_plan
from flowprog.ofcodec import load
from flowprog.ofext import install
from flowprog.plan import Plan, make_plan
from flowprog.spec import parse_spec
from hw.plumbing import Plumbing
from hw.sysfs import DirSysfs
from inspector.gather import Gatherer, HostSources, Scope
from inspector.plan_inputs import current_state, spec_tables
from mvcore.endpoints import resolve
from mvcore.routes import Route, Rule
from mvtep.sandbox.node import Sandbox
from tests.test_apply import SPEC, iface_ids, kernel_state, node, ns  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.sandbox, pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")]


def node_env(box: Sandbox, netns: str) -> dict[str, str]:
    return {**os.environ, "OVS_RUNDIR": str(box.rundir), "MVTEP_NETNS": netns}


def ovs_external_ids(box: Sandbox) -> dict[str, str]:
    out = box.tools.run("ovs-vsctl", ["--format=json", "--columns=external_ids", "list", "Open_vSwitch"], box.env)
    return dict(json.loads(out)["data"][0][0][1])


def spec_file(tmp: Path, name: str, default: str) -> Path:
    path = tmp / name
    path.write_text(SPEC.replace('default_vtep = "10.0.0.1"', f'default_vtep = "{default}"'))
    return path


class Interactive:
    """``mvtep apply`` without --yes, answering its question on a terminal."""

    def __init__(self, box: Sandbox, netns: str, spec: Path) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "mvtep", "--timeout", "30", "apply", str(spec),
                                      "--allow-software"], stdin=slave, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=node_env(box, netns))
        os.close(slave)
        assert self.proc.stderr is not None
        self.err = b""

    def read_err_until(self, text: bytes, seconds: float = 30) -> None:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + seconds
        while text not in self.err and time.monotonic() < deadline:
            if select.select([self.proc.stderr], [], [], 0.1)[0]:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk:
                    break
                self.err += chunk
        assert text in self.err, self.err.decode()

    def answer(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self) -> tuple[int, str]:
        _, rest = self.proc.communicate(timeout=60)
        os.close(self.master)
        return self.proc.returncode, (self.err + rest).decode()


@pytest.fixture
def stalled_ovsdb(node: Sandbox) -> Iterator[tuple[int, Sandbox]]:  # noqa: F811
    pid = int((node.rundir / "ovsdb-server.pid").read_text())
    try:
        yield pid, node
    finally:
        os.kill(pid, signal.SIGCONT)


def test_signals_during_apply_undo_what_it_made(stalled_ovsdb: tuple[int, Sandbox], ns: str,  # noqa: F811
                                                 tmp_path: Path) -> None:
    pid, box = stalled_ovsdb
    before = (kernel_state(ns), ovs_external_ids(box), iface_ids(box, "enp1s0f0_1"))
    apply = Interactive(box, ns, spec_file(tmp_path, "node.toml", "10.0.0.1"))
    apply.read_err_until(b"[y/N]")
    os.kill(pid, signal.SIGSTOP)  # the OVSDB transaction will wait for it
    apply.answer("y")
    time.sleep(1.0)
    apply.proc.send_signal(signal.SIGTERM)
    apply.read_err_until(b"SIGTERM: stopping after the change in progress")
    apply.proc.send_signal(signal.SIGINT)  # a second one: it must not cut the undoing short
    apply.read_err_until(b"SIGINT again: still stopping")
    assert apply.proc.poll() is None
    os.kill(pid, signal.SIGCONT)
    status, err = apply.finish()
    assert status == 130 and "Traceback" not in err, err
    (error,) = [line for line in err.splitlines() if line.startswith("mvtep: error: ")]
    assert error.startswith("mvtep: error: interrupted by SIGTERM with 2 of 11 change(s) made; rolled back 2"), err
    assert "undone: Open_vSwitch external_ids:ovn-encap-ip-default" in err
    assert "undone: Interface enp1s0f0_1 external_ids:encap-ip" in err
    assert (kernel_state(ns), ovs_external_ids(box), iface_ids(box, "enp1s0f0_1")) == before


def test_ctrl_c_at_the_question_changes_nothing(node: Sandbox, ns: str, tmp_path: Path) -> None:  # noqa: F811
    before = (kernel_state(ns), ovs_external_ids(node))
    apply = Interactive(node, ns, spec_file(tmp_path, "node.toml", "10.0.0.1"))
    apply.read_err_until(b"[y/N]")
    apply.proc.send_signal(signal.SIGINT)
    status, err = apply.finish()
    assert status == 130 and err.rstrip().endswith("mvtep: interrupted") and "Traceback" not in err
    assert (kernel_state(ns), ovs_external_ids(node)) == before


# -- two applies -------------------------------------------------------------------------------


def test_a_second_apply_is_refused_while_one_holds_the_node(node: Sandbox, ns: str,  # noqa: F811
                                                            tmp_path: Path) -> None:
    env = node_env(node, ns)
    watch = subprocess.Popen([sys.executable, "-m", "mvtep", "apply", str(spec_file(tmp_path, "a.toml", "10.0.0.1")),
                              "--yes", "--allow-software", "--watch", "--interval", "0.2"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while ovs_external_ids(node).get("ovn-encap-ip-default") != "10.0.0.1" and time.monotonic() < deadline:
            time.sleep(0.2)
        p = subprocess.run([sys.executable, "-m", "mvtep", "apply", str(spec_file(tmp_path, "b.toml", "10.0.0.2")),
                            "--yes", "--allow-software"], env=env, capture_output=True, text=True, timeout=60,
                           check=False)
        assert p.returncode == 2, p.stderr
        first = p.stderr.splitlines()[0]
        assert first.startswith(f"mvtep: error: another mvtep apply is changing this node: pid {watch.pid} (mvtep ")
        assert "a.toml" in first and "--watch" in first and "since" in first
        assert ovs_external_ids(node)["ovn-encap-ip-default"] == "10.0.0.1"  # b changed nothing
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.communicate(timeout=30)
    assert watch.returncode == 130
    p = subprocess.run([sys.executable, "-m", "mvtep", "apply", str(spec_file(tmp_path, "b.toml", "10.0.0.2")),
                        "--yes", "--allow-software"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr  # the lock went with the watcher
    assert ovs_external_ids(node)["ovn-encap-ip-default"] == "10.0.0.2"


def test_two_applies_at_once_leave_one_spec_whole(node: Sandbox, ns: str, tmp_path: Path) -> None:  # noqa: F811
    env = node_env(node, ns)
    specs = {"10.0.0.2": spec_file(tmp_path, "b.toml", "10.0.0.2"), "10.0.0.3": spec_file(tmp_path, "c.toml",
                                                                                          "10.0.0.3")}
    for _round in range(4):
        procs = {default: subprocess.Popen([sys.executable, "-m", "mvtep", "apply", str(path), "--yes",
                                            "--allow-software"], env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, text=True)
                 for default, path in specs.items()}
        finished: list[str] = []
        results = {}
        while len(results) < len(procs):
            for default, proc in procs.items():
                if default not in results and proc.poll() is not None:
                    results[default] = (proc.returncode, proc.communicate()[1])
                    finished.append(default)
            time.sleep(0.01)
        won = [d for d in finished if results[d][0] == 0]
        for d, (status, err) in results.items():
            assert status == 0 or (status == 2 and "another mvtep apply is changing this node" in err), (d, err)
            assert "rolled back" not in err and "Traceback" not in err
        assert won, results
        assert ovs_external_ids(node)["ovn-encap-ip-default"] == won[-1]  # the last to finish, whole
        assert len(kernel_state(ns)[0]) == 3


# -- another writer while apply runs -----------------------------------------------------------


def plan_of(box: Sandbox, netns: str) -> Plan:
    env = {"OVS_RUNDIR": str(box.rundir)}
    spec = parse_spec(SPEC)
    with Gatherer(resolve(env), env, install(load(os.environ)), timeout=5,
                  host=HostSources(DirSysfs(Path("/")), netns)) as g:
        snap = g.snapshot(Scope(ovsdb=True, hardware=True, host=True, tables=spec_tables(spec),
                                required=frozenset({"ovsdb", "bridge", "host"})))
    return make_plan(spec, current_state(snap, spec), allow_software=True)


class Meddling:
    """The real kernel writer; on its first route, someone else sets a key
    this apply has just written (ovnkube-node, an operator)."""

    def __init__(self, kernel: Plumbing, box: Sandbox) -> None:
        self.kernel, self.box, self.meddled = kernel, box, False

    def add_rule(self, rule: Rule) -> None:
        self.kernel.add_rule(rule)

    def delete_rule(self, rule: Rule) -> None:
        self.kernel.delete_rule(rule)

    def add_route(self, route: Route) -> None:
        if not self.meddled:
            self.meddled = True
            self.box.tools.run("ovs-vsctl", ["set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip-default=10.0.0.3"],
                               self.box.env)
        self.kernel.add_route(route)

    def delete_route(self, route: Route) -> None:
        self.kernel.delete_route(route)


def test_rollback_leaves_what_someone_else_changed_since(node: Sandbox, ns: str) -> None:  # noqa: F811
    with IPRoute(netns=ns, flags=0) as ipr:  # so the apply fails at vtep2's routes
        (index,) = ipr.link_lookup(ifname="vtep2")
        ipr.link("set", index=index, state="down")
    plan = plan_of(node, ns)
    with Plumbing(ns) as kernel, pytest.raises(ApplyFailed) as e:
        apply_plan(plan, db=f"unix:{node.rundir}/db.sock", kernel=Meddling(kernel, node), timeout=5)
    assert e.value.not_restored == ("Open_vSwitch external_ids:ovn-encap-ip-default (changed by someone else "
                                    "since: it holds '10.0.0.3'; left as it is)",)
    assert "Interface enp1s0f0_1 external_ids:encap-ip" in e.value.undone
    assert ovs_external_ids(node)["ovn-encap-ip-default"] == "10.0.0.3"  # theirs, kept
    assert "encap-ip" not in iface_ids(node, "enp1s0f0_1")  # ours, undone
    assert kernel_state(ns) == ((), ((), (), ()))


def test_apply_writes_nothing_over_a_key_changed_since_the_plan(node: Sandbox, ns: str) -> None:  # noqa: F811
    plan = plan_of(node, ns)
    node.tools.run("ovs-vsctl", ["set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip-default=10.0.0.2"], node.env)
    with Plumbing(ns) as kernel, pytest.raises(ApplyFailed) as e:
        apply_plan(plan, db=f"unix:{node.rundir}/db.sock", kernel=kernel, timeout=5)
    assert "ovn-encap-ip-default changed since it was read (now '10.0.0.2'" in e.value.message
    assert ovs_external_ids(node)["ovn-encap-ip-default"] == "10.0.0.2"
    assert "encap-ip" not in iface_ids(node, "enp1s0f0_1")  # the same transaction: not written either
    assert kernel_state(ns) == ((), ((), (), ()))
