//! State views: a node's tables as the familiar tools print them (`arp -n`, `netstat -rn`, a
//! switch's MAC address table), for `netlab run --show` and the stepper.

use crate::sim::{NodeId, NodeKind, World};
use std::fmt::Write;
use std::str::FromStr;

/// Which table to show.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Table {
    Arp,
    Routes,
    Mac,
    Counters,
    /// TCP connections and listeners, UDP sockets: `netstat -tuan`.
    Sockets,
    /// A switch's spanning tree: bridge and root ids, each port's role and state.
    Stp,
    /// Interface addresses and DHCP: a client's state and lease, a server's bindings, relays.
    Dhcp,
    /// The resolver's server and cache, a DNS server's zone.
    Dns,
}

impl Table {
    /// Every table's name, as `--show` and the stepper's `show` take them, in the order help
    /// lists them.
    pub const NAMES: [&'static str; 8] = [
        "arp", "routes", "mac", "stp", "sockets", "counters", "dhcp", "dns",
    ];
}

impl FromStr for Table {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "arp" => Ok(Table::Arp),
            "routes" => Ok(Table::Routes),
            "mac" => Ok(Table::Mac),
            "counters" => Ok(Table::Counters),
            "sockets" => Ok(Table::Sockets),
            "stp" => Ok(Table::Stp),
            "dhcp" => Ok(Table::Dhcp),
            "dns" => Ok(Table::Dns),
            _ => {
                let (last, rest) = Table::NAMES.split_last().expect("tables have names");
                Err(format!(
                    "unknown table `{s}`: expected {} or {last}",
                    rest.join(", ")
                ))
            }
        }
    }
}

/// Renders `table` of `node` as it is now. An error says why the node has no such table.
pub fn render(world: &World, node: NodeId, table: Table) -> Result<String, String> {
    let n = world.node(node);
    let now = world.now();
    let mut out = String::new();
    match (table, &n.kind) {
        (Table::Arp, NodeKind::Host(h)) => {
            for (i, cache) in h.neighbours().iter().enumerate() {
                let _ = writeln!(out, "{} (interface {}):", n.name, h.interfaces()[i].name);
                let _ = write!(out, "{}", cache.display(now));
            }
        }
        (Table::Routes, NodeKind::Host(h)) => {
            let names: Vec<&str> = h.interfaces().iter().map(|i| i.name.as_str()).collect();
            let _ = writeln!(out, "{}:", n.name);
            let _ = write!(out, "{}", h.routes().display_with_names(&names));
        }
        (Table::Mac, NodeKind::Switch(sw)) if sw.vlans.is_some() => {
            // Each VLAN learns on its own: the same address may be there once per VLAN.
            let _ = writeln!(out, "{}:", n.name);
            let _ = writeln!(out, "{:<5} {:<6} {:<18} Age", "VLAN", "Port", "MAC address");
            for (vlan, mac, port, age) in sw.table.entries_by_vlan(now) {
                let _ = writeln!(
                    out,
                    "{vlan:<5} {:<6} {:<18} {}",
                    port + 1,
                    mac.to_string(),
                    age
                );
            }
        }
        (Table::Mac, NodeKind::Switch(sw)) => {
            let _ = writeln!(out, "{}:", n.name);
            let _ = writeln!(out, "{:<6} {:<18} Age", "Port", "MAC address");
            for (mac, port, age) in sw.table.entries(now) {
                let _ = writeln!(out, "{:<6} {:<18} {}", port + 1, mac.to_string(), age);
            }
        }
        (Table::Sockets, NodeKind::Host(h)) => {
            let _ = writeln!(out, "{}:", n.name);
            let c = &h.sockets().config;
            let on = |b: bool| if b { "on" } else { "off" };
            let _ = writeln!(
                out,
                "TCP profile {}: sack {}, timestamps {}, window scaling {}, syn_linear_timeouts {}",
                c.profile.name(),
                on(c.sack),
                on(c.timestamps),
                on(c.window_scaling),
                c.syn_linear_timeouts
            );
            let _ = write!(out, "{}", sockets_table(&h.sockets().netstat()));
        }
        (Table::Dhcp, NodeKind::Host(h)) => {
            let _ = writeln!(out, "{}:", n.name);
            dhcp_table(h, now, &mut out);
        }
        (Table::Dns, NodeKind::Host(h)) => {
            let _ = writeln!(out, "{}:", n.name);
            dns_table(h, now, &mut out);
        }
        (Table::Counters, _) => {
            let _ = writeln!(out, "{}:", n.name);
            let list: Vec<(&str, u64)> = match &n.kind {
                NodeKind::Host(h) => h.counters().list(),
                NodeKind::Switch(s) => s.counters.list(),
                NodeKind::Hub(_) => crate::sim::counter_names("hub")
                    .into_iter()
                    .map(|c| (c, world.node_counter(node, c).unwrap_or(0)))
                    .collect(),
                NodeKind::Tap(t) => t.counters.list(),
            };
            for (name, v) in list.into_iter().filter(|(_, v)| *v > 0) {
                let _ = writeln!(out, "  {name:<20} {v}");
            }
        }
        (Table::Stp, NodeKind::Switch(sw)) => match &sw.stp {
            None => {
                let _ = writeln!(
                    out,
                    "{}: spanning tree is off (its cables form no loop of switches, or `stp = false`)",
                    n.name
                );
            }
            Some(stp) => stp_table(&mut out, &n.name, stp),
        },
        (Table::Mac, _) => {
            return Err(format!("`{}` is not a switch: it has no MAC table", n.name))
        }
        (Table::Stp, _) => {
            return Err(format!(
                "`{}` is not a switch: it runs no spanning tree",
                n.name
            ))
        }
        (_, _) => {
            return Err(format!(
                "`{}` is a {}: it has no IP stack",
                n.name,
                n.kind.kind_name()
            ))
        }
    }
    Ok(out)
}

