//! The house's shape, read from the sources (issue #18): which top-level modules import each
//! other, and which files are longer than one reads in a sitting.
//!
//! The layers are meant to look only down (docs/ARCHITECTURE.md, "Layers"); today a knot of
//! modules still imports both ways. This test is a ratchet: the knot and the long files are
//! listed exactly, so a new cycle or a new long file fails it, and so does an untied one (take
//! it off the list, and the house stays untied).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Pairs of top-level modules that import each other today.
const KNOWN_MUTUAL: &[(&str, &str)] = &[("apps", "host"), ("host", "sim")];

/// The modules of the one strongly connected knot today.
const KNOWN_KNOT: &[&str] = &["apps", "host", "sim"];

/// Files over `LONG` lines of code (comments, blank lines and unit tests not counted).
const LONG: usize = 800;
const KNOWN_LONG: &[&str] = &[];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, into);
        } else if p.extension().is_some_and(|e| e == "rs") {
            into.push(p);
        }
    }
}

/// A file's code before its unit tests, without comments; `None` for a file of tests.
fn code_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    if name == "tests.rs"
        || name.ends_with("_tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
    {
        return None;
    }
    let text = std::fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    Some(
        code.lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The top-level modules and, for each, the other top-level modules its code names through
/// `crate::` (a path, or a `crate::{…}` group).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            files.push(p);
        }
        modules.insert(name, files);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, files) in &modules {
        let mut uses = BTreeSet::new();
        for f in files {
            let Some(code) = code_of(f) else { continue };
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let named: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    group
                        .split(',')
                        .map(|p| p.trim().split("::").next().unwrap_or("").trim())
                        .collect()
                } else {
                    vec![rest
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")]
                };
                for n in named {
                    if n != module && names.contains(n) {
                        uses.insert(n.to_string());
                    }
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// The modules that sit on a cycle (strongly connected components of more than one).
fn knots(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for n in &graph[&m] {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for m in graph.keys() {
        let comp: BTreeSet<String> = graph
            .keys()
            .filter(|n| *n == m || (reachable[m].contains(*n) && reachable[n].contains(m)))
            .cloned()
            .collect();
        if comp.len() > 1 && !out.contains(&comp) {
            out.push(comp);
        }
    }
    out
}

#[test]
fn modules_import_each_other_only_where_listed() {
    let graph = imports();
    let mut mutual = BTreeSet::new();
    for (a, uses) in &graph {
        for b in uses {
            if a < b && graph[b].contains(a) {
                mutual.insert((a.clone(), b.clone()));
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN_MUTUAL
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        mutual, known,
        "modules importing each other changed: a new pair is a new cycle (put the shared piece \
         below both); a pair gone is progress (take it off KNOWN_MUTUAL)"
    );
    let knot: Vec<BTreeSet<String>> = knots(&graph);
    let known: Vec<BTreeSet<String>> = vec![KNOWN_KNOT.iter().map(|s| s.to_string()).collect()];
    assert_eq!(
        knot, known,
        "the modules on a cycle changed: see KNOWN_KNOT and docs/ARCHITECTURE.md"
    );
}

/// What the views (`src/views`) may not import: the world and anything that holds it or a
/// node. A view takes records and `trace::Names`, so adding one touches no producer.
const VIEWS_MAY_NOT_IMPORT: &[&str] = &[
    "apps",
    "browser",
    "host",
    "packetdrill",
    "scenario",
    "show",
    "sim",
    "step",
    "tap",
];

#[test]
fn views_take_records_and_names_not_the_world() {
    let graph = imports();
    let wrong: Vec<&String> = graph["views"]
        .iter()
        .filter(|m| VIEWS_MAY_NOT_IMPORT.contains(&m.as_str()))
        .collect();
    assert!(
        wrong.is_empty(),
        "views import {wrong:?}: give them what they need through trace::Names"
    );
    // The record types stay below the views and the world both.
    for below in ["trace", "ids"] {
        for up in ["views", "sim"] {
            assert!(
                !graph[below].contains(up),
                "{below} imports {up}: records and ids must not know who reads or makes them"
            );
        }
    }
}

#[test]
fn files_over_800_lines_of_code_are_only_the_listed_ones() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long = BTreeSet::new();
    for f in &files {
        let Some(code) = code_of(f) else { continue };
        let lines = code.lines().filter(|l| !l.trim().is_empty()).count();
        if lines > LONG {
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            long.insert(rel);
        }
    }
    let known: BTreeSet<String> = KNOWN_LONG.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        long, known,
        "files over {LONG} lines of code changed: split a new one by concern; take one that \
         shrank off KNOWN_LONG"
    );
}

/// The reader itself: a `crate::{…}` group and a plain path are both seen, comments are not.
#[test]
fn the_reader_sees_paths_groups_and_not_comments() {
    let dir = std::env::temp_dir().join(format!("netlab-arch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("x.rs");
    std::fs::write(
        &f,
        "use crate::{ip::Ipv4Cidr, tcp};\n// crate::scenario\nfn f() { crate::sim::World::new(); }\n#[cfg(test)]\nmod t { use crate::view; }\n",
    )
    .unwrap();
    let code = code_of(&f).unwrap();
    assert!(code.contains("crate::{ip::Ipv4Cidr, tcp}"));
    assert!(!code.contains("scenario"));
    assert!(code.contains("crate::sim"));
    assert!(!code.contains("view"));
    let _ = std::fs::remove_dir_all(&dir);
}
