//! The world as views see it: [`Names`], read from the live nodes and links.

use super::{LinkId, NodeId, NodeKind, World};
use crate::ethernet::MacAddr;
use crate::trace::{Names, NodeRole};
use std::net::Ipv4Addr;

impl Names for World {
    fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn node_name(&self, node: NodeId) -> &str {
        &self.node(node).name
    }

    fn node_id(&self, name: &str) -> Option<NodeId> {
        World::node_id(self, name)
    }

    fn role(&self, node: NodeId) -> NodeRole {
        match &self.node(node).kind {
            NodeKind::Host(h) if h.is_router() => NodeRole::Router,
            NodeKind::Host(_) => NodeRole::Host,
            NodeKind::Switch(sw) => NodeRole::Switch {
                stp: sw.stp.is_some(),
            },
            NodeKind::Hub(_) => NodeRole::Hub,
            NodeKind::Tap(_) => NodeRole::Tap,
        }
    }

    fn link_count(&self) -> usize {
        self.fabric.links.len()
    }

    fn link_name(&self, link: LinkId) -> &str {
        &self.link(link).name
    }

    fn link_id(&self, name: &str) -> Option<LinkId> {
        World::link_id(self, name)
    }

    fn link_ends(&self, link: LinkId) -> [(NodeId, u16); 2] {
        self.link(link).ends
    }

    fn port_count(&self, node: NodeId) -> usize {
        self.fabric.ports[node.0 as usize].len()
    }

    fn link_at(&self, node: NodeId, port: u16) -> Option<LinkId> {
        World::link_at(self, node, port).map(|e| e.link)
    }

    fn port_name(&self, node: NodeId, port: u16) -> String {
        match &self.node(node).kind {
            NodeKind::Host(h) => h
                .interfaces()
                .get(port as usize)
                .map_or_else(|| format!("if{port}"), |i| i.name.clone()),
            _ => format!("port {}", port + 1),
        }
    }

    fn iface_name(&self, node: NodeId, iface: u16) -> String {
        match &self.node(node).kind {
            NodeKind::Host(h) => h.iface_name(iface).to_string(),
            _ => format!("port {}", iface + 1),
        }
    }

    fn app_name(&self, node: NodeId, app: u16) -> &str {
        match &self.node(node).kind {
            NodeKind::Host(h) => h
                .apps()
                .get(app as usize)
                .map_or("app", |a| a.name.as_str()),
            _ => "app",
        }
    }

    fn macs(&self, node: NodeId) -> Vec<MacAddr> {
        match &self.node(node).kind {
            NodeKind::Host(h) => h.interfaces().iter().map(|i| i.mac).collect(),
            _ => Vec::new(),
        }
    }

    fn addrs(&self, node: NodeId) -> Vec<Ipv4Addr> {
        match &self.node(node).kind {
            NodeKind::Host(h) => h
                .interfaces()
                .iter()
                .filter_map(|i| i.addr.map(|c| c.addr()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn is_local_addr(&self, node: NodeId, addr: Ipv4Addr) -> bool {
        match &self.node(node).kind {
            NodeKind::Host(h) => h.is_local_addr(addr),
            _ => false,
        }
    }
}
