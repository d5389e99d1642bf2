//! The socket API applications use, modelled on the BSD/Python calls the lessons teach:
//! `socket`, `bind`, `listen`, `accept`, `connect`, `send`, `sendall`, `recv`, `close`,
//! `shutdown`, `sendto`, `recvfrom`, `setsockopt`, `getsockname`, `getpeername`.
//!
//! Every application kind (the built-in apps and scripted programs in `src/apps`, the
//! packetdrill runner, Python programs) makes these calls through one interface,
//! [`SocketApi`] (`api.rs`), which the host implements. This module holds its vocabulary:
//! handles, socket kinds, options with their Linux numbers, poll flags and the errors an
//! application sees, named and worded as Linux and Python report them.

pub mod api;
pub use api::{BlockMode, Interest, SocketApi};

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

/// Socket options netlab supports, with the level and number Linux gives them (`<sys/socket.h>`,
/// `<netinet/tcp.h>`) so packetdrill scripts and Python programs can name them either way.
///
/// Every value is an integer (`int` in C). `SO_LINGER` is a `struct linger`; netlab encodes it
/// as one integer: negative means `l_onoff = 0`, `n >= 0` means `l_onoff = 1, l_linger = n`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SockOpt {
    /// `TCP_NODELAY`: turn Nagle's algorithm off.
    NoDelay,
    /// `SO_REUSEADDR`: allow binding a port that has connections in TIME_WAIT (when they set
    /// it too, as Linux requires).
    ReuseAddr,
    /// `SO_RCVBUF` in bytes. Linux doubles the value it is given (for its bookkeeping) and
    /// `getsockopt` returns the doubled value.
    RecvBuf,
    /// `SO_SNDBUF` in bytes; doubled as `SO_RCVBUF`.
    SendBuf,
    /// `SO_KEEPALIVE`: probe an idle connection (RFC 1122 §4.2.3.6).
    KeepAlive,
    /// `SO_LINGER`; see the type's note on the encoding. Linger 0 makes `close` send a RST.
    Linger,
    /// `SO_ERROR` (read only): the pending error as an errno, cleared by reading it.
    Error,
    /// `SO_TYPE` (read only): 1 for `SOCK_STREAM`, 2 for `SOCK_DGRAM`.
    Type,
    /// `SO_ACCEPTCONN` (read only): 1 on a listening socket.
    AcceptConn,
    /// `TCP_MAXSEG`: the MSS (before `connect`/`listen`, caps what is announced).
    MaxSeg,
    /// `TCP_KEEPIDLE`: seconds of idleness before the first keepalive probe (default 7200).
    KeepIdle,
    /// `TCP_KEEPINTVL`: seconds between keepalive probes (default 75).
    KeepIntvl,
    /// `TCP_KEEPCNT`: unanswered probes before the connection is dropped (default 9).
    KeepCnt,
    /// `TCP_LINGER2`: seconds an orphaned connection stays in FIN_WAIT_2 (default
    /// `tcp_fin_timeout`, 60).
    Linger2,
    /// `TCP_USER_TIMEOUT`: milliseconds sent data may stay unacknowledged before the
    /// connection is dropped (RFC 5482); 0 means the system default.
    UserTimeout,
    /// `TCP_QUICKACK`: 0 makes delayed ACKs interactive (pingpong); 1 leaves that mode and sends
    /// a pending ACK a read would send.
    QuickAck,
    /// `TCP_CORK`: hold partial segments until it is cleared (or a segment fills).
    Cork,
    /// `TCP_FASTOPEN`: on a listener, take data on SYNs (RFC 7413); the value is how many
    /// such connections may wait for their handshake.
    FastOpen,
    /// `TCP_FASTOPEN_CONNECT`: `connect` sends no SYN when a cookie is cached; the first
    /// write sends it with data.
    FastOpenConnect,
    /// `TCP_FASTOPEN_NO_COOKIE`: data on the SYN without a cookie.
    FastOpenNoCookie,
    /// `TCP_SYNCNT`: this socket's `tcp_syn_retries` (1 to 127).
    SynCnt,
}

/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = 1;
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: i32 = 6;

