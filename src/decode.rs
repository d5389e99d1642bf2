//! A frame's headers taken apart once, layer by layer, leniently: Ethernet (past a VLAN tag),
//! then IPv4, then the TCP or UDP header, as `pnet_packet` views over the bytes. Nothing is
//! checked beyond what is needed to read a field (no checksum: a filter or a view must see a
//! damaged frame's headers as they are), so it suits matching and display; the stack's own
//! input keeps the checked `*Repr::parse` of each protocol.
//!
//! The filter words (`filter::FrameFilter`) and the browser page's per-frame facts read frames
//! through it, so they agree on what a frame is by construction.

use crate::ethernet::{self, ethertype, EthernetRepr};
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;
use pnet_packet::Packet;

/// IP protocol numbers read from a header.
pub mod proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
}

/// The layers of one frame that could be read.
pub struct Decoded<'a> {
    /// The Ethernet header (`None`: not even a frame).
    pub eth: Option<EthernetRepr>,
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
                Decoded { eth: Some(eth), ip }
            }
            Err(_) => Decoded {
                eth: None,
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
