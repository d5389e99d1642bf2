//! Byte buffers behind a connection: the send queue and the receive ring with out-of-order
//! reassembly. Both copy whole slices (memcpy), never byte by byte.

use std::collections::VecDeque;
use std::fmt;

/// Data the application has written and the peer has not yet acknowledged, in sequence order
/// starting at the first unacknowledged data octet.
pub(crate) struct SendBuffer {
    data: VecDeque<u8>,
    capacity: usize,
}

impl SendBuffer {
    pub fn new(capacity: usize) -> Self {
        SendBuffer {
            data: VecDeque::new(),
            capacity,
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
    }

    pub fn free(&self) -> usize {
        self.capacity.saturating_sub(self.data.len())
    }

    /// Appends as much of `bytes` as fits; returns how much was taken.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.free());
        self.data.extend(&bytes[..n]);
        n
    }

    /// Appends `len` bytes starting `offset` bytes into the buffer to `dst`.
    pub fn copy_range(&self, offset: usize, len: usize, dst: &mut Vec<u8>) {
        let end = (offset + len).min(self.data.len());
        if offset >= end {
            return;
        }
        let (a, b) = self.data.as_slices();
        if offset < a.len() {
            dst.extend_from_slice(&a[offset..end.min(a.len())]);
        }
        if end > a.len() {
            dst.extend_from_slice(&b[offset.saturating_sub(a.len())..end - a.len()]);
        }
    }

    /// Forgets the first `n` bytes (they were acknowledged).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.data.len());
        self.data.drain(..n);
    }

    pub fn clear(&mut self) {
        self.data.clear();
    }

    /// Gives the memory back (the buffer is empty and will stay so).
    pub fn release(&mut self) {
        self.data = VecDeque::new();
    }
}

/// Most separate out-of-order ranges remembered; a segment that would need more is dropped and
/// will be retransmitted. Bounds the cost of reassembly against a hostile peer.
const MAX_OOO_RANGES: usize = 32;

/// Smallest ring a receive buffer allocates: a connection that receives a few hundred bytes
/// costs a page, not its whole window.
const MIN_RING: usize = 4096;

/// A fixed-capacity ring holding received data: in-order bytes ready for the application at
/// the front, followed by room for out-of-order bytes placed at their offset from RCV.NXT.
pub(crate) struct RecvBuffer {
    /// The ring: allocated on first use, so half-open connections cost nothing, and grown
    /// (doubling, up to `capacity`) only as far as data is held, so a connection that
    /// receives a request of a kilobyte does not take its whole 128 KiB window in memory.
    /// Ring positions are modulo its length.
    ring: Vec<u8>,
    capacity: usize,
    head: usize,
    /// In-order bytes ready to read.
    len: usize,
    /// Out-of-order ranges `[start, end)` as offsets from the end of the readable bytes
    /// (that is, from RCV.NXT): sorted, disjoint and never touching.
    ooo: Vec<(usize, usize)>,
}

/// What writing a received segment into the buffer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// Bytes that became readable (RCV.NXT advances by this much).
    pub advanced: usize,
    /// The data filled (part of) a gap in the out-of-order data.
    pub filled_gap: bool,
    /// The data could not be stored (out-of-order table full).
    pub dropped: bool,
}

