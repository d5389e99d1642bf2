//! ICMP for IPv4 (RFC 792): echo (ping), destination unreachable and time exceeded, with the
//! rules for when an error may be sent (RFC 1122 §3.2.2) and how much of the offending
//! datagram it quotes.
//!
//! ```text
//! |     Type      |     Code      |          Checksum             |
//! |   Identifier / unused         |  Sequence number / next-hop MTU |
//! |   Echo data, or the offending IP header + at least 8 bytes of its data ...
//! ```

use std::fmt;

use pnet_packet::icmp::destination_unreachable::{
    DestinationUnreachablePacket, MutableDestinationUnreachablePacket,
};
use pnet_packet::icmp::echo_request::{EchoRequestPacket, MutableEchoRequestPacket};
use pnet_packet::icmp::{IcmpCode, IcmpPacket, IcmpType, MutableIcmpPacket};

use crate::ip::addr::{addr_kind, AddrKind};
use crate::ip::wire::{IpProtocol, Ipv4Repr, HEADER_LEN as IPV4_HEADER_LEN};

/// Length of the ICMP header: type, code, checksum and the 4-byte rest of header.
pub const HEADER_LEN: usize = 8;

/// Most bytes of the offending datagram an error quotes. Linux keeps the whole error datagram
/// within 576 bytes, the size every host must accept (RFC 1812 §4.3.2.3): 576 - 20 (IP
/// header) - 8 (ICMP header) = 548.
pub const MAX_QUOTE_LEN: usize = 576 - IPV4_HEADER_LEN - HEADER_LEN;

/// Bytes of the offending datagram's data an error must quote at least (RFC 792: "the
/// internet header plus the first 64 bits of the original datagram's data").
pub const MIN_QUOTED_DATA: usize = 8;

const TYPE_ECHO_REPLY: u8 = 0;
const TYPE_DEST_UNREACHABLE: u8 = 3;
const TYPE_ECHO_REQUEST: u8 = 8;
const TYPE_TIME_EXCEEDED: u8 = 11;

/// Codes of destination unreachable (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum DestUnreachableCode {
    /// 0: no route to the network (a router's routing table has no match).
    NetUnreachable,
    /// 1: the last router could not reach the host (ARP failed).
    HostUnreachable,
    /// 2: the destination host does not speak the protocol.
    ProtocolUnreachable,
    /// 3: no socket listens on the UDP port.
    PortUnreachable,
    /// 4: too big for the next link and DF set; `next_hop_mtu` is that link's MTU (RFC 1191).
    FragmentationNeeded { next_hop_mtu: u16 },
    /// 5
    SourceRouteFailed,
    /// 6
    NetUnknown,
    /// 7
    HostUnknown,
    /// 8
    SourceHostIsolated,
    /// 9
    NetProhibited,
    /// 10
    HostProhibited,
    /// 11
    NetUnreachableForTos,
    /// 12
    HostUnreachableForTos,
    /// 13: filtered by a firewall (RFC 1812).
    CommunicationProhibited,
    /// 14
    HostPrecedenceViolation,
    /// 15
    PrecedenceCutoff,
}

impl DestUnreachableCode {
    pub const fn code(self) -> u8 {
        use DestUnreachableCode::*;
        match self {
            NetUnreachable => 0,
            HostUnreachable => 1,
            ProtocolUnreachable => 2,
            PortUnreachable => 3,
            FragmentationNeeded { .. } => 4,
            SourceRouteFailed => 5,
            NetUnknown => 6,
            HostUnknown => 7,
            SourceHostIsolated => 8,
            NetProhibited => 9,
            HostProhibited => 10,
            NetUnreachableForTos => 11,
            HostUnreachableForTos => 12,
            CommunicationProhibited => 13,
            HostPrecedenceViolation => 14,
            PrecedenceCutoff => 15,
        }
    }

