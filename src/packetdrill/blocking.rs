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
            if !self.step_toward(t) {
                break;
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

    /// Runs the next event due by `t`; with none, moves the clock to the pending call's
    /// timeout (a `poll`) if that comes first, so the call is looked at then. False when
    /// nothing happens before `t`.
    pub(super) fn step_toward(&mut self, t: Instant) -> bool {
        let timeout = self.pending.as_ref().and_then(|p| p.call.deadline());
        let until = timeout.filter(|&d| d < t).unwrap_or(t);
        if self.net.step_until(until) {
            return true;
        }
        if until < t {
            self.net.advance_clock(until);
            return true;
        }
        false
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
            if !self.step_toward(limit) {
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
