//! Robustness of everything that reads bytes or text from outside.
//!
//! Each wire format's own module already checks arbitrary bytes and `parse(emit(x)) == x` for
//! ARP, IPv4, ICMP, UDP and TCP; this file adds what was missing:
//!
//! - Ethernet: arbitrary bytes give a typed error or a header; a built frame parses back and
//!   passes its FCS check; every burst of up to 32 flipped bits is caught by the FCS.
//! - TCP options: a valid header followed by arbitrary option bytes.
//! - The views that parse every layer of a frame at once (`describe`, ladder labels, filters)
//!   on arbitrary frames, including well-formed headers around garbage.
//! - The text parsers of values (durations, rates, prefixes, netmasks, filters).
//! - A whole `World` (an injecting host, a switch, a host with an IP stack) fed arbitrary
//!   frames through a link: nothing panics, the run ends, every views renders, and every frame
//!   is accounted for: each transmission arrives or is dropped with a reason, each arrival at
//!   the switch is forwarded, flooded, filtered or dropped, each arrival at a host is
//!   delivered to a protocol or dropped with a reason, and each IPv4 datagram is delivered,
//!   held for reassembly or dropped with a reason.

use std::net::Ipv4Addr;
use std::str::FromStr;

use netlab::ethernet::{self, ethertype, EthernetRepr, FrameError, MacAddr};
use netlab::filter::{Endpoint, FrameFilter};
use netlab::host::{Host, Interface};
use netlab::icmp::IcmpRepr;
use netlab::ip::{IpProtocol, Ipv4Cidr, Ipv4Repr};
use netlab::phy::{Bandwidth, LinkConfig};
use netlab::sim::{Limits, NodeId, NodeKind, World};
use netlab::switch::{Forwarding, MacTableConfig, Switch};
use netlab::tcp::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};
use netlab::time::{Duration, Instant};
use netlab::trace::{IpDrop, Trace, TraceEvent};
use netlab::udp::UdpRepr;
use netlab::views;
use proptest::prelude::*;

