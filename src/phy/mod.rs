//! Physical layer: what happens to a frame's bytes between two ports.
//!
//! A link is full duplex: two independent [`Transmitter`]s, one per direction (unless it is a
//! cable to a half-duplex hub: then the hub's [`csma::Segment`] decides when its frames go). Each has a
//! bandwidth (serialisation delay over the whole wire frame), a propagation delay, a drop-tail
//! queue and a bit error rate that flips real bits of the frame ([`BitErrors`]).
//!
//! The transmitter is a sans-IO core: [`Transmitter::transmit`] takes `now` and the frame length
//! and answers when the frame starts, ends and arrives, or that the queue dropped it. It never
//! needs a "transmission finished" event: a frame's start time is fixed the moment it is queued
//! (the line is FIFO), so the queue is just the start times still in the future.

pub mod csma;
pub mod errors;

pub use errors::BitErrors;

use crate::time::{parse_scaled, Duration, Instant, ParsedNumber};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

/// Bytes of preamble (7) and start-of-frame delimiter (1) sent before every frame.
pub const PREAMBLE_AND_SFD: usize = 8;
/// Minimum idle time between frames, in byte times (IEEE 802.3 inter-frame gap, 96 bit times).
pub const INTER_FRAME_GAP: usize = 12;

/// A line rate in bits per second.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Bandwidth(u64);

impl Bandwidth {
    pub const fn from_bps(bps: u64) -> Self {
        Bandwidth(bps)
    }
    pub const fn bps(self) -> u64 {
        self.0
    }
    /// Time to clock `bytes` onto the wire, rounded up to the next nanosecond so that a
    /// transmitter is never considered free before its last bit has left.
    pub fn time_for(self, bytes: usize) -> Duration {
        let rate = self.0.max(1);
        // In 64 bits whenever the product fits (any frame up to about 2 GB): a 128-bit
        // division is a library call, and every frame on every link asks this.
        if let Some(bit_ns) = (bytes as u64)
            .checked_mul(8)
            .and_then(|bits| bits.checked_mul(1_000_000_000))
        {
            return Duration::from_nanos(bit_ns.div_ceil(rate));
        }
        let bits = bytes as u128 * 8;
        let ns = (bits * 1_000_000_000).div_ceil(rate as u128);
        Duration::from_nanos(ns.min(u64::MAX as u128) as u64)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        let s = if b >= 1_000_000_000 && b.is_multiple_of(1_000_000) {
            format!("{}Gbps", b as f64 / 1e9)
        } else if b >= 1_000_000 && b.is_multiple_of(1_000) {
            format!("{}Mbps", b as f64 / 1e6)
        } else if b >= 1_000 && b.is_multiple_of(1_000) {
            format!("{}kbps", b / 1_000)
        } else {
            format!("{b}bps")
        };
        f.pad(&s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseBandwidthError {
    #[error("`{0}` has no unit: write a rate such as `{0}Mbps` (units: bps, kbps, Mbps, Gbps)")]
    NoUnit(String),
    #[error("unknown rate unit `{unit}` in `{text}`: expected one of bps, kbps, Mbps, Gbps")]
    BadUnit { text: String, unit: String },
    #[error("expected a rate such as `100Mbps` or `1Gbps`, found `{0}`")]
    NotARate(String),
    #[error("a link's bandwidth must be above zero, found `{0}`")]
    Zero(String),
}

impl FromStr for Bandwidth {
    type Err = ParseBandwidthError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        let scale = |u: &str| match u {
            "bps" | "bit/s" => Some(1),
            "kbps" | "Kbps" | "kbit/s" => Some(1_000),
            "Mbps" | "mbps" | "Mbit/s" => Some(1_000_000),
            "Gbps" | "gbps" | "Gbit/s" => Some(1_000_000_000),
            _ => None,
        };
        match parse_scaled(t, scale) {
            ParsedNumber::Ok(0) => Err(ParseBandwidthError::Zero(t.to_string())),
            ParsedNumber::Ok(bps) => Ok(Bandwidth(bps)),
            ParsedNumber::NoUnit => Err(ParseBandwidthError::NoUnit(t.to_string())),
            ParsedNumber::BadUnit(unit) => Err(ParseBandwidthError::BadUnit {
                text: t.to_string(),
                unit,
            }),
            _ => Err(ParseBandwidthError::NotARate(t.to_string())),
        }
    }
}

/// The settings of one direction of a link. The defaults are those of a switched 100 Mbps
/// Ethernet LAN cable: 100 Mbps, 5 µs of propagation (about 1 km of copper), 100 frames of
/// queue, no bit errors.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkConfig {
    /// Line rate; serialisation delay is counted over preamble + frame + FCS + inter-frame gap.
    pub bandwidth: Bandwidth,
    /// One-way propagation delay.
    pub delay: Duration,
    /// Frames that may wait behind the one being sent (drop-tail beyond that).
    pub queue_frames: usize,
    /// Probability that any one bit of a frame is flipped on its way (0 = perfect line).
    pub bit_error_rate: f64,
    /// Largest IP packet the link carries (bytes of Ethernet payload).
    pub mtu: usize,
    /// Probability that a frame is lost outright (Mininet's `loss`, ns-3's error model);
    /// independent of the bit error rate.
    pub loss: f64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            bandwidth: Bandwidth::from_bps(100_000_000),
            delay: Duration::from_micros(5),
            queue_frames: 100,
            bit_error_rate: 0.0,
            mtu: 1500,
            loss: 0.0,
        }
    }
}

