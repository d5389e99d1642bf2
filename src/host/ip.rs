//! The host's network layer: IPv4 routing and forwarding, fragmentation, the loopback queue,
//! UDP input and the glue to applications (ARP is `arp.rs`, ICMP `icmp.rs`).

use super::{Host, LOOPBACK_IFACE};
use crate::apps::{AppOut, DfPolicy, IcmpDelivery};
use crate::arp::Resolve;
use crate::ethernet::{ethertype, MacAddr};
use crate::icmp::{self, DestUnreachableCode, IcmpRepr, TimeExceededCode};
use crate::ip::{self, FragmentError, FragmentOutcome, IpProtocol, Ipv4Repr, LIMITED_BROADCAST};
use crate::node::NodeIo;
use crate::trace::{IpDrop, TraceEvent};
use crate::udp::UdpRepr;
use std::borrow::Cow;
use std::net::Ipv4Addr;

impl Host {
    // ------------------------------------------------------------------ addresses

    /// Whether `addr` is one of this host's own addresses (or loopback).
    pub fn is_local_addr(&self, addr: Ipv4Addr) -> bool {
        addr.is_loopback()
            || self
                .interfaces
                .iter()
                .any(|i| i.addr.is_some_and(|c| c.addr() == addr))
    }

    /// Whether `addr` is a broadcast address of interface `iface` (limited or directed).
    fn is_broadcast_on(&self, iface: u16, addr: Ipv4Addr) -> bool {
        addr == LIMITED_BROADCAST
            || self
                .interfaces
                .get(iface as usize)
                .and_then(|i| i.addr)
                .is_some_and(|c| c.broadcast() == Some(addr))
    }

    /// Whether `addr` is a broadcast address of any interface (limited or directed).
    fn is_broadcast_anywhere(&self, addr: Ipv4Addr) -> bool {
        (0..self.interfaces.len()).any(|i| self.is_broadcast_on(i as u16, addr))
    }

    /// Whether a datagram from `src` to `dst` arriving on `iface` has a source address no host
    /// can have (RFC 1122 §3.2.1.3). 0.0.0.0 is allowed only to the limited broadcast (a host
    /// that does not know its address yet, as DHCP's first message; Linux lets that through
    /// too).
    fn is_invalid_source(&self, iface: u16, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        src.is_multicast()
            || self.is_broadcast_on(iface, src)
            || (src.is_unspecified() && dst != LIMITED_BROADCAST)
    }

    pub(super) fn iface_addr(&self, iface: u16) -> Option<Ipv4Addr> {
        self.interfaces
            .get(iface as usize)
            .and_then(|i| i.addr)
            .map(|c| c.addr())
    }

    pub(super) fn drop_ip(
        &mut self,
        io: &mut NodeIo,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        reason: IpDrop,
    ) {
        self.counters.ip_dropped += 1;
        io.trace(TraceEvent::IpDropped { src, dst, reason });
    }

    // ------------------------------------------------------------------ IP output

    /// Wraps a whole IP datagram in a frame to `dst` and sends it on `iface`.
    pub(super) fn transmit_datagram(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        dst: MacAddr,
        datagram: &[u8],
    ) {
        self.transmit_with(io, iface, dst, ethertype::IPV4, datagram.len(), |b| {
            b.copy_from_slice(datagram)
        });
    }

    pub(super) fn next_ident(&mut self) -> u16 {
        let id = self.next_ident;
        self.next_ident = self.next_ident.wrapping_add(1);
        id
    }

    /// Sends a datagram this host originates. `repr.src` may be unspecified (0.0.0.0): the
    /// outgoing interface's address is used. Returns why it could not be sent.
    pub fn send_ip(
        &mut self,
        io: &mut NodeIo,
        repr: Ipv4Repr,
        payload: &[u8],
        df: DfPolicy,
    ) -> Result<(), IpDrop> {
        self.send_ip_payload(io, repr, Payload::Slice(payload), df, None)
    }

    /// Like [`Host::send_ip`], for a TCP segment: it is written straight into the frame that
    /// carries it (no buffer of its own, no copy of its bytes on the way). `ident` overrides
    /// the host's IP ID counter (a TCP connection numbering its own packets, as Linux).
    pub(super) fn send_tcp_segment(
        &mut self,
        io: &mut NodeIo,
        repr: Ipv4Repr,
        seg: &crate::tcp::TcpSegment,
        df: DfPolicy,
        ident: Option<u16>,
    ) -> Result<(), IpDrop> {
        self.send_ip_payload(io, repr, Payload::Tcp(seg), df, ident)
    }

