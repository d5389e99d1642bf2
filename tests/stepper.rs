//! The stepper (`netlab step`): scripted sessions with their expected transcripts, stepping
//! back, breakpoints, and commands that must never panic.

mod common;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::step::Stepper;
use netlab::views::text::TextView;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn load(path: &str) -> Scenario {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    Scenario::load(file.to_str().unwrap()).expect("scenario loads")
}

/// Runs a session and returns its transcript (each command echoed after a prompt).
fn session(stepper: &mut Stepper, commands: &str) -> String {
    let mut out = Vec::new();
    stepper
        .run_session(commands.as_bytes(), &mut out, true, false)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// The current event's records as log lines.
fn current_log(stepper: &Stepper, actions: &[String]) -> Vec<String> {
    let view = TextView::new(stepper.world(), actions);
    stepper
        .current_records()
        .iter()
        .map(|r| view.line(r))
        .collect()
}

const PING_COMMANDS: &str = r##"where
next
layers
break filter "icmp to=bob"
break node bob
breaks
delete 2
continue
layers
fields
show arp alice
show mac lan1
back
where
until 1.00006s
frobnicate
quit
next
"##;

const PING_TRANSCRIPT: &str = r##"netlab step: ping-across-router (seed 1): 5 nodes, 4 links, 1 timeline action
type `help` for the commands
(netlab) where
at the start, t=0.000000000: no event has run yet; the first is at 1.000000000
(netlab) next
-- event 1 at 1.000000000: timeline action: alice ping bob count=2 as=p1
   1.000000000  alice      scenario action: alice ping bob count=2 as=p1
   1.000000000  alice      app      p1: PING 10.0.2.10 56(84) bytes of data.
   1.000000000  alice      icmp     send ICMP echo request id 1 seq 1 to 10.0.2.10
   1.000000000  alice      ip       send ICMP to 10.0.2.10, 84 bytes, out eth0 via 10.0.1.254 (route 0.0.0.0/0)
   1.000000000  alice      phy      tx #1 eth0 → alice--lan1, arrives 1.000010760: 02:4e:4c:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), 64 bytes: ARP who-has 10.0.1.254 tell 10.0.1.10
   1.000000000  alice      arp      eth0: new neighbour 10.0.1.254 (INCOMPLETE: resolving)
   1.000000000  alice      arp      eth0: who-has 10.0.1.254? broadcast request 1
(netlab) layers
layers at alice (host), event 1 at 1.000000000
out (top-down):
  app     · action: alice ping bob count=2 as=p1
  app     · p1: PING 10.0.2.10 56(84) bytes of data.
  icmp    · send ICMP echo request id 1 seq 1 to 10.0.2.10
  ip      · send ICMP to 10.0.2.10, 84 bytes, out eth0 via 10.0.1.254 (route 0.0.0.0/0)
  arp     · eth0: new neighbour 10.0.1.254 (INCOMPLETE: resolving)
  arp     · eth0: who-has 10.0.1.254? broadcast request 1
  frame #1 → alice--lan1:
    arp     ARP who-has 10.0.1.254 tell 10.0.1.10
    eth     02:4e:4c:00:00:01 > ff:ff:ff:ff:ff:ff, type 0x0806 (ARP), 64 bytes, FCS correct
    phy     tx on eth0, 64 bytes, last bit arrives 1.000010760
(netlab) break filter "icmp to=bob"
breakpoint 1: filter "icmp to=bob"
(netlab) break node bob
breakpoint 2: node bob
(netlab) breaks
  1  filter "icmp to=bob"
  2  node bob
(netlab) delete 2
deleted breakpoint 2
(netlab) continue
ran 4 events
-- event 5 at 1.000043040: frame #4 arrives at alice on eth0 from alice--lan1
   1.000043040  alice      phy      rx #4 eth0 ← alice--lan1
   1.000043040  alice      phy      tx #5 eth0 → alice--lan1, arrives 1.000056840: 02:4e:4c:00:00:01 > 02:4e:4c:00:00:03, ethertype IPv4 (0x0800), 102 bytes: IP 10.0.1.10 > 10.0.2.10: ICMP echo request, id 1, seq 1, length 64
   1.000043040  alice      arp      eth0: 10.0.1.254 is-at 02:4e:4c:00:00:03: resolved, 1 waiting packet(s) sent
breakpoint 1 (filter "icmp to=bob") hit
(netlab) layers
layers at alice (host), event 5 at 1.000043040
in (bottom-up): frame #4 on eth0
  phy     64 bytes arrived
  eth     02:4e:4c:00:00:03 > 02:4e:4c:00:00:01, type 0x0806 (ARP), 64 bytes, FCS correct
          · destination 02:4e:4c:00:00:01 is this interface's address: accepted
  arp     ARP 10.0.1.254 is-at 02:4e:4c:00:00:03
          · eth0: 10.0.1.254 is-at 02:4e:4c:00:00:03: resolved, 1 waiting packet(s) sent
out (top-down):
  frame #5 → alice--lan1:
    icmp    echo request id 1 seq 1, 56 data bytes
    ip      10.0.1.10 > 10.0.2.10, TTL 64, protocol 1 (ICMP), id 1, 84 bytes, DF, header checksum correct
    eth     02:4e:4c:00:00:01 > 02:4e:4c:00:00:03, type 0x0800 (IPv4), 102 bytes, FCS correct
    phy     tx on eth0, 102 bytes, last bit arrives 1.000056840
(netlab) fields
frame #4, 64 bytes as alice received them on eth0:
Ethernet II
    Destination  02:4e:4c:00:00:01
    Source       02:4e:4c:00:00:03
    Type         0x0806 (ARP)
    Padding      18 bytes
    FCS          0x1982b27d (correct)
Address Resolution Protocol
    Hardware type  1 (Ethernet)
    Protocol type  0x0800 (IPv4)
    Hardware size  6
    Protocol size  4
    Opcode         2 (reply)
    Sender MAC     02:4e:4c:00:00:03
    Sender IP      10.0.1.254
    Target MAC     02:4e:4c:00:00:01
    Target IP      10.0.1.10
(netlab) show arp alice
at t=1.000043040
alice (interface eth0):
Address          HWaddress          State       Expires   Queued
10.0.1.254       02:4e:4c:00:00:03  REACHABLE   30s       0
(netlab) show mac lan1
at t=1.000043040
lan1:
Port   MAC address        Age
1      02:4e:4c:00:00:01  32.28us
2      02:4e:4c:00:00:03  10.76us
(netlab) back
back one event (re-ran the scenario from t=0):
-- event 4 at 1.000032280: frame #3 arrives at lan1 on port 2 from r1--lan1
   1.000032280  lan1       phy      rx #3 port 2 ← r1--lan1
   1.000032280  lan1       switch   learned 02:4e:4c:00:00:03 on port 2
   1.000032280  lan1       switch   #3 from port 2: forward to port 1 (known address)
   1.000032280  lan1       phy      tx #4 port 1 → alice--lan1, arrives 1.000043040: 02:4e:4c:00:00:03 > 02:4e:4c:00:00:01, ethertype ARP (0x0806), 64 bytes: ARP 10.0.1.254 is-at 02:4e:4c:00:00:03
(netlab) where
t=1.000032280, event 4 (4 events run so far)
-- event 4 at 1.000032280: frame #3 arrives at lan1 on port 2 from r1--lan1
   1.000032280  lan1       phy      rx #3 port 2 ← r1--lan1
   1.000032280  lan1       switch   learned 02:4e:4c:00:00:03 on port 2
   1.000032280  lan1       switch   #3 from port 2: forward to port 1 (known address)
   1.000032280  lan1       phy      tx #4 port 1 → alice--lan1, arrives 1.000043040: 02:4e:4c:00:00:03 > 02:4e:4c:00:00:01, ethertype ARP (0x0806), 64 bytes: ARP 10.0.1.254 is-at 02:4e:4c:00:00:03
(netlab) until 1.00006s
ran 1 event
-- event 5 at 1.000043040: frame #4 arrives at alice on eth0 from alice--lan1
   1.000043040  alice      phy      rx #4 eth0 ← alice--lan1
   1.000043040  alice      phy      tx #5 eth0 → alice--lan1, arrives 1.000056840: 02:4e:4c:00:00:01 > 02:4e:4c:00:00:03, ethertype IPv4 (0x0800), 102 bytes: IP 10.0.1.10 > 10.0.2.10: ICMP echo request, id 1, seq 1, length 64
   1.000043040  alice      arp      eth0: 10.0.1.254 is-at 02:4e:4c:00:00:03: resolved, 1 waiting packet(s) sent
breakpoint 1 (filter "icmp to=bob") hit
(netlab) frobnicate
unknown command `frobnicate`: type `help` for the list
(netlab) quit
"##;

/// A learner's session on the routed ping: the layers of a send and of an arrival, a frame
/// field by field, breakpoints, tables, stepping back, an unknown command.
#[test]
fn a_ping_across_a_router_step_by_step() {
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    let t = session(&mut st, PING_COMMANDS);
    if t != PING_TRANSCRIPT {
        for (i, (a, b)) in t.lines().zip(PING_TRANSCRIPT.lines()).enumerate() {
            assert_eq!(a, b, "line {} differs", i + 1);
        }
        assert_eq!(t, PING_TRANSCRIPT);
    }
}

const TCP_COMMANDS: &str = "next state
next state
layers
fields
break state TIME_WAIT
continue
show sockets alice
show sockets bob
quit
";

const TCP_TRANSCRIPT: &str = r##"netlab step: tcp-pair (seed 1): 2 nodes, 1 links, 2 timeline actions
type `help` for the commands
(netlab) next state
ran 2 events
-- event 2 at 0.001000000: timeline action: alice send-frame to=bob text="start"
   0.001000000  alice      scenario action: alice send-frame to=bob text="start"
   0.001000000  alice      phy      tx #1 eth0 → alice--bob, arrives 0.002057600: 02:4e:4c:00:00:01 > 02:4e:4c:00:00:02, ethertype experimental (0x88b5), 64 bytes: "start"
   0.001000000  alice      tcp      10.0.0.1:39690 > 10.0.0.2:80: CLOSED -> SYN_SENT (UserConnect)
   0.001000000  alice      tcp      10.0.0.1:39690 > 10.0.0.2:80: timer Retransmit armed for 1.001000000
   0.001000000  alice      ip       send TCP to 10.0.0.2, 60 bytes, out eth0 (route 10.0.0.0/24)
   0.001000000  alice      phy      tx #2 eth0 → alice--bob (queued behind 1, starts 0.001067200), arrives 0.002124800: 02:4e:4c:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), 64 bytes: ARP who-has 10.0.0.2 tell 10.0.0.1
   0.001000000  alice      arp      eth0: new neighbour 10.0.0.2 (INCOMPLETE: resolving)
   0.001000000  alice      arp      eth0: who-has 10.0.0.2? broadcast request 1
(netlab) next state
ran 4 events
-- event 6 at 0.004251200: frame #4 arrives at bob on eth0 from alice--bob
   0.004251200  bob        phy      rx #4 eth0 ← alice--bob
   0.004251200  bob        ip       deliver TCP 10.0.0.1 > 10.0.0.2, 40 bytes
   0.004251200  bob        tcp      10.0.0.2:80 > 10.0.0.1:39690: LISTEN -> SYN_RECEIVED (RcvSyn)
   0.004251200  bob        tcp      10.0.0.2:80 > 10.0.0.1:39690: timer Retransmit armed for 1.004251200
   0.004251200  bob        tcp      10.0.0.2:80 > 10.0.0.1:39690: half-open connection from 10.0.0.1:39690
   0.004251200  bob        ip       send TCP to 10.0.0.1, 60 bytes, out eth0 (route 10.0.0.0/24)
   0.004251200  bob        phy      tx #5 eth0 → alice--bob, arrives 0.005320000: 02:4e:4c:00:00:02 > 02:4e:4c:00:00:01, ethertype IPv4 (0x0800), 78 bytes: IP 10.0.0.2 > 10.0.0.1: TCP 80 > 39690: Flags [S.], seq 3050923829, ack 1857895426, win 65160, options [mss 1460,sackOK,TS val 2410948684 ecr 4033895731,nop,wscale 10], length 0
   0.004251200  bob        arp      eth0: 10.0.0.1: STALE → DELAY
(netlab) layers
layers at bob (host), event 6 at 0.004251200
in (bottom-up): frame #4 on eth0
  phy     78 bytes arrived
  eth     02:4e:4c:00:00:01 > 02:4e:4c:00:00:02, type 0x0800 (IPv4), 78 bytes, FCS correct
          · destination 02:4e:4c:00:00:02 is this interface's address: accepted
  ip      10.0.0.1 > 10.0.0.2, TTL 64, protocol 6 (TCP), id 51826, 60 bytes, DF, header checksum correct
          · deliver TCP 10.0.0.1 > 10.0.0.2, 40 bytes
  tcp     port 39690 > 80 [S] seq 1857895425 win 64240 len 0 options [mss 1460,sackOK,TS val 4033895731 ecr 0,nop,wscale 10]
          · 10.0.0.2:80 > 10.0.0.1:39690: LISTEN -> SYN_RECEIVED (RcvSyn)
          · 10.0.0.2:80 > 10.0.0.1:39690: timer Retransmit armed for 1.004251200
          · 10.0.0.2:80 > 10.0.0.1:39690: half-open connection from 10.0.0.1:39690
out (top-down):
  ip      · send TCP to 10.0.0.1, 60 bytes, out eth0 (route 10.0.0.0/24)
  arp     · eth0: 10.0.0.1: STALE → DELAY
  frame #5 → alice--bob:
    tcp     port 80 > 39690 [S.] seq 3050923829 ack 1857895426 win 65160 len 0 options [mss 1460,sackOK,TS val 2410948684 ecr 4033895731,nop,wscale 10]
    ip      10.0.0.2 > 10.0.0.1, TTL 64, protocol 6 (TCP), id 0, 60 bytes, DF, header checksum correct
    eth     02:4e:4c:00:00:02 > 02:4e:4c:00:00:01, type 0x0800 (IPv4), 78 bytes, FCS correct
    phy     tx on eth0, 78 bytes, last bit arrives 0.005320000
(netlab) fields
frame #4, 78 bytes as bob received them on eth0:
Ethernet II
    Destination  02:4e:4c:00:00:02
    Source       02:4e:4c:00:00:01
    Type         0x0800 (IPv4)
    FCS          0x2c490558 (correct)
Internet Protocol Version 4
    Version          4
    Header length    20 bytes (5)
    Type of service  0x00 (DSCP 0, ECN 0)
    Total length     60
    Identification   0xca72 (51826)
    Flags            0x2 (Don't fragment)
    Fragment offset  0 (0 bytes)
    Time to live     64
    Protocol         6 (TCP)
    Header checksum  0x5c47 (correct)
    Source           10.0.0.1
    Destination      10.0.0.2
Transmission Control Protocol
    Source port            39690
    Destination port       80
    Sequence number        1857895425
    Acknowledgment number  0 (not used: ACK not set)
    Header length          40 bytes (10)
    Flags                  0x002 (SYN) [S]
    Window                 64240
    Checksum               0xa54c (correct)
    Urgent pointer         0
    Options                20 bytes: mss 1460,sackOK,TS val 4033895731 ecr 0,nop,wscale 10
    Payload                0 bytes: (none)
    Segment length         1 (sequence space: payload + SYN + FIN; next sequence number 1857895426)
(netlab) break state TIME_WAIT
breakpoint 1: state TIME_WAIT
(netlab) continue
ran 34 events
-- event 40 at 0.024524800: frame #36 arrives at alice on eth0 from alice--bob
   0.024524800  alice      phy      rx #36 eth0 ← alice--bob
   0.024524800  alice      ip       deliver TCP 10.0.0.2 > 10.0.0.1, 32 bytes
   0.024524800  alice      tcp      10.0.0.1:39690 > 10.0.0.2:80: FIN_WAIT_2 -> TIME_WAIT (RcvFin)
   0.024524800  alice      tcp      10.0.0.1:39690 > 10.0.0.2:80: timer TimeWait armed for 60.024524800
   0.024524800  alice      ip       send TCP to 10.0.0.2, 52 bytes, out eth0 (route 10.0.0.0/24)
   0.024524800  alice      phy      tx #37 eth0 → alice--bob, arrives 0.025587200: 02:4e:4c:00:00:01 > 02:4e:4c:00:00:02, ethertype IPv4 (0x0800), 70 bytes: IP 10.0.0.1 > 10.0.0.2: TCP 39690 > 80: Flags [.], seq 1857915427, ack 3050923831, win 63, options [nop,nop,TS val 4033895754 ecr 2410948703], length 0
breakpoint 1 (state TIME_WAIT) hit
(netlab) show sockets alice
at t=0.024524800
alice:
TCP profile linux: sack on, timestamps on, window scaling on, syn_linear_timeouts 4
Proto Recv-Q Send-Q Local Address         Foreign Address       State
tcp        0      0 10.0.0.1:39690        10.0.0.2:80           TIME_WAIT
(netlab) show sockets bob
at t=0.024524800
bob:
TCP profile linux: sack on, timestamps on, window scaling on, syn_linear_timeouts 4
Proto Recv-Q Send-Q Local Address         Foreign Address       State
tcp        0      0 0.0.0.0:80            0.0.0.0:*             LISTEN
tcp        0      0 10.0.0.2:80           10.0.0.1:39690        LAST_ACK
(netlab) quit
"##;

/// An engineer's session on a TCP connection: from state change to state change, the SYN
/// through bob's layers and field by field, a breakpoint on TIME_WAIT, the sockets tables.
#[test]
fn a_tcp_handshake_state_by_state() {
    let mut st = common::tcp_stepper();
    let t = session(&mut st, TCP_COMMANDS);
    if std::env::var_os("NETLAB_BLESS").is_some() {
        // Regenerating the expected transcript after a deliberate change: review the diff.
        std::fs::write("/tmp/netlab-tcp-transcript.txt", &t).unwrap();
    }
    if t != TCP_TRANSCRIPT {
        for (i, (a, b)) in t.lines().zip(TCP_TRANSCRIPT.lines()).enumerate() {
            assert_eq!(a, b, "line {} differs", i + 1);
        }
        assert_eq!(t, TCP_TRANSCRIPT);
    }
}

/// Stepping is running: a stepped run to the end makes the trace `netlab run` makes.
#[test]
fn stepping_to_the_end_gives_the_runs_trace() {
    for path in [
        "scenarios/ping-across-router.toml",
        "scenarios/switch-learning.toml",
        "scenarios/noisy-link-fcs.toml",
        "scenarios/mtu-fragmentation.toml",
    ] {
        let scn = load(path);
        let actions = scn.action_texts();
        let outcome = scenario::run(&scn, &RunOptions::default());
        let view = TextView::new(&outcome.world, &actions);
        let expected: Vec<String> = outcome
            .world
            .trace()
            .records()
            .iter()
            .map(|r| view.line(r))
            .collect();
        // The stepper keeps only the current event's records: gather them event by event.
        let mut st = Stepper::new(scn, None);
        let mut got = Vec::new();
        for _ in 0..=expected.len() {
            let reply = st.execute("next");
            if reply.text.contains("the run is over") {
                break;
            }
            got.extend(current_log(&st, &actions));
        }
        assert_eq!(got, expected, "{path}");
    }
}

/// `back` re-runs from the start to the event before: the world is the one that was there.
#[test]
fn back_returns_to_exactly_the_previous_event() {
    let mut st = common::tcp_stepper();
    let actions = vec![String::new(); 2];
    st.execute("next 12");
    let where_12 = st.execute("where").text;
    let log_12 = current_log(&st, &actions);
    let sockets_12 = st.execute("show sockets alice").text;
    st.execute("next");
    assert_ne!(st.execute("where").text, where_12);
    let reply = st.execute("back");
    assert!(reply.text.starts_with("back one event"), "{}", reply.text);
    assert_eq!(st.execute("where").text, where_12);
    assert_eq!(current_log(&st, &actions), log_12);
    assert_eq!(st.execute("show sockets alice").text, sockets_12);
    // Back past the first event: the start.
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    st.execute("next");
    assert!(st.execute("back").text.starts_with("back at the start"));
    assert!(st.execute("where").text.starts_with("at the start"));
    assert_eq!(st.event_index(), 0);
    assert!(st.execute("back").text.starts_with("already at the start"));
}

#[test]
fn breakpoints_stop_where_they_say() {
    let mut st = common::tcp_stepper();
    assert_eq!(
        st.execute("break layer tcp").text,
        "breakpoint 1: layer tcp\n"
    );
    st.execute("continue");
    assert!(st
        .current_records()
        .iter()
        .any(|r| r.event.layer() == netlab::trace::Layer::Tcp));
    st.execute("delete 1");
    st.execute("break filter \"tcp fin from=bob\"");
    let t = st.execute("continue").text;
    assert!(
        t.contains("breakpoint 2 (filter \"tcp fin from=bob\") hit"),
        "{t}"
    );
    assert!(t.contains("Flags [F.]"), "{t}");
    st.execute("delete");
    st.execute("break time 30s");
    let t = st.execute("continue").text;
    assert!(t.contains("breakpoint 3 (time 30.000000000) hit"), "{t}");
    assert!(st.execute("where").text.starts_with("t=30.0"));
    let t = st.execute("next state").text;
    assert!(t.contains("TIME_WAIT -> CLOSED (TimeWaitExpired)"), "{t}");
    let t = st.execute("until 100s").text;
    assert!(t.contains("the run is over: nothing left to do"), "{t}");
    // At the end, running says so again.
    for cmd in ["next", "next state", "continue", "until 200s"] {
        let t = st.execute(cmd).text;
        assert!(t.contains("the run is over"), "{cmd}: {t}");
    }
}

#[test]
fn a_scenario_stop_time_ends_the_stepped_run() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ping-across-router.toml"),
    )
    .unwrap()
    .replacen("[scenario]\n", "[scenario]\nstop = \"2.5s\"\n", 1);
    let scn = Scenario::parse("stop.toml", &text).unwrap();
    assert!(scn.stop.is_some());
    let mut st = Stepper::new(scn, None);
    let t = st.execute("continue").text;
    assert!(
        t.contains("the run is over: the scenario stops at t=2.500000000"),
        "{t}"
    );
}

