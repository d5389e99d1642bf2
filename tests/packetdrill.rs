//! packetdrill scripts run against netlab (`netlab packetdrill`).
//!
//! - `tests/packetdrill/*.pkt`: the project's own scripts, one per mechanism, written for
//!   Linux's behaviour. Each must pass, except those in `KNOWN_FAILURES`, which must fail (or be
//!   unsupported) exactly: a fix shows up as an unexpected pass, and the list is updated.
//! - `../shared/packetdrill/`: a selection of Google's upstream scripts (GPL data, kept out of
//!   this repository; CI places it beside the clone). Every script's result must be the one in
//!   `UPSTREAM`; the three runner self-tests must fail on the line after their `// Failure:`
//!   note. Missing scripts fail the test under CI and skip it (with a message) elsewhere.

use netlab::packetdrill::{self, run_file, Verdict};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Own scripts that do not pass yet, with what netlab lacks.
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

/// The expected result of every upstream script (path under ../shared/packetdrill/gtests/net/).
const UPSTREAM: &[(&str, &str)] = &[
    (
        "packetdrill/tests/bsd/fast_retransmit/fr-4pkt-sack-bsd.pkt",
        "FAIL",
    ),
    (
        "packetdrill/tests/linux/fast_retransmit/fr-4pkt-sack-linux.pkt",
        "PASS",
    ),
    (
        "packetdrill/tests/linux/packetdrill/socket_err.pkt",
        "FAIL (expected)",
    ),
    (
        "packetdrill/tests/linux/packetdrill/socket_wrong_err.pkt",
        "FAIL (expected)",
    ),
    ("packetdrill/tests/packet-timeout.pkt", "FAIL (expected)"),
    ("tcp/blocking/blocking-accept.pkt", "PASS"),
    ("tcp/blocking/blocking-connect.pkt", "PASS"),
    ("tcp/blocking/blocking-read.pkt", "PASS"),
    ("tcp/close/close-local-close-then-remote-fin.pkt", "PASS"),
    ("tcp/close/close-on-syn-sent.pkt", "PASS"),
    ("tcp/close/close-remote-fin-then-close.pkt", "PASS"),
    ("tcp/fast_retransmit/fr-4pkt-sack.pkt", "PASS"),
    ("tcp/fast_retransmit/fr-4pkt.pkt", "PASS"),
    ("tcp/ioctl/ioctl-siocinq-fin.pkt", "PASS"),
    ("tcp/mss/mss-getsockopt-tcp_maxseg-server.pkt", "PASS"),
    ("tcp/mss/mss-setsockopt-tcp_maxseg-client.pkt", "PASS"),
    ("tcp/mss/mss-setsockopt-tcp_maxseg-server.pkt", "PASS"),
    ("tcp/nagle/https_client.pkt", "PASS"),
    ("tcp/sack/sack-route-refresh-ip-tos.pkt", "PASS"),
    ("tcp/shutdown/shutdown-rd-close.pkt", "PASS"),
    ("tcp/shutdown/shutdown-rd-wr-close.pkt", "PASS"),
    ("tcp/shutdown/shutdown-rdwr-close.pkt", "PASS"),
    ("tcp/shutdown/shutdown-wr-close.pkt", "PASS"),
    ("tcp/syscall_bad_arg/syscall-invalid-buf-ptr.pkt", "PASS"),
    ("tcp/ts_recent/fin_tsval.pkt", "PASS"),
    ("tcp/ts_recent/invalid_ack.pkt", "PASS"),
    ("tcp/ts_recent/reset_tsval.pkt", "PASS"),
    ("tcp/user_timeout/user_timeout.pkt", "PASS"),
    ("tcp/validate/validate-established-no-flags.pkt", "PASS"),
];

fn status(r: &packetdrill::Report) -> String {
    match r.failed_as_expected() {
        Some(true) => "FAIL (expected)".into(),
        Some(false) => format!("{} (self-test NOT failing at its line)", r.status()),
        None => r.status().into(),
    }
}

