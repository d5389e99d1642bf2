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