/// Whatever is typed, the stepper answers and never panics.
#[test]
fn mistakes_get_answers_not_panics() {
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    let at_start = [
        ("layers", "no event has run yet"),
        ("fields", "the current event has no frame"),
        ("fields #99", "no frame #99 has been sent yet"),
        ("fields x", "is not a frame number"),
        ("next 0", "is not a number of events"),
        ("next soon", "is not a number of events"),
        ("until", "usage: until TIME"),
        ("until yesterday", "error:"),
        ("break", "usage: break"),
        ("break layer nope", "unknown layer `nope`"),
        ("break node", "usage: break"),
        ("break filter", "usage: break"),
        ("break filter \"port=abc\"", "error: filter \"port=abc\""),
        ("break filter \"tcp", "a quote is not closed"),
        ("break time soon", "error:"),
        ("break state LISTENING", "unknown TCP state"),
        ("delete 7", "no breakpoint 7"),
        ("delete x", "is not a breakpoint number"),
        ("show", "usage: show"),
        ("show arp", "usage: show"),
        ("show bogus alice", "unknown table `bogus`"),
        ("show arp nobody", "no node called `nobody`"),
        ("show mac alice", "is not a switch"),
        ("show sockets lan1", "it has no IP stack"),
        ("continue now", "usage: continue"),
        ("back twice", "usage: back"),
        ("launch", "unknown command `launch`"),
    ];
    for (cmd, want) in at_start {
        let r = st.execute(cmd);
        assert!(!r.quit);
        assert!(r.text.contains(want), "`{cmd}` answered {:?}", r.text);
    }
    assert_eq!(st.execute("").text, "");
    assert_eq!(st.execute("# a comment").text, "");
    assert!(st.execute("help").text.contains("break state STATE"));
    st.execute("next 3");
    assert!(st.execute("until 0.5s").text.contains("is in the past"));
    assert!(st.execute("quit").quit);
}

