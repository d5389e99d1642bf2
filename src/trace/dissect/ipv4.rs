//! The IPv4 sections of a dissected frame: IPv4, ICMP, UDP, TCP.

use super::{checksum_text, preview, Section};
use crate::decode::{self, Decoded};
use crate::icmp::IcmpRepr;
use crate::tcp::{TcpFlags, TcpRepr};
use crate::trace::Layer;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;
use std::fmt::Write;
use std::net::Ipv4Addr;

pub(super) fn ipv4(d: &Decoded, out: &mut Vec<Section>) {
    let mut s = Section::new(Layer::Ip, "Internet Protocol Version 4");
    let payload = d.payload;
    let Some(v) = d.ipv4_view() else {
        s.summary = format!("truncated: {} bytes", payload.len());
        s.field(
            "Length",
            format!("{} bytes, need at least 20", payload.len()),
        );
        out.push(s);
        return;
    };
    let ihl = v.get_header_length() as usize;
    let total = v.get_total_length() as usize;
    let flags = v.get_flags();
    let offset_units = v.get_fragment_offset();
    let proto = v.get_next_level_protocol().0;
    let (src, dst) = (v.get_source(), v.get_destination());
    s.field("Version", v.get_version().to_string());
    s.field("Header length", format!("{} bytes ({ihl})", ihl * 4));
    let tos = (v.get_dscp() << 2) | v.get_ecn();
    s.field(
        "Type of service",
        format!("{tos:#04x} (DSCP {}, ECN {})", v.get_dscp(), v.get_ecn()),
    );
    s.field("Total length", total.to_string());
    s.field(
        "Identification",
        format!(
            "{:#06x} ({})",
            v.get_identification(),
            v.get_identification()
        ),
    );
    let mut names = Vec::new();
    if flags & 0b100 != 0 {
        names.push("reserved bit");
    }
    if flags & 0b010 != 0 {
        names.push("Don't fragment");
    }
    if flags & 0b001 != 0 {
        names.push("More fragments");
    }
    s.field(
        "Flags",
        format!(
            "{flags:#03x}{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            }
        ),
    );
    s.field(
        "Fragment offset",
        format!("{offset_units} ({} bytes)", offset_units as usize * 8),
    );
    s.field("Time to live", v.get_ttl().to_string());
    let proto_name = match proto {
        1 => " (ICMP)",
        6 => " (TCP)",
        17 => " (UDP)",
        _ => "",
    };
    s.field("Protocol", format!("{proto}{proto_name}"));
    let header_len = (ihl * 4).min(payload.len());
    let header_ok =
        ihl >= 5 && pnet_packet::util::checksum(&payload[..header_len], usize::MAX) == 0;
    s.field(
        "Header checksum",
        checksum_text(v.get_checksum(), header_ok, pnet_packet::ipv4::checksum(&v)),
    );
    s.field("Source", src.to_string());
    s.field("Destination", dst.to_string());
    if ihl > 5 {
        s.field("Options", format!("{} bytes", ihl * 4 - 20));
    }
    s.summary = format!(
        "{src} > {dst}, TTL {}, protocol {proto}{proto_name}, id {}, {total} bytes{}, header checksum {}",
        v.get_ttl(),
        v.get_identification(),
        if flags & 0b010 != 0 { ", DF" } else { "" },
        if header_ok { "correct" } else { "WRONG" }
    );
    let Some(body) = d.ipv4_payload() else {
        s.field("Problem", "header length or total length is impossible");
        out.push(s);
        return;
    };
    if offset_units > 0 {
        s.field(
            "Data",
            format!(
                "{} bytes: a later fragment (the {} header is in the first one)",
                body.len(),
                proto_name.trim()
            ),
        );
        out.push(s);
        return;
    }
    let first_fragment = flags & 0b001 != 0;
    if first_fragment {
        s.field(
            "Data",
            format!(
                "{} bytes: the first fragment; transport checksums cover the whole datagram and are not checked here",
                body.len()
            ),
        );
    }
    out.push(s);
    match proto {
        1 => out.push(icmp(body, !first_fragment)),
        6 => out.push(tcp(body, src, dst, !first_fragment)),
        17 => out.push(udp(body, src, dst, !first_fragment)),
        _ => {}
    }
}

