//! The parser: tokens to a [`Script`], every error at a line and column with what was expected.
//!
//! The grammar is packetdrill's as documented in its `syntax.md` (summarised in
//! `docs/PACKETDRILL.md` of the shared anchors); this is an independent recursive-descent
//! reading of it, not a port of the upstream bison grammar.

use super::ast::*;
use super::lex::{lex, Pos, Tok, Token};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {msg}")]
pub struct ParseError {
    pub pos: Pos,
    pub msg: String,
}

/// Longest time a script may name: a day, far beyond any TCP timer a script waits for.
pub(crate) const MAX_TIME_US: u64 = 86_400 * 1_000_000;

/// Parses a script; `defines` are `-D SYM=VAL` (a bare word equal to SYM becomes VAL).
pub fn parse(src: &str, defines: &BTreeMap<String, String>) -> Result<Script, ParseError> {
    let (tokens, notes) = lex(src).map_err(|e| ParseError {
        pos: e.pos,
        msg: e.msg,
    })?;
    let mut toks = Vec::with_capacity(tokens.len());
    for t in tokens {
        match &t.tok {
            Tok::Word(w) if defines.contains_key(w) => {
                let (sub, _) = lex(&defines[w]).map_err(|e| ParseError {
                    pos: t.pos,
                    msg: format!("definition of {w}: {}", e.msg),
                })?;
                toks.extend(sub.into_iter().map(|s| Token {
                    tok: s.tok,
                    pos: t.pos,
                }));
            }
            _ => toks.push(t),
        }
    }
    let end = toks.last().map_or(Pos { line: 1, col: 1 }, |t| Pos {
        line: t.pos.line,
        col: t.pos.col + 1,
    });
    let mut p = Parser { toks, i: 0, end };
    let mut script = p.script()?;
    script.failure_lines = notes.into_iter().map(|n| (n.line, n.text)).collect();
    Ok(script)
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    end: Pos,
}

