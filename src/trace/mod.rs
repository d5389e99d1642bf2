//! The trace: one structured record per thing that happened, in every layer.
//!
//! Records are small enums holding ids, numbers and shared frame buffers; nothing is formatted
//! when they are made. Every view (the text log, expectations, pcap, ladder diagrams, the
//! stepper) takes the same records, as they are made, through one small interface
//! ([`Subscriber`]). When nobody listens ([`Trace::off`]), producers skip building records
//! entirely: `if trace.on() { trace.push(..) }`.

pub mod describe;
pub mod dissect;
pub mod names;

pub use names::{Names, NodeRole};

use crate::arp::{ArpEvent, ArpInputError, ArpParseError};
use crate::ethernet::{Frame, FrameError, MacAddr};
use crate::icmp::{DestUnreachableCode, IcmpRepr, TimeExceededCode};
use crate::ids::{FrameId, LinkId, NodeId};
use crate::ip::{IpProtocol, Ipv4Cidr, Ipv4ParseError};
use crate::switch::{Forwarding, Learned};
use crate::time::{Duration, Instant};
use std::net::Ipv4Addr;

/// The layer a record belongs to, for filtering views.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Phy,
    Ethernet,
    Switch,
    Arp,
    Ip,
    Icmp,
    Udp,
    Tcp,
    Socket,
    App,
    Scenario,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Phy => "phy",
            Layer::Ethernet => "eth",
            Layer::Switch => "switch",
            Layer::Arp => "arp",
            Layer::Ip => "ip",
            Layer::Icmp => "icmp",
            Layer::Udp => "udp",
            Layer::Tcp => "tcp",
            Layer::Socket => "socket",
            Layer::App => "app",
            Layer::Scenario => "scenario",
        }
    }

    pub const ALL: [Layer; 11] = [
        Layer::Phy,
        Layer::Ethernet,
        Layer::Switch,
        Layer::Arp,
        Layer::Ip,
        Layer::Icmp,
        Layer::Udp,
        Layer::Tcp,
        Layer::Socket,
        Layer::App,
        Layer::Scenario,
    ];

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
    /// Lost at random (the link's `loss` probability).
    RandomLoss,
    /// A shared medium's 16th collision of the frame (IEEE 802.3 attemptLimit).
    ExcessiveCollisions,
    /// A collision heard after the first 512 bit times: the frame is abandoned.
    LateCollision,
    /// Collided at the repeater after its sender had finished (cables beyond the standard).
    UndetectedCollision,
}