fn icmp_type_name(t: u8, code: u8) -> String {
    match (t, code) {
        (0, _) => "echo reply".into(),
        (8, _) => "echo request".into(),
        (3, c) => {
            let what = match c {
                0 => "net unreachable",
                1 => "host unreachable",
                2 => "protocol unreachable",
                3 => "port unreachable",
                4 => "fragmentation needed and DF set",
                _ => "",
            };
            if what.is_empty() {
                "destination unreachable".into()
            } else {
                format!("destination unreachable: {what}")
            }
        }
        (11, 0) => "time exceeded: TTL expired in transit".into(),
        (11, _) => "time exceeded: fragment reassembly".into(),
        _ => "unknown".into(),
    }
}

fn icmp(body: &[u8], check: bool) -> Section {
    let mut s = Section::new(Layer::Icmp, "Internet Control Message Protocol");
    if body.len() < 8 {
        s.summary = format!("truncated: {} bytes", body.len());
        s.field("Length", format!("{} bytes, need at least 8", body.len()));
        return s;
    }
    let (t, code) = (body[0], body[1]);
    let found = u16::from_be_bytes([body[2], body[3]]);
    s.field("Type", format!("{t} ({})", icmp_type_name(t, code)));
    s.field("Code", code.to_string());
    if check {
        let ok = pnet_packet::util::checksum(body, usize::MAX) == 0;
        s.field(
            "Checksum",
            checksum_text(found, ok, pnet_packet::util::checksum(body, 1)),
        );
    } else {
        s.field("Checksum", format!("{found:#06x} (not checked: fragment)"));
    }
    match t {
        0 | 8 => {
            let ident = u16::from_be_bytes([body[4], body[5]]);
            let seq = u16::from_be_bytes([body[6], body[7]]);
            s.field("Identifier", format!("{ident} ({ident:#06x})"));
            s.field("Sequence number", seq.to_string());
            let data = &body[8..];
            s.field("Data", format!("{} bytes: {}", data.len(), preview(data)));
            s.summary = format!(
                "{} id {ident} seq {seq}, {} data bytes",
                icmp_type_name(t, code),
                data.len()
            );
        }
        3 | 11 => {
            if t == 3 && code == 4 {
                s.field(
                    "Next-hop MTU",
                    u16::from_be_bytes([body[6], body[7]]).to_string(),
                );
            } else {
                s.field(
                    "Unused",
                    format!(
                        "{:#010x}",
                        u32::from_be_bytes([body[4], body[5], body[6], body[7]])
                    ),
                );
            }
            let quoted = &body[8..];
            let q = match decode::quoted(quoted) {
                Ok((ip, ports)) => {
                    let mut q = format!(
                        "IPv4 {} > {}, protocol {}, TTL {}",
                        ip.src, ip.dst, ip.protocol, ip.ttl
                    );
                    if let Some((sport, dport)) = ports {
                        let _ = write!(q, ", ports {sport} > {dport}");
                    }
                    q
                }
                Err(e) => format!("unreadable: {e}"),
            };
            s.field("Quoted datagram", format!("{} bytes: {q}", quoted.len()));
            s.summary = format!("{}, about {q}", icmp_type_name(t, code));
        }
        _ => {
            s.field("Rest", format!("{} bytes", body.len() - 4));
            s.summary = format!("type {t} code {code}");
        }
    }
    if check {
        if let Err(e) = IcmpRepr::parse(body) {
            s.field("Problem", e.to_string());
        }
    }
    s
}

