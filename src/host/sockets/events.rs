//! What reaches sockets other than their own segments: ICMP errors about what they sent
//! (`on_transport_error`) and their timers (`run_socket_timers`).

use super::*;

impl Host {
    /// An ICMP error quoting a TCP or UDP datagram we sent arrived.
    pub(in crate::host) fn on_transport_error(
        &mut self,
        io: &mut NodeIo,
        quoted_ip: &Ipv4Repr,
        quoted: &[u8],
        error: SocketError,
    ) {
        let Some((src_port, dst_port)) = crate::decode::ports_of(quoted) else {
            return;
        };
        let local = SocketAddrV4::new(quoted_ip.src, src_port);
        let remote = SocketAddrV4::new(quoted_ip.dst, dst_port);
        match quoted_ip.protocol {
            IpProtocol::Tcp => {
                let Some(&id) = self.sockets.conns.get(&(local, remote)) else {
                    return;
                };
                let now = io.now;
                let mut out = std::mem::take(&mut self.sockets.out);
                let mut aborted = false;
                if let Some(s) = self.sockets.get_mut(id) {
                    // Hard errors while connecting end the attempt (Linux: connect() fails with
                    // EHOSTUNREACH); on an established connection they are only remembered.
                    if let SockKind::TcpConn(c) = &mut s.kind {
                        if c.state() == State::SynSent {
                            s.soft_error = Some(error);
                            let _ = c.abort(now, &mut out);
                            out.segments.clear();
                            aborted = true;
                        }
                    }
                }
                self.sockets.out = out;
                if aborted {
                    self.flush_tcp(io, local, remote);
                    self.sockets.mark_ready(id);
                }
            }
            IpProtocol::Udp => {
                if let Some(&id) = self.sockets.udp_ports.get(&src_port) {
                    if let Some(s) = self.sockets.get_mut(id) {
                        // Only a connected UDP socket hears about it (ORACLES g).
                        if let SockKind::Udp { peer: Some(p), .. } = &s.kind {
                            if *p == remote {
                                s.soft_error = Some(error);
                                self.sockets.mark_ready(id);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub(in crate::host) fn run_socket_timers(&mut self, io: &mut NodeIo) {
        let now = io.now;
        while let Some(&Reverse((t, i))) = self.sockets.timers.peek() {
            if t > now {
                break;
            }
            self.sockets.timers.pop();
            if self.sockets.scheduled.get(i as usize) != Some(&Some(t)) {
                continue;
            }
            self.sockets.scheduled[i as usize] = None;
            let id = SocketId(i);
            let mut out = std::mem::take(&mut self.sockets.out);
            let addrs = match self.sockets.slots[i as usize].as_mut().map(|s| &mut s.kind) {
                Some(SockKind::TcpConn(c)) => {
                    c.on_timer(now, &mut out);
                    Some((c.local(), c.remote()))
                }
                Some(SockKind::TcpTimeWait(t)) => {
                    t.on_timer(now, &mut out);
                    Some((t.local(), t.remote()))
                }
                Some(SockKind::TcpListen(l)) => {
                    // One queued connection at a time, so each one's events carry its own
                    // addresses (a listener's timers are its half-open connections' timers).
                    let due: Vec<(Ipv4Addr, SocketAddrV4, SocketAddrV4)> = l
                        .listeners
                        .iter()
                        .flat_map(|(ip, x)| x.due(now).into_iter().map(|r| (*ip, x.local(), r)))
                        .collect();
                    self.sockets.out = out;
                    for (ip, local, remote) in due {
                        let mut out = std::mem::take(&mut self.sockets.out);
                        if let Some(SockKind::TcpListen(l)) =
                            self.sockets.slots[i as usize].as_mut().map(|s| &mut s.kind)
                        {
                            if let Some(x) = l.listeners.get_mut(&ip) {
                                x.on_timer_for(now, remote, &mut out);
                            }
                        }
                        self.sockets.out = out;
                        self.flush_tcp(io, local, remote);
                    }
                    out = std::mem::take(&mut self.sockets.out);
                    None
                }
                _ => None,
            };
            self.sockets.out = out;
            if let Some((local, remote)) = addrs {
                self.flush_tcp(io, local, remote);
            }
            self.sockets.rearm(id);
            self.sockets.mark_ready(id);
            self.reap(id);
        }
    }
}
