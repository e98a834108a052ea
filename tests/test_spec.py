"""The node spec as untrusted input: wrong files, bytes, types and sizes are one
:class:`SpecError` line naming ``file:line``, refused before the node is read."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowprog.spec import MAX_SPEC_BYTES, MAX_VTEPS, SpecError, load_spec, parse_spec
from tests.test_cli import mvtep

VTEP = """\
[[vtep]]
pf = "enp{n}s0f0"
interface = "vtep{n}"
ip = "10.{hi}.{lo}.1/24"
table = {table}
overlay = "10.200.0.0/16"
gateway = "10.{hi}.{lo}.254"
"""


def vteps(count: int) -> str:
    return "".join(VTEP.format(n=i, hi=i // 256, lo=i % 256, table=1000 + i) for i in range(count))


GOOD = vteps(2)


def test_a_good_spec_parses() -> None:
    spec = parse_spec(GOOD, "node.toml")
    assert [v.ip for v in spec.vteps] == ["10.0.0.1", "10.0.1.1"]


def one_line(e: pytest.ExceptionInfo[SpecError]) -> str:
    assert "\n" not in e.value.message
    return e.value.message


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "directory", "fifo", "missing", "huge"])
def test_files_that_are_not_a_spec_are_refused_before_reading(tmp_path: Path, special: str) -> None:
    path = Path(special) if special.startswith("/") else tmp_path / special
    if special == "directory":
        path.mkdir()
    elif special == "fifo":
        os.mkfifo(path)  # nobody writes: opening it must not wait for a writer
    elif special == "huge":
        with open(path, "wb") as f:
            f.truncate(MAX_SPEC_BYTES + 1)  # sparse: nothing to read, but too large
    started = time.monotonic()
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert time.monotonic() - started < 1
    assert str(path) in one_line(e)


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_bytes(GOOD.encode().replace(b'"vtep1"', b'"vtep\xff"'))
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert one_line(e) == f"{path}:10: not UTF-8 (byte 0xff)"


@pytest.mark.parametrize("edit,words", [
    (('table = 1001', 'table = "1001"'), "node.toml:12: table '1001' must be a number"),
    (('table = 1001', 'table = 1001.0'), "node.toml:12: table 1001.0 must be a number"),
    (('table = 1001', 'table = true'), "node.toml:12: table True must be a number"),
    (('ip = "10.0.1.1/24"', 'ip = 167772417'), "node.toml:11: ip 167772417 must be a string"),
    (('overlay = "10.200.0.0/16"\ngateway = "10.0.1.254"', 'overlay = 5\ngateway = "10.0.1.254"'),
     "node.toml:13: overlay 5 must be a string"),
    (('pf = "enp1s0f0"', 'pf = ["enp1s0f0"]'), "node.toml:9: pf ['enp1s0f0'] must be a string"),
    (('interface = "vtep1"', 'interface = {name = "vtep1"}'), "node.toml:10: interface {'name': 'vtep1'} must"),
    (('gateway = "10.0.1.254"', 'gateway = 1979-05-27'), "node.toml:14: gateway datetime.date(1979, 5, 27)"),
    (('gateway = "10.0.1.254"', 'gateway = "10.0.1.254"\npriority = "high"'), "node.toml:15: priority 'high'"),
    (('gateway = "10.0.1.254"', 'gateway = "10.0.1.254"\nrepresentors = "enp1s0f0_*"'),
     "node.toml:15: representors 'enp1s0f0_*' must be a list"),
    (('[[vtep]]\npf = "enp0s0f0"', 'default_vtep = ["10.0.0.1"]\n[[vtep]]\npf = "enp0s0f0"'),
     "node.toml:1: default_vtep ['10.0.0.1'] must be a string"),
    (('gateway = "10.0.1.254"', 'gateway = "10.0.1.254"\nextra = [' + '[' * 5000 + ']' * 5000 + ']'),
     "node.toml: arrays or tables nested too deeply"),
])
def test_wrong_types_are_one_line_naming_the_line(edit: tuple[str, str], words: str) -> None:
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(SpecError) as e:
        parse_spec(text, "node.toml")
    assert one_line(e).startswith(words), e.value.message


def test_an_ipv6_overlay_for_an_ipv4_vtep_is_refused() -> None:
    text = GOOD.replace('overlay = "10.200.0.0/16"\ngateway = "10.0.1.254"', 'overlay = "fd00:200::/48"\n'
                        'gateway = "10.0.1.254"')
    with pytest.raises(SpecError) as e:
        parse_spec(text, "node.toml")
    assert one_line(e) == "node.toml:13: overlay fd00:200::/48 is IPv6, the VTEP IP 10.0.1.1 is IPv4"


def test_a_spec_of_68k_vteps_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    fits = MAX_SPEC_BYTES // len(vteps(1000)) * 1000  # as many as the size limit lets through
    path.write_text(vteps(fits))
    started = time.monotonic()
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert time.monotonic() - started < 2
    first_refused = 2 + MAX_VTEPS * VTEP.count("\n")  # the pf line of the first table too many
    assert one_line(e).startswith(f"{path}:{first_refused}: ") and f"at most {MAX_VTEPS} VTEPs" in e.value.message
    whole = tmp_path / "whole.toml"
    whole.write_text(vteps(68_000))
    with pytest.raises(SpecError, match="a spec is at most"):
        load_spec(whole)


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_plan_of_dev_zero_is_one_line_at_once(command: str) -> None:
    """The spec's mistake, not the node's absence (OVS_RUNDIR has no OVSDB):
    a spec is read before the node is asked anything."""
    started = time.monotonic()
    p = mvtep(command, "/dev/zero", env={"OVS_RUNDIR": "/nonexistent"}, timeout=30)
    assert time.monotonic() - started < 10
    assert p.returncode == 2 and p.stderr.splitlines()[0] == "mvtep: error: /dev/zero is not a regular file"
    assert "Traceback" not in p.stderr


# -- fuzzing: any TOML document, any text --------------------------------------------------------

def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if v == v and abs(v) != float("inf") else "nan"
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for these characters
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


KEYS = st.sampled_from(["pf", "interface", "ip", "table", "overlay", "gateway", "priority", "representors",
                        "colour"])
SCALARS = (st.booleans() | st.integers(-2, 1 << 33) | st.floats() | st.sampled_from(
    ["enp1s0f0", "vtep0", "10.0.0.1/24", "10.0.0.254", "10.1.0.0/16", "fd00::1/64", "fd00::/48", "", "x" * 20,
     "enp1s0f0_*", "10.0.0.0/24", "10.0.0.1"]) | st.text(max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text("abc", min_size=1, max_size=3), inner, max_size=2), max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=st.lists(st.dictionaries(KEYS, VALUES, max_size=9), max_size=4),
       default=st.none() | VALUES)
def test_any_toml_document_is_a_spec_or_one_spec_error(tables: list[dict[str, Any]], default: Any) -> None:
    lines = [] if default is None else [f"default_vtep = {toml_value(default)}"]
    for t in tables:
        lines.append("[[vtep]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in t.items()]
    try:
        parse_spec("\n".join(lines) + "\n", "node.toml")
    except SpecError as e:
        assert "\n" not in e.message and e.message.startswith("node.toml")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400))
def test_any_text_is_a_spec_or_one_spec_error(text: str) -> None:
    try:
        parse_spec(text, "node.toml")
    except SpecError as e:
        assert e.message.startswith("node.toml")
