//! The one socket interface every application kind uses: the built-in apps and scripted
//! programs (`src/apps`), the packetdrill runner and Python programs. The host implements it
//! (`host::SockCx`); nothing above the host reaches the stack another way.
//!
//! # Calls never wait
//!
//! The simulation has no threads, so every call here returns at once, as a call on a
//! non-blocking socket does in Linux: `EAGAIN` ([`SocketError::WouldBlock`]) when there is
//! nothing to read, no room to write or no connection to accept, and `EINPROGRESS` when a TCP
//! `connect` has sent its SYN. Whether the *program* blocks is the socket's [`BlockMode`]
//! (`fcntl(O_NONBLOCK)`, Python's `setblocking`/`settimeout`), which the socket keeps so
//! that every runner agrees on it; a runner that sees `WouldBlock` on a blocking socket waits
//! until [`SocketApi::poll`] shows the [`Interest`] of the call, then calls again:
//!
//! | call | blocking socket (runner) | non-blocking socket (program sees) |
//! | --- | --- | --- |
//! | `connect` | `EINPROGRESS` → wait writable → `SO_ERROR` | `EINPROGRESS`, then `EALREADY` while the handshake runs, `EISCONN` once connected |
//! | `accept`, `recv`, `recvfrom` | wait readable, call again | `EAGAIN` |
//! | `send` | call again until every byte is queued | the count taken (partial), or `EAGAIN` |
//!
//! With a timeout (`settimeout(t)`) CPython makes the socket non-blocking underneath and
//! waits at most `t` for the interest before each try; a `send` then returns whatever one try
//! took (a partial count), which is where partial sends come from in Python programs. When
//! `t` passes, CPython raises `TimeoutError: timed out` ([`SocketError::CallTimedOut`]).

use super::{Ioctl, PollEvents, Shutdown, SockAddr, SockOpt, SockType, SocketError, SocketId};
use crate::time::{Duration, Instant};

/// What a blocking program does when a call would block (kept per socket).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum BlockMode {
    /// The default: the program waits as long as it takes.
    #[default]
    Blocking,
    /// `O_NONBLOCK` / `setblocking(False)` / `settimeout(0)`: the program sees `EAGAIN`,
    /// `EINPROGRESS`, partial sends.
    NonBlocking,
    /// Python's `settimeout(t)`: wait at most `t` before each try, then `TimeoutError`.
    Timeout(Duration),
}

impl BlockMode {
    /// Whether the kernel's `O_NONBLOCK` flag is set (CPython sets it for timeouts too).
    pub fn o_nonblock(self) -> bool {
        self != BlockMode::Blocking
    }

    /// Python's `gettimeout()`: `None` when blocking, `0.0` when non-blocking.
    pub fn python_timeout(self) -> Option<Duration> {
        match self {
            BlockMode::Blocking => None,
            BlockMode::NonBlocking => Some(Duration::ZERO),
            BlockMode::Timeout(t) => Some(t),
        }
    }

    /// Python's `settimeout(t)`: `None` blocks, `0` is non-blocking.
    pub fn from_python_timeout(t: Option<Duration>) -> BlockMode {
        match t {
            None => BlockMode::Blocking,
            Some(t) if t == Duration::ZERO => BlockMode::NonBlocking,
            Some(t) => BlockMode::Timeout(t),
        }
    }
}

/// What a call that would block waits for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Interest {
    /// `accept`, `recv`, `recvfrom`: `POLLIN`.
    Read,
    /// `send`, `sendall`, `connect`: `POLLOUT`.
    Write,
}

impl Interest {
    /// Whether `ready` lets the call go on (an error or hang-up wakes every waiter: the call
    /// then returns it).
    pub fn ready(self, ready: PollEvents) -> bool {
        ready.error
            || ready.hangup
            || match self {
                Interest::Read => ready.input,
                Interest::Write => ready.output,
            }
    }

    /// The `poll` mask (`POLLIN` or `POLLOUT`).
    pub fn mask(self) -> u16 {
        match self {
            Interest::Read => PollEvents::POLLIN,
            Interest::Write => PollEvents::POLLOUT,
        }
    }
}

/// Whether `e` only says "not yet" (the runner of a blocking socket waits and retries).
pub fn would_block(e: &SocketError) -> bool {
    matches!(
        e,
        SocketError::WouldBlock | SocketError::InProgress | SocketError::Already
    )
}

/// The socket calls, as Linux answers them on a non-blocking socket (see the module note).
/// File descriptors are [`SocketId`]s; errors carry Linux's errno and Python's names.
pub trait SocketApi {
    /// The simulated time now.
    fn now(&self) -> Instant;

