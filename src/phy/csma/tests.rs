use super::*;
use crate::rng::stream;

fn us(n: u64) -> Instant {
    Instant::ZERO + Duration::from_micros(n)
}

fn rng() -> ChaCha8Rng {
    stream(7, "csma-test", 0)
}

/// A 10 Mbps segment (a bit is 100 ns, a slot 51.2 µs) with these cable delays in µs.
fn segment(delays_us: &[u64]) -> Segment {
    let stations: Vec<(Duration, usize)> = delays_us
        .iter()
        .map(|&d| (Duration::from_micros(d), 100))
        .collect();
    Segment::new(Bandwidth::from_bps(10_000_000), &stations, rng())
}

fn frame(token: u64, len: usize) -> Queued {
    Queued { token, len }
}

/// Runs the segment to quiet, returning every output with its time.
fn drain(seg: &mut Segment) -> Vec<(Instant, SegmentOut)> {
    let mut all = Vec::new();
    while let Some(t) = seg.poll_at() {
        let mut out = Vec::new();
        seg.run(t, &mut out);
        all.extend(out.into_iter().map(|o| (t, o)));
    }
    all
}

#[test]
fn a_lone_frame_crosses_after_its_serialisation_and_cable() {
    let mut seg = segment(&[1, 1]);
    let mut out = Vec::new();
    assert!(seg.enqueue(us(0), 0, frame(1, 64), &mut out));
    let all = drain(&mut seg);
    // 72 bytes (preamble + 64) at 10 Mbps = 57.6 µs, then 1 µs to the repeater.
    assert_eq!(
        all,
        vec![(
            Instant::from_nanos(58_600),
            SegmentOut::Crossed {
                station: 0,
                token: 1,
                start: us(0),
                attempt: 1
            }
        )]
    );
}

#[test]
fn a_station_defers_while_it_hears_carrier_then_waits_the_gap() {
    let mut seg = segment(&[1, 2]);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 64), &mut out);
    // Station 0's signal reaches station 1 at 3 µs and lasts 57.6 µs: station 1, given a frame
    // at 10 µs, waits for it to end (60.6 µs) plus 96 bit times (9.6 µs).
    seg.run(us(10), &mut out);
    seg.enqueue(us(10), 1, frame(2, 64), &mut out);
    let all = drain(&mut seg);
    let starts: Vec<Instant> = all
        .iter()
        .filter_map(|(_, o)| match o {
            SegmentOut::Crossed { start, .. } => Some(*start),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![us(0), Instant::from_nanos(70_200)]);
    assert_eq!(seg.counters.collisions, 0);
}

#[test]
fn two_stations_starting_within_the_propagation_delay_collide_jam_and_back_off() {
    let mut seg = segment(&[2, 3]);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 1000), &mut out);
    seg.enqueue(us(1), 1, frame(2, 1000), &mut out);
    let all = drain(&mut seg);
    // Station 0 hears station 1 at 1 + 3 + 2 = 6 µs; station 1 hears station 0 at 5 µs.
    let collisions: Vec<(Instant, usize, Duration)> = all
        .iter()
        .filter_map(|(t, o)| match o {
            SegmentOut::Collision {
                station,
                after,
                attempt: 1,
                late: false,
                then: AfterCollision::Backoff { slots },
                ..
            } => {
                assert!(*slots < 2, "the first backoff is 0 or 1 slot");
                Some((*t, *station, *after))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        collisions[..2],
        [
            (us(5), 1, Duration::from_micros(4)),
            (us(6), 0, Duration::from_micros(6))
        ]
    );
    // Both frames get through in the end, each once.
    let mut crossed: Vec<u64> = all
        .iter()
        .filter_map(|(_, o)| match o {
            SegmentOut::Crossed { token, .. } => Some(*token),
            _ => None,
        })
        .collect();
    crossed.sort();
    assert_eq!(crossed, vec![1, 2]);
    assert!(seg.counters.collisions >= 2);
}

#[test]
fn the_jam_follows_the_preamble_and_lasts_32_bits() {
    let mut seg = segment(&[1, 1]);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 64), &mut out);
    seg.enqueue(us(0), 1, frame(2, 64), &mut out);
    seg.run(us(2), &mut out);
    // Both start at 0 and hear each other 2 µs in, inside the 6.4 µs of preamble and SFD: each
    // finishes those 64 bits, then sends 32 bits of jam, so its signal ends at 9.6 µs.
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|o| matches!(
        o,
        SegmentOut::Collision { after, attempt: 1, late: false, .. } if *after == Duration::from_micros(2)
    )));
    assert!(seg
        .signals
        .iter()
        .all(|x| x.jammed && x.end == Instant::from_nanos(9_600)));
}

#[test]
fn the_backoff_window_doubles_and_stops_at_2_to_the_10() {
    let mut r = rng();
    for n in 1..=15u32 {
        let window = 1u32 << n.min(BACKOFF_LIMIT);
        let draws: Vec<u32> = (0..4000).map(|_| backoff_slots(n, &mut r)).collect();
        assert!(draws.iter().all(|&d| d < window), "n={n}");
        // The top half of the window is used: the range really is that wide.
        assert!(draws.iter().any(|&d| d >= window / 2), "n={n}");
    }
}

