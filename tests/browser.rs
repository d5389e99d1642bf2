//! `netlab view` pages in a real browser: headless Chromium (Debian's `chromium`) opens each
//! generated page with `#selftest`, which drives the page as a user would (plays to the end,
//! clicks an envelope, points at a field, filters the list) and writes what it saw into the
//! DOM; `--dump-dom` hands that back here. The checks compare it with netlab itself: the fields
//! with `netlab step`'s `fields #N`, the filtered frames with `FrameFilter`. A screenshot of the
//! handshake lesson is compared loosely with `docs/view-handshake.png`.
//!
//! Without Chromium the tests say so loudly and fail when `CI` is set (`.ci/run` installs it).
//! `NETLAB_CHROMIUM` names another binary; `NETLAB_BLESS=1` rewrites the docs picture.

use netlab::browser::{self as view, ViewOptions};
use netlab::filter::FrameFilter;
use netlab::scenario::Scenario;
use netlab::step::Stepper;
use netlab::trace::TraceEvent;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NETLAB_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        });
        if found.is_some() {
            return found;
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("chromium is required under CI (CI is set) and it is missing");
    }
    eprintln!("!!! chromium not found: the browser tests of netlab view did NOT run !!!");
    None
}

/// Runs Chromium headless with `args` and the page URL; gives stdout and stderr.
fn run_chromium(bin: &Path, args: &[&str], url: &str) -> (String, String) {
    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    // A profile of its own per run: two browsers on one profile wait for each other.
    let dir = std::env::temp_dir().join(format!(
        "netlab-chromium-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes while it runs: a page's DOM is more than a pipe holds.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&dir);
    (out.join().unwrap(), err.join().unwrap())
}

fn write_page(scenario: &str, name: &str) -> (Scenario, PathBuf) {
    let scn = Scenario::load(scenario).expect("scenario loads");
    let data = view::collect(&scn, &ViewOptions::default());
    let page = view::page::html(&scn.name, &data.json);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.html"));
    std::fs::write(&path, page).expect("page written");
    (scn, path)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Opens the page with `#selftest=FRAME…` and returns what the page reported.
fn selftest(bin: &Path, page: &Path, hash: &str) -> serde_json::Value {
    let url = format!("file://{}#selftest={hash}", page.display());
    let (dom, log) = run_chromium(bin, &["--dump-dom"], &url);
    // The page writes nothing to the console: any console line is an error or a warning.
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages on {url}:\n{}",
        console.join("\n")
    );
    let start = dom
        .find("<pre id=\"selftest-result\">")
        .unwrap_or_else(|| panic!("no self-test result in the page {url}; chromium said:\n{log}"));
    let rest = &dom[start + "<pre id=\"selftest-result\">".len()..];
    let json = unescape(&rest[..rest.find("</pre>").expect("end of the result")]);
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("bad self-test JSON ({e}): {json}"))
}

/// The page's fields, printed the way `netlab step`'s `fields` prints them.
fn fields_as_step_prints(r: &serde_json::Value) -> String {
    let rows = r["fields"].as_array().expect("fields shown");
    let mut out = String::new();
    let mut i = 0;
    while i < rows.len() {
        let title = rows[i][0].as_str().unwrap();
        out.push_str(title);
        out.push('\n');
        i += 1;
        let start = i;
        while i < rows.len() && rows[i].as_array().unwrap().len() == 2 {
            i += 1;
        }
        let fields = &rows[start..i];
        let width = fields
            .iter()
            .map(|f| f[0].as_str().unwrap().chars().count())
            .max()
            .unwrap_or(0);
        for f in fields {
            out.push_str(&format!(
                "    {:<width$}  {}\n",
                f[0].as_str().unwrap(),
                f[1].as_str().unwrap()
            ));
        }
    }
    out
}

/// `netlab step`'s `fields #id` at the end of the run, without its first line.
fn step_fields(scn: &Scenario, id: u64) -> String {
    let mut st = Stepper::new(scn.clone(), None);
    st.execute("continue");
    let text = st.execute(&format!("fields #{id}")).text;
    text.split_once('\n').map(|x| x.1.to_string()).unwrap()
}

/// The ids of the frames (every hop) whose bytes, as sent, `words` matches.
fn matching_frames(scn: &Scenario, words: &str) -> Vec<u64> {
    let out = netlab::scenario::run(scn, &Default::default());
    let world = &out.world;
    let f = FrameFilter::parse(words, &|n| netlab::step::endpoint(world, n)).unwrap();
    let mut ids: Vec<u64> = world
        .trace()
        .records()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::FrameTx { id, frame, .. } if f.matches(frame) => Some(id.0),
            TraceEvent::FrameDropped { id, frame, .. } if f.matches(frame) => Some(id.0),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Drives the page of `scenario` (`extra` goes into the address) and checks what every page must
/// do; gives the page's report for the caller's own checks.
fn check_page(
    bin: &Path,
    scenario: &str,
    name: &str,
    frame: u64,
    words: &[&str],
    extra: &str,
) -> serde_json::Value {
    let (scn, page) = write_page(scenario, name);
    let hash = format!(
        "{frame}&words={}{extra}",
        words.join("|").replace(' ', "%20")
    );
    let r = selftest(bin, &page, &hash);
    assert_eq!(r["errors"], serde_json::json!([]), "{scenario}: errors {r}");
    assert_eq!(
        r["reachedEnd"], true,
        "{scenario}: the animation stopped early: {r}"
    );
    assert!(
        r["maxEnvelopes"].as_u64().unwrap() > 0,
        "{scenario}: no envelope ever drawn"
    );
    assert_eq!(
        r["envelopeFound"], true,
        "{scenario}: frame #{frame} not on the picture"
    );
    assert_eq!(
        fields_as_step_prints(&r),
        step_fields(&scn, frame),
        "{scenario}: the page's fields of #{frame} differ from netlab step's"
    );
    // Pointing at a field lights exactly its bytes.
    let span = r["highlightedField"]
        .as_array()
        .expect("a field with bytes");
    let (a, z) = (span[0].as_u64().unwrap(), span[1].as_u64().unwrap());
    let lit: Vec<u64> = r["highlighted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(
        lit,
        (a..z).collect::<Vec<_>>(),
        "{scenario}: highlighted bytes"
    );
    assert!(
        r["layersShown"].as_u64().unwrap() >= 1,
        "{scenario}: no layers view"
    );
    // Filters narrow the list, and the words mean what netlab's filter means.
    let total = r["total"].as_u64().unwrap();
    assert_eq!(total, r["events"].as_u64().unwrap());
    let by_node = &r["byNode"];
    assert!(
        by_node["count"].as_u64().unwrap() < total,
        "{scenario}: node filter"
    );
    assert_eq!(by_node["allThatNode"], true);
    let by_layer = &r["byLayer"];
    assert!(
        by_layer["count"].as_u64().unwrap() < total,
        "{scenario}: layer filter"
    );
    assert_eq!(by_layer["allThatLayer"], true);
    for w in words {
        let shown: Vec<u64> = r["words"][*w]
            .as_array()
            .unwrap_or_else(|| panic!("{scenario}: no result for `{w}`: {r}"))
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(
            shown,
            matching_frames(&scn, w),
            "{scenario}: frames for `{w}`"
        );
    }
    assert!(r["badWord"].as_str().unwrap().contains("bogus"));
    assert_eq!(
        r["checksShown"].as_u64().unwrap() as usize,
        scn.checks.len(),
        "{scenario}: every expectation listed"
    );
    // → twice, ← once: back at the first instant; a typed time is where it goes.
    let steps: Vec<f64> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        0.0 < steps[0] && steps[0] < steps[1] && steps[2] == steps[0],
        "{scenario}: stepping {steps:?}"
    );
    let jumped = r["jumpedTo"].as_f64().unwrap();
    assert!(
        (jumped - 1.03e9).abs() < 1.0,
        "{scenario}: jump to 1.03s went to {jumped} ns"
    );
    // A node's tables, as `--show` prints them, at the current time.
    let titles = r["nodeTab"]["titles"].to_string();
    for t in ["ARP table", "Routing table", "Sockets"] {
        assert!(titles.contains(t), "{scenario}: node tab {titles}");
    }
    assert!(
        r["nodeTab"]["tables"][0]
            .as_str()
            .unwrap()
            .contains("10.0."),
        "{scenario}: the ARP table at 1.03 s is empty: {}",
        r["nodeTab"]
    );
    eprintln!(
        "{scenario}: {} events, {} frames, page ready in {} ms",
        r["events"], r["frames"], r["loadMs"]
    );
    r
}

#[test]
fn pages_work_in_a_real_browser() {
    let Some(bin) = chromium() else { return };
    // The handshake lesson: frame #3 is the SYN. Over each host, its sockets' states as the
    // SYN (arrives 1.030 s), SYN-ACK (1.040 s) and ACK (1.050 s) arrive.
    let r = check_page(
        &bin,
        "scenarios/lessons/three-way-handshake.toml",
        "handshake",
        3,
        &["tcp syn", "arp", "not-ack", "from=client tcp"],
        "&states=0.5s,1.025s,1.035s,1.045s,1.055s",
    );
    assert_eq!(
        r["states"],
        serde_json::json!([
            ["client: ", "server: :8081 LISTEN"],
            ["client: :39690 SYN_SENT", "server: :8081 LISTEN"],
            [
                "client: :39690 SYN_SENT",
                "server: :8081 LISTEN  :8081 SYN_RECEIVED"
            ],
            [
                "client: :39690 ESTABLISHED",
                "server: :8081 LISTEN  :8081 SYN_RECEIVED"
            ],
            [
                "client: :39690 ESTABLISHED",
                "server: :8081 LISTEN  :8081 ESTABLISHED"
            ],
        ]),
        "the sockets' states over the hosts"
    );
    assert_eq!(r["nodeTab"]["stateBars"], 1, "client's socket timeline");
    assert_eq!(r["ladderCols"], serde_json::json!(["client", "server"]));
    assert_eq!(r["tcp"]["connections"].as_array().unwrap().len(), 1);
    assert_eq!(r["tcp"]["directions"].as_array().unwrap().len(), 2);
    assert_eq!(r["tcp"]["drawn"], true);
    // Through a router, with ARP on both sides: frame #5 is the first echo request. The ladder's
    // columns follow the picture: r1 between alice and bob.
    let r = check_page(
        &bin,
        "scenarios/ping-across-router.toml",
        "router",
        5,
        &["icmp", "broadcast", "to=bob", "not-arp not-icmp"],
        "",
    );
    assert_eq!(r["ladderCols"], serde_json::json!(["alice", "r1", "bob"]));
    assert_eq!(r["tcp"], serde_json::Value::Null);
    // Lost segments (they die on the way) and retransmissions.
    let r = check_page(
        &bin,
        "scenarios/tcp/fast-retransmit.toml",
        "fast-retransmit",
        10,
        &["tcp data", "tcp fin", "port=5001 not-data"],
        "",
    );
    assert_eq!(r["tcp"]["drawn"], true);
    let dead = r["dead"]["text"].as_str().unwrap_or_default();
    assert!(
        dead.starts_with('✗'),
        "a lost segment is not drawn dead where it died: {}",
        r["dead"]
    );
}

// ---------------------------------------------------------------- the picture in docs/

/// A PNG's size and RGB pixels (8-bit RGB or RGBA, not interlaced: what Chromium writes).
fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let (mut w, mut h, mut channels) = (0, 0, 0);
    let mut idat = Vec::new();
    let mut i = 8;
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
        let kind = &bytes[i + 4..i + 8];
        let data = &bytes[i + 8..i + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "8-bit");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("PNG colour type {t}"),
                };
                assert_eq!(data[12], 0, "not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        i += 12 + len;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("zlib");
    let stride = w * channels;
    let mut img = vec![0u8; h * stride];
    for y in 0..h {
        let f = raw[y * (stride + 1)];
        let src = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= channels {
                img[y * stride + x - channels] as i32
            } else {
                0
            };
            let b = if y > 0 {
                img[(y - 1) * stride + x] as i32
            } else {
                0
            };
            let c = if x >= channels && y > 0 {
                img[(y - 1) * stride + x - channels] as i32
            } else {
                0
            };
            let pred = match f {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => panic!("PNG filter {f}"),
            };
            img[y * stride + x] = (src[x] as i32 + pred) as u8;
        }
    }
    let px = img
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect::<Vec<_>>();
    (w, h, px)
}

