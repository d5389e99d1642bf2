//! Property tests of the TCP state machine, from the outside.
//!
//! 1. One connection driven by random user calls, hostile segments and timer firings, checked
//!    after every step against the reference model of RFC 9293 (`netlab::tcp::model`) and
//!    against invariants no input may break: nothing acknowledged that was not received,
//!    sequence variables in order and never going back, data delivered as sent, a timer
//!    running whenever something is unacknowledged.
//! 2. Two connections over a faulty channel (drop, duplicate, reorder, delay, corrupt) with
//!    random workloads: every byte arrives once and in order, both ends close through the
//!    right states within bounded time, and a clean channel sees no retransmission at all.
//!
//! Case counts scale with `PROPTEST_CASES` (see [`cases`]); CI runs a longer pass.

use std::net::{Ipv4Addr, SocketAddrV4};

use netlab::tcp::model::{self, Arrival, Event, Tcb};
use netlab::tcp::{
    Connection, Output, SackBlocks, SeqNumber, State, TcpConfig, TcpEvent, TcpFlags, TcpOptions,
    TcpRepr, TcpSegment, TimerKind, TransitionCause,
};
use netlab::time::{Duration, Instant};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

/// The case count of a property: `default` normally; with `PROPTEST_CASES=N` set, `N / 256`
/// times `default` (proptest's own default is 256), so one variable lengthens every property
/// in proportion to its cost.
fn cases(default: u32) -> ProptestConfig {
    let cases = match std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(n) => ((n * default as u64) / 256).max(1) as u32,
        None => default,
    };
    ProptestConfig {
        cases,
        // Shrunk failures become named regression tests below, not files.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The peer's byte at sequence number `seq`: every segment the tests send carries the bytes of
/// one fixed stream, so whatever the connection delivers can be checked, wherever it came from.
fn peer_byte(seq: SeqNumber) -> u8 {
    (seq.0.wrapping_mul(0x9E37_79B1) >> 24) as u8
}

/// Our application's byte at stream offset `k`.
fn app_byte(k: u64) -> u8 {
    ((k as u32).wrapping_mul(0x85EB_CA6B) >> 24) as u8 ^ 0x5a
}

fn app_bytes(from: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| app_byte(from + i)).collect()
}

fn transitions(out: &Output) -> Vec<(State, State, TransitionCause)> {
    out.events
        .iter()
        .filter_map(|e| match *e {
            TcpEvent::StateChanged { from, to, cause } => Some((from, to, cause)),
            _ => None,
        })
        .collect()
}

// =========================================================================================
// 1. One connection against the reference model
// =========================================================================================

#[derive(Clone, Copy, Debug)]
enum SeqPick {
    /// RCV.NXT (or the peer's ISN before a SYN was received).
    Exact,
    Ahead(u32),
    Behind(u32),
    Far(u32),
}

#[derive(Clone, Copy, Debug)]
enum AckPick {
    /// One past the highest sequence number sent: acknowledges everything.
    Max,
    Una,
    /// Somewhere between SND.UNA and the highest sent.
    Between(u32),
    Beyond(u32),
    Old(u32),
    Any(u32),
}

#[derive(Clone, Debug)]
enum Op {
    Segment {
        flags: u8,
        seq: SeqPick,
        ack: AckPick,
        window: u16,
        len: u16,
        mss: Option<u16>,
        wscale: Option<u8>,
    },
    /// Deliver again a segment delivered before (a duplicate from the network).
    Replay(u16),
    /// Fire the earliest timer at its deadline.
    Fire,
    /// Let time pass, then call `on_timer` whether or not something is due.
    Wait(u32),
    Send(u16),
    Recv(u16),
    Close,
    Shutdown,
    Abort,
}

fn flags() -> impl Strategy<Value = u8> {
    const A: u8 = 0x10;
    prop_oneof![
        6 => Just(A),
        3 => Just(A | 0x08),
        2 => Just(A | 0x01),
        1 => Just(0x04),
        1 => Just(0x04 | A),
        1 => Just(0x02),
        2 => Just(0x02 | A),
        1 => Just(0x01),
        1 => any::<u8>(),
    ]
}

fn seq_pick() -> impl Strategy<Value = SeqPick> {
    prop_oneof![
        8 => Just(SeqPick::Exact),
        2 => (1u32..4000).prop_map(SeqPick::Ahead),
        2 => (1u32..4000).prop_map(SeqPick::Behind),
        1 => any::<u32>().prop_map(SeqPick::Far),
    ]
}

