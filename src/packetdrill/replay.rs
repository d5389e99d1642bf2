//! `netlab replay`: one TCP conversation of a real capture, replayed against netlab.
//!
//! The conversation becomes a packetdrill script: the other side's segments are inbound
//! lines at their captured times, the captured side's segments outbound lines to compare, and
//! the captured side's application is inferred from what it sent (connect at its SYN, listen
//! before the peer's SYN and accept after the handshake, a write before the first segment of
//! each burst of new data (`inferred_writes`), close before its FIN or with the last write
//! (`inferred_close`), a read of every segment of data that arrives;
//! fds are non-blocking so an inferred call never stalls the replay). The script runs with
//! packetdrill's `--non_fatal`: every outbound line is judged and the replay goes on.
//! Sequence numbers are relative to each side's ISN, as packetdrill writes them.

use super::ast::TcpOpt;
use super::pcapread::Packet;
use super::run::{self, Outcome};
use super::wire::{flags_text, parse_tcp, OptsText, Seg};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};

/// A TCP conversation: its two ends and its segments in capture order.
#[derive(Clone, Debug)]
pub struct Conversation {
    pub client: SocketAddrV4,
    pub server: SocketAddrV4,
    /// (time in ns, sent by the client, segment with its true payload length)
    pub segs: Vec<(u64, bool, Seg)>,
    /// Each segment's packet number in the capture file (1-based, as Wireshark counts).
    pub numbers: Vec<usize>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// The TCP conversations of a capture, in order of their first packet. The client is the
/// sender of the first SYN without ACK (else of the first packet).
pub fn conversations(pkts: &[Packet]) -> Vec<Conversation> {
    let mut out: Vec<Conversation> = Vec::new();
    let mut index: BTreeMap<(SocketAddrV4, SocketAddrV4), usize> = BTreeMap::new();
    for p in pkts {
        let ip = &p.ip;
        if ip.len() < 20 || ip[9] != 6 {
            continue;
        }
        let ihl = (ip[0] & 0x0f) as usize * 4;
        let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
        let Some(tcp) = ip.get(ihl..) else { continue };
        // A capture cut at its snap length still says how long the segment was.
        let mut head = tcp.to_vec();
        let Some(&off) = head.get(12) else { continue };
        let hlen = (off >> 4) as usize * 4;
        if head.len() < hlen {
            continue;
        }
        head.truncate(hlen);
        let Ok(mut seg) = parse_tcp(&head) else {
            continue;
        };
        seg.payload_len = total.saturating_sub(ihl + hlen) as u32;
        let src = SocketAddrV4::new(Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]), seg.src_port);
        let dst = SocketAddrV4::new(Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]), seg.dst_port);
        let key = if src < dst { (src, dst) } else { (dst, src) };
        let i = *index.entry(key).or_insert_with(|| {
            let syn_only = seg.flags & 0x12 == 0x02;
            let (client, server) = if syn_only || seg.flags & 0x02 == 0 {
                (src, dst)
            } else {
                (dst, src)
            };
            out.push(Conversation {
                client,
                server,
                segs: Vec::new(),
                numbers: Vec::new(),
            });
            out.len() - 1
        });
        let from_client = src == out[i].client;
        out[i].segs.push((p.time_ns, from_client, seg));
        out[i].numbers.push(p.number);
    }
    out
}

