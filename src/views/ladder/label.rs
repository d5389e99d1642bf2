//! The label of a ladder arrow: what a frame carries, read as Wireshark's Info column, with the
//! marks of its TCP sequence analysis that a run's frames in order are enough for.

use crate::decode::Decoded;
use crate::ethernet::{self, MacAddr};
use crate::ip::Ipv4Repr;
use crate::tcp::TcpRepr;
use crate::time::Instant;
use crate::trace::describe;
use std::collections::HashMap;
use std::fmt::Write;
use std::net::SocketAddrV4;

/// The label of a frame's arrow, short as Wireshark's Info column: what [`describe::frame`]
/// says after its `ethertype …, N bytes:` header (`ARP who-has …`, `IP a > b: ICMP echo request
/// …`); a raw test frame is `raw "its text"`, `broadcast raw …` when it went to everyone. A frame
/// `describe` has nothing more to say about keeps its header, without the MAC addresses the
/// columns already show. (The full description is in the SVG's tooltips.)
///
/// A TCP segment reads as in Wireshark's Info column and Flow Graph: `39690 → 8081 [SYN] Seq=0
/// Win=65535 Len=0 MSS=1460 WS=4`, then a short preview of printable data. Alone, a frame has
/// no connection to be relative to: this function gives a SYN `Seq=0` and any other segment
/// its absolute numbers. [`Labeller::label`] labels a run's frames in order, with sequence and
/// acknowledgement numbers relative to each connection's initial sequence numbers.
pub fn label(frame: &[u8]) -> String {
    Labeller::default().label(frame)
}

/// One direction of a TCP connection, as seen in the frames labelled so far.
#[derive(Clone, Copy, Debug, Default)]
struct TcpSide {
    /// The initial sequence number (from this side's SYN).
    isn: Option<u32>,
    /// The window scale shift this side's SYN announced (`Some(None)`: a SYN without one).
    scale: Option<Option<u8>>,
}

/// Labels the frames of one run in the order they were sent: TCP sequence numbers relative to
/// each connection's initial sequence numbers, windows scaled once both SYNs said so, and the
/// marks of Wireshark's sequence analysis that need no more than that: `[TCP Retransmission]`
/// on a segment whose sequence space its sender (an interface, by MAC address) already sent,
/// `[TCP Fast Retransmission]` when it resends what at least two duplicate ACKs asked for,
/// `[TCP Dup ACK 23#2]` on the 2nd repeat of the ACK in frame 23, `[TCP Keep-Alive]` on an
/// empty segment one byte behind it (Linux's zero-window probe), `[TCP ZeroWindow]` on a window
/// of 0.
#[derive(Clone, Debug, Default)]
pub struct Labeller {
    /// Per direction (source, destination).
    sides: HashMap<(SocketAddrV4, SocketAddrV4), TcpSide>,
    /// The highest sequence number sent so far, per sending interface and direction.
    sent_up_to: HashMap<(MacAddr, SocketAddrV4, SocketAddrV4), u32>,
    /// What Wireshark's analysis remembers of the last segment, per sending interface and
    /// direction (the duplicate-ACK count).
    acks: HashMap<(MacAddr, SocketAddrV4, SocketAddrV4), AckState>,
    /// The same, the latest of any interface, per direction: what the other direction's
    /// retransmission is judged against.
    latest: HashMap<(SocketAddrV4, SocketAddrV4), AckState>,
    /// Frames labelled so far (the number [`Labeller::label`] gives a frame).
    count: u64,
}

/// Wireshark's per-direction memory for duplicate ACKs and fast retransmissions (packet-tcp.c,
/// `tcp_analyze_sequence_number`): the next sequence number, the last ACK and window and when
/// they were sent, the duplicates counted since the ACK number last changed and the frame
/// where it changed.
#[derive(Clone, Copy, Debug, Default)]
struct AckState {
    nextseq: Option<u32>,
    lastack: Option<u32>,
    lastack_time: Option<Instant>,
    window: Option<u32>,
    dupacks: u32,
    lastnondupack: u64,
    keep_alive: bool,
}

impl Labeller {
    /// The label of the next frame of the run: see [`label`]. Frames are numbered 1, 2, … in
    /// the order they are labelled (the number a `[TCP Dup ACK N#k]` cites), and their times
    /// are unknown (a fast retransmission is not held to Wireshark's 20 ms).
    pub fn label(&mut self, frame: &[u8]) -> String {
        let n = self.count + 1;
        self.labelled(frame, n, None)
    }

