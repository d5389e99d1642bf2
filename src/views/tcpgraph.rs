//! TCP pictures of a run, per connection, as standalone SVG:
//!
//! - the **state timeline**: each side's states as bands along time, every transition labelled
//!   with its cause (`RcvSynAck`, `UserClose`, …);
//! - the **time-sequence graph** in the style of tcptrace and Stevens: the sequence number of
//!   every segment the sender transmitted over time (a vertical bar from its first to its last
//!   byte), retransmissions in red, segments lost before they reached the wire dashed, the
//!   ACKs the sender received as a step line and the window the receiver offered above it;
//! - **cwnd, ssthresh and RTO over time** for the sender.
//!
//! Everything comes from the trace: segments from the frames in [`TraceEvent::FrameTx`] and
//! [`TraceEvent::FrameRx`] records, taken apart by [`crate::decode`], at the hosts that own the
//! addresses (so a segment crossing a switch counts once); states, congestion window, RTT and
//! retransmissions from [`TraceEvent::Tcp`] records.

use crate::ids::{FrameId, NodeId};
use crate::tcp::{State, TcpFlags, TransitionCause};
use crate::time::{Duration, Instant};
use std::fmt::Write;
use std::net::SocketAddrV4;

mod collect;
mod plot;
mod states;
pub use collect::{connections, ConnectionCollector};
use plot::{esc, fmt_bytes, format_num, legend, step_line, Plot};

/// One state change of one side.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub time: Instant,
    pub from: State,
    pub to: State,
    pub cause: TransitionCause,
}

/// A segment one side handed to its link.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// When its first bit went on the wire (when it was dropped, for one lost at the sender).
    pub time: Instant,
    pub id: FrameId,
    /// The side that sent it (0 or 1).
    pub from: usize,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// Payload bytes.
    pub len: u32,
    /// Sent before: its sequence space was covered already, or TCP recorded a retransmission.
    pub retransmission: bool,
    /// When the sender handed it to its link (the time of the TCP records about it).
    pub handed_over: Instant,
    /// The sender's link dropped it (fault rule, full queue, link down): it never went on the
    /// wire.
    pub lost_at_sender: bool,
}

impl Segment {
    /// Sequence space: payload plus one each for SYN and FIN.
    pub fn seg_len(&self) -> u32 {
        self.len + self.flags.syn() as u32 + self.flags.fin() as u32
    }
}

/// A segment that reached the other side's host.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub time: Instant,
    /// The side that received it.
    pub at: usize,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub len: u32,
}

/// One end of a connection and what its TCP recorded.
#[derive(Clone, Debug)]
pub struct Side {
    pub addr: SocketAddrV4,
    /// The node it is on, if the trace says.
    pub node: Option<String>,
    node_id: Option<NodeId>,
    pub transitions: Vec<Transition>,
    /// Initial sequence number (from its SYN).
    pub isn: Option<u32>,
    /// Window scale it offered on its SYN.
    pub wscale: Option<u8>,
    /// `(time, cwnd, ssthresh)` at every congestion window change.
    pub cwnd: Vec<(Instant, u32, u32)>,
    /// `(time, rtt sample, srtt, rto)`.
    pub rtt: Vec<(Instant, Duration, Duration, Duration)>,
    /// `(time, rto)` after a timeout doubled it.
    pub backoff: Vec<(Instant, Duration)>,
    /// `(time, seq, len)` of every retransmission TCP recorded.
    pub retransmits: Vec<(Instant, u32, u32)>,
}

impl Side {
    fn new(addr: SocketAddrV4) -> Side {
        Side {
            addr,
            node: None,
            node_id: None,
            transitions: Vec::new(),
            isn: None,
            wscale: None,
            cwnd: Vec::new(),
            rtt: Vec::new(),
            backoff: Vec::new(),
            retransmits: Vec::new(),
        }
    }

    /// `10.0.0.1:40000 (alice)`.
    pub fn label(&self) -> String {
        match &self.node {
            Some(n) => format!("{} ({n})", self.addr),
            None => self.addr.to_string(),
        }
    }

    fn short(&self) -> String {
        self.node.clone().unwrap_or_else(|| self.addr.to_string())
    }
}