impl SockOpt {
    /// Every option, for listings.
    pub const ALL: [SockOpt; 21] = [
        SockOpt::NoDelay,
        SockOpt::ReuseAddr,
        SockOpt::RecvBuf,
        SockOpt::SendBuf,
        SockOpt::KeepAlive,
        SockOpt::Linger,
        SockOpt::Error,
        SockOpt::Type,
        SockOpt::AcceptConn,
        SockOpt::MaxSeg,
        SockOpt::KeepIdle,
        SockOpt::KeepIntvl,
        SockOpt::KeepCnt,
        SockOpt::Linger2,
        SockOpt::UserTimeout,
        SockOpt::QuickAck,
        SockOpt::Cork,
        SockOpt::FastOpen,
        SockOpt::FastOpenConnect,
        SockOpt::FastOpenNoCookie,
        SockOpt::SynCnt,
    ];

    /// `(level, optname)` as Linux numbers them.
    pub fn linux(self) -> (i32, i32) {
        match self {
            SockOpt::ReuseAddr => (SOL_SOCKET, 2),
            SockOpt::Type => (SOL_SOCKET, 3),
            SockOpt::Error => (SOL_SOCKET, 4),
            SockOpt::SendBuf => (SOL_SOCKET, 7),
            SockOpt::RecvBuf => (SOL_SOCKET, 8),
            SockOpt::KeepAlive => (SOL_SOCKET, 9),
            SockOpt::Linger => (SOL_SOCKET, 13),
            SockOpt::AcceptConn => (SOL_SOCKET, 30),
            SockOpt::NoDelay => (IPPROTO_TCP, 1),
            SockOpt::MaxSeg => (IPPROTO_TCP, 2),
            SockOpt::Cork => (IPPROTO_TCP, 3),
            SockOpt::KeepIdle => (IPPROTO_TCP, 4),
            SockOpt::KeepIntvl => (IPPROTO_TCP, 5),
            SockOpt::KeepCnt => (IPPROTO_TCP, 6),
            SockOpt::Linger2 => (IPPROTO_TCP, 8),
            SockOpt::QuickAck => (IPPROTO_TCP, 12),
            SockOpt::UserTimeout => (IPPROTO_TCP, 18),
            SockOpt::FastOpen => (IPPROTO_TCP, 23),
            SockOpt::FastOpenConnect => (IPPROTO_TCP, 30),
            SockOpt::FastOpenNoCookie => (IPPROTO_TCP, 34),
            SockOpt::SynCnt => (IPPROTO_TCP, 7),
        }
    }

    /// The option Linux numbers `(level, optname)`, if netlab has it.
    pub fn from_linux(level: i32, name: i32) -> Option<SockOpt> {
        SockOpt::ALL
            .into_iter()
            .find(|o| o.linux() == (level, name))
    }

    /// The C name (`SO_REUSEADDR`).
    pub fn name(self) -> &'static str {
        match self {
            SockOpt::NoDelay => "TCP_NODELAY",
            SockOpt::ReuseAddr => "SO_REUSEADDR",
            SockOpt::RecvBuf => "SO_RCVBUF",
            SockOpt::SendBuf => "SO_SNDBUF",
            SockOpt::KeepAlive => "SO_KEEPALIVE",
            SockOpt::Linger => "SO_LINGER",
            SockOpt::Error => "SO_ERROR",
            SockOpt::Type => "SO_TYPE",
            SockOpt::AcceptConn => "SO_ACCEPTCONN",
            SockOpt::MaxSeg => "TCP_MAXSEG",
            SockOpt::KeepIdle => "TCP_KEEPIDLE",
            SockOpt::KeepIntvl => "TCP_KEEPINTVL",
            SockOpt::KeepCnt => "TCP_KEEPCNT",
            SockOpt::Linger2 => "TCP_LINGER2",
            SockOpt::UserTimeout => "TCP_USER_TIMEOUT",
            SockOpt::QuickAck => "TCP_QUICKACK",
            SockOpt::Cork => "TCP_CORK",
            SockOpt::FastOpen => "TCP_FASTOPEN",
            SockOpt::FastOpenConnect => "TCP_FASTOPEN_CONNECT",
            SockOpt::FastOpenNoCookie => "TCP_FASTOPEN_NO_COOKIE",
            SockOpt::SynCnt => "TCP_SYNCNT",
        }
    }

    /// The option with C name `name` (`SO_REUSEADDR`; case matters, as in C and Python).
    pub fn from_name(name: &str) -> Option<SockOpt> {
        SockOpt::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Options only `getsockopt` may use (`setsockopt` fails with `ENOPROTOOPT`).
    pub fn read_only(self) -> bool {
        matches!(self, SockOpt::Error | SockOpt::Type | SockOpt::AcceptConn)
    }
}

