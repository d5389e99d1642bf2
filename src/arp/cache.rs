//! The neighbour table of one interface: IPv4 address → Ethernet address, as a sans-IO core.
//!
//! It follows RFC 826 for learning and Linux's neighbour state machine (`net/core/neighbour.c`,
//! "NUD" = neighbour unreachability detection) for timing:
//!
//! ```text
//!            first packet            reply for us
//!   (none) ──────────────► INCOMPLETE ───────────► REACHABLE ◄────────────┐
//!                           │  broadcast request       │ reachable_time    │ confirmed
//!                           │  every retrans_time      ▼ without confirm   │
//!            no reply after │                        STALE ── packet ──► DELAY
//!            3 requests     ▼                          │ gc_stale_time     │ delay_first_probe_time
//!                         FAILED ◄──── no reply ───── PROBE ◄─────────────┘ without confirm
//!                           │ (queued packets back    (unicast requests
//!                           ▼  to the host: ICMP        every retrans_time)
//!                         removed    host unreachable)
//! ```
//!
//! Nothing here reads a clock or sends a frame: [`ArpCache::resolve`], [`ArpCache::on_arp`] and
//! [`ArpCache::on_timer`] take `now` and return what the host must transmit.
//! [`ArpCache::poll_at`] says when `on_timer` next has work; calling it early is harmless.
//! Every change is also recorded as an [`ArpEvent`] for the trace (see [`ArpCache::drain_events`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::net::Ipv4Addr;

use pnet_base::MacAddr;

use super::wire::{ArpOperation, ArpRepr};

mod view;
use crate::ip::addr::{addr_kind, AddrKind};
use crate::time::{Duration, Instant};
pub use view::{ArpEntryView, ArpTableDisplay};

/// What to do when a packet arrives for an address whose queue is full.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum QueueOverflow {
    /// Drop the oldest queued packet to make room, as Linux does (`__neigh_event_send`).
    DropOldest,
    /// Refuse the new packet, keeping the first ones (so the first ping of a burst survives).
    DropNewest,
}

/// Timing and limits of the neighbour table. Defaults are Linux's
/// (`/proc/sys/net/ipv4/neigh/default/*` and `/proc/sys/net/ipv4/neigh/<if>/*`).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ArpConfig {
    /// Broadcast requests sent for an unresolved address before giving up: `mcast_solicit` = 3.
    pub broadcast_probes: u32,
    /// Unicast requests sent to re-check a stale entry before giving up: `ucast_solicit` = 3.
    pub unicast_probes: u32,
    /// Time between requests: `retrans_time_ms` = 1000 ms.
    pub retrans_time: Duration,
    /// How long a confirmed entry stays REACHABLE. Linux draws it at random between 0.5 and
    /// 1.5 × `base_reachable_time_ms` (30 s); netlab takes it as given (30 s) so runs are
    /// reproducible. A host that wants Linux's jitter draws it from its seeded RNG and sets it.
    pub reachable_time: Duration,
    /// Wait in DELAY for an upper-layer confirmation before probing: `delay_first_probe_time` = 5 s.
    pub delay_first_probe_time: Duration,
    /// A STALE entry unused for this long is removed: `gc_stale_time` = 60 s. (Linux only
    /// collects when the table holds more than `gc_thresh1` = 128 entries; netlab always does,
    /// so expiry can be seen in small networks.)
    pub gc_stale_time: Duration,
    /// A FAILED entry is removed this long after it failed. Linux removes it at its next
    /// periodic collection, which runs every `base_reachable_time / 2` = 15 s.
    pub failed_gc_time: Duration,
    /// Packets held per unresolved address: Linux `unres_qlen` = 3 (newer kernels bound the
    /// queue in bytes instead, `unres_qlen_bytes`; 3 packets is the classic default).
    pub queue_len: usize,
    pub queue_overflow: QueueOverflow,
    /// Maximum number of entries: `gc_thresh3` = 1024. When full, a FAILED or the least
    /// recently used STALE entry is evicted; if there is none, the new address is refused.
    pub max_entries: usize,
    /// Record [`ArpEvent`]s (off for benchmarks that do not read the trace).
    pub trace: bool,
}

impl Default for ArpConfig {
    fn default() -> Self {
        ArpConfig {
            broadcast_probes: 3,
            unicast_probes: 3,
            retrans_time: Duration::from_secs(1),
            reachable_time: Duration::from_secs(30),
            delay_first_probe_time: Duration::from_secs(5),
            gc_stale_time: Duration::from_secs(60),
            failed_gc_time: Duration::from_secs(15),
            queue_len: 3,
            queue_overflow: QueueOverflow::DropOldest,
            max_entries: 1024,
            trace: true,
        }
    }
}

/// The state of an entry, named as `ip neigh` shows them.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum NeighborState {
    /// A request was sent; no answer yet. Packets wait in the queue.
    Incomplete,
    /// Confirmed recently (a reply to us, or an upper-layer confirmation).
    Reachable,
    /// Known address, not confirmed lately. Still used; using it starts a re-check (DELAY).
    Stale,
    /// Used while stale; waiting a little for an upper-layer confirmation before probing.
    Delay,
    /// Sending unicast requests to the known address to confirm it.
    Probe,
    /// Resolution failed. The next packet starts a new resolution.
    Failed,
    /// Added by configuration (`arp -s`); never expires and ARP traffic does not change it.
    Permanent,
}

impl NeighborState {
    /// States whose MAC address may be used to send (Linux `NUD_VALID`).
    pub const fn has_address(self) -> bool {
        matches!(
            self,
            NeighborState::Reachable
                | NeighborState::Stale
                | NeighborState::Delay
                | NeighborState::Probe
                | NeighborState::Permanent
        )
    }

    pub const fn name(self) -> &'static str {
        match self {
            NeighborState::Incomplete => "INCOMPLETE",
            NeighborState::Reachable => "REACHABLE",
            NeighborState::Stale => "STALE",
            NeighborState::Delay => "DELAY",
            NeighborState::Probe => "PROBE",
            NeighborState::Failed => "FAILED",
            NeighborState::Permanent => "PERMANENT",
        }
    }
}

impl fmt::Display for NeighborState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// An ARP request the host must send. Build the packet with [`ArpRequest::to_repr`] and send it
/// in an Ethernet frame to [`ArpRequest::eth_dst`].
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ArpRequest {
    pub target_ip: Ipv4Addr,
    /// `None`: broadcast (resolving). `Some(mac)`: unicast to the address we already have
    /// (re-probing a stale entry, Linux's PROBE state).
    pub unicast_to: Option<MacAddr>,
}