    fn send_ip_payload(
        &mut self,
        io: &mut NodeIo,
        mut repr: Ipv4Repr,
        payload: Payload,
        df: DfPolicy,
        ident: Option<u16>,
    ) -> Result<(), IpDrop> {
        repr.ident = match ident {
            Some(id) => id,
            None => self.next_ident(),
        };
        repr.payload_len = payload.len();
        self.counters.ip_tx += 1;
        let result = self.output(io, repr, payload, Some(df), None);
        if let Err(reason) = result {
            self.drop_ip(io, repr.src, repr.dst, reason);
        }
        result
    }

    /// Routes a datagram and hands it to ARP and the NIC. `df` is the policy for datagrams we
    /// originate (`None` when forwarding: the DF bit stays as it came). `in_iface` is set when
    /// forwarding.
    fn output(
        &mut self,
        io: &mut NodeIo,
        mut repr: Ipv4Repr,
        payload: Payload,
        df: Option<DfPolicy>,
        in_iface: Option<u16>,
    ) -> Result<(), IpDrop> {
        // To ourselves: no wire, delivered at the next wake (loopback, RFC 1122 §3.2.1.3).
        if in_iface.is_none() && self.is_local_addr(repr.dst) {
            if repr.src.is_unspecified() {
                repr.src = if repr.dst.is_loopback() {
                    Ipv4Addr::LOCALHOST
                } else {
                    repr.dst
                };
            }
            let bytes = payload.into_datagram(&repr);
            if io.tracing() {
                io.trace(TraceEvent::IpSend {
                    iface: LOOPBACK_IFACE,
                    dst: repr.dst,
                    next_hop: repr.dst,
                    protocol: repr.protocol,
                    len: bytes.len() as u16,
                    route: ip::Ipv4Cidr::new(Ipv4Addr::new(127, 0, 0, 0), 8).expect("valid prefix"),
                });
            }
            self.loopback.push_back(bytes);
            return Ok(());
        }
        let (iface, next_hop, route_dest) = if repr.dst == LIMITED_BROADCAST {
            // Out of the first interface with an address; never routed further.
            let Some(i) = self
                .interfaces
                .iter()
                .position(|i| i.addr.is_some() && i.up)
            else {
                return Err(IpDrop::NoRoute);
            };
            (
                i as u16,
                repr.dst,
                ip::Ipv4Cidr::new(repr.dst, 32).expect("valid prefix"),
            )
        } else {
            let Some(route) = self.routes.lookup(repr.dst) else {
                return Err(IpDrop::NoRoute);
            };
            (route.iface as u16, route.next_hop(repr.dst), route.dest)
        };
        let Some(out) = self.interfaces.get(iface as usize) else {
            return Err(IpDrop::NoRoute);
        };
        if !out.up {
            return Err(IpDrop::NoRoute);
        }
        let mtu = out.mtu;
        if repr.src.is_unspecified() {
            repr.src = out.addr.map_or(Ipv4Addr::UNSPECIFIED, |c| c.addr());
        }
        let fits = repr.header_len() + payload.len() <= mtu;
        match df {
            Some(DfPolicy::Want) => repr.dont_frag = fits,
            Some(DfPolicy::Do) => repr.dont_frag = true,
            Some(DfPolicy::Dont) => repr.dont_frag = false,
            None => {}
        }
        let broadcast = self.is_broadcast_on(iface, repr.dst);
        if io.tracing() {
            let len = (repr.header_len() + payload.len()) as u16;
            io.trace(match in_iface {
                None => TraceEvent::IpSend {
                    iface,
                    dst: repr.dst,
                    next_hop,
                    protocol: repr.protocol,
                    len,
                    route: route_dest,
                },
                Some(in_iface) => TraceEvent::IpForward {
                    in_iface,
                    iface,
                    src: repr.src,
                    dst: repr.dst,
                    next_hop,
                    ttl: repr.ttl,
                    route: route_dest,
                },
            });
        }
        if fits {
            self.send_whole(io, iface, next_hop, broadcast, &repr, payload);
            return Ok(());
        }
        let pieces = match ip::fragment(&repr, mtu) {
            Ok(p) => p,
            Err(FragmentError::DontFragment { mtu, .. }) => {
                return Err(IpDrop::FragNeeded { mtu: mtu as u16 })
            }
            Err(_) => return Err(IpDrop::CannotFragment),
        };
        self.counters.fragments_made += pieces.len() as u64;
        io.trace(TraceEvent::IpFragmented {
            dst: repr.dst,
            ident: repr.ident,
            fragments: pieces.len() as u16,
            mtu: mtu as u16,
        });
        let bytes = payload.bytes();
        for (header, range) in pieces {
            let datagram = header.to_bytes(&bytes[range.clone()]);
            self.send_to_neighbour(io, iface, next_hop, broadcast, datagram);
        }
        Ok(())
    }

