//! The `netlab` binary: exit statuses and output a user relies on.

mod support;

use std::process::Command;

use support::netlab;

fn write_temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("netlab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn run_prints_the_log_and_passes() {
    let (code, out, _) = netlab(&["run", "scenarios/two-hosts-one-cable.toml"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("delivered #1 on eth0: \"hello\""), "{out}");
    assert!(out.contains("expectations: 6 passed, 0 failed"), "{out}");
}

#[test]
fn run_filters_by_layer() {
    let (code, out, _) = netlab(&["run", "scenarios/switch-learning.toml", "--layer", "switch"]);
    assert_eq!(code, 0);
    assert!(out.contains("learned 02:4e:4c:00:00:01 on port 1"));
    assert!(!out.contains(" phy "), "{out}");
}

#[test]
fn a_failed_expectation_exits_1() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/two-hosts-one-cable.toml"
    ))
    .unwrap()
    .replace("end bob.raw_delivered == 1", "end bob.raw_delivered == 5");
    let f = write_temp("fails.toml", &text);
    let (code, out, _) = netlab(&["check", &f]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(
        out.contains("end bob.raw_delivered == 5    (raw_delivered is 1)"),
        "{out}"
    );
}

#[test]
fn a_bad_scenario_exits_2_with_its_position() {
    let f = write_temp("typo.toml", "[scenario]\ndescriptoin = \"x\"\n");
    let (code, _, err) = netlab(&["run", &f]);
    assert_eq!(code, 2);
    assert!(
        err.contains("typo.toml:2:1: unknown key `descriptoin`"),
        "{err}"
    );
}

#[test]
fn check_passes_every_shipped_scenario() {
    let mut files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .filter(|p| p.ends_with(".toml"))
            .collect();
    files.sort();
    let mut args = vec!["check"];
    args.extend(files.iter().map(|s| s.as_str()));
    let (code, out, _) = netlab(&args);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("PASS")).count(),
        files.len()
    );
}

