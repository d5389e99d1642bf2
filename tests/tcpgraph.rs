//! TCP pictures: connections found in the trace, their segments and states, and the SVG they
//! make (parsed as XML).

mod common;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::tcp::State;
use netlab::time::Instant;
use netlab::views::tcpgraph::{self, Connection, GraphKind, GraphOptions};
use std::process::Command;

/// The fixture's one connection, run to the end.
fn connection() -> Connection {
    let w = common::tcp_pair_world();
    let mut conns = tcpgraph::connections(&w, w.trace().records());
    assert_eq!(conns.len(), 1, "{conns:#?}");
    conns.remove(0)
}

fn states(c: &Connection, side: usize) -> Vec<State> {
    let s = &c.sides[side];
    let mut v = vec![s.transitions[0].from];
    v.extend(s.transitions.iter().map(|t| t.to));
    v
}

#[test]
fn finds_the_connection_its_states_and_segments() {
    let c = connection();
    assert_eq!(c.number, 1);
    assert_eq!(c.sides[0].node.as_deref(), Some("alice"));
    assert_eq!(c.sides[1].node.as_deref(), Some("bob"));
    assert_eq!(c.sides[1].addr.to_string(), "10.0.0.2:80");
    use State::*;
    assert_eq!(
        states(&c, 0),
        [
            Closed,
            SynSent,
            Established,
            FinWait1,
            FinWait2,
            TimeWait,
            Closed
        ]
    );
    assert_eq!(
        states(&c, 1),
        [Listen, SynReceived, Established, CloseWait, LastAck, Closed]
    );
    assert_eq!(c.sender(), 0);
    assert_eq!(c.data_bytes(0), 20000);
    assert_eq!(c.data_bytes(1), 0);
    // The fault rule dropped alice's 3rd data segment at her port; it was sent again later.
    let lost: Vec<_> = c.sent.iter().filter(|g| g.lost_at_sender).collect();
    assert_eq!(lost.len(), 1);
    let again: Vec<_> = c.sent.iter().filter(|g| g.retransmission).collect();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].seq, again[0].len), (lost[0].seq, lost[0].len));
    assert!(again[0].time > lost[0].time);
    // Each segment is counted once, at its sender: alice's SYN, the ACK of bob's SYN-ACK
    // (her data waits for the handshake, then comes from her application), 14 data segments
    // (the last with the FIN), the retransmission and the ACK of bob's FIN.
    assert_eq!(c.sent.iter().filter(|g| g.from == 0).count(), 18);
    assert!(c.sides[0].isn.is_some() && c.sides[1].isn.is_some());
    assert!(!c.sides[0].cwnd.is_empty() && !c.sides[0].rtt.is_empty());
    let summary = c.summary();
    assert!(
        summary.contains(
            "alice  CLOSED → SYN_SENT → ESTABLISHED → FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT → CLOSED"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("alice  sent 18 segments, 20000 data bytes, 1 retransmission"),
        "{summary}"
    );
}

fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc
}

/// Texts of the `<title>` tooltips.
fn tooltips(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

#[test]
fn the_state_timeline_labels_every_transition() {
    let c = connection();
    let svg = c.to_svg(GraphKind::States);
    let doc = parse(&svg);
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    // Causes in words, not the trace's identifiers (`RcvAckOfSyn`).
    for cause in [
        "connect() called",
        "SYN received",
        "SYN-ACK received",
        "ACK of our SYN received",
        "close() called",
        "FIN received",
        "ACK of our FIN received",
        "2·MSL timer expired",
    ] {
        assert!(texts.contains(&cause), "{cause} missing");
    }
    // Every state by its full name, however short its band (no `CLWT`).
    for state in State::ALL {
        let name = state.to_string();
        let drawn = texts.contains(&name.as_str());
        let lived = (0..2).any(|side| states(&c, side).contains(&state));
        assert_eq!(drawn, lived, "{name}");
    }
    assert!(!texts
        .iter()
        .any(|t| ["CLWT", "FW1", "TMWT", "ESTB"].contains(t)));
    // One band per state a side was in, with its times in the tooltip.
    let bands = tooltips(&doc)
        .into_iter()
        .filter(|t| t.contains(" to "))
        .filter(|t| !t.contains('→'))
        .count();
    assert_eq!(bands, 7 + 6);
    let tips = tooltips(&doc);
    assert!(
        tips.iter()
            .any(|t| t.starts_with("TIME_WAIT: ") && t.ends_with(" to 60.024524800")),
        "{tips:?}"
    );
}

#[test]
fn the_sequence_graph_marks_retransmissions_and_losses() {
    let c = connection();
    let svg = c.to_svg(GraphKind::Seq);
    let doc = parse(&svg);
    let tips = tooltips(&doc);
    let count = |prefix: &str| tips.iter().filter(|t| t.starts_with(prefix)).count();
    // Everything with sequence space: the SYN and 14 data segments (the last with the FIN), one
    // of them lost before the wire and sent again.
    assert_eq!(count("sent "), 14);
    assert_eq!(count("retransmission "), 1);
    assert_eq!(count("lost before the wire "), 1);
    assert!(count("ACK ") >= 10, "{tips:?}");
    assert!(tips.iter().any(|t| t == "ACKs received by the sender"));
    // Retransmissions are drawn in their own colour.
    let red = doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("stroke") == Some("#c0392b"))
        .count();
    assert_eq!(red, 1);
}

