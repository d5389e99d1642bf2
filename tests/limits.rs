//! Runaways end with a clear error at a bounded event count or simulated time, never a hang:
//! a broadcast storm, an application that never stops, a TCP sender that probes a closed
//! window forever, and SYN retransmissions to nobody.

use std::net::{Ipv4Addr, SocketAddrV4};

use netlab::host::{Host, Interface};
use netlab::ip::Ipv4Cidr;
use netlab::phy::LinkConfig;
use netlab::scenario::{self, RunOptions, Scenario};
use netlab::sim::{Limits, NodeId, NodeKind, RunError, World};
use netlab::socket::SockType;
use netlab::time::{Duration, Instant};
use netlab::trace::Trace;

fn secs(s: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(s)
}

const STORM: &str = r#"[scenario]
description = "three switches in a ring"
max_events = 5000

[[host]]
name = "alice"
[[switch]]
name = "sw1"
stp = false
[[switch]]
name = "sw2"
stp = false
[[switch]]
name = "sw3"
stp = false
[[link]]
between = ["alice", "sw1"]
[[link]]
between = ["sw1", "sw2"]
[[link]]
between = ["sw2", "sw3"]
[[link]]
between = ["sw3", "sw1"]

[timeline]
steps = '''
1ms alice send-frame to=broadcast text="once"
'''
"#;

#[test]
fn a_broadcast_storm_stops_at_max_events_and_says_so() {
    let scn = Scenario::parse("storm.toml", STORM).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    let err = outcome.run_error.clone().expect("the storm is stopped");
    let RunError::EventLimit {
        events,
        ref busiest_link,
        busiest_frames,
        ref hint,
        ..
    } = err
    else {
        panic!("expected the event limit, got {err}");
    };
    assert_eq!(events, 5000);
    assert!(busiest_link.starts_with("sw"), "{busiest_link}");
    assert!(busiest_frames > 1000);
    assert!(hint.contains("broadcast storm"), "{hint}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("runaway: stopped after 5000 events at t="),
        "{shown}"
    );
    assert!(shown.contains("max_events"), "{shown}");
    assert_eq!(err.kind(), "runaway");
    // Not expected by the scenario: the run fails with the error as the reason.
    let failure = outcome
        .failures()
        .next()
        .expect("an unexpected runaway fails");
    assert_eq!(failure.text, "the run ends normally");
    assert_eq!(failure.detail, shown);
}

/// The same ring with the switches left to their default: their cables form a loop, so they
/// run spanning tree, and the broadcast (sent once the ports forward) is delivered, not stormed.
#[test]
fn the_same_ring_with_its_default_spanning_tree_does_not_storm() {
    let text = STORM
        .replace("stp = false\n", "")
        .replace("1ms alice", "31s alice");
    assert!(!text.contains("stp"));
    let scn = Scenario::parse("ring.toml", &text).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    assert!(outcome.run_error.is_none(), "{:?}", outcome.run_error);
    let w = &outcome.world;
    let flooded: u64 = ["sw1", "sw2", "sw3"]
        .iter()
        .map(|n| w.node_counter(w.node_id(n).unwrap(), "flooded").unwrap())
        .sum();
    assert_eq!(flooded, 3, "each switch floods the one broadcast once");
}

#[test]
fn an_expected_runaway_passes() {
    let text = format!("{STORM}\n[expect]\nchecks = '''\nend run error=runaway\n'''\n");
    let scn = Scenario::parse("storm.toml", &text).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    assert!(outcome.run_error.is_some());
    assert!(outcome.passed(), "{:?}", outcome.results);
}

#[test]
fn an_application_that_never_stops_ends_at_max_time() {
    // A ping that would run for 50 days, in a scenario without a stop time.
    let text = r#"[scenario]
description = "endless ping"
max_time = "30s"

[[host]]
name = "alice"
ip = "10.0.0.1/24"
[[host]]
name = "bob"
ip = "10.0.0.2/24"
[[link]]
between = ["alice", "bob"]

[timeline]
steps = '''
1s alice ping bob count=4294967295 interval=1ms
'''
"#;
    let scn = Scenario::parse("endless.toml", text).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    let err = outcome.run_error.clone().expect("the ping is stopped");
    let RunError::TimeLimit { at, next } = err else {
        panic!("expected the time limit, got {err}");
    };
    assert!(at <= secs(30) && next > secs(30), "at {at}, next {next}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("runaway: the network was still busy at t=")
            && shown.contains("max_time"),
        "{shown}"
    );
    // Bounded work as well: 29 s of pings every millisecond, a few events each.
    assert!(outcome.world.fabric.queue.processed() < 400_000);
}