    /// Sends a datagram to a neighbour on `iface`, resolving its MAC address with ARP.
    /// Sends a datagram that fits the interface's MTU: written straight into its frame when
    /// the neighbour's address is known (or it is a broadcast); else built and handed to ARP,
    /// which keeps it while it asks.
    fn send_whole(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        next_hop: Ipv4Addr,
        broadcast: bool,
        repr: &Ipv4Repr,
        payload: Payload,
    ) {
        let mac = if broadcast {
            Some(MacAddr::broadcast())
        } else {
            self.arp[iface as usize].use_known(io.now, next_hop)
        };
        let Some(mac) = mac else {
            let datagram = payload.into_datagram(repr);
            self.send_to_neighbour(io, iface, next_hop, broadcast, datagram);
            return;
        };
        let len = ip::wire::HEADER_LEN + payload.len();
        self.transmit_with(io, iface, mac, ethertype::IPV4, len, |b| {
            payload.write_datagram(repr, b)
        });
        if !broadcast {
            self.trace_arp_events(io, iface);
        }
    }

    fn send_to_neighbour(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        next_hop: Ipv4Addr,
        broadcast: bool,
        datagram: Vec<u8>,
    ) {
        if broadcast {
            self.transmit_datagram(io, iface, MacAddr::broadcast(), &datagram);
            return;
        }
        match self.arp[iface as usize].resolve(io.now, next_hop, datagram) {
            Resolve::Known { mac, packet } => self.transmit_datagram(io, iface, mac, &packet),
            Resolve::Queued { request, dropped } => {
                if let Some(req) = request {
                    if let Some(my_ip) = self.iface_addr(iface) {
                        let repr = req.to_repr(self.interfaces[iface as usize].mac, my_ip);
                        self.send_arp(io, iface, req.eth_dst(), &repr);
                    }
                }
                if let Some(old) = dropped {
                    if let Ok((r, _)) = Ipv4Repr::parse(&old) {
                        self.drop_ip(io, r.src, r.dst, IpDrop::ArpQueueFull);
                    }
                }
            }
            Resolve::Dropped { packet, .. } => {
                if let Ok((r, _)) = Ipv4Repr::parse(&packet) {
                    self.drop_ip(io, r.src, r.dst, IpDrop::ArpQueueFull);
                }
            }
        }
        self.trace_arp_events(io, iface);
    }

    // ------------------------------------------------------------------ IP input

    /// An IPv4 datagram arrived on `iface` (`payload` is the Ethernet payload, padding
    /// included). `link_broadcast`: it came in a broadcast frame.
    pub(super) fn on_ipv4(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        payload: &[u8],
        link_broadcast: bool,
    ) {
        self.counters.ip_rx += 1;
        let (repr, body) = match Ipv4Repr::parse(payload) {
            Ok(x) => x,
            Err(e) => {
                self.drop_ip(
                    io,
                    Ipv4Addr::UNSPECIFIED,
                    Ipv4Addr::UNSPECIFIED,
                    IpDrop::BadHeader(e),
                );
                return;
            }
        };
        if self.is_invalid_source(iface, repr.src, repr.dst) {
            self.drop_ip(io, repr.src, repr.dst, IpDrop::InvalidSource);
            return;
        }
        if self.dhcp.is_some() && self.dhcp_client_input(io, iface, &repr, body) {
            return;
        }
        let to_us = self.is_local_addr(repr.dst) || self.is_broadcast_on(iface, repr.dst);
        if !to_us {
            if !self.forwarding {
                self.drop_ip(io, repr.src, repr.dst, IpDrop::NotForMe);
            } else if link_broadcast {
                self.drop_ip(io, repr.src, repr.dst, IpDrop::BroadcastNotForwarded);
            } else {
                let datagram_len = (repr.header_len() + repr.payload_len).min(payload.len());
                self.forward(io, iface, repr, body, &payload[..datagram_len]);
            }
            return;
        }
        let broadcast = link_broadcast || self.is_broadcast_on(iface, repr.dst);
        self.local_input(io, iface, repr, body, broadcast);
    }

