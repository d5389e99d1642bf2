//! `ping`: ICMP echo requests at an interval, replies matched by sequence number, a summary.
//!
//! Behaves like iputils ping with `-c COUNT`: one request every `interval`; each reply prints
//! `64 bytes from …: icmp_seq=1 ttl=64 time=0.123 ms`; ICMP errors about a request print
//! `From … icmp_seq=1 Destination Host Unreachable`; after the last request it waits up to
//! `linger` (10 s, iputils' default) for what is still missing, then prints the summary.

use super::AppOut;
use crate::time::{Duration, Instant};
use crate::trace::{AppEvent, IcmpKind, IpDrop};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// When the DF bit is set on a request (Linux `IP_MTU_DISCOVER`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DfPolicy {
    /// Set DF when the packet fits the first link, fragment locally when it does not
    /// (`IP_PMTUDISC_WANT`, Linux's default).
    Want,
    /// Always set DF; a packet too big for the first link is a local error (`ping -M do`).
    Do,
    /// Never set DF (`ping -M dont`): routers fragment as needed.
    Dont,
}

/// How to ping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingConfig {
    pub dst: Ipv4Addr,
    /// Requests to send (`-c`, default 4 here; iputils pings forever without it).
    pub count: u32,
    /// Time between requests (`-i`, default 1 s).
    pub interval: Duration,
    /// Bytes of echo data (`-s`, default 56: an 84-byte IP packet, a 98-byte frame).
    pub size: u16,
    /// TTL of the requests (`-t`, default 64).
    pub ttl: u8,
    pub df: DfPolicy,
    /// How long to wait after the last request for missing answers (default 10 s).
    pub linger: Duration,
}

impl PingConfig {
    pub fn new(dst: Ipv4Addr) -> Self {
        PingConfig {
            dst,
            count: 4,
            interval: Duration::from_secs(1),
            size: 56,
            ttl: 64,
            df: DfPolicy::Want,
            linger: Duration::from_secs(10),
        }
    }
}

crate::counters! {
    /// What a ping saw.
    pub struct PingStats {
        /// Requests sent.
        transmitted,
        /// Replies received (duplicates not counted).
        received,
        /// ICMP errors about our requests, and requests that could not be sent.
        errors,
        /// Replies to a request already answered.
        duplicates,
    }
}

#[derive(Clone, Debug)]
pub struct Ping {
    pub config: PingConfig,
    ident: u16,
    next_seq: u16,
    next_send: Option<Instant>,
    /// Send time of each request not yet answered.
    outstanding: BTreeMap<u16, Instant>,
    answered: BTreeMap<u16, ()>,
    rtts: Vec<Duration>,
    deadline: Option<Instant>,
    done: bool,
    pub stats: PingStats,
}

impl Ping {
    /// A ping that sends its first request at `now`. `ident` tells its replies apart from
    /// another ping's on the same host (Linux uses the socket's port).
    pub fn new(config: PingConfig, ident: u16, now: Instant) -> Self {
        Ping {
            config,
            ident,
            next_seq: 1,
            next_send: Some(now),
            outstanding: BTreeMap::new(),
            answered: BTreeMap::new(),
            rtts: Vec::new(),
            deadline: None,
            done: false,
            stats: PingStats::default(),
        }
    }

