//! The round-trip time estimator (RFC 6298 §2).

use super::Connection;
use crate::tcp::event::{Output, TcpEvent};
use crate::time::Duration;

impl Connection {
    /// RFC 6298 §2.2–2.4, with Linux's minimum on the variance term.
    pub(super) fn rtt_sample(&mut self, rtt: Duration, out: &mut Output) {
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = Duration::from_nanos(rtt.as_nanos() / 2);
            }
            Some(srtt) => {
                let delta = if srtt > rtt { srtt - rtt } else { rtt - srtt };
                self.rttvar = Duration::from_nanos(
                    (self.rttvar.as_nanos() / 4).saturating_mul(3) + delta.as_nanos() / 4,
                );
                self.srtt = Some(Duration::from_nanos(
                    (srtt.as_nanos() / 8).saturating_mul(7) + rtt.as_nanos() / 8,
                ));
            }
        }
        let srtt = self.srtt.unwrap_or(rtt);
        // RTO = SRTT + max(G, K*RTTVAR) (RFC 6298 §2.3) with Linux's floor on the variance
        // term (`tcp_rtt_estimator`'s `mdev_max`): at least `min_rto`. Clamping only the sum
        // would let a steady path's RTO fall to the RTT itself, and a delayed ACK (40 ms) then
        // fires the timer on a path that lost nothing.
        let variance = self.rttvar.saturating_mul(4).max(self.config.min_rto);
        self.rto = (srtt + variance).clamp(self.config.min_rto, self.config.max_rto);
        out.event(TcpEvent::RttSample {
            rtt,
            srtt,
            rttvar: self.rttvar,
            rto: self.rto,
        });
    }
}
