//! Timeline actions: `TIME SUBJECT VERB [options]`, one per line.
//!
//! | line | what it does |
//! | --- | --- |
//! | `1ms alice send-frame to=bob text="hi"` | a raw Ethernet frame (EtherType 0x88b5) from alice to bob |
//! | `… send-frame to=broadcast hex=0102 count=3 every=1ms ethertype=0x88b5` | payload as hex, repeated |
//! | `2ms link alice--sw1 down` / `… up` | unplug / plug a cable: frames on it are lost |
//! | `0 link l1 drop match="broadcast" nth=2 count=1 from=alice` | drop the 2nd matching frame alice sends on l1 |
//! | `0 link l1 corrupt bits=100,101 nth=1` | flip those bits of the first frame on l1 |
//!
//! Times are absolute (`1ms`) or relative to the previous line (`+1ms`).

use super::args::{lines_of, time_word, Args, LineCtx};
use super::build::Names;
use super::model::Sp;
use super::{ScenarioError, Src};
use crate::ethernet::{self, ethertype, EthernetRepr, MacAddr};
use crate::filter::FrameFilter;
use crate::sim::{Fault, FaultAction, LinkId, NodeId, World};
use crate::time::{Duration, Instant};
use std::str::FromStr;

/// One timeline action.
#[derive(Clone, Debug)]
pub struct Action {
    pub time: Instant,
    /// The line as written, for the trace.
    pub text: String,
    pub kind: ActionKind,
}

#[derive(Clone, Debug)]
pub enum ActionKind {
    SendFrame {
        node: usize,
        port: u16,
        dst: MacAddr,
        ethertype: u16,
        payload: Vec<u8>,
    },
    LinkUp {
        link: usize,
        up: bool,
    },
    Fault {
        link: usize,
        from_side: Option<u8>,
        filter: FrameFilter,
        nth: u32,
        count: u32,
        action: FaultAction,
    },
}

const SEND_FRAME_OPTS: &[&str] = &[
    "to",
    "text",
    "hex",
    "size",
    "ethertype",
    "via",
    "count",
    "every",
];
const FAULT_OPTS: &[&str] = &["match", "nth", "count", "from", "bits"];

/// Parses the `steps` of a `[timeline]`.
pub(crate) fn parse(
    src: &Src,
    names: &Names,
    steps: &Sp<String>,
) -> Result<Vec<Action>, ScenarioError> {
    let mut actions = Vec::new();
    let mut previous = Instant::ZERO;
    for ctx in lines_of(src, steps) {
        let mut words = ctx.words()?.into_iter();
        let Some(tw) = words.next() else { continue };
        let time = time_word(&ctx, &tw, previous)?;
        previous = time;
        let Some(subject) = words.next() else {
            return Err(ctx.err_end("expected what acts after the time: a node name or `link`"));
        };
        let rest: Vec<_> = words.collect();
        // The trace shows the time already: keep what follows it.
        let text = ctx.text[tw.span.end..].trim().to_string();
        if subject.value == "link" && subject.key.is_none() {
            actions.push(Action {
                time,
                text,
                kind: link_action(&ctx, names, rest)?,
            });
            continue;
        }
        let Some(node) = names.node(&subject.value) else {
            return Err(ctx.err_at(
                &subject,
                format!(
                    "no node called `{}`; the nodes are {} (or write `link NAME …`)",
                    subject.value,
                    names.node_list()
                ),
            ));
        };
        let mut rest = rest.into_iter();
        let Some(verb) = rest.next() else {
            return Err(ctx.err_end(format!(
                "expected an action for `{}`, such as send-frame",
                subject.value
            )));
        };
        match verb.value.as_str() {
            "send-frame" => {
                for a in send_frame(&ctx, names, node, time, &text, rest.collect())? {
                    actions.push(a);
                }
            }
            other => {
                return Err(ctx.err_at(
                    &verb,
                    format!("unknown action `{other}` for a node: expected send-frame"),
                ));
            }
        }
    }
    // Stable: equal times keep their order in the file.
    actions.sort_by_key(|a| a.time);
    Ok(actions)
}

