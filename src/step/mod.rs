//! The step-through debugger: run a scenario one event at a time, look at what each event did
//! layer by layer, set breakpoints, and step back.
//!
//! A [`Stepper`] owns a scenario and the world instantiated from it, and drives the world with
//! [`scenario::next_event`], the one run loop the batch runner uses too, so a stepped run is the
//! run `netlab run` prints. It keeps only the current event's records (and which frames had bits
//! flipped); nothing keeps the run's history. Commands are text lines ([`Stepper::execute`]) so a session can be typed,
//! piped in or kept as a test; every answer is plain text and deterministic.
//!
//! Events that leave no trace record (a wake whose timer was re-armed later, so nothing was
//! due) are run silently: `next` goes to the next event that *did* something. Event numbers
//! count every event, so they are stable whatever was skipped.
//!
//! Stepping back re-runs the scenario from the start to the event before the current one: the
//! simulation is deterministic (integer time, seeded random streams, no hash-map order), so the
//! replayed world is exactly the one that was there. `fields #ID` of an earlier frame replays
//! the same way to find it.
//!
//! This file is the engine (running events, stepping back, breakpoints' hits, finding a sent
//! frame again); `commands.rs` is the command language (the words, their answers, help and
//! completion); `layers.rs` the `layers` view.

use crate::filter::FrameFilter;
use crate::scenario::{self, Scenario};
use crate::sim::{End, FrameId, Next, NodeId, RunError, Step, World};
use crate::tcp::{State, TcpEvent};
use crate::time::Instant;
use crate::trace::{Layer, Record, Subscriber, Trace, TraceEvent};
use std::collections::HashMap;
use std::rc::Rc;

mod commands;
mod layers;

pub use commands::complete_in;
pub use layers::{endpoint, layers_text};

/// Code that acts on the world after every event (an embedded application written in Rust,
/// e.g. a test's TCP client and server). It must depend only on the world it is given, so a
/// re-run from the start (`back`) replays it exactly.
pub type Hook = Rc<dyn Fn(&mut World, &Step)>;

/// What makes `continue` stop.
#[derive(Clone, Debug)]
pub enum Breakpoint {
    /// Any record at this node.
    Node(NodeId),
    /// Any record of this layer.
    Layer(Layer),
    /// A TCP connection entering this state.
    State(State),
    /// A frame matching the filter sent onto or arriving from a link.
    Filter(FrameFilter),
    /// The first event at or after this time.
    Time(Instant),
    /// A program's socket call by name (`recv`, `accept`, `sendto`…), when it blocks or returns:
    /// a Python program's `fd3.recv(1024)` or a scripted line's `data = recv(conn, 1024)`.
    Call(String),
}

/// Whether an application log line is a call of `name`: `name(` not preceded by a letter,
/// digit or `_` (so `recv` is not `recvfrom`, and `fd3.recv(` or `= recv(` both are).
fn is_call_of(text: &str, name: &str) -> bool {
    let pat = format!("{name}(");
    text.match_indices(&pat).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    }) && !text.contains(" print: ")
}

/// How the run ended.
#[derive(Clone, Debug)]
enum Ended {
    /// Nothing left to do.
    Quiet,
    /// The scenario's stop time was reached.
    Stop(Instant),
    Error(RunError),
}

/// The event last run that left records.
#[derive(Clone, Debug)]
struct Current {
    /// Its number among all events of the run, from 1.
    index: u64,
    step: Step,
    /// Its records.
    records: Vec<Record>,
}

/// Takes the records of one event.
#[derive(Default)]
struct Collect(Vec<Record>);

impl Subscriber for Collect {
    fn record(&mut self, _names: &dyn crate::trace::Names, r: &Record) {
        self.0.push(r.clone());
    }
}

/// Why a run of events stopped.
enum Stop {
    /// The event now current.
    Event,
    /// The next event is later than the time limit asked for.
    Limit,
    Ended,
}

/// The answer to one command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// The command asked to leave.
    pub quit: bool,
}

impl Reply {
    fn text(text: impl Into<String>) -> Reply {
        let mut text = text.into();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        Reply { text, quit: false }
    }
}