    /// The label of the next frame of the run, sent at `time`, which `[TCP Dup ACK N#k]` marks
    /// will cite as `number` (netlab's frame number `#N` in a run; a capture's frame number when
    /// labelling a capture's frames).
    pub fn label_at(&mut self, frame: &[u8], number: u64, time: Instant) -> String {
        self.labelled(frame, number, Some(time))
    }

    fn labelled(&mut self, frame: &[u8], number: u64, time: Option<Instant>) -> String {
        self.count += 1;
        let d = Decoded::new(frame);
        let Some(eth) = d.eth else {
            return describe::frame(frame);
        };
        if let Some(Ok(dg)) = d.ipv4() {
            if !dg.ip.is_fragment() {
                match dg.tcp() {
                    Some(Ok(t)) => return self.tcp(eth.src, &dg.ip, &t, number, time),
                    // Wireshark verifies no TCP checksum by default (`tcp.check_checksum`),
                    // so a damaged segment still counts in its analysis (a `Dup ACK #k`
                    // number); count it too, and show what netlab knows of it below.
                    Some(Err(_)) => {
                        if let Some(Ok(t)) = dg.tcp_unchecked() {
                            let _ = self.tcp(eth.src, &dg.ip, &t, number, time);
                        }
                    }
                    None => {}
                }
            }
        }
        let full = describe::frame(frame);
        let prefix = format!("{} > {}, ", eth.src, eth.dst);
        let rest = full.strip_prefix(&prefix).unwrap_or(&full);
        match rest.split_once(": ") {
            Some((_, summary)) if eth.ethertype == ethernet::ethertype::EXPERIMENTAL => {
                if eth.dst == MacAddr::broadcast() {
                    format!("broadcast raw {summary}")
                } else {
                    format!("raw {summary}")
                }
            }
            Some((_, summary)) => summary.to_string(),
            None => rest.to_string(),
        }
    }

