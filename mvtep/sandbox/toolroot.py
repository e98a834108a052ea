"""Run OVS/OVN programs from an unpacked Debian root, through its own loader.

Packages from a newer Debian suite need a newer libc than the host has, so a
program is never exec'd directly: the root's ``ld-linux-x86-64.so.2`` is run
with ``--library-path`` pointing at the root's own library directories.
A :class:`ToolRoot` can also describe the host's installed OVS/OVN, where
programs run as they are.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mvcore.errors import SandboxError

__all__ = ["ToolRoot", "PROGRAM_DIRS"]

# Where Debian's packages put each program, relative to a root.
PROGRAM_DIRS = ("usr/bin", "usr/sbin", "usr/lib/openvswitch-switch", "bin", "sbin")
_LIB_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
_LOADER = "ld-linux-x86-64.so.2"


@dataclass(frozen=True, slots=True)
class ToolRoot:
    """A set of OVS/OVN programs and the data files that go with them."""

    root: Path  # "/" for the host
    loader: Path | None  # None: run programs directly (host install)
    library_path: str

    @classmethod
    def unpacked(cls, root: Path) -> ToolRoot:
        """A root made by ``dpkg -x``.

        The loader is looked up as a real file: bookworm's ``lib64`` symlink is
        absolute and would resolve to the host's loader.
        """
        libdirs = [root / d for d in _LIB_DIRS if (root / d).is_dir()]
        loaders = [d / _LOADER for d in libdirs if (d / _LOADER).exists()]
        if not loaders:
            raise SandboxError(f"no {_LOADER} under {root}", hint="remove the cache directory and fetch again")
        return cls(root=root, loader=loaders[0], library_path=":".join(str(d) for d in libdirs))

    @classmethod
    def host(cls) -> ToolRoot:
        """The OVS/OVN installed on this machine."""
        return cls(root=Path("/"), loader=None, library_path="")

    def program(self, name: str) -> Path:
        """Path of program ``name``; raises SandboxError when it is absent."""
        for d in PROGRAM_DIRS:
            p = self.root / d / name
            if p.is_file():
                return p
        if self.loader is None and self.root == Path("/"):  # the host's own install: its PATH too
            found = shutil.which(name)
            if found:
                return Path(found)
            raise SandboxError(f"{name} is not installed on this machine",
                               hint="install OVS and OVN 24.03 or newer (Debian: openvswitch-switch, ovn-host, "
                                    "ovn-central)", topic="ovn-release")
        raise SandboxError(f"{name} not found under {self.root}", hint="is the OVS/OVN package complete?")

    def argv(self, name: str, *args: str) -> list[str]:
        """The command line that runs ``name`` with ``args``."""
        prog = str(self.program(name))
        if self.loader is None:
            return [prog, *args]
        return [str(self.loader), "--library-path", self.library_path, prog, *args]

    def data(self, *relative: str) -> Path:
        """A file under ``usr/share`` of this root, e.g. ``data("ovn", "ovn-sb.ovsschema")``."""
        return self.root.joinpath("usr", "share", *relative)

    def run(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        timeout: float = 60.0,
    ) -> str:
        """Run a program to completion and return its stdout.

        Raises SandboxError with the program's own last line of stderr on failure.
        """
        argv = self.argv(name, *args)
        try:
            done = subprocess.run(
                argv, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise SandboxError(f"{name} did not finish within {timeout:.0f} s") from e
        except OSError as e:
            raise SandboxError(f"cannot run {name}: {e.strerror}") from e
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise SandboxError(f"{name} {' '.join(args[:2])} failed: {last}")
        return done.stdout

    def unresolved_libraries(self, name: str) -> list[str]:
        """Shared libraries of ``name`` that do not resolve inside this root.

        Uses the loader's own ``--list``, so the answer is the loader's.
        """
        if self.loader is None:
            return []
        argv = [str(self.loader), "--library-path", self.library_path, "--list", str(self.program(name))]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        missing = []
        for line in done.stdout.splitlines():
            lib, _, where = line.strip().partition(" => ")
            if where.startswith("not found") or (where.startswith("/") and not where.startswith(str(self.root))):
                missing.append(lib)
        return missing
