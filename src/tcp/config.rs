//! Tunables of a TCP connection, defaulting to what a current Linux does.

use crate::time::Duration;

/// Configuration shared by a connection and the listener that spawns it.
///
/// Every default is Linux's (sysctl names in brackets) unless said otherwise. Out-of-range
/// values are clamped by [`TcpConfig::sanitized`] rather than rejected, so no value can make
/// the connection misbehave or panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConfig {
    /// Largest payload we accept per segment, announced in our SYN's MSS option.
    /// Default 1460 (Ethernet MTU 1500 minus 40 bytes of IPv4 and TCP headers). Minimum 64.
    pub mss: u16,
    /// Send buffer size in bytes: unacknowledged plus not-yet-sent data. Default 128 KiB.
    pub send_buffer_size: usize,
    /// Receive buffer size in bytes; bounds the window we advertise. Default 128 KiB
    /// (Linux `tcp_rmem` default is 128 KiB).
    pub recv_buffer_size: usize,
    /// Whether to offer window scaling (RFC 7323 §2) on our SYN. Default true
    /// [`tcp_window_scaling` = 1]. The shift is the smallest that lets the receive buffer be
    /// advertised.
    pub window_scaling: bool,
    /// RTO before any RTT sample (RFC 6298 §2.1). Default 1 s [`TCP_TIMEOUT_INIT`].
    pub initial_rto: Duration,
    /// Lower bound of the RTO. Default 200 ms [`TCP_RTO_MIN`]; RFC 6298 asks for 1 s.
    pub min_rto: Duration,
    /// Upper bound of the RTO, also of backed-off RTOs and persist intervals. Default 120 s
    /// [`TCP_RTO_MAX`].
    pub max_rto: Duration,
    /// SYN retransmissions before an active open gives up. Default 6 [`tcp_syn_retries`]: with
    /// a 1 s initial RTO the SYN goes out at 0, 1, 3, 7, 15, 31 and 63 s and the connect fails
    /// with a timeout at 127 s.
    pub syn_retries: u32,
    /// SYN-ACK retransmissions before a half-open connection is dropped. Default 5
    /// [`tcp_synack_retries`].
    pub synack_retries: u32,
    /// Retransmissions of the same data (or FIN) before the connection is aborted with a
    /// timeout. Default 15 [`tcp_retries2`]. netlab counts retransmissions; Linux turns the
    /// number into a time budget (about 924.6 s when the RTO starts at 200 ms). Also bounds the
    /// number of unanswered zero-window probes.
    pub data_retries: u32,
    /// Longest time an ACK for received data may be delayed (RFC 1122 §4.2.3.2).
    /// Default 40 ms [`TCP_DELACK_MIN`].
    pub delayed_ack: Duration,
    /// Number of data segments at the start of a connection acknowledged at once rather than
    /// delayed, so the peer's slow start is not held back. Default 16 [`TCP_MAX_QUICKACKS`];
    /// 0 disables.
    pub quick_acks: u32,
    /// Nagle's algorithm (RFC 896, RFC 1122 §4.2.3.4) in Minshall's form, as Linux: hold back
    /// a small segment while an earlier small segment is unacknowledged. Default true
    /// (`TCP_NODELAY` off).
    pub nagle: bool,
    /// Initial congestion window in segments (RFC 6928). Default 10 [`TCP_INIT_CWND`].
    pub initial_cwnd_segments: u32,
    /// How long TIME_WAIT lasts before the connection is CLOSED. Default 60 s
    /// [`TCP_TIMEWAIT_LEN`], Linux's fixed value for 2*MSL.
    pub time_wait: Duration,
    /// Answer SYNs with SYN cookies when the SYN queue is full, instead of dropping them.
    /// Default true [`tcp_syncookies` = 1]; the textbook listener (off) drops them.
    pub syncookies: bool,
    /// How long a connection the application closed (orphaned) stays in FIN_WAIT_2 waiting
    /// for the peer's FIN before it is dropped. Default 60 s [`tcp_fin_timeout`]; a socket's
    /// `TCP_LINGER2` overrides it.
    pub fin_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            send_buffer_size: 128 * 1024,
            recv_buffer_size: 128 * 1024,
            window_scaling: true,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(120),
            syn_retries: 6,
            synack_retries: 5,
            data_retries: 15,
            delayed_ack: Duration::from_millis(40),
            quick_acks: 16,
            nagle: true,
            initial_cwnd_segments: 10,
            time_wait: Duration::from_secs(60),
            syncookies: true,
            fin_timeout: Duration::from_secs(60),
        }
    }
}

/// Largest window a scaled window field can express (RFC 7323 §2.3: shift at most 14).
pub(crate) const MAX_WINDOW: usize = 65535 << 14;

impl TcpConfig {
    /// A copy with every value brought into a range the connection can work with: MSS at least
    /// 64, buffers at least one byte and at most what a scaled window can advertise, RTO bounds
    /// ordered and non-zero, at least one initial congestion window segment.
    pub fn sanitized(&self) -> TcpConfig {
        let mut c = self.clone();
        c.mss = c.mss.max(64);
        c.send_buffer_size = c.send_buffer_size.clamp(1, MAX_WINDOW);
        c.recv_buffer_size = c.recv_buffer_size.clamp(1, MAX_WINDOW);
        c.min_rto = c.min_rto.max(Duration::from_micros(1));
        c.max_rto = c.max_rto.max(c.min_rto);
        c.initial_rto = c.initial_rto.clamp(c.min_rto, c.max_rto);
        c.initial_cwnd_segments = c.initial_cwnd_segments.max(1);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_linux_values() {
        let c = TcpConfig::default();
        assert_eq!(c.mss, 1460);
        assert_eq!(c.initial_rto, Duration::from_secs(1));
        assert_eq!(c.min_rto, Duration::from_millis(200));
        assert_eq!(c.max_rto, Duration::from_secs(120));
        assert_eq!(
            (c.syn_retries, c.synack_retries, c.data_retries),
            (6, 5, 15)
        );
        assert_eq!(c.delayed_ack, Duration::from_millis(40));
        assert_eq!(c.time_wait, Duration::from_secs(60));
        assert_eq!(c.initial_cwnd_segments, 10);
        assert!(c.nagle);
        assert_eq!(c.sanitized(), c);
    }

    #[test]
    fn sanitized_clamps_nonsense() {
        let c = TcpConfig {
            mss: 0,
            send_buffer_size: 0,
            recv_buffer_size: usize::MAX,
            min_rto: Duration::ZERO,
            max_rto: Duration::ZERO,
            initial_rto: Duration::from_secs(5),
            initial_cwnd_segments: 0,
            ..TcpConfig::default()
        }
        .sanitized();
        assert_eq!(c.mss, 64);
        assert_eq!(c.send_buffer_size, 1);
        assert_eq!(c.recv_buffer_size, MAX_WINDOW);
        assert!(c.min_rto <= c.initial_rto && c.initial_rto <= c.max_rto);
        assert_eq!(c.initial_cwnd_segments, 1);
    }
}
