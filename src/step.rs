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

use crate::filter::{Endpoint, FrameFilter};
use crate::scenario::{self, Scenario};
use crate::show::{self, Table};
use crate::sim::{End, FrameId, Next, NodeId, NodeKind, RunError, Step, StepKind, World};
use crate::tcp::{State, TcpEvent};
use crate::time::{Duration, Instant};
use crate::trace::dissect;
use crate::trace::text::TextView;
use crate::trace::{Layer, Record, Subscriber, Trace, TraceEvent};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::rc::Rc;

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
    fn record(&mut self, _world: &World, r: &Record) {
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

/// The command words, for completion.
const COMMANDS: &[&str] = &[
    "next", "until", "continue", "back", "where", "layers", "fields", "show", "break", "breaks",
    "delete", "do", "link", "expect", "help", "quit",
];

/// The words that complete the last word of `line`, among the full `lines`: those whose
/// earlier words are the line's, word for word.
pub fn complete_in(lines: &[String], line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (done, typing) = if line.is_empty() || line.ends_with(char::is_whitespace) {
        (&words[..], "")
    } else {
        (&words[..words.len() - 1], words[words.len() - 1])
    };
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        let lw: Vec<&str> = l.split(' ').collect();
        if lw.len() > done.len() && lw[..done.len()] == *done && lw[done.len()].starts_with(typing)
        {
            let w = lw[done.len()].to_string();
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// `t` in seconds, to the microsecond (to the nanosecond when it has nanoseconds).
fn seconds(t: Instant) -> String {
    let ns = t.as_nanos();
    if ns.is_multiple_of(1000) {
        format!("{}.{:06}", ns / 1_000_000_000, ns % 1_000_000_000 / 1000)
    } else {
        format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
    }
}

const HELP: &str = "\
commands:
  next, n [N]          run the next event (N events) and print what it did
  next state           run to the next TCP state change
  until TIME           run every event up to TIME (e.g. until 1.5s)
  continue, c          run to the next breakpoint or the end
  back                 go back one event (re-runs the scenario from the start)
  where                the time, the event number and what the current event did
  layers               how the current event's frame went through the device's layers
  fields [#ID]         every header field of the current frame (or of frame #ID)
  show TABLE NODE      a table as it is now: arp, routes, mac, sockets or counters
  break node NAME      stop at events at a node
  break layer NAME     stop at events of a layer (phy, eth, switch, arp, ip, icmp, udp, tcp,
                       socket, app, scenario)
  break state STATE    stop when a TCP connection enters STATE (TIME_WAIT; netstat and ss
                       names too: SYN_RCVD, SYN-RECV, ESTAB)
  break filter \"WORDS\" stop when a matching frame is sent or arrives (e.g. \"tcp syn\")
  break time TIME      stop at the first event at or after TIME
  break call NAME      stop when a program's call NAME (recv, accept…) blocks or returns
  do NODE ACTION…      act now, as a timeline line without its time (do alice ping bob,
                       do alice send-frame to=bob text=\"hi\"); recorded: `back` replays it
  link NAME up|down    take a link down or up now (recorded too)
  expect CHECK         judge a check now (expect alice arp has bob, expect p1.received == 1)
  breaks               list the breakpoints
  delete [N]           delete breakpoint N (all without N)
  help                 this list
  quit, q              leave
";

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

    /// The first lines of a session: what is being stepped.
    pub fn banner(&self) -> String {
        let mut s = format!(
            "netlab step: {} (seed {}): {} nodes, {} links, {} timeline action{}\n",
            self.scn.name,
            self.seed.unwrap_or(self.scn.seed),
            self.world.nodes.len(),
            self.world.fabric.links.len(),
            self.actions.len(),
            if self.actions.len() == 1 { "" } else { "s" }
        );
        s.push_str("type `help` for the commands\n");
        s
    }

    /// The prompt of an interactive session, with where the run is: `(netlab 1.000043 #5) `
    /// (the current event's time in seconds and its number; `#0` before the first event).
    pub fn prompt(&self) -> String {
        let t = self.current.as_ref().map_or(Instant::ZERO, |c| c.step.time);
        format!("(netlab {} #{}) ", seconds(t), self.event_index())
    }

    /// What an interactive session says when the input ends (Ctrl-D at the prompt).
    pub const GOODBYE: &'static str = "goodbye (end of input)\n";

    /// Every command line Tab completion can build, word by word: the commands, their
    /// arguments (breakpoint kinds, layers, states, tables) and node names.
    pub fn completion_lines(&self) -> Vec<String> {
        let mut v: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
        v.push("next state".into());
        for l in &self.world.fabric.links {
            v.push(format!("link {} down", l.name));
            v.push(format!("link {} up", l.name));
        }
        for n in &self.world.nodes {
            v.push(format!("do {}", n.name));
            v.push(format!("break node {}", n.name));
            for t in ["arp", "routes", "mac", "stp", "sockets", "counters"] {
                v.push(format!("show {t} {}", n.name));
            }
        }
        v.extend(
            Layer::ALL
                .iter()
                .map(|l| format!("break layer {}", l.name())),
        );
        v.extend(
            State::ALL
                .iter()
                .map(|s| format!("break state {}", s.name())),
        );
        v.extend(["filter", "time", "call"].map(|k| format!("break {k}")));
        v
    }

    /// Completions of the word being typed at the end of `line` (whole words).
    pub fn complete(&self, line: &str) -> Vec<String> {
        complete_in(&self.completion_lines(), line)
    }

    /// Reads commands from `input` until `quit` or the end of the input, writing the answers to
    /// `out`. `echo` repeats each command after a prompt (for transcripts of scripted
    /// sessions); `prompt` prints a prompt before reading (for a terminal).
    pub fn run_session(
        &mut self,
        input: impl BufRead,
        out: &mut impl Write,
        echo: bool,
        prompt: bool,
    ) -> io::Result<()> {
        write!(out, "{}", self.banner())?;
        let mut lines = input.lines();
        loop {
            if prompt {
                write!(out, "{}", self.prompt())?;
                out.flush()?;
            }
            let Some(line) = lines.next() else {
                if prompt {
                    write!(out, "\n{}", Self::GOODBYE)?;
                }
                break;
            };
            let line = line?;
            if echo {
                writeln!(out, "(netlab) {}", line.trim_end())?;
            }
            let reply = self.execute(&line);
            write!(out, "{}", reply.text)?;
            if reply.quit {
                break;
            }
        }
        out.flush()
    }

    /// Carries out one command line.
    pub fn execute(&mut self, line: &str) -> Reply {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Reply::text("");
        }
        let words = match split_words(line) {
            Ok(w) => w,
            Err(e) => return Reply::text(format!("error: {e}")),
        };
        let args: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
        let (cmd, rest) = (args[0], &args[1..]);
        let text = match cmd {
            "next" | "n" | "step" | "s" => self.cmd_next(rest),
            "until" | "u" => self.cmd_until(rest),
            "continue" | "c" => self.cmd_continue(rest),
            "back" | "b" => self.cmd_back(rest),
            "where" | "w" => self.cmd_where(),
            "layers" => self.cmd_layers(),
            "fields" => self.cmd_fields(rest),
            "show" => self.cmd_show(rest),
            "break" => self.cmd_break(rest),
            "breaks" => self.cmd_breaks(),
            "delete" | "d" => self.cmd_delete(rest),
            "do" => self.cmd_do(&line[2..]),
            "link" => self.cmd_do(line),
            "expect" => self.cmd_expect(line["expect".len()..].trim()),
            "help" | "h" | "?" => HELP.to_string(),
            "quit" | "q" | "exit" => {
                return Reply {
                    text: String::new(),
                    quit: true,
                }
            }
            other => format!("unknown command `{other}`: type `help` for the list"),
        };
        Reply::text(text)
    }

    // ------------------------------------------------------------------ acting

    /// The scenario file's text with its `[timeline]` and `[expect]` replaced, parsed: how a
    /// line typed at the stepper is checked and turned into an action or a check exactly as
    /// the file's own lines are.
    fn reparse(&self, steps: Option<String>, checks: Option<String>) -> Result<Scenario, String> {
        let mut doc: toml::Table = toml::from_str(&self.scn.source).map_err(|e| e.to_string())?;
        if let Some(steps) = steps {
            let mut t = toml::Table::new();
            t.insert("steps".into(), toml::Value::String(steps));
            doc.insert("timeline".into(), toml::Value::Table(t));
        }
        doc.remove("expect");
        if let Some(checks) = checks {
            let mut t = toml::Table::new();
            t.insert("checks".into(), toml::Value::String(checks));
            doc.insert("expect".into(), toml::Value::Table(t));
        }
        // Acting on the present: the file's stop time does not forbid it.
        if let Some(toml::Value::Table(scn)) = doc.get_mut("scenario") {
            scn.remove("stop");
        }
        let text = toml::to_string(&doc).map_err(|e| e.to_string())?;
        Scenario::parse(&self.scn.path, &text).map_err(|e| {
            // The message without its position, which is in the rewritten text, not the file.
            let full = e.to_string();
            let first = full.lines().next().unwrap_or("").to_string();
            let rest = first.strip_prefix(&format!("{}:", self.scn.path));
            match rest.and_then(|r| r.splitn(3, ':').nth(2)) {
                Some(msg) => msg.trim().to_string(),
                None => first,
            }
        })
    }

    /// `do LINE` (and `link NAME up|down`): a timeline action, now. It runs as the next event
    /// and is recorded with the event after which it was given, so `back` replays it there.
    fn cmd_do(&mut self, line: &str) -> String {
        let line = line.trim();
        if line.is_empty() {
            return "usage: do NODE ACTION… (a timeline line without its time, e.g. `do alice \
                    ping bob count=1`), or link NAME up|down"
                .into();
        }
        if self.ended.is_some() {
            return "the run is over: nothing more happens (`back` to go back first)".into();
        }
        let now = self.world.now();
        let steps = format!("{}ns {line}", now.as_nanos());
        let parsed = match self.reparse(Some(steps), None) {
            Ok(s) => s,
            Err(e) => return format!("error: {e}"),
        };
        let [action] = parsed.actions.as_slice() else {
            return "error: one action per line".into();
        };
        let mut action = action.clone();
        action.text = line.to_string();
        let index = self.scn.actions.len() as u32;
        self.scn.actions.push(action);
        self.actions.push(line.to_string());
        self.world.schedule_script(now, index);
        self.acts.push((self.events, index));
        format!("will do at t={now} (the next event): {line}")
    }

    /// `expect CHECK`: judges a check of the expectation language on the world as it is now.
    /// A check that counts records (`seen`, `received`, `dropped`…) replays the run so far.
    fn cmd_expect(&mut self, check: &str) -> String {
        if check.is_empty() {
            return "usage: expect CHECK (a line of [expect] without at/end, e.g. `expect alice \
                    arp has bob` or `expect p1.received == 2`)"
                .into();
        }
        // The file's timeline stays: checks name its applications.
        let parsed = match self.reparse(None, Some(format!("end {check}"))) {
            Ok(s) => s,
            Err(e) => return format!("error: {e}"),
        };
        let Some(c) = parsed.checks.first() else {
            return "error: no check".into();
        };
        let tally = crate::scenario::Tally::new(std::slice::from_ref(c));
        let seen = if tally.needs_trace() {
            let target = self.events;
            let current = self.current.clone();
            let previous = self.previous;
            self.tally = Some(tally);
            self.restart();
            while self.events < target {
                if !matches!(self.advance(None), Stop::Event) {
                    break;
                }
            }
            self.current = current;
            self.previous = previous;
            self.tally.take().map(|t| t.seen[0].clone())
        } else {
            Some(tally.seen[0].clone())
        };
        let Some(seen) = seen else {
            return "error: no check".into();
        };
        let r = c.evaluate(&self.world, None, &seen);
        format!(
            "{}: {check} ({})",
            if r.passed { "holds" } else { "does NOT hold" },
            r.detail
        )
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

    fn hit_lines(&self, hits: &[u32]) -> String {
        let mut s = String::new();
        for id in hits {
            if let Some((_, b)) = self.breaks.iter().find(|(i, _)| i == id) {
                let _ = writeln!(s, "breakpoint {id} ({}) hit", self.describe_break(b));
            }
        }
        s
    }

    fn ended_text(&self) -> String {
        match &self.ended {
            Some(Ended::Quiet) => format!(
                "the run is over: nothing left to do (t={}, {} events)",
                self.world.now(),
                self.events
            ),
            Some(Ended::Stop(t)) => format!(
                "the run is over: the scenario stops at t={t} ({} events)",
                self.events
            ),
            Some(Ended::Error(e)) => format!("the run stopped: {e}"),
            None => String::new(),
        }
    }

    /// The current event: a header line and its records, one line each.
    fn event_text(&self) -> String {
        let Some(cur) = &self.current else {
            return "no event has run yet\n".into();
        };
        let view = TextView::new(&self.world, &self.actions);
        let mut s = format!(
            "-- event {} at {}: {}\n",
            cur.index,
            cur.step.time,
            self.what_step(cur)
        );
        for r in &cur.records {
            let _ = writeln!(s, "{}", view.line(r));
        }
        s
    }

    /// What kind of event the current one is, in words.
    fn what_step(&self, cur: &Current) -> String {
        let records = &cur.records;
        let view = TextView::new(&self.world, &self.actions);
        match cur.step.kind {
            StepKind::Frame { link, to } => {
                let rx = records.iter().find_map(|r| match &r.event {
                    TraceEvent::FrameRx { id, port, .. } if r.node == Some(to) => {
                        Some((*id, *port))
                    }
                    _ => None,
                });
                match rx {
                    Some((id, port)) => format!(
                        "frame {id} arrives at {} on {} from {}",
                        view.node_name(to),
                        view.port_name(to, port),
                        view.link_name(link)
                    ),
                    None => format!(
                        "a frame on {} was lost before it reached {}",
                        view.link_name(link),
                        view.node_name(to)
                    ),
                }
            }
            StepKind::Wake { node } => format!("timers of {}", view.node_name(node)),
            StepKind::Line { link } => {
                format!("the shared cable {} (CSMA/CD)", view.link_name(link))
            }
            StepKind::Script { index } => format!(
                "timeline action: {}",
                self.actions.get(index as usize).map_or("?", |a| a.as_str())
            ),
        }
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

    // ------------------------------------------------------------------ commands

    fn cmd_next(&mut self, args: &[&str]) -> String {
        match args {
            [] => self.next_n(1),
            ["state"] => {
                let before = self.events;
                let (n, hits, stop) = self.run_until_stop(None, |st| {
                    st.current_records().iter().any(|r| {
                        matches!(
                            r.event,
                            TraceEvent::Tcp {
                                event: TcpEvent::StateChanged { .. },
                                ..
                            }
                        )
                    })
                });
                self.report_run(before, n, &hits, stop)
            }
            [count] => match count.parse::<u64>() {
                Ok(k) if k >= 1 => self.next_n(k),
                _ => format!("usage: next [N | state]; `{count}` is not a number of events"),
            },
            _ => "usage: next [N | state]".into(),
        }
    }

    fn next_n(&mut self, k: u64) -> String {
        let mut s = String::new();
        for _ in 0..k {
            match self.advance(None) {
                Stop::Event => {
                    s.push_str(&self.event_text());
                    let hits = self.hits();
                    if !hits.is_empty() {
                        s.push_str(&self.hit_lines(&hits));
                        break;
                    }
                }
                _ => {
                    s.push_str(&self.ended_text());
                    s.push('\n');
                    break;
                }
            }
        }
        s
    }

    /// What a run of several events ends with: how many ran, the event it stopped at.
    fn report_run(&self, before: u64, n: u64, hits: &[u32], stop: Stop) -> String {
        let mut s = format!(
            "ran {} event{}\n",
            self.events - before,
            if self.events - before == 1 { "" } else { "s" }
        );
        match stop {
            Stop::Event => {
                s.push_str(&self.event_text());
                s.push_str(&self.hit_lines(hits));
            }
            Stop::Limit => {}
            Stop::Ended => {
                if n > 0 {
                    s.push_str("last event:\n");
                    s.push_str(&self.event_text());
                }
                s.push_str(&self.ended_text());
                s.push('\n');
            }
        }
        s
    }

    fn cmd_until(&mut self, args: &[&str]) -> String {
        let [t] = args else {
            return "usage: until TIME (e.g. until 1.5s)".into();
        };
        let t = match t.parse::<Duration>() {
            Ok(d) => Instant::ZERO + d,
            Err(e) => return format!("error: {e}"),
        };
        if t < self.world.now() {
            return format!(
                "t={t} is in the past (now t={}); `back` goes back one event",
                self.world.now()
            );
        }
        let before = self.events;
        let (n, hits, stop) = self.run_until_stop(Some(t), |_| false);
        let mut s = self.report_run(before, n, &hits, Stop::Limit);
        match stop {
            Stop::Limit => {
                self.world.fabric.queue.advance_to(t);
                if n > 0 {
                    s.push_str("last event:\n");
                    s.push_str(&self.event_text());
                }
                let _ = write!(s, "now t={}", t);
                match self.world.fabric.queue.peek_time() {
                    Some(next) => {
                        let _ = writeln!(s, "; the next event is at {next}");
                    }
                    None => s.push_str("; nothing left to do\n"),
                }
            }
            Stop::Event => {
                s.push_str(&self.event_text());
                s.push_str(&self.hit_lines(&hits));
            }
            Stop::Ended => {
                if n > 0 {
                    s.push_str("last event:\n");
                    s.push_str(&self.event_text());
                }
                s.push_str(&self.ended_text());
                s.push('\n');
            }
        }
        s
    }

    fn cmd_continue(&mut self, args: &[&str]) -> String {
        if !args.is_empty() {
            return "usage: continue".into();
        }
        let before = self.events;
        let (n, hits, stop) = self.run_until_stop(None, |_| false);
        self.report_run(before, n, &hits, stop)
    }

    fn cmd_back(&mut self, args: &[&str]) -> String {
        if !args.is_empty() {
            return "usage: back".into();
        }
        if self.current.is_none() {
            return "already at the start: no event has run yet".into();
        }
        let target = self.previous.map_or(0, |(i, _)| i);
        // What the user did after the event we go back to is undone; before it, replayed.
        let undone = self.acts.iter().filter(|(k, _)| *k > target).count();
        self.acts.retain(|(k, _)| *k <= target);
        self.restart();
        while self.events < target {
            if !matches!(self.advance(None), Stop::Event) {
                break;
            }
        }
        if target == 0 {
            return "back at the start: no event has run yet (the scenario was re-run from t=0)"
                .into();
        }
        let mut s = String::from("back one event (re-ran the scenario from t=0");
        if !self.acts.is_empty() {
            let _ = write!(
                s,
                ", with your {} action(s) where you gave them",
                self.acts.len()
            );
        }
        if undone > 0 {
            let _ = write!(s, "; {undone} action(s) you gave later are undone");
        }
        s.push_str("):\n");
        s.push_str(&self.event_text());
        s
    }

    fn cmd_where(&mut self) -> String {
        let mut s = String::new();
        match &self.current {
            None => {
                let _ = write!(
                    s,
                    "at the start, t={}: no event has run yet",
                    self.world.now()
                );
                match self.world.fabric.queue.peek_time() {
                    Some(t) if self.ended.is_none() => {
                        let _ = writeln!(s, "; the first is at {t}");
                    }
                    _ => s.push('\n'),
                }
            }
            Some(cur) => {
                let _ = writeln!(
                    s,
                    "t={}, event {} ({} events run so far)",
                    self.world.now(),
                    cur.index,
                    self.events
                );
                s.push_str(&self.event_text());
            }
        }
        if self.ended.is_some() {
            s.push_str(&self.ended_text());
            s.push('\n');
        }
        s
    }

    fn cmd_show(&self, args: &[&str]) -> String {
        let [table, node] = args else {
            return "usage: show arp|routes|mac|stp|sockets|counters NODE".into();
        };
        let table: Table = match table.parse() {
            Ok(t) => t,
            Err(e) => return format!("error: {e}"),
        };
        let Some(id) = self.world.node_id(node) else {
            return self.no_node(node);
        };
        let mut s = format!("at t={}\n", self.world.now());
        match show::render(&self.world, id, table) {
            Ok(t) => s.push_str(&t),
            Err(e) => {
                let _ = writeln!(s, "error: {e}");
            }
        }
        s
    }

    fn no_node(&self, name: &str) -> String {
        let names: Vec<&str> = self.world.nodes.iter().map(|n| n.name.as_str()).collect();
        format!(
            "error: no node called `{name}`; the nodes are {}",
            names.join(", ")
        )
    }

    // ------------------------------------------------------------------ breakpoints

    fn describe_break(&self, b: &Breakpoint) -> String {
        match b {
            Breakpoint::Node(n) => format!("node {}", self.world.node(*n).name),
            Breakpoint::Layer(l) => format!("layer {}", l.name()),
            Breakpoint::State(s) => format!("state {s}"),
            Breakpoint::Filter(f) => format!("filter \"{f}\""),
            Breakpoint::Time(t) => format!("time {t}"),
            Breakpoint::Call(c) => format!("call {c}"),
        }
    }

    fn cmd_break(&mut self, args: &[&str]) -> String {
        const USAGE: &str =
            "usage: break node NAME | layer NAME | state STATE | filter \"WORDS\" | time TIME | call NAME";
        let Some((&what, rest)) = args.split_first() else {
            return USAGE.into();
        };
        let b = match (what, rest) {
            ("node", [name]) => match self.world.node_id(name) {
                Some(id) => Breakpoint::Node(id),
                None => return self.no_node(name),
            },
            ("layer", [name]) => match Layer::from_name(name) {
                Some(l) => Breakpoint::Layer(l),
                None => {
                    let all: Vec<&str> = Layer::ALL.iter().map(|l| l.name()).collect();
                    return format!(
                        "error: unknown layer `{name}`: expected one of {}",
                        all.join(", ")
                    );
                }
            },
            ("state", [name]) => match State::from_name(name) {
                Some(s) => Breakpoint::State(s),
                None => {
                    let all: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
                    return format!(
                        "error: unknown TCP state `{name}`: expected one of {} (or the \
                         netstat/ss names: SYN_RCVD, SYN-RECV, ESTAB, FIN-WAIT-1…)",
                        all.join(", ")
                    );
                }
            },
            ("filter", words) if !words.is_empty() => {
                let text = words.join(" ");
                let world = &self.world;
                match FrameFilter::parse(&text, &|n| endpoint(world, n)) {
                    Ok(f) => Breakpoint::Filter(f),
                    Err(e) => return format!("error: filter \"{text}\": {e}"),
                }
            }
            ("time", [t]) => match t.parse::<Duration>() {
                Ok(d) => Breakpoint::Time(Instant::ZERO + d),
                Err(e) => return format!("error: {e}"),
            },
            ("call", [name])
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Breakpoint::Call(name.to_string())
            }
            _ => return USAGE.into(),
        };
        let what = self.describe_break(&b);
        if let Some((id, _)) = self
            .breaks
            .iter()
            .find(|(_, old)| self.describe_break(old) == what)
        {
            return format!("breakpoint {id} already stops at {what}: nothing added");
        }
        let id = self.next_break;
        self.next_break += 1;
        let text = format!("breakpoint {id}: {what}");
        self.breaks.push((id, b));
        text
    }

    fn cmd_breaks(&self) -> String {
        if self.breaks.is_empty() {
            return "no breakpoints".into();
        }
        let mut s = String::new();
        for (id, b) in &self.breaks {
            let _ = writeln!(s, "{id:>3}  {}", self.describe_break(b));
        }
        s
    }

    fn cmd_delete(&mut self, args: &[&str]) -> String {
        match args {
            [] => {
                let n = self.breaks.len();
                self.breaks.clear();
                format!("deleted {n} breakpoint{}", if n == 1 { "" } else { "s" })
            }
            [n] => match n.parse::<u32>() {
                Ok(id) => match self.breaks.iter().position(|(i, _)| *i == id) {
                    Some(pos) => {
                        self.breaks.remove(pos);
                        format!("deleted breakpoint {id}")
                    }
                    None => format!("error: no breakpoint {id} (see `breaks`)"),
                },
                Err(_) => format!("usage: delete [N]; `{n}` is not a breakpoint number"),
            },
            _ => "usage: delete [N]".into(),
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

    fn cmd_fields(&self, args: &[&str]) -> String {
        let view = TextView::new(&self.world, &self.actions);
        let found;
        let (r, frame) = match args {
            [] => match self.current_frame() {
                Some(x) => x,
                None => return "the current event has no frame".into(),
            },
            [id] => {
                let Ok(id) = id.trim_start_matches('#').parse::<u64>() else {
                    return format!("usage: fields [#ID]; `{id}` is not a frame number");
                };
                found = self.sent_frame(FrameId(id));
                match &found {
                    Some(r) => match &r.event {
                        TraceEvent::FrameTx { frame, .. } => (r, &frame[..]),
                        _ => unreachable!("sent_frame finds FrameTx records"),
                    },
                    None => return format!("no frame #{id} has been sent yet"),
                }
            }
            _ => return "usage: fields [#ID]".into(),
        };
        let node = r.node.unwrap_or(NodeId(0));
        let mut s = match &r.event {
            TraceEvent::FrameRx { id, port, .. } => format!(
                "frame {id}, {} bytes as {} received them on {}:\n",
                frame.len(),
                view.node_name(node),
                view.port_name(node, *port)
            ),
            TraceEvent::FrameTx { id, port, .. } => format!(
                "frame {id}, {} bytes as {} sent them on {}:\n",
                frame.len(),
                view.node_name(node),
                view.port_name(node, *port)
            ),
            _ => String::new(),
        };
        s.push_str(&dissect::render(&dissect::dissect(frame)));
        s
    }

    fn cmd_layers(&self) -> String {
        let Some(cur) = &self.current else {
            return "no event has run yet".into();
        };
        layers_text(
            &self.world,
            &self.actions,
            cur.index,
            &cur.step,
            &cur.records,
            &|id| self.flipped.get(&id).copied(),
        )
    }
}

/// The `layers` view of one event: how its frame went up through the device's layers and what
/// went out, top-down. `index` and `step` are the event's number and step, `records` the records
/// it made, `flipped` the bits flipped on the wire of a frame (from earlier `BitErrors` records,
/// which the caller remembers as they pass). The stepper prints it; `netlab view` keeps it per
/// event.
pub fn layers_text(
    world: &World,
    actions: &[String],
    index: u64,
    step: &Step,
    records: &[Record],
    flipped: &dyn Fn(FrameId) -> Option<u32>,
) -> String {
    let view = TextView::new(world, actions);
    let node = match step.kind {
        StepKind::Frame { to, .. } => Some(to),
        StepKind::Wake { node } => Some(node),
        StepKind::Script { .. } | StepKind::Line { .. } => records.iter().find_map(|r| r.node),
    };
    let Some(node) = node else {
        let mut s = String::from("a timeline action on the network, not at a device:\n");
        for r in records {
            let _ = writeln!(s, "  {}", view.what(r));
        }
        return s;
    };
    let kind = &world.node(node).kind;
    let mut s = format!(
        "layers at {} ({}), event {} at {}\n",
        view.node_name(node),
        kind.kind_name(),
        index,
        step.time
    );
    let rx = records.iter().find_map(|r| match &r.event {
        TraceEvent::FrameRx {
            id, port, frame, ..
        } if r.node == Some(node) => Some((*id, *port, frame.clone())),
        _ => None,
    });
    let mine = |r: &&Record| r.node == Some(node);
    // The layers the arriving frame went up through, each with what its header says.
    let mut in_rows: Vec<(Layer, String)> = Vec::new();
    let mut accepted_note = None;
    if let Some((id, _, frame)) = &rx {
        let damaged = flipped(*id);
        in_rows.push((
            Layer::Phy,
            format!(
                "{} bytes arrived{}",
                frame.len(),
                match damaged {
                    Some(n) => format!(
                        ", {n} bit{} flipped on the wire",
                        if n == 1 { "" } else { "s" }
                    ),
                    None => String::new(),
                }
            ),
        ));
        let sections = dissect::dissect(frame);
        if !matches!(kind, NodeKind::Hub(_)) {
            let eth = sections
                .first()
                .map(|x| x.summary.clone())
                .unwrap_or_default();
            in_rows.push((Layer::Ethernet, eth));
        }
        if let NodeKind::Host(h) = kind {
            let nic_drop = records
                .iter()
                .filter(mine)
                .any(|r| matches!(r.event, TraceEvent::NicDrop { .. }));
            if !nic_drop {
                let port = rx.as_ref().map_or(0, |x| x.1);
                if let (Some(iface), Some(dst)) = (
                    h.interfaces.get(port as usize),
                    crate::ethernet::dst_of(frame),
                ) {
                    let why = if dst == iface.mac {
                        "is this interface's address"
                    } else if dst.is_broadcast() {
                        "is broadcast"
                    } else {
                        "was taken in promiscuous mode"
                    };
                    accepted_note = Some(format!("destination {dst} {why}: accepted"));
                }
                let delivered = records
                    .iter()
                    .filter(mine)
                    .any(|r| matches!(r.event, TraceEvent::IpDeliver { .. }));
                for sec in sections.iter().skip(1) {
                    let transport = matches!(sec.layer, Layer::Icmp | Layer::Udp | Layer::Tcp);
                    if (transport && !delivered) || sec.layer == Layer::Ethernet {
                        break;
                    }
                    in_rows.push((sec.layer, sec.summary.clone()));
                }
                if delivered {
                    in_rows.push((Layer::Socket, String::new()));
                    in_rows.push((Layer::App, String::new()));
                }
            }
        }
    }
    // Records of the receive path go with the layers the frame went up through; the rest
    // with the layers going down.
    let is_in = |e: &TraceEvent| {
        in_rows.iter().any(|(l, _)| *l == row_layer(e))
            && match e {
                TraceEvent::Arp { event, .. } => {
                    !matches!(event, crate::arp::ArpEvent::RequestSent { .. })
                }
                TraceEvent::NicDrop { .. }
                | TraceEvent::RawDelivered { .. }
                | TraceEvent::MacLearned { .. }
                | TraceEvent::Switched { .. }
                | TraceEvent::HubRepeated { .. }
                | TraceEvent::ArpIgnored { .. }
                | TraceEvent::IpDeliver { .. }
                | TraceEvent::IpForward { .. }
                | TraceEvent::IpDropped { .. }
                | TraceEvent::IpReassembled { .. }
                | TraceEvent::Tcp { .. }
                | TraceEvent::SocketCall { .. }
                | TraceEvent::App { .. } => true,
                _ => false,
            }
    };
    let notes = |layer: Layer, inbound: bool| -> Vec<String> {
        records
            .iter()
            .filter(mine)
            .filter(|r| {
                !matches!(
                    r.event,
                    TraceEvent::FrameRx { .. } | TraceEvent::FrameTx { .. }
                )
            })
            .filter(|r| is_in(&r.event) == inbound && row_layer(&r.event) == layer)
            .map(|r| view.what(r))
            .collect()
    };
    if let Some((id, port, _)) = &rx {
        let _ = writeln!(
            s,
            "in (bottom-up): frame {id} on {}",
            view.port_name(node, *port)
        );
        for (layer, text) in &in_rows {
            let mut n = notes(*layer, true);
            if *layer == Layer::Ethernet {
                if let Some(a) = &accepted_note {
                    n.insert(0, a.clone());
                }
            }
            let name = layer.name();
            if !text.is_empty() {
                let _ = writeln!(s, "  {name:<7} {text}");
            } else if !n.is_empty() {
                let _ = writeln!(s, "  {name:<7} {}", n[0]);
            }
            let skip = usize::from(text.is_empty() && !n.is_empty());
            for note in n.iter().skip(skip) {
                let _ = writeln!(s, "  {:<7} · {note}", "");
            }
        }
    }
    let sent: Vec<&Record> = records
        .iter()
        .filter(mine)
        .filter(|r| matches!(r.event, TraceEvent::FrameTx { .. }))
        .collect();
    let mut out_notes = Vec::new();
    for layer in Layer::ALL.iter().rev() {
        for n in notes(*layer, false) {
            // The same line again (a window of segments going out): counted, not repeated.
            match out_notes.last_mut() {
                Some((l, prev, k)) if *l == *layer && *prev == n => *k += 1,
                _ => out_notes.push((*layer, n, 1)),
            }
        }
    }
    if !sent.is_empty() || !out_notes.is_empty() {
        s.push_str("out (top-down):\n");
    }
    for (layer, n, k) in &out_notes {
        let times = if *k > 1 {
            format!(" ({k} times)")
        } else {
            String::new()
        };
        let _ = writeln!(s, "  {:<7} · {n}{times}", layer.name());
    }
    for r in sent {
        let TraceEvent::FrameTx {
            link,
            port,
            id,
            frame,
            start,
            arrival,
            queued_behind,
        } = &r.event
        else {
            continue;
        };
        let _ = writeln!(s, "  frame {id} → {}:", view.link_name(*link));
        // The layers this device works at: a switch stops at Ethernet, a hub at the wire,
        // a router passing a datagram on at IP.
        let top = match kind {
            NodeKind::Switch(_) => Layer::Switch,
            // The kernel's layers behind a TAP are not netlab's to show.
            NodeKind::Hub(_) | NodeKind::Tap(_) => Layer::Phy,
            NodeKind::Host(h) => {
                let forwarded = dissect::ipv4_addresses(frame).is_some_and(|(src, _)| {
                    !h.interfaces
                        .iter()
                        .any(|i| i.addr.is_some_and(|c| c.addr() == src))
                });
                if forwarded {
                    Layer::Ip
                } else {
                    Layer::App
                }
            }
        };
        let sections = dissect::dissect(frame);
        for sec in sections.iter().rev().filter(|sec| sec.layer <= top) {
            let name = if sec.title.starts_with("Data") {
                "data"
            } else {
                sec.layer.name()
            };
            let _ = writeln!(s, "    {name:<7} {}", sec.summary);
        }
        let mut phy = format!(
            "tx on {}, {} bytes",
            view.port_name(node, *port),
            frame.len()
        );
        if *queued_behind > 0 {
            let _ = write!(phy, ", queued behind {queued_behind}, starts {start}");
        }
        let _ = write!(phy, ", last bit arrives {arrival}");
        let _ = writeln!(s, "    {:<7} {phy}", "phy");
    }
    let others: Vec<&Record> = records.iter().filter(|r| r.node != Some(node)).collect();
    if !others.is_empty() {
        s.push_str("elsewhere:\n");
        for r in others {
            let _ = writeln!(s, "  {}", view.line(r).trim_start());
        }
    }
    s
}

/// The row of the `layers` view a record belongs to: switching decisions go with Ethernet.
fn row_layer(e: &TraceEvent) -> Layer {
    match e.layer() {
        // A hub works at the wire.
        Layer::Switch if matches!(e, TraceEvent::HubRepeated { .. }) => Layer::Phy,
        Layer::Switch => Layer::Ethernet,
        Layer::Scenario => Layer::App,
        l => l,
    }
}

/// The addresses a node name stands for in a frame filter (`from=alice`).
/// The addresses a node name stands for in filter words (`from=alice`): its MACs and IPs.
pub fn endpoint(world: &World, name: &str) -> Option<Endpoint> {
    let id = world.node_id(name)?;
    match &world.node(id).kind {
        NodeKind::Host(h) => Some(Endpoint {
            macs: h.interfaces.iter().map(|i| i.mac).collect(),
            ips: h
                .interfaces
                .iter()
                .filter_map(|i| i.addr.map(|c| c.addr()))
                .collect(),
        }),
        _ => None,
    }
}

/// Splits a command line into words; a double-quoted part is one word without its quotes.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    if in_word {
        words.push(cur);
    }
    if words.is_empty() {
        words.push(String::new());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_and_quotes() {
        assert_eq!(
            split_words(r#"break filter "tcp syn" x"#).unwrap(),
            ["break", "filter", "tcp syn", "x"]
        );
        assert!(split_words(r#"break filter "tcp"#).is_err());
    }
}
