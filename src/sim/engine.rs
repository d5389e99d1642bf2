//! The discrete-event core: virtual time and one priority queue of events.
//!
//! Events are ordered by `(time, insertion sequence)`, so two events at the same instant run in
//! the order they were scheduled: the run is a pure function of its inputs. Cancellation is lazy
//! (a cancelled event stays in the heap and is skipped when it surfaces), which keeps both
//! scheduling and cancelling O(log n).

use crate::time::{Duration, Instant};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet, VecDeque};

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

/// Where waiting events sit: alone, or as a run of events scheduled one after another for the
/// same instant, which share one heap key.
enum Waiting<E> {
    One(E),
    Run(VecDeque<E>),
}

/// A time-ordered queue of events of type `E` with a clock that advances as events are popped.
///
/// Events scheduled back to back for the same instant (a switch flooding a broadcast to a
/// thousand ports schedules a thousand arrivals at one time) join one heap key as a run, and
/// the run is drained in order once its key surfaces. That is the same order as one key each:
/// the run's events have consecutive sequence numbers, so no other key sorts between them, and
/// whatever is scheduled while the run drains sorts after it. The heap then sifts once per run
/// instead of once per event (on the 1,000-host LAN ping it was 28 % of the time).
pub struct EventQueue<E> {
    now: Instant,
    heap: BinaryHeap<Key>,
    /// The waiting events, by `Key::slot`; `free` lists the empty slots for reuse, so the slab
    /// is as large as the most keys ever waiting at once.
    slab: Vec<Option<Waiting<E>>>,
    free: Vec<u32>,
    /// The time and slot of the key pushed last, while it may still take a run: nothing was
    /// pushed or popped since.
    open: Option<(Instant, u32)>,
    /// The slot of a run whose key was popped and which still holds events: they come first.
    draining: Option<u32>,
    /// Emptied runs' buffers, for the next run.
    spare: Vec<VecDeque<E>>,
    /// Events waiting, cancelled ones included.
    waiting: usize,
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
            open: None,
            draining: None,
            spare: Vec::new(),
            waiting: 0,
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
        self.waiting
    }

    pub fn is_empty(&self) -> bool {
        self.waiting == self.cancelled.len()
    }

    /// Events waiting that will run (cancelled ones not counted).
    pub fn live_len(&self) -> usize {
        self.waiting - self.cancelled.len()
    }

    /// Schedules `event` at `at`. A time in the past means "now": time never runs backwards.
    pub fn schedule(&mut self, at: Instant, event: E) {
        let at = at.max(self.now);
        if let Some((time, slot)) = self.open {
            if time == at {
                self.next_seq += 1;
                self.waiting += 1;
                let waiting = &mut self.slab[slot as usize];
                match waiting {
                    Some(Waiting::Run(run)) => run.push_back(event),
                    _ => {
                        // The key's second event: the key becomes a run.
                        let mut run = self.spare.pop().unwrap_or_default();
                        if let Some(Waiting::One(first)) = waiting.take() {
                            run.push_back(first);
                        }
                        run.push_back(event);
                        *waiting = Some(Waiting::Run(run));
                    }
                }
                return;
            }
        }
        let (_, slot) = self.push(at, event);
        self.open = Some((at, slot));
    }

    /// Schedules `event` at `at` and returns an id that [`EventQueue::cancel`] accepts.
    pub fn schedule_cancellable(&mut self, at: Instant, event: E) -> EventId {
        // Alone under its own key (cancelling skips a key), and nothing joins a run across it.
        let (id, _) = self.push(at.max(self.now), event);
        self.open = None;
        self.cancellable.insert(id.0);
        id
    }

    fn push(&mut self, at: Instant, event: E) -> (EventId, u32) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.waiting += 1;
        let event = Some(Waiting::One(event));
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = event;
                slot
            }
            None => {
                self.slab.push(event);
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Key {
            time: at,
            seq,
            slot,
        });
        (EventId(seq), slot)
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
            self.open = None;
            self.waiting -= 1;
            self.slab[slot as usize] = None;
            self.free.push(slot);
        }
    }

    /// Time of the next live event.
    pub fn peek_time(&mut self) -> Option<Instant> {
        if self.draining.is_some() {
            return Some(self.now);
        }
        self.skip_cancelled();
        self.heap.peek().map(|e| e.time)
    }

    /// Removes the next live event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        if let Some(slot) = self.draining {
            return Some((self.now, self.next_of_run(slot)));
        }
        self.skip_cancelled();
        let key = self.heap.pop()?;
        self.open = None;
        if !self.cancellable.is_empty() {
            self.cancellable.remove(&key.seq);
        }
        self.now = key.time;
        let event = match self.slab[key.slot as usize].take() {
            Some(Waiting::One(event)) => {
                self.waiting -= 1;
                self.processed += 1;
                self.free.push(key.slot);
                event
            }
            Some(run @ Waiting::Run(_)) => {
                self.slab[key.slot as usize] = Some(run);
                self.next_of_run(key.slot)
            }
            None => unreachable!("a key's slot holds its events until the key is popped"),
        };
        Some((key.time, event))
    }

    /// The next event of the run in `slot`; the slot is freed with the run's last event.
    #[inline(never)]
    fn next_of_run(&mut self, slot: u32) -> E {
        let Some(Waiting::Run(run)) = &mut self.slab[slot as usize] else {
            unreachable!("a run's slot holds it until its last event is popped");
        };
        let event = run
            .pop_front()
            .expect("a run holds an event until it is freed");
        self.waiting -= 1;
        self.processed += 1;
        if run.is_empty() {
            if let Some(Waiting::Run(run)) = self.slab[slot as usize].take() {
                self.spare.push(run);
            }
            self.free.push(slot);
            self.draining = None;
        } else {
            self.draining = Some(slot);
        }
        event
    }

    /// Moves the clock forward to `t` without an event (e.g. `run_until` a quiet instant).
    pub fn advance_to(&mut self, t: Instant) {
        if t > self.now {
            self.now = t;
            self.open = None;
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
    fn a_run_keeps_the_order_of_one_key_per_event() {
        // Reference: every event alone under its own key (cancellable events never join runs).
        fn order(runs: bool) -> Vec<(u64, u32)> {
            let mut q = EventQueue::new();
            let at = |q: &mut EventQueue<u32>, t: u64, e: u32| {
                if runs {
                    q.schedule(Instant::from_nanos(t), e);
                } else {
                    q.schedule_cancellable(Instant::from_nanos(t), e);
                }
            };
            // Two runs at 10 with a 5 between them, a run at 20, a single at 10 later.
            for e in 0..3 {
                at(&mut q, 10, e);
            }
            at(&mut q, 5, 3);
            for e in 4..7 {
                at(&mut q, 10, e);
            }
            for e in 7..9 {
                at(&mut q, 20, e);
            }
            let mut out = Vec::new();
            while let Some((t, e)) = q.pop() {
                // Events scheduled while a run drains, at its own instant and later.
                if e == 1 {
                    at(&mut q, 10, 100);
                    at(&mut q, 10, 101);
                    at(&mut q, 20, 102);
                }
                out.push((t.as_nanos(), e));
            }
            assert_eq!((q.len(), q.live_len()), (0, 0));
            out
        }
        let with_runs = order(true);
        assert_eq!(with_runs, order(false));
        let events: Vec<u32> = with_runs.iter().map(|&(_, e)| e).collect();
        assert_eq!(events, [3, 0, 1, 2, 4, 5, 6, 100, 101, 7, 8, 102]);
    }

    #[test]
    fn a_cancellable_event_splits_a_run_and_counts_stay_true() {
        let mut q = EventQueue::new();
        q.schedule(Instant::from_nanos(7), 'a');
        q.schedule(Instant::from_nanos(7), 'b');
        let c = q.schedule_cancellable(Instant::from_nanos(7), 'c');
        q.schedule(Instant::from_nanos(7), 'd');
        assert_eq!((q.len(), q.live_len()), (4, 4));
        assert!(q.cancel(c));
        assert_eq!((q.len(), q.live_len()), (4, 3));
        assert_eq!(q.pop(), Some((Instant::from_nanos(7), 'a')));
        assert_eq!(
            q.peek_time(),
            Some(Instant::from_nanos(7)),
            "the run is draining"
        );
        assert_eq!(q.live_len(), 2);
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(rest, ['b', 'd']);
        assert_eq!(q.processed(), 3);
        assert!(q.is_empty());
        assert!(q.slab.len() <= 3, "runs free their slots: {}", q.slab.len());
    }

    proptest::proptest! {
        /// Any mix of schedules, cancellations (of events scheduled any time before), clock
        /// advances over quiet stretches and pops gives what one key per event gives, with
        /// the same counts after every pop.
        #[test]
        fn runs_pop_as_single_keys_would(
            steps in proptest::collection::vec((0u64..3, 0u8..4, 0u8..6, 0u64..3), 1..300)
        ) {
            let mut runs = EventQueue::new();
            let mut singles = EventQueue::new();
            let (mut ids_runs, mut ids_singles) = (Vec::new(), Vec::new());
            let (mut out_runs, mut out_singles) = (Vec::new(), Vec::new());
            for (i, &(dt, pops, kind, advance)) in steps.iter().enumerate() {
                let at = runs.now() + Duration::from_nanos(dt);
                match kind {
                    0 => {
                        ids_runs.push(runs.schedule_cancellable(at, i));
                        ids_singles.push(singles.schedule_cancellable(at, i));
                    }
                    1 if !ids_runs.is_empty() => {
                        let k = i % ids_runs.len();
                        proptest::prop_assert_eq!(
                            runs.cancel(ids_runs[k]),
                            singles.cancel(ids_singles[k])
                        );
                    }
                    2 => {
                        // Only over a quiet stretch, as the world advances the clock.
                        let t = runs.now() + Duration::from_nanos(advance);
                        let quiet = runs.peek_time().is_none_or(|p| p > t);
                        proptest::prop_assert_eq!(quiet, singles.peek_time().is_none_or(|p| p > t));
                        if quiet {
                            runs.advance_to(t);
                            singles.advance_to(t);
                        }
                    }
                    _ => {
                        runs.schedule(at, i);
                        singles.schedule_cancellable(at, i);
                    }
                }
                for _ in 0..pops {
                    proptest::prop_assert_eq!(runs.peek_time(), singles.peek_time());
                    proptest::prop_assert_eq!(runs.is_empty(), singles.is_empty());
                    let (a, b) = (runs.pop(), singles.pop());
                    proptest::prop_assert_eq!(&a, &b);
                    out_runs.extend(a);
                    out_singles.extend(b);
                    proptest::prop_assert_eq!(runs.live_len(), singles.live_len());
                    proptest::prop_assert_eq!(runs.now(), singles.now());
                }
            }
            out_runs.extend(std::iter::from_fn(|| runs.pop()));
            out_singles.extend(std::iter::from_fn(|| singles.pop()));
            proptest::prop_assert_eq!(out_runs, out_singles);
            proptest::prop_assert_eq!(runs.processed(), singles.processed());
            proptest::prop_assert_eq!(runs.len(), 0);
        }
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
