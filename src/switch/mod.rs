//! Learning switches (IEEE 802.1D transparent bridging, without spanning tree) and hubs.
//!
//! [`MacTable`] is the sans-IO core: learn a source address on a port, look a destination up,
//! age entries out. [`Switch::on_frame`] turns one received frame into a [`Forwarding`] decision
//! (one port, flood, filter or drop) plus what was learned; the world moves the bytes.

pub mod bpdu;
pub mod stp;

use crate::ethernet::{self, MacAddr};
use crate::time::{Duration, Instant};
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Settings of a switch's MAC table.
#[derive(Clone, Debug, PartialEq)]
pub struct MacTableConfig {
    /// How long an address is remembered after its last frame (802.1D default: 300 s).
    pub aging: Duration,
    /// Most addresses the table holds; beyond that new sources are not learned (and frames to
    /// them are flooded), as a real switch under a MAC flood does.
    pub capacity: usize,
}

impl Default for MacTableConfig {
    fn default() -> Self {
        MacTableConfig {
            aging: Duration::from_secs(300),
            capacity: 8192,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct MacEntry {
    port: u16,
    last_seen: Instant,
}

/// What learning a source address did to the table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Learned {
    /// A new address.
    New,
    /// A known address seen on another port (the host moved, or a loop).
    Moved { from: u16 },
    /// A known address on the same port: its age restarts.
    Refreshed,
    /// Not learned: the table is full.
    TableFull,
    /// Not learned: group addresses are never sources.
    NotUnicast,
}

/// The forwarding table of a learning switch.
#[derive(Clone, Debug, Default)]
pub struct MacTable {
    pub config: MacTableConfig,
    entries: HashMap<MacAddr, MacEntry>,
    /// Candidate expiry times; an entry refreshed since is re-checked, not removed.
    expiries: BinaryHeap<Reverse<(Instant, MacAddr)>>,
}

impl MacTable {
    pub fn new(config: MacTableConfig) -> Self {
        MacTable {
            config,
            ..Default::default()
        }
    }

    fn expiry_of(&self, e: &MacEntry) -> Instant {
        e.last_seen + self.config.aging
    }

    /// Records that `mac` was the source of a frame received on `port` at `now`.
    pub fn learn(&mut self, now: Instant, mac: MacAddr, port: u16) -> Learned {
        if !mac.is_unicast() {
            return Learned::NotUnicast;
        }
        let aging = self.config.aging;
        if let Some(e) = self.entries.get_mut(&mac) {
            let expired = e.last_seen + aging <= now;
            let from = e.port;
            e.last_seen = now;
            e.port = port;
            return if from != port {
                Learned::Moved { from }
            } else if expired {
                // Not yet swept, but already forgotten as far as forwarding is concerned.
                Learned::New
            } else {
                Learned::Refreshed
            };
        }
        if self.entries.len() >= self.config.capacity {
            return Learned::TableFull;
        }
        self.entries.insert(
            mac,
            MacEntry {
                port,
                last_seen: now,
            },
        );
        self.expiries.push(Reverse((now + aging, mac)));
        Learned::New
    }

    /// The port where `mac` was last seen, unless that was longer ago than the aging time.
    pub fn lookup(&self, now: Instant, mac: MacAddr) -> Option<u16> {
        let e = self.entries.get(&mac)?;
        (self.expiry_of(e) > now).then_some(e.port)
    }

    /// When the next entry may age out.
    pub fn poll_at(&self) -> Option<Instant> {
        self.expiries.peek().map(|Reverse((t, _))| *t)
    }

    /// Removes entries whose age has passed at `now`, reporting each as `(mac, port)`.
    pub fn expire(&mut self, now: Instant, aged: &mut Vec<(MacAddr, u16)>) {
        while let Some(&Reverse((t, mac))) = self.expiries.peek() {
            if t > now {
                break;
            }
            self.expiries.pop();
            let Some(e) = self.entries.get(&mac).copied() else {
                continue;
            };
            let real = self.expiry_of(&e);
            if real <= now {
                self.entries.remove(&mac);
                aged.push((mac, e.port));
            } else {
                self.expiries.push(Reverse((real, mac)));
            }
        }
    }

    /// Forgets everything (e.g. when a port's link goes down, as 802.1D does for that port).
    pub fn flush_port(&mut self, port: u16) {
        self.entries.retain(|_, e| e.port != port);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Live entries `(mac, port, age)` sorted by port then address, for `show mac` views and
    /// expectations (sorted so output never depends on hash order).
    pub fn entries(&self, now: Instant) -> Vec<(MacAddr, u16, Duration)> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, e)| self.expiry_of(e) > now)
            .map(|(m, e)| (*m, e.port, now - e.last_seen))
            .collect();
        v.sort_by_key(|(m, p, _)| (*p, *m));
        v
    }
}