    /// The code for a number; `next_hop_mtu` is used by code 4 only.
    pub const fn from_code(code: u8, next_hop_mtu: u16) -> Option<DestUnreachableCode> {
        use DestUnreachableCode::*;
        Some(match code {
            0 => NetUnreachable,
            1 => HostUnreachable,
            2 => ProtocolUnreachable,
            3 => PortUnreachable,
            4 => FragmentationNeeded { next_hop_mtu },
            5 => SourceRouteFailed,
            6 => NetUnknown,
            7 => HostUnknown,
            8 => SourceHostIsolated,
            9 => NetProhibited,
            10 => HostProhibited,
            11 => NetUnreachableForTos,
            12 => HostUnreachableForTos,
            13 => CommunicationProhibited,
            14 => HostPrecedenceViolation,
            15 => PrecedenceCutoff,
            _ => return None,
        })
    }

    const fn description(self) -> &'static str {
        use DestUnreachableCode::*;
        match self {
            NetUnreachable => "net unreachable",
            HostUnreachable => "host unreachable",
            ProtocolUnreachable => "protocol unreachable",
            PortUnreachable => "port unreachable",
            FragmentationNeeded { .. } => "need to frag",
            SourceRouteFailed => "source route failed",
            NetUnknown => "net unknown",
            HostUnknown => "host unknown",
            SourceHostIsolated => "source host isolated",
            NetProhibited => "net prohibited",
            HostProhibited => "host prohibited",
            NetUnreachableForTos => "net unreachable for tos",
            HostUnreachableForTos => "host unreachable for tos",
            CommunicationProhibited => "communication prohibited",
            HostPrecedenceViolation => "host precedence violation",
            PrecedenceCutoff => "precedence cutoff",
        }
    }
}

/// Codes of time exceeded (RFC 792).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum TimeExceededCode {
    /// 0: a router decremented the TTL to zero (what traceroute relies on).
    TtlExceeded,
    /// 1: the fragments of a datagram did not all arrive in time.
    FragmentReassembly,
}

/// Why bytes are not an ICMP message netlab understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IcmpParseError {
    #[error("ICMP message truncated: {0} bytes, need at least {HEADER_LEN}")]
    Truncated(usize),
    #[error("ICMP checksum is {found:#06x}, expected {expected:#06x}")]
    BadChecksum { found: u16, expected: u16 },
    /// A type netlab does not implement (timestamp, redirect, …). RFC 1122 §3.2.2: an ICMP
    /// message of unknown type MUST be silently discarded.
    #[error("ICMP type {icmp_type} (code {code}) is not supported")]
    UnsupportedType { icmp_type: u8, code: u8 },
    #[error("ICMP type {icmp_type} has no code {code}")]
    UnknownCode { icmp_type: u8, code: u8 },
}

