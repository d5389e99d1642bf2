//! The routing table: which interface, and which next hop, a packet for a destination leaves by.
//!
//! Lookup is longest-prefix match (RFC 1812 §5.2.4.3): among the routes whose destination
//! network contains the address, the one with the longest prefix wins, so a /24 beats a /16,
//! which beats the default route 0.0.0.0/0. Between routes to the same network the lower
//! metric wins, as in Linux.
//!
//! Routes are kept in a `Vec` sorted by prefix length (longest first), then network address,
//! then metric; a lookup does one binary search per distinct prefix length present in the
//! table, so it costs O(L·log n) for L distinct lengths (at most 33) and never allocates.

use std::cmp::Reverse;
use std::fmt;
use std::net::Ipv4Addr;

use super::addr::Ipv4Cidr;

/// How a route got into the table; shown in the table's text form.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum RouteKind {
    /// The network of an interface address: reachable directly on that link, no gateway
    /// (Linux's `proto kernel scope link`).
    Connected,
    /// Added by configuration for a specific network.
    Static,
    /// The route for 0.0.0.0/0, used when nothing more specific matches.
    Default,
}

impl RouteKind {
    pub const fn name(self) -> &'static str {
        match self {
            RouteKind::Connected => "connected",
            RouteKind::Static => "static",
            RouteKind::Default => "default",
        }
    }
}

/// One row of the routing table.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Route {
    /// The destination network, in network form (host bits zero).
    pub dest: Ipv4Cidr,
    /// The router to send to, or `None` if the destination is on the link of `iface`.
    pub gateway: Option<Ipv4Addr>,
    /// Index of the outgoing interface in the host's interface list.
    pub iface: usize,
    pub kind: RouteKind,
    /// Preference between routes to the same network: lower wins (Linux `metric`).
    pub metric: u32,
}

impl Route {
    /// The connected route for an interface address: `192.168.1.10/24` on `iface` gives
    /// `192.168.1.0/24 dev iface`.
    pub fn connected(iface_addr: Ipv4Cidr, iface: usize) -> Route {
        Route {
            dest: iface_addr.network(),
            gateway: None,
            iface,
            kind: RouteKind::Connected,
            metric: 0,
        }
    }

    /// A route to `dest` through the router `gateway` reachable on `iface`. `dest` is reduced
    /// to its network form; the kind is [`RouteKind::Default`] for a /0 and
    /// [`RouteKind::Static`] otherwise.
    pub fn via(dest: Ipv4Cidr, gateway: Ipv4Addr, iface: usize) -> Route {
        Route {
            dest: dest.network(),
            gateway: Some(gateway),
            iface,
            kind: if dest.prefix_len() == 0 {
                RouteKind::Default
            } else {
                RouteKind::Static
            },
            metric: 0,
        }
    }

    /// The default route `0.0.0.0/0 via gateway`.
    pub fn default_via(gateway: Ipv4Addr, iface: usize) -> Route {
        Route::via(Ipv4Cidr::default_route(), gateway, iface)
    }

    pub fn with_metric(mut self, metric: u32) -> Route {
        self.metric = metric;
        self
    }

    /// The address to resolve with ARP for a packet to `dst` sent by this route: the gateway,
    /// or `dst` itself on a directly connected network.
    pub fn next_hop(&self, dst: Ipv4Addr) -> Ipv4Addr {
        self.gateway.unwrap_or(dst)
    }

    /// The sort key of the table: longest prefix first, then address, then metric.
    fn key(&self) -> (Reverse<u8>, Ipv4Addr, u32) {
        (
            Reverse(self.dest.prefix_len()),
            self.dest.addr(),
            self.metric,
        )
    }
}

