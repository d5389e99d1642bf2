//! Broken shared-medium settings (CSMA/CD: half-duplex hubs, `medium = "shared"` links), each
//! with the exact error it must produce (file, line, column, message): never a panic.

use netlab::scenario::Scenario;

mod support;

const BASE: &str = r#"[scenario]
description = "base"

[[host]]
name = "a"
[[host]]
name = "b"
[[hub]]
name = "hub1"
half_duplex = true
[[hub]]
name = "hub2"

[[link]]
between = ["a", "hub1"]
[[link]]
between = ["b", "hub1"]
[[link]]
between = ["hub1", "hub2"]
"#;

fn broken(from: &str, to: &str) -> String {
    support::broken(BASE, from, to)
}

#[test]
fn the_base_is_valid() {
    Scenario::parse("base.toml", BASE).unwrap();
}

#[test]
fn half_duplex_must_be_true_or_false() {
    let e = broken("half_duplex = true", "half_duplex = \"yes\"");
    assert!(e.starts_with("bad.toml:10:15: "), "{e}");
    assert!(e.contains("expected a boolean"), "{e}");
}

#[test]
fn a_misspelt_key_names_the_right_ones() {
    let e = broken("half_duplex = true", "halfduplex = true");
    assert_eq!(
        e,
        "bad.toml:10:1: unknown key `halfduplex`, expected one of `name`, `ports`, `half_duplex`"
    );
}

#[test]
fn two_half_duplex_hubs_cannot_share_a_cable() {
    assert_eq!(
        broken("name = \"hub2\"", "name = \"hub2\"\nhalf_duplex = true"),
        "bad.toml:20:11: `hub1` and `hub2` are both half-duplex hubs: a cable between them \
         would make one collision domain of two repeaters, which netlab does not model; use \
         one hub with more ports"
    );
}

#[test]
fn the_cables_of_a_shared_medium_have_one_bit_rate() {
    assert_eq!(
        broken(
            "between = [\"b\", \"hub1\"]",
            "between = [\"b\", \"hub1\"]\nbandwidth = \"10Mbps\""
        ),
        "bad.toml:17:11: the cables of half-duplex hub `hub1` are one shared medium with one bit \
         rate: `b--hub1` is 10Mbps, but `a--hub1` is 100Mbps"
    );
}

#[test]
fn a_hub_counter_that_does_not_exist() {
    let text = format!("{BASE}\n[expect]\nchecks = '''\nend hub1.collision == 0\n'''\n");
    let e = Scenario::parse("bad.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("collisions, late_collisions, excessive_collisions, undetected_collisions"),
        "{e}"
    );
}

/// A shared link (`medium = "shared"`): one half-duplex cable between two stations.
const LINK_BASE: &str = r#"[scenario]
description = "base"

[[host]]
name = "a"
[[host]]
name = "b"
[[host]]
name = "c"
[[switch]]
name = "sw1"
[[hub]]
name = "hub1"

[[link]]
between = ["a", "b"]
medium = "shared"
[[link]]
between = ["c", "sw1"]
medium = "shared"
[[link]]
between = ["sw1", "hub1"]
"#;

fn broken_link(from: &str, to: &str) -> String {
    assert!(LINK_BASE.contains(from), "base has no `{from}`");
    match Scenario::parse("bad.toml", &LINK_BASE.replacen(from, to, 1)) {
        Ok(_) => panic!("expected an error after replacing `{from}` with `{to}`"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_shared_link_between_hosts_or_to_a_switch_port_is_valid() {
    let scn = Scenario::parse("base.toml", LINK_BASE).unwrap();
    let shared: Vec<bool> = scn.links.iter().map(|l| l.shared).collect();
    assert_eq!(shared, vec![true, true, false]);
    let explicit = LINK_BASE.replacen(
        "between = [\"sw1\", \"hub1\"]",
        "between = [\"sw1\", \"hub1\"]\nmedium = \"full-duplex\"",
        1,
    );
    assert!(!Scenario::parse("base.toml", &explicit).unwrap().links[2].shared);
}

#[test]
fn an_unknown_medium_is_named_with_the_ones_there_are() {
    assert_eq!(
        broken_link("medium = \"shared\"", "medium = \"half-duplex\""),
        "bad.toml:17:10: `half-duplex` is not a medium: use \"full-duplex\" (the default: each \
         direction its own line) or \"shared\" (one half-duplex cable, CSMA/CD)"
    );
}

#[test]
fn a_medium_is_a_string() {
    let e = broken_link("medium = \"shared\"", "medium = true");
    assert!(e.starts_with("bad.toml:17:10: "), "{e}");
    assert!(e.contains("expected a string"), "{e}");
}

#[test]
fn a_medium_is_a_cable_s_own_not_a_default() {
    let e = broken_link(
        "[[host]]\nname = \"a\"",
        "[link_defaults]\nmedium = \"shared\"\n[[host]]\nname = \"a\"",
    );
    assert_eq!(
        e,
        "bad.toml:5:1: unknown key `medium`, expected one of `bandwidth`, `delay`, `queue`, \
         `ber`, `mtu`, `loss`"
    );
}

#[test]
fn a_shared_link_to_a_hub_is_refused() {
    assert_eq!(
        broken_link(
            "between = [\"sw1\", \"hub1\"]",
            "between = [\"sw1\", \"hub1\"]\nmedium = \"shared\""
        ),
        "bad.toml:23:10: `sw1--hub1` is `medium = \"shared\"`, but `hub1` is a hub, a repeater: \
         its cables are all full duplex, or all one shared medium with `half_duplex = true` on \
         the hub; one shared cable to it is not modelled"
    );
    assert_eq!(
        broken_link(
            "name = \"hub1\"",
            "name = \"hub1\"\nhalf_duplex = true\n[[host]]\nname = \"d\"\n[[link]]\nbetween = [\"hub1\", \"d\"]\nmedium = \"shared\""
        ),
        "bad.toml:19:10: `hub1--d` is `medium = \"shared\"`, but `hub1` is a half-duplex hub, \
         whose cables are already one shared medium: leave `medium` out"
    );
}

#[test]
fn a_shared_link_has_the_csma_counters() {
    let text = format!("{LINK_BASE}\n[expect]\nchecks = '''\nend a--b.collisions == 0\nend sw1--hub1.late_collisions == 0\n'''\n");
    Scenario::parse("ok.toml", &text).unwrap();
}