fn run(path: &Path) -> packetdrill::Report {
    run_file(path, &[], &BTreeMap::new())
}

#[test]
fn own_scripts_pass_or_are_known_failures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packetdrill");
    let scripts = packetdrill::find_scripts(&dir).expect("tests/packetdrill exists");
    assert!(
        scripts.len() >= 15,
        "expected the own scripts, found {}",
        scripts.len()
    );
    let mut problems = Vec::new();
    for p in &scripts {
        let r = run(p);
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let known = KNOWN_FAILURES.iter().find(|(n, _, _)| *n == name);
        match (known, r.status()) {
            (None, "PASS") => {}
            (None, _) => problems.push(format!("unexpected result:\n{}", r.text())),
            (Some((_, want, why)), got) if got != *want => problems.push(format!(
                "{name} is listed as {want} ({why}) but is {got}: update KNOWN_FAILURES\n{}",
                r.text()
            )),
            _ => {}
        }
    }
    for (n, _, _) in KNOWN_FAILURES {
        assert!(
            dir.join(n).exists(),
            "KNOWN_FAILURES names a missing script {n}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

fn upstream_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/packetdrill/gtests/net");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: CI must place the shared packetdrill scripts beside the clone",
            dir.display()
        );
    }
    eprintln!("skipping: {} not found (outside CI)", dir.display());
    None
}

#[test]
fn upstream_scripts_give_the_expected_table() {
    let Some(dir) = upstream_dir() else { return };
    let found = packetdrill::find_scripts(&dir).unwrap();
    let mut got = Vec::new();
    for p in &found {
        let rel = p
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        got.push((rel, status(&run(p))));
    }
    let want: Vec<(String, String)> = UPSTREAM
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let diff: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("{}: expected {}, got {} ({})", w.0, w.1, g.1, g.0))
        .collect();
    assert_eq!(
        got.len(),
        want.len(),
        "the set of upstream scripts changed: {got:?}"
    );
    assert!(
        diff.is_empty(),
        "the conformance table changed (update UPSTREAM and the README):\n{}",
        diff.join("\n")
    );
}

#[test]
fn self_tests_fail_at_their_failure_line_with_the_upstream_message() {
    let Some(dir) = upstream_dir() else { return };
    for (rel, msg) in [
        (
            "packetdrill/tests/linux/packetdrill/socket_err.pkt",
            "Expected non-negative result but got -1 with errno 93 (Protocol not supported)",
        ),
        (
            "packetdrill/tests/linux/packetdrill/socket_wrong_err.pkt",
            "Expected result -99 but got -1 with errno 93 (Protocol not supported)",
        ),
    ] {
        let r = run(&dir.join(rel));
        assert_eq!(r.failed_as_expected(), Some(true), "{}", r.text());
        let Verdict::Fail(f) = &r.outcome.verdict else {
            unreachable!()
        };
        assert!(f.msg.contains(msg), "{rel}: {}", f.msg);
    }
}

#[test]
fn a_failure_names_line_expected_actual_and_time() {
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
               +0 bind(3, ..., ...) = 0\n\
               +0 listen(3, 1) = 0\n\
               +0 < S 0:0(0) win 32792 <mss 1000>\n\
               +0 > S. 0:0(0) ack 2 <...>\n";
    let out = packetdrill::run_source(src, &[], &BTreeMap::new());
    let Verdict::Fail(f) = out.verdict else {
        panic!("must fail")
    };
    assert_eq!((f.pos.line, f.pos.col), (5, 1));
    assert!(f.msg.contains("ack 1, script expects 2"), "{}", f.msg);
    assert!(f.msg.contains("expected: S. 0:0(0) ack 2"), "{}", f.msg);
    assert!(f.msg.contains("actual:   S. 0:0(0) ack 1"), "{}", f.msg);
    assert!(f.at.is_some());
}

