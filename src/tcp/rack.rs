//! RACK-TLP (RFC 8985) as Linux runs it with `tcp_recovery` = 1 and `tcp_early_retrans` = 3:
//! time-based loss detection (a segment is lost once a segment sent after it has been
//! delivered and a reordering window has passed) and the tail-loss probe that draws an ACK
//! from the receiver when the last segments of a flight vanish.
//!
//! This module keeps RACK's state and computes its windows and timeouts; the scoreboard
//! (`super::sack`) applies them to segments.

use crate::time::{Duration, Instant};

/// Linux's `TCP_TIMEOUT_MIN_US`: the PTO's allowance for a delayed ACK when more than one
/// segment is in flight (2 ms; RFC 8985 §7.2 writes the same rule with `WCDelAckT`).
pub const TLP_MIN_ALLOWANCE: Duration = Duration::from_millis(2);

/// The RACK state of one connection (RFC 8985 §5.2).
#[derive(Clone, Debug, Default)]
pub struct Rack {
    /// Send time and transmission number (`SentSegment::order`) of the most recently sent
    /// segment delivered so far (RACK.xmit_ts, with the number where RFC 8985 keeps
    /// RACK.end_seq to break ties).
    xmit: Option<(Instant, u64)>,
    /// RTT of that segment (RACK.rtt).
    rtt: Duration,
    /// Smallest RTT seen (Linux keeps a windowed minimum; netlab paths do not change, so the
    /// plain minimum does).
    min_rtt: Option<Duration>,
    /// The network reordered at least once (RACK.reordering_seen).
    reordering_seen: bool,
    /// RACK.reo_wnd_mult: grows by one per round in which DSACKs showed the window too small
    /// (§6.2 step 4), at most 16 (Linux `tcp_rack_update_reo_wnd`).
    reo_wnd_mult: u32,
}

impl Rack {
    pub fn new() -> Rack {
        Rack {
            reo_wnd_mult: 1,
            ..Rack::default()
        }
    }

    /// The most recently sent delivered segment, if any.
    pub fn xmit(&self) -> Option<(Instant, u64)> {
        self.xmit
    }
    pub fn rtt(&self) -> Duration {
        self.rtt
    }
    pub fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt
    }
    pub fn reordering_seen(&self) -> bool {
        self.reordering_seen
    }

    /// §6.2 step 2 for the most recently sent segment an ACK delivered: `sent_at`, its
    /// transmission number, whether it was ever retransmitted.
    pub fn on_delivered(
        &mut self,
        now: Instant,
        sent_at: Instant,
        order: u64,
        retransmitted: bool,
    ) {
        let rtt = now.saturating_since(sent_at);
        // A retransmitted segment's ACK may answer the original: if the RTT is shorter than
        // any seen, it must (Linux `tcp_rack_advance`; RFC 8985 §6.2 step 2 uses TSecr).
        if retransmitted && self.min_rtt.is_some_and(|m| rtt < m) {
            return;
        }
        if !retransmitted {
            self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        }
        let newer = match self.xmit {
            None => true,
            Some(x) => (sent_at, order) > x,
        };
        if newer {
            self.xmit = Some((sent_at, order));
            self.rtt = rtt;
        }
    }

    /// The RTT RACK keeps is Linux's: that of the last segment `tcp_rack_advance` saw on this
    /// ACK (`AckUpdate::rtt_sample`), which need not be the most recently sent one. A
    /// retransmitted segment whose RTT is below the minimum does not count, as in
    /// `on_delivered`. prr-ss-ack-below-snd_una-cubic.pkt on Linux 6.18: an ACK covers a
    /// retransmission (12 ms ago) and, above it, an original (22 ms ago); with an RTT of
    /// 12 ms the segment sent 22 ms ago after them would be lost, with 22 ms it is not, and
    /// PRR lets out 3 segments where netlab let out 2.
    pub fn take_rtt_from(&mut self, now: Instant, sent_at: Instant, retransmitted: bool) {
        let rtt = now.saturating_since(sent_at);
        if self.xmit.is_none() || (retransmitted && self.min_rtt.is_some_and(|m| rtt < m)) {
            return;
        }
        self.rtt = rtt;
    }

    /// §6.2 step 3.
    pub fn on_reordering(&mut self) {
        self.reordering_seen = true;
    }

    /// §6.2 step 4 (and Linux's `tcp_rack_update_reo_wnd`): a DSACK showed that a segment
    /// RACK called lost was only late. Widen the window.
    pub fn on_dsack(&mut self) {
        self.reo_wnd_mult = (self.reo_wnd_mult + 1).min(16);
    }

    /// The reordering window (§6.2 step 4): zero while no reordering was seen and the
    /// connection is in recovery or has DupThresh segments SACKed (then RACK behaves like
    /// the classic rule); otherwise `reo_wnd_mult · min_RTT / 4`, at most SRTT.
    pub fn reo_wnd(
        &self,
        srtt: Option<Duration>,
        in_recovery: bool,
        sacked_segments: u32,
    ) -> Duration {
        if !self.reordering_seen && (in_recovery || sacked_segments >= super::sack::DUP_THRESH) {
            return Duration::ZERO;
        }
        let Some(min_rtt) = self.min_rtt else {
            return Duration::ZERO;
        };
        let wnd =
            Duration::from_nanos(min_rtt.as_nanos() / 4).saturating_mul(self.reo_wnd_mult as u64);
        match srtt {
            Some(s) => wnd.min(s),
            None => wnd,
        }
    }

    /// How long after its send a segment older than RACK.xmit_ts is declared lost:
    /// RACK.rtt + reo_wnd (§6.2 step 5).
    pub fn loss_wait(&self, reo_wnd: Duration) -> Duration {
        self.rtt.saturating_add(reo_wnd)
    }

    /// Forgets the delivered segment after a timeout (the next ACK starts afresh).
    pub fn reset_xmit(&mut self) {
        self.xmit = None;
    }
}

