//! The world: nodes joined by links, driven by the event queue.
//!
//! Three kinds of event exist. A frame *arrival* hands the frame's bytes to the node at the far
//! end of a link; a *wake* lets a node run its timers (each node asks for its next deadline
//! after every event, see [`World::step`]); a *script* event hands control back to whoever
//! drives the world (the scenario runner) to apply a timeline action or check an expectation.
//!
//! Handling an event may make a node send frames: the [`Fabric`] puts them on links, which
//! answer when they arrive (serialisation + queueing + propagation) and may flip their bits.
//!
//! The links, their fault rules and the event queue a node's outputs go to are in `fabric.rs`.

use super::engine::EventQueue;
use super::fabric::{Fabric, Link, LinkEnd};
use super::impair::Impairments;
use super::{FrameId, LinkId, NodeId};
use crate::ethernet::Frame;
use crate::host::Host;
use crate::node::NodeIo;
use crate::phy::{LinkConfig, Transmitter};
use crate::switch::stp::StpOutput;
use crate::switch::{Forwarding, Hub, Learned, Switch, VlanCopies};
use crate::time::{Duration, Instant};
use crate::trace::{PhyDrop, Trace, TraceEvent};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// What a world's events are.
#[derive(Clone, Debug)]
pub enum Event {
    /// The last bit of `frame` reaches end `to_side` of `link`.
    Arrival {
        link: LinkId,
        to_side: u8,
        id: FrameId,
        frame: Frame,
        /// The link's up/down generation when the frame left; if it changed, the frame was lost.
        epoch: u32,
    },
    /// A node's timers are due.
    Wake { node: NodeId },
    /// A shared link's medium (`sim::medium`) has a deadline.
    Line { medium: u32 },
    /// Control returns to the driver with this number (timeline action or timed check).
    Script { index: u32 },
}

/// The kinds of node.
// A switch (MAC table, counters, spanning tree and VLAN handles) is bigger than a hub; it stays
// inline because switches are few and every frame through one reads it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum NodeKind {
    Host(Box<Host>),
    Switch(Switch),
    Hub(Hub),
    /// The kernel's side of a TAP (`crate::tap`): frames for it wait in its outbox.
    Tap(super::tap_port::TapPort),
}

impl NodeKind {
    pub fn kind_name(&self) -> &'static str {
        match self {
            NodeKind::Host(h) if h.is_router() => "router",
            NodeKind::Host(_) => "host",
            NodeKind::Switch(_) => "switch",
            NodeKind::Hub(_) => "hub",
            NodeKind::Tap(_) => "tap",
        }
    }
}

/// A node of the network.
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
}

/// Bounds that end a runaway run with an error instead of a hang.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most events one run may process.
    pub max_events: u64,
    /// Latest simulated time a run may reach when it runs "until quiet".
    pub max_time: Instant,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 50_000_000,
            max_time: Instant::ZERO + Duration::from_secs(24 * 3600),
        }
    }
}

/// A run ended without going quiet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error(
        "runaway: stopped after {events} events at t={at}s, the limit set by max_events. \
         The busiest link was {busiest_link} with {busiest_frames} frames{hint}"
    )]
    EventLimit {
        events: u64,
        at: Instant,
        busiest_link: String,
        busiest_frames: u64,
        hint: String,
    },
    #[error(
        "runaway: the network was still busy at t={at}s, the limit set by max_time; \
         the next event was at t={next}s"
    )]
    TimeLimit { at: Instant, next: Instant },
}

impl RunError {
    /// A short stable name, for expectations (`end error runaway`).
    pub fn kind(&self) -> &'static str {
        "runaway"
    }
}

/// Counters that count a host's TCP connections in a state, now.
const TCP_STATE_COUNTERS: &[(&str, crate::tcp::State)] = &[
    ("tcp_syn_sent", crate::tcp::State::SynSent),
    ("tcp_syn_received", crate::tcp::State::SynReceived),
    ("tcp_established", crate::tcp::State::Established),
    ("tcp_fin_wait_1", crate::tcp::State::FinWait1),
    ("tcp_fin_wait_2", crate::tcp::State::FinWait2),
    ("tcp_close_wait", crate::tcp::State::CloseWait),
    ("tcp_closing", crate::tcp::State::Closing),
    ("tcp_last_ack", crate::tcp::State::LastAck),
    ("tcp_time_wait", crate::tcp::State::TimeWait),
];

