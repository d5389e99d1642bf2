//! Port states and timers of [`Stp`] on small networks of bridges joined by cables, driven by
//! a little harness that delivers BPDUs 1 µs after they are sent.

use super::*;
use crate::ethernet::default_mac;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn t(s: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(s)
}

/// Bridges and point-to-point cables between their ports.
struct Net {
    bridges: Vec<Stp>,
    /// `(bridge, port)` of both ends, and whether the cable is up.
    cables: Vec<([(usize, u16); 2], bool)>,
    /// BPDUs in flight: (arrival, seq) → (bridge, port, bpdu).
    flight: BTreeMap<(Instant, u64), (usize, u16, Bpdu)>,
    seq: u64,
    now: Instant,
    /// Every port event seen: (time, bridge, port, role, state).
    log: Vec<(Instant, usize, u16, PortRole, PortState)>,
    tcns: usize,
}

impl Net {
    /// `n` bridges (bridge `i` has MAC serial `i + 1`, so bridge 0 is the root) and cables
    /// `(a, b)`, each on the next free port of both bridges.
    fn new(n: usize, cables: &[(usize, usize)]) -> Net {
        let mut ports = vec![0u16; n];
        let mut list = Vec::new();
        for &(a, b) in cables {
            let pa = ports[a];
            ports[a] += 1;
            let pb = ports[b];
            ports[b] += 1;
            list.push(([(a, pa), (b, pb)], true));
        }
        let bridges = (0..n)
            .map(|i| {
                let costs = vec![Some(19); ports[i] as usize];
                Stp::new(t(0), StpConfig::new(default_mac(i as u32 + 1)), &costs)
            })
            .collect();
        let mut net = Net {
            bridges,
            cables: list,
            flight: BTreeMap::new(),
            seq: 0,
            now: t(0),
            log: Vec::new(),
            tcns: 0,
        };
        for b in 0..n {
            net.drain(b);
        }
        net
    }

    fn peer(&self, b: usize, port: u16) -> Option<(usize, u16)> {
        self.cables.iter().find_map(|(ends, up)| {
            if !up {
                None
            } else if ends[0] == (b, port) {
                Some(ends[1])
            } else if ends[1] == (b, port) {
                Some(ends[0])
            } else {
                None
            }
        })
    }

    fn drain(&mut self, b: usize) {
        let mut out = Vec::new();
        self.bridges[b].take_output(&mut out);
        for o in out {
            match o {
                StpOutput::Send { port, bpdu } => {
                    if bpdu == Bpdu::Tcn {
                        self.tcns += 1;
                    }
                    if let Some((pb, pp)) = self.peer(b, port) {
                        self.seq += 1;
                        let at = self.now + Duration::from_micros(1);
                        self.flight.insert((at, self.seq), (pb, pp, bpdu));
                    }
                }
                StpOutput::Port { port, role, state } => {
                    self.log.push((self.now, b, port, role, state))
                }
                StpOutput::TopologyChange(_) => {}
            }
        }
    }

    /// Runs every BPDU arrival and timer up to `until`.
    fn run(&mut self, until: Instant) {
        loop {
            let next_rx = self.flight.keys().next().map(|k| k.0);
            let next_timer = self
                .bridges
                .iter()
                .enumerate()
                .filter_map(|(i, b)| b.poll_at().map(|at| (at, i)))
                .min();
            let rx_first = match (next_rx, next_timer) {
                (Some(r), Some((tm, _))) => r <= tm,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if rx_first {
                let (&key, _) = self.flight.iter().next().unwrap();
                if key.0 > until {
                    break;
                }
                let (b, port, bpdu) = self.flight.remove(&key).unwrap();
                self.now = key.0;
                self.bridges[b].on_bpdu(self.now, port, &bpdu);
                self.drain(b);
            } else {
                let (at, b) = next_timer.unwrap();
                if at > until {
                    break;
                }
                self.now = at;
                self.bridges[b].on_timer(self.now);
                self.drain(b);
            }
        }
        self.now = until;
    }

    fn cut(&mut self, cable: usize) {
        self.cables[cable].1 = false;
        for (b, p) in self.cables[cable].0 {
            self.bridges[b].link_down(self.now, p);
            self.drain(b);
        }
    }

    fn state(&self, b: usize, p: u16) -> PortState {
        self.bridges[b].port_state(p)
    }

    fn role(&self, b: usize, p: u16) -> PortRole {
        self.bridges[b].port_view(p).role
    }

    /// When port `p` of bridge `b` last entered `state`.
    fn entered(&self, b: usize, p: u16, state: PortState) -> Option<Instant> {
        self.log
            .iter()
            .rev()
            .find(|e| e.1 == b && e.2 == p && e.4 == state)
            .map(|e| e.0)
    }

    /// Whether the cables whose both ends forward join every bridge without a cycle.
    fn forwarding_is_a_spanning_tree(&self) -> Result<(), String> {
        let n = self.bridges.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], x: usize) -> usize {
            let mut x = x;
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut active = 0;
        for ([(a, pa), (b, pb)], up) in &self.cables {
            if !up {
                continue;
            }
            let fa = self.state(*a, *pa) == PortState::Forwarding;
            let fb = self.state(*b, *pb) == PortState::Forwarding;
            if fa && fb {
                active += 1;
                let (ra, rb) = (find(&mut parent, *a), find(&mut parent, *b));
                if ra == rb {
                    return Err(format!("cable {a}-{b} closes a forwarding cycle"));
                }
                parent[ra] = rb;
            }
            // One end forwarding (the segment's designated port) and the other blocked is
            // how a cable is cut out of the tree.
        }
        let root = find(&mut parent, 0);
        for x in 0..n {
            if find(&mut parent, x) != root {
                return Err(format!("bridge {x} is cut off ({active} active cables)"));
            }
        }
        Ok(())
    }
}

