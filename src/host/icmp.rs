//! The host's ICMP: echo replies, the errors it sends (rate and Linux's TOS), and the
//! messages it receives, handed to the ping or traceroute they answer or to the socket whose
//! datagram they are about.

use super::ip::{Header, IcmpErrorKind};
use super::Host;
use crate::apps::{DfPolicy, IcmpDelivery};
use crate::icmp::{self, DestUnreachableCode, IcmpRepr};
use crate::ip::{IpProtocol, Ipv4Repr};
use crate::node::NodeIo;
use crate::trace::{IcmpKind, IpDrop, TraceEvent};
use std::net::Ipv4Addr;

/// TOS of ICMP errors: Linux sends them as network control (0xC0), see ORACLES (g).
const ICMP_ERROR_TOS: u8 = 0xC0;

impl Host {
    /// Sends an ICMP message from `src` (unspecified: the outgoing interface's address).
    pub(super) fn send_icmp(
        &mut self,
        io: &mut NodeIo,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        msg: &IcmpRepr,
        header: Header,
    ) -> Result<(), IpDrop> {
        let bytes = msg.to_bytes();
        let mut repr = Ipv4Repr::new(src, dst, IpProtocol::Icmp, bytes.len());
        repr.tos = header.tos;
        repr.ttl = header.ttl;
        self.counters.icmp_tx += 1;
        if io.tracing() {
            io.trace(TraceEvent::IcmpOut {
                dst,
                kind: IcmpKind::of(msg),
            });
        }
        self.send_ip(io, repr, &bytes, header.df)
    }

    /// Answers the datagram `offending` (IP header and data, as received) with an ICMP error,
    /// unless RFC 1122's rules forbid it (about an error, a broadcast, a non-first fragment).
    pub(super) fn send_icmp_error(
        &mut self,
        io: &mut NodeIo,
        kind: IcmpErrorKind,
        offending: &[u8],
        in_iface: u16,
        broadcast: bool,
    ) {
        let Ok((orig, orig_body)) = Ipv4Repr::parse_quoted(offending) else {
            return;
        };
        if icmp::may_send_error_about(&orig, orig_body, broadcast).is_err() {
            return;
        }
        let quoted = icmp::quote(offending);
        let msg = match kind {
            IcmpErrorKind::Unreachable(code) => IcmpRepr::DestUnreachable { code, quoted },
            IcmpErrorKind::TimeExceeded(code) => IcmpRepr::TimeExceeded { code, quoted },
        };
        // From the address of the interface the offending datagram came in on (what
        // traceroute shows as the hop), or our own address for our own datagrams.
        let src = if self.is_local_addr(orig.src) {
            orig.src
        } else {
            self.iface_addr(in_iface).unwrap_or(Ipv4Addr::UNSPECIFIED)
        };
        let ttl = self.config.ttl;
        let _ = self.send_icmp(
            io,
            src,
            orig.src,
            &msg,
            Header {
                tos: ICMP_ERROR_TOS,
                ttl,
                df: DfPolicy::Dont,
            },
        );
    }

    pub(super) fn on_icmp(
        &mut self,
        io: &mut NodeIo,
        _iface: u16,
        ip: &Ipv4Repr,
        data: &[u8],
        broadcast: bool,
    ) {
        self.counters.icmp_rx += 1;
        let msg = match IcmpRepr::parse(data) {
            Ok(m) => m,
            Err(_) => {
                self.drop_ip(io, ip.src, ip.dst, IpDrop::BadTransport);
                return;
            }
        };
        match msg {
            IcmpRepr::EchoRequest { .. } => {
                if broadcast && !self.config.answer_broadcast_pings {
                    return;
                }
                if let Some(reply) = msg.echo_reply() {
                    // The reply comes from the address the request was sent to; Linux sends
                    // echo replies without DF (ORACLES g).
                    let src = if broadcast {
                        Ipv4Addr::UNSPECIFIED
                    } else {
                        ip.dst
                    };
                    let ttl = self.config.ttl;
                    let _ = self.send_icmp(
                        io,
                        src,
                        ip.src,
                        &reply,
                        Header {
                            tos: 0,
                            ttl,
                            df: DfPolicy::Dont,
                        },
                    );
                }
            }
            IcmpRepr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                let bytes = (data.len() + 8) as u16;
                let msg = IcmpDelivery::EchoReply {
                    ident,
                    seq: seq_no,
                    from: ip.src,
                    ttl: ip.ttl,
                    bytes,
                };
                self.deliver_to_app(io, msg);
            }
            IcmpRepr::DestUnreachable { quoted, .. } | IcmpRepr::TimeExceeded { quoted, .. } => {
                let kind = IcmpKind::of(&msg);
                let Ok((orig, orig_body)) = Ipv4Repr::parse_quoted(quoted) else {
                    return;
                };
                let from = ip.src;
                match orig.protocol {
                    IpProtocol::Icmp if orig_body.len() >= 8 && orig_body[0] == 8 => {
                        let ident = u16::from_be_bytes([orig_body[4], orig_body[5]]);
                        let seq = u16::from_be_bytes([orig_body[6], orig_body[7]]);
                        let msg = IcmpDelivery::EchoError {
                            ident,
                            seq,
                            from,
                            kind,
                        };
                        self.deliver_to_app(io, msg);
                    }
                    IpProtocol::Tcp => {
                        if let Some(e) = socket_error_of(kind) {
                            self.on_transport_error(io, &orig, orig_body, e);
                        }
                    }
                    IpProtocol::Udp if orig_body.len() >= 4 => {
                        if let Some(e) = socket_error_of(kind) {
                            self.on_transport_error(io, &orig, orig_body, e);
                        }
                        let Some((src_port, dst_port)) = crate::decode::ports_of(orig_body) else {
                            return;
                        };
                        let msg = IcmpDelivery::UdpError {
                            src_port,
                            dst_port,
                            from,
                            kind,
                        };
                        self.deliver_to_app(io, msg);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The socket error an ICMP error means for the connection it quotes (Linux `icmp_err_convert`).
fn socket_error_of(kind: IcmpKind) -> Option<crate::socket::SocketError> {
    use crate::socket::SocketError as E;
    match kind {
        IcmpKind::Unreachable(DestUnreachableCode::PortUnreachable) => Some(E::ConnectionRefused),
        IcmpKind::Unreachable(DestUnreachableCode::HostUnreachable) => Some(E::HostUnreachable),
        IcmpKind::Unreachable(DestUnreachableCode::NetUnreachable) => Some(E::NetworkUnreachable),
        IcmpKind::Unreachable(DestUnreachableCode::ProtocolUnreachable) => {
            Some(E::ConnectionRefused)
        }
        _ => None,
    }
}
