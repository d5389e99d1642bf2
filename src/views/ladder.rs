//! Ladder diagrams (sequence diagrams), in the convention of Wireshark's Flow Graph: one column
//! per host, time running down the left, one arrow per frame from the sender's column to the
//! receiver's, labelled with a short description of the frame.
//!
//! Switches and hubs are transparent by default: a frame alice sends through a switch to bob is
//! one arrow alice → bob, pairing alice's [`TraceEvent::FrameTx`] with bob's
//! [`TraceEvent::FrameRx`] across every hop in between (a flooded frame becomes one arrow per
//! host it reached). With [`LadderOptions::all_nodes`] every node is a column and every hop an
//! arrow. A frame that got lost ends in `✗` with where and why (`✗ dropped at carol:
//! not-for-me`): before the receiver's column when a link or switch lost it on the way, at the
//! column when the receiver's NIC refused it. A datagram that reached a node and was dropped
//! there by IP (`ttl-expired`, `no-route`, `port-unreachable`…) or by TCP (`out-of-window`,
//! `syn-queue-full`…) ends the same way, at that node's column: the drop record is matched to
//! the frame the node was handling (same node, same instant, same addresses).
//!
//! Arrows are horizontal rows at the time the frame was sent, like Wireshark's; the arrival time
//! is in the SVG's tooltips. The label of every arrow comes from [`label`] (through a [`Labeller`],
//! which remembers each TCP connection's initial sequence numbers), the one place to teach it new
//! protocols (it leans on [`describe::frame`]).

use crate::trace::{IpDrop, Names, NodeRole};

mod build;
mod label;
pub use build::{build, LadderBuilder};
pub use label::{label, Labeller};

use crate::decode::{Datagram, Decoded};
use crate::ethernet;
use crate::ids::{FrameId, LinkId, NodeId};
use crate::ip::IpProtocol;
use crate::tcp::{DropReason, ListenDropReason};
use crate::time::Instant;
use std::fmt::Write;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Which columns to draw.
#[derive(Clone, Debug, Default)]
pub struct LadderOptions {
    /// Switches and hubs get columns too, and every hop is an arrow.
    pub all_nodes: bool,
    /// Only these columns, in this order (any kind of node; a switch named here is a column).
    /// Empty: every host (every node with `all_nodes`), in [`column_order`].
    pub columns: Vec<NodeId>,
}

/// The default order of a ladder's columns: by topology, so an arrow between neighbours crosses
/// no third lifeline. A walk of the cables (depth first) from the first host of the scenario
/// that is not a router; at each node the hosts hanging there alone (one cable) come first,
/// then the way on (routers, switches), each in cable order, so a LAN's hosts stand together
/// and a router stands between the LANs it joins. Nodes not reached (another network) start
/// walks of their own, in the scenario's order. Only nodes `shown` are columns; the others
/// (switches, unless every node is shown) are walked through.
pub fn column_order(names: &dyn Names, shown: &[bool]) -> Vec<NodeId> {
    let n = names.node_count();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for l in 0..names.link_count() {
        let ends = names.link_ends(LinkId(l as u32));
        let (a, b) = (ends[0].0 .0 as usize, ends[1].0 .0 as usize);
        if a != b && a < n && b < n {
            if !adj[a].contains(&b) {
                adj[a].push(b);
            }
            if !adj[b].contains(&a) {
                adj[b].push(a);
            }
        }
    }
    let leaf: Vec<bool> = adj.iter().map(|a| a.len() <= 1).collect();
    let router = |i: usize| names.role(NodeId(i as u32)) == NodeRole::Router;
    let shown_at = |i: usize| shown.get(i).copied().unwrap_or(false);
    let mut starts: Vec<usize> = (0..n).filter(|&i| shown_at(i) && !router(i)).collect();
    starts.extend((0..n).filter(|&i| shown_at(i) && router(i)));
    let mut visited = vec![false; n];
    let mut order = Vec::new();
    for s in starts {
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            if std::mem::replace(&mut visited[v], true) {
                continue;
            }
            if shown_at(v) {
                order.push(NodeId(v as u32));
            }
            // Pushed in reverse: the stack pops lone hosts first, then the way on.
            let next = adj[v].iter().filter(|&&w| !visited[w]);
            let (alone, on): (Vec<usize>, Vec<usize>) = next.partition(|&&w| leaf[w]);
            stack.extend(on.iter().rev());
            stack.extend(alone.iter().rev());
        }
    }
    order
}