#[test]
fn a_lone_bridge_is_root_and_forwards_after_two_forward_delays() {
    let mut net = Net::new(2, &[(0, 1)]);
    assert_eq!(net.state(0, 0), PortState::Listening);
    net.run(t(1));
    assert!(net.bridges[0].is_root());
    assert_eq!(net.bridges[1].root_id(), net.bridges[0].bridge_id());
    assert_eq!(net.bridges[1].root_path_cost(), 19);
    assert_eq!(net.role(0, 0), PortRole::Designated);
    assert_eq!(net.role(1, 0), PortRole::Root);
    assert_eq!(net.state(1, 0), PortState::Listening);
    net.run(t(15));
    assert_eq!(net.state(1, 0), PortState::Learning);
    assert_eq!(net.entered(1, 0, PortState::Learning), Some(t(15)));
    net.run(t(30));
    assert_eq!(net.state(0, 0), PortState::Forwarding);
    assert_eq!(net.entered(1, 0, PortState::Forwarding), Some(t(30)));
}

/// The triangle of the storm lesson: bridge 0 root, bridge 2 (the highest id) blocks its port
/// towards bridge 1.
fn triangle() -> Net {
    // Cables: 0: b0-b1 (b0 port 0, b1 port 0), 1: b1-b2 (b1 port 1, b2 port 0),
    // 2: b2-b0 (b2 port 1, b0 port 1).
    Net::new(3, &[(0, 1), (1, 2), (2, 0)])
}

#[test]
fn the_highest_bridge_blocks_the_triangle() {
    let mut net = triangle();
    net.run(t(31));
    assert_eq!(net.role(2, 0), PortRole::Alternate);
    assert_eq!(net.state(2, 0), PortState::Blocking);
    assert_eq!(net.role(2, 1), PortRole::Root);
    assert_eq!(net.role(1, 1), PortRole::Designated);
    assert_eq!(net.state(1, 1), PortState::Forwarding);
    net.forwarding_is_a_spanning_tree().unwrap();
    // The blocked port never forwarded: the loop was never open.
    assert_eq!(net.entered(2, 0, PortState::Forwarding), None);
}

#[test]
fn losing_the_root_port_opens_the_alternate_after_two_forward_delays() {
    let mut net = triangle();
    net.run(t(60));
    net.cut(2); // b2's root port
    assert_eq!(net.role(2, 0), PortRole::Root);
    assert_eq!(net.state(2, 0), PortState::Listening);
    net.run(t(89));
    assert_eq!(net.state(2, 0), PortState::Learning);
    net.run(t(91));
    assert_eq!(net.entered(2, 0, PortState::Forwarding), Some(t(90)));
    net.forwarding_is_a_spanning_tree().unwrap();
}

#[test]
fn an_indirect_failure_waits_for_max_age_then_two_forward_delays() {
    let mut net = triangle();
    net.run(t(60));
    net.cut(0); // b1's root port; b2 hears nothing new and keeps b1's old claim until max age
                // b2's stored information was last refreshed by b1's relay of the 58 s hello (age 1 s),
                // so it ages out at 58 + 20 - 1 = 77 s; then listening and learning, 15 s each.
    net.run(t(75));
    assert_eq!(net.state(2, 0), PortState::Blocking, "max age not over yet");
    net.run(t(120));
    assert_eq!(net.role(1, 1), PortRole::Root);
    assert_eq!(net.role(2, 0), PortRole::Designated);
    let fwd = net.entered(2, 0, PortState::Forwarding).unwrap();
    assert!(
        fwd >= t(60 + 45) && fwd <= t(60 + 50),
        "re-converged at {fwd:?}, not max age + 2 × forward delay after the cut"
    );
    net.forwarding_is_a_spanning_tree().unwrap();
}

