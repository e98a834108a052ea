"""Reading sysfs under a configurable root: the one place that touches /sys.

Every function gets its paths (or the root) from the caller, so the same code
reads the live ``/sys`` and a modelled tree under a test's ``tmp_path``
(:mod:`hw.testing`).  Nothing here raises for what sysfs contains: a missing
or unreadable attribute is ``None``, and garbage is ``None`` plus a sentence
in a :class:`Problems` collector.

Kernel background:

* An attribute read returns at most one page (``fs/sysfs/file.c``,
  ``sysfs_kf_seq_show``), text ending in ``"\\n"``.
* Attributes a device does not support either are hidden or fail the read:
  ``phys_port_name``/``phys_switch_id`` give EOPNOTSUPP without a devlink
  port (``net/core/net-sysfs.c``), and EINVAL once the netdev is being
  unregistered (``dev_isalive``); both mean "no value", not "broken".
* sysfs links are relative (``fs/sysfs/symlink.c`` via
  ``kernfs_get_target_path``), e.g. ``virtfn0 -> ../0000:03:00.2``.  They are
  relative to the link's *real* directory, so resolving them needs the
  physical path, not ``os.path.normpath`` of the path that was walked.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path, PurePosixPath
from typing import Literal

__all__ = ["Problems", "display", "read_attr", "read_int", "resolve", "resolve_link", "link_name", "list_dir"]

# One page: the most a sysfs attribute read can return (fs/sysfs/file.c).
_PAGE = 4096
# The kernel's own loop guard for path lookup (MAXSYMLINKS, include/linux/namei.h).
_MAX_LINKS = 40
# Read errors that mean "this device has no such value", not "something is wrong".
_NO_VALUE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EOPNOTSUPP, errno.EINVAL, errno.ENODEV})

_HEX = re.compile(r"(?:0x)?([0-9a-f]+)", re.ASCII | re.IGNORECASE)
_DEC = re.compile(r"[0-9]+", re.ASCII)


class Problems:
    """Collects what could not be read, as sentences naming the sysfs path.

    Paths are shown as the kernel would (``/sys/...``), without the root.
    """

    __slots__ = ("root", "_items")

    def __init__(self, root: Path) -> None:
        self.root = root
        self._items: list[str] = []

    def add(self, path: Path, reason: str) -> None:
        self._items.append(f"{display(self.root, path)}: {reason}")

    def note(self, sentence: str) -> None:
        self._items.append(sentence)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self._items)


def display(root: Path, path: Path) -> str:
    """``path`` as it is named on the host: ``<root>/sys/x`` -> ``/sys/x``."""
    try:
        return "/" + path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_attr(path: Path, problems: Problems | None = None) -> str | None:
    """The attribute's text without surrounding whitespace; None when there is none.

    A missing file and the kernel's "not supported here" errors are silent;
    any other OSError (EACCES, EIO, a directory...) is also None but is
    recorded in ``problems``.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(_PAGE + 1)
    except OSError as e:
        if problems is not None and e.errno not in _NO_VALUE:
            problems.add(path, f"unreadable ({errno.errorcode.get(e.errno or 0, e.strerror)})")
        return None
    return data.decode("utf-8", "replace").strip()


def read_int(path: Path, problems: Problems, *, base: Literal[10, 16]) -> int | None:
    """An integer attribute; None when missing, None plus a problem on garbage.

    ``base=16`` reads the kernel's hex formats with or without ``0x``:
    ``vendor``/``device`` print ``0x%04x`` (``drivers/pci/pci-sysfs.c``),
    ``sriov_vf_device`` prints ``%x`` (``drivers/pci/iov.c``).  ``base=10``
    reads ``sriov_numvfs``, ``sriov_totalvfs``, ``mtu`` (``%u``/``%d``).
    """
    text = read_attr(path, problems)
    if text is None:
        return None
    if base == 16:
        m = _HEX.fullmatch(text)
        if m is not None:
            return int(m.group(1), 16)
        problems.add(path, f"not a hex number: {text[:40]!r}")
    else:
        if _DEC.fullmatch(text):
            return int(text)
        problems.add(path, f"not a decimal number: {text[:40]!r}")
    return None


def resolve(root: Path, path: Path) -> Path | None:
    """``path`` (under ``root``) with every symlink followed, never leaving ``root``.

    Like realpath(3) in a chroot: an absolute target such as
    ``/sys/devices/...`` is taken from ``root`` again, and ``..`` stops at
    ``root``.  Missing components are kept as written.  None on a link loop
    or when ``path`` is not under ``root``.

    >>> resolve(Path("/"), Path("/sys/bus/pci/devices/0000:03:00.0"))  # doctest: +SKIP
    PosixPath('/sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0')
    """
    try:
        rel = PurePosixPath(path.relative_to(root))
    except ValueError:  # not under root at all
        return None
    pending = list(reversed(rel.parts))
    done: list[str] = []
    links = 0
    while pending:
        part = pending.pop()
        if part in ("", ".", "/"):
            continue
        if part == "..":
            if done:
                done.pop()
            continue
        here = root.joinpath(*done, part)
        try:
            target = PurePosixPath(os.readlink(here))
        except OSError:  # not a link, or not there: keep the name as it is
            done.append(part)
            continue
        links += 1
        if links > _MAX_LINKS:
            return None
        if target.is_absolute():
            done = []
            target = target.relative_to("/")
        pending.extend(reversed(target.parts))
    return root.joinpath(*done)


def resolve_link(root: Path, link: Path) -> Path | None:
    """Where the symlink ``link`` points, resolved under ``root``; None if it is no link.

    The target may not exist (a dangling ``physfn``); callers check.
    """
    if not link.is_symlink():
        return None
    return resolve(root, link)


def link_name(link: Path) -> str | None:
    """The last component of a symlink's target: ``driver`` -> ``mlx5_core``."""
    try:
        return PurePosixPath(os.readlink(link)).name or None
    except OSError:
        return None


def list_dir(path: Path) -> tuple[str, ...]:
    """The entries of a directory, sorted; empty when it is missing or unreadable."""
    try:
        return tuple(sorted(os.listdir(path)))
    except OSError:
        return ()
