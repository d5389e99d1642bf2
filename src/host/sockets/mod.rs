//! The host's transport layer: TCP connections and listeners, UDP sockets, and the socket calls
//! applications make on them.
//!
//! Sockets live in a slab indexed by [`SocketId`]. Segments are demultiplexed by the 4-tuple to
//! an open connection, else by port to a listener, else answered with RST (RFC 9293
//! §3.10.7.1). Each socket's timers are kept in one heap of `(deadline, socket)` with stale
//! entries skipped, so a host with ten thousand connections pays O(log n) per timer, not O(n).

mod api;
mod close;
mod connect;
mod data;
mod events;
mod fastopen;
mod netstat;
mod options;

pub use api::SockCx;
pub use fastopen::FastOpenSend;
pub use options::SockOpts;

use super::Host;
use crate::apps::DfPolicy;
use crate::ip::{IpProtocol, Ipv4Repr};
use crate::node::NodeIo;
use crate::socket::{BlockMode, Readiness, Shutdown, SockType, SocketError, SocketId};
use crate::tcp::{
    self, Connection, Listener, Output, SeqNumber, State, TcpConfig, TcpRepr, TimeWait,
};
use crate::time::Instant;
use crate::trace::{IpDrop, TraceEvent};
use crate::udp::UdpRepr;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Linux's ephemeral port range (`ip_local_port_range`).
const EPHEMERAL: std::ops::RangeInclusive<u16> = 32768..=60999;
/// Datagrams a UDP socket holds before dropping new ones (a stand-in for `SO_RCVBUF`).
const UDP_QUEUE: usize = 256;

/// A listening socket: one [`Listener`] per local address it was reached on (a socket bound to
/// 0.0.0.0 answers on every address of the host).
#[derive(Debug)]
pub(super) struct ListenSock {
    port: u16,
    ip: Ipv4Addr,
    backlog: usize,
    listeners: BTreeMap<Ipv4Addr, Listener>,
}

#[derive(Debug)]
pub(super) enum SockKind {
    /// Created, maybe bound, neither listening nor connected.
    TcpFresh,
    TcpListen(ListenSock),
    TcpConn(Box<Connection>),
    /// A connection in TIME_WAIT that its application closed, kept as the little TIME_WAIT
    /// needs (Linux's time-wait mini socket): what a host with thousands of them holds.
    TcpTimeWait(Box<TimeWait>),
    Udp {
        peer: Option<SocketAddrV4>,
        queue: VecDeque<(SocketAddrV4, Vec<u8>)>,
    },
}

#[derive(Debug)]
pub(super) struct Socket {
    pub(super) kind: SockKind,
    /// The address it is bound to (explicitly, or implicitly by connect/listen/sendto).
    local: Option<SocketAddrV4>,
    /// Its port was chosen by `bind` (Linux's `SOCK_BINDPORT_LOCK`, which an accepted socket
    /// inherits): a connection that fails keeps it, where an implicit one is given back.
    port_locked: bool,
    /// The application that owns it; `None` once the application closed it (a TCP connection
    /// then lives on until CLOSED, as in a kernel).
    pub(super) owner: Option<u32>,
    nodelay: bool,
    reuse_addr: bool,
    recv_buf: Option<usize>,
    send_buf: Option<usize>,
    read_shut: bool,
    /// An error reported by ICMP (EHOSTUNREACH, ECONNREFUSED on connected UDP).
    soft_error: Option<SocketError>,
    /// The connection's error was read through `SO_ERROR` (Linux clears `sk_err` then).
    err_taken: bool,
    /// `O_NONBLOCK` / Python's timeout (runners read it; calls never wait).
    mode: BlockMode,
    /// The other options (`SO_KEEPALIVE`, `SO_LINGER`, `TCP_*`).
    opts: SockOpts,
}

