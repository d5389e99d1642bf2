//! The DHCP message (RFC 2131 §2, on the BOOTP format of RFC 951) and the options netlab uses
//! (RFC 2132).

use crate::ethernet::MacAddr;
use std::net::Ipv4Addr;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;

/// RFC 2131 §3: the first four bytes of the options field.
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file.
const FIXED_LEN: usize = 236;
/// RFC 1542 §3.3: a BOOTP message is at least 300 bytes (relays and old servers may drop
/// shorter ones); ISC dhclient pads to this length too.
const MIN_LEN: usize = 300;
/// The broadcast bit of `flags` (RFC 2131 §2, figure 2).
pub const FLAG_BROADCAST: u16 = 0x8000;

/// `op`: BOOTREQUEST from clients and relays towards servers, BOOTREPLY back.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Request,
    Reply,
}

/// Option 53, the DHCP message type (RFC 2132 §9.6).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
}

impl MessageType {
    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(c: u8) -> Option<Self> {
        use MessageType::*;
        Some(match c {
            1 => Discover,
            2 => Offer,
            3 => Request,
            4 => Decline,
            5 => Ack,
            6 => Nak,
            7 => Release,
            8 => Inform,
            _ => return None,
        })
    }

    /// The name Wireshark shows (`DHCP Discover`).
    pub fn name(self) -> &'static str {
        use MessageType::*;
        match self {
            Discover => "Discover",
            Offer => "Offer",
            Request => "Request",
            Decline => "Decline",
            Ack => "ACK",
            Nak => "NAK",
            Release => "Release",
            Inform => "Inform",
        }
    }
}

/// A DHCP message in plain fields, with the options netlab reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpRepr {
    pub op: Op,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: MacAddr,
    pub message_type: MessageType,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 51, seconds.
    pub lease_secs: Option<u32>,
    /// Options 58 and 59, seconds.
    pub renewal_secs: Option<u32>,
    pub rebinding_secs: Option<u32>,
    /// Option 1.
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3 (the first router).
    pub router: Option<Ipv4Addr>,
    /// Option 6 (the first server).
    pub dns: Option<Ipv4Addr>,
    /// Option 55: the options a client asks for.
    pub parameter_request: Vec<u8>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DhcpParseError {
    #[error("{0} bytes is too short for a DHCP message")]
    Truncated(usize),
    #[error("not Ethernet BOOTP (htype/hlen)")]
    NotEthernet,
    #[error("bad magic cookie")]
    NoCookie,
    #[error("an option runs past the end")]
    BadOption,
    #[error("no DHCP message type option")]
    NoMessageType,
}