/// `ioctl` requests on a socket.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ioctl {
    /// `SIOCINQ` (= `FIONREAD`, 0x541B): bytes ready to read (TCP: in order, not yet read;
    /// UDP: the size of the next datagram).
    InQueue,
    /// `SIOCOUTQ` (= `TIOCOUTQ`, 0x5411): bytes in the send queue not yet acknowledged.
    OutQueue,
}

impl Ioctl {
    /// The request with Linux number `req`.
    pub fn from_linux(req: u64) -> Option<Ioctl> {
        match req {
            0x541B => Some(Ioctl::InQueue),
            0x5411 => Some(Ioctl::OutQueue),
            _ => None,
        }
    }
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
    #[error("OSError: [Errno 92] Protocol not available")]
    NoProtoOpt,
    #[error("ConnectionAbortedError: [Errno 103] Software caused connection abort")]
    ConnectionAborted,
    /// A non-blocking `connect` started the handshake (`EINPROGRESS`): wait until the socket
    /// is writable, then `SO_ERROR` says how it went.
    #[error("BlockingIOError: [Errno 115] Operation now in progress")]
    InProgress,
    /// `connect` again while the handshake is still going (`EALREADY`).
    #[error("BlockingIOError: [Errno 114] Operation already in progress")]
    Already,
    /// A Python socket with a timeout (`settimeout(t)`) waited `t` in vain. CPython raises
    /// `TimeoutError("timed out")`, with no errno: it is not the kernel's `ETIMEDOUT`.
    #[error("TimeoutError: timed out")]
    CallTimedOut,
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
            SocketError::WouldBlock | SocketError::InProgress | SocketError::Already => {
                "BlockingIOError"
            }
            SocketError::ConnectionAborted => "ConnectionAbortedError",
            SocketError::CallTimedOut => "TimeoutError",
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
            SocketError::NoProtoOpt => "ENOPROTOOPT",
            SocketError::ConnectionAborted => "ECONNABORTED",
            SocketError::InProgress => "EINPROGRESS",
            SocketError::Already => "EALREADY",
            // CPython's own timeout has no errno; the name says what it is.
            SocketError::CallTimedOut => "timed out",
        }
    }

    /// Linux's errno number (0 for CPython's timeout, which has none).
    pub fn errno(&self) -> i32 {
        match self {
            SocketError::ConnectionRefused => 111,
            SocketError::ConnectionReset => 104,
            SocketError::TimedOut => 110,
            SocketError::AddrInUse => 98,
            SocketError::AddrNotAvailable => 99,
            SocketError::NotConnected => 107,
            SocketError::AlreadyConnected => 106,
            SocketError::BrokenPipe => 32,
            SocketError::InvalidArgument => 22,
            SocketError::BadDescriptor => 9,
            SocketError::NetworkUnreachable => 101,
            SocketError::HostUnreachable => 113,
            SocketError::MessageTooLong => 90,
            SocketError::NotSupported => 95,
            SocketError::WouldBlock => 11,
            SocketError::NoProtoOpt => 92,
            SocketError::ConnectionAborted => 103,
            SocketError::InProgress => 115,
            SocketError::Already => 114,
            SocketError::CallTimedOut => 0,
        }
    }

    /// The error with Linux errno `n` (what `SO_ERROR` returns), if netlab has it.
    pub fn from_errno(n: i32) -> Option<SocketError> {
        ALL_ERRORS.into_iter().find(|e| e.errno() == n && n != 0)
    }

    /// The error with errno name `name` (`ECONNREFUSED`; `EWOULDBLOCK` is `EAGAIN`).
    pub fn from_errno_name(name: &str) -> Option<SocketError> {
        let name = if name == "EWOULDBLOCK" {
            "EAGAIN"
        } else {
            name
        };
        ALL_ERRORS.into_iter().find(|e| e.errno_name() == name)
    }
}

const ALL_ERRORS: [SocketError; 20] = [
    SocketError::ConnectionRefused,
    SocketError::ConnectionReset,
    SocketError::TimedOut,
    SocketError::AddrInUse,
    SocketError::AddrNotAvailable,
    SocketError::NotConnected,
    SocketError::AlreadyConnected,
    SocketError::BrokenPipe,
    SocketError::InvalidArgument,
    SocketError::BadDescriptor,
    SocketError::NetworkUnreachable,
    SocketError::HostUnreachable,
    SocketError::MessageTooLong,
    SocketError::NotSupported,
    SocketError::WouldBlock,
    SocketError::NoProtoOpt,
    SocketError::ConnectionAborted,
    SocketError::InProgress,
    SocketError::Already,
    SocketError::CallTimedOut,
];

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

