//! System calls of a script, made on the host's socket API.
//!
//! netlab's socket calls never block: they answer `WouldBlock`. Blocking is the runner's: a
//! call on a blocking fd that would block becomes the pending call, retried after every
//! simulated event until it can return (packetdrill's blocking-call thread). `O_NONBLOCK`
//! (`fcntl`) is kept per fd here and turns `WouldBlock` into `EAGAIN` (`EINPROGRESS` for
//! connect), as Linux does.

use super::ast::{Expr, Syscall};
use super::lex::Pos;
use super::run::{fail, unsupported, Pending, Res, Runner};
use super::symbols::{errno_info, symbol};
use crate::socket::{Shutdown, SockType, SocketError, SocketId};
use crate::time::{Duration, Instant};
use std::net::SocketAddrV4;

/// A script fd: the socket behind it, its `O_NONBLOCK` flag, whether `TCP_INQ` asks
/// `recvmsg` for the bytes left to read, and whether it is `SS_CONNECTING`.
#[derive(Copy, Clone, Debug)]
pub struct Fd {
    pub sock: SocketId,
    pub nonblock: bool,
    pub inq: bool,
    /// Linux keeps `sock->state` apart from the TCP state: a non-blocking connect (or
    /// `sendto(MSG_FASTOPEN)`, or a deferred `TCP_FASTOPEN_CONNECT`) leaves it SS_CONNECTING
    /// until a later connect() sees the handshake over, returns its result once and makes it
    /// SS_CONNECTED; a connect() after that is EISCONN (`__inet_stream_connect`).
    pub connecting: bool,
}

/// A call in progress: what it is and what it still has to do.
#[derive(Clone, Debug)]
pub struct Call {
    pub name: String,
    pub sys: Syscall,
    fd: i64,
    /// Bytes a blocking write still has to hand over.
    remaining: usize,
    written: usize,
    /// The buffer is `NULL`: copying to or from it faults.
    fault: bool,
    /// `send()` flags netlab acts on (`MSG_MORE`, `MSG_EOR`); `MSG_DONTWAIT` makes this one
    /// call non-blocking.
    send_flags: crate::tcp::SendFlags,
    dontwait: bool,
    /// A `sendto(MSG_FASTOPEN)` that blocks: it waits for the handshake before it writes the
    /// bytes the SYN did not take (Linux `tcp_sendmsg` after `tcp_sendmsg_fastopen`).
    wait_connect: bool,
    /// `recvmsg`: the iovec's length and the `TCP_CM_INQ` value the script expects.
    recvmsg: Option<(usize, Option<i64>)>,
    /// `poll`: its descriptors and timeout.
    poll: Option<super::poll::PollCall>,
    /// `socket(…, SOCK_STREAM | SOCK_NONBLOCK, …)`: the new fd starts non-blocking.
    sock_nonblock: bool,
}

impl Call {
    /// When the call returns even if nothing happens (a `poll` timeout).
    pub fn deadline(&self) -> Option<Instant> {
        self.poll.as_ref().and_then(|p| p.deadline)
    }
}

/// Replays: what the application still has to write and read on `fd`.
#[derive(Clone, Debug, Default)]
pub struct Backlog {
    pub fd: i64,
    pub write: usize,
    pub read: usize,
    /// Inferred calls that could not complete at their instant.
    pub waited: usize,
    /// The application closed `fd` while its writes or reads were still in the backlog: the
    /// close happens once they are done (closing with data unread would reset the
    /// connection, and what is unwritten would never be sent).
    pub close: bool,
}

/// Replays: a read or write on a non-blocking fd does what it can now and leaves the rest to
/// the backlog; it returns the script's value. `None` if this is not such a call.
fn backlog_call(r: &mut Runner, c: &Call, f: Fd) -> Option<Ret> {
    let write = matches!(c.name.as_str(), "write" | "send");
    let read = matches!(c.name.as_str(), "read" | "recv");
    if !r.cfg.app_io_backlog || !f.nonblock || !(write || read) || c.sys.ret < 0 {
        return None;
    }
    let n = match c.sys.args.get(2) {
        Some(Expr::Int(n)) if *n == c.sys.ret && *n <= MAX_IO => *n as usize,
        _ => return None,
    };
    if r.backlog.write + r.backlog.read > 0 && r.backlog.fd != c.fd {
        return None;
    }
    r.backlog.fd = c.fd;
    let before = (r.backlog.write, r.backlog.read);
    if write {
        r.backlog.write += n;
    } else {
        r.backlog.read += n;
    }
    drain_backlog(r);
    let after = if write {
        r.backlog.write
    } else {
        r.backlog.read
    };
    if after > if write { before.0 } else { before.1 } {
        r.backlog.waited += 1;
    }
    Some(Ok(c.sys.ret))
}