/// Case counts scale with `PROPTEST_CASES` as in `prop_tcp.rs`.
fn cases(default: u32) -> ProptestConfig {
    let cases = match std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(n) => ((n * default as u64) / 256).max(1) as u32,
        None => default,
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn mac(b: [u8; 6]) -> MacAddr {
    MacAddr::new(b[0], b[1], b[2], b[3], b[4], b[5])
}

/// Appends a correct FCS, so the bytes pass the NIC and reach the layers above.
fn with_fcs(body: &[u8]) -> Vec<u8> {
    let mut f = body.to_vec();
    f.extend(crc32fast::hash(body).to_le_bytes());
    f
}

// =========================================================================================
// Ethernet
// =========================================================================================

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn ethernet_arbitrary_bytes_give_a_header_or_a_typed_error(
        bytes in proptest::collection::vec(any::<u8>(), 0..120),
    ) {
        // EtherType 0x8100 is an 802.1Q tag: the header is 4 bytes longer.
        let tag_len = if ethernet::vlan_of(&bytes).is_some() { 4 } else { 0 };
        match ethernet::parse(&bytes) {
            Ok((_, payload)) => prop_assert_eq!(payload.len(), bytes.len() - 18 - tag_len),
            Err(e) => prop_assert_eq!(e, FrameError::Runt { len: bytes.len() }),
        }
        match ethernet::check_fcs(&bytes) {
            Ok(()) => prop_assert_eq!(crc32fast::hash(&bytes), 0x2144_DF1C),
            Err(FrameError::Runt { len }) => prop_assert!(len < 18),
            Err(FrameError::BadFcs { found, computed }) => prop_assert_ne!(found, computed),
        }
        prop_assert_eq!(ethernet::dst_of(&bytes).is_some(), bytes.len() >= 6);
        prop_assert_eq!(ethernet::src_of(&bytes).is_some(), bytes.len() >= 12);
        let _ = netlab::trace::describe::frame(&bytes);
    }

    #[test]
    fn ethernet_frames_round_trip(
        dst: [u8; 6], src: [u8; 6], et: u16,
        payload in proptest::collection::vec(any::<u8>(), 0..1600),
    ) {
        let repr = EthernetRepr { dst: mac(dst), src: mac(src), ethertype: et };
        let frame = ethernet::frame_with_payload(&repr, &payload);
        prop_assert_eq!(frame.len(), (payload.len() + 18).max(ethernet::MIN_FRAME_LEN));
        prop_assert_eq!(ethernet::check_fcs(&frame), Ok(()));
        let (parsed, body) = ethernet::parse(&frame).unwrap();
        if et == ethertype::VLAN {
            // The TPID: the payload's first 4 bytes are read as the 802.1Q tag, and the
            // EtherType after them as the frame's.
            let padded: Vec<u8> = frame[14..frame.len() - 4].to_vec();
            prop_assert_eq!(parsed.ethertype, u16::from_be_bytes([padded[2], padded[3]]));
            prop_assert_eq!(body, &padded[4..]);
            return Ok(());
        }
        prop_assert_eq!(parsed, repr);
        prop_assert_eq!(&body[..payload.len()], &payload[..]);
        prop_assert!(body[payload.len()..].iter().all(|&b| b == 0), "padding is zeros");
    }

    /// CRC-32 catches every error burst of up to 32 bits, wherever it falls.
    #[test]
    fn ethernet_fcs_catches_every_burst_up_to_32_bits(
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        start: u64,
        burst in 1u32..=32,
        pattern: u32,
    ) {
        let repr = EthernetRepr {
            dst: MacAddr::broadcast(),
            src: mac([2, 0, 0, 0, 0, 1]),
            ethertype: ethertype::EXPERIMENTAL,
        };
        let mut frame = ethernet::frame_with_payload(&repr, &payload).to_vec();
        let bits = frame.len() as u64 * 8;
        let start = start % (bits - burst as u64 + 1);
        // A burst: first and last bit flipped, anything in between.
        let mask = pattern | 1 | (1u32 << (burst - 1));
        for i in 0..burst as u64 {
            if mask >> i & 1 == 1 {
                let b = start + i;
                frame[(b / 8) as usize] ^= 1 << (b % 8);
            }
        }
        prop_assert!(
            matches!(ethernet::check_fcs(&frame), Err(FrameError::BadFcs { .. })),
            "burst of {} bits at bit {} not caught", burst, start
        );
    }
}

// =========================================================================================
// TCP options, and the views that parse a whole frame
// =========================================================================================

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

