//! The eleven states of RFC 9293 §3.3.2 and the causes of moving between them.

use std::fmt;

/// A connection state (RFC 9293 §3.3.2, Figure 5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl State {
    /// Every state, in the RFC's order of introduction.
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// The RFC's name, as `netstat`/`ss` print it.
    pub const fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN_SENT",
            State::SynReceived => "SYN_RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN_WAIT_1",
            State::FinWait2 => "FIN_WAIT_2",
            State::CloseWait => "CLOSE_WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST_ACK",
            State::TimeWait => "TIME_WAIT",
        }
    }

    /// States in which both sides' initial sequence numbers are known (RFC 9293 §3.10.7.4
    /// "synchronized states"), including SYN_RECEIVED for the purpose of segment checks.
    pub const fn is_synchronized(self) -> bool {
        !matches!(self, State::Closed | State::Listen | State::SynSent)
    }

    /// States in which we may still send new data.
    pub const fn can_send(self) -> bool {
        matches!(
            self,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        )
    }

    /// States in which new data from the peer is still accepted (no FIN received yet).
    pub const fn can_receive(self) -> bool {
        matches!(
            self,
            State::SynReceived | State::Established | State::FinWait1 | State::FinWait2
        )
    }
}

impl State {
    /// A state by any of its usual names: netlab's (`SYN_RECEIVED`), BSD `netstat`'s
    /// (`SYN_RCVD`), Linux's `/proc/net/tcp` and `ss` names (`SYN_RECV`, `SYN-RECV`, `ESTAB`,
    /// `CLOSE`), RFC 9293's (`SYN-RECEIVED`); case, `-`, `_` and spaces do not matter.
    pub fn from_name(name: &str) -> Option<State> {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Some(match key.as_str() {
            "CLOSED" | "CLOSE" => State::Closed,
            "LISTEN" => State::Listen,
            "SYNSENT" => State::SynSent,
            "SYNRECEIVED" | "SYNRECV" | "SYNRCVD" => State::SynReceived,
            "ESTABLISHED" | "ESTAB" => State::Established,
            "FINWAIT1" => State::FinWait1,
            "FINWAIT2" => State::FinWait2,
            "CLOSEWAIT" => State::CloseWait,
            "CLOSING" => State::Closing,
            "LASTACK" => State::LastAck,
            "TIMEWAIT" => State::TimeWait,
            _ => return None,
        })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What caused a state transition: the event labels of RFC 9293's Figure 5, plus the
/// transitions the figure leaves out for clarity (reset, abort, timeouts; see its notes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum TransitionCause {
    /// The application's active OPEN: CLOSED → SYN_SENT.
    UserConnect,
    /// A SYN arrived: LISTEN → SYN_RECEIVED, SYN_SENT → SYN_RECEIVED (simultaneous open), or
    /// SYN_RECEIVED → LISTEN (an in-window SYN on a passively opened connection, §3.10.7.4).
    RcvSyn,
    /// A SYN,ACK acknowledging our SYN arrived: SYN_SENT → ESTABLISHED.
    RcvSynAck,
    /// The ACK of our SYN arrived: SYN_RECEIVED → ESTABLISHED.
    RcvAckOfSyn,
    /// The peer's FIN arrived: ESTABLISHED → CLOSE_WAIT, FIN_WAIT_1 → CLOSING,
    /// FIN_WAIT_2 → TIME_WAIT. A FIN that also acknowledges our FIN (note 2 of Figure 5)
    /// passes FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT in one segment, as the §3.10.7.4 steps and
    /// Linux do.
    RcvFin,
    /// The ACK of our FIN arrived: FIN_WAIT_1 → FIN_WAIT_2, CLOSING → TIME_WAIT,
    /// LAST_ACK → CLOSED.
    RcvAckOfFin,
    /// The application's CLOSE: SYN_RECEIVED/ESTABLISHED → FIN_WAIT_1, CLOSE_WAIT → LAST_ACK,
    /// SYN_SENT/LISTEN → CLOSED.
    UserClose,
    /// CLOSE with received data the application never read: RST instead of FIN, → CLOSED
    /// (RFC 2525 §2.17, Linux `tcp_close`).
    UserCloseWithUnreadData,
    /// The application's ABORT (§3.10.5): any state → CLOSED.
    UserAbort,
    /// An acceptable RST arrived: → CLOSED, or SYN_RECEIVED → LISTEN when passively opened.
    RcvRst,
    /// The 2*MSL timer ran out: TIME_WAIT → CLOSED.
    TimeWaitExpired,
    /// Retransmissions (SYN, SYN-ACK, data, FIN, window or keepalive probes) went unanswered
    /// too often, or for longer than the user timeout: → CLOSED with a timeout.
    RetriesExhausted,
    /// An orphaned connection (its application closed it) waited `tcp_fin_timeout` in
    /// FIN_WAIT_2 for the peer's FIN: FIN_WAIT_2 → CLOSED, silently (Linux).
    FinWait2Timeout,
    /// An orphaned connection in FIN_WAIT_1/2 received new data nobody will read: it answers
    /// with RST, → CLOSED (Linux `TCPAbortOnData`).
    AbortOnData,
}

impl TransitionCause {
    /// The cause in words, for pictures (`ACK of our SYN received`); `Display` keeps the
    /// identifier the trace and its filters use (`RcvAckOfSyn`).
    pub fn words(self) -> &'static str {
        match self {
            TransitionCause::UserConnect => "connect() called",
            TransitionCause::RcvSyn => "SYN received",
            TransitionCause::RcvSynAck => "SYN-ACK received",
            TransitionCause::RcvAckOfSyn => "ACK of our SYN received",
            TransitionCause::RcvFin => "FIN received",
            TransitionCause::RcvAckOfFin => "ACK of our FIN received",
            TransitionCause::UserClose => "close() called",
            TransitionCause::UserCloseWithUnreadData => "close() with unread data: RST sent",
            TransitionCause::UserAbort => "aborted: RST sent",
            TransitionCause::RcvRst => "RST received",
            TransitionCause::TimeWaitExpired => "2·MSL timer expired",
            TransitionCause::RetriesExhausted => "retransmissions gave up",
            TransitionCause::FinWait2Timeout => "FIN_WAIT_2 timeout (orphan)",
            TransitionCause::AbortOnData => "data after close: RST sent",
        }
    }
}

impl fmt::Display for TransitionCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_by_their_usual_names() {
        for n in [
            "SYN_RCVD",
            "SYN-RECV",
            "syn_recv",
            "SYN_RECEIVED",
            "SYN-RECEIVED",
        ] {
            assert_eq!(State::from_name(n), Some(State::SynReceived), "{n}");
        }
        assert_eq!(State::from_name("ESTAB"), Some(State::Established));
        assert_eq!(State::from_name("FIN-WAIT-1"), Some(State::FinWait1));
        assert_eq!(State::from_name("time-wait"), Some(State::TimeWait));
        assert_eq!(State::from_name("CLOSE"), Some(State::Closed));
        assert_eq!(State::from_name("SYN"), None);
        for s in State::ALL {
            assert_eq!(State::from_name(s.name()), Some(s));
        }
    }

    #[test]
    fn displays_rfc_names() {
        let names: Vec<String> = State::ALL.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names,
            [
                "CLOSED",
                "LISTEN",
                "SYN_SENT",
                "SYN_RECEIVED",
                "ESTABLISHED",
                "FIN_WAIT_1",
                "FIN_WAIT_2",
                "CLOSE_WAIT",
                "CLOSING",
                "LAST_ACK",
                "TIME_WAIT"
            ]
        );
    }
}
