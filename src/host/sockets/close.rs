//! Ending a socket: `shutdown`, `close` (a connection goes on closing in the TCP core, a listener
//! resets what waits in its queues) and `abort` (RST, as `SO_LINGER` with a zero timeout).

use super::*;

impl Host {
    /// Aborts a TCP connection (RST) and releases the socket: an application that vanishes.
    pub fn abort(&mut self, io: &mut NodeIo, id: SocketId) -> Result<(), SocketError> {
        if self.time_wait(id).is_some() {
            self.abort_time_wait(io, id);
            return Ok(());
        }
        let _ = self.with_conn(io, id, |c, now, out| c.abort(now, out))?;
        if let Some(s) = self.sockets.get_mut(id) {
            s.owner = None;
        }
        self.reap(id);
        Ok(())
    }

    /// Ends a [`TimeWait`] at once (ABORT: no RST in TIME_WAIT).
    pub(super) fn abort_time_wait(&mut self, io: &mut NodeIo, id: SocketId) {
        let mut out = std::mem::take(&mut self.sockets.out);
        let addrs = match self.sockets.get_mut(id).map(|s| &mut s.kind) {
            Some(SockKind::TcpTimeWait(t)) => {
                t.abort(&mut out);
                Some((t.local(), t.remote()))
            }
            _ => None,
        };
        self.sockets.out = out;
        if let Some((local, remote)) = addrs {
            self.flush_tcp(io, local, remote);
            self.sockets.rearm(id);
            self.reap(id);
        }
    }

    /// `shutdown(how)`.
    pub fn shutdown(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        how: Shutdown,
    ) -> Result<(), SocketError> {
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            if let Some(s) = self.sockets.get_mut(id) {
                s.read_shut = true;
            }
        }
        if matches!(how, Shutdown::Write | Shutdown::Both)
            && self.sock_type(id)? == SockType::Stream
        {
            let r = self.with_conn(io, id, |c, now, out| c.shutdown_write(now, out))?;
            r.map_err(|_| SocketError::NotConnected)?;
        }
        Ok(())
    }

    /// `close()`. A TCP connection goes on closing without its application (FIN, and TIME_WAIT
    /// on the side that closed first); unread data turns the FIN into a RST (RFC 2525 §2.17).
    pub fn close(&mut self, io: &mut NodeIo, id: SocketId) -> Result<(), SocketError> {
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        s.owner = None;
        let local = s.local;
        // SO_LINGER on with a zero timeout: close() aborts the connection with a RST and skips
        // TIME_WAIT (Linux's tcp_close: "data was lost, or lingering with zero timeout").
        let linger_zero = s.opts.linger == Some(0);
        // TCP_LINGER2 > 0: this orphan's FIN_WAIT_2 timeout (0 keeps tcp_fin_timeout;
        // Linux's negative value, "no FIN_WAIT_2 at all", is not modelled).
        let linger2 = s.opts.linger2.filter(|v| *v > 0);
        match &mut s.kind {
            SockKind::TcpConn(_) => {
                if linger_zero {
                    let _ = self.with_conn(io, id, |c, now, out| c.abort(now, out));
                } else {
                    let _ = self.with_conn(io, id, |c, now, out| {
                        if let Some(v) = linger2 {
                            c.set_fin_timeout(crate::time::Duration::from_secs(v as u64));
                        }
                        c.close(now, out)
                    });
                }
                self.reap(id);
            }
            // Closed already: as a second close of a connection in TIME_WAIT, nothing, unless
            // SO_LINGER 0 makes it an abort.
            SockKind::TcpTimeWait(_) => {
                if linger_zero {
                    self.abort_time_wait(io, id);
                }
            }
            SockKind::TcpListen(l) => {
                let now = io.now;
                let port = l.port;
                let mut listeners = std::mem::take(&mut l.listeners);
                let mut out = std::mem::take(&mut self.sockets.out);
                for x in listeners.values_mut() {
                    x.close(now, &mut out);
                }
                self.sockets.out = out;
                let here = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port);
                self.flush_tcp(io, here, here);
                self.sockets.listening.remove(&port);
                self.free_slot(id);
            }
            SockKind::Udp { .. } => {
                if let Some(l) = local {
                    if self.sockets.udp_ports.get(&l.port()) == Some(&id) {
                        self.sockets.udp_ports.remove(&l.port());
                    }
                }
                self.free_slot(id);
            }
            SockKind::TcpFresh => self.free_slot(id),
        }
        Ok(())
    }

    pub(super) fn free_slot(&mut self, id: SocketId) {
        self.sockets.remove(id.0);
    }
}
