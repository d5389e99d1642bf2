//! One-line, tcpdump-like descriptions of frames, for every text view.

use crate::arp::{ArpParseError, ArpRepr};
use crate::decode::{self, Datagram, Decoded, UdpApp};
use crate::ethernet::{self, ethertype};
use crate::ip::{IpProtocol, Ipv4ParseError};
use std::fmt::Write;

/// Up to `max` bytes of `data` as a quoted string with non-printable bytes escaped, as a
/// learner would want to read an application payload.
pub fn quoted_preview(data: &[u8], max: usize) -> String {
    let mut s = String::from("\"");
    for &b in data.iter().take(max) {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    if data.len() > max {
        s.push('…');
    }
    s
}

/// Describes a whole frame (destination MAC .. FCS): the Ethernet header, then what it
/// carries, the way tcpdump prints it.
pub fn frame(bytes: &[u8]) -> String {
    let d = Decoded::new(bytes);
    let Some(eth) = d.eth else {
        return format!("runt frame of {} bytes", bytes.len());
    };
    let mut s = eth.to_string();
    if let Some(vid) = d.vlan {
        // tcpdump -e writes the tag before the inner EtherType: `vlan 10, ethertype IPv4`.
        let head = format!("{} > {}, ", eth.src, eth.dst);
        s.insert_str(head.len(), &format!("vlan {vid}, "));
    }
    let _ = write!(s, ", {} bytes", bytes.len());
    match eth.ethertype {
        ethertype::EXPERIMENTAL => {
            let _ = write!(s, ": {}", quoted_preview(trim_padding(d.payload), 40));
        }
        ethertype::ARP | ethertype::IPV4 => {
            let _ = write!(s, ": {}", layers(&d));
        }
        t if t <= ethernet::MAX_LENGTH_FIELD => {
            let _ = write!(s, ": {}", llc(&d));
        }
        _ => {}
    }
    s
}

/// What an IEEE 802.3 frame's LLC data carries: a spanning tree BPDU, or bytes.
fn llc(d: &Decoded) -> String {
    match d.bpdu() {
        Some(Ok(b)) => b.to_string(),
        Some(Err(e)) => format!("STP, malformed: {e}"),
        None => format!("LLC, {} bytes", d.llc().map_or(0, |p| p.len())),
    }
}

/// What an Ethernet payload carries, in one line, without the Ethernet part: the label of a
/// ladder diagram's arrow (`ARP who-has 10.0.0.2 tell 10.0.0.1`, `IP 10.0.0.1 > 10.0.0.2:
/// ICMP echo request, id 1, seq 1, length 64`).
pub fn packet(ethertype: u16, payload: &[u8]) -> String {
    match ethertype {
        ethertype::ARP => arp(ArpRepr::parse(payload)),
        ethertype::IPV4 => ipv4(Datagram::parse(payload)),
        ethertype::EXPERIMENTAL => quoted_preview(trim_padding(payload), 40),
        other => format!("EtherType {other:#06x}, {} bytes", payload.len()),
    }
}

/// [`packet`] for a frame's ARP or IPv4 layer, as `decode` found it.
fn layers(d: &Decoded) -> String {
    if let Some(a) = d.arp() {
        return arp(a);
    }
    match d.ipv4() {
        Some(ip) => ipv4(ip),
        None => packet(d.ethertype().unwrap_or(0), d.payload),
    }
}

fn arp(a: Result<ArpRepr, ArpParseError>) -> String {
    match a {
        Ok(a) => a.to_string(),
        Err(e) => format!("ARP, malformed: {e}"),
    }
}

fn ipv4(datagram: Result<Datagram, Ipv4ParseError>) -> String {
    let d = match datagram {
        Ok(x) => x,
        Err(e) => return format!("IP, bad header: {e}"),
    };
    let (ip, body) = (&d.ip, d.body);
    let mut s = format!("IP {} > {}", ip.src, ip.dst);
    if ip.frag_offset > 0 {
        let _ = write!(
            s,
            ": {} fragment id {}, offset {}, length {}{} (ttl {})",
            ip.protocol,
            ip.ident,
            ip.frag_offset,
            body.len(),
            if ip.more_frags { ", more" } else { "" },
            ip.ttl
        );
        return s;
    }
    let first_fragment = ip.more_frags && matches!(ip.protocol, IpProtocol::Icmp | IpProtocol::Udp);
    let rest = if first_fragment {
        format!("{} (first fragment, {} bytes)", ip.protocol, body.len())
    } else if let Some(m) = d.icmp() {
        match m {
            Ok(m) => m.to_string(),
            Err(e) => format!("ICMP, bad: {e}"),
        }
    } else if let Some(u) = d.udp() {
        match u {
            Ok(u) => match decode::udp_app(&u) {
                Some(UdpApp::Dhcp(Ok(m))) => format!("{u}: {}", m.summary()),
                Some(UdpApp::Dhcp(Err(e))) => format!("{u}: DHCP, bad: {e}"),
                Some(UdpApp::Dns(Ok(m))) => format!("{u}: {}", m.summary()),
                Some(UdpApp::Dns(Err(_))) | None => u.to_string(),
            },
            Err(e) => format!("UDP, bad: {e}"),
        }
    } else if let Some(t) = d.tcp() {
        // TCP is read even in a first fragment (its checksum then fails: `TCP, bad`).
        match t {
            Ok(t) => format!("TCP {} > {}: {t}", t.src_port, t.dst_port),
            Err(e) => format!("TCP, bad: {e}"),
        }
    } else {
        format!("protocol {}, {} bytes", u8::from(ip.protocol), body.len())
    };
    let _ = write!(s, ": {rest}");
    if ip.more_frags {
        let _ = write!(s, " (fragment id {}, more follow)", ip.ident);
    }
    if ip.ttl != 64 {
        let _ = write!(s, " (ttl {})", ip.ttl);
    }
    s
}

/// Raw test frames are padded with zeros to the Ethernet minimum; for display, drop the padding.
pub fn trim_padding(payload: &[u8]) -> &[u8] {
    let end = payload.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &payload[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_escapes_and_truncates() {
        assert_eq!(quoted_preview(b"hi\n\x01", 10), "\"hi\\n\\x01\"");
        assert_eq!(quoted_preview(b"abcdef", 3), "\"abc\"…");
    }

    #[test]
    fn describes_a_raw_frame() {
        let f = ethernet::frame_with_payload(
            &ethernet::EthernetRepr {
                src: ethernet::default_mac(1),
                dst: ethernet::MacAddr::broadcast(),
                ethertype: ethertype::EXPERIMENTAL,
            },
            b"hello",
        );
        assert_eq!(
            frame(&f),
            "02:4e:4c:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype experimental (0x88b5), 64 bytes: \"hello\""
        );
        assert_eq!(frame(&[0; 3]), "runt frame of 3 bytes");
    }
}
