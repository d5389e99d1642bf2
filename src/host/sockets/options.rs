//! Socket options, `poll` readiness and `ioctl`, as Linux answers them.

use super::{SockKind, Socket, Sockets};
use crate::host::Host;
use crate::node::NodeIo;
use crate::socket::{Ioctl, PollEvents, SockOpt, SocketError, SocketId};
use crate::tcp::{Connection, Keepalive, Output, State};
use crate::time::{Duration, Instant};

/// Linux's `sysctl_rmem_max` / `sysctl_wmem_max` (212992): `SO_RCVBUF`/`SO_SNDBUF` values are
/// capped at this before being doubled.
const MEM_MAX: i64 = 212_992;
/// `SOCK_MIN_RCVBUF` and `SOCK_MIN_SNDBUF` (2048 + 256 and twice that, on 64-bit Linux).
const MIN_RCVBUF: i64 = 2304;
const MIN_SNDBUF: i64 = 4608;
/// `TCP_MAX_KEEPIDLE`, `TCP_MAX_KEEPINTVL`, `TCP_MAX_KEEPCNT` (`include/net/tcp.h`).
const MAX_KEEPIDLE: i64 = 32767;
const MAX_KEEPCNT: i64 = 127;

/// The options a socket keeps besides the ones the host already had fields for. `None`
/// means "the host's default" (sysctls in `TcpConfig`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SockOpts {
    /// `SO_KEEPALIVE`.
    pub keepalive: bool,
    /// `SO_LINGER`: `Some(seconds)` when `l_onoff` is set.
    pub linger: Option<u32>,
    /// `TCP_MAXSEG` set by the program.
    pub maxseg: Option<u16>,
    /// `TCP_KEEPIDLE`, `TCP_KEEPINTVL` (seconds), `TCP_KEEPCNT`.
    pub keep_idle: Option<u32>,
    pub keep_intvl: Option<u32>,
    pub keep_cnt: Option<u32>,
    /// `TCP_LINGER2` in seconds (negative: no FIN_WAIT_2 timeout at all, as Linux's -1).
    pub linger2: Option<i32>,
    /// `TCP_USER_TIMEOUT` in milliseconds (0: the default).
    pub user_timeout_ms: u32,
    /// `TCP_CORK`.
    pub cork: bool,
    /// `TCP_FASTOPEN`: the listener's Fast Open queue length (0: off).
    pub fastopen_queue: u32,
    /// `TCP_FASTOPEN_CONNECT` and `TCP_FASTOPEN_NO_COOKIE`.
    pub fastopen_connect: bool,
    pub fastopen_no_cookie: bool,
    /// `TCP_SYNCNT`: this socket's SYN retries.
    pub syn_count: Option<u8>,
}

impl SockOpts {
    /// The keepalive settings the connection acts on, `None` without `SO_KEEPALIVE`
    /// (Linux's defaults: `tcp_keepalive_time` 7200 s, `_intvl` 75 s, `_probes` 9).
    pub fn keepalive(&self) -> Option<Keepalive> {
        self.keepalive.then(|| Keepalive {
            idle: Duration::from_secs(self.keep_idle.unwrap_or(7200) as u64),
            interval: Duration::from_secs(self.keep_intvl.unwrap_or(75) as u64),
            count: self.keep_cnt.unwrap_or(9),
        })
    }

    /// `TCP_USER_TIMEOUT` as the connection takes it.
    pub fn user_timeout(&self) -> Option<Duration> {
        (self.user_timeout_ms > 0).then(|| Duration::from_millis(self.user_timeout_ms as u64))
    }

    /// Hands the options that act inside the connection to an established one when one
    /// changes (at connect and accept they come in its `TcpConfig`).
    pub(super) fn apply(&self, conn: &mut Connection, now: Instant, out: &mut Output) {
        conn.set_keepalive(now, self.keepalive(), out);
        conn.set_user_timeout(self.user_timeout());
        if let Some(n) = self.syn_count {
            conn.set_syn_retries(u32::from(n));
        }
    }
}

fn bool_of(v: i64) -> bool {
    v != 0
}

fn non_negative(v: i64, max: i64) -> Result<i64, SocketError> {
    if v < 0 || v > max {
        Err(SocketError::InvalidArgument)
    } else {
        Ok(v)
    }
}