impl fmt::Display for Route {
    /// `ip route` style: `default via 10.0.0.1 dev if0`, `10.0.0.0/24 dev if0 proto kernel scope link`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == RouteKind::Default {
            write!(f, "default")?;
        } else {
            write!(f, "{}", self.dest)?;
        }
        if let Some(gw) = self.gateway {
            write!(f, " via {gw}")?;
        }
        write!(f, " dev if{}", self.iface)?;
        if self.kind == RouteKind::Connected {
            write!(f, " proto kernel scope link")?;
        }
        if self.metric != 0 {
            write!(f, " metric {}", self.metric)?;
        }
        Ok(())
    }
}

/// Why a route could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddRouteError {
    #[error(
        "{given} has host bits set: a route's destination is a network, did you mean {network}?"
    )]
    NotNetworkForm { given: Ipv4Cidr, network: Ipv4Cidr },
    #[error("a route to {dest} with metric {metric} already exists")]
    Duplicate { dest: Ipv4Cidr, metric: u32 },
    #[error("a default route must be for 0.0.0.0/0 and only a default route may be ({dest} is marked {kind:?})")]
    KindMismatch { dest: Ipv4Cidr, kind: RouteKind },
    #[error("a connected route has no gateway, but the route to {dest} names {gateway}")]
    ConnectedWithGateway { dest: Ipv4Cidr, gateway: Ipv4Addr },
    /// As Linux's "Nexthop has invalid gateway": the gateway must be on a network directly
    /// connected to the outgoing interface, or the host could not ARP for it.
    #[error("gateway {gateway} is not on any network connected to interface {iface}")]
    GatewayNotOnLink { gateway: Ipv4Addr, iface: usize },
}

/// Why a route could not be deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteRouteError {
    #[error("no route to {0} in the table")]
    NotFound(Ipv4Cidr),
}

/// The routing table of one host or router.
#[derive(Clone, Debug, Default)]
pub struct RoutingTable {
    /// Sorted by [`Route::key`]; keys are unique because duplicates are refused.
    routes: Vec<Route>,
    /// For each distinct prefix length present, longest first: (length, start..end in `routes`).
    by_len: Vec<(u8, usize, usize)>,
}

impl RoutingTable {
    pub fn new() -> RoutingTable {
        RoutingTable::default()
    }

    /// Adds a route after checking it (see [`AddRouteError`]).
    pub fn add(&mut self, route: Route) -> Result<(), AddRouteError> {
        if !route.dest.is_network_form() {
            return Err(AddRouteError::NotNetworkForm {
                given: route.dest,
                network: route.dest.network(),
            });
        }
        if (route.kind == RouteKind::Default) != (route.dest.prefix_len() == 0) {
            return Err(AddRouteError::KindMismatch {
                dest: route.dest,
                kind: route.kind,
            });
        }
        if let Some(gateway) = route.gateway {
            if route.kind == RouteKind::Connected {
                return Err(AddRouteError::ConnectedWithGateway {
                    dest: route.dest,
                    gateway,
                });
            }
            let on_link = self.routes.iter().any(|r| {
                r.kind == RouteKind::Connected && r.iface == route.iface && r.dest.contains(gateway)
            });
            if !on_link {
                return Err(AddRouteError::GatewayNotOnLink {
                    gateway,
                    iface: route.iface,
                });
            }
        }
        let key = route.key();
        match self.routes.binary_search_by(|r| r.key().cmp(&key)) {
            Ok(_) => Err(AddRouteError::Duplicate {
                dest: route.dest,
                metric: route.metric,
            }),
            Err(pos) => {
                self.routes.insert(pos, route);
                self.reindex();
                Ok(())
            }
        }
    }

    /// Adds the connected route for an interface address (see [`Route::connected`]).
    pub fn add_connected(
        &mut self,
        iface_addr: Ipv4Cidr,
        iface: usize,
    ) -> Result<(), AddRouteError> {
        self.add(Route::connected(iface_addr, iface))
    }

