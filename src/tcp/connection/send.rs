//! The send path: segmentation under the peer's window and cwnd, Nagle and sender SWS
//! avoidance, and building every outgoing segment.

use super::Connection;
use crate::tcp::event::{Output, TcpEvent, TimerKind};
use crate::tcp::seq::SeqNumber;
use crate::tcp::state::State;
use crate::tcp::wire::{TcpFlags, TcpOptions, TcpSegment};
use crate::time::Instant;

impl Connection {
    pub(super) fn fin_seq(&self) -> SeqNumber {
        self.buf_seq + self.send_buf.len()
    }

    pub(super) fn fin_acked(&self) -> bool {
        self.fin_queued && self.fin_seq() < self.snd_una
    }

    /// Bytes in flight: sent and not acknowledged, as RFC 5681 FlightSize.
    pub(super) fn flight_size(&self) -> u32 {
        self.snd_una.distance(self.snd_max)
    }

    /// Queued bytes not yet sent from SND.NXT on.
    pub(super) fn unsent(&self) -> usize {
        let offset = if self.buf_seq < self.snd_nxt {
            self.buf_seq.distance(self.snd_nxt) as usize
        } else {
            0
        };
        self.send_buf.len().saturating_sub(offset)
    }

    /// Sends everything the state, windows, Nagle and SWS avoidance allow, then a bare ACK if
    /// one is still owed, and keeps the persist timer in step.
    pub(super) fn flush(&mut self, now: Instant, out: &mut Output) {
        // A Fast Open child sends before its SYN,ACK is acknowledged (RFC 7413 §4.1.2).
        let may_send_data = (self.syn_acked()
            || (self.state == State::SynReceived && self.fastopen_child()))
            && matches!(
                self.state,
                State::Established
                    | State::SynReceived
                    | State::FinWait1
                    | State::CloseWait
                    | State::Closing
                    | State::LastAck
            );
        if may_send_data {
            self.send_queued_data(now, out);
        }
        if self.ack_due && self.state.is_synchronized() {
            self.send_ack(out);
        }
        self.ack_due = false;
    }