impl RecvBuffer {
    pub fn new(capacity: usize) -> Self {
        RecvBuffer {
            ring: Vec::new(),
            capacity,
            head: 0,
            len: 0,
            ooo: Vec::new(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Readable in-order bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Room after the readable bytes: the receive window.
    pub fn window(&self) -> usize {
        self.capacity - self.len
    }

    pub fn has_out_of_order(&self) -> bool {
        !self.ooo.is_empty()
    }

    /// The out-of-order ranges `[start, end)` held, as offsets from RCV.NXT, in order.
    pub fn out_of_order(&self) -> &[(usize, usize)] {
        &self.ooo
    }

    /// Changes the capacity, keeping the readable bytes in order. The new capacity is raised if
    /// needed to keep every byte already held, in order or not.
    pub fn set_capacity(&mut self, capacity: usize) {
        let held = self.len + self.ooo.last().map_or(0, |r| r.1);
        let capacity = capacity.max(held).max(1);
        if !self.ring.is_empty() {
            // Re-linearize into a new ring; only done on an explicit resize.
            self.relinearize(held.max(1));
        }
        self.head = 0;
        self.capacity = capacity;
    }

    /// Moves every byte held (in order or not) to the front of a new ring of `size` bytes.
    fn relinearize(&mut self, size: usize) {
        let old = self.ring.len();
        let mut ring = vec![0u8; size];
        let n = self.len + self.ooo.last().map_or(0, |r| r.1);
        let n = n.min(old).min(size);
        if n > 0 {
            let first = n.min(old - self.head);
            ring[..first].copy_from_slice(&self.ring[self.head..self.head + first]);
            ring[first..n].copy_from_slice(&self.ring[..n - first]);
        }
        self.ring = ring;
        self.head = 0;
    }

    /// Copies `data` into the ring `at` bytes after the head, growing the ring if it does not
    /// reach that far yet.
    fn copy_in(&mut self, at: usize, data: &[u8]) {
        let needed = at + data.len();
        if needed > self.ring.len() {
            let size = needed
                .next_power_of_two()
                .max(MIN_RING)
                .min(self.capacity)
                .max(needed);
            self.relinearize(size);
        }
        let size = self.ring.len();
        let pos = (self.head + at) % size;
        let first = data.len().min(size - pos);
        self.ring[pos..pos + first].copy_from_slice(&data[..first]);
        let rest = data.len() - first;
        self.ring[..rest].copy_from_slice(&data[first..]);
    }

    /// Stores `data` that starts `offset` bytes after RCV.NXT. Bytes beyond the window are cut
    /// off. Returns how far the in-order data advanced.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Written {
        let mut result = Written {
            advanced: 0,
            filled_gap: false,
            dropped: false,
        };
        let window = self.window();
        if offset >= window || data.is_empty() {
            return result;
        }
        let data = &data[..data.len().min(window - offset)];
        let (start, end) = (offset, offset + data.len());

        // Merge [start, end) into the range list, or give up if the list is full.
        let first = self.ooo.partition_point(|r| r.1 < start);
        let last = self.ooo.partition_point(|r| r.0 <= end);
        if first == last && self.ooo.len() >= MAX_OOO_RANGES && start != 0 {
            result.dropped = true;
            return result;
        }
        let had_ooo = !self.ooo.is_empty();
        self.copy_in(self.len + offset, data);
        let mut merged = (start, end);
        if first < last {
            merged.0 = merged.0.min(self.ooo[first].0);
            merged.1 = merged.1.max(self.ooo[last - 1].1);
        }
        self.ooo.splice(first..last, std::iter::once(merged));

        if self.ooo[0].0 == 0 {
            let advanced = self.ooo[0].1;
            self.ooo.remove(0);
            for r in &mut self.ooo {
                r.0 -= advanced;
                r.1 -= advanced;
            }
            self.len += advanced;
            result.advanced = advanced;
            result.filled_gap = had_ooo;
        } else if had_ooo && first < last {
            result.filled_gap = true;
        }
        result
    }

    /// Moves up to `dst.len()` readable bytes into `dst`.
    pub fn read(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.len);
        if n == 0 {
            return 0;
        }
        let size = self.ring.len();
        let first = n.min(size - self.head);
        dst[..first].copy_from_slice(&self.ring[self.head..self.head + first]);
        dst[first..n].copy_from_slice(&self.ring[..n - first]);
        self.head = (self.head + n) % size;
        self.len -= n;
        if self.len == 0 && self.ooo.is_empty() {
            self.head = 0;
        }
        n
    }

    /// Appends up to `max` readable bytes to `dst`.
    pub fn read_to_vec(&mut self, max: usize, dst: &mut Vec<u8>) -> usize {
        let n = max.min(self.len);
        let start = dst.len();
        dst.resize(start + n, 0);
        self.read(&mut dst[start..])
    }

    /// Gives the ring's memory back if nothing is held; it is allocated again on first use.
    pub fn release_if_empty(&mut self) {
        if self.len == 0 && self.ooo.is_empty() {
            self.ring = Vec::new();
            self.head = 0;
        }
    }

    /// Forgets out-of-order bytes from `offset` (counted from RCV.NXT) on: the peer's FIN
    /// is there, so they are not part of the stream.
    pub fn discard_from(&mut self, offset: usize) {
        self.ooo.retain(|r| r.0 < offset);
        if let Some(last) = self.ooo.last_mut() {
            last.1 = last.1.min(offset);
        }
    }

    /// Drops everything, in order or not.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.ooo.clear();
    }
}

