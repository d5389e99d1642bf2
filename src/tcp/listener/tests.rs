//! Listener tests: the server listens at REMOTE; clients come from LOCAL-like addresses.

use super::*;
use crate::tcp::testutil::*;
use crate::tcp::{Connection, TcpConfig, TcpFlags, TcpOptions, TcpSegment, TransitionCause};
use crate::time::Duration;
use std::net::Ipv4Addr;

const SERVER_ISN: SeqNumber = SeqNumber(7000);

fn cfg() -> TcpConfig {
    TcpConfig {
        quick_acks: 0,
        window_scaling: false,
        ..TcpConfig::default()
    }
}

fn listener(backlog: usize) -> Listener {
    Listener::new(REMOTE, backlog, &cfg()).unwrap()
}

fn client(n: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 1, (n % 250) as u8 + 1), 40000 + n)
}

fn syn_from(c: SocketAddrV4, isn: u32) -> Seg {
    let mut s = Seg::new(TcpFlags::SYN, SeqNumber(isn)).mss(1460);
    s.src_port = c.port();
    s.dst_port = REMOTE.port();
    s
}

fn ack_from(c: SocketAddrV4, isn: u32) -> Seg {
    let mut s = Seg::new(TcpFlags::NONE, SeqNumber(isn + 1)).ack(SERVER_ISN + 1u32);
    s.src_port = c.port();
    s.dst_port = REMOTE.port();
    s
}

fn feed(l: &mut Listener, now: Instant, from: SocketAddrV4, seg: &Seg) -> Output {
    let mut out = Output::new();
    l.on_segment(now, from, &seg.repr(), SERVER_ISN, &mut out);
    check_transitions(&out);
    out
}

fn handshake(l: &mut Listener, n: u16) -> Output {
    let c = client(n);
    feed(l, ms(0), c, &syn_from(c, 100));
    feed(l, ms(1), c, &ack_from(c, 100))
}

#[test]
fn listener_needs_a_specific_address() {
    let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    assert_eq!(
        Listener::new(any, 5, &cfg()).err(),
        Some(ListenError::InvalidAddress)
    );
}

#[test]
fn syn_creates_half_open_connection_and_sends_syn_ack() {
    let mut l = listener(5);
    let c = client(1);
    let out = feed(&mut l, ms(0), c, &syn_from(c, 100));
    let s = single(&out);
    assert_eq!(s.flags, TcpFlags::SYN | TcpFlags::ACK);
    assert_eq!((s.seq, s.ack), (SERVER_ISN, SeqNumber(101)));
    assert_eq!((s.dst_ip, s.dst_port), (*c.ip(), c.port()));
    assert_eq!(l.syn_queue_len(), 1);
    assert_eq!(
        l.half_open(c).map(Connection::state),
        Some(State::SynReceived)
    );
    assert!(has_event(&out, |e| *e == TcpEvent::HalfOpenCreated { remote: c }));
}

#[test]
fn ack_completes_handshake_and_accept_returns_connection() {
    let mut l = listener(5);
    let out = handshake(&mut l, 1);
    assert!(has_event(&out, |e| *e == TcpEvent::Queued { remote: client(1) }));
    assert_eq!((l.syn_queue_len(), l.accept_queue_len()), (0, 1));
    let conn = l.accept().unwrap();
    assert_eq!(conn.state(), State::Established);
    assert_eq!(conn.remote(), client(1));
    assert_eq!(conn.local(), REMOTE);
    assert!(l.accept().is_none());
}

#[test]
fn data_for_a_queued_connection_reaches_it() {
    let mut l = listener(5);
    handshake(&mut l, 1);
    let c = client(1);
    let s = ack_from(c, 100).payload(b"hello");
    feed(&mut l, ms(2), c, &s);
    let mut conn = l.accept().unwrap();
    let mut out = Output::new();
    assert_eq!(conn.recv(ms(3), 100, &mut out).unwrap(), b"hello");
}

