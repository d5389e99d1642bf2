//! Frame filters: which frames a fault rule, an expectation or a view is about.
//!
//! A filter is a list of words that must all match, in a vocabulary close to tcpdump's:
//! `arp`, `ip`, `icmp`, `udp`, `tcp`, TCP flags (`syn`, `ack`, `fin`, `rst`, `psh`), `data`
//! (a TCP or UDP payload), `broadcast`, `ethertype=0x88b5`, `from=NODE|MAC|IP`,
//! `to=NODE|MAC|IP`, `port=N`, `window=N` (the TCP window field as sent, e.g. `window=0`),
//! `not-WORD` and `any`. Node names are resolved once, when the
//! scenario is built, to the node's MAC and IP addresses.

use crate::decode::{proto, Decoded};
use crate::ethernet::{ethertype, MacAddr};
use pnet_packet::tcp::TcpPacket;
use std::fmt;
use std::net::Ipv4Addr;

/// The addresses a name stands for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub macs: Vec<MacAddr>,
    pub ips: Vec<Ipv4Addr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Any,
    Arp,
    Ip,
    Icmp,
    Udp,
    Tcp,
    /// TCP flag bits that must all be set.
    TcpFlags(u8),
    Data,
    Broadcast,
    EtherType(u16),
    From(Endpoint),
    To(Endpoint),
    Port(u16),
    /// The TCP window field, unscaled, as on the wire.
    Window(u16),
    Not(Box<Term>),
}

/// A parsed filter. `Display` gives back the text it was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameFilter {
    terms: Vec<Term>,
    text: String,
}

/// A filter word that did not make sense; `offset` is the byte offset of the word in the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

const WORDS: &str = "any, arp, ip, icmp, udp, tcp, syn, ack, fin, rst, psh, data, broadcast, \
ethertype=N, from=X, to=X, port=N, window=N, not-WORD";

/// TCP flag bits (RFC 9293 §3.1).
pub mod tcp_flag {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

impl FrameFilter {
    /// Matches every frame.
    pub fn any() -> Self {
        FrameFilter {
            terms: vec![],
            text: "any".into(),
        }
    }

    /// Parses `text`; `resolve` turns a node name into its addresses.
    pub fn parse(
        text: &str,
        resolve: &dyn Fn(&str) -> Option<Endpoint>,
    ) -> Result<Self, FilterError> {
        let mut terms = Vec::new();
        let mut offset = 0;
        for word in text.split(' ') {
            if !word.is_empty() {
                terms.push(parse_term(word, offset, resolve)?);
            }
            offset += word.len() + 1;
        }
        Ok(FrameFilter {
            terms,
            text: text.trim().to_string(),
        })
    }

    pub fn matches(&self, frame: &[u8]) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        let view = FrameView::new(frame);
        self.terms.iter().all(|t| view.matches(t))
    }
}

impl fmt::Display for FrameFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_endpoint(
    value: &str,
    offset: usize,
    word: &str,
    resolve: &dyn Fn(&str) -> Option<Endpoint>,
) -> Result<Endpoint, FilterError> {
    if let Ok(ip) = value.parse::<Ipv4Addr>() {
        return Ok(Endpoint {
            macs: vec![],
            ips: vec![ip],
        });
    }
    if value.contains(':') {
        if let Ok(mac) = value.parse::<MacAddr>() {
            return Ok(Endpoint {
                macs: vec![mac],
                ips: vec![],
            });
        }
    }
    resolve(value).ok_or_else(|| FilterError {
        offset,
        len: word.len(),
        message: format!("`{value}` is not a node name, MAC address or IPv4 address"),
    })
}