fn parse_count(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|&n| n >= 1)
}

fn send_frame(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    time: Instant,
    text: &str,
    words: Vec<super::line::Word>,
) -> Result<Vec<Action>, ScenarioError> {
    let mut args = Args::new(ctx, "send-frame", words)?;
    let Some(to) = args.take("to") else {
        return Err(ctx.err_end("send-frame needs to=NODE, to=MAC or to=broadcast"));
    };
    let dst = if to.value == "broadcast" {
        MacAddr::broadcast()
    } else if let Some(n) = names.node(&to.value) {
        names.mac_of(n).ok_or_else(|| {
            ctx.err(
                to.value_span.clone(),
                format!(
                    "`{}` is not a host, so it has no MAC address to send to",
                    to.value
                ),
            )
        })?
    } else if let Ok(m) = MacAddr::from_str(&to.value) {
        m
    } else {
        return Err(ctx.err(
            to.value_span.clone(),
            format!(
                "`{}` is not a node, a MAC address or `broadcast`; the nodes are {}",
                to.value,
                names.node_list()
            ),
        ));
    };
    let text_payload = args.take("text");
    let hex = args.take("hex");
    let size = args.take_parsed("size", "a payload size in bytes (0-1500)", |s| {
        s.parse::<usize>().ok().filter(|&n| n <= 1500)
    })?;
    let payload = match (text_payload, hex, size) {
        (Some(t), None, None) => t.value.into_bytes(),
        (None, Some(h), None) => super::line::decode_hex(&h.value).ok_or_else(|| {
            ctx.err(
                h.value_span.clone(),
                "hex= needs pairs of hex digits, such as 48656c6c6f",
            )
        })?,
        (None, None, Some(n)) => (0..n).map(|i| b'a' + (i % 26) as u8).collect(),
        (None, None, None) => Vec::new(),
        _ => return Err(ctx.err_end("give the payload once: text=, hex= or size=")),
    };
    if payload.len() > 1500 {
        return Err(ctx.err_end(format!(
            "a payload of {} bytes does not fit in one Ethernet frame (at most 1500)",
            payload.len()
        )));
    }
    let ethertype = args
        .take_parsed("ethertype", "an EtherType such as 0x88b5", |s| {
            u16::from_str_radix(s.trim_start_matches("0x"), 16).ok()
        })?
        .unwrap_or(ethertype::EXPERIMENTAL);
    let port = match args.take("via") {
        None => 0,
        Some(w) => match &names.nodes[node].kind {
            super::NodeSpecKind::Host { interfaces } => interfaces
                .iter()
                .position(|i| i.name == w.value)
                .ok_or_else(|| {
                    ctx.err(
                        w.value_span.clone(),
                        format!("no interface `{}` on this host", w.value),
                    )
                })? as u16,
            _ => 0,
        },
    };
    if !matches!(names.nodes[node].kind, super::NodeSpecKind::Host { .. }) {
        return Err(ctx.err(
            0..ctx.text.len(),
            "only hosts send frames; switches and hubs only pass them on",
        ));
    }
    let count = args
        .take_parsed("count", "a count of 1 or more", parse_count)?
        .unwrap_or(1);
    let every = args
        .take_parsed("every", "an interval such as 1ms", |s| {
            Duration::from_str(s).ok()
        })?
        .unwrap_or(Duration::from_millis(1));
    args.finish(SEND_FRAME_OPTS)?;
    Ok((0..count)
        .map(|k| Action {
            time: time + every.saturating_mul(k as u64),
            text: text.to_string(),
            kind: ActionKind::SendFrame {
                node,
                port,
                dst,
                ethertype,
                payload: payload.clone(),
            },
        })
        .collect())
}