#[test]
fn listener_drops_syn_when_backlog_full() {
    let mut l = listener(1);
    // Linux lets backlog + 1 connections wait in the accept queue.
    handshake(&mut l, 1);
    handshake(&mut l, 2);
    assert_eq!(l.accept_queue_len(), 2);
    let c = client(3);
    let out = feed(&mut l, ms(5), c, &syn_from(c, 300));
    assert!(out.segments.is_empty());
    assert!(has_event(&out, |e| *e
        == TcpEvent::ListenDrop {
            remote: c,
            reason: ListenDropReason::AcceptQueueFull
        }));
    // Once the application accepts, the client's retransmitted SYN gets in.
    l.accept();
    let out = feed(&mut l, secs(1), c, &syn_from(c, 300));
    assert_eq!(single(&out).flags, TcpFlags::SYN | TcpFlags::ACK);
}

#[test]
fn syn_flood_fills_syn_queue_then_drops_without_cookies() {
    let textbook = TcpConfig {
        syncookies: false,
        ..cfg()
    };
    let mut l = Listener::new(REMOTE, 8, &textbook).unwrap();
    let mut dropped = 0;
    for n in 0..20 {
        let c = client(n);
        let out = feed(&mut l, ms(0), c, &syn_from(c, 1000 + n as u32));
        if has_event(&out, |e| {
            matches!(
                e,
                TcpEvent::ListenDrop {
                    reason: ListenDropReason::SynQueueFull,
                    ..
                }
            )
        }) {
            dropped += 1;
        }
    }
    assert_eq!(l.syn_queue_len(), 8);
    assert_eq!(dropped, 12);
    assert!(l
        .syn_queue
        .values()
        .all(|c| c.state() == State::SynReceived));
}

/// `tcp_syncookies` = 1 (Linux's default, ORACLES 3.1 sysctls): a full SYN queue answers
/// with cookie SYN-ACKs (MSS only, keeping nothing), and the ACK of a cookie rebuilds the
/// connection straight into the accept queue (syncookies.c `cookie_v4_check`).
#[test]
fn syn_flood_is_answered_with_cookies_and_a_cookie_ack_connects() {
    let mut l = listener(8);
    let mut cookies = Vec::new();
    for n in 0..20 {
        let c = client(n);
        let out = feed(&mut l, ms(0), c, &syn_from(c, 1000 + n as u32));
        let syn_ack = single(&out);
        assert_eq!(syn_ack.flags, TcpFlags::SYN | TcpFlags::ACK);
        if has_event(&out, |e| matches!(e, TcpEvent::SynCookieSent { .. })) {
            // Only the MSS survives a cookie without timestamps.
            assert_eq!(syn_ack.options.mss, Some(1460));
            assert_eq!(syn_ack.options.window_scale, None);
            assert!(!syn_ack.options.sack_permitted);
            cookies.push((c, 1000 + n as u32, syn_ack.seq));
        }
    }
    assert_eq!(l.syn_queue_len(), 8, "cookies keep no state");
    assert_eq!(cookies.len(), 12);
    // A legitimate client among the flood answers its cookie SYN-ACK.
    let (c, isn, cookie) = cookies[3];
    let mut ack = Seg::new(TcpFlags::NONE, SeqNumber(isn + 1)).ack(cookie + 1u32);
    ack.src_port = c.port();
    ack.dst_port = REMOTE.port();
    let out = feed(&mut l, ms(5), c, &ack);
    assert!(has_event(&out, |e| matches!(
        e,
        TcpEvent::SynCookieAccepted { mss: 1460, .. }
    )));
    assert!(out.segments.is_empty(), "the ACK completes it silently");
    let conn = l.accept().expect("the cookie connection is accepted");
    assert_eq!(conn.state(), State::Established);
    assert_eq!(conn.remote(), c);
    assert_eq!(conn.snd_mss(), 1460);
    // An ACK with a wrong cookie is what it always was: answered with RST.
    let (c, isn, cookie) = cookies[4];
    let mut bad = Seg::new(TcpFlags::NONE, SeqNumber(isn + 1)).ack(cookie + 1_000_000u32);
    bad.src_port = c.port();
    bad.dst_port = REMOTE.port();
    let out = feed(&mut l, ms(5), c, &bad);
    assert_eq!(single(&out).flags, TcpFlags::RST);
}

