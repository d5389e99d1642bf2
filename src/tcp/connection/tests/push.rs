//! Where Linux puts PSH, as measured on Linux 6.18 with upstream packetdrill
//! (docs/linux-observations.md, "When does Linux set PSH?"; `docs/linux/psh_probe.sh`):
//! new data leaves in bursts (one TSO/GSO packet each: two segments at RTTs of 10 ms and more,
//! half of cwnd at 1 ms), the last segment of a burst of two or more carries PSH, and so does
//! the end of a write.
//! Data sent again: a packet of two or more segments has PSH, a single segment only if it
//! ends a write; a packet resent in pieces has none ("PSH on data sent again").

use super::*;

/// Client with TCP_NODELAY whose peer's SYN-ACK offers `mss` and `window` (no scaling),
/// 10 ms after its SYN.
fn conn_mss(config: &TcpConfig, mss: u16, window: u16) -> Connection {
    conn_rtt(config, mss, window, t0())
}

/// `conn_mss` with the SYN-ACK arriving at `at` (the SYN left at 0): the RTT of the handshake.
fn conn_rtt(config: &TcpConfig, mss: u16, window: u16, at: Instant) -> Connection {
    let (mut c, _) = conn_syn_sent_with(config);
    let synack = Seg::new(TcpFlags::SYN, REMOTE_ISS)
        .ack(LOCAL_ISS + 1u32)
        .mss(mss)
        .window(window);
    deliver(&mut c, at, &synack);
    assert_eq!(c.state(), State::Established);
    c.set_nodelay(true);
    c
}

/// Each data segment as (offset from the first data octet, length, PSH).
fn pushes(out: &Output) -> Vec<(u32, usize, bool)> {
    out.segments
        .iter()
        .filter(|s| !s.payload.is_empty())
        .map(|s| {
            let off = (LOCAL_ISS + 1u32).distance(s.seq);
            (off, s.payload.len(), s.flags.psh())
        })
        .collect()
}

#[test]
fn write_of_2002_at_mss_974_is_dot_psh_psh() {
    // https_client.pkt and `psh_probe.sh WRITES="517 2002"`: `.` 974, `P.` 974, `P.` 54.
    let mut c = conn_mss(&cfg(), 974, 60000);
    let out = send(&mut c, t0(), &[1; 2002]);
    assert_eq!(
        pushes(&out),
        [(0, 974, false), (974, 974, true), (1948, 54, true)]
    );
}

#[test]
fn every_second_segment_of_a_burst_carries_psh() {
    // `psh_probe.sh WRITES="517 3896"`: `.` `P.` `.` `P.`; 2976 bytes: `.` `P.` `.` `P.` 54.
    let mut c = conn_mss(&cfg(), 974, 60000);
    let out = send(&mut c, t0(), &[1; 3896]);
    let psh: Vec<bool> = pushes(&out).iter().map(|p| p.2).collect();
    assert_eq!(psh, [false, true, false, true]);
    let mut c = conn_mss(&cfg(), 974, 60000);
    let out = send(&mut c, t0(), &[1; 2976]);
    let got: Vec<(usize, bool)> = pushes(&out).iter().map(|p| (p.1, p.2)).collect();
    assert_eq!(got, [(974, false), (974, true), (974, false), (54, true)]);
}

#[test]
fn a_lone_segment_cut_by_the_window_has_no_psh() {
    // A peer window of 3000 and MSS 1000, 10000 bytes written: `.` `P.` `.`; when the ACK
    // opens the window again, the next three are `.` `P.` `.` too.
    let mut c = conn_mss(&cfg(), 1000, 3000);
    let out = send(&mut c, t0(), &[1; 10_000]);
    assert_eq!(
        pushes(&out),
        [(0, 1000, false), (1000, 1000, true), (2000, 1000, false)]
    );
    let ack = peer(0).ack(LOCAL_ISS + 1u32 + 3000u32).window(3000);
    let out = deliver(&mut c, t0() + Duration::from_millis(100), &ack);
    assert_eq!(
        pushes(&out),
        [(3000, 1000, false), (4000, 1000, true), (5000, 1000, false)]
    );
}