/// Where a switch sends a frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Forwarding {
    /// Known unicast destination on another port.
    Unicast(u16),
    /// Broadcast, multicast or unknown unicast: every port but the ingress.
    Flood { unknown_unicast: bool },
    /// The destination is on the port the frame came from: nothing to do.
    Filter,
    /// Damaged frame (store-and-forward switches check the FCS before forwarding).
    Drop(ethernet::FrameError),
}

crate::counters! {
    /// Counters of a switch, always kept.
    pub struct SwitchCounters {
        /// Frames received on any port.
        rx_frames,
        /// Frames sent to the one port where their destination is.
        forwarded,
        /// Frames sent to every port but the ingress (broadcast or unknown destination).
        flooded,
        /// Frames whose destination is on the port they came from.
        filtered,
        /// Damaged frames dropped.
        fcs_errors,
        /// Addresses learned.
        learned,
        /// Addresses seen on a different port than before.
        moved,
        /// Addresses forgotten after the aging time.
        aged_out,
        /// Sources not learned because the table was full.
        table_full,
    }
}

/// A store-and-forward learning switch with `ports` ports. Ports are indexed from 0 here; views
/// and scenario files number them from 1, as on a real switch's front panel.
#[derive(Clone, Debug)]
pub struct Switch {
    pub ports: u16,
    pub table: MacTable,
    pub counters: SwitchCounters,
}

impl Switch {
    pub fn new(ports: u16, config: MacTableConfig) -> Self {
        Switch {
            ports,
            table: MacTable::new(config),
            counters: SwitchCounters::default(),
        }
    }

    /// Decides what to do with `frame` received on `in_port` at `now`, learning its source.
    pub fn on_frame(&mut self, now: Instant, in_port: u16, frame: &[u8]) -> (Forwarding, Learned) {
        self.counters.rx_frames += 1;
        if let Err(e) = ethernet::check_fcs(frame) {
            self.counters.fcs_errors += 1;
            return (Forwarding::Drop(e), Learned::NotUnicast);
        }
        // check_fcs guarantees a header is present.
        let (Some(src), Some(dst)) = (ethernet::src_of(frame), ethernet::dst_of(frame)) else {
            return (
                Forwarding::Drop(ethernet::FrameError::Runt { len: frame.len() }),
                Learned::NotUnicast,
            );
        };
        let learned = self.table.learn(now, src, in_port);
        match learned {
            Learned::New => self.counters.learned += 1,
            Learned::Moved { .. } => self.counters.moved += 1,
            Learned::TableFull => self.counters.table_full += 1,
            Learned::Refreshed | Learned::NotUnicast => {}
        }
        let fwd = if !dst.is_unicast() {
            Forwarding::Flood {
                unknown_unicast: false,
            }
        } else {
            match self.table.lookup(now, dst) {
                Some(p) if p == in_port => Forwarding::Filter,
                Some(p) => Forwarding::Unicast(p),
                None => Forwarding::Flood {
                    unknown_unicast: true,
                },
            }
        };
        match fwd {
            Forwarding::Unicast(_) => self.counters.forwarded += 1,
            Forwarding::Flood { .. } => self.counters.flooded += 1,
            Forwarding::Filter => self.counters.filtered += 1,
            Forwarding::Drop(_) => {}
        }
        (fwd, learned)
    }

    /// Ages out entries at `now`.
    pub fn on_timer(&mut self, now: Instant, aged: &mut Vec<(MacAddr, u16)>) {
        let before = aged.len();
        self.table.expire(now, aged);
        self.counters.aged_out += (aged.len() - before) as u64;
    }
}

/// A hub: a multiport repeater. It repeats every bit it receives to every other port, damaged
/// frames included, and learns nothing: the contrast that shows what a switch is for.
#[derive(Clone, Debug, Default)]
pub struct Hub {
    pub ports: u16,
    pub repeated: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ethernet::{default_mac, frame_with_payload, EthernetRepr};

    fn t(ms: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(ms)
    }

    fn frame(src: u32, dst: MacAddr) -> Vec<u8> {
        frame_with_payload(
            &EthernetRepr {
                src: default_mac(src),
                dst,
                ethertype: ethernet::ethertype::EXPERIMENTAL,
            },
            b"x",
        )
        .to_vec()
    }

    #[test]
    fn learns_source_and_forwards_known_unicast_to_one_port() {
        let mut sw = Switch::new(4, MacTableConfig::default());
        let (fwd, learned) = sw.on_frame(t(0), 1, &frame(1, default_mac(2)));
        assert_eq!(learned, Learned::New);
        assert_eq!(
            fwd,
            Forwarding::Flood {
                unknown_unicast: true
            }
        );
        let (fwd, _) = sw.on_frame(t(1), 2, &frame(2, default_mac(1)));
        assert_eq!(fwd, Forwarding::Unicast(1));
        let (fwd, learned) = sw.on_frame(t(2), 1, &frame(1, default_mac(2)));
        assert_eq!(fwd, Forwarding::Unicast(2));
        assert_eq!(learned, Learned::Refreshed);
        assert_eq!(sw.counters.flooded, 1);
        assert_eq!(sw.counters.forwarded, 2);
    }

