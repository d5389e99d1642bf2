//! DNS messages (RFC 1035 §4): one question, A and PTR answers, no compression on output
//! (allowed by §4.1.4), compression pointers understood on input.

use std::net::Ipv4Addr;

pub const PORT: u16 = 53;
pub const TYPE_A: u16 = 1;
pub const TYPE_PTR: u16 = 12;
const CLASS_IN: u16 = 1;
/// RCODE 3, "Name Error": the name does not exist (NXDOMAIN).
pub const RCODE_NXDOMAIN: u8 = 3;
/// RCODE 4: the server does not do this kind of query.
pub const RCODE_NOTIMP: u8 = 4;

/// An answer's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Ptr(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub name: String,
    pub ttl: u32,
    pub data: RData,
}

/// A query or a response with one question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsRepr {
    pub id: u16,
    pub response: bool,
    /// Recursion desired (set by stub resolvers, copied into the response).
    pub rd: bool,
    /// Authoritative answer.
    pub aa: bool,
    pub rcode: u8,
    pub qname: String,
    pub qtype: u16,
    pub answers: Vec<Answer>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsParseError {
    #[error("truncated DNS message")]
    Truncated,
    #[error("bad name in DNS message")]
    BadName,
    #[error("DNS message without a question")]
    NoQuestion,
}

fn u16_at(b: &[u8], i: usize) -> Result<u16, DnsParseError> {
    b.get(i..i + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(DnsParseError::Truncated)
}

/// Reads the name at `i`; returns it and where the record goes on.
fn read_name(b: &[u8], mut i: usize) -> Result<(String, usize), DnsParseError> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    // Bounded: a pointer loop is an error, not a hang.
    for _ in 0..128 {
        let len = *b.get(i).ok_or(DnsParseError::Truncated)? as usize;
        if len == 0 {
            return Ok((labels.join("."), end.unwrap_or(i + 1)));
        }
        if len & 0xC0 == 0xC0 {
            let ptr = (u16_at(b, i)? & 0x3FFF) as usize;
            end.get_or_insert(i + 2);
            i = ptr;
            continue;
        }
        if len > 63 {
            return Err(DnsParseError::BadName);
        }
        let label = b.get(i + 1..i + 1 + len).ok_or(DnsParseError::Truncated)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        i += 1 + len;
    }
    Err(DnsParseError::BadName)
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let l = &label.as_bytes()[..label.len().min(63)];
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out.push(0);
}

impl DnsRepr {
    pub fn query(id: u16, qname: &str, qtype: u16) -> Self {
        DnsRepr {
            id,
            response: false,
            rd: true,
            aa: false,
            rcode: 0,
            qname: qname.to_string(),
            qtype,
            answers: Vec::new(),
        }
    }