/// An ICMP message in plain fields; the data borrows from the parsed buffer.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum IcmpRepr<'a> {
    EchoRequest {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    EchoReply {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    DestUnreachable {
        code: DestUnreachableCode,
        /// The offending datagram's header and the start of its data (see [`quote`]).
        quoted: &'a [u8],
    },
    TimeExceeded {
        code: TimeExceededCode,
        quoted: &'a [u8],
    },
}

impl<'a> IcmpRepr<'a> {
    /// Parses an ICMP message; `buf` is exactly the IP payload. The checksum (over the whole
    /// message) is verified.
    pub fn parse(buf: &'a [u8]) -> Result<IcmpRepr<'a>, IcmpParseError> {
        if buf.len() < HEADER_LEN {
            return Err(IcmpParseError::Truncated(buf.len()));
        }
        let view = IcmpPacket::new(buf).ok_or(IcmpParseError::Truncated(buf.len()))?;
        // Summing the message including its checksum gives 0xFFFF when it is right.
        if pnet_packet::util::checksum(buf, usize::MAX) != 0 {
            return Err(IcmpParseError::BadChecksum {
                found: view.get_checksum(),
                expected: pnet_packet::util::checksum(buf, 1),
            });
        }
        let icmp_type = view.get_icmp_type().0;
        let code = view.get_icmp_code().0;
        let body = &buf[HEADER_LEN..];
        match icmp_type {
            TYPE_ECHO_REQUEST | TYPE_ECHO_REPLY => {
                if code != 0 {
                    return Err(IcmpParseError::UnknownCode { icmp_type, code });
                }
                // Echo request and reply share the layout; read both through one view.
                let echo =
                    EchoRequestPacket::new(buf).ok_or(IcmpParseError::Truncated(buf.len()))?;
                let (ident, seq_no) = (echo.get_identifier(), echo.get_sequence_number());
                Ok(if icmp_type == TYPE_ECHO_REQUEST {
                    IcmpRepr::EchoRequest {
                        ident,
                        seq_no,
                        data: body,
                    }
                } else {
                    IcmpRepr::EchoReply {
                        ident,
                        seq_no,
                        data: body,
                    }
                })
            }
            TYPE_DEST_UNREACHABLE => {
                let unreachable = DestinationUnreachablePacket::new(buf)
                    .ok_or(IcmpParseError::Truncated(buf.len()))?;
                let code = DestUnreachableCode::from_code(code, unreachable.get_next_hop_mtu())
                    .ok_or(IcmpParseError::UnknownCode { icmp_type, code })?;
                Ok(IcmpRepr::DestUnreachable { code, quoted: body })
            }
            TYPE_TIME_EXCEEDED => {
                let code = match code {
                    0 => TimeExceededCode::TtlExceeded,
                    1 => TimeExceededCode::FragmentReassembly,
                    _ => return Err(IcmpParseError::UnknownCode { icmp_type, code }),
                };
                Ok(IcmpRepr::TimeExceeded { code, quoted: body })
            }
            _ => Err(IcmpParseError::UnsupportedType { icmp_type, code }),
        }
    }

    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Length of the whole message.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.body().len()
    }

    /// The data after the 8-byte header: echo data, or the quoted datagram.
    pub const fn body(&self) -> &'a [u8] {
        match *self {
            IcmpRepr::EchoRequest { data, .. } | IcmpRepr::EchoReply { data, .. } => data,
            IcmpRepr::DestUnreachable { quoted, .. } | IcmpRepr::TimeExceeded { quoted, .. } => {
                quoted
            }
        }
    }

    /// True for the error messages (destination unreachable, time exceeded).
    pub const fn is_error(&self) -> bool {
        matches!(
            self,
            IcmpRepr::DestUnreachable { .. } | IcmpRepr::TimeExceeded { .. }
        )
    }

    /// The reply to an echo request: same identifier, sequence number and data (RFC 792).
    pub fn echo_reply(&self) -> Option<IcmpRepr<'a>> {
        match *self {
            IcmpRepr::EchoRequest {
                ident,
                seq_no,
                data,
            } => Some(IcmpRepr::EchoReply {
                ident,
                seq_no,
                data,
            }),
            _ => None,
        }
    }

    /// The header and quoted payload of the datagram an error message is about, for
    /// delivering the error to the socket that sent it. `None` for echo messages or an
    /// unreadable quote.
    pub fn quoted_datagram(&self) -> Option<(Ipv4Repr, &'a [u8])> {
        match *self {
            IcmpRepr::DestUnreachable { quoted, .. } | IcmpRepr::TimeExceeded { quoted, .. } => {
                Ipv4Repr::parse_quoted(quoted).ok()
            }
            _ => None,
        }
    }

    /// Writes the whole message, checksum included, into `buf[..self.buffer_len()]`.
    ///
    /// # Panics
    /// If `buf` is shorter than `buffer_len()`.
    pub fn emit(&self, buf: &mut [u8]) {
        let len = self.buffer_len();
        assert!(
            buf.len() >= len,
            "ICMP emit needs {len} bytes, got {}",
            buf.len()
        );
        let buf = &mut buf[..len];
        buf[..HEADER_LEN].fill(0);
        buf[HEADER_LEN..].copy_from_slice(self.body());
        let (icmp_type, code) = match *self {
            IcmpRepr::EchoRequest { ident, seq_no, .. }
            | IcmpRepr::EchoReply { ident, seq_no, .. } => {
                let mut echo = MutableEchoRequestPacket::new(buf).expect("length checked");
                echo.set_identifier(ident);
                echo.set_sequence_number(seq_no);
                let t = if matches!(self, IcmpRepr::EchoRequest { .. }) {
                    TYPE_ECHO_REQUEST
                } else {
                    TYPE_ECHO_REPLY
                };
                (t, 0)
            }
            IcmpRepr::DestUnreachable { code, .. } => {
                if let DestUnreachableCode::FragmentationNeeded { next_hop_mtu } = code {
                    let mut unreachable =
                        MutableDestinationUnreachablePacket::new(buf).expect("length checked");
                    unreachable.set_next_hop_mtu(next_hop_mtu);
                }
                (TYPE_DEST_UNREACHABLE, code.code())
            }
            IcmpRepr::TimeExceeded { code, .. } => {
                let c = match code {
                    TimeExceededCode::TtlExceeded => 0,
                    TimeExceededCode::FragmentReassembly => 1,
                };
                (TYPE_TIME_EXCEEDED, c)
            }
        };
        let mut view = MutableIcmpPacket::new(buf).expect("length checked");
        view.set_icmp_type(IcmpType(icmp_type));
        view.set_icmp_code(IcmpCode(code));
        view.set_checksum(0);
        let checksum = pnet_packet::util::checksum(buf, 1);
        MutableIcmpPacket::new(buf)
            .expect("length checked")
            .set_checksum(checksum);
    }

    /// The message as a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = vec![0; self.buffer_len()];
        self.emit(&mut buf);
        buf
    }
}

