//! A frame taken apart field by field, one section per layer, like Wireshark's packet details
//! pane: every header field with its raw value and what it means, checksums checked.
//!
//! The layers are found by `decode` (the Ethernet header and tag, the ARP and IPv4 headers as
//! the bytes have them, the datagram's payload, the LLC data and BPDU, an ICMP error's quote);
//! each section then reads its header's fields through `pnet_packet`'s views (so reserved bits
//! and raw field values are shown as they are on the wire), and the project's parsers
//! (`IcmpRepr`, `UdpRepr`, `TcpRepr`) supply what they already decode, such as TCP options, and
//! whether a checksum holds. Nothing here panics on damaged or truncated bytes: a section then
//! says where the bytes ran out.
//!
//! The IPv4 sections (IPv4, ICMP, UDP, TCP) are in `dissect/ipv4.rs`.

use super::describe;
use super::Layer;
use crate::decode::{self, Decoded};
use crate::ethernet::{self, ethertype};
use crate::switch::bpdu::{Bpdu, BpduError};
use pnet_packet::tcp::TcpPacket;
use std::fmt::Write;
use std::net::Ipv4Addr;

mod ipv4;

pub use ipv4::flag_names;
use ipv4::ipv4;

/// One layer's header: a title, a one-line summary, and its fields as `(name, value)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub layer: Layer,
    pub title: String,
    /// What the header says, in one line (for the stepper's `layers`).
    pub summary: String,
    pub fields: Vec<(String, String)>,
}

impl Section {
    fn new(layer: Layer, title: &str) -> Section {
        Section {
            layer,
            title: title.to_string(),
            summary: String::new(),
            fields: Vec::new(),
        }
    }

    fn field(&mut self, name: &str, value: impl Into<String>) {
        self.fields.push((name.to_string(), value.into()));
    }
}

