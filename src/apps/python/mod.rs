//! Real Python programs as applications: `0s server python programs/echo_server.py`.
//!
//! netlab starts `python3` with a bootstrap (`netlab_boot.py`) that puts netlab's `socket`,
//! `select`, clocks, `sleep` and stdio in front of the standard ones and runs the program
//! unmodified. Every call is a request on a private pipe, answered in simulated time: netlab
//! carries it out on the host's sockets exactly as a scripted program's call (a call that would
//! block waits in simulated time until its socket is ready, its timeout passes or its sleep
//! ends). While the program computes, netlab waits for its next request, so simulated time stands
//! still and only one program runs at a time: the trace is the same whatever the machine's load.
//!
//! Each call that returns costs `cost` of simulated time (1 µs by default, about a system call
//! on Linux). "Simulated time stands still while a program computes" holds between calls: a
//! call is the program leaving its computation for the kernel, and a kernel call takes time.
//! Without that cost, a loop of calls that never blocks (a non-blocking `recv` polled until data
//! comes, the notes' echo server reading `b""` after the client left) would run for ever at one
//! instant: nothing scheduled later (the peer's packets, a timer) could happen, where on a real
//! machine the loop sees them arrive. The scenario parser refuses `cost=0` for that reason.

mod calls;
pub mod process;

use super::AppCx;
use crate::dns::{Lookup, Resolved};
use crate::socket::{Shutdown, SockOpt, SockType, SocketError, SocketId};
use crate::time::{Duration, Instant};
use process::{Msg, Proc, ProcError, Reply, ReplyKind};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

/// The names a program can resolve: every host and its addresses (the scenario's hosts file).
#[derive(Clone, Debug, Default)]
pub struct HostsTable(pub Vec<(String, Vec<Ipv4Addr>)>);

impl HostsTable {
    fn lookup(&self, name: &str) -> Option<Ipv4Addr> {
        if name == "localhost" {
            return Some(Ipv4Addr::LOCALHOST);
        }
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, ips)| ips.first().copied())
    }

    fn reverse(&self, ip: Ipv4Addr) -> Option<&str> {
        if ip.is_loopback() {
            return Some("localhost");
        }
        self.0
            .iter()
            .find(|(_, ips)| ips.contains(&ip))
            .map(|(n, _)| n.as_str())
    }
}

/// What a scenario line says about a program.
#[derive(Clone, Debug)]
pub struct PythonConfig {
    /// The file as the scenario wrote it, relative to the scenario's folder.
    pub file: String,
    /// The scenario's folder: the program's working directory.
    pub dir: std::path::PathBuf,
    pub stdin: String,
    pub argv: Vec<String>,
    /// Wall-clock time a program may compute without making a call.
    pub budget_ms: u64,
    /// Simulated time each returning call takes.
    pub cost: Duration,
    /// Bytes of stdout and stderr a program may print.
    pub max_output: u64,
    pub hosts: Arc<HostsTable>,
}

crate::counters! {
    /// What a Python program did.
    pub struct PythonStats {
        /// Calls answered (socket calls, sleeps, selects, lookups).
        calls,
        /// Calls that raised an exception.
        errors,
        /// Bytes handed to send/sendall/sendto.
        bytes_out,
        /// Bytes recv/recvfrom returned.
        bytes_in,
        /// Lines printed (stdout and stderr).
        lines,
        /// 1 once the program has ended (either way).
        done,
        /// 1 while the program waits in a blocking call (at the end: blocked forever).
        blocked,
    }
}

/// Where a program is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyStatus {
    Running,
    Blocked(Instant),
    /// Ended with exit status 0.
    Done,
    /// Ended otherwise: an uncaught exception (its class), a non-zero exit, or stopped by netlab.
    Failed(String),
}

#[derive(Debug, Default)]
enum State {
    #[default]
    NotStarted,
    /// Waiting for the program's next message.
    Read,
    /// A call being carried out (again, when its socket became ready).
    Pending {
        msg: Msg,
        deadline: Option<Instant>,
        nonblocking: bool,
        logged_block: bool,
    },
    /// A call answered: the program continues at `at` (after the call's cost).
    Resume {
        at: Instant,
        reply: Reply,
    },
    Ended,
}

/// A running `python3` is not copied: a copy is a program not started yet.
#[derive(Debug, Default)]
struct Slot(Option<Proc>);

impl Clone for Slot {
    fn clone(&self) -> Self {
        Slot(None)
    }
}

impl std::fmt::Debug for Proc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Proc")
    }
}

