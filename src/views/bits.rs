//! The `bits` view: a frame as the bits that go on the wire, for learners.
//!
//! On the wire an Ethernet frame is preceded by 7 bytes of preamble (`0x55`, alternating bits
//! that let the receiver lock on) and the start-frame delimiter (`0xD5`); every byte goes out
//! least significant bit first (IEEE 802.3 §3.3). The view shows each field's bytes, the bits in
//! wire order, and a waveform in the chosen line coding.

use crate::ethernet;
use crate::trace::{dissect, Layer};
use std::fmt::Write;

/// How bits become signal levels.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LineCoding {
    /// Non-return-to-zero: 1 is high, 0 is low for the whole bit time.
    Nrz,
    /// Manchester (IEEE 802.3 10BASE-T): every bit has a transition in its middle;
    /// 0 is high→low, 1 is low→high, so the receiver recovers the clock from the signal.
    Manchester,
}

/// One field as drawn: its name, its bytes, what it means, and whether it is data (drawn only
/// up to `max_payload` bytes) rather than a header field.
struct WireField {
    name: String,
    /// Where it sits in its layer's header (`bytes 16–19 of the IPv4 header`), if it is in one.
    place: String,
    bytes: Vec<u8>,
    value: Option<String>,
    data: bool,
}

impl WireField {
    fn new(name: &str, bytes: Vec<u8>, data: bool) -> WireField {
        WireField {
            name: name.to_string(),
            place: String::new(),
            bytes,
            value: None,
            data,
        }
    }
}

