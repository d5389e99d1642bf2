//! The `netlab` binary: exit statuses and output a user relies on.

use std::process::Command;

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
    let (code, out, err) = netlab(&[
        "sweep",
        "scenarios/lessons/tcp-vs-udp-lossy.toml",
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
    let (code, _, err) = netlab(&[
        "sweep",
        "scenarios/lessons/tcp-vs-udp-lossy.toml",
        "--set",
        "link.nope.loss=0",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("the links are tcp_cable, udp_cable"), "{err}");
}