fn parse_term(
    word: &str,
    offset: usize,
    resolve: &dyn Fn(&str) -> Option<Endpoint>,
) -> Result<Term, FilterError> {
    let err = |message: String| FilterError {
        offset,
        len: word.len(),
        message,
    };
    if let Some(rest) = word.strip_prefix("not-") {
        let inner = parse_term(rest, offset + 4, resolve)?;
        return Ok(Term::Not(Box::new(inner)));
    }
    if let Some((key, value)) = word.split_once('=') {
        return match key {
            "from" => Ok(Term::From(parse_endpoint(value, offset, word, resolve)?)),
            "to" => Ok(Term::To(parse_endpoint(value, offset, word, resolve)?)),
            "port" => value
                .parse()
                .map(Term::Port)
                .map_err(|_| err(format!("`{value}` is not a port number (0-65535)"))),
            "window" => value
                .parse()
                .map(Term::Window)
                .map_err(|_| err(format!("`{value}` is not a TCP window (0-65535)"))),
            "ethertype" => {
                let v = value.trim_start_matches("0x");
                u16::from_str_radix(v, 16)
                    .map(Term::EtherType)
                    .map_err(|_| err(format!("`{value}` is not an EtherType such as 0x0800")))
            }
            _ => Err(err(format!(
                "unknown filter word `{word}`: expected one of {WORDS}"
            ))),
        };
    }
    Ok(match word {
        "any" => Term::Any,
        "arp" => Term::Arp,
        "ip" => Term::Ip,
        "icmp" => Term::Icmp,
        "udp" => Term::Udp,
        "tcp" => Term::Tcp,
        "syn" => Term::TcpFlags(tcp_flag::SYN),
        "ack" => Term::TcpFlags(tcp_flag::ACK),
        "fin" => Term::TcpFlags(tcp_flag::FIN),
        "rst" => Term::TcpFlags(tcp_flag::RST),
        "psh" => Term::TcpFlags(tcp_flag::PSH),
        "data" => Term::Data,
        "broadcast" => Term::Broadcast,
        _ => {
            return Err(err(format!(
                "unknown filter word `{word}`: expected one of {WORDS}"
            )))
        }
    })
}

/// The parts of a frame a filter looks at, decoded once (by [`crate::decode`]).
struct FrameView<'a>(Decoded<'a>);

impl<'a> FrameView<'a> {
    fn new(frame: &'a [u8]) -> Self {
        FrameView(Decoded::new(frame))
    }

    fn ip_proto(&self) -> Option<u8> {
        self.0.ip_proto()
    }

    fn transport(&self) -> Option<&[u8]> {
        self.0.transport()
    }

    fn ports(&self) -> Option<(u16, u16)> {
        self.0.ports()
    }

    fn matches_endpoint(&self, e: &Endpoint, src: bool) -> bool {
        let mac = self.0.eth.map(|eth| if src { eth.src } else { eth.dst });
        if mac.is_some_and(|m| e.macs.contains(&m)) {
            return true;
        }
        match &self.0.ip {
            Some(ip) => {
                let a = if src {
                    ip.get_source()
                } else {
                    ip.get_destination()
                };
                e.ips.contains(&a)
            }
            None => false,
        }
    }