/// The fields of an Ethernet frame as laid out on the wire: preamble and SFD, then every header
/// field of every layer the dissector knows ([`dissect::dissect`], placed by
/// [`dissect::field_spans`]: one decoder for `bits`, `step`'s `fields` and `netlab view`), in
/// frame order. Fields that share bytes (IPv4's version and header length, TCP's header length
/// and flags) are drawn as one; bytes no field names are `payload`. `frame` starts at the
/// destination MAC and ends with the FCS.
fn wire_fields(frame: &[u8]) -> Vec<WireField> {
    let mut fields = vec![
        WireField::new("preamble", vec![0x55; 7], false),
        WireField::new("SFD", vec![0xD5], false),
    ];
    let n = frame.len();
    let cut = |a: usize, b: usize| frame[a.min(n)..b.min(n)].to_vec();
    if n < ethernet::HEADER_LEN + ethernet::FCS_LEN {
        // A runt: no FCS to find, nothing to dissect.
        fields.push(WireField::new("destination MAC", cut(0, 6), false));
        fields.push(WireField::new("source MAC", cut(6, 12), false));
        fields.push(WireField::new("EtherType", cut(12, 14), false));
        fields.push(WireField::new("payload", cut(14, n), true));
        return fields;
    }
    let sections = dissect::dissect(frame);
    let spans = dissect::field_spans(frame, &sections);
    // (start, end, section, field) of every field that is bytes.
    let mut items: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (si, sec) in spans.iter().enumerate() {
        for (fi, span) in sec.iter().enumerate() {
            if let Some((a, b)) = *span {
                items.push((a, b, si, fi));
            }
        }
    }
    // A layer's data field holds the next layer's header: the finer fields win.
    let inner = items.clone();
    items.retain(|&(a, b, si, _)| {
        !inner
            .iter()
            .any(|&(c, d, sj, _)| sj > si && a <= c && d <= b && (c, d) != (a, b))
    });
    items.sort_by_key(|&(a, b, si, fi)| (a, std::cmp::Reverse(b), si, fi));
    // Where each layer's header starts: its fields' byte offsets are counted from there.
    let base = |si: usize| spans[si].iter().flatten().map(|s| s.0).min().unwrap_or(0);
    let mut at = 0;
    let mut i = 0;
    while i < items.len() {
        let (start, mut end, si, _) = items[i];
        let mut group = vec![items[i]];
        i += 1;
        while i < items.len() && items[i].0 < end {
            end = end.max(items[i].1);
            group.push(items[i]);
            i += 1;
        }
        if start < at {
            continue; // overlaps what is drawn already (a damaged frame's lengths disagree)
        }
        if start > at {
            fields.push(WireField::new("payload", cut(at, start), true));
        }
        group.sort_by_key(|g| (g.2, g.3)); // the dissector's order within a shared byte
        let sec = &sections[si];
        let names: Vec<&str> = group
            .iter()
            .map(|g| sections[g.2].fields[g.3].0.as_str())
            .collect();
        let data = names.iter().all(|n| {
            matches!(
                *n,
                "Data" | "Payload" | "Padding" | "Quoted datagram" | "Rest"
            )
        });
        let mut f = WireField::new("", cut(start, end), data);
        let tag_or_llc = matches!(
            sec.title.as_str(),
            "802.1Q Virtual LAN" | "Logical-Link Control" | "Spanning Tree Protocol"
        );
        if sec.layer == Layer::Ethernet && !tag_or_llc {
            f.name = match names[0] {
                "Destination" => "destination MAC",
                "Source" => "source MAC",
                "Type" => "EtherType",
                "Length" => "length (IEEE 802.3)",
                "FCS" => "FCS (CRC-32)",
                "Padding" => "padding",
                _ => "payload",
            }
            .to_string();
        } else {
            let layer = match sec.layer {
                Layer::Ethernet if sec.title.starts_with("802.1Q") => "802.1Q tag",
                Layer::Ethernet if sec.title.starts_with("Logical") => "LLC",
                Layer::Ethernet => "BPDU",
                Layer::Arp => "ARP",
                Layer::Ip => "IPv4",
                Layer::Icmp => "ICMP",
                Layer::Udp => "UDP",
                Layer::Tcp => "TCP",
                _ => "",
            };
            let (a, b) = (start - base(si), end - base(si) - 1);
            f.place = if data {
                String::new()
            } else if a == b {
                format!(", byte {a} of the {layer} header")
            } else {
                format!(", bytes {a}–{b} of the {layer} header")
            };
            f.name = format!("{layer} {}", names.join(", "));
            let mut values: Vec<&str> = group
                .iter()
                .map(|g| sections[g.2].fields[g.3].1.as_str())
                .collect();
            values.dedup();
            f.value = Some(values.join("; "));
        }
        fields.push(f);
        at = end;
    }
    if at < n {
        fields.push(WireField::new("payload", cut(at, n), true));
    }
    fields
}

/// Bits of one byte in wire order (least significant first).
fn wire_bits(byte: u8) -> impl Iterator<Item = bool> {
    (0..8).map(move |i| byte >> i & 1 == 1)
}

/// A waveform with two characters per bit: `‾` high, `_` low.
fn waveform(bits: &[bool], coding: LineCoding) -> String {
    let mut s = String::with_capacity(bits.len() * 2);
    for &b in bits {
        let halves = match coding {
            LineCoding::Nrz => [b, b],
            LineCoding::Manchester => [!b, b],
        };
        for h in halves {
            s.push(if h { '‾' } else { '_' });
        }
    }
    s
}

/// The first line: how many bytes and bits, in which order and coding.
fn summary(frame: &[u8], coding: LineCoding) -> String {
    format!(
        "{} bytes on the wire ({} bits): 8 of preamble and SFD, then the frame, each byte least significant bit first; {} coding ({})",
        frame.len() + 8,
        (frame.len() + 8) * 8,
        match coding {
            LineCoding::Nrz => "NRZ",
            LineCoding::Manchester => "Manchester",
        },
        match coding {
            LineCoding::Nrz => "1 = high, 0 = low",
            LineCoding::Manchester => "0 = high→low, 1 = low→high",
        }
    )
}

