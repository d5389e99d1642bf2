//! The DHCP server (RFC 2131 §4.3), sans-IO: a request in, a reply (or nothing) out.
//!
//! Pools are per subnet; a request is served from the pool of the subnet it came from: the
//! relay's `giaddr` when relayed, else the subnet of the interface it arrived on (RFC 2131
//! §4.3.1). Bindings are kept in address order (a `BTreeMap`), so the first free address is
//! always the same one.

use super::wire::{DhcpRepr, MessageType, Op};
use super::DhcpEvent;
use crate::ethernet::MacAddr;
use crate::ip::Ipv4Cidr;
use crate::time::{Duration, Instant};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// How long an OFFERed address stays reserved for its client (RFC 2131 §4.3.1 lets the
/// server choose; ISC dhcpd holds an offer for about two minutes).
const OFFER_HOLD: Duration = Duration::from_secs(120);

/// A range of addresses and the options given with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    /// The subnet (its prefix is the mask given to clients).
    pub subnet: Ipv4Cidr,
    pub first: Ipv4Addr,
    pub last: Ipv4Addr,
    pub lease: Duration,
    pub router: Option<Ipv4Addr>,
    pub dns: Option<Ipv4Addr>,
}

impl Pool {
    fn contains(&self, a: Ipv4Addr) -> bool {
        (u32::from(self.first)..=u32::from(self.last)).contains(&u32::from(a))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Binding {
    mac: MacAddr,
    until: Instant,
    /// Offered, not yet requested.
    offered: bool,
}

#[derive(Clone, Debug)]
pub struct DhcpServer {
    pub pools: Vec<Pool>,
    bindings: BTreeMap<Ipv4Addr, Binding>,
}

impl DhcpServer {
    pub fn new(pools: Vec<Pool>) -> Self {
        DhcpServer {
            pools,
            bindings: BTreeMap::new(),
        }
    }

    /// The current bindings (address, client, until, offered only), for `--show`.
    pub fn leases(&self) -> impl Iterator<Item = (Ipv4Addr, MacAddr, Instant, bool)> + '_ {
        self.bindings
            .iter()
            .map(|(a, b)| (*a, b.mac, b.until, b.offered))
    }

    fn live(&self, now: Instant, a: Ipv4Addr) -> Option<&Binding> {
        self.bindings.get(&a).filter(|b| b.until > now)
    }

    fn held_by(&self, now: Instant, mac: MacAddr, pool: &Pool) -> Option<Ipv4Addr> {
        self.bindings
            .iter()
            .find(|(a, b)| b.mac == mac && b.until > now && pool.contains(**a))
            .map(|(a, _)| *a)
    }

    fn free(&self, now: Instant, a: Ipv4Addr, mac: MacAddr) -> bool {
        self.live(now, a).is_none_or(|b| b.mac == mac)
    }

    /// Answers a BOOTREQUEST that arrived on an interface with address `me` (also the server
    /// identifier). Returns the reply, if any; how it travels is the host's business.
    pub fn on_request(
        &mut self,
        now: Instant,
        me: Ipv4Cidr,
        m: &DhcpRepr,
        events: &mut Vec<DhcpEvent>,
    ) -> Option<DhcpRepr> {
        if m.op != Op::Request {
            return None;
        }
        // A renewal comes straight from the client's own address, which may be on a
        // subnet the server reaches only through a router (RFC 2131 §4.3.2, RENEWING).
        let subnet_addr = [m.giaddr, m.ciaddr]
            .into_iter()
            .find(|a| !a.is_unspecified())
            .unwrap_or(me.addr());
        let Some(pool) = self
            .pools
            .iter()
            .find(|p| p.subnet.contains(subnet_addr))
            .cloned()
        else {
            events.push(DhcpEvent::NoPool {
                subnet: subnet_addr,
            });
            return None;
        };
        match m.message_type {
            MessageType::Discover => {
                let pick = self.held_by(now, m.chaddr, &pool).or_else(|| {
                    let wanted = m
                        .requested_ip
                        .filter(|a| pool.contains(*a) && self.free(now, *a, m.chaddr));
                    wanted.or_else(|| {
                        (u32::from(pool.first)..=u32::from(pool.last))
                            .map(Ipv4Addr::from)
                            .find(|a| self.live(now, *a).is_none())
                    })
                });
                let Some(addr) = pick else {
                    events.push(DhcpEvent::PoolExhausted { client: m.chaddr });
                    return None;
                };
                let until = self
                    .live(now, addr)
                    .filter(|b| !b.offered)
                    .map_or(now + OFFER_HOLD, |b| b.until);
                let offered = self.live(now, addr).is_none_or(|b| b.offered);
                self.bindings.insert(
                    addr,
                    Binding {
                        mac: m.chaddr,
                        until,
                        offered,
                    },
                );
                events.push(DhcpEvent::Offered {
                    client: m.chaddr,
                    addr,
                });
                Some(self.reply(me, m, MessageType::Offer, addr, &pool))
            }
            MessageType::Request => {
                if let Some(id) = m.server_id {
                    if id != me.addr() {
                        // RFC 2131 §4.3.2: the client chose another server; free our offer.
                        let mine: Vec<_> = self
                            .bindings
                            .iter()
                            .filter(|(_, b)| b.mac == m.chaddr && b.offered)
                            .map(|(a, _)| *a)
                            .collect();
                        for a in mine {
                            self.bindings.remove(&a);
                        }
                        return None;
                    }
                }
                // SELECTING names the address in option 50; RENEWING and REBINDING in
                // ciaddr (RFC 2131 §4.3.2).
                let wanted = m.requested_ip.unwrap_or(m.ciaddr);
                if !pool.contains(wanted) || !self.free(now, wanted, m.chaddr) {
                    events.push(DhcpEvent::Refused);
                    let mut nak = self.reply(me, m, MessageType::Nak, Ipv4Addr::UNSPECIFIED, &pool);
                    nak.lease_secs = None;
                    nak.renewal_secs = None;
                    nak.rebinding_secs = None;
                    nak.subnet_mask = None;
                    nak.router = None;
                    nak.dns = None;
                    return Some(nak);
                }
                self.bindings.insert(
                    wanted,
                    Binding {
                        mac: m.chaddr,
                        until: now + pool.lease,
                        offered: false,
                    },
                );
                events.push(DhcpEvent::Acked {
                    client: m.chaddr,
                    addr: wanted,
                    lease: pool.lease,
                });
                let mut ack = self.reply(me, m, MessageType::Ack, wanted, &pool);
                ack.ciaddr = m.ciaddr;
                Some(ack)
            }
            MessageType::Release => {
                if self.live(now, m.ciaddr).is_some_and(|b| b.mac == m.chaddr) {
                    self.bindings.remove(&m.ciaddr);
                }
                None
            }
            _ => None,
        }
    }

    /// RFC 2131 table 3: the fields of a reply.
    fn reply(
        &self,
        me: Ipv4Cidr,
        m: &DhcpRepr,
        t: MessageType,
        yiaddr: Ipv4Addr,
        pool: &Pool,
    ) -> DhcpRepr {
        let mut r = DhcpRepr::new(Op::Reply, t, m.xid, m.chaddr);
        r.flags = m.flags;
        r.giaddr = m.giaddr;
        r.yiaddr = yiaddr;
        r.server_id = Some(me.addr());
        let secs = pool.lease.as_nanos() / 1_000_000_000;
        r.lease_secs = Some(secs as u32);
        r.renewal_secs = Some((secs / 2) as u32);
        r.rebinding_secs = Some((secs * 7 / 8) as u32);
        r.subnet_mask = Some(pool.subnet.netmask());
        r.router = pool.router;
        r.dns = pool.dns;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: MacAddr = MacAddr(2, 0, 0, 0, 0, 1);
    const B: MacAddr = MacAddr(2, 0, 0, 0, 0, 2);

    fn server() -> DhcpServer {
        DhcpServer::new(vec![Pool {
            subnet: "10.0.0.0/24".parse().unwrap(),
            first: Ipv4Addr::new(10, 0, 0, 100),
            last: Ipv4Addr::new(10, 0, 0, 101),
            lease: Duration::from_secs(600),
            router: Some(Ipv4Addr::new(10, 0, 0, 1)),
            dns: None,
        }])
    }

    fn me() -> Ipv4Cidr {
        "10.0.0.5/24".parse().unwrap()
    }

    fn ask(
        s: &mut DhcpServer,
        mac: MacAddr,
        t: MessageType,
        want: Option<Ipv4Addr>,
    ) -> Option<DhcpRepr> {
        let mut m = DhcpRepr::new(Op::Request, t, 7, mac);
        m.requested_ip = want;
        if t == MessageType::Request {
            m.server_id = Some(me().addr());
        }
        s.on_request(Instant::ZERO, me(), &m, &mut Vec::new())
    }

    #[test]
    fn offers_then_acks_the_first_free_address() {
        let mut s = server();
        let o = ask(&mut s, A, MessageType::Discover, None).unwrap();
        assert_eq!(o.message_type, MessageType::Offer);
        assert_eq!(o.yiaddr, Ipv4Addr::new(10, 0, 0, 100));
        assert_eq!(o.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(o.lease_secs, Some(600));
        // Held for A: B gets the next one.
        let o2 = ask(&mut s, B, MessageType::Discover, None).unwrap();
        assert_eq!(o2.yiaddr, Ipv4Addr::new(10, 0, 0, 101));
        let ack = ask(&mut s, A, MessageType::Request, Some(o.yiaddr)).unwrap();
        assert_eq!(ack.message_type, MessageType::Ack);
        assert_eq!(ack.yiaddr, o.yiaddr);
        // B asking for A's address is refused.
        let nak = ask(&mut s, B, MessageType::Request, Some(o.yiaddr)).unwrap();
        assert_eq!(nak.message_type, MessageType::Nak);
    }

    #[test]
    fn an_exhausted_pool_stays_silent() {
        let mut s = server();
        ask(&mut s, A, MessageType::Discover, None).unwrap();
        ask(&mut s, B, MessageType::Discover, None).unwrap();
        let mut events = Vec::new();
        let m = DhcpRepr::new(
            Op::Request,
            MessageType::Discover,
            9,
            MacAddr(2, 0, 0, 0, 0, 3),
        );
        assert_eq!(s.on_request(Instant::ZERO, me(), &m, &mut events), None);
        assert!(matches!(events[0], DhcpEvent::PoolExhausted { .. }));
    }

    #[test]
    fn relayed_requests_use_the_pool_of_giaddr() {
        let mut s = server();
        let mut m = DhcpRepr::new(Op::Request, MessageType::Discover, 9, A);
        m.giaddr = Ipv4Addr::new(10, 9, 9, 1);
        let mut events = Vec::new();
        assert_eq!(s.on_request(Instant::ZERO, me(), &m, &mut events), None);
        assert!(matches!(events[0], DhcpEvent::NoPool { .. }));
        m.giaddr = Ipv4Addr::new(10, 0, 0, 1);
        let o = s.on_request(Instant::ZERO, me(), &m, &mut events).unwrap();
        assert_eq!(o.giaddr, m.giaddr);
    }

    #[test]
    fn a_renewal_from_behind_a_router_uses_the_pool_of_ciaddr() {
        let mut s = server();
        let far: Ipv4Cidr = "10.0.9.5/24".parse().unwrap();
        let mut m = DhcpRepr::new(Op::Request, MessageType::Request, 9, A);
        m.ciaddr = Ipv4Addr::new(10, 0, 0, 100);
        let ack = s
            .on_request(Instant::ZERO, far, &m, &mut Vec::new())
            .unwrap();
        assert_eq!(ack.message_type, MessageType::Ack);
        assert_eq!(ack.ciaddr, m.ciaddr);
    }
}
