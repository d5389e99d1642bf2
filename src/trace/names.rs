//! What a view may know of the network a run happens in: its names and its shape, read live
//! (a program started on the timeline, an address a lease gave, appear when they happen).
//!
//! Views take this instead of the world, so they depend on the records and this interface
//! only: the world implements it (`sim::names`), a test can implement it with a table.

use crate::ethernet::MacAddr;
use crate::ids::{LinkId, NodeId};
use std::net::Ipv4Addr;

/// What a node is, as views draw it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeRole {
    Host,
    /// A host that forwards.
    Router,
    Switch {
        /// It runs spanning tree (so it makes frames of its own: BPDUs).
        stp: bool,
    },
    Hub,
    /// The real kernel's side of a TAP.
    Tap,
}

/// Names and shape of the network, for views.
pub trait Names {
    /// How many nodes; their ids are `0..node_count()`.
    fn node_count(&self) -> usize;
    fn node_name(&self, node: NodeId) -> &str;
    fn node_id(&self, name: &str) -> Option<NodeId>;
    fn role(&self, node: NodeId) -> NodeRole;
    /// How many links; their ids are `0..link_count()`.
    fn link_count(&self) -> usize;
    fn link_name(&self, link: LinkId) -> &str;
    fn link_id(&self, name: &str) -> Option<LinkId>;
    /// The (node, port) at each end of a link.
    fn link_ends(&self, link: LinkId) -> [(NodeId, u16); 2];
    /// How many ports a node has (a host's interfaces, a switch's or hub's ports).
    fn port_count(&self, node: NodeId) -> usize;
    /// The link plugged into a node's port.
    fn link_at(&self, node: NodeId, port: u16) -> Option<LinkId>;
    /// `eth0` for a host's interface, `port 3` for a switch port (numbered from 1 as on the
    /// front panel).
    fn port_name(&self, node: NodeId, port: u16) -> String;
    /// A host interface's name, `lo` for loopback.
    fn iface_name(&self, node: NodeId, iface: u16) -> String;
    /// The name the scenario gave an application.
    fn app_name(&self, node: NodeId, app: u16) -> &str;
    /// A host's interfaces' MAC addresses (none for other nodes).
    fn macs(&self, node: NodeId) -> Vec<MacAddr>;
    /// A host's interfaces' IPv4 addresses, in interface order (none for other nodes).
    fn addrs(&self, node: NodeId) -> Vec<Ipv4Addr>;
    /// Whether `addr` is one of a host's own addresses (or loopback).
    fn is_local_addr(&self, node: NodeId, addr: Ipv4Addr) -> bool;
}