/// What became of a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Reached the receiver's column and was taken.
    Delivered,
    /// Lost: `at` names the node or link, `reason` is the drop reason (`bad-fcs`, `queue-full`…).
    Dropped {
        at: String,
        reason: String,
        /// The frame reached the `to` column (its NIC refused it) rather than being lost on the
        /// way.
        reached: bool,
    },
}

/// One arrow.
#[derive(Clone, Debug)]
pub struct Arrow {
    /// When the sender handed the frame to its link.
    pub sent: Instant,
    /// When its last bit reached `to` (none if lost on the way).
    pub arrived: Option<Instant>,
    /// Column indices. `to` is where the frame went or was heading (from the link's far end or
    /// the destination MAC); `None` when a lost frame's destination is unknown (a broadcast).
    pub from: usize,
    pub to: Option<usize>,
    pub label: String,
    /// The whole [`describe::frame`] line, addresses and size included.
    pub detail: String,
    /// Bits netlab flipped on the way.
    pub flipped: u32,
    pub fate: Fate,
    /// The frame as its sender handed it over: the id of its first hop.
    pub frame: FrameId,
}

/// A ladder: named columns and arrows in time order.
#[derive(Clone, Debug, Default)]
pub struct Ladder {
    pub columns: Vec<String>,
    pub arrows: Vec<Arrow>,
}

/// IP drops that are about a datagram the node just received (others happen later, at a timer:
/// ARP giving up, a reassembly timing out; or to a datagram the node makes itself). An ARP queue
/// overflow is left out: the datagram it drops may be an older one, waiting.
fn ip_drop_of_arrival(reason: &IpDrop) -> bool {
    !matches!(
        reason,
        IpDrop::HostUnreachable | IpDrop::ArpQueueFull | IpDrop::ReassemblyTimeout
    )
}

/// The IPv4 datagram (or fragment) in `frame`, its header intact, if it carries one.
fn ipv4_in(frame: &[u8]) -> Option<Datagram<'_>> {
    Decoded::new(frame).ipv4()?.ok()
}

/// Whether `frame` carries a datagram from `src` to `dst` (an unspecified pair, the record of a
/// header too damaged to read, matches any IPv4 frame).
fn carries_ip(frame: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> bool {
    let d = Decoded::new(frame);
    if d.ethertype() != Some(ethernet::ethertype::IPV4) {
        return false;
    }
    if src.is_unspecified() && dst.is_unspecified() {
        return true;
    }
    d.ipv4()
        .and_then(Result::ok)
        .is_some_and(|dg| dg.ip.src == src && dg.ip.dst == dst)
}

/// Whether `frame` carries a TCP segment from `src` to `dst` (`dst`'s address may be unspecified:
/// a listener on every address).
fn carries_tcp(frame: &[u8], src: SocketAddrV4, dst: SocketAddrV4) -> bool {
    let Some(Datagram { ip, body }) = ipv4_in(frame) else {
        return false;
    };
    if ip.protocol != IpProtocol::Tcp || ip.is_fragment() {
        return false;
    }
    let Some((sport, dport)) = crate::decode::ports_of(body) else {
        return false;
    };
    ip.src == *src.ip()
        && sport == src.port()
        && (ip.dst == *dst.ip() || dst.ip().is_unspecified())
        && dport == dst.port()
}

/// Why TCP discarded an arriving segment, as the ladder says it.
fn tcp_drop_reason(r: DropReason) -> &'static str {
    match r {
        DropReason::OutOfWindow => "out-of-window",
        DropReason::BadRst => "unacceptable-rst",
        DropReason::BadAck => "unacceptable-ack",
        DropReason::NoAck => "no-ack-flag",
        DropReason::NoSyn => "no-syn",
        DropReason::ReassemblyFull => "reassembly-full",
        DropReason::NotSynchronized => "not-synchronized",
        DropReason::WrongPorts => "wrong-ports",
        DropReason::DataAfterFin => "data-after-fin",
        DropReason::Paws => "paws",
    }
}

/// Why a listener discarded an arriving segment.
fn listen_drop_reason(r: ListenDropReason) -> &'static str {
    match r {
        ListenDropReason::AcceptQueueFull | ListenDropReason::AckWhileAcceptQueueFull => {
            "accept-queue-full"
        }
        ListenDropReason::SynQueueFull => "syn-queue-full",
        ListenDropReason::Unexpected => "unexpected-segment",
    }
}

impl Arrow {
    /// The label with what happened to the frame: `… [3 bits flipped]  ✗ dropped at bob: bad-fcs`.
    pub fn text(&self) -> String {
        let mut s = self.what();
        if let Some(f) = self.fate_text() {
            let _ = write!(s, "  {f}");
        }
        s
    }

