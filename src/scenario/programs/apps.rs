//! Timeline lines that start a ready-made application (`echo-server port=8081 suffix="SB"`)
//! or a Python program.

use crate::apps::sock::{
    BulkSend, BulkSink, EchoServer, LineClient, SocketApp, UdpEcho, UdpSend, UdpSink,
};
use crate::scenario::args::{Args, LineCtx, MAX_FRAMES_PER_LINE};
use crate::scenario::error::ScenarioError;
use crate::scenario::line::Word;
use crate::scenario::names::{app_name, AppNames, Names};
use crate::time::{Duration, Instant};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;

/// `HOST:PORT` as a socket address.
fn endpoint(ctx: &LineCtx, names: &Names, w: &Word) -> Result<SocketAddrV4, ScenarioError> {
    let (h, p) = w.value.rsplit_once(':').ok_or_else(|| {
        ctx.err(
            w.value_span.clone(),
            format!(
                "expected HOST:PORT, such as server:8080, found `{}`",
                w.value
            ),
        )
    })?;
    let ip = if h == "localhost" {
        Some(Ipv4Addr::LOCALHOST)
    } else {
        names.resolve_ip(h)
    }
    .ok_or_else(|| {
        ctx.err(
            w.value_span.clone(),
            format!("`{h}` is neither an IPv4 address nor a host with one"),
        )
    })?;
    let port = p
        .parse::<u16>()
        .map_err(|_| ctx.err(w.value_span.clone(), format!("`{p}` is not a port number")))?;
    Ok(SocketAddrV4::new(ip, port))
}

/// Byte counts with a unit: `1500`, `64KB`, `10MB`, `1GB` (powers of 1000), `64KiB`, `1MiB`.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let k = match unit {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1024,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(k)
}

/// Parses an application verb's options into the application.
pub(crate) fn app_action(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    verb: &str,
    time: Instant,
    words: Vec<Word>,
    apps: &mut AppNames,
) -> Result<(String, SocketApp), ScenarioError> {
    let mut args = Args::new(ctx, verb, words)?;
    let port = |args: &mut Args| -> Result<Option<u16>, ScenarioError> {
        args.take_parsed("port", "a port number", |s| s.parse::<u16>().ok())
    };
    let need_port = |p: Option<u16>| p.ok_or_else(|| ctx.err_end(format!("{verb} needs port=N")));
    let to = |args: &mut Args| -> Result<SocketAddrV4, ScenarioError> {
        match args.take("to") {
            Some(w) => endpoint(ctx, names, &w),
            None => Err(ctx.err_end(format!("{verb} needs to=HOST:PORT"))),
        }
    };
    let messages = |args: &mut Args| -> Vec<Vec<u8>> {
        args.take("messages")
            .map(|w| w.value.split('|').map(|m| m.as_bytes().to_vec()).collect())
            .unwrap_or_default()
    };
    let yes = |s: &str| match s {
        "yes" | "true" | "1" => Some(true),
        "no" | "false" | "0" => Some(false),
        _ => None,
    };
    let (app, allowed): (SocketApp, &[&str]) = match verb {
        "echo-server" => {
            let p = need_port(port(&mut args)?)?;
            let suffix = args
                .take("suffix")
                .map(|w| w.value.into_bytes())
                .unwrap_or_default();
            let backlog = args
                .take_parsed("backlog", "a backlog", |s| s.parse::<usize>().ok())?
                .unwrap_or(5);
            let concurrent = args
                .take_parsed("concurrent", "yes or no", yes)?
                .unwrap_or(false);
            (
                SocketApp::EchoServer(EchoServer::new(p, suffix, backlog, concurrent)),
                &["port", "suffix", "backlog", "concurrent", "as"],
            )
        }
        "line-client" => {
            let t = to(&mut args)?;
            let msgs = messages(&mut args);
            let gap = args
                .take_parsed("gap", "a duration", |s| Duration::from_str(s).ok())?
                .unwrap_or(Duration::ZERO);
            let abort = args
                .take_parsed("abort", "yes or no", yes)?
                .unwrap_or(false);
            (
                SocketApp::LineClient(LineClient::new(t, msgs, gap, abort)),
                &["to", "messages", "gap", "abort", "as"],
            )
        }
        "bulk-send" => {
            let t = to(&mut args)?;
            let bytes = args
                .take_parsed("bytes", "a size such as 10MB or 65536", parse_bytes)?
                .ok_or_else(|| ctx.err_end("bulk-send needs bytes=SIZE"))?;
            (
                SocketApp::BulkSend(BulkSend::new(t, bytes)),
                &["to", "bytes", "as"],
            )
        }
        "bulk-sink" => (
            SocketApp::BulkSink(BulkSink::new(need_port(port(&mut args)?)?)),
            &["port", "as"],
        ),
        "udp-echo" => (
            SocketApp::UdpEcho(UdpEcho::new(need_port(port(&mut args)?)?)),
            &["port", "as"],
        ),
        "udp-sink" => (
            SocketApp::UdpSink(UdpSink::new(need_port(port(&mut args)?)?)),
            &["port", "as"],
        ),
        "udp-send" => {
            let t = to(&mut args)?;
            let msgs = messages(&mut args);
            // The datagrams are made as they are sent, but a gap of 0 sends them all in one
            // step: bound them as `send-frame count=` is bounded.
            let count = args.take_parsed(
                "count",
                &format!("a count of 0 to {MAX_FRAMES_PER_LINE}"),
                |s| s.parse::<u32>().ok().filter(|&n| n <= MAX_FRAMES_PER_LINE),
            )?;
            let size = args.take_parsed("size", "a size of 0-65507 bytes", |s| {
                s.parse::<usize>().ok().filter(|&n| n <= 65507)
            })?;
            let gap = args
                .take_parsed("gap", "a duration", |s| Duration::from_str(s).ok())?
                .unwrap_or(Duration::ZERO);
            let send = match count {
                Some(c) => UdpSend::pattern(t, c as usize, size.unwrap_or(100), gap, time),
                None => UdpSend::new(t, msgs, gap, time),
            };
            (
                SocketApp::UdpSend(send),
                &["to", "messages", "count", "size", "gap", "as"],
            )
        }
        _ => return Err(ctx.err_end(format!("unknown application `{verb}`"))),
    };
    let name = app_name(ctx, names, &mut args, verb, "stream", node, apps)?;
    args.finish(allowed)?;
    Ok((name, app))
}

