//! Expectations: what must be true, `end` of the run or `at` a time, one per line.
//!
//! | check | passes when |
//! | --- | --- |
//! | `end sw1.flooded == 1` | a counter of a node or link compares true (`==` `!=` `<` `<=` `>` `>=`) |
//! | `at 5ms sw1 mac-table has alice@1 bob@2` | those addresses are in the table, on those ports |
//! | `end sw1 mac-table lacks carol` | those addresses are not in the table |
//! | `end bob received text="hello"` | bob was delivered a raw frame with that payload (`== N` to count) |
//! | `end seen "arp broadcast" on=l1` | a frame matching the filter was sent (on a link, or `by=NODE`) |
//! | `end dropped reason=bad-fcs at=bob == 2` | frames were dropped for that reason (at a node) |
//! | `end run error=runaway` / `end run ok` | how the run ended |
//!
//! Checks at a time see the network after every event at that time has happened.

use super::args::{lines_of, time_word, Args, LineCtx};
use super::model::Sp;
use super::names::Names;
use super::tally::Seen;
use super::timeline::AppNames;
use super::{NodeSpecKind, ScenarioError, Src};
use crate::arp::NeighborState;
use crate::ethernet::MacAddr;
use crate::filter::FrameFilter;
use crate::ip::Ipv4Cidr;
use crate::sim::{counter_names, LinkId, NodeId, NodeKind, RunError, World};
use crate::time::Instant;
use crate::trace;
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum When {
    At(Instant),
    End,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }

    fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Node(usize),
    Link(usize),
    /// An application by name, on a node.
    App(usize, String),
}

/// What a program's variable should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramValue {
    Bytes(Vec<u8>),
    Int(i64),
    /// An exception class (`ConnectionResetError`) or errno name (`ECONNRESET`).
    Error(String),
    Status(String),
}

/// The right-hand side of a counter comparison: a number or another counter.
#[derive(Clone, Debug)]
pub enum Operand {
    Number(u64),
    Counter(Target, String),
}

#[derive(Clone, Debug)]
pub enum CheckKind {
    Counter {
        target: Target,
        name: String,
        op: Op,
        value: Operand,
    },
    MacTable {
        node: usize,
        /// Addresses (with the port they must be on, if given).
        entries: Vec<(MacAddr, String, Option<u16>)>,
        present: bool,
    },
    Received {
        node: usize,
        payload: Vec<u8>,
        op: Op,
        value: u64,
    },
    Seen {
        filter: FrameFilter,
        link: Option<usize>,
        node: Option<usize>,
        op: Op,
        value: u64,
    },
    Dropped {
        node: Option<usize>,
        reason: String,
        op: Op,
        value: u64,
    },
    RunEnds {
        error: Option<String>,
    },
    /// Entries of a host's ARP tables, optionally in a given state.
    Arp {
        node: usize,
        entries: Vec<(Ipv4Addr, String, Option<NeighborState>)>,
        present: bool,
    },
    /// Routes of a host's table (destination network, optional gateway).
    Routes {
        node: usize,
        dest: Ipv4Cidr,
        via: Option<Ipv4Addr>,
        present: bool,
    },
    /// A program's variable or status.
    Program {
        node: usize,
        app: String,
        var: String,
        equal: bool,
        want: ProgramValue,
    },
    /// A Python program's status, uncaught exception, exit status or output.
    Python {
        node: usize,
        app: String,
        var: String,
        equal: bool,
        want: ProgramValue,
    },
    /// The states a TCP connection went through (the `nth` one involving `port`).
    TcpStates {
        node: usize,
        port: u16,
        nth: usize,
        states: Vec<String>,
    },
    /// The hops a traceroute found, in order.
    Path {
        node: usize,
        app: String,
        hops: Vec<(String, Vec<Ipv4Addr>)>,
    },
}

/// One expectation.
#[derive(Clone, Debug)]
pub struct Check {
    pub when: When,
    /// As written.
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
    pub kind: CheckKind,
}