/// Takes a whole frame (destination MAC .. FCS) apart.
pub fn dissect(frame: &[u8]) -> Vec<Section> {
    let mut out = Vec::new();
    let d = Decoded::new(frame);
    // Read from the bytes, so a runt's title says what kind of frame it began as.
    let is_8023 = decode::type_field(frame).is_some_and(|t| t <= ethernet::MAX_LENGTH_FIELD);
    let mut eth = Section::new(
        Layer::Ethernet,
        if is_8023 {
            "IEEE 802.3 Ethernet"
        } else {
            "Ethernet II"
        },
    );
    let Some(header) = d.eth else {
        eth.summary = format!("runt frame of {} bytes", frame.len());
        eth.field(
            "Length",
            format!("{} bytes: too short for a header and an FCS", frame.len()),
        );
        out.push(eth);
        return out;
    };
    // A tagged frame's EtherType and payload are the inner ones.
    let (dst, src, etype) = (header.dst, header.src, header.ethertype);
    // An 802.1Q tag: its own section.
    let vlan = d.vlan;
    let tag_section = d.tci.map(|tci| {
        let vid = tci & 0x0fff;
        let mut t = Section::new(Layer::Ethernet, "802.1Q Virtual LAN");
        t.field("Priority", format!("{} (PCP)", tci >> 13));
        t.field("DEI", format!("{}", (tci >> 12) & 1));
        t.field("VLAN ID", vid.to_string());
        let inner_name = ethernet::ethertype_name(etype).unwrap_or("unknown");
        t.field("Inner type", format!("{etype:#06x} ({inner_name})"));
        t.summary = format!(
            "VLAN {vid}, priority {}, type {etype:#06x} ({inner_name})",
            tci >> 13
        );
        t
    });
    let type_name = ethernet::ethertype_name(etype).unwrap_or("unknown");
    eth.field(
        "Destination",
        if dst.is_broadcast() {
            format!("{dst} (broadcast)")
        } else {
            dst.to_string()
        },
    );
    eth.field("Source", src.to_string());
    if vlan.is_some() {
        eth.field(
            "Type",
            format!("{:#06x} (802.1Q)", ethernet::ethertype::VLAN),
        );
    } else if is_8023 {
        eth.field("Length", format!("{etype} (bytes of LLC data)"));
    } else {
        eth.field("Type", format!("{etype:#06x} ({type_name})"));
    }
    let fcs_text = match d.fcs() {
        Ok(()) => {
            let fcs = &frame[frame.len() - 4..];
            let v = u32::from_le_bytes([fcs[0], fcs[1], fcs[2], fcs[3]]);
            format!("{v:#010x} (correct)")
        }
        Err(ethernet::FrameError::BadFcs { found, computed }) => {
            format!("{found:#010x} (WRONG: the bytes give {computed:#010x}; the frame was damaged)")
        }
        Err(e) => e.to_string(),
    };
    let payload = d.payload;
    // An untagged 802.3 frame's LLC data (a tagged one's is not looked into).
    let llc = d.llc().filter(|_| is_8023);
    // How much of the payload the protocol above uses; the rest is padding to 64 bytes.
    let used = match etype {
        ethertype::IPV4 => d
            .ipv4_view()
            .map(|p| (p.get_total_length() as usize).min(payload.len()))
            .unwrap_or(payload.len()),
        ethertype::ARP => crate::arp::wire::PACKET_LEN.min(payload.len()),
        ethertype::EXPERIMENTAL => describe::trim_padding(payload).len(),
        _ => llc.map_or(payload.len(), <[u8]>::len),
    };
    let kind = if let Some(vid) = vlan {
        format!("VLAN {vid}, type {etype:#06x} ({type_name})")
    } else if is_8023 {
        format!("802.3 length {etype}")
    } else {
        format!("type {etype:#06x} ({type_name})")
    };
    eth.summary = format!(
        "{src} > {dst}, {kind}, {} bytes, FCS {}",
        frame.len(),
        if fcs_text.contains("correct") {
            "correct"
        } else {
            "WRONG"
        }
    );
    if used < payload.len() {
        eth.field("Padding", format!("{} bytes", payload.len() - used));
    }
    eth.field("FCS", fcs_text);
    out.push(eth);
    out.extend(tag_section);
    match etype {
        ethertype::ARP => out.push(arp(&d)),
        ethertype::IPV4 => ipv4(&d, &mut out),
        ethertype::EXPERIMENTAL => {
            let mut s = Section::new(Layer::Ethernet, "Data (raw test frame)");
            let data = describe::trim_padding(payload);
            s.summary = format!("{} bytes: {}", data.len(), preview(data));
            s.field("Data", format!("{} bytes: {}", data.len(), preview(data)));
            out.push(s);
        }
        _ => {
            if let Some(data) = llc {
                out.extend(llc_sections(data, d.bpdu()));
            }
        }
    }
    out
}

/// The LLC header of an 802.3 frame and, for the spanning tree SAP, the BPDU (802.1D-1998
/// clause 9) as `decode` read it.
fn llc_sections(data: &[u8], bpdu: Option<Result<Bpdu, BpduError>>) -> Vec<Section> {
    let mut s = Section::new(Layer::Ethernet, "Logical-Link Control");
    if data.len() < 3 {
        s.summary = format!("{} bytes: too short for an LLC header", data.len());
        return vec![s];
    }
    let sap = |b: u8| {
        if b == 0x42 {
            format!("{b:#04x} (Spanning Tree BPDU)")
        } else {
            format!("{b:#04x}")
        }
    };
    s.field("DSAP", sap(data[0]));
    s.field("SSAP", sap(data[1]));
    s.field(
        "Control",
        if data[2] == 0x03 {
            "0x03 (U, func=UI)".to_string()
        } else {
            format!("{:#04x}", data[2])
        },
    );
    s.summary = format!(
        "DSAP {:#04x}, SSAP {:#04x}, control {:#04x}",
        data[0], data[1], data[2]
    );
    let Some(bpdu) = bpdu else {
        return vec![s];
    };
    let mut b = Section::new(Layer::Ethernet, "Spanning Tree Protocol");
    b.summary = match bpdu {
        Ok(bpdu) => bpdu.to_string(),
        Err(e) => format!("malformed: {e}"),
    };
    for (name, value, _) in crate::switch::bpdu::fields(&data[3..]) {
        b.field(name, value);
    }
    vec![s, b]
}

