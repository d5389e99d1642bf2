//! Virtual time. Nothing in netlab reads the wall clock: every core takes `now` as an argument.
//!
//! [`Instant`] is nanoseconds since the start of the simulation and [`Duration`] a span of
//! nanoseconds, both `u64`, so arithmetic is exact and identical on every machine.
//! Durations parse from the text a scenario author writes: `"1ms"`, `"2.5us"`, `"60s"`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// A point in simulated time: nanoseconds since the simulation started.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Instant(u64);

/// A span of simulated time in nanoseconds.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Duration(u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);
    /// Later than any time a simulation reaches; used as "never".
    pub const MAX: Instant = Instant(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        Instant(ns)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Time since `earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);
    pub const MAX: Duration = Duration(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        Duration(us * 1_000)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1_000_000_000)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    pub fn saturating_mul(self, k: u64) -> Duration {
        Duration(self.0.saturating_mul(k))
    }
    pub fn saturating_add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
    pub fn saturating_sub(self, d: Duration) -> Duration {
        Duration(self.0.saturating_sub(d.0))
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at [`Instant::MAX`] rather than wrapping: a deadline past the end of time is "never".
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating: a negative span is zero.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_since(earlier)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        self.saturating_add(d)
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, d: Duration) -> Duration {
        self.saturating_sub(d)
    }
}

/// Formats nanoseconds as seconds with nine decimals, the layout of every time column in
/// netlab's text views (`1.000000672`): fixed width, exact, and sortable as text.
fn fmt_secs(ns: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let s = format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
    f.pad(&s)
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_secs(self.0, f)
    }
}

impl fmt::Display for Duration {
    /// Human form with the largest unit that keeps the value at least 1: `1.5ms`, `60s`, `672ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        let (scale, unit) = if ns >= 1_000_000_000 {
            (1e9, "s")
        } else if ns >= 1_000_000 {
            (1e6, "ms")
        } else if ns >= 1_000 {
            (1e3, "us")
        } else {
            return f.pad(&format!("{ns}ns"));
        };
        let v = ns as f64 / scale;
        // Up to 6 significant decimals, trailing zeros dropped: "1.5ms", not "1.500000ms".
        let mut s = format!("{v:.6}");
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
        f.pad(&format!("{s}{unit}"))
    }
}

/// Why a duration did not parse. The message says what was expected, for scenario errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDurationError {
    #[error("expected a duration such as `10ms`, `2.5us` or `60s`, found an empty value")]
    Empty,
    #[error("expected a number before the unit in `{0}` (a duration such as `10ms`)")]
    NoNumber(String),
    #[error("`{0}` has no unit: write it as `{0}s`, `{0}ms`, `{0}us` or `{0}ns`")]
    NoUnit(String),
    #[error("unknown time unit `{unit}` in `{text}`: expected one of ns, us, ms, s, min")]
    BadUnit { text: String, unit: String },
    #[error("duration `{0}` is negative or too large")]
    OutOfRange(String),
    #[error("duration `{0}` is finer than one nanosecond")]
    SubNanosecond(String),
}

/// Splits `"2.5us"` into its decimal number and unit, and scales the number exactly (no floating
/// point), so `"0.1s"` is exactly 100 000 000 ns.
pub(crate) fn parse_scaled(
    text: &str,
    scale_of_unit: impl Fn(&str) -> Option<u64>,
) -> ParsedNumber {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    if num.is_empty() {
        return ParsedNumber::NoNumber;
    }
    if num.starts_with('.') && num.len() == 1 {
        return ParsedNumber::NoNumber;
    }
    let Some(scale) = scale_of_unit(unit) else {
        return if unit.is_empty() {
            ParsedNumber::NoUnit
        } else {
            ParsedNumber::BadUnit(unit.to_string())
        };
    };
    let num = num.replace('_', "");
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num.as_str(), ""),
    };
    if frac_part.contains('.') {
        return ParsedNumber::NoNumber;
    }
    let int: u128 = if int_part.is_empty() {
        0
    } else {
        match int_part.parse() {
            Ok(v) => v,
            Err(_) => return ParsedNumber::OutOfRange,
        }
    };
    let mut value = int.checked_mul(scale as u128);
    // Add the fraction digit by digit: each digit is worth scale / 10^k.
    let mut place = scale as u128;
    for d in frac_part.bytes() {
        let digit = (d - b'0') as u128;
        if !place.is_multiple_of(10) && digit != 0 {
            return ParsedNumber::TooFine;
        }
        place /= 10;
        value = value.and_then(|v| v.checked_add(digit * place));
    }
    match value {
        Some(v) if v <= u64::MAX as u128 => ParsedNumber::Ok(v as u64),
        _ => ParsedNumber::OutOfRange,
    }
}

