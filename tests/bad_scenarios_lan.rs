//! Broken spanning tree and VLAN settings, each with the exact error it must produce (file,
//! line, column, message).

use netlab::scenario::Scenario;

mod support;

const BASE: &str = r#"[scenario]
description = "base"

[[host]]
name = "alice"
ip = "10.0.10.1/24"
[[router]]
name = "r1"
interfaces = [
  { name = "eth0" },
  { name = "eth0.10", vlan = 10, ip = "10.0.10.254/24" },
]
[[switch]]
name = "sw1"
access = { 1 = 10 }
trunk = { 2 = [10] }
forward_delay = "15s"

[[link]]
between = ["alice", "sw1:1"]
[[link]]
between = ["r1:eth0", "sw1:2"]
"#;

fn broken(from: &str, to: &str) -> String {
    support::broken(BASE, from, to)
}

#[test]
fn the_base_is_valid() {
    Scenario::parse("base.toml", BASE).unwrap();
}

#[test]
fn a_vlan_id_out_of_range() {
    assert_eq!(
        broken("access = { 1 = 10 }", "access = { 1 = 4095 }"),
        "bad.toml:15:10: `4095` is not a VLAN id: VLANs are numbered 1 to 4094"
    );
}

#[test]
fn a_trunk_without_a_list() {
    assert_eq!(
        broken("trunk = { 2 = [10] }", "trunk = { 2 = 10 }"),
        "bad.toml:16:9: trunk port 2: write the VLANs it carries as a list, such as [10, 20]"
    );
}

/// Found by fuzzing: both were taken silently.
#[test]
fn a_trunk_with_no_vlan_or_one_vlan_twice() {
    assert_eq!(
        broken("trunk = { 2 = [10] }", "trunk = { 2 = [] }"),
        "bad.toml:16:9: trunk port 2 carries no VLAN: list at least one, such as [10]"
    );
    assert_eq!(
        broken("trunk = { 2 = [10] }", "trunk = { 2 = [10, 10] }"),
        "bad.toml:16:9: trunk port 2 lists VLAN 10 twice"
    );
}

#[test]
fn a_port_both_access_and_trunk() {
    assert_eq!(
        broken("trunk = { 2 = [10] }", "trunk = { 1 = [10] }"),
        "bad.toml:16:9: port 1 is both an access port and a trunk"
    );
}

#[test]
fn a_sub_interface_without_its_parent() {
    assert_eq!(
        broken("name = \"eth0.10\"", "name = \"vlan10\""),
        "bad.toml:11:12: a VLAN sub-interface is named after its parent, listed before it: `eth0.10` for VLAN 10 on eth0 (found `vlan10`)"
    );
}

#[test]
fn a_cable_on_a_sub_interface() {
    assert_eq!(
        broken("between = [\"r1:eth0\", \"sw1:2\"]", "between = [\"r1:eth0.10\", \"sw1:2\"]"),
        "bad.toml:22:12: interface eth0.10 of `r1` is already used by link `eth0 (a VLAN sub-interface uses its parent's cable)`"
    );
}

#[test]
fn a_forward_delay_outside_the_standard_range() {
    assert_eq!(
        broken("forward_delay = \"15s\"", "forward_delay = \"2s\""),
        "bad.toml:17:17: forward_delay must be between 4s and 30s (IEEE 802.1D), found 2s"
    );
}
