//! `netlab sweep`: one scenario run many times — over seeds and over link parameters — on every
//! core, one row per run.
//!
//! Each run is independent (its own world, built from the scenario and the run's seed), so the
//! runs go to worker threads that take the next undone run as they finish one; the rows come
//! back in the order of the runs, whatever the thread count, so the table and the CSV are the
//! same bytes on one core or many. Users who outgrow one machine hand the runs to an existing
//! engine: `--emit-jobs` writes one command per run (GNU parallel, a Slurm array), and
//! `--collect` merges the CSVs the jobs wrote.

use crate::scenario::{self, RunOptions, Scenario};
use crate::time::Duration;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One parameter varied over its values: `link.NAME.KEY=V1,V2,…`.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub link: String,
    pub key: LinkKey,
    pub values: Vec<String>,
}

/// The link settings a sweep can vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKey {
    Loss,
    BitErrorRate,
    Delay,
    Bandwidth,
    QueueFrames,
}

impl LinkKey {
    const ALL: [(&'static str, LinkKey); 5] = [
        ("loss", LinkKey::Loss),
        ("bit_error_rate", LinkKey::BitErrorRate),
        ("delay", LinkKey::Delay),
        ("bandwidth", LinkKey::Bandwidth),
        ("queue_frames", LinkKey::QueueFrames),
    ];
}

/// Parses `A..B` (both included), `A..=B` or `A,B,C` into seeds.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let num = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("--seeds: `{s}` is not a number (write 1..100 or 1,5,9)"))
    };
    if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (num(a)?, num(b.trim_start_matches('='))?);
        if b < a {
            return Err(format!("--seeds: {a}..{b} is empty"));
        }
        if b - a >= 1_000_000 {
            return Err("--seeds: at most 1,000,000 seeds in one sweep".into());
        }
        return Ok((a..=b).collect());
    }
    text.split(',').map(num).collect()
}

/// Parses `link.NAME.KEY=V1,V2,…` against the scenario's links, checking every value.
pub fn parse_setting(scn: &Scenario, text: &str) -> Result<Setting, String> {
    let (path, values) = text
        .split_once('=')
        .ok_or(format!("--set `{text}`: write link.NAME.KEY=V1,V2"))?;
    let rest = path.strip_prefix("link.").ok_or(format!(
        "--set `{path}`: only link settings can be swept (link.NAME.KEY)"
    ))?;
    let (link, key) = rest
        .rsplit_once('.')
        .ok_or(format!("--set `{path}`: write link.NAME.KEY"))?;
    if !scn.links.iter().any(|l| l.name == link) {
        let names: Vec<&str> = scn.links.iter().map(|l| l.name.as_str()).collect();
        return Err(format!(
            "--set: no link called `{link}`; the links are {}",
            names.join(", ")
        ));
    }
    let key = LinkKey::ALL
        .iter()
        .find(|(n, _)| *n == key)
        .map(|(_, k)| *k)
        .ok_or(format!(
            "--set: a link has no setting `{key}`; sweepable: {}",
            LinkKey::ALL.map(|(n, _)| n).join(", ")
        ))?;
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    for v in &values {
        set(&mut crate::phy::LinkConfig::default(), key, v)?;
    }
    Ok(Setting {
        link: link.to_string(),
        key,
        values,
    })
}

fn set(c: &mut crate::phy::LinkConfig, key: LinkKey, v: &str) -> Result<(), String> {
    let prob = |v: &str| match v.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("--set: `{v}` is not a probability between 0 and 1")),
    };
    match key {
        LinkKey::Loss => c.loss = prob(v)?,
        LinkKey::BitErrorRate => c.bit_error_rate = prob(v)?,
        LinkKey::Delay => {
            c.delay = v
                .parse::<Duration>()
                .map_err(|e| format!("--set: delay `{v}`: {e}"))?
        }
        LinkKey::Bandwidth => {
            c.bandwidth = v
                .parse()
                .map_err(|e| format!("--set: bandwidth `{v}`: {e}"))?
        }
        LinkKey::QueueFrames => {
            c.queue_frames = v
                .parse()
                .map_err(|_| format!("--set: queue_frames `{v}` is not a number"))?
        }
    }
    Ok(())
}

