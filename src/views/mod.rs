//! The views of a run: what turns trace records into something to read, keep or draw.
//!
//! Each takes records (as a [`crate::trace::Subscriber`] fed after every event, or a recorded
//! run's slice) and the network's [`crate::trace::Names`], never the world: adding a view
//! touches no producer, and a view cannot reach into a node. The record types stay in
//! `trace`; the browser page (`crate::browser`), which replays a whole run and renders live
//! tables, is a driver above these and uses them.

pub mod bits;
pub mod json;
pub mod ladder;
pub mod pcap;
pub mod tcpgraph;
pub mod text;
pub mod writers;
