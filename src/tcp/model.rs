//! A reference model of RFC 9293's state diagram, for checking a connection from the outside.
//!
//! Written from the RFC (§3.3.2 Figure 5 and the event processing of §3.10), not from
//! [`super::Connection`]: it knows nothing of buffers, timers or congestion control, only which
//! state changes each event may cause. Two tables:
//!
//! - [`edge_allowed`]: every `(from, to, cause)` edge the RFC has, Figure 5 plus the transitions
//!   its notes leave out (reset, abort, timeouts, a close that discards unread data).
//! - [`next_states`]: for a state and an *event* (a user call, a segment arriving, a timer
//!   expiring), the set of states the connection may be in afterwards. A segment is judged by
//!   its flags and by how its sequence and acknowledgment numbers compare with the TCB
//!   ([`Tcb`]), following the order of checks of §3.10.7.
//!
//! Where the RFC leaves a choice, the model allows each option: RFC 5961's challenge ACK or
//! RFC 793's reset for an in-window RST or SYN, ignoring or dropping an old ACK, accepting or
//! refusing a FIN at RCV.NXT in a zero window (Linux accepts it).
//!
//! [`check_step`] combines both: it takes the TCB before an event, the event, the transitions
//! the connection reported and the state it ended in, and says what is wrong, if anything.

use std::fmt;

use super::seq::SeqNumber;
use super::state::{State, TransitionCause};
use super::wire::TcpFlags;

/// A set of states.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct StateSet(u16);

impl StateSet {
    pub const EMPTY: StateSet = StateSet(0);

    fn bit(s: State) -> u16 {
        1 << (s as u16)
    }

    pub fn of(states: &[State]) -> StateSet {
        states.iter().fold(StateSet::EMPTY, |set, &s| set.with(s))
    }

    pub fn with(self, s: State) -> StateSet {
        StateSet(self.0 | Self::bit(s))
    }

    pub fn union(self, other: StateSet) -> StateSet {
        StateSet(self.0 | other.0)
    }

    pub fn contains(self, s: State) -> bool {
        self.0 & Self::bit(s) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = State> {
        State::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Debug for StateSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|s| s.name()))
            .finish()
    }
}

impl From<State> for StateSet {
    fn from(s: State) -> StateSet {
        StateSet::EMPTY.with(s)
    }
}

/// RFC 9293 Figure 5 as a table, plus the transitions its notes leave out: RST, ABORT, a
/// close discarding unread data and retransmission timeouts lead from any state to CLOSED.
pub fn edge_allowed(from: State, to: State, cause: TransitionCause) -> bool {
    use State::*;
    use TransitionCause::*;
    match (from, to, cause) {
        (Closed, SynSent, UserConnect)
        // Figure 5's "SEND" from LISTEN: the connection turns active.
        | (Listen, SynSent, UserConnect)
        | (Listen, SynReceived, RcvSyn)
        | (Listen, Closed, UserClose)
        | (SynSent, SynReceived, RcvSyn)
        | (SynSent, Established, RcvSynAck)
        | (SynSent, Closed, UserClose)
        | (SynReceived, Established, RcvAckOfSyn)
        | (SynReceived, FinWait1, UserClose)
        | (SynReceived, Listen, RcvRst)
        | (SynReceived, Listen, RcvSyn)
        | (Established, FinWait1, UserClose)
        | (Established, CloseWait, RcvFin)
        | (FinWait1, FinWait2, RcvAckOfFin)
        | (FinWait1, Closing, RcvFin)
        | (FinWait2, TimeWait, RcvFin)
        | (Closing, TimeWait, RcvAckOfFin)
        | (CloseWait, LastAck, UserClose)
        | (LastAck, Closed, RcvAckOfFin)
        | (TimeWait, Closed, TimeWaitExpired)
        // Linux's orphan rules, outside the RFC's figure: an application-closed connection
        // gives up waiting for the peer's FIN, or resets when data arrives for nobody.
        | (FinWait2, Closed, FinWait2Timeout)
        | (FinWait1 | FinWait2, Closed, AbortOnData) => true,
        (from, Closed, RcvRst | UserAbort | RetriesExhausted | UserCloseWithUnreadData) => {
            from != Closed
        }
        _ => false,
    }
}

