//! TCP Fast Open (RFC 7413) as Linux does it: the cookie option, the server's cookie, the
//! client's cookie cache, and the `tcp_fastopen` sysctl's bits.
//!
//! A client that holds a cookie for a server puts data on its SYN with the cookie; the server
//! checks the cookie (a keyed hash of the two addresses) and, if it is good, accepts the data
//! at once and hands the connection to the application before the handshake completes. A client
//! without a cookie asks for one with an empty option on an ordinary SYN.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::Hasher;
use std::net::Ipv4Addr;

use siphasher::sip::SipHasher24;

/// `tcp_fastopen` bits (Linux `include/net/tcp.h`).
pub mod bits {
    /// Clients may send data on the SYN (`TFO_CLIENT_ENABLE`).
    pub const CLIENT_ENABLE: u32 = 0x1;
    /// Listeners may accept data on the SYN (`TFO_SERVER_ENABLE`).
    pub const SERVER_ENABLE: u32 = 0x2;
    /// Clients send data on the SYN without a cookie (`TFO_CLIENT_NO_COOKIE`).
    pub const CLIENT_NO_COOKIE: u32 = 0x4;
    /// Listeners accept data on the SYN without a cookie (`TFO_SERVER_COOKIE_NOT_REQD`).
    pub const SERVER_COOKIE_NOT_REQD: u32 = 0x200;
    /// Every listener is a Fast Open listener, its queue the backlog, without
    /// `setsockopt(TCP_FASTOPEN)` (`TFO_SERVER_WO_SOCKOPT1`).
    pub const SERVER_WO_SOCKOPT: u32 = 0x400;
}

/// Option kind of RFC 7413, and the experimental kind with its magic that came before it
/// (RFC 6994 shared experimental option, ExID 0xF989), which Linux still reads and answers in.
pub const KIND: u8 = 34;
pub const KIND_EXP: u8 = 254;
pub const EXP_MAGIC: [u8; 2] = [0xF9, 0x89];

/// Cookie lengths Linux accepts: 4 to 16 bytes, even (`TCP_FASTOPEN_COOKIE_MIN/MAX`).
const COOKIE_MIN: usize = 4;
const COOKIE_MAX: usize = 16;
/// The longest cookie an option can carry (40 bytes of options, less kind and length): one
/// Linux refuses is kept whole too, so the option writes back as it was read.
const CARRIED_MAX: usize = 38;

/// A Fast Open option: a cookie request (no cookie) or a cookie.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FastOpenOption {
    /// Written as the experimental option (kind 254, magic 0xF989).
    pub exp: bool,
    /// The cookie's length on the wire; may be one Linux refuses (odd, too short or long).
    len: u8,
    bytes: [u8; CARRIED_MAX],
}

impl FastOpenOption {
    /// A cookie request: the option with no cookie.
    pub fn request(exp: bool) -> FastOpenOption {
        FastOpenOption::with_cookie(exp, &[])
    }

    /// The option carrying `cookie` (at most the 38 bytes an option can hold).
    pub fn with_cookie(exp: bool, cookie: &[u8]) -> FastOpenOption {
        let mut bytes = [0; CARRIED_MAX];
        let n = cookie.len().min(CARRIED_MAX);
        bytes[..n].copy_from_slice(&cookie[..n]);
        FastOpenOption {
            exp,
            len: n as u8,
            bytes,
        }
    }

    /// No cookie: the client asks for one.
    pub fn is_request(&self) -> bool {
        self.len == 0
    }

    /// A cookie Linux would take or cache (`tcp_parse_fastopen_option`).
    pub fn is_valid_cookie(&self) -> bool {
        let n = self.len as usize;
        (COOKIE_MIN..=COOKIE_MAX).contains(&n) && n.is_multiple_of(2)
    }

