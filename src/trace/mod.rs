//! The trace: one structured record per thing that happened, in every layer.
//!
//! Records are small enums holding ids, numbers and shared frame buffers; nothing is formatted
//! when they are made. Every view (the text log, expectations, pcap, ladder diagrams, the
//! stepper) reads the same records. When nobody listens ([`Trace::off`]), producers skip
//! building records entirely: `if trace.on() { trace.push(..) }`.

pub mod describe;
pub mod json;
pub mod ladder;
pub mod pcap;
pub mod text;

use crate::ethernet::{Frame, FrameError, MacAddr};
use crate::sim::{FrameId, LinkId, NodeId};
use crate::switch::{Forwarding, Learned};
use crate::time::Instant;

/// The layer a record belongs to, for filtering views.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Phy,
    Ethernet,
    Switch,
    Scenario,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Phy => "phy",
            Layer::Ethernet => "eth",
            Layer::Switch => "switch",
            Layer::Scenario => "scenario",
        }
    }

    pub const ALL: [Layer; 4] = [Layer::Phy, Layer::Ethernet, Layer::Switch, Layer::Scenario];

    pub fn from_name(s: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == s)
    }
}

/// Why the physical layer lost a frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PhyDrop {
    /// The transmit queue was full (drop-tail).
    QueueFull,
    /// The link was down when the frame was handed to it.
    LinkDown,
    /// The link went down while the frame was queued or in flight.
    LinkWentDown,
    /// A scenario fault rule dropped it on purpose.
    Fault,
}

impl PhyDrop {
    pub fn reason(self) -> &'static str {
        match self {
            PhyDrop::QueueFull => "queue-full",
            PhyDrop::LinkDown => "link-down",
            PhyDrop::LinkWentDown => "link-went-down",
            PhyDrop::Fault => "fault",
        }
    }
}

/// Why a host's network interface did not take a frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NicDrop {
    Damaged(FrameError),
    /// Unicast to another station: a NIC only takes its own address and broadcast.
    NotForMe {
        dst: MacAddr,
    },
    InterfaceDown,
    /// No protocol on this host handles the EtherType.
    UnknownEtherType(u16),
}

impl NicDrop {
    pub fn reason(&self) -> &'static str {
        match self {
            NicDrop::Damaged(e) => e.reason(),
            NicDrop::NotForMe { .. } => "not-for-me",
            NicDrop::InterfaceDown => "interface-down",
            NicDrop::UnknownEtherType(_) => "unknown-ethertype",
        }
    }
}

/// Everything that can happen, by layer.
#[derive(Clone, Debug)]
pub enum TraceEvent {
    // ---- physical layer ----
    /// A node handed a frame to a link; it reaches the far end at `arrival`. `frame` is the bytes
    /// as the node handed them over: bit errors happen later, on the wire ([`TraceEvent::BitErrors`]).
    FrameTx {
        link: LinkId,
        port: u16,
        id: FrameId,
        frame: Frame,
        start: Instant,
        arrival: Instant,
        queued_behind: u32,
    },
    /// The link lost a frame.
    FrameDropped {
        link: LinkId,
        port: u16,
        id: FrameId,
        frame: Frame,
        reason: PhyDrop,
    },
    /// Bits of a frame were flipped on the way (the receiver sees the damaged bytes).
    BitErrors {
        link: LinkId,
        id: FrameId,
        flipped: u32,
        /// A scenario fault rule did it, not the link's bit error rate.
        by_fault: bool,
    },
    /// The last bit of a frame reached a node's port.
    FrameRx {
        link: LinkId,
        port: u16,
        id: FrameId,
        frame: Frame,
    },

    // ---- Ethernet at a host ----
    NicDrop {
        port: u16,
        id: FrameId,
        reason: NicDrop,
    },
    /// A frame of an EtherType no stack layer claims was delivered to the host itself (raw frames
    /// sent by scenario actions).
    RawDelivered {
        port: u16,
        id: FrameId,
        frame: Frame,
    },

    // ---- switches and hubs ----
    MacLearned {
        mac: MacAddr,
        port: u16,
        how: Learned,
    },
    MacAged {
        mac: MacAddr,
        port: u16,
    },
    Switched {
        in_port: u16,
        id: FrameId,
        decision: Forwarding,
    },
    HubRepeated {
        in_port: u16,
        id: FrameId,
    },

    // ---- scenario ----
    /// A timeline action ran (`index` into the scenario's timeline).
    Action {
        index: u32,
    },
    LinkState {
        link: LinkId,
        up: bool,
    },
}

impl TraceEvent {
    pub fn layer(&self) -> Layer {
        use TraceEvent::*;
        match self {
            FrameTx { .. } | FrameDropped { .. } | BitErrors { .. } | FrameRx { .. } => Layer::Phy,
            NicDrop { .. } | RawDelivered { .. } => Layer::Ethernet,
            MacLearned { .. } | MacAged { .. } | Switched { .. } | HubRepeated { .. } => {
                Layer::Switch
            }
            Action { .. } | LinkState { .. } => Layer::Scenario,
        }
    }
}

/// Every reason a frame can be dropped for, as `dropped reason=…` expectations name them.
pub const DROP_REASONS: &[&str] = &[
    "queue-full",
    "link-down",
    "link-went-down",
    "fault",
    "bad-fcs",
    "runt",
    "not-for-me",
    "interface-down",
    "unknown-ethertype",
];

/// The drop reason of a record, if it records a drop.
pub fn drop_reason(e: &TraceEvent) -> Option<&'static str> {
    match e {
        TraceEvent::FrameDropped { reason, .. } => Some(reason.reason()),
        TraceEvent::NicDrop { reason, .. } => Some(reason.reason()),
        TraceEvent::Switched {
            decision: Forwarding::Drop(e),
            ..
        } => Some(e.reason()),
        _ => None,
    }
}

/// One trace record: when, where, what.
#[derive(Clone, Debug)]
pub struct Record {
    pub time: Instant,
    /// The node where it happened (`None` for whole-network events).
    pub node: Option<NodeId>,
    pub event: TraceEvent,
}

/// The record store. Off by default in benchmarks; on when any view or expectation listens.
#[derive(Debug, Default)]
pub struct Trace {
    enabled: bool,
    records: Vec<Record>,
}

impl Trace {
    pub fn off() -> Self {
        Trace::default()
    }

    pub fn recording() -> Self {
        Trace {
            enabled: true,
            records: Vec::new(),
        }
    }

    /// Whether anyone listens. Producers test this before building a record.
    #[inline(always)]
    pub fn on(&self) -> bool {
        self.enabled
    }

    #[inline]
    pub fn push(&mut self, time: Instant, node: Option<NodeId>, event: TraceEvent) {
        if self.enabled {
            self.records.push(Record { time, node, event });
        }
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
