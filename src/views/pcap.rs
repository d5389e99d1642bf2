//! Capture files: the frames of a run as a pcapng file Wireshark and tshark open.
//!
//! # What is captured, and when
//!
//! A *capture point* is a link or a node. Without one, the default, each frame is captured
//! once, on the link where the node that made it sent it: what every host and router sends,
//! not the copies switches, hubs and routers pass on (see [`PcapOptions::points`]).
//!
//! - **A link** is captured like a tap on the cable: one packet per [`TraceEvent::FrameTx`] on
//!   it, in both directions, stamped with the moment the sender handed the frame to the link
//!   (what tcpdump on the sender would show). The bytes written are the ones that came out of the
//!   far end of the cable: when netlab flipped bits on the way ([`TraceEvent::BitErrors`]), that
//!   is the damaged copy the receiver got (from its [`TraceEvent::FrameRx`], or from the
//!   `link-went-down` drop record if the link died under it), so with `--pcap-fcs` Wireshark
//!   shows exactly the frames netlab corrupted with a bad FCS.
//! - **A node** is captured like tcpdump on each of its ports: every frame it sends, as it
//!   handed it over (a frame damaged later on the wire is still intact here: the packet comment
//!   says what will happen to it), and every frame it receives, at the moment its last bit
//!   arrived and with the bytes it received (damaged ones included, as a NIC capturing with
//!   `rx-fcs`/`rx-all` would hand them up).
//!
//! A hub repeats what it receives, damaged or not: a frame that arrived damaged and went on is
//! damaged on the next links too, and its comment says where the bits were flipped
//! (`…, then passed on by hub1`). A switch checks the FCS and drops such frames.
//!
//! So a written frame has a bad FCS exactly when netlab's own receiver check would reject those
//! bytes ([`Packet::damaged`]), and every one of them carries the packet comment
//! `corrupted by netlab: N bits flipped on LINK (bit error rate|fault rule)…`; with `--pcap-fcs`
//! Wireshark's `eth.fcs.status == 0` finds the same frames. (On a sender's port the comment
//! `sent intact; then N bits flipped on LINK…` marks frames that will be damaged on the wire.)
//!
//! Frames that never got onto a wire (queue full, link down, dropped by a fault rule) are not in
//! a capture, as tcpdump never sees a packet its qdisc dropped; the text log and the ladder
//! show them. A damaged frame lost because its link went down is written damaged (the drop
//! record holds the copy); one still in flight when the run stopped (`--until`) is written as
//! sent, with a comment saying so.
//!
//! # Format: pcapng, written by hand
//!
//! We write pcapng rather than classic pcap because it carries what a learner needs in the file
//! itself: packet comments (which frames netlab corrupted: the `frame.comment` field, also listed in
//! Wireshark's Expert Information), one named interface per capture point (`frame.interface_name`), nanosecond
//! timestamps (`if_tsresol = 9`), and `if_fcslen = 4` when frames keep their FCS. Classic pcap
//! can only do the last two.
//!
//! The writer is ~100 lines here instead of the `pcap-file` crate: we need three block types
//! (section header, interface description, enhanced packet) and six options, the byte layout
//! is short and fixed (pcapng, IETF draft-ietf-opsawg-pcapng), and writing it ourselves keeps
//! the timestamp resolution explicit: `pcap-file` 2.0 writes nanosecond timestamps but leaves
//! `if_tsresol` out unless told, so readers take them for microseconds (a 3 ms frame shows at
//! 3 s). Everything is little-endian; the byte-order magic tells readers so.
//!
//! Timestamps are simulated time since the start of the run, so Wireshark's absolute times are
//! in January 1970: `frame.time_epoch` (View → Time Display Format → Seconds Since 1970) is the
//! simulated time to the nanosecond, the same number as the text log's time column.

use super::text::TextView;
use crate::ethernet::{Frame, FCS_LEN};
use crate::ids::{FrameId, LinkId, NodeId};
use crate::time::Instant;
use crate::trace::{Names, NodeRole, PhyDrop, Record, TraceEvent};
use std::collections::HashMap;
use std::io::{self, Write};