/// All sockets of a host and the tables that find them.
#[derive(Debug)]
pub struct Sockets {
    slots: Vec<Option<Socket>>,
    free: Vec<u32>,
    conns: HashMap<(SocketAddrV4, SocketAddrV4), SocketId>,
    listening: HashMap<u16, SocketId>,
    udp_ports: HashMap<u16, SocketId>,
    /// How many TCP sockets (bound but unconnected, or connected, TIME_WAIT included) hold each
    /// local port, so choosing an ephemeral port does not scan every socket (issue #12: at
    /// 100,000 connections that scan was half the run).
    tcp_ports: HashMap<u16, u32>,
    timers: BinaryHeap<Reverse<(Instant, u32)>>,
    scheduled: Vec<Option<Instant>>,
    next_port: u16,
    rng: ChaCha8Rng,
    out: Output,
    pub config: TcpConfig,
    /// Apps with a socket that became ready since they last ran.
    pub(super) ready: Vec<u32>,
    /// Fast Open: what this host as a client knows of servers, and the keys listeners set
    /// with `TCP_FASTOPEN_KEY` (by socket slot).
    fastopen_cache: tcp::fastopen::ClientCache,
    fastopen_keys: BTreeMap<u32, [u8; 16]>,
    /// The host's own Fast Open key, unless `tcp_fastopen_key` sets one (`fastopen.rs`).
    boot_fastopen_key: [u8; 16],
    /// `TCP_FASTOPEN_CONNECT` sockets whose `connect` was deferred to their first write, by
    /// slot: where they connect to.
    fastopen_deferred: BTreeMap<u32, SocketAddrV4>,
}

impl Sockets {
    pub fn new(config: TcpConfig, rng: ChaCha8Rng) -> Self {
        let mut rng = rng;
        let span = (EPHEMERAL.end() - EPHEMERAL.start()) as u32 + 1;
        let next_port = EPHEMERAL.start() + (rng.random::<u32>() % span) as u16;
        let boot_fastopen_key = fastopen::boot_fastopen_key(&rng);
        Sockets {
            slots: Vec::new(),
            free: Vec::new(),
            // A fast non-cryptographic hash: the keys come from the simulation itself, and these
            // maps are looked up per segment (never iterated into output).
            conns: HashMap::default(),
            listening: HashMap::default(),
            udp_ports: HashMap::default(),
            tcp_ports: HashMap::default(),
            timers: BinaryHeap::new(),
            scheduled: Vec::new(),
            next_port,
            rng,
            // Events are always collected: the host's counters (retransmissions) read them.
            out: Output::new(),
            config,
            ready: Vec::new(),
            fastopen_cache: tcp::fastopen::ClientCache::default(),
            fastopen_keys: BTreeMap::new(),
            boot_fastopen_key,
            fastopen_deferred: BTreeMap::new(),
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// Sockets in use (including connections the application closed that are still closing).
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, id: SocketId) -> Option<&Socket> {
        self.slots.get(id.0 as usize).and_then(|s| s.as_ref())
    }

    fn get_mut(&mut self, id: SocketId) -> Option<&mut Socket> {
        self.slots.get_mut(id.0 as usize).and_then(|s| s.as_mut())
    }

    /// The local port a socket holds in `tcp_ports`, if any.
    fn tcp_port(s: &Socket) -> Option<u16> {
        match s.kind {
            SockKind::TcpFresh | SockKind::TcpConn(_) | SockKind::TcpTimeWait(_) => {
                s.local.map(|l| l.port())
            }
            _ => None,
        }
    }

    fn hold_port(&mut self, port: Option<u16>) {
        if let Some(p) = port {
            *self.tcp_ports.entry(p).or_insert(0) += 1;
        }
    }

    fn release_port(&mut self, port: Option<u16>) {
        if let Some(p) = port {
            if let Some(n) = self.tcp_ports.get_mut(&p) {
                *n -= 1;
                if *n == 0 {
                    self.tcp_ports.remove(&p);
                }
            }
        }
    }

    /// Empties slot `i` (its port is released).
    fn remove(&mut self, i: u32) {
        self.fastopen_keys.remove(&i);
        self.fastopen_deferred.remove(&i);
        if let Some(s) = self.slots[i as usize].take() {
            self.release_port(Sockets::tcp_port(&s));
        }
        self.scheduled[i as usize] = None;
        self.free.push(i);
    }

    fn insert(&mut self, s: Socket) -> SocketId {
        self.hold_port(Sockets::tcp_port(&s));
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(s);
            self.scheduled[i as usize] = None;
            SocketId(i)
        } else {
            self.slots.push(Some(s));
            self.scheduled.push(None);
            SocketId(self.slots.len() as u32 - 1)
        }
    }

