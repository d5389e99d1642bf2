//! One TCP connection: the transmission control block and everything that acts on it.
//!
//! Sans-IO: every entry point takes the current virtual time and an [`Output`] to append
//! segments and trace events to. The connection never reads a clock; it says when it next needs
//! attention with [`Connection::poll_at`], and the caller then calls [`Connection::on_timer`].
//!
//! Segment processing follows the steps of RFC 9293 §3.10.7 in order; congestion control is
//! RFC 5681 with NewReno recovery (RFC 6582); the retransmission timer is RFC 6298.

use std::net::SocketAddrV4;

use super::buffer::{RecvBuffer, SendBuffer};
use super::config::{TcpConfig, MAX_WINDOW};
use super::event::{
    AcceptError, ChallengeReason, CloseError, CongestionReason, ConnError, ConnectError,
    DropReason, Output, RecvError, RetransmitReason, SendError, TcpEvent, TimerKind,
};
use super::seq::SeqNumber;
use super::state::{State, TransitionCause};
use super::wire::{TcpFlags, TcpOptions, TcpRepr, TcpSegment};
use crate::time::{Duration, Instant};

/// MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1, IPv4).
const DEFAULT_PEER_MSS: u32 = 536;
/// Linux's initial ssthresh: effectively infinite, so slow start runs until the first loss.
const INITIAL_SSTHRESH: u32 = 0x7fff_ffff;
/// RTO used once data flows if the SYN had to be retransmitted and no RTT was measured
/// (RFC 6298 §5.7).
const RTO_AFTER_SYN_LOSS: Duration = Duration::from_secs(3);
/// Cap on the backoff exponent; the RTO is clamped to `max_rto` long before this.
const MAX_BACKOFF: u32 = 24;

/// A TCP connection (the TCB of RFC 9293 §3.3.1).
#[derive(Debug)]
pub struct Connection {
    config: TcpConfig,
    state: State,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    /// Reached SYN_RECEIVED from LISTEN (decides where an RST in SYN_RECEIVED leads).
    passive: bool,
    error: Option<ConnError>,
    /// `error` was returned to the application once. Like Linux's `sk_err`, it is reported
    /// by the first call that finds it; later sends fail with EPIPE and reads see the end of
    /// the stream.
    error_reported: bool,
    /// The application called `close` (as opposed to only `shutdown_write`).
    user_closed: bool,
    nodelay: bool,

    // Send sequence space.
    iss: SeqNumber,
    snd_una: SeqNumber,
    /// Next sequence number to send. After a timeout it goes back to SND.UNA (go-back-N),
    /// so it can be below `snd_max`.
    snd_nxt: SeqNumber,
    /// One past the highest sequence number ever sent; ACKs up to here are acceptable.
    snd_max: SeqNumber,
    /// Peer's window in bytes, already scaled.
    snd_wnd: u32,
    max_snd_wnd: u32,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    snd_mss: u32,
    /// Shift applied to the peer's window field (RFC 7323); 0 without window scaling.
    snd_wscale: u8,
    send_buf: SendBuffer,
    /// Sequence number of the first byte in `send_buf`.
    buf_seq: SeqNumber,
    /// The write side is shut: a FIN follows the last byte of `send_buf`.
    fin_queued: bool,
    /// Label for segments re-sent below `snd_max` by the normal send path.
    resend_reason: RetransmitReason,
    /// Send one segment even if Nagle or sender SWS avoidance would hold it (persist expiry).
    force_send: bool,
    /// End of the last segment sent shorter than the MSS (Minshall's Nagle variant, as Linux
    /// `snd_sml`).
    snd_sml: SeqNumber,

    // Receive sequence space.
    irs: SeqNumber,
    rcv_nxt: SeqNumber,
    /// Right edge of the window we last advertised; never moved left (RFC 9293 §3.8.6).
    rcv_adv: SeqNumber,
    /// Shift we apply to our window field; 0 without window scaling.
    rcv_wscale: u8,
    /// We offered window scaling in our SYN.
    wscale_offered: bool,
    recv_buf: RecvBuffer,
    fin_received: bool,
    /// Sequence number of a FIN that arrived ahead of missing data.
    pending_fin: Option<SeqNumber>,
    /// Largest segment the peer is expected to send; "full-sized" for delayed ACKs.
    rcv_mss: u32,
    /// RCV.NXT as of the last ACK we sent.
    last_ack_sent: SeqNumber,
    /// An ACK must go out at the end of the current call.
    ack_due: bool,
    quick_acks_left: u32,

    // Round-trip time estimation (RFC 6298).
    srtt: Option<Duration>,
    rttvar: Duration,
    /// RTO from the estimator, before backoff.
    rto: Duration,
    backoff: u32,
    /// The segment being timed: its sequence number and send time. Cleared on retransmission
    /// (Karn's rule).
    rtt_probe: Option<(SeqNumber, Instant)>,
    /// Consecutive timeouts without forward progress.
    retries: u32,
    syn_retransmitted: bool,

    // Congestion control (RFC 5681, RFC 6582).
    cwnd: u32,
    ssthresh: u32,
    /// Bytes acknowledged in congestion avoidance since cwnd last grew.
    bytes_acked: u32,
    dup_acks: u32,
    in_recovery: bool,
    /// RFC 6582 `recover`: highest sequence sent when recovery or a timeout began.
    recover: Option<SeqNumber>,

    // Zero-window probing.
    persist_backoff: u32,
    probes_out: u32,

    // Timers: deadlines, `None` when not running.
    rtx_at: Option<Instant>,
    delack_at: Option<Instant>,
    persist_at: Option<Instant>,
    time_wait_at: Option<Instant>,
}

