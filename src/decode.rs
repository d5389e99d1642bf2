//! A frame's headers taken apart once, layer by layer: Ethernet (past a VLAN tag), then what
//! the EtherType names (ARP, IPv4, an 802.3 frame's LLC data and the spanning tree BPDU in it),
//! then what IPv4 carries (ICMP, UDP, TCP) and what a UDP datagram's ports name (DHCP, DNS).
//! Every view and the filter find a frame's layers here, so a protocol is taught once.
//!
//! Two readings, because views need both:
//! - lenient (`Decoded::ip`, `tcp`, `udp`, `ports`, `ipv4_view`): `pnet_packet` views over the
//!   bytes, nothing checked beyond what is needed to read a field, so a filter or a field-by-field
//!   view sees a damaged frame's headers as they are;
//! - checked (`Decoded::arp`, `ipv4`, then `Datagram::tcp`, `udp`, `icmp`): each protocol's
//!   `*Repr::parse`, checksums included, the error saying what is wrong, so a summary can say
//!   "bad checksum" rather than refuse. `Datagram::tcp_unchecked` reads a segment whose checksum
//!   is wrong as it is.
//!
//! The stack's own input keeps calling the checked `*Repr::parse` of each protocol directly.

use crate::arp::{ArpParseError, ArpRepr};
use crate::dhcp::wire::DhcpParseError;
use crate::dhcp::DhcpRepr;
use crate::dns::wire::DnsParseError;
use crate::dns::DnsRepr;
use crate::ethernet::{self, ethertype, EthernetRepr};
use crate::icmp::{IcmpParseError, IcmpRepr};
use crate::ip::{IpProtocol, Ipv4ParseError, Ipv4Repr};
use crate::switch::bpdu::{self, Bpdu, BpduError};
use crate::tcp::{TcpParseError, TcpRepr};
use crate::udp::{UdpParseError, UdpRepr};
use pnet_packet::arp::ArpPacket;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;
use pnet_packet::Packet;

/// IP protocol numbers read from a header, as constants for patterns; the numbers themselves
/// are `ip::IpProtocol`'s.
pub mod proto {
    use crate::ip::IpProtocol;
    pub const ICMP: u8 = IpProtocol::Icmp.number();
    pub const TCP: u8 = IpProtocol::Tcp.number();
    pub const UDP: u8 = IpProtocol::Udp.number();
}

/// The layers of one frame that could be read.
pub struct Decoded<'a> {
    /// The whole frame, destination MAC .. FCS.
    pub frame: &'a [u8],
    /// The Ethernet header, its EtherType the inner one of a tagged frame (`None`: a runt, too
    /// short for a header and an FCS).
    pub eth: Option<EthernetRepr>,
    /// The VLAN ID of an 802.1Q tag.
    pub vlan: Option<u16>,
    /// The whole tag control information of an 802.1Q tag (priority, DEI, VLAN ID).
    pub tci: Option<u16>,
    /// What the Ethernet header carries: after the header and any tag, before the FCS, padding
    /// included (empty for a runt).
    pub payload: &'a [u8],
    /// The IPv4 header and what follows, when the EtherType is IPv4 and the version 4.
    pub ip: Option<Ipv4Packet<'a>>,
}

impl<'a> Decoded<'a> {
    pub fn new(frame: &'a [u8]) -> Self {
        match ethernet::parse(frame) {
            Ok((eth, payload)) => {
                let ip = if eth.ethertype == ethertype::IPV4 {
                    Ipv4Packet::new(payload).filter(|p| p.get_version() == 4)
                } else {
                    None
                };
                let vlan = ethernet::vlan_of(frame);
                Decoded {
                    frame,
                    eth: Some(eth),
                    vlan,
                    tci: vlan.map(|_| u16::from_be_bytes([frame[14], frame[15]])),
                    payload,
                    ip,
                }
            }
            Err(_) => Decoded {
                frame,
                eth: None,
                vlan: None,
                tci: None,
                payload: &[],
                ip: None,
            },
        }
    }

    pub fn ethertype(&self) -> Option<u16> {
        self.eth.map(|e| e.ethertype)
    }

    /// The IP protocol number.
    pub fn ip_proto(&self) -> Option<u8> {
        self.ip.as_ref().map(|p| p.get_next_level_protocol().0)
    }

