//! The trace as JSON Lines: one object per record, for scripts (`jq`, pandas, a notebook).
//!
//! Every object has `time_ns` (simulated nanoseconds), `node` (its name, or `null` for
//! whole-network events), `layer` (`phy`, `eth`, `switch`, `scenario`, …), `kind` (the record's
//! variant in snake case: `frame_tx`, `bit_errors`, `mac_learned`, …) and `text` (the line the
//! text log prints for it). Records of the kinds below add their fields, with node, link and
//! port names rather than indices and frames as lowercase hex (destination MAC through FCS).
//! Kinds added to the trace later still get the five common keys (and `debug`, the record's
//! Rust debug form) until they are given fields here.

use super::text::TextView;
use super::{describe, NicDrop, Record, TraceEvent};
use crate::switch::{Forwarding, Learned};
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

/// `FrameTx` → `frame_tx`: the record's variant name in snake case, taken from its debug form
/// so that variants added later are named without a change here.
pub fn kind_name(event: &TraceEvent) -> String {
    let debug = format!("{event:?}");
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

/// One line of the file: the common keys first, then the record's own fields, then `text`.
#[derive(Serialize)]
struct Line<'a> {
    time_ns: u64,
    node: Option<&'a str>,
    layer: &'static str,
    kind: String,
    #[serde(flatten)]
    fields: Map<String, Value>,
    text: String,
}

/// One record as a JSON object.
pub fn record(view: &TextView, r: &Record) -> Value {
    serde_json::to_value(line(view, r)).expect("a record serialises")
}

fn line<'a>(view: &'a TextView, r: &Record) -> Line<'a> {
    let node = r.node.unwrap_or(crate::sim::NodeId(0));
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
        TraceEvent::Action { index } => json!({ "index": index }),
        TraceEvent::LinkState { link, up } => {
            json!({ "link": view.link_name(*link), "up": up })
        }
        #[allow(unreachable_patterns)] // variants other layers add later
        _ => json!({ "debug": format!("{:?}", r.event) }),
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
        let e = TraceEvent::Action { index: 2 };
        assert_eq!(kind_name(&e), "action");
        let e = TraceEvent::LinkState {
            link: crate::sim::LinkId(0),
            up: true,
        };
        assert_eq!(kind_name(&e), "link_state");
    }
}
