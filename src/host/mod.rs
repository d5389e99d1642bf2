//! A host: network interfaces and the protocol stack above them.
//!
//! A frame arriving on an interface goes up the layers: the NIC checks the FCS and the
//! destination address, then the EtherType picks ARP or IPv4, and IP picks ICMP, UDP or TCP by
//! protocol number. Going down, IP routes the datagram (longest-prefix match), fragments it for
//! the link's MTU, asks ARP for the next hop's MAC address (queueing it until the reply comes)
//! and hands a frame to the NIC. A router is a host with several interfaces and forwarding on.
//!
//! The host owns its sans-IO cores (one ARP cache per interface, the routing table, the
//! reassembler, the applications) and asks each for its next deadline: `poll_at` is their
//! minimum, and `on_timer` runs whichever are due.

mod admin;
mod arp;
mod dhcp;
mod dns;
mod icmp;
mod ip;
mod sockets;

pub use dhcp::HostDhcp;
pub use dns::HostDns;

pub use sockets::{FastOpenSend, SockCx, SockOpts, Sockets};

use crate::apps::{App, AppKind, AppOut};
use crate::arp::{ArpCache, ArpConfig, ArpTimerAction};
use crate::ethernet::{self, EthernetRepr, Frame, MacAddr};
use crate::ids::FrameId;
use crate::ip::{Ipv4Cidr, Reassembler, ReassemblyConfig, RoutingTable};
use crate::node::NodeIo;
use crate::time::Instant;
use crate::trace::{NicDrop, TraceEvent};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::Ipv4Addr;

/// Interface index used in records for the loopback "interface" (`lo`).
pub const LOOPBACK_IFACE: u16 = u16::MAX;

/// One network interface (a NIC and its port).
#[derive(Clone, Debug)]
pub struct Interface {
    pub name: String,
    pub mac: MacAddr,
    /// Takes every frame, whatever its destination (a capture or a bridge does this).
    pub promiscuous: bool,
    pub up: bool,
    /// The IPv4 address and prefix, if the interface has one.
    pub addr: Option<Ipv4Cidr>,
    /// Largest IP datagram the interface sends.
    pub mtu: usize,
    /// An IEEE 802.1Q sub-interface (Linux's `eth0.10`): (parent interface, VLAN id). Its
    /// frames go out of the parent's port tagged; tagged frames of its VLAN come in here.
    pub vlan: Option<(u16, u16)>,
}

impl Interface {
    /// An interface with no IP address (for pure layer-2 hosts).
    pub fn new(name: impl Into<String>, mac: MacAddr) -> Self {
        Interface {
            name: name.into(),
            mac,
            promiscuous: false,
            up: true,
            addr: None,
            mtu: 1500,
            vlan: None,
        }
    }
}

/// Settings of a host's stack; defaults follow Linux.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// TTL of datagrams the host originates (`ip_default_ttl`, 64).
    pub ttl: u8,
    pub arp: ArpConfig,
    pub reassembly: ReassemblyConfig,
    /// Answer echo requests sent to a broadcast address (Linux: no,
    /// `icmp_echo_ignore_broadcasts` = 1).
    pub answer_broadcast_pings: bool,
    pub tcp: crate::tcp::TcpConfig,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            ttl: 64,
            arp: ArpConfig::default(),
            reassembly: ReassemblyConfig::default(),
            answer_broadcast_pings: false,
            tcp: crate::tcp::TcpConfig::default(),
        }
    }
}

