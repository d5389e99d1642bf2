//! Scenario errors that point at the exact place in the file.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A mistake in a scenario file: where it is and what was expected there.
///
/// `Display` gives one line, `FILE:LINE:COLUMN: message`, the form editors and tests read;
/// the `miette::Diagnostic` impl lets the CLI draw the offending line with a caret under it.
#[derive(Clone)]
pub struct ScenarioError {
    pub path: String,
    source: Arc<str>,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl ScenarioError {
    pub fn new(
        path: &str,
        source: Arc<str>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let len = source.len();
        let start = span.start.min(len);
        let end = span.end.clamp(start, len);
        ScenarioError {
            path: path.to_string(),
            source,
            span: start..end,
            message: message.into(),
            help: None,
        }
    }

    /// An error about the file as a whole (it could not be read): no position inside it.
    pub fn whole_file(path: &str, message: impl Into<String>) -> Self {
        ScenarioError::new(path, Arc::from(""), 0..0, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column (in characters) of the start of the span.
    pub fn line_col(&self) -> (usize, usize) {
        line_col(&self.source, self.span.start)
    }

    /// Whether the CLI may draw the offending line under the message. A line longer than a
    /// screenful (a 1 MB `text=` value) is no help to draw, and miette's renderer panics on a
    /// column past 65,535 (Rust's format width is 16 bits), so such an error gets the
    /// `FILE:LINE:COL: message` line alone.
    fn drawable(&self) -> bool {
        if self.source.is_empty() {
            return false;
        }
        let start = floor_char_boundary(&self.source, self.span.start.min(self.source.len()));
        let line_start = self.source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |i| start + i);
        line_end - line_start <= MAX_DRAWN_LINE
    }
}

/// Where in the file something was written, to turn later findings into errors.
#[derive(Clone)]
pub(crate) struct Src {
    pub path: String,
    pub text: Arc<str>,
}

impl Src {
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(&self.path, self.text.clone(), span, message)
    }
}

/// The longest line (in bytes) an error is drawn with; see `ScenarioError::drawable`.
const MAX_DRAWN_LINE: usize = 1000;

/// 1-based line and column (in characters, so CJK text counts one per character) of a byte
/// offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_empty() {
            return write!(f, "{}: {}", self.path, self.message);
        }
        let (line, col) = self.line_col();
        write!(f, "{}:{}:{}: {}", self.path, line, col, self.message)
    }
}

impl fmt::Debug for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ScenarioError {}

impl miette::Diagnostic for ScenarioError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if !self.drawable() {
            None
        } else {
            Some(&self.source as &dyn miette::SourceCode)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if !self.drawable() {
            return None;
        }
        let len = self.span.len().max(1);
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            Some("here".into()),
            self.span.start,
            len.min(self.source.len().saturating_sub(self.span.start).max(1)),
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "a = 1\n名字 = \"x\"\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        let x = src.find("= \"x").unwrap();
        assert_eq!(line_col(src, x), (2, 4));
    }

    #[test]
    fn display_is_file_line_col_message() {
        let src: Arc<str> = Arc::from("[[host]]\nnmae = \"a\"\n");
        let e = ScenarioError::new("s.toml", src, 9..13, "unknown key `nmae`");
        assert_eq!(e.to_string(), "s.toml:2:1: unknown key `nmae`");
    }

    #[test]
    fn spans_past_the_end_are_clamped() {
        let src: Arc<str> = Arc::from("x");
        let e = ScenarioError::new("s.toml", src, 10..20, "m");
        assert_eq!(e.span, 1..1);
        assert_eq!(e.to_string(), "s.toml:1:2: m");
    }
}
