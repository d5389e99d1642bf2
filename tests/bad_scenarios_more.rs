//! More broken scenario files, each with the exact error it must produce (file, line, column,
//! message): the cases `tests/bad_scenarios.rs` does not have yet. Same two base files.

use netlab::scenario::Scenario;

/// The base of `tests/bad_scenarios.rs`, with a stop time.
const BASE: &str = r#"[scenario]
description = "base"
stop = "2s"

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

/// A host behind a router (shared with the other bad-scenario catalogue).
const ROUTED: &str = include_str!("fixtures/routed.toml");

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

fn routed(from: &str, to: &str) -> String {
    assert!(ROUTED.contains(from), "routed base has no `{from}`");
    error_of(&ROUTED.replacen(from, to, 1))
}

#[test]
fn the_bases_are_valid() {
    Scenario::parse("base.toml", BASE).unwrap();
    Scenario::parse("routed.toml", ROUTED).unwrap();
}

// ---- unknown keys and tables ----

#[test]
fn unknown_key_in_the_scenario_table() {
    assert_eq!(
        broken("stop = \"2s\"", "stop = \"2s\"\nsede = 1"),
        "bad.toml:4:1: unknown key `sede`, expected one of `name`, `description`, `seed`, `stop`, `max_events`, `max_time`"
    );
}

#[test]
fn unknown_table() {
    assert_eq!(
        broken("[[host]]\nname = \"alice\"", "[[hots]]\nname = \"alice\""),
        "bad.toml:5:3: unknown key `hots`, expected one of `scenario`, `link_defaults`, `host`, `router`, `switch`, `hub`, `link`, `tap`, `timeline`, `expect`"
    );
}

// ---- addresses and masks ----

#[test]
fn address_with_an_octet_above_255() {
    assert_eq!(
        routed("ip = \"10.0.1.10/24\"", "ip = \"10.0.1.300/24\""),
        "bad.toml:6:6: `10.0.1.300/24`: `10.0.1.300` is not an IPv4 address (expected four numbers 0-255 separated by dots)"
    );
}

#[test]
fn prefix_longer_than_32() {
    assert_eq!(
        routed("ip = \"10.0.1.10/24\"", "ip = \"10.0.1.10/33\""),
        "bad.toml:6:6: `10.0.1.10/33`: prefix length 33 is too long: an IPv4 prefix is at most 32 bits"
    );
}

#[test]
fn mask_that_is_not_a_dotted_mask() {
    assert_eq!(
        routed(
            "ip = \"10.0.1.10/24\"",
            "ip = \"10.0.1.10\"\nmask = \"255.255.255.256\""
        ),
        "bad.toml:7:8: `255.255.255.256` is not a dotted mask such as 255.255.255.0"
    );
}

#[test]
fn mask_without_an_address() {
    assert_eq!(
        routed("ip = \"10.0.1.10/24\"", "mask = \"255.255.255.0\""),
        "bad.toml:6:8: a mask without an ip: add ip = \"…\""
    );
}

#[test]
fn broadcast_address_on_an_interface() {
    assert_eq!(
        routed("ip = \"10.0.1.10/24\"", "ip = \"10.0.1.255/24\""),
        "bad.toml:6:6: 10.0.1.255 is the broadcast address of 10.0.1.0/24: an interface needs a host address"
    );
}

#[test]
fn gateway_that_is_not_an_address() {
    assert_eq!(
        routed("gateway = \"10.0.1.1\"", "gateway = \"10.0.1\""),
        "bad.toml:7:11: `10.0.1` is not an IPv4 address"
    );
}

#[test]
fn mac_address_too_short() {
    assert_eq!(
        broken(
            "name = \"bob\"\n",
            "name = \"bob\"\nmac = \"02:4e:4c:00:00\"\n"
        ),
        "bad.toml:9:7: `02:4e:4c:00:00` is not a MAC address such as 02:00:00:00:00:01"
    );
}

// ---- units and ranges ----

#[test]
fn negative_delay() {
    assert_eq!(
        broken("bandwidth = \"100Mbps\"", "delay = \"-5us\""),
        "bad.toml:15:9: duration `-5us` is negative or too large"
    );
}

#[test]
fn unitless_delay() {
    assert_eq!(
        broken("bandwidth = \"100Mbps\"", "delay = 5"),
        "bad.toml:15:9: `5` has no unit: write it as a string with a unit, such as \"5ms\""
    );
}

#[test]
fn zero_bandwidth() {
    assert_eq!(
        broken("\"100Mbps\"", "\"0Mbps\""),
        "bad.toml:15:13: a link's bandwidth must be above zero, found `0Mbps`"
    );
}