/// Where each field of [`dissect`]'s sections lies in the frame: per section, per field, the
/// byte range `start..end` (`None` for a field that is a conclusion, not bytes, such as TCP's
/// segment length). `netlab view` highlights these bytes under the field the pointer is on.
/// Offsets are those of the headers' RFCs (Ethernet II, RFC 826, 791, 792, 768, 9293 §3.1).
pub fn field_spans(frame: &[u8], sections: &[Section]) -> Vec<Vec<Option<(usize, usize)>>> {
    let body_end = frame.len().saturating_sub(ethernet::FCS_LEN);
    let d = Decoded::new(frame);
    // After the Ethernet header and its 802.1Q tag, if it has one.
    let eth_hdr = ethernet::HEADER_LEN
        + if d.vlan.is_some() {
            ethernet::VLAN_TAG_LEN
        } else {
            0
        };
    // The IPv4 header length and the datagram's end, for the transport header's place.
    let ip = d.ipv4_view();
    let ihl = ip
        .as_ref()
        .map_or(20, |v| v.get_header_length() as usize * 4);
    let ip_end = ip.as_ref().map_or(body_end, |v| {
        (eth_hdr + v.get_total_length() as usize).min(body_end)
    });
    let l4 = eth_hdr + ihl;
    let tcp_hdr = frame
        .get(l4..body_end)
        .and_then(TcpPacket::new)
        .map_or(20, |t| t.get_data_offset() as usize * 4);
    sections
        .iter()
        .map(|sec| {
            sec.fields
                .iter()
                .map(|(name, _)| {
                    let (base, a, b) = match (sec.layer, name.as_str()) {
                        (Layer::Ethernet, "Destination") => (0, 0, 6),
                        (Layer::Ethernet, "Source") => (0, 6, 12),
                        (Layer::Ethernet, "Type") => (0, 12, 14),
                        (Layer::Ethernet, "Priority" | "DEI") => (0, 14, 15),
                        (Layer::Ethernet, "VLAN ID") => (0, 14, 16),
                        (Layer::Ethernet, "Inner type") => (0, 16, 18),
                        (Layer::Ethernet, "Length") if frame.len() >= 18 => (0, 12, 14),
                        (Layer::Ethernet, "DSAP") => (0, 14, 15),
                        (Layer::Ethernet, "SSAP") => (0, 15, 16),
                        (Layer::Ethernet, "Control") => (0, 16, 17),
                        (Layer::Ethernet, f) if sec.title == "Spanning Tree Protocol" => {
                            let body = frame.get(17..body_end).unwrap_or(&[]);
                            let (_, _, r) = crate::switch::bpdu::fields(body)
                                .into_iter()
                                .find(|x| x.0 == f)?;
                            (17, r.0, r.1)
                        }
                        (Layer::Ethernet, "FCS") => (0, body_end, frame.len()),
                        (Layer::Ethernet, "Padding") => {
                            let pad = sec
                                .fields
                                .iter()
                                .find(|f| f.0 == "Padding")
                                .and_then(|f| f.1.split(' ').next()?.parse::<usize>().ok())
                                .unwrap_or(0);
                            (0, body_end.saturating_sub(pad), body_end)
                        }
                        (Layer::Ethernet, "Data") => {
                            (0, eth_hdr, body_end.min(eth_hdr + data_len(&sec.fields)))
                        }
                        (Layer::Arp, f) => {
                            let r = match f {
                                "Hardware type" => (0, 2),
                                "Protocol type" => (2, 4),
                                "Hardware size" => (4, 5),
                                "Protocol size" => (5, 6),
                                "Opcode" => (6, 8),
                                "Sender MAC" => (8, 14),
                                "Sender IP" => (14, 18),
                                "Target MAC" => (18, 24),
                                "Target IP" => (24, 28),
                                _ => return None,
                            };
                            (eth_hdr, r.0, r.1)
                        }
                        (Layer::Ip, f) => {
                            let r = match f {
                                "Version" | "Header length" => (0, 1),
                                "Type of service" => (1, 2),
                                "Total length" => (2, 4),
                                "Identification" => (4, 6),
                                "Flags" => (6, 7),
                                "Fragment offset" => (6, 8),
                                "Time to live" => (8, 9),
                                "Protocol" => (9, 10),
                                "Header checksum" => (10, 12),
                                "Source" => (12, 16),
                                "Destination" => (16, 20),
                                "Options" => (20, ihl),
                                "Data" => (ihl, ip_end - eth_hdr),
                                _ => return None,
                            };
                            (eth_hdr, r.0, r.1)
                        }
                        (Layer::Icmp, f) => {
                            let end = ip_end - l4;
                            let r = match f {
                                "Type" => (0, 1),
                                "Code" => (1, 2),
                                "Checksum" => (2, 4),
                                "Identifier" => (4, 6),
                                "Sequence number" | "Next-hop MTU" => (6, 8),
                                "Unused" => (4, 8),
                                "Data" | "Quoted datagram" => (8, end),
                                "Rest" => (4, end),
                                _ => return None,
                            };
                            (l4, r.0, r.1)
                        }
                        (Layer::Udp, f) => {
                            let r = match f {
                                "Source port" => (0, 2),
                                "Destination port" => (2, 4),
                                "Length" => (4, 6),
                                "Checksum" => (6, 8),
                                "Data" => (8, ip_end - l4),
                                _ => return None,
                            };
                            (l4, r.0, r.1)
                        }
                        (Layer::Tcp, f) => {
                            let r = match f {
                                "Source port" => (0, 2),
                                "Destination port" => (2, 4),
                                "Sequence number" => (4, 8),
                                "Acknowledgment number" => (8, 12),
                                "Header length" | "Reserved" => (12, 13),
                                "Flags" => (12, 14),
                                "Window" => (14, 16),
                                "Checksum" => (16, 18),
                                "Urgent pointer" => (18, 20),
                                "Options" => (20, tcp_hdr),
                                "Payload" => (tcp_hdr, ip_end - l4),
                                _ => return None,
                            };
                            (l4, r.0, r.1)
                        }
                        _ => return None,
                    };
                    let (start, end) = ((base + a).min(frame.len()), (base + b).min(frame.len()));
                    (start < end).then_some((start, end))
                })
                .collect()
        })
        .collect()
}

