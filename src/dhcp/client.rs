//! The DHCP client (RFC 2131 §4.4), sans-IO: `(now, message or timer) -> messages to send,
//! address changes, next deadline`.
//!
//! States (RFC 2131 figure 5, without INIT-REBOOT: a simulated host boots with no lease):
//! INIT → SELECTING (DISCOVER sent) → REQUESTING (REQUEST for the first OFFER) → BOUND (ACK) →
//! RENEWING at T1 (REQUEST unicast to the server) → REBINDING at T2 (REQUEST broadcast) →
//! back to INIT when the lease expires. A NAK sends the client back to INIT.

use super::wire::{DhcpRepr, MessageType, Op};
use super::DhcpEvent;
use crate::ethernet::MacAddr;
use crate::ip::Ipv4Cidr;
use crate::time::{Duration, Instant};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::net::Ipv4Addr;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientState {
    Init,
    Selecting,
    Requesting,
    Bound,
    Renewing,
    Rebinding,
}

impl ClientState {
    pub fn name(self) -> &'static str {
        match self {
            ClientState::Init => "INIT",
            ClientState::Selecting => "SELECTING",
            ClientState::Requesting => "REQUESTING",
            ClientState::Bound => "BOUND",
            ClientState::Renewing => "RENEWING",
            ClientState::Rebinding => "REBINDING",
        }
    }
}

/// What the server gave: the interface's address and the options that go with it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub addr: Ipv4Cidr,
    pub router: Option<Ipv4Addr>,
    pub dns: Option<Ipv4Addr>,
    pub server: Ipv4Addr,
    /// When the ACK came, and the times measured from it (RFC 2131 §4.4.5).
    pub obtained: Instant,
    pub lease: Duration,
    pub t1: Duration,
    pub t2: Duration,
}

/// What the client asks its host to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOut {
    /// Send `msg` from UDP port 68 to 67: to `to`, or to 255.255.255.255 when `None` (from
    /// 0.0.0.0 unless the message's `ciaddr` says the client has an address).
    Send {
        msg: DhcpRepr,
        to: Option<Ipv4Addr>,
    },
    /// Configure the interface with this lease (a new address, or the same one renewed).
    Configure(Lease),
    /// The lease is gone: take the address off the interface.
    Deconfigure(Ipv4Cidr),
    Event(DhcpEvent),
}

/// Retransmissions of a REQUEST in REQUESTING before starting over (RFC 2131 §3.1 step 5
/// leaves the number to the client; ISC dhclient gives up on the offer after a few).
const REQUEST_TRIES: u32 = 4;
/// RFC 2131 §4.4.5: in RENEWING and REBINDING the client waits half the time left, but at
/// least 60 s, before retransmitting.
const MIN_RENEW_WAIT: Duration = Duration::from_secs(60);
/// The options the client asks for (option 55): mask, router, domain name server.
const PARAMETERS: [u8; 3] = [1, 3, 6];

#[derive(Debug, Clone)]
pub struct DhcpClient {
    mac: MacAddr,
    state: ClientState,
    rng: ChaCha8Rng,
    xid: u32,
    /// When this acquisition or renewal began (the `secs` field counts from it).
    started: Instant,
    deadline: Option<Instant>,
    /// Transmissions of the current message so far.
    attempt: u32,
    /// The OFFER being requested: address and server.
    offer: Option<(Ipv4Addr, Ipv4Addr)>,
    lease: Option<Lease>,
}

