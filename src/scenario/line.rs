//! Words of a timeline or expectation line, each with its byte range, so an error can point at
//! the exact word.
//!
//! A line is words separated by spaces. A word is `key=value` or a bare value; a value may be
//! double-quoted to hold spaces, with `\"`, `\\`, `\n`, `\t`, `\r` and `\xNN` escapes.
//! `#` outside quotes starts a comment.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The part before `=`, if any.
    pub key: Option<String>,
    /// The value, unquoted and unescaped.
    pub value: String,
    /// Bytes of the whole word in the line.
    pub span: Range<usize>,
    /// Bytes of the value alone.
    pub value_span: Range<usize>,
    pub quoted: bool,
}

/// A tokenising error: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub span: Range<usize>,
    pub message: String,
}

fn err(span: Range<usize>, message: impl Into<String>) -> LineError {
    LineError {
        span,
        message: message.into(),
    }
}

/// Splits a line into words.
pub fn words(line: &str) -> Result<Vec<Word>, LineError> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b' ' || c == b'\t' {
            i += 1;
            continue;
        }
        if c == b'#' {
            break;
        }
        let start = i;
        let mut key = None;
        // A key is letters, digits, '-', '_', '.' up to '='.
        let mut j = i;
        while j < bytes.len()
            && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b'-' | b'_' | b'.'))
        {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'=' && j > i && !matches!(bytes.get(j + 1), Some(b'=')) {
            key = Some(line[i..j].to_string());
            i = j + 1;
        }
        let value_start = i;
        let (value, quoted) = if i < bytes.len() && bytes[i] == b'"' {
            let (v, end) = quoted_value(line, i)?;
            i = end;
            (v, true)
        } else {
            while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
                if bytes[i] == b'"' {
                    return Err(err(
                        i..i + 1,
                        "a quote may only start a value (write key=\"…\")",
                    ));
                }
                i += 1;
            }
            (line[value_start..i].to_string(), false)
        };
        if quoted && i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
            return Err(err(i..i + 1, "expected a space after the closing quote"));
        }
        out.push(Word {
            key,
            value,
            span: start..i,
            value_span: value_start..i,
            quoted,
        });
    }
    Ok(out)
}

/// Reads a double-quoted value starting at `start`; returns it and the index after the quote.
pub(crate) fn quoted_value(line: &str, start: usize) -> Result<(String, usize), LineError> {
    let mut out = String::new();
    let mut chars = line[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        let at = start + 1 + k;
        match c {
            '"' => return Ok((out, at + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'x')) => {
                    let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    match u8::from_str_radix(&hex, 16) {
                        // Raw bytes above 0x7f cannot live in a String; keep them ASCII-only.
                        Ok(b) if b < 0x80 => out.push(b as char),
                        _ => {
                            return Err(err(
                                at..at + 4,
                                "\\x needs two hex digits of a byte below 0x80",
                            ))
                        }
                    }
                }
                Some((_, other)) => {
                    return Err(err(
                        at..at + 1 + other.len_utf8(),
                        format!("unknown escape `\\{other}`: use \\n \\t \\r \\\" \\\\ or \\xNN"),
                    ))
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err(err(start..line.len(), "this quote is never closed"))
}

/// Bytes written as hex digits, optionally grouped with `:` or `_` (`48656c6c6f`, `de:ad:be:ef`).
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| *c != ':' && *c != '_').collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_payloads() {
        assert_eq!(decode_hex("48656c6c6f"), Some(b"Hello".to_vec()));
        assert_eq!(
            decode_hex("de:ad_be:ef"),
            Some(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    use super::*;

    #[test]
    fn splits_words_keys_and_quoted_values() {
        let w = words(r#"1ms  alice send-frame to=bob text="hello, world" # comment"#).unwrap();
        let v: Vec<_> = w
            .iter()
            .map(|w| (w.key.as_deref(), w.value.as_str()))
            .collect();
        assert_eq!(
            v,
            [
                (None, "1ms"),
                (None, "alice"),
                (None, "send-frame"),
                (Some("to"), "bob"),
                (Some("text"), "hello, world"),
            ]
        );
        assert_eq!(w[4].span, 29..48);
        assert_eq!(w[4].value_span, 34..48);
        assert!(w[4].quoted);
    }

    #[test]
    fn comparison_operators_are_values_not_keys() {
        let w = words("end sw1.flooded == 3").unwrap();
        assert_eq!(w[2].value, "==");
        assert_eq!(w[2].key, None);
    }

    #[test]
    fn escapes() {
        let w = words(r#"x="a\"b\n\x41""#).unwrap();
        assert_eq!(w[0].value, "a\"b\nA");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = words(r#"a text="never closed"#).unwrap_err();
        assert_eq!(e.span.start, 7);
        assert!(e.message.contains("never closed"));
        let e = words(r#"a "x"y"#).unwrap_err();
        assert_eq!(e.span, 5..6);
        let e = words(r#"a x="\q""#).unwrap_err();
        assert!(e.message.contains("unknown escape"));
        let e = words(r#"a x="\xzz""#).unwrap_err();
        assert!(e.message.contains("two hex digits"));
    }

    #[test]
    fn non_ascii_text_is_kept() {
        let w = words(r#"a text="你好""#).unwrap();
        assert_eq!(w[1].value, "你好");
    }
}
