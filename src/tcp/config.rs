//! Tunables of a TCP connection, defaulting to what a current Linux does.

use super::congestion::Algorithm;
use super::connection::Keepalive;
use crate::time::Duration;

/// A named set of defaults: which TCP a host speaks before per-key overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TcpProfile {
    /// Linux 6.18 as captured on this machine kind (`shared/anchors/ORACLES.md` §3): SACK and
    /// timestamps offered, window scale from a 32 MiB `tcp_rmem` maximum (shift 10),
    /// `tcp_syn_linear_timeouts = 4`, IP ID per connection.
    #[default]
    Linux,
    /// TCP as lecture notes teach it (RFC 793/9293 with RFC 5681/6298): no SACK, no
    /// timestamps, classic exponential SYN backoff, one IP ID counter per host. Window
    /// scaling stays on (shift from the receive buffer), as netlab always did.
    Textbook,
}

impl TcpProfile {
    /// The name used in scenario files and shown by `show sockets`.
    pub fn name(self) -> &'static str {
        match self {
            TcpProfile::Linux => "linux",
            TcpProfile::Textbook => "textbook",
        }
    }

    /// Parses `linux` or `textbook`.
    pub fn from_name(name: &str) -> Option<TcpProfile> {
        match name {
            "linux" => Some(TcpProfile::Linux),
            "textbook" => Some(TcpProfile::Textbook),
            _ => None,
        }
    }
}

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
    /// How persistent an active open is (`TCP_SYNCNT` per socket). As Linux, a time budget:
    /// the time this many retransmissions take doubling from the initial RTO
    /// (`tcp_model_timeout`), whatever the linear timeouts did. Default 6 [`tcp_syn_retries`]:
    /// with a 1 s initial RTO and classic doubling the SYN goes out at 0, 1, 3, 7, 15, 31 and
    /// 63 s and connect fails at 127 s; with Linux's 4 linear timeouts at 0, 1, 2, 3, 4, 5, 7,
    /// 11, 19, 35, 67 s and fails at 131 s; `TCP_SYNCNT` 1 gives SYNs at 0, 1 and 2 s and fails
    /// at 3 s (measured on Linux 6.18: tests/packetdrill/syn-count.pkt).
    pub syn_retries: u32,
    /// The GSO size a device hands larger received segments with (0: none): Linux measures
    /// the peer's segment size (`rcv_mss`) from it rather than from the whole aggregate
    /// (`tcp_measure_rcv_mss`). Only packetdrill's `--mss` sets it, as it sets tun's.
    pub rx_gso_size: u32,
    /// SYN-ACK retransmissions before a half-open connection is dropped. Default 5
    /// [`tcp_synack_retries`].
    pub synack_retries: u32,
    /// How persistent data (or FIN) retransmission is before the connection is aborted with a
    /// timeout. Default 15 [`tcp_retries2`]. As Linux (`retransmits_timed_out`), it is turned
    /// into a time budget: the time 15 retransmissions would take with the RTO doubling from
    /// `min_rto` up to `max_rto` (924.6 s by default), counted from the first timeout. Also
    /// bounds the number of unanswered zero-window probes.
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

    // Knobs that differ between profiles (see [`TcpProfile`]).
    /// The profile these values started from (shown by `show sockets`).
    pub profile: TcpProfile,
    /// Offer and accept SACK (RFC 2018) [`tcp_sack`]. linux: true, textbook: false.
    pub sack: bool,
    /// Offer and accept timestamps (RFC 7323 §3) [`tcp_timestamps`]. linux: true,
    /// textbook: false.
    pub timestamps: bool,
    /// SYN retransmissions sent at the initial RTO before the backoff starts doubling
    /// [`tcp_syn_linear_timeouts`, Linux ≥ 6.5]; they come on top of `syn_retries`.
    /// linux: 4 (SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s), textbook: 0.
    pub syn_linear_timeouts: u32,
    /// Largest receive buffer the stack may grow to [`tcp_rmem`\[2\]]. Linux picks the window
    /// scale from it (`tcp_select_initial_window`: `ilog2(max) - 15`), not from the current
    /// buffer. linux: 32 MiB as on the capture host (shift 10; the stock 6 MiB gives 7).
    /// textbook: 0, so the shift is the smallest that fits the receive buffer.
    pub rmem_max: usize,
    /// The receive buffer was set with `SO_RCVBUF`: Linux then bounds the window scale by this
    /// buffer (`window_clamp`), so SO_RCVBUF 4096 gives shift 0 (ORACLES.md §3.2 (i)).
    pub recv_buffer_locked: bool,
    /// Linux's receive-window moderation: the offered window starts at the SYN's (64240) and
    /// grows by two segments per full-sized segment received, up to the buffer
    /// (`rcv_ssthresh`). Off (textbook): the whole free buffer is offered at once.
    pub window_moderation: bool,
    /// IP identification as Linux: a random start per connection, +1 per packet, 0 on a
    /// SYN-ACK and on RST. Off (textbook): one counter per host.
    pub ip_id_per_connection: bool,
    /// Linux sends new data in bursts (one TSO/GSO packet each) and the last segment of a
    /// burst of two or more carries PSH, as does the end of each write. Measured on Linux 6.18
    /// with upstream packetdrill (docs/linux-observations.md, "When does Linux set PSH?").
    /// This is the floor of a burst, [`tcp_min_tso_segs`] = 2; the size itself follows the
    /// pacing rate and the minimum RTT as Linux's `tcp_tso_autosize`
    /// (`Connection::tso_segs`), at most half of cwnd as `tcp_cwnd_test`. Data sent again
    /// keeps PSH if it leaves as a packet of two or more segments or ends a write ("PSH on
    /// data sent again"). 0 (textbook): no bursts, PSH only on the segment that empties the
    /// send queue.
    pub tso_segs: u32,
    /// Congestion-control algorithm. linux: CUBIC (RFC 9438), which Linux uses unless told
    /// otherwise [`tcp_congestion_control` = cubic; the capture machine's namespaces default
    /// to bbr, but ORACLES.md's captures and packetdrill's `defaults.sh` set cubic].
    pub congestion: Algorithm,
    /// CUBIC's HyStart detectors, as Linux's `hystart_detect` bits: 1 the ACK train, 2 the
    /// delay increase (`congestion/hystart.rs`); 0 turns HyStart off. linux: 3 (Linux's
    /// `hystart` = 1, `hystart_detect` = 3), textbook: 0 (slow start to the first loss).
    pub hystart: u8,
    /// Restart the congestion window when new data follows an idle period longer than the
    /// RTO (RFC 5681 §4.1; Linux `tcp_slow_start_after_idle`, connection/idle.rs). linux: true
    /// (the capture machine's setting), textbook: false (the lecture notes keep the window).
    pub slow_start_after_idle: bool,
    /// With SACK: RACK loss detection and the tail-loss probe (RFC 8985) [`tcp_recovery` = 1,
    /// `tcp_early_retrans` = 3]. linux: true, textbook: false.
    pub rack_tlp: bool,
    /// F-RTO after a retransmission timeout (RFC 5682, SACK-enhanced) [`tcp_frto` = 2].
    /// linux: true, textbook: false.
    pub frto: bool,
    /// With SACK, fast recovery sets cwnd by Proportional Rate Reduction (RFC 6937) as Linux's
    /// `tcp_cwnd_reduction` does: pipe plus ssthresh/prior-cwnd of what each ACK delivered,
    /// the first retransmission forced. Off: cwnd = ssthresh at once (RFC 6675 §5).
    /// Measured on Linux 6.18 (tests/packetdrill/prr.pkt). linux: true, textbook: false.
    pub prr: bool,
    /// cwnd grows as Linux's `tcp_cong_avoid` lets it. Slow start adds every segment
    /// acknowledged (`tcp_slow_start`; no RFC 3465 limit of two per ACK), what passes ssthresh
    /// goes to congestion avoidance; with SACK, newly SACKed segments count too (the ACK's
    /// delivered segments, `tcp_cong_control`), on an ACK that moves SND.UNA or, once
    /// reordering beyond DupThresh was seen, any ACK that delivers (`tcp_may_raise_cwnd`).
    /// cwnd grows only while cwnd-limited: in flight reached cwnd in the current window, or,
    /// in slow start, cwnd is below twice the largest flight (`tcp_is_cwnd_limited`). Off
    /// (textbook): RFC 3465 byte counting on cumulative ACKs while half of cwnd was in flight.
    /// Measured on Linux 6.18 (tests/packetdrill/slow-start-cwnd-limited.pkt).
    /// linux: true, textbook: false.
    pub linux_cwnd_growth: bool,
    /// Without SACK, each duplicate ACK before fast retransmit lets one new segment out
    /// (RFC 3042 limited transmit, in Linux's form: a duplicate ACK counts as a segment that
    /// left the network, `tcp_add_reno_sack`, so in flight shrinks by one segment each).
    /// With SACK the pipe does this already (RFC 6675). Measured on Linux 6.18
    /// (tests/packetdrill/limited-transmit-reno.pkt). linux: true, textbook: false.
    pub limited_transmit: bool,
    /// A SACK block marks only the sent segments it covers whole, as Linux's
    /// `tcp_match_skb_to_sack`: a block covering part of a segment (its last byte, say) marks
    /// nothing of it. Off: RFC 6675 counts octets, and the partly covered segment is cut at
    /// the block's edge. Measured on Linux 6.18 (packetdrill's
    /// fast_retransmit/fr-4pkt-fack-last-byte.pkt). linux: true, textbook: false.
    pub sack_whole_segments: bool,
    /// Answer a segment that acknowledges data never sent with an ACK (RFC 9293 §3.10.7.4).
    /// Linux's `tcp_ack` drops it silently ("ack of unsent data"; packetdrill's
    /// ts_recent/invalid_ack.pkt sees no answer). linux: false, textbook: true.
    pub ack_unsent_data: bool,
    /// Linux's delayed-ACK heuristics beyond the quick ACKs at the start: interactive
    /// ("pingpong") mode, entered by replying within the delayed-ACK time, in which data is not
    /// quick-ACKed so the ACK rides on the reply; an ACK when the application reads small
    /// segments; quick ACKs again after an idle gap longer than the RTO (`tcp_input.c`,
    /// `__tcp_cleanup_rbuf`; seen in f_delayed_ack_reqresp.pcap). linux: true, textbook: false.
    pub interactive_acks: bool,
    /// Two checks of an arriving segment as Linux makes them. Acceptability (`tcp_sequence`):
    /// the segment ends at or after the last ACK we sent (RCV.WUP) and starts no later than
    /// the window's right edge, so a retransmitted FIN, or a segment repeating only what we
    /// already have, has its ACK field processed and is answered with an ACK at once, where
    /// RFC 9293 §3.10.7.4 drops it unread. Window update (`tcp_may_update_window`): from a new
    /// ACK, a newer segment, or the same segment with a larger or zero window; RFC 9293's
    /// SND.WL2 test is not made. linux: true, textbook: false.
    pub linux_segment_checks: bool,
    /// At most one ACK per this time answers invalid segments without data (out of window,
    /// PAWS) and sends challenge ACKs (RFC 5961 §7), per connection
    /// [`tcp_invalid_ratelimit` = 500 ms]; out-of-window data is always answered. Measured on
    /// Linux 6.18 (tests/packetdrill/invalid-ratelimit.pkt). linux: 500 ms, textbook: 0 (none).
    pub invalid_ratelimit: Duration,
    /// Answer SYNs with SYN cookies when the SYN queue is full, instead of dropping them.
    /// Default true [`tcp_syncookies` = 1]; the textbook listener (off) drops them.
    pub syncookies: bool,
    /// `SO_KEEPALIVE` with its settings, `None` when off (the default). Per socket; a
    /// listener's is inherited by the connections it accepts, as in Linux.
    pub keepalive: Option<Keepalive>,
    /// `TCP_USER_TIMEOUT`: how long sent data may stay unacknowledged before the connection
    /// is given up, in place of the `data_retries` budget. `None` (the default) keeps that.
    pub user_timeout: Option<Duration>,
    /// How long a connection the application closed (orphaned) stays in FIN_WAIT_2 waiting
    /// for the peer's FIN before it is dropped. Default 60 s [`tcp_fin_timeout`]; a socket's
    /// `TCP_LINGER2` overrides it.
    pub fin_timeout: Duration,
    /// TCP Fast Open (RFC 7413), the bits of [`tcp_fastopen`] (`fastopen::bits`). Default 1
    /// (clients may send data on the SYN, listeners take none), Linux's; textbook: 0.
    pub fastopen: u32,
    /// The key of the listener's Fast Open cookies: [`tcp_fastopen_key`] or the socket's
    /// `TCP_FASTOPEN_KEY`. `None` until the host fills in its own random key.
    pub fastopen_key: Option<[u8; 16]>,
    /// `TCP_FASTOPEN` on a listener: how many connections opened with data may wait for their
    /// handshake at once (Linux `fastopenq.max_qlen`); 0: the listener takes no SYN data.
    pub fastopen_queue: usize,
    /// `TCP_FASTOPEN_NO_COOKIE`: data on the SYN without a cookie, on this socket.
    pub fastopen_no_cookie: bool,
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
            rx_gso_size: 0,
            synack_retries: 5,
            data_retries: 15,
            delayed_ack: Duration::from_millis(40),
            quick_acks: 16,
            nagle: true,
            initial_cwnd_segments: 10,
            time_wait: Duration::from_secs(60),
            profile: TcpProfile::Linux,
            sack: true,
            timestamps: true,
            syn_linear_timeouts: 4,
            rmem_max: 32 << 20,
            recv_buffer_locked: false,
            window_moderation: true,
            ip_id_per_connection: true,
            tso_segs: 2,
            congestion: Algorithm::Cubic,
            hystart: 3,
            slow_start_after_idle: true,
            rack_tlp: true,
            frto: true,
            prr: true,
            linux_cwnd_growth: true,
            limited_transmit: true,
            sack_whole_segments: true,
            ack_unsent_data: false,
            interactive_acks: true,
            linux_segment_checks: true,
            invalid_ratelimit: Duration::from_millis(500),
            syncookies: true,
            fin_timeout: Duration::from_secs(60),
            fastopen: crate::tcp::fastopen::bits::CLIENT_ENABLE,
            fastopen_key: None,
            fastopen_queue: 0,
            fastopen_no_cookie: false,
            keepalive: None,
            user_timeout: None,
        }
    }
}

/// Largest window a scaled window field can express (RFC 7323 §2.3: shift at most 14).
pub(crate) const MAX_WINDOW: usize = 65535 << 14;

impl TcpConfig {
    /// The defaults of a profile.
    pub fn for_profile(profile: TcpProfile) -> TcpConfig {
        match profile {
            TcpProfile::Linux => TcpConfig::default(),
            TcpProfile::Textbook => TcpConfig {
                profile,
                sack: false,
                timestamps: false,
                syn_linear_timeouts: 0,
                rmem_max: 0,
                window_moderation: false,
                ip_id_per_connection: false,
                tso_segs: 0,
                congestion: Algorithm::Reno,
                hystart: 0,
                slow_start_after_idle: false,
                rack_tlp: false,
                frto: false,
                prr: false,
                linux_cwnd_growth: false,
                limited_transmit: false,
                sack_whole_segments: false,
                ack_unsent_data: true,
                interactive_acks: false,
                linux_segment_checks: false,
                invalid_ratelimit: Duration::ZERO,
                syncookies: false,
                fastopen: 0,
                ..TcpConfig::default()
            },
        }
    }

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
