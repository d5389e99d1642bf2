//! Scenario files: a network, a timeline of actions and the expectations that make the scenario
//! check itself.
//!
//! A scenario is TOML (`scenarios/*.toml`). Loading parses and validates everything up front:
//! names, units, addresses, every timeline line and every expectation, so a mistake is reported
//! before anything runs, at its file, line and column. The result, [`Scenario`], can be
//! instantiated into a fresh [`World`] any number of times (a determinism check runs it twice;
//! the stepper re-runs it to step back).
//!
//! ```toml
//! [scenario]
//! description = "Two hosts on one cable."
//! seed = 1
//!
//! [[host]]
//! name = "alice"
//! [[host]]
//! name = "bob"
//!
//! [[link]]
//! between = ["alice", "bob"]
//! bandwidth = "100Mbps"
//! delay = "5us"
//!
//! [timeline]
//! steps = '''
//! 1ms alice send-frame to=bob text="hello"
//! '''
//!
//! [expect]
//! checks = '''
//! end bob.raw_delivered == 1
//! '''
//! ```

mod args;
mod build;
mod dhcp;
mod dns;
pub mod error;
mod expect;
mod hosts;
mod instantiate;
pub mod line;
mod media;
mod model;
mod names;
mod network;
mod programs;
mod run;
mod spec;
mod tally;
mod taps;
mod timeline;
mod values;

pub use error::ScenarioError;
pub use expect::{Check, CheckResult, Seen, When};
pub use network::{HostServices, InterfaceSpec, LinkSpec, NodeSpec, NodeSpecKind};
pub use run::{next_event, run, run_paced, run_streaming, step_event, Outcome, RunOptions};
pub use spec::Scenario;
pub use tally::Tally;
pub use timeline::{Action, ActionKind};

use crate::sim::World;
use error::Src;
use std::sync::Arc;

// `Scenario`'s entry points: text to a validated scenario, and one to a world. The type and
// what may be asked of it are in `spec.rs`, below the stages that make and run it.
impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(path, &read_text(path)?)
    }

    /// Reads a scenario file and adds a `[[tap]]` for each `--tap` of the command line, written
    /// `NAME@ATTACH[,netns=NS][,ip=CIDR][,gateway=IP]` (the keys of a `[[tap]]` table). An
    /// error in one is reported against the `--tap` that caused it.
    pub fn load_with_taps(path: &str, taps: &[String]) -> Result<Scenario, ScenarioError> {
        let mut text = read_text(path)?;
        // Where each `--tap`'s table starts in the text, to report an error against it.
        let mut starts = Vec::new();
        for spec in taps {
            let table = taps::table_from_cli(spec)
                .map_err(|m| ScenarioError::whole_file(&format!("--tap {spec}"), m))?;
            text.push_str(&format!("\n# --tap {spec}\n"));
            starts.push((text.len(), spec, table.len()));
            text.push_str(&table);
        }
        Scenario::parse(path, &text).map_err(|e| {
            match starts.iter().rev().find(|(at, ..)| e.span.start >= *at) {
                Some(&(at, spec, len)) => ScenarioError::new(
                    &format!("--tap {spec}"),
                    Arc::from(&text[at..at + len]),
                    e.span.start - at..e.span.end.saturating_sub(at),
                    e.message,
                ),
                None => e,
            }
        })
    }

    /// Validates scenario text; `path` is only used in error messages.
    pub fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let src = Src {
            path: path.to_string(),
            text: Arc::from(text),
        };
        let file: model::File = toml::from_str(text).map_err(|e| toml_error(&src, &e))?;
        build::validate(&src, file)
    }

    /// A fresh world for this scenario. `seed` overrides the file's seed.
    pub fn instantiate(&self, seed: Option<u64>, trace: crate::trace::Trace) -> World {
        instantiate::instantiate(self, seed.unwrap_or(self.seed), trace)
    }
}

/// A scenario file's text; a byte that is not UTF-8 is a located error.
fn read_text(path: &str) -> Result<String, ScenarioError> {
    let bytes = crate::infile::read_bounded(path, crate::infile::MAX_TEXT_BYTES).map_err(|e| {
        ScenarioError::whole_file(path, format!("cannot read the scenario file: {e}"))
    })?;
    String::from_utf8(bytes).map_err(|e| {
        // Located at the first bad byte: the text before it is valid and shown as is.
        let at = e.utf8_error().valid_up_to();
        let bad = e.as_bytes()[at];
        let shown: Arc<str> = Arc::from(String::from_utf8_lossy(e.as_bytes()).as_ref());
        ScenarioError::new(
            path,
            shown,
            at..at + 1,
            format!("byte 0x{bad:02x} is not UTF-8: a scenario file must be UTF-8 text"),
        )
    })
}

/// Turns a TOML/serde error into a positioned scenario error with a friendlier message.
fn toml_error(src: &Src, e: &toml::de::Error) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let raw = e.message().trim().to_string();
    // serde's "unknown field `x`, expected one of `a`, `b`" is already what we want; reword the
    // two messages newcomers meet most.
    let message = if let Some(rest) = raw.strip_prefix("unknown field") {
        format!("unknown key{rest}")
    } else if let Some(rest) = raw.strip_prefix("missing field") {
        format!("missing key{rest}")
    } else if raw == "duplicate key" {
        // The span covers the key written the second time.
        let key = src.text.get(span.clone()).unwrap_or("").trim();
        format!("duplicate key `{key}`: each key may be given once per table")
    } else if let Some(rest) = raw.strip_prefix("invalid type: ") {
        // Name the key, and say "array"/"table" as TOML does, not serde's "sequence"/"map".
        let rest = rest.replace("sequence", "array").replace(" map", " table");
        match key_before(&src.text, span.start) {
            Some(key) => format!("`{key}` has the wrong type: found {rest}"),
            None => format!("wrong type: found {rest}"),
        }
    } else {
        raw
    };
    src.error(span, message)
}

/// The key of the `key = value` line whose value starts at `offset`, if there is one.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line.split_once('=')?.0.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.\"' ".contains(c));
    ok.then_some(key)
}
