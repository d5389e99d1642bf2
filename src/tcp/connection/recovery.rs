//! Loss recovery when SACK is negotiated, as Linux does it: the SACK scoreboard (RFC 6675)
//! with RACK's time-based loss detection and the tail-loss probe (RFC 8985, `tcp_recovery` = 1,
//! `tcp_early_retrans` = 3), and F-RTO after a timeout (RFC 5682 §3, `tcp_frto` = 2).
//!
//! Without SACK the connection keeps NewReno (RFC 6582, in `ack`). With it, every segment
//! sent is recorded on the scoreboard; each ACK marks what it SACKed, RACK and RFC 6675's
//! IsLost mark what is lost, and the send path retransmits exactly those holes, as far as
//! `cwnd − pipe` allows, before new data. During fast recovery the `linux` profile sets cwnd
//! by Proportional Rate Reduction (RFC 6937, Linux `tcp_cwnd_reduction`); without it cwnd is
//! ssthresh from the start (RFC 6675 §5).

use super::Connection;
use crate::tcp::congestion::Window;
use crate::tcp::event::{CongestionReason, Output, RetransmitReason, TcpEvent, TimerKind};
use crate::tcp::rack::{self, Rack};
use crate::tcp::sack::{Scoreboard, DUP_THRESH};
use crate::tcp::seq::SeqNumber;
use crate::tcp::wire::{TcpFlags, TcpOptions};
use crate::time::Instant;

/// The recovery state of a SACK connection.
#[derive(Debug, Default)]
pub(super) struct Recovery {
    pub(super) board: Scoreboard,
    pub(super) rack: Rack,
    /// A tail-loss probe is out and not yet answered: SND.MAX when it was sent (Linux
    /// `tlp_high_seq`). One probe per episode (RFC 8985 §7.3).
    pub(super) tlp_high: Option<SeqNumber>,
    /// The timeout's Loss state (Linux `TCP_CA_Loss`): every un-SACKed segment was marked
    /// lost; it ends when SND.UNA passes `Connection::recover`.
    pub(super) in_loss: bool,
    /// F-RTO in progress after a timeout (RFC 5682 §3): `Some(high)` with SND.MAX at the
    /// timeout, moved to SND.MAX when new data went out (step 2b).
    pub(super) frto: Option<SeqNumber>,
    /// F-RTO step 2b asked the send path for new data before any retransmission.
    pub(super) frto_send_new: bool,
    /// The window before the last timeout, for undoing it (RFC 5682 §3.1 step 3b).
    pub(super) prior: Option<Window>,
    /// The next send is the tail-loss probe: one segment of new data, cwnd or not.
    pub(super) probe_send: bool,
    /// Proportional Rate Reduction's counters while in fast recovery with `TcpConfig::prr`.
    pub(super) prr: Option<Prr>,
    /// The reordering degree in segments (Linux `tp->reordering`): DupThresh at first,
    /// raised to the furthest distance a reordered segment was delivered from
    /// (`tcp_check_sack_reordering`). Beyond DupThresh, any ACK that delivers may grow cwnd
    /// (`tcp_may_raise_cwnd`).
    pub(super) reordering: u32,
}

/// Linux's cap on the reordering degree [`tcp_max_reordering` = 300].
const MAX_REORDERING: u32 = 300;

/// The reordering degree after a segment was delivered `distance` bytes below the highest one
/// delivered before it (Linux `tcp_check_sack_reordering`: raised only when the distance is
/// more than `reordering` segments).
pub(super) fn raised_reordering(reordering: u32, distance: u32, mss: u32) -> u32 {
    let mss = mss.max(1);
    if distance > reordering.saturating_mul(mss) {
        distance.div_ceil(mss).min(MAX_REORDERING)
    } else {
        reordering
    }
}

