//! The TCP header on the wire: parsing, emitting and a tcpdump-like text form.
//!
//! [`TcpRepr`] is a parsed segment borrowing its payload; [`TcpSegment`] is the owned form the
//! connection code produces. Byte access goes through `pnet_packet::tcp`, and the checksum is
//! the RFC 9293 §3.1 one's-complement sum over the IPv4 pseudo-header and the whole segment.

use std::fmt;
use std::net::Ipv4Addr;
use std::ops::{BitOr, BitOrAssign};

use pnet_packet::tcp::{MutableTcpPacket, TcpPacket};
use pnet_packet::Packet;

use super::fastopen::{self, FastOpenOption};
use super::seq::SeqNumber;

/// Length of a TCP header without options.
pub const HEADER_LEN: usize = 20;
/// Largest header: data offset 15 words.
pub const MAX_HEADER_LEN: usize = 60;

/// The control bits of a TCP header (RFC 9293 §3.1, RFC 3168 for ECE/CWR).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(u8);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x01);
    pub const SYN: TcpFlags = TcpFlags(0x02);
    pub const RST: TcpFlags = TcpFlags(0x04);
    pub const PSH: TcpFlags = TcpFlags(0x08);
    pub const ACK: TcpFlags = TcpFlags(0x10);
    pub const URG: TcpFlags = TcpFlags(0x20);
    pub const ECE: TcpFlags = TcpFlags(0x40);
    pub const CWR: TcpFlags = TcpFlags(0x80);
    pub const NONE: TcpFlags = TcpFlags(0);

    pub const fn from_bits(bits: u8) -> TcpFlags {
        TcpFlags(bits)
    }
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// True when every flag of `other` is set in `self`.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn fin(self) -> bool {
        self.contains(Self::FIN)
    }
    pub const fn syn(self) -> bool {
        self.contains(Self::SYN)
    }
    pub const fn rst(self) -> bool {
        self.contains(Self::RST)
    }
    pub const fn psh(self) -> bool {
        self.contains(Self::PSH)
    }
    pub const fn ack(self) -> bool {
        self.contains(Self::ACK)
    }
    pub const fn urg(self) -> bool {
        self.contains(Self::URG)
    }
}

impl BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for TcpFlags {
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Display for TcpFlags {
    /// tcpdump's letters in tcpdump's order: `F S R P . U E W`, so SYN+ACK is `S.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LETTERS: [(TcpFlags, char); 8] = [
            (TcpFlags::FIN, 'F'),
            (TcpFlags::SYN, 'S'),
            (TcpFlags::RST, 'R'),
            (TcpFlags::PSH, 'P'),
            (TcpFlags::ACK, '.'),
            (TcpFlags::URG, 'U'),
            (TcpFlags::ECE, 'E'),
            (TcpFlags::CWR, 'W'),
        ];
        if self.0 == 0 {
            return f.write_str("none");
        }
        for (flag, letter) in LETTERS {
            if self.contains(flag) {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpFlags[{self}]")
    }
}

/// Up to four SACK blocks `[left, right)` (RFC 2018 §3), most recent first as sent.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SackBlocks {
    len: u8,
    blocks: [(SeqNumber, SeqNumber); 4],
}

impl SackBlocks {
    pub const NONE: SackBlocks = SackBlocks {
        len: 0,
        blocks: [(SeqNumber(0), SeqNumber(0)); 4],
    };

