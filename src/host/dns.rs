//! The host's DNS glue: a resolver for its programs' name lookups and an authoritative server,
//! over UDP 53.
//!
//! A host has a resolver when the scenario gives it one (`dns = "10.0.0.53"`) or its DHCP lease
//! names a DNS server (option 6); its programs' `gethostbyname`/`gethostbyaddr` then ask that
//! server, and the host's "/etc/hosts" holds only localhost. Without one, names come from the
//! scenario's hosts table, as before.

use super::Host;
use crate::dns::resolver::Query;
use crate::dns::wire::{self, DnsRepr};
use crate::dns::{Lookup, Resolved, Resolver, Zone};
use crate::ip::{IpProtocol, Ipv4Repr};
use crate::node::NodeIo;
use crate::trace::TraceEvent;
use crate::udp::UdpRepr;
use std::net::Ipv4Addr;

#[derive(Debug)]
pub struct HostDns {
    /// The resolver; its server is 0.0.0.0 until one is configured (a DHCP client waiting
    /// for its lease).
    pub resolver: Resolver,
    /// The applications waiting for an answer, woken when one comes.
    waiting: Vec<u32>,
    pub zone: Option<Zone>,
}

impl Host {
    /// Gives the host a resolver (`server` 0.0.0.0: none yet, DHCP may name one) and a zone.
    pub fn set_dns(&mut self, server: Ipv4Addr, rng: rand_chacha::ChaCha8Rng, zone: Option<Zone>) {
        self.dns = Some(Box::new(HostDns {
            resolver: Resolver::new(server, rng),
            waiting: Vec::new(),
            zone,
        }));
    }

    pub fn dns(&self) -> Option<&HostDns> {
        self.dns.as_deref()
    }

    /// A DHCP lease named a DNS server: use it unless the scenario set one.
    pub(super) fn dns_from_lease(&mut self, server: Option<Ipv4Addr>) {
        if let (Some(d), Some(s)) = (self.dns.as_mut(), server) {
            if d.resolver.server.is_unspecified() {
                d.resolver.server = s;
            }
        }
    }

    /// Looks `q` up for application `app`: `None` when the host has no resolver (the caller
    /// reads the hosts table), `Some(None)` while the answer is awaited (the application is
    /// woken when it comes), `Some(Some(answer))` once known.
    pub fn resolve(&mut self, io: &mut NodeIo, app: u16, q: &Lookup) -> Option<Option<Resolved>> {
        let d = self.dns.as_mut()?;
        if d.resolver.server.is_unspecified() {
            return None;
        }
        let mut out = Vec::new();
        let r = d.resolver.lookup(io.now, q, &mut out);
        if r.is_none() && !d.waiting.contains(&u32::from(app)) {
            d.waiting.push(u32::from(app));
        }
        self.send_queries(io, out);
        Some(r)
    }

    fn send_queries(&mut self, io: &mut NodeIo, out: Vec<Query>) {
        let Some(server) = self.dns.as_ref().map(|d| d.resolver.server) else {
            return;
        };
        for q in out {
            self.send_dns(io, q.port, server, wire::PORT, &q.msg);
        }
    }

    fn send_dns(&mut self, io: &mut NodeIo, sport: u16, dst: Ipv4Addr, dport: u16, m: &DnsRepr) {
        let payload = m.to_bytes();
        // The checksum covers the source address: pick it as routing will.
        let src = self
            .routes
            .lookup(dst)
            .and_then(|r| self.interfaces.get(r.iface).and_then(|i| i.addr))
            .map_or(Ipv4Addr::UNSPECIFIED, |c| c.addr());
        let udp = UdpRepr {
            src_port: sport,
            dst_port: dport,
            payload: &payload,
        }
        .to_bytes(src, dst);
        self.counters.udp_tx += 1;
        let repr = Ipv4Repr::new(src, dst, IpProtocol::Udp, udp.len());
        // A failure (no route) is recorded by send_ip; the resolver times out.
        let _ = self.send_ip(io, repr, &udp, crate::apps::DfPolicy::Want);
    }

    pub(super) fn dns_poll_at(&self) -> Option<crate::time::Instant> {
        self.dns.as_ref()?.resolver.poll_at()
    }

    pub(super) fn run_dns_timers(&mut self, io: &mut NodeIo) {
        let Some(d) = self.dns.as_mut() else {
            return;
        };
        if d.resolver.poll_at().is_none_or(|t| t > io.now) {
            return;
        }
        let mut out = Vec::new();
        if d.resolver.on_timer(io.now, &mut out) {
            self.wake_resolver_waiters();
        }
        self.send_queries(io, out);
    }

    fn wake_resolver_waiters(&mut self) {
        if let Some(d) = self.dns.as_mut() {
            for app in d.waiting.drain(..) {
                if !self.sockets.ready.contains(&app) {
                    self.sockets.ready.push(app);
                }
            }
        }
    }

    /// A UDP datagram no socket took: a query for our zone, or a response to our resolver.
    /// Returns whether DNS took it.
    pub(super) fn dns_input(&mut self, io: &mut NodeIo, ip: &Ipv4Repr, udp: &UdpRepr) -> bool {
        let Some(d) = self.dns.as_mut() else {
            return false;
        };
        let Ok(m) = DnsRepr::parse(udp.payload) else {
            return false;
        };
        if udp.src_port == wire::PORT && d.resolver.owns_port(udp.dst_port) {
            if d.resolver.on_response(io.now, udp.dst_port, &m) {
                self.wake_resolver_waiters();
            }
            return true;
        }
        if udp.dst_port != wire::PORT {
            return false;
        }
        let Some(reply) = d.zone.as_ref().and_then(|z| z.answer(&m)) else {
            return false;
        };
        if io.tracing() {
            io.trace(TraceEvent::DnsAnswer {
                client: ip.src,
                summary: reply.summary(),
            });
        }
        self.send_dns(io, wire::PORT, ip.src, udp.src_port, &reply);
        true
    }
}
