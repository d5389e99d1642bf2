//! Script options (`--name=value`) and the init command whitelist.
//!
//! packetdrill runs the first backquoted command with `system(3)`; netlab runs no shell.
//! Instead each line of it is recognised: `defaults.sh` loads the Linux settings it sets,
//! `set_sysctls.py /proc/sys/net/ipv4/K=V` and `sysctl -q net.ipv4.K=V` set known knobs,
//! `ethtool`, `tc` and the sysctl restore script change nothing netlab models (no TSO/GSO, no
//! qdisc) and are no-ops; anything else makes the script UNSUPPORTED, naming the command.

use crate::host::HostConfig;
use crate::tcp::congestion::Algorithm;
use crate::tcp::fastopen;
use std::net::Ipv4Addr;

/// Settings of one run: packetdrill's command-line options and what the init command set.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub tolerance_us: u64,
    pub tolerance_percent: f64,
    /// `--tcp_ts_tick_usecs`: check outbound TS val at this tick (0: not checked).
    pub ts_tick_us: u64,
    pub strict_segments: bool,
    /// packetdrill's `--non_fatal=packet,syscall`: record mismatches and go on (replays).
    pub non_fatal: bool,
    /// Replays (`netlab replay`): the inferred reads and writes are the captured
    /// application's. One that netlab cannot complete at its captured instant (send buffer
    /// full, data not there yet) returns the script's value anyway, and its rest is handed
    /// over or read as soon as netlab can, in order, so the conversation runs to its end.
    pub app_io_backlog: bool,
    pub bind_port: u16,
    pub connect_port: u16,
    /// `--local_ip`, `--remote_ip`: the host's address (in a /16) and the script's peer.
    pub local_ip: Ipv4Addr,
    pub remote_ip: Ipv4Addr,
    /// `ip tcp_metrics flush`: the host forgets its Fast Open cookies (a new host has none).
    pub flush_tcp_metrics: bool,
    pub host: HostConfig,
    /// The script's directory: a `defaults.sh` the init command runs is read from there.
    pub script_dir: Option<std::path::PathBuf>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            tolerance_us: 4000,
            tolerance_percent: 12.5,
            ts_tick_us: 0,
            strict_segments: false,
            non_fatal: false,
            app_io_backlog: false,
            bind_port: 8080,
            connect_port: 8080,
            local_ip: super::net::LOCAL_IP,
            remote_ip: super::net::REMOTE_IP,
            flush_tcp_metrics: false,
            host: HostConfig::default(),
            script_dir: None,
        }
    }
}

/// Applies `--name[=value]`; an option that changes what netlab would have to model (another
/// IP version, wire mode, a shared object) is unsupported, with the reason.
pub fn apply_option(cfg: &mut RunConfig, name: &str, value: Option<&str>) -> Result<(), String> {
    let num = |v: Option<&str>| -> Result<f64, String> {
        v.ok_or(format!("--{name} needs a value"))?
            .parse::<f64>()
            .map_err(|_| format!("--{name}: '{}' is not a number", v.unwrap_or("")))
    };
    match name {
        "tolerance_usecs" => cfg.tolerance_us = (num(value)? as u64).min(3_600_000_000),
        "tolerance_percent" => cfg.tolerance_percent = num(value)?,
        "tcp_ts_tick_usecs" => cfg.ts_tick_us = num(value)? as u64,
        "strict_segments" => cfg.strict_segments = true,
        "bind_port" | "connect_port" => {
            let v = value.ok_or(format!("--{name} needs a value"))?;
            let port = v
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or(format!("--{name}={v}: not a port (1 to 65535)"))?;
            if name == "bind_port" {
                cfg.bind_port = port;
            } else {
                cfg.connect_port = port;
            }
        }
        "ip_version" if value == Some("ipv4") => {}
        "mtu" if value == Some("1500") => {}
        "local_ip" | "remote_ip" => {
            let ip: Ipv4Addr = value
                .and_then(|v| v.parse().ok())
                .ok_or(format!("--{name} needs an IPv4 address"))?;
            if name == "local_ip" {
                cfg.local_ip = ip;
            } else {
                cfg.remote_ip = ip;
            }
        }
        "gateway_ip" | "netmask_ip" | "speed" | "init_scripts" | "verbose" | "v" | "debug"
        | "dry_run" => {}
        "non_fatal" => cfg.non_fatal = true,
        // packetdrill hands an inbound packet longer than this to tun as GSO segments of
        // this size (virtio_net_hdr's gso_size), which Linux measures the peer's MSS by.
        "mss" => {
            let v = num(value)?;
            if !(1.0..=65535.0).contains(&v) {
                return Err(format!("--mss={v}: not a segment size (1 to 65535)"));
            }
            cfg.host.tcp.rx_gso_size = v as u32;
        }
        // Whether packetdrill frees a send buffer after the call (MSG_ZEROCOPY scripts keep
        // it): nothing the stack sees.
        "send_omit_free" => {}
        _ => {
            return Err(format!(
                "option --{name}{} is not supported by netlab's runner",
                value.map(|v| format!("={v}")).unwrap_or_default()
            ))
        }
    }
    Ok(())
}

