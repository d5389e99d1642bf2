//! A TCP fixture shared by the stepper and graph tests: two hosts, a client and a server
//! written against the socket calls (the scenario timeline has no TCP applications yet).

#![allow(dead_code)]

use netlab::scenario::Scenario;
use netlab::sim::{Step, StepKind, World};
use netlab::socket::{Shutdown, SockType, SocketId};
use netlab::step::{Hook, Stepper};
use netlab::tcp::State;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

/// Two hosts on one cable. The timeline's raw frame at 1 ms is the signal for the test's TCP
/// applications (see [`tcp_apps`]); the 3rd data segment alice sends is lost once.
pub const TCP_PAIR: &str = r#"
[scenario]
description = "alice connects to bob:80, sends 20000 bytes and closes; bob reads to the end and closes."
[[host]]
name = "alice"
ip = "10.0.0.1/24"
[[host]]
name = "bob"
ip = "10.0.0.2/24"
[[link]]
between = ["alice", "bob"]
bandwidth = "10Mbps"
delay = "1ms"
[timeline]
steps = '''
0   link alice--bob drop match="tcp data from=alice" nth=3
1ms alice send-frame to=bob text="start"
'''
"#;

/// A client on alice and a server on bob, written against the socket calls. They act after
/// every event and keep no state of their own, so a re-run replays them exactly.
pub fn tcp_apps() -> Hook {
    Rc::new(|world: &mut World, step: &Step| {
        let alice = world.node_id("alice").unwrap();
        let bob = world.node_id("bob").unwrap();
        if let StepKind::Script { index: 1 } = step.kind {
            world.with_host(bob, |h, _| {
                let s = h.socket(SockType::Stream, 0);
                h.bind(s, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
                    .unwrap();
                h.listen(s, 8).unwrap();
            });
            world.with_host(alice, |h, io| {
                let s = h.socket(SockType::Stream, 0);
                h.connect(io, s, SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80))
                    .unwrap();
            });
            return;
        }
        // Once connected (a write before that waits, as in Linux), alice writes and closes
        // her side: ESTABLISHED is seen only once, as the shutdown leaves it.
        world.with_host(alice, |h, io| {
            if h.sockets().tcp_state(SocketId(0)) == Some(State::Established) {
                assert_eq!(h.send(io, SocketId(0), &[b'x'; 20000]).unwrap(), 20000);
                let _ = h.shutdown(io, SocketId(0), Shutdown::Write);
            }
        });
        world.with_host(bob, |h, io| {
            let _ = h.accept(SocketId(0));
            while let Ok(data) = h.recv(io, SocketId(1), 65536) {
                if data.is_empty() {
                    let _ = h.close(io, SocketId(1));
                    break;
                }
            }
        });
    })
}

/// [`TCP_PAIR`] with its applications run to the end, every trace record kept (what the stepper
/// runs, for tests that read the whole history; the stepper itself keeps only the current
/// event's records).
#[allow(dead_code)]
pub fn tcp_pair_world() -> World {
    use netlab::scenario::next_event;
    use netlab::sim::Next;
    use netlab::trace::Trace;
    let scn = Scenario::parse("tcp-pair.toml", TCP_PAIR).expect("the fixture parses");
    let mut world = scn.instantiate(None, Trace::recording());
    let hook = tcp_apps();
    while let Next::Event(step) = next_event(&scn, &mut world, scn.stop, None) {
        hook(&mut world, &step);
    }
    world
}

/// A stepper on [`TCP_PAIR`] with its applications.
pub fn tcp_stepper() -> Stepper {
    let scn = Scenario::parse("tcp-pair.toml", TCP_PAIR).expect("the fixture parses");
    Stepper::new(scn, None).with_hook(tcp_apps())
}