/// A scenario being stepped through.
pub struct Stepper {
    scn: Scenario,
    seed: Option<u64>,
    hook: Option<Hook>,
    world: World,
    actions: Vec<String>,
    /// Events run so far.
    events: u64,
    /// The event before the current one that left records: its number and time (where `back`
    /// goes; a replay finds the one before that again).
    previous: Option<(u64, Instant)>,
    current: Option<Current>,
    /// Bits flipped on the way, by frame (for `layers` at the frame's arrival).
    flipped: HashMap<FrameId, u32>,
    ended: Option<Ended>,
    breaks: Vec<(u32, Breakpoint)>,
    next_break: u32,
    /// How many timeline actions the scenario file has; the user's (`do`, `link`) follow.
    file_actions: usize,
    /// The user's actions: (the number of the event after which it was given, its index in
    /// `scn.actions`). A replay (`back`) schedules each again after that same event.
    acts: Vec<(u64, u32)>,
    /// Fed every record while replaying for `expect` (checks that count records).
    tally: Option<crate::scenario::Tally>,
}

impl Stepper {
    /// A stepper at the start of `scn` (nothing run yet). `seed` overrides the file's seed.
    pub fn new(scn: Scenario, seed: Option<u64>) -> Stepper {
        let world = scn.instantiate(seed, Trace::streaming());
        let actions = scn.action_texts();
        Stepper {
            scn,
            seed,
            hook: None,
            world,
            actions,
            events: 0,
            previous: None,
            current: None,
            flipped: HashMap::new(),
            ended: None,
            breaks: Vec::new(),
            next_break: 1,
            file_actions: 0,
            acts: Vec::new(),
            tally: None,
        }
        .counted()
    }

    fn counted(mut self) -> Stepper {
        self.file_actions = self.scn.actions.len();
        self
    }