fn udp(body: &[u8], src: Ipv4Addr, dst: Ipv4Addr, check: bool) -> Section {
    let mut s = Section::new(Layer::Udp, "User Datagram Protocol");
    let Some(v) = UdpPacket::new(body) else {
        s.summary = format!("truncated: {} bytes", body.len());
        s.field("Length", format!("{} bytes, need at least 8", body.len()));
        return s;
    };
    let (sp, dp, len, found) = (
        v.get_source(),
        v.get_destination(),
        v.get_length(),
        v.get_checksum(),
    );
    s.field("Source port", sp.to_string());
    s.field("Destination port", dp.to_string());
    s.field("Length", len.to_string());
    let ck = if found == 0 {
        "0x0000 (none: the sender did not compute one)".to_string()
    } else if !check {
        format!("{found:#06x} (not checked: fragment)")
    } else {
        let ok = crate::udp::UdpRepr::parse(body, src, dst).is_ok();
        let expected = pnet_packet::udp::ipv4_checksum(&v, &src, &dst);
        checksum_text(found, ok, expected)
    };
    s.field("Checksum", ck);
    let start = 8.min(body.len());
    let end = (len as usize).clamp(start, body.len());
    let data = &body[start..end];
    s.field("Data", format!("{} bytes: {}", data.len(), preview(data)));
    s.summary = format!("port {sp} > {dp}, {} data bytes", data.len());
    s
}

/// The names of the flags set, Wireshark's way: `SYN, ACK`.
pub fn flag_names(flags: TcpFlags) -> String {
    const NAMES: [(TcpFlags, &str); 8] = [
        (TcpFlags::CWR, "CWR"),
        (TcpFlags::ECE, "ECE"),
        (TcpFlags::URG, "URG"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::FIN, "FIN"),
    ];
    let v: Vec<&str> = NAMES
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|(_, n)| *n)
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn tcp(body: &[u8], src: Ipv4Addr, dst: Ipv4Addr, check: bool) -> Section {
    let mut s = Section::new(Layer::Tcp, "Transmission Control Protocol");
    let Some(v) = TcpPacket::new(body) else {
        s.summary = format!("truncated: {} bytes", body.len());
        s.field("Length", format!("{} bytes, need at least 20", body.len()));
        return s;
    };
    let flags = TcpFlags::from_bits(v.get_flags());
    let offset = v.get_data_offset() as usize;
    s.field("Source port", v.get_source().to_string());
    s.field("Destination port", v.get_destination().to_string());
    s.field("Sequence number", v.get_sequence().to_string());
    s.field(
        "Acknowledgment number",
        if flags.ack() {
            v.get_acknowledgement().to_string()
        } else {
            format!("{} (not used: ACK not set)", v.get_acknowledgement())
        },
    );
    s.field("Header length", format!("{} bytes ({offset})", offset * 4));
    if v.get_reserved() != 0 {
        s.field("Reserved", format!("{:#x}", v.get_reserved()));
    }
    s.field(
        "Flags",
        format!("{:#05x} ({}) [{flags}]", flags.bits(), flag_names(flags)),
    );
    s.field("Window", v.get_window().to_string());
    let found = v.get_checksum();
    let ck = if check {
        let expected = pnet_packet::tcp::ipv4_checksum(&v, &src, &dst);
        checksum_text(found, expected == found, expected)
    } else {
        format!("{found:#06x} (not checked: fragment)")
    };
    s.field("Checksum", ck);
    s.field("Urgent pointer", v.get_urgent_ptr().to_string());
    match TcpRepr::parse_unchecked(body) {
        Ok(repr) => {
            if offset > 5 {
                let text = repr.options.to_string();
                s.field(
                    "Options",
                    format!(
                        "{} bytes: {}",
                        offset * 4 - 20,
                        if text.is_empty() {
                            "none netlab knows"
                        } else {
                            &text
                        }
                    ),
                );
            }
            s.field(
                "Payload",
                format!("{} bytes: {}", repr.payload.len(), preview(repr.payload)),
            );
            let next = repr.seq + repr.seg_len();
            s.field(
                "Segment length",
                format!(
                    "{} (sequence space: payload + SYN + FIN; next sequence number {next})",
                    repr.seg_len()
                ),
            );
            let mut sum = format!(
                "port {} > {} [{flags}] seq {}",
                repr.src_port, repr.dst_port, repr.seq
            );
            if flags.ack() {
                let _ = write!(sum, " ack {}", repr.ack);
            }
            let _ = write!(sum, " win {} len {}", repr.window, repr.payload.len());
            if !repr.options.is_empty() {
                let _ = write!(sum, " options [{}]", repr.options);
            }
            s.summary = sum;
        }
        Err(e) => {
            s.field("Problem", e.to_string());
            s.summary = format!("unreadable: {e}");
        }
    }
    s
}