impl DhcpClient {
    /// A client for the interface with hardware address `mac`, started at `now`. RFC 2131
    /// §4.4.1 says a client SHOULD wait 1–10 s before its first DISCOVER to desynchronise
    /// hosts that boot together; ISC dhclient's `initial-delay` defaults to 0. netlab draws a
    /// delay below 100 ms from the host's stream: hosts booting together still send apart,
    /// and lessons stay short.
    pub fn new(mac: MacAddr, now: Instant, mut rng: ChaCha8Rng) -> Self {
        let delay = Duration::from_micros(rng.random_range(0..100_000));
        DhcpClient {
            mac,
            state: ClientState::Init,
            rng,
            xid: 0,
            started: now,
            deadline: Some(now + delay),
            attempt: 0,
            offer: None,
            lease: None,
        }
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    pub fn poll_at(&self) -> Option<Instant> {
        self.deadline
    }

    fn set_state(&mut self, to: ClientState, out: &mut Vec<ClientOut>) {
        if to != self.state {
            out.push(ClientOut::Event(DhcpEvent::ClientState {
                from: self.state,
                to,
            }));
            self.state = to;
        }
    }

    /// RFC 2131 §4.1: 4 s before the first retransmission, doubling up to 64 s, each
    /// randomised by a uniform ±1 s.
    fn backoff(&mut self) -> Duration {
        let base = Duration::from_secs(4 << self.attempt.min(4));
        let jitter_ms = self.rng.random_range(0..=2000u64);
        (base + Duration::from_millis(jitter_ms)).saturating_sub(Duration::from_secs(1))
    }

    fn secs(&self, now: Instant) -> u16 {
        (now.saturating_since(self.started).as_nanos() / 1_000_000_000).min(u16::MAX as u64) as u16
    }

    fn message(&self, now: Instant, t: MessageType) -> DhcpRepr {
        let mut m = DhcpRepr::new(Op::Request, t, self.xid, self.mac);
        m.secs = self.secs(now);
        m.parameter_request = PARAMETERS.to_vec();
        m
    }

    fn send_discover(&mut self, now: Instant, out: &mut Vec<ClientOut>) {
        let msg = self.message(now, MessageType::Discover);
        out.push(ClientOut::Send { msg, to: None });
        self.deadline = Some(now + self.backoff());
        self.attempt += 1;
    }

    fn send_selecting_request(&mut self, now: Instant, out: &mut Vec<ClientOut>) {
        let Some((addr, server)) = self.offer else {
            return;
        };
        let mut msg = self.message(now, MessageType::Request);
        msg.requested_ip = Some(addr);
        msg.server_id = Some(server);
        out.push(ClientOut::Send { msg, to: None });
        self.deadline = Some(now + self.backoff());
        self.attempt += 1;
    }

    /// The REQUEST of RENEWING (unicast to the server) or REBINDING (broadcast): `ciaddr`
    /// is the leased address, no server identifier nor requested address (RFC 2131 §4.3.2).
    fn send_extend_request(&mut self, now: Instant, out: &mut Vec<ClientOut>) {
        let Some(lease) = self.lease else {
            return;
        };
        let mut msg = self.message(now, MessageType::Request);
        msg.ciaddr = lease.addr.addr();
        let (to, until) = if self.state == ClientState::Renewing {
            (Some(lease.server), lease.obtained + lease.t2)
        } else {
            (None, lease.obtained + lease.lease)
        };
        out.push(ClientOut::Send { msg, to });
        let half = until.saturating_since(now).as_nanos() / 2;
        let wait = Duration::from_nanos(half).max(MIN_RENEW_WAIT);
        self.deadline = Some((now + wait).min(until));
        self.attempt += 1;
    }

    fn new_xid(&mut self, now: Instant) {
        self.xid = self.rng.random();
        self.started = now;
        self.attempt = 0;
    }

    fn restart(&mut self, now: Instant, out: &mut Vec<ClientOut>) {
        if let Some(l) = self.lease.take() {
            out.push(ClientOut::Deconfigure(l.addr));
        }
        self.offer = None;
        self.set_state(ClientState::Init, out);
        self.deadline = Some(now);
    }

    /// Runs the timer if it is due.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<ClientOut>) {
        // Bounded: each turn either sets a later deadline or moves to a state whose timer
        // sends (INIT → SELECTING).
        for _ in 0..4 {
            match self.deadline {
                Some(t) if t <= now => {}
                _ => return,
            }
            match self.state {
                ClientState::Init => {
                    self.new_xid(now);
                    self.set_state(ClientState::Selecting, out);
                    self.send_discover(now, out);
                }
                ClientState::Selecting => self.send_discover(now, out),
                ClientState::Requesting => {
                    if self.attempt >= REQUEST_TRIES {
                        self.restart(now, out);
                    } else {
                        self.send_selecting_request(now, out);
                    }
                }
                ClientState::Bound => {
                    self.new_xid(now);
                    self.set_state(ClientState::Renewing, out);
                    self.send_extend_request(now, out);
                }
                ClientState::Renewing => {
                    let Some(l) = self.lease else {
                        self.restart(now, out);
                        continue;
                    };
                    if now >= l.obtained + l.t2 {
                        self.set_state(ClientState::Rebinding, out);
                    }
                    self.send_extend_request(now, out);
                }
                ClientState::Rebinding => {
                    let Some(l) = self.lease else {
                        self.restart(now, out);
                        continue;
                    };
                    if now >= l.obtained + l.lease {
                        // RFC 2131 §4.4.5: at expiry the client stops using the address.
                        out.push(ClientOut::Event(DhcpEvent::Expired { addr: l.addr }));
                        self.restart(now, out);
                    } else {
                        self.send_extend_request(now, out);
                    }
                }
            }
        }
    }

