//! Passive open: a listening socket with Linux's two queues.
//!
//! A SYN creates a half-open connection (SYN_RECEIVED) in the SYN queue; when the handshake
//! completes it moves to the accept queue until the application calls [`Listener::accept`].
//! A SYN that finds the accept queue full is dropped silently, so the client's SYN
//! retransmission timer makes it try again later; an ACK completing a handshake while the
//! accept queue is full is dropped too (`tcp_abort_on_overflow` = 0), leaving the half-open
//! entry to retransmit its SYN-ACK. A SYN that finds the SYN queue full is answered with a
//! SYN cookie (`cookie.rs`) when `syncookies` is on (Linux's default), else dropped (the
//! textbook SYN flood).

mod cookie;
mod fastopen;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddrV4;

use super::config::TcpConfig;
use super::connection::{reset_for, Connection};
use super::event::{ListenDropReason, Output, TcpEvent};
use super::seq::SeqNumber;
use super::state::State;
use super::wire::{TcpFlags, TcpOptions, TcpRepr};
use crate::time::Instant;

/// Why a listener could not be created.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ListenError {
    #[error("a listener needs a specific local address and a non-zero port")]
    InvalidAddress,
}

/// A socket in LISTEN with its SYN queue and accept queue.
#[derive(Debug)]
pub struct Listener {
    local: SocketAddrV4,
    config: TcpConfig,
    backlog: usize,
    open: bool,
    /// Half-open connections by remote address; a map keeps iteration order deterministic.
    syn_queue: BTreeMap<SocketAddrV4, Connection>,
    /// Connections whose handshake completed, oldest first.
    accept_queue: VecDeque<Connection>,
    /// The key of this listener's SYN cookies: the first ISN the host drew for it (random per
    /// host and seed; taking it costs no extra draw, so traces without cookies are unchanged).
    cookie_key: Option<u64>,
}

