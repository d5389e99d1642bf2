//! IPv4 fragmentation and reassembly (RFC 791 §2.3 and §3.2, RFC 815, RFC 1122 §3.3.2).
//!
//! [`fragment`] splits a datagram that does not fit an MTU into pieces whose data lengths are
//! multiples of 8 bytes (the unit of the fragment offset field). [`Reassembler`] is the
//! receiving side: a sans-IO core that collects fragments per (source, destination, protocol,
//! identification), gives back the whole datagram when every byte has arrived, and reports
//! datagrams that did not complete within the timeout so the host can send ICMP time exceeded
//! (code 1), which RFC 1122 §3.3.2 allows only if the first fragment (offset 0) was received.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::ops::Range;

use super::wire::{IpProtocol, Ipv4Repr, HEADER_LEN, MAX_PACKET_LEN};
use crate::time::{Duration, Instant};

/// Smallest MTU that can carry a fragment: a 20-byte header and 8 bytes of data.
pub const MIN_FRAGMENT_MTU: usize = HEADER_LEN + 8;

/// Largest end offset of fragment data: the reassembled datagram must fit the 16-bit total
/// length with a 20-byte header (a "ping of death" goes past it).
pub const MAX_REASSEMBLED_PAYLOAD: usize = MAX_PACKET_LEN - HEADER_LEN;

/// Why a datagram was not split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// The datagram is larger than the MTU and has Don't Fragment set: drop it and send ICMP
    /// destination unreachable, fragmentation needed (code 4), with `mtu` as the next-hop MTU
    /// (RFC 1191 §4).
    #[error("datagram of {len} bytes exceeds the MTU {mtu} and has DF set")]
    DontFragment { len: usize, mtu: usize },
    #[error("MTU {mtu} is too small to carry a fragment (minimum {MIN_FRAGMENT_MTU})")]
    MtuTooSmall { mtu: usize },
    /// The datagram's data would end past the largest possible datagram (a malformed
    /// fragment being forwarded): its pieces' offsets cannot be written.
    #[error(
        "fragment data ends at {end}, beyond the largest datagram ({MAX_REASSEMBLED_PAYLOAD})"
    )]
    TooLong { end: usize },
}

/// Splits the datagram described by `repr` for a link of `mtu` bytes.
///
/// Returns one header per fragment and the range of the original payload it carries. A
/// datagram that fits is returned unchanged as a single piece (even with DF set). Fragmenting
/// a fragment (a router on a smaller link) keeps its offsets relative to the original
/// datagram and its MF flag on the last piece.
pub fn fragment(
    repr: &Ipv4Repr,
    mtu: usize,
) -> Result<Vec<(Ipv4Repr, Range<usize>)>, FragmentError> {
    if repr.buffer_len() <= mtu {
        return Ok(vec![(*repr, 0..repr.payload_len)]);
    }
    let end = repr.frag_offset as usize + repr.payload_len;
    if end > MAX_REASSEMBLED_PAYLOAD {
        return Err(FragmentError::TooLong { end });
    }
    if repr.dont_frag {
        return Err(FragmentError::DontFragment {
            len: repr.buffer_len(),
            mtu,
        });
    }
    if mtu < MIN_FRAGMENT_MTU {
        return Err(FragmentError::MtuTooSmall { mtu });
    }
    // Every fragment but the last carries a multiple of 8 bytes (RFC 791 §2.3).
    let per_fragment = (mtu - HEADER_LEN) & !7;
    let total = repr.payload_len;
    let mut pieces = Vec::with_capacity(total.div_ceil(per_fragment));
    let mut start = 0;
    while start < total {
        let end = (start + per_fragment).min(total);
        let is_last = end == total;
        let piece = Ipv4Repr {
            frag_offset: repr.frag_offset + start as u16,
            more_frags: if is_last { repr.more_frags } else { true },
            payload_len: end - start,
            ..*repr
        };
        pieces.push((piece, start..end));
        start = end;
    }
    Ok(pieces)
}

