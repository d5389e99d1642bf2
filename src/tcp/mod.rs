//! The TCP core: a sans-IO implementation of RFC 9293 with RFC 6298 retransmission timing,
//! RFC 5681/6582 congestion control and Linux defaults where the RFCs leave room.
//!
//! - `seq`: sequence numbers with modular comparison.
//! - `wire`: parsing and emitting segments.
//! - `config`: tunables.
//! - `connection`: one connection's state machine.
//! - `listener`: passive opens with SYN and accept queues.
//! - `event`: trace events, the output buffer and error types.
//!
//! Nothing here reads a clock, touches I/O or draws random numbers: callers pass `now`, ISNs
//! and buffers in, and deliver the segments that come out.

mod buffer;
pub mod config;
pub mod connection;
pub mod event;
pub mod listener;
pub mod seq;
pub mod state;
pub mod wire;

#[cfg(test)]
mod testutil;

pub use config::TcpConfig;
pub use connection::{reset_for, Connection};
pub use event::{
    AcceptError, ChallengeReason, CloseError, CongestionReason, ConnError, ConnectError,
    DropReason, ListenDropReason, Output, RecvError, RetransmitReason, SendError, TcpEvent,
    TimerKind,
};
pub use listener::{ListenError, Listener};
pub use seq::SeqNumber;
pub use state::{State, TransitionCause};
pub use wire::{TcpEmitError, TcpFlags, TcpOptions, TcpParseError, TcpRepr, TcpSegment};