impl Listener {
    /// `listen(backlog)` on `local`. The backlog bounds both queues as in Linux: the SYN queue
    /// holds at most `backlog` half-open connections and the accept queue at most
    /// `backlog + 1` established ones (Linux's `sk_acceptq_is_full` tests `>`).
    pub fn new(
        local: SocketAddrV4,
        backlog: usize,
        config: &TcpConfig,
    ) -> Result<Listener, ListenError> {
        if local.port() == 0 || local.ip().is_unspecified() || local.ip().is_broadcast() {
            return Err(ListenError::InvalidAddress);
        }
        Ok(Listener {
            local,
            config: config.sanitized(),
            backlog,
            open: true,
            syn_queue: BTreeMap::new(),
            accept_queue: VecDeque::new(),
            cookie_key: None,
        })
    }

    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }
    pub fn backlog(&self) -> usize {
        self.backlog
    }
    pub fn config(&self) -> &TcpConfig {
        &self.config
    }
    pub fn is_open(&self) -> bool {
        self.open
    }
    /// Half-open connections (SYN_RECEIVED).
    pub fn syn_queue_len(&self) -> usize {
        self.syn_queue.len()
    }
    /// Established connections waiting for `accept`.
    pub fn accept_queue_len(&self) -> usize {
        self.accept_queue.len()
    }
    /// The connections waiting for `accept`, oldest first.
    pub fn accept_queue(&self) -> impl Iterator<Item = &Connection> {
        self.accept_queue.iter()
    }
    /// The half-open connection for `remote`, if any.
    pub fn half_open(&self, remote: SocketAddrV4) -> Option<&Connection> {
        self.syn_queue.get(&remote)
    }
    /// Whether the listener holds a connection (half-open or waiting) for `remote`; the host
    /// routes such segments here rather than answering them with RST.
    pub fn has_connection(&self, remote: SocketAddrV4) -> bool {
        self.syn_queue.contains_key(&remote)
            || self.accept_queue.iter().any(|c| c.remote() == remote)
    }

    fn accept_queue_full(&self) -> bool {
        self.accept_queue.len() > self.backlog
    }

    /// Room for another Fast Open child still in its handshake (Linux
    /// `tcp_fastopen_queue_check`): `TCP_FASTOPEN`'s length, or the backlog when
    /// `tcp_fastopen` makes every listener a Fast Open one.
    fn fastopen_room(&self) -> bool {
        let max = match self.config.fastopen_queue {
            0 if self.config.fastopen & crate::tcp::fastopen::bits::SERVER_WO_SOCKOPT != 0 => {
                self.backlog
            }
            n => n,
        };
        let waiting = self
            .accept_queue
            .iter()
            .filter(|c| c.state() == State::SynReceived)
            .count();
        waiting < max
    }

    fn syn_queue_full(&self) -> bool {
        self.syn_queue.len() >= self.backlog
    }

    /// Takes the Fast Open settings of `config` (`TCP_FASTOPEN` and `TCP_FASTOPEN_KEY` may be
    /// set on a listening socket, and the sysctl may change).
    pub fn set_fastopen(&mut self, config: &TcpConfig) {
        self.config.fastopen = config.fastopen;
        self.config.fastopen_key = config.fastopen_key;
        self.config.fastopen_queue = config.fastopen_queue;
        self.config.fastopen_no_cookie = config.fastopen_no_cookie;
    }

    /// Takes the oldest established connection.
    pub fn accept(&mut self) -> Option<Connection> {
        self.accept_queue.pop_front()
    }

    /// Processes a segment from `remote` to the listening port. `isn` is the initial sequence
    /// number a new connection uses if this segment is a SYN that creates one.
    pub fn on_segment(
        &mut self,
        now: Instant,
        remote: SocketAddrV4,
        seg: &TcpRepr,
        isn: SeqNumber,
        out: &mut Output,
    ) {
        if seg.dst_port != self.local.port() || seg.src_port != remote.port() {
            out.event(TcpEvent::ListenDrop {
                remote,
                reason: ListenDropReason::Unexpected,
            });
            return;
        }
        if let Some(conn) = self.accept_queue.iter_mut().find(|c| c.remote() == remote) {
            conn.on_segment(now, seg, out);
            return;
        }
        if let Some(conn) = self.syn_queue.get_mut(&remote) {
            let completes = seg.flags.ack() && !seg.flags.syn() && !seg.flags.rst();
            if completes && self.accept_queue.len() > self.backlog {
                out.event(TcpEvent::ListenDrop {
                    remote,
                    reason: ListenDropReason::AckWhileAcceptQueueFull,
                });
                return;
            }
            conn.on_segment(now, seg, out);
            self.settle(remote, out);
            return;
        }
        if !self.open {
            if let Some(rst) = reset_for(*remote.ip(), *self.local.ip(), seg) {
                out.push(rst);
            }
            return;
        }
        let key = *self.cookie_key.get_or_insert(isn.0 as u64);
        // §3.10.7.2 LISTEN: ignore RST, answer any ACK with RST, take a SYN.
        if seg.flags.rst() {
            return;
        }
        if seg.flags.ack() && !seg.flags.syn() && self.config.syncookies {
            if let Some(mss) = cookie::check(
                key,
                now,
                self.local,
                remote,
                (seg.seq - 1u32).0,
                (seg.ack - 1u32).0,
            ) {
                self.accept_cookie(now, remote, seg, mss, out);
                return;
            }
        }
        if seg.flags.ack() {
            if let Some(rst) = reset_for(*remote.ip(), *self.local.ip(), seg) {
                out.push(rst);
            }
            return;
        }
        if !seg.flags.syn() {
            out.event(TcpEvent::ListenDrop {
                remote,
                reason: ListenDropReason::Unexpected,
            });
            return;
        }
        let full = if self.accept_queue_full() {
            Some(ListenDropReason::AcceptQueueFull)
        } else if self.syn_queue_full() {
            Some(ListenDropReason::SynQueueFull)
        } else {
            None
        };
        if full == Some(ListenDropReason::SynQueueFull) && self.config.syncookies {
            self.send_cookie(now, remote, seg, key, out);
            return;
        }
        if let Some(reason) = full {
            out.event(TcpEvent::ListenDrop { remote, reason });
            return;
        }
        let tfo = fastopen::answer(
            &self.config,
            self.fastopen_room(),
            seg,
            *remote.ip(),
            *self.local.ip(),
        );
        let opened = if tfo == fastopen::Answer::default() {
            Connection::accept_syn(now, self.local, remote, seg, isn, &self.config, out)
        } else {
            Connection::accept_fast_open(
                now,
                self.local,
                remote,
                seg,
                isn,
                &self.config,
                tfo.reply,
                tfo.child,
                out,
            )
        };
        match opened {
            // A Fast Open child goes straight to the accept queue (Linux
            // `inet_csk_reqsk_queue_add` in `tcp_conn_request`).
            Ok(conn) if tfo.child => {
                out.event(TcpEvent::HalfOpenCreated { remote });
                out.event(TcpEvent::Queued { remote });
                self.accept_queue.push_back(conn);
            }
            Ok(conn) => {
                out.event(TcpEvent::HalfOpenCreated { remote });
                self.syn_queue.insert(remote, conn);
            }
            Err(_) => out.event(TcpEvent::ListenDrop {
                remote,
                reason: ListenDropReason::Unexpected,
            }),
        }
    }

    /// Answers `syn` with a SYN-ACK whose ISN is a cookie, keeping nothing (Linux
    /// `tcp_conn_request` with `want_cookie`): only the MSS is offered, window scaling and
    /// SACK being lost without timestamps to carry them.
    fn send_cookie(
        &mut self,
        now: Instant,
        remote: SocketAddrV4,
        syn: &TcpRepr,
        key: u64,
        out: &mut Output,
    ) {
        let client_mss = syn.options.mss.unwrap_or(536);
        let isn = cookie::make(key, now, self.local, remote, syn.seq.0, client_mss);
        let bare = TcpRepr {
            options: TcpOptions {
                mss: syn.options.mss,
                ..TcpOptions::NONE
            },
            ..*syn
        };
        // A throw-away connection writes the SYN-ACK; its events and timers are not kept.
        let mut scratch = Output::new();
        if Connection::accept_syn(
            now,
            self.local,
            remote,
            &bare,
            SeqNumber(isn),
            &self.config,
            &mut scratch,
        )
        .is_ok()
        {
            out.event(TcpEvent::SynCookieSent { remote });
            if let Some(syn_ack) = scratch.segments.into_iter().find(|s| s.flags.syn()) {
                out.push(syn_ack);
            }
        }
    }

    /// Re-creates the connection a valid cookie ACK stands for (Linux `cookie_v4_check`):
    /// straight to ESTABLISHED and the accept queue, or dropped if that queue is full.
    fn accept_cookie(
        &mut self,
        now: Instant,
        remote: SocketAddrV4,
        ack: &TcpRepr,
        mss: u16,
        out: &mut Output,
    ) {
        if self.accept_queue_full() {
            out.event(TcpEvent::ListenDrop {
                remote,
                reason: ListenDropReason::AcceptQueueFull,
            });
            return;
        }
        let syn = TcpRepr {
            seq: ack.seq - 1u32,
            ack: SeqNumber(0),
            flags: TcpFlags::SYN,
            window: ack.window,
            options: TcpOptions {
                mss: Some(mss),
                ..TcpOptions::NONE
            },
            payload: &[],
            ..*ack
        };
        let mut scratch = Output::new();
        let Ok(mut conn) = Connection::accept_syn(
            now,
            self.local,
            remote,
            &syn,
            ack.ack - 1u32,
            &self.config,
            &mut scratch,
        ) else {
            return;
        };
        // No handshake RTT to measure: the SYN-ACK's sending time was not kept.
        conn.forget_rtt_probe();
        out.event(TcpEvent::SynCookieAccepted { remote, mss });
        conn.on_segment(now, ack, out);
        if !matches!(conn.state(), State::SynReceived | State::Closed) {
            out.event(TcpEvent::Queued { remote });
            self.accept_queue.push_back(conn);
        }
    }

    /// Moves a half-open connection on after it processed a segment or timer: to the accept
    /// queue once synchronized past SYN_RECEIVED, or away if it died or fell back to LISTEN.
    fn settle(&mut self, remote: SocketAddrV4, out: &mut Output) {
        let Some(state) = self.syn_queue.get(&remote).map(Connection::state) else {
            return;
        };
        match state {
            State::SynReceived => {}
            State::Closed | State::Listen => {
                self.syn_queue.remove(&remote);
                out.event(TcpEvent::HalfOpenDropped { remote });
            }
            _ => {
                if let Some(conn) = self.syn_queue.remove(&remote) {
                    out.event(TcpEvent::Queued { remote });
                    self.accept_queue.push_back(conn);
                }
            }
        }
    }

    /// Earliest deadline among the queued connections.
    pub fn poll_at(&self) -> Option<Instant> {
        self.syn_queue
            .values()
            .chain(self.accept_queue.iter())
            .filter_map(Connection::poll_at)
            .min()
    }

    /// Runs due timers of queued connections: SYN-ACK retransmissions, and removal of
    /// half-open connections whose retries ran out.
    pub fn on_timer(&mut self, now: Instant, out: &mut Output) {
        for remote in self.due(now) {
            self.on_timer_for(now, remote, out);
        }
    }

    /// The remote addresses of queued connections with a timer due at `now`, so a caller can
    /// run them one by one (and label each one's events with its own addresses).
    pub fn due(&self, now: Instant) -> Vec<SocketAddrV4> {
        self.syn_queue
            .values()
            .chain(self.accept_queue.iter())
            .filter(|c| c.poll_at().is_some_and(|t| t <= now))
            .map(Connection::remote)
            .collect()
    }

    /// Runs the due timers of the queued connection with `remote`, if any.
    pub fn on_timer_for(&mut self, now: Instant, remote: SocketAddrV4, out: &mut Output) {
        if let Some(conn) = self.syn_queue.get_mut(&remote) {
            conn.on_timer(now, out);
            self.settle(remote, out);
        } else if let Some(conn) = self.accept_queue.iter_mut().find(|c| c.remote() == remote) {
            conn.on_timer(now, out);
        }
    }

    /// Stops listening (Linux `inet_csk_listen_stop`): connections that finished their
    /// handshake but were never accepted are reset (`inet_child_forget` → `tcp_disconnect`
    /// sends RST); half-open ones (SYN_RECEIVED) are only request socks in Linux and vanish
    /// silently, their client's next segment drawing the no-connection RST.
    pub fn close(&mut self, now: Instant, out: &mut Output) {
        self.open = false;
        for (remote, _) in std::mem::take(&mut self.syn_queue) {
            out.event(TcpEvent::HalfOpenDropped { remote });
        }
        for mut conn in self.accept_queue.drain(..) {
            let _ = conn.abort(now, out);
        }
    }
}

#[cfg(test)]
mod tests;