impl ArpRequest {
    /// The request packet. The target MAC is zero even for a unicast probe, as Linux sends it.
    pub fn to_repr(&self, my_mac: MacAddr, my_ip: Ipv4Addr) -> ArpRepr {
        ArpRepr::request(my_mac, my_ip, self.target_ip)
    }

    /// Destination of the Ethernet frame carrying the request.
    pub fn eth_dst(&self) -> MacAddr {
        self.unicast_to.unwrap_or(MacAddr::broadcast())
    }
}

/// Why a packet handed to the cache was not kept.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum DropReason {
    /// The per-address queue was full ([`ArpConfig::queue_len`]).
    QueueFull,
    /// The table was full and no entry could be evicted ([`ArpConfig::max_entries`]).
    TableFull,
}

/// Answer of [`ArpCache::resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolve<P> {
    /// The address is known: send `packet` to `mac` now.
    Known { mac: MacAddr, packet: P },
    /// The packet waits for the address. If `request` is set (first packet for this address),
    /// the host sends it now. `dropped` is a packet pushed out of a full queue
    /// ([`QueueOverflow::DropOldest`]), to be discarded.
    Queued {
        request: Option<ArpRequest>,
        dropped: Option<P>,
    },
    /// The packet was not kept; the host discards it.
    Dropped { packet: P, reason: DropReason },
}

/// Packets that were waiting for an address that has just been resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released<P> {
    pub ip: Ipv4Addr,
    pub mac: MacAddr,
    /// In the order they were queued.
    pub packets: Vec<P>,
}

/// Answer of [`ArpCache::on_arp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArpInput<P> {
    /// The reply to send when the packet was a request for our address; the Ethernet
    /// destination is `reply.target_mac`.
    pub reply: Option<ArpRepr>,
    /// Queued packets now sendable.
    pub released: Option<Released<P>>,
}

/// Why an ARP packet was ignored by [`ArpCache::on_arp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArpInputError {
    /// The sender's MAC is multicast or broadcast, or its IP is not a unicast address: no
    /// mapping can be learned from it (Linux drops such packets in `arp_process`).
    #[error("ARP sender {ip} / {mac} is not a unicast host")]
    InvalidSender { ip: Ipv4Addr, mac: MacAddr },
    /// The target is a multicast or loopback address (Linux drops these too).
    #[error("ARP target {0} is multicast or loopback")]
    InvalidTarget(Ipv4Addr),
    /// Another station claims our own address (RFC 5227 §2.4 "address conflict").
    #[error("{mac} claims our address {ip}")]
    AddressConflict { ip: Ipv4Addr, mac: MacAddr },
}

/// What [`ArpCache::on_timer`] asks the host to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArpTimerAction<P> {
    /// Send this request (a retransmission, or a unicast probe of a stale entry).
    SendRequest(ArpRequest),
    /// Resolution of `ip` failed. Each packet that was waiting is returned so the host can
    /// answer it with ICMP destination unreachable, host unreachable (RFC 1122 §3.2.2.1, as
    /// Linux does) and drop it. `packets` is empty when a stale entry failed its re-probe.
    Failed { ip: Ipv4Addr, packets: Vec<P> },
}

/// Why an entry left the table.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum RemoveReason {
    /// Garbage-collected: stale and unused for `gc_stale_time`, or failed for `failed_gc_time`.
    Expired,
    /// Pushed out to make room for a new address (table full).
    Evicted,
    /// Removed by [`ArpCache::flush`].
    Flushed,
    /// Removed by [`ArpCache::remove`].
    Deleted,
}

/// One change of the table, for the trace. Small and `Copy`, no strings.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ArpEvent {
    /// A new entry: `Incomplete` when we start resolving, `Stale` when learned from a request
    /// addressed to us, `Permanent` when configured.
    Added {
        ip: Ipv4Addr,
        state: NeighborState,
        mac: Option<MacAddr>,
    },
    /// An entry's MAC address changed (another station took the address over, or an
    /// address we had lost is answered again).
    Updated {
        ip: Ipv4Addr,
        old_mac: MacAddr,
        new_mac: MacAddr,
    },
    /// A state transition not covered by another event (e.g. REACHABLE → STALE).
    StateChanged {
        ip: Ipv4Addr,
        from: NeighborState,
        to: NeighborState,
    },
    /// A request was handed to the host. `attempt` counts from 1 within one resolution or
    /// probe round.
    RequestSent {
        ip: Ipv4Addr,
        attempt: u32,
        unicast: Option<MacAddr>,
    },
    /// An INCOMPLETE or FAILED entry got its address; `released` queued packets go out.
    Resolved {
        ip: Ipv4Addr,
        mac: MacAddr,
        state: NeighborState,
        released: usize,
    },
    /// Resolution or re-probe failed; `dropped` queued packets were handed back.
    Failed { ip: Ipv4Addr, dropped: usize },
    /// A packet for `ip` was dropped instead of queued.
    PacketDropped { ip: Ipv4Addr, reason: DropReason },
    Removed {
        ip: Ipv4Addr,
        state: NeighborState,
        reason: RemoveReason,
    },
}

#[derive(Debug)]
struct Entry<P> {
    state: NeighborState,
    mac: Option<MacAddr>,
    /// Last reachability confirmation (Linux `confirmed`).
    confirmed: Instant,
    /// Last time a packet was sent through the entry (Linux `used`).
    used: Instant,
    /// Requests sent in the current INCOMPLETE or PROBE round.
    probes: u32,
    /// When `on_timer` must look at this entry; mirrored in `ArpCache::timers`.
    timer: Option<Instant>,
    queue: VecDeque<P>,
}

impl<P> Entry<P> {
    fn new(now: Instant, state: NeighborState, mac: Option<MacAddr>) -> Entry<P> {
        Entry {
            state,
            mac,
            confirmed: now,
            used: now,
            probes: 0,
            timer: None,
            queue: VecDeque::new(),
        }
    }

    /// When a STALE entry becomes collectable: `gc_stale_time` after its last use or
    /// confirmation.
    fn stale_deadline(&self, config: &ArpConfig) -> Instant {
        self.used.max(self.confirmed) + config.gc_stale_time
    }
}

/// The neighbour table of one interface. `P` is whatever the host queues while an address is
/// being resolved (typically an IPv4 packet waiting for its Ethernet header).
///
/// Lookups are O(log n) in a `BTreeMap`, and timers live in an ordered set, so `poll_at` is
/// O(1) and `on_timer` touches only entries that are due.
#[derive(Debug)]
pub struct ArpCache<P> {
    config: ArpConfig,
    entries: BTreeMap<Ipv4Addr, Entry<P>>,
    /// (deadline, address) for each entry with a timer.
    timers: BTreeSet<(Instant, Ipv4Addr)>,
    events: Vec<ArpEvent>,
}