/// One TCP connection of a run (a 4-tuple), both sides.
#[derive(Clone, Debug)]
pub struct Connection {
    /// 1-based, in order of first appearance in the trace.
    pub number: usize,
    /// Side 0 is the one seen first (the client, for a connection opened in the run).
    pub sides: [Side; 2],
    pub sent: Vec<Segment>,
    pub received: Vec<Arrival>,
    pub first: Instant,
    pub last: Instant,
}

/// Which picture to draw.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphKind {
    States,
    Seq,
    Cwnd,
    /// The three, one above the other.
    All,
}

/// What to draw of a connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct GraphOptions {
    pub kind: GraphKind,
    /// Whose data the sequence and congestion graphs follow (side 0 or 1); `None`: the side
    /// that sent more data ([`Connection::sender`]).
    pub sender: Option<usize>,
    /// Only what happened from this time on.
    pub from: Option<Instant>,
    /// Only what happened up to this time.
    pub to: Option<Instant>,
}

impl GraphOptions {
    pub fn new(kind: GraphKind) -> GraphOptions {
        GraphOptions {
            kind,
            sender: None,
            from: None,
            to: None,
        }
    }

    fn shows(&self, t: Instant) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }

    /// The time axis: the window where given, else the span of `times`.
    fn span(&self, times: impl Iterator<Item = Instant> + Clone) -> Option<(Instant, Instant)> {
        let t0 = self.from.or_else(|| times.clone().min())?;
        let t1 = self.to.or_else(|| times.max())?;
        Some((t0, t1.max(t0)))
    }
}

/// A segment is a retransmission when TCP said so (a `Retransmit` record of the same side at
/// the same time and sequence number), or when its sequence space was sent before.
fn mark_retransmissions(c: &mut Connection) {
    let mut high = [0u64; 2];
    for g in c.sent.iter_mut() {
        let side = &c.sides[g.from];
        let isn = side.isn.unwrap_or(g.seq);
        let rel = g.seq.wrapping_sub(isn) as u64;
        let end = rel + g.seg_len() as u64;
        let told = side
            .retransmits
            .iter()
            .any(|&(t, seq, _)| t == g.handed_over && seq == g.seq);
        if g.seg_len() > 0 && (told || end <= high[g.from]) {
            g.retransmission = true;
        }
        high[g.from] = high[g.from].max(end);
    }
}

impl Connection {
    /// `10.0.0.1:40000 (alice) ⇄ 10.0.0.2:80 (bob)`.
    pub fn label(&self) -> String {
        format!("{} ⇄ {}", self.sides[0].label(), self.sides[1].label())
    }

    /// Whether either side uses this port.
    pub fn has_port(&self, port: u16) -> bool {
        self.sides.iter().any(|s| s.addr.port() == port)
    }

    /// Payload bytes a side sent, counting each byte once.
    pub fn data_bytes(&self, side: usize) -> u64 {
        self.sent
            .iter()
            .filter(|g| g.from == side && !g.retransmission)
            .map(|g| g.len as u64)
            .sum()
    }

    /// The side that sent the most data (side 0 on a tie): whose transfer the sequence and
    /// congestion graphs show unless told otherwise.
    pub fn sender(&self) -> usize {
        usize::from(self.data_bytes(1) > self.data_bytes(0))
    }

    /// The side a user names: by its node's name, its address (`10.0.0.1:40000`) or its IP
    /// address alone.
    pub fn side_named(&self, name: &str) -> Option<usize> {
        self.sides.iter().position(|s| {
            s.node.as_deref() == Some(name)
                || s.addr.to_string() == name
                || s.addr.ip().to_string() == name
        })
    }

