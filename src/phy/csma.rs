//! A shared medium with CSMA/CD (IEEE 802.3 clause 4, half duplex): stations on one repeater
//! (a hub with `half_duplex = true`) take turns on one collision domain.
//!
//! Two sans-IO cores:
//!
//! - [`Mac`], one per station port: the transmit side of 802.3's MAC (4.2.3.2, the
//!   `TransmitLinkMgmt` procedure): a queue of frames, the count of collisions of the frame at
//!   its head, truncated binary exponential backoff ([`backoff_slots`]), the attempt limit and
//!   late collisions. It knows nothing of signals or time beyond what it is told.
//! - [`Segment`], the medium: where each station's signal is, as every other station sees it.
//!   Two layouts ([`Segment::new`], [`Segment::cable`]): a *star* of stations around a
//!   repeater (a half-duplex hub), where a station's signal reaches the repeater after that
//!   station's cable delay and every other station after that plus its own cable's delay (the
//!   repeater is the one place all signals pass); and a *cable* with a station at each end (a
//!   `medium = "shared"` link, a coax segment of two stations, 802.3 clause 8/10), where each
//!   hears the other after the cable's delay. [`Segment::run`] takes `now` and answers what
//!   happened (collisions heard, frames that crossed whole, frames garbled);
//!   [`Segment::poll_at`] is its next deadline.
//!
//! The rules, as 802.3 states them (bit times at the segment's bit rate):
//! - **Carrier sense, deference** (4.2.3.2.1, 4.2.8): a station with a frame waits until no
//!   signal has been arriving at it for the inter-frame gap, 96 bit times, then starts. The gap
//!   has the standard's two parts: carrier heard in its first 64 bit times
//!   (interFrameSpacingPart1) restarts the wait; carrier in its last 32 is ignored by a station
//!   with a frame waiting, which sends anyway (and collides). After its own transmission a
//!   station waits the whole gap regardless of carrier.
//! - **Collision detection** (4.2.3.2.4): a station that hears another station's signal while
//!   it is still sending (10BASE-T: receive activity during transmit) has collided. It finishes
//!   the preamble if it is still in it, sends 32 bits of jam (`jamSize`) and stops.
//! - **Backoff** (4.2.3.2.5): before retransmission n (n collisions so far) it waits r slot
//!   times, r uniform in [0, 2^min(n, 10)) (`backoffLimit` 10), slotTime 512 bit times; then it
//!   defers as always. After the 16th collision of a frame (`attemptLimit`) the frame is dropped
//!   (excessive collisions).
//! - **Late collisions**: one heard after the first 512 bit times of the transmission (preamble
//!   included) means the collision domain is larger than the standard allows. The frame is
//!   abandoned, not retried: what 802.3's management counts as `aLateCollisions`
//!   (30.3.1.1.10) and what MACs that count them do ("transmission was abandoned").
//! - **What receivers get**: a frame is judged where it is received: at the repeater (which
//!   repeats it to every other station) or at a cable's far station. It crosses whole when its
//!   signal there overlaps no other signal. A frame whose signal overlapped another is
//!   fragments and jam to the receiver, which never passes its FCS check, so it is simply not
//!   delivered. If its sender finished before hearing the collision (possible only when a
//!   round trip exceeds the frame's length, i.e. cables beyond the standard), the sender
//!   believes it sent the frame: an *undetected* collision, and the frame is lost.
//!
//! Randomness is the run's: the caller hands in a seeded stream ([`crate::rng::stream`]).

use super::{Bandwidth, INTER_FRAME_GAP, PREAMBLE_AND_SFD};
use crate::time::{Duration, Instant};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// slotTime, 512 bit times (802.3 4.4.2), in bytes.
pub const SLOT_BYTES: usize = 64;
/// jamSize, 32 bits (802.3 4.4.2), in bytes.
pub const JAM_BYTES: usize = 4;
/// attemptLimit (802.3 4.4.2): transmissions of one frame before it is dropped.
pub const ATTEMPT_LIMIT: u32 = 16;
/// backoffLimit (802.3 4.4.2): the backoff range stops doubling after this many collisions.
pub const BACKOFF_LIMIT: u32 = 10;

/// r for the backoff after the `collisions`-th collision of a frame: uniform in
/// [0, 2^min(collisions, 10)) slot times (802.3 4.2.3.2.5, truncated binary exponential backoff).
pub fn backoff_slots(collisions: u32, rng: &mut ChaCha8Rng) -> u32 {
    let k = collisions.clamp(1, BACKOFF_LIMIT);
    rng.random_range(0..(1u32 << k))
}