impl fmt::Display for IcmpRepr<'_> {
    /// tcpdump's wording, e.g. `ICMP echo request, id 1, seq 1, length 64`,
    /// `ICMP 10.0.0.9 udp port 53 unreachable, length 36`,
    /// `ICMP time exceeded in-transit, length 36`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.buffer_len();
        match *self {
            IcmpRepr::EchoRequest { ident, seq_no, .. } => {
                write!(
                    f,
                    "ICMP echo request, id {ident}, seq {seq_no}, length {len}"
                )
            }
            IcmpRepr::EchoReply { ident, seq_no, .. } => {
                write!(f, "ICMP echo reply, id {ident}, seq {seq_no}, length {len}")
            }
            IcmpRepr::DestUnreachable { code, .. } => {
                let Some((orig, data)) = self.quoted_datagram() else {
                    return write!(f, "ICMP unreachable - {}, length {len}", code.description());
                };
                let dst = orig.dst;
                match code {
                    DestUnreachableCode::NetUnreachable => write!(f, "ICMP net {dst} unreachable")?,
                    DestUnreachableCode::HostUnreachable => {
                        write!(f, "ICMP host {dst} unreachable")?
                    }
                    DestUnreachableCode::ProtocolUnreachable => write!(
                        f,
                        "ICMP {dst} protocol {} unreachable",
                        orig.protocol.number()
                    )?,
                    DestUnreachableCode::PortUnreachable => {
                        let name = match orig.protocol {
                            IpProtocol::Udp => "udp",
                            IpProtocol::Tcp => "tcp",
                            _ => "",
                        };
                        if data.len() >= 4 && !name.is_empty() {
                            let port = u16::from_be_bytes([data[2], data[3]]);
                            write!(f, "ICMP {dst} {name} port {port} unreachable")?
                        } else {
                            write!(f, "ICMP {dst} port unreachable")?
                        }
                    }
                    DestUnreachableCode::FragmentationNeeded { next_hop_mtu } => write!(
                        f,
                        "ICMP {dst} unreachable - need to frag (mtu {next_hop_mtu})"
                    )?,
                    other => write!(f, "ICMP {dst} unreachable - {}", other.description())?,
                }
                write!(f, ", length {len}")
            }
            IcmpRepr::TimeExceeded { code, .. } => match code {
                TimeExceededCode::TtlExceeded => {
                    write!(f, "ICMP time exceeded in-transit, length {len}")
                }
                TimeExceededCode::FragmentReassembly => {
                    write!(f, "ICMP ip reassembly time exceeded, length {len}")
                }
            },
        }
    }
}

