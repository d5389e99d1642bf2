//! From the TOML model to a validated [`Scenario`], and from a scenario to a [`World`].

use super::expect;
use super::model::{self, Sp};
use super::timeline;
use super::{InterfaceSpec, LinkSpec, NodeSpec, NodeSpecKind, Scenario, ScenarioError, Src};
use crate::ethernet::{default_mac, MacAddr};
use crate::filter::Endpoint;
use crate::host::{Host, Interface};
use crate::phy::{Bandwidth, LinkConfig};
use crate::sim::{Limits, NodeKind, World};
use crate::switch::{Hub, MacTableConfig, Switch};
use crate::time::{Duration, Instant};
use crate::trace::Trace;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Words that begin timeline and expectation lines, so no node may be called that.
const RESERVED: &[&str] = &["link", "end", "at", "run", "all", "any", "broadcast"];

/// Names the timeline and expectations may refer to, resolved against the topology.
pub(crate) struct Names<'a> {
    pub nodes: &'a [NodeSpec],
    pub links: &'a [LinkSpec],
}

impl Names<'_> {
    pub fn node(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    pub fn link(&self, name: &str) -> Option<usize> {
        self.links.iter().position(|l| l.name == name)
    }

    pub fn node_list(&self) -> String {
        let v: Vec<_> = self.nodes.iter().map(|n| format!("`{}`", n.name)).collect();
        v.join(", ")
    }

    pub fn link_list(&self) -> String {
        let v: Vec<_> = self.links.iter().map(|l| format!("`{}`", l.name)).collect();
        v.join(", ")
    }

    /// The addresses a node name stands for in a frame filter.
    pub fn endpoint(&self, name: &str) -> Option<Endpoint> {
        let n = &self.nodes[self.node(name)?];
        match &n.kind {
            NodeSpecKind::Host { interfaces } => Some(Endpoint {
                macs: interfaces.iter().map(|i| i.mac).collect(),
                ips: vec![],
            }),
            _ => None,
        }
    }

    /// A host's first MAC address.
    pub fn mac_of(&self, node: usize) -> Option<MacAddr> {
        match &self.nodes[node].kind {
            NodeSpecKind::Host { interfaces } => interfaces.first().map(|i| i.mac),
            _ => None,
        }
    }
}

// ---------- values with units ----------

fn value_text(src: &Src, v: &Sp<toml::Value>, example: &str) -> Result<String, ScenarioError> {
    match v.get_ref() {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Err(src.error(
            v.span(),
            format!(
                "`{n}` has no unit: write it as a string with a unit, such as \"{n}{example}\""
            ),
        )),
        toml::Value::Float(n) => Err(src.error(
            v.span(),
            format!(
                "`{n}` has no unit: write it as a string with a unit, such as \"{n}{example}\""
            ),
        )),
        other => Err(src.error(
            v.span(),
            format!(
                "expected a string with a unit, such as \"10{example}\", found a {}",
                other.type_str()
            ),
        )),
    }
}

pub(crate) fn duration(src: &Src, v: &Sp<toml::Value>) -> Result<Duration, ScenarioError> {
    let text = value_text(src, v, "ms")?;
    Duration::from_str(&text).map_err(|e| src.error(v.span(), e.to_string()))
}

fn bandwidth(src: &Src, v: &Sp<toml::Value>) -> Result<Bandwidth, ScenarioError> {
    let text = value_text(src, v, "Mbps")?;
    Bandwidth::from_str(&text).map_err(|e| src.error(v.span(), e.to_string()))
}

fn positive(src: &Src, v: &Sp<i64>, what: &str, min: i64, max: i64) -> Result<u64, ScenarioError> {
    let n = *v.get_ref();
    if n < min || n > max {
        return Err(src.error(
            v.span(),
            format!("{what} must be between {min} and {max}, found {n}"),
        ));
    }
    Ok(n as u64)
}

fn link_config(
    src: &Src,
    base: &LinkConfig,
    s: &model::LinkSettings,
) -> Result<LinkConfig, ScenarioError> {
    let mut c = base.clone();
    if let Some(v) = &s.bandwidth {
        c.bandwidth = bandwidth(src, v)?;
    }
    if let Some(v) = &s.delay {
        c.delay = duration(src, v)?;
    }
    if let Some(v) = &s.queue {
        c.queue_frames = positive(src, v, "queue (frames that may wait)", 0, 1_000_000)? as usize;
    }
    if let Some(v) = &s.ber {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(src.error(
                v.span(),
                format!("ber is a probability per bit, between 0 and 1 (such as 1e-6), found {p}"),
            ));
        }
        c.bit_error_rate = p;
    }
    if let Some(v) = &s.mtu {
        c.mtu = positive(src, v, "mtu", 68, 9000)? as usize;
    }
    Ok(c)
}