    /// Appends a block; a fifth one is ignored (40 option bytes hold at most four).
    pub fn push(&mut self, left: SeqNumber, right: SeqNumber) {
        if (self.len as usize) < self.blocks.len() {
            self.blocks[self.len as usize] = (left, right);
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[(SeqNumber, SeqNumber)] {
        &self.blocks[..self.len as usize]
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The TCP options netlab understands. Anything else on the wire is skipped when parsing.
///
/// They are written in the order and with the padding Linux uses (`tcp_options_write`), so a
/// SYN with everything is `mss,sackOK,TS,nop,wscale` (20 bytes), a SYN-ACK to a peer that
/// offered SACK and window scaling but no timestamps `mss,nop,nop,sackOK,nop,wscale`, and a
/// data segment `nop,nop,TS` then `nop,nop,sack …` (PACKETDRILL.md §4, ORACLES.md §3.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TcpOptions {
    /// Maximum segment size (kind 2, RFC 9293 §3.7.1); only meaningful on SYNs.
    pub mss: Option<u16>,
    /// Window scale shift (kind 3, RFC 7323 §2); only meaningful on SYNs.
    pub window_scale: Option<u8>,
    /// SACK permitted (kind 4, RFC 2018 §2); only meaningful on SYNs.
    pub sack_permitted: bool,
    /// Timestamps `(TSval, TSecr)` (kind 8, RFC 7323 §3).
    pub timestamps: Option<(u32, u32)>,
    /// SACK blocks (kind 5, RFC 2018 §3). The receiver writes them; the parsed blocks of an
    /// arriving ACK are what a sender's scoreboard reads.
    pub sack_blocks: SackBlocks,
    /// TCP Fast Open (kind 34, RFC 7413, or the experimental kind 254): a cookie request or
    /// a cookie; only meaningful on SYNs. Written last, as Linux does.
    pub fast_open: Option<FastOpenOption>,
}

impl TcpOptions {
    pub const NONE: TcpOptions = TcpOptions {
        mss: None,
        window_scale: None,
        sack_permitted: false,
        timestamps: None,
        sack_blocks: SackBlocks::NONE,
        fast_open: None,
    };

    /// Bytes these options take on the wire, padded to a multiple of four.
    pub fn wire_len(&self) -> usize {
        let mut len = 0;
        if self.mss.is_some() {
            len += 4;
        }
        if self.timestamps.is_some() {
            len += 12; // sackOK + TS, or 2 NOPs + TS
        } else if self.sack_permitted {
            len += 4; // 2 NOPs + sackOK
        }
        if self.window_scale.is_some() {
            len += 4; // NOP + 3-byte option keeps the next one aligned
        }
        if !self.sack_blocks.is_empty() {
            len += 4 + 8 * self.sack_blocks.len(); // 2 NOPs + kind, length, blocks
        }
        if let Some(fo) = &self.fast_open {
            len += fo.wire_len();
        }
        len
    }

    pub fn is_empty(&self) -> bool {
        *self == TcpOptions::NONE
    }

    /// Writes the options into `buf`, which must be `wire_len()` long, in Linux's order.
    fn write(&self, buf: &mut [u8]) {
        let mut i = 0;
        if let Some(mss) = self.mss {
            buf[i..i + 4].copy_from_slice(&[2, 4, (mss >> 8) as u8, mss as u8]);
            i += 4;
        }
        if let Some((val, ecr)) = self.timestamps {
            // SACK-permitted takes the place of the two NOPs that align TS.
            let lead = if self.sack_permitted { [4, 2] } else { [1, 1] };
            buf[i..i + 4].copy_from_slice(&[lead[0], lead[1], 8, 10]);
            buf[i + 4..i + 8].copy_from_slice(&val.to_be_bytes());
            buf[i + 8..i + 12].copy_from_slice(&ecr.to_be_bytes());
            i += 12;
        } else if self.sack_permitted {
            buf[i..i + 4].copy_from_slice(&[1, 1, 4, 2]);
            i += 4;
        }
        if let Some(shift) = self.window_scale {
            buf[i..i + 4].copy_from_slice(&[1, 3, 3, shift]);
            i += 4;
        }
        if !self.sack_blocks.is_empty() {
            let n = self.sack_blocks.len();
            buf[i..i + 4].copy_from_slice(&[1, 1, 5, (2 + 8 * n) as u8]);
            i += 4;
            for &(left, right) in self.sack_blocks.as_slice() {
                buf[i..i + 4].copy_from_slice(&left.0.to_be_bytes());
                buf[i + 4..i + 8].copy_from_slice(&right.0.to_be_bytes());
                i += 8;
            }
        }
        if let Some(fo) = &self.fast_open {
            fo.write(&mut buf[i..]);
        }
    }

    /// Parses an option list. Known options with an unexpected length are ignored, as Linux
    /// does; only a list whose structure is broken (length byte < 2 or running past the end)
    /// is an error, because then nothing after it can be located.
    fn parse(mut bytes: &[u8]) -> Result<TcpOptions, TcpParseError> {
        let mut opts = TcpOptions::NONE;
        while let Some(&kind) = bytes.first() {
            match kind {
                0 => break, // End of option list
                1 => {
                    bytes = &bytes[1..];
                    continue;
                }
                _ => {}
            }
            let len = *bytes.get(1).ok_or(TcpParseError::BadOption)? as usize;
            if len < 2 || len > bytes.len() {
                return Err(TcpParseError::BadOption);
            }
            let body = &bytes[2..len];
            match (kind, body.len()) {
                (2, 2) => opts.mss = Some(u16::from_be_bytes([body[0], body[1]])),
                // RFC 7323 §2.3: a shift above 14 is treated as 14.
                (3, 1) => opts.window_scale = Some(body[0].min(14)),
                (4, 0) => opts.sack_permitted = true,
                (5, n) if n > 0 && n % 8 == 0 => {
                    for b in body.chunks_exact(8) {
                        let left = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                        let right = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
                        opts.sack_blocks.push(SeqNumber(left), SeqNumber(right));
                    }
                }
                (8, 8) => {
                    let val = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
                    let ecr = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
                    opts.timestamps = Some((val, ecr));
                }
                (fastopen::KIND | fastopen::KIND_EXP, _) => {
                    if let Some(fo) = FastOpenOption::parse(kind, body) {
                        opts.fast_open = Some(fo);
                    }
                }
                _ => {}
            }
            bytes = &bytes[len..];
        }
        Ok(opts)
    }
}

impl fmt::Display for TcpOptions {
    /// tcpdump's option list body in wire order: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(mss) = self.mss {
            parts.push(format!("mss {mss}"));
        }
        if let Some((val, ecr)) = self.timestamps {
            if self.sack_permitted {
                parts.push("sackOK".into());
            } else {
                parts.push("nop".into());
                parts.push("nop".into());
            }
            parts.push(format!("TS val {val} ecr {ecr}"));
        } else if self.sack_permitted {
            parts.push("nop".into());
            parts.push("nop".into());
            parts.push("sackOK".into());
        }
        if let Some(shift) = self.window_scale {
            parts.push("nop".into());
            parts.push(format!("wscale {shift}"));
        }
        if !self.sack_blocks.is_empty() {
            parts.push("nop".into());
            parts.push("nop".into());
            let blocks: Vec<String> = self
                .sack_blocks
                .as_slice()
                .iter()
                .map(|(l, r)| format!("{{{}:{}}}", l.0, r.0))
                .collect();
            parts.push(format!("sack {} {}", blocks.len(), blocks.join("")));
        }
        if let Some(fo) = &self.fast_open {
            parts.push(fo.to_string());
        }
        f.write_str(&parts.join(","))
    }
}

/// Why bytes are not a TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TcpParseError {
    #[error("segment shorter than its TCP header")]
    Truncated,
    #[error("TCP data offset below 5 words")]
    BadDataOffset,
    #[error("TCP checksum does not match")]
    BadChecksum,
    #[error("malformed TCP option list")]
    BadOption,
}

