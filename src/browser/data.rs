//! What `netlab view` puts in its page: one run, as compact JSON.
//!
//! The run is replayed event by event (as the stepper does, with [`scenario::next_event`]) and
//! each event's records are projected into the page's tables as they come: the event list, the
//! frames with their fate, each step's `layers` view ([`crate::step::layers_text`]), and the
//! nodes' tables re-rendered ([`crate::show::render`]) whenever a record touches them. Frames
//! are taken apart once per distinct byte string by [`dissect`], with each field's bytes
//! ([`dissect::field_spans`]). The verdicts come from [`scenario::run`]; the ladder and the TCP
//! series from the views that already read finished traces ([`ladder`], [`tcpgraph`]).
//!
//! Columns are arrays (`ev.t`, `ev.n`, …) rather than one object per event, to keep 100 000
//! events a few megabytes.

use super::parts::{facts, hex, proto_of, tcp_json};
use super::topo::Topology;
use crate::filter::FrameFilter;
use crate::scenario::{self, RunOptions, Scenario};
use crate::show::{self, Table};
use crate::sim::{FrameId, Next, NodeId, NodeKind, StepKind};
use crate::switch::Forwarding;
use crate::time::Instant;
use crate::trace::{dissect, Layer, Trace, TraceEvent};
use crate::views::text::TextView;
use crate::views::{ladder, tcpgraph};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Which part of a run to put in the page.
#[derive(Clone, Debug)]
pub struct ViewOptions {
    pub seed: Option<u64>,
    pub until: Option<Instant>,
    /// Only events at or after / at or before these times.
    pub from: Option<Instant>,
    pub to: Option<Instant>,
    /// Only events about frames this filter matches (and socket, application and scenario
    /// events, which have no frame).
    pub filter: Option<FrameFilter>,
    /// At most this many events; the rest are left out, and the page says so.
    pub max_events: usize,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            seed: None,
            until: None,
            from: None,
            to: None,
            filter: None,
            max_events: 100_000,
        }
    }
}

/// Budgets that keep a long run's page small: `layers` text kept for at most this many bytes
/// (a 100 000-event bulk transfer has about 22 MB; deflated in the page, about 1 MB),
/// table snapshots per node and table.
const LAYERS_BUDGET: usize = 40_000_000;
/// A frame's bytes kept for the hex view: the headers and the start of the payload, and the FCS.
const HEX_HEAD: usize = 160;
const SNAPSHOTS_PER_TABLE: usize = 2_000;
/// Records replayed after the page is full, so that the frames on their way in its last
/// events arrive.
const PAGE_TAIL: usize = 10_000;

/// The page's data, and a one-line summary for the terminal.
pub struct ViewData {
    pub json: Value,
    pub summary: String,
}

fn ns(t: Instant) -> u64 {
    t.as_nanos()
}

/// The frame a record is about, if any.
/// A record about no frame that the page keeps whatever `--filter` says: the sockets',
/// applications' and scenario's.
fn kept_by_any_filter(e: &TraceEvent) -> bool {
    matches!(e.layer(), Layer::Socket | Layer::App | Layer::Scenario)
}

/// The bytes a record carries, if it carries a frame.
fn frame_bytes(e: &TraceEvent) -> Option<&[u8]> {
    match e {
        TraceEvent::FrameTx { frame, .. }
        | TraceEvent::FrameDropped { frame, .. }
        | TraceEvent::FrameRx { frame, .. } => Some(frame),
        _ => None,
    }
}

fn frame_id(e: &TraceEvent) -> Option<FrameId> {
    match e {
        TraceEvent::FrameTx { id, .. }
        | TraceEvent::FrameDropped { id, .. }
        | TraceEvent::BitErrors { id, .. }
        | TraceEvent::FrameRx { id, .. }
        | TraceEvent::NicDrop { id, .. }
        | TraceEvent::RawDelivered { id, .. }
        | TraceEvent::Switched { id, .. }
        | TraceEvent::HubRepeated { id, .. } => Some(*id),
        _ => None,
    }
}

