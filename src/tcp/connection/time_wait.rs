//! TIME_WAIT in a few dozen bytes: what is left of a connection once both FINs are
//! acknowledged, as Linux's `inet_timewait_sock` is what is left of a `tcp_sock`.
//!
//! In TIME_WAIT nothing is sent but ACKs, nothing is received, and the sequence numbers, the
//! timestamps and the advertised window no longer move. A host keeps thousands of such
//! connections (every connection its side closed first, for 2·MSL), so it keeps them as a
//! [`TimeWait`] instead of the whole [`Connection`]: the 4-tuple, SND.NXT and RCV.NXT, the
//! window the ACKs advertise, TS.Recent and our TSval offset, the expiry, and the little the
//! checks of RFC 9293 §3.10.7.4 still read.
//!
//! [`TimeWait::on_segment`] answers exactly as `Connection::on_segment` does in TIME_WAIT,
//! step by step (a retransmitted FIN is acknowledged again and restarts the timer; PAWS; the
//! acceptability test; RST; SYN; the ACK's checks and the peer's window; text after the FIN),
//! and [`TimeWait::on_timer`] as `Connection::on_timer`: the same segments and the same
//! events. The tests below drive a `Connection` and its `TimeWait` side by side with
//! arbitrary segments and compare every output. Its ACKs carry IP ID 0, as those of Linux's
//! time-wait mini socket (`Connection`'s `mini_socket`), so it keeps no IP ID counter.

use std::net::SocketAddrV4;

use super::{reset_for, Connection};
use crate::tcp::event::{ChallengeReason, DropReason, Output, TcpEvent, TimerKind};
use crate::tcp::seq::SeqNumber;
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::{SackBlocks, TcpFlags, TcpOptions, TcpRepr, TcpSegment};
use crate::time::{Duration, Instant};

/// A connection in TIME_WAIT, reduced to what answers segments until the 2·MSL timer ends it
/// (RFC 9293 §3.6; Linux `tcp_timewait_state_process`).
#[derive(Clone, Debug)]
pub struct TimeWait {
    local: SocketAddrV4,
    remote: SocketAddrV4,
    /// TIME_WAIT, or CLOSED once the timer ran out or an RST ended it.
    state: State,
    /// SND.NXT: everything sent, our FIN included, is acknowledged (SND.UNA = SND.NXT).
    snd_nxt: SeqNumber,
    /// RCV.NXT, past the peer's FIN.
    rcv_nxt: SeqNumber,
    /// RCV.NXT of the last ACK sent (Linux's RCV.WUP): Linux's acceptability test and the
    /// TS.Recent rule read it.
    last_ack_sent: SeqNumber,
    /// Right edge of the window advertised so far; never moves left.
    rcv_adv: SeqNumber,
    /// The free receive buffer: the acceptability test's window when RCV.ADV is nearer.
    rcv_free: u32,
    /// The window field of our ACKs (Linux's `tw_rcv_wnd`, scaled).
    window: u16,
    rcv_wscale: u8,
    snd_wscale: u8,
    /// The peer's window and the segment that last set it (the ACK's fifth step still
    /// records window updates).
    snd_wnd: u32,
    max_snd_wnd: u32,
    /// The connection's bytes acknowledged (saturating), which bound the age of an ACK with
    /// MAX.SND.WND under Linux's checks (`Connection::process_ack`).
    bytes_acked: u32,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    /// Largest segment we send, for `TCP_MAXSEG`.
    snd_mss: u32,
    /// With timestamps (RFC 7323): TS.Recent and our TSval offset.
    timestamps: Option<(u32, u32)>,
    sack_ok: bool,
    /// A duplicate the next ACK reports first (DSACK, RFC 2883).
    dsack: Option<(SeqNumber, SeqNumber)>,
    /// When the 2·MSL timer ends TIME_WAIT.
    expires: Option<Instant>,
    /// When an ACK last answered an invalid segment (`tcp_invalid_ratelimit`).
    last_invalid_ack: Option<Instant>,
    /// The settings still read: 2·MSL, the invalid-segment ACK rate limit, Linux's
    /// acceptability test, whether an ACK of unsent data is answered, IP ID 0 on our ACKs.
    time_wait: Duration,
    invalid_ratelimit: Duration,
    linux_segment_checks: bool,
    ack_unsent_data: bool,
    ip_id_zero: bool,
}

