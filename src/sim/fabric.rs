//! The fabric: links (their impairments in `sim::impair`), the event queue and the trace, which
//! a node's outputs go to (the [`Outlet`] of its [`crate::node::NodeIo`]), kept apart from the
//! nodes so a node can be borrowed while its frames are sent.

use super::engine::EventQueue;
use super::impair::{Flips, Impairments, Wire};
use super::medium::{Medium, SharedEnd};
use super::world::Event;
use super::{FrameId, LinkId, NodeId};
use crate::ethernet::Frame;
use crate::filter::FrameFilter;
use crate::node::Outlet;
use crate::phy::{LinkConfig, Transmitter, TxOutcome};
use crate::time::{Duration, Instant};
use crate::trace::{PhyDrop, Trace, TraceEvent};

/// One end of a link: which link, and which of its two sides.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LinkEnd {
    pub link: LinkId,
    pub side: u8,
}

/// What a fault rule does to the frame it catches.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    Drop,
    /// Flip these bit positions (counted from the first bit on the wire after the SFD).
    Corrupt(Vec<u64>),
    /// Hold the frame this much longer than the link would: frames sent after it overtake it
    /// (reordering).
    Delay(Duration),
    /// Deliver the frame twice.
    Duplicate,
}

/// A deterministic fault: act on the `nth` (1-based) frame matching `filter` that one side of a
/// link sends (or either side, if `from_side` is `None`); `count` consecutive matches from there.
#[derive(Clone, Debug)]
pub struct Fault {
    pub from_side: Option<u8>,
    pub filter: FrameFilter,
    pub nth: u32,
    pub count: u32,
    pub action: FaultAction,
    seen: u32,
}

impl Fault {
    pub fn new(
        from_side: Option<u8>,
        filter: FrameFilter,
        nth: u32,
        count: u32,
        action: FaultAction,
    ) -> Self {
        Fault {
            from_side,
            filter,
            nth: nth.max(1),
            count: count.max(1),
            action,
            seen: 0,
        }
    }

    /// Counts the frame if it matches and says whether this one is to be hit.
    pub(super) fn hits(&mut self, side: u8, frame: &[u8]) -> bool {
        if self.from_side.is_some_and(|s| s != side) || !self.filter.matches(frame) {
            return false;
        }
        self.seen += 1;
        self.seen >= self.nth && self.seen < self.nth.saturating_add(self.count)
    }
}

/// A full-duplex link between two ports.
#[derive(Debug)]
pub struct Link {
    pub name: String,
    pub ends: [(NodeId, u16); 2],
    /// Transmitter `i` sends from side `i` to side `1 - i`.
    pub tx: [Transmitter; 2],
    pub up: bool,
    pub(super) epoch: u32,
    /// Fault rules, random loss, bit errors (`sim::impair`).
    pub impairments: Impairments,
    /// Frames lost because the link went down while they were on it.
    pub lost_in_flight: u64,
    /// A cable to a half-duplex hub, or a `medium = "shared"` link: the medium decides when
    /// the stations' frames go.
    pub shared: Option<SharedEnd>,
}

impl Link {
    pub fn config(&self) -> &LinkConfig {
        &self.tx[0].config
    }

    /// Sum of a counter over both directions.
    pub fn total(&self, f: impl Fn(&crate::phy::TxCounters) -> u64) -> u64 {
        f(&self.tx[0].counters) + f(&self.tx[1].counters)
    }

    /// The side a node is on, if it is on this link.
    pub fn side_of(&self, node: NodeId) -> Option<u8> {
        self.ends
            .iter()
            .position(|(n, _)| *n == node)
            .map(|s| s as u8)
    }
}

/// Links, their port attachments, the event queue and the trace: everything a node's outputs
/// need, kept apart from the nodes so a node can be borrowed while its frames are sent.
pub struct Fabric {
    pub queue: EventQueue<Event>,
    pub links: Vec<Link>,
    /// `ports[node][port]`: the link end plugged into that port, if any.
    pub ports: Vec<Vec<Option<LinkEnd>>>,
    pub trace: Trace,
    pub(super) next_frame_id: u64,
    /// Shared media (half-duplex hubs, shared links), see `sim::medium`.
    pub media: Vec<Medium>,
    /// A medium changed since its hub's wake was last asked for.
    pub(super) media_touched: bool,
}

