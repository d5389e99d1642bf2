//! Loss recovery with SACK negotiated: the tail-loss probe (RFC 8985 §7), the RTO after it
//! and F-RTO (RFC 5682 §3), in the shape of ORACLES.md §3 (c2).

use super::*;

/// An established connection that negotiated SACK (the handshake gave SRTT = 10 ms).
fn conn_sack() -> Connection {
    let mut c = conn_established();
    c.sack_ok = true;
    c
}

fn peer_ack(ack_off: u32) -> Seg {
    peer(0).ack(LOCAL_ISS + 1u32 + ack_off)
}

fn probes(out: &Output) -> Vec<(SeqNumber, bool)> {
    out.events
        .iter()
        .filter_map(|e| match *e {
            TcpEvent::LossProbe { seq, new_data } => Some((seq, new_data)),
            _ => None,
        })
        .collect()
}

#[test]
fn tail_loss_probe_sends_new_data_two_srtt_after_the_flight() {
    // ORACLES.md §3 (c2): the initial window (10 segments), then one new segment as a probe.
    let mut c = conn_sack();
    let out = send(&mut c, t0(), &[7; 20_000]);
    assert_eq!(data_segments(&out).len(), 10);
    // RFC 8985 §7.2 as Linux: 2·SRTT + 2 ms with more than one segment out.
    let pto = c.timer(TimerKind::LossProbe).expect("probe timer armed");
    assert_eq!(pto, t0() + Duration::from_millis(22));
    assert!(pto < c.timer(TimerKind::Retransmit).unwrap());
    let out = fire(&mut c, pto);
    assert_eq!(probes(&out), [(LOCAL_ISS + 1u32 + 14_600u32, true)]);
    assert_eq!(data_segments(&out), [(LOCAL_ISS + 1u32 + 14_600u32, 1460)]);
    assert!(
        retransmits(&out).is_empty(),
        "new data is not a retransmission"
    );
    // One probe per episode; the RTO now runs from the probe (Linux `tcp_rearm_rto`).
    assert_eq!(c.timer(TimerKind::LossProbe), None);
    assert_eq!(
        c.timer(TimerKind::Retransmit),
        Some(pto + Duration::from_millis(210))
    );
}

#[test]
fn without_sack_there_is_no_probe() {
    // Linux schedules a probe only on SACK connections (`tcp_schedule_loss_probe`).
    let mut c = conn_established();
    send(&mut c, t0(), &[7; 20_000]);
    assert_eq!(c.timer(TimerKind::LossProbe), None);
}

#[test]
fn a_probe_with_nothing_new_resends_the_last_segment() {
    // RFC 8985 §7.3: no new data, so the last segment goes again.
    let mut c = conn_sack();
    send(&mut c, t0(), &[7; 3000]);
    let out = fire_next(&mut c);
    assert_eq!(probes(&out), [(LOCAL_ISS + 1u32 + 2920u32, false)]);
    assert_eq!(
        retransmits(&out),
        [(LOCAL_ISS + 1u32 + 2920u32, 80, RetransmitReason::LossProbe)]
    );
}

#[test]
fn rto_after_the_probe_doubles_and_f_rto_sends_new_data_first() {
    // ORACLES.md §3 (c2): RTO ≈ 200 ms after the probe, doubling; when the retransmission
    // finally gets an ACK, Linux sends 2 new segments before retransmitting the rest
    // (F-RTO, RFC 5682 §3.1 step 2b).
    let mut c = conn_sack();
    send(&mut c, t0(), &[7; 30_000]);
    fire_next(&mut c); // the probe
    let mut at = Vec::new();
    for _ in 0..3 {
        let when = c.poll_at().unwrap();
        let out = fire(&mut c, when);
        assert_eq!(
            retransmits(&out),
            [(LOCAL_ISS + 1u32, 1460, RetransmitReason::Rto)],
            "only the first segment: cwnd is one segment"
        );
        at.push(when);
    }
    assert_eq!(at[1] - at[0], Duration::from_millis(420));
    assert_eq!(at[2] - at[1], Duration::from_millis(840));
    let out = deliver(&mut c, at[2] + Duration::from_millis(1), &peer_ack(1460));
    // Slow start from one segment: cwnd 2, both for new data.
    assert_eq!(
        data_segments(&out),
        [
            (LOCAL_ISS + 1u32 + 16_060u32, 1460),
            (LOCAL_ISS + 1u32 + 17_520u32, 1460)
        ]
    );
    assert!(retransmits(&out).is_empty());
    assert!(c.sack_scoreboard().check(c.snd_una(), c.snd_max()).is_ok());
}

#[test]
fn f_rto_undoes_a_spurious_timeout() {
    // RFC 5682 §3.1 step 3b: after the timeout, an ACK covers segments that were never
    // retransmitted: they had arrived, the timeout was spurious; the window comes back.
    let mut c = conn_sack();
    send(&mut c, t0(), &[7; 14_600]);
    let before = c.cwnd();
    // No new data to probe with: the probe re-sends the last segment, then the RTO.
    fire_next(&mut c);
    let when = c.poll_at().unwrap();
    fire(&mut c, when);
    assert_eq!(c.cwnd(), 1460);
    let out = deliver(&mut c, when + Duration::from_millis(1), &peer_ack(14_600));
    assert!(has_event(&out, |e| matches!(e, TcpEvent::SpuriousTimeout)));
    assert!(c.cwnd() >= before, "cwnd {} restored to {before}", c.cwnd());
}
