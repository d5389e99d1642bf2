//! The `netlab` command line.

mod cli_packetdrill;

use clap::{Parser, Subcommand};
use netlab::outfile::OutFile;
use netlab::phy::bits::{self, LineCoding};
use netlab::scenario::{self, RunOptions, Scenario, ScenarioError};
use netlab::time::{Duration, Instant};
use netlab::trace::writers::{JsonLines, TextLog};
use netlab::trace::{Layer, Subscriber, TraceEvent};
use std::io::Write;
use std::process::ExitCode;

/// `println!` for the commands' results: a write that fails (a full disk, `> /dev/full`) ends
/// the program with a message and exit status 2 instead of `println!`'s panic.
macro_rules! outln {
    () => { emit(format_args!("\n")) };
    ($($t:tt)*) => { emit(format_args!("{}\n", format_args!($($t)*))) };
}

/// `print!` for the commands' results (see `outln!`).
macro_rules! out {
    ($($t:tt)*) => { emit(format_args!($($t)*)) };
}

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
        /// sockets, counters, dhcp, dns), e.g. --show arp@alice@1.5s,routes@r1
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
        #[arg(long, value_enum, default_value_t = netlab::trace::tcpgraph::GraphKind::All)]
        kind: netlab::trace::tcpgraph::GraphKind,
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
            let opts = netlab::view::ViewOptions {
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
        return Err(format!(
            "no node called `{node}`: the nodes are {}",
            scn.node_names()
        ));
    };
    let at = match parts.next() {
        Some(t) => Some(Instant::ZERO + t.parse::<Duration>().map_err(|e| e.to_string())?),
        None => None,
    };
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

/// What `netlab sweep FILE` was asked for.
struct SweepRun<'a> {
    seeds: &'a str,
    set: &'a [String],
    counters: &'a [String],
    csv: Option<&'a str>,
    jobs: Option<usize>,
    emit_jobs: Option<&'a str>,
}

/// Writes `text` as the file `path`, all or nothing (a temporary file renamed).
fn write_text(path: &str, text: &str) -> Result<(), String> {
    let out = OutFile::create(path)?;
    write_whole(out, text.as_bytes()).map_err(|e| format!("cannot write {path}: {e}"))
}

