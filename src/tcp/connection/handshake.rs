//! Opening a connection: active and passive opens, the peer's SYN and our SYN or SYN,ACK
//! (RFC 9293 §3.10.1, §3.10.7.2–3).

use std::net::SocketAddrV4;

use super::{valid_endpoint, window_shift, Connection, DEFAULT_PEER_MSS, RTO_AFTER_SYN_LOSS};
use crate::tcp::config::TcpConfig;
use crate::tcp::event::{
    AcceptError, ConnError, ConnectError, DropReason, Output, TcpEvent, TimerKind,
};
use crate::tcp::seq::SeqNumber;
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::{TcpFlags, TcpOptions, TcpRepr};
use crate::time::{Duration, Instant};

/// Linux's `TCP_DELACK_MAX`: the longest an ACK is delayed.
const DELACK_MAX: Duration = Duration::from_millis(200);

impl Connection {
    /// Active open (RFC 9293 §3.10.1): sends a SYN with our MSS (and window scale, if
    /// configured) and enters SYN_SENT. `isn` is the initial sequence number, chosen by the
    /// caller.
    pub fn connect(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        isn: SeqNumber,
        config: &TcpConfig,
        out: &mut Output,
    ) -> Result<Connection, ConnectError> {
        let mut conn = Connection::open_active(now, local, remote, isn, config, out)?;
        conn.send_syn(out);
        conn.arm_retransmit(now, out);
        Ok(conn)
    }

    /// An active open up to its SYN: SYN_SENT with the options to offer.
    pub(super) fn open_active(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        isn: SeqNumber,
        config: &TcpConfig,
        out: &mut Output,
    ) -> Result<Connection, ConnectError> {
        if !valid_endpoint(local) || !valid_endpoint(remote) {
            return Err(ConnectError::InvalidAddress);
        }
        let mut conn = Connection::new_closed(local, remote, isn, config);
        conn.now = now;
        if conn.config.window_scaling {
            conn.wscale_offered = true;
            conn.rcv_wscale = window_shift(&conn.config);
        }
        conn.sack_offered = conn.config.sack;
        conn.ts_offered = conn.config.timestamps;
        conn.set_state(now, State::SynSent, TransitionCause::UserConnect, out);
        conn.snd_nxt = isn + 1u32;
        conn.snd_max = conn.snd_nxt;
        conn.rtt_probe = Some((isn, now));
        Ok(conn)
    }

    /// Passive open from LISTEN on receipt of `syn` (RFC 9293 §3.10.7.2): enters SYN_RECEIVED
    /// and sends a SYN,ACK. Normally called by [`super::Listener`]; `isn` is our initial
    /// sequence number.
    pub fn accept_syn(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &TcpRepr,
        isn: SeqNumber,
        config: &TcpConfig,
        out: &mut Output,
    ) -> Result<Connection, AcceptError> {
        Connection::open_passive(now, local, remote, syn, isn, config, out, |_| {})
    }