#[test]
fn the_textbook_profile_pushes_only_the_end_of_the_data() {
    let config = TcpConfig {
        quick_acks: 0,
        window_scaling: false,
        ..TcpConfig::for_profile(TcpProfile::Textbook)
    };
    let mut c = conn_mss(&config, 974, 60000);
    let out = send(&mut c, t0(), &[1; 3896]);
    let psh: Vec<bool> = pushes(&out).iter().map(|p| p.2).collect();
    assert_eq!(psh, [false, false, false, true]);
}

#[test]
fn a_retransmitted_burst_keeps_psh_only_where_it_is_still_whole() {
    // sack-route-refresh-ip-tos.pkt on Linux 6.18: ten segments in bursts of two; the ACK
    // cuts the first burst, a SACK splits the second; the retransmissions are `.`, `.` (the
    // remains of those bursts) and `.` `P.` (the third burst, whole).
    let mut c = conn_mss(&cfg(), 1460, 65535);
    c.sack_ok = true;
    let out = send(&mut c, t0(), &[1; 14_600]);
    assert_eq!(pushes(&out).len(), 10);
    let base = LOCAL_ISS + 1u32;
    let mut ack = peer(0).ack(base + 1460u32).window(65535);
    ack.options.sack_blocks.push(base + 4380u32, base + 5840u32);
    ack.options
        .sack_blocks
        .push(base + 8760u32, base + 14_600u32);
    let out = deliver(&mut c, t0() + Duration::from_millis(10), &ack);
    let got: Vec<(u32, bool)> = pushes(&out).iter().map(|p| (p.0, p.2)).collect();
    assert_eq!(
        got,
        [(1460, false), (2920, false), (5840, false), (7300, true)]
    );
}

/// The peer's ACK of `ack_off` with SACK blocks (offsets from the first data octet).
fn sack_ack(ack_off: u32, blocks: &[(u32, u32)]) -> Seg {
    let base = LOCAL_ISS + 1u32;
    let mut ack = peer(0).ack(base + ack_off).window(65535);
    for &(l, r) in blocks {
        ack.options.sack_blocks.push(base + l, base + r);
    }
    ack
}

#[test]
fn a_packet_resent_one_segment_at_a_time_has_no_psh_on_either_piece() {
    // prr-ss-30pkt-lost1_4.pkt on Linux 6.18: the first two packets (four segments) are
    // lost; PRR lets one segment out per SACK, so each packet goes again in two pieces and
    // Linux cuts the front off (`tcp_fragment`): `.` 1:1001, `.` 1001:2001, `.` 2001:3001, `.` 3001:4001.
    let mut c = conn_mss(&cfg(), 1000, 65535);
    c.sack_ok = true;
    let out = send(&mut c, t0(), &[1; 10_000]);
    let psh: Vec<bool> = pushes(&out).iter().map(|p| p.2).collect();
    assert_eq!(psh, [false, true].repeat(5));
    let mut now = t0() + Duration::from_millis(10);
    let mut resent = Vec::new();
    for top in [5000, 6000, 7000, 8000, 9000, 10_000] {
        let out = deliver(&mut c, now, &sack_ack(0, &[(4000, top)]));
        resent.extend(pushes(&out).iter().map(|p| (p.0, p.2)));
        now += Duration::from_millis(2);
    }
    assert_eq!(
        resent,
        [(0, false), (1000, false), (2000, false), (3000, false)]
    );
}

#[test]
fn a_loss_probe_resending_the_end_of_a_write_has_psh() {
    // cubic-rto-ss-ca-cwnd-bump.pkt on Linux 6.18: a lone 1000-byte write, unanswered; the
    // probe resends it `P.`, as it first went (the packet's own PSH, `tcp_mark_push`).
    let mut c = conn_mss(&cfg(), 1000, 65535);
    c.sack_ok = true;
    let out = send(&mut c, t0(), &[1; 1000]);
    assert_eq!(pushes(&out), [(0, 1000, true)]);
    let pto = c.timer(TimerKind::LossProbe).expect("probe timer armed");
    let mut out = Output::new();
    c.on_timer(pto, &mut out);
    assert_eq!(pushes(&out), [(0, 1000, true)]);
}

