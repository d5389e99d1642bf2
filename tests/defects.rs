//! Regression tests for the defects of issue #13 (found by an adversarial test and by a
//! first-time user): each test failed before its fix.

use std::process::{Command, Stdio};

fn netlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("netlab runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netlab-defects-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_temp(name: &str, text: &str) -> String {
    let p = temp_dir().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// miette's report with its wrapping undone: box-drawing characters gone, runs of white space
/// made one space.
fn flat(report: &str) -> String {
    report
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn shipped(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Item 1: an error whose column is past 65,535 made miette's renderer panic (exit 101) in
/// every command but `check`.
#[test]
fn an_error_far_along_a_long_line_is_printed_by_every_command() {
    let text = shipped("scenarios/two-hosts-one-cable.toml").replacen(
        "text=\"hello\"",
        &format!("text=\"{}\"", "x".repeat(70_000)),
        1,
    );
    let f = write_temp("long-line.toml", &text);
    for cmd in ["run", "ladder", "step", "tcpgraph", "bits"] {
        let (code, _, err) = netlab(&[cmd, &f]);
        let err = flat(&err);
        assert_eq!(code, 2, "{cmd}: {err:.2000}");
        assert!(
            err.contains("long-line.toml:25:70038: a payload of 70000 bytes does not fit"),
            "{cmd}: {err:.2000}"
        );
        assert!(!err.contains("panicked"), "{cmd}");
    }
}

/// Item 2: a full output (`> /dev/full`) made `println!` panic; every command now says so and
/// exits 2.
#[cfg(target_os = "linux")]
#[test]
fn a_full_output_is_an_error_not_a_panic() {
    let cases: [&[&str]; 6] = [
        &["check", "scenarios/two-hosts-one-cable.toml"],
        &["run", "scenarios/two-hosts-one-cable.toml"],
        &["ladder", "scenarios/two-hosts-one-cable.toml"],
        &["bits", "--text", "hi"],
        &["tcpgraph", "scenarios/lessons/simplest-server.toml"],
        &["bench", "--case", "no such case"],
    ];
    for args in cases {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full exists on Linux");
        let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write the output: No space left on device"),
            "{args:?}: {err}"
        );
    }
}

/// The error a scenario text gets, as `FILE:LINE:COL: message`.
fn error_of(text: &str) -> String {
    match netlab::scenario::Scenario::parse("bad.toml", text) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

const TWO_HOSTS: &str = r#"[scenario]
description = "base"
[[host]]
name = "alice"
ip = "10.0.0.1/24"
[[host]]
name = "bob"
ip = "10.0.0.2/24"
[[switch]]
name = "sw1"
[[link]]
between = ["alice", "sw1"]
"#;

/// Item 7: output paths and names were checked only after the whole run (its log already
/// printed); now before it, and a typo lists the valid names.
#[test]
fn output_paths_and_names_are_checked_before_the_run() {
    let f = "scenarios/ping-one-lan.toml";
    let missing_dir = temp_dir().join("no-such-dir").join("out");
    let missing = missing_dir.to_string_lossy().into_owned();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["run", f, "--pcap", &missing],
            format!("error: cannot write {missing}: No such file or directory"),
        ),
        (
            vec!["run", f, "--trace-json", &missing],
            format!("error: cannot write {missing}: No such file or directory"),
        ),
        (
            vec!["ladder", f, "--svg", &missing],
            format!("error: cannot write {missing}: No such file or directory"),
        ),
        (
            vec![
                "tcpgraph",
                "scenarios/lessons/simplest-server.toml",
                "--svg",
                &missing,
            ],
            format!("error: cannot write {missing}: No such file or directory"),
        ),
        (
            vec!["run", f, "--pcap", "/dev/null", "--capture", "alcie"],
            "error: --capture: no node or link called `alcie`: the nodes are `alice`, `bob`, \
             `carol`, `sw1`; the links are `alice--sw1`, `bob--sw1`, `carol--sw1`"
                .into(),
        ),
        (
            vec!["run", f, "--node", "alcie"],
            format!(
                "error: --node: no node called `alcie` in {f}: \
                 the nodes are `alice`, `bob`, `carol`, `sw1`"
            ),
        ),
        (
            vec!["ladder", f, "--hosts", "alice,bbo"],
            format!(
                "error: --hosts: no node called `bbo` in {f}: \
                 the nodes are `alice`, `bob`, `carol`, `sw1`"
            ),
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = netlab(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&want), "{args:?}: {err}");
        // Nothing ran: no event log, no verdicts.
        assert!(out.is_empty(), "{args:?} ran first: {out:.300}");
    }
}

/// Item 8: a failed write left a partial file (a JSONL cut mid-line). With a file size limit
/// of 1 KiB the write fails: the destination must not appear at all.
#[cfg(unix)]
#[test]
fn a_failed_write_leaves_no_partial_file() {
    let dest = temp_dir().join("cut.jsonl");
    let _ = std::fs::remove_file(&dest);
    let out = Command::new("sh")
        .arg("-c")
        // SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process.
        .arg(format!(
            "trap '' XFSZ; ulimit -f 1; exec '{}' run scenarios/ping-one-lan.toml --quiet --trace-json '{}'",
            env!("CARGO_BIN_EXE_netlab"),
            dest.display()
        ))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(!dest.exists(), "a partial {} was left", dest.display());
    let litter: Vec<_> = std::fs::read_dir(temp_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cut.jsonl"))
        .collect();
    assert!(litter.is_empty(), "{litter:?}");
}

/// Item 9: `--show TABLE@NODE@T` with T after the run's end printed nothing, silently.
#[test]
fn a_table_asked_for_after_the_end_is_an_error() {
    let (code, out, err) = netlab(&[
        "run",
        "scenarios/ping-one-lan.toml",
        "--until",
        "10s",
        "--show",
        "arp@alice@50s",
    ]);
    assert_eq!(code, 2, "{out:.300}");
    assert!(
        err.contains("error: --show arp@alice@50s: 50.000000000s is after the end of the run"),
        "{err}"
    );
}

/// Item 10: `ports = 65535` was refused but a link to port 65535 silently made a 65,535-port
/// switch.
#[test]
fn a_link_cannot_make_a_switch_of_more_than_4096_ports() {
    let text = TWO_HOSTS.to_string() + "[[link]]\nbetween = [\"bob\", \"sw1:65535\"]\n";
    assert_eq!(
        error_of(&text),
        "bad.toml:14:19: a switch or hub has at most 4096 ports; there is no port 65535"
    );
    let text = TWO_HOSTS.to_string() + "[[link]]\nbetween = [\"bob\", \"sw1:4096\"]\n";
    assert!(netlab::scenario::Scenario::parse("ok.toml", &text).is_ok());
}

/// Item 12: the TOML parser's errors named nothing; invalid UTF-8 had no position; an empty
/// node list read "the nodes are "; `check` exited 1 for a broken file where `run` exits 2.
#[test]
fn parser_errors_name_the_key_and_the_place() {
    assert_eq!(
        error_of("[scenario]\ndescription = \"x\"\ndescription = \"y\"\n"),
        "bad.toml:3:1: duplicate key `description`: each key may be given once per table"
    );
    assert_eq!(
        error_of("[scenario]\ndescription = [\"x\"]\n"),
        "bad.toml:2:15: `description` has the wrong type: found array, expected a string"
    );
    assert_eq!(
        error_of(
            "[scenario]\ndescription = \"x\"\n[timeline]\nsteps = '''\n1s alice ping bob\n'''\n"
        ),
        "bad.toml:5:4: no node called `alice`; the file has no nodes ([[host]], [[switch]], \
         [[hub]]) (or write `link NAME …`)"
    );
    let f = temp_dir().join("latin1.toml");
    std::fs::write(&f, b"[scenario]\ndescription = \"caf\xe9\"\n").unwrap();
    let e = netlab::scenario::Scenario::load(f.to_str().unwrap())
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:19: byte 0xe9 is not UTF-8: a scenario file must be UTF-8 text",
            f.display()
        )
    );
    let (code, out, _) = netlab(&["check", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("ERROR "), "{out}");
}

/// Item 13: a host plugged into nothing loaded fine and failed only at run time ("No route to
/// host"); a host alone (the loopback lessons) still may.
#[test]
fn a_host_plugged_into_nothing_is_refused_unless_alone() {
    assert_eq!(
        error_of(TWO_HOSTS),
        "bad.toml:7:8: `bob` is plugged into no link: add a [[link]] with between = [\"bob\", …] \
         (only a host alone in its scenario may have none)"
    );
    let alone = "[scenario]\ndescription = \"x\"\n[[host]]\nname = \"pc\"\nip = \"10.0.0.1/24\"\n";
    assert!(netlab::scenario::Scenario::parse("ok.toml", alone).is_ok());
}

/// The names `netlab run` resolves before the run (item 7) are the world's ids.
#[test]
fn scenario_names_resolve_to_the_worlds_ids() {
    for f in [
        "scenarios/ping-across-router.toml",
        "scenarios/switch-loop-storm.toml",
    ] {
        let scn = netlab::scenario::Scenario::load(&format!("{}/{f}", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        let world = scn.instantiate(None, netlab::trace::Trace::off());
        for n in &scn.nodes {
            assert_eq!(
                scn.node_id(&n.name),
                world.node_id(&n.name),
                "{f} {}",
                n.name
            );
        }
        for l in &scn.links {
            assert_eq!(
                scn.link_id(&l.name),
                world.link_id(&l.name),
                "{f} {}",
                l.name
            );
        }
    }
}

/// The counter reference in README.md, as the code defines the counters.
fn counter_reference() -> String {
    let list = |kind: &str| {
        netlab::sim::world::counter_names(kind)
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "Counters (this list is checked against the code by `tests/defects.rs`):\n\
         - hosts and routers: {}\n\
         - switches: {}\n\
         - hubs: {}\n\
         - links (both directions added up; `lost` is random loss, `lost_in_flight` frames on a \
         link that went down): {}\n\
         - taps (`[[tap]]`, the real kernel's side): {}\n",
        list("host"),
        list("switch"),
        list("hub"),
        list("link"),
        list("tap")
    )
}

/// Item 21: the README listed a link counter (`lost_in_flight`) in place of the one random loss
/// increments (`lost`), and a fraction of the host counters; the list is now the code's.
#[test]
fn readme_counter_reference_is_the_codes() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let want = counter_reference();
    assert!(
        readme.contains(&want),
        "README.md's counter reference is stale; it should read:\n{want}"
    );
}

/// Item 21: the list of calls an unknown call's error offers omitted `gethostbyaddr`. Every
/// call it lists now is one the parser knows, and every call a lesson uses is in it.
#[test]
fn the_unknown_call_error_lists_every_call() {
    let program = |line: &str| {
        format!(
            "[scenario]\ndescription = \"x\"\n[[host]]\nname = \"pc\"\nip = \"10.0.0.1/24\"\n\
             [timeline]\nsteps = '''\n0s pc/m {line}\n'''\n"
        )
    };
    let e = error_of(&program("x = frobnicate()"));
    let listed = e
        .split_once("expected ")
        .unwrap()
        .1
        .replace(" or ", ", ")
        .split(", ")
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert!(listed.contains(&"gethostbyaddr".to_string()), "{e}");
    for call in &listed {
        if let Err(e) =
            netlab::scenario::Scenario::parse("c.toml", &program(&format!("x = {call}()")))
        {
            assert!(!e.to_string().contains("unknown call"), "{call}: {e}");
        }
    }
}

/// Item 21: `netlab help run` listed four of the eleven layers; `--quiet` still printed the
/// scenario's description.
#[test]
fn help_lists_every_layer_and_quiet_is_quiet() {
    let (code, help, _) = netlab(&["help", "run"]);
    assert_eq!(code, 0);
    let help = flat(&help);
    let names: Vec<&str> = netlab::trace::Layer::ALL.iter().map(|l| l.name()).collect();
    assert!(
        help.contains(&format!("comma-separated: {}", names.join(", "))),
        "{help}"
    );
    let (code, out, _) = netlab(&["run", "scenarios/two-hosts-one-cable.toml", "--quiet"]);
    assert_eq!(code, 0);
    assert!(!out.contains("Two hosts on one full-duplex cable"), "{out}");
    assert!(out.starts_with("run ended at t="), "{out}");
    assert!(out.contains("expectations: 6 passed, 0 failed"), "{out}");
}

/// Item 11: `bits --text` drew a 131 KB "Ethernet frame" without a word about the MTU.
#[test]
fn bits_refuses_a_text_longer_than_the_mtu() {
    let long = "x".repeat(1501);
    let (code, out, err) = netlab(&["bits", "--text", &long]);
    assert_eq!(code, 2, "{out:.300}");
    assert!(
        err.contains("error: --text: 1501 bytes do not fit in one Ethernet frame, which carries at most 1500 bytes (the MTU)"),
        "{err}"
    );
    let (code, _, _) = netlab(&["bits", "--text", &long[..1500]]);
    assert_eq!(code, 0);
}

/// Item 22: a run "until quiet" went on to ~306 s because a switch's MAC aging timers kept it
/// alive, so `--show mac@sw1` at the end showed an empty table.
#[test]
fn housekeeping_timers_do_not_keep_a_run_alive() {
    let (code, out, _) = netlab(&[
        "run",
        "scenarios/ping-one-lan.toml",
        "--quiet",
        "--show",
        "mac@sw1",
    ]);
    assert_eq!(code, 0, "{out}");
    let end: f64 = out
        .split_once("run ended at t=")
        .and_then(|(_, r)| r.split_once('s'))
        .and_then(|(t, _)| t.parse().ok())
        .expect("the end time");
    assert!(end < 300.0, "the run went on to {end} s:\n{out}");
    assert!(out.contains("1      02:4e:4c:00:00:01"), "{out}");
    assert!(out.contains("2      02:4e:4c:00:00:02"), "{out}");
}