crate::counters! {
    /// Counters of a host, always kept.
    pub struct HostCounters {
        /// Frames that reached an interface.
        rx_frames,
        /// Frames sent.
        tx_frames,
        /// Frames dropped because their FCS was wrong.
        fcs_errors,
        /// Frames too short to be Ethernet.
        runts,
        /// Unicast frames for another station.
        not_for_me,
        /// Frames that arrived on an interface that is down.
        interface_down,
        /// Frames sent on an interface with no cable plugged in.
        no_carrier,
        /// Frames of an EtherType no layer handles.
        unknown_ethertype,
        /// Raw frames (of no protocol the stack speaks) delivered to the host.
        raw_delivered,
        /// ARP packets received.
        arp_rx,
        /// ARP requests sent.
        arp_requests,
        /// ARP replies sent.
        arp_replies,
        /// IP datagrams received (fragments counted one by one).
        ip_rx,
        /// IP datagrams this host originated.
        ip_tx,
        /// IP datagrams forwarded (routers).
        ip_forwarded,
        /// IP datagrams delivered to a protocol of this host.
        ip_delivered,
        /// IP datagrams dropped, for any reason.
        ip_dropped,
        /// Fragments made.
        fragments_made,
        /// Datagrams put back together from fragments.
        reassembled,
        /// ICMP messages received.
        icmp_rx,
        /// ICMP messages sent.
        icmp_tx,
        /// UDP datagrams received.
        udp_rx,
        /// UDP datagrams sent.
        udp_tx,
        /// TCP segments received.
        tcp_rx,
        /// TCP segments sent.
        tcp_tx,
        /// TCP segments sent again (timeout, fast retransmit, probes).
        tcp_retransmits,
        /// Retransmission timeouts, of SYNs and data (Linux `TCPTimeouts` in `nstat`).
        tcp_timeouts,
        /// Tail-loss probes sent (RFC 8985; Linux `TCPLossProbes`).
        tcp_loss_probes,
        /// Timeouts F-RTO found spurious (RFC 5682; Linux `TCPSpuriousRTOs`).
        tcp_spurious_timeouts,
        /// RSTs sent.
        tcp_rst_tx,
        /// Segments for a port nobody listens on (answered with RST).
        tcp_no_socket,
        /// SYNs (and handshake-completing ACKs) a listener dropped because its SYN queue or
        /// accept queue was full (Linux `ListenDrops` in `netstat -s`).
        tcp_listen_drops,
    }
}

/// A host (or a router: forwarding on).
#[derive(Debug)]
pub struct Host {
    interfaces: Vec<Interface>,
    counters: HostCounters,
    config: HostConfig,
    forwarding: bool,
    routes: RoutingTable,
    /// One neighbour table per interface; queued packets are whole IP datagrams.
    arp: Vec<ArpCache<Vec<u8>>>,
    reassembler: Reassembler,
    next_ident: u16,
    /// Datagrams to this host itself, delivered at the next wake (same instant).
    loopback: VecDeque<Vec<u8>>,
    apps: Vec<App>,
    /// Application deadlines, earliest first, so an event costs O(log apps), not a scan of
    /// every application ever started (issue #12: 100,000 finished apps were polled on every
    /// event). Lazy: an entry counts only while `app_due` still holds its time.
    app_timers: BinaryHeap<Reverse<(Instant, u16)>>,
    app_due: Vec<Option<Instant>>,
    sockets: Sockets,
    scratch_app_out: Vec<AppOut>,
    scratch_arp: Vec<ArpTimerAction<Vec<u8>>>,
    /// DHCP client, server and relay roles, if the host has any (boxed: most hosts have none).
    dhcp: Option<Box<HostDhcp>>,
    /// Resolver and DNS server, if the host has either.
    dns: Option<Box<HostDns>>,
}

impl Host {
    pub fn new(interfaces: Vec<Interface>, forwarding: bool) -> Self {
        Host::with_config(interfaces, forwarding, HostConfig::default())
    }

    pub fn with_config(interfaces: Vec<Interface>, forwarding: bool, config: HostConfig) -> Self {
        let mut routes = RoutingTable::new();
        for (i, iface) in interfaces.iter().enumerate() {
            if let Some(cidr) = iface.addr {
                // Connected routes come from the interfaces' prefixes; they cannot clash
                // unless two interfaces share a subnet, which validation rejects.
                let _ = routes.add_connected(cidr.network(), i);
            }
        }
        let arp = interfaces
            .iter()
            .map(|_| ArpCache::new(config.arp))
            .collect();
        let sockets = Sockets::new(config.tcp.clone(), crate::rng::stream(0, "host", 0));
        Host {
            reassembler: Reassembler::new(config.reassembly),
            interfaces,
            counters: HostCounters::default(),
            config,
            forwarding,
            routes,
            arp,
            next_ident: 1,
            loopback: VecDeque::new(),
            apps: Vec::new(),
            app_timers: BinaryHeap::new(),
            app_due: Vec::new(),
            sockets,
            scratch_app_out: Vec::new(),
            scratch_arp: Vec::new(),
            dhcp: None,
            dns: None,
        }
    }

    /// Gives the host its own random stream (ISNs, ephemeral ports); the scenario derives one
    /// per host from its seed.
    pub fn seed(&mut self, rng: rand_chacha::ChaCha8Rng) {
        let config = self.sockets.config.clone();
        self.sockets = Sockets::new(config, rng);
    }

    pub fn is_router(&self) -> bool {
        self.forwarding
    }

    /// The host's first IPv4 address (what its name resolves to).
    pub fn primary_addr(&self) -> Option<Ipv4Addr> {
        self.interfaces
            .iter()
            .find_map(|i| i.addr.map(|c| c.addr()))
    }

