//! netlab: a deterministic TCP/IP protocol stack simulator.
//!
//! See `docs/ARCHITECTURE.md` for the layer picture and how an event flows through the modules.

pub mod tcp;
pub mod time;
