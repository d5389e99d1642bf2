//! Reading an `[expect]` table's lines into [`Check`]s, each error at its word.

use super::{Check, CheckKind, Op, Operand, ProgramValue, Target, When};
use crate::arp::NeighborState;
use crate::ethernet::MacAddr;
use crate::filter::FrameFilter;
use crate::ip::Ipv4Cidr;
use crate::scenario::args::{lines_of, time_word, Args, LineCtx};
use crate::scenario::error::{ScenarioError, Src};
use crate::scenario::model::Sp;
use crate::scenario::names::{AppNames, Names};
use crate::scenario::network::{host_ifaces, NodeSpecKind};
use crate::sim::counter_names;
use crate::time::Instant;
use crate::trace;
use std::net::Ipv4Addr;
use std::str::FromStr;

const CHECK_FORMS: &str = "NODE.COUNTER OP N, LINK.COUNTER OP N, NODE mac-table has|lacks …, \
NODE received text=…, seen \"FILTER\", dropped reason=…, run ok, run error=runaway";

/// Parses the `checks` of an `[expect]` table.
pub(crate) fn parse(
    src: &Src,
    names: &Names,
    checks: &Sp<String>,
    apps: &AppNames,
) -> Result<Vec<Check>, ScenarioError> {
    let mut out = Vec::new();
    for ctx in lines_of(src, checks) {
        let words = ctx.words()?;
        let mut it = words.into_iter();
        let Some(first) = it.next() else { continue };
        let when = match first.value.as_str() {
            "end" => When::End,
            "at" => {
                let Some(tw) = it.next() else {
                    return Err(ctx.err_end("expected a time after `at`, such as `at 5ms`"));
                };
                let t = time_word(&ctx, &tw, Instant::ZERO)?;
                if let Some(stop) = names.stop.filter(|&stop| t > stop) {
                    return Err(ctx.err_at(
                        &tw,
                        format!(
                            "this check at {} comes after the run stops (stop = {}): it could \
                             never be made",
                            t.saturating_since(Instant::ZERO),
                            stop.saturating_since(Instant::ZERO)
                        ),
                    ));
                }
                When::At(t)
            }
            _ => {
                return Err(ctx.err_at(&first, "an expectation starts with `end` or `at TIME`"));
            }
        };
        let rest: Vec<_> = it.collect();
        let kind = parse_check(&ctx, names, apps, rest)?;
        let (line, _) = crate::scenario::error::line_col(&src.text, ctx.offset);
        out.push(Check {
            when,
            text: ctx.text.trim().to_string(),
            line,
            kind,
        });
    }
    Ok(out)
}

/// Reads an optional trailing `OP N` (default `>= 1`).
fn trailing_comparison(ctx: &LineCtx, args: &mut Args) -> Result<(Op, u64), ScenarioError> {
    let Some(opw) = args.next_positional() else {
        return Ok((Op::Ge, 1));
    };
    let op = Op::parse(&opw.value).ok_or_else(|| {
        ctx.err_at(
            &opw,
            format!(
                "expected a comparison (== != < <= > >=), found `{}`",
                opw.value
            ),
        )
    })?;
    let Some(nw) = args.next_positional() else {
        return Err(ctx.err_end(format!("expected a number after `{}`", opw.value)));
    };
    let n = nw.value.parse::<u64>().map_err(|_| {
        ctx.err_at(
            &nw,
            format!("expected a whole number, found `{}`", nw.value),
        )
    })?;
    Ok((op, n))
}