    /// Delivers a datagram addressed to us, reassembling fragments first.
    fn local_input(
        &mut self,
        io: &mut NodeIo,
        iface: u16,
        repr: Ipv4Repr,
        body: &[u8],
        broadcast: bool,
    ) {
        let (repr, data): (Ipv4Repr, Cow<[u8]>) = if repr.is_fragment() {
            match self.reassembler.accept(io.now, &repr, body) {
                Ok(FragmentOutcome::Complete(whole, data)) => {
                    self.counters.reassembled += 1;
                    io.trace(TraceEvent::IpReassembled {
                        src: whole.src,
                        ident: whole.ident,
                        len: data.len() as u16,
                    });
                    (whole, Cow::Owned(data))
                }
                // Held until the rest arrives; the reassembler keeps it.
                Ok(FragmentOutcome::Waiting) => return,
                // A fragment we already hold: recorded, not lost silently.
                Ok(FragmentOutcome::Duplicate) => {
                    self.drop_ip(io, repr.src, repr.dst, IpDrop::DuplicateFragment);
                    return;
                }
                Err(_) => {
                    self.drop_ip(io, repr.src, repr.dst, IpDrop::ReassemblyFailed);
                    return;
                }
            }
        } else {
            (repr, Cow::Borrowed(body))
        };
        self.counters.ip_delivered += 1;
        if io.tracing() {
            io.trace(TraceEvent::IpDeliver {
                src: repr.src,
                dst: repr.dst,
                protocol: repr.protocol,
                len: data.len() as u16,
            });
        }
        match repr.protocol {
            IpProtocol::Icmp => self.on_icmp(io, iface, &repr, &data, broadcast),
            IpProtocol::Udp => self.on_udp(io, iface, &repr, &data, broadcast),
            IpProtocol::Tcp if !broadcast => self.on_tcp(io, &repr, &data),
            IpProtocol::Tcp => self.drop_ip(io, repr.src, repr.dst, IpDrop::TcpNotUnicast),
            other => {
                self.drop_ip(
                    io,
                    repr.src,
                    repr.dst,
                    IpDrop::UnknownProtocol(other.number()),
                );
                let offending = icmp::quote_from_parts(&repr, &data);
                self.send_icmp_error(
                    io,
                    DestUnreachableCode::ProtocolUnreachable.into(),
                    &offending,
                    iface,
                    broadcast,
                );
            }
        }
    }

    /// A router passes a datagram on (RFC 1812 §5.3): TTL check and decrement, route lookup,
    /// fragmentation; failures answered with ICMP.
    fn forward(&mut self, io: &mut NodeIo, in_iface: u16, repr: Ipv4Repr, body: &[u8], raw: &[u8]) {
        if repr.ttl <= 1 {
            self.drop_ip(io, repr.src, repr.dst, IpDrop::TtlExpired);
            self.send_icmp_error(
                io,
                TimeExceededCode::TtlExceeded.into(),
                raw,
                in_iface,
                false,
            );
            return;
        }
        let mut next = repr;
        next.ttl -= 1;
        match self.output(io, next, Payload::Slice(body), None, Some(in_iface)) {
            Ok(()) => self.counters.ip_forwarded += 1,
            Err(reason) => {
                self.drop_ip(io, repr.src, repr.dst, reason);
                let answer = match reason {
                    IpDrop::NoRoute => Some(DestUnreachableCode::NetUnreachable),
                    IpDrop::FragNeeded { mtu } => {
                        Some(DestUnreachableCode::FragmentationNeeded { next_hop_mtu: mtu })
                    }
                    _ => None,
                };
                if let Some(code) = answer {
                    self.send_icmp_error(io, code.into(), raw, in_iface, false);
                }
            }
        }
    }