impl PhyDrop {
    pub fn reason(self) -> &'static str {
        match self {
            PhyDrop::QueueFull => "queue-full",
            PhyDrop::LinkDown => "link-down",
            PhyDrop::LinkWentDown => "link-went-down",
            PhyDrop::Fault => "fault",
            PhyDrop::RandomLoss => "random-loss",
            PhyDrop::ExcessiveCollisions => "excessive-collisions",
            PhyDrop::LateCollision => "late-collision",
            PhyDrop::UndetectedCollision => "undetected-collision",
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

/// Why the IP layer dropped a datagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IpDrop {
    /// The header was damaged or malformed (RFC 1122 §3.2.1.2: silently discarded).
    BadHeader(Ipv4ParseError),
    /// No route matches the destination.
    NoRoute,
    /// The TTL ran out at a router (RFC 791): an ICMP time exceeded goes back.
    TtlExpired,
    /// ARP could not find the next hop's MAC address.
    HostUnreachable,
    /// Too many packets were already waiting for the next hop's ARP reply.
    ArpQueueFull,
    /// Too big for the next link with DF set: ICMP fragmentation needed goes back.
    FragNeeded { mtu: u16 },
    /// Addressed to another host, and this host does not forward.
    NotForMe,
    /// Routers do not forward broadcasts (RFC 1812 §5.3.5).
    BroadcastNotForwarded,
    /// No protocol handler for the datagram's protocol number.
    UnknownProtocol(u8),
    /// No socket on the destination UDP port.
    PortUnreachable(u16),
    /// The transport header was damaged (bad checksum, truncated).
    BadTransport,
    /// Fragments that could not be put together (overlap, too long, memory).
    ReassemblyFailed,
    /// Not all fragments arrived in time.
    ReassemblyTimeout,
    /// The link's MTU is too small for any fragment.
    CannotFragment,
    /// A fragment already received (the reassembler keeps the first copy).
    DuplicateFragment,
    /// The source address is one no host can have: a broadcast (limited, or the receiving
    /// subnet's), multicast, or 0.0.0.0 to anything but the limited broadcast (RFC 1122
    /// §3.2.1.3: silently discarded; Linux's "martian source", `IP_INVALID_SOURCE`).
    InvalidSource,
    /// A TCP segment in a link-layer broadcast frame or to a broadcast address: TCP is
    /// unicast only (RFC 1122 §4.2.3.10; Linux's `tcp_v4_rcv` discards any segment whose
    /// frame was not addressed to this host).
    TcpNotUnicast,
}

impl IpDrop {
    pub fn reason(&self) -> &'static str {
        match self {
            IpDrop::BadHeader(Ipv4ParseError::BadChecksum { .. }) => "bad-checksum",
            IpDrop::BadHeader(_) => "bad-ip-header",
            IpDrop::NoRoute => "no-route",
            IpDrop::TtlExpired => "ttl-expired",
            IpDrop::HostUnreachable => "host-unreachable",
            IpDrop::ArpQueueFull => "arp-queue-full",
            IpDrop::FragNeeded { .. } => "frag-needed",
            IpDrop::NotForMe => "not-for-me-ip",
            IpDrop::BroadcastNotForwarded => "broadcast-not-forwarded",
            IpDrop::UnknownProtocol(_) => "protocol-unreachable",
            IpDrop::PortUnreachable(_) => "port-unreachable",
            IpDrop::BadTransport => "bad-transport",
            IpDrop::ReassemblyFailed => "reassembly-failed",
            IpDrop::ReassemblyTimeout => "reassembly-timeout",
            IpDrop::CannotFragment => "cannot-fragment",
            IpDrop::DuplicateFragment => "duplicate-fragment",
            IpDrop::InvalidSource => "invalid-source",
            IpDrop::TcpNotUnicast => "tcp-not-unicast",
        }
    }
}

/// An ICMP message's type and code, without its data (for records).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IcmpKind {
    EchoRequest { ident: u16, seq: u16 },
    EchoReply { ident: u16, seq: u16 },
    Unreachable(DestUnreachableCode),
    TimeExceeded(TimeExceededCode),
}

impl IcmpKind {
    pub fn of(repr: &IcmpRepr) -> IcmpKind {
        match *repr {
            IcmpRepr::EchoRequest { ident, seq_no, .. } => {
                IcmpKind::EchoRequest { ident, seq: seq_no }
            }
            IcmpRepr::EchoReply { ident, seq_no, .. } => IcmpKind::EchoReply { ident, seq: seq_no },
            IcmpRepr::DestUnreachable { code, .. } => IcmpKind::Unreachable(code),
            IcmpRepr::TimeExceeded { code, .. } => IcmpKind::TimeExceeded(code),
        }
    }

