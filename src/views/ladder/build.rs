//! Building a ladder from records as they come ([`LadderBuilder`], a trace subscriber, so
//! `netlab ladder` keeps the arrows and not the run's history) or from a slice of them
//! ([`build`]).

use super::{
    carries_ip, carries_tcp, column_order, ip_drop_of_arrival, listen_drop_reason, tcp_drop_reason,
    Arrow, Fate, Labeller, Ladder, LadderOptions,
};
use crate::ethernet::{self, Frame, MacAddr};
use crate::ids::{FrameId, NodeId};
use crate::switch::Forwarding;
use crate::tcp::TcpEvent;
use crate::time::Instant;
use crate::trace::{describe, Names, NodeRole, PhyDrop, Record, Subscriber, TraceEvent};
use std::collections::HashMap;

/// Where a frame started (the last column node that sent it).
#[derive(Clone)]
struct Origin {
    from: NodeId,
    sent: Instant,
    frame: Frame,
    /// Its [`Labeller::label`], given when it was sent.
    label: String,
    flipped: u32,
    seq: usize,
    id: FrameId,
}

struct Builder {
    endpoint: Vec<bool>,
    column: Vec<Option<usize>>,
    macs: HashMap<MacAddr, NodeId>,
    /// (sort key: sent, origin seq, push order) and the arrow.
    arrows: Vec<((Instant, usize, usize), Arrow)>,
    labels: Labeller,
}

impl Builder {
    /// The column a frame was heading to, judged by its destination MAC.
    fn guess(&self, frame: &[u8]) -> Option<NodeId> {
        ethernet::dst_of(frame).and_then(|m| self.macs.get(&m).copied())
    }

    /// Adds an arrow if both ends are shown. Returns its index.
    fn push(
        &mut self,
        o: &Origin,
        to: Option<NodeId>,
        arrived: Option<Instant>,
        fate: Fate,
    ) -> Option<usize> {
        let from = self.column[o.from.0 as usize]?;
        let to = match to {
            Some(n) => Some(self.column[n.0 as usize]?),
            None => None,
        };
        let i = self.arrows.len();
        self.arrows.push((
            (o.sent, o.seq, i),
            Arrow {
                sent: o.sent,
                arrived,
                from,
                to,
                label: o.label.clone(),
                detail: describe::frame(&o.frame),
                flipped: o.flipped,
                fate,
                frame: o.id,
            },
        ));
        Some(i)
    }

    /// Lost on the way to `toward` (or to whoever the destination MAC names).
    fn lost(&mut self, o: &Origin, toward: Option<NodeId>, at: String, reason: &str) {
        let to = toward
            .filter(|n| self.endpoint[n.0 as usize])
            .or_else(|| self.guess(&o.frame))
            .filter(|n| *n != o.from);
        let fate = Fate::Dropped {
            at,
            reason: reason.to_string(),
            reached: false,
        };
        self.push(o, to, None, fate);
    }
}

/// What a node sends at `time`: the frame a relay (switch, hub) received at that instant, or a
/// new frame from the node itself (labelled now, in the order frames were sent).
#[allow(clippy::too_many_arguments)] // the closure at its one call site keeps them together
fn origin_at(
    relay: bool,
    at_relay: &HashMap<NodeId, (Instant, FrameId, Origin)>,
    labels: &mut Labeller,
    node: NodeId,
    time: Instant,
    frame: &Frame,
    id: FrameId,
    seq: &mut usize,
) -> Origin {
    if relay {
        if let Some((t, _, o)) = at_relay.get(&node) {
            if *t == time {
                return o.clone();
            }
        }
    }
    *seq += 1;
    Origin {
        from: node,
        sent: time,
        frame: frame.clone(),
        label: labels.label_at(frame, id.0, time),
        flipped: 0,
        seq: *seq,
        id,
    }
}

/// A ladder in the making: records go in one at a time, in the order they were made; it keeps
/// the arrows and, for the frames on their way, where they started. A trace subscriber: it
/// learns the network from the first record (or `Subscriber::start`).
pub struct LadderBuilder {
    opts: LadderOptions,
    state: Option<State>,
}

impl LadderBuilder {
    pub fn new(opts: LadderOptions) -> LadderBuilder {
        LadderBuilder { opts, state: None }
    }

    fn state(&mut self, names: &dyn Names) -> &mut State {
        let opts = &self.opts;
        self.state.get_or_insert_with(|| State::new(names, opts))
    }