/// One run of the sweep: a seed and one value per setting.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub seed: u64,
    pub values: Vec<String>,
}

/// Every combination: settings vary fastest in the order given, seeds slowest.
pub fn expand(seeds: &[u64], settings: &[Setting]) -> Vec<RunSpec> {
    let mut combos: Vec<Vec<String>> = vec![vec![]];
    for s in settings {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                s.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push(v.clone());
                    c
                })
            })
            .collect();
    }
    seeds
        .iter()
        .flat_map(|&seed| {
            combos.iter().map(move |values| RunSpec {
                seed,
                values: values.clone(),
            })
        })
        .collect()
}

/// What one run gave.
#[derive(Clone, Debug)]
pub struct Row {
    pub spec: RunSpec,
    /// One verdict per expectation, in file order.
    pub verdicts: Vec<bool>,
    /// The run's error (a runaway limit), if it ended with one that no expectation is about
    /// (`end run error=runaway` makes a runaway the expected end, judged by its verdict).
    pub error: Option<String>,
    /// The asked-for counters (`None`: no such counter).
    pub counters: Vec<Option<u64>>,
}

impl Row {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.verdicts.iter().all(|&v| v)
    }
}

/// Runs every spec on `jobs` threads; `progress` is told after each run (done, total).
pub fn run_all(
    scn: &Scenario,
    settings: &[Setting],
    specs: &[RunSpec],
    counters: &[String],
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Row>, String> {
    check_counters(scn, counters)?;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new(vec![None; specs.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = specs.get(i) else { break };
                let row = run_one(scn, settings, spec, counters);
                rows.lock().expect("no worker panics holding it")[i] = Some(row);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, specs.len());
            });
        }
    });
    Ok(rows
        .into_inner()
        .expect("workers are done")
        .into_iter()
        .map(|r| r.expect("every run ran"))
        .collect())
}

fn run_one(scn: &Scenario, settings: &[Setting], spec: &RunSpec, counters: &[String]) -> Row {
    let mut scn = scn.clone();
    for (s, v) in settings.iter().zip(&spec.values) {
        if let Some(l) = scn.links.iter_mut().find(|l| l.name == s.link) {
            // Checked when the settings were parsed.
            let _ = set(&mut l.config, s.key, v);
        }
    }
    let opts = RunOptions {
        seed: Some(spec.seed),
        ..RunOptions::default()
    };
    let (o, _) = scenario::run_streaming(&scn, &opts, &mut []);
    let counters = counters
        .iter()
        .map(|c| {
            let (owner, name) = c.split_once('.')?;
            match (scn.node_id(owner), scn.link_id(owner)) {
                (Some(n), _) => o.world.node_counter(n, name),
                (_, Some(l)) => o.world.link_counter(l, name),
                _ => None,
            }
        })
        .collect();
    Row {
        spec: spec.clone(),
        verdicts: o
            .results
            .iter()
            .filter(|r| r.line > 0)
            .map(|r| r.passed)
            .collect(),
        // An error no expectation is about is the outcome's unnumbered failure.
        error: o
            .run_error
            .as_ref()
            .filter(|_| o.results.iter().any(|r| r.line == 0 && !r.passed))
            .map(|e| e.to_string()),
        counters,
    }
}

