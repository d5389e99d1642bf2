//! The socket interface every application kind uses (`netlab::socket::SocketApi`), driven as a
//! packetdrill script or a Python program would: Linux's answers on non-blocking sockets
//! (`EINPROGRESS`, `EALREADY`, `EISCONN`, `EAGAIN`), `poll` flags, `SO_ERROR`, `SIOCINQ`,
//! option values as `getsockopt` returns them, and `SO_LINGER` 0 turning `close` into a RST.

use netlab::host::SockCx;
use netlab::scenario::Scenario;
use netlab::sim::World;
use netlab::socket::{
    BlockMode, Ioctl, PollEvents, SockOpt, SockType, SocketApi, SocketError, SocketId,
};
use netlab::tcp::State;
use netlab::time::Duration;
use netlab::trace::Trace;
use std::net::{Ipv4Addr, SocketAddrV4};

const PAIR: &str = r#"
[scenario]
description = "two hosts on one cable"
[[host]]
name = "alice"
ip = "10.0.0.1/24"
[[host]]
name = "bob"
ip = "10.0.0.2/24"
[[link]]
between = ["alice", "bob"]
bandwidth = "100Mbps"
delay = "1ms"
"#;

fn world() -> World {
    let scn = Scenario::parse("pair.toml", PAIR).expect("the fixture parses");
    scn.instantiate(None, Trace::off())
}

/// Runs `f` with alice's (or bob's) sockets as application 0 sees them.
fn on<R>(w: &mut World, host: &str, f: impl FnOnce(&mut SockCx) -> R) -> R {
    let id = w.node_id(host).unwrap();
    w.with_host(id, |h, io| f(&mut SockCx::new(h, io, 0)))
        .expect("a host")
}

fn advance(w: &mut World, by: Duration) {
    let t = w.now() + by;
    w.run_until(t).unwrap();
}

const BOB_80: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

fn listener(w: &mut World) -> SocketId {
    on(w, "bob", |cx| {
        let l = cx.socket(SockType::Stream).unwrap();
        cx.bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
            .unwrap();
        cx.listen(l, 8).unwrap();
        l
    })
}

#[test]
fn nonblocking_connect_answers_einprogress_ealready_eisconn() {
    let mut w = world();
    let l = listener(&mut w);
    let s = on(&mut w, "alice", |cx| {
        let s = cx.socket(SockType::Stream).unwrap();
        // A socket that never connected is CLOSED: tcp_poll gives POLLOUT|POLLHUP.
        assert_eq!(cx.poll(s).bits(), PollEvents::POLLOUT | PollEvents::POLLHUP);
        cx.set_block_mode(s, BlockMode::NonBlocking).unwrap();
        assert_eq!(cx.connect(s, BOB_80), Err(SocketError::InProgress));
        assert_eq!(cx.connect(s, BOB_80), Err(SocketError::Already));
        assert!(!cx.connect_done(s), "the SYN has not been answered yet");
        assert_eq!(cx.poll(s), PollEvents::default());
        s
    });
    assert_eq!(
        on(&mut w, "bob", |cx| cx.accept(l)),
        Err(SocketError::WouldBlock)
    );
    advance(&mut w, Duration::from_millis(10));
    on(&mut w, "alice", |cx| {
        assert!(cx.connect_done(s));
        assert_eq!(cx.getsockopt(s, SockOpt::Error), Ok(0));
        assert_eq!(cx.connect(s, BOB_80), Err(SocketError::AlreadyConnected));
        assert_eq!(cx.poll(s).bits(), PollEvents::POLLOUT);
        assert_eq!(cx.block_mode(s), Ok(BlockMode::NonBlocking));
    });
    let c = on(&mut w, "bob", |cx| {
        assert!(cx.poll(l).input, "a connection waits in the accept queue");
        let (c, from) = cx.accept(l).unwrap();
        assert_eq!(*from.ip(), Ipv4Addr::new(10, 0, 0, 1));
        // Accepted sockets are blocking whatever the listener is (CPython's accept).
        assert_eq!(cx.block_mode(c), Ok(BlockMode::Blocking));
        assert_eq!(cx.recv(c, 100), Err(SocketError::WouldBlock));
        c
    });
    on(&mut w, "alice", |cx| {
        assert_eq!(cx.send(s, b"hello"), Ok(5))
    });
    advance(&mut w, Duration::from_millis(10));
    on(&mut w, "bob", |cx| {
        assert!(cx.poll(c).input);
        // SIOCINQ / FIONREAD: bytes waiting to be read.
        assert_eq!(cx.ioctl(c, Ioctl::InQueue), Ok(5));
        assert_eq!(
            cx.ioctl(l, Ioctl::InQueue),
            Err(SocketError::InvalidArgument)
        );
        assert_eq!(cx.recv(c, 3).unwrap(), b"hel");
        assert_eq!(cx.ioctl(c, Ioctl::InQueue), Ok(2));
    });
}