/// Mean brightness of each cell of a `cols` × `rows` grid.
fn grid(w: usize, h: usize, px: &[[u8; 3]], cols: usize, rows: usize) -> Vec<f64> {
    let mut out = vec![0.0; cols * rows];
    let mut n = vec![0.0f64; cols * rows];
    for y in 0..h {
        for x in 0..w {
            let cell = (y * rows / h) * cols + x * cols / w;
            let p = px[y * w + x];
            out[cell] += (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0;
            n[cell] += 1.0;
        }
    }
    out.iter().zip(n).map(|(s, n)| s / n.max(1.0)).collect()
}

#[test]
fn the_handshake_picture_in_docs_still_looks_the_same() {
    let Some(bin) = chromium() else { return };
    let (_, page) = write_page(
        "scenarios/lessons/three-way-handshake.toml",
        "handshake-shot",
    );
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("view-handshake.png");
    let _ = std::fs::remove_file(&shot);
    let url = format!("file://{}#{}", page.display(), DOCS_SHOT_HASH);
    run_chromium(
        &bin,
        &[
            "--window-size=1400,900",
            &format!("--screenshot={}", shot.display()),
        ],
        &url,
    );
    let new = std::fs::read(&shot).expect("chromium wrote a screenshot");
    let docs = Path::new("docs/view-handshake.png");
    if std::env::var_os("NETLAB_BLESS").is_some() || !docs.exists() {
        std::fs::write(docs, &new).unwrap();
        eprintln!("wrote {}", docs.display());
        return;
    }
    let (w1, h1, p1) = decode_png(&new);
    let (w2, h2, p2) = decode_png(&std::fs::read(docs).unwrap());
    assert_eq!((w1, h1), (w2, h2), "the screenshot's size changed");
    // Loosely: fonts and anti-aliasing differ between machines, the layout must not. Each cell
    // of a 28 × 18 grid keeps its mean brightness within 40 (of 255), and on average within 8.
    let (g1, g2) = (grid(w1, h1, &p1, 28, 18), grid(w2, h2, &p2, 28, 18));
    let diffs: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| (a - b).abs()).collect();
    let worst = diffs.iter().cloned().fold(0.0, f64::max);
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    assert!(
        worst < 40.0 && mean < 8.0,
        "the page looks different from docs/view-handshake.png (worst cell {worst:.1}, mean \
         {mean:.1}); look at {} and rerun with NETLAB_BLESS=1 if the change is wanted",
        shot.display()
    );
}

/// The moment the docs picture shows: the SYN-ACK on its way, the SYN's fields open.
const DOCS_SHOT_HASH: &str = "t=1.036s&frame=3";
