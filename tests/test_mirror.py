from pathlib import Path

import pytest

from mvcore.errors import FetchError
from mvtep.sandbox.mirror import Mirror, find_mirror, parse_sources

DEB822 = """\
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_deb822_main_archive_and_keyring() -> None:
    assert list(parse_sources(DEB822, deb822=True)) == [
        Mirror("http://mirror.example/debian", "/usr/share/keyrings/debian-archive-keyring.gpg")]


def test_one_line_format_skips_security_and_updates() -> None:
    text = ("deb http://m.example/debian-security bookworm-security main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n")
    assert list(parse_sources(text, deb822=False)) == [Mirror("http://m.example/debian", "/k.gpg")]


def test_source_line_for_another_suite() -> None:
    line = Mirror("http://m/debian", "/k.gpg").source_line("trixie")
    assert line == "deb [signed-by=/k.gpg] http://m/debian trixie main"


def test_find_mirror_reads_sources_d_and_honours_override(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert find_mirror({}, tmp_path).uri == "http://mirror.example/debian"
    assert find_mirror({"MVTEP_DEBIAN_MIRROR": "http://other/debian"}, tmp_path).uri == "http://other/debian"


def test_no_archive_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError):
        find_mirror({}, tmp_path)
