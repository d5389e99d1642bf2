//! The views of a run other than the text log: ladder diagrams (text and SVG), the JSON trace,
//! and the command-line flags that write them.

mod support;

use netlab::scenario::{self, Outcome, RunOptions, Scenario};
use netlab::trace::TraceEvent;
use netlab::views::json;
use netlab::views::ladder::{self, Fate, LadderOptions};
use netlab::views::text::TextView;
use std::path::Path;

fn load(path: &str) -> Scenario {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    Scenario::load(file.to_str().unwrap()).expect("scenario loads")
}

fn run(scn: &Scenario) -> Outcome {
    scenario::run(scn, &RunOptions::default())
}

fn ladder_of(o: &Outcome, opts: &LadderOptions) -> ladder::Ladder {
    ladder::build(&o.world, o.world.trace().records(), opts)
}

/// A fault rule flips one bit of alice's 2nd frame; the hub repeats it damaged to carol and to
/// the switch, which both drop it.
const HUB_FAULT: &str = include_str!("fixtures/hub_fault.toml");

use support::netlab;

fn scratch(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("netlab-views-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn ladder_of_switch_learning() {
    let o = run(&load("scenarios/switch-learning.toml"));
    let text = ladder_of(&o, &LadderOptions::default()).to_text();
    let expected = r#"
    time (s)       alice          bob          carol          dave
                     │             │             │             │
 0.001000000         ├────────────►│             │             │        raw "are you there, bob?"
 0.001000000         ├──────────────────────────✗│             │        raw "are you there, bob?"  ✗ dropped at carol: not-for-me
 0.001000000         ├────────────────────────────────────────✗│        raw "are you there, bob?"  ✗ dropped at dave: not-for-me
 0.002000000         │◄────────────┤             │             │        raw "yes"
 0.003000000         ├────────────►│             │             │        raw "good: now the switch knows us both"
"#;
    assert_eq!(text, expected.trim_start_matches('\n'), "got:\n{text}");
}

#[test]
fn ladder_marks_drops_on_the_way_and_at_the_receiver() {
    let scn = Scenario::parse("hub-fault.toml", HUB_FAULT).unwrap();
    let o = run(&scn);
    let text = ladder_of(&o, &LadderOptions::default()).to_text();
    // Columns by topology: carol shares alice's hub, bob is behind the switch.
    let expected = r#"
    time (s)       alice         carol          bob
                     │             │             │
 0.001000000         ├────────────✗│             │        raw "one"  ✗ dropped at carol: not-for-me
 0.001000000         ├──────────────────────────►│        raw "one"
 0.002000000         ├────────────✗│             │        raw "two" [1 bit flipped]  ✗ dropped at carol: bad-fcs
 0.002000000         ├───────────────────✗       │        raw "two" [1 bit flipped]  ✗ dropped at sw1: bad-fcs
 0.003000000         │◄──────────────────────────┤        raw "three"
 0.003000000         │             │✗────────────┤        raw "three"  ✗ dropped at carol: not-for-me
"#;
    assert_eq!(text, expected.trim_start_matches('\n'), "got:\n{text}");
}

#[test]
fn all_nodes_draws_every_hop() {
    let scn = Scenario::parse("hub-fault.toml", HUB_FAULT).unwrap();
    let o = run(&scn);
    let l = ladder_of(
        &o,
        &LadderOptions {
            all_nodes: true,
            ..Default::default()
        },
    );
    // Every node a column, in the order of the cables: alice, her hub and carol on it, the
    // switch behind the hub, bob on the switch.
    assert_eq!(l.columns, ["alice", "hub1", "carol", "sw1", "bob"]);
    let hops = o
        .world
        .trace()
        .records()
        .iter()
        .filter(|r| matches!(r.event, TraceEvent::FrameTx { .. }))
        .count();
    assert_eq!(l.arrows.len(), hops, "one arrow per transmission");
    let dropped: Vec<String> = l
        .arrows
        .iter()
        .filter_map(|a| match &a.fate {
            Fate::Dropped { at, reason, .. } => Some(format!("{at}: {reason}")),
            Fate::Delivered => None,
        })
        .collect();
    assert_eq!(
        dropped,
        [
            "at carol: not-for-me",
            "at carol: bad-fcs",
            "at sw1: bad-fcs",
            "at carol: not-for-me"
        ]
    );
}

#[test]
fn ladder_counts_every_damaged_frame_of_the_noisy_link() {
    let o = run(&load("scenarios/noisy-link-fcs.toml"));
    let l = ladder_of(&o, &LadderOptions::default());
    let corrupted = o
        .world
        .link_counter(netlab::sim::LinkId(0), "corrupted_frames");
    let bad = l
        .arrows
        .iter()
        .filter(|a| matches!(&a.fate, Fate::Dropped { reason, reached: true, .. } if reason == "bad-fcs"))
        .count();
    assert_eq!(l.arrows.len(), 50);
    assert_eq!(Some(bad as u64), corrupted);
    assert!(l
        .arrows
        .iter()
        .all(|a| (a.flipped > 0) == matches!(a.fate, Fate::Dropped { .. })));
}

#[test]
fn ladder_shows_only_the_chosen_hosts_in_their_order() {
    let o = run(&load("scenarios/switch-learning.toml"));
    let bob = o.world.node_id("bob").unwrap();
    let alice = o.world.node_id("alice").unwrap();
    let l = ladder_of(
        &o,
        &LadderOptions {
            all_nodes: false,
            columns: vec![bob, alice],
        },
    );
    assert_eq!(l.columns, ["bob", "alice"]);
    let ends: Vec<(usize, Option<usize>)> = l.arrows.iter().map(|a| (a.from, a.to)).collect();
    assert_eq!(ends, [(1, Some(0)), (0, Some(1)), (1, Some(0))]);
    let text = l.to_text();
    assert!(text.contains("│◄────────────┤"), "{text}");
}

#[test]
fn ladder_svg_is_standalone_xml() {
    let scn = Scenario::parse("hub-fault.toml", HUB_FAULT).unwrap();
    let o = run(&scn);
    let l = ladder_of(&o, &LadderOptions::default());
    let svg = l.to_svg();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let groups = root.children().filter(|n| n.has_tag_name("g")).count();
    assert_eq!(groups, l.arrows.len(), "one group per arrow");
    for n in doc.descendants() {
        let name = n.tag_name().name();
        assert!(
            !matches!(name, "script" | "image" | "foreignObject" | "style" | "use"),
            "no scripts or external resources: <{name}>"
        );
        for a in n.attributes() {
            assert!(
                !a.value().contains("http") || a.name() == "xmlns",
                "external reference {}={}",
                a.name(),
                a.value()
            );
        }
    }
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"alice") && texts.contains(&"carol"));
    assert!(texts.contains(&"raw \"two\" [1 bit flipped]"), "{texts:?}");
    assert!(texts.contains(&"✗ dropped at sw1: bad-fcs"), "{texts:?}");
    // Tooltips have the whole description, addresses and size included.
    assert!(texts.iter().any(|t| t.contains("02:4e:4c:00:00:01 > 02:4e:4c:00:00:02, ethertype experimental (0x88b5), 64 bytes: \"two\"\n✗ dropped at sw1: bad-fcs")), "{texts:?}");
    // The label text comes back unescaped.
    assert!(texts.iter().any(|t| t.contains("\"three\"")));
}