fn ack_pick() -> impl Strategy<Value = AckPick> {
    prop_oneof![
        6 => Just(AckPick::Max),
        2 => Just(AckPick::Una),
        2 => any::<u32>().prop_map(AckPick::Between),
        1 => (1u32..3000).prop_map(AckPick::Beyond),
        1 => (1u32..200_000).prop_map(AckPick::Old),
        1 => any::<u32>().prop_map(AckPick::Any),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let segment = (
        flags(),
        seq_pick(),
        ack_pick(),
        prop_oneof![1 => Just(0u16), 1 => 1u16..3000, 3 => any::<u16>()],
        prop_oneof![4 => Just(0u16), 3 => 1u16..1500, 1 => 1500u16..4000],
        proptest::option::of(prop_oneof![64u16..200, 200u16..=1460, any::<u16>()]),
        proptest::option::of(0u8..20),
    )
        .prop_map(|(flags, seq, ack, window, len, mss, wscale)| Op::Segment {
            flags,
            seq,
            ack,
            window,
            len,
            mss,
            wscale,
        });
    prop_oneof![
        12 => segment,
        1 => any::<u16>().prop_map(Op::Replay),
        3 => Just(Op::Fire),
        1 => (0u32..3000).prop_map(Op::Wait),
        3 => (0u16..6000).prop_map(Op::Send),
        2 => (0u16..6000).prop_map(Op::Recv),
        1 => Just(Op::Close),
        1 => Just(Op::Shutdown),
        1 => Just(Op::Abort),
    ]
}

/// How a case starts: the connection's side and configuration.
#[derive(Clone, Debug)]
struct Start {
    passive: bool,
    iss: u32,
    peer_iss: u32,
    peer_mss: Option<u16>,
    peer_wscale: Option<u8>,
    mss: u16,
    recv_buffer: usize,
    send_buffer: usize,
    nagle: bool,
    quick_acks: u32,
    window_scaling: bool,
}

fn seq_number() -> impl Strategy<Value = u32> {
    // Half of the cases start close to the wrap of the sequence space.
    prop_oneof![any::<u32>(), (u32::MAX - 20_000)..=u32::MAX]
}

fn start() -> impl Strategy<Value = Start> {
    (
        (
            any::<bool>(),
            seq_number(),
            seq_number(),
            proptest::option::of(64u16..=1460),
            proptest::option::of(0u8..=14),
        ),
        (
            prop_oneof![Just(1460u16), 64u16..1460],
            prop_oneof![Just(128 * 1024usize), 1usize..6000],
            prop_oneof![Just(128 * 1024usize), 1usize..8000],
            any::<bool>(),
            prop_oneof![Just(0u32), Just(16)],
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (passive, iss, peer_iss, peer_mss, peer_wscale),
                (mss, recv_buffer, send_buffer, nagle, quick_acks, window_scaling),
            )| Start {
                passive,
                iss,
                peer_iss,
                peer_mss,
                peer_wscale,
                mss,
                recv_buffer,
                send_buffer,
                nagle,
                quick_acks,
                window_scaling,
            },
        )
}

/// A segment delivered to the connection, kept for replays.
#[derive(Clone, Debug)]
struct Delivered {
    flags: TcpFlags,
    seq: SeqNumber,
    ack: SeqNumber,
    window: u16,
    options: TcpOptions,
    payload: Vec<u8>,
}

impl Delivered {
    fn repr(&self) -> TcpRepr<'_> {
        TcpRepr {
            src_port: REMOTE.port(),
            dst_port: LOCAL.port(),
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

/// One connection and everything the test knows about what it was given.
struct Harness {
    conn: Connection,
    now: Instant,
    peer_iss: SeqNumber,
    /// Bytes `send` accepted.
    sent_total: u64,
    /// Bytes `recv` returned.
    read_total: u64,
    /// The application called `close` or `shutdown_write` successfully.
    app_closed: bool,
    /// Where our FIN went, once it was sent.
    fin_sent: Option<SeqNumber>,
    /// Every segment delivered to the connection.
    delivered: Vec<Delivered>,
    /// Where each delivered FIN sits in sequence space.
    peer_fins: Vec<SeqNumber>,
    /// The right edge of the window the connection advertised.
    adv_edge: Option<SeqNumber>,
    /// The ACK number of the last segment the connection sent (Linux's RCV.WUP).
    last_ack_sent: Option<SeqNumber>,
    /// The connection has been synchronized (knows the peer's ISN).
    synced: bool,
    /// The connection had taken the peer's FIN after the previous step.
    peer_closed: bool,
    last_una: u32,
    last_max: u32,
    last_rcv: Option<u32>,
    log: Vec<String>,
}

type Check = Result<(), TestCaseError>;

macro_rules! ensure {
    ($h:expr, $cond:expr, $($fmt:tt)*) => {{
        let holds: bool = $cond;
        if !holds {
            return Err(TestCaseError::fail(format!(
                "{}\n--- steps so far:\n{}",
                format!($($fmt)*),
                $h.log.join("\n")
            )));
        }
    }};
}

impl Harness {
    fn new(s: &Start) -> Result<Harness, TestCaseError> {
        let config = TcpConfig {
            mss: s.mss,
            recv_buffer_size: s.recv_buffer,
            send_buffer_size: s.send_buffer,
            nagle: s.nagle,
            quick_acks: s.quick_acks,
            window_scaling: s.window_scaling,
            ..TcpConfig::default()
        };
        let now = Instant::ZERO;
        let mut out = Output::new();
        let peer_iss = SeqNumber(s.peer_iss);
        let mut delivered = Vec::new();
        let conn = if s.passive {
            let syn = Delivered {
                flags: TcpFlags::SYN,
                seq: peer_iss,
                ack: SeqNumber(0),
                window: 64240,
                options: TcpOptions {
                    mss: s.peer_mss,
                    window_scale: s.peer_wscale,
                    ..TcpOptions::NONE
                },
                payload: Vec::new(),
            };
            let c = Connection::accept_syn(
                now,
                LOCAL,
                REMOTE,
                &syn.repr(),
                SeqNumber(s.iss),
                &config,
                &mut out,
            )
            .map_err(|e| TestCaseError::fail(format!("accept_syn: {e}")))?;
            delivered.push(syn);
            c
        } else {
            Connection::connect(now, LOCAL, REMOTE, SeqNumber(s.iss), &config, &mut out)
                .map_err(|e| TestCaseError::fail(format!("connect: {e}")))?
        };
        let mut h = Harness {
            conn,
            now,
            peer_iss,
            sent_total: 0,
            read_total: 0,
            app_closed: false,
            fin_sent: None,
            delivered,
            peer_fins: Vec::new(),
            adv_edge: None,
            last_ack_sent: None,
            synced: false,
            peer_closed: false,
            last_una: 0,
            last_max: 0,
            last_rcv: None,
            log: vec![format!("start {s:?}")],
        };
        h.after(&out)?;
        Ok(h)
    }

    fn tcb(&self) -> Tcb {
        let c = &self.conn;
        let advertised = match self.adv_edge {
            Some(edge) if c.rcv_nxt() < edge => c.rcv_nxt().distance(edge),
            _ => 0,
        };
        Tcb {
            state: c.state(),
            passive: c.is_passive(),
            iss: c.iss(),
            snd_una: c.snd_una(),
            snd_nxt: c.snd_max(),
            rcv_nxt: c.rcv_nxt(),
            rcv_wnd: c.rcv_wnd().max(advertised),
            rcv_wup: self
                .last_ack_sent
                .filter(|_| c.config().linux_segment_checks),
            fin_sent: self.fin_sent,
            peer_fin_pending: self.synced
                && !c.peer_closed()
                && self.peer_fins.iter().any(|&p| c.rcv_nxt() <= p),
        }
    }

    /// The segment an `Op::Segment` describes, given the connection's current variables.
    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        flags: u8,
        seq: SeqPick,
        ack: AckPick,
        window: u16,
        len: u16,
        mss: Option<u16>,
        wscale: Option<u8>,
    ) -> Delivered {
        let c = &self.conn;
        let flags = TcpFlags::from_bits(flags);
        let base = if c.state().is_synchronized() {
            c.rcv_nxt()
        } else if flags.syn() {
            self.peer_iss
        } else {
            self.peer_iss + 1u32
        };
        let seq = match seq {
            SeqPick::Exact => base,
            SeqPick::Ahead(n) => base + n,
            SeqPick::Behind(n) => base - n,
            SeqPick::Far(n) => SeqNumber(n),
        };
        let (una, max) = (c.snd_una(), c.snd_max());
        let ack = match ack {
            AckPick::Max => max,
            AckPick::Una => una,
            AckPick::Between(k) => una + (k % (una.distance(max) + 1)),
            AckPick::Beyond(n) => max + n,
            AckPick::Old(n) => una - n,
            AckPick::Any(n) => SeqNumber(n),
        };
        let data_start = seq + flags.syn() as u32;
        let payload = (0..len as u32).map(|i| peer_byte(data_start + i)).collect();
        Delivered {
            flags,
            seq,
            ack,
            window,
            options: TcpOptions {
                mss,
                window_scale: wscale,
                ..TcpOptions::NONE
            },
            payload,
        }
    }

    fn apply(&mut self, op: &Op) -> Check {
        let before = self.tcb();
        let mut out = Output::new();
        let (event, timer_due) = match op {
            Op::Segment {
                flags,
                seq,
                ack,
                window,
                len,
                mss,
                wscale,
            } => {
                let seg = self.build(*flags, *seq, *ack, *window, *len, *mss, *wscale);
                return self.deliver(seg);
            }
            Op::Replay(i) => {
                if self.delivered.is_empty() {
                    return Ok(());
                }
                let seg = self.delivered[*i as usize % self.delivered.len()].clone();
                return self.deliver(seg);
            }
            Op::Fire => {
                let Some(at) = self.conn.poll_at() else {
                    return Ok(());
                };
                self.now = self.now.max(at);
                self.log.push(format!("fire at {}", self.now));
                self.conn.on_timer(self.now, &mut out);
                (Event::Timeout, true)
            }
            Op::Wait(ms) => {
                self.now += Duration::from_millis(*ms as u64);
                let due = self.conn.poll_at().is_some_and(|t| t <= self.now);
                self.log
                    .push(format!("wait {ms}ms to {} (due: {due})", self.now));
                self.conn.on_timer(self.now, &mut out);
                (Event::Timeout, due)
            }
            Op::Send(n) => {
                let data = app_bytes(self.sent_total, *n as usize);
                let r = self.conn.send(self.now, &data, &mut out);
                self.log.push(format!("send {n} -> {r:?}"));
                if let Ok(k) = r {
                    ensure!(
                        self,
                        k <= data.len(),
                        "send took {k} of {} bytes",
                        data.len()
                    );
                    self.sent_total += k as u64;
                }
                (Event::Send, true)
            }
            Op::Recv(n) => {
                let r = self.conn.recv(self.now, *n as usize, &mut out);
                self.log
                    .push(format!("recv {n} -> {:?}", r.as_ref().map(|d| d.len())));
                if let Ok(data) = &r {
                    ensure!(self, data.len() <= *n as usize, "recv returned too much");
                    let irs = self.conn.irs();
                    for (i, &b) in data.iter().enumerate() {
                        let at = irs + 1u32 + (self.read_total + i as u64) as u32;
                        ensure!(
                            self,
                            b == peer_byte(at),
                            "recv byte {} of the stream is {b:#04x}, the peer sent {:#04x}",
                            self.read_total + i as u64,
                            peer_byte(at)
                        );
                    }
                    self.read_total += data.len() as u64;
                }
                (Event::Receive, true)
            }
            Op::Close => {
                let unread_data = self.conn.recv_available() > 0;
                let r = self.conn.close(self.now, &mut out);
                self.log
                    .push(format!("close (unread: {unread_data}) -> {r:?}"));
                if r.is_ok() {
                    self.app_closed = true;
                }
                (Event::Close { unread_data }, true)
            }
            Op::Shutdown => {
                let r = self.conn.shutdown_write(self.now, &mut out);
                self.log.push(format!("shutdown_write -> {r:?}"));
                if r.is_ok() {
                    self.app_closed = true;
                }
                (Event::ShutdownWrite, true)
            }
            Op::Abort => {
                let r = self.conn.abort(self.now, &mut out);
                self.log.push(format!("abort -> {r:?}"));
                (Event::Abort, true)
            }
        };
        let moves = transitions(&out);
        if !timer_due {
            ensure!(
                self,
                moves.is_empty() && out.segments.is_empty(),
                "on_timer with nothing due changed something: {moves:?} {:?}",
                out.segments
            );
        }
        if let Err(e) = model::check_step(&before, &event, &moves, self.conn.state()) {
            ensure!(self, false, "model: {e}");
        }
        self.after(&out)
    }

    fn deliver(&mut self, seg: Delivered) -> Check {
        let before = self.tcb();
        let event = Event::Segment(Arrival {
            flags: seg.flags,
            seq: seg.seq,
            ack: seg.ack,
            len: seg.payload.len() as u32,
        });
        self.log
            .push(format!("segment {} (in {})", seg.repr(), self.conn.state()));
        let mut out = Output::new();
        self.conn.on_segment(self.now, &seg.repr(), &mut out);
        if seg.flags.fin() {
            self.peer_fins
                .push(seg.seq + seg.flags.syn() as u32 + seg.payload.len());
        }
        self.delivered.push(seg);
        let moves = transitions(&out);
        if let Err(e) = model::check_step(&before, &event, &moves, self.conn.state()) {
            ensure!(self, false, "model: {e}");
        }
        self.after(&out)
    }

    /// Bytes the peer sent, contiguous from IRS+1: how far RCV.NXT may go.
    fn covered_prefix(&self) -> u64 {
        let start = self.conn.irs() + 1u32;
        let mut ranges: Vec<(i64, i64)> = self
            .delivered
            .iter()
            .filter(|d| !d.payload.is_empty())
            .map(|d| {
                let from = start.signed_distance(d.seq + d.flags.syn() as u32) as i64;
                (from, from + d.payload.len() as i64)
            })
            .collect();
        ranges.sort();
        let mut end = 0i64;
        for (a, b) in ranges {
            if a > end {
                break;
            }
            end = end.max(b);
        }
        end as u64
    }

    /// Checks everything that must hold after any step.
    fn after(&mut self, out: &Output) -> Check {
        let c = &self.conn;
        let state = c.state();
        if state.is_synchronized() {
            self.synced = true;
        }
        for e in &out.events {
            if let TcpEvent::Error(err) = e {
                ensure!(
                    self,
                    state == State::Closed,
                    "error {err} but state {state}"
                );
            }
        }

        // Sequence variables: in order, never going back, never beyond what was written.
        let iss = c.iss();
        let (una, nxt, max) = (c.snd_una(), c.snd_nxt(), c.snd_max());
        ensure!(
            self,
            una <= nxt && nxt <= max,
            "SND.UNA {una} <= SND.NXT {nxt} <= SND.MAX {max} does not hold"
        );
        let (una_off, max_off) = (iss.distance(una), iss.distance(max));
        ensure!(
            self,
            una_off >= self.last_una && max_off >= self.last_max,
            "send sequence went back: SND.UNA {una} SND.MAX {max}"
        );
        ensure!(
            self,
            max_off as u64 <= self.sent_total + 2,
            "SND.MAX {max} is beyond SYN + {} bytes + FIN",
            self.sent_total
        );
        self.last_una = una_off;
        self.last_max = max_off;

        // Receive side: RCV.NXT only moves over bytes (and a FIN) that really arrived.
        if self.synced {
            let irs = c.irs();
            let rcv = irs.distance(c.rcv_nxt());
            if let Some(last) = self.last_rcv {
                ensure!(self, rcv >= last, "RCV.NXT went back to {}", c.rcv_nxt());
                ensure!(
                    self,
                    !self.peer_closed || rcv == last,
                    "RCV.NXT moved on to {} after the peer's FIN",
                    c.rcv_nxt()
                );
            }
            self.peer_closed = c.peer_closed();
            self.last_rcv = Some(rcv);
            let data_len = (rcv as u64).saturating_sub(1 + c.peer_closed() as u64);
            ensure!(
                self,
                rcv >= 1 && data_len <= self.covered_prefix(),
                "RCV.NXT {} acknowledges {data_len} bytes, but only {} contiguous bytes arrived",
                c.rcv_nxt(),
                self.covered_prefix()
            );
            if c.peer_closed() {
                let fin_at = c.rcv_nxt() - 1u32;
                ensure!(
                    self,
                    self.peer_fins.contains(&fin_at),
                    "the connection took a FIN at {fin_at} that was never sent (FINs: {:?})",
                    self.peer_fins
                );
            }
        }

        // What went out.
        let stream_end = iss + 1u32 + self.sent_total as u32;
        for seg in &out.segments {
            let bytes = seg.to_bytes();
            let parsed = TcpRepr::parse(&bytes, seg.src_ip, seg.dst_ip);
            ensure!(
                self,
                parsed == Ok(seg.repr()),
                "segment does not survive the wire: {seg}"
            );
            ensure!(
                self,
                seg.payload.len() <= c.snd_mss() as usize,
                "segment longer than the MSS {}: {seg}",
                c.snd_mss()
            );
            if seg.flags.rst() {
                continue;
            }
            if seg.flags.ack() && self.synced {
                let irs = c.irs();
                let acked = irs.signed_distance(seg.ack);
                ensure!(
                    self,
                    acked >= 1 && seg.ack <= c.rcv_nxt(),
                    "ACK {} outside IRS+1 {} ..= RCV.NXT {}: {seg}",
                    seg.ack,
                    irs + 1u32,
                    c.rcv_nxt()
                );
            }
            if !seg.payload.is_empty() {
                let off = (iss + 1u32).signed_distance(seg.seq);
                ensure!(
                    self,
                    off >= 0 && off as u64 + seg.payload.len() as u64 <= self.sent_total,
                    "data segment {seg} is outside the {} bytes written",
                    self.sent_total
                );
                let expected = app_bytes(off as u64, seg.payload.len());
                ensure!(
                    self,
                    seg.payload == expected,
                    "segment {seg} carries wrong bytes"
                );
            }
            let end = seg.seq + seg.seg_len();
            ensure!(self, end <= max, "segment {seg} ends beyond SND.MAX {max}");
            if seg.flags.fin() {
                let fin_at = seg.seq + seg.payload.len();
                ensure!(
                    self,
                    self.app_closed && fin_at == stream_end,
                    "FIN at {fin_at}, but the stream ends at {stream_end} (closed by the app: {})",
                    self.app_closed
                );
                self.fin_sent = Some(fin_at);
            }
            if seg.flags.ack() {
                let shift = if seg.flags.syn() {
                    0
                } else {
                    c.window_scales().0
                };
                self.last_ack_sent = Some(seg.ack);
                let edge = seg.ack + ((seg.window as u32) << shift);
                self.adv_edge = Some(match self.adv_edge {
                    Some(e) if edge < e => e,
                    _ => edge,
                });
            }
        }

        // Timers: whatever is unacknowledged, or waiting to be sent, has a timer that will
        // retry it; nothing runs once CLOSED.
        match state {
            State::Closed => ensure!(self, c.poll_at().is_none(), "CLOSED with a timer"),
            State::TimeWait => ensure!(
                self,
                c.timer(TimerKind::TimeWait).is_some(),
                "TIME_WAIT without its timer"
            ),
            State::Listen => {}
            _ => {
                ensure!(
                    self,
                    una == max || c.poll_at().is_some(),
                    "{} unacknowledged octets ({una}..{max}) and no timer",
                    una.distance(max)
                );
                let can_send = matches!(
                    state,
                    State::Established
                        | State::CloseWait
                        | State::FinWait1
                        | State::Closing
                        | State::LastAck
                ) && iss < una;
                let unsent_data = max < stream_end;
                let unsent_fin = self.app_closed && self.fin_sent.is_none();
                ensure!(
                    self,
                    !(can_send && (unsent_data || unsent_fin)) || c.poll_at().is_some(),
                    "data or FIN waits to be sent and no timer runs"
                );
            }
        }
        Ok(())
    }
}

fn run_ops(start: &Start, ops: &[Op]) -> Check {
    let mut h = Harness::new(start)?;
    for op in ops {
        h.apply(op)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    /// Random user calls, segments and timers on one connection: every step agrees with the
    /// RFC 9293 model and keeps the invariants.
    #[test]
    fn one_connection_follows_the_rfc_model(
        start in start(),
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        run_ops(&start, &ops)?;
    }
}

/// A well-behaved peer interleaved with the random one reaches the later states more often:
/// the handshake completes, data flows both ways, FINs are exchanged.
fn polite_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop_oneof![Just(0x10u8), Just(0x18), Just(0x11), Just(0x12)], 0u16..2000).prop_map(
            |(flags, len)| Op::Segment {
                flags,
                seq: SeqPick::Exact,
                ack: AckPick::Max,
                window: 65535,
                len,
                mss: Some(1460),
                wscale: None,
            }
        ),
        1 => Just(Op::Fire),
        1 => prop_oneof![Just(Op::Close), Just(Op::Shutdown)],
        3 => op(),
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn one_connection_with_a_mostly_polite_peer_follows_the_rfc_model(
        start in start(),
        ops in proptest::collection::vec(polite_op(), 1..80),
    ) {
        run_ops(&start, &ops)?;
    }
}

// Shrunk failures of the properties above, kept with their literal inputs.

fn plain_start(passive: bool) -> Start {
    Start {
        passive,
        iss: 0,
        peer_iss: 0,
        peer_mss: None,
        peer_wscale: None,
        mss: 1460,
        recv_buffer: 131072,
        send_buffer: 131072,
        nagle: false,
        quick_acks: 0,
        window_scaling: false,
    }
}

fn seg(flags: u8, seq: SeqPick, ack: AckPick, window: u16, len: u16) -> Op {
    Op::Segment {
        flags,
        seq,
        ack,
        window,
        len,
        mss: Some(1460),
        wscale: None,
    }
}

/// Found by `one_connection_with_a_mostly_polite_peer_follows_the_rfc_model`: data arrived
/// out of order beyond where the peer's FIN later turned out to be. Filling the gap moved
/// RCV.NXT over the FIN and on through the out-of-order bytes; the FIN was then "old" and never
/// taken, so the connection stayed ESTABLISHED, acknowledged bytes the peer's stream does not
/// have and would never have acknowledged the FIN. Now the FIN is taken and the bytes beyond it
/// are dropped (RFC 9293 §3.10.7.4, as Linux `tcp_fin`).
#[test]
fn regression_fin_after_out_of_order_data_beyond_it() {
    let ops = [
        seg(0x12, SeqPick::Exact, AckPick::Max, 65535, 0),
        seg(0x10, SeqPick::Ahead(1460), AckPick::Max, 0, 1641),
        seg(0x10, SeqPick::Exact, AckPick::Max, 65535, 0),
        seg(0x11, SeqPick::Exact, AckPick::Max, 65535, 1460),
    ];
    run_ops(&plain_start(false), &ops).unwrap();
}

/// The same bug found from the passive side by `one_connection_follows_the_rfc_model`.
#[test]
fn regression_fin_after_out_of_order_data_beyond_it_passive() {
    let mut start = plain_start(true);
    start.peer_wscale = Some(1);
    start.window_scaling = true;
    let ops = [
        seg(0x10, SeqPick::Exact, AckPick::Max, 37898, 0),
        seg(0x10, SeqPick::Ahead(1886), AckPick::Old(1), 0, 1231),
        seg(0x11, SeqPick::Exact, AckPick::Max, 0, 1886),
    ];
    run_ops(&start, &ops).unwrap();
}

// =========================================================================================
// 2. Two connections over a faulty channel
// =========================================================================================

/// Deterministic pseudo-random numbers for the channel (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn percent(&mut self, p: u8) -> bool {
        self.below(100) < p as u64
    }
}

