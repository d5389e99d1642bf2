//! Applications that run on simulated hosts.
//!
//! Each is a sans-IO state machine like the protocol cores: it takes `now` and what the network
//! delivered, and answers with [`AppOut`]s (packets to send, events to record) and its next
//! deadline. The host carries the packets out.

pub mod ping;
pub mod python;
pub mod script;
pub mod sock;
pub mod traceroute;

pub use ping::{DfPolicy, Ping, PingConfig, PingStats};
pub use traceroute::{Traceroute, TracerouteConfig, TracerouteStats};

use crate::time::Instant;
use crate::trace::AppEvent;
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