proptest! {
    #![proptest_config(cases(256))]

    /// A correct header whose option area is arbitrary: options parse or `BadOption`, and
    /// known options that parsed emit back to something that parses the same.
    #[test]
    fn tcp_arbitrary_option_bytes(
        opts in proptest::collection::vec(any::<u8>(), 0..=40),
        payload in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let words = opts.len().div_ceil(4);
        let mut area = opts.clone();
        area.resize(words * 4, 0);
        let mut bytes = vec![0u8; 20];
        bytes[12] = ((5 + words) as u8) << 4;
        bytes[13] = 0x12;
        bytes.extend_from_slice(&area);
        bytes.extend_from_slice(&payload);
        match TcpRepr::parse_unchecked(&bytes) {
            Ok(repr) => {
                prop_assert_eq!(repr.payload, &payload[..]);
                let mut buf = vec![0u8; repr.buffer_len()];
                repr.emit(&mut buf, A, B).unwrap();
                let again = TcpRepr::parse(&buf, A, B).unwrap();
                prop_assert_eq!(again.options, repr.options);
                let _ = repr.to_string();
            }
            Err(e) => prop_assert_eq!(e, netlab::tcp::TcpParseError::BadOption),
        }
    }

    /// Well-formed Ethernet and IPv4 headers around arbitrary transport bytes, and arbitrary
    /// bytes after an ARP or IPv4 EtherType: every view that parses all layers copes.
    #[test]
    fn views_describe_any_frame(
        et in prop_oneof![Just(ethertype::IPV4), Just(ethertype::ARP), Just(ethertype::EXPERIMENTAL), any::<u16>()],
        proto in prop_oneof![Just(1u8), Just(6), Just(17), any::<u8>()],
        wrap_in_ip: bool,
        frag: (bool, u16),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let payload = if wrap_in_ip && et == ethertype::IPV4 {
            let mut ip = Ipv4Repr::new(A, B, IpProtocol::from(proto), body.len());
            ip.more_frags = frag.0;
            ip.frag_offset = (frag.1 % 8192) * 8;
            ip.to_bytes(&body)
        } else {
            body.clone()
        };
        let repr = EthernetRepr { dst: MacAddr::broadcast(), src: mac([2, 0, 0, 0, 0, 1]), ethertype: et };
        let frame = ethernet::frame_with_payload(&repr, &payload);
        let _ = netlab::trace::describe::frame(&frame);
        let _ = netlab::trace::describe::packet(et, &payload);
        let _ = views::ladder::label(&frame);
        for f in ["icmp", "tcp", "udp", "arp", "ip", "broadcast", "port=80", "tcp-syn", "not-arp"] {
            if let Ok(filter) = FrameFilter::parse(f, &|_| None) {
                let _ = filter.matches(&frame);
                let _ = filter.matches(&body);
            }
        }
    }

    /// An ICMP error quoting arbitrary bytes: the quote is parsed leniently when displayed.
    #[test]
    fn icmp_errors_quoting_anything_display(
        quoted in proptest::collection::vec(any::<u8>(), 0..120),
        code in 0u8..16,
    ) {
        let code = netlab::icmp::DestUnreachableCode::from_code(code, 1400).unwrap();
        let msg = IcmpRepr::DestUnreachable { code, quoted: &quoted };
        let bytes = msg.to_bytes();
        prop_assert_eq!(IcmpRepr::parse(&bytes), Ok(msg));
        let _ = msg.to_string();
        let _ = msg.quoted_datagram();
        let _ = netlab::icmp::quote(&quoted);
    }
}

// =========================================================================================
// Text parsers of values
// =========================================================================================

fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9./:a-zA-Z+ -]{0,24}",
        "[0-9]{1,12}(\\.[0-9]{0,6})?(ns|us|ms|s|m|h|bps|kbps|Mbps|Gbps|)",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,4}(/[0-9]{1,3})?",
        "(not-)?[a-z]{1,6}(=[a-z0-9.:]{0,10})?( (not-)?[a-z]{1,6}(=[a-z0-9.:]{0,10})?){0,3}",
    ]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn value_parsers_never_panic(text in texty()) {
        if let Ok(d) = Duration::from_str(&text) {
            let _ = d.to_string();
        }
        if let Ok(b) = Bandwidth::from_str(&text) {
            let _ = b.to_string();
            let _ = b.time_for(1518);
        }
        if let Ok(c) = Ipv4Cidr::from_str(&text) {
            prop_assert_eq!(Ipv4Cidr::from_str(&c.to_string()), Ok(c));
        }
        if let Ok(m) = Ipv4Addr::from_str(&text) {
            let _ = netlab::ip::addr::prefix_len_of_netmask(m);
        }
        let resolve = |name: &str| {
            (name == "alice").then(|| Endpoint {
                macs: vec![mac([2, 0, 0, 0, 0, 1])],
                ips: vec![A],
            })
        };
        if let Ok(f) = FrameFilter::parse(&text, &resolve) {
            let _ = f.matches(&[0u8; 64]);
        }
    }
}

// =========================================================================================
// A whole world fed arbitrary frames
// =========================================================================================

const HOST_MAC: [u8; 6] = [0x02, 0x4e, 0x4c, 0, 0, 2];
const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const INJECTOR_MAC: [u8; 6] = [0x02, 0x4e, 0x4c, 0, 0, 1];
const INJECTOR_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);