#[test]
fn ack_is_dropped_while_accept_queue_is_full() {
    let mut l = listener(1);
    handshake(&mut l, 1);
    handshake(&mut l, 2);
    assert_eq!(l.accept_queue_len(), 2);
    // New SYNs are refused now, so build the half-open entry by hand.
    let c = client(3);
    let mut out = Output::new();
    let conn = Connection::accept_syn(
        ms(0),
        REMOTE,
        c,
        &syn_from(c, 200).repr(),
        SERVER_ISN,
        &cfg(),
        &mut out,
    )
    .unwrap();
    l.syn_queue.insert(c, conn);
    let out = feed(&mut l, ms(1), c, &ack_from(c, 200));
    assert!(has_event(&out, |e| matches!(
        e,
        TcpEvent::ListenDrop {
            reason: ListenDropReason::AckWhileAcceptQueueFull,
            ..
        }
    )));
    assert_eq!(
        l.half_open(c).map(Connection::state),
        Some(State::SynReceived)
    );
}

#[test]
fn stray_ack_gets_rst() {
    let mut l = listener(5);
    let c = client(1);
    let out = feed(&mut l, ms(0), c, &ack_from(c, 100));
    let r = single(&out);
    assert_eq!((r.flags, r.seq), (TcpFlags::RST, SERVER_ISN + 1u32));
}

#[test]
fn rst_to_listener_is_ignored() {
    let mut l = listener(5);
    let c = client(1);
    let mut s = Seg::new(TcpFlags::RST, SeqNumber(5));
    s.src_port = c.port();
    s.dst_port = REMOTE.port();
    let out = feed(&mut l, ms(0), c, &s);
    assert!(out.segments.is_empty());
}

#[test]
fn rst_removes_half_open_connection() {
    let mut l = listener(5);
    let c = client(1);
    feed(&mut l, ms(0), c, &syn_from(c, 100));
    let mut s = Seg::new(TcpFlags::RST, SeqNumber(101));
    s.src_port = c.port();
    s.dst_port = REMOTE.port();
    let out = feed(&mut l, ms(1), c, &s);
    assert_eq!(l.syn_queue_len(), 0);
    assert!(transitions(&out).contains(&(
        State::SynReceived,
        State::Listen,
        TransitionCause::RcvRst
    )));
}

#[test]
fn syn_ack_is_retransmitted_then_half_open_dropped() {
    let mut l = listener(5);
    let c = client(1);
    feed(&mut l, ms(0), c, &syn_from(c, 100));
    let mut sent = Vec::new();
    while l.syn_queue_len() > 0 {
        let at = l.poll_at().unwrap();
        let mut out = Output::new();
        l.on_timer(at, &mut out);
        check_transitions(&out);
        if !out.segments.is_empty() {
            sent.push(at);
        }
    }
    assert_eq!(sent, [1, 3, 7, 15, 31].map(secs));
    assert_eq!(l.poll_at(), None);
}

#[test]
fn listener_ignores_early_timer_calls() {
    let mut l = listener(5);
    let c = client(1);
    feed(&mut l, ms(0), c, &syn_from(c, 100));
    let mut out = Output::new();
    l.on_timer(ms(500), &mut out);
    assert!(out.segments.is_empty());
    assert_eq!(l.poll_at(), Some(secs(1)));
}

