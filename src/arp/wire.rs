//! ARP packets for IPv4 over Ethernet (RFC 826), the only combination netlab speaks.
//!
//! ```text
//! | hardware type = 1 | protocol type = 0x0800 | hlen = 6 | plen = 4 | operation |
//! | sender MAC (6) | sender IP (4) | target MAC (6) | target IP (4) |
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use pnet_base::MacAddr;
use pnet_packet::arp::{
    ArpHardwareType, ArpOperation as WireOperation, ArpPacket, MutableArpPacket,
};
use pnet_packet::ethernet::EtherType;

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;

const HARDWARE_ETHERNET: u16 = 1;
const PROTOCOL_IPV4: u16 = 0x0800;

/// Request (1) or reply (2), RFC 826 `ar$op`.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ArpOperation {
    Request,
    Reply,
}

impl ArpOperation {
    pub const fn code(self) -> u16 {
        match self {
            ArpOperation::Request => 1,
            ArpOperation::Reply => 2,
        }
    }
}

/// Why bytes are not an Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArpParseError {
    #[error("ARP packet truncated: {0} bytes, need {PACKET_LEN}")]
    Truncated(usize),
    #[error("ARP hardware type {0} is not Ethernet (1)")]
    UnsupportedHardware(u16),
    #[error("ARP protocol type {0:#06x} is not IPv4 (0x0800)")]
    UnsupportedProtocol(u16),
    #[error("ARP address lengths {hardware}/{protocol} do not match Ethernet/IPv4 (6/4)")]
    BadAddressLength { hardware: u8, protocol: u8 },
    #[error("ARP operation {0} is neither request (1) nor reply (2)")]
    UnknownOperation(u16),
}

/// An ARP packet in plain fields.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct ArpRepr {
    pub operation: ArpOperation,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    /// Unknown in a request: zero, as Linux sends it.
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

impl ArpRepr {
    /// A request "who has `target_ip`? tell `sender_ip`", target MAC zero.
    pub fn request(sender_mac: MacAddr, sender_ip: Ipv4Addr, target_ip: Ipv4Addr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Request,
            sender_mac,
            sender_ip,
            target_mac: MacAddr::zero(),
            target_ip,
        }
    }

    /// The reply to this request from the owner of `target_ip` (RFC 826: swap sender and
    /// target, put our MAC in the sender field, set the opcode to reply).
    pub fn reply_from(&self, my_mac: MacAddr) -> ArpRepr {
        ArpRepr {
            operation: ArpOperation::Reply,
            sender_mac: my_mac,
            sender_ip: self.target_ip,
            target_mac: self.sender_mac,
            target_ip: self.sender_ip,
        }
    }

    /// A gratuitous ARP announces the sender's own mapping: sender IP = target IP (RFC 5227 §3).
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip == self.target_ip
    }

    /// Parses an ARP packet at the start of `buf`. Trailing bytes (Ethernet padding: an ARP
    /// packet is 28 bytes, a minimum frame carries 46) are ignored.
    pub fn parse(buf: &[u8]) -> Result<ArpRepr, ArpParseError> {
        if buf.len() < PACKET_LEN {
            return Err(ArpParseError::Truncated(buf.len()));
        }
        let view = ArpPacket::new(buf).ok_or(ArpParseError::Truncated(buf.len()))?;
        let hardware = view.get_hardware_type().0;
        if hardware != HARDWARE_ETHERNET {
            return Err(ArpParseError::UnsupportedHardware(hardware));
        }
        let protocol = view.get_protocol_type().0;
        if protocol != PROTOCOL_IPV4 {
            return Err(ArpParseError::UnsupportedProtocol(protocol));
        }
        let (hlen, plen) = (view.get_hw_addr_len(), view.get_proto_addr_len());
        if hlen != 6 || plen != 4 {
            return Err(ArpParseError::BadAddressLength {
                hardware: hlen,
                protocol: plen,
            });
        }
        let operation = match view.get_operation().0 {
            1 => ArpOperation::Request,
            2 => ArpOperation::Reply,
            other => return Err(ArpParseError::UnknownOperation(other)),
        };
        Ok(ArpRepr {
            operation,
            sender_mac: view.get_sender_hw_addr(),
            sender_ip: view.get_sender_proto_addr(),
            target_mac: view.get_target_hw_addr(),
            target_ip: view.get_target_proto_addr(),
        })
    }

    pub const fn header_len(&self) -> usize {
        PACKET_LEN
    }

    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the 28-byte packet into `buf[..28]`.
    ///
    /// # Panics
    /// If `buf` is shorter than 28 bytes.
    pub fn emit(&self, buf: &mut [u8]) {
        let mut view = MutableArpPacket::new(&mut buf[..PACKET_LEN])
            .expect("emit needs a buffer of at least 28 bytes");
        view.set_hardware_type(ArpHardwareType(HARDWARE_ETHERNET));
        view.set_protocol_type(EtherType(PROTOCOL_IPV4));
        view.set_hw_addr_len(6);
        view.set_proto_addr_len(4);
        view.set_operation(WireOperation(self.operation.code()));
        view.set_sender_hw_addr(self.sender_mac);
        view.set_sender_proto_addr(self.sender_ip);
        view.set_target_hw_addr(self.target_mac);
        view.set_target_proto_addr(self.target_ip);
    }

    /// The packet as a new 28-byte buffer.
    pub fn to_bytes(&self) -> [u8; PACKET_LEN] {
        let mut buf = [0; PACKET_LEN];
        self.emit(&mut buf);
        buf
    }
}