    /// `socket(AF_INET, ty, 0)`.
    fn socket(&mut self, ty: SockType) -> Result<SocketId, SocketError>;
    /// `bind((ip, port))`; port 0 picks an ephemeral port. `EADDRINUSE` when the port is
    /// held, unless only TIME_WAIT connections hold it and both sockets set `SO_REUSEADDR`.
    fn bind(&mut self, fd: SocketId, addr: SockAddr) -> Result<(), SocketError>;
    /// `listen(backlog)` (Linux caps it at `somaxconn`, 4096, and makes 0 into 1).
    fn listen(&mut self, fd: SocketId, backlog: usize) -> Result<(), SocketError>;
    /// `accept()`: a connection that finished its handshake, or `EAGAIN`.
    fn accept(&mut self, fd: SocketId) -> Result<(SocketId, SockAddr), SocketError>;
    /// `connect((ip, port))`: TCP sends its SYN and answers `EINPROGRESS`; `EALREADY` while
    /// the handshake runs; `EISCONN` once connected; a failed handshake's error once.
    /// UDP only fixes the peer.
    fn connect(&mut self, fd: SocketId, to: SockAddr) -> Result<(), SocketError>;
    /// `send(data)`: bytes the send buffer took (fewer than offered when it filled), or
    /// `EAGAIN` when it took none. `EPIPE` after `shutdown(SHUT_WR)`.
    fn send(&mut self, fd: SocketId, data: &[u8]) -> Result<usize, SocketError>;
    /// `recv(max)`: data, empty after the peer's FIN, `EAGAIN` when nothing is there yet.
    fn recv(&mut self, fd: SocketId, max: usize) -> Result<Vec<u8>, SocketError>;
    /// `recv` into the caller's buffer: bytes read, 0 after the peer's FIN.
    fn recv_into(&mut self, fd: SocketId, buf: &mut [u8]) -> Result<usize, SocketError>;
    /// `sendto(data, (ip, port))` on a UDP socket.
    fn sendto(&mut self, fd: SocketId, data: &[u8], to: SockAddr) -> Result<usize, SocketError>;
    /// `recvfrom(max)` on a UDP socket: one datagram and its sender.
    fn recvfrom(&mut self, fd: SocketId, max: usize) -> Result<(Vec<u8>, SockAddr), SocketError>;
    /// `shutdown(how)`.
    fn shutdown(&mut self, fd: SocketId, how: Shutdown) -> Result<(), SocketError>;
    /// `close()`: the descriptor is gone; a TCP connection goes on closing (FIN; RST when
    /// unread data is left or `SO_LINGER` is 0); a listener resets its un-accepted
    /// connections.
    fn close(&mut self, fd: SocketId) -> Result<(), SocketError>;
    /// `setsockopt(level, name, value)`; `ENOPROTOOPT` for read-only options.
    fn setsockopt(&mut self, fd: SocketId, opt: SockOpt, value: i64) -> Result<(), SocketError>;
    /// `getsockopt(level, name)`. Reading `SO_ERROR` clears the pending error, as in Linux.
    fn getsockopt(&mut self, fd: SocketId, opt: SockOpt) -> Result<i64, SocketError>;
    /// `getsockname()`.
    fn getsockname(&self, fd: SocketId) -> Result<SockAddr, SocketError>;
    /// `getpeername()`; `ENOTCONN` before the connection exists or after it is gone.
    fn getpeername(&self, fd: SocketId) -> Result<SockAddr, SocketError>;
    /// `ioctl(SIOCINQ / FIONREAD / SIOCOUTQ)`.
    fn ioctl(&mut self, fd: SocketId, req: Ioctl) -> Result<i64, SocketError>;
    /// `poll()` on one socket: what it is ready for right now.
    fn poll(&self, fd: SocketId) -> PollEvents;
    /// `fcntl(F_SETFL, O_NONBLOCK)`, `setblocking`, `settimeout`.
    fn set_block_mode(&mut self, fd: SocketId, mode: BlockMode) -> Result<(), SocketError>;
    /// The socket's [`BlockMode`] (`fcntl(F_GETFL) & O_NONBLOCK`, `gettimeout()`).
    fn block_mode(&self, fd: SocketId) -> Result<BlockMode, SocketError>;

    /// Whether a `connect` in progress has finished, one way or the other (the socket is
    /// writable or has an error): what a blocking `connect` waits for.
    fn connect_done(&self, fd: SocketId) -> bool {
        Interest::Write.ready(self.poll(fd))
    }

    /// How a finished `connect` went, read as CPython does after waiting: `SO_ERROR`.
    fn connect_result(&mut self, fd: SocketId) -> Result<(), SocketError> {
        match self.getsockopt(fd, SockOpt::Error)? {
            0 => Ok(()),
            n => Err(SocketError::from_errno(n as i32).unwrap_or(SocketError::ConnectionRefused)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_timeouts_map_to_modes() {
        assert_eq!(BlockMode::from_python_timeout(None), BlockMode::Blocking);
        assert_eq!(
            BlockMode::from_python_timeout(Some(Duration::ZERO)),
            BlockMode::NonBlocking
        );
        let t = Duration::from_millis(500);
        assert_eq!(
            BlockMode::from_python_timeout(Some(t)),
            BlockMode::Timeout(t)
        );
        // CPython's timeout mode sets O_NONBLOCK underneath (Modules/socketmodule.c).
        assert!(BlockMode::Timeout(t).o_nonblock());
        assert!(!BlockMode::Blocking.o_nonblock());
        assert_eq!(
            BlockMode::NonBlocking.python_timeout(),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn errors_and_hangups_wake_every_waiter() {
        let err = PollEvents {
            error: true,
            ..PollEvents::default()
        };
        assert!(Interest::Read.ready(err) && Interest::Write.ready(err));
        let out = PollEvents {
            output: true,
            ..PollEvents::default()
        };
        assert!(Interest::Write.ready(out) && !Interest::Read.ready(out));
        assert!(would_block(&SocketError::InProgress));
        assert!(!would_block(&SocketError::ConnectionRefused));
    }
}
