//! Data link layer: Ethernet II frames as real bytes, with a real FCS.
//!
//! A [`Frame`] is the bytes from the destination MAC to the end of the FCS, exactly what
//! crosses a link (the preamble is added by the physical layer's timing, not stored). Frames are
//! built with `pnet_packet`'s Ethernet view, padded to the 64-byte minimum and closed with a
//! CRC-32 FCS; a receiver that finds a bad FCS drops the frame and counts it.
//!
//! Frames are reference-counted so that a switch flooding one broadcast to a thousand ports
//! shares one buffer; a link that flips bits copies the frame first.

use pnet_packet::ethernet::{EthernetPacket, MutableEthernetPacket};
use std::fmt;
use std::rc::Rc;

pub use pnet_base::MacAddr;

/// The bytes of one frame, destination MAC through FCS.
pub type Frame = Rc<[u8]>;

pub const HEADER_LEN: usize = 14;
pub const FCS_LEN: usize = 4;
/// Smallest frame on the wire, FCS included (IEEE 802.3): shorter payloads are padded.
pub const MIN_FRAME_LEN: usize = 64;
/// Largest untagged frame, FCS included, for a 1500-byte MTU.
pub const MAX_FRAME_LEN: usize = 1518;

/// The largest value of the type field that is a length (IEEE 802.3 frames, such as spanning
/// tree BPDUs with their LLC header); EtherTypes start at 0x0600.
pub const MAX_LENGTH_FIELD: u16 = 1500;

/// EtherTypes netlab speaks.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    /// IEEE 802 "local experimental" EtherType 1: what a raw test frame carries by default.
    pub const EXPERIMENTAL: u16 = 0x88B5;
    /// IEEE 802.1Q tag protocol identifier: a VLAN tag follows, then the real EtherType.
    pub const VLAN: u16 = 0x8100;
}

/// Bytes of an IEEE 802.1Q tag (TPID 0x8100 and the tag control information).
pub const VLAN_TAG_LEN: usize = 4;

/// The VLAN id of an 802.1Q-tagged frame (the low 12 bits of its tag), `None` if untagged.
/// Every frame decoder reads tagged frames through [`parse`], which skips the tag; this is the
/// one place that reads the tag itself.
pub fn vlan_of(frame: &[u8]) -> Option<u16> {
    if frame.len() < HEADER_LEN + VLAN_TAG_LEN + FCS_LEN || frame[12..14] != [0x81, 0x00] {
        return None;
    }
    Some(u16::from_be_bytes([frame[14], frame[15]]) & 0x0fff)
}

/// The frame with an 802.1Q tag for `vid` (priority 0) after the source address, FCS redone.
pub fn tag(frame: &[u8], vid: u16) -> Frame {
    let body = &frame[..frame.len().saturating_sub(FCS_LEN)];
    let mut v = Vec::with_capacity(frame.len() + VLAN_TAG_LEN);
    v.extend_from_slice(&body[..12.min(body.len())]);
    v.extend(ethertype::VLAN.to_be_bytes());
    v.extend((vid & 0x0fff).to_be_bytes());
    v.extend_from_slice(body.get(12..).unwrap_or(&[]));
    close(v)
}

/// The frame without its 802.1Q tag, padded back to 64 bytes if need be, FCS redone.
pub fn untag(frame: &[u8]) -> Frame {
    if vlan_of(frame).is_none() {
        return frame.into();
    }
    let body = &frame[..frame.len() - FCS_LEN];
    let mut v = Vec::with_capacity(frame.len());
    v.extend_from_slice(&body[..12]);
    v.extend_from_slice(&body[12 + VLAN_TAG_LEN..]);
    close(v)
}

/// Pads a frame body to the minimum and appends its FCS.
fn close(mut body: Vec<u8>) -> Frame {
    if body.len() < MIN_FRAME_LEN - FCS_LEN {
        body.resize(MIN_FRAME_LEN - FCS_LEN, 0);
    }
    let fcs = crc32fast::hash(&body);
    body.extend(fcs.to_le_bytes());
    body.into()
}

