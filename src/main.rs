//! The `netlab` command line.

mod cli_packetdrill;

use clap::{Parser, Subcommand};
use netlab::outfile::OutFile;
use netlab::scenario::{self, RunOptions, Scenario, ScenarioError};
use netlab::time::{Duration, Instant};
use netlab::trace::{Layer, Subscriber};
use netlab::views::bits::LineCoding;
use netlab::views::writers::{JsonLines, TextLog};
use std::io::Write;
use std::process::ExitCode;

/// `println!` for the commands' results: a write that fails (a full disk, `> /dev/full`) ends
/// the program with a message and exit status 2 instead of `println!`'s panic.
macro_rules! outln {
    () => { $crate::emit(format_args!("\n")) };
    ($($t:tt)*) => { $crate::emit(format_args!("{}\n", format_args!($($t)*))) };
}

/// `print!` for the commands' results (see `outln!`).
macro_rules! out {
    ($($t:tt)*) => { $crate::emit(format_args!($($t)*)) };
}

mod cli_pictures;
mod cli_step;
mod cli_sweep;
use cli_pictures::{cmd_bits, cmd_ladder, cmd_tcpgraph, cmd_topo, cmd_view, GraphArgs};
use cli_step::cmd_step;
use cli_sweep::{cmd_sweep, cmd_sweep_collect, SweepRun};

fn emit(args: std::fmt::Arguments) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        stdout_failed(e);
    }
}

/// Ends the program after a failed write to standard output. (A closed pipe never gets here:
/// SIGPIPE ends the program quietly first, see `main`.)
fn stdout_failed(e: std::io::Error) -> ! {
    eprintln!("error: cannot write the output: {e}");
    std::process::exit(2)
}