#[test]
fn negative_queue() {
    assert_eq!(
        broken("bandwidth = \"100Mbps\"", "queue = -1"),
        "bad.toml:15:9: queue (frames that may wait) must be between 0 and 1000000, found -1"
    );
}

#[test]
fn mtu_too_small() {
    assert_eq!(
        broken("bandwidth = \"100Mbps\"", "mtu = 10"),
        "bad.toml:15:7: mtu must be between 68 and 9000, found 10"
    );
}

#[test]
fn switch_without_ports() {
    assert_eq!(
        broken("ports = 2", "ports = 0"),
        "bad.toml:11:9: ports must be between 1 and 4096, found 0"
    );
}

#[test]
fn negative_seed() {
    assert_eq!(
        broken("stop = \"2s\"", "stop = \"2s\"\nseed = -1"),
        "bad.toml:4:8: seed must be zero or positive"
    );
}

#[test]
fn zero_max_events() {
    assert_eq!(
        broken("stop = \"2s\"", "stop = \"2s\"\nmax_events = 0"),
        "bad.toml:4:14: max_events must be between 1 and 9223372036854775807, found 0"
    );
}

#[test]
fn unitless_max_time() {
    assert_eq!(
        broken("stop = \"2s\"", "max_time = \"5\""),
        "bad.toml:3:12: `5` has no unit: write it as `5s`, `5ms`, `5us` or `5ns`"
    );
}

// ---- links ----

#[test]
fn link_joining_a_switch_port_to_itself() {
    assert_eq!(
        broken("[\"bob\", \"sw1:2\"]", "[\"sw1:2\", \"sw1:2\"]"),
        "bad.toml:17:11: a link cannot join a port to itself"
    );
}

#[test]
fn link_joining_a_single_interface_host_to_itself() {
    assert_eq!(
        broken("[\"bob\", \"sw1:2\"]", "[\"bob\", \"bob\"]"),
        "bad.toml:17:11: a link cannot join a port to itself"
    );
}

#[test]
fn link_to_a_missing_interface() {
    assert_eq!(
        routed("[\"alice\", \"r1:eth0\"]", "[\"alice\", \"r1:eth9\"]"),
        "bad.toml:12:21: host `r1` has no interface `eth9`; it has `eth0`, `eth1`"
    );
}

// ---- timeline ----

#[test]
fn timeline_action_on_a_link_that_does_not_exist() {
    assert_eq!(
        broken(
            "1ms alice send-frame to=bob text=\"hi\"",
            "2ms link nolink down"
        ),
        "bad.toml:21:10: no link called `nolink`; the links are `alice--sw1`, `bob--sw1`"
    );
}

#[test]
fn unknown_link_action() {
    assert_eq!(
        broken(
            "1ms alice send-frame to=bob text=\"hi\"",
            "2ms link alice--sw1 sideways"
        ),
        "bad.toml:21:21: unknown link action `sideways`: expected down, up, set, drop, corrupt, delay or duplicate"
    );
}

#[test]
fn link_set_needs_a_probability() {
    assert_eq!(
        broken(
            "1ms alice send-frame to=bob text=\"hi\"",
            "2ms link alice--sw1 set loss=5%"
        ),
        "bad.toml:21:30: `5%` is not a probability per frame between 0 and 1 (such as 0.05)"
    );
    assert_eq!(
        broken(
            "1ms alice send-frame to=bob text=\"hi\"",
            "2ms link alice--sw1 set"
        ),
        "bad.toml:21:21: `link … set` needs what to set: loss=P"
    );
}

#[test]
fn frame_to_a_node_that_does_not_exist() {
    assert_eq!(
        broken("to=bob", "to=carol"),
        "bad.toml:21:25: `carol` is not a node, a MAC address or `broadcast`; the nodes are `alice`, `bob`, `sw1`"
    );
}

#[test]
fn negative_time_in_the_timeline() {
    assert_eq!(
        broken("1ms alice", "-1ms alice"),
        "bad.toml:21:1: expected a time such as `1ms` or `+5ms` at the start of the line: duration `-1ms` is negative or too large"
    );
}

#[test]
fn a_switch_cannot_send_frames() {
    assert_eq!(
        broken("1ms alice send", "1ms sw1 send"),
        "bad.toml:21:1: only hosts send frames; switches and hubs only pass them on"
    );
}

#[test]
fn action_after_the_stop_time() {
    assert_eq!(
        broken("1ms alice send", "3s alice send"),
        "bad.toml:21:1: this action at 3s comes after the run stops (stop = 2s): it would never happen"
    );
}

