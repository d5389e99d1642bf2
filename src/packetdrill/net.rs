//! The world a script runs in: one netlab host and the runner's "tun" device.
//!
//! packetdrill injects packets into a TUN device and sniffs what the kernel sends out of it.
//! Here the host under test has one interface, `eth0`, 192.168.0.1/16 (the address the official
//! runners pin with `--local_ip`), cabled to a one-port hub that stands for `tun0`: nothing
//! comes back from the hub by itself. The runner writes the remote side's datagrams onto that
//! cable and reads the host's datagrams from the trace (`FrameTx` at the host), stamped with the
//! simulated instant the host sent them. The cable is as fast as netlab can make one (a frame takes
//! 1 ns) with no propagation delay, and the runner lets an injected segment arrive before the
//! script's next event; the remote
//! address 192.0.2.1 is reached through a gateway with a static neighbour entry, so no ARP
//! exchange sits between the script and the stack.

use crate::ethernet::{self, EthernetRepr, MacAddr};
use crate::host::{Host, HostConfig, Interface};
use crate::ip::{IpProtocol, Ipv4Cidr, Ipv4Repr, Route};
use crate::node::NodeIo;
use crate::phy::{Bandwidth, LinkConfig};
use crate::sim::{Next, NodeId, NodeKind, World};
use crate::switch::Hub;
use crate::time::{Duration, Instant};
use crate::trace::{Trace, TraceEvent};
use std::collections::VecDeque;
use std::net::Ipv4Addr;

/// The addresses the official runners pin (`--local_ip`, `--remote_ip`), unless a script's
/// options say otherwise.
pub const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
pub const REMOTE_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// The gateway in the local /16: .0.2, or .0.1 when the host itself is .0.2.
fn gateway_for(local: Ipv4Addr) -> Ipv4Addr {
    let net = u32::from(local) & 0xffff_0000;
    let host = if u32::from(local) & 0xffff == 2 { 1 } else { 2 };
    Ipv4Addr::from(net | host)
}

/// A datagram the host sent, and when.
#[derive(Clone, Debug)]
pub struct Sent {
    pub time: Instant,
    /// The whole IPv4 datagram.
    pub ip: Vec<u8>,
}

pub struct Net {
    pub world: World,
    pub host: NodeId,
    tun: NodeId,
    host_mac: MacAddr,
    tun_mac: MacAddr,
    pub local_ip: Ipv4Addr,
    pub remote_ip: Ipv4Addr,
    /// Trace records already looked at.
    seen: usize,
    pub sent: VecDeque<Sent>,
}

impl Net {
    pub fn new(config: HostConfig, local_ip: Ipv4Addr, remote_ip: Ipv4Addr) -> Net {
        let gateway = gateway_for(local_ip);
        let mut world = World::new(Trace::recording());
        let host_mac = ethernet::default_mac(1);
        let tun_mac = ethernet::default_mac(2);
        let mut eth0 = Interface::new("eth0", host_mac);
        eth0.addr = Some(Ipv4Cidr::new(local_ip, 16).expect("a /16 is a valid prefix"));
        let mut h = Host::with_config(vec![eth0], false, config);
        h.seed(crate::rng::stream(1, "packetdrill", 0));
        let _ = h.add_route(Route::default_via(gateway, 0));
        h.add_static_neighbour(0, Instant::ZERO, gateway, tun_mac);
        let host = world.add_node("netlab", NodeKind::Host(Box::new(h)), 1);
        let tun = world.add_node(
            "tun0",
            NodeKind::Hub(Hub {
                ports: 1,
                repeated: 0,
                medium: None,
            }),
            1,
        );
        let link = LinkConfig {
            bandwidth: Bandwidth::from_bps(u64::MAX),
            delay: Duration::ZERO,
            queue_frames: 100_000,
            ..LinkConfig::default()
        };
        world.add_link(
            "tun",
            (host, 0),
            (tun, 0),
            link,
            crate::rng::stream(1, "link", 0),
        );
        Net {
            world,
            host,
            tun,
            host_mac,
            tun_mac,
            local_ip,
            remote_ip,
            seen: 0,
            sent: VecDeque::new(),
        }
    }

    pub fn now(&self) -> Instant {
        self.world.now()
    }

    /// Writes a datagram from the remote side onto the cable now; returns when it arrives.
    pub fn inject(&mut self, protocol: IpProtocol, payload: &[u8], tos: u8) -> Instant {
        let mut repr = Ipv4Repr::new(self.remote_ip, self.local_ip, protocol, payload.len());
        repr.tos = tos;
        let ip = repr.to_bytes(payload);
        let frame = ethernet::frame_with_payload(
            &EthernetRepr {
                dst: self.host_mac,
                src: self.tun_mac,
                ethertype: ethernet::ethertype::IPV4,
            },
            &ip,
        );
        self.world.fabric.send(self.tun, 0, frame);
        // When it reaches the host: the script's next event must see its effect.
        match self.world.trace().records().last().map(|r| &r.event) {
            Some(TraceEvent::FrameTx { arrival, .. }) => *arrival,
            _ => self.world.now(),
        }
    }

    /// Runs the next event if it is due by `t`, through the one run loop every driver uses
    /// (`World::next`); false when none is (nothing left, the next is later, or a runaway
    /// limit ended the run). The clock does not move past the last event run.
    pub fn step_until(&mut self, t: Instant) -> bool {
        let stepped = matches!(self.world.next(None, Some(t)), Next::Event(_));
        self.collect();
        stepped
    }

    /// Moves the clock to `t` without running anything (every event before it has run).
    pub fn advance_clock(&mut self, t: Instant) {
        if t > self.world.now() {
            self.world.fabric.queue.advance_to(t);
        }
    }

    /// Picks up the datagrams the host sent since the last look.
    fn collect(&mut self) {
        let records = self.world.trace().records();
        for r in &records[self.seen..] {
            if r.node != Some(self.host) {
                continue;
            }
            if let TraceEvent::FrameTx { frame, .. } = &r.event {
                if let Ok((eth, payload)) = ethernet::parse(frame) {
                    if eth.ethertype == ethernet::ethertype::IPV4 {
                        if let Ok((ip, _)) = Ipv4Repr::parse(payload) {
                            let len = 20 + ip.payload_len;
                            self.sent.push_back(Sent {
                                time: r.time,
                                ip: payload[..len.min(payload.len())].to_vec(),
                            });
                        }
                    }
                }
            }
        }
        self.seen = records.len();
    }

    /// Lets the host act now (a socket call), then collects what it sent.
    pub fn with_host<R>(&mut self, f: impl FnOnce(&mut Host, &mut NodeIo) -> R) -> R {
        let r = self
            .world
            .with_host(self.host, f)
            .expect("node 0 is the host under test");
        self.collect();
        r
    }

    pub fn host(&self) -> &Host {
        match &self.world.node(self.host).kind {
            NodeKind::Host(h) => h,
            _ => unreachable!("node 0 is the host under test"),
        }
    }
}
