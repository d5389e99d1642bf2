//! The views that write as the run goes: the text log and JSON Lines. Each is a
//! [`Subscriber`]: it formats a record the moment it is made, with the names of the world as it
//! is then, and keeps nothing.

use super::json;
use super::text::TextView;
use crate::ids::NodeId;
use crate::trace::{Layer, Names, Record, Subscriber};
use std::io::{self, Write};

/// The text log (`netlab run`), one line per record, optionally only some layers and nodes.
pub struct TextLog<W: Write> {
    out: W,
    /// The scenario's timeline lines, for `Action` records.
    actions: Vec<String>,
    /// Only these layers (all when empty).
    pub layers: Vec<Layer>,
    /// Only records at these nodes (all when empty).
    pub nodes: Vec<NodeId>,
    error: Option<io::Error>,
}

impl<W: Write> TextLog<W> {
    /// The writer, to read what was written (tests, in-memory use).
    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn new(out: W, actions: Vec<String>) -> Self {
        TextLog {
            out,
            actions,
            layers: Vec::new(),
            nodes: Vec::new(),
            error: None,
        }
    }
}

impl<W: Write> Subscriber for TextLog<W> {
    fn record(&mut self, names: &dyn Names, r: &Record) {
        if self.error.is_some()
            || (!self.layers.is_empty() && !self.layers.contains(&r.event.layer()))
            || (!self.nodes.is_empty() && !r.node.is_some_and(|n| self.nodes.contains(&n)))
        {
            return;
        }
        let view = TextView::new(names, &self.actions);
        if let Err(e) = writeln!(self.out, "{}", view.line(r)) {
            self.error = Some(e);
        }
    }

    fn finish(&mut self, _names: &dyn Names) -> io::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}

/// Every record as one JSON object per line (`--trace-json`).
pub struct JsonLines<W: Write> {
    out: W,
    actions: Vec<String>,
    /// Lines written so far.
    pub written: usize,
    error: Option<io::Error>,
}

impl<W: Write> JsonLines<W> {
    /// The writer, to read what was written (tests, in-memory use).
    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn new(out: W, actions: Vec<String>) -> Self {
        JsonLines {
            out,
            actions,
            written: 0,
            error: None,
        }
    }
}

impl<W: Write> Subscriber for JsonLines<W> {
    fn record(&mut self, names: &dyn Names, r: &Record) {
        if self.error.is_some() {
            return;
        }
        let view = TextView::new(names, &self.actions);
        match json::write_line(&view, r, &mut self.out) {
            Ok(()) => self.written += 1,
            Err(e) => self.error = Some(e),
        }
    }

    fn finish(&mut self, _names: &dyn Names) -> io::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}