/// The part of an offending datagram an error message quotes: the whole datagram (header
/// included, as received) up to [`MAX_QUOTE_LEN`] bytes, which is always at least the header
/// and 8 bytes of data when the datagram has them. `offending` may carry link-layer padding
/// after the datagram; it is left out when the total length field can be read.
pub fn quote(offending: &[u8]) -> &[u8] {
    let datagram_len = match Ipv4Repr::parse_quoted(offending) {
        Ok((repr, _)) => {
            let header_len = (offending[0] & 0x0f) as usize * 4;
            (header_len + repr.payload_len).min(offending.len())
        }
        Err(_) => offending.len(),
    };
    &offending[..datagram_len.min(MAX_QUOTE_LEN)]
}

/// The quote for a datagram the host holds as a header and payload (e.g. the first fragment
/// of a datagram whose reassembly timed out): the header re-emitted (without options) and up to
/// `MAX_QUOTE_LEN - 20` bytes of `payload`. `header.payload_len` should be the datagram's
/// original payload length, so the quoted total length is the one that was received.
pub fn quote_from_parts(header: &Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let data_len = payload.len().min(MAX_QUOTE_LEN - IPV4_HEADER_LEN);
    let mut buf = vec![0; IPV4_HEADER_LEN + data_len];
    header.emit(&mut buf);
    buf[IPV4_HEADER_LEN..].copy_from_slice(&payload[..data_len]);
    buf
}

/// Why no ICMP error may be sent about a datagram (RFC 1122 §3.2.2, RFC 1812 §4.3.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoErrorReason {
    /// The datagram is itself an ICMP error (or of an unknown ICMP type, which Linux treats
    /// the same): errors about errors could loop forever.
    #[error("the datagram is an ICMP error message")]
    AboutIcmpError,
    /// Sent to a broadcast or multicast address, or as a link-layer broadcast: one datagram
    /// would draw an error from every host (a "broadcast storm").
    #[error("the datagram was broadcast or multicast")]
    Broadcast,
    /// Only the first fragment gets an error, so a fragmented datagram draws at most one.
    #[error("the datagram is a non-initial fragment")]
    NonInitialFragment,
    /// The source does not name a single host (0.0.0.0, loopback, broadcast, multicast,
    /// class E): there is nobody to tell.
    #[error("the datagram's source {0} is not a host address")]
    SourceNotAHost(std::net::Ipv4Addr),
}

