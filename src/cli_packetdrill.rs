//! `netlab packetdrill`: run packetdrill scripts against netlab's TCP (see `netlab::packetdrill`).

use netlab::packetdrill::{self, Report, Verdict};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct PacketdrillArgs {
    /// Scripts (.pkt) or directories holding them
    #[arg(required = true)]
    files: Vec<String>,
    /// Timing tolerance in microseconds (packetdrill's default 4000); wins over the script's
    #[arg(long = "tolerance_usecs", value_name = "US")]
    tolerance_usecs: Option<u64>,
    /// Check outbound TS val at this clock tick (packetdrill's --tcp_ts_tick_usecs)
    #[arg(long = "tcp_ts_tick_usecs", value_name = "US")]
    tcp_ts_tick_usecs: Option<u64>,
    /// Do not join back-to-back segments to match a longer expected one
    #[arg(long = "strict_segments")]
    strict_segments: bool,
    /// Define a symbol: a bare word SYM in the scripts becomes VAL (repeatable)
    #[arg(short = 'D', long = "define", value_name = "SYM=VAL")]
    define: Vec<String>,
    /// Print a table (script, result, reason) instead of one block per script
    #[arg(long)]
    table: bool,
    /// Write the run's frames to a pcapng file (one script only)
    #[arg(long, value_name = "OUT.pcapng")]
    pcap: Option<String>,
    /// Write the run's trace records as JSON Lines (one script only)
    #[arg(long, value_name = "OUT.jsonl")]
    trace_json: Option<String>,
    /// Print the run as a text ladder diagram (one script only)
    #[arg(long)]
    ladder: bool,
}

pub fn cmd_packetdrill(a: &PacketdrillArgs) -> ExitCode {
    let mut defines = BTreeMap::new();
    for d in &a.define {
        let Some((k, v)) = d.split_once('=') else {
            eprintln!("error: -D {d}: expected SYM=VAL");
            return ExitCode::from(2);
        };
        defines.insert(k.to_string(), v.to_string());
    }
    let mut cli = Vec::new();
    if let Some(t) = a.tolerance_usecs {
        cli.push(("tolerance_usecs".to_string(), Some(t.to_string())));
    }
    if let Some(t) = a.tcp_ts_tick_usecs {
        cli.push(("tcp_ts_tick_usecs".to_string(), Some(t.to_string())));
    }
    if a.strict_segments {
        cli.push(("strict_segments".to_string(), None));
    }
    let mut paths = Vec::new();
    for f in &a.files {
        let p = Path::new(f);
        if p.is_dir() {
            match packetdrill::find_scripts(p) {
                Ok(v) => paths.extend(v),
                Err(e) => {
                    eprintln!("error: cannot read {f}: {e}");
                    return ExitCode::from(2);
                }
            }
        } else {
            paths.push(p.to_path_buf());
        }
    }
    let views = a.pcap.is_some() || a.trace_json.is_some() || a.ladder;
    if views && paths.len() != 1 {
        eprintln!("error: --pcap, --trace-json and --ladder need exactly one script");
        return ExitCode::from(2);
    }
    let reports: Vec<Report> = paths
        .iter()
        .map(|p| packetdrill::run_file(p, &cli, &defines))
        .collect();
    if a.table {
        print!("{}", table(&reports));
    } else {
        for r in &reports {
            println!("{}", r.text());
        }
    }
    if views {
        if let Err(e) = write_views(a, &reports[0]) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let passed = reports
        .iter()
        .filter(|r| matches!(r.outcome.verdict, Verdict::Pass))
        .count();
    if reports.len() > 1 {
        let unsupported = reports
            .iter()
            .filter(|r| r.status() == "UNSUPPORTED")
            .count();
        println!(
            "{passed} passed, {} failed, {unsupported} unsupported, of {}",
            reports.len() - passed - unsupported,
            reports.len()
        );
    }
    if passed == reports.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `| script | result | reason |` rows, Markdown, so the README can show it as is.
pub fn table(reports: &[Report]) -> String {
    let mut s = String::from("| script | result | reason |\n|---|---|---|\n");
    for r in reports {
        let status = match r.failed_as_expected() {
            Some(true) => "FAIL (expected)",
            _ => r.status(),
        };
        s += &format!(
            "| {} | {status} | {} |\n",
            r.path,
            r.reason().replace('|', "\\|")
        );
    }
    s
}

fn write_views(a: &PacketdrillArgs, r: &Report) -> Result<(), String> {
    use netlab::views::{json, ladder, pcap, text::TextView};
    let Some(net) = &r.outcome.net else {
        return Err(format!(
            "{}: the script did not run, nothing to write",
            r.path
        ));
    };
    let world = &net.world;
    let records = world.trace().records();
    if let Some(path) = &a.pcap {
        let opts = pcap::PcapOptions {
            fcs: false,
            // The hub standing for tun0 injects the peer's segments: capture the cable itself.
            points: pcap::every_link(world),
            comment: Some(format!("netlab packetdrill {}", r.path)),
        };
        let cap = pcap::write_file(world, records, &opts, Path::new(path))
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        eprintln!("wrote {} frames to {path}", cap.packets.len());
    }
    if let Some(path) = &a.trace_json {
        let view = TextView::new(world, &[]);
        let file = std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?;
        let n = json::write_jsonl(&view, records, std::io::BufWriter::new(file))
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        eprintln!("wrote {n} trace records to {path}");
    }
    if a.ladder {
        let lad = ladder::build(
            world,
            records,
            &ladder::LadderOptions {
                all_nodes: true,
                columns: Vec::new(),
            },
        );
        print!("{}", lad.to_text());
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A capture (pcap or pcapng) holding the TCP conversation
    capture: String,
    /// The side netlab plays; the other side's segments are injected at their captured times
    #[arg(long = "as", value_enum)]
    side: ReplaySide,
    /// Which TCP conversation of the capture (1 = the first; the listing shows them)
    #[arg(long, default_value_t = 1)]
    conn: usize,
    /// Write the conversation as a packetdrill script instead of replaying it
    #[arg(long, value_name = "OUT.pkt")]
    emit_pkt: Option<String>,
    /// A setting of the capture host that differs from the linux profile's defaults, as
    /// `tcp_syn_linear_timeouts=0` (repeatable; the knobs packetdrill scripts may set)
    #[arg(long, value_name = "KNOB=VALUE")]
    sysctl: Vec<String>,
    /// SO_RCVBUF the captured application set before connecting or listening (a capture
    /// shows only its effect: a small window with window scale 0)
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..))]
    rcvbuf: Option<u32>,
}

