//! What a parsed packetdrill script is: options, an init command, timed events, a cleanup
//! command. Times are integer microseconds (packetdrill's own resolution).

use super::lex::Pos;

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// `--name[=value]` lines at the top, in order.
    pub options: Vec<(String, Option<String>, Pos)>,
    /// The first backquoted command, before any event.
    pub init: Option<(String, Pos)>,
    pub events: Vec<Event>,
    /// A backquoted command after the last event.
    pub cleanup: Option<(String, Pos)>,
    /// Lines that carry a `// Failure:` note (the self-tests' expected failure).
    pub failure_lines: Vec<(u32, String)>,
}

/// When an event happens.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Time {
    /// `T`: since the start of the script.
    Absolute(u64),
    /// `+T`: since the previous event.
    Relative(u64),
    /// `*`: any time (outbound packets only).
    Any,
    /// `A~B` or `+A~+B`: a window (outbound packets only).
    Range { lo: u64, hi: u64, relative: bool },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub pos: Pos,
    pub time: Time,
    /// The end of a blocking call, `+t...END`: same base as the start.
    pub end: Option<u64>,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Packet(Packet),
    Syscall(Syscall),
    Shell(String),
    Code(String),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dir {
    /// `<`: injected into the stack under test.
    In,
    /// `>`: expected from the stack under test.
    Out,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    pub dir: Dir,
    /// `(tos 0x..)`, `[ect0]`…: kept as written; checked only where the runner knows how.
    pub ip_info: Option<String>,
    pub body: PacketBody,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PacketBody {
    Tcp(TcpPacket),
    Icmp {
        kind: String,
        code: Option<String>,
        mtu: Option<u32>,
    },
    Udp {
        len: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TcpPacket {
    /// TCP flag bits (FIN 0x01 … CWR 0x80), the ACK bit included when written as `.`.
    pub flags: u8,
    /// `AE` (accurate ECN) flag written; netlab never sets it.
    pub ae: bool,
    pub start: u32,
    pub end: u32,
    pub len: u32,
    pub ack: Option<u32>,
    pub win: Option<u32>,
    pub urg: Option<u32>,
    /// `None`: no option list (outbound: expects none); `Some(None)`: `<...>`, unchecked.
    pub options: Option<Option<Vec<TcpOpt>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOpt {
    Nop,
    Eol,
    Mss(u16),
    Wscale(u8),
    SackOk,
    Sack(Vec<(u32, u32)>),
    Ts {
        val: u32,
        ecr: u32,
    },
    /// TCP Fast Open: `FO [cookie]` (kind 34) or `FOEXP [cookie]` (kind 254, magic 0xF989);
    /// no cookie is a cookie request.
    FastOpen {
        exp: bool,
        cookie: Vec<u8>,
    },
    /// An option netlab's runner recognises by name only (md5, FO, FOEXP, ECN…).
    Unsupported(String),
}

impl TcpOpt {
    /// The option kind byte on the wire.
    pub fn kind(&self) -> u8 {
        match self {
            TcpOpt::Eol => 0,
            TcpOpt::Nop => 1,
            TcpOpt::Mss(_) => 2,
            TcpOpt::Wscale(_) => 3,
            TcpOpt::SackOk => 4,
            TcpOpt::Sack(_) => 5,
            TcpOpt::Ts { .. } => 8,
            TcpOpt::FastOpen { exp: false, .. } => 34,
            TcpOpt::FastOpen { exp: true, .. } => 254,
            TcpOpt::Unsupported(_) => 254,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Syscall {
    pub name: String,
    pub name_pos: Pos,
    pub args: Vec<Expr>,
    pub ret: i64,
    pub ret_pos: Pos,
    pub errno: Option<String>,
}

/// A syscall argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `...`: the runner fills it in.
    Ellipsis,
    Int(i64),
    Word(String),
    Str(String),
    /// `A|B`
    Or(Vec<Expr>),
    /// `[v, …]`
    List(Vec<Expr>),
    /// `{a=1, b=2}` (fields), or `{…}` items without names.
    Struct(Vec<(Option<String>, Expr)>),
    /// `name(args)` inside arguments (`htons(8080)`, `msg_iov(1)`).
    Call(String, Vec<Expr>),
}

/// An argument as a script writes it (`{onoff=1, linger=0}`, `[1]`, `O_RDWR|O_NONBLOCK`), for
/// messages.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list(f: &mut std::fmt::Formatter<'_>, items: &[Expr], sep: &str) -> std::fmt::Result {
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{e}")?;
            }
            Ok(())
        }
        match self {
            Expr::Ellipsis => f.write_str("..."),
            Expr::Int(n) => write!(f, "{n}"),
            Expr::Word(w) => f.write_str(w),
            Expr::Str(s) => {
                f.write_str("\"")?;
                for ch in s.chars() {
                    match ch {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        c if (c as u32) < 0x20 || (c as u32) >= 0x7f => {
                            write!(f, "\\x{:02x}", c as u32)?
                        }
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Expr::Or(v) => list(f, v, "|"),
            Expr::List(v) => {
                f.write_str("[")?;
                list(f, v, ", ")?;
                f.write_str("]")
            }
            Expr::Struct(fields) => {
                f.write_str("{")?;
                for (i, (name, e)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match name {
                        Some(n) => write!(f, "{n}={e}")?,
                        None => write!(f, "{e}")?,
                    }
                }
                f.write_str("}")
            }
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                list(f, args, ", ")?;
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arguments print as a script writes them, never as Rust's debug form.
    #[test]
    fn arguments_print_in_script_syntax() {
        let linger = Expr::Struct(vec![
            (Some("onoff".into()), Expr::Int(1)),
            (Some("linger".into()), Expr::Int(-1)),
        ]);
        assert_eq!(linger.to_string(), "{onoff=1, linger=-1}");
        let poll = Expr::List(vec![Expr::Struct(vec![
            (Some("fd".into()), Expr::Int(4)),
            (
                Some("events".into()),
                Expr::Or(vec![
                    Expr::Word("POLLIN".into()),
                    Expr::Word("POLLOUT".into()),
                ]),
            ),
        ])]);
        assert_eq!(poll.to_string(), "[{fd=4, events=POLLIN|POLLOUT}]");
        assert_eq!(Expr::Str("no\"pe".into()).to_string(), "\"no\\\"pe\"");
        let call = Expr::Call("htons".into(), vec![Expr::Int(8080), Expr::Ellipsis]);
        assert_eq!(call.to_string(), "htons(8080, ...)");
    }
}