/// A switch's spanning tree as `show spanning-tree` prints it on a switch: who is root and
/// at what cost, then per port its role, state, cost, and who is designated on its cable.
fn stp_table(out: &mut String, name: &str, stp: &crate::switch::stp::Stp) {
    use crate::switch::stp::PortRole;
    let _ = writeln!(out, "{name}: bridge {}", stp.bridge_id());
    if stp.is_root() {
        let _ = writeln!(out, "  root {} (this bridge is the root)", stp.root_id());
    } else {
        let _ = writeln!(
            out,
            "  root {}, cost {}, root port {}",
            stp.root_id(),
            stp.root_path_cost(),
            stp.root_port().map_or(0, |p| p + 1)
        );
    }
    let (max_age, hello, fd) = stp.timers();
    let _ = writeln!(
        out,
        "  hello {hello}, max age {max_age}, forward delay {fd}; topology change {}",
        if stp.topology_change() { "on" } else { "off" }
    );
    let _ = writeln!(
        out,
        "{:<5} {:<11} {:<11} {:>5}  {:<24} Port",
        "Port", "Role", "State", "Cost", "Designated bridge"
    );
    for p in 0..stp.port_count() as u16 {
        let v = stp.port_view(p);
        if v.role == PortRole::Disabled {
            let _ = writeln!(out, "{:<5} {:<11} {:<11}", p + 1, "disabled", "disabled");
            continue;
        }
        let _ = writeln!(
            out,
            "{:<5} {:<11} {:<11} {:>5}  {:<24} {:#06x}",
            p + 1,
            v.role,
            v.state,
            v.path_cost,
            v.designated_bridge,
            v.designated_port
        );
    }
}

