//! Applications that use the socket API: the lessons' echo server and client, a bulk sender
//! and sink (iperf-like), UDP echo and a UDP sender/sink.
//!
//! Each is a small state machine polled by its host whenever one of its sockets becomes ready
//! or its own timer is due. A poll makes socket calls through its [`AppCx`] until a call would
//! block, exactly as a program with blocking calls would run, but without threads.

use crate::socket::{api::would_block, SockOpt, SockType, SocketError, SocketId};
use crate::time::{Duration, Instant};
use std::net::{Ipv4Addr, SocketAddrV4};

use super::AppCx;

/// `EINPROGRESS` from `connect` is the handshake starting, not a failure.
fn ignore_in_progress(e: SocketError) -> Result<(), SocketError> {
    if would_block(&e) {
        Ok(())
    } else {
        Err(e)
    }
}

/// Period of the bulk-transfer pattern: a prime, so no segment size or window (multiples of
/// small numbers) lines a misplaced, repeated or lost segment up with the same bytes.
const PATTERN_PERIOD: usize = 65_521;

/// One period of the pattern, then one more copy so any slice of up to a period is contiguous.
fn pattern_table() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let one: Vec<u8> = (0..PATTERN_PERIOD as u64)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        [one.as_slice(), one.as_slice()].concat()
    })
}

/// The byte at offset `i` of a bulk transfer.
pub fn pattern_byte(i: u64) -> u8 {
    pattern_table()[(i % PATTERN_PERIOD as u64) as usize]
}

/// Fills `buf` with the pattern from offset `start`.
pub fn fill_pattern(buf: &mut [u8], start: u64) {
    let table = pattern_table();
    let mut at = (start % PATTERN_PERIOD as u64) as usize;
    for chunk in buf.chunks_mut(PATTERN_PERIOD) {
        chunk.copy_from_slice(&table[at..at + chunk.len()]);
        at = (at + chunk.len()) % PATTERN_PERIOD;
    }
}

/// How many bytes of `data` differ from the pattern at offset `start`.
pub fn count_pattern_mismatches(data: &[u8], start: u64) -> u64 {
    let table = pattern_table();
    let mut at = (start % PATTERN_PERIOD as u64) as usize;
    let mut bad = 0;
    for chunk in data.chunks(PATTERN_PERIOD) {
        let want = &table[at..at + chunk.len()];
        // The common case is a match, checked at memcmp speed.
        if chunk != want {
            bad += chunk.iter().zip(want).filter(|(a, b)| a != b).count() as u64;
        }
        at = (at + chunk.len()) % PATTERN_PERIOD;
    }
    bad
}

crate::counters! {
    /// What a TCP server or client application did.
    pub struct StreamStats {
        /// Connections accepted (servers) or established (clients).
        connections,
        /// Bytes received.
        bytes_in,
        /// Bytes sent.
        bytes_out,
        /// Messages (replies, lines, datagrams) received.
        messages_in,
        /// Messages sent.
        messages_out,
        /// Connections that ended with a reset.
        resets,
        /// Calls that failed (refused, timed out, …).
        errors,
        /// Received bytes that differ from what a bulk sender sent (must stay 0).
        corrupt_bytes,
        /// 1 once the application has finished its work.
        done,
        /// Microseconds from the first connection to the last byte (bulk sink).
        transfer_us,
        /// Goodput in kilobits per second (bulk sink).
        goodput_kbps,
    }
}

/// The lessons' TCP echo server: a connection loop around a communication loop. It serves one
/// client at a time (others wait in the listen backlog, which is what `listen(5)` is about),
/// replies to each message with the message plus `suffix`, and goes back to `accept` when the
/// client closes (recv returns empty) or vanishes (ConnectionResetError).
#[derive(Clone, Debug)]
pub struct EchoServer {
    pub port: u16,
    pub suffix: Vec<u8>,
    pub backlog: usize,
    /// Serve every client at once instead of one at a time.
    pub concurrent: bool,
    listen: Option<SocketId>,
    current: Vec<SocketId>,
    pub stats: StreamStats,
}