/// Reads `NAME.COUNTER` (a node's or a link's), checking that the counter exists.
fn counter_ref(
    ctx: &LineCtx,
    names: &Names,
    apps: &AppNames,
    w: &crate::scenario::line::Word,
) -> Result<(Target, String), ScenarioError> {
    let Some((name, counter)) = w.value.split_once('.') else {
        return Err(ctx.err_at(
            w,
            format!("expected NODE.COUNTER or LINK.COUNTER, found `{}`", w.value),
        ));
    };
    let (target, kind) = if let Some(n) = names.node(name) {
        (Target::Node(n), names.nodes[n].kind.kind_name())
    } else if let Some(l) = names.link(name) {
        (Target::Link(l), "link")
    } else if let Some((node, kind)) = apps.get(name) {
        (Target::App(*node, name.to_string()), *kind)
    } else {
        return Err(ctx.err(
            w.value_span.start..w.value_span.start + name.len(),
            format!(
                "no node or link called `{name}`; {}; {}",
                names.the_nodes(),
                names.the_links()
            ),
        ));
    };
    let valid = match target {
        Target::App(..) => crate::apps::App::counter_names(kind),
        _ => counter_names(kind),
    };
    if !valid.contains(&counter) {
        let at = w.value_span.start + name.len() + 1;
        return Err(ctx.err(
            at..w.value_span.end,
            format!(
                "a {kind} has no counter `{counter}`: expected one of {}",
                valid.join(", ")
            ),
        ));
    }
    Ok((target, counter.to_string()))
}

