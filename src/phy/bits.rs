//! The `bits` view: a frame as the bits that go on the wire, for learners.
//!
//! On the wire an Ethernet frame is preceded by 7 bytes of preamble (`0x55`, alternating bits
//! that let the receiver lock on) and the start-frame delimiter (`0xD5`); every byte goes out
//! least significant bit first (IEEE 802.3 §3.3). The view shows each field's bytes, the bits in
//! wire order, and a waveform in the chosen line coding.

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

/// The fields of an Ethernet frame as laid out on the wire, with their byte ranges in `frame`
/// (which starts at the destination MAC and ends with the FCS).
fn wire_fields(frame: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut fields = vec![("preamble", vec![0x55; 7]), ("SFD", vec![0xD5])];
    let n = frame.len();
    let cut = |a: usize, b: usize| frame[a.min(n)..b.min(n)].to_vec();
    fields.push(("destination MAC", cut(0, 6)));
    fields.push(("source MAC", cut(6, 12)));
    fields.push(("EtherType", cut(12, 14)));
    if n >= 18 {
        fields.push(("payload", cut(14, n - 4)));
        fields.push(("FCS (CRC-32)", cut(n - 4, n)));
    } else {
        fields.push(("payload", cut(14, n)));
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

/// Renders `frame` (destination MAC .. FCS). At most `max_payload` payload bytes are drawn,
/// the rest summarised, so a 1500-byte frame stays readable.
pub fn render(frame: &[u8], coding: LineCoding, max_payload: usize) -> String {
    let mut out = String::new();
    let total_bits = (frame.len() + 8) * 8;
    let _ = writeln!(
        out,
        "{} bytes on the wire ({} bits): 8 of preamble and SFD, then the frame, each byte least significant bit first; {} coding ({})",
        frame.len() + 8,
        total_bits,
        match coding {
            LineCoding::Nrz => "NRZ",
            LineCoding::Manchester => "Manchester",
        },
        match coding {
            LineCoding::Nrz => "1 = high, 0 = low",
            LineCoding::Manchester => "0 = high→low, 1 = low→high",
        }
    );
    for (name, bytes) in wire_fields(frame) {
        let shown = if name == "payload" && bytes.len() > max_payload {
            &bytes[..max_payload]
        } else {
            &bytes[..]
        };
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > 16 { " …" } else { "" };
        let _ = writeln!(
            out,
            "\n{name} ({} byte{}): {}{more}",
            bytes.len(),
            if bytes.len() == 1 { "" } else { "s" },
            hex.join(" ")
        );
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
            let _ = writeln!(
                out,
                "  … {} more payload bytes not drawn",
                bytes.len() - shown.len()
            );
        }
    }
    out
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

    #[test]
    fn render_survives_a_runt() {
        let s = render(&[1, 2, 3], LineCoding::Manchester, 8);
        assert!(s.contains("destination MAC (3 bytes)"));
    }
}
