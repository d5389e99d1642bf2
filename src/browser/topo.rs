//! The network as a picture (`netlab topo`): hosts, routers, switches and hubs where
//! [`super::layout`] puts them, each with its name and addresses, every cable labelled with its
//! bandwidth, delay and losses, every interface with its name and address at its end of the
//! cable, and each LAN with its subnet. `netlab view` embeds the same SVG and animates frames
//! over it (the elements carry `data-node` / `data-link` for that).

use super::layout::{layout, Layout, Shape};
use crate::sim::{NodeKind, World};
use std::fmt::Write;

/// One node as the picture shows it.
#[derive(Clone, Debug)]
pub struct TopoNode {
    pub name: String,
    pub shape: Shape,
    /// Per port: the interface name and address (`eth0`, `10.0.1.10/24`); switch ports have
    /// no name of their own (`port 1`).
    pub ports: Vec<(String, Option<String>)>,
}

/// One cable.
#[derive(Clone, Debug)]
pub struct TopoLink {
    pub name: String,
    pub ends: [(usize, u16); 2],
    /// `100Mbps · 10ms`, then losses if any.
    pub label: String,
}

/// A network ready to draw.
#[derive(Clone, Debug)]
pub struct Topology {
    pub nodes: Vec<TopoNode>,
    pub links: Vec<TopoLink>,
    pub layout: Layout,
    /// Per node: the subnet(s) of a LAN (a switch or hub), from its hosts' addresses.
    pub subnets: Vec<Vec<String>>,
}

