//! Scripted processes: a lesson's socket program, one call per timeline line.
//!
//! ```text
//! 0s server/main s = socket(tcp)
//! 0s server/main bind(s, 8081)
//! 0s server/main listen(s, 5)
//! 0s server/main conn, addr = accept(s)        # blocks until a client connects
//! 0s server/main data = recv(conn, 1024)       # blocks until data (or close) arrives
//! 0s server/main send(conn, data + "SB")
//! 0s server/main close(conn)
//! ```
//!
//! Calls run in order; each line's time is the earliest it may start (it also waits for the
//! call before it). A call that would block waits in simulated time until its socket is ready,
//! as a blocking call does in a real program. A call that fails stores the exception in its
//! variable and the program goes on (a `try`/`except` around it); a failing call without a
//! variable ends the program, as an uncaught exception would.

use super::AppCx;
use crate::dns::{Lookup, Resolved};
use crate::socket::{
    api::would_block, BlockMode, Shutdown, SockOpt, SockType, SocketError, SocketId,
};
use crate::time::{Duration, Instant};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

/// An argument that is data: text, a variable, or a concatenation (`data + "SB"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    Text(Vec<u8>),
    Var(String),
    Concat(Vec<Data>),
}

/// One socket call with its arguments already resolved (names of hosts turned into addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Socket(SockType),
    Bind {
        sock: String,
        addr: SocketAddrV4,
    },
    Listen {
        sock: String,
        backlog: usize,
    },
    Accept {
        sock: String,
    },
    Connect {
        sock: String,
        to: SocketAddrV4,
    },
    Send {
        sock: String,
        data: Data,
    },
    SendAll {
        sock: String,
        data: Data,
    },
    Recv {
        sock: String,
        max: usize,
        /// `recv(conn, int(header))`: the size is the number a variable holds (a length
        /// header received earlier), not `max`.
        max_var: Option<String>,
        /// `MSG_WAITALL`: wait until `max` bytes have come (or the peer closed).
        wait_all: bool,
    },
    SendTo {
        sock: String,
        data: Data,
        to: SocketAddrV4,
        /// `sendto(s, data, addr)`: the address a variable holds (from recvfrom), not `to`.
        to_var: Option<String>,
    },
    RecvFrom {
        sock: String,
        max: usize,
    },
    Close {
        sock: String,
    },
    /// `sock.setblocking(False)`: calls that would block fail with `BlockingIOError` instead
    /// (`O_NONBLOCK`), and `send` may take part of the data.
    SetBlocking {
        sock: String,
        blocking: bool,
    },
    Shutdown {
        sock: String,
        how: Shutdown,
    },
    SetSockOpt {
        sock: String,
        opt: SockOpt,
        value: i64,
    },
    GetSockName {
        sock: String,
    },
    GetPeerName {
        sock: String,
    },
    GetHostName,
    GetHostByName {
        name: String,
        addr: Option<Ipv4Addr>,
    },
    /// `gethostbyaddr("10.0.0.2")`: the name the hosts table gives that address (resolved when
    /// the scenario is loaded; every host shares the scenario's table).
    GetHostByAddr {
        addr: Ipv4Addr,
        name: Option<String>,
    },
    Sleep(Duration),
    Print(Data),
    /// `inet_aton("192.168.1.2")`: the address as 4 bytes, in network byte order.
    InetAton(Data),
    /// `inet_ntoa(packed)`: 4 bytes back to dotted decimal.
    InetNtoa(Data),
}

/// One line of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptLine {
    /// Earliest start.
    pub at: Instant,
    /// Variables the results go to (`conn, addr = accept(s)`).
    pub targets: Vec<String>,
    pub call: Call,
    /// As written, for the log.
    pub text: String,
}

/// A value a variable holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Sock(SocketId),
    Bytes(Vec<u8>),
    Int(i64),
    Addr(SocketAddrV4),
    Ip(Ipv4Addr),
    Text(String),
    Error(SocketError),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Sock(s) => write!(f, "<socket {s}>"),
            Value::Bytes(b) => write!(f, "b{}", crate::trace::describe::quoted_preview(b, 60)),
            Value::Int(n) => write!(f, "{n}"),
            Value::Addr(a) => write!(f, "('{}', {})", a.ip(), a.port()),
            Value::Ip(ip) => write!(f, "'{ip}'"),
            Value::Text(t) => write!(f, "'{t}'"),
            Value::Error(e) => write!(f, "{}", e.python_name()),
        }
    }
}