/// Linux's settings from packetdrill's `defaults.sh` that netlab has a knob for. The others
/// it sets (tcp_frto, tcp_fack, pacing ratios, fastopen, ecn…) have no netlab counterpart:
/// netlab behaves as those defaults say or does not implement the mechanism at all.
fn load_defaults(host: &mut HostConfig) {
    // defaults.sh: tcp_syn_retries=5, tcp_synack_retries=5, tcp_rmem="4096 540000 15728640"
    // (the maximum sets the window-scale shift: 8, where the 32 MiB of this machine gives 10).
    host.tcp.syn_retries = 5;
    host.tcp.synack_retries = 5;
    host.tcp.rmem_max = 15_728_640;
    // tcp_slow_start_after_idle=0: the window survives idle periods.
    host.tcp.slow_start_after_idle = false;
    // tcp_fastopen=0x70403 (client and server on, every listener a Fast Open one; the 0x70000
    // bits are not upstream Linux's) and tcp_fastopen_key=a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4.
    host.tcp.fastopen = 0x70403;
    host.tcp.fastopen_key = fastopen::parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
}

/// The sysctls of the `defaults.sh` a script runs, when it is there to read: the kernel's
/// selftests carry their own (`tcp_fastopen=0x3`, where packetdrill's says 0x70403). Its
/// settings netlab has no knob for are passed over, as [`load_defaults`] passes them over.
fn load_defaults_file(host: &mut HostConfig, path: &std::path::Path) {
    let Ok(text) = crate::infile::read_text_bounded(path, crate::infile::MAX_TEXT_BYTES) else {
        return;
    };
    for line in text.lines() {
        let words = shell_words(line.split('#').next().unwrap_or(""));
        if words.first().map(String::as_str) != Some("sysctl") {
            continue;
        }
        for w in words[1..].iter().filter(|w| !w.starts_with('-')) {
            let Some((knob, value)) = w.split_once('=') else {
                continue;
            };
            if let (Some(knob), Ok(value)) = (knob.strip_prefix("net.ipv4."), expand_arith(value)) {
                let _ = apply_sysctl(host, knob, &value);
            }
        }
    }
}