    /// The transport header and payload, cut to the IP total length.
    pub fn transport(&self) -> Option<&[u8]> {
        let ip = self.ip.as_ref()?;
        let hl = ip.get_header_length() as usize * 4;
        let total = ip.get_total_length() as usize;
        let bytes = ip.packet();
        bytes.get(hl..total.min(bytes.len()))
    }

    /// The TCP header, when the datagram carries TCP and its fixed header is there.
    pub fn tcp(&self) -> Option<TcpPacket<'_>> {
        (self.ip_proto()? == proto::TCP)
            .then(|| self.transport().and_then(TcpPacket::new))
            .flatten()
    }

    /// The UDP header, when the datagram carries UDP and its header is there.
    pub fn udp(&self) -> Option<UdpPacket<'_>> {
        (self.ip_proto()? == proto::UDP)
            .then(|| self.transport().and_then(UdpPacket::new))
            .flatten()
    }

    /// Source and destination port of a TCP or UDP datagram.
    pub fn ports(&self) -> Option<(u16, u16)> {
        if let Some(t) = self.tcp() {
            return Some((t.get_source(), t.get_destination()));
        }
        self.udp().map(|u| (u.get_source(), u.get_destination()))
    }

    /// The IPv4 header as the bytes have it, whatever its version field says (a field-by-field
    /// view shows a damaged version too), when the EtherType is IPv4 and 20 bytes are there.
    pub fn ipv4_view(&self) -> Option<Ipv4Packet<'a>> {
        (self.ethertype()? == ethertype::IPV4)
            .then(|| Ipv4Packet::new(self.payload))
            .flatten()
    }

    /// The bytes after an IPv4 header (read as [`Decoded::ipv4_view`] does) up to its total
    /// length, as far as the frame goes: empty when the header itself is cut short, `None` when
    /// the header length or total length is impossible (below 20, below the header length).
    pub fn ipv4_payload(&self) -> Option<&'a [u8]> {
        let v = self.ipv4_view()?;
        let (hl, total) = (
            v.get_header_length() as usize * 4,
            v.get_total_length() as usize,
        );
        if hl < 20 || total < hl {
            return None;
        }
        let end = total.min(self.payload.len());
        Some(&self.payload[hl.min(end)..end])
    }

    /// Whether the FCS matches the frame's bytes (a damaged frame's does not).
    pub fn fcs(&self) -> Result<(), ethernet::FrameError> {
        ethernet::check_fcs(self.frame)
    }

    /// The ARP packet as the bytes have it, when the EtherType is ARP and 28 bytes are there.
    pub fn arp_view(&self) -> Option<ArpPacket<'a>> {
        (self.ethertype()? == ethertype::ARP)
            .then(|| ArpPacket::new(self.payload))
            .flatten()
    }

    /// The ARP packet, checked, when the EtherType is ARP.
    pub fn arp(&self) -> Option<Result<ArpRepr, ArpParseError>> {
        (self.ethertype()? == ethertype::ARP).then(|| ArpRepr::parse(self.payload))
    }

    /// The IPv4 datagram, its header checked, when the EtherType is IPv4.
    pub fn ipv4(&self) -> Option<Result<Datagram<'a>, Ipv4ParseError>> {
        (self.ethertype()? == ethertype::IPV4).then(|| Datagram::parse(self.payload))
    }

    /// An IEEE 802.3 frame's LLC data (its type field is a length, at most 1500): the payload
    /// up to that length.
    pub fn llc(&self) -> Option<&'a [u8]> {
        let len = usize::from(self.ethertype()?);
        (len <= usize::from(ethernet::MAX_LENGTH_FIELD))
            .then(|| &self.payload[..len.min(self.payload.len())])
    }

    /// The spanning tree BPDU an 802.3 frame carries, when its LLC header names the STP SAP.
    pub fn bpdu(&self) -> Option<Result<Bpdu, BpduError>> {
        bpdu::of_llc(self.llc()?)
    }
}

/// An IPv4 datagram (or fragment) whose header passed the stack's checks (version, lengths,
/// header checksum): the header and exactly its payload, padding cut off.
#[derive(Clone, Copy, Debug)]
pub struct Datagram<'a> {
    pub ip: Ipv4Repr,
    pub body: &'a [u8],
}