/// Replays: hands over and reads what the backlog holds, as far as netlab can now.
pub(super) fn drain_backlog(r: &mut Runner) {
    if r.backlog.write == 0 && r.backlog.read == 0 {
        return;
    }
    let Some(f) = sock(r, r.backlog.fd) else {
        r.backlog.write = 0;
        r.backlog.read = 0;
        r.backlog.close = false;
        return;
    };
    let id = f.sock;
    if r.backlog.write > 0 {
        let data = vec![0u8; r.backlog.write];
        match r.net.with_host(|h, io| h.send(io, id, &data)) {
            Ok(n) => r.backlog.write -= n,
            Err(SocketError::WouldBlock) => {}
            // The connection is gone: what was left can never be written.
            Err(_) => r.backlog.write = 0,
        }
    }
    if r.backlog.read > 0 {
        let max = r.backlog.read;
        match r.net.with_host(|h, io| h.recv(io, id, max)) {
            Ok(d) if !d.is_empty() => r.backlog.read -= d.len(),
            Ok(_) | Err(SocketError::WouldBlock) => {}
            Err(_) => r.backlog.read = 0,
        }
    }
    if r.backlog.close && r.backlog.write == 0 && r.backlog.read == 0 {
        r.backlog.close = false;
        r.fds.remove(&r.backlog.fd);
        let _ = r.net.with_host(|h, io| h.close(io, id));
    }
}

/// What a call returned: a value or an errno name.
pub type Ret = Result<i64, &'static str>;

/// Largest read or write the runner makes (it allocates the buffer).
const MAX_IO: i64 = 1 << 26;

pub(super) fn errno_of(e: SocketError) -> &'static str {
    e.errno_name()
}

pub(super) fn int(pos: Pos, e: &Expr) -> Res<i64> {
    match e {
        Expr::Int(n) => Ok(*n),
        Expr::Word(w) => match symbol(w) {
            Some(v) => Ok(v),
            None => unsupported(pos, format!("symbol '{w}' is not known to netlab's runner")),
        },
        Expr::Or(v) => v.iter().try_fold(0i64, |acc, x| Ok(acc | int(pos, x)?)),
        Expr::List(v) if v.len() == 1 => int(pos, &v[0]),
        Expr::Call(f, a) if f == "htons" && a.len() == 1 => int(pos, &a[0]),
        _ => unsupported(
            pos,
            format!("argument {e} is not a number netlab's runner understands"),
        ),
    }
}

pub(super) fn arg(pos: Pos, c: &Syscall, i: usize) -> Res<&Expr> {
    match c.args.get(i) {
        Some(a) => Ok(a),
        None => Err(super::run::Stop::Fail(super::run::Failure {
            pos,
            at: None,
            msg: format!(
                "{}() needs at least {} arguments, the script gives {}",
                c.name,
                i + 1,
                c.args.len()
            ),
        })),
    }
}

/// A buffer argument: `...` is a buffer the runner provides, `NULL` an address the kernel
/// cannot copy to or from (true).
fn buffer(pos: Pos, c: &Syscall, i: usize) -> Res<bool> {
    Ok(matches!(arg(pos, c, i)?, Expr::Word(w) if w == "NULL"))
}

