//! The text log: one line per trace record, `time  node  layer  what happened`.

use crate::arp::{ArpEvent, DropReason as ArpDropReason};
use crate::ids::{LinkId, NodeId};
use crate::switch::{Forwarding, Learned};
use crate::time::Duration;
use crate::trace::{describe, AppEvent, IpDrop, Names, PhyDrop, Record, TraceEvent};
use std::fmt::Write;

/// Renders records with the names of the network they came from.
pub struct TextView<'a> {
    pub names: &'a dyn Names,
    /// The scenario's timeline lines, for `Action` records.
    pub actions: &'a [String],
}

impl<'a> TextView<'a> {
    pub fn new(names: &'a dyn Names, actions: &'a [String]) -> Self {
        TextView { names, actions }
    }

    pub fn node_name(&self, id: NodeId) -> &str {
        self.names.node_name(id)
    }

    pub fn link_name(&self, id: LinkId) -> &str {
        self.names.link_name(id)
    }

    /// `eth0` for a host's interface, `port 3` for a switch port (numbered from 1 as on the
    /// front panel).
    pub fn port_name(&self, node: NodeId, port: u16) -> String {
        self.names.port_name(node, port)
    }

    /// The name the scenario gave an application.
    pub fn app_name(&self, node: NodeId, app: u16) -> &str {
        self.names.app_name(node, app)
    }

    /// A host interface's name, `lo` for loopback.
    pub fn iface_name(&self, node: NodeId, iface: u16) -> String {
        self.names.iface_name(node, iface)
    }

    /// The whole line for a record.
    pub fn line(&self, r: &Record) -> String {
        let node = r.node.map_or("-", |n| self.node_name(n));
        format!(
            "{:>14}  {:<10} {:<8} {}",
            r.time.to_string(),
            node,
            r.event.layer().name(),
            self.what(r)
        )
    }

