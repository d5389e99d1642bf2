//! The runner: executes a parsed script's events in simulated time against the host in
//! [`Net`], as packetdrill executes them in real time against a kernel (semantics from
//! packetdrill's README and `syntax.md`, summarised in the shared anchors' PACKETDRILL.md §1).
//!
//! - Events run in order. A relative time `+t` counts from the live time at which the
//!   previous event completed (an outbound packet: when it was sent; a blocking call written
//!   `+t...e`: when it started, since the script goes on while it blocks).
//! - Inbound packets are injected at their time. Sequence numbers: the remote side's are
//!   injected as written; inbound `ack` and SACK blocks are shifted by the host's live ISN,
//!   learned from its SYN or SYN-ACK; outbound seq/ack/SACK are mapped back. An inbound TS ecr
//!   becomes the live TS val of the outbound packet whose script TS val it names.
//! - An outbound line takes the oldest packet the host sent that was not yet matched, waiting
//!   for one if needed, and compares flags, seq, ack, window (if written), options (kinds,
//!   order and values; TS val only with `--tcp_ts_tick_usecs`; `<...>` skips them; no list means
//!   none), payload length (segments sent back to back are joined, as packetdrill joins TSO
//!   bursts, unless `--strict_segments`; the join is judged with the last segment's header
//!   and the first one's seq) and time (±max(tolerance, 12.5 % of the gap)).

use super::ast::*;
use super::code;
use super::init::{apply_init, apply_option, RunConfig};
use super::lex::Pos;
use super::net::{Net, Sent};
use super::syscall::{self, Call, Fd};
use super::wire::{build_tcp, flags_text, parse_tcp, OptsText, Seg};
use crate::ip::IpProtocol;
use crate::time::{Duration, Instant};
use std::collections::BTreeMap;

/// The remote side's port for connections it opens (packetdrill picks an ephemeral one).
const REMOTE_PORT: u16 = 40000;
/// How long past its expected time an outbound packet is waited for (packetdrill: 2 s).
pub(super) const SNIFF_SLACK: Duration = Duration::from_secs(2);
/// The most TCP payload one IPv4 datagram carries: 65535 less a 20-byte IP header and a TCP
/// header with the longest options (60 bytes).
const MAX_INBOUND_PAYLOAD: u32 = 65535 - 20 - 60;

/// How a script ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Pass,
    Fail(Failure),
    /// The script needs something netlab does not model; nothing was judged after `pos`.
    Unsupported {
        pos: Option<Pos>,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub pos: Pos,
    /// Simulated time of the failure, when the run got that far.
    pub at: Option<Instant>,
    pub msg: String,
}

/// The result of a run: the verdict, the `%{ }%` blocks not evaluated, and the world (for
/// `--pcap` and `--trace-json`).
pub struct Outcome {
    pub verdict: Verdict,
    pub skipped: Vec<(Pos, String)>,
    /// In non-fatal mode: every failed event (the verdict is then Pass or the first error
    /// that is not a mismatch).
    pub diffs: Vec<Failure>,
    /// Outbound lines that matched, and when their packet was sent.
    pub matched: Vec<(Pos, Instant)>,
    /// Replays: inferred reads and writes that netlab could not complete at their instant.
    pub io_waited: usize,
    pub net: Option<Net>,
}

/// What stops a run early.
pub(super) enum Stop {
    Fail(Failure),
    Unsupported(Option<Pos>, String),
}

pub(super) type Res<T> = Result<T, Stop>;

pub(super) fn fail<T>(pos: Pos, at: Instant, msg: impl Into<String>) -> Res<T> {
    Err(Stop::Fail(Failure {
        pos,
        at: Some(at),
        msg: msg.into(),
    }))
}

pub(super) fn unsupported<T>(pos: Pos, msg: impl Into<String>) -> Res<T> {
    Err(Stop::Unsupported(Some(pos), msg.into()))
}