#[test]
fn the_sixteenth_collision_drops_the_frame_and_the_next_one_starts_fresh() {
    let mut mac = Mac::new(10);
    let mut r = rng();
    let slot = Duration::from_nanos(51_200);
    assert!(mac.enqueue(us(0), frame(1, 64)));
    assert!(mac.enqueue(us(0), frame(2, 64)));
    for n in 1..ATTEMPT_LIMIT {
        let after = mac.collided(false, us(u64::from(n) * 100), slot, &mut r);
        let AfterCollision::Backoff { slots } = after else {
            panic!("collision {n} gave {after:?}")
        };
        assert!(slots < 1 << n.min(BACKOFF_LIMIT));
        assert_eq!(mac.head(), Some(frame(1, 64)));
        assert_eq!(mac.collisions(), n);
        assert_eq!(
            mac.ready(),
            us(u64::from(n) * 100) + slot.saturating_mul(u64::from(slots))
        );
    }
    assert_eq!(
        mac.collided(false, us(5000), slot, &mut r),
        AfterCollision::Excessive
    );
    assert_eq!(mac.head(), Some(frame(2, 64)));
    assert_eq!(mac.collisions(), 0);
    assert_eq!(mac.ready(), us(5000));
}

#[test]
fn the_queue_behind_the_frame_being_sent_is_bounded() {
    let mut mac = Mac::new(1);
    assert!(mac.enqueue(us(0), frame(1, 64)));
    assert!(mac.enqueue(us(0), frame(2, 64)));
    assert!(!mac.enqueue(us(0), frame(3, 64)));
}

#[test]
fn a_collision_heard_after_512_bit_times_is_late_and_abandons_the_frame() {
    // 20 µs cables: a round trip through the repeater is 80 µs, more than the 51.2 µs slot.
    let mut seg = segment(&[20, 20]);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 1500), &mut out);
    // Station 0's signal reaches station 1 at 40 µs; station 1 starts at 39 µs, still deaf.
    seg.run(us(39), &mut out);
    seg.enqueue(us(39), 1, frame(2, 1500), &mut out);
    let all = drain(&mut seg);
    let late: Vec<&SegmentOut> = all
        .iter()
        .map(|(_, o)| o)
        .filter(|o| matches!(o, SegmentOut::Collision { late: true, .. }))
        .collect();
    assert_eq!(
        late,
        vec![&SegmentOut::Collision {
            station: 0,
            token: 1,
            attempt: 1,
            after: Duration::from_micros(79),
            late: true,
            then: AfterCollision::Late,
        }]
    );
    assert_eq!(seg.counters.late_collisions, 1);
    // Station 1's collision (heard 1 µs in) is an ordinary one: its frame gets through later.
    assert!(all.iter().any(|(_, o)| matches!(
        o,
        SegmentOut::Crossed {
            token: 2,
            attempt: 2,
            ..
        }
    )));
    assert!(!all
        .iter()
        .any(|(_, o)| matches!(o, SegmentOut::Crossed { token: 1, .. })));
}

#[test]
fn a_short_frame_on_oversized_cables_can_collide_unheard() {
    // A 64-byte frame lasts 57.6 µs; station 1 starts at 50 µs, before station 0's signal
    // reaches it (80 µs). At the repeater the two overlap (40–97.6 µs and from 90 µs), but
    // station 0 finished before station 1's signal came back (130 µs).
    let mut seg = segment(&[40, 40]);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 64), &mut out);
    seg.run(us(50), &mut out);
    seg.enqueue(us(50), 1, frame(2, 64), &mut out);
    let all = drain(&mut seg);
    assert!(all.iter().any(|(_, o)| *o
        == SegmentOut::Garbled {
            station: 0,
            token: 1
        }));
    assert_eq!(seg.counters.undetected_collisions, 1);
}

#[test]
fn a_detached_station_loses_its_frames_and_its_signal_stops() {
    let mut seg = segment(&[1, 1]);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 1500), &mut out);
    seg.enqueue(us(0), 0, frame(2, 1500), &mut out);
    seg.run(us(100), &mut out);
    let lost = seg.detach(us(100), 0);
    assert_eq!(lost, vec![frame(1, 1500), frame(2, 1500)]);
    assert!(drain(&mut seg).is_empty());
}

