//! `%{ … }%` blocks: Python assertions on Linux's `tcp_info` (`tcpi_*`) that packetdrill runs
//! after the test with the values captured at that event. netlab evaluates the simple form,
//! `assert tcpi_X OP N[, message]` (several, separated by `;` or lines), now, where it has
//! the value; a block with anything else, or naming a value netlab does not have, is skipped
//! and reported as skipped (never counted as passed).

use super::run::Runner;
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

/// A `tcpi_*` value of the connection under test, in Linux's units.
fn value(r: &Runner, name: &str) -> Option<i64> {
    let fd = r.conn_fd?;
    let id = r.fds.get(&fd)?.sock;
    let c = r.net.host().tcp_connection(id)?;
    let mss = i64::from(c.snd_mss().max(1));
    Some(match name {
        "tcpi_state" => linux_state(c.state()),
        "tcpi_snd_mss" => mss,
        "tcpi_advmss" => i64::from(c.config().mss),
        "tcpi_snd_cwnd" => i64::from(c.cwnd()) / mss,
        "tcpi_snd_ssthresh" => i64::from(c.ssthresh()) / mss,
        "tcpi_rto" => (c.rto().as_nanos() / 1000) as i64,
        "tcpi_rtt" => (c.srtt()?.as_nanos() / 1000) as i64,
        _ => return None,
    })
}

pub(super) fn evaluate(r: &Runner, src: &str) -> CodeResult {
    let mut checked = 0;
    for stmt in src
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let Some(rest) = stmt.strip_prefix("assert ") else {
            return CodeResult::Skipped(format!("'{stmt}' is not a plain assertion"));
        };
        let cond = rest.split(',').next().unwrap_or(rest).trim();
        let ops = ["==", "!=", "<=", ">=", "<", ">"];
        let Some((op, lhs, rhs)) = ops
            .iter()
            .find_map(|op| cond.split_once(op).map(|(a, b)| (*op, a.trim(), b.trim())))
        else {
            return CodeResult::Skipped(format!("'{cond}' is not 'tcpi_X OP N'"));
        };
        let Ok(want) = rhs.parse::<i64>() else {
            return CodeResult::Skipped(format!("'{rhs}' is not a number"));
        };
        let Some(live) = value(r, lhs) else {
            return CodeResult::Skipped(format!("{lhs} is not modelled by netlab"));
        };
        let ok = match op {
            "==" => live == want,
            "!=" => live != want,
            "<=" => live <= want,
            ">=" => live >= want,
            "<" => live < want,
            _ => live > want,
        };
        if !ok {
            return CodeResult::Failed(format!(
                "assertion failed: {cond} (netlab: {lhs} = {live})"
            ));
        }
        checked += 1;
    }
    if checked == 0 {
        CodeResult::Skipped("empty block".into())
    } else {
        CodeResult::Passed
    }
}
