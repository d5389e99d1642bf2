//! TCP Fast Open at the socket layer: the client's `sendto(MSG_FASTOPEN)` and
//! `TCP_FASTOPEN_CONNECT`, its per-server cache, and the keys of the listeners' cookies.

use super::{SockKind, Sockets};
use crate::host::Host;
use crate::node::NodeIo;
use crate::socket::{SockType, SocketError, SocketId};
use crate::tcp::fastopen::{bits, FastOpenOption};
use crate::tcp::{Connection, FastOpenSyn, TcpConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::net::SocketAddrV4;

/// What a Fast Open `sendto` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastOpenSend {
    /// Bytes the SYN carries; the rest of the call's data waits for the handshake.
    pub on_syn: usize,
}

/// The key a host draws at boot, as Linux draws a random one: from the host's seed on a
/// stream of its own, so no other random number of the run moves. Drawn once, when the host
/// is made: every segment to a listener reads it.
pub(super) fn boot_fastopen_key(rng: &ChaCha8Rng) -> [u8; 16] {
    let mut rng = ChaCha8Rng::from_seed(rng.get_seed());
    rng.set_stream(0x7466_6f6b_6579); // "tfokey"
    let mut key = [0u8; 16];
    rng.fill_bytes(&mut key);
    key
}

impl Sockets {
    /// The key of the host's Fast Open cookies: `tcp_fastopen_key`, or the one drawn at boot
    /// (`boot_fastopen_key`).
    pub(super) fn fastopen_host_key(&self) -> [u8; 16] {
        self.config.fastopen_key.unwrap_or(self.boot_fastopen_key)
    }

    /// A listener's Fast Open settings: its socket options and key over the host's.
    pub(super) fn fastopen_listener_config(&self, id: SocketId, config: &mut TcpConfig) {
        let Some(s) = self.get(id) else {
            return;
        };
        config.fastopen_queue = s.opts.fastopen_queue as usize;
        config.fastopen_no_cookie = s.opts.fastopen_no_cookie;
        config.fastopen_key = Some(
            self.fastopen_keys
                .get(&id.0)
                .copied()
                .unwrap_or_else(|| self.fastopen_host_key()),
        );
    }

    /// How a client's SYN to `server` uses Fast Open (Linux `tcp_fastopen_cookie_check`):
    /// with the cached cookie and data, without a cookie where none is needed, or asking for
    /// one (in the format the cache says the server answers).
    fn fastopen_syn(&self, server: std::net::Ipv4Addr, no_cookie: bool) -> FastOpenSyn {
        let cached = self.fastopen_cache.get(server);
        if self.config.fastopen & bits::CLIENT_NO_COOKIE != 0 || no_cookie {
            return FastOpenSyn {
                option: None,
                with_data: true,
                cached_mss: cached.mss,
            };
        }
        match cached.cookie {
            Some(c) => FastOpenSyn {
                option: Some(c),
                with_data: true,
                cached_mss: cached.mss,
            },
            None => FastOpenSyn {
                option: Some(FastOpenOption::request(cached.try_exp == 1)),
                with_data: false,
                cached_mss: cached.mss,
            },
        }
    }
}

impl Host {
    /// `sendto(data, MSG_FASTOPEN, remote)` on a TCP socket that is not connected (RFC 7413
    /// §4.2, Linux `tcp_sendmsg_fastopen`): connects with the cookie and as much of `data` as
    /// the SYN holds, or asks for a cookie on a plain SYN. The rest of `data` is the caller's
    /// to send once the connection is up (a blocking call waits for it, a non-blocking one
    /// returns what the SYN took, or `EINPROGRESS` when that is nothing).
    pub fn send_fast_open(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        remote: SocketAddrV4,
        data: &[u8],
    ) -> Result<FastOpenSend, SocketError> {
        self.open_fast_open(io, id, remote, data, false)
    }

    /// [`Host::send_fast_open`] with a buffer that cannot be read (a NULL pointer): when the
    /// SYN would have carried data, Linux's `tcp_send_syn_data` falls back to a SYN asking for
    /// a cookie, with no data, and the call answers EINPROGRESS (measured on Linux 6.18 with
    /// upstream packetdrill: tests/packetdrill/fastopen-client-nonblocking.pkt).
    pub fn send_fast_open_unreadable(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        remote: SocketAddrV4,
    ) -> Result<FastOpenSend, SocketError> {
        self.open_fast_open(io, id, remote, &[], true)
    }