/// What the model needs to know of a connection's TCB (RFC 9293 §3.3.1) to judge an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcb {
    pub state: State,
    /// The connection came from a passive OPEN (decides where an RST in SYN_RECEIVED leads).
    pub passive: bool,
    pub iss: SeqNumber,
    pub snd_una: SeqNumber,
    /// The highest sequence number sent plus one (SND.NXT of the RFC, which never goes back).
    pub snd_nxt: SeqNumber,
    pub rcv_nxt: SeqNumber,
    /// RCV.WND: how far beyond RCV.NXT segments are acceptable.
    pub rcv_wnd: u32,
    /// The ACK number of the last segment sent (Linux's RCV.WUP), when the connection tests
    /// acceptability as Linux's `tcp_sequence` (`TcpConfig::linux_segment_checks`): a
    /// segment ending at or after it is acceptable too. `None`: RFC 9293's test alone.
    pub rcv_wup: Option<SeqNumber>,
    /// Sequence number of our FIN, once it has been sent.
    pub fin_sent: Option<SeqNumber>,
    /// The peer sent a FIN the connection has not consumed yet, which data in this segment may
    /// bring into order.
    pub peer_fin_pending: bool,
}

/// An arriving segment, as far as the state diagram cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub flags: TcpFlags,
    pub seq: SeqNumber,
    pub ack: SeqNumber,
    /// Payload length (SYN and FIN not counted).
    pub len: u32,
}

impl Arrival {
    /// SEG.LEN: payload plus one for each of SYN and FIN.
    pub fn seg_len(&self) -> u32 {
        self.len + self.flags.syn() as u32 + self.flags.fin() as u32
    }
}

/// An event of §3.10: a user call, a segment arrival or a timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Active OPEN (§3.10.1).
    Connect,
    /// Passive OPEN.
    Listen,
    /// SEND (§3.10.2).
    Send,
    /// RECEIVE (§3.10.3).
    Receive,
    /// A half-close: CLOSE of the sending direction only (`shutdown(SHUT_WR)`).
    ShutdownWrite,
    /// CLOSE (§3.10.4). With `unread_data`, RFC 1122 §4.2.2.13 lets the connection send RST and
    /// drop to CLOSED instead.
    Close { unread_data: bool },
    /// ABORT (§3.10.5).
    Abort,
    /// SEGMENT ARRIVES (§3.10.7).
    Segment(Arrival),
    /// A timeout (§3.10.8): user timeout, retransmission timeout, TIME-WAIT timeout.
    Timeout,
}

/// The causes that may label a transition made while handling `event`.
pub fn causes(event: &Event) -> &'static [TransitionCause] {
    use TransitionCause::*;
    match event {
        Event::Connect | Event::Send => &[UserConnect],
        Event::Listen | Event::Receive => &[],
        Event::ShutdownWrite => &[UserClose],
        Event::Close { .. } => &[UserClose, UserCloseWithUnreadData],
        Event::Abort => &[UserAbort],
        Event::Segment(_) => &[
            RcvSyn,
            RcvSynAck,
            RcvAckOfSyn,
            RcvFin,
            RcvAckOfFin,
            RcvRst,
            AbortOnData,
        ],
        Event::Timeout => &[TimeWaitExpired, RetriesExhausted, FinWait2Timeout],
    }
}