#[test]
fn an_event_limit_also_bounds_run_until() {
    let scn = Scenario::parse("storm.toml", STORM).unwrap();
    let mut world = scn.instantiate(None, Trace::off());
    world.limits.max_events = 300;
    // What the timeline's send-frame does, without the scenario runner.
    let alice = world.node_id("alice").unwrap();
    let repr = netlab::ethernet::EthernetRepr {
        dst: netlab::ethernet::MacAddr::broadcast(),
        src: netlab::ethernet::default_mac(1),
        ethertype: netlab::ethernet::ethertype::EXPERIMENTAL,
    };
    let frame = netlab::ethernet::frame_with_payload(&repr, b"once");
    world
        .with_host(alice, |h, io| h.transmit(io, 0, frame))
        .unwrap();
    let err = world.run_until(secs(3600)).unwrap_err();
    assert!(
        matches!(err, RunError::EventLimit { events: 300, .. }),
        "{err}"
    );
    // And it stays stopped: stepping again reports the same limit.
    assert!(world.step().is_err());
}

/// Two hosts on a cable with TCP sockets driven directly.
fn two_hosts(limits: Limits) -> (World, NodeId, NodeId) {
    let mut world = World::new(Trace::off());
    world.limits = limits;
    let host = |mac: u8, ip: Ipv4Addr| {
        let iface = Interface {
            addr: Some(Ipv4Cidr::new(ip, 24).unwrap()),
            ..Interface::new("eth0", netlab::ethernet::default_mac(mac as u32))
        };
        NodeKind::Host(Box::new(Host::new(vec![iface], false)))
    };
    let a = world.add_node("a", host(1, Ipv4Addr::new(10, 0, 0, 1)), 1);
    let b = world.add_node("b", host(2, Ipv4Addr::new(10, 0, 0, 2)), 1);
    world.add_link(
        "a--b",
        (a, 0),
        (b, 0),
        LinkConfig::default(),
        netlab::rng::stream(1, "link", 0),
    );
    (world, a, b)
}

/// A receiver that accepts but never reads: its window closes and the sender probes it for
/// ever (each probe is answered, so the connection never times out). Only `max_time` ends it.
#[test]
fn a_sender_probing_a_window_that_never_opens_ends_at_max_time() {
    let (mut world, a, b) = two_hosts(Limits {
        max_events: 1_000_000,
        max_time: secs(3600),
    });
    let server = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
    let listener = world
        .with_host(b, |h, _| {
            let s = h.socket(SockType::Stream, 0);
            h.bind(s, server).unwrap();
            h.listen(s, 4).unwrap();
            s
        })
        .unwrap();
    let client = world
        .with_host(a, |h, io| {
            let s = h.socket(SockType::Stream, 0);
            h.connect(io, s, server).unwrap();
            s
        })
        .unwrap();
    world.run_until(secs(1)).unwrap();
    world
        .with_host(b, |h, _| h.accept(listener).unwrap())
        .unwrap();
    // Write far more than both buffers hold, as space frees up, for a while.
    let data = vec![7u8; 64 * 1024];
    for k in 1..20 {
        world
            .with_host(a, |h, io| {
                let _ = h.send(io, client, &data);
            })
            .unwrap();
        world
            .run_until(secs(1) + Duration::from_millis(100 * k))
            .unwrap();
    }
    let err = world.run().unwrap_err();
    assert!(
        matches!(err, RunError::TimeLimit { at, .. } if at <= secs(3600)),
        "{err}"
    );
    let NodeKind::Host(h) = &world.node(a).kind else {
        unreachable!()
    };
    assert!(
        h.counters().tcp_retransmits > 10,
        "zero-window probes: {:?}",
        h.counters()
    );
}

/// SYN retransmissions to an address nobody answers: the connect gives up by itself (after
/// `syn_retries`), and a smaller `max_time` stops it earlier with an error.
#[test]
fn syn_retransmissions_to_nobody_are_bounded() {
    let silent = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 80);
    let start = |world: &mut World, a: NodeId| {
        world
            .with_host(a, |h, io| {
                let s = h.socket(SockType::Stream, 0);
                h.connect(io, s, silent).unwrap();
            })
            .unwrap();
    };
    // On its own: ARP fails, the SYNs are retried, and the run goes quiet well within a day.
    let (mut world, a, _) = two_hosts(Limits::default());
    start(&mut world, a);
    world.run().unwrap();
    assert!(world.now() < secs(600), "quiet only at {}", world.now());
    // With a tighter bound on time, the run stops with the time limit.
    let (mut world, a, _) = two_hosts(Limits {
        max_events: 1_000_000,
        max_time: secs(10),
    });
    start(&mut world, a);
    let err = world.run().unwrap_err();
    assert!(matches!(err, RunError::TimeLimit { .. }), "{err}");
}