/// Smallest shift that lets `buffer` bytes be advertised in a 16-bit field (RFC 7323 §2.3).
fn window_shift_for(buffer: usize) -> u8 {
    let mut shift = 0;
    while shift < 14 && (buffer >> shift) > 65535 {
        shift += 1;
    }
    shift
}

fn valid_endpoint(addr: SocketAddrV4) -> bool {
    addr.port() != 0 && !addr.ip().is_unspecified() && !addr.ip().is_broadcast()
}

impl Connection {
    fn new_closed(
        local: SocketAddrV4,
        remote: SocketAddrV4,
        isn: SeqNumber,
        config: &TcpConfig,
    ) -> Connection {
        let config = config.sanitized();
        let mss = config.mss as u32;
        Connection {
            state: State::Closed,
            local,
            remote,
            passive: false,
            error: None,
            error_reported: false,
            user_closed: false,
            nodelay: !config.nagle,
            iss: isn,
            snd_una: isn,
            snd_nxt: isn,
            snd_max: isn,
            snd_wnd: 0,
            max_snd_wnd: 0,
            snd_wl1: SeqNumber(0),
            snd_wl2: isn,
            snd_mss: mss.min(DEFAULT_PEER_MSS),
            snd_wscale: 0,
            send_buf: SendBuffer::new(config.send_buffer_size),
            buf_seq: isn + 1u32,
            fin_queued: false,
            resend_reason: RetransmitReason::Rto,
            force_send: false,
            snd_sml: isn,
            irs: SeqNumber(0),
            rcv_nxt: SeqNumber(0),
            rcv_adv: SeqNumber(0),
            rcv_wscale: 0,
            wscale_offered: false,
            recv_buf: RecvBuffer::new(config.recv_buffer_size),
            fin_received: false,
            pending_fin: None,
            rcv_mss: mss.min(DEFAULT_PEER_MSS),
            last_ack_sent: SeqNumber(0),
            ack_due: false,
            quick_acks_left: config.quick_acks,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: config.initial_rto,
            backoff: 0,
            rtt_probe: None,
            retries: 0,
            syn_retransmitted: false,
            cwnd: mss.saturating_mul(config.initial_cwnd_segments),
            ssthresh: INITIAL_SSTHRESH,
            bytes_acked: 0,
            dup_acks: 0,
            in_recovery: false,
            recover: None,
            persist_backoff: 0,
            probes_out: 0,
            rtx_at: None,
            delack_at: None,
            persist_at: None,
            time_wait_at: None,
            config,
        }
    }

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
        if !valid_endpoint(local) || !valid_endpoint(remote) {
            return Err(ConnectError::InvalidAddress);
        }
        let mut conn = Connection::new_closed(local, remote, isn, config);
        if conn.config.window_scaling {
            conn.wscale_offered = true;
            conn.rcv_wscale = window_shift_for(conn.config.recv_buffer_size);
        }
        conn.set_state(now, State::SynSent, TransitionCause::UserConnect, out);
        conn.snd_nxt = isn + 1u32;
        conn.snd_max = conn.snd_nxt;
        conn.rtt_probe = Some((isn, now));
        conn.send_syn(out);
        conn.arm_retransmit(now, out);
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
        if !syn.flags.syn() || syn.flags.ack() || syn.flags.rst() {
            return Err(AcceptError::NotASyn);
        }
        if !valid_endpoint(local) || !valid_endpoint(remote) {
            return Err(AcceptError::InvalidAddress);
        }
        let mut conn = Connection::new_closed(local, remote, isn, config);
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
        conn.send_syn(out);
        conn.arm_retransmit(now, out);
        Ok(conn)
    }

    /// Records what the peer's SYN tells us: its ISN, MSS and window scale.
    fn take_peer_syn(&mut self, syn: &TcpRepr) {
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
        self.rcv_mss = self.snd_mss;
        match syn.options.window_scale {
            Some(shift) if self.config.window_scaling => {
                self.snd_wscale = shift.min(14);
                if !self.wscale_offered {
                    self.wscale_offered = true;
                    self.rcv_wscale = window_shift_for(self.config.recv_buffer_size);
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

    // ------------------------------------------------------------------------------------
    // Queries
    // ------------------------------------------------------------------------------------

    pub fn state(&self) -> State {
        self.state
    }
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }
    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }
    /// The error that ended the connection, if one did.
    pub fn error(&self) -> Option<ConnError> {
        self.error
    }
    pub fn config(&self) -> &TcpConfig {
        &self.config
    }
    /// True when this connection came from a passive open (a listener).
    pub fn is_passive(&self) -> bool {
        self.passive
    }
    pub fn iss(&self) -> SeqNumber {
        self.iss
    }
    pub fn irs(&self) -> SeqNumber {
        self.irs
    }
    pub fn snd_una(&self) -> SeqNumber {
        self.snd_una
    }
    pub fn snd_nxt(&self) -> SeqNumber {
        self.snd_nxt
    }
    /// One past the highest sequence number sent so far.
    pub fn snd_max(&self) -> SeqNumber {
        self.snd_max
    }
    /// The peer's receive window in bytes (scaled).
    pub fn snd_wnd(&self) -> u32 {
        self.snd_wnd
    }
    /// MSS used for sending: the smaller of ours and the peer's.
    pub fn snd_mss(&self) -> u32 {
        self.snd_mss
    }
    pub fn rcv_nxt(&self) -> SeqNumber {
        self.rcv_nxt
    }
    /// Receive window: free space in the receive buffer.
    pub fn rcv_wnd(&self) -> u32 {
        self.recv_buf.window() as u32
    }
    pub fn cwnd(&self) -> u32 {
        self.cwnd
    }
    pub fn ssthresh(&self) -> u32 {
        self.ssthresh
    }
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
    /// Current retransmission timeout, including backoff.
    pub fn rto(&self) -> Duration {
        self.backed_off_rto()
    }
    /// Window scale shifts in use: (ours applied to what we advertise, the peer's).
    pub fn window_scales(&self) -> (u8, u8) {
        (self.rcv_wscale, self.snd_wscale)
    }
    pub fn in_fast_recovery(&self) -> bool {
        self.in_recovery
    }
    /// Received data is waiting beyond a gap for missing segments.
    pub fn has_out_of_order_data(&self) -> bool {
        self.recv_buf.has_out_of_order()
    }
    /// Bytes the application can read now.
    pub fn recv_available(&self) -> usize {
        self.recv_buf.len()
    }
    /// Bytes `send` would accept now.
    pub fn send_space(&self) -> usize {
        if self.state.can_send() && !self.fin_queued {
            self.send_buf.free()
        } else {
            0
        }
    }
    /// Bytes in the send buffer: unacknowledged plus not yet sent.
    pub fn send_queued(&self) -> usize {
        self.send_buf.len()
    }
    /// The peer's FIN has been received and all data before it.
    pub fn peer_closed(&self) -> bool {
        self.fin_received
    }
    pub fn nodelay(&self) -> bool {
        self.nodelay
    }
    /// Turns Nagle's algorithm off (`true`) or on (`false`), like `TCP_NODELAY`.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.nodelay = nodelay;
    }
    /// Resizes the send buffer. Data already queued is kept even if it exceeds the new size.
    pub fn set_send_buffer_size(&mut self, bytes: usize) {
        self.send_buf.set_capacity(bytes.clamp(1, MAX_WINDOW));
    }
    /// Resizes the receive buffer. The advertised window never shrinks (RFC 9293 §3.8.6), so a
    /// smaller buffer takes effect as data is read. The window scale was fixed at the
    /// handshake and limits what can be advertised.
    pub fn set_recv_buffer_size(&mut self, bytes: usize) {
        self.recv_buf.set_capacity(bytes.clamp(1, MAX_WINDOW));
    }
    pub fn send_buffer_size(&self) -> usize {
        self.send_buf.capacity()
    }
    pub fn recv_buffer_size(&self) -> usize {
        self.recv_buf.capacity()
    }

    /// The next time `on_timer` must be called, if any timer runs.
    pub fn poll_at(&self) -> Option<Instant> {
        [
            self.rtx_at,
            self.delack_at,
            self.persist_at,
            self.time_wait_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Deadline of one timer, for tests and traces.
    pub fn timer(&self, kind: TimerKind) -> Option<Instant> {
        match kind {
            TimerKind::Retransmit => self.rtx_at,
            TimerKind::DelayedAck => self.delack_at,
            TimerKind::Persist => self.persist_at,
            TimerKind::TimeWait => self.time_wait_at,
        }
    }

    // ------------------------------------------------------------------------------------
    // State transitions
    // ------------------------------------------------------------------------------------

    /// The one place the state changes. Records the transition and does what entering the new
    /// state implies for timers.
    fn set_state(&mut self, now: Instant, to: State, cause: TransitionCause, out: &mut Output) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        out.event(TcpEvent::StateChanged { from, to, cause });
        match to {
            State::TimeWait => {
                self.cancel_timer(TimerKind::Retransmit, out);
                self.cancel_timer(TimerKind::Persist, out);
                self.cancel_timer(TimerKind::DelayedAck, out);
                self.restart_time_wait(now, out);
                // Everything we sent is acknowledged (our FIN too), so a TIME_WAIT entry keeps
                // only its addresses, sequence numbers and deadline: a server with thousands of
                // them stays small. Unread received data stays readable.
                self.send_buf.release();
                self.recv_buf.release_if_empty();
            }
            State::Closed | State::Listen => {
                for kind in [
                    TimerKind::Retransmit,
                    TimerKind::DelayedAck,
                    TimerKind::Persist,
                    TimerKind::TimeWait,
                ] {
                    self.cancel_timer(kind, out);
                }
                // Nothing queued for transmission survives the end of a connection.
                self.send_buf.clear();
                self.ack_due = false;
            }
            _ => {}
        }
    }

    /// Ends the connection with an error the application will see.
    fn fail(&mut self, now: Instant, error: ConnError, cause: TransitionCause, out: &mut Output) {
        self.error = Some(error);
        out.event(TcpEvent::Error(error));
        self.set_state(now, State::Closed, cause, out);
    }

    // ------------------------------------------------------------------------------------
    // Timers
    // ------------------------------------------------------------------------------------

    fn slot(&mut self, kind: TimerKind) -> &mut Option<Instant> {
        match kind {
            TimerKind::Retransmit => &mut self.rtx_at,
            TimerKind::DelayedAck => &mut self.delack_at,
            TimerKind::Persist => &mut self.persist_at,
            TimerKind::TimeWait => &mut self.time_wait_at,
        }
    }

    fn arm_timer(&mut self, kind: TimerKind, deadline: Instant, out: &mut Output) {
        *self.slot(kind) = Some(deadline);
        out.event(TcpEvent::TimerArmed { kind, deadline });
    }

    fn cancel_timer(&mut self, kind: TimerKind, out: &mut Output) {
        if self.slot(kind).take().is_some() {
            out.event(TcpEvent::TimerCancelled { kind });
        }
    }

    /// Takes a timer that is due at `now`, recording that it fired.
    fn take_due(&mut self, kind: TimerKind, now: Instant, out: &mut Output) -> bool {
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

    fn backed_off_rto(&self) -> Duration {
        let factor = 1u64 << self.backoff.min(MAX_BACKOFF);
        self.rto.saturating_mul(factor).min(self.config.max_rto)
    }

    fn arm_retransmit(&mut self, now: Instant, out: &mut Output) {
        let deadline = now + self.backed_off_rto();
        self.arm_timer(TimerKind::Retransmit, deadline, out);
    }

    fn restart_time_wait(&mut self, now: Instant, out: &mut Output) {
        let deadline = now + self.config.time_wait;
        self.arm_timer(TimerKind::TimeWait, deadline, out);
    }

    /// Handles every timer that is due at `now`. Calling it early or more than once is
    /// harmless: a timer that is not due is left alone.
    pub fn on_timer(&mut self, now: Instant, out: &mut Output) {
        if self.take_due(TimerKind::TimeWait, now, out) {
            self.set_state(now, State::Closed, TransitionCause::TimeWaitExpired, out);
            return;
        }
        if self.take_due(TimerKind::Retransmit, now, out) {
            self.on_retransmit_timeout(now, out);
        }
        if self.take_due(TimerKind::Persist, now, out) {
            self.on_persist_timeout(now, out);
        }
        if self.take_due(TimerKind::DelayedAck, now, out) && self.state != State::Closed {
            self.ack_due = true;
        }
        self.flush(now, out);
    }

    /// RFC 6298 §5.4–5.7 and RFC 5681 §3.1: retransmit the earliest unacknowledged segment,
    /// back the timer off, and restart slow start from one segment.
    fn on_retransmit_timeout(&mut self, now: Instant, out: &mut Output) {
        let syn_outstanding = !self.syn_acked();
        if !syn_outstanding && self.snd_una == self.snd_nxt {
            return; // nothing in flight: a stale deadline
        }
        let limit = match self.state {
            State::SynSent => self.config.syn_retries,
            _ if syn_outstanding => self.config.synack_retries,
            _ => self.config.data_retries,
        };
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
        if self.retries >= limit {
            self.fail(
                now,
                ConnError::TimedOut,
                TransitionCause::RetriesExhausted,
                out,
            );
            return;
        }
        self.retries += 1;
        self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
        out.event(TcpEvent::RtoBackoff {
            rto: self.backed_off_rto(),
        });
        // Karn's rule: a retransmitted segment gives no RTT sample.
        self.rtt_probe = None;

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

        // RFC 5681 eq. 4, only for the first timeout of this segment: a segment that was
        // already retransmitted says nothing new about the path.
        if self.retries == 1 {
            self.ssthresh = (self.flight_size() / 2).max(2 * self.snd_mss);
        }
        self.cwnd = self.snd_mss;
        self.bytes_acked = 0;
        self.in_recovery = false;
        self.dup_acks = 0;
        // RFC 6582 §3.2: duplicate ACKs for data sent before the timeout must not start a
        // fast retransmit.
        self.recover = Some(self.snd_max);
        self.congestion_changed(CongestionReason::Timeout, out);
        self.snd_nxt = self.snd_una;
        self.resend_reason = RetransmitReason::Rto;
        // `flush` re-sends from SND.UNA and re-arms the timer with the backed-off RTO.
    }

    /// RFC 9293 §3.8.6.1: the peer's window is zero (or too small to use) and nothing is in
    /// flight to bring an ACK. Probe it.
    fn on_persist_timeout(&mut self, now: Instant, out: &mut Output) {
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
        self.probes_out += 1;
        if self.probes_out > self.config.data_retries {
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

    fn persist_interval(&self) -> Duration {
        let factor = 1u64 << self.persist_backoff.min(MAX_BACKOFF);
        self.rto
            .saturating_mul(factor)
            .clamp(self.config.min_rto, self.config.max_rto)
    }

    // ------------------------------------------------------------------------------------
    // Application calls
    // ------------------------------------------------------------------------------------

    /// Queues `data` for sending and sends what the windows and Nagle allow. Returns how many
    /// bytes were taken: fewer than offered when the send buffer fills.
    pub fn send(
        &mut self,
        now: Instant,
        data: &[u8],
        out: &mut Output,
    ) -> Result<usize, SendError> {
        if let Some(err) = self.error {
            if std::mem::replace(&mut self.error_reported, true) {
                return Err(SendError::WriteShutdown);
            }
            return Err(SendError::Failed(err));
        }
        match self.state {
            State::Closed | State::Listen => return Err(SendError::NotConnected),
            _ if self.fin_queued => return Err(SendError::WriteShutdown),
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => {}
            _ => return Err(SendError::WriteShutdown),
        }
        if data.is_empty() {
            return Ok(0);
        }
        let taken = self.send_buf.push(data);
        if taken == 0 {
            return Err(SendError::WouldBlock);
        }
        self.flush(now, out);
        Ok(taken)
    }

    /// Reads up to `max` bytes. An empty vector means end of stream (the peer's FIN);
    /// `Err(WouldBlock)` means no data yet. Reading may open the window enough that a window
    /// update is sent.
    pub fn recv(
        &mut self,
        now: Instant,
        max: usize,
        out: &mut Output,
    ) -> Result<Vec<u8>, RecvError> {
        let mut data = Vec::new();
        if self.recv_buf.len() > 0 {
            self.recv_buf.read_to_vec(max, &mut data);
            self.after_read(now, out);
            return Ok(data);
        }
        self.recv_status().map(|()| data)
    }

    /// Reads into `buf`. `Ok(0)` for a non-empty `buf` means end of stream.
    pub fn recv_slice(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        out: &mut Output,
    ) -> Result<usize, RecvError> {
        if self.recv_buf.len() > 0 && !buf.is_empty() {
            let n = self.recv_buf.read(buf);
            self.after_read(now, out);
            return Ok(n);
        }
        self.recv_status().map(|()| 0)
    }

    /// What a read finding no data means: end of stream, an error, or wait.
    fn recv_status(&mut self) -> Result<(), RecvError> {
        if self.fin_received {
            return Ok(());
        }
        if let Some(err) = self.error {
            if std::mem::replace(&mut self.error_reported, true) {
                return Ok(());
            }
            return Err(RecvError::Failed(err));
        }
        match self.state {
            State::Closed | State::Listen => Err(RecvError::NotConnected),
            _ => Err(RecvError::WouldBlock),
        }
    }

    /// Sends a window update if reading opened the window substantially: the Linux rule of
    /// `tcp_cleanup_rbuf` (new window at least twice what the peer may still send) combined
    /// with receiver SWS avoidance (RFC 1122 §4.2.3.3).
    fn after_read(&mut self, now: Instant, out: &mut Output) {
        // Once the peer's FIN has come and everything is read, nothing more arrives: give the
        // receive ring back.
        if self.fin_received {
            self.recv_buf.release_if_empty();
        }
        if !self.state.can_receive() || self.state == State::SynReceived {
            return;
        }
        let current = if self.rcv_nxt < self.rcv_adv {
            self.rcv_nxt.distance(self.rcv_adv)
        } else {
            0
        };
        let new = self.window_to_advertise(false);
        if new > current
            && new - current >= self.sws_threshold()
            && new >= current.saturating_mul(2)
        {
            self.ack_due = true;
            self.flush(now, out);
        }
    }

    /// Half-close (`shutdown(SHUT_WR)`): queue a FIN after the data already queued.
    pub fn shutdown_write(&mut self, now: Instant, out: &mut Output) -> Result<(), CloseError> {
        match self.state {
            State::Closed | State::Listen => Err(CloseError::NotConnected),
            // Linux `tcp_shutdown`: a connection still in SYN_SENT is simply closed.
            State::SynSent => {
                self.set_state(now, State::Closed, TransitionCause::UserClose, out);
                Ok(())
            }
            State::SynReceived | State::Established => {
                self.queue_fin(State::FinWait1, now, out);
                Ok(())
            }
            State::CloseWait => {
                self.queue_fin(State::LastAck, now, out);
                Ok(())
            }
            _ => Err(CloseError::AlreadyClosing),
        }
    }

    fn queue_fin(&mut self, next: State, now: Instant, out: &mut Output) {
        self.fin_queued = true;
        self.set_state(now, next, TransitionCause::UserClose, out);
        self.flush(now, out);
    }

    /// CLOSE (RFC 9293 §3.10.4): send a FIN once queued data is sent. With received data the
    /// application never read, send RST instead and drop the connection (RFC 2525 §2.17, as
    /// Linux does), so the peer learns the data was not consumed.
    pub fn close(&mut self, now: Instant, out: &mut Output) -> Result<(), CloseError> {
        match self.state {
            State::Closed => return Err(CloseError::NotConnected),
            State::Listen | State::SynSent => {
                self.user_closed = true;
                self.set_state(now, State::Closed, TransitionCause::UserClose, out);
                return Ok(());
            }
            _ => {}
        }
        if self.recv_buf.len() > 0 {
            if self.state == State::TimeWait {
                self.recv_buf.clear();
                self.user_closed = true;
                return Ok(());
            }
            self.recv_buf.clear();
            self.user_closed = true;
            self.send_reset(out);
            self.set_state(
                now,
                State::Closed,
                TransitionCause::UserCloseWithUnreadData,
                out,
            );
            return Ok(());
        }
        if self.user_closed {
            return Err(CloseError::AlreadyClosing);
        }
        self.user_closed = true;
        match self.state {
            State::SynReceived | State::Established => self.queue_fin(State::FinWait1, now, out),
            State::CloseWait => self.queue_fin(State::LastAck, now, out),
            // The write side was already shut with `shutdown_write`; closing the read side
            // changes nothing on the wire.
            _ => {}
        }
        Ok(())
    }

    /// ABORT (RFC 9293 §3.10.5): send RST where the peer has state, drop everything, CLOSED.
    pub fn abort(&mut self, now: Instant, out: &mut Output) -> Result<(), CloseError> {
        match self.state {
            State::Closed => return Err(CloseError::NotConnected),
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => self.send_reset(out),
            _ => {}
        }
        self.recv_buf.clear();
        self.user_closed = true;
        self.set_state(now, State::Closed, TransitionCause::UserAbort, out);
        Ok(())
    }

    // ------------------------------------------------------------------------------------
    // Segment arrival (RFC 9293 §3.10.7)
    // ------------------------------------------------------------------------------------

    /// Processes one arriving segment addressed to this connection.
    pub fn on_segment(&mut self, now: Instant, seg: &TcpRepr, out: &mut Output) {
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

    /// §3.10.7.3 SYN-SENT.
    fn on_segment_syn_sent(&mut self, now: Instant, seg: &TcpRepr, out: &mut Output) {
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
            self.ack_due = true;
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
    fn after_handshake(&mut self) {
        if self.syn_retransmitted && self.srtt.is_none() {
            self.rto = self.rto.max(RTO_AFTER_SYN_LOSS).min(self.config.max_rto);
        }
        self.backoff = 0;
        self.retries = 0;
    }

    /// §3.10.7.4: SYN-RECEIVED and the synchronized states.
    fn on_segment_synchronized(&mut self, now: Instant, seg: &TcpRepr, out: &mut Output) {
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

        // First: sequence number acceptability.
        let seg_len = seg.payload.len() as u32 + flags.syn() as u32 + flags.fin() as u32;
        let window = self.receive_window();
        let acceptable = self.acceptable(seq, seg_len, window);
        // §3.10.7.4: with a zero window, ACKs and RSTs at RCV.NXT are still processed.
        let zero_window_allowance = !acceptable && window == 0 && seq == self.rcv_nxt;
        if !acceptable && !zero_window_allowance {
            if !flags.rst() {
                self.ack_due = true;
                self.flush(now, out);
            }
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::OutOfWindow,
            });
            return;
        }

        // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window gets a challenge).
        if flags.rst() {
            if seq != self.rcv_nxt {
                out.event(TcpEvent::ChallengeAck {
                    reason: ChallengeReason::RstInWindow,
                });
                self.send_ack(out);
                return;
            }
            match self.state {
                State::SynReceived if self.passive => {
                    self.set_state(now, State::Listen, TransitionCause::RcvRst, out);
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
            out.event(TcpEvent::ChallengeAck {
                reason: ChallengeReason::Syn,
            });
            self.send_ack(out);
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

        // Sixth (URG) is not supported: urgent data is delivered inline as ordinary data.
        // Seventh and eighth: text and FIN.
        let (data_seq, payload) = self.trim_to_window(seq, seg.payload, flags.syn());
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
    fn receive_window(&self) -> u32 {
        let free = self.recv_buf.window() as u32;
        let advertised = if self.rcv_nxt < self.rcv_adv {
            self.rcv_nxt.distance(self.rcv_adv)
        } else {
            0
        };
        free.max(advertised)
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

    /// Cuts off the parts of a payload before RCV.NXT and beyond the window; returns the new
    /// start sequence number and the bytes left.
    fn trim_to_window<'p>(
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

    /// The fifth step for established-like states. Returns false when the segment must be
    /// dropped.
    fn process_ack(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        seg: &TcpRepr,
        out: &mut Output,
    ) -> bool {
        let ack = seg.ack;
        if ack > self.snd_max {
            // Acknowledges something never sent.
            self.send_ack(out);
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::BadAck,
            });
            return false;
        }
        // RFC 5961 §5.2: an ACK older than SND.UNA - MAX.SND.WND is suspicious.
        let oldest = self.snd_una - self.max_snd_wnd.max(1);
        if ack < oldest {
            self.send_ack(out);
            out.event(TcpEvent::SegmentDropped {
                reason: DropReason::BadAck,
            });
            return false;
        }
        self.probes_out = 0;
        let window = (seg.window as u32) << self.snd_wscale;

        if self.snd_una < ack {
            self.on_new_ack(now, ack, out);
        } else if ack == self.snd_una
            && seg.payload.is_empty()
            && !seg.flags.fin()
            && window == self.snd_wnd
            && self.snd_nxt != self.snd_una
        {
            // A duplicate ACK in the sense of RFC 5681 §2.
            self.on_dup_ack(now, ack, out);
        }

        // Window update (§3.10.7.4 fifth step): only from an ACK at or above SND.UNA, and
        // guarded against reordered older segments by WL1/WL2.
        if self.snd_una <= ack
            && (self.snd_wl1 < seq || (self.snd_wl1 == seq && self.snd_wl2 <= ack))
        {
            if window != self.snd_wnd {
                out.event(TcpEvent::PeerWindow { window });
                if self.snd_wnd == 0 && window > 0 {
                    self.persist_backoff = 0;
                }
            }
            self.snd_wnd = window;
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
        }
        true
    }

    /// SND.UNA advances to `ack`: release acknowledged data, take an RTT sample, manage the
    /// timer and grow or repair the congestion window.
    fn on_new_ack(&mut self, now: Instant, ack: SeqNumber, out: &mut Output) {
        let acked = self.snd_una.distance(ack);
        let flight_before = self.flight_size();
        self.ack_advances(now, ack, out);

        if let Some(recover) = self.recover {
            if recover < ack && !self.in_recovery {
                self.recover = None;
            }
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
            self.dup_acks = 0;
            // Grow only while the window is actually used (Linux `tcp_is_cwnd_limited`).
            if flight_before.saturating_mul(2) >= self.cwnd {
                self.grow_cwnd(acked, out);
            }
        }
    }

    /// Updates SND.UNA and everything keyed to it.
    fn ack_advances(&mut self, now: Instant, ack: SeqNumber, out: &mut Output) {
        if !(self.snd_una < ack && ack <= self.snd_max) {
            return;
        }
        // Release acknowledged data (not the SYN or FIN octets).
        if self.buf_seq < ack {
            let n = (self.buf_seq.distance(ack) as usize).min(self.send_buf.len());
            self.send_buf.consume(n);
            self.buf_seq += n;
        }
        self.snd_una = ack;
        self.snd_nxt = self.snd_nxt.max(ack);
        self.retries = 0;
        self.backoff = 0;

        if let Some((timed_seq, sent_at)) = self.rtt_probe {
            if timed_seq < ack {
                self.rtt_probe = None;
                self.rtt_sample(now.saturating_since(sent_at), out);
            }
        }
        // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
        if self.snd_una == self.snd_nxt {
            self.cancel_timer(TimerKind::Retransmit, out);
        } else {
            self.arm_retransmit(now, out);
        }
    }

    fn on_dup_ack(&mut self, now: Instant, ack: SeqNumber, out: &mut Output) {
        self.dup_acks = self.dup_acks.saturating_add(1);
        out.event(TcpEvent::DupAck {
            ack,
            count: self.dup_acks,
        });
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
        self.ssthresh = (self.flight_size() / 2).max(2 * self.snd_mss);
        self.recover = Some(self.snd_max);
        self.in_recovery = true;
        self.retransmit_first_unacked(now, RetransmitReason::FastRetransmit, out);
        self.cwnd = self.ssthresh.saturating_add(3 * self.snd_mss);
        self.congestion_changed(CongestionReason::FastRetransmit, out);
    }

    /// RFC 5681 §3.1 slow start (RFC 3465 byte counting, L = 2 SMSS) and congestion avoidance.
    fn grow_cwnd(&mut self, acked: u32, out: &mut Output) {
        let reason = if self.cwnd < self.ssthresh {
            let inc = acked.min(2 * self.snd_mss);
            self.cwnd = self
                .cwnd
                .saturating_add(inc)
                .min(self.ssthresh.max(self.cwnd));
            CongestionReason::SlowStart
        } else {
            self.bytes_acked = self.bytes_acked.saturating_add(acked);
            if self.bytes_acked < self.cwnd {
                return;
            }
            self.bytes_acked -= self.cwnd;
            self.cwnd = self.cwnd.saturating_add(self.snd_mss);
            CongestionReason::CongestionAvoidance
        };
        self.cwnd = self.cwnd.min(INITIAL_SSTHRESH);
        self.congestion_changed(reason, out);
    }

    fn congestion_changed(&mut self, reason: CongestionReason, out: &mut Output) {
        out.event(TcpEvent::CongestionChanged {
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            reason,
        });
    }

    /// RFC 6298 §2.2–2.4, with Linux's minimum on the variance term.
    fn rtt_sample(&mut self, rtt: Duration, out: &mut Output) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = Duration::from_nanos(rtt.as_nanos() / 2);
            }
            Some(srtt) => {
                let delta = if srtt > rtt { srtt - rtt } else { rtt - srtt };
                self.rttvar = Duration::from_nanos(
                    (self.rttvar.as_nanos() / 4).saturating_mul(3) + delta.as_nanos() / 4,
                );
                self.srtt = Some(Duration::from_nanos(
                    (srtt.as_nanos() / 8).saturating_mul(7) + rtt.as_nanos() / 8,
                ));
            }
        }
        let srtt = self.srtt.unwrap_or(rtt);
        // RTO = SRTT + max(G, K*RTTVAR) (RFC 6298 §2.3) with Linux's floor on the variance
        // term (`tcp_rtt_estimator`'s `mdev_max`): at least `min_rto`. Clamping only the sum
        // would let a steady path's RTO fall to the RTT itself, and a delayed ACK (40 ms) then
        // fires the timer on a path that lost nothing.
        let variance = self.rttvar.saturating_mul(4).max(self.config.min_rto);
        self.rto = (srtt + variance).clamp(self.config.min_rto, self.config.max_rto);
        out.event(TcpEvent::RttSample {
            rtt,
            srtt,
            rttvar: self.rttvar,
            rto: self.rto,
        });
    }

    /// Seventh and eighth steps: store data, decide how to acknowledge it, and take the FIN
    /// once everything before it has arrived.
    fn process_text_and_fin(
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
            if self.user_closed && matches!(self.state, State::FinWait1 | State::FinWait2) {
                // New data for a socket the application has closed cannot be delivered: Linux
                // answers with RST and drops the connection (`tcp_rcv_state_process`,
                // TCPAbortOnData; RFC 1122 §4.2.2.13), so the sender learns it was lost. The
                // RST carries the segment's acknowledgement number as its sequence number.
                self.recv_buf.clear();
                self.push_reset(self.snd_max, None, out);
                self.set_state(now, State::Closed, TransitionCause::RcvDataAfterClose, out);
                return;
            }
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

    fn receive_data(&mut self, now: Instant, seq: SeqNumber, payload: &[u8], out: &mut Output) {
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

    fn receive_fin(&mut self, now: Instant, out: &mut Output) {
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

    // ------------------------------------------------------------------------------------
    // Sending
    // ------------------------------------------------------------------------------------

    fn syn_acked(&self) -> bool {
        self.iss < self.snd_una
    }

    fn fin_seq(&self) -> SeqNumber {
        self.buf_seq + self.send_buf.len()
    }

    fn fin_acked(&self) -> bool {
        self.fin_queued && self.fin_seq() < self.snd_una
    }

    /// Bytes in flight: sent and not acknowledged, as RFC 5681 FlightSize.
    fn flight_size(&self) -> u32 {
        self.snd_una.distance(self.snd_max)
    }

    /// Queued bytes not yet sent from SND.NXT on.
    fn unsent(&self) -> usize {
        let offset = if self.buf_seq < self.snd_nxt {
            self.buf_seq.distance(self.snd_nxt) as usize
        } else {
            0
        };
        self.send_buf.len().saturating_sub(offset)
    }

    /// Sends everything the state, windows, Nagle and SWS avoidance allow, then a bare ACK if
    /// one is still owed, and keeps the persist timer in step.
    fn flush(&mut self, now: Instant, out: &mut Output) {
        let may_send_data = self.syn_acked()
            && matches!(
                self.state,
                State::Established
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

    fn send_queued_data(&mut self, now: Instant, out: &mut Output) {
        let mut force = std::mem::take(&mut self.force_send);
        loop {
            let unsent = self.unsent();
            let fin_pending = self.fin_queued && self.snd_nxt <= self.fin_seq();
            if unsent == 0 && !fin_pending {
                break;
            }
            let in_flight = self.snd_una.distance(self.snd_nxt);
            let wnd_edge = self.snd_una + self.snd_wnd;
            let wnd_avail = if self.snd_nxt < wnd_edge {
                self.snd_nxt.distance(wnd_edge) as usize
            } else {
                0
            };
            let cwnd_avail = self.cwnd.saturating_sub(in_flight) as usize;
            let mss = self.snd_mss as usize;
            let retransmitting = self.snd_nxt < self.snd_max;
            let len = unsent.min(mss).min(wnd_avail).min(cwnd_avail);
            let fin = fin_pending && len == unsent && (len > 0 || cwnd_avail > 0);
            if len == 0 && !fin {
                break;
            }
            if len < mss && !retransmitting && !force && !fin {
                if len == unsent {
                    // Nagle (RFC 1122 §4.2.3.4) in Minshall's form, as Linux: hold a small
                    // segment only while an earlier small segment is unacknowledged.
                    let small_in_flight =
                        self.snd_una < self.snd_sml && self.snd_sml <= self.snd_nxt;
                    if !self.nodelay && in_flight > 0 && small_in_flight {
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
            force = false;
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
            let flags = if len == unsent && len > 0 {
                TcpFlags::ACK | TcpFlags::PSH
            } else {
                TcpFlags::ACK
            };
            let flags = if fin { flags | TcpFlags::FIN } else { flags };
            self.emit(out, seq, flags, TcpOptions::NONE, len, true);
            self.snd_nxt = seq + len + fin as u32;
            self.snd_max = self.snd_max.max(self.snd_nxt);
            if len < mss {
                self.snd_sml = self.snd_nxt;
            }
            if self.rtx_at.is_none() {
                self.arm_retransmit(now, out);
            }
            if fin {
                break;
            }
        }
        // Persist: data waits, nothing is in flight to bring an ACK, so only a probe can learn
        // that the window opened.
        let blocked = self.unsent() > 0 && self.snd_nxt == self.snd_una;
        if blocked {
            if self.persist_at.is_none() {
                let deadline = now + self.persist_interval();
                self.arm_timer(TimerKind::Persist, deadline, out);
            }
        } else {
            self.cancel_timer(TimerKind::Persist, out);
        }
    }

    /// Retransmits one segment from SND.UNA without moving SND.NXT (fast retransmit).
    fn retransmit_first_unacked(
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
        self.rtt_probe = None;
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

    /// Our SYN (SYN_SENT) or SYN,ACK (otherwise), with options.
    fn send_syn(&mut self, out: &mut Output) {
        let options = TcpOptions {
            mss: Some(self.config.mss),
            window_scale: self.wscale_offered.then_some(self.rcv_wscale),
            ..TcpOptions::NONE
        };
        let flags = if self.state == State::SynSent {
            TcpFlags::SYN
        } else {
            TcpFlags::SYN | TcpFlags::ACK
        };
        self.emit(out, self.iss, flags, options, 0, false);
    }

    /// A bare ACK. Its sequence number is the highest we sent, which the peer accepts even
    /// while we re-send older data after a timeout.
    fn send_ack(&mut self, out: &mut Output) {
        let seq = self.snd_max;
        self.emit(out, seq, TcpFlags::ACK, TcpOptions::NONE, 0, false);
    }

    /// RST,ACK for an abort: `<SEQ=SND.NXT><CTL=RST>` plus the ACK Linux adds.
    fn send_reset(&mut self, out: &mut Output) {
        let seq = self.snd_max;
        self.emit(
            out,
            seq,
            TcpFlags::RST | TcpFlags::ACK,
            TcpOptions::NONE,
            0,
            false,
        );
    }

    /// `<SEQ=seq><CTL=RST>` (with ACK if given) answering a bad segment.
    fn push_reset(&mut self, seq: SeqNumber, ack: Option<SeqNumber>, out: &mut Output) {
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
        });
    }

    /// The window to advertise in bytes, after receiver SWS avoidance (RFC 1122 §4.2.3.3):
    /// the right edge moves only by a useful amount, and never moves left.
    fn window_to_advertise(&self, syn: bool) -> u32 {
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

    fn sws_threshold(&self) -> u32 {
        ((self.recv_buf.capacity() / 2) as u32)
            .min(self.rcv_mss)
            .max(1)
    }

    /// Builds and queues one segment. `data_len` bytes are copied from the send buffer at
    /// `seq` when `with_data`. Every segment with ACK carries RCV.NXT and a fresh window.
    fn emit(
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
            let offset = if self.buf_seq < seq {
                self.buf_seq.distance(seq) as usize
            } else {
                0
            };
            self.send_buf.copy_range(offset, data_len, &mut payload);
        }
        let window = if flags.syn() {
            // A SYN's window is not scaled (RFC 7323 §2.2).
            self.window_to_advertise(true).min(65535) as u16
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
            if self.delack_at.is_some() {
                self.cancel_timer(TimerKind::DelayedAck, out);
            }
            self.rcv_nxt
        } else {
            SeqNumber(0)
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
        });
    }
}

/// The reset answering a segment for which no connection exists (RFC 9293 §3.10.7.1):
/// `<SEQ=SEG.ACK><CTL=RST>` if the segment has ACK, else
/// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`; nothing answers an RST. `src_ip`/`dst_ip` are
/// those of the arriving segment; the reset goes the other way. Window 0, as Linux sends.
pub fn reset_for(
    src_ip: std::net::Ipv4Addr,
    dst_ip: std::net::Ipv4Addr,
    seg: &TcpRepr,
) -> Option<TcpSegment> {
    if seg.flags.rst() {
        return None;
    }
    let (seq, ack, flags) = if seg.flags.ack() {
        (seg.ack, SeqNumber(0), TcpFlags::RST)
    } else {
        (
            SeqNumber(0),
            seg.seq + seg.seg_len(),
            TcpFlags::RST | TcpFlags::ACK,
        )
    };
    Some(TcpSegment {
        src_ip: dst_ip,
        dst_ip: src_ip,
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        seq,
        ack,
        flags,
        window: 0,
        urgent: 0,
        options: TcpOptions::NONE,
        payload: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