    fn matches(&self, t: &Term) -> bool {
        match t {
            Term::Any => true,
            Term::Arp => self.0.ethertype() == Some(ethertype::ARP),
            Term::Ip => self.0.ip.is_some(),
            Term::Icmp => self.ip_proto() == Some(proto::ICMP),
            Term::Udp => self.ip_proto() == Some(proto::UDP),
            Term::Tcp => self.ip_proto() == Some(proto::TCP),
            Term::TcpFlags(mask) => self.0.tcp().is_some_and(|p| p.get_flags() & mask == *mask),
            Term::Data => match self.ip_proto() {
                Some(proto::TCP) => self
                    .transport()
                    .and_then(|t| {
                        TcpPacket::new(t).map(|p| (p.get_data_offset() as usize * 4, t.len()))
                    })
                    .is_some_and(|(hl, len)| len > hl),
                Some(proto::UDP) => self.transport().is_some_and(|t| t.len() > 8),
                _ => false,
            },
            Term::Broadcast => self.0.eth.is_some_and(|eth| eth.dst.is_broadcast()),
            Term::EtherType(e) => self.0.ethertype() == Some(*e),
            Term::From(e) => self.matches_endpoint(e, true),
            Term::To(e) => self.matches_endpoint(e, false),
            Term::Port(p) => self.ports().is_some_and(|(s, d)| s == *p || d == *p),
            Term::Window(w) => self.0.tcp().is_some_and(|p| p.get_window() == *w),
            Term::Not(inner) => !self.matches(inner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ethernet::{default_mac, frame_with_payload, EthernetRepr};

    fn no_names(_: &str) -> Option<Endpoint> {
        None
    }

    fn raw(src: u32, dst: MacAddr) -> Vec<u8> {
        frame_with_payload(
            &EthernetRepr {
                src: default_mac(src),
                dst,
                ethertype: ethertype::EXPERIMENTAL,
            },
            b"hello",
        )
        .to_vec()
    }

    #[test]
    fn empty_filter_and_any_match_everything() {
        let f = FrameFilter::parse("", &no_names).unwrap();
        assert!(f.matches(&raw(1, MacAddr::broadcast())));
        assert!(f.matches(&[1, 2, 3]), "even garbage");
        assert!(FrameFilter::any().matches(&[]));
    }

    #[test]
    fn layer_two_words() {
        let bcast = raw(1, MacAddr::broadcast());
        let uni = raw(1, default_mac(2));
        let f = FrameFilter::parse("broadcast ethertype=0x88b5", &no_names).unwrap();
        assert!(f.matches(&bcast));
        assert!(!f.matches(&uni));
        let f = FrameFilter::parse("not-broadcast", &no_names).unwrap();
        assert!(f.matches(&uni));
        assert!(!FrameFilter::parse("arp", &no_names)
            .unwrap()
            .matches(&bcast));
    }

    #[test]
    fn names_resolve_to_addresses() {
        let resolve = |n: &str| {
            (n == "alice").then(|| Endpoint {
                macs: vec![default_mac(1)],
                ips: vec![],
            })
        };
        let f = FrameFilter::parse("from=alice", &resolve).unwrap();
        assert!(f.matches(&raw(1, MacAddr::broadcast())));
        assert!(!f.matches(&raw(2, MacAddr::broadcast())));
        let f = FrameFilter::parse("to=02:4e:4c:00:00:02", &resolve).unwrap();
        assert!(f.matches(&raw(1, default_mac(2))));
    }

    #[test]
    fn bad_words_say_where_and_what() {
        let e = FrameFilter::parse("arp frm=alice", &no_names).unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(
            e.message.contains("unknown filter word `frm=alice`"),
            "{}",
            e.message
        );
        let e = FrameFilter::parse("from=bob", &no_names).unwrap_err();
        assert!(e.message.contains("`bob` is not a node name"));
        let e = FrameFilter::parse("port=http", &no_names).unwrap_err();
        assert!(e.message.contains("not a port number"));
        let e = FrameFilter::parse("tcp window=-1", &no_names).unwrap_err();
        assert!(e.message.contains("not a TCP window"));
    }

    #[test]
    fn window_word_reads_the_tcp_window_field() {
        use crate::tcp::{SeqNumber, TcpFlags, TcpOptions, TcpSegment};
        let seg = |window| {
            let s = TcpSegment {
                src_ip: Ipv4Addr::new(10, 0, 0, 1),
                dst_ip: Ipv4Addr::new(10, 0, 0, 2),
                src_port: 1,
                dst_port: 2,
                seq: SeqNumber(1),
                ack: SeqNumber(1),
                flags: TcpFlags::ACK,
                window,
                urgent: 0,
                options: TcpOptions::NONE,
                payload: Vec::new(),
                ip_id: None,
            };
            let tcp = s.to_bytes();
            let ip =
                crate::ip::Ipv4Repr::new(s.src_ip, s.dst_ip, crate::ip::IpProtocol::Tcp, tcp.len());
            let pkt = ip.to_bytes(&tcp);
            frame_with_payload(
                &EthernetRepr {
                    src: default_mac(1),
                    dst: default_mac(2),
                    ethertype: ethertype::IPV4,
                },
                &pkt,
            )
            .to_vec()
        };
        let f = FrameFilter::parse("tcp window=0", &no_names).unwrap();
        assert!(f.matches(&seg(0)));
        assert!(!f.matches(&seg(2920)));
        assert!(FrameFilter::parse("not-window=0", &no_names)
            .unwrap()
            .matches(&seg(2920)));
    }
}