/// Starts a call. `Some(t)` if it returned (checked) at `t`; `None` if it is now pending.
pub(super) fn start(
    r: &mut Runner,
    pos: Pos,
    sys: &Syscall,
    end: Option<Instant>,
    tol: Duration,
) -> Res<Option<Instant>> {
    let fd = match sys.name.as_str() {
        "socket" | "poll" => -1,
        _ => int(pos, arg(pos, sys, 0)?)?,
    };
    let mut call = Call {
        name: sys.name.clone(),
        sys: sys.clone(),
        fd,
        remaining: 0,
        written: 0,
        fault: false,
        send_flags: crate::tcp::SendFlags::default(),
        dontwait: false,
        wait_connect: false,
        recvmsg: None,
        poll: None,
        sock_nonblock: false,
    };
    let now = r.net.now();
    let ret = first_try(r, pos, &mut call)?;
    match ret {
        Some(ret) => {
            check_result(r, pos, &call, ret)?;
            if let Some(e) = end {
                let lo = Instant::from_nanos(e.as_nanos().saturating_sub(tol.as_nanos()));
                if now < lo || now > e + tol {
                    return fail(
                        pos,
                        now,
                        format!(
                            "timing error: {} expected to return at {}, returned at {}",
                            sys.name,
                            super::run::secs(e),
                            super::run::secs(now)
                        ),
                    );
                }
            }
            Ok(Some(now))
        }
        None => {
            r.pending = Some(Pending {
                call,
                pos,
                expected_end: end.or(Some(now)),
                tolerance: tol,
            });
            Ok(None)
        }
    }
}

fn sock(r: &Runner, fd: i64) -> Option<Fd> {
    r.fds.get(&fd).copied()
}

fn set_connecting(r: &mut Runner, fd: i64, on: bool) {
    if let Some(f) = r.fds.get_mut(&fd) {
        f.connecting = on;
    }
}

