//! The `layers` view of an event: how its frame went up through a device's layers and what
//! went out (the stepper's `layers`, and each step of `netlab view`).

use crate::filter::Endpoint;
use crate::sim::{FrameId, NodeKind, Step, StepKind, World};
use crate::trace::dissect;
use crate::trace::{Layer, Record, TraceEvent};
use crate::views::text::TextView;
use std::fmt::Write as _;

/// The `layers` view of one event: how its frame went up through the device's layers and what
/// went out, top-down. `index` and `step` are the event's number and step, `records` the records
/// it made, `flipped` the bits flipped on the wire of a frame (from earlier `BitErrors` records,
/// which the caller remembers as they pass). The stepper prints it; `netlab view` keeps it per
/// event.
pub fn layers_text(
    world: &World,
    actions: &[String],
    index: u64,
    step: &Step,
    records: &[Record],
    flipped: &dyn Fn(FrameId) -> Option<u32>,
) -> String {
    let view = TextView::new(world, actions);
    let node = match step.kind {
        StepKind::Frame { to, .. } => Some(to),
        StepKind::Wake { node } => Some(node),
        StepKind::Script { .. } | StepKind::Line { .. } => records.iter().find_map(|r| r.node),
    };
    let Some(node) = node else {
        let mut s = String::from("a timeline action on the network, not at a device:\n");
        for r in records {
            let _ = writeln!(s, "  {}", view.what(r));
        }
        return s;
    };
    let kind = &world.node(node).kind;
    let mut s = format!(
        "layers at {} ({}), event {} at {}\n",
        view.node_name(node),
        kind.kind_name(),
        index,
        step.time
    );
    let rx = records.iter().find_map(|r| match &r.event {
        TraceEvent::FrameRx {
            id, port, frame, ..
        } if r.node == Some(node) => Some((*id, *port, frame.clone())),
        _ => None,
    });
    let mine = |r: &&Record| r.node == Some(node);
    // The layers the arriving frame went up through, each with what its header says.
    let mut in_rows: Vec<(Layer, String)> = Vec::new();
    let mut accepted_note = None;
    if let Some((id, _, frame)) = &rx {
        let damaged = flipped(*id);
        in_rows.push((
            Layer::Phy,
            format!(
                "{} bytes arrived{}",
                frame.len(),
                match damaged {
                    Some(n) => format!(
                        ", {n} bit{} flipped on the wire",
                        if n == 1 { "" } else { "s" }
                    ),
                    None => String::new(),
                }
            ),
        ));
        let sections = dissect::dissect(frame);
        if !matches!(kind, NodeKind::Hub(_)) {
            let eth = sections
                .first()
                .map(|x| x.summary.clone())
                .unwrap_or_default();
            in_rows.push((Layer::Ethernet, eth));
        }
        if let NodeKind::Host(h) = kind {
            let nic_drop = records
                .iter()
                .filter(mine)
                .any(|r| matches!(r.event, TraceEvent::NicDrop { .. }));
            if !nic_drop {
                let port = rx.as_ref().map_or(0, |x| x.1);
                if let (Some(iface), Some(dst)) = (
                    h.interfaces().get(port as usize),
                    crate::ethernet::dst_of(frame),
                ) {
                    let why = if dst == iface.mac {
                        "is this interface's address"
                    } else if dst.is_broadcast() {
                        "is broadcast"
                    } else {
                        "was taken in promiscuous mode"
                    };
                    accepted_note = Some(format!("destination {dst} {why}: accepted"));
                }
                let delivered = records
                    .iter()
                    .filter(mine)
                    .any(|r| matches!(r.event, TraceEvent::IpDeliver { .. }));
                for sec in sections.iter().skip(1) {
                    let transport = matches!(sec.layer, Layer::Icmp | Layer::Udp | Layer::Tcp);
                    if (transport && !delivered) || sec.layer == Layer::Ethernet {
                        break;
                    }
                    in_rows.push((sec.layer, sec.summary.clone()));
                }
                if delivered {
                    in_rows.push((Layer::Socket, String::new()));
                    in_rows.push((Layer::App, String::new()));
                }
            }
        }
    }
    // Records of the receive path go with the layers the frame went up through; the rest
    // with the layers going down.
    let is_in = |e: &TraceEvent| {
        in_rows.iter().any(|(l, _)| *l == row_layer(e))
            && match e {
                TraceEvent::Arp { event, .. } => {
                    !matches!(event, crate::arp::ArpEvent::RequestSent { .. })
                }
                TraceEvent::NicDrop { .. }
                | TraceEvent::RawDelivered { .. }
                | TraceEvent::MacLearned { .. }
                | TraceEvent::Switched { .. }
                | TraceEvent::HubRepeated { .. }
                | TraceEvent::ArpIgnored { .. }
                | TraceEvent::IpDeliver { .. }
                | TraceEvent::IpForward { .. }
                | TraceEvent::IpDropped { .. }
                | TraceEvent::IpReassembled { .. }
                | TraceEvent::Tcp { .. }
                | TraceEvent::SocketCall { .. }
                | TraceEvent::App { .. } => true,
                _ => false,
            }
    };
    let notes = |layer: Layer, inbound: bool| -> Vec<String> {
        records
            .iter()
            .filter(mine)
            .filter(|r| {
                !matches!(
                    r.event,
                    TraceEvent::FrameRx { .. } | TraceEvent::FrameTx { .. }
                )
            })
            .filter(|r| is_in(&r.event) == inbound && row_layer(&r.event) == layer)
            .map(|r| view.what(r))
            .collect()
    };
    if let Some((id, port, _)) = &rx {
        let _ = writeln!(
            s,
            "in (bottom-up): frame {id} on {}",
            view.port_name(node, *port)
        );
        for (layer, text) in &in_rows {
            let mut n = notes(*layer, true);
            if *layer == Layer::Ethernet {
                if let Some(a) = &accepted_note {
                    n.insert(0, a.clone());
                }
            }
            let name = layer.name();
            if !text.is_empty() {
                let _ = writeln!(s, "  {name:<7} {text}");
            } else if !n.is_empty() {
                let _ = writeln!(s, "  {name:<7} {}", n[0]);
            }
            let skip = usize::from(text.is_empty() && !n.is_empty());
            for note in n.iter().skip(skip) {
                let _ = writeln!(s, "  {:<7} · {note}", "");
            }
        }
    }
    let sent: Vec<&Record> = records
        .iter()
        .filter(mine)
        .filter(|r| matches!(r.event, TraceEvent::FrameTx { .. }))
        .collect();
    let mut out_notes = Vec::new();
    for layer in Layer::ALL.iter().rev() {
        for n in notes(*layer, false) {
            // The same line again (a window of segments going out): counted, not repeated.
            match out_notes.last_mut() {
                Some((l, prev, k)) if *l == *layer && *prev == n => *k += 1,
                _ => out_notes.push((*layer, n, 1)),
            }
        }
    }
    if !sent.is_empty() || !out_notes.is_empty() {
        s.push_str("out (top-down):\n");
    }
    for (layer, n, k) in &out_notes {
        let times = if *k > 1 {
            format!(" ({k} times)")
        } else {
            String::new()
        };
        let _ = writeln!(s, "  {:<7} · {n}{times}", layer.name());
    }
    for r in sent {
        let TraceEvent::FrameTx {
            link,
            port,
            id,
            frame,
            start,
            arrival,
            queued_behind,
        } = &r.event
        else {
            continue;
        };
        let _ = writeln!(s, "  frame {id} → {}:", view.link_name(*link));
        // The layers this device works at: a switch stops at Ethernet, a hub at the wire,
        // a router passing a datagram on at IP.
        let top = match kind {
            NodeKind::Switch(_) => Layer::Switch,
            // The kernel's layers behind a TAP are not netlab's to show.
            NodeKind::Hub(_) | NodeKind::Tap(_) => Layer::Phy,
            NodeKind::Host(h) => {
                let forwarded = dissect::ipv4_addresses(frame).is_some_and(|(src, _)| {
                    !h.interfaces()
                        .iter()
                        .any(|i| i.addr.is_some_and(|c| c.addr() == src))
                });
                if forwarded {
                    Layer::Ip
                } else {
                    Layer::App
                }
            }
        };
        let sections = dissect::dissect(frame);
        for sec in sections.iter().rev().filter(|sec| sec.layer <= top) {
            let name = if sec.title.starts_with("Data") {
                "data"
            } else {
                sec.layer.name()
            };
            let _ = writeln!(s, "    {name:<7} {}", sec.summary);
        }
        let mut phy = format!(
            "tx on {}, {} bytes",
            view.port_name(node, *port),
            frame.len()
        );
        if *queued_behind > 0 {
            let _ = write!(phy, ", queued behind {queued_behind}, starts {start}");
        }
        let _ = write!(phy, ", last bit arrives {arrival}");
        let _ = writeln!(s, "    {:<7} {phy}", "phy");
    }
    let others: Vec<&Record> = records.iter().filter(|r| r.node != Some(node)).collect();
    if !others.is_empty() {
        s.push_str("elsewhere:\n");
        for r in others {
            let _ = writeln!(s, "  {}", view.line(r).trim_start());
        }
    }
    s
}

/// The row of the `layers` view a record belongs to: switching decisions go with Ethernet.
fn row_layer(e: &TraceEvent) -> Layer {
    match e.layer() {
        // A hub works at the wire.
        Layer::Switch if matches!(e, TraceEvent::HubRepeated { .. }) => Layer::Phy,
        Layer::Switch => Layer::Ethernet,
        Layer::Scenario => Layer::App,
        l => l,
    }
}

/// The addresses a node name stands for in a frame filter (`from=alice`).
/// The addresses a node name stands for in filter words (`from=alice`): its MACs and IPs.
pub fn endpoint(world: &World, name: &str) -> Option<Endpoint> {
    let id = world.node_id(name)?;
    match &world.node(id).kind {
        NodeKind::Host(h) => Some(Endpoint {
            macs: h.interfaces().iter().map(|i| i.mac).collect(),
            ips: h
                .interfaces()
                .iter()
                .filter_map(|i| i.addr.map(|c| c.addr()))
                .collect(),
        }),
        _ => None,
    }
}
