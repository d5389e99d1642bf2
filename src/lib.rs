//! netlab: a deterministic TCP/IP protocol stack simulator.
//!
//! See `docs/ARCHITECTURE.md` for the layer picture and how an event flows through the modules.

pub mod apps;
pub mod arp;
pub mod bench;
pub mod browser;
pub mod counters;
pub mod decode;
pub mod dhcp;
pub mod dns;
pub mod ethernet;
pub mod filter;
pub mod host;
pub mod icmp;
pub mod ids;
pub mod infile;
pub mod ip;
pub mod node;
pub mod outfile;
pub mod packetdrill;
pub mod phy;
pub mod rng;
pub mod scenario;
pub mod show;
pub mod sim;
pub mod socket;
pub mod step;
pub mod sweep;
pub mod switch;
pub mod tap;
pub mod tcp;
pub mod time;
pub mod trace;
pub mod udp;
pub mod views;