/// Why a segment could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TcpEmitError {
    #[error("buffer of {have} bytes cannot hold a {need}-byte segment")]
    BufferTooSmall { need: usize, have: usize },
    #[error("options need {0} bytes, more than the 40 a header can hold")]
    OptionsTooLong(usize),
}

/// A parsed TCP segment whose payload borrows from the packet bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TcpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: SeqNumber,
    /// The acknowledgment field; meaningful only when `flags.ack()`.
    pub ack: SeqNumber,
    pub flags: TcpFlags,
    /// The raw 16-bit window field (not scaled).
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Parses `bytes`, which must be exactly the TCP segment (the IPv4 payload), verifying the
    /// checksum against the pseudo-header built from `src_ip` and `dst_ip`.
    pub fn parse(
        bytes: &'a [u8],
        src_ip: Ipv4Addr,
        dst_ip: Ipv4Addr,
    ) -> Result<TcpRepr<'a>, TcpParseError> {
        let repr = Self::parse_unchecked(bytes)?;
        // Summed with its checksum field, an intact segment sums to zero (RFC 1071).
        if crate::ip::checksum::transport(src_ip, dst_ip, 6, bytes) != 0 {
            return Err(TcpParseError::BadChecksum);
        }
        Ok(repr)
    }

    /// Parses without verifying the checksum, for callers that produced the bytes themselves.
    pub fn parse_unchecked(bytes: &'a [u8]) -> Result<TcpRepr<'a>, TcpParseError> {
        let packet = TcpPacket::new(bytes).ok_or(TcpParseError::Truncated)?;
        let header_len = packet.get_data_offset() as usize * 4;
        if header_len < HEADER_LEN {
            return Err(TcpParseError::BadDataOffset);
        }
        if header_len > bytes.len() {
            return Err(TcpParseError::Truncated);
        }
        let options = TcpOptions::parse(&bytes[HEADER_LEN..header_len])?;
        Ok(TcpRepr {
            src_port: packet.get_source(),
            dst_port: packet.get_destination(),
            seq: SeqNumber(packet.get_sequence()),
            ack: SeqNumber(packet.get_acknowledgement()),
            flags: TcpFlags(packet.get_flags()),
            window: packet.get_window(),
            urgent: packet.get_urgent_ptr(),
            options,
            payload: &bytes[header_len..],
        })
    }

    /// Header length including padded options.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.wire_len()
    }

    /// Total bytes `emit` writes: header, options and payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Sequence space the segment occupies: payload plus one each for SYN and FIN.
    pub fn seg_len(&self) -> u32 {
        self.payload.len() as u32 + self.flags.syn() as u32 + self.flags.fin() as u32
    }

    /// Writes the segment into the front of `buf` and fills in the checksum. Returns the number
    /// of bytes written (`buffer_len()`).
    pub fn emit(
        &self,
        buf: &mut [u8],
        src_ip: Ipv4Addr,
        dst_ip: Ipv4Addr,
    ) -> Result<usize, TcpEmitError> {
        let opt_len = self.options.wire_len();
        if HEADER_LEN + opt_len > MAX_HEADER_LEN {
            return Err(TcpEmitError::OptionsTooLong(opt_len));
        }
        let total = self.buffer_len();
        if buf.len() < total {
            return Err(TcpEmitError::BufferTooSmall {
                need: total,
                have: buf.len(),
            });
        }
        let seg = &mut buf[..total];
        let header_len = HEADER_LEN + opt_len;
        self.options.write(&mut seg[HEADER_LEN..header_len]);
        seg[header_len..].copy_from_slice(self.payload);
        let Some(mut packet) = MutableTcpPacket::new(seg) else {
            return Err(TcpEmitError::BufferTooSmall {
                need: total,
                have: buf.len(),
            });
        };
        packet.set_source(self.src_port);
        packet.set_destination(self.dst_port);
        packet.set_sequence(self.seq.0);
        packet.set_acknowledgement(self.ack.0);
        packet.set_data_offset((header_len / 4) as u8);
        packet.set_reserved(0);
        packet.set_flags(self.flags.0);
        packet.set_window(self.window);
        packet.set_checksum(0);
        packet.set_urgent_ptr(self.urgent);
        // The view spans exactly this segment, so the checksum covers exactly its bytes.
        let checksum = crate::ip::checksum::transport(src_ip, dst_ip, 6, packet.packet());
        packet.set_checksum(checksum);
        Ok(total)
    }

    /// An owned copy, addressed from `src_ip` to `dst_ip`.
    pub fn to_owned_segment(&self, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) -> TcpSegment {
        TcpSegment {
            src_ip,
            dst_ip,
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            urgent: self.urgent,
            options: self.options,
            payload: self.payload.to_vec(),
            ip_id: None,
        }
    }
}