    /// A message arrived on UDP port 68 (any message: the client keeps what is its own).
    pub fn on_message(&mut self, now: Instant, m: &DhcpRepr, out: &mut Vec<ClientOut>) {
        if m.op != Op::Reply || m.xid != self.xid || m.chaddr != self.mac {
            return;
        }
        match (self.state, m.message_type) {
            (ClientState::Selecting, MessageType::Offer) => {
                // RFC 2131 §4.4.1: the client may take the first acceptable offer.
                let Some(server) = m.server_id else {
                    return;
                };
                if m.yiaddr.is_unspecified() {
                    return;
                }
                self.offer = Some((m.yiaddr, server));
                self.attempt = 0;
                self.set_state(ClientState::Requesting, out);
                self.send_selecting_request(now, out);
            }
            (
                ClientState::Requesting | ClientState::Renewing | ClientState::Rebinding,
                MessageType::Ack,
            ) => self.bind(now, m, out),
            (
                ClientState::Requesting | ClientState::Renewing | ClientState::Rebinding,
                MessageType::Nak,
            ) => {
                out.push(ClientOut::Event(DhcpEvent::Refused));
                self.restart(now, out);
            }
            _ => {}
        }
    }

    fn bind(&mut self, now: Instant, m: &DhcpRepr, out: &mut Vec<ClientOut>) {
        let prefix = match m.subnet_mask {
            Some(mask) => Ipv4Cidr::from_netmask(m.yiaddr, mask).ok(),
            // RFC 2131 §2 leaves a missing mask to the client: the address's class (RFC 791).
            None => Ipv4Cidr::new(
                m.yiaddr,
                match m.yiaddr.octets()[0] {
                    0..=127 => 8,
                    128..=191 => 16,
                    _ => 24,
                },
            )
            .ok(),
        };
        let Some(addr) = prefix else {
            return;
        };
        let server = m
            .server_id
            .or(self.lease.map(|l| l.server))
            .or(self.offer.map(|o| o.1));
        let Some(server) = server else {
            return;
        };
        // RFC 2131 §4.4.5: T1 and T2 default to 0.5 and 0.875 of the lease.
        let secs = u64::from(m.lease_secs.unwrap_or(3600));
        let lease = Duration::from_secs(secs);
        let t1 = m
            .renewal_secs
            .map_or(Duration::from_millis(secs * 500), |s| {
                Duration::from_secs(s.into())
            });
        let t2 = m
            .rebinding_secs
            .map_or(Duration::from_millis(secs * 875), |s| {
                Duration::from_secs(s.into())
            });
        let l = Lease {
            addr,
            router: m.router,
            dns: m.dns,
            server,
            obtained: now,
            lease,
            t1,
            t2,
        };
        if let Some(old) = self.lease {
            if old.addr != addr {
                out.push(ClientOut::Deconfigure(old.addr));
            }
        }
        self.lease = Some(l);
        self.offer = None;
        self.attempt = 0;
        self.set_state(ClientState::Bound, out);
        out.push(ClientOut::Configure(l));
        out.push(ClientOut::Event(DhcpEvent::Bound {
            addr,
            lease,
            server,
        }));
        self.deadline = Some(now + t1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: MacAddr = MacAddr(2, 0, 0, 0, 0, 9);
    const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 5);
    const ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);