/// RFC 6937's state, counted in segments as Linux counts packets (`tcp_sock`'s
/// `prior_cwnd`, `prr_delivered`, `prr_out`): the rounding up of the proportional part to whole
/// segments is what lets the first ACK of recovery release a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Prr {
    /// cwnd when recovery began, in segments (RFC 6937's RecoverFS as Linux takes it).
    pub(super) prior_cwnd: u32,
    /// Segments the peer has received since recovery began (`prr_delivered`).
    pub(super) delivered: u32,
    /// Segments sent since recovery began, new or retransmitted (`prr_out`).
    pub(super) sent: u32,
}

impl Prr {
    /// How many segments this ACK lets out (RFC 6937 §3 with Linux's bounds): `delivered`
    /// segments newly acknowledged or SACKed by it, `pipe` and `ssthresh` in segments,
    /// `una_advanced` and `newly_lost` as the ACK found them.
    pub(super) fn on_ack(
        &mut self,
        delivered: u32,
        pipe: u32,
        ssthresh: u32,
        una_advanced: bool,
        newly_lost: bool,
    ) -> Option<u32> {
        if delivered == 0 || self.prior_cwnd == 0 {
            return None;
        }
        self.delivered += delivered;
        let mut sndcnt = if pipe > ssthresh {
            // Proportional part: ceil(ssthresh · delivered / RecoverFS) − out.
            let due = (u64::from(ssthresh) * u64::from(self.delivered))
                .div_ceil(u64::from(self.prior_cwnd)) as u32;
            due.saturating_sub(self.sent)
        } else {
            // Slow-start reduction bound (PRR-SSRB): catch up to ssthresh, at most what was
            // delivered (one more when SND.UNA moved and nothing new was lost).
            let mut limit = self.delivered.saturating_sub(self.sent).max(delivered);
            if una_advanced && !newly_lost {
                limit += 1;
            }
            (ssthresh - pipe).min(limit)
        };
        // Linux forces the fast retransmission on entering recovery (RFC 6675 §5 step 4.3).
        if self.sent == 0 {
            sndcnt = sndcnt.max(1);
        }
        Some(pipe + sndcnt)
    }
}

impl Recovery {
    pub(super) fn new(sack_whole_segments: bool) -> Recovery {
        Recovery {
            board: if sack_whole_segments {
                Scoreboard::whole_segments()
            } else {
                Scoreboard::new()
            },
            rack: Rack::new(),
            reordering: DUP_THRESH,
            ..Recovery::default()
        }
    }
}

impl Connection {
    /// Records a data segment (or FIN) `[seq, end)` sent at `now` on the scoreboard.
    pub(super) fn record_sent(&mut self, now: Instant, seq: SeqNumber, end: SeqNumber) {
        if self.sack_ok {
            self.rec.board.on_sent(seq, end, now);
            self.count_recovery_send(seq, end);
        }
    }

    /// Bytes in flight as the send path counts them: RFC 6675's pipe with SACK, else
    /// everything sent and not acknowledged.
    pub(super) fn bytes_in_flight(&self) -> u32 {
        if self.sack_ok {
            self.rec.board.pipe()
        } else if self.config.limited_transmit && !self.in_recovery && self.dup_acks > 0 {
            // RFC 3042 limited transmit as Linux does it without SACK: each duplicate ACK
            // stands for a segment that left the network (`tcp_add_reno_sack`), so new data
            // may take its place; the hole itself stays counted (`tcp_limit_reno_sacked`).
            let flight = self.snd_una.distance(self.snd_nxt);
            let left = self.dup_acks.saturating_mul(self.snd_mss);
            flight.saturating_sub(left).max(flight.min(self.snd_mss))
        } else {
            self.snd_una.distance(self.snd_nxt)
        }
    }

