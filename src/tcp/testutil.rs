//! Helpers shared by the TCP tests: an independent model of RFC 9293's state diagram, segment
//! builders, and two connections wired back to back over a simulated path.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};

use super::*;
use crate::time::{Duration, Instant};

pub const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
pub const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

pub fn ms(n: u64) -> Instant {
    Instant::from_nanos(n * 1_000_000)
}

pub fn secs(n: u64) -> Instant {
    Instant::from_nanos(n * 1_000_000_000)
}

/// RFC 9293 Figure 5 as a table, plus the transitions its notes leave out; the table lives in
/// the reference model (`super::model`), which also judges whole events.
pub use super::model::edge_allowed as rfc_allows;

/// Asserts every transition recorded in `out` is one the RFC has.
pub fn check_transitions(out: &Output) {
    for e in &out.events {
        if let TcpEvent::StateChanged { from, to, cause } = *e {
            assert!(
                rfc_allows(from, to, cause),
                "not an RFC transition: {from} -> {to} ({cause})"
            );
        }
    }
}

pub fn transitions(out: &Output) -> Vec<(State, State, TransitionCause)> {
    out.events
        .iter()
        .filter_map(|e| match *e {
            TcpEvent::StateChanged { from, to, cause } => Some((from, to, cause)),
            _ => None,
        })
        .collect()
}

pub fn has_event(out: &Output, pred: impl Fn(&TcpEvent) -> bool) -> bool {
    out.events.iter().any(pred)
}

/// A segment from REMOTE to LOCAL, built field by field.
#[derive(Clone)]
pub struct Seg {
    pub flags: TcpFlags,
    pub seq: SeqNumber,
    pub ack: SeqNumber,
    pub window: u16,
    pub options: TcpOptions,
    pub payload: Vec<u8>,
    pub src_port: u16,
    pub dst_port: u16,
}

impl Seg {
    pub fn new(flags: TcpFlags, seq: SeqNumber) -> Seg {
        Seg {
            flags,
            seq,
            ack: SeqNumber(0),
            window: 64240,
            options: TcpOptions::NONE,
            payload: Vec::new(),
            src_port: REMOTE.port(),
            dst_port: LOCAL.port(),
        }
    }
    pub fn ack(mut self, ack: SeqNumber) -> Seg {
        self.ack = ack;
        self.flags |= TcpFlags::ACK;
        self
    }
    pub fn window(mut self, window: u16) -> Seg {
        self.window = window;
        self
    }
    pub fn mss(mut self, mss: u16) -> Seg {
        self.options.mss = Some(mss);
        self
    }
    pub fn payload(mut self, payload: &[u8]) -> Seg {
        self.payload = payload.to_vec();
        self
    }
    pub fn repr(&self) -> TcpRepr<'_> {
        TcpRepr {
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            urgent: 0,
            options: self.options,
            payload: &self.payload,
        }
    }
}

/// Delivers `seg` and returns what the connection produced, checked against the RFC model.
pub fn deliver(conn: &mut Connection, now: Instant, seg: &Seg) -> Output {
    let mut out = Output::new();
    conn.on_segment(now, &seg.repr(), &mut out);
    check_transitions(&out);
    out
}

/// Delivers an owned segment (as produced by another connection).
pub fn deliver_to(conn: &mut Connection, now: Instant, seg: &TcpSegment) -> Output {
    let mut out = Output::new();
    conn.on_segment(now, &seg.repr(), &mut out);
    check_transitions(&out);
    out
}

pub fn fire(conn: &mut Connection, now: Instant) -> Output {
    let mut out = Output::new();
    conn.on_timer(now, &mut out);
    check_transitions(&out);
    out
}

/// Fires the connection's earliest timer at its deadline.
pub fn fire_next(conn: &mut Connection) -> Output {
    let at = conn.poll_at().expect("a timer is running");
    fire(conn, at)
}

/// The one segment in `out`.
pub fn single(out: &Output) -> &TcpSegment {
    assert_eq!(
        out.segments.len(),
        1,
        "expected one segment, got {:#?}",
        out.segments
    );
    &out.segments[0]
}