/// A blocking call in progress.
pub(super) struct Pending {
    pub call: Call,
    pub pos: Pos,
    pub expected_end: Option<Instant>,
    pub tolerance: Duration,
}

pub(super) struct Runner {
    pub cfg: RunConfig,
    pub net: Net,
    pub fds: BTreeMap<i64, Fd>,
    /// The host's live ISN, learned from its SYN or SYN-ACK: later local sequence numbers
    /// (outbound seq, inbound ack and SACK) are relative to it; those of SYN packets are
    /// offset from the script's own ISN instead (packetdrill's
    /// `local_seq_script_to_live_offset`).
    pub local_isn: Option<u32>,
    /// The ISN the script wrote on the host's SYN or SYN-ACK (usually 0).
    pub script_local_isn: u32,
    /// The remote side's ISN, from the script's last inbound SYN: packetdrill writes a SYN's
    /// sequence number as it is and every later remote sequence number (inbound seq,
    /// outbound ack) relative to it (`remote_seq_script_to_live_offset`).
    pub remote_isn: u32,
    /// The host's port on the connection under test.
    pub local_port: Option<u16>,
    pub remote_port: u16,
    /// A `listen` happened since the last inbound SYN: the next SYN is a new connection,
    /// from a new remote port (packetdrill makes a new socket and port per passive SYN).
    pub listened: bool,
    /// Passive connections opened so far, for their remote ports.
    passive_opens: u16,
    /// Connections that were the socket under test before a later `socket()` call, by
    /// (local port, remote port): packetdrill follows the newest socket and lets the older
    /// ones' packets go unchecked.
    pub retired: std::collections::BTreeSet<(u16, u16)>,
    /// Script TS val → live TS val of outbound packets.
    ts_map: BTreeMap<u32, u32>,
    ts_offset: Option<i64>,
    pub pending: Option<Pending>,
    /// Replays: bytes the application still has to write and to read (see
    /// `RunConfig::app_io_backlog`), on `conn_fd`-like fd `backlog.fd`.
    pub backlog: syscall::Backlog,
    /// The fd of the connection under test (for `%{ }%` blocks).
    pub conn_fd: Option<i64>,
    /// Names `%{ }%` blocks set (`TCP_INFINITE_SSTHRESH = 0x7fffffff`), for later blocks.
    pub code_vars: BTreeMap<String, i64>,
    skipped: Vec<(Pos, String)>,
    /// Failures recorded in non-fatal mode.
    diffs: Vec<Failure>,
    /// Outbound lines matched, with the live time of their packet.
    matched: Vec<(Pos, Instant)>,
}

/// Runs a script's source. `cli` are command-line `--name=value` options (they win over the
/// script's own).
pub fn run_source(
    src: &str,
    cli: &[(String, Option<String>)],
    defines: &BTreeMap<String, String>,
) -> Outcome {
    run_source_with(src, cli, defines, None, |_| {})
}

/// `run_source`, with `tweak` applied to the settings last (after the options and the init
/// command): what `netlab replay` sets that a script cannot.
pub fn run_source_with(
    src: &str,
    cli: &[(String, Option<String>)],
    defines: &BTreeMap<String, String>,
    dir: Option<&std::path::Path>,
    tweak: impl FnOnce(&mut RunConfig),
) -> Outcome {
    // The symbols upstream's run_all.py and the kernel's selftest runner (ksft_runner.sh)
    // define for their IPv4 runs, unless given.
    let mut defines = defines.clone();
    for (k, v) in [
        ("TFO_COOKIE", "3021b9d889017eeb"),
        ("TFO_COOKIE_ZERO", "b7c12350a90dc8f5"),
        ("CODE", "host_unreachable"),
        ("CMSG_LEVEL_IP", "SOL_IP"),
        ("CMSG_TYPE_RECVERR", "IP_RECVERR"),
    ] {
        defines
            .entry(k.to_string())
            .or_insert_with(|| v.to_string());
    }
    let script = match super::parse::parse(src, &defines) {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                verdict: Verdict::Fail(Failure {
                    pos: e.pos,
                    at: None,
                    msg: format!("syntax error: {}", e.msg),
                }),
                skipped: Vec::new(),
                diffs: Vec::new(),
                matched: Vec::new(),
                net: None,
                io_waited: 0,
            }
        }
    };
    run_script(&script, cli, dir, tweak)
}