/// Expands the shell's `$((…))` integer arithmetic in a word (`$((15*1024*1024))`): numbers,
/// `+ - * /` and parentheses.
fn expand_arith(word: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(start) = rest.find("$((") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 3..];
        // The closing `))` is the first `)` outside any inner parentheses, then one more.
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in body.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                ')' => {
                    end = body[i + 1..].starts_with(')').then_some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or(format!("'{}': unclosed $(( ))", brief(word)))?;
        let tokens: Vec<char> = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        let mut at = 0;
        let v = arith_sum(&tokens, &mut at, 0)
            .filter(|_| at == tokens.len())
            .ok_or(format!(
                "'{}': not shell arithmetic netlab knows",
                brief(word)
            ))?;
        out.push_str(&v.to_string());
        rest = &body[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A word cut for a message (a script's word may be any length).
fn brief(word: &str) -> String {
    match word.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &word[..i]),
        None => word.to_string(),
    }
}

fn arith_sum(t: &[char], at: &mut usize, depth: usize) -> Option<i64> {
    let mut v = arith_product(t, at, depth)?;
    while let Some(&op @ ('+' | '-')) = t.get(*at) {
        *at += 1;
        let r = arith_product(t, at, depth)?;
        v = if op == '+' {
            v.checked_add(r)?
        } else {
            v.checked_sub(r)?
        };
    }
    Some(v)
}

fn arith_product(t: &[char], at: &mut usize, depth: usize) -> Option<i64> {
    let mut v = arith_atom(t, at, depth)?;
    while let Some(&op @ ('*' | '/')) = t.get(*at) {
        *at += 1;
        let r = arith_atom(t, at, depth)?;
        v = if op == '*' {
            v.checked_mul(r)?
        } else {
            v.checked_div(r)?
        };
    }
    Some(v)
}

/// Deepest parentheses an expression may nest (a script is user input: no stack overflow).
const MAX_ARITH_DEPTH: usize = 32;

fn arith_atom(t: &[char], at: &mut usize, depth: usize) -> Option<i64> {
    if t.get(*at) == Some(&'(') {
        if depth >= MAX_ARITH_DEPTH {
            return None;
        }
        *at += 1;
        let v = arith_sum(t, at, depth + 1)?;
        (t.get(*at) == Some(&')')).then(|| *at += 1)?;
        return Some(v);
    }
    let start = *at;
    while t.get(*at).is_some_and(|c| c.is_ascii_digit()) {
        *at += 1;
    }
    t[start..*at].iter().collect::<String>().parse().ok()
}

/// One sysctl: a knob netlab has, or an error naming it.
fn apply_sysctl(host: &mut HostConfig, knob: &str, value: &str) -> Result<(), String> {
    let int = || {
        let v = value.trim();
        match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse::<u64>(),
        }
        .map_err(|_| format!("sysctl {knob}={value}: not a number"))
    };
    // A value Linux refuses (EINVAL) is an error, not wrapped into the field: the bounds of
    // the knob's proc_dointvec_minmax, else of the C int every one of these is.
    let ranged = |lo: u64, hi: u64| -> Result<u32, String> {
        let v = int()?;
        if (lo..=hi).contains(&v) {
            Ok(v as u32)
        } else {
            Err(format!(
                "sysctl {knob}={value}: out of range (Linux takes {lo} to {hi})"
            ))
        }
    };
    const INT_MAX: u64 = i32::MAX as u64;
    // MAX_TCP_SYNCNT, the most SYN retries Linux allows.
    const MAX_SYNCNT: u64 = 127;
    match knob {
        "tcp_syn_retries" => host.tcp.syn_retries = ranged(1, MAX_SYNCNT)?,
        "tcp_synack_retries" => host.tcp.synack_retries = ranged(0, INT_MAX)?,
        "tcp_retries2" => host.tcp.data_retries = ranged(0, INT_MAX)?,
        "tcp_window_scaling" => host.tcp.window_scaling = int()? != 0,
        "tcp_timestamps" => host.tcp.timestamps = int()? != 0,
        "tcp_sack" => host.tcp.sack = int()? != 0,
        "tcp_slow_start_after_idle" => host.tcp.slow_start_after_idle = int()? != 0,
        "tcp_syn_linear_timeouts" => host.tcp.syn_linear_timeouts = ranged(0, MAX_SYNCNT)?,
        "tcp_congestion_control" => {
            host.tcp.congestion = match value.trim() {
                "cubic" => Algorithm::Cubic,
                "reno" => Algorithm::Reno,
                other => {
                    return Err(format!(
                        "sysctl tcp_congestion_control={other}: netlab has cubic and reno"
                    ))
                }
            }
        }
        // "min default max": the maximum is what netlab's window-scale choice reads.
        "tcp_rmem" => {
            let max = value.split_whitespace().nth(2).and_then(|m| m.parse().ok());
            host.tcp.rmem_max =
                max.ok_or(format!("sysctl tcp_rmem={value}: want three numbers"))?;
        }
        // The fewest segments per TSO/GSO burst, whose last one carries PSH (the size itself
        // follows the pacing rate, `Connection::tso_segs`).
        "tcp_min_tso_segs" => host.tcp.tso_segs = int()?.clamp(1, 1 << 16) as u32,
        // Bits netlab does not know (Google's kernels have more) change nothing.
        "tcp_fastopen" => host.tcp.fastopen = ranged(0, INT_MAX)?,
        "tcp_fastopen_key" => {
            host.tcp.fastopen_key = Some(
                fastopen::parse_key(value)
                    .ok_or(format!("sysctl {knob}={value}: not a key (x-x-x-x in hex)"))?,
            )
        }
        // Active Fast Open blackhole detection, which netlab does not have: off only.
        "tcp_fastopen_blackhole_timeout_sec" if int()? == 0 => {}
        // Settings whose value is what netlab does anyway.
        "tcp_invalid_ratelimit" | "tcp_tso_win_divisor" => {}
        _ => {
            return Err(format!(
                "sysctl {knob}={value}: netlab has no such setting yet"
            ))
        }
    }
    Ok(())
}

