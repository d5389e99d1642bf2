//! Running packetdrill scripts against netlab's TCP in simulated time (`netlab packetdrill`).
//!
//! packetdrill (github.com/google/packetdrill) tests a TCP stack with scripts: inject this
//! segment at this time, make this system call, expect this segment back at that time. The
//! upstream tool needs a kernel, a TUN device and real time; here the stack under test is a
//! netlab host and time is simulated, so a script runs in microseconds, identically each time.
//!
//! Everything here is written from packetdrill's documentation of its grammar and semantics
//! (no upstream code is used, the tool is GPL):
//! - [`lex`] and [`parse`]: the script grammar, errors at line:column;
//! - [`net`]: the world (one host, a stand-in for `tun0`);
//! - [`run`]: events in order, sequence/timestamp mapping, outbound checks, timing;
//!   `blocking`: the world run on until a blocking call returns;
//! - [`syscall`]: system calls on the host's socket API, blocking emulated by the runner
//!   (`poll` in `poll`);
//!   [`symbols`]: Linux's numbers for the names they use;
//! - [`init`]: options and the init-command whitelist; [`code`]: `%{ }%` assertions.

pub mod ast;
mod blocking;
pub mod code;
pub mod init;
pub mod lex;
pub mod net;
pub mod parse;
pub mod pcapread;
mod poll;
pub mod replay;
pub mod run;
mod sockopt;
pub mod symbols;
pub mod syscall;
pub mod wire;

pub use run::{run_source, Failure, Outcome, Verdict};

use std::collections::BTreeMap;
use std::path::Path;

/// One script's result, ready to print.
pub struct Report {
    pub path: String,
    pub outcome: Outcome,
    /// The `// Failure:` notes of a self-test that must fail: (line, message).
    pub expected_failures: Vec<(u32, String)>,
}

impl Report {
    /// `PASS`, `FAIL` or `UNSUPPORTED`.
    pub fn status(&self) -> &'static str {
        match self.outcome.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail(_) => "FAIL",
            Verdict::Unsupported { .. } => "UNSUPPORTED",
        }
    }

    /// For a self-test: whether it failed on the line right after its `// Failure:` note.
    pub fn failed_as_expected(&self) -> Option<bool> {
        let (note_line, _) = self.expected_failures.last()?;
        Some(match &self.outcome.verdict {
            Verdict::Fail(f) => f.pos.line > *note_line && f.pos.line <= note_line + 2,
            _ => false,
        })
    }

    /// The short reason for a table: the failure or unsupported reason, first line.
    pub fn reason(&self) -> String {
        match &self.outcome.verdict {
            Verdict::Pass if self.outcome.skipped.is_empty() => String::new(),
            Verdict::Pass => format!(
                "{} %{{ }}% block(s) skipped: {}",
                self.outcome.skipped.len(),
                self.outcome.skipped[0].1
            ),
            Verdict::Fail(f) => format!("{}: {}", f.pos, f.msg.lines().next().unwrap_or("")),
            Verdict::Unsupported { pos, reason } => match pos {
                Some(p) => format!("{p}: {reason}"),
                None => reason.clone(),
            },
        }
    }

    /// The full text: the status line, then details of a failure.
    pub fn text(&self) -> String {
        let mut s = format!("{} {}", self.status(), self.path);
        match &self.outcome.verdict {
            Verdict::Pass => {
                for (pos, why) in &self.outcome.skipped {
                    s += &format!("\n  {}:{pos}: %{{ }}% skipped: {why}", self.path);
                }
            }
            Verdict::Fail(f) => {
                s += &format!("\n  {}:{}: {}", self.path, f.pos, f.msg);
                if let Some(t) = f.at {
                    s += &format!("\n  at simulated time {} s", run::secs(t));
                }
            }
            Verdict::Unsupported { pos, reason } => {
                let at = pos.map(|p| format!(":{p}")).unwrap_or_default();
                s += &format!("\n  {}{at}: {reason}", self.path);
            }
        }
        if let Some(ok) = self.failed_as_expected() {
            s += if ok {
                "\n  (self-test: failed at its `// Failure:` line, as it must)"
            } else {
                "\n  (self-test: did NOT fail at its `// Failure:` line)"
            };
        }
        s
    }
}

/// Runs the script in file `path`.
pub fn run_file(
    path: &Path,
    cli: &[(String, Option<String>)],
    defines: &BTreeMap<String, String>,
) -> Report {
    let name = path.display().to_string();
    let src = match crate::infile::read_text_bounded(path, crate::infile::MAX_TEXT_BYTES) {
        Ok(s) => s,
        Err(e) => {
            return Report {
                path: name,
                outcome: Outcome {
                    verdict: Verdict::Fail(Failure {
                        pos: lex::Pos { line: 0, col: 0 },
                        at: None,
                        msg: format!("cannot read the script: {e}"),
                    }),
                    skipped: Vec::new(),
                    diffs: Vec::new(),
                    matched: Vec::new(),
                    net: None,
                    io_waited: 0,
                },
                expected_failures: Vec::new(),
            }
        }
    };
    let notes = lex::lex(&src)
        .map(|(_, n)| n.into_iter().map(|n| (n.line, n.text)).collect())
        .unwrap_or_default();
    Report {
        path: name,
        outcome: run::run_source_with(&src, cli, defines, path.parent(), |_| {}),
        expected_failures: notes,
    }
}

/// Every `.pkt` file under `dir`, sorted (a deterministic table).
pub fn find_scripts(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pkt") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