#[test]
fn with_cwnd_below_four_every_packet_is_one_segment() {
    // Linux's `tcp_cwnd_test`: a packet takes at most half of cwnd. cubic-rto-ss-ca-cwnd-bump.pkt
    // on Linux 6.18, after a timeout: cwnd 2 sends `.` `.`, cwnd 4 (two in flight) `P.` 2000.
    let first = |cwnd: u32| {
        let mut c = conn_mss(&cfg(), 1000, 65535);
        c.cwnd = cwnd;
        let out = send(&mut c, t0(), &[1; 10_000]);
        pushes(&out).iter().map(|p| p.2).collect::<Vec<bool>>()
    };
    assert_eq!(first(2000), [false, false]);
    assert_eq!(first(3000), [false, false, false]);
    assert_eq!(first(4000), [false, true, false, true]);
}

#[test]
fn at_a_millisecond_a_burst_is_half_of_cwnd() {
    // `psh_probe.sh RTT=.001 "WRITES=517 9740"`: ten segments, `P.` on the 5th and the 10th.
    // The pacing rate allows far more than 2 segments per packet there
    // (`tcp_tso_autosize`); `tcp_cwnd_test` caps a packet at half of cwnd.
    let mut c = conn_rtt(&cfg(), 974, 60000, ms(1));
    let out = send(&mut c, ms(1), &[1; 9740]);
    let psh: Vec<bool> = pushes(&out).iter().map(|p| p.2).collect();
    let mut expected = [false; 10];
    expected[4] = true;
    expected[9] = true;
    assert_eq!(psh, expected);
}

#[test]
fn the_packet_size_follows_the_pacing_rate_and_the_minimum_rtt() {
    // Linux `tcp_tso_autosize` with cwnd 10 in slow start, MSS 974: at RTT 1 ms the pacing
    // rate is 2 × 10 × 974 B / (0.7 × 1 ms) = 27.83 MB/s, 27,176 bytes per 1024 µs, plus
    // 64 KiB >> (1000 µs >> 9) = 32,768: 59,944 bytes, 61 segments.
    assert_eq!(conn_rtt(&cfg(), 974, 60000, ms(1)).tso_segs(), 61);
    // At 10 ms: 2,717 bytes and nothing from the minimum RTT (64 KiB >> 19): the floor, 2.
    assert_eq!(conn_rtt(&cfg(), 974, 60000, ms(10)).tso_segs(), 2);
    // At 100 µs a packet may be the whole 64 KiB: 67 segments of 974 bytes.
    assert_eq!(
        conn_rtt(&cfg(), 974, 60000, Instant::from_nanos(100_000)).tso_segs(),
        67
    );
    // The textbook profile sends no bursts at all.
    let textbook = TcpConfig {
        quick_acks: 0,
        window_scaling: false,
        ..TcpConfig::for_profile(TcpProfile::Textbook)
    };
    assert_eq!(conn_rtt(&textbook, 974, 60000, ms(1)).tso_segs(), 0);
}

#[test]
fn between_one_and_ten_milliseconds_a_burst_shrinks_as_linux_measured() {
    // `psh_probe.sh RTT=… "WRITES=517 9740"` on Linux 6.18 (docs/linux-observations.md,
    // "How large is a TSO/GSO packet?"): after a handshake of RTT 5 ms the ten segments leave
    // in packets of 5, at 6 ms of 4, at 8 ms of 3, at 10 ms of 2; the end of the write is
    // pushed too.
    for (rtt, every) in [(5, 5), (6, 4), (8, 3), (10, 2)] {
        let mut c = conn_rtt(&cfg(), 974, 60000, ms(rtt));
        let out = send(&mut c, ms(rtt), &[1; 9740]);
        let psh: Vec<usize> = pushes(&out)
            .iter()
            .enumerate()
            .filter(|(_, p)| p.2)
            .map(|(i, _)| i + 1)
            .collect();
        let mut expected: Vec<usize> = (1..=10).filter(|i| i % every == 0).collect();
        if expected.last() != Some(&10) {
            expected.push(10);
        }
        assert_eq!(psh, expected, "RTT {rtt} ms");
    }
}
