//! `netlab bench`: how fast the simulator runs, in simulated work per wall-clock second.
//!
//! Each case builds its network directly (no scenario file, no trace: nobody listens, so no
//! records are made), runs it, and reports frames and events per wall second. The wall clock is
//! read only here, around a whole run; nothing inside a simulation depends on it.

use crate::ethernet::{self, EthernetRepr};
use crate::host::{Host, Interface};
use crate::phy::{Bandwidth, LinkConfig};
use crate::sim::{NodeId, NodeKind, StepKind, World};
use crate::switch::{MacTableConfig, Switch};
use crate::time::{Duration, Instant};
use crate::trace::Trace;

/// The measurements of one case.
#[derive(Clone, Debug)]
pub struct BenchResult {
    pub name: String,
    pub frames: u64,
    pub events: u64,
    pub wall: std::time::Duration,
    pub sim_time: Instant,
}

impl BenchResult {
    pub fn frames_per_sec(&self) -> f64 {
        self.frames as f64 / self.wall.as_secs_f64()
    }
    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }
}

fn host(mac_serial: u32) -> NodeKind {
    NodeKind::Host(Box::new(Host::new(
        vec![Interface::new("eth0", ethernet::default_mac(mac_serial))],
        false,
    )))
}

/// `frames` raw frames with `payload` bytes each from one host through a learning switch to
/// another, back to back at line rate (1 Gbps links, 1 µs, as ns-3's CSMA anchor).
pub fn switched_frames(frames: u64, payload: usize) -> BenchResult {
    let mut w = World::new(Trace::off());
    w.limits.max_events = u64::MAX;
    let a = w.add_node("a", host(1), 1);
    let b = w.add_node("b", host(2), 1);
    let sw = w.add_node(
        "sw",
        NodeKind::Switch(Switch::new(2, MacTableConfig::default())),
        2,
    );
    let cfg = LinkConfig {
        bandwidth: Bandwidth::from_bps(1_000_000_000),
        delay: Duration::from_micros(1),
        queue_frames: 1_000_000,
        ..LinkConfig::default()
    };
    w.add_link(
        "a--sw",
        (a, 0),
        (sw, 0),
        cfg.clone(),
        crate::rng::stream(1, "link", 0),
    );
    w.add_link(
        "b--sw",
        (b, 0),
        (sw, 1),
        cfg.clone(),
        crate::rng::stream(1, "link", 1),
    );
    let to_b = EthernetRepr {
        dst: ethernet::default_mac(2),
        src: ethernet::default_mac(1),
        ethertype: ethernet::ethertype::EXPERIMENTAL,
    };
    let to_a = EthernetRepr {
        dst: ethernet::default_mac(1),
        src: ethernet::default_mac(2),
        ethertype: ethernet::ethertype::EXPERIMENTAL,
    };
    let data = vec![0x5a; payload];
    // b speaks first so the switch knows where it is; then a sends at line rate.
    let slot = cfg.bandwidth.time_for(8 + (14 + payload).max(60) + 4 + 12);
    w.schedule_script(Instant::ZERO, 0);
    for k in 0..frames {
        w.schedule_script(
            Instant::ZERO + Duration::from_micros(100) + slot.saturating_mul(k),
            1,
        );
    }
    let started = std::time::Instant::now();
    let send = |w: &mut World, from: NodeId, repr: &EthernetRepr| {
        w.with_host(from, |h, io| {
            let f = ethernet::frame_with_payload(repr, &data);
            h.transmit(io, 0, f);
        });
    };
    while let Ok(Some(step)) = w.step() {
        if let StepKind::Script { index } = step.kind {
            if index == 0 {
                send(&mut w, b, &to_a);
            } else {
                send(&mut w, a, &to_b);
            }
        }
    }
    let wall = started.elapsed();
    let frames_on_wire = w.fabric.links.iter().map(|l| l.total(|c| c.frames)).sum();
    let delivered = match &w.node(b).kind {
        NodeKind::Host(h) => h.counters.raw_delivered,
        _ => 0,
    };
    assert_eq!(delivered, frames, "every frame reached b");
    BenchResult {
        name: format!("switched {}-byte frames", (14 + payload).max(60) + 4),
        frames: frames_on_wire,
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
    }
}