/// The first attempt: `None` means it would block on a blocking fd.
fn first_try(r: &mut Runner, pos: Pos, c: &mut Call) -> Res<Option<Ret>> {
    let sys = c.sys.clone();
    let name = sys.name.as_str();
    if name == "socket" {
        // A new socket becomes the socket under test: the last one's packets are no longer
        // checked (packetdrill's `socket_under_test`).
        if let Some(lp) = r.local_port.take() {
            r.retired.insert((lp, r.remote_port));
        }
        use super::symbols::{SOCK_CLOEXEC, SOCK_NONBLOCK};
        let ty = int(pos, arg(pos, &sys, 1)?)?;
        c.sock_nonblock = ty & SOCK_NONBLOCK != 0;
        let ty = ty & !(SOCK_NONBLOCK | SOCK_CLOEXEC);
        let proto = int(pos, arg(pos, &sys, 2)?)?;
        let ty = match (ty, proto) {
            (1, 0) | (1, 6) => SockType::Stream,
            (2, 0) | (2, 17) => {
                return unsupported(
                    pos,
                    "UDP sockets in scripts are not supported by netlab's runner",
                )
            }
            // Linux: a protocol that does not go with the type.
            (1 | 2, _) => return Ok(Some(Err("EPROTONOSUPPORT"))),
            _ => return Ok(Some(Err("EINVAL"))),
        };
        let id = r.net.with_host(|h, _| h.socket(ty, 0));
        return Ok(Some(Ok(-1 - i64::from(id.0))));
    }
    if name == "poll" {
        c.poll = Some(super::poll::parse(pos, &sys, r.net.now())?);
        return retry_call(r, c);
    }
    let Some(f) = sock(r, c.fd) else {
        return match name {
            "bind" | "listen" | "accept" | "connect" | "write" | "send" | "sendto" | "sendmsg"
            | "read" | "recv" | "recvfrom" | "close" | "shutdown" | "setsockopt" | "getsockopt"
            | "fcntl" | "ioctl" => Ok(Some(Err("EBADF"))),
            _ => unsupported(
                pos,
                format!("system call {name}() is not modelled by netlab's runner"),
            ),
        };
    };
    let id = f.sock;
    if let Some(ret) = backlog_call(r, c, f) {
        return Ok(Some(ret));
    }
    if name == "close"
        && r.cfg.app_io_backlog
        && r.backlog.fd == c.fd
        && r.backlog.write + r.backlog.read > 0
    {
        r.backlog.close = true;
        r.backlog.waited += 1;
        return Ok(Some(Ok(0)));
    }
    match name {
        "bind" => {
            let addr = SocketAddrV4::new(r.cfg.local_ip, r.cfg.bind_port);
            Ok(Some(
                r.net
                    .with_host(|h, _| h.bind(id, addr))
                    .map(|_| 0)
                    .map_err(errno_of),
            ))
        }
        "listen" => {
            let backlog = int(pos, arg(pos, &sys, 1)?)?;
            r.listened = true;
            Ok(Some(
                r.net
                    .with_host(|h, _| h.listen(id, backlog.max(0) as usize))
                    .map(|_| 0)
                    .map_err(errno_of),
            ))
        }
        "connect" => {
            // SS_CONNECTING with the SYN out: EALREADY while the handshake is under way (a
            // blocking call waits for it), then its result. (A deferred Fast Open connect is
            // the host's to answer: EISCONN.)
            if f.connecting && r.net.host().fastopen_deferred(id).is_none() {
                if f.nonblock && !r.net.host().readiness(id).connected {
                    return Ok(Some(Err("EALREADY")));
                }
                return retry_call(r, c);
            }
            let to = SocketAddrV4::new(r.cfg.remote_ip, r.cfg.connect_port);
            r.remote_port = r.cfg.connect_port;
            let res = r.net.with_host(|h, io| h.connect(io, id, to));
            r.conn_fd = Some(c.fd);
            match res {
                Err(e) => Ok(Some(Err(errno_of(e)))),
                // TCP_FASTOPEN_CONNECT with a cookie: nothing sent, connected for now.
                Ok(()) if r.net.host().fastopen_deferred(id).is_some() => {
                    set_connecting(r, c.fd, true);
                    Ok(Some(Ok(0)))
                }
                Ok(()) if f.nonblock => {
                    set_connecting(r, c.fd, true);
                    Ok(Some(Err("EINPROGRESS")))
                }
                Ok(()) => retry_call(r, c),
            }
        }
        "write" | "send" | "sendto" | "sendmsg" => {
            let (n, flags) = if name == "sendmsg" {
                // sendmsg(fd, {msg_iov(N)=[{..., LEN}, …], …}, flags): the iovecs' total.
                (
                    sendmsg_len(pos, arg(pos, &sys, 1)?)?,
                    int(pos, arg(pos, &sys, 2)?)?,
                )
            } else {
                let n = int(pos, arg(pos, &sys, 2)?)?;
                // A zero-length copy touches no memory.
                c.fault = buffer(pos, &sys, 1)? && n > 0;
                let flags = if name == "write" {
                    0
                } else {
                    int(pos, arg(pos, &sys, 3)?)?
                };
                (n, flags)
            };
            // MSG_DONTWAIT 0x40, MSG_EOR 0x80, MSG_NOSIGNAL 0x4000 (netlab raises no
            // signals), MSG_MORE 0x8000, MSG_FASTOPEN 0x20000000 (Linux's values).
            const MSG_FASTOPEN: i64 = 0x2000_0000;
            if flags & !(0x40 | 0x80 | 0x4000 | 0x8000 | MSG_FASTOPEN) != 0 {
                return unsupported(
                    pos,
                    format!("{name}() flags {flags:#x}: netlab's runner knows MSG_DONTWAIT, MSG_EOR, MSG_NOSIGNAL, MSG_MORE and MSG_FASTOPEN"),
                );
            }
            c.dontwait = flags & 0x40 != 0;
            c.send_flags = crate::tcp::SendFlags {
                more: flags & 0x8000 != 0,
                eor: flags & 0x80 != 0,
            };
            if n > MAX_IO {
                return unsupported(
                    pos,
                    format!("{name}() of {n} bytes: the runner writes at most {MAX_IO}"),
                );
            }
            c.remaining = n.max(0) as usize;
            let deferred = r.net.host().fastopen_deferred(id).is_some();
            // MSG_FASTOPEN on an SS_CONNECTING socket whose handshake is over: the connect
            // part answers 0 (or the handshake's error) and makes it SS_CONNECTED, and this is
            // a plain write (Linux `tcp_sendmsg_fastopen` → `__inet_stream_connect`).
            if flags & MSG_FASTOPEN != 0
                && !deferred
                && f.connecting
                && r.net.host().readiness(id).connected
            {
                set_connecting(r, c.fd, false);
                if let Err(e) = r.net.host().connect_result(id) {
                    return Ok(Some(Err(errno_of(e))));
                }
                return retry_call(r, c);
            }
            if flags & MSG_FASTOPEN != 0 || deferred {
                // Linux refuses an AF_UNSPEC address before anything else (EOPNOTSUPP).
                if matches!(sys.args.get(4), Some(Expr::Word(w)) if w == "AF_UNSPEC") {
                    return Ok(Some(Err("EOPNOTSUPP")));
                }
                return send_fast_open(r, c, f);
            }
            retry_call(r, c)
        }
        "read" | "recv" | "recvfrom" => {
            let max = int(pos, arg(pos, &sys, 2)?)?;
            c.fault = buffer(pos, &sys, 1)? && max > 0;
            if max > MAX_IO {
                return unsupported(pos, format!("{name}() of more than {MAX_IO} bytes"));
            }
            if name != "read" && int(pos, arg(pos, &sys, 3)?)? != 0 {
                return unsupported(
                    pos,
                    format!("{name}() flags are not modelled by netlab's runner"),
                );
            }
            retry_call(r, c)
        }
        "recvmsg" => {
            if int(pos, arg(pos, &sys, 2)?)? != 0 {
                return unsupported(pos, "recvmsg() flags are not modelled by netlab's runner");
            }
            c.recvmsg = Some(recvmsg_shape(pos, arg(pos, &sys, 1)?)?);
            retry_call(r, c)
        }
        "accept" => retry_call(r, c),
        "close" => {
            r.fds.remove(&c.fd);
            Ok(Some(
                r.net
                    .with_host(|h, io| h.close(io, id))
                    .map(|_| 0)
                    .map_err(errno_of),
            ))
        }
        "shutdown" => {
            let how = match int(pos, arg(pos, &sys, 1)?)? {
                0 => Shutdown::Read,
                1 => Shutdown::Write,
                2 => Shutdown::Both,
                _ => return Ok(Some(Err("EINVAL"))),
            };
            Ok(Some(
                r.net
                    .with_host(|h, io| h.shutdown(io, id, how))
                    .map(|_| 0)
                    .map_err(errno_of),
            ))
        }
        "fcntl" => {
            let cmd = int(pos, arg(pos, &sys, 1)?)?;
            match cmd {
                4 => {
                    let flags = int(pos, arg(pos, &sys, 2)?)?;
                    if let Some(x) = r.fds.get_mut(&c.fd) {
                        x.nonblock = flags & 0o4000 != 0;
                    }
                    Ok(Some(Ok(0)))
                }
                3 => Ok(Some(Ok(2 | if f.nonblock { 0o4000 } else { 0 }))),
                _ => unsupported(pos, format!("fcntl command {cmd} is not modelled")),
            }
        }
        "setsockopt" => super::sockopt::setsockopt(r, pos, &sys, id),
        "getsockopt" => super::sockopt::getsockopt(r, pos, &sys, id),
        "ioctl" => {
            let req = int(pos, arg(pos, &sys, 1)?)?;
            if req != 0x541B {
                return unsupported(pos, format!("ioctl request {req:#x} is not modelled"));
            }
            let n = r.net.host().tcp_connection(id).map(|c| c.recv_available());
            let Some(n) = n else {
                return Ok(Some(Err("EINVAL")));
            };
            compare_out(r, pos, &sys, 2, n as i64)?;
            Ok(Some(Ok(0)))
        }
        _ => unsupported(
            pos,
            format!("system call {name}() is not modelled by netlab's runner"),
        ),
    }
}

