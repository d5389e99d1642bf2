//! The picture commands: `netlab bits` (a frame's bits on the line), `netlab ladder` (the flow graph), `netlab topo` (the network drawn),
//! `netlab view` (the run as one web page) and `netlab tcpgraph` (a connection's states,
//! sequence and congestion graphs).

use crate::{load_simulated, node_ids, parse_duration, report, write_whole};
use netlab::outfile::OutFile;
use netlab::scenario::{self, RunOptions, Scenario};
use netlab::time::{Duration, Instant};
use netlab::trace::TraceEvent;
use netlab::views::bits::{self, LineCoding};
use std::process::ExitCode;

/// The picture's output file, created (and so checked) before the run; `None` for the
/// terminal.
fn svg_file(svg: Option<&str>) -> Result<Option<OutFile>, ExitCode> {
    svg.map(OutFile::create).transpose().map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

/// The run a picture is drawn from, up to `until` if given, its records flowing to `view` as
/// they are made (the view keeps what it draws, nothing keeps the run's history).
fn run_into(
    scn: &Scenario,
    seed: Option<u64>,
    until: Option<Duration>,
    view: &mut dyn netlab::trace::Subscriber,
) -> scenario::Outcome {
    let opts = RunOptions {
        seed,
        until: until.map(|d| Instant::ZERO + d),
        ..Default::default()
    };
    // The views here write nothing while the run goes: they cannot fail.
    scenario::run_streaming(scn, &opts, &mut [view]).0
}

pub(crate) fn cmd_ladder(
    file: &str,
    hosts: &[String],
    all_nodes: bool,
    svg: Option<&str>,
    seed: Option<u64>,
    until: Option<Duration>,
) -> ExitCode {
    use netlab::views::ladder;
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
    let out = match svg_file(svg) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut builder = ladder::LadderBuilder::new(ladder::LadderOptions { all_nodes, columns });
    let outcome = run_into(&scn, seed, until, &mut builder);
    let lad = builder.into_ladder(&outcome.world);
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

pub(crate) fn cmd_topo(file: &str, svg: Option<&str>) -> ExitCode {
    let scn = match Scenario::load(file) {
        Ok(s) => s,
        Err(e) => return report(e),
    };
    let world = scn.instantiate(None, netlab::trace::Trace::off());
    let topo = netlab::browser::Topology::of(&world);
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

pub(crate) fn cmd_view(
    file: &str,
    out: Option<&str>,
    mut opts: netlab::browser::ViewOptions,
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
    let data = netlab::browser::collect(&scn, &opts);
    let page = netlab::browser::page::html(&scn.name, &data.json);
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

// ---- TCP pictures (netlab tcpgraph) ----

/// What part of a connection `netlab tcpgraph` draws.
#[derive(clap::Args)]
pub(crate) struct GraphArgs {
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
pub(crate) fn cmd_tcpgraph(
    file: &str,
    conn: Option<usize>,
    port: Option<u16>,
    svg: Option<&str>,
    kind: netlab::views::tcpgraph::GraphKind,
    graph: &GraphArgs,
    seed: Option<u64>,
    until: Option<Duration>,
) -> ExitCode {
    use netlab::views::tcpgraph;
    let scn = match load_simulated(file, "tcpgraph") {
        Ok(s) => s,
        Err(code) => return code,
    };
    // The output file is checked before the run.
    let out = match svg_file(svg) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut collector = tcpgraph::ConnectionCollector::new();
    let outcome = run_into(&scn, seed, until, &mut collector);
    let conns = collector.into_connections(&outcome.world);
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

pub(crate) fn cmd_bits(
    file: Option<String>,
    frame_no: u64,
    text: Option<String>,
    coding: LineCoding,
    max_payload: usize,
    svg: Option<&str>,
) -> ExitCode {
    use netlab::ethernet::{self, EthernetRepr, MacAddr};
    // The output file is checked before the run.
    let out = match svg_file(svg) {
        Ok(o) => o,
        Err(code) => return code,
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
            fn record(&mut self, _: &dyn netlab::trace::Names, r: &netlab::trace::Record) {
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
