//! netlab: a deterministic TCP/IP protocol stack simulator.
//!
//! See `docs/ARCHITECTURE.md` for the layer picture and how an event flows through the modules.

pub mod arp;
pub mod icmp;
pub mod ip;
pub mod time;
pub mod udp;