/// `netlab sweep --collect A.csv B.csv …`: the jobs' CSVs as one.
fn cmd_sweep_collect(files: &[String], csv: Option<&str>) -> ExitCode {
    let mut read = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
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

fn cmd_sweep(file: &str, run: &SweepRun) -> ExitCode {
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
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
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

fn cmd_bits(
    file: Option<String>,
    frame_no: u64,
    text: Option<String>,
    coding: LineCoding,
    max_payload: usize,
    svg: Option<&str>,
) -> ExitCode {
    use netlab::ethernet::{self, EthernetRepr, MacAddr};
    // The output file is checked before the run.
    let out = match svg.map(OutFile::create).transpose() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let frame = if let Some(file) = file {
        let scn = match load_simulated(&file, "bits") {
            Ok(s) => s,
            Err(code) => return code,
        };
        // Keep only the one frame asked for as the records stream past, and what collided of
        // it on a shared medium.
        struct FindFrame(u64, Option<netlab::ethernet::Frame>, Vec<String>);
        impl netlab::trace::Subscriber for FindFrame {
            fn record(&mut self, _: &netlab::sim::World, r: &netlab::trace::Record) {
                match &r.event {
                    TraceEvent::FrameTx { id, frame, .. } if id.0 == self.0 && self.1.is_none() => {
                        self.1 = Some(frame.clone())
                    }
                    TraceEvent::Collision {
                        id,
                        frame,
                        attempt,
                        after_bits,
                        late,
                        backoff,
                        ..
                    } if id.0 == self.0 => {
                        self.1.get_or_insert_with(|| frame.clone());
                        let then = match backoff {
                            Some(n) => format!("then a backoff of {n} slot(s) of 512 bit times"),
                            None => "and the frame was abandoned".into(),
                        };
                        self.2.push(format!(
                            "collision at {}: attempt {attempt} was cut after {after_bits} bits{} \
                             (the preamble finished if it was still in it), 32 bits of jam \
                             followed, {then}",
                            r.time,
                            if *late { ", a late collision" } else { "" },
                        ));
                    }
                    _ => {}
                }
            }
        }
        let mut finder = FindFrame(frame_no, None, Vec::new());
        let _ = scenario::run_streaming(&scn, &RunOptions::default(), &mut [&mut finder]);
        for note in &finder.2 {
            eprintln!("{note}");
        }
        let found = finder.1;
        match found {
            Some(f) => f,
            None => {
                eprintln!("error: {file} sends no frame #{frame_no}");
                return ExitCode::from(2);
            }
        }
    } else {
        let payload = text.unwrap_or_else(|| "hello".into());
        // An Ethernet frame carries at most 1500 bytes (the MTU, IEEE 802.3): a longer text
        // would draw a frame no NIC sends.
        if payload.len() > 1500 {
            eprintln!(
                "error: --text: {} bytes do not fit in one Ethernet frame, which carries at most \
                 1500 bytes (the MTU)",
                payload.len()
            );
            return ExitCode::from(2);
        }
        ethernet::frame_with_payload(
            &EthernetRepr {
                dst: MacAddr::broadcast(),
                src: ethernet::default_mac(1),
                ethertype: ethernet::ethertype::EXPERIMENTAL,
            },
            payload.as_bytes(),
        )
    };
    let title = format!("frame: {}", netlab::trace::describe::frame(&frame));
    let Some(out) = out else {
        outln!("{title}");
        out!("{}", bits::render(&frame, coding, max_payload));
        return ExitCode::SUCCESS;
    };
    let path = out.path().display().to_string();
    let picture = bits::render_svg(&frame, coding, max_payload, &title);
    if let Err(e) = write_whole(out, picture.as_bytes()) {
        eprintln!("error: cannot write {path}: {e}");
        return ExitCode::from(2);
    }
    eprintln!("wrote the bits of a {}-byte frame to {path}", frame.len());
    ExitCode::SUCCESS
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
    names
        .iter()
        .map(|n| {
            scn.node_id(n).ok_or_else(|| {
                format!(
                    "no node called `{n}` in {}: the nodes are {}",
                    scn.path,
                    scn.node_names()
                )
            })
        })
        .collect()
}

/// The files `netlab run` writes, opened (and their capture points resolved) before the run.
struct OpenViews<'a> {
    args: &'a ViewArgs,
    pcap: Option<(OutFile, Vec<netlab::trace::pcap::CapturePoint>)>,
    json: Option<OutFile>,
}

impl<'a> OpenViews<'a> {
    fn open(args: &'a ViewArgs, scn: &Scenario) -> Result<OpenViews<'a>, String> {
        use netlab::trace::pcap::CapturePoint;
        let mut points = Vec::new();
        for name in &args.capture {
            let point = if let Some(n) = scn.node_id(name) {
                CapturePoint::Node(n)
            } else if let Some(l) = scn.link_id(name) {
                CapturePoint::Link(l)
            } else {
                return Err(format!(
                    "--capture: no node or link called `{name}`: the nodes are {}; the links are {}",
                    scn.node_names(),
                    scn.link_names()
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
        use netlab::trace::pcap;
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
    pcap: Option<(netlab::trace::pcap::PcapStream<FileOut>, OutFile)>,
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

fn cmd_ladder(
    file: &str,
    hosts: &[String],
    all_nodes: bool,
    svg: Option<&str>,
    seed: Option<u64>,
    until: Option<Duration>,
) -> ExitCode {
    use netlab::trace::ladder;
    let scn = match load_simulated(file, "ladder") {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Names and the output file are checked before the run.
    let columns = match node_ids(&scn, hosts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: --hosts: {e}");
            return ExitCode::from(2);
        }
    };
    let out = match svg.map(OutFile::create).transpose() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = RunOptions {
        seed,
        until: until.map(|d| Instant::ZERO + d),
        ..Default::default()
    };
    let outcome = scenario::run(&scn, &opts);
    let world = &outcome.world;
    let lad = ladder::build(
        world,
        world.trace().records(),
        &ladder::LadderOptions { all_nodes, columns },
    );
    match out {
        Some(out) => {
            let path = out.path().display().to_string();
            if let Err(e) = write_whole(out, lad.to_svg().as_bytes()) {
                eprintln!("error: cannot write {path}: {e}");
                return ExitCode::from(2);
            }
            eprintln!(
                "wrote a ladder of {} columns and {} arrows to {path}",
                lad.columns.len(),
                lad.arrows.len()
            );
        }
        None => out!("{}", lad.to_text()),
    }
    ExitCode::SUCCESS
}

// ---- pictures for the browser (netlab topo, netlab view) ----

fn cmd_topo(file: &str, svg: Option<&str>) -> ExitCode {
    let scn = match Scenario::load(file) {
        Ok(s) => s,
        Err(e) => return report(e),
    };
    let world = scn.instantiate(None, netlab::trace::Trace::off());
    let topo = netlab::view::Topology::of(&world);
    match svg {
        Some(path) => {
            if let Err(e) = std::fs::write(path, topo.to_svg()) {
                eprintln!("error: cannot write {path}: {e}");
                return ExitCode::from(2);
            }
            eprintln!(
                "wrote a picture of {} nodes and {} cables to {path}",
                topo.nodes.len(),
                topo.links.len()
            );
        }
        None => print!("{}", topo.to_text()),
    }
    ExitCode::SUCCESS
}

fn cmd_view(
    file: &str,
    out: Option<&str>,
    mut opts: netlab::view::ViewOptions,
    filter: Option<&str>,
) -> ExitCode {
    let scn = match load_simulated(file, "view") {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(words) = filter {
        let world = scn.instantiate(opts.seed, netlab::trace::Trace::off());
        match netlab::filter::FrameFilter::parse(words, &|n| netlab::step::endpoint(&world, n)) {
            Ok(f) => opts.filter = Some(f),
            Err(e) => {
                eprintln!("error: --filter \"{words}\": {e}");
                return ExitCode::from(2);
            }
        }
    }
    let path = match out {
        Some(p) => p.to_string(),
        None => {
            let stem = std::path::Path::new(file)
                .file_stem()
                .map_or("view".into(), |s| s.to_string_lossy().into_owned());
            format!("{stem}.html")
        }
    };
    let data = netlab::view::collect(&scn, &opts);
    let page = netlab::view::page::html(&scn.name, &data.json);
    if let Err(e) = std::fs::write(&path, &page) {
        eprintln!("error: cannot write {path}: {e}");
        return ExitCode::from(2);
    }
    eprintln!("wrote {path} ({} kB): {}", page.len() / 1024, data.summary);
    eprintln!("open it in a browser: file://{}", abs(&path));
    ExitCode::SUCCESS
}

fn abs(path: &str) -> String {
    std::fs::canonicalize(path).map_or_else(|_| path.to_string(), |p| p.display().to_string())
}

/// Writes `bytes` to `out` and puts the file in place.
fn write_whole(out: OutFile, bytes: &[u8]) -> std::io::Result<()> {
    out.file()?.write_all(bytes)?;
    out.commit()
}

// ---- the stepper (netlab step) ----

fn cmd_step(file: &str, commands: Option<&str>, seed: Option<u64>) -> ExitCode {
    use std::io::IsTerminal;
    let scn = match load_simulated(file, "step") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut stepper = netlab::step::Stepper::new(scn, seed);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match commands {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => stepper.run_session(std::io::BufReader::new(f), &mut out, true, false),
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() && std::io::stdout().is_terminal() {
                drop(out);
                return step_terminal(&mut stepper);
            }
            // Piped input stays plain: each command echoed after the prompt, a transcript.
            let interactive = stdin.is_terminal();
            stepper.run_session(stdin.lock(), &mut out, !interactive, interactive)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`netlab step … | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Completes the stepper's commands, arguments and node names (Tab) at a terminal.
struct StepHelper<'a>(&'a std::cell::RefCell<Option<Vec<String>>>);

impl rustyline::completion::Completer for StepHelper<'_> {
    type Candidate = String;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let line = &line[..pos];
        let start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        // The candidate lines were made by the stepper before the line was read (the helper
        // cannot borrow the stepper, which commands change).
        let lines = self.0.borrow();
        let mut words = netlab::step::complete_in(lines.as_deref().unwrap_or(&[]), line);
        if let [one] = words.as_mut_slice() {
            one.push(' '); // a whole word: ready for the next one
        }
        Ok((start, words))
    }
}

impl rustyline::hint::Hinter for StepHelper<'_> {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for StepHelper<'_> {}
impl rustyline::validate::Validator for StepHelper<'_> {}
impl rustyline::Helper for StepHelper<'_> {}

/// `netlab step` at a terminal: line editing, history (↑/↓, Ctrl-R) and Tab completion by
/// rustyline, the prompt showing the current time and event, goodbye on Ctrl-D.
fn step_terminal(stepper: &mut netlab::step::Stepper) -> ExitCode {
    use rustyline::error::ReadlineError;
    let candidates = std::cell::RefCell::new(None);
    let mut editor =
        match rustyline::Editor::<StepHelper, rustyline::history::DefaultHistory>::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot read the terminal: {e}");
                return ExitCode::from(2);
            }
        };
    editor.set_helper(Some(StepHelper(&candidates)));
    print!("{}", stepper.banner());
    loop {
        *candidates.borrow_mut() = Some(stepper.completion_lines());
        match editor.readline(&stepper.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let reply = stepper.execute(&line);
                print!("{}", reply.text);
                if reply.quit {
                    return ExitCode::SUCCESS;
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("(Ctrl-C: type `quit` or press Ctrl-D to leave)");
            }
            Err(ReadlineError::Eof) => {
                print!("{}", netlab::step::Stepper::GOODBYE);
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
}

// ---- TCP pictures (netlab tcpgraph) ----

/// What part of a connection `netlab tcpgraph` draws.
#[derive(clap::Args)]
struct GraphArgs {
    /// Whose data the sequence and congestion graphs follow: a node's name or an address
    /// (default: the side that sent more data)
    #[arg(long, value_name = "NODE|IP:PORT")]
    sender: Option<String>,
    /// Only what happened from this time on, e.g. 1.02s
    #[arg(long, value_parser = parse_duration)]
    from: Option<Duration>,
    /// Only what happened up to this time
    #[arg(long, value_parser = parse_duration)]
    to: Option<Duration>,
}

#[allow(clippy::too_many_arguments)] // one per command-line option
fn cmd_tcpgraph(
    file: &str,
    conn: Option<usize>,
    port: Option<u16>,
    svg: Option<&str>,
    kind: netlab::trace::tcpgraph::GraphKind,
    graph: &GraphArgs,
    seed: Option<u64>,
    until: Option<Duration>,
) -> ExitCode {
    use netlab::trace::tcpgraph;
    let scn = match load_simulated(file, "tcpgraph") {
        Ok(s) => s,
        Err(code) => return code,
    };
    // The output file is checked before the run.
    let out = match svg.map(OutFile::create).transpose() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = RunOptions {
        seed,
        until: until.map(|d| Instant::ZERO + d),
        ..Default::default()
    };
    let outcome = scenario::run(&scn, &opts);
    let conns = tcpgraph::connections(&outcome.world, outcome.world.trace().records());
    if conns.is_empty() {
        eprintln!("{file}: no TCP connection in this run");
        return ExitCode::from(1);
    }
    let Some(out) = out else {
        for c in &conns {
            out!("{}", c.summary());
        }
        return ExitCode::SUCCESS;
    };
    let chosen = match (conn, port) {
        (Some(n), _) => conns.iter().find(|c| c.number == n),
        (None, Some(p)) => conns.iter().find(|c| c.has_port(p)),
        (None, None) => conns.first(),
    };
    let Some(c) = chosen else {
        let what = match (conn, port) {
            (Some(n), _) => format!("no connection {n}"),
            _ => format!("no connection with port {}", port.unwrap_or(0)),
        };
        eprintln!(
            "error: {what} in this run; it has {} (run without --svg for the list)",
            conns.len()
        );
        return ExitCode::from(2);
    };
    if let (Some(f), Some(t)) = (graph.from, graph.to) {
        if t < f {
            eprintln!("error: --to {t} is before --from {f}");
            return ExitCode::from(2);
        }
    }
    let sender = match graph.sender.as_deref().map(|n| (n, c.side_named(n))) {
        None => None,
        Some((_, Some(side))) => Some(side),
        Some((name, None)) => {
            eprintln!(
                "error: --sender {name}: connection {} is between {} and {}",
                c.number,
                c.sides[0].label(),
                c.sides[1].label()
            );
            return ExitCode::from(2);
        }
    };
    let opts = tcpgraph::GraphOptions {
        kind,
        sender,
        from: graph.from.map(|d| Instant::ZERO + d),
        to: graph.to.map(|d| Instant::ZERO + d),
    };
    let path = out.path().display().to_string();
    if let Err(e) = write_whole(out, c.draw(&opts).as_bytes()) {
        eprintln!("error: cannot write {path}: {e}");
        return ExitCode::from(2);
    }
    eprintln!("wrote connection {} ({}) to {path}", c.number, c.label());
    ExitCode::SUCCESS
}
