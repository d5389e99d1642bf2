//! DHCP (RFC 2131): the message format, the client state machine and the server, each
//! sans-IO. The host (`host/dhcp.rs`) carries their messages over UDP 67/68 and applies
//! leases to its interfaces; a router's interface with a `helper` relays (RFC 1542 §4).

pub mod client;
pub mod server;
pub mod wire;

pub use client::{ClientOut, ClientState, DhcpClient, Lease};
pub use server::{DhcpServer, Pool};
pub use wire::{DhcpRepr, MessageType};

use crate::ethernet::MacAddr;
use crate::ip::Ipv4Cidr;
use crate::time::Duration;
use std::net::Ipv4Addr;

/// What DHCP did, for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DhcpEvent {
    /// The client moved between states (RFC 2131 figure 5).
    ClientState { from: ClientState, to: ClientState },
    /// The client configured its interface with a lease.
    Bound {
        addr: Ipv4Cidr,
        lease: Duration,
        server: Ipv4Addr,
    },
    /// The lease ran out before it could be renewed.
    Expired { addr: Ipv4Cidr },
    /// A NAK: the client was refused (or, at a server, the server refused).
    Refused,
    /// The server offered `addr` to `client`.
    Offered { client: MacAddr, addr: Ipv4Addr },
    /// The server leased `addr` to `client`.
    Acked {
        client: MacAddr,
        addr: Ipv4Addr,
        lease: Duration,
    },
    /// No free address was left for `client`.
    PoolExhausted { client: MacAddr },
    /// The server has no pool for the subnet of `subnet` (the relay's giaddr or its own).
    NoPool { subnet: Ipv4Addr },
    /// A relay passed a message on (to the server, or back to the client's subnet).
    Relayed { to: Ipv4Addr, giaddr: Ipv4Addr },
}

impl DhcpEvent {
    /// One line for the text log.
    pub fn describe(&self) -> String {
        match self {
            DhcpEvent::ClientState { from, to } => {
                format!("DHCP client {} -> {}", from.name(), to.name())
            }
            DhcpEvent::Bound {
                addr,
                lease,
                server,
            } => format!("DHCP bound {addr} from {server}, lease {lease}"),
            DhcpEvent::Expired { addr } => format!("DHCP lease of {addr} expired"),
            DhcpEvent::Refused => "DHCP NAK".to_string(),
            DhcpEvent::Offered { client, addr } => format!("DHCP server offers {addr} to {client}"),
            DhcpEvent::Acked {
                client,
                addr,
                lease,
            } => format!("DHCP server leases {addr} to {client} for {lease}"),
            DhcpEvent::PoolExhausted { client } => {
                format!("DHCP server: no free address for {client}")
            }
            DhcpEvent::NoPool { subnet } => {
                format!("DHCP server: no pool for the subnet of {subnet}")
            }
            DhcpEvent::Relayed { to, giaddr } => format!("DHCP relay to {to} (giaddr {giaddr})"),
        }
    }
}