    /// What happened, without the time/node/layer columns.
    pub fn what(&self, r: &Record) -> String {
        use TraceEvent::*;
        let node = r.node.unwrap_or(NodeId(0));
        let mut s = String::new();
        match &r.event {
            FrameTx {
                link,
                port,
                id,
                frame,
                start,
                arrival,
                queued_behind,
            } => {
                let _ = write!(
                    s,
                    "tx {id} {} → {}",
                    self.port_name(node, *port),
                    self.link_name(*link)
                );
                if *queued_behind > 0 {
                    let _ = write!(s, " (queued behind {queued_behind}, starts {start})");
                }
                // A frame that crossed a shared medium is recorded when it is known to have
                // crossed whole, after its first bit left.
                if *start < r.time {
                    let _ = write!(s, " (went out at {start}: crossed the shared medium)");
                }
                let _ = write!(s, ", arrives {arrival}: {}", describe::frame(frame));
            }
            FrameDropped {
                link,
                port,
                id,
                frame,
                reason,
            } => {
                let why = match reason {
                    PhyDrop::QueueFull => "transmit queue full (drop-tail)",
                    PhyDrop::LinkDown => "link is down",
                    PhyDrop::LinkWentDown => "link went down while the frame was on it",
                    PhyDrop::Fault => "dropped by a fault rule",
                    PhyDrop::RandomLoss => "lost at random (link loss rate)",
                    PhyDrop::ExcessiveCollisions => {
                        "excessive collisions (16 attempts, IEEE 802.3 attemptLimit)"
                    }
                    PhyDrop::LateCollision => "late collision (after 512 bit times): abandoned",
                    PhyDrop::UndetectedCollision => {
                        "collided after its sender had finished (undetected collision)"
                    }
                };
                let _ = write!(
                    s,
                    "drop {id} {} → {}: {why}: {}",
                    self.port_name(node, *port),
                    self.link_name(*link),
                    describe::frame(frame)
                );
            }
            BitErrors {
                link,
                id,
                flipped,
                by_fault,
            } => {
                let _ = write!(
                    s,
                    "{flipped} bit{} of {id} flipped on {}{}",
                    if *flipped == 1 { "" } else { "s" },
                    self.link_name(*link),
                    if *by_fault {
                        " by a fault rule"
                    } else {
                        " (bit error rate)"
                    }
                );
            }
            Collision {
                link,
                port,
                id,
                attempt,
                after_bits,
                late,
                backoff,
                ..
            } => {
                let _ = write!(
                    s,
                    "{}collision {id} {} → {}: attempt {attempt} heard another station after \
                     {after_bits} bits, jam; ",
                    if *late { "late " } else { "" },
                    self.port_name(node, *port),
                    self.link_name(*link),
                );
                match backoff {
                    Some(1) => s.push_str("backoff 1 slot"),
                    Some(n) => {
                        let _ = write!(s, "backoff {n} slots");
                    }
                    None => s.push_str("frame abandoned"),
                }
            }
            FrameRx { link, port, id, .. } => {
                let _ = write!(
                    s,
                    "rx {id} {} ← {}",
                    self.port_name(node, *port),
                    self.link_name(*link)
                );
            }
            NicDrop { port, id, reason } => {
                let why = match reason {
                    crate::trace::NicDrop::Damaged(e) => e.to_string(),
                    crate::trace::NicDrop::NotForMe { dst } => {
                        format!(
                            "not for me (to {dst}; a NIC takes only its own address and broadcast)"
                        )
                    }
                    crate::trace::NicDrop::InterfaceDown => "interface is down".into(),
                    crate::trace::NicDrop::UnknownEtherType(t) => {
                        format!("no protocol for EtherType {t:#06x}")
                    }
                };
                let _ = write!(s, "drop {id} on {}: {why}", self.port_name(node, *port));
            }
            RawDelivered { port, id, frame } => {
                let payload = crate::decode::Decoded::new(frame).payload;
                let _ = write!(
                    s,
                    "delivered {id} on {}: {}",
                    self.port_name(node, *port),
                    describe::quoted_preview(describe::trim_padding(payload), 60)
                );
            }
            MacLearned { mac, port, how } => {
                let _ = match how {
                    Learned::Moved { from } => write!(
                        s,
                        "learned {mac} moved from {} to {}",
                        self.port_name(node, *from),
                        self.port_name(node, *port)
                    ),
                    Learned::TableFull => write!(s, "cannot learn {mac}: MAC table full"),
                    _ => write!(s, "learned {mac} on {}", self.port_name(node, *port)),
                };
            }
            MacAged { mac, port } => {
                let _ = write!(s, "aged out {mac} (was on {})", self.port_name(node, *port));
            }
            Switched {
                in_port,
                id,
                decision,
            } => {
                let _ = write!(s, "{id} from {}: ", self.port_name(node, *in_port));
                let _ = match decision {
                    Forwarding::Unicast(p) => {
                        write!(s, "forward to {} (known address)", self.port_name(node, *p))
                    }
                    Forwarding::Flood {
                        unknown_unicast: true,
                    } => {
                        write!(s, "flood to all other ports (unknown destination)")
                    }
                    Forwarding::Flood {
                        unknown_unicast: false,
                    } => {
                        write!(s, "flood to all other ports (broadcast)")
                    }
                    Forwarding::Filter => write!(s, "filter (destination is on the same port)"),
                    Forwarding::Drop(e) => write!(s, "drop: {e}"),
                    Forwarding::Bpdu => write!(s, "spanning tree BPDU, taken in"),
                    Forwarding::WrongVlan { vlan: Some(v) } => {
                        write!(s, "refuse: VLAN {v} is not allowed on this port")
                    }
                    Forwarding::WrongVlan { vlan: None } => {
                        write!(s, "refuse: untagged frame on a trunk port")
                    }
                    Forwarding::Discard { port, state } => {
                        write!(s, "discard ({} is {state})", self.port_name(node, *port))
                    }
                };
            }
            StpPort { port, role, state } => {
                let _ = if *role == crate::switch::stp::PortRole::Disabled {
                    write!(s, "stp: {} is disabled", self.port_name(node, *port))
                } else {
                    write!(s, "stp: {} is {role}, {state}", self.port_name(node, *port))
                };
            }
            StpTopologyChange { on } => {
                let _ = write!(
                    s,
                    "stp: topology change {}",
                    if *on {
                        "begins (MAC entries age out after the forward delay)"
                    } else {
                        "over"
                    }
                );
            }
            HubRepeated { in_port, id } => {
                let _ = write!(
                    s,
                    "{id} from {}: repeat to all other ports",
                    self.port_name(node, *in_port)
                );
            }
            Arp { iface, event } => {
                let _ = write!(s, "{}: {}", self.iface_name(node, *iface), arp_event(event));
            }
            ArpIgnored { iface, why } => {
                let why = match why {
                    crate::trace::ArpIgnore::Malformed(e) => e.to_string(),
                    crate::trace::ArpIgnore::Rejected(e) => e.to_string(),
                    crate::trace::ArpIgnore::NoAddress => "this interface has no IP address".into(),
                };
                let _ = write!(
                    s,
                    "{}: ignored an ARP packet: {why}",
                    self.iface_name(node, *iface)
                );
            }
            IpSend {
                iface,
                dst,
                next_hop,
                protocol,
                len,
                route,
            } => {
                let _ = write!(
                    s,
                    "send {protocol} to {dst}, {len} bytes, out {}",
                    self.iface_name(node, *iface)
                );
                if next_hop != dst {
                    let _ = write!(s, " via {next_hop}");
                }
                let _ = write!(s, " (route {route})");
            }
            IpForward {
                in_iface,
                iface,
                src,
                dst,
                next_hop,
                ttl,
                route,
            } => {
                let _ = write!(
                    s,
                    "forward {src} > {dst} from {} to {}",
                    self.iface_name(node, *in_iface),
                    self.iface_name(node, *iface)
                );
                if next_hop != dst {
                    let _ = write!(s, " via {next_hop}");
                }
                let _ = write!(s, ", ttl now {ttl} (route {route})");
            }
            IpDeliver {
                src,
                dst,
                protocol,
                len,
            } => {
                let _ = write!(s, "deliver {protocol} {src} > {dst}, {len} bytes");
            }
            IpDropped { src, dst, reason } => {
                let _ = write!(s, "drop {src} > {dst}: {}", ip_drop(reason));
            }
            IpFragmented {
                dst,
                ident,
                fragments,
                mtu,
            } => {
                let _ = write!(
                    s,
                    "fragment datagram id {ident} to {dst} into {fragments} pieces for MTU {mtu}"
                );
            }
            IpReassembled { src, ident, len } => {
                let _ = write!(s, "reassembled datagram id {ident} from {src}: {len} bytes");
            }
            IcmpOut { dst, kind } => {
                let _ = write!(s, "send ICMP {} to {dst}", kind.describe());
            }
            Tcp {
                local,
                remote,
                event,
            } => {
                let _ = write!(s, "{local} > {remote}: {event}");
            }
            SocketCall { app, call, result } => {
                let _ = write!(s, "app {app} call {call}: {result:?}");
            }
            AppLog { app, text } => {
                let _ = write!(s, "{}: {text}", self.app_name(node, *app));
            }
            DnsAnswer { client, summary } => {
                let _ = write!(s, "DNS server answers {client}: {summary}");
            }
            Dhcp { iface, event } => {
                let _ = write!(s, "{}: {}", self.iface_name(node, *iface), event.describe());
            }
            App { app, event } => {
                let name = self.app_name(node, *app);
                let _ = write!(s, "{name}: {}", app_event(event));
            }
            Action { index } => {
                let text = self
                    .actions
                    .get(*index as usize)
                    .map_or("?", |a| a.as_str());
                let _ = write!(s, "action: {text}");
            }
            ActionFailed { reason } => {
                let _ = write!(s, "action failed: {reason}");
            }
            LinkState { link, up } => {
                let _ = write!(
                    s,
                    "link {} {}",
                    self.link_name(*link),
                    if *up { "up" } else { "down" }
                );
            }
        }
        s
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_millis_f64())
}