/// A frame to inject: how it is built, then how it is damaged.
#[derive(Clone, Debug)]
enum Shape {
    /// Arbitrary bytes, FCS and all.
    Raw(Vec<u8>),
    /// Arbitrary bytes with a correct FCS appended.
    Garbage(Vec<u8>),
    /// A plausible frame for the host (see [`plausible`]), some bytes overwritten, FCS fixed up
    /// afterwards or not.
    Plausible {
        kind: u8,
        dst: u8,
        ip_dst: u8,
        port: u16,
        flags: u8,
        frag: (bool, u16),
        data: Vec<u8>,
        damage: Vec<(u16, u8)>,
        fix_fcs: bool,
    },
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..100).prop_map(Shape::Raw),
        2 => proptest::collection::vec(any::<u8>(), 12..120).prop_map(Shape::Garbage),
        6 => (
            0u8..6,
            0u8..4,
            0u8..4,
            prop_oneof![Just(80u16), Just(7), any::<u16>()],
            any::<u8>(),
            (any::<bool>(), prop_oneof![3 => Just(0u16), 1 => 0u16..400]),
            proptest::collection::vec(any::<u8>(), 0..200),
            proptest::collection::vec((any::<u16>(), any::<u8>()), 0..3),
            prop_oneof![3 => Just(true), 1 => Just(false)],
        )
            .prop_map(|(kind, dst, ip_dst, port, flags, frag, data, damage, fix_fcs)| {
                Shape::Plausible { kind, dst, ip_dst, port, flags, frag, data, damage, fix_fcs }
            }),
    ]
}

/// A frame built from its layers: ARP, ICMP echo, UDP, TCP, an IPv4 datagram of another
/// protocol, or an unknown EtherType; to the host, broadcast, or another station.
#[allow(clippy::too_many_arguments)]
fn plausible(
    kind: u8,
    dst: u8,
    ip_dst: u8,
    port: u16,
    flags: u8,
    frag: (bool, u16),
    data: &[u8],
) -> Vec<u8> {
    let eth_dst = match dst {
        0 | 1 => mac(HOST_MAC),
        2 => MacAddr::broadcast(),
        _ => mac([0x02, 0, 0, 0, 0, 0x99]),
    };
    let ip_dst = match ip_dst {
        0 | 1 => HOST_IP,
        2 => Ipv4Addr::new(10, 0, 0, 255),
        _ => Ipv4Addr::new(10, 0, 9, 9),
    };
    let (et, payload) = match kind {
        0 => {
            let mut arp = netlab::arp::ArpRepr::request(mac(INJECTOR_MAC), INJECTOR_IP, ip_dst);
            if flags & 1 == 1 {
                arp = arp.reply_from(mac(INJECTOR_MAC));
            }
            (ethertype::ARP, arp.to_bytes().to_vec())
        }
        1..=4 => {
            let (proto, transport) = match kind {
                1 => {
                    let echo = IcmpRepr::EchoRequest {
                        ident: port,
                        seq_no: flags as u16,
                        data,
                    };
                    (IpProtocol::Icmp, echo.to_bytes())
                }
                2 => {
                    let udp = UdpRepr {
                        src_port: 40000,
                        dst_port: port,
                        payload: data,
                    };
                    (IpProtocol::Udp, udp.to_bytes(INJECTOR_IP, ip_dst))
                }
                3 => {
                    let tcp = TcpRepr {
                        src_port: 40000,
                        dst_port: port,
                        seq: SeqNumber(7),
                        ack: SeqNumber(9),
                        flags: TcpFlags::from_bits(flags),
                        window: 1000,
                        urgent: 0,
                        options: TcpOptions::NONE,
                        payload: data,
                    };
                    let mut buf = vec![0u8; tcp.buffer_len()];
                    tcp.emit(&mut buf, INJECTOR_IP, ip_dst).unwrap();
                    (IpProtocol::Tcp, buf)
                }
                _ => (IpProtocol::Other(flags), data.to_vec()),
            };
            let mut ip = Ipv4Repr::new(INJECTOR_IP, ip_dst, proto, transport.len());
            ip.ident = port;
            ip.more_frags = frag.0;
            ip.frag_offset = frag.1 * 8;
            (ethertype::IPV4, ip.to_bytes(&transport))
        }
        _ => (0x1234 ^ flags as u16, data.to_vec()),
    };
    let repr = EthernetRepr {
        dst: eth_dst,
        src: mac(INJECTOR_MAC),
        ethertype: et,
    };
    ethernet::frame_with_payload(&repr, &payload).to_vec()
}

