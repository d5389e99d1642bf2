//! The world's side of a shared medium: a hub with `half_duplex = true` is one collision
//! domain ([`crate::phy::csma::Segment`]), and the cables to it are its stations' ports; a
//! link with `medium = "shared"` is one too, a cable with a station at each end.
//!
//! A frame a station hands to such a cable passes the link's checks (up, fault rules, loss) as
//! on any cable, then waits in the station's MAC. Nothing is recorded until the medium says
//! what became of it:
//! - a collision the station heard: a `Collision` record at the station (and, when the frame
//!   is abandoned, a `FrameDropped` with `excessive-collisions` or `late-collision`);
//! - the frame crossed whole: its `FrameTx` is recorded then, when its last bit reaches the hub
//!   or the shared cable's far end (`start` says when its first bit left), and it arrives
//!   there at that instant; a hub repeats it as any hub does, and the repeater's side of each
//!   cable sends it cut-through ([`crate::phy::Transmitter::repeat`]);
//! - it collided unheard: `FrameDropped` with `undetected-collision`.
//!
//! So a capture, the ladder and every receiver see only frames that crossed whole, each once.
//! A hub's medium's deadlines are the hub's wakes; a shared cable is no node, so its medium
//! has its own event (`Event::Line`).

use super::fabric::{Fabric, LinkEnd};
use super::impair::Wire;
use super::world::{Event, NodeKind, World};
use super::{FrameId, LinkId, NodeId};
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
    /// The station index on the segment of the node at each side of the link; `None` for a
    /// hub's side (the repeater).
    pub stations: [Option<u16>; 2],
}

/// What a shared medium is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A half-duplex hub's cables; the hub's wakes run it.
    Hub(NodeId),
    /// One link with `medium = "shared"`; `Event::Line` runs it.
    Link(LinkId),
}

/// A shared medium: its segment and the frames its stations' MACs hold.
#[derive(Debug)]
pub struct Medium {
    pub owner: Owner,
    pub segment: Segment,
    /// A shared link's earliest `Event::Line` scheduled (later ones may be stale and are
    /// skipped, as a node's wakes).
    wake_at: Option<Instant>,
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
        medium: u32,
        station: u16,
    ) {
        let m = medium as usize;
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
            .enqueue(now, usize::from(station), queued, &mut out)
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

    /// A station's cable to a shared medium went down (both stations of a shared link): their
    /// frames are lost.
    pub(super) fn detach_station(&mut self, now: Instant, shared: SharedEnd) {
        let m = shared.medium as usize;
        let mut lost = Vec::new();
        for s in shared.stations.into_iter().flatten() {
            lost.extend(self.media[m].segment.detach(now, usize::from(s)));
        }
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
            let mut at = [None; 2];
            at[1 - e.side as usize] = Some(stations.len() as u16);
            link.shared = Some(SharedEnd {
                medium: m,
                stations: at,
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
            owner: Owner::Hub(hub),
            segment: Segment::new(bandwidth, &stations, rng),
            wake_at: None,
            pending: BTreeMap::new(),
            stations: ends,
        });
        if let NodeKind::Hub(h) = &mut self.node_mut(hub).kind {
            h.medium = Some(m);
        }
    }

    /// Makes a link one half-duplex cable (`medium = "shared"`): its two ends are the
    /// stations of one collision domain, each hearing the other after the link's delay, with
    /// `rng` drawing the backoffs.
    pub fn make_shared_link(&mut self, link: LinkId, rng: ChaCha8Rng) {
        let m = self.fabric.media.len() as u32;
        let l = &mut self.fabric.links[link.0 as usize];
        l.shared = Some(SharedEnd {
            medium: m,
            stations: [Some(0), Some(1)],
        });
        let c = l.config();
        let segment = Segment::cable(c.bandwidth, c.delay, [c.queue_frames; 2], rng);
        self.fabric.media.push(Medium {
            owner: Owner::Link(link),
            segment,
            wake_at: None,
            pending: BTreeMap::new(),
            stations: [0, 1].map(|side| LinkEnd { link, side }).to_vec(),
        });
    }

    /// Asks every medium touched since the last call for its next deadline.
    pub(super) fn reschedule_media(&mut self) {
        if !std::mem::take(&mut self.fabric.media_touched) {
            return;
        }
        for i in 0..self.fabric.media.len() {
            match self.fabric.media[i].owner {
                Owner::Hub(hub) => self.reschedule_wake(hub),
                Owner::Link(_) => self.reschedule_line(i),
            }
        }
    }

    /// Schedules a shared link's `Event::Line` if its medium's deadline is earlier than the one
    /// already scheduled.
    fn reschedule_line(&mut self, m: usize) {
        let now = self.now();
        let medium = &mut self.fabric.media[m];
        if let Some(due) = medium.segment.poll_at() {
            let due = due.max(now);
            if medium.wake_at.is_none_or(|w| due < w) {
                medium.wake_at = Some(due);
                let medium = m as u32;
                self.fabric.queue.schedule(due, Event::Line { medium });
            }
        }
    }

    /// A shared link's `Event::Line`: runs its medium if this is its current deadline. Returns
    /// the link.
    pub(super) fn wake_line(&mut self, now: Instant, m: u32) -> LinkId {
        let m = m as usize;
        let Owner::Link(link) = self.fabric.media[m].owner else {
            unreachable!("only a shared link's medium has line events")
        };
        if self.fabric.media[m].wake_at == Some(now) {
            self.fabric.media[m].wake_at = None;
            self.fabric.run_medium(now, m);
            self.reschedule_line(m);
        }
        link
    }

    /// A shared link's medium, if it is one.
    fn link_medium(&self, link: LinkId) -> Option<u32> {
        let l = &self.fabric.links[link.0 as usize];
        let shared = l.shared?;
        (self.fabric.media[shared.medium as usize].owner == Owner::Link(link))
            .then_some(shared.medium)
    }

    /// A shared medium's counter (`collisions`, …) for a hub or link; zero for a hub that is not
    /// half duplex or a link that is not shared.
    pub(super) fn medium_counter(&self, medium: Option<u32>, name: &str) -> Option<u64> {
        match medium {
            Some(m) => self.fabric.media[m as usize].segment.counters.get(name),
            None => crate::phy::csma::SegmentCounters::default().get(name),
        }
    }

    /// The same for a link (`collisions`, …: see [`crate::phy::csma::SegmentCounters`]).
    pub(super) fn link_medium_counter(&self, link: LinkId, name: &str) -> Option<u64> {
        self.medium_counter(self.link_medium(link), name)
    }

    /// The station's end of each cable of a shared medium, in station order.
    pub fn medium_stations(&self, m: u32) -> &[LinkEnd] {
        &self.fabric.media[m as usize].stations
    }
}
