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