fn build(shape: &Shape) -> Vec<u8> {
    match shape {
        Shape::Raw(b) => b.clone(),
        Shape::Garbage(b) => with_fcs(b),
        Shape::Plausible {
            kind,
            dst,
            ip_dst,
            port,
            flags,
            frag,
            data,
            damage,
            fix_fcs,
        } => {
            let mut f = plausible(*kind, *dst, *ip_dst, *port, *flags, *frag, data);
            let body_len = f.len() - 4;
            for &(at, b) in damage {
                f[at as usize % body_len] = b;
            }
            if *fix_fcs {
                with_fcs(&f[..body_len])
            } else {
                f
            }
        }
    }
}

struct Net {
    world: World,
    injector: NodeId,
    switch: NodeId,
    host: NodeId,
}

fn net() -> Net {
    let mut world = World::new(Trace::recording());
    world.limits = Limits {
        max_events: 200_000,
        max_time: Instant::ZERO + Duration::from_secs(3600),
    };
    let iface = |name: &str, m: [u8; 6], ip: Option<Ipv4Addr>| Interface {
        addr: ip.map(|ip| Ipv4Cidr::new(ip, 24).unwrap()),
        ..Interface::new(name, mac(m))
    };
    // The injector has no IP stack address: whatever comes back to it stops there.
    let injector = world.add_node(
        "injector",
        NodeKind::Host(Box::new(Host::new(
            vec![iface("eth0", INJECTOR_MAC, None)],
            false,
        ))),
        1,
    );
    let switch = world.add_node(
        "sw",
        NodeKind::Switch(Switch::new(3, MacTableConfig::default())),
        3,
    );
    let host = world.add_node(
        "host",
        NodeKind::Host(Box::new(Host::new(
            vec![iface("eth0", HOST_MAC, Some(HOST_IP))],
            false,
        ))),
        1,
    );
    let rng = || netlab::rng::stream(1, "link", 0);
    world.add_link(
        "injector--sw",
        (injector, 0),
        (switch, 0),
        LinkConfig::default(),
        rng(),
    );
    world.add_link(
        "sw--host",
        (switch, 1),
        (host, 0),
        LinkConfig::default(),
        rng(),
    );
    Net {
        world,
        injector,
        switch,
        host,
    }
}