fn addr(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

impl DhcpRepr {
    /// A message with every address zero and no options but the type.
    pub fn new(op: Op, message_type: MessageType, xid: u32, chaddr: MacAddr) -> Self {
        DhcpRepr {
            op,
            hops: 0,
            xid,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            message_type,
            requested_ip: None,
            server_id: None,
            lease_secs: None,
            renewal_secs: None,
            rebinding_secs: None,
            subnet_mask: None,
            router: None,
            dns: None,
            parameter_request: Vec::new(),
        }
    }

    pub fn parse(buf: &[u8]) -> Result<DhcpRepr, DhcpParseError> {
        if buf.len() < FIXED_LEN + 4 {
            return Err(DhcpParseError::Truncated(buf.len()));
        }
        if buf[1] != 1 || buf[2] != 6 {
            return Err(DhcpParseError::NotEthernet);
        }
        if buf[FIXED_LEN..FIXED_LEN + 4] != MAGIC_COOKIE {
            return Err(DhcpParseError::NoCookie);
        }
        let op = if buf[0] == 2 { Op::Reply } else { Op::Request };
        let mut chaddr = [0u8; 6];
        chaddr.copy_from_slice(&buf[28..34]);
        let mut r = DhcpRepr::new(
            op,
            MessageType::Discover,
            u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            MacAddr::from(chaddr),
        );
        r.hops = buf[3];
        r.secs = u16::from_be_bytes([buf[8], buf[9]]);
        r.flags = u16::from_be_bytes([buf[10], buf[11]]);
        r.ciaddr = addr(&buf[12..]);
        r.yiaddr = addr(&buf[16..]);
        r.siaddr = addr(&buf[20..]);
        r.giaddr = addr(&buf[24..]);
        let mut message_type = None;
        let mut i = FIXED_LEN + 4;
        while i < buf.len() {
            let code = buf[i];
            match code {
                0 => {
                    i += 1;
                    continue;
                }
                255 => break,
                _ => {}
            }
            let len = *buf.get(i + 1).ok_or(DhcpParseError::BadOption)? as usize;
            let v = buf
                .get(i + 2..i + 2 + len)
                .ok_or(DhcpParseError::BadOption)?;
            let a = (len >= 4).then(|| addr(v));
            let secs = (len == 4).then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]));
            match code {
                53 if len == 1 => message_type = MessageType::from_code(v[0]),
                50 => r.requested_ip = a,
                54 => r.server_id = a,
                51 => r.lease_secs = secs,
                58 => r.renewal_secs = secs,
                59 => r.rebinding_secs = secs,
                1 => r.subnet_mask = a,
                3 => r.router = a,
                6 => r.dns = a,
                55 => r.parameter_request = v.to_vec(),
                _ => {}
            }
            i += 2 + len;
        }
        r.message_type = message_type.ok_or(DhcpParseError::NoMessageType)?;
        Ok(r)
    }

    /// The message's bytes (the UDP payload), padded to 300 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; FIXED_LEN];
        b[0] = match self.op {
            Op::Request => 1,
            Op::Reply => 2,
        };
        b[1] = 1; // htype: Ethernet
        b[2] = 6; // hlen
        b[3] = self.hops;
        b[4..8].copy_from_slice(&self.xid.to_be_bytes());
        b[8..10].copy_from_slice(&self.secs.to_be_bytes());
        b[10..12].copy_from_slice(&self.flags.to_be_bytes());
        for (at, a) in [
            (12, self.ciaddr),
            (16, self.yiaddr),
            (20, self.siaddr),
            (24, self.giaddr),
        ] {
            b[at..at + 4].copy_from_slice(&a.octets());
        }
        b[28..34].copy_from_slice(&self.chaddr.octets());
        b.extend_from_slice(&MAGIC_COOKIE);
        b.extend_from_slice(&[53, 1, self.message_type.code()]);
        let opt_addr = |b: &mut Vec<u8>, code: u8, a: Option<Ipv4Addr>| {
            if let Some(a) = a {
                b.extend_from_slice(&[code, 4]);
                b.extend_from_slice(&a.octets());
            }
        };
        // Server identifier first after the type, as ISC dhcpd and dnsmasq write it.
        opt_addr(&mut b, 54, self.server_id);
        opt_addr(&mut b, 50, self.requested_ip);
        for (code, v) in [
            (51, self.lease_secs),
            (58, self.renewal_secs),
            (59, self.rebinding_secs),
        ] {
            if let Some(v) = v {
                b.extend_from_slice(&[code, 4]);
                b.extend_from_slice(&v.to_be_bytes());
            }
        }
        opt_addr(&mut b, 1, self.subnet_mask);
        opt_addr(&mut b, 3, self.router);
        opt_addr(&mut b, 6, self.dns);
        if !self.parameter_request.is_empty() {
            b.extend_from_slice(&[55, self.parameter_request.len() as u8]);
            b.extend_from_slice(&self.parameter_request);
        }
        b.push(255);
        if b.len() < MIN_LEN {
            b.resize(MIN_LEN, 0);
        }
        b
    }

    /// One line for logs and the ladder: `DHCP Discover xid 0x1234abcd`.
    pub fn summary(&self) -> String {
        let mut s = format!("DHCP {} xid {:#010x}", self.message_type.name(), self.xid);
        if !self.yiaddr.is_unspecified() {
            s.push_str(&format!(" yiaddr {}", self.yiaddr));
        }
        if let Some(r) = self.requested_ip {
            s.push_str(&format!(" requested {r}"));
        }
        if !self.giaddr.is_unspecified() {
            s.push_str(&format!(" giaddr {}", self.giaddr));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_options() {
        let mut m = DhcpRepr::new(
            Op::Reply,
            MessageType::Ack,
            0xdead_beef,
            MacAddr::new(2, 0, 0, 0, 0, 1),
        );
        m.yiaddr = Ipv4Addr::new(10, 0, 0, 100);
        m.giaddr = Ipv4Addr::new(10, 0, 1, 1);
        m.hops = 1;
        m.flags = FLAG_BROADCAST;
        m.server_id = Some(Ipv4Addr::new(10, 0, 0, 5));
        m.lease_secs = Some(600);
        m.renewal_secs = Some(300);
        m.rebinding_secs = Some(525);
        m.subnet_mask = Some(Ipv4Addr::new(255, 255, 255, 0));
        m.router = Some(Ipv4Addr::new(10, 0, 0, 1));
        m.dns = Some(Ipv4Addr::new(10, 0, 0, 53));
        let b = m.to_bytes();
        assert_eq!(b.len(), MIN_LEN);
        assert_eq!(&b[236..240], &MAGIC_COOKIE);
        assert_eq!(DhcpRepr::parse(&b).unwrap(), m);
    }

    #[test]
    fn bad_messages_are_errors() {
        assert_eq!(
            DhcpRepr::parse(&[0; 10]),
            Err(DhcpParseError::Truncated(10))
        );
        let m = DhcpRepr::new(
            Op::Request,
            MessageType::Discover,
            1,
            MacAddr::new(2, 0, 0, 0, 0, 1),
        );
        let mut b = m.to_bytes();
        b[236] = 0;
        assert_eq!(DhcpRepr::parse(&b), Err(DhcpParseError::NoCookie));
        let mut b = m.to_bytes();
        // Option 53 turned into an option whose length runs past the end.
        b[240] = 12;
        b[241] = 255;
        assert_eq!(DhcpRepr::parse(&b), Err(DhcpParseError::BadOption));
    }
}