/// Deterministic pseudo-random numbers for loss patterns (xorshift64*).
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> TestRng {
        TestRng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// True with probability `p_percent` %.
    pub fn chance(&mut self, p_percent: u64) -> bool {
        self.next() % 100 < p_percent
    }
}

/// Decides whether a segment sent by `a` (true) or `b` (false) is lost.
pub type LossFn = Box<dyn FnMut(bool, &TcpSegment) -> bool>;
/// Extra delay for a segment sent by `a` (true) or `b` (false).
pub type JitterFn = Box<dyn FnMut(bool, &TcpSegment) -> Duration>;

/// Two connections joined by a path with a fixed one-way delay. Segments travel as bytes:
/// emitted, checksummed and parsed again. A loss function may drop any segment.
pub struct Pair {
    pub a: Connection,
    pub b: Connection,
    pub now: Instant,
    pub delay: Duration,
    /// (arrival time, to_b, wire bytes, source ip, destination ip)
    network: VecDeque<(Instant, bool, Vec<u8>, Ipv4Addr, Ipv4Addr)>,
    pub out: Output,
    /// Decides whether a segment sent by `a` (true) or `b` (false) is lost.
    pub loss: LossFn,
    /// Extra delay for a segment, to reorder the path.
    pub jitter: JitterFn,
    /// Whether a segment arrives twice.
    pub duplicate: LossFn,
    pub delivered: usize,
    pub dropped: usize,
    /// Retransmissions seen in either side's events, by reason.
    pub retransmits: Vec<RetransmitReason>,
    /// Every state transition either side made: (is `a`, from, to, cause).
    pub trace: Vec<(bool, State, State, TransitionCause)>,
    /// Every segment either side sent, lost ones included: (is `a`, time, segment).
    pub sent: Vec<(bool, Instant, TcpSegment)>,
}

impl Pair {
    /// Connects `a` (at LOCAL) to `b` (at REMOTE) by simultaneous construction: `a` connects
    /// and `b` is created from `a`'s SYN by a passive open.
    pub fn connected(config_a: &TcpConfig, config_b: &TcpConfig) -> Pair {
        let mut out = Output::new();
        let a =
            Connection::connect(ms(0), LOCAL, REMOTE, SeqNumber(1000), config_a, &mut out).unwrap();
        let syn = out.segments[0].clone();
        let b = Connection::accept_syn(
            ms(0),
            REMOTE,
            LOCAL,
            &syn.repr(),
            SeqNumber(90_000),
            config_b,
            &mut out,
        )
        .unwrap();
        check_transitions(&out);
        let mut pair = Pair {
            a,
            b,
            now: ms(0),
            delay: Duration::from_millis(5),
            network: VecDeque::new(),
            out: Output::new(),
            loss: Box::new(|_, _| false),
            jitter: Box::new(|_, _| Duration::ZERO),
            duplicate: Box::new(|_, _| false),
            delivered: 0,
            dropped: 0,
            retransmits: Vec::new(),
            trace: Vec::new(),
            sent: Vec::new(),
        };
        // The SYN already reached b; put b's SYN-ACK on the path.
        let synack = out.segments[1].clone();
        pair.out.segments.push(synack);
        pair.ship(false);
        pair.run_until(|p| p.a.state() == State::Established && p.b.state() == State::Established);
        pair
    }

    /// Both connections actively open at the same time.
    pub fn simultaneous_open(config: &TcpConfig) -> Pair {
        let mut out_a = Output::new();
        let mut out_b = Output::new();
        let a =
            Connection::connect(ms(0), LOCAL, REMOTE, SeqNumber(1000), config, &mut out_a).unwrap();
        let b = Connection::connect(ms(0), REMOTE, LOCAL, SeqNumber(90_000), config, &mut out_b)
            .unwrap();
        let mut pair = Pair {
            a,
            b,
            now: ms(0),
            delay: Duration::from_millis(5),
            network: VecDeque::new(),
            out: out_a,
            loss: Box::new(|_, _| false),
            jitter: Box::new(|_, _| Duration::ZERO),
            duplicate: Box::new(|_, _| false),
            delivered: 0,
            dropped: 0,
            retransmits: Vec::new(),
            trace: Vec::new(),
            sent: Vec::new(),
        };
        pair.ship(true);
        pair.out = out_b;
        pair.ship(false);
        pair
    }

