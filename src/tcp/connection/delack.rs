//! When received data is acknowledged at once and when the ACK waits: quick ACKs, and Linux's
//! interactive ("pingpong") mode with its ACK on reading small segments.
//!
//! RFC 1122 §4.2.3.2 lets a receiver delay an ACK (at most 500 ms, and not past every second
//! full-sized segment); which segments Linux delays is its own heuristic (`tcp_input.c`
//! `tcp_event_data_recv`, `__tcp_ack_snd_check`, `tcp_in_quickack_mode`; `tcp_output.c`
//! `tcp_event_data_sent`; `tcp.c` `__tcp_cleanup_rbuf`; `tcp_timer.c`
//! `tcp_delack_timer_handler`). This is that heuristic, sans-IO: the connection tells it what
//! happened and asks what to do. Linux's adaptive `ato` is taken as its 40 ms floor
//! (`TCP_ATO_MIN`, the `delayed_ack` setting), which is where it stays for round trips under
//! 40 ms.
//!
//! Seen on Linux 6.18 (`../shared/anchors/linux/f_delayed_ack_reqresp.pcap`, ORACLES.md §3.2
//! (f)): the first request of a request/response exchange is ACKed at once by a pure ACK; from
//! the second on, the server is interactive and its response carries the ACK.

use crate::time::{Duration, Instant};

/// The receiver's ACK-timing state.
#[derive(Debug, Clone)]
pub(super) struct AckTiming {
    /// Linux's heuristics are on (the `linux` profile); off, only the quick ACKs at the start
    /// apply.
    linux: bool,
    /// The quick-ACK budget a fresh or long-idle connection gets (`TCP_MAX_QUICKACKS`).
    quick_budget: u32,
    /// Data segments still to be acknowledged at once (`icsk_ack.quick`).
    quick_left: u32,
    /// Interactive mode (`icsk_ack.pingpong` at `tcp_pingpong_thresh` = 1): entered when we
    /// send data within `ato` of receiving some, or receive a FIN; quick ACKs are off while
    /// in it, hoping the next ACK rides on our data.
    interactive: bool,
    /// When data last arrived (`icsk_ack.lrcvtime`); `None` until the first data, when
    /// Linux's `ato` is still 0.
    last_data_at: Option<Instant>,
    /// Segments shorter than a full one since our last ACK, up to 2 (`ICSK_ACK_PUSHED`,
    /// `ICSK_ACK_PUSHED2`).
    small_since_ack: u8,
}

impl AckTiming {
    pub(super) fn new(linux: bool, quick_budget: u32) -> AckTiming {
        AckTiming {
            linux,
            quick_budget,
            // Linux grants the quick ACKs with the first in-order data (`tcp_event_data_recv`
            // while `ato` is 0), not before: out-of-order segments before it get none.
            quick_left: if linux { 0 } else { quick_budget },
            interactive: false,
            last_data_at: None,
            small_since_ack: 0,
        }
    }

    /// Our SYN was answered while a writer waits for the connection (Linux
    /// `tcp_rcv_synsent_state_process` with `sk_write_pending`): the ACK is delayed to ride
    /// on the data (`tcp_enter_quickack_mode` starts `ato`, and `lrcvtime` is now), so data
    /// sent at once makes the connection interactive.
    pub(super) fn syn_ack_while_writer_waits(&mut self, now: Instant) {
        if self.linux {
            self.quick_left = self.quick_left.max(self.quick_budget);
            self.last_data_at = Some(now);
        }
    }

    /// In-order data of `len` bytes arrived; `full` is the size of a full segment
    /// (`rcv_mss`) and `rto` the current retransmission timeout.
    pub(super) fn data_arrived(&mut self, now: Instant, len: u32, full: u32, rto: Duration) {
        if !self.linux {
            return;
        }
        // A gap longer than the RTO: the sender restarts, so ACK quickly again
        // (`tcp_event_data_recv` → `tcp_incr_quickack`).
        match self.last_data_at {
            None => self.quick_left = self.quick_left.max(self.quick_budget),
            Some(last) if now.saturating_since(last) > rto => {
                self.quick_left = self.quick_left.max(self.quick_budget);
            }
            Some(_) => {}
        }
        self.last_data_at = Some(now);
        if len < full {
            self.small_since_ack = (self.small_since_ack + 1).min(2);
        }
    }

    /// The offered window grew on this segment: ACK it at once to tell the sender
    /// (`tcp_grow_window` sets `icsk_ack.quick |= 1`).
    pub(super) fn window_grew(&mut self) {
        if self.linux {
            self.quick_left |= 1;
        }
    }

    /// Whether this data segment is acknowledged at once as a quick ACK, spending one.
    pub(super) fn take_quick_ack(&mut self) -> bool {
        if self.quick_left > 0 && !self.interactive {
            self.quick_left -= 1;
            true
        } else {
            false
        }
    }

    /// We sent a segment carrying data: a reply within `ato` of the last data received makes
    /// the connection interactive (`tcp_event_data_sent`).
    pub(super) fn data_sent(&mut self, now: Instant, ato: Duration) {
        if let Some(last) = self.last_data_at {
            if now.saturating_since(last) < ato {
                self.interactive = true;
            }
        }
    }

    /// We sent an ACK of everything received (`tcp_event_ack_sent` clears the pending flags).
    pub(super) fn ack_sent(&mut self) {
        self.small_since_ack = 0;
    }

    /// The delayed-ACK timer fired: the peer did not get its ACK on our data, so interactive
    /// mode was a wrong guess (`tcp_delack_timer_handler`).
    pub(super) fn delayed_ack_fired(&mut self) {
        self.interactive = false;
    }