impl<'a> Datagram<'a> {
    /// The datagram at the start of an Ethernet payload.
    pub fn parse(bytes: &'a [u8]) -> Result<Datagram<'a>, Ipv4ParseError> {
        Ipv4Repr::parse(bytes).map(|(ip, body)| Datagram { ip, body })
    }

    /// The TCP segment, its checksum checked, when the datagram carries TCP. A fragment's
    /// payload is read as a whole segment all the same: callers decide about fragments.
    pub fn tcp(&self) -> Option<Result<TcpRepr<'a>, TcpParseError>> {
        (self.ip.protocol == IpProtocol::Tcp)
            .then(|| TcpRepr::parse(self.body, self.ip.src, self.ip.dst))
    }

    /// The TCP segment read without its checksum, as a damaged segment is.
    pub fn tcp_unchecked(&self) -> Option<Result<TcpRepr<'a>, TcpParseError>> {
        (self.ip.protocol == IpProtocol::Tcp).then(|| TcpRepr::parse_unchecked(self.body))
    }

    /// The UDP datagram, its checksum checked, when the datagram carries UDP.
    pub fn udp(&self) -> Option<Result<UdpRepr<'a>, UdpParseError>> {
        (self.ip.protocol == IpProtocol::Udp)
            .then(|| UdpRepr::parse(self.body, self.ip.src, self.ip.dst))
    }

    /// The ICMP message, its checksum checked, when the datagram carries ICMP.
    pub fn icmp(&self) -> Option<Result<IcmpRepr<'a>, IcmpParseError>> {
        (self.ip.protocol == IpProtocol::Icmp).then(|| IcmpRepr::parse(self.body))
    }
}

