//! Real Linux on the simulated network (`[[tap]]`, `netlab run --realtime`): the kernel's own
//! stack talks to netlab's through a TAP device in a network namespace netlab creates.
//!
//! - the kernel pings a simulated host, and a simulated host pings the kernel (ARP both ways);
//! - a kernel TCP client (python3 in the namespace) sends 1 MiB to a netlab bulk sink, and a
//!   netlab bulk sender sends 1 MiB to a kernel server, both checked byte for byte, with the
//!   handshake and close; over a clean cable and over one losing 2 % of frames with 20 ms delay;
//! - the kernel's `traceroute` through two simulated routers;
//! - the kernel-side capture (tcpdump on the TAP) and netlab's own are clean in tshark, and the
//!   SYNs carry what each stack offers (MSS, SACK, timestamps, window scale).
//!
//! Each test makes its own namespace and TAP, bounded in time; a guard kills netlab and deletes
//! the namespace even when the test fails. These need root (CAP_NET_ADMIN and CAP_SYS_ADMIN),
//! `/dev/net/tun`, iproute2, python3, tcpdump, tshark, ping and traceroute: where one is missing
//! the tests say so loudly and FAIL when `CI` is set (CI runs as root and installs them, see
//! `.ci/run`), so they cannot pass by skipping there.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// True when this machine can run the TAP tests; otherwise says why, and panics under CI.
fn tap_available() -> bool {
    support::tap_available(
        "the TAP interop tests",
        &[
            ("python3", "--version"),
            ("tcpdump", "--version"),
            ("tshark", "--version"),
            ("ping", "-V"),
            ("traceroute", "--version"),
            ("curl", "--version"),
        ],
    )
}

/// A `netlab run --realtime` in the background, with its namespace. Dropping it kills netlab
/// (if it still runs) and deletes the namespace (if netlab could not).
struct Running {
    child: Option<Child>,
    ns: String,
    dir: PathBuf,
    stderr: mpsc::Receiver<String>,
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netlab-tap-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Running {
    /// Writes the scenario, starts netlab on it and waits until its TAP is up.
    fn start(name: &str, ns: &str, scenario: &str, extra: &[&str]) -> Running {
        Self::start_with(name, ns, scenario, extra, &[])
    }

    /// The same, with files next to the scenario (Python programs it runs).
    fn start_with(
        name: &str,
        ns: &str,
        scenario: &str,
        extra: &[&str],
        files: &[(&str, PathBuf)],
    ) -> Running {
        let dir = scratch(name);
        let file = dir.join("scenario.toml");
        std::fs::write(&file, scenario).unwrap();
        for (to, from) in files {
            std::fs::copy(from, dir.join(to)).unwrap();
        }
        // A namespace left by a killed earlier run would make netlab refuse (rightly).
        let _ = Command::new("ip").args(["netns", "del", ns]).output();
        let stdout = std::fs::File::create(dir.join("netlab.out")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_netlab"))
            .arg("run")
            .arg(&file)
            .arg("--realtime")
            .args(extra)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("netlab runs");
        let mut r = Running {
            child: Some(child),
            ns: ns.to_string(),
            dir,
            stderr: mpsc::channel().1,
        };
        let err = r.child.as_mut().unwrap().stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        r.stderr = rx;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            match r
                .stderr
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(l) if l.contains("is up; Ctrl-C ends the run") => return r,
                Ok(l) => seen.push(l),
                Err(_) => panic!("netlab's TAP did not come up; stderr: {}", seen.join("\n")),
            }
        }
    }