#[test]
fn a_new_forwarding_port_notifies_the_root_which_flags_a_topology_change() {
    let mut net = triangle();
    net.run(t(29));
    assert!(!net.bridges[0].topology_change());
    net.run(t(31));
    // At 30 s the non-root bridges' ports start forwarding: each sends a TCN on its root
    // port, the root acknowledges and sets the flag for forward delay + max age (35 s).
    assert!(net.tcns >= 1);
    assert!(net.bridges[0].topology_change());
    // The root's answer waits for its hold timer (it sent a hello at 30 s); the next hello
    // carries the flag to every bridge.
    net.run(t(33));
    assert!(!net.bridges[1].topology_change_detected, "acknowledged");
    assert!(
        net.bridges[2].topology_change(),
        "the flag reaches every bridge"
    );
    net.run(t(66));
    assert!(!net.bridges[0].topology_change());
    net.run(t(70));
    assert!(!net.bridges[2].topology_change());
}

#[test]
fn hellos_are_sent_every_hello_time_and_at_most_one_per_hold_time() {
    let mut b = Stp::new(
        t(0),
        StpConfig::new(default_mac(1)),
        &[Some(19), None, Some(4)],
    );
    let mut out = Vec::new();
    b.take_output(&mut out);
    assert_eq!(b.port_state(1), PortState::Disabled);
    assert_eq!(b.poll_at(), Some(t(0)));
    b.on_timer(t(0));
    out.clear();
    b.take_output(&mut out);
    let sent: Vec<u16> = out
        .iter()
        .filter_map(|o| match o {
            StpOutput::Send { port, .. } => Some(*port),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        vec![0, 2],
        "designated ports only, not the disabled one"
    );
    // An inferior BPDU on port 0 within the hold time: the answer waits for the hold timer.
    let inferior = Bpdu::Config(ConfigBpdu {
        topology_change: false,
        topology_change_ack: false,
        root: BridgeId::new(32768, default_mac(9)),
        root_path_cost: 0,
        bridge: BridgeId::new(32768, default_mac(9)),
        port: 0x8001,
        message_age: Duration::ZERO,
        max_age: Duration::from_secs(20),
        hello_time: Duration::from_secs(2),
        forward_delay: Duration::from_secs(15),
    });
    let half = Instant::ZERO + Duration::from_millis(500);
    b.on_bpdu(half, 0, &inferior);
    out.clear();
    b.take_output(&mut out);
    assert!(out.is_empty());
    assert_eq!(b.poll_at(), Some(t(1)));
    b.on_timer(t(1));
    b.take_output(&mut out);
    assert!(matches!(out[..], [StpOutput::Send { port: 0, .. }]));
    // Then the hello timer: every 2 s.
    assert_eq!(b.poll_at(), Some(t(2)));
}

#[test]
fn path_costs_follow_the_1998_table() {
    assert_eq!(path_cost(10_000_000), 100);
    assert_eq!(path_cost(100_000_000), 19);
    assert_eq!(path_cost(1_000_000_000), 4);
    assert_eq!(path_cost(10_000_000_000), 2);
}

/// A connected graph of `n` bridges: a random tree plus `extra` random cables (parallel
/// cables included), so it has at least one loop when `extra > 0`.
fn graph() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
    (2usize..8).prop_flat_map(|n| {
        let tree = (1..n).map(|i| 0..i).collect::<Vec<_>>();
        let extra = proptest::collection::vec((0..n, 0..n), 1..6);
        (Just(n), tree, extra).prop_map(|(n, tree, extra)| {
            let mut cables: Vec<(usize, usize)> = tree
                .into_iter()
                .enumerate()
                .map(|(i, p)| (i + 1, p))
                .collect();
            cables.extend(extra.into_iter().filter(|(a, b)| a != b));
            (n, cables)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// 802.1D's promise: once converged, the forwarding ports form a spanning tree, whatever
    /// the loops; and again after any one cable fails, if the rest is still connected.
    #[test]
    fn converged_forwarding_ports_form_a_spanning_tree(
        (n, cables) in graph(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut net = Net::new(n, &cables);
        net.run(t(60));
        prop_assert_eq!(net.forwarding_is_a_spanning_tree(), Ok(()));
        for b in &net.bridges {
            prop_assert_eq!(b.root_id(), net.bridges[0].bridge_id());
        }
        let c = cut.index(cables.len());
        net.cut(c);
        // Max age + 2 forward delays + a hello of slack.
        net.run(t(60 + 20 + 30 + 2));
        let rest: Vec<_> = cables.iter().enumerate().filter(|(i, _)| *i != c).map(|(_, x)| *x).collect();
        if connected(n, &rest) {
            prop_assert_eq!(net.forwarding_is_a_spanning_tree(), Ok(()));
        }
    }
}

fn connected(n: usize, cables: &[(usize, usize)]) -> bool {
    let mut seen = vec![false; n];
    let mut stack = vec![0];
    seen[0] = true;
    while let Some(x) = stack.pop() {
        for &(a, b) in cables {
            for (u, v) in [(a, b), (b, a)] {
                if u == x && !seen[v] {
                    seen[v] = true;
                    stack.push(v);
                }
            }
        }
    }
    seen.iter().all(|s| *s)
}
