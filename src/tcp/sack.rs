//! The sender's SACK scoreboard (RFC 2018, RFC 6675 §3–4) with DSACK awareness (RFC 2883).
//!
//! One record per segment sent and not yet cumulatively acknowledged, in sequence order, as
//! Linux keeps its retransmission queue: where it starts and ends, when it was last sent,
//! whether the receiver SACKed it, whether it is considered lost and whether a retransmission
//! of it is in flight. RACK (`super::rack`) reads the send times; the RFC 6675 rules read the
//! SACKed ranges above a segment.
//!
//! Everything here is sans-IO and checks its input: a SACK block outside
//! `(SND.UNA, SND.MAX]`, inverted or empty, is ignored (and counted), never trusted.

use std::collections::VecDeque;

use super::seq::SeqNumber;
use crate::time::Instant;

/// RFC 6675 §2 DupThresh (Linux `tcp_reordering` = 3).
pub const DUP_THRESH: u32 = 3;

/// One segment sent and not yet cumulatively acknowledged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SentSegment {
    pub start: SeqNumber,
    /// One past the last octet (a FIN counts as an octet).
    pub end: SeqNumber,
    /// Time of the last (re)transmission.
    pub sent_at: Instant,
    /// Number of that transmission on this connection, counting up: it orders transmissions
    /// made in the same instant. RACK's "sent after" (RFC 8985 §6.2) breaks ties in time by
    /// sequence number, which Linux's nanosecond clock seldom needs; in simulated time a
    /// retransmission and the new data sent after it share their instant, and by sequence
    /// number the retransmission would look older than the new data and be marked lost again
    /// as soon as the new data is SACKed.
    pub order: u64,
    /// The receiver reported it in a SACK block.
    pub sacked: bool,
    /// Considered lost (RFC 6675 IsLost, RACK, or a timeout), not yet retransmitted since.
    pub lost: bool,
    /// A retransmission of it is in flight.
    pub retrans: bool,
    /// It was retransmitted at least once (its RTT is ambiguous: Karn).
    pub ever_retrans: bool,
    /// The packet that holds it (Linux's buffer, `skb`, in the retransmission queue); 0 for
    /// none. Consecutive records with one nonzero number and none SACKed are what is left of
    /// one packet: new data leaves in packets of up to `TcpConfig::tso_segs` segments, and a
    /// retransmission sends the front of one such packet and becomes a packet of its own.
    pub packet: u32,
    /// The packet's own PSH (the end of a write, Linux `tcp_mark_push`), kept by the record
    /// that holds the packet's end: a split moves it to the second part, as Linux's
    /// `tcp_fragment` does.
    pub psh: bool,
}

impl SentSegment {
    pub fn len(&self) -> u32 {
        self.start.distance(self.end)
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// Counted in the pipe (RFC 6675 §4 SetPipe, in Linux's form `packets_out − sacked_out −
    /// lost_out + retrans_out`): not SACKed, and either not lost or retransmitted since.
    pub fn in_flight(&self) -> bool {
        !self.sacked && (!self.lost || self.retrans)
    }
}

/// What one ACK did to the scoreboard.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AckUpdate {
    /// Bytes newly SACKed by this ACK.
    pub newly_sacked: u32,
    /// The first block reported a duplicate (RFC 2883 §4).
    pub dsack: bool,
    /// Blocks ignored as impossible (outside the window, inverted, empty).
    pub invalid_blocks: u32,
    /// The most recently sent of the segments this ACK delivered (cumulatively or by SACK),
    /// for RACK (RFC 8985 §6.2 step 2): its send time, transmission number and whether it
    /// was retransmitted.
    pub latest_delivered: Option<(Instant, u64, bool)>,
    /// The segment whose round trip Linux's RACK takes as its RTT: `tcp_rack_advance` runs
    /// for every segment delivered, newly SACKed ones first and then the cumulatively
    /// acknowledged ones, each in sequence order, and the last one's RTT stays (while the
    /// send time kept is the latest). Its send time and whether it was retransmitted.
    pub rtt_sample: Option<(Instant, bool)>,
    /// A segment delivered by this ACK lies below one delivered earlier and was never
    /// retransmitted: the network reordered (RFC 8985 §6.2 step 3).
    pub reordering: bool,
    /// How far below the highest segment delivered before it the lowest such reordered
    /// segment starts, in bytes (Linux `tcp_check_sack_reordering`'s metric, `fack −
    /// low_seq`); 0 without reordering.
    pub reorder_distance: u32,
    /// A segment never retransmitted was delivered (Linux `FLAG_ORIG_SACK_ACKED`; what
    /// F-RTO's step 3b looks for, RFC 5682 §3.1).
    pub original_delivered: bool,
}