/// ns-3's `lan_ping` anchor (../shared/anchors/ns3/src/lan_ping.cc) on netlab: `hosts` hosts,
/// each on its own 1 Gbps, 1 µs cable to one learning switch, all in 10.1.0.0/16. Hosts 1..N-1
/// each ping host 0 once, starting at 1 s, one every 1 ms. Every first ping needs ARP, whose
/// broadcast the switch floods to all ports, so frames grow as N².
pub fn lan_ping(hosts: u32) -> BenchResult {
    use crate::apps::{App, AppKind, Ping, PingConfig};
    use crate::arp::ArpConfig;
    use crate::host::HostConfig;
    use crate::ip::Ipv4Cidr;
    use std::net::Ipv4Addr;

    let mut w = World::new(Trace::off());
    w.limits.max_events = u64::MAX;
    let addr = |i: u32| Ipv4Addr::new(10, 1, (i >> 8) as u8, (i & 0xff) as u8 + 1);
    let sw = w.add_node(
        "sw",
        NodeKind::Switch(Switch::new(hosts as u16, MacTableConfig::default())),
        hosts as u16,
    );
    let cfg = LinkConfig {
        bandwidth: Bandwidth::from_bps(1_000_000_000),
        delay: Duration::from_micros(1),
        ..LinkConfig::default()
    };
    let config = HostConfig {
        arp: ArpConfig {
            trace: false,
            ..ArpConfig::default()
        },
        ..HostConfig::default()
    };
    let mut ids = Vec::new();
    for i in 0..hosts {
        let mut iface = Interface::new("eth0", ethernet::default_mac(i + 1));
        iface.addr = Some(Ipv4Cidr::new(addr(i), 16).expect("valid prefix"));
        let h = Host::with_config(vec![iface], false, config.clone());
        let id = w.add_node(format!("h{i}"), NodeKind::Host(Box::new(h)), 1);
        w.add_link(
            format!("h{i}--sw"),
            (id, 0),
            (sw, i as u16),
            cfg.clone(),
            crate::rng::stream(1, "link", i as u64),
        );
        ids.push(id);
    }
    for i in 1..hosts {
        w.schedule_script(
            Instant::ZERO + Duration::from_secs(1) + Duration::from_millis((i - 1) as u64),
            i,
        );
    }
    let started = std::time::Instant::now();
    while let Ok(Some(step)) = w.step() {
        if let StepKind::Script { index } = step.kind {
            let ping = PingConfig {
                count: 1,
                linger: Duration::from_secs(1),
                ..PingConfig::new(addr(0))
            };
            w.with_host(ids[index as usize], |h, io| {
                let p = Ping::new(ping, 1, io.now);
                h.start_app(
                    io,
                    App {
                        name: "ping".into(),
                        kind: AppKind::Ping(p),
                    },
                );
            });
        }
    }
    let wall = started.elapsed();
    let mut replies = 0;
    for &id in &ids {
        if let NodeKind::Host(h) = &w.node(id).kind {
            replies += h
                .apps
                .iter()
                .filter_map(|a| a.counter("received"))
                .sum::<u64>();
        }
    }
    assert_eq!(replies, hosts as u64 - 1, "every ping is answered");
    BenchResult {
        name: format!("lan-ping {hosts} hosts"),
        frames: w.fabric.links.iter().map(|l| l.total(|c| c.frames)).sum(),
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
    }
}

/// Runs every case (or those whose name contains `only`) and prints a table.
pub fn run_all(quick: bool, only: Option<&str>) {
    let scale = if quick { 20_000 } else { 1_000_000 };
    let lan = if quick { 300 } else { 1000 };
    let all: Vec<(String, Box<dyn Fn() -> BenchResult>)> = vec![
        (
            "switched 64-byte frames".into(),
            Box::new(move || switched_frames(scale, 0)),
        ),
        (
            "switched 1518-byte frames".into(),
            Box::new(move || switched_frames(scale / 4, 1500)),
        ),
        ("lan-ping 100 hosts".into(), Box::new(|| lan_ping(100))),
        (
            format!("lan-ping {lan} hosts"),
            Box::new(move || lan_ping(lan)),
        ),
    ];
    let cases: Vec<BenchResult> = all
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| name.contains(o)))
        .map(|(_, run)| run())
        .collect();
    println!(
        "{:<32} {:>12} {:>12} {:>10} {:>16} {:>16}",
        "case", "frames", "events", "wall s", "frames/wall s", "events/wall s"
    );
    for r in &cases {
        println!(
            "{:<32} {:>12} {:>12} {:>10.3} {:>16.0} {:>16.0}",
            r.name,
            r.frames,
            r.events,
            r.wall.as_secs_f64(),
            r.frames_per_sec(),
            r.events_per_sec()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_ping_answers_every_host() {
        // The assertion inside checks every reply arrived. Frames per ping: the ARP request to
        // the switch and flooded to the 9 other ports (10), the reply (2), echo request and
        // reply (4), and 5 s later host 0's unicast re-probe of the address it learned from
        // the request, with its answer (4), as Linux's DELAY/PROBE states do.
        let r = lan_ping(10);
        assert_eq!(r.frames, 9 * (10 + 2 + 4 + 4));
    }

    #[test]
    fn switched_frames_delivers_everything() {
        let r = switched_frames(100, 0);
        // 100 frames a→sw→b plus b's first frame flooded to a.
        assert_eq!(r.frames, 2 * 100 + 2);
    }
}