/// What became of a frame handed to a transmitter.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TxOutcome {
    /// The frame will be sent: its first bit leaves at `start`, its last bit arrives at the far
    /// end at `arrival`. `queued_behind` frames were waiting before it (0 = sent at once).
    Sent {
        start: Instant,
        arrival: Instant,
        queued_behind: usize,
    },
    /// The transmit queue was full (drop-tail).
    QueueFull,
    /// The link is down.
    LinkDown,
}

crate::counters! {
    /// Counters of one direction of a link. Always kept (they are plain integers).
    pub struct TxCounters {
        /// Frames put on the wire.
        frames,
        /// Their bytes (destination MAC through FCS).
        bytes,
        /// Frames dropped because the transmit queue was full.
        queue_drops,
        /// Frames dropped because the link was down.
        down_drops,
        /// Frames that had bits flipped on the way.
        corrupted_frames,
        /// Bits flipped in all.
        bit_errors,
        /// Frames lost at random (the link's `loss` probability).
        lost,
    }
}

/// One direction of a link: a FIFO line with a drop-tail queue.
#[derive(Clone, Debug)]
pub struct Transmitter {
    pub config: LinkConfig,
    /// When the line is free again (end of the last scheduled frame plus its inter-frame gap).
    busy_until: Instant,
    /// Start times of frames queued but not yet on the wire, oldest first.
    waiting: VecDeque<Instant>,
    pub counters: TxCounters,
}

impl Transmitter {
    pub fn new(config: LinkConfig) -> Self {
        Transmitter {
            config,
            busy_until: Instant::ZERO,
            waiting: VecDeque::new(),
            counters: TxCounters::default(),
        }
    }

    /// Frames waiting in the queue at `now` (not counting one on the wire).
    pub fn queue_len(&mut self, now: Instant) -> usize {
        while self.waiting.front().is_some_and(|&s| s <= now) {
            self.waiting.pop_front();
        }
        self.waiting.len()
    }

    /// Hands a frame of `frame_len` bytes (destination MAC through FCS) to the line at `now`.
    pub fn transmit(&mut self, now: Instant, frame_len: usize) -> TxOutcome {
        let queued_behind = self.queue_len(now);
        let line_busy = self.busy_until > now;
        if line_busy && queued_behind >= self.config.queue_frames {
            self.counters.queue_drops += 1;
            return TxOutcome::QueueFull;
        }
        let start = if line_busy { self.busy_until } else { now };
        if line_busy {
            self.waiting.push_back(start);
        }
        let bw = self.config.bandwidth;
        let on_wire = bw.time_for(PREAMBLE_AND_SFD + frame_len);
        self.busy_until = start + on_wire + bw.time_for(INTER_FRAME_GAP);
        self.counters.frames += 1;
        self.counters.bytes += frame_len as u64;
        TxOutcome::Sent {
            start,
            arrival: start + on_wire + self.config.delay,
            queued_behind: if line_busy { queued_behind + 1 } else { 0 },
        }
    }

    /// The repeater's side of a shared medium (`csma`): it passes bits on as they come in, so
    /// a frame whose last bit reached it `now` went out one serialisation earlier, and nothing
    /// waits (the medium lets one frame cross at a time).
    pub fn repeat(&mut self, now: Instant, frame_len: usize) -> TxOutcome {
        let on_wire = self.config.bandwidth.time_for(PREAMBLE_AND_SFD + frame_len);
        let start = Instant::from_nanos(now.as_nanos().saturating_sub(on_wire.as_nanos()));
        self.crossed(start, start + on_wire + self.config.delay, frame_len)
    }

    /// A station's frame that crossed a shared medium whole (`csma`): its first bit left at
    /// `start`, its last reaches the far end at `arrival`.
    pub fn crossed(&mut self, start: Instant, arrival: Instant, frame_len: usize) -> TxOutcome {
        self.counters.frames += 1;
        self.counters.bytes += frame_len as u64;
        TxOutcome::Sent {
            start,
            arrival,
            queued_behind: 0,
        }
    }

