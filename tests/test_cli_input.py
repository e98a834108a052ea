"""Bad input on the command line, bad places to write to, and signals: each a
one-line error or the documented exit code, never a traceback, never a
silent success."""

from __future__ import annotations

import os
import pty
import random
import select
import signal
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from mvtep.sandbox.node import Sandbox
from tests.conftest import node_env
from tests.snapshots import SAVED
from tests.test_cli import assert_one_line_error, mvtep


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "1e300", "soon"])
@pytest.mark.parametrize("args", [  # (with "=": argparse takes "-inf" on its own for an option)
    ["--timeout={}", "show"], ["show", "--timeout={}"], ["preflight", "--timeout={}"],
    ["watch", "--interval={}"], ["apply", "node.toml", "--watch", "--interval={}"], ["exporter", "--interval={}"],
    ["sandbox", "up", "--wait={}"],
])
def test_seconds_that_are_not_a_duration_are_usage_errors(args: list[str], value: str) -> None:
    p = mvtep(*(a.format(value) for a in args), env={"OVS_RUNDIR": "/nonexistent"})
    assert_one_line_error(p, f"'{value}'")
    assert "seconds" in p.stderr.splitlines()[0]


def test_preflight_refuses_what_is_not_an_address() -> None:
    assert_one_line_error(mvtep("preflight", "--pf-mapping", "a:b"), "--pf-mapping item a:b", "'b' is not an IP")
    assert_one_line_error(mvtep("preflight", "--probe", "notanip"), "--probe", "'notanip' is not an IP address")


@pytest.mark.parametrize("cookie", ["-1", "0x1ffffffffffffffff", "5/0x10000000000000000", "0x1/", "", "x"])
def test_a_cookie_that_is_not_64_bits_is_a_usage_error(cookie: str) -> None:
    # cut to 64 bits it would silently select other flows
    p = mvtep("flows", f"--cookie={cookie}", env={"OVS_RUNDIR": "/nonexistent"})
    assert_one_line_error(p, "--cookie")


def test_sandbox_dir_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    for action in ("up", "down", "status"):
        assert_one_line_error(mvtep("sandbox", action, "--dir", str(f)), f"--dir {f} is not a directory")
    assert f.read_text() == "x"


def test_db_and_openflow_refuse_ssl() -> None:
    assert_one_line_error(mvtep("show", "--db", "ssl:127.0.0.1:6640"), "--db", "unix:PATH or tcp:HOST:PORT")
    assert_one_line_error(mvtep("flows", "--openflow", "ssl:127.0.0.1:6653"), "--openflow")


@pytest.mark.sandbox
def test_sb_tls_files_that_are_not_pem(sandbox: Sandbox, tmp_path: Path) -> None:
    garbage = tmp_path / "key.pem"
    garbage.write_text("not a key\n")
    files = ["--sb-private-key", str(garbage), "--sb-certificate", str(garbage), "--sb-ca-cert", str(garbage)]
    for command in ("verify", "paths"):
        p = mvtep(command, "--sb", "ssl:127.0.0.1:9", *files, env={"OVS_RUNDIR": str(sandbox.rundir)})
        # the southbound DB is optional: its failure is a finding, not a crash
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr and "internal error" not in p.stderr, p
        assert "TLS" in p.stdout, p.stdout
    missing = [f.replace(str(garbage), str(tmp_path / "missing.pem")) for f in files]
    assert_one_line_error(mvtep("verify", "--sb", "ssl:127.0.0.1:9", *missing), "missing.pem")


# -- where the output goes -------------------------------------------------------------------


