//! Keepalive probes (RFC 1122 §4.2.3.6, `SO_KEEPALIVE`) and the user timeout (RFC 5482,
//! `TCP_USER_TIMEOUT`), as Linux's `tcp_keepalive_timer` and `tcp_write_timeout` act on them.
//!
//! Measured on Linux 6.18 here with `tests/packetdrill/keepalive.pkt` (docs/linux-observations.md,
//! "Keepalive probes"): with idle 2 s, interval 1 s and count 3, a probe (a bare ACK with
//! SEG.SEQ = SND.UNA − 1) goes after 2 s of silence; an answer restarts the idle time; three
//! unanswered probes one interval apart, and at the next interval a RST and `ETIMEDOUT`.

use super::Connection;
use crate::tcp::event::{ConnError, Output, TcpEvent, TimerKind};
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::{TcpFlags, TcpOptions};
use crate::time::{Duration, Instant};

/// The keepalive settings of a socket with `SO_KEEPALIVE` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keepalive {
    /// `TCP_KEEPIDLE`: silence before the first probe (Linux default 7200 s).
    pub idle: Duration,
    /// `TCP_KEEPINTVL`: time between unanswered probes (default 75 s).
    pub interval: Duration,
    /// `TCP_KEEPCNT`: unanswered probes before the connection is given up (default 9).
    pub count: u32,
}

impl Connection {
    /// `SO_KEEPALIVE` and its settings; `None` turns keepalive off. Linux arms the timer for
    /// the idle time from now when keepalive is switched on in a synchronized state
    /// (`tcp_set_keepalive`), and re-arms it when the idle time changes (`tcp_sock_set_keepidle`).
    pub fn set_keepalive(&mut self, now: Instant, keepalive: Option<Keepalive>, out: &mut Output) {
        let was = self.keepalive;
        self.keepalive = keepalive;
        match keepalive {
            None => self.cancel_timer(TimerKind::Keepalive, out),
            Some(k) if self.keepalive_applies() => {
                if was.is_none() {
                    self.arm_timer(TimerKind::Keepalive, now + k.idle, out);
                } else if was.map(|w| w.idle) != Some(k.idle) {
                    let silent = now.saturating_since(self.last_heard);
                    let left = k.idle.saturating_sub(silent);
                    self.arm_timer(TimerKind::Keepalive, now + left, out);
                }
            }
            Some(_) => {}
        }
    }

    /// `TCP_USER_TIMEOUT` (0 or `None`: the default budget of `tcp_retries2`).
    pub fn set_user_timeout(&mut self, timeout: Option<Duration>) {
        self.user_timeout = timeout.filter(|t| !t.is_zero());
    }

    /// `TCP_SYNCNT` on a connection under way: Linux reads `icsk_syn_retries` each time the
    /// SYN's timer fires (`tcp_write_timeout`), so a count set after the SYN went still
    /// bounds it (measured on Linux 6.18 under packetdrill: TCP_SYNCNT 1 set just after a
    /// non-blocking connect, and the connection times out at 3 s).
    pub fn set_syn_retries(&mut self, count: u32) {
        self.config.syn_retries = count;
    }

    /// The states in which Linux's keepalive timer does anything (not CLOSE, SYN_SENT or
    /// LISTEN, `tcp_keepalive_timer`); TIME_WAIT has no timer of its own either.
    fn keepalive_applies(&self) -> bool {
        !matches!(
            self.state,
            State::Closed | State::Listen | State::SynSent | State::SynReceived | State::TimeWait
        )
    }

    /// The connection became established: start the keepalive timer if it is on
    /// (`tcp_finish_connect`, `tcp_rcv_state_process`).
    pub(super) fn start_keepalive(&mut self, now: Instant, out: &mut Output) {
        if let Some(k) = self.keepalive {
            self.arm_timer(TimerKind::Keepalive, now + k.idle, out);
        }
    }

    /// Something acceptable arrived from the peer (`tcp_ack` sets `rcv_tstamp` and clears
    /// `icsk_probes_out`).
    pub(super) fn heard_from_peer(&mut self, now: Instant) {
        self.last_heard = now;
        self.keepalive_probes = 0;
    }

    pub(super) fn on_keepalive_timeout(&mut self, now: Instant, out: &mut Output) {
        let Some(k) = self.keepalive else { return };
        if !self.keepalive_applies() {
            return;
        }
        // Data in flight or queued: the retransmission timer watches the peer ("It is alive
        // without keepalive").
        if self.snd_una != self.snd_max || self.unsent() > 0 {
            self.arm_timer(TimerKind::Keepalive, now + k.idle, out);
            return;
        }
        let silent = now.saturating_since(self.last_heard);
        if silent < k.idle {
            self.arm_timer(TimerKind::Keepalive, now + (k.idle - silent), out);
            return;
        }
        let give_up = match self.user_timeout {
            Some(t) => silent >= t && self.keepalive_probes > 0,
            None => self.keepalive_probes >= k.count,
        };
        if give_up {
            // Nothing is in flight here, so SND.NXT is the highest sequence sent.
            self.send_reset(out);
            self.fail(
                now,
                ConnError::TimedOut,
                TransitionCause::RetriesExhausted,
                out,
            );
            return;
        }
        // The probe: a bare ACK one below SND.UNA, which the peer must answer with an ACK
        // (RFC 1122 §4.2.3.6; Linux `tcp_xmit_probe_skb` with urgent = 0).
        out.event(TcpEvent::KeepaliveProbe {
            count: self.keepalive_probes + 1,
        });
        let seq = self.snd_una - 1u32;
        self.emit(out, seq, TcpFlags::ACK, TcpOptions::NONE, 0, false);
        self.keepalive_probes += 1;
        self.arm_timer(TimerKind::Keepalive, now + k.interval, out);
    }
}