    /// `[TCP Retransmission] 39690 → 8081 [PSH, ACK] Seq=1 Ack=1 Win=131072 Len=9 "important"`.
    fn tcp(
        &mut self,
        mac: MacAddr,
        ip: &Ipv4Repr,
        t: &TcpRepr,
        number: u64,
        time: Option<Instant>,
    ) -> String {
        let src = SocketAddrV4::new(ip.src, t.src_port);
        let dst = SocketAddrV4::new(ip.dst, t.dst_port);
        let seq = t.seq.value();
        if t.flags.syn() {
            let side = self.sides.entry((src, dst)).or_default();
            if side.isn != Some(seq) {
                // A new connection on these ports (or the first SYN): start afresh.
                *side = TcpSide {
                    isn: Some(seq),
                    scale: Some(t.options.window_scale),
                };
                let both = !t.flags.ack();
                if both {
                    self.sides.remove(&(dst, src));
                }
                self.sent_up_to
                    .retain(|k, _| !((k.1, k.2) == (src, dst) || both && (k.1, k.2) == (dst, src)));
                self.acks
                    .retain(|k, _| !((k.1, k.2) == (src, dst) || both && (k.1, k.2) == (dst, src)));
                self.latest.remove(&(src, dst));
                if both {
                    self.latest.remove(&(dst, src));
                }
            }
        }
        let me = self.sides.get(&(src, dst)).copied().unwrap_or_default();
        let peer = self.sides.get(&(dst, src)).copied().unwrap_or_default();
        let window = match (me.scale, peer.scale) {
            (Some(Some(mine)), Some(Some(_))) if !t.flags.syn() => u32::from(t.window) << mine,
            _ => u32::from(t.window),
        };

        let mut s = String::new();
        // Sequence space this segment takes: data, plus one each for SYN and FIN.
        let space = t.payload.len() as u32 + u32::from(t.flags.syn()) + u32::from(t.flags.fin());
        let plain = !t.flags.syn() && !t.flags.fin() && !t.flags.rst();
        let ack = t.ack.value();
        let before = self.acks.get(&(mac, src, dst)).copied().unwrap_or_default();
        let other = self.latest.get(&(dst, src)).copied().unwrap_or_default();
        let up_to = self.sent_up_to.get(&(mac, src, dst)).copied();
        let mut keep_alive = false;
        let mut dup_ack = None;
        if plain && t.payload.len() <= 1 && up_to == Some(seq.wrapping_add(1)) {
            // One byte before what was sent: Linux's zero-window probe, or a keep-alive.
            s.push_str("[TCP Keep-Alive] ");
            keep_alive = true;
        } else if space > 0 {
            let up_to = self.sent_up_to.entry((mac, src, dst)).or_insert(seq);
            if (up_to.wrapping_sub(seq) as i32) > 0 {
                // Wireshark: a resend of what at least two duplicate ACKs asked for, within
                // 20 ms of the last of them, is a fast retransmission, unless all of it was
                // acknowledged already (then it is spurious, an ordinary one here).
                let len = t.payload.len() as u32;
                let spurious = len > 0
                    && other
                        .lastack
                        .is_some_and(|a| (a.wrapping_sub(seq.wrapping_add(len)) as i32) >= 0);
                let soon = match (time, other.lastack_time) {
                    (Some(now), Some(then)) => now.saturating_since(then).as_nanos() < 20_000_000,
                    _ => true,
                };
                if !spurious && other.dupacks >= 2 && other.lastack == Some(seq) && soon {
                    s.push_str("[TCP Fast Retransmission] ");
                } else {
                    s.push_str("[TCP Retransmission] ");
                }
            }
            let end = seq.wrapping_add(space);
            if (end.wrapping_sub(*up_to) as i32) > 0 {
                *up_to = end;
            }
        } else if t.payload.is_empty()
            && plain
            && window != 0
            && before.window == Some(window)
            && before.nextseq == Some(seq)
            && before.lastack == Some(ack)
            && !other.keep_alive
        {
            // Wireshark's duplicate ACK: nothing new (no data, same ACK, same window), and not
            // the answer to a keep-alive. Counted since the ACK number last changed, citing the
            // frame where it did.
            dup_ack = Some((before.lastnondupack, before.dupacks + 1));
        }
        if let Some((frame, n)) = dup_ack {
            let _ = write!(s, "[TCP Dup ACK {frame}#{n}] ");
        }
        if t.window == 0 && plain {
            s.push_str("[TCP ZeroWindow] ");
        }
        let mut after = before;
        match dup_ack {
            Some((_, n)) => after.dupacks = n,
            None if before.lastack != Some(ack) => {
                after.lastnondupack = number;
                after.dupacks = 0;
            }
            None => {}
        }
        let next = seq.wrapping_add(space);
        if after
            .nextseq
            .is_none_or(|n| (next.wrapping_sub(n) as i32) > 0)
        {
            after.nextseq = Some(next);
        }
        after.window = Some(window);
        after.lastack = Some(ack);
        after.lastack_time = time;
        after.keep_alive = keep_alive;
        self.acks.insert((mac, src, dst), after);
        self.latest.insert((src, dst), after);

        let _ = write!(s, "{} → {} [{}]", t.src_port, t.dst_port, flag_names(t));
        let rel = |n: u32, base: Option<u32>| n.wrapping_sub(base.unwrap_or(0));
        let _ = write!(s, " Seq={}", rel(seq, me.isn));
        if t.flags.ack() {
            let _ = write!(s, " Ack={}", rel(t.ack.value(), peer.isn));
        }
        let _ = write!(s, " Win={window}");
        if t.flags.urg() {
            let _ = write!(s, " Urg={}", t.urgent);
        }
        let _ = write!(s, " Len={}", t.payload.len());
        let o = &t.options;
        if let Some(mss) = o.mss {
            let _ = write!(s, " MSS={mss}");
        }
        // Wireshark's order: MSS, SACK_PERM, TSval/TSecr, WS.
        if o.sack_permitted {
            s.push_str(" SACK_PERM");
        }
        if let Some((val, ecr)) = o.timestamps {
            let _ = write!(s, " TSval={val} TSecr={ecr}");
        }
        // SACK blocks as Wireshark's Info shows them, relative to the data sender's ISN.
        for &(le, re) in o.sack_blocks.as_slice() {
            let _ = write!(
                s,
                " SLE={} SRE={}",
                rel(le.value(), peer.isn),
                rel(re.value(), peer.isn)
            );
        }
        if let Some(shift) = o.window_scale {
            let _ = write!(s, " WS={}", 1u32 << shift);
        }
        let printable = |b: &u8| matches!(b, 0x20..=0x7e | b'\n' | b'\r' | b'\t');
        if !t.payload.is_empty() && t.payload.iter().all(printable) {
            let _ = write!(s, " {}", describe::quoted_preview(t.payload, 24));
        }
        s
    }
}