    fn port_in_use(&self, port: u16, ty: SockType) -> bool {
        match ty {
            SockType::Dgram => self.udp_ports.contains_key(&port),
            SockType::Stream => {
                self.listening.contains_key(&port) || self.tcp_ports.contains_key(&port)
            }
        }
    }

    /// Nothing listens on the port and every connection holding it had `SO_REUSEADDR` set:
    /// what lets a socket with `SO_REUSEADDR` rebind it. Linux's `inet_csk_bind_conflict`
    /// wants both sides to set it (`sk->sk_reuse && sk2->sk_reuse`; a TIME_WAIT socket keeps
    /// its owner's flag, an accepted one inherits the listener's), as measured in
    /// docs/linux-observations.md, and the other side not to listen.
    fn port_shared_by_reuse(&self, port: u16) -> bool {
        !self.listening.contains_key(&port)
            && self.slots.iter().flatten().all(|s| match &s.kind {
                // Linux `inet_bind_conflict`: two sockets that both set SO_REUSEADDR share a
                // port unless one listens, so a server restarts over its own connections,
                // TIME_WAIT or not (upstream fastopen/server/pure-syn-data.pkt rebinds while an
                // accepted connection is open).
                SockKind::TcpConn(c) => c.local().port() != port || s.reuse_addr,
                SockKind::TcpTimeWait(t) => {
                    t.local().port() != port || (t.state() == State::TimeWait && s.reuse_addr)
                }
                SockKind::TcpFresh => s.local.is_none_or(|l| l.port() != port),
                _ => true,
            })
    }

    fn ephemeral_port(&mut self, ty: SockType) -> Option<u16> {
        let span = (EPHEMERAL.end() - EPHEMERAL.start()) as u32 + 1;
        for _ in 0..span {
            let p = self.next_port;
            self.next_port = if p == *EPHEMERAL.end() {
                *EPHEMERAL.start()
            } else {
                p + 1
            };
            if !self.port_in_use(p, ty) {
                return Some(p);
            }
        }
        None
    }

    fn isn(&mut self) -> SeqNumber {
        SeqNumber(self.rng.random::<u32>())
    }

    /// Records that `id`'s deadline may have moved.
    fn rearm(&mut self, id: SocketId) {
        let Some(s) = self.get(id) else { return };
        let due = match &s.kind {
            SockKind::TcpConn(c) => c.poll_at(),
            SockKind::TcpTimeWait(t) => t.poll_at(),
            SockKind::TcpListen(l) => l.listeners.values().filter_map(|x| x.poll_at()).min(),
            _ => None,
        };
        if let Some(due) = due {
            let slot = &mut self.scheduled[id.0 as usize];
            if slot.is_none_or(|t| due < t) {
                *slot = Some(due);
                self.timers.push(Reverse((due, id.0)));
            }
        }
    }

    fn mark_ready(&mut self, id: SocketId) {
        if let Some(owner) = self.get(id).and_then(|s| s.owner) {
            if !self.ready.contains(&owner) {
                self.ready.push(owner);
            }
        }
    }