impl<P> Default for ArpCache<P> {
    fn default() -> Self {
        ArpCache::new(ArpConfig::default())
    }
}

/// Sets (or clears) an entry's timer, keeping the ordered set in step.
fn arm<P>(
    timers: &mut BTreeSet<(Instant, Ipv4Addr)>,
    ip: Ipv4Addr,
    entry: &mut Entry<P>,
    at: Option<Instant>,
) {
    if let Some(old) = entry.timer.take() {
        timers.remove(&(old, ip));
    }
    if let Some(at) = at {
        timers.insert((at, ip));
        entry.timer = Some(at);
    }
}

impl<P> ArpCache<P> {
    pub fn new(config: ArpConfig) -> ArpCache<P> {
        ArpCache {
            config,
            entries: BTreeMap::new(),
            timers: BTreeSet::new(),
            events: Vec::new(),
        }
    }

    pub fn config(&self) -> &ArpConfig {
        &self.config
    }

    /// Changes the configuration; existing timers keep their deadlines.
    pub fn set_config(&mut self, config: ArpConfig) {
        self.config = config;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The MAC address for `ip` if one is usable, without changing anything (no state change,
    /// unlike [`ArpCache::resolve`]).
    pub fn lookup(&self, ip: Ipv4Addr) -> Option<MacAddr> {
        self.entries
            .get(&ip)
            .filter(|e| e.state.has_address())
            .and_then(|e| e.mac)
    }

    pub fn state(&self, ip: Ipv4Addr) -> Option<NeighborState> {
        self.entries.get(&ip).map(|e| e.state)
    }

    /// Takes the events recorded since the last call, oldest first.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, ArpEvent> {
        self.events.drain(..)
    }

    fn record(&mut self, event: ArpEvent) {
        if self.config.trace {
            self.events.push(event);
        }
    }

    /// The MAC address of `ip` if the cache has one, used to send as `resolve` uses it
    /// (unlike [`ArpCache::lookup`]): the entry counts as used, and a STALE one starts its
    /// re-check. `None` leaves the cache as it was (`resolve` then queues the packet and asks).
    pub fn use_known(&mut self, now: Instant, ip: Ipv4Addr) -> Option<MacAddr> {
        let entry = self.entries.get_mut(&ip)?;
        if !entry.state.has_address() {
            return None;
        }
        let mac = entry.mac.expect("states with an address have a MAC");
        entry.used = now;
        // Using a stale entry starts a re-check: wait a little for an upper-layer
        // confirmation, then probe (Linux __neigh_event_send, STALE → DELAY).
        if entry.state == NeighborState::Stale {
            self.enter_delay(now, ip, NeighborState::Stale);
        }
        Some(mac)
    }

    /// Finds the MAC address for `ip` to send `packet`, or queues the packet while the
    /// address is resolved. `ip` is the next hop (the gateway, or the destination itself on
    /// the local network); broadcast and multicast destinations are the host's business and
    /// never come here.
    pub fn resolve(&mut self, now: Instant, ip: Ipv4Addr, packet: P) -> Resolve<P> {
        if let Some(mac) = self.use_known(now, ip) {
            return Resolve::Known { mac, packet };
        }
        let config = self.config;
        if let Some(entry) = self.entries.get_mut(&ip) {
            if entry.state == NeighborState::Incomplete {
                return self.enqueue(ip, packet);
            }
            // FAILED: a new packet starts a new resolution, as in Linux.
            entry.state = NeighborState::Incomplete;
            entry.probes = 0;
            entry.used = now;
            self.record(ArpEvent::StateChanged {
                ip,
                from: NeighborState::Failed,
                to: NeighborState::Incomplete,
            });
        } else {
            if self.entries.len() >= config.max_entries && !self.evict_one() {
                self.record(ArpEvent::PacketDropped {
                    ip,
                    reason: DropReason::TableFull,
                });
                return Resolve::Dropped {
                    packet,
                    reason: DropReason::TableFull,
                };
            }
            self.entries
                .insert(ip, Entry::new(now, NeighborState::Incomplete, None));
            self.record(ArpEvent::Added {
                ip,
                state: NeighborState::Incomplete,
                mac: None,
            });
        }
        // The first request goes out at once (Linux sends immediately since 5.x); the next
        // ones come from on_timer, `retrans_time` apart.
        let request = self.send_probe(now, ip, None);
        match self.enqueue(ip, packet) {
            Resolve::Queued { dropped, .. } => Resolve::Queued { request, dropped },
            other => other,
        }
    }

    /// Counts a request for an INCOMPLETE or PROBE entry and re-arms its timer. Returns the
    /// request, or `None` when the round is already over (the timer then fires at once and
    /// declares failure).
    fn send_probe(
        &mut self,
        now: Instant,
        ip: Ipv4Addr,
        unicast: Option<MacAddr>,
    ) -> Option<ArpRequest> {
        let limit = if unicast.is_some() {
            self.config.unicast_probes
        } else {
            self.config.broadcast_probes
        };
        let retrans = self.config.retrans_time;
        let entry = self.entries.get_mut(&ip)?;
        if entry.probes >= limit {
            arm(&mut self.timers, ip, entry, Some(now));
            return None;
        }
        entry.probes += 1;
        let attempt = entry.probes;
        arm(&mut self.timers, ip, entry, Some(now + retrans));
        self.record(ArpEvent::RequestSent {
            ip,
            attempt,
            unicast,
        });
        Some(ArpRequest {
            target_ip: ip,
            unicast_to: unicast,
        })
    }

    fn enqueue(&mut self, ip: Ipv4Addr, packet: P) -> Resolve<P> {
        let (queue_len, overflow) = (self.config.queue_len, self.config.queue_overflow);
        let entry = self
            .entries
            .get_mut(&ip)
            .expect("enqueue on an existing entry");
        if entry.queue.len() < queue_len {
            entry.queue.push_back(packet);
            return Resolve::Queued {
                request: None,
                dropped: None,
            };
        }
        self.record(ArpEvent::PacketDropped {
            ip,
            reason: DropReason::QueueFull,
        });
        let entry = self.entries.get_mut(&ip).expect("entry still there");
        match overflow {
            QueueOverflow::DropOldest if queue_len > 0 => {
                let oldest = entry.queue.pop_front();
                entry.queue.push_back(packet);
                Resolve::Queued {
                    request: None,
                    dropped: oldest,
                }
            }
            _ => Resolve::Dropped {
                packet,
                reason: DropReason::QueueFull,
            },
        }
    }

    /// Makes room for one entry: removes a FAILED entry, else the least recently used STALE
    /// one (lowest address on ties, for determinism). Returns false if none qualifies.
    fn evict_one(&mut self) -> bool {
        let failed = self
            .entries
            .iter()
            .find(|(_, e)| e.state == NeighborState::Failed)
            .map(|(ip, _)| *ip);
        let victim = failed.or_else(|| {
            self.entries
                .iter()
                .filter(|(_, e)| e.state == NeighborState::Stale)
                .min_by_key(|(ip, e)| (e.used.max(e.confirmed), **ip))
                .map(|(ip, _)| *ip)
        });
        match victim {
            Some(ip) => {
                self.remove_entry(ip, RemoveReason::Evicted);
                true
            }
            None => false,
        }
    }

    fn remove_entry(&mut self, ip: Ipv4Addr, reason: RemoveReason) -> Option<Entry<P>> {
        let mut entry = self.entries.remove(&ip)?;
        arm(&mut self.timers, ip, &mut entry, None);
        self.record(ArpEvent::Removed {
            ip,
            state: entry.state,
            reason,
        });
        Some(entry)
    }

    /// Takes a received ARP packet (RFC 826 "Packet Reception").
    ///
    /// * If we have an entry for the sender, its MAC is updated (the merge rule) — whoever
    ///   the packet was for.
    /// * If the packet is a request for `my_ip` and we have no entry, one is added as STALE
    ///   (Linux: a request proves the sender exists, not that it hears us).
    /// * A reply for `my_ip` confirms reachability (REACHABLE); other packets leave a known
    ///   address's state alone, or make it STALE if the address changed.
    /// * A request for `my_ip` is answered: see [`ArpInput::reply`].
    ///
    /// `my_mac` and `my_ip` are this interface's addresses; a host with several addresses on
    /// the interface passes the one equal to `arp.target_ip` if there is one.
    pub fn on_arp(
        &mut self,
        now: Instant,
        arp: &ArpRepr,
        my_mac: MacAddr,
        my_ip: Ipv4Addr,
    ) -> Result<ArpInput<P>, ArpInputError> {
        if matches!(
            addr_kind(arp.target_ip),
            AddrKind::Multicast | AddrKind::Loopback
        ) {
            return Err(ArpInputError::InvalidTarget(arp.target_ip));
        }
        if !arp.sender_mac.is_unicast() || arp.sender_mac.is_zero() {
            return Err(ArpInputError::InvalidSender {
                ip: arp.sender_ip,
                mac: arp.sender_mac,
            });
        }
        let for_me = arp.target_ip == my_ip;
        let reply =
            (arp.operation == ArpOperation::Request && for_me).then(|| arp.reply_from(my_mac));
        // An ARP probe (RFC 5227 §2.1.1) has sender IP 0.0.0.0: answer it, learn nothing.
        if arp.sender_ip.is_unspecified() {
            return Ok(ArpInput {
                reply,
                released: None,
            });
        }
        if matches!(
            addr_kind(arp.sender_ip),
            AddrKind::Multicast
                | AddrKind::Loopback
                | AddrKind::LimitedBroadcast
                | AddrKind::ThisNetwork
        ) {
            return Err(ArpInputError::InvalidSender {
                ip: arp.sender_ip,
                mac: arp.sender_mac,
            });
        }
        if arp.sender_ip == my_ip {
            if arp.sender_mac == my_mac {
                // Our own packet looped back: nothing to learn.
                return Ok(ArpInput {
                    reply: None,
                    released: None,
                });
            }
            return Err(ArpInputError::AddressConflict {
                ip: my_ip,
                mac: arp.sender_mac,
            });
        }

        // Linux arp_process: only a reply addressed to us asserts reachability; broadcast
        // replies, gratuitous ARP and requests only show that the sender exists.
        let new_state = if arp.operation == ArpOperation::Reply && for_me {
            NeighborState::Reachable
        } else {
            NeighborState::Stale
        };
        let ip = arp.sender_ip;
        let mac = arp.sender_mac;
        let released = if self.entries.contains_key(&ip) {
            self.merge(now, ip, mac, new_state)
        } else {
            if for_me && arp.operation == ArpOperation::Request {
                self.learn(now, ip, mac);
            }
            None
        };
        Ok(ArpInput { reply, released })
    }

    /// Adds an entry for a station that asked us for our address.
    fn learn(&mut self, now: Instant, ip: Ipv4Addr, mac: MacAddr) {
        if self.entries.len() >= self.config.max_entries && !self.evict_one() {
            return;
        }
        let mut entry = Entry::new(now, NeighborState::Stale, Some(mac));
        // Not confirmed: the GC clock starts from creation.
        let deadline = entry.stale_deadline(&self.config);
        arm(&mut self.timers, ip, &mut entry, Some(deadline));
        self.entries.insert(ip, entry);
        self.record(ArpEvent::Added {
            ip,
            state: NeighborState::Stale,
            mac: Some(mac),
        });
    }

    /// RFC 826's merge: updates an existing entry with what the packet says (Linux
    /// `neigh_update` with override).
    fn merge(
        &mut self,
        now: Instant,
        ip: Ipv4Addr,
        mac: MacAddr,
        new_state: NeighborState,
    ) -> Option<Released<P>> {
        let config = self.config;
        let entry = self.entries.get_mut(&ip)?;
        let old_state = entry.state;
        let old_mac = entry.mac;
        if old_state == NeighborState::Permanent {
            return None;
        }
        if new_state == NeighborState::Reachable {
            entry.confirmed = now;
        }

        if !old_state.has_address() {
            // INCOMPLETE or FAILED: resolved. Queued packets go out now; sending them
            // through a STALE entry makes it DELAY, as in Linux.
            let packets: Vec<P> = entry.queue.drain(..).collect();
            let state = if new_state == NeighborState::Stale && !packets.is_empty() {
                entry.used = now;
                NeighborState::Delay
            } else {
                new_state
            };
            entry.state = state;
            entry.mac = Some(mac);
            entry.probes = 0;
            let timer = match state {
                NeighborState::Reachable => now + config.reachable_time,
                NeighborState::Delay => now + config.delay_first_probe_time,
                _ => entry.stale_deadline(&config),
            };
            arm(&mut self.timers, ip, entry, Some(timer));
            self.record(ArpEvent::Resolved {
                ip,
                mac,
                state,
                released: packets.len(),
            });
            return (old_state == NeighborState::Incomplete).then_some(Released {
                ip,
                mac,
                packets,
            });
        }

        if old_mac != Some(mac) {
            // The address moved to another station: take the new one, in the new state.
            entry.mac = Some(mac);
            entry.state = new_state;
            entry.probes = 0;
            let timer = match new_state {
                NeighborState::Reachable => now + config.reachable_time,
                _ => entry.stale_deadline(&config),
            };
            arm(&mut self.timers, ip, entry, Some(timer));
            if let Some(old_mac) = old_mac {
                self.record(ArpEvent::Updated {
                    ip,
                    old_mac,
                    new_mac: mac,
                });
            }
            if old_state != new_state {
                self.record(ArpEvent::StateChanged {
                    ip,
                    from: old_state,
                    to: new_state,
                });
            }
            return None;
        }

        // Same address. A confirmation makes the entry REACHABLE; anything else leaves the
        // state alone (Linux keeps a valid entry's state when told STALE with the same MAC).
        if new_state == NeighborState::Reachable && old_state != NeighborState::Reachable {
            entry.state = NeighborState::Reachable;
            entry.probes = 0;
            arm(
                &mut self.timers,
                ip,
                entry,
                Some(now + config.reachable_time),
            );
            self.record_change(ip, old_state, NeighborState::Reachable);
        }
        // An already REACHABLE entry keeps its timer: it fires at the old deadline and
        // re-arms from `confirmed`, so a flood of replies costs no timer updates.
        None
    }

    /// An upper layer saw proof that `ip` is reachable (e.g. TCP received new data or an ACK
    /// from it; Linux `neigh_confirm`). A DELAY entry then goes back to REACHABLE instead of
    /// probing.
    pub fn confirm(&mut self, now: Instant, ip: Ipv4Addr) {
        if let Some(entry) = self.entries.get_mut(&ip) {
            entry.confirmed = entry.confirmed.max(now);
        }
    }

    /// Adds a permanent entry (`arp -s ip mac`), replacing any entry for `ip`. Packets that
    /// were waiting for it are released.
    pub fn add_static(&mut self, now: Instant, ip: Ipv4Addr, mac: MacAddr) -> Option<Released<P>> {
        let packets = self
            .remove_entry(ip, RemoveReason::Deleted)
            .map(|e| e.queue.into_iter().collect::<Vec<P>>())
            .unwrap_or_default();
        self.entries
            .insert(ip, Entry::new(now, NeighborState::Permanent, Some(mac)));
        self.record(ArpEvent::Added {
            ip,
            state: NeighborState::Permanent,
            mac: Some(mac),
        });
        (!packets.is_empty()).then_some(Released { ip, mac, packets })
    }

    /// Removes the entry for `ip` (`arp -d`); returns the packets that were waiting.
    pub fn remove(&mut self, ip: Ipv4Addr) -> Option<Vec<P>> {
        self.remove_entry(ip, RemoveReason::Deleted)
            .map(|e| e.queue.into_iter().collect())
    }

    /// Removes every entry except permanent ones (`ip neigh flush`); returns the packets that
    /// were waiting, to be dropped.
    pub fn flush(&mut self) -> Vec<P> {
        let doomed: Vec<Ipv4Addr> = self
            .entries
            .iter()
            .filter(|(_, e)| e.state != NeighborState::Permanent)
            .map(|(ip, _)| *ip)
            .collect();
        let mut packets = Vec::new();
        for ip in doomed {
            if let Some(entry) = self.remove_entry(ip, RemoveReason::Flushed) {
                packets.extend(entry.queue);
            }
        }
        packets
    }

    /// When [`ArpCache::on_timer`] next has work.
    pub fn poll_at(&self) -> Option<Instant> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// Runs every timer due at `now` and appends what the host must do to `out`. Early or
    /// repeated calls do nothing.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<ArpTimerAction<P>>) {
        while let Some(&(deadline, ip)) = self.timers.first() {
            if deadline > now {
                break;
            }
            self.timers.pop_first();
            let Some(entry) = self.entries.get_mut(&ip) else {
                continue;
            };
            entry.timer = None;
            self.expire(now, ip, out);
        }
    }