type R<T> = Result<T, ParseError>;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.i + k).map(|t| &t.tok)
    }
    fn pos(&self) -> Pos {
        self.toks.get(self.i).map_or(self.end, |t| t.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn err<T>(&self, msg: impl Into<String>) -> R<T> {
        Err(ParseError {
            pos: self.pos(),
            msg: msg.into(),
        })
    }
    fn found(&self) -> String {
        self.peek()
            .map_or("the end of the script".to_string(), |t| t.to_string())
    }
    fn is_punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }
    fn eat_punct(&mut self, c: char) -> bool {
        if self.is_punct(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect_punct(&mut self, c: char, what: &str) -> R<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            self.err(format!("expected '{c}' {what}, found {}", self.found()))
        }
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn script(&mut self) -> R<Script> {
        let mut s = Script {
            options: Vec::new(),
            init: None,
            events: Vec::new(),
            cleanup: None,
            failure_lines: Vec::new(),
        };
        while let Some(Tok::Opt(name, value)) = self.peek().cloned() {
            s.options.push((name, value, self.pos()));
            self.i += 1;
        }
        if let Some(Tok::Shell(cmd)) = self.peek().cloned() {
            s.init = Some((cmd, self.pos()));
            self.i += 1;
        }
        while let Some(tok) = self.peek().cloned() {
            match tok {
                Tok::Shell(cmd) => {
                    let pos = self.pos();
                    self.i += 1;
                    if self.peek().is_some() {
                        return self.err(
                            "a shell command without a time may only come first (init) or last \
                             (cleanup); give it a time (`+0 `cmd``) to run it as an event",
                        );
                    }
                    s.cleanup = Some((cmd, pos));
                }
                Tok::Opt(name, _) => {
                    return self.err(format!(
                        "option '--{name}' must come before the first event"
                    ))
                }
                _ => s.events.push(self.event()?),
            }
        }
        if s.events.is_empty() {
            return self.err("the script has no events");
        }
        Ok(s)
    }

    /// A number of seconds (`1`, `.1`, `0.100`) as integer microseconds.
    fn seconds(&mut self) -> R<u64> {
        let pos = self.pos();
        match self.next().map(|t| t.tok) {
            Some(Tok::Num(text)) if !text.starts_with("0x") => secs_to_us(&text)
                .filter(|&t| t <= MAX_TIME_US)
                .ok_or(ParseError {
                    pos,
                    msg: format!(
                        "time '{text}' is too large (at most {} s)",
                        MAX_TIME_US / 1_000_000
                    ),
                }),
            other => {
                self.i -= 1;
                let f = other.map_or("the end of the script".into(), |t| t.to_string());
                Err(ParseError {
                    pos,
                    msg: format!("expected a time in seconds, found {f}"),
                })
            }
        }
    }

    fn event(&mut self) -> R<Event> {
        let pos = self.pos();
        let time = if self.eat_punct('*') {
            Time::Any
        } else {
            let rel = self.eat_punct('+');
            let t = self.seconds()?;
            if self.eat_punct('~') {
                let rel2 = self.eat_punct('+');
                if rel2 != rel {
                    return self.err(
                        "both ends of a time range must be relative (+a~+b) or both absolute (a~b)",
                    );
                }
                let hi = self.seconds()?;
                if hi < t {
                    return self.err("the time range ends before it starts");
                }
                Time::Range {
                    lo: t,
                    hi,
                    relative: rel,
                }
            } else if rel {
                Time::Relative(t)
            } else {
                Time::Absolute(t)
            }
        };
        let mut end = None;
        if matches!(self.peek(), Some(Tok::Ellipsis)) {
            self.i += 1;
            if !matches!(time, Time::Absolute(_) | Time::Relative(_)) {
                return self.err("a blocking call needs a plain start time, not '*' or a range");
            }
            end = Some(self.seconds()?);
        }
        let action = match self.peek().cloned() {
            Some(Tok::Punct('<')) | Some(Tok::Punct('>')) => Action::Packet(self.packet()?),
            Some(Tok::Shell(cmd)) => {
                self.i += 1;
                Action::Shell(cmd)
            }
            Some(Tok::Code(code)) => {
                self.i += 1;
                Action::Code(code)
            }
            Some(Tok::Word(_)) if self.peek_at(1) == Some(&Tok::Punct('(')) => {
                Action::Syscall(self.syscall()?)
            }
            _ => {
                return self.err(format!(
                    "expected a packet ('<' or '>'), a system call, a `shell command` or a \
                     %{{ code }}% block after the time, found {}",
                    self.found()
                ))
            }
        };
        if end.is_some() && !matches!(action, Action::Syscall(_)) {
            return Err(ParseError {
                pos,
                msg: "only a system call can block ('...END')".into(),
            });
        }
        if matches!(time, Time::Any | Time::Range { .. })
            && !matches!(&action, Action::Packet(p) if p.dir == Dir::Out)
        {
            return Err(ParseError {
                pos,
                msg: "'*' and time ranges are allowed on outbound packets ('>') only".into(),
            });
        }
        Ok(Event {
            pos,
            time,
            end,
            action,
        })
    }

    fn number(&mut self, what: &str) -> R<u64> {
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::Num(text)) => {
                self.i += 1;
                parse_int(&text).ok_or(ParseError {
                    pos,
                    msg: format!("{what}: '{text}' is not a whole number that fits"),
                })
            }
            _ => self.err(format!(
                "expected {what} (a number), found {}",
                self.found()
            )),
        }
    }

    fn u32(&mut self, what: &str) -> R<u32> {
        let pos = self.pos();
        let n = self.number(what)?;
        u32::try_from(n).map_err(|_| ParseError {
            pos,
            msg: format!("{what}: {n} is larger than 32 bits"),
        })
    }

    fn packet(&mut self) -> R<Packet> {
        let dir = if self.eat_punct('<') {
            Dir::In
        } else {
            Dir::Out
        };
        self.i += usize::from(dir == Dir::Out);
        let mut ip_info = None;
        for (open, close) in [('(', ')'), ('[', ']')] {
            if self.is_punct(open) {
                let start = self.pos();
                self.i += 1;
                let mut text = Vec::new();
                while !self.is_punct(close) {
                    match self.next() {
                        Some(t) => text.push(match t.tok {
                            Tok::Num(s) | Tok::Word(s) | Tok::Ip(s) => s,
                            other => other.to_string().trim_matches('\'').to_string(),
                        }),
                        None => {
                            return Err(ParseError {
                                pos: start,
                                msg: format!("'{open}' of the IP information is never closed"),
                            })
                        }
                    }
                }
                self.i += 1;
                ip_info = Some(text.join(" "));
            }
        }
        let body = if self.is_word("icmp") {
            self.i += 1;
            let kind = match self.next().map(|t| t.tok) {
                Some(Tok::Word(w)) | Some(Tok::Num(w)) => w,
                _ => {
                    self.i -= 1;
                    return self.err("expected the ICMP type after 'icmp'");
                }
            };
            let mut code = None;
            if let Some(Tok::Word(w)) = self.peek().cloned() {
                if w != "mtu" && w != "id" {
                    code = Some(w);
                    self.i += 1;
                }
            }
            let mut mtu = None;
            if self.is_word("mtu") {
                self.i += 1;
                mtu = Some(self.u32("the ICMP mtu")?);
            }
            // The quoted packet (`[1:1(0)]`, `[udp (8)]`) is not needed: netlab reads the
            // ICMP error's inner header from the segment it sent last.
            if self.is_punct('[') {
                while !self.eat_punct(']') {
                    if self.next().is_none() {
                        return self.err("'[' of the ICMP quoted packet is never closed");
                    }
                }
            }
            PacketBody::Icmp { kind, code, mtu }
        } else if self.is_word("udp") {
            self.i += 1;
            self.expect_punct('(', "before the UDP length")?;
            let len = self.u32("the UDP length")?;
            self.expect_punct(')', "after the UDP length")?;
            PacketBody::Udp { len }
        } else {
            PacketBody::Tcp(self.tcp_packet()?)
        };
        Ok(Packet { dir, ip_info, body })
    }

    fn tcp_packet(&mut self) -> R<TcpPacket> {
        // Flags: letters, an optional '.', or '.' alone, or '-' for none.
        let mut flags = 0u8;
        let mut ae = false;
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::Word(w)) => {
                self.i += 1;
                let mut chars = w.chars().peekable();
                while let Some(c) = chars.next() {
                    flags |= match c {
                        'F' => 0x01,
                        'S' => 0x02,
                        'R' => 0x04,
                        'P' => 0x08,
                        'A' if chars.peek() == Some(&'E') => {
                            chars.next();
                            ae = true;
                            0
                        }
                        'U' => 0x20,
                        'E' => 0x40,
                        'W' => 0x80,
                        _ => {
                            return Err(ParseError {
                                pos,
                                msg: format!(
                                    "'{w}' is not a set of TCP flags (letters S F R P U E W, AE, \
                                     then '.' for ACK)"
                                ),
                            })
                        }
                    };
                }
                if self.eat_punct('.') {
                    flags |= 0x10;
                }
            }
            Some(Tok::Punct('.')) => {
                self.i += 1;
                flags = 0x10;
            }
            Some(Tok::Punct('-')) => self.i += 1,
            _ => {
                return self.err(format!(
                    "expected TCP flags (S, S., ., P., F., R, -, …), 'icmp' or 'udp', found {}",
                    self.found()
                ))
            }
        }
        let start = self.u32("the start sequence number")?;
        self.expect_punct(
            ':',
            "between start and end sequence numbers (START:END(LEN))",
        )?;
        let end = self.u32("the end sequence number")?;
        self.expect_punct('(', "before the payload length (START:END(LEN))")?;
        let len_pos = self.pos();
        let len = self.u32("the payload length")?;
        self.expect_punct(')', "after the payload length")?;
        if end.wrapping_sub(start) != len {
            return Err(ParseError {
                pos: len_pos,
                msg: format!("payload length {len} does not match {start}:{end}"),
            });
        }
        let mut pkt = TcpPacket {
            flags,
            ae,
            start,
            end,
            len,
            ack: None,
            win: None,
            urg: None,
            options: None,
        };
        loop {
            if self.is_word("ack") {
                self.i += 1;
                pkt.ack = Some(self.u32("the ack number")?);
            } else if self.is_word("win") {
                self.i += 1;
                pkt.win = Some(self.u32("the window")?);
            } else if self.is_word("urg") {
                self.i += 1;
                pkt.urg = Some(self.u32("the urgent pointer")?);
            } else if self.is_punct('<') {
                self.i += 1;
                pkt.options = Some(self.tcp_options()?);
            } else {
                break;
            }
        }
        Ok(pkt)
    }

    fn tcp_options(&mut self) -> R<Option<Vec<TcpOpt>>> {
        if matches!(self.peek(), Some(Tok::Ellipsis)) {
            self.i += 1;
            self.expect_punct('>', "after '<...'")?;
            return Ok(None);
        }
        let mut opts = Vec::new();
        if self.eat_punct('>') {
            return Ok(Some(opts));
        }
        loop {
            let pos = self.pos();
            let Some(Tok::Word(name)) = self.peek().cloned() else {
                return self.err(format!("expected a TCP option, found {}", self.found()));
            };
            self.i += 1;
            let opt = match name.as_str() {
                "nop" => TcpOpt::Nop,
                "eol" => TcpOpt::Eol,
                "sackOK" => TcpOpt::SackOk,
                "mss" => {
                    let v = self.number("the MSS")?;
                    TcpOpt::Mss(u16::try_from(v).map_err(|_| ParseError {
                        pos,
                        msg: format!("MSS {v} does not fit 16 bits"),
                    })?)
                }
                "wscale" => {
                    let v = self.number("the window scale")?;
                    TcpOpt::Wscale(u8::try_from(v).map_err(|_| ParseError {
                        pos,
                        msg: format!("window scale {v} does not fit 8 bits"),
                    })?)
                }
                "sack" => {
                    let mut blocks = Vec::new();
                    while matches!(self.peek(), Some(Tok::Num(_))) {
                        let l = self.u32("a SACK block's left edge")?;
                        self.expect_punct(':', "in a SACK block (L:R)")?;
                        let r = self.u32("a SACK block's right edge")?;
                        blocks.push((l, r));
                    }
                    if blocks.is_empty() {
                        return Err(ParseError {
                            pos,
                            msg: "'sack' needs at least one block L:R".into(),
                        });
                    }
                    TcpOpt::Sack(blocks)
                }
                "TS" => {
                    if !self.is_word("val") {
                        return self
                            .err(format!("expected 'val' after 'TS', found {}", self.found()));
                    }
                    self.i += 1;
                    let val = self.u32("the TS value")?;
                    if !self.is_word("ecr") {
                        return self.err(format!(
                            "expected 'ecr' after the TS value, found {}",
                            self.found()
                        ));
                    }
                    self.i += 1;
                    let ecr = self.u32("the TS echo reply")?;
                    TcpOpt::Ts { val, ecr }
                }
                "FO" | "FOEXP" => {
                    // The cookie in hex, which the lexer may have cut into a number and a
                    // word (`00abaaab` `e8e954c2`): the pieces' text up to ',' or '>'.
                    let mut hex = String::new();
                    while let Some(Tok::Num(t) | Tok::Word(t)) = self.peek() {
                        hex.push_str(t);
                        self.i += 1;
                    }
                    let bytes = hex
                        .len()
                        .is_multiple_of(2)
                        .then(|| {
                            (0..hex.len())
                                .step_by(2)
                                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                                .collect::<Option<Vec<u8>>>()
                        })
                        .flatten();
                    let Some(cookie) = bytes else {
                        return Err(ParseError {
                            pos,
                            msg: format!(
                                "Fast Open cookie '{hex}' is not an even number of hex digits"
                            ),
                        });
                    };
                    TcpOpt::FastOpen {
                        exp: name == "FOEXP",
                        cookie,
                    }
                }
                "md5" | "ECN" | "exp" | "AccECN" => {
                    // Skip the option's arguments: everything up to ',' or '>'.
                    while !self.is_punct(',') && !self.is_punct('>') {
                        if self.next().is_none() {
                            return Err(ParseError {
                                pos,
                                msg: "the option list '<' is never closed with '>'".into(),
                            });
                        }
                    }
                    TcpOpt::Unsupported(name)
                }
                _ => {
                    return Err(ParseError {
                        pos,
                        msg: format!(
                            "unknown TCP option '{name}' (known: nop, eol, mss, wscale, sackOK, \
                             sack, TS val … ecr …, md5, FO, FOEXP)"
                        ),
                    })
                }
            };
            opts.push(opt);
            if self.eat_punct(',') {
                continue;
            }
            self.expect_punct('>', "or ',' after a TCP option")?;
            return Ok(Some(opts));
        }
    }

    fn syscall(&mut self) -> R<Syscall> {
        let name_pos = self.pos();
        let Some(Tok::Word(name)) = self.next().map(|t| t.tok) else {
            unreachable!("checked by the caller")
        };
        self.expect_punct('(', "after the system call's name")?;
        let args = self.expr_list(')')?;
        self.expect_punct('=', "and a return value after the call (`= 0`)")?;
        let ret_pos = self.pos();
        let neg = self.eat_punct('-');
        let ret = self.number("the return value")?;
        let ret = i64::try_from(ret).map_err(|_| ParseError {
            pos: ret_pos,
            msg: "the return value is too large".into(),
        })?;
        let ret = if neg { -ret } else { ret };
        let mut errno = None;
        if let Some(Tok::Word(w)) = self.peek().cloned() {
            if w.starts_with('E')
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                errno = Some(w);
                self.i += 1;
            }
        }
        // A note in parentheses, `(Operation now in progress)`, on the same line: ignored.
        if self.is_punct('(') && self.toks[self.i].pos.line == ret_pos.line {
            let open = self.pos();
            let mut depth = 0;
            loop {
                match self.next().map(|t| t.tok) {
                    Some(Tok::Punct('(')) => depth += 1,
                    Some(Tok::Punct(')')) => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Some(_) => {}
                    None => {
                        return Err(ParseError {
                            pos: open,
                            msg: "the note '(' after the return value is never closed".into(),
                        })
                    }
                }
            }
        }
        if errno.is_some() && ret >= 0 {
            return Err(ParseError {
                pos: ret_pos,
                msg: "an errno goes with a negative return value (-1)".into(),
            });
        }
        Ok(Syscall {
            name,
            name_pos,
            args,
            ret,
            ret_pos,
            errno,
        })
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn expr_list(&mut self, close: char) -> R<Vec<Expr>> {
        let mut v = Vec::new();
        if self.eat_punct(close) {
            return Ok(v);
        }
        loop {
            v.push(self.expr()?);
            if self.eat_punct(',') {
                continue;
            }
            self.expect_punct(close, "or ',' in the argument list")?;
            return Ok(v);
        }
    }

    fn expr(&mut self) -> R<Expr> {
        let first = self.atom()?;
        if !self.is_punct('|') {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.eat_punct('|') {
            v.push(self.atom()?);
        }
        Ok(Expr::Or(v))
    }

    fn atom(&mut self) -> R<Expr> {
        let pos = self.pos();
        match self.next().map(|t| t.tok) {
            Some(Tok::Ellipsis) => Ok(Expr::Ellipsis),
            Some(Tok::Punct('-')) => match self.atom()? {
                Expr::Int(n) => Ok(Expr::Int(-n)),
                _ => Err(ParseError {
                    pos,
                    msg: "'-' must be followed by a number".into(),
                }),
            },
            Some(Tok::Num(text)) => parse_int(&text)
                .and_then(|n| i64::try_from(n).ok())
                .map(Expr::Int)
                .ok_or(ParseError {
                    pos,
                    msg: format!("'{text}' is not a whole number that fits"),
                }),
            Some(Tok::Ip(s)) | Some(Tok::Str(s)) => Ok(Expr::Str(s)),
            Some(Tok::Word(w)) => {
                if self.eat_punct('(') {
                    let args = self.expr_list(')')?;
                    Ok(Expr::Call(w, args))
                } else {
                    Ok(Expr::Word(w))
                }
            }
            Some(Tok::Punct('[')) => Ok(Expr::List(self.expr_list(']')?)),
            Some(Tok::Punct('{')) => {
                let mut fields = Vec::new();
                if self.eat_punct('}') {
                    return Ok(Expr::Struct(fields));
                }
                loop {
                    let e = self.expr()?;
                    if self.eat_punct('=') {
                        let name = match e {
                            Expr::Word(w) => w,
                            Expr::Call(w, _) => w,
                            _ => {
                                return Err(ParseError {
                                    pos,
                                    msg: "a field name must come before '='".into(),
                                })
                            }
                        };
                        fields.push((Some(name), self.expr()?));
                    } else {
                        fields.push((None, e));
                    }
                    if self.eat_punct(',') {
                        continue;
                    }
                    self.expect_punct('}', "or ',' in a structure")?;
                    return Ok(Expr::Struct(fields));
                }
            }
            other => {
                self.i -= 1;
                let f = other.map_or("the end of the script".into(), |t| t.to_string());
                Err(ParseError {
                    pos,
                    msg: format!(
                        "expected an argument (number, symbol, '...', [..], {{..}}), found {f}"
                    ),
                })
            }
        }
    }
}