fn check_name(
    src: &Src,
    name: &Sp<String>,
    seen: &mut BTreeMap<String, std::ops::Range<usize>>,
) -> Result<(), ScenarioError> {
    let n = name.get_ref();
    if n.is_empty()
        || !n
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(src.error(
            name.span(),
            format!("`{n}` is not a usable name: use letters, digits, `-` and `_`"),
        ));
    }
    if RESERVED.contains(&n.as_str()) {
        return Err(src.error(
            name.span(),
            format!("`{n}` is a reserved word; choose another name"),
        ));
    }
    if let Some(first) = seen.get(n) {
        let (line, _) = super::error::line_col(&src.text, first.start);
        return Err(src.error(
            name.span(),
            format!("the name `{n}` is already used (line {line})"),
        ));
    }
    seen.insert(n.clone(), name.span());
    Ok(())
}

/// Validates the whole file.
pub(crate) fn validate(src: &Src, mut file: model::File) -> Result<Scenario, ScenarioError> {
    let meta = file.scenario.get_ref();
    let name = match &meta.name {
        Some(n) => n.get_ref().clone(),
        None => std::path::Path::new(&src.path)
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned()),
    };
    let description = meta
        .description
        .as_ref()
        .map_or(String::new(), |d| d.get_ref().trim().to_string());
    let seed = match &meta.seed {
        Some(s) if *s.get_ref() < 0 => {
            return Err(src.error(s.span(), "seed must be zero or positive"));
        }
        Some(s) => *s.get_ref() as u64,
        None => 1,
    };
    let stop = match &meta.stop {
        Some(v) => Some(Instant::ZERO + duration(src, v)?),
        None => None,
    };
    let mut limits = Limits::default();
    if let Some(v) = &meta.max_events {
        limits.max_events = positive(src, v, "max_events", 1, i64::MAX)?;
    }
    if let Some(v) = &meta.max_time {
        limits.max_time = Instant::ZERO + duration(src, v)?;
    }

    let link_defaults = match &file.link_defaults {
        Some(d) => link_config(src, &LinkConfig::default(), d.get_ref())?,
        None => LinkConfig::default(),
    };

    // Nodes, in a fixed order: hosts, switches, hubs (node ids follow this order).
    let mut names = BTreeMap::new();
    let mut nodes = Vec::new();
    let mut port_limit: Vec<Option<(u16, std::ops::Range<usize>)>> = Vec::new();
    let mut serial = 0u32;
    for h in &file.host {
        let h = h.get_ref();
        check_name(src, &h.name, &mut names)?;
        serial += 1;
        let mac = match &h.mac {
            Some(m) => {
                let mac = MacAddr::from_str(m.get_ref()).map_err(|_| {
                    src.error(
                        m.span(),
                        format!(
                            "`{}` is not a MAC address such as 02:00:00:00:00:01",
                            m.get_ref()
                        ),
                    )
                })?;
                if !mac.is_unicast() {
                    return Err(src.error(
                        m.span(),
                        format!("{mac} is a group address; a NIC needs a unicast address"),
                    ));
                }
                mac
            }
            None => default_mac(serial),
        };
        nodes.push(NodeSpec {
            name: h.name.get_ref().clone(),
            kind: NodeSpecKind::Host {
                interfaces: vec![InterfaceSpec {
                    name: "eth0".into(),
                    mac,
                    promiscuous: h.promiscuous,
                }],
            },
        });
        port_limit.push(Some((1, h.name.span())));
    }
    // Every MAC address must be unique, whether written in the file or given by default.
    let mut owners: BTreeMap<MacAddr, usize> = BTreeMap::new();
    for (i, h) in file.host.iter().enumerate() {
        let NodeSpecKind::Host { interfaces } = &nodes[i].kind else {
            continue;
        };
        for iface in interfaces {
            if let Some(&other) = owners.get(&iface.mac) {
                // Point at whichever of the two wrote the address explicitly.
                let at = [i, other]
                    .into_iter()
                    .find_map(|k| file.host[k].get_ref().mac.as_ref().map(|m| m.span()));
                let span = at.unwrap_or_else(|| h.get_ref().name.span());
                return Err(src.error(
                    span,
                    format!(
                        "duplicate MAC address {}: hosts `{}` and `{}` both have it",
                        iface.mac, nodes[other].name, nodes[i].name
                    ),
                ));
            }
            owners.insert(iface.mac, i);
        }
    }
    for s in &file.switch {
        let s = s.get_ref();
        check_name(src, &s.name, &mut names)?;
        let mut table = MacTableConfig::default();
        if let Some(a) = &s.aging {
            table.aging = duration(src, a)?;
        }
        if let Some(t) = &s.table_size {
            table.capacity = positive(src, t, "table_size", 1, 1 << 24)? as usize;
        }
        let limit = match &s.ports {
            Some(p) => Some((positive(src, p, "ports", 1, 4096)? as u16, p.span())),
            None => None,
        };
        nodes.push(NodeSpec {
            name: s.name.get_ref().clone(),
            kind: NodeSpecKind::Switch { ports: 0, table },
        });
        port_limit.push(limit);
    }
    for h in &file.hub {
        let h = h.get_ref();
        check_name(src, &h.name, &mut names)?;
        let limit = match &h.ports {
            Some(p) => Some((positive(src, p, "ports", 1, 4096)? as u16, p.span())),
            None => None,
        };
        nodes.push(NodeSpec {
            name: h.name.get_ref().clone(),
            kind: NodeSpecKind::Hub { ports: 0 },
        });
        port_limit.push(limit);
    }

    // Links: explicit ports first, then "next free port" ends, in file order.
    let mut used: Vec<BTreeMap<u16, String>> = vec![BTreeMap::new(); nodes.len()];
    let mut links = Vec::new();
    let mut link_names = BTreeMap::new();
    struct PendingEnd {
        link: usize,
        side: usize,
        node: usize,
        span: std::ops::Range<usize>,
    }
    let mut pending = Vec::new();
    for l in file.link.iter_mut() {
        let span = l.span();
        let l = l.get_mut();
        let settings = l.take_settings();
        let config = link_config(src, &link_defaults, &settings)?;
        let ends = l.between.get_ref();
        if ends.len() != 2 {
            return Err(src.error(
                l.between.span(),
                format!(
                    "a link joins exactly two ports, found {}: write between = [\"a\", \"b\"]",
                    ends.len()
                ),
            ));
        }
        let mut resolved = [(usize::MAX, u16::MAX); 2];
        for (side, end) in ends.iter().enumerate() {
            let text = end.get_ref();
            let (node_name, port) = match text.split_once(':') {
                Some((n, p)) => (n, Some(p)),
                None => (text.as_str(), None),
            };
            let Some(node) = nodes.iter().position(|n| n.name == node_name) else {
                let known: Vec<_> = nodes.iter().map(|n| format!("`{}`", n.name)).collect();
                return Err(src.error(
                    end.span(),
                    format!(
                        "no node called `{node_name}`; the nodes are {}",
                        known.join(", ")
                    ),
                ));
            };
            resolved[side].0 = node;
            let port = match (&nodes[node].kind, port) {
                (NodeSpecKind::Host { interfaces }, Some(p)) => match interfaces.iter().position(|i| i.name == p) {
                    Some(i) => Some(i as u16),
                    None => {
                        let names: Vec<_> = interfaces.iter().map(|i| format!("`{}`", i.name)).collect();
                        return Err(src.error(
                            end.span(),
                            format!("host `{node_name}` has no interface `{p}`; it has {}", names.join(", ")),
                        ));
                    }
                },
                (NodeSpecKind::Host { .. }, None) => None,
                (_, Some(p)) => match p.parse::<u16>() {
                    Ok(n) if n >= 1 => {
                        if let Some((limit, _)) = &port_limit[node] {
                            if n > *limit {
                                return Err(src.error(
                                    end.span(),
                                    format!("`{node_name}` has ports 1 to {limit}; there is no port {n}"),
                                ));
                            }
                        }
                        Some(n - 1)
                    }
                    _ => {
                        return Err(src.error(
                            end.span(),
                            format!("`{p}` is not a port number of `{node_name}` (ports are numbered from 1)"),
                        ))
                    }
                },
                (_, None) => None,
            };
            match port {
                Some(p) => {
                    if let Some(other) = used[node].get(&p) {
                        return Err(src.error(
                            end.span(),
                            format!(
                                "{} of `{node_name}` is already used by link `{other}`",
                                port_label(&nodes[node], p)
                            ),
                        ));
                    }
                    resolved[side].1 = p;
                }
                None => pending.push(PendingEnd {
                    link: links.len(),
                    side,
                    node,
                    span: end.span(),
                }),
            }
            // Reserve explicit ports now, with a placeholder name fixed below.
            if let Some(p) = port {
                used[node].insert(p, String::new());
            }
        }
        let name = match &l.name {
            Some(n) => {
                check_name(src, n, &mut link_names)?;
                n.get_ref().clone()
            }
            None => {
                let base = format!(
                    "{}--{}",
                    nodes[resolved[0].0].name, nodes[resolved[1].0].name
                );
                let mut name = base.clone();
                let mut k = 2;
                while link_names.contains_key(&name) {
                    name = format!("{base}#{k}");
                    k += 1;
                }
                link_names.insert(name.clone(), span.clone());
                name
            }
        };
        for (node, port) in resolved {
            if port != u16::MAX {
                used[node].insert(port, name.clone());
            }
        }
        if resolved[0].0 == resolved[1].0
            && resolved[0].1 == resolved[1].1
            && resolved[0].1 != u16::MAX
        {
            return Err(src.error(l.between.span(), "a link cannot join a port to itself"));
        }
        links.push(LinkSpec {
            name,
            ends: resolved,
            config,
        });
    }
    for p in pending {
        let node = &nodes[p.node];
        let next = (0u16..)
            .find(|k| !used[p.node].contains_key(k))
            .unwrap_or(u16::MAX);
        let limit = match &node.kind {
            NodeSpecKind::Host { interfaces } => Some(interfaces.len() as u16),
            _ => port_limit[p.node].as_ref().map(|(l, _)| *l),
        };
        if limit.is_some_and(|l| next >= l) {
            let msg = match &node.kind {
                NodeSpecKind::Host { interfaces } if interfaces.len() == 1 => format!(
                    "host `{}` has one interface, {}, and it is already used by link `{}`",
                    node.name, interfaces[0].name, used[p.node][&0]
                ),
                _ => format!(
                    "`{}` has no free port left (it has {})",
                    node.name,
                    limit.unwrap_or(0)
                ),
            };
            return Err(src.error(p.span, msg));
        }
        used[p.node].insert(next, links[p.link].name.clone());
        links[p.link].ends[p.side].1 = next;
    }
    // Port counts of switches and hubs: as declared, or as many as used.
    for (i, n) in nodes.iter_mut().enumerate() {
        let count = match &port_limit[i] {
            Some((l, _)) => *l,
            None => used[i].keys().next_back().map_or(0, |p| p + 1),
        };
        match &mut n.kind {
            NodeSpecKind::Switch { ports, .. } | NodeSpecKind::Hub { ports } => *ports = count,
            NodeSpecKind::Host { .. } => {}
        }
    }

    let names_ctx = Names {
        nodes: &nodes,
        links: &links,
    };
    let actions = match &file.timeline {
        Some(t) => timeline::parse(src, &names_ctx, &t.get_ref().steps)?,
        None => vec![],
    };
    let checks = match &file.expect {
        Some(e) => expect::parse(src, &names_ctx, &e.get_ref().checks)?,
        None => vec![],
    };
    Ok(Scenario {
        path: src.path.clone(),
        source: src.text.clone(),
        name,
        description,
        seed,
        stop,
        limits,
        nodes,
        links,
        actions,
        checks,
    })
}

