//! The stepper's command language: the words a session types (`next`, `break`, `do`,
//! `fields`…), their parsing, help and completion, and the text of every answer. The engine
//! that runs the events is in `mod.rs`.

use super::{endpoint, layers_text, Breakpoint, Current, Ended, Reply, Stepper, Stop};
use crate::filter::FrameFilter;
use crate::scenario::Scenario;
use crate::show::{self, Table};
use crate::sim::{FrameId, NodeId, StepKind};
use crate::tcp::{State, TcpEvent};
use crate::time::{Duration, Instant};
use crate::trace::dissect;
use crate::trace::{Layer, TraceEvent};
use crate::views::text::TextView;
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};

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

/// Longest command line a session reads: far beyond any command, and an endless input with no
/// newline (`netlab step x.toml --commands /dev/zero`) ends with an error, not out of memory.
const MAX_COMMAND_LINE: usize = 1 << 20;

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
  show TABLE NODE      a table as it is now: arp, routes, mac, stp, sockets, counters, dhcp
                       or dns
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

    /// The prompt of an interactive session, with where the run is: `(netlab 1.000043040 #5) `
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
            for t in Table::NAMES {
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
        let mut input = input;
        let mut number = 0;
        loop {
            if prompt {
                write!(out, "{}", self.prompt())?;
                out.flush()?;
            }
            number += 1;
            let Some(line) = crate::infile::bounded_line(&mut input, MAX_COMMAND_LINE, number)?
            else {
                if prompt {
                    write!(out, "\n{}", Self::GOODBYE)?;
                }
                break;
            };
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
            return format!("usage: show {} NODE", Table::NAMES.join("|"));
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