impl fmt::Display for TcpRepr<'_> {
    /// `Flags [S.], seq 1000, ack 2000, win 64240, options [mss 1460], length 0`, the layout of
    /// tcpdump's `-S` (absolute sequence numbers) output after the addresses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags [{}], seq {}", self.flags, self.seq)?;
        if !self.payload.is_empty() {
            write!(f, ":{}", self.seq + self.payload.len())?;
        }
        if self.flags.ack() {
            write!(f, ", ack {}", self.ack)?;
        }
        write!(f, ", win {}", self.window)?;
        if self.flags.urg() {
            write!(f, ", urg {}", self.urgent)?;
        }
        if !self.options.is_empty() {
            write!(f, ", options [{}]", self.options)?;
        }
        write!(f, ", length {}", self.payload.len())
    }
}

/// An owned segment with its IPv4 addresses, as produced by connections and listeners.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TcpSegment {
    pub src_ip: Ipv4Addr,
    pub dst_ip: Ipv4Addr,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: SeqNumber,
    pub ack: SeqNumber,
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    pub payload: Vec<u8>,
    /// The IP identification the connection wants (Linux: a per-connection counter, 0 on a
    /// SYN-ACK and RST); `None` leaves it to the host's counter.
    pub ip_id: Option<u16>,
}