    /// ACK processing with SACK, after SND.UNA moved (if it did): update the scoreboard and
    /// RACK, run F-RTO, detect losses, enter or leave recovery, re-arm the probe timer.
    pub(super) fn on_ack_with_sack(
        &mut self,
        now: Instant,
        blocks: &[(SeqNumber, SeqNumber)],
        acked: u32,
        duplicate: bool,
        out: &mut Output,
    ) {
        let advanced = acked > 0;
        let sacked_before = self.rec.board.sacked_bytes();
        let up = self.rec.board.on_ack(self.snd_una, self.snd_max, blocks);
        // What this ACK says reached the peer: newly cumulatively acknowledged bytes that were
        // not SACKed before, and newly SACKed ones (Linux `newly_acked_sacked`).
        let delivered = (acked + self.rec.board.sacked_bytes()).saturating_sub(sacked_before);
        if up.dsack {
            self.rec.rack.on_dsack();
        }
        if up.reordering {
            self.rec.rack.on_reordering();
            self.rec.reordering =
                raised_reordering(self.rec.reordering, up.reorder_distance, self.snd_mss);
        }
        if let Some((sent, end, rx)) = up.latest_delivered {
            self.rec.rack.on_delivered(now, sent, end, rx);
        }
        if let Some((sent, rx)) = up.rtt_sample {
            self.rec.rack.take_rtt_from(now, sent, rx);
        }
        if self.rec.tlp_high.is_some_and(|h| h <= self.snd_una) {
            self.rec.tlp_high = None;
        }

        if self.rec.in_loss {
            let recovered =
                self.recover.is_some_and(|r| r <= self.snd_una) || self.rec.board.is_empty();
            if self.rec.frto.is_some() && up.original_delivered {
                // RFC 5682 §3.1 step 3b (Linux: never-retransmitted data was (S)ACKed): the
                // timeout was spurious. Undo it.
                self.undo_timeout(out);
            } else if recovered {
                // Everything outstanding at the timeout is acknowledged.
                self.leave_loss();
            } else if let Some(high) = self.rec.frto {
                if high < self.snd_max {
                    // Step 3a: new data went out and the peer still reports holes.
                    if up.newly_sacked > 0 || duplicate {
                        self.rec.frto = None;
                    }
                } else if advanced {
                    // Step 2b: the retransmission was acknowledged; send new data first,
                    // if there is any the window allows.
                    let wnd_edge = self.snd_una + self.snd_wnd;
                    if self.unsent() > 0 && self.snd_max < wnd_edge {
                        self.rec.frto = Some(self.snd_max);
                        self.rec.frto_send_new = true;
                    } else {
                        self.rec.frto = None;
                    }
                }
            }
        }

        let newly_lost = self.detect_losses(now, out);
        // RFC 8985 §7.2: the probe timer restarts on an ACK that moves SND.UNA (Linux
        // `FLAG_SET_XMIT_TIMER` comes with `FLAG_ACKED`); a SACK alone leaves it running,
        // unless no probe may be pending now, or none is and one may be.
        if advanced || self.tlp_at.is_none() || !self.loss_probe_eligible() {
            self.schedule_loss_probe(now, out);
        }

        if self.in_recovery && self.recover.is_some_and(|r| r <= self.snd_una) {
            // RFC 6675 §5: recovery ends when the RecoveryPoint is acknowledged; cwnd stays at
            // ssthresh (Linux `tcp_end_cwnd_reduction`).
            self.in_recovery = false;
            self.recover = None;
            self.rec.prr = None;
            self.cwnd = self.ssthresh.max(self.snd_mss);
            self.congestion_changed(CongestionReason::RecoveryExit, out);
        }
        if self.in_recovery {
            self.reduce_cwnd(delivered, advanced, newly_lost > 0, out);
        } else if self.config.linux_cwnd_growth {
            // Linux's `tcp_cong_control` outside CWR and Recovery: grow by what the ACK
            // delivered, if it moved SND.UNA over data or, with reordering seen beyond
            // DupThresh, delivered anything (`tcp_may_raise_cwnd`).
            let may_raise = if self.rec.reordering > DUP_THRESH {
                delivered > 0
            } else {
                advanced
            };
            if may_raise && self.may_grow_cwnd(0) {
                self.grow_cwnd(now, delivered, out);
            }
        }
    }

