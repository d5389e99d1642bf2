//! The world's side of a shared medium: a hub with `half_duplex = true` is one collision
//! domain ([`crate::phy::csma::Segment`]), and the cables to it are its stations' ports.
//!
//! A frame a station hands to such a cable passes the link's checks (up, fault rules, loss) as
//! on any cable, then waits in the station's MAC. Nothing is recorded until the medium says
//! what became of it:
//! - a collision the station heard: a `Collision` record at the station (and, when the frame
//!   is abandoned, a `FrameDropped` with `excessive-collisions` or `late-collision`);
//! - the frame crossed the repeater whole: its `FrameTx` is recorded then, when its last bit
//!   reaches the hub (`start` says when its first bit left), and it arrives at the hub at that
//!   instant; the hub repeats it as any hub does, and the repeater's side of each cable sends
//!   it cut-through ([`crate::phy::Transmitter::repeat`]);
//! - it collided unheard: `FrameDropped` with `undetected-collision`.
//!
//! So a capture, the ladder and every receiver see only frames that crossed whole, each once.
//! The medium's deadlines are the hub's wakes.

use super::world::{Fabric, LinkEnd, NodeKind, Wire, World};
use super::{FrameId, NodeId};
use crate::phy::csma::{AfterCollision, Queued, Segment, SegmentOut};
use crate::time::Instant;
use crate::trace::{PhyDrop, TraceEvent};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Where a cable meets a shared medium.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SharedEnd {
    /// Index into `Fabric::media`.
    pub medium: u32,
    /// The station's index on the segment.
    pub station: u16,
    /// The side of the link the hub is on.
    pub hub_side: u8,
}

/// A shared medium: its segment and the frames its stations' MACs hold.
#[derive(Debug)]
pub struct Medium {
    pub hub: NodeId,
    pub segment: Segment,
    /// Frames handed to a MAC and not settled yet, by frame id.
    pending: BTreeMap<u64, Pending>,
    /// Each station's end of its cable.
    stations: Vec<LinkEnd>,
}

#[derive(Debug)]
struct Pending {
    node: NodeId,
    port: u16,
    end: LinkEnd,
    id: FrameId,
    wire: Wire,
}

impl Fabric {
    /// A station hands a frame to its cable to a shared medium.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_shared(
        &mut self,
        now: Instant,
        node: NodeId,
        port: u16,
        end: LinkEnd,
        id: FrameId,
        wire: Wire,
        shared: SharedEnd,
    ) {
        let m = shared.medium as usize;
        let len = wire.frame.len();
        let medium = &mut self.media[m];
        medium.pending.insert(
            id.0,
            Pending {
                node,
                port,
                end,
                id,
                wire,
            },
        );
        let mut out = Vec::new();
        let queued = Queued { token: id.0, len };
        if !medium
            .segment
            .enqueue(now, usize::from(shared.station), queued, &mut out)
        {
            let p = medium.pending.remove(&id.0).expect("just inserted");
            self.links[end.link.0 as usize].tx[end.side as usize]
                .counters
                .queue_drops += 1;
            self.drop_record(
                now,
                node,
                port,
                end.link,
                id,
                p.wire.frame,
                PhyDrop::QueueFull,
            );
        }
        self.media_touched = true;
        self.medium_outputs(now, m, out);
    }

    /// Runs a medium's due deadlines.
    pub(super) fn run_medium(&mut self, now: Instant, m: usize) {
        let mut out = Vec::new();
        self.media[m].segment.run(now, &mut out);
        self.medium_outputs(now, m, out);
    }

    /// A station's cable to a shared medium went down: its frames are lost.
    pub(super) fn detach_station(&mut self, now: Instant, shared: SharedEnd) {
        let m = shared.medium as usize;
        let lost = self.media[m]
            .segment
            .detach(now, usize::from(shared.station));
        for q in lost {
            if let Some(p) = self.media[m].pending.remove(&q.token) {
                self.links[p.end.link.0 as usize].tx[p.end.side as usize]
                    .counters
                    .down_drops += 1;
                let link = p.end.link;
                self.drop_record(
                    now,
                    p.node,
                    p.port,
                    link,
                    p.id,
                    p.wire.frame,
                    PhyDrop::LinkDown,
                );
            }
        }
        self.media_touched = true;
    }

    fn medium_outputs(&mut self, now: Instant, m: usize, out: Vec<SegmentOut>) {
        for o in out {
            match o {
                SegmentOut::Collision {
                    token,
                    attempt,
                    after,
                    late,
                    then,
                    ..
                } => {
                    let Some(p) = self.media[m].pending.get(&token) else {
                        continue;
                    };
                    let (node, port, end, id) = (p.node, p.port, p.end, p.id);
                    let frame = p.wire.frame.clone();
                    let bps = self.links[end.link.0 as usize].config().bandwidth.bps();
                    let after_bits =
                        (u128::from(after.as_nanos()) * u128::from(bps) / 1_000_000_000) as u64;
                    let backoff = match then {
                        AfterCollision::Backoff { slots } => Some(slots),
                        _ => None,
                    };
                    self.trace.push(
                        now,
                        Some(node),
                        TraceEvent::Collision {
                            link: end.link,
                            port,
                            id,
                            frame: frame.clone(),
                            attempt,
                            after_bits,
                            late,
                            backoff,
                        },
                    );
                    let reason = match then {
                        AfterCollision::Backoff { .. } => continue,
                        AfterCollision::Excessive => PhyDrop::ExcessiveCollisions,
                        AfterCollision::Late => PhyDrop::LateCollision,
                    };
                    self.media[m].pending.remove(&token);
                    self.drop_record(now, node, port, end.link, id, frame, reason);
                }
                SegmentOut::Crossed { token, start, .. } => {
                    let Some(p) = self.media[m].pending.remove(&token) else {
                        continue;
                    };
                    let tx = &mut self.links[p.end.link.0 as usize].tx[p.end.side as usize];
                    let outcome = tx.crossed(start, now, p.wire.frame.len());
                    self.settle(now, p.node, p.port, p.end, p.id, p.wire, outcome);
                }
                SegmentOut::Garbled { token, .. } => {
                    let Some(p) = self.media[m].pending.remove(&token) else {
                        continue;
                    };
                    let link = p.end.link;
                    let reason = PhyDrop::UndetectedCollision;
                    self.drop_record(now, p.node, p.port, link, p.id, p.wire.frame, reason);
                }
            }
        }
    }
}