#[test]
fn broken_scripts_get_located_specific_errors() {
    let cases = [
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 frobnicate(3) = 0\n",
            "UNSUPPORTED",
            "2:4",
            "frobnicate",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <mss 1460, bogus>\n",
            "FAIL",
            "2:26",
            "unknown TCP option 'bogus'",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = -1 EPERM\n",
            "FAIL",
            "1:3",
            "Expected result -1 EPERM but got a new fd",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = -1 EBADF\n",
            "FAIL",
            "2:4",
            "Expected result -1 EBADF but got 0",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(7) = 0\n",
            "FAIL",
            "2:4",
            "errno 9 (Bad file descriptor)",
        ),
        (
            "`rm -rf /`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
            "UNSUPPORTED",
            "1:1",
            "rm -rf /",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+1 %{ assert tcpi_reordering == 3 }%\n",
            "PASS",
            "",
            "",
        ),
        // Arguments in messages are written as the script writes them.
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 setsockopt(3, IPPROTO_TCP, TCP_CONGESTION, \"nope\", 4) = 0\n",
            "UNSUPPORTED",
            "2:4",
            "argument \"nope\" is not a number netlab's runner understands",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, when=0}, 8) = 0\n",
            "UNSUPPORTED",
            "2:4",
            "SO_LINGER takes {onoff=…, linger=…}, not {onoff=1, when=0}",
        ),
        // Out-of-range settings are refused where they are written, not wrapped.
        (
            "`sysctl -q net.ipv4.tcp_syn_retries=4294967296`\n\
             0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
            "UNSUPPORTED",
            "1:1",
            "tcp_syn_retries=4294967296: out of range (Linux takes 1 to 127)",
        ),
        (
            "--bind_port=70000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
            "UNSUPPORTED",
            "1:1",
            "--bind_port=70000: not a port (1 to 65535)",
        ),
    ];
    for (src, status, pos, msg) in cases {
        let out = packetdrill::run_source(src, &[], &BTreeMap::new());
        let (got, at, text) = match &out.verdict {
            Verdict::Pass => ("PASS", String::new(), String::new()),
            Verdict::Fail(f) => ("FAIL", f.pos.to_string(), f.msg.clone()),
            Verdict::Unsupported { pos, reason } => (
                "UNSUPPORTED",
                pos.map(|p| p.to_string()).unwrap_or_default(),
                reason.clone(),
            ),
        };
        assert_eq!((got, at.as_str()), (status, pos), "{src}: {text}");
        assert!(text.contains(msg), "{src}: {text}");
    }
    // A `%{ }%` block netlab cannot evaluate is reported as skipped, not passed silently.
    let out = packetdrill::run_source(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+1 %{ assert tcpi_reordering == 3 }%\n",
        &[],
        &BTreeMap::new(),
    );
    assert_eq!(out.skipped.len(), 1);
    assert!(out.skipped[0].1.contains("tcpi_reordering"));
}

/// Upstream's form of SO_LINGER, `{onoff=1, linger=0}`: close aborts with a RST; off again,
/// close sends a FIN.
#[test]
fn so_linger_takes_the_struct() {
    let head = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
                +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n\
                +0 bind(3, ..., ...) = 0\n\
                +0 listen(3, 1) = 0\n\
                +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n\
                +0 > S. 0:0(0) ack 1 <...>\n\
                +.1 < . 1:1(0) ack 1 win 257\n\
                +0 accept(3, ..., ...) = 4\n";
    for (linger, close) in [
        ("{onoff=1, linger=0}", "+0 > R. 1:1(0) ack 1\n"),
        ("{onoff=0, linger=0}", "+0 > F. 1:1(0) ack 1\n"),
        ("{1, 0}", "+0 > R. 1:1(0) ack 1\n"),
    ] {
        // getsockopt reads the struct back as it was set.
        let src = format!(
            "{head}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {linger}, 8) = 0\n\
             +0 getsockopt(4, SOL_SOCKET, SO_LINGER, {linger}, [8]) = 0\n\
             +0 close(4) = 0\n{close}"
        );
        let out = packetdrill::run_source(&src, &[], &BTreeMap::new());
        assert!(
            matches!(out.verdict, Verdict::Pass),
            "{linger}: {:?}",
            out.verdict
        );
    }
}