/// What a collision does to the frame being sent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AfterCollision {
    /// Wait this many slot times, then defer and try again.
    Backoff { slots: u32 },
    /// The 16th collision: the frame is dropped.
    Excessive,
    /// A late collision: the frame is abandoned.
    Late,
}

/// A frame waiting in a station's MAC.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The caller's name for the frame.
    pub token: u64,
    /// Its length, destination MAC through FCS.
    pub len: usize,
}

/// One station's transmit side of the CSMA/CD MAC.
#[derive(Clone, Debug)]
pub struct Mac {
    /// Frames to send, the head being attempted.
    queue: VecDeque<Queued>,
    /// Frames that may wait behind the head (the link's `queue`).
    limit: usize,
    /// Collisions of the head frame so far.
    collisions: u32,
    /// Earliest time the head may start (after a backoff, or when it was queued); the medium
    /// adds deference.
    ready: Instant,
    /// The signal it is sending, if any.
    sending: Option<usize>,
}

impl Mac {
    pub fn new(limit: usize) -> Self {
        Mac {
            queue: VecDeque::new(),
            limit,
            collisions: 0,
            ready: Instant::ZERO,
            sending: None,
        }
    }

    /// Queues a frame at `now`; false (drop-tail) when `limit` frames already wait behind the
    /// one being attempted.
    pub fn enqueue(&mut self, now: Instant, frame: Queued) -> bool {
        if self.queue.len() > self.limit {
            return false;
        }
        if self.queue.is_empty() {
            self.ready = now;
            self.collisions = 0;
        }
        self.queue.push_back(frame);
        true
    }

    /// The frame being attempted.
    pub fn head(&self) -> Option<Queued> {
        self.queue.front().copied()
    }

    /// Collisions of the head frame so far (its next attempt is number `collisions() + 1`).
    pub fn collisions(&self) -> u32 {
        self.collisions
    }

    /// Earliest start of the head frame, deference aside.
    pub fn ready(&self) -> Instant {
        self.ready
    }

    /// The head frame collided; its jam ends at `jam_end`. Returns what becomes of it: a
    /// backoff (the head is tried again), or a drop (the next frame's turn).
    pub fn collided(
        &mut self,
        late: bool,
        jam_end: Instant,
        slot: Duration,
        rng: &mut ChaCha8Rng,
    ) -> AfterCollision {
        self.collisions += 1;
        let after = if late {
            AfterCollision::Late
        } else if self.collisions >= ATTEMPT_LIMIT {
            AfterCollision::Excessive
        } else {
            AfterCollision::Backoff {
                slots: backoff_slots(self.collisions, rng),
            }
        };
        match after {
            AfterCollision::Backoff { slots } => {
                self.ready = jam_end + slot.saturating_mul(u64::from(slots));
            }
            _ => self.next_frame(jam_end),
        }
        after
    }

    /// The head frame went out without a collision heard.
    pub fn sent(&mut self, end: Instant) {
        self.next_frame(end);
    }

    fn next_frame(&mut self, at: Instant) {
        self.queue.pop_front();
        self.collisions = 0;
        self.ready = at;
    }

    /// The station's cable went down: every frame is lost. Returns them.
    pub fn flush(&mut self) -> Vec<Queued> {
        self.collisions = 0;
        self.sending = None;
        self.queue.drain(..).collect()
    }
}

/// A station's signal on the medium.
#[derive(Copy, Clone, Debug)]
struct Signal {
    station: usize,
    token: u64,
    /// Which attempt of the frame (1-based).
    attempt: u32,
    /// First bit (of the preamble) leaves the station.
    start: Instant,
    /// Last bit leaves the station: the frame's end, or the jam's after a collision.
    end: Instant,
    /// Cut short by a collision the sender heard (or its cable going down).
    jammed: bool,
    /// Its fate at the repeater was decided.
    judged: bool,
}

impl Signal {
    fn resolved(&self) -> bool {
        self.jammed || self.judged
    }
}

/// What the medium reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SegmentOut {
    /// `station` heard another signal `after` the first bit of attempt `attempt` of frame
    /// `token`, and jammed.
    Collision {
        station: usize,
        token: u64,
        attempt: u32,
        after: Duration,
        late: bool,
        then: AfterCollision,
    },
    /// Frame `token` of `station` crossed whole: its last bit passes the repeater (or reaches a
    /// cable's far station) now; its first bit left the station at `start`, on attempt
    /// `attempt`.
    Crossed {
        station: usize,
        token: u64,
        start: Instant,
        attempt: u32,
    },
    /// Frame `token` collided where it is received but its sender had finished before the
    /// collision reached it: lost, and the sender does not know.
    Garbled { station: usize, token: u64 },
}