#[test]
fn the_congestion_graph_and_all_three_together() {
    let c = connection();
    let svg = c.to_svg(GraphKind::Cwnd);
    let doc = parse(&svg);
    let tips = tooltips(&doc);
    assert!(
        tips.iter().any(|t| t.starts_with("cwnd 15928 ssthresh ∞")),
        "{tips:?}"
    );
    assert!(tips.iter().any(|t| t.starts_with("RTT sample ")));
    assert!(tips.iter().any(|t| t == "ssthresh"));
    let all = c.to_svg(GraphKind::All);
    let doc = parse(&all);
    let heights: Vec<f64> = [GraphKind::States, GraphKind::Seq, GraphKind::Cwnd]
        .iter()
        .map(|k| {
            parse(&c.to_svg(*k))
                .root_element()
                .attribute("height")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let h: f64 = doc
        .root_element()
        .attribute("height")
        .unwrap()
        .parse()
        .unwrap();
    assert!(h > heights.iter().cloned().fold(0.0, f64::max));
    // The same run draws the same picture.
    assert_eq!(all, connection().to_svg(GraphKind::All));
}

fn netlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("netlab runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_says_when_a_run_has_no_tcp() {
    let (code, out, err) = netlab(&["tcpgraph", "scenarios/ping-across-router.toml"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no TCP connection in this run"), "{err}");
    let (code, _, err) = netlab(&[
        "tcpgraph",
        "scenarios/ping-across-router.toml",
        "--kind",
        "pie",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("states, seq, cwnd, all"), "{err}");
}

#[test]
fn cli_draws_the_lesson_connection() {
    let scenario = "scenarios/lessons/simplest-server.toml";
    let (code, out, err) = netlab(&["tcpgraph", scenario]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("connection 1: 10.0.0.1:47553 (client) ⇄ 10.0.0.2:8081 (server)"),
        "{out}"
    );
    assert!(
        out.contains(
            "client  CLOSED → SYN_SENT → ESTABLISHED → FIN_WAIT_1 → CLOSING → TIME_WAIT → CLOSED"
        ),
        "{out}"
    );
    let dir = std::env::temp_dir().join(format!("netlab-tcpgraph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for kind in ["states", "seq", "cwnd", "all"] {
        let path = dir.join(format!("{kind}.svg"));
        let (code, _, err) = netlab(&[
            "tcpgraph",
            scenario,
            "--port",
            "8081",
            "--kind",
            kind,
            "--svg",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let svg = std::fs::read_to_string(&path).unwrap();
        parse(&svg);
    }
    let (code, _, err) = netlab(&["tcpgraph", scenario, "--conn", "2", "--svg", "/dev/null"]);
    assert_eq!(code, 2);
    assert!(err.contains("no connection 2 in this run"), "{err}");
}

/// Plot frames (`rect`s with the axes' stroke) and the legend entries' texts, per picture
/// group: a legend entry must lie outside every plot area of its group (issue 13, item 17: the
/// legends covered the cwnd peak and the RTO line).
fn legends_outside_the_plots(svg: &str, entries: &[&str]) {
    let doc = parse(svg);
    let mut seen = 0;
    for g in doc.descendants().filter(|n| n.has_tag_name("g")) {
        let num =
            |n: &roxmltree::Node, a: &str| -> f64 { n.attribute(a).unwrap().parse().unwrap() };
        let plots: Vec<(f64, f64, f64, f64)> = g
            .children()
            .filter(|n| n.has_tag_name("rect") && n.attribute("stroke") == Some("#444"))
            .map(|r| {
                let (x, y) = (num(&r, "x"), num(&r, "y"));
                (x, y, x + num(&r, "width"), y + num(&r, "height"))
            })
            .collect();
        for t in g.children().filter(|n| n.has_tag_name("text")) {
            let Some(text) = t.text() else { continue };
            if !entries.contains(&text) {
                continue;
            }
            seen += 1;
            let (x, y) = (num(&t, "x"), num(&t, "y"));
            for &(x0, y0, x1, y1) in &plots {
                assert!(
                    !(x0..=x1).contains(&x) || !(y0..=y1).contains(&y),
                    "legend entry {text:?} at ({x}, {y}) inside the plot {x0},{y0}–{x1},{y1}"
                );
            }
        }
    }
    assert_eq!(seen, entries.len(), "every legend entry found once");
}

#[test]
fn legends_stay_outside_the_plots() {
    let c = connection();
    legends_outside_the_plots(
        &c.to_svg(GraphKind::Cwnd),
        &[
            "cwnd",
            "ssthresh (left out while infinite)",
            "RTO",
            "smoothed RTT (circles: samples)",
        ],
    );
    legends_outside_the_plots(
        &c.to_svg(GraphKind::Seq),
        &[
            "segment sent (first to last byte)",
            "retransmission (R)",
            "ACKs received",
        ],
    );
}

/// A time window keeps what happened in it, on an axis that spans it.
#[test]
fn a_time_window_draws_only_what_happened_in_it() {
    let c = connection();
    let sent: Vec<Instant> = c
        .sent
        .iter()
        .filter(|g| g.from == 0 && g.len > 0)
        .map(|g| g.time)
        .collect();
    let (from, to) = (sent[3], sent[8]);
    let o = GraphOptions {
        from: Some(from),
        to: Some(to),
        ..GraphOptions::new(GraphKind::All)
    };
    let svg = c.draw(&o);
    let doc = parse(&svg);
    let tips = tooltips(&doc);
    let segs: Vec<&String> = tips
        .iter()
        .filter(|t| t.starts_with("sent ") || t.starts_with("retransmission "))
        .collect();
    assert_eq!(
        segs.len(),
        sent.iter().filter(|&&t| t >= from && t <= to).count()
    );
    for t in &segs {
        let at: f64 = t.rsplit(" at ").next().unwrap().parse().unwrap();
        assert!(at >= from.as_secs_f64() && at <= to.as_secs_f64(), "{t}");
    }
    // The whole connection has more, and its handshake's transitions are left out.
    let whole = tooltips(&parse(&c.to_svg(GraphKind::All)));
    assert!(whole.iter().filter(|t| t.starts_with("sent ")).count() > segs.len());
    assert!(
        !tips.iter().any(|t| t.contains("SYN_SENT → ESTABLISHED")),
        "{tips:?}"
    );
    assert!(whole.iter().any(|t| t.contains("SYN_SENT → ESTABLISHED")));
}

/// simplest-server: the server's 7-byte reply is the larger transfer, so it is graphed by
/// default; `sender` picks the client's 5 bytes instead. The client never changes its window:
/// a sentence says so where an empty frame was.
#[test]
fn the_user_picks_the_direction_and_a_short_connection_has_no_empty_cwnd_plot() {
    let scn = Scenario::load("scenarios/lessons/simplest-server.toml").unwrap();
    let o = scenario::run(&scn, &RunOptions::default());
    let conns = tcpgraph::connections(&o.world, o.world.trace().records());
    let c = &conns[0];
    assert_eq!((c.data_bytes(0), c.data_bytes(1)), (5, 7));
    assert_eq!(c.sender(), 1);
    let title = |svg: &str| -> String {
        let doc = parse(svg);
        let t = doc
            .descendants()
            .find(|n| n.text() == Some("Time-sequence graph"))
            .unwrap();
        t.next_sibling_element()
            .unwrap()
            .text()
            .unwrap()
            .to_string()
    };
    assert!(title(&c.to_svg(GraphKind::Seq)).starts_with("of the data from server to client"));
    let client = c.side_named("client").unwrap();
    assert_eq!(c.side_named("10.0.0.1:47553"), Some(client));
    let mine = GraphOptions {
        sender: Some(client),
        ..GraphOptions::new(GraphKind::Seq)
    };
    assert!(title(&c.draw(&mine)).starts_with("of the data from client to server"));

    let cwnd = c.draw(&GraphOptions {
        sender: Some(client),
        ..GraphOptions::new(GraphKind::Cwnd)
    });
    assert!(c.sides[client].cwnd.is_empty());
    let doc = parse(&cwnd);
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        texts.contains(&"no congestion-window changes: client kept its initial window"),
        "{texts:?}"
    );
    // One frame: the RTO's; none for a window that never changed.
    let frames = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("stroke") == Some("#444"))
        .count();
    assert_eq!(frames, 1);
}

#[test]
fn cli_takes_a_time_window_and_a_sender() {
    let scenario = "scenarios/lessons/simplest-server.toml";
    let dir = std::env::temp_dir().join(format!("netlab-tcpgraph-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("w.svg");
    let out = path.to_str().unwrap();
    let (code, _, err) = netlab(&[
        "tcpgraph", scenario, "--sender", "client", "--from", "1.004s", "--to", "1.007s", "--svg",
        out,
    ]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("of the data from client to server"), "{svg}");
    let (code, _, err) = netlab(&["tcpgraph", scenario, "--sender", "carol", "--svg", out]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--sender carol: connection 1 is between 10.0.0.1:47553 (client) and 10.0.0.2:8081 (server)"),
        "{err}"
    );
    let (code, _, err) = netlab(&[
        "tcpgraph", scenario, "--from", "2s", "--to", "1s", "--svg", out,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is before --from"), "{err}");
}
