//! A stub resolver with a cache, sans-IO: a lookup is answered from the cache, or sends a
//! query and is answered when the response (or the give-up time) comes.
//!
//! glibc's stub resolver keeps no cache (nscd or systemd-resolved do, by TTL); netlab's keeps
//! answers for their TTL, as a host running either would, so a second lookup is silent on
//! the wire. Retransmission follows glibc's defaults (resolv.conf `timeout:5 attempts:2`):
//! the query is sent again after 5 s, and the lookup fails 5 s later (EAI_AGAIN).

use super::wire::{reverse_name, DnsRepr, RData, TYPE_A, TYPE_PTR};
use crate::time::{Duration, Instant};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

const TIMEOUT: Duration = Duration::from_secs(5);
const ATTEMPTS: u32 = 2;

/// What a program asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// `gethostbyname`: an A query.
    Name(String),
    /// `gethostbyaddr`: a PTR query for the address's in-addr.arpa name.
    Addr(Ipv4Addr),
}

impl Lookup {
    fn key(&self) -> (String, u16) {
        match self {
            Lookup::Name(n) => (n.to_ascii_lowercase(), TYPE_A),
            Lookup::Addr(ip) => (reverse_name(*ip), TYPE_PTR),
        }
    }
}

/// What a lookup came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Addr(Ipv4Addr),
    Name(String),
    /// NXDOMAIN, or a name without a record of the type asked (glibc: HOST_NOT_FOUND,
    /// NO_DATA; Python: `gaierror` -2, `herror` 1).
    NotFound,
    /// No response after every attempt (glibc: TRY_AGAIN; Python: `gaierror` -3).
    NoAnswer,
}

#[derive(Clone, Debug)]
struct Pending {
    id: u16,
    port: u16,
    key: (String, u16),
    attempts: u32,
    deadline: Instant,
}

/// A query to send: from UDP `port` to the server's port 53.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub port: u16,
    pub msg: DnsRepr,
}

#[derive(Debug, Clone)]
pub struct Resolver {
    pub server: Ipv4Addr,
    rng: ChaCha8Rng,
    /// Answers by (name, type), with the time they stop being valid. Negative results and
    /// failures are kept only for the instant they came (RFC 2308 negative caching needs an
    /// SOA, which netlab's zones do not have), so the programs waiting then see them.
    cache: BTreeMap<(String, u16), (Resolved, Instant)>,
    pending: Vec<Pending>,
}

impl Resolver {
    pub fn new(server: Ipv4Addr, rng: ChaCha8Rng) -> Self {
        Resolver {
            server,
            rng,
            cache: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.deadline).min()
    }

    /// Whether a query from `port` is waiting (the host hands such datagrams to us).
    pub fn owns_port(&self, port: u16) -> bool {
        self.pending.iter().any(|p| p.port == port)
    }

    /// The cache: (name, type, answer, expires).
    pub fn cached(&self) -> impl Iterator<Item = (&str, u16, &Resolved, Instant)> {
        self.cache
            .iter()
            .map(|((n, t), (r, e))| (n.as_str(), *t, r, *e))
    }

    /// Answers `q` from the cache, or returns `None` and (unless the same question is already
    /// in flight) a query to send.
    pub fn lookup(&mut self, now: Instant, q: &Lookup, out: &mut Vec<Query>) -> Option<Resolved> {
        let key = q.key();
        if let Some((r, until)) = self.cache.get(&key) {
            if now <= *until {
                return Some(r.clone());
            }
        }
        if self.pending.iter().any(|p| p.key == key) {
            return None;
        }
        let p = Pending {
            id: self.rng.random(),
            // glibc binds each query's socket to a fresh ephemeral port (Linux's default
            // range 32768-60999).
            port: self.rng.random_range(32768..=60999),
            key,
            attempts: 1,
            deadline: now + TIMEOUT,
        };
        out.push(Query {
            port: p.port,
            msg: DnsRepr::query(p.id, &p.key.0, p.key.1),
        });
        self.pending.push(p);
        None
    }