/// What `poll(2)` reports for a socket, computed as Linux's `tcp_poll`/`datagram_poll` do.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PollEvents {
    /// `POLLIN`: data to read, an orderly close to read (empty `recv`), a connection to
    /// accept.
    pub input: bool,
    /// `POLLOUT`: `send` would take bytes (also set on a socket that never connected, as
    /// Linux does).
    pub output: bool,
    /// `POLLERR`: a pending error (`SO_ERROR` says which).
    pub error: bool,
    /// `POLLHUP`: both directions are shut, or the socket is CLOSED (a fresh TCP socket too).
    pub hangup: bool,
    /// `POLLRDHUP`: the peer sent FIN (or `shutdown(SHUT_RD)` was called).
    pub read_hangup: bool,
}

impl PollEvents {
    pub const POLLIN: u16 = 0x001;
    pub const POLLOUT: u16 = 0x004;
    pub const POLLERR: u16 = 0x008;
    pub const POLLHUP: u16 = 0x010;
    pub const POLLRDHUP: u16 = 0x2000;
    /// Bits `poll` sets beside those above: the "normal data" twins of `POLLIN` and
    /// `POLLOUT` (`tcp_poll` sets them together), and a descriptor that is not open.
    pub const POLLRDNORM: u16 = 0x040;
    pub const POLLWRNORM: u16 = 0x100;
    pub const POLLNVAL: u16 = 0x020;

    /// The `revents` bits (`POLLIN | POLLOUT …`) as Linux numbers them.
    pub fn bits(self) -> u16 {
        let mut b = 0;
        for (on, bit) in [
            (self.input, Self::POLLIN),
            (self.output, Self::POLLOUT),
            (self.error, Self::POLLERR),
            (self.hangup, Self::POLLHUP),
            (self.read_hangup, Self::POLLRDHUP),
        ] {
            if on {
                b |= bit;
            }
        }
        b
    }

    /// Whether any of `mask`'s bits is set (POLLERR and POLLHUP always count, as in poll).
    pub fn any(self, mask: u16) -> bool {
        self.bits() & (mask | Self::POLLERR | Self::POLLHUP) != 0
    }
}

impl fmt::Display for PollEvents {
    /// `POLLIN|POLLOUT`, or `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [
            (self.input, "POLLIN"),
            (self.output, "POLLOUT"),
            (self.error, "POLLERR"),
            (self.hangup, "POLLHUP"),
            (self.read_hangup, "POLLRDHUP"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect();
        if names.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(&names.join("|"))
        }
    }
}

/// The address of a socket, as `getsockname`/`getpeername` give it.
pub type SockAddr = SocketAddrV4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip_through_linux_numbers_and_names() {
        for o in SockOpt::ALL {
            let (level, name) = o.linux();
            assert_eq!(SockOpt::from_linux(level, name), Some(o));
            assert_eq!(SockOpt::from_name(o.name()), Some(o));
        }
        // Numbers from <asm-generic/socket.h> and <netinet/tcp.h>.
        assert_eq!(SockOpt::from_linux(1, 13), Some(SockOpt::Linger));
        assert_eq!(SockOpt::from_linux(6, 18), Some(SockOpt::UserTimeout));
        assert_eq!(SockOpt::from_linux(6, 99), None);
    }

    #[test]
    fn errors_round_trip_through_errno() {
        for e in ALL_ERRORS {
            if e != SocketError::CallTimedOut {
                assert_eq!(SocketError::from_errno(e.errno()), Some(e));
            }
            assert_eq!(SocketError::from_errno_name(e.errno_name()), Some(e));
        }
        assert_eq!(
            SocketError::from_errno_name("EWOULDBLOCK"),
            Some(SocketError::WouldBlock)
        );
        assert_eq!(SocketError::InProgress.python_name(), "BlockingIOError");
        assert_eq!(
            SocketError::CallTimedOut.to_string(),
            "TimeoutError: timed out"
        );
    }

    #[test]
    fn poll_bits_are_linux_numbers() {
        let p = PollEvents {
            input: true,
            hangup: true,
            ..PollEvents::default()
        };
        assert_eq!(p.bits(), 0x11);
        assert_eq!(p.to_string(), "POLLIN|POLLHUP");
        assert!(p.any(PollEvents::POLLOUT), "POLLHUP always counts");
        assert!(!PollEvents::default().any(PollEvents::POLLIN));
    }
}
