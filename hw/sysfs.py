"""sysfs through a source: the live host's, a copy of another node's, or a recording.

Everything that reads sysfs asks a :class:`SysfsSource` for one path at a
time (``"/sys/..."``, as the host names it) and gets a
:class:`~mvcore.snapshot.SysfsEntry` back: a file's text, a link's target,
a directory's names, ``missing`` or ``error``.  The three sources:

* :class:`DirSysfs` reads a directory holding ``sys/``: ``/`` on a live
  node, a copy of another node's tree, a test's modelled tree.  Whether udev
  may enumerate PCI functions is the caller's choice (udev only knows the
  host it runs on); nothing here guesses it from the path.
* :class:`RecordingSysfs` passes every question to another source and keeps
  the answers: its :meth:`~RecordingSysfs.record` is what a support bundle
  stores.
* :class:`RecordedSysfs` answers from such a record.  A path the record
  lacks is an *error* ("not recorded"), never "missing": an older bundle read
  by a newer mvtep says it could not see, not that the hardware is absent.

The helpers below (:func:`read_attr`, :func:`read_int`, :func:`resolve`,
:func:`list_dir`...) work over any source, so discovery runs the same code on
all three.  Nothing here raises for what sysfs contains: a missing value is
``None``, garbage is ``None`` plus a sentence in a :class:`Problems`.

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
  physical path, not a normalisation of the path that was walked.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from hw.netns import errno_name
from mvcore.snapshot import SysfsEntry, SysfsRecord

__all__ = [
    "SysfsSource", "DirSysfs", "RecordingSysfs", "RecordedSysfs", "NOT_RECORDED", "udev_key",
    "Problems", "read_attr", "read_int", "resolve", "resolve_link", "link_name", "list_dir", "link_target",
]

# One page: the most a sysfs attribute read can return (fs/sysfs/file.c).
_PAGE = 4096
# The kernel's own loop guard for path lookup (MAXSYMLINKS, include/linux/namei.h).
_MAX_LINKS = 40
# Read errors that mean "this device has no such value", not "something is wrong".
_NO_VALUE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EOPNOTSUPP, errno.EINVAL, errno.ENODEV})
_KINDS = frozenset({"file", "link", "dir", "missing", "error"})

NOT_RECORDED = "not recorded"

_HEX = re.compile(r"(?:0x)?([0-9a-f]+)", re.ASCII | re.IGNORECASE)
_DEC = re.compile(r"[0-9]+", re.ASCII)


class SysfsSource(Protocol):
    """Where sysfs answers come from."""

    def entry(self, path: str) -> SysfsEntry:
        """One path (``"/sys/..."``), its last component not followed."""
        ...

    def pci_functions(self, vendor: int) -> tuple[str, ...] | None:
        """udev's PCI functions of ``vendor``; None: list ``/sys/bus/pci/devices`` instead."""
        ...


def udev_key(vendor: int) -> str:
    """Where a record keeps udev's answer: a key no sysfs path can be."""
    return f"udev:pci:0x{vendor:04x}"


class DirSysfs:
    """sysfs as files under ``root`` (the directory holding ``sys/``)."""

    __slots__ = ("root", "udev")

    def __init__(self, root: Path, *, udev: bool = False) -> None:
        self.root = root
        self.udev = udev

    def entry(self, path: str) -> SysfsEntry:
        parts = PurePosixPath(path).parts
        # Only plain absolute paths: ".." would walk out of the tree.
        if not path.startswith("/") or any(p in (".", "..") for p in parts):
            return SysfsEntry("error", "EINVAL")
        where = self.root.joinpath(*parts[1:])
        try:
            mode = os.lstat(where).st_mode
            if stat.S_ISLNK(mode):
                return SysfsEntry("link", os.readlink(where))
            if stat.S_ISDIR(mode):
                return SysfsEntry("dir", names=tuple(sorted(os.listdir(where))))
            with open(where, "rb") as f:
                data = f.read(_PAGE)
        except OSError as e:
            if e.errno in _NO_VALUE:
                return SysfsEntry("missing")
            return SysfsEntry("error", errno_name(e.errno))
        return SysfsEntry("file", data.decode("utf-8", "surrogateescape"))

    def pci_functions(self, vendor: int) -> tuple[str, ...] | None:
        if not self.udev:
            return None
        from hw import udev

        found = udev.pci_addresses(vendor)
        return None if found is None else tuple(found)


class RecordingSysfs:
    """Another source, with every answer it gave kept (the first, for a path asked twice)."""

    __slots__ = ("inner", "root", "_entries")

    def __init__(self, inner: SysfsSource, *, root: str | None = None) -> None:
        self.inner = inner
        if root is None:
            root = (inner.root.as_posix() if isinstance(inner, DirSysfs)
                    else inner.record.root if isinstance(inner, RecordedSysfs) else "")
        self.root = root
        self._entries: dict[str, SysfsEntry] = {}

    def entry(self, path: str) -> SysfsEntry:
        found = self.inner.entry(path)
        self._entries.setdefault(path, found)
        return found

    def pci_functions(self, vendor: int) -> tuple[str, ...] | None:
        found = self.inner.pci_functions(vendor)
        self._entries.setdefault(udev_key(vendor), SysfsEntry("missing") if found is None
                                 else SysfsEntry("dir", names=found))
        return found

    def record(self) -> SysfsRecord:
        return SysfsRecord(root=self.root, entries=dict(self._entries))


