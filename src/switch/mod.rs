//! Learning switches (IEEE 802.1D transparent bridging, with or without spanning tree) and hubs.
//!
//! [`MacTable`] is the sans-IO core: learn a source address on a port, look a destination up,
//! age entries out. [`Switch::on_frame`] turns one received frame into a [`Forwarding`] decision
//! (one port, flood, filter or drop) plus what was learned; the world moves the bytes. A switch
//! running spanning tree ([`stp::Stp`]) also takes BPDUs in, sends its own, and forwards and
//! learns only on ports whose state allows it.

pub mod bpdu;
pub mod stp;

use crate::ethernet::{self, MacAddr};
use crate::time::{Duration, Instant};
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The VLAN of every frame on a switch without VLANs, and of ports not given one (802.1Q's
/// default PVID).
pub const DEFAULT_VLAN: u16 = 1;

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
    /// Keyed by VLAN and address: each VLAN learns on its own (IEEE 802.1Q independent VLAN
    /// learning); a switch without VLANs has everything in VLAN 1.
    entries: HashMap<(u16, MacAddr), MacEntry>,
    /// Candidate expiry times; an entry refreshed since is re-checked, not removed.
    expiries: BinaryHeap<Reverse<(Instant, (u16, MacAddr))>>,
    /// The aging time during a spanning tree topology change.
    short_aging: Option<Duration>,
}

impl MacTable {
    pub fn new(config: MacTableConfig) -> Self {
        MacTable {
            config,
            ..Default::default()
        }
    }

    fn aging(&self) -> Duration {
        self.short_aging.unwrap_or(self.config.aging)
    }

    fn expiry_of(&self, e: &MacEntry) -> Instant {
        e.last_seen + self.aging()
    }

    /// Ages entries out after `short` instead of the configured time while a topology change
    /// lasts (802.1D-1998 8.3.5: the forward delay), and back with `None`.
    pub fn set_short_aging(&mut self, short: Option<Duration>) {
        self.short_aging = short;
        if let Some(d) = short {
            // Entries now expire earlier than their queued deadlines: queue the new ones.
            let soon: Vec<_> = self
                .entries
                .iter()
                .map(|(m, e)| (e.last_seen + d, *m))
                .collect();
            for x in soon {
                self.expiries.push(Reverse(x));
            }
        }
    }

    /// Records that `mac` was the source of a frame received on `port` at `now`.
    pub fn learn(&mut self, now: Instant, mac: MacAddr, port: u16) -> Learned {
        self.learn_in(now, DEFAULT_VLAN, mac, port)
    }

    /// Records that `mac` was the source of a frame of VLAN `vlan` received on `port`.
    pub fn learn_in(&mut self, now: Instant, vlan: u16, mac: MacAddr, port: u16) -> Learned {
        let mac = (vlan, mac);
        if !mac.1.is_unicast() {
            return Learned::NotUnicast;
        }
        let aging = self.aging();
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
        self.lookup_in(now, DEFAULT_VLAN, mac)
    }

    /// The port where `mac` was last seen, in whichever VLAN (the lowest, if several): what a
    /// check of the table by address asks.
    pub fn lookup_any(&self, now: Instant, mac: MacAddr) -> Option<u16> {
        self.entries
            .iter()
            .filter(|((_, m), e)| *m == mac && self.expiry_of(e) > now)
            .min_by_key(|((v, _), _)| *v)
            .map(|(_, e)| e.port)
    }

    /// The port where `mac` was last seen in VLAN `vlan`.
    pub fn lookup_in(&self, now: Instant, vlan: u16, mac: MacAddr) -> Option<u16> {
        let e = self.entries.get(&(vlan, mac))?;
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
                aged.push((mac.1, e.port));
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
        self.entries_by_vlan(now)
            .into_iter()
            .map(|(_, m, p, age)| (m, p, age))
            .collect()
    }

    /// Live entries `(vlan, mac, port, age)` sorted by port, address, VLAN.
    pub fn entries_by_vlan(&self, now: Instant) -> Vec<(u16, MacAddr, u16, Duration)> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, e)| self.expiry_of(e) > now)
            .map(|((vl, m), e)| (*vl, *m, e.port, now - e.last_seen))
            .collect();
        v.sort_by_key(|(vl, m, p, _)| (*p, *m, *vl));
        v
    }
}