    /// How `ping` and `traceroute` name the message.
    pub fn describe(&self) -> String {
        match self {
            IcmpKind::EchoRequest { ident, seq } => format!("echo request id {ident} seq {seq}"),
            IcmpKind::EchoReply { ident, seq } => format!("echo reply id {ident} seq {seq}"),
            IcmpKind::Unreachable(c) => match c {
                DestUnreachableCode::NetUnreachable => "Destination Net Unreachable".into(),
                DestUnreachableCode::HostUnreachable => "Destination Host Unreachable".into(),
                DestUnreachableCode::ProtocolUnreachable => {
                    "Destination Protocol Unreachable".into()
                }
                DestUnreachableCode::PortUnreachable => "Destination Port Unreachable".into(),
                DestUnreachableCode::FragmentationNeeded { next_hop_mtu } => {
                    format!("Frag needed and DF set (mtu = {next_hop_mtu})")
                }
                other => format!("Destination Unreachable ({other:?})"),
            },
            IcmpKind::TimeExceeded(TimeExceededCode::TtlExceeded) => "Time to live exceeded".into(),
            IcmpKind::TimeExceeded(_) => "Fragment reassembly time exceeded".into(),
        }
    }
}

/// What the ping and traceroute applications report.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AppEvent {
    PingStart {
        dst: Ipv4Addr,
        size: u16,
    },
    PingReply {
        from: Ipv4Addr,
        seq: u16,
        ttl: u8,
        bytes: u16,
        rtt: Duration,
    },
    /// An ICMP error about one of our requests.
    PingError {
        from: Ipv4Addr,
        seq: u16,
        kind: IcmpKind,
    },
    /// The request could not even be sent.
    PingLocalError {
        seq: u16,
        drop: IpDrop,
    },
    PingDone {
        transmitted: u32,
        received: u32,
        errors: u32,
        min: Duration,
        avg: Duration,
        max: Duration,
    },
    TraceStart {
        dst: Ipv4Addr,
        max_hops: u8,
        size: u16,
    },
    /// One probe's answer: `from` is who answered (`None`: silence, printed `*`).
    TraceProbe {
        ttl: u8,
        probe: u8,
        from: Option<Ipv4Addr>,
        rtt: Option<Duration>,
        kind: Option<IcmpKind>,
    },
    TraceDone {
        reached: bool,
        hops: u8,
    },
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
    /// A station on a shared medium (a half-duplex hub) heard another station's signal while
    /// sending frame `id` (IEEE 802.3 CSMA/CD): it jammed and stopped. `backoff` is the slot
    /// times it waits before the next attempt; `None` when the frame was abandoned (its 16th
    /// collision, or a late one: a `FrameDropped` follows).
    Collision {
        link: LinkId,
        port: u16,
        id: FrameId,
        frame: Frame,
        /// Which attempt collided (1 = the first transmission).
        attempt: u32,
        /// Bit times it had sent, preamble included, when it heard the collision.
        after_bits: u64,
        /// Heard after the first 512 bit times.
        late: bool,
        backoff: Option<u32>,
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
    /// A switch port's spanning tree role or state changed.
    StpPort {
        port: u16,
        role: crate::switch::stp::PortRole,
        state: crate::switch::stp::PortState,
    },
    /// A switch's spanning tree topology change flag was set (its MAC entries now age out
    /// after the forward delay) or cleared.
    StpTopologyChange {
        on: bool,
    },

    // ---- ARP ----
    /// The neighbour table of interface `iface` changed, or sent a request.
    Arp {
        iface: u16,
        event: ArpEvent,
    },
    /// An ARP packet that could not be used.
    ArpIgnored {
        iface: u16,
        why: ArpIgnore,
    },

    // ---- IPv4 ----
    /// A datagram this host originates was routed.
    IpSend {
        iface: u16,
        dst: Ipv4Addr,
        next_hop: Ipv4Addr,
        protocol: IpProtocol,
        len: u16,
        route: Ipv4Cidr,
    },
    /// A router passed a datagram on.
    IpForward {
        in_iface: u16,
        iface: u16,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        next_hop: Ipv4Addr,
        ttl: u8,
        route: Ipv4Cidr,
    },
    /// A datagram addressed to this host reached its protocol.
    IpDeliver {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        protocol: IpProtocol,
        len: u16,
    },
    IpDropped {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        reason: IpDrop,
    },
    IpFragmented {
        dst: Ipv4Addr,
        ident: u16,
        fragments: u16,
        mtu: u16,
    },
    IpReassembled {
        src: Ipv4Addr,
        ident: u16,
        len: u16,
    },

    // ---- ICMP ----
    /// This host sent an ICMP message (echo replies, errors).
    IcmpOut {
        dst: Ipv4Addr,
        kind: IcmpKind,
    },

    // ---- TCP ----
    /// Something happened to the connection `local`–`remote` (state change, retransmission,
    /// congestion window, timers…).
    Tcp {
        local: std::net::SocketAddrV4,
        remote: std::net::SocketAddrV4,
        event: crate::tcp::TcpEvent,
    },

    // ---- sockets ----
    /// An application's socket call and what it returned.
    SocketCall {
        app: u16,
        call: u32,
        result: CallResult,
    },

    // ---- applications ----
    /// A line of an application's own output (what its `print` shows).
    AppLog {
        app: u16,
        text: String,
    },
    App {
        app: u16,
        event: AppEvent,
    },

    // ---- DHCP ----
    /// A DHCP client, server or relay on interface `iface` did something.
    Dhcp {
        iface: u16,
        event: crate::dhcp::DhcpEvent,
    },

    /// A DNS server answered a query from `client` (`summary`: the response as the log shows
    /// it).
    DnsAnswer {
        client: Ipv4Addr,
        summary: String,
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
    /// A timeline action could not be carried out (e.g. deleting a route that is not there).
    ActionFailed {
        reason: String,
    },
}

impl TraceEvent {
    pub fn layer(&self) -> Layer {
        use TraceEvent::*;
        match self {
            FrameTx { .. }
            | FrameDropped { .. }
            | BitErrors { .. }
            | Collision { .. }
            | FrameRx { .. } => Layer::Phy,
            NicDrop { .. } | RawDelivered { .. } => Layer::Ethernet,
            MacLearned { .. }
            | MacAged { .. }
            | Switched { .. }
            | HubRepeated { .. }
            | StpPort { .. }
            | StpTopologyChange { .. } => Layer::Switch,
            Arp { .. } | ArpIgnored { .. } => Layer::Arp,
            IpSend { .. }
            | IpForward { .. }
            | IpDeliver { .. }
            | IpDropped { .. }
            | IpFragmented { .. }
            | IpReassembled { .. } => Layer::Ip,
            IcmpOut { .. } => Layer::Icmp,
            Tcp { .. } => Layer::Tcp,
            SocketCall { .. } => Layer::Socket,
            App { .. } | AppLog { .. } | Dhcp { .. } | DnsAnswer { .. } => Layer::App,
            Action { .. } | LinkState { .. } | ActionFailed { .. } => Layer::Scenario,
        }
    }
}

/// Every reason a frame can be dropped for, as `dropped reason=…` expectations name them.
pub const DROP_REASONS: &[&str] = &[
    "queue-full",
    "link-down",
    "link-went-down",
    "fault",
    "random-loss",
    "bad-fcs",
    "runt",
    "not-for-me",
    "interface-down",
    "unknown-ethertype",
    "bad-checksum",
    "bad-ip-header",
    "no-route",
    "ttl-expired",
    "host-unreachable",
    "arp-queue-full",
    "frag-needed",
    "not-for-me-ip",
    "broadcast-not-forwarded",
    "protocol-unreachable",
    "port-unreachable",
    "bad-transport",
    "reassembly-failed",
    "reassembly-timeout",
    "cannot-fragment",
    "duplicate-fragment",
    "invalid-source",
    "tcp-not-unicast",
];

/// The drop reason of a record, if it records a drop.
pub fn drop_reason(e: &TraceEvent) -> Option<&'static str> {
    match e {
        TraceEvent::FrameDropped { reason, .. } => Some(reason.reason()),
        TraceEvent::NicDrop { reason, .. } => Some(reason.reason()),
        TraceEvent::IpDropped { reason, .. } => Some(reason.reason()),
        TraceEvent::Switched {
            decision: Forwarding::Drop(e),
            ..
        } => Some(e.reason()),
        _ => None,
    }
}