/// What the channel does to segments, in percent, and its delays.
#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    drop: u8,
    duplicate: u8,
    reorder: u8,
    corrupt: u8,
    /// One-way delay.
    delay_us: u64,
    /// Most extra delay of a reordered segment.
    jitter_us: u64,
}

fn faults() -> impl Strategy<Value = Faults> {
    (
        0u8..=25,
        0u8..=10,
        0u8..=25,
        0u8..=10,
        10u64..50_000,
        1u64..100_000,
    )
        .prop_map(
            |(drop, duplicate, reorder, corrupt, delay_us, jitter_us)| Faults {
                drop,
                duplicate,
                reorder,
                corrupt,
                delay_us,
                jitter_us,
            },
        )
}

/// Who closes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closer {
    A,
    B,
    Both,
}

#[derive(Clone, Debug)]
struct Workload {
    a_bytes: usize,
    b_bytes: usize,
    /// Write sizes each side cycles through.
    a_writes: Vec<usize>,
    b_writes: Vec<usize>,
    /// Most bytes one `recv` call takes.
    read_chunk: usize,
    closer: Closer,
    /// Each side shuts its write side when done writing and reads to the end before closing.
    half_close: bool,
    mss: u16,
    recv_buffer: usize,
    send_buffer: usize,
    nagle: bool,
    window_scaling: bool,
    /// SACK and timestamps offered (and so negotiated: both ends share the configuration).
    sack: bool,
    timestamps: bool,
}

