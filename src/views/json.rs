//! The trace as JSON Lines: one object per record, for scripts (`jq`, pandas, a notebook).
//!
//! Every object has `time_ns` (simulated nanoseconds), `node` (its name, or `null` for
//! whole-network events), `layer` (`phy`, `eth`, `switch`, `scenario`, …), `kind` (the record's
//! variant in snake case: `frame_tx`, `bit_errors`, `mac_learned`, …) and `text` (the line the
//! text log prints for it). Records of the kinds below add their fields, with node, link and
//! port names rather than indices and frames as lowercase hex (destination MAC through FCS).
//! Every kind has named fields only (no Rust debug strings): `docs/trace-json.md` lists each
//! kind with its fields, and `tests/trace_json.rs` checks the file against what is written. The
//! match below has no catch-all arm, so a new kind does not compile until it has its fields;
//! [`KINDS`] must then name it, and the document describe it.

use super::text::TextView;
use crate::arp::ArpEvent;
use crate::switch::{Forwarding, Learned};
use crate::tcp::TcpEvent;
use crate::trace::{
    describe, AppEvent, ArpIgnore, CallResult, IcmpKind, NicDrop, Record, TraceEvent,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// Lowercase hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from_digit((b >> 4) as u32, 16).unwrap());
        s.push(char::from_digit((b & 15) as u32, 16).unwrap());
    }
    s
}

/// Every record kind's name, in the order of [`TraceEvent`]'s variants.
pub const KINDS: &[&str] = &[
    "frame_tx",
    "frame_dropped",
    "bit_errors",
    "collision",
    "frame_rx",
    "nic_drop",
    "raw_delivered",
    "mac_learned",
    "mac_aged",
    "switched",
    "hub_repeated",
    "stp_port",
    "stp_topology_change",
    "arp",
    "arp_ignored",
    "ip_send",
    "ip_forward",
    "ip_deliver",
    "ip_dropped",
    "ip_fragmented",
    "ip_reassembled",
    "icmp_out",
    "tcp",
    "socket_call",
    "app_log",
    "app",
    "action",
    "link_state",
    "action_failed",
    "dhcp",
    "dns_answer",
];

/// `FrameTx` → `frame_tx`: the record's kind, one of [`KINDS`].
pub fn kind_name(event: &TraceEvent) -> &'static str {
    use TraceEvent::*;
    let i = match event {
        FrameTx { .. } => 0,
        FrameDropped { .. } => 1,
        BitErrors { .. } => 2,
        Collision { .. } => 3,
        FrameRx { .. } => 4,
        NicDrop { .. } => 5,
        RawDelivered { .. } => 6,
        MacLearned { .. } => 7,
        MacAged { .. } => 8,
        Switched { .. } => 9,
        HubRepeated { .. } => 10,
        StpPort { .. } => 11,
        StpTopologyChange { .. } => 12,
        Arp { .. } => 13,
        ArpIgnored { .. } => 14,
        IpSend { .. } => 15,
        IpForward { .. } => 16,
        IpDeliver { .. } => 17,
        IpDropped { .. } => 18,
        IpFragmented { .. } => 19,
        IpReassembled { .. } => 20,
        IcmpOut { .. } => 21,
        Tcp { .. } => 22,
        SocketCall { .. } => 23,
        AppLog { .. } => 24,
        App { .. } => 25,
        Action { .. } => 26,
        LinkState { .. } => 27,
        ActionFailed { .. } => 28,
        Dhcp { .. } => 29,
        DnsAnswer { .. } => 30,
    };
    KINDS[i]
}

