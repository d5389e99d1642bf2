//! `netlab bench`: how fast the simulator runs, in simulated work per wall-clock second.
//!
//! Each case builds its network directly (no scenario file, no trace: nobody listens, so no
//! records are made), runs it, and reports frames and events per wall second. The wall clock is
//! read only here, around a whole run; nothing inside a simulation depends on it.

mod bytes_alone;
pub use bytes_alone::bulk_bytes_alone;

use crate::ethernet::{self, EthernetRepr};
use crate::host::{Host, Interface};
use crate::phy::{Bandwidth, LinkConfig};
use crate::sim::{Next, NodeId, NodeKind, StepKind, World};
use crate::switch::{MacTableConfig, Switch};
use crate::time::{Duration, Instant};
use crate::trace::Trace;

/// The measurements of one case.
#[derive(Clone, Debug, Default)]
pub struct BenchResult {
    pub name: String,
    pub frames: u64,
    pub events: u64,
    pub wall: std::time::Duration,
    pub sim_time: Instant,
    /// Payload bytes delivered (bulk cases).
    pub bytes: u64,
    /// Connections completed (many-connection case).
    pub count: u64,
    /// Sockets alive when the last connection started (many-connection case).
    pub peak_sockets: u64,
    /// Growth of the process's peak resident memory during the case, KiB.
    pub rss_growth_kib: Option<u64>,
    /// The process's peak resident memory right after the case, KiB.
    pub rss_peak_kib: Option<u64>,
    /// Simulated time from the first connection to the last byte (bulk cases), µs.
    pub transfer_us: u64,
    /// Calls answered (the Python bridge case).
    pub calls: u64,
}

impl BenchResult {
    fn with_bytes(mut self, b: u64) -> Self {
        self.bytes = b;
        self
    }

    fn with_transfer(mut self, us: u64) -> Self {
        self.transfer_us = us;
        self
    }