/// netlab: a deterministic TCP/IP network simulator. Every frame on every wire is real bytes;
/// the same scenario and seed always give the same result.
#[derive(Parser)]
#[command(name = "netlab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario: print one line per event, then the expectations' results.
    ///
    /// Exit status: 0 when every expectation holds, 1 when one fails, 2 when the scenario file
    /// has a mistake.
    Run {
        /// The scenario file (TOML), e.g. scenarios/switch-learning.toml
        file: String,
        /// Seed for every random choice (overrides the file's `seed`)
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time, e.g. 10ms (overrides the file's `stop`)
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
        /// Print only the expectations' results (and tables asked for with --show): no
        /// description, no event log
        #[arg(long, short)]
        quiet: bool,
        /// Show only these layers (comma-separated: phy, eth, switch, arp, ip, icmp, udp, tcp,
        /// socket, app, scenario)
        #[arg(long, value_delimiter = ',')]
        layer: Vec<String>,
        /// Show only events at these nodes (comma-separated names)
        #[arg(long, value_delimiter = ',')]
        node: Vec<String>,
        /// Print tables: TABLE@NODE at the end, or TABLE@NODE@TIME (tables: arp, routes, mac,
        /// stp, sockets, counters, dhcp, dns), e.g. --show arp@alice@1.5s,routes@r1
        #[arg(long, value_delimiter = ',')]
        show: Vec<String>,
        #[command(flatten)]
        views: ViewArgs,
        #[command(flatten)]
        tap: TapArgs,
    },
    /// Run scenarios silently and print PASS or FAIL for each.
    ///
    /// Exit status: 0 when every expectation of every file holds, 1 when one fails, 2 when a
    /// file has a mistake.
    Check {
        /// Scenario files
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Run one scenario many times, over seeds and link settings, on every core: one row per
    /// run with each expectation's verdict and the counters asked for.
    ///
    /// Example: netlab sweep lossy.toml --seeds 1..100 --set link.cable.loss=0,0.01,0.05
    /// --counter client.tcp_retransmits --csv runs.csv. The rows are in run order (seeds
    /// slowest, settings fastest) whatever the number of threads.
    ///
    /// Exit status: 0 when every run passed, 1 when one failed, 2 for a mistake in the input.
    Sweep {
        /// Scenario file (with --collect: the CSV files to merge)
        #[arg(required = true)]
        files: Vec<String>,
        /// Seeds: A..B (both included) or A,B,C
        #[arg(long, default_value = "1..10")]
        seeds: String,
        /// A link setting to vary: link.NAME.KEY=V1,V2,… (KEY: loss, bit_error_rate, delay,
        /// bandwidth, queue_frames); repeat for a grid
        #[arg(long = "set")]
        set: Vec<String>,
        /// A counter to report per run: NODE.COUNTER or LINK.COUNTER; repeatable
        #[arg(long = "counter")]
        counters: Vec<String>,
        /// Also write the rows as CSV to this file
        #[arg(long)]
        csv: Option<String>,
        /// Worker threads (default: every core)
        #[arg(long)]
        jobs: Option<usize>,
        /// Run nothing: write one `netlab sweep` command per run to this file, for GNU parallel
        /// (`parallel < JOBS`) or a Slurm array; job N writes its row to JOBS.NNNNN.csv
        #[arg(long, value_name = "JOBS")]
        emit_jobs: Option<String>,
        /// Merge the CSV files given (a sweep's jobs) into one, header once, to --csv or stdout
        #[arg(long, conflicts_with_all = ["emit_jobs", "set", "counters"])]
        collect: bool,
    },
    /// Show a frame as the bits on the wire, with a line coding (for learners).
    ///
    /// Either a frame of a scenario (`netlab bits FILE --frame 3`: the 3rd transmission in its
    /// log) or a raw test frame made on the spot (`netlab bits --text hello`).
    Bits {
        /// A scenario whose frame to draw
        file: Option<String>,
        /// Which transmission of the scenario (the `#N` in `netlab run`'s log)
        #[arg(long, default_value_t = 1)]
        frame: u64,
        /// Draw a broadcast test frame carrying this text instead of a scenario's frame
        #[arg(long, conflicts_with = "file")]
        text: Option<String>,
        /// Line coding
        #[arg(long, value_enum, default_value_t = LineCoding::Manchester)]
        coding: LineCoding,
        /// Payload bytes to draw before summarising the rest
        #[arg(long, default_value_t = 8)]
        max_payload: usize,
        /// Write the drawing to this SVG file instead of printing it
        #[arg(long, value_name = "OUT.svg")]
        svg: Option<String>,
    },
    /// Draw a ladder diagram: one column per host, one arrow per frame, time going down.
    ///
    /// Switches and hubs are transparent (an arrow goes from the sending host to the receiving
    /// host) unless --all-nodes gives them columns too. Lost frames end in ✗ with the reason.
    Ladder {
        /// The scenario file (TOML)
        file: String,
        /// Only these columns, in this order (comma-separated node names)
        #[arg(long, value_delimiter = ',')]
        hosts: Vec<String>,
        /// Give switches and hubs columns too: one arrow per hop
        #[arg(long)]
        all_nodes: bool,
        /// Write the diagram as a standalone SVG file instead of printing it
        #[arg(long, value_name = "OUT.svg")]
        svg: Option<String>,
        /// Seed for every random choice (overrides the file's `seed`)
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time, e.g. 10ms (overrides the file's `stop`)
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
    },
    /// Step through a scenario one event at a time (a debugger: next, until, continue,
    /// breakpoints, back, layers, fields, show).
    ///
    /// Reads commands from standard input (or --commands FILE), one per line; `help` lists them.
    Step {
        /// The scenario file (TOML)
        file: String,
        /// Read the commands from this file instead of standard input
        #[arg(long, value_name = "FILE")]
        commands: Option<String>,
        /// Seed for every random choice (overrides the file's `seed`)
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Draw a TCP connection of a run: its state timeline, its time-sequence graph (tcptrace
    /// style) and its congestion window and RTO over time, as a standalone SVG.
    ///
    /// Without --svg, lists the run's TCP connections (their numbers are what --conn takes).
    Tcpgraph {
        /// The scenario file (TOML)
        file: String,
        /// Which connection (the number in the listing; default: the first)
        #[arg(long, conflicts_with = "port")]
        conn: Option<usize>,
        /// The first connection with this port at either end
        #[arg(long)]
        port: Option<u16>,
        /// Write the picture to this SVG file
        #[arg(long, value_name = "OUT.svg")]
        svg: Option<String>,
        /// Which picture: the state timeline, the time-sequence graph, cwnd/ssthresh/RTO, or all
        /// three
        #[arg(long, value_enum, default_value_t = netlab::views::tcpgraph::GraphKind::All)]
        kind: netlab::views::tcpgraph::GraphKind,
        #[command(flatten)]
        graph: GraphArgs,
        /// Seed for every random choice (overrides the file's `seed`)
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time, e.g. 10ms (overrides the file's `stop`)
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
    },
    /// Draw the network: hosts, routers, switches and hubs with their names, interfaces and
    /// addresses, LANs with their subnets, cables with bandwidth, delay and losses.
    ///
    /// Without --svg, prints the nodes and cables as text.
    Topo {
        /// The scenario file (TOML)
        file: String,
        /// Write the picture to this SVG file
        #[arg(long, value_name = "OUT.svg")]
        svg: Option<String>,
    },
    /// Replay a run in the browser: one self-contained HTML file (no server, no network).
    ///
    /// The page shows the network with frames moving along the cables (play, pause, step,
    /// step back, speed, time slider), the event list with filters, each frame's layers and
    /// fields with its bytes, the nodes' tables at any time, the ladder, the TCP graphs and the
    /// expectations. Long runs: at most --max-events events; narrow with --from/--to or --filter.
    View {
        /// The scenario file (TOML)
        file: String,
        /// The HTML file to write (default: the scenario's name with .html, here)
        #[arg(short = 'o', long = "out", value_name = "OUT.html")]
        out: Option<String>,
        /// Seed for every random choice (overrides the file's `seed`)
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time, e.g. 10ms (overrides the file's `stop`)
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
        /// Only events from this time on, e.g. 1.5s
        #[arg(long, value_parser = parse_duration)]
        from: Option<Duration>,
        /// Only events up to this time (the run is not simulated further)
        #[arg(long, value_parser = parse_duration)]
        to: Option<Duration>,
        /// Only events about frames matching these filter words (e.g. "tcp syn", "arp"), plus
        /// socket, application and scenario events
        #[arg(long)]
        filter: Option<String>,
        /// At most this many events in the page
        #[arg(long, default_value_t = 100_000)]
        max_events: usize,
    },
    /// Run packetdrill scripts against netlab's TCP in simulated time: PASS, FAIL (with the
    /// script's line:column, expected and actual, and the time) or UNSUPPORTED (with the reason).
    ///
    /// Exit status 0 only if every script ran and passed.
    Packetdrill(cli_packetdrill::PacketdrillArgs),
    /// Replay one TCP conversation of a capture (pcap/pcapng) against netlab: the other side's
    /// segments at their captured times, netlab's segments compared with the captured side's
    /// (flags, relative seq/ack, window, options in order, length, timing).
    ///
    /// Exit status 0 when every segment agrees, 1 when one differs, 2 on a bad capture.
    Replay(cli_packetdrill::ReplayArgs),
    /// Measure simulation speed (frames and events per wall-clock second).
    Bench {
        /// A shorter run, for a smoke test
        #[arg(long)]
        quick: bool,
        /// Run only the cases whose name contains this text (e.g. "lan-ping 1000")
        #[arg(long)]
        case: Option<String>,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    s.parse::<Duration>().map_err(|e| e.to_string())
}

/// Prints a scenario error with the offending line and a caret under it.
fn report(e: ScenarioError) -> ExitCode {
    eprintln!("{:?}", miette::Report::new(e));
    ExitCode::from(2)
}

fn main() -> ExitCode {
    // A closed pipe (`netlab run … | head`) ends the program quietly, as it does any Unix
    // tool, instead of making `println!` panic. Rust ignores SIGPIPE by default.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run {
            file,
            seed,
            until,
            quiet,
            layer,
            node,
            show,
            views,
            tap,
        } => cmd_run(
            &file, seed, until, quiet, &layer, &node, &show, &views, &tap,
        ),
        Command::Check { files } => cmd_check(&files),
        Command::Sweep {
            files,
            seeds,
            set,
            counters,
            csv,
            jobs,
            emit_jobs,
            collect,
        } => {
            if collect {
                cmd_sweep_collect(&files, csv.as_deref())
            } else if let [file] = files.as_slice() {
                let run = SweepRun {
                    seeds: &seeds,
                    set: &set,
                    counters: &counters,
                    csv: csv.as_deref(),
                    jobs,
                    emit_jobs: emit_jobs.as_deref(),
                };
                cmd_sweep(file, &run)
            } else {
                eprintln!("error: netlab sweep takes one scenario file (or --collect CSV files)");
                ExitCode::from(2)
            }
        }
        Command::Bits {
            file,
            frame,
            text,
            coding,
            max_payload,
            svg,
        } => cmd_bits(file, frame, text, coding, max_payload, svg.as_deref()),
        Command::Ladder {
            file,
            hosts,
            all_nodes,
            svg,
            seed,
            until,
        } => cmd_ladder(&file, &hosts, all_nodes, svg.as_deref(), seed, until),
        Command::Step {
            file,
            commands,
            seed,
        } => cmd_step(&file, commands.as_deref(), seed),
        Command::Tcpgraph {
            file,
            conn,
            port,
            svg,
            kind,
            graph,
            seed,
            until,
        } => cmd_tcpgraph(&file, conn, port, svg.as_deref(), kind, &graph, seed, until),
        Command::Topo { file, svg } => cmd_topo(&file, svg.as_deref()),
        Command::View {
            file,
            out,
            seed,
            until,
            from,
            to,
            filter,
            max_events,
        } => {
            let at = |d: Option<Duration>| d.map(|d| Instant::ZERO + d);
            let opts = netlab::browser::ViewOptions {
                seed,
                until: at(until),
                from: at(from),
                to: at(to),
                filter: None,
                max_events,
            };
            cmd_view(&file, out.as_deref(), opts, filter.as_deref())
        }
        Command::Packetdrill(a) => cli_packetdrill::cmd_packetdrill(&a),
        Command::Replay(a) => cli_packetdrill::cmd_replay(&a),
        Command::Bench { quick, case } => {
            let stdout = std::io::stdout();
            if let Err(e) = netlab::bench::run_all(quick, case.as_deref(), &mut stdout.lock()) {
                stdout_failed(e);
            }
            ExitCode::SUCCESS
        }
    };
    // Output still buffered (a last `print!` without a newline) must reach its file too, or
    // the failure be reported.
    if let Err(e) = std::io::stdout().flush() {
        stdout_failed(e);
    }
    code
}

#[allow(clippy::too_many_arguments)]
fn cmd_run(
    file: &str,
    seed: Option<u64>,
    until: Option<Duration>,
    quiet: bool,
    layers: &[String],
    nodes: &[String],
    shows: &[String],
    views: &ViewArgs,
    tap: &TapArgs,
) -> ExitCode {
    let scn = match Scenario::load_with_taps(file, &tap.tap) {
        Ok(s) => s,
        Err(e) => return report(e),
    };
    if let Err(e) = tap.check(&scn) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let stop = until.map(|d| Instant::ZERO + d).or(scn.stop);
    let mut show = Vec::new();
    for spec in shows {
        match parse_show(&scn, spec, stop) {
            Ok(s) => show.push(s),
            Err(e) => {
                eprintln!("error: --show {spec}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut wanted_layers = Vec::new();
    for l in layers {
        match Layer::from_name(l) {
            Some(l) => wanted_layers.push(l),
            None => {
                let all: Vec<_> = Layer::ALL.iter().map(|l| l.name()).collect();
                eprintln!(
                    "error: unknown layer `{l}`: expected one of {}",
                    all.join(", ")
                );
                return ExitCode::from(2);
            }
        }
    }
    // Names and output files are checked before the run, which may take minutes.
    let wanted_nodes = match node_ids(&scn, nodes) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: --node: {e}");
            return ExitCode::from(2);
        }
    };
    let outputs = match OpenViews::open(views, &scn) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = RunOptions {
        seed,
        until: until.map(|d| Instant::ZERO + d),
        show,
    };
    let mut streams = match outputs.streams(&scn, seed) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !quiet {
        outln!("# {} (seed {})", scn.name, seed.unwrap_or(scn.seed));
        for line in scn.description.lines() {
            outln!("# {line}");
        }
    }
    // The views, fed as the run goes: nothing keeps the run's history.
    // In real time each line is shown as it happens; otherwise in large writes.
    let out: Box<dyn std::io::Write> = if tap.realtime {
        Box::new(std::io::LineWriter::new(std::io::stdout()))
    } else {
        Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        ))
    };
    let mut log = TextLog::new(out, scn.action_texts());
    log.layers = wanted_layers;
    log.nodes = wanted_nodes;
    let mut subs: Vec<&mut dyn Subscriber> = Vec::new();
    if !quiet {
        subs.push(&mut log);
    }
    if let Some((p, _)) = &mut streams.pcap {
        subs.push(p);
    }
    if let Some((j, _)) = &mut streams.json {
        subs.push(j);
    }
    let (outcome, written, realtime) = if tap.realtime {
        // The kernel's side is set up last, once everything that can be refused was checked.
        let taps = match netlab::tap::realtime::Taps::open(&scn, tap.tap_existing) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        // On stderr, whatever --quiet says: a script (or tests/tap.rs) waits for this line
        // before it starts the kernel's side.
        for ns in taps.namespaces() {
            eprintln!(
                "netlab: real time: namespace {ns} is ready (try `ip netns exec {ns} ping …`)"
            );
        }
        for dev in taps.interfaces() {
            eprintln!("netlab: real time: TAP {dev} is up; Ctrl-C ends the run");
        }
        let mut rt = netlab::tap::realtime::RealTime::new(taps);
        let (o, w) = scenario::run_paced(&scn, &opts, &mut subs, &mut rt);
        let summary = netlab::tap::realtime::summary(&rt, &o.world);
        let err = rt.error.take();
        drop(rt);
        if let Some(e) = err {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        (o, w, Some(summary))
    } else {
        let (o, w) = scenario::run_streaming(&scn, &opts, &mut subs);
        (o, w, None)
    };
    if let Err(e) = written {
        // The files stay unwritten: `streams` drops its temporary files uncommitted.
        eprintln!("error: cannot write the outputs of the run: {e}");
        return ExitCode::from(2);
    }
    let world = &outcome.world;
    if !quiet {
        outln!();
    }
    if let Some(e) = &outcome.run_error {
        outln!("run stopped: {e}");
    } else {
        outln!(
            "run ended at t={}s after {} events",
            world.now(),
            world.fabric.queue.processed()
        );
    }
    if let Some(s) = realtime {
        outln!("{s}");
    }
    for (t, text) in &outcome.shown {
        outln!("\n# at t={t}s");
        out!("{text}");
    }
    outln!();
    print_results(&outcome.results);
    if let Err(e) = streams.commit() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if outcome.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Parses `TABLE@NODE[@TIME]`.
fn parse_show(
    scn: &Scenario,
    spec: &str,
    stop: Option<Instant>,
) -> Result<(Option<Instant>, netlab::sim::NodeId, netlab::show::Table), String> {
    let mut parts = spec.split('@');
    let table: netlab::show::Table = parts.next().unwrap_or("").parse()?;
    let node = parts
        .next()
        .ok_or("expected TABLE@NODE, such as arp@alice")?;
    let Some(id) = scn.node_id(node) else {
        return Err(format!("no node called `{node}`: {}", scn.the_nodes()));
    };
    let at = match parts.next() {
        Some(t) => Some(Instant::ZERO + t.parse::<Duration>().map_err(|e| e.to_string())?),
        None => None,
    };
    if let Some(extra) = parts.next() {
        return Err(format!(
            "unexpected `@{extra}`: expected TABLE@NODE or TABLE@NODE@TIME"
        ));
    }
    // A table after the run's end would silently never be printed.
    if let (Some(at), Some(stop)) = (at, stop) {
        if at > stop {
            return Err(format!(
                "{at}s is after the end of the run ({stop}s, the file's `stop` or --until)"
            ));
        }
    }
    Ok((at, id, table))
}

fn print_results(results: &[scenario::CheckResult]) {
    if results.is_empty() {
        outln!("no expectations");
        return;
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    outln!(
        "expectations: {} passed, {} failed",
        results.len() - failed,
        failed
    );
    for r in results {
        let mark = if r.passed { "ok  " } else { "FAIL" };
        let at = if r.line > 0 {
            format!("line {:>3}", r.line)
        } else {
            "        ".into()
        };
        outln!("  {mark} {at}  {}    ({})", r.text, r.detail);
    }
}

fn cmd_check(files: &[String]) -> ExitCode {
    let (mut failed, mut broken) = (false, false);
    for f in files {
        match Scenario::load(f) {
            Err(e) => {
                broken = true;
                outln!("ERROR {e}");
            }
            Ok(scn) if scn.has_taps() => {
                broken = true;
                outln!(
                    "ERROR {f}: it has a [[tap]] (the real kernel on the network): run it with \
                     `netlab run {f} --realtime`"
                );
            }
            Ok(scn) => {
                // No view reads the records: they stream past the expectations and are gone.
                let (outcome, _) = scenario::run_streaming(&scn, &RunOptions::default(), &mut []);
                if outcome.passed() {
                    outln!("PASS  {f} ({} expectations)", outcome.results.len());
                } else {
                    failed = true;
                    for r in outcome.failures() {
                        outln!("FAIL  {f}:{}: {}    ({})", r.line, r.text, r.detail);
                    }
                }
            }
        }
    }
    // As `netlab run`: 2 for a file with a mistake, before 1 for a failed expectation.
    if broken {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

// ---- views written to files: pcap, JSON trace (netlab run) and the ladder (netlab ladder) ----

/// Loads a scenario for a command that runs it in simulated time only: one with a `[[tap]]`
/// (the real kernel on the network) is refused, as it runs only with `netlab run --realtime`.
fn load_simulated(file: &str, command: &str) -> Result<Scenario, ExitCode> {
    let scn = Scenario::load(file).map_err(report)?;
    if scn.has_taps() {
        eprintln!(
            "error: {file} has a [[tap]] (the real kernel on the network): it runs only in real \
             time, with `netlab run {file} --realtime`; `netlab {command}` runs in simulated time \
             (write the real-time run's --pcap or --trace-json and look at those)"
        );
        return Err(ExitCode::from(2));
    }
    Ok(scn)
}

/// `netlab run` options for scenarios with a TAP (the real kernel on the network).
#[derive(clap::Args)]
struct TapArgs {
    /// Pace simulated time to the wall clock; required by (and only allowed for) scenarios with
    /// a [[tap]], which exchange frames with the real kernel. Ends at --until or Ctrl-C
    #[arg(long)]
    realtime: bool,
    /// Attach to a TAP interface that already exists (a persistent TAP you made with
    /// `ip tuntap add dev NAME mode tap user $USER`); without it an existing name is refused
    #[arg(long)]
    tap_existing: bool,
    /// Put the real kernel on the network without editing the file: a [[tap]] named NAME (the
    /// kernel's interface) cabled to ATTACH (a switch, a switch port or a host), optionally in
    /// a namespace netlab makes and configures: NAME@ATTACH[,netns=NS][,ip=CIDR][,gateway=IP],
    /// e.g. --tap nl0@sw1,netns=lab,ip=10.0.1.50/24. Repeatable; needs --realtime
    #[arg(long, value_name = "NAME@ATTACH[,KEY=VALUE]")]
    tap: Vec<String>,
}

impl TapArgs {
    fn check(&self, scn: &Scenario) -> Result<(), String> {
        match (scn.has_taps(), self.realtime) {
            (true, false) => Err(format!(
                "{} has a [[tap]]: it exchanges frames with the real Linux kernel, so it runs \
                 only in real time; add --realtime (a TAP needs root or CAP_NET_ADMIN)",
                scn.path
            )),
            (false, true) => Err(format!(
                "--realtime is for scenarios with a [[tap]] (the real kernel on the network); \
                 {} has none, and runs in simulated time",
                scn.path
            )),
            (false, false) if self.tap_existing => {
                Err("--tap-existing is for scenarios with a [[tap]]".into())
            }
            _ => Ok(()),
        }
    }
}

/// `netlab run` options that write the run's trace to files.
#[derive(clap::Args)]
struct ViewArgs {
    /// Write the frames of the run to a capture file (pcapng, nanosecond timestamps) for
    /// Wireshark or tshark
    #[arg(long, value_name = "OUT.pcapng")]
    pcap: Option<String>,
    /// Keep each frame's FCS in the capture, so Wireshark checks it and flags the frames netlab
    /// corrupted (default: no FCS, like a Linux capture)
    #[arg(long, requires = "pcap")]
    pcap_fcs: bool,
    /// Capture at these links or nodes (comma-separated names). Default: each frame once, on
    /// the link its sender put it on (not the copies switches and routers pass on), so that
    /// Wireshark's TCP analysis sees each segment once
    #[arg(
        long,
        value_delimiter = ',',
        requires = "pcap",
        value_name = "LINK|NODE"
    )]
    capture: Vec<String>,
    /// Write every trace record as one JSON object per line
    #[arg(long, value_name = "OUT.jsonl")]
    trace_json: Option<String>,
}

/// The nodes called `names` (for --node, --hosts), or an error listing the valid names.
fn node_ids(scn: &Scenario, names: &[String]) -> Result<Vec<netlab::sim::NodeId>, String> {
    let mut ids = Vec::new();
    for n in names {
        let id = scn
            .node_id(n)
            .ok_or_else(|| format!("no node called `{n}` in {}: {}", scn.path, scn.the_nodes()))?;
        // Two columns of one node would draw every arrow twice.
        if ids.contains(&id) {
            return Err(format!("`{n}` is named twice"));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The files `netlab run` writes, opened (and their capture points resolved) before the run.
struct OpenViews<'a> {
    args: &'a ViewArgs,
    pcap: Option<(OutFile, Vec<netlab::views::pcap::CapturePoint>)>,
    json: Option<OutFile>,
}

impl<'a> OpenViews<'a> {
    fn open(args: &'a ViewArgs, scn: &Scenario) -> Result<OpenViews<'a>, String> {
        use netlab::views::pcap::CapturePoint;
        let mut points = Vec::new();
        for name in &args.capture {
            let point = if let Some(n) = scn.node_id(name) {
                CapturePoint::Node(n)
            } else if let Some(l) = scn.link_id(name) {
                CapturePoint::Link(l)
            } else {
                return Err(format!(
                    "--capture: no node or link called `{name}`: {}; {}",
                    scn.the_nodes(),
                    scn.the_links()
                ));
            };
            points.push(point);
        }
        let pcap = match &args.pcap {
            Some(path) => Some((OutFile::create(path)?, points)),
            None => None,
        };
        let json = match &args.trace_json {
            Some(path) => Some(OutFile::create(path)?),
            None => None,
        };
        Ok(OpenViews { args, pcap, json })
    }

    /// The views that write as the run goes, into the opened files.
    fn streams(self, scn: &Scenario, seed: Option<u64>) -> Result<Streams, String> {
        use netlab::views::pcap;
        let open = |out: &OutFile| {
            out.file()
                .map(|f| std::io::BufWriter::with_capacity(1 << 16, f))
                .map_err(|e| format!("cannot write {}: {e}", out.path().display()))
        };
        let pcap = match self.pcap {
            Some((out, points)) => {
                let opts = pcap::PcapOptions {
                    fcs: self.args.pcap_fcs,
                    points,
                    comment: Some(format!(
                        "netlab run of {} (seed {})",
                        scn.name,
                        seed.unwrap_or(scn.seed)
                    )),
                };
                Some((pcap::PcapStream::new(&opts, open(&out)?), out))
            }
            None => None,
        };
        let json = match self.json {
            Some(out) => Some((JsonLines::new(open(&out)?, scn.action_texts()), out)),
            None => None,
        };
        Ok(Streams { pcap, json })
    }
}

type FileOut = std::io::BufWriter<std::fs::File>;

/// The files of `netlab run`, written as the run goes and put in place once it is over.
struct Streams {
    pcap: Option<(netlab::views::pcap::PcapStream<FileOut>, OutFile)>,
    json: Option<(JsonLines<FileOut>, OutFile)>,
}

impl Streams {
    /// Puts each written file in place and says what it holds.
    fn commit(self) -> Result<(), String> {
        if let Some((cap, out)) = self.pcap {
            let path = out.path().display().to_string();
            let n = cap.interfaces().len();
            out.commit()
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            eprintln!(
                "wrote {} frames ({} corrupted by netlab) on {n} interface{} to {path}",
                cap.packets,
                cap.damaged,
                if n == 1 { "" } else { "s" }
            );
        }
        if let Some((js, out)) = self.json {
            let path = out.path().display().to_string();
            out.commit()
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            eprintln!("wrote {} trace records to {path}", js.written);
        }
        Ok(())
    }
}

/// Writes `bytes` to `out` and puts the file in place.
fn write_whole(out: OutFile, bytes: &[u8]) -> std::io::Result<()> {
    out.file()?.write_all(bytes)?;
    out.commit()
}
