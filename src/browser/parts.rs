//! Small projections of one frame or one connection into the page's JSON: the facts the
//! filter words look at, the protocol that colours an envelope, bytes as hex, a TCP
//! connection's series for its graphs.

use crate::decode::proto;
use crate::time::Instant;
use crate::views::tcpgraph;
use serde_json::{json, Value};
use std::fmt::Write;

fn ns(t: Instant) -> u64 {
    t.as_nanos()
}

/// What the display filter words need to know of a frame, computed from its bytes here so the
/// page does not parse frames: `[ethertype, ip protocol, tcp flags, payload bytes, broadcast,
/// src mac, dst mac, src ip, dst ip, src port, dst port, tcp window]` (absent parts `null`).
pub fn facts(frame: &[u8]) -> Value {
    use pnet_packet::Packet;
    // The same decode the filter words use (`FrameFilter`), so both select the same frames.
    let d = crate::decode::Decoded::new(frame);
    let Some(eth) = d.eth else {
        return Value::Null;
    };
    let mut f = vec![
        json!(eth.ethertype),
        Value::Null,
        Value::Null,
        Value::Null,
        json!(eth.dst.is_broadcast()),
        json!(eth.src.to_string()),
        json!(eth.dst.to_string()),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    if let Some(ip) = &d.ip {
        f[1] = json!(ip.get_next_level_protocol().0);
        f[7] = json!(ip.get_source().to_string());
        f[8] = json!(ip.get_destination().to_string());
        if let Some(t) = d.tcp() {
            f[2] = json!(t.get_flags());
            f[3] = json!(t.payload().len());
            f[9] = json!(t.get_source());
            f[10] = json!(t.get_destination());
            f[11] = json!(t.get_window());
        } else if let Some(u) = d.udp() {
            f[3] = json!(d.transport().map_or(0, |b| b.len().saturating_sub(8)));
            f[9] = json!(u.get_source());
            f[10] = json!(u.get_destination());
        }
    }
    Value::Array(f)
}

/// A short name for the colour of a frame's envelope.
pub fn proto_of(frame: &[u8]) -> &'static str {
    let d = crate::decode::Decoded::new(frame);
    let Some(eth) = d.eth else {
        return "bad";
    };
    match eth.ethertype {
        crate::ethernet::ethertype::ARP => "arp",
        // The protocol byte as it is, whatever the rest of the header says.
        crate::ethernet::ethertype::IPV4 => match d.payload.get(9) {
            Some(&proto::ICMP) => "icmp",
            Some(&proto::TCP) => "tcp",
            Some(&proto::UDP) => "udp",
            _ => "ip",
        },
        _ => "raw",
    }
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn tcp_json(c: &tcpgraph::Connection) -> Value {
    let isn = [c.sides[0].isn.unwrap_or(0), c.sides[1].isn.unwrap_or(0)];
    let scaled = c.sides[0].wscale.is_some() && c.sides[1].wscale.is_some();
    let sides: Vec<Value> = c
        .sides
        .iter()
        .map(|s| {
            json!({
                "label": s.label(),
                "node": s.node,
                "states": s.transitions.iter().map(|t| json!([ns(t.time), t.from.to_string(), t.to.to_string(), t.cause.to_string()])).collect::<Vec<_>>(),
                "cwnd": s.cwnd.iter().map(|(t, w, ss)| json!([ns(*t), w, ss])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let seg: Vec<Value> = c
        .sent
        .iter()
        .map(|s| {
            json!([
                ns(s.time),
                s.from,
                s.seq.wrapping_sub(isn[s.from]),
                s.seg_len(),
                s.flags.bits(),
                s.retransmission,
                s.lost_at_sender,
                s.id.0
            ])
        })
        .collect();
    let ack: Vec<Value> = c
        .received
        .iter()
        .map(|a| {
            // The ACK acknowledges the other side's bytes; its window is the receiver's.
            let other = 1 - a.at;
            let from = other;
            let shift = if scaled && !a.flags.syn() {
                c.sides[from].wscale.unwrap_or(0)
            } else {
                0
            };
            json!([
                ns(a.time),
                a.at,
                a.ack.wrapping_sub(isn[a.at]),
                (a.window as u64) << shift,
                a.flags.ack()
            ])
        })
        .collect();
    json!({
        "n": c.number,
        "label": c.label(),
        "sides": sides,
        "seg": seg,
        "ack": ack,
    })
}
