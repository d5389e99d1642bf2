//! `scenarios/README.md` indexes the scenarios by lesson: every scenario it names exists and
//! passes, every scenario file is in it, and the files the lessons' descriptions point to exist.

mod support;

use netlab::scenario::{RunOptions, Scenario};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Every `.toml` under `scenarios/`, as a path relative to it (`lessons/loopback.toml`).
fn scenario_files() -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).expect("scenarios/ is readable") {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|e| e == "toml") {
                let rel = p.strip_prefix(root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = scenarios_dir();
    let mut out = BTreeSet::new();
    walk(&root, &root, &mut out);
    out
}

/// The words of `text` that name a scenario file, relative to `scenarios/`.
fn toml_names(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || "`|(),;".contains(c))
        .map(|w| w.trim_end_matches(['.', ':']))
        .filter(|w| w.ends_with(".toml") && w.len() > ".toml".len())
        .map(|w| w.strip_prefix("scenarios/").unwrap_or(w).to_string())
        .collect()
}

fn index() -> BTreeSet<String> {
    let text = std::fs::read_to_string(scenarios_dir().join("README.md"))
        .expect("scenarios/README.md exists");
    toml_names(&text)
}

#[test]
fn every_scenario_the_index_names_exists_and_passes() {
    let mut problems = Vec::new();
    for name in index() {
        let path = scenarios_dir().join(&name);
        if !path.is_file() {
            problems.push(format!(
                "scenarios/README.md names {name}, which does not exist"
            ));
            continue;
        }
        let scn = match Scenario::load(&path.to_string_lossy()) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{e}"));
                continue;
            }
        };
        // A scenario with a [[tap]] runs in real time with the real kernel (it needs root).
        let Some(outcome) = support::run_scenario(&scn, &RunOptions::default()) else {
            continue;
        };
        for r in outcome.failures() {
            problems.push(format!("{name}:{}: {} ({})", r.line, r.text, r.detail));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_scenario_file_is_in_the_index() {
    let listed = index();
    let missing: Vec<_> = scenario_files()
        .into_iter()
        .filter(|f| !listed.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "not in scenarios/README.md: {}",
        missing.join(", ")
    );
}

#[test]
fn files_a_lesson_points_to_exist() {
    let files = scenario_files();
    let mut problems = Vec::new();
    for f in files.iter().filter(|f| f.starts_with("lessons/")) {
        let scn = Scenario::load(&scenarios_dir().join(f).to_string_lossy()).unwrap();
        for name in toml_names(&scn.description) {
            // `close-server-first.toml` next to it, or a path from `scenarios/`.
            if !files.contains(&format!("lessons/{name}")) && !files.contains(&name) {
                problems.push(format!("{f} mentions {name}, which does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn file_names_are_found_in_prose_and_commands() {
    let names = toml_names(
        "see `lessons/a.toml`, close-server-first.toml. Run: netlab run scenarios/b.toml --layer app",
    );
    let want: BTreeSet<String> = ["lessons/a.toml", "close-server-first.toml", "b.toml"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(names, want);
}