/// `sendto(MSG_FASTOPEN)`: connects with data on the SYN. A non-blocking call returns what
/// the SYN took, or `EINPROGRESS` if it took nothing (a cookie request); a blocking one waits
/// for the handshake and then writes the rest (Linux `tcp_sendmsg_fastopen`). The first write
/// after a deferred `TCP_FASTOPEN_CONNECT` does the same.
fn send_fast_open(r: &mut Runner, c: &mut Call, f: Fd) -> Res<Option<Ret>> {
    let to = SocketAddrV4::new(r.cfg.remote_ip, r.cfg.connect_port);
    let id = f.sock;
    let sent = if c.fault {
        // A NULL buffer: the SYN asks for a cookie instead of carrying data (the host's
        // `send_fast_open_unreadable`); the copy a blocking call would make later faults.
        c.remaining = 0;
        r.net
            .with_host(|h, io| h.send_fast_open_unreadable(io, id, to))
    } else {
        let data = vec![0u8; c.remaining];
        r.net.with_host(|h, io| h.send_fast_open(io, id, to, &data))
    };
    let sent = match sent {
        Ok(s) => s,
        Err(e) => return Ok(Some(Err(errno_of(e)))),
    };
    r.remote_port = r.cfg.connect_port;
    r.conn_fd = Some(c.fd);
    c.written = sent.on_syn;
    c.remaining -= sent.on_syn;
    if f.nonblock || c.dontwait {
        set_connecting(r, c.fd, true);
        return Ok(Some(match sent.on_syn {
            0 => Err("EINPROGRESS"),
            n => Ok(n as i64),
        }));
    }
    c.wait_connect = true;
    retry_call(r, c)
}

