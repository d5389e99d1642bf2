//! The house's shape, read from the sources (issue #18): which modules import which, and which
//! files are longer than one reads in a sitting.
//!
//! The layers are drawn in docs/ARCHITECTURE.md ("Which module may import which", and the
//! scenario's stages), and this test reads those pictures, so the drawing and the check cannot
//! drift apart: a module imports only from lines below its own, no two modules import each
//! other, and no file is over 800 lines of code. There are no exceptions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files over `LONG` lines of code (comments, blank lines and unit tests not counted) are too
/// long to read in one sitting.
const LONG: usize = 800;

/// The headings in docs/ARCHITECTURE.md whose first code block draws the layers.
const TOP_PICTURE: &str = "### Which module may import which";
const SCENARIO_PICTURE: &str = "### The scenario's stages";

type Graph = BTreeMap<String, BTreeSet<String>>;

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

/// Where a file's unit tests start: the first `#[cfg(test)]` on a `mod` (one on a lone helper
/// function mid-file is not the end of its code).
fn tests_start(text: &str) -> usize {
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]") {
        let at = from + at;
        let after = text[at + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod ") || after.starts_with("pub mod ") {
            return at;
        }
        from = at + 1;
    }
    text.len()
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
    let code = &text[..tests_start(&text)];
    Some(
        code.lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_end(code: &str, from: usize) -> usize {
    let b = code.as_bytes();
    if b.get(from).is_some_and(|c| c.is_ascii_digit()) {
        return from;
    }
    let mut i = from;
    while b.get(i).is_some_and(|&c| is_ident(c)) {
        i += 1;
    }
    i
}

fn skip_space(code: &str, mut i: usize) -> usize {
    while code.as_bytes().get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Every path the code writes (`a::b::C`), as its segments, with `use` groups expanded:
/// `super::{model::{self, Sp}, Src}` is `super::model::self`, `super::model::Sp`, `super::Src`.
fn paths(code: &str) -> Vec<Vec<String>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = is_ident(b[i]) && (i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':'));
        let end = if starts { ident_end(code, i) } else { i };
        if end > i && code[end..].starts_with("::") {
            let (found, next) = use_tree(code, i, Vec::new());
            out.extend(found);
            i = next.max(end);
        } else {
            i = end.max(i + 1);
        }
    }
    out
}

/// The path starting at `i` after `prefix`, ending in a segment or a `{…}` group of such trees
/// (an `as` rename is skipped); the paths it names and where it ends.
fn use_tree(code: &str, mut i: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        let end = if code[i..].starts_with('*') {
            i + 1
        } else {
            ident_end(code, i)
        };
        if end == i {
            return (
                vec![prefix].into_iter().filter(|p| !p.is_empty()).collect(),
                i,
            );
        }
        prefix.push(code[i..end].to_string());
        i = end;
        if code[i..].starts_with("::{") {
            i += 3;
            let mut found = Vec::new();
            loop {
                i = skip_space(code, i);
                match code.as_bytes().get(i) {
                    None => return (found, i),
                    Some(b'}') => return (found, i + 1),
                    Some(b',') => i += 1,
                    Some(_) => {
                        let before = i;
                        let (sub, next) = use_tree(code, i, prefix.clone());
                        found.extend(sub);
                        i = skip_space(code, next);
                        if code[i..].starts_with("as ") {
                            i = ident_end(code, skip_space(code, i + 2));
                        }
                        // Something the reader does not know (not Rust a `use` writes).
                        if i == before {
                            i += 1;
                        }
                    }
                }
            }
        }
        let more = code[i..].strip_prefix("::").is_some_and(|rest| {
            rest.starts_with('*') || rest.as_bytes().first().is_some_and(|&c| is_ident(c))
        });
        if !more {
            return (vec![prefix], i);
        }
        i += 2;
    }
}

/// The top-level modules, each with its files; the binary (`main.rs` and the `cli_*.rs` files
/// it declares) is the module `main`, which names the library as `netlab::`.
fn top_modules() -> BTreeMap<String, Vec<PathBuf>> {
    let src = root().join("src");
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let mut name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        if name.starts_with("cli_") {
            name = "main".into();
        }
        let files = modules.entry(name).or_default();
        if p.is_dir() {
            rust_files(&p, files);
        } else {
            files.push(p);
        }
    }
    modules
}

