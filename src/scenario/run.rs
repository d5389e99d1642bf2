//! Running a scenario: drive the world, apply the timeline, judge the expectations.

use super::expect::{CheckResult, When};
use super::Scenario;
use crate::show::{self, Table};
use crate::sim::{NodeId, RunError, Step, StepKind, World};
use crate::time::Instant;
use crate::trace::{Trace, TraceEvent};

/// How to run a scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Overrides the scenario's stop time.
    pub until: Option<Instant>,
    /// Tables to print: at a time, or (`None`) at the end of the run.
    pub show: Vec<(Option<Instant>, NodeId, Table)>,
}

/// What a run produced: the final world (with its trace), how it ended, the verdicts.
pub struct Outcome {
    pub world: World,
    pub run_error: Option<RunError>,
    pub results: Vec<CheckResult>,
    /// The tables asked for with [`RunOptions::show`], rendered, in time order.
    pub shown: Vec<(Instant, String)>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed)
    }

    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results.iter().filter(|r| !r.passed)
    }
}

/// Runs one event of a world instantiated from `scn`, as [`run`] does for every event: a
/// timeline action's script event is applied (after its `Action` record). For drivers that go
/// one event at a time, such as the stepper. `Ok(None)` when nothing is left to do.
pub fn step_event(scn: &Scenario, world: &mut World) -> Result<Option<Step>, RunError> {
    let step = world.step()?;
    if let Some(Step {
        time,
        kind: StepKind::Script { index },
    }) = step
    {
        let action = &scn.actions[index as usize];
        let node = action.kind.node().map(|n| NodeId(n as u32));
        world
            .fabric
            .trace
            .push(time, node, TraceEvent::Action { index });
        action.apply(world);
    }
    Ok(step)
}

/// Runs `scn` to the end (its stop time, or until quiet) with the trace recording.
pub fn run(scn: &Scenario, opts: &RunOptions) -> Outcome {
    let mut world = scn.instantiate(opts.seed, Trace::recording());
    let stop = opts.until.or(scn.stop);
    let mut timed: Vec<(Instant, usize)> = scn
        .checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c.when {
            When::At(t) => Some((t, i)),
            When::End => None,
        })
        .collect();
    timed.sort();
    let mut shows: Vec<(Instant, usize)> = opts
        .show
        .iter()
        .enumerate()
        .filter_map(|(i, (t, _, _))| t.map(|t| (t, i)))
        .collect();
    shows.sort();
    let mut next_show = 0;
    let mut shown = Vec::new();
    let render = |world: &World, i: usize| {
        let (_, node, table) = opts.show[i];
        show::render(world, node, table).unwrap_or_else(|e| e)
    };
    let mut results: Vec<Option<CheckResult>> = vec![None; scn.checks.len()];
    let mut next_timed = 0;
    let mut run_error = None;

    loop {
        let next = world.next_event_time(stop);
        // A check at time t sees the world after every event at t: judge it once the next event
        // is later than t (or nothing is left).
        while let Some(&(t, i)) = timed.get(next_timed) {
            let due = match next {
                Some(n) => t < n,
                None => true,
            };
            if !due || stop.is_some_and(|s| t > s) {
                break;
            }
            world.fabric.queue.advance_to(t);
            results[i] = Some(scn.checks[i].evaluate(&world, None));
            next_timed += 1;
        }
        while let Some(&(t, i)) = shows.get(next_show) {
            if next.is_some_and(|n| t >= n) || stop.is_some_and(|s| t > s) {
                break;
            }
            world.fabric.queue.advance_to(t);
            shown.push((t, render(&world, i)));
            next_show += 1;
        }
        let Some(next) = next else { break };
        if stop.is_some_and(|s| next > s) {
            break;
        }
        if stop.is_none() && next > world.limits.max_time {
            run_error = Some(RunError::TimeLimit {
                at: world.now(),
                next,
            });
            break;
        }
        match step_event(scn, &mut world) {
            Err(e) => {
                run_error = Some(e);
                break;
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
        }
    }
    if run_error.is_none() {
        if let Some(s) = stop {
            world.fabric.queue.advance_to(s);
        }
    }
    // Timed checks the run never reached.
    for &(t, i) in &timed[next_timed..] {
        let r = match (stop, &run_error) {
            (_, Some(_)) => CheckResult {
                text: scn.checks[i].text.clone(),
                line: scn.checks[i].line,
                passed: false,
                detail: format!("not reached: the run ended with an error before {t}s"),
            },
            (Some(s), None) if t > s => CheckResult {
                text: scn.checks[i].text.clone(),
                line: scn.checks[i].line,
                passed: false,
                detail: format!("not reached: the run stops at {s}s"),
            },
            _ => {
                world.fabric.queue.advance_to(t);
                scn.checks[i].evaluate(&world, None)
            }
        };
        results[i] = Some(r);
    }
    for (i, c) in scn.checks.iter().enumerate() {
        if c.when == When::End {
            results[i] = Some(c.evaluate(&world, run_error.as_ref()));
        }
    }
    let mut results: Vec<CheckResult> = results.into_iter().flatten().collect();
    if let Some(e) = &run_error {
        if !scn.checks.iter().any(|c| c.is_about_run_end()) {
            results.push(CheckResult {
                text: "the run ends normally".into(),
                line: 0,
                passed: false,
                detail: e.to_string(),
            });
        }
    }
    for (i, (t, _, _)) in opts.show.iter().enumerate() {
        if t.is_none() {
            shown.push((world.now(), render(&world, i)));
        }
    }
    Outcome {
        world,
        run_error,
        results,
        shown,
    }
}