fn workload() -> impl Strategy<Value = Workload> {
    (
        (
            prop_oneof![Just(0usize), 1usize..2000, 2000usize..60_000],
            prop_oneof![Just(0usize), 1usize..2000, 2000usize..30_000],
            proptest::collection::vec(1usize..5000, 1..4),
            proptest::collection::vec(1usize..5000, 1..4),
            prop_oneof![Just(usize::MAX), 1usize..3000],
        ),
        (
            prop_oneof![Just(Closer::A), Just(Closer::B), Just(Closer::Both)],
            any::<bool>(),
            prop_oneof![Just(1460u16), 100u16..1460],
            prop_oneof![Just(64 * 1024usize), 1000usize..16_000],
            prop_oneof![Just(64 * 1024usize), 1000usize..16_000],
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (a_bytes, b_bytes, a_writes, b_writes, read_chunk),
                (
                    closer,
                    half_close,
                    mss,
                    recv_buffer,
                    send_buffer,
                    nagle,
                    window_scaling,
                    sack,
                    timestamps,
                ),
            )| Workload {
                a_bytes,
                b_bytes,
                a_writes,
                b_writes,
                read_chunk,
                closer,
                half_close,
                mss,
                recv_buffer,
                send_buffer,
                nagle,
                window_scaling,
                sack,
                timestamps,
            },
        )
}

