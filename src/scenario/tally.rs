//! Expectations that read the trace, judged online: each keeps only what its verdict needs (a
//! count, the states of the connections on one port, the first answer per traceroute TTL) and
//! takes the records as they pass, so a run's expectations never need its whole history.

use super::expect::{Check, CheckKind, Seen};
use crate::sim::{LinkId, NodeId};
use crate::tcp::{State, TcpEvent};
use crate::trace::{self, AppEvent, Record, Subscriber, TraceEvent};
use std::collections::BTreeMap;

/// The running state of every check of a scenario: a [`Subscriber`] the runner feeds.
#[derive(Clone, Debug)]
pub struct Tally {
    checks: Vec<Check>,
    pub seen: Vec<Seen>,
}

impl Tally {
    pub fn new(checks: &[Check]) -> Tally {
        let seen = checks
            .iter()
            .map(|c| match c.kind {
                CheckKind::Received { .. } | CheckKind::Seen { .. } | CheckKind::Dropped { .. } => {
                    Seen::Count(0)
                }
                CheckKind::TcpStates { .. } => Seen::Conns(Vec::new()),
                CheckKind::Path { .. } => Seen::Probes(BTreeMap::new()),
                _ => Seen::Nothing,
            })
            .collect();
        Tally {
            checks: checks.to_vec(),
            seen,
        }
    }

    /// Whether any check reads the trace (else the run need not make records at all).
    pub fn needs_trace(&self) -> bool {
        self.seen.iter().any(|s| !matches!(s, Seen::Nothing))
    }
}

/// The bytes a raw delivery carried, as the text log shows them: the Ethernet payload without
/// its padding (read through `decode`, as every view reads frames).
fn delivered_payload(frame: &[u8]) -> Option<&[u8]> {
    let d = crate::decode::Decoded::new(frame);
    d.eth.map(|_| trace::describe::trim_padding(d.payload))
}

impl Subscriber for Tally {
    fn record(&mut self, _names: &dyn trace::Names, r: &Record) {
        for (c, seen) in self.checks.iter().zip(self.seen.iter_mut()) {
            match (&c.kind, seen) {
                (CheckKind::Received { node, payload, .. }, Seen::Count(n)) => {
                    let hit = r.node == Some(NodeId(*node as u32))
                        && matches!(&r.event, TraceEvent::RawDelivered { frame, .. }
                            if delivered_payload(frame).is_some_and(|p| p == payload.as_slice()));
                    *n += u64::from(hit);
                }
                (
                    CheckKind::Seen {
                        filter, link, node, ..
                    },
                    Seen::Count(n),
                ) => {
                    if let TraceEvent::FrameTx { link: l, frame, .. } = &r.event {
                        if link.is_none_or(|x| LinkId(x as u32) == *l)
                            && node.is_none_or(|x| r.node == Some(NodeId(x as u32)))
                            && filter.matches(frame)
                        {
                            *n += 1;
                        }
                    }
                }
                (CheckKind::Dropped { node, reason, .. }, Seen::Count(n)) => {
                    let hit = node.is_none_or(|x| r.node == Some(NodeId(x as u32)))
                        && trace::drop_reason(&r.event) == Some(reason.as_str());
                    *n += u64::from(hit);
                }
                (CheckKind::TcpStates { node, port, .. }, Seen::Conns(conns)) => {
                    if r.node != Some(NodeId(*node as u32)) {
                        continue;
                    }
                    if let TraceEvent::Tcp {
                        local,
                        remote,
                        event: TcpEvent::StateChanged { to, .. },
                    } = &r.event
                    {
                        if local.port() != *port && remote.port() != *port {
                            continue;
                        }
                        let key = (*local, *remote);
                        // A connection that closed and a new one on the same 4-tuple count apart.
                        let slot = conns.iter().rposition(|(k, st)| {
                            *k == key && st.last().is_none_or(|s| *s != State::Closed)
                        });
                        let i = match slot {
                            Some(i) => i,
                            None => {
                                conns.push((key, Vec::new()));
                                conns.len() - 1
                            }
                        };
                        conns[i].1.push(*to);
                    }
                }
                (CheckKind::Path { node, .. }, Seen::Probes(apps)) => {
                    if r.node != Some(NodeId(*node as u32)) {
                        continue;
                    }
                    if let TraceEvent::App {
                        app,
                        event: AppEvent::TraceProbe { ttl, from, .. },
                    } = &r.event
                    {
                        let slot = apps.entry(*app).or_default().entry(*ttl).or_insert(None);
                        if slot.is_none() {
                            *slot = *from;
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
