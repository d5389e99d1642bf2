//! Timers: retransmission (RFC 6298), persist (RFC 9293 §3.8.6.1), delayed ACK and TIME_WAIT.

use super::{Connection, MAX_BACKOFF};
use crate::tcp::event::{
    CongestionReason, ConnError, Output, RetransmitReason, TcpEvent, TimerKind,
};
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::{TcpFlags, TcpOptions};
use crate::time::{Duration, Instant};

impl Connection {
    pub(super) fn slot(&mut self, kind: TimerKind) -> &mut Option<Instant> {
        match kind {
            TimerKind::Retransmit => &mut self.rtx_at,
            TimerKind::DelayedAck => &mut self.delack_at,
            TimerKind::Persist => &mut self.persist_at,
            TimerKind::TimeWait => &mut self.time_wait_at,
        }
    }

    pub(super) fn arm_timer(&mut self, kind: TimerKind, deadline: Instant, out: &mut Output) {
        *self.slot(kind) = Some(deadline);
        out.event(TcpEvent::TimerArmed { kind, deadline });
    }

    pub(super) fn cancel_timer(&mut self, kind: TimerKind, out: &mut Output) {
        if self.slot(kind).take().is_some() {
            out.event(TcpEvent::TimerCancelled { kind });
        }
    }

    /// Takes a timer that is due at `now`, recording that it fired.
    pub(super) fn take_due(&mut self, kind: TimerKind, now: Instant, out: &mut Output) -> bool {
        let slot = self.slot(kind);
        match *slot {
            Some(deadline) if deadline <= now => {
                *slot = None;
                out.event(TcpEvent::TimerFired { kind });
                true
            }
            _ => false,
        }
    }

    pub(super) fn backed_off_rto(&self) -> Duration {
        let factor = 1u64 << self.backoff.min(MAX_BACKOFF);
        self.rto.saturating_mul(factor).min(self.config.max_rto)
    }

    pub(super) fn arm_retransmit(&mut self, now: Instant, out: &mut Output) {
        let deadline = now + self.backed_off_rto();
        self.arm_timer(TimerKind::Retransmit, deadline, out);
    }

    pub(super) fn restart_time_wait(&mut self, now: Instant, out: &mut Output) {
        let deadline = now + self.config.time_wait;
        self.arm_timer(TimerKind::TimeWait, deadline, out);
    }

    /// Handles every timer that is due at `now`. Calling it early or more than once is
    /// harmless: a timer that is not due is left alone.
    pub fn on_timer(&mut self, now: Instant, out: &mut Output) {
        if self.take_due(TimerKind::TimeWait, now, out) {
            self.set_state(now, State::Closed, TransitionCause::TimeWaitExpired, out);
            return;
        }
        if self.take_due(TimerKind::Retransmit, now, out) {
            self.on_retransmit_timeout(now, out);
        }
        if self.take_due(TimerKind::Persist, now, out) {
            self.on_persist_timeout(now, out);
        }
        if self.take_due(TimerKind::DelayedAck, now, out) && self.state != State::Closed {
            self.ack_due = true;
        }
        self.flush(now, out);
    }