    /// The label and the bits flipped, if any.
    fn what(&self) -> String {
        let mut s = self.label.clone();
        if self.flipped > 0 {
            let _ = write!(
                s,
                " [{} bit{} flipped]",
                self.flipped,
                if self.flipped == 1 { "" } else { "s" }
            );
        }
        s
    }

    /// `✗ dropped at bob: bad-fcs` for a lost frame.
    fn fate_text(&self) -> Option<String> {
        match &self.fate {
            Fate::Delivered => None,
            Fate::Dropped { at, reason, .. } => Some(format!("✗ dropped {at}: {reason}")),
        }
    }

    fn is_dropped(&self) -> bool {
        matches!(self.fate, Fate::Dropped { .. })
    }

    fn reached(&self) -> bool {
        match &self.fate {
            Fate::Delivered => true,
            Fate::Dropped { reached, .. } => *reached,
        }
    }
}

impl Ladder {
    /// Column width in characters: room for every name.
    fn col_width(&self) -> usize {
        let longest = self
            .columns
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        (longest + 4).max(14)
    }

    /// The ladder for a terminal: a header of column names, then one line per arrow.
    pub fn to_text(&self) -> String {
        let w = self.col_width();
        let ncols = self.columns.len();
        let x = |c: usize| c * w + w / 2;
        let mut out = String::new();
        let mut head = String::new();
        for (c, name) in self.columns.iter().enumerate() {
            let pad = (x(c) + 1).saturating_sub(name.chars().count().div_ceil(2));
            while head.chars().count() < pad {
                head.push(' ');
            }
            head.push_str(name);
        }
        let _ = writeln!(out, "{:>12}  {}", "time (s)", head.trim_end());
        let empty: Vec<char> = (0..ncols * w)
            .map(|i| if i % w == w / 2 { '│' } else { ' ' })
            .collect();
        let _ = writeln!(
            out,
            "{:>12}  {}",
            "",
            empty.iter().collect::<String>().trim_end()
        );
        for a in &self.arrows {
            let mut row = empty.clone();
            let from = x(a.from);
            let dropped = a.is_dropped();
            match a.to {
                Some(to) if to != a.from => {
                    let right = to > a.from;
                    let end = if a.reached() {
                        x(to)
                    } else {
                        // Lost on the way: the cross half-way from the column before the
                        // receiver's, so it never sits on a third lifeline.
                        if right {
                            x(to) - w / 2
                        } else {
                            x(to) + w / 2
                        }
                    };
                    let (lo, hi) = if right { (from, end) } else { (end, from) };
                    for ch in row.iter_mut().take(hi).skip(lo + 1) {
                        *ch = '─';
                    }
                    row[from] = if right { '├' } else { '┤' };
                    let head = if right { end - 1 } else { end + 1 };
                    row[head] = match (dropped, right) {
                        (true, _) => '✗',
                        (false, true) => '►',
                        (false, false) => '◄',
                    };
                }
                _ => {
                    // Destination unknown (or itself): a short stub ending in ✗.
                    let right = a.from + 1 < ncols || a.from == 0;
                    let len = w / 2 - 1;
                    row[from] = if right { '├' } else { '┤' };
                    for k in 1..len {
                        let i = if right { from + k } else { from - k };
                        row[i] = '─';
                    }
                    let i = if right { from + len } else { from - len };
                    row[i] = '✗';
                }
            }
            let line: String = row.iter().collect();
            let _ = writeln!(out, "{:>12}  {}  {}", a.sent.to_string(), line, a.text());
        }
        out
    }