/// Runs a parsed script; `dir` is the script's directory, where its init command's
/// `defaults.sh` is looked for.
pub fn run_script(
    script: &Script,
    cli: &[(String, Option<String>)],
    dir: Option<&std::path::Path>,
    tweak: impl FnOnce(&mut RunConfig),
) -> Outcome {
    let mut cfg = RunConfig {
        script_dir: dir.map(|d| d.to_path_buf()),
        ..RunConfig::default()
    };
    let unsup = |pos: Option<Pos>, reason: String| Outcome {
        verdict: Verdict::Unsupported { pos, reason },
        skipped: Vec::new(),
        diffs: Vec::new(),
        matched: Vec::new(),
        net: None,
        io_waited: 0,
    };
    for (name, value, pos) in &script.options {
        if cli.iter().any(|(n, _)| n == name) {
            continue;
        }
        if let Err(e) = apply_option(&mut cfg, name, value.as_deref()) {
            return unsup(Some(*pos), e);
        }
    }
    for (name, value) in cli {
        if let Err(e) = apply_option(&mut cfg, name, value.as_deref()) {
            return unsup(None, e);
        }
    }
    if let Some((cmd, pos)) = &script.init {
        if let Err(e) = apply_init(&mut cfg, cmd) {
            return unsup(Some(*pos), e);
        }
    }
    if let Some((cmd, pos)) = &script.cleanup {
        if let Err(e) = apply_init(&mut RunConfig::default(), cmd) {
            return unsup(Some(*pos), format!("cleanup: {e}"));
        }
    }
    tweak(&mut cfg);
    let net = Net::new(cfg.host.clone(), cfg.local_ip, cfg.remote_ip);
    let mut r = Runner {
        cfg,
        net,
        fds: BTreeMap::new(),
        local_isn: None,
        script_local_isn: 0,
        remote_isn: 0,
        local_port: None,
        remote_port: REMOTE_PORT,
        listened: false,
        passive_opens: 0,
        retired: std::collections::BTreeSet::new(),
        ts_map: BTreeMap::new(),
        ts_offset: None,
        pending: None,
        backlog: syscall::Backlog::default(),
        conn_fd: None,
        code_vars: BTreeMap::new(),
        skipped: Vec::new(),
        diffs: Vec::new(),
        matched: Vec::new(),
    };
    let verdict = match r.run(script) {
        Ok(()) => Verdict::Pass,
        Err(Stop::Fail(f)) => Verdict::Fail(f),
        Err(Stop::Unsupported(pos, reason)) => Verdict::Unsupported { pos, reason },
    };
    Outcome {
        verdict,
        skipped: r.skipped,
        diffs: r.diffs,
        matched: r.matched,
        io_waited: r.backlog.waited,
        net: Some(r.net),
    }
}

/// Microseconds as a duration, saturating (a mutated script may write absurd times).
fn us(t: u64) -> Duration {
    Duration::from_nanos(t.saturating_mul(1000))
}

/// Seconds with microseconds, as packetdrill prints times.
pub fn secs(t: Instant) -> String {
    let n = t.as_nanos();
    format!("{}.{:06}", n / 1_000_000_000, (n % 1_000_000_000) / 1000)
}

impl Runner {
    fn tolerance(&self, gap: Duration) -> Duration {
        let pct = (gap.as_nanos() as f64 * self.cfg.tolerance_percent / 100.0) as u64;
        us(self.cfg.tolerance_us).max(Duration::from_nanos(pct))
    }