/// How a port is named in messages: an interface name or a front-panel number.
pub(crate) fn port_label(node: &NodeSpec, port: u16) -> String {
    match &node.kind {
        NodeSpecKind::Host { interfaces } => interfaces.get(port as usize).map_or_else(
            || format!("interface {port}"),
            |i| format!("interface {}", i.name),
        ),
        _ => format!("port {}", port + 1),
    }
}

/// Builds a fresh world for a scenario.
pub(crate) fn instantiate(scn: &Scenario, seed: u64, trace: Trace) -> World {
    let mut world = World::new(trace);
    world.limits = scn.limits;
    for n in &scn.nodes {
        let (kind, ports) = match &n.kind {
            NodeSpecKind::Host { interfaces } => {
                let ifs = interfaces
                    .iter()
                    .map(|i| Interface {
                        name: i.name.clone(),
                        mac: i.mac,
                        promiscuous: i.promiscuous,
                        up: true,
                    })
                    .collect::<Vec<_>>();
                let count = ifs.len() as u16;
                (NodeKind::Host(Box::new(Host::new(ifs, false))), count)
            }
            NodeSpecKind::Switch { ports, table } => {
                (NodeKind::Switch(Switch::new(*ports, table.clone())), *ports)
            }
            NodeSpecKind::Hub { ports } => (
                NodeKind::Hub(Hub {
                    ports: *ports,
                    repeated: 0,
                }),
                *ports,
            ),
        };
        world.add_node(n.name.clone(), kind, ports);
    }
    for (i, l) in scn.links.iter().enumerate() {
        let a = (crate::sim::NodeId(l.ends[0].0 as u32), l.ends[0].1);
        let b = (crate::sim::NodeId(l.ends[1].0 as u32), l.ends[1].1);
        world.add_link(
            l.name.clone(),
            a,
            b,
            l.config.clone(),
            crate::rng::stream(seed, "link", i as u64),
        );
    }
    for (i, a) in scn.actions.iter().enumerate() {
        world.schedule_script(a.time, i as u32);
    }
    world
}