enum Outcome {
    /// Reply numbers, payload, and what the log shows after `→` (empty: nothing; only made
    /// when the run is traced).
    Done(Vec<i64>, Vec<u8>, String),
    Fail(SocketError),
    Block,
    /// The name is unknown (socket.gaierror / socket.herror).
    Gai,
    /// No answer from the DNS server (EAI_AGAIN).
    GaiAgain,
    Herr,
    /// No answer from the DNS server (TRY_AGAIN).
    HerrAgain,
}

#[derive(Debug)]
pub struct PythonProgram {
    pub config: Arc<PythonConfig>,
    pub hostname: String,
    pub seed: u64,
    proc: Slot,
    state: State,
    pub status: PyStatus,
    /// Everything the program printed on stdout.
    pub stdout: Vec<u8>,
    pub stats: PythonStats,
    output_bytes: u64,
    /// Sockets the program has open: Linux closes them when a process ends.
    open: BTreeSet<SocketId>,
    /// Sockets whose connect was started and not yet reported.
    connecting: BTreeSet<SocketId>,
    /// Progress of the pending sendall (bytes taken) or recv(MSG_WAITALL) (bytes so far).
    sent: usize,
    partial: Vec<u8>,
}

impl Clone for PythonProgram {
    fn clone(&self) -> Self {
        PythonProgram::new(self.config.clone(), self.hostname.clone(), self.seed)
    }
}

const MSG_DONTWAIT: u64 = 0x40;
const MSG_WAITALL: u64 = 0x100;
const SOCK_DGRAM: i64 = 2;

/// A select's three descriptor lists: their lengths are arguments 1 to 3, the descriptors the
/// data (32-bit each).
fn select_lists(m: &Msg) -> [Vec<u32>; 3] {
    let fds: Vec<u32> = m
        .data
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    let mut at = 0;
    [1, 2, 3].map(|i| {
        let n = (m.args.get(i).copied().unwrap_or(0).max(0) as usize).min(fds.len() - at);
        at += n;
        fds[at - n..at].to_vec()
    })
}

fn fd_of(s: SocketId) -> u32 {
    s.0 + 3
}

fn addr_text(a: SocketAddrV4) -> String {
    format!("('{}', {})", a.ip(), a.port())
}

fn preview(data: &[u8]) -> String {
    format!("b{}", crate::trace::describe::quoted_preview(data, 60))
}

impl PythonProgram {
    pub fn new(config: Arc<PythonConfig>, hostname: String, seed: u64) -> Self {
        PythonProgram {
            config,
            hostname,
            seed,
            proc: Slot(None),
            state: State::NotStarted,
            status: PyStatus::Running,
            stdout: Vec::new(),
            stats: PythonStats::default(),
            output_bytes: 0,
            open: BTreeSet::new(),
            connecting: BTreeSet::new(),
            sent: 0,
            partial: Vec::new(),
        }
    }

    pub fn counter(&self, name: &str) -> Option<u64> {
        self.stats.get(name)
    }