/// The verdict on one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub text: String,
    pub line: usize,
    pub passed: bool,
    /// What was found, in words.
    pub detail: String,
}

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
        let (line, _) = super::error::line_col(&src.text, ctx.offset);
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
    w: &super::line::Word,
) -> Result<(Target, String), ScenarioError> {
    let Some((name, counter)) = w.value.split_once('.') else {
        return Err(ctx.err_at(
            w,
            format!("expected NODE.COUNTER or LINK.COUNTER, found `{}`", w.value),
        ));
    };
    let (target, kind) = if let Some(n) = names.node(name) {
        (Target::Node(n), spec_kind_name(&names.nodes[n].kind))
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
    words: Vec<super::line::Word>,
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
                    Some(n) => super::host_ifaces(&names.nodes[n])
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
                        (None, Some(h)) => super::line::decode_hex(&h.value).ok_or_else(|| {
                            ctx.err(h.value_span.clone(), "hex= needs pairs of hex digits")
                        })?,
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
                    if super::host_ifaces(&names.nodes[node]).is_empty() {
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
                    if super::host_ifaces(&names.nodes[node]).is_empty() {
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
    w: Option<super::line::Word>,
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

fn spec_kind_name(k: &NodeSpecKind) -> &'static str {
    match k {
        NodeSpecKind::Host {
            forwarding: true, ..
        } => "router",
        NodeSpecKind::Host { .. } => "host",
        NodeSpecKind::Switch { .. } => "switch",
        NodeSpecKind::Hub { .. } => "hub",
        NodeSpecKind::Tap(_) => "tap",
    }
}

impl Check {
    /// Judges the check against the world as it is now and what it has `seen` of the trace so
    /// far (see [`Tally`](super::tally::Tally)). `run_error` is how the run ended (only
    /// meaningful for `end` checks).
    pub fn evaluate(
        &self,
        world: &World,
        run_error: Option<&RunError>,
        seen: &Seen,
    ) -> CheckResult {
        if let Some((passed, detail)) = self.evaluate_state(world, seen) {
            return self.result(passed, detail);
        }
        let count = match seen {
            Seen::Count(n) => *n,
            _ => 0,
        };
        let (passed, detail) = match &self.kind {
            CheckKind::Counter {
                target,
                name,
                op,
                value,
            } => {
                let read = |t: &Target, name: &str| {
                    match t {
                        Target::Node(n) => world.node_counter(NodeId(*n as u32), name),
                        Target::Link(l) => world.link_counter(LinkId(*l as u32), name),
                        Target::App(n, app) => match &world.node(NodeId(*n as u32)).kind {
                            NodeKind::Host(h) => h
                                .apps()
                                .iter()
                                .find(|a| &a.name == app)
                                .and_then(|a| a.counter(name)),
                            _ => None,
                        },
                    }
                    .unwrap_or(0)
                };
                let got = read(target, name);
                match value {
                    Operand::Number(v) => (op.holds(got, *v), format!("{name} is {got}")),
                    Operand::Counter(t, other) => {
                        let v = read(t, other);
                        (op.holds(got, v), format!("{name} is {got}, {other} is {v}"))
                    }
                }
            }
            CheckKind::MacTable {
                node,
                entries,
                present,
            } => {
                let NodeKind::Switch(sw) = &world.node(NodeId(*node as u32)).kind else {
                    return self.result(false, "not a switch".into());
                };
                let now = world.now();
                let mut wrong = Vec::new();
                for (mac, who, port) in entries {
                    let found = sw.table.lookup_any(now, *mac);
                    let ok = match (present, port, found) {
                        (true, Some(p), Some(f)) => *p == f,
                        (true, None, Some(_)) => true,
                        (true, _, None) => false,
                        (false, _, f) => f.is_none(),
                    };
                    if !ok {
                        wrong.push(match found {
                            Some(f) => format!("{who} is on port {}", f + 1),
                            None => format!("{who} is not in the table"),
                        });
                    }
                }
                let table: Vec<String> = sw
                    .table
                    .entries(now)
                    .iter()
                    .map(|(m, p, _)| format!("{m}@{}", p + 1))
                    .collect();
                if wrong.is_empty() {
                    (true, format!("table: {}", table.join(" ")))
                } else {
                    (
                        false,
                        format!("{}; table: {}", wrong.join(", "), table.join(" ")),
                    )
                }
            }
            CheckKind::Received { op, value, .. } => (
                op.holds(count, *value),
                format!("{count} matching frames delivered"),
            ),
            CheckKind::Seen { op, value, .. } => (
                op.holds(count, *value),
                format!("{count} matching frames sent"),
            ),
            CheckKind::Dropped {
                reason, op, value, ..
            } => (
                op.holds(count, *value),
                format!("{count} frames dropped for {reason}"),
            ),
            // Judged by `evaluate_state` above.
            CheckKind::Arp { .. }
            | CheckKind::Routes { .. }
            | CheckKind::Path { .. }
            | CheckKind::Program { .. }
            | CheckKind::Python { .. }
            | CheckKind::TcpStates { .. } => (false, "not a trace check".into()),
            CheckKind::RunEnds { error } => {
                let how = match run_error {
                    None => "the run ended normally".to_string(),
                    Some(e) => format!("the run ended with: {e}"),
                };
                let ok = match (error, run_error) {
                    (None, None) => true,
                    (Some(k), Some(e)) => e.kind() == k,
                    _ => false,
                };
                (ok, how)
            }
        };
        self.result(passed, detail)
    }

    fn evaluate_state(&self, world: &World, seen: &Seen) -> Option<(bool, String)> {
        match &self.kind {
            CheckKind::Arp {
                node,
                entries,
                present,
            } => {
                let NodeKind::Host(h) = &world.node(NodeId(*node as u32)).kind else {
                    return Some((false, "not a host".into()));
                };
                let now = world.now();
                let mut rows = Vec::new();
                let mut wrong = Vec::new();
                for cache in &h.arp {
                    for e in cache.entries(now) {
                        rows.push(format!("{}={}", e.ip, e.state));
                    }
                }
                for (ip, who, state) in entries {
                    let found = h.arp.iter().find_map(|c| c.state(*ip));
                    let ok = match (present, state, found) {
                        (true, None, Some(_)) => true,
                        (true, Some(want), Some(got)) => *want == got,
                        (false, _, None) => true,
                        _ => false,
                    };
                    if !ok {
                        wrong.push(match found {
                            Some(st) => format!("{who} is {st}"),
                            None => format!("{who} is not in the table"),
                        });
                    }
                }
                let table = if rows.is_empty() {
                    "empty".to_string()
                } else {
                    rows.join(" ")
                };
                Some(if wrong.is_empty() {
                    (true, format!("table: {table}"))
                } else {
                    (false, format!("{}; table: {table}", wrong.join(", ")))
                })
            }
            CheckKind::Routes {
                node,
                dest,
                via,
                present,
            } => {
                let NodeKind::Host(h) = &world.node(NodeId(*node as u32)).kind else {
                    return Some((false, "not a host".into()));
                };
                let found = h.routes.iter().find(|r| r.dest == *dest);
                let ok = match (present, found) {
                    (true, Some(r)) => via.is_none_or(|g| r.gateway == Some(g)),
                    (false, None) => true,
                    _ => false,
                };
                let detail = match found {
                    // With the interface's own name (`dev eth0`), not its index (`dev if0`).
                    Some(r) => format!(
                        "route: {}",
                        r.to_string().replace(
                            &format!(" dev if{}", r.iface),
                            &format!(" dev {}", h.iface_name(r.iface as u16))
                        )
                    ),
                    None => format!("no route to {dest}"),
                };
                Some((ok, detail))
            }
            CheckKind::Program {
                node,
                app,
                var,
                equal,
                want,
            } => {
                use crate::apps::script::{Status, Value};
                let NodeKind::Host(h) = &world.node(NodeId(*node as u32)).kind else {
                    return Some((false, "not a host".into()));
                };
                let script = h
                    .apps()
                    .iter()
                    .find(|a| &a.name == app)
                    .and_then(|a| match &a.kind {
                        crate::apps::AppKind::Socket(s) => match s.as_ref() {
                            crate::apps::sock::SocketApp::Script(sc) => Some(sc),
                            _ => None,
                        },
                        _ => None,
                    });
                let Some(script) = script else {
                    return Some((false, format!("{app} never started")));
                };
                let (matches, found) = if var == "status" {
                    let st = match &script.status {
                        Status::Running => "running".to_string(),
                        Status::Blocked(_) => "blocked".to_string(),
                        Status::Done => "done".to_string(),
                        Status::Failed(e) => format!("failed ({e})"),
                    };
                    let ok = matches!(want, ProgramValue::Status(w) if st.starts_with(w.as_str()));
                    let blocked_in = match (&script.status, script.current_line()) {
                        (Status::Blocked(since), Some(l)) => {
                            format!(" in `{}` since {since}s", l.text)
                        }
                        _ => String::new(),
                    };
                    (ok, format!("status is {st}{blocked_in}"))
                } else {
                    match script.var(var) {
                        None => (false, format!("{var} was never set")),
                        Some(v) => {
                            let ok = match (want, v) {
                                (ProgramValue::Bytes(b), Value::Bytes(got)) => b == got,
                                (ProgramValue::Bytes(b), Value::Text(t)) => b == t.as_bytes(),
                                (ProgramValue::Bytes(b), Value::Ip(ip)) => {
                                    *b == ip.to_string().into_bytes()
                                }
                                (ProgramValue::Int(n), Value::Int(got)) => n == got,
                                (ProgramValue::Error(name), Value::Error(e)) => {
                                    e.python_name() == name || e.errno_name() == name
                                }
                                _ => false,
                            };
                            (ok, format!("{var} is {v}"))
                        }
                    }
                };
                Some((matches == *equal, found))
            }
            CheckKind::Python {
                node,
                app,
                var,
                equal,
                want,
            } => {
                use crate::apps::python::PyStatus;
                let NodeKind::Host(h) = &world.node(NodeId(*node as u32)).kind else {
                    return Some((false, "not a host".into()));
                };
                let program =
                    h.apps()
                        .iter()
                        .find(|a| &a.name == app)
                        .and_then(|a| match &a.kind {
                            crate::apps::AppKind::Socket(s) => match s.as_ref() {
                                crate::apps::sock::SocketApp::Python(p) => Some(p),
                                _ => None,
                            },
                            _ => None,
                        });
                let Some(p) = program else {
                    return Some((false, format!("{app} never started")));
                };
                let (ok, found) = match (var.as_str(), want) {
                    ("status", ProgramValue::Status(w)) => {
                        let st = match &p.status {
                            PyStatus::Running => "running".to_string(),
                            PyStatus::Blocked(since) => format!("blocked (since {since}s)"),
                            PyStatus::Done => "done".to_string(),
                            PyStatus::Failed(e) => format!("failed ({e})"),
                        };
                        (st.starts_with(w.as_str()), format!("status is {st}"))
                    }
                    ("error", ProgramValue::Error(w)) => {
                        let e = p.error().unwrap_or("none");
                        (e == w, format!("error is {e}"))
                    }
                    ("exit", ProgramValue::Int(n)) => {
                        let code = match &p.status {
                            PyStatus::Done => Some(0),
                            PyStatus::Failed(_) => Some(1),
                            _ => None,
                        };
                        (
                            code == Some(*n),
                            code.map_or("the program has not ended".into(), |c| {
                                format!("exit status is {c}")
                            }),
                        )
                    }
                    (v, ProgramValue::Bytes(b)) => {
                        let out = &p.stdout;
                        let ok = if v == "stdout has" {
                            out.windows(b.len().max(1)).any(|w| w == b.as_slice())
                        } else {
                            out == b
                        };
                        (
                            ok,
                            format!(
                                "stdout is {}",
                                crate::trace::describe::quoted_preview(out, 80)
                            ),
                        )
                    }
                    _ => (false, "?".into()),
                };
                Some((ok == *equal, found))
            }
            CheckKind::TcpStates {
                port, nth, states, ..
            } => {
                let no_conns = Vec::new();
                let conns = match seen {
                    Seen::Conns(c) => c,
                    _ => &no_conns,
                };
                match conns.get(nth - 1) {
                    None => Some((
                        false,
                        format!("only {} connection(s) involving port {port}", conns.len()),
                    )),
                    Some(((l, r), got)) => {
                        let got: Vec<String> = got.iter().map(|s| s.to_string()).collect();
                        Some((&got == states, format!("{l} > {r}: {}", got.join(" "))))
                    }
                }
            }
            CheckKind::Path { node, app, hops } => {
                // The first answer at each TTL, from the trace.
                let NodeKind::Host(h) = &world.node(NodeId(*node as u32)).kind else {
                    return Some((false, "not a host".into()));
                };
                let Some(index) = h.apps().iter().position(|a| &a.name == app) else {
                    return Some((false, format!("{app} never ran")));
                };
                let none = BTreeMap::new();
                let answers = match seen {
                    Seen::Probes(apps) => apps.get(&(index as u16)).unwrap_or(&none),
                    _ => &none,
                };
                let found: Vec<String> = answers
                    .values()
                    .map(|a| a.map_or("*".to_string(), |ip| ip.to_string()))
                    .collect();
                let ok = answers.len() == hops.len()
                    && answers
                        .values()
                        .zip(hops)
                        .all(|(got, (_, want))| match got {
                            None => want.is_empty(),
                            Some(ip) => want.contains(ip),
                        });
                Some((ok, format!("path: {}", found.join(" "))))
            }
            _ => None,
        }
    }

    fn result(&self, passed: bool, detail: String) -> CheckResult {
        CheckResult {
            text: self.text.clone(),
            line: self.line,
            passed,
            detail,
        }
    }

    /// Whether this check says how the run ends (so a run error is expected, not a failure).
    pub fn is_about_run_end(&self) -> bool {
        matches!(self.kind, CheckKind::RunEnds { .. })
    }
}
