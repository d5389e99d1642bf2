//! Broken half-duplex hub settings (a shared medium with CSMA/CD), each with the exact error it
//! must produce (file, line, column, message): never a panic.

use netlab::scenario::Scenario;

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
    assert!(BASE.contains(from), "base has no `{from}`");
    match Scenario::parse("bad.toml", &BASE.replacen(from, to, 1)) {
        Ok(_) => panic!("expected an error after replacing `{from}` with `{to}`"),
        Err(e) => e.to_string(),
    }
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
