//! ARP (RFC 826): the packet format and the neighbour table that maps next-hop IPv4
//! addresses to Ethernet addresses.

pub mod cache;
pub mod wire;

pub use cache::{
    ArpCache, ArpConfig, ArpEntryView, ArpEvent, ArpInput, ArpInputError, ArpRequest,
    ArpTimerAction, DropReason, NeighborState, QueueOverflow, Released, RemoveReason, Resolve,
};
pub use wire::{ArpOperation, ArpParseError, ArpRepr};