/// The states a connection in `tcb.state` may be in after `event`.
pub fn next_states(tcb: &Tcb, event: &Event) -> StateSet {
    use State::*;
    let s = tcb.state;
    let same = StateSet::from(s);
    match *event {
        Event::Connect => match s {
            Closed => SynSent.into(),
            _ => same,
        },
        Event::Listen => match s {
            Closed => Listen.into(),
            _ => same,
        },
        // §3.10.2: SEND in LISTEN may turn the connection active; elsewhere it only queues
        // data or fails.
        Event::Send => match s {
            Listen => same.with(SynSent),
            _ => same,
        },
        Event::Receive => same,
        Event::ShutdownWrite | Event::Close { .. } => {
            let orderly = match s {
                Listen | SynSent => Closed.into(),
                SynReceived | Established => FinWait1.into(),
                CloseWait => LastAck.into(),
                _ => same,
            };
            match *event {
                // Only CLOSE takes the read side down; SHUT_WR keeps it.
                Event::ShutdownWrite => match s {
                    // Linux `tcp_shutdown` of a connection still in SYN_SENT.
                    SynSent => orderly,
                    Listen => same,
                    _ => orderly,
                },
                Event::Close { unread_data: true } if s != Closed => {
                    orderly.union(same).with(Closed)
                }
                _ => orderly,
            }
        }
        Event::Abort => Closed.into(),
        Event::Timeout => match s {
            Closed | Listen => same,
            _ => same.with(Closed),
        },
        Event::Segment(seg) => segment_arrives(tcb, &seg),
    }
}

/// Sequence number acceptability (§3.10.7.4 first check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Acceptable {
    Yes,
    No,
    /// Only by the zero-window allowance: "valid ACKs, URGs, and RSTs" (and FINs, as Linux).
    ZeroWindow,
}

fn acceptability(tcb: &Tcb, seg: &Arrival) -> Acceptable {
    let (nxt, wnd) = (tcb.rcv_nxt, tcb.rcv_wnd);
    let end = nxt + wnd;
    let in_window = |x: SeqNumber| nxt <= x && x < end;
    let ok = match (seg.seg_len(), wnd) {
        (0, 0) => seg.seq == nxt,
        (0, _) => in_window(seg.seq),
        (_, 0) => false,
        (len, _) => in_window(seg.seq) || in_window(seg.seq + (len - 1)),
    };
    let linux_ok = tcb
        .rcv_wup
        .is_some_and(|wup| wup <= seg.seq + seg.seg_len() && seg.seq <= end);
    if ok || linux_ok {
        Acceptable::Yes
    } else if wnd == 0 && seg.seq == nxt {
        Acceptable::ZeroWindow
    } else {
        Acceptable::No
    }
}

/// Where a state goes when the peer's FIN is consumed (§3.10.7.4 eighth check).
fn after_fin(s: State) -> State {
    match s {
        State::SynReceived | State::Established => State::CloseWait,
        State::FinWait1 => State::Closing,
        State::FinWait2 => State::TimeWait,
        other => other,
    }
}

/// RFC 1122 §4.2.2.13: data arriving after the application's CLOSE may be answered with RST
/// and the connection dropped (Linux does; the model cannot tell CLOSE from a half-close, so
/// it allows CLOSED after any data in FIN_WAIT_1/2).
fn segment_arrives(tcb: &Tcb, seg: &Arrival) -> StateSet {
    let out = segment_arrives_rfc(tcb, seg);
    if seg.len > 0 && matches!(tcb.state, State::FinWait1 | State::FinWait2) {
        out.with(State::Closed)
    } else {
        out
    }
}

fn segment_arrives_rfc(tcb: &Tcb, seg: &Arrival) -> StateSet {
    use State::*;
    let s = tcb.state;
    let same = StateSet::from(s);
    let f = seg.flags;
    match s {
        // §3.10.7.1: a reset goes back (unless this is one); no state change.
        Closed => same,
        // §3.10.7.2: only a SYN (without RST or ACK) opens.
        Listen => {
            if f.syn() && !f.rst() && !f.ack() {
                same.with(SynReceived)
            } else {
                same
            }
        }
        // §3.10.7.3.
        SynSent => {
            let ack_ok = tcb.iss < seg.ack && seg.ack <= tcb.snd_nxt;
            if f.ack() && !ack_ok {
                return same;
            }
            if f.rst() {
                return if f.ack() { Closed.into() } else { same };
            }
            if !f.syn() {
                return same;
            }
            if f.ack() {
                // Data and FIN of a SYN,ACK are processed from the sixth step on; a FIN is
                // consumed only if the data before it fits the window.
                if f.fin() {
                    StateSet::of(&[Established, CloseWait])
                } else {
                    Established.into()
                }
            } else {
                SynReceived.into()
            }
        }
        _ => synchronized(tcb, seg),
    }
}