    /// RFC 6298 §5.4–5.7 and RFC 5681 §3.1: retransmit the earliest unacknowledged segment,
    /// back the timer off, and restart slow start from one segment.
    pub(super) fn on_retransmit_timeout(&mut self, now: Instant, out: &mut Output) {
        let syn_outstanding = !self.syn_acked();
        if !syn_outstanding && self.snd_una == self.snd_nxt {
            return; // nothing in flight: a stale deadline
        }
        let limit = match self.state {
            State::SynSent => self.config.syn_retries,
            _ if syn_outstanding => self.config.synack_retries,
            _ => self.config.data_retries,
        };
        if !matches!(
            self.state,
            State::SynSent
                | State::SynReceived
                | State::Established
                | State::FinWait1
                | State::CloseWait
                | State::Closing
                | State::LastAck
        ) {
            return;
        }
        if self.retries >= limit {
            self.fail(
                now,
                ConnError::TimedOut,
                TransitionCause::RetriesExhausted,
                out,
            );
            return;
        }
        self.retries += 1;
        self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
        out.event(TcpEvent::RtoBackoff {
            rto: self.backed_off_rto(),
        });
        // Karn's rule: a retransmitted segment gives no RTT sample.
        self.rtt_probe = None;

        if syn_outstanding {
            self.syn_retransmitted = true;
            out.event(TcpEvent::Retransmit {
                seq: self.iss,
                len: 0,
                reason: RetransmitReason::Rto,
            });
            self.send_syn(out);
            self.arm_retransmit(now, out);
            return;
        }

        // RFC 5681 eq. 4, only for the first timeout of this segment: a segment that was
        // already retransmitted says nothing new about the path.
        if self.retries == 1 {
            self.ssthresh = (self.flight_size() / 2).max(2 * self.snd_mss);
        }
        self.cwnd = self.snd_mss;
        self.bytes_acked = 0;
        self.in_recovery = false;
        self.dup_acks = 0;
        // RFC 6582 §3.2: duplicate ACKs for data sent before the timeout must not start a
        // fast retransmit.
        self.recover = Some(self.snd_max);
        self.congestion_changed(CongestionReason::Timeout, out);
        self.snd_nxt = self.snd_una;
        self.resend_reason = RetransmitReason::Rto;
        // `flush` re-sends from SND.UNA and re-arms the timer with the backed-off RTO.
    }

    /// RFC 9293 §3.8.6.1: the peer's window is zero (or too small to use) and nothing is in
    /// flight to bring an ACK. Probe it.
    pub(super) fn on_persist_timeout(&mut self, now: Instant, out: &mut Output) {
        if !matches!(
            self.state,
            State::Established
                | State::FinWait1
                | State::CloseWait
                | State::Closing
                | State::LastAck
        ) || self.snd_nxt != self.snd_una
            || self.unsent() == 0
        {
            return;
        }
        self.probes_out += 1;
        if self.probes_out > self.config.data_retries {
            self.fail(
                now,
                ConnError::TimedOut,
                TransitionCause::RetriesExhausted,
                out,
            );
            return;
        }
        self.persist_backoff = (self.persist_backoff + 1).min(MAX_BACKOFF);
        if self.snd_wnd == 0 {
            // Linux's probe: a bare ACK with an old sequence number, which the peer must
            // answer with an ACK carrying its current window (§3.10.7.4 first check).
            let seq = self.snd_una - 1u32;
            out.event(TcpEvent::Retransmit {
                seq,
                len: 0,
                reason: RetransmitReason::Probe,
            });
            self.emit(out, seq, TcpFlags::ACK, TcpOptions::NONE, 0, false);
        } else {
            // A window too small for sender SWS avoidance: send what fits anyway
            // (RFC 1122 §4.2.3.4 override timeout).
            self.force_send = true;
        }
    }

    pub(super) fn persist_interval(&self) -> Duration {
        let factor = 1u64 << self.persist_backoff.min(MAX_BACKOFF);
        self.rto
            .saturating_mul(factor)
            .clamp(self.config.min_rto, self.config.max_rto)
    }

    /// Retransmits one segment from SND.UNA without moving SND.NXT (fast retransmit).
    pub(super) fn retransmit_first_unacked(
        &mut self,
        now: Instant,
        reason: RetransmitReason,
        out: &mut Output,
    ) {
        let seq = self.snd_una;
        let queued_after = if self.buf_seq < seq {
            self.send_buf
                .len()
                .saturating_sub(self.buf_seq.distance(seq) as usize)
        } else {
            self.send_buf.len()
        };
        let outstanding = self.snd_una.distance(self.snd_max) as usize;
        let len = queued_after.min(self.snd_mss as usize).min(outstanding);
        let fin = self.fin_queued && seq + len == self.fin_seq() && self.fin_seq() < self.snd_max;
        if len == 0 && !fin {
            return;
        }
        self.rtt_probe = None;
        out.event(TcpEvent::Retransmit {
            seq,
            len: len as u32,
            reason,
        });
        let mut flags = TcpFlags::ACK;
        if fin {
            flags |= TcpFlags::FIN;
        }
        self.emit(out, seq, flags, TcpOptions::NONE, len, true);
        if self.rtx_at.is_none() {
            self.arm_retransmit(now, out);
        }
    }
}
