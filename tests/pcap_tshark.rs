//! netlab's capture files, checked by an outside oracle: tshark (Wireshark's command line).
//!
//! For each scenario and capture point we write a pcapng file and ask tshark, with FCS and
//! checksum verification on (`eth.check_fcs`, `ip/tcp/udp.check_checksum`):
//! - no malformed packet, and no expert error other than the bad FCS of frames netlab corrupted;
//! - exactly as many bad-FCS frames as netlab's trace says were damaged at that capture point
//!   (frames that arrived with an FCS netlab's own receiver check rejects), and they are exactly
//!   the frames whose packet comment says `corrupted by netlab`;
//! - as many frames as the trace has transmissions (links) or transmissions + receptions
//!   (nodes) there, at the simulated times to the nanosecond.
//!
//! Without tshark the tests say so loudly and fail when `CI` is set (CI installs it, see
//! `.ci/run`); on a developer's machine they pass with the warning.

use netlab::ethernet::check_fcs;
use netlab::scenario::{self, Outcome, RunOptions, Scenario};
use netlab::sim::LinkId;
use netlab::trace::pcap::{self, CapturePoint, PcapOptions};
use netlab::trace::TraceEvent;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHECKS: &[&str] = &[
    "-o",
    "eth.check_fcs:TRUE",
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
];

/// Whether tshark can run here. Prints a loud warning if not, and panics under CI.
fn tshark_available() -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        // Straight to the process's stderr: the test harness captures `eprintln!` of passing
        // tests, and this warning must be seen.
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n\
             **********************************************************************\n\
             *** WARNING: tshark is not installed: the pcap files netlab writes ***\n\
             *** were NOT validated. Install it with                            ***\n\
             ***   DEBIAN_FRONTEND=noninteractive apt-get install -y tshark     ***\n\
             **********************************************************************\n"
        );
        if std::env::var_os("CI").is_some() {
            panic!("tshark is required under CI (CI is set) and it is missing");
        }
    }
    ok
}

