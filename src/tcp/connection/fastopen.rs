//! TCP Fast Open on one connection (RFC 7413), as Linux 6.18 does it: the client's SYN with
//! a cookie and data (`tcp_send_syn_data`), what its SYN-ACK teaches
//! (`tcp_rcv_fastopen_synack`), and the server's child that took the SYN's data
//! (`tcp_fastopen_create_child`, `tcp_fastopen_add_skb`).

use std::net::SocketAddrV4;

use super::Connection;
use crate::tcp::config::TcpConfig;
use crate::tcp::event::{AcceptError, ConnectError, Output, RetransmitReason};
use crate::tcp::fastopen::FastOpenOption;
use crate::tcp::seq::SeqNumber;
use crate::tcp::wire::TcpRepr;
use crate::time::Instant;

/// Linux's `MAX_TCP_OPTION_SPACE`: the room a SYN's data leaves for options, whatever they
/// are, so middleboxes may add some.
const MAX_OPTION_SPACE: usize = 40;

/// A connection's Fast Open state (boxed: few connections use it).
#[derive(Debug, Default)]
pub(super) struct FastOpen {
    /// The option our SYN or first SYN-ACK carries; taken when sent (Linux leaves it off
    /// retransmissions).
    option: Option<FastOpenOption>,
    /// Passive: a child made from a SYN with a good cookie. It may send before the handshake
    /// completes, and an RST in SYN_RECEIVED resets it (it is a full socket already).
    child: bool,
    /// Active: our SYN carried a Fast Open option (Linux `syn_fastopen`), and in the
    /// experimental format (`syn_fastopen_exp`).
    asked: bool,
    asked_exp: bool,
    /// Active: bytes of data on our SYN (Linux `syn_data`).
    syn_data: u32,
    /// The SYN's data was acknowledged: by the server, or by us as the server
    /// (`TCPI_OPT_SYN_DATA`).
    syn_data_acked: bool,
    /// Active: what the SYN-ACK taught, for the host's cache, until the host takes it.
    report: Option<CacheReport>,
    /// Passive: bytes of the SYN's data the child took.
    syn_data_taken: u32,
}

/// What a client learned from a SYN-ACK, for its Fast Open cache (Linux
/// `tcp_fastopen_cache_set`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheReport {
    pub server: std::net::Ipv4Addr,
    pub mss: Option<u16>,
    pub cookie: Option<FastOpenOption>,
    pub try_exp: u8,
}

/// How an active open uses Fast Open.
#[derive(Clone, Copy, Debug)]
pub struct FastOpenSyn {
    /// The option on the SYN: a cookie request, a cookie, or none (no cookie needed).
    pub option: Option<FastOpenOption>,
    /// Whether the SYN carries data (a cookie, or none needed).
    pub with_data: bool,
    /// The server's MSS from the cache, which bounds the SYN's data.
    pub cached_mss: Option<u16>,
}

impl Connection {
    /// Active open with Fast Open (RFC 7413 §4.2): `data` goes to the send buffer and, if
    /// `syn.with_data`, as much of it as fits onto the SYN: the MSS (ours, or the server's
    /// cached one) less 40 bytes of option room (Linux `tcp_send_syn_data`). Returns the
    /// connection and how many bytes the SYN carries.
    #[allow(clippy::too_many_arguments)]
    pub fn connect_fast_open(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        isn: SeqNumber,
        config: &TcpConfig,
        syn: FastOpenSyn,
        data: &[u8],
        out: &mut Output,
    ) -> Result<(Connection, usize), ConnectError> {
        let mut conn = Connection::open_active(now, local, remote, isn, config, out)?;
        let mut n = 0;
        if syn.with_data {
            let clamp = syn
                .cached_mss
                .unwrap_or(conn.config.mss)
                .min(conn.config.mss);
            let room = (clamp as usize).min(1460).saturating_sub(MAX_OPTION_SPACE);
            n = conn.send_buf.push(&data[..data.len().min(room)]);
        }
        conn.fastopen = Some(Box::new(FastOpen {
            option: syn.option,
            asked: syn.option.is_some(),
            asked_exp: syn.option.is_some_and(|o| o.exp),
            syn_data: n as u32,
            ..FastOpen::default()
        }));
        conn.send_syn_with_data(out, n);
        if n > 0 {
            conn.snd_nxt += n as u32;
            conn.snd_max = conn.snd_nxt;
            conn.last_data_sent = Some(now);
        }
        conn.arm_retransmit(now, out);
        Ok((conn, n))
    }