    /// Deletes the route to `dest` with the lowest metric (as `ip route del` does) and returns it.
    pub fn delete(&mut self, dest: Ipv4Cidr) -> Result<Route, DeleteRouteError> {
        let pos = self
            .routes
            .iter()
            .position(|r| r.dest == dest)
            .ok_or(DeleteRouteError::NotFound(dest))?;
        let route = self.routes.remove(pos);
        self.reindex();
        Ok(route)
    }

    /// Removes every route through `iface` (the interface went down or lost its address) and
    /// returns them in table order.
    pub fn remove_iface(&mut self, iface: usize) -> Vec<Route> {
        let (gone, kept) = self.routes.iter().partition(|r| r.iface == iface);
        self.routes = kept;
        self.reindex();
        gone
    }

    /// The best route for `dst`: longest prefix, then lowest metric. `None` means "network
    /// unreachable" (a router answers with ICMP destination unreachable, code 0).
    pub fn lookup(&self, dst: Ipv4Addr) -> Option<&Route> {
        let dst = u32::from(dst);
        for &(len, start, end) in &self.by_len {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let net = Ipv4Addr::from(dst & mask);
            let slice = &self.routes[start..end];
            // Within one length the slice is sorted by address then metric, so the first
            // route with this address has the lowest metric.
            let i = slice.partition_point(|r| r.dest.addr() < net);
            if let Some(r) = slice.get(i) {
                if r.dest.addr() == net {
                    return Some(r);
                }
            }
        }
        None
    }

    /// All routes in lookup order: longest prefix first.
    pub fn iter(&self) -> std::slice::Iter<'_, Route> {
        self.routes.iter()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The table as `netstat -rn` would print it, with interface names taken from `names`
    /// (index = interface number; a missing name prints as `if<n>`).
    pub fn display_with_names<'a, S: AsRef<str>>(
        &'a self,
        names: &'a [S],
    ) -> RoutingTableDisplay<'a, S> {
        RoutingTableDisplay { table: self, names }
    }

    fn reindex(&mut self) {
        self.by_len.clear();
        let mut start = 0;
        while start < self.routes.len() {
            let len = self.routes[start].dest.prefix_len();
            let mut end = start + 1;
            while end < self.routes.len() && self.routes[end].dest.prefix_len() == len {
                end += 1;
            }
            self.by_len.push((len, start, end));
            start = end;
        }
    }
}

impl<'a> IntoIterator for &'a RoutingTable {
    type Item = &'a Route;
    type IntoIter = std::slice::Iter<'a, Route>;
    fn into_iter(self) -> Self::IntoIter {
        self.routes.iter()
    }
}

/// Text form of a [`RoutingTable`] with interface names; see [`RoutingTable::display_with_names`].
pub struct RoutingTableDisplay<'a, S> {
    table: &'a RoutingTable,
    names: &'a [S],
}

