//! The UDP header (RFC 768) and its checksum over the IPv4 pseudo-header.
//!
//! ```text
//! |          Source Port          |       Destination Port        |
//! |            Length             |           Checksum            |
//! |                          data ...                             |
//! ```
//!
//! The checksum covers a pseudo-header (source and destination address, protocol 17, UDP
//! length), the UDP header and the data. A transmitted checksum of 0 means "not computed"
//! and is accepted without check (RFC 768; RFC 1122 §4.1.3.4). So a checksum that computes
//! to 0 is sent as 0xFFFF, its other ones' complement form.

use std::fmt;
use std::net::Ipv4Addr;

use pnet_packet::udp::{MutableUdpPacket, UdpPacket};

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// Why bytes are not a valid UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UdpParseError {
    #[error("UDP datagram truncated: {0} bytes, need at least {HEADER_LEN}")]
    Truncated(usize),
    /// The length field is below 8 or larger than the bytes received.
    #[error("UDP length field {length} does not fit the {available} bytes received")]
    BadLength { length: u16, available: usize },
    #[error("UDP checksum is {found:#06x}, expected {expected:#06x}")]
    BadChecksum { found: u16, expected: u16 },
}

/// A UDP datagram in plain fields; the payload borrows from the parsed buffer.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct UdpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

/// The UDP checksum of `datagram` (header and data, checksum field included as it is) over
/// the pseudo-header; skipping the checksum field when `skip_checksum_field`.
fn checksum(datagram: &[u8], src: Ipv4Addr, dst: Ipv4Addr, skip_checksum_field: bool) -> u16 {
    use crate::ip::checksum;
    let acc = checksum::pseudo_header(src, dst, 17, datagram.len());
    if skip_checksum_field && datagram.len() >= 8 {
        // Bytes 6 and 7 are the checksum field.
        checksum::finish(checksum::add(
            checksum::add(acc, &datagram[..6]),
            &datagram[8..],
        ))
    } else {
        checksum::finish(checksum::add(acc, datagram))
    }
}