/// Linux `inet_csk_listen_stop` (issue #10 item 10, checked on Linux 6.18: docs/linux-observations.md):
/// closing a listener resets the established connections nobody accepted and drops the
/// half-open ones without a word.
#[test]
fn closed_listener_resets_unaccepted_and_drops_half_open_silently() {
    let mut l = listener(5);
    handshake(&mut l, 1);
    let half = client(2);
    feed(&mut l, ms(0), half, &syn_from(half, 500));
    assert_eq!((l.accept_queue_len(), l.syn_queue_len()), (1, 1));
    let mut out = Output::new();
    l.close(ms(1), &mut out);
    assert_eq!(
        out.segments.len(),
        1,
        "one RST, for the established child only"
    );
    assert!(out.segments[0].flags.rst());
    assert_eq!(out.segments[0].dst_port, client(1).port());
    assert!(out
        .events
        .contains(&TcpEvent::HalfOpenDropped { remote: half }));
    // Later segments (here the half-open client's SYN again) get the no-connection RST.
    let out = feed(&mut l, ms(2), half, &syn_from(half, 500));
    assert_eq!(single(&out).flags, TcpFlags::RST | TcpFlags::ACK);
}

#[test]
fn client_connects_through_listener_and_exchanges_data() {
    let mut l = listener(5);
    let mut out = Output::new();
    let client_addr = client(9);
    let mut cl =
        Connection::connect(ms(0), client_addr, REMOTE, SeqNumber(3), &cfg(), &mut out).unwrap();
    let mut now = ms(0);
    let mut server: Option<Connection> = None;
    // Shuttle segments by hand until the server accepts and data flows both ways.
    let mut to_server: Vec<TcpSegment> = out.segments.drain(..).collect();
    let mut got = Vec::new();
    cl.set_nodelay(true);
    for round in 0..20 {
        now += Duration::from_millis(1);
        let mut to_client = Vec::new();
        for s in to_server.drain(..) {
            let mut o = Output::new();
            match server.as_mut() {
                Some(conn) => conn.on_segment(now, &s.repr(), &mut o),
                None => l.on_segment(now, client_addr, &s.repr(), SERVER_ISN, &mut o),
            }
            check_transitions(&o);
            to_client.extend(o.segments);
        }
        if server.is_none() {
            server = l.accept();
        }
        if let Some(conn) = server.as_mut() {
            let mut o = Output::new();
            if let Ok(d) = conn.recv(now, 100, &mut o) {
                got.extend(d);
            }
            to_client.extend(o.segments);
        }
        let mut o = Output::new();
        for s in to_client {
            cl.on_segment(now, &s.repr(), &mut o);
        }
        if round == 3 {
            cl.send(now, b"hello server", &mut o).unwrap();
        }
        to_server.extend(o.segments);
    }
    assert_eq!(got, b"hello server");
    assert_eq!(server.map(|s| s.state()), Some(State::Established));
    let _ = TcpOptions::NONE;
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        #[test]
        fn arbitrary_segments_never_panic_and_queues_stay_bounded(
            backlog in 0usize..4,
            segs in proptest::collection::vec(
                (0u16..6, any::<u8>(), any::<u32>(), 0u32..3, 0u64..3000, 0usize..100),
                1..60,
            ),
        ) {
            let mut l = listener(backlog);
            let mut now = ms(0);
            let payload = [9u8; 100];
            for (who, flags, seq, ack_choice, step, len) in segs {
                now += Duration::from_millis(step);
                let c = client(who);
                let mut s = Seg::new(TcpFlags::from_bits(flags), SeqNumber(seq));
                s.src_port = c.port();
                s.dst_port = REMOTE.port();
                // Sometimes acknowledge the server's SYN exactly, to complete handshakes.
                s.ack = match ack_choice {
                    0 => SERVER_ISN + 1u32,
                    1 => SeqNumber(seq),
                    _ => SERVER_ISN,
                };
                s.payload = payload[..len].to_vec();
                let mut out = Output::new();
                l.on_segment(now, c, &s.repr(), SERVER_ISN, &mut out);
                check_transitions(&out);
                let mut out = Output::new();
                l.on_timer(now, &mut out);
                check_transitions(&out);
                prop_assert!(l.syn_queue_len() <= backlog);
                prop_assert!(l.accept_queue_len() <= backlog + 1);
            }
            while let Some(conn) = l.accept() {
                prop_assert!(conn.state() != State::SynReceived);
            }
        }
    }
}