    pub(super) fn send_queued_data(&mut self, now: Instant, out: &mut Output) {
        let mut force = std::mem::take(&mut self.force_send);
        let queued = self.unsent() > 0 || (self.fin_queued && self.snd_nxt <= self.fin_seq());
        // With SACK, holes marked lost go first (RFC 6675 §5 step C).
        self.retransmit_lost(now, out);
        let mut sent_new = false;
        // New data goes out in bursts of `tso_segs()` segments, as Linux's TSO/GSO packets;
        // the last segment of a burst of two or more carries PSH (measured on Linux 6.18:
        // docs/linux-observations.md, "When does Linux set PSH?").
        let burst_max = self.tso_segs();
        let mut burst_len = 0u32;
        let mut burst_limit = burst_max;
        // Index in `out.segments` of the burst's last data segment so far.
        let mut burst_last: Option<usize> = None;
        loop {
            let unsent = self.unsent();
            let fin_pending = self.fin_queued && self.snd_nxt <= self.fin_seq();
            if unsent == 0 && !fin_pending {
                break;
            }
            let in_flight = self.snd_una.distance(self.snd_nxt);
            let wnd_edge = self.data_una() + self.snd_wnd;
            let wnd_avail = if self.snd_nxt < wnd_edge {
                self.snd_nxt.distance(wnd_edge) as usize
            } else {
                0
            };
            let mss = self.snd_mss as usize;
            let mut cwnd_avail = self.cwnd.saturating_sub(self.bytes_in_flight()) as usize;
            if self.rec.probe_send {
                // A tail-loss probe goes out whatever cwnd says (Linux `tcp_send_loss_probe`).
                cwnd_avail = cwnd_avail.max(mss);
            }
            let retransmitting = self.snd_nxt < self.snd_max;
            let mut len = unsent.min(mss).min(wnd_avail).min(cwnd_avail);
            // A segment never runs past the end of a record (MSG_EOR).
            let record_end = self.records.next_end(self.snd_una, self.snd_nxt);
            if let Some(end) = record_end {
                len = len.min(self.snd_nxt.distance(end) as usize);
            }
            let at_record_end = len > 0 && record_end == Some(self.snd_nxt + len as u32);
            let fin = fin_pending && len == unsent && (len > 0 || cwnd_avail > 0);
            if len == 0 && !fin {
                break;
            }
            if len < mss && !retransmitting && !force && !fin {
                if at_record_end && len < unsent {
                    // A record's end inside the queue goes as it is: Linux applies Nagle to
                    // the last buffer of the queue only (`tcp_write_xmit`).
                } else if len == unsent {
                    if self.records.hold_partial() {
                        // Corked, or a MSG_MORE write: more data is coming.
                        break;
                    }
                    // Nagle (RFC 1122 §4.2.3.4) in Minshall's form, as Linux: hold a small
                    // segment only while an earlier small segment is unacknowledged.
                    let small_in_flight =
                        self.snd_una < self.snd_sml && self.snd_sml <= self.snd_nxt;
                    if !self.nodelay && !self.records.push_now && in_flight > 0 && small_in_flight {
                        break;
                    }
                } else if wnd_avail <= cwnd_avail {
                    // Sender SWS avoidance: a sliver of window is not worth a segment unless
                    // it is half the largest window the peer ever offered.
                    if (len as u32) < self.max_snd_wnd / 2 {
                        break;
                    }
                } else {
                    // Congestion-limited: ACKs for data in flight will open cwnd.
                    break;
                }
            }
            let forced = std::mem::take(&mut force);
            let seq = self.snd_nxt;
            if retransmitting {
                out.event(TcpEvent::Retransmit {
                    seq,
                    len: len as u32,
                    reason: self.resend_reason,
                });
            } else if self.rtt_probe.is_none() {
                self.rtt_probe = Some((seq, now));
            }
            // PSH on the segment that empties the send queue: the end of the last write
            // (Linux `tcp_push` marks the write's last buffer).
            // A record's end is one too (MSG_EOR); a MSG_MORE write's end is not.
            let write_end =
                (len == unsent && len > 0 && !self.records.tail_unpushed) || at_record_end;
            // A segment the probe timer forces out carries PSH (Linux `tcp_write_wakeup`
            // sets it): upstream nagle/sendmsg_msg_more.pkt's held MSG_MORE write.
            let mut flags = if write_end || (forced && len > 0) {
                TcpFlags::ACK | TcpFlags::PSH
            } else {
                TcpFlags::ACK
            };
            let new_burst_seg = burst_max > 0 && !retransmitting && len > 0;
            if new_burst_seg {
                if burst_len == 0 {
                    self.burst_id = self.burst_id.wrapping_add(1).max(1);
                    burst_limit = self.burst_limit(burst_max);
                }
                burst_len += 1;
                if burst_len == burst_limit && burst_len >= 2 {
                    flags |= TcpFlags::PSH;
                }
            }
            if fin {
                flags |= TcpFlags::FIN;
            }
            self.emit(out, seq, flags, TcpOptions::NONE, len, true);
            self.record_sent(now, seq, seq + len + fin as u32);
            if new_burst_seg {
                if self.sack_ok {
                    self.rec
                        .board
                        .set_packet(seq + len + fin as u32, self.burst_id, write_end);
                }
                burst_last = Some(out.segments.len() - 1);
                // A record's end ends its packet: later data is never coalesced with it.
                if burst_len == burst_limit || at_record_end {
                    burst_len = 0;
                    burst_last = None;
                }
            }
            sent_new |= !retransmitting;
            self.snd_nxt = seq + len + fin as u32;
            self.snd_max = self.snd_max.max(self.snd_nxt);
            // Only new data moves it: Linux calls tcp_minshall_update from tcp_write_xmit,
            // not when it sends data again (a Fast Open SYN's data resent after a SYN-ACK that
            // acknowledged only the SYN does not hold the next write's partial segment:
            // fastopen/client/nonblocking-sendto-over-mss.pkt, which passes on Linux 6.18).
            if len < mss && !retransmitting {
                self.snd_sml = self.snd_nxt;
            }
            if self.rtx_at.is_none() {
                self.arm_retransmit(now, out);
            }
            if fin || self.rec.probe_send {
                break;
            }
        }
        // A burst cut short by the window, cwnd or the end of the data is one packet too.
        if let Some(i) = burst_last.filter(|_| burst_len >= 2) {
            out.segments[i].flags |= TcpFlags::PSH;
        }
        // Whether cwnd held the sender back, remembered for the next ACKs (Linux's
        // `tcp_write_xmit` ends with `tcp_cwnd_validate` when it sent new data or was
        // cwnd-limited: no room for another full segment).
        let mss = self.snd_mss.max(1);
        let limited = queued && self.bytes_in_flight().saturating_add(mss) > self.cwnd;
        if sent_new || limited {
            let packets_out = self.flight_size().div_ceil(mss);
            self.cwnd_use
                .on_send(self.snd_una, self.snd_max, packets_out, limited);
        }
        // F-RTO's new data (RFC 5682 §3.1 step 2b) went out, or could not: retransmissions
        // may follow from the next ACK on.
        self.rec.frto_send_new = false;
        if sent_new {
            self.schedule_loss_probe(now, out);
        }
        // Persist: data waits, nothing is in flight to bring an ACK, so only a probe can learn
        // that the window opened.
        let blocked = self.unsent() > 0 && self.snd_nxt == self.snd_una;
        if blocked {
            if self.persist_at.is_none() {
                let deadline = self.clamp_to_user_timeout(
                    now,
                    now + self.persist_interval(),
                    self.probes_since,
                );
                self.arm_timer(TimerKind::Persist, deadline, out);
            }
        } else {
            self.probes_since = None;
            self.cancel_timer(TimerKind::Persist, out);
        }
    }

