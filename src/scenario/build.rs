//! From the TOML model to a validated [`Scenario`]: the whole file here, a host's or router's
//! table in `hosts.rs`, values with units in `values.rs`; `instantiate.rs` makes its world.

use super::error::{ScenarioError, Src};
use super::expect;
use super::hosts::{build_host, tcp_config, with_dhcp_pools, AddressBook, InterfaceInput};
use super::model::{self, Sp};
use super::names::{index_by_name, AppNames, Names};
use super::network::{host_ifaces, LinkSpec, NodeSpec, NodeSpecKind};
use super::spec::Scenario;
use super::timeline;
use super::values::{duration, link_config, positive, unicast_mac};
use crate::ethernet::default_mac;
use crate::phy::LinkConfig;
use crate::sim::Limits;
use crate::switch::MacTableConfig;
use crate::time::{Duration, Instant};
use std::collections::BTreeMap;

/// Words that begin timeline and expectation lines, so no node may be called that.
const RESERVED: &[&str] = &["link", "end", "at", "run", "all", "any", "broadcast"];

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
    let mut apps = AppNames::new();
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
            if vids.is_empty() {
                return Err(src.error(
                    t.span(),
                    format!("trunk port {k} carries no VLAN: list at least one, such as [10]"),
                ));
            }
            if let Some(d) = vids
                .iter()
                .enumerate()
                .find_map(|(i, v)| vids[..i].contains(v).then_some(v))
            {
                return Err(src.error(t.span(), format!("trunk port {k} lists VLAN {d} twice")));
            }
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