/// Which of the conversation's segments the side netlab plays never received, as its own
/// acknowledgments show: a segment of data (or a FIN) from the other side that no ACK or SACK
/// block of the replayed side covers before the other side sends those bytes again. A
/// capture is taken at one point of the path; a loss beyond it (the shared anchors' 5 % loss
/// is dropped on arrival at the server, their captures are taken at the client) leaves a
/// segment in the capture that the receiver never saw. Injecting it would make netlab
/// acknowledge data Linux never had. A segment never sent again is kept: nothing shows it
/// was lost.
pub fn lost_beyond_capture(c: &Conversation, side: Side) -> Vec<bool> {
    let ours_is_client = side == Side::Client;
    let after_or_at = |a: u32, b: u32| a.wrapping_sub(b) as i32 >= 0;
    let mut lost = vec![false; c.segs.len()];
    for (i, (_, from_client, seg)) in c.segs.iter().enumerate() {
        let theirs = *from_client != ours_is_client;
        let len = seg.payload_len + u32::from(seg.flags & 0x01 != 0);
        if !theirs || len == 0 {
            continue;
        }
        let (start, end) = (seg.seq, seg.seq.wrapping_add(len));
        let overlaps = |s: &Seg| {
            let l = s.payload_len + u32::from(s.flags & 0x01 != 0);
            l > 0
                && after_or_at(s.seq.wrapping_add(l), start.wrapping_add(1))
                && after_or_at(end.wrapping_sub(1), s.seq)
        };
        let covers = |s: &Seg| {
            (s.flags & 0x10 != 0 && after_or_at(s.ack, end))
                || s.options.iter().any(|o| match o {
                    TcpOpt::Sack(blocks) => blocks
                        .iter()
                        .any(|&(a, z)| after_or_at(start, a) && after_or_at(z, end)),
                    _ => false,
                })
        };
        let mut again = false;
        let mut acked = false;
        for (_, fc, s) in &c.segs[i + 1..] {
            if *fc == *from_client {
                if overlaps(s) {
                    again = true;
                    break;
                }
            } else if covers(s) {
                acked = true;
                break;
            }
        }
        // A D-SACK of those bytes (a block below the cumulative ACK, RFC 2883) says they
        // arrived twice: the first copy was only acknowledged late (a delayed ACK outwaited
        // by a tail-loss probe), not lost.
        let reported_twice = || {
            c.segs[i + 1..].iter().any(|(_, fc, s)| {
                *fc != *from_client
                    && s.options.iter().any(|o| match o {
                        TcpOpt::Sack(blocks) => blocks.first().is_some_and(|&(a, z)| {
                            after_or_at(s.ack, z) && after_or_at(start, a) && after_or_at(z, end)
                        }),
                        _ => false,
                    })
            })
        };
        lost[i] = again && !acked && !reported_twice();
    }
    lost
}

/// The writes of the replayed side's application, inferred from the new data it sent: the
/// index of the segment each write goes before, and its length. New data joins the write
/// before it while the other side has sent no data since and the stack was holding that
/// write's data back: some of it was not acknowledged yet (congestion or receive window,
/// Nagle), or what was sent had reached the edge of the window the other side offered (a
/// small or zero window that each ACK reopens), as after one large write. New data sent after
/// everything before it was acknowledged with room to spare, or after the application could
/// have read something, starts a write of its own. One write per segment instead would end
/// every segment a write, and Linux marks a write's last segment PSH (see
/// docs/linux-observations.md).
pub fn inferred_writes(c: &Conversation, side: Side) -> BTreeMap<usize, u32> {
    let ours_is_client = side == Side::Client;
    let syn_of = |client: bool| {
        c.segs
            .iter()
            .find(|(_, fc, s)| *fc == client && s.flags & 0x02 != 0)
            .map(|(_, _, s)| s)
    };
    let my_isn = syn_of(ours_is_client).map_or(0, |s| s.seq);
    // Windows on segments other than SYNs are scaled by the shift the peer's SYN announced
    // (RFC 7323 §2.2), if both SYNs carried one.
    let wscale = |s: Option<&Seg>| {
        s.and_then(|s| {
            s.options.iter().find_map(|o| match o {
                TcpOpt::Wscale(w) => Some(u32::from(*w).min(14)),
                _ => None,
            })
        })
    };
    let peer_shift = match (
        wscale(syn_of(ours_is_client)),
        wscale(syn_of(!ours_is_client)),
    ) {
        (Some(_), Some(theirs)) => theirs,
        _ => 0,
    };
    let after = |a: u32, b: u32| a.wrapping_sub(b) as i32 > 0;
    let mut writes: BTreeMap<usize, u32> = BTreeMap::new();
    let mut open: Option<usize> = None;
    // Relative to our ISN: the end of the new data sent, the peer's highest ACK, the right
    // edge of the window it offered last, and whether the last new data reached that edge.
    let mut max_sent: u32 = 1;
    let mut acked: u32 = 1;
    let mut edge: u32 = 1;
    let mut filled = false;
    for (k, (_, from_client, seg)) in c.segs.iter().enumerate() {
        let rel = seg.seq.wrapping_sub(my_isn);
        if *from_client != ours_is_client {
            if seg.flags & 0x10 != 0 {
                let ack = seg.ack.wrapping_sub(my_isn);
                let shift = if seg.flags & 0x02 != 0 { 0 } else { peer_shift };
                edge = ack.wrapping_add(u32::from(seg.window) << shift);
                if after(ack, acked) {
                    acked = ack;
                }
            }
            if seg.payload_len > 0 || seg.flags & 0x01 != 0 {
                open = None;
            }
            continue;
        }
        // Data on a SYN (Fast Open) starts after the SYN's sequence number.
        let start = rel.wrapping_add(u32::from(seg.flags & 0x02 != 0));
        let end = start.wrapping_add(seg.payload_len);
        if seg.payload_len == 0 || !after(end, max_sent) {
            continue;
        }
        let new = end.wrapping_sub(if after(start, max_sent) {
            start
        } else {
            max_sent
        });
        match open {
            Some(w) if after(max_sent, acked) || filled => *writes.entry(w).or_default() += new,
            _ => {
                writes.insert(k, new);
                open = Some(k);
            }
        }
        max_sent = end;
        filled = !after(edge, end);
    }
    writes
}