/// Runs the init command's lines through the whitelist.
pub fn apply_init(cfg: &mut RunConfig, cmd: &str) -> Result<(), String> {
    // A backslash before a newline continues the line, as in the shell.
    let cmd = cmd.replace("\\\n", " ");
    for line in cmd.lines().flat_map(|l| l.split(';')) {
        let words = shell_words(line);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some(first) = words.first() else { continue };
        let base = first.rsplit('/').next().unwrap_or(first);
        match base {
            "defaults.sh" => {
                load_defaults(&mut cfg.host);
                if let Some(dir) = &cfg.script_dir {
                    load_defaults_file(&mut cfg.host, &dir.join(first));
                }
            }
            "set_sysctls.py" => {
                for w in &words[1..] {
                    let (path, value) = w
                        .split_once('=')
                        .ok_or(format!("set_sysctls.py argument '{w}' has no '='"))?;
                    let knob = path
                        .strip_prefix("/proc/sys/net/ipv4/")
                        .ok_or(format!("sysctl {path}: only net.ipv4 knobs are known"))?;
                    apply_sysctl(&mut cfg.host, knob, value)?;
                }
            }
            "sysctl" => {
                for w in words[1..].iter().filter(|w| !w.starts_with('-')) {
                    let (path, value) = w
                        .split_once('=')
                        .ok_or(format!("sysctl argument '{w}' has no '='"))?;
                    let knob = path
                        .strip_prefix("net.ipv4.")
                        .ok_or(format!("sysctl {path}: only net.ipv4 knobs are known"))?;
                    apply_sysctl(&mut cfg.host, knob, &expand_arith(value)?)?;
                }
            }
            // A qdisc that drops every packet makes the stack see local congestion (a failed
            // transmit, retried every 500 ms); fq paces. netlab models neither.
            "tc" if line.contains("limit 0") => {
                return Err(format!(
                    "'{}': a qdisc that drops every packet (local congestion) is not modelled",
                    line.trim()
                ))
            }
            "tc" if words.contains(&"fq") => {
                return Err(format!(
                    "'{}': pacing by the fq qdisc is not modelled",
                    line.trim()
                ))
            }
            // CUBIC's module parameters: HyStart on or off, and which detectors it runs.
            "echo" if words.len() == 4 && words[2] == ">" => {
                let param = words[3]
                    .strip_prefix("/sys/module/tcp_cubic/parameters/")
                    .ok_or(format!(
                        "init command '{}' is not one netlab knows",
                        line.trim()
                    ))?;
                let value: u8 = words[1]
                    .parse()
                    .map_err(|_| format!("'{}': not a number", line.trim()))?;
                match param {
                    "hystart_detect" => cfg.host.tcp.hystart = value & 3,
                    "hystart" if value == 0 => cfg.host.tcp.hystart = 0,
                    "hystart" => cfg.host.tcp.hystart = cfg.host.tcp.hystart.max(3),
                    _ => {
                        return Err(format!(
                            "tcp_cubic parameter {param}: netlab has no such setting"
                        ))
                    }
                }
            }
            // No TSO/GSO/GRO and no qdisc in netlab: segments are sent as the stack cuts them.
            "ethtool" | "tc" => {}
            // The client's Fast Open cache (Linux keeps it in tcp_metrics).
            "ip" if words.get(1) == Some(&"tcp_metrics") && words.get(2) == Some(&"flush") => {
                cfg.flush_tcp_metrics = true
            }
            b if b.starts_with("sysctl_restore") => {}
            _ => {
                return Err(format!(
                    "init command '{}' is not one netlab knows",
                    line.trim()
                ))
            }
        }
    }
    Ok(())
}

