//! `traceroute`: UDP probes with growing TTL; each router where the TTL runs out answers with
//! ICMP time exceeded, and the destination answers with port unreachable.
//!
//! Like Linux's traceroute: UDP to ports 33434 and up, 3 probes per hop, 30 hops at most,
//! 60-byte packets. Probes go one at a time (Linux overlaps up to 16), each waiting up to
//! `wait` for an answer before it counts as `*`.

use super::AppOut;
use crate::time::{Duration, Instant};
use crate::trace::{AppEvent, IcmpKind};
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracerouteConfig {
    pub dst: Ipv4Addr,
    /// Largest TTL tried (`-m`, default 30).
    pub max_hops: u8,
    /// Probes per hop (`-q`, default 3).
    pub probes: u8,
    /// How long to wait for each probe's answer (`-w`, default 5 s).
    pub wait: Duration,
    /// Destination port of the first probe (`-p`, default 33434), one more for each probe.
    pub first_port: u16,
    /// Length of each probe's IP packet (default 60).
    pub packet_len: u16,
}

impl TracerouteConfig {
    pub fn new(dst: Ipv4Addr) -> Self {
        TracerouteConfig {
            dst,
            max_hops: 30,
            probes: 3,
            wait: Duration::from_secs(5),
            first_port: 33434,
            packet_len: 60,
        }
    }
}

crate::counters! {
    /// What a traceroute saw.
    pub struct TracerouteStats {
        /// Probes sent.
        probes,
        /// Probes that drew an answer.
        answered,
        /// Hops tried (TTLs used).
        hops,
        /// 1 if the destination answered.
        reached,
    }
}

#[derive(Clone, Debug)]
struct Waiting {
    sent_at: Instant,
    port: u16,
    deadline: Instant,
}

#[derive(Clone, Debug)]
pub struct Traceroute {
    pub config: TracerouteConfig,
    src_port: u16,
    ttl: u8,
    probe: u8,
    next_port: u16,
    waiting: Option<Waiting>,
    start: Option<Instant>,
    reached: bool,
    /// An unreachable answer came: finish this hop's probes and stop.
    last_hop: bool,
    done: bool,
    pub stats: TracerouteStats,
}

impl Traceroute {
    /// A traceroute that starts at `now`; its probes come from UDP port `src_port`.
    pub fn new(config: TracerouteConfig, src_port: u16, now: Instant) -> Self {
        Traceroute {
            next_port: config.first_port,
            config,
            src_port,
            ttl: 1,
            probe: 0,
            waiting: None,
            start: Some(now),
            reached: false,
            last_hop: false,
            done: false,
            stats: TracerouteStats::default(),
        }
    }

    pub fn src_port(&self) -> u16 {
        self.src_port
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn poll_at(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        self.waiting.as_ref().map(|w| w.deadline).or(self.start)
    }

    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<AppOut>) {
        if self.done {
            return;
        }
        if self.start.is_some_and(|t| t <= now) {
            self.start = None;
            out.push(AppOut::Event(AppEvent::TraceStart {
                dst: self.config.dst,
                max_hops: self.config.max_hops,
                size: self.config.packet_len,
            }));
            self.send(now, out);
            return;
        }
        if self.waiting.as_ref().is_some_and(|w| w.deadline <= now) {
            self.waiting = None;
            out.push(AppOut::Event(AppEvent::TraceProbe {
                ttl: self.ttl,
                probe: self.probe,
                from: None,
                rtt: None,
                kind: None,
            }));
            self.advance(now, out);
        }
    }

    fn send(&mut self, now: Instant, out: &mut Vec<AppOut>) {
        let port = self.next_port;
        self.next_port = self.next_port.wrapping_add(1);
        if self.probe == 0 {
            self.stats.hops += 1;
        }
        self.stats.probes += 1;
        self.waiting = Some(Waiting {
            sent_at: now,
            port,
            deadline: now + self.config.wait,
        });
        out.push(AppOut::SendUdp {
            dst: self.config.dst,
            ttl: self.ttl,
            src_port: self.src_port,
            dst_port: port,
            // IP header 20 + UDP header 8 are part of the packet length.
            len: self.config.packet_len.saturating_sub(28),
        });
    }