/// ARP table changes in words.
pub fn arp_event(e: &ArpEvent) -> String {
    match e {
        ArpEvent::Added { ip, state, mac } => match mac {
            Some(m) => format!("new neighbour {ip} at {m} ({state})"),
            None => format!("new neighbour {ip} ({state}: resolving)"),
        },
        ArpEvent::Updated {
            ip,
            old_mac,
            new_mac,
        } => format!("{ip} moved from {old_mac} to {new_mac}"),
        ArpEvent::StateChanged { ip, from, to } => format!("{ip}: {from} → {to}"),
        ArpEvent::RequestSent {
            ip,
            attempt,
            unicast,
        } => match unicast {
            Some(m) => format!("who-has {ip}? unicast probe {attempt} to {m}"),
            None => format!("who-has {ip}? broadcast request {attempt}"),
        },
        ArpEvent::Resolved {
            ip, mac, released, ..
        } => format!("{ip} is-at {mac}: resolved, {released} waiting packet(s) sent"),
        ArpEvent::Failed { ip, dropped } => {
            format!("no answer from {ip}: resolution failed, {dropped} waiting packet(s) dropped")
        }
        // A full queue drops its oldest packet (Linux) to keep the new one: say "a packet".
        ArpEvent::PacketDropped {
            ip,
            reason: ArpDropReason::QueueFull,
        } => format!("queue of packets waiting for {ip} is full: one dropped"),
        ArpEvent::PacketDropped { ip, reason } => format!("packet for {ip} not queued: {reason:?}"),
        ArpEvent::Removed { ip, state, reason } => format!("{ip} removed ({state}, {reason:?})"),
    }
}