crate::counters! {
    /// What happened on one collision domain.
    pub struct SegmentCounters {
        /// Collisions heard by a sender (one per station per collided attempt).
        collisions,
        /// Of them, heard after the first 512 bit times (the frame is abandoned).
        late_collisions,
        /// Frames dropped after their 16th collision.
        excessive_collisions,
        /// Frames lost in a collision their sender did not hear (it had finished).
        undetected_collisions,
    }
}

/// Where a segment's stations are, and so when each hears the others and where a frame is
/// judged.
///
/// A cable is its own layout rather than a star with its repeater mid-cable: a cable has no
/// repeater, a receiver gets what reached it, so its frames are judged at the far station, and
/// a frame that crossed is there when it is judged (as a hub's frames are at the hub). Half the
/// delay each side would agree with that whenever both senders hear the collision (every cable
/// within the standard's reach) but not for undetected ones on longer cables, and would lose a
/// nanosecond of an odd delay. The rest of the core (deference, detection, jam, backoff) only
/// asks the layout for delays.
#[derive(Clone, Debug)]
enum Layout {
    /// Stations around a repeater, each its cable's one-way delay from it (a half-duplex hub).
    Star(Vec<Duration>),
    /// Two stations, 0 and 1, at the ends of one cable of this one-way delay (a shared link).
    Cable(Duration),
}

impl Layout {
    /// How long a signal of station `from` takes to reach station `at` (`at != from`).
    fn between(&self, from: usize, at: usize) -> Duration {
        match self {
            Layout::Star(d) => d[from] + d[at],
            Layout::Cable(d) => *d,
        }
    }

    /// How long a signal of station `from` takes to reach the place where `sender`'s frames are
    /// received: the repeater, or the other end of the cable.
    fn to_receiver(&self, sender: usize, from: usize) -> Duration {
        match self {
            Layout::Star(d) => d[from],
            Layout::Cable(d) if from == sender => *d,
            Layout::Cable(_) => Duration::ZERO,
        }
    }

    /// At least the longest delay between two stations.
    fn reach(&self) -> Duration {
        match self {
            Layout::Star(d) => {
                let r = d.iter().copied().max().unwrap_or_default();
                r + r
            }
            Layout::Cable(d) => *d,
        }
    }
}

/// One collision domain: stations around a repeater, or at the ends of one cable.
#[derive(Clone, Debug)]
pub struct Segment {
    bandwidth: Bandwidth,
    layout: Layout,
    macs: Vec<Mac>,
    signals: Vec<Signal>,
    /// How far the medium has run: nothing may start before it (the signals that kept a
    /// station waiting until then may have been forgotten).
    clock: Instant,
    rng: ChaCha8Rng,
    pub counters: SegmentCounters,
}

/// What happens next on the medium, in the order of equal times.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Collide(usize),
    TxEnd(usize),
    Verdict(usize),
    Start(usize),
}

impl Segment {
    /// A segment of stations around a repeater, with these cable delays and queue limits, at
    /// one bit rate.
    pub fn new(bandwidth: Bandwidth, stations: &[(Duration, usize)], rng: ChaCha8Rng) -> Self {
        let layout = Layout::Star(stations.iter().map(|s| s.0).collect());
        let queues: Vec<usize> = stations.iter().map(|s| s.1).collect();
        Segment::with_layout(bandwidth, layout, &queues, rng)
    }

    /// A segment of one cable with this one-way delay and a station at each end (stations 0
    /// and 1, with these queue limits).
    pub fn cable(
        bandwidth: Bandwidth,
        delay: Duration,
        queues: [usize; 2],
        rng: ChaCha8Rng,
    ) -> Self {
        Segment::with_layout(bandwidth, Layout::Cable(delay), &queues, rng)
    }

    fn with_layout(
        bandwidth: Bandwidth,
        layout: Layout,
        queues: &[usize],
        rng: ChaCha8Rng,
    ) -> Self {
        Segment {
            bandwidth,
            layout,
            macs: queues.iter().map(|&q| Mac::new(q)).collect(),
            signals: Vec::new(),
            clock: Instant::ZERO,
            rng,
            counters: SegmentCounters::default(),
        }
    }

