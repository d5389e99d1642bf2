//! The host's own tests, on a world of two hosts: ARP resolving a neighbour before a datagram
//! goes, ICMP answering, and a datagram with no route dropped at the host.

use super::*;
use crate::apps::{App, AppKind, Ping, PingConfig};
use crate::phy::LinkConfig;
use crate::sim::{NodeId, NodeKind, World};
use crate::trace::Trace;

/// alice (10.0.0.1/24) and bob (10.0.0.2/24) on one cable.
fn pair() -> (World, NodeId, NodeId) {
    let mut w = World::new(Trace::off());
    let mut ids = Vec::new();
    for (name, n) in [("alice", 1u8), ("bob", 2)] {
        let mut eth0 = Interface::new("eth0", MacAddr::new(2, 0, 0, 0, 0, n));
        eth0.addr = Some(format!("10.0.0.{n}/24").parse().unwrap());
        let host = Host::new(vec![eth0], false);
        ids.push(w.add_node(name, NodeKind::Host(Box::new(host)), 1));
    }
    let rng = crate::rng::stream(1, "link", 0);
    w.add_link(
        "cable",
        (ids[0], 0),
        (ids[1], 0),
        LinkConfig::default(),
        rng,
    );
    (w, ids[0], ids[1])
}

fn ping(w: &mut World, from: NodeId, dst: Ipv4Addr) {
    w.with_host(from, |h, io| {
        let mut config = PingConfig::new(dst);
        config.count = 1;
        let ping = Ping::new(config, 7, io.now);
        let app = App {
            name: "p".into(),
            kind: AppKind::Ping(Box::new(ping)),
        };
        h.start_app(io, app);
    });
    w.run().unwrap();
}

fn counter(w: &World, id: NodeId, name: &str) -> u64 {
    w.node_counter(id, name).unwrap()
}

#[test]
fn a_neighbour_is_resolved_once_and_answers() {
    let (mut w, alice, bob) = pair();
    ping(&mut w, alice, Ipv4Addr::new(10, 0, 0, 2));
    assert_eq!(counter(&w, alice, "arp_requests"), 1);
    assert_eq!(counter(&w, bob, "arp_replies"), 1);
    assert_eq!(counter(&w, alice, "icmp_rx"), 1, "the echo reply");
}

#[test]
fn no_route_means_nothing_on_the_wire() {
    let (mut w, alice, bob) = pair();
    ping(&mut w, alice, Ipv4Addr::new(192, 168, 1, 1));
    assert_eq!(counter(&w, alice, "arp_requests"), 0);
    assert_eq!(counter(&w, alice, "tx_frames"), 0);
    assert_eq!(counter(&w, bob, "rx_frames"), 0);
}
