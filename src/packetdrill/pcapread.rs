//! Reading captures: classic pcap (microsecond or nanosecond, either byte order) and pcapng
//! (section header, interface description and enhanced packet blocks; simple packet blocks,
//! which carry no time, are skipped), Ethernet, raw IP or Linux cooked link types. Only what `netlab replay` needs: each packet's time and its IPv4 datagram.
//! Formats: pcap(7) man page of libpcap; pcapng: IETF draft-ietf-opsawg-pcapng.

/// A captured IPv4 datagram and when it was seen, in nanoseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub time_ns: u64,
    pub ip: Vec<u8>,
    /// Its number in the file, counting every packet from 1 as Wireshark does (for errors).
    pub number: usize,
}

fn u16_at(b: &[u8], i: usize, le: bool) -> Option<u16> {
    let x: [u8; 2] = b.get(i..i + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(x)
    } else {
        u16::from_be_bytes(x)
    })
}

fn u32_at(b: &[u8], i: usize, le: bool) -> Option<u32> {
    let x: [u8; 4] = b.get(i..i + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(x)
    } else {
        u32::from_be_bytes(x)
    })
}

/// The link types `ipv4_of` reads, for errors.
const LINK_TYPES: &str = "Ethernet (1), raw IP (101, 228) and Linux cooked (113)";

fn link_type_known(linktype: u32) -> bool {
    matches!(linktype, 1 | 101 | 228 | 113)
}

/// The IPv4 datagram in a frame of `linktype` (1 Ethernet, 101/228 raw IPv4, 113 Linux SLL).
fn ipv4_of(linktype: u32, frame: &[u8]) -> Option<Vec<u8>> {
    let ip = match linktype {
        1 => {
            let mut off = 12;
            let mut ty = u16::from_be_bytes(frame.get(off..off + 2)?.try_into().ok()?);
            if ty == 0x8100 {
                off += 4;
                ty = u16::from_be_bytes(frame.get(off..off + 2)?.try_into().ok()?);
            }
            if ty != 0x0800 {
                return None;
            }
            frame.get(off + 2..)?
        }
        101 | 228 => frame,
        113 => {
            if u16::from_be_bytes(frame.get(14..16)?.try_into().ok()?) != 0x0800 {
                return None;
            }
            frame.get(16..)?
        }
        _ => return None,
    };
    if ip.first()? >> 4 != 4 {
        return None;
    }
    // Trim Ethernet padding: the datagram's own total length.
    let total = u16::from_be_bytes(ip.get(2..4)?.try_into().ok()?) as usize;
    Some(ip.get(..total.min(ip.len()))?.to_vec())
}

/// Reads a capture file's IPv4 packets; an error says what is wrong and where.
pub fn read(b: &[u8]) -> Result<Vec<Packet>, String> {
    let magic = u32_at(b, 0, true).ok_or("the file is shorter than a capture header")?;
    match magic {
        0xa1b2c3d4 | 0xa1b23c4d | 0xd4c3b2a1 | 0x4d3cb2a1 => read_pcap(b),
        0x0a0d0d0a => read_pcapng(b),
        m => Err(format!("not a pcap or pcapng file (magic {m:#010x})")),
    }
}

fn read_pcap(b: &[u8]) -> Result<Vec<Packet>, String> {
    let m = u32_at(b, 0, true).unwrap_or(0);
    let le = matches!(m, 0xa1b2c3d4 | 0xa1b23c4d);
    let nanos = matches!(m, 0xa1b23c4d | 0x4d3cb2a1);
    let linktype = u32_at(b, 20, le).ok_or("truncated pcap file header")? & 0xffff;
    if !link_type_known(linktype) {
        return Err(format!(
            "link type {linktype} is not supported: netlab replays {LINK_TYPES} captures"
        ));
    }
    let mut out = Vec::new();
    let mut i = 24;
    let mut number = 0;
    while i < b.len() {
        number += 1;
        let (Some(sec), Some(frac), Some(incl)) =
            (u32_at(b, i, le), u32_at(b, i + 4, le), u32_at(b, i + 8, le))
        else {
            return Err(format!("truncated packet header at byte {i}"));
        };
        let data = b
            .get(i + 16..i + 16 + incl as usize)
            .ok_or(format!("packet at byte {i} runs past the end of the file"))?;
        let ns = u64::from(sec) * 1_000_000_000 + u64::from(frac) * if nanos { 1 } else { 1000 };
        if let Some(ip) = ipv4_of(linktype, data) {
            out.push(Packet {
                time_ns: ns,
                ip,
                number,
            });
        }
        i += 16 + incl as usize;
    }
    Ok(out)
}

