//! The fifth step of segment arrival: acknowledgments, the peer's window, and congestion
//! control driven by them (RFC 5681 with NewReno recovery, RFC 6582).

use super::Connection;
use crate::tcp::congestion::{Ack, RttSample};
use crate::tcp::event::{
    CongestionReason, DropReason, Output, RetransmitReason, TcpEvent, TimerKind,
};
use crate::tcp::seq::SeqNumber;
use crate::tcp::wire::TcpRepr;
use crate::time::{Duration, Instant};

/// How far below SND.UNA an ACK may be before it is dropped with a challenge ACK (RFC 5961
/// §5.2: MAX.SND.WND). Linux bounds the window by the bytes acknowledged so far ("do not
/// accept ACK for bytes we never sent", `tcp_ack`), so on a passive open, before any data is
/// acknowledged, every ACK below SND.UNA is answered with a challenge ACK and dropped, data and
/// all (measured on Linux 6.18: packetdrill's gro/gro-mss-option.pkt, whose data segment
/// acknowledges the ISN, gets `ack 1` back). Used by the connection and its TIME_WAIT form.
pub(super) fn old_ack_window(linux: bool, max_snd_wnd: u32, bytes_acked: u64) -> u32 {
    if linux {
        u64::from(max_snd_wnd).min(bytes_acked) as u32
    } else {
        max_snd_wnd.max(1)
    }
}