/// One end: its connection (the passive end exists once a SYN reached it) and its application.
struct End {
    conn: Option<Connection>,
    /// Bytes to write, bytes written so far, the write sizes to cycle through.
    to_write: usize,
    written: usize,
    writes: Vec<usize>,
    next_write: usize,
    /// What the application read.
    received: Vec<u8>,
    /// The peer's byte count: the application protocol knows it.
    expect: usize,
    eof: bool,
    shut: bool,
    closed: bool,
    trace: Vec<(State, State, TransitionCause)>,
    /// Retransmissions, with when and why.
    retransmits: Vec<String>,
    /// Tail-loss probes sent while the peer held a delayed ACK for what it had received, or
    /// its delayed ACK was still on the way.
    probes_into_a_delayed_ack: Vec<String>,
    /// The delayed-ACK timer runs; when it last stopped (fired, or an ACK went out anyway).
    delack_armed: bool,
    delack_released: Option<Instant>,
    stream_seed: u64,
}

impl End {
    fn new(to_write: usize, writes: &[usize], expect: usize, stream_seed: u64) -> End {
        End {
            conn: None,
            to_write,
            written: 0,
            writes: writes.to_vec(),
            next_write: 0,
            received: Vec::new(),
            expect,
            eof: false,
            shut: false,
            closed: false,
            trace: Vec::new(),
            retransmits: Vec::new(),
            probes_into_a_delayed_ack: Vec::new(),
            delack_armed: false,
            delack_released: None,
            stream_seed,
        }
    }
}

fn stream_byte(seed: u64, k: usize) -> u8 {
    app_byte(k as u64 ^ (seed << 32))
}

/// A segment on its way: arrival time, order of sending, direction, wire bytes.
struct InFlight {
    at: Instant,
    order: u64,
    to_b: bool,
    bytes: Vec<u8>,
}

struct Channel {
    pending: Vec<InFlight>,
    order: u64,
    rng: Rng,
    faults: Faults,
    corrupted: usize,
    dropped: usize,
}

impl Channel {
    fn push(&mut self, now: Instant, to_b: bool, seg: &TcpSegment) {
        if trace_on() {
            eprintln!("{now} {} {seg}", if to_b { "a>" } else { "<b" });
        }
        let f = self.faults;
        if self.rng.percent(f.drop) {
            self.dropped += 1;
            return;
        }
        let copies = if self.rng.percent(f.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            let mut bytes = seg.to_bytes();
            if self.rng.percent(f.corrupt) {
                // One flipped bit: the checksum always catches it.
                let bit = self.rng.below(bytes.len() as u64 * 8);
                bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
                self.corrupted += 1;
            }
            let mut delay = f.delay_us;
            if self.rng.percent(f.reorder) {
                delay += self.rng.below(f.jitter_us);
            }
            self.order += 1;
            self.pending.push(InFlight {
                at: now + Duration::from_micros(delay),
                order: self.order,
                to_b,
                bytes,
            });
        }
    }

    fn next_time(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.at).min()
    }

    fn pop_due(&mut self, now: Instant) -> Option<InFlight> {
        let i = self
            .pending
            .iter()
            .enumerate()
            .filter(|(_, p)| p.at <= now)
            .min_by_key(|(_, p)| (p.at, p.order))?
            .0;
        Some(self.pending.swap_remove(i))
    }
}

fn pair_config(w: &Workload) -> TcpConfig {
    TcpConfig {
        mss: w.mss,
        recv_buffer_size: w.recv_buffer,
        send_buffer_size: w.send_buffer,
        nagle: w.nagle,
        window_scaling: w.window_scaling,
        sack: w.sack,
        timestamps: w.timestamps,
        // Generous retries and a short RTO ceiling: a lossy channel must slow the transfer
        // down, never make it time out.
        syn_retries: 40,
        synack_retries: 40,
        data_retries: 40,
        max_rto: Duration::from_secs(4),
        ..TcpConfig::default()
    }
}

/// How a two-ended run ended.
struct PairRun {
    a: End,
    b: End,
    end_time: Instant,
    corrupted: usize,
}

/// Set `PROP_TCP_TRACE=1` to print every segment and event of the two-ended runs.
fn trace_on() -> bool {
    std::env::var_os("PROP_TCP_TRACE").is_some()
}

/// Longest simulated time a run may take.
const TIME_BOUND: Duration = Duration::from_secs(1800);

