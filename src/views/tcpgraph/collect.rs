//! The connections of a run gathered from its records as they come
//! ([`ConnectionCollector`], a trace subscriber, so `netlab tcpgraph` keeps the segments and
//! not the run's history) or from a slice of them ([`connections`]).

use super::{mark_retransmissions, Arrival, Connection, Segment, Side, Transition};
use crate::decode::Decoded;
use crate::ids::NodeId;
use crate::tcp::{TcpEvent, TcpRepr};
use crate::time::Instant;
use crate::trace::{Names, PhyDrop, Record, Subscriber, TraceEvent};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

/// The TCP segment in `frame`, headers and checksums intact, with its endpoints; fragments
/// are left out (a segment's header is in the first only).
fn tcp_of(frame: &[u8]) -> Option<(SocketAddrV4, SocketAddrV4, TcpRepr<'_>)> {
    let dg = Decoded::new(frame).ipv4()?.ok()?;
    if dg.ip.is_fragment() {
        return None;
    }
    let t = dg.tcp()?.ok()?;
    Some((
        SocketAddrV4::new(dg.ip.src, t.src_port),
        SocketAddrV4::new(dg.ip.dst, t.dst_port),
        t,
    ))
}

/// The connection of segments between `a` and `b` (made at `t` if new) and the side `a` is.
fn find(
    index: &mut BTreeMap<(SocketAddrV4, SocketAddrV4), usize>,
    conns: &mut Vec<Connection>,
    a: SocketAddrV4,
    b: SocketAddrV4,
    t: Instant,
) -> (usize, usize) {
    let key = if a <= b { (a, b) } else { (b, a) };
    let i = *index.entry(key).or_insert_with(|| {
        conns.push(Connection {
            number: conns.len() + 1,
            sides: [Side::new(a), Side::new(b)],
            sent: Vec::new(),
            received: Vec::new(),
            first: t,
            last: t,
        });
        conns.len() - 1
    });
    let c = &mut conns[i];
    c.last = c.last.max(t);
    let side = usize::from(c.sides[0].addr != a);
    (i, side)
}

/// The connections of a run in the making: records go in one at a time, in the order they
/// were made; it keeps each connection's segments and TCP's own records about it.
#[derive(Default)]
pub struct ConnectionCollector {
    /// Which node owns each address, learnt from the network with the first record.
    owner: Option<BTreeMap<Ipv4Addr, NodeId>>,
    index: BTreeMap<(SocketAddrV4, SocketAddrV4), usize>,
    conns: Vec<Connection>,
}

impl ConnectionCollector {
    pub fn new() -> ConnectionCollector {
        ConnectionCollector::default()
    }

    fn learn(&mut self, names: &dyn Names) {
        self.owner.get_or_insert_with(|| {
            let mut owner = BTreeMap::new();
            for i in 0..names.node_count() {
                for a in names.addrs(NodeId(i as u32)) {
                    owner.entry(a).or_insert(NodeId(i as u32));
                }
            }
            owner
        });
    }

    /// Takes one record.
    pub fn record(&mut self, names: &dyn Names, r: &Record) {
        self.learn(names);
        let ConnectionCollector {
            owner,
            index,
            conns,
        } = self;
        let owner = owner.as_ref().expect("learnt above");
        match &r.event {
            TraceEvent::Tcp {
                local,
                remote,
                event,
            } => {
                let (i, s) = find(index, conns, *local, *remote, r.time);
                let side = &mut conns[i].sides[s];
                if side.node_id.is_none() {
                    side.node_id = r.node;
                }
                match *event {
                    TcpEvent::StateChanged { from, to, cause } => {
                        side.transitions.push(Transition {
                            time: r.time,
                            from,
                            to,
                            cause,
                        })
                    }
                    TcpEvent::CongestionChanged { cwnd, ssthresh, .. } => {
                        side.cwnd.push((r.time, cwnd, ssthresh))
                    }
                    TcpEvent::RttSample { rtt, srtt, rto, .. } => {
                        side.rtt.push((r.time, rtt, srtt, rto))
                    }
                    TcpEvent::RtoBackoff { rto } => side.backoff.push((r.time, rto)),
                    TcpEvent::Retransmit { seq, len, .. } => {
                        side.retransmits.push((r.time, seq.0, len))
                    }
                    _ => {}
                }
            }
            TraceEvent::FrameTx { frame, id, .. }
            | TraceEvent::FrameDropped { frame, id, .. }
            | TraceEvent::FrameRx { frame, id, .. } => {
                // A segment is drawn when its first bit went on the wire (after any queueing
                // behind earlier frames), like a capture on the sender's cable.
                let when = match r.event {
                    TraceEvent::FrameTx { start, .. } => start,
                    _ => r.time,
                };
                if let TraceEvent::FrameDropped {
                    reason: PhyDrop::LinkWentDown,
                    ..
                } = r.event
                {
                    // Recorded at the arrival time of a frame already counted when it left.
                    return;
                }
                let Some((src, dst, t)) = tcp_of(frame) else {
                    return;
                };
                let rx = matches!(r.event, TraceEvent::FrameRx { .. });
                let here = if rx { dst } else { src };
                let (i, s_src) = find(index, conns, src, dst, r.time);
                let side = if rx { 1 - s_src } else { s_src };
                let c = &mut conns[i];
                let node_of = c.sides[side]
                    .node_id
                    .or_else(|| owner.get(here.ip()).copied());
                if r.node.is_none() || r.node != node_of {
                    return;
                }
                if c.sides[side].node_id.is_none() {
                    c.sides[side].node_id = r.node;
                }
                if rx {
                    c.received.push(Arrival {
                        time: r.time,
                        at: side,
                        seq: t.seq.0,
                        ack: t.ack.0,
                        flags: t.flags,
                        window: t.window,
                        len: t.payload.len() as u32,
                    });
                } else {
                    if t.flags.syn() {
                        let sd = &mut c.sides[side];
                        sd.isn.get_or_insert(t.seq.0);
                        if sd.wscale.is_none() {
                            sd.wscale = t.options.window_scale;
                        }
                    }
                    c.sent.push(Segment {
                        time: when,
                        id: *id,
                        from: side,
                        seq: t.seq.0,
                        ack: t.ack.0,
                        flags: t.flags,
                        window: t.window,
                        len: t.payload.len() as u32,
                        retransmission: false,
                        handed_over: r.time,
                        lost_at_sender: matches!(r.event, TraceEvent::FrameDropped { .. }),
                    });
                }
            }
            _ => {}
        }
    }

    /// The connections, in order of first appearance.
    pub fn into_connections(self, names: &dyn Names) -> Vec<Connection> {
        let mut conns = self.conns;
        for c in &mut conns {
            for s in 0..2 {
                if let Some(id) = c.sides[s].node_id {
                    c.sides[s].node = Some(names.node_name(id).to_string());
                }
                if c.sides[s].isn.is_none() {
                    c.sides[s].isn = c.sent.iter().find(|g| g.from == s).map(|g| g.seq);
                }
            }
            mark_retransmissions(c);
        }
        conns
    }
}

impl Subscriber for ConnectionCollector {
    fn start(&mut self, names: &dyn Names) {
        self.learn(names);
    }

    fn record(&mut self, names: &dyn Names, r: &Record) {
        ConnectionCollector::record(self, names, r);
    }
}

/// The connections of a run, in order of first appearance.
pub fn connections(names: &dyn Names, records: &[Record]) -> Vec<Connection> {
    let mut collector = ConnectionCollector::new();
    for r in records {
        collector.record(names, r);
    }
    collector.into_connections(names)
}
