//! The congestion window after the connection sat idle (RFC 5681 §4.1, RFC 2861): a window
//! measured long ago may no longer fit the path, so it is not sent at once.
//!
//! Linux (`tcp_slow_start_after_idle_check` and `tcp_cwnd_restart`, with
//! `tcp_slow_start_after_idle` = 1, the default on the capture machine of ORACLES.md): when the
//! application queues data, or the peer's window changes while data waits, with nothing in
//! flight and the last data sent more than an RTO ago, ssthresh keeps ¾ of cwnd, and cwnd
//! halves once for each RTO of the idle time (the first one excepted), down to no less than
//! the initial window (or cwnd, if smaller). Upstream packetdrill's
//! `slow_start/slow-start-after-idle.pkt` and `slow-start-after-win-update.pkt` pass on Linux
//! 6.18 here and on netlab.
//! packetdrill's `defaults.sh` turns it off, so its scripts see the window they left.

use super::Connection;
use crate::tcp::event::{CongestionReason, Output};
use crate::time::{Duration, Instant};

impl Connection {
    /// The application queues new data at `now`: restart the window if the connection was
    /// idle for longer than the RTO (Linux calls this when it queues a new buffer).
    pub(super) fn restart_window_if_idle(&mut self, now: Instant, out: &mut Output) {
        if !self.config.slow_start_after_idle || self.snd_una != self.snd_max {
            return;
        }
        let Some(last) = self.last_data_sent else {
            return;
        };
        let rto = self.rto().max(Duration::from_nanos(1));
        let idle = now.saturating_since(last);
        if idle <= rto {
            return;
        }
        let mss = self.snd_mss.max(1);
        // `tcp_current_ssthresh`: outside recovery, at least ¾ of cwnd (in segments).
        if !self.in_recovery && !self.rec.in_loss {
            let segs = self.cwnd / mss;
            self.ssthresh = self.ssthresh.max(((segs >> 1) + (segs >> 2)) * mss);
        }
        let restart = (self.config.initial_cwnd_segments * mss).min(self.cwnd);
        let mut cwnd = self.cwnd / mss * mss;
        let mut left = idle.saturating_sub(rto);
        while !left.is_zero() && cwnd > restart {
            cwnd = ((cwnd / mss) >> 1) * mss;
            left = left.saturating_sub(rto);
        }
        let cwnd = cwnd.max(restart);
        if cwnd != self.cwnd {
            self.cwnd = cwnd;
            self.congestion_changed(CongestionReason::IdleRestart, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tcp::testutil::Pair;
    use crate::tcp::TcpConfig;
    use crate::time::Duration;

    /// A grown window, then a pause: the window is halved per RTO of the pause beyond the
    /// first and never below the initial window; ssthresh remembers ¾ of it. The same numbers
    /// as tests/packetdrill/slow-start-after-idle.pkt, which Linux 6.18 passes.
    fn after_idle(idle_rtos_tenths: u64, config: &TcpConfig) -> (u32, u32, u32) {
        let mut p = Pair::connected(config, config);
        p.transfer(&[7; 300_000]);
        p.run_until(|p| p.a.snd_una() == p.a.snd_max());
        let before = p.a.cwnd();
        let rto = p.a.rto();
        p.now += Duration::from_nanos(rto.as_nanos() * idle_rtos_tenths / 10);
        p.a.send(p.now, &[1; 10], &mut p.out).unwrap();
        (before, p.a.cwnd(), p.a.ssthresh())
    }

    #[test]
    fn the_window_halves_per_rto_of_idle_time_down_to_the_initial_window() {
        let cfg = TcpConfig::default();
        let mss = 1448;
        let (before, after, _) = after_idle(9, &cfg);
        assert!(before >= 40 * mss, "the transfer grew cwnd to {before}");
        assert_eq!(after, before, "idle under one RTO: kept");
        let (before, after, ssthresh) = after_idle(15, &cfg);
        assert_eq!(after, before / mss / 2 * mss, "1.5 RTOs: halved once");
        assert!(ssthresh >= (before / mss * 3 / 4) * mss);
        let (_, after, _) = after_idle(200, &cfg);
        assert_eq!(after, 10 * mss, "20 RTOs: the initial window");
        let off = TcpConfig {
            slow_start_after_idle: false,
            ..cfg
        };
        let (before, after, _) = after_idle(200, &off);
        assert_eq!(after, before, "off: the window survives the pause");
    }
}