    #[test]
    fn broadcast_is_always_flooded() {
        let mut sw = Switch::new(4, MacTableConfig::default());
        let (fwd, _) = sw.on_frame(t(0), 3, &frame(1, MacAddr::broadcast()));
        assert_eq!(
            fwd,
            Forwarding::Flood {
                unknown_unicast: false
            }
        );
    }

    #[test]
    fn destination_on_the_ingress_port_is_filtered() {
        let mut sw = Switch::new(4, MacTableConfig::default());
        sw.on_frame(t(0), 1, &frame(1, MacAddr::broadcast()));
        let (fwd, _) = sw.on_frame(t(1), 1, &frame(2, default_mac(1)));
        assert_eq!(fwd, Forwarding::Filter);
    }

    #[test]
    fn bad_fcs_is_dropped_and_not_learned() {
        let mut sw = Switch::new(4, MacTableConfig::default());
        let mut f = frame(1, MacAddr::broadcast());
        f[20] ^= 0x10;
        let (fwd, _) = sw.on_frame(t(0), 1, &f);
        assert!(matches!(
            fwd,
            Forwarding::Drop(ethernet::FrameError::BadFcs { .. })
        ));
        assert!(sw.table.is_empty());
        assert_eq!(sw.counters.fcs_errors, 1);
    }

    #[test]
    fn entries_age_out_after_the_aging_time() {
        let cfg = MacTableConfig {
            aging: Duration::from_secs(300),
            capacity: 10,
        };
        let mut table = MacTable::new(cfg);
        let a = default_mac(1);
        table.learn(t(0), a, 1);
        assert_eq!(table.poll_at(), Some(t(300_000)));
        // Refreshed at 100 s: the first deadline passes without removing it.
        table.learn(t(100_000), a, 1);
        let mut aged = vec![];
        table.expire(t(300_000), &mut aged);
        assert!(aged.is_empty());
        assert_eq!(table.lookup(t(300_000), a), Some(1));
        assert_eq!(table.poll_at(), Some(t(400_000)));
        table.expire(t(400_000), &mut aged);
        assert_eq!(aged, vec![(a, 1)]);
        assert_eq!(table.lookup(t(400_000), a), None);
        assert!(table.is_empty());
    }

    #[test]
    fn lookup_ignores_an_entry_past_its_age_even_before_the_sweep() {
        let mut table = MacTable::new(MacTableConfig {
            aging: Duration::from_secs(1),
            capacity: 10,
        });
        table.learn(t(0), default_mac(1), 4);
        assert_eq!(table.lookup(t(999), default_mac(1)), Some(4));
        assert_eq!(table.lookup(t(1000), default_mac(1)), None);
    }

    #[test]
    fn a_moved_host_is_relearned_on_its_new_port() {
        let mut table = MacTable::new(MacTableConfig::default());
        table.learn(t(0), default_mac(1), 1);
        assert_eq!(
            table.learn(t(1), default_mac(1), 3),
            Learned::Moved { from: 1 }
        );
        assert_eq!(table.lookup(t(2), default_mac(1)), Some(3));
    }

    #[test]
    fn a_full_table_learns_nothing_more() {
        let mut table = MacTable::new(MacTableConfig {
            aging: Duration::from_secs(300),
            capacity: 2,
        });
        assert_eq!(table.learn(t(0), default_mac(1), 1), Learned::New);
        assert_eq!(table.learn(t(0), default_mac(2), 2), Learned::New);
        assert_eq!(table.learn(t(0), default_mac(3), 3), Learned::TableFull);
        assert_eq!(table.lookup(t(1), default_mac(3)), None);
    }

    #[test]
    fn group_addresses_are_never_learned() {
        let mut table = MacTable::new(MacTableConfig::default());
        assert_eq!(
            table.learn(t(0), MacAddr::broadcast(), 1),
            Learned::NotUnicast
        );
        assert!(table.is_empty());
    }

    #[test]
    fn entries_are_listed_in_a_stable_order() {
        let mut table = MacTable::new(MacTableConfig::default());
        table.learn(t(0), default_mac(9), 2);
        table.learn(t(0), default_mac(3), 1);
        table.learn(t(0), default_mac(1), 2);
        let ports: Vec<_> = table
            .entries(t(1))
            .iter()
            .map(|(m, p, _)| (*p, *m))
            .collect();
        assert_eq!(
            ports,
            vec![
                (1, default_mac(3)),
                (2, default_mac(1)),
                (2, default_mac(9))
            ]
        );
    }
}
