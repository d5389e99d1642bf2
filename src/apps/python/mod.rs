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

pub mod process;

use super::sock::SockCx;
use crate::dns::{Lookup, Resolved};
use crate::socket::api::SocketApi;
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

    pub fn poll(&mut self, cx: &mut SockCx) {
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
                                self.status = PyStatus::Blocked(now);
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

    fn start(&mut self, cx: &mut SockCx) -> Result<(), ProcError> {
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
    fn one_way(&mut self, cx: &mut SockCx, msg: Msg) -> Option<State> {
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

    fn exit(&mut self, cx: &mut SockCx, msg: Msg) {
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
    fn stop(&mut self, cx: &mut SockCx, e: ProcError) {
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
    fn close_all(&mut self, cx: &mut SockCx) {
        for s in std::mem::take(&mut self.open) {
            let _ = cx.close(s);
        }
        self.connecting.clear();
    }

    /// The call as the log shows it: `fd3.recv(1024)`.
    fn call_text(&self, m: &Msg) -> String {
        let a = |i: usize| m.args.get(i).copied().unwrap_or(0);
        let ip = |i: usize| Ipv4Addr::from(a(i) as u32);
        let fd = |i: usize| format!("fd{}", a(i));
        let tail = match m.op {
            "socket" => {
                return format!(
                    "socket({})",
                    if a(0) == SOCK_DGRAM {
                        "SOCK_DGRAM"
                    } else {
                        "SOCK_STREAM"
                    }
                )
            }
            "bind" | "connect" => format!("{}(('{}', {}))", m.op, ip(1), a(2)),
            "listen" => format!("listen({})", a(1)),
            "accept" | "close" | "getsockname" | "getpeername" => format!("{}()", m.op),
            "send" | "sendall" => format!("{}({})", m.op, preview(&m.data)),
            "sendto" => format!("sendto({}, ('{}', {}))", preview(&m.data), ip(1), a(2)),
            "recv" | "recvfrom" => format!("{}({})", m.op, a(1)),
            "shutdown" => format!(
                "shutdown({})",
                match a(1) {
                    0 => "SHUT_RD",
                    1 => "SHUT_WR",
                    _ => "SHUT_RDWR",
                }
            ),
            "setsockopt" => format!("setsockopt({}, {}, {})", a(1), a(2), a(3)),
            "soerror" => "getsockopt(SOL_SOCKET, SO_ERROR)".to_string(),
            "sleep" => {
                return format!("time.sleep({})", Duration::from_nanos(a(0).max(0) as u64));
            }
            "select" => {
                let lists = select_lists(m);
                let list = |v: &[u32]| -> String {
                    let v: Vec<String> = v.iter().map(|f| format!("fd{f}")).collect();
                    format!("[{}]", v.join(", "))
                };
                let t = match a(0) {
                    t if t < 0 => "None".to_string(),
                    ns => Duration::from_nanos(ns as u64).to_string(),
                };
                return format!(
                    "select({}, {}, {}, {t})",
                    list(&lists[0]),
                    list(&lists[1]),
                    list(&lists[2])
                );
            }
            "gethostbyname" => {
                return format!("gethostbyname('{}')", String::from_utf8_lossy(&m.data))
            }
            "gethostbyaddr" => return format!("gethostbyaddr('{}')", ip(0)),
            other => format!("{other}()"),
        };
        format!("{}.{tail}", fd(0))
    }

    fn sock(&self, m: &Msg, i: usize) -> Result<SocketId, SocketError> {
        m.args
            .get(i)
            .and_then(|&a| u32::try_from(a).ok())
            .filter(|&fd| fd >= 3)
            .map(|fd| SocketId(fd - 3))
            .filter(|s| self.open.contains(s))
            .ok_or(SocketError::BadDescriptor)
    }

    fn num(m: &Msg, i: usize) -> Result<u64, SocketError> {
        m.args
            .get(i)
            .and_then(|&a| u64::try_from(a).ok())
            .ok_or(SocketError::InvalidArgument)
    }

    fn endpoint(m: &Msg, i: usize) -> Result<SocketAddrV4, SocketError> {
        let ip = m
            .args
            .get(i)
            .and_then(|&a| u32::try_from(a).ok())
            .map(Ipv4Addr::from)
            .ok_or(SocketError::InvalidArgument)?;
        let port = Self::num(m, i + 1)?;
        Ok(SocketAddrV4::new(ip, port as u16))
    }

    fn exec(
        &mut self,
        cx: &mut SockCx,
        m: &Msg,
        deadline: Option<Instant>,
        nonblocking: bool,
    ) -> Outcome {
        match self.try_exec(cx, m, deadline, nonblocking) {
            Ok(o) => o,
            Err(SocketError::WouldBlock) if !nonblocking => Outcome::Block,
            Err(e) => Outcome::Fail(e),
        }
    }

    fn try_exec(
        &mut self,
        cx: &mut SockCx,
        m: &Msg,
        deadline: Option<Instant>,
        nonblocking: bool,
    ) -> Result<Outcome, SocketError> {
        let done = |res: Vec<i64>, shown: String| Outcome::Done(res, Vec::new(), shown);
        // What the log shows after `→` is made only when someone reads the log.
        let tr = cx.tracing();
        let show = |f: &dyn Fn() -> String| if tr { f() } else { String::new() };
        Ok(match m.op {
            "socket" => {
                let ty = if m.args.first() == Some(&SOCK_DGRAM) {
                    SockType::Dgram
                } else {
                    SockType::Stream
                };
                let s = cx.socket(ty)?;
                self.open.insert(s);
                done(vec![fd_of(s) as i64], show(&|| format!("fd{}", fd_of(s))))
            }
            "bind" => {
                let s = self.sock(m, 0)?;
                cx.bind(s, Self::endpoint(m, 1)?)?;
                done(Vec::new(), String::new())
            }
            "listen" => {
                let s = self.sock(m, 0)?;
                cx.listen(s, Self::num(m, 1)? as usize)?;
                done(Vec::new(), String::new())
            }
            "accept" => {
                let s = self.sock(m, 0)?;
                let (c, a) = cx.accept(s)?;
                self.open.insert(c);
                done(
                    vec![fd_of(c) as i64, u32::from(*a.ip()) as i64, a.port() as i64],
                    show(&|| format!("fd{}, {}", fd_of(c), addr_text(a))),
                )
            }
            "connect" => {
                let s = self.sock(m, 0)?;
                let first = !self.connecting.contains(&s);
                if first {
                    match cx.connect(s, Self::endpoint(m, 1)?) {
                        // UDP: only the peer is fixed.
                        Ok(()) => return Ok(done(Vec::new(), String::new())),
                        Err(SocketError::InProgress) => {
                            self.connecting.insert(s);
                        }
                        Err(e) => return Err(e),
                    }
                }
                if !cx.connect_done(s) {
                    // A non-blocking connect: EINPROGRESS the first time, EALREADY after.
                    if nonblocking {
                        return Ok(Outcome::Fail(if first {
                            SocketError::InProgress
                        } else {
                            SocketError::Already
                        }));
                    }
                    return Err(SocketError::WouldBlock);
                }
                self.connecting.remove(&s);
                cx.connect_result(s)?;
                done(Vec::new(), String::new())
            }
            "soerror" => {
                let s = self.sock(m, 0)?;
                if self.connecting.contains(&s) && cx.connect_done(s) {
                    self.connecting.remove(&s);
                }
                let e = cx.getsockopt(s, SockOpt::Error)?;
                done(vec![e], show(&|| e.to_string()))
            }
            "send" => {
                let s = self.sock(m, 0)?;
                let nb = nonblocking || Self::num(m, 2)? & MSG_DONTWAIT != 0;
                let n = cx.send(s, &m.data)?;
                if n == 0 && !m.data.is_empty() {
                    if nb {
                        return Ok(Outcome::Fail(SocketError::WouldBlock));
                    }
                    return Err(SocketError::WouldBlock);
                }
                self.stats.bytes_out += n as u64;
                done(vec![n as i64], show(&|| n.to_string()))
            }
            "sendall" => {
                let s = self.sock(m, 0)?;
                while self.sent < m.data.len() {
                    match cx.send(s, &m.data[self.sent..]) {
                        Ok(0) | Err(SocketError::WouldBlock) => {
                            return Err(SocketError::WouldBlock);
                        }
                        Ok(n) => {
                            self.sent += n;
                            self.stats.bytes_out += n as u64;
                        }
                        Err(e) => return Err(e),
                    }
                }
                done(Vec::new(), String::new())
            }
            "recv" => {
                let s = self.sock(m, 0)?;
                let max = Self::num(m, 1)? as usize;
                let flags = Self::num(m, 3)?;
                let data = if flags & MSG_WAITALL != 0 {
                    while self.partial.len() < max {
                        match cx.recv(s, max - self.partial.len()) {
                            Ok(d) if d.is_empty() => break,
                            Ok(d) => self.partial.extend_from_slice(&d),
                            Err(e) => return Err(e),
                        }
                    }
                    std::mem::take(&mut self.partial)
                } else {
                    match cx.recv(s, max) {
                        Err(SocketError::WouldBlock) if flags & MSG_DONTWAIT != 0 => {
                            return Ok(Outcome::Fail(SocketError::WouldBlock))
                        }
                        r => r?,
                    }
                };
                self.stats.bytes_in += data.len() as u64;
                let shown = show(&|| preview(&data));
                Outcome::Done(Vec::new(), data, shown)
            }
            "recvfrom" => {
                let s = self.sock(m, 0)?;
                let max = Self::num(m, 1)? as usize;
                let (data, from) = match cx.recvfrom(s, max) {
                    Err(SocketError::NotSupported) => {
                        // On a TCP socket, recvfrom is recv (the address is the peer's).
                        let d = cx.recv(s, max)?;
                        (d, cx.getpeername(s)?)
                    }
                    r => r?,
                };
                self.stats.bytes_in += data.len() as u64;
                let shown = show(&|| format!("{}, {}", preview(&data), addr_text(from)));
                let res = vec![u32::from(*from.ip()) as i64, from.port() as i64];
                Outcome::Done(res, data, shown)
            }
            "sendto" => {
                let s = self.sock(m, 0)?;
                let to = Self::endpoint(m, 1)?;
                let n = cx.sendto(s, &m.data, to)?;
                self.stats.bytes_out += n as u64;
                done(vec![n as i64], show(&|| n.to_string()))
            }
            "shutdown" => {
                let s = self.sock(m, 0)?;
                let how = match Self::num(m, 1)? {
                    0 => Shutdown::Read,
                    1 => Shutdown::Write,
                    _ => Shutdown::Both,
                };
                cx.shutdown(s, how)?;
                done(Vec::new(), String::new())
            }
            "close" => {
                let s = self.sock(m, 0)?;
                self.open.remove(&s);
                self.connecting.remove(&s);
                cx.close(s)?;
                done(Vec::new(), String::new())
            }
            "setsockopt" => {
                let s = self.sock(m, 0)?;
                let (level, opt) = (Self::num(m, 1)?, Self::num(m, 2)?);
                // Signed: SO_LINGER's `l_onoff = 0` travels as -1.
                let value = *m.args.get(3).ok_or(SocketError::InvalidArgument)?;
                match SockOpt::from_linux(level as i32, opt as i32) {
                    Some(o) => cx.setsockopt(s, o, value)?,
                    // SO_BROADCAST and SO_REUSEPORT: accepted, with no effect here.
                    None if (level, opt) == (1, 6) || (level, opt) == (1, 15) => {}
                    None => return Err(SocketError::NoProtoOpt),
                }
                done(Vec::new(), String::new())
            }
            "getsockname" | "getpeername" => {
                let s = self.sock(m, 0)?;
                let a = if m.op == "getsockname" {
                    cx.getsockname(s)?
                } else {
                    cx.getpeername(s)?
                };
                done(
                    vec![u32::from(*a.ip()) as i64, a.port() as i64],
                    show(&|| addr_text(a)),
                )
            }
            "gethostbyname" => {
                let name = String::from_utf8_lossy(&m.data).into_owned();
                // With a resolver, a real DNS query (nsswitch "files dns" with only localhost
                // in the files); the call waits for the answer in simulated time.
                let asked = (name != "localhost" && name.parse::<Ipv4Addr>().is_err())
                    .then(|| cx.host.resolve(cx.io, cx.app, &Lookup::Name(name.clone())))
                    .flatten();
                if let Some(answer) = asked {
                    return Ok(match answer {
                        None => return Err(SocketError::WouldBlock),
                        Some(Resolved::Addr(ip)) => {
                            done(vec![u32::from(ip) as i64], format!("'{ip}'"))
                        }
                        Some(Resolved::NoAnswer) => Outcome::GaiAgain,
                        Some(_) => Outcome::Gai,
                    });
                }
                match self.config.hosts.lookup(&name) {
                    Some(ip) => done(vec![u32::from(ip) as i64], format!("'{ip}'")),
                    None => Outcome::Gai,
                }
            }
            "gethostbyaddr" => {
                let ip: Option<Ipv4Addr> = m
                    .args
                    .first()
                    .and_then(|&a| u32::try_from(a).ok())
                    .map(Ipv4Addr::from);
                let asked = ip
                    .filter(|ip| !ip.is_loopback())
                    .and_then(|ip| cx.host.resolve(cx.io, cx.app, &Lookup::Addr(ip)));
                if let (Some(answer), Some(ip)) = (asked, ip) {
                    return Ok(match answer {
                        None => return Err(SocketError::WouldBlock),
                        Some(Resolved::Name(n)) => Outcome::Done(
                            Vec::new(),
                            n.as_bytes().to_vec(),
                            format!("('{n}', [], ['{ip}'])"),
                        ),
                        Some(Resolved::NoAnswer) => Outcome::HerrAgain,
                        Some(_) => Outcome::Herr,
                    });
                }
                match ip.and_then(|ip| self.config.hosts.reverse(ip).map(|n| (ip, n))) {
                    Some((ip, n)) => Outcome::Done(
                        Vec::new(),
                        n.as_bytes().to_vec(),
                        format!("('{n}', [], ['{ip}'])"),
                    ),
                    None => Outcome::Herr,
                }
            }
            "sleep" => match deadline {
                Some(d) if d > cx.now() => return Err(SocketError::WouldBlock),
                _ => done(Vec::new(), String::new()),
            },
            "select" => {
                let lists = select_lists(m);
                let mut ready: [Vec<u32>; 3] = Default::default();
                for (k, list) in lists.iter().enumerate().take(2) {
                    for &fd in list {
                        let Some(id) = fd.checked_sub(3).map(SocketId) else {
                            return Err(SocketError::BadDescriptor);
                        };
                        if !self.open.contains(&id) {
                            return Err(SocketError::BadDescriptor);
                        }
                        let r = cx.poll(id);
                        let hit = if k == 0 {
                            r.input || r.error || r.hangup
                        } else {
                            r.output || r.error
                        };
                        if hit {
                            ready[k].push(fd);
                        }
                    }
                }
                let timed_out = deadline.is_some_and(|d| d <= cx.now());
                let zero = m.args.first() == Some(&0);
                if ready.iter().all(Vec::is_empty) && !timed_out && !zero {
                    return Err(SocketError::WouldBlock);
                }
                let shown = show(&|| {
                    ready
                        .iter()
                        .map(|v| {
                            let s: Vec<String> = v.iter().map(|f| format!("fd{f}")).collect();
                            format!("[{}]", s.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                });
                let res = ready.iter().map(|v| v.len() as i64).collect();
                let fds: Vec<u8> = ready
                    .iter()
                    .flatten()
                    .flat_map(|f| f.to_le_bytes())
                    .collect();
                Outcome::Done(res, fds, shown)
            }
            _ => return Err(SocketError::NotSupported),
        })
    }
}