/// Checks whether an ICMP error may be sent about the datagram `offending` (its header) with
/// data `payload`. `broadcast` is true when it arrived as a link-layer broadcast or was
/// addressed to a directed broadcast address of one of the host's networks (the host knows
/// its prefixes; this module does not).
pub fn may_send_error_about(
    offending: &Ipv4Repr,
    payload: &[u8],
    broadcast: bool,
) -> Result<(), NoErrorReason> {
    if offending.frag_offset != 0 {
        return Err(NoErrorReason::NonInitialFragment);
    }
    if broadcast
        || matches!(
            addr_kind(offending.dst),
            AddrKind::Multicast | AddrKind::LimitedBroadcast
        )
    {
        return Err(NoErrorReason::Broadcast);
    }
    if !matches!(
        addr_kind(offending.src),
        AddrKind::Unicast | AddrKind::LinkLocal
    ) {
        return Err(NoErrorReason::SourceNotAHost(offending.src));
    }
    if offending.protocol == IpProtocol::Icmp {
        if let Some(&icmp_type) = payload.first() {
            // Queries: echo reply 0, echo 8, router advertisement/solicitation 9/10,
            // timestamp 13/14, information 15/16, address mask 17/18. Everything else
            // (3, 4, 5, 11, 12 and unknown types) counts as an error.
            let is_query = matches!(icmp_type, 0 | 8 | 9 | 10 | 13..=18);
            if !is_query {
                return Err(NoErrorReason::AboutIcmpError);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    /// An echo request laid out as iputils' `ping` sends it: id 0x1c46, seq 1, and 56 data
    /// bytes (a 16-byte `struct timeval`, then 0x10..0x37).
    fn ping_echo_request() -> Vec<u8> {
        let mut b = vec![
            0x08, 0x00, 0x00, 0x00, 0x1c, 0x46, 0x00, 0x01, // header, checksum filled below
            0x5f, 0x3a, 0x1e, 0x65, 0x00, 0x00, 0x00, 0x00, // timestamp: seconds
            0x40, 0x2b, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, // and microseconds
        ];
        b.extend(0x10u8..0x38);
        b
    }

    #[test]
    fn echo_request_checksum_against_known_bytes() {
        // The worked example of RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2,
        // so their checksum is its complement, 0x220d.
        let rfc1071 = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(pnet_packet::util::checksum(&rfc1071, usize::MAX), 0x220d);
        // Known answer for a message: "08 00 ck ck 00 01 00 01" + "abcd": 0x0800 + 0x0001 +
        // 0x0001 + 0x6162 + 0x6364 = 0xccc8, complement 0x3337.
        let repr = IcmpRepr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: b"abcd",
        };
        let bytes = repr.to_bytes();
        assert_eq!(&bytes[2..4], &[0x33, 0x37]);
        assert_eq!(IcmpRepr::parse(&bytes), Ok(repr));
        assert_eq!(
            repr.to_string(),
            "ICMP echo request, id 1, seq 1, length 12"
        );
    }

    #[test]
    fn a_ping_round_trips_and_its_reply_mirrors_it() {
        let mut b = ping_echo_request();
        let sum = pnet_packet::util::checksum(&b, 1);
        b[2..4].copy_from_slice(&sum.to_be_bytes());
        let repr = IcmpRepr::parse(&b).unwrap();
        assert!(matches!(
            repr,
            IcmpRepr::EchoRequest {
                ident: 0x1c46,
                seq_no: 1,
                data
            } if data.len() == 56
        ));
        assert_eq!(
            repr.to_string(),
            "ICMP echo request, id 7238, seq 1, length 64"
        );
        assert_eq!(repr.to_bytes(), b);
        let reply = repr.echo_reply().unwrap();
        assert_eq!(
            reply.to_string(),
            "ICMP echo reply, id 7238, seq 1, length 64"
        );
        let reply_bytes = reply.to_bytes();
        assert_eq!(reply_bytes[0], 0);
        // Changing the type from 8 to 0 removes 0x0800 from the sum, so the checksum grows by
        // 0x0800 in ones' complement arithmetic (RFC 1624 incremental update).
        let before = u16::from_be_bytes([b[2], b[3]]) as u32 + 0x0800;
        let after = u16::from_be_bytes([reply_bytes[2], reply_bytes[3]]);
        assert_eq!(after as u32, (before & 0xffff) + (before >> 16));
        assert_eq!(
            IcmpRepr::EchoReply {
                ident: 1,
                seq_no: 1,
                data: &[]
            }
            .echo_reply(),
            None
        );
    }

    #[test]
    fn bad_checksum_unknown_type_and_code() {
        let mut b = IcmpRepr::EchoRequest {
            ident: 1,
            seq_no: 2,
            data: b"x",
        }
        .to_bytes();
        b[8] ^= 0xff;
        assert!(matches!(
            IcmpRepr::parse(&b),
            Err(IcmpParseError::BadChecksum { .. })
        ));
        assert_eq!(IcmpRepr::parse(&b[..7]), Err(IcmpParseError::Truncated(7)));

        let with_type = |t: u8, c: u8| {
            let mut m = vec![t, c, 0, 0, 0, 0, 0, 0];
            let sum = pnet_packet::util::checksum(&m, 1);
            m[2..4].copy_from_slice(&sum.to_be_bytes());
            m
        };
        assert_eq!(
            IcmpRepr::parse(&with_type(13, 0)),
            Err(IcmpParseError::UnsupportedType {
                icmp_type: 13,
                code: 0
            })
        );
        assert_eq!(
            IcmpRepr::parse(&with_type(3, 16)),
            Err(IcmpParseError::UnknownCode {
                icmp_type: 3,
                code: 16
            })
        );
        assert_eq!(
            IcmpRepr::parse(&with_type(11, 2)),
            Err(IcmpParseError::UnknownCode {
                icmp_type: 11,
                code: 2
            })
        );
        assert_eq!(
            IcmpRepr::parse(&with_type(8, 1)),
            Err(IcmpParseError::UnknownCode {
                icmp_type: 8,
                code: 1
            })
        );
    }

    /// A UDP datagram 10.0.0.1:40000 → 10.0.0.9:53 as an IP packet, padded like a frame.
    fn offending_udp() -> Vec<u8> {
        let udp_data = [
            0x9c, 0x40, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, b'q', b'u', b'e', b'r',
        ];
        let repr = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 9),
            IpProtocol::Udp,
            udp_data.len(),
        );
        let mut p = repr.to_bytes(&udp_data);
        p.resize(46, 0);
        p
    }

    #[test]
    fn port_unreachable_quotes_the_datagram() {
        let offending = offending_udp();
        let quoted = quote(&offending);
        assert_eq!(quoted.len(), 32); // padding left out
        let err = IcmpRepr::DestUnreachable {
            code: DestUnreachableCode::PortUnreachable,
            quoted,
        };
        let bytes = err.to_bytes();
        let parsed = IcmpRepr::parse(&bytes).unwrap();
        assert_eq!(parsed, err);
        assert_eq!(
            parsed.to_string(),
            "ICMP 10.0.0.9 udp port 53 unreachable, length 40"
        );
        let (orig, data) = parsed.quoted_datagram().unwrap();
        assert_eq!(orig.dst, Ipv4Addr::new(10, 0, 0, 9));
        assert_eq!(&data[..4], &[0x9c, 0x40, 0x00, 0x35]);
    }

    #[test]
    fn quotes_are_capped_at_548_bytes() {
        let repr = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 9),
            IpProtocol::Udp,
            1480,
        );
        let big = repr.to_bytes(&[0x55; 1480]);
        assert_eq!(quote(&big).len(), MAX_QUOTE_LEN);
        assert_eq!(quote(&big[..10]).len(), 10);
        let from_parts = quote_from_parts(&repr, &[0x55; 1480]);
        assert_eq!(from_parts.len(), MAX_QUOTE_LEN);
        assert_eq!(from_parts, quote(&big));
        // With the whole error datagram: 20 + 8 + 548 = 576 bytes.
        assert_eq!(IPV4_HEADER_LEN + HEADER_LEN + MAX_QUOTE_LEN, 576);
    }

    #[test]
    fn error_displays() {
        let offending = offending_udp();
        let q = quote(&offending);
        let show = |code| IcmpRepr::DestUnreachable { code, quoted: q }.to_string();
        assert_eq!(
            show(DestUnreachableCode::NetUnreachable),
            "ICMP net 10.0.0.9 unreachable, length 40"
        );
        assert_eq!(
            show(DestUnreachableCode::HostUnreachable),
            "ICMP host 10.0.0.9 unreachable, length 40"
        );
        assert_eq!(
            show(DestUnreachableCode::ProtocolUnreachable),
            "ICMP 10.0.0.9 protocol 17 unreachable, length 40"
        );
        assert_eq!(
            show(DestUnreachableCode::FragmentationNeeded { next_hop_mtu: 1400 }),
            "ICMP 10.0.0.9 unreachable - need to frag (mtu 1400), length 40"
        );
        assert_eq!(
            show(DestUnreachableCode::CommunicationProhibited),
            "ICMP 10.0.0.9 unreachable - communication prohibited, length 40"
        );
        let ttl = IcmpRepr::TimeExceeded {
            code: TimeExceededCode::TtlExceeded,
            quoted: q,
        };
        assert_eq!(ttl.to_string(), "ICMP time exceeded in-transit, length 40");
        let frag = IcmpRepr::TimeExceeded {
            code: TimeExceededCode::FragmentReassembly,
            quoted: q,
        };
        assert_eq!(
            frag.to_string(),
            "ICMP ip reassembly time exceeded, length 40"
        );
        assert_eq!(IcmpRepr::parse(&frag.to_bytes()), Ok(frag));
        let garbage = IcmpRepr::DestUnreachable {
            code: DestUnreachableCode::HostUnreachable,
            quoted: &[1, 2, 3],
        };
        assert_eq!(
            garbage.to_string(),
            "ICMP unreachable - host unreachable, length 11"
        );
    }

    #[test]
    fn fragmentation_needed_carries_the_mtu() {
        let q = quote(&offending_udp()).to_vec();
        let m = IcmpRepr::DestUnreachable {
            code: DestUnreachableCode::FragmentationNeeded { next_hop_mtu: 1280 },
            quoted: &q,
        };
        let bytes = m.to_bytes();
        assert_eq!(&bytes[4..8], &[0, 0, 0x05, 0x00]);
        assert_eq!(IcmpRepr::parse(&bytes), Ok(m));
    }

    #[test]
    fn when_errors_may_be_sent() {
        let base = Ipv4Repr::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 9),
            IpProtocol::Udp,
            8,
        );
        assert_eq!(may_send_error_about(&base, &[0; 8], false), Ok(()));
        assert_eq!(
            may_send_error_about(&base, &[0; 8], true),
            Err(NoErrorReason::Broadcast)
        );
        let mut to_all = base;
        to_all.dst = Ipv4Addr::BROADCAST;
        assert_eq!(
            may_send_error_about(&to_all, &[], false),
            Err(NoErrorReason::Broadcast)
        );
        let mut later = base;
        later.frag_offset = 1480;
        assert_eq!(
            may_send_error_about(&later, &[], false),
            Err(NoErrorReason::NonInitialFragment)
        );
        let mut from_nobody = base;
        from_nobody.src = Ipv4Addr::UNSPECIFIED;
        assert!(matches!(
            may_send_error_about(&from_nobody, &[], false),
            Err(NoErrorReason::SourceNotAHost(_))
        ));
        let mut icmp = base;
        icmp.protocol = IpProtocol::Icmp;
        assert_eq!(may_send_error_about(&icmp, &[8, 0], false), Ok(()));
        assert_eq!(
            may_send_error_about(&icmp, &[3, 1], false),
            Err(NoErrorReason::AboutIcmpError)
        );
        assert_eq!(
            may_send_error_about(&icmp, &[11, 0], false),
            Err(NoErrorReason::AboutIcmpError)
        );
    }

    /// Builds one of every kind of message from plain numbers, for the round-trip property.
    fn build(kind: u8, ident: u16, seq_no: u16, code: u8, mtu: u16, data: &[u8]) -> IcmpRepr<'_> {
        match kind {
            0 => IcmpRepr::EchoRequest {
                ident,
                seq_no,
                data,
            },
            1 => IcmpRepr::EchoReply {
                ident,
                seq_no,
                data,
            },
            _ => match code {
                16 => IcmpRepr::TimeExceeded {
                    code: TimeExceededCode::TtlExceeded,
                    quoted: data,
                },
                17 => IcmpRepr::TimeExceeded {
                    code: TimeExceededCode::FragmentReassembly,
                    quoted: data,
                },
                c => IcmpRepr::DestUnreachable {
                    code: DestUnreachableCode::from_code(c, if c == 4 { mtu } else { 0 }).unwrap(),
                    quoted: data,
                },
            },
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(repr) = IcmpRepr::parse(&bytes) {
                let _ = repr.to_string();
                let _ = repr.quoted_datagram();
            }
            let _ = quote(&bytes);
        }

        #[test]
        fn valid_reprs_round_trip(
            data in proptest::collection::vec(any::<u8>(), 0..100),
            kind in 0u8..3, ident: u16, seq_no: u16, code in 0u8..18, mtu: u16,
        ) {
            let repr = build(kind, ident, seq_no, code, mtu, &data);
            let bytes = repr.to_bytes();
            prop_assert_eq!(IcmpRepr::parse(&bytes), Ok(repr));
            let _ = repr.to_string();
        }
    }
}
