//! The host's own tests, on a world of two hosts: ARP resolving a neighbour before a datagram
//! goes, ICMP answering, and a datagram with no route dropped at the host; and on two hosts
//! with a router between them: a datagram forwarded with its TTL decremented, and one whose TTL
//! runs out answered with ICMP time exceeded.

use super::*;
use crate::apps::{App, AppKind, Ping, PingConfig};
use crate::icmp::TimeExceededCode;
use crate::ip::{IpProtocol, Ipv4Repr, Route};
use crate::phy::LinkConfig;
use crate::sim::{NodeId, NodeKind, World};
use crate::trace::{IcmpKind, Trace};

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
    ping_with_ttl(w, from, dst, 64);
}

fn ping_with_ttl(w: &mut World, from: NodeId, dst: Ipv4Addr, ttl: u8) {
    w.with_host(from, |h, io| {
        let mut config = PingConfig::new(dst);
        config.count = 1;
        config.ttl = ttl;
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

/// A counter of the first application started on `id` (the ping).
fn ping_counter(w: &World, id: NodeId, name: &str) -> u64 {
    match &w.node(id).kind {
        NodeKind::Host(h) => h.apps()[0].counter(name).unwrap(),
        _ => unreachable!("{id:?} is a host"),
    }
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

/// alice (10.0.1.1/24) — router (10.0.1.254/24, 10.0.2.254/24) — bob (10.0.2.1/24), each host
/// with a default route through the router; the trace is kept so the wire can be read.
fn routed() -> (World, [NodeId; 3]) {
    let mut w = World::new(Trace::recording());
    let iface = |name: &str, n: u8, addr: &str| {
        let mut i = Interface::new(name, MacAddr::new(2, 0, 0, 0, 0, n));
        i.addr = Some(addr.parse().unwrap());
        i
    };
    let mut alice = Host::new(vec![iface("eth0", 1, "10.0.1.1/24")], false);
    let mut bob = Host::new(vec![iface("eth0", 2, "10.0.2.1/24")], false);
    let default = "0.0.0.0/0".parse().unwrap();
    alice
        .add_route(Route::via(default, Ipv4Addr::new(10, 0, 1, 254), 0))
        .unwrap();
    bob.add_route(Route::via(default, Ipv4Addr::new(10, 0, 2, 254), 0))
        .unwrap();
    let router = Host::new(
        vec![
            iface("eth0", 0xfe, "10.0.1.254/24"),
            iface("eth1", 0xff, "10.0.2.254/24"),
        ],
        true,
    );
    let alice = w.add_node("alice", NodeKind::Host(Box::new(alice)), 1);
    let router = w.add_node("router", NodeKind::Host(Box::new(router)), 2);
    let bob = w.add_node("bob", NodeKind::Host(Box::new(bob)), 1);
    for (i, (a, b)) in [((alice, 0), (router, 0)), ((router, 1), (bob, 0))]
        .into_iter()
        .enumerate()
    {
        let rng = crate::rng::stream(1, "link", i as u64);
        w.add_link(format!("cable{i}"), a, b, LinkConfig::default(), rng);
    }
    (w, [alice, router, bob])
}

/// The IPv4 headers of the datagrams that reached `node`, with their first payload byte (the
/// ICMP type), in arrival order.
fn datagrams_received(w: &World, node: NodeId) -> Vec<(Ipv4Repr, u8)> {
    w.trace()
        .records()
        .iter()
        .filter(|r| r.node == Some(node))
        .filter_map(|r| match &r.event {
            TraceEvent::FrameRx { frame, .. } => {
                let (eth, payload) = ethernet::parse(frame).ok()?;
                (eth.ethertype == ethernet::ethertype::IPV4).then_some(())?;
                let (ip, body) = Ipv4Repr::parse(payload).ok()?;
                Some((ip, *body.first()?))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_router_forwards_with_the_ttl_decremented() {
    let (mut w, [alice, router, bob]) = routed();
    ping(&mut w, alice, Ipv4Addr::new(10, 0, 2, 1));
    assert_eq!(
        counter(&w, router, "ip_forwarded"),
        2,
        "the echo and its reply"
    );
    assert_eq!(counter(&w, router, "ip_delivered"), 0);
    let at_bob = datagrams_received(&w, bob);
    let at_alice = datagrams_received(&w, alice);
    let request = at_bob.iter().map(|(ip, ty)| (ip.src, ip.ttl, *ty));
    let reply = at_alice.iter().map(|(ip, ty)| (ip.src, ip.ttl, *ty));
    // Sent with TTL 64 each way, one hop less on arrival; ICMP 8 is an echo, 0 its reply.
    assert_eq!(
        request.collect::<Vec<_>>(),
        vec![(Ipv4Addr::new(10, 0, 1, 1), 63, 8)]
    );
    assert_eq!(
        reply.collect::<Vec<_>>(),
        vec![(Ipv4Addr::new(10, 0, 2, 1), 63, 0)]
    );
    assert_eq!(ping_counter(&w, alice, "received"), 1);
}

#[test]
fn a_ttl_of_one_is_answered_with_time_exceeded() {
    let (mut w, [alice, router, bob]) = routed();
    ping_with_ttl(&mut w, alice, Ipv4Addr::new(10, 0, 2, 1), 1);
    assert_eq!(counter(&w, router, "ip_forwarded"), 0);
    assert_eq!(counter(&w, router, "ip_dropped"), 1);
    assert_eq!(counter(&w, router, "icmp_tx"), 1);
    assert_eq!(
        counter(&w, bob, "rx_frames"),
        0,
        "nothing goes on towards bob"
    );
    let told = w.trace().records().iter().any(|r| {
        r.node == Some(router)
            && matches!(
                r.event,
                TraceEvent::IcmpOut {
                    dst,
                    kind: IcmpKind::TimeExceeded(TimeExceededCode::TtlExceeded),
                } if dst == Ipv4Addr::new(10, 0, 1, 1)
            )
    });
    assert!(told, "the router sends time exceeded to alice");
    // ICMP type 11, from the router's address on alice's side, with a fresh TTL of 64.
    let at_alice = datagrams_received(&w, alice);
    let answers = at_alice
        .iter()
        .map(|(ip, ty)| (ip.src, ip.protocol, ip.ttl, *ty));
    assert_eq!(
        answers.collect::<Vec<_>>(),
        vec![(Ipv4Addr::new(10, 0, 1, 254), IpProtocol::Icmp, 64, 11)]
    );
    assert_eq!(ping_counter(&w, alice, "received"), 0);
    assert_eq!(ping_counter(&w, alice, "errors"), 1);
}
