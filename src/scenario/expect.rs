//! Expectations: what must be true, `end` of the run or `at` a time, one per line.
//!
//! | check | passes when |
//! | --- | --- |
//! | `end sw1.flooded == 1` | a counter of a node or link compares true (`==` `!=` `<` `<=` `>` `>=`) |
//! | `at 5ms sw1 mac-table has alice@1 bob@2` | those addresses are in the table, on those ports |
//! | `end sw1 mac-table lacks carol` | those addresses are not in the table |
//! | `end bob received text="hello"` | bob was delivered a raw frame with that payload (`== N` to count) |
//! | `end seen "arp broadcast" on=l1` | a frame matching the filter was sent (on a link, or `by=NODE`) |
//! | `end dropped reason=bad-fcs at=bob == 2` | frames were dropped for that reason (at a node) |
//! | `end run error=runaway` / `end run ok` | how the run ended |
//!
//! Checks at a time see the network after every event at that time has happened.

//!
//! `expect/parse.rs` reads the lines into [`Check`]s; `expect/evaluate.rs` judges them.

use crate::arp::NeighborState;
use crate::ethernet::MacAddr;
use crate::filter::FrameFilter;
use crate::ip::Ipv4Cidr;
use crate::tcp::State;
use crate::time::Instant;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

mod evaluate;
mod parse;

pub(crate) use parse::parse;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum When {
    At(Instant),
    End,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }

    fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Node(usize),
    Link(usize),
    /// An application by name, on a node.
    App(usize, String),
}

/// What a program's variable should hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramValue {
    Bytes(Vec<u8>),
    Int(i64),
    /// An exception class (`ConnectionResetError`) or errno name (`ECONNRESET`).
    Error(String),
    Status(String),
}

/// The right-hand side of a counter comparison: a number or another counter.
#[derive(Clone, Debug)]
pub enum Operand {
    Number(u64),
    Counter(Target, String),
}

#[derive(Clone, Debug)]
pub enum CheckKind {
    Counter {
        target: Target,
        name: String,
        op: Op,
        value: Operand,
    },
    MacTable {
        node: usize,
        /// Addresses (with the port they must be on, if given).
        entries: Vec<(MacAddr, String, Option<u16>)>,
        present: bool,
    },
    Received {
        node: usize,
        payload: Vec<u8>,
        op: Op,
        value: u64,
    },
    Seen {
        filter: FrameFilter,
        link: Option<usize>,
        node: Option<usize>,
        op: Op,
        value: u64,
    },
    Dropped {
        node: Option<usize>,
        reason: String,
        op: Op,
        value: u64,
    },
    RunEnds {
        error: Option<String>,
    },
    /// Entries of a host's ARP tables, optionally in a given state.
    Arp {
        node: usize,
        entries: Vec<(Ipv4Addr, String, Option<NeighborState>)>,
        present: bool,
    },
    /// Routes of a host's table (destination network, optional gateway).
    Routes {
        node: usize,
        dest: Ipv4Cidr,
        via: Option<Ipv4Addr>,
        present: bool,
    },
    /// A program's variable or status.
    Program {
        node: usize,
        app: String,
        var: String,
        equal: bool,
        want: ProgramValue,
    },
    /// A Python program's status, uncaught exception, exit status or output.
    Python {
        node: usize,
        app: String,
        var: String,
        equal: bool,
        want: ProgramValue,
    },
    /// The states a TCP connection went through (the `nth` one involving `port`).
    TcpStates {
        node: usize,
        port: u16,
        nth: usize,
        states: Vec<String>,
    },
    /// The hops a traceroute found, in order.
    Path {
        node: usize,
        app: String,
        hops: Vec<(String, Vec<Ipv4Addr>)>,
    },
}

/// One expectation.
#[derive(Clone, Debug)]
pub struct Check {
    pub when: When,
    /// As written.
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
    pub kind: CheckKind,
}

/// What one check has seen so far.
#[derive(Clone, Debug, Default)]
pub enum Seen {
    /// The check reads only the world's state.
    #[default]
    Nothing,
    /// Matching records (`received`, `seen`, `dropped`).
    Count(u64),
    /// The connections involving a port at a node, in order of first appearance, with the
    /// states each entered (`tcp … states`).
    Conns(Vec<((SocketAddrV4, SocketAddrV4), Vec<State>)>),
    /// A node's traceroute answers: per application index, the first answer at each TTL.
    Probes(BTreeMap<u16, BTreeMap<u8, Option<Ipv4Addr>>>),
}

/// The verdict on one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub text: String,
    pub line: usize,
    pub passed: bool,
    /// What was found, in words.
    pub detail: String,
}

impl Check {
    fn result(&self, passed: bool, detail: String) -> CheckResult {
        CheckResult {
            text: self.text.clone(),
            line: self.line,
            passed,
            detail,
        }
    }

    /// Whether this check says how the run ends (so a run error is expected, not a failure).
    pub fn is_about_run_end(&self) -> bool {
        matches!(self.kind, CheckKind::RunEnds { .. })
    }
}