    pub fn cookie(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Bytes on the wire, padded with NOPs to a multiple of four as Linux pads it.
    pub fn wire_len(&self) -> usize {
        (self.option_len() + 3) & !3
    }

    fn option_len(&self) -> usize {
        (if self.exp { 4 } else { 2 }) + self.cookie().len()
    }

    /// Writes the option and its padding (Linux `tcp_options_write`: two NOPs after an option
    /// whose length is 2 mod 4).
    pub fn write(&self, buf: &mut [u8]) {
        let len = self.option_len();
        let mut i = if self.exp {
            buf[..4].copy_from_slice(&[KIND_EXP, len as u8, EXP_MAGIC[0], EXP_MAGIC[1]]);
            4
        } else {
            buf[..2].copy_from_slice(&[KIND, len as u8]);
            2
        };
        buf[i..i + self.cookie().len()].copy_from_slice(self.cookie());
        i += self.cookie().len();
        for b in &mut buf[i..self.wire_len()] {
            *b = 1;
        }
    }

    /// Reads option `kind` with `body` (what follows kind and length); `None` if it is no Fast
    /// Open option (another experiment under kind 254).
    pub fn parse(kind: u8, body: &[u8]) -> Option<FastOpenOption> {
        match kind {
            KIND => Some(FastOpenOption::with_cookie(false, body)),
            KIND_EXP if body.len() >= 2 && body[..2] == EXP_MAGIC => {
                Some(FastOpenOption::with_cookie(true, &body[2..]))
            }
            _ => None,
        }
    }
}

impl fmt::Debug for FastOpenOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FastOpenOption {
    /// tcpdump's words: `tfo cookiereq`, `tfo cookie 3021b9d8…`, `exp-tfo …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.exp { "exp-tfo " } else { "tfo " })?;
        if self.is_request() {
            return f.write_str("cookiereq");
        }
        f.write_str("cookie ")?;
        for b in self.cookie() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The server's cookie for a client: SipHash-2-4 of the SYN's source and destination
/// addresses under the 16-byte key, its 8 bytes little-endian (Linux
/// `__tcp_fastopen_cookie_gen_cipher`; checked against packetdrill's vectors in the tests).
pub fn server_cookie(key: &[u8; 16], client: Ipv4Addr, server: Ipv4Addr) -> [u8; 8] {
    let k0 = u64::from_le_bytes(key[..8].try_into().expect("8 bytes"));
    let k1 = u64::from_le_bytes(key[8..].try_into().expect("8 bytes"));
    let mut h = SipHasher24::new_with_keys(k0, k1);
    h.write(&client.octets());
    h.write(&server.octets());
    h.finish().to_le_bytes()
}

/// A key as the `tcp_fastopen_key` sysctl writes it: four 32-bit hex words joined by `-`,
/// each stored little-endian (Linux `proc_tcp_fastopen_key`). Only the primary key is read.
pub fn parse_key(text: &str) -> Option<[u8; 16]> {
    let words: Vec<&str> = text.trim().split(',').next()?.split('-').collect();
    if words.len() != 4 {
        return None;
    }
    let mut key = [0u8; 16];
    for (i, w) in words.iter().enumerate() {
        let v = u32::from_str_radix(w, 16).ok()?;
        key[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    Some(key)
}

/// What a client remembers of a server (Linux's `tcp_metrics` Fast Open entry): the MSS it
/// offered, its last good cookie, and whether to ask in the experimental format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CachedServer {
    pub mss: Option<u16>,
    pub cookie: Option<FastOpenOption>,
    /// Linux's `try_exp`: 1 after a request in the RFC format went unanswered (ask in the
    /// experimental one next), 2 after both did.
    pub try_exp: u8,
}

/// The client's Fast Open cache, per server address.
#[derive(Clone, Debug, Default)]
pub struct ClientCache {
    servers: BTreeMap<Ipv4Addr, CachedServer>,
}

impl ClientCache {
    pub fn get(&self, server: Ipv4Addr) -> CachedServer {
        self.servers.get(&server).copied().unwrap_or_default()
    }

    /// After a SYN-ACK (Linux `tcp_fastopen_cache_set`): keeps its MSS, and its cookie if a
    /// valid one came; a cookie request that went unanswered switches the format.
    pub fn update(
        &mut self,
        server: Ipv4Addr,
        mss: Option<u16>,
        cookie: Option<FastOpenOption>,
        try_exp: u8,
    ) {
        let e = self.servers.entry(server).or_default();
        if mss.is_some() {
            e.mss = mss;
        }
        match cookie {
            Some(c) if c.is_valid_cookie() => e.cookie = Some(c),
            _ if try_exp > e.try_exp && e.cookie.is_none() => e.try_exp = try_exp,
            _ => {}
        }
    }

    /// `ip tcp_metrics flush`.
    pub fn clear(&mut self) {
        self.servers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// The cookies packetdrill's scripts expect from Linux for their keys and addresses
    /// (fastopen/server/sockopt-fastopen-key.pkt, and run_all.py's TFO_COOKIE).
    #[test]
    fn cookies_match_linux() {
        let key = parse_key("a0bf63f7-ed803d81-cd641d30-cebc4a90").unwrap();
        assert_eq!(
            key[..4],
            [0xf7, 0x63, 0xbf, 0xa0],
            "each word little-endian, as TCP_FASTOPEN_KEY's bytes"
        );
        let client = Ipv4Addr::new(10, 248, 0, 2);
        let server = Ipv4Addr::new(192, 168, 0, 2);
        assert_eq!(
            hex(&server_cookie(&key, client, server)),
            "00abaaabe8e954c2"
        );
        let zero = parse_key("00000000-00000000-00000000-00000000").unwrap();
        assert_eq!(
            hex(&server_cookie(&zero, client, server)),
            "93b7aa4f550f8a1a"
        );
        let defaults = parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4").unwrap();
        assert_eq!(
            hex(&server_cookie(
                &defaults,
                Ipv4Addr::new(192, 0, 2, 1),
                Ipv4Addr::new(192, 168, 0, 1)
            )),
            "3021b9d889017eeb"
        );
        assert!(parse_key("1-2-3").is_none());
    }

    #[test]
    fn option_bytes_and_padding_as_linux() {
        let mut buf = [0u8; 20];
        let req = FastOpenOption::request(false);
        assert_eq!(req.wire_len(), 4);
        req.write(&mut buf);
        assert_eq!(buf[..4], [34, 2, 1, 1]);
        let c = FastOpenOption::with_cookie(true, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(c.wire_len(), 12);
        c.write(&mut buf);
        assert_eq!(buf[..12], [254, 12, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(FastOpenOption::parse(254, &buf[2..12]), Some(c));
        assert_eq!(FastOpenOption::parse(254, &[0x12, 0x34]), None);
        assert!(!FastOpenOption::with_cookie(false, &[1, 2]).is_valid_cookie());
        assert!(!FastOpenOption::with_cookie(false, &[0; 18]).is_valid_cookie());
        assert!(FastOpenOption::with_cookie(false, &[0; 16]).is_valid_cookie());
    }

    /// A cookie longer than Linux takes (found by `tests/prop_parsers.rs`: kind 34, length 27)
    /// is kept whole, so it writes back as it was read, and stays one Linux refuses.
    #[test]
    fn an_over_long_cookie_writes_back_as_read() {
        let cookie: Vec<u8> = (0..25).collect();
        let o = FastOpenOption::parse(34, &cookie).unwrap();
        assert!(!o.is_valid_cookie());
        assert_eq!(o.cookie(), &cookie[..]);
        let mut buf = [0u8; 28];
        o.write(&mut buf);
        assert_eq!(buf[..2], [34, 27]);
        assert_eq!(FastOpenOption::parse(34, &buf[2..27]), Some(o));
    }

    #[test]
    fn cache_keeps_mss_and_valid_cookies_only() {
        let mut c = ClientCache::default();
        let s = Ipv4Addr::new(192, 0, 2, 1);
        let good = FastOpenOption::with_cookie(false, &[0; 4]);
        c.update(s, Some(1460), Some(good), 0);
        c.update(
            s,
            Some(940),
            Some(FastOpenOption::with_cookie(false, &[1, 2])),
            0,
        );
        assert_eq!(c.get(s).mss, Some(940));
        assert_eq!(c.get(s).cookie, Some(good));
    }
}
