//! What a link does to frames besides carrying them: its impairments, kept apart from the
//! carrying (`fabric`: queues, serialisation, arrival) and from the nodes.
//!
//! Each impairment wraps the line the way smoltcp wraps a device in a `FaultInjector`: going in,
//! before the line, it may drop the frame or mark what the wire will do to it (held longer,
//! delivered twice, bits to flip); coming out, on the line, after the `FrameTx` record that
//! keeps the bytes as the sender handed them, it may damage the bytes. A link's
//! [`Impairments`] hold one of each kind, outermost first ([`Impairments::stages`]): a frame
//! meets them in that order going in and in the reverse order coming out, and a seed's draws
//! depend on that order. A new kind of impairment is a type implementing [`Impairment`] and a
//! place in that list.

use crate::ethernet::Frame;
use crate::phy::BitErrors;
use crate::time::Duration;
use crate::trace::PhyDrop;
use rand_chacha::ChaCha8Rng;

use super::fabric::Fault;

/// A frame past a link's checks, with what the wire will do to it (marks set before the line,
/// carried out on it).
#[derive(Clone, Debug)]
pub(super) struct Wire {
    pub frame: Frame,
    /// Bit positions a fault rule flips on the line.
    pub fault_bits: Option<Vec<u64>>,
    /// Held this much longer than the link would (frames sent after it overtake it).
    pub extra_delay: Duration,
    /// Delivered twice.
    pub duplicate: bool,
}

impl Wire {
    fn new(frame: Frame) -> Self {
        Wire {
            frame,
            fault_bits: None,
            extra_delay: Duration::ZERO,
            duplicate: false,
        }
    }
}

/// Bits flipped on the line, and whether a fault rule flipped them (rather than the link's bit
/// error rate).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Flips {
    pub bits: u32,
    pub by_fault: bool,
}

/// One stage of a link's impairments. Both steps default to doing nothing, so a stage
/// implements only the one it acts in. `rng` is the link's own random stream.
trait Impairment {
    /// Before the line: the reason the frame is dropped here, or `None` to let it go (perhaps
    /// marked in `wire`).
    fn admit(&mut self, _side: u8, _wire: &mut Wire, _rng: &mut ChaCha8Rng) -> Option<PhyDrop> {
        None
    }

    /// On the line: damage the bytes; the bits flipped, if any.
    fn damage(&mut self, _wire: &mut Wire, _rng: &mut ChaCha8Rng) -> Option<Flips> {
        None
    }
}

/// The scenario's `fault` lines on this link: the first rule that catches a frame acts on it.
#[derive(Clone, Debug, Default)]
struct FaultRules(Vec<Fault>);

impl Impairment for FaultRules {
    fn admit(&mut self, side: u8, wire: &mut Wire, _rng: &mut ChaCha8Rng) -> Option<PhyDrop> {
        use super::fabric::FaultAction;
        let mut action = None;
        // Every rule counts the frames it matches, even behind one that acts.
        for f in self.0.iter_mut() {
            if f.hits(side, &wire.frame) && action.is_none() {
                action = Some(f.action.clone());
            }
        }
        match action? {
            FaultAction::Drop => return Some(PhyDrop::Fault),
            FaultAction::Corrupt(bits) => wire.fault_bits = Some(bits),
            FaultAction::Delay(d) => wire.extra_delay = d,
            FaultAction::Duplicate => wire.duplicate = true,
        }
        None
    }

    /// The bits a rule marked, flipped after the line's own errors.
    fn damage(&mut self, wire: &mut Wire, _rng: &mut ChaCha8Rng) -> Option<Flips> {
        let bits = wire.fault_bits.take()?;
        let mut bytes = wire.frame.to_vec();
        let mut n = 0;
        for b in bits {
            if let Some(byte) = bytes.get_mut((b / 8) as usize) {
                *byte ^= 1 << (b % 8);
                n += 1;
            }
        }
        wire.frame = Frame::from(bytes);
        Some(Flips {
            bits: n,
            by_fault: true,
        })
    }
}

/// A link's `loss`: each frame lost outright with this probability, drawn for every frame that
/// reaches this stage, so a seed gives the same losses however the traffic is traced.
#[derive(Copy, Clone, Debug, Default)]
struct RandomLoss(Option<f64>);

impl RandomLoss {
    fn new(p: f64) -> Self {
        RandomLoss((p > 0.0).then_some(p.min(1.0)))
    }
}

impl Impairment for RandomLoss {
    fn admit(&mut self, _side: u8, _wire: &mut Wire, rng: &mut ChaCha8Rng) -> Option<PhyDrop> {
        let p = self.0?;
        (rand::RngExt::random::<f64>(rng) < p).then_some(PhyDrop::RandomLoss)
    }
}

/// A link's `bit_error_rate`: each bit on the line flips independently.
#[derive(Copy, Clone, Debug, Default)]
struct BitErrorRate(Option<BitErrors>);

impl Impairment for BitErrorRate {
    fn damage(&mut self, wire: &mut Wire, rng: &mut ChaCha8Rng) -> Option<Flips> {
        let (damaged, n) = self.0?.damage(&wire.frame, rng)?;
        wire.frame = Frame::from(damaged);
        Some(Flips {
            bits: n,
            by_fault: false,
        })
    }
}

