//! Opening connections: `connect`, the local address and settings a connection starts with,
//! and putting it into the tables.

use super::*;

impl Host {
    /// The source address for a datagram to `dst`: loopback for ourselves, else the outgoing
    /// interface's address.
    pub(super) fn source_for(&self, dst: Ipv4Addr) -> Result<Ipv4Addr, SocketError> {
        if dst.is_loopback() {
            return Ok(Ipv4Addr::LOCALHOST);
        }
        if self.is_local_addr(dst) {
            return Ok(dst);
        }
        let route = self
            .routes
            .lookup(dst)
            .ok_or(SocketError::NetworkUnreachable)?;
        self.interfaces
            .get(route.iface)
            .and_then(|i| i.addr)
            .map(|c| c.addr())
            .ok_or(SocketError::NetworkUnreachable)
    }

    /// `connect((ip, port))`. For TCP it starts the handshake and returns at once; wait for
    /// [`Readiness::connected`], then [`Host::connect_result`] says how it went.
    pub fn connect(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        remote: SocketAddrV4,
    ) -> Result<(), SocketError> {
        let ty = self.sock_type(id)?;
        self.reopen_failed(id);
        // A TCP socket with a connection (under way, up, closing) or listening cannot connect
        // again: EISCONN before any address is looked at (Linux __inet_stream_connect).
        if matches!(
            self.sockets.get(id).map(|s| &s.kind),
            Some(SockKind::TcpConn(_) | SockKind::TcpTimeWait(_) | SockKind::TcpListen(_))
        ) {
            return Err(SocketError::AlreadyConnected);
        }
        let local = self.connect_local(id, ty, remote)?;
        if ty == SockType::Dgram {
            let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
            s.local = Some(local);
            if let SockKind::Udp { peer, .. } = &mut s.kind {
                *peer = Some(remote);
            }
            return Ok(());
        }
        if self
            .sockets
            .get(id)
            .is_some_and(|s| s.opts.fastopen_connect)
        {
            return self.connect_fast_open(io, id, remote);
        }
        let (isn, config) = self.tcp_connect_config(id, local, remote)?;
        let mut out = std::mem::take(&mut self.sockets.out);
        let conn = Connection::connect(io.now, local, remote, isn, &config, &mut out);
        self.sockets.out = out;
        let conn = conn.map_err(|_| SocketError::InvalidArgument)?;
        self.install_connection(io, id, conn);
        Ok(())
    }

    /// A socket whose connect failed (CLOSED before the handshake: refused, timed out) is a fresh one again
    /// for the next `connect`, as Linux's socket in TCP_CLOSE connects anew: out of the
    /// connection table, and its port given back unless `bind` chose it (`tcp_set_state` →
    /// `inet_put_port` without `SOCK_BINDPORT_LOCK`).
    fn reopen_failed(&mut self, id: SocketId) {
        let Some(s) = self.sockets.get_mut(id) else {
            return;
        };
        let SockKind::TcpConn(c) = &s.kind else {
            return;
        };
        // Only a connect that failed: a socket that was connected stays so for connect()
        // (Linux's `sock->state` remains SS_CONNECTED after a reset: EISCONN).
        if c.state() != State::Closed || c.syn_acked() {
            return;
        }
        let key = (c.local(), c.remote());
        let held = Sockets::tcp_port(s);
        s.kind = SockKind::TcpFresh;
        s.soft_error = None;
        s.err_taken = false;
        s.read_shut = false;
        if !s.port_locked {
            s.local = None;
            self.sockets.release_port(held);
        }
        if self.sockets.conns.get(&key) == Some(&id) {
            self.sockets.conns.remove(&key);
        }
        self.sockets.scheduled[id.0 as usize] = None;
    }