/// The "vendor" half of netlab's default MAC addresses. The first byte has the
/// locally-administered bit set (0x02), as any made-up address should; `4e:4c` is "NL".
pub const DEFAULT_OUI: [u8; 3] = [0x02, 0x4e, 0x4c];

/// The default MAC of the `serial`-th interface netlab creates: vendor part + serial part, as a
/// real NIC's address is the maker's OUI plus a serial number.
pub fn default_mac(serial: u32) -> MacAddr {
    let s = serial.to_be_bytes();
    MacAddr::new(
        DEFAULT_OUI[0],
        DEFAULT_OUI[1],
        DEFAULT_OUI[2],
        s[1],
        s[2],
        s[3],
    )
}

/// The header fields of an Ethernet II frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EthernetRepr {
    pub dst: MacAddr,
    pub src: MacAddr,
    pub ethertype: u16,
}

/// Why received bytes are not a usable frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("runt frame of {len} bytes (an Ethernet frame is at least 18: header and FCS)")]
    Runt { len: usize },
    #[error("bad FCS: frame says {found:#010x}, its bytes give {computed:#010x}")]
    BadFcs { found: u32, computed: u32 },
}

impl FrameError {
    /// A short, stable name for counters and trace records.
    pub fn reason(&self) -> &'static str {
        match self {
            FrameError::Runt { .. } => "runt",
            FrameError::BadFcs { .. } => "bad-fcs",
        }
    }
}

/// Builds a frame with `payload_len` bytes of payload written by `fill`: header, payload,
/// zero padding to the minimum size, FCS. Writing the payload in place avoids a copy.
pub fn build_frame(repr: &EthernetRepr, payload_len: usize, fill: impl FnOnce(&mut [u8])) -> Frame {
    let body_len = (HEADER_LEN + payload_len).max(MIN_FRAME_LEN - FCS_LEN);
    // Allocated once, in place: building in a Vec and converting would copy every frame again.
    // SAFETY: an all-zero byte is a valid `u8`, so zeroed memory is initialised.
    let mut frame: Frame = unsafe { Frame::new_zeroed_slice(body_len + FCS_LEN).assume_init() };
    let buf = Rc::get_mut(&mut frame).expect("a new Rc has no other owner");
    {
        // The buffer is at least the minimum frame, so the view always fits.
        let mut pkt = MutableEthernetPacket::new(&mut buf[..body_len])
            .expect("buffer is larger than an Ethernet header");
        pkt.set_destination(repr.dst);
        pkt.set_source(repr.src);
        pkt.set_ethertype(pnet_packet::ethernet::EtherType(repr.ethertype));
    }
    fill(&mut buf[HEADER_LEN..HEADER_LEN + payload_len]);
    let fcs = crc32fast::hash(&buf[..body_len]);
    buf[body_len..].copy_from_slice(&fcs.to_le_bytes());
    frame
}

/// Builds a frame carrying a copy of `payload`.
pub fn frame_with_payload(repr: &EthernetRepr, payload: &[u8]) -> Frame {
    build_frame(repr, payload.len(), |buf| buf.copy_from_slice(payload))
}

/// Checks the FCS: the CRC-32 of everything before it, sent least significant byte first.
pub fn check_fcs(frame: &[u8]) -> Result<(), FrameError> {
    if frame.len() < HEADER_LEN + FCS_LEN {
        return Err(FrameError::Runt { len: frame.len() });
    }
    let (body, fcs) = frame.split_at(frame.len() - FCS_LEN);
    let found = u32::from_le_bytes([fcs[0], fcs[1], fcs[2], fcs[3]]);
    let computed = crc32fast::hash(body);
    if found == computed {
        Ok(())
    } else {
        Err(FrameError::BadFcs { found, computed })
    }
}

