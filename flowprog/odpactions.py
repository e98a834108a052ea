"""Datapath actions, as ``ofproto/trace`` prints them, read for what leaves
through a tunnel: pure, no I/O.

The syntax is the datapath's (``format_odp_actions`` in OVS
``lib/odp-util.c``): comma-separated actions, nested in parentheses.  A
packet leaves through a tunnel in one of two shapes:

* a kernel datapath (and any without tunnel push/pop): the tunnel's
  metadata is set, then the packet is output to the tunnel's datapath port
  (``genev_sys_6081``)::

      set(tunnel(tun_id=0x1,src=10.0.0.2,dst=10.1.0.1,ttl=64,tp_dst=6081,
          geneve({class=0x102,type=0x80,len=4,0x30008}),flags(df|csum|key))),3

* the userspace datapath with native tunnels: the whole outer header is
  pushed and the packet goes out of the port the route to ``dst`` names::

      tnl_push(tnl_port(6081),header(size=58,type=5,eth(dst=..,src=..,dl_type=0x0800),
          ipv4(src=10.0.0.2,dst=10.1.0.1,proto=17,tos=0,ttl=64,frag=0x4000),
          udp(src=0,dst=6081,csum=0x0),geneve(vni=0x1,options({class=0x102,...}))),out_port(2))

``clone(...)`` and both branches of ``check_pkt_len(...)`` are followed;
what they set does not leak out of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowprog.traceparse import call_parts, split_top

__all__ = ["GeneveOption", "TunnelSend", "tunnel_sends", "outputs"]

_OPTION = re.compile(r"\{class=(0x[0-9a-f]+),type=(0x[0-9a-f]+),len=(\d+)(?:,(0x[0-9a-f]+))?\}", re.ASCII)


@dataclass(frozen=True, slots=True)
class GeneveOption:
    cls: int
    type: int
    value: int | None  # the option's data, None when it has none


@dataclass(frozen=True, slots=True)
class TunnelSend:
    """One copy of the packet leaving through a tunnel."""

    src: str | None  # the outer source address: the local VTEP
    dst: str | None  # the outer destination: the remote VTEP
    tun_id: int | None  # Geneve VNI / VXLAN VNI: OVN's datapath key
    geneve: tuple[GeneveOption, ...]
    port: int | None  # the datapath port it is output to
    text: str  # the datapath action(s) it came from


def _attrs(text: str) -> dict[str, str]:
    """``a=1,b(x),c`` -> {"a": "1", "b": "x", "c": ""}."""
    out = {}
    for item in split_top(text):
        call = call_parts(item)
        if call is not None and "=" not in item.split("(", 1)[0]:
            out[call[0]] = call[1]
        else:
            key, _, value = item.partition("=")
            out[key] = value
    return out


def _int(text: str | None) -> int | None:
    try:
        return int(text, 0) if text else None
    except ValueError:
        return None


def _options(text: str) -> tuple[GeneveOption, ...]:
    return tuple(GeneveOption(int(c, 16), int(t, 16), int(v, 16) if v else None)
                 for c, t, _, v in _OPTION.findall(text))


def _set_tunnel(args: str) -> TunnelSend:
    """``tun_id=..,src=..,dst=..,geneve(...)`` of ``set(tunnel(...))`` (``format_odp_tun_attr``)."""
    a = _attrs(args)
    return TunnelSend(a.get("src") or a.get("ipv6_src"), a.get("dst") or a.get("ipv6_dst"), _int(a.get("tun_id")),
                      _options(a.get("geneve", "")), None, f"set(tunnel({args}))")


def _tnl_push(args: str, text: str) -> TunnelSend:
    """``tnl_push(tnl_port(P),header(...),out_port(Q))`` (``format_odp_tnl_push_header``)."""
    a = _attrs(args)
    header = _attrs(a.get("header", ""))
    ip = _attrs(header.get("ipv4") or header.get("ipv6") or "")
    tunnel = _attrs(header.get("geneve") or header.get("vxlan") or "")
    return TunnelSend(ip.get("src"), ip.get("dst"), _int(tunnel.get("vni")), _options(tunnel.get("options", "")),
                      _int(a.get("out_port")), text)


def tunnel_sends(actions: str) -> tuple[TunnelSend, ...]:
    """Every copy of the packet that ``actions`` send through a tunnel, in order."""
    out: list[TunnelSend] = []
    _walk(split_top(actions), None, out)
    return tuple(out)


def _walk(items: list[str], tunnel: TunnelSend | None, out: list[TunnelSend]) -> None:
    for item in items:
        if item.isascii() and item.isdigit():
            if tunnel is not None:
                out.append(TunnelSend(tunnel.src, tunnel.dst, tunnel.tun_id, tunnel.geneve, int(item),
                                      f"{tunnel.text},{item}"))
            continue
        call = call_parts(item)
        if call is None:
            continue
        name, args = call
        if name == "set" and args.startswith("tunnel(") and args.endswith(")"):
            tunnel = _set_tunnel(args[7:-1])
        elif name == "tnl_push":
            out.append(_tnl_push(args, item))
        elif name == "clone":
            _walk(split_top(args), tunnel, out)
        elif name == "check_pkt_len":
            for branch in split_top(args):
                inner = call_parts(branch)
                if inner is not None and inner[0] in ("gt", "le"):
                    _walk(split_top(inner[1]), tunnel, out)


def outputs(actions: str) -> tuple[int, ...]:
    """The datapath ports ``actions`` output to (tunnel or not), outside any nesting."""
    return tuple(int(i) for i in split_top(actions) if i.isascii() and i.isdigit())
