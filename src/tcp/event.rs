//! What a connection reports besides segments: trace events and the output buffer that holds
//! both, plus the error types of its operations.

use std::fmt;
use std::net::SocketAddrV4;

use super::seq::SeqNumber;
use super::state::{State, TransitionCause};
use super::wire::TcpSegment;
use crate::time::{Duration, Instant};

/// The timers of a connection.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum TimerKind {
    /// Retransmission timer for SYN, SYN-ACK, data and FIN (RFC 6298).
    Retransmit,
    /// Delayed-ACK timer (RFC 1122 §4.2.3.2).
    DelayedAck,
    /// Zero-window probe timer (RFC 9293 §3.8.6.1).
    Persist,
    /// 2*MSL timer of TIME_WAIT.
    TimeWait,
    /// Tail-loss probe timer (RFC 8985 §7.2), with SACK only.
    LossProbe,
    /// RACK reordering timer (RFC 8985 §6.3): when a segment sent before the last delivered
    /// one will have waited RACK.rtt + reo_wnd.
    Reorder,
    /// How long an orphaned connection waits in FIN_WAIT_2 for the peer's FIN
    /// (`tcp_fin_timeout`, `TCP_LINGER2`).
    FinWait2,
    /// Keepalive (`SO_KEEPALIVE`): when the next probe may be due (RFC 1122 §4.2.3.6).
    Keepalive,
}

/// Why a segment was sent again.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RetransmitReason {
    /// The retransmission timer expired.
    Rto,
    /// Three duplicate ACKs (RFC 5681 §3.2), or a partial ACK during NewReno recovery
    /// (RFC 6582 §3.2 step 5).
    FastRetransmit,
    /// A zero-window probe or a forced send after the persist timer expired.
    Probe,
    /// The peer retransmitted its SYN, so our SYN-ACK was probably lost.
    DuplicateSyn,
    /// A tail-loss probe with no new data to send re-sent the last segment (RFC 8985 §7.3).
    LossProbe,
}

/// Why the congestion window or slow-start threshold changed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CongestionReason {
    /// Growth in slow start (RFC 5681 §3.1, RFC 3465 L = 2 SMSS).
    SlowStart,
    /// Growth in congestion avoidance (one SMSS per window of data acknowledged).
    CongestionAvoidance,
    /// HyStart saw the path full (a long ACK train or rising RTTs): ssthresh = cwnd, slow
    /// start ends before any loss (Linux CUBIC's `hystart_update`).
    HyStart,
    /// Entering fast recovery: ssthresh halved, cwnd = ssthresh + 3 SMSS.
    FastRetransmit,
    /// Another duplicate ACK during fast recovery inflated cwnd by one SMSS.
    RecoveryInflation,
    /// A partial ACK deflated cwnd (RFC 6582 §3.2 step 5).
    PartialAck,
    /// A full ACK ended fast recovery (RFC 6582 §3.2 step 4).
    RecoveryExit,
    /// An ACK during fast recovery set cwnd by Proportional Rate Reduction (RFC 6937).
    RecoveryReduction,
    /// A retransmission timeout: cwnd back to one segment (RFC 5681 §3.1 eq. 4).
    Timeout,
    /// New data after an idle period longer than the RTO: cwnd restarts toward the initial
    /// window (RFC 5681 §4.1, Linux `tcp_cwnd_restart`).
    IdleRestart,
    /// A timeout found spurious by F-RTO (RFC 5682 §3.1 step 3b): the window restored.
    Undo,
}