    /// Passive open of a Fast Open child (RFC 7413 §4.1.2): as [`Connection::accept_syn`],
    /// but the SYN's data is taken at once, so the SYN-ACK acknowledges it, and the
    /// connection may send before the handshake completes. `reply` is the cookie option the
    /// SYN-ACK carries, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn accept_fast_open(
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        syn: &TcpRepr,
        isn: SeqNumber,
        config: &TcpConfig,
        reply: Option<FastOpenOption>,
        child: bool,
        out: &mut Output,
    ) -> Result<Connection, AcceptError> {
        let mut fo = FastOpen {
            option: reply,
            child,
            ..FastOpen::default()
        };
        Connection::open_passive(now, local, remote, syn, isn, config, out, |conn| {
            if child && !syn.payload.is_empty() {
                let written = conn.recv_buf.write(0, syn.payload);
                conn.rcv_nxt += written.advanced;
                conn.last_ack_sent = conn.rcv_nxt;
                conn.rcv_adv = conn.rcv_nxt;
                fo.syn_data_acked = written.advanced > 0;
                fo.syn_data_taken = written.advanced as u32;
            }
            conn.fastopen = Some(Box::new(fo));
        })
    }

    /// The Fast Open option our SYN or SYN-ACK carries now, taken: only the first one has it.
    pub(super) fn take_fastopen_option(&mut self) -> Option<FastOpenOption> {
        self.fastopen.as_mut().and_then(|f| f.option.take())
    }

    /// A Fast Open child may send in SYN_RECEIVED (Linux `tcp_passive_fastopen`).
    pub(super) fn fastopen_child(&self) -> bool {
        self.fastopen.as_ref().is_some_and(|f| f.child)
    }

    /// A writer waits for the handshake (Linux `sk_write_pending`): the ACK of the SYN-ACK is
    /// then saved for its data.
    pub fn set_write_pending(&mut self, on: bool) {
        self.write_pending = on;
    }

    /// A Fast Open child may be written to before its handshake completes.
    pub fn may_send_before_established(&self) -> bool {
        self.fastopen_child()
    }

    /// Bytes of a Fast Open SYN's data this child took (0 for any other connection).
    pub(super) fn fastopen_syn_data_taken(&self) -> u32 {
        self.fastopen.as_ref().map_or(0, |f| f.syn_data_taken)
    }

    /// Whether the SYN's data was acknowledged (`TCPI_OPT_SYN_DATA` in `tcpi_options`).
    pub fn syn_data_acked(&self) -> bool {
        self.fastopen.as_ref().is_some_and(|f| f.syn_data_acked)
    }

    /// What the SYN-ACK taught about the server, once, for the host's cache.
    pub fn take_fastopen_report(&mut self) -> Option<CacheReport> {
        self.fastopen.as_mut().and_then(|f| f.report.take())
    }

    /// Client, SYN_SENT: the SYN-ACK arrived and its ACK was processed (Linux
    /// `tcp_rcv_fastopen_synack`). Reports the MSS and cookie for the cache; if the server
    /// did not take the SYN's data, it goes again now.
    pub(super) fn on_fastopen_syn_ack(&mut self, syn_ack: &TcpRepr) {
        let retransmitted = self.syn_retransmitted;
        let Some(fo) = self.fastopen.as_mut() else {
            return;
        };
        let cookie = syn_ack.options.fast_open;
        let data_unacked = fo.syn_data > 0 && self.snd_una < self.snd_max;
        let (cookie, try_exp) = if !fo.asked {
            // An unsolicited cookie is ignored.
            (None, 0)
        } else if retransmitted {
            (cookie, 0)
        } else if cookie.is_none() && fo.syn_data == 0 {
            // Asked and got nothing: ask in the other format next time.
            (None, if fo.asked_exp { 2 } else { 1 })
        } else {
            (cookie, 0)
        };
        fo.report = Some(CacheReport {
            server: *self.remote.ip(),
            mss: syn_ack.options.mss,
            cookie,
            try_exp,
        });
        if data_unacked {
            // Linux marks the SYN's data lost and sends it again (`tcp_non_congestion_loss_
            // retransmit`): go back to SND.UNA.
            self.snd_nxt = self.snd_una;
            self.resend_reason = RetransmitReason::Rto;
        } else if fo.syn_data > 0 {
            fo.syn_data_acked = true;
        }
    }
}
