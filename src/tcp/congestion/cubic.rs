//! CUBIC (RFC 9438) with Linux's constants: β = 0.7 (`beta` = 717/1024), C = 0.4
//! (`bic_scale` = 41), fast convergence on, the Reno-friendly region on (`tcp_friendliness`).
//!
//! After a congestion event the window follows a cubic function of the time since the event,
//! `W(t) = C·(t − K)³ + W_max` (§4.2): concave up to the window where the loss happened
//! (reached after `K` seconds), flat around it, convex beyond it. Time is in integer
//! nanoseconds and windows in bytes, so every run is bit-for-bit the same on every machine
//! (no floating-point cube root).
//!
//! Slow start ends at the first loss (RFC 9438 §4.10) or earlier, when HyStart sees the path
//! full (`hystart.rs`, on in the `linux` profile as in Linux).
//!
//! After an idle period the epoch moves forward by the idle time, so the curve resumes where
//! it left off instead of jumping ahead (Linux `cubictcp_cwnd_event`, `CA_EVENT_TX_START`).

use super::hystart::HyStart;
use super::{slow_start, Ack, Algorithm, CongestionControl, RttSample, Window, INITIAL_SSTHRESH};
use crate::tcp::event::CongestionReason;
use crate::time::{Duration, Instant};

/// β as Linux writes it: 717/1024 ≈ 0.7 (RFC 9438 §4.6).
const BETA_NUM: u64 = 717;
const BETA_DEN: u64 = 1024;
/// C = 0.4 segments per second cubed (RFC 9438 §5), as 2/5.
const C_NUM: u128 = 2;
const C_DEN: u128 = 5;
/// Nanoseconds per second, cubed.
const NS3: u128 = 1_000_000_000_000_000_000_000_000_000;
/// Bound on |t − K| so the cube stays in range (the window is long clamped by then).
const MAX_OFFSET_NS: u64 = 100_000_000_000;

/// The CUBIC state between congestion events.
#[derive(Clone, Debug, Default)]
pub struct Cubic {
    /// W_max: the window (bytes) before the last reduction, after fast convergence (§4.7).
    w_max: u32,
    /// W_max before the last congestion event, for undoing it.
    prior_w_max: u32,
    /// Start of the current congestion-avoidance epoch; `None` until the first ACK after a
    /// reduction (or after slow start).
    epoch_start: Option<Instant>,
    /// The plateau of this epoch's curve: W_max, or cwnd if cwnd was already above it.
    origin: u32,
    /// K of §4.2, in nanoseconds.
    k_ns: u64,
    /// W_est of §4.3 (Reno-friendly estimate), bytes, with its fractional remainder.
    w_est: u64,
    w_est_frac: u64,
    /// Growth owed but not yet a whole segment: bytes·bytes (numerator of Δcwnd).
    credit: u128,
    hystart: HyStart,
}

