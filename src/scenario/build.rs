//! From the TOML model to a validated [`Scenario`], and from a scenario to a [`World`].

use super::expect;
use super::model::{self, Sp};
use super::timeline;
use super::{
    host_ifaces, InterfaceSpec, LinkSpec, NodeSpec, NodeSpecKind, Scenario, ScenarioError, Src,
};
use crate::arp::ArpConfig;
use crate::ethernet::{default_mac, MacAddr};
use crate::filter::Endpoint;
use crate::host::{Host, HostConfig, Interface};
use crate::ip::{Ipv4Cidr, Route, RoutingTable};
use crate::phy::{Bandwidth, LinkConfig};
use crate::sim::{Limits, NodeKind, World};
use crate::switch::{Hub, MacTableConfig, Switch};
use crate::tcp::congestion::Algorithm;
use crate::time::{Duration, Instant};
use crate::trace::Trace;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// Words that begin timeline and expectation lines, so no node may be called that.
const RESERVED: &[&str] = &["link", "end", "at", "run", "all", "any", "broadcast"];

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
        if self.nodes.is_empty() {
            return "the file has no nodes ([[host]], [[switch]], [[hub]])".into();
        }
        let v: Vec<_> = self.nodes.iter().map(|n| format!("`{}`", n.name)).collect();
        format!("the nodes are {}", v.join(", "))
    }

    /// "the links are `a--b`", for an error about a name that is none of them.
    pub fn the_links(&self) -> String {
        if self.links.is_empty() {
            return "the file has no links ([[link]])".into();
        }
        let v: Vec<_> = self.links.iter().map(|l| format!("`{}`", l.name)).collect();
        format!("the links are {}", v.join(", "))
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

// ---------- values with units ----------

/// Name → position of its first occurrence (as a scan would find it).
fn index_by_name<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut index = BTreeMap::new();
    for (i, n) in names.enumerate() {
        index.entry(n).or_insert(i);
    }
    index
}

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
    if let Some(v) = &s.loss {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(src.error(
                v.span(),
                format!("loss is a probability per frame, between 0 and 1 (such as 0.01 for 1 %), found {p}"),
            ));
        }
        c.loss = p;
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
/// The most ports a switch or hub may have (`ports = …`, or the highest port a link names).
const MAX_PORTS: u16 = 4096;

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

    // Nodes, in a fixed order: hosts, routers, switches, hubs (node ids follow this order).
    let mut names = BTreeMap::new();
    let mut nodes = Vec::new();
    let mut port_limit: Vec<Option<(u16, std::ops::Range<usize>)>> = Vec::new();
    let mut addrs = AddressBook::default();
    for h in &file.host {
        let h = h.get_ref();
        check_name(src, &h.name, &mut names)?;
        let ifaces = match &h.interfaces {
            Some(list) => {
                for (k, v) in [("ip", &h.ip), ("mask", &h.mask), ("mac", &h.mac)] {
                    if let Some(v) = v {
                        return Err(src.error(
                            v.span(),
                            format!(
                                "`{k}` goes inside `interfaces` when the host lists its interfaces"
                            ),
                        ));
                    }
                }
                list.iter().map(|i| i.get_ref().into()).collect()
            }
            None => vec![InterfaceInput {
                name: None,
                ip: h.ip.as_ref(),
                mask: h.mask.as_ref(),
                mac: h.mac.as_ref(),
                vlan: None,
                helper: None,
            }],
        };
        let ttl = match &h.ttl {
            Some(t) => positive(src, t, "ttl", 1, 255)? as u8,
            None => 64,
        };
        let dhcp_ip = ifaces
            .iter()
            .filter_map(|i| i.ip)
            .find(|ip| ip.get_ref().trim() == "dhcp");
        let spec = build_host(
            src,
            &mut addrs,
            &h.name,
            ifaces,
            &h.routes,
            h.gateway.as_ref(),
            h.promiscuous,
            false,
            ttl,
            tcp_config(src, h.tcp.as_ref())?,
        )?;
        if let (Some(ip), None) = (dhcp_ip, stop) {
            return Err(super::dhcp::needs_stop(src, ip));
        }
        let mut spec = with_dhcp_pools(src, spec, &h.dhcp_pools)?;
        if let NodeSpecKind::Host { services, .. } = &mut spec.kind {
            services.dns = super::dns::server(src, h.dns.as_ref())?;
            services.dns_zone = super::dns::zone(src, &h.dns_zone)?;
        }
        port_limit.push(Some((host_ifaces(&spec).len() as u16, h.name.span())));
        nodes.push(spec);
    }
    for r in &file.router {
        let r = r.get_ref();
        check_name(src, &r.name, &mut names)?;
        if r.interfaces.is_empty() {
            return Err(src.error(
                r.name.span(),
                "a router needs at least one entry in `interfaces`",
            ));
        }
        let ifaces = r.interfaces.iter().map(|i| i.get_ref().into()).collect();
        let spec = build_host(
            src,
            &mut addrs,
            &r.name,
            ifaces,
            &r.routes,
            r.gateway.as_ref(),
            false,
            true,
            64,
            tcp_config(src, r.tcp.as_ref())?,
        )?;
        let spec = with_dhcp_pools(src, spec, &r.dhcp_pools)?;
        port_limit.push(Some((host_ifaces(&spec).len() as u16, r.name.span())));
        nodes.push(spec);
    }
    // Spanning tree: each switch's explicit `stp`, else decided once the links are known.
    let mut stp_wanted: Vec<(usize, Option<bool>)> = Vec::new();
    for (switch_index, s) in file.switch.iter().enumerate() {
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
            Some(p) => Some((
                positive(src, p, "ports", 1, i64::from(MAX_PORTS))? as u16,
                p.span(),
            )),
            None => None,
        };
        let stp = stp_config(src, s, switch_index as u32)?;
        let vlans = vlan_config(src, s)?;
        stp_wanted.push((nodes.len(), s.stp.as_ref().map(|b| *b.get_ref())));
        nodes.push(NodeSpec {
            name: s.name.get_ref().clone(),
            kind: NodeSpecKind::Switch {
                ports: 0,
                table,
                stp: Some(stp),
                vlans,
            },
        });
        port_limit.push(limit);
    }
    for h in &file.hub {
        let h = h.get_ref();
        check_name(src, &h.name, &mut names)?;
        let limit = match &h.ports {
            Some(p) => Some((
                positive(src, p, "ports", 1, i64::from(MAX_PORTS))? as u16,
                p.span(),
            )),
            None => None,
        };
        nodes.push(NodeSpec {
            name: h.name.get_ref().clone(),
            kind: NodeSpecKind::Hub {
                ports: 0,
                half_duplex: h.half_duplex.as_ref().is_some_and(|b| *b.get_ref()),
            },
        });
        port_limit.push(limit);
    }
    // TAPs last (node ids of the other kinds do not move); each brings its cable.
    let mut netns_seen = BTreeMap::new();
    for t in file.tap.iter_mut() {
        check_name(src, &t.get_ref().name, &mut names)?;
        if let Some(ns) = &t.get_ref().netns {
            check_name(src, ns, &mut netns_seen)?;
        }
        let name_span = t.get_ref().name.span();
        let (node, link) = super::taps::build(src, t)?;
        nodes.push(node);
        port_limit.push(Some((1, name_span)));
        file.link.push(Sp::new(t.span(), link));
    }

    // Links: explicit ports first, then "next free port" ends, in file order.
    let mut used: Vec<BTreeMap<u16, String>> = vec![BTreeMap::new(); nodes.len()];
    // A VLAN sub-interface rides on its parent's cable: its own port never takes one.
    for (i, n) in nodes.iter().enumerate() {
        for (k, f) in host_ifaces(n).iter().enumerate() {
            if let Some((parent, _)) = f.vlan {
                let parent = &host_ifaces(n)[usize::from(parent)].name;
                used[i].insert(
                    k as u16,
                    format!("{parent} (a VLAN sub-interface uses its parent's cable)"),
                );
            }
        }
    }
    let mut links = Vec::new();
    let mut link_names = BTreeMap::new();
    struct PendingEnd {
        link: usize,
        side: usize,
        node: usize,
        span: std::ops::Range<usize>,
    }
    let mut pending = Vec::new();
    let node_index: BTreeMap<String, usize> = index_by_name(nodes.iter().map(|n| n.name.as_str()))
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for l in file.link.iter_mut() {
        let span = l.span();
        let l = l.get_mut();
        let settings = l.take_settings();
        let config = link_config(src, &link_defaults, &settings)?;
        let shared = super::media::link_medium(src, l.medium.as_ref())?;
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
            let Some(&node) = node_index.get(node_name) else {
                let known: Vec<_> = nodes.iter().map(|n| format!("`{}`", n.name)).collect();
                let the_nodes = if known.is_empty() {
                    "the file has no nodes ([[host]], [[switch]], [[hub]])".to_string()
                } else {
                    format!("the nodes are {}", known.join(", "))
                };
                return Err(src.error(
                    end.span(),
                    format!("no node called `{node_name}`; {the_nodes}"),
                ));
            };
            resolved[side].0 = node;
            let port = match (&nodes[node].kind, port) {
                (NodeSpecKind::Host { interfaces, .. }, Some(p)) => match interfaces.iter().position(|i| i.name == p) {
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
                        } else if n > MAX_PORTS {
                            // Without `ports`, a switch has as many ports as its highest one
                            // used: the same bound as `ports` keeps a typo from making a
                            // 65,535-port switch.
                            return Err(src.error(
                                end.span(),
                                format!("a switch or hub has at most {MAX_PORTS} ports; there is no port {n}"),
                            ));
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
                        if other.is_empty() {
                            // The placeholder of this link's own other end.
                            return Err(
                                src.error(l.between.span(), "a link cannot join a port to itself")
                            );
                        }
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
            shared,
        });
    }
    // Ports are only ever taken, so a node's lowest free port never moves down: each search
    // starts where the last one ended (a 5,000-port switch was a quadratic search).
    let mut lowest_free = vec![0u16; nodes.len()];
    for p in pending {
        let node = &nodes[p.node];
        let next = (lowest_free[p.node]..)
            .find(|k| !used[p.node].contains_key(k))
            .unwrap_or(u16::MAX);
        lowest_free[p.node] = next;
        let limit = match &node.kind {
            NodeSpecKind::Host { interfaces, .. } => Some(interfaces.len() as u16),
            _ => port_limit[p.node].as_ref().map(|(l, _)| *l),
        };
        if limit.is_some_and(|l| next >= l) {
            if used[p.node].values().any(|l| *l == links[p.link].name) {
                // The only free port went to this link's other end.
                let between = file.link[p.link].get_ref().between.span();
                return Err(src.error(between, "a link cannot join a port to itself"));
            }
            let msg = match &node.kind {
                NodeSpecKind::Host { interfaces, .. } if interfaces.len() == 1 => format!(
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
    // A host plugged into nothing can only talk to itself: fine when it is alone (the loopback
    // lessons), a forgotten [[link]] otherwise, which would show only at run time as "No route
    // to host".
    if nodes.len() > 1 {
        for (i, n) in nodes.iter().enumerate() {
            if let (NodeSpecKind::Host { .. }, true, Some((_, span))) =
                (&n.kind, used[i].is_empty(), &port_limit[i])
            {
                return Err(src.error(
                    span.clone(),
                    format!(
                        "`{0}` is plugged into no link: add a [[link]] with between = [\"{0}\", …] \
                         (only a host alone in its scenario may have none)",
                        n.name
                    ),
                ));
            }
        }
    }
    super::media::check(src, &file, &nodes, &links)?;
    let looped = switches_in_loops(&nodes, &links);
    for (i, explicit) in stp_wanted {
        if !explicit.unwrap_or(looped[i]) {
            if let NodeSpecKind::Switch { stp, .. } = &mut nodes[i].kind {
                *stp = None;
            }
        }
    }
    // Port counts of switches and hubs: as declared, or as many as used.
    for (i, n) in nodes.iter_mut().enumerate() {
        let count = match &port_limit[i] {
            Some((l, _)) => *l,
            None => used[i].keys().next_back().map_or(0, |p| p + 1),
        };
        match &mut n.kind {
            NodeSpecKind::Switch { ports, .. } | NodeSpecKind::Hub { ports, .. } => *ports = count,
            NodeSpecKind::Host { .. } | NodeSpecKind::Tap(_) => {}
        }
    }

    let names_ctx = Names::new(&nodes, &links, stop);
    let mut apps = timeline::AppNames::new();
    let actions = match &file.timeline {
        Some(t) => timeline::parse(src, &names_ctx, &t.get_ref().steps, &mut apps)?,
        None => vec![],
    };
    let checks = match &file.expect {
        Some(e) => expect::parse(src, &names_ctx, &e.get_ref().checks, &apps)?,
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

/// A switch's spanning tree settings (used if it runs STP). Its bridge address is `mac`, or
/// `02:4e:4c:b0:00:NN` for the NN-th switch of the file (`b0` for bridge: no host's default).
fn stp_config(
    src: &Src,
    s: &model::SwitchTable,
    index: u32,
) -> Result<crate::switch::stp::StpConfig, ScenarioError> {
    let mac = match &s.mac {
        Some(m) => unicast_mac(src, m, "a bridge")?,
        None => default_mac(0x00b0_0000 + index + 1),
    };
    let mut cfg = crate::switch::stp::StpConfig::new(mac);
    if let Some(p) = &s.priority {
        cfg.priority = positive(src, p, "priority", 0, 65535)? as u16;
    }
    // 802.1D-1998 table 8-3 ranges: hello 1–10 s, max age 6–40 s, forward delay 4–30 s.
    for (v, slot, what, lo, hi) in [
        (&s.hello_time, &mut cfg.hello_time, "hello_time", 1, 10),
        (&s.max_age, &mut cfg.max_age, "max_age", 6, 40),
        (
            &s.forward_delay,
            &mut cfg.forward_delay,
            "forward_delay",
            4,
            30,
        ),
    ] {
        if let Some(v) = v {
            let d = duration(src, v)?;
            if d < Duration::from_secs(lo) || d > Duration::from_secs(hi) {
                return Err(src.error(
                    v.span(),
                    format!("{what} must be between {lo}s and {hi}s (IEEE 802.1D), found {d}"),
                ));
            }
            *slot = d;
        }
    }
    Ok(cfg)
}

/// A switch's `access = { PORT = VLAN }` and `trunk = { PORT = [VLAN, …] }` (ports 1-based).
fn vlan_config(
    src: &Src,
    s: &model::SwitchTable,
) -> Result<Option<Vec<(u16, crate::switch::PortVlan)>>, ScenarioError> {
    use crate::switch::PortVlan;
    if s.access.is_none() && s.trunk.is_none() {
        return Ok(None);
    }
    let vid = |span: std::ops::Range<usize>, v: &toml::Value| -> Result<u16, ScenarioError> {
        match v.as_integer() {
            // 802.1Q: 0 means "no VLAN" (priority tag) and 4095 is reserved.
            Some(n) if (1..=4094).contains(&n) => Ok(n as u16),
            _ => Err(src.error(
                span,
                format!("`{v}` is not a VLAN id: VLANs are numbered 1 to 4094"),
            )),
        }
    };
    let port = |span: std::ops::Range<usize>, k: &str| -> Result<u16, ScenarioError> {
        match k.parse::<u16>() {
            Ok(n) if (1..=MAX_PORTS).contains(&n) => Ok(n - 1),
            _ => Err(src.error(
                span,
                format!("`{k}` is not a port number (ports are numbered from 1)"),
            )),
        }
    };
    let mut out: Vec<(u16, PortVlan)> = Vec::new();
    if let Some(t) = &s.access {
        for (k, v) in t.get_ref() {
            out.push((port(t.span(), k)?, PortVlan::Access(vid(t.span(), v)?)));
        }
    }
    if let Some(t) = &s.trunk {
        for (k, v) in t.get_ref() {
            let p = port(t.span(), k)?;
            if out.iter().any(|(q, _)| *q == p) {
                return Err(src.error(
                    t.span(),
                    format!("port {k} is both an access port and a trunk"),
                ));
            }
            let Some(list) = v.as_array() else {
                return Err(src.error(
                    t.span(),
                    format!(
                        "trunk port {k}: write the VLANs it carries as a list, such as [10, 20]"
                    ),
                ));
            };
            let vids = list
                .iter()
                .map(|x| vid(t.span(), x))
                .collect::<Result<Vec<_>, _>>()?;
            out.push((p, PortVlan::Trunk(vids)));
        }
    }
    out.sort_by_key(|(p, _)| *p);
    Ok(Some(out))
}

/// Which nodes are switches on a loop of switch-to-switch cables (two parallel cables are a
/// loop too): where a broadcast would circle forever without spanning tree.
fn switches_in_loops(nodes: &[NodeSpec], links: &[LinkSpec]) -> Vec<bool> {
    let is_switch = |i: usize| matches!(nodes[i].kind, NodeSpecKind::Switch { .. });
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut cyclic_root = Vec::new();
    for l in links {
        let (a, b) = (l.ends[0].0, l.ends[1].0);
        if !is_switch(a) || !is_switch(b) {
            continue;
        }
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            cyclic_root.push(ra);
        } else {
            parent[ra] = rb;
        }
    }
    let cyclic: Vec<usize> = cyclic_root
        .into_iter()
        .map(|r| find(&mut parent, r))
        .collect();
    (0..nodes.len())
        .map(|i| is_switch(i) && cyclic.contains(&find(&mut parent, i)))
        .collect()
}

/// A host's `tcp = { … }` settings over Linux's defaults.
fn tcp_config(
    src: &Src,
    t: Option<&Sp<model::TcpTable>>,
) -> Result<crate::tcp::TcpConfig, ScenarioError> {
    let Some(t) = t else {
        return Ok(crate::tcp::TcpConfig::default());
    };
    let t = t.get_ref();
    let profile = match &t.profile {
        None => crate::tcp::TcpProfile::Linux,
        Some(p) => crate::tcp::TcpProfile::from_name(p.get_ref()).ok_or_else(|| {
            src.error(
                p.span(),
                format!(
                    "unknown TCP profile {:?}: expected \"linux\" or \"textbook\"",
                    p.get_ref()
                ),
            )
        })?,
    };
    let mut c = crate::tcp::TcpConfig::for_profile(profile);
    if let Some(v) = &t.sack {
        c.sack = *v.get_ref();
    }
    if let Some(v) = &t.timestamps {
        c.timestamps = *v.get_ref();
    }
    if let Some(v) = &t.syn_linear_timeouts {
        c.syn_linear_timeouts = positive(src, v, "syn_linear_timeouts", 0, 255)? as u32;
    }
    if let Some(v) = &t.mss {
        c.mss = positive(src, v, "mss", 64, 65_495)? as u16;
    }
    if let Some(v) = &t.send_buffer {
        c.send_buffer_size = positive(src, v, "send_buffer (bytes)", 1, 1 << 30)? as usize;
    }
    if let Some(v) = &t.recv_buffer {
        c.recv_buffer_size = positive(src, v, "recv_buffer (bytes)", 1, 1 << 30)? as usize;
    }
    for (v, field) in [
        (&t.initial_rto, &mut c.initial_rto),
        (&t.min_rto, &mut c.min_rto),
        (&t.max_rto, &mut c.max_rto),
        (&t.delayed_ack, &mut c.delayed_ack),
        (&t.time_wait, &mut c.time_wait),
    ] {
        if let Some(v) = v {
            *field = duration(src, v)?;
        }
    }
    if let (Some(lo), Some(hi)) = (&t.min_rto, &t.max_rto) {
        if c.min_rto > c.max_rto {
            return Err(src.error(lo.span().start..hi.span().end, "min_rto is above max_rto"));
        }
    }
    for (v, what, field) in [
        (&t.syn_retries, "syn_retries", &mut c.syn_retries),
        (&t.synack_retries, "synack_retries", &mut c.synack_retries),
        (&t.retries, "retries", &mut c.data_retries),
        (&t.quick_acks, "quick_acks", &mut c.quick_acks),
    ] {
        if let Some(v) = v {
            *field = positive(src, v, what, 0, 255)? as u32;
        }
    }
    if let Some(v) = &t.initial_cwnd {
        c.initial_cwnd_segments = positive(src, v, "initial_cwnd (segments)", 1, 1000)? as u32;
    }
    if let Some(v) = &t.nagle {
        c.nagle = *v.get_ref();
    }
    if let Some(v) = &t.window_scaling {
        c.window_scaling = *v.get_ref();
    }
    if let Some(v) = &t.congestion {
        c.congestion = Algorithm::from_name(v.get_ref()).ok_or_else(|| {
            src.error(
                v.span(),
                format!(
                    "unknown congestion control `{}`: expected \"cubic\" or \"reno\"",
                    v.get_ref()
                ),
            )
        })?;
    }
    if let Some(v) = &t.syncookies {
        c.syncookies = *v.get_ref();
    }
    if let Some(v) = &t.fin_timeout {
        c.fin_timeout = duration(src, v)?;
    }
    Ok(c)
}

/// One interface as written, before validation.
struct InterfaceInput<'a> {
    name: Option<&'a Sp<String>>,
    ip: Option<&'a Sp<String>>,
    mask: Option<&'a Sp<String>>,
    mac: Option<&'a Sp<String>>,
    vlan: Option<&'a Sp<i64>>,
    helper: Option<&'a Sp<String>>,
}

impl<'a> From<&'a model::InterfaceTable> for InterfaceInput<'a> {
    fn from(t: &'a model::InterfaceTable) -> Self {
        InterfaceInput {
            name: t.name.as_ref(),
            ip: t.ip.as_ref(),
            mask: t.mask.as_ref(),
            mac: t.mac.as_ref(),
            vlan: t.vlan.as_ref(),
            helper: t.helper.as_ref(),
        }
    }
}

/// Checks a sub-interface: `vlan = N` on an interface named `PARENT.SOMETHING`, whose parent
/// was listed before it and is not itself a sub-interface. Returns (parent index, VLAN).
fn sub_interface(
    src: &Src,
    v: &Sp<i64>,
    input: &InterfaceInput,
    name: &str,
    interfaces: &[InterfaceSpec],
) -> Result<(u16, u16), ScenarioError> {
    let vid = positive(src, v, "vlan", 1, 4094)? as u16;
    if let Some(m) = input.mac {
        return Err(src.error(
            m.span(),
            "a VLAN sub-interface uses its parent's MAC address: remove `mac`",
        ));
    }
    let parent_name = name.split_once('.').map(|(p, _)| p);
    let parent = parent_name.and_then(|p| {
        interfaces
            .iter()
            .position(|i| i.name == p && i.vlan.is_none())
    });
    match parent {
        Some(i) => Ok((i as u16, vid)),
        None => Err(src.error(
            input.name.map_or(v.span(), |n| n.span()),
            format!(
                "a VLAN sub-interface is named after its parent, listed before it: `eth0.{vid}` \
                 for VLAN {vid} on eth0 (found `{name}`)"
            ),
        )),
    }
}

/// Addresses handed out so far, to catch duplicates and to number default MACs.
#[derive(Default)]
struct AddressBook {
    /// Interfaces created so far (the serial part of default MACs).
    serial: u32,
    /// MAC → (node name, where it was written, if it was).
    macs: BTreeMap<MacAddr, (String, Option<std::ops::Range<usize>>)>,
    /// IP → (node name, where it was written).
    ips: BTreeMap<Ipv4Addr, (String, std::ops::Range<usize>)>,
}

/// Parses `ip` (CIDR, or an address with a dotted `mask`).
fn parse_cidr(
    src: &Src,
    ip: &Sp<String>,
    mask: Option<&Sp<String>>,
) -> Result<Ipv4Cidr, ScenarioError> {
    let text = ip.get_ref().trim();
    if text.contains('/') {
        if let Some(m) = mask {
            return Err(src.error(
                m.span(),
                "the address already has a prefix (/N): give the mask once",
            ));
        }
        return Ipv4Cidr::from_str(text)
            .map_err(|e| src.error(ip.span(), format!("`{text}`: {e}")));
    }
    let addr = Ipv4Addr::from_str(text).map_err(|_| {
        src.error(
            ip.span(),
            format!("`{text}` is not an IPv4 address such as 192.168.1.10/24"),
        )
    })?;
    let Some(m) = mask else {
        return Err(src.error(
            ip.span(),
            format!(
                "`{text}` has no subnet mask: write `{text}/24` or add mask = \"255.255.255.0\""
            ),
        ));
    };
    let mask_addr = Ipv4Addr::from_str(m.get_ref().trim()).map_err(|_| {
        src.error(
            m.span(),
            format!(
                "`{}` is not a dotted mask such as 255.255.255.0",
                m.get_ref()
            ),
        )
    })?;
    Ipv4Cidr::from_netmask(addr, mask_addr).map_err(|e| src.error(m.span(), e.to_string()))
}

/// Parses one route: `DEST via GATEWAY`, `DEST dev IFACE` or `default via GATEWAY`.
pub(crate) fn parse_route(
    src: &Src,
    text: &Sp<String>,
    ifaces: &[InterfaceSpec],
) -> Result<Route, ScenarioError> {
    let words: Vec<&str> = text.get_ref().split_whitespace().collect();
    let bad = || {
        src.error(
            text.span(),
            format!(
                "`{}` is not a route: write \"10.0.3.0/24 via 10.0.2.2\", \"default via 10.0.0.254\" or \"10.0.3.0/24 dev eth1\"",
                text.get_ref()
            ),
        )
    };
    if words.len() != 3 {
        return Err(bad());
    }
    let dest = if words[0] == "default" {
        Ipv4Cidr::default_route()
    } else {
        let c = Ipv4Cidr::from_str(words[0])
            .map_err(|e| src.error(text.span(), format!("`{}`: {e}", words[0])))?;
        if c != c.network() {
            return Err(src.error(
                text.span(),
                format!(
                    "`{}` is not a network: did you mean {}?",
                    words[0],
                    c.network()
                ),
            ));
        }
        c
    };
    match words[1] {
        "via" => {
            let gw = Ipv4Addr::from_str(words[2]).map_err(|_| {
                src.error(
                    text.span(),
                    format!("`{}` is not an IPv4 gateway address", words[2]),
                )
            })?;
            let Some(iface) = ifaces
                .iter()
                .position(|i| i.addr.is_some_and(|c| c.contains(gw)))
            else {
                return Err(src.error(
                    text.span(),
                    format!(
                        "gateway {gw} is not on any of this node's subnets ({})",
                        subnet_list(ifaces)
                    ),
                ));
            };
            Ok(Route::via(dest, gw, iface))
        }
        "dev" => {
            let Some(iface) = ifaces.iter().position(|i| i.name == words[2]) else {
                return Err(src.error(
                    text.span(),
                    format!("this node has no interface `{}`", words[2]),
                ));
            };
            let mut r = Route::connected(dest, iface);
            r.kind = crate::ip::RouteKind::Static;
            Ok(r)
        }
        _ => Err(bad()),
    }
}

fn subnet_list(ifaces: &[InterfaceSpec]) -> String {
    let v: Vec<String> = ifaces
        .iter()
        .filter_map(|i| i.addr.map(|c| c.network().to_string()))
        .collect();
    if v.is_empty() {
        "it has no IP address".into()
    } else {
        v.join(", ")
    }
}

/// Validates a host's or router's interfaces and routes.
#[allow(clippy::too_many_arguments)]
fn build_host(
    src: &Src,
    book: &mut AddressBook,
    name: &Sp<String>,
    inputs: Vec<InterfaceInput>,
    routes: &[Sp<String>],
    gateway: Option<&Sp<String>>,
    promiscuous: bool,
    forwarding: bool,
    ttl: u8,
    tcp: crate::tcp::TcpConfig,
) -> Result<NodeSpec, ScenarioError> {
    let node_name = name.get_ref().clone();
    let mut interfaces: Vec<InterfaceSpec> = Vec::new();
    for (k, input) in inputs.into_iter().enumerate() {
        let iname = match input.name {
            Some(n) => {
                if interfaces.iter().any(|i| &i.name == n.get_ref()) {
                    return Err(src.error(
                        n.span(),
                        format!("`{node_name}` already has an interface `{}`", n.get_ref()),
                    ));
                }
                n.get_ref().clone()
            }
            None => format!("eth{k}"),
        };
        let vlan = match input.vlan {
            Some(v) => Some(sub_interface(src, v, &input, &iname, &interfaces)?),
            None => None,
        };
        let mac = match (input.mac, vlan) {
            // A VLAN sub-interface is its parent's NIC: the same address (as Linux's 8021q).
            (_, Some((parent, _))) => interfaces[usize::from(parent)].mac,
            (Some(m), None) => unicast_mac(src, m, "a NIC")?,
            (None, None) => default_mac(book.serial + 1),
        };
        let written = input.mac.map(|m| m.span());
        if vlan.is_none() {
            book.serial += 1;
        }
        if let Some((other, other_span)) = book.macs.get(&mac).filter(|_| vlan.is_none()) {
            let span = written
                .clone()
                .or(other_span.clone())
                .unwrap_or(name.span());
            let who = if *other == node_name {
                "another of its interfaces".to_string()
            } else {
                format!("`{other}`")
            };
            return Err(src.error(
                span,
                format!("duplicate MAC address {mac}: {who} has it too"),
            ));
        }
        book.macs.insert(mac, (node_name.clone(), written));
        let dhcp = input.ip.is_some_and(|ip| ip.get_ref().trim() == "dhcp");
        if let (true, Some(ip)) = (dhcp && forwarding, input.ip) {
            return Err(src.error(
                ip.span(),
                "a router's interfaces need fixed addresses, not DHCP",
            ));
        }
        let helper = super::dhcp::helper(src, input.helper, forwarding)?;
        let addr = match input.ip {
            Some(_) if dhcp => {
                if let Some(m) = input.mask {
                    return Err(src.error(m.span(), "the mask comes from DHCP with the address"));
                }
                None
            }
            Some(ip) => {
                let c = parse_cidr(src, ip, input.mask)?;
                if c.prefix_len() < 31
                    && (c.addr() == c.network_addr() || Some(c.addr()) == c.broadcast())
                {
                    let what = if c.addr() == c.network_addr() {
                        "network"
                    } else {
                        "broadcast"
                    };
                    return Err(src.error(
                        ip.span(),
                        format!(
                            "{} is the {what} address of {}: an interface needs a host address",
                            c.addr(),
                            c.network()
                        ),
                    ));
                }
                if let Some((owner, at)) = book.ips.get(&c.addr()) {
                    let (line, _) = super::error::line_col(&src.text, at.start);
                    return Err(src.error(
                        ip.span(),
                        format!(
                            "duplicate IP address {}: `{owner}` has it too (line {line})",
                            c.addr()
                        ),
                    ));
                }
                if let Some(other) = interfaces
                    .iter()
                    .find(|i| i.addr.is_some_and(|o| o.network() == c.network()))
                {
                    return Err(src.error(
                        ip.span(),
                        format!("{} is on the same subnet as interface {}: each interface needs its own subnet", c, other.name),
                    ));
                }
                book.ips.insert(c.addr(), (node_name.clone(), ip.span()));
                Some(c)
            }
            None => {
                if let Some(m) = input.mask {
                    return Err(src.error(m.span(), "a mask without an ip: add ip = \"…\""));
                }
                None
            }
        };
        interfaces.push(InterfaceSpec {
            name: iname,
            mac,
            promiscuous,
            addr,
            vlan,
            dhcp,
            helper,
        });
    }
    // Routes are checked against a real table so the rules (gateway on-link, no duplicates)
    // are the ones the host will apply.
    let mut table = RoutingTable::new();
    for (i, iface) in interfaces.iter().enumerate() {
        if let Some(c) = iface.addr {
            let _ = table.add_connected(c.network(), i);
        }
    }
    let mut extra = Vec::new();
    if let Some(gw) = gateway {
        let g = Ipv4Addr::from_str(gw.get_ref().trim()).map_err(|_| {
            src.error(
                gw.span(),
                format!("`{}` is not an IPv4 address", gw.get_ref()),
            )
        })?;
        let Some(iface) = interfaces
            .iter()
            .position(|i| i.addr.is_some_and(|c| c.contains(g)))
        else {
            return Err(src.error(
                gw.span(),
                format!("gateway {g} is outside `{node_name}`'s subnet ({}): a gateway must be on a local network", subnet_list(&interfaces)),
            ));
        };
        if interfaces[iface].addr.is_some_and(|c| c.addr() == g) {
            return Err(src.error(
                gw.span(),
                format!("{g} is `{node_name}`'s own address, not a gateway"),
            ));
        }
        let r = Route::default_via(g, iface);
        table
            .add(r)
            .map_err(|e| src.error(gw.span(), e.to_string()))?;
        extra.push(r);
    }
    for text in routes {
        let r = parse_route(src, text, &interfaces)?;
        table
            .add(r)
            .map_err(|e| src.error(text.span(), e.to_string()))?;
        extra.push(r);
    }
    Ok(NodeSpec {
        name: node_name,
        kind: NodeSpecKind::Host {
            interfaces,
            routes: extra,
            forwarding,
            ttl,
            tcp: Box::new(tcp),
            services: Box::default(),
        },
    })
}

/// Adds a host's DHCP server pools to its spec.
fn with_dhcp_pools(
    src: &Src,
    mut spec: NodeSpec,
    tables: &[Sp<model::DhcpPoolTable>],
) -> Result<NodeSpec, ScenarioError> {
    if let NodeSpecKind::Host {
        interfaces,
        services,
        ..
    } = &mut spec.kind
    {
        services.dhcp_pools = super::dhcp::pools(src, tables, interfaces)?;
    }
    Ok(spec)
}

/// How a port is named in messages: an interface name or a front-panel number.
pub(crate) fn port_label(node: &NodeSpec, port: u16) -> String {
    match &node.kind {
        NodeSpecKind::Host { interfaces, .. } => interfaces.get(port as usize).map_or_else(
            || format!("interface {port}"),
            |i| format!("interface {}", i.name),
        ),
        _ => format!("port {}", port + 1),
    }
}

/// Gives a host its DHCP client (one stream per host: xid, start delay), relay and server.
fn add_dhcp_roles(
    host: &mut Host,
    interfaces: &[InterfaceSpec],
    pools: &[crate::dhcp::Pool],
    seed: u64,
    index: usize,
) {
    for (i, spec) in interfaces.iter().enumerate() {
        if spec.dhcp {
            let rng = crate::rng::stream(seed, "dhcp", index as u64 * 64 + i as u64);
            let client = crate::dhcp::DhcpClient::new(spec.mac, Instant::ZERO, rng);
            host.dhcp_mut().clients.push((i as u16, client));
        }
        if let Some(h) = spec.helper {
            host.dhcp_mut().helpers.push((i as u16, h));
        }
    }
    if !pools.is_empty() {
        host.dhcp_mut().server = Some(crate::dhcp::DhcpServer::new(pools.to_vec()));
    }
}

/// Gives a host its resolver (configured, or waiting for a DHCP lease to name a server) and
/// its DNS server. Hosts with neither keep reading the hosts table.
fn add_dns_roles(
    host: &mut Host,
    interfaces: &[InterfaceSpec],
    services: &super::HostServices,
    seed: u64,
    index: usize,
) {
    let dhcp = interfaces.iter().any(|i| i.dhcp);
    if services.dns.is_none() && !dhcp && services.dns_zone.is_empty() {
        return;
    }
    let zone = (!services.dns_zone.is_empty()).then(|| crate::dns::Zone {
        records: services.dns_zone.clone(),
    });
    let server = services.dns.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    host.set_dns(server, crate::rng::stream(seed, "dns", index as u64), zone);
}

/// Builds a fresh world for a scenario.
pub(crate) fn instantiate(scn: &Scenario, seed: u64, trace: Trace) -> World {
    let trace_on = trace.on();
    let mut world = World::new(trace);
    world.limits = scn.limits;
    world.seed = seed;
    for (index, n) in scn.nodes.iter().enumerate() {
        let (kind, ports) = match &n.kind {
            NodeSpecKind::Host {
                interfaces,
                routes,
                forwarding,
                ttl,
                tcp,
                services,
            } => {
                let ifs = interfaces
                    .iter()
                    .map(|i| Interface {
                        vlan: i.vlan,
                        name: i.name.clone(),
                        mac: i.mac,
                        promiscuous: i.promiscuous,
                        up: true,
                        addr: i.addr,
                        mtu: 1500,
                    })
                    .collect::<Vec<_>>();
                let count = ifs.len() as u16;
                let config = HostConfig {
                    ttl: *ttl,
                    tcp: (**tcp).clone(),
                    arp: ArpConfig {
                        trace: trace_on,
                        ..ArpConfig::default()
                    },
                    ..HostConfig::default()
                };
                let mut host = Host::with_config(ifs, *forwarding, config);
                // Each host its own stream (ISNs, ephemeral ports), derived from the seed.
                host.seed(crate::rng::stream(seed, "host", index as u64));
                for r in routes {
                    // Validated against the same rules when the scenario was loaded.
                    let _ = host.routes.add(*r);
                }
                add_dhcp_roles(&mut host, interfaces, &services.dhcp_pools, seed, index);
                add_dns_roles(&mut host, interfaces, services, seed, index);
                (NodeKind::Host(Box::new(host)), count)
            }
            NodeSpecKind::Switch {
                ports,
                table,
                stp,
                vlans,
            } => {
                let mut sw = Switch::new(*ports, table.clone());
                if let Some(v) = vlans {
                    let mut list = Vec::new();
                    for (p, pv) in v {
                        if usize::from(*p) >= list.len() {
                            list.resize(usize::from(*p) + 1, crate::switch::PortVlan::Access(1));
                        }
                        list[usize::from(*p)] = pv.clone();
                    }
                    sw = sw.with_vlans(list);
                }
                if let Some(cfg) = stp {
                    // A port takes part when a cable is plugged in; its cost is its link's
                    // speed's (802.1D-1998 table 8-5).
                    let mut costs = vec![None; *ports as usize];
                    for l in &scn.links {
                        for (n, p) in l.ends {
                            if n == index {
                                costs[p as usize] =
                                    Some(crate::switch::stp::path_cost(l.config.bandwidth.bps()));
                            }
                        }
                    }
                    let stp = crate::switch::stp::Stp::new(Instant::ZERO, cfg.clone(), &costs);
                    sw = sw.with_stp(stp);
                }
                (NodeKind::Switch(sw), *ports)
            }
            NodeSpecKind::Hub { ports, .. } => (
                NodeKind::Hub(Hub {
                    ports: *ports,
                    repeated: 0,
                    medium: None,
                }),
                *ports,
            ),
            NodeSpecKind::Tap(t) => (NodeKind::Tap(crate::tap::TapPort::new(&t.ifname)), 1),
        };
        let id = world.add_node(n.name.clone(), kind, ports);
        // A DHCP client starts at boot, before any event would wake its host.
        if let NodeKind::Host(h) = &world.node(id).kind {
            if h.dhcp().is_some() {
                world.reschedule_wake(id);
            }
        }
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
    // An interface's MTU is its link's.
    for l in &scn.links {
        for (node, port) in l.ends {
            if let NodeKind::Host(h) = &mut world.node_mut(crate::sim::NodeId(node as u32)).kind {
                if let Some(i) = h.interfaces.get_mut(port as usize) {
                    i.mtu = l.config.mtu;
                }
            }
        }
    }
    super::media::make_shared(&mut world, scn, seed);
    // Switches running spanning tree send their first BPDUs at once.
    for (i, n) in scn.nodes.iter().enumerate() {
        if let NodeSpecKind::Switch { stp: Some(_), .. } = n.kind {
            world.reschedule_wake(crate::sim::NodeId(i as u32));
        }
    }
    for (i, a) in scn.actions.iter().enumerate() {
        world.schedule_script(a.time, i as u32);
    }
    world
}

/// A `mac = "…"` setting: a unicast MAC address, or a located error naming `who` needs one.
fn unicast_mac(src: &Src, m: &Sp<String>, who: &str) -> Result<MacAddr, ScenarioError> {
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
            format!("{mac} is a group address; {who} needs a unicast address"),
        ));
    }
    Ok(mac)
}
