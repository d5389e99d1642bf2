//! Applications that run on simulated hosts.
//!
//! Each is a sans-IO state machine like the protocol cores: it takes `now` and what the network
//! delivered, and answers with [`AppOut`]s (packets to send, events to record) and its next
//! deadline. The host carries the packets out.

pub mod cx;
pub mod ping;
pub mod python;
pub mod script;
pub mod sock;
pub mod traceroute;

pub use cx::AppCx;
pub use ping::{DfPolicy, Ping, PingConfig, PingStats};
pub use traceroute::{Traceroute, TracerouteConfig, TracerouteStats};

use crate::time::Instant;
use crate::trace::{AppEvent, IcmpKind, IpDrop};
use std::net::Ipv4Addr;

/// What an application asks its host to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppOut {
    /// Send an ICMP echo request.
    SendEcho {
        dst: Ipv4Addr,
        ident: u16,
        seq: u16,
        /// Bytes of echo data (ping's `-s`, 56 by default).
        size: u16,
        ttl: u8,
        df: DfPolicy,
    },
    /// Send a UDP datagram (a traceroute probe).
    SendUdp {
        dst: Ipv4Addr,
        ttl: u8,
        src_port: u16,
        dst_port: u16,
        len: u16,
    },
    /// Record this for the trace.
    Event(AppEvent),
}

/// What the host's ICMP layer hands the applications that send raw probes: the handle through
/// which ICMP reaches ping and traceroute (each application decides whether a message is its
/// own), so the IP layer need not know which kinds of application there are.
#[derive(Clone, Copy, Debug)]
pub enum IcmpDelivery {
    /// An echo reply (ping's).
    EchoReply {
        ident: u16,
        seq: u16,
        from: Ipv4Addr,
        ttl: u8,
        /// The ICMP message's length.
        bytes: u16,
    },
    /// An ICMP error quoting one of our echo requests (ping's).
    EchoError {
        ident: u16,
        seq: u16,
        from: Ipv4Addr,
        kind: IcmpKind,
    },
    /// An ICMP error quoting one of our UDP datagrams (traceroute's probes).
    UdpError {
        src_port: u16,
        dst_port: u16,
        from: Ipv4Addr,
        kind: IcmpKind,
    },
}

/// An application instance on a host, with the name the scenario gave it.
#[derive(Clone, Debug)]
pub struct App {
    pub name: String,
    pub kind: AppKind,
}

#[derive(Clone, Debug)]
pub enum AppKind {
    // Boxed, as the socket applications: a host keeps every application it started, finished
    // ones too, so the list's entries stay small (a connection's app cost 200 bytes here).
    Ping(Box<Ping>),
    Traceroute(Box<Traceroute>),
    /// An application using the socket API.
    Socket(Box<sock::SocketApp>),
    /// Stands in for a socket application while it runs (it is taken out of the host so it
    /// can call the host's socket API).
    Running,
}

impl App {
    pub fn poll_at(&self) -> Option<Instant> {
        match &self.kind {
            AppKind::Ping(p) => p.poll_at(),
            AppKind::Traceroute(t) => t.poll_at(),
            AppKind::Socket(s) => s.poll_at(),
            AppKind::Running => None,
        }
    }

    /// Runs the timers of a raw-packet application (ping, traceroute); socket applications
    /// are polled by their host instead.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<AppOut>) {
        match &mut self.kind {
            AppKind::Ping(p) => p.on_timer(now, out),
            AppKind::Traceroute(t) => t.on_timer(now, out),
            AppKind::Socket(_) | AppKind::Running => {}
        }
    }

    /// Offers the application an ICMP message; `true` when it was this application's (the host
    /// offers it to its applications in the order they started, and stops at the first).
    pub fn on_icmp(&mut self, now: Instant, msg: IcmpDelivery, out: &mut Vec<AppOut>) -> bool {
        match (&mut self.kind, msg) {
            (
                AppKind::Ping(p),
                IcmpDelivery::EchoReply {
                    ident,
                    seq,
                    from,
                    ttl,
                    bytes,
                },
            ) if p.ident() == ident => p.on_reply(now, from, seq, ttl, bytes, out),
            (
                AppKind::Ping(p),
                IcmpDelivery::EchoError {
                    ident,
                    seq,
                    from,
                    kind,
                },
            ) if p.ident() == ident => p.on_error(from, seq, kind, out),
            (
                AppKind::Traceroute(t),
                IcmpDelivery::UdpError {
                    src_port,
                    dst_port,
                    from,
                    kind,
                },
            ) if t.src_port() == src_port => t.on_icmp(now, from, kind, dst_port, out),
            _ => return false,
        }
        true
    }

    /// The host could not send echo request `seq` it asked for (no route, no neighbour…).
    pub fn on_send_failed(&mut self, seq: u16, drop: IpDrop, out: &mut Vec<AppOut>) {
        if let AppKind::Ping(p) = &mut self.kind {
            p.on_send_failed(seq, drop, out);
        }
    }

    /// A socket application: its host polls it when its sockets are ready, it has no timers
    /// of its own to run.
    pub fn uses_sockets(&self) -> bool {
        matches!(self.kind, AppKind::Socket(_))
    }

    /// A counter of the application by name (for `end p1.received == 3`).
    pub fn counter(&self, name: &str) -> Option<u64> {
        match &self.kind {
            AppKind::Ping(p) => p.counter(name),
            AppKind::Traceroute(t) => t.stats.get(name),
            AppKind::Socket(s) => s.counter(name),
            AppKind::Running => None,
        }
    }

    /// The counters an application of kind `kind` (`ping`, `traceroute`) has.
    pub fn counter_names(kind: &str) -> Vec<&'static str> {
        match kind {
            "ping" => {
                let mut v = PingStats::NAMES.to_vec();
                v.push("loss_percent");
                v
            }
            "traceroute" => TracerouteStats::NAMES.to_vec(),
            "script" => script::ScriptStats::NAMES.to_vec(),
            "python" => python::PythonStats::NAMES.to_vec(),
            "stream" => sock::StreamStats::NAMES.to_vec(),
            _ => vec![],
        }
    }
}