/// `python FILE [stdin="…"] [args="a b"] [as=NAME] [budget=5s] [cost=1us] [max_output=1MB]`:
/// a real Python program, the file relative to the scenario's folder.
pub(crate) fn python_action(
    ctx: &LineCtx,
    names: &Names,
    node: usize,
    words: Vec<Word>,
    apps: &mut AppNames,
) -> Result<(String, crate::apps::python::PythonConfig), ScenarioError> {
    use crate::apps::python::{HostsTable, PythonConfig};
    let node_name = names.nodes[node].name.clone();
    let mut args = Args::new(ctx, "python", words)?;
    let Some(file) = args.next_positional() else {
        return Err(ctx.err_end(
            "python needs the program's file, relative to the scenario: `python programs/server.py`",
        ));
    };
    let dir = std::path::Path::new(&ctx.src.path)
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                std::path::PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        })
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    if !dir.join(&file.value).is_file() {
        return Err(ctx.err_at(
            &file,
            format!(
                "no program file `{}` in {} (files are relative to the scenario's folder)",
                file.value,
                dir.display()
            ),
        ));
    }
    let stdin = args.take("stdin").map(|w| w.value).unwrap_or_default();
    let argv: Vec<String> = args
        .take("args")
        .map(|w| w.value.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let budget = args
        .take_parsed("budget", "a wall-clock duration such as 5s", |s| {
            Duration::from_str(s).ok().filter(|d| !d.is_zero())
        })?
        .unwrap_or(Duration::from_secs(10));
    // Not zero: a call that takes no simulated time lets a polling loop (a non-blocking recv
    // until data comes, a recv() == b'' loop) run for ever at one instant, so that nothing
    // else, the peer's packets included, could ever happen; see `apps::python`.
    let cost = args
        .take_parsed("cost", "a duration of at least 1ns, such as 1us", |s| {
            Duration::from_str(s).ok().filter(|d| !d.is_zero())
        })?
        .unwrap_or(Duration::from_micros(1));
    let max_output = args
        .take_parsed("max_output", "a size such as 1MB", parse_bytes)?
        .unwrap_or(1 << 20);
    let stem = std::path::Path::new(&file.value)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short = match args.take("as") {
        Some(w) => {
            if w.value.is_empty()
                || !w
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ctx.err(
                    w.value_span.clone(),
                    "a program's name has letters, digits, `-` and `_`",
                ));
            }
            w.value
        }
        None => stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
    };
    let name = format!("{node_name}/{short}");
    if apps.contains_key(&name) {
        return Err(ctx.err_end(format!(
            "the name `{name}` is already used: give this program another with as=NAME"
        )));
    }
    args.finish(&["stdin", "args", "as", "budget", "cost", "max_output"])?;
    apps.insert(name.clone(), (node, "python"));
    let hosts = HostsTable(
        (0..names.nodes.len())
            .filter_map(|n| {
                let ips: Vec<Ipv4Addr> = crate::scenario::network::host_ifaces(&names.nodes[n])
                    .iter()
                    .filter_map(|i| i.addr.map(|c| c.addr()))
                    .collect();
                (!ips.is_empty()).then(|| (names.nodes[n].name.clone(), ips))
            })
            .collect(),
    );
    Ok((
        name,
        PythonConfig {
            file: file.value,
            dir,
            stdin,
            argv,
            budget_ms: budget.as_nanos() / 1_000_000,
            cost,
            max_output,
            hosts: std::sync::Arc::new(hosts),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("10MB"), Some(10_000_000));
        assert_eq!(parse_bytes("64KiB"), Some(65536));
        assert_eq!(parse_bytes("1500"), Some(1500));
        assert_eq!(parse_bytes("1.5MB"), None);
        assert_eq!(parse_bytes("10Mb"), None);
    }
}