/// The probe timeout (RFC 8985 §7.2) as Linux computes it (`tcp_schedule_loss_probe`):
/// 2·SRTT, plus `min_rto` when a single segment is in flight (its ACK may be delayed) or
/// 2 ms otherwise; 1 s without an RTT sample; never later than the RTO would fire
/// (`rto_remaining`).
pub fn probe_timeout(
    srtt: Option<Duration>,
    segments_in_flight: u32,
    min_rto: Duration,
    rto_remaining: Duration,
) -> Duration {
    let pto = match srtt {
        Some(srtt) => {
            let allowance = if segments_in_flight == 1 {
                min_rto
            } else {
                TLP_MIN_ALLOWANCE
            };
            srtt.saturating_mul(2).saturating_add(allowance)
        }
        None => Duration::from_secs(1),
    };
    pto.min(rto_remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }
    fn t(n: u64) -> Instant {
        Instant::from_nanos(n * 1000)
    }

    #[test]
    fn pto_is_two_srtt_plus_the_delayed_ack_allowance() {
        // RFC 8985 §7.2 / Linux: 50 µs SRTT, ten segments out → 2·50 µs + 2 ms.
        let min_rto = Duration::from_millis(200);
        let rto_left = Duration::from_millis(200);
        assert_eq!(probe_timeout(Some(us(50)), 10, min_rto, rto_left), us(2100));
        // One segment out: its ACK may be delayed, so the minimum RTO is added.
        assert_eq!(
            probe_timeout(Some(us(50)), 1, min_rto, Duration::from_millis(300)),
            us(200_100)
        );
        // Never after the RTO.
        assert_eq!(
            probe_timeout(Some(us(50)), 1, min_rto, us(150_000)),
            us(150_000)
        );
        // No RTT sample yet: 1 s (TCP_TIMEOUT_INIT), capped by the RTO.
        assert_eq!(
            probe_timeout(None, 3, min_rto, Duration::from_secs(3)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn rack_follows_the_most_recently_sent_delivered_segment() {
        let mut r = Rack::new();
        r.on_delivered(t(100), t(10), 200, false);
        assert_eq!(r.xmit(), Some((t(10), 200)));
        assert_eq!(r.rtt(), us(90));
        // An older segment delivered later does not move RACK back (§6.2 step 2).
        r.on_delivered(t(120), t(5), 100, false);
        assert_eq!(r.xmit(), Some((t(10), 200)));
        assert_eq!(r.min_rtt(), Some(us(90)));
        // A retransmission ACKed faster than any RTT seen answers the original: ignored.
        r.on_delivered(t(130), t(100), 300, true);
        assert_eq!(r.xmit(), Some((t(10), 200)));
        // One ACKed after a plausible RTT counts.
        r.on_delivered(t(300), t(100), 300, true);
        assert_eq!(r.xmit(), Some((t(100), 300)));
        assert_eq!(r.rtt(), us(200));
    }

    #[test]
    fn the_rtt_is_the_last_sample_linux_took_not_the_newest_segments() {
        // prr-ss-ack-below-snd_una-cubic.pkt: one ACK delivers a retransmission sent at 20 ms
        // and an original sent at 10 ms, above it; at 32 ms RACK follows the retransmission
        // but keeps the original's 22 ms.
        let mut r = Rack::new();
        r.on_delivered(t(10_000), t(0), 1, false);
        r.on_delivered(t(32_000), t(20_000), 12, true);
        r.take_rtt_from(t(32_000), t(10_000), false);
        assert_eq!(r.xmit(), Some((t(20_000), 12)));
        assert_eq!(r.rtt(), us(22_000));
        // A retransmission faster than any RTT seen gives no sample.
        r.take_rtt_from(t(33_000), t(30_000), true);
        assert_eq!(r.rtt(), us(22_000));
    }

    #[test]
    fn reordering_window_is_zero_in_recovery_until_reordering_is_seen() {
        let mut r = Rack::new();
        r.on_delivered(t(100), t(0), 1, false);
        let srtt = Some(us(100));
        // §6.2 step 4: a quarter of min_RTT before recovery…
        assert_eq!(r.reo_wnd(srtt, false, 0), us(25));
        // …zero in recovery or with DupThresh segments SACKed…
        assert_eq!(r.reo_wnd(srtt, true, 0), Duration::ZERO);
        assert_eq!(r.reo_wnd(srtt, false, 3), Duration::ZERO);
        // …unless the path reordered; DSACKs widen it, up to SRTT.
        r.on_reordering();
        assert_eq!(r.reo_wnd(srtt, true, 5), us(25));
        for _ in 0..10 {
            r.on_dsack();
        }
        assert_eq!(r.reo_wnd(srtt, true, 5), us(100));
        assert_eq!(r.loss_wait(us(25)), us(125));
    }
}