    fn run(&mut self, script: &Script) -> Res<()> {
        // Live time at which the previous event completed, and the previous script time.
        let mut base = Instant::ZERO;
        let mut prev_script = 0u64;
        for (k, ev) in script.events.iter().enumerate() {
            // Non-fatal mode (replays): a failed event is recorded and the script goes on.
            #[allow(clippy::redundant_closure_call)]
            let r = (|| -> Res<()> {
                if k == 0 && !matches!(ev.time, Time::Absolute(0) | Time::Relative(0)) {
                    return fail(ev.pos, Instant::ZERO, "the first event must be at time 0");
                }
                let (expected, gap) = match ev.time {
                    Time::Absolute(t) => {
                        let gap = t.saturating_sub(prev_script);
                        prev_script = t;
                        (Some(Instant::ZERO + us(t)), us(gap))
                    }
                    Time::Relative(d) => {
                        prev_script += d;
                        (Some(base + us(d)), us(d))
                    }
                    Time::Any => (None, Duration::ZERO),
                    Time::Range { lo, hi, relative } => {
                        let (lo_t, hi_t) = if relative {
                            (base + us(lo), base + us(hi))
                        } else {
                            (Instant::ZERO + us(lo), Instant::ZERO + us(hi))
                        };
                        prev_script = if relative { prev_script + lo } else { lo };
                        let _ = hi_t;
                        (Some(lo_t), us(hi.saturating_sub(lo)))
                    }
                };
                let tol = self.tolerance(gap);
                match &ev.action {
                    Action::Packet(p) => {
                        if let Some(info) = &p.ip_info {
                            return unsupported(
                                ev.pos,
                                format!("IP header details ({info}) are not checked or set by netlab's runner"),
                            );
                        }
                        match (&p.body, p.dir) {
                            (PacketBody::Tcp(t), Dir::In) => {
                                let at = expected.expect("inbound lines have a time");
                                self.advance_to(at)?;
                                self.inject(ev.pos, t)?;
                                base = at;
                            }
                            (PacketBody::Tcp(t), Dir::Out) => {
                                let window = match ev.time {
                                    Time::Any => (base, None),
                                    Time::Range { lo, hi, relative } => {
                                        let b = if relative { base } else { Instant::ZERO };
                                        (b + us(lo.saturating_sub(tol.as_nanos() / 1000)), Some(b + us(hi) + tol))
                                    }
                                    _ => {
                                        let e = expected.expect("timed");
                                        (
                                            Instant::from_nanos(e.as_nanos().saturating_sub(tol.as_nanos())),
                                            Some(e + tol),
                                        )
                                    }
                                };
                                base = self.expect_outbound(ev.pos, t, expected, window, gap)?;
                            }
                            (PacketBody::Icmp { .. }, _) | (PacketBody::Udp { .. }, _) => {
                                return unsupported(
                                    ev.pos,
                                    "ICMP and UDP script packets are not implemented by netlab's runner yet",
                                )
                            }
                        }
                    }
                    Action::Syscall(call) => {
                        let at = expected.expect("syscalls have a time");
                        self.advance_to(at)?;
                        if self.pending.is_some() {
                            self.finish_pending(ev.pos)?;
                        }
                        let end = ev.end.map(|e| match ev.time {
                            Time::Relative(_) => base + us(e),
                            _ => Instant::ZERO + us(e),
                        });
                        let blocking = ev.end.is_some();
                        let tol_end = match ev.end {
                            Some(e) => self.tolerance(us(e)),
                            None => tol,
                        };
                        let done = syscall::start(self, call.name_pos, call, end, tol_end)?;
                        base = if blocking { at } else { done.unwrap_or(at) };
                        if !blocking && self.pending.is_some() {
                            // A call written without `...` that blocks stalls the script.
                            base = self.finish_pending(ev.pos)?;
                        }
                    }
                    Action::Shell(cmd) => {
                        let at = expected.expect("timed");
                        self.advance_to(at)?;
                        let mut c = self.cfg.clone();
                        if let Err(e) = apply_init(&mut c, cmd) {
                            return unsupported(ev.pos, format!("shell command event: {e}"));
                        }
                        // A sysctl in the middle of a script: sockets made from now on take it,
                        // as Linux reads most of them when a connection starts.
                        if c.host.tcp != self.cfg.host.tcp {
                            let tcp = c.host.tcp.clone();
                            self.net.with_host(|h, _| h.set_tcp_config(tcp));
                        }
                        if std::mem::take(&mut c.flush_tcp_metrics) {
                            self.net.with_host(|h, _| h.flush_fastopen_cache());
                        }
                        self.cfg = c;
                        base = at;
                    }
                    Action::Code(src) => {
                        let at = expected.expect("timed");
                        self.advance_to(at)?;
                        match code::evaluate(self, src) {
                            code::CodeResult::Passed => {}
                            code::CodeResult::Failed(msg) => {
                                return fail(ev.pos, self.net.now(), msg)
                            }
                            code::CodeResult::Skipped(why) => self.skipped.push((ev.pos, why)),
                        }
                        base = at;
                    }
                }
                Ok(())
            })();
            match r {
                Err(Stop::Fail(f)) if self.cfg.non_fatal => {
                    self.diffs.push(f);
                    base = base.max(self.net.now());
                }
                r => r?,
            }
        }
        if self.pending.is_some() {
            let pos = self.pending.as_ref().map(|p| p.pos).unwrap_or_default();
            self.finish_pending(pos)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------------ packets

    fn inject(&mut self, pos: Pos, t: &TcpPacket) -> Res<()> {
        let now = self.net.now();
        if t.ae || t.urg.is_some() {
            return unsupported(
                pos,
                "the AE flag and urgent data are not modelled by netlab",
            );
        }
        let Some(dst_port) = self.local_port.or_else(|| self.listen_port()) else {
            return fail(
                pos,
                now,
                "inbound packet before any socket is listening or connecting",
            );
        };
        let has_ack = t.flags & 0x10 != 0;
        let syn = t.flags & 0x02 != 0;
        if syn {
            self.remote_isn = t.start;
            if !has_ack && std::mem::take(&mut self.listened) {
                self.remote_port = REMOTE_PORT + self.passive_opens;
                self.passive_opens += 1;
            }
        }
        let seq = if syn {
            t.start
        } else {
            t.start.wrapping_add(self.remote_isn)
        };
        let ack =
            match (t.ack, self.local_offset(syn)) {
                (Some(a), Some(isn)) => a.wrapping_add(isn),
                (Some(_), None) => return fail(
                    pos,
                    now,
                    "inbound 'ack' before the host sent its SYN or SYN-ACK (its ISN is unknown)",
                ),
                // With the ACK flag and no number the script's ack is 0, mapped like any
                // other (`< . 1:10001(10000) win 320` acknowledges the ISN: to a server before
                // any data is acknowledged, an old ACK that gets a challenge ACK and its data
                // dropped, gro/gro-mss-option.pkt); without the flag the field is 0.
                (None, Some(isn)) if has_ack => isn,
                (None, _) => 0,
            };
        let mut options = Vec::new();
        if let Some(Some(list)) = &t.options {
            for o in list {
                options.push(match o {
                    TcpOpt::Sack(blocks) => {
                        let isn = self.local_offset(false).unwrap_or(0);
                        TcpOpt::Sack(
                            blocks
                                .iter()
                                .map(|(l, r)| (l.wrapping_add(isn), r.wrapping_add(isn)))
                                .collect(),
                        )
                    }
                    TcpOpt::Ts { val, ecr } => {
                        // A SYN's TSecr names nothing the host sent: it goes as written.
                        let live = if *ecr == 0 || (syn && !has_ack) {
                            *ecr
                        } else {
                            match self.ts_map.get(ecr) {
                                Some(v) => *v,
                                // A replay goes on: the host sent no such TS val (or none).
                                None if self.cfg.non_fatal => 0,
                                None => {
                                    return fail(
                                        pos,
                                        now,
                                        format!("inbound TS ecr {ecr} names no TS val of an earlier outbound packet"),
                                    )
                                }
                            }
                        };
                        TcpOpt::Ts { val: *val, ecr: live }
                    }
                    TcpOpt::Unsupported(n) => {
                        return unsupported(pos, format!("TCP option '{n}' is not modelled by netlab"))
                    }
                    o => o.clone(),
                });
            }
        } else if t.options == Some(None) {
            return fail(pos, now, "'<...>' is only meaningful on outbound packets");
        }
        // Like Linux's tun, the runner's device takes a datagram of any size an IPv4 header
        // can describe, MTU or not: scripts inject GRO-sized segments this way
        // (tcp/blocking/blocking-read.pkt sends 2000 bytes to an MSS of 1460, and passes on
        // Linux 6.18 here).
        if t.len > MAX_INBOUND_PAYLOAD {
            return fail(
                pos,
                now,
                format!(
                    "an inbound segment of {} bytes does not fit in an IPv4 datagram",
                    t.len
                ),
            );
        }
        let seg = Seg {
            src_port: self.remote_port,
            dst_port,
            seq,
            ack,
            flags: t.flags,
            window: t.win.unwrap_or(65535).min(65535) as u16,
            urgent: 0,
            options,
            payload_len: t.len,
        };
        let bytes = build_tcp(&seg, self.cfg.remote_ip, self.cfg.local_ip);
        let arrival = self.net.inject(IpProtocol::Tcp, &bytes, 0);
        self.advance_to(arrival)
    }

    /// Script to live offset of local sequence numbers: the live ISN, or on a SYN packet the
    /// difference of the live and the script's ISN.
    fn local_offset(&self, syn: bool) -> Option<u32> {
        self.local_isn.map(|live| {
            if syn {
                live.wrapping_sub(self.script_local_isn)
            } else {
                live
            }
        })
    }

    fn listen_port(&self) -> Option<u16> {
        Some(self.cfg.bind_port)
    }

    /// Takes the next packet the host sent to the remote side, waiting until `deadline`.
    fn next_sent(&mut self, deadline: Instant) -> Res<Option<(Sent, Seg)>> {
        loop {
            while let Some(s) = self.net.sent.pop_front() {
                if s.ip.len() < 20 || s.ip[9] != 6 {
                    continue; // not TCP: ICMP lines are not supported, other traffic ignored
                }
                let ihl = (s.ip[0] & 0x0f) as usize * 4;
                match parse_tcp(&s.ip[ihl.min(s.ip.len())..]) {
                    Ok(seg) => {
                        // Another connection is not the socket under test, unless this is a
                        // new connection's SYN (a new socket connected).
                        let new_syn = seg.flags & 0x12 == 0x02;
                        if (self.local_port.is_some_and(|p| p != seg.src_port) && !new_syn)
                            || self.retired.contains(&(seg.src_port, seg.dst_port))
                        {
                            continue;
                        }
                        return Ok(Some((s, seg)));
                    }
                    Err(_) => continue,
                }
            }
            self.poll_pending()?;
            if !self.step_toward(deadline) {
                return Ok(None);
            }
        }
    }

    /// Matches an outbound line; returns the live time of the (first) packet.
    fn expect_outbound(
        &mut self,
        pos: Pos,
        exp: &TcpPacket,
        expected: Option<Instant>,
        (lo, hi): (Instant, Option<Instant>),
        gap: Duration,
    ) -> Res<Instant> {
        if exp.ae || exp.urg.is_some() {
            return unsupported(
                pos,
                "the AE flag and urgent pointer are not modelled by netlab",
            );
        }
        let deadline = match hi {
            // A replay goes on after a missing packet: wait no longer than the line allows.
            Some(h) if self.cfg.non_fatal => h,
            Some(h) => h + gap + SNIFF_SLACK,
            None => self.net.now() + Duration::from_secs(600),
        };
        let Some((first, mut seg)) = self.next_sent(deadline)? else {
            self.advance_to(deadline)?;
            return fail(
                pos,
                self.net.now(),
                format!(
                    "Timed out waiting for packet: expected {} at {}",
                    self.expected_text(exp),
                    expected.map_or("any time".into(), secs)
                ),
            );
        };
        let at = first.time;
        // The host's ISN and port come from its SYN (connect) or SYN-ACK (accept), each new
        // connection's own (a retransmitted SYN gives the same).
        if seg.flags & 0x02 != 0 {
            self.local_isn = Some(seg.seq);
            self.script_local_isn = exp.start;
            self.local_port = Some(seg.src_port);
        }
        // Join back-to-back segments up to the expected length (packetdrill's TSO handling).
        let mut total = seg.payload_len;
        if !self.cfg.strict_segments {
            while total < exp.len {
                let Some(s) = self.net.sent.front() else {
                    break;
                };
                if s.time != at {
                    break;
                }
                let ihl = (s.ip[0] & 0x0f) as usize * 4;
                let Ok(next) = parse_tcp(&s.ip[ihl.min(s.ip.len())..]) else {
                    break;
                };
                if next.seq != seg.seq.wrapping_add(total)
                    || next.flags & !0x09 != seg.flags & !0x09
                {
                    break;
                }
                self.net.sent.pop_front();
                total += next.payload_len;
                // The aggregate carries the last segment's header (flags, ack, window,
                // options) with the first one's seq, as packetdrill's `aggregate_packets`:
                // a TSO/GSO packet's PSH and FIN end up on its last segment.
                let first_seq = seg.seq;
                seg = next;
                seg.seq = first_seq;
            }
            seg.payload_len = total;
        }
        let isn = self.local_offset(seg.flags & 0x02 != 0).unwrap_or(0);
        let actual = self.actual_text(&seg, isn);
        let expected_line = self.expected_text(exp);
        // Every field that differs is named (a replay reports them all).
        let mut errs: Vec<String> = Vec::new();
        if seg.flags != exp.flags {
            errs.push(format!(
                "live packet has flags {}, script expects {}",
                flags_text(seg.flags),
                flags_text(exp.flags)
            ));
        }
        let rel_seq = seg.seq.wrapping_sub(isn);
        if rel_seq != exp.start {
            errs.push(format!(
                "live packet has seq {rel_seq}, script expects {}",
                exp.start
            ));
        }
        if seg.payload_len != exp.len {
            errs.push(format!(
                "live packet carries {} bytes, script expects {}",
                seg.payload_len, exp.len
            ));
        }
        // Our ack is in the remote side's relative space, except on a SYN-ACK.
        let remote_off = if seg.flags & 0x02 != 0 {
            0
        } else {
            self.remote_isn
        };
        let live_ack = seg.ack.wrapping_sub(remote_off);
        if let Some(a) = exp.ack {
            if live_ack != a {
                errs.push(format!(
                    "live packet has ack {live_ack}, script expects {a}"
                ));
            }
        }
        if let Some(w) = exp.win {
            if u32::from(seg.window) != w {
                errs.push(format!(
                    "live packet has win {}, script expects {w}",
                    seg.window
                ));
            }
        }
        match &exp.options {
            Some(None) => {}
            None if !seg.options.is_empty() => {
                errs.push("live packet has TCP options, the script line expects none".into());
            }
            None => {}
            Some(Some(list)) => {
                if let Err(e) = self.compare_options(list, &seg.options, isn) {
                    errs.push(e);
                }
            }
        }
        if !errs.is_empty() {
            return fail(
                pos,
                at,
                format!(
                    "{}\n    expected: {expected_line}\n    actual:   {actual}",
                    errs.join("; ")
                ),
            );
        }
        // Remember TS vals for mapping inbound ecr and checking later ones.
        if let Some(Some(list)) = &exp.options {
            for (e, a) in list.iter().zip(&seg.options) {
                if let (TcpOpt::Ts { val: sv, .. }, TcpOpt::Ts { val: lv, .. }) = (e, a) {
                    self.ts_map.insert(*sv, *lv);
                }
            }
        }
        if at < lo || hi.is_some_and(|h| at > h) {
            return fail(
                pos,
                at,
                format!(
                    "timing error: expected {} at {} (window {} to {}), sent at {}",
                    self.expected_text(exp),
                    expected.map_or("any time".into(), secs),
                    secs(lo),
                    hi.map_or("any time".into(), secs),
                    secs(at)
                ),
            );
        }
        self.matched.push((pos, at));
        Ok(at)
    }

    fn compare_options(&mut self, exp: &[TcpOpt], live: &[TcpOpt], isn: u32) -> Result<(), String> {
        let kinds = |v: &[TcpOpt]| v.iter().map(|o| o.kind()).collect::<Vec<_>>();
        if kinds(exp) != kinds(live) {
            return Err("live packet's TCP options differ in kinds or order".into());
        }
        for (e, a) in exp.iter().zip(live) {
            match (e, a) {
                (TcpOpt::Ts { val: sv, .. }, TcpOpt::Ts { val: lv, .. }) => {
                    if self.cfg.ts_tick_us == 0 {
                        continue;
                    }
                    let off = *self.ts_offset.get_or_insert(*lv as i64 - *sv as i64);
                    let want = *sv as i64 + off;
                    let slack = (self.cfg.tolerance_us / self.cfg.ts_tick_us.max(1)) as i64 + 1;
                    if (*lv as i64 - want).abs() > slack {
                        return Err(format!(
                            "live TS val is {} ticks from the script's {sv} (tolerance {slack})",
                            *lv as i64 - want
                        ));
                    }
                }
                (TcpOpt::Sack(eb), TcpOpt::Sack(lb)) => {
                    let _ = isn;
                    if eb != lb {
                        return Err("live packet's SACK blocks differ".into());
                    }
                }
                (e, a) if e != a => {
                    return Err(format!(
                        "live option '{}' differs",
                        OptsText(std::slice::from_ref(a))
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn expected_text(&self, t: &TcpPacket) -> String {
        let mut s = format!("{} {}:{}({})", flags_text(t.flags), t.start, t.end, t.len);
        if let Some(a) = t.ack {
            s += &format!(" ack {a}");
        }
        if let Some(w) = t.win {
            s += &format!(" win {w}");
        }
        match &t.options {
            Some(Some(o)) => s += &format!(" <{}>", OptsText(o)),
            Some(None) => s += " <...>",
            None => {}
        }
        s
    }

    /// A live segment in script space.
    fn actual_text(&self, seg: &Seg, isn: u32) -> String {
        let rel = seg.seq.wrapping_sub(isn);
        let mut s = format!(
            "{} {}:{}({})",
            flags_text(seg.flags),
            rel,
            rel.wrapping_add(seg.payload_len),
            seg.payload_len
        );
        if seg.flags & 0x10 != 0 {
            let off = if seg.flags & 0x02 != 0 {
                0
            } else {
                self.remote_isn
            };
            s += &format!(" ack {}", seg.ack.wrapping_sub(off));
        }
        s += &format!(" win {}", seg.window);
        if !seg.options.is_empty() {
            s += &format!(" <{}>", OptsText(&seg.options));
        }
        s
    }
}