/// A field-less variant's name in snake case (`RcvAckOfSyn` → `rcv_ack_of_syn`): the name of
/// a reason, a cause, a timer; only the leading name is taken, never a value.
fn snake(name: impl std::fmt::Debug) -> String {
    let debug = format!("{name:?}");
    let mut s = String::new();
    for c in debug.chars().take_while(|c| c.is_alphanumeric()) {
        if c.is_uppercase() {
            if !s.is_empty() {
                s.push('_');
            }
            s.extend(c.to_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn ns(d: crate::time::Duration) -> u64 {
    d.as_nanos()
}

/// An ICMP message's fields: `icmp` (echo_request, echo_reply, unreachable, time_exceeded) and
/// its `ident`/`seq` or `code` (and `mtu` for fragmentation needed).
fn icmp_fields(k: &IcmpKind, v: &mut Value) {
    use crate::icmp::DestUnreachableCode;
    match *k {
        IcmpKind::EchoRequest { ident, seq } | IcmpKind::EchoReply { ident, seq } => {
            v["icmp"] = json!(if matches!(k, IcmpKind::EchoRequest { .. }) {
                "echo_request"
            } else {
                "echo_reply"
            });
            v["ident"] = json!(ident);
            v["seq"] = json!(seq);
        }
        IcmpKind::Unreachable(code) => {
            v["icmp"] = json!("unreachable");
            v["code"] = json!(snake(code));
            if let DestUnreachableCode::FragmentationNeeded { next_hop_mtu } = code {
                v["mtu"] = json!(next_hop_mtu);
            }
        }
        IcmpKind::TimeExceeded(code) => {
            v["icmp"] = json!("time_exceeded");
            v["code"] = json!(snake(code));
        }
    }
    v["message"] = json!(k.describe());
}

fn arp_fields(e: &ArpEvent) -> Value {
    let mac = |m: Option<crate::ethernet::MacAddr>| m.map(|m| m.to_string());
    match *e {
        ArpEvent::Added { ip, state, mac: m } => {
            json!({ "event": "added", "ip": ip.to_string(), "state": state.name(), "mac": mac(m) })
        }
        ArpEvent::Updated {
            ip,
            old_mac,
            new_mac,
        } => json!({
            "event": "updated", "ip": ip.to_string(),
            "old_mac": old_mac.to_string(), "mac": new_mac.to_string(),
        }),
        ArpEvent::StateChanged { ip, from, to } => json!({
            "event": "state_changed", "ip": ip.to_string(), "from": from.name(), "state": to.name(),
        }),
        ArpEvent::RequestSent {
            ip,
            attempt,
            unicast,
        } => json!({
            "event": "request_sent", "ip": ip.to_string(), "attempt": attempt, "unicast_to": mac(unicast),
        }),
        ArpEvent::Resolved {
            ip,
            mac: m,
            state,
            released,
        } => json!({
            "event": "resolved", "ip": ip.to_string(), "mac": m.to_string(),
            "state": state.name(), "released": released,
        }),
        ArpEvent::Failed { ip, dropped } => {
            json!({ "event": "failed", "ip": ip.to_string(), "dropped": dropped })
        }
        ArpEvent::PacketDropped { ip, reason } => {
            json!({ "event": "packet_dropped", "ip": ip.to_string(), "reason": snake(reason) })
        }
        ArpEvent::Removed { ip, state, reason } => json!({
            "event": "removed", "ip": ip.to_string(), "state": state.name(), "reason": snake(reason),
        }),
    }
}

fn tcp_fields(e: &TcpEvent) -> Value {
    let seq = |s: crate::tcp::SeqNumber| json!(s.0);
    match *e {
        TcpEvent::StateChanged { from, to, cause } => json!({
            "event": "state_changed", "from": from.name(), "state": to.name(), "cause": snake(cause),
        }),
        TcpEvent::Error(err) => {
            json!({ "event": "error", "error": snake(err), "message": err.to_string() })
        }
        TcpEvent::Retransmit {
            seq: s,
            len,
            reason,
        } => json!({ "event": "retransmit", "seq": seq(s), "len": len, "reason": snake(reason) }),
        TcpEvent::CongestionChanged {
            cwnd,
            ssthresh,
            reason,
        } => json!({
            "event": "congestion_changed", "cwnd": cwnd, "ssthresh": ssthresh, "reason": snake(reason),
        }),
        TcpEvent::TimerArmed { kind, deadline } => json!({
            "event": "timer_armed", "timer": snake(kind), "deadline_ns": deadline.as_nanos(),
        }),
        TcpEvent::TimerFired { kind } => json!({ "event": "timer_fired", "timer": snake(kind) }),
        TcpEvent::TimerCancelled { kind } => {
            json!({ "event": "timer_cancelled", "timer": snake(kind) })
        }
        TcpEvent::RttSample {
            rtt,
            srtt,
            rttvar,
            rto,
        } => json!({
            "event": "rtt_sample", "rtt_ns": ns(rtt), "srtt_ns": ns(srtt),
            "rttvar_ns": ns(rttvar), "rto_ns": ns(rto),
        }),
        TcpEvent::RtoBackoff { rto } => json!({ "event": "rto_backoff", "rto_ns": ns(rto) }),
        TcpEvent::DupAck { ack, count } => {
            json!({ "event": "dup_ack", "ack": seq(ack), "count": count })
        }
        TcpEvent::PeerWindow { window } => json!({ "event": "peer_window", "window": window }),
        TcpEvent::SegmentDropped { reason } => {
            json!({ "event": "segment_dropped", "reason": snake(reason) })
        }
        TcpEvent::ChallengeAck { reason } => {
            json!({ "event": "challenge_ack", "reason": snake(reason) })
        }
        TcpEvent::LossProbe { seq: s, new_data } => {
            json!({ "event": "loss_probe", "seq": seq(s), "new_data": new_data })
        }
        TcpEvent::SpuriousTimeout => json!({ "event": "spurious_timeout" }),
        TcpEvent::AckRateLimited => json!({ "event": "ack_rate_limited" }),
        TcpEvent::KeepaliveProbe { count } => {
            json!({ "event": "keepalive_probe", "count": count })
        }
        TcpEvent::ListenDrop { remote, reason } => json!({
            "event": "listen_drop", "peer": remote.to_string(), "reason": snake(reason),
        }),
        TcpEvent::HalfOpenCreated { remote } => {
            json!({ "event": "half_open_created", "peer": remote.to_string() })
        }
        TcpEvent::HalfOpenDropped { remote } => {
            json!({ "event": "half_open_dropped", "peer": remote.to_string() })
        }
        TcpEvent::Queued { remote } => json!({ "event": "queued", "peer": remote.to_string() }),
        TcpEvent::SynCookieSent { remote } => {
            json!({ "event": "syn_cookie_sent", "peer": remote.to_string() })
        }
        TcpEvent::SynCookieAccepted { remote, mss } => json!({
            "event": "syn_cookie_accepted", "peer": remote.to_string(), "mss": mss,
        }),
    }
}

fn app_fields(e: &AppEvent) -> Value {
    let ip = |a: std::net::Ipv4Addr| a.to_string();
    match *e {
        AppEvent::PingStart { dst, size } => {
            json!({ "event": "ping_start", "dst": ip(dst), "size": size })
        }
        AppEvent::PingReply {
            from,
            seq,
            ttl,
            bytes,
            rtt,
        } => json!({
            "event": "ping_reply", "from": ip(from), "seq": seq, "ttl": ttl,
            "bytes": bytes, "rtt_ns": ns(rtt),
        }),
        AppEvent::PingError { from, seq, kind } => {
            let mut v = json!({ "event": "ping_error", "from": ip(from), "seq": seq });
            icmp_fields(&kind, &mut v);
            v
        }
        AppEvent::PingLocalError { seq, drop } => {
            json!({ "event": "ping_local_error", "seq": seq, "reason": drop.reason() })
        }
        AppEvent::PingDone {
            transmitted,
            received,
            errors,
            min,
            avg,
            max,
        } => json!({
            "event": "ping_done", "transmitted": transmitted, "received": received,
            "errors": errors, "min_ns": ns(min), "avg_ns": ns(avg), "max_ns": ns(max),
        }),
        AppEvent::TraceStart {
            dst,
            max_hops,
            size,
        } => json!({
            "event": "trace_start", "dst": ip(dst), "max_hops": max_hops, "size": size,
        }),
        AppEvent::TraceProbe {
            ttl,
            probe,
            from,
            rtt,
            kind,
        } => {
            let mut v = json!({
                "event": "trace_probe", "ttl": ttl, "probe": probe,
                "from": from.map(ip), "rtt_ns": rtt.map(ns),
            });
            if let Some(k) = kind {
                icmp_fields(&k, &mut v);
            }
            v
        }
        AppEvent::TraceDone { reached, hops } => {
            json!({ "event": "trace_done", "reached": reached, "hops": hops })
        }
    }
}

/// One line of the file: the common keys first, then the record's own fields, then `text`.
#[derive(Serialize)]
struct Line<'a> {
    time_ns: u64,
    node: Option<&'a str>,
    layer: &'static str,
    kind: &'static str,
    #[serde(flatten)]
    fields: Map<String, Value>,
    text: String,
}

/// One record as a JSON object.
pub fn record(view: &TextView, r: &Record) -> Value {
    serde_json::to_value(line(view, r)).expect("a record serialises")
}

fn line<'a>(view: &'a TextView, r: &Record) -> Line<'a> {
    let node = r.node.unwrap_or(crate::ids::NodeId(0));
    let port = |p: u16| json!(view.port_name(node, p));
    let fields = match &r.event {
        TraceEvent::FrameTx {
            link,
            port: p,
            id,
            frame,
            start,
            arrival,
            queued_behind,
        } => json!({
            "link": view.link_name(*link),
            "port": port(*p),
            "id": id.0,
            "start_ns": start.as_nanos(),
            "arrival_ns": arrival.as_nanos(),
            "queued_behind": queued_behind,
            "summary": describe::frame(frame),
            "frame": hex(frame),
        }),
        TraceEvent::FrameDropped {
            link,
            port: p,
            id,
            frame,
            reason,
        } => json!({
            "link": view.link_name(*link),
            "port": port(*p),
            "id": id.0,
            "reason": reason.reason(),
            "summary": describe::frame(frame),
            "frame": hex(frame),
        }),
        TraceEvent::BitErrors {
            link,
            id,
            flipped,
            by_fault,
        } => json!({
            "link": view.link_name(*link),
            "id": id.0,
            "flipped": flipped,
            "by_fault": by_fault,
        }),
        TraceEvent::Collision {
            link,
            port: p,
            id,
            frame,
            attempt,
            after_bits,
            late,
            backoff,
        } => json!({
            "link": view.link_name(*link),
            "port": port(*p),
            "id": id.0,
            "attempt": attempt,
            "after_bits": after_bits,
            "late": late,
            "backoff_slots": backoff,
            "summary": describe::frame(frame),
        }),
        TraceEvent::FrameRx {
            link,
            port: p,
            id,
            frame,
        } => json!({
            "link": view.link_name(*link),
            "port": port(*p),
            "id": id.0,
            "frame": hex(frame),
        }),
        TraceEvent::NicDrop {
            port: p,
            id,
            reason,
        } => {
            let mut v = json!({ "port": port(*p), "id": id.0, "reason": reason.reason() });
            match reason {
                NicDrop::NotForMe { dst } => v["dst"] = json!(dst.to_string()),
                NicDrop::UnknownEtherType(t) => v["ethertype"] = json!(t),
                _ => {}
            }
            v
        }
        TraceEvent::RawDelivered { port: p, id, frame } => {
            json!({ "port": port(*p), "id": id.0, "frame": hex(frame) })
        }
        TraceEvent::MacLearned { mac, port: p, how } => {
            let mut v = json!({ "mac": mac.to_string(), "port": port(*p) });
            v["how"] = json!(match how {
                Learned::New => "new",
                Learned::Moved { .. } => "moved",
                Learned::Refreshed => "refreshed",
                Learned::TableFull => "table-full",
                Learned::NotUnicast => "not-unicast",
            });
            if let Learned::Moved { from } = how {
                v["from_port"] = port(*from);
            }
            v
        }
        TraceEvent::MacAged { mac, port: p } => {
            json!({ "mac": mac.to_string(), "port": port(*p) })
        }
        TraceEvent::Switched {
            in_port,
            id,
            decision,
        } => {
            let mut v = json!({ "in_port": port(*in_port), "id": id.0 });
            match decision {
                Forwarding::Unicast(out) => {
                    v["decision"] = json!("forward");
                    v["out_port"] = port(*out);
                }
                Forwarding::Flood { unknown_unicast } => {
                    v["decision"] = json!("flood");
                    v["unknown_unicast"] = json!(unknown_unicast);
                }
                Forwarding::Filter => v["decision"] = json!("filter"),
                Forwarding::Bpdu => v["decision"] = json!("bpdu"),
                Forwarding::WrongVlan { vlan } => {
                    v["decision"] = json!("wrong_vlan");
                    v["vlan"] = json!(vlan);
                }
                Forwarding::Discard { port: p, state } => {
                    v["decision"] = json!("discard");
                    v["stp_port"] = port(*p);
                    v["stp_state"] = json!(state.name());
                }
                Forwarding::Drop(e) => {
                    v["decision"] = json!("drop");
                    v["reason"] = json!(e.reason());
                }
            }
            v
        }
        TraceEvent::HubRepeated { in_port, id } => {
            json!({ "in_port": port(*in_port), "id": id.0 })
        }
        TraceEvent::StpPort {
            port: p,
            role,
            state,
        } => {
            json!({ "port": port(*p), "role": role.name(), "state": state.name() })
        }
        TraceEvent::StpTopologyChange { on } => json!({ "on": on }),
        TraceEvent::Action { index } => json!({ "index": index }),
        TraceEvent::LinkState { link, up } => {
            json!({ "link": view.link_name(*link), "up": up })
        }
        TraceEvent::Arp { iface, event } => {
            let mut v = arp_fields(event);
            v["iface"] = json!(view.iface_name(node, *iface));
            v
        }
        TraceEvent::ArpIgnored { iface, why } => {
            let (reason, message) = match why {
                ArpIgnore::Malformed(e) => (format!("malformed_{}", snake(e)), e.to_string()),
                ArpIgnore::Rejected(e) => (format!("rejected_{}", snake(e)), e.to_string()),
                ArpIgnore::NoAddress => (
                    "no_address".to_string(),
                    "this interface has no IP address".to_string(),
                ),
            };
            json!({ "iface": view.iface_name(node, *iface), "reason": reason, "message": message })
        }
        TraceEvent::IpSend {
            iface,
            dst,
            next_hop,
            protocol,
            len,
            route,
        } => json!({
            "iface": view.iface_name(node, *iface), "dst": dst.to_string(),
            "next_hop": next_hop.to_string(), "protocol": protocol.number(), "len": len,
            "route": route.to_string(),
        }),
        TraceEvent::IpForward {
            in_iface,
            iface,
            src,
            dst,
            next_hop,
            ttl,
            route,
        } => json!({
            "in_iface": view.iface_name(node, *in_iface), "iface": view.iface_name(node, *iface),
            "src": src.to_string(), "dst": dst.to_string(), "next_hop": next_hop.to_string(),
            "ttl": ttl, "route": route.to_string(),
        }),
        TraceEvent::IpDeliver {
            src,
            dst,
            protocol,
            len,
        } => json!({
            "src": src.to_string(), "dst": dst.to_string(), "protocol": protocol.number(), "len": len,
        }),
        TraceEvent::IpDropped { src, dst, reason } => json!({
            "src": src.to_string(), "dst": dst.to_string(), "reason": reason.reason(),
            "message": super::text::ip_drop(reason),
        }),
        TraceEvent::IpFragmented {
            dst,
            ident,
            fragments,
            mtu,
        } => json!({
            "dst": dst.to_string(), "ident": ident, "fragments": fragments, "mtu": mtu,
        }),
        TraceEvent::IpReassembled { src, ident, len } => {
            json!({ "src": src.to_string(), "ident": ident, "len": len })
        }
        TraceEvent::IcmpOut { dst, kind } => {
            let mut v = json!({ "dst": dst.to_string() });
            icmp_fields(kind, &mut v);
            v
        }
        TraceEvent::Tcp {
            local,
            remote,
            event,
        } => {
            let mut v = tcp_fields(event);
            v["local"] = json!(local.to_string());
            v["remote"] = json!(remote.to_string());
            v
        }
        TraceEvent::SocketCall { app, call, result } => {
            let mut v = json!({ "app": view.app_name(node, *app), "call": call });
            match result {
                CallResult::Blocked => v["result"] = json!("blocked"),
                CallResult::Ok => v["result"] = json!("ok"),
                CallResult::Count(n) => {
                    v["result"] = json!("count");
                    v["count"] = json!(n);
                }
                CallResult::Error(e) => {
                    v["result"] = json!("error");
                    v["errno"] = json!(e.errno_name());
                }
            }
            v
        }
        TraceEvent::AppLog { app, text } => {
            json!({ "app": view.app_name(node, *app), "output": text })
        }
        TraceEvent::App { app, event } => {
            let mut v = app_fields(event);
            v["app"] = json!(view.app_name(node, *app));
            v
        }
        TraceEvent::ActionFailed { reason } => json!({ "reason": reason }),
        TraceEvent::DnsAnswer { client, summary } => {
            json!({ "client": client.to_string(), "answer": summary })
        }
        TraceEvent::Dhcp { iface, event } => {
            let mut v = dhcp_fields(event);
            v["iface"] = json!(view.iface_name(node, *iface));
            v
        }
    };
    Line {
        time_ns: r.time.as_nanos(),
        node: r.node.map(|n| view.node_name(n)),
        layer: r.event.layer().name(),
        kind: kind_name(&r.event),
        fields: match fields {
            Value::Object(f) => f,
            _ => Map::new(),
        },
        text: view.what(r),
    }
}

/// A DHCP record's fields: `event` (client_state, bound, expired, refused, offered, acked,
/// pool_exhausted, no_pool, relayed) and its values.
fn dhcp_fields(e: &crate::dhcp::DhcpEvent) -> Value {
    use crate::dhcp::DhcpEvent::*;
    let mut v = json!({ "event": snake(e) });
    match e {
        ClientState { from, to } => {
            v["from"] = json!(from.name());
            v["to"] = json!(to.name());
        }
        Bound {
            addr,
            lease,
            server,
        } => {
            v["addr"] = json!(addr.to_string());
            v["lease_ns"] = json!(ns(*lease));
            v["server"] = json!(server.to_string());
        }
        Expired { addr } => v["addr"] = json!(addr.to_string()),
        Refused => {}
        Offered { client, addr } => {
            v["client"] = json!(client.to_string());
            v["addr"] = json!(addr.to_string());
        }
        Acked {
            client,
            addr,
            lease,
        } => {
            v["client"] = json!(client.to_string());
            v["addr"] = json!(addr.to_string());
            v["lease_ns"] = json!(ns(*lease));
        }
        PoolExhausted { client } => v["client"] = json!(client.to_string()),
        NoPool { subnet } => v["subnet"] = json!(subnet.to_string()),
        Relayed { to, giaddr } => {
            v["to"] = json!(to.to_string());
            v["giaddr"] = json!(giaddr.to_string());
        }
    }
    v
}

/// Writes one record as one line.
pub fn write_line<W: Write>(view: &TextView, r: &Record, mut out: W) -> io::Result<()> {
    serde_json::to_writer(&mut out, &line(view, r))?;
    out.write_all(b"\n")
}

/// Writes one line per record; returns how many.
pub fn write_jsonl<W: Write>(view: &TextView, records: &[Record], mut out: W) -> io::Result<usize> {
    for r in records {
        write_line(view, r, &mut out)?;
    }
    out.flush()?;
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_kind_names() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
        assert_eq!(
            snake(crate::tcp::TransitionCause::AbortOnData),
            "abort_on_data"
        );
        let e = TraceEvent::Action { index: 2 };
        assert_eq!(kind_name(&e), "action");
        let e = TraceEvent::LinkState {
            link: crate::ids::LinkId(0),
            up: true,
        };
        assert_eq!(kind_name(&e), "link_state");
    }
}