    pub fn ident(&self) -> u16 {
        self.ident
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn counter(&self, name: &str) -> Option<u64> {
        if name == "loss_percent" {
            let t = self.stats.transmitted;
            return Some(
                ((t - self.stats.received) * 100)
                    .checked_div(t)
                    .unwrap_or(0),
            );
        }
        self.stats.get(name)
    }

    pub fn poll_at(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        match (self.next_send, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<AppOut>) {
        if self.done {
            return;
        }
        if self.next_send.is_some_and(|t| t <= now) {
            if self.next_seq == 1 {
                out.push(AppOut::Event(AppEvent::PingStart {
                    dst: self.config.dst,
                    size: self.config.size,
                }));
            }
            let seq = self.next_seq;
            self.next_seq = self.next_seq.wrapping_add(1);
            self.stats.transmitted += 1;
            self.outstanding.insert(seq, now);
            out.push(AppOut::SendEcho {
                dst: self.config.dst,
                ident: self.ident,
                seq,
                size: self.config.size,
                ttl: self.config.ttl,
                df: self.config.df,
            });
            if self.stats.transmitted < self.config.count as u64 {
                self.next_send = Some(now + self.config.interval);
            } else {
                self.next_send = None;
                self.deadline = Some(now + self.config.linger);
            }
        }
        if self.deadline.is_some_and(|t| t <= now) {
            self.finish(out);
        }
    }

    fn all_answered(&self) -> bool {
        self.next_send.is_none() && self.outstanding.is_empty()
    }

    /// An echo reply with our ident arrived.
    pub fn on_reply(
        &mut self,
        now: Instant,
        from: Ipv4Addr,
        seq: u16,
        ttl: u8,
        bytes: u16,
        out: &mut Vec<AppOut>,
    ) {
        if self.done {
            return;
        }
        let Some(sent) = self.outstanding.remove(&seq) else {
            if self.answered.contains_key(&seq) {
                self.stats.duplicates += 1;
            }
            return;
        };
        self.answered.insert(seq, ());
        let rtt = now - sent;
        self.rtts.push(rtt);
        self.stats.received += 1;
        out.push(AppOut::Event(AppEvent::PingReply {
            from,
            seq,
            ttl,
            bytes,
            rtt,
        }));
        if self.all_answered() {
            self.finish(out);
        }
    }

    /// An ICMP error quoting one of our requests arrived.
    pub fn on_error(&mut self, from: Ipv4Addr, seq: u16, kind: IcmpKind, out: &mut Vec<AppOut>) {
        if self.done || self.outstanding.remove(&seq).is_none() {
            return;
        }
        self.stats.errors += 1;
        out.push(AppOut::Event(AppEvent::PingError { from, seq, kind }));
        if self.all_answered() {
            self.finish(out);
        }
    }

    /// The host could not send request `seq` at all (no route, packet too big with DF).
    pub fn on_send_failed(&mut self, seq: u16, drop: IpDrop, out: &mut Vec<AppOut>) {
        if self.done || self.outstanding.remove(&seq).is_none() {
            return;
        }
        self.stats.errors += 1;
        out.push(AppOut::Event(AppEvent::PingLocalError { seq, drop }));
        if self.all_answered() {
            self.finish(out);
        }
    }

    fn finish(&mut self, out: &mut Vec<AppOut>) {
        self.done = true;
        self.next_send = None;
        self.deadline = None;
        let (min, max) = (
            self.rtts.iter().min().copied().unwrap_or_default(),
            self.rtts.iter().max().copied().unwrap_or_default(),
        );
        let avg = if self.rtts.is_empty() {
            Duration::ZERO
        } else {
            Duration::from_nanos(
                self.rtts.iter().map(|d| d.as_nanos()).sum::<u64>() / self.rtts.len() as u64,
            )
        };
        out.push(AppOut::Event(AppEvent::PingDone {
            transmitted: self.stats.transmitted as u32,
            received: self.stats.received as u32,
            errors: self.stats.errors as u32,
            min,
            avg,
            max,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(n)
    }

    fn sends(out: &[AppOut]) -> Vec<u16> {
        out.iter()
            .filter_map(|o| match o {
                AppOut::SendEcho { seq, .. } => Some(*seq),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sends_count_requests_one_interval_apart() {
        let mut p = Ping::new(
            PingConfig {
                count: 3,
                ..PingConfig::new(Ipv4Addr::new(10, 0, 0, 2))
            },
            7,
            ms(0),
        );
        let mut out = vec![];
        for t in [0, 1000, 2000] {
            assert_eq!(p.poll_at(), Some(ms(t)));
            p.on_timer(ms(t), &mut out);
        }
        assert_eq!(sends(&out), [1, 2, 3]);
        assert_eq!(p.poll_at(), Some(ms(12_000)), "then lingers 10 s");
    }

    #[test]
    fn replies_give_rtts_and_the_last_one_ends_the_ping() {
        let mut p = Ping::new(
            PingConfig {
                count: 2,
                ..PingConfig::new(Ipv4Addr::new(10, 0, 0, 2))
            },
            7,
            ms(0),
        );
        let mut out = vec![];
        p.on_timer(ms(0), &mut out);
        p.on_reply(ms(3), Ipv4Addr::new(10, 0, 0, 2), 1, 64, 64, &mut out);
        p.on_timer(ms(1000), &mut out);
        p.on_reply(ms(1005), Ipv4Addr::new(10, 0, 0, 2), 2, 64, 64, &mut out);
        assert!(p.is_done());
        let done = out.iter().find_map(|o| match o {
            AppOut::Event(AppEvent::PingDone {
                received,
                min,
                max,
                avg,
                ..
            }) => Some((*received, *min, *max, *avg)),
            _ => None,
        });
        assert_eq!(
            done,
            Some((
                2,
                Duration::from_millis(3),
                Duration::from_millis(5),
                Duration::from_millis(4)
            ))
        );
        assert_eq!(p.counter("loss_percent"), Some(0));
    }

    #[test]
    fn errors_and_silence_count_as_loss() {
        let mut p = Ping::new(
            PingConfig {
                count: 2,
                ..PingConfig::new(Ipv4Addr::new(10, 0, 0, 9))
            },
            1,
            ms(0),
        );
        let mut out = vec![];
        p.on_timer(ms(0), &mut out);
        p.on_timer(ms(1000), &mut out);
        p.on_error(
            Ipv4Addr::new(10, 0, 0, 1),
            1,
            IcmpKind::Unreachable(crate::icmp::DestUnreachableCode::HostUnreachable),
            &mut out,
        );
        assert!(!p.is_done());
        p.on_timer(ms(11_000), &mut out);
        assert!(p.is_done());
        assert_eq!(p.stats.errors, 1);
        assert_eq!(p.counter("loss_percent"), Some(100));
    }

    #[test]
    fn duplicate_and_unknown_replies_are_not_counted_as_received() {
        let mut p = Ping::new(
            PingConfig {
                count: 2,
                ..PingConfig::new(Ipv4Addr::new(10, 0, 0, 2))
            },
            7,
            ms(0),
        );
        let mut out = vec![];
        p.on_timer(ms(0), &mut out);
        p.on_reply(ms(1), Ipv4Addr::new(10, 0, 0, 2), 1, 64, 64, &mut out);
        p.on_reply(ms(2), Ipv4Addr::new(10, 0, 0, 2), 1, 64, 64, &mut out);
        p.on_reply(ms(2), Ipv4Addr::new(10, 0, 0, 2), 9, 64, 64, &mut out);
        assert_eq!(p.stats.received, 1);
        assert_eq!(p.stats.duplicates, 1);
    }
}