    /// One PRR step (RFC 6937): cwnd becomes pipe plus what this ACK lets out.
    fn reduce_cwnd(&mut self, delivered: u32, advanced: bool, newly_lost: bool, out: &mut Output) {
        let mss = self.snd_mss.max(1);
        let pipe = self.rec.board.pipe().div_ceil(mss);
        let ssthresh = self.ssthresh / mss;
        let Some(prr) = self.rec.prr.as_mut() else {
            return;
        };
        if let Some(cwnd) = prr.on_ack(
            delivered.div_ceil(mss),
            pipe,
            ssthresh,
            advanced,
            newly_lost,
        ) {
            // Recorded when it moves: an ACK in recovery often leaves it where it was.
            if cwnd * mss != self.cwnd {
                self.cwnd = cwnd * mss;
                self.congestion_changed(CongestionReason::RecoveryReduction, out);
            }
        }
    }

    /// Counts segments sent during fast recovery for PRR (`prr_out`).
    fn count_recovery_send(&mut self, start: SeqNumber, end: SeqNumber) {
        if let Some(prr) = self.rec.prr.as_mut() {
            prr.sent += start.distance(end).div_ceil(self.snd_mss.max(1));
        }
    }

    /// RACK (RFC 8985 §6.2 step 5) and RFC 6675 IsLost; enters fast recovery on a new loss.
    /// Returns how many segments it marked lost.
    pub(super) fn detect_losses(&mut self, now: Instant, out: &mut Output) -> u32 {
        let in_recovery = self.in_recovery || self.rec.in_loss;
        let mut marked = 0;
        if self.config.rack_tlp {
            if let Some((sent, end)) = self.rec.rack.xmit() {
                let reo =
                    self.rec
                        .rack
                        .reo_wnd(self.srtt, in_recovery, self.rec.board.sacked_segments());
                let wait = self.rec.rack.loss_wait(reo);
                let (m, next) = self.rec.board.mark_lost_by_time(sent, end, wait, now);
                marked += m;
                match next {
                    Some(at) => self.arm_timer(TimerKind::Reorder, at, out),
                    None => self.cancel_timer(TimerKind::Reorder, out),
                }
            }
        }
        marked += self.rec.board.mark_lost_by_dupthresh(self.snd_mss);
        let may_enter = self.recover.is_none_or(|r| r < self.snd_una);
        if marked > 0 && !self.in_recovery && !self.rec.in_loss && may_enter {
            // RFC 6675 §5 steps 4.1–4.2: RecoveryPoint = HighData, ssthresh from the
            // controller, cwnd = ssthresh.
            let mut w = self.window();
            let flight = self.flight_size();
            self.cc
                .on_congestion_event(now, &mut w, flight, self.snd_mss);
            if self.config.prr {
                // cwnd follows PRR from the ACK that began recovery on (Linux
                // `tcp_init_cwnd_reduction`).
                self.rec.prr = Some(Prr {
                    prior_cwnd: self.cwnd / self.snd_mss.max(1),
                    delivered: 0,
                    sent: 0,
                });
                w.cwnd = self.cwnd;
            } else {
                w.cwnd = w.ssthresh;
            }
            self.set_window(w);
            self.recover = Some(self.snd_max);
            self.in_recovery = true;
            self.rec.tlp_high = None;
            self.cancel_timer(TimerKind::LossProbe, out);
            self.congestion_changed(CongestionReason::FastRetransmit, out);
        }
        marked
    }

    /// The timeout with SACK: everything not SACKed is lost, SND.NXT stays where it is (no
    /// go-back-N over SACKed data), and F-RTO starts (RFC 5682 §3.1 step 1).
    /// `from_open`: neither fast recovery nor an earlier timeout's Loss state was on.
    pub(super) fn enter_loss(&mut self, from_open: bool) {
        // Linux `tcp_enter_loss`: SACKs for DupThresh segments were there and no recovery
        // began, so reordering did not explain the holes; it goes back to DupThresh.
        if from_open && self.rec.board.sacked_segments() >= DUP_THRESH {
            self.rec.reordering = self.rec.reordering.min(DUP_THRESH);
        }
        self.rec.board.mark_all_lost();
        self.rec.in_loss = true;
        self.rec.tlp_high = None;
        self.rec.frto_send_new = false;
        self.rec.frto = self.config.frto.then_some(self.snd_max);
    }

