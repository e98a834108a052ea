"""``mvtep watch`` as a person uses it: in a real terminal (tmux), against a
real sandbox node, read back from the screen with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mvtep.sandbox import daemons
from mvtep.sandbox.node import Sandbox
from mvtep.sandbox.topology import Size
from tests.conftest import fresh_node, node_env

pytestmark = [pytest.mark.sandbox, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]

INTERVAL = 0.5


class Screen:
    """A tmux session running one command (100x40 unless told), with its own server socket."""

    def __init__(self, tmp: Path, command: list[str], env: dict[str, str], width: int = 100,
                 height: int = 40) -> None:
        self.socket = str(tmp / "tmux.sock")
        self.env = env
        shell = " ".join(f"'{c}'" for c in command) + "; echo EXITED=$?; sleep 30"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), shell)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], env=self.env, capture_output=True, text=True,
                              check=True, timeout=10).stdout

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def wait_for(self, check: Callable[[str], bool], seconds: float = 2 * INTERVAL + 8) -> str:
        deadline = time.monotonic() + seconds
        while True:
            screen = self.text()
            if check(screen) or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Sandbox]:
    with fresh_node(tmp_path) as box:  # the README's node: 6 VFs, the last without a VTEP
        yield box


@pytest.fixture
def screen(node: Sandbox, tmp_path: Path) -> Iterator[Screen]:
    s = Screen(tmp_path, [sys.executable, "-m", "mvtep", "watch", "--interval", str(INTERVAL)], _watch_env(node))
    try:
        yield s
    finally:
        s.close()


def test_rows_vteps_and_egress(node: Sandbox, screen: Screen) -> None:
    text = screen.wait_for(lambda t: all(vf.representor in t for vf in node.plan.vfs))
    assert all(vf.representor in text for vf in node.plan.vfs), text
    assert "VTEP 10.0.0.2 id 1" in text and "live" in text
    if node.netns:
        assert "vtep1 (table 6082)" in text  # the underlay's policy routing, from the kernel
    row = next(line for line in text.splitlines() if node.plan.vfs[1].representor in line)
    assert "10.0.0.2" in row


def test_a_changed_encap_ip_shows_up(node: Sandbox, screen: Screen) -> None:
    vf = node.plan.vfs[1]
    screen.wait_for(lambda t: vf.representor in t)
    node.tools.run("ovs-vsctl", ["set", "Interface", vf.representor, "external_ids:encap-ip=10.0.0.3"], node.env)
    text = screen.wait_for(lambda t: any(vf.representor in line and "10.0.0.3" in line for line in t.splitlines()))
    assert any(vf.representor in line and "10.0.0.3" in line for line in text.splitlines()), text


def test_a_removed_tunnel_shows_up(node: Sandbox, screen: Screen) -> None:
    screen.wait_for(lambda t: node.plan.vfs[0].representor in t)
    assert daemons.stop(node.rundir, "ovn-controller")  # so nothing puts the tunnel back
    tunnel = node.tools.run("ovs-vsctl", ["--bare", "--columns=name", "find", "Interface",
                                          'options:local_ip="10.0.0.1"', 'options:remote_ip="10.1.0.1"'],
                            node.env).split()[0]
    node.tools.run("ovs-vsctl", ["del-port", "br-int", tunnel], node.env)
    text = screen.wait_for(lambda t: "tunnel-missing" in t or "broken" in t)
    assert "broken" in text, text


def test_killed_ovn_controller_and_dropped_ovsdb(node: Sandbox, screen: Screen) -> None:
    screen.wait_for(lambda t: "live" in t)
    daemons.stop(node.rundir, "ovn-controller")
    time.sleep(2 * INTERVAL)
    assert "Traceback" not in screen.text()
    daemons.stop(node.rundir, "ovsdb-server")
    text = screen.wait_for(lambda t: "reconnecting" in t)
    assert "reconnecting" in text and "Traceback" not in text


def test_keys(node: Sandbox, screen: Screen) -> None:
    screen.wait_for(lambda t: "sort" in t)
    screen.keys("p")
    assert "problems:on" in screen.wait_for(lambda t: "problems:on" in t)
    screen.keys("s")
    assert "sort:interface" in screen.wait_for(lambda t: "sort:interface" in t)
    screen.keys("w")  # why: the flows out of hardware by reason (the sandbox runs without hw-offload)
    text = screen.wait_for(lambda t: "why:on" in t and "why " in t)
    assert "why:on" in text and ("why hw-offload-off" in text or "why: every datapath flow" in text), text
    screen.keys("q")
    text = screen.wait_for(lambda t: "EXITED=" in t)
    assert "EXITED=0" in text
    # the alternate screen is gone: what is left is the shell's own output, not a frame
    assert "sort:interface" not in text


def test_once_without_a_terminal(node: Sandbox) -> None:
    env = {**os.environ, "OVS_RUNDIR": str(node.rundir), "NO_COLOR": "1"}
    p = subprocess.run([sys.executable, "-m", "mvtep", "watch", "--once"], env=env, capture_output=True, text=True,
                       timeout=60, check=False)
    assert p.returncode == 0 and all(vf.representor in p.stdout for vf in node.plan.vfs)
    assert "\x1b[" not in p.stdout  # no colour into a pipe


def _watch_env(node: Sandbox) -> dict[str, str]:
    return node_env(node, TERM="xterm-256color")


def _rows(text: str, node: Sandbox) -> list[str]:
    """The VF names on the screen, whole words only (a cut name does not count)."""
    names = {vf.representor for vf in node.plan.vfs}
    return [line.split(" ")[0] for line in text.splitlines() if line.split(" ")[0] in names]


@pytest.mark.parametrize("width,height", [(80, 24), (70, 20)])
def test_the_seed_node_fits_small_terminals(node: Sandbox, tmp_path: Path, width: int, height: int) -> None:
    s = Screen(tmp_path, [sys.executable, "-m", "mvtep", "watch", "--interval", str(INTERVAL)], _watch_env(node),
               width, height)
    try:
        text = s.wait_for(lambda t: len(_rows(t, node)) == len(node.plan.vfs) and "q quit" in t)
    finally:
        s.close()
    lines = text.rstrip("\n").split("\n")
    assert len(lines) <= height and max(map(len, lines)) <= width
    assert sorted(_rows(text, node)) == sorted(vf.representor for vf in node.plan.vfs), text
    assert "encap-ip-unset" in text  # the finding of the VF without a VTEP, on screen with it
    bar = [line for line in lines if "q quit" in line]
    assert len(bar) == 1 and "p problems:" in bar[0] and "s sort:" in bar[0] and "PgUp" in bar[0], text
    head = next(line for line in lines if line.startswith("VF "))
    assert "VTEP PF" in head and " PF " in head  # the VF's own PF and its VTEP's, apart


@pytest.mark.parametrize("width,height", [(80, 24), (70, 20)])
def test_scrolling_many_vfs(tmp_path: Path, width: int, height: int) -> None:
    with fresh_node(tmp_path, size=Size(vfs=30, remote_chassis=1, remote_ports=1)) as node:
        s = Screen(tmp_path, [sys.executable, "-m", "mvtep", "watch", "--interval", "5", "--sort", "interface"],
                   _watch_env(node), width, height)
        try:
            names = sorted(vf.representor for vf in node.plan.vfs)
            first = _rows(s.wait_for(lambda t: len(_rows(t, node)) > 3), node)
            assert first == names[:len(first)] and len(first) < len(names)
            page = len(first)
            s.keys("PgDn")
            assert _rows(s.wait_for(lambda t: _rows(t, node)[:1] == [names[page]]), node)[0] == names[page]
            s.keys("Down")
            assert _rows(s.wait_for(lambda t: _rows(t, node)[:1] == [names[page + 1]]), node)[0] == names[page + 1]
            s.keys("End")
            last = _rows(s.wait_for(lambda t: _rows(t, node)[-1:] == [names[-1]]), node)
            assert last == names[-page:], last
            assert f"VFs {len(names) - page + 1}-{len(names)} of {len(names)}" in s.text()
            s.keys("Up")
            assert _rows(s.wait_for(lambda t: _rows(t, node)[-1:] == [names[-2]]), node)[-1] == names[-2]
            s.keys("Home")
            assert _rows(s.wait_for(lambda t: _rows(t, node)[:1] == [names[0]]), node) == first
            s.keys("PgDn", "PgUp")
            assert _rows(s.wait_for(lambda t: _rows(t, node) == first), node) == first
        finally:
            s.close()