/// The type (or, at most 1500, length) field after the MAC addresses, read from any frame long
/// enough to hold it, a runt too: an untagged frame's EtherType, a tagged frame's 0x8100.
pub fn type_field(frame: &[u8]) -> Option<u16> {
    let b = frame.get(12..14)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// What a UDP datagram carries, by its ports.
pub enum UdpApp {
    Dhcp(Result<DhcpRepr, DhcpParseError>),
    Dns(Result<DnsRepr, DnsParseError>),
}

/// The application protocol a UDP datagram's ports name, read: DHCP on BOOTP's ports
/// (RFC 951: 67 and 68 on both ends, or a relay's 67 to 67), else DNS on port 53 at either end.
pub fn udp_app(u: &UdpRepr) -> Option<UdpApp> {
    use crate::dhcp::wire::{CLIENT_PORT, SERVER_PORT};
    match (u.src_port, u.dst_port) {
        (CLIENT_PORT, SERVER_PORT) | (SERVER_PORT, CLIENT_PORT) | (SERVER_PORT, SERVER_PORT) => {
            Some(UdpApp::Dhcp(DhcpRepr::parse(u.payload)))
        }
        (s, d) if s == crate::dns::wire::PORT || d == crate::dns::wire::PORT => {
            Some(UdpApp::Dns(DnsRepr::parse(u.payload)))
        }
        _ => None,
    }
}

/// The datagram an ICMP error quotes (RFC 792: its IPv4 header and at least 8 bytes more):
/// the header, read without the checks a quote cannot pass (a stale checksum, a cut payload),
/// and the ports at the head of a TCP or UDP header when the quote holds them.
pub fn quoted(quote: &[u8]) -> Result<(Ipv4Repr, Option<(u16, u16)>), Ipv4ParseError> {
    Ipv4Repr::parse_quoted(quote).map(|(ip, rest)| (ip, ports_of(rest)))
}

/// The source and destination ports at the start of a TCP or UDP header: all an ICMP error's
/// quoted 8 bytes are sure to hold, so this reads no more than 4.
pub fn ports_of(transport: &[u8]) -> Option<(u16, u16)> {
    let p = transport.get(..4)?;
    Some((
        u16::from_be_bytes([p[0], p[1]]),
        u16::from_be_bytes([p[2], p[3]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ethernet::MacAddr;
    use crate::tcp::{SeqNumber, TcpFlags, TcpOptions};
    use std::net::Ipv4Addr;

    const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn ip_frame(protocol: IpProtocol, transport: &[u8]) -> Vec<u8> {
        let packet = Ipv4Repr::new(A, B, protocol, transport.len()).to_bytes(transport);
        let eth = EthernetRepr {
            dst: ethernet::default_mac(2),
            src: ethernet::default_mac(1),
            ethertype: ethertype::IPV4,
        };
        ethernet::frame_with_payload(&eth, &packet).to_vec()
    }

    fn syn() -> Vec<u8> {
        let seg = TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq: SeqNumber(1000),
            ack: SeqNumber(0),
            flags: TcpFlags::SYN,
            window: 64240,
            urgent: 0,
            options: TcpOptions::NONE,
            payload: &[],
        };
        ip_frame(IpProtocol::Tcp, &seg.to_owned_segment(A, B).to_bytes())
    }

    #[test]
    fn a_tagged_segment_layer_by_layer() {
        let f = ethernet::tag(&syn(), 10);
        let d = Decoded::new(&f);
        assert_eq!(d.vlan, Some(10));
        assert_eq!(d.ethertype(), Some(ethertype::IPV4));
        assert!(d.fcs().is_ok());
        assert_eq!(d.ports(), Some((40000, 80)));
        let dg = d.ipv4().unwrap().unwrap();
        assert_eq!((dg.ip.src, dg.ip.dst), (A, B));
        assert_eq!(dg.tcp().unwrap().unwrap().seq, SeqNumber(1000));
        assert!(dg.udp().is_none() && dg.icmp().is_none() && d.arp().is_none());
        // Padding is cut from the datagram, kept in the Ethernet payload.
        assert_eq!(dg.body.len(), 20);
        assert_eq!(d.ipv4_payload().unwrap(), dg.body);
        assert!(d.payload.len() > 40);
    }

    #[test]
    fn damage_is_reported_not_hidden() {
        let mut f = syn();
        // A bit of the TCP window: the checked reading refuses, the lenient ones read it.
        f[14 + 20 + 14] ^= 1;
        let d = Decoded::new(&f);
        assert!(d.fcs().is_err());
        let dg = d.ipv4().unwrap().unwrap();
        assert_eq!(dg.tcp(), Some(Err(TcpParseError::BadChecksum)));
        assert_eq!(dg.tcp_unchecked().unwrap().unwrap().dst_port, 80);
        assert_eq!(d.ports(), Some((40000, 80)));
        // A version other than 4: no checked header, no lenient `ip`, but the view is there.
        let mut v6 = syn();
        v6[14] = 0x65;
        let d = Decoded::new(&v6);
        assert!(d.ipv4().unwrap().is_err() && d.ip.is_none());
        assert_eq!(d.ipv4_view().unwrap().get_version(), 6);
        // A runt has no layers at all, but its type field can still be read.
        let d = Decoded::new(&f[..16]);
        assert!(d.eth.is_none() && d.payload.is_empty());
        assert_eq!(type_field(&f[..16]), Some(ethertype::IPV4));
    }

    #[test]
    fn stp_arp_and_applications() {
        let cfg = crate::switch::bpdu::frame(ethernet::default_mac(9), &Bpdu::Tcn);
        let d = Decoded::new(&cfg);
        assert_eq!(d.llc().map(<[u8]>::len), Some(7));
        assert_eq!(d.bpdu(), Some(Ok(Bpdu::Tcn)));
        let arp = ArpRepr::request(ethernet::default_mac(1), A, B);
        let eth = EthernetRepr {
            dst: MacAddr::broadcast(),
            src: ethernet::default_mac(1),
            ethertype: ethertype::ARP,
        };
        let f = ethernet::frame_with_payload(&eth, &arp.to_bytes());
        let d = Decoded::new(&f);
        assert_eq!(d.arp(), Some(Ok(arp)));
        assert!(d.arp_view().is_some() && d.llc().is_none() && d.ipv4().is_none());
        let dns = UdpRepr {
            src_port: 5000,
            dst_port: 53,
            payload: &[],
        };
        assert!(matches!(udp_app(&dns), Some(UdpApp::Dns(Err(_)))));
        let dhcp = UdpRepr {
            src_port: 68,
            dst_port: 67,
            ..dns
        };
        assert!(matches!(udp_app(&dhcp), Some(UdpApp::Dhcp(Err(_)))));
        assert!(udp_app(&UdpRepr {
            dst_port: 80,
            ..dns
        })
        .is_none());
    }

    #[test]
    fn an_icmp_error_quote() {
        let mut quote = Ipv4Repr::new(A, B, IpProtocol::Udp, 8).to_bytes(&[0; 8]);
        quote[20..24].copy_from_slice(&[0x13, 0x88, 0, 53]);
        let (ip, ports) = quoted(&quote).unwrap();
        assert_eq!((ip.src, ports), (A, Some((5000, 53))));
        assert_eq!(quoted(&quote[..22]).unwrap().1, None);
    }
}
