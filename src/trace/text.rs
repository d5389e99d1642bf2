//! The text log: one line per trace record, `time  node  layer  what happened`.

use super::{describe, PhyDrop, Record, TraceEvent};
use crate::sim::{LinkId, NodeId, NodeKind, World};
use crate::switch::{Forwarding, Learned};
use std::fmt::Write;

/// Renders records with the names of the world they came from.
pub struct TextView<'a> {
    pub world: &'a World,
    /// The scenario's timeline lines, for `Action` records.
    pub actions: &'a [String],
}

impl<'a> TextView<'a> {
    pub fn new(world: &'a World, actions: &'a [String]) -> Self {
        TextView { world, actions }
    }

    pub fn node_name(&self, id: NodeId) -> &str {
        &self.world.node(id).name
    }

    pub fn link_name(&self, id: LinkId) -> &str {
        &self.world.link(id).name
    }

    /// `eth0` for a host's interface, `port 3` for a switch port (numbered from 1 as on the
    /// front panel).
    pub fn port_name(&self, node: NodeId, port: u16) -> String {
        match &self.world.node(node).kind {
            NodeKind::Host(h) => h
                .interfaces
                .get(port as usize)
                .map_or_else(|| format!("if{port}"), |i| i.name.clone()),
            _ => format!("port {}", port + 1),
        }
    }

    /// The whole line for a record.
    pub fn line(&self, r: &Record) -> String {
        let node = r.node.map_or("-", |n| self.node_name(n));
        format!(
            "{:>14}  {:<10} {:<8} {}",
            r.time.to_string(),
            node,
            r.event.layer().name(),
            self.what(r)
        )
    }

    /// What happened, without the time/node/layer columns.
    pub fn what(&self, r: &Record) -> String {
        use TraceEvent::*;
        let node = r.node.unwrap_or(NodeId(0));
        let mut s = String::new();
        match &r.event {
            FrameTx {
                link,
                port,
                id,
                frame,
                start,
                arrival,
                queued_behind,
            } => {
                let _ = write!(
                    s,
                    "tx {id} {} → {}",
                    self.port_name(node, *port),
                    self.link_name(*link)
                );
                if *queued_behind > 0 {
                    let _ = write!(s, " (queued behind {queued_behind}, starts {start})");
                }
                let _ = write!(s, ", arrives {arrival}: {}", describe::frame(frame));
            }
            FrameDropped {
                link,
                port,
                id,
                frame,
                reason,
            } => {
                let why = match reason {
                    PhyDrop::QueueFull => "transmit queue full (drop-tail)",
                    PhyDrop::LinkDown => "link is down",
                    PhyDrop::LinkWentDown => "link went down while the frame was on it",
                    PhyDrop::Fault => "dropped by a fault rule",
                };
                let _ = write!(
                    s,
                    "drop {id} {} → {}: {why}: {}",
                    self.port_name(node, *port),
                    self.link_name(*link),
                    describe::frame(frame)
                );
            }
            BitErrors {
                link,
                id,
                flipped,
                by_fault,
            } => {
                let _ = write!(
                    s,
                    "{flipped} bit{} of {id} flipped on {}{}",
                    if *flipped == 1 { "" } else { "s" },
                    self.link_name(*link),
                    if *by_fault {
                        " by a fault rule"
                    } else {
                        " (bit error rate)"
                    }
                );
            }
            FrameRx { link, port, id, .. } => {
                let _ = write!(
                    s,
                    "rx {id} {} ← {}",
                    self.port_name(node, *port),
                    self.link_name(*link)
                );
            }
            NicDrop { port, id, reason } => {
                let why = match reason {
                    super::NicDrop::Damaged(e) => e.to_string(),
                    super::NicDrop::NotForMe { dst } => {
                        format!(
                            "not for me (to {dst}; a NIC takes only its own address and broadcast)"
                        )
                    }
                    super::NicDrop::InterfaceDown => "interface is down".into(),
                    super::NicDrop::UnknownEtherType(t) => {
                        format!("no protocol for EtherType {t:#06x}")
                    }
                };
                let _ = write!(s, "drop {id} on {}: {why}", self.port_name(node, *port));
            }
            RawDelivered { port, id, frame } => {
                let payload = crate::ethernet::parse(frame).map(|(_, p)| p).unwrap_or(&[]);
                let _ = write!(
                    s,
                    "delivered {id} on {}: {}",
                    self.port_name(node, *port),
                    describe::quoted_preview(describe::trim_padding(payload), 60)
                );
            }
            MacLearned { mac, port, how } => {
                let _ = match how {
                    Learned::Moved { from } => write!(
                        s,
                        "learned {mac} moved from {} to {}",
                        self.port_name(node, *from),
                        self.port_name(node, *port)
                    ),
                    Learned::TableFull => write!(s, "cannot learn {mac}: MAC table full"),
                    _ => write!(s, "learned {mac} on {}", self.port_name(node, *port)),
                };
            }
            MacAged { mac, port } => {
                let _ = write!(s, "aged out {mac} (was on {})", self.port_name(node, *port));
            }
            Switched {
                in_port,
                id,
                decision,
            } => {
                let _ = write!(s, "{id} from {}: ", self.port_name(node, *in_port));
                let _ = match decision {
                    Forwarding::Unicast(p) => {
                        write!(s, "forward to {} (known address)", self.port_name(node, *p))
                    }
                    Forwarding::Flood {
                        unknown_unicast: true,
                    } => {
                        write!(s, "flood to all other ports (unknown destination)")
                    }
                    Forwarding::Flood {
                        unknown_unicast: false,
                    } => {
                        write!(s, "flood to all other ports (broadcast)")
                    }
                    Forwarding::Filter => write!(s, "filter (destination is on the same port)"),
                    Forwarding::Drop(e) => write!(s, "drop: {e}"),
                };
            }
            HubRepeated { in_port, id } => {
                let _ = write!(
                    s,
                    "{id} from {}: repeat to all other ports",
                    self.port_name(node, *in_port)
                );
            }
            Action { index } => {
                let text = self
                    .actions
                    .get(*index as usize)
                    .map_or("?", |a| a.as_str());
                let _ = write!(s, "action: {text}");
            }
            LinkState { link, up } => {
                let _ = write!(
                    s,
                    "link {} {}",
                    self.link_name(*link),
                    if *up { "up" } else { "down" }
                );
            }
        }
        s
    }
}
