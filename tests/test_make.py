"""The Makefile's housekeeping, run on a copy of it (the real venvs stay):
``make clean`` says where the OVN release cache is and how large, and
``make distclean`` removes it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).parent.parent / "Makefile"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(target: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(MAKEFILE, tmp / "Makefile")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(tmp), target], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def _cache(tmp: Path) -> Path:
    cache = tmp / "cache" / "multivtep"
    (cache / "ovn-25.03" / "root").mkdir(parents=True)
    (cache / "ovn-25.03" / "root" / "blob").write_bytes(b"\0" * 300_000)
    return cache


def test_clean_says_where_the_release_cache_is_and_how_large(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    p = make("clean", tmp_path)
    assert p.returncode == 0, p.stderr
    (line,) = [ln for ln in p.stdout.splitlines() if "OVN release cache" in ln]
    assert f"{cache} (" in line and "K)" in line and "make distclean" in line
    assert cache.exists()


def test_clean_is_quiet_about_a_cache_that_does_not_exist(tmp_path: Path) -> None:
    p = make("clean", tmp_path)
    assert p.returncode == 0 and "OVN release cache" not in p.stdout


def test_distclean_removes_the_release_cache(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    p = make("distclean", tmp_path)
    assert p.returncode == 0, p.stderr
    assert not cache.exists()