    /// What socket `id` is ready for.
    pub fn readiness(&self, id: SocketId) -> Readiness {
        let Some(s) = self.get(id) else {
            return Readiness {
                readable: true,
                writable: true,
                acceptable: true,
                connected: true,
            };
        };
        match &s.kind {
            SockKind::TcpFresh => Readiness::default(),
            SockKind::TcpListen(l) => Readiness {
                acceptable: l.listeners.values().any(|x| x.accept_queue_len() > 0),
                ..Readiness::default()
            },
            SockKind::TcpConn(c) => {
                let failed = c.error().is_some() || s.soft_error.is_some();
                let st = c.state();
                let connected = failed || !matches!(st, State::SynSent | State::SynReceived);
                Readiness {
                    readable: failed
                        || s.read_shut
                        || c.recv_available() > 0
                        || c.peer_closed()
                        || st == State::Closed,
                    writable: failed || (connected && c.send_space() > 0) || st == State::Closed,
                    acceptable: false,
                    connected,
                }
            }
            // As a connection in TIME_WAIT: the peer's FIN is in, nothing may be sent.
            SockKind::TcpTimeWait(t) => Readiness {
                readable: true,
                writable: s.soft_error.is_some() || t.state() == State::Closed,
                acceptable: false,
                connected: true,
            },
            SockKind::Udp { queue, .. } => Readiness {
                readable: !queue.is_empty() || s.soft_error.is_some(),
                writable: true,
                acceptable: false,
                connected: true,
            },
        }
    }

    /// The TCP state of a socket, for views and expectations.
    pub fn tcp_state(&self, id: SocketId) -> Option<State> {
        match &self.get(id)?.kind {
            SockKind::TcpConn(c) => Some(c.state()),
            SockKind::TcpTimeWait(t) => Some(t.state()),
            SockKind::TcpListen(_) => Some(State::Listen),
            SockKind::TcpFresh => Some(State::Closed),
            SockKind::Udp { .. } => None,
        }
    }
}

impl Host {
    // ------------------------------------------------------------------ plumbing

    /// Sends what the TCP core produced and records its events.
    fn flush_tcp(&mut self, io: &mut NodeIo, local: SocketAddrV4, remote: SocketAddrV4) {
        let mut out = std::mem::take(&mut self.sockets.out);
        if io.tracing() {
            for &event in &out.events {
                io.trace(TraceEvent::Tcp {
                    local,
                    remote,
                    event,
                });
            }
        }
        for seg in &out.segments {
            self.counters.tcp_tx += 1;
            if seg.flags.rst() {
                self.counters.tcp_rst_tx += 1;
            }
            let repr = Ipv4Repr::new(seg.src_ip, seg.dst_ip, IpProtocol::Tcp, seg.buffer_len());
            // The connection numbers its packets itself in the linux profile; an RST sent
            // without a connection carries ID 0 there too (ORACLES 3.2 (b)).
            let ident = seg
                .ip_id
                .or((seg.flags.rst() && self.sockets.config.ip_id_per_connection).then_some(0));
            // Linux sets DF on TCP (ORACLES 3.2); send_ip records a failure.
            let _ = self.send_tcp_segment(io, repr, seg, DfPolicy::Want, ident);
        }
        for e in &out.events {
            match e {
                tcp::TcpEvent::Retransmit { .. } => self.counters.tcp_retransmits += 1,
                tcp::TcpEvent::RtoBackoff { .. } => self.counters.tcp_timeouts += 1,
                tcp::TcpEvent::LossProbe { .. } => self.counters.tcp_loss_probes += 1,
                tcp::TcpEvent::SpuriousTimeout => self.counters.tcp_spurious_timeouts += 1,
                tcp::TcpEvent::ListenDrop { reason, .. }
                    if *reason != tcp::ListenDropReason::Unexpected =>
                {
                    self.counters.tcp_listen_drops += 1
                }
                _ => {}
            }
        }
        out.clear();
        self.sockets.out = out;
    }