#[test]
fn json_trace_has_one_parsable_line_per_record() {
    for path in [
        "scenarios/switch-learning.toml",
        "scenarios/noisy-link-fcs.toml",
        "scenarios/hub-versus-switch.toml",
    ] {
        let scn = load(path);
        let o = run(&scn);
        let texts = scn.action_texts();
        let view = TextView::new(&o.world, &texts);
        let recs = o.world.trace().records();
        let mut out = Vec::new();
        let n = json::write_jsonl(&view, recs, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(n, recs.len());
        assert_eq!(lines.len(), recs.len(), "{path}: one line per record");
        let mut last = 0;
        for (line, r) in lines.iter().zip(recs) {
            let v: serde_json::Value = serde_json::from_str(line).expect("every line parses");
            let t = v["time_ns"].as_u64().unwrap();
            assert_eq!(t, r.time.as_nanos());
            assert!(t >= last);
            last = t;
            assert_eq!(v["layer"], r.event.layer().name());
            assert!(v["kind"].as_str().is_some_and(|k| !k.is_empty()));
            assert_eq!(v["text"], view.what(r));
            if let TraceEvent::FrameTx { frame, link, .. } = &r.event {
                assert_eq!(v["kind"], "frame_tx");
                assert_eq!(v["frame"], json::hex(frame));
                assert_eq!(v["link"], o.world.link(*link).name);
            }
        }
    }
}

#[test]
fn cli_ladder_svg_and_trace_json() {
    let (code, out, _) = netlab(&[
        "ladder",
        "scenarios/switch-learning.toml",
        "--hosts",
        "alice,bob",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("    time (s)       alice          bob\n"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 2 + 3, "{out}");

    let svg = scratch("sl.svg");
    let (code, _, err) = netlab(&[
        "ladder",
        "scenarios/switch-learning.toml",
        "--all-nodes",
        "--svg",
        &svg,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("5 columns and 8 arrows"), "{err}");
    roxmltree::Document::parse(&std::fs::read_to_string(&svg).unwrap()).unwrap();

    let (code, _, err) = netlab(&["ladder", "scenarios/switch-learning.toml", "--hosts", "zoe"]);
    assert_eq!(code, 2);
    assert!(err.contains("no node called `zoe`"), "{err}");

    let jsonl = scratch("two.jsonl");
    let (code, _, err) = netlab(&[
        "run",
        "scenarios/two-hosts-one-cable.toml",
        "-q",
        "--trace-json",
        &jsonl,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(
        err.contains(&format!("wrote {} trace records", text.lines().count())),
        "{err}"
    );
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
}

#[test]
fn cli_pcap_flags() {
    let pcap = scratch("sl.pcapng");
    let (code, _, err) = netlab(&[
        "run",
        "scenarios/switch-learning.toml",
        "-q",
        "--pcap",
        &pcap,
        "--capture",
        "nobody",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no node or link called `nobody`"), "{err}");
    let (code, _, err) = netlab(&["run", "scenarios/switch-learning.toml", "-q", "--pcap-fcs"]);
    assert_eq!(code, 2, "--pcap-fcs needs --pcap: {err}");
    let (code, _, err) = netlab(&[
        "run",
        "scenarios/switch-learning.toml",
        "-q",
        "--pcap",
        &pcap,
        "--capture",
        "alice,bob--sw1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("wrote 6 frames (0 corrupted by netlab) on 2 interfaces"),
        "{err}"
    );
    let bytes = std::fs::read(&pcap).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0x0a, 0x0d, 0x0d, 0x0a],
        "a pcapng section header"
    );
}

#[test]
fn fault_rules_flip_bits_on_the_wire_after_the_tx_record() {
    let scn = Scenario::parse("hub-fault.toml", HUB_FAULT).unwrap();
    let o = run(&scn);
    let recs = o.world.trace().records();
    let hit = recs
        .iter()
        .find_map(|r| match r.event {
            TraceEvent::BitErrors { id, by_fault, .. } => Some((id, by_fault)),
            _ => None,
        })
        .expect("the fault rule flipped bits");
    assert!(hit.1);
    let sent = recs.iter().find_map(|r| match &r.event {
        TraceEvent::FrameTx { id, frame, .. } if *id == hit.0 => Some(frame.clone()),
        _ => None,
    });
    let got = recs.iter().find_map(|r| match &r.event {
        TraceEvent::FrameRx { id, frame, .. } if *id == hit.0 => Some(frame.clone()),
        _ => None,
    });
    let (sent, got) = (sent.unwrap(), got.unwrap());
    assert!(netlab::ethernet::check_fcs(&sent).is_ok(), "sent intact");
    assert!(
        netlab::ethernet::check_fcs(&got).is_err(),
        "received damaged"
    );
    let differing: u32 = sent
        .iter()
        .zip(got.iter())
        .map(|(a, b)| (a ^ b).count_ones())
        .sum();
    assert_eq!(differing, 1);
}

/// The text ladder of a TCP connection's whole life, as a learner sees it: ARP, the three-way
/// handshake, a request and its answer, the four-way close, with Wireshark's Info-column labels
/// and sequence numbers relative to each side's ISN.
#[test]
fn ladder_of_a_tcp_connection_snapshot() {
    let o = run(&load("scenarios/lessons/simplest-server.toml"));
    let cols = ["client", "server"]
        .map(|n| o.world.node_id(n).unwrap())
        .to_vec();
    let opts = LadderOptions {
        columns: cols,
        ..LadderOptions::default()
    };
    let text = ladder_of(&o, &opts).to_text();
    let expected = r#"
    time (s)       client        server
                     │             │
 1.000000000         ├────────────►│        ARP who-has 10.0.0.2 tell 10.0.0.1
 1.001005760         │◄────────────┤        ARP 10.0.0.2 is-at 02:4e:4c:00:00:01
 1.002011520         ├────────────►│        47553 → 8081 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=2410949680 TSecr=0 WS=1024
 1.003018400         │◄────────────┤        8081 → 47553 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=4033896733 TSecr=2410949680 WS=1024
 1.004025280         ├────────────►│        47553 → 8081 [ACK] Seq=1 Ack=1 Win=64512 Len=0 TSval=2410949684 TSecr=4033896733
 1.004025280         ├────────────►│        47553 → 8081 [PSH, ACK] Seq=1 Ack=1 Win=64512 Len=5 TSval=2410949684 TSecr=4033896733 "hello"
 1.005039120         │◄────────────┤        8081 → 47553 [ACK] Seq=1 Ack=6 Win=65536 Len=0 TSval=4033896735 TSecr=2410949684
 1.005039120         │◄────────────┤        8081 → 47553 [PSH, ACK] Seq=1 Ack=6 Win=65536 Len=7 TSval=4033896735 TSecr=2410949684 "helloSB"
 1.005039120         │◄────────────┤        8081 → 47553 [FIN, ACK] Seq=8 Ack=6 Win=65536 Len=0 TSval=4033896735 TSecr=2410949684
 1.006053120         ├────────────►│        47553 → 8081 [ACK] Seq=6 Ack=8 Win=64512 Len=0 TSval=2410949686 TSecr=4033896735
 1.006053120         ├────────────►│        47553 → 8081 [FIN, ACK] Seq=6 Ack=8 Win=64512 Len=0 TSval=2410949686 TSecr=4033896735
 1.006060320         ├────────────►│        47553 → 8081 [ACK] Seq=7 Ack=9 Win=64512 Len=0 TSval=2410949686 TSecr=4033896735
 1.007066560         │◄────────────┤        8081 → 47553 [ACK] Seq=9 Ack=7 Win=65536 Len=0 TSval=4033896737 TSecr=2410949686
 6.003018400         │◄────────────┤        ARP who-has 10.0.0.1 tell 10.0.0.2
 6.004024160         ├────────────►│        ARP 10.0.0.1 is-at 02:4e:4c:00:00:02
"#;
    assert_eq!(text, expected.trim_start_matches('\n'), "got:\n{text}");
}

/// The lost segment, then its retransmission marked as Wireshark marks it.
#[test]
fn ladder_marks_the_retransmission() {
    let o = run(&load("scenarios/lessons/retransmission.toml"));
    let l = ladder_of(&o, &LadderOptions::default());
    let texts: Vec<String> = l.arrows.iter().map(|a| a.text()).collect();
    let lost = r#"39690 → 8081 [PSH, ACK] Seq=1 Ack=1 Win=64512 Len=9 TSval=4033896734 TSecr=2410949683 "important"  ✗ dropped on client--server: fault"#;
    // The lost segment is the end of a write: Linux keeps that PSH when it sends the segment
    // again (Linux 6.18 under upstream packetdrill: cubic-rto-ss-ca-cwnd-bump.pkt's probe and
    // timeout, our psh-retransmit.pkt). The PSH that c2_data_rto_backoff.pcap's segment 13033
    // lost when resent was the one Linux forces on a TSO packet, not the end of a write.
    let again = r#"[TCP Retransmission] 39690 → 8081 [PSH, ACK] Seq=1 Ack=1 Win=64512 Len=9 TSval=4033896938 TSecr=2410949683 "important""#;
    let i = texts.iter().position(|t| t == lost).expect(lost);
    assert_eq!(texts[i + 1], again, "{texts:#?}");
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.contains("Retransmission"))
            .count(),
        1
    );
}

/// Where and why each lost frame of a ladder was dropped (`at r2: ttl-expired`), in order.
fn drops(l: &ladder::Ladder) -> Vec<String> {
    l.arrows
        .iter()
        .filter_map(|a| match &a.fate {
            Fate::Delivered => None,
            Fate::Dropped { at, reason, .. } => Some(format!("{at}: {reason}")),
        })
        .collect()
}

#[test]
fn ladder_ends_a_datagram_where_ip_dropped_it() {
    let o = run(&load("scenarios/routing-loop-ttl.toml"));
    let l = ladder_of(&o, &LadderOptions::default());
    assert_eq!(drops(&l), ["at r2: ttl-expired"]);
    let a = l.arrows.iter().find(|a| a.fate != Fate::Delivered).unwrap();
    // The arrow that carried the datagram into r2, from r1: it reached r2's column.
    assert_eq!(
        (
            l.columns[a.from].as_str(),
            a.to.map(|c| l.columns[c].as_str())
        ),
        ("r1", Some("r2"))
    );
    assert!(a.arrived.is_some());
    assert!(
        a.text().ends_with(
            "ICMP echo request, id 1, seq 1, length 64 (ttl 1)  ✗ dropped at r2: ttl-expired"
        ),
        "{}",
        a.text()
    );
    assert!(l.to_text().contains("├────────────✗│"), "{}", l.to_text());

    // traceroute: each router drops the probes whose TTL ends there, bob the ones for a port
    // nobody listens on.
    let o = run(&load("scenarios/traceroute-three-routers.toml"));
    let l = ladder_of(&o, &LadderOptions::default());
    let mut got = drops(&l);
    got.dedup();
    assert_eq!(
        got,
        [
            "at r1: ttl-expired",
            "at r2: ttl-expired",
            "at r3: ttl-expired",
            "at bob: port-unreachable"
        ]
    );
    assert_eq!(drops(&l).len(), 12);
    // The same with every hop drawn: the drop is on the last hop, into the router.
    let all = ladder_of(
        &o,
        &LadderOptions {
            all_nodes: true,
            ..LadderOptions::default()
        },
    );
    assert_eq!(drops(&all), drops(&l));
}

#[test]
fn ladder_ends_a_segment_where_tcp_dropped_it() {
    // Five forged SYNs fill listen(5)'s SYN queue: the real client's SYN is dropped by the
    // listener.
    let o = run(&load("scenarios/lessons/syn-flood.toml"));
    let l = ladder_of(&o, &LadderOptions::default());
    let syn_drops: Vec<String> = l
        .arrows
        .iter()
        .filter(|a| matches!(&a.fate, Fate::Dropped { reason, .. } if reason == "syn-queue-full"))
        .map(|a| a.text())
        .collect();
    assert!(!syn_drops.is_empty());
    assert!(
        syn_drops
            .iter()
            .all(|t| t.contains("[SYN]") && t.ends_with("✗ dropped at server: syn-queue-full")),
        "{syn_drops:#?}"
    );
}

/// Columns follow the cables (issue 13, item 15): a router stands between the LANs it joins, so
/// alice's frames to her gateway cross no other host's lifeline; `--hosts` still wins; the
/// browser view's ladder has the same columns.
#[test]
fn ladder_columns_follow_the_topology() {
    let names = |path: &str| ladder_of(&run(&load(path)), &LadderOptions::default()).columns;
    assert_eq!(
        names("scenarios/ping-across-router.toml"),
        ["alice", "r1", "bob"]
    );
    assert_eq!(
        names("scenarios/traceroute-three-routers.toml"),
        ["alice", "r1", "r2", "r3", "bob"]
    );
    assert_eq!(
        names("scenarios/lessons/subnet-gateway-broadcast.toml"),
        ["alice", "bob", "carol", "r1", "dave"]
    );
    // A LAN keeps the scenario's order.
    assert_eq!(
        names("scenarios/switch-learning.toml"),
        ["alice", "bob", "carol", "dave"]
    );

    // Every arrow of the ping goes between neighbouring columns.
    let o = run(&load("scenarios/ping-across-router.toml"));
    let l = ladder_of(&o, &LadderOptions::default());
    for a in &l.arrows {
        let to = a.to.expect("every frame has a receiver");
        assert_eq!(a.from.abs_diff(to), 1, "{} crosses a lifeline", a.label);
    }

    // Chosen columns keep the user's order.
    let bob = o.world.node_id("bob").unwrap();
    let alice = o.world.node_id("alice").unwrap();
    let chosen = LadderOptions {
        columns: vec![bob, alice],
        ..Default::default()
    };
    assert_eq!(ladder_of(&o, &chosen).columns, ["bob", "alice"]);

    // netlab view: the same order (node indices into the page's node list).
    let scn = load("scenarios/ping-across-router.toml");
    let data = netlab::browser::collect(&scn, &netlab::browser::ViewOptions::default());
    let cols: Vec<String> = data.json["ladder"]["cols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| data.json["nodes"][c.as_u64().unwrap() as usize]["name"].to_string())
        .collect();
    assert_eq!(cols, ["\"alice\"", "\"r1\"", "\"bob\""]);
}

/// The ladder marks duplicate ACKs and the fast retransmission as Wireshark does (issue 13,
/// item 16; tests/pcap_tshark.rs compares them with tshark's Info column).
#[test]
fn ladder_marks_dup_acks_and_the_fast_retransmission() {
    let o = run(&load("scenarios/tcp/fast-retransmit.toml"));
    let text = ladder_of(&o, &LadderOptions::default()).to_text();
    let dups: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[TCP Dup ACK "))
        .collect();
    assert!(dups.len() >= 3, "{text}");
    // Numbered 1, 2, 3… after the frame whose ACK they repeat: netlab's frame number.
    assert!(dups[0].contains("#1] 5001 → 39690 [ACK]"), "{}", dups[0]);
    assert!(dups[2].contains("#3] "), "{}", dups[2]);
    let fast: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[TCP Fast Retransmission] 39690 → 5001"))
        .collect();
    assert_eq!(fast.len(), 1, "{text}");
    assert!(!text.contains("[TCP Retransmission]"), "{text}");
}

/// netlab view labels each hop of a frame; a switch's copy keeps the label the frame got when
/// its host sent it, so a loss-free run through a switch shows no retransmission or duplicate
/// ACK (labelled afresh, each copy read as a resend of the frame before it).
#[test]
fn the_views_switch_copies_are_not_retransmissions() {
    let scn = load("scenarios/lessons/loop-server.toml");
    let o = run(&scn);
    let resent: u64 = ["server", "alice", "bob"]
        .iter()
        .filter_map(|n| o.world.node_id(n))
        .map(|id| o.world.node_counter(id, "tcp_retransmits").unwrap())
        .sum();
    assert_eq!(resent, 0);
    let data = netlab::browser::collect(&scn, &netlab::browser::ViewOptions::default());
    let labels = data.json["fr"]["label"].as_array().unwrap();
    let tcp = labels
        .iter()
        .filter(|l| l.to_string().contains(" → "))
        .count();
    assert!(tcp > 10);
    for l in labels {
        let l = l.as_str().unwrap();
        assert!(
            !l.contains("Retransmission") && !l.contains("Dup ACK"),
            "{l}"
        );
    }
}

/// `netlab ladder` and `netlab tcpgraph` draw from the records as they stream past, keeping
/// only what they draw (a 1 GB transfer's ladder kept the whole run, 2.3 GB, before): the
/// pictures are those of the whole recorded run, drops and retransmissions included.
#[test]
fn streamed_pictures_equal_those_of_the_recorded_run() {
    use netlab::views::tcpgraph::{self, ConnectionCollector};
    for path in [
        "scenarios/noisy-link-fcs.toml",
        "scenarios/tcp/loss5-sack-versus-textbook.toml",
        "scenarios/switch-loop-stp.toml",
    ] {
        let scn = load(path);
        let recorded = run(&scn);
        for all_nodes in [false, true] {
            let opts = LadderOptions {
                all_nodes,
                columns: Vec::new(),
            };
            let mut builder = ladder::LadderBuilder::new(opts.clone());
            let (streamed, io) =
                scenario::run_streaming(&scn, &RunOptions::default(), &mut [&mut builder]);
            io.unwrap();
            let from_stream = builder.into_ladder(&streamed.world);
            let from_records = ladder_of(&recorded, &opts);
            assert!(!from_records.arrows.is_empty(), "{path}");
            assert_eq!(from_stream.to_text(), from_records.to_text(), "{path}");
            assert_eq!(from_stream.to_svg(), from_records.to_svg(), "{path}");
        }
        let mut collector = ConnectionCollector::new();
        let (streamed, io) =
            scenario::run_streaming(&scn, &RunOptions::default(), &mut [&mut collector]);
        io.unwrap();
        let from_stream = collector.into_connections(&streamed.world);
        let from_records = tcpgraph::connections(&recorded.world, recorded.world.trace().records());
        assert_eq!(
            format!("{from_stream:?}"),
            format!("{from_records:?}"),
            "{path}"
        );
    }
}
