//! The state timeline of a connection: each side's states as bands on an ordinal time axis,
//! every transition marked and labelled with its cause in words.

use super::plot::esc;
use super::{Connection, GraphOptions, Side, Transition, W};
use crate::tcp::State;
use crate::time::Instant;
use std::fmt::Write;

/// Where the state timeline's first slot starts, after the sides' names.
const STATES_LEFT: f64 = 170.0;
/// The narrowest slot of the state timeline: `SYN_RECEIVED` at 11 px, and a cause in words
/// (`ACK of our SYN received`), whose labels alternate between two rows and so have two slots.
const MIN_SLOT: f64 = 96.0;

impl Connection {
    /// Each side's transitions in the time window.
    fn shown_transitions(&self, o: &GraphOptions) -> [Vec<Transition>; 2] {
        let of = |s: &Side| -> Vec<Transition> {
            s.transitions
                .iter()
                .copied()
                .filter(|t| o.shows(t.time))
                .collect()
        };
        [of(&self.sides[0]), of(&self.sides[1])]
    }

    /// How wide a slot of the state timeline is: the room there is, but at least enough for
    /// the longest state name (`SYN_RECEIVED`) and a transition's cause in words.
    fn slot_width(&self, o: &GraphOptions) -> (f64, usize) {
        let n = self
            .shown_transitions(o)
            .iter()
            .map(Vec::len)
            .sum::<usize>();
        let room = (W - STATES_LEFT - 40.0) / (n as f64 + 1.0);
        (room.max(MIN_SLOT), n)
    }

    pub(super) fn states_width(&self, o: &GraphOptions) -> f64 {
        let (slot_w, n) = self.slot_width(o);
        STATES_LEFT + slot_w * (n as f64 + 1.0) + 40.0
    }

    pub(super) fn states_svg(&self, o: &GraphOptions) -> (String, f64) {
        // An ordinal time axis: every transition gets its own slot, so transitions microseconds
        // apart and a 60 s TIME_WAIT are equally readable; the times are written at the slots.
        let shown = self.shown_transitions(o);
        let mut slots: Vec<(Instant, usize, usize)> = Vec::new(); // (time, side, index)
        for (s, transitions) in shown.iter().enumerate() {
            for (i, t) in transitions.iter().enumerate() {
                slots.push((t.time, s, i));
            }
        }
        slots.sort_by_key(|&(t, s, i)| (t, s, i));
        let mut s = String::new();
        let _ = writeln!(
            s,
            r##"<text x="20" y="16"><tspan font-weight="bold">State timeline</tspan><tspan fill="#555" dx="8">(one slot per transition, not to scale; the times are below the slots)</tspan></text>"##
        );
        if slots.is_empty() {
            let _ = writeln!(
                s,
                r#"<text x="20" y="44">no state changes recorded for this connection{}</text>"#,
                if o.from.is_some() || o.to.is_some() {
                    " in this time window"
                } else {
                    ""
                }
            );
            return (s, 60.0);
        }
        let left = STATES_LEFT;
        let (slot_w, _) = self.slot_width(o);
        let x_of = |k: usize| left + slot_w * (k as f64 + 0.5);
        let x_end = left + slot_w * (slots.len() as f64 + 0.5);
        let lane_h = 34.0;
        let top = 62.0;
        let lane_y = |side: usize| top + side as f64 * (lane_h + 48.0);
        // Slot guides and times.
        let bottom = lane_y(1) + lane_h + 8.0;
        for (k, (t, _, _)) in slots.iter().enumerate() {
            let x = x_of(k);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#bbb" stroke-dasharray="3,3"/>"##,
                top - 26.0
            );
            let _ = writeln!(
                s,
                r##"<text x="{x:.1}" y="{:.1}" font-size="10" fill="#555" transform="rotate(30 {x:.1} {:.1})">{t}</text>"##,
                bottom + 12.0,
                bottom + 12.0
            );
        }
        for (side_i, side) in self.sides.iter().enumerate() {
            let y = lane_y(side_i);
            let _ = writeln!(
                s,
                r##"<text x="10" y="{:.1}" font-weight="bold">{}</text><text x="10" y="{:.1}" font-size="10" fill="#555">{}</text>"##,
                y + 15.0,
                esc(&side.short()),
                y + 28.0,
                esc(&side.addr.to_string())
            );
            let mine: Vec<usize> = slots
                .iter()
                .enumerate()
                .filter(|(_, (_, s, _))| *s == side_i)
                .map(|(k, _)| k)
                .collect();
            let transitions = &shown[side_i];
            let Some(first) = transitions.first() else {
                let _ = writeln!(
                    s,
                    r##"<text x="{left:.1}" y="{:.1}" fill="#555">(no state changes recorded)</text>"##,
                    y + 21.0
                );
                continue;
            };
            // Before the first transition: the state it left, from the start of the axis.
            let mut bands: Vec<(f64, f64, State, Instant, Option<Instant>)> = Vec::new();
            bands.push((
                left,
                x_of(mine[0]),
                first.from,
                o.from.unwrap_or(self.first),
                Some(first.time),
            ));
            for (j, &k) in mine.iter().enumerate() {
                let t = transitions[j];
                let (x2, until) = match mine.get(j + 1) {
                    Some(&k2) => (x_of(k2), Some(transitions[j + 1].time)),
                    None => (x_end, None),
                };
                bands.push((x_of(k), x2, t.to, t.time, until));
            }
            for (x1, x2, state, from, until) in bands {
                let w = (x2 - x1).max(1.0);
                let until = until.map_or_else(
                    || match o.to {
                        Some(t) => t.to_string(),
                        None => "the end of the trace".to_string(),
                    },
                    |u| u.to_string(),
                );
                let _ = writeln!(
                    s,
                    r##"<rect x="{x1:.1}" y="{y:.1}" width="{w:.1}" height="{lane_h:.1}" fill="{}" stroke="white"><title>{state}: {from} to {until}</title></rect>"##,
                    state_color(state)
                );
                // Full names always (`CLOSE_WAIT`): the slots are wide enough for them, but
                // the band before a side's first transition may be half a slot.
                let size = if w > 6.8 * state.name().len() as f64 + 6.0 {
                    11
                } else {
                    8
                };
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="{size}">{state}</text>"#,
                    x1 + w / 2.0,
                    y + lane_h / 2.0 + 4.0
                );
            }
            for (j, &k) in mine.iter().enumerate() {
                let t = transitions[j];
                let x = x_of(k);
                let _ = writeln!(
                    s,
                    r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333" stroke-width="2"/>"##,
                    y - 4.0,
                    y + lane_h + 4.0
                );
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#7b241c">{}<title>{} → {} at {}: {} ({})</title></text>"##,
                    x + 3.0,
                    y - 6.0 - if k % 2 == 1 { 11.0 } else { 0.0 },
                    esc(t.cause.words()),
                    t.from,
                    t.to,
                    t.time,
                    esc(t.cause.words()),
                    t.cause
                );
            }
        }
        (s, bottom + 70.0)
    }
}

fn state_color(s: State) -> &'static str {
    match s {
        State::Closed => "#d5d8dc",
        State::Listen => "#d6eaf8",
        State::SynSent | State::SynReceived => "#fcf3cf",
        State::Established => "#d5f5e3",
        State::FinWait1 | State::FinWait2 | State::Closing => "#fae5d3",
        State::CloseWait | State::LastAck => "#f5eef8",
        State::TimeWait => "#f2d7d5",
    }
}