/// The counters a kind of node (`host`, `router`, `switch`, `hub`) or a `link` has.
pub fn counter_names(kind: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = match kind {
        "host" | "router" => {
            let mut v = crate::host::HostCounters::NAMES.to_vec();
            v.extend(TCP_STATE_COUNTERS.iter().map(|(n, _)| *n));
            v
        }
        "switch" => crate::switch::SwitchCounters::NAMES.to_vec(),
        "hub" => {
            let mut v = vec!["repeated"];
            v.extend(crate::phy::csma::SegmentCounters::NAMES);
            v
        }
        "link" => crate::phy::TxCounters::NAMES.to_vec(),
        "tap" => super::tap_port::TapCounters::NAMES.to_vec(),
        _ => vec![],
    };
    match kind {
        "switch" => v.push("mac_table_size"),
        "link" => {
            v.push("lost_in_flight");
            // A shared link's CSMA/CD counters (zero on a full-duplex one).
            v.extend(crate::phy::csma::SegmentCounters::NAMES);
        }
        _ => {}
    }
    v
}

/// Sends the BPDUs a switch's spanning tree asked for and records its port changes.
fn stp_outputs(now: Instant, node: NodeId, sw: &mut Switch, fabric: &mut Fabric) {
    let mut out = Vec::new();
    sw.take_stp_output(&mut out);
    for o in out {
        match o {
            StpOutput::Send { port, bpdu } => {
                if let Some(frame) = sw.bpdu_frame(&bpdu) {
                    fabric.send(node, port, frame);
                }
            }
            StpOutput::Port { port, role, state } => {
                fabric
                    .trace
                    .push(now, Some(node), TraceEvent::StpPort { port, role, state });
            }
            StpOutput::TopologyChange(on) => {
                fabric
                    .trace
                    .push(now, Some(node), TraceEvent::StpTopologyChange { on });
            }
        }
    }
}

/// What one step did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    Frame {
        link: LinkId,
        to: NodeId,
    },
    Wake {
        node: NodeId,
    },
    /// The shared medium of a `medium = "shared"` link ran (collisions, starts, ends).
    Line {
        link: LinkId,
    },
    Script {
        index: u32,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub time: Instant,
    pub kind: StepKind,
}

/// The whole simulated network.
pub struct World {
    pub nodes: Vec<Node>,
    pub fabric: Fabric,
    pub limits: Limits,
    /// The scenario's seed (programs derive their `random` seed from it).
    pub seed: u64,
    /// The earliest wake scheduled for each node (later ones may be stale and are skipped).
    wake_at: Vec<Option<Instant>>,
    /// Scratch for switch aging reports.
    aged: Vec<(crate::ethernet::MacAddr, u16)>,
    /// Wakes in the queue that only do housekeeping (a switch aging its MAC table), stale ones
    /// included: they alone do not keep a run "until quiet" going.
    housekeeping_queued: usize,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("now", &self.now())
            .field("nodes", &self.nodes.len())
            .field("links", &self.fabric.links.len())
            .finish()
    }
}

impl World {
    pub fn new(trace: Trace) -> Self {
        World {
            nodes: Vec::new(),
            fabric: Fabric {
                queue: EventQueue::new(),
                links: Vec::new(),
                ports: Vec::new(),
                trace,
                next_frame_id: 1,
                media: Vec::new(),
                media_touched: false,
            },
            limits: Limits::default(),
            seed: 0,
            wake_at: Vec::new(),
            aged: Vec::new(),
            housekeeping_queued: 0,
        }
    }

    /// The time of the next event that keeps a run going. With a `stop` time every event does
    /// (the run goes on to it); without one the run ends when nothing but housekeeping is left:
    /// a switch's MAC aging timers would otherwise carry every switched run on to 300 s and
    /// empty the tables a user looks at with `--show mac@sw1` at the end.
    pub fn next_event_time(&mut self, stop: Option<Instant>) -> Option<Instant> {
        self.reschedule_media();
        if stop.is_none() && self.fabric.queue.live_len() == self.housekeeping_queued {
            return None;
        }
        self.fabric.queue.peek_time()
    }

    pub fn now(&self) -> Instant {
        self.fabric.queue.now()
    }

    pub fn trace(&self) -> &Trace {
        &self.fabric.trace
    }