/// A switch port's place in the VLANs (IEEE 802.1Q).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortVlan {
    /// Untagged frames of one VLAN (a host's port); tagged frames are refused.
    Access(u16),
    /// Tagged frames of these VLANs (a cable to another switch or a router's sub-interfaces);
    /// untagged frames are refused (no native VLAN).
    Trunk(Vec<u16>),
}

/// The copies of one frame a switch with VLANs sends: as received, tagged, untagged, each made
/// at most once however many ports it floods to.
pub struct VlanCopies {
    vlan: u16,
    frame: ethernet::Frame,
    tagged: Option<ethernet::Frame>,
    untagged: Option<ethernet::Frame>,
}

impl VlanCopies {
    pub fn new(frame: ethernet::Frame, vlan: u16) -> Self {
        VlanCopies {
            vlan,
            frame,
            tagged: None,
            untagged: None,
        }
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
    /// A spanning tree BPDU: taken in by the switch's STP, never forwarded.
    Bpdu,
    /// Not forwarded because of a port's spanning tree state: the ingress port is not
    /// forwarding (blocking, listening, learning), or the one egress port is not.
    Discard { port: u16, state: stp::PortState },
    /// Refused by the ingress port's VLAN setting: a tagged frame on an access port, an
    /// untagged one or one of another VLAN on a trunk (`vlan`: the frame's tag).
    WrongVlan { vlan: Option<u16> },
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
        /// Spanning tree BPDUs received (switches running STP).
        bpdu_rx,
        /// Spanning tree BPDUs sent.
        bpdu_tx,
        /// Frames not forwarded because of a port's spanning tree state.
        stp_discarded,
        /// Frames refused by their ingress port's VLAN setting.
        vlan_refused,
    }
}

/// A store-and-forward learning switch with `ports` ports. Ports are indexed from 0 here; views
/// and scenario files number them from 1, as on a real switch's front panel.
#[derive(Clone, Debug)]
pub struct Switch {
    pub ports: u16,
    pub table: MacTable,
    pub counters: SwitchCounters,
    /// The spanning tree protocol, when the switch runs it.
    pub stp: Option<Box<stp::Stp>>,
    /// What the spanning tree asked for since the world last took it.
    stp_out: Vec<stp::StpOutput>,
    /// Each port's VLAN setting, when the switch has VLANs (IEEE 802.1Q).
    pub vlans: Option<Vec<PortVlan>>,
}

impl Switch {
    pub fn new(ports: u16, config: MacTableConfig) -> Self {
        Switch {
            ports,
            table: MacTable::new(config),
            counters: SwitchCounters::default(),
            stp: None,
            stp_out: Vec::new(),
            vlans: None,
        }
    }

    /// Gives the ports VLAN settings (ports past the list's end are in VLAN 1).
    pub fn with_vlans(mut self, mut vlans: Vec<PortVlan>) -> Self {
        vlans.resize(self.ports as usize, PortVlan::Access(DEFAULT_VLAN));
        self.vlans = Some(vlans);
        self
    }

    /// The VLAN of a frame received on `port`, or why the port refuses it.
    pub fn ingress_vlan(&self, port: u16, frame: &[u8]) -> Result<u16, Option<u16>> {
        let Some(vlans) = &self.vlans else {
            return Ok(DEFAULT_VLAN);
        };
        let tag = ethernet::vlan_of(frame);
        match (&vlans[port as usize], tag) {
            (PortVlan::Access(v), None) => Ok(*v),
            (PortVlan::Trunk(list), Some(t)) if list.contains(&t) => Ok(t),
            _ => Err(tag),
        }
    }

