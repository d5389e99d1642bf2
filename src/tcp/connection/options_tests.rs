//! The `linux` profile's options, timestamps, SACK blocks, IP IDs and give-up rules, each
//! against the RFC section or the line of `shared/anchors/ORACLES.md` it reproduces.

use super::*;
use crate::tcp::config::TcpProfile;
use crate::tcp::event::DropReason;
use crate::tcp::testutil::*;
use crate::tcp::wire::SackBlocks;

const LOCAL_ISS: SeqNumber = SeqNumber(1000);
const REMOTE_ISS: SeqNumber = SeqNumber(5000);
/// The peer's TSval on its SYN-ACK.
const PEER_TS: u32 = 70_000;

fn linux() -> TcpConfig {
    TcpConfig {
        quick_acks: 0,
        ..TcpConfig::default()
    }
}

fn syn_sent(config: &TcpConfig) -> (Connection, TcpSegment) {
    let mut out = Output::new();
    let c = Connection::connect(ms(0), LOCAL, REMOTE, LOCAL_ISS, config, &mut out).unwrap();
    (c, out.segments.remove(0))
}

/// A SYN-ACK from the peer offering everything, TSecr echoing `ecr`.
fn full_syn_ack(ecr: u32) -> Seg {
    let mut s = Seg::new(TcpFlags::SYN, REMOTE_ISS)
        .ack(LOCAL_ISS + 1u32)
        .mss(1460);
    s.options.sack_permitted = true;
    s.options.window_scale = Some(7);
    s.options.timestamps = Some((PEER_TS, ecr));
    s
}

/// Established with SACK and timestamps negotiated, at t = 10 ms.
fn established() -> Connection {
    established_with(&linux())
}

/// The same without the tail-loss probe, for tests of the retransmission timer itself.
fn established_without_tlp() -> Connection {
    established_with(&TcpConfig {
        rack_tlp: false,
        ..linux()
    })
}

fn established_with(config: &TcpConfig) -> Connection {
    let (mut c, syn) = syn_sent(config);
    let ecr = syn.options.timestamps.unwrap().0;
    let out = deliver(&mut c, ms(10), &full_syn_ack(ecr));
    assert_eq!(c.state(), State::Established);
    assert_eq!(single(&out).options.timestamps, Some((c.ts_val(), PEER_TS)));
    c
}

/// Data from the peer at offset `off`, with TSval `tsval`.
fn data(off: u32, len: usize, tsval: u32) -> Seg {
    let mut s = Seg::new(TcpFlags::NONE, REMOTE_ISS + 1u32 + off)
        .ack(LOCAL_ISS + 1u32)
        .payload(&vec![7u8; len]);
    s.options.timestamps = Some((tsval, 0));
    s
}

fn blocks(seg: &TcpSegment) -> Vec<(u32, u32)> {
    let base = REMOTE_ISS + 1u32;
    seg.options
        .sack_blocks
        .as_slice()
        .iter()
        .map(|&(l, r)| (base.distance(l), base.distance(r)))
        .collect()
}

#[test]
fn linux_syn_is_mss_sackok_ts_nop_ws_with_window_64240() {
    // ORACLES.md §3.2 (a): `02 04 05 b4 · 04 02 · 08 0a TSval 0 · 01 · 03 03 0a`, Win=64240.
    let (_, syn) = syn_sent(&TcpConfig::default());
    let o = syn.options;
    assert_eq!(o.mss, Some(1460));
    assert!(o.sack_permitted);
    assert_eq!(o.timestamps.map(|t| t.1), Some(0));
    assert_eq!(o.window_scale, Some(10));
    assert_eq!(o.wire_len(), 20);
    assert_eq!(syn.window, 64240);
    assert_eq!(syn.ip_id, Some(mix32(LOCAL_ISS.0 ^ 0x6970_6964) as u16));
    // textbook: no SACK, no timestamps (RFC 793 as taught), host-wide IP IDs.
    let (_, syn) = syn_sent(&TcpConfig::for_profile(TcpProfile::Textbook));
    assert!(!syn.options.sack_permitted);
    assert_eq!(syn.options.timestamps, None);
    assert_eq!(syn.ip_id, None);
}

