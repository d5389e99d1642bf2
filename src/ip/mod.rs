//! The network layer: IPv4 addresses and prefixes, the routing table, the IPv4 header, and
//! fragmentation and reassembly.

pub mod addr;
pub mod checksum;
pub mod frag;
pub mod route;
pub mod wire;

pub use addr::{addr_kind, AddrKind, CidrParseError, Ipv4Cidr, NetmaskError, LIMITED_BROADCAST};
pub use frag::{fragment, FragKey, FragmentError, FragmentOutcome, Reassembler, ReassemblyConfig};
pub use route::{Route, RouteKind, RoutingTable};
pub use wire::{IpProtocol, Ipv4ParseError, Ipv4Repr};