impl Connection {
    /// This connection as a [`TimeWait`], if it is in TIME_WAIT with nothing left but what
    /// TIME_WAIT needs: no data held either way, no FIN beyond a hole, no recovery under way,
    /// no timer but the 2·MSL one. (A connection whose application has not read everything
    /// yet stays whole until it has.)
    pub fn to_time_wait(&self) -> Option<TimeWait> {
        let quiet = self.state == State::TimeWait
            && self.fin_received
            && self.pending_fin.is_none()
            && !self.ack_due
            && self.recv_buf.len() == 0
            && !self.recv_buf.has_out_of_order()
            && self.send_buf.len() == 0
            && self.snd_una == self.snd_nxt
            && self.snd_nxt == self.snd_max
            && !self.in_recovery
            && !self.rec.in_loss
            && self.error.is_none()
            && [
                self.rtx_at,
                self.tlp_at,
                self.reorder_at,
                self.delack_at,
                self.persist_at,
                self.fin_wait2_at,
                self.keepalive_at,
            ]
            .iter()
            .all(Option::is_none);
        if !quiet {
            return None;
        }
        // The window an ACK carries from now on: it depends only on the free buffer and the
        // edge already advertised, neither of which moves any more after one ACK.
        let window = (self.window_to_advertise(false) >> self.rcv_wscale).min(65535) as u16;
        Some(TimeWait {
            local: self.local,
            remote: self.remote,
            state: State::TimeWait,
            snd_nxt: self.snd_nxt,
            rcv_nxt: self.rcv_nxt,
            last_ack_sent: self.last_ack_sent,
            rcv_adv: self.rcv_adv,
            rcv_free: self.recv_buf.window() as u32,
            window,
            rcv_wscale: self.rcv_wscale,
            snd_wscale: self.snd_wscale,
            snd_wnd: self.snd_wnd,
            max_snd_wnd: self.max_snd_wnd,
            bytes_acked: self.bytes_acked.min(u64::from(u32::MAX)) as u32,
            snd_wl1: self.snd_wl1,
            snd_wl2: self.snd_wl2,
            snd_mss: self.snd_mss,
            timestamps: self.ts_ok.then_some((self.ts_recent, self.ts_offset)),
            sack_ok: self.sack_ok,
            dsack: self.dsack,
            expires: self.time_wait_at,
            last_invalid_ack: self.last_invalid_ack,
            time_wait: self.config.time_wait,
            invalid_ratelimit: self.config.invalid_ratelimit,
            linux_segment_checks: self.config.linux_segment_checks,
            ack_unsent_data: self.config.ack_unsent_data,
            ip_id_zero: self.config.ip_id_per_connection,
        })
    }
}

