//! IPv4 addresses with a prefix length ("CIDR" notation, RFC 4632) and the address math that
//! decides whether a destination is on the local link or must go through a router.
//!
//! A host compares `dst & netmask` with `my_addr & netmask` (RFC 1122 §3.3.1.1): equal means
//! "deliver directly, ARP for the destination itself"; different means "send to a gateway".

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// 255.255.255.255, the limited broadcast address: "this physical network", never forwarded by
/// a router (RFC 919, RFC 1812 §5.3.5.1).
pub const LIMITED_BROADCAST: Ipv4Addr = Ipv4Addr::BROADCAST;

/// An IPv4 address together with a prefix length, e.g. `192.168.1.10/24`.
///
/// The address keeps its host bits: `192.168.1.10/24` is an interface address, and
/// [`Ipv4Cidr::network`] gives the network it belongs to, `192.168.1.0/24`.
/// The prefix length is always 0..=32 (checked by every constructor).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Ipv4Cidr {
    addr: Ipv4Addr,
    prefix_len: u8,
}

/// Why a prefix length or netmask was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetmaskError {
    #[error("prefix length {0} is too long: an IPv4 prefix is at most 32 bits")]
    PrefixTooLong(u8),
    /// A netmask must be a run of one bits followed by a run of zero bits (RFC 4632 §3.1);
    /// `first_gap` is the position (0 = most significant bit) of the first zero bit that is
    /// followed by a one bit.
    #[error(
        "{mask} is not a valid netmask: its one bits must be contiguous from the left, \
         but bit {first_gap} is 0 and a later bit is 1 (did you mean {suggestion}?)"
    )]
    NonContiguous {
        mask: Ipv4Addr,
        first_gap: u8,
        suggestion: Ipv4Addr,
    },
}

/// Why a text such as `192.168.1.10/24` did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrParseError {
    #[error("`{0}` has no prefix length: write it as `{0}/24` (or another length from 0 to 32)")]
    MissingPrefix(String),
    #[error("`{0}` is not an IPv4 address (expected four numbers 0-255 separated by dots)")]
    BadAddress(String),
    #[error("`{0}` is not a prefix length (expected a number from 0 to 32, or a netmask such as 255.255.255.0)")]
    BadPrefix(String),
    #[error(transparent)]
    Netmask(#[from] NetmaskError),
}

/// The netmask with `prefix_len` leading one bits, as a `u32`. `prefix_len` must be <= 32.
const fn mask_bits(prefix_len: u8) -> u32 {
    if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix_len as u32)
    }
}

/// Converts a dotted netmask to its prefix length, rejecting masks whose one bits are not
/// contiguous from the left (`255.0.255.0`).
pub fn prefix_len_of_netmask(mask: Ipv4Addr) -> Result<u8, NetmaskError> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones() as u8;
    if mask_bits(ones) == bits {
        Ok(ones)
    } else {
        Err(NetmaskError::NonContiguous {
            mask,
            first_gap: ones,
            suggestion: Ipv4Addr::from(mask_bits(ones)),
        })
    }
}

impl Ipv4Cidr {
    /// `addr/prefix_len`; fails if the prefix length is over 32.
    pub const fn new(addr: Ipv4Addr, prefix_len: u8) -> Result<Ipv4Cidr, NetmaskError> {
        if prefix_len > 32 {
            return Err(NetmaskError::PrefixTooLong(prefix_len));
        }
        Ok(Ipv4Cidr { addr, prefix_len })
    }

    /// From an address and a dotted netmask, as `ifconfig eth0 192.168.1.10 netmask 255.255.255.0`.
    pub fn from_netmask(addr: Ipv4Addr, netmask: Ipv4Addr) -> Result<Ipv4Cidr, NetmaskError> {
        Ok(Ipv4Cidr {
            addr,
            prefix_len: prefix_len_of_netmask(netmask)?,
        })
    }

    /// 0.0.0.0/0, the prefix every address matches: the destination of a default route.
    pub const fn default_route() -> Ipv4Cidr {
        Ipv4Cidr {
            addr: Ipv4Addr::UNSPECIFIED,
            prefix_len: 0,
        }
    }