/// Why an arriving segment was discarded (besides being answered, where the RFC says so).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DropReason {
    /// Failed the acceptability test of RFC 9293 §3.10.7.4 (outside the receive window).
    OutOfWindow,
    /// An RST that is not acceptable (wrong seq, or SYN_SENT without an acceptable ACK).
    BadRst,
    /// ACK of something never sent, or too old (RFC 5961 §5).
    BadAck,
    /// A segment without ACK in a synchronized state.
    NoAck,
    /// SYN_SENT: neither SYN nor RST.
    NoSyn,
    /// The out-of-order table was full.
    ReassemblyFull,
    /// The connection is CLOSED or LISTEN and does not take segments.
    NotSynchronized,
    /// Ports do not match this connection.
    WrongPorts,
    /// Data after the peer's FIN.
    DataAfterFin,
    /// Its timestamp is older than TS.Recent: an old duplicate (PAWS, RFC 7323 §5.3).
    Paws,
}

/// Why a challenge ACK (RFC 5961) was sent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ChallengeReason {
    /// RST in the window but not exactly at RCV.NXT (RFC 5961 §3.2).
    RstInWindow,
    /// SYN in a synchronized state (RFC 5961 §4.2).
    Syn,
}

/// Why a listener dropped a segment without creating or advancing a connection.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ListenDropReason {
    /// The accept queue is full (Linux drops the SYN so the client retries).
    AcceptQueueFull,
    /// The SYN queue (half-open connections) is full.
    SynQueueFull,
    /// The ACK completing a handshake arrived while the accept queue was full; the half-open
    /// connection is kept and its SYN-ACK retransmitted (Linux `tcp_abort_on_overflow` = 0).
    AckWhileAcceptQueueFull,
    /// Neither SYN, ACK nor RST, or a segment not addressed to the listener's port.
    Unexpected,
}

/// The errors a connection reports to its application (Linux errno in brackets).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
pub enum ConnError {
    /// RST in answer to our SYN [ECONNREFUSED].
    #[error("connection refused")]
    Refused,
    /// RST on a synchronized connection [ECONNRESET].
    #[error("connection reset by peer")]
    Reset,
    /// RST after the peer's FIN, in CLOSE_WAIT [EPIPE] (Linux `tcp_reset`).
    #[error("broken pipe")]
    BrokenPipe,
    /// Retransmission limit reached [ETIMEDOUT].
    #[error("connection timed out")]
    TimedOut,
}

/// One trace event. Small and `Copy`: no strings, no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TcpEvent {
    StateChanged {
        from: State,
        to: State,
        cause: TransitionCause,
    },
    /// The connection failed; `error()` now returns this.
    Error(ConnError),
    Retransmit {
        seq: SeqNumber,
        len: u32,
        reason: RetransmitReason,
    },
    CongestionChanged {
        cwnd: u32,
        ssthresh: u32,
        reason: CongestionReason,
    },
    TimerArmed {
        kind: TimerKind,
        deadline: Instant,
    },
    TimerFired {
        kind: TimerKind,
    },
    TimerCancelled {
        kind: TimerKind,
    },
    /// An RTT measurement and the estimator after it (RFC 6298 §2).
    RttSample {
        rtt: Duration,
        srtt: Duration,
        rttvar: Duration,
        rto: Duration,
    },
    /// A retransmission timeout doubled the RTO (RFC 6298 §5.5).
    RtoBackoff {
        rto: Duration,
    },
    /// A duplicate ACK (RFC 5681 §2) and how many in a row.
    DupAck {
        ack: SeqNumber,
        count: u32,
    },
    /// The peer's window changed (after scaling).
    PeerWindow {
        window: u32,
    },
    SegmentDropped {
        reason: DropReason,
    },
    ChallengeAck {
        reason: ChallengeReason,
    },
    /// A tail-loss probe (RFC 8985 §7.3) went out: new data at `seq`, or the last segment
    /// again.
    LossProbe {
        seq: SeqNumber,
        new_data: bool,
    },
    /// F-RTO (RFC 5682) found the last retransmission timeout spurious.
    SpuriousTimeout,
    /// An ACK owed to an invalid segment (out of window, PAWS, or a challenge ACK) was not
    /// sent: one went less than `invalid_ratelimit` ago (Linux `tcp_oow_rate_limited`).
    AckRateLimited,
    /// A keepalive probe went out after a silent idle time; `count` probes are now
    /// unanswered.
    KeepaliveProbe {
        count: u32,
    },
    /// The listener dropped a segment from `remote`.
    ListenDrop {
        remote: SocketAddrV4,
        reason: ListenDropReason,
    },
    /// The listener created a half-open connection for `remote`.
    HalfOpenCreated {
        remote: SocketAddrV4,
    },
    /// A half-open connection for `remote` was removed (SYN-ACK retries exhausted or reset).
    HalfOpenDropped {
        remote: SocketAddrV4,
    },
    /// A connection from `remote` completed its handshake and waits in the accept queue.
    Queued {
        remote: SocketAddrV4,
    },
    /// The SYN queue was full: the listener answered `remote`'s SYN with a SYN cookie and
    /// kept nothing (Linux logs "Possible SYN flooding on port …. Sending cookies.").
    SynCookieSent {
        remote: SocketAddrV4,
    },
    /// `remote`'s ACK carried a valid SYN cookie: the connection was re-created from it.
    SynCookieAccepted {
        remote: SocketAddrV4,
        mss: u16,
    },
}