impl fmt::Display for ArpRepr {
    /// tcpdump's wording: `ARP who-has 10.0.0.2 tell 10.0.0.1` (with the target MAC in
    /// parentheses when a request already knows it, as a unicast re-probe does) and
    /// `ARP 10.0.0.2 is-at 02:00:00:00:00:02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            ArpOperation::Request => {
                write!(f, "ARP who-has {}", self.target_ip)?;
                if !self.target_mac.is_zero() {
                    write!(f, " ({})", self.target_mac)?;
                }
                write!(f, " tell {}", self.sender_ip)
            }
            ArpOperation::Reply => write!(f, "ARP {} is-at {}", self.sender_ip, self.sender_mac),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A request captured on a LAN: 192.168.1.1 (00:1a:2b:3c:4d:5e) asks for 192.168.1.20.
    const CAPTURED_REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0xc0,
        0xa8, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x14,
    ];

    fn mac(last: u8) -> MacAddr {
        MacAddr::new(0x02, 0, 0, 0, 0, last)
    }

    #[test]
    fn parses_a_captured_request_with_padding() {
        let mut frame = CAPTURED_REQUEST.to_vec();
        frame.resize(46, 0);
        let repr = ArpRepr::parse(&frame).unwrap();
        assert_eq!(
            repr,
            ArpRepr::request(
                MacAddr::new(0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e),
                Ipv4Addr::new(192, 168, 1, 1),
                Ipv4Addr::new(192, 168, 1, 20)
            )
        );
        assert_eq!(repr.to_bytes(), CAPTURED_REQUEST);
        assert_eq!(
            repr.to_string(),
            "ARP who-has 192.168.1.20 tell 192.168.1.1"
        );
    }

    #[test]
    fn reply_swaps_sender_and_target() {
        let req = ArpRepr::request(
            mac(1),
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
        );
        let reply = req.reply_from(mac(2));
        assert_eq!(reply.operation, ArpOperation::Reply);
        assert_eq!(reply.sender_ip, Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(reply.target_mac, mac(1));
        assert_eq!(reply.to_string(), "ARP 10.0.0.2 is-at 02:00:00:00:00:02");
        let mut probe = req;
        probe.target_mac = mac(2);
        assert_eq!(
            probe.to_string(),
            "ARP who-has 10.0.0.2 (02:00:00:00:00:02) tell 10.0.0.1"
        );
        assert!(!req.is_gratuitous());
    }

    #[test]
    fn other_link_or_network_types_are_typed_errors() {
        let good = CAPTURED_REQUEST;
        assert_eq!(
            ArpRepr::parse(&good[..27]),
            Err(ArpParseError::Truncated(27))
        );
        let mut b = good;
        b[1] = 6; // IEEE 802
        assert_eq!(
            ArpRepr::parse(&b),
            Err(ArpParseError::UnsupportedHardware(6))
        );
        let mut b = good;
        b[2] = 0x86;
        b[3] = 0xdd;
        assert_eq!(
            ArpRepr::parse(&b),
            Err(ArpParseError::UnsupportedProtocol(0x86dd))
        );
        let mut b = good;
        b[5] = 16;
        assert_eq!(
            ArpRepr::parse(&b),
            Err(ArpParseError::BadAddressLength {
                hardware: 6,
                protocol: 16
            })
        );
        let mut b = good;
        b[7] = 3; // RARP request
        assert_eq!(ArpRepr::parse(&b), Err(ArpParseError::UnknownOperation(3)));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
            let _ = ArpRepr::parse(&bytes);
        }

        #[test]
        fn valid_reprs_round_trip(
            reply: bool,
            smac: [u8; 6], sip: [u8; 4], tmac: [u8; 6], tip: [u8; 4],
        ) {
            let repr = ArpRepr {
                operation: if reply { ArpOperation::Reply } else { ArpOperation::Request },
                sender_mac: MacAddr::new(smac[0], smac[1], smac[2], smac[3], smac[4], smac[5]),
                sender_ip: Ipv4Addr::from(sip),
                target_mac: MacAddr::new(tmac[0], tmac[1], tmac[2], tmac[3], tmac[4], tmac[5]),
                target_ip: Ipv4Addr::from(tip),
            };
            prop_assert_eq!(ArpRepr::parse(&repr.to_bytes()), Ok(repr));
        }
    }
}