pub(crate) enum ParsedNumber {
    Ok(u64),
    NoNumber,
    NoUnit,
    BadUnit(String),
    OutOfRange,
    TooFine,
}

impl FromStr for Duration {
    type Err = ParseDurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        if t.is_empty() {
            return Err(ParseDurationError::Empty);
        }
        if t.starts_with('-') {
            return Err(ParseDurationError::OutOfRange(t.to_string()));
        }
        let unit_scale = |u: &str| match u {
            "ns" => Some(1),
            "us" | "µs" => Some(1_000),
            "ms" => Some(1_000_000),
            "s" => Some(1_000_000_000),
            "min" => Some(60_000_000_000),
            _ => None,
        };
        match parse_scaled(t, unit_scale) {
            ParsedNumber::Ok(ns) => Ok(Duration(ns)),
            ParsedNumber::NoNumber => Err(ParseDurationError::NoNumber(t.to_string())),
            ParsedNumber::NoUnit => Err(ParseDurationError::NoUnit(t.to_string())),
            ParsedNumber::BadUnit(unit) => Err(ParseDurationError::BadUnit {
                text: t.to_string(),
                unit,
            }),
            ParsedNumber::OutOfRange => Err(ParseDurationError::OutOfRange(t.to_string())),
            ParsedNumber::TooFine => Err(ParseDurationError::SubNanosecond(t.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_exactly() {
        assert_eq!("672ns".parse::<Duration>().unwrap().as_nanos(), 672);
        assert_eq!("2.5us".parse::<Duration>().unwrap().as_nanos(), 2_500);
        assert_eq!("1ms".parse::<Duration>().unwrap().as_nanos(), 1_000_000);
        assert_eq!("0.1s".parse::<Duration>().unwrap().as_nanos(), 100_000_000);
        assert_eq!("60s".parse::<Duration>().unwrap(), Duration::from_secs(60));
        assert_eq!(
            "2min".parse::<Duration>().unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            "1_000ms".parse::<Duration>().unwrap(),
            Duration::from_secs(1)
        );
        assert_eq!(
            " 3 ms ".parse::<Duration>().unwrap(),
            Duration::from_millis(3)
        );
    }

    #[test]
    fn rejects_what_a_person_might_mistype() {
        assert!(matches!(
            "10".parse::<Duration>(),
            Err(ParseDurationError::NoUnit(_))
        ));
        assert!(matches!(
            "10sec".parse::<Duration>(),
            Err(ParseDurationError::BadUnit { .. })
        ));
        assert!(matches!(
            "ms".parse::<Duration>(),
            Err(ParseDurationError::NoNumber(_))
        ));
        assert!(matches!(
            "".parse::<Duration>(),
            Err(ParseDurationError::Empty)
        ));
        assert!(matches!(
            "-1s".parse::<Duration>(),
            Err(ParseDurationError::OutOfRange(_))
        ));
        assert!(matches!(
            "0.5ns".parse::<Duration>(),
            Err(ParseDurationError::SubNanosecond(_))
        ));
        assert!(matches!(
            "1.2.3s".parse::<Duration>(),
            Err(ParseDurationError::NoNumber(_))
        ));
        assert!(matches!(
            "99999999999999999999s".parse::<Duration>(),
            Err(ParseDurationError::OutOfRange(_))
        ));
    }

    #[test]
    fn displays_readably() {
        assert_eq!(Duration::from_nanos(672).to_string(), "672ns");
        assert_eq!(Duration::from_micros(1500).to_string(), "1.5ms");
        assert_eq!(Duration::from_secs(60).to_string(), "60s");
        assert_eq!(
            Instant::from_nanos(1_000_000_672).to_string(),
            "1.000000672"
        );
    }

    #[test]
    fn instant_arithmetic_saturates() {
        let t = Instant::from_nanos(10);
        assert_eq!(t + Duration::from_nanos(5), Instant::from_nanos(15));
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(t - Instant::from_nanos(20), Duration::ZERO);
    }
}