    fn leave_loss(&mut self) {
        self.rec.in_loss = false;
        self.rec.frto = None;
        self.rec.frto_send_new = false;
        self.rec.prior = None;
    }

    /// RFC 5682 §3.1 step 3b: the timeout was spurious. Restore the window as it was before
    /// it (`CongestionControl::on_spurious_congestion_event`) and forget the loss marks.
    fn undo_timeout(&mut self, out: &mut Output) {
        if let Some(before) = self.rec.prior.take() {
            let mut w = self.window();
            self.cc.on_spurious_congestion_event(&mut w, before);
            self.set_window(w);
        }
        self.rec.board.unmark_lost();
        self.leave_loss();
        self.recover = None;
        out.event(TcpEvent::SpuriousTimeout);
        self.congestion_changed(CongestionReason::Undo, out);
    }

    /// The RACK reordering timer expired: segments sent before the last delivered one have
    /// now waited RACK.rtt + reo_wnd (RFC 8985 §6.3).
    pub(super) fn on_reorder_timeout(&mut self, now: Instant, out: &mut Output) {
        if self.sack_ok {
            let was_in_recovery = self.in_recovery;
            self.detect_losses(now, out);
            // No ACK is coming to open the window: Linux's `tcp_rack_reo_timeout` enters
            // recovery and calls `tcp_cwnd_reduction(sk, 1, …)` as if one segment had been
            // delivered, whose PRR step forces one retransmission. Without it the connection
            // waits for the RTO.
            if !was_in_recovery && self.in_recovery {
                let mss = self.snd_mss;
                if self.rec.prr.is_some() {
                    self.reduce_cwnd(mss, false, false, out);
                } else {
                    // RFC 6675 §5 step 4.3: the first lost segment goes whatever the window.
                    self.cwnd = self.cwnd.max(self.rec.board.pipe() + mss);
                }
            }
        }
    }

    /// Whether a tail-loss probe may be pending: SACK, RACK-TLP on, data in flight, no probe
    /// out, not in recovery.
    fn loss_probe_eligible(&self) -> bool {
        self.sack_ok
            && self.config.rack_tlp
            && self.snd_una < self.snd_max
            && !self.in_recovery
            && !self.rec.in_loss
            && self.rec.tlp_high.is_none()
    }

    /// (Re-)arms the tail-loss probe (RFC 8985 §7.2) when Linux would: SACK, RACK-TLP on,
    /// data in flight, no probe out, not in recovery.
    pub(super) fn schedule_loss_probe(&mut self, now: Instant, out: &mut Output) {
        if !self.loss_probe_eligible() {
            self.cancel_timer(TimerKind::LossProbe, out);
            return;
        }
        let Some(rto_at) = self.rtx_at else {
            return;
        };
        // The probe timeout asks only whether one segment is in flight or more: counting two
        // is enough, and keeps an ACK's cost independent of the window (thousands of
        // segments in flight with Linux's autotuned buffers).
        let segments = self
            .rec
            .board
            .segments()
            .filter(|s| s.in_flight())
            .take(2)
            .count() as u32;
        let pto = rack::probe_timeout(
            self.srtt,
            segments,
            self.config.min_rto,
            rto_at.saturating_since(now),
        );
        self.arm_timer(TimerKind::LossProbe, now + pto, out);
    }