    /// A command inside the namespace, in the background.
    fn spawn_in_ns(&self, args: &[&str]) -> Child {
        Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(args)
            .current_dir(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ip netns exec runs")
    }

    /// Ends the run as Ctrl-C would (SIGTERM) and returns netlab's exit code and log.
    fn stop(self) -> (i32, String) {
        let pid = self.child.as_ref().unwrap().id();
        // SAFETY: kill(2) on the pid of our own child, not yet reaped.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
        self.wait_end()
    }

    /// Waits for the run to end by itself (its stop time); netlab's exit code and log.
    fn wait_end(mut self) -> (i32, String) {
        let mut child = self.child.take().unwrap();
        let code = wait_bounded(&mut child, Duration::from_secs(20))
            .map(|s| s.code().unwrap_or(-1))
            .unwrap_or(-1);
        let out = std::fs::read_to_string(self.dir.join("netlab.out")).unwrap_or_default();
        (code, out)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
    }
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let end = Instant::now() + limit;
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if Instant::now() > end {
            let _ = child.kill();
            return child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a background command, at most `limit`; its output.
fn finish(mut child: Child, limit: Duration) -> Output {
    let status = wait_bounded(&mut child, limit);
    let mut out = child.wait_with_output().expect("output");
    if let Some(s) = status {
        out.status = s;
    }
    out
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// netlab's verdicts must all hold.
fn assert_verdicts(code: i32, log: &str) {
    let verdicts = log
        .rfind("expectations:")
        .map_or("(no verdicts)", |i| &log[i..]);
    assert_eq!(code, 0, "netlab's expectations:\n{verdicts}");
    assert!(verdicts.contains(" 0 failed"), "{verdicts}");
}

#[test]
fn the_kernel_pings_a_simulated_host_and_a_simulated_host_pings_the_kernel() {
    if !tap_available() {
        return;
    }
    let scenario = r#"
[scenario]
description = "The kernel pings alice; bob pings the kernel: ARP in both directions."
[[host]]
name = "alice"
ip = "10.71.0.2/24"
[[host]]
name = "bob"
ip = "10.71.0.3/24"
[[switch]]
name = "sw1"
[[link]]
between = ["alice", "sw1"]
[[link]]
between = ["bob", "sw1"]
[[tap]]
name = "nlping"
attach = "sw1"
netns = "nltest-ping"
ip = "10.71.0.1/24"
[timeline]
steps = '''
2s bob ping 10.71.0.1 count=3 interval=100ms as=p1
'''
[expect]
checks = '''
end seen "icmp" by=alice == 3
end seen "arp" by=alice == 1
end seen "arp broadcast" by=nlping >= 1
end seen "arp broadcast" by=bob == 1
end seen "arp" by=nlping >= 2
end p1.received == 3
end nlping.from_kernel >= 6
'''
"#;
    let run = Running::start("ping", "nltest-ping", scenario, &[]);
    let ping = finish(
        run.spawn_in_ns(&["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.71.0.2"]),
        Duration::from_secs(10),
    );
    let out = text(&ping);
    assert!(out.contains("3 received"), "the kernel's ping: {out}");
    // bob's pings at 2 s, answered by the kernel.
    std::thread::sleep(Duration::from_millis(2600));
    let neigh = finish(
        run.spawn_in_ns(&["ip", "neigh", "show", "10.71.0.3"]),
        Duration::from_secs(5),
    );
    let (code, log) = run.stop();
    assert_verdicts(code, &log);
    // The kernel learnt bob's MAC from bob's ARP request (netlab's default MAC vendor part).
    assert!(
        text(&neigh).contains("02:4e:4c:"),
        "the kernel's neighbour table: {}",
        text(&neigh)
    );
    assert!(
        log.contains("ended by a signal"),
        "the run ends on SIGTERM: {log}"
    );
    // netlab deleted its namespace.
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&list.stdout).contains("nltest-ping"));
}

/// The bulk-transfer pattern netlab's bulk-send writes and bulk-sink checks
/// (`apps::sock::pattern_byte`), in Python, for the kernel's side.
const PATTERN_PY: &str = r#"
import socket, sys
P = 65521
ONE = bytes(((i * 2654435761) >> 13) & 0xFF for i in range(P))
DATA = (ONE * (1048576 // P + 1))[:1048576]
"#;

const CLIENT_PY: &str = r#"
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
s.sendall(DATA)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
print("client sent", len(DATA))
"#;

const SERVER_PY: &str = r#"
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", int(sys.argv[1])))
ls.listen(1)
ls.settimeout(60)
c, _ = ls.accept()
c.settimeout(60)
got = bytearray()
while True:
    b = c.recv(65536)
    if not b:
        break
    got += b
c.close()
bad = sum(1 for x, y in zip(got, DATA) if x != y)
print("server received", len(got), "mismatches", bad)
"#;

/// The distinct SYNs of a capture: `srcport|dstport|ack flag|mss|sack_perm|ts|wscale`, the
/// timestamp value left out (a retransmitted SYN differs only there).
fn syn_options(file: &Path) -> Vec<String> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args([
            "-Y",
            "tcp.flags.syn == 1",
            "-T",
            "fields",
            "-E",
            "separator=|",
        ])
        .args([
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tcp.flags.ack",
        ])
        .args(["-e", "tcp.options.mss_val", "-e", "tcp.options.sack_perm"])
        .args([
            "-e",
            "tcp.options.timestamp.tsval",
            "-e",
            "tcp.options.wscale.shift",
        ])
        .output()
        .expect("tshark runs");
    let rows: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split('|').collect();
            if f.len() > 5 && !f[5].is_empty() {
                f[5] = "ts";
            }
            f.join("|")
        })
        .collect();
    rows.into_iter().collect()
}

/// tshark finds no malformed frame, no expert error and no bad checksum in the capture.
fn assert_clean(file: &Path) {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"])
        .args(["-o", "udp.check_checksum:TRUE"])
        // Linux writes a TCP checksum that folds to 0 as 0xffff (CSUM_MANGLED_0 in
        // skb_checksum_help, for UDP's sake), which tshark flags after RFC 1624; the two are
        // the same number in one's complement and netlab's receiver accepts it, so the
        // kernel's 0xffff is let through, nothing else.
        .args(["-Y", "(_ws.malformed || _ws.expert.severity == error || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0) && !(ip.src == 10.72.0.1 && tcp.checksum == 0xffff)"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark: {}", text(&out));
    let bad = String::from_utf8_lossy(&out.stdout);
    assert!(
        bad.trim().is_empty(),
        "{}: tshark objects to:\n{bad}",
        file.display()
    );
    let count = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-Y", "tcp"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&count.stdout).lines().count() > 500,
        "{} holds the transfers",
        file.display()
    );
}

fn tcp_both_ways(name: &str, cable: &str, lossy: bool) {
    if !tap_available() {
        return;
    }
    let ns = format!("nltest-{name}");
    let ifname = format!("nl{name}");
    let scenario = format!(
        r#"
[scenario]
description = "A kernel client sends 1 MiB to a netlab sink; a netlab sender sends 1 MiB to a kernel server."
[[host]]
name = "srv"
ip = "10.72.0.2/24"
[[switch]]
name = "sw1"
[[link]]
between = ["srv", "sw1"]
[[tap]]
name = "{ifname}"
attach = "sw1"
netns = "{ns}"
ip = "10.72.0.1/24"
{cable}
[timeline]
steps = '''
0s srv bulk-sink port=5001 as=sink
2s srv bulk-send to=10.72.0.1:5002 bytes=1048576 as=tx
'''
[expect]
checks = '''
end sink.bytes_in == 1048576
end sink.corrupt_bytes == 0
end sink.connections == 1
end tx.bytes_out == 1048576
end tx.done == 1
end srv.tcp_time_wait == 1
end srv.tcp_established == 0
{more}'''
"#,
        more = if lossy {
            // The cable did lose frames, and netlab's TCP repaired its share.
            format!("end {ifname}--sw1.lost > 0\nend srv.tcp_retransmits > 0\n")
        } else {
            // No loss configured; the 100 Mbit/s cable's queue may still overflow under the
            // kernel's bursts (a real bottleneck), so retransmissions are not ruled out.
            String::new()
        }
    );
    let pcap = scratch(name).join("netlab.pcapng");
    let pcap_arg = pcap.to_string_lossy().to_string();
    let run = Running::start(name, &ns, &scenario, &["--quiet", "--pcap", &pcap_arg]);
    let kcap = run.dir.join("kernel.pcap");
    let mut dump = run.spawn_in_ns(&["tcpdump", "-n", "-U", "-i", &ifname, "-w", "kernel.pcap"]);
    // tcpdump says "listening on" once it captures.
    let mut err = BufReader::new(dump.stderr.take().unwrap());
    let mut line = String::new();
    let _ = err.read_line(&mut line);
    assert!(line.contains("listening on"), "tcpdump: {line}");
    let server = run.spawn_in_ns(&["python3", "-c", &format!("{PATTERN_PY}{SERVER_PY}"), "5002"]);
    let client = run.spawn_in_ns(&[
        "python3",
        "-c",
        &format!("{PATTERN_PY}{CLIENT_PY}"),
        "10.72.0.2",
        "5001",
    ]);
    let client = finish(client, Duration::from_secs(40));
    let server = finish(server, Duration::from_secs(40));
    // The last ACKs and FINs on the simulated cable.
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(dump.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = wait_bounded(&mut dump, Duration::from_secs(5));
    let dir = run.dir.clone();
    let (code, log) = run.stop();
    assert!(
        text(&client).contains("client sent 1048576"),
        "kernel client: {}",
        text(&client)
    );
    assert!(
        text(&server).contains("server received 1048576 mismatches 0"),
        "kernel server: {}",
        text(&server)
    );
    assert_verdicts(code, &log);
    // Both sides' captures: clean, and the SYNs carry what each stack offers. The kernel's
    // defaults here (net.ipv4.tcp_sack, tcp_timestamps, tcp_window_scaling = 1) and netlab's
    // `linux` profile both offer MSS 1460 (a 1500-byte MTU), SACK, timestamps and window
    // scaling, so every SYN and SYN-ACK has all four; a side that did not offer one would
    // make its peer leave it out of the SYN-ACK.
    assert_clean(&pcap);
    assert_clean(&kcap);
    let cfg = netlab::tcp::TcpConfig::default();
    assert!(cfg.sack && cfg.timestamps && cfg.window_scaling);
    for file in [&pcap, &kcap] {
        let syns = syn_options(file);
        assert_eq!(
            syns.len(),
            4,
            "{}: SYN, SYN-ACK twice: {syns:?}",
            dir.display()
        );
        for row in &syns {
            let f: Vec<&str> = row.split('|').collect();
            assert_eq!(f[3], "1460", "MSS in {row}");
            assert!(!f[4].is_empty(), "SACK permitted in {row}");
            assert!(!f[5].is_empty(), "timestamps in {row}");
            assert!(!f[6].is_empty(), "window scale in {row}");
        }
    }
    // The same SYNs seen from both sides of the TAP.
    assert_eq!(
        syn_options(&pcap),
        syn_options(&kcap),
        "netlab's and the kernel's capture of the SYNs"
    );
    if lossy {
        // The kernel's TCP repaired its losses too (tshark's analysis of its own capture).
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&kcap)
            .args(["-Y", "tcp.analysis.retransmission && ip.src == 10.72.0.1"])
            .output()
            .unwrap();
        let n = String::from_utf8_lossy(&out.stdout).lines().count();
        assert!(n > 0, "the kernel retransmitted nothing over a lossy cable");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tcp_both_ways_over_a_clean_cable() {
    tcp_both_ways("clean", "", false);
}

#[test]
fn tcp_both_ways_over_a_cable_losing_2_percent_with_20ms_delay() {
    tcp_both_ways("lossy", "delay = \"20ms\"\nloss = 0.02", true);
}

#[test]
fn the_kernel_traceroutes_through_two_simulated_routers() {
    if !tap_available() {
        return;
    }
    let scenario = r#"
[scenario]
description = "The kernel's traceroute through r1 and r2 to bob."
[[router]]
name = "r1"
interfaces = [{ ip = "10.73.1.254/24" }, { ip = "10.73.2.1/24" }]
routes = ["10.73.3.0/24 via 10.73.2.2"]
[[router]]
name = "r2"
interfaces = [{ ip = "10.73.2.2/24" }, { ip = "10.73.3.254/24" }]
routes = ["10.73.1.0/24 via 10.73.2.1"]
[[host]]
name = "bob"
ip = "10.73.3.10/24"
gateway = "10.73.3.254"
[[link]]
between = ["r1:eth1", "r2:eth0"]
[[link]]
between = ["r2:eth1", "bob"]
[[tap]]
name = "nltrace"
attach = "r1:eth0"
netns = "nltest-trace"
ip = "10.73.1.1/24"
routes = ["10.73.3.0/24 via 10.73.1.254"]
[expect]
checks = '''
end dropped reason=ttl-expired at=r1 >= 1
end dropped reason=ttl-expired at=r2 >= 1
end dropped reason=port-unreachable at=bob >= 1
'''
"#;
    let run = Running::start("trace", "nltest-trace", scenario, &["--quiet"]);
    let tr = finish(
        run.spawn_in_ns(&[
            "traceroute",
            "-n",
            "-q",
            "1",
            "-N",
            "1",
            "-w",
            "2",
            "10.73.3.10",
        ]),
        Duration::from_secs(20),
    );
    let (code, log) = run.stop();
    let out = text(&tr);
    let hops: Vec<&str> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(hops, ["10.73.1.254", "10.73.2.2", "10.73.3.10"], "{out}");
    assert_verdicts(code, &log);
}

/// `--tap` puts the kernel on a scenario that has no `[[tap]]`: the same run as a table.
#[test]
fn the_command_line_tap_puts_the_kernel_on_any_scenario() {
    if !tap_available() {
        return;
    }
    let scenario = r#"
[scenario]
description = "bob alone on a switch; the command line brings the kernel in."
[[host]]
name = "bob"
ip = "10.75.0.10/24"
[[switch]]
name = "sw1"
[[link]]
between = ["bob", "sw1"]
[expect]
checks = '''
end bob.icmp_rx == 3
'''
"#;
    let run = Running::start(
        "clitap",
        "nltest-cli",
        scenario,
        &[
            "--quiet",
            "--tap",
            "nlcli@sw1,netns=nltest-cli,ip=10.75.0.1/24",
        ],
    );
    let ping = finish(
        run.spawn_in_ns(&["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.75.0.10"]),
        Duration::from_secs(20),
    );
    let (code, log) = run.stop();
    let out = text(&ping);
    assert!(out.contains("3 received"), "{out}");
    assert_verdicts(code, &log);
}

#[test]
fn a_tap_scenario_is_refused_without_realtime_and_an_existing_interface_is_refused() {
    let dir = scratch("refuse");
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        "[scenario]\ndescription = \"d\"\n[[host]]\nname = \"a\"\nip = \"10.74.0.2/24\"\n[[tap]]\nname = \"lo\"\nattach = \"a\"\n[expect]\nchecks = '''\nend a.rx_frames == 0\n'''\n",
    )
    .unwrap();
    let f = file.to_string_lossy().to_string();
    let (code, _, err) = support::netlab(&["run", &f]);
    assert_eq!(code, 2);
    assert!(err.contains("add --realtime"), "{err}");
    let (code, out, _) = support::netlab(&["check", &f]);
    assert_eq!(code, 2);
    assert!(out.contains("--realtime"), "{out}");
    for cmd in ["view", "ladder", "step", "sweep"] {
        let (code, _, err) = support::netlab(&[cmd, &f]);
        assert_eq!(code, 2, "netlab {cmd}");
        assert!(
            err.contains("runs only in real time"),
            "netlab {cmd}: {err}"
        );
    }
    // `lo` exists in every namespace: netlab will not take it over (checked before any
    // privilege is needed, so this runs as any user).
    let (code, _, err) = support::netlab(&["run", &f, "--realtime"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's and the lesson's commands, as written there.
#[test]
fn the_lesson_answers_a_real_ping_and_a_real_curl() {
    if !tap_available() {
        return;
    }
    let lesson = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/lessons/real-linux.toml"),
    )
    .unwrap();
    // The same file, run from the scratch folder: its Python server next to it.
    let run = Running::start_with(
        "lesson",
        "netlab",
        &lesson,
        &["--until", "4s"],
        &[(
            "real_linux_web.py",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/lessons/real_linux_web.py"),
        )],
    );
    let ping = finish(
        run.spawn_in_ns(&["ping", "-c", "3", "-i", "0.2", "10.80.0.10"]),
        Duration::from_secs(10),
    );
    assert!(text(&ping).contains("3 received"), "{}", text(&ping));
    let curl = finish(
        run.spawn_in_ns(&["curl", "-s", "-m", "5", "http://10.80.0.10:8080/"]),
        Duration::from_secs(10),
    );
    assert_eq!(
        String::from_utf8_lossy(&curl.stdout),
        "hello from a simulated host\n",
        "{}",
        text(&curl)
    );
    // The run's own checks (web pings the kernel at 2.5 s) need it to reach its end.
    let (code, log) = run.wait_end();
    assert_verdicts(code, &log);
    assert!(
        log.contains("print: request from ('10.80.0.1'"),
        "the server saw curl's request: {log}"
    );
}
