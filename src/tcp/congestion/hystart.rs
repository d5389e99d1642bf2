//! HyStart: leaving slow start before the first loss, as Linux's CUBIC does (`tcp_cubic.c`,
//! `hystart_update`; the algorithm of Ha and Rhee, "Taming the elephants", 2011, which RFC
//! 9406 later refined as HyStart++; Linux 6.18 still runs the original).
//!
//! Slow start doubles the window each round trip until a loss, by which time the queue it
//! filled has overflowed by up to a whole window. HyStart watches each round's
//! acknowledgements for the sign that the pipe is full and sets ssthresh to cwnd there:
//! - **ACK train**: ACKs arriving close together (within 2 ms of the previous one) for longer
//!   than half the minimum RTT since the round began mean the window already spans the path's
//!   delay: its ACKs form one continuous train.
//! - **Delay increase**: the round's smallest RTT over at least 8 samples exceeds the
//!   minimum RTT by an eighth of it (clamped to 4–16 ms): a queue is building.
//!
//! Both are checked from cwnd 16 (`hystart_low_window`) on, as Linux does. Checked against
//! Linux 6.18 with upstream packetdrill's `cubic-hystart-delay-*.pkt` (both pass on this
//! machine's kernel and on netlab) and `tests/packetdrill/hystart-ack-train.pkt`.

use super::Window;
use crate::tcp::seq::SeqNumber;
use crate::time::{Duration, Instant};

/// `hystart_detect` bit: the ACK-train detector.
pub const ACK_TRAIN: u8 = 1;
/// `hystart_detect` bit: the delay-increase detector.
pub const DELAY: u8 = 2;
/// `hystart_low_window`: HyStart acts from this cwnd (segments) on.
const LOW_WINDOW: u32 = 16;
/// `hystart_ack_delta_us`: ACKs at most this far apart belong to one train.
const ACK_DELTA: Duration = Duration::from_micros(2000);
/// `HYSTART_MIN_SAMPLES`: RTT samples a round needs before the delay check.
const MIN_SAMPLES: u32 = 8;
/// `HYSTART_DELAY_MIN` / `HYSTART_DELAY_MAX`: bounds of the delay threshold.
const DELAY_MIN: Duration = Duration::from_micros(4000);
const DELAY_MAX: Duration = Duration::from_micros(16000);
/// Linux's GSO size limit (`GSO_LEGACY_MAX_SIZE`), which `hystart_ack_delay` divides by the
/// pacing rate: the time one full GSO packet's ACK may be held at the receiver.
const GSO_MAX_SIZE: u64 = 65_536;

/// One RTT measurement from an acknowledgement (Linux `struct ack_sample`'s `rtt_us`: the time
/// since the most recently sent segment this ACK delivered was sent, if that segment was never
/// retransmitted).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RttSample {
    pub rtt: Duration,
    /// SND.UNA after this ACK.
    pub snd_una: SeqNumber,
    /// SND.NXT when the ACK arrived: a round ends when SND.UNA passes it.
    pub snd_nxt: SeqNumber,
    pub mss: u32,
    /// The smoothed RTT, for the pacing rate Linux derives the ACK-train slack from.
    pub srtt: Option<Duration>,
}

/// HyStart's state for one connection.
#[derive(Clone, Debug, Default)]
pub struct HyStart {
    /// Which detectors run (`hystart_detect`); 0: HyStart off.
    detect: u8,
    /// The exit point was found; no more checks until the next loss resets it.
    found: bool,
    /// The smallest RTT seen (`delay_min`).
    delay_min: Option<Duration>,
    round_start: Option<Instant>,
    /// The round ends when SND.UNA passes this (`end_seq`).
    end_seq: Option<SeqNumber>,
    /// The last ACK of the current train.
    last_ack: Option<Instant>,
    /// The smallest RTT of this round.
    curr_rtt: Option<Duration>,
    sample_cnt: u32,
}

impl HyStart {
    pub fn new(detect: u8) -> HyStart {
        HyStart {
            detect,
            ..HyStart::default()
        }
    }

    /// The smallest RTT seen since the last loss.
    pub fn delay_min(&self) -> Option<Duration> {
        self.delay_min
    }