/// Identifies the datagram a fragment belongs to (RFC 791 §3.2: "source, destination,
/// protocol, and identification").
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FragKey {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: IpProtocol,
    pub ident: u16,
}

impl FragKey {
    pub fn of(repr: &Ipv4Repr) -> FragKey {
        FragKey {
            src: repr.src,
            dst: repr.dst,
            protocol: repr.protocol,
            ident: repr.ident,
        }
    }
}

/// Limits of a [`Reassembler`], with Linux's defaults.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ReassemblyConfig {
    /// How long an incomplete datagram is kept after its first fragment arrived: Linux
    /// `net.ipv4.ipfrag_time` = 30 s (RFC 1122 §3.3.2 suggests 60 to 120 s).
    pub timeout: Duration,
    /// Memory for all incomplete datagrams together; fragments that would exceed it are
    /// dropped. Linux `net.ipv4.ipfrag_high_thresh` = 4 MiB.
    pub max_bytes: usize,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            timeout: Duration::from_secs(30),
            max_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What became of an accepted fragment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FragmentOutcome {
    /// The last missing piece arrived: the whole datagram, with a header that is no longer a
    /// fragment (offset 0, MF clear, `payload_len` the full length).
    Complete(Ipv4Repr, Vec<u8>),
    /// Stored; holes remain.
    Waiting,
    /// Every byte of this fragment had already arrived; it was ignored.
    Duplicate,
}

/// Why a fragment was dropped. Variants marked "discarded" also dropped every fragment of
/// that datagram received so far, as Linux does for a corrupt or overlapping datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// Data would end past the largest possible datagram (the "ping of death").
    #[error(
        "fragment data ends at {end}, beyond the largest datagram ({MAX_REASSEMBLED_PAYLOAD})"
    )]
    TooLong { end: usize },
    /// Discarded: a fragment carries no data, or the end of the datagram is contradicted
    /// (data past a known last fragment, or two last fragments with different ends).
    #[error("fragment of datagram {key:?} contradicts its length: datagram discarded")]
    LengthConflict { key: FragKey },
    /// Discarded: the fragment partly overlaps data already received. Two senders' views of
    /// the same bytes cannot both be trusted (the reasoning of RFC 5722 for IPv6, applied to
    /// IPv4 by Linux since 4.19).
    #[error("fragment of datagram {key:?} overlaps received data: datagram discarded")]
    Overlap { key: FragKey },
    /// Memory for incomplete datagrams is full; this fragment was dropped.
    #[error("reassembly memory full ({limit} bytes): fragment dropped")]
    MemoryFull { limit: usize },
}

/// An incomplete datagram removed because its time ran out.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReassemblyTimeout {
    pub key: FragKey,
    /// The first fragment (offset 0), if it arrived: its header and payload. With it the host
    /// sends ICMP time exceeded, code 1, quoting that header and the start of the data.
    pub first_fragment: Option<(Ipv4Repr, Vec<u8>)>,
}

/// Bytes charged for each incomplete datagram and each received range besides the data, so a
/// flood of tiny fragments is bounded too.
const DATAGRAM_OVERHEAD: usize = 128;
const RANGE_OVERHEAD: usize = 16;

#[derive(Debug)]
struct Datagram {
    deadline: Instant,
    /// Header of the fragment at offset 0, once it arrived.
    first: Option<Ipv4Repr>,
    /// Payload bytes by offset; grows to the largest end seen.
    data: Vec<u8>,
    /// Received byte ranges, sorted, disjoint and with adjacent ranges merged.
    received: Vec<Range<usize>>,
    /// The payload length, known once the last fragment (MF clear) arrived.
    total_len: Option<usize>,
}

impl Datagram {
    fn footprint(&self) -> usize {
        self.data.len() + DATAGRAM_OVERHEAD + RANGE_OVERHEAD * self.received.len()
    }

    fn is_complete(&self) -> bool {
        matches!(self.total_len, Some(t) if self.received.len() == 1 && self.received[0] == (0..t))
    }