    /// The peer's FIN arrived in ESTABLISHED: Linux goes interactive, hoping the ACK rides on
    /// our own FIN (`tcp_fin`).
    pub(super) fn fin_arrived(&mut self) {
        if self.linux {
            self.interactive = true;
        }
    }

    /// Data we already had, or data outside the window, arrived: the peer missed our ACK, so
    /// ACK quickly and leave interactive mode (`tcp_data_queue` → `tcp_enter_quickack_mode`).
    pub(super) fn stale_data_arrived(&mut self) {
        if self.linux {
            self.interactive = false;
            self.quick_left = self.quick_left.max(self.quick_budget);
        }
    }

    /// `TCP_QUICKACK` sets or clears interactive mode (`__tcp_sock_set_quickack`).
    pub(super) fn set_interactive(&mut self, on: bool) {
        self.interactive = on;
    }

    /// `TCP_QUICKACK` with an ACK pending: what is pending counts as a small segment
    /// (`ICSK_ACK_PUSHED`).
    pub(super) fn mark_pushed(&mut self) {
        self.small_since_ack = self.small_since_ack.max(1);
    }

    /// The application has just read everything queued while an ACK is pending: ACK now if a
    /// small segment is among what it read and the connection is not interactive, or two
    /// small segments are, whatever the mode (`__tcp_cleanup_rbuf`).
    pub(super) fn ack_on_read(&self) -> bool {
        self.linux
            && (self.small_since_ack >= 2 || (self.small_since_ack == 1 && !self.interactive))
    }

    #[cfg(test)]
    fn interactive(&self) -> bool {
        self.interactive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATO: Duration = Duration::from_millis(40);
    const RTO: Duration = Duration::from_millis(200);

    fn at(ms: u64) -> Instant {
        Instant::from_nanos(ms * 1_000_000)
    }

    #[test]
    fn a_reply_within_ato_makes_the_connection_interactive_and_stops_quick_acks() {
        let mut t = AckTiming::new(true, 16);
        t.data_arrived(at(0), 10, 1448, RTO);
        assert!(t.take_quick_ack());
        t.data_sent(at(1), ATO);
        assert!(t.interactive());
        t.data_arrived(at(100), 10, 1448, RTO);
        assert!(
            !t.take_quick_ack(),
            "the second request waits for the response"
        );
    }

    #[test]
    fn data_sent_long_after_the_last_arrival_is_not_a_reply() {
        let mut t = AckTiming::new(true, 16);
        t.data_sent(at(0), ATO); // nothing received yet: ato is still 0 in Linux
        assert!(!t.interactive());
        t.data_arrived(at(0), 10, 1448, RTO);
        t.data_sent(at(40), ATO);
        assert!(!t.interactive());
    }

    #[test]
    fn reading_one_small_segment_acks_unless_interactive_and_two_always_do() {
        let mut t = AckTiming::new(true, 0);
        t.data_arrived(at(0), 1448, 1448, RTO);
        assert!(!t.ack_on_read(), "a full segment waits for the second");
        t.data_arrived(at(1), 1, 1448, RTO);
        assert!(t.ack_on_read());
        t.ack_sent();
        assert!(!t.ack_on_read());
        t.data_sent(at(2), ATO);
        t.data_arrived(at(3), 1, 1448, RTO);
        assert!(!t.ack_on_read(), "interactive: one small segment waits");
        t.data_arrived(at(4), 1, 1448, RTO);
        assert!(
            t.ack_on_read(),
            "two small segments are acknowledged on read"
        );
    }

    #[test]
    fn a_missed_delayed_ack_or_stale_data_leaves_interactive_mode() {
        let mut t = AckTiming::new(true, 16);
        t.data_arrived(at(0), 10, 1448, RTO);
        t.data_sent(at(0), ATO);
        t.delayed_ack_fired();
        assert!(!t.interactive());
        t.fin_arrived();
        assert!(t.interactive());
        t.stale_data_arrived();
        assert!(!t.interactive());
    }

    #[test]
    fn quick_acks_come_back_after_an_idle_gap_longer_than_the_rto() {
        let mut t = AckTiming::new(true, 2);
        for ms in 0..3 {
            t.data_arrived(at(ms), 1448, 1448, RTO);
            t.take_quick_ack();
        }
        assert!(!t.take_quick_ack());
        t.data_arrived(at(500), 1448, 1448, RTO);
        assert!(t.take_quick_ack());
    }

    #[test]
    fn the_textbook_receiver_has_only_the_quick_acks_at_the_start() {
        let mut t = AckTiming::new(false, 1);
        t.data_arrived(at(0), 1, 1448, RTO);
        t.data_sent(at(0), ATO);
        t.fin_arrived();
        assert!(!t.interactive());
        assert!(!t.ack_on_read());
        assert!(t.take_quick_ack());
        assert!(!t.take_quick_ack());
    }

    #[test]
    fn a_growing_window_acks_at_once_without_spending_the_quick_acks() {
        let mut t = AckTiming::new(true, 2);
        // The quick ACKs come with the first in-order data.
        assert!(!t.take_quick_ack());
        t.data_arrived(at(0), 1448, 1448, RTO);
        for _ in 0..10 {
            t.window_grew();
            assert!(t.take_quick_ack());
        }
        // The budget of 2 is still there once the window stops growing.
        assert!(t.take_quick_ack());
        assert!(t.take_quick_ack());
        assert!(!t.take_quick_ack());
        // The textbook receiver knows nothing of it.
        let mut t = AckTiming::new(false, 0);
        t.window_grew();
        assert!(!t.take_quick_ack());
    }
}
