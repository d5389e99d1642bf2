//! Inputs a fuzzing campaign found mishandled, through the `netlab` binary: each ends with a
//! located error (the file, the packet or line, what is wrong), never a panic, a silent wrong
//! result or unbounded memory. The captures are built here, a few packets each.

mod support;

use std::path::PathBuf;
use support::netlab;

fn temp(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("netlab-bad-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// An Ethernet frame with an IPv4 TCP segment of no payload from 10.0.0.1:40000 (the client)
/// or to it.
fn tcp_frame(from_client: bool, seq: u32, ack: u32, flags: u8) -> Vec<u8> {
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let (src, dst, sp, dp) = if from_client {
        (a, b, 40000u16, 80u16)
    } else {
        (b, a, 80, 40000)
    };
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend(src);
    f.extend(dst);
    f.extend(sp.to_be_bytes());
    f.extend(dp.to_be_bytes());
    f.extend(seq.to_be_bytes());
    f.extend(ack.to_be_bytes());
    f.extend([0x50, flags]);
    f.extend(65535u16.to_be_bytes());
    f.extend([0, 0, 0, 0]);
    f
}

/// A classic pcap (microseconds, little-endian) of `linktype` holding a handshake, packet
/// `k` stamped `stamps[k]` seconds.
fn handshake_pcap(linktype: u32, stamps: [u32; 3]) -> Vec<u8> {
    let mut p = 0xa1b2c3d4u32.to_le_bytes().to_vec();
    p.extend([2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    p.extend(linktype.to_le_bytes());
    let frames = [
        tcp_frame(true, 100, 0, 0x02),
        tcp_frame(false, 500, 101, 0x12),
        tcp_frame(true, 101, 501, 0x10),
    ];
    for (f, sec) in frames.iter().zip(stamps) {
        p.extend(sec.to_le_bytes());
        p.extend(0u32.to_le_bytes());
        p.extend((f.len() as u32).to_le_bytes());
        p.extend((f.len() as u32).to_le_bytes());
        p.extend(f);
    }
    p
}

#[test]
fn replay_of_a_good_handshake_runs() {
    let cap = temp("good.pcap", &handshake_pcap(1, [1000, 1000, 1000]));
    let (code, out, err) = netlab(&["replay", &cap, "--as", "client"]);
    // Replayed: the hand-made segments differ from netlab's (no options), so exit 1.
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("0 of 2 segments agree with the capture"),
        "{out}"
    );
}

/// A timestamp earlier than the first packet's overflowed (a panic in debug builds) and then
/// failed in the generated script; a jump of a day and more failed there too.
#[test]
fn replay_names_the_packet_whose_timestamp_is_wrong() {
    let cap = temp("backwards.pcap", &handshake_pcap(1, [1000, 1000, 0]));
    let (code, out, err) = netlab(&["replay", &cap, "--as", "client"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!(
            "error: {cap} conversation 1: packet 3 is stamped 1000.000000000 s before packet 2"
        )),
        "{err}"
    );
    let cap = temp("jump.pcap", &handshake_pcap(1, [1000, 1000, u32::MAX]));
    let (code, out, err) = netlab(&["replay", &cap, "--as", "client"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("error: {cap} conversation 1: packet 3 is stamped 4294966295.000000000 s after the conversation's first packet (packet 1); a replay spans at most 86400 s")),
        "{err}"
    );
    assert!(!err.contains("script line"), "{err}");
}

/// An unknown link type read as a capture without TCP ("has 0 TCP conversation(s)").
#[test]
fn replay_names_an_unsupported_link_type() {
    let cap = temp("linktype.pcap", &handshake_pcap(0xffff, [1000, 1000, 1000]));
    let (code, _, err) = netlab(&["replay", &cap, "--as", "client"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("error: {cap}: link type 65535 is not supported: netlab replays Ethernet (1), raw IP (101, 228) and Linux cooked (113) captures")),
        "{err}"
    );
}

/// A pcapng cut inside a block's header was read as if it ended there (exit 0).
#[test]
fn replay_reports_a_truncated_pcapng() {
    fn block(ty: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = ty.to_le_bytes().to_vec();
        b.extend(len.to_le_bytes());
        b.extend(body);
        b.resize(len as usize - 4, 0);
        b.extend(len.to_le_bytes());
        b
    }
    let mut shb = 0x1a2b3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend(u64::MAX.to_le_bytes());
    let mut p = block(0x0a0d0d0a, &shb);
    p.extend(block(1, &[1, 0, 0, 0, 0, 0, 1, 0]));
    for (k, f) in [
        tcp_frame(true, 100, 0, 0x02),
        tcp_frame(false, 500, 101, 0x12),
    ]
    .iter()
    .enumerate()
    {
        let mut epb = vec![0u8; 8];
        epb.extend((k as u32).to_le_bytes());
        epb.extend((f.len() as u32).to_le_bytes());
        epb.extend((f.len() as u32).to_le_bytes());
        epb.extend(f);
        p.extend(block(6, &epb));
    }
    let whole = p.len();
    p.extend(&block(6, &[0; 40])[..7]);
    let cap = temp("cut.pcapng", &p);
    let (code, _, err) = netlab(&["replay", &cap, "--as", "client"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "error: {cap}: truncated block header at byte {whole}: the file ends 7 bytes into it"
        )),
        "{err}"
    );
}

/// An endless scenario file grew to 10 GB; it ends at the bound with the file's name.
#[test]
fn an_endless_scenario_file_is_refused() {
    let (code, out, err) = netlab(&["check", "/dev/zero"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("/dev/zero: cannot read the scenario file: it is longer than 64 MiB, the most netlab reads from one file"),
        "{out}"
    );
    let (code, out, err) = netlab(&["packetdrill", "/dev/zero"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("cannot read the script: it is longer than 64 MiB"),
        "{out}{err}"
    );
}

/// `sweep --counter NODE.TYPO` printed `-` in every row.
#[test]
fn sweep_refuses_an_unknown_counter() {
    let scn = temp(
        "sweep.toml",
        b"[scenario]\ndescription = \"x\"\n[[host]]\nname = \"a\"\nip = \"10.0.0.1/24\"\n\
          [[host]]\nname = \"b\"\nip = \"10.0.0.2/24\"\n[[link]]\nbetween = [\"a\", \"b\"]\n\
          [timeline]\nsteps = '''\n0s a ping b count=1\n'''\n",
    );
    let (code, out, err) = netlab(&["sweep", &scn, "--seeds", "1", "--counter", "a.rx_framez"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(
            "--counter `a.rx_framez`: a host has no counter `rx_framez`: expected one of "
        ),
        "{err}"
    );
}

/// Selections given twice, and a word after `--show`'s time, were taken silently: a ladder
/// drew one host as two columns, a sweep made two columns of one setting and used one of them,
/// `--show arp@a@1s@junk` ignored the junk. Each is now an error; `--jobs` beyond the number
/// of runs starts no more threads than runs.
#[test]
fn doubled_selections_and_trailing_words_are_refused() {
    let scn = temp(
        "twice.toml",
        b"[scenario]\ndescription = \"x\"\n[[host]]\nname = \"a\"\nip = \"10.0.0.1/24\"\n\
          [[host]]\nname = \"b\"\nip = \"10.0.0.2/24\"\n[[link]]\nbetween = [\"a\", \"b\"]\n\
          [timeline]\nsteps = '''\n0s a ping b count=1\n'''\n",
    );
    let (code, _, err) = netlab(&["ladder", &scn, "--hosts", "a,a"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`a` is named twice"), "{err}");
    let (code, _, err) = netlab(&["run", &scn, "--show", "arp@a@1s@junk"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unexpected `@junk`"), "{err}");
    let (code, _, err) = netlab(&[
        "sweep",
        &scn,
        "--seeds",
        "1",
        "--set",
        "link.a--b.loss=0.1",
        "--set",
        "link.a--b.loss=0.2",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`link.a--b.loss` is set twice"), "{err}");
    let (code, out, err) = netlab(&["sweep", &scn, "--seeds", "1..2", "--jobs", "100000"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 of 2 runs passed (2 threads)"), "{out}");
}