    /// Records `range` as received, merging with its neighbours. The caller checked it does
    /// not overlap what was received.
    fn mark_received(&mut self, range: Range<usize>) {
        let i = self.received.partition_point(|r| r.start < range.start);
        self.received.insert(i, range);
        // Merge with the next range if adjacent, then with the previous one.
        if i + 1 < self.received.len() && self.received[i].end == self.received[i + 1].start {
            self.received[i].end = self.received[i + 1].end;
            self.received.remove(i + 1);
        }
        if i > 0 && self.received[i - 1].end == self.received[i].start {
            self.received[i - 1].end = self.received[i].end;
            self.received.remove(i);
        }
    }
}

/// Classification of a new fragment's byte range against what was received.
enum Coverage {
    New,
    Duplicate,
    Overlap,
}

fn coverage(received: &[Range<usize>], range: &Range<usize>) -> Coverage {
    // The first received range that ends after our start is the only one that can contain us.
    let i = received.partition_point(|r| r.end <= range.start);
    match received.get(i) {
        None => Coverage::New,
        Some(r) if r.start <= range.start && range.end <= r.end => Coverage::Duplicate,
        Some(r) if r.start < range.end => Coverage::Overlap,
        Some(_) => Coverage::New,
    }
}

/// Collects fragments into datagrams. Sans-IO: time comes in as `now`.
#[derive(Debug, Default)]
pub struct Reassembler {
    config: ReassemblyConfig,
    pending: BTreeMap<FragKey, Datagram>,
    /// (deadline, key) of every pending datagram, earliest first.
    deadlines: BTreeSet<(Instant, FragKey)>,
    bytes_used: usize,
}

impl Reassembler {
    pub fn new(config: ReassemblyConfig) -> Reassembler {
        Reassembler {
            config,
            ..Reassembler::default()
        }
    }

    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// Number of incomplete datagrams held.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Memory charged to incomplete datagrams, in bytes.
    pub fn bytes_used(&self) -> usize {
        self.bytes_used
    }

    /// Takes one received fragment (`repr` its parsed header, `payload` its data). A datagram
    /// that is not a fragment is returned at once as complete (copied: check
    /// [`Ipv4Repr::is_fragment`] first to avoid the copy).
    pub fn accept(
        &mut self,
        now: Instant,
        repr: &Ipv4Repr,
        payload: &[u8],
    ) -> Result<FragmentOutcome, ReassemblyError> {
        if !repr.is_fragment() {
            return Ok(FragmentOutcome::Complete(*repr, payload.to_vec()));
        }
        let key = FragKey::of(repr);
        let start = repr.frag_offset as usize;
        let mut end = start + payload.len().min(repr.payload_len);
        if end > MAX_REASSEMBLED_PAYLOAD {
            return Err(ReassemblyError::TooLong { end });
        }
        if repr.more_frags {
            // Only the last fragment may have a length that is not a multiple of 8; like
            // Linux, cut the odd tail off a middle fragment rather than reject it.
            // (A hand-built header may have an odd offset; `max` keeps `end >= start`, and an
            // empty fragment is then refused below.)
            end = (end & !7).max(start);
        }

        let timeout = self.config.timeout;
        let datagram = self.pending.entry(key).or_insert_with(|| {
            self.deadlines.insert((now + timeout, key));
            Datagram {
                deadline: now + timeout,
                first: None,
                data: Vec::new(),
                received: Vec::new(),
                total_len: None,
            }
        });
        let footprint_before = if datagram.received.is_empty() {
            0
        } else {
            datagram.footprint()
        };

        // Length checks of RFC 791 §3.2 as Linux applies them (ip_frag_queue).
        let highest = datagram.received.last().map_or(0, |r| r.end);
        let conflict = if end == start {
            true
        } else if !repr.more_frags {
            end < highest || datagram.total_len.is_some_and(|t| t != end)
        } else {
            datagram.total_len.is_some_and(|t| end > t)
        };
        if conflict {
            self.discard(key);
            return Err(ReassemblyError::LengthConflict { key });
        }

        let range = start..end;
        match coverage(&datagram.received, &range) {
            Coverage::Duplicate => return Ok(FragmentOutcome::Duplicate),
            Coverage::Overlap => {
                self.discard(key);
                return Err(ReassemblyError::Overlap { key });
            }
            Coverage::New => {}
        }

        // Memory check: the data buffer grows to `end`, plus one more range.
        let grown = datagram.data.len().max(end);
        let footprint_after =
            grown + DATAGRAM_OVERHEAD + RANGE_OVERHEAD * (datagram.received.len() + 1);
        if self.bytes_used - footprint_before + footprint_after > self.config.max_bytes {
            if datagram.received.is_empty() {
                self.discard(key);
            }
            return Err(ReassemblyError::MemoryFull {
                limit: self.config.max_bytes,
            });
        }

        if datagram.data.len() < end {
            datagram.data.resize(end, 0);
        }
        datagram.data[range.clone()].copy_from_slice(&payload[..end - start]);
        datagram.mark_received(range);
        if !repr.more_frags {
            datagram.total_len = Some(end);
        }
        if start == 0 {
            datagram.first = Some(*repr);
        }
        self.bytes_used = self.bytes_used - footprint_before + datagram.footprint();

        if !datagram.is_complete() {
            return Ok(FragmentOutcome::Waiting);
        }
        let datagram = self.remove(key).expect("datagram was just updated");
        let first = datagram
            .first
            .expect("a complete datagram has its first fragment");
        let total = datagram.data.len();
        let repr = Ipv4Repr {
            more_frags: false,
            frag_offset: 0,
            payload_len: total,
            ..first
        };
        Ok(FragmentOutcome::Complete(repr, datagram.data))
    }

