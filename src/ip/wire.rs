//! The IPv4 header (RFC 791 §3.1): a plain [`Ipv4Repr`] and its conversion to and from bytes,
//! using `pnet_packet`'s `Ipv4Packet` view for field access.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |Version|  IHL  |Type of Service|          Total Length         |
//! |         Identification        |Flags|      Fragment Offset    |
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! |                       Source Address                          |
//! |                    Destination Address                        |
//! |                    Options                    |    Padding    |
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use pnet_packet::ip::IpNextHeaderProtocol;
use pnet_packet::ipv4::{Ipv4Packet, MutableIpv4Packet};
use pnet_packet::Packet;

/// Length of a header without options (IHL = 5).
pub const HEADER_LEN: usize = 20;
/// Largest datagram the 16-bit total length field can describe.
pub const MAX_PACKET_LEN: usize = 65_535;
/// Default TTL of a datagram a host originates: Linux `net.ipv4.ip_default_ttl` = 64
/// (RFC 1700 recommended 64; RFC 1122 §3.2.1.7 requires it to be configurable).
pub const DEFAULT_TTL: u8 = 64;

/// Don't Fragment bit in the 3-bit flags field (RFC 791 §3.1).
const FLAG_DF: u8 = 0b010;
/// More Fragments bit.
const FLAG_MF: u8 = 0b001;

/// The protocol carried in the payload (RFC 790 / IANA "Protocol Numbers").
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum IpProtocol {
    Icmp,
    Tcp,
    Udp,
    Other(u8),
}

impl IpProtocol {
    pub const fn number(self) -> u8 {
        match self {
            IpProtocol::Icmp => 1,
            IpProtocol::Tcp => 6,
            IpProtocol::Udp => 17,
            IpProtocol::Other(n) => n,
        }
    }
}

impl From<u8> for IpProtocol {
    fn from(n: u8) -> Self {
        match n {
            1 => IpProtocol::Icmp,
            6 => IpProtocol::Tcp,
            17 => IpProtocol::Udp,
            n => IpProtocol::Other(n),
        }
    }
}

impl From<IpProtocol> for u8 {
    fn from(p: IpProtocol) -> u8 {
        p.number()
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpProtocol::Icmp => f.pad("ICMP"),
            IpProtocol::Tcp => f.pad("TCP"),
            IpProtocol::Udp => f.pad("UDP"),
            IpProtocol::Other(n) => f.pad(&format!("proto-{n}")),
        }
    }
}

/// Why bytes are not a valid IPv4 datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ipv4ParseError {
    #[error("IPv4 packet truncated: {len} bytes, need at least {needed}")]
    Truncated { len: usize, needed: usize },
    #[error("not IPv4: version field is {0}")]
    BadVersion(u8),
    #[error("IPv4 header length {0} words is below the minimum of 5")]
    BadHeaderLength(u8),
    #[error("IPv4 total length {total_len} is smaller than the header length {header_len}")]
    TotalLengthBelowHeader { total_len: usize, header_len: usize },
    #[error("IPv4 total length {total_len} is larger than the {available} bytes received")]
    TotalLengthBeyondBuffer { total_len: usize, available: usize },
    #[error("IPv4 header checksum is {found:#06x}, expected {expected:#06x}")]
    BadChecksum { found: u16, expected: u16 },
}