impl Fabric {
    /// Puts `frame` on the link plugged into `port` of `node`. Returns false when no cable is
    /// plugged into that port (the caller decides whether that is worth a record).
    pub fn send(&mut self, node: NodeId, port: u16, frame: Frame) -> bool {
        let now = self.queue.now();
        let Some(end) = self.ports[node.0 as usize]
            .get(port as usize)
            .copied()
            .flatten()
        else {
            return false;
        };
        let id = FrameId(self.next_frame_id);
        self.next_frame_id += 1;
        let Some(wire) = self.admit(now, node, port, end, id, frame) else {
            return true;
        };
        let link = &mut self.links[end.link.0 as usize];
        let outcome = match link.shared {
            // A station on a shared medium: its MAC decides when (and whether) the frame goes.
            Some(shared) if shared.stations[end.side as usize].is_some() => {
                let station = shared.stations[end.side as usize].unwrap_or_default();
                self.send_shared(now, node, port, end, id, wire, shared.medium, station);
                return true;
            }
            // The repeater's side of a shared medium: it repeats bits as they come, so the
            // frame (whose last bit just reached it) went out as it came in.
            Some(_) => link.tx[end.side as usize].repeat(now, wire.frame.len()),
            None => link.tx[end.side as usize].transmit(now, wire.frame.len()),
        };
        self.settle(now, node, port, end, id, wire, outcome);
        true
    }

    /// Records that the link lost a frame.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn drop_record(
        &mut self,
        now: Instant,
        node: NodeId,
        port: u16,
        link: LinkId,
        id: FrameId,
        frame: Frame,
        reason: PhyDrop,
    ) {
        if self.trace.on() {
            self.trace.push(
                now,
                Some(node),
                TraceEvent::FrameDropped {
                    link,
                    port,
                    id,
                    frame,
                    reason,
                },
            );
        }
    }

    /// The checks before a frame reaches the line: the link is up, and no impairment drops it.
    /// Returns the frame with what the impairments will do to it on the wire.
    fn admit(
        &mut self,
        now: Instant,
        node: NodeId,
        port: u16,
        end: LinkEnd,
        id: FrameId,
        frame: Frame,
    ) -> Option<Wire> {
        let link = &mut self.links[end.link.0 as usize];
        let side = end.side;
        if !link.up {
            link.tx[side as usize].counters.down_drops += 1;
            self.drop_record(now, node, port, end.link, id, frame, PhyDrop::LinkDown);
            return None;
        }
        // Bits a fault rule flips and the bit error rate act on the wire, after the `FrameTx`
        // record (which keeps the bytes as the sender handed them).
        match link.impairments.admit(side, frame) {
            Ok(wire) => Some(wire),
            Err((frame, why)) => {
                if why == PhyDrop::RandomLoss {
                    link.tx[side as usize].counters.lost += 1;
                }
                self.drop_record(now, node, port, end.link, id, frame, why);
                None
            }
        }
    }

    /// What the line answered for a frame: a drop, or the frame on the wire (the `FrameTx`
    /// record, bit errors, the arrival at the far end).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn settle(
        &mut self,
        now: Instant,
        node: NodeId,
        port: u16,
        end: LinkEnd,
        id: FrameId,
        mut wire: Wire,
        outcome: TxOutcome,
    ) {
        let side = end.side;
        match outcome {
            TxOutcome::QueueFull => {
                self.drop_record(
                    now,
                    node,
                    port,
                    end.link,
                    id,
                    wire.frame,
                    PhyDrop::QueueFull,
                );
            }
            TxOutcome::LinkDown => {
                self.drop_record(now, node, port, end.link, id, wire.frame, PhyDrop::LinkDown);
            }
            TxOutcome::Sent {
                start,
                arrival,
                queued_behind,
            } => {
                if self.trace.on() {
                    self.trace.push(
                        now,
                        Some(node),
                        TraceEvent::FrameTx {
                            link: end.link,
                            port,
                            id,
                            frame: wire.frame.clone(),
                            start,
                            arrival,
                            queued_behind: queued_behind as u32,
                        },
                    );
                }
                let link = &mut self.links[end.link.0 as usize];
                let tx = &mut link.tx[side as usize];
                let flips = link.impairments.damage(&mut wire);
                if let Some(Flips { bits: n, by_fault }) = flips {
                    tx.counters.corrupted_frames += 1;
                    tx.counters.bit_errors += n as u64;
                    self.trace.push(
                        now,
                        Some(node),
                        TraceEvent::BitErrors {
                            link: end.link,
                            id,
                            flipped: n,
                            by_fault,
                        },
                    );
                }
                if wire.duplicate {
                    self.queue.schedule(
                        arrival,
                        Event::Arrival {
                            link: end.link,
                            to_side: 1 - side,
                            id,
                            frame: wire.frame.clone(),
                            epoch: link.epoch,
                        },
                    );
                }
                self.queue.schedule(
                    arrival + wire.extra_delay,
                    Event::Arrival {
                        link: end.link,
                        to_side: 1 - side,
                        id,
                        frame: wire.frame,
                        epoch: link.epoch,
                    },
                );
            }
        }
    }
}

/// The world's side of a node's I/O: frames go on the fabric's links, records into its trace.
impl Outlet for Fabric {
    fn send(&mut self, node: NodeId, port: u16, frame: Frame) -> bool {
        Fabric::send(self, node, port, frame)
    }

    fn tracing(&self) -> bool {
        self.trace.on()
    }

    fn record(&mut self, time: Instant, node: NodeId, event: TraceEvent) {
        self.trace.push(time, Some(node), event);
    }
}
