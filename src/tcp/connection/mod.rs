//! One TCP connection: the transmission control block and everything that acts on it.
//!
//! Sans-IO: every entry point takes the current virtual time and an [`Output`] to append
//! segments and trace events to. The connection never reads a clock; it says when it next needs
//! attention with [`Connection::poll_at`], and the caller then calls [`Connection::on_timer`].
//!
//! Segment processing follows the steps of RFC 9293 §3.10.7 in order; congestion control is
//! RFC 5681 with NewReno recovery (RFC 6582); the retransmission timer is RFC 6298.
//!
//! This file holds the TCB itself, its queries and the one place the state changes; the code
//! acting on it is split by concern:
//! - `handshake`: opens, the peer's SYN, our SYN or SYN,ACK;
//! - `segment`: segment arrival, the checks of RFC 9293 §3.10.7.4 in order;
//! - `ack`: acknowledgments, the peer's window, congestion control;
//! - `rtt`: the RTT estimator;
//! - `receive`: storing data and FIN, ACK decisions, the advertised window;
//! - `delack`: when an ACK goes at once and when it waits (quick ACKs, interactive mode);
//! - `send`: segmentation, Nagle, SWS avoidance, building segments;
//! - `retransmit`: the timers (retransmission, persist, delayed ACK, TIME_WAIT);
//! - `keepalive`: keepalive probes and the user timeout;
//! - `app`: send and receive calls; `close`: shutdown, close and abort;
//! - `time_wait`: [`TimeWait`], what a host keeps of a connection in TIME_WAIT.

mod ack;
mod app;
mod close;
mod delack;
mod fastopen;
mod handshake;
mod idle;
mod keepalive;
pub use fastopen::{CacheReport, FastOpenSyn};
pub use keepalive::Keepalive;
pub use records::SendFlags;
mod receive;
mod records;
mod recovery;
mod retransmit;
mod rtt;
mod segment;
mod send;
mod time_wait;
pub use time_wait::TimeWait;

use std::net::SocketAddrV4;

use super::buffer::{RecvBuffer, SendBuffer};
use super::config::{TcpConfig, MAX_WINDOW};
use super::event::{ConnError, Output, RetransmitReason, TcpEvent, TimerKind};
use super::seq::SeqNumber;
use super::state::{State, TransitionCause};
use super::wire::{TcpFlags, TcpOptions, TcpRepr, TcpSegment};
use crate::time::{Duration, Instant};

/// MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1, IPv4).
const DEFAULT_PEER_MSS: u32 = 536;
use super::congestion::{CongestionControl, CwndUse, Window, INITIAL_SSTHRESH};
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
    /// Write boundaries: `TCP_CORK`, `MSG_MORE`, `MSG_EOR` records (`records`).
    records: records::Records,

    // Send sequence space.
    iss: SeqNumber,
    snd_una: SeqNumber,
    /// Our SYN is acknowledged. Kept, not read off `iss < snd_una`: sequence numbers compare
    /// modulo 2^32, so that comparison turned false again after 2 GiB had been acknowledged
    /// and the sender stopped sending for good.
    syn_acked: bool,
    /// Bytes of ours the peer acknowledged (Linux `tp->bytes_acked`; a passive open's SYN-ACK
    /// not counted): it bounds how old an ACK may be (RFC 5961 §5.2 as Linux applies it,
    /// `tcp_ack`).
    bytes_acked: u64,
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
    /// Number of the last packet sent: a burst of new data (Linux's TSO/GSO packets, see
    /// `TcpConfig::tso_segs`) or a retransmission; the scoreboard keeps it per segment for
    /// the PSH of retransmissions.
    burst_id: u32,

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
    /// Quick ACKs and Linux's interactive mode: which ACKs wait (`delack`).
    acks: delack::AckTiming,

    // Round-trip time estimation (RFC 6298).
    srtt: Option<Duration>,
    rttvar: Duration,
    /// The smallest RTT sample, for the TSO/GSO packet size (Linux `tcp_min_rtt`, a minimum
    /// over `tcp_min_rtt_wlen` = 300 s; here over the connection's life).
    min_rtt: Option<Duration>,
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
    /// When data last went out (Linux `lsndtime`), for the restart after idle.
    last_data_sent: Option<Instant>,
    cwnd: u32,
    ssthresh: u32,
    /// The congestion-control algorithm (`TcpConfig::congestion`): how cwnd grows and how
    /// far it is cut; recovery itself is this connection's.
    cc: Box<dyn CongestionControl>,
    /// How much of cwnd the last window used, for `TcpConfig::linux_cwnd_growth`.
    cwnd_use: CwndUse,
    /// SACK scoreboard, RACK-TLP and F-RTO state (`recovery`).
    rec: recovery::Recovery,
    dup_acks: u32,
    in_recovery: bool,
    /// RFC 6582 `recover`: highest sequence sent when recovery or a timeout began.
    recover: Option<SeqNumber>,

    // Zero-window probing.
    persist_backoff: u32,
    probes_out: u32,
    /// When the persist timer first fired for the current zero window (Linux
    /// `icsk_probes_tstamp`): a user timeout counts from there.
    probes_since: Option<Instant>,

    /// The time of the call being handled: the clock our TSval reads.
    now: Instant,

    // Options negotiated at the handshake.
    /// We put SACK-permitted on our SYN (or SYN-ACK).
    sack_offered: bool,
    /// Both sides offered SACK (RFC 2018 §2): ACKs carry SACK blocks.
    sack_ok: bool,
    /// We put timestamps on our SYN (or SYN-ACK).
    ts_offered: bool,
    /// Both sides offered timestamps (RFC 7323 §3.2): every segment carries them.
    ts_ok: bool,
    /// TS.Recent (RFC 7323 §4.3): the peer's TSval to echo.
    ts_recent: u32,
    /// Added to the millisecond clock to make our TSval: a per-connection offset, as Linux's
    /// `ts_off` (RFC 7323 §7.1 recommends one so the clock leaks nothing).
    ts_offset: u32,
    /// TSecr of the segment being processed, for an RTT sample.
    seg_tsecr: Option<u32>,
    /// An RTT sample was skipped by Karn's rule; the next ACK's TSecr gives it instead.
    ts_rtt_pending: bool,
    /// SACK blocks we report (RFC 2018 §4): most recent first, at most four.
    sack_report: Vec<(SeqNumber, SeqNumber)>,
    /// A duplicate the next ACK reports as its first block (DSACK, RFC 2883 §4).
    dsack: Option<(SeqNumber, SeqNumber)>,
    /// Next IP identification when the profile numbers packets per connection.
    ip_id: u16,
    /// Most we offer while the window grows (Linux `rcv_ssthresh`).
    rcv_ssthresh: u32,
    /// Linux would have replaced this socket by a time-wait mini socket (orphaned in
    /// FIN_WAIT_2, or in TIME_WAIT), whose packets carry IP ID 0.
    mini_socket: bool,
    /// When the head segment was first sent, for the give-up time budget (Linux
    /// `retrans_stamp`).
    retrans_stamp: Option<Instant>,

    // Timers: deadlines, `None` when not running.
    rtx_at: Option<Instant>,
    tlp_at: Option<Instant>,
    reorder_at: Option<Instant>,
    delack_at: Option<Instant>,
    persist_at: Option<Instant>,
    time_wait_at: Option<Instant>,
    /// FIN_WAIT_2 timeout of an orphaned connection (`tcp_fin_timeout`).
    fin_wait2_at: Option<Instant>,
    keepalive_at: Option<Instant>,
    /// When an ACK last answered an invalid segment (Linux `last_oow_ack_time`).
    last_invalid_ack: Option<Instant>,

    // Keepalive and the user timeout (`keepalive`).
    keepalive: Option<Keepalive>,
    /// Unanswered keepalive probes (Linux `icsk_probes_out`).
    keepalive_probes: u32,
    /// When an acceptable segment last came from the peer (Linux `rcv_tstamp`).
    last_heard: Instant,
    /// `TCP_USER_TIMEOUT`: how long data may stay unacknowledged before the connection is
    /// given up, instead of the `data_retries` budget.
    user_timeout: Option<Duration>,
    /// TCP Fast Open, for the few connections that use it (`fastopen`).
    fastopen: Option<Box<fastopen::FastOpen>>,
    /// A writer waits for the handshake to complete (Linux `sk_write_pending`).
    write_pending: bool,
}

