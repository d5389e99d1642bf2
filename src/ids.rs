//! The ids of a run's nodes, links and frames: a leaf, so that the world that hands them out
//! and the trace records and views that name them need not import each other.

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
