//! CSMA/CD's promise, as properties: on a shared medium (a half-duplex hub, or a
//! `medium = "shared"` link) every frame handed to a station's MAC is delivered once or dropped
//! (its 16th collision, a late or an unheard collision, a full queue), never delivered twice,
//! and no two frames that crossed overlap where they are received (the repeater, or a cable's
//! far end).

use netlab::phy::csma::{AfterCollision, Queued, Segment, SegmentOut, ATTEMPT_LIMIT};
use netlab::phy::Bandwidth;
use netlab::scenario::{self, RunOptions, Scenario};
use netlab::time::{Duration, Instant};
use proptest::prelude::*;

fn ns(n: u64) -> Instant {
    Instant::from_nanos(n)
}

/// Every frame handed to the medium ends exactly once: crossed, garbled, dropped at its 16th
/// or a late collision, or refused by a full queue; each collision within the attempt limit,
/// each backoff within its window.
fn each_ends_once(out: &[SegmentOut], n: usize, refused: &[u64]) -> Result<(), TestCaseError> {
    let mut ended = vec![0u32; n];
    for &o in out {
        match o {
            SegmentOut::Crossed { token, .. } | SegmentOut::Garbled { token, .. } => {
                ended[token as usize] += 1
            }
            SegmentOut::Collision {
                token,
                attempt,
                then,
                ..
            } => {
                prop_assert!(attempt <= ATTEMPT_LIMIT);
                match then {
                    AfterCollision::Excessive => {
                        prop_assert_eq!(attempt, ATTEMPT_LIMIT);
                        ended[token as usize] += 1;
                    }
                    AfterCollision::Late => ended[token as usize] += 1,
                    AfterCollision::Backoff { slots } => {
                        prop_assert!(slots < 1 << attempt.min(10));
                    }
                }
            }
        }
    }
    for &t in refused {
        ended[t as usize] += 1;
    }
    prop_assert!(ended.iter().all(|&e| e == 1), "{:?}", ended);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The medium alone: random stations, cable delays (some beyond the standard's reach),
    /// frame sizes and hand-over times.
    #[test]
    fn every_frame_ends_once_on_the_medium(
        delays in prop::collection::vec(0u64..30_000, 2..7),
        sends in prop::collection::vec((0usize..7, 0u64..2_000_000, 46usize..1500), 1..120),
        seed in any::<u64>(),
    ) {
        let stations: Vec<(Duration, usize)> =
            delays.iter().map(|&d| (Duration::from_nanos(d), 20)).collect();
        let bw = Bandwidth::from_bps(10_000_000);
        let mut seg = Segment::new(bw, &stations, netlab::rng::stream(seed, "csma", 0));
        let mut sends = sends;
        sends.sort_by_key(|s| s.1);
        let mut out = Vec::new();
        let mut refused = Vec::new();
        let mut lens = Vec::new();
        for (token, &(st, at, len)) in sends.iter().enumerate() {
            let st = st % delays.len();
            lens.push((st, len));
            if !seg.enqueue(ns(at), st, Queued { token: token as u64, len }, &mut out) {
                refused.push(token as u64);
            }
        }
        while let Some(t) = seg.poll_at() {
            seg.run(t, &mut out);
        }
        let mut crossed = Vec::new();
        for &o in &out {
            if let SegmentOut::Crossed { token, start, .. } = o {
                let (st, len) = lens[token as usize];
                let at_hub = start + Duration::from_nanos(delays[st]);
                crossed.push((at_hub, at_hub + bw.time_for(8 + len)));
            }
        }
        each_ends_once(&out, sends.len(), &refused)?;
        crossed.sort();
        for w in crossed.windows(2) {
            prop_assert!(w[0].1 <= w[1].0, "frames overlap at the repeater: {:?}", w);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A shared cable alone: two stations, a random delay (some beyond the standard's reach,
    /// up to 60 µs one way), frame sizes and hand-over times. A frame that crossed reached the
    /// far end while that end sent nothing whole: no two crossed frames overlap there.
    #[test]
    fn every_frame_ends_once_on_a_cable(
        delay in 0u64..60_000,
        sends in prop::collection::vec((0usize..2, 0u64..2_000_000, 46usize..1500), 1..120),
        seed in any::<u64>(),
    ) {
        let bw = Bandwidth::from_bps(10_000_000);
        let d = Duration::from_nanos(delay);
        let mut seg = Segment::cable(bw, d, [20, 20], netlab::rng::stream(seed, "csma", 0));
        let mut sends = sends;
        sends.sort_by_key(|s| s.1);
        let mut out = Vec::new();
        let mut refused = Vec::new();
        for (token, &(st, at, len)) in sends.iter().enumerate() {
            if !seg.enqueue(ns(at), st, Queued { token: token as u64, len }, &mut out) {
                refused.push(token as u64);
            }
        }
        while let Some(t) = seg.poll_at() {
            seg.run(t, &mut out);
        }
        each_ends_once(&out, sends.len(), &refused)?;
        // Each crossed frame on the wire at its sender, by station.
        let mut on_wire: [Vec<(Instant, Instant)>; 2] = [Vec::new(), Vec::new()];
        for &o in &out {
            if let SegmentOut::Crossed { station, token, start, .. } = o {
                let len = sends[token as usize].2;
                on_wire[station].push((start, start + bw.time_for(8 + len)));
            }
        }
        for (s, frames) in on_wire.iter().enumerate() {
            for &(a, b) in frames {
                // At the other end, this frame is at (a + d, b + d); that end's own frames are
                // at their times.
                for &(x, y) in &on_wire[1 - s] {
                    prop_assert!(b + d <= x || y <= a + d, "crossed frames overlap at the far end");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The whole world: hosts on a half-duplex hub send frames to one sink; each frame reaches
    /// it at most once, and the ones that do not are accounted for by a drop.
    #[test]
    fn a_half_duplex_hub_delivers_each_frame_at_most_once(
        senders in 2usize..6,
        count in 1u32..40,
        every_us in 1u64..200,
        seed in 1u64..1000,
    ) {
        let mut text = String::from("[scenario]\ndescription = \"p\"\n[link_defaults]\nbandwidth = \"10Mbps\"\ndelay = \"1us\"\nqueue = 10\n[[host]]\nname = \"sink\"\n[[hub]]\nname = \"hub1\"\nhalf_duplex = true\n[[link]]\nbetween = [\"sink\", \"hub1\"]\n");
        let mut steps = String::new();
        for i in 0..senders {
            text += &format!("[[host]]\nname = \"s{i}\"\n[[link]]\nbetween = [\"s{i}\", \"hub1\"]\n");
            steps += &format!("1ms s{i} send-frame to=sink size=200 count={count} every={every_us}us\n");
        }
        text += &format!("[timeline]\nsteps = '''\n{steps}'''\n");
        let scn = Scenario::parse("p.toml", &text).unwrap();
        let opts = RunOptions { seed: Some(seed), ..RunOptions::default() };
        let out = scenario::run(&scn, &opts);
        let world = &out.world;
        let sink = world.node_id("sink").unwrap();
        let hub = world.node_id("hub1").unwrap();
        let delivered = world.node_counter(sink, "raw_delivered").unwrap();
        let sent = senders as u64 * u64::from(count);
        let dropped: u64 = ["excessive_collisions", "late_collisions", "undetected_collisions"]
            .iter()
            .map(|c| world.node_counter(hub, c).unwrap())
            .sum::<u64>()
            + (0..world.fabric.links.len())
                .map(|l| world.link_counter(netlab::sim::LinkId(l as u32), "queue_drops").unwrap())
                .sum::<u64>();
        prop_assert_eq!(delivered + dropped, sent);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The whole world on a shared link: both ends send frames to each other over one
    /// half-duplex cable (at times beyond the standard's length); each end receives each of the
    /// other's frames at most once, and those it does not are accounted for by a drop.
    #[test]
    fn a_shared_link_delivers_each_frame_at_most_once(
        count_a in 1u32..40,
        count_b in 1u32..40,
        every_a in 1u64..200,
        every_b in 1u64..200,
        delay_us in 0u64..40,
        seed in 1u64..1000,
    ) {
        let text = format!("[scenario]\ndescription = \"p\"\n[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\n[[link]]\nname = \"coax\"\nbetween = [\"a\", \"b\"]\nmedium = \"shared\"\nbandwidth = \"10Mbps\"\ndelay = \"{delay_us}us\"\nqueue = 10\n[timeline]\nsteps = '''\n1ms a send-frame to=b size=200 count={count_a} every={every_a}us\n1ms b send-frame to=a size=200 count={count_b} every={every_b}us\n'''\n");
        let scn = Scenario::parse("p.toml", &text).unwrap();
        let opts = RunOptions { seed: Some(seed), ..RunOptions::default() };
        let out = scenario::run(&scn, &opts);
        let world = &out.world;
        let link = world.link_id("coax").unwrap();
        let delivered: u64 = ["a", "b"]
            .iter()
            .map(|h| world.node_counter(world.node_id(h).unwrap(), "raw_delivered").unwrap())
            .sum();
        let to_a = world.node_counter(world.node_id("a").unwrap(), "raw_delivered").unwrap();
        let to_b = world.node_counter(world.node_id("b").unwrap(), "raw_delivered").unwrap();
        prop_assert!(to_a <= u64::from(count_b) && to_b <= u64::from(count_a));
        let dropped: u64 = [
            "excessive_collisions",
            "late_collisions",
            "undetected_collisions",
            "queue_drops",
        ]
        .iter()
        .map(|c| world.link_counter(link, c).unwrap())
        .sum();
        prop_assert_eq!(delivered + dropped, u64::from(count_a + count_b));
    }
}
