//! `%{ … }%` blocks: Python assertions on Linux's `tcp_info` (`tcpi_*`) that packetdrill runs
//! after the test with the values captured at that event. netlab evaluates the simple forms
//! now, where it has the values: `assert A OP B [and C OP D …][, message]`, where each side is
//! a `tcpi_*` value, a number (decimal or hex), a `TCP_CA_*` state name or a name an earlier
//! block set with `NAME = number` (packetdrill runs every block in one Python session, so names
//! persist); statements split by `;` or lines (a trailing `\` continues one); `print(…)` does
//! nothing. A block with anything else, or naming a value netlab does not have, is skipped and
//! reported as skipped (never counted as passed).

use super::run::Runner;
use crate::tcp::congestion::INITIAL_SSTHRESH;
use crate::tcp::State;

pub(super) enum CodeResult {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Linux's `tcpi_state` numbers (`include/net/tcp_states.h`).
fn linux_state(s: State) -> i64 {
    match s {
        State::Established => 1,
        State::SynSent => 2,
        State::SynReceived => 3,
        State::FinWait1 => 4,
        State::FinWait2 => 5,
        State::TimeWait => 6,
        State::Closed => 7,
        State::CloseWait => 8,
        State::LastAck => 9,
        State::Listen => 10,
        State::Closing => 11,
    }
}

/// Linux's congestion-avoidance states (`enum tcp_ca_state`), as scripts name them.
fn ca_state_symbol(name: &str) -> Option<i64> {
    Some(match name {
        "TCP_CA_Open" => 0,
        "TCP_CA_Disorder" => 1,
        "TCP_CA_CWR" => 2,
        "TCP_CA_Recovery" => 3,
        "TCP_CA_Loss" => 4,
        _ => return None,
    })
}

/// A `tcpi_*` value of the connection under test, in Linux's units (segments, µs).
fn value(r: &Runner, name: &str) -> Option<i64> {
    let fd = r.conn_fd?;
    let id = r.fds.get(&fd)?.sock;
    let c = r.net.host().tcp_connection(id)?;
    let mss = i64::from(c.snd_mss().max(1));
    let board = c.sack_scoreboard();
    let sack = c.negotiated().0;
    let count = |f: fn(&crate::tcp::sack::SentSegment) -> bool| -> Option<i64> {
        sack.then(|| board.segments().filter(|s| f(s)).count() as i64)
    };
    Some(match name {
        "tcpi_state" => linux_state(c.state()),
        "tcpi_options" => i64::from(c.tcpi_options()),
        "tcpi_snd_mss" => mss,
        "tcpi_advmss" => i64::from(c.config().mss),
        "tcpi_rcv_mss" => i64::from(c.rcv_mss()),
        "tcpi_snd_cwnd" => i64::from(c.cwnd()) / mss,
        // Linux's "infinite" initial ssthresh is 0x7fffffff packets; netlab's, bytes.
        "tcpi_snd_ssthresh" if c.ssthresh() >= INITIAL_SSTHRESH => i64::from(INITIAL_SSTHRESH),
        "tcpi_snd_ssthresh" => i64::from(c.ssthresh()) / mss,
        "tcpi_rto" => (c.rto().as_nanos() / 1000) as i64,
        "tcpi_rtt" => (c.srtt()?.as_nanos() / 1000) as i64,
        // Linux's packet counts: `packets_out`, `sacked_out`, `retrans_out`. (`lost_out` is
        // not offered: netlab's scoreboard forgets "lost" once a segment is sent again.)
        "tcpi_unacked" if sack => board.segments().count() as i64,
        "tcpi_unacked" => (i64::from(c.snd_una().distance(c.snd_max())) + mss - 1) / mss,
        "tcpi_sacked" => count(|s| s.sacked)?,
        "tcpi_retrans" => count(|s| s.retrans && !s.sacked)?,
        "tcpi_ca_state" => {
            if c.in_timeout_recovery() {
                4
            } else if c.in_fast_recovery() {
                3
            } else if sack && board.sacked_segments() > 0 {
                1
            } else {
                0
            }
        }
        _ => return None,
    })
}

/// `tcpi_options` bits (`include/uapi/linux/tcp.h`).
fn tcpi_opt_symbol(name: &str) -> Option<i64> {
    Some(match name {
        "TCPI_OPT_TIMESTAMPS" => 1,
        "TCPI_OPT_SACK" => 2,
        "TCPI_OPT_WSCALE" => 4,
        "TCPI_OPT_ECN" => 8,
        "TCPI_OPT_ECN_SEEN" => 16,
        "TCPI_OPT_SYN_DATA" => 32,
        _ => return None,
    })
}

/// One side of a comparison: a number, a state name, a name set earlier, a `tcpi_*` value,
/// or a bitwise and of those in parentheses (`(tcpi_options & TCPI_OPT_SYN_DATA)`).
fn operand(r: &Runner, text: &str) -> Result<i64, String> {
    let mut t = text.trim();
    while let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        t = inner.trim();
    }
    if let Some((a, b)) = t.split_once('&') {
        return Ok(operand(r, a)? & operand(r, b)?);
    }
    if let Some(v) = tcpi_opt_symbol(t) {
        return Ok(v);
    }
    let number = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => t.parse::<i64>().ok(),
    };
    if let Some(n) = number.or_else(|| ca_state_symbol(t)) {
        return Ok(n);
    }
    if let Some(&v) = r.code_vars.get(t) {
        return Ok(v);
    }
    if t.starts_with("tcpi_") {
        return value(r, t).ok_or(format!("{t} is not modelled by netlab"));
    }
    Err(format!("'{t}' is not a number"))
}