    /// Puts what is in `self.out` on the path, as sent by `a` if `from_a`.
    pub fn ship(&mut self, from_a: bool) {
        check_transitions(&self.out);
        for e in &self.out.events {
            match *e {
                TcpEvent::Retransmit { reason, .. } => self.retransmits.push(reason),
                TcpEvent::StateChanged { from, to, cause } => {
                    self.trace.push((from_a, from, to, cause))
                }
                _ => {}
            }
        }
        let segments = std::mem::take(&mut self.out.segments);
        for seg in segments {
            self.sent.push((from_a, self.now, seg.clone()));
            if (self.loss)(from_a, &seg) {
                self.dropped += 1;
                continue;
            }
            let bytes = seg.to_bytes();
            let copies = if (self.duplicate)(from_a, &seg) { 2 } else { 1 };
            for _ in 0..copies {
                let at = self.now + self.delay + (self.jitter)(from_a, &seg);
                // Keep the path ordered by arrival time; equal times stay in sending order.
                let pos = self.network.partition_point(|n| n.0 <= at);
                self.network
                    .insert(pos, (at, from_a, bytes.clone(), seg.src_ip, seg.dst_ip));
            }
        }
        self.out.events.clear();
    }

    /// Advances to the next delivery or timer and handles it. False when nothing is pending.
    pub fn step(&mut self) -> bool {
        let next_net = self.network.front().map(|n| n.0);
        let next = [next_net, self.a.poll_at(), self.b.poll_at()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(front) = self.network.front() {
            if front.0 > self.now {
                break;
            }
            let Some((_, to_b, bytes, src, dst)) = self.network.pop_front() else {
                break;
            };
            let repr = TcpRepr::parse(&bytes, src, dst).expect("segments on the path parse");
            self.delivered += 1;
            if to_b {
                self.b.on_segment(self.now, &repr, &mut self.out);
                self.ship(false);
            } else {
                self.a.on_segment(self.now, &repr, &mut self.out);
                self.ship(true);
            }
        }
        if self.a.poll_at().is_some_and(|t| t <= self.now) {
            self.a.on_timer(self.now, &mut self.out);
            self.ship(true);
        }
        if self.b.poll_at().is_some_and(|t| t <= self.now) {
            self.b.on_timer(self.now, &mut self.out);
            self.ship(false);
        }
        true
    }

    /// Steps until `done` holds; panics if the simulation stalls or passes 10 minutes.
    pub fn run_until(&mut self, mut done: impl FnMut(&mut Pair) -> bool) {
        while !done(self) {
            assert!(self.step(), "simulation stalled at {}", self.now);
            assert!(self.now < secs(600), "simulation ran past 600 s");
        }
    }

    pub fn count_retransmits(&self, reason: RetransmitReason) -> usize {
        self.retransmits.iter().filter(|r| **r == reason).count()
    }

    /// Sends `data` from `a` to `b` and returns what `b` read, up to `data.len()` bytes.
    pub fn transfer(&mut self, data: &[u8]) -> Vec<u8> {
        let mut sent = 0;
        let mut received = Vec::with_capacity(data.len());
        let mut buf = vec![0u8; 16 * 1024];
        while received.len() < data.len() {
            if sent < data.len() {
                if let Ok(n) = self.a.send(self.now, &data[sent..], &mut self.out) {
                    sent += n;
                }
                self.ship(true);
            }
            while let Ok(n) = self.b.recv_slice(self.now, &mut buf, &mut self.out) {
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
            }
            self.ship(false);
            if received.len() >= data.len() {
                break;
            }
            assert!(
                self.step(),
                "transfer stalled at {} after {} bytes",
                self.now,
                received.len()
            );
            assert!(self.now < secs(600), "transfer ran past 600 s");
        }
        received
    }
}