fn read_pcapng(b: &[u8]) -> Result<Vec<Packet>, String> {
    let mut out = Vec::new();
    let mut le = true;
    // Per interface: link type and ticks per second.
    let mut ifaces: Vec<(u32, u64)> = Vec::new();
    let mut i = 0;
    let mut number = 0;
    // Packets left out for their interface's link type: (number, link type) of the first.
    let mut unknown_link: Option<(usize, u32)> = None;
    while i < b.len() {
        if b.len() - i < 12 {
            return Err(format!(
                "truncated block header at byte {i}: the file ends {} bytes into it",
                b.len() - i
            ));
        }
        let ty = u32_at(b, i, true).unwrap_or(0);
        if ty == 0x0a0d0d0a {
            le = u32_at(b, i + 8, true) == Some(0x1a2b3c4d);
            ifaces.clear();
        }
        let len = u32_at(b, i + 4, le).ok_or("truncated block")? as usize;
        if len < 12 {
            return Err(format!("block at byte {i} has an impossible length {len}"));
        }
        if len > b.len() - i {
            return Err(format!(
                "block at byte {i} runs past the end of the file ({len} bytes, {} left)",
                b.len() - i
            ));
        }
        let body = &b[i + 8..i + len - 4];
        match u32_at(b, i, le).unwrap_or(0) {
            1 => {
                let linktype = u32::from(u16_at(body, 0, le).unwrap_or(0));
                let mut tsres = 1_000_000u64;
                let mut o = 8;
                while let (Some(code), Some(olen)) = (u16_at(body, o, le), u16_at(body, o + 2, le))
                {
                    if code == 0 {
                        break;
                    }
                    if code == 9 {
                        if let Some(&v) = body.get(o + 4) {
                            tsres = if v & 0x80 != 0 {
                                1u64.checked_shl(u32::from(v & 0x7f)).unwrap_or(u64::MAX)
                            } else {
                                10u64.checked_pow(u32::from(v)).unwrap_or(u64::MAX)
                            };
                        }
                    }
                    o += 4 + (olen as usize).div_ceil(4) * 4;
                }
                ifaces.push((linktype, tsres.max(1)));
            }
            6 => {
                number += 1;
                let iface = u32_at(body, 0, le).ok_or("truncated packet block")? as usize;
                let (linktype, res) = *ifaces.get(iface).ok_or(format!(
                    "packet at byte {i} names undeclared interface {iface}"
                ))?;
                let ts = (u64::from(u32_at(body, 4, le).unwrap_or(0)) << 32)
                    | u64::from(u32_at(body, 8, le).unwrap_or(0));
                let incl = u32_at(body, 12, le).unwrap_or(0) as usize;
                let data = body
                    .get(20..20 + incl)
                    .ok_or(format!("packet at byte {i} runs past its block"))?;
                let ns = (u128::from(ts) * 1_000_000_000 / u128::from(res)) as u64;
                if !link_type_known(linktype) {
                    unknown_link.get_or_insert((number, linktype));
                } else if let Some(ip) = ipv4_of(linktype, data) {
                    out.push(Packet {
                        time_ns: ns,
                        ip,
                        number,
                    });
                }
            }
            _ => {}
        }
        i += len;
    }
    // Interfaces of other link types may sit beside the one that matters (a capture on
    // several interfaces); only a capture with nothing else readable is an error.
    match unknown_link {
        Some((n, linktype)) if out.is_empty() => Err(format!(
            "link type {linktype} (packet {n}) is not supported: netlab replays {LINK_TYPES} \
             captures"
        )),
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read(b"").is_err());
        assert!(read(b"hello world, not a capture")
            .unwrap_err()
            .contains("magic"));
        let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1];
        pcap.extend([0u8; 20]);
        pcap.extend([1, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0]);
        assert!(read(&pcap).is_err());
    }

    /// A minimal IPv4 datagram (protocol TCP, no payload) in an Ethernet frame.
    fn frame() -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00, 0x45, 0, 0, 20]);
        f.extend([0u8; 5]);
        f.push(6);
        f.extend([0u8; 10]);
        f
    }

    fn block(ty: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = ty.to_le_bytes().to_vec();
        b.extend(len.to_le_bytes());
        b.extend(body);
        b.resize(len as usize - 4, 0);
        b.extend(len.to_le_bytes());
        b
    }

    /// Section header, one interface of `linktype`, two packets; and where each block ends.
    fn pcapng(linktype: u16) -> (Vec<u8>, Vec<usize>) {
        let mut shb = 0x1a2b3c4du32.to_le_bytes().to_vec();
        shb.extend([1, 0, 0, 0]);
        shb.extend(u64::MAX.to_le_bytes());
        let mut idb = linktype.to_le_bytes().to_vec();
        idb.extend([0, 0, 0, 0, 1, 0]);
        let mut out = block(0x0a0d0d0a, &shb);
        let mut ends = vec![out.len()];
        out.extend(block(1, &idb));
        ends.push(out.len());
        for t in [1u32, 2] {
            let mut epb = vec![0u8; 4];
            epb.extend(0u32.to_le_bytes());
            epb.extend((t * 1_000_000).to_le_bytes());
            epb.extend((frame().len() as u32).to_le_bytes());
            epb.extend((frame().len() as u32).to_le_bytes());
            epb.extend(frame());
            out.extend(block(6, &epb));
            ends.push(out.len());
        }
        (out, ends)
    }

    /// A pcapng cut anywhere but between blocks is an error, as a cut pcap is; the packets
    /// are numbered as in the file.
    #[test]
    fn a_truncated_pcapng_is_an_error() {
        let (whole, ends) = pcapng(1);
        let pkts = read(&whole).unwrap();
        assert_eq!(pkts.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(pkts[1].time_ns, 2_000_000_000);
        for cut in 4..whole.len() {
            let r = read(&whole[..cut]);
            if ends.contains(&cut) {
                assert!(r.is_ok(), "cut at {cut}: {r:?}");
            } else {
                let e = r.unwrap_err();
                assert!(
                    e.contains("truncated") || e.contains("runs past the end of the file"),
                    "cut at {cut}: {e}"
                );
            }
        }
        let e = read(&whole[..ends[2] + 5]).unwrap_err();
        assert_eq!(
            e,
            format!(
                "truncated block header at byte {}: the file ends 5 bytes into it",
                ends[2]
            )
        );
    }

    /// A link type the reader does not know is named, with those it knows, in pcap and
    /// pcapng alike (not read as a capture without TCP).
    #[test]
    fn an_unknown_link_type_is_named() {
        let mut pcap = 0xa1b2c3d4u32.to_le_bytes().to_vec();
        pcap.extend([2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        pcap.extend(147u32.to_le_bytes());
        assert_eq!(
            read(&pcap).unwrap_err(),
            "link type 147 is not supported: netlab replays Ethernet (1), raw IP (101, 228) \
             and Linux cooked (113) captures"
        );
        let e = read(&pcapng(147).0).unwrap_err();
        assert!(
            e.starts_with("link type 147 (packet 1) is not supported"),
            "{e}"
        );
    }
}
