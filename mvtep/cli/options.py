"""Options shared by the commands that read a node (no heavy imports here:
building the parser must stay cheap, every command pays for it)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

__all__ = ["add_global_options", "add_node_options", "add_host_options", "netns_of", "DEFAULT_TIMEOUT", "COLORS"]

DEFAULT_TIMEOUT = 5.0  # seconds to wait for each answer (flowprog.ovsdb uses the same)
COLORS = ("auto", "always", "never")


def add_global_options(p: argparse.ArgumentParser, top: bool = False) -> None:
    """``--debug`` and ``--color``, taken by every parser and subparser, so
    they work before or after any command.  Only the top parser has defaults
    (a subparser's SUPPRESS leaves the top value alone unless given there).
    A ``REMAINDER`` argument (``sandbox exec PROGRAM ARGS...``) still takes
    them as the program's own: argparse gives it everything after PROGRAM."""
    p.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                   help="show tracebacks instead of one-line errors")
    p.add_argument("--color", choices=COLORS, default="auto" if top else argparse.SUPPRESS,
                   help="colour output (auto: only on a terminal, never with NO_COLOR)")


def add_node_options(p: argparse.ArgumentParser, top: bool = False) -> None:
    """The options every command that reads a node takes; accepted before the
    command (``mvtep --db X show``) and after it (``mvtep show --db X``)."""
    default: object = None if top else argparse.SUPPRESS
    p.add_argument("--db", default=default, help="OVSDB remote (default unix:$OVS_RUNDIR/db.sock)")
    p.add_argument("--openflow", default=default,
                   help="OpenFlow remote (default unix:$OVS_RUNDIR/<bridge>.mgmt)")
    p.add_argument("--bridge", default=default, help="integration bridge (default br-int)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT if top else argparse.SUPPRESS,
                   help=f"seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})")


def add_host_options(p: argparse.ArgumentParser) -> None:
    """Where the host's side of the node is read: the namespace holding the
    VTEP interfaces and their routing, and the sysfs root."""
    p.add_argument("--netns", help="the network namespace holding the VTEP interfaces and their routing "
                   "(default $MVTEP_NETNS)")
    p.add_argument("--sysfs-root", type=Path, help="read a copy of a node's sysfs under this root instead of this "
                   "host's (its devlink and ethtool are then not asked)")


def netns_of(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """``--netns``, else ``$MVTEP_NETNS`` (what ``mvtep sandbox up`` prints), else this namespace."""
    return args.netns or env.get("MVTEP_NETNS") or None