#[test]
fn refused_connect_reports_econnrefused_once_through_so_error() {
    let mut w = world();
    let s = on(&mut w, "alice", |cx| {
        let s = cx.socket(SockType::Stream).unwrap();
        assert_eq!(cx.connect(s, BOB_80), Err(SocketError::InProgress));
        s
    });
    advance(&mut w, Duration::from_millis(10));
    on(&mut w, "alice", |cx| {
        let p = cx.poll(s);
        assert!(
            p.error && p.hangup,
            "RST in SYN_SENT: POLLERR|POLLHUP, got {p}"
        );
        assert_eq!(cx.getsockopt(s, SockOpt::Error), Ok(111), "ECONNREFUSED");
        // sock_error() cleared it: the second read says 0 and poll no longer says POLLERR.
        assert_eq!(cx.getsockopt(s, SockOpt::Error), Ok(0));
        assert!(!cx.poll(s).error);
    });
}

#[test]
fn getsockopt_returns_what_linux_returns() {
    let mut w = world();
    on(&mut w, "alice", |cx| {
        let s = cx.socket(SockType::Stream).unwrap();
        // tcp_rmem[1] and the host's send buffer before anything is set.
        assert_eq!(cx.getsockopt(s, SockOpt::RecvBuf), Ok(131072));
        // Linux doubles SO_RCVBUF/SO_SNDBUF (sock_setsockopt) and has floors.
        cx.setsockopt(s, SockOpt::RecvBuf, 4096).unwrap();
        assert_eq!(cx.getsockopt(s, SockOpt::RecvBuf), Ok(8192));
        cx.setsockopt(s, SockOpt::SendBuf, 1).unwrap();
        assert_eq!(cx.getsockopt(s, SockOpt::SendBuf), Ok(4608));
        // Keepalive defaults: tcp_keepalive_time 7200, intvl 75, probes 9.
        assert_eq!(cx.getsockopt(s, SockOpt::KeepIdle), Ok(7200));
        assert_eq!(cx.getsockopt(s, SockOpt::KeepIntvl), Ok(75));
        assert_eq!(cx.getsockopt(s, SockOpt::KeepCnt), Ok(9));
        cx.setsockopt(s, SockOpt::KeepIdle, 10).unwrap();
        assert_eq!(cx.getsockopt(s, SockOpt::KeepIdle), Ok(10));
        assert_eq!(
            cx.setsockopt(s, SockOpt::KeepCnt, 1000),
            Err(SocketError::InvalidArgument)
        );
        // TCP_MAXSEG before connecting: 536 (TCP_MSS_DEFAULT), or what was set.
        assert_eq!(cx.getsockopt(s, SockOpt::MaxSeg), Ok(536));
        assert_eq!(
            cx.setsockopt(s, SockOpt::MaxSeg, 20),
            Err(SocketError::InvalidArgument)
        );
        assert_eq!(cx.getsockopt(s, SockOpt::Type), Ok(1));
        assert_eq!(
            cx.setsockopt(s, SockOpt::Error, 0),
            Err(SocketError::NoProtoOpt)
        );
        assert_eq!(cx.getsockopt(s, SockOpt::Linger), Ok(-1));
        cx.setsockopt(s, SockOpt::Linger, 0).unwrap();
        assert_eq!(cx.getsockopt(s, SockOpt::Linger), Ok(0));
        let u = cx.socket(SockType::Dgram).unwrap();
        assert_eq!(cx.getsockopt(u, SockOpt::Type), Ok(2));
        assert_eq!(cx.getsockopt(u, SockOpt::AcceptConn), Ok(0));
    });
}

