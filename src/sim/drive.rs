//! The one run loop. Every driver — `netlab run` and `check` (the scenario runner), the stepper,
//! the bench, sweeps, packetdrill and replay — goes one event at a time through [`World::next`],
//! which alone decides when a run is over: its stop time, the runaway limits, or nothing left to
//! do. So a stepped run is the run `netlab run` prints, by construction.
//!
//! After each event the driver hands the event's trace records to its views with
//! [`World::publish`] (the records flow as they are made; see [`crate::trace::Subscriber`]).

use super::world::{RunError, Step, World};
use crate::time::Instant;
use crate::trace::Subscriber;

/// What [`World::next`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// One event ran.
    Event(Step),
    /// The next event is later than the pause point: nothing ran, the clock did not move.
    Paused,
    /// The run is over.
    Over(End),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Nothing was left to do (the clock stays at the last event).
    Quiet,
    /// The stop time was reached; the clock was moved to it.
    Stopped(Instant),
    /// A runaway limit was reached.
    Failed(RunError),
}

impl World {
    /// Runs the next event, unless the run is over or the next event is later than `pause`.
    ///
    /// `stop`: the run ends at this time (events later than it never run); without it the run
    /// goes until quiet, and an event later than `limits.max_time` ends it with
    /// [`RunError::TimeLimit`]. `limits.max_events` ends any run with [`RunError::EventLimit`].
    pub fn next(&mut self, stop: Option<Instant>, pause: Option<Instant>) -> Next {
        // Without a stop time, housekeeping alone (MAC aging) does not keep a run going.
        let Some(next) = self.next_event_time(stop) else {
            return Next::Over(End::Quiet);
        };
        match stop {
            Some(s) if next > s => {
                if pause.is_some_and(|p| p < s) {
                    return Next::Paused;
                }
                self.fabric.queue.advance_to(s);
                return Next::Over(End::Stopped(s));
            }
            None if next > self.limits.max_time => {
                return Next::Over(End::Failed(RunError::TimeLimit {
                    at: self.now(),
                    next,
                }));
            }
            _ => {}
        }
        if pause.is_some_and(|p| next > p) {
            return Next::Paused;
        }
        match self.step() {
            Err(e) => Next::Over(End::Failed(e)),
            Ok(None) => Next::Over(End::Quiet),
            Ok(Some(step)) => Next::Event(step),
        }
    }

    /// Runs until `stop` (or until quiet), handing records to `views` after every event.
    /// Returns how the run ended; the views are not finished (the caller may go on).
    pub fn run_views(&mut self, stop: Option<Instant>, views: &mut [&mut dyn Subscriber]) -> End {
        loop {
            match self.next(stop, None) {
                Next::Event(_) => self.publish(views),
                Next::Paused => unreachable!("no pause point was given"),
                Next::Over(end) => {
                    self.publish(views);
                    return end;
                }
            }
        }
    }

    /// Hands the records made since the last call to every view, in order, with the world as
    /// it is now. A streaming trace forgets them afterwards.
    pub fn publish(&mut self, views: &mut [&mut dyn Subscriber]) {
        if views.is_empty() && self.fabric.trace.keeps() {
            return;
        }
        let (records, from) = self.fabric.trace.take_unpublished();
        for r in &records[from..] {
            for v in views.iter_mut() {
                v.record(self, r);
            }
        }
        self.fabric.trace.put_back(records);
    }
}

/// A driver's clock other than simulated time alone: a run in real time (`crate::tap::realtime`)
/// waits for the wall clock before each event and, while it waits, may put frames from outside
/// into the world. Drivers without one run events as fast as they can (the deterministic case).
pub trait Pacer {
    /// Waits until the next event or `deadline` (a check or the stop time the driver keeps) is
    /// due, whichever is first; nothing due: waits for outside frames. Returns false when the
    /// run must end now (Ctrl-C); the world's clock then stands at the wall clock's time.
    fn wait(&mut self, world: &mut World, deadline: Option<Instant>) -> bool;
    /// The run is over: hand out what is still waiting.
    fn finish(&mut self, world: &mut World);
}
