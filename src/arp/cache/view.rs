//! The neighbour table as people read it: one row per entry and the text of `arp -n`.

use super::{ArpCache, NeighborState};
use crate::time::{Duration, Instant};
use pnet_base::MacAddr;
use std::fmt;
use std::net::Ipv4Addr;

/// One row of [`ArpCache::entries`], for `arp -n`-like output.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ArpEntryView {
    pub ip: Ipv4Addr,
    pub mac: Option<MacAddr>,
    pub state: NeighborState,
    /// Time until the entry's next automatic change (REACHABLE → STALE, next request,
    /// removal, …); `None` for a permanent entry.
    pub expires_in: Option<Duration>,
    /// Packets waiting for the address.
    pub queued: usize,
}

impl<P> ArpCache<P> {
    /// A snapshot of the table in address order, for display.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = ArpEntryView> + '_ {
        let config = self.config;
        self.entries.iter().map(move |(ip, e)| {
            let next_change = match e.state {
                NeighborState::Permanent => None,
                NeighborState::Reachable => Some(e.confirmed + config.reachable_time),
                NeighborState::Stale => Some(e.stale_deadline(&config)),
                _ => e.timer,
            };
            ArpEntryView {
                ip: *ip,
                mac: if e.state.has_address() { e.mac } else { None },
                state: e.state,
                expires_in: next_change.map(|t| t.saturating_since(now)),
                queued: e.queue.len(),
            }
        })
    }

    /// The table as `arp -n` / `ip neigh` would show it at `now`.
    pub fn display(&self, now: Instant) -> ArpTableDisplay<'_, P> {
        ArpTableDisplay { cache: self, now }
    }
}

/// Text form of an [`ArpCache`]; see [`ArpCache::display`].
pub struct ArpTableDisplay<'a, P> {
    cache: &'a ArpCache<P>,
    now: Instant,
}

impl<P> fmt::Display for ArpTableDisplay<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:<18} {:<11} {:<9} Queued",
            "Address", "HWaddress", "State", "Expires"
        )?;
        for e in self.cache.entries(self.now) {
            let mac = match e.mac {
                Some(m) => m.to_string(),
                None => "(incomplete)".to_string(),
            };
            let expires = match e.expires_in {
                Some(d) => d.to_string(),
                None => "never".to_string(),
            };
            writeln!(
                f,
                "{:<16} {:<18} {:<11} {:<9} {}",
                e.ip.to_string(),
                mac,
                e.state.name(),
                expires,
                e.queued
            )?;
        }
        Ok(())
    }
}