/// A record's share of the pipe.
fn flight(s: &SentSegment) -> u32 {
    if s.in_flight() {
        s.len()
    } else {
        0
    }
}

/// The scoreboard of one connection.
#[derive(Clone, Debug, Default)]
pub struct Scoreboard {
    segs: VecDeque<SentSegment>,
    /// RFC 6675's pipe, kept as the records change: the send path asks for it before every
    /// segment, and summing thousands of records each time made a large window quadratic.
    pipe: u32,
    /// Bytes SACKed above SND.UNA, kept likewise (no SACK, no loss to look for).
    sacked: u32,
    /// Highest sequence number SACKed or cumulatively acknowledged so far (RACK.fack).
    fack: Option<SeqNumber>,
    dsacks: u64,
    /// Transmissions recorded so far (the last `SentSegment::order` given).
    sends: u64,
    /// The end of the highest range ever retransmitted. Records starting at or above it were
    /// sent once, in sequence order, so their send order follows their place on the board:
    /// RACK's scan stops at the first of them sent too late, as Linux's walks its
    /// time-sorted list (`tcp_rack_detect_loss`) and stops at the first one.
    resent_high: Option<SeqNumber>,
    /// SACK blocks mark whole segments only (`TcpConfig::sack_whole_segments`).
    whole_segments: bool,
}

impl Scoreboard {
    pub fn new() -> Scoreboard {
        Scoreboard::default()
    }

    /// A scoreboard on which a SACK block marks only the segments it covers whole, as Linux's.
    pub fn whole_segments() -> Scoreboard {
        Scoreboard {
            whole_segments: true,
            ..Scoreboard::default()
        }
    }

