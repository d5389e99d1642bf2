//! The names the timeline and expectations refer to (nodes, links, addresses), resolved
//! against the validated topology, and the applications' names as the timeline gives them.

use super::args::{Args, LineCtx};
use super::error::ScenarioError;
use super::network::{host_ifaces, LinkSpec, NodeSpec, NodeSpecKind};
use crate::ethernet::MacAddr;
use crate::filter::Endpoint;
use crate::time::Instant;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// "the nodes are `a`, `b`", for an error about a node name that is none of them (in the
/// file or on the command line).
pub(crate) fn the_nodes(nodes: &[NodeSpec]) -> String {
    if nodes.is_empty() {
        return "the file has no nodes ([[host]], [[switch]], [[hub]])".into();
    }
    let v: Vec<_> = nodes.iter().map(|n| format!("`{}`", n.name)).collect();
    format!("the nodes are {}", v.join(", "))
}

/// "the links are `a--b`", for an error about a link name that is none of them.
pub(crate) fn the_links(links: &[LinkSpec]) -> String {
    if links.is_empty() {
        return "the file has no links ([[link]])".into();
    }
    let v: Vec<_> = links.iter().map(|l| format!("`{}`", l.name)).collect();
    format!("the links are {}", v.join(", "))
}

/// Names the timeline and expectations may refer to, resolved against the topology.
pub(crate) struct Names<'a> {
    pub nodes: &'a [NodeSpec],
    pub links: &'a [LinkSpec],
    /// The scenario's stop time: nothing can happen, and nothing can be checked, after it.
    pub stop: Option<Instant>,
    /// Name → index, so each timeline or expectation line resolves its names in O(log n), not
    /// by a scan (loading 20,000 hosts and lines was quadratic, issue #12).
    node_index: BTreeMap<&'a str, usize>,
    link_index: BTreeMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    pub fn new(nodes: &'a [NodeSpec], links: &'a [LinkSpec], stop: Option<Instant>) -> Self {
        Names {
            nodes,
            links,
            stop,
            node_index: index_by_name(nodes.iter().map(|n| n.name.as_str())),
            link_index: index_by_name(links.iter().map(|l| l.name.as_str())),
        }
    }

    pub fn node(&self, name: &str) -> Option<usize> {
        self.node_index.get(name).copied()
    }

    pub fn link(&self, name: &str) -> Option<usize> {
        self.link_index.get(name).copied()
    }

    /// "the nodes are `a`, `b`", for an error about a name that is none of them.
    pub fn the_nodes(&self) -> String {
        the_nodes(self.nodes)
    }

    /// "the links are `a--b`", for an error about a name that is none of them.
    pub fn the_links(&self) -> String {
        the_links(self.links)
    }

    /// The addresses a node name stands for in a frame filter.
    pub fn endpoint(&self, name: &str) -> Option<Endpoint> {
        let n = &self.nodes[self.node(name)?];
        match &n.kind {
            NodeSpecKind::Host { interfaces, .. } => Some(Endpoint {
                macs: interfaces.iter().map(|i| i.mac).collect(),
                ips: interfaces
                    .iter()
                    .filter_map(|i| i.addr.map(|c| c.addr()))
                    .collect(),
            }),
            _ => None,
        }
    }

    /// A host's first MAC address.
    pub fn mac_of(&self, node: usize) -> Option<MacAddr> {
        host_ifaces(&self.nodes[node]).first().map(|i| i.mac)
    }

    /// A host's first IP address: what its name resolves to (the scenario's hosts table).
    pub fn ip_of(&self, node: usize) -> Option<Ipv4Addr> {
        host_ifaces(&self.nodes[node])
            .iter()
            .find_map(|i| i.addr.map(|c| c.addr()))
    }

    /// The host that has `ip` on one of its interfaces (reverse lookup in the hosts table).
    pub fn host_with_ip(&self, ip: Ipv4Addr) -> Option<&str> {
        self.nodes
            .iter()
            .find(|n| {
                host_ifaces(n)
                    .iter()
                    .any(|i| i.addr.is_some_and(|c| c.addr() == ip))
            })
            .map(|n| n.name.as_str())
    }

    /// A host name or an IPv4 address, as a destination.
    pub fn resolve_ip(&self, text: &str) -> Option<Ipv4Addr> {
        Ipv4Addr::from_str(text)
            .ok()
            .or_else(|| self.node(text).and_then(|n| self.ip_of(n)))
    }
}

/// Name → position of its first occurrence (as a scan would find it).
pub(super) fn index_by_name<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut index = BTreeMap::new();
    for (i, n) in names.enumerate() {
        index.entry(n).or_insert(i);
    }
    index
}

/// Application names with their node and kind. Derefs to the map for lookups; new names go
/// through [`AppNames::insert`], and generated names (`ping1`, `ping2`…) continue from a counter
/// per prefix, so naming the n-th application is not a search over the n−1 before it.
#[derive(Debug, Default)]
pub(crate) struct AppNames {
    names: BTreeMap<String, (usize, &'static str)>,
    next: BTreeMap<String, u64>,
}

impl AppNames {
    pub fn new() -> Self {
        AppNames::default()
    }

    pub fn insert(&mut self, name: String, value: (usize, &'static str)) {
        self.names.insert(name, value);
    }

    /// `PREFIXk` for the smallest k, from the last one given, that names nothing yet.
    fn generate(&mut self, prefix: &str) -> String {
        let k = self.next.entry(prefix.to_string()).or_insert(1);
        loop {
            let name = format!("{prefix}{k}");
            *k += 1;
            if !self.names.contains_key(&name) {
                return name;
            }
        }
    }
}

impl std::ops::Deref for AppNames {
    type Target = BTreeMap<String, (usize, &'static str)>;
    fn deref(&self) -> &Self::Target {
        &self.names
    }
}

/// The name an application goes by: `as=NAME`, or `PREFIX1`, `PREFIX2`… Registers it with its
/// `kind` (which decides the counters expectations may name).
pub(crate) fn app_name(
    ctx: &LineCtx,
    names: &Names,
    args: &mut Args,
    prefix: &str,
    kind: &'static str,
    node: usize,
    apps: &mut AppNames,
) -> Result<String, ScenarioError> {
    let name = match args.take("as") {
        Some(w) => {
            if names.node(&w.value).is_some()
                || names.link(&w.value).is_some()
                || apps.contains_key(&w.value)
            {
                return Err(ctx.err(
                    w.value_span.clone(),
                    format!("the name `{}` is already used", w.value),
                ));
            }
            if w.value.contains('.') || w.value.is_empty() {
                return Err(ctx.err(w.value_span.clone(), "an application name has no dots"));
            }
            w.value
        }
        None => apps.generate(prefix),
    };
    apps.insert(name.clone(), (node, kind));
    Ok(name)
}