/// tshark's output: one line per displayed frame with the given fields.
fn tshark(file: &Path, filter: Option<&str>, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(file).args(CHECKS);
    if let Some(f) = filter {
        cmd.args(["-Y", f]);
    }
    cmd.args(["-T", "fields", "-E", "separator=|"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed on {} with filter {filter:?}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netlab-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(path: &str) -> Outcome {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let scn = Scenario::load(file.to_str().unwrap()).expect("scenario loads");
    scenario::run(&scn, &RunOptions::default())
}

fn run_text(name: &str, text: &str) -> Outcome {
    let scn = Scenario::parse(name, text).expect("scenario parses");
    scenario::run(&scn, &RunOptions::default())
}

/// What netlab's trace says a capture point should hold: (frames, frames with a bad FCS).
/// Counted from the trace itself, not from the pcap module.
fn expected(o: &Outcome, point: Option<CapturePoint>) -> (usize, usize) {
    let recs = o.world.trace().records();
    let on = |l: &LinkId| match point {
        None => true,
        Some(CapturePoint::Link(x)) => x == *l,
        Some(CapturePoint::Node(_)) => false,
    };
    let at = |n: Option<netlab::sim::NodeId>| matches!(point, Some(CapturePoint::Node(x)) if Some(x) == n);
    let mut frames = 0;
    let mut bad = 0;
    for r in recs {
        match &r.event {
            TraceEvent::FrameTx { link, frame, .. } => {
                if on(link) {
                    // A link capture shows the copy that came out of the far end; it is damaged
                    // exactly when that end's FrameRx is (below).
                    frames += 1;
                }
                if at(r.node) {
                    frames += 1;
                    bad += usize::from(check_fcs(frame).is_err());
                }
            }
            TraceEvent::FrameRx { link, frame, .. } => {
                let damaged = usize::from(check_fcs(frame).is_err());
                if on(link) {
                    bad += damaged;
                }
                if at(r.node) {
                    frames += 1;
                    bad += damaged;
                }
            }
            _ => {}
        }
    }
    (frames, bad)
}

/// Frames netlab's trace says had bits flipped (BitErrors records) on the captured links.
fn bit_error_records(o: &Outcome, point: Option<CapturePoint>) -> usize {
    o.world
        .trace()
        .records()
        .iter()
        .filter(|r| match (&r.event, point) {
            (TraceEvent::BitErrors { .. }, None) => true,
            (TraceEvent::BitErrors { link, .. }, Some(CapturePoint::Link(l))) => *link == l,
            _ => false,
        })
        .count()
}

/// Writes the capture, runs every tshark check, returns (frames, bad FCS) as tshark counted them.
fn check(o: &Outcome, file: &str, fcs: bool, point: Option<CapturePoint>) -> (usize, usize) {
    let path = scratch(file);
    let opts = PcapOptions {
        fcs,
        points: point.into_iter().collect(),
        comment: Some(format!("test {file}")),
    };
    let recs = o.world.trace().records();
    let cap = pcap::write_file(&o.world, recs, &opts, &path).expect("pcap written");
    let (want_frames, want_bad) = expected(o, point);

    // Every frame, with its time and FCS verdict.
    let all = tshark(
        &path,
        None,
        &["frame.number", "frame.time_epoch", "eth.fcs.status"],
    );
    assert_eq!(
        all.len(),
        want_frames,
        "{file}: frame count, tshark vs trace"
    );
    assert_eq!(cap.packets.len(), want_frames, "{file}: frames written");
    for (line, p) in all.iter().zip(&cap.packets) {
        let epoch = line.split('|').nth(1).unwrap();
        let (s, frac) = epoch.split_once('.').unwrap();
        let ns: u64 = s.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap();
        assert_eq!(ns, p.time.as_nanos(), "{file}: timestamp of frame {line}");
    }

    let malformed = tshark(&path, Some("_ws.malformed"), &["frame.number"]);
    assert!(
        malformed.is_empty(),
        "{file}: malformed frames {malformed:?}"
    );

    let bad_fcs = tshark(&path, Some("eth.fcs.status == 0"), &["frame.number"]);
    let errors = tshark(
        &path,
        Some("_ws.expert.severity >= error"),
        &["frame.number"],
    );
    let commented = tshark(
        &path,
        Some("frame.comment contains \"corrupted by netlab\""),
        &["frame.number"],
    );
    if fcs {
        assert_eq!(bad_fcs.len(), want_bad, "{file}: bad FCS, tshark vs trace");
        assert_eq!(cap.damaged(), want_bad, "{file}: frames marked damaged");
        assert_eq!(
            errors, bad_fcs,
            "{file}: the only errors are the FCS of corrupted frames"
        );
        assert_eq!(
            commented, bad_fcs,
            "{file}: bad FCS exactly on the frames commented as corrupted"
        );
        let good = tshark(&path, Some("eth.fcs.status == 1"), &["frame.number"]);
        assert_eq!(
            good.len() + bad_fcs.len(),
            want_frames,
            "{file}: every FCS checked"
        );
    } else {
        assert!(
            bad_fcs.is_empty() && errors.is_empty(),
            "{file}: {errors:?}"
        );
        assert_eq!(
            commented.len(),
            want_bad,
            "{file}: corrupted frames commented"
        );
    }
    eprintln!(
        "{file}: tshark read {} frames, {} with a bad FCS (netlab's trace: {want_frames} frames, {want_bad} damaged)",
        all.len(),
        bad_fcs.len()
    );
    (all.len(), bad_fcs.len())
}

#[test]
fn switch_learning_capture_is_clean() {
    if !tshark_available() {
        return;
    }
    let o = run("scenarios/switch-learning.toml");
    assert_eq!(check(&o, "switch-learning.pcapng", true, None), (8, 0));
    assert_eq!(
        check(&o, "switch-learning-nofcs.pcapng", false, None),
        (8, 0)
    );
    // alice sends 2 frames and receives 1; carol only receives the flooded one.
    let alice = CapturePoint::resolve(&o.world, "alice").unwrap();
    assert_eq!(check(&o, "sl-alice.pcapng", true, Some(alice)), (3, 0));
    let carol = CapturePoint::resolve(&o.world, "carol").unwrap();
    assert_eq!(check(&o, "sl-carol.pcapng", true, Some(carol)), (1, 0));
    let sw = CapturePoint::resolve(&o.world, "sw1").unwrap();
    assert_eq!(check(&o, "sl-sw1.pcapng", true, Some(sw)), (8, 0));
    let link = CapturePoint::resolve(&o.world, "bob--sw1").unwrap();
    assert_eq!(check(&o, "sl-bob-sw1.pcapng", true, Some(link)), (3, 0));
}

#[test]
fn noisy_link_bad_fcs_frames_are_the_corrupted_ones() {
    if !tshark_available() {
        return;
    }
    let o = run("scenarios/noisy-link-fcs.toml");
    let corrupted = bit_error_records(&o, None);
    assert!(corrupted >= 30, "{corrupted}");
    let (frames, bad) = check(&o, "noisy.pcapng", true, None);
    assert_eq!((frames, bad), (50, corrupted));
    // Without the FCS nothing is flagged (but the comments still tell).
    check(&o, "noisy-nofcs.pcapng", false, None);
    // The sender handed over intact frames; the receiver got the damaged copies.
    let sender = CapturePoint::resolve(&o.world, "sender").unwrap();
    assert_eq!(
        check(&o, "noisy-sender.pcapng", true, Some(sender)),
        (50, 0)
    );
    let receiver = CapturePoint::resolve(&o.world, "receiver").unwrap();
    assert_eq!(
        check(&o, "noisy-receiver.pcapng", true, Some(receiver)),
        (50, corrupted)
    );
}

/// A fault rule flips one bit of alice's 2nd frame; the hub repeats the damaged frame to carol
/// and to the switch, so three captured frames have a bad FCS for one BitErrors record.
const HUB_FAULT: &str = r#"
[scenario]
description = "A hub and a switch; the 2nd frame alice sends is damaged on her cable."
[[host]]
name = "alice"
[[host]]
name = "bob"
[[host]]
name = "carol"
[[hub]]
name = "hub1"
[[switch]]
name = "sw1"
ports = 4
[[link]]
between = ["alice", "hub1"]
[[link]]
between = ["carol", "hub1"]
[[link]]
between = ["hub1", "sw1"]
[[link]]
between = ["bob", "sw1"]
[timeline]
steps = '''
0   link alice--hub1 corrupt bits=200 nth=2
1ms alice send-frame to=bob text="one"
2ms alice send-frame to=bob text="two"
3ms bob send-frame to=alice text="three"
'''
[expect]
checks = '''
end sw1.fcs_errors == 1
end carol.fcs_errors == 1
'''
"#;

#[test]
fn a_hub_passes_damage_on_and_the_capture_says_so() {
    if !tshark_available() {
        return;
    }
    let o = run_text("hub-fault.toml", HUB_FAULT);
    assert!(o.passed());
    assert_eq!(bit_error_records(&o, None), 1);
    assert_eq!(check(&o, "hub-fault.pcapng", true, None), (11, 3));
    let l = CapturePoint::resolve(&o.world, "alice--hub1").unwrap();
    assert_eq!(bit_error_records(&o, Some(l)), 1);
    assert_eq!(check(&o, "hub-fault-alice.pcapng", true, Some(l)), (3, 1));
    // The hub receives 1 damaged frame and sends 2 damaged copies on.
    let hub = CapturePoint::resolve(&o.world, "hub1").unwrap();
    assert_eq!(check(&o, "hub-fault-hub1.pcapng", true, Some(hub)), (9, 3));
    check(&o, "hub-fault-nofcs.pcapng", false, None);
}

#[test]
fn every_shipped_scenario_but_the_storm_gives_a_clean_capture() {
    if !tshark_available() {
        return;
    }
    for f in [
        "broadcast-flooding",
        "hub-versus-switch",
        "two-hosts-one-cable",
    ] {
        let o = run(&format!("scenarios/{f}.toml"));
        check(&o, &format!("{f}.pcapng"), true, None);
    }
}

#[test]
fn the_cli_writes_a_capture_tshark_reads() {
    if !tshark_available() {
        return;
    }
    let path = scratch("cli-noisy.pcapng");
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["run", "scenarios/noisy-link-fcs.toml", "--quiet", "--pcap"])
        .arg(&path)
        .args(["--pcap-fcs", "--capture", "receiver"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let o = run("scenarios/noisy-link-fcs.toml");
    let corrupted = bit_error_records(&o, None);
    assert!(
        err.contains(&format!(
            "wrote 50 frames ({corrupted} corrupted by netlab) on 1 interface to"
        )),
        "{err}"
    );
    let names = tshark(&path, None, &["frame.interface_name"]);
    assert!(names.iter().all(|n| n == "receiver:eth0"), "{names:?}");
    let bad = tshark(&path, Some("eth.fcs.status == 0"), &["frame.number"]);
    assert_eq!(bad.len(), corrupted);
}

/// TCP scenarios give clean captures (checksums right, nothing malformed), and Wireshark's own
/// TCP analysis sees in them what the scenarios say happens.
#[test]
fn tcp_scenarios_look_right_to_wireshark() {
    if !tshark_available() {
        return;
    }
    let count =
        |file: &str, filter: &str| tshark(&scratch(file), Some(filter), &["frame.number"]).len();
    // `check` also fails on any expert error, which a bad TCP checksum is (CHECKS turns the
    // checksum validation on).
    let o = run("scenarios/tcp/handshake-and-close.toml");
    check(&o, "tcp-handshake-and-close.pcapng", true, None);
    // The lost segment shows as a gap, the duplicate ACKs and the fast retransmission as such.
    let o = run("scenarios/tcp/fast-retransmit.toml");
    check(&o, "tcp-fast-retransmit.pcapng", true, None);
    let file = "tcp-fast-retransmit.pcapng";
    assert_eq!(count(file, "tcp.analysis.lost_segment"), 1);
    assert_eq!(count(file, "tcp.analysis.fast_retransmission"), 1);
    assert!(count(file, "tcp.analysis.duplicate_ack") >= 3);
    // Zero windows, and probes Wireshark labels keep-alives, as it does Linux's (ORACLES 1.3).
    let o = run("scenarios/tcp/zero-window.toml");
    check(&o, "tcp-zero-window.pcapng", true, None);
    let file = "tcp-zero-window.pcapng";
    assert_eq!(count(file, "tcp.analysis.keep_alive"), 4);
    assert!(count(file, "tcp.analysis.zero_window") >= 5);
    assert!(count(file, "tcp.analysis.window_update") >= 1);
    assert_eq!(count(file, "tcp.analysis.retransmission"), 0);
}