impl<S: AsRef<str>> fmt::Display for RoutingTableDisplay<'_, S> {
    /// `netstat -rn` columns plus the prefix length and the kind. Flags: `U` route is up,
    /// `G` goes through a gateway, `H` the destination is a single host (/32).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16}{:<16}{:<16}{:<7}{:<6}{:<7}{:<8}Kind",
            "Destination", "Gateway", "Genmask", "Prefix", "Flags", "Metric", "Iface"
        )?;
        for r in &self.table.routes {
            let mut flags = String::from("U");
            if r.gateway.is_some() {
                flags.push('G');
            }
            if r.dest.prefix_len() == 32 {
                flags.push('H');
            }
            let iface = match self.names.get(r.iface) {
                Some(name) => name.as_ref().to_string(),
                None => format!("if{}", r.iface),
            };
            writeln!(
                f,
                "{:<16}{:<16}{:<16}{:<7}{:<6}{:<7}{:<8}{}",
                r.dest.addr(),
                r.gateway.unwrap_or(Ipv4Addr::UNSPECIFIED),
                r.dest.netmask(),
                format!("/{}", r.dest.prefix_len()),
                flags,
                r.metric,
                iface,
                r.kind.name()
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for RoutingTable {
    /// Same as [`RoutingTable::display_with_names`] with interfaces named `if0`, `if1`, ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let no_names: &[&str] = &[];
        self.display_with_names(no_names).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }
    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    /// A router with two LANs, a transit link and a default route.
    fn router() -> RoutingTable {
        let mut t = RoutingTable::new();
        t.add_connected(cidr("192.168.1.1/24"), 0).unwrap();
        t.add_connected(cidr("10.0.0.1/30"), 1).unwrap();
        t.add(Route::via(cidr("172.16.0.0/12"), ip("10.0.0.2"), 1))
            .unwrap();
        t.add(Route::via(cidr("172.16.5.0/24"), ip("192.168.1.254"), 0))
            .unwrap();
        t.add(Route::default_via(ip("10.0.0.2"), 1)).unwrap();
        t
    }

    #[test]
    fn longest_prefix_wins() {
        let t = router();
        let r = t.lookup(ip("192.168.1.77")).unwrap();
        assert_eq!(r.kind, RouteKind::Connected);
        assert_eq!(r.next_hop(ip("192.168.1.77")), ip("192.168.1.77"));

        let r = t.lookup(ip("172.16.5.9")).unwrap();
        assert_eq!(r.dest, cidr("172.16.5.0/24"));
        assert_eq!(r.next_hop(ip("172.16.5.9")), ip("192.168.1.254"));

        let r = t.lookup(ip("172.20.0.1")).unwrap();
        assert_eq!(r.dest, cidr("172.16.0.0/12"));

        let r = t.lookup(ip("8.8.8.8")).unwrap();
        assert_eq!(r.kind, RouteKind::Default);
        assert_eq!(r.next_hop(ip("8.8.8.8")), ip("10.0.0.2"));
    }

    #[test]
    fn no_default_route_means_unreachable() {
        let mut t = RoutingTable::new();
        t.add_connected(cidr("192.168.1.10/24"), 0).unwrap();
        assert!(t.lookup(ip("192.168.2.1")).is_none());
        assert!(t.lookup(ip("192.168.1.255")).is_some());
    }

    #[test]
    fn host_route_and_metric_tie_break() {
        let mut t = router();
        t.add(Route::via(cidr("172.16.5.7/32"), ip("10.0.0.2"), 1))
            .unwrap();
        assert_eq!(t.lookup(ip("172.16.5.7")).unwrap().dest.prefix_len(), 32);
        // A second route to the same network with a higher metric loses; with a lower one wins.
        t.add(Route::via(cidr("172.16.0.0/12"), ip("192.168.1.2"), 0).with_metric(10))
            .unwrap();
        assert_eq!(
            t.lookup(ip("172.31.0.1")).unwrap().gateway,
            Some(ip("10.0.0.2"))
        );
        t.delete(cidr("172.16.0.0/12")).unwrap();
        assert_eq!(
            t.lookup(ip("172.31.0.1")).unwrap().gateway,
            Some(ip("192.168.1.2"))
        );
    }

    #[test]
    fn add_and_delete_errors() {
        let mut t = router();
        assert_eq!(
            t.add(Route::connected(cidr("192.168.1.5/24"), 0)),
            Err(AddRouteError::Duplicate {
                dest: cidr("192.168.1.0/24"),
                metric: 0
            })
        );
        let mut bad = Route::via(cidr("10.9.0.0/16"), ip("10.0.0.2"), 1);
        bad.dest = cidr("10.9.1.0/16");
        assert!(matches!(
            t.add(bad),
            Err(AddRouteError::NotNetworkForm { .. })
        ));
        assert_eq!(
            t.add(Route::via(cidr("10.9.0.0/16"), ip("10.5.5.5"), 1)),
            Err(AddRouteError::GatewayNotOnLink {
                gateway: ip("10.5.5.5"),
                iface: 1
            })
        );
        // The gateway is on a connected network, but of another interface.
        assert!(matches!(
            t.add(Route::via(cidr("10.9.0.0/16"), ip("192.168.1.3"), 1)),
            Err(AddRouteError::GatewayNotOnLink { .. })
        ));
        let mut wrong_kind = Route::via(cidr("10.9.0.0/16"), ip("10.0.0.2"), 1);
        wrong_kind.kind = RouteKind::Default;
        assert!(matches!(
            t.add(wrong_kind),
            Err(AddRouteError::KindMismatch { .. })
        ));
        let mut with_gw = Route::connected(cidr("10.7.0.0/16"), 1);
        with_gw.gateway = Some(ip("10.0.0.2"));
        assert!(matches!(
            t.add(with_gw),
            Err(AddRouteError::ConnectedWithGateway { .. })
        ));
        assert_eq!(
            t.delete(cidr("10.99.0.0/16")),
            Err(DeleteRouteError::NotFound(cidr("10.99.0.0/16")))
        );
        let n = t.len();
        assert_eq!(
            t.delete(Ipv4Cidr::default_route()).unwrap().kind,
            RouteKind::Default
        );
        assert_eq!(t.len(), n - 1);
        assert!(t.lookup(ip("8.8.8.8")).is_none());
    }

    #[test]
    fn removing_an_interface_removes_its_routes() {
        let mut t = router();
        let gone = t.remove_iface(1);
        assert_eq!(gone.len(), 3);
        assert_eq!(t.len(), 2);
        assert!(t.lookup(ip("8.8.8.8")).is_none());
        assert!(t.lookup(ip("172.16.5.1")).is_some());
    }

    #[test]
    fn displays_like_netstat_and_ip_route() {
        let t = router();
        let text = t.display_with_names(&["eth0", "eth1"]).to_string();
        let expected = "\
Destination     Gateway         Genmask         Prefix Flags Metric Iface   Kind
10.0.0.0        0.0.0.0         255.255.255.252 /30    U     0      eth1    connected
172.16.5.0      192.168.1.254   255.255.255.0   /24    UG    0      eth0    static
192.168.1.0     0.0.0.0         255.255.255.0   /24    U     0      eth0    connected
172.16.0.0      10.0.0.2        255.240.0.0     /12    UG    0      eth1    static
0.0.0.0         10.0.0.2        0.0.0.0         /0     UG    0      eth1    default
";
        assert_eq!(text, expected);
        assert!(t.to_string().contains(" if1 "));
        let lines: Vec<String> = t.iter().map(|r| r.to_string()).collect();
        assert_eq!(lines[0], "10.0.0.0/30 dev if1 proto kernel scope link");
        assert_eq!(lines[4], "default via 10.0.0.2 dev if1");
    }

    proptest! {
        /// The indexed lookup agrees with a plain scan for the longest matching prefix.
        #[test]
        fn lookup_matches_a_linear_scan(
            nets in proptest::collection::vec((any::<u32>(), 0u8..=32, 0u32..3), 0..40),
            probes in proptest::collection::vec(any::<u32>(), 1..40),
        ) {
            let mut t = RoutingTable::new();
            for (i, (addr, len, metric)) in nets.iter().enumerate() {
                let dest = Ipv4Cidr::new(Ipv4Addr::from(*addr), *len).unwrap().network();
                let kind = if *len == 0 { RouteKind::Default } else { RouteKind::Static };
                let _ = t.add(Route { dest, gateway: None, iface: i, kind, metric: *metric });
            }
            for p in probes {
                let dst = Ipv4Addr::from(p);
                let expected = t
                    .iter()
                    .filter(|r| r.dest.contains(dst))
                    .min_by_key(|r| (Reverse(r.dest.prefix_len()), r.metric));
                prop_assert_eq!(t.lookup(dst), expected);
            }
        }
    }
}