impl TcpSegment {
    /// A borrowed view, e.g. to hand this segment to the other end's `on_segment`.
    pub fn repr(&self) -> TcpRepr<'_> {
        TcpRepr {
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            urgent: self.urgent,
            options: self.options,
            payload: &self.payload,
        }
    }

    /// Sequence space the segment occupies.
    pub fn seg_len(&self) -> u32 {
        self.repr().seg_len()
    }

    pub fn buffer_len(&self) -> usize {
        self.repr().buffer_len()
    }

    /// Writes the wire form, checksum included, into `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, TcpEmitError> {
        self.repr().emit(buf, self.src_ip, self.dst_ip)
    }

    /// The wire form in a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![0; self.buffer_len()];
        // Cannot fail: the buffer has exactly the needed size and our options fit in 40 bytes.
        let _ = self.emit(&mut bytes);
        bytes
    }
}

impl fmt::Display for TcpSegment {
    /// `10.0.0.1.49152 > 10.0.0.2.80: Flags [S], seq 1000, ...`, like a tcpdump line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} > {}.{}: {}",
            self.src_ip,
            self.src_port,
            self.dst_ip,
            self.dst_port,
            self.repr()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn syn_ack() -> TcpRepr<'static> {
        TcpRepr {
            src_port: 80,
            dst_port: 49152,
            seq: SeqNumber(1000),
            ack: SeqNumber(2000),
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window: 64240,
            urgent: 0,
            options: TcpOptions {
                mss: Some(1460),
                ..TcpOptions::NONE
            },
            payload: &[],
        }
    }

    #[test]
    fn emit_then_parse_roundtrips() {
        let mut repr = syn_ack();
        repr.options = TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamps: Some((1, 2)),
            sack_blocks: SackBlocks::NONE,
            fast_open: None,
        };
        repr.payload = b"hello";
        let mut buf = vec![0u8; repr.buffer_len()];
        assert_eq!(repr.emit(&mut buf, A, B), Ok(buf.len()));
        // Linux's SYN: 20 option bytes (ORACLES.md §3.2 (a)).
        assert_eq!(repr.header_len(), 20 + 20);
        assert_eq!(TcpRepr::parse(&buf, A, B), Ok(repr));
    }

    /// The option bytes `opts` are written as, after the 20-byte header.
    fn option_bytes(opts: TcpOptions) -> Vec<u8> {
        let mut repr = syn_ack();
        repr.options = opts;
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, A, B).unwrap();
        assert_eq!(TcpRepr::parse(&buf, A, B).unwrap().options, opts);
        buf[20..].to_vec()
    }

    /// Every SYN/SYN-ACK layout of PACKETDRILL.md §4 and ORACLES.md §3.2 (a), byte for byte.
    #[test]
    fn options_are_laid_out_as_linux_writes_them() {
        let mss = TcpOptions {
            mss: Some(1460),
            ..TcpOptions::NONE
        };
        let ts = Some((0x0102_0304, 0x0506_0708));
        let ts_bytes = [8, 10, 1, 2, 3, 4, 5, 6, 7, 8];
        // <mss 1460>
        assert_eq!(option_bytes(mss), [2, 4, 5, 0xb4]);
        // <mss 1460,nop,nop,sackOK>
        let sack = TcpOptions {
            sack_permitted: true,
            ..mss
        };
        assert_eq!(option_bytes(sack), [2, 4, 5, 0xb4, 1, 1, 4, 2]);
        // <mss 1460,nop,wscale 8>
        let ws = TcpOptions {
            window_scale: Some(8),
            ..mss
        };
        assert_eq!(option_bytes(ws), [2, 4, 5, 0xb4, 1, 3, 3, 8]);
        // <mss 1460,sackOK,TS val ecr>
        let sack_ts = TcpOptions {
            timestamps: ts,
            ..sack
        };
        let mut want = vec![2, 4, 5, 0xb4, 4, 2];
        want.extend(ts_bytes);
        assert_eq!(option_bytes(sack_ts), want);
        // <mss 1460,sackOK,TS val ecr,nop,wscale 10>: Linux's SYN.
        let all = TcpOptions {
            window_scale: Some(10),
            ..sack_ts
        };
        want.extend([1, 3, 3, 10]);
        assert_eq!(option_bytes(all), want);
        assert_eq!(
            all.to_string(),
            "mss 1460,sackOK,TS val 16909060 ecr 84281096,nop,wscale 10"
        );
        // <mss 1460,nop,nop,sackOK,nop,wscale 8>: SACK and WS without timestamps.
        let sack_ws = TcpOptions {
            window_scale: Some(8),
            ..sack
        };
        assert_eq!(
            option_bytes(sack_ws),
            [2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8]
        );
        // <nop,nop,TS val ecr>: every segment once timestamps are on.
        let data = TcpOptions {
            timestamps: ts,
            ..TcpOptions::NONE
        };
        let mut want = vec![1, 1];
        want.extend(ts_bytes);
        assert_eq!(option_bytes(data), want);
        // <nop,nop,TS,nop,nop,sack 1 {a:b}>: SACK blocks after timestamps (RFC 2018 §3).
        let mut blocks = SackBlocks::NONE;
        blocks.push(SeqNumber(100), SeqNumber(200));
        let sacked = TcpOptions {
            sack_blocks: blocks,
            ..data
        };
        want.extend([1, 1, 5, 10, 0, 0, 0, 100, 0, 0, 0, 200]);
        assert_eq!(option_bytes(sacked), want);
        assert_eq!(
            sacked.to_string(),
            "nop,nop,TS val 16909060 ecr 84281096,nop,nop,sack 1 {100:200}"
        );
    }

    #[test]
    fn four_sack_blocks_fit_and_a_fifth_is_ignored() {
        let mut blocks = SackBlocks::NONE;
        for i in 0..5u32 {
            blocks.push(SeqNumber(i * 10), SeqNumber(i * 10 + 5));
        }
        assert_eq!(blocks.len(), 4);
        let opts = TcpOptions {
            sack_blocks: blocks,
            ..TcpOptions::NONE
        };
        assert_eq!(option_bytes(opts).len(), 4 + 32);
    }

    #[test]
    fn checksum_covers_pseudo_header() {
        let repr = syn_ack();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, A, B).unwrap();
        assert_eq!(
            TcpRepr::parse(&buf, A, Ipv4Addr::new(10, 0, 0, 3)),
            Err(TcpParseError::BadChecksum)
        );
        buf[4] ^= 1;
        assert_eq!(TcpRepr::parse(&buf, A, B), Err(TcpParseError::BadChecksum));
    }

    #[test]
    fn odd_length_payload_checksums() {
        let mut repr = syn_ack();
        repr.payload = b"abc";
        let seg = repr.to_owned_segment(A, B);
        let bytes = seg.to_bytes();
        assert_eq!(TcpRepr::parse(&bytes, A, B).unwrap().payload, b"abc");
    }

    #[test]
    fn truncated_and_bad_offsets_are_typed_errors() {
        assert_eq!(
            TcpRepr::parse(&[0; 10], A, B),
            Err(TcpParseError::Truncated)
        );
        let mut buf = vec![0u8; 20];
        buf[12] = 4 << 4;
        assert_eq!(
            TcpRepr::parse_unchecked(&buf),
            Err(TcpParseError::BadDataOffset)
        );
        buf[12] = 6 << 4;
        assert_eq!(
            TcpRepr::parse_unchecked(&buf),
            Err(TcpParseError::Truncated)
        );
    }

    #[test]
    fn broken_option_list_is_bad_option() {
        let mut buf = vec![0u8; 24];
        buf[12] = 6 << 4;
        buf[20..24].copy_from_slice(&[2, 9, 0, 0]);
        assert_eq!(
            TcpRepr::parse_unchecked(&buf),
            Err(TcpParseError::BadOption)
        );
        buf[20..24].copy_from_slice(&[5, 1, 0, 0]);
        assert_eq!(
            TcpRepr::parse_unchecked(&buf),
            Err(TcpParseError::BadOption)
        );
    }

    #[test]
    fn unknown_and_misshapen_options_are_skipped() {
        let mut buf = vec![0u8; 32];
        buf[12] = 8 << 4;
        // unknown kind 30 len 4, MSS with wrong length 3, NOP, then a good MSS.
        buf[20..32].copy_from_slice(&[30, 4, 9, 9, 2, 3, 7, 1, 2, 4, 0x05, 0xb4]);
        let repr = TcpRepr::parse_unchecked(&buf).unwrap();
        assert_eq!(repr.options.mss, Some(1460));
    }

    #[test]
    fn window_scale_above_14_is_clamped() {
        let mut buf = vec![0u8; 24];
        buf[12] = 6 << 4;
        buf[20..24].copy_from_slice(&[3, 3, 20, 0]);
        let repr = TcpRepr::parse_unchecked(&buf).unwrap();
        assert_eq!(repr.options.window_scale, Some(14));
    }

    #[test]
    fn emit_rejects_small_buffer() {
        let repr = syn_ack();
        let mut buf = [0u8; 10];
        assert!(matches!(
            repr.emit(&mut buf, A, B),
            Err(TcpEmitError::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn displays_like_tcpdump() {
        assert_eq!(
            syn_ack().to_string(),
            "Flags [S.], seq 1000, ack 2000, win 64240, options [mss 1460], length 0"
        );
        let mut data = syn_ack();
        data.flags = TcpFlags::PSH | TcpFlags::ACK;
        data.options = TcpOptions::NONE;
        data.payload = b"0123456789";
        assert_eq!(
            data.to_string(),
            "Flags [P.], seq 1000:1010, ack 2000, win 64240, length 10"
        );
        let seg = data.to_owned_segment(A, B);
        assert!(seg
            .to_string()
            .starts_with("10.0.0.1.80 > 10.0.0.2.49152: Flags [P.]"));
        assert_eq!((TcpFlags::FIN | TcpFlags::ACK).to_string(), "F.");
        assert_eq!((TcpFlags::RST | TcpFlags::ACK).to_string(), "R.");
    }

    proptest! {
        #[test]
        fn parsing_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = TcpRepr::parse(&bytes, A, B);
            if let Ok(repr) = TcpRepr::parse_unchecked(&bytes) {
                let _ = repr.to_string();
            }
        }

        #[test]
        fn any_repr_roundtrips(
            sp in any::<u16>(), dp in any::<u16>(), seq in any::<u32>(), ack in any::<u32>(),
            flags in any::<u8>(), window in any::<u16>(), urgent in any::<u16>(),
            mss in proptest::option::of(any::<u16>()),
            ws in proptest::option::of(0u8..=14),
            sack in any::<bool>(),
            ts in proptest::option::of(any::<(u32, u32)>()),
            payload in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let repr = TcpRepr {
                src_port: sp, dst_port: dp, seq: SeqNumber(seq), ack: SeqNumber(ack),
                flags: TcpFlags::from_bits(flags), window, urgent,
                options: TcpOptions { mss, window_scale: ws, sack_permitted: sack, timestamps: ts, sack_blocks: SackBlocks::NONE, fast_open: None },
                payload: &payload,
            };
            let mut buf = vec![0u8; repr.buffer_len()];
            repr.emit(&mut buf, A, B).unwrap();
            prop_assert_eq!(TcpRepr::parse(&buf, A, B), Ok(repr));
        }
    }
}