/// What a socket call returned, for the trace (details in the application's own log).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// The call started and waits (a blocking call).
    Blocked,
    Ok,
    /// Returned a count (bytes sent or received).
    Count(usize),
    Error(crate::socket::SocketError),
}

/// Why an ARP packet was not used.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArpIgnore {
    Malformed(ArpParseError),
    Rejected(ArpInputError),
    /// It arrived on an interface without an IP address.
    NoAddress,
}

/// One trace record: when, where, what.
#[derive(Clone, Debug)]
pub struct Record {
    pub time: Instant,
    /// The node where it happened (`None` for whole-network events).
    pub node: Option<NodeId>,
    pub event: TraceEvent,
}

/// A view of a run: it takes the records as they are made. After every event the driver (the
/// one run loop, `sim::World::publish`) hands the event's records to each subscriber, with the
/// network's [`Names`] as they are after that event (nodes, links, interfaces, apps): never the
/// world itself, so a view depends on the records and the names only. Adding a view touches no
/// producer; a view keeps only what it draws. The views are in `crate::views`.
pub trait Subscriber {
    /// The run is about to start (a view that writes a header writes it now).
    fn start(&mut self, _names: &dyn Names) {}
    /// One record, in the order they were made.
    fn record(&mut self, names: &dyn Names, r: &Record);
    /// The run is over: write what is still held (a capture's last frames), flush.
    fn finish(&mut self, _names: &dyn Names) -> std::io::Result<()> {
        Ok(())
    }
}