/// Compares an out-parameter `[v]` with what netlab reports.
pub(super) fn compare_out(r: &Runner, pos: Pos, sys: &Syscall, i: usize, live: i64) -> Res<()> {
    let want = int(pos, arg(pos, sys, i)?)?;
    if want != live {
        return fail(
            pos,
            r.net.now(),
            format!(
                "{}: expected value {want} in argument {}, netlab gives {live}",
                sys.name,
                i + 1
            ),
        );
    }
    Ok(())
}

/// A (re)try of a call that may block. `None`: still blocked.
fn retry_call(r: &mut Runner, c: &mut Call) -> Res<Option<Ret>> {
    if let Some(p) = &c.poll {
        return super::poll::try_poll(r, c.sys.name_pos, p);
    }
    let Some(mut f) = sock(r, c.fd) else {
        return Ok(Some(Err("EBADF")));
    };
    f.nonblock |= c.dontwait;
    let id = f.sock;
    let would_block = |f: &Fd| -> Option<Ret> {
        if f.nonblock {
            Some(Err("EAGAIN"))
        } else {
            None
        }
    };
    match c.name.as_str() {
        "connect" => {
            if !r.net.host().readiness(id).connected {
                return Ok(None);
            }
            set_connecting(r, c.fd, false);
            Ok(Some(
                r.net.host().connect_result(id).map(|_| 0).map_err(errno_of),
            ))
        }
        "accept" => match r.net.with_host(|h, _| h.accept(id)) {
            Ok((new, _)) => Ok(Some(Ok(-1 - i64::from(new.0)))),
            Err(SocketError::WouldBlock) => Ok(would_block(&f)),
            Err(e) => Ok(Some(Err(errno_of(e)))),
        },
        // A NULL buffer: the call does everything up to the copy, which faults (Linux
        // `tcp_recvmsg`/`tcp_sendmsg` return EFAULT when nothing was copied; data to read stays
        // queued, nothing is queued to send). Waiting, EAGAIN, end of stream and socket errors
        // come first, as they come before any copy.
        "read" | "recv" | "recvfrom" if c.fault => {
            let queued = r
                .net
                .host()
                .tcp_connection(id)
                .map_or(0, |conn| conn.recv_available());
            if queued > 0 {
                return Ok(Some(Err("EFAULT")));
            }
            if !r.net.host().readiness(id).readable {
                return Ok(would_block(&f));
            }
            // Nothing queued and readable: end of stream or an error, with nothing to copy.
            match r.net.with_host(|h, io| h.recv(io, id, 1)) {
                Ok(_) => Ok(Some(Ok(0))),
                Err(SocketError::WouldBlock) => Ok(would_block(&f)),
                Err(e) => Ok(Some(Err(errno_of(e)))),
            }
        }
        "write" | "send" | "sendto" | "sendmsg" if c.fault => {
            match r.net.with_host(|h, io| h.send(io, id, &[])) {
                Err(SocketError::WouldBlock) => Ok(would_block(&f)),
                Err(e) => Ok(Some(Err(errno_of(e)))),
                Ok(_) if r.net.host().readiness(id).writable => Ok(Some(Err("EFAULT"))),
                Ok(_) => Ok(would_block(&f)),
            }
        }
        "read" | "recv" | "recvfrom" | "recvmsg" => {
            let max = match (c.recvmsg, c.sys.args.get(2)) {
                (Some((n, _)), _) => n,
                (None, Some(Expr::Int(n))) => (*n).max(0) as usize,
                _ => 0,
            };
            match r.net.with_host(|h, io| h.recv(io, id, max)) {
                Ok(d) => {
                    if let Some((_, Some(want))) = c.recvmsg {
                        check_inq(r, c, f, want)?;
                    }
                    Ok(Some(Ok(d.len() as i64)))
                }
                Err(SocketError::WouldBlock) => Ok(would_block(&f)),
                Err(e) => Ok(Some(Err(errno_of(e)))),
            }
        }
        "write" | "send" | "sendto" | "sendmsg" if c.wait_connect => {
            // The rest of the data waits for the handshake, as a writer (Linux's
            // `inet_wait_for_connect` write bias).
            let waiting = !r.net.host().readiness(id).connected;
            let pending = waiting && c.remaining > 0;
            r.net.with_host(|h, _| h.set_write_pending(id, pending));
            if waiting {
                return Ok(None);
            }
            if let Err(e) = r.net.host().connect_result(id) {
                return Ok(Some(Err(errno_of(e))));
            }
            c.wait_connect = false;
            if c.remaining == 0 {
                return Ok(Some(Ok(c.written as i64)));
            }
            retry_call(r, c)
        }
        "write" | "send" | "sendto" | "sendmsg" => {
            let data = vec![0u8; c.remaining];
            let flags = c.send_flags;
            match r
                .net
                .with_host(|h, io| h.send_with_flags(io, id, &data, flags))
            {
                Ok(n) => {
                    c.remaining -= n;
                    c.written += n;
                    if c.remaining == 0 || (f.nonblock && n > 0) {
                        Ok(Some(Ok(c.written as i64)))
                    } else if f.nonblock {
                        Ok(Some(Err("EAGAIN")))
                    } else {
                        Ok(None)
                    }
                }
                Err(SocketError::WouldBlock) if c.written > 0 && f.nonblock => {
                    Ok(Some(Ok(c.written as i64)))
                }
                Err(SocketError::WouldBlock) => Ok(would_block(&f)),
                Err(e) => Ok(Some(Err(errno_of(e)))),
            }
        }
        _ => Ok(Some(Err("EINVAL"))),
    }
}

