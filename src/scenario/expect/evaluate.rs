//! Judging a [`Check`] against the world as it is now and what it has seen of the trace.

use super::{Check, CheckKind, CheckResult, Operand, ProgramValue, Seen, Target};
use crate::sim::{LinkId, NodeId, NodeKind, RunError, World};
use std::collections::BTreeMap;

impl Check {
    /// Judges the check against the world as it is now and what it has `seen` of the trace so
    /// far (see [`Tally`](crate::scenario::tally::Tally)). `run_error` is how the run ended (only
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
                for cache in h.neighbours() {
                    for e in cache.entries(now) {
                        rows.push(format!("{}={}", e.ip, e.state));
                    }
                }
                for (ip, who, state) in entries {
                    let found = h.neighbours().iter().find_map(|c| c.state(*ip));
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
                let found = h.routes().iter().find(|r| r.dest == *dest);
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
}
