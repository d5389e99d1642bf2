//! The TCP core: a sans-IO implementation of RFC 9293 with RFC 6298 retransmission timing,
//! RFC 5681/6582 congestion control and Linux defaults where the RFCs leave room.
//!
//! - `seq`: sequence numbers with modular comparison.
//! - `wire`: parsing and emitting segments.
//! - `config`: tunables.
//! - `connection`: one connection's state machine.
//! - `listener`: passive opens with SYN and accept queues.
//! - `event`: trace events, the output buffer and error types.
//! - `model`: a reference model of RFC 9293's state diagram, for checking connections.
//!
//! Nothing here reads a clock, touches I/O or draws random numbers: callers pass `now`, ISNs
//! and buffers in, and deliver the segments that come out.
//!
//! A host drives a connection like this: call `connect` (or take one from
//! [`Listener::accept`]), hand every arriving segment to `on_segment`, call `on_timer` when
//! `poll_at` is reached, and after each call transmit `out.segments` and read `out.events`.
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddrV4};
//! use netlab::tcp::{Connection, Output, SeqNumber, State, TcpConfig, TcpRepr};
//! use netlab::time::Instant;
//!
//! let a = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000);
//! let b = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
//! let config = TcpConfig::default();
//! let now = Instant::ZERO;
//! let mut out = Output::new();
//! let mut client = Connection::connect(now, a, b, SeqNumber(1), &config, &mut out).unwrap();
//! let syn = out.segments.remove(0);
//! // On the wire and back: emit with checksum, parse and verify it.
//! let bytes = syn.to_bytes();
//! let parsed = TcpRepr::parse(&bytes, syn.src_ip, syn.dst_ip).unwrap();
//! let mut server =
//!     Connection::accept_syn(now, b, a, &parsed, SeqNumber(9), &config, &mut out).unwrap();
//! let syn_ack = out.segments.remove(0);
//! client.on_segment(now, &syn_ack.repr(), &mut out);
//! assert_eq!(client.state(), State::Established);
//! let ack = out.segments.remove(0);
//! server.on_segment(now, &ack.repr(), &mut out);
//! assert_eq!(server.state(), State::Established);
//! out.clear();
//! ```

mod buffer;
pub mod config;
pub mod congestion;
pub mod connection;
pub mod event;
pub mod fastopen;
pub mod listener;
pub mod model;
pub mod rack;
pub mod sack;
pub mod seq;
pub mod state;
pub mod wire;

#[cfg(test)]
mod testutil;

pub use config::{TcpConfig, TcpProfile};
pub use connection::{
    reset_for, CacheReport, Connection, FastOpenSyn, Keepalive, SendFlags, TimeWait,
};
pub use event::{
    AcceptError, ChallengeReason, CloseError, CongestionReason, ConnError, ConnectError,
    DropReason, ListenDropReason, Output, RecvError, RetransmitReason, SendError, TcpEvent,
    TimerKind,
};
pub use listener::{ListenError, Listener};
pub use seq::SeqNumber;
pub use state::{State, TransitionCause};
pub use wire::{
    SackBlocks, TcpEmitError, TcpFlags, TcpOptions, TcpParseError, TcpRepr, TcpSegment,
};
