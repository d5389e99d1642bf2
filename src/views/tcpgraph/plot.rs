//! The drawing pieces of the TCP pictures: a plot area with time and value axes, step lines,
//! legends (drawn outside the plot, so they never cover a curve), round ticks, numbers and XML
//! escaping.

use crate::time::Instant;
use std::fmt::Write;

/// A plot area with a linear time axis and a linear value axis.
pub(super) struct Plot {
    pub(super) left: f64,
    pub(super) right: f64,
    pub(super) top: f64,
    pub(super) bottom: f64,
    t0: f64,
    t1: f64,
    v0: f64,
    v1: f64,
}

impl Plot {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        left: f64,
        right: f64,
        top: f64,
        bottom: f64,
        t0: Instant,
        t1: Instant,
        v0: f64,
        v1: f64,
    ) -> Plot {
        let (mut a, mut b) = (t0.as_secs_f64(), t1.as_secs_f64());
        if b - a < 1e-9 {
            a -= 0.5e-3;
            b += 0.5e-3;
        }
        let pad = (b - a) * 0.03;
        Plot {
            left,
            right,
            top,
            bottom,
            t0: a - pad,
            t1: b + pad,
            v0,
            v1: if v1 > v0 { v1 } else { v0 + 1.0 },
        }
    }

    pub(super) fn x(&self, t: Instant) -> f64 {
        self.xs(t.as_secs_f64())
    }

    pub(super) fn xs(&self, secs: f64) -> f64 {
        self.left + (secs - self.t0) / (self.t1 - self.t0) * (self.right - self.left)
    }

    pub(super) fn y(&self, v: f64) -> f64 {
        self.bottom - (v - self.v0) / (self.v1 - self.v0) * (self.bottom - self.top)
    }

    /// Axes, ticks and grid.
    pub(super) fn frame(&self, y_label: &str, fmt_y: &dyn Fn(f64) -> String) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#444"/>"##,
            self.left,
            self.top,
            self.right - self.left,
            self.bottom - self.top
        );
        let (unit, scale) = time_unit(self.t1 - self.t0);
        for t in nice_ticks(self.t0, self.t1, 8) {
            let x = self.xs(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"##,
                self.top,
                self.bottom,
                self.bottom + 14.0,
                format_num(t * scale)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">time ({unit})</text>"#,
            self.right,
            self.bottom + 28.0
        );
        for v in nice_ticks(self.v0, self.v1, 6) {
            let y = self.y(v);
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">{}</text>"##,
                self.left,
                self.right,
                self.left - 4.0,
                y + 3.0,
                esc(&fmt_y(v))
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" transform="rotate(-90 {:.1} {:.1})" text-anchor="middle">{}</text>"#,
            14.0,
            (self.top + self.bottom) / 2.0,
            14.0,
            (self.top + self.bottom) / 2.0,
            esc(y_label)
        );
        s
    }

    pub(super) fn clip(&self, id: &str) -> String {
        format!(
            "<defs><clipPath id=\"{id}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/></clipPath></defs>\n",
            self.left,
            self.top - 1.0,
            self.right - self.left,
            self.bottom - self.top + 2.0
        )
    }
}

/// A step line through `pts` (horizontal to the next x, then vertical), continued to `end_x`.
pub(super) fn step_line(
    pts: &[(f64, f64)],
    end_x: f64,
    color: &str,
    dash: &str,
    title: &str,
) -> String {
    if pts.is_empty() {
        return String::new();
    }
    let mut d = format!("M{:.1},{:.1}", pts[0].0, pts[0].1);
    for w in pts.windows(2) {
        let _ = write!(d, " H{:.1} V{:.1}", w[1].0, w[1].1);
    }
    let _ = write!(d, " H{:.1}", end_x.max(pts[pts.len() - 1].0));
    let dash = if dash.is_empty() {
        String::new()
    } else {
        format!(r#" stroke-dasharray="{dash}""#)
    };
    format!(
        "<path d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{dash}><title>{}</title></path>\n",
        esc(title)
    )
}

/// A legend under a plot, outside it (so it never covers a curve): items in rows from `x`,
/// wrapped before `right`. Returns the drawing and its height.
pub(super) fn legend(x: f64, y: f64, right: f64, items: &[(&str, &str, &str)]) -> (String, f64) {
    let mut s = String::new();
    let (mut cx, mut cy) = (x, y);
    for (color, dash, text) in items {
        let w = 36.0 + text.chars().count() as f64 * 5.6 + 18.0;
        if cx > x && cx + w > right {
            cx = x;
            cy += 16.0;
        }
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
            cx,
            cy - 4.0,
            cx + 24.0,
            cy - 4.0,
            cx + 30.0,
            cy,
            esc(text)
        );
        cx += w;
    }
    (s, cy - y + 16.0)
}

/// The unit a time span reads best in, and the factor from seconds.
fn time_unit(span_secs: f64) -> (&'static str, f64) {
    if span_secs < 2e-3 {
        ("µs", 1e6)
    } else if span_secs < 2.0 {
        ("ms", 1e3)
    } else {
        ("s", 1.0)
    }
}

/// About `target` round tick values between `lo` and `hi` (1, 2 or 5 times a power of ten).
pub(super) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = hi - lo;
    if span <= 0.0 || !span.is_finite() {
        return vec![lo];
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    // Multiples of the step, computed one by one (repeated addition would drift).
    let first = (lo / step).ceil() as i64;
    let mut out = Vec::new();
    for k in first.. {
        let v = k as f64 * step;
        if v > hi + step * 1e-9 || out.len() >= 100 {
            break;
        }
        out.push(if k == 0 { 0.0 } else { v });
    }
    out
}

/// A number with no more decimals than it needs (`0.5`, `12`, `1.25`).
pub(super) fn format_num(v: f64) -> String {
    let mut s = format!("{v:.3}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

pub(super) fn fmt_bytes(v: f64) -> String {
    format_num(v)
}

/// Text for XML content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push('?'),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let t: Vec<String> = nice_ticks(0.013, 0.061, 5)
            .into_iter()
            .map(format_num)
            .collect();
        assert_eq!(t, ["0.02", "0.03", "0.04", "0.05", "0.06"]);
        assert_eq!(nice_ticks(1.0, 1.0, 5), [1.0]);
        assert_eq!(format_num(0.25), "0.25");
        assert_eq!(format_num(12.0), "12");
    }
}