    /// The probe timer expired (RFC 8985 §7.3): send one new segment if the window allows,
    /// else retransmit the last one; then the RTO runs again from now, as Linux re-arms it.
    pub(super) fn on_loss_probe_timeout(&mut self, now: Instant, out: &mut Output) {
        if !self.sack_ok || self.snd_una == self.snd_max || self.rec.tlp_high.is_some() {
            return;
        }
        let wnd_edge = self.snd_una + self.snd_wnd;
        let seq = self.snd_nxt;
        // The episode starts now: no second probe is scheduled by the send below.
        self.rec.tlp_high = Some(self.snd_max);
        if self.unsent() > 0 && seq < wnd_edge {
            out.event(TcpEvent::LossProbe {
                seq,
                new_data: true,
            });
            self.rec.probe_send = true;
            self.send_queued_data(now, out);
            self.rec.probe_send = false;
        } else if let Some(last) = self.rec.board.last().copied() {
            out.event(TcpEvent::LossProbe {
                seq: last.start,
                new_data: false,
            });
            // Linux probes with the last segment of the last packet, cut off the rest: it has
            // PSH if the packet had it (cubic-rto-ss-ca-cwnd-bump.pkt on Linux 6.18: `P.`).
            let packet = [(last.start, last.end)];
            self.retransmit_packet(now, &packet, RetransmitReason::LossProbe, out);
        } else {
            self.rec.tlp_high = None;
            return;
        }
        self.rec.tlp_high = Some(self.snd_max);
        self.arm_retransmit(now, out);
    }

    /// Retransmits the lost segments, first to last, while `cwnd − pipe` leaves room for one
    /// (RFC 6675 §5 step C, NextSeg rule 1). As Linux's `tcp_xmit_retransmit_queue`, lost
    /// segments that are left of one packet leave together, up to `tso_segs()` segments and
    /// what cwnd allows, as one packet.
    pub(super) fn retransmit_lost(&mut self, now: Instant, out: &mut Output) {
        // The send path asks before every burst; most of the time nothing is lost.
        if !self.sack_ok || self.rec.frto_send_new || self.rec.board.lost_bytes() == 0 {
            return;
        }
        let reason = if self.rec.in_loss {
            RetransmitReason::Rto
        } else {
            RetransmitReason::FastRetransmit
        };
        let max_segs = self.tso_segs().max(1);
        let mut packet = Vec::new();
        while let Some((start, end)) = self.rec.board.next_lost() {
            let mut room = self.cwnd.saturating_sub(self.rec.board.pipe());
            packet.clear();
            let (mut s, mut e) = (start, end);
            while room >= s.distance(e).min(self.snd_mss) {
                packet.push((s, e));
                room = room.saturating_sub(s.distance(e));
                if packet.len() as u32 >= max_segs {
                    break;
                }
                match self.rec.board.next_lost_in_packet(s, e) {
                    Some(next) => (s, e) = next,
                    None => break,
                }
            }
            if packet.is_empty() {
                break;
            }
            self.retransmit_packet(now, &packet, reason, out);
        }
    }