    fn with_count(mut self, c: u64) -> Self {
        self.count = c;
        self
    }

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
    while let Next::Event(step) = w.next(None, None) {
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
        NodeKind::Host(h) => h.counters().raw_delivered,
        _ => 0,
    };
    assert_eq!(delivered, frames, "every frame reached b");
    BenchResult {
        name: format!("switched {}-byte frames", (14 + payload).max(60) + 4),
        frames: frames_on_wire,
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
        ..Default::default()
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
    while let Next::Event(step) = w.next(None, None) {
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
                        kind: AppKind::Ping(Box::new(p)),
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
                .apps()
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
        ..Default::default()
    }
}

/// A host with one interface `addr/prefix`, an optional gateway, and a TCP configured like the
/// ns-3 anchors (1448-byte segments, 128 KiB buffers); no trace.
fn tcp_host(
    serial: u32,
    addr: std::net::Ipv4Addr,
    prefix: u8,
    gateway: Option<std::net::Ipv4Addr>,
) -> Host {
    use crate::arp::ArpConfig;
    use crate::host::HostConfig;
    use crate::ip::{Ipv4Cidr, Route};
    let mut iface = Interface::new("eth0", ethernet::default_mac(serial));
    iface.addr = Some(Ipv4Cidr::new(addr, prefix).expect("valid prefix"));
    let tcp = crate::tcp::TcpConfig {
        mss: 1448,
        send_buffer_size: 128 * 1024,
        recv_buffer_size: 128 * 1024,
        ..Default::default()
    };
    let config = HostConfig {
        arp: ArpConfig {
            trace: false,
            ..ArpConfig::default()
        },
        tcp,
        ..HostConfig::default()
    };
    let mut h = Host::with_config(vec![iface], false, config);
    h.seed(crate::rng::stream(1, "host", serial as u64));
    if let Some(gw) = gateway {
        let _ = h.add_route(Route::default_via(gw, 0));
    }
    h
}

fn start(w: &mut World, node: NodeId, name: &str, app: crate::apps::sock::SocketApp) {
    w.with_host(node, |h, io| {
        h.start_app(
            io,
            crate::apps::App {
                name: name.into(),
                kind: crate::apps::AppKind::Socket(Box::new(app)),
            },
        );
    });
}

fn app_counter(w: &World, node: NodeId, name: &str) -> u64 {
    match &w.node(node).kind {
        NodeKind::Host(h) => h.apps().iter().filter_map(|a| a.counter(name)).sum(),
        _ => 0,
    }
}

/// Socket calls per wall second through the Python bridge: one program on one host sends `n`
/// UDP datagrams to itself over 127.0.0.1 and reads each back (2 calls per round). The wall
/// time includes starting `python3` (tens of milliseconds).
pub fn python_calls(n: u64) -> BenchResult {
    use crate::apps::python::{PythonConfig, PythonProgram};
    use crate::apps::sock::SocketApp;
    let dir = std::env::temp_dir().join(format!("netlab-bench-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    std::fs::write(
        dir.join("calls.py"),
        "import socket, sys\n\
         n = int(sys.argv[1])\n\
         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.bind(('127.0.0.1', 9000))\n\
         for i in range(n):\n    \
             s.sendto(b'x', ('127.0.0.1', 9000))\n    \
             s.recvfrom(100)\n",
    )
    .expect("a temporary file");
    let mut w = World::new(Trace::off());
    w.limits.max_events = u64::MAX;
    let ip = std::net::Ipv4Addr::new(10, 0, 0, 1);
    let a = w.add_node("pc", NodeKind::Host(Box::new(tcp_host(1, ip, 24, None))), 1);
    let config = std::sync::Arc::new(PythonConfig {
        file: "calls.py".into(),
        dir: dir.clone(),
        stdin: String::new(),
        argv: vec![n.to_string()],
        budget_ms: 30_000,
        cost: Duration::from_micros(1),
        max_output: 1 << 20,
        hosts: Default::default(),
    });
    let program = PythonProgram::new(config, "pc".into(), 1);
    let t0 = std::time::Instant::now();
    start(&mut w, a, "calls", SocketApp::Python(Box::new(program)));
    w.run().expect("the program ends");
    let wall = t0.elapsed();
    std::fs::remove_dir_all(&dir).ok();
    let calls = app_counter(&w, a, "calls");
    assert_eq!(app_counter(&w, a, "done"), 1, "the program ended");
    assert_eq!(calls, 2 * n + 2, "every call was answered");
    BenchResult {
        name: format!("python socket calls {}", 2 * n + 2),
        frames: 0,
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
        calls,
        ..Default::default()
    }
}

/// Peak resident memory of this process, from /proc (Linux), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// ns-3's `bulk_tcp` anchor on netlab: two hosts on one 1 Gbps, 1 ms link, one TCP transfer of
/// `bytes` (1448-byte segments, 128 KiB buffers) starting at 0.1 s; with `loss`, each frame
/// on the link is lost with that probability (both directions; ns-3 drops only at the
/// receiver).
pub fn bulk_tcp(bytes: u64, loss: f64) -> BenchResult {
    use crate::apps::sock::{BulkSend, BulkSink, SocketApp};
    use std::net::{Ipv4Addr, SocketAddrV4};
    let mut w = World::new(Trace::off());
    w.limits.max_events = u64::MAX;
    let a_ip = Ipv4Addr::new(10, 0, 0, 1);
    let b_ip = Ipv4Addr::new(10, 0, 0, 2);
    let a = w.add_node(
        "a",
        NodeKind::Host(Box::new(tcp_host(1, a_ip, 24, None))),
        1,
    );
    let b = w.add_node(
        "b",
        NodeKind::Host(Box::new(tcp_host(2, b_ip, 24, None))),
        1,
    );
    let cfg = LinkConfig {
        bandwidth: Bandwidth::from_bps(1_000_000_000),
        delay: Duration::from_millis(1),
        queue_frames: 100,
        loss,
        ..LinkConfig::default()
    };
    w.add_link(
        "a--b",
        (a, 0),
        (b, 0),
        cfg,
        crate::rng::stream(1, "link", 0),
    );
    start(&mut w, b, "sink", SocketApp::BulkSink(BulkSink::new(5001)));
    w.schedule_script(Instant::ZERO + Duration::from_millis(100), 0);
    let started = std::time::Instant::now();
    while let Next::Event(step) = w.next(None, None) {
        if let StepKind::Script { .. } = step.kind {
            start(
                &mut w,
                a,
                "send",
                SocketApp::BulkSend(BulkSend::new(SocketAddrV4::new(b_ip, 5001), bytes)),
            );
        }
    }
    let wall = started.elapsed();
    let received = app_counter(&w, b, "bytes_in");
    assert_eq!(received, bytes, "every byte arrived");
    assert_eq!(app_counter(&w, b, "corrupt_bytes"), 0, "and intact");
    BenchResult {
        name: format!(
            "bulk-tcp {} MB{}",
            bytes / 1_000_000,
            if loss > 0.0 {
                format!(" loss {}%", loss * 100.0)
            } else {
                String::new()
            }
        ),
        frames: w.fabric.links.iter().map(|l| l.total(|c| c.frames)).sum(),
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
        ..Default::default()
    }
    .with_bytes(received)
    .with_transfer(app_counter(&w, b, "transfer_us"))
}

/// The bulk case as a user runs it: a scenario file (the same two hosts, cable and transfer
/// as [`bulk_tcp`]) parsed, validated and run by the path `netlab run --quiet` takes
/// (`scenario::run_streaming` with no view: timeline, expectations, counters, nothing kept),
/// so the two cases side by side show what the scenario path costs. Its hosts have the
/// `linux` profile's autotuned buffers, where `bulk_tcp`'s have 128 KiB.
pub fn bulk_scenario(bytes: u64) -> BenchResult {
    let text = format!(
        "[scenario]\n\
         description = \"bench: {bytes} bytes over one 1 Gbps, 1 ms cable\"\n\
         [[host]]\nname = \"a\"\nip = \"10.0.0.1/24\"\n\
         [[host]]\nname = \"b\"\nip = \"10.0.0.2/24\"\n\
         [[link]]\nbetween = [\"a\", \"b\"]\nbandwidth = \"1Gbps\"\ndelay = \"1ms\"\n\
         [timeline]\nsteps = '''\n\
         0s b bulk-sink port=5001 as=sink\n\
         100ms a bulk-send to=b:5001 bytes={bytes} as=send\n'''\n\
         [expect]\nchecks = '''\n\
         end sink.bytes_in == {bytes}\n\
         end sink.corrupt_bytes == 0\n'''\n"
    );
    let (outcome, result) = run_scenario(
        format!("scenario bulk-tcp {} MB", bytes / 1_000_000),
        "bench.toml",
        &text,
    );
    let w = &outcome.world;
    let b = w.node_id("b").expect("host b");
    result
        .with_bytes(bytes)
        .with_transfer(app_counter(w, b, "transfer_us"))
}

/// `n` hosts on one switch, each pinging its neighbour once at 0 s, as a scenario file: the
/// file `tests/scaling.rs` loads and the `scenario switch-ping` cases run. Every first ping
/// needs ARP, whose broadcast reaches every host, so the frames grow as n² (and at 0 s the
/// floods overflow the switch's queues: most ARP requests are lost, and so are most pings).
pub fn switch_ping_scenario(n: usize) -> String {
    let mut s = String::from(
        "[scenario]\ndescription = \"hosts on one switch, each pinging its neighbour\"\n\
         [[switch]]\nname = \"sw1\"\n",
    );
    for i in 0..n {
        s += &format!(
            "[[host]]\nname = \"h{i}\"\nip = \"10.{}.{}.{}/8\"\n",
            1 + (i >> 16),
            (i >> 8) & 255,
            i & 255
        );
    }
    for i in 0..n {
        s += &format!("[[link]]\nbetween = [\"h{i}\", \"sw1\"]\n");
    }
    s += "[timeline]\nsteps = '''\n";
    for i in 0..n {
        s += &format!("0s h{i} ping h{} count=1\n", (i + 1) % n);
    }
    // (the last generated application name resolves; its ping was sent)
    s += &format!("'''\n[expect]\nchecks = '''\nend ping{n}.transmitted == 1\n'''\n");
    s
}

/// [`switch_ping_scenario`] parsed and run to the end as `netlab run --quiet` runs it, with the
/// growth of the peak RSS: the LAN case as users run it, loading included.
pub fn switch_scenario(hosts: usize) -> BenchResult {
    let text = switch_ping_scenario(hosts);
    run_scenario(
        format!("scenario switch-ping {hosts} hosts"),
        "switch.toml",
        &text,
    )
    .1
}

/// A scenario file's text parsed and run to the end by the path `netlab run --quiet` takes
/// (`scenario::run_streaming` with no view), timed from the parse, with the growth of the peak
/// RSS; its expectations must hold.
fn run_scenario(name: String, file: &str, text: &str) -> (crate::scenario::Outcome, BenchResult) {
    let rss_before = peak_rss_kib();
    let started = std::time::Instant::now();
    let scn = crate::scenario::Scenario::parse(file, text).expect("the bench scenario");
    let (outcome, _) =
        crate::scenario::run_streaming(&scn, &crate::scenario::RunOptions::default(), &mut []);
    let wall = started.elapsed();
    assert!(outcome.passed(), "the bench scenario's expectations hold");
    let w = &outcome.world;
    let result = BenchResult {
        name,
        frames: w.fabric.links.iter().map(|l| l.total(|c| c.frames)).sum(),
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
        rss_growth_kib: rss_before
            .zip(peak_rss_kib())
            .map(|(a, b)| b.saturating_sub(a)),
        rss_peak_kib: peak_rss_kib(),
        ..Default::default()
    };
    (outcome, result)
}

/// When [`many_conn_probed`] calls its probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManyConnProbe {
    /// The network is built; no connection has started.
    Started,
    /// One second after the last connection started: every connection is over, the clients'
    /// ends in TIME_WAIT (60 s) unless they started more than a minute ago.
    AllDone,
}

/// ns-3's `many_conn` anchor on netlab: client hosts on a switch (1 Gbps, 1 µs) in
/// 10.1.0.0/16, a router, and a server behind a 1 Gbps, 1 ms link in 10.2.0.0/24. `conns`
/// connections start at 1 s, one every 100 µs, round-robin over the clients; each connects,
/// sends 1024 bytes and closes; the server reads to the end and closes. There are 10 clients
/// (the anchor's), or one per 10,000 connections beyond 100,000, so every connection has the
/// same shape at every size: a client's ephemeral ports (28,232) and its application numbers
/// (16 bits) never run out.
pub fn many_conn(conns: u32) -> BenchResult {
    many_conn_probed(conns, &mut |_, _| {})
}

/// [`many_conn`], calling `probe` with the world at the moments [`ManyConnProbe`] names (the
/// memory test measures live bytes there).
pub fn many_conn_probed(conns: u32, probe: &mut dyn FnMut(ManyConnProbe, &World)) -> BenchResult {
    use crate::apps::sock::{BulkSend, BulkSink, SocketApp};
    use crate::ip::Ipv4Cidr;
    use std::net::{Ipv4Addr, SocketAddrV4};
    let rss_before = peak_rss_kib();
    let mut w = World::new(Trace::off());
    w.limits.max_events = u64::MAX;
    let clients = conns.div_ceil(10_000).max(10);
    let sw = w.add_node(
        "sw",
        NodeKind::Switch(Switch::new(clients as u16 + 1, MacTableConfig::default())),
        clients as u16 + 1,
    );
    let lan = LinkConfig {
        bandwidth: Bandwidth::from_bps(1_000_000_000),
        delay: Duration::from_micros(1),
        ..LinkConfig::default()
    };
    let wan = LinkConfig {
        delay: Duration::from_millis(1),
        ..lan.clone()
    };
    let gw_a = Ipv4Addr::new(10, 1, 0, 254);
    let gw_b = Ipv4Addr::new(10, 2, 0, 254);
    let mut ids = Vec::new();
    for i in 0..clients {
        let ip = Ipv4Addr::new(10, 1, (i / 250) as u8, (i % 250) as u8 + 1);
        let h = tcp_host(i + 1, ip, 16, Some(gw_a));
        let id = w.add_node(format!("c{i}"), NodeKind::Host(Box::new(h)), 1);
        w.add_link(
            format!("c{i}--sw"),
            (id, 0),
            (sw, i as u16),
            lan.clone(),
            crate::rng::stream(1, "link", i as u64),
        );
        ids.push(id);
    }
    // (MAC serials past every client's)
    let mut r0 = Interface::new("eth0", ethernet::default_mac(100_000));
    r0.addr = Some(Ipv4Cidr::new(gw_a, 16).expect("valid"));
    let mut r1 = Interface::new("eth1", ethernet::default_mac(100_001));
    r1.addr = Some(Ipv4Cidr::new(gw_b, 24).expect("valid"));
    let router = Host::with_config(
        vec![r0, r1],
        true,
        crate::host::HostConfig {
            arp: crate::arp::ArpConfig {
                trace: false,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let r = w.add_node("r", NodeKind::Host(Box::new(router)), 2);
    w.add_link(
        "r--sw",
        (r, 0),
        (sw, clients as u16),
        lan.clone(),
        crate::rng::stream(1, "link", 50),
    );
    let server_ip = Ipv4Addr::new(10, 2, 0, 1);
    let server = w.add_node(
        "server",
        NodeKind::Host(Box::new(tcp_host(
            200.max(clients + 1),
            server_ip,
            24,
            Some(gw_b),
        ))),
        1,
    );
    w.add_link(
        "r--server",
        (r, 1),
        (server, 0),
        wan,
        crate::rng::stream(1, "link", 51),
    );
    start(
        &mut w,
        server,
        "sink",
        SocketApp::BulkSink(BulkSink::new(5001)),
    );
    // Each connection's start is scheduled by the one before, so the queue does not hold a
    // million starts (their memory and their log factor would be the bench's, not netlab's).
    let start_of =
        |k: u32| Instant::ZERO + Duration::from_secs(1) + Duration::from_micros(100 * k as u64);
    w.schedule_script(start_of(0), 0);
    probe(ManyConnProbe::Started, &w);
    let started = std::time::Instant::now();
    let mut peak_sockets = 0usize;
    while let Next::Event(step) = w.next(None, None) {
        let StepKind::Script { index } = step.kind else {
            continue;
        };
        if index == conns {
            probe(ManyConnProbe::AllDone, &w);
            continue;
        }
        let client = ids[(index % clients) as usize];
        start(
            &mut w,
            client,
            "conn",
            SocketApp::BulkSend(BulkSend::new(SocketAddrV4::new(server_ip, 5001), 1024)),
        );
        if index + 1 < conns {
            w.schedule_script(start_of(index + 1), index + 1);
        } else {
            w.schedule_script(start_of(index) + Duration::from_secs(1), conns);
            peak_sockets = ids
                .iter()
                .map(|&id| match &w.node(id).kind {
                    NodeKind::Host(h) => h.sockets().len(),
                    _ => 0,
                })
                .sum();
        }
    }
    let wall = started.elapsed();
    let accepted = app_counter(&w, server, "connections");
    assert_eq!(accepted, conns as u64, "every connection was accepted");
    assert_eq!(
        app_counter(&w, server, "bytes_in"),
        1024 * conns as u64,
        "every byte arrived"
    );
    let rss = match (rss_before, peak_rss_kib()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let mut r = BenchResult {
        name: format!("many-conn {conns} connections"),
        frames: w.fabric.links.iter().map(|l| l.total(|c| c.frames)).sum(),
        events: w.fabric.queue.processed(),
        wall,
        sim_time: w.now(),
        ..Default::default()
    }
    .with_count(conns as u64);
    r.peak_sockets = peak_sockets as u64;
    r.rss_growth_kib = rss;
    r
}

/// Runs every case (or those whose name contains `only`) and prints a table.
/// Runs the cases and writes their table to `out` (an error writing it is returned, so the CLI
/// can say so instead of panicking).
pub fn run_all(
    quick: bool,
    only: Option<&str>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
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
        (
            "bulk-tcp 100 MB".into(),
            Box::new(move || bulk_tcp(if quick { 10_000_000 } else { 100_000_000 }, 0.0)),
        ),
        (
            "bulk-tcp 1000 MB".into(),
            Box::new(move || bulk_tcp(if quick { 20_000_000 } else { 1_000_000_000 }, 0.0)),
        ),
        (
            "bulk-tcp 1000 MB, bytes alone".into(),
            Box::new(move || bulk_bytes_alone(if quick { 20_000_000 } else { 1_000_000_000 })),
        ),
        (
            "bulk-tcp 100 MB loss 1%".into(),
            Box::new(move || bulk_tcp(if quick { 10_000_000 } else { 100_000_000 }, 0.01)),
        ),
        (
            "bulk-tcp 1000 MB loss 1%".into(),
            Box::new(move || bulk_tcp(if quick { 20_000_000 } else { 1_000_000_000 }, 0.01)),
        ),
        (
            "scenario bulk-tcp 100 MB".into(),
            Box::new(move || bulk_scenario(if quick { 10_000_000 } else { 100_000_000 })),
        ),
        (
            "scenario bulk-tcp 1000 MB".into(),
            Box::new(move || bulk_scenario(if quick { 20_000_000 } else { 1_000_000_000 })),
        ),
        ("many-conn 1000".into(), Box::new(|| many_conn(1000))),
        (
            "python socket calls".into(),
            Box::new(move || python_calls(if quick { 5_000 } else { 50_000 })),
        ),
        (
            format!("scenario switch-ping {}", if quick { 500 } else { 5000 }),
            Box::new(move || switch_scenario(if quick { 500 } else { 5000 })),
        ),
        (
            "many-conn 10000".into(),
            Box::new(move || many_conn(if quick { 2000 } else { 10_000 })),
        ),
    ];
    // Scaling cases that take minutes: only when asked for by name (`--case "many-conn 100000"`).
    let mut all = all;
    for n in [100_000u32, 1_000_000] {
        let name = format!("many-conn {n}");
        if only == Some(name.as_str()) {
            all.push((name, Box::new(move || many_conn(n))));
        }
    }
    if only == Some("scenario switch-ping 20000") {
        all.push((
            "scenario switch-ping 20000".into(),
            Box::new(|| switch_scenario(20_000)),
        ));
    }
    let cases: Vec<BenchResult> = all
        .iter()
        // An exact name runs that case alone; otherwise every case containing the text.
        .filter(|(name, _)| match only {
            None => true,
            Some(o) if all.iter().any(|(n, _)| n == o) => name == o,
            Some(o) => name.contains(o),
        })
        .map(|(_, run)| run())
        .collect();
    writeln!(
        out,
        "{:<32} {:>12} {:>12} {:>10} {:>14} {:>14} {:>14} {:>10}",
        "case",
        "frames",
        "events",
        "wall s",
        "frames/wall s",
        "events/wall s",
        "work/wall s",
        "sim s*"
    )?;
    for r in &cases {
        let work = if r.bytes > 0 {
            format!("{:.1} MB", r.bytes as f64 / r.wall.as_secs_f64() / 1e6)
        } else if r.calls > 0 {
            format!("{:.0} calls", r.calls as f64 / r.wall.as_secs_f64())
        } else if r.count > 0 {
            format!("{:.0} conn", r.count as f64 / r.wall.as_secs_f64())
        } else {
            "-".into()
        };
        // A case without a simulation (the bytes alone) has no events and no simulated time.
        let simulated = r.events > 0;
        let events_rate = if simulated {
            format!("{:.0}", r.events_per_sec())
        } else {
            "-".into()
        };
        let sim_s = match (simulated, r.transfer_us) {
            (false, _) => "-".into(),
            (true, 0) => format!("{:.3}", r.sim_time.as_secs_f64()),
            (true, us) => format!("{:.3}", us as f64 / 1e6),
        };
        writeln!(
            out,
            "{:<32} {:>12} {:>12} {:>10.3} {:>14.0} {:>14} {:>14} {:>10}",
            r.name,
            r.frames,
            r.events,
            r.wall.as_secs_f64(),
            r.frames_per_sec(),
            events_rate,
            work,
            sim_s,
        )?;
        if let (0, Some(kib)) = (r.peak_sockets, r.rss_growth_kib) {
            writeln!(
                out,
                "{:<32} peak RSS growth {kib} KiB, process peak RSS {} KiB",
                "",
                r.rss_peak_kib.map_or("?".into(), |k| k.to_string()),
            )?;
        }
        if r.peak_sockets > 0 {
            // (many-conn's simulated end includes the 60 s TIME_WAIT of the last connections)
            let per = |n: u64| {
                r.rss_growth_kib.map_or("?".into(), |k| {
                    format!("{:.0}", k as f64 * 1024.0 / n as f64)
                })
            };
            writeln!(
                out,
                "{:<32} {:.2} µs per connection; peak sockets {} (client sockets, most in \
                 TIME_WAIT); peak RSS growth {} KiB: {} bytes per connection, {} per socket",
                "",
                r.wall.as_secs_f64() * 1e6 / r.count as f64,
                r.peak_sockets,
                r.rss_growth_kib.map_or("?".into(), |k| k.to_string()),
                per(r.count),
                per(r.peak_sockets),
            )?;
        }
    }
    writeln!(
        out,
        "* simulated seconds: from the first connection to the last byte for the bulk cases, \
         to the run's end for the others"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_tcp_delivers_every_byte_with_and_without_loss() {
        // bulk_tcp asserts that every byte arrived intact.
        let clean = bulk_tcp(300_000, 0.0);
        assert!(clean.bytes == 300_000);
        let lossy = bulk_tcp(300_000, 0.02);
        assert!(lossy.transfer_us > clean.transfer_us, "losses cost time");
    }

    #[test]
    fn python_bridge_answers_every_call() {
        assert_eq!(python_calls(100).calls, 202);
    }

    #[test]
    fn many_conn_completes_every_connection() {
        let r = many_conn(30);
        assert_eq!(r.count, 30);
    }

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