impl<'a> UdpRepr<'a> {
    /// Parses the UDP datagram in `buf` (the IP payload) sent from `src` to `dst`. Bytes past
    /// the UDP length field are ignored (RFC 1122 §4.1.3.4 leaves them to the IP layer; Linux
    /// trims them).
    pub fn parse(
        buf: &'a [u8],
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<UdpRepr<'a>, UdpParseError> {
        let view = UdpPacket::new(buf).ok_or(UdpParseError::Truncated(buf.len()))?;
        let length = view.get_length();
        if (length as usize) < HEADER_LEN || length as usize > buf.len() {
            return Err(UdpParseError::BadLength {
                length,
                available: buf.len(),
            });
        }
        let datagram = &buf[..length as usize];
        let found = view.get_checksum();
        // Summing everything, the stored checksum included, gives 0 when it is right (and
        // also when 0xFFFF stands in for a computed 0).
        if found != 0 && checksum(datagram, src, dst, false) != 0 {
            return Err(UdpParseError::BadChecksum {
                found,
                expected: match checksum(datagram, src, dst, true) {
                    0 => 0xffff,
                    c => c,
                },
            });
        }
        Ok(UdpRepr {
            src_port: view.get_source(),
            dst_port: view.get_destination(),
            payload: &datagram[HEADER_LEN..],
        })
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Header plus payload: the length field.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes the datagram, checksum included, into `buf[..self.buffer_len()]`.
    ///
    /// # Panics
    /// If `buf` is shorter than `buffer_len()`, or the datagram is longer than 65 535 bytes.
    pub fn emit(&self, buf: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) {
        let len = self.buffer_len();
        assert!(
            len <= u16::MAX as usize,
            "UDP datagram of {len} bytes exceeds 65535"
        );
        assert!(
            buf.len() >= len,
            "UDP emit needs {len} bytes, got {}",
            buf.len()
        );
        let buf = &mut buf[..len];
        buf[HEADER_LEN..].copy_from_slice(self.payload);
        let mut view = MutableUdpPacket::new(buf).expect("length checked");
        view.set_source(self.src_port);
        view.set_destination(self.dst_port);
        view.set_length(len as u16);
        view.set_checksum(0);
        let sum = match checksum(buf, src, dst, true) {
            // 0 on the wire means "no checksum" (RFC 768), so a real 0 is sent as 0xFFFF.
            0 => 0xffff,
            c => c,
        };
        MutableUdpPacket::new(buf)
            .expect("length checked")
            .set_checksum(sum);
    }

    /// The datagram as a new buffer.
    pub fn to_bytes(&self, src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
        let mut buf = vec![0; self.buffer_len()];
        self.emit(&mut buf, src, dst);
        buf
    }
}

impl fmt::Display for UdpRepr<'_> {
    /// `UDP 40000 > 53, length 12` (tcpdump puts the ports on the IP line; netlab's IP line has
    /// no ports, so they are here). The length is the payload's, as tcpdump prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UDP {} > {}, length {}",
            self.src_port,
            self.dst_port,
            self.payload.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 31);
    const DST: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 30);

    #[test]
    fn checksum_against_a_worked_example() {
        // Port 20 → 10, data "Hi": the sum of pseudo-header (c0a8 001f c0a8 001e 0011 000a),
        // header (0014 000a 000a) and data (4869) is 0x1ca39, folded 0xca3a; checksum 0x35c5.
        let repr = UdpRepr {
            src_port: 20,
            dst_port: 10,
            payload: b"Hi",
        };
        let bytes = repr.to_bytes(SRC, DST);
        assert_eq!(
            bytes,
            [0x00, 0x14, 0x00, 0x0a, 0x00, 0x0a, 0x35, 0xc5, b'H', b'i']
        );
        assert_eq!(UdpRepr::parse(&bytes, SRC, DST), Ok(repr));
        assert_eq!(repr.to_string(), "UDP 20 > 10, length 2");
    }

    #[test]
    fn wrong_addresses_or_corruption_fail_the_checksum() {
        let repr = UdpRepr {
            src_port: 5000,
            dst_port: 53,
            payload: b"query",
        };
        let mut bytes = repr.to_bytes(SRC, DST);
        assert!(matches!(
            UdpRepr::parse(&bytes, SRC, Ipv4Addr::new(192, 168, 0, 99)),
            Err(UdpParseError::BadChecksum { .. })
        ));
        bytes[9] ^= 1;
        assert!(matches!(
            UdpRepr::parse(&bytes, SRC, DST),
            Err(UdpParseError::BadChecksum { .. })
        ));
        // Checksum 0: not computed, accepted as is.
        bytes[6] = 0;
        bytes[7] = 0;
        assert!(UdpRepr::parse(&bytes, SRC, DST).is_ok());
    }

    #[test]
    fn a_computed_zero_is_sent_as_ffff() {
        // Search a payload whose checksum computes to 0.
        let mut found = None;
        for x in 0..=u16::MAX {
            let payload = x.to_be_bytes();
            let bytes = UdpRepr {
                src_port: 1,
                dst_port: 2,
                payload: &payload,
            }
            .to_bytes(SRC, DST);
            if bytes[6..8] == [0xff, 0xff] {
                found = Some(bytes);
                break;
            }
        }
        let bytes = found.expect("some 2-byte payload sums to zero");
        // And the receiver accepts 0xFFFF as a correct checksum.
        let parsed = UdpRepr::parse(&bytes, SRC, DST).unwrap();
        assert_eq!((parsed.src_port, parsed.dst_port), (1, 2));
    }

    #[test]
    fn empty_payload_and_trailing_bytes() {
        let empty = UdpRepr {
            src_port: 7,
            dst_port: 9,
            payload: &[],
        };
        let mut bytes = empty.to_bytes(SRC, DST);
        assert_eq!(bytes.len(), 8);
        assert_eq!(UdpRepr::parse(&bytes, SRC, DST), Ok(empty));
        bytes.extend_from_slice(&[0xaa; 6]);
        assert_eq!(UdpRepr::parse(&bytes, SRC, DST), Ok(empty));
    }

    #[test]
    fn bad_lengths() {
        assert_eq!(
            UdpRepr::parse(&[0; 7], SRC, DST),
            Err(UdpParseError::Truncated(7))
        );
        let mut bytes = UdpRepr {
            src_port: 7,
            dst_port: 9,
            payload: b"abc",
        }
        .to_bytes(SRC, DST);
        bytes[5] = 20;
        assert_eq!(
            UdpRepr::parse(&bytes, SRC, DST),
            Err(UdpParseError::BadLength {
                length: 20,
                available: 11
            })
        );
        bytes[5] = 4;
        assert_eq!(
            UdpRepr::parse(&bytes, SRC, DST),
            Err(UdpParseError::BadLength {
                length: 4,
                available: 11
            })
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), s: [u8; 4], d: [u8; 4]) {
            let _ = UdpRepr::parse(&bytes, Ipv4Addr::from(s), Ipv4Addr::from(d));
        }

        #[test]
        fn valid_reprs_round_trip(
            src_port: u16, dst_port: u16,
            payload in proptest::collection::vec(any::<u8>(), 0..200),
            s: [u8; 4], d: [u8; 4],
        ) {
            let (s, d) = (Ipv4Addr::from(s), Ipv4Addr::from(d));
            let repr = UdpRepr { src_port, dst_port, payload: &payload };
            let bytes = repr.to_bytes(s, d);
            prop_assert_ne!(u16::from_be_bytes([bytes[6], bytes[7]]), 0);
            prop_assert_eq!(UdpRepr::parse(&bytes, s, d), Ok(repr));
        }
    }
}