fn link_action(
    ctx: &LineCtx,
    names: &Names,
    words: Vec<super::line::Word>,
) -> Result<ActionKind, ScenarioError> {
    let mut words = words.into_iter();
    let Some(name) = words.next() else {
        return Err(ctx.err_end(format!(
            "expected a link name after `link`; the links are {}",
            names.link_list()
        )));
    };
    let Some(link) = names.link(&name.value) else {
        return Err(ctx.err_at(
            &name,
            format!(
                "no link called `{}`; the links are {}",
                name.value,
                names.link_list()
            ),
        ));
    };
    let Some(verb) = words.next() else {
        return Err(ctx.err_end("expected what to do with the link: down, up, drop or corrupt"));
    };
    let rest: Vec<_> = words.collect();
    match verb.value.as_str() {
        "down" | "up" => {
            Args::new(ctx, format!("link {}", verb.value), rest)?.finish(&[])?;
            Ok(ActionKind::LinkUp {
                link,
                up: verb.value == "up",
            })
        }
        "drop" | "corrupt" => {
            let mut args = Args::new(ctx, format!("link … {}", verb.value), rest)?;
            let filter = match args.take("match") {
                None => FrameFilter::any(),
                Some(w) => FrameFilter::parse(&w.value, &|n| names.endpoint(n)).map_err(|e| {
                    let at = if w.quoted {
                        w.value_span.start + 1
                    } else {
                        w.value_span.start
                    };
                    ctx.err(at + e.offset..at + e.offset + e.len, e.message)
                })?,
            };
            let nth = args
                .take_parsed("nth", "a frame number of 1 or more", parse_count)?
                .unwrap_or(1);
            let count = args
                .take_parsed("count", "a count of 1 or more", parse_count)?
                .unwrap_or(1);
            let from_side = match args.take("from") {
                None => None,
                Some(w) => {
                    let spec = &names.links[link];
                    let side = names
                        .node(&w.value)
                        .and_then(|n| spec.ends.iter().position(|(e, _)| *e == n));
                    Some(side.ok_or_else(|| {
                        ctx.err(
                            w.value_span.clone(),
                            format!("`{}` is not at either end of link `{}`", w.value, spec.name),
                        )
                    })? as u8)
                }
            };
            let action = if verb.value == "drop" {
                if let Some(w) = args.take("bits") {
                    return Err(ctx.err_at(&w, "bits= goes with corrupt, not drop"));
                }
                FaultAction::Drop
            } else {
                let bits = args
                    .take_parsed("bits", "a list of bit positions such as 100,101", |s| {
                        s.split(',')
                            .map(|b| b.trim().parse::<u64>().ok())
                            .collect::<Option<Vec<_>>>()
                    })?
                    // By default one bit inside the payload of a minimum-size frame.
                    .unwrap_or_else(|| vec![8 * 20]);
                FaultAction::Corrupt(bits)
            };
            args.finish(FAULT_OPTS)?;
            Ok(ActionKind::Fault {
                link,
                from_side,
                filter,
                nth,
                count,
                action,
            })
        }
        other => Err(ctx.err_at(
            &verb,
            format!("unknown link action `{other}`: expected down, up, drop or corrupt"),
        )),
    }
}

impl Action {
    /// Carries the action out on `world`, now.
    pub fn apply(&self, world: &mut World) {
        match &self.kind {
            ActionKind::SendFrame {
                node,
                port,
                dst,
                ethertype,
                payload,
            } => {
                let node = NodeId(*node as u32);
                world.with_host(node, |host, io| {
                    let Some(src) = host.interfaces.get(*port as usize).map(|i| i.mac) else {
                        return;
                    };
                    let frame = ethernet::frame_with_payload(
                        &EthernetRepr {
                            dst: *dst,
                            src,
                            ethertype: *ethertype,
                        },
                        payload,
                    );
                    host.transmit(io, *port, frame);
                });
            }
            ActionKind::LinkUp { link, up } => world.set_link_up(LinkId(*link as u32), *up),
            ActionKind::Fault {
                link,
                from_side,
                filter,
                nth,
                count,
                action,
            } => {
                world.link_mut(LinkId(*link as u32)).faults.push(Fault::new(
                    *from_side,
                    filter.clone(),
                    *nth,
                    *count,
                    action.clone(),
                ));
            }
        }
    }
}