/// Many stations, many frames, one seed: every frame ends exactly once (crossed, dropped or
/// lost unheard), and the same seed gives the same history.
#[test]
fn every_frame_ends_once_and_the_seed_decides_everything() {
    let run = |seed: u64| {
        let stations: Vec<(Duration, usize)> = (0..6)
            .map(|i| (Duration::from_micros(1 + i), 1000))
            .collect();
        let mut seg = Segment::new(
            Bandwidth::from_bps(10_000_000),
            &stations,
            stream(seed, "csma", 0),
        );
        let mut out = Vec::new();
        let mut token = 0;
        for round in 0..40u64 {
            for s in 0..6 {
                token += 1;
                seg.enqueue(us(round * 50), s, frame(token, 64 + 100 * s), &mut out);
            }
            let at = us(round * 50 + 49);
            seg.run(at, &mut out);
        }
        let mut all: Vec<SegmentOut> = out;
        all.extend(drain(&mut seg).into_iter().map(|(_, o)| o));
        (token, all, seg.counters)
    };
    let (n, all, counters) = run(3);
    let mut ended = vec![0u32; n as usize + 1];
    for o in &all {
        match *o {
            SegmentOut::Crossed { token, .. } | SegmentOut::Garbled { token, .. } => {
                ended[token as usize] += 1
            }
            SegmentOut::Collision {
                token,
                then: AfterCollision::Excessive | AfterCollision::Late,
                ..
            } => ended[token as usize] += 1,
            SegmentOut::Collision { .. } => {}
        }
    }
    assert!(ended[1..].iter().all(|&e| e == 1), "{ended:?}");
    assert!(counters.collisions > 0);
    assert_eq!(run(3).1, all);
    assert_ne!(run(4).1, all);
}

/// A 10 Mbps cable with a station at each end, `delay_ns` apart.
fn cable(delay_ns: u64) -> Segment {
    Segment::cable(
        Bandwidth::from_bps(10_000_000),
        Duration::from_nanos(delay_ns),
        [100, 100],
        rng(),
    )
}

#[test]
fn on_a_cable_a_frame_crosses_when_its_last_bit_reaches_the_far_station() {
    let mut seg = cable(3_000);
    let mut out = Vec::new();
    seg.enqueue(us(0), 1, frame(1, 64), &mut out);
    // 57.6 µs on the wire, then the whole cable (3 µs): no repeater halfway.
    assert_eq!(
        drain(&mut seg),
        vec![(
            Instant::from_nanos(60_600),
            SegmentOut::Crossed {
                station: 1,
                token: 1,
                start: us(0),
                attempt: 1
            }
        )]
    );
}

#[test]
fn on_a_cable_each_end_defers_to_the_other_after_the_delay() {
    let mut seg = cable(5_000);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 64), &mut out);
    seg.run(us(10), &mut out);
    seg.enqueue(us(10), 1, frame(2, 64), &mut out);
    let starts: Vec<Instant> = drain(&mut seg)
        .iter()
        .filter_map(|(_, o)| match o {
            SegmentOut::Crossed { start, .. } => Some(*start),
            _ => None,
        })
        .collect();
    // Station 0's signal is at station 1 from 5 to 62.6 µs; then the gap, 9.6 µs.
    assert_eq!(starts, vec![us(0), Instant::from_nanos(72_200)]);
    assert_eq!(seg.counters.collisions, 0);
}

#[test]
fn on_a_cable_the_second_start_before_the_first_signal_arrives_collides_exactly_a_delay_later() {
    // An odd delay stays whole: each end hears the other 1001 ns after it sent.
    let mut seg = cable(1_001);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 1000), &mut out);
    seg.run(Instant::from_nanos(500), &mut out);
    seg.enqueue(Instant::from_nanos(500), 1, frame(2, 1000), &mut out);
    let all = drain(&mut seg);
    let heard: Vec<(Instant, usize)> = all
        .iter()
        .filter_map(|(t, o)| match o {
            SegmentOut::Collision {
                station,
                attempt: 1,
                ..
            } => Some((*t, *station)),
            _ => None,
        })
        .collect();
    assert_eq!(
        heard[..2],
        [
            (Instant::from_nanos(1_001), 1),
            (Instant::from_nanos(1_501), 0)
        ]
    );
    let mut crossed: Vec<u64> = all
        .iter()
        .filter_map(|(_, o)| match o {
            SegmentOut::Crossed { token, .. } => Some(*token),
            _ => None,
        })
        .collect();
    crossed.sort();
    assert_eq!(crossed, vec![1, 2]);
}

#[test]
fn on_an_oversized_cable_a_frame_is_judged_at_the_far_station() {
    // Station 0's 64-byte frame is on the wire 0–57.6 µs and at station 1 80–137.6 µs.
    // Station 1 starts at 60 µs, after station 0 finished but before its signal arrived, hears
    // it at 80 µs and jams until 83.2 µs: at station 1 the two overlap, so station 0's frame is
    // lost there, although the two senders' signals never overlapped mid-cable. Station 0 had
    // finished long before: it never knows.
    let mut seg = cable(80_000);
    let mut out = Vec::new();
    seg.enqueue(us(0), 0, frame(1, 64), &mut out);
    seg.run(us(60), &mut out);
    seg.enqueue(us(60), 1, frame(2, 64), &mut out);
    let all = drain(&mut seg);
    assert!(all.contains(&(
        Instant::from_nanos(137_600),
        SegmentOut::Garbled {
            station: 0,
            token: 1
        }
    )));
    assert_eq!(seg.counters.undetected_collisions, 1);
    assert_eq!(seg.counters.collisions, 1, "only station 1 heard it");
}