fn parse_check(
    ctx: &LineCtx,
    names: &Names,
    apps: &AppNames,
    words: Vec<crate::scenario::line::Word>,
) -> Result<CheckKind, ScenarioError> {
    let mut it = words.into_iter();
    let Some(subject) = it.next() else {
        return Err(ctx.err_end(format!("expected a check: {CHECK_FORMS}")));
    };
    let rest: Vec<_> = it.collect();
    // NAME.COUNTER OP N, or NAME.COUNTER OP NAME.COUNTER
    if subject.value.contains('.') {
        let (target, name) = counter_ref(ctx, names, apps, &subject)?;
        let mut args = Args::new(ctx, format!("`{}`", subject.value), rest)?;
        let Some(opw) = args.next_positional() else {
            return Err(ctx.err_end(format!(
                "expected a comparison after `{}`, such as `== 1`",
                subject.value
            )));
        };
        let op = Op::parse(&opw.value).ok_or_else(|| {
            ctx.err_at(
                &opw,
                format!(
                    "expected a comparison (== != < <= > >=), found `{}`",
                    opw.value
                ),
            )
        })?;
        let Some(rhs) = args.next_positional() else {
            return Err(ctx.err_end(format!(
                "expected a number or a counter after `{}`",
                opw.value
            )));
        };
        let value = match rhs.value.parse::<u64>() {
            Ok(n) => Operand::Number(n),
            Err(_) if rhs.value.contains('.') => {
                let (t, c) = counter_ref(ctx, names, apps, &rhs)?;
                Operand::Counter(t, c)
            }
            Err(_) => {
                return Err(ctx.err_at(
                    &rhs,
                    format!(
                        "expected a whole number or NAME.COUNTER, found `{}`",
                        rhs.value
                    ),
                ))
            }
        };
        args.finish(&[])?;
        return Ok(CheckKind::Counter {
            target,
            name,
            op,
            value,
        });
    }
    match subject.value.as_str() {
        "seen" => {
            let mut args = Args::new(ctx, "seen", rest)?;
            let Some(fw) = args.next_positional() else {
                return Err(
                    ctx.err_end("seen needs a filter in quotes, such as seen \"arp broadcast\"")
                );
            };
            let filter = FrameFilter::parse(&fw.value, &|n| names.endpoint(n)).map_err(|e| {
                let at = if fw.quoted {
                    fw.value_span.start + 1
                } else {
                    fw.value_span.start
                };
                ctx.err(at + e.offset..at + e.offset + e.len, e.message)
            })?;
            let link = match args.take("on") {
                None => None,
                Some(w) => Some(names.link(&w.value).ok_or_else(|| {
                    ctx.err(
                        w.value_span.clone(),
                        format!("no link called `{}`; {}", w.value, names.the_links()),
                    )
                })?),
            };
            let node = take_node(ctx, names, &mut args, "by")?;
            let (op, value) = trailing_comparison(ctx, &mut args)?;
            args.finish(&["on", "by"])?;
            Ok(CheckKind::Seen {
                filter,
                link,
                node,
                op,
                value,
            })
        }
        "dropped" => {
            let mut args = Args::new(ctx, "dropped", rest)?;
            let Some(rw) = args.take("reason") else {
                return Err(ctx.err_end(format!(
                    "dropped needs reason=…, one of {}",
                    trace::DROP_REASONS.join(", ")
                )));
            };
            if !trace::DROP_REASONS.contains(&rw.value.as_str()) {
                return Err(ctx.err(
                    rw.value_span.clone(),
                    format!(
                        "unknown drop reason `{}`: expected one of {}",
                        rw.value,
                        trace::DROP_REASONS.join(", ")
                    ),
                ));
            }
            let node = take_node(ctx, names, &mut args, "at")?;
            let (op, value) = trailing_comparison(ctx, &mut args)?;
            args.finish(&["reason", "at"])?;
            Ok(CheckKind::Dropped {
                node,
                reason: rw.value,
                op,
                value,
            })
        }
        "run" => {
            let mut args = Args::new(ctx, "run", rest)?;
            let error = if let Some(w) = args.take("error") {
                if w.value != "runaway" {
                    return Err(ctx.err(w.value_span.clone(), "the only run error is `runaway`"));
                }
                Some(w.value)
            } else {
                match args.next_positional() {
                    Some(w) if w.value == "ok" => None,
                    Some(w) => {
                        return Err(ctx.err_at(&w, "expected `run ok` or `run error=runaway`"))
                    }
                    None => return Err(ctx.err_end("expected `run ok` or `run error=runaway`")),
                }
            };
            args.finish(&["error"])?;
            Ok(CheckKind::RunEnds { error })
        }
        name if apps.get(name).is_some_and(|(_, k)| *k == "python") => {
            // `NODE/PROGRAM status == failed`, `… error == EOFError`, `… exit == 0`,
            // `… stdout has "helloSB"`, `… stdout == "…"`
            let (node, _) = apps[name];
            let mut args = Args::new(ctx, name, rest)?;
            let expected =
                "expected `status`, `error`, `exit` or `stdout` after the program's name";
            let Some(var) = args.next_positional() else {
                return Err(ctx.err_end(expected));
            };
            if !["status", "error", "exit", "stdout"].contains(&var.value.as_str()) {
                return Err(ctx.err_at(&var, expected));
            }
            let op = match args.next_positional() {
                Some(w) if w.value == "==" => "==",
                Some(w) if w.value == "!=" => "!=",
                Some(w) if w.value == "has" && var.value == "stdout" => "has",
                Some(w) => return Err(ctx.err_at(&w, "expected == or != (or `has`, for stdout)")),
                None => return Err(ctx.err_end("expected == or != and a value")),
            };
            let Some(vw) = args.next_positional() else {
                return Err(ctx.err_end("expected a value"));
            };
            let want = match var.value.as_str() {
                "status" => match vw.value.as_str() {
                    "done" | "blocked" | "failed" | "running" => {
                        ProgramValue::Status(vw.value.clone())
                    }
                    _ => {
                        return Err(ctx.err_at(
                            &vw,
                            "a program's status is done, blocked, failed or running",
                        ))
                    }
                },
                "error" => ProgramValue::Error(vw.value.clone()),
                "exit" => ProgramValue::Int(
                    vw.value
                        .parse()
                        .map_err(|_| ctx.err_at(&vw, "an exit status is a number"))?,
                ),
                _ => {
                    if !vw.quoted {
                        return Err(ctx.err_at(&vw, "expected \"text\""));
                    }
                    ProgramValue::Bytes(vw.value.clone().into_bytes())
                }
            };
            args.finish(&[])?;
            Ok(CheckKind::Python {
                node,
                app: name.to_string(),
                var: if op == "has" {
                    "stdout has".into()
                } else {
                    var.value
                },
                equal: op != "!=",
                want,
            })
        }
        name if apps.get(name).is_some_and(|(_, k)| *k == "script") => {
            // `NODE/PROGRAM VAR == "text"`, `… err == ConnectionResetError`, `… status == blocked`
            let (node, _) = apps[name];
            let mut args = Args::new(ctx, name, rest)?;
            let Some(var) = args.next_positional() else {
                return Err(
                    ctx.err_end("expected a variable (or `status`) after the program's name")
                );
            };
            let op = match args.next_positional() {
                Some(w) if w.value == "==" => true,
                Some(w) if w.value == "!=" => false,
                Some(w) => return Err(ctx.err_at(&w, "expected == or !=")),
                None => return Err(ctx.err_end("expected == or != and a value")),
            };
            let Some(vw) = args.next_positional() else {
                return Err(ctx.err_end("expected a value: \"text\", an exception name such as ConnectionResetError, or a status"));
            };
            let want = if var.value == "status" {
                match vw.value.as_str() {
                    "done" | "blocked" | "failed" | "running" => {
                        ProgramValue::Status(vw.value.clone())
                    }
                    _ => {
                        return Err(ctx.err_at(
                            &vw,
                            "a program's status is done, blocked, failed or running",
                        ))
                    }
                }
            } else if vw.quoted {
                ProgramValue::Bytes(vw.value.clone().into_bytes())
            } else if vw.value.ends_with("Error")
                || vw.value.starts_with('E') && vw.value.chars().all(|c| c.is_ascii_uppercase())
            {
                ProgramValue::Error(vw.value.clone())
            } else if let Ok(n) = vw.value.parse::<i64>() {
                ProgramValue::Int(n)
            } else {
                return Err(ctx.err_at(&vw, "expected \"text\", a number, or an exception name such as ConnectionRefusedError"));
            };
            args.finish(&[])?;
            Ok(CheckKind::Program {
                node,
                app: name.to_string(),
                var: var.value,
                equal: op,
                want,
            })
        }
        name if apps.get(name).is_some_and(|(_, k)| *k == "traceroute") => {
            let (node, _) = apps[name];
            let mut it = rest.into_iter();
            match it.next() {
                Some(w) if w.value == "path" => {}
                Some(w) => return Err(ctx.err_at(&w, "expected `path` after a traceroute's name")),
                None => return Err(ctx.err_end("expected `path HOP HOP …`")),
            }
            let mut hops = Vec::new();
            for w in it {
                let ips = match names.node(&w.value) {
                    Some(n) => host_ifaces(&names.nodes[n])
                        .iter()
                        .filter_map(|i| i.addr.map(|c| c.addr()))
                        .collect(),
                    None if w.value == "*" => vec![],
                    None => vec![w.value.parse::<Ipv4Addr>().map_err(|_| {
                        ctx.err_at(
                            &w,
                            format!("`{}` is neither a node, an IPv4 address nor `*`", w.value),
                        )
                    })?],
                };
                hops.push((w.value.clone(), ips));
            }
            if hops.is_empty() {
                return Err(ctx.err_end("list the hops, such as `path r1 r2 bob`"));
            }
            Ok(CheckKind::Path {
                node,
                app: name.to_string(),
                hops,
            })
        }
        name => {
            let Some(node) = names.node(name) else {
                return Err(ctx.err_at(
                    &subject,
                    format!("no node called `{name}`; a check is one of: {CHECK_FORMS}"),
                ));
            };
            let mut it = rest.into_iter();
            let Some(verb) = it.next() else {
                return Err(ctx.err_end(format!(
                    "expected what to check about `{name}`: mac-table or received"
                )));
            };
            let rest: Vec<_> = it.collect();
            match verb.value.as_str() {
                "mac-table" => {
                    if !matches!(names.nodes[node].kind, NodeSpecKind::Switch { .. }) {
                        return Err(ctx.err_at(
                            &subject,
                            format!("`{name}` is not a switch, so it has no MAC table"),
                        ));
                    }
                    let mut it = rest.into_iter();
                    let present = match it.next() {
                        Some(w) if w.value == "has" => true,
                        Some(w) if w.value == "lacks" => false,
                        Some(w) => {
                            return Err(ctx.err_at(&w, "expected `has` or `lacks` after mac-table"))
                        }
                        None => {
                            return Err(ctx.err_end("expected `has` or `lacks` after mac-table"))
                        }
                    };
                    let mut entries = Vec::new();
                    for w in it {
                        let (who, port) = match w.value.split_once('@') {
                            Some((a, p)) => (a, Some(p)),
                            None => (w.value.as_str(), None),
                        };
                        let mac = match names.node(who).and_then(|n| names.mac_of(n)) {
                            Some(m) => m,
                            None => MacAddr::from_str(who).map_err(|_| {
                                ctx.err_at(
                                    &w,
                                    format!("`{who}` is neither a host nor a MAC address"),
                                )
                            })?,
                        };
                        let port = match port {
                            None => None,
                            Some(p) => Some(
                                p.parse::<u16>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                                    ctx.err_at(&w, format!("`{p}` is not a port number (from 1)"))
                                })? - 1,
                            ),
                        };
                        if !present && port.is_some() {
                            return Err(
                                ctx.err_at(&w, "with `lacks`, name the address only (no @port)")
                            );
                        }
                        entries.push((mac, who.to_string(), port));
                    }
                    if entries.is_empty() {
                        return Err(ctx.err_end("list the addresses to look for, such as alice@1"));
                    }
                    Ok(CheckKind::MacTable {
                        node,
                        entries,
                        present,
                    })
                }
                "received" => {
                    let mut args = Args::new(ctx, "received", rest)?;
                    let payload = match (args.take("text"), args.take("hex")) {
                        (Some(t), None) => t.value.into_bytes(),
                        (None, Some(h)) => {
                            crate::scenario::line::decode_hex(&h.value).ok_or_else(|| {
                                ctx.err(h.value_span.clone(), "hex= needs pairs of hex digits")
                            })?
                        }
                        _ => return Err(ctx.err_end("received needs text=\"…\" or hex=…")),
                    };
                    let (op, value) = trailing_comparison(ctx, &mut args)?;
                    args.finish(&["text", "hex"])?;
                    Ok(CheckKind::Received {
                        node,
                        payload,
                        op,
                        value,
                    })
                }
                "tcp-states" => {
                    let mut args = Args::new(ctx, "tcp-states", rest)?;
                    let port = args
                        .take_parsed("port", "a port number", |s| s.parse::<u16>().ok())?
                        .ok_or_else(|| {
                            ctx.err_end("tcp-states needs port=N (a port of the connection)")
                        })?;
                    let nth = args
                        .take_parsed("nth", "a connection number (from 1)", |s| {
                            s.parse::<usize>().ok().filter(|&n| n >= 1)
                        })?
                        .unwrap_or(1);
                    match args.next_positional() {
                        Some(w) if w.value == "==" => {}
                        Some(w) => return Err(ctx.err_at(&w, "expected `==` and the states")),
                        None => return Err(ctx.err_end("expected `== STATE STATE …`")),
                    }
                    let mut states = Vec::new();
                    while let Some(w) = args.next_positional() {
                        let st = w.value.to_ascii_uppercase();
                        if !TCP_STATES.contains(&st.as_str()) {
                            return Err(ctx.err_at(
                                &w,
                                format!(
                                    "`{}` is not a TCP state: expected one of {}",
                                    w.value,
                                    TCP_STATES.join(" ")
                                ),
                            ));
                        }
                        states.push(st);
                    }
                    if states.is_empty() {
                        return Err(ctx.err_end("list the states, such as == SYN_SENT ESTABLISHED"));
                    }
                    args.finish(&["port", "nth"])?;
                    Ok(CheckKind::TcpStates {
                        node,
                        port,
                        nth,
                        states,
                    })
                }
                "arp" => {
                    if host_ifaces(&names.nodes[node]).is_empty() {
                        return Err(ctx.err_at(
                            &subject,
                            format!("`{name}` has no IP stack, so no ARP table"),
                        ));
                    }
                    let mut it = rest.into_iter();
                    let present = has_or_lacks(ctx, it.next(), "arp")?;
                    let mut entries = Vec::new();
                    for w in it {
                        let (who, state) = match w.value.split_once('=') {
                            Some((a, s)) => (a.to_string(), Some(s.to_string())),
                            None => match &w.key {
                                Some(k) => (k.clone(), Some(w.value.clone())),
                                None => (w.value.clone(), None),
                            },
                        };
                        let ip = names.resolve_ip(&who).ok_or_else(|| {
                            ctx.err_at(
                                &w,
                                format!(
                                    "`{who}` is neither a host with an address nor an IPv4 address"
                                ),
                            )
                        })?;
                        let state = match state {
                            None => None,
                            Some(s) => Some(parse_neigh_state(&s).ok_or_else(|| {
                                ctx.err_at(&w, format!("`{s}` is not a neighbour state: expected INCOMPLETE, REACHABLE, STALE, DELAY, PROBE, FAILED or PERMANENT"))
                            })?),
                        };
                        if !present && state.is_some() {
                            return Err(ctx.err_at(&w, "with `lacks`, name the address only"));
                        }
                        entries.push((ip, who, state));
                    }
                    if entries.is_empty() {
                        return Err(ctx.err_end(
                            "list the neighbours to look for, such as bob or bob=REACHABLE",
                        ));
                    }
                    Ok(CheckKind::Arp {
                        node,
                        entries,
                        present,
                    })
                }
                "routes" => {
                    if host_ifaces(&names.nodes[node]).is_empty() {
                        return Err(ctx.err_at(
                            &subject,
                            format!("`{name}` has no IP stack, so no routing table"),
                        ));
                    }
                    let mut args = Args::new(ctx, "routes", rest)?;
                    let present = has_or_lacks(ctx, args.next_positional(), "routes")?;
                    let Some(dw) = args.next_positional() else {
                        return Err(ctx.err_end(
                            "expected a destination network such as 10.0.3.0/24 or default",
                        ));
                    };
                    let dest = if dw.value == "default" {
                        Ipv4Cidr::default_route()
                    } else {
                        dw.value
                            .parse::<Ipv4Cidr>()
                            .map_err(|e| ctx.err_at(&dw, format!("`{}`: {e}", dw.value)))?
                    };
                    let via = args
                        .take_parsed("via", "a gateway address", |s| s.parse::<Ipv4Addr>().ok())?;
                    if !present && via.is_some() {
                        return Err(ctx.err_end("with `lacks`, name the destination only"));
                    }
                    args.finish(&["via"])?;
                    Ok(CheckKind::Routes {
                        node,
                        dest,
                        via,
                        present,
                    })
                }
                other => Err(ctx.err_at(
                    &verb,
                    format!("unknown check `{other}`: expected mac-table, received, arp or routes"),
                )),
            }
        }
    }
}