/// Wireshark's names of the flags set, lowest bit first: `SYN, ACK`.
fn flag_names(t: &TcpRepr) -> String {
    const NAMES: [&str; 8] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
    let bits = t.flags.bits();
    let names: Vec<&str> = (0..8)
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| NAMES[i])
        .collect();
    if names.is_empty() {
        "<None>".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ethernet::Frame;
    use crate::ip::IpProtocol;
    use crate::tcp::{TcpFlags, TcpOptions};
    use std::net::Ipv4Addr;

    #[test]
    fn labels_leave_out_the_addresses() {
        let repr = ethernet::EthernetRepr {
            src: ethernet::default_mac(1),
            dst: ethernet::default_mac(2),
            ethertype: ethernet::ethertype::EXPERIMENTAL,
        };
        let with = |repr: ethernet::EthernetRepr| ethernet::frame_with_payload(&repr, b"hi");
        assert_eq!(label(&with(repr)), "raw \"hi\"");
        let to_all = ethernet::EthernetRepr {
            dst: MacAddr::broadcast(),
            ..repr
        };
        assert_eq!(label(&with(to_all)), "broadcast raw \"hi\"");
        let unknown = ethernet::EthernetRepr {
            ethertype: 0x1234,
            ..repr
        };
        assert_eq!(label(&with(unknown)), "ethertype 0x1234, 64 bytes");
    }

    /// A TCP segment from 10.0.0.1:1000 (MAC 1) to 10.0.0.2:80 (MAC 2), or back with `back`.
    fn seg(
        back: bool,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        win: u16,
        opts: TcpOptions,
        data: &[u8],
    ) -> Frame {
        use crate::tcp::SeqNumber;
        let (a, b) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let (src, dst, sport, dport, smac, dmac) = if back {
            (b, a, 80, 1000, 2, 1)
        } else {
            (a, b, 1000, 80, 1, 2)
        };
        let t = TcpRepr {
            src_port: sport,
            dst_port: dport,
            seq: SeqNumber(seq),
            ack: SeqNumber(ack),
            flags,
            window: win,
            urgent: 0,
            options: opts,
            payload: data,
        };
        let mut tcp = vec![0; t.buffer_len()];
        t.emit(&mut tcp, src, dst).unwrap();
        let ip = Ipv4Repr::new(src, dst, IpProtocol::Tcp, tcp.len()).to_bytes(&tcp);
        let eth = ethernet::EthernetRepr {
            src: ethernet::default_mac(smac),
            dst: ethernet::default_mac(dmac),
            ethertype: ethernet::ethertype::IPV4,
        };
        ethernet::frame_with_payload(&eth, &ip)
    }

    #[test]
    fn tcp_labels_read_like_wiresharks_info_column() {
        let syn_opts = TcpOptions {
            mss: Some(1460),
            window_scale: Some(2),
            ..TcpOptions::NONE
        };
        let (ack, psh, fin) = (TcpFlags::ACK, TcpFlags::PSH, TcpFlags::FIN);
        let frames = [
            seg(false, 4000, 0, TcpFlags::SYN, 65535, syn_opts, b""),
            seg(true, 9000, 4001, TcpFlags::SYN | ack, 65535, syn_opts, b""),
            seg(false, 4001, 9001, ack, 32768, TcpOptions::NONE, b""),
            seg(
                false,
                4001,
                9001,
                psh | ack,
                32768,
                TcpOptions::NONE,
                b"hello",
            ),
            seg(
                false,
                4001,
                9001,
                psh | ack,
                32768,
                TcpOptions::NONE,
                b"hello",
            ),
            seg(true, 9001, 4006, ack, 0, TcpOptions::NONE, b""),
            seg(false, 4005, 9001, ack, 32768, TcpOptions::NONE, b""),
            seg(
                true,
                9001,
                4006,
                fin | ack,
                100,
                TcpOptions::NONE,
                b"\x00\x01",
            ),
        ];
        let mut l = Labeller::default();
        let labels: Vec<String> = frames.iter().map(|f| l.label(f)).collect();
        assert_eq!(
            labels,
            [
                "1000 → 80 [SYN] Seq=0 Win=65535 Len=0 MSS=1460 WS=4",
                "80 → 1000 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0 MSS=1460 WS=4",
                "1000 → 80 [ACK] Seq=1 Ack=1 Win=131072 Len=0",
                "1000 → 80 [PSH, ACK] Seq=1 Ack=1 Win=131072 Len=5 \"hello\"",
                "[TCP Retransmission] 1000 → 80 [PSH, ACK] Seq=1 Ack=1 Win=131072 Len=5 \"hello\"",
                "[TCP ZeroWindow] 80 → 1000 [ACK] Seq=1 Ack=6 Win=0 Len=0",
                "[TCP Keep-Alive] 1000 → 80 [ACK] Seq=5 Ack=1 Win=131072 Len=0",
                "80 → 1000 [FIN, ACK] Seq=1 Ack=6 Win=400 Len=2",
            ]
        );
        // Alone, a segment has nothing to be relative to.
        assert_eq!(
            label(&frames[3]),
            "1000 → 80 [PSH, ACK] Seq=4001 Ack=9001 Win=32768 Len=5 \"hello\""
        );
        // A new connection on the same ports starts the numbering again.
        let again = seg(false, 7000, 0, TcpFlags::SYN, 65535, TcpOptions::NONE, b"");
        assert_eq!(l.label(&again), "1000 → 80 [SYN] Seq=0 Win=65535 Len=0");
        let data = seg(false, 7001, 0, psh, 512, TcpOptions::NONE, b"x");
        assert_eq!(l.label(&data), "1000 → 80 [PSH] Seq=1 Win=512 Len=1 \"x\"");
    }

    /// Wireshark's duplicate ACKs (same ACK, window and sequence number, no data: numbered
    /// since the ACK last changed, citing that frame) and fast retransmission (a resend of
    /// what two or more of them asked for, within 20 ms of the last).
    #[test]
    fn dup_acks_and_a_fast_retransmission() {
        let none = TcpOptions::NONE;
        let ack = TcpFlags::ACK;
        let ms = |m: u64| Instant::ZERO + crate::time::Duration::from_millis(m);
        let frames = [
            (1, seg(false, 4000, 0, TcpFlags::SYN, 65535, none, b"")),
            (
                2,
                seg(true, 9000, 4001, TcpFlags::SYN | ack, 65535, none, b""),
            ),
            (3, seg(false, 4001, 9001, ack, 65535, none, b"aaaa")),
            (4, seg(false, 4005, 9001, ack, 65535, none, b"bbbb")),
            (5, seg(false, 4009, 9001, ack, 65535, none, b"cccc")),
            (6, seg(true, 9001, 4005, ack, 65535, none, b"")),
            (7, seg(true, 9001, 4005, ack, 65535, none, b"")),
            (8, seg(true, 9001, 4005, ack, 65000, none, b"")), // window changed: not a dup
            (9, seg(true, 9001, 4005, ack, 65000, none, b"")),
            (10, seg(true, 9001, 4005, ack, 65000, none, b"")),
            (11, seg(false, 4005, 9001, ack, 65535, none, b"bbbb")),
            (12, seg(true, 9001, 4013, ack, 65535, none, b"")),
            // Wireshark calls any repeat of a side's last ACK a duplicate, data outstanding or
            // not: the client's ACK 9001 was last new in frame 3.
            (13, seg(false, 4013, 9001, ack, 65535, none, b"")),
        ];
        let mut l = Labeller::default();
        let got: Vec<String> = frames
            .iter()
            .map(|(n, f)| l.label_at(f, *n, ms(*n)))
            .collect();
        let mark = |i: usize| got[i].split("80 →").next().unwrap().trim().to_string();
        assert_eq!(mark(5), "");
        assert_eq!(mark(6), "[TCP Dup ACK 6#1]");
        assert_eq!(mark(7), "");
        assert_eq!(mark(8), "[TCP Dup ACK 6#2]");
        assert_eq!(mark(9), "[TCP Dup ACK 6#3]");
        assert!(
            got[10].starts_with("[TCP Fast Retransmission] 1000 → 80"),
            "{}",
            got[10]
        );
        assert!(!got[11].starts_with('['), "{}", got[11]);
        assert!(
            got[12].starts_with("[TCP Dup ACK 3#1] 1000 → 80"),
            "{}",
            got[12]
        );
        // Later than 20 ms after the last duplicate, a resend is an ordinary retransmission.
        let mut l = Labeller::default();
        for (n, f) in &frames[..10] {
            l.label_at(f, *n, ms(*n));
        }
        let late = l.label_at(&frames[10].1, 11, ms(40));
        assert!(late.starts_with("[TCP Retransmission] "), "{late}");
    }
}
