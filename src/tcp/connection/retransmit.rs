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
            TimerKind::LossProbe => &mut self.tlp_at,
            TimerKind::Reorder => &mut self.reorder_at,
            TimerKind::FinWait2 => &mut self.fin_wait2_at,
            TimerKind::Keepalive => &mut self.keepalive_at,
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
        let deadline =
            self.clamp_to_user_timeout(now, now + self.backed_off_rto(), self.retrans_stamp);
        self.arm_timer(TimerKind::Retransmit, deadline, out);
    }

    /// With a user timeout counted from `since`, a timer fires when it runs out, not later
    /// (Linux `tcp_clamp_rto_to_user_timeout`, `tcp_clamp_probe0_to_user_timeout`; "fire
    /// ASAP", one jiffy, once it has passed).
    pub(super) fn clamp_to_user_timeout(
        &self,
        now: Instant,
        deadline: Instant,
        since: Option<Instant>,
    ) -> Instant {
        match (self.user_timeout, since) {
            (Some(limit), Some(start)) => {
                deadline.min((start + limit).max(now + Duration::from_millis(1)))
            }
            _ => deadline,
        }
    }

    pub(super) fn restart_time_wait(&mut self, now: Instant, out: &mut Output) {
        let deadline = now + self.config.time_wait;
        self.arm_timer(TimerKind::TimeWait, deadline, out);
    }

    /// An orphaned connection in FIN_WAIT_2 waits `tcp_fin_timeout` (or `TCP_LINGER2`) for
    /// the peer's FIN, not forever (Linux `tcp_close`/`tcp_rcv_state_process`; RFC 9293 has
    /// no such limit).
    pub(super) fn arm_fin_wait2(&mut self, now: Instant, out: &mut Output) {
        let deadline = now + self.config.fin_timeout;
        self.arm_timer(TimerKind::FinWait2, deadline, out);
    }

    /// Handles every timer that is due at `now`. Calling it early or more than once is
    /// harmless: a timer that is not due is left alone.
    pub fn on_timer(&mut self, now: Instant, out: &mut Output) {
        self.now = now;
        self.mini_socket |= self.state == State::TimeWait;
        if self.take_due(TimerKind::FinWait2, now, out) && self.state == State::FinWait2 {
            self.set_state(now, State::Closed, TransitionCause::FinWait2Timeout, out);
            return;
        }
        if self.take_due(TimerKind::TimeWait, now, out) {
            self.set_state(now, State::Closed, TransitionCause::TimeWaitExpired, out);
            return;
        }
        if self.take_due(TimerKind::Reorder, now, out) {
            self.on_reorder_timeout(now, out);
        }
        if self.take_due(TimerKind::LossProbe, now, out) {
            self.on_loss_probe_timeout(now, out);
        }
        if self.take_due(TimerKind::Retransmit, now, out) {
            self.on_retransmit_timeout(now, out);
        }
        if self.take_due(TimerKind::Persist, now, out) {
            self.on_persist_timeout(now, out);
        }
        if self.take_due(TimerKind::Keepalive, now, out) {
            self.on_keepalive_timeout(now, out);
            if self.state == State::Closed {
                return;
            }
        }
        if self.take_due(TimerKind::DelayedAck, now, out) && self.state != State::Closed {
            self.acks.delayed_ack_fired();
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
        // Linux gives up on a SYN after a count (`tcp_write_timeout`: tcp_syn_retries, plus
        // tcp_syn_linear_timeouts in SYN_SENT), on a SYN-ACK after tcp_synack_retries, and on
        // data after a time budget: the time tcp_retries2 doubling RTOs from the minimum RTO
        // would take (`retransmits_timed_out`, `tcp_model_timeout`: 924.6 s for 15), or the
        // user timeout instead when one is set (`TCP_USER_TIMEOUT`, RFC 5482). The user
        // timeout bounds a connect too: measured on Linux 6.18 (tests/packetdrill/
        // syn-user-timeout.pkt), 2.5 s fails the connect at 2.5 s after SYNs at 0, 1 and 2 s.
        let start = *self.retrans_stamp.get_or_insert(Instant::from_nanos(
            now.as_nanos()
                .saturating_sub(self.backed_off_rto().as_nanos()),
        ));
        let waited = now.saturating_since(start);
        let expired = match self.state {
            // A time budget too, not a count: `tcp_syn_retries` doubling timeouts from the
            // initial RTO, whatever the linear ones did (measured on Linux 6.18 with
            // TCP_SYNCNT 1: SYNs at 0, 1 and 2 s, ETIMEDOUT at 3 s; with the defaults both give
            // 131 s).
            State::SynSent => {
                waited >= self.model_timeout(self.config.syn_retries, self.config.initial_rto)
                    || self.user_timeout.is_some_and(|limit| waited >= limit)
            }
            _ if syn_outstanding => self.retries >= self.config.synack_retries,
            _ => waited >= self.user_timeout.unwrap_or(self.give_up_budget()),
        };
        if expired {
            self.fail(
                now,
                ConnError::TimedOut,
                TransitionCause::RetriesExhausted,
                out,
            );
            return;
        }
        self.retries += 1;
        // tcp_syn_linear_timeouts (Linux ≥ 6.5): the first SYN retransmissions keep the
        // initial RTO; only then does the backoff double (ORACLES.md §3.2 (d): gaps 1, 1, 1,
        // 1, 1, 2, 4, 8, 16, 33 s).
        if !(self.state == State::SynSent && self.retries <= self.config.syn_linear_timeouts) {
            self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
        }
        out.event(TcpEvent::RtoBackoff {
            rto: self.backed_off_rto(),
        });
        // Karn's rule: a retransmitted segment gives no RTT sample (the timestamps of the
        // ACK may, RFC 7323 §4).
        if self.rtt_probe.take().is_some() {
            self.ts_rtt_pending = self.ts_ok;
        }

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

        // cwnd becomes one segment (RFC 5681 eq. 4 for Reno, RFC 9438 §4.8 for CUBIC);
        // ssthresh is cut only on the first timeout of this segment: a segment that was
        // already retransmitted says nothing new about the path.
        let before = self.window();
        let mut w = before;
        let flight = self.flight_size();
        self.cc
            .on_timeout(now, &mut w, flight, self.snd_mss, self.retries == 1);
        self.set_window(w);
        let from_open = !self.in_recovery && !self.rec.in_loss;
        self.in_recovery = false;
        self.dup_acks = 0;
        // RFC 6582 §3.2: duplicate ACKs for data sent before the timeout must not start a
        // fast retransmit.
        self.recover = Some(self.snd_max);
        self.congestion_changed(CongestionReason::Timeout, out);
        if self.sack_ok {
            // With SACK, only what was not SACKed is sent again (Linux `tcp_enter_loss`), and
            // F-RTO may find the timeout spurious and restore the window as it was.
            if self.retries == 1 {
                self.rec.prior = Some(before);
            }
            self.cancel_timer(TimerKind::LossProbe, out);
            self.enter_loss(from_open);
            return;
        }
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
        // A user timeout ends the probing too, however the peer answers: it counts from the
        // first probe of this zero window (Linux `tcp_probe_timer`; measured on 6.18,
        // tests/packetdrill/persist-user-timeout.pkt).
        let since = *self.probes_since.get_or_insert(now);
        let timed_out = self
            .user_timeout
            .is_some_and(|limit| now.saturating_since(since) >= limit);
        self.probes_out += 1;
        if timed_out || self.probes_out > self.config.data_retries {
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
        if self.rtt_probe.take().is_some() {
            self.ts_rtt_pending = self.ts_ok;
        }
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

    /// Linux's `tcp_model_timeout(tcp_retries2, TCP_RTO_MIN)`: how long `data_retries`
    /// retransmissions would take with the RTO doubling from the minimum up to the maximum.
    pub(super) fn give_up_budget(&self) -> Duration {
        self.model_timeout(self.config.data_retries, self.config.min_rto)
    }

    /// The time `n` retransmissions take with the timeout doubling from `base` up to the
    /// maximum RTO (Linux `tcp_model_timeout`).
    fn model_timeout(&self, n: u32, base: Duration) -> Duration {
        let base = base.as_nanos().max(1);
        let max = self.config.max_rto.as_nanos().max(base);
        let thresh = (max / base).max(1).ilog2();
        let ns = if n <= thresh {
            ((2u64 << n) - 1).saturating_mul(base)
        } else {
            ((2u64 << thresh) - 1)
                .saturating_mul(base)
                .saturating_add(((n - thresh) as u64).saturating_mul(max))
        };
        Duration::from_nanos(ns)
    }
}
