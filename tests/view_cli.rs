//! `netlab topo` and `netlab view` from the command line: every scenario of the repository
//! drawn without overlaps, pages that need nothing from the network, long runs narrowed with
//! what was left out said.

mod support;

use std::path::Path;

use support::netlab;

fn scenarios(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scenarios(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p.to_string_lossy().into_owned());
        }
    }
}

fn tmp(name: &str) -> String {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_scenario_is_drawn_with_no_two_nodes_on_top_of_each_other() {
    let mut files = Vec::new();
    scenarios(Path::new("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 20);
    for f in &files {
        let out = tmp("topo.svg");
        let (code, _, err) = netlab(&["topo", f, "--svg", &out]);
        assert_eq!(code, 0, "{f}: {err}");
        let svg = std::fs::read_to_string(&out).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{f}: {e}"));
        let (w, h) = {
            let root = doc.root_element();
            let n = |a: &str| root.attribute(a).unwrap().parse::<f64>().unwrap();
            (n("width"), n("height"))
        };
        let pos: Vec<(f64, f64)> = doc
            .descendants()
            .filter(|n| n.attribute("data-node").is_some())
            .map(|n| {
                let t = n.attribute("transform").unwrap();
                let inner = &t["translate(".len()..t.len() - 1];
                let (x, y) = inner.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert!(!pos.is_empty(), "{f}");
        for (i, p) in pos.iter().enumerate() {
            assert!(
                p.0 > 30.0 && p.0 < w - 30.0 && p.1 > 30.0 && p.1 < h - 30.0,
                "{f}: node {i} at {p:?} outside {w}×{h}"
            );
            for q in &pos[i + 1..] {
                let d = ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
                assert!(d >= 100.0, "{f}: nodes at {p:?} and {q:?} are {d:.0} apart");
            }
        }
    }
}

#[test]
fn topo_lists_nodes_and_cables() {
    let (code, out, _) = netlab(&["topo", "scenarios/ping-across-router.toml"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("r1         router  eth0 10.0.1.254/24, eth1 10.0.2.254/24"),
        "{out}"
    );
    assert!(
        out.contains("lan1       switch  2 ports, LAN 10.0.1.0/24"),
        "{out}"
    );
    assert!(
        out.contains("alice--lan1            alice eth0 ⇄ lan1 port 1: 100Mbps · 5us"),
        "{out}"
    );
}

#[test]
fn a_page_needs_nothing_from_the_network() {
    let out = tmp("hs.html");
    let (code, _, err) = netlab(&[
        "view",
        "scenarios/lessons/three-way-handshake.toml",
        "-o",
        &out,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("54 events, 7 frames, 1 TCP connection; expectations: 17 passed, 0 failed"),
        "{err}"
    );
    let page = std::fs::read_to_string(&out).unwrap();
    for bad in [
        "src=\"http",
        "href=\"http",
        "<link",
        "import(",
        "fetch(",
        "XMLHttpRequest",
        "@import",
        "url(http",
    ] {
        assert!(
            !page.contains(bad),
            "the page refers to something outside it: {bad}"
        );
    }
}

#[test]
fn a_narrowed_page_says_what_it_left_out() {
    let out = tmp("narrow.html");
    let (code, _, err) = netlab(&[
        "view",
        "scenarios/tcp/fast-retransmit.toml",
        "-o",
        &out,
        "--from",
        "1.02s",
        "--to",
        "1.05s",
        "--filter",
        "tcp",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left out: "), "{err}");
    assert!(err.contains("events before 1.020000000"), "{err}");
    assert!(err.contains("not simulated"), "{err}");
    assert!(err.contains("the filter `tcp` does not match"), "{err}");
    let page = std::fs::read_to_string(&out).unwrap();
    let data = netlab::browser::page::data_of(&page).expect("the page's data");
    // Every event in the page is in the window.
    let times = data["ev"]["t"].as_array().expect("event times");
    assert!(!times.is_empty());
    assert!(
        times
            .iter()
            .all(|t| (1_020_000_000..=1_050_000_000).contains(&t.as_u64().unwrap())),
        "events outside --from/--to"
    );
    let left_out = data["leftOut"].as_array().expect("leftOut");
    assert!(
        left_out
            .iter()
            .any(|x| x.as_str().unwrap().contains("the filter `tcp`")),
        "the page says it too: {left_out:?}"
    );

    let (code, _, err) = netlab(&[
        "view",
        "scenarios/tcp/fast-retransmit.toml",
        "-o",
        &out,
        "--max-events",
        "100",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("100 events,"), "{err}");
    assert!(err.contains("narrow with --from/--to or --filter"), "{err}");

    let (code, _, err) = netlab(&[
        "view",
        "scenarios/tcp/fast-retransmit.toml",
        "-o",
        &out,
        "--filter",
        "tcp bogus",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown filter word `bogus`"), "{err}");
}

/// A run longer than the page replays only until the page is full (and a tail, so the frames
/// on their way arrive), so the page costs the memory of the page, not of the run: a 1 GB
/// transfer's page grew past 12 GB before.
#[test]
fn a_page_of_a_long_run_stops_replaying_when_full() {
    let text = r#"
[scenario]
description = "a long transfer"
[[host]]
name = "alice"
ip = "10.0.0.1/24"
[[host]]
name = "bob"
ip = "10.0.0.2/24"
[[link]]
between = ["alice", "bob"]
[timeline]
steps = '''
0s bob bulk-sink port=5001 as=sink
1ms alice bulk-send to=bob:5001 bytes=10MB as=send
'''
[expect]
checks = '''
end sink.bytes_in == 10000000
'''
"#;
    let scn = netlab::scenario::Scenario::parse("long.toml", text).expect("loads");
    let opts = netlab::browser::ViewOptions {
        max_events: 50,
        ..Default::default()
    };
    let data = netlab::browser::collect(&scn, &opts);
    assert!(
        data.summary
            .contains("the rest of the run was not replayed"),
        "{}",
        data.summary
    );
    // The verdicts are the whole run's.
    assert!(
        data.summary.contains("1 passed, 0 failed"),
        "{}",
        data.summary
    );
    // About 10,400 frames cross the cable; the page keeps those of its replay only.
    let frames = data.json["fr"]["id"].as_array().map_or(0, Vec::len);
    assert!(frames > 0 && frames < 5_000, "{frames} frames kept");
}