#[test]
fn linger_zero_close_sends_rst_and_skips_time_wait() {
    let mut w = world();
    let l = listener(&mut w);
    let s = on(&mut w, "alice", |cx| {
        let s = cx.socket(SockType::Stream).unwrap();
        let _ = cx.connect(s, BOB_80);
        s
    });
    advance(&mut w, Duration::from_millis(10));
    let c = on(&mut w, "bob", |cx| cx.accept(l).unwrap().0);
    on(&mut w, "alice", |cx| {
        cx.setsockopt(s, SockOpt::Linger, 0).unwrap();
        cx.close(s).unwrap();
    });
    let alice = w.node_id("alice").unwrap();
    assert_eq!(w.node_counter(alice, "tcp_rst_tx"), Some(1));
    advance(&mut w, Duration::from_millis(10));
    on(&mut w, "bob", |cx| {
        assert_eq!(cx.recv(c, 10), Err(SocketError::ConnectionReset));
    });
    let time_wait = w.with_host(alice, |h, _| h.sockets().count_state(State::TimeWait));
    assert_eq!(time_wait, Some(0));
}

/// Measured on Linux 6.18 (docs/linux-observations.md, `shut_rd`): after `shutdown(SHUT_RD)`
/// `recv` answers end-of-file instead of blocking, yet data that arrives later is readable.
#[test]
fn shut_rd_reads_eof_when_empty_and_later_data_still() {
    let mut w = world();
    let l = listener(&mut w);
    let s = on(&mut w, "alice", |cx| {
        let s = cx.socket(SockType::Stream).unwrap();
        let _ = cx.connect(s, BOB_80);
        s
    });
    advance(&mut w, Duration::from_millis(10));
    let c = on(&mut w, "bob", |cx| {
        let c = cx.accept(l).unwrap().0;
        cx.shutdown(c, netlab::socket::Shutdown::Read).unwrap();
        assert_eq!(cx.recv(c, 100), Ok(vec![]));
        assert!(cx.poll(c).read_hangup);
        c
    });
    on(&mut w, "alice", |cx| {
        assert_eq!(cx.send(s, b"after"), Ok(5))
    });
    advance(&mut w, Duration::from_millis(10));
    on(&mut w, "bob", |cx| {
        assert_eq!(cx.recv(c, 100).unwrap(), b"after");
        assert_eq!(cx.recv(c, 100), Ok(vec![]));
    });
}

/// Measured on Linux 6.18 (docs/linux-observations.md, `reuseaddr`): a bind over a port held
/// by a TIME_WAIT connection succeeds only when both the old and the new socket set
/// `SO_REUSEADDR` (an accepted connection inherits its listener's flag).
#[test]
fn reuseaddr_over_time_wait_needs_both_sockets_to_set_it() {
    for (old, new, ok) in [(0, 0, false), (0, 1, false), (1, 0, false), (1, 1, true)] {
        let mut w = world();
        let l = on(&mut w, "bob", |cx| {
            let l = cx.socket(SockType::Stream).unwrap();
            cx.setsockopt(l, SockOpt::ReuseAddr, old).unwrap();
            cx.bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
                .unwrap();
            cx.listen(l, 8).unwrap();
            l
        });
        let s = on(&mut w, "alice", |cx| {
            let s = cx.socket(SockType::Stream).unwrap();
            let _ = cx.connect(s, BOB_80);
            s
        });
        advance(&mut w, Duration::from_millis(10));
        // The server closes first, so its side of the connection ends in TIME_WAIT.
        on(&mut w, "bob", |cx| {
            let c = cx.accept(l).unwrap().0;
            cx.close(c).unwrap();
            cx.close(l).unwrap();
        });
        advance(&mut w, Duration::from_millis(10));
        on(&mut w, "alice", |cx| cx.close(s).unwrap());
        advance(&mut w, Duration::from_millis(10));
        let bob = w.node_id("bob").unwrap();
        let tw = w.with_host(bob, |h, _| h.sockets().count_state(State::TimeWait));
        assert_eq!(tw, Some(1));
        let r = on(&mut w, "bob", |cx| {
            let n = cx.socket(SockType::Stream).unwrap();
            cx.setsockopt(n, SockOpt::ReuseAddr, new).unwrap();
            cx.bind(n, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
        });
        let want = if ok {
            Ok(())
        } else {
            Err(SocketError::AddrInUse)
        };
        assert_eq!(r, want, "old SO_REUSEADDR={old}, new={new}");
    }
}