/// `sendmsg`'s message: the total length of its iovecs (`msg_iov(N)=[{..., LEN}, …]`); no
/// control messages.
fn sendmsg_len(pos: Pos, msg: &Expr) -> Res<i64> {
    let Expr::Struct(fields) = msg else {
        return unsupported(pos, "sendmsg() needs a {msg_…} structure");
    };
    let mut total = None;
    for (name, value) in fields {
        match (name.as_deref(), value) {
            (None, _) | (Some("msg_name" | "msg_flags"), _) => {}
            (Some("msg_iov"), Expr::List(iovs)) => {
                let mut sum = 0i64;
                for iov in iovs {
                    match iov {
                        Expr::Struct(parts) => match parts.last() {
                            Some((_, Expr::Int(n))) if *n >= 0 => sum += *n,
                            _ => return unsupported(pos, "sendmsg(): an iovec of {..., LENGTH}"),
                        },
                        _ => return unsupported(pos, "sendmsg(): an iovec of {..., LENGTH}"),
                    }
                }
                total = Some(sum);
            }
            (Some(other), _) => {
                return unsupported(pos, format!("sendmsg(): {other} is not modelled"))
            }
        }
    }
    match total {
        Some(t) => Ok(t),
        None => unsupported(pos, "sendmsg() without msg_iov"),
    }
}