    /// The link went down: whatever was queued is lost and the line is idle.
    pub fn reset(&mut self, now: Instant) {
        self.waiting.clear();
        self.busy_until = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(bw: &str, delay_us: u64, queue: usize) -> Transmitter {
        Transmitter::new(LinkConfig {
            bandwidth: bw.parse().unwrap(),
            delay: Duration::from_micros(delay_us),
            queue_frames: queue,
            ..LinkConfig::default()
        })
    }

    #[test]
    fn bandwidth_parses_and_rejects_bad_units() {
        assert_eq!("100Mbps".parse::<Bandwidth>().unwrap().bps(), 100_000_000);
        assert_eq!("1Gbps".parse::<Bandwidth>().unwrap().bps(), 1_000_000_000);
        assert_eq!("9600bps".parse::<Bandwidth>().unwrap().bps(), 9600);
        assert_eq!("1.5Mbps".parse::<Bandwidth>().unwrap().bps(), 1_500_000);
        assert!(matches!(
            "100Mbs".parse::<Bandwidth>(),
            Err(ParseBandwidthError::BadUnit { .. })
        ));
        assert!(matches!(
            "100".parse::<Bandwidth>(),
            Err(ParseBandwidthError::NoUnit(_))
        ));
        assert!(matches!(
            "-5Mbps".parse::<Bandwidth>(),
            Err(ParseBandwidthError::NotARate(_))
        ));
        assert!(matches!(
            "0Mbps".parse::<Bandwidth>(),
            Err(ParseBandwidthError::Zero(_))
        ));
        assert_eq!(Bandwidth::from_bps(100_000_000).to_string(), "100Mbps");
    }

    #[test]
    fn minimum_frame_takes_672ns_at_1gbps() {
        // 64-byte frame + 8 preamble/SFD = 72 bytes = 576 bits = 576 ns on the wire;
        // with the 12-byte gap the line is busy 672 ns (the classic 84-byte slot).
        let mut t = tx("1Gbps", 1, 10);
        let TxOutcome::Sent { start, arrival, .. } = t.transmit(Instant::ZERO, 64) else {
            panic!("expected the frame to be sent")
        };
        assert_eq!(start, Instant::ZERO);
        assert_eq!(arrival.as_nanos(), 576 + 1_000);
        assert_eq!(t.busy_until.as_nanos(), 672);
    }

    #[test]
    fn serialisation_rounds_up_to_the_nanosecond() {
        // 1 byte at 3 bps = 8/3 s = 2.666…s, must round up.
        let bw = Bandwidth::from_bps(3);
        assert_eq!(bw.time_for(1).as_nanos(), 2_666_666_667);
        // Past what 64 bits hold (bytes × 8 × 10^9), the 128-bit path gives the same rule.
        let huge = 4_000_000_000usize;
        assert_eq!(
            Bandwidth::from_bps(1_000_000_000).time_for(huge).as_nanos(),
            32_000_000_000
        );
        assert_eq!(
            Bandwidth::from_bps(7).time_for(huge).as_nanos(),
            (huge as u128 * 8 * 1_000_000_000).div_ceil(7) as u64
        );
    }

    #[test]
    fn back_to_back_frames_queue_in_fifo_order() {
        let mut t = tx("100Mbps", 0, 10);
        let slot = Bandwidth::from_bps(100_000_000).time_for(8 + 1518 + 12);
        let first = t.transmit(Instant::ZERO, 1518);
        let second = t.transmit(Instant::ZERO, 1518);
        let TxOutcome::Sent {
            queued_behind: 0, ..
        } = first
        else {
            panic!("{first:?}")
        };
        match second {
            TxOutcome::Sent {
                start,
                queued_behind,
                ..
            } => {
                assert_eq!(start, Instant::ZERO + slot);
                assert_eq!(queued_behind, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn drop_tail_when_queue_is_full() {
        let mut t = tx("10Mbps", 0, 2);
        let now = Instant::ZERO;
        assert!(matches!(t.transmit(now, 1000), TxOutcome::Sent { .. })); // on the wire
        assert!(matches!(t.transmit(now, 1000), TxOutcome::Sent { .. })); // queued 1
        assert!(matches!(t.transmit(now, 1000), TxOutcome::Sent { .. })); // queued 2
        assert_eq!(t.transmit(now, 1000), TxOutcome::QueueFull);
        assert_eq!(t.counters.queue_drops, 1);
        assert_eq!(t.counters.frames, 3);
    }

    #[test]
    fn queue_drains_as_time_passes() {
        let mut t = tx("10Mbps", 0, 1);
        let now = Instant::ZERO;
        t.transmit(now, 1000);
        t.transmit(now, 1000);
        assert_eq!(t.transmit(now, 1000), TxOutcome::QueueFull);
        // Once the first frame has left and the second has started, there is room again.
        let later = now + Duration::from_millis(1);
        assert_eq!(t.queue_len(later), 0);
        assert!(matches!(t.transmit(later, 1000), TxOutcome::Sent { .. }));
    }

    #[test]
    fn reset_empties_the_queue() {
        let mut t = tx("10Mbps", 0, 5);
        for _ in 0..4 {
            t.transmit(Instant::ZERO, 1500);
        }
        t.reset(Instant::from_nanos(10));
        assert_eq!(t.queue_len(Instant::from_nanos(10)), 0);
        let TxOutcome::Sent { start, .. } = t.transmit(Instant::from_nanos(10), 64) else {
            panic!()
        };
        assert_eq!(start, Instant::from_nanos(10));
    }
}
