//! The byte work of a bulk transfer, without the simulation: what any simulator that moves
//! real frames must do for every byte whatever its protocols cost. It is the yardstick for
//! `bulk-tcp`'s time (README, "Performance"): ns-3's bulk case carries no payload bytes, so
//! the part of netlab's time that is this work has no counterpart there.
//!
//! Per data segment, as netlab's path does it with the same functions: the sending
//! application writes the pattern into its send buffer; the segment is copied from there
//! into a new frame, whose TCP checksum and FCS are computed; the receiver checks the FCS and
//! the checksum, copies the payload into its receive buffer, and the receiving application
//! copies it out and compares it with the pattern. One ACK frame (66 bytes with timestamps)
//! is built and checked per two data segments, as delayed ACKs make it.

use super::BenchResult;
use crate::apps::sock::{count_pattern_mismatches, fill_pattern};
use crate::ethernet::{self, EthernetRepr};
use crate::ip::checksum;
use std::net::Ipv4Addr;

/// Ethernet, IPv4 and TCP headers with the timestamp option, before the payload.
const HEADERS: usize = 14 + 20 + 32;
const MSS: usize = 1448;

/// The byte work of moving `bytes` from one application to another in full segments.
pub fn bulk_bytes_alone(bytes: u64) -> BenchResult {
    let (a, b) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
    let repr = EthernetRepr {
        src: ethernet::default_mac(1),
        dst: ethernet::default_mac(2),
        ethertype: 0x0800,
    };
    let mut send_buf = vec![0u8; MSS];
    let mut recv_buf = Vec::with_capacity(MSS);
    let mut app_buf = vec![0u8; MSS];
    let (mut frames, mut segments, mut corrupt, mut sent) = (0u64, 0u64, 0u64, 0u64);
    let started = std::time::Instant::now();
    while sent < bytes {
        let len = (bytes - sent).min(MSS as u64) as usize;
        fill_pattern(&mut send_buf[..len], sent);
        let frame = ethernet::build_frame(&repr, HEADERS - 14 + len, |ip| {
            ip[HEADERS - 14..].copy_from_slice(&send_buf[..len]);
            let sum = checksum::transport(a, b, 6, &ip[20..]);
            ip[20 + 16..20 + 18].copy_from_slice(&sum.to_be_bytes());
        });
        frames += 1;
        segments += 1;
        // The receiver.
        let fcs_ok = ethernet::check_fcs(&frame).is_ok();
        let segment = &frame[14 + 20..frame.len() - 4];
        let sum_ok = checksum::transport(a, b, 6, segment) == 0;
        assert!(fcs_ok && sum_ok, "an untouched frame checks");
        recv_buf.clear();
        recv_buf.extend_from_slice(&segment[32..]);
        app_buf[..len].copy_from_slice(&recv_buf);
        corrupt += count_pattern_mismatches(&app_buf[..len], sent);
        sent += len as u64;
        if segments % 2 == 0 || sent == bytes {
            // The ACK: headers only, built by the receiver and checked by the sender.
            let ack = ethernet::build_frame(&repr, HEADERS - 14, |ip| {
                let sum = checksum::transport(b, a, 6, &ip[20..]);
                ip[20 + 16..20 + 18].copy_from_slice(&sum.to_be_bytes());
            });
            frames += 1;
            let ok = ethernet::check_fcs(&ack).is_ok()
                && checksum::transport(b, a, 6, &ack[14 + 20..ack.len() - 4]) == 0;
            assert!(ok, "an untouched ACK checks");
        }
    }
    let wall = started.elapsed();
    assert_eq!(corrupt, 0, "every byte arrived as sent");
    BenchResult {
        name: format!("bulk-tcp {} MB, bytes alone", bytes / 1_000_000),
        frames,
        wall,
        bytes: sent,
        ..BenchResult::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_every_byte_in_full_segments_with_an_ack_per_two() {
        let r = bulk_bytes_alone(10 * MSS as u64 + 1);
        assert_eq!(r.bytes, 10 * MSS as u64 + 1);
        // 11 data frames, ACKs after the 2nd, 4th, ... 10th frame and after the last.
        assert_eq!(r.frames, 11 + 6);
    }
}
