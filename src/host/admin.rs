//! What code outside the host may see of it and change in it (issue #18, item 7): read-only
//! views of its tables, for `show`, expectations and the pictures, and the administrator's
//! commands (`ip route`, `ip neigh`, `ip link set mtu`, the TCP sysctls) for the scenario's
//! timeline, the world's builders and packetdrill. The fields stay the host's own, so each
//! layer's invariants are kept in one place.

use super::{Host, HostConfig, HostCounters, Interface, Sockets};
use crate::arp::ArpCache;
use crate::ethernet::MacAddr;
use crate::ip::route::{AddRouteError, DeleteRouteError};
use crate::ip::{Ipv4Cidr, Route, RoutingTable};
use crate::tcp::TcpConfig;
use crate::time::Instant;
use std::net::Ipv4Addr;

impl Host {
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    pub fn counters(&self) -> &HostCounters {
        &self.counters
    }

    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    pub fn routes(&self) -> &RoutingTable {
        &self.routes
    }

    /// The neighbour tables, one per interface (by port).
    pub fn neighbours(&self) -> &[ArpCache<Vec<u8>>] {
        &self.arp
    }

    pub fn sockets(&self) -> &Sockets {
        &self.sockets
    }

    /// `ip route add`.
    pub fn add_route(&mut self, route: Route) -> Result<(), AddRouteError> {
        self.routes.add(route)
    }

    /// `ip route del`.
    pub fn delete_route(&mut self, dest: Ipv4Cidr) -> Result<Route, DeleteRouteError> {
        self.routes.delete(dest)
    }

    /// `ip neigh add … nud permanent` on the interface at `port`.
    pub fn add_static_neighbour(&mut self, port: usize, now: Instant, ip: Ipv4Addr, mac: MacAddr) {
        if let Some(cache) = self.arp.get_mut(port) {
            // A datagram released by it would wait for the next wake; a builder adds static
            // entries before any is queued.
            let _ = cache.add_static(now, ip, mac);
        }
    }

    /// `ip neigh flush all`: every entry forgotten, datagrams waiting for one dropped.
    pub fn flush_neighbours(&mut self) {
        for cache in &mut self.arp {
            cache.flush();
        }
    }

    /// `ip link set mtu` on the interface at `port` (none there: nothing happens).
    pub fn set_mtu(&mut self, port: usize, mtu: usize) {
        if let Some(i) = self.interfaces.get_mut(port) {
            i.mtu = mtu;
        }
    }

    /// The TCP sysctls new connections take from now on.
    pub fn set_tcp_config(&mut self, tcp: TcpConfig) {
        self.sockets.config = tcp;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arp::NeighborState;

    fn host() -> Host {
        let mut eth0 = Interface::new("eth0", MacAddr::new(2, 0, 0, 0, 0, 1));
        eth0.addr = Some("10.0.0.1/24".parse().unwrap());
        Host::new(vec![eth0], false)
    }

    #[test]
    fn routes_are_added_checked_and_deleted() {
        let mut h = host();
        let gw = Ipv4Addr::new(10, 0, 0, 254);
        h.add_route(Route::default_via(gw, 0)).unwrap();
        assert!(h.routes().iter().any(|r| r.gateway == Some(gw)));
        // The same route twice, or through a gateway no interface reaches, is refused.
        assert!(h.add_route(Route::default_via(gw, 0)).is_err());
        let far = "192.168.9.0/24".parse().unwrap();
        assert!(h
            .add_route(Route::via(far, Ipv4Addr::new(172, 16, 0, 1), 0))
            .is_err());
        let default = "0.0.0.0/0".parse().unwrap();
        assert_eq!(h.delete_route(default).unwrap().gateway, Some(gw));
        assert!(h.delete_route(default).is_err());
    }

    #[test]
    fn a_static_neighbour_survives_a_flush() {
        let mut h = host();
        let ip = Ipv4Addr::new(10, 0, 0, 2);
        h.add_static_neighbour(0, Instant::ZERO, ip, MacAddr::new(2, 0, 0, 0, 0, 2));
        // No interface 3: nothing to add it to, and nothing breaks.
        h.add_static_neighbour(3, Instant::ZERO, ip, MacAddr::new(2, 0, 0, 0, 0, 2));
        assert_eq!(h.neighbours()[0].state(ip), Some(NeighborState::Permanent));
        h.flush_neighbours();
        assert_eq!(h.neighbours()[0].state(ip), Some(NeighborState::Permanent));
    }

    #[test]
    fn mtu_and_tcp_settings_change_only_what_they_name() {
        let mut h = host();
        h.set_mtu(0, 1400);
        h.set_mtu(9, 1000);
        assert_eq!(h.interfaces()[0].mtu, 1400);
        let mut tcp = h.sockets().config.clone();
        tcp.sack = !tcp.sack;
        h.set_tcp_config(tcp.clone());
        assert_eq!(h.sockets().config, tcp);
        assert_eq!(h.counters().tx_frames, 0);
    }
}