    /// Adds a node with `ports` ports (interfaces of a host, ports of a switch or hub).
    pub fn add_node(&mut self, name: impl Into<String>, kind: NodeKind, ports: u16) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            name: name.into(),
            kind,
        });
        self.fabric.ports.push(vec![None; ports as usize]);
        self.wake_at.push(None);
        id
    }

    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| NodeId(i as u32))
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.0 as usize]
    }

    pub fn link(&self, id: LinkId) -> &Link {
        &self.fabric.links[id.0 as usize]
    }

    pub fn link_mut(&mut self, id: LinkId) -> &mut Link {
        &mut self.fabric.links[id.0 as usize]
    }

    pub fn link_id(&self, name: &str) -> Option<LinkId> {
        self.fabric
            .links
            .iter()
            .position(|l| l.name == name)
            .map(|i| LinkId(i as u32))
    }

    /// A node's counter by name (see [`counter_names`]).
    pub fn node_counter(&self, id: NodeId, name: &str) -> Option<u64> {
        match &self.node(id).kind {
            NodeKind::Host(h) => h.counters().get(name).or_else(|| {
                TCP_STATE_COUNTERS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, st)| h.sockets().count_state(*st))
            }),
            NodeKind::Switch(s) if name == "mac_table_size" => {
                Some(s.table.entries(self.now()).len() as u64)
            }
            NodeKind::Switch(s) => s.counters.get(name),
            NodeKind::Hub(h) if name == "repeated" => Some(h.repeated),
            NodeKind::Hub(h) => self.medium_counter(h.medium, name),
            NodeKind::Tap(t) => t.counters.get(name),
        }
    }

    /// A link's counter by name, summed over both directions.
    pub fn link_counter(&self, id: LinkId, name: &str) -> Option<u64> {
        let l = self.link(id);
        if name == "lost_in_flight" {
            return Some(l.lost_in_flight);
        }
        if crate::phy::csma::SegmentCounters::NAMES.contains(&name) {
            return self.link_medium_counter(id, name);
        }
        crate::phy::TxCounters::NAMES
            .contains(&name)
            .then(|| l.total(|c| c.get(name).unwrap_or(0)))
    }

    /// The link plugged into a node's port.
    pub fn link_at(&self, node: NodeId, port: u16) -> Option<LinkEnd> {
        self.fabric.ports[node.0 as usize]
            .get(port as usize)
            .copied()
            .flatten()
    }

    /// Joins two free ports with a link. `rng` drives the link's bit errors.
    pub fn add_link(
        &mut self,
        name: impl Into<String>,
        a: (NodeId, u16),
        b: (NodeId, u16),
        config: LinkConfig,
        rng: ChaCha8Rng,
    ) -> LinkId {
        let id = LinkId(self.fabric.links.len() as u32);
        for (side, (node, port)) in [a, b].into_iter().enumerate() {
            self.fabric.ports[node.0 as usize][port as usize] = Some(LinkEnd {
                link: id,
                side: side as u8,
            });
        }
        self.fabric.links.push(Link {
            name: name.into(),
            ends: [a, b],
            impairments: Impairments::new(config.loss, config.bit_error_rate, rng),
            tx: [Transmitter::new(config.clone()), Transmitter::new(config)],
            up: true,
            epoch: 0,
            lost_in_flight: 0,
            shared: None,
        });
        id
    }

    /// Schedules control to return to the driver at `at` with `index` (see [`StepKind::Script`]).
    pub fn schedule_script(&mut self, at: Instant, index: u32) {
        self.fabric.queue.schedule(at, Event::Script { index });
    }

    /// Sets the probability that the link loses a frame outright, from now on.
    pub fn set_link_loss(&mut self, id: LinkId, loss: f64) {
        self.fabric.links[id.0 as usize].impairments.set_loss(loss);
    }

    /// Takes a link down or brings it up. Going down loses every frame queued or in flight.
    pub fn set_link_up(&mut self, id: LinkId, up: bool) {
        let now = self.now();
        let link = &mut self.fabric.links[id.0 as usize];
        if link.up == up {
            return;
        }
        link.up = up;
        if !up {
            link.epoch += 1;
            for tx in link.tx.iter_mut() {
                tx.reset(now);
            }
            if let Some(shared) = link.shared {
                self.fabric.detach_station(now, shared);
            }
        }
        self.fabric
            .trace
            .push(now, None, TraceEvent::LinkState { link: id, up });
        // A switch running spanning tree sees its port's carrier come and go (802.1D-1998
        // 8.8.2, 8.8.3): losing the root port takes the best alternate at once.
        let ends = self.fabric.links[id.0 as usize].ends;
        for (node, port) in ends {
            let World { nodes, fabric, .. } = self;
            if let NodeKind::Switch(sw) = &mut nodes[node.0 as usize].kind {
                if sw.stp.is_some() {
                    sw.on_link(now, port, up);
                    stp_outputs(now, node, sw, fabric);
                    self.reschedule_wake(node);
                }
            }
        }
    }

    /// Runs one event. `Ok(None)` when nothing is left to do.
    pub fn step(&mut self) -> Result<Option<Step>, RunError> {
        // A frame handed to a shared medium since the last event (by this driver's timeline
        // action, say) may have moved its deadline.
        self.reschedule_media();
        if self.fabric.queue.processed() >= self.limits.max_events {
            return Err(self.event_limit_error());
        }
        let Some((now, event)) = self.fabric.queue.pop() else {
            return Ok(None);
        };
        let kind = match event {
            Event::Arrival {
                link,
                to_side,
                id,
                frame,
                epoch,
            } => {
                let l = &mut self.fabric.links[link.0 as usize];
                let (node, port) = l.ends[to_side as usize];
                if l.epoch != epoch {
                    l.lost_in_flight += 1;
                    let sender = l.ends[1 - to_side as usize];
                    self.fabric.trace.push(
                        now,
                        Some(sender.0),
                        TraceEvent::FrameDropped {
                            link,
                            port: sender.1,
                            id,
                            frame,
                            reason: PhyDrop::LinkWentDown,
                        },
                    );
                } else {
                    if self.fabric.trace.on() {
                        self.fabric.trace.push(
                            now,
                            Some(node),
                            TraceEvent::FrameRx {
                                link,
                                port,
                                id,
                                frame: frame.clone(),
                            },
                        );
                    }
                    self.deliver(now, node, port, id, frame);
                    self.reschedule_wake(node);
                }
                StepKind::Frame { link, to: node }
            }
            Event::Wake { node } => {
                if self.is_switch(node) {
                    self.housekeeping_queued -= 1;
                }
                if self.wake_at[node.0 as usize] == Some(now) {
                    self.wake_at[node.0 as usize] = None;
                    self.wake(now, node);
                    self.reschedule_wake(node);
                }
                StepKind::Wake { node }
            }
            Event::Line { medium } => StepKind::Line {
                link: self.wake_line(now, medium),
            },
            Event::Script { index } => StepKind::Script { index },
        };
        Ok(Some(Step { time: now, kind }))
    }

    /// Runs every event up to and including `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Instant) -> Result<(), RunError> {
        match self.run_views(Some(t), &mut []) {
            super::End::Failed(e) => Err(e),
            _ => {
                self.fabric.queue.advance_to(t);
                Ok(())
            }
        }
    }

    /// Runs until nothing is left to do, or a limit is reached.
    pub fn run(&mut self) -> Result<(), RunError> {
        match self.run_views(None, &mut []) {
            super::End::Failed(e) => Err(e),
            _ => Ok(()),
        }
    }

    fn event_limit_error(&self) -> RunError {
        let busiest = self
            .fabric
            .links
            .iter()
            .max_by_key(|l| l.total(|c| c.frames))
            .map(|l| (l.name.clone(), l.total(|c| c.frames)))
            .unwrap_or_default();
        let looks_like_storm = self.nodes.iter().any(|n| match &n.kind {
            NodeKind::Switch(s) => s.counters.flooded > self.limits.max_events / 10,
            NodeKind::Hub(h) => h.repeated > self.limits.max_events / 10,
            NodeKind::Host(_) | NodeKind::Tap(_) => false,
        });
        RunError::EventLimit {
            events: self.fabric.queue.processed(),
            at: self.now(),
            busiest_link: busiest.0,
            busiest_frames: busiest.1,
            hint: if looks_like_storm {
                ". Switches flooded frames endlessly: a broadcast storm, the result of a loop of \
                 switches without spanning tree"
                    .into()
            } else {
                String::new()
            },
        }
    }

    /// Hands a frame that arrived on `port` to the node.
    fn deliver(&mut self, now: Instant, node: NodeId, port: u16, id: FrameId, frame: Frame) {
        let World { nodes, fabric, .. } = self;
        let n = &mut nodes[node.0 as usize];
        match &mut n.kind {
            NodeKind::Host(host) => {
                let mut io = NodeIo::new(now, node, fabric);
                host.on_frame(&mut io, port, id, frame);
            }
            NodeKind::Switch(sw) => {
                let (decision, learned) = sw.on_frame(now, port, &frame);
                if fabric.trace.on() {
                    if let Some(src) = crate::ethernet::src_of(&frame) {
                        if matches!(
                            learned,
                            Learned::New | Learned::Moved { .. } | Learned::TableFull
                        ) {
                            fabric.trace.push(
                                now,
                                Some(node),
                                TraceEvent::MacLearned {
                                    mac: src,
                                    port,
                                    how: learned,
                                },
                            );
                        }
                    }
                    fabric.trace.push(
                        now,
                        Some(node),
                        TraceEvent::Switched {
                            in_port: port,
                            id,
                            decision,
                        },
                    );
                }
                let vlan = sw
                    .ingress_vlan(port, &frame)
                    .unwrap_or(crate::switch::DEFAULT_VLAN);
                let mut copies = VlanCopies::new(frame, vlan);
                match decision {
                    Forwarding::Unicast(out) => {
                        if let Some(f) = sw.egress(out, &mut copies) {
                            fabric.send(node, out, f);
                        }
                    }
                    Forwarding::Flood { .. } => {
                        for out in 0..sw.ports {
                            // With spanning tree, only to forwarding ports; with VLANs, only
                            // to the frame's VLAN.
                            if out != port && sw.forwards_to(out) {
                                if let Some(f) = sw.egress(out, &mut copies) {
                                    fabric.send(node, out, f);
                                }
                            }
                        }
                    }
                    Forwarding::Filter
                    | Forwarding::Drop(_)
                    | Forwarding::Bpdu
                    | Forwarding::Discard { .. }
                    | Forwarding::WrongVlan { .. } => {}
                }
                stp_outputs(now, node, sw, fabric);
            }
            NodeKind::Hub(hub) => {
                hub.repeated += 1;
                fabric.trace.push(
                    now,
                    Some(node),
                    TraceEvent::HubRepeated { in_port: port, id },
                );
                for out in 0..hub.ports {
                    if out != port {
                        fabric.send(node, out, frame.clone());
                    }
                }
            }
            NodeKind::Tap(tap) => tap.on_frame(frame),
        }
    }

    /// Runs a node's due timers.
    fn wake(&mut self, now: Instant, node: NodeId) {
        let World {
            nodes,
            fabric,
            aged,
            ..
        } = self;
        match &mut nodes[node.0 as usize].kind {
            NodeKind::Host(host) => {
                let mut io = NodeIo::new(now, node, fabric);
                host.on_timer(&mut io);
            }
            NodeKind::Switch(sw) => {
                aged.clear();
                sw.on_timer(now, aged);
                stp_outputs(now, node, sw, fabric);
                for &(mac, port) in aged.iter() {
                    fabric
                        .trace
                        .push(now, Some(node), TraceEvent::MacAged { mac, port });
                }
            }
            NodeKind::Hub(h) => {
                if let Some(m) = h.medium {
                    fabric.run_medium(now, m as usize);
                }
            }
            NodeKind::Tap(_) => {}
        }
    }

    /// A switch's timers are housekeeping: its MAC table's aging, and spanning tree's hellos
    /// and state timers (a run "until quiet" ends when only they are left: a timeline or a
    /// `stop` time decides how long to watch a spanning tree converge).
    fn is_switch(&self, node: NodeId) -> bool {
        matches!(self.nodes[node.0 as usize].kind, NodeKind::Switch(_))
    }

    /// Asks a node for its next deadline and schedules a wake if it is earlier than the one
    /// already scheduled. Later deadlines need nothing: the earlier wake will find the node not
    /// yet due, and reschedule.
    pub fn reschedule_wake(&mut self, node: NodeId) {
        let due = match &self.nodes[node.0 as usize].kind {
            NodeKind::Host(h) => h.poll_at(),
            NodeKind::Switch(s) => s.poll_at(),
            NodeKind::Hub(h) => h
                .medium
                .and_then(|m| self.fabric.media[m as usize].segment.poll_at()),
            NodeKind::Tap(_) => None,
        };
        if let Some(due) = due {
            // A deadline already past means "now" (the queue would run it now anyway, and the
            // stale-wake check compares against the time it actually runs).
            let due = due.max(self.now());
            let slot = &mut self.wake_at[node.0 as usize];
            if slot.is_none_or(|w| due < w) {
                *slot = Some(due);
                self.fabric.queue.schedule(due, Event::Wake { node });
                if self.is_switch(node) {
                    self.housekeeping_queued += 1;
                }
            }
        }
    }

    /// Lets a node act now outside any event (a scenario action), then flushes its outputs.
    pub fn with_host<R>(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut Host, &mut NodeIo) -> R,
    ) -> Option<R> {
        let now = self.now();
        let World { nodes, fabric, .. } = self;
        let r = match &mut nodes[node.0 as usize].kind {
            NodeKind::Host(host) => {
                let mut io = NodeIo::new(now, node, fabric);
                Some(f(host, &mut io))
            }
            _ => None,
        };
        self.reschedule_wake(node);
        self.reschedule_media();
        r
    }
}