    /// A standalone SVG: no scripts, no external fonts or styles. Hover an arrow for its times.
    ///
    /// Each arrow has its label above it, starting at its left end, and a lost frame's fate
    /// below it; the drawing is as wide as its longest label needs.
    pub fn to_svg(&self) -> String {
        const CHAR_W: f64 = 7.3; // monospace at 12px, generously
        let col_w = 180.0_f64.max(self.col_width() as f64 * 8.0);
        let left = 110.0;
        let top = 60.0;
        let row_h = 44.0;
        let x = |c: usize| left + col_w * (c as f64 + 0.5);
        // Where each arrow starts and ends, and whether it ends in a cross.
        let geometry: Vec<(f64, f64, bool)> = self
            .arrows
            .iter()
            .map(|a| {
                let x1 = x(a.from);
                match a.to {
                    Some(to) if to != a.from => {
                        let xt = x(to);
                        if a.reached() {
                            (x1, xt, a.is_dropped())
                        } else {
                            // Half-way from the column before the receiver's.
                            (x1, xt - (xt - x1).signum() * col_w / 2.0, true)
                        }
                    }
                    _ => {
                        let dir = if a.from + 1 < self.columns.len() || a.from == 0 {
                            1.0
                        } else {
                            -1.0
                        };
                        (x1, x1 + dir * col_w * 0.4, true)
                    }
                }
            })
            .collect();
        let mut width = left + col_w * self.columns.len().max(1) as f64 + 20.0;
        for (a, (x1, x2, _)) in self.arrows.iter().zip(&geometry) {
            let chars = a
                .what()
                .chars()
                .count()
                .max(a.fate_text().map_or(0, |f| f.chars().count()));
            width = width.max(x1.min(*x2) + 4.0 + chars as f64 * CHAR_W + 20.0);
        }
        let height = top + row_h * (self.arrows.len() as f64 + 0.5) + 20.0;
        let mut s = String::new();
        let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="monospace" font-size="12">"#
        );
        s.push_str(concat!(
            "<title>netlab ladder diagram</title>\n",
            "<defs>\n",
            r##"<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f4e9c"/></marker>"##,
            "\n",
            r##"<marker id="head-damaged" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#d68910"/></marker>"##,
            "\n</defs>\n",
            r#"<rect width="100%" height="100%" fill="white"/>"#,
            "\n"
        ));
        let _ = writeln!(
            s,
            r##"<text x="8" y="{:.0}" fill="#555">time (s)</text>"##,
            top - 20.0
        );
        for (c, name) in self.columns.iter().enumerate() {
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="10" width="{:.1}" height="26" rx="4" fill="#eef2fa" stroke="#1f4e9c"/><text x="{:.1}" y="28" text-anchor="middle" font-weight="bold">{}</text>"##,
                x(c) - col_w * 0.4,
                col_w * 0.8,
                x(c),
                xml_escape(name)
            );
            let _ = writeln!(
                s,
                r##"<line x1="{0:.1}" y1="36" x2="{0:.1}" y2="{1:.0}" stroke="#999" stroke-dasharray="4 3"/>"##,
                x(c),
                height - 10.0
            );
        }
        for (i, (a, &(x1, x2, cross))) in self.arrows.iter().zip(&geometry).enumerate() {
            let y = top + row_h * (i as f64 + 0.5);
            let colour = if a.is_dropped() {
                "#c0392b"
            } else if a.flipped > 0 {
                "#d68910"
            } else {
                "#1f4e9c"
            };
            let mut tip = format!("sent {}", a.sent);
            if let Some(t) = a.arrived {
                let _ = write!(tip, ", arrived {t}");
            }
            let _ = write!(tip, "\n{}", a.detail);
            if let Some(f) = a.fate_text() {
                let _ = write!(tip, "\n{f}");
            }
            let _ = writeln!(s, "<g>\n<title>{}</title>", xml_escape(&tip));
            let _ = writeln!(
                s,
                r##"<text x="8" y="{:.1}" fill="#555">{}</text>"##,
                y + 4.0,
                a.sent
            );
            let marker = if cross {
                ""
            } else if a.flipped > 0 {
                r#" marker-end="url(#head-damaged)""#
            } else {
                r#" marker-end="url(#head)""#
            };
            let _ = writeln!(
                s,
                r#"<line x1="{x1:.1}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="1.6"{marker}/>"#
            );
            if cross {
                let _ = writeln!(
                    s,
                    r#"<text x="{x2:.1}" y="{:.1}" text-anchor="middle" fill="{colour}" font-size="15">✗</text>"#,
                    y + 5.0
                );
            }
            let text_x = x1.min(x2) + 4.0;
            // A label is often longer than the gap between two columns: a light backing keeps
            // the lifelines it crosses from striking through it.
            let backing = |s: &mut String, text: &str, top: f64, w: f64| {
                let _ = writeln!(
                    s,
                    r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="14" fill="white"/>"#,
                    text_x - 2.0,
                    text.chars().count() as f64 * w + 4.0
                );
            };
            let what = a.what();
            backing(&mut s, &what, y - 16.0, CHAR_W);
            let _ = writeln!(
                s,
                r#"<text x="{text_x:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
                y - 5.0,
                xml_escape(&what)
            );
            if let Some(f) = a.fate_text() {
                backing(&mut s, &f, y + 4.0, CHAR_W * 11.0 / 12.0);
                let _ = writeln!(
                    s,
                    r#"<text x="{text_x:.1}" y="{:.1}" fill="{colour}" font-size="11">{}</text>"#,
                    y + 15.0,
                    xml_escape(&f)
                );
            }
            s.push_str("</g>\n");
        }
        s.push_str("</svg>\n");
        s
    }
}

/// Text for XML content and attribute values.
fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {
                let _ = write!(o, "\\x{:02x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml() {
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
