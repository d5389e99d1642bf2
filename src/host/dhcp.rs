//! The host's DHCP glue: carries the sans-IO client's and server's messages over UDP 67/68,
//! applies leases to interfaces, and relays on routers (RFC 1542 §4).
//!
//! A client with no address sends from 0.0.0.0 to 255.255.255.255 and takes the server's
//! answers whatever their IP destination, as ISC dhclient does through a packet socket: a
//! server may unicast an OFFER to the offered address and the client's MAC before the client
//! has that address (RFC 2131 §4.1).

use super::Host;
use crate::dhcp::wire::{self, DhcpRepr, MessageType, Op, FLAG_BROADCAST};
use crate::dhcp::{ClientOut, DhcpClient, DhcpEvent, DhcpServer};
use crate::ethernet::{ethertype, MacAddr};
use crate::ip::{IpProtocol, Ipv4Cidr, Ipv4Repr, Route, LIMITED_BROADCAST};
use crate::node::NodeIo;
use crate::trace::TraceEvent;
use crate::udp::UdpRepr;
use std::net::Ipv4Addr;

/// RFC 1542 §4.1.1: a relay discards a request that has been relayed this many times.
const MAX_HOPS: u8 = 16;

/// DHCP roles of a host: clients on some interfaces, a server, relays (`helper`) on a router's
/// interfaces.
#[derive(Debug, Default)]
pub struct HostDhcp {
    pub clients: Vec<(u16, DhcpClient)>,
    pub server: Option<DhcpServer>,
    /// `(interface, server address)`: requests heard on the interface go to the server.
    pub helpers: Vec<(u16, Ipv4Addr)>,
    /// The DNS server the last lease named (option 6).
    pub dns: Option<Ipv4Addr>,
}

impl Host {
    /// The host's DHCP roles, created on first use.
    pub fn dhcp_mut(&mut self) -> &mut HostDhcp {
        self.dhcp.get_or_insert_with(Default::default)
    }

    pub fn dhcp(&self) -> Option<&HostDhcp> {
        self.dhcp.as_deref()
    }

    pub(super) fn dhcp_poll_at(&self) -> Option<crate::time::Instant> {
        let d = self.dhcp.as_ref()?;
        d.clients.iter().filter_map(|(_, c)| c.poll_at()).min()
    }

    pub(super) fn run_dhcp_timers(&mut self, io: &mut NodeIo) {
        let Some(d) = self.dhcp.as_mut() else {
            return;
        };
        let mut work = Vec::new();
        for (iface, c) in &mut d.clients {
            if c.poll_at().is_some_and(|t| t <= io.now) {
                let mut out = Vec::new();
                c.on_timer(io.now, &mut out);
                work.push((*iface, out));
            }
        }
        for (iface, out) in work {
            self.carry_out_dhcp(io, iface, out);
        }
    }

    /// A UDP datagram to port 68 on an interface with a DHCP client, taken before IP decides
    /// whether it is addressed to us. Returns whether the client took it.
    pub(super) fn dhcp_client_input(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        ip: &Ipv4Repr,
        body: &[u8],
    ) -> bool {
        if ip.protocol != IpProtocol::Udp || ip.is_fragment() {
            return false;
        }
        let Some(k) = self
            .dhcp
            .as_ref()
            .and_then(|d| d.clients.iter().position(|(i, _)| *i == iface))
        else {
            return false;
        };
        let Ok(udp) = UdpRepr::parse(body, ip.src, ip.dst) else {
            return false;
        };
        if udp.dst_port != wire::CLIENT_PORT {
            return false;
        }
        let Ok(msg) = DhcpRepr::parse(udp.payload) else {
            return false;
        };
        self.counters.ip_delivered += 1;
        self.counters.udp_rx += 1;
        let mut out = Vec::new();
        if let Some(d) = self.dhcp.as_mut() {
            d.clients[k].1.on_message(io.now, &msg, &mut out);
        }
        self.carry_out_dhcp(io, iface, out);
        true
    }