    /// The timer of `ip` fired (Linux `neigh_timer_handler`).
    fn expire(&mut self, now: Instant, ip: Ipv4Addr, out: &mut Vec<ArpTimerAction<P>>) {
        let config = self.config;
        let Some(entry) = self.entries.get_mut(&ip) else {
            return;
        };
        let state = entry.state;
        match state {
            NeighborState::Incomplete | NeighborState::Probe => {
                let limit = if state == NeighborState::Probe {
                    config.unicast_probes
                } else {
                    config.broadcast_probes
                };
                if entry.probes >= limit {
                    let packets: Vec<P> = entry.queue.drain(..).collect();
                    entry.state = NeighborState::Failed;
                    entry.probes = 0;
                    arm(
                        &mut self.timers,
                        ip,
                        entry,
                        Some(now + config.failed_gc_time),
                    );
                    self.record(ArpEvent::Failed {
                        ip,
                        dropped: packets.len(),
                    });
                    out.push(ArpTimerAction::Failed { ip, packets });
                } else {
                    let unicast = if state == NeighborState::Probe {
                        entry.mac
                    } else {
                        None
                    };
                    if let Some(request) = self.send_probe(now, ip, unicast) {
                        out.push(ArpTimerAction::SendRequest(request));
                    }
                }
            }
            NeighborState::Reachable => {
                let until = entry.confirmed + config.reachable_time;
                if now < until {
                    // Confirmed again since the timer was set.
                    arm(&mut self.timers, ip, entry, Some(until));
                } else if now < entry.used + config.delay_first_probe_time {
                    // In use right now: skip STALE and start the re-check directly.
                    self.enter_delay(now, ip, state);
                } else {
                    entry.state = NeighborState::Stale;
                    let gc = entry.stale_deadline(&config).max(now);
                    arm(&mut self.timers, ip, entry, Some(gc));
                    self.record_change(ip, state, NeighborState::Stale);
                }
            }
            NeighborState::Delay => {
                if now <= entry.confirmed + config.delay_first_probe_time {
                    // An upper layer confirmed during the delay: no probe needed.
                    entry.state = NeighborState::Reachable;
                    let until = (entry.confirmed + config.reachable_time).max(now);
                    arm(&mut self.timers, ip, entry, Some(until));
                    self.record_change(ip, state, NeighborState::Reachable);
                } else {
                    entry.state = NeighborState::Probe;
                    entry.probes = 0;
                    let mac = entry.mac;
                    self.record_change(ip, state, NeighborState::Probe);
                    if let Some(request) = self.send_probe(now, ip, mac) {
                        out.push(ArpTimerAction::SendRequest(request));
                    }
                }
            }
            NeighborState::Stale => {
                let gc = entry.stale_deadline(&config);
                if now >= gc {
                    self.remove_entry(ip, RemoveReason::Expired);
                } else {
                    arm(&mut self.timers, ip, entry, Some(gc));
                }
            }
            NeighborState::Failed => {
                self.remove_entry(ip, RemoveReason::Expired);
            }
            NeighborState::Permanent => {}
        }
    }