/// Reads the header of a frame and returns it with the payload (padding included, FCS
/// excluded; the layer above knows its own length). Does not check the FCS. An 802.1Q tag is
/// skipped: the EtherType and payload are the tagged frame's inner ones ([`vlan_of`] reads
/// the tag).
pub fn parse(frame: &[u8]) -> Result<(EthernetRepr, &[u8]), FrameError> {
    if frame.len() < HEADER_LEN + FCS_LEN {
        return Err(FrameError::Runt { len: frame.len() });
    }
    let body = &frame[..frame.len() - FCS_LEN];
    let pkt = EthernetPacket::new(body).ok_or(FrameError::Runt { len: frame.len() })?;
    let mut repr = EthernetRepr {
        dst: pkt.get_destination(),
        src: pkt.get_source(),
        ethertype: pkt.get_ethertype().0,
    };
    if vlan_of(frame).is_some() {
        repr.ethertype = u16::from_be_bytes([body[16], body[17]]);
        return Ok((repr, &body[HEADER_LEN + VLAN_TAG_LEN..]));
    }
    Ok((repr, &body[HEADER_LEN..]))
}

/// Destination MAC of a frame without a full parse (the hot path of a switch).
pub fn dst_of(frame: &[u8]) -> Option<MacAddr> {
    let b = frame.get(0..6)?;
    Some(MacAddr::new(b[0], b[1], b[2], b[3], b[4], b[5]))
}

/// Source MAC of a frame without a full parse.
pub fn src_of(frame: &[u8]) -> Option<MacAddr> {
    let b = frame.get(6..12)?;
    Some(MacAddr::new(b[0], b[1], b[2], b[3], b[4], b[5]))
}

/// A name for an EtherType in summaries.
pub fn ethertype_name(t: u16) -> Option<&'static str> {
    match t {
        ethertype::IPV4 => Some("IPv4"),
        ethertype::ARP => Some("ARP"),
        0x86DD => Some("IPv6"),
        ethertype::EXPERIMENTAL => Some("experimental"),
        ethertype::VLAN => Some("802.1Q"),
        _ => None,
    }
}

impl fmt::Display for EthernetRepr {
    /// tcpdump `-e` style: `02:4e:4c:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ethertype <= MAX_LENGTH_FIELD {
            // IEEE 802.3: the field is the length of the LLC data, not a type.
            return write!(
                f,
                "{} > {}, 802.3, length {}",
                self.src, self.dst, self.ethertype
            );
        }
        write!(f, "{} > {}, ethertype ", self.src, self.dst)?;
        match ethertype_name(self.ethertype) {
            Some(n) => write!(f, "{n} ({:#06x})", self.ethertype),
            None => write!(f, "{:#06x}", self.ethertype),
        }
    }
}