/// Checks that every frame in the trace is accounted for.
fn check_accounting(n: &Net, injected: &[Vec<u8>]) -> Result<(), String> {
    let w = &n.world;
    let records = w.trace().records();
    use std::collections::BTreeMap;
    use std::collections::BTreeSet;
    let mut sent: BTreeSet<u64> = BTreeSet::new();
    let mut dropped: BTreeSet<u64> = BTreeSet::new();
    let mut arrived: BTreeMap<u64, (NodeId, Vec<u8>)> = BTreeMap::new();
    let mut from_injector = 0usize;
    let mut switched = 0u64;
    let mut ip_input_drops = 0u64;
    let mut looped = 0u64;
    for r in records {
        match &r.event {
            TraceEvent::FrameTx { id, .. } => {
                sent.insert(id.0);
                from_injector += (r.node == Some(n.injector)) as usize;
            }
            TraceEvent::FrameDropped { id, .. } => {
                dropped.insert(id.0);
                from_injector += (r.node == Some(n.injector) && !sent.contains(&id.0)) as usize;
            }
            TraceEvent::FrameRx { id, frame, .. } => {
                let again = arrived.insert(id.0, (r.node.unwrap(), frame.to_vec()));
                if again.is_some() {
                    return Err(format!("frame #{} arrived twice", id.0));
                }
            }
            TraceEvent::Switched { .. } => switched += 1,
            // Datagrams the host sends itself (an echo reply to a forged source of its own
            // address) are delivered without being received.
            TraceEvent::IpSend { iface, .. }
                if r.node == Some(n.host) && *iface == netlab::host::LOOPBACK_IFACE =>
            {
                looped += 1
            }
            TraceEvent::IpDropped { reason, .. } if r.node == Some(n.host) => {
                if matches!(
                    reason,
                    IpDrop::BadHeader(_) | IpDrop::NotForMe | IpDrop::BroadcastNotForwarded
                ) {
                    ip_input_drops += 1;
                }
            }
            _ => {}
        }
    }
    // Links: every injected frame was put on the link or dropped there; every transmission
    // arrived exactly once, or its loss is recorded; nothing arrives that was not sent.
    if from_injector != injected.len() {
        return Err(format!(
            "{} frames injected, {from_injector} transmitted or dropped",
            injected.len()
        ));
    }
    if let Some(id) = sent
        .iter()
        .find(|id| !arrived.contains_key(id) && !dropped.contains(id))
    {
        return Err(format!(
            "frame #{id} was sent and neither arrived nor dropped"
        ));
    }
    if let Some(id) = arrived.keys().find(|id| !sent.contains(id)) {
        return Err(format!("frame #{id} arrived without being sent"));
    }
    // Switch: every arrival decided once, and the decision counted.
    let at_switch = arrived
        .values()
        .filter(|(node, _)| *node == n.switch)
        .count() as u64;
    if switched != at_switch {
        return Err(format!(
            "{at_switch} frames reached the switch, {switched} decisions"
        ));
    }
    if let NodeKind::Switch(sw) = &w.node(n.switch).kind {
        let c = &sw.counters;
        if c.rx_frames != c.forwarded + c.flooded + c.filtered + c.fcs_errors {
            return Err(format!("switch counters do not add up: {c:?}"));
        }
    }
    // Hosts: every frame reaching a NIC is delivered to a protocol or dropped with a reason.
    for node in [n.injector, n.host] {
        let NodeKind::Host(h) = &w.node(node).kind else {
            unreachable!()
        };
        let c = &h.counters();
        let at_node = arrived.values().filter(|(nd, _)| *nd == node).count() as u64;
        if c.rx_frames != at_node {
            return Err(format!(
                "{at_node} arrivals but rx_frames = {}",
                c.rx_frames
            ));
        }
        let fates = c.fcs_errors
            + c.runts
            + c.not_for_me
            + c.interface_down
            + c.unknown_ethertype
            + c.raw_delivered
            + c.arp_rx
            + c.ip_rx;
        if c.rx_frames != fates {
            return Err(format!(
                "{}: {} frames received, {fates} delivered or dropped: {c:?}",
                w.node(node).name,
                c.rx_frames
            ));
        }
    }
    // IPv4 at the host: each datagram delivered, held for reassembly, or dropped for a reason.
    let NodeKind::Host(h) = &w.node(n.host).kind else {
        unreachable!()
    };
    let c = &h.counters();
    let fragments = arrived
        .values()
        .filter(|(node, _)| *node == n.host)
        .filter_map(|(_, f)| {
            ethernet::check_fcs(f).ok()?;
            let (eth, payload) = ethernet::parse(f).ok()?;
            if eth.ethertype != ethertype::IPV4 || !ethernet::accepts(mac(HOST_MAC), eth.dst, false)
            {
                return None;
            }
            let (ip, _) = Ipv4Repr::parse(payload).ok()?;
            let to_us = ip.dst == HOST_IP
                || ip.dst == Ipv4Addr::new(10, 0, 0, 255)
                || ip.dst.is_broadcast();
            (to_us && ip.is_fragment()).then_some(())
        })
        .count() as u64;
    let accounted =
        ip_input_drops + (c.ip_delivered - c.reassembled - looped) + c.ip_forwarded + fragments;
    if c.ip_rx != accounted {
        return Err(format!(
            "{} datagrams received; {ip_input_drops} dropped at input, {} delivered whole, {} \
             reassembled, {looped} looped back, {fragments} fragments: {c:?}",
            c.ip_rx, c.ip_delivered, c.reassembled
        ));
    }
    Ok(())
}