/// `0x1f` or decimal digits.
fn parse_int(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if text.contains('.') {
        return None;
    }
    text.parse().ok()
}

/// Seconds written as `1`, `.1` or `0.100` to microseconds, exactly (digits past the
/// sixth decimal are rounded).
fn secs_to_us(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut us = 0u64;
    for (k, c) in frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(6)
        .enumerate()
    {
        let _ = k;
        us = us * 10 + c.to_digit(10)? as u64;
    }
    if frac.chars().nth(6).is_some_and(|c| c >= '5') {
        us += 1;
    }
    whole.checked_mul(1_000_000)?.checked_add(us)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Script, ParseError> {
        parse(s, &BTreeMap::new())
    }

    #[test]
    fn seconds_convert_exactly() {
        assert_eq!(secs_to_us(".1"), Some(100_000));
        assert_eq!(secs_to_us("0.200"), Some(200_000));
        assert_eq!(secs_to_us("30"), Some(30_000_000));
        assert_eq!(secs_to_us("0.0000015"), Some(2));
    }

    #[test]
    fn a_handshake_script() {
        let s = p("--tolerance_usecs=10000\n`../common/defaults.sh`\n\
                   0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
                   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
                   +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
                   +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>\n\
                   +.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2,nop,nop,sackOK>\n\
                   +.1~+.4 > . 1:1(0) ack 1 <...>\n\
                   +.1...0.200 read(3, ..., 1000) = 1000\n\
                   +0 < . 1:1(0) ack 1 win 257 <sack 2001:3001 4001:5001,nop,nop>\n\
                   `/tmp/x.sh`")
        .unwrap();
        assert_eq!(s.options[0].0, "tolerance_usecs");
        assert_eq!(s.init.as_ref().unwrap().0, "../common/defaults.sh");
        assert_eq!(s.cleanup.as_ref().unwrap().0, "/tmp/x.sh");
        assert_eq!(s.events.len(), 8);
        let Action::Syscall(c) = &s.events[2].action else {
            panic!()
        };
        assert_eq!((c.ret, c.errno.as_deref()), (-1, Some("EINPROGRESS")));
        let Action::Packet(pk) = &s.events[3].action else {
            panic!()
        };
        let PacketBody::Tcp(t) = &pk.body else {
            panic!()
        };
        assert_eq!(t.flags, 0x02);
        assert_eq!(
            t.options,
            Some(Some(vec![
                TcpOpt::Mss(1460),
                TcpOpt::SackOk,
                TcpOpt::Ts { val: 100, ecr: 0 },
                TcpOpt::Nop,
                TcpOpt::Wscale(8)
            ]))
        );
        assert_eq!(
            s.events[5].time,
            Time::Range {
                lo: 100_000,
                hi: 400_000,
                relative: true
            }
        );
        assert_eq!(s.events[6].end, Some(200_000));
        let Action::Packet(pk) = &s.events[7].action else {
            panic!()
        };
        let PacketBody::Tcp(t) = &pk.body else {
            panic!()
        };
        assert_eq!(
            t.options.as_ref().unwrap().as_ref().unwrap()[0],
            TcpOpt::Sack(vec![(2001, 3001), (4001, 5001)])
        );
    }

    #[test]
    fn errors_are_located_and_specific() {
        let e = p("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > Q 0:0(0)").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (2, 6));
        assert!(e.msg.contains("not a set of TCP flags"), "{e}");
        let e = p("0 > S 0:0(0) <mss 1460, bogus 3>").unwrap_err();
        assert!(e.msg.contains("unknown TCP option 'bogus'"), "{e}");
        assert_eq!(e.pos.col, 25);
        let e = p("0 > S 0:10(5)").unwrap_err();
        assert!(e.msg.contains("does not match"), "{e}");
        let e = p("* write(3, ..., 1) = 1").unwrap_err();
        assert!(e.msg.contains("outbound packets"), "{e}");
        let e = p("0 close(3)").unwrap_err();
        assert!(e.msg.contains("return value"), "{e}");
        assert!(p("").unwrap_err().msg.contains("no events"));
    }

    #[test]
    fn defines_replace_words() {
        let mut d = BTreeMap::new();
        d.insert("PORT".to_string(), "8080".to_string());
        let s = parse("0 bind(3, PORT, ...) = 0", &d).unwrap();
        let Action::Syscall(c) = &s.events[0].action else {
            panic!()
        };
        assert_eq!(c.args[1], Expr::Int(8080));
    }
}
