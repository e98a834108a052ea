"""A catalogue of OpenFlow flows as OVS users write them: every match field of
ovs-fields(7) and every action of ovs-actions(7), each variant and option,
in the syntaxes ``ovs-ofctl add-flow`` accepts.

Fields and actions have prerequisites (``tcp_dst`` needs ``tcp`` or
``tcp6``, ``pop_vlan`` needs a VLAN tag), so each case names the *layer* it
needs and each :data:`BASES` entry says which layers its match provides.  The
corpus (:func:`corpus`) puts every case on the first base that provides its
layer; the hypothesis test draws bases, fields and actions freely
(:func:`compatible`).

Cases that only OVS 3.7 and later understand (registers 16-31, xreg8-15,
xxreg4-7) carry ``since=(3, 7)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Case", "BASES", "FIELDS", "ACTIONS", "SETUP", "corpus", "compatible", "Flow", "ADD_VERSIONS"]

# OpenFlow versions the corpus is added with: how a flow was added decides
# what the switch sends back (``load:`` against ``set_field``, the implicit
# ``reset_counts`` of OpenFlow 1.0...).  0 stands for OpenFlow 1.0 with NXM.
ADD_VERSIONS = (0x01, 0x04, 0x06)


@dataclass(frozen=True, slots=True)
class Case:
    layer: str  # what the match must provide: "any", "ip4", "tcp", ...
    text: str  # "tcp_dst=80" or "mod_tp_dst:80"
    min_of: int = 0x01  # the oldest OpenFlow version that can add it
    max_of: int = 0x06  # the newest OpenFlow version that can add it
    since: tuple[int, int] = (0, 0)  # the oldest OVS that knows it


# Base matches and the layers each provides.  "eth" holds for every packet
# type OVS calls Ethernet, which is every base but the packet_type ones.
BASES: dict[str, frozenset[str]] = {
    "": frozenset({"any", "eth"}),
    "ip": frozenset({"any", "eth", "ip4", "ip"}),
    "ipv6": frozenset({"any", "eth", "ip6", "ip"}),
    "tcp": frozenset({"any", "eth", "ip4", "ip", "tcp", "l4"}),
    "tcp6": frozenset({"any", "eth", "ip6", "ip", "tcp", "l4"}),
    "udp": frozenset({"any", "eth", "ip4", "ip", "udp", "l4"}),
    "udp6": frozenset({"any", "eth", "ip6", "ip", "udp", "l4"}),
    "sctp": frozenset({"any", "eth", "ip4", "ip", "sctp", "l4"}),
    "sctp6": frozenset({"any", "eth", "ip6", "ip", "sctp", "l4"}),
    "icmp": frozenset({"any", "eth", "ip4", "ip", "icmp4"}),
    "icmp6": frozenset({"any", "eth", "ip6", "ip", "icmp6"}),
    "icmp6,icmp_type=135,icmp_code=0": frozenset({"any", "eth", "ip6", "ip", "icmp6", "nd", "nd_ns"}),
    "icmp6,icmp_type=136,icmp_code=0": frozenset({"any", "eth", "ip6", "ip", "icmp6", "nd", "nd_na"}),
    "arp": frozenset({"any", "eth", "arp"}),
    "rarp": frozenset({"any", "eth", "arp"}),
    "mpls": frozenset({"any", "eth", "mpls"}),
    "mplsm": frozenset({"any", "eth", "mpls"}),
    "dl_vlan=10": frozenset({"any", "eth", "vlan"}),
    "vlan_tci=0x1000/0x1000": frozenset({"any", "eth", "vlan"}),
    "dl_type=0x894f": frozenset({"any", "eth", "nsh"}),
    "ip,ct_state=+trk-inv": frozenset({"any", "eth", "ip4", "ip", "ct"}),
    "ipv6,ct_state=+est+trk": frozenset({"any", "eth", "ip6", "ip", "ct", "ct6"}),
    "tcp,ct_state=+new+trk": frozenset({"any", "eth", "ip4", "ip", "tcp", "l4", "ct"}),
    "packet_type=(1,0x800)": frozenset({"any", "l3"}),
    "packet_type=(1,0x86dd)": frozenset({"any", "l3"}),
}

_V4 = ("10.1.2.3", "10.1.2.0/24", "10.0.0.0/8", "10.1.0.0/255.255.0.0", "10.1.2.3/255.0.255.0", "0.0.0.0/1",
       "255.255.255.255", "10.1.2.3/32")
_V6 = ("2001:db8::1", "ff02::/16", "2001:db8::/ffff:ffff:0:0:ffff::", "::1.2.3.4", "::ffff:10.1.2.3", "::",
       "fe80::1:0:0:5/64", "2001:db8:0:1:0:0:0:1", "1:0:0:1:0:0:0:1", "::2:3", "0:0:1::/128", "2001:db8::/127")
_MAC = ("00:11:22:33:44:55", "01:00:00:00:00:00/01:00:00:00:00:00", "aa:bb:cc:00:00:00/ff:ff:ff:00:00:00",
        "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")
_HEX32 = ("0x5", "5", "0", "0xffffffff", "0x5/0xff", "0x80000000/0x80000000", "0/0xffff", "0x1234/0xffffffff")


def _f(layer: str, field: str, values: tuple[str, ...], **kw: object) -> list[Case]:
    return [Case(layer, f"{field}={v}", **kw) for v in values]  # type: ignore[arg-type]


# -- match fields (ovs-fields(7)), grouped as the man page groups them --------

FIELDS: list[Case] = [
    # Metadata
    *_f("any", "conj_id", ("5", "0x10")),
    *_f("any", "tun_id", ("0x5", "5", "0x5/0xff", "0x100/0xff00", "0xffffffffffffffff", "0")),
    *_f("any", "tunnel_id", ("0x7",)),
    *_f("any", "tun_src", _V4[:5]),
    *_f("any", "tun_dst", _V4[:5]),
    *_f("any", "tun_ipv6_src", _V6[:6]),
    *_f("any", "tun_ipv6_dst", _V6[:4]),
    *_f("any", "tun_flags", ("+oam", "-oam", "oam", "0", "0x1/0x1", "0/0x1")),
    *_f("any", "tun_gbp_id", ("5", "0x5/0xff", "65535")),
    *_f("any", "tun_gbp_flags", ("0x1", "0x1/0x1", "0xff")),
    *_f("any", "tun_erspan_ver", ("1", "2", "0x1/0x1")),
    Case("any", "tun_erspan_ver=1,tun_erspan_idx=0x5"),
    Case("any", "tun_erspan_ver=1,tun_erspan_idx=0x5/0xff"),
    Case("any", "tun_erspan_ver=2,tun_erspan_dir=1,tun_erspan_hwid=0x5"),
    Case("any", "tun_erspan_ver=2,tun_erspan_dir=0,tun_erspan_hwid=0x3/0xf"),
    Case("any", "tun_erspan_idx=0x7"),  # printed only with version 1
    Case("any", "tun_erspan_hwid=0x7"),  # printed only with version 2
    *_f("any", "tun_gtpu_flags", ("0x1", "0x30/0xf0")),
    *_f("any", "tun_gtpu_msgtype", ("255", "1")),
    *_f("any", "tun_metadata0", ("0x5", "0x12345678", "0x5/0xff", "0/0", "0x1/0xffff", "0")),
    *_f("any", "tun_metadata1", ("0x1122334455667788", "0x5/0xff00ff")),
    *_f("any", "tun_metadata2", ("0x5", "0xabcdef0123456789abcdef/0xffffffffffffffff")),
    *_f("any", "tun_metadata63", ("0x5", "0x1/0x1")),
    Case("any", "tun_metadata0=0x5,tun_metadata63=0x7,tun_metadata1=0x1"),
    *_f("any", "metadata", ("0x5", "5", "0x5/0xff", "0xffffffffffffffff", "0/0x1")),
    *_f("any", "in_port", ("5", "1", "65279", "LOCAL", "CONTROLLER", "IN_PORT", "ANY", "NORMAL", "FLOOD", "ALL",
                           "TABLE", "65534")),
    *_f("any", "in_port_oxm", ("7", "LOCAL")),
    *_f("any", "actset_output", ("5", "LOCAL", "UNSET", "CONTROLLER"), min_of=0x04),
    *_f("any", "pkt_mark", _HEX32[:6]),
    *_f("any", "ct_state", ("+trk", "-trk", "+trk+est-new", "new|trk", "trk|est|rpl|inv|snat|dnat|rel|new", "0",
                            "0x21/0x21", "+rpl-snat+dnat", "-inv", "0/0xff", "0x20/0x20", "0x80/0x80")),
    *_f("any", "ct_zone", ("5", "0", "65535", "0x10")),
    *_f("any", "ct_mark", _HEX32[:6]),
    *_f("any", "ct_label", ("0x5", "0x5/0xff", "0x1234567890abcdef1234567890abcdef", "0",
                            "0x100000000000000000000/0x100000000000000000000")),
    *_f("ct", "ct_nw_proto", ("6", "17")),
    Case("ct", "ct_nw_proto=6,ct_tp_src=80,ct_tp_dst=0x50/0xfff0"),
    Case("ct", "ct_nw_proto=17,ct_tp_dst=53"),
    *[Case(layer, f"ct_state=+trk,{field}={v}".replace("ct_state=+trk,", "")) for layer, field, values in (
        ("ct", "ct_nw_src", _V4[:4]), ("ct", "ct_nw_dst", _V4[:3])) for v in values],
    *[Case("ct6", f"{field}={v}") for field, values in (("ct_ipv6_src", _V6[:4]), ("ct_ipv6_dst", _V6[:3]))
      for v in values],
    *[Case("any", f"reg{i}={v}") for i in range(16) for v in (("0x5", "0x5/0xff") if i % 5 else _HEX32)],
    *[Case("any", f"reg{i}={v}", since=(3, 7)) for i in range(16, 32) for v in ("0x5", "0x5/0xff")],
    *[Case("any", f"xreg{i}={v}") for i in range(8) for v in ("0x5", "0x500000000", "0x5/0xff",
                                                              "0xffffffff00000000/0xffffffff00000000")],
    *[Case("any", f"xreg{i}={v}", since=(3, 7)) for i in range(8, 16) for v in ("0x5",)],
    *[Case("any", f"xxreg{i}={v}") for i in range(4) for v in ("0x5", "0x5/0xff",
                                                               "0x1000000000000000000000000/0x1000000000000000000000000")],
    *[Case("any", f"xxreg{i}={v}", since=(3, 7)) for i in range(4, 8) for v in ("0x5",)],
    Case("any", "reg0=0x1,reg3=0x3,reg1=0x2"),
    Case("any", "xxreg0=0x5,reg1=0x7"),
    # Layer 2
    *_f("eth", "eth_src", _MAC),
    *_f("eth", "eth_dst", _MAC),
    *_f("eth", "dl_src", _MAC[:2]),
    *_f("eth", "dl_dst", _MAC[:2]),
    *_f("eth", "dl_type", ("0x0800", "0x86dd", "0x0806", "0x8035", "0x8847", "0x8848", "0x88cc", "0x894f",
                           "0x9000", "0x8100")),
    *_f("eth", "eth_type", ("0x88cc",)),
    *_f("eth", "vlan_tci", ("0x1005", "0x1000/0x1000", "0", "0x0005/0x0fff", "0xf000/0xf000", "0x1005/0x1fff",
                            "0x0000/0x1000", "0x3000/0xf000", "0x1fff", "0xffff")),
    *_f("eth", "dl_vlan", ("5", "0", "4095", "0xffff")),
    *_f("eth", "vlan_vid", ("5", "0x1005", "0x1005/0x1fff", "0x1000/0x1000", "0/0x1000")),
    *_f("eth", "dl_vlan_pcp", ("3", "0", "7")),
    *_f("vlan", "vlan_pcp", ("3", "0")),
    Case("eth", "dl_vlan=5,dl_vlan_pcp=3"),
    *_f("mpls", "mpls_label", ("5", "0", "1048575", "0x10")),
    *_f("mpls", "mpls_tc", ("3", "0", "7")),
    *_f("mpls", "mpls_bos", ("1", "0")),
    *_f("mpls", "mpls_ttl", ("5", "255")),
    Case("mpls", "mpls_label=5,mpls_tc=3,mpls_bos=1,mpls_ttl=5"),
    # Layer 3
    *_f("ip4", "ip_src", _V4),
    *_f("ip4", "ip_dst", _V4[:5]),
    *_f("ip4", "nw_src", _V4[:2]),
    *_f("ip4", "nw_dst", _V4[:2]),
    *_f("ip6", "ipv6_src", _V6),
    *_f("ip6", "ipv6_dst", _V6[:8]),
    *_f("ip6", "ipv6_label", ("0x12345", "0x12345/0xfffff", "0x1/0xf", "0", "0xfffff", "5")),
    *_f("ip", "nw_proto", ("2", "6", "17", "132", "1", "58", "47", "255", "0")),
    *_f("ip", "ip_proto", ("89",)),
    *_f("ip", "nw_tos", ("4", "252", "0", "8")),
    *_f("ip", "ip_dscp", ("1", "63", "0")),
    *_f("ip", "nw_ecn", ("1", "3", "0")),
    *_f("ip", "ip_ecn", ("2",)),
    Case("ip", "nw_tos=8,nw_ecn=1"),
    Case("ip", "ip_dscp=2,ip_ecn=3"),
    *_f("ip", "nw_ttl", ("64", "0", "255")),
    *_f("ip", "ip_frag", ("no", "first", "later", "yes", "not_later")),
    *_f("ip", "nw_frag", ("yes",)),
    *_f("arp", "arp_op", ("1", "2", "255", "0")),
    *_f("arp", "arp_spa", _V4[:4]),
    *_f("arp", "arp_tpa", _V4[:4]),
    *_f("arp", "arp_sha", _MAC[:3]),
    *_f("arp", "arp_tha", _MAC[:3]),
    *_f("nsh", "nsh_flags", ("1", "0x1/0x1")),
    *_f("nsh", "nsh_ttl", ("63",)),
    *_f("nsh", "nsh_mdtype", ("1", "2")),
    *_f("nsh", "nsh_np", ("3",)),
    *_f("nsh", "nsh_spi", ("0x5", "0xffffff")),
    *_f("nsh", "nsh_si", ("255", "3")),
    *[Case("nsh", f"nsh_mdtype=1,nsh_c{i}={v}") for i in (1, 2, 3, 4) for v in ("0x5", "0x5/0xff")],
    Case("nsh", "nsh_c1=0x5"),  # printed only with md type 1
    Case("nsh", "nsh_spi=0x5,nsh_si=3"),
    # Layer 4
    *_f("tcp", "tcp_src", ("80", "0", "65535", "0x50/0xfff0", "0x8000/0x8000")),
    *_f("tcp", "tcp_dst", ("443", "0x1bb/0xffff")),
    *_f("l4", "tp_src", ("5",)),
    *_f("l4", "tp_dst", ("6", "0x10/0xf0")),
    *_f("tcp", "tcp_flags", ("+syn", "+syn-ack", "syn|ack", "0x012/0x0ff", "fin", "0x800/0x800", "+ns",
                             "0/0xfff", "0", "+cwr+ece+urg+psh+rst", "0xfff", "0x100/0x100")),
    *_f("udp", "udp_src", ("53", "0x35/0xffff", "0")),
    *_f("udp", "udp_dst", ("67", "0x4000/0xc000")),
    *_f("sctp", "sctp_src", ("132",)),
    *_f("sctp", "sctp_dst", ("5", "0x5/0xff")),
    *_f("icmp4", "icmp_type", ("8", "0", "255")),
    *_f("icmp4", "icmp_code", ("0", "3")),
    *_f("icmp6", "icmpv6_type", ("128", "135", "136", "143")),
    *_f("icmp6", "icmpv6_code", ("0", "1")),
    *_f("nd", "nd_target", _V6[:5]),
    *_f("nd_ns", "nd_sll", _MAC[:3]),
    *_f("nd_na", "nd_tll", _MAC[:3]),
    *_f("nd", "nd_reserved", ("5", "0", "4294967295")),
    *_f("nd", "nd_options_type", ("1", "2", "255")),
    # Packet type (OpenFlow 1.5)
    *[Case("any", f"packet_type={v}", min_of=0x06) for v in ("(1,0x800)", "(1,0x86dd)", "(1,0x894f)", "(0,0)",
                                                               "(1,0x8847)", "(0,1)", "(1,0x1)")],
    Case("any", "packet_type=(1,0x800),nw_src=10.0.0.1", min_of=0x06),
    Case("any", "packet_type=(1,0x86dd),ipv6_dst=::1,nw_proto=6", min_of=0x06),
]


def _sf(layer: str, items: tuple[tuple[str, str], ...], **kw: object) -> list[Case]:
    return [Case(layer, f"set_field:{v}->{f}", **kw) for v, f in items]  # type: ignore[arg-type]


# -- actions (ovs-actions(7)) -------------------------------------------------

ACTIONS: list[Case] = [
    # Output
    *[Case("any", a) for a in (
        "output:5", "5", "output:1,output:2", "NORMAL", "normal", "FLOOD", "ALL", "LOCAL", "local", "IN_PORT",
        "in_port", "CONTROLLER", "controller", "output:65279", "drop",
        "output:NXM_NX_REG0[]", "output:reg1[0..15]", "output:NXM_NX_REG0[16..31]", "output:reg2[0..7]",
        "output:NXM_OF_IN_PORT[]", "output:xxreg0[0..31]", "output:tun_id[0..15]",
        "output(port=5,max_len=100)", "output(port=LOCAL,max_len=64)", "output(max_len=1500,port=1)",
        "output(port=in_port,max_len=14)",
        "controller:100", "CONTROLLER:65535", "controller:0", "controller(max_len=10)", "controller(reason=no_match)",
        "controller(reason=invalid_ttl)", "controller(reason=action_set)", "controller(reason=group)",
        "controller(reason=packet_out)", "controller(reason=action)", "controller(id=3)",
        "controller(max_len=10,id=3)", "controller(userdata=01.02.03)", "controller(userdata=00)",
        "controller(pause)", "controller(reason=no_match,max_len=0,id=1,userdata=aa.bb,pause)",
        "controller(meter_id=5)", "controller(reason=action,meter_id=1,userdata=ff)",
        "enqueue:5:3", "enqueue(LOCAL,4)", "enqueue(in_port,1)", "enqueue:1:0",
        "bundle(eth_src,0,hrw,ofport,members:4,8)", "bundle(symmetric_l4,60,active_backup,ofport,members:2,3)",
        "bundle(nw_src,1,hrw,ofport,members:1)", "bundle(nw_dst,65535,hrw,ofport,members:1,2,3,4,5)",
        "bundle(symmetric_l3l4,0,hrw,ofport,members:LOCAL,5)", "bundle(symmetric_l3l4+udp,0,hrw,ofport,members:7)",
        "bundle(symmetric_l3,5,active_backup,ofport,members:9,8)", "bundle(eth_src,0,hrw,ofport,slaves:4,8)",
        "bundle_load(eth_src,0,hrw,ofport,NXM_NX_REG0[],members:4,8)",
        "bundle_load(symmetric_l4,7,active_backup,ofport,reg1[16..31],members:2)",
        "bundle_load(nw_dst,0,hrw,ofport,NXM_NX_TUN_ID[0..31],members:1,2)",
        "group:1", "group:4294967040",
    )],
    # Encapsulation
    Case("vlan", "strip_vlan"),
    Case("vlan", "pop_vlan"),
    Case("any", "push_vlan:0x8100", min_of=0x04),
    Case("any", "push_vlan:0x88a8", min_of=0x04),
    Case("any", "push_vlan:0x8100,set_field:4101->vlan_vid", min_of=0x04),
    Case("ip", "push_mpls:0x8847"),
    Case("ip", "push_mpls:0x8848"),
    Case("mpls", "pop_mpls:0x0800"),
    Case("mpls", "pop_mpls:0x86dd"),
    Case("mpls", "pop_mpls:0x8847"),
    Case("any", "encap(nsh)", min_of=0x04),
    Case("any", "encap(nsh(md_type=1))", min_of=0x04),
    Case("any", "encap(nsh(md_type=2,tlv(0x1000,10,0x12345678)))", min_of=0x04),
    Case("any", "encap(nsh(md_type=2,tlv(0x1000,10,0x12345678),tlv(0x2000,20,0xfedcba9876543210)))", min_of=0x04),
    Case("any", "encap(nsh(md_type=2,tlv(0xffff,255,0x00)))", min_of=0x04),
    Case("l3", "encap(ethernet)", min_of=0x06),
    Case("nsh", "dec_nsh_ttl", min_of=0x04),
    Case("any", "encap(mpls)", min_of=0x04),
    Case("any", "encap(mpls_mc)", min_of=0x04),
    Case("any", "decap()", min_of=0x04),
    Case("any", "decap", min_of=0x04),
    Case("mpls", "decap(packet_type(ns=1,type=0x800))", min_of=0x04),
    Case("mpls", "decap(packet_type(ns=0,type=0))", min_of=0x04),
    Case("any", "encap(nsh),set_field:0x1234->nsh_spi,encap(ethernet)", min_of=0x04),
    Case("nsh", "decap(),decap()", min_of=0x04),
    # Field modification
    *_sf("eth", (("00:11:22:33:44:55", "eth_src"), ("00:11:22:33:44:55", "eth_dst"),
                 ("01:00:00:00:00:00/01:00:00:00:00:00", "eth_dst"), ("aa:bb:cc:dd:ee:ff", "dl_src"))),
    *_sf("ip4", (("10.0.0.1", "ip_src"), ("10.0.0.2", "nw_dst"), ("10.0.0.0/255.0.0.0", "ip_dst"),
                 ("0.0.0.5/0.0.0.255", "ip_src"))),
    *_sf("ip6", (("2001:db8::1", "ipv6_src"), ("::1", "ipv6_dst"), ("0x12345", "ipv6_label"),
                 ("fe80::/ffff::", "ipv6_dst"))),
    *_sf("ip", (("64", "nw_ttl"), ("8", "nw_tos"), ("2", "ip_dscp"), ("1", "nw_ecn"), ("3", "ip_ecn"))),
    *_sf("tcp", (("80", "tcp_dst"), ("1024", "tcp_src"), ("0x50/0xff", "tcp_dst"))),
    *_sf("udp", (("53", "udp_src"), ("67", "udp_dst"))),
    *_sf("sctp", (("5", "sctp_src"), ("6", "sctp_dst"))),
    *_sf("icmp4", (("8", "icmp_type"), ("3", "icmp_code"))),
    *_sf("icmp6", (("135", "icmpv6_type"), ("1", "icmpv6_code"))),
    *_sf("nd", (("2001:db8::5", "nd_target"), ("5", "nd_reserved"), ("1", "nd_options_type"))),
    *_sf("nd_ns", (("00:11:22:33:44:55", "nd_sll"),)),
    *_sf("nd_na", (("00:11:22:33:44:66", "nd_tll"),)),
    *_sf("arp", (("2", "arp_op"), ("10.0.0.1", "arp_spa"), ("10.0.0.2", "arp_tpa"), ("00:11:22:33:44:55", "arp_sha"),
                 ("00:11:22:33:44:66", "arp_tha"))),
    *_sf("vlan", (("100", "vlan_vid"),), max_of=0x01),
    *_sf("vlan", (("4196", "vlan_vid"), ("3", "vlan_pcp"), ("0x1064", "vlan_tci"),
                  ("0x1000/0x1000", "vlan_tci"))),
    *_sf("mpls", (("5", "mpls_label"), ("3", "mpls_tc"), ("64", "mpls_ttl"))),
    *_sf("nsh", (("0x5", "nsh_spi"), ("3", "nsh_si"), ("0x1", "nsh_flags"), ("63", "nsh_ttl"), ("0x5", "nsh_c1"),
                 ("0x5/0xff", "nsh_c2"))),
    *_sf("any", (("0x5", "reg0"), ("5", "reg1"), ("0x5/0xff", "reg2"), ("0x10000/0xffff0000", "reg13"),
                 ("0", "reg15"), ("0xffffffff", "reg3"), ("0x5", "xreg0"), ("0x500/0xff00", "xreg1"),
                 ("0x5", "xxreg0"), ("0x5/0xff", "xxreg3"), ("0x5", "metadata"), ("0x5/0xff", "metadata"),
                 ("0x5", "tun_id"), ("0x5/0xff", "tun_id"), ("1.2.3.4", "tun_dst"), ("1.2.3.4", "tun_src"),
                 ("2001:db8::1", "tun_ipv6_src"), ("::2", "tun_ipv6_dst"), ("0x5", "tun_metadata0"),
                 ("0x5/0xff", "tun_metadata1"), ("0x123456789abcdef0", "tun_metadata1"), ("5", "tun_metadata2"),
                 ("0x5", "pkt_mark"), ("0x5/0xf", "pkt_mark"), ("5", "tun_gbp_id"), ("0x1", "tun_gbp_flags"),
                 ("oam", "tun_flags"), ("+oam", "tun_flags"), ("0x5", "tun_erspan_idx"), ("2", "tun_erspan_ver"),
                 ("1", "tun_erspan_dir"), ("0x5", "tun_erspan_hwid"), ("5", "in_port"), ("LOCAL", "in_port"),
                 ("65534", "in_port"))),
    *_sf("any", (("0x5", "reg20"), ("0x5/0xff", "reg31"), ("0x5", "xreg9"), ("0x5", "xxreg5")), since=(3, 7)),
    *[Case("any", f"load:{v}->{d}") for v, d in (
        ("5", "NXM_NX_REG0[]"), ("0x5", "reg1[0..7]"), ("1", "NXM_NX_REG2[5]"), ("0xffff", "NXM_OF_IN_PORT[]"),
        ("0x001122334455", "eth_src"), ("1", "eth_dst[40]"), ("0", "NXM_NX_TUN_ID[0..23]"),
        ("0x5", "xxreg0[0..63]"), ("0x5", "xxreg0[64..127]"), ("0x5", "OXM_OF_PKT_REG0[]"),
        ("0xabc", "NXM_NX_TUN_METADATA0[0..11]"), ("0x5", "NXM_NX_TUN_METADATA1[]"), ("0", "reg3"),
        ("0xfffffffe", "reg4"), ("0x1", "NXM_NX_PKT_MARK[31]"), ("0xfffe", "in_port"),
        ("0x5", "NXM_NX_TUN_IPV4_DST[]"), ("0x5", "metadata[0..31]"), ("0x7", "tun_id[32..63]"))],
    Case("any", "load:0x5->reg20[0..7]", since=(3, 7)),
    Case("ip4", "load:0x0a000001->NXM_OF_IP_SRC[]"),
    Case("vlan", "load:0x5->NXM_OF_VLAN_TCI[0..11]"),
    Case("ip", "load:0x5->NXM_NX_IP_TTL[]"),
    *[Case("any", f"move:{s}->{d}") for s, d in (
        ("NXM_NX_REG0[]", "NXM_NX_REG1[]"), ("reg0[0..5]", "reg1[26..31]"), ("reg0[0..15]", "vlan_tci"),
        ("NXM_OF_IN_PORT[]", "NXM_NX_REG3[0..15]"), ("NXM_NX_TUN_METADATA0[0..7]", "NXM_NX_REG5[0..7]"),
        ("eth_src", "eth_dst"), ("xxreg0[0..63]", "xreg1"), ("NXM_NX_CT_LABEL[0..31]", "reg0"),
        ("tun_id[0..31]", "reg2"), ("OXM_OF_PKT_REG0[]", "metadata"), ("reg1[5]", "reg2[7]"),
        ("NXM_NX_CT_MARK[]", "NXM_NX_PKT_MARK[]"), ("NXM_NX_CT_ZONE[]", "reg4[0..15]"),
        ("NXM_NX_TUN_IPV4_SRC[]", "NXM_NX_TUN_IPV4_DST[]"), ("metadata[0..15]", "reg6[16..31]"),
        ("NXM_NX_CT_STATE[0..7]", "reg7[0..7]"))],
    Case("any", "move:reg16[]->reg0[]", since=(3, 7)),
    Case("any", "move:OXM_OF_IN_PORT[]->reg4"),
    Case("any", "move:reg20[0..15]->xxreg5[16..31]", since=(3, 7)),
    Case("any", "output:reg20[0..15]", since=(3, 7)),
    Case("any", "push:reg20[]", since=(3, 7)),
    Case("any", "pop:NXOXM_ET_REG31[0..7]", since=(3, 7)),
    Case("any", "check_pkt_larger(1500)->reg20[0]", since=(3, 7)),
    Case("any", "move:NXM_NX_REG0[]->reg25", since=(3, 7)),
    Case("ip4", "move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]"),
    Case("ip6", "move:NXM_NX_IPV6_SRC[0..63]->NXM_NX_XXREG1[0..63]"),
    Case("tcp", "move:NXM_OF_TCP_SRC[]->NXM_OF_TCP_DST[]"),
    Case("arp", "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]"),
    *[Case(layer, a) for layer, a in (
        ("eth", "mod_dl_src:00:11:22:33:44:55"), ("eth", "mod_dl_dst:01:02:03:04:05:06"),
        ("ip4", "mod_nw_src:10.1.1.1"), ("ip4", "mod_nw_dst:10.2.2.2"), ("ip", "mod_nw_tos:8"),
        ("ip", "mod_nw_tos:252"), ("ip", "mod_nw_ecn:1"), ("ip", "mod_nw_ttl:5"), ("ip", "mod_nw_ttl:0"),
        ("l4", "mod_tp_src:80"), ("l4", "mod_tp_dst:8080"), ("any", "mod_vlan_vid:100"), ("any", "mod_vlan_pcp:3"),
        ("vlan", "set_vlan_vid:5"), ("vlan", "set_vlan_pcp:1"),
        ("ip", "dec_ttl"), ("ip", "dec_ttl(1,2,3)"), ("ip", "dec_ttl(0)"), ("ip", "dec_ttl(65535)"),
        ("mpls", "set_mpls_label:5"), ("mpls", "set_mpls_label:0x10"), ("mpls", "set_mpls_tc:3"),
        ("mpls", "set_mpls_ttl:64"), ("mpls", "dec_mpls_ttl"),
        ("any", "check_pkt_larger(1500)->reg0[0]"), ("any", "check_pkt_larger(8000)->NXM_NX_REG9[10]"),
        ("any", "check_pkt_larger(0)->xxreg1[127]"), ("any", "delete_field:tun_metadata0"),
        ("any", "delete_field:tun_metadata63"),
        # Metadata
        ("any", "set_tunnel:5"), ("any", "set_tunnel:0x123456789"), ("any", "set_tunnel64:5"),
        ("any", "set_tunnel:0xffffffff"), ("any", "set_queue:5"), ("any", "set_queue:0"), ("any", "pop_queue"),
        ("any", "set_queue:1,output:1,pop_queue"),
        # Firewalling
        ("ip", "ct"), ("ip", "ct()"), ("ip", "ct(commit)"), ("ip", "ct(commit,force)"), ("ip", "ct(table=5)"),
        ("ip", "ct(zone=5)"), ("ip", "ct(zone=65535)"), ("ip", "ct(zone=NXM_NX_REG0[0..15])"),
        ("ip", "ct(zone=reg1[16..31],table=3)"), ("ip", "ct(commit,exec(set_field:1->ct_mark))"),
        ("ip", "ct(commit,exec(set_field:0x1/0x1->ct_label,move:NXM_NX_REG0[]->NXM_NX_CT_MARK[]))"),
        ("ip", "ct(commit,exec(load:0x1->NXM_NX_CT_LABEL[0..3]))"),
        ("ip", "ct(commit,exec(set_field:0x1234567890abcdef/0xffffffffffffffff->ct_label))"),
        ("tcp", "ct(commit,alg=ftp)"), ("udp", "ct(commit,alg=tftp)"),
        ("ip", "ct(nat)"), ("ip", "ct(commit,nat(src=10.0.0.1))"), ("ip", "ct(commit,nat(src))"),
        ("ip", "ct(commit,nat(src=10.0.0.1-10.0.0.10:1000-2000,persistent,random))"),
        ("ip", "ct(commit,nat(dst=10.0.0.1:80))"), ("ip", "ct(commit,nat(dst=10.0.0.1-10.0.0.1))"),
        ("ip", "ct(commit,nat(src=10.0.0.1:80-80))"), ("ip", "ct(commit,nat(src=0.0.0.0))"),
        ("ip", "ct(commit,nat(src=10.0.0.1,hash))"), ("ip", "ct(commit,nat(dst=10.0.0.1,persistent))"),
        ("ip6", "ct(commit,nat(dst=[2001:db8::1]-[2001:db8::5]:80,hash))"),
        ("ip6", "ct(commit,nat(src=2001:db8::1))"), ("ip6", "ct(commit,nat(src=2001:db8::1-2001:db8::9))"),
        ("ip6", "ct(commit,nat(dst=[fd00::5]:443-444,random))"),
        ("ip", "ct(table=0,zone=64000,nat)"), ("tcp", "ct(commit,table=1,zone=5,nat(src=1.1.1.1),alg=ftp)"),
        ("ip", "ct(commit,zone=NXM_NX_REG12[0..15],exec(set_field:0x2/0x2->ct_mark),nat(dst=10.0.0.5))"),
        ("ip", "ct(commit,exec(set_field:0x5->ct_mark),table=7)"), ("any", "ct_clear"),
        ("any", "learn(table=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
                "load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15])"),
        ("tcp", "learn(table=2,idle_timeout=10,hard_timeout=20,fin_idle_timeout=5,fin_hard_timeout=10,priority=10,"
                "cookie=0x5,send_flow_rem,delete_learned,eth_type=0x800,ip_proto=6,tcp_dst=tcp_src,"
                "output:NXM_OF_IN_PORT[])"),
        ("any", "learn(table=3,limit=10,result_dst=reg0[0],dl_type=0x800)"),
        ("any", "learn(table=3,limit=1)"), ("any", "learn(table=3,result_dst=NXM_NX_REG1[31])"),
        ("any", "learn(table=1,dl_dst=01:02:03:04:05:06,load:5->reg1)"),
        ("any", "learn(table=1,in_port=5)"), ("any", "learn(table=1,in_port=65534)"),
        ("any", "learn(table=1,NXM_OF_IN_PORT[]=5)"), ("any", "learn(table=1,reg0[0..7]=0x5)"),
        ("any", "learn(table=1,reg0[0..7]=0)"), ("any", "learn(table=1,reg0=0x5)"),
        ("any", "learn(table=1,eth_type=0x800,nw_src=10.0.0.1)"),
        ("any", "learn(table=1,eth_type=0x86dd,ipv6_src=2001:db8::1)"),
        ("any", "learn(table=1,load:0x5->NXM_NX_REG1[0..7])"), ("any", "learn(table=1,load:0->reg2)"),
        ("any", "learn(table=1,load:NXM_NX_REG0[]->NXM_NX_REG1[])"), ("any", "learn(table=254)"),
        ("any", "learn(table=1,tun_id=0x5,tun_src=1.2.3.4)"), ("any", "learn(table=1,metadata=0x1)"),
        ("udp", "learn(table=1,eth_type=0x800,nw_proto=17,udp_dst=udp_src)"), ("any", "learn(table=0,priority=0)"),
        ("any", "learn(table=1,hard_timeout=65535,idle_timeout=1,vlan_tci=0x1005)"),
        ("any", "learn(table=1,NXM_NX_TUN_METADATA0[0..7]=0x5,load:1->NXM_NX_TUN_METADATA1[0..3])"),
        ("any", "learn(table=1,eth_type=0x806,arp_op=2,arp_sha=00:01:02:03:04:05)"),
        ("any", "learn(table=1,xreg0=0x5,load:xxreg0[0..63]->xreg1)"),
        ("any", "learn(table=1,ct_state=0x21,load:1->reg0[0])"),
        # Programming and control flow
        ("any", "resubmit:5"), ("any", "resubmit(,3)"), ("any", "resubmit(5,3)"), ("any", "resubmit(LOCAL,2)"),
        ("any", "resubmit(in_port,7)"),
        ("any", "resubmit:LOCAL"), ("any", "resubmit(CONTROLLER,)"), ("ct", "resubmit(,3,ct)"),
        ("ct", "resubmit(5,3,ct)"), ("any", "resubmit(,254)"), ("any", "resubmit(65279,0)"),
        ("any", "clone(output:5,set_field:5->reg0)"), ("any", "clone(drop)"), ("any", "clone()"),
        ("ip", "clone(ct(commit),clone(dec_ttl,output:2))"), ("any", "clone(resubmit(,5)),output:1"),
        ("any", "push:NXM_NX_REG0[]"), ("any", "push:reg1[0..5]"), ("any", "pop:NXM_NX_REG2[0..5]"),
        ("any", "push:NXM_OF_ETH_SRC[]"), ("any", "pop:reg3"), ("any", "push:xxreg0"),
        ("any", "push:NXM_NX_TUN_METADATA0[0..15]"), ("any", "exit"), ("any", "output:1,exit"),
        ("any", "multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[])"),
        ("any", "multipath(symmetric_l4,1024,hrw,12,0,NXM_NX_REG0[0..3])"),
        ("any", "multipath(symmetric_l3l4,0,hash_threshold,2,0,reg1[0..1])"),
        ("any", "multipath(symmetric_l3l4+udp,7,iter_hash,5,8,reg2[0..15])"),
        ("any", "multipath(symmetric_l3,0,modulo_n,65536,0,reg3)"),
        ("any", "multipath(nw_src,0,hrw,1,0,reg4[0])"), ("any", "multipath(nw_dst,65535,modulo_n,3,0,reg5[1..2])"),
        # Other
        ("any", "conjunction(5,1/2)"), ("any", "conjunction(5,2/3)"), ("any", "conjunction(4294967295,64/64)"),
        ("any", "conjunction(1,1/2),conjunction(2,2/2)"), ("any", "note:"), ("any", "note:01.02.03.04.05.06"),
        ("any", "note:0102030405060708090a"), ("any", "note:00"), ("any", "note:ff,output:1"),
        ("any", "sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3)"),
        ("any", "sample(probability=65535)"),
        ("any", "sample(probability=1,collector_set_id=5,obs_domain_id=6,obs_point_id=7,sampling_port=5)"),
        ("any", "sample(probability=12345,sampling_port=LOCAL,ingress)"),
        ("any", "sample(probability=12345,egress)"),
        ("any", "sample(probability=10,obs_domain_id=NXM_NX_REG0[],obs_point_id=reg1[0..15])"),
        ("any", "sample(probability=10,obs_domain_id=5,obs_point_id=NXM_NX_CT_MARK[])"),
        ("any", "sample(probability=10,obs_point_id=reg2,egress,sampling_port=3)"),
    )],
    # Instructions
    *[Case("any", a, min_of=0x04) for a in (
        "meter:1", "meter:1,output:5", "clear_actions", "write_actions(output:5)",
        "write_actions(set_field:5->reg0,output:5,group:1)", "write_actions(set_field:0x5->metadata)",
        "write_actions(drop)", "write_actions(push_vlan:0x8100,set_queue:3,output:LOCAL)",
        "write_metadata:0x5", "write_metadata:0x5/0xff", "write_metadata:0", "write_metadata:5/0xffffffffffffffff",
        "goto_table:60", "output:1,goto_table:61", "clear_actions,goto_table:62",
        "meter:1,output:5,clear_actions,write_actions(output:7),write_metadata:0x1,goto_table:63",
        "write_actions(output:5),goto_table:64", "write_metadata:0x1/0x1,goto_table:65",
    )],
    Case("ip", "write_actions(dec_ttl,set_field:1.1.1.1->ip_dst,output:1)", min_of=0x04),
    Case("vlan", "write_actions(pop_vlan,output:3)", min_of=0x04),
]

# fin_timeout is an OpenFlow 1.0 (NXM) extension only: ovs-ofctl adds it
# with nothing newer (the switch then sends it in every version).
ACTIONS += [Case("any", a, max_of=0x01) for a in (
    "fin_timeout(idle_timeout=5)", "fin_timeout(hard_timeout=10)", "fin_timeout(idle_timeout=5,hard_timeout=10)",
    "fin_timeout()")]

# Whole flows as a bridge beside br-int carries them (ovn-kubernetes' breth0),
# and the flow-level options (timeouts, flags, importance, cookie).
WHOLE: list[Case] = [
    Case("any", "in_port=LOCAL,actions=NORMAL"),
    Case("any", "priority=500,in_port=2,ip,nw_dst=172.30.0.0/16,actions=ct(commit,zone=64001,nat(src=169.254.169.2)),"
                "output:1"),
    Case("any", "priority=100,in_port=1,ip,nw_dst=169.254.169.2,actions=ct(table=1,zone=64001,nat)"),
    Case("any", "priority=10,dl_dst=02:42:ac:11:00:02,actions=output:LOCAL"),
    Case("any", "priority=9,in_port=LOCAL,dl_src=02:42:ac:11:00:02,actions=output:1"),
    Case("any", "priority=13,in_port=1,udp,tp_dst=3784,actions=output:2,LOCAL"),
    Case("any", "priority=50,ip,in_port=1,actions=ct(table=1,zone=64000)"),
    Case("any", "priority=100,ct_state=+trk+est,ct_mark=0x2,actions=output:2"),
    Case("any", "priority=10,arp,actions=FLOOD,CONTROLLER:65535"),
    Case("any", "priority=0,actions=NORMAL"),
    Case("any", "idle_timeout=3000,actions=drop"),
    Case("any", "hard_timeout=4000,actions=drop"),
    Case("any", "idle_timeout=3000,hard_timeout=4000,actions=drop"),
    Case("any", "send_flow_rem,actions=drop"),
    Case("any", "check_overlap,actions=drop"),
    Case("any", "reset_counts,actions=drop", min_of=0x04),
    Case("any", "no_packet_counts,actions=drop", min_of=0x04),
    Case("any", "no_byte_counts,actions=drop", min_of=0x04),
    Case("any", "send_flow_rem,check_overlap,reset_counts,no_packet_counts,no_byte_counts,actions=drop", min_of=0x04),
    Case("any", "importance=5,actions=drop", min_of=0x05),
    Case("any", "importance=65535,idle_timeout=5000,send_flow_rem,actions=drop", min_of=0x05),
    Case("any", "cookie=0,actions=drop"),
    Case("any", "cookie=0xffffffffffffffff,actions=drop"),
]

# What the switch needs before these flows: the group and meter they name,
# and TLV mappings for the tunnel metadata fields (4, 8, 124 and 12 bytes).
SETUP = (
    ("-O", "OpenFlow13", "add-group", "{bridge}", "group_id=1,type=all,bucket=output:1"),
    ("-O", "OpenFlow13", "add-group", "{bridge}", "group_id=4294967040,type=all,bucket=output:2"),
    ("-O", "OpenFlow13", "add-meter", "{bridge}", "meter=1,pktps,band=type=drop,rate=1"),
    ("-O", "OpenFlow13", "add-meter", "{bridge}", "meter=5,pktps,band=type=drop,rate=1"),
    ("add-tlv-map", "{bridge}", "{class=0xffff,type=0,len=4}->tun_metadata0,{class=0xffff,type=1,len=8}"
     "->tun_metadata1,{class=0xffff,type=2,len=124}->tun_metadata2,{class=0x102,type=0x80,len=12}->tun_metadata63"),
)


@dataclass(frozen=True, slots=True)
class Flow:
    text: str  # the flow as ovs-ofctl add-flow takes it
    add_version: int  # the OpenFlow version it is added with


def _base_for(layer: str) -> str:
    return next(b for b, layers in BASES.items() if layer in layers)


def compatible(base: str, cases: list[Case]) -> list[Case]:
    """The cases whose prerequisites ``base`` satisfies."""
    return [c for c in cases if c.layer in BASES[base]]


def corpus(ovs: tuple[int, int]) -> Iterator[Flow]:
    """Every case once per OpenFlow version that can add it, each flow unique
    by table, priority and cookie."""
    n = 0
    for add in ADD_VERSIONS:
        table = {0x01: 1, 0x04: 2, 0x06: 3}[add]
        for kind, cases in (("match", FIELDS), ("action", ACTIONS), ("whole", WHOLE)):
            for case in cases:
                if not case.min_of <= add <= case.max_of or case.since > ovs:
                    continue
                n += 1
                base = _base_for(case.layer)
                if kind == "match":
                    body = f"{base + ',' if base else ''}{case.text},actions=drop"
                elif kind == "action":
                    body = f"{base + ',' if base else ''}actions={case.text}"
                else:
                    body = case.text
                head = f"table={table},priority={n},cookie={n:#x}"
                if kind == "whole":  # these may set their own priority or cookie
                    head = ",".join(p for p in (f"table={table + 10}",
                                                f"priority={n}" if "priority=" not in body else "",
                                                f"cookie={n:#x}" if "cookie=" not in body else "") if p)
                yield Flow(f"{head},{body}", add)