    /// The address as given, host bits included.
    pub const fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The netmask, e.g. 255.255.255.0 for /24.
    pub const fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(mask_bits(self.prefix_len))
    }

    /// The host mask (inverse of the netmask), e.g. 0.0.0.255 for /24.
    pub const fn hostmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(!mask_bits(self.prefix_len))
    }

    /// The network this address belongs to, host bits cleared: `192.168.1.10/24` → `192.168.1.0/24`.
    pub const fn network(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            addr: self.network_addr(),
            prefix_len: self.prefix_len,
        }
    }

    /// The network address alone: `192.168.1.10/24` → `192.168.1.0`.
    pub const fn network_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.addr.to_bits() & mask_bits(self.prefix_len))
    }

    /// True if the host bits are all zero, i.e. this is already the network form.
    pub const fn is_network_form(&self) -> bool {
        self.addr.to_bits() == self.network_addr().to_bits()
    }

    /// The directed broadcast address of the network (all host bits one), or `None` for /31 and
    /// /32, which have no broadcast address (RFC 3021 point-to-point /31s use both addresses
    /// for hosts).
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        if self.prefix_len >= 31 {
            None
        } else {
            Some(Ipv4Addr::from_bits(
                self.addr.to_bits() | !mask_bits(self.prefix_len),
            ))
        }
    }

    /// True if `ip` is in this network (its first `prefix_len` bits equal ours).
    pub const fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = mask_bits(self.prefix_len);
        ip.to_bits() & mask == self.addr.to_bits() & mask
    }

    /// True if every address of `other` is in this network.
    pub const fn contains_cidr(&self, other: &Ipv4Cidr) -> bool {
        other.prefix_len >= self.prefix_len && self.contains(other.addr)
    }

    /// True if `ip` is the network address of this network (host bits all zero). Always false
    /// for /31 and /32, where that address is a usable host (RFC 3021).
    pub const fn is_network_address(&self, ip: Ipv4Addr) -> bool {
        self.prefix_len < 31 && ip.to_bits() == self.network_addr().to_bits()
    }

    /// True if `ip` is the directed broadcast address of this network. Always false for /31
    /// and /32.
    pub const fn is_broadcast(&self, ip: Ipv4Addr) -> bool {
        match self.broadcast() {
            Some(b) => b.to_bits() == ip.to_bits(),
            None => false,
        }
    }

    /// The number of addresses a host can use: 2^(32-len) - 2 (network and broadcast excluded),
    /// 2 for a /31 (RFC 3021) and 1 for a /32.
    pub const fn usable_hosts(&self) -> u64 {
        match self.prefix_len {
            32 => 1,
            31 => 2,
            n => (1u64 << (32 - n as u32)) - 2,
        }
    }

    /// True if this is a loopback network or address (127.0.0.0/8, RFC 1122 §3.2.1.3).
    pub const fn is_loopback(&self) -> bool {
        self.addr.octets()[0] == 127
    }
}

impl Default for Ipv4Cidr {
    fn default() -> Self {
        Ipv4Cidr::default_route()
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}/{}", self.addr, self.prefix_len))
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrParseError;

    /// Accepts `a.b.c.d/len` and `a.b.c.d/m.m.m.m` (dotted netmask).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let Some((addr_text, prefix_text)) = text.split_once('/') else {
            return Err(CidrParseError::MissingPrefix(text.to_string()));
        };
        let addr: Ipv4Addr = addr_text
            .parse()
            .map_err(|_| CidrParseError::BadAddress(addr_text.to_string()))?;
        if prefix_text.contains('.') {
            let mask: Ipv4Addr = prefix_text
                .parse()
                .map_err(|_| CidrParseError::BadPrefix(prefix_text.to_string()))?;
            return Ok(Ipv4Cidr::from_netmask(addr, mask)?);
        }
        if prefix_text.is_empty() || !prefix_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrParseError::BadPrefix(prefix_text.to_string()));
        }
        let len: u8 = prefix_text
            .parse()
            .map_err(|_| CidrParseError::BadPrefix(prefix_text.to_string()))?;
        Ok(Ipv4Cidr::new(addr, len)?)
    }
}

impl serde::Serialize for Ipv4Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Ipv4Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What kind of address an IPv4 address is, for the checks a host or router makes before
/// accepting or forwarding a packet (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum AddrKind {
    /// 0.0.0.0/8: "this host on this network"; only valid as a source while booting.
    ThisNetwork,
    /// 127.0.0.0/8: never appears on a wire.
    Loopback,
    /// 169.254.0.0/16 (RFC 3927): valid on the local link only.
    LinkLocal,
    /// 224.0.0.0/4.
    Multicast,
    /// 255.255.255.255.
    LimitedBroadcast,
    /// 240.0.0.0/4 except the limited broadcast: reserved ("class E").
    Reserved,
    /// Everything else: an ordinary unicast address.
    Unicast,
}

