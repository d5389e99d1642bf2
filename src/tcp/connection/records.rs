//! What a write says about how its bytes may be cut into segments, as Linux's `tcp_sendmsg`
//! and `tcp_push` treat it:
//! - `MSG_MORE` (and `TCP_CORK`): more is coming, so a partial last segment waits (Linux
//!   `TCP_NAGLE_CORK`) and the write's end is not a push point (no PSH);
//! - `MSG_EOR`: the write ends a record; later data is never put in the same segment or
//!   packet (Linux's `TCP_SKB_CB(skb)->eor` stops coalescing), and the record's last segment
//!   carries PSH, wherever it sits in the queue;
//! - setting `TCP_NODELAY`, or clearing `TCP_CORK`, sends what waits at once (`TCP_NAGLE_PUSH`).
//!
//! Measured against Linux 6.18 with upstream packetdrill's `eor/no-coalesce-*.pkt` and
//! `nagle/sockopt_cork_nodelay.pkt` (they pass on this machine's kernel and on netlab).

use std::collections::VecDeque;

use super::Connection;
use crate::tcp::event::Output;
use crate::tcp::seq::SeqNumber;
use crate::time::Instant;

/// The `send()` flags that shape segments (Linux's values: `MSG_EOR` 0x80, `MSG_MORE` 0x8000).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SendFlags {
    /// `MSG_MORE`: the application has more to send right away.
    pub more: bool,
    /// `MSG_EOR`: this write ends a record.
    pub eor: bool,
}

/// Per-connection state of write boundaries.
#[derive(Clone, Debug, Default)]
pub(super) struct Records {
    /// `TCP_CORK` is set.
    pub cork: bool,
    /// The last write was `MSG_MORE`: a partial last segment waits until a write without it,
    /// `TCP_NODELAY`, or an ACK of new data (Linux's `tcp_data_snd_check` then pushes with
    /// the socket's own Nagle setting, which no longer knows of the MSG_MORE).
    pub more_held: bool,
    /// `TCP_NODELAY` was just set or `TCP_CORK` cleared: nothing waits this time.
    pub push_now: bool,
    /// The queue's last write was `MSG_MORE`: its end is no push point.
    pub tail_unpushed: bool,
    /// Ends of records (`MSG_EOR` writes) not yet acknowledged, in order.
    ends: VecDeque<SeqNumber>,
}

impl Records {
    /// The end of the first record that ends after `from`, forgetting those at or below
    /// `una` (acknowledged).
    pub fn next_end(&mut self, una: SeqNumber, from: SeqNumber) -> Option<SeqNumber> {
        while self.ends.front().is_some_and(|&e| e <= una) {
            self.ends.pop_front();
        }
        // The ends are in order: a binary search keeps many small records linear.
        let i = self.ends.partition_point(|&e| e <= from);
        self.ends.get(i).copied()
    }

    /// A partial last segment must wait: corked, or a MSG_MORE write holds it.
    pub fn hold_partial(&self) -> bool {
        !self.push_now && (self.cork || self.more_held)
    }
}

impl Connection {
    /// `send` with flags: queues `data` as [`Connection::send`] does; `MSG_MORE` holds a
    /// partial segment and sets no PSH, `MSG_EOR` ends a record.
    pub fn send_with_flags(
        &mut self,
        now: Instant,
        data: &[u8],
        flags: SendFlags,
        out: &mut Output,
    ) -> Result<usize, crate::tcp::SendError> {
        self.send_queued_write(now, data, flags, out)
    }

    /// Notes a write's boundary once its bytes are queued: `taken` of `offered`.
    pub(super) fn note_write(&mut self, taken: usize, offered: usize, flags: SendFlags) {
        self.records.tail_unpushed = flags.more;
        self.records.more_held = flags.more;
        if flags.eor && taken == offered && taken > 0 {
            let end = self.buf_seq + self.send_buf.len();
            self.records.ends.push_back(end);
        }
    }

    /// `TCP_CORK`: on, partial segments wait; off, what waits goes now.
    pub fn set_cork(&mut self, now: Instant, on: bool, out: &mut Output) {
        self.records.cork = on;
        if !on {
            self.push_pending(now, out);
        }
    }

