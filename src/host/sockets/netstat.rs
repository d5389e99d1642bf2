//! The socket table as `netstat -tan` shows it, and counts of connections by state (the
//! `tcp_*` counters).

use super::*;

impl Sockets {
    /// Every TCP connection and listener, for a `netstat`-like view:
    /// `(local, remote or None, state, recv queue, send queue)`.
    pub fn netstat(
        &self,
    ) -> Vec<(
        String,
        SocketAddrV4,
        Option<SocketAddrV4>,
        String,
        usize,
        usize,
    )> {
        let mut rows = Vec::new();
        for s in self.slots.iter().flatten() {
            match &s.kind {
                SockKind::TcpConn(c) => rows.push((
                    "tcp".into(),
                    c.local(),
                    Some(c.remote()),
                    c.state().to_string(),
                    c.recv_available(),
                    c.send_queued(),
                )),
                SockKind::TcpTimeWait(t) => rows.push((
                    "tcp".into(),
                    t.local(),
                    Some(t.remote()),
                    t.state().to_string(),
                    0,
                    0,
                )),
                SockKind::TcpListen(l) => {
                    let queued: usize = l.listeners.values().map(|x| x.accept_queue_len()).sum();
                    let half: usize = l.listeners.values().map(|x| x.syn_queue_len()).sum();
                    rows.push((
                        "tcp".into(),
                        SocketAddrV4::new(l.ip, l.port),
                        None,
                        "LISTEN".into(),
                        queued,
                        half,
                    ));
                }
                SockKind::Udp { peer, queue } => {
                    if let Some(local) = s.local {
                        rows.push(("udp".into(), local, *peer, String::new(), queue.len(), 0));
                    }
                }
                SockKind::TcpFresh => {}
            }
        }
        rows.sort_by_key(|r| (r.1, r.2));
        rows
    }

    /// Connections in each TCP state, for counters such as `time_wait`.
    pub fn count_state(&self, state: State) -> u64 {
        let mut n = 0;
        for s in self.slots.iter().flatten() {
            match &s.kind {
                SockKind::TcpConn(c) if c.state() == state => n += 1,
                SockKind::TcpTimeWait(t) if t.state() == state => n += 1,
                // Half-open connections, and finished ones not accepted yet: they are
                // ESTABLISHED (or CLOSE_WAIT, …) before any program holds them.
                SockKind::TcpListen(l) => {
                    for x in l.listeners.values() {
                        if state == State::SynReceived {
                            n += x.syn_queue_len() as u64;
                        }
                        n += x.accept_queue().filter(|c| c.state() == state).count() as u64;
                    }
                }
                _ => {}
            }
        }
        n
    }
}