/// The words of one shell command line: split at blanks, except inside single or double
/// quotes, which are removed (`sysctl -q net.ipv4.tcp_rmem="4096 87380 6291456"`).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_arithmetic_expands() {
        assert_eq!(
            expand_arith("4096 131072 $((32*1024*1024))").unwrap(),
            "4096 131072 33554432"
        );
        assert_eq!(expand_arith("$(( (1+2) * 3 - 4/2 ))x").unwrap(), "7x");
        assert_eq!(expand_arith("$((2*(3+4)))").unwrap(), "14");
        let deep = format!("$(({}1{}))", "(".repeat(100_000), ")".repeat(100_000));
        assert!(
            expand_arith(&deep).is_err(),
            "nesting is bounded, not a stack overflow"
        );
        assert!(expand_arith("$((1+))").is_err());
        assert!(expand_arith("$((2*3").is_err());
        assert!(expand_arith("$((99999999999*99999999999))").is_err());
    }

    #[test]
    fn a_defaults_file_beside_the_script_is_read() {
        let dir = std::env::temp_dir().join(format!("netlab-defaults-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("defaults.sh"),
            "# comment\nsysctl -q net.ipv4.tcp_fastopen=0x3\n\
             sysctl -q net.ipv4.tcp_rmem=\"4096 540000 $((15*1024*1024))\"\n\
             sysctl -q net.ipv4.tcp_ecn=0\n",
        )
        .unwrap();
        let mut c = RunConfig {
            script_dir: Some(dir.clone()),
            ..RunConfig::default()
        };
        apply_init(&mut c, "./defaults.sh").unwrap();
        assert_eq!(
            c.host.tcp.fastopen, 0x3,
            "the file's value, not packetdrill's 0x70403"
        );
        assert_eq!(c.host.tcp.rmem_max, 15 * 1024 * 1024);
        assert_eq!(c.host.tcp.syn_retries, 5);
        // Without the file: the built-in copy of packetdrill's.
        let mut c = RunConfig::default();
        apply_init(&mut c, "./defaults.sh").unwrap();
        assert_eq!(c.host.tcp.fastopen, 0x70403);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn whitelist() {
        let mut c = RunConfig::default();
        apply_init(
            &mut c,
            "../common/defaults.sh\nethtool -K tun0 tso off gso off\n\
             ../common/set_sysctls.py /proc/sys/net/ipv4/tcp_syn_retries=1",
        )
        .unwrap();
        assert_eq!(c.host.tcp.syn_retries, 1);
        apply_init(&mut c, "sysctl -q net.ipv4.tcp_synack_retries=2").unwrap();
        assert_eq!(c.host.tcp.synack_retries, 2);
        assert_eq!(c.host.tcp.tso_segs, 2);
        apply_init(&mut c, "sysctl -q net.ipv4.tcp_min_tso_segs=4").unwrap();
        assert_eq!(c.host.tcp.tso_segs, 4);
        let e = apply_init(&mut c, "ip route change 192.0.2.1 mtu 640").unwrap_err();
        assert!(e.contains("ip route change"), "{e}");
        let e = apply_init(&mut c, "sysctl -q net.ipv4.tcp_bogus=1").unwrap_err();
        assert!(e.contains("tcp_bogus"), "{e}");
        assert!(apply_option(&mut c, "wire_client", None).is_err());
        // Continued lines, quoted values, and the congestion control by name.
        apply_init(
            &mut c,
            "../common/set_sysctls.py /proc/sys/net/ipv4/tcp_syn_retries=3 \\\n \
             /proc/sys/net/ipv4/tcp_congestion_control=reno",
        )
        .unwrap();
        assert_eq!(
            (c.host.tcp.syn_retries, c.host.tcp.congestion),
            (3, Algorithm::Reno)
        );
        apply_init(&mut c, "sysctl -q net.ipv4.tcp_rmem=\"4096 87380 6291456\"").unwrap();
        assert_eq!(c.host.tcp.rmem_max, 6291456);
        let e = apply_init(&mut c, "tc qdisc replace dev tun0 root pfifo limit 0").unwrap_err();
        assert!(e.contains("drops every packet"), "{e}");
        apply_init(&mut c, "tc qdisc add dev tun0 root pfifo").unwrap();
        apply_init(
            &mut c,
            "echo 2 > /sys/module/tcp_cubic/parameters/hystart_detect",
        )
        .unwrap();
        assert_eq!(c.host.tcp.hystart, 2);
        apply_option(&mut c, "tolerance_usecs", Some("10000")).unwrap();
        assert_eq!(c.tolerance_us, 10000);
    }

    /// Values Linux refuses are errors naming the knob and its range, not wrapped: 2^32 SYN
    /// retries became 0, port 70000 became 4464.
    #[test]
    fn out_of_range_values_are_refused() {
        let mut c = RunConfig::default();
        for (knob, value, range) in [
            ("tcp_syn_retries", "4294967296", "1 to 127"),
            ("tcp_syn_retries", "0", "1 to 127"),
            ("tcp_synack_retries", "4294967296", "0 to 2147483647"),
            ("tcp_retries2", "2147483648", "0 to 2147483647"),
            ("tcp_syn_linear_timeouts", "128", "0 to 127"),
            ("tcp_fastopen", "0x100000000", "0 to 2147483647"),
        ] {
            let e = apply_init(&mut c, &format!("sysctl -q net.ipv4.{knob}={value}")).unwrap_err();
            assert_eq!(
                e,
                format!("sysctl {knob}={value}: out of range (Linux takes {range})")
            );
        }
        apply_init(&mut c, "sysctl -q net.ipv4.tcp_syn_retries=127").unwrap();
        assert_eq!(c.host.tcp.syn_retries, 127);
        for (name, v) in [
            ("bind_port", "70000"),
            ("connect_port", "0"),
            ("bind_port", "80.5"),
        ] {
            assert_eq!(
                apply_option(&mut c, name, Some(v)).unwrap_err(),
                format!("--{name}={v}: not a port (1 to 65535)")
            );
        }
        apply_option(&mut c, "connect_port", Some("65535")).unwrap();
        assert_eq!(c.connect_port, 65535);
    }
}