    /// After a call into a connection nobody holds any more (its application closed it):
    /// removes it once it is CLOSED, and keeps it as a [`TimeWait`] once it is in TIME_WAIT
    /// with nothing left to read or send (Linux's `tcp_time_wait` swaps the socket for a
    /// time-wait mini socket the same way).
    fn reap(&mut self, id: SocketId) {
        let Some(s) = self.sockets.get(id) else {
            return;
        };
        if s.owner.is_some() {
            return;
        }
        let (state, key) = match &s.kind {
            SockKind::TcpConn(c) => (c.state(), (c.local(), c.remote())),
            SockKind::TcpTimeWait(t) => (t.state(), (t.local(), t.remote())),
            _ => return,
        };
        match state {
            State::Closed => {
                if self.sockets.conns.get(&key) == Some(&id) {
                    self.sockets.conns.remove(&key);
                }
                self.sockets.remove(id.0);
            }
            State::TimeWait => {
                if let Some(s) = self.sockets.get_mut(id) {
                    if let SockKind::TcpConn(c) = &s.kind {
                        if let Some(t) = c.to_time_wait() {
                            s.kind = SockKind::TcpTimeWait(Box::new(t));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A TCP segment for this host arrived (`data` is the IP payload).
    pub(super) fn on_tcp(&mut self, io: &mut NodeIo, ip: &Ipv4Repr, data: &[u8]) {
        self.counters.tcp_rx += 1;
        let seg = match TcpRepr::parse(data, ip.src, ip.dst) {
            Ok(s) => s,
            Err(_) => {
                self.drop_ip(io, ip.src, ip.dst, IpDrop::BadTransport);
                return;
            }
        };
        let local = SocketAddrV4::new(ip.dst, seg.dst_port);
        let remote = SocketAddrV4::new(ip.src, seg.src_port);
        let now = io.now;
        if let Some(&id) = self.sockets.conns.get(&(local, remote)) {
            let mut out = std::mem::take(&mut self.sockets.out);
            let handled = match self.sockets.slots[id.0 as usize]
                .as_mut()
                .map(|s| &mut s.kind)
            {
                Some(SockKind::TcpConn(c)) => {
                    c.on_segment(now, &seg, &mut out);
                    true
                }
                Some(SockKind::TcpTimeWait(t)) => {
                    t.on_segment(now, &seg, &mut out);
                    true
                }
                _ => false,
            };
            self.sockets.out = out;
            if handled {
                self.flush_tcp(io, local, remote);
                self.note_fastopen(id);
                self.sockets.rearm(id);
                self.sockets.mark_ready(id);
                self.reap(id);
                return;
            }
        }
        if let Some(&id) = self.sockets.listening.get(&seg.dst_port) {
            let isn = self.sockets.isn();
            let mut config = self.sockets.config.clone();
            self.sockets.fastopen_listener_config(id, &mut config);
            let mut out = std::mem::take(&mut self.sockets.out);
            let mut handled = false;
            if let Some(Socket {
                kind: SockKind::TcpListen(l),
                recv_buf,
                send_buf,
                opts,
                ..
            }) = self.sockets.slots[id.0 as usize].as_mut()
            {
                // TCP_MAXSEG set on the listener caps the SYN-ACK's MSS option and what the
                // connection sends (Linux `tp->rx_opt.user_mss`, inherited by the child).
                if let Some(m) = opts.maxseg {
                    config.mss = config.mss.min(m);
                }
                // So do its keepalive and user timeout (`sk_clone_lock` copies them).
                config.keepalive = opts.keepalive();
                config.user_timeout = opts.user_timeout();
                // Connections inherit the listening socket's buffer sizes (SO_RCVBUF set
                // before listen() shapes the window of the SYN-ACK, as in Linux).
                if let Some(b) = *recv_buf {
                    config.recv_buffer_size = b;
                    config.recv_buffer_locked = true;
                }
                if let Some(b) = *send_buf {
                    config.send_buffer_size = b;
                }
                if l.ip.is_unspecified() || l.ip == ip.dst {
                    let backlog = l.backlog;
                    let listener = l.listeners.entry(ip.dst).or_insert_with(|| {
                        Listener::new(local, backlog, &config)
                            .unwrap_or_else(|_| unreachable_listener(local, &config))
                    });
                    // TCP_FASTOPEN and its key may be set after listen().
                    listener.set_fastopen(&config);
                    listener.on_segment(now, remote, &seg, isn, &mut out);
                    handled = true;
                }
            }
            self.sockets.out = out;
            if handled {
                self.flush_tcp(io, local, remote);
                self.sockets.rearm(id);
                self.sockets.mark_ready(id);
                return;
            }
        }
        // Nobody listens: RST (RFC 9293 §3.10.7.1), which makes the peer's connect() fail with
        // "connection refused".
        self.counters.tcp_no_socket += 1;
        if let Some(rst) = tcp::reset_for(ip.src, ip.dst, &seg) {
            self.sockets.out.segments.push(rst);
            self.flush_tcp(io, local, remote);
        }
    }

    /// A UDP datagram for this host arrived. Returns false when no socket has the port.
    pub(super) fn deliver_udp(&mut self, ip: &Ipv4Repr, udp: &UdpRepr) -> bool {
        let Some(&id) = self.sockets.udp_ports.get(&udp.dst_port) else {
            return false;
        };
        let from = SocketAddrV4::new(ip.src, udp.src_port);
        if let Some(Socket {
            kind: SockKind::Udp { queue, peer },
            local,
            ..
        }) = self.sockets.slots[id.0 as usize].as_mut()
        {
            // A connected socket only takes datagrams from its peer; a socket bound to one
            // address only those sent to it.
            if peer.is_some_and(|p| p != from)
                || local.is_some_and(|l| {
                    !l.ip().is_unspecified() && *l.ip() != ip.dst && !ip.dst.is_broadcast()
                })
            {
                return false;
            }
            if queue.len() < UDP_QUEUE {
                queue.push_back((from, udp.payload.to_vec()));
            }
        }
        self.sockets.mark_ready(id);
        true
    }

    // ------------------------------------------------------------------ socket calls

    /// `socket(AF_INET, type)`; `owner` is the application making the call.
    pub fn socket(&mut self, ty: SockType, owner: u32) -> SocketId {
        let kind = match ty {
            SockType::Stream => SockKind::TcpFresh,
            SockType::Dgram => SockKind::Udp {
                peer: None,
                queue: VecDeque::new(),
            },
        };
        self.sockets.insert(Socket {
            kind,
            local: None,
            port_locked: false,
            owner: Some(owner),
            nodelay: false,
            reuse_addr: false,
            recv_buf: None,
            send_buf: None,
            read_shut: false,
            soft_error: None,
            err_taken: false,
            mode: BlockMode::Blocking,
            opts: SockOpts::default(),
        })
    }

    fn sock_type(&self, id: SocketId) -> Result<SockType, SocketError> {
        match &self.sockets.get(id).ok_or(SocketError::BadDescriptor)?.kind {
            SockKind::Udp { .. } => Ok(SockType::Dgram),
            _ => Ok(SockType::Stream),
        }
    }

    /// `bind((ip, port))`; port 0 picks an ephemeral port.
    pub fn bind(&mut self, id: SocketId, addr: SocketAddrV4) -> Result<(), SocketError> {
        let ty = self.sock_type(id)?;
        let s = self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        if s.local.is_some() || !matches!(s.kind, SockKind::TcpFresh | SockKind::Udp { .. }) {
            return Err(SocketError::InvalidArgument);
        }
        let reuse = s.reuse_addr;
        if !addr.ip().is_unspecified() && !self.is_local_addr(*addr.ip()) {
            return Err(SocketError::AddrNotAvailable);
        }
        let port = if addr.port() == 0 {
            self.sockets
                .ephemeral_port(ty)
                .ok_or(SocketError::AddrInUse)?
        } else {
            if self.sockets.port_in_use(addr.port(), ty)
                && !(ty == SockType::Stream
                    && reuse
                    && self.sockets.port_shared_by_reuse(addr.port()))
            {
                return Err(SocketError::AddrInUse);
            }
            addr.port()
        };
        if ty == SockType::Dgram {
            self.sockets.udp_ports.insert(port, id);
        }
        if let Some(s) = self.sockets.get_mut(id) {
            s.local = Some(SocketAddrV4::new(*addr.ip(), port));
            s.port_locked = addr.port() != 0;
        }
        if ty == SockType::Stream {
            self.sockets.hold_port(Some(port));
        }
        Ok(())
    }

    /// `listen(backlog)`.
    pub fn listen(&mut self, id: SocketId, backlog: usize) -> Result<(), SocketError> {
        if self.sock_type(id)? != SockType::Stream {
            return Err(SocketError::NotSupported);
        }
        if self.sockets.get(id).is_some_and(|s| s.local.is_none()) {
            self.bind(id, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
        }
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        if !matches!(s.kind, SockKind::TcpFresh) {
            return Err(SocketError::InvalidArgument);
        }
        let local = s.local.expect("bound above");
        let held = Sockets::tcp_port(s);
        s.kind = SockKind::TcpListen(ListenSock {
            port: local.port(),
            ip: *local.ip(),
            // Linux caps the backlog at somaxconn (4096) and treats 0 as 1.
            backlog: backlog.clamp(1, 4096),
            listeners: BTreeMap::new(),
        });
        self.sockets.listening.insert(local.port(), id);
        self.sockets.release_port(held);
        Ok(())
    }

    /// `accept()`: a connection that completed its handshake, or `WouldBlock`.
    pub fn accept(&mut self, id: SocketId) -> Result<(SocketId, SocketAddrV4), SocketError> {
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor)?;
        let owner = s.owner;
        let (nodelay, recv_buf, send_buf) = (s.nodelay, s.recv_buf, s.send_buf);
        // Linux's accepted socket is a clone of the listener: it inherits the options
        // (sk_clone_lock), but not O_NONBLOCK (a file flag; CPython's accept makes the new
        // socket blocking).
        let (reuse_addr, opts) = (s.reuse_addr, s.opts);
        let SockKind::TcpListen(l) = &mut s.kind else {
            return Err(SocketError::InvalidArgument);
        };
        let Some(mut conn) = l.listeners.values_mut().find_map(|x| x.accept()) else {
            return Err(SocketError::WouldBlock);
        };
        conn.set_nodelay(nodelay);
        conn.inherit_cork(opts.cork);
        let (local, remote) = (conn.local(), conn.remote());
        let new = self.sockets.insert(Socket {
            kind: SockKind::TcpConn(Box::new(conn)),
            local: Some(local),
            port_locked: true,
            owner,
            nodelay,
            reuse_addr,
            recv_buf,
            send_buf,
            read_shut: false,
            soft_error: None,
            err_taken: false,
            mode: BlockMode::Blocking,
            opts,
        });
        self.sockets.conns.insert((local, remote), new);
        self.sockets.rearm(new);
        Ok((new, remote))
    }

    /// The socket's connection kept as a [`TimeWait`], if it is one. Its application closed
    /// it, so only a descriptor used after `close()` reaches it; it answers as the connection
    /// in TIME_WAIT would.
    fn time_wait(&self, id: SocketId) -> Option<&TimeWait> {
        match &self.sockets.get(id)?.kind {
            SockKind::TcpTimeWait(t) => Some(t),
            _ => None,
        }
    }

    fn with_conn<R>(
        &mut self,
        io: &mut NodeIo,
        id: SocketId,
        f: impl FnOnce(&mut Connection, Instant, &mut Output) -> R,
    ) -> Result<R, SocketError> {
        let now = io.now;
        let mut out = std::mem::take(&mut self.sockets.out);
        let s = self.sockets.get_mut(id).ok_or(SocketError::BadDescriptor);
        let r = match s {
            Ok(Socket {
                kind: SockKind::TcpConn(c),
                ..
            }) => {
                let addrs = (c.local(), c.remote());
                Ok((f(c, now, &mut out), addrs))
            }
            Ok(_) => Err(SocketError::NotConnected),
            Err(e) => Err(e),
        };
        self.sockets.out = out;
        let (r, (local, remote)) = r?;
        self.flush_tcp(io, local, remote);
        self.sockets.rearm(id);
        Ok(r)
    }

    /// `getsockname()`.
    pub fn getsockname(&self, id: SocketId) -> Result<SocketAddrV4, SocketError> {
        let s = self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        Ok(match &s.kind {
            SockKind::TcpConn(c) => c.local(),
            SockKind::TcpTimeWait(t) => t.local(),
            _ => s
                .local
                .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
        })
    }

    /// `getpeername()`.
    pub fn getpeername(&self, id: SocketId) -> Result<SocketAddrV4, SocketError> {
        let s = self.sockets.get(id).ok_or(SocketError::BadDescriptor)?;
        match &s.kind {
            SockKind::TcpConn(c) if c.state() != State::Closed => Ok(c.remote()),
            SockKind::TcpTimeWait(t) if t.state() != State::Closed => Ok(t.remote()),
            SockKind::Udp { peer: Some(p), .. } => Ok(*p),
            _ => Err(SocketError::NotConnected),
        }
    }

    /// What socket `id` is ready for.
    pub fn readiness(&self, id: SocketId) -> Readiness {
        self.sockets.readiness(id)
    }

    /// The TCP connection behind socket `id`, read-only: what `TCP_INFO`, `SIOCINQ` and
    /// `TCP_MAXSEG` report (the packetdrill runner reads them).
    pub fn tcp_connection(&self, id: SocketId) -> Option<&Connection> {
        match &self.sockets.get(id)?.kind {
            SockKind::TcpConn(c) => Some(c),
            _ => None,
        }
    }
}

/// A listener for an address that `Listener::new` refused cannot happen here (the address is
/// the destination of a segment that reached us, a unicast address of ours); if it ever did, a
/// listener on the loopback address keeps the host running instead of panicking.
fn unreachable_listener(local: SocketAddrV4, config: &TcpConfig) -> Listener {
    Listener::new(
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, local.port().max(1)),
        1,
        config,
    )
    .expect("loopback with a nonzero port is a valid listening address")
}

#[cfg(test)]
mod port_tests {
    use super::*;
    use crate::scenario::{self, RunOptions, Scenario};
    use crate::sim::NodeKind;

    impl Sockets {
        /// `tcp_ports` recounted from the sockets themselves.
        fn ports_by_scan(&self) -> HashMap<u16, u32> {
            let mut m = HashMap::default();
            for s in self.slots.iter().flatten() {
                if let Some(p) = Sockets::tcp_port(s) {
                    *m.entry(p).or_insert(0) += 1;
                }
            }
            m
        }
    }

    /// The port table that replaced the scan agrees with a scan at every end state a program
    /// reaches: bound, listening, connected, closed into TIME_WAIT, reaped.
    #[test]
    fn the_port_table_agrees_with_the_sockets() {
        let text = r#"[scenario]
description = "ports held and released"
[[host]]
name = "server"
ip = "10.0.0.2/24"
[[host]]
name = "client"
ip = "10.0.0.1/24"
tcp = { time_wait = "2s" }
[[link]]
between = ["client", "server"]
[timeline]
steps = '''
0s server echo-server port=7
1s client/main a = socket(tcp)
1s client/main connect(a, server, 7)
1s client/main close(a)
1s client/main b = socket(tcp)
1s client/main bind(b, 0.0.0.0, 4000)
1s client/main c = socket(tcp)
1s client/main connect(c, server, 7)
'''
"#;
        let scn = Scenario::parse("ports.toml", text).unwrap();
        for until_ms in [1_500, 2_500, 10_000] {
            let opts = RunOptions {
                until: Some(crate::time::Instant::from_nanos(until_ms * 1_000_000)),
                ..RunOptions::default()
            };
            let o = scenario::run(&scn, &opts);
            for n in ["client", "server"] {
                let NodeKind::Host(h) = &o.world.node(o.world.node_id(n).unwrap()).kind else {
                    unreachable!()
                };
                assert_eq!(
                    h.sockets.tcp_ports,
                    h.sockets.ports_by_scan(),
                    "{n} at {until_ms} ms"
                );
            }
        }
    }
}
