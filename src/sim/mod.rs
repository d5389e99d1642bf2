//! The simulation: the event engine and the world of nodes and links it drives.

pub mod drive;
pub mod engine;
pub mod fabric;
pub mod impair;
pub mod medium;
mod names;
pub mod tap_port;
pub mod world;

pub use drive::{End, Next, Pacer};
pub use engine::{EventId, EventQueue};
pub use fabric::{Fault, FaultAction, Link};
// The ids live below both the world and the trace records that name them.
pub use crate::ids::{FrameId, LinkId, NodeId};
pub use world::{counter_names, Limits, Node, NodeKind, RunError, Step, StepKind, World};

#[cfg(test)]
mod tests;