    /// Segments per TSO/GSO packet, as Linux's `tcp_tso_segs` (`tcp_tso_autosize`): the
    /// bytes the pacing rate sends in about a millisecond (`sk_pacing_rate >>
    /// sk_pacing_shift`, shift 10), plus 64 KiB `>> (min_rtt_us >> tcp_tso_rtt_log)` (log 9:
    /// on a path under 512 µs the whole 64 KiB), at most 64 KiB (`gso_max_size` of veth and
    /// tun), at least `TcpConfig::tso_segs` (`tcp_min_tso_segs`). The pacing rate is
    /// `tcp_update_pacing_rate`'s: 200 % of max(cwnd, packets out) × MSS per SRTT while cwnd
    /// is under half of ssthresh (`tcp_pacing_ss_ratio`), 120 % after (`tcp_pacing_ca_ratio`).
    /// Linux updates it on ACKs; netlab computes it when it sends, from the same state.
    /// On Linux 6.18 (docs/linux-observations.md, "How large is a TSO/GSO packet?") a
    /// 10-segment write after a handshake of RTT 10 ms leaves in packets of 2 segments, 8 ms
    /// 3, 6 ms 4, 5 ms and less 5 (there half of cwnd, `burst_limit`, is the smaller
    /// bound). 0 (textbook): no bursts.
    pub(super) fn tso_segs(&self) -> u32 {
        const GSO_MAX_SIZE: u64 = 65_536;
        let floor = self.config.tso_segs;
        if floor == 0 {
            return 0;
        }
        let mss = u64::from(self.snd_mss.max(1));
        let packets_out = u64::from(self.snd_una.distance(self.snd_nxt)).div_ceil(mss);
        let segs = (u64::from(self.cwnd) / mss).max(packets_out);
        let ratio = if self.cwnd < self.ssthresh / 2 {
            200
        } else {
            120
        };
        // Linux keeps SRTT in eighths of a microsecond; without a sample the rate is
        // unbounded (`tcp_update_pacing_rate` skips the division). Linux 6.18's rate is
        // 10/7 of that formula's: `tcpi_pacing_rate` after a handshake of RTT 2, 5, 10, 20
        // and 50 ms with MSS 974 and cwnd 10 was 2 × 10 × 974 B / (0.700 × SRTT) each time
        // (docs/linux-observations.md, "How large is a TSO/GSO packet?").
        let srtt8_us = self.srtt.map_or(0, |s| s.as_nanos() * 8 / 1000);
        let rate = (mss * 80_000 * ratio * 10).saturating_mul(segs) / (srtt8_us.max(1) * 7);
        let mut bytes = rate >> 10;
        // Without a sample `tcp_min_rtt` is ~0U: no addition.
        if let Some(min_rtt) = self.min_rtt {
            let r = (min_rtt.as_nanos() / 1000) >> 9;
            if r < 32 {
                bytes = bytes.saturating_add(GSO_MAX_SIZE >> r);
            }
        }
        ((bytes.min(GSO_MAX_SIZE) / mss) as u32).max(floor)
    }

    /// Where the send path counts the window and the flight from: SND.UNA, except for a Fast
    /// Open child sending before its SYN-ACK is acknowledged. Linux starts that child's
    /// SND.UNA past the SYN (`tcp_create_openreq_child`: the SYN-ACK is the request's, which
    /// retransmits it), so the peer's window of the SYN counts from ISS + 1: with a window
    /// of 10000 and MSS 1000 it sends two TSO packets of 5000 bytes (upstream
    /// fastopen/server/opt34/simple3.pkt, "tcp: initialize max window for a new fastopen
    /// socket").
    pub(super) fn data_una(&self) -> SeqNumber {
        if self.state == State::SynReceived && self.snd_una == self.iss && self.iss < self.snd_nxt {
            self.iss + 1u32
        } else {
            self.snd_una
        }
    }