    /// Takes one record.
    pub fn record(&mut self, names: &dyn Names, r: &Record) {
        self.state(names).record(names, r);
    }

    /// The ladder of the records taken.
    pub fn into_ladder(mut self, names: &dyn Names) -> Ladder {
        self.state(names);
        self.state.map(|s| s.into_ladder(names)).unwrap_or_default()
    }
}

impl Subscriber for LadderBuilder {
    fn start(&mut self, names: &dyn Names) {
        self.state(names);
    }

    fn record(&mut self, names: &dyn Names, r: &Record) {
        LadderBuilder::record(self, names, r);
    }
}

/// The builder's state once it knows the network.
struct State {
    b: Builder,
    order: Vec<NodeId>,
    in_flight: HashMap<FrameId, Origin>,
    /// The frame a transparent node (switch, hub) received last: what it sends at that
    /// instant.
    at_relay: HashMap<NodeId, (Instant, FrameId, Origin)>,
    /// The last arrow that ended at each column, with the frame's hop id: a NIC or switch
    /// drop of that frame, recorded in the same event as its arrival, marks it.
    ended: HashMap<NodeId, (FrameId, usize)>,
    /// The last arrow that ended at each column, with its arrival time: the frame the node is
    /// handling, which an IP or TCP drop record of the same instant is about.
    handling: HashMap<NodeId, (Instant, usize, Frame)>,
    seq: usize,
}

impl State {
    /// A ladder of the network `names` describes, with the columns `opts` asks for.
    fn new(names: &dyn Names, opts: &LadderOptions) -> State {
        let n = names.node_count();
        let is_host = |i: usize| {
            matches!(
                names.role(NodeId(i as u32)),
                NodeRole::Host | NodeRole::Router
            )
        };
        let endpoint: Vec<bool> = (0..n)
            .map(|i| opts.all_nodes || is_host(i) || opts.columns.contains(&NodeId(i as u32)))
            .collect();
        let order: Vec<NodeId> = if opts.columns.is_empty() {
            column_order(names, &endpoint)
        } else {
            opts.columns.clone()
        };
        let mut column = vec![None; n];
        for (c, id) in order.iter().enumerate() {
            column[id.0 as usize] = Some(c);
        }
        let mut macs = HashMap::new();
        for i in 0..n {
            for mac in names.macs(NodeId(i as u32)) {
                macs.insert(mac, NodeId(i as u32));
            }
        }
        let b = Builder {
            endpoint,
            column,
            macs,
            arrows: Vec::new(),
            labels: Labeller::default(),
        };

        State {
            b,
            order,
            in_flight: HashMap::new(),
            at_relay: HashMap::new(),
            ended: HashMap::new(),
            handling: HashMap::new(),
            seq: 0,
        }
    }