def test_a_full_disk_loses_no_output_silently() -> None:
    with open("/dev/full", "w") as full:
        p = subprocess.run([sys.executable, "-m", "mvtep", "show", "--from", str(SAVED)], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.splitlines()[0] == "mvtep: error: cannot write the output: No space left on device"


def test_a_closed_stdout_loses_no_output_silently() -> None:
    p = subprocess.run([sys.executable, "-m", "mvtep", "show", "--from", str(SAVED)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=60, check=False,
                       preexec_fn=lambda: os.close(1))
    assert p.returncode == 2 and p.stderr.splitlines()[0] == "mvtep: error: standard output is closed"


def test_a_reader_going_away_is_not_an_error() -> None:
    p = subprocess.run(f"'{sys.executable}' -m mvtep show --from '{SAVED}' | head -c 10 >/dev/null; "
                       "echo ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True, text=True,
                       timeout=60, check=False)
    assert p.stdout.strip() == "0" and p.stderr == ""


# -- signals --------------------------------------------------------------------------------


def catches_sigterm(pid: int) -> bool:
    """Whether the process has a SIGTERM handler: mvtep's entry point sets one
    first thing.  (Before it, the interpreter is still starting, and a signal
    is Python's own business: SIGINT in ``site`` is its "Fatal Python error".)"""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & 1 << (signal.SIGTERM - 1))
    return False


def test_an_interrupt_is_never_a_success(tmp_path: Path) -> None:
    """SIGINT or SIGTERM at any moment of a run (importing the CLI, connecting,
    waiting): exit 130, one line, no traceback.  The OVSDB socket accepts and
    never answers, so every run is still going when the signal comes."""
    silent = tmp_path / "silent.sock"
    rng = random.Random(17)
    with socket.socket(socket.AF_UNIX) as srv:
        srv.bind(str(silent))
        srv.listen(64)
        for _ in range(24):
            p = subprocess.Popen([sys.executable, "-m", "mvtep", "--timeout", "30", "--db", f"unix:{silent}",
                                  "verify"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while not catches_sigterm(p.pid):
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 1.0))
            sig = rng.choice([signal.SIGINT, signal.SIGTERM])
            p.send_signal(sig)
            out, err = p.communicate(timeout=30)
            # (-SIGINT: CPython ends a process whose import a Ctrl-C cut short by
            # SIGINT itself, after mvtep's own exit 130; a shell sees 130 either way)
            assert p.returncode in (130, -signal.SIGINT), (sig, p.returncode, err)
            assert (err, out) == ("mvtep: interrupted\n", ""), (sig, p.returncode, err)


SWALLOWED = """
import os, sys, time
from mvtep.cli.signals import Interrupts

class Closing:  # a finalizer that waits, as a socket's close can
    def __del__(self):
        time.sleep(5)

with Interrupts() as interrupts:
    try:
        os.write(1, b"ready\\n")
        Closing()  # freed at once: the signal lands in its __del__, which cannot raise
        time.sleep(30)  # what the run waits for next: a reply, up to --timeout
        print("slept through it")
    except KeyboardInterrupt:
        print("interrupted", interrupts.received)
"""


def test_an_interrupt_a_finalizer_swallowed_still_stops_the_run() -> None:
    p = subprocess.Popen([sys.executable, "-c", SWALLOWED], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    assert p.stdout is not None and p.stdout.readline() == "ready\n"
    time.sleep(0.5)
    sent = time.monotonic()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert (out, err) == (f"interrupted {int(signal.SIGTERM)}\n", "")  # no "Exception ignored" either
    assert time.monotonic() - sent < 4  # not after the finalizer's wait, nor the 30 s one


@pytest.mark.sandbox
def test_sigterm_to_watch_restores_the_terminal(sandbox: Sandbox) -> None:
    master, slave = pty.openpty()
    termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(slave))
    before = termios.tcgetattr(slave)
    env = node_env(sandbox, TERM="xterm-256color", COLUMNS="100", LINES="40")
    p = subprocess.Popen([sys.executable, "-m", "mvtep", "watch", "--interval", "0.5"], stdin=slave, stdout=slave,
                         stderr=slave, env=env, start_new_session=True)
    screen = b""
    try:
        deadline = time.monotonic() + 30
        while b"live" not in screen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                screen += os.read(master, 1 << 16)
        assert b"\x1b[?1049h" in screen and b"live" in screen  # the alternate screen, one frame drawn
        assert termios.tcgetattr(slave)[3] & termios.ICANON == 0  # keys one by one
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 130
        while select.select([master], [], [], 0.2)[0]:
            try:
                screen += os.read(master, 1 << 16)
            except OSError:
                break
        restored = termios.tcgetattr(slave)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
        os.close(slave)
    tail = screen[screen.rindex(b"\x1b[?1049h"):]
    assert b"\x1b[?1049l" in tail and b"\x1b[?25h" in tail  # left the alternate screen, cursor shown
    assert restored == before  # echo and line editing back as they were
    assert b"Traceback" not in screen and b"mvtep: interrupted" in screen


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo", "directory"])
@pytest.mark.parametrize("command", ["verify", "paths", "show", "preflight"])
def test_from_a_file_that_is_not_a_bundle(tmp_path: Path, special: str, command: str) -> None:
    """A bundle is untrusted input (inspector/bundle.py): refused before it is read."""
    path = Path(special) if special.startswith("/") else tmp_path / special
    if special == "fifo":
        os.mkfifo(path)  # nobody writes to it
    elif special == "directory":
        path.mkdir()
    started = time.monotonic()
    assert_one_line_error(mvtep(command, "--from", str(path), timeout=30), str(path), "not a regular file")
    assert time.monotonic() - started < 10


CUT_SHORT = """
import os, signal, sys, time
from mvtep.cli import main as cli

class Field:  # a descriptor, as a dataclass field of a module a command imports can be
    def __set_name__(self, owner, name):
        os.kill(os.getpid(), signal.SIGTERM)  # the signal lands while Python defines the class
        time.sleep(5)

def command(args, rt):
    class Defined:
        m = Field()
    return 0

cli._call = command
sys.exit(cli.main(["show", "--from", sys.argv[1]]))
"""


def test_an_interrupt_python_wrapped_is_still_an_interrupt() -> None:
    """CPython 3.11 wraps a KeyboardInterrupt raised in ``__set_name__`` as
    ``RuntimeError: Error calling __set_name__`` (a signal while a command's
    module defines a dataclass, as CI met): it is an interrupt, not an
    internal error."""
    p = subprocess.run([sys.executable, "-c", CUT_SHORT, str(SAVED)], capture_output=True, text=True, timeout=60,
                       check=False)
    assert (p.returncode, p.stderr, p.stdout) == (130, "mvtep: interrupted\n", "")