// Debug shows sizes, not contents: a buffer can hold megabytes.
impl fmt::Debug for SendBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendBuffer")
            .field("len", &self.data.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl fmt::Debug for RecvBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvBuffer")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .field("out_of_order", &self.ooo)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_buffer_takes_what_fits_and_copies_ranges() {
        let mut b = SendBuffer::new(8);
        assert_eq!(b.push(b"0123456789"), 8);
        b.consume(3);
        assert_eq!(b.push(b"ab"), 2);
        let mut out = Vec::new();
        b.copy_range(2, 5, &mut out);
        assert_eq!(out, b"567ab");
        out.clear();
        b.copy_range(6, 10, &mut out);
        assert_eq!(out, b"b");
    }

    #[test]
    fn recv_buffer_reassembles_out_of_order_data() {
        let mut b = RecvBuffer::new(16);
        let w = b.write(4, b"efgh");
        assert_eq!(w.advanced, 0);
        assert!(b.has_out_of_order());
        let w = b.write(0, b"abcd");
        assert_eq!(w.advanced, 8);
        assert!(w.filled_gap);
        let mut out = [0u8; 16];
        assert_eq!(b.read(&mut out), 8);
        assert_eq!(&out[..8], b"abcdefgh");
    }

    #[test]
    fn recv_buffer_wraps_and_clips_to_window() {
        let mut b = RecvBuffer::new(8);
        assert_eq!(b.write(0, b"123456").advanced, 6);
        let mut out = [0u8; 4];
        assert_eq!(b.read(&mut out), 4);
        // Window is now 6: only "abcdef" of "abcdefgh" fits, wrapping the ring.
        assert_eq!(b.write(0, b"abcdefgh").advanced, 6);
        let mut v = Vec::new();
        assert_eq!(b.read_to_vec(100, &mut v), 8);
        assert_eq!(v, b"56abcdef");
    }

    #[test]
    fn recv_buffer_merges_overlapping_ranges() {
        let mut b = RecvBuffer::new(32);
        b.write(10, b"KLMN");
        b.write(20, b"UV");
        b.write(12, b"MNOPQRSTU");
        assert_eq!(b.ooo, vec![(10, 22)]);
        assert_eq!(b.write(0, b"ABCDEFGHIJ").advanced, 22);
        let mut v = Vec::new();
        b.read_to_vec(100, &mut v);
        assert_eq!(v, b"ABCDEFGHIJKLMNOPQRSTUV");
    }

    #[test]
    fn recv_buffer_discards_out_of_order_data_from_an_offset() {
        let mut b = RecvBuffer::new(32);
        b.write(4, b"efgh");
        b.write(10, b"klmn");
        b.discard_from(6);
        assert_eq!(b.ooo, vec![(4, 6)]);
        assert_eq!(b.write(0, b"abcd").advanced, 6);
        let mut v = Vec::new();
        b.read_to_vec(100, &mut v);
        assert_eq!(v, b"abcdef");
    }

    #[test]
    fn recv_buffer_resize_keeps_data() {
        let mut b = RecvBuffer::new(4);
        b.write(0, b"ab");
        let mut one = [0u8; 1];
        b.read(&mut one);
        b.write(0, b"cde");
        b.set_capacity(10);
        let mut v = Vec::new();
        b.read_to_vec(10, &mut v);
        assert_eq!(v, b"bcde");
        assert_eq!(b.window(), 10);
    }

    #[test]
    fn recv_ring_grows_only_as_far_as_data_is_held() {
        let mut b = RecvBuffer::new(128 * 1024);
        b.write(0, &[1u8; 1024]);
        assert_eq!(b.ring.len(), MIN_RING);
        // Offsets count from RCV.NXT, 1024 now.
        b.write(3976, &[2u8; 1000]);
        assert_eq!(
            b.ring.len(),
            8192,
            "out-of-order data beyond the ring grows it"
        );
        b.write(0, &[3u8; 3976]);
        assert_eq!(b.len(), 6000);
        let mut v = Vec::new();
        b.read_to_vec(10_000, &mut v);
        assert_eq!(&v[..1024], &[1u8; 1024][..]);
        assert_eq!(&v[1024..5000], &[3u8; 3976][..]);
        assert_eq!(&v[5000..], &[2u8; 1000][..]);
        b.write(0, &[4u8; 128 * 1024]);
        assert_eq!(b.ring.len(), 128 * 1024, "never beyond the capacity");
        assert_eq!(b.window(), 0);
    }

    proptest::proptest! {
        /// Pieces of a stream written in any order, with overlaps and repeats, into a ring
        /// that grows and wraps, read back in random amounts: the stream, in order.
        #[test]
        fn recv_buffer_returns_the_stream_whatever_the_pieces(
            capacity in 1usize..20_000,
            ops in proptest::collection::vec((0usize..25_000, 1usize..3_000, 0usize..6_000), 1..80),
        ) {
            let stream: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
            let mut b = RecvBuffer::new(capacity);
            let (mut read, mut rcv_nxt) = (0usize, 0usize);
            let mut got = Vec::new();
            for (offset, len, take) in ops {
                let offset = offset % (capacity + 10);
                let start = rcv_nxt + offset;
                let w = b.write(offset, &stream[start..start + len]);
                rcv_nxt += w.advanced;
                proptest::prop_assert!(b.ring.len() <= capacity);
                read += b.read_to_vec(take, &mut got);
                proptest::prop_assert_eq!(read + b.len(), rcv_nxt);
            }
            proptest::prop_assert_eq!(&got[..], &stream[..read]);
        }
    }
}
