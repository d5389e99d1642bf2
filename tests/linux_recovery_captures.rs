//! netlab's `linux` profile against captures of the real Linux 6.18 stack (ORACLES.md §3),
//! read by tshark on both sides, field by field where they must agree; where they differ by
//! design the test prints both.
//!
//! - (c2) `c2_data_rto_backoff.pcap` versus `scenarios/tcp/blackhole-tlp-rto-frto.toml`: the
//!   initial window, the tail-loss probe (new data), the retransmission timer doubling from
//!   200 ms (intervals within 5 %), F-RTO's two new segments once the path is back.
//! - (c) `c_1MB_loss5_cubic.pcap` versus `scenarios/tcp/loss5-sack-versus-textbook.toml`:
//!   SACK blocks on the receiver's ACKs, retransmissions about as many as the losses, no
//!   timeout; the textbook profile needs its timer.
//!
//! The two captures are copied into `tests/fixtures/linux/` from `shared/anchors/linux/`
//! (`tests/linux_captures.rs` compares the others).
//! Without tshark the tests say so and fail when `CI` is set.

mod support;

use netlab::scenario::{self, Outcome, RunOptions, Scenario};
use netlab::trace::{PhyDrop, TraceEvent};
use netlab::views::pcap::{self, CapturePoint, PcapOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One TCP segment as tshark reads it.
#[derive(Clone, Debug)]
struct Seg {
    time: f64,
    src: String,
    /// Relative sequence number.
    seq: u64,
    len: u64,
    sack: bool,
    retransmission: bool,
}

fn segments(file: &Path) -> Vec<Seg> {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(["-Y", "tcp", "-T", "fields", "-E", "separator=|"])
        .args(["-e", "frame.time_relative", "-e", "ip.src", "-e", "tcp.seq"])
        .args(["-e", "tcp.len", "-e", "tcp.options.sack_le"])
        .args(["-e", "tcp.analysis.retransmission"])
        .args(["-e", "tcp.analysis.fast_retransmission"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark failed on {}", file.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            Seg {
                time: f[0].parse().unwrap(),
                src: f[1].to_string(),
                seq: f[2].parse().unwrap_or(0),
                len: f[3].parse().unwrap_or(0),
                sack: !f[4].is_empty(),
                retransmission: !f[5].is_empty() || !f[6].is_empty(),
            }
        })
        .collect()
}

fn run(path: &str) -> Outcome {
    let file = root().join(path);
    let scn = Scenario::load(file.to_str().unwrap()).expect("scenario loads");
    let o = scenario::run(&scn, &RunOptions::default());
    assert!(o.passed(), "{path} passes its own expectations");
    o
}

/// A capture of the run at `node`, as tcpdump on its interface would take it.
fn capture(o: &Outcome, node: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netlab-linux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let point = CapturePoint::resolve(&o.world, node).unwrap();
    let opts = PcapOptions {
        fcs: false,
        points: vec![point],
        comment: None,
    };
    pcap::write_file(&o.world, o.world.trace().records(), &opts, &path).expect("pcap written");
    path
}

/// The shape of (c2) in a capture: the client's data segments.
#[derive(Debug)]
struct C2 {
    /// Segments of the first flight (until a gap of more than 1 ms).
    flight: usize,
    /// The probe: gap after the flight (s) and its relative sequence number.
    probe_gap: f64,
    probe_seq: u64,
    /// Times of the retransmissions of the first segment.
    rto_times: Vec<f64>,
    /// Sequence numbers of the first two data segments after the last of those.
    after: Vec<u64>,
    full_size: u64,
}

fn c2_shape(segs: &[Seg], client: &str) -> C2 {
    let data: Vec<&Seg> = segs
        .iter()
        .filter(|s| s.src == client && s.len > 0)
        .collect();
    let mut flight = 1;
    while flight < data.len() && data[flight].time - data[flight - 1].time < 0.001 {
        flight += 1;
    }
    let probe = data[flight];
    let rto: Vec<&Seg> = data[flight + 1..]
        .iter()
        .copied()
        .filter(|s| s.seq == 1)
        .collect();
    let last = rto.last().expect("retransmissions of the first segment");
    let after = data
        .iter()
        .filter(|s| s.time >= last.time && s.seq != 1)
        .take(2)
        .map(|s| s.seq)
        .collect();
    C2 {
        flight,
        probe_gap: probe.time - data[flight - 1].time,
        probe_seq: probe.seq,
        rto_times: rto.iter().map(|s| s.time).collect(),
        after,
        full_size: data.iter().map(|s| s.len).max().unwrap(),
    }
}