fn run_world(shapes: &[(u16, Shape)]) -> Result<Net, String> {
    let mut n = net();
    let mut t = Instant::ZERO;
    let mut injected = Vec::new();
    for (gap_us, s) in shapes {
        t += Duration::from_micros(*gap_us as u64);
        n.world.run_until(t).map_err(|e| e.to_string())?;
        let frame = build(s);
        let injector = n.injector;
        n.world
            .fabric
            .send(injector, 0, netlab::ethernet::Frame::from(frame.clone()));
        n.world.reschedule_wake(injector);
        injected.push(frame);
    }
    n.world
        .run()
        .map_err(|e| format!("the run did not end: {e}"))?;
    check_accounting(&n, &injected)?;
    // Every view renders the trace.
    let texts: Vec<String> = Vec::new();
    let view = views::text::TextView::new(&n.world, &texts);
    let mut json = Vec::new();
    for r in n.world.trace().records() {
        let _ = view.line(r);
    }
    views::json::write_jsonl(&view, n.world.trace().records(), &mut json)
        .map_err(|e| e.to_string())?;
    let ladder = views::ladder::build(
        &n.world,
        n.world.trace().records(),
        &views::ladder::LadderOptions {
            all_nodes: true,
            columns: vec![],
        },
    );
    let _ = ladder.to_text();
    let _ = ladder.to_svg();
    let capture = views::pcap::capture(
        &n.world,
        n.world.trace().records(),
        &views::pcap::PcapOptions::default(),
    );
    let mut pcap = Vec::new();
    capture
        .write_pcapng(&mut pcap, true, None)
        .map_err(|e| e.to_string())?;
    Ok(n)
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn a_world_accounts_for_every_arbitrary_frame(
        shapes in proptest::collection::vec((0u16..2000, shape()), 1..40),
    ) {
        run_world(&shapes).map_err(TestCaseError::fail)?;
    }
}

/// The accounting itself is sound: a world that only gets well-formed pings and ARP is
/// accounted for too, and the host answers.
#[test]
fn a_world_of_well_formed_frames_is_accounted_for() {
    let shapes: Vec<(u16, Shape)> = (0..6)
        .map(|k| {
            (
                100,
                Shape::Plausible {
                    kind: k % 3,
                    dst: 0,
                    ip_dst: 0,
                    port: 7,
                    flags: 0x02,
                    frag: (false, 0),
                    data: b"hello".to_vec(),
                    damage: vec![],
                    fix_fcs: true,
                },
            )
        })
        .collect();
    let n = run_world(&shapes).unwrap();
    let NodeKind::Host(h) = &n.world.node(n.host).kind else {
        unreachable!()
    };
    assert_eq!(h.counters().rx_frames, 6, "{:?}", h.counters());
    assert!(h.counters().arp_rx >= 2 && h.counters().icmp_rx == 2 && h.counters().udp_rx == 2);
    let _ = Forwarding::Filter;
}

/// Found by `ethernet_frames_round_trip` at 64×: a frame written with EtherType 0x8100 is read
/// as 802.1Q-tagged, its payload's first 4 bytes the tag.
#[test]
fn a_frame_with_the_tpid_as_ethertype_reads_as_tagged() {
    let repr = EthernetRepr {
        dst: mac([0; 6]),
        src: mac([0; 6]),
        ethertype: ethertype::VLAN,
    };
    let frame = ethernet::frame_with_payload(&repr, &[0x00, 0x0a, 0x08, 0x00, 1, 2, 3]);
    assert_eq!(ethernet::vlan_of(&frame), Some(10));
    let (parsed, body) = ethernet::parse(&frame).unwrap();
    assert_eq!(parsed.ethertype, ethertype::IPV4);
    assert_eq!(&body[..3], &[1, 2, 3]);
}