    /// Retransmits or gives up the queries due at `now`. Returns whether one gave up (its
    /// programs should be woken).
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<Query>) -> bool {
        let mut gave_up = false;
        let mut k = 0;
        while k < self.pending.len() {
            if self.pending[k].deadline > now {
                k += 1;
                continue;
            }
            if self.pending[k].attempts < ATTEMPTS {
                let p = &mut self.pending[k];
                p.attempts += 1;
                p.deadline = now + TIMEOUT;
                out.push(Query {
                    port: p.port,
                    msg: DnsRepr::query(p.id, &p.key.0, p.key.1),
                });
                k += 1;
            } else {
                let p = self.pending.remove(k);
                self.cache.insert(p.key, (Resolved::NoAnswer, now));
                gave_up = true;
            }
        }
        gave_up
    }

    /// A datagram from the server to our `port`. Returns whether it answered a query (its
    /// programs should be woken).
    pub fn on_response(&mut self, now: Instant, port: u16, m: &DnsRepr) -> bool {
        let Some(k) = self
            .pending
            .iter()
            .position(|p| p.port == port && p.id == m.id && p.key.0.eq_ignore_ascii_case(&m.qname))
        else {
            return false;
        };
        if !m.response {
            return false;
        }
        let p = self.pending.remove(k);
        let found = m.answers.iter().find_map(|a| match (&a.data, p.key.1) {
            (RData::A(ip), TYPE_A) => Some((Resolved::Addr(*ip), a.ttl)),
            (RData::Ptr(n), TYPE_PTR) => Some((Resolved::Name(n.clone()), a.ttl)),
            _ => None,
        });
        let entry = match found {
            Some((r, ttl)) if m.rcode == 0 => (r, now + Duration::from_secs(ttl.into())),
            // NXDOMAIN (rcode 3), NODATA (no answer of the type), or a server failure.
            _ => (Resolved::NotFound, now),
        };
        self.cache.insert(p.key, entry);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::{Answer, RCODE_NXDOMAIN};
    use super::*;

    const DNS: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 53);

    fn resolver() -> Resolver {
        Resolver::new(DNS, crate::rng::stream(1, "dns", 0))
    }

    fn answer(q: &Query, ttl: u32, ip: Option<Ipv4Addr>) -> DnsRepr {
        let mut r = q.msg.clone();
        r.response = true;
        match ip {
            Some(ip) => r.answers.push(Answer {
                name: r.qname.clone(),
                ttl,
                data: RData::A(ip),
            }),
            None => r.rcode = RCODE_NXDOMAIN,
        }
        r
    }

    #[test]
    fn answers_are_cached_for_their_ttl() {
        let mut r = resolver();
        let t0 = Instant::ZERO;
        let mut out = Vec::new();
        let q = Lookup::Name("WWW.lab".into());
        assert_eq!(r.lookup(t0, &q, &mut out), None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].msg.qname, "www.lab");
        // Asked again while in flight: no second query.
        assert_eq!(r.lookup(t0, &q, &mut out), None);
        assert_eq!(out.len(), 1);
        let ip = Ipv4Addr::new(10, 0, 0, 80);
        assert!(r.on_response(t0, out[0].port, &answer(&out[0], 30, Some(ip))));
        let t = t0 + Duration::from_secs(30);
        assert_eq!(r.lookup(t, &q, &mut out), Some(Resolved::Addr(ip)));
        assert_eq!(out.len(), 1, "answered from the cache");
        let later = t + Duration::from_nanos(1);
        assert_eq!(r.lookup(later, &q, &mut out), None, "expired: asked again");
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn nxdomain_is_not_found_and_not_kept() {
        let mut r = resolver();
        let mut out = Vec::new();
        let q = Lookup::Name("nope.lab".into());
        r.lookup(Instant::ZERO, &q, &mut out);
        // A response with another id is not ours.
        let mut wrong = answer(&out[0], 0, None);
        wrong.id ^= 1;
        assert!(!r.on_response(Instant::ZERO, out[0].port, &wrong));
        assert!(r.on_response(Instant::ZERO, out[0].port, &answer(&out[0], 0, None)));
        assert_eq!(
            r.lookup(Instant::ZERO, &q, &mut out),
            Some(Resolved::NotFound)
        );
        let later = Instant::ZERO + Duration::from_secs(1);
        assert_eq!(r.lookup(later, &q, &mut out), None);
    }

    #[test]
    fn no_answer_after_two_attempts_five_seconds_apart() {
        let mut r = resolver();
        let mut out = Vec::new();
        let q = Lookup::Addr(Ipv4Addr::new(10, 0, 0, 80));
        r.lookup(Instant::ZERO, &q, &mut out);
        assert_eq!(out[0].msg.qname, "80.0.0.10.in-addr.arpa");
        assert_eq!(r.poll_at(), Some(Instant::ZERO + TIMEOUT));
        assert!(!r.on_timer(Instant::ZERO + TIMEOUT, &mut out));
        assert_eq!(out.len(), 2, "sent again");
        assert_eq!(out[0].msg, out[1].msg);
        let end = Instant::ZERO + TIMEOUT + TIMEOUT;
        assert!(r.on_timer(end, &mut out));
        assert_eq!(r.lookup(end, &q, &mut out), Some(Resolved::NoAnswer));
        assert_eq!(r.poll_at(), None);
    }
}
