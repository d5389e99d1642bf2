//! Running a scenario: drive the world, apply the timeline, judge the expectations.

use super::expect::{CheckResult, When};
use super::spec::Scenario;
use super::tally::Tally;
use crate::show::{self, Table};
use crate::sim::{End, Next, NodeId, Pacer, RunError, Step, StepKind, World};
use crate::time::Instant;
use crate::trace::{Subscriber, Trace, TraceEvent};

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

/// What a run produced: the final world, how it ended, the verdicts.
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

/// Runs the next event of a world instantiated from `scn` through the one run loop
/// ([`World::next`]): a timeline action's script event is applied (after its `Action`
/// record). Every driver (the runner below, the stepper) goes through here.
pub fn next_event(
    scn: &Scenario,
    world: &mut World,
    stop: Option<Instant>,
    pause: Option<Instant>,
) -> Next {
    let next = world.next(stop, pause);
    if let Next::Event(Step {
        time,
        kind: StepKind::Script { index },
    }) = next
    {
        let action = &scn.actions[index as usize];
        let node = action.kind.node().map(|n| NodeId(n as u32));
        world
            .fabric
            .trace
            .push(time, node, TraceEvent::Action { index });
        action.apply(world);
    }
    next
}

/// Runs one event as [`run`] does, with no stop time. `Ok(None)` when nothing is left to do.
pub fn step_event(scn: &Scenario, world: &mut World) -> Result<Option<Step>, RunError> {
    match next_event(scn, world, None, None) {
        Next::Event(s) => Ok(Some(s)),
        Next::Over(End::Failed(e)) => Err(e),
        Next::Over(_) | Next::Paused => Ok(None),
    }
}

/// Runs `scn` to the end (its stop time, or until quiet) keeping every trace record in
/// `outcome.world.trace()`: for tests and embedders that read the whole history. `netlab run`
/// uses [`run_streaming`].
pub fn run(scn: &Scenario, opts: &RunOptions) -> Outcome {
    run_with(scn, opts, Trace::recording(), &mut [], None)
}

/// Runs `scn` to the end with the records flowing to `views` as they are made; nothing keeps
/// the run's history. The views are finished (files flushed) before this returns; the first
/// error a view met is returned with the outcome.
pub fn run_streaming(
    scn: &Scenario,
    opts: &RunOptions,
    views: &mut [&mut dyn Subscriber],
) -> (Outcome, std::io::Result<()>) {
    run_to_views(scn, opts, views, None)
}

/// [`run_streaming`] paced by `pacer`: a real-time run with TAPs (`crate::tap::realtime`).
/// Without a stop time it runs until the pacer ends it (Ctrl-C) or `max_time`.
pub fn run_paced(
    scn: &Scenario,
    opts: &RunOptions,
    views: &mut [&mut dyn Subscriber],
    pacer: &mut dyn Pacer,
) -> (Outcome, std::io::Result<()>) {
    run_to_views(scn, opts, views, Some(pacer))
}

/// The run of [`run_streaming`] and [`run_paced`]: records only if a view or a check reads
/// them, then every view finished.
fn run_to_views(
    scn: &Scenario,
    opts: &RunOptions,
    views: &mut [&mut dyn Subscriber],
    pacer: Option<&mut dyn Pacer>,
) -> (Outcome, std::io::Result<()>) {
    let trace = if views.is_empty() && !Tally::new(&scn.checks).needs_trace() {
        Trace::off()
    } else {
        Trace::streaming()
    };
    let outcome = run_with(scn, opts, trace, views, pacer);
    let mut done = Ok(());
    for v in views.iter_mut() {
        let r = v.finish(&outcome.world);
        if done.is_ok() {
            done = r;
        }
    }
    (outcome, done)
}

fn run_with(
    scn: &Scenario,
    opts: &RunOptions,
    trace: Trace,
    views: &mut [&mut dyn Subscriber],
    mut pacer: Option<&mut dyn Pacer>,
) -> Outcome {
    let mut world = scn.instantiate(opts.seed, trace);
    for v in views.iter_mut() {
        v.start(&world);
    }
    let mut tally = Tally::new(&scn.checks);
    let mut stop = opts.until.or(scn.stop);
    if pacer.is_some() && stop.is_none() {
        // Real time: quiet is not the end (the kernel may send at any moment).
        stop = Some(world.limits.max_time);
    }
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

    let end = loop {
        if let Some(p) = pacer.as_mut() {
            let deadline = [
                timed.get(next_timed).map(|x| x.0),
                shows.get(next_show).map(|x| x.0),
                stop,
            ]
            .into_iter()
            .flatten()
            .min();
            if !p.wait(&mut world, deadline) {
                // Ended from outside (Ctrl-C): this is the end of the run.
                stop = Some(world.now());
                break End::Stopped(world.now());
            }
        }
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
            results[i] = Some(scn.checks[i].evaluate(&world, None, &tally.seen[i]));
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
        let step = next_event(scn, &mut world, stop, None);
        if world.fabric.trace.on() {
            let mut all: Vec<&mut dyn Subscriber> = Vec::with_capacity(views.len() + 1);
            all.push(&mut tally);
            for v in views.iter_mut() {
                all.push(&mut **v);
            }
            world.publish(&mut all);
        }
        if let Next::Over(end) = step {
            break end;
        }
    };
    if let Some(p) = pacer.as_mut() {
        p.finish(&mut world);
        // Frames the kernel sent just before the end (a loop left by Ctrl-C) are in the trace.
        if world.fabric.trace.on() {
            let mut all: Vec<&mut dyn Subscriber> = vec![&mut tally];
            for v in views.iter_mut() {
                all.push(&mut **v);
            }
            world.publish(&mut all);
        }
    }
    let run_error = match end {
        End::Failed(e) => Some(e),
        End::Quiet => {
            if let Some(s) = stop {
                world.fabric.queue.advance_to(s);
            }
            None
        }
        End::Stopped(_) => None,
    };
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
                scn.checks[i].evaluate(&world, None, &tally.seen[i])
            }
        };
        results[i] = Some(r);
    }
    for (i, c) in scn.checks.iter().enumerate() {
        if c.when == When::End {
            results[i] = Some(c.evaluate(&world, run_error.as_ref(), &tally.seen[i]));
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