    pub fn segments(&self) -> impl Iterator<Item = &SentSegment> {
        self.segs.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// DSACK reports seen so far.
    pub fn dsacks(&self) -> u64 {
        self.dsacks
    }

    /// Bytes SACKed above SND.UNA.
    pub fn sacked_bytes(&self) -> u32 {
        self.sacked
    }

    /// Segments SACKed above SND.UNA (Linux `sacked_out`).
    pub fn sacked_segments(&self) -> u32 {
        self.segs.iter().filter(|s| s.sacked).count() as u32
    }

    /// End of the highest SACKed segment, if any.
    pub fn highest_sacked(&self) -> Option<SeqNumber> {
        self.segs.iter().rev().find(|s| s.sacked).map(|s| s.end)
    }

    /// Bytes considered in the network (RFC 6675 `pipe`).
    pub fn pipe(&self) -> u32 {
        self.pipe
    }

    /// The pipe summed over the records, what `pipe` keeps.
    fn pipe_sum(&self) -> u32 {
        self.segs.iter().map(flight).sum()
    }

    /// Bytes marked lost and not yet retransmitted: whatever the board holds that is neither
    /// SACKed nor in the pipe (a record is one of the three).
    pub fn lost_bytes(&self) -> u32 {
        let span = match (self.segs.front(), self.segs.back()) {
            (Some(first), Some(last)) => first.start.distance(last.end),
            _ => 0,
        };
        span - self.sacked - self.pipe
    }

    /// Cuts the record containing `seq` in two so that a record starts at `seq`.
    fn split_at(&mut self, seq: SeqNumber) {
        // Records are in order and contiguous: the one holding `seq` is the first not ending
        // at or before it.
        let i = self.segs.partition_point(|s| s.end <= seq);
        if !self
            .segs
            .get(i)
            .is_some_and(|s| s.start < seq && seq < s.end)
        {
            return;
        }
        let mut tail = self.segs[i];
        tail.start = seq;
        self.segs[i].end = seq;
        self.segs[i].psh = false;
        self.segs.insert(i + 1, tail);
    }

    /// Records a transmission of `[start, end)` at `now`: new data beyond the last record is
    /// appended, a range already recorded is a retransmission.
    pub fn on_sent(&mut self, start: SeqNumber, end: SeqNumber, now: Instant) {
        if end <= start {
            return;
        }
        self.sends += 1;
        let order = self.sends;
        let last_end = self.segs.back().map(|s| s.end);
        match last_end {
            Some(last) if start < last => {
                let resent_end = end.min(last);
                self.resent_high = Some(self.resent_high.map_or(resent_end, |h| h.max(resent_end)));
                self.split_at(start);
                self.split_at(end.min(last));
                let first = self.segs.partition_point(|s| s.end <= start);
                for s in self.segs.range_mut(first..) {
                    if end < s.end {
                        break;
                    }
                    self.pipe -= flight(s);
                    s.sent_at = now;
                    s.order = order;
                    s.retrans = !s.sacked;
                    s.ever_retrans = true;
                    s.lost = s.lost && s.sacked;
                    self.pipe += flight(s);
                }
                if last < end {
                    self.push_new(last, end, now, order);
                }
            }
            _ => self.push_new(last_end.map_or(start, |l| l.max(start)), end, now, order),
        }
    }

    fn push_new(&mut self, start: SeqNumber, end: SeqNumber, now: Instant, order: u64) {
        if start < end {
            self.pipe += start.distance(end);
            self.segs.push_back(SentSegment {
                start,
                end,
                sent_at: now,
                order,
                sacked: false,
                lost: false,
                retrans: false,
                ever_retrans: false,
                packet: 0,
                psh: false,
            });
        }
    }

    /// Applies an ACK: the cumulative acknowledgement `snd_una` and the SACK blocks, most
    /// recent first as the receiver writes them (RFC 2018 §4). `snd_max` bounds what may be
    /// acknowledged.
    pub fn on_ack(
        &mut self,
        snd_una: SeqNumber,
        snd_max: SeqNumber,
        blocks: &[(SeqNumber, SeqNumber)],
    ) -> AckUpdate {
        let mut up = AckUpdate::default();
        let fack_before = self.fack;
        let note = |s: &SentSegment, up: &mut AckUpdate| {
            let newer = match up.latest_delivered {
                None => true,
                Some((t, order, _)) => (s.sent_at, s.order) > (t, order),
            };
            if newer {
                up.latest_delivered = Some((s.sent_at, s.order, s.ever_retrans));
            }
            if !s.ever_retrans {
                up.original_delivered = true;
                if let Some(f) = fack_before.filter(|&f| s.end < f) {
                    up.reordering = true;
                    up.reorder_distance = up.reorder_distance.max(s.start.distance(f));
                }
            }
        };
        let mut cumulative_last = None;
        let mut sacked_last: Option<(SeqNumber, Instant, bool)> = None;
        // Cumulative part.
        self.split_at(snd_una);
        while let Some(s) = self.segs.front() {
            if s.end > snd_una {
                break;
            }
            let s = self.segs.pop_front().expect("front exists");
            self.pipe -= flight(&s);
            if s.sacked {
                self.sacked -= s.len();
            } else {
                note(&s, &mut up);
                cumulative_last = Some((s.sent_at, s.ever_retrans));
            }
        }
        // RFC 2883 §4: the first block is a DSACK if it lies below the cumulative ACK or
        // inside the second block.
        if let Some(&(l, r)) = blocks.first() {
            let below = r <= snd_una && l < r;
            let inside = blocks
                .get(1)
                .is_some_and(|&(l2, r2)| l2 <= l && r <= r2 && l < r);
            if below || inside {
                up.dsack = true;
                self.dsacks += 1;
            }
        }
        for (i, &(l, r)) in blocks.iter().enumerate() {
            if i == 0 && up.dsack {
                continue;
            }
            if !(l < r && snd_una <= l && r <= snd_max) {
                up.invalid_blocks += 1;
                continue;
            }
            if self.whole_segments {
                // A block marks only the segments it covers whole, as Linux's
                // `tcp_match_skb_to_sack` (it cuts a segment at no block edge, so a SACK of a
                // segment's last byte marks nothing).
            } else {
                // RFC 6675 counts octets: a partly covered segment is cut at the edge.
                self.split_at(l);
                self.split_at(r);
            }
            let first = self.segs.partition_point(|s| s.start < l);
            for k in first..self.segs.len() {
                let s = self.segs[k];
                if r < s.end {
                    break;
                }
                if !s.sacked {
                    up.newly_sacked += s.len();
                    note(&s, &mut up);
                    if sacked_last.is_none_or(|(end, _, _)| end < s.end) {
                        sacked_last = Some((s.end, s.sent_at, s.ever_retrans));
                    }
                    self.pipe -= flight(&s);
                    self.sacked += s.len();
                    let s = &mut self.segs[k];
                    s.sacked = true;
                    s.lost = false;
                    s.retrans = false;
                }
            }
        }
        up.rtt_sample = cumulative_last.or(sacked_last.map(|(_, sent, rx)| (sent, rx)));
        let top = self.highest_sacked().unwrap_or(snd_una).max(snd_una);
        self.fack = Some(self.fack.map_or(top, |f| f.max(top)));
        up
    }

    /// RFC 6675 §4 IsLost for every record: marks lost each un-SACKed segment with at least
    /// DupThresh SACKed segments, or more than (DupThresh − 1)·SMSS SACKed bytes, above it.
    /// Returns the bytes newly marked.
    pub fn mark_lost_by_dupthresh(&mut self, mss: u32) -> u32 {
        if self.sacked == 0 {
            return 0;
        }
        let mut sacked_bytes = 0u32;
        let mut sacked_segs = 0u32;
        let mut marked = 0;
        for s in self.segs.iter_mut().rev() {
            if s.sacked {
                sacked_bytes = sacked_bytes.saturating_add(s.len());
                sacked_segs += 1;
                continue;
            }
            let is_lost =
                sacked_segs >= DUP_THRESH || sacked_bytes > (DUP_THRESH - 1).saturating_mul(mss);
            if is_lost && !s.lost && !s.retrans {
                self.pipe -= flight(s);
                s.lost = true;
                marked += s.len();
            }
        }
        marked
    }

    /// Marks lost every un-SACKed segment sent before `sent_before` (at the same instant: ending
    /// at or below `end_before`) whose deadline `sent_at + wait` has passed at `now` — RACK's
    /// rule (RFC 8985 §6.2 step 5). Returns the bytes newly marked and, for the segments not
    /// yet due, the earliest time one will be.
    pub fn mark_lost_by_time(
        &mut self,
        sent_before: Instant,
        order_before: u64,
        wait: crate::time::Duration,
        now: Instant,
    ) -> (u32, Option<Instant>) {
        let mut marked = 0;
        let mut next: Option<Instant> = None;
        let resent_high = self.resent_high;
        for s in self.segs.iter_mut() {
            // Strictly before: pieces of the delivered transmission itself (a FIN after SACKed
            // data, split from it) were not sent before it.
            let earlier = (s.sent_at, s.order) < (sent_before, order_before);
            if !earlier && resent_high.is_none_or(|h| h <= s.start) {
                // Sent once, after the delivered one: so was everything above it.
                break;
            }
            if !earlier || s.sacked || (s.lost && !s.retrans) {
                continue;
            }
            let deadline = s.sent_at + wait;
            if deadline <= now {
                self.pipe -= flight(s);
                s.lost = true;
                s.retrans = false;
                marked += s.len();
            } else {
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
        }
        (marked, next)
    }

    /// After a retransmission timeout every un-SACKed segment is lost (Linux
    /// `tcp_enter_loss`; RFC 6675 §5.1 keeps the SACK information).
    pub fn mark_all_lost(&mut self) {
        for s in self.segs.iter_mut().filter(|s| !s.sacked) {
            s.lost = true;
            s.retrans = false;
        }
        self.pipe = self.pipe_sum();
    }

    /// Forgets the loss marks (a timeout found spurious, RFC 5682 §3.1 step 3b).
    pub fn unmark_lost(&mut self) {
        for s in self.segs.iter_mut() {
            s.lost = false;
        }
        self.pipe = self.pipe_sum();
    }

    /// Tags the segment that ends at `end` (just recorded) with the packet it left in and the
    /// packet's own PSH.
    pub fn set_packet(&mut self, end: SeqNumber, packet: u32, psh: bool) {
        if let Some(s) = self.segs.iter_mut().rev().find(|s| s.end == end) {
            s.packet = packet;
            s.psh = psh;
        }
    }

    /// The record `[start, end)`, if there is one.
    pub fn record(&self, start: SeqNumber, end: SeqNumber) -> Option<&SentSegment> {
        let i = self.segs.partition_point(|s| s.end <= start);
        self.segs
            .get(i)
            .filter(|s| s.start == start && s.end == end)
    }

    /// The lost record that follows `[start, end)` in the same packet, if the two may leave
    /// as one retransmission: not SACKed, not being retransmitted.
    pub fn next_lost_in_packet(
        &self,
        start: SeqNumber,
        end: SeqNumber,
    ) -> Option<(SeqNumber, SeqNumber)> {
        let packet = self.record(start, end)?.packet;
        let i = self.segs.partition_point(|s| s.end <= end);
        self.segs
            .get(i)
            .filter(|s| {
                packet != 0
                    && s.start == end
                    && s.packet == packet
                    && s.lost
                    && !s.retrans
                    && !s.sacked
            })
            .map(|s| (s.start, s.end))
    }

    /// Makes the records in `[start, end)` a packet of their own, numbered `packet`: Linux
    /// retransmits the front of a buffer and cuts it off the rest (`tcp_fragment` in
    /// `__tcp_retransmit_skb` and in the tail-loss probe).
    pub fn set_packet_range(&mut self, start: SeqNumber, end: SeqNumber, packet: u32) {
        let first = self.segs.partition_point(|s| s.end <= start);
        for s in self.segs.range_mut(first..) {
            if end < s.end {
                break;
            }
            s.packet = packet;
        }
    }

    /// The send time of the most recently sent segment that an ACK of everything below
    /// `ack` with SACK `blocks` newly delivers, among those never retransmitted (Linux's
    /// `last_ackt`/`last_sackt`, whose age is the RTT sample congestion control sees).
    /// Read-only: `on_ack` applies the ACK afterwards.
    pub fn latest_original_delivery(
        &self,
        ack: SeqNumber,
        blocks: &[(SeqNumber, SeqNumber)],
    ) -> Option<Instant> {
        let fresh = |s: &&SentSegment| !s.sacked && !s.ever_retrans;
        let cumulative = self.segs.iter().take_while(|s| s.start < ack).filter(fresh);
        let sacked = blocks
            .iter()
            .flat_map(|&(l, r)| {
                let first = self.segs.partition_point(|s| s.end <= l);
                self.segs.range(first..).take_while(move |s| s.start < r)
            })
            .filter(fresh);
        cumulative.chain(sacked).map(|s| s.sent_at).max()
    }

    /// RFC 6675 §4 NextSeg rule 1: the first segment that is lost and not yet retransmitted.
    pub fn next_lost(&self) -> Option<(SeqNumber, SeqNumber)> {
        if self.lost_bytes() == 0 {
            return None;
        }
        self.segs
            .iter()
            .find(|s| s.lost && !s.retrans && !s.sacked)
            .map(|s| (s.start, s.end))
    }

    /// The last segment sent, for a tail-loss probe with nothing new to send (RFC 8985
    /// §7.3).
    pub fn last(&self) -> Option<&SentSegment> {
        self.segs.back()
    }

    /// Forgets everything (the connection ends, or the peer reneged and we fall back).
    pub fn clear(&mut self) {
        self.segs.clear();
        self.pipe = 0;
        self.sacked = 0;
        self.fack = None;
        self.resent_high = None;
    }

    /// Checks the invariants RFC 6675 and this representation rely on, for tests: records in
    /// order, contiguous, non-empty, within `[snd_una, snd_max]`; a SACKed record is neither
    /// lost nor in retransmission.
    pub fn check(&self, snd_una: SeqNumber, snd_max: SeqNumber) -> Result<(), String> {
        let mut prev: Option<SeqNumber> = None;
        for s in &self.segs {
            if s.end <= s.start {
                return Err(format!("empty or inverted record {s:?}"));
            }
            if s.start < snd_una || snd_max < s.end {
                return Err(format!("record {s:?} outside [{snd_una}, {snd_max}]"));
            }
            if let Some(p) = prev {
                if p != s.start {
                    return Err(format!("gap or overlap before {s:?} (previous end {p})"));
                }
            }
            if s.sacked && (s.lost || s.retrans) {
                return Err(format!(
                    "SACKed record also lost or in retransmission: {s:?}"
                ));
            }
            prev = Some(s.end);
        }
        let sacked: u32 = self.segs.iter().filter(|s| s.sacked).map(|s| s.len()).sum();
        if self.sacked != sacked {
            return Err(format!(
                "SACKed bytes kept as {} but the records sum to {sacked}",
                self.sacked
            ));
        }
        if self.pipe != self.pipe_sum() {
            return Err(format!(
                "pipe kept as {} but the records sum to {}",
                self.pipe,
                self.pipe_sum()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 100;

    fn t(us: u64) -> Instant {
        Instant::from_nanos(us * 1000)
    }

    fn seq(n: u32) -> SeqNumber {
        SeqNumber(1000 + n)
    }

    /// Ten segments of 100 bytes sent 1 µs apart: [1000, 2000).
    fn ten() -> Scoreboard {
        let mut sb = Scoreboard::new();
        for i in 0..10 {
            sb.on_sent(seq(i * MSS), seq((i + 1) * MSS), t(i as u64));
        }
        sb
    }

    fn blk(a: u32, b: u32) -> (SeqNumber, SeqNumber) {
        (seq(a), seq(b))
    }

    #[test]
    fn sack_blocks_mark_segments_and_split_partial_ones() {
        let mut sb = ten();
        // RFC 2018 §3: a block covering segments 3 and 4 and half of 5.
        let up = sb.on_ack(seq(0), seq(1000), &[blk(300, 550)]);
        assert_eq!(up.newly_sacked, 250);
        assert_eq!(sb.sacked_bytes(), 250);
        assert_eq!(sb.highest_sacked(), Some(seq(550)));
        assert!(sb.check(seq(0), seq(1000)).is_ok());
        // The same block again adds nothing.
        assert_eq!(
            sb.on_ack(seq(0), seq(1000), &[blk(300, 550)]).newly_sacked,
            0
        );
        // The cumulative ACK swallows SACKed records too.
        sb.on_ack(seq(600), seq(1000), &[]);
        assert_eq!(sb.sacked_bytes(), 0);
        assert_eq!(sb.segments().next().map(|s| s.start), Some(seq(600)));
    }

    #[test]
    fn linux_sacks_only_segments_a_block_covers_whole() {
        let mut sb = ten();
        sb.whole_segments = true;
        // Segments 3 and 4 whole, half of 5: only 3 and 4 (Linux `tcp_match_skb_to_sack`).
        let up = sb.on_ack(seq(0), seq(1000), &[blk(300, 550)]);
        assert_eq!(up.newly_sacked, 200);
        assert_eq!(sb.highest_sacked(), Some(seq(500)));
        // The last byte of the last segment (fr-4pkt-fack-last-byte.pkt): nothing.
        let up = sb.on_ack(seq(0), seq(1000), &[blk(999, 1000)]);
        assert_eq!(up.newly_sacked, 0);
        assert!(up.latest_delivered.is_none());
        assert!(sb.check(seq(0), seq(1000)).is_ok());
    }

    #[test]
    fn impossible_blocks_are_ignored() {
        let mut sb = ten();
        let up = sb.on_ack(
            seq(0),
            seq(1000),
            &[blk(500, 1200), blk(300, 300), blk(400, 200)],
        );
        assert_eq!(up.invalid_blocks, 3);
        assert_eq!(sb.sacked_bytes(), 0);
    }

    #[test]
    fn is_lost_needs_dupthresh_sacked_segments_above() {
        // RFC 6675 §4 IsLost: two SACKed segments above a hole are not enough, three are.
        let mut sb = ten();
        sb.on_ack(seq(0), seq(1000), &[blk(100, 300)]);
        assert_eq!(sb.mark_lost_by_dupthresh(MSS), 0);
        sb.on_ack(seq(0), seq(1000), &[blk(100, 400)]);
        assert_eq!(sb.mark_lost_by_dupthresh(MSS), 100);
        assert_eq!(sb.next_lost(), Some((seq(0), seq(100))));
        // pipe: 10 segments, 3 SACKed, 1 lost → 6 in flight.
        assert_eq!(sb.pipe(), 600);
    }

    #[test]
    fn is_lost_counts_bytes_too() {
        // More than (DupThresh − 1)·SMSS bytes SACKed above, even in two records.
        let mut sb = Scoreboard::new();
        sb.on_sent(seq(0), seq(100), t(0));
        sb.on_sent(seq(100), seq(250), t(1));
        sb.on_sent(seq(250), seq(400), t(2));
        sb.on_ack(seq(0), seq(400), &[blk(100, 400)]);
        assert_eq!(sb.mark_lost_by_dupthresh(MSS), 100);
    }

    #[test]
    fn retransmission_puts_a_lost_segment_back_in_the_pipe() {
        let mut sb = ten();
        sb.on_ack(seq(0), seq(1000), &[blk(100, 400)]);
        sb.mark_lost_by_dupthresh(MSS);
        assert_eq!(sb.pipe(), 600);
        let (a, b) = sb.next_lost().unwrap();
        sb.on_sent(a, b, t(50));
        assert_eq!(sb.pipe(), 700);
        assert_eq!(sb.next_lost(), None);
        let first = sb.segments().next().unwrap();
        assert!(first.retrans && first.ever_retrans && !first.lost);
        assert_eq!(first.sent_at, t(50));
    }

    #[test]
    fn dsack_below_the_cumulative_ack_or_inside_the_second_block() {
        // RFC 2883 §4.1.1: a duplicate of acknowledged data.
        let mut sb = ten();
        sb.on_ack(seq(200), seq(1000), &[]);
        let up = sb.on_ack(seq(200), seq(1000), &[blk(100, 200)]);
        assert!(up.dsack);
        assert_eq!(up.invalid_blocks, 0);
        // §4.1.2: a duplicate inside a SACKed block, reported first.
        let up = sb.on_ack(seq(200), seq(1000), &[blk(500, 600), blk(400, 700)]);
        assert!(up.dsack);
        assert_eq!(sb.sacked_bytes(), 300);
        assert_eq!(sb.dsacks(), 2);
    }

    #[test]
    fn rack_time_rule_marks_older_segments_only_after_the_wait() {
        let mut sb = ten();
        // Segment 5 (sent at 5 µs) is SACKed; 0..5 were sent before it.
        sb.on_ack(seq(0), seq(1000), &[blk(500, 600)]);
        let wait = crate::time::Duration::from_micros(10);
        // At 12 µs: those sent at 0, 1, 2 are due (0+10 ≤ 12 …), 3 and 4 are not yet.
        let (marked, next) = sb.mark_lost_by_time(t(5), 6, wait, t(12));
        assert_eq!(marked, 300);
        assert_eq!(next, Some(t(13)));
        // Segments sent after the delivered one are never marked.
        let (marked, next) = sb.mark_lost_by_time(t(5), 6, wait, t(1000));
        assert_eq!(marked, 200);
        assert_eq!(next, None);
        assert_eq!(sb.lost_bytes(), 500);
    }

    /// New data and a retransmission leave in the same instant, the new data first: a SACK of
    /// the new data does not make the retransmission look older (by sequence number it would,
    /// and it would be marked lost again at once). The FIN piece of a data-and-FIN segment
    /// whose data the receiver SACKs was not sent before that segment either.
    #[test]
    fn transmissions_in_one_instant_keep_their_order() {
        let mut sb = ten();
        sb.on_ack(seq(0), seq(1000), &[blk(200, 500)]);
        let zero = crate::time::Duration::ZERO;
        assert_eq!(sb.mark_lost_by_time(t(4), 5, zero, t(9)).0, 200);
        // At 20 µs: new data with a FIN (transmission 11), then the holes (transmission 12).
        sb.on_sent(seq(1000), seq(1101), t(20));
        sb.on_sent(seq(0), seq(200), t(20));
        let up = sb.on_ack(seq(0), seq(1101), &[blk(1000, 1100), blk(200, 500)]);
        let (sent, order, _) = up.latest_delivered.unwrap();
        assert_eq!((sent, order), (t(20), 11));
        let lost_before = sb.lost_bytes();
        sb.mark_lost_by_time(sent, order, zero, t(30));
        // Segments 5..9 (sent at 5..9 µs) are now due; the resent holes and the FIN are not.
        assert_eq!(sb.lost_bytes() - lost_before, 500);
        assert!(sb
            .segments()
            .filter(|s| s.end <= seq(200))
            .all(|s| s.retrans && !s.lost));
        assert!(sb.segments().any(|s| s.start == seq(1100) && !s.lost));
    }

    #[test]
    fn rtt_sample_is_the_last_delivered_in_linuxs_order() {
        // Newly SACKed segments first, then the cumulatively acknowledged ones, each in
        // sequence order: the highest cumulatively acknowledged one, else the highest SACKed.
        let mut sb = ten();
        let up = sb.on_ack(seq(0), seq(1000), &[blk(700, 800), blk(300, 400)]);
        assert_eq!(up.rtt_sample, Some((t(7), false)));
        sb.on_sent(seq(0), seq(100), t(50));
        let up = sb.on_ack(seq(200), seq(1000), &[blk(900, 1000)]);
        assert_eq!(up.rtt_sample, Some((t(1), false)));
        assert_eq!(up.latest_delivered, Some((t(50), 11, true)));
    }

    #[test]
    fn latest_delivered_and_reordering_for_rack() {
        let mut sb = ten();
        let up = sb.on_ack(seq(0), seq(1000), &[blk(700, 800)]);
        assert_eq!(up.latest_delivered, Some((t(7), 8, false)));
        assert!(!up.reordering);
        // Segment 2 arrives after 7 was delivered, and was never retransmitted: reordering.
        let up = sb.on_ack(seq(0), seq(1000), &[blk(200, 300), blk(700, 800)]);
        assert!(up.reordering);
        // Linux's metric: the highest delivered end (800) less the reordered start (200).
        assert_eq!(up.reorder_distance, 600);
        // The cumulative ACK fills the hole below: 0 arrived late too.
        let up = sb.on_ack(seq(800), seq(1000), &[]);
        assert_eq!(up.reorder_distance, 800);
    }

    #[test]
    fn timeout_marks_every_unsacked_segment_lost() {
        let mut sb = ten();
        sb.on_ack(seq(0), seq(1000), &[blk(300, 500)]);
        sb.mark_all_lost();
        assert_eq!(sb.lost_bytes(), 800);
        assert_eq!(sb.pipe(), 0);
        assert!(sb.check(seq(0), seq(1000)).is_ok());
    }

    #[test]
    fn sending_past_the_end_and_across_it_appends() {
        let mut sb = Scoreboard::new();
        sb.on_sent(seq(0), seq(100), t(0));
        // A retransmission that also carries new bytes (repacketised) is split.
        sb.on_sent(seq(50), seq(180), t(1));
        let v: Vec<_> = sb.segments().map(|s| (s.start, s.end, s.retrans)).collect();
        assert_eq!(
            v,
            vec![
                (seq(0), seq(50), false),
                (seq(50), seq(100), true),
                (seq(100), seq(180), false)
            ]
        );
        assert!(sb.check(seq(0), seq(180)).is_ok());
    }

    /// Ten segments in five packets of two, the second of each with the packet's own PSH
    /// only on the last (the end of the write).
    fn five_packets() -> Scoreboard {
        let mut sb = ten();
        for i in 0..10 {
            sb.set_packet(seq((i + 1) * MSS), 1 + i / 2, i == 9);
        }
        sb
    }

    #[test]
    fn a_split_leaves_the_packets_psh_on_the_part_that_holds_its_end() {
        // Linux `tcp_fragment`: "PSH and FIN should only be set in the second packet".
        let mut sb = five_packets();
        sb.on_ack(seq(0), seq(1000), &[blk(900, 950)]);
        let psh: Vec<_> = sb
            .segments()
            .filter(|s| s.psh)
            .map(|s| (s.start, s.end))
            .collect();
        assert_eq!(psh, [(seq(950), seq(1000))]);
        assert!(!sb.record(seq(900), seq(950)).unwrap().psh);
    }

    #[test]
    fn lost_segments_of_one_packet_leave_together_until_one_is_resent_alone() {
        let mut sb = five_packets();
        sb.on_ack(seq(0), seq(1000), &[blk(400, 1000)]);
        sb.mark_lost_by_dupthresh(MSS);
        // Records 0 and 1 are one packet, 2 and 3 another.
        assert_eq!(
            sb.next_lost_in_packet(seq(0), seq(100)),
            Some((seq(100), seq(200)))
        );
        assert_eq!(sb.next_lost_in_packet(seq(100), seq(200)), None);
        // The front of the first goes alone and becomes a packet of its own.
        sb.on_sent(seq(0), seq(100), t(20));
        sb.set_packet_range(seq(0), seq(100), 9);
        assert_eq!(sb.next_lost(), Some((seq(100), seq(200))));
        assert_eq!(sb.next_lost_in_packet(seq(0), seq(100)), None);
        // A SACKed record between two pieces ends the packet too.
        sb.on_ack(seq(0), seq(1000), &[blk(300, 1000)]);
        assert_eq!(sb.next_lost_in_packet(seq(200), seq(300)), None);
    }
}