    /// Sends again the records `segments` (consecutive, of one packet) as one packet: it
    /// becomes a packet of its own on the scoreboard, and its last segment carries PSH if it
    /// has two or more segments or ends the original packet that had PSH. Linux forces PSH
    /// on every packet of two or more segments (`__tcp_transmit_skb`, "tcp: force a PSH
    /// flag on TSO packets"), and `tcp_fragment` leaves a packet's own PSH on the part that
    /// holds its end. Measured on Linux 6.18 with upstream packetdrill:
    /// sack-route-refresh-ip-tos.pkt resends `.` 13141:14601, `.` 14601:16061 and
    /// `P.` 17521:20441 (2920); the sack-shift-sacked-*.pkt and prr-ss-30pkt-*.pkt scripts
    /// resend the two segments of a 2-segment packet one at a time, both `.`
    /// (docs/linux-observations.md, "When does Linux set PSH?").
    fn retransmit_packet(
        &mut self,
        now: Instant,
        segments: &[(SeqNumber, SeqNumber)],
        reason: RetransmitReason,
        out: &mut Output,
    ) {
        let (Some(&(first, _)), Some(&(last_start, last_end))) =
            (segments.first(), segments.last())
        else {
            return;
        };
        let psh = self.config.tso_segs > 0
            && (segments.len() >= 2
                || self
                    .rec
                    .board
                    .record(last_start, last_end)
                    .is_some_and(|s| s.psh));
        for (i, &(start, end)) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            self.retransmit_range(now, start, end, reason, psh && last, out);
        }
        if self.config.tso_segs > 0 {
            self.burst_id = self.burst_id.wrapping_add(1).max(1);
            self.rec
                .board
                .set_packet_range(first, last_end, self.burst_id);
        }
    }

    /// Sends `[start, end)` again (the FIN too if `end` passes it), with PSH if `psh`.
    fn retransmit_range(
        &mut self,
        now: Instant,
        start: SeqNumber,
        end: SeqNumber,
        reason: RetransmitReason,
        psh: bool,
        out: &mut Output,
    ) {
        self.count_recovery_send(start, end);
        let fin = self.fin_queued && self.fin_seq() < end;
        let len = start.distance(end) - fin as u32;
        out.event(TcpEvent::Retransmit {
            seq: start,
            len,
            reason,
        });
        // Karn's rule: no RTT sample from a segment sent twice.
        if self.rtt_probe.is_some_and(|(s, _)| start <= s && s < end) {
            self.rtt_probe = None;
        }
        let mut flags = TcpFlags::ACK;
        if fin {
            flags |= TcpFlags::FIN;
        }
        if psh {
            flags |= TcpFlags::PSH;
        }
        self.emit(out, start, flags, TcpOptions::NONE, len as usize, true);
        self.rec.board.on_sent(start, end, now);
        if self.rtx_at.is_none() {
            self.arm_retransmit(now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Prr;

    /// The sequence of tests/packetdrill/prr.pkt, which Linux 6.18 passes: cwnd 10 before
    /// recovery, ssthresh 7, one segment delivered per SACK; `pipe` as the connection counts it
    /// after what the previous steps sent. Returns how many segments each step lets out.
    #[test]
    fn prr_releases_segments_in_proportion_then_up_to_ssthresh() {
        let mut prr = Prr {
            prior_cwnd: 10,
            delivered: 0,
            sent: 0,
        };
        let mut step = |pipe: u32, advanced: bool| {
            let cwnd = prr.on_ack(1, pipe, 7, advanced, false).unwrap();
            let n = cwnd - pipe;
            prr.sent += n;
            n
        };
        // pipe > ssthresh: ceil(7·d/10) − sent, the first forced.
        assert_eq!(step(8, false), 1);
        assert_eq!(step(8, false), 1);
        assert_eq!(step(8, false), 1);
        assert_eq!(step(8, false), 0);
        // pipe ≤ ssthresh: catch up, at most what was delivered.
        assert_eq!(step(7, false), 0);
        assert_eq!(step(6, false), 1);
        assert_eq!(step(6, false), 1);
        // SND.UNA moved with nothing newly lost: one more is allowed, ssthresh still bounds.
        assert_eq!(step(6, true), 1);
        assert_eq!(step(3, true), 4);
    }

    #[test]
    fn reordering_degree_rises_to_the_furthest_distance_in_segments() {
        use super::raised_reordering;
        // cubic-rack-reo-timeout-retrans-failed-incoming-data.pkt's mechanism: 3001:4001
        // SACKed under 10001 makes it 7; the cumulative ACK filling from 1 makes it 10.
        assert_eq!(raised_reordering(3, 7000, 1000), 7);
        assert_eq!(raised_reordering(7, 10_000, 1000), 10);
        // Not above the current degree: unchanged; capped at `tcp_max_reordering`.
        assert_eq!(raised_reordering(10, 2000, 1000), 10);
        assert_eq!(raised_reordering(10, 1_000_000, 1000), 300);
    }

    #[test]
    fn an_ack_that_delivers_nothing_leaves_cwnd_alone() {
        let mut prr = Prr {
            prior_cwnd: 10,
            delivered: 0,
            sent: 0,
        };
        assert_eq!(prr.on_ack(0, 8, 7, false, false), None);
        assert_eq!(prr.delivered, 0);
    }
}