    /// A retransmission timeout (Linux `cubictcp_state` entering Loss: `bictcp_reset` and
    /// `bictcp_hystart_reset`): forget the minimum RTT and look for the exit point again in
    /// the slow start that follows.
    pub fn on_loss(&mut self) {
        *self = HyStart::new(self.detect);
    }

    fn start_round(&mut self, now: Instant, snd_nxt: SeqNumber) {
        self.round_start = Some(now);
        self.last_ack = Some(now);
        self.end_seq = Some(snd_nxt);
        self.curr_rtt = None;
        self.sample_cnt = 0;
    }

    /// Takes one RTT sample (Linux `cubictcp_acked`). Returns true when HyStart ended slow
    /// start here by setting ssthresh to cwnd.
    pub fn on_sample(&mut self, now: Instant, w: &mut Window, s: RttSample) -> bool {
        if self.detect == 0 {
            return false;
        }
        // Linux takes a zero RTT as 1 µs.
        let delay = s.rtt.max(Duration::from_micros(1));
        if self.delay_min.is_none_or(|m| delay < m) {
            self.delay_min = Some(delay);
        }
        if self.found || !w.in_slow_start() {
            return false;
        }
        // The round began at the connection's start (Linux `cubictcp_init` resets it there;
        // here the first sample does), or ends once SND.UNA passes the SND.NXT it recorded.
        if self.end_seq.is_none_or(|e| e < s.snd_una) {
            self.start_round(now, s.snd_nxt);
        }
        if w.cwnd < LOW_WINDOW * s.mss.max(1) {
            return false;
        }
        let delay_min = self.delay_min.unwrap_or(delay);
        if self.detect & ACK_TRAIN != 0 {
            let last = self.last_ack.unwrap_or(now);
            if now.saturating_since(last) <= ACK_DELTA {
                self.last_ack = Some(now);
                // Without pacing (no fq qdisc) Linux halves the threshold: the train may be
                // measured from the round's first ACK to half an RTT.
                let threshold = half(delay_min + ack_delay(w.cwnd, s));
                let since = now.saturating_since(self.round_start.unwrap_or(now));
                if since > threshold {
                    self.found = true;
                }
            }
        }
        if self.detect & DELAY != 0 {
            let curr = self.curr_rtt.map_or(delay, |c| c.min(delay));
            self.curr_rtt = Some(curr);
            if self.sample_cnt < MIN_SAMPLES {
                self.sample_cnt += 1;
            } else if curr > delay_min + eighth(delay_min).clamp(DELAY_MIN, DELAY_MAX) {
                self.found = true;
            }
        }
        if self.found {
            w.ssthresh = w.cwnd;
        }
        self.found
    }
}

fn half(d: Duration) -> Duration {
    Duration::from_nanos(d.as_nanos() / 2)
}

fn eighth(d: Duration) -> Duration {
    Duration::from_nanos(d.as_nanos() / 8)
}

