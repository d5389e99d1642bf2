//! Closing: half-close, CLOSE and ABORT (RFC 9293 §3.10.4–5).

use super::Connection;
use crate::tcp::event::{CloseError, Output};
use crate::tcp::state::{State, TransitionCause};
use crate::tcp::wire::{TcpFlags, TcpOptions};
use crate::time::Instant;

impl Connection {
    /// Half-close (`shutdown(SHUT_WR)`): queue a FIN after the data already queued.
    pub fn shutdown_write(&mut self, now: Instant, out: &mut Output) -> Result<(), CloseError> {
        self.now = now;
        match self.state {
            State::Closed | State::Listen => Err(CloseError::NotConnected),
            // Linux `tcp_shutdown`: a connection still in SYN_SENT is simply closed.
            State::SynSent => {
                self.set_state(now, State::Closed, TransitionCause::UserClose, out);
                Ok(())
            }
            State::SynReceived | State::Established => {
                self.queue_fin(State::FinWait1, now, out);
                Ok(())
            }
            State::CloseWait => {
                self.queue_fin(State::LastAck, now, out);
                Ok(())
            }
            _ => Err(CloseError::AlreadyClosing),
        }
    }

    pub(super) fn queue_fin(&mut self, next: State, now: Instant, out: &mut Output) {
        self.fin_queued = true;
        self.set_state(now, next, TransitionCause::UserClose, out);
        self.flush(now, out);
    }

    /// CLOSE (RFC 9293 §3.10.4): send a FIN once queued data is sent. With received data the
    /// application never read, send RST instead and drop the connection (RFC 2525 §2.17, as
    /// Linux does), so the peer learns the data was not consumed.
    pub fn close(&mut self, now: Instant, out: &mut Output) -> Result<(), CloseError> {
        self.now = now;
        match self.state {
            State::Closed => return Err(CloseError::NotConnected),
            State::Listen | State::SynSent => {
                self.user_closed = true;
                self.set_state(now, State::Closed, TransitionCause::UserClose, out);
                return Ok(());
            }
            _ => {}
        }
        if self.recv_buf.len() > 0 {
            if self.state == State::TimeWait {
                self.recv_buf.clear();
                self.user_closed = true;
                return Ok(());
            }
            self.recv_buf.clear();
            self.user_closed = true;
            self.send_reset(out);
            self.set_state(
                now,
                State::Closed,
                TransitionCause::UserCloseWithUnreadData,
                out,
            );
            return Ok(());
        }
        if self.user_closed {
            return Err(CloseError::AlreadyClosing);
        }
        self.user_closed = true;
        match self.state {
            State::SynReceived | State::Established => self.queue_fin(State::FinWait1, now, out),
            State::CloseWait => self.queue_fin(State::LastAck, now, out),
            // The write side was already shut with `shutdown_write`; closing the read side
            // changes nothing on the wire, but an orphan in FIN_WAIT_2 waits only so long.
            State::FinWait2 => self.arm_fin_wait2(now, out),
            _ => {}
        }
        Ok(())
    }

    /// ABORT (RFC 9293 §3.10.5): send RST where the peer has state, drop everything, CLOSED.
    pub fn abort(&mut self, now: Instant, out: &mut Output) -> Result<(), CloseError> {
        self.now = now;
        match self.state {
            State::Closed => return Err(CloseError::NotConnected),
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => self.send_reset(out),
            _ => {}
        }
        self.recv_buf.clear();
        self.user_closed = true;
        self.set_state(now, State::Closed, TransitionCause::UserAbort, out);
        Ok(())
    }

    /// RST,ACK for an abort: `<SEQ=SND.NXT><CTL=RST>` plus the ACK Linux adds.
    pub(super) fn send_reset(&mut self, out: &mut Output) {
        let seq = self.snd_max;
        self.emit(
            out,
            seq,
            TcpFlags::RST | TcpFlags::ACK,
            TcpOptions::NONE,
            0,
            false,
        );
    }
}