/// Classifies `ip`; see [`AddrKind`].
pub const fn addr_kind(ip: Ipv4Addr) -> AddrKind {
    let o = ip.octets();
    if ip.to_bits() == u32::MAX {
        AddrKind::LimitedBroadcast
    } else if o[0] == 0 {
        AddrKind::ThisNetwork
    } else if o[0] == 127 {
        AddrKind::Loopback
    } else if o[0] == 169 && o[1] == 254 {
        AddrKind::LinkLocal
    } else if o[0] >= 224 && o[0] < 240 {
        AddrKind::Multicast
    } else if o[0] >= 240 {
        AddrKind::Reserved
    } else {
        AddrKind::Unicast
    }
}

/// True for 255.255.255.255.
pub const fn is_limited_broadcast(ip: Ipv4Addr) -> bool {
    ip.to_bits() == u32::MAX
}

/// True if `ip` may be the source address of a packet on the wire: not multicast, broadcast,
/// loopback, reserved or 0.0.0.0/8 (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7 "martian" sources).
/// 0.0.0.0 itself is allowed by `allow_unspecified` (a DHCP client or an ARP probe uses it).
pub const fn is_valid_source(ip: Ipv4Addr, allow_unspecified: bool) -> bool {
    match addr_kind(ip) {
        AddrKind::Unicast | AddrKind::LinkLocal => true,
        AddrKind::ThisNetwork => allow_unspecified && ip.to_bits() == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }
    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn a_slash_24_has_the_usual_math() {
        let c = cidr("192.168.1.10/24");
        assert_eq!(c.addr(), ip("192.168.1.10"));
        assert_eq!(c.prefix_len(), 24);
        assert_eq!(c.netmask(), ip("255.255.255.0"));
        assert_eq!(c.hostmask(), ip("0.0.0.255"));
        assert_eq!(c.network(), cidr("192.168.1.0/24"));
        assert_eq!(c.network_addr(), ip("192.168.1.0"));
        assert_eq!(c.broadcast(), Some(ip("192.168.1.255")));
        assert!(c.contains(ip("192.168.1.1")));
        assert!(c.contains(ip("192.168.1.255")));
        assert!(!c.contains(ip("192.168.2.1")));
        assert!(c.is_network_address(ip("192.168.1.0")));
        assert!(c.is_broadcast(ip("192.168.1.255")));
        assert!(!c.is_broadcast(ip("192.168.1.254")));
        assert!(!c.is_network_form());
        assert!(c.network().is_network_form());
        assert_eq!(c.usable_hosts(), 254);
        assert_eq!(c.to_string(), "192.168.1.10/24");
    }

    #[test]
    fn odd_prefix_lengths() {
        let c = cidr("10.1.2.3/13");
        assert_eq!(c.netmask(), ip("255.248.0.0"));
        assert_eq!(c.network_addr(), ip("10.0.0.0"));
        assert_eq!(c.broadcast(), Some(ip("10.7.255.255")));
        assert!(c.contains(ip("10.7.0.1")));
        assert!(!c.contains(ip("10.8.0.1")));
    }

    #[test]
    fn slash_zero_matches_everything() {
        let c = cidr("0.0.0.0/0");
        assert_eq!(c, Ipv4Cidr::default_route());
        assert_eq!(c.netmask(), ip("0.0.0.0"));
        assert!(c.contains(ip("1.2.3.4")));
        assert!(c.contains(ip("255.255.255.255")));
        assert_eq!(c.broadcast(), Some(ip("255.255.255.255")));
        // Host bits are all the bits: 1.2.3.4/0 is in network 0.0.0.0/0.
        assert_eq!(cidr("1.2.3.4/0").network(), c);
    }

    #[test]
    fn slash_31_and_32_have_no_network_or_broadcast_address() {
        let p2p = cidr("10.0.0.0/31");
        assert_eq!(p2p.broadcast(), None);
        assert!(!p2p.is_network_address(ip("10.0.0.0")));
        assert!(!p2p.is_broadcast(ip("10.0.0.1")));
        assert!(p2p.contains(ip("10.0.0.1")));
        assert!(!p2p.contains(ip("10.0.0.2")));
        assert_eq!(p2p.usable_hosts(), 2);

        let host = cidr("10.0.0.7/32");
        assert_eq!(host.netmask(), ip("255.255.255.255"));
        assert_eq!(host.broadcast(), None);
        assert!(host.contains(ip("10.0.0.7")));
        assert!(!host.contains(ip("10.0.0.6")));
        assert!(host.is_network_form());
        assert_eq!(host.usable_hosts(), 1);
    }

    #[test]
    fn dotted_netmasks() {
        let c = Ipv4Cidr::from_netmask(ip("172.16.5.4"), ip("255.255.240.0")).unwrap();
        assert_eq!(c, cidr("172.16.5.4/20"));
        assert_eq!(cidr("172.16.5.4/255.255.240.0"), c);
        assert_eq!(prefix_len_of_netmask(ip("0.0.0.0")), Ok(0));
        assert_eq!(prefix_len_of_netmask(ip("255.255.255.255")), Ok(32));
        assert_eq!(prefix_len_of_netmask(ip("128.0.0.0")), Ok(1));
    }

    #[test]
    fn non_contiguous_masks_are_rejected_with_a_reason() {
        let err = Ipv4Cidr::from_netmask(ip("10.0.0.1"), ip("255.0.255.0")).unwrap_err();
        assert_eq!(
            err,
            NetmaskError::NonContiguous {
                mask: ip("255.0.255.0"),
                first_gap: 8,
                suggestion: ip("255.0.0.0"),
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("contiguous"), "{msg}");
        assert!(msg.contains("255.0.0.0"), "{msg}");
        assert!(prefix_len_of_netmask(ip("0.0.0.1")).is_err());
        assert!(prefix_len_of_netmask(ip("255.255.255.253")).is_err());
        assert!(matches!(
            "10.0.0.1/255.255.0.255".parse::<Ipv4Cidr>(),
            Err(CidrParseError::Netmask(NetmaskError::NonContiguous { .. }))
        ));
    }

    #[test]
    fn bad_texts_give_typed_errors() {
        assert!(matches!(
            "10.0.0.1".parse::<Ipv4Cidr>(),
            Err(CidrParseError::MissingPrefix(_))
        ));
        assert!(matches!(
            "10.0.0.256/24".parse::<Ipv4Cidr>(),
            Err(CidrParseError::BadAddress(_))
        ));
        assert!(matches!(
            "10.0.0.1/".parse::<Ipv4Cidr>(),
            Err(CidrParseError::BadPrefix(_))
        ));
        assert!(matches!(
            "10.0.0.1/+8".parse::<Ipv4Cidr>(),
            Err(CidrParseError::BadPrefix(_))
        ));
        assert_eq!(
            "10.0.0.1/33".parse::<Ipv4Cidr>(),
            Err(CidrParseError::Netmask(NetmaskError::PrefixTooLong(33)))
        );
        assert!(Ipv4Cidr::new(ip("1.1.1.1"), 33).is_err());
    }

    #[test]
    fn address_kinds() {
        assert_eq!(addr_kind(ip("127.0.0.1")), AddrKind::Loopback);
        assert_eq!(addr_kind(LIMITED_BROADCAST), AddrKind::LimitedBroadcast);
        assert_eq!(addr_kind(ip("224.0.0.1")), AddrKind::Multicast);
        assert_eq!(addr_kind(ip("0.0.0.0")), AddrKind::ThisNetwork);
        assert_eq!(addr_kind(ip("169.254.1.1")), AddrKind::LinkLocal);
        assert_eq!(addr_kind(ip("240.0.0.1")), AddrKind::Reserved);
        assert_eq!(addr_kind(ip("8.8.8.8")), AddrKind::Unicast);
        assert!(is_limited_broadcast(ip("255.255.255.255")));
        assert!(cidr("127.0.0.1/8").is_loopback());
        assert!(is_valid_source(ip("0.0.0.0"), true));
        assert!(!is_valid_source(ip("0.0.0.0"), false));
        assert!(!is_valid_source(ip("224.0.0.5"), true));
        assert!(is_valid_source(ip("10.0.0.1"), false));
    }

    #[test]
    fn contains_cidr_and_serde() {
        assert!(cidr("10.0.0.0/8").contains_cidr(&cidr("10.1.0.0/16")));
        assert!(!cidr("10.1.0.0/16").contains_cidr(&cidr("10.0.0.0/8")));
        let v: Ipv4Cidr =
            toml::from_str::<std::collections::BTreeMap<String, Ipv4Cidr>>("a = \"10.0.0.1/24\"")
                .unwrap()["a"];
        assert_eq!(v, cidr("10.0.0.1/24"));
    }

    proptest::proptest! {
        #[test]
        fn mask_math_is_consistent(bits: u32, len in 0u8..=32) {
            let c = Ipv4Cidr::new(Ipv4Addr::from(bits), len).unwrap();
            prop_assert!(c.contains(c.addr()));
            prop_assert!(c.contains(c.network_addr()));
            prop_assert_eq!(prefix_len_of_netmask(c.netmask()), Ok(len));
            prop_assert_eq!(u32::from(c.netmask()) | u32::from(c.hostmask()), u32::MAX);
            prop_assert_eq!(c.to_string().parse::<Ipv4Cidr>(), Ok(c));
            if let Some(b) = c.broadcast() {
                prop_assert!(c.contains(b));
            }
        }

        #[test]
        fn cidr_parse_never_panics(s in "\\PC{0,24}") {
            let _ = s.parse::<Ipv4Cidr>();
        }
    }
}