fn compare(r: &Runner, cond: &str) -> Result<Option<String>, String> {
    let ops = ["==", "!=", "<=", ">=", "<", ">"];
    let Some((op, lhs, rhs)) = ops
        .iter()
        .find_map(|op| cond.split_once(op).map(|(a, b)| (*op, a.trim(), b.trim())))
    else {
        return Err(format!("'{cond}' is not 'A OP B'"));
    };
    let (live, want) = (operand(r, lhs)?, operand(r, rhs)?);
    let ok = match op {
        "==" => live == want,
        "!=" => live != want,
        "<=" => live <= want,
        ">=" => live >= want,
        "<" => live < want,
        _ => live > want,
    };
    Ok((!ok).then(|| format!("assertion failed: {cond} (netlab: {lhs} = {live})")))
}

pub(super) fn evaluate(r: &mut Runner, src: &str) -> CodeResult {
    let src = src.replace("\\\n", " ");
    let (mut checked, mut handled) = (0, 0);
    for stmt in src
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
    {
        if stmt.starts_with("print(") {
            handled += 1;
            continue;
        }
        let Some(rest) = stmt.strip_prefix("assert ") else {
            // `NAME = number`: a constant later blocks compare with.
            if let Some((name, v)) = stmt.split_once('=') {
                let name = name.trim();
                let plain = !v.starts_with('=')
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                if let (true, Ok(n)) = (plain, operand(r, v)) {
                    r.code_vars.insert(name.to_string(), n);
                    handled += 1;
                    continue;
                }
            }
            return CodeResult::Skipped(format!("'{stmt}' is not a plain assertion"));
        };
        let cond = rest.split(',').next().unwrap_or(rest).trim();
        for part in cond.split(" and ") {
            match compare(r, part) {
                Ok(None) => {}
                Ok(Some(failure)) => return CodeResult::Failed(failure),
                Err(why) => return CodeResult::Skipped(why),
            }
        }
        checked += 1;
    }
    if checked == 0 && handled == 0 {
        CodeResult::Skipped("empty block".into())
    } else {
        CodeResult::Passed
    }
}