/// §3.10.7.4: SYN-RECEIVED and the synchronized states.
fn synchronized(tcb: &Tcb, seg: &Arrival) -> StateSet {
    use State::*;
    let s = tcb.state;
    let same = StateSet::from(s);
    let f = seg.flags;
    let mut out = StateSet::EMPTY;

    // Simultaneous open (§3.5 Figure 7): in SYN-RECEIVED reached from SYN-SENT, the peer's
    // SYN,ACK acknowledging our SYN completes the handshake.
    if s == SynReceived
        && !tcb.passive
        && f.syn()
        && f.ack()
        && !f.rst()
        && tcb.snd_una < seg.ack
        && seg.ack <= tcb.snd_nxt
    {
        out = out.with(Established);
        if f.fin() {
            out = out.with(CloseWait);
        }
    }

    // First: sequence number.
    let acceptable = acceptability(tcb, seg);
    if acceptable == Acceptable::No {
        return out.union(same);
    }
    if acceptable == Acceptable::ZeroWindow {
        // Dropping it is always allowed.
        out = out.union(same);
    }

    // Second: RST. RFC 5961 §3.2: exactly at RCV.NXT resets; elsewhere in the window a
    // challenge ACK (RFC 793 reset it).
    if f.rst() {
        let reset_to = if s == SynReceived && tcb.passive {
            Listen
        } else {
            Closed
        };
        return if seg.seq == tcb.rcv_nxt {
            out.with(reset_to)
        } else {
            out.union(same).with(reset_to)
        };
    }

    // Fourth: SYN. A passively opened SYN-RECEIVED goes back to LISTEN; otherwise a challenge
    // ACK (RFC 5961 §4.2) or a reset (RFC 793).
    if f.syn() {
        return if s == SynReceived && tcb.passive {
            out.union(same).with(Listen)
        } else {
            out.union(same).with(Closed)
        };
    }

    // Fifth: ACK.
    if !f.ack() {
        return out.union(same);
    }
    let ack = seg.ack;
    let mut s1 = s;
    if s == SynReceived {
        if tcb.snd_una < ack && ack <= tcb.snd_nxt {
            s1 = Established;
        } else {
            // Not acceptable: a reset goes back, the segment is dropped.
            return out.union(same);
        }
    }
    if ack > tcb.snd_nxt {
        // Acknowledges something not yet sent: ACK back and drop.
        return out.union(same);
    }
    if ack < tcb.snd_una {
        // A duplicate: RFC 9293 ignores the ACK and goes on; RFC 5961 §5.2 drops segments
        // whose ACK is older than the window it could be from. Either may happen.
        out = out.with(s1);
    }
    let fin_acked = tcb.fin_sent.is_some_and(|fin| fin < ack);
    let s2 = match s1 {
        FinWait1 if fin_acked => FinWait2,
        Closing if fin_acked => TimeWait,
        LastAck if fin_acked => return out.with(Closed),
        other => other,
    };

    // Eighth: FIN. Consumed when everything before it has arrived: this segment's own FIN, or
    // one that arrived earlier out of order and which this segment's data completes.
    let fin_possible = f.fin() || tcb.peer_fin_pending;
    let fin_in_order = f.fin()
        && acceptable == Acceptable::Yes
        && seg.seq == tcb.rcv_nxt
        && seg.len <= tcb.rcv_wnd
        && ack >= tcb.snd_una;
    if fin_in_order {
        out.with(after_fin(s2))
    } else if fin_possible {
        out.with(s2).with(after_fin(s2))
    } else {
        out.with(s2)
    }
}