fn record(end: &mut End, now: Instant, out: &mut Output) {
    for e in &out.events {
        if trace_on() {
            eprintln!("{now} event {e}");
        }
        match *e {
            TcpEvent::StateChanged { from, to, cause } => end.trace.push((from, to, cause)),
            TcpEvent::Retransmit { seq, len, reason } => end
                .retransmits
                .push(format!("{now}: seq {seq} len {len} {reason:?}")),
            TcpEvent::TimerArmed {
                kind: TimerKind::DelayedAck,
                ..
            } => end.delack_armed = true,
            TcpEvent::TimerCancelled {
                kind: TimerKind::DelayedAck,
            }
            | TcpEvent::TimerFired {
                kind: TimerKind::DelayedAck,
            } if end.delack_armed => {
                end.delack_armed = false;
                end.delack_released = Some(now);
            }
            _ => {}
        }
    }
    out.events.clear();
}

/// Runs the application of one end: write what fits, read what is there, close when done.
fn app_step(end: &mut End, now: Instant, w: &Workload, closes_first: bool, out: &mut Output) {
    let (half_close, read_chunk) = (w.half_close, w.read_chunk);
    let Some(conn) = end.conn.as_mut() else {
        return;
    };
    let writable = matches!(
        conn.state(),
        State::Established | State::CloseWait | State::SynReceived | State::SynSent
    );
    while writable && end.written < end.to_write && !end.shut {
        let size = end.writes[end.next_write % end.writes.len()].min(end.to_write - end.written);
        let data: Vec<u8> = (end.written..end.written + size)
            .map(|k| stream_byte(end.stream_seed, k))
            .collect();
        match conn.send(now, &data, out) {
            Ok(n) if n > 0 => {
                end.written += n;
                end.next_write += 1;
            }
            _ => break,
        }
    }
    loop {
        match conn.recv(now, read_chunk, out) {
            Ok(data) if data.is_empty() => {
                end.eof = true;
                break;
            }
            Ok(data) => end.received.extend_from_slice(&data),
            Err(_) => break,
        }
    }
    let done_writing = end.written == end.to_write;
    if !matches!(
        conn.state(),
        State::Established | State::CloseWait | State::FinWait1 | State::FinWait2
    ) && !end.shut
    {
        return;
    }
    if half_close {
        if done_writing && !end.shut {
            end.shut = conn.shutdown_write(now, out).is_ok();
        }
        if end.shut && end.eof && !end.closed {
            let _ = conn.close(now, out);
            end.closed = true;
        }
    } else if done_writing && !end.closed {
        let ready = if closes_first {
            end.received.len() == end.expect
        } else {
            end.eof
        };
        if ready {
            end.shut = true;
            end.closed = conn.close(now, out).is_ok();
        }
    }
}