/// The tables a record may have changed at its node.
fn touched(e: &TraceEvent) -> &'static [Table] {
    match e {
        TraceEvent::Arp { .. } => &[Table::Arp],
        TraceEvent::MacLearned { .. } | TraceEvent::MacAged { .. } => &[Table::Mac],
        TraceEvent::StpPort { .. } | TraceEvent::StpTopologyChange { .. } => &[Table::Stp],
        TraceEvent::Tcp { .. } | TraceEvent::SocketCall { .. } => &[Table::Sockets],
        TraceEvent::Action { .. } => &[Table::Arp, Table::Routes, Table::Sockets, Table::Mac],
        // A lease changes the interface's address and routes.
        TraceEvent::Dhcp { .. } => &[Table::Routes],
        _ => &[],
    }
}

fn tables_of(kind: &NodeKind) -> &'static [Table] {
    match kind {
        NodeKind::Host(_) => &[Table::Arp, Table::Routes, Table::Sockets],
        NodeKind::Switch(s) if s.stp.is_some() => &[Table::Mac, Table::Stp],
        NodeKind::Switch(_) => &[Table::Mac],
        NodeKind::Hub(_) | NodeKind::Tap(_) => &[],
    }
}

fn table_name(t: Table) -> &'static str {
    match t {
        Table::Arp => "arp",
        Table::Routes => "routes",
        Table::Mac => "mac",
        Table::Sockets => "sockets",
        Table::Counters => "counters",
        Table::Stp => "stp",
        Table::Dhcp => "dhcp",
        Table::Dns => "dns",
    }
}

/// A table's texts over time: `(time, text)` at each change.
type Snapshots = Vec<(u64, String)>;

/// One frame on one hop, being collected.
struct FrameRow {
    id: u64,
    link: usize,
    from: usize,
    to: usize,
    /// Handed over, first bit on the wire, last bit arrived (or died).
    tx: u64,
    start: u64,
    end: u64,
    arrived: bool,
    /// `ok`, `link` (died on the cable), `node` (died at the receiver), with the reason.
    fate: &'static str,
    why: String,
    flipped: u32,
    bytes: usize,
    label: String,
}

