//! `poll(2)` in scripts: `poll([{fd=N, events=…, revents=…}, …], NFDS, TIMEOUT_MS)`.
//!
//! The events of each socket are the host's (`Host::poll`, Linux's `tcp_poll`), masked as
//! Linux's `do_pollfd` masks them: what the script asked for, plus `POLLERR` and `POLLHUP`,
//! which are always reported; a descriptor that is not open reports `POLLNVAL`. The call
//! returns at once when one of them is set or the timeout is 0, else it waits, like any
//! blocking call of the runner, until one is set or the timeout passes (returning 0). On return
//! each `revents` the script wrote is compared with netlab's.

use super::ast::{Expr, Syscall};
use super::lex::Pos;
use super::run::{fail, unsupported, Res, Runner};
use super::syscall::{arg, int, Ret};
use crate::socket::PollEvents;
use crate::time::{Duration, Instant};

/// The bits and names of `revents`, for messages.
const NAMES: [(u16, &str); 8] = [
    (PollEvents::POLLIN, "POLLIN"),
    (PollEvents::POLLOUT, "POLLOUT"),
    (PollEvents::POLLERR, "POLLERR"),
    (PollEvents::POLLHUP, "POLLHUP"),
    (PollEvents::POLLNVAL, "POLLNVAL"),
    (PollEvents::POLLRDNORM, "POLLRDNORM"),
    (PollEvents::POLLWRNORM, "POLLWRNORM"),
    (PollEvents::POLLRDHUP, "POLLRDHUP"),
];

/// One `struct pollfd` of the script.
#[derive(Clone, Debug)]
struct PollFd {
    fd: i64,
    events: i64,
    /// The `revents` the script expects, if it wrote one.
    revents: Option<i64>,
}

/// A `poll` call: its descriptors and when its timeout ends (`None`: it waits for ever).
#[derive(Clone, Debug)]
pub struct PollCall {
    fds: Vec<PollFd>,
    pub deadline: Option<Instant>,
}

/// Reads the call's arguments; the timeout counts from `now`.
pub(super) fn parse(pos: Pos, sys: &Syscall, now: Instant) -> Res<PollCall> {
    let Expr::List(items) = arg(pos, sys, 0)? else {
        return unsupported(
            pos,
            "poll() needs an array of {fd=…, events=…, revents=…} structures",
        );
    };
    let mut fds = Vec::with_capacity(items.len());
    for item in items {
        let Expr::Struct(fields) = item else {
            return unsupported(pos, "poll(): each element is a {fd=…, events=…} structure");
        };
        let (mut fd, mut events, mut revents) = (None, 0, None);
        for (name, value) in fields {
            match name.as_deref() {
                Some("fd") => fd = Some(int(pos, value)?),
                Some("events") => events = int(pos, value)?,
                Some("revents") => revents = Some(int(pos, value)?),
                _ => return unsupported(pos, format!("poll(): field {value} is not a pollfd's")),
            }
        }
        let Some(fd) = fd else {
            return unsupported(pos, "poll(): a pollfd without fd=");
        };
        fds.push(PollFd {
            fd,
            events,
            revents,
        });
    }
    let nfds = int(pos, arg(pos, sys, 1)?)?;
    if nfds != fds.len() as i64 {
        return unsupported(
            pos,
            format!(
                "poll() of {nfds} descriptors with {} in the array",
                fds.len()
            ),
        );
    }
    // A negative timeout waits for ever (Linux); the timeout is a C int of milliseconds.
    let timeout = int(pos, arg(pos, sys, 2)?)?.min(i64::from(i32::MAX));
    let deadline = (timeout >= 0).then(|| now + Duration::from_millis(timeout as u64));
    Ok(PollCall { fds, deadline })
}

/// What `poll` reports for script fd `fd` asked about `events`.
fn revents(r: &Runner, fd: i64, events: i64) -> i64 {
    // Linux's do_pollfd skips a negative fd: no events.
    if fd < 0 {
        return 0;
    }
    let Some(f) = r.fds.get(&fd) else {
        return PollEvents::POLLNVAL.into();
    };
    let p = r.net.host().poll(f.sock);
    // tcp_poll sets the "normal data" twins with POLLIN and POLLOUT.
    let mut bits = p.bits();
    if p.input {
        bits |= PollEvents::POLLRDNORM;
    }
    if p.output {
        bits |= PollEvents::POLLWRNORM;
    }
    i64::from(bits) & (events | i64::from(PollEvents::POLLERR | PollEvents::POLLHUP))
}

/// A try of the call: `None` while it waits. When it returns, every `revents` the script
/// wrote must be netlab's.
pub(super) fn try_poll(r: &Runner, pos: Pos, call: &PollCall) -> Res<Option<Ret>> {
    let got: Vec<i64> = call
        .fds
        .iter()
        .map(|p| revents(r, p.fd, p.events))
        .collect();
    let ready = got.iter().filter(|&&b| b != 0).count() as i64;
    let now = r.net.now();
    if ready == 0 && call.deadline.is_none_or(|d| now < d) {
        return Ok(None);
    }
    for (p, &live) in call.fds.iter().zip(&got) {
        if let Some(want) = p.revents {
            if want != live {
                return fail(
                    pos,
                    now,
                    format!(
                        "poll(): fd {} has revents {}, script expects {}",
                        p.fd,
                        names(live),
                        names(want)
                    ),
                );
            }
        }
    }
    Ok(Some(Ok(ready)))
}

/// `POLLIN|POLLOUT`, or `0`.
fn names(bits: i64) -> String {
    let mut out: Vec<String> = NAMES
        .iter()
        .filter(|(b, _)| bits & i64::from(*b) != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let known = NAMES.iter().fold(0, |acc, (b, _)| acc | i64::from(*b));
    if bits & !known != 0 {
        out.push(format!("{:#x}", bits & !known));
    }
    if out.is_empty() {
        "0".into()
    } else {
        out.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_a_script_writes_them() {
        assert_eq!(names(0), "0");
        assert_eq!(names(0x1 | 0x4), "POLLIN|POLLOUT");
        assert_eq!(
            names(0x8 | 0x10 | 0x4000_0000),
            "POLLERR|POLLHUP|0x40000000"
        );
    }
}