/// The rows as CSV: seed, each setting, passed, each expectation (by line), each counter.
pub fn csv(scn: &Scenario, settings: &[Setting], counters: &[String], rows: &[Row]) -> String {
    let mut head: Vec<String> = vec!["seed".into()];
    head.extend(settings.iter().map(|s| {
        let key = LinkKey::ALL
            .iter()
            .find(|(_, k)| *k == s.key)
            .map_or("", |(n, _)| n);
        format!("link.{}.{key}", s.link)
    }));
    head.push("passed".into());
    head.extend(scn.checks.iter().map(|c| format!("line {}", c.line)));
    head.extend(counters.iter().cloned());
    head.push("error".into());
    let mut out = head.join(",") + "\n";
    for r in rows {
        let mut f: Vec<String> = vec![r.spec.seed.to_string()];
        f.extend(r.spec.values.iter().cloned());
        f.push(r.passed().to_string());
        f.extend(
            r.verdicts
                .iter()
                .map(|v| if *v { "ok" } else { "FAIL" }.to_string()),
        );
        f.extend(
            r.counters
                .iter()
                .map(|c| c.map_or(String::new(), |v| v.to_string())),
        );
        f.push(
            r.error
                .as_deref()
                .map_or(String::new(), |e| format!("\"{}\"", e.replace('"', "\"\""))),
        );
        out += &(f.join(",") + "\n");
    }
    out
}

