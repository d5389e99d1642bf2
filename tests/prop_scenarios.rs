//! Scenario files under attack, and runs that must repeat exactly.
//!
//! - Mutated scenario files (lines deleted, duplicated, swapped; characters flipped or
//!   inserted; the file truncated) and arbitrary text never panic `Scenario::parse`: the answer
//!   is a scenario or an error whose `Display` is `file:line:column: message` pointing inside
//!   the file. A scenario that parses runs with small limits without panicking, and every view
//!   renders its trace.
//! - Determinism: every scenario in `scenarios/` run twice with its seed gives byte-identical
//!   text and JSON traces; another seed changes only what randomness touches.

use std::path::PathBuf;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::sim::{Limits, NodeKind};
use netlab::socket::SockType;
use netlab::time::{Duration, Instant};
use netlab::trace::TraceEvent;
use netlab::views::text::TextView;
use proptest::prelude::*;

/// Case counts scale with `PROPTEST_CASES` as in `prop_tcp.rs`.
fn cases(default: u32) -> ProptestConfig {
    let cases = match std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(n) => ((n * default as u64) / 256).max(1) as u32,
        None => default,
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn scenario_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().to_string(), text)
        })
        .collect()
}

/// Parses `text` and checks the answer; runs it if it parsed. Returns whether it parsed.
fn parse_and_maybe_run(path: &str, text: &str) -> Result<bool, TestCaseError> {
    let scn = match Scenario::parse(path, text) {
        Ok(s) => s,
        Err(e) => {
            let shown = e.to_string();
            if text.is_empty() {
                // Nothing to point at: the error is about the whole file.
                prop_assert!(shown.starts_with(&format!("{path}: ")), "{shown}");
                return Ok(false);
            }
            let (line, col) = e.line_col();
            let lines = text.split('\n').count();
            prop_assert!(
                shown.starts_with(&format!("{path}:{line}:{col}: ")),
                "error not in file:line:col form: {shown}"
            );
            prop_assert!(
                line >= 1 && line <= lines,
                "line {line} of {lines}: {shown}"
            );
            let line_len = text.split('\n').nth(line - 1).unwrap_or("").chars().count();
            prop_assert!(
                col >= 1 && col <= line_len + 1,
                "column {col} on a line of {line_len}: {shown}"
            );
            prop_assert!(!e.message.trim().is_empty(), "empty message: {shown}");
            return Ok(false);
        }
    };
    run_small(&scn);
    Ok(true)
}

/// Runs a scenario with small limits and renders the text and JSON views of (the start of)
/// its trace.
fn run_small(scn: &Scenario) {
    let mut scn = scn.clone();
    scn.limits = Limits {
        max_events: scn.limits.max_events.min(5_000),
        max_time: scn
            .limits
            .max_time
            .min(Instant::ZERO + Duration::from_secs(600)),
    };
    scn.stop = scn
        .stop
        .map(|s| s.min(Instant::ZERO + Duration::from_secs(600)));
    let outcome = scenario::run(&scn, &RunOptions::default());
    let texts = scn.action_texts();
    let view = TextView::new(&outcome.world, &texts);
    let records = outcome.world.trace().records();
    let records = &records[..records.len().min(5_000)];
    for r in records {
        let _ = view.line(r);
    }
    let mut json = Vec::new();
    netlab::views::json::write_jsonl(&view, records, &mut json).unwrap();
    for r in &outcome.results {
        let _ = format!("{} {} {}", r.line, r.text, r.detail);
    }
}

// =========================================================================================
// Mutated and arbitrary scenario text
// =========================================================================================

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// Replace the character at a position with one of [`SPICE`].
    SetChar(usize, usize),
    /// Insert one of [`SPICE`] at a position.
    InsertChar(usize, usize),
    /// Insert one of [`SNIPPETS`] as a line.
    InsertLine(usize, usize),
    Truncate(usize),
}

/// Characters that matter to TOML and to the line formats.
const SPICE: &[&str] = &[
    "\"", "'", "[", "]", "{", "}", "=", ",", ".", ":", "#", "\n", " ", "0", "9", "-", "+", "x",
    "é", "名", "\\", "/", "ms", "\"\"\"", "'''", "\t", "\0",
];