/// An IPv4 header in plain fields. Options are not represented: they are skipped on parse and
/// never emitted (netlab does not originate options).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: IpProtocol,
    pub ttl: u8,
    /// The whole former TOS byte (DSCP and ECN).
    pub tos: u8,
    /// Identification, shared by all fragments of a datagram (RFC 791, RFC 6864).
    pub ident: u16,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// Offset of this fragment's data in the original datagram, in bytes (a multiple of 8;
    /// the wire field counts 8-byte units).
    pub frag_offset: u16,
    /// Length of the data after the header: total length - header length.
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// A header with the usual defaults: TTL 64, TOS 0, ident 0, not fragmented, DF clear.
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, payload_len: usize) -> Ipv4Repr {
        Ipv4Repr {
            src,
            dst,
            protocol,
            ttl: DEFAULT_TTL,
            tos: 0,
            ident: 0,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
            payload_len,
        }
    }

    /// Parses a datagram at the start of `buf`; returns the header and exactly the payload.
    ///
    /// Bytes after the total length are ignored: an Ethernet frame pads short datagrams to 46
    /// bytes (RFC 894), and that padding is not part of the datagram. The header checksum is
    /// verified (RFC 1122 §3.2.1.2: a datagram with a bad checksum MUST be silently discarded).
    pub fn parse(buf: &[u8]) -> Result<(Ipv4Repr, &[u8]), Ipv4ParseError> {
        let (repr, header_len, total_len) = Self::parse_fields(buf)?;
        if total_len < header_len {
            return Err(Ipv4ParseError::TotalLengthBelowHeader {
                total_len,
                header_len,
            });
        }
        if total_len > buf.len() {
            return Err(Ipv4ParseError::TotalLengthBeyondBuffer {
                total_len,
                available: buf.len(),
            });
        }
        // Summing the header including its checksum field gives 0xFFFF for a correct header,
        // so the folded complement is 0 (RFC 1071 §1).
        let header = &buf[..header_len];
        if super::checksum::finish(super::checksum::add(0, header)) != 0 {
            let view = Ipv4Packet::new(header).ok_or(Ipv4ParseError::Truncated {
                len: buf.len(),
                needed: HEADER_LEN,
            })?;
            return Err(Ipv4ParseError::BadChecksum {
                found: view.get_checksum(),
                expected: pnet_packet::ipv4::checksum(&view),
            });
        }
        Ok((repr, &buf[header_len..total_len]))
    }

    /// Parses the IPv4 header quoted inside an ICMP error message (RFC 792): the quote holds
    /// the header and only the first bytes of the payload, so the total length is not checked
    /// against the buffer and the checksum (which a router that decremented the TTL may have
    /// left stale) is not verified. Returns the header and the quoted part of the payload.
    pub fn parse_quoted(buf: &[u8]) -> Result<(Ipv4Repr, &[u8]), Ipv4ParseError> {
        let (repr, header_len, total_len) = Self::parse_fields(buf)?;
        let end = total_len.clamp(header_len, buf.len());
        Ok((repr, &buf[header_len..end]))
    }

    /// Reads the fixed fields after checking the version and header length; returns the repr,
    /// the header length and the total length (not yet checked against the buffer).
    fn parse_fields(buf: &[u8]) -> Result<(Ipv4Repr, usize, usize), Ipv4ParseError> {
        let view = Ipv4Packet::new(buf).ok_or(Ipv4ParseError::Truncated {
            len: buf.len(),
            needed: HEADER_LEN,
        })?;
        let version = view.get_version();
        if version != 4 {
            return Err(Ipv4ParseError::BadVersion(version));
        }
        let ihl = view.get_header_length();
        if ihl < 5 {
            return Err(Ipv4ParseError::BadHeaderLength(ihl));
        }
        let header_len = ihl as usize * 4;
        if buf.len() < header_len {
            return Err(Ipv4ParseError::Truncated {
                len: buf.len(),
                needed: header_len,
            });
        }
        let total_len = view.get_total_length() as usize;
        let flags = view.get_flags();
        let repr = Ipv4Repr {
            src: view.get_source(),
            dst: view.get_destination(),
            protocol: IpProtocol::from(view.get_next_level_protocol().0),
            ttl: view.get_ttl(),
            tos: (view.get_dscp() << 2) | view.get_ecn(),
            ident: view.get_identification(),
            dont_frag: flags & FLAG_DF != 0,
            more_frags: flags & FLAG_MF != 0,
            frag_offset: view.get_fragment_offset() * 8,
            payload_len: total_len.saturating_sub(header_len),
        };
        Ok((repr, header_len, total_len))
    }

    /// Length of the header [`Ipv4Repr::emit`] writes (no options).
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Header plus payload: the total length field.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// True if this is one piece of a fragmented datagram (RFC 791 §2.3).
    pub const fn is_fragment(&self) -> bool {
        self.more_frags || self.frag_offset != 0
    }

    /// Writes the 20-byte header, checksum included, into `buf[..20]`; the caller puts the
    /// payload at `buf[20..]`.
    ///
    /// # Panics
    /// If `buf` is shorter than 20 bytes, if `buffer_len()` exceeds 65 535, or if
    /// `frag_offset` is not a multiple of 8: these are programming errors of the caller.
    pub fn emit(&self, buf: &mut [u8]) {
        assert!(
            self.buffer_len() <= MAX_PACKET_LEN,
            "IPv4 datagram of {} bytes exceeds 65535",
            self.buffer_len()
        );
        assert!(
            self.frag_offset.is_multiple_of(8),
            "fragment offset {} is not a multiple of 8",
            self.frag_offset
        );
        let mut view = MutableIpv4Packet::new(&mut buf[..HEADER_LEN])
            .expect("emit needs a buffer of at least 20 bytes");
        view.set_version(4);
        view.set_header_length(5);
        view.set_dscp(self.tos >> 2);
        view.set_ecn(self.tos & 0b11);
        view.set_total_length(self.buffer_len() as u16);
        view.set_identification(self.ident);
        let mut flags = 0;
        if self.dont_frag {
            flags |= FLAG_DF;
        }
        if self.more_frags {
            flags |= FLAG_MF;
        }
        view.set_flags(flags);
        view.set_fragment_offset(self.frag_offset / 8);
        view.set_ttl(self.ttl);
        view.set_next_level_protocol(IpNextHeaderProtocol(self.protocol.number()));
        view.set_source(self.src);
        view.set_destination(self.dst);
        view.set_checksum(0);
        let checksum =
            super::checksum::finish(super::checksum::add(0, view.to_immutable().packet()));
        view.set_checksum(checksum);
    }

    /// Convenience for tests and tools: header and payload in a new buffer.
    pub fn to_bytes(&self, payload: &[u8]) -> Vec<u8> {
        let mut buf = vec![0; HEADER_LEN + payload.len()];
        let repr = Ipv4Repr {
            payload_len: payload.len(),
            ..*self
        };
        repr.emit(&mut buf);
        buf[HEADER_LEN..].copy_from_slice(payload);
        buf
    }
}

