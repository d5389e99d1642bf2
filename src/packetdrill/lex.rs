//! Tokens of a packetdrill script, written from the grammar summary in packetdrill's
//! `syntax.md` (no upstream code): comments `//` and `/* */`, backquoted shell commands,
//! `%{ … }%` code blocks, strings, `...`, numbers (kept as text so times convert exactly),
//! words, IPv4 literals and `--name[=value]` options.

use std::fmt;

/// A position in the script, 1-based, as editors show it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Digits with an optional fraction (`0`, `.1`, `0.100`, `1460`) or `0x…`.
    Num(String),
    /// An IPv4 literal (`192.0.2.1`).
    Ip(String),
    Word(String),
    /// `--name` or `--name=value`.
    Opt(String, Option<String>),
    Str(String),
    Shell(String),
    Code(String),
    Ellipsis,
    /// Any single punctuation character: `+ - * ~ : ( ) [ ] { } < > , = | . !`.
    Punct(char),
    /// A character no rule accepts; the parser reports it where it matters (notes in
    /// parentheses after an errno may hold anything).
    Other(char),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Num(s) | Tok::Ip(s) | Tok::Word(s) => write!(f, "'{s}'"),
            Tok::Opt(n, _) => write!(f, "option '--{n}'"),
            Tok::Str(_) => f.write_str("a string"),
            Tok::Shell(_) => f.write_str("a `shell command`"),
            Tok::Code(_) => f.write_str("a %{ code }% block"),
            Tok::Ellipsis => f.write_str("'...'"),
            Tok::Punct(c) | Tok::Other(c) => write!(f, "'{c}'"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// A `// Failure: …` comment: the self-tests put it on the line before the event that must fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureNote {
    pub line: u32,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {msg}")]
pub struct LexError {
    pub pos: Pos,
    pub msg: String,
}

/// Splits a script into tokens; also returns its `// Failure:` notes.
pub fn lex(src: &str) -> Result<(Vec<Token>, Vec<FailureNote>), LexError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    // Advances over `n` characters, keeping line and column.
    macro_rules! adv {
        ($n:expr) => {{
            let n: usize = $n;
            for _ in 0..n {
                if chars.get(i) == Some(&'\n') {
                    line += 1;
                    col = 1;
                } else {
                    col += 1;
                }
                i += 1;
            }
        }};
    }
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            adv!(1);
            continue;
        }
        if at(i, "//") {
            let start = i;
            while i < chars.len() && chars[i] != '\n' {
                adv!(1);
            }
            let text: String = chars[start + 2..i].iter().collect();
            if let Some(rest) = text.trim_start().strip_prefix("Failure:") {
                notes.push(FailureNote {
                    line: pos.line,
                    text: rest.trim().to_string(),
                });
            }
            continue;
        }
        if at(i, "/*") {
            adv!(2);
            while i < chars.len() && !at(i, "*/") {
                adv!(1);
            }
            if i >= chars.len() {
                return Err(LexError {
                    pos,
                    msg: "comment '/*' is never closed with '*/'".into(),
                });
            }
            adv!(2);
            continue;
        }
        let delimited = |open: &str, close: &str| -> Option<usize> {
            let mut j = i + open.len();
            while j < chars.len() {
                if at(j, close) {
                    return Some(j);
                }
                j += 1;
            }
            None
        };
        if c == '`' {
            let Some(end) = delimited("`", "`") else {
                return Err(LexError {
                    pos,
                    msg: "shell command '`' is never closed".into(),
                });
            };
            let text: String = chars[i + 1..end].iter().collect();
            adv!(end + 1 - i);
            out.push(Token {
                tok: Tok::Shell(text),
                pos,
            });
            continue;
        }
        if at(i, "%{") {
            let Some(end) = delimited("%{", "}%") else {
                return Err(LexError {
                    pos,
                    msg: "code block '%{' is never closed with '}%'".into(),
                });
            };
            let text: String = chars[i + 2..end].iter().collect();
            adv!(end + 2 - i);
            out.push(Token {
                tok: Tok::Code(text),
                pos,
            });
            continue;
        }
        if c == '"' {
            let mut j = i + 1;
            let mut s = String::new();
            while j < chars.len() && chars[j] != '"' && chars[j] != '\n' {
                if chars[j] == '\\' && j + 1 < chars.len() {
                    j += 1;
                    // C escapes: `\xHH` is one byte (TCP_FASTOPEN_KEY's key), `\n`, `\t`,
                    // `\0`; any other escaped character stands for itself.
                    let hex: String = chars[j + 1..]
                        .iter()
                        .take(2)
                        .take_while(|c| c.is_ascii_hexdigit())
                        .collect();
                    match chars[j] {
                        'x' if !hex.is_empty() => {
                            let byte = u8::from_str_radix(&hex, 16).unwrap_or(0);
                            s.push(char::from(byte));
                            j += 1 + hex.len();
                            continue;
                        }
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        '0' => s.push('\0'),
                        c => s.push(c),
                    }
                    j += 1;
                    continue;
                }
                s.push(chars[j]);
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                return Err(LexError {
                    pos,
                    msg: "string '\"' is not closed on its line".into(),
                });
            }
            adv!(j + 1 - i);
            out.push(Token {
                tok: Tok::Str(s),
                pos,
            });
            continue;
        }
        if at(i, "...") {
            adv!(3);
            out.push(Token {
                tok: Tok::Ellipsis,
                pos,
            });
            continue;
        }
        let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if at(i, "--") && chars.get(i + 2).is_some_and(|&c| word_char(c)) {
            let mut j = i + 2;
            while j < chars.len() && (word_char(chars[j]) || chars[j] == '-') {
                j += 1;
            }
            let name: String = chars[i + 2..j].iter().collect();
            let mut value = None;
            if chars.get(j) == Some(&'=') {
                let s = j + 1;
                j = s;
                while j < chars.len() && !chars[j].is_whitespace() {
                    j += 1;
                }
                value = Some(chars[s..j].iter().collect());
            }
            adv!(j - i);
            out.push(Token {
                tok: Tok::Opt(name, value),
                pos,
            });
            continue;
        }
        let digit_at = |j: usize| chars.get(j).is_some_and(|c| c.is_ascii_digit());
        if c.is_ascii_digit() || (c == '.' && digit_at(i + 1)) {
            let mut j = i;
            if at(i, "0x") || at(i, "0X") {
                j += 2;
                while j < chars.len() && chars[j].is_ascii_hexdigit() {
                    j += 1;
                }
            } else {
                let mut dots = 0;
                while j < chars.len() {
                    if chars[j].is_ascii_digit() {
                        j += 1;
                    } else if chars[j] == '.' && digit_at(j + 1) && !at(j, "...") {
                        dots += 1;
                        j += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[i..j].iter().collect();
                if dots == 3 {
                    adv!(j - i);
                    out.push(Token {
                        tok: Tok::Ip(text),
                        pos,
                    });
                    continue;
                }
                if dots > 1 {
                    return Err(LexError {
                        pos,
                        msg: format!("'{text}' is neither a number nor an IPv4 address"),
                    });
                }
            }
            // A number runs straight into letters only in a word like `0abc`: take it whole.
            if chars
                .get(j)
                .is_some_and(|&c| c.is_ascii_alphabetic() || c == '_')
            {
                while j < chars.len() && word_char(chars[j]) {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                adv!(j - i);
                out.push(Token {
                    tok: Tok::Word(text),
                    pos,
                });
                continue;
            }
            let text: String = chars[i..j].iter().collect();
            adv!(j - i);
            out.push(Token {
                tok: Tok::Num(text),
                pos,
            });
            continue;
        }
        if word_char(c) {
            let mut j = i;
            while j < chars.len() && word_char(chars[j]) {
                j += 1;
            }
            let text: String = chars[i..j].iter().collect();
            adv!(j - i);
            out.push(Token {
                tok: Tok::Word(text),
                pos,
            });
            continue;
        }
        let tok = if "+-*~:()[]{}<>,=|.!/&".contains(c) {
            Tok::Punct(c)
        } else {
            Tok::Other(c)
        };
        adv!(1);
        out.push(Token { tok, pos });
    }
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().0.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn times_flags_and_blocking_ranges() {
        assert_eq!(
            toks("+.1...0.200 connect"),
            vec![
                Tok::Punct('+'),
                Tok::Num(".1".into()),
                Tok::Ellipsis,
                Tok::Num("0.200".into()),
                Tok::Word("connect".into())
            ]
        );
        assert_eq!(
            toks("> P. 1:1001(1000)"),
            vec![
                Tok::Punct('>'),
                Tok::Word("P".into()),
                Tok::Punct('.'),
                Tok::Num("1".into()),
                Tok::Punct(':'),
                Tok::Num("1001".into()),
                Tok::Punct('('),
                Tok::Num("1000".into()),
                Tok::Punct(')')
            ]
        );
        assert_eq!(toks("+0...0"), toks("+0 ... 0"));
    }

    #[test]
    fn comments_shell_code_options_and_failure_notes() {
        let (t, notes) =
            lex("--tolerance_usecs=10000\n`a\nb`\n// Failure: boom\n%{ x }% /* c */ 10.0.0.1")
                .unwrap();
        let t: Vec<Tok> = t.into_iter().map(|t| t.tok).collect();
        assert_eq!(
            t,
            vec![
                Tok::Opt("tolerance_usecs".into(), Some("10000".into())),
                Tok::Shell("a\nb".into()),
                Tok::Code(" x ".into()),
                Tok::Ip("10.0.0.1".into())
            ]
        );
        assert_eq!(
            notes,
            vec![FailureNote {
                line: 4,
                text: "boom".into()
            }]
        );
    }

    #[test]
    fn unclosed_things_are_located() {
        assert_eq!(lex("\n  `abc").unwrap_err().pos, Pos { line: 2, col: 3 });
        assert!(lex("/* x").unwrap_err().msg.contains("never closed"));
        assert!(lex("%{ x").unwrap_err().msg.contains("never closed"));
        assert!(lex("1.2.3").unwrap_err().msg.contains("neither"));
    }
}