#[test]
fn syn_ack_answers_each_combination_the_peer_offered() {
    // PACKETDRILL.md §4: the SYN-ACK layout for each set of options a peer's SYN carried.
    let cases: [(bool, bool, bool, &str, u16); 5] = [
        (false, false, false, "mss 1460", 64240),
        (true, false, false, "mss 1460,nop,nop,sackOK", 64240),
        (false, true, false, "mss 1460,nop,wscale 10", 64240),
        (true, false, true, "mss 1460,sackOK,TS val", 65160),
        (true, true, true, "mss 1460,sackOK,TS val", 65160),
    ];
    for (sack, ws, ts, layout, window) in cases {
        let mut syn = Seg::new(TcpFlags::SYN, REMOTE_ISS).mss(1460);
        syn.options.sack_permitted = sack;
        syn.options.window_scale = ws.then_some(7);
        syn.options.timestamps = ts.then_some((PEER_TS, 0));
        let mut out = Output::new();
        let c = Connection::accept_syn(
            ms(0),
            LOCAL,
            REMOTE,
            &syn.repr(),
            LOCAL_ISS,
            &TcpConfig::default(),
            &mut out,
        )
        .unwrap();
        let synack = single(&out);
        let text = synack.options.to_string();
        assert!(text.starts_with(layout), "{sack} {ws} {ts}: {text}");
        if ts {
            // TSecr echoes the SYN's TSval (RFC 7323 §3.2).
            assert_eq!(synack.options.timestamps.unwrap().1, PEER_TS);
            assert_eq!(text.ends_with("wscale 10"), ws, "{text}");
        }
        // 65160 = 45 × 1448 when timestamps eat 12 bytes of each segment, else 44 × 1460.
        assert_eq!(synack.window, window);
        // Linux sends the SYN-ACK from the request socket with IP ID 0 (ORACLES.md §3.2 (a)).
        assert_eq!(synack.ip_id, Some(0));
        assert_eq!(c.negotiated(), (sack, ts));
    }
}

#[test]
fn every_segment_carries_nop_nop_ts_and_1448_bytes_of_data() {
    // ORACLES.md §3.2 (c): "Every data segment carries 1448 bytes (MSS 1460 − 12 bytes of
    // timestamp option)"; PACKETDRILL.md §4: `<nop,nop,TS val X ecr Y>` on data.
    let mut p = Pair::connected(&TcpConfig::default(), &TcpConfig::default());
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    assert_eq!(p.transfer(&data), data);
    let mut full = 0;
    for (from_a, _, seg) in &p.sent {
        let Some((_, ecr)) = seg.options.timestamps else {
            panic!("segment without timestamps: {seg}");
        };
        if !seg.flags.syn() {
            assert!(seg.options.mss.is_none() && !seg.options.sack_permitted);
            assert!(
                ecr != 0,
                "TSecr is TS.Recent once the peer's TSval is known"
            );
        }
        assert!(seg.payload.len() <= 1448);
        if *from_a && seg.payload.len() == 1448 {
            full += 1;
        }
    }
    assert!(full >= 60, "{full} full-sized segments");
}

#[test]
fn tsval_ticks_at_one_kilohertz_from_a_per_connection_offset() {
    // ORACLES.md §3.2 (a): "TSval starts at a random offset per connection and ticks at
    // 1 kHz (1018 ticks in 1.018 s)".
    let mut c = established();
    let first = c.ts_val();
    c.now = ms(1028);
    assert_eq!(c.ts_val().wrapping_sub(first), 1018);
    let (other, _) = {
        let mut out = Output::new();
        let c2 = Connection::connect(
            ms(0),
            LOCAL,
            REMOTE,
            SeqNumber(777),
            &TcpConfig::default(),
            &mut out,
        )
        .unwrap();
        (c2, out)
    };
    assert_ne!(other.ts_offset, c.ts_offset, "the offset follows the ISN");
}

#[test]
fn ts_recent_follows_in_order_segments_only() {
    // RFC 7323 §4.3: TS.Recent takes SEG.TSval only from a segment covering Last.ACK.sent.
    let mut c = established();
    // In order: TS.Recent moves and the ACK echoes it.
    let out = deliver(&mut c, ms(20), &data(0, 100, PEER_TS + 5));
    let _ = out;
    assert_eq!(c.ts_recent, PEER_TS + 5);
    // Out of order (beyond a hole): answered at once, TS.Recent stays.
    let out = deliver(&mut c, ms(21), &data(1000, 100, PEER_TS + 9));
    let ack = single(&out);
    assert_eq!(ack.options.timestamps.unwrap().1, PEER_TS + 5);
    assert_eq!(c.ts_recent, PEER_TS + 5);
}