    pub(super) fn run_loopback(&mut self, io: &mut NodeIo) {
        while let Some(datagram) = self.loopback.pop_front() {
            let Ok((repr, body)) = Ipv4Repr::parse(&datagram) else {
                continue;
            };
            let body = body.to_vec();
            self.local_input(io, LOOPBACK_IFACE, repr, &body, false);
        }
    }

    pub(super) fn run_reassembly_timers(&mut self, io: &mut NodeIo) {
        if self.reassembler.poll_at().is_none_or(|t| t > io.now) {
            return;
        }
        let mut expired = Vec::new();
        self.reassembler.on_timer(io.now, &mut expired);
        for t in expired {
            self.drop_ip(io, t.key.src, t.key.dst, IpDrop::ReassemblyTimeout);
            if let Some((header, data)) = t.first_fragment {
                // RFC 792: time exceeded, code 1, only when the first fragment arrived; never
                // about a datagram to a broadcast address (RFC 1122 §3.2.2), the subnet's
                // included.
                let broadcast = self.is_broadcast_anywhere(header.dst);
                let offending = icmp::quote_from_parts(&header, &data);
                self.send_icmp_error(
                    io,
                    TimeExceededCode::FragmentReassembly.into(),
                    &offending,
                    0,
                    broadcast,
                );
            }
        }
    }

    // ------------------------------------------------------------------ UDP

    fn on_udp(&mut self, io: &mut NodeIo, iface: u16, ip: &Ipv4Repr, data: &[u8], broadcast: bool) {
        self.counters.udp_rx += 1;
        let udp = match UdpRepr::parse(data, ip.src, ip.dst) {
            Ok(u) => u,
            Err(_) => {
                self.drop_ip(io, ip.src, ip.dst, IpDrop::BadTransport);
                return;
            }
        };
        if self.deliver_udp(ip, &udp) {
            return;
        }
        if self.dhcp.is_some() && self.dhcp_server_input(io, iface, ip, &udp) {
            return;
        }
        if self.dns.is_some() && self.dns_input(io, ip, &udp) {
            return;
        }
        // Nobody has the port (RFC 1122 §4.1.3.1: port unreachable).
        self.drop_ip(io, ip.src, ip.dst, IpDrop::PortUnreachable(udp.dst_port));
        let offending = icmp::quote_from_parts(ip, data);
        self.send_icmp_error(
            io,
            DestUnreachableCode::PortUnreachable.into(),
            &offending,
            iface,
            broadcast,
        );
    }

    // ------------------------------------------------------------------ applications

    /// Runs `f` over the apps with a scratch output buffer; `f` returns the index of the app
    /// that produced output, which is then carried out.
    pub(super) fn with_app_output(
        &mut self,
        io: &mut NodeIo,
        f: impl FnOnce(&mut [crate::apps::App], &mut Vec<AppOut>) -> Option<usize>,
    ) {
        let mut out = std::mem::take(&mut self.scratch_app_out);
        if let Some(i) = f(&mut self.apps, &mut out) {
            self.carry_out(io, i, &mut out);
            self.reschedule_app(i);
        }
        out.clear();
        self.scratch_app_out = out;
    }

    /// Hands an ICMP message to the first application it is for, and carries out its answer.
    pub(super) fn deliver_to_app(&mut self, io: &mut NodeIo, msg: IcmpDelivery) {
        let now = io.now;
        self.with_app_output(io, |apps, out| {
            apps.iter_mut().position(|a| a.on_icmp(now, msg, out))
        });
    }

    pub(super) fn run_app_timers(&mut self, io: &mut NodeIo) {
        for i in self.take_due_apps(io.now) {
            if self.apps[i].uses_sockets() {
                self.poll_socket_app(io, i);
                continue;
            }
            let mut out = std::mem::take(&mut self.scratch_app_out);
            self.apps[i].on_timer(io.now, &mut out);
            self.carry_out(io, i, &mut out);
            out.clear();
            self.scratch_app_out = out;
            self.reschedule_app(i);
        }
    }

