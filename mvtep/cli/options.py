"""Options shared by the commands that read a node (no heavy imports here:
building the parser must stay cheap, every command pays for it)."""

from __future__ import annotations

import argparse

__all__ = ["add_node_options", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 5.0  # seconds to wait for each answer (flowprog.ovsdb uses the same)


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