/// The byte count a `Data` field's value starts with (`5 bytes: "hello"`).
fn data_len(fields: &[(String, String)]) -> usize {
    fields
        .iter()
        .find(|f| f.0 == "Data")
        .and_then(|f| f.1.split(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// The source and destination of the IPv4 datagram a frame carries, if it carries one.
pub fn ipv4_addresses(frame: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let v = Decoded::new(frame).ipv4_view()?;
    Some((v.get_source(), v.get_destination()))
}

/// The sections as an indented tree.
pub fn render(sections: &[Section]) -> String {
    let mut s = String::new();
    for sec in sections {
        let _ = writeln!(s, "{}", sec.title);
        let width = sec.fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in &sec.fields {
            let _ = writeln!(s, "    {name:<width$}  {value}");
        }
    }
    s
}

/// A payload as a learner wants to see it: quoted text when it is mostly text, else the first
/// bytes in hex.
pub fn preview(data: &[u8]) -> String {
    if data.is_empty() {
        return "(none)".into();
    }
    let printable = data
        .iter()
        .filter(|b| b.is_ascii_graphic() || **b == b' ' || **b == b'\n')
        .count();
    if printable * 4 >= data.len() * 3 {
        return describe::quoted_preview(data, 40);
    }
    let mut s = String::new();
    for (i, b) in data.iter().take(16).enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    if data.len() > 16 {
        s.push_str(" …");
    }
    s
}

fn checksum_text(found: u16, ok: bool, expected: u16) -> String {
    if ok {
        format!("{found:#06x} (correct)")
    } else {
        format!("{found:#06x} (WRONG: should be {expected:#06x})")
    }
}

fn arp(d: &Decoded) -> Section {
    let mut s = Section::new(Layer::Arp, "Address Resolution Protocol");
    let Some(v) = d.arp_view() else {
        s.summary = format!("truncated: {} bytes", d.payload.len());
        s.field("Length", format!("{} bytes, need 28", d.payload.len()));
        return s;
    };
    let hw = v.get_hardware_type().0;
    let proto = v.get_protocol_type().0;
    let op = v.get_operation().0;
    s.field(
        "Hardware type",
        format!("{hw}{}", if hw == 1 { " (Ethernet)" } else { "" }),
    );
    s.field(
        "Protocol type",
        format!(
            "{proto:#06x}{}",
            if proto == 0x0800 { " (IPv4)" } else { "" }
        ),
    );
    s.field("Hardware size", v.get_hw_addr_len().to_string());
    s.field("Protocol size", v.get_proto_addr_len().to_string());
    let op_name = match op {
        1 => " (request)",
        2 => " (reply)",
        _ => "",
    };
    s.field("Opcode", format!("{op}{op_name}"));
    s.field("Sender MAC", v.get_sender_hw_addr().to_string());
    s.field("Sender IP", v.get_sender_proto_addr().to_string());
    s.field("Target MAC", v.get_target_hw_addr().to_string());
    s.field("Target IP", v.get_target_proto_addr().to_string());
    if let Some(a) = d.arp() {
        s.summary = match a {
            Ok(a) => a.to_string(),
            Err(e) => format!("malformed: {e}"),
        };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ethernet::{EthernetRepr, MacAddr};
    use crate::ip::{IpProtocol, Ipv4Repr};
    use crate::tcp::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

    fn ip_frame(protocol: IpProtocol, transport: &[u8]) -> Vec<u8> {
        let src = Ipv4Addr::new(10, 0, 0, 1);
        let dst = Ipv4Addr::new(10, 0, 0, 2);
        let mut ip = Ipv4Repr::new(src, dst, protocol, transport.len());
        ip.dont_frag = true;
        let packet = ip.to_bytes(transport);
        ethernet::frame_with_payload(
            &EthernetRepr {
                dst: ethernet::default_mac(2),
                src: ethernet::default_mac(1),
                ethertype: ethertype::IPV4,
            },
            &packet,
        )
        .to_vec()
    }

    fn syn() -> Vec<u8> {
        let seg = TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq: SeqNumber(1000),
            ack: SeqNumber(0),
            flags: TcpFlags::SYN,
            window: 64240,
            urgent: 0,
            options: TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                ..TcpOptions::NONE
            },
            payload: &[],
        };
        let seg = seg.to_owned_segment(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        ip_frame(IpProtocol::Tcp, &seg.to_bytes())
    }

    fn field<'a>(secs: &'a [Section], layer: Layer, name: &str) -> &'a str {
        secs.iter()
            .find(|s| s.layer == layer)
            .and_then(|s| s.fields.iter().find(|(n, _)| n == name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {layer:?}: {secs:#?}"))
    }

    #[test]
    fn a_syn_field_by_field() {
        let secs = dissect(&syn());
        let layers: Vec<Layer> = secs.iter().map(|s| s.layer).collect();
        assert_eq!(layers, [Layer::Ethernet, Layer::Ip, Layer::Tcp]);
        assert_eq!(field(&secs, Layer::Ethernet, "Type"), "0x0800 (IPv4)");
        assert!(field(&secs, Layer::Ethernet, "FCS").ends_with("(correct)"));
        assert_eq!(field(&secs, Layer::Ip, "Flags"), "0x2 (Don't fragment)");
        assert_eq!(field(&secs, Layer::Ip, "Protocol"), "6 (TCP)");
        assert!(field(&secs, Layer::Ip, "Header checksum").ends_with("(correct)"));
        assert_eq!(field(&secs, Layer::Tcp, "Flags"), "0x002 (SYN) [S]");
        assert_eq!(field(&secs, Layer::Tcp, "Sequence number"), "1000");
        assert_eq!(
            field(&secs, Layer::Tcp, "Acknowledgment number"),
            "0 (not used: ACK not set)"
        );
        assert_eq!(
            field(&secs, Layer::Tcp, "Options"),
            "8 bytes: mss 1460,nop,wscale 7"
        );
        assert!(field(&secs, Layer::Tcp, "Checksum").ends_with("(correct)"));
        assert_eq!(field(&secs, Layer::Tcp, "Header length"), "28 bytes (7)");
        // 14 + 20 + 28 bytes: above the 60-byte minimum, so no padding.
        assert!(!secs[0].fields.iter().any(|(n, _)| n == "Padding"));
    }

    #[test]
    fn every_header_field_has_its_bytes() {
        let frame = syn();
        let secs = dissect(&frame);
        let spans = field_spans(&frame, &secs);
        let at = |layer: Layer, name: &str| {
            let (i, sec) = secs
                .iter()
                .enumerate()
                .find(|(_, s)| s.layer == layer)
                .unwrap();
            let k = sec.fields.iter().position(|f| f.0 == name).unwrap();
            let (a, b) = spans[i][k].expect(name);
            &frame[a..b]
        };
        assert_eq!(at(Layer::Ethernet, "Type"), &[0x08, 0x00]);
        assert_eq!(at(Layer::Ip, "Protocol"), &[6]);
        assert_eq!(at(Layer::Ip, "Source"), &[10, 0, 0, 1]);
        assert_eq!(at(Layer::Tcp, "Sequence number"), &1000u32.to_be_bytes());
        assert_eq!(at(Layer::Tcp, "Flags")[1], 0x02);
        assert_eq!(at(Layer::Ethernet, "FCS").len(), 4);
        assert_eq!(at(Layer::Tcp, "Options").len(), 8);
    }

    #[test]
    fn damage_shows_in_the_checksums() {
        let mut f = syn();
        // Flip a bit of the TCP window: the TCP checksum and the FCS no longer match.
        f[14 + 20 + 14] ^= 1;
        let secs = dissect(&f);
        assert!(field(&secs, Layer::Ethernet, "FCS").contains("WRONG"));
        assert!(field(&secs, Layer::Tcp, "Checksum").contains("WRONG"));
        assert!(field(&secs, Layer::Ip, "Header checksum").ends_with("(correct)"));
    }

    #[test]
    fn never_panics_on_short_or_odd_bytes() {
        let full = syn();
        for n in 0..full.len() {
            let _ = render(&dissect(&full[..n]));
        }
        let arp = ethernet::frame_with_payload(
            &EthernetRepr {
                dst: MacAddr::broadcast(),
                src: ethernet::default_mac(1),
                ethertype: ethertype::ARP,
            },
            &crate::arp::ArpRepr::request(
                ethernet::default_mac(1),
                Ipv4Addr::new(10, 0, 0, 1),
                Ipv4Addr::new(10, 0, 0, 2),
            )
            .to_bytes(),
        );
        let secs = dissect(&arp);
        assert_eq!(field(&secs, Layer::Arp, "Opcode"), "1 (request)");
        assert_eq!(secs[1].summary, "ARP who-has 10.0.0.2 tell 10.0.0.1");
        for n in 0..arp.len() {
            let _ = render(&dissect(&arp[..n]));
        }
    }
}