/// Smallest shift that lets `buffer` bytes be advertised in a 16-bit field (RFC 7323 §2.3).
fn window_shift_for(buffer: usize) -> u8 {
    let mut shift = 0;
    while shift < 14 && (buffer >> shift) > 65535 {
        shift += 1;
    }
    shift
}

/// Linux's window scale (`tcp_select_initial_window`): from the largest buffer the socket may
/// grow to (`tcp_rmem[2]`), bounded by an `SO_RCVBUF` the application set; `ilog2 − 15`.
/// Without an `rmem_max` (textbook) the smallest shift that fits the buffer.
fn window_shift(config: &TcpConfig) -> u8 {
    if config.rmem_max == 0 {
        return window_shift_for(config.recv_buffer_size);
    }
    let mut space = config.rmem_max.max(config.recv_buffer_size);
    // netlab's buffer never grows (Linux autotunes towards tcp_rmem[2]), so a buffer too small
    // to be advertised with that shift gets the one that fits it, as an SO_RCVBUF clamp does
    // in Linux; otherwise windows under 1 << shift would round to zero.
    if config.recv_buffer_locked || config.recv_buffer_size < 65536 {
        space = config.recv_buffer_size;
    }
    let log2 = usize::BITS - 1 - space.max(1).leading_zeros();
    log2.saturating_sub(15).min(14) as u8
}