impl TimeWait {
    pub fn state(&self) -> State {
        self.state
    }

    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }

    /// MSS used for sending, as the connection had it.
    pub fn snd_mss(&self) -> u32 {
        self.snd_mss
    }

    /// When the 2·MSL timer runs out.
    pub fn poll_at(&self) -> Option<Instant> {
        self.expires
    }

    /// The 2·MSL timer: at its deadline TIME_WAIT ends (CLOSED). Calling it early does
    /// nothing.
    pub fn on_timer(&mut self, now: Instant, out: &mut Output) {
        if self.expires.is_some_and(|t| t <= now) {
            self.expires = None;
            out.event(TcpEvent::TimerFired {
                kind: TimerKind::TimeWait,
            });
            self.close(TransitionCause::TimeWaitExpired, out);
        }
    }

    /// ABORT (RFC 9293 §3.10.5): TIME_WAIT ends at once, without an RST.
    pub fn abort(&mut self, out: &mut Output) {
        if self.state == State::TimeWait {
            self.close(TransitionCause::UserAbort, out);
        }
    }

    fn close(&mut self, cause: TransitionCause, out: &mut Output) {
        self.state = State::Closed;
        out.event(TcpEvent::StateChanged {
            from: State::TimeWait,
            to: State::Closed,
            cause,
        });
        if self.expires.take().is_some() {
            out.event(TcpEvent::TimerCancelled {
                kind: TimerKind::TimeWait,
            });
        }
    }

    /// Processes one arriving segment, as `Connection::on_segment` does in TIME_WAIT.
    pub fn on_segment(&mut self, now: Instant, seg: &TcpRepr, out: &mut Output) {
        if seg.src_port != self.remote.port() || seg.dst_port != self.local.port() {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::WrongPorts,
            });
            return;
        }
        if self.state == State::Closed {
            // §3.10.7.1: as if no TCB existed.
            if let Some(rst) = reset_for(*self.remote.ip(), *self.local.ip(), seg) {
                out.push(rst);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::NotSynchronized,
            });
            return;
        }
        let flags = seg.flags;
        let seq = seg.seq;

        // A retransmitted FIN is acknowledged again and restarts the 2·MSL timer
        // (§3.10.7.4 eighth step, Linux `tcp_timewait_state_process`).
        if flags.fin() && !flags.rst() && !flags.syn() && seq + seg.seg_len() == self.rcv_nxt {
            let deadline = now + self.time_wait;
            self.expires = Some(deadline);
            out.event(TcpEvent::TimerArmed {
                kind: TimerKind::TimeWait,
                deadline,
            });
            self.send_ack(now, out);
            return;
        }

        // PAWS (RFC 7323 §5.3 R1): an older TSval is an old duplicate, answered with an ACK.
        if let (Some((recent, _)), Some((tsval, _))) = (self.timestamps, seg.options.timestamps) {
            if (tsval.wrapping_sub(recent) as i32) < 0 && !flags.rst() {
                let data = !seg.payload.is_empty() && !flags.syn();
                if !self.invalid_ack_limited(now, data, out) {
                    self.send_ack(now, out);
                }
                out.event(TcpEvent::SegmentDropped {
                    reason: DropReason::Paws,
                });
                return;
            }
        }

        // First: sequence number acceptability.
        let seg_len = seg.seg_len();
        let window = self.receive_window();
        let acceptable = self.acceptable(seq, seg_len, window)
            || (self.linux_segment_checks
                && self.last_ack_sent <= seq + seg_len
                && seq <= self.rcv_nxt + window);
        let zero_window_allowance = !acceptable && window == 0 && seq == self.rcv_nxt;
        if !acceptable && !zero_window_allowance {
            self.note_repeated(seq, seg.payload.len() as u32 + flags.fin() as u32);
            let data = !seg.payload.is_empty() && !flags.syn();
            if !flags.rst() && !self.invalid_ack_limited(now, data, out) {
                self.send_ack(now, out);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::OutOfWindow,
            });
            return;
        }

        // TS.Recent from an acceptable segment covering our last ACK (Linux
        // `tcp_replace_ts_recent`), unless it acknowledges data never sent.
        let acks_unsent = flags.ack() && seg.ack > self.snd_nxt;
        if let (Some((recent, _)), Some((tsval, _))) =
            (&mut self.timestamps, seg.options.timestamps)
        {
            if seq <= self.last_ack_sent
                && !acks_unsent
                && (tsval.wrapping_sub(*recent) as i32) >= 0
            {
                *recent = tsval;
            }
        }

        // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge).
        if flags.rst() {
            if seq != self.rcv_nxt {
                if !self.invalid_ack_limited(now, false, out) {
                    out.event(TcpEvent::ChallengeAck {
                        reason: ChallengeReason::RstInWindow,
                    });
                    self.send_ack(now, out);
                }
                return;
            }
            self.close(TransitionCause::RcvRst, out);
            return;
        }

        // Fourth: SYN (RFC 5961 §4.2): a challenge ACK whatever its sequence number.
        if flags.syn() {
            if !self.invalid_ack_limited(now, false, out) {
                out.event(TcpEvent::ChallengeAck {
                    reason: ChallengeReason::Syn,
                });
                self.send_ack(now, out);
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
        if !self.check_ack(now, seq, seg, out) {
            return;
        }

        // Seventh and eighth: text after the FIN is not taken; a repeat is reported.
        let kept = self.in_window(seq, seg.payload.len());
        let text_len = seg.payload.len() as u32 + flags.fin() as u32;
        let mut ack_due = false;
        if seq < self.rcv_nxt && text_len > 0 {
            if seq + text_len <= self.rcv_nxt {
                self.note_repeated(seq, text_len);
                ack_due = true;
            } else if self.sack_ok {
                self.dsack = Some((seq, self.rcv_nxt));
            }
        }
        if kept > 0 {
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::DataAfterFin,
            });
        }
        if kept < seg.payload.len() {
            ack_due = true;
        }
        if ack_due {
            self.send_ack(now, out);
        }
    }

    /// How far below SND.UNA an ACK may be (`ack::old_ack_window`).
    fn old_ack_window(&self) -> u32 {
        super::ack::old_ack_window(
            self.linux_segment_checks,
            self.max_snd_wnd,
            u64::from(self.bytes_acked),
        )
    }

    /// The ACK's checks of the fifth step and the window update. False when the segment is
    /// dropped.
    fn check_ack(&mut self, now: Instant, seq: SeqNumber, seg: &TcpRepr, out: &mut Output) -> bool {
        let ack = seg.ack;
        // Acknowledges something never sent (`TcpConfig::ack_unsent_data`), or older than
        // SND.UNA − MAX.SND.WND (RFC 5961 §5.2).
        let unsent = ack > self.snd_nxt;
        if unsent || ack < self.snd_nxt - self.old_ack_window() {
            if !unsent || self.ack_unsent_data {
                self.send_ack(now, out);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::BadAck,
            });
            return false;
        }
        // The window update (§3.10.7.4 fifth step, Linux's `tcp_may_update_window`): nothing
        // is in flight, so only an ACK of SND.NXT updates it.
        let window = (seg.window as u32) << self.snd_wscale;
        let newer = if self.linux_segment_checks {
            self.snd_wl1 < seq || (self.snd_wl1 == seq && (window > self.snd_wnd || window == 0))
        } else {
            self.snd_wl1 < seq || (self.snd_wl1 == seq && self.snd_wl2 <= ack)
        };
        if ack == self.snd_nxt && newer {
            if window != self.snd_wnd {
                out.event(TcpEvent::PeerWindow { window });
            }
            self.snd_wnd = window;
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
        }
        true
    }

    /// The acceptability test's window: what we advertised, or more if the buffer has room.
    fn receive_window(&self) -> u32 {
        let advertised = if self.rcv_nxt < self.rcv_adv {
            self.rcv_nxt.distance(self.rcv_adv)
        } else {
            0
        };
        self.rcv_free.max(advertised)
    }

    /// The four cases of the acceptability test (§3.10.7.4, first check).
    fn acceptable(&self, seq: SeqNumber, seg_len: u32, window: u32) -> bool {
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

    /// Text or a FIN we already had: reported as a duplicate in the next ACK (D-SACK).
    fn note_repeated(&mut self, seq: SeqNumber, seg_len: u32) {
        if seg_len == 0 || seq >= self.rcv_nxt {
            return;
        }
        if self.sack_ok {
            self.dsack = Some((seq, (seq + seg_len).min(self.rcv_nxt)));
        }
    }

    /// How much of a `len`-byte payload at `seq` falls inside the window, from RCV.NXT on
    /// (`Connection::trim_to_window`).
    fn in_window(&self, seq: SeqNumber, len: usize) -> usize {
        let mut seq = seq;
        let mut len = len;
        if seq < self.rcv_nxt {
            let skip = (seq.distance(self.rcv_nxt) as usize).min(len);
            len -= skip;
            seq += skip;
        }
        let offset = if self.rcv_nxt < seq {
            self.rcv_nxt.distance(seq) as usize
        } else {
            0
        };
        let room = (self.rcv_free as usize).saturating_sub(offset);
        len.min(room)
    }

    /// Whether the ACK an invalid segment earns is held back (`tcp_oow_rate_limited`).
    fn invalid_ack_limited(&mut self, now: Instant, data: bool, out: &mut Output) -> bool {
        let limit = self.invalid_ratelimit;
        super::segment::invalid_ack_limited(&mut self.last_invalid_ack, limit, now, data, out)
    }

    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` with the window, the timestamps and a pending
    /// DSACK block, from IP ID 0 in the linux profile.
    fn send_ack(&mut self, now: Instant, out: &mut Output) {
        self.last_ack_sent = self.rcv_nxt;
        let edge = self.rcv_nxt + ((self.window as u32) << self.rcv_wscale);
        self.rcv_adv = self.rcv_adv.max(edge);
        if self.rcv_adv < self.rcv_nxt {
            self.rcv_adv = edge;
        }
        let mut options = TcpOptions::NONE;
        if let Some((recent, offset)) = self.timestamps {
            let tsval = ((now.as_nanos() / 1_000_000) as u32).wrapping_add(offset);
            options.timestamps = Some((tsval, recent));
        }
        if self.sack_ok {
            let mut blocks = SackBlocks::NONE;
            if let Some((left, right)) = self.dsack.take() {
                blocks.push(left, right);
            }
            options.sack_blocks = blocks;
        }
        let payload = out.take_payload();
        out.push(TcpSegment {
            src_ip: *self.local.ip(),
            dst_ip: *self.remote.ip(),
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq: self.snd_nxt,
            ack: self.rcv_nxt,
            flags: TcpFlags::ACK,
            window: self.window,
            urgent: 0,
            options,
            payload,
            ip_id: self.ip_id_zero.then_some(0),
        });
    }
}

#[cfg(test)]
mod tests {
    //! A connection in TIME_WAIT and its `TimeWait`, fed the same arbitrary segments, timers
    //! and aborts, answer with the same segments and the same events.

    use super::*;
    use crate::tcp::config::{TcpConfig, TcpProfile};
    use crate::tcp::testutil::*;
    use proptest::prelude::*;

    /// How the connection under test reaches TIME_WAIT.
    #[derive(Clone, Debug)]
    struct Setup {
        textbook: bool,
        sack: bool,
        timestamps: bool,
        window_scaling: bool,
        recv_buffer: usize,
        /// Bytes each way before the close.
        to_peer: usize,
        from_peer: usize,
        /// Both sides close at once (FIN_WAIT_1 → CLOSING → TIME_WAIT).
        simultaneous: bool,
    }

    fn setup() -> impl Strategy<Value = Setup> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            prop_oneof![
                Just(4096usize),
                Just(65535),
                Just(128 * 1024),
                Just(1 << 20)
            ],
            0usize..6000,
            0usize..6000,
            any::<bool>(),
        )
            .prop_map(
                |(
                    textbook,
                    sack,
                    timestamps,
                    window_scaling,
                    recv_buffer,
                    to_peer,
                    from_peer,
                    simultaneous,
                )| Setup {
                    textbook,
                    sack,
                    timestamps,
                    window_scaling,
                    recv_buffer,
                    to_peer,
                    from_peer,
                    simultaneous,
                },
            )
    }

    /// `a` of a pair, in TIME_WAIT, and the time.
    fn in_time_wait(s: &Setup) -> (Connection, Instant) {
        let profile = if s.textbook {
            TcpProfile::Textbook
        } else {
            TcpProfile::Linux
        };
        let config = TcpConfig {
            sack: s.sack,
            timestamps: s.timestamps,
            window_scaling: s.window_scaling,
            recv_buffer_size: s.recv_buffer,
            ..TcpConfig::for_profile(profile)
        };
        let mut p = Pair::connected(&config, &config);
        let data: Vec<u8> = (0..s.to_peer.max(s.from_peer)).map(|i| i as u8).collect();
        assert_eq!(p.transfer(&data[..s.to_peer]), &data[..s.to_peer]);
        std::mem::swap(&mut p.a, &mut p.b);
        assert_eq!(p.transfer(&data[..s.from_peer]), &data[..s.from_peer]);
        std::mem::swap(&mut p.a, &mut p.b);
        p.a.close(p.now, &mut p.out).unwrap();
        p.ship(true);
        if s.simultaneous {
            p.b.close(p.now, &mut p.out).unwrap();
            p.ship(false);
        } else {
            p.run_until(|p| p.b.state() == State::CloseWait);
            p.b.close(p.now, &mut p.out).unwrap();
            p.ship(false);
        }
        p.run_until(|p| {
            p.a.state() == State::TimeWait && matches!(p.b.state(), State::Closed | State::TimeWait)
        });
        (p.a, p.now)
    }

    #[derive(Clone, Debug)]
    enum Op {
        Segment {
            flags: u8,
            /// From RCV.NXT (0), the window's right edge (1) or the last ACK sent (2).
            seq_from: u8,
            seq_off: i64,
            /// From SND.NXT (0) or its lower bound, SND.NXT − MAX.SND.WND (1).
            ack_from: u8,
            ack_off: i64,
            window: u16,
            len: usize,
            /// TSval relative to TS.Recent, and TSecr.
            ts: Option<(i64, u32)>,
            /// SACK blocks relative to SND.NXT.
            sack: Vec<(i64, u32)>,
            wrong_port: bool,
        },
        Abort,
    }

    fn offset() -> impl Strategy<Value = i64> {
        prop_oneof![
            3 => Just(0i64),
            2 => Just(-1i64),
            3 => -3i64..3,
            4 => -3000i64..3000,
            2 => -300_000i64..300_000,
            1 => any::<u32>().prop_map(i64::from),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            30 => (
                prop_oneof![
                    6 => Just(0x10u8), 2 => Just(0x11), 1 => Just(0x14), 1 => Just(0x04),
                    1 => Just(0x02), 1 => Just(0x12), 1 => Just(0x01), 1 => Just(0x18),
                    2 => 0u8..0x40
                ],
                (0u8..3, offset()),
                (0u8..2, offset()),
                prop_oneof![Just(0u16), Just(502), Just(64240), Just(65535), any::<u16>()],
                prop_oneof![3 => Just(0usize), 1 => 1usize..4, 1 => 1usize..70_000],
                proptest::option::of((offset(), any::<u32>())),
                proptest::collection::vec((offset(), 1u32..5000), 0..3),
                proptest::bool::weighted(0.03),
            )
                .prop_map(
                    |(flags, (seq_from, seq_off), (ack_from, ack_off), window, len, ts, sack, wrong_port)| {
                        Op::Segment {
                            flags, seq_from, seq_off, ack_from, ack_off, window, len, ts, sack,
                            wrong_port,
                        }
                    }
                ),
            1 => Just(Op::Abort),
        ]
    }

    fn delay() -> impl Strategy<Value = u64> {
        prop_oneof![
            1 => Just(0u64),
            1 => 499_999_999u64..500_000_002,
            3 => 0u64..1_000_000,
            3 => 0u64..800_000_000,
            1 => 1_000_000_000u64..70_000_000_000,
        ]
    }

    fn off(base: SeqNumber, off: i64) -> SeqNumber {
        SeqNumber(base.0.wrapping_add(off as u32))
    }

    fn same(what: &str, full: &Output, compact: &Output) -> Result<(), TestCaseError> {
        prop_assert_eq!(&full.segments, &compact.segments, "segments after {}", what);
        prop_assert_eq!(&full.events, &compact.events, "events after {}", what);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn time_wait_answers_as_the_whole_connection(
            s in setup(),
            ops in proptest::collection::vec((delay(), op()), 1..30),
        ) {
            let (mut conn, mut now) = in_time_wait(&s);
            let mut tw = conn.to_time_wait().expect("a clean close leaves a quiet TIME_WAIT");
            let payload = vec![0x5au8; 70_000];
            for (dt, op) in ops {
                let next = now + Duration::from_nanos(dt);
                while let Some(at) = conn.poll_at().filter(|&t| t <= next) {
                    prop_assert_eq!(tw.poll_at(), Some(at));
                    let (mut a, mut b) = (Output::new(), Output::new());
                    conn.on_timer(at, &mut a);
                    tw.on_timer(at, &mut b);
                    same("a timer", &a, &b)?;
                    if conn.state() == State::Closed {
                        break;
                    }
                }
                prop_assert_eq!(tw.state(), conn.state());
                if conn.state() == State::Closed {
                    return Ok(());
                }
                now = next;
                let (mut a, mut b) = (Output::new(), Output::new());
                match op {
                    Op::Segment {
                        flags, seq_from, seq_off, ack_from, ack_off, window, len, ts, sack,
                        wrong_port,
                    } => {
                        let seq_base = match seq_from {
                            0 => tw.rcv_nxt,
                            1 => tw.rcv_nxt + tw.receive_window(),
                            _ => tw.last_ack_sent,
                        };
                        let ack_base = match ack_from {
                            0 => tw.snd_nxt,
                            _ => tw.snd_nxt - tw.old_ack_window().max(1),
                        };
                        let mut seg = Seg::new(TcpFlags::from_bits(flags), off(seq_base, seq_off))
                            .window(window);
                        seg.ack = off(ack_base, ack_off);
                        seg.payload = payload[..len].to_vec();
                        if let Some((tsval, ecr)) = ts {
                            let recent = tw.timestamps.map_or(0, |(r, _)| r);
                            seg.options.timestamps = Some((recent.wrapping_add(tsval as u32), ecr));
                        }
                        for (l, n) in sack {
                            let left = off(conn.snd_nxt(), l);
                            seg.options.sack_blocks.push(left, left + n);
                        }
                        if wrong_port {
                            seg.src_port ^= 1;
                        }
                        conn.on_segment(now, &seg.repr(), &mut a);
                        tw.on_segment(now, &seg.repr(), &mut b);
                        same("a segment", &a, &b)?;
                    }
                    Op::Abort => {
                        conn.abort(now, &mut a).unwrap();
                        tw.abort(&mut b);
                        same("an abort", &a, &b)?;
                    }
                }
                prop_assert_eq!(tw.state(), conn.state());
                prop_assert_eq!(tw.poll_at(), conn.poll_at());
                if conn.state() == State::Closed {
                    return Ok(());
                }
            }
        }
    }

    #[test]
    fn a_time_wait_is_small() {
        assert!(
            std::mem::size_of::<TimeWait>() <= 144,
            "{} bytes",
            std::mem::size_of::<TimeWait>()
        );
    }
}
