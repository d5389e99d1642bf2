//! Congestion control behind one trait, so a host can run NewReno or CUBIC.
//!
//! The split follows RFC 5681's: the *controller* decides how the window grows on new
//! acknowledgements (slow start, congestion avoidance) and how far it is cut when the path
//! reports congestion (the multiplicative decrease); the *loss recovery* procedure that runs
//! while losses are repaired (NewReno's inflation and partial ACKs, RFC 6582; SACK-based
//! recovery, RFC 6675) stays in the connection and only asks the controller for the new
//! ssthresh. That is also where Linux draws the line (`struct tcp_congestion_ops`:
//! `ssthresh`, `cong_avoid`, `undo_cwnd`; recovery lives in `tcp_input.c`).
//!
//! The shape is the one of quinn-proto's `congestion::Controller` (on-ack, on-congestion-event,
//! on-spurious-event), written again for TCP's byte-counted window and sans-IO: every method
//! takes `now`, nothing reads a clock.

use std::fmt;

use super::event::CongestionReason;
use crate::time::{Duration, Instant};

pub mod cubic;
pub mod hystart;
pub mod reno;

pub use cubic::Cubic;
pub use hystart::RttSample;
pub use reno::Reno;

/// Linux's initial ssthresh: effectively infinite, so slow start runs until the first loss.
pub const INITIAL_SSTHRESH: u32 = 0x7fff_ffff;

/// Which congestion-control algorithm a host runs (`congestion = "cubic" | "reno"` in a host's
/// `tcp` table; Linux's `TCP_CONGESTION` socket option / `tcp_congestion_control` sysctl).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Algorithm {
    /// RFC 5681 slow start and congestion avoidance with the RFC 6582 NewReno decrease
    /// (ssthresh = FlightSize / 2).
    Reno,
    /// RFC 9438 CUBIC with Linux's constants (β = 0.7, C = 0.4, fast convergence on).
    Cubic,
}

impl Algorithm {
    /// The name as Linux spells it (`ss -i`, `sysctl net.ipv4.tcp_congestion_control`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Reno => "reno",
            Algorithm::Cubic => "cubic",
        }
    }

    /// Parses a name as Linux spells it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "reno" | "newreno" => Some(Algorithm::Reno),
            "cubic" => Some(Algorithm::Cubic),
            _ => None,
        }
    }

    /// A fresh controller of this kind; `hystart` is CUBIC's `hystart_detect` (0: off).
    pub fn controller(self, hystart: u8) -> Box<dyn CongestionControl> {
        match self {
            Algorithm::Reno => Box::new(Reno::new()),
            Algorithm::Cubic => Box::new(Cubic::with_hystart(hystart)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The window a controller acts on, owned by the connection (the loss-recovery procedure
/// adjusts `cwnd` too), in bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Window {
    pub cwnd: u32,
    pub ssthresh: u32,
}

impl Window {
    pub fn in_slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }
}

/// What an acknowledgement tells a controller.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ack {
    /// Bytes newly acknowledged (cumulatively).
    pub acked: u32,
    /// Sender MSS in bytes.
    pub mss: u32,
    /// The smoothed RTT, once there is one (CUBIC aims at W(t + RTT)).
    pub srtt: Option<Duration>,
}

/// A congestion-control algorithm: the growth and decrease rules, with whatever state they
/// keep between events.
pub trait CongestionControl: fmt::Debug + Send {
    fn algorithm(&self) -> Algorithm;

    /// Grows the window for `ack`, outside loss recovery and only while the window is used
    /// (the caller checks, as Linux's `tcp_is_cwnd_limited`). Returns why it changed, or
    /// `None` when it did not.
    fn on_ack(&mut self, now: Instant, w: &mut Window, ack: Ack) -> Option<CongestionReason>;

    /// An RTT measurement from an ACK that delivered data (Linux's `pkts_acked` hook), taken
    /// before the window grows for that ACK. Returns why the window changed, if it did.
    fn on_rtt_sample(
        &mut self,
        _now: Instant,
        _w: &mut Window,
        _sample: RttSample,
    ) -> Option<CongestionReason> {
        None
    }

    /// Congestion was detected by duplicate ACKs, SACK or RACK at `now`: set the new ssthresh
    /// (the multiplicative decrease). `flight` is RFC 5681's FlightSize. The recovery
    /// procedure then sets cwnd from it.
    fn on_congestion_event(&mut self, now: Instant, w: &mut Window, flight: u32, mss: u32);

    /// Data goes out with nothing in flight, `idle` after the last data sent (Linux
    /// `CA_EVENT_TX_START`).
    fn on_transmit_after_idle(&mut self, _now: Instant, _idle: Duration) {}

    /// The retransmission timer expired (RFC 5681 §3.1 eq. 4, RFC 9438 §4.8): cwnd becomes
    /// one segment; ssthresh is cut only on the `first` timeout of a segment, since a segment
    /// already retransmitted says nothing new about the path.
    fn on_timeout(&mut self, now: Instant, w: &mut Window, flight: u32, mss: u32, first: bool);

    /// The last congestion event was spurious (F-RTO, RFC 5682; DSACK): restore what it
    /// changed. `before` is the window as it was before the event.
    fn on_spurious_congestion_event(&mut self, w: &mut Window, before: Window);
}

/// RFC 5681 §3.1 slow start with RFC 3465 byte counting (L = 2 SMSS), never past ssthresh.
/// Shared by every controller here: RFC 9438 §4.10 keeps standard slow start.
pub(crate) fn slow_start(w: &mut Window, acked: u32, mss: u32) {
    let inc = acked.min(2 * mss);
    w.cwnd = w.cwnd.saturating_add(inc).min(w.ssthresh.max(w.cwnd));
    w.cwnd = w.cwnd.min(INITIAL_SSTHRESH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in [Algorithm::Reno, Algorithm::Cubic] {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(a.controller(0).algorithm(), a);
        }
        assert_eq!(Algorithm::from_name("bbr"), None);
    }

    #[test]
    fn slow_start_counts_bytes_up_to_two_segments_and_stops_at_ssthresh() {
        // RFC 3465 §2.2: an ACK of 3 segments grows cwnd by at most L = 2 SMSS.
        let mut w = Window {
            cwnd: 10 * 1000,
            ssthresh: INITIAL_SSTHRESH,
        };
        slow_start(&mut w, 3000, 1000);
        assert_eq!(w.cwnd, 12_000);
        // RFC 5681 §3.1: slow start ends at ssthresh.
        let mut w = Window {
            cwnd: 9_500,
            ssthresh: 10_000,
        };
        slow_start(&mut w, 2000, 1000);
        assert_eq!(w.cwnd, 10_000);
    }
}