    /// A passive open: `before_syn_ack` sees the connection in SYN_RECEIVED before its
    /// SYN,ACK goes (a Fast Open child takes the SYN's data there).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn open_passive(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &TcpRepr,
        isn: SeqNumber,
        config: &TcpConfig,
        out: &mut Output,
        before_syn_ack: impl FnOnce(&mut Connection),
    ) -> Result<Connection, AcceptError> {
        if !syn.flags.syn() || syn.flags.ack() || syn.flags.rst() {
            return Err(AcceptError::NotASyn);
        }
        if !valid_endpoint(local) || !valid_endpoint(remote) {
            return Err(AcceptError::InvalidAddress);
        }
        let mut conn = Connection::new_closed(local, remote, isn, config);
        conn.now = now;
        conn.state = State::Listen;
        conn.passive = true;
        conn.take_peer_syn(syn);
        // The window of a SYN is never scaled (RFC 7323 §2.2).
        conn.snd_wnd = syn.window as u32;
        conn.max_snd_wnd = conn.snd_wnd;
        conn.snd_wl1 = syn.seq;
        conn.snd_wl2 = isn;
        conn.set_state(now, State::SynReceived, TransitionCause::RcvSyn, out);
        conn.snd_nxt = isn + 1u32;
        conn.snd_max = conn.snd_nxt;
        conn.rtt_probe = Some((isn, now));
        before_syn_ack(&mut conn);
        conn.send_syn(out);
        conn.arm_retransmit(now, out);
        Ok(conn)
    }

    /// Records what the peer's SYN tells us: its ISN, MSS, window scale, SACK-permitted and
    /// timestamps. On a passive open we answer what the peer offered and we allow; on an
    /// active one an option is on when both SYNs carried it (RFC 7323 §1.3, §3.2; RFC 2018 §2).
    pub(super) fn take_peer_syn(&mut self, syn: &TcpRepr) {
        if self.passive {
            self.sack_offered = self.config.sack;
            self.ts_offered = self.config.timestamps;
        }
        self.sack_ok = self.sack_offered && syn.options.sack_permitted;
        self.sack_offered = self.sack_ok;
        match syn.options.timestamps {
            Some((val, _)) if self.ts_offered => {
                self.ts_ok = true;
                self.ts_recent = val;
            }
            _ => {
                self.ts_ok = false;
                self.ts_offered = false;
            }
        }
        self.irs = syn.seq;
        self.rcv_nxt = syn.seq + 1u32;
        self.last_ack_sent = self.rcv_nxt;
        self.rcv_adv = self.rcv_nxt;
        let peer_mss = syn
            .options
            .mss
            .map_or(DEFAULT_PEER_MSS, |m| m as u32)
            .max(64);
        self.snd_mss = peer_mss.min(self.config.mss as u32);
        if self.ts_ok {
            // Every segment carries 12 bytes of timestamps, taken from the payload: 1448 of
            // 1460 (Linux `tcp_sync_mss`, ORACLES.md §3.2 (c)).
            self.snd_mss = (self.snd_mss - 12).max(64);
        }
        self.rcv_mss = self.snd_mss;
        match syn.options.window_scale {
            Some(shift) if self.config.window_scaling => {
                self.snd_wscale = shift.min(14);
                if !self.wscale_offered {
                    self.wscale_offered = true;
                    self.rcv_wscale = window_shift(&self.config);
                }
            }
            _ => {
                // Scaling is on only if both sides offered it (RFC 7323 §1.3).
                self.snd_wscale = 0;
                self.rcv_wscale = 0;
                self.wscale_offered = false;
            }
        }
        self.cwnd = self
            .snd_mss
            .saturating_mul(self.config.initial_cwnd_segments);
    }

    /// §3.10.7.3 SYN-SENT.
    pub(super) fn on_segment_syn_sent(&mut self, now: Instant, seg: &TcpRepr, out: &mut Output) {
        let flags = seg.flags;
        // First: the ACK must acknowledge our SYN and nothing beyond it.
        if flags.ack() && (seg.ack <= self.iss || seg.ack > self.snd_max) {
            if !flags.rst() {
                self.push_reset(seg.ack, None, out);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::BadAck,
            });
            return;
        }
        // Second: an RST is acceptable only with an acceptable ACK (RFC 5961 §3.2 keeps the
        // RFC 793 rule here).
        if flags.rst() {
            if flags.ack() {
                self.fail(now, ConnError::Refused, TransitionCause::RcvRst, out);
            } else {
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::BadRst,
                });
            }
            return;
        }
        // Fourth: the SYN.
        if !flags.syn() {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::NoSyn,
            });
            return;
        }
        self.take_peer_syn(seg);
        if flags.ack() {
            self.ack_advances(now, seg.ack, out);
        }
        // The window of a SYN is never scaled (RFC 7323 §2.2).
        self.snd_wnd = seg.window as u32;
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = seg.seq;
        self.snd_wl2 = seg.ack;
        if self.syn_acked() {
            self.set_state(now, State::Established, TransitionCause::RcvSynAck, out);
            self.after_handshake();
            self.on_fastopen_syn_ack(seg);
            if self.write_pending && self.config.interactive_acks {
                // Linux saves the ACK: the waiting writer's data will carry it
                // (`tcp_rcv_synsent_state_process`, "Save one ACK"), within TCP_DELACK_MAX.
                self.acks.syn_ack_while_writer_waits(now);
                self.arm_timer(TimerKind::DelayedAck, now + DELACK_MAX, out);
            } else {
                self.ack_due = true;
            }
            // Data and FIN carried by the SYN,ACK are processed from the sixth step on.
            let data_seq = seg.seq + 1u32;
            self.process_text_and_fin(now, data_seq, seg.payload, seg.flags.fin(), out);
            self.flush(now, out);
        } else {
            // Simultaneous open: our SYN crossed theirs.
            self.set_state(now, State::SynReceived, TransitionCause::RcvSyn, out);
            self.send_syn(out);
        }
    }

    /// RFC 6298 §5.7 and the cwnd once the peer's MSS is final.
    pub(super) fn after_handshake(&mut self) {
        if self.syn_retransmitted && self.srtt.is_none() {
            self.rto = self.rto.max(RTO_AFTER_SYN_LOSS).min(self.config.max_rto);
        }
        self.backoff = 0;
        self.retries = 0;
        // The SYN's user-timeout clock stops; data starts its own.
        self.retrans_stamp = None;
    }

    /// Our SYN (SYN_SENT) or SYN,ACK (otherwise), with options; a SYN-ACK answers only the
    /// options the peer offered. `emit` adds the timestamps.
    pub(super) fn send_syn(&mut self, out: &mut Output) {
        self.send_syn_with_data(out, 0);
    }

    /// Our SYN with `data_len` bytes of the send buffer (Fast Open), and the Fast Open
    /// option if this is the first SYN or SYN,ACK and it has one.
    pub(super) fn send_syn_with_data(&mut self, out: &mut Output, data_len: usize) {
        let options = TcpOptions {
            mss: Some(self.config.mss),
            window_scale: self.wscale_offered.then_some(self.rcv_wscale),
            sack_permitted: self.sack_offered,
            fast_open: self.take_fastopen_option(),
            ..TcpOptions::NONE
        };
        let flags = if self.state == State::SynSent {
            TcpFlags::SYN
        } else {
            TcpFlags::SYN | TcpFlags::ACK
        };
        self.emit(out, self.iss, flags, options, data_len, data_len > 0);
    }

    /// Our SYN was acknowledged at some point: a connection that closes after this was a
    /// connected socket, one that closes before it a failed connect.
    pub fn syn_acked(&self) -> bool {
        self.syn_acked
    }
}