impl World {
    /// Makes a hub half duplex: its cables become one collision domain, with `rng` drawing
    /// the backoffs. Call after its links are added; they share one bit rate (the scenario
    /// loader checks).
    pub fn make_shared(&mut self, hub: NodeId, rng: ChaCha8Rng) {
        let m = self.fabric.media.len() as u32;
        let mut stations = Vec::new();
        let mut ends = Vec::new();
        let mut bandwidth = crate::phy::LinkConfig::default().bandwidth;
        for e in self.fabric.ports[hub.0 as usize].iter().flatten() {
            let link = &mut self.fabric.links[e.link.0 as usize];
            link.shared = Some(SharedEnd {
                medium: m,
                station: stations.len() as u16,
                hub_side: e.side,
            });
            let c = link.config();
            bandwidth = c.bandwidth;
            stations.push((c.delay, c.queue_frames));
            ends.push(LinkEnd {
                link: e.link,
                side: 1 - e.side,
            });
        }
        self.fabric.media.push(Medium {
            hub,
            segment: Segment::new(bandwidth, &stations, rng),
            pending: BTreeMap::new(),
            stations: ends,
        });
        if let NodeKind::Hub(h) = &mut self.node_mut(hub).kind {
            h.medium = Some(m);
        }
    }

    /// Asks every medium touched since the last call for its next deadline.
    pub(super) fn reschedule_media(&mut self) {
        if !std::mem::take(&mut self.fabric.media_touched) {
            return;
        }
        for i in 0..self.fabric.media.len() {
            let hub = self.fabric.media[i].hub;
            self.reschedule_wake(hub);
        }
    }

    /// A shared medium's counter (`collisions`, …) for a hub; zero for a hub that is not half
    /// duplex.
    pub(super) fn medium_counter(&self, medium: Option<u32>, name: &str) -> Option<u64> {
        match medium {
            Some(m) => self.fabric.media[m as usize].segment.counters.get(name),
            None => crate::phy::csma::SegmentCounters::default().get(name),
        }
    }

    /// The station's end of each cable of a shared medium, in station order.
    pub fn medium_stations(&self, m: u32) -> &[LinkEnd] {
        &self.fabric.media[m as usize].stations
    }
}
