//! Timeline actions: `TIME SUBJECT VERB [options]`, one per line.
//!
//! | line | what it does |
//! | --- | --- |
//! | `1ms alice send-frame to=bob text="hi"` | a raw Ethernet frame (EtherType 0x88b5) from alice to bob |
//! | `… send-frame to=broadcast hex=0102 count=3 every=1ms ethertype=0x88b5` | payload as hex, repeated |
//! | `2ms link alice--sw1 down` / `… up` | unplug / plug a cable: frames on it are lost |
//! | `0 link l1 drop match="broadcast" nth=2 count=1 from=alice` | drop the 2nd matching frame alice sends on l1 |
//! | `0 link l1 corrupt bits=100,101 nth=1` | flip those bits of the first frame on l1 |
//! | `1s link l1 set loss=0.05` | from now on the link loses that share of frames at random |
//!
//! Times are absolute (`1ms`) or relative to the previous line (`+1ms`).
//!
//! This file reads the lines; `timeline/verbs.rs` reads each verb's words into its action,
//! `timeline/apply.rs` carries an action out on the world.

use super::args::{lines_of, time_word, Args, MAX_FRAMES_PER_LINE};
use super::error::{ScenarioError, Src};
use super::model::Sp;
use super::names::{AppNames, Names};
use super::network::{host_ifaces, NodeSpecKind};
use crate::apps::script::ScriptLine;
use crate::apps::sock::SocketApp;
use crate::apps::{PingConfig, TracerouteConfig};
use crate::ethernet::MacAddr;
use crate::filter::FrameFilter;
use crate::ip::{Ipv4Cidr, Route};
use crate::sim::FaultAction;
use crate::time::Instant;

mod apply;
mod verbs;

use verbs::{link_action, ping, route_action, send_frame, traceroute};

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
    LinkLoss {
        link: usize,
        loss: f64,
    },
    Fault {
        link: usize,
        from_side: Option<u8>,
        filter: FrameFilter,
        nth: u32,
        count: u32,
        action: FaultAction,
    },
    Ping {
        node: usize,
        name: String,
        config: PingConfig,
    },
    Traceroute {
        node: usize,
        name: String,
        config: TracerouteConfig,
    },
    RouteAdd {
        node: usize,
        route: Route,
    },
    RouteDel {
        node: usize,
        dest: Ipv4Cidr,
    },
    ArpFlush {
        node: usize,
    },
    InterfaceUp {
        node: usize,
        iface: u16,
        up: bool,
    },
    /// Start a socket program whose lines the timeline gave.
    StartScript {
        node: usize,
        name: String,
        lines: Vec<ScriptLine>,
    },
    /// Start a Python program.
    StartPython {
        node: usize,
        name: String,
        config: std::sync::Arc<crate::apps::python::PythonConfig>,
    },
    /// Start a ready-made socket application.
    StartApp {
        node: usize,
        name: String,
        app: Box<SocketApp>,
    },
}