    /// The frame to send out of `port`, if the port is in the frame's VLAN: untagged on an
    /// access port, tagged on a trunk. Without VLANs, the frame as received.
    pub fn egress(&self, port: u16, c: &mut VlanCopies) -> Option<ethernet::Frame> {
        let Some(vlans) = &self.vlans else {
            return Some(c.frame.clone());
        };
        match &vlans[port as usize] {
            PortVlan::Access(v) if *v == c.vlan => Some(
                c.untagged
                    .get_or_insert_with(|| ethernet::untag(&c.frame))
                    .clone(),
            ),
            PortVlan::Trunk(list) if list.contains(&c.vlan) => Some(
                c.tagged
                    .get_or_insert_with(|| ethernet::tag(&ethernet::untag(&c.frame), c.vlan))
                    .clone(),
            ),
            _ => None,
        }
    }

    /// Turns spanning tree on (at the start of a run).
    pub fn with_stp(mut self, stp: stp::Stp) -> Self {
        self.stp = Some(Box::new(stp));
        self.collect_stp();
        self
    }

    /// Whether frames may leave by `port`: always without spanning tree, only from a
    /// forwarding port with it.
    pub fn forwards_to(&self, port: u16) -> bool {
        self.stp
            .as_ref()
            .is_none_or(|s| s.port_state(port) == stp::PortState::Forwarding)
    }