/// Each interface's address (and where it came from), then the DHCP client's state and lease
/// times (as `dhclient`'s lease file gives them), the server's bindings, the relays.
fn dhcp_table(h: &crate::host::Host, now: crate::time::Instant, out: &mut String) {
    let d = h.dhcp();
    for (i, iface) in h.interfaces().iter().enumerate() {
        let client = d.and_then(|d| d.clients.iter().find(|(k, _)| *k as usize == i));
        let addr = iface
            .addr
            .map_or("no address".to_string(), |a| a.to_string());
        let _ = write!(out, "  {:<6} {addr}", iface.name);
        match client {
            None => {
                let _ = writeln!(out, " (static)");
            }
            Some((_, c)) => {
                let _ = writeln!(out, " (DHCP client, {})", c.state().name());
                if let Some(l) = c.lease() {
                    let left = |d: crate::time::Duration| {
                        (l.obtained + d).saturating_since(now).to_string()
                    };
                    let _ = writeln!(
                        out,
                        "         server {}, router {}, dns {}; renew in {}, rebind in {}, expires in {}",
                        l.server,
                        l.router.map_or("-".into(), |r| r.to_string()),
                        l.dns.map_or("-".into(), |r| r.to_string()),
                        left(l.t1),
                        left(l.t2),
                        left(l.lease)
                    );
                }
            }
        }
        if let Some((_, helper)) = d.and_then(|d| d.helpers.iter().find(|(k, _)| *k as usize == i))
        {
            let _ = writeln!(out, "         DHCP relay to {helper}");
        }
    }
    if let Some(server) = d.and_then(|d| d.server.as_ref()) {
        for p in &server.pools {
            let _ = writeln!(
                out,
                "  pool {}-{} ({}), lease {}",
                p.first, p.last, p.subnet, p.lease
            );
        }
        let _ = writeln!(out, "  {:<16} {:<18} Expires in", "Address", "Client");
        for (addr, mac, until, offered) in server.leases() {
            if until <= now {
                continue;
            }
            let what = if offered { " (offered)" } else { "" };
            let _ = writeln!(
                out,
                "  {:<16} {:<18} {}{what}",
                addr.to_string(),
                mac.to_string(),
                until.saturating_since(now)
            );
        }
    }
}

/// The resolver (its server, the cached answers with the time they have left) and the zone.
fn dns_table(h: &crate::host::Host, now: crate::time::Instant, out: &mut String) {
    use crate::dns::Resolved;
    let Some(d) = h.dns() else {
        let _ = writeln!(out, "  no resolver: names come from the hosts table");
        return;
    };
    let server = d.resolver.server;
    if server.is_unspecified() {
        let _ = writeln!(
            out,
            "  resolver: no nameserver (names from the hosts table until a DHCP lease names one)"
        );
    } else {
        let _ = writeln!(out, "  resolver: nameserver {server}");
    }
    for (name, _, answer, until) in d.resolver.cached() {
        if until < now || !matches!(answer, Resolved::Addr(_) | Resolved::Name(_)) {
            continue;
        }
        let (t, what) = match answer {
            Resolved::Addr(ip) => ("A", ip.to_string()),
            Resolved::Name(n) => ("PTR", n.clone()),
            _ => continue,
        };
        let _ = writeln!(
            out,
            "  cached {name} {t} {what}, {} left",
            until.saturating_since(now)
        );
    }
    if let Some(z) = &d.zone {
        let _ = writeln!(out, "  zone:");
        for r in &z.records {
            let (t, what) = match &r.data {
                crate::dns::wire::RData::A(ip) => ("A", ip.to_string()),
                crate::dns::wire::RData::Ptr(n) => ("PTR", n.clone()),
            };
            let _ = writeln!(out, "    {} {} {t} {what}", r.name, r.ttl);
        }
    }
}

/// One row of [`crate::host::Sockets::netstat`]: protocol, local address, foreign address,
/// state, receive queue, send queue.
pub type SocketRow = (
    String,
    std::net::SocketAddrV4,
    Option<std::net::SocketAddrV4>,
    String,
    usize,
    usize,
);

/// The rows of [`crate::host::Sockets::netstat`] as `netstat -tuan` prints them: Proto,
/// Recv-Q, Send-Q, Local Address, Foreign Address, State; a listener's queues are its accept
/// queue and its half-open connections.
pub fn sockets_table(rows: &[SocketRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<5} {:>6} {:>6} {:<21} {:<21} State",
        "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address"
    );
    if rows.is_empty() {
        let _ = writeln!(out, "(no sockets)");
    }
    for (proto, local, remote, state, recv_q, send_q) in rows {
        let remote = remote.map_or_else(|| "0.0.0.0:*".to_string(), |r| r.to_string());
        let _ = writeln!(
            out,
            "{proto:<5} {recv_q:>6} {send_q:>6} {:<21} {remote:<21} {state}",
            local.to_string()
        );
    }
    out
}