fn netlab_with_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("netlab runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_reads_commands_from_stdin_or_a_file() {
    let scenario = "scenarios/ping-across-router.toml";
    let (code, out, err) = netlab_with_stdin(&["step", scenario], PING_COMMANDS);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, PING_TRANSCRIPT);
    // The end of the input ends the session cleanly, without `quit`.
    let (code, out, _) = netlab_with_stdin(&["step", scenario], "next\nwhere");
    assert_eq!(code, 0);
    assert!(out.ends_with("(netlab) where\nt=1.000000000, event 1 (1 events run so far)\n-- event 1 at 1.000000000: timeline action: alice ping bob count=2 as=p1\n   1.000000000  alice      scenario action: alice ping bob count=2 as=p1\n   1.000000000  alice      app      p1: PING 10.0.2.10 56(84) bytes of data.\n   1.000000000  alice      icmp     send ICMP echo request id 1 seq 1 to 10.0.2.10\n   1.000000000  alice      ip       send ICMP to 10.0.2.10, 84 bytes, out eth0 via 10.0.1.254 (route 0.0.0.0/0)\n   1.000000000  alice      phy      tx #1 eth0 → alice--lan1, arrives 1.000010760: 02:4e:4c:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), 64 bytes: ARP who-has 10.0.1.254 tell 10.0.1.10\n   1.000000000  alice      arp      eth0: new neighbour 10.0.1.254 (INCOMPLETE: resolving)\n   1.000000000  alice      arp      eth0: who-has 10.0.1.254? broadcast request 1\n"), "{out}");
    let dir = std::env::temp_dir().join(format!("netlab-step-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("session.txt");
    std::fs::write(&file, PING_COMMANDS).unwrap();
    let (code, out, _) = netlab_with_stdin(
        &["step", scenario, "--commands", file.to_str().unwrap()],
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(out, PING_TRANSCRIPT);
    let (code, _, err) = netlab_with_stdin(&["step", scenario, "--commands", "/nonexistent/x"], "");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/x"), "{err}");
}

/// The lessons' TCP program: a breakpoint on TIME_WAIT, the sockets then, one state further.
#[test]
fn the_simplest_server_to_time_wait() {
    let mut st = Stepper::new(load("scenarios/lessons/simplest-server.toml"), None);
    st.execute("break state TIME_WAIT");
    let t = st.execute("continue").text;
    assert!(t.contains("breakpoint 1 (state TIME_WAIT) hit"), "{t}");
    assert!(t.contains("CLOSING -> TIME_WAIT (RcvAckOfFin)"), "{t}");
    let server = st.execute("show sockets server").text;
    assert!(
        server.lines().any(|l| l.starts_with("tcp ")
            && l.contains(" 10.0.0.2:8081 ")
            && l.contains(" 10.0.0.1:47553 ")
            && l.ends_with(" TIME_WAIT")),
        "{server}"
    );
    let layers = st.execute("layers").text;
    assert!(
        layers.contains("\n  tcp     port 47553 > 8081 [.]"),
        "{layers}"
    );
    let fields = st.execute("fields").text;
    assert!(
        fields.contains("Flags                  0x010 (ACK) [.]"),
        "{fields}"
    );
    let t = st.execute("continue").text;
    assert!(t.contains("breakpoint 1 (state TIME_WAIT) hit"), "{t}");
    assert!(st.execute("show sockets client").text.contains("TIME_WAIT"));
}

// ---- the stepper as a terminal program (issue #13, item 20) ----

#[test]
fn the_prompt_says_where_the_run_is() {
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    assert_eq!(st.prompt(), "(netlab 0.000000 #0) ");
    st.execute("next");
    assert_eq!(st.prompt(), "(netlab 1.000000 #1) ");
    st.execute("next");
    assert_eq!(st.prompt(), "(netlab 1.000010760 #2) ");
    // An interactive session (prompt on) shows it, and says goodbye at the end of input.
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    let mut out = Vec::new();
    st.run_session("next\n".as_bytes(), &mut out, false, true)
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("(netlab 0.000000 #0) "), "{out}");
    assert!(out.contains("(netlab 1.000000 #1) "), "{out}");
    assert!(out.ends_with(Stepper::GOODBYE), "{out}");
}

#[test]
fn breakpoints_are_not_added_twice_and_states_take_netstat_names() {
    let mut st = Stepper::new(load("scenarios/lessons/syn-flood.toml"), None);
    assert_eq!(
        st.execute("break state SYN_RCVD").text,
        "breakpoint 1: state SYN_RECEIVED\n"
    );
    for same in ["SYN-RECV", "syn_recv", "SYN_RECEIVED"] {
        assert_eq!(
            st.execute(&format!("break state {same}")).text,
            "breakpoint 1 already stops at state SYN_RECEIVED: nothing added\n"
        );
    }
    assert_eq!(
        st.execute("break node server").text,
        "breakpoint 2: node server\n"
    );
    assert!(st
        .execute("break node server")
        .text
        .contains("already stops at node server"));
    assert_eq!(st.execute("breaks").text.lines().count(), 2);
    assert!(st
        .execute("break state ESTAB")
        .text
        .starts_with("breakpoint 3:"));
    assert!(st
        .execute("break state SYN")
        .text
        .contains("unknown TCP state `SYN`"));
    // SYN_RCVD stops where a connection enters SYN_RECEIVED.
    st.execute("delete 2");
    st.execute("delete 3");
    let t = st.execute("continue").text;
    assert!(t.contains("breakpoint 1 (state SYN_RECEIVED) hit"), "{t}");
    assert!(t.contains("-> SYN_RECEIVED"), "{t}");
}

#[test]
fn tab_completes_commands_arguments_and_names() {
    let st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    assert_eq!(st.complete("br"), ["break", "breaks"]);
    assert_eq!(st.complete("break no"), ["node"]);
    assert_eq!(st.complete("break node a"), ["alice"]);
    assert_eq!(st.complete("show arp r"), ["r1"]);
    assert_eq!(st.complete("break state TIME"), ["TIME_WAIT"]);
    assert!(st.complete("frobnicate ").is_empty());
    assert_eq!(st.complete("do b"), ["bob"]);
    assert_eq!(st.complete("link alice--lan1 "), ["down", "up"]);
    assert_eq!(st.complete("").len(), 16);
}

/// At a real terminal (a pseudo-terminal driven by python3): the Up arrow recalls the last
/// command instead of sending `^[[A`, Tab completes, the prompt has the time and event, a
/// repeated breakpoint is refused, and Ctrl-D says goodbye.
#[test]
fn at_a_terminal_the_stepper_edits_lines() {
    let py = Command::new("python3").arg("--version").output();
    if !py.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required under CI"
        );
        eprintln!("WARNING: python3 missing: the terminal session was NOT tested");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/fixtures/step_tty.py"))
        .arg(env!("CARGO_BIN_EXE_netlab"))
        .arg(root.join("scenarios/ping-across-router.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains("^[[A") && !text.contains("unknown command"),
        "{text}"
    );
    // `next`, then the arrow's `next` again: events 1 and 2.
    assert!(text.contains("-- event 1 at"), "{text}");
    assert!(text.contains("-- event 2 at"), "{text}");
    assert!(text.contains("(netlab 1.000010760 #2) "), "{text}");
    assert!(text.contains("breakpoint 1: node alice"), "{text}");
    assert!(
        text.contains("breakpoint 1 already stops at node alice"),
        "{text}"
    );
    assert!(text.contains("breakpoint 2: state SYN_RECEIVED"), "{text}");
    assert!(text.contains("goodbye"), "{text}");
}

/// `do`, `link` and `expect` act on the paused world; `back` replays what was done before the
/// event it goes back to and undoes what came after.
#[test]
fn acting_on_the_paused_world_is_replayed_by_back() {
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    st.execute("next");
    assert_eq!(
        st.execute("expect p1.received == 0").text,
        "holds: p1.received == 0 (received is 0)\n"
    );
    let t = st.execute("do alice ping bob count=1 as=extra").text;
    assert!(t.starts_with("will do at t=1.000000000"), "{t}");
    let t = st.execute("next").text;
    assert!(
        t.contains("timeline action: alice ping bob count=1 as=extra"),
        "{t}"
    );
    // A mistake is an answer, located in the words typed, not in a rewritten file.
    let t = st.execute("do frob ping bob").text;
    assert!(t.starts_with("error: no node called `frob`"), "{t}");
    assert!(st
        .execute("expect frob arp has bob")
        .text
        .starts_with("error:"));
    // Run on: alice's two pings (the file's and ours) are answered.
    st.execute("until 3s");
    assert!(st
        .execute("expect alice.icmp_rx == 3")
        .text
        .starts_with("holds"));
    assert!(st
        .execute("expect seen \"icmp\" by=r1 == 6")
        .text
        .starts_with("holds"));
    // back replays our ping where we gave it: the same world.
    let before = st.execute("show counters alice").text;
    st.execute("back");
    st.execute("next");
    assert_eq!(st.execute("show counters alice").text, before);
    // Taking the cable down: nothing more reaches bob.
    let mut st = Stepper::new(load("scenarios/ping-across-router.toml"), None);
    st.execute("next");
    st.execute("link alice--lan1 down");
    st.execute("continue");
    assert!(st
        .execute("expect p1.received == 0")
        .text
        .starts_with("holds"));
    assert!(st
        .execute("expect seen \"icmp\" by=bob == 0")
        .text
        .starts_with("holds"));
    // Going back before it undoes it.
    st.execute("back");
    let mut t = String::new();
    while !t.contains("back at the start") {
        t = st.execute("back").text;
    }
    st.execute("continue");
    assert!(st
        .execute("expect p1.received == 2")
        .text
        .starts_with("holds"));
}