/// A struct linger read back that differs from the socket's is a located failure that says
/// both.
#[test]
fn getsockopt_so_linger_compares_the_struct() {
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
               +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=5}, 8) = 0\n\
               +0 getsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=7}, [8]) = 0\n";
    let out = packetdrill::run_source(src, &[], &BTreeMap::new());
    let shown = format!("{:?}", out.verdict);
    assert!(
        shown.contains(
            "expected {onoff=1, linger=7} in argument 4, netlab gives {onoff=1, linger=5}"
        ),
        "{shown}"
    );
}

mod mutated {
    use super::*;
    use proptest::prelude::*;

    fn own_script_texts() -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packetdrill");
        packetdrill::find_scripts(&dir)
            .unwrap()
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Text a mutation inserts: pieces of the grammar, so mutants get past the lexer often.
    const PIECES: &[&str] = &[
        "<",
        ">",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "...",
        "+",
        "-",
        "*",
        "~",
        ".",
        "=",
        "`",
        "%{",
        "}%",
        "\"",
        "/*",
        "//",
        "\n",
        " ",
        "0",
        "1",
        "99999999",
        ".1",
        "0x",
        "S",
        "F.",
        "ack",
        "win",
        "mss",
        "sack",
        "TS val",
        "ecr",
        "nop",
        "wscale",
        "socket",
        "write(4, ..., ",
        "read(",
        "connect(3, ..., ...)",
        "= -1 EAGAIN",
        "close(4)",
        "SOCK_STREAM",
        "é",
        "\t",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        /// A mutated script never panics the parser or the runner; a syntax error points
        /// inside the script.
        #[test]
        fn mutated_scripts_never_panic(
            which in 0usize..64,
            edits in proptest::collection::vec((0usize..4, any::<prop::sample::Index>(), 0usize..PIECES.len(), 0usize..40), 1..6),
        ) {
            let texts = own_script_texts();
            let mut s: Vec<char> = texts[which % texts.len()].chars().collect();
            for (kind, at, piece, len) in edits {
                let i = at.index(s.len() + 1);
                match kind {
                    0 => { let end = (i + len).min(s.len()); s.drain(i..end); }
                    1 => { for (k, c) in PIECES[piece].chars().enumerate() { s.insert(i + k, c); } }
                    2 => { let end = (i + len).min(s.len()); let dup: Vec<char> = s[i..end].to_vec(); for (k, c) in dup.into_iter().enumerate() { s.insert(i + k, c); } }
                    _ => { if i < s.len() { s[i] = PIECES[piece].chars().next().unwrap_or(' '); } }
                }
            }
            let src: String = s.into_iter().collect();
            let lines = src.lines().count() as u32 + 1;
            let out = packetdrill::run_source(&src, &[], &BTreeMap::new());
            if let Verdict::Fail(f) = &out.verdict {
                prop_assert!(f.pos.line >= 1 && f.pos.line <= lines, "{:?} outside the script", f.pos);
                prop_assert!(!f.msg.is_empty());
            }
        }
    }
}

