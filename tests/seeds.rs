//! Every scenario's expectations hold for every seed, not only the file's: a lesson that
//! passes with seed 1 and fails with seed 2 teaches something false (issue #13, item 6).
//!
//! `cargo test` runs each scenario with a handful of seeds (the edges of the seed space and a
//! few ordinary ones). For the full check, a few hundred seeds each:
//!
//! ```sh
//! NETLAB_SEEDS=300 cargo test --release --test seeds
//! ```

mod support;

use netlab::scenario::{self, RunOptions, Scenario};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The seeds to try: the edges (0, 1, 2, 2^63, 2^64−2, 2^64−1, where defects were found),
/// then `NETLAB_SEEDS` more spread over the range (default 2).
fn seeds() -> Vec<u64> {
    let more: u64 = std::env::var("NETLAB_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let mut v = vec![0, 1, 2, 1 << 63, u64::MAX - 1, u64::MAX];
    // A fixed odd stride (the golden ratio's 64-bit fraction) visits unrelated seeds.
    v.extend((1..=more).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    v
}

#[test]
fn every_scenario_holds_for_every_seed() {
    let seeds = seeds();
    let files = support::scenario_files();
    // Scenarios are independent runs: spread them over the cores (the failures are sorted, so
    // the report does not depend on which thread finished first).
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let path = f.to_string_lossy().into_owned();
                let scn = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
                if scn.has_taps() {
                    // Its outcome is the real kernel's, not the seed's; tests/scenarios.rs
                    // runs it in real time (and tests/tap.rs drives it).
                    continue;
                }
                for &seed in &seeds {
                    let outcome = scenario::run(
                        &scn,
                        &RunOptions {
                            seed: Some(seed),
                            ..Default::default()
                        },
                    );
                    let mut found = failures.lock().unwrap();
                    for r in outcome.failures() {
                        found.push(format!(
                            "{path} --seed {seed}: line {}: {} ({})",
                            r.line, r.text, r.detail
                        ));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "expectations that depend on the seed:\n{}",
        failures.join("\n")
    );
}