/// Replays `scn` and collects everything the page shows.
pub fn collect(scn: &Scenario, opts: &ViewOptions) -> ViewData {
    // The verdicts only: the records stream past (the replay below keeps what the page shows).
    let (outcome, _) = scenario::run_streaming(
        scn,
        &RunOptions {
            seed: opts.seed,
            until: opts.until,
            ..Default::default()
        },
        &mut [],
    );
    let actions = scn.action_texts();
    let mut world = scn.instantiate(opts.seed, Trace::recording());
    let topo = Topology::of(&world);

    // Table snapshots at the start.
    let mut tables: Vec<Vec<(Table, Snapshots)>> = world
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            tables_of(&n.kind)
                .iter()
                .map(|&t| {
                    let text = show::render(&world, NodeId(i as u32), t).unwrap_or_default();
                    (t, vec![(0, text)])
                })
                .collect()
        })
        .collect();
    let mut tables_cut = false;
    // Steps: (event number, time, first record, layers text index).
    let mut steps: Vec<(u64, u64, usize, Option<usize>)> = Vec::new();
    let mut layers: Vec<String> = Vec::new();
    let mut layers_bytes = 0usize;
    let mut layers_cut = false;
    let stop = opts.until.or(scn.stop);
    let in_window = |t: Instant| opts.from.is_none_or(|f| t >= f) && opts.to.is_none_or(|x| t <= x);
    let mut index = 0u64;
    // Bits flipped on the wire, by frame, for the `layers` text of the frame's arrival.
    let mut flipped_bits = std::collections::BTreeMap::new();
    // The window's end is where this replay stops; the run's own stop or quiet end comes first
    // when earlier (the one run loop, `World::next`, decides).
    let stop_at = match (stop, opts.to) {
        (Some(s), Some(t)) => Some(s.min(t)),
        (s, t) => s.or(t),
    };
    // The page holds `max_events` events: once more than that are in, the replay goes on only
    // for `PAGE_TAIL` more records (frames on their way arrive) and stops, so a long run's page
    // costs the memory of the page, not of the run (a 1 GB transfer's grew past 12 GB).
    // Counted conservatively: with a filter, only records whose own bytes match it (or that
    // the filter keeps by layer), so the replay never stops before the page is full.
    let mut page_events = 0usize;
    let mut page_full_at: Option<Instant> = None;
    let mut tail = 0usize;
    let mut cut = false;
    loop {
        let before = world.trace().len();
        let step = match scenario::next_event(scn, &mut world, stop_at, None) {
            Next::Event(s) => s,
            Next::Paused | Next::Over(_) => break,
        };
        index += 1;
        let after = world.trace().len();
        if after == before {
            continue;
        }
        if page_full_at.is_some() {
            tail += after - before;
            if tail > PAGE_TAIL {
                cut = true;
                break;
            }
        } else {
            for r in &world.trace().records()[before..after] {
                if !in_window(r.time) {
                    continue;
                }
                let counts = match (&opts.filter, frame_bytes(&r.event)) {
                    (None, _) => true,
                    (Some(f), Some(bytes)) => f.matches(bytes),
                    (Some(_), None) => kept_by_any_filter(&r.event),
                };
                page_events += usize::from(counts);
            }
            if page_events > opts.max_events {
                page_full_at = Some(step.time);
            }
        }
        for r in &world.trace().records()[before..after] {
            if let TraceEvent::BitErrors { id, flipped, .. } = r.event {
                flipped_bits.insert(id, flipped);
            }
        }
        let mut text_idx = None;
        if in_window(step.time) && !layers_cut {
            let has_node = !matches!(step.kind, StepKind::Script { .. } | StepKind::Line { .. })
                || world.trace().records()[before..after]
                    .iter()
                    .any(|r| r.node.is_some());
            if has_node {
                let t = crate::step::layers_text(
                    &world,
                    &actions,
                    index,
                    &step,
                    &world.trace().records()[before..after],
                    &|id| flipped_bits.get(&id).copied(),
                );
                layers_bytes += t.len();
                if layers_bytes > LAYERS_BUDGET {
                    layers_cut = true;
                } else {
                    text_idx = Some(layers.len());
                    layers.push(t);
                }
            }
        }
        steps.push((index, ns(step.time), before, text_idx));
        // Tables the step's records touched, re-rendered; kept when they changed.
        let mut todo: Vec<(usize, Table)> = Vec::new();
        for r in &world.trace().records()[before..after] {
            if let Some(n) = r.node {
                for &t in touched(&r.event) {
                    if !todo.contains(&(n.0 as usize, t)) {
                        todo.push((n.0 as usize, t));
                    }
                }
            }
        }
        for (n, t) in todo {
            let Some(slot) = tables[n].iter_mut().find(|(k, _)| *k == t) else {
                continue;
            };
            let text = show::render(&world, NodeId(n as u32), t).unwrap_or_default();
            if slot.1.last().is_some_and(|(_, last)| *last == text) {
                continue;
            }
            if slot.1.len() >= SNAPSHOTS_PER_TABLE {
                tables_cut = true;
                continue;
            }
            slot.1.push((ns(step.time), text));
        }
    }
    let more_after = world.next_event_time(None).is_some();
    let records = world.trace().records();
    let view = TextView::new(&world, &actions);

    // Frames: one row per hop (a FrameTx, or a FrameDropped that never went on the wire).
    let mut frames: Vec<FrameRow> = Vec::new();
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    let mut bytes: Vec<Vec<u8>> = Vec::new();
    let mut bytes_idx: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut labeller = ladder::Labeller::default();
    // A switch or hub passes a frame on unchanged: its copy keeps the label the frame got when
    // a host sent it (labelled again, it would read as a retransmission or a duplicate ACK).
    let mut labels: HashMap<usize, String> = HashMap::new();
    let relays: Vec<bool> = (world.nodes.iter())
        .map(|n| !matches!(n.kind, NodeKind::Host(_)))
        .collect();
    let mut label_of = |b: usize, node: usize, frame: &[u8], id: u64, t: Instant| -> String {
        if relays[node] {
            if let Some(l) = labels.get(&b) {
                return l.clone();
            }
        }
        let l = labeller.label_at(frame, id, t);
        labels.insert(b, l.clone());
        l
    };
    let mut intern = |b: &[u8], bytes: &mut Vec<Vec<u8>>| -> usize {
        if let Some(&i) = bytes_idx.get(b) {
            return i;
        }
        bytes.push(b.to_vec());
        bytes_idx.insert(b.to_vec(), bytes.len() - 1);
        bytes.len() - 1
    };
    // The frame each node received last, and when: an IP drop at that instant is about it.
    let mut handling: HashMap<usize, (u64, usize)> = HashMap::new();
    for r in records {
        let node = r.node.map(|n| n.0 as usize);
        match &r.event {
            TraceEvent::FrameTx {
                link,
                id,
                frame,
                start,
                arrival,
                ..
            } => {
                let l = world.link(*link);
                let from = node.unwrap_or(0);
                let to = l
                    .ends
                    .iter()
                    .map(|e| e.0 .0 as usize)
                    .find(|&e| e != from)
                    .unwrap_or(from);
                let b = intern(frame, &mut bytes);
                by_id.insert(id.0, frames.len());
                frames.push(FrameRow {
                    id: id.0,
                    link: link.0 as usize,
                    from,
                    to,
                    tx: ns(r.time),
                    start: ns(*start),
                    end: ns(*arrival),
                    arrived: false,
                    fate: "ok",
                    why: String::new(),
                    flipped: 0,
                    bytes: b,
                    label: label_of(b, from, frame, id.0, r.time),
                });
            }
            TraceEvent::FrameDropped {
                link,
                id,
                frame,
                reason,
                ..
            } => {
                let why = format!("lost on {}: {}", world.link(*link).name, reason.reason());
                if let Some(&i) = by_id.get(&id.0) {
                    // Went down while the frame was on its way: it dies on the cable now.
                    let f = &mut frames[i];
                    f.fate = "link";
                    f.why = why;
                    f.end = ns(r.time).max(f.start);
                    continue;
                }
                let l = world.link(*link);
                let from = node.unwrap_or(0);
                let to = l
                    .ends
                    .iter()
                    .map(|e| e.0 .0 as usize)
                    .find(|&e| e != from)
                    .unwrap_or(from);
                let b = intern(frame, &mut bytes);
                // Never on the wire: drawn leaving the sender and dying a third of the way,
                // over a third of the cable's delay.
                let d = l.config().delay.as_nanos() / 3;
                by_id.insert(id.0, frames.len());
                frames.push(FrameRow {
                    id: id.0,
                    link: link.0 as usize,
                    from,
                    to,
                    tx: ns(r.time),
                    start: ns(r.time),
                    end: ns(r.time) + d.max(1),
                    arrived: false,
                    fate: "link",
                    why,
                    flipped: 0,
                    bytes: b,
                    label: label_of(b, from, frame, id.0, r.time),
                });
            }
            TraceEvent::BitErrors { id, flipped, .. } => {
                if let Some(&i) = by_id.get(&id.0) {
                    frames[i].flipped += flipped;
                }
            }
            TraceEvent::FrameRx { id, .. } => {
                if let (Some(&i), Some(n)) = (by_id.get(&id.0), node) {
                    frames[i].arrived = true;
                    frames[i].end = ns(r.time);
                    handling.insert(n, (ns(r.time), i));
                }
            }
            TraceEvent::NicDrop { id, reason, .. } => {
                if let Some(&i) = by_id.get(&id.0) {
                    frames[i].fate = "node";
                    frames[i].why = format!(
                        "dropped at {}: {}",
                        view.node_name(NodeId(frames[i].to as u32)),
                        reason.reason()
                    );
                }
            }
            TraceEvent::Switched {
                id,
                decision: Forwarding::Drop(e),
                ..
            } => {
                if let Some(&i) = by_id.get(&id.0) {
                    frames[i].fate = "node";
                    frames[i].why = format!(
                        "dropped at {}: {}",
                        view.node_name(NodeId(frames[i].to as u32)),
                        e.reason()
                    );
                }
            }
            TraceEvent::Switched {
                id,
                decision: Forwarding::Discard { port, state },
                ..
            } => {
                if let Some(&i) = by_id.get(&id.0) {
                    let at = NodeId(frames[i].to as u32);
                    frames[i].fate = "node";
                    frames[i].why = format!(
                        "discarded at {}: {} is {state} (spanning tree)",
                        view.node_name(at),
                        view.port_name(at, *port)
                    );
                }
            }
            TraceEvent::IpDropped { src, dst, reason } => {
                let Some(n) = node else { continue };
                if let Some(&(t, i)) = handling.get(&n) {
                    let f = &mut frames[i];
                    let same = dissect::ipv4_addresses(&bytes[f.bytes])
                        .is_some_and(|(s, d)| s == *src && d == *dst);
                    if t == ns(r.time) && same && f.fate == "ok" {
                        f.fate = "node";
                        f.why = format!(
                            "dropped at {}: {}",
                            view.node_name(NodeId(n as u32)),
                            reason.reason()
                        );
                    }
                }
            }
            _ => {}
        }
    }

    // Events: every record in the window (and through the filter), up to the limit.
    let frame_matches: Vec<bool> = match &opts.filter {
        Some(f) => bytes.iter().map(|b| f.matches(b)).collect(),
        None => vec![true; bytes.len()],
    };
    let mut ev_t = Vec::new();
    let mut ev_n = Vec::new();
    let mut ev_l = Vec::new();
    let mut ev_x = Vec::new();
    let mut ev_f = Vec::new();
    let mut ev_s = Vec::new();
    let mut left_before = 0usize;
    let mut left_after = 0usize;
    let mut left_filter = 0usize;
    let mut step_i = 0usize;
    let mut last_kept_time = None;
    // Each frame's sending and arrival among the page's events (-1: not in the page).
    let mut tx_ev = vec![-1i64; frames.len()];
    let mut rx_ev = vec![-1i64; frames.len()];
    for (ri, r) in records.iter().enumerate() {
        while step_i + 1 < steps.len() && steps[step_i + 1].2 <= ri {
            step_i += 1;
        }
        if !in_window(r.time) {
            if opts.from.is_some_and(|f| r.time < f) {
                left_before += 1;
            } else {
                left_after += 1;
            }
            continue;
        }
        let fi = frame_id(&r.event).and_then(|id| by_id.get(&id.0).copied());
        if opts.filter.is_some() {
            let keep = match fi {
                Some(i) => frame_matches[frames[i].bytes],
                None => kept_by_any_filter(&r.event),
            };
            if !keep {
                left_filter += 1;
                continue;
            }
        }
        if ev_t.len() >= opts.max_events {
            left_after += 1;
            continue;
        }
        last_kept_time = Some(r.time);
        ev_t.push(ns(r.time));
        ev_n.push(r.node.map_or(-1, |n| n.0 as i64));
        ev_l.push(r.event.layer() as u8);
        ev_x.push(view.what(r));
        ev_f.push(fi.map_or(-1, |i| i as i64));
        ev_s.push(step_i);
        if let Some(i) = fi {
            let e = ev_t.len() as i64 - 1;
            match r.event {
                TraceEvent::FrameTx { .. } | TraceEvent::FrameDropped { .. } if tx_ev[i] < 0 => {
                    tx_ev[i] = e
                }
                TraceEvent::FrameRx { .. } => rx_ev[i] = e,
                _ => {}
            }
        }
    }
    let mut left_out = Vec::new();
    if left_before > 0 {
        left_out.push(format!(
            "{left_before} events before {}",
            opts.from.unwrap()
        ));
    }
    if left_after > 0 {
        let after = match (last_kept_time, opts.to) {
            (Some(t), _) if cut => format!(
                "the events after {t} (more than {} events: narrow with --from/--to or --filter; \
                 the rest of the run was not replayed for the page)",
                opts.max_events
            ),
            (Some(t), _) if ev_t.len() >= opts.max_events => format!(
                "{left_after} events after {t} (more than {} events: narrow with --from/--to or --filter)",
                opts.max_events
            ),
            (_, Some(to)) => format!("{left_after} events after {to}"),
            _ => format!("{left_after} events"),
        };
        left_out.push(after);
    }
    if opts.to.is_some() && more_after && !cut {
        left_out.push("the rest of the run after --to (not simulated)".into());
    }
    if left_filter > 0 {
        left_out.push(format!(
            "{left_filter} events about frames the filter `{}` does not match",
            opts.filter
                .as_ref()
                .map(|f| f.to_string())
                .unwrap_or_default()
        ));
    }
    if layers_cut {
        left_out.push(format!(
            "the layers view of events after the first {} (page size)",
            layers.len()
        ));
    }
    if tables_cut {
        left_out.push(format!(
            "table snapshots beyond {SNAPSHOTS_PER_TABLE} per table (page size)"
        ));
    }

    // Frames: only those an event in the page refers to keep their bytes.
    // Field and section names are few: kept once, referred to by number.
    let mut names: Vec<String> = Vec::new();
    let mut name_idx: HashMap<String, usize> = HashMap::new();
    let mut name = |n: &str| -> usize {
        if let Some(&i) = name_idx.get(n) {
            return i;
        }
        names.push(n.to_string());
        name_idx.insert(n.to_string(), names.len() - 1);
        names.len() - 1
    };
    let dis: Vec<Value> = bytes
        .iter()
        .map(|b| {
            let secs = dissect::dissect(b);
            let spans = dissect::field_spans(b, &secs);
            Value::Array(
                secs.iter()
                    .zip(spans)
                    .map(|(s, sp)| {
                        let fields: Vec<Value> = s
                            .fields
                            .iter()
                            .zip(sp)
                            .map(|((n, v), span)| match span {
                                Some((a, z)) => json!([name(n), v, a, z]),
                                None => json!([name(n), v]),
                            })
                            .collect();
                        json!([s.layer.name(), name(&s.title), s.summary, fields])
                    })
                    .collect(),
            )
        })
        .collect();
    // Bytes for the hex view: the head, and the FCS of a long frame.
    let hex_bytes: Vec<Value> = bytes
        .iter()
        .map(|b| {
            if b.len() <= HEX_HEAD + 4 {
                json!([hex(b), b.len(), ""])
            } else {
                json!([hex(&b[..HEX_HEAD]), b.len(), hex(&b[b.len() - 4..])])
            }
        })
        .collect();
    let fr = json!({
        "id": frames.iter().map(|f| f.id).collect::<Vec<_>>(),
        "link": frames.iter().map(|f| f.link).collect::<Vec<_>>(),
        "from": frames.iter().map(|f| f.from).collect::<Vec<_>>(),
        "to": frames.iter().map(|f| f.to).collect::<Vec<_>>(),
        "tx": frames.iter().map(|f| f.tx).collect::<Vec<_>>(),
        "start": frames.iter().map(|f| f.start).collect::<Vec<_>>(),
        "end": frames.iter().map(|f| f.end).collect::<Vec<_>>(),
        "arrived": frames.iter().map(|f| f.arrived).collect::<Vec<_>>(),
        "fate": frames.iter().map(|f| f.fate).collect::<Vec<_>>(),
        "why": frames.iter().map(|f| f.why.as_str()).collect::<Vec<_>>(),
        "flip": frames.iter().map(|f| f.flipped).collect::<Vec<_>>(),
        "b": frames.iter().map(|f| f.bytes).collect::<Vec<_>>(),
        "label": frames.iter().map(|f| f.label.as_str()).collect::<Vec<_>>(),
        "proto": frames.iter().map(|f| proto_of(&bytes[f.bytes])).collect::<Vec<_>>(),
        "txe": tx_ev,
        "rxe": rx_ev,
    });

    // TCP connections: states per side, the segments and ACKs, cwnd.
    let conns = tcpgraph::connections(&world, records);
    let tcp: Vec<Value> = conns.iter().map(tcp_json).collect();

    // The ladder: every host, in `netlab ladder`'s order (by topology), so a frame between
    // neighbours does not cross a third host's lifeline.
    let is_host: Vec<bool> = (world.nodes.iter())
        .map(|n| matches!(n.kind, NodeKind::Host(_)))
        .collect();
    let hosts: Vec<usize> = ladder::column_order(&world, &is_host)
        .into_iter()
        .map(|id| id.0 as usize)
        .collect();
    let lad = ladder::build(
        &world,
        records,
        &ladder::LadderOptions {
            all_nodes: false,
            columns: hosts.iter().map(|&i| NodeId(i as u32)).collect(),
        },
    );
    let arrows: Vec<Value> = lad
        .arrows
        .iter()
        .map(|a| {
            let (fate, at) = match &a.fate {
                ladder::Fate::Delivered => (String::new(), false),
                ladder::Fate::Dropped {
                    at,
                    reason,
                    reached,
                } => (format!("✗ dropped at {at}: {reason}"), *reached),
            };
            json!([
                ns(a.sent),
                a.arrived.map(ns),
                hosts[a.from],
                a.to.map(|t| hosts[t]),
                a.label,
                fate,
                at,
                by_id.get(&a.frame.0).copied(),
                a.flipped
            ])
        })
        .collect();

    let checks: Vec<Value> = outcome
        .results
        .iter()
        .map(|c| json!([c.text, c.passed, c.detail, c.line]))
        .collect();
    let passed = outcome.results.iter().filter(|c| c.passed).count();

    let nodes: Vec<Value> = topo
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let kind = world.nodes[i].kind.kind_name();
            let (macs, ips): (Vec<String>, Vec<String>) = match &world.nodes[i].kind {
                NodeKind::Host(h) => (
                    h.interfaces().iter().map(|f| f.mac.to_string()).collect(),
                    h.interfaces()
                        .iter()
                        .filter_map(|f| f.addr.map(|a| a.addr().to_string()))
                        .collect(),
                ),
                _ => (Vec::new(), Vec::new()),
            };
            json!({
                "name": n.name,
                "kind": kind,
                "x": topo.layout.pos[i].0,
                "y": topo.layout.pos[i].1,
                "macs": macs,
                "ips": ips,
                "tables": tables[i].iter().map(|(t, snaps)| json!([table_name(*t), snaps])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let links: Vec<Value> = topo
        .links
        .iter()
        .map(|l| json!({"name": l.name, "a": l.ends[0].0, "b": l.ends[1].0, "label": l.label}))
        .collect();

    let summary = format!(
        "{} events, {} frames, {} TCP connection{}; expectations: {passed} passed, {} failed{}",
        ev_t.len(),
        frames.len(),
        conns.len(),
        if conns.len() == 1 { "" } else { "s" },
        outcome.results.len() - passed,
        if left_out.is_empty() {
            String::new()
        } else {
            format!("; left out: {}", left_out.join("; "))
        }
    );
    let json = json!({
        "v": 1,
        "name": scn.name,
        "description": scn.description,
        "file": scn.path,
        "seed": opts.seed.unwrap_or(scn.seed),
        "end": ns(world.now()),
        "leftOut": left_out,
        "layerNames": Layer::ALL.iter().map(|l| l.name()).collect::<Vec<_>>(),
        "nodes": nodes,
        "links": links,
        "svg": topo.to_svg(),
        "ev": {"t": ev_t, "n": ev_n, "l": ev_l, "x": ev_x, "f": ev_f, "s": ev_s},
        "steps": {
            "i": steps.iter().map(|s| s.0).collect::<Vec<_>>(),
            "t": steps.iter().map(|s| s.1).collect::<Vec<_>>(),
            "layers": steps.iter().map(|s| s.3.map_or(-1, |x| x as i64)).collect::<Vec<_>>(),
        },
        "layers": layers,
        "fr": fr,
        "bytes": hex_bytes,
        "names": names,
        "dis": dis,
        "facts": bytes.iter().map(|b| facts(b)).collect::<Vec<_>>(),
        "tcp": tcp,
        "ladder": {"cols": hosts, "arrows": arrows},
        "checks": checks,
        "runError": outcome.run_error.as_ref().map(|e| e.to_string()),
    });
    ViewData { json, summary }
}
