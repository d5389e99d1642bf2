//! The discrete-event core: virtual time and one priority queue of events.
//!
//! Events are ordered by `(time, insertion sequence)`, so two events at the same instant run in
//! the order they were scheduled: the run is a pure function of its inputs. Cancellation is lazy
//! (a cancelled event stays in the heap and is skipped when it surfaces), which keeps both
//! scheduling and cancelling O(log n).

use crate::time::{Duration, Instant};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

/// Identifies a scheduled event, for [`EventQueue::cancel`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

/// A heap entry: the order key and where the event waits. Events themselves stay put in a
/// slab; the heap moves only these 24 bytes as it sifts, where a whole event (a frame
/// arrival is 40 bytes) made sifting the simulator's hottest loop on broadcast-heavy runs.
#[derive(Copy, Clone)]
struct Key {
    time: Instant,
    seq: u64,
    slot: u32,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Key {
    /// `(time, seq)` as one number, so that ordering is one wide comparison.
    fn order(&self) -> u128 {
        (u128::from(self.time.as_nanos()) << 64) | u128::from(self.seq)
    }
}
impl Ord for Key {
    // BinaryHeap is a max-heap: reverse so the earliest (time, seq) is on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.order().cmp(&self.order())
    }
}

/// A time-ordered queue of events of type `E` with a clock that advances as events are popped.
pub struct EventQueue<E> {
    now: Instant,
    heap: BinaryHeap<Key>,
    /// The waiting events, by `Key::slot`; `free` lists the empty slots for reuse, so the slab
    /// is as large as the most events ever waiting at once.
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
    /// Cancellable events not yet run or cancelled (only those: tracking every event would
    /// cost a hash operation per frame).
    cancellable: HashSet<u64>,
    cancelled: HashSet<u64>,
    processed: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            now: Instant::ZERO,
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            cancellable: HashSet::new(),
            cancelled: HashSet::new(),
            processed: 0,
        }
    }

    /// The current simulated time: the time of the last event popped.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Events popped so far (cancelled ones not counted).
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Events waiting, including cancelled ones not yet skipped.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.len() == self.cancelled.len()
    }

    /// Events waiting that will run (cancelled ones not counted).
    pub fn live_len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }

    /// Schedules `event` at `at`. A time in the past means "now": time never runs backwards.
    pub fn schedule(&mut self, at: Instant, event: E) {
        self.push(at, event);
    }

    /// Schedules `event` at `at` and returns an id that [`EventQueue::cancel`] accepts.
    pub fn schedule_cancellable(&mut self, at: Instant, event: E) -> EventId {
        let id = self.push(at, event);
        self.cancellable.insert(id.0);
        id
    }

    fn push(&mut self, at: Instant, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Key {
            time: at.max(self.now),
            seq,
            slot,
        });
        EventId(seq)
    }

    pub fn schedule_in(&mut self, delay: Duration, event: E) {
        self.schedule(self.now + delay, event)
    }

    /// Cancels an event scheduled with [`EventQueue::schedule_cancellable`]. Returns false if
    /// it already ran or was cancelled before.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if !self.cancellable.remove(&id.0) {
            return false;
        }
        self.cancelled.insert(id.0)
    }

    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.cancelled.is_empty() || !self.cancelled.remove(&top.seq) {
                break;
            }
            let slot = top.slot;
            self.heap.pop();
            self.release(slot);
        }
    }

    /// Takes the event out of `slot` and lists the slot as free.
    fn release(&mut self, slot: u32) -> Option<E> {
        self.free.push(slot);
        self.slab[slot as usize].take()
    }

    /// Time of the next live event.
    pub fn peek_time(&mut self) -> Option<Instant> {
        self.skip_cancelled();
        self.heap.peek().map(|e| e.time)
    }

    /// Removes the next live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        self.skip_cancelled();
        let key = self.heap.pop()?;
        if !self.cancellable.is_empty() {
            self.cancellable.remove(&key.seq);
        }
        self.now = key.time;
        self.processed += 1;
        let event = self.release(key.slot)?;
        Some((key.time, event))
    }

    /// Moves the clock forward to `t` without an event (e.g. `run_until` a quiet instant).
    pub fn advance_to(&mut self, t: Instant) {
        if t > self.now {
            self.now = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        q.schedule(Instant::from_nanos(30), "c");
        q.schedule(Instant::from_nanos(10), "a");
        q.schedule(Instant::from_nanos(20), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(q.now(), Instant::from_nanos(30));
    }

    #[test]
    fn same_time_runs_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..100 {
            q.schedule(Instant::from_nanos(5), i);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn cancelled_events_never_run() {
        let mut q = EventQueue::new();
        let a = q.schedule_cancellable(Instant::from_nanos(1), "a");
        q.schedule(Instant::from_nanos(2), "b");
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "cancelling twice reports false");
        assert_eq!(q.pop().map(|(_, e)| e), Some("b"));
        assert!(q.pop().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn cancelling_a_past_event_is_refused() {
        let mut q = EventQueue::new();
        let a = q.schedule_cancellable(Instant::from_nanos(1), ());
        q.pop();
        assert!(!q.cancel(a));
        assert!(!q.cancel(EventId(99)));
    }

    #[test]
    fn scheduling_in_the_past_means_now() {
        let mut q = EventQueue::new();
        q.schedule(Instant::from_nanos(100), 1);
        q.pop();
        q.schedule(Instant::from_nanos(5), 2);
        assert_eq!(q.pop(), Some((Instant::from_nanos(100), 2)));
    }

    #[test]
    fn the_slab_is_as_large_as_the_most_events_waiting_at_once() {
        let mut q = EventQueue::new();
        for i in 0..1000u64 {
            let t = 10 * i;
            q.schedule(Instant::from_nanos(t), i);
            let c = q.schedule_cancellable(Instant::from_nanos(t + 1), u64::MAX);
            q.schedule(Instant::from_nanos(t + 2), i);
            assert!(q.cancel(c));
            assert_eq!(q.pop(), Some((Instant::from_nanos(t), i)));
            assert_eq!(q.pop(), Some((Instant::from_nanos(t + 2), i)));
        }
        assert!(q.slab.len() <= 3, "slab grew to {}", q.slab.len());
        assert!(q.is_empty());
    }

    #[test]
    fn counts_processed_events() {
        let mut q = EventQueue::new();
        q.schedule_in(Duration::from_nanos(1), ());
        q.schedule_in(Duration::from_nanos(2), ());
        while q.pop().is_some() {}
        assert_eq!(q.processed(), 2);
    }
}