/// Integer cube root (floor) of `x`.
fn icbrt(x: u128) -> u64 {
    if x == 0 {
        return 0;
    }
    // Binary search over the 64-bit range: at most 64 steps, exact.
    let (mut lo, mut hi) = (0u64, 1u64 << 43); // (2^43)^3 = 2^129 > u128::MAX
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let m = mid as u128;
        if m.checked_mul(m)
            .and_then(|m2| m2.checked_mul(m))
            .is_some_and(|c| c <= x)
        {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

impl Cubic {
    pub fn new() -> Cubic {
        Cubic::default()
    }

    /// CUBIC with HyStart's detectors `detect` (Linux's `hystart_detect`; 0: off).
    pub fn with_hystart(detect: u8) -> Cubic {
        Cubic {
            hystart: HyStart::new(detect),
            ..Cubic::default()
        }
    }

    /// W_max (bytes) as the last congestion event left it.
    pub fn w_max(&self) -> u32 {
        self.w_max
    }

    /// K (§4.2) of the current epoch.
    pub fn k(&self) -> Duration {
        Duration::from_nanos(self.k_ns)
    }

    /// W_cubic(t) of §4.2 in bytes, `t` since the epoch started.
    fn w_cubic(&self, t: Duration, mss: u32) -> u64 {
        let t = t.as_nanos();
        let (d, below) = if t >= self.k_ns {
            ((t - self.k_ns).min(MAX_OFFSET_NS), false)
        } else {
            ((self.k_ns - t).min(MAX_OFFSET_NS), true)
        };
        let d = d as u128;
        let delta = C_NUM * mss as u128 * d * d * d / (C_DEN * NS3);
        let delta = delta.min(u64::MAX as u128 / 2) as u64;
        if below {
            (self.origin as u64).saturating_sub(delta)
        } else {
            (self.origin as u64).saturating_add(delta)
        }
    }

    fn begin_epoch(&mut self, now: Instant, cwnd: u32, mss: u32) {
        self.epoch_start = Some(now);
        self.credit = 0;
        self.w_est = cwnd as u64;
        self.w_est_frac = 0;
        if self.w_max <= cwnd {
            // No loss yet, or the window already passed the old maximum: start on the
            // convex part (Linux `bictcp_update`: K = 0, origin = cwnd).
            self.k_ns = 0;
            self.origin = cwnd;
        } else {
            // §4.2: K = cbrt((W_max − cwnd_epoch) / C), in segments and seconds.
            let segs_ns3 = (self.w_max - cwnd) as u128 * C_DEN * NS3 / (C_NUM * mss as u128);
            self.k_ns = icbrt(segs_ns3);
            self.origin = self.w_max;
        }
    }

    fn reduce(&mut self, w: &mut Window, mss: u32) {
        self.epoch_start = None;
        self.prior_w_max = self.w_max;
        // §4.7 fast convergence: a loss below the previous maximum means a new flow is
        // taking its share; release some of ours.
        self.w_max = if w.cwnd < self.w_max {
            ((w.cwnd as u64 * (BETA_DEN + BETA_NUM)) / (2 * BETA_DEN)) as u32
        } else {
            w.cwnd
        };
        // §4.6: ssthresh = cwnd·β, at least 2 segments (Linux `cubictcp_recalc_ssthresh`).
        w.ssthresh = ((w.cwnd as u64 * BETA_NUM / BETA_DEN) as u32).max(2 * mss);
    }
}

impl CongestionControl for Cubic {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Cubic
    }

    fn on_ack(&mut self, now: Instant, w: &mut Window, ack: Ack) -> Option<CongestionReason> {
        let mut ack = ack;
        let mut slow_started = false;
        if w.in_slow_start() {
            // What slow start leaves over at ssthresh goes on below (Linux
            // `cubictcp_cong_avoid`).
            ack.acked = slow_start(w, ack);
            if ack.acked == 0 {
                return Some(CongestionReason::SlowStart);
            }
            slow_started = true;
        }
        let mss = ack.mss.max(1);
        if self.epoch_start.is_none() {
            self.begin_epoch(now, w.cwnd, mss);
        }
        let start = self.epoch_start.unwrap_or(now);
        let t = now.saturating_since(start);
        let rtt = ack.srtt.unwrap_or(Duration::ZERO);
        let cwnd = w.cwnd as u64;
        // §4.4: aim at where the curve will be one RTT from now, but never more than 1.5×
        // cwnd, and never shrink.
        let target = self
            .w_cubic(t.saturating_add(rtt), mss)
            .clamp(cwnd, cwnd + cwnd / 2);
        // §4.3 Reno-friendly region: W_est grows by α per window, α = 3(1−β)/(1+β) until it
        // reaches W_max, 1 after. With β = 717/1024: α = 3·307/1741.
        let (a_num, a_den) = if self.w_est < self.w_max as u64 {
            (3 * (BETA_DEN - BETA_NUM), BETA_DEN + BETA_NUM)
        } else {
            (1, 1)
        };
        let num = self.w_est_frac + a_num * ack.acked as u64 * mss as u64;
        let den = a_den * cwnd.max(1);
        self.w_est += num / den;
        self.w_est_frac = num % den;

        let before = w.cwnd;
        if self.w_cubic(t, mss) < self.w_est {
            // Reno would be ahead of the curve: keep up with it (whole segments).
            let est = self.w_est - self.w_est % mss as u64;
            w.cwnd = w.cwnd.max(est.min(INITIAL_SSTHRESH as u64) as u32);
        }
        if w.cwnd == before {
            // Δcwnd = (target − cwnd)/cwnd per segment acknowledged, added a segment at a time.
            self.credit += (target - cwnd) as u128 * ack.acked as u128;
            let step = cwnd as u128 * mss as u128;
            if step > 0 && self.credit >= step {
                let segs = (self.credit / step) as u32;
                self.credit %= step;
                w.cwnd = w
                    .cwnd
                    .saturating_add(segs.saturating_mul(mss))
                    .min(INITIAL_SSTHRESH);
            }
        } else {
            self.credit = 0;
        }
        if w.cwnd != before {
            Some(CongestionReason::CongestionAvoidance)
        } else {
            slow_started.then_some(CongestionReason::SlowStart)
        }
    }

    fn on_rtt_sample(
        &mut self,
        now: Instant,
        w: &mut Window,
        sample: RttSample,
    ) -> Option<CongestionReason> {
        // Linux `cubictcp_acked`: samples in the first second of an epoch after a
        // reduction are discarded, as the queue drains.
        if self
            .epoch_start
            .is_some_and(|e| now.saturating_since(e) < Duration::from_secs(1))
        {
            return None;
        }
        self.hystart
            .on_sample(now, w, sample)
            .then_some(CongestionReason::HyStart)
    }

    fn on_transmit_after_idle(&mut self, now: Instant, idle: Duration) {
        if let Some(start) = self.epoch_start {
            self.epoch_start = Some((start + idle).min(now));
        }
    }

    fn on_congestion_event(&mut self, _now: Instant, w: &mut Window, _flight: u32, mss: u32) {
        self.reduce(w, mss);
    }

    fn on_timeout(&mut self, _now: Instant, w: &mut Window, _flight: u32, mss: u32, first: bool) {
        // §4.8: as a congestion event, then one segment.
        if first {
            self.reduce(w, mss);
        }
        self.epoch_start = None;
        self.hystart.on_loss();
        w.cwnd = mss;
    }

    fn on_spurious_congestion_event(&mut self, w: &mut Window, before: Window) {
        // §4.9: go back to the state before the event.
        self.w_max = self.prior_w_max;
        self.epoch_start = None;
        w.cwnd = w.cwnd.max(before.cwnd);
        w.ssthresh = w.ssthresh.max(before.ssthresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn at_ms(ms: u64) -> Instant {
        Instant::from_nanos(ms * 1_000_000)
    }

    fn ack(srtt_ms: u64) -> Ack {
        Ack {
            acked: MSS,
            mss: MSS,
            srtt: Some(Duration::from_millis(srtt_ms)),
            abc: true,
        }
    }

    #[test]
    fn integer_cube_root_is_exact_on_cubes_and_floors_between() {
        assert_eq!(icbrt(0), 0);
        assert_eq!(icbrt(1), 1);
        assert_eq!(icbrt(26), 2);
        assert_eq!(icbrt(27), 3);
        assert_eq!(icbrt(1_000_000_000_000), 10_000);
        let big = 4_000_000_000u128;
        assert_eq!(icbrt(big * big * big), 4_000_000_000);
        assert_eq!(icbrt(big * big * big - 1), 3_999_999_999);
    }

    #[test]
    fn loss_sets_ssthresh_to_beta_times_cwnd() {
        // RFC 9438 §4.6 with Linux's β = 717/1024.
        let mut c = Cubic::new();
        let mut w = Window {
            cwnd: 100 * MSS,
            ssthresh: INITIAL_SSTHRESH,
        };
        c.on_congestion_event(Instant::ZERO, &mut w, 80 * MSS, MSS);
        assert_eq!(w.ssthresh, 100 * MSS * 717 / 1024);
        assert_eq!(c.w_max(), 100 * MSS);
    }

    #[test]
    fn k_is_the_time_to_climb_back_to_w_max() {
        // §4.2: W_max = 100 segments, cwnd_epoch = 70 → K = cbrt(30 / 0.4) = cbrt(75) ≈ 4.217 s,
        // and W(K) = W_max.
        let mut c = Cubic::new();
        c.w_max = 100 * MSS;
        c.begin_epoch(Instant::ZERO, 70 * MSS, MSS);
        let k = c.k().as_nanos();
        assert!((4_217_000_000..4_218_000_000).contains(&k), "K = {k} ns");
        assert_eq!(c.w_cubic(c.k(), MSS), 100 * MSS as u64);
        // Concave below K, convex above, symmetric around it.
        let one_s = Duration::from_secs(1);
        let below = c.w_cubic(Duration::from_nanos(k - 1_000_000_000), MSS);
        let above = c.w_cubic(c.k() + one_s, MSS);
        assert_eq!(100 * MSS as u64 - below, above - 100 * MSS as u64);
        // C·1³ = 0.4 segment one second from the plateau.
        assert_eq!(above - 100 * MSS as u64, 400);
        // W(0) = cwnd_epoch (K is floored to the nanosecond: within a byte).
        let w0 = c.w_cubic(Duration::ZERO, MSS);
        assert!(
            (70 * MSS as u64..=70 * MSS as u64 + 1).contains(&w0),
            "W(0) = {w0}"
        );
    }

    #[test]
    fn fast_convergence_releases_bandwidth_on_a_loss_below_w_max() {
        // §4.7: W_max = cwnd·(1+β)/2 when the loss happened below the previous W_max.
        let mut c = Cubic::new();
        c.w_max = 100 * MSS;
        let mut w = Window {
            cwnd: 80 * MSS,
            ssthresh: 70 * MSS,
        };
        c.on_congestion_event(Instant::ZERO, &mut w, 80 * MSS, MSS);
        assert_eq!(c.w_max(), (80 * MSS as u64 * (1024 + 717) / 2048) as u32);
    }

    #[test]
    fn window_climbs_back_towards_w_max_in_about_k() {
        // With a 100 ms RTT, the window regrows from 70 to about 100 segments in about K
        // (4.2 s), slowly near the plateau.
        let mut c = Cubic::new();
        let mut w = Window {
            cwnd: 100 * MSS,
            ssthresh: INITIAL_SSTHRESH,
        };
        c.on_congestion_event(Instant::ZERO, &mut w, 100 * MSS, MSS);
        w.cwnd = w.ssthresh;
        let mut t = 0;
        let mut at_2s = 0;
        // One ACK per segment, a window's worth of ACKs per RTT.
        while t < 4_000 {
            for _ in 0..w.cwnd / MSS {
                c.on_ack(at_ms(t), &mut w, ack(100));
            }
            t += 100;
            if t == 2_000 {
                at_2s = w.cwnd;
            }
        }
        assert!(
            at_2s > 85 * MSS && at_2s < 100 * MSS,
            "cwnd at 2 s: {at_2s}"
        );
        assert!(
            w.cwnd >= 96 * MSS && w.cwnd <= 101 * MSS,
            "cwnd at 4 s: {}",
            w.cwnd
        );
        // Beyond K it probes above W_max (convex region).
        while t < 8_000 {
            for _ in 0..w.cwnd / MSS {
                c.on_ack(at_ms(t), &mut w, ack(100));
            }
            t += 100;
        }
        assert!(w.cwnd > 110 * MSS, "cwnd at 8 s: {}", w.cwnd);
        assert_eq!(w.cwnd % MSS, 0);
    }

    #[test]
    fn reno_friendly_region_rules_at_short_rtts() {
        // §4.3: at a 50 µs RTT the curve barely moves in a few milliseconds, but the window
        // still grows at least as AIMD(α = 0.53) would: about one segment every two RTTs.
        let mut c = Cubic::new();
        let mut w = Window {
            cwnd: 100 * MSS,
            ssthresh: INITIAL_SSTHRESH,
        };
        c.on_congestion_event(Instant::ZERO, &mut w, 100 * MSS, MSS);
        w.cwnd = w.ssthresh;
        let start = w.cwnd;
        let mut now = Instant::ZERO;
        for _ in 0..20 {
            for _ in 0..w.cwnd / MSS {
                c.on_ack(now, &mut w, ack(0));
            }
            now += Duration::from_micros(50);
        }
        let grown = (w.cwnd - start) / MSS;
        assert!(
            (9..=11).contains(&grown),
            "grew {grown} segments in 20 RTTs"
        );
    }

    #[test]
    fn timeout_restarts_from_one_segment_and_undo_restores() {
        let mut c = Cubic::new();
        let before = Window {
            cwnd: 50 * MSS,
            ssthresh: INITIAL_SSTHRESH,
        };
        let mut w = before;
        c.on_timeout(Instant::ZERO, &mut w, 50 * MSS, MSS, true);
        assert_eq!(w.cwnd, MSS);
        assert_eq!(w.ssthresh, 50 * MSS * 717 / 1024);
        assert_eq!(c.w_max(), 50 * MSS);
        c.on_spurious_congestion_event(&mut w, before);
        assert_eq!(w, before);
        assert_eq!(c.w_max(), 0);
    }
}