/// Why IP dropped a datagram, in words.
pub fn ip_drop(d: &IpDrop) -> String {
    match d {
        IpDrop::BadHeader(e) => format!("bad header: {e}"),
        IpDrop::NoRoute => "no route to the destination".into(),
        IpDrop::TtlExpired => "TTL expired".into(),
        IpDrop::HostUnreachable => "host unreachable (no ARP answer)".into(),
        IpDrop::ArpQueueFull => "too many packets waiting for ARP".into(),
        IpDrop::FragNeeded { mtu } => format!("too big for MTU {mtu} and DF set"),
        IpDrop::NotForMe => "not addressed to this host, which does not forward".into(),
        IpDrop::BroadcastNotForwarded => "routers do not forward broadcasts".into(),
        IpDrop::UnknownProtocol(p) => format!("no handler for protocol {p}"),
        IpDrop::PortUnreachable(p) => format!("no socket on UDP port {p}"),
        IpDrop::BadTransport => "damaged transport header".into(),
        IpDrop::ReassemblyFailed => "fragments could not be reassembled".into(),
        IpDrop::ReassemblyTimeout => "fragments missing at reassembly timeout".into(),
        IpDrop::CannotFragment => "cannot be fragmented for the link".into(),
        IpDrop::DuplicateFragment => "a fragment already received".into(),
        IpDrop::InvalidSource => "a source address no host can have (RFC 1122 §3.2.1.3)".into(),
        IpDrop::TcpNotUnicast => "a TCP segment in a broadcast (TCP is unicast only)".into(),
    }
}

/// ping's and traceroute's own words.
pub fn app_event(e: &AppEvent) -> String {
    match e {
        AppEvent::PingStart { dst, size } => {
            format!("PING {dst} {size}({}) bytes of data.", *size as u32 + 28)
        }
        AppEvent::PingReply {
            from,
            seq,
            ttl,
            bytes,
            rtt,
        } => format!(
            "{bytes} bytes from {from}: icmp_seq={seq} ttl={ttl} time={} ms",
            ms(*rtt)
        ),
        AppEvent::PingError { from, seq, kind } => {
            format!("From {from} icmp_seq={seq} {}", kind.describe())
        }
        AppEvent::PingLocalError { seq, drop } => {
            let why = match drop {
                IpDrop::NoRoute => "Network is unreachable".to_string(),
                IpDrop::FragNeeded { mtu } => format!("local error: message too long, mtu={mtu}"),
                other => ip_drop(other),
            };
            format!("ping: sendmsg (icmp_seq={seq}): {why}")
        }
        AppEvent::PingDone {
            transmitted,
            received,
            errors,
            min,
            avg,
            max,
        } => {
            let loss = if *transmitted == 0 {
                0
            } else {
                (transmitted - received) * 100 / transmitted
            };
            let errs = if *errors > 0 {
                format!(", +{errors} errors")
            } else {
                String::new()
            };
            let mut s = format!(
                "--- {transmitted} packets transmitted, {received} received{errs}, {loss}% packet loss"
            );
            if *received > 0 {
                s.push_str(&format!(
                    "; rtt min/avg/max = {}/{}/{} ms",
                    ms(*min),
                    ms(*avg),
                    ms(*max)
                ));
            }
            s
        }
        AppEvent::TraceStart {
            dst,
            max_hops,
            size,
        } => {
            format!("traceroute to {dst}, {max_hops} hops max, {size} byte packets")
        }
        AppEvent::TraceProbe {
            ttl,
            probe,
            from,
            rtt,
            ..
        } => match (from, rtt) {
            (Some(f), Some(r)) => format!("{ttl:>2}  {f}  {} ms  (probe {})", ms(*r), probe + 1),
            _ => format!("{ttl:>2}  *  (probe {}: no answer)", probe + 1),
        },
        AppEvent::TraceDone { reached, hops } => {
            if *reached {
                format!("traceroute reached the destination in {hops} hops")
            } else {
                format!("traceroute stopped after {hops} hops without reaching the destination")
            }
        }
    }
}