impl Topology {
    /// The network of a world, laid out.
    pub fn of(world: &World) -> Topology {
        let nodes: Vec<TopoNode> = world
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (shape, ports) = match &n.kind {
                    NodeKind::Host(h) => (
                        if h.is_router() {
                            Shape::Router
                        } else {
                            Shape::Host
                        },
                        h.interfaces()
                            .iter()
                            .map(|f| (f.name.clone(), f.addr.map(|a| a.to_string())))
                            .collect(),
                    ),
                    NodeKind::Switch(_) => (Shape::Switch, port_names(world, i)),
                    NodeKind::Hub(_) => (Shape::Hub, port_names(world, i)),
                    // The real kernel behind a TAP: drawn as the host it is.
                    NodeKind::Tap(t) => (Shape::Host, vec![(t.ifname.clone(), None)]),
                };
                TopoNode {
                    name: n.name.clone(),
                    shape,
                    ports,
                }
            })
            .collect();
        let links: Vec<TopoLink> = world
            .fabric
            .links
            .iter()
            .map(|l| {
                let c = l.config();
                let mut label = format!("{} · {}", c.bandwidth, c.delay);
                if c.loss > 0.0 {
                    let _ = write!(label, " · loss {}%", c.loss * 100.0);
                }
                if c.bit_error_rate > 0.0 {
                    let _ = write!(label, " · BER {:e}", c.bit_error_rate);
                }
                if c.mtu != 1500 {
                    let _ = write!(label, " · MTU {}", c.mtu);
                }
                TopoLink {
                    name: l.name.clone(),
                    ends: [
                        (l.ends[0].0 .0 as usize, l.ends[0].1),
                        (l.ends[1].0 .0 as usize, l.ends[1].1),
                    ],
                    label,
                }
            })
            .collect();
        let shapes: Vec<Shape> = nodes.iter().map(|n| n.shape).collect();
        let pairs: Vec<(usize, usize)> = links.iter().map(|l| (l.ends[0].0, l.ends[1].0)).collect();
        let layout = layout(&shapes, &pairs);
        let mut subnets = vec![Vec::new(); nodes.len()];
        for l in &links {
            for (k, &(a, _)) in l.ends.iter().enumerate() {
                let (b, bport) = l.ends[1 - k];
                if !nodes[a].shape.eq(&Shape::Switch) && nodes[a].shape != Shape::Hub {
                    continue;
                }
                if let NodeKind::Host(h) = &world.nodes[b].kind {
                    if let Some(c) = h.interfaces().get(bport as usize).and_then(|f| f.addr) {
                        let net = c.network().to_string();
                        if !subnets[a].contains(&net) {
                            subnets[a].push(net);
                        }
                    }
                }
            }
        }
        for s in &mut subnets {
            s.sort();
        }
        Topology {
            nodes,
            links,
            layout,
            subnets,
        }
    }

    /// The network in words: each node with its interfaces, each cable with its settings.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let kind = match n.shape {
                Shape::Host => "host",
                Shape::Router => "router",
                Shape::Switch => "switch",
                Shape::Hub => "hub",
            };
            let _ = write!(s, "{:<10} {kind:<7}", n.name);
            if matches!(n.shape, Shape::Host | Shape::Router) {
                let ifs: Vec<String> = n
                    .ports
                    .iter()
                    .map(|(name, a)| format!("{name} {}", a.as_deref().unwrap_or("(no address)")))
                    .collect();
                let _ = write!(s, " {}", ifs.join(", "));
            } else {
                let _ = write!(s, " {} ports", n.ports.len());
                if !self.subnets[i].is_empty() {
                    let _ = write!(s, ", LAN {}", self.subnets[i].join(", "));
                }
            }
            s.push('\n');
        }
        for l in &self.links {
            let end = |(n, p): (usize, u16)| {
                let node = &self.nodes[n];
                let port = node.ports.get(p as usize).map_or("?", |x| x.0.as_str());
                format!("{} {port}", node.name)
            };
            let _ = writeln!(
                s,
                "{:<22} {} ⇄ {}: {}",
                l.name,
                end(l.ends[0]),
                end(l.ends[1]),
                l.label
            );
        }
        s
    }

    /// A cable between a switch or hub and a host.
    fn is_member_cable(&self, l: &TopoLink) -> bool {
        let (a, b) = (self.nodes[l.ends[0].0].shape, self.nodes[l.ends[1].0].shape);
        let lan = |s: Shape| matches!(s, Shape::Switch | Shape::Hub);
        (lan(a) && b == Shape::Host) || (lan(b) && a == Shape::Host)
    }

    /// Per node: the settings its cables to hosts share, for a LAN with two or more of them.
    fn lan_cables(&self) -> Vec<Option<String>> {
        (0..self.nodes.len())
            .map(|n| {
                let labels: Vec<&str> = self
                    .links
                    .iter()
                    .filter(|l| self.is_member_cable(l) && l.ends.iter().any(|e| e.0 == n))
                    .map(|l| l.label.as_str())
                    .collect();
                let first = *labels.first()?;
                (labels.len() >= 2
                    && labels.iter().filter(|x| **x == first).count() * 2 > labels.len())
                .then(|| first.to_string())
            })
            .collect()
    }

    /// How many lines of text a LAN has under its name (subnets, shared cable settings).
    fn lan_lines(&self, n: usize) -> usize {
        self.subnets[n].len() + usize::from(self.lan_cables()[n].is_some())
    }

    /// The picture as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.layout.width, self.layout.height);
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="topo" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" font-family="DejaVu Sans, Arial, sans-serif">"#
        );
        s.push_str(STYLE);
        let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        s.push_str("<g class=\"links\">\n");
        // A LAN's cables to its hosts usually share their settings: said once, at the LAN.
        let lan_cables = self.lan_cables();
        for (i, l) in self.links.iter().enumerate() {
            let (a, b) = (self.layout.pos[l.ends[0].0], self.layout.pos[l.ends[1].0]);
            let _ = writeln!(
                s,
                r#"<g class="link" data-link="{i}"><title>{}: {}</title><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
                esc(&l.name),
                esc(&l.label),
                a.0,
                a.1,
                b.0,
                b.1
            );
            // The cable's label beside its middle (off the line, clear of the interface
            // labels on it), on a white background to stay readable.
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt().max(1.0);
            let (nx, ny) = ((a.1 - b.1) / len, (b.0 - a.0) / len);
            let (nx, ny) = if ny > 0.0 || (ny == 0.0 && nx > 0.0) {
                (-nx, -ny)
            } else {
                (nx, ny)
            };
            let tw = l.label.chars().count() as f64 * 6.3 + 8.0;
            let off = 12.0 + (nx.abs() * tw / 2.0);
            let (mx, my) = ((a.0 + b.0) / 2.0 + nx * off, (a.1 + b.1) / 2.0 + ny * 12.0);
            let said_at_lan = l.ends.iter().any(|&(n, _)| {
                lan_cables[n].as_deref() == Some(l.label.as_str()) && self.is_member_cable(l)
            });
            if !said_at_lan {
                let _ = writeln!(
                    s,
                    r#"<rect class="lbg" x="{:.1}" y="{:.1}" width="{tw:.1}" height="15" rx="3"/><text class="ll" x="{mx:.1}" y="{:.1}">{}</text>"#,
                    mx - tw / 2.0,
                    my - 8.0,
                    my + 3.5,
                    esc(&l.label)
                );
            }
            // Each end: the interface or port name (and address), a third of the way along.
            for k in 0..2 {
                let (node, port) = l.ends[k];
                let (p, q) = (self.layout.pos[node], self.layout.pos[l.ends[1 - k].0]);
                let len = ((q.0 - p.0).powi(2) + (q.1 - p.1).powi(2)).sqrt().max(1.0);
                let d = (len * 0.28).clamp(40.0, 80.0);
                let (x, y) = (p.0 + (q.0 - p.0) / len * d, p.1 + (q.1 - p.1) / len * d);
                let Some((name, addr)) = self.nodes[node].ports.get(port as usize) else {
                    continue;
                };
                let text = match (self.nodes[node].shape, addr) {
                    (Shape::Host, Some(_)) if self.nodes[node].ports.len() == 1 => name.clone(),
                    (_, Some(a)) => format!("{name} {a}"),
                    _ => name.clone(),
                };
                let tw = text.chars().count() as f64 * 5.6 + 6.0;
                let _ = writeln!(
                    s,
                    r#"<rect class="ibg" x="{:.1}" y="{:.1}" width="{tw:.1}" height="13" rx="2"/><text class="il" x="{x:.1}" y="{:.1}">{}</text>"#,
                    x - tw / 2.0,
                    y - 7.0,
                    y + 3.0,
                    esc(&text)
                );
            }
            s.push_str("</g>\n");
        }
        s.push_str("</g>\n<g class=\"nodes\">\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let (x, y) = self.layout.pos[i];
            let kind = match n.shape {
                Shape::Host => "host",
                Shape::Router => "router",
                Shape::Switch => "switch",
                Shape::Hub => "hub",
            };
            let _ = write!(
                s,
                r#"<g class="node {kind}" data-node="{i}" transform="translate({x:.1},{y:.1})"><title>{} ({kind})</title>"#,
                esc(&n.name)
            );
            s.push_str(match n.shape {
                // A screen on a stand.
                Shape::Host => {
                    r#"<rect class="body" x="-22" y="-18" width="44" height="30" rx="4"/><rect class="screen" x="-17" y="-13" width="34" height="20" rx="2"/><rect class="body" x="-10" y="13" width="20" height="5" rx="1"/>"#
                }
                // The usual router symbol: a disc with arrows.
                Shape::Router => {
                    r#"<ellipse class="body" cx="0" cy="0" rx="26" ry="20"/><path class="mark" d="M-14,-6 L-4,-6 M-8,-10 L-4,-6 L-8,-2 M14,6 L4,6 M8,2 L4,6 L8,10"/>"#
                }
                Shape::Switch => {
                    r#"<rect class="body" x="-34" y="-15" width="68" height="30" rx="4"/><path class="mark" d="M-20,-5 L20,-5 M14,-10 L20,-5 L14,0 M20,5 L-20,5 M-14,0 L-20,5 L-14,10"/>"#
                }
                Shape::Hub => {
                    r#"<rect class="body" x="-34" y="-13" width="68" height="26" rx="13"/><path class="mark" d="M-18,0 L18,0 M0,-7 L0,7"/>"#
                }
            });
            // A LAN's members hang below it: its own words go to its right.
            let lan = matches!(n.shape, Shape::Switch | Shape::Hub);
            let (tx, below, anchor) = match n.shape {
                // Above: its hosts hang below it and its other cables go sideways.
                _ if lan => (0.0, -22.0 - 14.0 * self.lan_lines(i) as f64, "middle"),
                Shape::Router => (0.0, 38.0, "middle"),
                _ => (0.0, 36.0, "middle"),
            };
            let _ = write!(
                s,
                r#"<text class="name" x="{tx}" y="{below}" text-anchor="{anchor}">{}</text>"#,
                esc(&n.name)
            );
            let mut extra = Vec::new();
            if n.shape == Shape::Host && n.ports.len() == 1 {
                if let Some(a) = &n.ports[0].1 {
                    extra.push(a.clone());
                }
            }
            for net in &self.subnets[i] {
                extra.push(format!("LAN {net}"));
            }
            if let Some(c) = &lan_cables[i] {
                extra.push(format!("cables {c}"));
            }
            for (k, e) in extra.iter().enumerate() {
                let _ = write!(
                    s,
                    r#"<text class="addr" x="{tx}" y="{:.0}" text-anchor="{anchor}">{}</text>"#,
                    below + 15.0 + 14.0 * k as f64,
                    esc(e)
                );
            }
            s.push_str("</g>\n");
        }
        s.push_str("</g>\n<g class=\"overlay\"></g>\n</svg>\n");
        s
    }
}