/// Where a script is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    /// Waiting in a blocking call since this time.
    Blocked(Instant),
    Done,
    /// Ended by an error no variable caught.
    Failed(SocketError),
}

crate::counters! {
    /// What a script did.
    pub struct ScriptStats {
        /// Calls completed.
        calls,
        /// Calls that failed.
        errors,
        /// Bytes handed to send/sendall/sendto.
        bytes_out,
        /// Bytes recv/recvfrom returned.
        bytes_in,
        /// 1 when every line has run.
        done,
        /// 1 while the script waits in a blocking call (at the end: blocked forever).
        blocked,
    }
}

enum Outcome {
    Ready(Vec<Value>),
    Block,
    Fail(SocketError),
}

#[derive(Clone, Debug)]
pub struct Script {
    pub lines: Vec<ScriptLine>,
    pub hostname: String,
    pc: usize,
    vars: BTreeMap<String, Value>,
    pub status: Status,
    /// A connect or sendall in progress (started, not finished).
    in_progress: Option<usize>,
    /// What a `recv(…, MSG_WAITALL)` in progress has received so far.
    partial: Vec<u8>,
    sleep_until: Option<Instant>,
    pub stats: ScriptStats,
}

impl Script {
    pub fn new(lines: Vec<ScriptLine>, hostname: String) -> Self {
        Script {
            lines,
            hostname,
            pc: 0,
            vars: BTreeMap::new(),
            status: Status::Running,
            in_progress: None,
            partial: Vec::new(),
            sleep_until: None,
            stats: ScriptStats::default(),
        }
    }

