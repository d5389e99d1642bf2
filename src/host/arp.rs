//! The host's ARP: requests and replies on the wire, each interface's neighbour table
//! (`arp::ArpCache`) and its timers, the datagrams it releases when an address resolves.

use super::Host;
use crate::arp::{ArpRepr, ArpTimerAction};
use crate::ethernet::{ethertype, MacAddr};
use crate::icmp::DestUnreachableCode;
use crate::ip::Ipv4Repr;
use crate::node::NodeIo;
use crate::trace::{ArpIgnore, IpDrop, TraceEvent};

impl Host {
    pub(super) fn send_arp(&mut self, io: &mut NodeIo, iface: u16, dst: MacAddr, repr: &ArpRepr) {
        match repr.operation {
            crate::arp::ArpOperation::Request => self.counters.arp_requests += 1,
            crate::arp::ArpOperation::Reply => self.counters.arp_replies += 1,
        }
        let bytes = repr.to_bytes();
        self.transmit_with(io, iface, dst, ethertype::ARP, bytes.len(), |b| {
            b.copy_from_slice(&bytes)
        });
    }

    pub(super) fn trace_arp_events(&mut self, io: &mut NodeIo, iface: u16) {
        let tracing = io.tracing();
        for event in self.arp[iface as usize].drain_events() {
            if tracing {
                io.trace(TraceEvent::Arp { iface, event });
            }
        }
    }

    pub(super) fn on_arp(&mut self, io: &mut NodeIo, iface: u16, payload: &[u8]) {
        self.counters.arp_rx += 1;
        let repr = match ArpRepr::parse(payload) {
            Ok(r) => r,
            Err(e) => {
                io.trace(TraceEvent::ArpIgnored {
                    iface,
                    why: ArpIgnore::Malformed(e),
                });
                return;
            }
        };
        let Some(my_ip) = self.iface_addr(iface) else {
            // ARP resolves IP addresses; an interface without one has nothing to answer.
            io.trace(TraceEvent::ArpIgnored {
                iface,
                why: ArpIgnore::NoAddress,
            });
            return;
        };
        let my_mac = self.interfaces[iface as usize].mac;
        match self.arp[iface as usize].on_arp(io.now, &repr, my_mac, my_ip) {
            Ok(input) => {
                if let Some(reply) = input.reply {
                    self.send_arp(io, iface, reply.target_mac, &reply);
                }
                if let Some(released) = input.released {
                    for packet in released.packets {
                        self.transmit_datagram(io, iface, released.mac, &packet);
                    }
                }
            }
            Err(e) => io.trace(TraceEvent::ArpIgnored {
                iface,
                why: ArpIgnore::Rejected(e),
            }),
        }
        self.trace_arp_events(io, iface);
    }

    pub(super) fn run_arp_timers(&mut self, io: &mut NodeIo) {
        for iface in 0..self.arp.len() as u16 {
            if self.arp[iface as usize]
                .poll_at()
                .is_none_or(|t| t > io.now)
            {
                continue;
            }
            let mut actions = std::mem::take(&mut self.scratch_arp);
            self.arp[iface as usize].on_timer(io.now, &mut actions);
            self.trace_arp_events(io, iface);
            for action in actions.drain(..) {
                match action {
                    ArpTimerAction::SendRequest(req) => {
                        if let Some(my_ip) = self.iface_addr(iface) {
                            let repr = req.to_repr(self.interfaces[iface as usize].mac, my_ip);
                            self.send_arp(io, iface, req.eth_dst(), &repr);
                        }
                    }
                    ArpTimerAction::Failed { packets, .. } => {
                        // RFC 1122 §3.2.2.1 / Linux: every datagram that waited is answered with
                        // ICMP host unreachable (to ourselves for our own packets).
                        for packet in packets {
                            if let Ok((r, _)) = Ipv4Repr::parse(&packet) {
                                self.drop_ip(io, r.src, r.dst, IpDrop::HostUnreachable);
                            }
                            self.send_icmp_error(
                                io,
                                DestUnreachableCode::HostUnreachable.into(),
                                &packet,
                                iface,
                                false,
                            );
                        }
                    }
                }
            }
            self.scratch_arp = actions;
        }
    }
}