    /// The local address a `connect` to `remote` uses: the bound one, with the source address
    /// filled in, or an ephemeral port.
    pub(super) fn connect_local(
        &mut self,
        id: SocketId,
        ty: SockType,
        remote: SocketAddrV4,
    ) -> Result<SocketAddrV4, SocketError> {
        let src = self.source_for(*remote.ip())?;
        let bound = self
            .sockets
            .get(id)
            .ok_or(SocketError::BadDescriptor)?
            .local;
        Ok(match bound {
            Some(l) => SocketAddrV4::new(
                if l.ip().is_unspecified() {
                    src
                } else {
                    *l.ip()
                },
                l.port(),
            ),
            None => {
                let port = self
                    .sockets
                    .ephemeral_port(ty)
                    .ok_or(SocketError::AddrNotAvailable)?;
                if ty == SockType::Dgram {
                    self.sockets.udp_ports.insert(port, id);
                }
                SocketAddrV4::new(src, port)
            }
        })
    }

    /// The ISN and settings of a connection socket `id` opens: the host's, with the socket's
    /// options.
    pub(super) fn tcp_connect_config(
        &mut self,
        id: SocketId,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<(SeqNumber, TcpConfig), SocketError> {
        if self.sockets.conns.contains_key(&(local, remote)) {
            return Err(SocketError::AddrInUse);
        }
        let isn = self.sockets.isn();
        let mut config = self.sockets.config.clone();
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        match s.kind {
            SockKind::TcpFresh => {}
            SockKind::TcpConn(_) | SockKind::TcpTimeWait(_) => {
                return Err(SocketError::AlreadyConnected)
            }
            _ => return Err(SocketError::InvalidArgument),
        }
        if let Some(b) = s.recv_buf {
            config.recv_buffer_size = b;
            config.recv_buffer_locked = true;
        }
        if let Some(b) = s.send_buf {
            config.send_buffer_size = b;
        }
        // TCP_MAXSEG before connect: the SYN offers it and segments never exceed it (Linux
        // `tp->rx_opt.user_mss`; packetdrill's mss-setsockopt-tcp_maxseg-client.pkt).
        if let Some(m) = s.opts.maxseg {
            config.mss = config.mss.min(m);
        }
        config.keepalive = s.opts.keepalive();
        config.user_timeout = s.opts.user_timeout();
        config.fastopen_no_cookie = s.opts.fastopen_no_cookie;
        if let Some(n) = s.opts.syn_count {
            config.syn_retries = u32::from(n);
        }
        Ok((isn, config))
    }

    /// Puts a connection socket `id` opened into its slot and the tables, and sends what it
    /// sent.
    pub(super) fn install_connection(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        mut conn: Connection,
    ) {
        let (local, remote) = (conn.local(), conn.remote());
        let Some(s) = self.sockets.get_mut(id) else {
            return;
        };
        conn.set_nodelay(s.nodelay);
        conn.inherit_cork(s.opts.cork);
        let held = Sockets::tcp_port(s);
        s.local = Some(local);
        s.kind = SockKind::TcpConn(Box::new(conn));
        self.sockets.release_port(held);
        self.sockets.hold_port(Some(local.port()));
        self.sockets.conns.insert((local, remote), id);
        self.flush_tcp(io, local, remote);
        self.sockets.rearm(id);
    }

    /// After [`Readiness::connected`]: whether the handshake succeeded.
    pub fn connect_result(&self, id: SocketId) -> Result<(), SocketError> {
        let s = self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        if let Some(e) = s.soft_error {
            return Err(e);
        }
        match &s.kind {
            SockKind::TcpConn(c) => match c.error() {
                Some(e) => Err(e.into()),
                None if c.state() == State::Closed => Err(SocketError::ConnectionRefused),
                None => Ok(()),
            },
            SockKind::TcpTimeWait(t) if t.state() == State::Closed => {
                Err(SocketError::ConnectionRefused)
            }
            SockKind::TcpTimeWait(_) => Ok(()),
            SockKind::Udp { .. } => Ok(()),
            _ => Err(SocketError::NotConnected),
        }
    }
}
