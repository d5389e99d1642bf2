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

use super::args::{lines_of, time_word, Args, LineCtx};
use super::model::Sp;
use super::names::Names;
use super::{ScenarioError, Src};
use crate::apps::script::{Script, ScriptLine};
use crate::apps::sock::SocketApp;
use crate::apps::{App, AppKind, DfPolicy, Ping, PingConfig, Traceroute, TracerouteConfig};
use crate::ethernet::{self, ethertype, EthernetRepr, MacAddr};
use crate::filter::FrameFilter;
use crate::ip::{Ipv4Cidr, Route};
use crate::sim::{Fault, FaultAction, LinkId, NodeId, World};
use crate::time::{Duration, Instant};
use std::collections::BTreeMap;
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

/// Applications the timeline starts, by name: (node, kind).
/// Application names with their node and kind. Derefs to the map for lookups; new names go
/// through [`AppNames::insert`], and generated names (`ping1`, `ping2`…) continue from a counter
/// per prefix, so naming the n-th application is not a search over the n−1 before it.
#[derive(Debug, Default)]
pub(crate) struct AppNames {
    names: BTreeMap<String, (usize, &'static str)>,
    next: BTreeMap<String, u64>,
}

impl AppNames {
    pub fn new() -> Self {
        AppNames::default()
    }

