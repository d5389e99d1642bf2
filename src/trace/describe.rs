//! One-line, tcpdump-like descriptions of frames, for every text view.

use crate::ethernet::{self, ethertype};
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

/// Describes a whole frame (destination MAC .. FCS).
pub fn frame(bytes: &[u8]) -> String {
    let Ok((eth, payload)) = ethernet::parse(bytes) else {
        return format!("runt frame of {} bytes", bytes.len());
    };
    let mut s = eth.to_string();
    let _ = write!(s, ", {} bytes", bytes.len());
    if eth.ethertype == ethertype::EXPERIMENTAL {
        let _ = write!(s, ": {}", quoted_preview(trim_padding(payload), 40));
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