    pub fn mac(&self, station: usize) -> &Mac {
        &self.macs[station]
    }

    fn slot(&self) -> Duration {
        self.bandwidth.time_for(SLOT_BYTES)
    }

    /// Hands station `station` a frame at `now` (after running what was due). False: its queue
    /// was full.
    pub fn enqueue(
        &mut self,
        now: Instant,
        station: usize,
        frame: Queued,
        out: &mut Vec<SegmentOut>,
    ) -> bool {
        self.run(now, out);
        let ok = self.macs[station].enqueue(now, frame);
        self.run(now, out);
        ok
    }

    /// The station's cable went down at `now`: its signal stops and its frames are lost
    /// (returned).
    pub fn detach(&mut self, now: Instant, station: usize) -> Vec<Queued> {
        if let Some(i) = self.macs[station].sending {
            let s = &mut self.signals[i];
            s.end = now.max(s.start);
            s.jammed = true;
        }
        self.macs[station].flush()
    }

    /// The medium's next deadline.
    pub fn poll_at(&self) -> Option<Instant> {
        self.next_action().map(|(t, _)| t)
    }

    /// Runs everything due at or before `now`.
    pub fn run(&mut self, now: Instant, out: &mut Vec<SegmentOut>) {
        while let Some((t, action)) = self.next_action() {
            if t > now {
                break;
            }
            self.clock = self.clock.max(t);
            self.apply(t, action, out);
        }
        self.clock = self.clock.max(now);
        self.prune(now);
    }

    /// When a signal of `from` that spans `[start, end)` at its sender is heard at `at`.
    fn heard(&self, from: usize, at: usize, start: Instant, end: Instant) -> (Instant, Instant) {
        let d = self.layout.between(from, at);
        (start + d, end + d)
    }

    /// When station `s`, transmitting signal `x`, first hears another station's signal.
    fn collision_at(&self, s: usize, x: &Signal) -> Option<Instant> {
        self.signals
            .iter()
            .filter(|y| y.station != s)
            .filter_map(|y| {
                let (a, b) = self.heard(y.station, s, y.start, y.end);
                let t = a.max(x.start);
                (t < x.end && t < b).then_some(t)
            })
            .min()
    }

    /// The earliest time at or after `ready` when station `s` may start: 802.3's deference
    /// process (4.2.8) over the signals as `s` hears them. After carrier ends the station waits
    /// the inter-frame gap; carrier in its first 64 bit times (interFrameSpacingPart1) restarts
    /// the wait, carrier in the rest of it is ignored by a station with a frame waiting (it
    /// sends anyway, and collides: this is what keeps the last sender from capturing the
    /// medium), and after its own transmission the whole gap is waited regardless of carrier.
    fn start_at(&self, s: usize, ready: Instant) -> Instant {
        let gap = self.bandwidth.time_for(INTER_FRAME_GAP);
        let part1 = self.bandwidth.time_for(8);
        let mut busy: Vec<(Instant, Instant, bool)> = self
            .signals
            .iter()
            .map(|y| {
                if y.station == s {
                    (y.start, y.end, true)
                } else {
                    let (a, b) = self.heard(y.station, s, y.start, y.end);
                    (a, b, false)
                }
            })
            .collect();
        busy.sort();
        // The end of the carrier heard last, whether this station sent during it, and when
        // deference ends.
        let mut carrier_end: Option<Instant> = None;
        let mut was_transmitting = false;
        let mut free = Instant::ZERO;
        for (a, b, own) in busy {
            let start = ready.max(free);
            if a > start {
                return start;
            }
            if let Some(c) = carrier_end {
                if a >= c && ready <= free {
                    let ignored = if was_transmitting {
                        a <= free
                    } else {
                        a >= c + part1 && a <= free
                    };
                    if ignored {
                        continue;
                    }
                }
                if a > c {
                    was_transmitting = false;
                }
            }
            was_transmitting |= own;
            let c = carrier_end.map_or(b, |c| c.max(b));
            carrier_end = Some(c);
            free = c + gap;
        }
        ready.max(free)
    }