    /// The next deadline: MAC aging, spanning tree timers.
    pub fn poll_at(&self) -> Option<Instant> {
        let stp = self.stp.as_ref().and_then(|s| s.poll_at());
        match (self.table.poll_at(), stp) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes the spanning tree's outputs (BPDUs to send, port changes, topology changes; the
    /// last already applied to the MAC table), in order.
    pub fn take_stp_output(&mut self, into: &mut Vec<stp::StpOutput>) {
        into.append(&mut self.stp_out);
    }

    /// The frame carrying a BPDU this switch sends.
    pub fn bpdu_frame(&mut self, bpdu: &bpdu::Bpdu) -> Option<ethernet::Frame> {
        let mac = self.stp.as_ref()?.config.mac;
        self.counters.bpdu_tx += 1;
        Some(bpdu::frame(mac, bpdu))
    }

    /// Moves the spanning tree's new outputs to `stp_out`, acting on those that concern the
    /// MAC table: a topology change shortens aging to the forward delay (802.1D-1998 8.3.5),
    /// a disabled port's entries are removed.
    fn collect_stp(&mut self) {
        let Some(stp) = &mut self.stp else { return };
        let start = self.stp_out.len();
        stp.take_output(&mut self.stp_out);
        let fd = stp.timers().2;
        for o in &self.stp_out[start..] {
            match o {
                stp::StpOutput::TopologyChange(on) => {
                    self.table.set_short_aging(on.then_some(fd));
                }
                stp::StpOutput::Port {
                    port,
                    state: stp::PortState::Disabled,
                    ..
                } => self.table.flush_port(*port),
                _ => {}
            }
        }
    }

    /// The link of `port` went up or down.
    pub fn on_link(&mut self, now: Instant, port: u16, up: bool) {
        if let Some(stp) = &mut self.stp {
            if up {
                stp.link_up(now, port);
            } else {
                stp.link_down(now, port);
            }
            self.collect_stp();
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
        let mut in_state = stp::PortState::Forwarding;
        if let Some(stp) = &mut self.stp {
            if dst == bpdu::GROUP_ADDRESS {
                // 802.1D-1998 7.12.6: frames to the bridge group address are never relayed.
                self.counters.bpdu_rx += 1;
                if let Some(Ok(b)) = bpdu::of_frame(frame) {
                    stp.on_bpdu(now, in_port, &b);
                }
                self.collect_stp();
                return (Forwarding::Bpdu, Learned::NotUnicast);
            }
            in_state = stp.port_state(in_port);
            if !in_state.learns() {
                self.counters.stp_discarded += 1;
                let d = Forwarding::Discard {
                    port: in_port,
                    state: in_state,
                };
                return (d, Learned::NotUnicast);
            }
        }
        let vlan = match self.ingress_vlan(in_port, frame) {
            Ok(v) => v,
            Err(tag) => {
                self.counters.vlan_refused += 1;
                return (Forwarding::WrongVlan { vlan: tag }, Learned::NotUnicast);
            }
        };
        let learned = self.table.learn_in(now, vlan, src, in_port);
        match learned {
            Learned::New => self.counters.learned += 1,
            Learned::Moved { .. } => self.counters.moved += 1,
            Learned::TableFull => self.counters.table_full += 1,
            Learned::Refreshed | Learned::NotUnicast => {}
        }
        let fwd = if in_state != stp::PortState::Forwarding {
            // Learning: the source is learned, the frame goes no further (8.4.3).
            Forwarding::Discard {
                port: in_port,
                state: in_state,
            }
        } else if !dst.is_unicast() {
            Forwarding::Flood {
                unknown_unicast: false,
            }
        } else {
            match self.table.lookup_in(now, vlan, dst) {
                Some(p) if p == in_port => Forwarding::Filter,
                Some(p) if !self.forwards_to(p) => Forwarding::Discard {
                    port: p,
                    state: self
                        .stp
                        .as_ref()
                        .map_or(stp::PortState::Forwarding, |s| s.port_state(p)),
                },
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
            Forwarding::Discard { .. } => self.counters.stp_discarded += 1,
            Forwarding::Drop(_) | Forwarding::Bpdu | Forwarding::WrongVlan { .. } => {}
        }
        (fwd, learned)
    }

    /// Runs the spanning tree's timers and ages out entries at `now`.
    pub fn on_timer(&mut self, now: Instant, aged: &mut Vec<(MacAddr, u16)>) {
        if let Some(stp) = &mut self.stp {
            stp.on_timer(now);
            self.collect_stp();
        }
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
    /// Half duplex: its cables are one collision domain, this medium of the world's
    /// (`sim::medium`); `None`: every cable is full duplex and nothing collides.
    pub medium: Option<u32>,
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
    fn vlans_refuse_wrong_frames_learn_apart_and_tag_only_on_trunks() {
        let mut sw = Switch::new(4, MacTableConfig::default()).with_vlans(vec![
            PortVlan::Access(10),
            PortVlan::Access(20),
            PortVlan::Trunk(vec![10, 20]),
        ]);
        let untagged = frame(1, MacAddr::broadcast());
        let tagged10 = ethernet::tag(&untagged, 10);
        let tagged30 = ethernet::tag(&untagged, 30);
        assert_eq!(sw.ingress_vlan(0, &untagged), Ok(10));
        assert_eq!(
            sw.ingress_vlan(0, &tagged10),
            Err(Some(10)),
            "tag on access port"
        );
        assert_eq!(sw.ingress_vlan(2, &tagged10), Ok(10));
        assert_eq!(sw.ingress_vlan(2, &untagged), Err(None), "no native VLAN");
        assert_eq!(sw.ingress_vlan(2, &tagged30), Err(Some(30)));
        assert_eq!(
            sw.ingress_vlan(3, &untagged),
            Ok(DEFAULT_VLAN),
            "unlisted port: VLAN 1"
        );
        let (fwd, _) = sw.on_frame(t(0), 2, &tagged30);
        assert_eq!(fwd, Forwarding::WrongVlan { vlan: Some(30) });
        assert_eq!(sw.counters.vlan_refused, 1);
        // The same address in two VLANs is two entries.
        sw.on_frame(t(1), 0, &untagged);
        sw.on_frame(t(2), 2, &ethernet::tag(&untagged, 20));
        assert_eq!(sw.table.lookup_in(t(3), 10, default_mac(1)), Some(0));
        assert_eq!(sw.table.lookup_in(t(3), 20, default_mac(1)), Some(2));
        // A VLAN 10 broadcast leaves port 1 untagged, the trunk tagged, never port 2.
        let mut c = VlanCopies::new(untagged.clone().into(), 10);
        assert_eq!(sw.egress(1, &mut c), None);
        assert_eq!(sw.egress(0, &mut c).as_deref(), Some(&untagged[..]));
        let on_trunk = sw.egress(2, &mut c).unwrap();
        assert_eq!(ethernet::vlan_of(&on_trunk), Some(10));
        assert_eq!(&on_trunk[..], &tagged10[..]);
        // Coming from the trunk, it is untagged again for the access port.
        let mut c = VlanCopies::new(tagged10.clone(), 10);
        assert_eq!(sw.egress(0, &mut c).as_deref(), Some(&untagged[..]));
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
