//! [`SockCx`]: the host's implementation of [`SocketApi`], the one socket interface every
//! application kind uses, and of [`AppCx`], the rest of what an application asks of its host.

use crate::apps::AppCx;
use crate::dns::{Lookup, Resolved};
use crate::host::Host;
use crate::node::NodeIo;
use crate::socket::{
    BlockMode, Ioctl, PollEvents, Shutdown, SockAddr, SockOpt, SockType, SocketApi, SocketError,
    SocketId,
};
use crate::tcp::State;
use crate::time::Instant;
use crate::trace::TraceEvent;

use super::SockKind;

/// A host's sockets as one application sees them while it runs: the host, the I/O of the
/// current event (segments go out now), and the application that owns new sockets (it is
/// polled when one of them becomes ready).
pub struct SockCx<'a, 'b> {
    pub host: &'a mut Host,
    pub io: &'a mut NodeIo<'b>,
    pub app: u16,
}

impl<'a, 'b> SockCx<'a, 'b> {
    pub fn new(host: &'a mut Host, io: &'a mut NodeIo<'b>, app: u16) -> Self {
        SockCx { host, io, app }
    }
}

impl AppCx for SockCx<'_, '_> {
    fn tracing(&self) -> bool {
        self.io.tracing()
    }

    fn log_line(&mut self, text: String) {
        self.io.trace(TraceEvent::AppLog {
            app: self.app,
            text,
        });
    }

    fn resolve(&mut self, q: &Lookup) -> Option<Option<Resolved>> {
        self.host.resolve(self.io, self.app, q)
    }

    fn new_socket(&mut self, ty: SockType) -> SocketId {
        self.host.socket(ty, self.app as u32)
    }
}

impl SocketApi for SockCx<'_, '_> {
    fn now(&self) -> Instant {
        self.io.now
    }

    fn socket(&mut self, ty: SockType) -> Result<SocketId, SocketError> {
        Ok(self.host.socket(ty, self.app as u32))
    }

    fn bind(&mut self, fd: SocketId, addr: SockAddr) -> Result<(), SocketError> {
        self.host.bind(fd, addr)
    }

    fn listen(&mut self, fd: SocketId, backlog: usize) -> Result<(), SocketError> {
        self.host.listen(fd, backlog)
    }

    fn accept(&mut self, fd: SocketId) -> Result<(SocketId, SockAddr), SocketError> {
        self.host.accept(fd)
    }

    /// Linux's `inet_stream_connect` on a non-blocking socket.
    fn connect(&mut self, fd: SocketId, to: SockAddr) -> Result<(), SocketError> {
        let s = self
            .host
            .sockets
            .get_mut(fd)
            .ok_or(SocketError::BadDescriptor)?;
        match &s.kind {
            SockKind::TcpFresh => {
                self.host.connect(self.io, fd, to)?;
                // The SYN is out; connect(2) on loopback too answers EINPROGRESS, the
                // handshake finishing in the same instant.
                Err(SocketError::InProgress)
            }
            SockKind::TcpListen(_) => Err(SocketError::AlreadyConnected),
            SockKind::TcpConn(c) => {
                let state = c.state();
                let failed_connect = state == State::Closed && !c.syn_acked();
                // A failed handshake reports its error once (sock_error clears it).
                if let Some(e) = super::Sockets::take_error(s) {
                    return Err(e);
                }
                match state {
                    State::SynSent | State::SynReceived => Err(SocketError::Already),
                    // After that, a socket whose connect failed connects anew, as Linux's in
                    // TCP_CLOSE; one that was connected stays so (tests/packetdrill/
                    // connect-again.pkt, measured on Linux 6.18).
                    State::Closed if failed_connect => {
                        self.host.connect(self.io, fd, to)?;
                        Err(SocketError::InProgress)
                    }
                    _ => Err(SocketError::AlreadyConnected),
                }
            }
            SockKind::TcpTimeWait(t) => {
                let closed = t.state() == State::Closed;
                if let Some(e) = super::Sockets::take_error(s) {
                    return Err(e);
                }
                if closed {
                    Err(SocketError::ConnectionAborted)
                } else {
                    Err(SocketError::AlreadyConnected)
                }
            }
            SockKind::Udp { .. } => self.host.connect(self.io, fd, to),
        }
    }

    fn send(&mut self, fd: SocketId, data: &[u8]) -> Result<usize, SocketError> {
        self.host.send(self.io, fd, data)
    }

    fn recv(&mut self, fd: SocketId, max: usize) -> Result<Vec<u8>, SocketError> {
        self.host.recv(self.io, fd, max)
    }

    fn recv_into(&mut self, fd: SocketId, buf: &mut [u8]) -> Result<usize, SocketError> {
        self.host.recv_into(self.io, fd, buf)
    }

    fn sendto(&mut self, fd: SocketId, data: &[u8], to: SockAddr) -> Result<usize, SocketError> {
        self.host.sendto(self.io, fd, data, to)
    }

    fn recvfrom(&mut self, fd: SocketId, max: usize) -> Result<(Vec<u8>, SockAddr), SocketError> {
        self.host.recvfrom(fd, max)
    }

    fn shutdown(&mut self, fd: SocketId, how: Shutdown) -> Result<(), SocketError> {
        self.host.shutdown(self.io, fd, how)
    }

    fn close(&mut self, fd: SocketId) -> Result<(), SocketError> {
        self.host.close(self.io, fd)
    }

    fn setsockopt(&mut self, fd: SocketId, opt: SockOpt, value: i64) -> Result<(), SocketError> {
        self.host.setsockopt(self.io, fd, opt, value)
    }

    fn getsockopt(&mut self, fd: SocketId, opt: SockOpt) -> Result<i64, SocketError> {
        self.host.getsockopt(fd, opt)
    }

    fn getsockname(&self, fd: SocketId) -> Result<SockAddr, SocketError> {
        self.host.getsockname(fd)
    }

    fn getpeername(&self, fd: SocketId) -> Result<SockAddr, SocketError> {
        self.host.getpeername(fd)
    }

    fn ioctl(&mut self, fd: SocketId, req: Ioctl) -> Result<i64, SocketError> {
        self.host.ioctl(fd, req)
    }

    fn poll(&self, fd: SocketId) -> PollEvents {
        self.host.poll(fd)
    }

    fn set_block_mode(&mut self, fd: SocketId, mode: BlockMode) -> Result<(), SocketError> {
        self.host.set_block_mode(fd, mode)
    }

    fn block_mode(&self, fd: SocketId) -> Result<BlockMode, SocketError> {
        self.host.block_mode(fd)
    }
}
