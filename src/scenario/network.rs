//! The validated network: nodes (hosts and routers, switches, hubs, TAPs), their interfaces
//! and services, and the links between them, as validation leaves them for the timeline,
//! the expectations and `instantiate` to read.

use crate::ethernet::MacAddr;
use crate::phy::LinkConfig;
use crate::switch::MacTableConfig;

/// A network interface of a host, as the scenario declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceSpec {
    pub name: String,
    pub mac: MacAddr,
    pub promiscuous: bool,
    pub addr: Option<crate::ip::Ipv4Cidr>,
    /// An 802.1Q sub-interface: (parent interface index, VLAN id).
    pub vlan: Option<(u16, u16)>,
    /// `ip = "dhcp"`: the address comes from a DHCP server.
    pub dhcp: bool,
    /// A router's DHCP relay target (`helper = "10.0.0.5"`).
    pub helper: Option<std::net::Ipv4Addr>,
}

/// A host's LAN services, as the scenario gives them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostServices {
    /// A DHCP server's pools (none: no server).
    pub dhcp_pools: Vec<crate::dhcp::Pool>,
    /// `dns = "10.0.0.53"`: the resolver's server.
    pub dns: Option<std::net::Ipv4Addr>,
    /// `dns_zone`: the records a DNS server on this host answers with (none: no server).
    pub dns_zone: Vec<crate::dns::wire::Answer>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeSpecKind {
    /// A host, or a router when `forwarding`.
    Host {
        interfaces: Vec<InterfaceSpec>,
        /// Routes besides the connected ones (default route, static routes).
        routes: Vec<crate::ip::Route>,
        forwarding: bool,
        ttl: u8,
        /// TCP settings (Linux's defaults unless the scenario says otherwise).
        tcp: Box<crate::tcp::TcpConfig>,
        /// DHCP server pools, DNS resolver and zone.
        services: Box<HostServices>,
    },
    Switch {
        ports: u16,
        table: MacTableConfig,
        /// Spanning tree settings, when the switch runs it.
        stp: Option<crate::switch::stp::StpConfig>,
        /// Ports' VLAN settings (0-based ports; `None`: no VLANs, every frame in VLAN 1).
        vlans: Option<Vec<(u16, crate::switch::PortVlan)>>,
    },
    Hub {
        ports: u16,
        /// Its cables are one shared medium with CSMA/CD (`half_duplex = true`).
        half_duplex: bool,
    },
    /// The kernel's side of a TAP (one port).
    Tap(crate::tap::TapSpec),
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    pub name: String,
    pub kind: NodeSpecKind,
}

impl NodeSpecKind {
    /// What the node is, as errors and `sim::counter_names` call it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            NodeSpecKind::Host {
                forwarding: true, ..
            } => "router",
            NodeSpecKind::Host { .. } => "host",
            NodeSpecKind::Switch { .. } => "switch",
            NodeSpecKind::Hub { .. } => "hub",
            NodeSpecKind::Tap(_) => "tap",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    pub name: String,
    /// `(node index, port index)` of each end.
    pub ends: [(usize, u16); 2],
    pub config: LinkConfig,
    /// `medium = "shared"`: one half-duplex cable, its two ends one collision domain.
    pub shared: bool,
}

/// The interfaces of a host or router (none for switches and hubs).
pub(crate) fn host_ifaces(n: &NodeSpec) -> &[InterfaceSpec] {
    match &n.kind {
        NodeSpecKind::Host { interfaces, .. } => interfaces,
        _ => &[],
    }
}