/// Where the replayed side's application closed: the segment its `close` goes before. A FIN
/// on its own was sent when the application closed; a FIN riding on data means the close came
/// before that data left, so the close goes with the last write (an application that writes
/// and closes at once, as the anchors' `sendall` and `close`, while the windows still hold the
/// data back).
pub fn inferred_close(
    c: &Conversation,
    side: Side,
    writes: &BTreeMap<usize, u32>,
) -> Option<usize> {
    let ours_is_client = side == Side::Client;
    let (k, (_, _, fin)) = c
        .segs
        .iter()
        .enumerate()
        .find(|(_, (_, fc, s))| *fc == ours_is_client && s.flags & 0x01 != 0)?;
    if fin.payload_len == 0 {
        return Some(k);
    }
    Some(writes.range(..=k).next_back().map_or(k, |(&w, _)| w))
}

/// How far a packet's timestamp may lie before the one captured ahead of it. A capture taken
/// on several queues or CPUs (multi-queue NICs, `any` on several interfaces) stamps each
/// packet where it was seen, and merges them in an order that can disagree with those stamps
/// by some microseconds. Such a packet is replayed at its predecessor's time: the capture's
/// order is kept (the inferred calls depend on it) and the shift is far below the replay's
/// tolerance (packetdrill's 4 ms). A larger step back is not jitter but a broken or edited
/// capture, and an error.
const MAX_BACKWARDS_NS: u64 = 1_000_000;

/// Each segment's time in ns since the conversation's first, with small steps back (see
/// `MAX_BACKWARDS_NS`) evened out; an error names the capture's packet and what is wrong.
fn relative_times(c: &Conversation, title: &str) -> Result<Vec<u64>, String> {
    let number = |k: usize| c.numbers.get(k).copied().unwrap_or(k + 1);
    let Some(&(t0, _, _)) = c.segs.first() else {
        return Ok(Vec::new());
    };
    let max_ns = super::parse::MAX_TIME_US * 1000;
    let mut out = Vec::with_capacity(c.segs.len());
    let mut prev = t0;
    for (k, (t, _, _)) in c.segs.iter().enumerate() {
        let t = if *t < prev {
            let back = prev - t;
            if back > MAX_BACKWARDS_NS {
                return Err(format!(
                    "{title}: packet {} is stamped {} s before packet {}, which the capture \
                     holds ahead of it; a replay takes timestamps that step back by at most \
                     {} ms (as a multi-queue capture's can)",
                    number(k),
                    secs_exact(back),
                    number(k - 1),
                    MAX_BACKWARDS_NS / 1_000_000
                ));
            }
            prev
        } else {
            *t
        };
        if t - t0 > max_ns {
            return Err(format!(
                "{title}: packet {} is stamped {} s after the conversation's first packet \
                 (packet {}); a replay spans at most {} s",
                number(k),
                secs_exact(t - t0),
                number(0),
                super::parse::MAX_TIME_US / 1_000_000
            ));
        }
        out.push(t - t0);
        prev = t;
    }
    Ok(out)
}