/// How many `super`s lead from a library file's module to the crate root: `src/node.rs` 1,
/// `src/host/mod.rs` 1, `src/host/sockets/api.rs` 3.
fn depth_in_crate(file: &Path) -> usize {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let n = rel.components().count();
    if rel.file_name().is_some_and(|f| f == "mod.rs") {
        n - 1
    } else {
        n
    }
}

/// The top-level modules and, for each, the other top-level modules its code names through
/// `crate::` (`netlab::` in the binary) or through as many `super`s as lead to the crate root
/// (`super::sim` in `src/host/mod.rs`). A `super` inside an inline module other than the unit
/// tests is counted from the file: this reader's limit (no such `super` leaves its module today).
fn imports() -> Graph {
    let modules = top_modules();
    let mut graph = Graph::new();
    for (module, files) in &modules {
        let krate = if module == "main" { "netlab" } else { "crate" };
        let mut uses = BTreeSet::new();
        for f in files {
            let Some(code) = code_of(f) else { continue };
            let depth = if module == "main" {
                None
            } else {
                Some(depth_in_crate(f))
            };
            for p in paths(&code) {
                let supers = p.iter().take_while(|s| *s == "super").count();
                let named = if p.len() > 1 && p[0] == krate {
                    &p[1]
                } else if supers > 0 && Some(supers) == depth && p.len() > supers {
                    &p[supers]
                } else {
                    continue;
                };
                if named != module && modules.contains_key(named) {
                    uses.insert(named.clone());
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// The submodules of `src/scenario` (a directory folded into its parent file's module) and,
/// for each, the others it names: `super::x` (`super::super::x` from a file one directory
/// down), `crate::scenario::x`, and the groups of both. A name `mod.rs` re-exports counts as
/// the module it comes from; an item `mod.rs` defines is the node `mod`, whose own imports are
/// the submodules it names.
fn scenario_imports() -> Graph {
    let dir = root().join("src/scenario");
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let files = modules.entry(name).or_default();
        if p.is_dir() {
            rust_files(&p, files);
        } else {
            files.push(p);
        }
    }
    let facade = code_of(&dir.join("mod.rs")).unwrap();
    // What `mod.rs` brings in from a submodule, by the name it is known by there.
    let mut reexported = BTreeMap::new();
    for p in paths(&facade) {
        if p.len() > 1 && modules.contains_key(&p[0]) && p[0] != "mod" {
            reexported.insert(p.last().unwrap().clone(), p[0].clone());
        }
    }
    let defined = items_defined(&facade);
    let mut graph = Graph::new();
    for (module, files) in &modules {
        let mut uses = BTreeSet::new();
        for f in files {
            let Some(code) = code_of(f) else { continue };
            // How many modules down from `scenario` the file's module is.
            let rel = f.strip_prefix(&dir).unwrap();
            let mut depth = rel.components().count();
            if rel.file_name().is_some_and(|n| n == "mod.rs") {
                depth -= 1;
            }
            for p in paths(&code) {
                let rest = if p.len() > 2 && p[0] == "crate" && p[1] == "scenario" {
                    &p[2..]
                } else if p.iter().take_while(|s| *s == "super").count() == depth && depth > 0 {
                    &p[depth..]
                } else if depth == 0 {
                    // `mod.rs` names its submodules as they are.
                    p.strip_prefix(&["self".to_string()][..]).unwrap_or(&p)
                } else {
                    continue;
                };
                let Some(first) = rest.first() else { continue };
                let to = if modules.contains_key(first) && first != "mod" {
                    first.clone()
                } else if let Some(m) = reexported.get(first) {
                    m.clone()
                } else if defined.contains(first) {
                    "mod".to_string()
                } else {
                    continue;
                };
                if to != *module {
                    uses.insert(to);
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// The names of the items a file defines at its top level (not indented).
fn items_defined(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in code.lines() {
        let mut rest = line;
        if let Some(r) = rest.strip_prefix("pub") {
            rest = match r.strip_prefix('(') {
                Some(r) => &r[r.find(')').map_or(0, |i| i + 1)..],
                None => r,
            };
        }
        let mut words = rest.split_whitespace();
        let kinds = [
            "fn", "struct", "enum", "const", "static", "type", "trait", "union",
        ];
        if line.starts_with(char::is_whitespace)
            || !words.next().is_some_and(|k| kinds.contains(&k))
        {
            continue;
        }
        if let Some(word) = words.next() {
            let end = ident_end(word, 0);
            names.insert(word[..end].to_string());
        }
    }
    names
}

/// The lines of the first code block after `heading`, top to bottom, each the module names
/// written before its description (the description starts after two spaces or more).
fn layers_in(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let at = doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/ARCHITECTURE.md has no heading {heading:?}"));
    // The heading's own section: up to the next heading.
    let section = &doc[at + heading.len()..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    // Text, the block, text after it: a block not closed before the next heading is no block.
    let parts: Vec<&str> = section.splitn(3, "```").collect();
    assert!(parts.len() == 3, "no code block under {heading:?}");
    let block = parts[1];
    // The fence's own line (empty, or a language) is not a layer.
    block
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let names = l.trim().split("  ").next().unwrap_or("");
            names
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .collect()
}

fn architecture_doc() -> String {
    std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap()
}

/// Each module's line in the picture (0 the top), after checking that the picture names every
/// module of the graph once and nothing else.
fn line_of(graph: &Graph, layers: &[Vec<String>], what: &str) -> BTreeMap<String, usize> {
    let mut line = BTreeMap::new();
    for (i, names) in layers.iter().enumerate() {
        for n in names {
            assert!(
                !n.is_empty() && n.bytes().all(is_ident),
                "{what}: a line of the picture starts with `{n}`, not a module name (modules \
                 are separated by commas, their description by two spaces or more)"
            );
            assert!(
                line.insert(n.clone(), i).is_none(),
                "{what}: `{n}` is drawn on two lines"
            );
        }
    }
    let undrawn: Vec<&String> = graph.keys().filter(|m| !line.contains_key(*m)).collect();
    let gone: Vec<&String> = line.keys().filter(|m| !graph.contains_key(*m)).collect();
    assert!(
        undrawn.is_empty() && gone.is_empty(),
        "{what}: the picture in docs/ARCHITECTURE.md and the modules in src differ: draw \
         {undrawn:?} on their lines, take {gone:?} off"
    );
    line
}

/// The imports that go up the picture: to a module on a higher line, or to a peer on the
/// importer's own line.
fn upward(graph: &Graph, line: &BTreeMap<String, usize>) -> BTreeSet<(String, String)> {
    let mut up = BTreeSet::new();
    for (a, uses) in graph {
        for b in uses {
            if line[b] <= line[a] {
                up.insert((a.clone(), b.clone()));
            }
        }
    }
    up
}

/// The modules that sit on a cycle (strongly connected components of more than one).
fn knots(graph: &Graph) -> Vec<BTreeSet<String>> {
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
fn modules_import_only_from_lines_below_theirs() {
    let graph = imports();
    let layers = layers_in(&architecture_doc(), TOP_PICTURE);
    let line = line_of(&graph, &layers, "top-level modules");
    assert_eq!(
        upward(&graph, &line),
        BTreeSet::new(),
        "imports going up the picture in docs/ARCHITECTURE.md (importer, imported): a module \
         reaching above its layer; move the shared piece down, have the lower module name a \
         trait the higher one implements, or redraw the picture if the layer was wrong"
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = imports();
    let mut mutual = BTreeSet::new();
    for (a, uses) in &graph {
        for b in uses {
            if a < b && graph[b].contains(a) {
                mutual.insert((a.clone(), b.clone()));
            }
        }
    }
    assert_eq!(
        mutual,
        BTreeSet::new(),
        "modules importing each other: a cycle (put the shared piece below both)"
    );
    assert_eq!(
        knots(&graph),
        Vec::<BTreeSet<String>>::new(),
        "modules on a cycle of imports (see docs/ARCHITECTURE.md)"
    );
}

/// The scenario is a one-way pipeline: its submodules form no cycle, and each imports only
/// from the stages below its own in docs/ARCHITECTURE.md.
#[test]
fn the_scenario_is_a_one_way_pipeline() {
    let graph = scenario_imports();
    assert_eq!(
        knots(&graph),
        Vec::<BTreeSet<String>>::new(),
        "submodules of src/scenario import each other in a cycle: move the shared piece to a \
         lower stage"
    );
    let layers = layers_in(&architecture_doc(), SCENARIO_PICTURE);
    let line = line_of(&graph, &layers, "src/scenario");
    assert_eq!(
        upward(&graph, &line),
        BTreeSet::new(),
        "a submodule of src/scenario imports from its own stage or one above it (see \
         docs/ARCHITECTURE.md, {SCENARIO_PICTURE:?})"
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
fn no_file_is_over_800_lines_of_code() {
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
    assert_eq!(
        long,
        BTreeSet::new(),
        "files over {LONG} lines of code: split them by concern"
    );
}

/// The graphs are not empty by mistake: imports the code is known to have are found, through
/// `crate::`, `netlab::` and `super::`.
#[test]
fn the_reader_finds_imports_the_code_has() {
    let graph = imports();
    for (a, b) in [
        ("sim", "host"),
        ("host", "node"),
        ("main", "scenario"),
        ("views", "trace"),
        ("decode", "tcp"),
    ] {
        assert!(
            graph[a].contains(b),
            "{a} imports {b}, but the reader missed it"
        );
    }
    let graph = scenario_imports();
    for (a, b) in [("build", "network"), ("run", "tally"), ("mod", "spec")] {
        assert!(
            graph[a].contains(b),
            "scenario::{a} imports {b}, but the reader missed it"
        );
    }
    assert_eq!(depth_in_crate(&root().join("src/node.rs")), 1);
    assert_eq!(depth_in_crate(&root().join("src/host/mod.rs")), 1);
    assert_eq!(depth_in_crate(&root().join("src/host/sockets/api.rs")), 3);
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
    // A test-only helper mid-file does not end the code; a test module does.
    let text = "fn a() {}\n#[cfg(test)]\nfn b() {}\nfn c() {}\n#[cfg(test)]\nmod tests {}\n";
    assert!(text[..tests_start(text)].ends_with("fn c() {}\n"));
    assert!(code.contains("crate::{ip::Ipv4Cidr, tcp}"));
    assert!(!code.contains("scenario"));
    assert!(code.contains("crate::sim"));
    assert!(!code.contains("view"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Paths as the graphs read them: groups expanded however deep, renames and globs kept apart,
/// a path inside a longer one (`a::b` in `x::a::b`) not read again.
#[test]
fn paths_expand_groups_and_start_at_the_first_segment() {
    let code = "use super::{model::{self, Sp}, values as v, *};\n\
                let x = crate::sim::World::new(Vec::<u8>::new());\n\
                use crate::{scenario::{args::Args, line}};";
    let found: Vec<String> = paths(code).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        found,
        [
            "super::model::self",
            "super::model::Sp",
            "super::values",
            "super::*",
            "crate::sim::World::new",
            "Vec",
            "crate::scenario::args::Args",
            "crate::scenario::line",
        ]
    );
    let items = items_defined(
        "pub struct A;\npub(crate) fn b() {}\nenum C {}\n    fn inner() {}\nimpl A {}\n",
    );
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    assert_eq!(items, ["A", "C", "b"]);
}

/// The picture's reader: a line is its modules before the description; blank lines and the
/// fence's language are not lines.
#[test]
fn layers_are_read_from_the_picture() {
    let doc = "# x\n### Layers\nsome text\n```text\n main, bench    drivers, views\n\n tcp  \
               protocol\n time,rng,ids    leaves, and such\n```\n```\n not this\n```\n";
    assert_eq!(
        layers_in(doc, "### Layers"),
        [
            vec!["main", "bench"],
            vec!["tcp"],
            vec!["time", "rng", "ids"],
        ]
    );
}
