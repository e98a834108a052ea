"""Test helpers: read a sandbox's br-int with mvtep and with ovs-ofctl."""

from __future__ import annotations

import os

from flowprog.flows import Flow
from flowprog.ofclient import FlowFilter, OpenFlowClient
from flowprog.ofcodec import load
from flowprog.ofdecode import OF13, OF15, Decoder
from flowprog.ofext import install
from mvtep.sandbox.node import Sandbox

OFCTL = {OF15: "OpenFlow15", OF13: "OpenFlow13"}


def mvtep_flows(box: Sandbox, version: int, filt: FlowFilter | None = None, env: dict[str, str] | None = None,
                remote: str | None = None) -> list[Flow]:
    codec = install(load(os.environ if env is None else env))
    with OpenFlowClient(remote or f"unix:{box.rundir}/br-int.mgmt", codec, versions=(version,)) as client:
        decoder = Decoder(codec)
        return [decoder.decode(e) for e in client.flows(filt or FlowFilter())]


def ofctl_flows(box: Sandbox, version: int, *spec: str) -> list[str]:
    out = box.tools.run("ovs-ofctl", ["--no-names", "-O", OFCTL[version], "dump-flows", "br-int", *spec], box.env)
    return [line for line in out.splitlines() if "actions=" in line]
