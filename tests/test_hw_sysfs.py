"""hw.sysfs: the three sources (DirSysfs over real files, RecordingSysfs,
RecordedSysfs) and the helpers over them.

Files are real (a test's tmp_path, or this host's /sys).  Every modelled
tree of tests/hwmodel.py, whole or broken, is discovered live, recorded, and
replayed: the replay must give the identical inventory.  Records with a
path left out, or with garbage in place of an answer, must give problems
and skips, never an exception and never silently absent hardware.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from hw.inventory import discover
from hw.model import Inventory
from hw.products import MELLANOX
from hw.sysfs import (
    NOT_RECORDED, DirSysfs, Problems, RecordedSysfs, RecordingSysfs, list_dir, read_attr, read_int, resolve,
    resolve_link, udev_key,
)
from mvcore.snapshot import SysfsEntry, SysfsRecord
from tests import hwmodel as hwt

P = PurePosixPath


# -- DirSysfs -------------------------------------------------------------------------


def test_entries_of_each_kind(tmp_path: Path) -> None:
    (tmp_path / "sys/class/net/lo").mkdir(parents=True)
    (tmp_path / "sys/class/net/lo/mtu").write_text("65536\n")
    (tmp_path / "sys/class/net/lo/bad").write_bytes(b"\xff\xfe\n")
    (tmp_path / "sys/class/net/eth0").symlink_to("../../devices/pci0000:00/eth0")
    src = DirSysfs(tmp_path)
    assert src.entry("/sys/class/net/lo/mtu") == SysfsEntry("file", "65536\n")
    assert src.entry("/sys/class/net/lo/bad").text.encode("utf-8", "surrogateescape") == b"\xff\xfe\n"
    assert src.entry("/sys/class/net") == SysfsEntry("dir", names=("eth0", "lo"))
    # the last component is not followed, even when it dangles
    assert src.entry("/sys/class/net/eth0") == SysfsEntry("link", "../../devices/pci0000:00/eth0")
    assert src.entry("/sys/class/net/lo/nope") == SysfsEntry("missing")
    assert src.entry("/sys/class/net/lo/mtu/below-a-file") == SysfsEntry("missing")  # ENOTDIR
    assert src.entry("/sys/../etc") == SysfsEntry("error", "EINVAL")  # never out of the tree
    assert src.entry("sys/class") == SysfsEntry("error", "EINVAL")
    assert DirSysfs(tmp_path / "nowhere").entry("/sys") == SysfsEntry("missing")


def test_a_page_at_most(tmp_path: Path) -> None:
    (tmp_path / "big").write_text("x" * 10000)
    assert len(DirSysfs(tmp_path).entry("/big").text) == 4096


def test_other_errors_are_named(tmp_path: Path) -> None:
    # Tests run as root, so chmod 000 would still read: a FIFO opened
    # non-blockingly is not possible through open(); a socket file is (ENXIO).
    import socket
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        assert DirSysfs(tmp_path).entry("/sock") == SysfsEntry("error", "ENXIO")
    finally:
        sock.close()


def test_helpers(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("  p0\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "to-a").symlink_to("a")
    src, problems = DirSysfs(tmp_path), Problems()
    assert read_attr(src, P("/a")) == "p0"
    assert read_attr(src, P("/to-a")) == "p0"  # a final link is followed, as open() does
    assert read_attr(src, P("/missing")) is None
    assert read_attr(src, P("/a/below-a-file")) is None  # ENOTDIR: silent
    assert read_attr(src, P("/d"), problems) is None
    assert list_dir(src, P("/missing")) == () and list_dir(src, P("/")) == ("a", "d", "to-a")
    assert problems.items == ("/d: unreadable (EISDIR)",)


def test_read_int_formats(tmp_path: Path) -> None:
    cases = {"vendor": "0x15b3\n", "vf_device": "101e\n", "upper": "0X15B3\n", "numvfs": "8\n", "bad": "0x\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    src, problems = DirSysfs(tmp_path), Problems()
    assert read_int(src, P("/vendor"), problems, base=16) == 0x15B3
    assert read_int(src, P("/vf_device"), problems, base=16) == 0x101E
    assert read_int(src, P("/upper"), problems, base=16) == 0x15B3
    assert read_int(src, P("/numvfs"), problems, base=10) == 8
    assert read_int(src, P("/missing"), problems, base=10) is None
    assert problems.items == ()
    assert read_int(src, P("/vendor"), problems, base=10) is None  # "0x15b3" is not decimal
    assert read_int(src, P("/bad"), problems, base=16) is None
    assert problems.items == ("/vendor: not a decimal number: '0x15b3'", "/bad: not a hex number: '0x'")


def test_resolve_stays_in_the_tree(tmp_path: Path) -> None:
    (tmp_path / "sys/devices/virtual/net/lo").mkdir(parents=True)
    (tmp_path / "sys/class/net").mkdir(parents=True)
    (tmp_path / "sys/class/net/lo").symlink_to("/sys/devices/virtual/net/lo")  # absolute: from the top again
    (tmp_path / "sys/class/net/up").symlink_to("../../../../../../../../etc")
    (tmp_path / "loop").symlink_to("loop")
    src = DirSysfs(tmp_path)
    assert resolve_link(src, P("/sys/class/net/lo")) == P("/sys/devices/virtual/net/lo")
    assert resolve_link(src, P("/sys/class/net/up")) == P("/etc")  # ".." stops at the top
    assert resolve_link(src, P("/sys")) is None  # not a link
    assert resolve_link(src, P("/loop")) is None  # bounded
    assert resolve(src, P("relative/path")) is None


def test_resolve_matches_realpath_on_this_host() -> None:
    src = DirSysfs(Path("/"))
    for base in (P("/sys/class/net"), P("/sys/bus/pci/devices")):
        for name in list_dir(src, base)[:8]:
            assert resolve_link(src, base / name) == P(os.path.realpath(base / name))


# -- recording and replaying ----------------------------------------------------------


def record_of(root: Path) -> tuple[Inventory, SysfsRecord]:
    rec = RecordingSysfs(DirSysfs(root))
    return discover(rec), rec.record()


def _broken(name: str) -> Callable[[Path], None]:
    """A cx6dx tree broken one way (the ways test_hw_inventory.py checks)."""
    def build(root: Path) -> None:
        hwt.cx6dx_switchdev(root)
        if name == "numvfs":
            hwt.corrupt_numvfs(root, "0000:03:00.0", "four\n")
        elif name == "physfn":
            hwt.dangle_physfn(root, "0000:03:00.3")
        elif name == "virtfn":
            hwt.dangle_virtfn(root, "0000:03:00.0", 2)
        elif name == "vanished":
            hwt.vanish(root, "0000:03:00.1")
        elif name == "vendor":
            hwt.write_attr(root, "/sys/bus/pci/devices/0000:03:00.1/vendor", "mellanox\n")
    return build


TREES = [*hwt.SCENARIOS, *(_broken(n) for n in ("numvfs", "physfn", "virtfn", "vanished", "vendor"))]


@pytest.mark.parametrize("build", TREES, ids=[*(s.__name__ for s in hwt.SCENARIOS),
                                             "numvfs", "physfn", "virtfn", "vanished", "vendor"])
def test_replay_gives_the_identical_inventory(tmp_path: Path, build: Callable[[Path], object]) -> None:
    build(tmp_path)
    live, record = record_of(tmp_path)
    assert live == discover(DirSysfs(tmp_path))  # recording changes nothing
    assert discover(RecordedSysfs(record)) == live
    assert record.root == tmp_path.as_posix()
    assert all(path.startswith(("/sys", "udev:")) for path in record.entries)  # host paths, not the copy's


def test_replay_of_this_host_with_udev() -> None:
    rec = RecordingSysfs(DirSysfs(Path("/"), udev=True))
    live = discover(rec)
    record = rec.record()
    assert record.root == "/" and udev_key(MELLANOX) in record.entries
    assert discover(RecordedSysfs(record)) == live


def test_the_record_holds_udevs_answer(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    live, record = record_of(tmp_path)
    assert record.entries[udev_key(MELLANOX)] == SysfsEntry("missing")  # no udev: the bus was listed
    # A record saying udev answered: the replay enumerates exactly those functions.
    only_pf1 = SysfsRecord(record.root, {**record.entries, udev_key(MELLANOX): SysfsEntry(
        "dir", names=("0000:03:00.1",))})
    (card,) = discover(RecordedSysfs(only_pf1)).adapters
    assert [pf.pci for pf in card.pfs] == ["0000:03:00.1"]
    assert RecordedSysfs(only_pf1).pci_functions(0x8086) is None


def test_what_a_record_lacks_is_unreadable_not_absent(tmp_path: Path) -> None:
    """Each path left out of the record, one at a time: the replay either
    does not need it or says "not recorded" somewhere; it never just shows
    less hardware."""
    hwt.cx6dx_switchdev(tmp_path)
    live, record = record_of(tmp_path)
    assert RecordedSysfs(record).entry("/sys/never/asked") == SysfsEntry("error", NOT_RECORDED)
    for path in record.entries:
        if path.startswith("udev:"):
            continue
        entries = {k: v for k, v in record.entries.items() if k != path}
        inv = discover(RecordedSysfs(SysfsRecord(record.root, entries)))
        said = [*inv.skipped, *(p for a in inv.adapters for pf in a.pfs for p in pf.problems)]
        assert inv == live or any(NOT_RECORDED in line for line in said), path


def test_a_record_without_the_bus_listing(tmp_path: Path) -> None:
    inv = discover(RecordedSysfs(SysfsRecord("/", {})))
    assert inv.adapters == () and inv.skipped == ("/sys/bus/pci/devices: unreadable (not recorded)",)


GARBAGE: list[object] = [
    None, 7, "file", b"\x00", SysfsEntry("bogus", "x"), SysfsEntry("file", 5),  # type: ignore[arg-type]
    SysfsEntry("dir", names=["a"]),  # type: ignore[arg-type]
    SysfsEntry("dir", names=(1, 2)),  # type: ignore[arg-type]
    SysfsEntry("link", "/" * 5000), SysfsEntry("link", "../" * 300), SysfsEntry("link", ""),
    SysfsEntry("file", "\udcff\x00" * 100), SysfsEntry("dir", names=("..", ".", "/", "")),
    SysfsEntry("error", "EIO"), SysfsEntry("missing"),
]


def test_damaged_records_never_raise(tmp_path: Path) -> None:
    hwt.cx6dx_switchdev(tmp_path)
    _live, record = record_of(tmp_path)
    rnd = random.Random(6081)
    keys = list(record.entries)
    for _ in range(400):
        entries: dict[str, object] = dict(record.entries)
        for key in rnd.sample(keys, rnd.randrange(1, 6)):
            entries[key] = rnd.choice(GARBAGE)
        assert isinstance(discover(RecordedSysfs(SysfsRecord(record.root, entries))), Inventory)  # type: ignore[arg-type]


def test_a_record_that_is_no_mapping() -> None:
    assert RecordedSysfs(SysfsRecord("/", None)).entry("/sys") == SysfsEntry("error", "damaged record")  # type: ignore[arg-type]
    assert isinstance(discover(RecordedSysfs(SysfsRecord("/", 42))), Inventory)  # type: ignore[arg-type]
