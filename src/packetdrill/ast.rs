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