    fn next_action(&self) -> Option<(Instant, Action)> {
        let mut best: Option<(Instant, Action)> = None;
        let mut consider = |t: Instant, a: Action| {
            if best.is_none_or(|b| (t, a) < b) {
                best = Some((t, a));
            }
        };
        for (i, y) in self.signals.iter().enumerate() {
            if !y.resolved() {
                let d = self.layout.to_receiver(y.station, y.station);
                consider(y.end + d, Action::Verdict(i));
            }
        }
        for (s, mac) in self.macs.iter().enumerate() {
            match mac.sending {
                Some(i) => {
                    let x = &self.signals[i];
                    match self.collision_at(s, x) {
                        Some(t) => consider(t, Action::Collide(s)),
                        None => consider(x.end, Action::TxEnd(s)),
                    }
                }
                None if mac.head().is_some() => {
                    let ready = mac.ready().max(self.clock);
                    consider(self.start_at(s, ready), Action::Start(s))
                }
                None => {}
            }
        }
        best
    }

    fn apply(&mut self, t: Instant, action: Action, out: &mut Vec<SegmentOut>) {
        match action {
            Action::Start(s) => {
                let mac = &mut self.macs[s];
                let Some(head) = mac.head() else { return };
                let end = t + self.bandwidth.time_for(PREAMBLE_AND_SFD + head.len);
                self.signals.push(Signal {
                    station: s,
                    token: head.token,
                    attempt: mac.collisions + 1,
                    start: t,
                    end,
                    jammed: false,
                    judged: false,
                });
                mac.sending = Some(self.signals.len() - 1);
            }
            Action::TxEnd(s) => {
                let mac = &mut self.macs[s];
                if let Some(i) = mac.sending.take() {
                    mac.sent(self.signals[i].end);
                }
            }
            Action::Collide(s) => {
                let Some(i) = self.macs[s].sending.take() else {
                    return;
                };
                let slot = self.slot();
                let x = &mut self.signals[i];
                // The preamble is finished first, then the jam (802.3 4.2.3.2.4).
                let jam_from = t.max(x.start + self.bandwidth.time_for(PREAMBLE_AND_SFD));
                x.end = jam_from + self.bandwidth.time_for(JAM_BYTES);
                x.jammed = true;
                let after = t - x.start;
                let late = after >= slot;
                let (token, attempt, jam_end) = (x.token, x.attempt, x.end);
                let then = self.macs[s].collided(late, jam_end, slot, &mut self.rng);
                self.counters.collisions += 1;
                match then {
                    AfterCollision::Late => self.counters.late_collisions += 1,
                    AfterCollision::Excessive => self.counters.excessive_collisions += 1,
                    AfterCollision::Backoff { .. } => {}
                }
                out.push(SegmentOut::Collision {
                    station: s,
                    token,
                    attempt,
                    after,
                    late,
                    then,
                });
            }
            Action::Verdict(i) => {
                let x = self.signals[i];
                self.signals[i].judged = true;
                // Every signal as it reaches the place where x is received.
                let at_rx = |y: &Signal| {
                    let d = self.layout.to_receiver(x.station, y.station);
                    (y.start + d, y.end + d)
                };
                let (xa, xb) = at_rx(&x);
                let overlapped = self.signals.iter().enumerate().any(|(j, y)| {
                    let (ya, yb) = at_rx(y);
                    j != i && ya < xb && yb > xa
                });
                if overlapped {
                    self.counters.undetected_collisions += 1;
                    out.push(SegmentOut::Garbled {
                        station: x.station,
                        token: x.token,
                    });
                } else {
                    out.push(SegmentOut::Crossed {
                        station: x.station,
                        token: x.token,
                        start: x.start,
                        attempt: x.attempt,
                    });
                }
            }
        }
    }

    /// Forgets signals that can no longer matter: settled, heard everywhere and past the gap,
    /// and older than every signal still unsettled.
    fn prune(&mut self, now: Instant) {
        let margin = self.layout.reach() + self.bandwidth.time_for(INTER_FRAME_GAP);
        let oldest_open = self
            .signals
            .iter()
            .filter(|y| !y.resolved())
            .map(|y| y.start)
            .min()
            .unwrap_or(Instant::MAX);
        let keep: Vec<bool> = self
            .signals
            .iter()
            .map(|y| !(y.resolved() && y.end + margin < now && y.end + margin < oldest_open))
            .collect();
        if keep.iter().all(|k| *k) {
            return;
        }
        let mut renumber = vec![None; self.signals.len()];
        let mut n = 0;
        for (i, k) in keep.iter().enumerate() {
            if *k {
                renumber[i] = Some(n);
                n += 1;
            }
        }
        let mut i = 0;
        self.signals.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        for mac in &mut self.macs {
            mac.sending = mac.sending.and_then(|s| renumber[s]);
        }
    }
}

#[cfg(test)]
mod tests;