/// A link's impairments, one of each kind, and the link's random stream they draw from.
#[derive(Debug)]
pub struct Impairments {
    faults: FaultRules,
    loss: RandomLoss,
    errors: BitErrorRate,
    rng: ChaCha8Rng,
}

impl Impairments {
    pub fn new(loss: f64, bit_error_rate: f64, rng: ChaCha8Rng) -> Self {
        Impairments {
            faults: FaultRules::default(),
            loss: RandomLoss::new(loss),
            errors: BitErrorRate(BitErrors::new(bit_error_rate)),
            rng,
        }
    }

    /// The stages, outermost first: the fault rules (a frame a rule drops draws no loss),
    /// random loss, the line's bit errors (so on the line the link's own errors come first,
    /// then the bits a rule marked).
    fn stages(&mut self) -> ([&mut dyn Impairment; 3], &mut ChaCha8Rng) {
        (
            [&mut self.faults, &mut self.loss, &mut self.errors],
            &mut self.rng,
        )
    }

    /// Runs a frame through every stage's check before the line: the first drop ends it.
    pub(super) fn admit(&mut self, side: u8, frame: Frame) -> Result<Wire, (Frame, PhyDrop)> {
        let mut wire = Wire::new(frame);
        if self.is_clean() {
            return Ok(wire);
        }
        let (stages, rng) = self.stages();
        for s in stages {
            if let Some(why) = s.admit(side, &mut wire, rng) {
                return Err((wire.frame, why));
            }
        }
        Ok(wire)
    }

    /// Runs a frame on the line through every stage's damage, innermost first: the bits every
    /// stage flipped, counted together (a frame the link's errors and a rule both hit counts
    /// both), and whether a rule was among them.
    pub(super) fn damage(&mut self, wire: &mut Wire) -> Option<Flips> {
        if self.is_clean() {
            return None;
        }
        let (stages, rng) = self.stages();
        let mut flips: Option<Flips> = None;
        for s in stages.into_iter().rev() {
            if let Some(f) = s.damage(wire, rng) {
                flips = Some(match flips {
                    Some(before) => Flips {
                        bits: before.bits + f.bits,
                        by_fault: before.by_fault || f.by_fault,
                    },
                    None => f,
                });
            }
        }
        flips
    }

    /// No rule, no loss, no bit errors: every stage would pass every frame untouched, and
    /// none draws from the stream, so the stages need not run (most links of most runs).
    fn is_clean(&self) -> bool {
        self.faults.0.is_empty() && self.loss.0.is_none() && self.errors.0.is_none()
    }

    /// A `fault` line from now on (after the rules already there).
    pub fn add_fault(&mut self, fault: Fault) {
        self.faults.0.push(fault);
    }

    /// The probability of random loss from now on.
    pub fn set_loss(&mut self, p: f64) {
        self.loss = RandomLoss::new(p);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fabric::FaultAction;
    use super::*;
    use crate::filter::FrameFilter;
    use rand::SeedableRng;

    fn frame() -> Frame {
        Frame::from(vec![0u8; 64])
    }

    fn impairments(loss: f64, ber: f64) -> Impairments {
        Impairments::new(loss, ber, ChaCha8Rng::seed_from_u64(1))
    }

    #[test]
    fn a_clean_link_passes_every_frame_untouched() {
        let mut i = impairments(0.0, 0.0);
        let mut w = i.admit(0, frame()).unwrap();
        assert_eq!(i.damage(&mut w), None);
        assert_eq!(&w.frame[..], &frame()[..]);
    }

    #[test]
    fn a_rule_that_drops_comes_before_random_loss_and_draws_nothing() {
        let mut with_rule = impairments(0.5, 0.0);
        with_rule.add_fault(Fault::new(
            None,
            FrameFilter::any(),
            1,
            1,
            FaultAction::Drop,
        ));
        let mut without = impairments(0.5, 0.0);
        assert_eq!(with_rule.admit(0, frame()).unwrap_err().1, PhyDrop::Fault);
        // The rule's frame took no draw: both streams now give the same losses.
        for _ in 0..50 {
            assert_eq!(
                with_rule.admit(0, frame()).is_ok(),
                without.admit(0, frame()).is_ok()
            );
        }
    }

    #[test]
    fn marked_bits_flip_on_the_line_after_the_link_errors_and_name_the_rule() {
        let mut i = impairments(0.0, 1.0);
        i.add_fault(Fault::new(
            None,
            FrameFilter::any(),
            1,
            1,
            FaultAction::Corrupt(vec![0, 9]),
        ));
        let mut w = i.admit(0, frame()).unwrap();
        let f = i.damage(&mut w).unwrap();
        assert_eq!(
            f,
            Flips {
                bits: 64 * 8 + 2,
                by_fault: true
            },
            "both kinds of flip counted, the rule named"
        );
        // Every bit flipped by the rate, then bits 0 and 9 flipped back by the rule.
        assert_eq!(w.frame[0], 0xfe);
        assert_eq!(w.frame[1], 0xfd);
        assert!(w.frame[2..].iter().all(|&b| b == 0xff));
    }

    #[test]
    fn loss_can_be_changed_while_the_link_runs() {
        let mut i = impairments(1.0, 0.0);
        assert_eq!(i.admit(0, frame()).unwrap_err().1, PhyDrop::RandomLoss);
        i.set_loss(0.0);
        assert!(i.admit(0, frame()).is_ok());
    }
}
