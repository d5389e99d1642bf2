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
use super::seq::SeqNumber;
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

/// How much of cwnd the sender used, as Linux tracks it to decide whether cwnd may grow
/// (`tcp_sock`'s `is_cwnd_limited`, `max_packets_out`, `cwnd_usage_seq`; updated by
/// `tcp_cwnd_validate` after each transmission of new data, read by `tcp_is_cwnd_limited`).
/// RFC 7661 §4.3's concern in Linux's form: an application-limited sender does not grow a
/// window it does not use, except that slow start may double what was in flight.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CwndUse {
    /// cwnd stopped the sender during the current window (`is_cwnd_limited`).
    limited: bool,
    /// Most segments in flight during the current window (`max_packets_out`).
    max_out: u32,
    /// The current window ends when SND.UNA reaches this (`cwnd_usage_seq`); `None` before
    /// anything was sent.
    until: Option<SeqNumber>,
}

impl CwndUse {
    /// After new data went out (or cwnd held it back): `out` segments are sent and not
    /// acknowledged (`packets_out`), `limited` says whether what is in flight fills cwnd.
    /// A new window starts once the last one is acknowledged, or at once when cwnd-limited;
    /// within a window the largest flight is kept (`tcp_cwnd_validate`).
    pub fn on_send(&mut self, snd_una: SeqNumber, snd_max: SeqNumber, out: u32, limited: bool) {
        let window_done = self.until.is_none_or(|u| u <= snd_una);
        if window_done || limited || (!self.limited && out > self.max_out) {
            self.limited = limited;
            self.max_out = out;
            self.until = Some(snd_max);
        }
    }

    /// Whether an ACK may grow cwnd (`tcp_is_cwnd_limited`): cwnd was the limit in this
    /// window, or, in slow start, cwnd is below twice the largest flight.
    pub fn allows_growth(&self, w: &Window, mss: u32) -> bool {
        self.limited
            || (w.in_slow_start()
                && u64::from(w.cwnd) < 2 * u64::from(self.max_out) * u64::from(mss))
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
    /// Slow start as RFC 3465 §2.2 limits it: at most L = 2 SMSS per ACK, and none of an
    /// ACK's bytes left over for congestion avoidance. Off: as Linux's `tcp_slow_start`,
    /// cwnd grows by everything acknowledged up to ssthresh, and the rest goes to
    /// congestion avoidance (`TcpConfig::linux_cwnd_growth`).
    pub abc: bool,
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

/// RFC 5681 §3.1 slow start, never past ssthresh. Shared by every controller here: RFC 9438
/// §4.10 keeps standard slow start. With `ack.abc`, RFC 3465 byte counting (L = 2 SMSS);
/// without, Linux's `tcp_slow_start`: cwnd grows by all `ack.acked` up to ssthresh. Returns
/// the acknowledged bytes slow start did not use, which Linux gives to congestion avoidance
/// (always 0 with `abc`, as RFC 3465 has no such carry).
pub(crate) fn slow_start(w: &mut Window, ack: Ack) -> u32 {
    let inc = if ack.abc {
        ack.acked.min(2 * ack.mss)
    } else {
        ack.acked
    };
    let before = w.cwnd;
    w.cwnd = w.cwnd.saturating_add(inc).min(w.ssthresh.max(w.cwnd));
    w.cwnd = w.cwnd.min(INITIAL_SSTHRESH);
    if ack.abc {
        0
    } else {
        ack.acked - (w.cwnd - before).min(ack.acked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(acked: u32, abc: bool) -> Ack {
        Ack {
            acked,
            mss: 1000,
            srtt: None,
            abc,
        }
    }

    #[test]
    fn an_application_limited_flight_lets_slow_start_double_it_and_no_more() {
        // slow-start-app-limited-9-packets-out.pkt's mechanism (`tcp_is_cwnd_limited`): 9
        // segments sent under a cwnd of 10 allow growth while cwnd < 18.
        let mut u = CwndUse::default();
        u.on_send(SeqNumber(1), SeqNumber(9001), 9, false);
        let w = |cwnd| Window {
            cwnd,
            ssthresh: INITIAL_SSTHRESH,
        };
        assert!(u.allows_growth(&w(17_000), 1000));
        assert!(!u.allows_growth(&w(18_000), 1000));
        // Not in slow start: only a cwnd-limited window grows.
        let ca = Window {
            cwnd: 10_000,
            ssthresh: 5_000,
        };
        assert!(!u.allows_growth(&ca, 1000));
        // Within the window a smaller flight does not lower the mark...
        u.on_send(SeqNumber(5001), SeqNumber(10001), 5, false);
        assert!(u.allows_growth(&w(17_000), 1000));
        // ...but once the window is acknowledged the next send starts a new one.
        u.on_send(SeqNumber(9001), SeqNumber(11001), 2, false);
        assert!(!u.allows_growth(&w(10_000), 1000));
        // Filling cwnd marks the window cwnd-limited whatever the phase.
        u.on_send(SeqNumber(9001), SeqNumber(19001), 10, true);
        assert!(u.allows_growth(&ca, 1000));
    }

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
        assert_eq!(slow_start(&mut w, ack(3000, true)), 0);
        assert_eq!(w.cwnd, 12_000);
        // RFC 5681 §3.1: slow start ends at ssthresh.
        let mut w = Window {
            cwnd: 9_500,
            ssthresh: 10_000,
        };
        assert_eq!(slow_start(&mut w, ack(2000, true)), 0);
        assert_eq!(w.cwnd, 10_000);
    }

    #[test]
    fn linux_slow_start_counts_every_segment_and_carries_the_rest_past_ssthresh() {
        // Linux `tcp_slow_start`: cwnd = min(cwnd + acked, ssthresh), and acked − growth is
        // returned for `tcp_cong_avoid_ai` / `bictcp_update`.
        let mut w = Window {
            cwnd: 10 * 1000,
            ssthresh: INITIAL_SSTHRESH,
        };
        assert_eq!(slow_start(&mut w, ack(4000, false)), 0);
        assert_eq!(w.cwnd, 14_000);
        let mut w = Window {
            cwnd: 9_000,
            ssthresh: 10_000,
        };
        assert_eq!(slow_start(&mut w, ack(3000, false)), 2000);
        assert_eq!(w.cwnd, 10_000);
    }
}