/// Linux `hystart_ack_delay`: how long a receiver may hold the ACK of one GSO packet at the
/// current pacing rate, at most 1 ms. The pacing rate is Linux's default (`tcp_update_pacing_rate`):
/// 200 % of cwnd per smoothed RTT in slow start.
fn ack_delay(cwnd: u32, s: RttSample) -> Duration {
    let Some(srtt) = s.srtt.filter(|r| !r.is_zero()) else {
        return Duration::ZERO;
    };
    // bytes per second = 2 · cwnd / srtt
    let rate = 2 * cwnd as u128 * 1_000_000_000 / srtt.as_nanos() as u128;
    if rate == 0 {
        return Duration::from_millis(1);
    }
    let ns = GSO_MAX_SIZE as u128 * 4 * 1_000_000_000 / rate;
    Duration::from_nanos(ns.min(1_000_000) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::congestion::INITIAL_SSTHRESH;

    const MSS: u32 = 1000;

    fn ms(x: u64) -> Instant {
        Instant::from_nanos(x * 1_000_000)
    }

    fn sample(rtt_ms: u64, una: u32, nxt: u32) -> RttSample {
        RttSample {
            rtt: Duration::from_millis(rtt_ms),
            snd_una: SeqNumber(una),
            snd_nxt: SeqNumber(nxt),
            mss: MSS,
            srtt: Some(Duration::from_millis(200)),
        }
    }

    fn window(segs: u32) -> Window {
        Window {
            cwnd: segs * MSS,
            ssthresh: INITIAL_SSTHRESH,
        }
    }

    /// upstream cubic-hystart-delay-rtt-jumps-upward.pkt's sequence, which Linux 6.18 passes:
    /// min RTT 200 ms, then a round whose samples are all 240 ms or more: on the ninth sample
    /// of the round (240 > 200 + 16 ms) slow start ends at the current cwnd.
    #[test]
    fn a_round_of_rtts_an_eighth_above_the_minimum_ends_slow_start() {
        let mut h = HyStart::new(ACK_TRAIN | DELAY);
        let mut w = window(10);
        assert!(!h.on_sample(ms(400), &mut w, sample(200, 10001, 10001)));
        w.cwnd = 20 * MSS;
        for i in 0..9u32 {
            let una = 12001 + 2000 * i;
            let found = h.on_sample(
                ms(640 + i as u64),
                &mut w,
                sample(240 + i as u64, una, 30001),
            );
            assert_eq!(found, i == 8, "sample {i}");
            if !found {
                w.cwnd += 2 * MSS;
            }
        }
        assert_eq!((w.cwnd, w.ssthresh), (36 * MSS, 36 * MSS));
    }

    /// upstream cubic-hystart-delay-min-rtt-jumps-downward.pkt: the ninth sample of a round is
    /// a new minimum (29 ms, after 200–208 ms); the check compares the round's minimum, which
    /// includes it, with the new minimum and does not fire (Linux's June 2020 fix).
    #[test]
    fn a_new_minimum_in_the_round_does_not_end_slow_start() {
        let mut h = HyStart::new(DELAY);
        let mut w = window(10);
        h.on_sample(ms(400), &mut w, sample(200, 10001, 10001));
        w.cwnd = 20 * MSS;
        for i in 0..8u32 {
            let una = 12001 + 2000 * i;
            assert!(!h.on_sample(
                ms(600 + i as u64),
                &mut w,
                sample(200 + i as u64, una, 30001)
            ));
        }
        assert!(!h.on_sample(ms(609), &mut w, sample(29, 30001, 30001)));
        assert_eq!(w.ssthresh, INITIAL_SSTHRESH);
        assert_eq!(h.delay_min(), Some(Duration::from_millis(29)));
    }

    /// ACKs spaced under 2 ms apart for longer than half the minimum RTT: the window covers
    /// the path, slow start ends (the ACK-train detector alone).
    #[test]
    fn an_ack_train_longer_than_half_the_rtt_ends_slow_start() {
        let mut h = HyStart::new(ACK_TRAIN);
        let mut w = window(16);
        let s = |una: u32| RttSample {
            rtt: Duration::from_millis(10),
            snd_una: SeqNumber(una),
            snd_nxt: SeqNumber(1_000_000),
            mss: MSS,
            srtt: Some(Duration::from_millis(10)),
        };
        // One ACK each millisecond: the train reaches 5 ms (half of 10 ms, plus half the
        // ACK delay) after six of them.
        let mut found_at = None;
        for i in 0..10u64 {
            if h.on_sample(Instant::from_nanos(i * 1_000_000), &mut w, s(1 + i as u32)) {
                found_at = Some(i);
                break;
            }
        }
        assert_eq!(found_at, Some(6));
        assert_eq!(w.ssthresh, w.cwnd);
        // ACKs more than 2 ms apart are no train.
        let mut h = HyStart::new(ACK_TRAIN);
        let mut w = window(16);
        for i in 0..10u64 {
            assert!(!h.on_sample(Instant::from_nanos(i * 3_000_000), &mut w, s(1 + i as u32)));
        }
    }

    #[test]
    fn below_sixteen_segments_or_off_it_never_fires() {
        let mut h = HyStart::new(0);
        let mut w = window(100);
        for i in 0..20u64 {
            assert!(!h.on_sample(ms(i), &mut w, sample(100 + 10 * i, 1, 100_000)));
        }
        let mut h = HyStart::new(DELAY);
        let mut w = window(15);
        for i in 0..20u64 {
            assert!(!h.on_sample(ms(i), &mut w, sample(100 + 10 * i, 1, 100_000)));
        }
    }
}
