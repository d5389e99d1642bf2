//! RFC 5681 congestion control with the NewReno decrease (RFC 6582): the algorithm the
//! `textbook` profile and `congestion = "reno"` run.

use super::{slow_start, Ack, Algorithm, CongestionControl, Window, INITIAL_SSTHRESH};
use crate::tcp::event::CongestionReason;
use crate::time::Instant;

/// Slow start, then one SMSS per window of acknowledged data; the window halves on loss.
#[derive(Clone, Debug, Default)]
pub struct Reno {
    /// Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 §3.1, the
    /// byte-counting form of "cwnd += SMSS*SMSS/cwnd").
    bytes_acked: u32,
}

impl Reno {
    pub fn new() -> Reno {
        Reno::default()
    }
}

/// RFC 5681 eq. 4 / RFC 6582 §3.2 step 2: ssthresh = max(FlightSize / 2, 2 SMSS).
fn halved(flight: u32, mss: u32) -> u32 {
    (flight / 2).max(2 * mss)
}

impl CongestionControl for Reno {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Reno
    }

    fn on_ack(&mut self, _now: Instant, w: &mut Window, ack: Ack) -> Option<CongestionReason> {
        let mut acked = ack.acked;
        let mut reason = None;
        if w.in_slow_start() {
            // What slow start leaves over at ssthresh goes on below (Linux `tcp_reno_cong_avoid`).
            acked = slow_start(w, ack);
            reason = Some(CongestionReason::SlowStart);
            if acked == 0 {
                return reason;
            }
        }
        self.bytes_acked = self.bytes_acked.saturating_add(acked);
        if self.bytes_acked < w.cwnd {
            return reason;
        }
        self.bytes_acked -= w.cwnd;
        w.cwnd = w.cwnd.saturating_add(ack.mss).min(INITIAL_SSTHRESH);
        Some(CongestionReason::CongestionAvoidance)
    }

    fn on_congestion_event(&mut self, _now: Instant, w: &mut Window, flight: u32, mss: u32) {
        w.ssthresh = halved(flight, mss);
    }

    fn on_timeout(&mut self, _now: Instant, w: &mut Window, flight: u32, mss: u32, first: bool) {
        if first {
            w.ssthresh = halved(flight, mss);
        }
        w.cwnd = mss;
        self.bytes_acked = 0;
    }

    fn on_spurious_congestion_event(&mut self, w: &mut Window, before: Window) {
        // Linux `tcp_reno_undo_cwnd` keeps the larger cwnd; ssthresh goes back too
        // (`tcp_undo_cwnd_reduction`).
        w.cwnd = w.cwnd.max(before.cwnd);
        w.ssthresh = w.ssthresh.max(before.ssthresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(acked: u32) -> Ack {
        Ack {
            acked,
            mss: MSS,
            srtt: None,
            abc: true,
        }
    }

    #[test]
    fn congestion_avoidance_adds_one_segment_per_window_acknowledged() {
        // RFC 5681 §3.1: cwnd grows by about one SMSS per RTT once cwnd >= ssthresh.
        let mut r = Reno::new();
        let mut w = Window {
            cwnd: 10 * MSS,
            ssthresh: 5 * MSS,
        };
        for _ in 0..9 {
            assert_eq!(r.on_ack(Instant::ZERO, &mut w, ack(MSS)), None);
        }
        assert_eq!(
            r.on_ack(Instant::ZERO, &mut w, ack(MSS)),
            Some(CongestionReason::CongestionAvoidance)
        );
        assert_eq!(w.cwnd, 11 * MSS);
    }

    #[test]
    fn loss_halves_the_flight_and_timeout_restarts_from_one_segment() {
        let mut r = Reno::new();
        let mut w = Window {
            cwnd: 20 * MSS,
            ssthresh: INITIAL_SSTHRESH,
        };
        // RFC 6582 §3.2 step 2 (FlightSize, not cwnd).
        r.on_congestion_event(Instant::ZERO, &mut w, 16 * MSS, MSS);
        assert_eq!(w.ssthresh, 8 * MSS);
        // Never below 2 SMSS.
        r.on_congestion_event(Instant::ZERO, &mut w, MSS, MSS);
        assert_eq!(w.ssthresh, 2 * MSS);
        // RFC 5681 eq. 4 on the first timeout; a second one leaves ssthresh alone.
        r.on_timeout(Instant::ZERO, &mut w, 12 * MSS, MSS, true);
        assert_eq!((w.cwnd, w.ssthresh), (MSS, 6 * MSS));
        r.on_timeout(Instant::ZERO, &mut w, MSS, MSS, false);
        assert_eq!((w.cwnd, w.ssthresh), (MSS, 6 * MSS));
    }

    #[test]
    fn spurious_event_restores_the_window() {
        let mut r = Reno::new();
        let before = Window {
            cwnd: 20 * MSS,
            ssthresh: 30 * MSS,
        };
        let mut w = before;
        r.on_timeout(Instant::ZERO, &mut w, 20 * MSS, MSS, true);
        r.on_spurious_congestion_event(&mut w, before);
        assert_eq!(w, before);
    }
}