/// Renders `frame` (destination MAC .. FCS). At most `max_payload` payload bytes are drawn,
/// the rest summarised, so a 1500-byte frame stays readable.
pub fn render(frame: &[u8], coding: LineCoding, max_payload: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", summary(frame, coding));
    for WireField {
        name,
        place,
        bytes,
        value,
        data,
    } in wire_fields(frame)
    {
        let shown = if data && bytes.len() > max_payload {
            &bytes[..max_payload]
        } else {
            &bytes[..]
        };
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > 16 { " …" } else { "" };
        // `IPv4 Destination (4 bytes, bytes 16–19 of the IPv4 header)`.
        let _ = writeln!(
            out,
            "\n{name} ({} byte{}{place}): {}{more}",
            bytes.len(),
            if bytes.len() == 1 { "" } else { "s" },
            hex.join(" ")
        );
        if let Some(v) = value {
            let _ = writeln!(out, "  value {v}");
        }
        for chunk in shown.chunks(4) {
            let bits: Vec<bool> = chunk.iter().flat_map(|&b| wire_bits(b)).collect();
            let digits: String = chunk
                .iter()
                .map(|&b| {
                    wire_bits(b)
                        .map(|x| if x { '1' } else { '0' })
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(" ");
            // The bytes in hex too: past the first 16 a payload's bytes are shown nowhere else.
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(out, "  bits  {digits:<35}  ({})", hex.join(" "));
            let _ = writeln!(out, "  line  {}", waveform(&bits, coding));
        }
        if shown.len() < bytes.len() {
            let what = if name == "payload" { " payload" } else { "" };
            let _ = writeln!(
                out,
                "  … {} more{what} bytes not drawn",
                bytes.len() - shown.len()
            );
        }
    }
    out
}

/// The same drawing as a standalone SVG (no scripts, no external fonts): one block per field,
/// named as in [`render`], each 4 bytes a row of bits with their waveform drawn as a line, the
/// bit digits under it and the bytes in hex beside it.
pub fn render_svg(frame: &[u8], coding: LineCoding, max_payload: usize, title: &str) -> String {
    const BIT_W: f64 = 16.0;
    const LEFT: f64 = 20.0;
    const ROW_H: f64 = 46.0;
    let fields = wire_fields(frame);
    let mut body = String::new();
    let mut y = 70.0;
    let mut width: f64 = LEFT + 32.0 * BIT_W + 140.0;
    for f in &fields {
        let shown = if f.data && f.bytes.len() > max_payload {
            &f.bytes[..max_payload]
        } else {
            &f.bytes[..]
        };
        let hex: Vec<String> = f
            .bytes
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        let more = if f.bytes.len() > 16 { " …" } else { "" };
        let head = format!(
            "{} ({} byte{}{}): {}{more}",
            f.name,
            f.bytes.len(),
            if f.bytes.len() == 1 { "" } else { "s" },
            f.place,
            hex.join(" ")
        );
        width = width.max(LEFT + head.chars().count() as f64 * 7.0 + 20.0);
        let _ = writeln!(
            body,
            r#"<text x="{LEFT}" y="{y:.1}" font-weight="bold">{}</text>"#,
            esc(&head)
        );
        y += 16.0;
        if let Some(v) = &f.value {
            width = width.max(LEFT + v.chars().count() as f64 * 7.0 + 20.0);
            let _ = writeln!(
                body,
                r##"<text x="{LEFT}" y="{y:.1}" fill="#555">{}</text>"##,
                esc(v)
            );
            y += 16.0;
        }
        for chunk in shown.chunks(4) {
            let bits: Vec<bool> = chunk.iter().flat_map(|&b| wire_bits(b)).collect();
            let (hi, lo) = (y + 4.0, y + 22.0);
            // The waveform: two half-bit levels per bit, joined by vertical edges.
            let mut d = String::new();
            let mut x = LEFT;
            for (i, level) in waveform(&bits, coding).chars().enumerate() {
                let ly = if level == '‾' { hi } else { lo };
                if i == 0 {
                    let _ = write!(d, "M{x:.1},{ly:.1}");
                } else {
                    let _ = write!(d, " V{ly:.1}");
                }
                x += BIT_W / 2.0;
                let _ = write!(d, " H{x:.1}");
            }
            let _ = writeln!(
                body,
                r##"<path d="{d}" fill="none" stroke="#1f4e9c" stroke-width="1.5"/>"##
            );
            for (i, &b) in bits.iter().enumerate() {
                let bx = LEFT + BIT_W * i as f64;
                let stroke = if i % 8 == 0 { "#999" } else { "#ddd" };
                let _ = writeln!(
                    body,
                    r#"<line x1="{bx:.1}" y1="{:.1}" x2="{bx:.1}" y2="{:.1}" stroke="{stroke}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"#,
                    hi - 2.0,
                    lo + 2.0,
                    bx + BIT_W / 2.0,
                    lo + 14.0,
                    u8::from(b)
                );
            }
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(
                body,
                r##"<text x="{:.1}" y="{:.1}" fill="#555">({})</text>"##,
                LEFT + BIT_W * 32.0 + 12.0,
                lo - 4.0,
                hex.join(" ")
            );
            y += ROW_H;
        }
        if shown.len() < f.bytes.len() {
            let what = if f.name == "payload" { " payload" } else { "" };
            let _ = writeln!(
                body,
                r##"<text x="{LEFT}" y="{y:.1}" fill="#555">… {} more{what} bytes not drawn</text>"##,
                f.bytes.len() - shown.len()
            );
            y += 16.0;
        }
        y += 14.0;
    }
    let summary = summary(frame, coding);
    width = width
        .max(LEFT + summary.chars().count() as f64 * 6.7 + 20.0)
        .max(LEFT + title.chars().count() as f64 * 8.0 + 20.0);
    let height = y + 10.0;
    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="monospace" font-size="12">"#
    );
    let _ = writeln!(s, "<title>netlab bits: {}</title>", esc(title));
    s.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="24" font-size="13" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="44" font-size="11" fill="#555">{}</text>"##,
        esc(&summary)
    );
    s.push_str(&body);
    s.push_str("</svg>\n");
    s
}

