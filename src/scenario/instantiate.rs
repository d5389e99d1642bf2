//! From a validated [`Scenario`] to a fresh [`World`]: its nodes, their DHCP and DNS roles,
//! and the links between them.

use super::network::{HostServices, InterfaceSpec, NodeSpecKind};
use super::spec::Scenario;
use crate::arp::ArpConfig;
use crate::host::{Host, HostConfig, Interface};
use crate::sim::{NodeKind, World};
use crate::switch::{Hub, Switch};
use crate::time::Instant;
use crate::trace::Trace;

/// Gives a host its DHCP client (one stream per host: xid, start delay), relay and server.
fn add_dhcp_roles(
    host: &mut Host,
    interfaces: &[InterfaceSpec],
    pools: &[crate::dhcp::Pool],
    seed: u64,
    index: usize,
) {
    for (i, spec) in interfaces.iter().enumerate() {
        if spec.dhcp {
            let rng = crate::rng::stream(seed, "dhcp", index as u64 * 64 + i as u64);
            let client = crate::dhcp::DhcpClient::new(spec.mac, Instant::ZERO, rng);
            host.dhcp_mut().clients.push((i as u16, client));
        }
        if let Some(h) = spec.helper {
            host.dhcp_mut().helpers.push((i as u16, h));
        }
    }
    if !pools.is_empty() {
        host.dhcp_mut().server = Some(crate::dhcp::DhcpServer::new(pools.to_vec()));
    }
}

/// Gives a host its resolver (configured, or waiting for a DHCP lease to name a server) and
/// its DNS server. Hosts with neither keep reading the hosts table.
fn add_dns_roles(
    host: &mut Host,
    interfaces: &[InterfaceSpec],
    services: &HostServices,
    seed: u64,
    index: usize,
) {
    let dhcp = interfaces.iter().any(|i| i.dhcp);
    if services.dns.is_none() && !dhcp && services.dns_zone.is_empty() {
        return;
    }
    let zone = (!services.dns_zone.is_empty()).then(|| crate::dns::Zone {
        records: services.dns_zone.clone(),
    });
    let server = services.dns.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    host.set_dns(server, crate::rng::stream(seed, "dns", index as u64), zone);
}

/// Builds a fresh world for a scenario.
pub(crate) fn instantiate(scn: &Scenario, seed: u64, trace: Trace) -> World {
    let trace_on = trace.on();
    let mut world = World::new(trace);
    world.limits = scn.limits;
    world.seed = seed;
    for (index, n) in scn.nodes.iter().enumerate() {
        let (kind, ports) = match &n.kind {
            NodeSpecKind::Host {
                interfaces,
                routes,
                forwarding,
                ttl,
                tcp,
                services,
            } => {
                let ifs = interfaces
                    .iter()
                    .map(|i| Interface {
                        vlan: i.vlan,
                        name: i.name.clone(),
                        mac: i.mac,
                        promiscuous: i.promiscuous,
                        up: true,
                        addr: i.addr,
                        mtu: 1500,
                    })
                    .collect::<Vec<_>>();
                let count = ifs.len() as u16;
                let config = HostConfig {
                    ttl: *ttl,
                    tcp: (**tcp).clone(),
                    arp: ArpConfig {
                        trace: trace_on,
                        ..ArpConfig::default()
                    },
                    ..HostConfig::default()
                };
                let mut host = Host::with_config(ifs, *forwarding, config);
                // Each host its own stream (ISNs, ephemeral ports), derived from the seed.
                host.seed(crate::rng::stream(seed, "host", index as u64));
                for r in routes {
                    // Validated against the same rules when the scenario was loaded.
                    let _ = host.add_route(*r);
                }
                add_dhcp_roles(&mut host, interfaces, &services.dhcp_pools, seed, index);
                add_dns_roles(&mut host, interfaces, services, seed, index);
                (NodeKind::Host(Box::new(host)), count)
            }
            NodeSpecKind::Switch {
                ports,
                table,
                stp,
                vlans,
            } => {
                let mut sw = Switch::new(*ports, table.clone());
                if let Some(v) = vlans {
                    let mut list = Vec::new();
                    for (p, pv) in v {
                        if usize::from(*p) >= list.len() {
                            list.resize(usize::from(*p) + 1, crate::switch::PortVlan::Access(1));
                        }
                        list[usize::from(*p)] = pv.clone();
                    }
                    sw = sw.with_vlans(list);
                }
                if let Some(cfg) = stp {
                    // A port takes part when a cable is plugged in; its cost is its link's
                    // speed's (802.1D-1998 table 8-5).
                    let mut costs = vec![None; *ports as usize];
                    for l in &scn.links {
                        for (n, p) in l.ends {
                            if n == index {
                                costs[p as usize] =
                                    Some(crate::switch::stp::path_cost(l.config.bandwidth.bps()));
                            }
                        }
                    }
                    let stp = crate::switch::stp::Stp::new(Instant::ZERO, cfg.clone(), &costs);
                    sw = sw.with_stp(stp);
                }
                (NodeKind::Switch(sw), *ports)
            }
            NodeSpecKind::Hub { ports, .. } => (
                NodeKind::Hub(Hub {
                    ports: *ports,
                    repeated: 0,
                    medium: None,
                }),
                *ports,
            ),
            NodeSpecKind::Tap(t) => (NodeKind::Tap(crate::tap::TapPort::new(&t.ifname)), 1),
        };
        let id = world.add_node(n.name.clone(), kind, ports);
        // A DHCP client starts at boot, before any event would wake its host.
        if let NodeKind::Host(h) = &world.node(id).kind {
            if h.dhcp().is_some() {
                world.reschedule_wake(id);
            }
        }
    }
    for (i, l) in scn.links.iter().enumerate() {
        let a = (crate::sim::NodeId(l.ends[0].0 as u32), l.ends[0].1);
        let b = (crate::sim::NodeId(l.ends[1].0 as u32), l.ends[1].1);
        world.add_link(
            l.name.clone(),
            a,
            b,
            l.config.clone(),
            crate::rng::stream(seed, "link", i as u64),
        );
    }
    // An interface's MTU is its link's.
    for l in &scn.links {
        for (node, port) in l.ends {
            if let NodeKind::Host(h) = &mut world.node_mut(crate::sim::NodeId(node as u32)).kind {
                h.set_mtu(port as usize, l.config.mtu);
            }
        }
    }
    super::media::make_shared(&mut world, scn, seed);
    // Switches running spanning tree send their first BPDUs at once.
    for (i, n) in scn.nodes.iter().enumerate() {
        if let NodeSpecKind::Switch { stp: Some(_), .. } = n.kind {
            world.reschedule_wake(crate::sim::NodeId(i as u32));
        }
    }
    for (i, a) in scn.actions.iter().enumerate() {
        world.schedule_script(a.time, i as u32);
    }
    world
}