impl Sockets {
    /// What `poll` reports for `id`, as Linux's `tcp_poll` and `datagram_poll` compute it.
    /// A closed descriptor reports `POLLNVAL` in Linux; netlab reports an error.
    pub fn poll(&self, id: SocketId) -> PollEvents {
        let Some(s) = self.get(id) else {
            return PollEvents {
                error: true,
                ..PollEvents::default()
            };
        };
        let mut p = PollEvents::default();
        match &s.kind {
            // A socket that never connected is CLOSED: tcp_poll says POLLOUT | POLLHUP.
            SockKind::TcpFresh => {
                p.output = true;
                p.hangup = true;
            }
            SockKind::TcpListen(l) => {
                p.input = l.listeners.values().any(|x| x.accept_queue_len() > 0);
            }
            SockKind::TcpConn(c) => {
                let st = c.state();
                p.error = (c.error().is_some() && !s.err_taken) || s.soft_error.is_some();
                // RCV_SHUTDOWN: the peer's FIN, or our shutdown(SHUT_RD).
                let rcv_shut = s.read_shut || c.peer_closed() || st == State::Closed;
                // SEND_SHUTDOWN: our FIN is queued or sent (close or shutdown(SHUT_WR)), or
                // the connection is gone.
                let send_shut = matches!(
                    st,
                    State::FinWait1
                        | State::FinWait2
                        | State::Closing
                        | State::TimeWait
                        | State::LastAck
                        | State::Closed
                );
                if (rcv_shut && send_shut) || st == State::Closed {
                    p.hangup = true;
                }
                if rcv_shut {
                    p.input = true;
                    p.read_hangup = true;
                }
                // Connected, or a passive Fast Open child (tcp_poll's `fastopen_rsk`), which
                // may be read and written before its handshake completes.
                let open = match st {
                    State::SynSent => false,
                    State::SynReceived => c.may_send_before_established(),
                    _ => true,
                };
                if open {
                    if c.recv_available() > 0 {
                        p.input = true;
                    }
                    // sk_stream_is_writeable: free space at least half of what is queued
                    // (so a full buffer wakes a writer only once a third of it drained).
                    p.output =
                        send_shut || (c.send_space() > 0 && c.send_space() >= c.send_queued() / 2);
                }
            }
            // As a connection in TIME_WAIT: both directions shut.
            SockKind::TcpTimeWait(_) => {
                p.error = s.soft_error.is_some();
                p.hangup = true;
                p.input = true;
                p.read_hangup = true;
                p.output = true;
            }
            SockKind::Udp { queue, .. } => {
                p.input = !queue.is_empty();
                p.output = true;
                p.error = s.soft_error.is_some();
            }
        }
        p
    }

    /// The pending error `SO_ERROR` returns, cleared by reading it.
    pub(super) fn take_error(s: &mut Socket) -> Option<SocketError> {
        if let Some(e) = s.soft_error.take() {
            return Some(e);
        }
        if let SockKind::TcpConn(c) = &s.kind {
            if let Some(e) = c.error() {
                if !s.err_taken {
                    s.err_taken = true;
                    return Some(e.into());
                }
            }
        }
        None
    }
}