    /// A UDP datagram to port 67 reached this host: a server or a relay takes it. Returns
    /// whether one did.
    pub(super) fn dhcp_server_input(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        ip: &Ipv4Repr,
        udp: &UdpRepr,
    ) -> bool {
        if udp.dst_port != wire::SERVER_PORT {
            return false;
        }
        let Some(d) = self.dhcp.as_ref() else {
            return false;
        };
        let Ok(mut msg) = DhcpRepr::parse(udp.payload) else {
            return false;
        };
        let helper = d.helpers.iter().find(|(i, _)| *i == iface).map(|(_, h)| *h);
        let Some(me) = self.interfaces.get(iface as usize).and_then(|i| i.addr) else {
            return false;
        };
        match (msg.op, helper) {
            // RFC 1542 §4.1.1: relay a request heard on a helper interface.
            (Op::Request, Some(server)) => {
                if msg.hops >= MAX_HOPS {
                    return true;
                }
                msg.hops += 1;
                if msg.giaddr.is_unspecified() {
                    msg.giaddr = me.addr();
                }
                io.trace(TraceEvent::Dhcp {
                    iface,
                    event: DhcpEvent::Relayed {
                        to: server,
                        giaddr: msg.giaddr,
                    },
                });
                self.send_dhcp_ip(io, me.addr(), server, wire::SERVER_PORT, &msg);
                true
            }
            // RFC 1542 §4.1.2: a reply to one of our giaddrs goes back to the client's LAN.
            (Op::Reply, _) if self.is_local_addr(msg.giaddr) && ip.dst != LIMITED_BROADCAST => {
                let Some(out) = self
                    .interfaces
                    .iter()
                    .position(|i| i.addr.is_some_and(|c| c.addr() == msg.giaddr))
                else {
                    return true;
                };
                io.trace(TraceEvent::Dhcp {
                    iface: out as u16,
                    event: DhcpEvent::Relayed {
                        to: msg.yiaddr,
                        giaddr: msg.giaddr,
                    },
                });
                self.send_to_client(io, out as u16, msg.giaddr, &msg);
                true
            }
            (Op::Request, None) => {
                let Some(server) = self.dhcp.as_mut().and_then(|d| d.server.as_mut()) else {
                    return false;
                };
                let mut events = Vec::new();
                let reply = server.on_request(io.now, me, &msg, &mut events);
                for event in events {
                    io.trace(TraceEvent::Dhcp { iface, event });
                }
                if let Some(reply) = reply {
                    self.send_reply(io, iface, me.addr(), &reply);
                }
                true
            }
            _ => false,
        }
    }

    /// RFC 2131 §4.1: where a server's reply goes.
    fn send_reply(&mut self, io: &mut NodeIo, iface: u16, me: Ipv4Addr, reply: &DhcpRepr) {
        if !reply.giaddr.is_unspecified() {
            self.send_dhcp_ip(io, me, reply.giaddr, wire::SERVER_PORT, reply);
        } else if !reply.ciaddr.is_unspecified() && reply.message_type != MessageType::Nak {
            self.send_dhcp_ip(io, me, reply.ciaddr, wire::CLIENT_PORT, reply);
        } else {
            self.send_to_client(io, iface, me, reply);
        }
    }

    /// A reply to a client with no address yet, on the client's LAN: broadcast if the client
    /// asked for it or it is a NAK, else to `yiaddr` at the client's MAC, without ARP (the
    /// client cannot answer ARP for an address it does not have).
    fn send_to_client(&mut self, io: &mut NodeIo, iface: u16, src: Ipv4Addr, msg: &DhcpRepr) {
        let broadcast = msg.flags & FLAG_BROADCAST != 0 || msg.message_type == MessageType::Nak;
        let (dst, mac) = if broadcast {
            (LIMITED_BROADCAST, MacAddr::broadcast())
        } else {
            (msg.yiaddr, msg.chaddr)
        };
        self.send_dhcp_raw(io, iface, src, dst, mac, wire::SERVER_PORT, msg);
    }