/// Where frames are captured.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CapturePoint {
    /// Every frame put on this link, in both directions.
    Link(LinkId),
    /// Every frame this node sends or receives, one capture interface per port.
    Node(NodeId),
}

impl CapturePoint {
    /// A node or a link by name (`alice`, `sw1`, `alice--sw1`).
    pub fn resolve(names: &dyn Names, name: &str) -> Result<CapturePoint, String> {
        if let Some(n) = names.node_id(name) {
            return Ok(CapturePoint::Node(n));
        }
        if let Some(l) = names.link_id(name) {
            return Ok(CapturePoint::Link(l));
        }
        let links: Vec<&str> = (0..names.link_count())
            .map(|l| names.link_name(LinkId(l as u32)))
            .collect();
        Err(format!(
            "no node or link called `{name}` (links: {})",
            links.join(", ")
        ))
    }
}

/// How to capture.
#[derive(Clone, Debug, Default)]
pub struct PcapOptions {
    /// Keep each frame's 4-byte FCS (pcapng `if_fcslen = 4`), so Wireshark checks it and flags
    /// the frames netlab corrupted. Without it the FCS is stripped, as in a Linux capture.
    pub fcs: bool,
    /// Capture points. Empty (the default) means every frame once, on the link where the node
    /// that made it sent it: frames a switch or hub passes on and datagrams a router forwards
    /// are left out. A segment that crosses three hops is then in the file once, not three
    /// times: Wireshark's TCP analysis takes repeated copies of a segment for retransmissions
    /// (it does not tell interfaces apart), so a capture at several points of one path shows
    /// phantom retransmissions and duplicate ACKs (issue #13, item 14). [`every_link`] gives
    /// the multi-point capture.
    pub points: Vec<CapturePoint>,
    /// A comment for the whole file (Wireshark: Statistics → Capture File Properties).
    pub comment: Option<String>,
}

/// Every link of the network as a capture point: each hop's copy of a frame, in one file.
pub fn every_link(names: &dyn Names) -> Vec<CapturePoint> {
    (0..names.link_count())
        .map(|i| CapturePoint::Link(LinkId(i as u32)))
        .collect()
}

/// Whether `node` made the frame it sends (rather than passing on one it received): hosts and
/// routers make what they send, except the IPv4 datagrams a router forwards (their source
/// address is not the router's); switches and hubs only pass frames on, except the spanning
/// tree BPDUs a switch makes (they go to the bridge group address, which no switch relays).
fn made_by(names: &dyn Names, node: Option<NodeId>, frame: &[u8]) -> bool {
    let Some(n) = node else { return false };
    match names.role(n) {
        NodeRole::Router => {
            // Through `decode`, so a datagram in a VLAN-tagged frame counts too.
            match crate::decode::Decoded::new(frame).ipv4_view() {
                Some(ip) => names.is_local_addr(n, ip.get_source()),
                None => true,
            }
        }
        // The kernel behind a TAP made the frames it sends, as a host does.
        NodeRole::Host | NodeRole::Tap => true,
        NodeRole::Switch { stp } => {
            stp && crate::ethernet::dst_of(frame) == Some(crate::switch::bpdu::GROUP_ADDRESS)
        }
        NodeRole::Hub => false,
    }
}

/// One interface of the capture file (one per link, or per port of a captured node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureInterface {
    pub name: String,
    pub description: String,
}

/// One captured frame.
#[derive(Clone, Debug)]
pub struct Packet {
    /// Index into [`Capture::interfaces`].
    pub interface: u32,
    pub time: Instant,
    /// The whole frame, FCS included (the writer strips the FCS unless asked to keep it).
    pub frame: Frame,
    /// The bytes' FCS is wrong: netlab flipped bits of this frame, on this hop or before a hub
    /// repeated it.
    pub damaged: bool,
    pub comment: Option<String>,
}