impl Host {
    /// `setsockopt`. Values as in C (`int`); `SO_LINGER` as [`SockOpt`] explains.
    pub fn setsockopt(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        opt: SockOpt,
        value: i64,
    ) -> Result<(), SocketError> {
        let client_fastopen =
            self.sockets.config.fastopen & crate::tcp::fastopen::bits::CLIENT_ENABLE != 0;
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        let conn = match &mut s.kind {
            SockKind::TcpConn(c) => Some(c),
            _ => None,
        };
        match opt {
            SockOpt::NoDelay => {
                s.nodelay = bool_of(value);
                if conn.is_some() {
                    // Setting it sends what Nagle or a cork held (Linux pushes pending frames).
                    self.with_conn(io, id, |c, now, out| {
                        c.set_nodelay_at(now, bool_of(value), out)
                    })?;
                }
            }
            SockOpt::Cork => {
                s.opts.cork = bool_of(value);
                if conn.is_some() {
                    self.with_conn(io, id, |c, now, out| c.set_cork(now, bool_of(value), out))?;
                }
            }
            SockOpt::ReuseAddr => s.reuse_addr = bool_of(value),
            SockOpt::RecvBuf => {
                let v = value.clamp(0, MEM_MAX) as usize;
                s.recv_buf = Some(v);
                if let Some(c) = conn {
                    c.set_recv_buffer_size(v);
                }
            }
            SockOpt::SendBuf => {
                let v = value.clamp(0, MEM_MAX) as usize;
                s.send_buf = Some(v);
                if let Some(c) = conn {
                    c.set_send_buffer_size(v);
                }
            }
            SockOpt::KeepAlive => s.opts.keepalive = bool_of(value),
            SockOpt::Linger => {
                s.opts.linger = (value >= 0).then(|| value.min(u32::MAX as i64) as u32)
            }
            // Linux: 88 ≤ TCP_MAXSEG ≤ 32767 (TCP_MIN_MSS … MAX_TCP_WINDOW), 0 = default.
            SockOpt::MaxSeg => {
                if value != 0 && !(88..=32767).contains(&value) {
                    return Err(SocketError::InvalidArgument);
                }
                s.opts.maxseg = (value != 0).then_some(value as u16);
            }
            SockOpt::KeepIdle => {
                s.opts.keep_idle = Some(non_negative(value, MAX_KEEPIDLE)?.max(1) as u32)
            }
            SockOpt::KeepIntvl => {
                s.opts.keep_intvl = Some(non_negative(value, MAX_KEEPIDLE)?.max(1) as u32)
            }
            SockOpt::KeepCnt => {
                s.opts.keep_cnt = Some(non_negative(value, MAX_KEEPCNT)?.max(1) as u32)
            }
            SockOpt::Linger2 => {
                s.opts.linger2 = Some(value.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
            }
            SockOpt::UserTimeout => {
                s.opts.user_timeout_ms = non_negative(value, i32::MAX as i64)? as u32
            }
            SockOpt::QuickAck => {
                if conn.is_some() {
                    self.with_conn(io, id, |c, now, out| c.set_quickack(now, value, out))?;
                }
                return Ok(());
            }
            SockOpt::Error | SockOpt::Type | SockOpt::AcceptConn => {
                return Err(SocketError::NoProtoOpt)
            }
            // Linux `do_tcp_setsockopt`: only on a closed or listening socket; the queue is
            // capped at somaxconn (4096).
            SockOpt::FastOpen => {
                if value < 0 || !matches!(s.kind, SockKind::TcpFresh | SockKind::TcpListen(_)) {
                    return Err(SocketError::InvalidArgument);
                }
                s.opts.fastopen_queue = value.min(4096) as u32;
            }
            SockOpt::FastOpenConnect => {
                if !(0..=1).contains(&value) || !matches!(s.kind, SockKind::TcpFresh) {
                    return Err(SocketError::InvalidArgument);
                }
                if !client_fastopen {
                    return Err(SocketError::NotSupported);
                }
                s.opts.fastopen_connect = value == 1;
            }
            // Linux: 1 ≤ TCP_SYNCNT ≤ MAX_TCP_SYNCNT (127).
            SockOpt::SynCnt => {
                if !(1..=127).contains(&value) {
                    return Err(SocketError::InvalidArgument);
                }
                s.opts.syn_count = Some(value as u8);
            }
            SockOpt::FastOpenNoCookie => {
                if !(0..=1).contains(&value)
                    || !matches!(s.kind, SockKind::TcpFresh | SockKind::TcpListen(_))
                {
                    return Err(SocketError::InvalidArgument);
                }
                s.opts.fastopen_no_cookie = value == 1;
            }
        }
        let acts_in_connection = matches!(
            opt,
            SockOpt::KeepAlive
                | SockOpt::KeepIdle
                | SockOpt::KeepIntvl
                | SockOpt::KeepCnt
                | SockOpt::UserTimeout
                | SockOpt::SynCnt
        );
        let s = self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        if acts_in_connection && matches!(s.kind, SockKind::TcpConn(_)) {
            let opts = s.opts;
            self.with_conn(io, id, |c, now, out| opts.apply(c, now, out))?;
        }
        Ok(())
    }

    /// `getsockopt`: the value Linux would return. Reading `SO_ERROR` clears it.
    pub fn getsockopt(&mut self, id: SocketId, opt: SockOpt) -> Result<i64, SocketError> {
        let config = &self.sockets.config;
        let s = self.sockets.slots[..]
            .get_mut(id.0 as usize)
            .and_then(|s| s.as_mut())
            .ok_or(SocketError::BadDescriptor)?;
        let conn = match &s.kind {
            SockKind::TcpConn(c) => Some(c),
            _ => None,
        };
        Ok(match opt {
            SockOpt::NoDelay => s.nodelay as i64,
            SockOpt::ReuseAddr => s.reuse_addr as i64,
            // Linux stores twice what was set (sock_setsockopt), and starts from tcp_rmem[1] /
            // tcp_wmem[1] (here the host's buffer sizes).
            SockOpt::RecvBuf => match s.recv_buf {
                Some(v) => (v as i64 * 2).max(MIN_RCVBUF),
                None => config.recv_buffer_size as i64,
            },
            SockOpt::SendBuf => match s.send_buf {
                Some(v) => (v as i64 * 2).max(MIN_SNDBUF),
                None => config.send_buffer_size as i64,
            },
            SockOpt::KeepAlive => s.opts.keepalive as i64,
            SockOpt::Linger => s.opts.linger.map_or(-1, |v| v as i64),
            SockOpt::Error => Sockets::take_error(s).map_or(0, |e| e.errno() as i64),
            SockOpt::Type => match s.kind {
                SockKind::Udp { .. } => 2,
                _ => 1,
            },
            SockOpt::AcceptConn => matches!(s.kind, SockKind::TcpListen(_)) as i64,
            // Before the connection exists Linux returns the user's value or 536 (TCP_MSS_DEFAULT);
            // afterwards the current sending MSS.
            SockOpt::MaxSeg => match (conn, &s.kind) {
                (Some(c), _) if c.state() != State::SynSent => c.snd_mss() as i64,
                (_, SockKind::TcpTimeWait(t)) => t.snd_mss() as i64,
                _ => s.opts.maxseg.map_or(536, |v| v as i64),
            },
            // Linux's defaults: tcp_keepalive_time 7200 s, intvl 75 s, probes 9.
            SockOpt::KeepIdle => s.opts.keep_idle.unwrap_or(7200) as i64,
            SockOpt::KeepIntvl => s.opts.keep_intvl.unwrap_or(75) as i64,
            SockOpt::KeepCnt => s.opts.keep_cnt.unwrap_or(9) as i64,
            // tcp_fin_timeout (60 s) unless set; Linux reports it in seconds.
            SockOpt::Linger2 => s.opts.linger2.map_or(60, |v| v as i64),
            SockOpt::UserTimeout => s.opts.user_timeout_ms as i64,
            SockOpt::QuickAck => 1,
            SockOpt::Cork => s.opts.cork as i64,
            SockOpt::FastOpen => s.opts.fastopen_queue as i64,
            SockOpt::FastOpenConnect => s.opts.fastopen_connect as i64,
            SockOpt::FastOpenNoCookie => s.opts.fastopen_no_cookie as i64,
            SockOpt::SynCnt => s
                .opts
                .syn_count
                .map_or(config.syn_retries as i64, i64::from),
        })
    }

    /// `ioctl(SIOCINQ / SIOCOUTQ)`; `EINVAL` on a listener, as Linux's `tcp_ioctl`.
    pub fn ioctl(&self, id: SocketId, req: Ioctl) -> Result<i64, SocketError> {
        let s = self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        Ok(match (&s.kind, req) {
            (SockKind::TcpListen(_), _) => return Err(SocketError::InvalidArgument),
            (SockKind::TcpFresh, _) => 0,
            (SockKind::TcpConn(c), Ioctl::InQueue) => c.recv_available() as i64,
            (SockKind::TcpConn(c), Ioctl::OutQueue) => c.send_queued() as i64,
            (SockKind::TcpTimeWait(_), _) => 0,
            // udp_ioctl: the size of the next datagram's payload, not the sum.
            (SockKind::Udp { queue, .. }, Ioctl::InQueue) => {
                queue.front().map_or(0, |(_, d)| d.len() as i64)
            }
            (SockKind::Udp { .. }, Ioctl::OutQueue) => 0,
        })
    }

    /// What `poll` reports for socket `id`.
    pub fn poll(&self, id: SocketId) -> PollEvents {
        self.sockets.poll(id)
    }

    /// `O_NONBLOCK` / Python's timeout of a socket.
    pub fn set_block_mode(
        &mut self,
        id: SocketId,
        mode: crate::socket::BlockMode,
    ) -> Result<(), SocketError> {
        self.sockets
            .get_mut(id)
            .ok_or(SocketError::BadDescriptor)?
            .mode = mode;
        Ok(())
    }

    pub fn block_mode(&self, id: SocketId) -> Result<crate::socket::BlockMode, SocketError> {
        Ok(self.sockets.get(id).ok_or(SocketError::BadDescriptor)?.mode)
    }

    /// The options of socket `id` (for the connection layer and views).
    pub fn sock_opts(&self, id: SocketId) -> Option<SockOpts> {
        self.sockets.get(id).map(|s| s.opts)
    }
}