#[test]
fn blackhole_matches_linux_c2() {
    if !support::tshark_available("the comparison with Linux's recovery captures was") {
        return;
    }
    let linux = c2_shape(
        &segments(&root().join("tests/fixtures/linux/c2_data_rto_backoff.pcap")),
        "10.200.0.1",
    );
    let o = run("scenarios/tcp/blackhole-tlp-rto-frto.toml");
    let ours = c2_shape(&segments(&capture(&o, "client", "c2.pcapng")), "10.0.0.1");
    println!("linux:  {linux:?}\nnetlab: {ours:?}");
    // The initial window: 10 segments of MSS − 12 (timestamps) bytes.
    assert_eq!(
        (ours.flight, ours.full_size),
        (linux.flight, linux.full_size)
    );
    assert_eq!((ours.flight, ours.full_size), (10, 1448));
    // The probe is the next new segment. Its timing differs by design: Linux's timer wheel
    // ticks every 4 ms (HZ=250), netlab's PTO of 2·SRTT + 2 ms fires on time.
    assert_eq!(ours.probe_seq, linux.probe_seq);
    println!(
        "probe after the flight: linux {:.2} ms, netlab {:.2} ms (by design: jiffies)",
        linux.probe_gap * 1e3,
        ours.probe_gap * 1e3
    );
    assert!(linux.probe_gap > 0.001 && linux.probe_gap < 0.010);
    assert!(ours.probe_gap > 0.001 && ours.probe_gap < 0.010);
    // As many timeout retransmissions, at intervals within 5 % (the first measured from the
    // probe, after which Linux re-arms the timer).
    assert_eq!(ours.rto_times.len(), linux.rto_times.len());
    let intervals = |c: &C2, probe_at: f64| {
        let mut v = vec![c.rto_times[0] - probe_at];
        v.extend(c.rto_times.windows(2).map(|w| w[1] - w[0]));
        v
    };
    let l = intervals(&linux, 2.000561 + linux.probe_gap);
    let first_data = 1.000_021_376; // netlab's flight leaves with the handshake's last ACK
    let n = intervals(&ours, first_data + ours.probe_gap);
    for (a, b) in l.iter().zip(&n) {
        let rel = (a - b).abs() / a;
        println!(
            "RTO interval: linux {:.1} ms, netlab {:.1} ms",
            a * 1e3,
            b * 1e3
        );
        assert!(
            rel <= 0.05,
            "interval {b} vs Linux's {a}: {:.1} % apart",
            rel * 100.0
        );
    }
    // F-RTO: two new segments right after the acknowledged retransmission.
    assert_eq!(ours.after, linux.after);
    assert!(ours.after.iter().all(|&s| s > ours.probe_seq));
}

/// Data segments the random loss took on `cable` (ACKs are shorter than 100 bytes).
fn data_losses(o: &Outcome, cable: &str) -> usize {
    let cable = o.world.link_id(cable).expect("the cable exists");
    o.world
        .trace()
        .records()
        .iter()
        .filter(|r| {
            matches!(
                &r.event,
                TraceEvent::FrameDropped { reason: PhyDrop::RandomLoss, frame, link, .. }
                    if frame.len() > 100 && *link == cable
            )
        })
        .count()
}

/// Data segments from `src` that carry nothing new: retransmissions, counted from sequence
/// numbers (tshark calls a quick one "out-of-order" rather than a retransmission).
fn resent(segs: &[Seg], src: &str) -> usize {
    let mut top = 0;
    let mut n = 0;
    for s in segs.iter().filter(|s| s.src == src && s.len > 0) {
        if s.seq + s.len <= top {
            n += 1;
        }
        top = top.max(s.seq + s.len);
    }
    n
}

#[test]
fn loss5_matches_linux_c() {
    if !support::tshark_available("the comparison with Linux's recovery captures was") {
        return;
    }
    let linux = segments(&root().join("tests/fixtures/linux/c_1MB_loss5_cubic.pcap"));
    let l_data = linux
        .iter()
        .filter(|s| s.src == "10.200.0.1" && s.len > 0)
        .count();
    let l_rtx = resent(&linux, "10.200.0.1");
    let l_sack = linux
        .iter()
        .filter(|s| s.src == "10.200.0.2" && s.sack)
        .count();
    let o = run("scenarios/tcp/loss5-sack-versus-textbook.toml");
    let ours = segments(&capture(&o, "linux_client", "c.pcapng"));
    let n_data = ours
        .iter()
        .filter(|s| s.src == "10.0.1.1" && s.len > 0)
        .count();
    let n_rtx = resent(&ours, "10.0.1.1");
    let n_flagged = ours
        .iter()
        .filter(|s| s.src == "10.0.1.1" && s.retransmission)
        .count();
    let n_sack = ours
        .iter()
        .filter(|s| s.src == "10.0.1.2" && s.sack)
        .count();
    let lost = data_losses(&o, "linux_lossy");
    let id = o.world.node_id("linux_client").unwrap();
    let timeouts = o.world.node_counter(id, "tcp_timeouts").unwrap();
    let tb = o.world.node_id("textbook_client").unwrap();
    let tb_timeouts = o.world.node_counter(tb, "tcp_timeouts").unwrap();
    println!(
        "linux:  {l_data} data segments, {l_rtx} retransmissions, {l_sack} ACKs with SACK (51 lost)\n\
         netlab: {n_data} data segments, {n_rtx} retransmissions, {n_sack} ACKs with SACK, \
         ({n_flagged} flagged by tshark), {lost} data segments lost, {timeouts} timeouts \
         (textbook: {tb_timeouts})"
    );
    // Both: SACK blocks on the ACKs after a hole, and retransmissions about equal to the
    // losses (a retransmission lost again goes twice; a lost ACK costs nothing).
    assert!(l_sack > 0 && n_sack > 0);
    assert!(l_rtx.abs_diff(51) <= 3);
    assert!(
        n_rtx.abs_diff(lost) <= 5,
        "{n_rtx} retransmissions for {lost} losses"
    );
    assert_eq!(timeouts, 0);
    assert!(tb_timeouts > 0);
    // The same 1 MiB in 1448-byte segments: the new data segments agree within the losses.
    assert!((n_data - n_rtx).abs_diff(l_data - l_rtx) <= 2);
}
