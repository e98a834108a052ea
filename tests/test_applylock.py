"""The apply lock on its own: one holder, named when another is refused, gone
with its holder however it ends, and no file left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flowprog.applylock import ApplyLock, NodeLocked


def test_one_holder_and_the_refusal_names_it(tmp_path: Path) -> None:
    with ApplyLock(tmp_path, "node-a", "mvtep apply a.toml --watch"):
        with pytest.raises(NodeLocked) as e, ApplyLock(tmp_path, "node-a", "mvtep apply b.toml"):
            pass
        assert e.value.message.startswith(f"another mvtep apply is changing this node: pid {os.getpid()} "
                                          "(mvtep apply a.toml --watch, since ")
        with ApplyLock(tmp_path, "node-b", "mvtep apply c.toml"):  # another node: its own lock
            pass
    with ApplyLock(tmp_path, "node-a", "mvtep apply b.toml"):  # released
        pass
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_holder_that_dies_leaves_no_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from flowprog.applylock import ApplyLock
        lock = ApplyLock(Path({str(tmp_path)!r}), "node-a", "mvtep apply a.toml").__enter__()
        print("locked", flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    with pytest.raises(NodeLocked, match=f"pid {holder.pid} "):
        ApplyLock(tmp_path, "node-a", "mvtep apply b.toml").__enter__()
    holder.send_signal(signal.SIGKILL)  # no clean-up at all
    holder.wait()
    with ApplyLock(tmp_path, "node-a", "mvtep apply b.toml"):
        pass