impl Connection {
    /// The fifth step for established-like states. Returns false when the segment must be
    /// dropped.
    pub(super) fn process_ack(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        seg: &TcpRepr,
        out: &mut Output,
    ) -> bool {
        let ack = seg.ack;
        if ack > self.snd_max {
            // Acknowledges something never sent (see `TcpConfig::ack_unsent_data`).
            if self.config.ack_unsent_data {
                self.send_ack(out);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::BadAck,
            });
            return false;
        }
        let oldest = self.snd_una
            - old_ack_window(
                self.config.linux_segment_checks,
                self.max_snd_wnd,
                self.bytes_acked,
            );
        if ack < oldest {
            self.send_ack(out);
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::BadAck,
            });
            return false;
        }
        self.probes_out = 0;
        let window = (seg.window as u32) << self.snd_wscale;

        let advanced = self.snd_una < ack;
        let acked = if advanced {
            self.snd_una.distance(ack)
        } else {
            0
        };
        let duplicate = !advanced
            && ack == self.snd_una
            && seg.payload.is_empty()
            && !seg.flags.fin()
            && window == self.snd_wnd
            && self.snd_nxt != self.snd_una;
        self.congestion_rtt_sample(now, ack, sack_blocks(seg), out);
        if advanced {
            self.on_new_ack(now, ack, out);
        } else if duplicate {
            // A duplicate ACK in the sense of RFC 5681 §2.
            self.on_dup_ack(now, ack, out);
        }
        if self.sack_ok {
            self.on_ack_with_sack(now, sack_blocks(seg), acked, duplicate, out);
        }

        // Window update (§3.10.7.4 fifth step): only from an ACK at or above SND.UNA, and
        // guarded against reordered older segments by WL1/WL2. Linux's
        // `tcp_may_update_window` keeps no WL2: a new ACK, a newer segment, or the same
        // segment again with a larger (or zero) window.
        let newer = if self.config.linux_segment_checks {
            advanced
                || self.snd_wl1 < seq
                || (self.snd_wl1 == seq && (window > self.snd_wnd || window == 0))
        } else {
            self.snd_wl1 < seq || (self.snd_wl1 == seq && self.snd_wl2 <= ack)
        };
        if self.snd_una <= ack && newer {
            let changed = window != self.snd_wnd;
            if changed {
                out.event(TcpEvent::PeerWindow { window });
                if self.snd_wnd == 0 && window > 0 {
                    self.persist_backoff = 0;
                    self.probes_since = None;
                }
            }
            self.snd_wnd = window;
            if changed && self.unsent() > 0 {
                // Data waited for this window: Linux's `tcp_ack_update_window` checks for a
                // restart after idle here too (upstream slow-start-after-win-update.pkt).
                self.restart_window_if_idle(now, out);
            }
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
        }
        true
    }

    /// SND.UNA advances to `ack`: release acknowledged data, take an RTT sample, manage the
    /// timer and grow or repair the congestion window.
    pub(super) fn on_new_ack(&mut self, now: Instant, ack: SeqNumber, out: &mut Output) {
        let acked = self.snd_una.distance(ack);
        let flight_before = self.flight_size();
        self.ack_advances(now, ack, out);

        if let Some(recover) = self.recover {
            if recover < ack && !self.in_recovery && !self.rec.in_loss {
                self.recover = None;
            }
        }
        if self.sack_ok {
            // Recovery with SACK is `on_ack_with_sack`'s; cwnd grows outside fast recovery
            // (in the timeout's Loss state too: slow start from one segment). Linux's rules
            // grow it there, from what the ACK delivered.
            self.dup_acks = 0;
            if !self.config.linux_cwnd_growth
                && !self.in_recovery
                && flight_before.saturating_mul(2) >= self.cwnd
            {
                self.grow_cwnd(now, acked, out);
            }
            return;
        }
        if self.in_recovery {
            let recover = self.recover.unwrap_or(ack);
            if ack >= recover {
                // Full ACK (RFC 6582 §3.2 step 4, first option).
                self.cwnd = self
                    .ssthresh
                    .min(self.flight_size().max(self.snd_mss) + self.snd_mss);
                self.in_recovery = false;
                self.dup_acks = 0;
                if recover < ack {
                    self.recover = None;
                }
                self.congestion_changed(CongestionReason::RecoveryExit, out);
            } else {
                // Partial ACK (step 5): the next hole is lost too. Retransmit it and deflate.
                self.retransmit_first_unacked(now, RetransmitReason::FastRetransmit, out);
                self.cwnd = self.cwnd.saturating_sub(acked);
                if acked >= self.snd_mss {
                    self.cwnd += self.snd_mss;
                }
                self.cwnd = self.cwnd.max(self.snd_mss);
                self.congestion_changed(CongestionReason::PartialAck, out);
            }
        } else {
            // Linux counts each duplicate ACK as a segment delivered (`tcp_add_reno_sack`);
            // the ACK that fills the hole delivers what they did not, at least one segment
            // (`tcp_remove_reno_sacks`).
            let delivered = if self.config.linux_cwnd_growth {
                let counted = self.dup_acks.saturating_mul(self.snd_mss);
                acked.saturating_sub(counted).max(acked.min(self.snd_mss))
            } else {
                acked
            };
            self.dup_acks = 0;
            if self.may_grow_cwnd(flight_before) {
                self.grow_cwnd(now, delivered, out);
            }
        }
    }

    /// Updates SND.UNA and everything keyed to it.
    pub(super) fn ack_advances(&mut self, now: Instant, ack: SeqNumber, out: &mut Output) {
        if !(self.snd_una < ack && ack <= self.snd_max) {
            return;
        }
        // Release acknowledged data (not the SYN or FIN octets).
        if self.buf_seq < ack {
            let n = (self.buf_seq.distance(ack) as usize).min(self.send_buf.len());
            self.send_buf.consume(n);
            self.buf_seq += n;
        }
        // The SYN counts on an active open, not on a passive one: Linux's `tcp_ack` processes
        // the SYN-ACK through `tcp_snd_una_update`, while a child's handshake ACK does not
        // reach it (measured on Linux 6.18 with upstream packetdrill: a client takes data
        // whose ACK is its ISN, a server answers it with a challenge ACK).
        let syn_uncounted = !self.syn_acked && self.passive;
        self.bytes_acked += u64::from(self.snd_una.distance(ack)) - u64::from(syn_uncounted);
        self.snd_una = ack;
        // The SYN is the first octet of the sequence space: any ACK that moves SND.UNA covers it.
        self.syn_acked = true;
        self.snd_nxt = self.snd_nxt.max(ack);
        // An ACK of new data pushes what a MSG_MORE write held (`records`).
        self.records.more_held = false;
        self.retries = 0;
        self.backoff = 0;

        self.retrans_stamp = None;
        if let Some((timed_seq, sent_at)) = self.rtt_probe {
            if timed_seq < ack {
                self.rtt_probe = None;
                self.rtt_sample(now.saturating_since(sent_at), out);
            }
        } else if let Some(ecr) = self.seg_tsecr.filter(|&e| self.ts_rtt_pending && e != 0) {
            // Karn's rule left us without a timed segment; the echoed timestamp names the
            // transmission that was ACKed, so it measures the RTT anyway (RFC 7323 §4.1; Linux
            // `tcp_ack_update_rtt` falls back to TSecr the same way).
            let ms = self.ts_val().wrapping_sub(ecr);
            if (ms as i32) >= 0 {
                self.ts_rtt_pending = false;
                self.rtt_sample(Duration::from_millis(ms as u64), out);
            }
        }
        // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
        if self.snd_una == self.snd_nxt {
            self.cancel_timer(TimerKind::Retransmit, out);
        } else {
            self.arm_retransmit(now, out);
        }
    }

    pub(super) fn on_dup_ack(&mut self, now: Instant, ack: SeqNumber, out: &mut Output) {
        self.dup_acks = self.dup_acks.saturating_add(1);
        out.event(TcpEvent::DupAck {
            ack,
            count: self.dup_acks,
        });
        if self.sack_ok {
            // With SACK the scoreboard, not the count, decides what is lost (RFC 6675 §5).
            return;
        }
        if self.in_recovery {
            // Each further duplicate means a segment left the network (RFC 5681 §3.2 step 4).
            self.cwnd = self.cwnd.saturating_add(self.snd_mss);
            self.congestion_changed(CongestionReason::RecoveryInflation, out);
            return;
        }
        if self.dup_acks != 3 {
            return;
        }
        // RFC 6582 §3.2 step 2: not when these duplicates may answer data sent before the
        // last recovery or timeout.
        if let Some(recover) = self.recover {
            if ack <= recover {
                return;
            }
        }
        // The multiplicative decrease (RFC 6582 §3.2 step 2 for Reno, RFC 9438 §4.6 for CUBIC).
        let mut w = self.window();
        let flight = self.flight_size();
        self.cc
            .on_congestion_event(now, &mut w, flight, self.snd_mss);
        self.set_window(w);
        self.recover = Some(self.snd_max);
        self.in_recovery = true;
        self.retransmit_first_unacked(now, RetransmitReason::FastRetransmit, out);
        self.cwnd = self.ssthresh.saturating_add(3 * self.snd_mss);
        self.congestion_changed(CongestionReason::FastRetransmit, out);
    }

    /// Hands the congestion controller the RTT this ACK measures, before the window grows
    /// for it (Linux: `tcp_clean_rtx_queue` calls `pkts_acked` with the time since the most
    /// recently sent segment the ACK delivered, if it was never retransmitted; CUBIC's
    /// HyStart reads it). With SACK the scoreboard keeps every segment's send time; without,
    /// only the one timed segment gives a sample.
    fn congestion_rtt_sample(
        &mut self,
        now: Instant,
        ack: SeqNumber,
        blocks: &[(SeqNumber, SeqNumber)],
        out: &mut Output,
    ) {
        let sent_at = if self.sack_ok {
            self.rec
                .board
                .latest_original_delivery(self.snd_una.max(ack), blocks)
        } else {
            self.rtt_probe
                .filter(|&(timed, _)| self.snd_una < ack && timed < ack)
                .map(|(_, at)| at)
        };
        let Some(sent_at) = sent_at else { return };
        let mut w = self.window();
        let sample = RttSample {
            rtt: now.saturating_since(sent_at),
            snd_una: self.snd_una.max(ack),
            snd_nxt: self.snd_nxt,
            mss: self.snd_mss,
            srtt: self.srtt,
        };
        if let Some(reason) = self.cc.on_rtt_sample(now, &mut w, sample) {
            self.set_window(w);
            self.congestion_changed(reason, out);
        }
    }

    /// Whether the window is used enough to grow: Linux's `tcp_is_cwnd_limited`
    /// (`TcpConfig::linux_cwnd_growth`), else half of cwnd was in flight before the ACK
    /// (`flight_before`).
    pub(super) fn may_grow_cwnd(&self, flight_before: u32) -> bool {
        if self.config.linux_cwnd_growth {
            self.cwnd_use
                .allows_growth(&self.window(), self.snd_mss.max(1))
        } else {
            flight_before.saturating_mul(2) >= self.cwnd
        }
    }

    /// Slow start and congestion avoidance, as the connection's congestion controller does
    /// them (RFC 5681 §3.1 for Reno, RFC 9438 §4 for CUBIC).
    pub(super) fn grow_cwnd(&mut self, now: Instant, acked: u32, out: &mut Output) {
        let mut w = self.window();
        let ack = Ack {
            acked,
            mss: self.snd_mss,
            srtt: self.srtt,
            abc: !self.config.linux_cwnd_growth,
        };
        let reason = self.cc.on_ack(now, &mut w, ack);
        self.set_window(w);
        if let Some(reason) = reason {
            self.congestion_changed(reason, out);
        }
    }

    pub(super) fn congestion_changed(&mut self, reason: CongestionReason, out: &mut Output) {
        out.event(TcpEvent::CongestionChanged {
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            reason,
        });
    }
}

/// The SACK blocks an ACK carries, most recent first.
fn sack_blocks<'a>(seg: &'a TcpRepr) -> &'a [(SeqNumber, SeqNumber)] {
    seg.options.sack_blocks.as_slice()
}