/// Checks that every `--counter` names a node or a link and one of its counters: NODE.COUNTER
/// or LINK.COUNTER. Every counter of `counter_names` is there in every run (a shared link's
/// CSMA counters are zero on a full-duplex one), so a run's blank counter can only be a typo,
/// caught here as the `[expect]` parser catches it.
pub fn check_counters(scn: &Scenario, counters: &[String]) -> Result<(), String> {
    for c in counters {
        let (owner, name) = c.split_once('.').ok_or(format!(
            "--counter `{c}`: write NODE.COUNTER or LINK.COUNTER"
        ))?;
        let kind = match (scn.node_id(owner), scn.link_id(owner)) {
            (Some(n), _) => scn.nodes[n.0 as usize].kind.kind_name(),
            (_, Some(_)) => "link",
            _ => return Err(format!("--counter `{c}`: no node or link called `{owner}`")),
        };
        let known = crate::sim::counter_names(kind);
        if !known.contains(&name) {
            return Err(format!(
                "--counter `{c}`: a {kind} has no counter `{name}`: expected one of {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// A word as a POSIX shell reads it back unchanged: single-quoted unless it is plain.
fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=,:@%+".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// The sweep as a job list for an engine that runs one line per job (GNU parallel,
/// `parallel < JOBS`; a Slurm array, `sed -n "${SLURM_ARRAY_TASK_ID}p" JOBS | sh`): one
/// `netlab sweep` per run, each on one seed and one value per setting, writing its row as the
/// CSV `{csv_prefix}NNNNN.csv` (numbered from 1 in run order, so a sorted glob is run order).
/// `netlab sweep --collect` merges them into the CSV the whole sweep would have written.
pub fn job_lines(
    file: &str,
    settings: &[Setting],
    specs: &[RunSpec],
    counters: &[String],
    csv_prefix: &str,
) -> String {
    let keys: Vec<String> = settings
        .iter()
        .map(|s| {
            let key = LinkKey::ALL
                .iter()
                .find(|(_, k)| *k == s.key)
                .map_or("", |(n, _)| n);
            format!("link.{}.{key}", s.link)
        })
        .collect();
    let mut out = String::new();
    for (i, spec) in specs.iter().enumerate() {
        let mut words = vec![
            "netlab".to_string(),
            "sweep".into(),
            shell_word(file),
            "--seeds".into(),
            spec.seed.to_string(),
        ];
        for (key, value) in keys.iter().zip(&spec.values) {
            words.push("--set".into());
            words.push(shell_word(&format!("{key}={value}")));
        }
        for c in counters {
            words.push("--counter".into());
            words.push(shell_word(c));
        }
        words.push("--jobs".into());
        words.push("1".into());
        words.push("--csv".into());
        words.push(shell_word(&format!("{csv_prefix}{:05}.csv", i + 1)));
        out += &(words.join(" ") + "\n");
    }
    out
}

/// Merges the CSVs of a sweep's jobs (or of several sweeps of the same scenario and settings):
/// the header once, then every file's rows in the order given. Files whose header differs are
/// refused, named.
pub fn collect(files: &[(String, String)]) -> Result<String, String> {
    let mut header: Option<(&str, &str)> = None;
    let mut out = String::new();
    for (name, text) in files {
        let mut lines = text.lines();
        let head = lines
            .next()
            .ok_or_else(|| format!("{name} is empty: not a sweep's CSV"))?;
        match header {
            None => {
                if !head.starts_with("seed,") {
                    return Err(format!(
                        "{name} does not start with a sweep's header (seed,…)"
                    ));
                }
                header = Some((name, head));
                out += head;
                out.push('\n');
            }
            Some((first, h)) if h != head => {
                return Err(format!(
                    "{name} has another header than {first}: not the same scenario and settings"
                ))
            }
            Some(_) => {}
        }
        for l in lines.filter(|l| !l.is_empty()) {
            out += l;
            out.push('\n');
        }
    }
    if header.is_none() {
        return Err("--collect needs the CSV files to merge".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOSSY: &str = r#"[scenario]
description = "a ping over a lossy cable"
[[host]]
name = "a"
ip = "10.0.0.1/24"
[[host]]
name = "b"
ip = "10.0.0.2/24"
[[link]]
name = "cable"
between = ["a", "b"]
[timeline]
steps = '''
0s a ping b count=5 interval=100ms as=p
'''
[expect]
checks = '''
end p.received == 5
'''
"#;

    #[test]
    fn seeds_parse_as_ranges_and_lists() {
        assert_eq!(parse_seeds("1..3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_seeds("1..=2").unwrap(), vec![1, 2]);
        assert_eq!(parse_seeds("7,9").unwrap(), vec![7, 9]);
        assert!(parse_seeds("3..1").is_err());
        assert!(parse_seeds("x").unwrap_err().contains("not a number"));
    }

    #[test]
    fn settings_name_real_links_and_valid_values() {
        let scn = Scenario::parse("lossy.toml", LOSSY).unwrap();
        let s = parse_setting(&scn, "link.cable.loss=0,0.5").unwrap();
        assert_eq!(s.values, ["0", "0.5"]);
        assert!(parse_setting(&scn, "link.wire.loss=0")
            .unwrap_err()
            .contains("the links are cable"));
        assert!(parse_setting(&scn, "link.cable.loss=2")
            .unwrap_err()
            .contains("probability"));
        assert!(parse_setting(&scn, "link.cable.colour=red")
            .unwrap_err()
            .contains("sweepable"));
    }

    /// An unknown counter is an error listing the known ones, as an unknown node is (it
    /// was a blank `-` in every row).
    #[test]
    fn counters_name_real_counters() {
        let scn = Scenario::parse("lossy.toml", LOSSY).unwrap();
        let ok = [
            "a.icmp_rx",
            "cable.frames",
            "cable.collisions",
            "a.tcp_established",
        ];
        check_counters(&scn, &ok.map(String::from)).unwrap();
        let e = check_counters(&scn, &["a.rx_framez".to_string()]).unwrap_err();
        assert!(
            e.starts_with(
                "--counter `a.rx_framez`: a host has no counter `rx_framez`: expected one of "
            ),
            "{e}"
        );
        assert!(e.contains("icmp_rx"), "{e}");
        let e = check_counters(&scn, &["cable.icmp_rx".to_string()]).unwrap_err();
        assert!(e.contains("a link has no counter `icmp_rx`"), "{e}");
        let e = check_counters(&scn, &["zz.frames".to_string()]).unwrap_err();
        assert_eq!(e, "--counter `zz.frames`: no node or link called `zz`");
    }

    /// A runaway the scenario expects (`end run error=runaway`) is a pass, as `netlab run`
    /// judges it; the same runaway unexpected is the row's error (the storm lesson was
    /// "ERROR (run limit)" for every seed).
    #[test]
    fn an_expected_runaway_passes_and_an_unexpected_one_is_an_error() {
        // Two switches joined by two cables and no spanning tree: one broadcast loops.
        let storm = |checks: &str| {
            format!(
                "[scenario]\ndescription = \"a loop\"\nmax_events = 2000\n\
                 [[host]]\nname = \"a\"\n\
                 [[switch]]\nname = \"s1\"\nstp = false\n[[switch]]\nname = \"s2\"\nstp = false\n\
                 [[link]]\nbetween = [\"a\", \"s1\"]\n\
                 [[link]]\nbetween = [\"s1\", \"s2\"]\n\
                 [[link]]\nname = \"spare\"\nbetween = [\"s1\", \"s2\"]\n[timeline]\n\
                 steps = \"1ms a send-frame to=broadcast text=x\"\n{checks}"
            )
        };
        let specs = expand(&parse_seeds("1").unwrap(), &[]);
        let expected = Scenario::parse(
            "storm.toml",
            &storm("[expect]\nchecks = \"end run error=runaway\""),
        )
        .unwrap();
        let rows = run_all(&expected, &[], &specs, &[], 1, &|_, _| {}).unwrap();
        assert!(rows[0].passed(), "{:?}", rows[0]);
        let unexpected = Scenario::parse("storm.toml", &storm("")).unwrap();
        let rows = run_all(&unexpected, &[], &specs, &[], 1, &|_, _| {}).unwrap();
        assert!(
            rows[0].error.is_some() && !rows[0].passed(),
            "{:?}",
            rows[0]
        );
    }

    /// The rows are the same whatever the thread count, and a lossy cable fails the check
    /// where a clean one passes.
    #[test]
    fn a_sweep_is_the_same_on_one_thread_or_four() {
        let scn = Scenario::parse("lossy.toml", LOSSY).unwrap();
        let settings = vec![parse_setting(&scn, "link.cable.loss=0,0.5").unwrap()];
        let specs = expand(&parse_seeds("1..4").unwrap(), &settings);
        assert_eq!(specs.len(), 8);
        let counters = vec!["a.icmp_rx".to_string(), "cable.frames".to_string()];
        let one = run_all(&scn, &settings, &specs, &counters, 1, &|_, _| {}).unwrap();
        let four = run_all(&scn, &settings, &specs, &counters, 4, &|_, _| {}).unwrap();
        let (c1, c4) = (
            csv(&scn, &settings, &counters, &one),
            csv(&scn, &settings, &counters, &four),
        );
        assert_eq!(c1, c4);
        assert!(one
            .iter()
            .filter(|r| r.spec.values[0] == "0")
            .all(Row::passed));
        assert!(one
            .iter()
            .filter(|r| r.spec.values[0] == "0.5")
            .any(|r| !r.passed()));
        assert!(c1.starts_with("seed,link.cable.loss,passed,line "), "{c1}");
    }

    #[test]
    fn jobs_are_one_run_each_and_collect_merges_their_csvs() {
        let scn = Scenario::parse("lossy.toml", LOSSY).unwrap();
        let settings = vec![parse_setting(&scn, "link.cable.loss=0,0.5").unwrap()];
        let specs = expand(&[7, 8], &settings);
        let jobs = job_lines(
            "my dir/lossy.toml",
            &settings,
            &specs,
            &["a.icmp_rx".into()],
            "out/run-",
        );
        let lines: Vec<&str> = jobs.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[1],
            "netlab sweep 'my dir/lossy.toml' --seeds 7 --set link.cable.loss=0.5 --counter a.icmp_rx --jobs 1 --csv out/run-00002.csv"
        );
        let a = (
            "a.csv".to_string(),
            "seed,link.cable.loss,passed\n7,0,true\n".to_string(),
        );
        let b = (
            "b.csv".to_string(),
            "seed,link.cable.loss,passed\n7,0.5,false\n".to_string(),
        );
        assert_eq!(
            collect(&[a.clone(), b]).unwrap(),
            "seed,link.cable.loss,passed\n7,0,true\n7,0.5,false\n"
        );
        let other = ("c.csv".to_string(), "seed,passed\n1,true\n".to_string());
        assert!(collect(&[a, other])
            .unwrap_err()
            .contains("c.csv has another header than a.csv"));
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