    fn client() -> DhcpClient {
        DhcpClient::new(MAC, Instant::ZERO, crate::rng::stream(1, "dhcp", 0))
    }

    /// Runs the timer at its deadline; returns what was sent.
    fn fire(c: &mut DhcpClient) -> (Instant, Vec<ClientOut>) {
        let now = c.poll_at().expect("a deadline");
        let mut out = Vec::new();
        c.on_timer(now, &mut out);
        (now, out)
    }

    fn sent(out: &[ClientOut]) -> Vec<(MessageType, Option<Ipv4Addr>, Ipv4Addr)> {
        out.iter()
            .filter_map(|o| match o {
                ClientOut::Send { msg, to } => Some((msg.message_type, *to, msg.ciaddr)),
                _ => None,
            })
            .collect()
    }

    fn reply(c: &DhcpClient, t: MessageType) -> DhcpRepr {
        let mut m = DhcpRepr::new(Op::Reply, t, c.xid, MAC);
        m.yiaddr = ADDR;
        m.server_id = Some(SERVER);
        m.lease_secs = Some(100);
        m.subnet_mask = Some(Ipv4Addr::new(255, 255, 255, 0));
        m.router = Some(Ipv4Addr::new(10, 0, 0, 1));
        m
    }

    /// Takes a fresh client to BOUND at `now` (returns the outputs of the ACK).
    fn bound(c: &mut DhcpClient) -> (Instant, Vec<ClientOut>) {
        let (now, _) = fire(c);
        let mut out = Vec::new();
        c.on_message(now, &reply(c, MessageType::Offer), &mut out);
        out.clear();
        c.on_message(now, &reply(c, MessageType::Ack), &mut out);
        (now, out)
    }

