//! TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).
//!
//! Sequence numbers wrap, so `a < b` means "b is at most 2^31 - 1 octets ahead of a", not a
//! comparison of the raw integers. Keeping them in their own type makes it impossible to
//! compare or subtract them as plain `u32` by accident.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A TCP sequence or acknowledgment number.
///
/// Ordering is modular: `SeqNumber(u32::MAX) < SeqNumber(0)`. The order is only meaningful for
/// numbers less than 2^31 apart, which TCP guarantees for any two numbers it compares.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The raw 32-bit value, as carried on the wire.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Octets from `self` forward to `later`, modulo 2^32. If `later` is actually before `self`,
    /// this is a large number; use [`SeqNumber::signed_distance`] when that can happen.
    pub fn distance(self, later: SeqNumber) -> u32 {
        later.0.wrapping_sub(self.0)
    }

    /// Signed distance from `self` to `other`: positive when `other` is ahead.
    pub fn signed_distance(self, other: SeqNumber) -> i32 {
        other.0.wrapping_sub(self.0) as i32
    }

    /// The later of the two (modular order).
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self < other {
            other
        } else {
            self
        }
    }

    /// The earlier of the two (modular order).
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self < other {
            self
        } else {
            other
        }
    }

    /// `low <= self < high` in modular order, the form of every window test in RFC 9293.
    pub fn in_range(self, low: SeqNumber, high: SeqNumber) -> bool {
        low <= self && self < high
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(self.signed_distance(*other).cmp(&0).reverse())
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl Add<usize> for SeqNumber {
    type Output = SeqNumber;
    /// Offsets are taken modulo 2^32, like every sequence-space quantity.
    fn add(self, n: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n as u32))
    }
}

impl AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, n: u32) {
        *self = *self + n;
    }
}

impl AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, n: usize) {
        *self = *self + n;
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n))
    }
}

impl Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n as u32))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_wraps_around() {
        let near_end = SeqNumber(u32::MAX - 10);
        let wrapped = near_end + 20u32;
        assert_eq!(wrapped, SeqNumber(9));
        assert!(near_end < wrapped);
        assert!(wrapped > near_end);
        assert!(near_end <= near_end);
        assert_eq!(near_end.distance(wrapped), 20);
        assert_eq!(wrapped.signed_distance(near_end), -20);
        assert_eq!(near_end.max(wrapped), wrapped);
        assert_eq!(near_end.min(wrapped), near_end);
    }

    #[test]
    fn offsets_add_and_subtract_modulo_2_pow_32() {
        assert_eq!(SeqNumber(5) - 10u32, SeqNumber(u32::MAX - 4));
        assert_eq!(SeqNumber(5) + 3usize, SeqNumber(8));
        let mut s = SeqNumber(u32::MAX);
        s += 1u32;
        assert_eq!(s, SeqNumber(0));
    }

    #[test]
    fn in_range_is_half_open() {
        let lo = SeqNumber(u32::MAX - 1);
        let hi = lo + 4u32;
        assert!(lo.in_range(lo, hi));
        assert!(SeqNumber(1).in_range(lo, hi));
        assert!(!hi.in_range(lo, hi));
        assert!(!(lo - 1u32).in_range(lo, hi));
    }

    #[test]
    fn displays_raw_value() {
        assert_eq!(SeqNumber(1000).to_string(), "1000");
    }
}
