//! UDP (RFC 768): the datagram format and its checksum.

pub mod wire;

pub use wire::{UdpParseError, UdpRepr};