    /// The uncaught exception's class (or netlab's reason for stopping the program).
    pub fn error(&self) -> Option<&str> {
        match &self.status {
            PyStatus::Failed(e) => Some(e),
            _ => None,
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        match &self.state {
            State::Resume { at, .. } => Some(*at),
            State::Pending { deadline, .. } => *deadline,
            _ => None,
        }
    }

    fn file_name(&self) -> &str {
        let f = self.config.file.as_str();
        f.rsplit('/').next().unwrap_or(f)
    }

    /// `client.py:12` for a call made at line 12.
    fn place(&self, at: &str) -> String {
        if at == "-" || at == "0" {
            self.file_name().to_string()
        } else if at.contains(':') {
            at.to_string()
        } else {
            format!("{}:{at}", self.file_name())
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        loop {
            match std::mem::take(&mut self.state) {
                State::Ended => {
                    self.state = State::Ended;
                    return;
                }
                State::NotStarted => match self.start(cx) {
                    Ok(()) => self.state = State::Read,
                    Err(e) => return self.stop(cx, e),
                },
                State::Resume { at, reply } => {
                    if at > cx.now() {
                        self.state = State::Resume { at, reply };
                        return;
                    }
                    let now = cx.now().as_nanos();
                    let r = self.proc.0.as_mut().map(|p| p.reply(now, &reply));
                    match r {
                        Some(Ok(())) => self.state = State::Read,
                        Some(Err(e)) => return self.stop(cx, e),
                        None => return,
                    }
                }
                State::Read => {
                    let Some(p) = self.proc.0.as_mut() else {
                        return;
                    };
                    match p.next_msg() {
                        Err(e) => return self.stop(cx, e),
                        Ok(msg) => {
                            if let Some(next) = self.one_way(cx, msg) {
                                self.state = next;
                            } else {
                                self.state = State::Read;
                            }
                            if matches!(self.state, State::Ended) {
                                return;
                            }
                        }
                    }
                }
                State::Pending {
                    msg,
                    deadline,
                    nonblocking,
                    logged_block,
                } => {
                    let outcome = self.exec(cx, &msg, deadline, nonblocking);
                    let now = cx.now();
                    let quiet = msg.at == "-";
                    let (reply, shown) = match outcome {
                        Outcome::Block => {
                            if deadline.is_some_and(|d| d <= now) {
                                self.sent = 0;
                                self.partial.clear();
                                if msg.op == "sleep" || msg.op == "select" {
                                    unreachable!("sleep and select end at their deadline");
                                }
                                self.stats.errors += 1;
                                (
                                    Reply::fail(ReplyKind::TimedOut, 0),
                                    "raised TimeoutError: timed out".to_string(),
                                )
                            } else {
                                if !logged_block && !quiet && cx.tracing() {
                                    let text = self.call_text(&msg);
                                    let place = self.place(&msg.at);
                                    cx.log(|| format!("{place} {text}  … blocks"));
                                }
                                // Since the call first blocked: a blocked call is tried
                                // again whenever its socket may have changed.
                                if !matches!(self.status, PyStatus::Blocked(_)) {
                                    self.status = PyStatus::Blocked(now);
                                }
                                self.stats.blocked = 1;
                                self.state = State::Pending {
                                    msg,
                                    deadline,
                                    nonblocking,
                                    logged_block: true,
                                };
                                return;
                            }
                        }
                        Outcome::Done(res, data, shown) => {
                            self.stats.calls += 1;
                            (Reply::ok(res, data), shown)
                        }
                        Outcome::Fail(e) => {
                            self.stats.errors += 1;
                            (
                                Reply::fail(ReplyKind::Err, e.errno() as i64),
                                format!("raised {e}"),
                            )
                        }
                        Outcome::Gai => {
                            self.stats.errors += 1;
                            (
                                Reply::fail(ReplyKind::Gai, -2),
                                "raised socket.gaierror: [Errno -2] Name or service not known"
                                    .to_string(),
                            )
                        }
                        Outcome::GaiAgain => {
                            self.stats.errors += 1;
                            (
                                Reply::fail(ReplyKind::Gai, -3),
                                "raised socket.gaierror: [Errno -3] Temporary failure in name resolution"
                                    .to_string(),
                            )
                        }
                        Outcome::Herr => {
                            self.stats.errors += 1;
                            (
                                Reply::fail(ReplyKind::Herr, 1),
                                "raised socket.herror: [Errno 1] Unknown host".to_string(),
                            )
                        }
                        Outcome::HerrAgain => {
                            self.stats.errors += 1;
                            (
                                Reply::fail(ReplyKind::Herr, 2),
                                "raised socket.herror: [Errno 2] Host name lookup failure"
                                    .to_string(),
                            )
                        }
                    };
                    self.sent = 0;
                    self.partial.clear();
                    self.status = PyStatus::Running;
                    self.stats.blocked = 0;
                    if !quiet && cx.tracing() {
                        let text = self.call_text(&msg);
                        let place = self.place(&msg.at);
                        cx.log(|| {
                            if shown.is_empty() {
                                format!("{place} {text}")
                            } else {
                                format!("{place} {text}  → {shown}")
                            }
                        });
                    }
                    let cost = if quiet {
                        Duration::ZERO
                    } else {
                        self.config.cost
                    };
                    self.state = State::Resume {
                        at: now + cost,
                        reply,
                    };
                }
            }
        }
    }

    fn start(&mut self, cx: &mut impl AppCx) -> Result<(), ProcError> {
        let mut p = Proc::spawn(&self.config.dir, self.config.budget_ms)?;
        let hello = p.first_msg()?;
        if hello.op != "hello" {
            return Err(ProcError::Broken(format!(
                "the bootstrap began with `{}`, not hello",
                hello.op
            )));
        }
        let conf = serde_json::json!({
            "hostname": self.hostname,
            "seed": self.seed,
            "stdin": self.config.stdin,
            "file": self.config.file,
            "argv": self.config.argv,
        })
        .to_string();
        p.reply(
            cx.now().as_nanos(),
            &Reply::ok(Vec::new(), conf.into_bytes()),
        )?;
        self.proc.0 = Some(p);
        let file = self.config.file.clone();
        cx.log(|| format!("python3 {file}"));
        Ok(())
    }

    /// Handles a message that needs no answer; a request becomes the pending call.
    fn one_way(&mut self, cx: &mut impl AppCx, msg: Msg) -> Option<State> {
        match msg.op {
            "out" | "eout" | "input" | "outp" | "eoutp" => {
                self.output_bytes += msg.data.len() as u64 + 1;
                if msg.op.starts_with("out") {
                    self.stdout.extend_from_slice(&msg.data);
                    if msg.op == "out" {
                        self.stdout.push(b'\n');
                    }
                }
                if msg.op != "input" {
                    self.stats.lines += 1;
                }
                if self.output_bytes > self.config.max_output {
                    let max = self.config.max_output;
                    self.stop(
                        cx,
                        ProcError::Broken(format!(
                            "printed more than {max} bytes: stopped (max_output={max})"
                        )),
                    );
                    self.status = PyStatus::Failed("NetlabOutputLimit".into());
                    return Some(State::Ended);
                }
                let place = self.place(&msg.at);
                let text = String::from_utf8_lossy(&msg.data);
                let line = match msg.op {
                    "out" | "outp" => format!("{place} print: {text}"),
                    "eout" | "eoutp" => format!("{place} stderr: {text}"),
                    _ => format!("{place} input() → '{text}'"),
                };
                cx.log(|| line);
                None
            }
            "exit" => {
                self.exit(cx, msg);
                Some(State::Ended)
            }
            _ => {
                let now = cx.now();
                let tmo = self.timeout_arg(&msg);
                let (deadline, nonblocking) = match tmo {
                    Some(-2) => (None, true),
                    Some(ns) if ns >= 0 => (Some(now + Duration::from_nanos(ns as u64)), false),
                    _ => (None, false),
                };
                Some(State::Pending {
                    msg,
                    deadline,
                    nonblocking,
                    logged_block: false,
                })
            }
        }
    }

    /// The timeout of a request, where the call has one: nanoseconds, -1 blocking, -2
    /// non-blocking.
    fn timeout_arg(&self, msg: &Msg) -> Option<i64> {
        let i = match msg.op {
            "accept" => 1,
            "connect" => 3,
            "send" | "sendall" => 1,
            "recv" | "recvfrom" => 2,
            "sendto" => 3,
            "select" | "sleep" => 0,
            _ => return None,
        };
        msg.args.get(i).copied()
    }

    fn exit(&mut self, cx: &mut impl AppCx, msg: Msg) {
        let code = msg.args.first().copied().unwrap_or(1);
        // The data: the exception's class name (`-`: none), a newline, the traceback.
        let all = String::from_utf8_lossy(&msg.data).into_owned();
        let (exc, text) = all.split_once('\n').unwrap_or(("-", ""));
        let exc = exc.to_string();
        for line in text.lines() {
            let line = line.to_string();
            cx.log(|| format!("traceback: {line}"));
        }
        self.close_all(cx);
        self.status = if code == 0 {
            cx.log(|| "exited (status 0)".to_string());
            PyStatus::Done
        } else {
            cx.log(|| {
                if exc == "-" {
                    format!("exited (status {code})")
                } else {
                    format!("exited (status {code}): uncaught {exc}")
                }
            });
            PyStatus::Failed(if exc == "-" { "SystemExit".into() } else { exc })
        };
        self.stats.done = 1;
        self.stats.blocked = 0;
        if let Some(p) = self.proc.0.take() {
            p.finish();
        }
    }

    /// netlab stops the program (no interpreter, stuck, broken pipe).
    fn stop(&mut self, cx: &mut impl AppCx, e: ProcError) {
        let file = self.config.file.clone();
        let (name, text) = match e {
            ProcError::NoPython(m) => ("NetlabNoPython", m),
            ProcError::Stuck { budget_ms, at } => (
                "NetlabStuck",
                format!(
                    "{file} made no call for {}s of wall-clock time (computing without end?): \
                     stopped{}",
                    budget_ms as f64 / 1000.0,
                    at.map(|a| format!(" at {a}")).unwrap_or_default()
                ),
            ),
            ProcError::Broken(m) => ("NetlabBroken", format!("{file}: {m}")),
        };
        cx.log(|| format!("stopped by netlab: {text}"));
        self.proc.0 = None;
        self.close_all(cx);
        self.status = PyStatus::Failed(name.into());
        self.stats.done = 1;
        self.stats.blocked = 0;
        self.state = State::Ended;
    }

    /// A process's sockets close when it ends (the kernel closes its descriptors).
    fn close_all(&mut self, cx: &mut impl AppCx) {
        for s in std::mem::take(&mut self.open) {
            let _ = cx.close(s);
        }
        self.connecting.clear();
    }
}
