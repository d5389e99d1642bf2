//! The world's own tests: how a link carries frames from one node to another.

use super::*;
use crate::ethernet::{frame_with_payload, EthernetRepr, MacAddr};
use crate::host::{Host, Interface};
use crate::phy::{Bandwidth, LinkConfig, Transmitter, TxOutcome};
use crate::time::{Duration, Instant};
use crate::trace::Trace;

fn mac(n: u8) -> MacAddr {
    MacAddr::new(2, 0, 0, 0, 0, n)
}

/// Two hosts joined by one link with `config`.
fn pair(config: LinkConfig) -> (World, NodeId, NodeId) {
    let mut w = World::new(Trace::off());
    let mut ids = Vec::new();
    for (name, n) in [("a", 1), ("b", 2)] {
        let host = Host::new(vec![Interface::new("eth0", mac(n))], false);
        ids.push(w.add_node(name, NodeKind::Host(Box::new(host)), 1));
    }
    let rng = crate::rng::stream(1, "link", 0);
    w.add_link("a-b", (ids[0], 0), (ids[1], 0), config, rng);
    (w, ids[0], ids[1])
}

/// When each frame handed over at once should arrive, as the link's transmitter computes it
/// (serialisation of preamble, frame and gap at the line rate, then the propagation delay).
fn arrivals_of(config: &LinkConfig, lens: &[usize]) -> Vec<Instant> {
    let mut tx = Transmitter::new(config.clone());
    lens.iter()
        .map(|&len| match tx.transmit(Instant::ZERO, len) {
            TxOutcome::Sent { arrival, .. } => arrival,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// The frame arrival events of a run to its end: (time, receiving node).
fn run(w: &mut World) -> Vec<(Instant, NodeId)> {
    let mut seen = Vec::new();
    while let Some(step) = w.step().unwrap() {
        if let StepKind::Frame { to, .. } = step.kind {
            seen.push((step.time, to));
        }
    }
    seen
}

#[test]
fn frames_arrive_after_serialisation_and_delay_in_the_order_sent() {
    let config = LinkConfig {
        bandwidth: Bandwidth::from_bps(10_000_000),
        delay: Duration::from_millis(1),
        ..LinkConfig::default()
    };
    let (mut w, a, b) = pair(config.clone());
    let repr = EthernetRepr {
        dst: mac(2),
        src: mac(1),
        ethertype: 0x88B5,
    };
    let (big, small) = (
        frame_with_payload(&repr, &[0; 1000]),
        frame_with_payload(&repr, &[0; 10]),
    );
    let expected = arrivals_of(&config, &[big.len(), small.len()]);
    w.with_host(a, |h, io| {
        h.transmit(io, 0, big.clone());
        h.transmit(io, 0, small.clone());
    });
    let seen = run(&mut w);
    assert_eq!(seen, vec![(expected[0], b), (expected[1], b)]);
    // 1,000 bytes at 10 Mbps take 800 us on the line before the 1 ms of propagation; the
    // small frame waits behind the big one, so it arrives later even though it is shorter.
    assert!(expected[0] > Instant::ZERO + Duration::from_micros(1800));
    assert!(expected[1] > expected[0]);
}

#[test]
fn a_link_that_is_down_carries_nothing() {
    let (mut w, a, _) = pair(LinkConfig::default());
    let link = w.link_id("a-b").unwrap();
    w.set_link_up(link, false);
    let frame = frame_with_payload(
        &EthernetRepr {
            dst: mac(2),
            src: mac(1),
            ethertype: 0x88B5,
        },
        &[1; 46],
    );
    w.with_host(a, |h, io| h.transmit(io, 0, frame));
    assert!(run(&mut w).is_empty());
    assert_eq!(w.link_counter(link, "down_drops"), Some(1));
}