    /// Runs `hook` after every event (see [`Hook`]).
    pub fn with_hook(mut self, hook: Hook) -> Stepper {
        self.hook = Some(hook);
        self
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// The number of the current event (0 before the first).
    pub fn event_index(&self) -> u64 {
        self.current.as_ref().map_or(0, |c| c.index)
    }

    /// The records the current event made.
    pub fn current_records(&self) -> &[Record] {
        match &self.current {
            Some(c) => &c.records,
            None => &[],
        }
    }

    // ------------------------------------------------------------------ running

    /// The scenario's stop time, if any.
    fn stop_time(&self) -> Option<Instant> {
        self.scn.stop
    }

    /// Runs events until one leaves records (it becomes current), the run ends, or the next
    /// event is later than `limit`.
    fn advance(&mut self, limit: Option<Instant>) -> Stop {
        if self.ended.is_some() {
            return Stop::Ended;
        }
        loop {
            let stop = self.stop_time();
            let step = match scenario::next_event(&self.scn, &mut self.world, stop, limit) {
                Next::Paused => return Stop::Limit,
                Next::Over(end) => {
                    self.ended = Some(match end {
                        End::Quiet => Ended::Quiet,
                        End::Stopped(t) => Ended::Stop(t),
                        End::Failed(e) => Ended::Error(e),
                    });
                    return Stop::Ended;
                }
                Next::Event(step) => step,
            };
            self.events += 1;
            if let Some(hook) = self.hook.clone() {
                hook(&mut self.world, &step);
            }
            for &(after, index) in &self.acts {
                if after == self.events {
                    let now = self.world.now();
                    self.world.schedule_script(now, index);
                }
            }
            let mut got = Collect::default();
            match &mut self.tally {
                Some(t) => self.world.publish(&mut [&mut got, t]),
                None => self.world.publish(&mut [&mut got]),
            }
            if !got.0.is_empty() {
                for r in &got.0 {
                    if let TraceEvent::BitErrors { id, flipped, .. } = r.event {
                        self.flipped.insert(id, flipped);
                    }
                }
                self.previous = self.current.as_ref().map(|c| (c.index, c.step.time));
                self.current = Some(Current {
                    index: self.events,
                    step,
                    records: got.0,
                });
                return Stop::Event;
            }
        }
    }

    /// Back to the start: a fresh world, nothing run.
    fn restart(&mut self) {
        // The user's actions are scheduled by the replay, after the event they followed.
        let users = self.scn.actions.split_off(self.file_actions);
        self.world = self.scn.instantiate(self.seed, Trace::streaming());
        self.scn.actions.extend(users);
        self.events = 0;
        self.previous = None;
        self.flipped.clear();
        self.current = None;
        self.ended = None;
    }

    /// Time of the event before the current one that left records.
    fn previous_time(&self) -> Option<Instant> {
        self.previous.map(|(_, t)| t)
    }

    /// The breakpoints the current event hits.
    fn hits(&self) -> Vec<u32> {
        let Some(cur) = &self.current else {
            return Vec::new();
        };
        let records = &cur.records;
        let before = self.previous_time();
        self.breaks
            .iter()
            .filter(|(_, b)| {
                match b {
                Breakpoint::Node(n) => records.iter().any(|r| r.node == Some(*n)),
                Breakpoint::Layer(l) => records.iter().any(|r| r.event.layer() == *l),
                Breakpoint::State(s) => records.iter().any(|r| {
                    matches!(r.event, TraceEvent::Tcp {
                        event: TcpEvent::StateChanged { to, .. },
                        ..
                    } if to == *s)
                }),
                Breakpoint::Filter(f) => records.iter().any(|r| match &r.event {
                    TraceEvent::FrameTx { frame, .. } | TraceEvent::FrameRx { frame, .. } => {
                        f.matches(frame)
                    }
                    _ => false,
                }),
                Breakpoint::Time(t) => cur.step.time >= *t && before.is_none_or(|b| b < *t),
                Breakpoint::Call(name) => records.iter().any(|r| {
                    matches!(&r.event, TraceEvent::AppLog { text, .. } if is_call_of(text, name))
                }),
            }
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// Runs events until `stop_here` says so (after each event that did something), a
    /// breakpoint is hit, the run ends or the next event is later than `limit`. Returns the
    /// number of events that did something, the breakpoints hit, and why it stopped.
    fn run_until_stop(
        &mut self,
        limit: Option<Instant>,
        mut stop_here: impl FnMut(&Stepper) -> bool,
    ) -> (u64, Vec<u32>, Stop) {
        let mut n = 0;
        loop {
            match self.advance(limit) {
                Stop::Event => {
                    n += 1;
                    let hits = self.hits();
                    if !hits.is_empty() || stop_here(self) {
                        return (n, hits, Stop::Event);
                    }
                }
                other => return (n, Vec::new(), other),
            }
        }
    }

    // ------------------------------------------------------------------ looking at frames

    /// The frame the current event is about: the one that arrived, else the first one sent.
    fn current_frame(&self) -> Option<(&Record, &[u8])> {
        let records = self.current_records();
        records
            .iter()
            .find_map(|r| match &r.event {
                TraceEvent::FrameRx { frame, .. } => Some((r, &frame[..])),
                _ => None,
            })
            .or_else(|| {
                records.iter().find_map(|r| match &r.event {
                    TraceEvent::FrameTx { frame, .. } => Some((r, &frame[..])),
                    _ => None,
                })
            })
    }

    /// The record of frame `id`'s transmission, if it happened by the current event: found by
    /// replaying the run from the start (the stepper keeps no history; the replay is exact).
    fn sent_frame(&self, id: FrameId) -> Option<Record> {
        if let Some(r) = self
            .current_records()
            .iter()
            .find(|r| matches!(&r.event, TraceEvent::FrameTx { id: fid, .. } if *fid == id))
        {
            return Some(r.clone());
        }
        let mut world = self.scn.instantiate(self.seed, Trace::streaming());
        let stop = self.stop_time();
        for _ in 0..self.events {
            let Next::Event(step) = scenario::next_event(&self.scn, &mut world, stop, None) else {
                break;
            };
            if let Some(hook) = &self.hook {
                hook(&mut world, &step);
            }
            let mut got = Collect::default();
            world.publish(&mut [&mut got]);
            if let Some(r) = got
                .0
                .into_iter()
                .find(|r| matches!(&r.event, TraceEvent::FrameTx { id: fid, .. } if *fid == id))
            {
                return Some(r);
            }
        }
        None
    }
}