/// Whole lines a person might get wrong.
const SNIPPETS: &[&str] = &[
    "[[host]]",
    "name = \"alice\"",
    "[[link]]",
    "between = [\"alice\", \"alice\"]",
    "between = [\"sw1:0\", \"sw1:999999\"]",
    "bandwidth = \"1bps\"",
    "delay = \"100000000s\"",
    "queue = 0",
    "ber = 1.0",
    "mtu = 68",
    "stop = \"0\"",
    "max_events = 1",
    "seed = 18446744073709551615",
    "ip = \"10.0.0.1/0\"",
    "ip = \"255.255.255.255/32\"",
    "mask = \"0.0.0.0\"",
    "routes = [\"default via 10.0.0.1\", \"0.0.0.0/0 dev eth0\"]",
    "[[switch]]\nname = \"swx\"\nports = 4096",
    "0 alice send-frame to=broadcast size=1500 count=1000 every=1ns",
    "1ms alice ping 10.0.0.2 count=100000 interval=1ns size=65507",
    "+0 link alice--sw1 corrupt bits=0,1,2,3,99999999 nth=1 count=4294967295",
    "1ms alice route del 0.0.0.0/0",
    "end run error=runaway",
    "at 0 seen \"arp\" == 0",
    "end dropped reason=bad-fcs at=alice == 99",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<usize>().prop_map(Mutation::DeleteLine),
        2 => any::<usize>().prop_map(Mutation::DuplicateLine),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SetChar(a, b)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::InsertChar(a, b)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::InsertLine(a, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn char_boundary(text: &str, at: usize) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let n = lines.len();
    match *m {
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
        Mutation::SetChar(at, c) => {
            let i = char_boundary(text, at);
            let mut s = text.to_string();
            if let Some(ch) = s[i..].chars().next() {
                s.replace_range(i..i + ch.len_utf8(), SPICE[c % SPICE.len()]);
            }
            return s;
        }
        Mutation::InsertChar(at, c) => {
            let i = char_boundary(text, at);
            let mut s = text.to_string();
            s.insert_str(i, SPICE[c % SPICE.len()]);
            return s;
        }
        Mutation::InsertLine(at, k) => {
            lines.insert(at % (n + 1), SNIPPETS[k % SNIPPETS.len()].into())
        }
        Mutation::Truncate(at) => {
            let i = char_boundary(text, at);
            return text[..i].to_string();
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn mutated_scenarios_never_panic(
        file in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let files = scenario_files();
        let (name, text) = &files[file.index(files.len())];
        let mut text = text.clone();
        for m in &mutations {
            text = mutate(&text, m);
        }
        parse_and_maybe_run(name, &text)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in prop_oneof![
        any::<String>(),
        "(\\[\\[?[a-z_]{1,8}\\]\\]?\n|[a-z_]{1,10} = (\"[^\"\n]{0,20}\"|[0-9.e+-]{1,8}|true|\\[\\]|\\{\\})\n){0,12}",
    ]) {
        parse_and_maybe_run("fuzz.toml", &text)?;
    }
}

/// A valid network whose timeline and checks are replaced by generated lines.
const NETWORK: &str = r#"[scenario]
description = "lines"
stop = "3s"

[[host]]
name = "alice"
ip = "10.0.0.1/24"
[[host]]
name = "bob"
ip = "10.0.0.2/24"
[[switch]]
name = "sw1"
[[link]]
between = ["alice", "sw1"]
[[link]]
between = ["bob", "sw1"]
"#;

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("alice".to_string()),
        Just("bob".to_string()),
        Just("sw1".to_string()),
        Just("link".to_string()),
        Just("alice--sw1".to_string()),
        Just("p1".to_string()),
        Just("end".to_string()),
        Just("at".to_string()),
        prop::sample::select(vec![
            "send-frame",
            "ping",
            "traceroute",
            "route",
            "arp",
            "interface",
            "down",
            "up",
            "drop",
            "corrupt",
            "add",
            "del",
            "flush",
            "has",
            "lacks",
            "mac-table",
            "received",
            "seen",
            "dropped",
            "run",
            "ok",
            "error=runaway",
            "==",
            "!=",
            "<",
            ">=",
            "eth0",
            "default",
            "via",
            "10.0.0.2",
            "10.0.0.0/24",
            "broadcast",
            "alice.rx_frames",
            "p1.received",
            "alice--sw1.frames",
            "\"arp\"",
            "\"unclosed",
            "text=\"a b\"",
            "hex=zz",
            "count=3",
            "every=1ms",
            "size=0",
            "as=p1",
            "match=\"icmp\"",
            "nth=0",
            "bits=1,2",
            "reason=bad-fcs",
            "by=alice",
            "REACHABLE",
            "ttl=1",
            "=",
            "x=",
        ])
        .prop_map(str::to_string),
        "[0-9]{1,4}(ns|us|ms|s)?",
        "\\+[0-9]{1,3}ms",
        "[a-z=\"]{1,6}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    proptest::collection::vec(word(), 0..7).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(cases(256))]

    /// Timeline and expectation lines built from the vocabulary of both formats.
    #[test]
    fn generated_timeline_and_check_lines_never_panic(
        steps in proptest::collection::vec(line(), 0..6),
        checks in proptest::collection::vec(line(), 0..6),
    ) {
        let text = format!(
            "{NETWORK}\n[timeline]\nsteps = '''\n{}\n'''\n\n[expect]\nchecks = '''\n{}\n'''\n",
            steps.join("\n"),
            checks.join("\n")
        );
        parse_and_maybe_run("lines.toml", &text)?;
    }
}

#[test]
fn every_scenario_file_runs_with_small_limits() {
    for (name, text) in scenario_files() {
        let parsed = parse_and_maybe_run(&name, &text).unwrap();
        assert!(parsed, "{name} does not parse");
    }
}

// =========================================================================================
// Determinism
// =========================================================================================

/// Most records whose JSON form the determinism check compares: the storm scenario makes a
/// million records, whose text the determinism test of `tests/scenarios.rs` already compares.
const JSON_RECORDS: usize = 20_000;

/// A run's records, their JSON Lines (for the first [`JSON_RECORDS`]) and, for short runs,
/// their text lines.
struct Traced {
    records: Vec<(Instant, Option<u32>, String)>,
    json: Vec<u8>,
    text: Vec<String>,
    events: Vec<TraceEvent>,
}

fn traced(scn: &Scenario, seed: Option<u64>) -> Traced {
    let outcome = scenario::run(
        scn,
        &RunOptions {
            seed,
            ..Default::default()
        },
    );
    let texts = scn.action_texts();
    let view = TextView::new(&outcome.world, &texts);
    let all = outcome.world.trace().records();
    let head = &all[..all.len().min(JSON_RECORDS)];
    let mut json = Vec::new();
    netlab::views::json::write_jsonl(&view, head, &mut json).unwrap();
    Traced {
        records: all
            .iter()
            .map(|r| {
                (
                    r.time,
                    r.node.map(|n| n.0),
                    netlab::views::json::kind_name(&r.event).to_string(),
                )
            })
            .collect(),
        json,
        text: head.iter().map(|r| view.line(r)).collect(),
        events: head.iter().map(|r| r.event.clone()).collect(),
    }
}

fn load_all() -> Vec<(String, Scenario)> {
    scenario_files()
        .into_iter()
        .map(|(name, text)| {
            let scn = Scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            (name, scn)
        })
        .collect()
}

#[test]
fn every_scenario_twice_with_its_seed_gives_identical_json_traces() {
    for (name, scn) in load_all() {
        let a = traced(&scn, None);
        let b = traced(&scn, None);
        assert!(!a.json.is_empty(), "{name} traced nothing");
        assert_eq!(a.records, b.records, "{name}: records differ");
        assert!(a.json == b.json, "{name}: JSON traces differ");
        for l in a.json.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            serde_json::from_slice::<serde_json::Value>(l)
                .unwrap_or_else(|e| panic!("{name}: a JSON line does not parse: {e}"));
        }
    }
}

/// Another seed changes what randomness touches and nothing else. Without bit errors, the
/// runs differ at most in bytes (ISNs, ephemeral ports): every record happens at the same time,
/// at the same node, and is of the same kind. With bit errors, the runs are identical up to the
/// first damage the link's error rate (not a fault rule) did.
#[test]
fn another_seed_changes_only_what_randomness_touches() {
    for (name, scn) in load_all() {
        let random_links = scn.links.iter().any(|l| l.config.bit_error_rate > 0.0);
        let one = traced(&scn, Some(1));
        let two = traced(&scn, Some(2));
        if !random_links {
            assert_eq!(
                one.records, two.records,
                "{name}: another seed changed more than bytes"
            );
            continue;
        }
        let first_diff = one
            .text
            .iter()
            .zip(&two.text)
            .position(|(a, b)| a != b)
            .unwrap_or(one.text.len().min(two.text.len()));
        let first_random = |ev: &[TraceEvent]| {
            ev.iter()
                .position(|e| {
                    matches!(
                        e,
                        TraceEvent::BitErrors {
                            by_fault: false,
                            ..
                        }
                    )
                })
                .unwrap_or(ev.len())
        };
        let earliest = first_random(&one.events).min(first_random(&two.events));
        assert!(
            first_diff >= earliest,
            "{name}: the runs differ at record {first_diff} ({:?} vs {:?}) before any random \
             bit error (record {earliest})",
            one.text.get(first_diff),
            two.text.get(first_diff)
        );
        assert_ne!(
            one.text, two.text,
            "{name}: bit errors did not depend on the seed"
        );
    }
}

/// Each host draws ISNs and ephemeral ports from a stream of its own derived from the
/// scenario's seed: hosts differ from each other, and a seed changes them.
#[test]
fn hosts_draw_ports_from_their_own_seeded_stream() {
    let (_, scn) = load_all()
        .into_iter()
        .find(|(name, _)| name == "ping-one-lan.toml")
        .expect("ping-one-lan.toml exists");
    let first_port = |seed: u64, host: &str| {
        let mut world = scn.instantiate(Some(seed), netlab::trace::Trace::off());
        let id = world.node_id(host).unwrap();
        let NodeKind::Host(h) = &mut world.node_mut(id).kind else {
            panic!("{host} is a host")
        };
        let s = h.socket(SockType::Dgram, 0);
        h.bind(
            s,
            std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0),
        )
        .unwrap();
        h.getsockname(s).unwrap().port()
    };
    let alice_1 = first_port(1, "alice");
    assert_eq!(alice_1, first_port(1, "alice"), "same seed, same port");
    assert_ne!(alice_1, first_port(1, "bob"), "two hosts share a stream");
    assert_ne!(
        alice_1,
        first_port(2, "alice"),
        "the seed does not reach the hosts"
    );
}
