//! Real Python programs on simulated hosts (`scenarios/programs/`): they need `python3`, and
//! fail (never skip) without it; `.ci/run` installs it.

mod support;

use netlab::scenario::{self, RunOptions, Scenario};
use netlab::views::text::TextView;
use std::path::PathBuf;

fn programs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/programs")
}

fn program_scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(programs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "the program scenarios are missing");
    v
}

fn trace_text(scn: &Scenario) -> String {
    let outcome = scenario::run(scn, &RunOptions::default());
    let texts = scn.action_texts();
    let view = TextView::new(&outcome.world, &texts);
    let mut s = String::new();
    for r in outcome.world.trace().records() {
        s.push_str(&view.line(r));
        s.push('\n');
    }
    s
}

#[test]
fn python3_is_installed() {
    let python = netlab::apps::python::process::interpreter();
    let ok = std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{python}` is missing: the program scenarios need Python 3 (apt-get install python3)"
    );
}

/// Each program scenario twice: the same trace, byte for byte, although real processes ran
/// (the stuck program is stopped on wall time, but its record is at its simulated time).
#[test]
fn every_program_scenario_gives_the_same_trace_twice() {
    for f in program_scenarios() {
        let scn = Scenario::load(&f.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
        let a = trace_text(&scn);
        let b = trace_text(&scn);
        assert!(a.contains("python3 "), "{} ran no program", f.display());
        assert_eq!(a, b, "{} is not deterministic", f.display());
    }
}

#[test]
fn a_stuck_program_is_stopped_with_its_line() {
    let scn = Scenario::load(&programs_dir().join("hostile.toml").to_string_lossy()).unwrap();
    let text = trace_text(&scn);
    assert!(
        text.contains("hostile/spin.py made no call for 1s of wall-clock time")
            && text.contains("stopped at \"hostile/spin.py\", line 2"),
        "{text}"
    );
    assert!(text.contains("PermissionError: netlab: os.fork is not available"));
    assert!(text.contains("ImportError: netlab: the real _socket module is not available"));
    assert!(text.contains("printed more than 100000 bytes"));
}

/// A missing file is a located scenario error, not a failure at run time.
#[test]
fn a_missing_program_file_is_a_located_error() {
    let text = "[scenario]\ndescription = \"x\"\n[[host]]\nname = \"pc\"\nip = \"10.0.0.1/24\"\n\
                [timeline]\nsteps = '''\n0s pc python nowhere.py\n'''\n";
    let path = programs_dir().join("inline.toml");
    let e = Scenario::parse(&path.to_string_lossy(), text).unwrap_err();
    let shown = format!("{e}");
    assert!(
        shown.contains(":8:") && shown.contains("no program file `nowhere.py`"),
        "{shown}"
    );
}

/// A call must take some simulated time (`cost=0` would let a polling loop freeze the clock).
#[test]
fn a_zero_call_cost_is_refused() {
    let text = "[scenario]\ndescription = \"x\"\n[[host]]\nname = \"pc\"\nip = \"10.0.0.1/24\"\n\
                [timeline]\nsteps = '''\n0s pc python names.py cost=0\n'''\n";
    let path = programs_dir().join("inline.toml");
    let e = Scenario::parse(&path.to_string_lossy(), text).unwrap_err();
    let shown = format!("{e}");
    assert!(
        shown.contains(":8:") && shown.contains("at least 1ns"),
        "{shown}"
    );
}

/// README's ten-line scenario, with the notes' two programs copied into `server.py` and
/// `client.py` next to it, runs and prints the lines README shows.
#[test]
fn the_readme_python_example_runs_as_shown() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Real Python programs").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + section[start..].find("```").unwrap();
    let toml = &section[start..end];
    assert!(
        toml.lines().count() <= 12,
        "the newcomer's scenario stays short"
    );
    let out_start = end + section[end..].find("```\n$ netlab run").unwrap() + 4;
    let out_end = out_start + section[out_start..].find("```").unwrap();
    let shown: Vec<&str> = section[out_start..out_end]
        .lines()
        .skip(1)
        .filter(|l| *l != "…")
        .collect();

    let dir = std::env::temp_dir().join(format!("netlab-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        programs_dir().join("simplest_server.py"),
        dir.join("server.py"),
    )
    .unwrap();
    std::fs::copy(
        programs_dir().join("simplest_client.py"),
        dir.join("client.py"),
    )
    .unwrap();
    let path = dir.join("my-first.toml");
    std::fs::write(&path, toml).unwrap();
    let scn = Scenario::load(&path.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
    let text = trace_text(&scn);
    std::fs::remove_dir_all(&dir).ok();
    for line in shown {
        assert!(
            text.contains(line),
            "README shows a line the run does not print:\n{line}\n\n{text}"
        );
    }
}

/// The stepper stops at a program's calls: `break call recv` lands on the server's recv.
#[test]
fn the_stepper_breaks_on_a_python_call() {
    let path = programs_dir().join("simplest.toml");
    let scn = Scenario::load(&path.to_string_lossy()).unwrap();
    let mut s = netlab::step::Stepper::new(scn, None);
    let out = s.execute("break call recv").text;
    assert!(out.contains("breakpoint 1: call recv"), "{out}");
    let out = s.execute("continue").text;
    assert!(out.contains("breakpoint 1 (call recv) hit"), "{out}");
    assert!(out.contains("fd5.recv(1024)  … blocks"), "{out}");
    let out = s.execute("show sockets pc").text;
    assert!(out.contains("8081"), "{out}");
}

/// `--show sockets@` lists a program's sockets, and the ladder draws its datagrams, as for any
/// other application.
#[test]
fn views_show_a_programs_sockets_and_traffic() {
    let (code, out, err) = support::netlab(&[
        "run",
        "scenarios/programs/udp.toml",
        "--show",
        "sockets@server@1.5s",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("udp        0      0 0.0.0.0:9000          0.0.0.0:*"),
        "{out}"
    );
    let scn = Scenario::load(&programs_dir().join("udp.toml").to_string_lossy()).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    let ladder = netlab::views::ladder::build(
        &outcome.world,
        outcome.world.trace().records(),
        &netlab::views::ladder::LadderOptions::default(),
    )
    .to_text();
    for len in [5, 0, 3] {
        let arrow = format!("IP 10.0.0.1 > 10.0.0.2: UDP 47553 > 9000, length {len}");
        assert!(ladder.contains(&arrow), "{arrow}\n{ladder}");
    }
}

/// A program's "blocked (since T)" is when its call first blocked: a blocked call is tried
/// again whenever its socket may have changed, and each try moved T to it (here from 1.00 s
/// to 2.00 s; the real-linux lesson's server read "blocked since 4.65 s" where its log shows
/// the block at 3.80 s).
#[test]
fn a_blocked_programs_since_is_when_its_call_first_blocked() {
    let dir = std::env::temp_dir().join(format!("netlab-py-since-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("server.py"),
        "import socket\ns = socket.socket()\ns.bind(('0.0.0.0', 7000))\ns.listen()\n\
         c, _ = s.accept()\nc.sendall(b'hello')\nc.recv(1)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("client.py"),
        "import socket, time\nc = socket.socket()\nc.connect(('10.0.0.1', 7000))\ntime.sleep(5)\n",
    )
    .unwrap();
    let text = "[scenario]\ndescription = \"x\"\nstop = \"3s\"\n\
                [[host]]\nname = \"srv\"\nip = \"10.0.0.1/24\"\n\
                [[host]]\nname = \"cli\"\nip = \"10.0.0.2/24\"\n\
                [[link]]\nbetween = [\"srv\", \"cli\"]\n\
                [timeline]\nsteps = '''\n0s srv python server.py as=server\n\
                1s cli python client.py as=client\n'''\n\
                [expect]\nchecks = '''\nend srv/server status == blocked\n'''\n";
    let path = dir.join("since.toml");
    let scn = Scenario::parse(&path.to_string_lossy(), text).unwrap();
    let outcome = scenario::run(&scn, &RunOptions::default());
    let check = &outcome.results[0];
    assert!(check.passed, "{}", check.detail);
    // The log line of the recv that blocks, and the time it gives.
    let texts = scn.action_texts();
    let view = TextView::new(&outcome.world, &texts);
    let blocked_at = outcome
        .world
        .trace()
        .records()
        .iter()
        .map(|r| view.line(r))
        .find(|l| l.contains("recv(1)") && l.contains("blocks"))
        .expect("the recv blocks");
    let t = blocked_at.split_whitespace().next().unwrap();
    let since = format!("since {t}s");
    assert!(
        check.detail.contains(&since),
        "{} / {blocked_at}",
        check.detail
    );
    let _ = std::fs::remove_dir_all(&dir);
}
