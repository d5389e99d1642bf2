//! Helpers several end-to-end test files share: the scenario files, and whether tshark is
//! there (a test that needs it must fail under CI when it is missing, not pass by skipping).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `.toml` under `scenarios/`, subfolders included, sorted.
pub fn scenario_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("scenarios/ is readable") {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    assert!(files.len() > 10, "scenarios found in {}", dir.display());
    files
}

/// Runs the `netlab` binary in the repository: (exit status, stdout, stderr).
pub fn netlab(args: &[&str]) -> (i32, String, String) {
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

/// True when tshark runs. When it does not, says loudly what was not checked (`unchecked`), and
/// fails under CI (the `CI` variable set).
pub fn tshark_available(unchecked: &str) -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        // Straight to the process's stderr: the harness captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n*** WARNING: tshark is not installed: {unchecked} NOT checked. Install it with \
             `apt-get install -y tshark`. ***\n"
        );
        if std::env::var_os("CI").is_some() {
            panic!("tshark is required under CI (CI is set) and it is missing");
        }
    }
    ok
}

/// True when this machine can attach a TAP in a namespace (root, `/dev/net/tun`, iproute2) and
/// run `tools` (name, an argument that makes it print and exit). When it cannot, says loudly
/// what was not checked (`unchecked`), and fails under CI (the `CI` variable set; CI runs as
/// root and installs the tools, see `.ci/run`).
pub fn tap_available(unchecked: &str, tools: &[(&str, &str)]) -> bool {
    let mut missing = Vec::new();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        missing.push("root (a TAP needs CAP_NET_ADMIN, a namespace CAP_SYS_ADMIN)".to_string());
    }
    if !Path::new("/dev/net/tun").exists() {
        missing.push("/dev/net/tun".into());
    }
    for (tool, arg) in [("ip", "-V")].iter().chain(tools) {
        let ok = Command::new(tool)
            .arg(arg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok();
        if !ok {
            missing.push(tool.to_string());
        }
    }
    if missing.is_empty() {
        return true;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** WARNING: {unchecked} NOT checked: missing {}. ***\n",
        missing.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!(
            "{unchecked}: required under CI (CI is set) and {} is missing",
            missing.join(", ")
        );
    }
    false
}

/// Runs a scenario to its end as `netlab run` does. A scenario with a `[[tap]]` (the real
/// kernel on the network) runs in real time, as `netlab run --realtime` runs it, to its own
/// `stop`: that needs root and `/dev/net/tun`, and without them this says so and returns `None`
/// (or fails under CI, see [`tap_available`]).
pub fn run_scenario(
    scn: &netlab::scenario::Scenario,
    opts: &netlab::scenario::RunOptions,
) -> Option<netlab::scenario::Outcome> {
    if !scn.has_taps() {
        return Some(netlab::scenario::run(scn, opts));
    }
    if !tap_available(&format!("{} (it has a [[tap]])", scn.path), &[]) {
        return None;
    }
    assert!(
        scn.stop.is_some() || opts.until.is_some(),
        "{}: a TAP scenario needs a stop time to run unattended",
        scn.path
    );
    let taps = netlab::tap::realtime::Taps::open(scn, false)
        .unwrap_or_else(|e| panic!("{}: {e}", scn.path));
    let mut rt = netlab::tap::realtime::RealTime::new(taps);
    let (outcome, _) = netlab::scenario::run_paced(scn, opts, &mut [], &mut rt);
    Some(outcome)
}

/// The error `Scenario::parse` gives (as `bad.toml`) for `base` with its first `from` replaced
/// by `to`: the bad-scenario tests' one move. Panics if `base` has no `from` or the result
/// parses.
pub fn broken(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "base has no `{from}`");
    match netlab::scenario::Scenario::parse("bad.toml", &base.replacen(from, to, 1)) {
        Ok(_) => panic!("expected an error after replacing `{from}` with `{to}`"),
        Err(e) => e.to_string(),
    }
}
