//! DNS (RFC 1035): the message format, a caching stub resolver and an authoritative server,
//! each sans-IO. The host (`host/services.rs`) carries their messages over UDP 53.

pub mod resolver;
pub mod server;
pub mod wire;

pub use resolver::{Lookup, Resolved, Resolver};
pub use server::Zone;
pub use wire::DnsRepr;