/// `ns` in seconds with all nine decimals (a timestamp difference as the capture holds it).
fn secs_exact(ns: u64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

fn secs(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1000)
}

/// The conversation as a packetdrill script, netlab playing `side`. Also returns, for each
/// outbound line, its line number and the capture's packet number (1-based, in the conversation).
pub fn to_script(
    c: &Conversation,
    side: Side,
    title: &str,
) -> Result<(String, Vec<(u32, usize)>), String> {
    to_script_with(c, side, title, &CaptureHost::default())
}

/// What the captured host had set that its capture does not show.
#[derive(Clone, Debug, Default)]
pub struct CaptureHost {
    /// Kernel settings that differ from the `linux` profile's defaults
    /// (`tcp_syn_linear_timeouts=0`…): the script's init command, which the runner maps to
    /// netlab's settings as for any packetdrill script.
    pub sysctls: Vec<String>,
    /// `SO_RCVBUF` the captured application set before it connected or listened; a capture
    /// shows only its effect (a small window, window scale 0).
    pub rcvbuf: Option<u32>,
}

/// `to_script` for a capture host whose settings differ from the `linux` profile's defaults.
pub fn to_script_with(
    c: &Conversation,
    side: Side,
    title: &str,
    host: &CaptureHost,
) -> Result<(String, Vec<(u32, usize)>), String> {
    let sysctls = &host.sysctls;
    if c.segs.is_empty() {
        return Err("the conversation has no segments".to_string());
    }
    let times = relative_times(c, title)?;
    let isn_of = |client: bool| {
        c.segs
            .iter()
            .find(|(_, fc, s)| *fc == client && s.flags & 0x02 != 0)
            .map(|(_, _, s)| s.seq)
    };
    let client_isn = isn_of(true).ok_or(
        "the conversation does not start with the client's SYN (capture it from the start)",
    )?;
    let server_isn = isn_of(false);
    let ours_is_client = side == Side::Client;
    let (ours, theirs) = if ours_is_client {
        (c.client, c.server)
    } else {
        (c.server, c.client)
    };
    let mut s = String::new();
    let _ = writeln!(s, "// {title}");
    let _ = writeln!(
        s,
        "// netlab plays the {} {ours}; the script injects what {theirs} sent.",
        if ours_is_client { "client" } else { "server" }
    );
    let _ = writeln!(
        s,
        "// Written by `netlab replay --emit-pkt`; system calls are inferred from what was sent."
    );
    let port = c.server.port();
    if ours_is_client {
        let _ = writeln!(s, "--connect_port={port}");
    } else {
        let _ = writeln!(s, "--bind_port={port}");
    }
    let mut lines: Vec<String> = Vec::new();
    let mut outbound = Vec::new();
    let fd = if ours_is_client { 3 } else { 4 };
    let line_no = |lines: &Vec<String>, s: &str| (s.lines().count() + lines.len() + 1) as u32;
    if !sysctls.is_empty() {
        let knobs: Vec<String> = sysctls.iter().map(|k| sysctl_word(k)).collect();
        let _ = writeln!(s, "`sysctl -q {}`", knobs.join(" "));
    }
    let header = s.clone();
    let mut established = false;
    let writes = inferred_writes(c, side);
    let close_at = inferred_close(c, side, &writes);
    let server_answers = c
        .segs
        .iter()
        .any(|(_, fc, sg)| !*fc && sg.flags & 0x12 == 0x12);
    if ours_is_client {
        lines.push(format!(
            "{} socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
            secs(0)
        ));
        if let Some(n) = host.rcvbuf {
            lines.push(format!(
                "{} setsockopt(3, SOL_SOCKET, SO_RCVBUF, [{n}], 4) = 0",
                secs(0)
            ));
        }
        lines.push(format!(
            "{} fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0",
            secs(0)
        ));
    } else if server_answers {
        lines.push(format!(
            "{} socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
            secs(0)
        ));
        lines.push(format!(
            "{} setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
            secs(0)
        ));
        if let Some(n) = host.rcvbuf {
            lines.push(format!(
                "{} setsockopt(3, SOL_SOCKET, SO_RCVBUF, [{n}], 4) = 0",
                secs(0)
            ));
        }
        lines.push(format!("{} bind(3, ..., ...) = 0", secs(0)));
        lines.push(format!("{} listen(3, 1) = 0", secs(0)));
    }
    let lost = lost_beyond_capture(c, side);
    for (k, (_, from_client, seg)) in c.segs.iter().enumerate() {
        let t = secs(times[k]);
        let mine = *from_client == ours_is_client;
        let (my_isn, peer_isn) = if *from_client {
            (client_isn, server_isn.unwrap_or(0))
        } else {
            (server_isn.unwrap_or(0), client_isn)
        };
        let rel = seg.seq.wrapping_sub(my_isn);
        let syn = seg.flags & 0x02 != 0;
        if mine {
            if syn && ours_is_client && seg.flags & 0x10 == 0 && k == 0 {
                lines.push(format!(
                    "{t} connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)"
                ));
            }
            if let Some(&n) = writes.get(&k) {
                lines.push(format!("{t} write({fd}, ..., {n}) = {n}"));
            }
            if close_at == Some(k) {
                lines.push(format!("{t} close({fd}) = 0"));
            }
        }
        let mut l = format!(
            "{t} {} {} {}:{}({})",
            if mine { ">" } else { "<" },
            flags_text(seg.flags),
            rel,
            rel.wrapping_add(seg.payload_len),
            seg.payload_len
        );
        if seg.flags & 0x10 != 0 {
            let _ = write!(l, " ack {}", seg.ack.wrapping_sub(peer_isn));
        }
        let _ = write!(l, " win {}", seg.window);
        if !seg.options.is_empty() {
            let opts: Vec<TcpOpt> = seg
                .options
                .iter()
                .map(|o| match o {
                    // SACK blocks are in the other side's sequence space.
                    TcpOpt::Sack(b) => TcpOpt::Sack(
                        b.iter()
                            .map(|(a, z)| (a.wrapping_sub(peer_isn), z.wrapping_sub(peer_isn)))
                            .collect(),
                    ),
                    o => o.clone(),
                })
                .collect();
            if opts.iter().any(|o| matches!(o, TcpOpt::Unsupported(_))) {
                l += " <...>";
            } else {
                let _ = write!(l, " <{}>", OptsText(&opts));
            }
        }
        if mine {
            outbound.push((line_no(&lines, &header), k + 1));
        }
        if lost[k] {
            lines.push(format!(
                "// lost beyond the capture point (never acknowledged before it was sent again): {l}"
            ));
            continue;
        }
        lines.push(l);
        if !mine {
            if !ours_is_client && !established && seg.flags & 0x12 == 0x10 && server_answers {
                established = true;
                lines.push(format!("{t} accept(3, ..., ...) = 4"));
                lines.push(format!("{t} fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0"));
            }
            if seg.payload_len > 0 {
                lines.push(format!("{t} read({fd}, ..., {0}) = {0}", seg.payload_len));
            }
        }
    }
    s += &lines.join("\n");
    s.push('\n');
    Ok((s, outbound))
}