    /// DELAY: an entry in use is checked again after `delay_first_probe_time`, unless an
    /// upper layer confirms it first (Linux `__neigh_event_send`, `neigh_timer_handler`).
    fn enter_delay(&mut self, now: Instant, ip: Ipv4Addr, from: NeighborState) {
        let at = now + self.config.delay_first_probe_time;
        if let Some(entry) = self.entries.get_mut(&ip) {
            entry.state = NeighborState::Delay;
            arm(&mut self.timers, ip, entry, Some(at));
        }
        self.record_change(ip, from, NeighborState::Delay);
    }

    fn record_change(&mut self, ip: Ipv4Addr, from: NeighborState, to: NeighborState) {
        self.record(ArpEvent::StateChanged { ip, from, to });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const OTHER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 3);

    fn mac(last: u8) -> MacAddr {
        MacAddr::new(0x02, 0, 0, 0, 0, last)
    }
    fn my_mac() -> MacAddr {
        mac(1)
    }
    fn at_ms(ms: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(ms)
    }
    fn at(s: u64) -> Instant {
        Instant::ZERO + Duration::from_secs(s)
    }

    fn reply_from(ip: Ipv4Addr, m: MacAddr) -> ArpRepr {
        ArpRepr::request(my_mac(), ME, ip).reply_from(m)
    }

