//! The receive path: storing data and FIN, deciding when to acknowledge, and the window we
//! advertise (RFC 9293 §3.10.7.4 seventh and eighth steps, RFC 1122 §4.2.3).

use super::Connection;
use crate::tcp::event::{DropReason, Output, TcpEvent, TimerKind};
use crate::tcp::seq::SeqNumber;
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::SackBlocks;
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
        if offset == 0 && self.sack_ok {
            self.dsack_covered_out_of_order(payload.len());
        }
        let written = self.recv_buf.write(offset, payload);
        if written.dropped {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::ReassemblyFull,
            });
        }
        self.rcv_nxt += written.advanced;
        if self.sack_ok {
            self.update_sack_report((offset > 0).then_some(seq));
        }
        if offset == 0 {
            // Only in-order data counts (Linux calls `tcp_event_data_recv` from the in-order
            // path of `tcp_data_queue`), measured against the full size before this segment.
            let rto = self.backed_off_rto();
            self.acks
                .data_arrived(now, payload.len() as u32, self.rcv_mss, rto);
        }
        let mut seg_len = payload.len() as u32;
        if self.config.rx_gso_size > 0 && seg_len > self.config.rx_gso_size {
            seg_len = self.config.rx_gso_size;
        }
        self.rcv_mss = self.rcv_mss.max(seg_len.min(self.config.mss as u32));
        self.grow_offered_window(offset > 0, payload.len() as u32);

        // RFC 5681 §4.2: out-of-order data and data filling a gap are acknowledged at once,
        // and so is in-order data while quick ACKs last (spent only by in-order data).
        if offset > 0 || written.filled_gap || self.acks.take_quick_ack() {
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

    /// In-order data of `len` bytes arrives over data held out of order: the part it covers
    /// arrived twice, and the next ACK reports it in a D-SACK block (RFC 2883), as Linux's
    /// `tcp_ofo_queue` does when it moves the held data in: the lowest covered block, cut at
    /// the new data's end, extended by the next ones only where they touch it (kernel
    /// selftest tcp_dsack_mult.pkt: `1:6001` over held `1001:3001` and `4001:5001` is ACKed
    /// with `sack 1001:3001` first).
    fn dsack_covered_out_of_order(&mut self, len: usize) {
        for &(start, end) in self.recv_buf.out_of_order() {
            if start >= len {
                break;
            }
            let block = (
                self.rcv_nxt + start as u32,
                self.rcv_nxt + end.min(len) as u32,
            );
            self.dsack = match self.dsack {
                None => Some(block),
                // `tcp_sack_extend`: only a block that overlaps or touches it.
                Some((l, r)) if block.0 <= r && l <= block.1 => {
                    Some((l.min(block.0), r.max(block.1)))
                }
                keep => keep,
            };
        }
    }

    /// Linux's `tcp_grow_window`: a near-full segment raises `rcv_ssthresh` (the most we
    /// offer) by `max(2 * advmss, 2 * len)` while the free buffer has room, and each growth is
    /// ACKed at once (`icsk_ack.quick |= 1`) to tell the sender. Measured on Linux 6.18 with
    /// upstream packetdrill: 33 full segments in a row ACKed at once, not 16
    /// (window-growth-acks.pkt). Out-of-order segments grow it only with SACK
    /// (`tcp_data_queue_ofo`; without SACK the duplicate ACKs must keep their window to count
    /// as duplicates): c2_data_rto_backoff.pcap's duplicate ACKs offer 67, 70, 73 × 1024.
    /// Smaller segments do not grow it: Linux weighs a segment's payload against the memory it
    /// takes ("check #2", `tcp_win_from_space(truesize) <= len`); 1000-byte segments on a
    /// 1460-byte-MSS socket did not grow it (docs/linux-observations.md). netlab asks for a
    /// full segment as received so far and at least three quarters of our MSS.
    fn grow_offered_window(&mut self, out_of_order: bool, len: u32) {
        let advmss = u32::from(self.config.mss);
        let near_full = len >= self.rcv_mss && 4 * len >= 3 * advmss;
        if !self.config.window_moderation || (out_of_order && !self.sack_ok) || !near_full {
            return;
        }
        let room = (self.recv_buf.window() as u32).saturating_sub(self.rcv_ssthresh);
        if room > 0 {
            self.rcv_ssthresh += (2 * advmss).max(2 * len).min(room);
            self.acks.window_grew();
        }
    }

    pub(super) fn receive_fin(&mut self, now: Instant, out: &mut Output) {
        self.rcv_nxt += 1u32;
        self.fin_received = true;
        self.pending_fin = None;
        // Linux's `tcp_fin` resets the SACK state (`tcp_sack_reset`): a D-SACK pending for
        // data the FIN's segment repeated is not sent (kernel selftest tcp_close_no_rst.pkt:
        // `F. 1:1001(1000)` after 1:1001 was read is ACKed with no SACK block).
        self.dsack = None;
        match self.state {
            State::Established => {
                // Linux (`tcp_fin`) delays this ACK, hoping the application closes soon so
                // that its FIN carries it: a close within the delayed-ACK time takes three
                // segments, not four (e_server_close_first.pcap: ACK 42 ms after the FIN).
                // Its delayed-ACK timeout is `icsk_ack.ato`, which stays 0 until the first
                // data arrives: a connection that never received data ACKs the FIN within a
                // jiffy (packetdrill's close-remote-fin-then-close.pkt), so netlab at once.
                // `rcv_nxt` has already counted the FIN here.
                // Data a Fast Open SYN carried does not count: Linux queues it without
                // `tcp_event_data_recv` (`tcp_fastopen_add_skb`), so `ato` stays 0
                // (upstream fastopen/server/fin-close-socket.pkt).
                let received_data =
                    self.irs + 2u32 + self.fastopen_syn_data_taken() != self.rcv_nxt;
                self.acks.fin_arrived();
                if !received_data {
                    self.ack_due = true;
                } else if !self.ack_due && self.delack_at.is_none() {
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
        if !syn && self.config.window_moderation {
            // Linux offers no more than `rcv_ssthresh`, which starts at the SYN's window and
            // grows as full-sized segments arrive, and rounds up to the scale's unit so the
            // window is not scaled away (`__tcp_select_window`): 64240 → 63 × 1024 after a
            // Linux handshake (ORACLES.md §3.2 (a)).
            free = free.min(self.rcv_ssthresh);
            if self.rcv_wscale > 0 {
                let unit = 1u32 << self.rcv_wscale;
                let up = free.div_ceil(unit).saturating_mul(unit);
                free = if up <= self.recv_buf.window() as u32 {
                    up
                } else {
                    free - free % unit
                };
                // With scaling Linux holds no sliver back here; it only never shrinks.
                let edge = (self.rcv_nxt + free).max(self.rcv_adv.max(self.rcv_nxt));
                return self.rcv_nxt.distance(edge);
            }
        }
        // Offer whole segments, as Linux (`tcp_select_initial_window`, `__tcp_select_window`):
        // a 4096-byte buffer gives a 2-MSS window, not 2 segments and a sliver the sender's
        // SWS avoidance would hold back.
        let mss = if syn && self.ts_ok && self.state != State::SynSent {
            // Linux rounds a SYN-ACK's window to the MSS less the timestamps
            // (`tcp_openreq_init_rwin`): 65160 = 45 × 1448, where the SYN, sent before the
            // peer agreed to timestamps, has 64240 = 44 × 1460 (ORACLES.md §3.3).
            self.config.mss as u32 - 12
        } else if syn {
            self.config.mss as u32
        } else {
            self.rcv_mss
        };
        if free > mss {
            free -= free % mss;
        }
        self.keep_right_edge(free)
    }

    /// The window to advertise given `free` bytes offered: the right edge never moves left
    /// and moves right only by a useful amount (receiver SWS avoidance).
    fn keep_right_edge(&self, free: u32) -> u32 {
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

    /// Keeps the SACK blocks we report in step with the out-of-order data held (RFC 2018
    /// §4): the block holding the segment that just arrived (`recent`) first, then the others
    /// in the order they were last reported; blocks now below RCV.NXT disappear.
    pub(super) fn update_sack_report(&mut self, recent: Option<SeqNumber>) {
        let mut held: Vec<(SeqNumber, SeqNumber)> = self
            .recv_buf
            .out_of_order()
            .iter()
            .map(|&(s, e)| (self.rcv_nxt + s, self.rcv_nxt + e))
            .collect();
        // A FIN held beyond a hole is SACKed too: Linux's block ends at the segment's
        // `end_seq`, which counts the FIN (packetdrill probe on Linux 6.18, 2026-12-05:
        // `F. 1001:2001(1000)` above a hole is answered with `sack 1001:2002`), so a sender
        // that SACKs whole segments sees the last one covered.
        if let Some(fin) = self.pending_fin {
            match held.iter_mut().find(|b| b.1 == fin) {
                Some(block) => block.1 = fin + 1u32,
                None => held.push((fin, fin + 1u32)),
            }
        }
        let holding = |seq: SeqNumber| held.iter().copied().find(|&(l, r)| l <= seq && seq < r);
        let mut report = Vec::with_capacity(held.len());
        let mut add = |block: Option<(SeqNumber, SeqNumber)>| {
            if let Some(b) = block {
                if !report.contains(&b) {
                    report.push(b);
                }
            }
        };
        add(recent.and_then(holding));
        for &(left, right) in &self.sack_report {
            // A reported block may have grown by merging; find what holds any of it.
            add(holding(left).or_else(|| holding(right - 1u32)));
        }
        for &b in &held {
            add(Some(b));
        }
        self.sack_report = report;
    }

    /// The SACK blocks for the ACK about to be sent: a pending DSACK first (RFC 2883 §4),
    /// then the reported blocks, at most four, three beside timestamps (RFC 2018 §3: 40
    /// option bytes).
    pub(super) fn sack_blocks_to_send(&mut self, with_timestamps: bool) -> SackBlocks {
        let max = if with_timestamps { 3 } else { 4 };
        let mut blocks = SackBlocks::NONE;
        if let Some((left, right)) = self.dsack.take() {
            blocks.push(left, right);
        }
        self.update_sack_report(None);
        for &(left, right) in &self.sack_report {
            if blocks.len() < max {
                blocks.push(left, right);
            }
        }
        blocks
    }
}
