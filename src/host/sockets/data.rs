//! The data calls: `send` and `recv` on a connection, `sendto` and `recvfrom` on a UDP socket.

use super::*;

impl Host {
    /// `send(data)`: how many bytes the send buffer took (0 would block).
    pub fn send(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        data: &[u8],
    ) -> Result<usize, SocketError> {
        self.send_with_flags(io, id, data, tcp::SendFlags::default())
    }

    /// `send` with `MSG_MORE`/`MSG_EOR` (TCP only; a datagram ignores them).
    pub fn send_with_flags(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        data: &[u8],
        flags: tcp::SendFlags,
    ) -> Result<usize, SocketError> {
        if let Some(e) = self.sockets.get(id).and_then(|s| s.soft_error) {
            return Err(e);
        }
        if self.sock_type(id)? == SockType::Dgram {
            let peer = match &self.sockets.get(id).ok_or(SocketError::BadDescriptor)?.kind {
                SockKind::Udp { peer, .. } => *peer,
                _ => None,
            };
            let peer = peer.ok_or(SocketError::NotConnected)?;
            return self.sendto(io, id, data, peer);
        }
        if self.time_wait(id).is_some() {
            // Our FIN went long ago.
            return Err(SocketError::BrokenPipe);
        }
        if let Some(remote) = self.fastopen_deferred(id) {
            // TCP_FASTOPEN_CONNECT: the first write opens the connection with its data.
            return match self.send_fast_open(io, id, remote, data)?.on_syn {
                0 => Err(SocketError::InProgress),
                n => Ok(n),
            };
        }
        // Linux's `tcp_sendmsg` waits for the handshake (`sk_stream_wait_connect`): nothing
        // is queued before it completes, except by a Fast Open child, which may send at once.
        if let Some(c) = self.tcp_connection(id) {
            let waiting = match c.state() {
                State::SynSent => c.error().is_none(),
                State::SynReceived => !c.may_send_before_established(),
                _ => false,
            };
            if waiting && !data.is_empty() {
                return Err(SocketError::WouldBlock);
            }
        }
        let r = self.with_conn(io, id, |c, now, out| {
            c.send_with_flags(now, data, flags, out)
        })?;
        r.map_err(|e| match e {
            tcp::SendError::WouldBlock => SocketError::WouldBlock,
            tcp::SendError::NotConnected => SocketError::NotConnected,
            tcp::SendError::WriteShutdown => SocketError::BrokenPipe,
            tcp::SendError::Failed(e) => e.into(),
        })
    }

    /// `recv(max)`: data, empty on an orderly close, or `WouldBlock`.
    pub fn recv(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        max: usize,
    ) -> Result<Vec<u8>, SocketError> {
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        if let Some(e) = s.soft_error.take() {
            return Err(e);
        }
        // After shutdown(SHUT_RD) Linux still hands out what is queued, data arriving later
        // included, and answers 0 (end of file) instead of blocking when nothing is there
        // (measured: docs/linux-observations.md).
        let read_shut = s.read_shut;
        if let SockKind::Udp { queue, .. } = &mut s.kind {
            return match queue.pop_front() {
                Some((_, mut data)) => {
                    // A datagram is read whole or cut; the rest is lost (message boundaries).
                    data.truncate(max);
                    Ok(data)
                }
                None => Err(SocketError::WouldBlock),
            };
        }
        if self.time_wait(id).is_some() {
            // The peer's FIN: the end of the stream.
            return Ok(Vec::new());
        }
        let r = self.with_conn(io, id, |c, now, out| c.recv(now, max, out))?;
        r.or_else(|e| match e {
            tcp::RecvError::WouldBlock if read_shut => Ok(Vec::new()),
            e => Err(e),
        })
        .map_err(|e| match e {
            tcp::RecvError::WouldBlock => SocketError::WouldBlock,
            tcp::RecvError::NotConnected => SocketError::NotConnected,
            tcp::RecvError::Failed(e) => e.into(),
        })
    }

    /// `recv` into a caller's buffer (no allocation): bytes read, 0 on an orderly close.
    pub fn recv_into(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        buf: &mut [u8],
    ) -> Result<usize, SocketError> {
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        if let Some(e) = s.soft_error.take() {
            return Err(e);
        }
        let read_shut = s.read_shut;
        if self.time_wait(id).is_some() {
            return Ok(0);
        }
        let r = self.with_conn(io, id, |c, now, out| c.recv_slice(now, buf, out))?;
        r.or_else(|e| match e {
            tcp::RecvError::WouldBlock if read_shut => Ok(0),
            e => Err(e),
        })
        .map_err(|e| match e {
            tcp::RecvError::WouldBlock => SocketError::WouldBlock,
            tcp::RecvError::NotConnected => SocketError::NotConnected,
            tcp::RecvError::Failed(e) => e.into(),
        })
    }

    /// `sendto(data, (ip, port))` on a UDP socket: one datagram, boundaries kept.
    pub fn sendto(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        data: &[u8],
        to: SocketAddrV4,
    ) -> Result<usize, SocketError> {
        if self.sock_type(id)? != SockType::Dgram {
            return Err(SocketError::NotSupported);
        }
        if data.len() > 65507 {
            return Err(SocketError::MessageTooLong);
        }
        let bound = self.sockets.get(id).and_then(|s| s.local);
        let port = match bound {
            Some(l) => l.port(),
            None => {
                self.bind(id, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
                self.sockets
                    .get(id)
                    .and_then(|s| s.local)
                    .map_or(0, |l| l.port())
            }
        };
        let src = match bound {
            Some(l) if !l.ip().is_unspecified() => *l.ip(),
            _ if to.ip().is_broadcast() => {
                self.primary_addr().ok_or(SocketError::NetworkUnreachable)?
            }
            _ => self.source_for(*to.ip()).or_else(|e| {
                // A directed broadcast of one of our subnets is routed like a neighbour.
                self.interfaces
                    .iter()
                    .filter_map(|i| i.addr)
                    .find(|c| c.broadcast() == Some(*to.ip()))
                    .map(|c| c.addr())
                    .ok_or(e)
            })?,
        };
        let udp = UdpRepr {
            src_port: port,
            dst_port: to.port(),
            payload: data,
        };
        let bytes = udp.to_bytes(src, *to.ip());
        let repr = Ipv4Repr::new(src, *to.ip(), IpProtocol::Udp, bytes.len());
        self.counters.udp_tx += 1;
        match self.send_ip(io, repr, &bytes, DfPolicy::Want) {
            Ok(()) => Ok(data.len()),
            Err(IpDrop::NoRoute) => Err(SocketError::NetworkUnreachable),
            Err(IpDrop::FragNeeded { .. }) => Err(SocketError::MessageTooLong),
            Err(_) => Ok(data.len()),
        }
    }

    /// `recvfrom(max)` on a UDP socket: one datagram and its sender.
    pub fn recvfrom(
        &mut self,
        id: SocketId,
        max: usize,
    ) -> Result<(Vec<u8>, SocketAddrV4), SocketError> {
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        if let Some(e) = s.soft_error.take() {
            return Err(e);
        }
        let SockKind::Udp { queue, .. } = &mut s.kind else {
            return Err(SocketError::NotSupported);
        };
        match queue.pop_front() {
            Some((from, mut data)) => {
                data.truncate(max);
                Ok((data, from))
            }
            None => Err(SocketError::WouldBlock),
        }
    }
}