    pub fn insert(&mut self, name: String, value: (usize, &'static str)) {
        self.names.insert(name, value);
    }

    /// `PREFIXk` for the smallest k, from the last one given, that names nothing yet.
    fn generate(&mut self, prefix: &str) -> String {
        let k = self.next.entry(prefix.to_string()).or_insert(1);
        loop {
            let name = format!("{prefix}{k}");
            *k += 1;
            if !self.names.contains_key(&name) {
                return name;
            }
        }
    }
}

impl std::ops::Deref for AppNames {
    type Target = BTreeMap<String, (usize, &'static str)>;
    fn deref(&self) -> &Self::Target {
        &self.names
    }
}

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
            if !matches!(names.nodes[node].kind, super::NodeSpecKind::Host { .. }) {
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
        let is_host = matches!(names.nodes[node].kind, super::NodeSpecKind::Host { .. });
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
                let ifaces = super::host_ifaces(&names.nodes[node]);
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

/// Most frames one `send-frame` line may schedule.
const MAX_FRAMES_PER_LINE: u32 = 100_000;

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
                "`{}` is not a node, a MAC address or `broadcast`; {}",
                to.value,
                names.the_nodes()
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
            super::NodeSpecKind::Host { interfaces, .. } => interfaces
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
    // Every frame of the line is scheduled when the file is loaded: bound them, or a typo'd
    // count would exhaust memory before anything runs.
    let count = args
        .take_parsed(
            "count",
            "a count of 1 to 100000 (each frame is scheduled when the file is loaded)",
            |s| parse_count(s).filter(|&n| n <= MAX_FRAMES_PER_LINE),
        )?
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

/// The destination of a ping or traceroute: a host name or an IPv4 address.
fn target(
    ctx: &LineCtx,
    names: &Names,
    w: Option<super::line::Word>,
    verb: &str,
) -> Result<std::net::Ipv4Addr, ScenarioError> {
    let Some(w) = w else {
        return Err(ctx.err_end(format!(
            "{verb} needs a destination: a host name or an IPv4 address"
        )));
    };
    names.resolve_ip(&w.value).ok_or_else(|| {
        ctx.err_at(
            &w,
            format!(
                "`{}` is neither an IPv4 address nor a host with one; {}",
                w.value,
                names.the_nodes()
            ),
        )
    })
}

/// The name an application is known by: `as=NAME` or `VERBn`.
/// The name an application goes by: `as=NAME`, or `PREFIX1`, `PREFIX2`… Registers it with its
/// `kind` (which decides the counters expectations may name).
pub(crate) fn app_name(
    ctx: &LineCtx,
    names: &Names,
    args: &mut Args,
    prefix: &str,
    kind: &'static str,
    node: usize,
    apps: &mut AppNames,
) -> Result<String, ScenarioError> {
    let name = match args.take("as") {
        Some(w) => {
            if names.node(&w.value).is_some()
                || names.link(&w.value).is_some()
                || apps.contains_key(&w.value)
            {
                return Err(ctx.err(
                    w.value_span.clone(),
                    format!("the name `{}` is already used", w.value),
                ));
            }
            if w.value.contains('.') || w.value.is_empty() {
                return Err(ctx.err(w.value_span.clone(), "an application name has no dots"));
            }
            w.value
        }
        None => apps.generate(prefix),
    };
    apps.insert(name.clone(), (node, kind));
    Ok(name)
}

fn duration_opt(args: &mut Args, key: &str) -> Result<Option<Duration>, ScenarioError> {
    args.take_parsed(key, "a duration such as 1s or 200ms", |s| {
        Duration::from_str(s).ok()
    })
}

fn ping(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<super::line::Word>,
    apps: &mut AppNames,
) -> Result<ActionKind, ScenarioError> {
    let mut args = Args::new(ctx, "ping", words)?;
    let dst = target(ctx, names, args.next_positional(), "ping")?;
    let mut config = PingConfig::new(dst);
    if let Some(n) = args.take_parsed("count", "a count of 1 or more", parse_count)? {
        config.count = n;
    }
    if let Some(d) = duration_opt(&mut args, "interval")? {
        config.interval = d;
    }
    if let Some(n) = args.take_parsed("size", "a data size of 0 to 65507 bytes", |s| {
        s.parse::<u16>().ok().filter(|&n| n <= 65507)
    })? {
        config.size = n;
    }
    if let Some(n) = args.take_parsed("ttl", "a TTL of 1 to 255", |s| {
        s.parse::<u8>().ok().filter(|&n| n >= 1)
    })? {
        config.ttl = n;
    }
    if let Some(df) = args.take_parsed("df", "want, do or dont", |s| match s {
        "want" => Some(DfPolicy::Want),
        "do" => Some(DfPolicy::Do),
        "dont" => Some(DfPolicy::Dont),
        _ => None,
    })? {
        config.df = df;
    }
    if let Some(d) = duration_opt(&mut args, "linger")? {
        config.linger = d;
    }
    let name = app_name(ctx, names, &mut args, "ping", "ping", node, apps)?;
    args.finish(PING_OPTS)?;
    Ok(ActionKind::Ping { node, name, config })
}

fn traceroute(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<super::line::Word>,
    apps: &mut AppNames,
) -> Result<ActionKind, ScenarioError> {
    let mut args = Args::new(ctx, "traceroute", words)?;
    let dst = target(ctx, names, args.next_positional(), "traceroute")?;
    let mut config = TracerouteConfig::new(dst);
    if let Some(n) = args.take_parsed("max_hops", "a hop count of 1 to 255", |s| {
        s.parse::<u8>().ok().filter(|&n| n >= 1)
    })? {
        config.max_hops = n;
    }
    if let Some(n) = args.take_parsed("probes", "1 to 10 probes", |s| {
        s.parse::<u8>().ok().filter(|&n| (1..=10).contains(&n))
    })? {
        config.probes = n;
    }
    if let Some(d) = duration_opt(&mut args, "wait")? {
        config.wait = d;
    }
    let name = app_name(
        ctx,
        names,
        &mut args,
        "traceroute",
        "traceroute",
        node,
        apps,
    )?;
    args.finish(TRACEROUTE_OPTS)?;
    Ok(ActionKind::Traceroute { node, name, config })
}

fn route_action(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<super::line::Word>,
) -> Result<ActionKind, ScenarioError> {
    let mut it = words.into_iter();
    let ifaces = super::host_ifaces(&names.nodes[node]);
    match it.next() {
        Some(w) if w.value == "add" => {
            let rest: Vec<_> = it.collect();
            let Some(first) = rest.first() else {
                return Err(ctx.err_end(
                    "expected `route add DEST via GATEWAY` or `route add DEST dev IFACE`",
                ));
            };
            let start = first.span.start;
            let text = ctx.text[start..]
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let spanned =
                super::model::Sp::new(ctx.offset + start..ctx.offset + start + text.len(), text);
            let route = super::hosts::parse_route(ctx.src, &spanned, ifaces)?;
            Ok(ActionKind::RouteAdd { node, route })
        }
        Some(w) if w.value == "del" => {
            let Some(d) = it.next() else {
                return Err(ctx.err_end(
                    "expected `route del DEST` (a network such as 10.0.3.0/24, or default)",
                ));
            };
            let dest = if d.value == "default" {
                Ipv4Cidr::default_route()
            } else {
                Ipv4Cidr::from_str(&d.value)
                    .map_err(|e| ctx.err_at(&d, format!("`{}`: {e}", d.value)))?
            };
            Args::new(ctx, "route del", it.collect())?.finish(&[])?;
            Ok(ActionKind::RouteDel { node, dest })
        }
        Some(w) => Err(ctx.err_at(&w, "expected `route add …` or `route del …`")),
        None => Err(ctx.err_end("expected `route add …` or `route del …`")),
    }
}

fn link_action(
    ctx: &LineCtx,
    names: &Names,
    words: Vec<super::line::Word>,
) -> Result<ActionKind, ScenarioError> {
    let mut words = words.into_iter();
    let Some(name) = words.next() else {
        return Err(ctx.err_end(format!(
            "expected a link name after `link`; {}",
            names.the_links()
        )));
    };
    let Some(link) = names.link(&name.value) else {
        return Err(ctx.err_at(
            &name,
            format!("no link called `{}`; {}", name.value, names.the_links()),
        ));
    };
    let Some(verb) = words.next() else {
        return Err(ctx.err_end(
            "expected what to do with the link: down, up, set, drop, corrupt, delay or duplicate",
        ));
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
        "set" => {
            let mut args = Args::new(ctx, "link … set".to_string(), rest)?;
            let loss = args.take_parsed(
                "loss",
                "a probability per frame between 0 and 1 (such as 0.05)",
                |v| v.parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p)),
            )?;
            args.finish(&["loss"])?;
            let Some(loss) = loss else {
                return Err(ctx.err_at(&verb, "`link … set` needs what to set: loss=P"));
            };
            Ok(ActionKind::LinkLoss { link, loss })
        }
        "drop" | "corrupt" | "delay" | "duplicate" => {
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
            if verb.value != "corrupt" {
                if let Some(w) = args.take("bits") {
                    return Err(ctx.err_at(&w, "bits= goes with corrupt"));
                }
            }
            if verb.value != "delay" {
                if let Some(w) = args.take("by") {
                    return Err(ctx.err_at(&w, "by= goes with delay"));
                }
            }
            let action = if verb.value == "drop" {
                FaultAction::Drop
            } else if verb.value == "duplicate" {
                FaultAction::Duplicate
            } else if verb.value == "delay" {
                let d = args
                    .take_parsed("by", "a duration such as 5ms", |s| Duration::from_str(s).ok())?
                    .ok_or_else(|| ctx.err_end("delay needs by=DURATION"))?;
                FaultAction::Delay(d)
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
            format!("unknown link action `{other}`: expected down, up, set, drop, corrupt, delay or duplicate"),
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
            ActionKind::LinkLoss { link, loss } => world.set_link_loss(LinkId(*link as u32), *loss),
            ActionKind::Ping { node, name, config } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    let ping = Ping::new(config.clone(), host.app_ident(), io.now);
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Ping(ping),
                        },
                    );
                });
            }
            ActionKind::Traceroute { node, name, config } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    // Like Linux traceroute, probes come from a port of its own.
                    let port = 40000 + host.app_ident();
                    let t = Traceroute::new(config.clone(), port, io.now);
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Traceroute(t),
                        },
                    );
                });
            }
            ActionKind::RouteAdd { node, route } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    if let Err(e) = host.routes.add(*route) {
                        io.trace(crate::trace::TraceEvent::ActionFailed {
                            reason: e.to_string(),
                        });
                    }
                });
            }
            ActionKind::RouteDel { node, dest } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    if let Err(e) = host.routes.delete(*dest) {
                        io.trace(crate::trace::TraceEvent::ActionFailed {
                            reason: e.to_string(),
                        });
                    }
                });
            }
            ActionKind::StartScript { node, name, lines } => {
                let hostname = world.node(NodeId(*node as u32)).name.clone();
                let script = Script::new(lines.clone(), hostname);
                world.with_host(NodeId(*node as u32), |host, io| {
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Socket(Box::new(SocketApp::Script(script))),
                        },
                    );
                });
            }
            ActionKind::StartPython { node, name, config } => {
                let id = NodeId(*node as u32);
                let hostname = world.node(id).name.clone();
                // Each program its own `random` seed, from the scenario's seed and its name.
                let seed = {
                    use rand::RngExt;
                    let mut h: u64 = 0;
                    for b in name.bytes() {
                        h = h.wrapping_mul(131).wrapping_add(b as u64);
                    }
                    crate::rng::stream(world.seed, "python", h).random::<u32>() as u64
                };
                let program =
                    crate::apps::python::PythonProgram::new(config.clone(), hostname, seed);
                world.with_host(id, |host, io| {
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Socket(Box::new(SocketApp::Python(Box::new(program)))),
                        },
                    );
                });
            }
            ActionKind::StartApp { node, name, app } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    host.start_app(
                        io,
                        App {
                            name: name.clone(),
                            kind: AppKind::Socket(app.clone()),
                        },
                    );
                });
            }
            ActionKind::ArpFlush { node } => {
                world.with_host(NodeId(*node as u32), |host, _| {
                    for cache in host.arp.iter_mut() {
                        cache.flush();
                    }
                });
            }
            ActionKind::InterfaceUp { node, iface, up } => {
                world.with_host(NodeId(*node as u32), |host, io| {
                    host.set_interface_up(io, *iface, *up)
                });
            }
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