/// Text for XML content.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_go_least_significant_bit_first() {
        let bits: Vec<bool> = wire_bits(0xD5).collect();
        // 0xD5 = 1101_0101, sent 1,0,1,0,1,0,1,1: the SFD ends with two ones.
        assert_eq!(bits, [true, false, true, false, true, false, true, true]);
    }

    #[test]
    fn manchester_has_a_transition_in_every_bit() {
        let w: Vec<char> = waveform(&[false, true, true], LineCoding::Manchester)
            .chars()
            .collect();
        assert_eq!(w, ['‾', '_', '_', '‾', '_', '‾']);
        for pair in w.chunks(2) {
            assert_ne!(pair[0], pair[1]);
        }
    }

    #[test]
    fn nrz_holds_the_level() {
        assert_eq!(waveform(&[true, false], LineCoding::Nrz), "‾‾__");
    }

    #[test]
    fn render_names_every_field() {
        let frame = [0xffu8; 64];
        let s = render(&frame, LineCoding::Nrz, 8);
        for f in [
            "preamble",
            "SFD",
            "destination MAC",
            "source MAC",
            "EtherType",
            "payload",
            "FCS",
        ] {
            assert!(s.contains(f), "missing {f} in\n{s}");
        }
        assert!(s.contains("more payload bytes not drawn"));
        assert!(s.contains("  bits  11111111 11111111 11111111 11111111  (ff ff ff ff)"));
        assert!(s.starts_with("72 bytes on the wire (576 bits)"));
    }

    /// A UDP datagram in an IPv4 packet in a frame: every header field is labelled with its
    /// place in its header (issue 13, item 18), and the fields add up to the wire bytes.
    #[test]
    fn every_header_field_is_labelled() {
        use crate::ethernet::{ethertype, EthernetRepr};
        use crate::ip::{IpProtocol, Ipv4Repr};
        use std::net::Ipv4Addr;
        let (src, dst) = (
            Ipv4Addr::new(192, 168, 1, 10),
            Ipv4Addr::new(192, 168, 1, 20),
        );
        // UDP 54321 → 9999, 4 data bytes; checksum left 0 (none), as RFC 768 allows.
        let udp = [0xd4, 0x31, 0x27, 0x0f, 0, 12, 0, 0, 0xc0, 0xa8, 1, 20];
        let ip = Ipv4Repr::new(src, dst, IpProtocol::Udp, udp.len());
        let frame = ethernet::frame_with_payload(
            &EthernetRepr {
                dst: ethernet::default_mac(2),
                src: ethernet::default_mac(1),
                ethertype: ethertype::IPV4,
            },
            &ip.to_bytes(&udp),
        );
        let fields = wire_fields(&frame);
        let wire: Vec<u8> = fields.iter().flat_map(|f| f.bytes.clone()).collect();
        assert_eq!(&wire[8..], &frame[..], "the fields are the frame, in order");
        let s = render(&frame, LineCoding::Nrz, 8);
        for line in [
            "destination MAC (6 bytes): 02 4e 4c 00 00 02",
            "EtherType (2 bytes): 08 00",
            "IPv4 Version, Header length (1 byte, byte 0 of the IPv4 header): 45",
            "IPv4 Time to live (1 byte, byte 8 of the IPv4 header): 40",
            "IPv4 Protocol (1 byte, byte 9 of the IPv4 header): 11",
            "IPv4 Source (4 bytes, bytes 12–15 of the IPv4 header): c0 a8 01 0a",
            "IPv4 Destination (4 bytes, bytes 16–19 of the IPv4 header): c0 a8 01 14",
            "  value 192.168.1.20",
            "UDP Destination port (2 bytes, bytes 2–3 of the UDP header): 27 0f",
            "  value 9999",
            "UDP Length (2 bytes, bytes 4–5 of the UDP header): 00 0c",
            "UDP Data (4 bytes): c0 a8 01 14",
            "padding (14 bytes): 00 00",
            "FCS (CRC-32) (4 bytes): ",
        ] {
            assert!(s.contains(line), "missing {line:?} in\n{s}");
        }
        // Nothing is left as an unnamed payload: every byte belongs to a header field, the
        // datagram's data or the padding.
        assert!(!s.contains("\npayload"), "{s}");
    }

    #[test]
    fn render_survives_a_runt() {
        let s = render(&[1, 2, 3], LineCoding::Manchester, 8);
        assert!(s.contains("destination MAC (3 bytes)"));
    }

    #[test]
    fn the_svg_names_the_same_fields_and_draws_every_bit() {
        let frame = [0xffu8; 64];
        let svg = render_svg(&frame, LineCoding::Manchester, 8, "a test frame");
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        let text = render(&frame, LineCoding::Manchester, 8);
        // Every field heading of the text drawing is a heading of the picture.
        for line in text
            .lines()
            .filter(|l| l.contains(" byte") && l.contains("): "))
        {
            assert!(texts.contains(&line), "{line:?} missing");
        }
        // One waveform per row of the text drawing, one digit per bit.
        let rows = text.lines().filter(|l| l.starts_with("  line")).count();
        let paths = doc.descendants().filter(|n| n.has_tag_name("path")).count();
        assert_eq!(paths, rows);
        let digits = texts.iter().filter(|t| **t == "0" || **t == "1").count();
        let bits: usize = text
            .lines()
            .filter_map(|l| l.strip_prefix("  bits  "))
            .map(|l| {
                l.split("  (")
                    .next()
                    .unwrap()
                    .chars()
                    .filter(|c| *c == '0' || *c == '1')
                    .count()
            })
            .sum();
        assert_eq!(digits, bits);
    }
}