/// `netlab replay` on every Linux capture of the shared anchors: each TCP conversation replays
/// from either side to the end with a report, its `--emit-pkt` script parses back, and the
/// closed-port reset agrees with Linux on every field.
#[test]
fn replays_of_the_linux_captures() {
    use netlab::packetdrill::{parse, pcapread, replay};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/anchors/linux");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing under CI",
            dir.display()
        );
        eprintln!("skipping: {} not found (outside CI)", dir.display());
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        // The two 1 MiB transfers take long in a debug build; the CLI replays them.
        .filter(|p| !p.to_string_lossy().contains("1MB"))
        .collect();
    files.sort();
    let mut conversations = 0;
    for f in &files {
        let pkts = pcapread::read(&std::fs::read(f).unwrap()).unwrap();
        for c in replay::conversations(&pkts) {
            conversations += 1;
            for side in [replay::Side::Client, replay::Side::Server] {
                let (report, _, script) = replay::replay(&c, side, "test")
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                assert!(report.text.contains("segments agree"), "{}", report.text);
                // Inferred reads and writes wait for netlab instead of failing (EAGAIN).
                assert!(
                    !report.text.contains("runtime error"),
                    "{}: {}",
                    f.display(),
                    report.text
                );
                parse::parse(&script, &BTreeMap::new())
                    .unwrap_or_else(|e| panic!("{}: emitted script: {e}\n{script}", f.display()));
            }
        }
    }
    assert!(
        conversations >= 9,
        "found {conversations} TCP conversations"
    );
    let pkts = pcapread::read(&std::fs::read(dir.join("b_closed_port_rst.pcap")).unwrap()).unwrap();
    let c = &replay::conversations(&pkts)[0];
    let (r, _, _) = replay::replay(c, replay::Side::Server, "rst").unwrap();
    assert_eq!((r.agreed, r.differed), (1, 0), "{}", r.text);
    // Captured with tcp_syn_linear_timeouts=0: the classic backoff agrees once the replay
    // is told so, and only then.
    let pkts =
        pcapread::read(&std::fs::read(dir.join("d_syn_no_answer_exponential.pcap")).unwrap())
            .unwrap();
    let c = &replay::conversations(&pkts)[0];
    let host = replay::CaptureHost {
        sysctls: vec!["tcp_syn_linear_timeouts=0".to_string()],
        rcvbuf: None,
    };
    let (r, _, _) = replay::replay_with(c, replay::Side::Client, "exp", &host).unwrap();
    assert_eq!((r.agreed, r.differed), (7, 0), "{}", r.text);
    let (r, _, _) = replay::replay(c, replay::Side::Client, "exp").unwrap();
    assert!(r.differed > 0, "{}", r.text);
    assert!(replay::check_sysctls(&["tcp_no_such_knob=1".to_string()]).is_err());
    // c2 was captured at the client; the 16 segments the client sent again never reached the
    // server. Left out of the server's replay, every ACK netlab sends acknowledges what
    // Linux's did (only the offered windows differ).
    let pkts =
        pcapread::read(&std::fs::read(dir.join("c2_data_rto_backoff.pcap")).unwrap()).unwrap();
    let c = &replay::conversations(&pkts)[0];
    let lost = replay::lost_beyond_capture(c, replay::Side::Server);
    assert_eq!(lost.iter().filter(|l| **l).count(), 16);
    let (r, _, script) = replay::replay(c, replay::Side::Server, "c2").unwrap();
    assert_eq!(
        script.matches("// lost beyond the capture point").count(),
        16
    );
    assert!(!r.text.contains("sequence/ack/length"), "{}", r.text);
    assert!(!r.text.contains("missing"), "{}", r.text);
    assert!(
        !replay::lost_beyond_capture(c, replay::Side::Client).contains(&true),
        "the client's own capture saw everything the server sent"
    );
    // The zero-window server set SO_RCVBUF 4096: told so, netlab's SYN-ACK is Linux's
    // (window 2896, scale 0); not told, it offers its default window and scale.
    let pkts = pcapread::read(&std::fs::read(dir.join("i_zero_window.pcap")).unwrap()).unwrap();
    let c = &replay::conversations(&pkts)[0];
    let host = replay::CaptureHost {
        sysctls: Vec::new(),
        rcvbuf: Some(4096),
    };
    let synack_agrees = |text: &str| {
        let after = text.split("  #2 ").nth(1).expect("the SYN-ACK is judged");
        after.lines().nth(1).unwrap().trim() == "same"
    };
    let (r, _, script) = replay::replay_with(c, replay::Side::Server, "zw", &host).unwrap();
    assert!(script.contains("SO_RCVBUF, [4096]"), "{script}");
    assert!(synack_agrees(&r.text), "{}", r.text);
    let (r, _, _) = replay::replay(c, replay::Side::Server, "zw").unwrap();
    assert!(!synack_agrees(&r.text), "{}", r.text);
}
