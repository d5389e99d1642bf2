//! The receive path: storing data and FIN, deciding when to acknowledge, and the window we
//! advertise (RFC 9293 §3.10.7.4 seventh and eighth steps, RFC 1122 §4.2.3).

use super::Connection;
use crate::tcp::event::{DropReason, Output, TcpEvent, TimerKind};
use crate::tcp::seq::SeqNumber;
use crate::tcp::state::{State, TransitionCause};
use crate::time::Instant;

impl Connection {
    /// Seventh and eighth steps: store data, decide how to acknowledge it, and take the FIN
    /// once everything before it has arrived.
    pub(super) fn process_text_and_fin(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        payload: &[u8],
        fin: bool,
        out: &mut Output,
    ) {
        let fin_seq =
            (fin && !self.fin_received && self.state.can_receive()).then(|| seq + payload.len());
        // The peer's stream ends at its FIN: nothing after it is data. Keep the earliest FIN
        // seen, forget out-of-order bytes beyond it and cut this segment there (RFC 9293
        // §3.10.7.4 ignores text after a FIN; Linux `tcp_fin` purges the out-of-order queue).
        let end = match (fin_seq, self.pending_fin) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut payload = payload;
        if let Some(end) = end {
            if self.rcv_nxt <= end {
                self.recv_buf
                    .discard_from(self.rcv_nxt.distance(end) as usize);
            }
            let keep = if seq < end {
                (seq.distance(end) as usize).min(payload.len())
            } else {
                0
            };
            if keep < payload.len() {
                payload = &payload[..keep];
                self.ack_due = true;
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::DataAfterFin,
                });
            }
        }
        if !payload.is_empty() {
            if self.state.can_receive() && !self.fin_received {
                self.receive_data(now, seq, payload, out);
            } else {
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::DataAfterFin,
                });
            }
        }
        if let Some(fin_seq) = fin_seq.filter(|&f| Some(f) == end) {
            if fin_seq == self.rcv_nxt {
                self.receive_fin(now, out);
            } else if self.rcv_nxt < fin_seq {
                self.pending_fin = Some(fin_seq);
                self.ack_due = true;
            }
        }
    }

    pub(super) fn receive_data(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        payload: &[u8],
        out: &mut Output,
    ) {
        let offset = if self.rcv_nxt < seq {
            self.rcv_nxt.distance(seq) as usize
        } else {
            0
        };
        let written = self.recv_buf.write(offset, payload);
        if written.dropped {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::ReassemblyFull,
            });
        }
        self.rcv_nxt += written.advanced;
        self.rcv_mss = self
            .rcv_mss
            .max((payload.len() as u32).min(self.config.mss as u32));

        // RFC 5681 §4.2: out-of-order data and data filling a gap are acknowledged at once.
        if offset > 0 || written.filled_gap {
            self.ack_due = true;
        } else if self.quick_acks_left > 0 {
            self.quick_acks_left -= 1;
            self.ack_due = true;
        } else if self.last_ack_sent.distance(self.rcv_nxt) > self.rcv_mss {
            // More than one full-sized segment unacknowledged (RFC 1122 §4.2.3.2; Linux
            // `__tcp_ack_snd_check`).
            self.ack_due = true;
        } else if self.delack_at.is_none() {
            let deadline = now + self.config.delayed_ack;
            self.arm_timer(TimerKind::DelayedAck, deadline, out);
        }
        if self.pending_fin == Some(self.rcv_nxt) {
            self.pending_fin = None;
            self.receive_fin(now, out);
        }
    }

    pub(super) fn receive_fin(&mut self, now: Instant, out: &mut Output) {
        self.rcv_nxt += 1u32;
        self.fin_received = true;
        self.pending_fin = None;
        match self.state {
            State::Established => {
                // Linux (`tcp_fin`) delays this ACK, hoping the application closes soon so
                // that its FIN carries it: a close within the delayed-ACK time takes three
                // segments, not four.
                if !self.ack_due && self.delack_at.is_none() {
                    let deadline = now + self.config.delayed_ack;
                    self.arm_timer(TimerKind::DelayedAck, deadline, out);
                }
                self.set_state(now, State::CloseWait, TransitionCause::RcvFin, out);
            }
            State::SynReceived => self.ack_due = true,
            State::FinWait1 => {
                self.ack_due = true;
                self.set_state(now, State::Closing, TransitionCause::RcvFin, out);
            }
            State::FinWait2 => {
                self.ack_due = true;
                self.set_state(now, State::TimeWait, TransitionCause::RcvFin, out);
            }
            _ => self.ack_due = true,
        }
    }

    /// The window to advertise in bytes, after receiver SWS avoidance (RFC 1122 §4.2.3.3):
    /// the right edge moves only by a useful amount, and never moves left.
    pub(super) fn window_to_advertise(&self, syn: bool) -> u32 {
        // What the 16-bit field can carry with the negotiated shift (none on a SYN).
        let field_max = if syn {
            65535
        } else {
            65535usize << self.rcv_wscale
        };
        let mut free = self.recv_buf.window().min(field_max) as u32;
        // Offer whole segments, as Linux (`tcp_select_initial_window`, `__tcp_select_window`):
        // a 4096-byte buffer gives a 2-MSS window, not 2 segments and a sliver the sender's
        // SWS avoidance would hold back.
        let mss = if syn {
            self.config.mss as u32
        } else {
            self.rcv_mss
        };
        if free > mss {
            free -= free % mss;
        }
        let edge_now = self.rcv_nxt + free;
        let current_edge = self.rcv_adv.max(self.rcv_nxt);
        let edge =
            if current_edge < edge_now && current_edge.distance(edge_now) < self.sws_threshold() {
                current_edge
            } else {
                current_edge.max(edge_now)
            };
        self.rcv_nxt.distance(edge)
    }

    pub(super) fn sws_threshold(&self) -> u32 {
        ((self.recv_buf.capacity() / 2) as u32)
            .min(self.rcv_mss)
            .max(1)
    }
}
