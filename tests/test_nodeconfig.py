"""NodeConfig over hand-made rows shaped as ovsdbapp returns them."""

from typing import Any

from flowprog.nodeconfig import NodeConfig, parse_pf_mapping
from mvcore.ovsdb_rows import ovs_state


def rows(vif_ids: dict[str, str], ovs_ext: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    ext = {"system-id": "n1", "ovn-encap-ip": "10.0.0.1,10.0.0.2",
           "ovn-pf-encap-ip-mapping": "enp1s0f0:10.0.0.1,enp2s0f0:10.0.0.2", **(ovs_ext or {})}
    return {
        "Open_vSwitch": [{"_uuid": "o", "external_ids": ext, "other_config": {"hw-offload": "true"},
                          "ovs_version": "3.5.0"}],
        "Bridge": [{"_uuid": "b1", "name": "br-int", "ports": ["p1", "p2"]},
                   {"_uuid": "b2", "name": "br-ex", "ports": ["p3"]}],
        "Port": [
            {"_uuid": "p1", "name": "vf0", "interfaces": ["i1"], "external_ids": {}},
            {"_uuid": "p2", "name": "ovn-r-0", "interfaces": ["i2"],
             "external_ids": {"ovn-chassis-id": "remote-1@10.1.0.1%10.0.0.2"}},
            {"_uuid": "p3", "name": "other", "interfaces": ["i3"], "external_ids": {}},
        ],
        "Interface": [
            {"_uuid": "i1", "name": "vf0", "type": "", "ofport": 7, "external_ids": vif_ids, "options": {}},
            {"_uuid": "i2", "name": "ovn-r-0", "type": "geneve", "ofport": [], "external_ids": {},
             "options": {"local_ip": "10.0.0.2", "remote_ip": "10.1.0.1", "key": "flow"}},
            {"_uuid": "i3", "name": "other", "type": "", "ofport": 1, "external_ids": {"iface-id": "x"},
             "options": {}},
        ],
    }


def test_reads_vteps_vifs_and_tunnels_of_the_bridge_only() -> None:
    node = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a", "encap-ip": "10.0.0.2"})), "br-int")
    assert node.encap_ips == ("10.0.0.1", "10.0.0.2")
    spaced = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a"}, {"ovn-encap-ip": "10.0.0.1, 10.0.0.2"})),
                                   "br-int")
    assert spaced.encap_ips == ("10.0.0.1", " 10.0.0.2")  # as OVN splits it: nothing trimmed
    assert node.pf_mapping.pf_of("10.0.0.2") == "enp2s0f0"
    assert node.hw_offload and node.ovs_version == "3.5.0"
    assert [(v.name, v.ofport, v.iface_id, v.encap_ip) for v in node.vifs] == [("vf0", 7, "pod-a", "10.0.0.2")]
    (t,) = node.tunnels
    assert (t.local_ip, t.remote_ip, t.remote_chassis, t.ofport) == ("10.0.0.2", "10.1.0.1", "remote-1", None)


def test_design_doc_key_is_kept_apart_from_the_real_one() -> None:
    node = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a", "ovn-encap-ip": "10.0.0.2"})), "br-int")
    assert node.vifs[0].encap_ip is None
    assert node.vifs[0].misnamed_encap_ip == "10.0.0.2"


def test_pf_mapping_is_parsed_as_ovnkube_node_parses_it() -> None:
    m = parse_pf_mapping("enp1s0f0:10.0.0.1,,enp2s0f0,:10.0.0.3,a:b:c,p:fd00::1, enp3s0f0:10.0.0.3,enp1s0f0:10.0.0.2")
    assert m.pairs == (("enp1s0f0", "10.0.0.1"), ("", "10.0.0.3"), (" enp3s0f0", "10.0.0.3"),
                       ("enp1s0f0", "10.0.0.2"))
    assert m.malformed == ("", "enp2s0f0", "a:b:c", "p:fd00::1")
    assert m.effective == {"enp1s0f0": "10.0.0.2", "": "10.0.0.3", " enp3s0f0": "10.0.0.3"}  # the last wins
    assert m.pf_of("10.0.0.1") is None and m.pf_of("10.0.0.2") == "enp1s0f0"
    assert not parse_pf_mapping("").malformed


def test_the_override_file_names_the_chassis_and_its_keys_win() -> None:
    ext = {"ovn-encap-ip-other": "10.9.0.1,10.9.0.2", "ovn-encap-ip-default-other": "10.9.0.2",
           "ovn-encap-ip-n1": "10.8.0.1", "ovn-pf-encap-ip-mapping-other": "enp9s0f0:10.9.0.1"}
    node = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a"}, ext)), "br-int", "other\nignored")
    assert node.chassis == "other" and node.system_id == "n1"
    assert node.encap_ips == ("10.9.0.1", "10.9.0.2") and node.encap_ip_default == "10.9.0.2"
    assert (node.encap_ip_key, node.default_key) == ("ovn-encap-ip-other", "ovn-encap-ip-default-other")
    # ovnkube-node reads only the generic mapping key
    assert node.pf_mapping.effective == {"enp1s0f0": "10.0.0.1", "enp2s0f0": "10.0.0.2"}
    without = NodeConfig.from_state(ovs_state(rows({"iface-id": "pod-a"}, ext)), "br-int", "")
    assert without.chassis == "n1" and without.encap_ips == ("10.8.0.1",)