    /// The name of interface `iface` (`lo` for loopback).
    pub fn iface_name(&self, iface: u16) -> &str {
        if iface == LOOPBACK_IFACE {
            return "lo";
        }
        self.interfaces
            .get(iface as usize)
            .map_or("?", |i| i.name.as_str())
    }

    /// The next time this host's timers need to run.
    pub fn poll_at(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if !self.loopback.is_empty() {
            // Delivered "now": the world schedules the wake at the current time.
            consider(Some(Instant::ZERO));
        }
        for a in &self.arp {
            consider(a.poll_at());
        }
        consider(self.reassembler.poll_at());
        consider(self.sockets.poll_at());
        consider(self.app_timers.peek().map(|Reverse((t, _))| *t));
        consider(self.dhcp_poll_at());
        consider(self.dns_poll_at());
        next
    }

    /// Runs timers that are due at `io.now`.
    pub fn on_timer(&mut self, io: &mut NodeIo) {
        self.run_loopback(io);
        self.run_arp_timers(io);
        self.run_reassembly_timers(io);
        self.run_socket_timers(io);
        self.run_app_timers(io);
        self.run_dhcp_timers(io);
        self.run_dns_timers(io);
        self.run_ready_apps(io);
    }

    /// Sends a frame out of interface `port`, counting it.
    pub fn transmit(&mut self, io: &mut NodeIo, port: u16, frame: Frame) {
        let (port, frame) = match self.interfaces.get(port as usize).and_then(|i| i.vlan) {
            Some((parent, vid)) => (parent, ethernet::tag(&frame, vid)),
            None => (port, frame),
        };
        if io.send(port, frame) {
            self.counters.tx_frames += 1;
        } else {
            self.counters.no_carrier += 1;
        }
    }

    /// Builds and sends a frame with `payload` written by `fill`.
    fn transmit_with(
        &mut self,
        io: &mut NodeIo,
        port: u16,
        dst: MacAddr,
        ethertype: u16,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) {
        let Some(iface) = self.interfaces.get(port as usize) else {
            return;
        };
        if !iface.up {
            self.counters.interface_down += 1;
            return;
        }
        let repr = EthernetRepr {
            dst,
            src: iface.mac,
            ethertype,
        };
        let frame = ethernet::build_frame(&repr, len, fill);
        self.transmit(io, port, frame);
    }

    /// A frame's last bit arrived on interface `port`.
    pub fn on_frame(&mut self, io: &mut NodeIo, port: u16, id: FrameId, frame: Frame) {
        self.counters.rx_frames += 1;
        let Some(iface) = self.interfaces.get(port as usize) else {
            return;
        };
        let drop = |io: &mut NodeIo, reason| io.trace(TraceEvent::NicDrop { port, id, reason });
        if !iface.up {
            self.counters.interface_down += 1;
            drop(io, NicDrop::InterfaceDown);
            return;
        }
        // IEEE 802.3 §3.4: a frame whose FCS is wrong is discarded by the MAC layer.
        if let Err(e) = ethernet::check_fcs(&frame) {
            match e {
                ethernet::FrameError::Runt { .. } => self.counters.runts += 1,
                ethernet::FrameError::BadFcs { .. } => self.counters.fcs_errors += 1,
            }
            drop(io, NicDrop::Damaged(e));
            return;
        }
        // A tagged frame belongs to the sub-interface of its VLAN on this port (Linux's 8021q);
        // without one it is dropped, as by a NIC with no VLAN configured.
        let (port, frame) = match ethernet::vlan_of(&frame) {
            None => (port, frame),
            Some(vid) => match self
                .interfaces
                .iter()
                .position(|i| i.vlan == Some((port, vid)))
            {
                Some(sub) => (sub as u16, ethernet::untag(&frame)),
                None => {
                    self.counters.unknown_ethertype += 1;
                    drop(io, NicDrop::UnknownEtherType(ethernet::ethertype::VLAN));
                    return;
                }
            },
        };
        let iface = &self.interfaces[port as usize];
        let drop = |io: &mut NodeIo, reason| io.trace(TraceEvent::NicDrop { port, id, reason });
        let Ok((eth, payload)) = ethernet::parse(&frame) else {
            return;
        };
        if !ethernet::accepts(iface.mac, eth.dst, iface.promiscuous) {
            self.counters.not_for_me += 1;
            drop(io, NicDrop::NotForMe { dst: eth.dst });
            return;
        }
        match eth.ethertype {
            ethernet::ethertype::ARP => self.on_arp(io, port, payload),
            ethernet::ethertype::IPV4 => {
                self.on_ipv4(io, port, payload, eth.dst.is_broadcast());
                self.run_ready_apps(io);
            }
            ethernet::ethertype::EXPERIMENTAL => {
                self.counters.raw_delivered += 1;
                if io.tracing() {
                    io.trace(TraceEvent::RawDelivered {
                        port,
                        id,
                        frame: frame.clone(),
                    });
                }
            }
            other => {
                self.counters.unknown_ethertype += 1;
                drop(io, NicDrop::UnknownEtherType(other));
            }
        }
    }

