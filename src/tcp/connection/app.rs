//! Application calls that move data: send, receive, and the window update reading may earn.

use super::records::SendFlags;
use super::Connection;
use crate::tcp::event::{Output, RecvError, SendError};
use crate::tcp::state::State;
use crate::time::Instant;

impl Connection {
    /// Queues `data` for sending and sends what the windows and Nagle allow. Returns how many
    /// bytes were taken: fewer than offered when the send buffer fills.
    pub fn send(
        &mut self,
        now: Instant,
        data: &[u8],
        out: &mut Output,
    ) -> Result<usize, SendError> {
        self.send_queued_write(now, data, SendFlags::default(), out)
    }

    pub(super) fn send_queued_write(
        &mut self,
        now: Instant,
        data: &[u8],
        flags: SendFlags,
        out: &mut Output,
    ) -> Result<usize, SendError> {
        self.now = now;
        if let Some(err) = self.error {
            if std::mem::replace(&mut self.error_reported, true) {
                return Err(SendError::WriteShutdown);
            }
            return Err(SendError::Failed(err));
        }
        match self.state {
            State::Closed | State::Listen => return Err(SendError::NotConnected),
            _ if self.fin_queued => return Err(SendError::WriteShutdown),
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => {}
            _ => return Err(SendError::WriteShutdown),
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.restart_window_if_idle(now, out);
        let taken = self.send_buf.push(data);
        if taken == 0 {
            return Err(SendError::WouldBlock);
        }
        self.note_write(taken, data.len(), flags);
        self.flush(now, out);
        Ok(taken)
    }

    /// Reads up to `max` bytes. An empty vector means end of stream (the peer's FIN);
    /// `Err(WouldBlock)` means no data yet. Reading may open the window enough that a window
    /// update is sent.
    pub fn recv(
        &mut self,
        now: Instant,
        max: usize,
        out: &mut Output,
    ) -> Result<Vec<u8>, RecvError> {
        self.now = now;
        let mut data = Vec::new();
        if self.recv_buf.len() > 0 {
            self.recv_buf.read_to_vec(max, &mut data);
            self.after_read(now, out);
            return Ok(data);
        }
        self.recv_status().map(|()| data)
    }

    /// Reads into `buf`. `Ok(0)` for a non-empty `buf` means end of stream.
    pub fn recv_slice(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        out: &mut Output,
    ) -> Result<usize, RecvError> {
        self.now = now;
        if self.recv_buf.len() > 0 && !buf.is_empty() {
            let n = self.recv_buf.read(buf);
            self.after_read(now, out);
            return Ok(n);
        }
        self.recv_status().map(|()| 0)
    }

    /// What a read finding no data means: end of stream, an error, or wait.
    pub(super) fn recv_status(&mut self) -> Result<(), RecvError> {
        if self.fin_received {
            return Ok(());
        }
        if let Some(err) = self.error {
            if std::mem::replace(&mut self.error_reported, true) {
                return Ok(());
            }
            return Err(RecvError::Failed(err));
        }
        match self.state {
            State::Closed | State::Listen => Err(RecvError::NotConnected),
            _ => Err(RecvError::WouldBlock),
        }
    }

    /// Sends a window update if reading opened the window substantially: the Linux rule of
    /// `tcp_cleanup_rbuf` (new window at least twice what the peer may still send) combined
    /// with receiver SWS avoidance (RFC 1122 §4.2.3.3).
    pub(super) fn after_read(&mut self, now: Instant, out: &mut Output) {
        // Once the peer's FIN has come and everything is read, nothing more arrives: give the
        // receive ring back.
        if self.fin_received {
            self.recv_buf.release_if_empty();
        }
        if !self.state.can_receive() || self.state == State::SynReceived {
            return;
        }
        // Linux `__tcp_cleanup_rbuf`: a read that empties the queue while an ACK waits sends
        // it when what was read included small segments (see `delack`).
        if self.delack_at.is_some() && self.recv_buf.len() == 0 && self.acks.ack_on_read() {
            self.ack_due = true;
            self.flush(now, out);
            return;
        }
        let current = if self.rcv_nxt < self.rcv_adv {
            self.rcv_nxt.distance(self.rcv_adv)
        } else {
            0
        };
        let new = self.window_to_advertise(false);
        if new > current
            && new - current >= self.sws_threshold()
            && new >= current.saturating_mul(2)
        {
            self.ack_due = true;
            self.flush(now, out);
        }
    }

    /// `TCP_QUICKACK`: 0 makes the connection interactive; another value leaves interactive
    /// mode and, with an ACK pending, sends it if a read would now (Linux
    /// `__tcp_sock_set_quickack` calls `tcp_cleanup_rbuf`); an even value goes back to
    /// interactive afterwards.
    pub fn set_quickack(&mut self, now: Instant, value: i64, out: &mut Output) {
        self.now = now;
        self.acks.set_interactive(value == 0);
        if value == 0
            || !matches!(self.state, State::Established | State::CloseWait)
            || self.delack_at.is_none()
        {
            return;
        }
        self.acks.mark_pushed();
        let two_segments = self.last_ack_sent.distance(self.rcv_nxt) > self.rcv_mss;
        if two_segments || (self.recv_buf.len() == 0 && self.acks.ack_on_read()) {
            self.ack_due = true;
            self.flush(now, out);
        }
        if value & 1 == 0 {
            self.acks.set_interactive(true);
        }
    }
}
