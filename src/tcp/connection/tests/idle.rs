//! The window restart after idle (`connection/idle.rs`) on the path a zero window takes:
//! Linux checks again when the peer's window changes while data waits
//! (`tcp_ack_update_window`; upstream slow_start/slow-start-after-win-update.pkt, which
//! passes on Linux 6.18 here and on netlab).

use super::*;

#[test]
fn a_window_opening_after_a_long_zero_window_restarts_cwnd() {
    let mut c = conn_established();
    c.cwnd = 40 * 1460;
    send(&mut c, t0(), &[1; 2920]);
    // Everything acknowledged, and the window shut, with more data waiting.
    deliver(
        &mut c,
        t0() + Duration::from_millis(20),
        &peer(0).ack(LOCAL_ISS + 1u32 + 2920u32).window(0),
    );
    send(&mut c, t0() + Duration::from_millis(20), &[2; 30_000]);
    assert_eq!(
        c.cwnd(),
        40 * 1460,
        "a write right after sending: no restart"
    );
    // Three seconds later (many RTOs) the window opens: cwnd restarts to the initial window.
    let out = deliver(
        &mut c,
        t0() + Duration::from_secs(3),
        &peer(0).ack(LOCAL_ISS + 1u32 + 2920u32).window(60_000),
    );
    assert_eq!(c.cwnd(), 10 * 1460);
    assert!(has_event(&out, |e| matches!(
        e,
        TcpEvent::CongestionChanged {
            reason: CongestionReason::IdleRestart,
            ..
        }
    )));
}
