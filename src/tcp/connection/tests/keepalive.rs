//! Keepalive probes and the user timeout, in the shape measured on Linux 6.18
//! (`tests/packetdrill/keepalive.pkt`, `user-timeout.pkt`).

use super::*;
use crate::tcp::Keepalive;

fn keepalive(idle: u64, interval: u64, count: u32) -> TcpConfig {
    TcpConfig {
        keepalive: Some(Keepalive {
            idle: Duration::from_secs(idle),
            interval: Duration::from_secs(interval),
            count,
        }),
        ..cfg()
    }
}

#[test]
fn a_silent_connection_is_probed_one_below_snd_una_then_reset() {
    let mut c = conn_established_with(&keepalive(2, 1, 2));
    let probe = fire_next(&mut c);
    assert_eq!(c.poll_at(), Some(t0() + Duration::from_secs(3)));
    let p = single(&probe);
    assert_eq!((p.seq, p.payload.len()), (LOCAL_ISS, 0));
    assert!(p.flags.ack() && !p.flags.rst());
    single(&fire_next(&mut c)); // the second unanswered probe
    let rst = fire_next(&mut c);
    assert!(single(&rst).flags.rst());
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.error(), Some(ConnError::TimedOut));
}

#[test]
fn an_answer_restarts_the_idle_time_and_the_count() {
    let mut c = conn_established_with(&keepalive(2, 1, 1));
    fire_next(&mut c); // probe at t0 + 2 s
    let at = t0() + Duration::from_millis(2500);
    deliver(&mut c, at, &peer(0));
    // The timer still runs for t0 + 3 s; when it fires the peer was heard 0.5 s ago, so it
    // waits out the rest of the idle time.
    assert!(fire_next(&mut c).segments.is_empty());
    assert_eq!(c.poll_at(), Some(at + Duration::from_secs(2)));
    single(&fire_next(&mut c));
    assert_eq!(c.state(), State::Established);
}

#[test]
fn data_in_flight_is_watched_by_the_retransmission_timer_not_keepalive() {
    let mut c = conn_established_with(&keepalive(2, 1, 1));
    let mut out = Output::new();
    c.send(t0(), b"x", &mut out).unwrap();
    let due = c.timer(TimerKind::Keepalive).unwrap();
    let out = fire(&mut c, due);
    assert!(out
        .segments
        .iter()
        .all(|s| !s.payload.is_empty() || s.seq != LOCAL_ISS));
}

#[test]
fn the_user_timeout_gives_up_when_it_runs_out_not_a_whole_rto_later() {
    let mut c = conn_established_with(&TcpConfig {
        user_timeout: Some(Duration::from_secs(1)),
        ..cfg()
    });
    let mut out = Output::new();
    c.send(t0(), b"x", &mut out).unwrap();
    let mut last = t0();
    while c.state() == State::Established {
        let at = c.poll_at().unwrap();
        fire(&mut c, at);
        last = at;
    }
    assert_eq!(c.error(), Some(ConnError::TimedOut));
    assert_eq!(last, t0() + Duration::from_secs(1));
}
