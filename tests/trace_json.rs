//! The JSON Lines trace (`--trace-json`) against its documented schema, `docs/trace-json.md`
//! (issue #13, item 19): every record kind has a section there, every key a written line has is
//! listed in its kind's section, and no line carries a Rust debug string instead of fields.
//! `json::KINDS` is tied to `TraceEvent`'s variants by an exhaustive match (`json::kind_name`),
//! and the fields by another (no catch-all arm), so a new kind cannot be added without fields,
//! and this test fails until the document lists it.

mod support;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::views::json;
use netlab::views::text::TextView;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Keys every line has.
const COMMON: &[&str] = &["time_ns", "node", "layer", "kind", "text"];

/// The document: kind → the fields its section lists (`- `name`, `other`: meaning` bullets).
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/trace-json.md");
    let doc = std::fs::read_to_string(&path).expect("docs/trace-json.md exists");
    let mut kinds: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("### `") {
            let name = h.split('`').next().unwrap().to_string();
            assert!(
                kinds.insert(name.clone(), BTreeSet::new()).is_none(),
                "{name} documented twice"
            );
            current = Some(name);
        } else if line.starts_with("## ") {
            current = None;
        } else if let (Some(k), Some(f)) = (&current, line.strip_prefix("- `")) {
            // `- `a`, `b` *(events)*: meaning`: every name before the first colon.
            let head = f.split(": ").next().unwrap();
            let fields = kinds.get_mut(k).unwrap();
            for (i, name) in format!("`{head}").split('`').enumerate() {
                if i % 2 == 1 {
                    fields.insert(name.to_string());
                }
            }
        }
    }
    kinds
}

#[test]
fn the_document_lists_every_kind_and_nothing_else() {
    let doc = documented();
    let doc_kinds: BTreeSet<&str> = doc.keys().map(String::as_str).collect();
    let code: BTreeSet<&str> = json::KINDS.iter().copied().collect();
    assert_eq!(code.len(), json::KINDS.len(), "a kind named twice in KINDS");
    let missing: Vec<_> = code.difference(&doc_kinds).collect();
    let extra: Vec<_> = doc_kinds.difference(&code).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/trace-json.md: kinds missing {missing:?}, kinds that do not exist {extra:?}"
    );
    for (k, fields) in &doc {
        assert!(!fields.is_empty(), "{k}: no fields documented");
    }
}

/// Every line of every scenario's trace: named fields only, each listed in its kind's section.
#[test]
fn every_record_has_named_documented_fields() {
    let doc = documented();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = BTreeSet::new();
    for f in support::scenario_files() {
        let scn = Scenario::load(f.to_str().unwrap()).expect("scenario loads");
        let o = scenario::run(&scn, &RunOptions::default());
        let actions = scn.action_texts();
        let view = TextView::new(&o.world, &actions);
        for r in o.world.trace().records() {
            let v = json::record(&view, r);
            let Value::Object(m) = &v else {
                panic!("not an object: {v}")
            };
            let kind = m["kind"].as_str().unwrap().to_string();
            let Some(allowed) = doc.get(&kind) else {
                problems.insert(format!("kind {kind} is not documented"));
                continue;
            };
            for (key, value) in m {
                if COMMON.contains(&key.as_str()) {
                    continue;
                }
                if !allowed.contains(key) {
                    problems.insert(format!("{kind}: key `{key}` is not documented"));
                }
                // A Rust debug form (`Foo { a: 1 }`, `Some(..)`) is not a named field.
                if let Value::String(s) = value {
                    if key != "output"
                        && key != "message"
                        && key != "summary"
                        && key != "reason"
                        && (s.contains(" { ") || s.starts_with("Some(") || s.contains("::"))
                    {
                        problems.insert(format!("{kind}.{key} looks like a debug string: {s}"));
                    }
                }
                seen.entry(kind.clone()).or_default().insert(key.clone());
            }
            for c in COMMON {
                assert!(m.contains_key(*c), "{kind}: no `{c}`");
            }
            assert!(!m.contains_key("debug"), "{kind}: a debug string");
        }
    }
    for (k, keys) in &seen {
        eprintln!(
            "{k}: {}",
            keys.iter().cloned().collect::<Vec<_>>().join(" ")
        );
    }
    assert!(
        problems.is_empty(),
        "{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
    // The shipped scenarios write most kinds; the rest are checked by the unit tests of
    // `views::json` (one record of each kind).
    assert!(
        seen.len() >= 20,
        "{} kinds seen: {:?}",
        seen.len(),
        seen.keys()
    );
}