impl EchoServer {
    pub fn new(port: u16, suffix: Vec<u8>, backlog: usize, concurrent: bool) -> Self {
        EchoServer {
            port,
            suffix,
            backlog,
            concurrent,
            listen: None,
            current: Vec::new(),
            stats: StreamStats::default(),
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        let listen = match self.listen {
            Some(s) => s,
            None => {
                let s = cx.new_socket(SockType::Stream);
                let _ = cx.setsockopt(s, SockOpt::ReuseAddr, 1);
                if let Err(e) = cx.bind(s, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, self.port)) {
                    self.stats.errors += 1;
                    cx.log(|| format!("bind failed: {e}"));
                    return;
                }
                let _ = cx.listen(s, self.backlog);
                let port = self.port;
                cx.log(|| format!("listening on port {port}"));
                self.listen = Some(s);
                s
            }
        };
        loop {
            // Connection loop: take a client when free (or always, if concurrent).
            if self.concurrent || self.current.is_empty() {
                match cx.accept(listen) {
                    Ok((c, addr)) => {
                        self.stats.connections += 1;
                        cx.log(|| format!("connection from {addr}"));
                        self.current.push(c);
                        continue;
                    }
                    Err(SocketError::WouldBlock) => {}
                    Err(e) => {
                        self.stats.errors += 1;
                        cx.log(|| format!("accept failed: {e}"));
                    }
                }
            }
            // Communication loop over the connections being served.
            let mut progressed = false;
            let mut k = 0;
            while k < self.current.len() {
                let c = self.current[k];
                match cx.recv(c, 1024) {
                    Ok(data) if data.is_empty() => {
                        cx.log(|| "client closed the connection".to_string());
                        let _ = cx.close(c);
                        self.current.remove(k);
                        progressed = true;
                        continue;
                    }
                    Ok(data) => {
                        self.stats.bytes_in += data.len() as u64;
                        self.stats.messages_in += 1;
                        cx.log(|| {
                            format!(
                                "client says {}",
                                crate::trace::describe::quoted_preview(&data, 60)
                            )
                        });
                        let mut reply = data;
                        reply.extend_from_slice(&self.suffix);
                        match cx.send(c, &reply) {
                            Ok(n) => {
                                self.stats.bytes_out += n as u64;
                                self.stats.messages_out += 1;
                            }
                            Err(e) => cx.log(|| format!("send failed: {e}")),
                        }
                        progressed = true;
                    }
                    Err(SocketError::WouldBlock) => {}
                    Err(e) => {
                        if e == SocketError::ConnectionReset {
                            self.stats.resets += 1;
                        } else {
                            self.stats.errors += 1;
                        }
                        cx.log(|| format!("{e}: back to accept"));
                        let _ = cx.close(c);
                        self.current.remove(k);
                        progressed = true;
                        continue;
                    }
                }
                k += 1;
            }
            if !progressed {
                return;
            }
        }
    }
}

/// A client that connects, sends each message and waits for its reply, then closes: the
/// lessons' client, with a communication loop.
#[derive(Clone, Debug)]
pub struct LineClient {
    pub to: SocketAddrV4,
    pub messages: Vec<Vec<u8>>,
    pub gap: Duration,
    /// Vanish without closing properly (abort with RST) after the last message.
    pub abort: bool,
    sock: Option<SocketId>,
    connected: bool,
    next: usize,
    waiting_reply: bool,
    resume_at: Option<Instant>,
    finished: bool,
    pub stats: StreamStats,
}