    fn cache() -> ArpCache<&'static str> {
        ArpCache::new(ArpConfig::default())
    }

    fn tick(c: &mut ArpCache<&'static str>, now: Instant) -> Vec<ArpTimerAction<&'static str>> {
        let mut out = Vec::new();
        c.on_timer(now, &mut out);
        out
    }

    fn broadcast(ip: Ipv4Addr) -> ArpTimerAction<&'static str> {
        ArpTimerAction::SendRequest(ArpRequest {
            target_ip: ip,
            unicast_to: None,
        })
    }

    #[test]
    fn first_packet_sends_a_request_and_waits() {
        let mut c = cache();
        let r = c.resolve(at(0), PEER, "ping 1");
        assert_eq!(
            r,
            Resolve::Queued {
                request: Some(ArpRequest {
                    target_ip: PEER,
                    unicast_to: None
                }),
                dropped: None
            }
        );
        assert_eq!(c.state(PEER), Some(NeighborState::Incomplete));
        assert_eq!(c.lookup(PEER), None);
        // A second packet just waits, no second request.
        assert_eq!(
            c.resolve(at_ms(10), PEER, "ping 2"),
            Resolve::Queued {
                request: None,
                dropped: None
            }
        );
        assert_eq!(c.poll_at(), Some(at(1)));

        // The reply releases both, in order: the first ping is not lost.
        let input = c
            .on_arp(at_ms(300), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        assert_eq!(input.reply, None);
        assert_eq!(
            input.released,
            Some(Released {
                ip: PEER,
                mac: mac(2),
                packets: vec!["ping 1", "ping 2"]
            })
        );
        assert_eq!(c.state(PEER), Some(NeighborState::Reachable));
        assert_eq!(
            c.resolve(at_ms(400), PEER, "ping 3"),
            Resolve::Known {
                mac: mac(2),
                packet: "ping 3"
            }
        );
        let events: Vec<ArpEvent> = c.drain_events().collect();
        assert_eq!(
            events,
            vec![
                ArpEvent::Added {
                    ip: PEER,
                    state: NeighborState::Incomplete,
                    mac: None
                },
                ArpEvent::RequestSent {
                    ip: PEER,
                    attempt: 1,
                    unicast: None
                },
                ArpEvent::Resolved {
                    ip: PEER,
                    mac: mac(2),
                    state: NeighborState::Reachable,
                    released: 2
                },
            ]
        );
    }

    #[test]
    fn three_requests_one_second_apart_then_failure_with_the_packets() {
        let mut c = cache();
        c.resolve(at(0), PEER, "ping 1");
        c.resolve(at_ms(500), PEER, "ping 2");
        assert!(tick(&mut c, at_ms(999)).is_empty());
        assert_eq!(tick(&mut c, at(1)), vec![broadcast(PEER)]);
        assert_eq!(c.poll_at(), Some(at(2)));
        assert_eq!(tick(&mut c, at(2)), vec![broadcast(PEER)]);
        assert_eq!(c.poll_at(), Some(at(3)));
        assert_eq!(
            tick(&mut c, at(3)),
            vec![ArpTimerAction::Failed {
                ip: PEER,
                packets: vec!["ping 1", "ping 2"]
            }]
        );
        assert_eq!(c.state(PEER), Some(NeighborState::Failed));
        let sent = c
            .drain_events()
            .filter(|e| matches!(e, ArpEvent::RequestSent { .. }))
            .count();
        assert_eq!(sent, 3);

        // The next packet starts over: a new request at once.
        let r = c.resolve(at(4), PEER, "ping 5");
        assert!(matches!(
            r,
            Resolve::Queued {
                request: Some(_),
                ..
            }
        ));
        assert_eq!(c.state(PEER), Some(NeighborState::Incomplete));
    }

    #[test]
    fn failed_entries_are_removed_later() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        for s in 1..=3 {
            tick(&mut c, at(s));
        }
        assert_eq!(c.state(PEER), Some(NeighborState::Failed));
        assert_eq!(c.poll_at(), Some(at(18)));
        tick(&mut c, at(18));
        assert_eq!(c.state(PEER), None);
        assert_eq!(c.poll_at(), None);
        assert!(c.drain_events().any(|e| e
            == ArpEvent::Removed {
                ip: PEER,
                state: NeighborState::Failed,
                reason: RemoveReason::Expired
            }));
    }

    #[test]
    fn queue_overflow_drops_the_oldest_by_default() {
        let mut c = cache();
        c.resolve(at(0), PEER, "a");
        c.resolve(at(0), PEER, "b");
        c.resolve(at(0), PEER, "c");
        assert_eq!(
            c.resolve(at(0), PEER, "d"),
            Resolve::Queued {
                request: None,
                dropped: Some("a")
            }
        );
        let mut keep_first: ArpCache<&str> = ArpCache::new(ArpConfig {
            queue_overflow: QueueOverflow::DropNewest,
            queue_len: 1,
            ..ArpConfig::default()
        });
        keep_first.resolve(at(0), PEER, "first");
        assert_eq!(
            keep_first.resolve(at(0), PEER, "second"),
            Resolve::Dropped {
                packet: "second",
                reason: DropReason::QueueFull
            }
        );
        let input = keep_first
            .on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        assert_eq!(input.released.unwrap().packets, vec!["first"]);
    }

    #[test]
    fn reachable_becomes_stale_after_reachable_time_then_expires() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        assert_eq!(c.poll_at(), Some(at(30)));
        assert!(tick(&mut c, at(29)).is_empty());
        assert_eq!(c.state(PEER), Some(NeighborState::Reachable));
        tick(&mut c, at(30));
        assert_eq!(c.state(PEER), Some(NeighborState::Stale));
        // Still usable while stale.
        assert_eq!(c.lookup(PEER), Some(mac(2)));
        // Unused for gc_stale_time (60 s since last use at t=0): removed.
        assert_eq!(c.poll_at(), Some(at(60)));
        tick(&mut c, at(60));
        assert_eq!(c.state(PEER), None);
        let events: Vec<_> = c.drain_events().collect();
        assert!(events.contains(&ArpEvent::StateChanged {
            ip: PEER,
            from: NeighborState::Reachable,
            to: NeighborState::Stale
        }));
        assert_eq!(
            events.last(),
            Some(&ArpEvent::Removed {
                ip: PEER,
                state: NeighborState::Stale,
                reason: RemoveReason::Expired
            })
        );
    }

    #[test]
    fn repeated_replies_extend_reachable_without_timer_churn() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        c.on_arp(at(20), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        assert_eq!(c.poll_at(), Some(at(30)));
        tick(&mut c, at(30));
        assert_eq!(c.state(PEER), Some(NeighborState::Reachable));
        assert_eq!(c.poll_at(), Some(at(50)));
    }

    #[test]
    fn using_a_stale_entry_delays_then_probes_by_unicast_then_fails() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        tick(&mut c, at(30));
        assert_eq!(c.state(PEER), Some(NeighborState::Stale));
        // Use it: still sent at once, and the entry goes to DELAY for 5 s.
        assert_eq!(
            c.resolve(at(40), PEER, "q"),
            Resolve::Known {
                mac: mac(2),
                packet: "q"
            }
        );
        assert_eq!(c.state(PEER), Some(NeighborState::Delay));
        assert_eq!(c.poll_at(), Some(at(45)));
        let unicast = ArpTimerAction::SendRequest(ArpRequest {
            target_ip: PEER,
            unicast_to: Some(mac(2)),
        });
        assert_eq!(tick(&mut c, at(45)), vec![unicast.clone()]);
        assert_eq!(c.state(PEER), Some(NeighborState::Probe));
        // Still usable while probing.
        assert!(matches!(
            c.resolve(at(45), PEER, "r"),
            Resolve::Known { .. }
        ));
        assert_eq!(tick(&mut c, at(46)), vec![unicast.clone()]);
        assert_eq!(tick(&mut c, at(47)), vec![unicast]);
        assert_eq!(
            tick(&mut c, at(48)),
            vec![ArpTimerAction::Failed {
                ip: PEER,
                packets: vec![]
            }]
        );
        assert_eq!(c.state(PEER), Some(NeighborState::Failed));
        assert_eq!(c.lookup(PEER), None);
    }

    #[test]
    fn a_probe_answered_makes_the_entry_reachable_again() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        tick(&mut c, at(30));
        c.resolve(at(40), PEER, "q");
        tick(&mut c, at(45));
        assert_eq!(c.state(PEER), Some(NeighborState::Probe));
        c.on_arp(at_ms(45_100), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        assert_eq!(c.state(PEER), Some(NeighborState::Reachable));
        assert!(tick(&mut c, at(46)).is_empty());
    }

    #[test]
    fn upper_layer_confirmation_during_delay_avoids_the_probe() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        tick(&mut c, at(30));
        c.resolve(at(40), PEER, "q");
        c.confirm(at(42), PEER);
        assert!(tick(&mut c, at(45)).is_empty());
        assert_eq!(c.state(PEER), Some(NeighborState::Reachable));
        assert_eq!(c.poll_at(), Some(at(72)));
    }

    #[test]
    fn learns_from_a_request_addressed_to_us_and_replies() {
        let mut c = cache();
        let req = ArpRepr::request(mac(2), PEER, ME);
        let input = c.on_arp(at(0), &req, my_mac(), ME).unwrap();
        assert_eq!(
            input.reply,
            Some(ArpRepr {
                operation: ArpOperation::Reply,
                sender_mac: my_mac(),
                sender_ip: ME,
                target_mac: mac(2),
                target_ip: PEER
            })
        );
        assert_eq!(input.released, None);
        // Learned as STALE (the sender exists; reachability not yet confirmed).
        assert_eq!(c.state(PEER), Some(NeighborState::Stale));
        assert_eq!(c.lookup(PEER), Some(mac(2)));
        assert_eq!(
            c.drain_events().collect::<Vec<_>>(),
            vec![ArpEvent::Added {
                ip: PEER,
                state: NeighborState::Stale,
                mac: Some(mac(2))
            }]
        );
    }

    #[test]
    fn does_not_learn_from_requests_for_others() {
        let mut c = cache();
        let req = ArpRepr::request(mac(3), OTHER, PEER);
        let input = c.on_arp(at(0), &req, my_mac(), ME).unwrap();
        assert_eq!(input.reply, None);
        assert_eq!(c.state(OTHER), None);
        assert!(c.is_empty());
        // Nor from an unsolicited reply (Linux arp_accept = 0).
        c.on_arp(at(0), &reply_from(OTHER, mac(3)), my_mac(), ME)
            .unwrap();
        assert!(c.is_empty());
    }

    #[test]
    fn merge_rule_updates_a_known_sender_whoever_the_target() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        c.drain_events().for_each(drop);
        // PEER asks for OTHER, from the same MAC: nothing changes.
        let same = ArpRepr::request(mac(2), PEER, OTHER);
        c.on_arp(at(1), &same, my_mac(), ME).unwrap();
        assert_eq!(c.state(PEER), Some(NeighborState::Reachable));
        assert_eq!(c.drain_events().count(), 0);
        // A gratuitous ARP from a new MAC (failover): updated, and STALE.
        let moved = ArpRepr::request(mac(9), PEER, PEER);
        assert!(moved.is_gratuitous());
        c.on_arp(at(2), &moved, my_mac(), ME).unwrap();
        assert_eq!(c.lookup(PEER), Some(mac(9)));
        assert_eq!(c.state(PEER), Some(NeighborState::Stale));
        assert_eq!(
            c.drain_events().collect::<Vec<_>>(),
            vec![
                ArpEvent::Updated {
                    ip: PEER,
                    old_mac: mac(2),
                    new_mac: mac(9)
                },
                ArpEvent::StateChanged {
                    ip: PEER,
                    from: NeighborState::Reachable,
                    to: NeighborState::Stale
                }
            ]
        );
    }

    #[test]
    fn resolved_by_a_request_sends_the_queue_and_goes_to_delay() {
        let mut c = cache();
        c.resolve(at(0), PEER, "p");
        // Instead of replying, PEER happens to ask for us first.
        let input = c
            .on_arp(
                at_ms(100),
                &ArpRepr::request(mac(2), PEER, ME),
                my_mac(),
                ME,
            )
            .unwrap();
        assert!(input.reply.is_some());
        assert_eq!(input.released.unwrap().packets, vec!["p"]);
        assert_eq!(c.state(PEER), Some(NeighborState::Delay));
    }

    #[test]
    fn bad_senders_and_conflicts_are_typed_errors() {
        let mut c = cache();
        let mut bad = ArpRepr::request(MacAddr::broadcast(), PEER, ME);
        assert!(matches!(
            c.on_arp(at(0), &bad, my_mac(), ME),
            Err(ArpInputError::InvalidSender { .. })
        ));
        bad.sender_mac = mac(2);
        bad.sender_ip = Ipv4Addr::new(224, 0, 0, 1);
        assert!(matches!(
            c.on_arp(at(0), &bad, my_mac(), ME),
            Err(ArpInputError::InvalidSender { .. })
        ));
        let conflict = ArpRepr::request(mac(7), ME, ME);
        assert_eq!(
            c.on_arp(at(0), &conflict, my_mac(), ME),
            Err(ArpInputError::AddressConflict {
                ip: ME,
                mac: mac(7)
            })
        );
        let to_multicast = ArpRepr::request(mac(2), PEER, Ipv4Addr::new(239, 1, 1, 1));
        assert!(matches!(
            c.on_arp(at(0), &to_multicast, my_mac(), ME),
            Err(ArpInputError::InvalidTarget(_))
        ));
        // An RFC 5227 probe is answered but teaches nothing.
        let probe = ArpRepr::request(mac(2), Ipv4Addr::UNSPECIFIED, ME);
        let input = c.on_arp(at(0), &probe, my_mac(), ME).unwrap();
        assert_eq!(input.reply.unwrap().target_ip, Ipv4Addr::UNSPECIFIED);
        assert!(c.is_empty());
    }

    #[test]
    fn table_full_evicts_failed_then_stale_then_refuses() {
        let mut c: ArpCache<&str> = ArpCache::new(ArpConfig {
            max_entries: 2,
            ..ArpConfig::default()
        });
        c.resolve(at(0), PEER, "a");
        c.resolve(at(0), OTHER, "b");
        let third = Ipv4Addr::new(10, 0, 0, 4);
        assert_eq!(
            c.resolve(at(0), third, "c"),
            Resolve::Dropped {
                packet: "c",
                reason: DropReason::TableFull
            }
        );
        for s in 1..=3 {
            tick(&mut c, at(s));
        }
        // Both failed; a new address evicts one (the lowest address).
        assert!(matches!(
            c.resolve(at(4), third, "c"),
            Resolve::Queued { .. }
        ));
        assert_eq!(c.state(PEER), None);
        assert_eq!(c.state(OTHER), Some(NeighborState::Failed));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn static_entries_flush_and_display() {
        let mut c = cache();
        c.resolve(at(0), OTHER, "waiting");
        c.add_static(at(0), Ipv4Addr::new(10, 0, 0, 254), mac(0xfe));
        c.resolve(at(0), PEER, "p");
        c.on_arp(at(0), &reply_from(PEER, mac(2)), my_mac(), ME)
            .unwrap();
        // ARP cannot change a permanent entry.
        c.on_arp(
            at(0),
            &ArpRepr::request(mac(9), Ipv4Addr::new(10, 0, 0, 254), ME),
            my_mac(),
            ME,
        )
        .unwrap();
        assert_eq!(c.lookup(Ipv4Addr::new(10, 0, 0, 254)), Some(mac(0xfe)));
        let text = c.display(at_ms(500)).to_string();
        let expected = "\
Address          HWaddress          State       Expires   Queued
10.0.0.2         02:00:00:00:00:02  REACHABLE   29.5s     0
10.0.0.3         (incomplete)       INCOMPLETE  500ms     1
10.0.0.254       02:00:00:00:00:fe  PERMANENT   never     0
";
        assert_eq!(text, expected);
        assert_eq!(c.flush(), vec!["waiting"]);
        assert_eq!(c.len(), 1);
        assert_eq!(c.poll_at(), None);
        assert_eq!(c.remove(Ipv4Addr::new(10, 0, 0, 254)), Some(vec![]));
        assert!(c.is_empty());
    }

    #[test]
    fn requests_become_packets() {
        let req = ArpRequest {
            target_ip: PEER,
            unicast_to: None,
        };
        assert_eq!(req.eth_dst(), MacAddr::broadcast());
        assert_eq!(
            req.to_repr(my_mac(), ME).to_string(),
            "ARP who-has 10.0.0.2 tell 10.0.0.1"
        );
        let probe = ArpRequest {
            target_ip: PEER,
            unicast_to: Some(mac(2)),
        };
        assert_eq!(probe.eth_dst(), mac(2));
    }

    #[test]
    fn spurious_timer_calls_are_harmless_and_trace_can_be_off() {
        let mut c: ArpCache<u32> = ArpCache::new(ArpConfig {
            trace: false,
            ..ArpConfig::default()
        });
        let mut out = Vec::new();
        c.on_timer(at(0), &mut out);
        c.resolve(at(0), PEER, 1);
        for ms in (0..1000).step_by(100) {
            c.on_timer(at_ms(ms), &mut out);
        }
        assert!(out.is_empty());
        assert_eq!(c.drain_events().count(), 0);
    }

    /// A thousand neighbours answering: lookups stay cheap and the table stays ordered.
    #[test]
    fn a_thousand_hosts() {
        let mut c: ArpCache<u32> = ArpCache::new(ArpConfig::default());
        let hosts: Vec<Ipv4Addr> = (0..1000u32)
            .map(|i| Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 1, 0, 0)) + i))
            .collect();
        for (i, ip) in hosts.iter().enumerate() {
            c.resolve(at(0), *ip, i as u32);
        }
        for round in 0..20u64 {
            for (i, ip) in hosts.iter().enumerate() {
                let m = MacAddr::new(2, 0, 0, 0, (i >> 8) as u8, i as u8);
                c.on_arp(at_ms(round), &reply_from(*ip, m), my_mac(), ME)
                    .unwrap();
            }
        }
        assert_eq!(c.len(), 1000);
        assert!(hosts
            .iter()
            .all(|ip| c.state(*ip) == Some(NeighborState::Reachable)));
        let listed: Vec<Ipv4Addr> = c.entries(at(0)).map(|e| e.ip).collect();
        assert_eq!(listed, hosts);
    }
}
