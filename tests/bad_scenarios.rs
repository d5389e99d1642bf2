//! A catalogue of broken scenario files, each with the exact error it must produce:
//! file, line, column and what was expected. None may panic.

use netlab::scenario::Scenario;

/// A valid base scenario; each case breaks one thing in it.
const BASE: &str = r#"[scenario]
description = "base"

[[host]]
name = "alice"
[[host]]
name = "bob"
[[switch]]
name = "sw1"
ports = 2

[[link]]
between = ["alice", "sw1:1"]
bandwidth = "100Mbps"
[[link]]
between = ["bob", "sw1:2"]

[timeline]
steps = '''
1ms alice send-frame to=bob text="hi"
'''

[expect]
checks = '''
end bob.raw_delivered == 1
'''
"#;

fn error_of(text: &str) -> String {
    match Scenario::parse("bad.toml", text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn broken(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "base has no `{from}`");
    error_of(&BASE.replacen(from, to, 1))
}

#[test]
fn the_base_is_valid() {
    Scenario::parse("base.toml", BASE).unwrap();
}

#[test]
fn unknown_key() {
    assert_eq!(
        broken("bandwidth = \"100Mbps\"", "bandwith = \"100Mbps\""),
        "bad.toml:14:1: unknown key `bandwith`, expected one of `name`, `between`, `bandwidth`, `delay`, `queue`, `ber`, `mtu`, `loss`, `medium`"
    );
}

#[test]
fn bad_unit() {
    assert_eq!(
        broken("\"100Mbps\"", "\"100Mbs\""),
        "bad.toml:14:13: unknown rate unit `Mbs` in `100Mbs`: expected one of bps, kbps, Mbps, Gbps"
    );
}

#[test]
fn unitless_bandwidth() {
    assert_eq!(
        broken("\"100Mbps\"", "100"),
        "bad.toml:14:13: `100` has no unit: write it as a string with a unit, such as \"100Mbps\""
    );
}

#[test]
fn negative_bandwidth() {
    assert_eq!(
        broken("\"100Mbps\"", "\"-5Mbps\""),
        "bad.toml:14:13: expected a rate such as `100Mbps` or `1Gbps`, found `-5Mbps`"
    );
}

#[test]
fn link_to_a_missing_node() {
    assert_eq!(
        broken("[\"bob\", \"sw1:2\"]", "[\"bob\", \"sw2:2\"]"),
        "bad.toml:16:19: no node called `sw2`; the nodes are `alice`, `bob`, `sw1`"
    );
}

#[test]
fn link_to_a_port_that_does_not_exist() {
    assert_eq!(
        broken("[\"bob\", \"sw1:2\"]", "[\"bob\", \"sw1:3\"]"),
        "bad.toml:16:19: `sw1` has ports 1 to 2; there is no port 3"
    );
}

#[test]
fn port_used_twice() {
    assert_eq!(
        broken("[\"bob\", \"sw1:2\"]", "[\"bob\", \"sw1:1\"]"),
        "bad.toml:16:19: port 1 of `sw1` is already used by link `alice--sw1`"
    );
}

#[test]
fn duplicate_mac() {
    assert_eq!(
        broken(
            "name = \"bob\"\n",
            "name = \"bob\"\nmac = \"02:4e:4c:00:00:01\"\n"
        ),
        "bad.toml:8:7: duplicate MAC address 02:4e:4c:00:00:01: `alice` has it too"
    );
}

#[test]
fn duplicate_name() {
    assert_eq!(
        broken("name = \"bob\"", "name = \"alice\""),
        "bad.toml:7:8: the name `alice` is already used (line 5)"
    );
}

#[test]
fn unknown_host_in_the_timeline() {
    assert_eq!(
        broken("1ms alice send", "1ms alise send"),
        "bad.toml:20:5: no node called `alise`; the nodes are `alice`, `bob`, `sw1` (or write `link NAME …`)"
    );
}

#[test]
fn unknown_action() {
    assert_eq!(
        broken("send-frame to=bob", "send-frme to=bob"),
        "bad.toml:20:11: unknown action `send-frme` for a node: expected one of send-frame, ping, traceroute, route, arp, interface, echo-server, line-client, bulk-send, bulk-sink, udp-echo, udp-send, udp-sink, python, or a socket call such as `s = socket(tcp)`"
    );
}

#[test]
fn unknown_option_of_an_action() {
    assert_eq!(
        broken("text=\"hi\"", "txt=\"hi\""),
        "bad.toml:20:29: unknown option `txt` for send-frame: expected one of `to`, `text`, `hex`, `size`, `ethertype`, `via`, `count`, `every`"
    );
}

#[test]
fn time_without_unit_in_the_timeline() {
    assert_eq!(
        broken("1ms alice", "1 alice"),
        "bad.toml:20:1: expected a time such as `1ms` or `+5ms` at the start of the line: `1` has no unit: write it as `1s`, `1ms`, `1us` or `1ns`"
    );
}

#[test]
fn unclosed_quote_in_the_timeline() {
    assert_eq!(
        broken("text=\"hi\"", "text=\"hi"),
        "bad.toml:20:34: this quote is never closed"
    );
}

#[test]
fn unknown_counter_in_an_expectation() {
    assert_eq!(
        broken("bob.raw_delivered", "bob.delivered"),
        format!(
            "bad.toml:25:9: a host has no counter `delivered`: expected one of {}",
            netlab::sim::counter_names("host").join(", ")
        )
    );
}

#[test]
fn an_expectation_that_can_never_be_checked() {
    assert_eq!(
        broken("end bob.raw_delivered == 1", "end bob mac-table has alice"),
        "bad.toml:25:5: `bob` is not a switch, so it has no MAC table"
    );
}

#[test]
fn an_expectation_without_a_time() {
    assert_eq!(
        broken("end bob.raw", "bob.raw"),
        "bad.toml:25:1: an expectation starts with `end` or `at TIME`"
    );
}

#[test]
fn unknown_drop_reason() {
    assert_eq!(
        broken("end bob.raw_delivered == 1", "end dropped reason=fcs"),
        format!(
            "bad.toml:25:20: unknown drop reason `fcs`: expected one of {}",
            netlab::trace::DROP_REASONS.join(", ")
        )
    );
}

#[test]
fn toml_syntax_error() {
    let e = broken("name = \"bob\"", "name = \"bob");
    assert!(e.starts_with("bad.toml:7:"), "{e}");
}

#[test]
fn missing_scenario_table() {
    let e = error_of("[[host]]\nname = \"a\"\n");
    assert!(e.contains("missing key `scenario`"), "{e}");
}

#[test]
fn a_link_needs_two_ends() {
    assert_eq!(
        broken("[\"bob\", \"sw1:2\"]", "[\"bob\"]"),
        "bad.toml:16:11: a link joins exactly two ports, found 1: write between = [\"a\", \"b\"]"
    );
}

#[test]
fn bit_error_rate_out_of_range() {
    assert_eq!(
        broken("bandwidth = \"100Mbps\"", "ber = 2.0"),
        "bad.toml:14:7: ber is a probability per bit, between 0 and 1 (such as 1e-6), found 2"
    );
}

#[test]
fn missing_file() {
    let e = Scenario::load("/no/such/file.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("/no/such/file.toml: cannot read the scenario file"),
        "{e}"
    );
}

// ---- network layer ----

/// A host behind a router (shared with the other bad-scenario catalogue).
const ROUTED: &str = include_str!("fixtures/routed.toml");

fn routed(from: &str, to: &str) -> String {
    assert!(ROUTED.contains(from), "routed base has no `{from}`");
    error_of(&ROUTED.replacen(from, to, 1))
}

#[test]
fn the_routed_base_is_valid() {
    Scenario::parse("routed.toml", ROUTED).unwrap();
}

#[test]
fn gateway_outside_the_subnet() {
    assert_eq!(
        routed("gateway = \"10.0.1.1\"", "gateway = \"10.0.2.1\""),
        "bad.toml:7:11: gateway 10.0.2.1 is outside `alice`'s subnet (10.0.1.0/24): a gateway must be on a local network"
    );
}

#[test]
fn non_contiguous_mask() {
    let e = routed(
        "ip = \"10.0.1.10/24\"",
        "ip = \"10.0.1.10\"\nmask = \"255.0.255.0\"",
    );
    assert!(e.starts_with("bad.toml:7:8: "), "{e}");
    assert!(e.contains("contiguous"), "{e}");
}

#[test]
fn address_without_a_mask() {
    assert_eq!(
        routed("ip = \"10.0.1.10/24\"", "ip = \"10.0.1.10\""),
        "bad.toml:6:6: `10.0.1.10` has no subnet mask: write `10.0.1.10/24` or add mask = \"255.255.255.0\""
    );
}

#[test]
fn duplicate_ip_address() {
    assert_eq!(
        routed("{ ip = \"10.0.2.1/24\" }", "{ ip = \"10.0.1.10/24\" }"),
        "bad.toml:10:46: duplicate IP address 10.0.1.10: `alice` has it too (line 6)"
    );
}

#[test]
fn network_address_on_an_interface() {
    assert_eq!(
        routed("ip = \"10.0.1.10/24\"", "ip = \"10.0.1.0/24\""),
        "bad.toml:6:6: 10.0.1.0 is the network address of 10.0.1.0/24: an interface needs a host address"
    );
}

#[test]
fn bad_route() {
    assert_eq!(
        routed(
            "interfaces = [{ ip = \"10.0.1.1/24\" }, { ip = \"10.0.2.1/24\" }]",
            "interfaces = [{ ip = \"10.0.1.1/24\" }]\nroutes = [\"10.0.9.0/24 via 10.0.8.1\"]"
        ),
        "bad.toml:11:11: gateway 10.0.8.1 is not on any of this node's subnets (10.0.1.0/24)"
    );
}

#[test]
fn ping_to_an_unknown_host() {
    assert_eq!(
        routed("alice ping r1", "alice ping r9"),
        "bad.toml:16:15: `r9` is neither an IPv4 address nor a host with one; the nodes are `alice`, `r1`"
    );
}

#[test]
fn unknown_ping_option() {
    assert_eq!(
        routed("count=1", "cuont=1"),
        "bad.toml:16:18: unknown option `cuont` for ping: expected one of `count`, `interval`, `size`, `ttl`, `df`, `linger`, `as`"
    );
}

#[test]
fn unknown_tcp_setting() {
    let e = routed(
        "gateway = \"10.0.1.1\"",
        "gateway = \"10.0.1.1\"\ntcp = { timewait = \"5s\" }",
    );
    assert!(
        e.starts_with("bad.toml:8:9: unknown key `timewait`, expected one of"),
        "{e}"
    );
    assert!(e.contains("`time_wait`"), "{e}");
}

#[test]
fn tcp_setting_without_a_unit() {
    assert_eq!(
        routed(
            "gateway = \"10.0.1.1\"",
            "gateway = \"10.0.1.1\"\ntcp = { min_rto = 200 }"
        ),
        "bad.toml:8:19: `200` has no unit: write it as a string with a unit, such as \"200ms\""
    );
}

/// A written max_rto below the default min_rto (or the reverse) was taken silently; only both
/// written were compared (found by fuzzing).
#[test]
fn rto_bounds_that_cross() {
    let with = |tcp: &str| {
        routed(
            "gateway = \"10.0.1.1\"",
            &format!("gateway = \"10.0.1.1\"\ntcp = {{ {tcp} }}"),
        )
    };
    assert_eq!(
        with("max_rto = \"0s\""),
        "bad.toml:8:19: max_rto is below min_rto (200ms by default)"
    );
    assert_eq!(
        with("min_rto = \"200s\""),
        "bad.toml:8:19: min_rto is above max_rto (120s by default)"
    );
    assert!(with("min_rto = \"2s\", max_rto = \"1s\"").ends_with("min_rto is above max_rto"));
}

#[test]
fn unknown_tcp_profile() {
    assert_eq!(
        routed(
            "gateway = \"10.0.1.1\"",
            "gateway = \"10.0.1.1\"\ntcp = { profile = \"bsd\" }"
        ),
        "bad.toml:8:19: unknown TCP profile \"bsd\": expected \"linux\" or \"textbook\""
    );
}