class RecordedSysfs:
    """Answers from a :class:`~mvcore.snapshot.SysfsRecord`, and only from it."""

    __slots__ = ("record",)

    def __init__(self, record: SysfsRecord) -> None:
        self.record = record

    def _get(self, key: str) -> SysfsEntry | None:
        try:
            found: object = self.record.entries.get(key)
        except Exception:  # noqa: BLE001 - a damaged record is an unreadable one
            return SysfsEntry("error", "damaged record")
        if found is None:
            return None
        if not (isinstance(found, SysfsEntry) and found.kind in _KINDS and isinstance(found.text, str)
                and isinstance(found.names, tuple) and all(isinstance(n, str) for n in found.names)):
            return SysfsEntry("error", "damaged record")
        return found

    def entry(self, path: str) -> SysfsEntry:
        return self._get(path) or SysfsEntry("error", NOT_RECORDED)

    def pci_functions(self, vendor: int) -> tuple[str, ...] | None:
        found = self._get(udev_key(vendor))
        return found.names if found is not None and found.kind == "dir" else None


class Problems:
    """Collects what could not be read, as sentences naming the sysfs path."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[str] = []

    def add(self, path: PurePosixPath | str, reason: str) -> None:
        self._items.append(f"{path}: {reason}")

    def note(self, sentence: str) -> None:
        self._items.append(sentence)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self._items)


def _followed(source: SysfsSource, path: PurePosixPath) -> SysfsEntry:
    """The entry ``path`` names, a final link followed (as open(2) and
    opendir(3) follow it)."""
    found = source.entry(str(path))
    if found.kind != "link":
        return found
    target = resolve(source, path)
    return SysfsEntry("error", "ELOOP") if target is None else source.entry(str(target))


def read_attr(source: SysfsSource, path: PurePosixPath, problems: Problems | None = None) -> str | None:
    """The attribute's text without surrounding whitespace; None when there is none.

    A missing file and the kernel's "not supported here" errors are silent;
    anything else (EACCES, EIO, a directory, not recorded...) is also None
    but is recorded in ``problems``.
    """
    found = _followed(source, path)
    if found.kind == "file":
        return found.text.strip()
    if problems is not None and found.kind in ("dir", "error"):
        problems.add(path, f"unreadable ({'EISDIR' if found.kind == 'dir' else found.text})")
    return None


def read_int(source: SysfsSource, path: PurePosixPath, problems: Problems, *, base: Literal[10, 16]) -> int | None:
    """An integer attribute; None when missing, None plus a problem on garbage.

    ``base=16`` reads the kernel's hex formats with or without ``0x``:
    ``vendor``/``device`` print ``0x%04x`` (``drivers/pci/pci-sysfs.c``),
    ``sriov_vf_device`` prints ``%x`` (``drivers/pci/iov.c``).  ``base=10``
    reads ``sriov_numvfs``, ``sriov_totalvfs``, ``mtu`` (``%u``/``%d``).
    """
    text = read_attr(source, path, problems)
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


def resolve(source: SysfsSource, path: PurePosixPath) -> PurePosixPath | None:
    """``path`` with every symlink followed, never leaving the source's tree.

    Like realpath(3) in a chroot: an absolute target such as
    ``/sys/devices/...`` starts again from the top, and ``..`` stops there.
    Missing components are kept as written.  None on a link loop (more
    links than the kernel follows) or when ``path`` is not absolute.

    >>> resolve(DirSysfs(Path("/")), PurePosixPath("/sys/bus/pci/devices/0000:03:00.0"))  # doctest: +SKIP
    PurePosixPath('/sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0')
    """
    if not path.is_absolute():
        return None
    pending = list(reversed(path.parts[1:]))
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
        found = source.entry("/" + "/".join([*done, part]))
        if found.kind != "link":  # not a link, or not there: keep the name as it is
            done.append(part)
            continue
        links += 1
        if links > _MAX_LINKS:
            return None
        target = PurePosixPath(found.text)
        if target.is_absolute():
            done = []
        pending.extend(reversed(target.parts[1:] if target.is_absolute() else target.parts))
    return PurePosixPath("/", *done)


def resolve_link(source: SysfsSource, link: PurePosixPath) -> PurePosixPath | None:
    """Where the symlink ``link`` points, resolved; None if it is no link.

    The target may not exist (a dangling ``physfn``); callers check.
    """
    if source.entry(str(link)).kind != "link":
        return None
    return resolve(source, link)


def link_target(source: SysfsSource, link: PurePosixPath, problems: Problems | None = None) -> str | None:
    """A symlink's target as written (``"../0000:03:00.2"``); None if it is
    no link (recorded in ``problems`` when it could not be read)."""
    found = source.entry(str(link))
    if problems is not None and found.kind == "error":
        problems.add(link, f"unreadable ({found.text})")
    return found.text if found.kind == "link" else None


def link_name(source: SysfsSource, link: PurePosixPath, problems: Problems | None = None) -> str | None:
    """The last component of a symlink's target: ``driver`` -> ``mlx5_core``."""
    target = link_target(source, link, problems)
    return PurePosixPath(target).name or None if target is not None else None


def list_dir(source: SysfsSource, path: PurePosixPath, problems: Problems | None = None) -> tuple[str, ...]:
    """The entries of a directory, sorted; empty when it is missing or unreadable
    (the latter recorded in ``problems``)."""
    found = _followed(source, path)
    if found.kind == "dir":
        return found.names
    if problems is not None and found.kind == "error":
        problems.add(path, f"unreadable ({found.text})")
    return ()