/// The record store of a world. Producers push records; who reads them depends on how it was
/// made: [`Trace::off`] (nobody: producers skip building records), [`Trace::streaming`] (held
/// only until the run loop hands them to its subscribers, so memory does not grow with the run)
/// or [`Trace::recording`] (every record kept, for tests and views that need the whole history).
#[derive(Debug, Default)]
pub struct Trace {
    enabled: bool,
    keep: bool,
    records: Vec<Record>,
    /// Records before this index were already handed to subscribers.
    published: usize,
}

impl Trace {
    pub fn off() -> Self {
        Trace::default()
    }

    /// Every record is kept for the whole run ([`Trace::records`]).
    pub fn recording() -> Self {
        Trace {
            enabled: true,
            keep: true,
            ..Trace::default()
        }
    }

    /// Records are made, handed to subscribers after each event, then dropped.
    pub fn streaming() -> Self {
        Trace {
            enabled: true,
            keep: false,
            ..Trace::default()
        }
    }

    /// Whether anyone listens. Producers test this before building a record.
    #[inline(always)]
    pub fn on(&self) -> bool {
        self.enabled
    }

    /// Whether the whole history is kept.
    pub fn keeps(&self) -> bool {
        self.keep
    }

    #[inline]
    pub fn push(&mut self, time: Instant, node: Option<NodeId>, event: TraceEvent) {
        if self.enabled {
            self.records.push(Record { time, node, event });
        }
    }

    /// The records kept: the whole run so far when recording, else those of the current event
    /// not yet published.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Takes the records not yet published (the whole store, to be given back with
    /// [`Trace::put_back`]) and the index of the first unpublished one.
    pub(crate) fn take_unpublished(&mut self) -> (Vec<Record>, usize) {
        (std::mem::take(&mut self.records), self.published)
    }

    /// Gives back what [`Trace::take_unpublished`] took, now published; a streaming trace drops
    /// the records but keeps the buffer.
    pub(crate) fn put_back(&mut self, mut records: Vec<Record>) {
        if !self.keep {
            records.clear();
        }
        self.published = records.len();
        // Records pushed while the batch was out (none in practice: subscribers cannot push).
        let newer = std::mem::replace(&mut self.records, records);
        self.records.extend(newer);
    }
}
