//! The streaming views write exactly what the views over a kept trace write: for every scenario
//! (at two seeds), the text log, JSON Lines and the pcapng capture made as the run goes are
//! byte-identical to the ones made from the whole history afterwards, and the expectations
//! judged online give the same verdicts. Also: a streaming run keeps no history.

mod support;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::time::{Duration, Instant};
use netlab::trace::Subscriber;
use netlab::views::json;
use netlab::views::pcap::{self, PcapOptions, PcapStream};
use netlab::views::text::TextView;
use netlab::views::writers::{JsonLines, TextLog};

/// (text log, JSON Lines, pcapng, verdicts) from the whole kept trace, after the run.
fn batch(scn: &Scenario, opts: &RunOptions, pcap: &PcapOptions) -> [Vec<u8>; 4] {
    let o = scenario::run(scn, opts);
    let texts = scn.action_texts();
    let view = TextView::new(&o.world, &texts);
    let recs = o.world.trace().records();
    let mut text = Vec::new();
    for r in recs {
        text.extend_from_slice(view.line(r).as_bytes());
        text.push(b'\n');
    }
    let mut js = Vec::new();
    json::write_jsonl(&view, recs, &mut js).unwrap();
    let mut cap = Vec::new();
    pcap::capture(&o.world, recs, pcap)
        .write_pcapng(&mut cap, pcap.fcs, pcap.comment.as_deref())
        .unwrap();
    [text, js, cap, format!("{:?}", o.results).into_bytes()]
}

/// The same, written as the run goes.
fn streamed(scn: &Scenario, opts: &RunOptions, pcap: &PcapOptions) -> [Vec<u8>; 4] {
    let mut text = TextLog::new(Vec::new(), scn.action_texts());
    let mut js = JsonLines::new(Vec::new(), scn.action_texts());
    let mut cap = PcapStream::new(pcap, Vec::new());
    let (o, written) = {
        let mut views: Vec<&mut dyn Subscriber> = vec![&mut text, &mut js, &mut cap];
        scenario::run_streaming(scn, opts, &mut views)
    };
    written.unwrap();
    assert!(
        o.world.trace().records().is_empty(),
        "a streaming run keeps no records"
    );
    [
        text.into_inner(),
        js.into_inner(),
        cap.into_inner(),
        format!("{:?}", o.results).into_bytes(),
    ]
}

#[test]
fn streamed_views_are_byte_identical_to_views_of_the_kept_trace() {
    let names = ["text log", "JSON Lines", "pcapng", "verdicts"];
    for f in support::scenario_files() {
        let path = f.to_string_lossy().to_string();
        let scn = Scenario::load(&path).unwrap();
        // Random scenarios at a second seed too; the storm's start only (its whole run is
        // 200,000 events, kept in memory by the batch side: too slow for a unit test).
        let random =
            (scn.links.iter()).any(|l| l.config.bit_error_rate > 0.0 || l.config.loss > 0.0);
        let seeds: &[(Option<u64>, bool)] = if random {
            &[(None, false), (Some(7), true)]
        } else {
            &[(None, true)]
        };
        let until = path
            .ends_with("switch-loop-storm.toml")
            .then(|| Instant::ZERO + Duration::from_millis(3));
        for &(seed, fcs) in seeds {
            let opts = RunOptions {
                seed,
                until,
                ..Default::default()
            };
            let pcap = PcapOptions {
                fcs,
                points: Vec::new(),
                comment: Some("c".into()),
            };
            let a = batch(&scn, &opts, &pcap);
            let b = streamed(&scn, &opts, &pcap);
            for i in 0..4 {
                assert!(
                    a[i] == b[i],
                    "{path} seed {seed:?}: the {} differs",
                    names[i]
                );
            }
        }
    }
}

/// Capturing at nodes (one interface per port) streams the same too, on a scenario where a
/// hub passes damaged frames on.
#[test]
fn node_captures_stream_the_same() {
    for path in [
        "scenarios/noisy-link-fcs.toml",
        "scenarios/hub-versus-switch.toml",
    ] {
        let scn = Scenario::load(path).unwrap();
        let points = (0..scn.nodes.len())
            .map(|i| pcap::CapturePoint::Node(netlab::sim::NodeId(i as u32)))
            .collect();
        let pcap = PcapOptions {
            fcs: true,
            points,
            comment: None,
        };
        let opts = RunOptions::default();
        assert!(
            batch(&scn, &opts, &pcap)[2] == streamed(&scn, &opts, &pcap)[2],
            "{path}"
        );
    }
}