/// What a run looks like from its capture points.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    pub interfaces: Vec<CaptureInterface>,
    pub packets: Vec<Packet>,
}

/// Bits flipped on one hop.
#[derive(Copy, Clone)]
struct Damage {
    link: LinkId,
    flipped: u32,
    by_fault: bool,
}

/// How a frame on one hop came to be damaged.
#[derive(Copy, Clone)]
enum Hurt {
    /// Bits flipped on this hop: the sender's copy is intact, the far end's is not.
    Here(Damage),
    /// It arrived damaged at `relay` (a hub repeats frames as they come), which sent it on.
    Before(Damage, NodeId),
}

impl Hurt {
    fn how(&self, view: &TextView) -> String {
        let (d, relay) = match *self {
            Hurt::Here(d) => (d, None),
            Hurt::Before(d, n) => (d, Some(n)),
        };
        let mut s = format!(
            "{} bit{} flipped on {} ({})",
            d.flipped,
            if d.flipped == 1 { "" } else { "s" },
            view.link_name(d.link),
            if d.by_fault {
                "fault rule"
            } else {
                "bit error rate"
            }
        );
        if let Some(n) = relay {
            s.push_str(&format!(", then passed on by {}", view.node_name(n)));
        }
        s
    }
}

fn bad_fcs(frame: &[u8]) -> bool {
    crate::ethernet::check_fcs(frame).is_err()
}

/// Collects the packets of `records` (a run of the network `names` describes) at the capture points of `opts`.
pub fn capture(names: &dyn Names, records: &[Record], opts: &PcapOptions) -> Capture {
    let mut c = Capturer::new(names, opts);
    let mut packets = Vec::new();
    for r in records {
        c.record(names, r, &mut |p| packets.push(p));
    }
    c.finish(names, &mut |p| packets.push(p));
    Capture {
        interfaces: c.interfaces,
        packets,
    }
}

/// Which packet a record gives at a capture interface (its bytes and comment are settled when
/// it is released: a link packet of a damaged frame waits for the far end's copy).
struct Held {
    interface: u32,
    time: Instant,
    id: FrameId,
    frame: Frame,
    at: HeldKind,
    /// The number of the record that made it (its hurt is settled once a later record came).
    seq: u64,
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum HeldKind {
    /// Sent onto a captured link (the far end's bytes are written).
    LinkTx,
    /// Sent by a captured node.
    NodeTx,
    /// Received by a captured node.
    NodeRx,
}

/// Makes a capture's packets as the records go by, in record order, holding only what is not
/// settled yet: a frame damaged on the wire until its far end's copy arrives.
pub struct Capturer {
    pub interfaces: Vec<CaptureInterface>,
    link_if: HashMap<LinkId, u32>,
    port_if: HashMap<(NodeId, u16), u32>,
    hurt: HashMap<FrameId, Hurt>,
    last_rx: HashMap<NodeId, (Instant, Hurt, Frame)>,
    far_end: HashMap<FrameId, Frame>,
    held: std::collections::VecDeque<Held>,
    seq: u64,
    /// The default capture: a link packet only for frames their sender made ([`made_by`]).
    first_hop: bool,
}

impl Capturer {
    /// The capture interfaces of `opts` in the network: one per captured link, one per port of a
    /// captured node.
    pub fn new(names: &dyn Names, opts: &PcapOptions) -> Capturer {
        let view = TextView::new(names, &[]);
        let first_hop = opts.points.is_empty();
        let points: Vec<CapturePoint> = if first_hop {
            // The links a host or router (or a TAP's kernel) is plugged into: the others
            // (between switches and hubs) carry no frame on its first hop, except a spanning
            // tree switch's BPDUs.
            let host = |(n, _): (NodeId, u16)| match names.role(n) {
                NodeRole::Host | NodeRole::Router | NodeRole::Tap => true,
                NodeRole::Switch { stp } => stp,
                NodeRole::Hub => false,
            };
            every_link(names)
                .into_iter()
                .filter(|p| match p {
                    CapturePoint::Link(l) => names.link_ends(*l).iter().any(|&e| host(e)),
                    CapturePoint::Node(_) => true,
                })
                .collect()
        } else {
            opts.points.clone()
        };
        let mut interfaces = Vec::new();
        let mut link_if: HashMap<LinkId, u32> = HashMap::new();
        let mut port_if: HashMap<(NodeId, u16), u32> = HashMap::new();
        for p in &points {
            match *p {
                CapturePoint::Link(l) => {
                    if link_if.contains_key(&l) {
                        continue;
                    }
                    let link_name = names.link_name(l);
                    let ends = names.link_ends(l);
                    let end = |i: usize| {
                        let (n, port) = ends[i];
                        format!("{} {}", view.node_name(n), view.port_name(n, port))
                    };
                    link_if.insert(l, interfaces.len() as u32);
                    interfaces.push(CaptureInterface {
                        name: link_name.to_string(),
                        description: format!(
                            "netlab link {}: {} <-> {}",
                            link_name,
                            end(0),
                            end(1)
                        ),
                    });
                }
                CapturePoint::Node(n) => {
                    for port in 0..names.port_count(n) as u16 {
                        if port_if.contains_key(&(n, port)) || names.link_at(n, port).is_none() {
                            continue;
                        }
                        port_if.insert((n, port), interfaces.len() as u32);
                        let name = format!("{}:{}", view.node_name(n), view.port_name(n, port));
                        interfaces.push(CaptureInterface {
                            description: format!("netlab node {}, {}", view.node_name(n), name),
                            name,
                        });
                    }
                }
            }
        }
        Capturer {
            interfaces,
            link_if,
            port_if,
            hurt: HashMap::new(),
            last_rx: HashMap::new(),
            far_end: HashMap::new(),
            held: Default::default(),
            seq: 0,
            first_hop,
        }
    }