    fn record(&mut self, names: &dyn Names, r: &Record) {
        let State {
            b,
            in_flight,
            at_relay,
            ended,
            handling,
            seq,
            ..
        } = self;
        let name = |n: NodeId| names.node_name(n).to_string();
        let Some(node) = r.node else { return };
        let relay = !b.endpoint[node.0 as usize];
        let origin_here = |seq: &mut usize, labels: &mut Labeller, frame: &Frame, id: FrameId| {
            origin_at(relay, at_relay, labels, node, r.time, frame, id, seq)
        };
        match &r.event {
            TraceEvent::FrameTx { id, frame, .. } => {
                let o = origin_here(seq, &mut b.labels, frame, *id);
                in_flight.insert(*id, o);
            }
            TraceEvent::FrameDropped {
                link,
                id,
                frame,
                reason,
                ..
            } => {
                let o = if *reason == PhyDrop::LinkWentDown {
                    in_flight.remove(id)
                } else {
                    Some(origin_here(seq, &mut b.labels, frame, *id))
                };
                if let Some(o) = o {
                    let ends = names.link_ends(*link);
                    let far = ends.iter().map(|e| e.0).find(|&e| e != node);
                    let on = format!("on {}", names.link_name(*link));
                    b.lost(&o, far, on, reason.reason());
                }
            }
            // A collided attempt: a short arrow that ends on the cable (the frame's later
            // attempt, or its drop, is drawn on its own).
            TraceEvent::Collision {
                link,
                id,
                frame,
                attempt,
                backoff: Some(slots),
                ..
            } => {
                *seq += 1;
                let o = Origin {
                    from: node,
                    sent: r.time,
                    frame: frame.clone(),
                    label: format!("[collision] attempt {attempt}"),
                    flipped: 0,
                    seq: *seq,
                    id: *id,
                };
                let far = names
                    .link_ends(*link)
                    .iter()
                    .map(|e| e.0)
                    .find(|&e| e != node);
                let why = format!(
                    "collision, jam, backoff {slots} slot{}",
                    if *slots == 1 { "" } else { "s" }
                );
                b.lost(&o, far, format!("on {}", names.link_name(*link)), &why);
            }
            TraceEvent::BitErrors { id, flipped, .. } => {
                if let Some(o) = in_flight.get_mut(id) {
                    o.flipped += flipped;
                }
            }
            TraceEvent::FrameRx { id, .. } => {
                let Some(o) = in_flight.remove(id) else {
                    return;
                };
                if b.endpoint[node.0 as usize] {
                    if let Some(i) = b.push(&o, Some(node), Some(r.time), Fate::Delivered) {
                        ended.insert(node, (*id, i));
                        handling.insert(node, (r.time, i, o.frame.clone()));
                    }
                } else {
                    at_relay.insert(node, (r.time, *id, o));
                }
            }
            TraceEvent::NicDrop { id, reason, .. } => {
                if let Some(&(_, i)) = ended.get(&node).filter(|(f, _)| f == id) {
                    b.arrows[i].1.fate = Fate::Dropped {
                        at: format!("at {}", name(node)),
                        reason: reason.reason().to_string(),
                        reached: true,
                    };
                }
                handling.remove(&node);
            }
            TraceEvent::IpDropped { src, dst, reason } if ip_drop_of_arrival(reason) => {
                if let Some((t, i, frame)) = handling.get(&node) {
                    let arrow = &mut b.arrows[*i].1;
                    if *t == r.time
                        && arrow.fate == Fate::Delivered
                        && carries_ip(frame, *src, *dst)
                    {
                        arrow.fate = Fate::Dropped {
                            at: format!("at {}", name(node)),
                            reason: reason.reason().to_string(),
                            reached: true,
                        };
                    }
                }
            }
            TraceEvent::Tcp {
                local,
                remote,
                event,
            } => {
                let (remote, why) = match *event {
                    TcpEvent::SegmentDropped { reason } => (*remote, tcp_drop_reason(reason)),
                    TcpEvent::ListenDrop { remote, reason } => (remote, listen_drop_reason(reason)),
                    _ => return,
                };
                if let Some((t, i, frame)) = handling.get(&node) {
                    let arrow = &mut b.arrows[*i].1;
                    if *t == r.time
                        && arrow.fate == Fate::Delivered
                        && carries_tcp(frame, remote, *local)
                    {
                        arrow.fate = Fate::Dropped {
                            at: format!("at {}", name(node)),
                            reason: why.to_string(),
                            reached: true,
                        };
                    }
                }
            }
            TraceEvent::Switched {
                id,
                decision:
                    decision @ (Forwarding::Drop(_) | Forwarding::Filter | Forwarding::Discard { .. }),
                ..
            } => {
                let reason = match decision {
                    Forwarding::Drop(e) => e.reason(),
                    Forwarding::Discard { .. } => "discarded (spanning tree port state)",
                    _ => "filtered (destination on the same port)",
                };
                if let Some(&(_, i)) = ended.get(&node).filter(|(f, _)| f == id) {
                    b.arrows[i].1.fate = Fate::Dropped {
                        at: format!("at {}", name(node)),
                        reason: reason.to_string(),
                        reached: true,
                    };
                } else if let Some((_, rx, o)) = at_relay.get(&node).cloned() {
                    if rx == *id {
                        b.lost(&o, None, format!("at {}", name(node)), reason);
                    }
                }
            }
            _ => {}
        }
    }

    fn into_ladder(self, names: &dyn Names) -> Ladder {
        let mut arrows = self.b.arrows;
        arrows.sort_by_key(|(k, _)| *k);
        Ladder {
            columns: self
                .order
                .iter()
                .map(|&id| names.node_name(id).to_string())
                .collect(),
            arrows: arrows.into_iter().map(|(_, a)| a).collect(),
        }
    }
}

/// Builds the ladder of `records` (a run of the network `names` describes).
pub fn build(names: &dyn Names, records: &[Record], opts: &LadderOptions) -> Ladder {
    let mut ladder = LadderBuilder::new(opts.clone());
    for r in records {
        ladder.record(names, r);
    }
    ladder.into_ladder(names)
}
