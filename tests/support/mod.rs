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