/// A fixed scrambling of 32 bits (the murmur3 finaliser). netlab derives a connection's
/// TSval offset and IP ID start from its ISN, which comes from the seeded RNG, so they are
/// as random as the ISN without drawing more numbers from the host's stream. (Linux uses
/// keyed hashes of the addresses and `get_random_u16`.)
fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85eb_ca6b);
    x ^= x >> 13;
    x = x.wrapping_mul(0xc2b2_ae35);
    x ^ (x >> 16)
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
            records: records::Records::default(),
            iss: isn,
            snd_una: isn,
            syn_acked: false,
            bytes_acked: 0,
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
            burst_id: 0,
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
            acks: delack::AckTiming::new(config.interactive_acks, config.quick_acks),
            srtt: None,
            min_rtt: None,
            rttvar: Duration::ZERO,
            rto: config.initial_rto,
            backoff: 0,
            rtt_probe: None,
            retries: 0,
            syn_retransmitted: false,
            last_data_sent: None,
            cwnd: mss.saturating_mul(config.initial_cwnd_segments),
            ssthresh: INITIAL_SSTHRESH,
            cc: config.congestion.controller(config.hystart),
            cwnd_use: CwndUse::default(),
            rec: recovery::Recovery::new(config.sack_whole_segments),
            dup_acks: 0,
            in_recovery: false,
            recover: None,
            persist_backoff: 0,
            probes_out: 0,
            probes_since: None,
            now: Instant::ZERO,
            sack_offered: false,
            sack_ok: false,
            ts_offered: false,
            ts_ok: false,
            ts_recent: 0,
            ts_offset: mix32(isn.0 ^ 0x7473_6f66),
            seg_tsecr: None,
            ts_rtt_pending: false,
            sack_report: Vec::new(),
            dsack: None,
            ip_id: mix32(isn.0 ^ 0x6970_6964) as u16,
            retrans_stamp: None,
            mini_socket: false,
            rcv_ssthresh: u32::MAX,
            rtx_at: None,
            tlp_at: None,
            reorder_at: None,
            delack_at: None,
            persist_at: None,
            time_wait_at: None,
            fin_wait2_at: None,
            keepalive_at: None,
            last_invalid_ack: None,
            keepalive: config.keepalive,
            keepalive_probes: 0,
            last_heard: Instant::ZERO,
            user_timeout: config.user_timeout,
            fastopen: None,
            write_pending: false,
            config,
        }
    }

    /// Drops the handshake's RTT measurement (a connection rebuilt from a SYN cookie does
    /// not know when its SYN-ACK left).
    pub(crate) fn forget_rtt_probe(&mut self) {
        self.rtt_probe = None;
    }

    /// `TCP_LINGER2`: how long this connection, once orphaned, waits in FIN_WAIT_2.
    pub fn set_fin_timeout(&mut self, timeout: Duration) {
        self.config.fin_timeout = timeout;
    }

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

    /// The peer's segment size as measured from what arrived (Linux `icsk_ack.rcv_mss`).
    pub fn rcv_mss(&self) -> u32 {
        self.rcv_mss
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
    /// The congestion-control algorithm this connection runs.
    pub fn congestion_algorithm(&self) -> super::congestion::Algorithm {
        self.cc.algorithm()
    }
    /// The SACK scoreboard (empty without SACK), for tests and views.
    pub fn sack_scoreboard(&self) -> &super::sack::Scoreboard {
        &self.rec.board
    }
    fn window(&self) -> Window {
        Window {
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
        }
    }
    fn set_window(&mut self, w: Window) {
        self.cwnd = w.cwnd;
        self.ssthresh = w.ssthresh;
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

    /// Options both sides agreed on at the handshake: (SACK, timestamps).
    pub fn negotiated(&self) -> (bool, bool) {
        (self.sack_ok, self.ts_ok)
    }

    /// Linux's `tcpi_options`: `TCPI_OPT_TIMESTAMPS` 1, `_SACK` 2, `_WSCALE` 4, `_SYN_DATA` 32
    /// (the SYN's data was acknowledged, TCP Fast Open).
    pub fn tcpi_options(&self) -> u8 {
        u8::from(self.ts_ok)
            | u8::from(self.sack_ok) << 1
            | u8::from(self.wscale_offered && self.state != State::SynSent) << 2
            | u8::from(self.syn_data_acked()) << 5
    }
    pub fn in_fast_recovery(&self) -> bool {
        self.in_recovery
    }

    /// Recovering from a retransmission timeout (Linux's `TCP_CA_Loss`).
    pub fn in_timeout_recovery(&self) -> bool {
        self.rec.in_loss
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
        // Folded pairwise rather than collected into an array first: the host asks after
        // every call into the connection, and the array was copied each time.
        fn earlier(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, None) => a,
                (None, b) => b,
            }
        }
        let mut at = earlier(self.rtx_at, self.delack_at);
        at = earlier(at, self.persist_at);
        at = earlier(at, self.time_wait_at);
        at = earlier(at, self.tlp_at);
        at = earlier(at, self.reorder_at);
        at = earlier(at, self.fin_wait2_at);
        earlier(at, self.keepalive_at)
    }

    /// Deadline of one timer, for tests and traces.
    pub fn timer(&self, kind: TimerKind) -> Option<Instant> {
        match kind {
            TimerKind::Retransmit => self.rtx_at,
            TimerKind::DelayedAck => self.delack_at,
            TimerKind::Persist => self.persist_at,
            TimerKind::TimeWait => self.time_wait_at,
            TimerKind::LossProbe => self.tlp_at,
            TimerKind::Reorder => self.reorder_at,
            TimerKind::FinWait2 => self.fin_wait2_at,
            TimerKind::Keepalive => self.keepalive_at,
        }
    }

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
            State::Established => self.start_keepalive(now, out),
            State::FinWait2 if self.user_closed => self.arm_fin_wait2(now, out),
            State::TimeWait => {
                self.cancel_timer(TimerKind::FinWait2, out);
                self.cancel_timer(TimerKind::Retransmit, out);
                self.cancel_timer(TimerKind::Persist, out);
                self.cancel_timer(TimerKind::DelayedAck, out);
                self.cancel_timer(TimerKind::LossProbe, out);
                self.cancel_timer(TimerKind::Reorder, out);
                self.cancel_timer(TimerKind::Keepalive, out);
                self.rec.board.clear();
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
                    TimerKind::LossProbe,
                    TimerKind::Reorder,
                    TimerKind::FinWait2,
                    TimerKind::Keepalive,
                ] {
                    self.cancel_timer(kind, out);
                }
                self.rec.board.clear();
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
        ip_id: None,
    })
}

#[cfg(test)]
mod options_tests;
#[cfg(test)]
mod tests;