/// A replay's report: per captured segment of the replayed side, whether netlab agreed.
pub struct ReplayReport {
    pub text: String,
    pub agreed: usize,
    pub differed: usize,
}

/// `net.ipv4.KNOB=VALUE` for `KNOB=VALUE` or `net.ipv4.KNOB=VALUE`.
fn sysctl_word(k: &str) -> String {
    if k.starts_with("net.") {
        k.to_string()
    } else {
        format!("net.ipv4.{k}")
    }
}

/// Checks `--sysctl` settings against the knobs netlab maps: the error names the first one
/// it does not know.
pub fn check_sysctls(sysctls: &[String]) -> Result<(), String> {
    for k in sysctls {
        let cmd = format!("sysctl -q {}", sysctl_word(k));
        super::init::apply_init(&mut super::init::RunConfig::default(), &cmd)?;
    }
    Ok(())
}

/// Replays `c` against netlab playing `side`.
pub fn replay(
    c: &Conversation,
    side: Side,
    title: &str,
) -> Result<(ReplayReport, Outcome, String), String> {
    replay_with(c, side, title, &CaptureHost::default())
}

/// `replay` with what the capture host had set (see `to_script_with`).
pub fn replay_with(
    c: &Conversation,
    side: Side,
    title: &str,
    host: &CaptureHost,
) -> Result<(ReplayReport, Outcome, String), String> {
    let (script, outbound) = to_script_with(c, side, title, host)?;
    let cli = vec![("non_fatal".to_string(), None)];
    let out = run::run_source_with(&script, &cli, &BTreeMap::new(), None, |cfg| {
        cfg.app_io_backlog = true;
    });
    if let run::Verdict::Fail(f) = &out.verdict {
        return Err(format!(
            "the replay stopped at script line {}: {}",
            f.pos, f.msg
        ));
    }
    let lines: Vec<&str> = script.lines().collect();
    let mut text = String::new();
    let (mut agreed, mut differed) = (0, 0);
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (line, pkt) in &outbound {
        let written = lines.get(*line as usize - 1).copied().unwrap_or("").trim();
        let diff = out.diffs.iter().find(|d| d.pos.line == *line);
        match diff {
            None if out.matched.iter().any(|(p, _)| p.line == *line) => {
                agreed += 1;
                let _ = writeln!(text, "  #{pkt:<4} {written}\n        same");
            }
            None => {
                differed += 1;
                let _ = writeln!(
                    text,
                    "  #{pkt:<4} {written}\n        not judged (the replay stopped before it)"
                );
            }
            Some(d) => {
                differed += 1;
                let first = d.msg.lines().next().unwrap_or("");
                let kind_of = |part: &str| {
                    if part.contains("Timed out") {
                        "missing (netlab sent nothing then)"
                    } else if part.contains("timing") {
                        "timing"
                    } else if part.contains("option") {
                        "options"
                    } else if part.contains("win ") {
                        "window"
                    } else if part.contains("flags") {
                        "flags"
                    } else if part.contains("seq") || part.contains("ack") || part.contains("bytes")
                    {
                        "sequence/ack/length"
                    } else {
                        "other"
                    }
                };
                let mut found: Vec<&'static str> = first.split("; ").map(kind_of).collect();
                found.dedup();
                for k in &found {
                    *kinds.entry(k).or_default() += 1;
                }
                let kind = found.join(", ");
                let netlab = d
                    .msg
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("actual:"))
                    .map(str::trim);
                let _ = writeln!(
                    text,
                    "  #{pkt:<4} {written}\n        differs ({kind}): {first}"
                );
                if let Some(n) = netlab {
                    let _ = writeln!(text, "        netlab: {n}");
                }
            }
        }
    }
    let others: Vec<String> = out
        .diffs
        .iter()
        .filter(|d| !outbound.iter().any(|(l, _)| *l == d.pos.line))
        .map(|d| {
            format!(
                "  script line {}: {}",
                d.pos,
                d.msg.lines().next().unwrap_or("")
            )
        })
        .collect();
    let mut summary = format!(
        "{} of {} segments agree with the capture",
        agreed,
        agreed + differed
    );
    if !kinds.is_empty() {
        let k: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        let _ = write!(summary, "; differences: {}", k.join(", "));
    }
    if out.io_waited > 0 {
        let _ = write!(
            summary,
            "; {} inferred reads/writes waited for netlab",
            out.io_waited
        );
    }
    if !others.is_empty() {
        let _ = write!(
            summary,
            "\n  other events that differed:\n{}",
            others.join("\n")
        );
    }
    if let run::Verdict::Unsupported { reason, .. } = &out.verdict {
        let _ = write!(summary, "\n  the replay stopped: {reason}");
    }
    text = format!("{text}{summary}\n");
    Ok((
        ReplayReport {
            text,
            agreed,
            differed,
        },
        out,
        script,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, ack: u32, len: u32, sack: &[(u32, u32)]) -> Seg {
        Seg {
            src_port: 1,
            dst_port: 2,
            seq,
            ack,
            flags: 0x10,
            window: 100,
            urgent: 0,
            options: if sack.is_empty() {
                Vec::new()
            } else {
                vec![TcpOpt::Sack(sack.to_vec())]
            },
            payload_len: len,
        }
    }

    fn flagged(mut s: Seg, flags: u8) -> Seg {
        s.flags = flags;
        s
    }

    fn conversation(segs: Vec<(u64, bool, Seg)>) -> Conversation {
        Conversation {
            client: "10.0.0.1:1".parse().unwrap(),
            server: "10.0.0.2:2".parse().unwrap(),
            numbers: (1..=segs.len()).collect(),
            segs,
        }
    }

    /// A handshake at 1000 s since the epoch, the third segment at `third` ns.
    fn handshake_at(third: u64) -> Conversation {
        let s = 1_000_000_000_000;
        let mut c = conversation(vec![
            (s, true, flagged(seg(0, 0, 0, &[]), 0x02)),
            (s + 1_000_000, false, flagged(seg(500, 1, 0, &[]), 0x12)),
            (third, true, seg(1, 501, 0, &[])),
        ]);
        // Packets 2, 7 and 9 of the capture (others were not this conversation's).
        c.numbers = vec![2, 7, 9];
        c
    }

    /// A timestamp before the first packet's (a flipped or zeroed timestamp) or a jump past
    /// a day is an error naming the capture's packet, not an overflow or an error in the
    /// generated script; a step back within a millisecond (multi-queue capture) is replayed
    /// at its predecessor's time.
    #[test]
    fn timestamps_that_go_back_or_jump_are_located_errors() {
        let s = 1_000_000_000_000;
        let e = to_script(&handshake_at(0), Side::Client, "x.pcap conversation 1").unwrap_err();
        assert!(
            e.starts_with(
                "x.pcap conversation 1: packet 9 is stamped 1000.001000000 s before packet 7"
            ),
            "{e}"
        );
        let e = to_script(
            &handshake_at(s + 86_401_000_000_000),
            Side::Client,
            "x.pcap",
        )
        .unwrap_err();
        assert!(
            e.starts_with("x.pcap: packet 9 is stamped 86401.000000000 s after the conversation's first packet (packet 2); a replay spans at most 86400 s"),
            "{e}"
        );
        let (script, _) = to_script(&handshake_at(s + 600_000), Side::Client, "x").unwrap();
        assert!(script.contains("0.001000 > . 1:1(0) ack 1"), "{script}");
        assert!(to_script(&handshake_at(s + 1), Side::Client, "x").is_ok());
    }

    /// New data joins the write before it while that write is not all acknowledged and the
    /// peer has sent no data since; after a full ACK, or once the peer has sent data, the
    /// application wrote again.
    #[test]
    fn writes_are_inferred_per_burst_of_new_data() {
        let mut c = conversation(vec![
            (0, true, flagged(seg(0, 0, 0, &[]), 0x02)),
            (1, false, flagged(seg(500, 1, 0, &[]), 0x12)),
            (2, true, seg(1, 501, 0, &[])),
            (3, true, seg(1, 501, 1000, &[])),
            (4, true, seg(1001, 501, 1000, &[])),
            // Sent again (not new): no write.
            (5, true, seg(1, 501, 1000, &[])),
            (6, false, seg(501, 2001, 0, &[])),
            (7, true, seg(2001, 501, 100, &[])),
            (8, true, seg(2101, 501, 100, &[])),
            (9, false, seg(501, 2101, 10, &[])),
            (10, true, seg(2201, 511, 100, &[])),
        ]);
        for (_, _, s) in &mut c.segs {
            s.window = 60_000;
        }
        let writes: Vec<(usize, u32)> = inferred_writes(&c, Side::Client).into_iter().collect();
        assert_eq!(writes, vec![(3, 2000), (7, 200), (10, 100)]);
        // A peer window of 2000 that the first two segments fill: after its ACK, the next
        // data is the same write, held back by the window, not a new one.
        let mut small = c.clone();
        for (_, from_client, s) in &mut small.segs {
            if !*from_client {
                s.window = 2000;
            }
        }
        let writes: Vec<(usize, u32)> = inferred_writes(&small, Side::Client).into_iter().collect();
        assert_eq!(writes, vec![(3, 2200), (10, 100)]);
        // The server wrote its 10 bytes in one write.
        let writes: Vec<(usize, u32)> = inferred_writes(&c, Side::Server).into_iter().collect();
        assert_eq!(writes, vec![(9, 10)]);
    }

    /// A FIN on its own: the application closed then. A FIN on the last data: it closed
    /// before that data left, so with its last write.
    #[test]
    fn the_close_goes_with_the_last_write_when_the_fin_rides_on_data() {
        let opening = vec![
            (0, true, flagged(seg(0, 0, 0, &[]), 0x02)),
            (1, false, flagged(seg(500, 1, 0, &[]), 0x12)),
            (2, true, seg(1, 501, 1000, &[])),
            (3, true, seg(1001, 501, 1000, &[])),
        ];
        let mut bare = opening.clone();
        bare.push((4, false, seg(501, 2001, 0, &[])));
        bare.push((5, true, flagged(seg(2001, 501, 0, &[]), 0x11)));
        let c = conversation(bare);
        let writes = inferred_writes(&c, Side::Client);
        assert_eq!(inferred_close(&c, Side::Client, &writes), Some(5));
        let mut riding = opening;
        riding.push((4, true, flagged(seg(2001, 501, 500, &[]), 0x19)));
        let c = conversation(riding);
        let writes = inferred_writes(&c, Side::Client);
        assert_eq!(writes.iter().collect::<Vec<_>>(), vec![(&2, &2500)]);
        assert_eq!(inferred_close(&c, Side::Client, &writes), Some(2));
        assert_eq!(inferred_close(&c, Side::Server, &writes), None);
    }

    /// The client's segment 1000:2000 is SACKed around but not acknowledged until it is sent
    /// again: the server never had it. Its neighbours were acknowledged, so they arrived.
    #[test]
    fn a_segment_acknowledged_only_after_it_is_resent_was_lost_beyond_the_capture() {
        let c = conversation(vec![
            (0, true, seg(0, 0, 1000, &[])),
            (1, true, seg(1000, 0, 1000, &[])),
            (2, true, seg(2000, 0, 1000, &[])),
            (3, false, seg(0, 1000, 0, &[])),
            (4, false, seg(0, 1000, 0, &[(2000, 3000)])),
            (5, true, seg(1000, 0, 1000, &[])),
            (6, false, seg(0, 3000, 0, &[])),
        ]);
        let lost = lost_beyond_capture(&c, Side::Server);
        assert_eq!(lost, vec![false, true, false, false, false, false, false]);
        // Seen from the client's side nothing the server sent was lost.
        assert!(lost_beyond_capture(&c, Side::Client).iter().all(|l| !l));
    }

    /// A tail-loss probe sent before the receiver's delayed ACK: the first copy is
    /// acknowledged only after the probe, but the D-SACK says it arrived twice, so it is kept;
    /// and a segment that is never sent again is kept whatever the ACKs say.
    #[test]
    fn a_late_ack_with_a_dsack_or_no_resend_keeps_the_segment() {
        let c = conversation(vec![
            (0, true, seg(0, 0, 1000, &[])),
            (1, true, seg(0, 0, 1000, &[])),
            (2, false, seg(0, 1000, 0, &[(0, 1000)])),
            (3, true, seg(1000, 0, 1000, &[])),
        ]);
        assert_eq!(
            lost_beyond_capture(&c, Side::Server),
            vec![false, false, false, false]
        );
    }
}