/// A count is expanded into that many scheduled frames when the file is loaded: before the
/// bound, `count=4294967295` tried to allocate four billion actions.
#[test]
fn send_frame_count_beyond_what_can_be_scheduled() {
    assert_eq!(
        broken("text=\"hi\"", "text=\"hi\" count=4294967295"),
        "bad.toml:21:45: `4294967295` is not a count of 1 to 100000 (each frame is scheduled when the file is loaded)"
    );
}

/// `udp-send count=` made every datagram when the file was loaded, with no bound: a million
/// 65507-byte datagrams ran out of memory. The count is bounded as `send-frame`'s is, and the
/// datagrams are made as they are sent, so the largest count loads at once.
#[test]
fn udp_send_count_is_bounded_and_costs_nothing_at_load() {
    let line = "1s alice ping r1 count=1";
    assert_eq!(
        routed(
            line,
            "1s alice udp-send to=10.0.1.1:9 count=1000000 size=65507"
        ),
        "bad.toml:16:39: `1000000` is not a count of 0 to 100000"
    );
    let most = ROUTED.replacen(
        line,
        "1s alice udp-send to=10.0.1.1:9 count=100000 size=65507",
        1,
    );
    let t = std::time::Instant::now();
    Scenario::parse("most.toml", &most).unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn ping_count_zero() {
    assert_eq!(
        routed("count=1", "count=0"),
        "bad.toml:16:24: `0` is not a count of 1 or more"
    );
}

#[test]
fn ping_to_an_address_with_a_bad_octet() {
    assert_eq!(
        routed("alice ping r1 count=1", "alice ping 10.0.9.300"),
        "bad.toml:16:15: `10.0.9.300` is neither an IPv4 address nor a host with one; the nodes are `alice`, `r1`"
    );
}

#[test]
fn route_with_a_prefix_longer_than_32() {
    assert_eq!(
        routed(
            "alice ping r1 count=1",
            "alice route add 10.0.9.0/33 via 10.0.1.1"
        ),
        "bad.toml:16:20: `10.0.9.0/33`: prefix length 33 is too long: an IPv4 prefix is at most 32 bits"
    );
}

#[test]
fn interface_that_does_not_exist_in_the_timeline() {
    assert_eq!(
        routed("alice ping r1 count=1", "alice interface eth7 down"),
        "bad.toml:16:20: no interface `eth7`; it has `eth0`"
    );
}

// ---- expectations ----

#[test]
fn expectation_about_a_node_that_does_not_exist() {
    assert_eq!(
        broken("end bob.raw_delivered == 1", "end carol.rx_frames == 1"),
        "bad.toml:26:5: no node or link called `carol`; the nodes are `alice`, `bob`, `sw1`; the links are `alice--sw1`, `bob--sw1`"
    );
}

#[test]
fn expectation_after_the_stop_time_can_never_be_checked() {
    assert_eq!(
        broken(
            "end bob.raw_delivered == 1",
            "at 5s bob.raw_delivered == 1"
        ),
        "bad.toml:26:4: this check at 5s comes after the run stops (stop = 2s): it could never be made"
    );
}

#[test]
fn expectation_about_an_unknown_link_counter() {
    assert_eq!(
        broken(
            "end bob.raw_delivered == 1",
            "end alice--sw1.nothing == 1"
        ),
        "bad.toml:26:16: a link has no counter `nothing`: expected one of frames, bytes, queue_drops, down_drops, corrupted_frames, bit_errors, lost, lost_in_flight, collisions, late_collisions, excessive_collisions, undetected_collisions"
    );
}

#[test]
fn expectation_with_a_negative_number() {
    assert_eq!(
        broken("== 1", "== -1"),
        "bad.toml:26:26: expected a whole number or NAME.COUNTER, found `-1`"
    );
}

#[test]
fn expectation_with_an_unknown_comparison() {
    assert_eq!(
        broken("== 1", "~ 1"),
        "bad.toml:26:23: expected a comparison (== != < <= > >=), found `~`"
    );
}

#[test]
fn mac_table_check_for_an_unknown_station() {
    assert_eq!(
        broken("end bob.raw_delivered == 1", "end sw1 mac-table has carol"),
        "bad.toml:26:23: `carol` is neither a host nor a MAC address"
    );
}

#[test]
fn expectation_at_a_negative_time() {
    assert_eq!(
        broken("end bob.raw_delivered", "at -1ms bob.raw_delivered"),
        "bad.toml:26:4: expected a time such as `1ms` or `+5ms` at the start of the line: duration `-1ms` is negative or too large"
    );
}

// ---- DHCP (issue #17) ----

#[test]
fn dhcp_address_with_a_mask() {
    assert_eq!(
        routed(
            "ip = \"10.0.1.10/24\"",
            "ip = \"dhcp\"\nmask = \"255.255.255.0\""
        ),
        "bad.toml:7:8: the mask comes from DHCP with the address"
    );
}

#[test]
fn dhcp_on_a_router_interface() {
    assert_eq!(
        routed("{ ip = \"10.0.2.1/24\" }", "{ ip = \"dhcp\" }"),
        "bad.toml:10:46: a router's interfaces need fixed addresses, not DHCP"
    );
}

#[test]
fn a_relay_on_a_host() {
    assert_eq!(
        routed(
            "ip = \"10.0.1.10/24\"\ngateway",
            "interfaces = [{ ip = \"10.0.1.10/24\", helper = \"10.0.2.5\" }]\ngateway"
        ),
        "bad.toml:6:47: `helper` (a DHCP relay) belongs on a router's interface"
    );
}

/// A relay's server must be one host: these were taken, and DHCP then failed without a word
/// (found by fuzzing).
#[test]
fn a_relay_to_no_server() {
    for (addr, why) in [
        ("0.0.0.0", "0.0.0.0 is no server"),
        (
            "255.255.255.255",
            "a relay sends to one server, not to the broadcast address",
        ),
        ("127.0.0.1", "a loopback address is the router itself"),
    ] {
        assert_eq!(
            routed(
                "{ ip = \"10.0.2.1/24\" }",
                &format!("{{ ip = \"10.0.2.1/24\", helper = \"{addr}\" }}")
            ),
            format!("bad.toml:10:70: `helper = \"{addr}\"`: {why}")
        );
    }
}

#[test]
fn a_dhcp_pool_that_is_not_a_range() {
    assert_eq!(
        routed(
            "gateway = \"10.0.1.1\"",
            "gateway = \"10.0.1.1\"\ndhcp_pools = [{ range = \"10.0.1.100/24\" }]"
        ),
        "bad.toml:8:25: `10.0.1.100/24` is not a range such as \"10.0.0.100-10.0.0.199/24\""
    );
    assert_eq!(
        routed(
            "gateway = \"10.0.1.1\"",
            "gateway = \"10.0.1.1\"\ndhcp_pools = [{ range = \"10.0.1.100-10.0.2.9/24\" }]"
        ),
        "bad.toml:8:25: 10.0.1.100-10.0.2.9 is not a range inside 10.0.1.0/24"
    );
    assert_eq!(
        routed(
            "gateway = \"10.0.1.1\"",
            "gateway = \"10.0.1.1\"\ndhcp_pools = [{ range = \"10.0.1.100-10.0.1.120/24\", router = \"10.0.9.1\" }]"
        ),
        "bad.toml:8:62: router 10.0.9.1 is outside 10.0.1.0/24"
    );
}

#[test]
fn a_dhcp_client_without_a_stop_time() {
    let text = include_str!("../scenarios/lessons/dhcp-lease-and-relay.toml").replacen(
        "stop = \"40s\"\n",
        "",
        1,
    );
    assert_eq!(
        error_of(&text),
        "bad.toml:28:6: a DHCP client renews its lease for ever: give the scenario a `stop` time ([scenario] stop = \"60s\")"
    );
}

// ---- DNS (issue #17) ----

#[test]
fn a_dns_record_that_is_not_a_record() {
    let zone = |line: &str| {
        routed(
            "gateway = \"10.0.1.1\"",
            &format!("gateway = \"10.0.1.1\"\ndns_zone = [\"{line}\"]"),
        )
    };
    assert_eq!(
        zone("www.lab A 10.0.0.1"),
        "bad.toml:8:13: `www.lab A 10.0.0.1`: a record is NAME TTL A ADDRESS or NAME TTL PTR NAME, e.g. \"www.lab 300 A 10.0.0.80\""
    );
    assert_eq!(
        zone("www.lab 300 MX mail.lab"),
        "bad.toml:8:13: record type `MX`: netlab's DNS server has A and PTR records"
    );
    assert_eq!(
        zone("www..lab 300 A 10.0.0.1"),
        "bad.toml:8:13: `www..lab` is not a domain name"
    );
    assert_eq!(
        routed(
            "gateway = \"10.0.1.1\"",
            "gateway = \"10.0.1.1\"\ndns = \"ns.lab\""
        ),
        "bad.toml:8:7: `ns.lab` is not an IPv4 address (the DNS server)"
    );
}