/// `recvmsg`'s message: the one iovec's length, and the `TCP_CM_INQ` control message's value
/// if the script gives one.
fn recvmsg_shape(pos: Pos, msg: &Expr) -> Res<(usize, Option<i64>)> {
    let Expr::Struct(fields) = msg else {
        return unsupported(pos, "recvmsg() needs a {msg_…} structure");
    };
    let mut len = None;
    let mut inq = None;
    for (name, value) in fields {
        match (name.as_deref(), value) {
            (None, _) | (Some("msg_name" | "msg_flags"), _) => {}
            (Some("msg_iov"), Expr::List(iovs)) if iovs.len() == 1 => match &iovs[0] {
                Expr::Struct(parts) => match parts.last() {
                    Some((_, Expr::Int(n))) if *n >= 0 && *n <= MAX_IO => len = Some(*n as usize),
                    _ => return unsupported(pos, "recvmsg(): an iovec of {..., LENGTH}"),
                },
                _ => return unsupported(pos, "recvmsg(): an iovec of {..., LENGTH}"),
            },
            (Some("msg_control"), Expr::List(cmsgs)) if cmsgs.len() == 1 => {
                let Expr::Struct(parts) = &cmsgs[0] else {
                    return unsupported(pos, "recvmsg(): a control message {cmsg_…}");
                };
                for (k, v) in parts {
                    match (k.as_deref(), v) {
                        (Some("cmsg_level"), Expr::Word(w)) if w == "SOL_TCP" => {}
                        (Some("cmsg_type"), Expr::Word(w)) if w == "TCP_CM_INQ" => {}
                        (Some("cmsg_data"), Expr::Int(n)) => inq = Some(*n),
                        _ => {
                            return unsupported(
                                pos,
                                "recvmsg(): the only control message netlab knows is TCP_CM_INQ",
                            )
                        }
                    }
                }
            }
            (Some(other), _) => {
                return unsupported(pos, format!("recvmsg(): {other} is not modelled"))
            }
        }
    }
    let Some(len) = len else {
        return unsupported(pos, "recvmsg() without msg_iov");
    };
    Ok((len, inq))
}

/// `TCP_CM_INQ` after a read, as Linux's `tcp_inq_hint`: RCV.NXT minus what was read, so a
/// FIN received counts one ("a fake byte" once the data is read).
fn check_inq(r: &Runner, c: &Call, f: Fd, want: i64) -> Res<()> {
    let pos = c.sys.name_pos;
    if !f.inq {
        return fail(
            pos,
            r.net.now(),
            "recvmsg(): no TCP_CM_INQ control message, TCP_INQ is not set on this socket",
        );
    }
    let live = r.net.host().tcp_connection(f.sock).map_or(0, |c| {
        c.recv_available() as i64 + i64::from(c.peer_closed())
    });
    if live != want {
        return fail(
            pos,
            r.net.now(),
            format!("recvmsg(): TCP_CM_INQ is {live}, script expects {want}"),
        );
    }
    Ok(())
}

/// Retries the pending call after an event.
pub(super) fn retry(r: &mut Runner, p: &mut Pending) -> Res<Option<Ret>> {
    retry_call(r, &mut p.call)
}

/// Compares a returned value with the script's, mapping fds.
pub(super) fn check_result(r: &mut Runner, pos: Pos, c: &Call, ret: Ret) -> Res<()> {
    let now = r.net.now();
    let sys = &c.sys;
    let returns_fd = matches!(sys.name.as_str(), "socket" | "accept");
    let got = |ret: &Ret| match ret {
        Ok(v) if returns_fd => format!("fd {v}"),
        Ok(v) => v.to_string(),
        Err(e) => {
            let (n, text) = errno_info(e);
            format!("-1 with errno {n} ({text})")
        }
    };
    match (&ret, sys.ret) {
        (Ok(v), want) if returns_fd && want >= 0 => {
            // Our SocketIds are encoded as -1 - id; the script's number becomes the fd.
            let sock = SocketId((-1 - v) as u32);
            r.fds.insert(
                want,
                Fd {
                    sock,
                    nonblock: c.sock_nonblock,
                    inq: false,
                    connecting: false,
                },
            );
            if sys.name == "accept" {
                r.conn_fd = Some(want);
            }
            Ok(())
        }
        (Ok(_), want) if returns_fd => fail(
            pos,
            now,
            format!(
                "runtime error in {} call: Expected result {want}{} but got a new fd",
                sys.name,
                sys.errno
                    .as_ref()
                    .map(|e| format!(" {e}"))
                    .unwrap_or_default()
            ),
        ),
        (Err(_), want) if returns_fd && want >= 0 => fail(
            pos,
            now,
            format!(
                "runtime error in {} call: Expected non-negative result but got {}",
                sys.name,
                got(&ret)
            ),
        ),
        (Ok(v), want) if *v == want && sys.errno.is_none() => Ok(()),
        (Err(e), -1) if sys.errno.as_deref().is_none_or(|w| w == *e) => Ok(()),
        (_, want) => fail(
            pos,
            now,
            format!(
                "runtime error in {} call: Expected result {want}{} but got {}",
                sys.name,
                sys.errno
                    .as_ref()
                    .map(|e| format!(" {e}"))
                    .unwrap_or_default(),
                got(&ret)
            ),
        ),
    }
}