    /// When [`Reassembler::on_timer`] next has work: the earliest deadline.
    pub fn poll_at(&self) -> Option<Instant> {
        self.deadlines.first().map(|(t, _)| *t)
    }

    /// Removes every datagram whose deadline is at or before `now` and appends one report per
    /// datagram to `out`. Calling it early or twice does nothing.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<ReassemblyTimeout>) {
        while let Some(&(deadline, key)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            let Some(datagram) = self.remove(key) else {
                continue;
            };
            let first_fragment = datagram.first.map(|header| {
                // The first fragment's data is the contiguous prefix starting at offset 0.
                let have = datagram.received.first().map_or(0, |r| r.end);
                let len = header.payload_len.min(have);
                let mut data = datagram.data;
                data.truncate(len);
                (header, data)
            });
            out.push(ReassemblyTimeout {
                key,
                first_fragment,
            });
        }
    }

    /// Drops every incomplete datagram.
    pub fn clear(&mut self) {
        self.pending.clear();
        self.deadlines.clear();
        self.bytes_used = 0;
    }

    fn discard(&mut self, key: FragKey) {
        self.remove(key);
    }

    fn remove(&mut self, key: FragKey) -> Option<Datagram> {
        let datagram = self.pending.remove(&key)?;
        self.deadlines.remove(&(datagram.deadline, key));
        if !datagram.received.is_empty() {
            self.bytes_used -= datagram.footprint();
        }
        Some(datagram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn repr(len: usize) -> Ipv4Repr {
        let mut r = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 1, 2),
            IpProtocol::Udp,
            len,
        );
        r.ident = 0x1234;
        r
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// Compares without printing kilobytes of payload on failure.
    #[track_caller]
    fn assert_complete(out: Result<FragmentOutcome, ReassemblyError>, r: &Ipv4Repr, d: &[u8]) {
        match out {
            Ok(FragmentOutcome::Complete(h, p)) => {
                assert_eq!(&h, r);
                assert!(p == d, "payload differs");
            }
            other => panic!(
                "not complete: {:?}",
                other.map(|o| std::mem::discriminant(&o))
            ),
        }
    }

    fn t(s: u64) -> Instant {
        Instant::ZERO + Duration::from_secs(s)
    }

    #[test]
    fn fits_means_one_piece() {
        let r = repr(1480);
        let pieces = fragment(&r, 1500).unwrap();
        assert_eq!(pieces, vec![(r, 0..1480)]);
        let mut df = r;
        df.dont_frag = true;
        assert_eq!(fragment(&df, 1500).unwrap().len(), 1);
    }

    #[test]
    fn splits_on_8_byte_boundaries() {
        // 4000 bytes of ICMP data over Ethernet: 1480 + 1480 + 1040, like `ping -s 3992`.
        let pieces = fragment(&repr(4000), 1500).unwrap();
        let summary: Vec<_> = pieces
            .iter()
            .map(|(h, r)| (h.frag_offset, h.more_frags, h.payload_len, r.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, true, 1480, 0..1480),
                (1480, true, 1480, 1480..2960),
                (2960, false, 1040, 2960..4000),
            ]
        );
        // An MTU that is not 20 + a multiple of 8 rounds the piece size down.
        let pieces = fragment(&repr(100), 63).unwrap();
        assert!(pieces.iter().all(|(h, _)| h.buffer_len() <= 63));
        assert_eq!(pieces[0].0.payload_len, 40);
    }

    #[test]
    fn refragmenting_keeps_offsets_and_mf() {
        let mut middle = repr(1480);
        middle.frag_offset = 1480;
        middle.more_frags = true;
        let pieces = fragment(&middle, 576).unwrap();
        assert_eq!(pieces[0].0.frag_offset, 1480);
        assert!(pieces.iter().all(|(h, _)| h.more_frags));
        assert_eq!(pieces.last().unwrap().1.end, 1480);
    }

    #[test]
    fn dont_fragment_and_tiny_mtu_are_errors() {
        let mut r = repr(2000);
        r.dont_frag = true;
        assert_eq!(
            fragment(&r, 1500),
            Err(FragmentError::DontFragment {
                len: 2020,
                mtu: 1500
            })
        );
        assert_eq!(
            fragment(&repr(100), 27),
            Err(FragmentError::MtuTooSmall { mtu: 27 })
        );
    }

    /// A datagram, its payload, and its fragments each with their own data.
    type Split = (Ipv4Repr, Vec<u8>, Vec<(Ipv4Repr, Vec<u8>)>);

    fn pieces_of(len: usize, mtu: usize) -> Split {
        let r = repr(len);
        let d = data(len);
        let pieces = fragment(&r, mtu)
            .unwrap()
            .into_iter()
            .map(|(h, range)| (h, d[range].to_vec()))
            .collect();
        (r, d, pieces)
    }

    #[test]
    fn reassembles_in_order() {
        let (r, d, pieces) = pieces_of(4000, 1500);
        let mut re = Reassembler::new(ReassemblyConfig::default());
        assert_eq!(
            re.accept(t(0), &pieces[0].0, &pieces[0].1),
            Ok(FragmentOutcome::Waiting)
        );
        assert_eq!(re.poll_at(), Some(t(30)));
        assert_eq!(
            re.accept(t(0), &pieces[1].0, &pieces[1].1),
            Ok(FragmentOutcome::Waiting)
        );
        assert_complete(re.accept(t(0), &pieces[2].0, &pieces[2].1), &r, &d);
        assert_eq!(re.pending(), 0);
        assert_eq!(re.bytes_used(), 0);
        assert_eq!(re.poll_at(), None);
    }

    #[test]
    fn reassembles_out_of_order_with_duplicates() {
        let (r, d, pieces) = pieces_of(3000, 576);
        let mut re = Reassembler::new(ReassemblyConfig::default());
        let n = pieces.len();
        // Last first, then the rest backwards, with a duplicate in the middle.
        for (i, (h, p)) in pieces.iter().enumerate().rev() {
            let out = re.accept(t(1), h, p).unwrap();
            if i == 0 {
                assert_complete(Ok(out), &r, &d);
            } else {
                assert_eq!(out, FragmentOutcome::Waiting);
                if i == n / 2 {
                    assert_eq!(re.accept(t(1), h, p), Ok(FragmentOutcome::Duplicate));
                }
            }
        }
        assert_eq!(re.pending(), 0);
    }

    #[test]
    fn not_a_fragment_passes_through() {
        let r = repr(10);
        assert_complete(Ok(re_accept(&r, &data(10))), &r, &data(10));
    }

    fn re_accept(r: &Ipv4Repr, p: &[u8]) -> FragmentOutcome {
        Reassembler::new(ReassemblyConfig::default())
            .accept(t(0), r, p)
            .unwrap()
    }

    #[test]
    fn missing_fragment_times_out_with_the_first_fragment() {
        let (_, d, pieces) = pieces_of(4000, 1500);
        let mut re = Reassembler::new(ReassemblyConfig::default());
        re.accept(t(5), &pieces[0].0, &pieces[0].1).unwrap();
        re.accept(t(6), &pieces[2].0, &pieces[2].1).unwrap();
        let mut out = Vec::new();
        re.on_timer(t(34), &mut out); // early: nothing
        assert!(out.is_empty());
        assert_eq!(re.poll_at(), Some(t(35)));
        re.on_timer(t(35), &mut out);
        assert_eq!(out.len(), 1);
        let (header, first_data) = out[0].first_fragment.clone().unwrap();
        assert_eq!(header, pieces[0].0);
        assert!(first_data == d[..1480]);
        assert_eq!(out[0].key, FragKey::of(&pieces[0].0));
        assert_eq!(re.pending(), 0);
        assert_eq!(re.bytes_used(), 0);
        re.on_timer(t(99), &mut out); // twice: harmless
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn timeout_without_the_first_fragment_has_nothing_to_quote() {
        let (_, _, pieces) = pieces_of(4000, 1500);
        let mut re = Reassembler::new(ReassemblyConfig::default());
        re.accept(t(0), &pieces[1].0, &pieces[1].1).unwrap();
        let mut out = Vec::new();
        re.on_timer(t(30), &mut out);
        assert_eq!(out[0].first_fragment, None);
    }

    #[test]
    fn partial_overlap_discards_the_datagram() {
        let (_, _, pieces) = pieces_of(4000, 1500);
        let mut re = Reassembler::new(ReassemblyConfig::default());
        re.accept(t(0), &pieces[0].0, &pieces[0].1).unwrap();
        let mut sneaky = pieces[1].0;
        sneaky.frag_offset = 1472; // 8 bytes into the first fragment
        let key = FragKey::of(&sneaky);
        assert_eq!(
            re.accept(t(0), &sneaky, &pieces[1].1),
            Err(ReassemblyError::Overlap { key })
        );
        assert_eq!(re.pending(), 0);
        assert_eq!(re.poll_at(), None);
    }

    #[test]
    fn contradicting_lengths_discard_the_datagram() {
        let (_, _, pieces) = pieces_of(4000, 1500);
        let mut re = Reassembler::new(ReassemblyConfig::default());
        re.accept(t(0), &pieces[2].0, &pieces[2].1).unwrap();
        // A second "last" fragment ending elsewhere.
        let mut other_last = pieces[2].0;
        other_last.frag_offset = 4000;
        let key = FragKey::of(&other_last);
        assert_eq!(
            re.accept(t(0), &other_last, &[0; 8]),
            Err(ReassemblyError::LengthConflict { key })
        );
        assert_eq!(re.pending(), 0);
        // Data past a known end.
        re.accept(t(0), &pieces[2].0, &pieces[2].1).unwrap();
        let mut beyond = pieces[1].0;
        beyond.frag_offset = 4000;
        assert!(re.accept(t(0), &beyond, &pieces[1].1).is_err());
        assert_eq!(re.pending(), 0);
    }

    #[test]
    fn ping_of_death_is_rejected() {
        let mut r = repr(16);
        r.frag_offset = 65_520;
        assert_eq!(
            Reassembler::default().accept(t(0), &r, &[0; 16]),
            Err(ReassemblyError::TooLong { end: 65_536 })
        );
    }

    #[test]
    fn memory_is_bounded() {
        let config = ReassemblyConfig {
            max_bytes: 4000,
            ..ReassemblyConfig::default()
        };
        let mut re = Reassembler::new(config);
        let mut accepted = 0;
        for ident in 0..100u16 {
            let mut r = repr(1000);
            r.ident = ident;
            r.more_frags = true;
            if re.accept(t(0), &r, &data(1000)).is_ok() {
                accepted += 1;
            } else {
                assert_eq!(
                    re.accept(t(0), &r, &data(1000)),
                    Err(ReassemblyError::MemoryFull { limit: 4000 })
                );
            }
            assert!(re.bytes_used() <= 4000);
        }
        assert_eq!(accepted, 3);
        assert_eq!(re.pending(), 3);
    }

    proptest! {
        /// Fragmenting never panics; when it succeeds the pieces fit the MTU, tile the
        /// payload in order on 8-byte boundaries, and only the last may lack MF.
        #[test]
        fn fragments_tile_the_payload(
            len in 0usize..66_000, mtu in 0usize..70_000, off in 0u16..8192, mf: bool, df: bool,
        ) {
            let mut r = repr(len);
            r.frag_offset = off * 8;
            r.more_frags = mf;
            r.dont_frag = df;
            if let Ok(pieces) = fragment(&r, mtu) {
                let mut next = 0;
                for (i, (h, range)) in pieces.iter().enumerate() {
                    let last = i + 1 == pieces.len();
                    prop_assert_eq!(range.start, next);
                    prop_assert_eq!(h.payload_len, range.len());
                    prop_assert_eq!(h.frag_offset as usize, r.frag_offset as usize + range.start);
                    prop_assert!(pieces.len() == 1 || h.buffer_len() <= mtu);
                    prop_assert_eq!(h.more_frags, if last { r.more_frags } else { true });
                    if !last {
                        prop_assert_eq!(range.len() % 8, 0);
                    }
                    next = range.end;
                }
                prop_assert_eq!(next, len);
            }
        }

        /// Any order of the fragments, with duplicates, reassembles the original.
        #[test]
        fn any_order_reassembles(
            len in 1usize..5000,
            mtu in 28usize..1500,
            order in proptest::collection::vec(any::<proptest::sample::Index>(), 1..60),
        ) {
            let (r, d, pieces) = pieces_of(len, mtu);
            let mut re = Reassembler::new(ReassemblyConfig::default());
            let mut sequence: Vec<usize> = order.iter().map(|i| i.index(pieces.len())).collect();
            sequence.extend(0..pieces.len());
            let mut done = None;
            for i in sequence {
                match re.accept(t(0), &pieces[i].0, &pieces[i].1).unwrap() {
                    FragmentOutcome::Complete(h, p) => { done = Some((h, p)); break; }
                    FragmentOutcome::Waiting | FragmentOutcome::Duplicate => {}
                }
            }
            let (h, p) = done.expect("never completed");
            prop_assert_eq!(h, r);
            prop_assert!(p == d, "payload differs");
            prop_assert_eq!(re.bytes_used(), 0);
        }

        /// Arbitrary fragment headers never panic and never exceed the memory bound.
        #[test]
        fn arbitrary_fragments_never_panic(
            frags in proptest::collection::vec((0u16..8192, any::<bool>(), 0usize..3000, 0u16..3), 0..40)
        ) {
            let mut re = Reassembler::new(ReassemblyConfig { max_bytes: 20_000, ..Default::default() });
            for (off, mf, len, ident) in frags {
                let mut r = repr(len);
                r.frag_offset = off * 8;
                r.more_frags = mf;
                r.ident = ident;
                let _ = re.accept(t(0), &r, &data(len));
                prop_assert!(re.bytes_used() <= 20_000);
            }
            let mut out = Vec::new();
            re.on_timer(t(31), &mut out);
            prop_assert_eq!(re.bytes_used(), 0);
        }
    }
}
