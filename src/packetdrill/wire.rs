//! Segments as bytes, for the runner: an inbound script line becomes a TCP segment with its
//! options in the written order (netlab's own `TcpRepr` keeps only the options it uses, in its
//! own order), and an outbound segment is read back with its option list as sent, so order and
//! padding can be compared as packetdrill does.

use super::ast::TcpOpt;
use crate::ip::checksum;
use std::fmt;
use std::net::Ipv4Addr;

/// A TCP segment as the runner sees it: header fields, options in wire order, payload length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seg {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub urgent: u16,
    pub options: Vec<TcpOpt>,
    pub payload_len: u32,
}

/// Writes an option list; returns bytes padded to a multiple of four with EOL (zeros).
pub fn options_bytes(opts: &[TcpOpt]) -> Vec<u8> {
    let mut b = Vec::new();
    for o in opts {
        match o {
            TcpOpt::Eol => b.push(0),
            TcpOpt::Nop => b.push(1),
            TcpOpt::Mss(m) => b.extend_from_slice(&[2, 4, (m >> 8) as u8, *m as u8]),
            TcpOpt::Wscale(s) => b.extend_from_slice(&[3, 3, *s]),
            TcpOpt::SackOk => b.extend_from_slice(&[4, 2]),
            TcpOpt::Sack(blocks) => {
                b.extend_from_slice(&[5, 2 + 8 * blocks.len() as u8]);
                for (l, r) in blocks {
                    b.extend_from_slice(&l.to_be_bytes());
                    b.extend_from_slice(&r.to_be_bytes());
                }
            }
            TcpOpt::Ts { val, ecr } => {
                b.extend_from_slice(&[8, 10]);
                b.extend_from_slice(&val.to_be_bytes());
                b.extend_from_slice(&ecr.to_be_bytes());
            }
            TcpOpt::FastOpen { exp, cookie } => {
                let base = if *exp { 4 } else { 2 };
                b.extend_from_slice(&[o.kind(), (base + cookie.len()) as u8]);
                if *exp {
                    b.extend_from_slice(&crate::tcp::fastopen::EXP_MAGIC);
                }
                b.extend_from_slice(cookie);
            }
            TcpOpt::Unsupported(_) => {}
        }
    }
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    b
}

/// A TCP segment (header, options, `payload_len` zero bytes) with its checksum.
pub fn build_tcp(seg: &Seg, src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
    let opts = options_bytes(&seg.options);
    let hlen = 20 + opts.len();
    let mut b = vec![0u8; hlen + seg.payload_len as usize];
    b[0..2].copy_from_slice(&seg.src_port.to_be_bytes());
    b[2..4].copy_from_slice(&seg.dst_port.to_be_bytes());
    b[4..8].copy_from_slice(&seg.seq.to_be_bytes());
    b[8..12].copy_from_slice(&seg.ack.to_be_bytes());
    b[12] = ((hlen / 4) as u8) << 4;
    b[13] = seg.flags;
    b[14..16].copy_from_slice(&seg.window.to_be_bytes());
    b[18..20].copy_from_slice(&seg.urgent.to_be_bytes());
    b[20..hlen].copy_from_slice(&opts);
    let sum = checksum::transport(src, dst, 6, &b);
    b[16..18].copy_from_slice(&sum.to_be_bytes());
    b
}