    /// Carries out what app `i` asked for.
    fn carry_out(&mut self, io: &mut NodeIo, i: usize, out: &mut Vec<AppOut>) {
        let mut k = 0;
        while k < out.len() {
            match out[k].clone() {
                AppOut::Event(event) => io.trace(TraceEvent::App {
                    app: i as u16,
                    event,
                }),
                AppOut::SendEcho {
                    dst,
                    ident,
                    seq,
                    size,
                    ttl,
                    df,
                } => {
                    // Like iputils: the data starts with a timestamp-sized block, then a pattern.
                    let data: Vec<u8> = (0..size as usize).map(|b| (b % 256) as u8).collect();
                    let msg = IcmpRepr::EchoRequest {
                        ident,
                        seq_no: seq,
                        data: &data,
                    };
                    if let Err(drop) = self.send_icmp(
                        io,
                        Ipv4Addr::UNSPECIFIED,
                        dst,
                        &msg,
                        Header { tos: 0, ttl, df },
                    ) {
                        self.apps[i].on_send_failed(seq, drop, out);
                    }
                }
                AppOut::SendUdp {
                    dst,
                    ttl,
                    src_port,
                    dst_port,
                    len,
                } => {
                    let payload = vec![0u8; len as usize];
                    let udp = UdpRepr {
                        src_port,
                        dst_port,
                        payload: &payload,
                    };
                    // The checksum covers the source address: pick it as routing will.
                    let src = self
                        .routes
                        .lookup(dst)
                        .and_then(|r| self.iface_addr(r.iface as u16))
                        .unwrap_or(Ipv4Addr::UNSPECIFIED);
                    let bytes = udp.to_bytes(src, dst);
                    let mut repr = Ipv4Repr::new(src, dst, IpProtocol::Udp, bytes.len());
                    repr.ttl = ttl;
                    // A failure is recorded by send_ip; the probe then times out as `*`.
                    let _ = self.send_ip(io, repr, &bytes, DfPolicy::Dont);
                }
            }
            k += 1;
        }
    }
}

/// What follows the IP header of a datagram being sent.
pub(super) enum Payload<'a> {
    Slice(&'a [u8]),
    /// A TCP segment, written out where the datagram is built: into its frame, as a rule.
    Tcp(&'a crate::tcp::TcpSegment),
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Payload::Slice(s) => s.len(),
            Payload::Tcp(seg) => seg.buffer_len(),
        }
    }

    /// The payload's bytes (a TCP segment written out: only fragmenting one needs this).
    fn bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Payload::Slice(s) => Cow::Borrowed(s),
            Payload::Tcp(seg) => Cow::Owned(seg.to_bytes()),
        }
    }

    /// Writes the whole datagram, header first, into `buf` (zeroed, exactly its length).
    fn write_datagram(&self, repr: &Ipv4Repr, buf: &mut [u8]) {
        let header = Ipv4Repr {
            payload_len: self.len(),
            ..*repr
        };
        header.emit(&mut buf[..ip::wire::HEADER_LEN]);
        let body = &mut buf[ip::wire::HEADER_LEN..];
        match self {
            Payload::Slice(s) => body.copy_from_slice(s),
            // Cannot fail: the buffer has the segment's length and its options fit.
            Payload::Tcp(seg) => {
                let _ = seg.emit(body);
            }
        }
    }

    /// The whole datagram, header first.
    fn into_datagram(self, repr: &Ipv4Repr) -> Vec<u8> {
        let mut datagram = vec![0; ip::wire::HEADER_LEN + self.len()];
        self.write_datagram(repr, &mut datagram);
        datagram
    }
}

/// IP header choices for a datagram the host originates.
#[derive(Copy, Clone, Debug)]
pub(super) struct Header {
    pub(super) tos: u8,
    pub(super) ttl: u8,
    pub(super) df: DfPolicy,
}

/// The ICMP errors a host sends.
#[derive(Copy, Clone, Debug)]
pub(super) enum IcmpErrorKind {
    Unreachable(DestUnreachableCode),
    TimeExceeded(TimeExceededCode),
}

impl From<DestUnreachableCode> for IcmpErrorKind {
    fn from(c: DestUnreachableCode) -> Self {
        IcmpErrorKind::Unreachable(c)
    }
}

impl From<TimeExceededCode> for IcmpErrorKind {
    fn from(c: TimeExceededCode) -> Self {
        IcmpErrorKind::TimeExceeded(c)
    }
}