    /// A few lines about the connection, for a listing.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "connection {}: {}, {} to {}\n",
            self.number,
            self.label(),
            self.first,
            self.last
        );
        let w = self
            .sides
            .iter()
            .map(|s| s.short().len())
            .max()
            .unwrap_or(0);
        for side in &self.sides {
            let mut states: Vec<String> = Vec::new();
            if let Some(t) = side.transitions.first() {
                states.push(t.from.to_string());
            }
            states.extend(side.transitions.iter().map(|t| t.to.to_string()));
            let _ = writeln!(
                s,
                "  {:<w$}  {}",
                side.short(),
                if states.is_empty() {
                    "(no state changes recorded)".to_string()
                } else {
                    states.join(" → ")
                }
            );
        }
        for (i, side) in self.sides.iter().enumerate() {
            let n = self.sent.iter().filter(|g| g.from == i).count();
            let re = self
                .sent
                .iter()
                .filter(|g| g.from == i && g.retransmission)
                .count();
            let _ = writeln!(
                s,
                "  {:<w$}  sent {n} segment{}, {} data bytes, {re} retransmission{}",
                side.short(),
                if n == 1 { "" } else { "s" },
                self.data_bytes(i),
                if re == 1 { "" } else { "s" }
            );
        }
        s
    }

    /// The picture(s) as a standalone SVG document, of the whole connection, the sequence and
    /// congestion graphs following [`Connection::sender`].
    pub fn to_svg(&self, kind: GraphKind) -> String {
        self.draw(&GraphOptions::new(kind))
    }

    /// The picture(s) as a standalone SVG document, as `o` asks.
    pub fn draw(&self, o: &GraphOptions) -> String {
        let parts: Vec<(String, f64)> = match o.kind {
            GraphKind::States => vec![self.states_svg(o)],
            GraphKind::Seq => vec![self.seq_svg(o)],
            GraphKind::Cwnd => vec![self.cwnd_svg(o)],
            GraphKind::All => vec![self.states_svg(o), self.seq_svg(o), self.cwnd_svg(o)],
        };
        let height: f64 = 50.0 + parts.iter().map(|(_, h)| h + 20.0).sum::<f64>();
        // The state timeline grows wider than the graphs when its full names need the room.
        let width = match o.kind {
            GraphKind::States | GraphKind::All => self.states_width(o).max(W),
            _ => W,
        };
        let mut s = String::new();
        let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(
            s,
            "<title>netlab TCP connection {}: {}</title>",
            self.number,
            esc(&self.label())
        );
        s.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        let _ = writeln!(
            s,
            r#"<text x="20" y="28" font-size="16" font-weight="bold">TCP connection {}: {}</text>"#,
            self.number,
            esc(&self.label())
        );
        let mut y = 50.0;
        for (body, h) in parts {
            let _ = writeln!(s, r#"<g transform="translate(0,{y:.1})">"#);
            s.push_str(&body);
            s.push_str("</g>\n");
            y += h + 20.0;
        }
        s.push_str("</svg>\n");
        s
    }

    // ------------------------------------------------------------------ time-sequence graph

    fn seq_svg(&self, o: &GraphOptions) -> (String, f64) {
        let snd = o.sender.unwrap_or_else(|| self.sender());
        let rcv = 1 - snd;
        let sender = &self.sides[snd];
        let receiver = &self.sides[rcv];
        let isn = sender.isn.unwrap_or(0);
        let rel = |seq: u32| seq.wrapping_sub(isn) as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r##"<text x="20" y="16"><tspan font-weight="bold">Time-sequence graph</tspan><tspan fill="#555" dx="8">of the data from {} to {} (sequence numbers relative to the ISN {isn}), at the sender</tspan></text>"##,
            esc(&sender.short()),
            esc(&receiver.short())
        );
        let segs: Vec<&Segment> = self
            .sent
            .iter()
            .filter(|g| g.from == snd && g.seg_len() > 0 && o.shows(g.time))
            .collect();
        if segs.is_empty() {
            let _ = writeln!(
                s,
                r#"<text x="20" y="44">no segments carrying sequence space from this side{}</text>"#,
                if o.from.is_some() || o.to.is_some() {
                    " in this time window"
                } else {
                    ""
                }
            );
            return (s, 60.0);
        }
        let acks: Vec<&Arrival> = self
            .received
            .iter()
            .filter(|a| a.at == snd && a.flags.ack() && o.shows(a.time))
            .collect();
        // The receiver's window scale applies when both SYNs offered scaling (RFC 7323 §2.2).
        let shift = match (sender.wscale, receiver.wscale) {
            (Some(_), Some(r)) => r as u32,
            _ => 0,
        };
        let times = segs
            .iter()
            .map(|g| g.time)
            .chain(acks.iter().map(|a| a.time));
        let (t0, t1) = o.span(times).unwrap_or((self.first, self.last));
        let y_max = segs
            .iter()
            .map(|g| rel(g.seq) + g.seg_len() as f64)
            .chain(acks.iter().map(|a| rel(a.ack)))
            .fold(1.0, f64::max);
        // A window starts the axis at the lowest sequence number in it.
        let y_min = if o.from.is_some() {
            segs.iter()
                .map(|g| rel(g.seq))
                .chain(acks.iter().map(|a| rel(a.ack)))
                .fold(f64::INFINITY, f64::min)
        } else {
            0.0
        };
        let shift_of = |a: &Arrival| if a.flags.syn() { 0 } else { shift };
        let win_top = acks
            .iter()
            .map(|a| rel(a.ack) + ((a.window as u64) << shift_of(a)) as f64)
            .fold(0.0, f64::max);
        // The offered window is shown when it is not far above the data; beyond three times the
        // data it runs off the top (the legend gives its highest value).
        let y_max = if win_top <= 3.0 * y_max {
            y_max.max(win_top)
        } else {
            y_max
        };
        let window_note = if win_top > y_max * 1.08 {
            format!(
                "ACK + receive window (off the top, up to {})",
                win_top as u64
            )
        } else {
            "ACK + receive window".to_string()
        };
        let y0 = if y_min.is_finite() && y_min > 0.0 {
            y_min - (y_max - y_min) * 0.04
        } else {
            0.0
        };
        let plot = Plot::new(
            60.0,
            W - 30.0,
            40.0,
            380.0,
            t0,
            t1,
            y0,
            y0 + (y_max - y0) * 1.08,
        );
        s.push_str(&plot.frame("sequence number (bytes)", &fmt_bytes));
        s.push_str(&plot.clip("seqclip"));
        let _ = writeln!(s, r#"<g clip-path="url(#seqclip)">"#);
        // The window the receiver offered: ACK + window, a step line.
        let mut win_pts = Vec::new();
        let mut ack_pts = Vec::new();
        for a in &acks {
            let scale = shift_of(a);
            let ack = rel(a.ack);
            ack_pts.push((plot.x(a.time), plot.y(ack)));
            win_pts.push((
                plot.x(a.time),
                plot.y(ack + ((a.window as u64) << scale) as f64),
            ));
        }
        let end_x = plot.x(t1);
        s.push_str(&step_line(
            &win_pts,
            end_x,
            "#b7950b",
            "5,3",
            "window offered by the receiver (ACK + window)",
        ));
        s.push_str(&step_line(
            &ack_pts,
            end_x,
            "#1e8449",
            "",
            "ACKs received by the sender",
        ));
        for a in &acks {
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="1.5" fill="#1e8449"><title>ACK {} (relative {}) window {} at {}</title></circle>"##,
                plot.x(a.time),
                plot.y(rel(a.ack)),
                a.ack,
                a.ack.wrapping_sub(isn),
                a.window,
                a.time
            );
        }
        for g in &segs {
            let x = plot.x(g.time);
            let y1 = plot.y(rel(g.seq));
            let y2 = plot.y(rel(g.seq) + g.seg_len() as f64);
            let (color, dash, what) = if g.lost_at_sender {
                (
                    "#d68910",
                    r#" stroke-dasharray="2,2""#,
                    "lost before the wire",
                )
            } else if g.retransmission {
                ("#c0392b", "", "retransmission")
            } else {
                ("#1f4e9c", "", "sent")
            };
            let _ = writeln!(
                s,
                r#"<g stroke="{color}" stroke-width="1.5"{dash}><title>{what} {}: seq {} (relative {}) len {} [{}] at {}</title><line x1="{x:.1}" y1="{y1:.1}" x2="{x:.1}" y2="{y2:.1}"/><line x1="{:.1}" y1="{y1:.1}" x2="{:.1}" y2="{y1:.1}"/><line x1="{:.1}" y1="{y2:.1}" x2="{:.1}" y2="{y2:.1}"/></g>"#,
                g.id,
                g.seq,
                g.seq.wrapping_sub(isn),
                g.len,
                g.flags,
                g.time,
                x - 2.5,
                x + 2.5,
                x - 2.5,
                x + 2.5
            );
            let mark = if g.lost_at_sender {
                Some("✗")
            } else if g.retransmission {
                Some("R")
            } else if g.flags.syn() {
                Some("S")
            } else if g.flags.fin() {
                Some("F")
            } else {
                None
            };
            if let Some(m) = mark {
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" font-size="9" fill="{color}">{m}</text>"#,
                    x + 3.0,
                    y2 - 2.0
                );
            }
        }
        s.push_str("</g>\n");
        let (key, h) = legend(
            plot.left,
            plot.bottom + 46.0,
            plot.right,
            &[
                ("#1f4e9c", "", "segment sent (first to last byte)"),
                ("#c0392b", "", "retransmission (R)"),
                ("#d68910", "2,2", "lost before the wire (✗)"),
                ("#1e8449", "", "ACKs received"),
                ("#b7950b", "5,3", &window_note),
            ],
        );
        s.push_str(&key);
        (s, plot.bottom + 40.0 + h)
    }

    // ------------------------------------------------------------------ cwnd, ssthresh, RTO

    fn cwnd_svg(&self, o: &GraphOptions) -> (String, f64) {
        let snd = o.sender.unwrap_or_else(|| self.sender());
        let side = &self.sides[snd];
        let mut s = String::new();
        let _ = writeln!(
            s,
            r##"<text x="20" y="16"><tspan font-weight="bold">Congestion window and RTO</tspan><tspan fill="#555" dx="8">of {}, the sender</tspan></text>"##,
            esc(&side.short())
        );
        // What each series was when the window opens: its last value before, drawn from the
        // window's start.
        let carried = |v: &[(Instant, u32, u32)]| -> Vec<(Instant, u32, u32)> {
            let mut out: Vec<(Instant, u32, u32)> = Vec::new();
            if let Some(f) = o.from {
                if let Some(&(_, c, t)) = v.iter().rev().find(|p| p.0 < f) {
                    out.push((f, c, t));
                }
            }
            out.extend(v.iter().copied().filter(|p| o.shows(p.0)));
            out
        };
        let cwnd = carried(&side.cwnd);
        let rtt: Vec<(Instant, Duration, Duration, Duration)> =
            side.rtt.iter().copied().filter(|r| o.shows(r.0)).collect();
        let backoff: Vec<(Instant, Duration)> = side
            .backoff
            .iter()
            .copied()
            .filter(|b| o.shows(b.0))
            .collect();
        let times: Vec<Instant> = cwnd
            .iter()
            .map(|c| c.0)
            .chain(rtt.iter().map(|r| r.0))
            .chain(backoff.iter().map(|b| b.0))
            .chain(
                self.sent
                    .iter()
                    .filter(|g| g.from == snd && g.len > 0 && o.shows(g.time))
                    .map(|g| g.time),
            )
            .collect();
        let Some((t0, t1)) = o.span(times.iter().copied()).filter(|_| !times.is_empty()) else {
            let _ = writeln!(
                s,
                r#"<text x="20" y="44">no congestion window, RTT or data recorded for this side</text>"#
            );
            return (s, 60.0);
        };
        let mut y = 40.0;
        if cwnd.is_empty() {
            // A short connection never changes its window: a sentence, not an empty frame.
            let _ = writeln!(
                s,
                r##"<text x="20" y="{:.1}" fill="#555">no congestion-window changes: {} kept its initial window{}</text>"##,
                y + 4.0,
                esc(&side.short()),
                if o.from.is_some() || o.to.is_some() {
                    " in this time window"
                } else {
                    ""
                }
            );
            y += 24.0;
        } else {
            // ssthresh starts "infinite" (RFC 5681: arbitrarily high); such values are left out.
            const INFINITE: u32 = 1 << 30;
            let y_max = cwnd
                .iter()
                .flat_map(|&(_, c, t)| [c, if t >= INFINITE { 0 } else { t }])
                .max()
                .unwrap_or(0)
                .max(1) as f64;
            let top = Plot::new(60.0, W - 30.0, y, y + 210.0, t0, t1, 0.0, y_max * 1.1);
            s.push_str(&top.frame("bytes", &fmt_bytes));
            let cw: Vec<(f64, f64)> = cwnd
                .iter()
                .map(|&(t, c, _)| (top.x(t), top.y(c as f64)))
                .collect();
            s.push_str(&step_line(&cw, top.x(t1), "#1f4e9c", "", "cwnd"));
            // ssthresh, in runs of finite values.
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut runs = Vec::new();
            for &(t, _, th) in &cwnd {
                if th >= INFINITE {
                    if !run.is_empty() {
                        runs.push((std::mem::take(&mut run), top.x(t)));
                    }
                } else {
                    run.push((top.x(t), top.y(th as f64)));
                }
            }
            if !run.is_empty() {
                runs.push((run, top.x(t1)));
            }
            for (pts, end) in runs {
                s.push_str(&step_line(&pts, end, "#c0392b", "6,3", "ssthresh"));
            }
            for &(t, c, th) in &cwnd {
                let th = if th >= INFINITE {
                    "∞".to_string()
                } else {
                    th.to_string()
                };
                let _ = writeln!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="2" fill="#1f4e9c"><title>cwnd {c} ssthresh {th} at {t}</title></circle>"##,
                    top.x(t),
                    top.y(c as f64)
                );
            }
            let (key, h) = legend(
                top.left,
                top.bottom + 46.0,
                top.right,
                &[
                    ("#1f4e9c", "", "cwnd"),
                    ("#c0392b", "6,3", "ssthresh (left out while infinite)"),
                ],
            );
            s.push_str(&key);
            y = top.bottom + 40.0 + h + 10.0;
        }
        // RTO and RTT, in milliseconds.
        let mut rto: Vec<(Instant, Duration)> = rtt
            .iter()
            .map(|&(t, _, _, r)| (t, r))
            .chain(backoff.iter().copied())
            .collect();
        rto.sort_by_key(|&(t, _)| t);
        if rto.is_empty() {
            let _ = writeln!(
                s,
                r##"<text x="20" y="{:.1}" fill="#555">no RTT sample recorded</text>"##,
                y + 4.0
            );
            return (s, y + 24.0);
        }
        let ms = |d: Duration| d.as_millis_f64();
        let r_max = rto
            .iter()
            .map(|&(_, r)| ms(r))
            .chain(rtt.iter().map(|&(_, r, _, _)| ms(r)))
            .fold(1.0, f64::max);
        let low = Plot::new(60.0, W - 30.0, y, y + 160.0, t0, t1, 0.0, r_max * 1.1);
        s.push_str(&low.frame("milliseconds", &|v| format_num(v)));
        let pts: Vec<(f64, f64)> = rto.iter().map(|&(t, r)| (low.x(t), low.y(ms(r)))).collect();
        s.push_str(&step_line(&pts, low.x(t1), "#7d3c98", "", "RTO"));
        let srtt: Vec<(f64, f64)> = rtt
            .iter()
            .map(|&(t, _, sr, _)| (low.x(t), low.y(ms(sr))))
            .collect();
        s.push_str(&step_line(&srtt, low.x(t1), "#117a65", "4,2", "srtt"));
        for &(t, r, sr, rt) in &rtt {
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="none" stroke="#117a65"><title>RTT sample {r} (srtt {sr}, RTO {rt}) at {t}</title></circle>"##,
                low.x(t),
                low.y(ms(r))
            );
        }
        for &(t, r) in &backoff {
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#7d3c98"><title>timeout: RTO backed off to {r} at {t}</title></circle>"##,
                low.x(t),
                low.y(ms(r))
            );
        }
        let (key, h) = legend(
            low.left,
            low.bottom + 46.0,
            low.right,
            &[
                ("#7d3c98", "", "RTO"),
                ("#117a65", "4,2", "smoothed RTT (circles: samples)"),
            ],
        );
        s.push_str(&key);
        (s, low.bottom + 40.0 + h)
    }
}

/// Width of every picture (the state timeline grows when its names need more).
const W: f64 = 960.0;