/// Checks one step of a connection against the model: the transitions it reported while
/// handling `event` (in order) must chain from `before.state`, each must be an RFC edge
/// labelled with a cause this kind of event can have, and the state it ends in must be one the
/// model allows. Returns a description of the first violation.
pub fn check_step(
    before: &Tcb,
    event: &Event,
    transitions: &[(State, State, TransitionCause)],
    after: State,
) -> Result<(), String> {
    let mut at = before.state;
    for &(from, to, cause) in transitions {
        if from != at {
            return Err(format!(
                "transition {from} -> {to} ({cause}) does not start from the current state {at}"
            ));
        }
        if !edge_allowed(from, to, cause) {
            return Err(format!("not an RFC 9293 edge: {from} -> {to} ({cause})"));
        }
        if !causes(event).contains(&cause) {
            return Err(format!(
                "{from} -> {to} ({cause}) cannot be caused by {event:?}"
            ));
        }
        at = to;
    }
    if at != after {
        return Err(format!(
            "reported transitions end in {at} but the connection is in {after}"
        ));
    }
    let allowed = next_states(before, event);
    if !allowed.contains(after) {
        return Err(format!(
            "{} + {event:?} must lead to one of {allowed:?}, not {after} (TCB before: {before:?})",
            before.state
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tcb(state: State) -> Tcb {
        Tcb {
            state,
            passive: false,
            iss: SeqNumber(1000),
            snd_una: SeqNumber(1001),
            snd_nxt: SeqNumber(1001),
            rcv_nxt: SeqNumber(5001),
            rcv_wnd: 1000,
            rcv_wup: None,
            fin_sent: None,
            peer_fin_pending: false,
        }
    }

    fn seg(flags: TcpFlags, seq: u32, ack: u32, len: u32) -> Event {
        Event::Segment(Arrival {
            flags,
            seq: SeqNumber(seq),
            ack: SeqNumber(ack),
            len,
        })
    }

    #[test]
    fn figure_5_happy_paths() {
        use State::*;
        let mut t = tcb(SynSent);
        t.snd_una = SeqNumber(1000);
        t.rcv_nxt = SeqNumber(0);
        t.rcv_wnd = 0;
        let syn_ack = seg(TcpFlags::SYN | TcpFlags::ACK, 5000, 1001, 0);
        assert_eq!(next_states(&t, &syn_ack), Established.into());
        let syn = seg(TcpFlags::SYN, 5000, 0, 0);
        assert_eq!(next_states(&t, &syn), SynReceived.into());
        let est = tcb(Established);
        let fin = seg(TcpFlags::FIN | TcpFlags::ACK, 5001, 1001, 0);
        assert_eq!(next_states(&est, &fin), CloseWait.into());
        let mut fw1 = tcb(FinWait1);
        fw1.snd_nxt = SeqNumber(1002);
        fw1.fin_sent = Some(SeqNumber(1001));
        let ack_of_fin = seg(TcpFlags::ACK, 5001, 1002, 0);
        assert_eq!(next_states(&fw1, &ack_of_fin), FinWait2.into());
        let fin_ack_of_fin = seg(TcpFlags::FIN | TcpFlags::ACK, 5001, 1002, 0);
        assert_eq!(next_states(&fw1, &fin_ack_of_fin), TimeWait.into());
        assert_eq!(next_states(&fw1, &fin), Closing.into());
        let mut la = fw1;
        la.state = LastAck;
        assert_eq!(next_states(&la, &ack_of_fin), Closed.into());
    }

    #[test]
    fn resets_follow_rfc_5961() {
        use State::*;
        let est = tcb(Established);
        assert_eq!(
            next_states(&est, &seg(TcpFlags::RST, 5001, 0, 0)),
            Closed.into()
        );
        assert_eq!(
            next_states(&est, &seg(TcpFlags::RST, 5100, 0, 0)),
            StateSet::of(&[Established, Closed])
        );
        assert_eq!(
            next_states(&est, &seg(TcpFlags::RST, 9000, 0, 0)),
            Established.into()
        );
        let mut passive = tcb(SynReceived);
        passive.passive = true;
        assert_eq!(
            next_states(&passive, &seg(TcpFlags::RST, 5001, 0, 0)),
            Listen.into()
        );
    }

    #[test]
    fn user_calls() {
        use State::*;
        assert_eq!(next_states(&tcb(Closed), &Event::Connect), SynSent.into());
        assert_eq!(next_states(&tcb(Established), &Event::Abort), Closed.into());
        assert_eq!(
            next_states(&tcb(CloseWait), &Event::Close { unread_data: false }),
            LastAck.into()
        );
        assert_eq!(
            next_states(&tcb(Established), &Event::Close { unread_data: true }),
            StateSet::of(&[Established, FinWait1, Closed])
        );
        assert_eq!(
            next_states(&tcb(FinWait2), &Event::ShutdownWrite),
            FinWait2.into()
        );
        assert_eq!(
            next_states(&tcb(TimeWait), &Event::Timeout),
            StateSet::of(&[TimeWait, Closed])
        );
    }

    #[test]
    fn check_step_reports_a_wrong_cause_and_a_broken_chain() {
        use State::*;
        use TransitionCause::*;
        let est = tcb(Established);
        let fin = seg(TcpFlags::FIN | TcpFlags::ACK, 5001, 1001, 0);
        assert!(check_step(&est, &fin, &[(Established, CloseWait, RcvFin)], CloseWait).is_ok());
        assert!(check_step(
            &est,
            &fin,
            &[(Established, CloseWait, UserClose)],
            CloseWait
        )
        .unwrap_err()
        .contains("not an RFC 9293 edge"));
        assert!(check_step(&est, &fin, &[], Established)
            .unwrap_err()
            .contains("must lead to one of"));
        assert!(
            check_step(&est, &fin, &[(FinWait1, Closing, RcvFin)], Closing)
                .unwrap_err()
                .contains("does not start")
        );
    }

    fn any_state() -> impl Strategy<Value = State> {
        (0usize..State::ALL.len()).prop_map(|i| State::ALL[i])
    }

    fn any_event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::Connect),
            Just(Event::Listen),
            Just(Event::Send),
            Just(Event::Receive),
            Just(Event::ShutdownWrite),
            any::<bool>().prop_map(|u| Event::Close { unread_data: u }),
            Just(Event::Abort),
            Just(Event::Timeout),
            (any::<u8>(), any::<u32>(), any::<u32>(), 0u32..3000).prop_map(
                |(flags, seq, ack, len)| Event::Segment(Arrival {
                    flags: TcpFlags::from_bits(flags),
                    seq: SeqNumber(seq),
                    ack: SeqNumber(ack),
                    len,
                })
            ),
        ]
    }

    proptest! {
        /// The two tables agree: every state change the event table allows can be made along
        /// RFC edges with a cause that event can have (directly, or for a segment also in two
        /// steps, as FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT), and the table never allows
        /// nothing.
        #[test]
        fn event_table_only_allows_rfc_edges(
            state in any_state(),
            passive: bool,
            iss: u32, una_off in 0u32..3, nxt_off in 0u32..3,
            rcv_nxt: u32, rcv_wnd in prop_oneof![Just(0u32), 1u32..100_000],
            fin: Option<u32>,
            pending: bool,
            event in any_event(),
        ) {
            let iss = SeqNumber(iss);
            let t = Tcb {
                state, passive, iss,
                snd_una: iss + una_off,
                snd_nxt: iss + una_off + nxt_off,
                rcv_nxt: SeqNumber(rcv_nxt),
                rcv_wnd,
                rcv_wup: None,
                fin_sent: fin.map(SeqNumber),
                peer_fin_pending: pending,
            };
            let allowed = next_states(&t, &event);
            prop_assert!(!allowed.is_empty());
            for to in allowed.iter() {
                // A passive OPEN makes a `Listener`, not a connection that reports CLOSED ->
                // LISTEN, so no cause names that edge.
                if to == state || event == Event::Listen {
                    continue;
                }
                let one_step = causes(&event).iter().any(|&c| edge_allowed(state, to, c));
                let two_steps = State::ALL.iter().any(|&mid| {
                    causes(&event).iter().any(|&c1| edge_allowed(state, mid, c1))
                        && causes(&event).iter().any(|&c2| edge_allowed(mid, to, c2))
                });
                prop_assert!(one_step || two_steps, "{state} + {event:?} -> {to} has no RFC path");
            }
        }
    }
}