#[test]
fn paws_drops_a_segment_with_an_old_timestamp_and_acks() {
    // RFC 7323 §5.3 R1.
    let mut c = established();
    deliver(&mut c, ms(20), &data(0, 100, PEER_TS + 50));
    let out = deliver(&mut c, ms(30), &data(100, 100, PEER_TS + 10));
    assert!(has_event(&out, |e| matches!(
        e,
        TcpEvent::SegmentDropped {
            reason: DropReason::Paws
        }
    )));
    assert_eq!(c.rcv_nxt(), REMOTE_ISS + 101u32, "the data was not taken");
    let ack = single(&out);
    assert_eq!(ack.ack, REMOTE_ISS + 101u32);
    assert_eq!(ack.options.timestamps.unwrap().1, PEER_TS + 50);
    // An RST is never dropped by PAWS (it is checked by sequence number, RFC 7323 §5.3).
    let mut rst = Seg::new(TcpFlags::RST, REMOTE_ISS + 101u32);
    rst.options.timestamps = Some((PEER_TS, 0));
    deliver(&mut c, ms(40), &rst);
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn sack_blocks_report_out_of_order_data_most_recent_first() {
    // RFC 2018 §4: the first block holds the segment that triggered the ACK; at most three
    // blocks beside timestamps (§3).
    let mut c = established();
    let mut last = Vec::new();
    for (i, off) in [1000u32, 3000, 5000, 7000].into_iter().enumerate() {
        let out = deliver(&mut c, ms(20 + i as u64), &data(off, 100, PEER_TS + 1));
        last = blocks(single(&out));
    }
    assert_eq!(last, [(7000, 7100), (5000, 5100), (3000, 3100)]);
    // Filling next to a reported block grows it and moves it to the front.
    let out = deliver(&mut c, ms(30), &data(3100, 100, PEER_TS + 1));
    assert_eq!(
        blocks(single(&out)),
        [(3000, 3200), (7000, 7100), (5000, 5100)]
    );
    // Filling the first hole: RCV.NXT passes the block, which is no longer reported.
    let out = deliver(&mut c, ms(31), &data(0, 1000, PEER_TS + 1));
    assert_eq!(c.rcv_nxt(), REMOTE_ISS + 1101u32);
    assert_eq!(
        blocks(single(&out)),
        [(3000, 3200), (7000, 7100), (5000, 5100)]
    );
}

#[test]
fn a_duplicate_is_reported_as_dsack_in_the_first_block() {
    // RFC 2883 §4.1.1: a duplicate below RCV.NXT is the first block, reported once.
    let mut c = established();
    deliver(&mut c, ms(20), &data(0, 500, PEER_TS + 1));
    let out = deliver(&mut c, ms(21), &data(0, 500, PEER_TS + 2));
    let ack = single(&out);
    assert_eq!(blocks(ack), [(0, 500)]);
    assert!(ack.options.sack_blocks.as_slice()[0].1 <= ack.ack);
    let out = deliver(&mut c, ms(22), &data(500, 100, PEER_TS + 3));
    let _ = out;
    c.ack_due = true;
    let mut out = Output::new();
    c.flush(ms(22), &mut out);
    assert!(single(&out).options.sack_blocks.is_empty());
}

#[test]
fn karn_skipped_sample_comes_from_tsecr() {
    // RFC 7323 §4.1: the echoed timestamp names the transmission ACKed, so a retransmitted
    // segment still gives an RTT sample (Linux `tcp_ack_update_rtt`).
    let mut c = established_without_tlp();
    let mut out = Output::new();
    c.send(ms(10), b"hello", &mut out).unwrap();
    let first = out.segments[0].clone();
    // The RTO fires: the retransmission clears the timed segment (Karn).
    let at = c.poll_at().unwrap();
    let out = fire(&mut c, at);
    let rtx = single(&out);
    let tsval = rtx.options.timestamps.unwrap().0;
    assert_ne!(tsval, first.options.timestamps.unwrap().0);
    // The handshake measured 10 ms.
    assert_eq!(c.srtt(), Some(Duration::from_millis(10)));
    // The ACK echoes the retransmission's TSval 30 ms later.
    let mut ack = Seg::new(TcpFlags::NONE, REMOTE_ISS + 1u32).ack(LOCAL_ISS + 6u32);
    ack.options.timestamps = Some((PEER_TS + 100, tsval));
    deliver(&mut c, at + Duration::from_millis(30), &ack);
    // SRTT = 7/8 × 10 ms + 1/8 × 30 ms (RFC 6298 §2.3).
    assert_eq!(c.srtt(), Some(Duration::from_micros(12_500)));
}

#[test]
fn sack_blocks_of_an_arriving_ack_are_parsed_for_the_sender() {
    // The hook for the sender's scoreboard: the blocks arrive in `TcpRepr::options`.
    let mut ack = Seg::new(TcpFlags::NONE, REMOTE_ISS + 1u32).ack(LOCAL_ISS + 1u32);
    let mut b = SackBlocks::NONE;
    b.push(LOCAL_ISS + 3000u32, LOCAL_ISS + 4448u32);
    ack.options.sack_blocks = b;
    ack.options.timestamps = Some((1, 2));
    let seg = ack.repr().to_owned_segment(*REMOTE.ip(), *LOCAL.ip());
    let bytes = seg.to_bytes();
    let parsed = TcpRepr::parse(&bytes, *REMOTE.ip(), *LOCAL.ip()).unwrap();
    assert_eq!(parsed.options.sack_blocks.as_slice(), b.as_slice());
}

#[test]
fn ip_ids_count_up_per_connection_and_rst_carries_zero() {
    // ORACLES.md §3.2 (a): "IP ID per socket from a random start, +1 per packet; SYN-ACK and
    // RST carry ID 0".
    let mut c = established();
    let start = mix32(LOCAL_ISS.0 ^ 0x6970_6964) as u16;
    let mut out = Output::new();
    c.send(ms(20), b"a", &mut out).unwrap();
    c.nodelay = true;
    c.send(ms(20), b"b", &mut out).unwrap();
    let ids: Vec<_> = out.segments.iter().map(|s| s.ip_id).collect();
    // SYN = start, the handshake's ACK = start + 1.
    assert_eq!(
        ids,
        [Some(start.wrapping_add(2)), Some(start.wrapping_add(3))]
    );
    let mut out = Output::new();
    c.abort(ms(30), &mut out).unwrap();
    let rst = single(&out);
    assert_eq!(rst.ip_id, Some(0));
    // Linux puts timestamps on an RST it sends from a connection (packetdrill
    // ts_recent/reset_tsval.pkt).
    assert!(rst.options.timestamps.is_some());
}

#[test]
fn window_scale_comes_from_the_rmem_maximum_as_linux() {
    // ORACLES.md §3.2 (a) and (i): shift 10 with a 32 MiB tcp_rmem max, 7 with the stock
    // 6 MiB, 8 with packetdrill's 15 MiB, 0 with SO_RCVBUF 4096.
    let shift = |rmem_max: usize, buf: usize, locked: bool| {
        window_shift(&TcpConfig {
            rmem_max,
            recv_buffer_size: buf,
            recv_buffer_locked: locked,
            ..TcpConfig::default()
        })
    };
    assert_eq!(shift(32 << 20, 128 << 10, false), 10);
    assert_eq!(shift(6 << 20, 128 << 10, false), 7);
    assert_eq!(shift(15_728_640, 540_000, false), 8);
    assert_eq!(shift(32 << 20, 4096, true), 0);
    assert_eq!(shift(32 << 20, 200_000, true), 2);
    // netlab's buffers do not grow: one under 64 KiB is advertised unscaled.
    assert_eq!(shift(32 << 20, 16_000, false), 0);
    // textbook: the smallest shift that fits the buffer.
    assert_eq!(shift(0, 128 << 10, false), 2);
}

#[test]
fn syn_retransmissions_are_linear_four_times_then_double() {
    // ORACLES.md §3.2 (d), d_syn_no_answer.pcap: SYNs at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s
    // (capture: 68.57 s, timer slack), ETIMEDOUT after the 10th at 67 + 64 = 131 s
    // (capture: 134.1 s).
    let (mut c, _) = syn_sent(&TcpConfig::default());
    let mut syn_times = Vec::new();
    while c.state() == State::SynSent {
        let at = c.poll_at().unwrap();
        let out = fire(&mut c, at);
        if let Some(s) = out.segments.first() {
            assert_eq!(s.flags, TcpFlags::SYN);
            // The same ISN and options; TSval advances with the clock.
            assert_eq!(s.seq, LOCAL_ISS);
            assert_eq!(
                s.options.timestamps.unwrap().0,
                c.ts_offset.wrapping_add((at.as_nanos() / 1_000_000) as u32)
            );
            syn_times.push(at);
        } else {
            assert_eq!(at, secs(131));
        }
    }
    assert_eq!(syn_times, [1, 2, 3, 4, 5, 7, 11, 19, 35, 67].map(secs));
    assert_eq!(c.error(), Some(ConnError::TimedOut));
}

#[test]
fn data_gives_up_after_the_retries2_time_budget() {
    // Linux `tcp_model_timeout(15, 200 ms)`: 1023 × 0.2 s + 6 × 120 s = 924.6 s, whatever the
    // RTO actually is. With an RTO of 1 s the retransmissions come at 1, 3, 7, … 847 s and the
    // 14th timeout (967 s) is past the budget: 13 retransmissions, not 15.
    let mut c = established_without_tlp();
    assert_eq!(c.give_up_budget(), Duration::from_millis(924_600));
    c.rto = Duration::from_secs(1);
    let mut out = Output::new();
    c.send(ms(10), b"x", &mut out).unwrap();
    let mut rtx = 0;
    while c.state() == State::Established {
        let out = fire_next(&mut c);
        rtx += out.segments.len();
    }
    assert_eq!(c.error(), Some(ConnError::TimedOut));
    assert_eq!(rtx, 13);
    assert_eq!(c.now, ms(10) + Duration::from_secs(967));
}
