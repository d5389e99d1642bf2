//! [`Scenario`]: a validated scenario, the network with its timeline and checks, and what may
//! be asked of it. Loading and running it are `mod.rs`'s and `run`'s.

use super::expect::Check;
use super::network::{LinkSpec, NodeSpec, NodeSpecKind};
use super::timeline::Action;
use crate::sim::Limits;
use crate::time::Instant;
use std::sync::Arc;

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: String,
    pub source: Arc<str>,
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// Run until this time; `None`: until nothing is left to do.
    pub stop: Option<Instant>,
    pub limits: Limits,
    pub nodes: Vec<NodeSpec>,
    pub links: Vec<LinkSpec>,
    /// Timeline actions in time order (stable for equal times).
    pub actions: Vec<Action>,
    pub checks: Vec<Check>,
}

impl Scenario {
    /// The timeline lines as written, indexed like [`Action::line`] (for trace views).
    pub fn action_texts(&self) -> Vec<String> {
        self.actions.iter().map(|a| a.text.clone()).collect()
    }

    /// The id the node called `name` gets in this scenario's world.
    pub fn node_id(&self, name: &str) -> Option<crate::sim::NodeId> {
        let i = self.nodes.iter().position(|n| n.name == name)?;
        Some(crate::sim::NodeId(i as u32))
    }

    /// The id the link called `name` gets in this scenario's world.
    pub fn link_id(&self, name: &str) -> Option<crate::sim::LinkId> {
        let i = self.links.iter().position(|l| l.name == name)?;
        Some(crate::sim::LinkId(i as u32))
    }

    /// "the nodes are `alice`, `bob`", for an error about a name that is not one (as the
    /// file's own errors say it).
    pub fn the_nodes(&self) -> String {
        super::names::the_nodes(&self.nodes)
    }

    /// "the links are `alice--sw1`", for an error about a name that is not one.
    pub fn the_links(&self) -> String {
        super::names::the_links(&self.links)
    }

    /// Whether the scenario has a `[[tap]]`: it talks to the real kernel and runs only in real
    /// time (`crate::tap::realtime`).
    pub fn has_taps(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n.kind, NodeSpecKind::Tap(_)))
    }
}