    pub fn var(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    /// The line the script is at (blocked in, or next to run).
    pub fn current_line(&self) -> Option<&ScriptLine> {
        self.lines.get(self.pc)
    }

    pub fn counter(&self, name: &str) -> Option<u64> {
        self.stats.get(name)
    }

    pub fn poll_at(&self) -> Option<Instant> {
        if let Some(t) = self.sleep_until {
            return Some(t);
        }
        // A blocked program waits for its socket, not for a time: the host polls it when the
        // socket becomes ready.
        match (&self.status, self.lines.get(self.pc)) {
            (Status::Running, Some(l)) => Some(l.at),
            _ => None,
        }
    }

    fn sock(&self, name: &str) -> Result<SocketId, SocketError> {
        match self.vars.get(name) {
            Some(Value::Sock(s)) => Ok(*s),
            _ => Err(SocketError::BadDescriptor),
        }
    }

    fn bytes(&self, d: &Data) -> Vec<u8> {
        match d {
            Data::Text(t) => t.clone(),
            Data::Var(v) => match self.vars.get(v) {
                Some(Value::Bytes(b)) => b.clone(),
                // A str is its characters, as print() shows it: no quotes.
                Some(Value::Text(t)) => t.clone().into_bytes(),
                Some(Value::Ip(ip)) => ip.to_string().into_bytes(),
                Some(other) => other.to_string().into_bytes(),
                None => Vec::new(),
            },
            Data::Concat(parts) => parts.iter().flat_map(|p| self.bytes(p)).collect(),
        }
    }

    /// The text a variable or literal stands for (an address from gethostbyname as written).
    fn text(&self, d: &Data) -> String {
        match d {
            Data::Var(v) => match self.vars.get(v) {
                Some(Value::Ip(ip)) => ip.to_string(),
                Some(Value::Text(t)) => t.clone(),
                _ => String::from_utf8_lossy(&self.bytes(d)).into_owned(),
            },
            _ => String::from_utf8_lossy(&self.bytes(d)).into_owned(),
        }
    }

    /// `int(var)`: a number, or bytes of decimal digits such as a length header b"0005".
    fn int_of(&self, var: &str) -> Result<usize, SocketError> {
        match self.vars.get(var) {
            Some(Value::Int(n)) => usize::try_from(*n).map_err(|_| SocketError::InvalidArgument),
            Some(Value::Bytes(b)) => std::str::from_utf8(b)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .ok_or(SocketError::InvalidArgument),
            Some(Value::Text(t)) => t.trim().parse().map_err(|_| SocketError::InvalidArgument),
            _ => Err(SocketError::InvalidArgument),
        }
    }

    /// Whether `call` is on a socket the program made non-blocking.
    fn nonblocking(&self, cx: &impl AppCx, call: &Call) -> bool {
        let sock = match call {
            Call::Accept { sock }
            | Call::Connect { sock, .. }
            | Call::Send { sock, .. }
            | Call::SendAll { sock, .. }
            | Call::Recv { sock, .. }
            | Call::RecvFrom { sock, .. } => sock,
            _ => return false,
        };
        self.sock(sock)
            .and_then(|s| cx.block_mode(s))
            .is_ok_and(|m| m == BlockMode::NonBlocking)
    }

    /// `gethostbyname` from the scenario's hosts table (resolved when the program was read).
    fn hosts_table_addr(&self, call: &Call) -> Result<Vec<Value>, SocketError> {
        match call {
            Call::GetHostByName { addr: Some(ip), .. } => Ok(vec![Value::Ip(*ip)]),
            // socket.gaierror in Python; the closest errno is "no route to host".
            _ => Err(SocketError::HostUnreachable),
        }
    }

    /// `gethostbyaddr` from the scenario's hosts table.
    fn hosts_table_name(&self, call: &Call) -> Result<Vec<Value>, SocketError> {
        match call {
            Call::GetHostByAddr { name: Some(n), .. } => Ok(vec![Value::Text(n.clone())]),
            // socket.herror in Python ("Unknown host").
            _ => Err(SocketError::HostUnreachable),
        }
    }

    fn exec(&mut self, cx: &mut impl AppCx, call: &Call) -> Outcome {
        let r: Result<Vec<Value>, SocketError> = (|| {
            Ok(match call {
                Call::Socket(ty) => vec![Value::Sock(cx.socket(*ty)?)],
                Call::Bind { sock, addr } => {
                    cx.bind(self.sock(sock)?, *addr)?;
                    vec![]
                }
                Call::Listen { sock, backlog } => {
                    cx.listen(self.sock(sock)?, *backlog)?;
                    vec![]
                }
                Call::Accept { sock } => {
                    let (c, a) = cx.accept(self.sock(sock)?)?;
                    vec![Value::Sock(c), Value::Addr(a)]
                }
                Call::Connect { sock, to } => {
                    let s = self.sock(sock)?;
                    // Non-blocking: Linux's answer as it is (EINPROGRESS, EALREADY, EISCONN).
                    if cx.block_mode(s)? == BlockMode::NonBlocking {
                        cx.connect(s, *to)?;
                        return Ok(vec![]);
                    }
                    // A blocking connect: EINPROGRESS, wait until writable, then SO_ERROR
                    // (what the kernel, and CPython with a timeout, do).
                    if self.in_progress.is_none() {
                        match cx.connect(s, *to) {
                            Ok(()) => return Ok(vec![]),
                            Err(e) if would_block(&e) => self.in_progress = Some(0),
                            Err(e) => return Err(e),
                        }
                    }
                    if !cx.connect_done(s) {
                        return Err(SocketError::WouldBlock);
                    }
                    self.in_progress = None;
                    cx.connect_result(s)?;
                    vec![]
                }
                Call::Send { sock, data } => {
                    let bytes = self.bytes(data);
                    let s = self.sock(sock)?;
                    // A non-blocking socket takes what fits and says how much. A blocking
                    // one waits until every byte is queued (Linux's tcp_sendmsg sleeps for
                    // room), so a blocking send returns the whole length: partial counts come
                    // from non-blocking sockets and timeouts, not from full buffers.
                    if cx.block_mode(s)? != BlockMode::Blocking {
                        let n = cx.send(s, &bytes)?;
                        self.stats.bytes_out += n as u64;
                        return Ok(vec![Value::Int(n as i64)]);
                    }
                    let mut done = self.in_progress.unwrap_or(0);
                    while done < bytes.len() {
                        match cx.send(s, &bytes[done..]) {
                            Ok(0) | Err(SocketError::WouldBlock) => {
                                self.in_progress = Some(done);
                                return Err(SocketError::WouldBlock);
                            }
                            Ok(n) => {
                                done += n;
                                self.stats.bytes_out += n as u64;
                            }
                            Err(e) => {
                                self.in_progress = None;
                                return Err(e);
                            }
                        }
                    }
                    self.in_progress = None;
                    vec![Value::Int(bytes.len() as i64)]
                }
                Call::SendAll { sock, data } => {
                    let bytes = self.bytes(data);
                    let s = self.sock(sock)?;
                    let mut done = self.in_progress.unwrap_or(0);
                    while done < bytes.len() {
                        match cx.send(s, &bytes[done..]) {
                            Ok(0) | Err(SocketError::WouldBlock) => {
                                self.in_progress = Some(done);
                                return Err(SocketError::WouldBlock);
                            }
                            Ok(n) => {
                                done += n;
                                self.stats.bytes_out += n as u64;
                            }
                            Err(e) => {
                                self.in_progress = None;
                                return Err(e);
                            }
                        }
                    }
                    self.in_progress = None;
                    vec![]
                }
                Call::Recv {
                    sock,
                    max,
                    max_var,
                    wait_all,
                } => {
                    let s = self.sock(sock)?;
                    let max = match max_var {
                        Some(v) => self.int_of(v)?,
                        None => *max,
                    };
                    let data = if *wait_all {
                        let mut got = std::mem::take(&mut self.partial);
                        while got.len() < max {
                            match cx.recv(s, max - got.len()) {
                                Ok(d) if d.is_empty() => break,
                                Ok(d) => got.extend_from_slice(&d),
                                Err(SocketError::WouldBlock) => {
                                    self.partial = got;
                                    return Err(SocketError::WouldBlock);
                                }
                                Err(e) => return Err(e),
                            }
                        }
                        got
                    } else {
                        cx.recv(s, max)?
                    };
                    self.stats.bytes_in += data.len() as u64;
                    vec![Value::Bytes(data)]
                }
                Call::SendTo {
                    sock,
                    data,
                    to,
                    to_var,
                } => {
                    let to = match to_var {
                        None => *to,
                        Some(v) => match self.vars.get(v) {
                            Some(Value::Addr(a)) => *a,
                            _ => return Err(SocketError::InvalidArgument),
                        },
                    };
                    let bytes = self.bytes(data);
                    let n = cx.sendto(self.sock(sock)?, &bytes, to)?;
                    self.stats.bytes_out += n as u64;
                    vec![Value::Int(n as i64)]
                }
                Call::RecvFrom { sock, max } => {
                    let (data, from) = cx.recvfrom(self.sock(sock)?, *max)?;
                    self.stats.bytes_in += data.len() as u64;
                    vec![Value::Bytes(data), Value::Addr(from)]
                }
                Call::SetBlocking { sock, blocking } => {
                    let mode = if *blocking {
                        BlockMode::Blocking
                    } else {
                        BlockMode::NonBlocking
                    };
                    cx.set_block_mode(self.sock(sock)?, mode)?;
                    vec![]
                }
                Call::Close { sock } => {
                    cx.close(self.sock(sock)?)?;
                    vec![]
                }
                Call::Shutdown { sock, how } => {
                    cx.shutdown(self.sock(sock)?, *how)?;
                    vec![]
                }
                Call::SetSockOpt { sock, opt, value } => {
                    cx.setsockopt(self.sock(sock)?, *opt, *value)?;
                    vec![]
                }
                Call::GetSockName { sock } => {
                    vec![Value::Addr(cx.getsockname(self.sock(sock)?)?)]
                }
                Call::GetPeerName { sock } => {
                    vec![Value::Addr(cx.getpeername(self.sock(sock)?)?)]
                }
                Call::GetHostName => vec![Value::Text(self.hostname.clone())],
                // With a resolver, a real DNS query; the program blocks until the answer.
                Call::GetHostByName { name, .. }
                    if name != "localhost" && name.parse::<Ipv4Addr>().is_err() =>
                {
                    match cx.resolve(&Lookup::Name(name.clone())) {
                        Some(None) => return Err(SocketError::WouldBlock),
                        Some(Some(Resolved::Addr(ip))) => vec![Value::Ip(ip)],
                        Some(Some(_)) => return Err(SocketError::HostUnreachable),
                        None => self.hosts_table_addr(call)?,
                    }
                }
                Call::GetHostByAddr { addr, .. } if !addr.is_loopback() => {
                    match cx.resolve(&Lookup::Addr(*addr)) {
                        Some(None) => return Err(SocketError::WouldBlock),
                        Some(Some(Resolved::Name(n))) => vec![Value::Text(n)],
                        Some(Some(_)) => return Err(SocketError::HostUnreachable),
                        None => self.hosts_table_name(call)?,
                    }
                }
                Call::GetHostByName { .. } => self.hosts_table_addr(call)?,
                Call::GetHostByAddr { .. } => self.hosts_table_name(call)?,
                Call::Sleep(d) => {
                    self.sleep_until = Some(cx.now() + *d);
                    vec![]
                }
                Call::Print(data) => {
                    let text = self.bytes(data);
                    cx.log(|| format!("print: {}", String::from_utf8_lossy(&text)));
                    vec![]
                }
                // Python raises OSError("illegal IP address string passed to inet_aton").
                Call::InetAton(d) => match self.text(d).parse::<Ipv4Addr>() {
                    Ok(ip) => vec![Value::Bytes(ip.octets().to_vec())],
                    Err(_) => return Err(SocketError::InvalidArgument),
                },
                Call::InetNtoa(d) => match <[u8; 4]>::try_from(self.bytes(d).as_slice()) {
                    Ok(o) => vec![Value::Text(Ipv4Addr::from(o).to_string())],
                    Err(_) => return Err(SocketError::InvalidArgument),
                },
            })
        })();
        match r {
            Ok(v) => Outcome::Ready(v),
            // On a non-blocking socket the program sees BlockingIOError (EAGAIN,
            // EINPROGRESS) instead of waiting.
            Err(e) if would_block(&e) && self.nonblocking(cx, call) => {
                self.in_progress = None;
                Outcome::Fail(e)
            }
            Err(SocketError::WouldBlock) => Outcome::Block,
            Err(e) => Outcome::Fail(e),
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        loop {
            if matches!(self.status, Status::Done | Status::Failed(_)) {
                return;
            }
            if let Some(t) = self.sleep_until {
                if t > cx.now() {
                    return;
                }
                self.sleep_until = None;
                self.pc += 1;
                continue;
            }
            let Some(line) = self.lines.get(self.pc).cloned() else {
                self.status = Status::Done;
                self.stats.done = 1;
                self.stats.blocked = 0;
                return;
            };
            if line.at > cx.now() {
                return;
            }
            match self.exec(cx, &line.call) {
                Outcome::Block => {
                    if !matches!(self.status, Status::Blocked(_)) {
                        self.status = Status::Blocked(cx.now());
                        self.stats.blocked = 1;
                        cx.log(|| format!("{}  … blocks", line.text));
                    }
                    return;
                }
                Outcome::Ready(values) => {
                    self.status = Status::Running;
                    self.stats.blocked = 0;
                    self.stats.calls += 1;
                    let shown: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                    for (name, v) in line.targets.iter().zip(values) {
                        self.vars.insert(name.clone(), v);
                    }
                    if matches!(line.call, Call::Sleep(_)) {
                        cx.log(|| format!("{}  … sleeps", line.text));
                        continue;
                    }
                    if matches!(line.call, Call::Print(_)) {
                        // Its output line is the log line.
                        self.pc += 1;
                        continue;
                    }
                    cx.log(|| {
                        if shown.is_empty() {
                            line.text.clone()
                        } else {
                            format!("{}  → {}", line.text, shown.join(", "))
                        }
                    });
                    self.pc += 1;
                }
                Outcome::Fail(e) => {
                    self.stats.errors += 1;
                    self.stats.blocked = 0;
                    self.in_progress = None;
                    match line.targets.first() {
                        Some(name) => {
                            // Caught: the variable holds the exception, the program goes on.
                            self.vars.insert(name.clone(), Value::Error(e));
                            for extra in &line.targets[1..] {
                                self.vars.remove(extra);
                            }
                            cx.log(|| format!("{}  → raised {e} (caught)", line.text));
                            self.status = Status::Running;
                            self.pc += 1;
                        }
                        None => {
                            cx.log(|| {
                                format!("{}  → raised {e}: the program ends here", line.text)
                            });
                            self.status = Status::Failed(e);
                            return;
                        }
                    }
                }
            }
        }
    }
}