    fn advance(&mut self, now: Instant, out: &mut Vec<AppOut>) {
        self.probe += 1;
        if self.probe >= self.config.probes {
            if self.last_hop || self.ttl >= self.config.max_hops {
                self.done = true;
                out.push(AppOut::Event(AppEvent::TraceDone {
                    reached: self.reached,
                    hops: self.ttl,
                }));
                return;
            }
            self.ttl += 1;
            self.probe = 0;
        }
        self.send(now, out);
    }

    /// An ICMP error quoting a UDP datagram from our port to `dst_port` arrived from `from`.
    pub fn on_icmp(
        &mut self,
        now: Instant,
        from: Ipv4Addr,
        kind: IcmpKind,
        dst_port: u16,
        out: &mut Vec<AppOut>,
    ) {
        let Some(w) = &self.waiting else { return };
        if w.port != dst_port || self.done {
            return;
        }
        let rtt = now - w.sent_at;
        self.waiting = None;
        self.stats.answered += 1;
        if matches!(kind, IcmpKind::Unreachable(_)) {
            // The destination answered (port unreachable), or a router that cannot go on
            // (net/host unreachable): either way this is the last hop.
            self.last_hop = true;
            if from == self.config.dst {
                self.reached = true;
                self.stats.reached = 1;
            }
        }
        out.push(AppOut::Event(AppEvent::TraceProbe {
            ttl: self.ttl,
            probe: self.probe,
            from: Some(from),
            rtt: Some(rtt),
            kind: Some(kind),
        }));
        self.advance(now, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::icmp::{DestUnreachableCode, TimeExceededCode};

    fn ms(n: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(n)
    }

    fn probes(out: &[AppOut]) -> Vec<(u8, u16)> {
        out.iter()
            .filter_map(|o| match o {
                AppOut::SendUdp { ttl, dst_port, .. } => Some((*ttl, *dst_port)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ttl_grows_after_three_probes_and_stops_at_the_destination() {
        let dst = Ipv4Addr::new(10, 0, 3, 2);
        let r1 = Ipv4Addr::new(10, 0, 1, 254);
        let mut t = Traceroute::new(TracerouteConfig::new(dst), 40000, ms(0));
        let mut out = vec![];
        t.on_timer(ms(0), &mut out);
        for (i, port) in [33434u16, 33435, 33436].iter().enumerate() {
            t.on_icmp(
                ms(i as u64 + 1),
                r1,
                IcmpKind::TimeExceeded(TimeExceededCode::TtlExceeded),
                *port,
                &mut out,
            );
        }
        for port in [33437u16, 33438, 33439] {
            t.on_icmp(
                ms(10),
                dst,
                IcmpKind::Unreachable(DestUnreachableCode::PortUnreachable),
                port,
                &mut out,
            );
        }
        assert_eq!(
            probes(&out),
            [
                (1, 33434),
                (1, 33435),
                (1, 33436),
                (2, 33437),
                (2, 33438),
                (2, 33439)
            ]
        );
        assert!(t.is_done());
        assert_eq!(t.stats.reached, 1);
        assert_eq!(t.stats.hops, 2);
    }

    #[test]
    fn silence_is_a_star_after_the_wait() {
        let mut t = Traceroute::new(
            TracerouteConfig {
                wait: Duration::from_secs(1),
                max_hops: 1,
                probes: 1,
                ..TracerouteConfig::new(Ipv4Addr::new(10, 9, 9, 9))
            },
            40000,
            ms(0),
        );
        let mut out = vec![];
        t.on_timer(ms(0), &mut out);
        assert_eq!(t.poll_at(), Some(ms(1000)));
        t.on_timer(ms(1000), &mut out);
        assert!(out
            .iter()
            .any(|o| matches!(o, AppOut::Event(AppEvent::TraceProbe { from: None, .. }))));
        assert!(t.is_done());
        assert_eq!(t.stats.reached, 0);
    }

    #[test]
    fn answers_for_other_probes_are_ignored() {
        let mut t = Traceroute::new(
            TracerouteConfig::new(Ipv4Addr::new(10, 0, 0, 2)),
            40000,
            ms(0),
        );
        let mut out = vec![];
        t.on_timer(ms(0), &mut out);
        t.on_icmp(
            ms(1),
            Ipv4Addr::new(10, 0, 0, 2),
            IcmpKind::Unreachable(DestUnreachableCode::PortUnreachable),
            1,
            &mut out,
        );
        assert_eq!(t.stats.answered, 0);
    }
}
