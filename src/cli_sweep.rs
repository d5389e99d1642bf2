//! `netlab sweep`: one scenario over seeds and a grid of link settings, on every core, or as
//! a list of jobs for other machines and the merge of their CSVs.

use crate::{load_simulated, write_whole};
use netlab::outfile::OutFile;
use std::process::ExitCode;

/// What `netlab sweep FILE` was asked for.
pub(crate) struct SweepRun<'a> {
    pub(crate) seeds: &'a str,
    pub(crate) set: &'a [String],
    pub(crate) counters: &'a [String],
    pub(crate) csv: Option<&'a str>,
    pub(crate) jobs: Option<usize>,
    pub(crate) emit_jobs: Option<&'a str>,
}

/// Writes `text` as the file `path`, all or nothing (a temporary file renamed).
fn write_text(path: &str, text: &str) -> Result<(), String> {
    let out = OutFile::create(path)?;
    write_whole(out, text.as_bytes()).map_err(|e| format!("cannot write {path}: {e}"))
}

/// `netlab sweep --collect A.csv B.csv …`: the jobs' CSVs as one.
pub(crate) fn cmd_sweep_collect(files: &[String], csv: Option<&str>) -> ExitCode {
    let mut read = Vec::new();
    for f in files {
        match netlab::infile::read_text_bounded(f, netlab::infile::MAX_TEXT_BYTES) {
            Ok(t) => read.push((f.clone(), t)),
            Err(e) => {
                eprintln!("error: cannot read {f}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let merged = match netlab::sweep::collect(&read) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match csv {
        Some(path) => {
            if let Err(e) = write_text(path, &merged) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        None => out!("{merged}"),
    }
    ExitCode::SUCCESS
}

pub(crate) fn cmd_sweep(file: &str, run: &SweepRun) -> ExitCode {
    let SweepRun {
        seeds,
        set,
        counters,
        csv,
        jobs,
        emit_jobs,
    } = *run;
    use netlab::sweep;
    use std::io::IsTerminal;
    let scn = match load_simulated(file, "sweep") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let input = || -> Result<_, String> {
        let seeds = sweep::parse_seeds(seeds)?;
        let settings = set
            .iter()
            .map(|t| sweep::parse_setting(&scn, t))
            .collect::<Result<Vec<_>, _>>()?;
        // One setting given twice: which values would apply is anyone's guess.
        for (i, s) in settings.iter().enumerate() {
            if settings[..i]
                .iter()
                .any(|e| e.link == s.link && e.key == s.key)
            {
                return Err(format!(
                    "--set: `{}` is set twice; give its values in one list (a=1,2,3)",
                    set[i].split('=').next().unwrap_or("")
                ));
            }
        }
        let out = csv.map(OutFile::create).transpose()?;
        Ok((seeds, settings, out))
    };
    let (seeds, settings, out) = match input() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let specs = sweep::expand(&seeds, &settings);
    if let Some(path) = emit_jobs {
        if let Err(e) = sweep::check_counters(&scn, counters) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        let lines = sweep::job_lines(file, &settings, &specs, counters, &format!("{path}."));
        if let Err(e) = write_text(path, &lines) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        eprintln!(
            "wrote {} jobs to {path}: run them with `parallel < {path}` (or a Slurm array), then \
             `netlab sweep --collect {path}.*.csv --csv all.csv`",
            specs.len()
        );
        return ExitCode::SUCCESS;
    }
    // No more threads than runs.
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, specs.len().max(1));
    let terminal = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if terminal {
            eprint!("\r{done}/{total} runs");
            if done == total {
                eprintln!();
            }
        }
    };
    let rows = match sweep::run_all(&scn, &settings, &specs, counters, jobs, &progress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The table: seed, settings, verdict, the failed expectations' lines, counters.
    let mut head = vec!["seed".to_string()];
    head.extend(
        set.iter()
            .map(|t| t.split('=').next().unwrap_or("").to_string()),
    );
    head.push("result".into());
    head.extend(counters.iter().cloned());
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut f = vec![r.spec.seed.to_string()];
            f.extend(r.spec.values.iter().cloned());
            let failed: Vec<String> = scn
                .checks
                .iter()
                .zip(&r.verdicts)
                .filter(|(_, ok)| !**ok)
                .map(|(c, _)| c.line.to_string())
                .collect();
            f.push(match (&r.error, failed.is_empty()) {
                (Some(_), _) => "ERROR (run limit)".into(),
                (None, true) => "pass".into(),
                (None, false) => format!("FAIL line {}", failed.join(",")),
            });
            f.extend(
                r.counters
                    .iter()
                    .map(|c| c.map_or("-".into(), |v| v.to_string())),
            );
            f
        })
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].len())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    outln!("{}", line(&head));
    for r in &table {
        outln!("{}", line(r));
    }
    let passed = rows.iter().filter(|r| r.passed()).count();
    outln!("{passed} of {} runs passed ({jobs} threads)", rows.len());
    if let Some(out) = out {
        let text = sweep::csv(&scn, &settings, counters, &rows);
        let written = std::fs::write(out.write_path(), text).and_then(|_| out.commit());
        if let Err(e) = written {
            eprintln!("error: cannot write the CSV: {e}");
            return ExitCode::from(2);
        }
    }
    if passed == rows.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
