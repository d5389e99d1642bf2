//! Blocking calls: the world runs on until the pending call can return (packetdrill's
//! blocking-call thread), or until its timeout (`poll`), checking when it returned.

use super::lex::Pos;
use super::run::{fail, secs, Res, Runner, SNIFF_SLACK};
use super::syscall;
use crate::time::{Duration, Instant};

impl Runner {
    /// Runs the world up to `t` (everything due at `t` included), completing a blocking call
    /// the moment it can return.
    pub(super) fn advance_to(&mut self, t: Instant) -> Res<()> {
        loop {
            self.poll_pending()?;
            // A pending call's timeout before `t` is a moment to look at it again.
            let until = self.pending_deadline().filter(|&d| d < t).unwrap_or(t);
            if !self.net.step_until(until) {
                if until == t {
                    break;
                }
                self.net.advance_clock(until);
            }
        }
        self.net.advance_clock(t);
        self.poll_pending()
    }

    /// Tries the pending blocking call; checks its result and time when it returns.
    pub(super) fn poll_pending(&mut self) -> Res<()> {
        syscall::drain_backlog(self);
        let Some(mut p) = self.pending.take() else {
            return Ok(());
        };
        match syscall::retry(self, &mut p)? {
            None => {
                self.pending = Some(p);
                Ok(())
            }
            Some(ret) => {
                let now = self.net.now();
                syscall::check_result(self, p.pos, &p.call, ret)?;
                if let Some(end) = p.expected_end {
                    let lo =
                        Instant::from_nanos(end.as_nanos().saturating_sub(p.tolerance.as_nanos()));
                    if now < lo || now > end + p.tolerance {
                        return fail(
                            p.pos,
                            now,
                            format!(
                                "timing error: {} expected to return at {} (±{} ms), returned at {}",
                                p.call.name,
                                secs(end),
                                p.tolerance.as_millis_f64(),
                                secs(now)
                            ),
                        );
                    }
                }
                Ok(())
            }
        }
    }

    /// When the pending call returns even if nothing happens (a `poll` timeout).
    pub(super) fn pending_deadline(&self) -> Option<Instant> {
        self.pending.as_ref().and_then(|p| p.call.deadline())
    }

    /// Runs the world until the pending call returns; the time it returned.
    pub(super) fn finish_pending(&mut self, pos: Pos) -> Res<Instant> {
        let limit = self
            .pending
            .as_ref()
            .and_then(|p| p.expected_end)
            .unwrap_or(self.net.now())
            + SNIFF_SLACK
            + Duration::from_secs(60);
        while self.pending.is_some() {
            let until = self
                .pending_deadline()
                .filter(|&d| d < limit)
                .unwrap_or(limit);
            if !self.net.step_until(until) {
                if until < limit {
                    self.net.advance_clock(until);
                    self.poll_pending()?;
                    continue;
                }
                let p = self.pending.take().expect("checked");
                return fail(
                    p.pos.max(pos),
                    self.net.now(),
                    format!("{} blocked and never returned", p.call.name),
                );
            }
            self.poll_pending()?;
        }
        Ok(self.net.now())
    }
}