impl fmt::Display for Ipv4Repr {
    /// `IP 10.0.0.1 > 10.0.0.2: ICMP, ttl 64, id 7, flags [DF], length 84` — the fields of
    /// tcpdump's `-v` IP line, in one line. Fragments add `offset N` and `+` for MF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IP {} > {}: {}, ttl {}, id {}",
            self.src, self.dst, self.protocol, self.ttl, self.ident
        )?;
        match (self.dont_frag, self.more_frags) {
            (true, true) => write!(f, ", flags [DF+]")?,
            (true, false) => write!(f, ", flags [DF]")?,
            (false, true) => write!(f, ", flags [+]")?,
            (false, false) => {}
        }
        if self.frag_offset != 0 {
            write!(f, ", offset {}", self.frag_offset)?;
        }
        if self.tos != 0 {
            write!(f, ", tos {:#04x}", self.tos)?;
        }
        write!(f, ", length {}", self.buffer_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A real header, the worked example of the "IPv4 header checksum" article on Wikipedia:
    /// UDP 192.168.0.1 → 192.168.0.199, DF, TTL 64, total length 115, checksum 0xb861.
    const CAPTURED: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    fn captured_packet() -> Vec<u8> {
        let mut p = CAPTURED.to_vec();
        p.resize(0x73, 0xab);
        p
    }

    #[test]
    fn parses_a_captured_header() {
        let p = captured_packet();
        let (repr, payload) = Ipv4Repr::parse(&p).unwrap();
        assert_eq!(repr.src, Ipv4Addr::new(192, 168, 0, 1));
        assert_eq!(repr.dst, Ipv4Addr::new(192, 168, 0, 199));
        assert_eq!(repr.protocol, IpProtocol::Udp);
        assert_eq!(repr.ttl, 64);
        assert!(repr.dont_frag);
        assert!(!repr.more_frags);
        assert_eq!(repr.payload_len, 0x73 - 20);
        assert_eq!(payload.len(), 0x73 - 20);
        // Emitting the same repr reproduces the captured bytes, checksum included.
        let mut out = [0u8; 20];
        repr.emit(&mut out);
        assert_eq!(out, CAPTURED);
    }

    #[test]
    fn bad_checksum_is_a_typed_error() {
        let mut p = captured_packet();
        p[8] = 63; // a router decremented the TTL but forgot the checksum
        assert_eq!(
            Ipv4Repr::parse(&p),
            Err(Ipv4ParseError::BadChecksum {
                found: 0xb861,
                expected: 0xb961
            })
        );
        // The lenient quoted parse does not care.
        assert!(Ipv4Repr::parse_quoted(&p[..28]).is_ok());
    }

    #[test]
    fn ethernet_padding_is_ignored() {
        let repr = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            IpProtocol::Udp,
            8,
        );
        let mut frame = repr.to_bytes(&[1, 2, 3, 4, 5, 6, 7, 8]);
        frame.resize(46, 0); // minimum Ethernet payload
        let (parsed, payload) = Ipv4Repr::parse(&frame).unwrap();
        assert_eq!(parsed, repr);
        assert_eq!(payload, &[1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn structural_errors() {
        let good = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            IpProtocol::Tcp,
            4,
        )
        .to_bytes(&[0; 4]);
        assert_eq!(
            Ipv4Repr::parse(&good[..10]),
            Err(Ipv4ParseError::Truncated {
                len: 10,
                needed: 20
            })
        );
        let mut v6 = good.clone();
        v6[0] = 0x65;
        assert_eq!(Ipv4Repr::parse(&v6), Err(Ipv4ParseError::BadVersion(6)));
        let mut short_ihl = good.clone();
        short_ihl[0] = 0x44;
        assert_eq!(
            Ipv4Repr::parse(&short_ihl),
            Err(Ipv4ParseError::BadHeaderLength(4))
        );
        let mut long_ihl = good.clone();
        long_ihl[0] = 0x4f; // 60-byte header in a 24-byte packet
        assert_eq!(
            Ipv4Repr::parse(&long_ihl),
            Err(Ipv4ParseError::Truncated {
                len: 24,
                needed: 60
            })
        );
        assert_eq!(
            Ipv4Repr::parse(&good[..22]),
            Err(Ipv4ParseError::TotalLengthBeyondBuffer {
                total_len: 24,
                available: 22
            })
        );
        let mut tiny_total = good.clone();
        tiny_total[2] = 0;
        tiny_total[3] = 12;
        assert_eq!(
            Ipv4Repr::parse(&tiny_total),
            Err(Ipv4ParseError::TotalLengthBelowHeader {
                total_len: 12,
                header_len: 20
            })
        );
    }

    #[test]
    fn options_are_skipped() {
        let repr = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            IpProtocol::Icmp,
            3,
        );
        let plain = repr.to_bytes(&[7, 8, 9]);
        // Rebuild with IHL 6 and a 4-byte option (NOP, NOP, NOP, EOL).
        let mut with_opts = plain[..20].to_vec();
        with_opts.extend_from_slice(&[1, 1, 1, 0]);
        with_opts.extend_from_slice(&[7, 8, 9]);
        with_opts[0] = 0x46;
        with_opts[3] = 27;
        with_opts[10] = 0;
        with_opts[11] = 0;
        let sum = pnet_packet::util::checksum(&with_opts[..24], 5);
        with_opts[10..12].copy_from_slice(&sum.to_be_bytes());
        let (parsed, payload) = Ipv4Repr::parse(&with_opts).unwrap();
        assert_eq!(parsed, repr);
        assert_eq!(payload, &[7, 8, 9]);
    }

    #[test]
    fn display_is_one_tcpdump_like_line() {
        let mut repr = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            IpProtocol::Icmp,
            64,
        );
        repr.ident = 7;
        repr.dont_frag = true;
        assert_eq!(
            repr.to_string(),
            "IP 10.0.0.1 > 10.0.0.2: ICMP, ttl 64, id 7, flags [DF], length 84"
        );
        repr.dont_frag = false;
        repr.more_frags = true;
        repr.frag_offset = 1480;
        repr.protocol = IpProtocol::Other(89);
        assert_eq!(
            repr.to_string(),
            "IP 10.0.0.1 > 10.0.0.2: proto-89, ttl 64, id 7, flags [+], offset 1480, length 84"
        );
    }

    pub(crate) fn arb_repr() -> impl Strategy<Value = Ipv4Repr> {
        (
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            any::<(bool, bool)>(),
            0u16..8192,
            0usize..200,
        )
            .prop_map(|(s, d, p, ttl, tos, ident, (df, mf), off, len)| Ipv4Repr {
                src: Ipv4Addr::from(s),
                dst: Ipv4Addr::from(d),
                protocol: IpProtocol::from(p),
                ttl,
                tos,
                ident,
                dont_frag: df,
                more_frags: mf,
                frag_offset: off * 8,
                payload_len: len,
            })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = Ipv4Repr::parse(&bytes);
            let _ = Ipv4Repr::parse_quoted(&bytes);
        }

        #[test]
        fn arbitrary_bytes_with_a_v4_start_never_panic(
            ihl in 0u8..16,
            mut bytes in proptest::collection::vec(any::<u8>(), 20..80),
        ) {
            bytes[0] = 0x40 | ihl;
            let _ = Ipv4Repr::parse(&bytes);
            let _ = Ipv4Repr::parse_quoted(&bytes);
        }

        #[test]
        fn valid_reprs_round_trip(repr in arb_repr(), pad in 0usize..30) {
            let payload: Vec<u8> = (0..repr.payload_len).map(|i| i as u8).collect();
            let mut bytes = repr.to_bytes(&payload);
            bytes.resize(bytes.len() + pad, 0);
            let (parsed, p) = Ipv4Repr::parse(&bytes).unwrap();
            prop_assert_eq!(parsed, repr);
            prop_assert_eq!(p, &payload[..]);
        }
    }
}