    /// Takes one record; hands the packets that are settled to `out`, in order.
    pub fn record(&mut self, names: &dyn Names, r: &Record, out: &mut dyn FnMut(Packet)) {
        self.seq += 1;
        self.learn(r);
        self.hold(names, r);
        self.release(names, false, out);
    }

    /// The run is over: hands every packet still held to `out` (a damaged frame still in flight
    /// is written as sent).
    pub fn finish(&mut self, names: &dyn Names, out: &mut dyn FnMut(Packet)) {
        self.release(names, true, out);
    }

    /// Which frames were damaged and how, and the copy the far end got. A relay sends what it
    /// received at that same instant: a damaged frame it passes on stays damaged.
    fn learn(&mut self, r: &Record) {
        match &r.event {
            TraceEvent::BitErrors {
                link,
                id,
                flipped,
                by_fault,
            } => {
                let d = Damage {
                    link: *link,
                    flipped: *flipped,
                    by_fault: *by_fault,
                };
                self.hurt.insert(*id, Hurt::Here(d));
            }
            TraceEvent::FrameTx { id, frame, .. } => {
                if let Some((t, h, got)) = r.node.and_then(|n| self.last_rx.get(&n)) {
                    if *t == r.time && got[..] == frame[..] {
                        let d = match *h {
                            Hurt::Here(d) | Hurt::Before(d, _) => d,
                        };
                        self.hurt
                            .insert(*id, Hurt::Before(d, r.node.unwrap_or(NodeId(0))));
                    }
                }
            }
            TraceEvent::FrameRx {
                link, id, frame, ..
            }
            | TraceEvent::FrameDropped {
                link,
                id,
                frame,
                reason: PhyDrop::LinkWentDown,
                ..
            } => {
                if let Some(h) = self.hurt.get(id) {
                    if self.link_if.contains_key(link) {
                        self.far_end.insert(*id, frame.clone());
                    }
                    if let (Some(n), TraceEvent::FrameRx { .. }) = (r.node, &r.event) {
                        self.last_rx.insert(n, (r.time, *h, frame.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    fn hold(&mut self, names: &dyn Names, r: &Record) {
        let first_hop = self.first_hop;
        let mut push = |interface, id, frame: &Frame, at| {
            self.held.push_back(Held {
                interface,
                time: r.time,
                id,
                frame: frame.clone(),
                at,
                seq: self.seq,
            })
        };
        match &r.event {
            TraceEvent::FrameTx {
                link,
                port,
                id,
                frame,
                ..
            } => {
                if let Some(&interface) = self.link_if.get(link) {
                    if !first_hop || made_by(names, r.node, frame) {
                        push(interface, *id, frame, HeldKind::LinkTx);
                    }
                }
                if let Some(&interface) = r.node.and_then(|n| self.port_if.get(&(n, *port))) {
                    push(interface, *id, frame, HeldKind::NodeTx);
                }
            }
            TraceEvent::FrameRx {
                port, id, frame, ..
            } => {
                if let Some(&interface) = r.node.and_then(|n| self.port_if.get(&(n, *port))) {
                    push(interface, *id, frame, HeldKind::NodeRx);
                }
            }
            _ => {}
        }
    }

    fn release(&mut self, names: &dyn Names, all: bool, out: &mut dyn FnMut(Packet)) {
        let view = TextView::new(names, &[]);
        while let Some(p) = self.held.front() {
            // A frame's bit errors are recorded right after its transmission: its damage is
            // settled once a later record came.
            let settled = all || p.seq < self.seq;
            let waits = p.at == HeldKind::LinkTx
                && self.hurt.contains_key(&p.id)
                && !self.far_end.contains_key(&p.id);
            if !settled || (waits && !all) {
                break;
            }
            let Some(p) = self.held.pop_front() else {
                break;
            };
            let h = self.hurt.get(&p.id);
            let packet = match p.at {
                HeldKind::LinkTx => {
                    let copy = self.far_end.remove(&p.id);
                    let copy = copy.as_ref();
                    let bytes = copy.unwrap_or(&p.frame).clone();
                    let damaged = bad_fcs(&bytes);
                    let comment = h.map(|h| match (h, copy) {
                        (Hurt::Here(_), Some(_)) => format!(
                            "corrupted by netlab: {}; the sender's FCS was good",
                            h.how(&view)
                        ),
                        (Hurt::Here(_), None) => format!(
                            "netlab flipped {}, but the damaged copy never arrived (the run \
                             ended first): these are the bytes as sent",
                            h.how(&view)
                        ),
                        (Hurt::Before(..), _) => format!("corrupted by netlab: {}", h.how(&view)),
                    });
                    Packet {
                        interface: p.interface,
                        time: p.time,
                        frame: bytes,
                        damaged,
                        comment,
                    }
                }
                HeldKind::NodeTx => Packet {
                    interface: p.interface,
                    time: p.time,
                    damaged: bad_fcs(&p.frame),
                    frame: p.frame,
                    comment: h.map(|h| match h {
                        Hurt::Here(_) => format!(
                            "sent intact; then {}: the receiver gets a bad FCS",
                            h.how(&view)
                        ),
                        Hurt::Before(..) => format!("corrupted by netlab: {}", h.how(&view)),
                    }),
                },
                HeldKind::NodeRx => Packet {
                    interface: p.interface,
                    time: p.time,
                    damaged: bad_fcs(&p.frame),
                    frame: p.frame,
                    comment: h.map(|h| format!("corrupted by netlab: {}", h.how(&view))),
                },
            };
            out(packet);
        }
    }
}

impl Capture {
    /// Packets whose bytes netlab damaged (their FCS is wrong).
    pub fn damaged(&self) -> usize {
        self.packets.iter().filter(|p| p.damaged).count()
    }

    /// Writes the capture as pcapng: with each frame's FCS (`if_fcslen = 4`) or without.
    pub fn write_pcapng<W: Write>(
        &self,
        out: W,
        fcs: bool,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let mut w = PcapngWriter { out };
        w.header(&self.interfaces, fcs, comment)?;
        for p in &self.packets {
            w.packet(p, fcs)?;
        }
        w.out.flush()
    }
}

/// A capture written as the run goes: the file's header and interfaces first, then each frame
/// once it is settled. A [`Subscriber`](super::Subscriber) of the run.
pub struct PcapStream<W: Write> {
    cap: Capturer,
    opts: PcapOptions,
    w: PcapngWriter<W>,
    /// Frames written so far.
    pub packets: usize,
    /// Of which netlab damaged (bad FCS).
    pub damaged: usize,
    error: Option<io::Error>,
}

impl<W: Write> PcapStream<W> {
    /// The writer, to read what was written (tests, in-memory use).
    pub fn into_inner(self) -> W {
        self.w.out
    }

    /// A capture at the points of `opts`, written to `out` once the run starts.
    pub fn new(opts: &PcapOptions, out: W) -> Self {
        PcapStream {
            cap: Capturer {
                interfaces: Vec::new(),
                link_if: HashMap::new(),
                port_if: HashMap::new(),
                hurt: HashMap::new(),
                last_rx: HashMap::new(),
                far_end: HashMap::new(),
                held: Default::default(),
                seq: 0,
                first_hop: false,
            },
            opts: opts.clone(),
            w: PcapngWriter { out },
            packets: 0,
            damaged: 0,
            error: None,
        }
    }

    pub fn interfaces(&self) -> &[CaptureInterface] {
        &self.cap.interfaces
    }

    fn write(&mut self, names: &dyn Names, finish: bool, r: Option<&Record>) {
        let PcapStream {
            cap,
            w,
            opts,
            packets,
            damaged,
            error,
        } = self;
        let fcs = &opts.fcs;
        let mut out = |p: Packet| {
            if error.is_some() {
                return;
            }
            *packets += 1;
            *damaged += p.damaged as usize;
            if let Err(e) = w.packet(&p, *fcs) {
                *error = Some(e);
            }
        };
        if let Some(r) = r {
            cap.record(names, r, &mut out);
        }
        if finish {
            cap.finish(names, &mut out);
        }
    }
}

impl<W: Write> crate::trace::Subscriber for PcapStream<W> {
    /// Writes the header and the interfaces of the capture points in the network.
    fn start(&mut self, names: &dyn Names) {
        self.cap = Capturer::new(names, &self.opts);
        let o = &self.opts;
        if let Err(e) = self
            .w
            .header(&self.cap.interfaces, o.fcs, o.comment.as_deref())
        {
            self.error = Some(e);
        }
    }

    fn record(&mut self, names: &dyn Names, r: &Record) {
        self.write(names, false, Some(r));
    }

    fn finish(&mut self, names: &dyn Names) -> io::Result<()> {
        self.write(names, true, None);
        match self.error.take() {
            Some(e) => Err(e),
            None => self.w.out.flush(),
        }
    }
}

// ---- the pcapng byte layout ----

const BT_SECTION_HEADER: u32 = 0x0A0D_0D0A;
const BT_INTERFACE_DESCRIPTION: u32 = 0x0000_0001;
const BT_ENHANCED_PACKET: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// LINKTYPE_ETHERNET: the frame from the destination MAC on (the FCS length is an IDB option).
const LINKTYPE_ETHERNET: u16 = 1;
/// Larger than any frame netlab makes; what tcpdump uses by default.
const SNAPLEN: u32 = 262_144;

const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const IF_TSRESOL: u16 = 9;
const IF_FCSLEN: u16 = 13;

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

/// A block's options: code, length, value padded to 32 bits; closed by `opt_endofopt`.
#[derive(Default)]
struct Options(Vec<u8>);

impl Options {
    fn add(&mut self, code: u16, value: &[u8]) {
        self.0.extend_from_slice(&code.to_le_bytes());
        self.0
            .extend_from_slice(&(value.len() as u16).to_le_bytes());
        self.0.extend_from_slice(value);
        pad4(&mut self.0);
    }
}

struct PcapngWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapngWriter<W> {
    /// The section header and one interface description per capture interface.
    fn header(
        &mut self,
        interfaces: &[CaptureInterface],
        fcs: bool,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let mut opts = Options::default();
        if let Some(c) = comment {
            opts.add(OPT_COMMENT, c.as_bytes());
        }
        opts.add(
            SHB_USERAPPL,
            concat!("netlab ", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        let mut body = Vec::new();
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes()); // major version
        body.extend_from_slice(&0u16.to_le_bytes()); // minor version
        body.extend_from_slice(&(-1i64).to_le_bytes()); // section length: not given
        self.block(BT_SECTION_HEADER, &body, &opts)?;

        for i in interfaces {
            let mut opts = Options::default();
            opts.add(IF_NAME, i.name.as_bytes());
            opts.add(IF_DESCRIPTION, i.description.as_bytes());
            opts.add(IF_TSRESOL, &[9]); // 10^-9 s: timestamps are nanoseconds
            if fcs {
                opts.add(IF_FCSLEN, &[FCS_LEN as u8]);
            }
            let mut body = Vec::new();
            body.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
            body.extend_from_slice(&0u16.to_le_bytes()); // reserved
            body.extend_from_slice(&SNAPLEN.to_le_bytes());
            self.block(BT_INTERFACE_DESCRIPTION, &body, &opts)?;
        }
        Ok(())
    }

    /// One enhanced packet block, written straight to the output (no block assembled first:
    /// a bulk capture writes a gigabyte through here).
    fn packet(&mut self, p: &Packet, fcs: bool) -> io::Result<()> {
        let data: &[u8] = if fcs {
            &p.frame
        } else {
            &p.frame[..p.frame.len().saturating_sub(FCS_LEN)]
        };
        let ns = p.time.as_nanos();
        let mut opts = Options::default();
        if let Some(c) = &p.comment {
            opts.add(OPT_COMMENT, c.as_bytes());
        }
        let padded = data.len().next_multiple_of(4);
        let opts_len = if opts.0.is_empty() {
            0
        } else {
            opts.0.len() + 4
        };
        let total = (12 + 20 + padded + opts_len) as u32;
        let mut head = [0u8; 28];
        for (i, v) in [
            BT_ENHANCED_PACKET,
            total,
            p.interface,
            (ns >> 32) as u32,
            ns as u32,
            data.len() as u32, // captured length
            data.len() as u32, // original length
        ]
        .into_iter()
        .enumerate()
        {
            head[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.out.write_all(&[0; 3][..padded - data.len()])?;
        if !opts.0.is_empty() {
            self.out.write_all(&opts.0)?;
            self.out.write_all(&[0; 4])?; // opt_endofopt
        }
        self.out.write_all(&total.to_le_bytes())
    }

    /// type, total length, body, options (if any), total length again.
    fn block(&mut self, kind: u32, body: &[u8], opts: &Options) -> io::Result<()> {
        debug_assert!(body.len().is_multiple_of(4));
        let opts_len = if opts.0.is_empty() {
            0
        } else {
            opts.0.len() + 4
        };
        let total = (12 + body.len() + opts_len) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        if !opts.0.is_empty() {
            self.out.write_all(&opts.0)?;
            self.out.write_all(&OPT_END.to_le_bytes())?;
            self.out.write_all(&0u16.to_le_bytes())?;
        }
        self.out.write_all(&total.to_le_bytes())
    }
}

/// Captures a run and writes it to `path` as pcapng. Returns what was written.
pub fn write_file(
    names: &dyn Names,
    records: &[Record],
    opts: &PcapOptions,
    path: &std::path::Path,
) -> io::Result<Capture> {
    let cap = capture(names, records, opts);
    let file = std::fs::File::create(path)?;
    cap.write_pcapng(io::BufWriter::new(file), opts.fcs, opts.comment.as_deref())?;
    Ok(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocks of a pcapng file: (type, body after the type and length, options excluded not).
    fn blocks(b: &[u8]) -> Vec<(u32, Vec<u8>)> {
        let mut v = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let kind = u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
            let len = u32::from_le_bytes(b[i + 4..i + 8].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0, "block length is a multiple of 4");
            let trailer = u32::from_le_bytes(b[i + len - 4..i + len].try_into().unwrap());
            assert_eq!(trailer as usize, len, "trailing length matches");
            v.push((kind, b[i + 8..i + len - 4].to_vec()));
            i += len;
        }
        assert_eq!(i, b.len());
        v
    }

    /// (code, value) of the options starting at `from` in a block body.
    fn options(body: &[u8], from: usize) -> Vec<(u16, Vec<u8>)> {
        let mut v = Vec::new();
        let mut i = from;
        loop {
            let code = u16::from_le_bytes([body[i], body[i + 1]]);
            let len = u16::from_le_bytes([body[i + 2], body[i + 3]]) as usize;
            if code == OPT_END {
                assert_eq!(i + 4, body.len());
                return v;
            }
            v.push((code, body[i + 4..i + 4 + len].to_vec()));
            i += 4 + len.div_ceil(4) * 4;
        }
    }

    fn sample() -> Capture {
        let frame: Frame = crate::ethernet::frame_with_payload(
            &crate::ethernet::EthernetRepr {
                src: crate::ethernet::default_mac(1),
                dst: crate::ethernet::MacAddr::broadcast(),
                ethertype: crate::ethernet::ethertype::EXPERIMENTAL,
            },
            b"hi",
        );
        Capture {
            interfaces: vec![CaptureInterface {
                name: "a--b".into(),
                description: "link".into(),
            }],
            packets: vec![Packet {
                interface: 0,
                time: Instant::from_nanos(5_000_000_123),
                frame,
                damaged: true,
                comment: Some("corrupted by netlab: 1 bit flipped".into()),
            }],
        }
    }

    #[test]
    fn writes_nanosecond_pcapng_with_fcs_and_comments() {
        let mut out = Vec::new();
        sample()
            .write_pcapng(&mut out, true, Some("hello"))
            .unwrap();
        let b = blocks(&out);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].0, BT_SECTION_HEADER);
        assert_eq!(&b[0].1[..4], &BYTE_ORDER_MAGIC.to_le_bytes());
        assert_eq!(options(&b[0].1, 16)[0], (OPT_COMMENT, b"hello".to_vec()));

        assert_eq!(b[1].0, BT_INTERFACE_DESCRIPTION);
        assert_eq!(&b[1].1[..2], &[1, 0], "LINKTYPE_ETHERNET");
        let idb = options(&b[1].1, 8);
        assert!(idb.contains(&(IF_NAME, b"a--b".to_vec())));
        assert!(idb.contains(&(IF_TSRESOL, vec![9])));
        assert!(idb.contains(&(IF_FCSLEN, vec![4])));

        assert_eq!(b[2].0, BT_ENHANCED_PACKET);
        let epb = &b[2].1;
        let word = |i: usize| u32::from_le_bytes(epb[i..i + 4].try_into().unwrap());
        assert_eq!(word(0), 0, "interface 0");
        assert_eq!(((word(4) as u64) << 32) | word(8) as u64, 5_000_000_123);
        assert_eq!(word(12), 64, "captured length, FCS included");
        assert_eq!(word(16), 64);
        let opts = options(epb, 20 + 64);
        assert_eq!(
            opts,
            vec![(OPT_COMMENT, b"corrupted by netlab: 1 bit flipped".to_vec())]
        );
    }

    #[test]
    fn strips_the_fcs_when_asked() {
        let mut out = Vec::new();
        sample().write_pcapng(&mut out, false, None).unwrap();
        let b = blocks(&out);
        assert!(!options(&b[1].1, 8).iter().any(|(c, _)| *c == IF_FCSLEN));
        let epb = &b[2].1;
        assert_eq!(u32::from_le_bytes(epb[12..16].try_into().unwrap()), 60);
    }
}
