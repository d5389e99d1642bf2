//! Loss recovery when SACK is negotiated, as Linux does it: the SACK scoreboard (RFC 6675)
//! with RACK's time-based loss detection and the tail-loss probe (RFC 8985, `tcp_recovery` = 1,
//! `tcp_early_retrans` = 3), and F-RTO after a timeout (RFC 5682 §3, `tcp_frto` = 2).
//!
//! Without SACK the connection keeps NewReno (RFC 6582, in `ack`). With it, every segment
//! sent is recorded on the scoreboard; each ACK marks what it SACKed, RACK and RFC 6675's
//! IsLost mark what is lost, and the send path retransmits exactly those holes, as far as
//! `cwnd − pipe` allows, before new data.

use super::Connection;
use crate::tcp::congestion::Window;
use crate::tcp::event::{CongestionReason, Output, RetransmitReason, TcpEvent, TimerKind};
use crate::tcp::rack::{self, Rack};
use crate::tcp::sack::Scoreboard;
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
    /// A reordering timeout began recovery and nothing was retransmitted since: the first
    /// retransmission goes whatever cwnd − pipe says.
    pub(super) first_rtx_due: bool,
}

impl Recovery {
    pub(super) fn new() -> Recovery {
        Recovery {
            rack: Rack::new(),
            ..Recovery::default()
        }
    }
}

impl Connection {
    /// Records a data segment (or FIN) `[seq, end)` sent at `now` on the scoreboard.
    pub(super) fn record_sent(&mut self, now: Instant, seq: SeqNumber, end: SeqNumber) {
        if self.sack_ok {
            self.rec.board.on_sent(seq, end, now);
        }
    }

    /// Bytes in flight as the send path counts them: RFC 6675's pipe with SACK, else
    /// everything sent and not acknowledged.
    pub(super) fn bytes_in_flight(&self) -> u32 {
        if self.sack_ok {
            self.rec.board.pipe()
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
        advanced: bool,
        duplicate: bool,
        out: &mut Output,
    ) {
        let up = self.rec.board.on_ack(self.snd_una, self.snd_max, blocks);
        if up.dsack {
            self.rec.rack.on_dsack();
        }
        if up.reordering {
            self.rec.rack.on_reordering();
        }
        if let Some((sent, end, rx)) = up.latest_delivered {
            self.rec.rack.on_delivered(now, sent, end, rx);
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

        self.detect_losses(now, out);
        self.schedule_loss_probe(now, out);

        if self.in_recovery && self.recover.is_some_and(|r| r <= self.snd_una) {
            // RFC 6675 §5: recovery ends when the RecoveryPoint is acknowledged; cwnd stays at
            // ssthresh (Linux `tcp_end_cwnd_reduction`).
            self.in_recovery = false;
            self.recover = None;
            self.cwnd = self.ssthresh.max(self.snd_mss);
            self.congestion_changed(CongestionReason::RecoveryExit, out);
        }
    }

    /// RACK (RFC 8985 §6.2 step 5) and RFC 6675 IsLost; enters fast recovery on a new loss.
    pub(super) fn detect_losses(&mut self, now: Instant, out: &mut Output) {
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
            w.cwnd = w.ssthresh;
            self.set_window(w);
            self.recover = Some(self.snd_max);
            self.in_recovery = true;
            self.rec.tlp_high = None;
            self.cancel_timer(TimerKind::LossProbe, out);
            self.congestion_changed(CongestionReason::FastRetransmit, out);
        }
    }

    /// The timeout with SACK: everything not SACKed is lost, SND.NXT stays where it is (no
    /// go-back-N over SACKed data), and F-RTO starts (RFC 5682 §3.1 step 1).
    pub(super) fn enter_loss(&mut self) {
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
            // recovery through `tcp_cwnd_reduction(sk, 1, …)`, whose PRR step forces one
            // retransmission (`sndcnt = max(sndcnt, prr_out ? 0 : 1)`), as RFC 6675 §5 step
            // 4.3 retransmits the first lost segment whatever the window. Without it the
            // connection waits for the RTO.
            if !was_in_recovery && self.in_recovery {
                self.rec.first_rtx_due = true;
            }
        }
    }

    /// (Re-)arms the tail-loss probe (RFC 8985 §7.2) when Linux would: SACK, RACK-TLP on,
    /// data in flight, no probe out, not in recovery.
    pub(super) fn schedule_loss_probe(&mut self, now: Instant, out: &mut Output) {
        let eligible = self.sack_ok
            && self.config.rack_tlp
            && self.snd_una < self.snd_max
            && !self.in_recovery
            && !self.rec.in_loss
            && self.rec.tlp_high.is_none();
        if !eligible {
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
            self.retransmit_range(now, last.start, last.end, RetransmitReason::LossProbe, out);
        } else {
            self.rec.tlp_high = None;
            return;
        }
        self.rec.tlp_high = Some(self.snd_max);
        self.arm_retransmit(now, out);
    }

    /// Retransmits the lost segments, first to last, while `cwnd − pipe` leaves room for one
    /// (RFC 6675 §5 step C, NextSeg rule 1).
    pub(super) fn retransmit_lost(&mut self, now: Instant, out: &mut Output) {
        if !self.sack_ok || self.rec.frto_send_new {
            return;
        }
        let reason = if self.rec.in_loss {
            RetransmitReason::Rto
        } else {
            RetransmitReason::FastRetransmit
        };
        while let Some((start, end)) = self.rec.board.next_lost() {
            let pipe = self.rec.board.pipe();
            let forced = self.rec.first_rtx_due && self.in_recovery;
            if !forced && self.cwnd.saturating_sub(pipe) < start.distance(end).min(self.snd_mss) {
                break;
            }
            self.retransmit_range(now, start, end, reason, out);
        }
    }

    /// Sends `[start, end)` again (the FIN too if `end` passes it).
    fn retransmit_range(
        &mut self,
        now: Instant,
        start: SeqNumber,
        end: SeqNumber,
        reason: RetransmitReason,
        out: &mut Output,
    ) {
        self.rec.first_rtx_due = false;
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
        if self.config.tso_segs > 0 && self.rec.board.ends_burst_piece(start, end) {
            flags |= TcpFlags::PSH;
        }
        self.emit(out, start, flags, TcpOptions::NONE, len as usize, true);
        self.rec.board.on_sent(start, end, now);
        if self.rtx_at.is_none() {
            self.arm_retransmit(now, out);
        }
    }
}
