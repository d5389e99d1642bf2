//! Timeline lines that start socket programs: scripted calls (`conn, addr = accept(s)`) and
//! ready-made applications (`echo-server port=8081 suffix="SB"`).
//!
//! This file reads scripted calls; `programs/apps.rs` reads the lines that start a ready-made
//! application or a Python program.

use super::args::LineCtx;
use super::error::ScenarioError;
use super::line;
use super::names::Names;
use crate::apps::script::{Call, Data, ScriptLine};
use crate::socket::{Shutdown, SockOpt, SockType};
use crate::time::{Duration, Instant};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;

mod apps;

pub(crate) use apps::{app_action, python_action};

/// The applications a node line can start.
pub const APP_VERBS: &[&str] = &[
    "echo-server",
    "line-client",
    "bulk-send",
    "bulk-sink",
    "udp-echo",
    "udp-send",
    "udp-sink",
];

/// Whether the text after a subject is a socket call (`x = f(…)` or `f(…)`).
pub fn looks_like_call(rest: &str) -> bool {
    let head = rest.split('(').next().unwrap_or("");
    rest.contains('(')
        && !head.contains('"')
        && head.trim().rsplit('=').next().is_some_and(|f| {
            !f.trim().is_empty()
                && f.trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Splits `a, (b, c), "d,e"` at top-level commas, flattening parenthesised tuples; returns each
/// piece with its byte offset in `s`.
fn split_args(s: &str, base: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escape = false;
    let mut start = 0;
    let bytes = s.as_bytes();
    let push = |a: usize, b: usize, out: &mut Vec<(usize, String)>| {
        let piece = &s[a..b];
        let lead = piece.len() - piece.trim_start().len();
        let t = piece.trim();
        if t.starts_with('(') && t.ends_with(')') && t.len() >= 2 {
            out.extend(split_args(&t[1..t.len() - 1], base + a + lead + 1));
        } else if !t.is_empty() {
            out.push((base + a + lead, t.to_string()));
        }
    };
    for (i, &c) in bytes.iter().enumerate() {
        if in_str {
            if escape {
                escape = false;
            } else if c == b'\\' {
                escape = true;
            } else if c == b'"' || c == b'\'' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' | b'\'' => in_str = true,
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                push(start, i, &mut out);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(start, s.len(), &mut out);
    out
}

/// One argument of a call, with where it is in the line.
struct Arg {
    at: usize,
    text: String,
}

struct CallParser<'a, 'b, 'c> {
    ctx: &'c LineCtx<'a>,
    names: &'c Names<'b>,
    /// Variables assigned by earlier lines of the same program.
    known: &'c BTreeSet<String>,
}

impl CallParser<'_, '_, '_> {
    fn err(&self, a: &Arg, msg: impl Into<String>) -> ScenarioError {
        self.ctx.err(a.at..a.at + a.text.len(), msg)
    }

    fn var(&self, a: &Arg) -> Result<String, ScenarioError> {
        if !a
            .text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(self.err(a, format!("expected a socket variable, found `{}`", a.text)));
        }
        if !self.known.contains(&a.text) {
            return Err(self.err(
                a,
                format!(
                    "`{}` is not defined by an earlier line of this program (NameError)",
                    a.text
                ),
            ));
        }
        Ok(a.text.clone())
    }

    fn string_literal(&self, a: &Arg) -> Result<Option<String>, ScenarioError> {
        let t = a.text.strip_prefix('b').unwrap_or(&a.text);
        if !(t.starts_with('"') || t.starts_with('\'')) {
            return Ok(None);
        }
        let quote = t.as_bytes()[0] as char;
        let normalized = if quote == '\'' {
            // Python single quotes: same escapes; re-quote for the shared unquoting.
            format!(
                "\"{}\"",
                &t[1..t.len().saturating_sub(1)].replace('"', "\\\"")
            )
        } else {
            t.to_string()
        };
        if !t.ends_with(quote) || t.len() < 2 {
            return Err(self.err(a, "this quote is never closed"));
        }
        line::quoted_value(&normalized, 0)
            .map(|(v, _)| Some(v))
            .map_err(|e| self.err(a, e.message))
    }

    fn data(&self, a: &Arg) -> Result<Data, ScenarioError> {
        // Split on top-level '+'.
        let mut parts = Vec::new();
        let mut in_str = false;
        let mut escape = false;
        let mut start = 0;
        let pieces: Vec<(usize, usize)> = {
            let b = a.text.as_bytes();
            let mut v = Vec::new();
            for (i, &c) in b.iter().enumerate() {
                if in_str {
                    if escape {
                        escape = false;
                    } else if c == b'\\' {
                        escape = true;
                    } else if c == b'"' || c == b'\'' {
                        in_str = false;
                    }
                } else if c == b'"' || c == b'\'' {
                    in_str = true;
                } else if c == b'+' {
                    v.push((start, i));
                    start = i + 1;
                }
            }
            v.push((start, b.len()));
            v
        };
        for (s, e) in pieces {
            let raw = &a.text[s..e];
            let lead = raw.len() - raw.trim_start().len();
            let piece = Arg {
                at: a.at + s + lead,
                text: raw.trim().to_string(),
            };
            // `.encode(…)` first: `"SB".encode("utf-8")` starts like a string literal.
            if piece.text.ends_with(".encode()")
                || piece.text.ends_with(".encode('utf-8')")
                || piece.text.ends_with(".encode(\"utf-8\")")
            {
                let inner = Arg {
                    at: piece.at,
                    text: piece.text[..piece.text.rfind(".encode").unwrap_or(piece.text.len())]
                        .to_string(),
                };
                parts.push(self.data(&inner)?);
            } else if let Some(text) = self.string_literal(&piece)? {
                parts.push(Data::Text(text.into_bytes()));
            } else {
                parts.push(Data::Var(self.var(&piece)?));
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Data::Concat(parts)
        })
    }

    fn number(&self, a: &Arg, what: &str) -> Result<u64, ScenarioError> {
        a.text
            .parse::<u64>()
            .map_err(|_| self.err(a, format!("expected {what}, found `{}`", a.text)))
    }

    fn port(&self, a: &Arg) -> Result<u16, ScenarioError> {
        a.text.parse::<u16>().map_err(|_| {
            self.err(
                a,
                format!("expected a port number (0-65535), found `{}`", a.text),
            )
        })
    }

    /// A host: `"10.0.0.2"`, `"localhost"`, `server`, `"server"`, `""` (any).
    fn host(&self, a: &Arg) -> Result<Ipv4Addr, ScenarioError> {
        let name = match self.string_literal(a)? {
            Some(s) => s,
            None => a.text.clone(),
        };
        if name.is_empty() {
            return Ok(Ipv4Addr::UNSPECIFIED);
        }
        if name == "localhost" {
            return Ok(Ipv4Addr::LOCALHOST);
        }
        self.names.resolve_ip(&name).ok_or_else(|| {
            self.err(
                a,
                format!(
                    "`{name}` is neither an IPv4 address nor a host with one; {}",
                    self.names.the_nodes()
                ),
            )
        })
    }

    fn expect_args(
        &self,
        args: &[Arg],
        n: std::ops::RangeInclusive<usize>,
        usage: &str,
        end: usize,
    ) -> Result<(), ScenarioError> {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            Err(self.ctx.err(end..end, format!("expected {usage}")))
        }
    }
}

/// Parses one script line's call (`rest` starts at byte `offset` of the line). Returns the
/// targets and the call.
pub(crate) fn parse_call(
    ctx: &LineCtx,
    names: &Names,
    known: &BTreeSet<String>,
    rest: &str,
    offset: usize,
) -> Result<(Vec<String>, Call), ScenarioError> {
    let text = rest.split(" #").next().unwrap_or(rest).trim_end();
    let open = text.find('(').ok_or_else(|| {
        ctx.err(
            offset..offset + text.len(),
            "expected a call such as `data = recv(conn, 1024)`",
        )
    })?;
    let (lhs, fname) = match text[..open].rfind('=') {
        Some(eq) => (&text[..eq], text[eq + 1..open].trim()),
        None => ("", text[..open].trim()),
    };
    let mut targets = Vec::new();
    for t in lhs.split(',') {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || t.starts_with(|c: char| c.is_ascii_digit())
        {
            let at = offset + lhs.find(t).unwrap_or(0);
            return Err(ctx.err(at..at + t.len(), format!("`{t}` is not a variable name")));
        }
        targets.push(t.to_string());
    }
    if !text.ends_with(')') {
        let end = offset + text.len();
        return Err(ctx.err(end..end, "expected `)` at the end of the call"));
    }
    let inner_start = offset + open + 1;
    let inner = &text[open + 1..text.len() - 1];
    let args: Vec<Arg> = split_args(inner, inner_start)
        .into_iter()
        .map(|(at, text)| Arg { at, text })
        .collect();
    let end = offset + text.len() - 1;
    let p = CallParser { ctx, names, known };
    let fname_at = offset + text[..open].rfind(fname).unwrap_or(0);
    // Leading AF_INET / SOL_SOCKET / IPPROTO_TCP arguments are accepted and ignored, as a
    // Python program writes them.
    let args: Vec<Arg> = args
        .into_iter()
        .filter(|a| {
            !matches!(
                a.text.trim_start_matches("socket."),
                "AF_INET" | "SOL_SOCKET" | "IPPROTO_TCP"
            )
        })
        .collect();
    let max_targets = |n: usize| -> Result<(), ScenarioError> {
        if targets.len() > n {
            Err(ctx.err(
                offset..offset + lhs.len(),
                format!("{fname}() returns {n} value(s)"),
            ))
        } else {
            Ok(())
        }
    };
    let call = match fname.trim_start_matches("socket.") {
        "socket" => {
            max_targets(1)?;
            let ty = match args.first().map(|a| a.text.trim_start_matches("socket.")) {
                None | Some("tcp") | Some("SOCK_STREAM") => SockType::Stream,
                Some("udp") | Some("SOCK_DGRAM") => SockType::Dgram,
                Some(_) => {
                    return Err(p.err(&args[0], "expected tcp (SOCK_STREAM) or udp (SOCK_DGRAM)"))
                }
            };
            Call::Socket(ty)
        }
        "bind" => {
            p.expect_args(
                &args,
                2..=3,
                "bind(sock, port) or bind(sock, host, port)",
                end,
            )?;
            let sock = p.var(&args[0])?;
            let (ip, port) = if args.len() == 3 {
                (p.host(&args[1])?, p.port(&args[2])?)
            } else {
                (Ipv4Addr::UNSPECIFIED, p.port(&args[1])?)
            };
            Call::Bind {
                sock,
                addr: SocketAddrV4::new(ip, port),
            }
        }
        "listen" => {
            p.expect_args(&args, 1..=2, "listen(sock, backlog)", end)?;
            Call::Listen {
                sock: p.var(&args[0])?,
                backlog: match args.get(1) {
                    Some(a) => p.number(a, "a backlog")? as usize,
                    None => 128,
                },
            }
        }
        "accept" => {
            max_targets(2)?;
            p.expect_args(&args, 1..=1, "accept(sock)", end)?;
            Call::Accept {
                sock: p.var(&args[0])?,
            }
        }
        "connect" => {
            p.expect_args(&args, 3..=3, "connect(sock, host, port)", end)?;
            Call::Connect {
                sock: p.var(&args[0])?,
                to: SocketAddrV4::new(p.host(&args[1])?, p.port(&args[2])?),
            }
        }
        "send" | "sendall" => {
            p.expect_args(&args, 2..=2, &format!("{fname}(sock, data)"), end)?;
            let sock = p.var(&args[0])?;
            let data = p.data(&args[1])?;
            if fname.ends_with("sendall") {
                Call::SendAll { sock, data }
            } else {
                Call::Send { sock, data }
            }
        }
        "recv" => {
            p.expect_args(
                &args,
                2..=3,
                "recv(sock, bufsize) or recv(sock, int(header), MSG_WAITALL)",
                end,
            )?;
            // `int(header)`: the size a length header received earlier says.
            let (max, max_var) = match args[1]
                .text
                .strip_prefix("int(")
                .and_then(|t| t.strip_suffix(')'))
            {
                Some(inner) => {
                    let a = Arg {
                        at: args[1].at + 4,
                        text: inner.trim().to_string(),
                    };
                    (0, Some(p.var(&a)?))
                }
                None => (
                    p.number(&args[1], "a buffer size or int(VARIABLE)")? as usize,
                    None,
                ),
            };
            let wait_all = match args.get(2) {
                None => false,
                Some(a) if a.text.trim_start_matches("socket.") == "MSG_WAITALL" => true,
                Some(a) => return Err(p.err(a, "the only recv flag netlab knows is MSG_WAITALL")),
            };
            Call::Recv {
                sock: p.var(&args[0])?,
                max,
                max_var,
                wait_all,
            }
        }
        "sendto" => {
            p.expect_args(
                &args,
                3..=4,
                "sendto(sock, data, (host, port)) or sendto(sock, data, addr)",
                end,
            )?;
            let (to, to_var) = if args.len() == 3 {
                // The address a recvfrom returned: `sendto(s, reply, addr)`.
                (
                    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
                    Some(p.var(&args[2])?),
                )
            } else {
                (
                    SocketAddrV4::new(p.host(&args[2])?, p.port(&args[3])?),
                    None,
                )
            };
            Call::SendTo {
                sock: p.var(&args[0])?,
                data: p.data(&args[1])?,
                to,
                to_var,
            }
        }
        "recvfrom" => {
            max_targets(2)?;
            p.expect_args(&args, 2..=2, "recvfrom(sock, bufsize)", end)?;
            Call::RecvFrom {
                sock: p.var(&args[0])?,
                max: p.number(&args[1], "a buffer size")? as usize,
            }
        }
        "setblocking" => {
            p.expect_args(&args, 2..=2, "setblocking(sock, False)", end)?;
            let blocking = match args[1].text.as_str() {
                "True" | "1" => true,
                "False" | "0" => false,
                _ => return Err(p.err(&args[1], "expected True or False")),
            };
            Call::SetBlocking {
                sock: p.var(&args[0])?,
                blocking,
            }
        }
        "close" => {
            p.expect_args(&args, 1..=1, "close(sock)", end)?;
            Call::Close {
                sock: p.var(&args[0])?,
            }
        }
        "shutdown" => {
            p.expect_args(&args, 2..=2, "shutdown(sock, SHUT_WR)", end)?;
            let how = match args[1].text.trim_start_matches("socket.") {
                "SHUT_RD" | "0" => Shutdown::Read,
                "SHUT_WR" | "1" => Shutdown::Write,
                "SHUT_RDWR" | "2" => Shutdown::Both,
                _ => return Err(p.err(&args[1], "expected SHUT_RD, SHUT_WR or SHUT_RDWR")),
            };
            Call::Shutdown {
                sock: p.var(&args[0])?,
                how,
            }
        }
        "setsockopt" => {
            p.expect_args(&args, 3..=3, "setsockopt(sock, OPTION, value)", end)?;
            let name = args[1].text.trim_start_matches("socket.");
            let opt = match SockOpt::from_name(name) {
                Some(o) if !o.read_only() => o,
                _ => {
                    let known: Vec<&str> = SockOpt::ALL
                        .iter()
                        .filter(|o| !o.read_only())
                        .map(|o| o.name())
                        .collect();
                    return Err(p.err(&args[1], format!("expected one of {}", known.join(", "))));
                }
            };
            // SO_LINGER takes the seconds to linger (0: close sends a RST); -1 turns it off.
            let value = match args[2].text.parse::<i64>() {
                Ok(v) => v,
                Err(_) => {
                    return Err(p.err(
                        &args[2],
                        format!("expected a number, found `{}`", args[2].text),
                    ))
                }
            };
            Call::SetSockOpt {
                sock: p.var(&args[0])?,
                opt,
                value,
            }
        }
        "getsockname" | "getpeername" => {
            max_targets(1)?;
            p.expect_args(&args, 1..=1, &format!("{fname}(sock)"), end)?;
            let sock = p.var(&args[0])?;
            if fname.ends_with("getsockname") {
                Call::GetSockName { sock }
            } else {
                Call::GetPeerName { sock }
            }
        }
        "gethostname" => Call::GetHostName,
        "gethostbyname" => {
            p.expect_args(&args, 1..=1, "gethostbyname(name)", end)?;
            let name = p
                .string_literal(&args[0])?
                .unwrap_or_else(|| args[0].text.clone());
            let addr = if name == "localhost" {
                Some(Ipv4Addr::LOCALHOST)
            } else {
                names.resolve_ip(&name)
            };
            Call::GetHostByName { name, addr }
        }
        "gethostbyaddr" => {
            p.expect_args(&args, 1..=1, "gethostbyaddr(\"10.0.0.2\")", end)?;
            let text = p
                .string_literal(&args[0])?
                .unwrap_or_else(|| args[0].text.clone());
            let addr = Ipv4Addr::from_str(&text)
                .map_err(|_| p.err(&args[0], format!("`{text}` is not an IPv4 address")))?;
            let name = if addr.is_loopback() {
                Some("localhost".to_string())
            } else {
                names.host_with_ip(addr).map(str::to_string)
            };
            Call::GetHostByAddr { addr, name }
        }
        "sleep" => {
            p.expect_args(
                &args,
                1..=1,
                "sleep(duration), such as sleep(1s) or sleep(0.5)",
                end,
            )?;
            let t = &args[0].text;
            let d = Duration::from_str(t)
                .or_else(|_| Duration::from_str(&format!("{t}s")))
                .map_err(|_| {
                    p.err(
                        &args[0],
                        format!("expected a duration such as 1s, found `{t}`"),
                    )
                })?;
            Call::Sleep(d)
        }
        "print" => {
            p.expect_args(&args, 1..=1, "print(data)", end)?;
            Call::Print(p.data(&args[0])?)
        }
        "inet_aton" | "inet_ntoa" => {
            max_targets(1)?;
            p.expect_args(&args, 1..=1, &format!("{fname}(address)"), end)?;
            let d = p.data(&args[0])?;
            if fname.ends_with("inet_aton") {
                Call::InetAton(d)
            } else {
                Call::InetNtoa(d)
            }
        }
        other => {
            return Err(ctx.err(
                fname_at..fname_at + other.len(),
                format!(
                    "unknown call `{other}`: expected {} or {}",
                    CALLS[..CALLS.len() - 1].join(", "),
                    CALLS[CALLS.len() - 1]
                ),
            ))
        }
    };
    Ok((targets, call))
}

/// Builds a script line.
pub(crate) fn script_line(at: Instant, targets: Vec<String>, call: Call, text: &str) -> ScriptLine {
    ScriptLine {
        at,
        targets,
        call,
        // Without its comment: the log appends the call's result to this.
        text: text.split(" #").next().unwrap_or(text).trim().to_string(),
    }
}

/// Every call a program may make, in the order errors list them (a test checks that each is
/// one the parser knows, and the parser's `match` that no other is).
pub(crate) const CALLS: &[&str] = &[
    "socket",
    "bind",
    "listen",
    "accept",
    "connect",
    "send",
    "sendall",
    "recv",
    "sendto",
    "recvfrom",
    "close",
    "shutdown",
    "setsockopt",
    "setblocking",
    "getsockname",
    "getpeername",
    "gethostname",
    "gethostbyname",
    "gethostbyaddr",
    "inet_aton",
    "inet_ntoa",
    "sleep",
    "print",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arguments_and_flattens_tuples() {
        let v: Vec<String> = split_args(r#"s, ("127.0.0.1", 8081), "a,b""#, 0)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(v, ["s", "\"127.0.0.1\"", "8081", "\"a,b\""]);
    }

    #[test]
    fn recognises_calls() {
        assert!(looks_like_call("conn, addr = accept(s)"));
        assert!(looks_like_call("close(s)"));
        assert!(!looks_like_call("send-frame to=bob text=\"(hi)\""));
        assert!(!looks_like_call("ping bob"));
    }
}
