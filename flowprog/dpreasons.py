"""Why a datapath flow is not in hardware: one reason per flow, in words, with what to do.

Pure: the flow as ``dpctl/dump-flows -m`` prints it (:class:`~flowprog.dpflows.DpFlow`),
what ovs-vswitchd logged about offload (:class:`~flowprog.ovslog.OffloadLog`),
which netdevs lack the ingress qdisc TC offload needs, and, when one
applies to every flow of the VF, the node's own cause (OVS ``hw-offload``
off, ``tc-policy=skip_hw``, the e-switch not in switchdev...).  The first
rule that matches names the reason:

1. the node's cause, when there is one;
2. ``check_pkt_len(...)``: OVN's ``gateway_mtu``, offloaded only where TC's
   police action can check the length in hardware (its ``gt()`` branch
   sends the packets that are too big up to ovs-vswitchd);
3. ``userspace(...)``: the packet goes up to ovs-vswitchd (controller
   actions, ``slow_path(...)``, sampling), never in hardware;
4. the flow's in_port netdev has no ingress qdisc, seen by TC or logged as
   ``failed to offload flow: No such file or directory: <netdev>``
   (ovn-org/ovn#160);
5. ``dp:tc`` without ``offloaded:yes``: TC holds it, the driver refused it
   (``not_in_hw``);
6. ``hash(...)`` or a masked ``dp_hash(...)``: an OVN load balancer's select
   group; TC has no hash action to offload (lib/dpif-offload-tc-netdev.c:
   "offloading attribute dp_hash isn't supported");
7. a Geneve match with more than one option or one longer than 4 bytes:
   mlx5 matches one option of at most 4 bytes
   (``mlx5e_tc_tun_parse_geneve_options``, en/tc_tun_geneve.c: "we support
   matching on one option only"); OVN uses one (class 0x0102, type 0x80);
8. ``ct(...)`` on ICMP: act_ct offloads established TCP and UDP (and GRE)
   connections only (``tcf_ct_flow_table_process_conn``, net/sched/act_ct.c);
   ovn-kubernetes #3861: "test with TCP";
9. ``ct_state(+new...)``: the first packets of a connection, in software
   until conntrack establishes it;
10. ``offloaded:partial``: the hardware classifies, the actions run in
    software (dpif-netdev's mark-and-recirculate);
11. a ``failed to offload flow`` line for the flow's in_port netdev: its error;
12. otherwise ``unknown``, with the offload error lines OVS logged, if any.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from flowprog.dpattrib import match_of
from flowprog.dpflows import DpFlow
from flowprog.ovslog import OffloadLog
from flowprog.traceparse import split_top

__all__ = ["Reason", "REASONS", "FlowWhy", "explain", "NODE_CAUSES", "top_level"]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    title: str  # why, in words
    action: str  # what to do about it


REASONS: dict[str, Reason] = {r.code: r for r in (
    Reason("hw-offload-off", "OVS other_config:hw-offload is not true: no flow is offered to the NIC",
           "set other_config:hw-offload=true (ovs-vswitchd enables it at once; turning it off needs a restart)"),
    Reason("flow-api-off", "ovs-vswitchd runs with flow offload disabled, whatever OVSDB says",
           "restart ovs-vswitchd with other_config:hw-offload=true"),
    Reason("tc-policy-skip-hw", "other_config:tc-policy=skip_hw: every TC filter stays in software",
           "remove tc-policy (or set it to none) and restart ovs-vswitchd"),
    Reason("eswitch", "the PF's e-switch is not in switchdev mode: nothing can be offloaded",
           "devlink dev eswitch set pci/<PF> mode switchdev (before creating the VFs)"),
    Reason("software-datapath", "the port is not a kernel netdev with TC (userspace or dummy datapath)",
           "offload needs the VF representor on the kernel datapath"),
    Reason("userspace", "a userspace() action: the packet goes up to ovs-vswitchd (controller action, slow path, "
           "sampling)", "expected for ARP, ND, DHCP and other OVN controller actions; for data traffic, "
           "ovs-appctl ofproto/trace shows which OpenFlow rule sends it up"),
    Reason("no-ingress-qdisc", "the in_port netdev has no ingress qdisc: OVS cannot put TC filters on it",
           "tc qdisc show dev <netdev>; find what removed it (NetworkManager, other tools) and restart "
           "ovs-vswitchd to add it again"),
    Reason("not-in-hw", "in TC (dp:tc) but not in hardware: the driver refused the filter",
           "the kernel log (dmesg, mlx5 extack) says which match or action it refused"),
    Reason("check-pkt-len", "check_pkt_len (OVN gateway_mtu): offloaded only where TC's police action checks "
           "the length in hardware", "a newer kernel and NIC firmware, or no gateway_mtu on the router port "
           "when the path MTU allows"),
    Reason("dp-hash", "dp_hash / hash(): an OVN load balancer's select group hashes in the datapath, which is not "
           "offloaded", "set the load balancer's selection_fields (ip_src,ip_dst,tp_src,tp_dst): OVN then selects "
           "with hash fields, which OVS resolves per flow"),
    Reason("geneve-options", "the flow matches more Geneve options than mlx5 can (one option of at most 4 bytes)",
           "only OVN's own option (class 0x0102, type 0x80) should be there: find what adds the others"),
    Reason("ct-icmp", "ICMP through conntrack: act_ct offloads TCP and UDP connections only",
           "expected; measure offload with TCP or UDP traffic"),
    Reason("ct-new", "the first packets of a connection (ct_state +new) stay in software until conntrack "
           "establishes it", "expected; the established connection is offloaded"),
    Reason("partial", "partially offloaded: the hardware classifies the packet, the actions run in software",
           "expected where the offload provider cannot do these actions (DPDK rte_flow, OVS's dummy)"),
    Reason("offload-failed", "OVS tried to offload it and failed", "the error in the OVS log line says why"),
    Reason("unknown", "no cause found in the flow or the OVS log",
           "the OVS log (vlog/set dpif_offload_tc:file:dbg or netdev_offload_tc:file:dbg) and dmesg tell more"),
)}
NODE_CAUSES = ("hw-offload-off", "flow-api-off", "tc-policy-skip-hw", "eswitch", "software-datapath")

_DP_HASH = re.compile(r"(?:^|,)dp_hash\(([^)]*)\)")
_GENEVE = re.compile(r"geneve\(((?:\{[^}]*\})*)\)")
_OPTION = re.compile(r"\{class=[^}]*\}")
_LEN = re.compile(r"len=(\d+)")
_ICMP = re.compile(r"(?:^|,)icmp(?:v6)?\(|proto=(?:1|58)(?:[,)/])")
_CT_NEW = re.compile(r"(?:^|,)ct_state\(([^)]*)\)")


@dataclass(frozen=True, slots=True)
class FlowWhy:
    """A flow that is not (fully) in hardware, and why."""

    flow: DpFlow
    reason: Reason
    detail: str | None = None  # the error OVS logged, the options found...
    log: tuple[str, ...] = ()  # the OVS log lines about it


def top_level(actions: str) -> tuple[str, ...]:
    """The actions at the outer level: ``"ct(zone=4,nat),recirc(0x1)"`` -> ``("ct(zone=4,nat)", "recirc(0x1)")``."""
    return tuple(split_top(actions))


def _has(actions: tuple[str, ...], name: str) -> bool:
    return any(a == name or a.startswith(name + "(") for a in actions)


def _geneve(match: str) -> str | None:
    for found in _GENEVE.finditer(match):
        options = _OPTION.findall(found.group(1))
        lengths = [int(x) for o in options for x in _LEN.findall(o)]
        if len(options) > 1 or any(n > 4 for n in lengths):
            return f"{len(options)} option(s) of {', '.join(map(str, lengths)) or '?'} bytes"
    return None


def _dp_hash(match: str) -> bool:
    found = _DP_HASH.search(match)
    if found is None:
        return False
    value = found.group(1)
    return value.partition("/")[2] not in ("0", "0x0") if "/" in value else value not in ("", "0")


def _new(match: str) -> bool:
    found = _CT_NEW.search(match)
    return found is not None and "+new" in found.group(1)


def _why(f: DpFlow, node: tuple[str, str | None] | None, log: OffloadLog,
         no_qdisc: Collection[str]) -> FlowWhy:
    if node is not None:
        return FlowWhy(f, REASONS[node[0]], node[1])
    match, actions = match_of(f), top_level(f.actions)
    if _has(actions, "check_pkt_len"):  # before userspace: its gt() branch sends the too-big ones up
        return FlowWhy(f, REASONS["check-pkt-len"])
    if _has(actions, "userspace"):
        return FlowWhy(f, REASONS["userspace"])
    error = log.errors.get(f.in_port or "")
    if f.in_port in no_qdisc or (error is not None and ("No such file" in error or "ingress qdisc" in error)):
        return FlowWhy(f, REASONS["no-ingress-qdisc"], f.in_port, log.lines_for(f.in_port))
    if f.dp == "tc":
        return FlowWhy(f, REASONS["not-in-hw"], error, log.lines_for(f.in_port) if error else ())
    if _has(actions, "hash") or _dp_hash(match):
        return FlowWhy(f, REASONS["dp-hash"])
    if (options := _geneve(match)) is not None:
        return FlowWhy(f, REASONS["geneve-options"], options)
    if _has(actions, "ct") and _ICMP.search(match):
        return FlowWhy(f, REASONS["ct-icmp"])
    if _new(match):
        return FlowWhy(f, REASONS["ct-new"])
    if f.offloaded == "partial":
        return FlowWhy(f, REASONS["partial"], ", ".join(a.split("(", 1)[0] for a in actions) or None)
    if error is not None:
        return FlowWhy(f, REASONS["offload-failed"], error, log.lines_for(f.in_port))
    return FlowWhy(f, REASONS["unknown"], None, log.other)


def explain(flows: Iterable[DpFlow], log: OffloadLog, *, node: tuple[str, str | None] | None = None,
            no_qdisc: Collection[str] = ()) -> tuple[FlowWhy, ...]:
    """Why each flow that is not ``offloaded:yes`` is not, in the flows' order.

    ``node`` is ``(code, detail)`` of a cause every flow shares (a code of
    :data:`NODE_CAUSES`); ``no_qdisc`` the netdevs known to lack the
    ingress qdisc."""
    return tuple(_why(f, node, log, no_qdisc) for f in flows if f.offloaded != "yes")