    /// Sends a DHCP message straight onto interface `iface`'s wire (no route, no ARP), as a
    /// packet socket does.
    #[allow(clippy::too_many_arguments)]
    fn send_dhcp_raw(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        mac: MacAddr,
        src_port: u16,
        msg: &DhcpRepr,
    ) {
        let dst_port = if src_port == wire::SERVER_PORT {
            wire::CLIENT_PORT
        } else {
            wire::SERVER_PORT
        };
        let udp = dhcp_udp(src, dst, src_port, dst_port, msg);
        let mut repr = Ipv4Repr::new(src, dst, IpProtocol::Udp, udp.len());
        repr.ident = self.next_ident();
        repr.ttl = self.config.ttl;
        let datagram = repr.to_bytes(&udp);
        self.counters.ip_tx += 1;
        self.counters.udp_tx += 1;
        self.transmit_with(io, iface, mac, ethertype::IPV4, datagram.len(), |b| {
            b.copy_from_slice(&datagram)
        });
    }

    /// Sends a DHCP message through IP (routing, ARP): renewals, relayed messages.
    fn send_dhcp_ip(
        &mut self,
        io: &mut NodeIo,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        dst_port: u16,
        msg: &DhcpRepr,
    ) {
        let src_port = if msg.op == Op::Request && dst_port == wire::SERVER_PORT && msg.hops == 0 {
            wire::CLIENT_PORT
        } else {
            wire::SERVER_PORT
        };
        let udp = dhcp_udp(src, dst, src_port, dst_port, msg);
        let repr = Ipv4Repr::new(src, dst, IpProtocol::Udp, udp.len());
        self.counters.udp_tx += 1;
        // A failure (no route) is recorded by send_ip; the client retransmits.
        let _ = self.send_ip(io, repr, &udp, crate::apps::DfPolicy::Dont);
    }

    fn carry_out_dhcp(&mut self, io: &mut NodeIo, iface: u16, out: Vec<ClientOut>) {
        for o in out {
            match o {
                ClientOut::Event(event) => io.trace(TraceEvent::Dhcp { iface, event }),
                ClientOut::Send {
                    msg,
                    to: Some(server),
                } => self.send_dhcp_ip(io, msg.ciaddr, server, wire::SERVER_PORT, &msg),
                ClientOut::Send { msg, to: None } => self.send_dhcp_raw(
                    io,
                    iface,
                    msg.ciaddr,
                    LIMITED_BROADCAST,
                    MacAddr::broadcast(),
                    wire::CLIENT_PORT,
                    &msg,
                ),
                ClientOut::Configure(lease) => self.configure(io, iface, lease),
                ClientOut::Deconfigure(addr) => self.deconfigure(iface, addr),
            }
        }
    }

    /// Puts a lease on the interface: its address and connected route, the default route via
    /// the lease's router, its DNS server (what dhclient-script does on BOUND).
    fn configure(&mut self, io: &mut NodeIo, iface: u16, lease: crate::dhcp::Lease) {
        let _ = io;
        let Some(i) = self.interfaces.get_mut(iface as usize) else {
            return;
        };
        if i.addr == Some(lease.addr) {
            return; // renewed: nothing changes on the interface
        }
        i.addr = Some(lease.addr);
        self.routes.remove_iface(iface as usize);
        let _ = self
            .routes
            .add_connected(lease.addr.network(), iface as usize);
        if let Some(gw) = lease.router.filter(|g| lease.addr.contains(*g)) {
            let _ = self.routes.add(Route::default_via(gw, iface as usize));
        }
        self.dhcp_mut().dns = lease.dns;
        self.dns_from_lease(lease.dns);
    }

    fn deconfigure(&mut self, iface: u16, addr: Ipv4Cidr) {
        let Some(i) = self.interfaces.get_mut(iface as usize) else {
            return;
        };
        if i.addr == Some(addr) {
            i.addr = None;
            self.routes.remove_iface(iface as usize);
            self.arp[iface as usize].flush();
            self.dhcp_mut().dns = None;
        }
    }
}

/// A DHCP message as the bytes of its UDP datagram (checksum over the pseudo-header).
fn dhcp_udp(src: Ipv4Addr, dst: Ipv4Addr, src_port: u16, dst_port: u16, msg: &DhcpRepr) -> Vec<u8> {
    let payload = msg.to_bytes();
    UdpRepr {
        src_port,
        dst_port,
        payload: &payload,
    }
    .to_bytes(src, dst)
}