impl ActionKind {
    /// The node the action happens at, if any.
    pub fn node(&self) -> Option<usize> {
        match self {
            ActionKind::SendFrame { node, .. }
            | ActionKind::Ping { node, .. }
            | ActionKind::Traceroute { node, .. }
            | ActionKind::RouteAdd { node, .. }
            | ActionKind::RouteDel { node, .. }
            | ActionKind::ArpFlush { node }
            | ActionKind::InterfaceUp { node, .. }
            | ActionKind::StartScript { node, .. }
            | ActionKind::StartPython { node, .. }
            | ActionKind::StartApp { node, .. } => Some(*node),
            ActionKind::LinkUp { .. } | ActionKind::LinkLoss { .. } | ActionKind::Fault { .. } => {
                None
            }
        }
    }
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
const FAULT_OPTS: &[&str] = &["match", "nth", "count", "from", "bits", "by"];
const PING_OPTS: &[&str] = &["count", "interval", "size", "ttl", "df", "linger", "as"];
const TRACEROUTE_OPTS: &[&str] = &["max_hops", "probes", "wait", "as"];
const NODE_VERBS: &str =
    "send-frame, ping, traceroute, route, arp, interface, echo-server, line-client, \
bulk-send, bulk-sink, udp-echo, udp-send, udp-sink, python, or a socket call such as \
`s = socket(tcp)`";

/// Parses the `steps` of a `[timeline]`.
pub(crate) fn parse(
    src: &Src,
    names: &Names,
    steps: &Sp<String>,
    apps: &mut AppNames,
) -> Result<Vec<Action>, ScenarioError> {
    let mut actions = Vec::new();
    let mut previous = Instant::ZERO;
    // Socket programs: name, node, first line's time, lines, variables assigned so far.
    let mut programs: Vec<Program> = Vec::new();
    for ctx in lines_of(src, steps) {
        // The time and the subject are plain words; what follows is either more words
        // (`ping bob count=3`) or a socket call with Python-like arguments, tokenised by its
        // own parser.
        let head = super::line::words(&first_words(ctx.text, 2))
            .map_err(|e| ctx.err(e.span, e.message))?;
        let mut head = head.into_iter();
        let Some(tw) = head.next() else { continue };
        let time = time_word(&ctx, &tw, previous)?;
        if let Some(stop) = names.stop.filter(|&stop| time > stop) {
            return Err(ctx.err_at(
                &tw,
                format!(
                    "this action at {} comes after the run stops (stop = {}): it would never happen",
                    time.saturating_since(Instant::ZERO),
                    stop.saturating_since(Instant::ZERO)
                ),
            ));
        }
        previous = time;
        let Some(subject) = head.next() else {
            return Err(ctx.err_end("expected what acts after the time: a node name or `link`"));
        };
        let after_subject = &ctx.text[subject.span.end..];
        let is_python = after_subject.trim_start().starts_with("python ");
        let is_program = !is_python
            && (subject.value.contains('/') || super::programs::looks_like_call(after_subject));
        let rest: Vec<_> = if is_program {
            Vec::new()
        } else {
            ctx.words()?.into_iter().skip(2).collect()
        };
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
        // `NODE/PROGRAM call(...)` or `NODE call(...)`: a line of a socket program.
        let (node_name, program) = match subject.value.split_once('/') {
            Some((n, p)) => (n, Some(p)),
            None => (subject.value.as_str(), None),
        };
        let Some(node) = names.node(node_name) else {
            return Err(ctx.err(
                subject.span.start..subject.span.start + node_name.len(),
                format!(
                    "no node called `{}`; {} (or write `link NAME …`)",
                    node_name,
                    names.the_nodes()
                ),
            ));
        };
        if is_program {
            if !matches!(names.nodes[node].kind, NodeSpecKind::Host { .. }) {
                return Err(ctx.err_at(
                    &subject,
                    format!("`{node_name}` is a switch or hub: it runs no programs"),
                ));
            }
            let program = program.unwrap_or("main");
            if program.is_empty()
                || !program
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ctx.err_at(
                    &subject,
                    "a program is named NODE/NAME, with letters, digits, `-` and `_`",
                ));
            }
            let name = format!("{node_name}/{program}");
            let slot = match programs.iter().position(|(n, ..)| *n == name) {
                Some(i) => i,
                None => {
                    if apps.contains_key(&name) {
                        return Err(
                            ctx.err_at(&subject, format!("the name `{name}` is already used"))
                        );
                    }
                    apps.insert(name.clone(), (node, "script"));
                    programs.push((
                        name.clone(),
                        node,
                        time,
                        Vec::new(),
                        std::collections::BTreeSet::new(),
                    ));
                    programs.len() - 1
                }
            };
            let offset =
                subject.span.end + (after_subject.len() - after_subject.trim_start().len());
            let (targets, call) = super::programs::parse_call(
                &ctx,
                names,
                &programs[slot].4,
                after_subject.trim_start(),
                offset,
            )?;
            programs[slot].4.extend(targets.iter().cloned());
            programs[slot].3.push(super::programs::script_line(
                time,
                targets,
                call,
                after_subject,
            ));
            continue;
        }
        let mut rest = rest.into_iter();
        let Some(verb) = rest.next() else {
            return Err(ctx.err_end(format!(
                "expected an action for `{}`, such as send-frame",
                subject.value
            )));
        };
        let is_host = matches!(names.nodes[node].kind, NodeSpecKind::Host { .. });
        if verb.value != "send-frame" && !is_host {
            return Err(ctx.err_at(
                &subject,
                format!(
                    "`{}` is a switch or hub: it only passes frames on",
                    subject.value
                ),
            ));
        }
        let kind = match verb.value.as_str() {
            "send-frame" => {
                for a in send_frame(&ctx, names, node, time, &text, rest.collect())? {
                    actions.push(a);
                }
                continue;
            }
            "ping" => ping(&ctx, names, node, rest.collect(), apps)?,
            "python" => {
                let (name, config) =
                    super::programs::python_action(&ctx, names, node, rest.collect(), apps)?;
                ActionKind::StartPython {
                    node,
                    name,
                    config: std::sync::Arc::new(config),
                }
            }
            v if super::programs::APP_VERBS.contains(&v) => {
                let (name, app) =
                    super::programs::app_action(&ctx, names, node, v, time, rest.collect(), apps)?;
                ActionKind::StartApp {
                    node,
                    name,
                    app: Box::new(app),
                }
            }
            "traceroute" => traceroute(&ctx, names, node, rest.collect(), apps)?,
            "route" => route_action(&ctx, names, node, rest.collect())?,
            "arp" => {
                let mut rest = rest;
                match rest.next() {
                    Some(w) if w.value == "flush" => {
                        Args::new(&ctx, "arp flush", rest.collect())?.finish(&[])?;
                        ActionKind::ArpFlush { node }
                    }
                    Some(w) => return Err(ctx.err_at(&w, "expected `arp flush`")),
                    None => return Err(ctx.err_end("expected `arp flush`")),
                }
            }
            "interface" => {
                let mut rest = rest;
                let Some(iw) = rest.next() else {
                    return Err(
                        ctx.err_end("expected `interface NAME down` or `interface NAME up`")
                    );
                };
                let ifaces = host_ifaces(&names.nodes[node]);
                let Some(iface) = ifaces.iter().position(|i| i.name == iw.value) else {
                    let list: Vec<_> = ifaces.iter().map(|i| format!("`{}`", i.name)).collect();
                    return Err(ctx.err_at(
                        &iw,
                        format!("no interface `{}`; it has {}", iw.value, list.join(", ")),
                    ));
                };
                let up = match rest.next() {
                    Some(w) if w.value == "up" => true,
                    Some(w) if w.value == "down" => false,
                    Some(w) => return Err(ctx.err_at(&w, "expected `up` or `down`")),
                    None => return Err(ctx.err_end("expected `up` or `down`")),
                };
                Args::new(&ctx, "interface", rest.collect())?.finish(&[])?;
                ActionKind::InterfaceUp {
                    node,
                    iface: iface as u16,
                    up,
                }
            }
            other => {
                return Err(ctx.err_at(
                    &verb,
                    format!("unknown action `{other}` for a node: expected one of {NODE_VERBS}"),
                ));
            }
        };
        actions.push(Action { time, text, kind });
    }
    for (name, node, at, lines, _) in programs {
        actions.push(Action {
            time: at,
            text: format!("start program {name}"),
            kind: ActionKind::StartScript { node, name, lines },
        });
    }
    // Stable: equal times keep their order in the file.
    actions.sort_by_key(|a| a.time);
    Ok(actions)
}

/// A socket program being collected: name, node, first line's time, lines, and the variables
/// its lines assign so far.
type Program = (
    String,
    usize,
    Instant,
    Vec<ScriptLine>,
    std::collections::BTreeSet<String>,
);

/// The first `n` space-separated words of a line, as written (with their original offsets).
fn first_words(line: &str, n: usize) -> String {
    let mut seen = 0;
    let mut in_word = false;
    for (i, c) in line.char_indices() {
        if c == ' ' || c == '\t' {
            if in_word {
                seen += 1;
                if seen == n {
                    return line[..i].to_string();
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    line.to_string()
}

fn parse_count(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|&n| n >= 1)
}