    pub fn parse(b: &[u8]) -> Result<DnsRepr, DnsParseError> {
        let id = u16_at(b, 0)?;
        let flags = u16_at(b, 2)?;
        let qd = u16_at(b, 4)?;
        let an = u16_at(b, 6)?;
        if qd == 0 {
            return Err(DnsParseError::NoQuestion);
        }
        let (qname, mut i) = read_name(b, 12)?;
        let qtype = u16_at(b, i)?;
        i += 4;
        // Further questions (never sent by stub resolvers) are skipped.
        for _ in 1..qd {
            let (_, j) = read_name(b, i)?;
            i = j + 4;
        }
        let mut answers = Vec::new();
        for _ in 0..an {
            let (name, j) = read_name(b, i)?;
            let rtype = u16_at(b, j)?;
            let ttl_hi = u16_at(b, j + 4)?;
            let ttl_lo = u16_at(b, j + 6)?;
            let rdlen = u16_at(b, j + 8)? as usize;
            let start = j + 10;
            let rdata = b
                .get(start..start + rdlen)
                .ok_or(DnsParseError::Truncated)?;
            let ttl = (u32::from(ttl_hi) << 16) | u32::from(ttl_lo);
            let data = match rtype {
                TYPE_A if rdlen == 4 => Some(RData::A(Ipv4Addr::new(
                    rdata[0], rdata[1], rdata[2], rdata[3],
                ))),
                TYPE_PTR => Some(RData::Ptr(read_name(b, start)?.0)),
                _ => None,
            };
            if let Some(data) = data {
                answers.push(Answer { name, ttl, data });
            }
            i = start + rdlen;
        }
        Ok(DnsRepr {
            id,
            response: flags & 0x8000 != 0,
            rd: flags & 0x0100 != 0,
            aa: flags & 0x0400 != 0,
            rcode: (flags & 0xF) as u8,
            qname,
            qtype,
            answers,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut flags: u16 = u16::from(self.rcode & 0xF);
        if self.response {
            // QR, and RA: netlab's server answers what it knows, as a recursive server would.
            flags |= 0x8000 | 0x0080;
        }
        if self.aa {
            flags |= 0x0400;
        }
        if self.rd {
            flags |= 0x0100;
        }
        let mut b = Vec::with_capacity(64);
        b.extend_from_slice(&self.id.to_be_bytes());
        b.extend_from_slice(&flags.to_be_bytes());
        for n in [1u16, self.answers.len() as u16, 0, 0] {
            b.extend_from_slice(&n.to_be_bytes());
        }
        write_name(&mut b, &self.qname);
        b.extend_from_slice(&self.qtype.to_be_bytes());
        b.extend_from_slice(&CLASS_IN.to_be_bytes());
        for a in &self.answers {
            write_name(&mut b, &a.name);
            let (rtype, rdata) = match &a.data {
                RData::A(ip) => (TYPE_A, ip.octets().to_vec()),
                RData::Ptr(n) => {
                    let mut v = Vec::new();
                    write_name(&mut v, n);
                    (TYPE_PTR, v)
                }
            };
            b.extend_from_slice(&rtype.to_be_bytes());
            b.extend_from_slice(&CLASS_IN.to_be_bytes());
            b.extend_from_slice(&a.ttl.to_be_bytes());
            b.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            b.extend_from_slice(&rdata);
        }
        b
    }

    /// One line for logs and the ladder, as tcpdump words it (`A? www.lab.`).
    pub fn summary(&self) -> String {
        let t = match self.qtype {
            TYPE_A => "A",
            TYPE_PTR => "PTR",
            _ => "?",
        };
        if !self.response {
            return format!("DNS query {:#06x} {t}? {}", self.id, self.qname);
        }
        if self.rcode == RCODE_NXDOMAIN {
            return format!("DNS response {:#06x} NXDomain {}", self.id, self.qname);
        }
        let answers: Vec<String> = self
            .answers
            .iter()
            .map(|a| match &a.data {
                RData::A(ip) => format!("A {ip}"),
                RData::Ptr(n) => format!("PTR {n}"),
            })
            .collect();
        format!(
            "DNS response {:#06x} {} {}",
            self.id,
            self.qname,
            answers.join(", ")
        )
    }
}

/// The name a PTR query asks about for `ip` (RFC 1035 §3.5): `10.1.0.10.in-addr.arpa`.
pub fn reverse_name(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_round_trips() {
        let mut r = DnsRepr::query(0x1234, "www.lab", TYPE_A);
        r.response = true;
        r.aa = true;
        r.answers.push(Answer {
            name: "www.lab".into(),
            ttl: 300,
            data: RData::A(Ipv4Addr::new(10, 0, 1, 80)),
        });
        let b = r.to_bytes();
        assert_eq!(DnsRepr::parse(&b).unwrap(), r);
        let mut p = DnsRepr::query(7, &reverse_name(Ipv4Addr::new(10, 0, 1, 80)), TYPE_PTR);
        p.response = true;
        p.answers.push(Answer {
            name: p.qname.clone(),
            ttl: 60,
            data: RData::Ptr("www.lab".into()),
        });
        assert_eq!(p.qname, "80.1.0.10.in-addr.arpa");
        assert_eq!(DnsRepr::parse(&p.to_bytes()).unwrap(), p);
    }

    #[test]
    fn compressed_names_are_read_and_loops_refused() {
        // Header, question www.lab A IN, one answer whose name is a pointer to offset 12.
        let mut b = DnsRepr::query(1, "www.lab", TYPE_A).to_bytes();
        b[2] |= 0x80;
        b[7] = 1;
        b.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 9]);
        let r = DnsRepr::parse(&b).unwrap();
        assert_eq!(r.answers[0].name, "www.lab");
        assert_eq!(r.answers[0].data, RData::A(Ipv4Addr::new(10, 0, 0, 9)));
        // A name that points at itself.
        let mut bad = b.clone();
        bad[12] = 0xC0;
        bad[13] = 12;
        assert_eq!(DnsRepr::parse(&bad), Err(DnsParseError::BadName));
        assert_eq!(DnsRepr::parse(&b[..5]), Err(DnsParseError::Truncated));
    }
}
