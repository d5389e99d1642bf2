//! Every scenario in `scenarios/` passes its own expectations, and runs deterministically.

mod support;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::views::text::TextView;
use std::path::PathBuf;

/// The whole text log of a run, as `netlab run` prints it.
fn trace_text(scn: &Scenario, seed: Option<u64>) -> String {
    let outcome = scenario::run(
        scn,
        &RunOptions {
            seed,
            ..Default::default()
        },
    );
    let texts = scn.action_texts();
    let view = TextView::new(&outcome.world, &texts);
    let mut s = String::new();
    for r in outcome.world.trace().records() {
        s.push_str(&view.line(r));
        s.push('\n');
    }
    s
}

#[test]
fn every_scenario_passes_its_expectations() {
    let mut failures = Vec::new();
    for f in support::scenario_files() {
        let path = f.to_string_lossy().to_string();
        let scn = match Scenario::load(&path) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{e}"));
                continue;
            }
        };
        assert!(
            !scn.checks.is_empty(),
            "{path} checks nothing: every scenario must check itself"
        );
        assert!(!scn.description.is_empty(), "{path} has no description");
        // A scenario with a [[tap]] runs in real time with the real kernel (it needs root).
        let Some(outcome) = support::run_scenario(&scn, &RunOptions::default()) else {
            continue;
        };
        for r in outcome.failures() {
            failures.push(format!("{path}:{}: {} ({})", r.line, r.text, r.detail));
        }
    }
    assert!(
        failures.is_empty(),
        "failed expectations:\n{}",
        failures.join("\n")
    );
}

#[test]
fn same_scenario_and_seed_give_a_byte_identical_trace() {
    for f in support::scenario_files() {
        let scn = Scenario::load(&f.to_string_lossy()).unwrap();
        let a = trace_text(&scn, None);
        let b = trace_text(&scn, None);
        assert!(!a.is_empty(), "{} traced nothing", f.display());
        assert_eq!(a, b, "{} is not deterministic", f.display());
    }
}

#[test]
fn a_different_seed_changes_only_what_randomness_touches() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    // Bit errors are random: another seed damages other frames.
    let noisy = Scenario::load(&dir.join("noisy-link-fcs.toml").to_string_lossy()).unwrap();
    assert_ne!(trace_text(&noisy, Some(1)), trace_text(&noisy, Some(2)));
    // ISNs and ephemeral ports are random: another seed changes them, and the two ends of a
    // connection do not share them.
    let lesson =
        Scenario::load(&dir.join("lessons/simplest-server.toml").to_string_lossy()).unwrap();
    assert_ne!(trace_text(&lesson, Some(1)), trace_text(&lesson, Some(2)));
    // Nothing in a clean switched LAN is random: the seed changes nothing.
    let clean = Scenario::load(&dir.join("switch-learning.toml").to_string_lossy()).unwrap();
    assert_eq!(trace_text(&clean, Some(1)), trace_text(&clean, Some(2)));
}

/// The scenario shown in README.md is valid and passes: the README cannot drift from the format.
#[test]
fn the_readme_example_runs_and_passes() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // The first example that is not the Python one (tests/python.rs runs that).
    let start = readme
        .match_indices("```toml\n")
        .map(|(i, m)| i + m.len())
        .find(|&i| {
            !readme[i..]
                .split("```")
                .next()
                .unwrap()
                .contains(" python ")
        })
        .expect("README has a toml example");
    let end = start + readme[start..].find("```").unwrap();
    let scn = Scenario::parse("README.md", &readme[start..end]).unwrap_or_else(|e| panic!("{e}"));
    let outcome = scenario::run(&scn, &RunOptions::default());
    let failures: Vec<_> = outcome
        .failures()
        .map(|r| format!("{} ({})", r.text, r.detail))
        .collect();
    assert!(failures.is_empty(), "README example fails: {failures:#?}");
}

/// TCP constants are settable per host: a 5 s TIME_WAIT and 3 retries instead of Linux's 60 s
/// and 15. The linux profile sends a tail-loss probe before the first timeout, as Linux does
/// (it counts among the retransmissions, as in Linux's `tcpi_total_retrans`).
#[test]
fn tcp_settings_per_host_take_effect() {
    let text = r#"[scenario]
description = "short TIME_WAIT, few retries"
[[host]]
name = "server"
ip = "10.0.0.2/24"
[[host]]
name = "client"
ip = "10.0.0.1/24"
tcp = { time_wait = "5s", retries = 3, min_rto = "100ms" }
[[link]]
name = "cable"
between = ["client", "server"]
[timeline]
steps = '''
0s server echo-server port=7
1s client/main s = socket(tcp)
1s client/main connect(s, server, 7)
1s client/main close(s)
2s client/main t = socket(tcp)
2s client/main connect(t, server, 7)
3s link cable down
3s client/main send(t, "lost")
3s client/main r = recv(t, 100)
'''
[expect]
checks = '''
at 1.5s client.tcp_time_wait == 1
at 6.5s client.tcp_time_wait == 0
end client.tcp_timeouts == 3
end client.tcp_loss_probes == 1
end client.tcp_retransmits == 4
end client/main r == TimeoutError
at 5s client/main status == done
'''
"#;
    let scn = Scenario::parse("tcp-settings.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = scenario::run(&scn, &RunOptions::default());
    let failures: Vec<_> = outcome
        .failures()
        .map(|r| format!("{} ({})", r.text, r.detail))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
