//! Reading the words of one timeline or expectation line, with errors that point into the file.

use super::error::{ScenarioError, Src};
use super::line::{self, Word};
use super::model::Sp;
use crate::time::{Duration, Instant};
use std::ops::Range;
use std::str::FromStr;

/// Most frames one `send-frame` line may schedule (and datagrams one `udp-send` line sends).
pub(crate) const MAX_FRAMES_PER_LINE: u32 = 100_000;

/// One line of a multi-line string value, and where it starts in the file.
pub(crate) struct LineCtx<'a> {
    pub src: &'a Src,
    /// Byte offset of the line's first character in the file.
    pub offset: usize,
    pub text: &'a str,
}

impl LineCtx<'_> {
    /// An error at `span` (bytes within the line).
    pub fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        self.src
            .error(self.offset + span.start..self.offset + span.end, message)
    }

    pub fn err_at(&self, w: &Word, message: impl Into<String>) -> ScenarioError {
        self.err(w.span.clone(), message)
    }

    /// An error about the end of the line (something missing).
    pub fn err_end(&self, message: impl Into<String>) -> ScenarioError {
        let n = self.text.trim_end().len();
        self.err(n..n, message)
    }

    pub fn words(&self) -> Result<Vec<Word>, ScenarioError> {
        line::words(self.text).map_err(|e| self.err(e.span, e.message))
    }
}

/// The non-blank, non-comment lines of a multi-line string value with their file offsets.
///
/// Each line of the parsed string is found again in the raw file text (for `'''` literal strings
/// it is there verbatim), so errors point at the right column; a line that cannot be found
/// (escapes in a `"""` string) falls back to the start of the value.
pub(crate) fn lines_of<'a>(src: &'a Src, value: &'a Sp<String>) -> Vec<LineCtx<'a>> {
    let span = value.span();
    let raw = &src.text[span.clone()];
    let mut cursor = 0;
    let mut out = Vec::new();
    for text in value.get_ref().lines() {
        let trimmed = text.trim();
        let offset = match raw[cursor..].find(text) {
            Some(pos) if !text.is_empty() => {
                let at = cursor + pos;
                cursor = at + text.len();
                span.start + at
            }
            _ => span.start,
        };
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        out.push(LineCtx { src, offset, text });
    }
    out
}

/// A time word: absolute (`1ms`, `0`) or relative to `previous` (`+5ms`).
pub(crate) fn time_word(
    ctx: &LineCtx,
    w: &Word,
    previous: Instant,
) -> Result<Instant, ScenarioError> {
    if w.key.is_some() {
        return Err(ctx.err_at(
            w,
            "expected a time such as `1ms` or `+5ms` at the start of the line",
        ));
    }
    let (relative, text) = match w.value.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, w.value.as_str()),
    };
    let d = if text == "0" {
        Duration::ZERO
    } else {
        Duration::from_str(text).map_err(|e| {
            ctx.err_at(
                w,
                format!("expected a time such as `1ms` or `+5ms` at the start of the line: {e}"),
            )
        })?
    };
    Ok(if relative {
        previous + d
    } else {
        Instant::ZERO + d
    })
}

/// The words after the verb: positional values and `key=value` options.
pub(crate) struct Args<'a, 'c> {
    ctx: &'c LineCtx<'a>,
    what: String,
    positional: Vec<Word>,
    options: Vec<Word>,
}

impl<'a, 'c> Args<'a, 'c> {
    /// `what` names the action or check in messages (`send-frame`).
    pub fn new(
        ctx: &'c LineCtx<'a>,
        what: impl Into<String>,
        words: Vec<Word>,
    ) -> Result<Self, ScenarioError> {
        let mut positional = Vec::new();
        let mut options: Vec<Word> = Vec::new();
        for w in words {
            match &w.key {
                Some(k) => {
                    if options.iter().any(|o| o.key.as_ref() == Some(k)) {
                        return Err(ctx.err_at(&w, format!("option `{k}` is given twice")));
                    }
                    options.push(w);
                }
                None => positional.push(w),
            }
        }
        Ok(Args {
            ctx,
            what: what.into(),
            positional,
            options,
        })
    }

    /// Removes and returns the option `key`.
    pub fn take(&mut self, key: &str) -> Option<Word> {
        let i = self
            .options
            .iter()
            .position(|o| o.key.as_deref() == Some(key))?;
        Some(self.options.remove(i))
    }

    /// Removes and returns the next positional word.
    pub fn next_positional(&mut self) -> Option<Word> {
        (!self.positional.is_empty()).then(|| self.positional.remove(0))
    }

    #[allow(dead_code)]
    pub fn peek_positional(&self) -> Option<&Word> {
        self.positional.first()
    }

    /// Parses option `key` with `parse` if present.
    pub fn take_parsed<T>(
        &mut self,
        key: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ScenarioError> {
        match self.take(key) {
            None => Ok(None),
            Some(w) => match parse(&w.value) {
                Some(v) => Ok(Some(v)),
                None => Err(self.ctx.err(
                    w.value_span.clone(),
                    format!("`{}` is not {expected}", w.value),
                )),
            },
        }
    }

    /// Fails on any word not consumed, naming the options that were expected.
    pub fn finish(self, allowed: &[&str]) -> Result<(), ScenarioError> {
        if let Some(w) = self.options.first() {
            let key = w.key.as_deref().unwrap_or("");
            let list = if allowed.is_empty() {
                "it takes no options".to_string()
            } else {
                format!(
                    "expected one of {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(self.ctx.err_at(
                w,
                format!("unknown option `{key}` for {}: {list}", self.what),
            ));
        }
        if let Some(w) = self.positional.first() {
            return Err(self
                .ctx
                .err_at(w, format!("unexpected `{}` after {}", w.value, self.what)));
        }
        Ok(())
    }
}