    fn open_fast_open(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        remote: SocketAddrV4,
        data: &[u8],
        unreadable: bool,
    ) -> Result<FastOpenSend, SocketError> {
        if self.sock_type(id)? != SockType::Stream {
            return Err(SocketError::NotSupported);
        }
        if self.sockets.config.fastopen & bits::CLIENT_ENABLE == 0 {
            return Err(SocketError::NotSupported);
        }
        self.sockets.fastopen_deferred.remove(&id.0);
        // Linux `__inet_stream_connect`: a connection under way is EALREADY, one that is up
        // EISCONN.
        match &self.sockets.get(id).ok_or(SocketError::BadDescriptor)?.kind {
            SockKind::TcpFresh => {}
            SockKind::TcpConn(c) if c.state() == crate::tcp::State::SynSent => {
                return Err(SocketError::Already)
            }
            SockKind::TcpConn(_) | SockKind::TcpTimeWait(_) => {
                return Err(SocketError::AlreadyConnected)
            }
            _ => return Err(SocketError::InvalidArgument),
        }
        let local = self.connect_local(id, SockType::Stream, remote)?;
        let (isn, config) = self.tcp_connect_config(id, local, remote)?;
        let mut syn = self
            .sockets
            .fastopen_syn(*remote.ip(), config.fastopen_no_cookie);
        if unreadable && syn.with_data {
            syn.with_data = false;
            syn.option = syn.option.map(|o| FastOpenOption::request(o.exp));
        }
        let mut out = std::mem::take(&mut self.sockets.out);
        let opened =
            Connection::connect_fast_open(io.now, local, remote, isn, &config, syn, data, &mut out);
        self.sockets.out = out;
        let (conn, on_syn) = opened.map_err(|_| SocketError::InvalidArgument)?;
        self.install_connection(io, id, conn);
        Ok(FastOpenSend { on_syn })
    }

    /// `connect` with `TCP_FASTOPEN_CONNECT` (Linux `tcp_fastopen_defer_connect`): with a
    /// cookie for the server (or none needed) nothing is sent and `connect` succeeds at once,
    /// the first write sending the SYN with its data; without one the SYN asks for a cookie
    /// and the connect goes on as usual.
    pub(super) fn connect_fast_open(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        remote: SocketAddrV4,
    ) -> Result<(), SocketError> {
        if self.sockets.fastopen_deferred.contains_key(&id.0) {
            return Err(SocketError::AlreadyConnected);
        }
        let no_cookie = self
            .sockets
            .get(id)
            .is_some_and(|s| s.opts.fastopen_no_cookie);
        if self.sockets.fastopen_syn(*remote.ip(), no_cookie).with_data {
            self.sockets.fastopen_deferred.insert(id.0, remote);
            return Ok(());
        }
        self.send_fast_open(io, id, remote, &[]).map(|_| ())
    }

    /// Where a `TCP_FASTOPEN_CONNECT` socket whose connect was deferred will connect.
    pub fn fastopen_deferred(&self, id: SocketId) -> Option<SocketAddrV4> {
        self.sockets.fastopen_deferred.get(&id.0).copied()
    }

    /// `setsockopt(TCP_FASTOPEN_KEY)`: the key of this listener's cookies, 16 bytes (a second
    /// 16, Linux's backup key, is accepted and not used).
    pub fn set_fastopen_key(&mut self, id: SocketId, key: &[u8]) -> Result<(), SocketError> {
        self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        let primary: [u8; 16] = match key.len() {
            16 | 32 => key[..16].try_into().expect("16 bytes"),
            _ => return Err(SocketError::InvalidArgument),
        };
        self.sockets.fastopen_keys.insert(id.0, primary);
        Ok(())
    }

    /// After a segment reached connection `id`: a SYN-ACK's lesson for the Fast Open cache.
    pub(super) fn note_fastopen(&mut self, id: SocketId) {
        let report = match self.sockets.get_mut(id).map(|s| &mut s.kind) {
            Some(SockKind::TcpConn(c)) => c.take_fastopen_report(),
            _ => None,
        };
        if let Some(r) = report {
            self.sockets
                .fastopen_cache
                .update(r.server, r.mss, r.cookie, r.try_exp);
        }
    }

    /// A blocking writer waits (or stops waiting) for connection `id`'s handshake.
    pub fn set_write_pending(&mut self, id: SocketId, on: bool) {
        if let Some(SockKind::TcpConn(c)) = self.sockets.get_mut(id).map(|s| &mut s.kind) {
            c.set_write_pending(on);
        }
    }

    /// `ip tcp_metrics flush`: the client forgets every server's cookie and MSS.
    pub fn flush_fastopen_cache(&mut self) {
        self.sockets.fastopen_cache.clear();
    }
}