/// Reads a TCP segment's header and its options in wire order (trailing EOL padding dropped).
pub fn parse_tcp(b: &[u8]) -> Result<Seg, String> {
    if b.len() < 20 {
        return Err(format!(
            "TCP segment of {} bytes is shorter than a header",
            b.len()
        ));
    }
    let hlen = (b[12] >> 4) as usize * 4;
    if hlen < 20 || hlen > b.len() {
        return Err(format!("TCP data offset {hlen} is impossible"));
    }
    let mut options = Vec::new();
    let mut o = &b[20..hlen];
    while let Some(&kind) = o.first() {
        match kind {
            0 => {
                // EOL: the rest is padding. Keep it only if something non-zero follows.
                if o.iter().any(|&x| x != 0) {
                    options.push(TcpOpt::Eol);
                    o = &o[1..];
                    continue;
                }
                break;
            }
            1 => {
                options.push(TcpOpt::Nop);
                o = &o[1..];
                continue;
            }
            _ => {}
        }
        let len = *o.get(1).ok_or("TCP option without a length")? as usize;
        if len < 2 || len > o.len() {
            return Err(format!("TCP option {kind} has an impossible length {len}"));
        }
        let body = &o[2..len];
        let be32 = |x: &[u8]| u32::from_be_bytes([x[0], x[1], x[2], x[3]]);
        options.push(match (kind, body.len()) {
            (2, 2) => TcpOpt::Mss(u16::from_be_bytes([body[0], body[1]])),
            (3, 1) => TcpOpt::Wscale(body[0]),
            (4, 0) => TcpOpt::SackOk,
            (5, n) if n % 8 == 0 => TcpOpt::Sack(
                body.chunks(8)
                    .map(|c| (be32(&c[..4]), be32(&c[4..])))
                    .collect(),
            ),
            (8, 8) => TcpOpt::Ts {
                val: be32(&body[..4]),
                ecr: be32(&body[4..]),
            },
            (34, _) => TcpOpt::FastOpen {
                exp: false,
                cookie: body.to_vec(),
            },
            (254, n) if n >= 2 && body[..2] == crate::tcp::fastopen::EXP_MAGIC => {
                TcpOpt::FastOpen {
                    exp: true,
                    cookie: body[2..].to_vec(),
                }
            }
            _ => TcpOpt::Unsupported(format!("kind {kind} len {len}")),
        });
        o = &o[len..];
    }
    Ok(Seg {
        src_port: u16::from_be_bytes([b[0], b[1]]),
        dst_port: u16::from_be_bytes([b[2], b[3]]),
        seq: be(&b[4..8]),
        ack: be(&b[8..12]),
        flags: b[13],
        window: u16::from_be_bytes([b[14], b[15]]),
        urgent: u16::from_be_bytes([b[18], b[19]]),
        options,
        payload_len: (b.len() - hlen) as u32,
    })
}

fn be(x: &[u8]) -> u32 {
    u32::from_be_bytes([x[0], x[1], x[2], x[3]])
}

/// packetdrill's flag letters: `S.`, `P.`, `F.`, `R`, `.`, `-`.
pub fn flags_text(flags: u8) -> String {
    let mut s = String::new();
    for (bit, c) in [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    if flags & 0x10 != 0 {
        s.push('.');
    }
    if s.is_empty() {
        s.push('-');
    }
    s
}

/// An option list as a script writes it: `mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8`.
pub struct OptsText<'a>(pub &'a [TcpOpt]);

impl fmt::Display for OptsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, o) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match o {
                TcpOpt::Nop => f.write_str("nop")?,
                TcpOpt::Eol => f.write_str("eol")?,
                TcpOpt::Mss(m) => write!(f, "mss {m}")?,
                TcpOpt::Wscale(s) => write!(f, "wscale {s}")?,
                TcpOpt::SackOk => f.write_str("sackOK")?,
                TcpOpt::Sack(b) => {
                    f.write_str("sack")?;
                    for (l, r) in b {
                        write!(f, " {l}:{r}")?;
                    }
                }
                TcpOpt::Ts { val, ecr } => write!(f, "TS val {val} ecr {ecr}")?,
                TcpOpt::FastOpen { exp, cookie } => {
                    f.write_str(if *exp { "FOEXP" } else { "FO" })?;
                    if !cookie.is_empty() {
                        f.write_str(" ")?;
                        for b in cookie {
                            write!(f, "{b:02x}")?;
                        }
                    }
                }
                TcpOpt::Unsupported(n) => f.write_str(n)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_then_parse_keeps_option_order() {
        let seg = Seg {
            src_port: 8080,
            dst_port: 40000,
            seq: 7,
            ack: 9,
            flags: 0x12,
            window: 65535,
            urgent: 0,
            options: vec![
                TcpOpt::Mss(1460),
                TcpOpt::SackOk,
                TcpOpt::Ts { val: 1, ecr: 2 },
                TcpOpt::Nop,
                TcpOpt::Wscale(8),
            ],
            payload_len: 3,
        };
        let src = Ipv4Addr::new(192, 0, 2, 1);
        let dst = Ipv4Addr::new(192, 168, 0, 1);
        let b = build_tcp(&seg, src, dst);
        assert_eq!(b.len(), 20 + 20 + 3);
        assert_eq!(parse_tcp(&b).unwrap(), seg);
        assert!(crate::tcp::TcpRepr::parse(&b, src, dst).is_ok(), "checksum");
        assert_eq!(flags_text(0x12), "S.");
        assert_eq!(flags_text(0x19), "FP.");
        assert_eq!(flags_text(0), "-");
    }

    #[test]
    fn broken_options_are_errors() {
        let mut b = vec![0u8; 24];
        b[12] = 6 << 4;
        b[20] = 2;
        b[21] = 9;
        assert!(parse_tcp(&b).unwrap_err().contains("impossible length"));
        assert!(parse_tcp(&b[..10]).is_err());
    }
}
