//! Each verb of a timeline line read into its action: send-frame, ping, traceroute, route,
//! link.

use super::{
    parse_count, Action, ActionKind, FAULT_OPTS, MAX_FRAMES_PER_LINE, PING_OPTS, SEND_FRAME_OPTS,
    TRACEROUTE_OPTS,
};
use crate::apps::{DfPolicy, PingConfig, TracerouteConfig};
use crate::ethernet::{ethertype, MacAddr};
use crate::filter::FrameFilter;
use crate::ip::Ipv4Cidr;
use crate::scenario::args::{Args, LineCtx};
use crate::scenario::error::ScenarioError;
use crate::scenario::names::{app_name, AppNames, Names};
use crate::scenario::network::{host_ifaces, NodeSpecKind};
use crate::sim::FaultAction;
use crate::time::{Duration, Instant};
use std::str::FromStr;

pub(super) fn send_frame(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    time: Instant,
    text: &str,
    words: Vec<crate::scenario::line::Word>,
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
        (None, Some(h), None) => crate::scenario::line::decode_hex(&h.value).ok_or_else(|| {
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
            NodeSpecKind::Host { interfaces, .. } => interfaces
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
    if !matches!(names.nodes[node].kind, NodeSpecKind::Host { .. }) {
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
pub(super) fn target(
    ctx: &LineCtx,
    names: &Names,
    w: Option<crate::scenario::line::Word>,
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

pub(super) fn duration_opt(args: &mut Args, key: &str) -> Result<Option<Duration>, ScenarioError> {
    args.take_parsed(key, "a duration such as 1s or 200ms", |s| {
        Duration::from_str(s).ok()
    })
}

pub(super) fn ping(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<crate::scenario::line::Word>,
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

pub(super) fn traceroute(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<crate::scenario::line::Word>,
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

pub(super) fn route_action(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<crate::scenario::line::Word>,
) -> Result<ActionKind, ScenarioError> {
    let mut it = words.into_iter();
    let ifaces = host_ifaces(&names.nodes[node]);
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
            let spanned = crate::scenario::model::Sp::new(
                ctx.offset + start..ctx.offset + start + text.len(),
                text,
            );
            let route = crate::scenario::hosts::parse_route(ctx.src, &spanned, ifaces)?;
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

pub(super) fn link_action(
    ctx: &LineCtx,
    names: &Names,
    words: Vec<crate::scenario::line::Word>,
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