    #[test]
    fn discover_offer_request_ack() {
        let mut c = client();
        assert_eq!(c.state(), ClientState::Init);
        let first = c.poll_at().unwrap();
        assert!(first < Instant::ZERO + Duration::from_millis(100));
        let (now, out) = fire(&mut c);
        assert_eq!(
            sent(&out),
            vec![(MessageType::Discover, None, Ipv4Addr::UNSPECIFIED)]
        );
        assert_eq!(c.state(), ClientState::Selecting);
        let mut out = Vec::new();
        // Another client's offer (other xid) is not ours.
        let mut other = reply(&c, MessageType::Offer);
        other.xid ^= 1;
        c.on_message(now, &other, &mut out);
        assert!(out.is_empty());
        c.on_message(now, &reply(&c, MessageType::Offer), &mut out);
        assert_eq!(c.state(), ClientState::Requesting);
        let req = out
            .iter()
            .find_map(|o| match o {
                ClientOut::Send { msg, .. } => Some(msg.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(req.requested_ip, Some(ADDR));
        assert_eq!(req.server_id, Some(SERVER));
        out.clear();
        c.on_message(now, &reply(&c, MessageType::Ack), &mut out);
        assert_eq!(c.state(), ClientState::Bound);
        let lease = c.lease().copied().unwrap();
        assert!(out.contains(&ClientOut::Configure(lease)));
        assert_eq!(lease.addr.to_string(), "10.0.0.100/24");
        assert_eq!(lease.t1, Duration::from_secs(50));
        assert_eq!(lease.t2, Duration::from_millis(87_500));
        assert_eq!(c.poll_at(), Some(now + Duration::from_secs(50)));
    }

    #[test]
    fn discover_is_retransmitted_with_doubling_backoff() {
        let mut c = client();
        let (t0, _) = fire(&mut c);
        let mut gaps = Vec::new();
        let mut prev = t0;
        for _ in 0..6 {
            let (t, out) = fire(&mut c);
            assert_eq!(sent(&out).len(), 1);
            gaps.push(t.saturating_since(prev).as_nanos() / 1_000_000);
            prev = t;
        }
        // 4, 8, 16, 32, 64, 64 s, each ±1 s.
        for (gap, base) in gaps.iter().zip([4u64, 8, 16, 32, 64, 64]) {
            assert!(
                (base * 1000 - 1000..=base * 1000 + 1000).contains(gap),
                "{gaps:?}"
            );
        }
    }

    #[test]
    fn unanswered_request_goes_back_to_init() {
        let mut c = client();
        let (now, _) = fire(&mut c);
        let mut out = Vec::new();
        c.on_message(now, &reply(&c, MessageType::Offer), &mut out);
        for _ in 1..REQUEST_TRIES {
            let (_, out) = fire(&mut c);
            assert_eq!(sent(&out)[0].0, MessageType::Request);
        }
        let (_, out) = fire(&mut c);
        // Back to INIT, and INIT's timer sends a new DISCOVER at once.
        assert_eq!(sent(&out)[0].0, MessageType::Discover);
        assert_eq!(c.state(), ClientState::Selecting);
    }

    #[test]
    fn renewing_at_t1_then_rebinding_at_t2_then_expiry() {
        let mut c = client();
        let (t0, _) = bound(&mut c);
        let (t1, out) = fire(&mut c);
        assert_eq!(t1, t0 + Duration::from_secs(50));
        assert_eq!(c.state(), ClientState::Renewing);
        // Unicast to the server, from the leased address.
        assert_eq!(sent(&out), vec![(MessageType::Request, Some(SERVER), ADDR)]);
        // No answer: half of the 37.5 s to T2 is below 60 s, so the next try is at T2,
        // which starts REBINDING with a broadcast.
        let (t2, out) = fire(&mut c);
        assert_eq!(t2, t0 + Duration::from_millis(87_500));
        assert_eq!(c.state(), ClientState::Rebinding);
        assert_eq!(sent(&out), vec![(MessageType::Request, None, ADDR)]);
        let (t3, out) = fire(&mut c);
        assert_eq!(t3, t0 + Duration::from_secs(100));
        assert!(out.contains(&ClientOut::Deconfigure(c_addr())));
        assert_eq!(c.lease(), None);
        assert_eq!(
            c.state(),
            ClientState::Selecting,
            "restarted with a DISCOVER"
        );
        assert_eq!(sent(&out)[0].0, MessageType::Discover);
    }

    fn c_addr() -> Ipv4Cidr {
        Ipv4Cidr::new(ADDR, 24).unwrap()
    }

    #[test]
    fn ack_in_renewing_extends_the_lease() {
        let mut c = client();
        bound(&mut c);
        let (t1, _) = fire(&mut c);
        let mut out = Vec::new();
        c.on_message(t1, &reply(&c, MessageType::Ack), &mut out);
        assert_eq!(c.state(), ClientState::Bound);
        assert_eq!(c.lease().unwrap().obtained, t1);
        assert!(!out.iter().any(|o| matches!(o, ClientOut::Deconfigure(_))));
        assert_eq!(c.poll_at(), Some(t1 + Duration::from_secs(50)));
    }

    #[test]
    fn nak_drops_the_address_and_restarts() {
        let mut c = client();
        bound(&mut c);
        let (t1, _) = fire(&mut c);
        let mut out = Vec::new();
        c.on_message(t1, &reply(&c, MessageType::Nak), &mut out);
        assert!(out.contains(&ClientOut::Deconfigure(c_addr())));
        assert_eq!(c.state(), ClientState::Init);
        assert_eq!(c.poll_at(), Some(t1));
    }

    #[test]
    fn same_seed_same_xid_and_delay() {
        let (a, b) = (client(), client());
        assert_eq!(a.poll_at(), b.poll_at());
        let other = DhcpClient::new(MAC, Instant::ZERO, crate::rng::stream(2, "dhcp", 0));
        assert_ne!(a.poll_at(), other.poll_at());
    }
}