    /// `TCP_CORK` as the socket had it before this connection existed (set on the listener
    /// or before `connect`); nothing is sent.
    pub fn inherit_cork(&mut self, on: bool) {
        self.records.cork = on;
    }

    pub fn cork(&self) -> bool {
        self.records.cork
    }

    /// `TCP_NODELAY`: on, Nagle is off and what waits goes now (Linux
    /// `__tcp_sock_set_nodelay` pushes pending frames).
    pub fn set_nodelay_at(&mut self, now: Instant, on: bool, out: &mut Output) {
        self.nodelay = on;
        if on {
            self.push_pending(now, out);
        }
    }

    /// Sends what the windows allow, a partial last segment included (`TCP_NAGLE_PUSH`).
    fn push_pending(&mut self, now: Instant, out: &mut Output) {
        self.now = now;
        self.records.push_now = true;
        self.records.more_held = false;
        self.flush(now, out);
        self.records.push_now = false;
    }
}

#[cfg(test)]
mod tests {
    use super::SendFlags;
    use crate::tcp::testutil::Pair;
    use crate::tcp::TcpConfig;

    fn sent_lengths(p: &mut Pair) -> Vec<(usize, bool)> {
        let segs = p.out.segments.iter().filter(|s| !s.payload.is_empty());
        let v = segs.map(|s| (s.payload.len(), s.flags.psh())).collect();
        p.ship(true);
        v
    }

    /// tests/packetdrill/cork.pkt's rules: corked or MSG_MORE, a partial segment waits with
    /// nothing in flight; clearing the cork or setting TCP_NODELAY sends it.
    #[test]
    fn cork_and_msg_more_hold_a_partial_segment_until_pushed() {
        let cfg = TcpConfig::default();
        let mut p = Pair::connected(&cfg, &cfg);
        let now = p.now;
        p.a.set_cork(now, true, &mut p.out);
        p.a.send(now, &[1; 300], &mut p.out).unwrap();
        assert_eq!(sent_lengths(&mut p), vec![]);
        p.a.set_cork(now, false, &mut p.out);
        assert_eq!(sent_lengths(&mut p), vec![(300, true)]);
        p.run_until(|p| p.a.snd_una() == p.a.snd_max());
        let now = p.now;
        let more = SendFlags {
            more: true,
            eor: false,
        };
        p.a.send_with_flags(now, &[2; 100], more, &mut p.out)
            .unwrap();
        assert_eq!(sent_lengths(&mut p), vec![]);
        p.a.set_nodelay_at(now, true, &mut p.out);
        assert_eq!(
            sent_lengths(&mut p),
            vec![(100, false)],
            "no write ended there"
        );
    }

    /// tests/packetdrill/eor-records.pkt's rule: no segment crosses a record's end, and the
    /// record's last segment carries PSH.
    #[test]
    fn a_record_end_cuts_segments_and_carries_psh() {
        let cfg = TcpConfig {
            initial_cwnd_segments: 1,
            ..TcpConfig::default()
        };
        let mut p = Pair::connected(&cfg, &cfg);
        let now = p.now;
        let mss = p.a.snd_mss() as usize;
        // The first segment fills cwnd; the rest waits as one queue.
        p.a.send(now, &vec![1; mss + 400], &mut p.out).unwrap();
        assert_eq!(sent_lengths(&mut p), vec![(mss, false)]);
        let eor = SendFlags {
            more: false,
            eor: true,
        };
        for _ in 0..2 {
            p.a.send_with_flags(now, &[2; 700], eor, &mut p.out)
                .unwrap();
        }
        p.a.send(now, &vec![3; mss], &mut p.out).unwrap();
        p.run_until(|p| p.a.snd_una() == p.a.snd_max() && p.a.send_queued() == 0);
        let segs: Vec<(usize, bool)> = p
            .sent
            .iter()
            .filter(|(from_a, _, s)| *from_a && !s.payload.is_empty())
            .map(|(_, _, s)| (s.payload.len(), s.flags.psh()))
            .collect();
        // The 400 bytes left of the first write join the first record (one 1100-byte
        // segment), then the second record, then the plain write.
        assert_eq!(segs[1..], [(1100, true), (700, true), (mss, true)]);
    }
}
