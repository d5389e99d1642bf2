//! Bit errors that flip real bits of a frame's bytes.
//!
//! With a bit error rate `p`, each bit flips independently with probability `p`. Rather than draw
//! one random number per bit, we draw the gap to the next error from the geometric distribution
//! (`floor(ln U / ln(1 - p))`), so the cost grows with the number of errors, not the frame size:
//! a clean 1500-byte frame at `p = 1e-7` costs one random draw.

use rand::RngExt;

#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BitErrors {
    rate: f64,
    /// `ln(1 - rate)`, negative; precomputed because every frame needs it.
    ln_keep: f64,
}

impl BitErrors {
    /// `None` when the rate means a perfect line (0) so callers skip the RNG entirely.
    /// Rates are clamped to `[0, 1]`; scenario validation rejects anything outside first.
    pub fn new(rate: f64) -> Option<Self> {
        if rate.is_nan() || rate <= 0.0 {
            return None;
        }
        let rate = rate.min(1.0);
        Some(BitErrors {
            rate,
            ln_keep: (-rate).ln_1p(),
        })
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Bits to skip before the next error.
    fn gap<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        if self.rate >= 1.0 {
            return 0;
        }
        // U in (0, 1]: ln(U) is finite and <= 0.
        let u = 1.0 - rng.random::<f64>();
        let g = u.ln() / self.ln_keep;
        if g >= u64::MAX as f64 {
            u64::MAX
        } else {
            g as u64
        }
    }

    /// Runs the error process over `bytes` without touching them unless a bit flips: returns a
    /// damaged copy and the number of flipped bits, or `None` for the common clean case (no
    /// copy, one random draw).
    pub fn damage<R: rand::Rng + ?Sized>(
        &self,
        bytes: &[u8],
        rng: &mut R,
    ) -> Option<(Vec<u8>, u32)> {
        let nbits = bytes.len() as u64 * 8;
        let first = self.gap(rng);
        if first >= nbits {
            return None;
        }
        let mut copy = bytes.to_vec();
        let flipped = self.flip_from(&mut copy, first, rng);
        Some((copy, flipped))
    }

    /// Flips the bit at `first` and every later error position; returns the count.
    fn flip_from<R: rand::Rng + ?Sized>(&self, bytes: &mut [u8], first: u64, rng: &mut R) -> u32 {
        let nbits = bytes.len() as u64 * 8;
        let mut flipped = 0;
        let mut pos = first;
        while pos < nbits {
            // Bit 0 is the first bit on the wire: Ethernet sends each byte least significant
            // bit first (IEEE 802.3 §3.3).
            bytes[(pos / 8) as usize] ^= 1 << (pos % 8);
            flipped += 1;
            pos = pos.saturating_add(1).saturating_add(self.gap(rng));
        }
        flipped
    }

    /// Flips bits of `bytes` in place; returns how many were flipped.
    pub fn apply<R: rand::Rng + ?Sized>(&self, bytes: &mut [u8], rng: &mut R) -> u32 {
        let first = self.gap(rng);
        self.flip_from(bytes, first, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn zero_rate_is_a_perfect_line() {
        assert!(BitErrors::new(0.0).is_none());
        assert!(BitErrors::new(f64::NAN).is_none());
    }

    #[test]
    fn rate_one_flips_every_bit() {
        let e = BitErrors::new(1.0).unwrap();
        let mut b = [0u8; 4];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(e.apply(&mut b, &mut rng), 32);
        assert_eq!(b, [0xff; 4]);
    }

    #[test]
    fn flipped_bits_match_the_count_and_the_rate() {
        let e = BitErrors::new(1e-3).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut total = 0u64;
        let frames = 2_000;
        for _ in 0..frames {
            let mut b = vec![0u8; 1500];
            let n = e.apply(&mut b, &mut rng);
            let ones: u32 = b.iter().map(|x| x.count_ones()).sum();
            assert_eq!(n, ones, "every reported flip is a real flipped bit");
            total += n as u64;
        }
        let expected = frames as f64 * 12_000.0 * 1e-3; // 24 000
        let observed = total as f64;
        assert!(
            (observed - expected).abs() < expected * 0.05,
            "observed {observed} errors, expected about {expected}"
        );
    }

    #[test]
    fn damage_copies_only_when_a_bit_flips() {
        let e = BitErrors::new(1e-9).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let clean = [0u8; 64];
        assert!(e.damage(&clean, &mut rng).is_none());
        let e = BitErrors::new(0.5).unwrap();
        let (copy, n) = e.damage(&clean, &mut rng).unwrap();
        assert_eq!(copy.iter().map(|b| b.count_ones()).sum::<u32>(), n);
        assert!(n > 0);
    }

    #[test]
    fn same_seed_same_errors() {
        let e = BitErrors::new(1e-2).unwrap();
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut b = vec![0u8; 200];
            e.apply(&mut b, &mut rng);
            b
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