fn port_names(world: &World, node: usize) -> Vec<(String, Option<String>)> {
    (0..world.fabric.ports[node].len())
        .map(|p| (format!("port {}", p + 1), None))
        .collect()
}

/// Escapes text for SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = r#"<style>
.topo .link line { stroke: #8a94a6; stroke-width: 3; }
.topo .ll { font-size: 11px; fill: #3b4252; text-anchor: middle; }
.topo .lbg { fill: #ffffff; stroke: #d8dee9; }
.topo .il { font-size: 10px; fill: #4c566a; text-anchor: middle; }
.topo .ibg { fill: #f4f6fa; }
.topo .node .body { fill: #dbe7f7; stroke: #3b5b8c; stroke-width: 2; }
.topo .node .screen { fill: #ffffff; stroke: #3b5b8c; stroke-width: 1; }
.topo .node.router .body { fill: #fde2c4; stroke: #a0561b; }
.topo .node.switch .body { fill: #d5efd8; stroke: #2f7a3b; }
.topo .node.hub .body { fill: #e8e8e8; stroke: #666666; }
.topo .node .mark { stroke: #333333; stroke-width: 2; fill: none; }
.topo .name { font-size: 14px; font-weight: bold; text-anchor: middle; fill: #1d2330; }
.topo .addr { font-size: 11px; text-anchor: middle; fill: #4c566a; }
</style>
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::trace::Trace;

    #[test]
    fn every_node_link_and_address_is_drawn() {
        let scn = Scenario::load("scenarios/ping-across-router.toml").unwrap();
        let world = scn.instantiate(None, Trace::off());
        let t = Topology::of(&world);
        let svg = t.to_svg();
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let nodes = doc
            .descendants()
            .filter(|n| n.attribute("data-node").is_some())
            .count();
        assert_eq!(nodes, world.nodes.len());
        for n in &world.nodes {
            assert!(svg.contains(&format!(">{}</text>", n.name)), "{}", n.name);
        }
        assert!(svg.contains("10.0.1.10/24"), "{svg}");
        assert!(svg.contains("LAN 10.0.1.0/24"));
        assert!(svg.contains("Mbps"));
    }
}