fn run_pair(seed: u64, faults: Faults, w: &Workload) -> Result<PairRun, String> {
    let config = pair_config(w);
    let mut rng = Rng(seed | 1);
    let mut ch = Channel {
        pending: Vec::new(),
        order: 0,
        rng: Rng(rng.next() | 1),
        faults,
        corrupted: 0,
        dropped: 0,
    };
    let mut a = End::new(w.a_bytes, &w.a_writes, w.b_bytes, 1);
    let mut b = End::new(w.b_bytes, &w.b_writes, w.a_bytes, 2);
    let mut now = Instant::ZERO;
    let mut out = Output::new();
    let isn_a = SeqNumber(rng.next() as u32);
    let isn_b = SeqNumber(rng.next() as u32);
    a.conn = Some(
        Connection::connect(now, LOCAL, REMOTE, isn_a, &config, &mut out)
            .map_err(|e| e.to_string())?,
    );
    let (a_first, b_first) = match w.closer {
        Closer::A => (true, false),
        Closer::B => (false, true),
        Closer::Both => (true, true),
    };
    let mut steps = 0u64;
    loop {
        // Applications act, then whatever they produced goes on the wire.
        app_step(&mut a, now, w, a_first, &mut out);
        record(&mut a, now, &mut out);
        for seg in out.segments.drain(..) {
            ch.push(now, true, &seg);
        }
        app_step(&mut b, now, w, b_first, &mut out);
        record(&mut b, now, &mut out);
        for seg in out.segments.drain(..) {
            ch.push(now, false, &seg);
        }
        // The sender's scoreboard never holds a state RFC 6675 forbids: records in order,
        // contiguous, within [SND.UNA, SND.MAX], a SACKed one neither lost nor in
        // retransmission; and there is none without SACK.
        for (name, e) in [("a", &a), ("b", &b)] {
            if let Some(c) = e.conn.as_ref() {
                let board = c.sack_scoreboard();
                board
                    .check(c.snd_una(), c.snd_max())
                    .map_err(|m| format!("{name} at {now}: scoreboard: {m}"))?;
                if !c.negotiated().0 && !board.is_empty() {
                    return Err(format!("{name} at {now}: a scoreboard without SACK"));
                }
            }
        }
        let all_closed = [&a, &b]
            .iter()
            .all(|e| e.conn.as_ref().is_some_and(|c| c.state() == State::Closed));
        if all_closed {
            break;
        }
        steps += 1;
        if steps > 2_000_000 {
            return Err(format!("still running after {steps} steps at {now}"));
        }
        let next = [
            ch.next_time(),
            a.conn.as_ref().and_then(|c| c.poll_at()),
            b.conn.as_ref().and_then(|c| c.poll_at()),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else {
            return Err(format!(
                "stalled at {now}: a {:?}, b {:?}",
                a.conn.as_ref().map(|c| c.state()),
                b.conn.as_ref().map(|c| c.state())
            ));
        };
        now = now.max(next);
        if now > Instant::ZERO + TIME_BOUND {
            return Err(format!(
                "not finished after {TIME_BOUND}: a {:?}, b {:?}",
                a.conn.as_ref().map(|c| c.state()),
                b.conn.as_ref().map(|c| c.state())
            ));
        }
        if let Some(p) = ch.pop_due(now) {
            let (src, dst) = if p.to_b {
                (LOCAL, REMOTE)
            } else {
                (REMOTE, LOCAL)
            };
            let parsed = TcpRepr::parse(&p.bytes, *src.ip(), *dst.ip());
            let Ok(repr) = parsed else {
                continue;
            };
            let (end, from_a) = if p.to_b {
                (&mut b, false)
            } else {
                (&mut a, true)
            };
            match end.conn.as_mut() {
                Some(c) => c.on_segment(now, &repr, &mut out),
                None if repr.flags == TcpFlags::SYN => {
                    end.conn = Some(
                        Connection::accept_syn(now, REMOTE, LOCAL, &repr, isn_b, &config, &mut out)
                            .map_err(|e| e.to_string())?,
                    );
                }
                None => {}
            }
            record(end, now, &mut out);
            for seg in out.segments.drain(..) {
                ch.push(now, from_a, &seg);
            }
            continue;
        }
        // Whether each end holds a delayed ACK, or sent one that is still on the wire.
        let in_flight = Duration::from_micros(faults.delay_us + faults.jitter_us);
        let owes_ack = [&a, &b]
            .map(|e| e.delack_armed || e.delack_released.is_some_and(|t| now <= t + in_flight));
        for (end, from_a, peer_owes_ack) in
            [(&mut a, true, owes_ack[1]), (&mut b, false, owes_ack[0])]
        {
            if let Some(c) = end.conn.as_mut() {
                if c.poll_at().is_some_and(|t| t <= now) {
                    let before = end.retransmits.len();
                    c.on_timer(now, &mut out);
                    record(end, now, &mut out);
                    if peer_owes_ack {
                        // Linux probes into a peer's delayed ACK too: with two segments out
                        // its probe waits 2·SRTT + 2 ms, less than a round trip plus the
                        // peer's 40 ms delayed ACK (e.g. the ACK of a FIN, held in pingpong
                        // mode, ORACLES.md §3: 42.5 ms).
                        let new = end.retransmits.split_off(before);
                        let (probes, other): (Vec<String>, Vec<String>) =
                            new.into_iter().partition(|r| r.ends_with("LossProbe"));
                        end.probes_into_a_delayed_ack.extend(probes);
                        end.retransmits.extend(other);
                    }
                    for seg in out.segments.drain(..) {
                        ch.push(now, from_a, &seg);
                    }
                }
            }
        }
    }
    Ok(PairRun {
        a,
        b,
        end_time: now,
        corrupted: ch.corrupted,
    })
}

/// The properties of a finished two-ended run.
fn check_pair(run: &PairRun, w: &Workload) -> Result<(), String> {
    for (name, end, expect_seed, expect_len) in [
        ("b", &run.b, 1u64, w.a_bytes),
        ("a", &run.a, 2u64, w.b_bytes),
    ] {
        if end.received.len() != expect_len {
            return Err(format!(
                "{name} read {} bytes, the peer wrote {expect_len}",
                end.received.len()
            ));
        }
        if let Some(k) = (0..expect_len).find(|&k| end.received[k] != stream_byte(expect_seed, k)) {
            return Err(format!("{name} read a wrong byte at offset {k}"));
        }
        let conn = end.conn.as_ref().expect("both ends exist");
        if let Some(e) = conn.error() {
            return Err(format!("{name} ended with an error: {e}"));
        }
        for &(from, to, cause) in &end.trace {
            if !model::edge_allowed(from, to, cause) {
                return Err(format!("{name}: not an RFC edge {from} -> {to} ({cause})"));
            }
        }
        let states: Vec<State> = end.trace.iter().map(|t| t.1).collect();
        // The active closer (FIN_WAIT_1) waits in TIME_WAIT; the passive one (CLOSE_WAIT)
        // leaves from LAST_ACK. TIME_WAIT ends when its timer runs out, or early when an
        // acceptable RST arrives (RFC 9293 §3.10.7.4; the "TIME-WAIT assassination" of
        // RFC 1337, which a duplicated ACK answered by the closed peer causes).
        let last = end.trace.last().copied();
        if states.contains(&State::FinWait1) {
            let through_time_wait = matches!(
                last,
                Some((
                    State::TimeWait,
                    State::Closed,
                    TransitionCause::TimeWaitExpired | TransitionCause::RcvRst
                ))
            );
            if !through_time_wait {
                return Err(format!(
                    "{name} closed actively but did not end through TIME_WAIT: {:?}",
                    end.trace
                ));
            }
        } else if last != Some((State::LastAck, State::Closed, TransitionCause::RcvAckOfFin)) {
            return Err(format!(
                "{name} closed passively but did not end from LAST_ACK: {:?}",
                end.trace
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(96))]

    /// Every byte arrives once and in order over a channel that drops, duplicates, reorders,
    /// delays and corrupts, and both ends close cleanly within bounded time.
    #[test]
    fn transfers_survive_a_faulty_channel(seed: u64, faults in faults(), w in workload()) {
        let run = run_pair(seed, faults, &w).map_err(TestCaseError::fail)?;
        check_pair(&run, &w).map_err(TestCaseError::fail)?;
        prop_assert!(run.end_time <= Instant::ZERO + TIME_BOUND);
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// Over a clean channel nothing is ever sent twice: not by the retransmission timer, not
    /// by fast retransmit, and not by a tail-loss probe unless the peer was holding back a
    /// delayed ACK, as Linux's probe timer (2·SRTT + 2 ms) can outrun Linux's delayed ACK.
    #[test]
    fn a_clean_channel_sees_no_retransmission(
        seed: u64,
        delay_us in 1u64..100_000,
        w in workload(),
    ) {
        let faults = Faults { delay_us, ..Faults::default() };
        let run = run_pair(seed, faults, &w).map_err(TestCaseError::fail)?;
        check_pair(&run, &w).map_err(TestCaseError::fail)?;
        prop_assert_eq!(run.corrupted, 0);
        prop_assert!(
            run.a.retransmits.is_empty() && run.b.retransmits.is_empty(),
            "retransmissions on a clean channel: a {:?}, b {:?}",
            run.a.retransmits,
            run.b.retransmits
        );
    }
}

/// What the clean-channel regression cases below share: one end writes, SACK on, the rest
/// as Linux's defaults; each case sets what it found.
fn clean_base() -> Workload {
    Workload {
        a_bytes: 0,
        b_bytes: 0,
        a_writes: vec![1],
        b_writes: vec![1],
        read_chunk: usize::MAX,
        closer: Closer::A,
        half_close: false,
        mss: 1460,
        recv_buffer: 65536,
        send_buffer: 1000,
        nagle: false,
        window_scaling: false,
        sack: true,
        timestamps: false,
    }
}

/// Runs `w` over a clean channel `delay_us` each way and checks the transfer.
fn clean_run(w: &Workload, delay_us: u64) -> PairRun {
    let faults = Faults {
        delay_us,
        ..Faults::default()
    };
    let run = run_pair(0, faults, w).unwrap();
    check_pair(&run, w).unwrap();
    run
}

/// Found by `a_clean_channel_sees_no_retransmission` (80 ms each way, 41-byte writes into a
/// 1000-byte send buffer): once RTTVAR decayed the RTO fell to its 200 ms clamp, while the
/// peer's delayed ACK made the round trip 160 + 40 ms, so the timer fired a microsecond before
/// every delayed ACK arrived and the sender went back to SND.UNA on a path that lost nothing.
/// The variance term of the RTO now has `min_rto` as its floor, as in Linux.
#[test]
fn regression_delayed_ack_on_a_long_clean_path_causes_no_timeout() {
    let w = Workload {
        a_bytes: 0,
        b_bytes: 15001,
        a_writes: vec![1],
        b_writes: vec![41],
        nagle: true,
        sack: false,
        ..clean_base()
    };
    let run = clean_run(&w, 80001);
    assert_eq!(run.b.retransmits, Vec::<String>::new());
}

/// Found by `a_clean_channel_sees_no_retransmission` at 16× (1 µs each way, 1-byte writes
/// without Nagle into a 1000-byte send buffer, SACK on): after the 16 quick ACKs the receiver
/// delayed every ACK by 40 ms, so the sender's tail-loss probe (PTO 2·SRTT + 2 ms) fired on a
/// path that lost nothing. Linux ACKs when the application reads a small segment while its
/// ACK is delayed (`__tcp_cleanup_rbuf`), so its probe never sees such a wait.
#[test]
fn regression_small_segments_read_at_once_are_acked_before_the_loss_probe() {
    let w = Workload {
        a_bytes: 4000,
        b_bytes: 0,
        a_writes: vec![1],
        b_writes: vec![1],
        window_scaling: true,
        timestamps: true,
        ..clean_base()
    };
    let run = clean_run(&w, 1);
    assert_eq!(run.a.retransmits, Vec::<String>::new());
}

/// Exactly-once, in-order delivery with every combination of window scaling, SACK and
/// timestamps negotiated, over a channel that drops, duplicates, reorders and corrupts.
#[test]
fn every_option_combination_delivers_exactly_once_under_faults() {
    let faults = Faults {
        drop: 10,
        duplicate: 5,
        reorder: 20,
        corrupt: 3,
        delay_us: 5000,
        jitter_us: 20_000,
    };
    for bits in 0..8u8 {
        for seed in 1..4u64 {
            let w = Workload {
                a_bytes: 40_000,
                b_bytes: 9_000,
                a_writes: vec![1300, 77, 4000],
                b_writes: vec![500],
                read_chunk: 3000,
                closer: Closer::Both,
                half_close: seed % 2 == 0,
                mss: 1460,
                recv_buffer: 16_000,
                send_buffer: 16_000,
                nagle: true,
                window_scaling: bits & 1 != 0,
                sack: bits & 2 != 0,
                timestamps: bits & 4 != 0,
            };
            let run = run_pair(seed * 7919 + bits as u64, faults, &w)
                .unwrap_or_else(|e| panic!("options {bits:03b}, seed {seed}: {e}"));
            check_pair(&run, &w).unwrap_or_else(|e| panic!("options {bits:03b}, seed {seed}: {e}"));
        }
    }
}

/// Every single-bit error in an emitted segment is caught by the checksum (or breaks the
/// header outright): the corrupt channel above relies on it.
#[test]
fn single_bit_errors_never_parse() {
    let seg = TcpSegment {
        src_ip: *LOCAL.ip(),
        dst_ip: *REMOTE.ip(),
        src_port: LOCAL.port(),
        dst_port: REMOTE.port(),
        seq: SeqNumber(0xfffffff0),
        ack: SeqNumber(12345),
        flags: TcpFlags::ACK | TcpFlags::PSH,
        window: 501,
        urgent: 0,
        options: TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamps: Some((1, 2)),
            sack_blocks: SackBlocks::NONE,
            fast_open: None,
        },
        payload: (0..37).collect(),
        ip_id: None,
    };
    let bytes = seg.to_bytes();
    for bit in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        assert!(
            TcpRepr::parse(&b, seg.src_ip, seg.dst_ip).is_err(),
            "bit {bit} flipped and still parsed"
        );
    }
}

/// The generators are only as good as the transitions they reach: the generated op lists must
/// drive a connection through every edge below (a generator change that loses one fails here).
/// `--nocapture` prints how often each was reached.
#[test]
fn generated_operations_reach_the_transitions_of_the_diagram() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;
    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for polite in [false, true] {
        for _ in 0..256 {
            let s = start().new_tree(&mut runner).unwrap().current();
            let ops = if polite {
                proptest::collection::vec(polite_op(), 1..80)
                    .new_tree(&mut runner)
                    .unwrap()
                    .current()
            } else {
                proptest::collection::vec(op(), 1..80)
                    .new_tree(&mut runner)
                    .unwrap()
                    .current()
            };
            let mut h = Harness::new(&s).unwrap();
            for o in &ops {
                let before = h.conn.state();
                h.apply(o).unwrap();
                let after = h.conn.state();
                if before != after {
                    *seen
                        .entry(format!("polite={polite} {before} -> {after}"))
                        .or_default() += 1;
                }
            }
        }
    }
    for (k, v) in &seen {
        eprintln!("{k}: {v}");
    }
    let reached: std::collections::BTreeSet<String> = seen
        .keys()
        .map(|k| k.split_once(' ').map_or(k.clone(), |(_, e)| e.to_string()))
        .collect();
    let required = [
        "LISTEN -> CLOSED",
        "SYN_SENT -> CLOSED",
        "SYN_SENT -> ESTABLISHED",
        "SYN_SENT -> SYN_RECEIVED",
        "SYN_RECEIVED -> LISTEN",
        "SYN_RECEIVED -> CLOSED",
        "SYN_RECEIVED -> ESTABLISHED",
        "SYN_RECEIVED -> FIN_WAIT_1",
        "SYN_RECEIVED -> CLOSE_WAIT",
        "ESTABLISHED -> CLOSED",
        "ESTABLISHED -> FIN_WAIT_1",
        "ESTABLISHED -> CLOSE_WAIT",
        "FIN_WAIT_1 -> CLOSED",
        "FIN_WAIT_1 -> FIN_WAIT_2",
        "FIN_WAIT_1 -> CLOSING",
        "FIN_WAIT_1 -> TIME_WAIT",
        "FIN_WAIT_2 -> CLOSED",
        "FIN_WAIT_2 -> TIME_WAIT",
        "CLOSE_WAIT -> CLOSED",
        "CLOSE_WAIT -> LAST_ACK",
        "CLOSING -> CLOSED",
        "CLOSING -> TIME_WAIT",
        "LAST_ACK -> CLOSED",
        "TIME_WAIT -> CLOSED",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|e| !reached.contains(*e))
        .collect();
    assert!(
        missing.is_empty(),
        "transitions no generated test reaches: {missing:?}"
    );
}

/// Found by `a_clean_channel_sees_no_retransmission` in CI (1 µs each way, SACK, 14-byte
/// writes then a FIN from b): a held its ACK of b's last segment and FIN (pingpong mode after a
/// FIN, as Linux), so b's probe timer (2·SRTT + 2 ms, two segments out) sent the FIN again.
/// That probe carried b's ACK of a's data, but a dropped it as out of window under RFC 9293's
/// test, and its own probe fired 200 ms later. Linux's `tcp_sequence` accepts a segment that
/// ends at RCV.WUP, so the repeated FIN's ACK counts and a never probes.
#[test]
fn regression_a_repeated_fin_carries_an_ack_that_counts() {
    let w = Workload {
        a_bytes: 8083,
        b_bytes: 2640,
        a_writes: vec![1347],
        b_writes: vec![14],
        half_close: true,
        send_buffer: 1338,
        ..clean_base()
    };
    let run = clean_run(&w, 1);
    assert_eq!(run.a.retransmits, Vec::<String>::new());
    assert_eq!(run.b.retransmits, Vec::<String>::new());
    assert_eq!(run.b.probes_into_a_delayed_ack.len(), 1);
}

/// Found by `a_clean_channel_sees_no_retransmission` at 256× (12.667 ms each way, 1-byte writes
/// with Nagle, SACK): b's last two segments (its data and FIN) went out together, a held its
/// ACK for 40 ms and sent it with its next data, so b's probe timer (2·SRTT + 2 ms = 52.7 ms,
/// under the 65.3 ms the ACK took) fired 1 µs after that ACK left a. Linux does the same; the
/// property excuses a probe while the peer's delayed ACK is held or on the wire, and only then.
#[test]
fn regression_a_probe_while_the_delayed_ack_is_on_the_wire_is_excused() {
    let w = Workload {
        a_bytes: 2403,
        b_bytes: 1202,
        a_writes: vec![1],
        b_writes: vec![1],
        half_close: true,
        nagle: true,
        ..clean_base()
    };
    let run = clean_run(&w, 12667);
    assert_eq!(run.b.retransmits, Vec::<String>::new());
    assert_eq!(run.b.probes_into_a_delayed_ack.len(), 1);
}