/// Whether a NIC with address `mine` takes a frame sent to `dst`.
pub fn accepts(mine: MacAddr, dst: MacAddr, promiscuous: bool) -> bool {
    promiscuous || dst == mine || dst.is_broadcast()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr() -> EthernetRepr {
        EthernetRepr {
            dst: MacAddr::broadcast(),
            src: default_mac(1),
            ethertype: ethertype::EXPERIMENTAL,
        }
    }

    #[test]
    fn short_payload_is_padded_to_64_bytes() {
        let f = frame_with_payload(&repr(), b"hi");
        assert_eq!(f.len(), MIN_FRAME_LEN);
        assert_eq!(&f[14..16], b"hi");
        assert!(f[16..60].iter().all(|&b| b == 0));
        assert_eq!(check_fcs(&f), Ok(()));
    }

    #[test]
    fn full_payload_makes_a_1518_byte_frame() {
        let f = frame_with_payload(&repr(), &[7u8; 1500]);
        assert_eq!(f.len(), MAX_FRAME_LEN);
        check_fcs(&f).unwrap();
    }

    #[test]
    fn fcs_residue_is_the_ethernet_constant() {
        // The CRC over frame + FCS of any good frame is 0x2144DF1C (the CRC-32 residue).
        let f = frame_with_payload(&repr(), b"residue");
        assert_eq!(crc32fast::hash(&f), 0x2144_DF1C);
    }

    #[test]
    fn fcs_matches_a_known_frame() {
        // A 60-byte broadcast frame body; its CRC-32 computed independently with Python's
        // zlib.crc32 is 0x884c86cb, sent on the wire as cb 86 4c 88.
        let mut body = vec![0xffu8; 6];
        body.extend([0x02, 0x4e, 0x4c, 0, 0, 1, 0x08, 0x06]);
        body.resize(60, 0);
        let fcs = crc32fast::hash(&body);
        assert_eq!(fcs, 0x884c_86cb);
        let mut frame = body.clone();
        frame.extend(fcs.to_le_bytes());
        assert_eq!(check_fcs(&frame), Ok(()));
        assert_eq!(crc32fast::hash(&frame), 0x2144_DF1C);
    }

    #[test]
    fn a_single_flipped_bit_is_caught() {
        let f = frame_with_payload(&repr(), b"payload bytes");
        for bit in 0..f.len() * 8 {
            let mut g = f.to_vec();
            g[bit / 8] ^= 1 << (bit % 8);
            assert!(
                matches!(check_fcs(&g), Err(FrameError::BadFcs { .. })),
                "bit {bit} flip not detected"
            );
        }
    }

    #[test]
    fn parse_reads_back_the_header() {
        let f = frame_with_payload(&repr(), b"abc");
        let (r, payload) = parse(&f).unwrap();
        assert_eq!(r, repr());
        assert_eq!(&payload[..3], b"abc");
        assert_eq!(
            payload.len(),
            46,
            "padding is payload to Ethernet; FCS is not"
        );
        assert_eq!(dst_of(&f), Some(MacAddr::broadcast()));
        assert_eq!(src_of(&f), Some(default_mac(1)));
    }

    #[test]
    fn vlan_tags_go_in_after_the_source_and_come_out_again() {
        let f = frame_with_payload(&repr(), b"abc");
        assert_eq!(vlan_of(&f), None);
        let t = tag(&f, 10);
        assert_eq!(t.len(), 68);
        assert_eq!(&t[12..16], &[0x81, 0x00, 0x00, 0x0a]);
        assert_eq!(&t[16..18], &[0x88, 0xb5]);
        check_fcs(&t).unwrap();
        assert_eq!(vlan_of(&t), Some(10));
        let (r, payload) = parse(&t).unwrap();
        assert_eq!(r, repr(), "parse reads the inner EtherType");
        assert_eq!(&payload[..3], b"abc");
        let u = untag(&t);
        assert_eq!(&u[..], &f[..]);
        // A minimum-size tagged frame is padded back to 64 bytes untagged.
        let mut small = t[..60].to_vec();
        small.extend(crc32fast::hash(&small).to_le_bytes());
        assert_eq!(untag(&small).len(), 64);
        check_fcs(&untag(&small)).unwrap();
    }

    #[test]
    fn runts_are_typed_errors() {
        for len in 0..18 {
            let b = vec![0u8; len];
            assert_eq!(parse(&b), Err(FrameError::Runt { len }));
            assert_eq!(check_fcs(&b), Err(FrameError::Runt { len }));
        }
    }

    #[test]
    fn default_macs_are_vendor_plus_serial() {
        let m = default_mac(0x0102_0304);
        assert_eq!(m.to_string(), "02:4e:4c:02:03:04");
        assert!(m.is_local() && m.is_unicast());
    }

    #[test]
    fn nic_filter() {
        let me = default_mac(1);
        assert!(accepts(me, me, false));
        assert!(accepts(me, MacAddr::broadcast(), false));
        assert!(!accepts(me, default_mac(2), false));
        assert!(accepts(me, default_mac(2), true));
    }
}