#[test]
fn bits_draws_a_frame() {
    let (code, out, _) = netlab(&["bits", "--text", "hi", "--coding", "nrz"]);
    assert_eq!(code, 0);
    assert!(out.contains("72 bytes on the wire (576 bits)"), "{out}");
    assert!(out.contains("SFD (1 byte): d5"), "{out}");
    let (code, out, _) = netlab(&["bits", "scenarios/two-hosts-one-cable.toml", "--frame", "1"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("frame: 02:4e:4c:00:00:01 > 02:4e:4c:00:00:02"),
        "{out}"
    );
}

/// `bits` labels every header's fields, not only Ethernet's: the byte-order lesson asks for
/// bytes 16–19 of the IP header, and the TCP, ARP fields are there too (issue 13, item 18).
#[test]
fn bits_labels_every_headers_fields() {
    let (code, out, _) = netlab(&["bits", "scenarios/lessons/byte-order.toml", "--frame", "5"]);
    assert_eq!(code, 0);
    for line in [
        "IPv4 Destination (4 bytes, bytes 16–19 of the IPv4 header): c0 a8 01 14",
        "UDP Destination port (2 bytes, bytes 2–3 of the UDP header): 27 0f",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    let server = "scenarios/lessons/simplest-server.toml";
    let (code, out, _) = netlab(&["bits", server, "--frame", "6"]);
    assert_eq!(code, 0);
    for line in [
        "TCP Header length, Flags (2 bytes, bytes 12–13 of the TCP header): 80 18",
        "  value 32 bytes (8); 0x018 (ACK, PSH) [P.]",
        "TCP Payload (5 bytes): 68 65 6c 6c 6f",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    let (code, out, _) = netlab(&["bits", server, "--frame", "1"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("ARP Target IP (4 bytes, bytes 24–27 of the ARP header): 0a 00 00 02"),
        "{out}"
    );
    // The SVG names the same fields.
    let dir = std::env::temp_dir().join(format!("netlab-cli-bits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bits.svg");
    let (code, out, err) = netlab(&[
        "bits",
        "scenarios/lessons/byte-order.toml",
        "--frame",
        "5",
        "--svg",
        path.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<?xml"), "{svg}");
    assert!(
        svg.contains(">IPv4 Destination (4 bytes, bytes 16–19 of the IPv4 header): c0 a8 01 14<"),
        "{svg}"
    );
    assert!(svg.contains(">192.168.1.20<"), "{svg}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["run", "scenarios/lessons/tcp-vs-udp-lossy.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("netlab runs");
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, like `| head`
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

/// `netlab sweep`: a table row per run in run order, a CSV that says the same, exit 1 when a
/// run fails, 2 with the valid names when a setting names no link.
#[test]
fn sweep_runs_a_grid_and_reports_each_run() {
    let csv = write_temp("sweep.csv", "");
    // 100 datagrams over a cable whose loss the sweep sets: at 0.9 the check fails.
    let scenario = write_temp(
        "sweep.toml",
        r#"[scenario]
description = "100 datagrams over a cable whose loss a sweep sets"
[[host]]
name = "tx"
ip = "10.0.2.1/24"
[[host]]
name = "rx"
ip = "10.0.2.2/24"
[[link]]
name = "udp_cable"
between = ["tx", "rx"]
[[host]]
name = "idle"
ip = "10.0.3.1/24"
[[host]]
name = "idle2"
ip = "10.0.3.2/24"
[[link]]
name = "tcp_cable"
between = ["idle", "idle2"]
[timeline]
steps = """
0s rx udp-sink port=5001 as=udp_sink
0s tx ping rx count=1 as=warm
1s tx udp-send to=rx:5001 count=100 size=1000 gap=1ms as=udp_send
"""
[expect]
checks = """
end udp_sink.messages_in > 70
"""
"#,
    );
    let (code, out, err) = netlab(&[
        "sweep",
        &scenario,
        "--seeds",
        "1..2",
        "--set",
        "link.udp_cable.loss=0,0.9",
        "--counter",
        "udp_cable.frames",
        "--csv",
        &csv,
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert!(
        rows[0].starts_with("seed  link.udp_cable.loss  result"),
        "{out}"
    );
    assert_eq!(rows.len(), 1 + 4 + 1, "{out}");
    assert!(
        rows[1].starts_with("1     0 ") && rows[4].starts_with("2     0.9"),
        "{out}"
    );
    assert!(
        out.contains("FAIL line") && out.ends_with("2 of 4 runs passed (2 threads)\n"),
        "{out}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        text.starts_with("seed,link.udp_cable.loss,passed,"),
        "{text}"
    );
    let (code, _, err) = netlab(&["sweep", &scenario, "--set", "link.nope.loss=0"]);
    assert_eq!(code, 2);
    assert!(err.contains("the links are udp_cable, tcp_cable"), "{err}");
}

/// `--tap` is checked before anything runs: its form, and its table as a `[[tap]]`'s, with
/// the error located in the `--tap` it came from.
#[test]
fn a_command_line_tap_is_checked_like_a_table() {
    let (code, _, err) = netlab(&["run", "scenarios/ping-one-lan.toml", "--tap", "nl0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--tap nl0: write NAME@ATTACH"), "{err}");
    let (code, _, err) = netlab(&["run", "scenarios/ping-one-lan.toml", "--tap", "nl0@sw9"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--tap nl0@sw9:3:10: no node called `sw9`"),
        "{err}"
    );
    let (code, _, err) = netlab(&[
        "run",
        "scenarios/ping-one-lan.toml",
        "--tap",
        "nl0@sw1,mtu=9000",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("after NAME@ATTACH come netns=NS"), "{err}");
    // A good one makes the scenario a real-time one.
    let (code, _, err) = netlab(&["run", "scenarios/ping-one-lan.toml", "--tap", "nl0@sw1"]);
    assert_eq!(code, 2);
    assert!(err.contains("add --realtime"), "{err}");
}

/// `--emit-jobs` writes one command per run; run as a cluster would (here one after another)
/// and merged with `--collect`, their CSVs are the whole sweep's CSV byte for byte.
#[test]
fn emitted_jobs_collected_give_the_sweeps_csv() {
    let dir = std::env::temp_dir().join(format!("netlab-jobs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let jobs = dir.join("jobs.txt").to_string_lossy().into_owned();
    let whole = dir.join("whole.csv").to_string_lossy().into_owned();
    let merged = dir.join("merged.csv").to_string_lossy().into_owned();
    let grid = [
        "scenarios/ping-one-lan.toml",
        "--seeds",
        "3..4",
        "--set",
        "link.alice--sw1.loss=0,0.2",
        "--counter",
        "alice.icmp_rx",
    ];
    let (code, _, err) = netlab(&[&["sweep"][..], &grid, &["--emit-jobs", &jobs]].concat());
    assert_eq!(code, 0, "{err}");
    let lines = std::fs::read_to_string(&jobs).unwrap();
    assert_eq!(lines.lines().count(), 4, "{lines}");
    for line in lines.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words[0], "netlab", "{line}");
        let (code, _, err) = netlab(&words[1..]);
        assert!(code <= 1, "{line}: {err}");
    }
    let parts: Vec<String> = (1..=4).map(|i| format!("{jobs}.{i:05}.csv")).collect();
    let mut args = vec!["sweep", "--collect"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--csv", &merged]);
    let (code, _, err) = netlab(&args);
    assert_eq!(code, 0, "{err}");
    let _ = netlab(&[&["sweep"][..], &grid, &["--csv", &whole]].concat());
    assert_eq!(
        std::fs::read_to_string(&merged).unwrap(),
        std::fs::read_to_string(&whole).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