impl fmt::Display for TcpEvent {
    /// One short line per event, for traces: `SYN_SENT -> ESTABLISHED (RcvSynAck)`,
    /// `retransmit seq 1001 len 1460 (Rto)`, `cwnd 17520 ssthresh 2147483647 (SlowStart)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TcpEvent::StateChanged { from, to, cause } => write!(f, "{from} -> {to} ({cause})"),
            TcpEvent::Error(e) => write!(f, "error: {e}"),
            TcpEvent::Retransmit { seq, len, reason } => {
                write!(f, "retransmit seq {seq} len {len} ({reason:?})")
            }
            TcpEvent::CongestionChanged {
                cwnd,
                ssthresh,
                reason,
            } => write!(f, "cwnd {cwnd} ssthresh {ssthresh} ({reason:?})"),
            TcpEvent::TimerArmed { kind, deadline } => {
                write!(f, "timer {kind:?} armed for {deadline}")
            }
            TcpEvent::TimerFired { kind } => write!(f, "timer {kind:?} fired"),
            TcpEvent::TimerCancelled { kind } => write!(f, "timer {kind:?} cancelled"),
            TcpEvent::RttSample {
                rtt,
                srtt,
                rttvar,
                rto,
            } => write!(f, "rtt {rtt} srtt {srtt} rttvar {rttvar} rto {rto}"),
            TcpEvent::RtoBackoff { rto } => write!(f, "rto backed off to {rto}"),
            TcpEvent::DupAck { ack, count } => write!(f, "dup ack {ack} #{count}"),
            TcpEvent::PeerWindow { window } => write!(f, "peer window {window}"),
            TcpEvent::SegmentDropped { reason } => write!(f, "segment dropped ({reason:?})"),
            TcpEvent::ChallengeAck { reason } => write!(f, "challenge ack ({reason:?})"),
            TcpEvent::LossProbe { seq, new_data } => {
                let what = if new_data {
                    "new data"
                } else {
                    "last segment again"
                };
                write!(f, "tail loss probe seq {seq} ({what})")
            }
            TcpEvent::SpuriousTimeout => write!(f, "timeout was spurious (F-RTO): window restored"),
            TcpEvent::AckRateLimited => write!(f, "ACK not sent: rate limit for invalid segments"),
            TcpEvent::KeepaliveProbe { count } => {
                write!(f, "keepalive probe ({count} unanswered)")
            }
            TcpEvent::ListenDrop { remote, reason } => {
                write!(f, "listener dropped segment from {remote} ({reason:?})")
            }
            TcpEvent::HalfOpenCreated { remote } => write!(f, "half-open connection from {remote}"),
            TcpEvent::HalfOpenDropped { remote } => {
                write!(f, "half-open connection from {remote} dropped")
            }
            TcpEvent::Queued { remote } => write!(f, "connection from {remote} ready to accept"),
            TcpEvent::SynCookieSent { remote } => {
                write!(f, "SYN queue full: SYN cookie sent to {remote}")
            }
            TcpEvent::SynCookieAccepted { remote, mss } => {
                write!(
                    f,
                    "valid SYN cookie from {remote}: connection rebuilt (MSS {mss})"
                )
            }
        }
    }
}

