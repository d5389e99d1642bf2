//! The socket API applications use, modelled on the BSD/Python calls the lessons teach:
//! `socket`, `bind`, `listen`, `accept`, `connect`, `send`, `sendall`, `recv`, `close`,
//! `shutdown`, `sendto`, `recvfrom`, `setsockopt`, `getsockname`, `getpeername`.
//!
//! The calls themselves are methods of [`crate::host::Host`] (they need its TCP, UDP and IP
//! layers); this module holds the vocabulary: handles, socket kinds, options and the errors
//! an application sees, named and worded as Python reports them.

use std::fmt;
use std::net::SocketAddrV4;

/// A socket of a host (a file descriptor, in Unix terms).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u32);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd{}", self.0 + 3)
    }
}

/// `SOCK_STREAM` (TCP) or `SOCK_DGRAM` (UDP).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
}

/// Socket options netlab supports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SockOpt {
    /// `TCP_NODELAY`: turn Nagle's algorithm off.
    NoDelay,
    /// `SO_REUSEADDR`: allow binding a port that has connections in TIME_WAIT.
    ReuseAddr,
    /// `SO_RCVBUF` in bytes.
    RecvBuf,
    /// `SO_SNDBUF` in bytes.
    SendBuf,
}

/// `shutdown()`'s `how`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// What a socket call can fail with. `Display` is Python's own wording
/// (`ConnectionRefusedError: [Errno 111] Connection refused`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    #[error("ConnectionRefusedError: [Errno 111] Connection refused")]
    ConnectionRefused,
    #[error("ConnectionResetError: [Errno 104] Connection reset by peer")]
    ConnectionReset,
    #[error("TimeoutError: [Errno 110] Connection timed out")]
    TimedOut,
    #[error("OSError: [Errno 98] Address already in use")]
    AddrInUse,
    #[error("OSError: [Errno 99] Cannot assign requested address")]
    AddrNotAvailable,
    #[error("OSError: [Errno 107] Transport endpoint is not connected")]
    NotConnected,
    #[error("OSError: [Errno 106] Transport endpoint is already connected")]
    AlreadyConnected,
    #[error("BrokenPipeError: [Errno 32] Broken pipe")]
    BrokenPipe,
    #[error("OSError: [Errno 22] Invalid argument")]
    InvalidArgument,
    #[error("OSError: [Errno 9] Bad file descriptor")]
    BadDescriptor,
    #[error("OSError: [Errno 101] Network is unreachable")]
    NetworkUnreachable,
    #[error("OSError: [Errno 113] No route to host")]
    HostUnreachable,
    #[error("OSError: [Errno 90] Message too long")]
    MessageTooLong,
    #[error("OSError: [Errno 95] Operation not supported")]
    NotSupported,
    /// The call would block: nothing to read yet, no connection to accept, the send buffer is
    /// full. Blocking callers wait and try again; it never reaches a user as an error.
    #[error("BlockingIOError: [Errno 11] Resource temporarily unavailable")]
    WouldBlock,
}

impl SocketError {
    /// The Python exception class, for expectations (`err == ConnectionRefusedError`).
    pub fn python_name(&self) -> &'static str {
        match self {
            SocketError::ConnectionRefused => "ConnectionRefusedError",
            SocketError::ConnectionReset => "ConnectionResetError",
            SocketError::TimedOut => "TimeoutError",
            SocketError::BrokenPipe => "BrokenPipeError",
            SocketError::WouldBlock => "BlockingIOError",
            _ => "OSError",
        }
    }

    /// The errno name (`ECONNREFUSED`), for expectations that want the exact cause.
    pub fn errno_name(&self) -> &'static str {
        match self {
            SocketError::ConnectionRefused => "ECONNREFUSED",
            SocketError::ConnectionReset => "ECONNRESET",
            SocketError::TimedOut => "ETIMEDOUT",
            SocketError::AddrInUse => "EADDRINUSE",
            SocketError::AddrNotAvailable => "EADDRNOTAVAIL",
            SocketError::NotConnected => "ENOTCONN",
            SocketError::AlreadyConnected => "EISCONN",
            SocketError::BrokenPipe => "EPIPE",
            SocketError::InvalidArgument => "EINVAL",
            SocketError::BadDescriptor => "EBADF",
            SocketError::NetworkUnreachable => "ENETUNREACH",
            SocketError::HostUnreachable => "EHOSTUNREACH",
            SocketError::MessageTooLong => "EMSGSIZE",
            SocketError::NotSupported => "EOPNOTSUPP",
            SocketError::WouldBlock => "EAGAIN",
        }
    }
}

impl From<crate::tcp::ConnError> for SocketError {
    fn from(e: crate::tcp::ConnError) -> Self {
        match e {
            crate::tcp::ConnError::Refused => SocketError::ConnectionRefused,
            crate::tcp::ConnError::Reset => SocketError::ConnectionReset,
            crate::tcp::ConnError::TimedOut => SocketError::TimedOut,
            crate::tcp::ConnError::BrokenPipe => SocketError::BrokenPipe,
        }
    }
}

/// What a socket is ready for, for applications that wait.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// `recv` would not block: data, an orderly close (it returns empty), or an error.
    pub readable: bool,
    /// `send` would take at least one byte, or fail.
    pub writable: bool,
    /// `accept` would return a connection.
    pub acceptable: bool,
    /// A `connect` finished (successfully or not).
    pub connected: bool,
}

/// The address of a socket, as `getsockname`/`getpeername` give it.
pub type SockAddr = SocketAddrV4;