    /// Starts an application now.
    pub fn start_app(&mut self, io: &mut NodeIo, app: App) {
        let socket_app = matches!(app.kind, AppKind::Socket(_));
        self.apps.push(app);
        self.app_due.push(None);
        self.reschedule_app(self.apps.len() - 1);
        if socket_app {
            self.poll_socket_app(io, self.apps.len() - 1);
            self.run_ready_apps(io);
        } else {
            self.run_app_timers(io);
        }
    }

    /// Lets socket application `i` make its calls.
    pub(super) fn poll_socket_app(&mut self, io: &mut NodeIo, i: usize) {
        let kind = std::mem::replace(&mut self.apps[i].kind, AppKind::Running);
        if let AppKind::Socket(mut app) = kind {
            let mut cx = SockCx {
                host: self,
                io,
                app: i as u16,
            };
            app.poll(&mut cx);
            self.apps[i].kind = AppKind::Socket(app);
        } else {
            self.apps[i].kind = kind;
        }
        self.reschedule_app(i);
    }

    /// The applications, in the order they were started (their index is their `app` number).
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    /// Files application `i`'s next deadline after anything that may have changed it.
    pub(super) fn reschedule_app(&mut self, i: usize) {
        let due = self.apps[i].poll_at();
        if self.app_due[i] != due {
            self.app_due[i] = due;
            if let Some(t) = due {
                self.app_timers.push(Reverse((t, i as u16)));
            }
        }
        self.drop_stale_app_timers();
    }

    /// Pops entries that no longer say an application's deadline, so the head is true.
    fn drop_stale_app_timers(&mut self) {
        while let Some(&Reverse((t, i))) = self.app_timers.peek() {
            if self.app_due[i as usize] == Some(t) {
                break;
            }
            self.app_timers.pop();
        }
    }

    /// The applications due at `now`, by index, each once; their deadlines are cleared (the
    /// caller runs them and reschedules them).
    pub(super) fn take_due_apps(&mut self, now: Instant) -> Vec<usize> {
        let mut due = Vec::new();
        while let Some(&Reverse((t, i))) = self.app_timers.peek() {
            if t > now {
                break;
            }
            self.app_timers.pop();
            if self.app_due[i as usize] == Some(t) {
                self.app_due[i as usize] = None;
                due.push(i as usize);
            }
        }
        self.drop_stale_app_timers();
        // Index order, as the scan this replaces ran them (traces stay identical).
        due.sort_unstable();
        due
    }

    /// Polls the applications whose sockets became ready, until none is.
    pub(crate) fn run_ready_apps(&mut self, io: &mut NodeIo) {
        // Bounded: each round serves the apps made ready by the round before; an app that
        // keeps making itself ready would be a bug, and stops here rather than hang.
        for _ in 0..10_000 {
            if self.sockets.ready.is_empty() {
                return;
            }
            let ready = std::mem::take(&mut self.sockets.ready);
            for i in ready {
                if (i as usize) < self.apps.len() {
                    self.poll_socket_app(io, i as usize);
                }
            }
        }
    }

    /// A fresh identifier for an application's packets (ICMP ident, UDP source port).
    pub fn app_ident(&self) -> u16 {
        self.apps.len() as u16 + 1
    }

    /// Brings an interface up or down. Going down removes its connected route and forgets its
    /// neighbours; coming up restores the route and announces the address with a gratuitous
    /// ARP (RFC 5227 §3), so neighbours update their caches.
    pub fn set_interface_up(&mut self, io: &mut NodeIo, iface: u16, up: bool) {
        let Some(i) = self.interfaces.get_mut(iface as usize) else {
            return;
        };
        if i.up == up {
            return;
        }
        i.up = up;
        let cidr = i.addr;
        let mac = i.mac;
        if up {
            if let Some(c) = cidr {
                let _ = self.routes.add_connected(c.network(), iface as usize);
                let garp = crate::arp::ArpRepr::request(mac, c.addr(), c.addr());
                self.send_arp(io, iface, MacAddr::broadcast(), &garp);
            }
        } else {
            self.routes.remove_iface(iface as usize);
            self.arp[iface as usize].flush();
        }
    }
}

#[cfg(test)]
mod tests;
