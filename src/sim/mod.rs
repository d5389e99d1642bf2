//! The simulation: the event engine and the world of nodes and links it drives.

pub mod drive;
pub mod engine;
pub mod fabric;
pub mod medium;
pub mod world;

pub use drive::{End, Next, Pacer};
pub use engine::{EventId, EventQueue};
pub use fabric::{Fault, FaultAction, Link, NodeIo};
pub use world::{counter_names, Limits, Node, NodeKind, RunError, Step, StepKind, World};

use std::fmt;

/// Index of a node (host, router, switch, hub) in the world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Index of a link in the world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// A frame's number on one hop: every transmission onto a link gets the next one, so views can
/// pair a transmission with its arrival.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameId(pub u64);

impl fmt::Display for FrameId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