/// Where connections and listeners put what they produce. Reuse one across calls: `clear`
/// keeps the allocations, including the payload buffers of cleared segments.
#[derive(Debug)]
pub struct Output {
    /// Segments to transmit, in order.
    pub segments: Vec<TcpSegment>,
    /// Trace events, in order. Left empty when events are disabled.
    pub events: Vec<TcpEvent>,
    record_events: bool,
    spare_payloads: Vec<Vec<u8>>,
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}

impl Output {
    /// An output that records events.
    pub fn new() -> Output {
        Output {
            segments: Vec::new(),
            events: Vec::new(),
            record_events: true,
            spare_payloads: Vec::new(),
        }
    }

    /// An output that only collects segments, for bulk runs that do not trace.
    pub fn segments_only() -> Output {
        Output {
            record_events: false,
            ..Output::new()
        }
    }

    pub fn records_events(&self) -> bool {
        self.record_events
    }

    /// Empties segments and events, keeping payload buffers for reuse.
    pub fn clear(&mut self) {
        for seg in self.segments.drain(..) {
            Self::keep_spare(&mut self.spare_payloads, seg.payload);
        }
        self.events.clear();
    }

    /// Hands a payload buffer back for reuse, e.g. after a delivered segment was consumed.
    pub fn recycle(&mut self, segment: TcpSegment) {
        Self::keep_spare(&mut self.spare_payloads, segment.payload);
    }

    fn keep_spare(spares: &mut Vec<Vec<u8>>, mut payload: Vec<u8>) {
        // A bounded pool: enough for a window's worth of segments.
        if payload.capacity() > 0 && spares.len() < 256 {
            payload.clear();
            spares.push(payload);
        }
    }

    /// An empty buffer for a new segment's payload.
    pub(crate) fn take_payload(&mut self) -> Vec<u8> {
        self.spare_payloads.pop().unwrap_or_default()
    }

    pub(crate) fn event(&mut self, event: TcpEvent) {
        if self.record_events {
            self.events.push(event);
        }
    }

    pub(crate) fn push(&mut self, segment: TcpSegment) {
        self.segments.push(segment);
    }
}

/// Why `Connection::connect` refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("port 0 or unspecified/broadcast address in a connection's endpoints")]
    InvalidAddress,
}

/// Why a listener or passive open refused to create a connection from a segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("segment is not a SYN without ACK/RST")]
    NotASyn,
    #[error("port 0 or unspecified/broadcast address in a connection's endpoints")]
    InvalidAddress,
}

/// Why `send` took no data.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum SendError {
    /// The send buffer is full; try again after the peer acknowledges data.
    #[error("send buffer full")]
    WouldBlock,
    /// The connection was never opened, or is CLOSED without an error.
    #[error("not connected")]
    NotConnected,
    /// We already sent (or queued) our FIN.
    #[error("write side shut down")]
    WriteShutdown,
    #[error("{0}")]
    Failed(ConnError),
}

/// Why `recv` returned no data. End of stream is not an error: `recv` returns 0 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RecvError {
    /// Nothing to read yet; more may come.
    #[error("no data available yet")]
    WouldBlock,
    #[error("not connected")]
    NotConnected,
    #[error("{0}")]
    Failed(ConnError),
}

/// Why `close` or `shutdown_write` did nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CloseError {
    /// The connection is CLOSED (RFC 9293 §3.10.4: "connection does not exist").
    #[error("connection does not exist")]
    NotConnected,
    /// The write side is already shut down (RFC 9293: "connection closing").
    #[error("connection closing")]
    AlreadyClosing,
}