    /// How many segments the next burst of new data may hold: `tso_segs`, and at most half of
    /// cwnd (at least one) or what cwnd leaves. Linux's `tcp_cwnd_test` lets a packet take
    /// `min(max(cwnd / 2, 1), cwnd − in_flight)` segments, "to have at least 2 GSO packets in
    /// flight": with cwnd 2 or 3 every packet is one segment (on Linux 6.18, after a
    /// timeout, cubic-rto-ss-ca-cwnd-bump.pkt sends `.` 2001:3001 and `.` 3001:4001 with
    /// cwnd 2, then `P.` 6001:8001 with cwnd 4).
    fn burst_limit(&self, tso_segs: u32) -> u32 {
        let mss = self.snd_mss.max(1);
        let cwnd = self.cwnd / mss;
        let in_flight = self.bytes_in_flight().div_ceil(mss);
        let quota = (cwnd / 2).max(1).min(cwnd.saturating_sub(in_flight));
        tso_segs.min(quota.max(1))
    }

    /// A bare ACK. Its sequence number is the highest we sent, which the peer accepts even
    /// while we re-send older data after a timeout.
    pub(super) fn send_ack(&mut self, out: &mut Output) {
        let seq = self.snd_max;
        self.emit(out, seq, TcpFlags::ACK, TcpOptions::NONE, 0, false);
    }

    /// Builds and queues one segment. `data_len` bytes are copied from the send buffer at
    /// `seq` when `with_data`. Every segment with ACK carries RCV.NXT and a fresh window.
    pub(super) fn emit(
        &mut self,
        out: &mut Output,
        seq: SeqNumber,
        flags: TcpFlags,
        options: TcpOptions,
        data_len: usize,
        with_data: bool,
    ) {
        let mut payload = out.take_payload();
        if with_data && data_len > 0 {
            self.acks.data_sent(self.now, self.config.delayed_ack);
            // Nothing in flight: the first data after a pause (Linux `CA_EVENT_TX_START`).
            if let Some(last) = self.last_data_sent.filter(|_| self.bytes_in_flight() == 0) {
                self.cc
                    .on_transmit_after_idle(self.now, self.now.saturating_since(last));
            }
            self.last_data_sent = Some(self.now);
            let offset = if self.buf_seq < seq {
                self.buf_seq.distance(seq) as usize
            } else {
                0
            };
            self.send_buf.copy_range(offset, data_len, &mut payload);
        }
        let window = if flags.syn() {
            // A SYN's window is not scaled (RFC 7323 §2.2); it is also where Linux's
            // `rcv_ssthresh` starts.
            let w = self.window_to_advertise(true).min(65535);
            self.rcv_ssthresh = w;
            w as u16
        } else {
            let win = self.window_to_advertise(false);
            (win >> self.rcv_wscale).min(65535) as u16
        };
        let ack = if flags.ack() {
            self.last_ack_sent = self.rcv_nxt;
            let shift = if flags.syn() { 0 } else { self.rcv_wscale };
            let edge = self.rcv_nxt + ((window as u32) << shift);
            self.rcv_adv = self.rcv_adv.max(edge);
            if self.rcv_adv < self.rcv_nxt {
                self.rcv_adv = edge;
            }
            self.ack_due = false;
            self.acks.ack_sent();
            if self.delack_at.is_some() {
                self.cancel_timer(TimerKind::DelayedAck, out);
            }
            self.rcv_nxt
        } else {
            SeqNumber(0)
        };
        let mut options = options;
        let syn_only = flags.syn() && !flags.ack();
        if self.ts_ok || (syn_only && self.ts_offered) {
            // RFC 7323 §3.2: TSecr is 0 on the first SYN, TS.Recent on everything else,
            // FIN and RST included (Linux `tcp_established_options`).
            let ecr = if syn_only { 0 } else { self.ts_recent };
            options.timestamps = Some((self.ts_val(), ecr));
        }
        if self.sack_ok && flags.ack() && !flags.syn() && !flags.rst() {
            options.sack_blocks = self.sack_blocks_to_send(options.timestamps.is_some());
        }
        let ip_id = if !self.config.ip_id_per_connection {
            None
        } else if flags.rst() || (flags.syn() && flags.ack()) || self.mini_socket {
            // Linux sends a SYN-ACK from the request socket, an RST from a control socket and
            // the ACKs of a time-wait mini socket from a control socket, all with ID 0
            // (ORACLES.md §3.2 (a), (b); e_server_close_first.pcap's last ACK).
            Some(0)
        } else {
            let id = self.ip_id;
            self.ip_id = self.ip_id.wrapping_add(1);
            Some(id)
        };
        out.push(TcpSegment {
            src_ip: *self.local.ip(),
            dst_ip: *self.remote.ip(),
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq,
            ack,
            flags,
            window,
            urgent: 0,
            options,
            payload,
            ip_id,
        });
    }

    /// Our TSval: a 1 kHz clock with a per-connection offset (RFC 7323 §5.4; Linux ticks in
    /// milliseconds, ORACLES.md §3.2 (a): 1018 ticks in 1.018 s).
    pub(super) fn ts_val(&self) -> u32 {
        ((self.now.as_nanos() / 1_000_000) as u32).wrapping_add(self.ts_offset)
    }
}
