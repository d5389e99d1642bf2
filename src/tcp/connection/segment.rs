//! Segment arrival in the synchronized states: the checks of RFC 9293 §3.10.7.4 in order.

use super::{reset_for, Connection};
use crate::tcp::event::{
    ChallengeReason, ConnError, DropReason, Output, RetransmitReason, TcpEvent,
};
use crate::tcp::seq::SeqNumber;
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::{TcpFlags, TcpOptions, TcpRepr, TcpSegment};
use crate::time::{Duration, Instant};

impl Connection {
    /// Processes one arriving segment addressed to this connection.
    pub fn on_segment(&mut self, now: Instant, seg: &TcpRepr, out: &mut Output) {
        self.now = now;
        // What TIME_WAIT sends after the segment that entered it comes from Linux's mini
        // socket.
        self.mini_socket |= self.state == State::TimeWait;
        self.seg_tsecr = seg.options.timestamps.map(|(_, ecr)| ecr);
        if seg.src_port != self.remote.port() || seg.dst_port != self.local.port() {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::WrongPorts,
            });
            return;
        }
        match self.state {
            State::Closed => {
                // §3.10.7.1: as if no TCB existed.
                if let Some(rst) = reset_for(*self.remote.ip(), *self.local.ip(), seg) {
                    out.push(rst);
                }
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::NotSynchronized,
                });
            }
            State::Listen => out.event(TcpEvent::SegmentDropped {
                reason: DropReason::NotSynchronized,
            }),
            State::SynSent => self.on_segment_syn_sent(now, seg, out),
            _ => self.on_segment_synchronized(now, seg, out),
        }
    }

    /// §3.10.7.4: SYN-RECEIVED and the synchronized states.
    pub(super) fn on_segment_synchronized(
        &mut self,
        now: Instant,
        seg: &TcpRepr,
        out: &mut Output,
    ) {
        let flags = seg.flags;

        // The peer retransmitted its SYN: our SYN,ACK was probably lost (Linux
        // `tcp_check_req`).
        if self.state == State::SynReceived
            && flags.syn()
            && !flags.ack()
            && !flags.rst()
            && seg.seq == self.irs
        {
            out.event(TcpEvent::Retransmit {
                seq: self.iss,
                len: 0,
                reason: RetransmitReason::DuplicateSyn,
            });
            self.send_syn(out);
            return;
        }

        // A retransmitted FIN in TIME_WAIT is acknowledged again and restarts the 2*MSL timer
        // (§3.10.7.4 eighth step, Linux `tcp_timewait_state_process`).
        if self.state == State::TimeWait
            && flags.fin()
            && !flags.rst()
            && !flags.syn()
            && seg.seq + seg.seg_len() == self.rcv_nxt
        {
            self.restart_time_wait(now, out);
            self.send_ack(out);
            return;
        }

        // Simultaneous open: the peer's SYN,ACK acknowledging our SYN while we are in
        // SYN_RECEIVED. Its SYN is old news; take it as the ACK of our SYN (Linux
        // `tcp_validate_incoming`, the RFC 5961 §4.2 exception).
        let mut flags = flags;
        let mut seq = seg.seq;
        if self.state == State::SynReceived
            && !self.passive
            && flags.syn()
            && flags.ack()
            && seq + 1u32 == self.rcv_nxt
            && seg.ack == self.snd_max
        {
            flags = TcpFlags::from_bits(flags.bits() & !TcpFlags::SYN.bits());
            seq = self.rcv_nxt;
        }

        // PAWS (RFC 7323 §5.3 R1), before the acceptability test: a segment whose TSval is
        // older than TS.Recent is an old duplicate. It is dropped and, unless an RST,
        // answered with an ACK.
        if let (true, Some((tsval, _))) = (self.ts_ok, seg.options.timestamps) {
            if (tsval.wrapping_sub(self.ts_recent) as i32) < 0 && !flags.rst() {
                if !self.invalid_ack_limited(now, !seg.payload.is_empty() && !flags.syn(), out) {
                    self.ack_due = true;
                    self.flush(now, out);
                }
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::Paws,
                });
                return;
            }
        }

        // First: sequence number acceptability.
        let seg_len = seg.payload.len() as u32 + flags.syn() as u32 + flags.fin() as u32;
        let window = self.receive_window();
        let acceptable = self.acceptable(seq, seg_len, window)
            || (self.config.linux_segment_checks && self.acceptable_as_linux(seq, seg_len, window));
        // §3.10.7.4: with a zero window, ACKs and RSTs at RCV.NXT are still processed.
        let zero_window_allowance = !acceptable && window == 0 && seq == self.rcv_nxt;
        if !acceptable && !zero_window_allowance {
            if !seg.payload.is_empty() && seq >= self.rcv_nxt {
                // Data beyond the window: `tcp_data_queue`'s out_of_window quick-ACKs too.
                self.acks.stale_data_arrived();
            }
            self.note_repeated(seq, seg.payload.len() as u32 + flags.fin() as u32);
            let data = !seg.payload.is_empty() && !flags.syn();
            if !flags.rst() && !self.invalid_ack_limited(now, data, out) {
                self.ack_due = true;
                self.flush(now, out);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::OutOfWindow,
            });
            return;
        }
        self.heard_from_peer(now);

        // RFC 7323 §4.3: remember the TSval to echo, from an acceptable segment that covers
        // the last ACK we sent (Linux `tcp_replace_ts_recent`). Linux does it inside `tcp_ack`,
        // after refusing an ACK of data never sent, so such a segment leaves TS.Recent alone
        // (packetdrill's ts_recent/invalid_ack.pkt).
        let acks_unsent = flags.ack() && seg.ack > self.snd_max;
        if let (true, Some((tsval, _))) = (self.ts_ok, seg.options.timestamps) {
            if seq <= self.last_ack_sent
                && !acks_unsent
                && (tsval.wrapping_sub(self.ts_recent) as i32) >= 0
            {
                self.ts_recent = tsval;
            }
        }

        // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge).
        if flags.rst() {
            if seq != self.rcv_nxt {
                if !self.invalid_ack_limited(now, false, out) {
                    out.event(TcpEvent::ChallengeAck {
                        reason: ChallengeReason::RstInWindow,
                    });
                    self.send_ack(out);
                }
                return;
            }
            match self.state {
                // A Fast Open child is a full socket already (Linux resets it).
                State::SynReceived if self.passive && !self.fastopen_child() => {
                    self.set_state(now, State::Listen, TransitionCause::RcvRst, out);
                }
                State::SynReceived if self.passive => {
                    self.fail(now, ConnError::Reset, TransitionCause::RcvRst, out);
                }
                State::SynReceived => {
                    self.fail(now, ConnError::Refused, TransitionCause::RcvRst, out);
                }
                State::TimeWait => self.set_state(now, State::Closed, TransitionCause::RcvRst, out),
                // The peer had closed its side (we got its FIN): Linux's `tcp_reset` records
                // EPIPE, not ECONNRESET, so the next send raises BrokenPipeError.
                State::CloseWait => {
                    self.fail(now, ConnError::BrokenPipe, TransitionCause::RcvRst, out)
                }
                _ => self.fail(now, ConnError::Reset, TransitionCause::RcvRst, out),
            }
            return;
        }

        // Fourth: SYN.
        if flags.syn() {
            if self.state == State::SynReceived && self.passive {
                self.set_state(now, State::Listen, TransitionCause::RcvSyn, out);
                return;
            }
            // RFC 5961 §4.2: whatever its sequence number, answer with a challenge ACK.
            if !self.invalid_ack_limited(now, false, out) {
                out.event(TcpEvent::ChallengeAck {
                    reason: ChallengeReason::Syn,
                });
                self.send_ack(out);
            }
            return;
        }

        // Fifth: ACK.
        if !flags.ack() {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::NoAck,
            });
            return;
        }
        if self.state == State::SynReceived {
            if self.snd_una < seg.ack && seg.ack <= self.snd_max {
                self.set_state(now, State::Established, TransitionCause::RcvAckOfSyn, out);
                self.after_handshake();
                self.snd_wnd = (seg.window as u32) << self.snd_wscale;
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seq;
                self.snd_wl2 = seg.ack;
            } else {
                self.push_reset(seg.ack, None, out);
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::BadAck,
                });
                return;
            }
        }
        if !self.process_ack(now, seq, seg, out) {
            return;
        }
        match self.state {
            State::FinWait1 if self.fin_acked() => {
                self.set_state(now, State::FinWait2, TransitionCause::RcvAckOfFin, out);
                // An orphaned FIN_WAIT_2 socket becomes a time-wait mini socket at once unless
                // this segment also brings the FIN (Linux `tcp_rcv_state_process`).
                self.mini_socket = self.user_closed && !flags.fin();
            }
            State::Closing if self.fin_acked() => {
                self.set_state(now, State::TimeWait, TransitionCause::RcvAckOfFin, out);
            }
            State::LastAck if self.fin_acked() => {
                self.set_state(now, State::Closed, TransitionCause::RcvAckOfFin, out);
                return;
            }
            _ => {}
        }

        // Linux: an orphaned connection (closed by its application) in FIN_WAIT_1/2 that
        // receives new data answers with RST and is gone — nobody will ever read it
        // (`tcp_rcv_state_process`, TCPAbortOnData; measured in docs/linux-observations.md).
        if self.user_closed
            && matches!(self.state, State::FinWait1 | State::FinWait2)
            && !seg.payload.is_empty()
            && seq + seg.payload.len() > self.rcv_nxt
        {
            // As `tcp_v4_send_reset` answers a segment with ACK: RST, seq = its ACK number.
            self.push_reset(seg.ack, None, out);
            self.set_state(now, State::Closed, TransitionCause::AbortOnData, out);
            return;
        }
        // Sixth (URG) is not supported: urgent data is delivered inline as ordinary data.
        // Seventh and eighth: text and FIN.
        let (data_seq, payload) = self.trim_to_window(seq, seg.payload, flags.syn());
        let text_len = seg.payload.len() as u32 + flags.fin() as u32;
        if seq < self.rcv_nxt && text_len > 0 {
            if seq + text_len <= self.rcv_nxt {
                // Nothing new at all (only Linux's test lets such a segment this far): Linux's
                // `tcp_data_queue` answers "a retransmit" with a D-SACK and an immediate ACK.
                self.note_repeated(seq, text_len);
                self.ack_due = true;
            } else if self.sack_ok {
                // Partly data we already had: report that part as a duplicate in the next
                // ACK's first SACK block (DSACK, RFC 2883 §4.1.1).
                self.dsack = Some((seq, self.rcv_nxt));
            }
        }
        let fin = flags.fin() && data_seq + payload.len() == seq + seg.payload.len();
        self.process_text_and_fin(now, data_seq, payload, fin, out);
        if !seg.payload.is_empty() && payload.len() < seg.payload.len() {
            // Part of the segment was old or beyond the window: tell the peer where we are.
            self.ack_due = true;
        }
        self.flush(now, out);
    }

    /// The receive window used for the acceptability test: what we advertised, or more if the
    /// buffer has room for more.
    pub(super) fn receive_window(&self) -> u32 {
        let free = self.recv_buf.window() as u32;
        let advertised = if self.rcv_nxt < self.rcv_adv {
            self.rcv_nxt.distance(self.rcv_adv)
        } else {
            0
        };
        free.max(advertised)
    }

    /// The four cases of the acceptability test (§3.10.7.4, first check).
    pub(super) fn acceptable(&self, seq: SeqNumber, seg_len: u32, window: u32) -> bool {
        let rcv_end = self.rcv_nxt + window;
        match (seg_len, window) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => seq.in_range(self.rcv_nxt, rcv_end),
            (_, 0) => false,
            (len, _) => {
                seq.in_range(self.rcv_nxt, rcv_end)
                    || (seq + (len - 1)).in_range(self.rcv_nxt, rcv_end)
            }
        }
    }

    /// Linux's `tcp_sequence`: the segment ends at or after RCV.WUP (the RCV.NXT of the last
    /// segment we sent) and starts no later than the right edge of the window.
    fn acceptable_as_linux(&self, seq: SeqNumber, seg_len: u32, window: u32) -> bool {
        self.last_ack_sent <= seq + seg_len && seq <= self.rcv_nxt + window
    }

    /// A segment repeated text or a FIN we already had (`seg_len` counts both): the peer
    /// missed our ACK, so ACK quickly again and report the repeat in the first SACK block
    /// (D-SACK, RFC 2883 §4.1.1). Linux's `tcp_send_dupack` reports a repeated FIN too.
    fn note_repeated(&mut self, seq: SeqNumber, seg_len: u32) {
        if seg_len == 0 || seq >= self.rcv_nxt {
            return;
        }
        self.acks.stale_data_arrived();
        if self.sack_ok {
            self.dsack = Some((seq, (seq + seg_len).min(self.rcv_nxt)));
        }
    }

    /// Cuts off the parts of a payload before RCV.NXT and beyond the window; returns the new
    /// start sequence number and the bytes left.
    pub(super) fn trim_to_window<'p>(
        &self,
        seq: SeqNumber,
        payload: &'p [u8],
        syn: bool,
    ) -> (SeqNumber, &'p [u8]) {
        let mut seq = seq;
        if syn {
            seq += 1u32;
        }
        let mut payload = payload;
        if seq < self.rcv_nxt {
            let skip = (seq.distance(self.rcv_nxt) as usize).min(payload.len());
            payload = &payload[skip..];
            seq += skip;
        }
        let window = self.recv_buf.window();
        let offset = if self.rcv_nxt < seq {
            self.rcv_nxt.distance(seq) as usize
        } else {
            0
        };
        let room = window.saturating_sub(offset);
        if payload.len() > room {
            payload = &payload[..room];
        }
        (seq, payload)
    }

    /// `<SEQ=seq><CTL=RST>` (with ACK if given) answering a bad segment.
    pub(super) fn push_reset(&mut self, seq: SeqNumber, ack: Option<SeqNumber>, out: &mut Output) {
        let mut flags = TcpFlags::RST;
        if ack.is_some() {
            flags |= TcpFlags::ACK;
        }
        out.push(TcpSegment {
            src_ip: *self.local.ip(),
            dst_ip: *self.remote.ip(),
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq,
            ack: ack.unwrap_or(SeqNumber(0)),
            flags,
            window: 0,
            urgent: 0,
            options: TcpOptions::NONE,
            payload: Vec::new(),
            ip_id: None,
        });
    }

    /// Whether the ACK an invalid segment earns is held back: Linux answers invalid segments
    /// without data (and sends challenge ACKs) at most once per `tcp_invalid_ratelimit`, so
    /// two stacks cannot ACK each other in a loop (`tcp_oow_rate_limited`; RFC 5961 §7).
    /// Segments carrying data are always answered and do not count.
    fn invalid_ack_limited(&mut self, now: Instant, data: bool, out: &mut Output) -> bool {
        let limit = self.config.invalid_ratelimit;
        invalid_ack_limited(&mut self.last_invalid_ack, limit, now, data, out)
    }
}

/// The rate limit itself, shared with [`super::TimeWait`]: `last` is when the last limited
/// ACK went out.
pub(super) fn invalid_ack_limited(
    last: &mut Option<Instant>,
    limit: Duration,
    now: Instant,
    data: bool,
    out: &mut Output,
) -> bool {
    if data || limit.is_zero() {
        return false;
    }
    if last.is_some_and(|at| now.saturating_since(at) < limit) {
        out.event(TcpEvent::AckRateLimited);
        return true;
    }
    *last = Some(now);
    false
}