#[derive(Copy, Clone, clap::ValueEnum)]
enum ReplaySide {
    Client,
    Server,
}

pub fn cmd_replay(a: &ReplayArgs) -> ExitCode {
    use netlab::packetdrill::{pcapread, replay};
    let bytes = match netlab::infile::read_bounded(&a.capture, netlab::infile::MAX_CAPTURE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", a.capture);
            return ExitCode::from(2);
        }
    };
    let pkts = match pcapread::read(&bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}: {e}", a.capture);
            return ExitCode::from(2);
        }
    };
    let convs = replay::conversations(&pkts);
    for (i, c) in convs.iter().enumerate() {
        eprintln!(
            "conversation {}: client {} → server {}, {} segments",
            i + 1,
            c.client,
            c.server,
            c.segs.len()
        );
    }
    let Some(c) = a.conn.checked_sub(1).and_then(|i| convs.get(i)) else {
        eprintln!(
            "error: {} has {} TCP conversation(s), no number {}",
            a.capture,
            convs.len(),
            a.conn
        );
        return ExitCode::from(2);
    };
    let side = match a.side {
        ReplaySide::Client => replay::Side::Client,
        ReplaySide::Server => replay::Side::Server,
    };
    if let Err(e) = replay::check_sysctls(&a.sysctl) {
        eprintln!("error: --sysctl: {e}");
        return ExitCode::from(2);
    }
    let host = replay::CaptureHost {
        sysctls: a.sysctl.clone(),
        rcvbuf: a.rcvbuf,
    };
    let title = format!("{} conversation {}", a.capture, a.conn);
    if let Some(path) = &a.emit_pkt {
        return match replay::to_script_with(c, side, &title, &host) {
            Ok((s, _)) => match std::fs::write(path, s) {
                Ok(()) => {
                    eprintln!("wrote {path}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: cannot write {path}: {e}");
                    ExitCode::from(2)
                }
            },
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    match replay::replay_with(c, side, &title, &host) {
        Ok((r, _, _)) => {
            println!(
                "replay of {title}, netlab as the {}:",
                match a.side {
                    ReplaySide::Client => "client",
                    ReplaySide::Server => "server",
                }
            );
            print!("{}", r.text);
            if r.differed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