impl LineClient {
    pub fn new(to: SocketAddrV4, messages: Vec<Vec<u8>>, gap: Duration, abort: bool) -> Self {
        LineClient {
            to,
            messages,
            gap,
            abort,
            sock: None,
            connected: false,
            next: 0,
            waiting_reply: false,
            resume_at: None,
            finished: false,
            stats: StreamStats::default(),
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        if self.finished {
            None
        } else {
            self.resume_at
        }
    }

    fn finish(&mut self, cx: &mut impl AppCx) {
        self.finished = true;
        self.stats.done = 1;
        self.resume_at = None;
        if let Some(s) = self.sock.take() {
            if self.abort {
                // Closing with unread data… or simply vanishing: a RST tells the server.
                // SO_LINGER {on, 0}: close() sends a RST, as a killed process's
                // lingering-zero socket does.
                let _ = cx.setsockopt(s, SockOpt::Linger, 0);
                let _ = cx.close(s);
                cx.log(|| "vanished (connection aborted)".to_string());
            } else {
                let _ = cx.close(s);
                cx.log(|| "closed the connection".to_string());
            }
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        if self.finished {
            return;
        }
        let s = match self.sock {
            Some(s) => s,
            None => {
                let s = cx.new_socket(SockType::Stream);
                self.sock = Some(s);
                if let Err(e) = cx.connect(s, self.to).or_else(ignore_in_progress) {
                    self.stats.errors += 1;
                    cx.log(|| format!("connect failed: {e}"));
                    self.finish(cx);
                }
                return;
            }
        };
        if !self.connected {
            if !cx.connect_done(s) {
                return;
            }
            if let Err(e) = cx.connect_result(s) {
                self.stats.errors += 1;
                cx.log(|| format!("connect failed: {e}"));
                self.sock = None;
                let _ = cx.close(s);
                self.finish(cx);
                return;
            }
            self.connected = true;
            self.stats.connections += 1;
            let to = self.to;
            cx.log(|| format!("connected to {to}"));
        }
        loop {
            if self.waiting_reply {
                match cx.recv(s, 1024) {
                    Ok(data) if data.is_empty() => {
                        cx.log(|| "server closed the connection".to_string());
                        self.finish(cx);
                        return;
                    }
                    Ok(data) => {
                        self.stats.bytes_in += data.len() as u64;
                        self.stats.messages_in += 1;
                        cx.log(|| {
                            format!(
                                "reply {}",
                                crate::trace::describe::quoted_preview(&data, 60)
                            )
                        });
                        self.waiting_reply = false;
                        if self.next < self.messages.len() && !self.gap.is_zero() {
                            self.resume_at = Some(cx.now() + self.gap);
                            return;
                        }
                    }
                    Err(SocketError::WouldBlock) => return,
                    Err(e) => {
                        self.stats.errors += 1;
                        cx.log(|| format!("recv failed: {e}"));
                        self.finish(cx);
                        return;
                    }
                }
            }
            if self.resume_at.is_some_and(|t| t > cx.now()) {
                return;
            }
            self.resume_at = None;
            if self.next >= self.messages.len() {
                self.finish(cx);
                return;
            }
            let msg = self.messages[self.next].clone();
            match cx.send(s, &msg) {
                Ok(n) => {
                    self.stats.bytes_out += n as u64;
                    self.stats.messages_out += 1;
                    self.next += 1;
                    self.waiting_reply = true;
                }
                Err(SocketError::WouldBlock) => return,
                Err(e) => {
                    self.stats.errors += 1;
                    cx.log(|| format!("send failed: {e}"));
                    self.finish(cx);
                    return;
                }
            }
        }
    }
}

/// Sends `bytes` of a known pattern as fast as TCP allows, then closes (an iperf client).
#[derive(Clone, Debug)]
pub struct BulkSend {
    pub to: SocketAddrV4,
    pub bytes: u64,
    sock: Option<SocketId>,
    connected: bool,
    sent: u64,
    finished: bool,
    /// Pattern bytes from offset `sent - pos`: `buf[pos..]` is still to be handed to TCP, so
    /// the pattern is computed once per byte, not once per attempt.
    buf: Vec<u8>,
    pos: usize,
    pub stats: StreamStats,
}

impl BulkSend {
    pub fn new(to: SocketAddrV4, bytes: u64) -> Self {
        BulkSend {
            to,
            bytes,
            sock: None,
            connected: false,
            sent: 0,
            finished: false,
            buf: Vec::new(),
            pos: 0,
            stats: StreamStats::default(),
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        if self.finished {
            return;
        }
        let s = match self.sock {
            Some(s) => s,
            None => {
                let s = cx.new_socket(SockType::Stream);
                self.sock = Some(s);
                if let Err(e) = cx.connect(s, self.to).or_else(ignore_in_progress) {
                    self.stats.errors += 1;
                    cx.log(|| format!("connect failed: {e}"));
                    self.finished = true;
                }
                return;
            }
        };
        if !self.connected {
            if !cx.connect_done(s) {
                return;
            }
            if let Err(e) = cx.connect_result(s) {
                self.stats.errors += 1;
                cx.log(|| format!("connect failed: {e}"));
                self.finished = true;
                return;
            }
            self.connected = true;
            self.stats.connections += 1;
        }
        while self.sent < self.bytes {
            if self.pos == self.buf.len() {
                let n = (self.bytes - self.sent).min(64 * 1024) as usize;
                self.buf.resize(n, 0);
                fill_pattern(&mut self.buf, self.sent);
                self.pos = 0;
            }
            match cx.send(s, &self.buf[self.pos..]) {
                Ok(0) | Err(SocketError::WouldBlock) => return,
                Ok(k) => {
                    self.pos += k;
                    self.sent += k as u64;
                    self.stats.bytes_out += k as u64;
                }
                Err(e) => {
                    self.stats.errors += 1;
                    cx.log(|| format!("send failed: {e}"));
                    self.finish();
                    return;
                }
            }
        }
        let _ = cx.close(s);
        self.finish();
        self.stats.done = 1;
        let sent = self.sent;
        cx.log(|| format!("sent {sent} bytes, closing"));
    }

    /// Done: the pattern buffer goes (a host keeps its finished applications, thousands of
    /// them after a run of short connections).
    fn finish(&mut self) {
        self.finished = true;
        self.buf = Vec::new();
    }
}

/// Accepts connections and reads everything, checking each byte against the bulk pattern
/// (an iperf server). Reports goodput from the first connection to the last byte.
#[derive(Clone, Debug)]
pub struct BulkSink {
    pub port: u16,
    listen: Option<SocketId>,
    conns: Vec<(SocketId, u64)>,
    first: Option<Instant>,
    last: Option<Instant>,
    buf: Vec<u8>,
    pub stats: StreamStats,
}

impl BulkSink {
    pub fn new(port: u16) -> Self {
        BulkSink {
            port,
            listen: None,
            conns: Vec::new(),
            first: None,
            last: None,
            buf: vec![0; 64 * 1024],
            stats: StreamStats::default(),
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        let Some(listen) = cx.server_socket(
            &mut self.listen,
            SockType::Stream,
            self.port,
            &mut self.stats.errors,
        ) else {
            return;
        };
        while let Ok((c, _)) = cx.accept(listen) {
            self.stats.connections += 1;
            self.first.get_or_insert(cx.now());
            self.conns.push((c, 0));
        }
        let mut k = 0;
        while k < self.conns.len() {
            let (c, mut offset) = self.conns[k];
            let mut closed = false;
            loop {
                match cx.recv_into(c, &mut self.buf) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => {
                        self.stats.corrupt_bytes +=
                            count_pattern_mismatches(&self.buf[..n], offset);
                        offset += n as u64;
                        self.stats.bytes_in += n as u64;
                        self.last = Some(cx.now());
                    }
                    Err(SocketError::WouldBlock) => break,
                    Err(e) => {
                        if e == SocketError::ConnectionReset {
                            self.stats.resets += 1;
                        } else {
                            self.stats.errors += 1;
                        }
                        closed = true;
                        break;
                    }
                }
            }
            self.conns[k].1 = offset;
            if closed {
                let _ = cx.close(c);
                self.conns.remove(k);
                self.stats.done = 1;
                if let (Some(a), Some(b)) = (self.first, self.last) {
                    let us = (b - a).as_nanos() / 1000;
                    self.stats.transfer_us = us;
                    self.stats.goodput_kbps = (self.stats.bytes_in * 8 * 1000)
                        .checked_div(us)
                        .unwrap_or(0);
                }
                let (bytes, us, kbps) = (
                    self.stats.bytes_in,
                    self.stats.transfer_us,
                    self.stats.goodput_kbps,
                );
                cx.log(|| format!("received {bytes} bytes in {us} µs: {kbps} kbit/s"));
                continue;
            }
            k += 1;
        }
    }
}

/// UDP echo server: every datagram goes back to its sender, unchanged.
#[derive(Clone, Debug)]
pub struct UdpEcho {
    pub port: u16,
    sock: Option<SocketId>,
    pub stats: StreamStats,
}

impl UdpEcho {
    pub fn new(port: u16) -> Self {
        UdpEcho {
            port,
            sock: None,
            stats: StreamStats::default(),
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        let Some(s) = cx.server_socket(
            &mut self.sock,
            SockType::Dgram,
            self.port,
            &mut self.stats.errors,
        ) else {
            return;
        };
        while let Ok((data, from)) = cx.recvfrom(s, 65535) {
            self.stats.messages_in += 1;
            self.stats.bytes_in += data.len() as u64;
            cx.log(|| {
                format!(
                    "datagram from {from}: {}",
                    crate::trace::describe::quoted_preview(&data, 60)
                )
            });
            if cx.sendto(s, &data, from).is_ok() {
                self.stats.messages_out += 1;
                self.stats.bytes_out += data.len() as u64;
            }
        }
    }
}

/// Sends datagrams (given messages, or `count` datagrams of `size` pattern bytes) one every
/// `gap`, and counts what comes back: a UDP client, or half of a UDP transfer.
#[derive(Clone, Debug)]
pub struct UdpSend {
    pub to: SocketAddrV4,
    pub messages: Datagrams,
    pub gap: Duration,
    sock: Option<SocketId>,
    next: usize,
    next_at: Option<Instant>,
    pub stats: StreamStats,
}

/// What a [`UdpSend`] sends: the messages given, or `count` datagrams of `size` bytes of the
/// pattern, each made when it is sent (a large count costs no memory when the file is loaded).
#[derive(Clone, Debug)]
pub enum Datagrams {
    Given(Vec<Vec<u8>>),
    Pattern { count: usize, size: usize },
}

impl Datagrams {
    pub fn len(&self) -> usize {
        match self {
            Datagrams::Given(m) => m.len(),
            Datagrams::Pattern { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Datagram `k`; a pattern datagram continues the pattern where datagram `k - 1` ended.
    pub fn get(&self, k: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        match self {
            Datagrams::Given(m) => m.get(k).map(|m| std::borrow::Cow::Borrowed(&m[..])),
            Datagrams::Pattern { count, size } => (k < *count).then(|| {
                let mut m = vec![0u8; *size];
                fill_pattern(&mut m, (k as u64).wrapping_mul(*size as u64));
                std::borrow::Cow::Owned(m)
            }),
        }
    }
}

impl UdpSend {
    pub fn new(to: SocketAddrV4, messages: Vec<Vec<u8>>, gap: Duration, start: Instant) -> Self {
        Self::of(to, Datagrams::Given(messages), gap, start)
    }

    /// `count` datagrams of `size` pattern bytes.
    pub fn pattern(
        to: SocketAddrV4,
        count: usize,
        size: usize,
        gap: Duration,
        start: Instant,
    ) -> Self {
        Self::of(to, Datagrams::Pattern { count, size }, gap, start)
    }

    fn of(to: SocketAddrV4, messages: Datagrams, gap: Duration, start: Instant) -> Self {
        UdpSend {
            to,
            messages,
            gap,
            sock: None,
            next: 0,
            next_at: Some(start),
            stats: StreamStats::default(),
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.next_at
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        let s = match self.sock {
            Some(s) => s,
            None => {
                let s = cx.new_socket(SockType::Dgram);
                self.sock = Some(s);
                s
            }
        };
        while let Ok((data, from)) = cx.recvfrom(s, 65535) {
            self.stats.messages_in += 1;
            self.stats.bytes_in += data.len() as u64;
            cx.log(|| {
                format!(
                    "datagram from {from}: {}",
                    crate::trace::describe::quoted_preview(&data, 60)
                )
            });
        }
        while self.next_at.is_some_and(|t| t <= cx.now()) {
            let Some(msg) = self.messages.get(self.next) else {
                self.next_at = None;
                self.stats.done = 1;
                break;
            };
            match cx.sendto(s, &msg, self.to) {
                Ok(n) => {
                    self.stats.messages_out += 1;
                    self.stats.bytes_out += n as u64;
                }
                Err(e) => {
                    self.stats.errors += 1;
                    cx.log(|| format!("sendto failed: {e}"));
                }
            }
            self.next += 1;
            self.next_at = if self.next < self.messages.len() {
                Some(cx.now() + self.gap)
            } else {
                self.stats.done = 1;
                None
            };
        }
    }
}

/// Receives datagrams on a port and counts them (the other half of a UDP transfer).
#[derive(Clone, Debug)]
pub struct UdpSink {
    pub port: u16,
    sock: Option<SocketId>,
    pub stats: StreamStats,
}

impl UdpSink {
    pub fn new(port: u16) -> Self {
        UdpSink {
            port,
            sock: None,
            stats: StreamStats::default(),
        }
    }

    pub fn poll(&mut self, cx: &mut impl AppCx) {
        let Some(s) = cx.server_socket(
            &mut self.sock,
            SockType::Dgram,
            self.port,
            &mut self.stats.errors,
        ) else {
            return;
        };
        while let Ok((data, from)) = cx.recvfrom(s, 65535) {
            self.stats.messages_in += 1;
            self.stats.bytes_in += data.len() as u64;
            cx.log(|| format!("datagram from {from}: {} bytes", data.len()));
        }
    }
}

/// Every socket application.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_fill_and_check_agree_at_any_offset() {
        for start in [0u64, 1, 1448, 65_520, 65_521, 1_000_000_007] {
            let mut buf = vec![0u8; 200_000];
            fill_pattern(&mut buf, start);
            assert_eq!(count_pattern_mismatches(&buf, start), 0);
            assert_eq!(buf[7], pattern_byte(start + 7));
            // The same bytes at another offset do not pass (a misplaced segment is caught).
            assert!(count_pattern_mismatches(&buf[..1448], start + 1448) > 1000);
        }
    }

    /// Pattern datagrams made one at a time continue the pattern as the whole run of them
    /// made at once did; there are `count` of them.
    #[test]
    fn pattern_datagrams_are_made_as_sent() {
        let d = Datagrams::Pattern {
            count: 3,
            size: 1000,
        };
        let mut all = vec![0u8; 3000];
        fill_pattern(&mut all, 0);
        let made: Vec<u8> = (0..3).flat_map(|k| d.get(k).unwrap().to_vec()).collect();
        assert_eq!(made, all);
        assert!(d.get(3).is_none());
        assert_eq!(d.len(), 3);
        let huge = Datagrams::Pattern {
            count: usize::MAX,
            size: 65507,
        };
        assert_eq!(huge.get(usize::MAX - 1).unwrap().len(), 65507);
    }
}

/// Every socket application.
#[derive(Clone, Debug)]
pub enum SocketApp {
    EchoServer(EchoServer),
    LineClient(LineClient),
    BulkSend(BulkSend),
    BulkSink(BulkSink),
    UdpEcho(UdpEcho),
    UdpSend(UdpSend),
    UdpSink(UdpSink),
    Script(super::script::Script),
    Python(Box<super::python::PythonProgram>),
}

impl SocketApp {
    pub fn poll(&mut self, cx: &mut impl AppCx) {
        match self {
            SocketApp::EchoServer(a) => a.poll(cx),
            SocketApp::LineClient(a) => a.poll(cx),
            SocketApp::BulkSend(a) => a.poll(cx),
            SocketApp::BulkSink(a) => a.poll(cx),
            SocketApp::UdpEcho(a) => a.poll(cx),
            SocketApp::UdpSend(a) => a.poll(cx),
            SocketApp::UdpSink(a) => a.poll(cx),
            SocketApp::Script(a) => a.poll(cx),
            SocketApp::Python(a) => a.poll(cx),
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        match self {
            SocketApp::LineClient(a) => a.poll_at(),
            SocketApp::UdpSend(a) => a.poll_at(),
            SocketApp::Script(a) => a.poll_at(),
            SocketApp::Python(a) => a.poll_at(),
            _ => None,
        }
    }

    pub fn counter(&self, name: &str) -> Option<u64> {
        match self {
            SocketApp::EchoServer(a) => a.stats.get(name),
            SocketApp::LineClient(a) => a.stats.get(name),
            SocketApp::BulkSend(a) => a.stats.get(name),
            SocketApp::BulkSink(a) => a.stats.get(name),
            SocketApp::UdpEcho(a) => a.stats.get(name),
            SocketApp::UdpSend(a) => a.stats.get(name),
            SocketApp::UdpSink(a) => a.stats.get(name),
            SocketApp::Script(a) => a.counter(name),
            SocketApp::Python(a) => a.counter(name),
        }
    }
}