/// RFC 9293's state names, as netlab prints them.
const TCP_STATES: &[&str] = &[
    "CLOSED",
    "LISTEN",
    "SYN_SENT",
    "SYN_RECEIVED",
    "ESTABLISHED",
    "FIN_WAIT_1",
    "FIN_WAIT_2",
    "CLOSE_WAIT",
    "CLOSING",
    "LAST_ACK",
    "TIME_WAIT",
];

fn has_or_lacks(
    ctx: &LineCtx,
    w: Option<crate::scenario::line::Word>,
    what: &str,
) -> Result<bool, ScenarioError> {
    match w {
        Some(w) if w.value == "has" => Ok(true),
        Some(w) if w.value == "lacks" => Ok(false),
        Some(w) => Err(ctx.err_at(&w, format!("expected `has` or `lacks` after {what}"))),
        None => Err(ctx.err_end(format!("expected `has` or `lacks` after {what}"))),
    }
}

fn parse_neigh_state(s: &str) -> Option<NeighborState> {
    use NeighborState::*;
    [
        Incomplete, Reachable, Stale, Delay, Probe, Failed, Permanent,
    ]
    .into_iter()
    .find(|st| st.name().eq_ignore_ascii_case(s))
}

fn take_node(
    ctx: &LineCtx,
    names: &Names,
    args: &mut Args,
    key: &str,
) -> Result<Option<usize>, ScenarioError> {
    match args.take(key) {
        None => Ok(None),
        Some(w) => Ok(Some(names.node(&w.value).ok_or_else(|| {
            ctx.err(
                w.value_span.clone(),
                format!("no node called `{}`; {}", w.value, names.the_nodes()),
            )
        })?)),
    }
}
