//! The `python3` process behind a program: spawning it with netlab's bootstrap, the pipe
//! protocol (see `netlab_boot.py`), and the wall-clock watchdog that stops a program stuck
//! computing.
//!
//! The watchdog is the one place wall time enters: it decides only *whether* a program that
//! makes no call for `budget` of real time is stopped, never what the simulation does with a
//! program that answers. A stopped program's trace says so.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// The bootstrap that replaces `socket`, `select`, `time` and stdio, then runs the program.
pub const BOOT: &str = include_str!("netlab_boot.py");

/// Compiles the bootstrap under the file name `<netlab>`, so tracebacks can leave its frames out.
const LOADER: &str =
    "import sys; exec(compile(sys.argv[1], '<netlab>', 'exec'), {'__name__': '__netlab__'})";

/// Largest payload one message may carry (a `sendall` of a whole file is fine; 64 MB).
const MAX_PAYLOAD: usize = 64 << 20;

/// One message from the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub op: String,
    /// The program line that made it (`12`, `other.py:12`, or `-` for a silent call).
    pub at: String,
    pub args: Vec<String>,
    pub data: Vec<u8>,
}

/// Why talking to a program stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcError {
    /// No interpreter: the message says what to install.
    NoPython(String),
    /// The program made no call within the wall-clock budget; where it was, if known.
    Stuck { budget_ms: u64, at: Option<String> },
    /// The pipe closed or carried something that is not the protocol.
    Broken(String),
}

struct Watch {
    /// Milliseconds since `start` when netlab began waiting for the program; 0: not waiting.
    waiting_since: AtomicU64,
    gone: AtomicBool,
    stuck: AtomicBool,
    /// The wall-clock time the current wait may last.
    limit_ms: AtomicU64,
    budget_ms: u64,
    start: std::time::Instant,
    pid: i32,
}

pub struct Proc {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    stderr: Option<ChildStderr>,
    watch: Arc<Watch>,
    out: Vec<u8>,
}

/// The interpreter: `NETLAB_PYTHON`, else `python3` on the PATH.
pub fn interpreter() -> String {
    std::env::var("NETLAB_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

impl Proc {
    /// Starts `python3` in `dir` (the scenario's folder) with the bootstrap.
    pub fn spawn(dir: &std::path::Path, budget_ms: u64) -> Result<Proc, ProcError> {
        let python = interpreter();
        let mut cmd = Command::new(&python);
        cmd.arg("-s")
            .arg("-B")
            .arg("-c")
            .arg(LOADER)
            .arg(BOOT)
            .current_dir(dir)
            // A clean environment: no PYTHONPATH or user site reaches the program, and string
            // hashing (set and dict order of str keys) is the same on every run.
            .env_clear()
            .env("PYTHONHASHSEED", "0")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The interpreter may be a launcher (pyenv's shim) that needs the PATH to find itself.
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ProcError::NoPython(format!(
                    "`{python}` was not found: install Python 3 (Debian/Ubuntu: `apt-get install \
                     python3`) or set NETLAB_PYTHON to an interpreter"
                ))
            } else {
                ProcError::NoPython(format!("cannot start `{python}`: {e}"))
            }
        })?;
        let to = child.stdin.take().expect("piped");
        let from = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        let stderr = child.stderr.take();
        let watch = Arc::new(Watch {
            waiting_since: AtomicU64::new(0),
            gone: AtomicBool::new(false),
            stuck: AtomicBool::new(false),
            limit_ms: AtomicU64::new(budget_ms),
            budget_ms,
            start: std::time::Instant::now(),
            pid: child.id() as i32,
        });
        let w = watch.clone();
        std::thread::spawn(move || watchdog(&w));
        Ok(Proc {
            child,
            to,
            from,
            stderr,
            watch,
            out: Vec::with_capacity(256),
        })
    }

    /// Sends one reply: a header line and its payload.
    pub fn reply(&mut self, head: &str, data: &[u8]) -> Result<(), ProcError> {
        self.out.clear();
        self.out.extend_from_slice(head.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(data);
        self.to
            .write_all(&self.out)
            .and_then(|_| self.to.flush())
            .map_err(|e| ProcError::Broken(format!("the program's pipe closed: {e}")))
    }

    /// Waits for the program's next message (netlab stands still meanwhile).
    pub fn next_msg(&mut self) -> Result<Msg, ProcError> {
        self.next_within(self.watch.budget_ms)
    }

    /// The first message: starting the interpreter is not the program computing, and takes
    /// seconds on a loaded machine, so it gets at least a minute.
    pub fn first_msg(&mut self) -> Result<Msg, ProcError> {
        self.next_within(self.watch.budget_ms.max(60_000))
    }

    fn next_within(&mut self, limit_ms: u64) -> Result<Msg, ProcError> {
        self.watch.limit_ms.store(limit_ms, Ordering::SeqCst);
        let since = self.watch.start.elapsed().as_millis() as u64 + 1;
        self.watch.waiting_since.store(since, Ordering::SeqCst);
        let r = self.read_msg();
        self.watch.waiting_since.store(0, Ordering::SeqCst);
        match r {
            Ok(m) => Ok(m),
            Err(e) if self.watch.stuck.load(Ordering::SeqCst) => {
                let _ = e;
                Err(ProcError::Stuck {
                    budget_ms: self.watch.budget_ms,
                    at: self.stuck_line(),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn read_msg(&mut self) -> Result<Msg, ProcError> {
        let mut head = Vec::with_capacity(64);
        (&mut self.from)
            .take(4096)
            .read_until(b'\n', &mut head)
            .map_err(|e| ProcError::Broken(format!("reading the program's pipe: {e}")))?;
        if head.is_empty() {
            return Err(ProcError::Broken(
                "the program ended without saying so (killed, or it closed netlab's pipe)".into(),
            ));
        }
        if head.last() != Some(&b'\n') {
            return Err(ProcError::Broken(
                "the program wrote something that is not netlab's protocol on its pipe".into(),
            ));
        }
        head.pop();
        let text = std::str::from_utf8(&head)
            .map_err(|_| ProcError::Broken("a message header is not text".into()))?;
        let mut words = text.split(' ');
        let bad = || ProcError::Broken(format!("a malformed message from the program: `{text}`"));
        let op = words.next().filter(|w| !w.is_empty()).ok_or_else(bad)?;
        let at = words.next().ok_or_else(bad)?;
        let n: usize = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
        if n > MAX_PAYLOAD {
            return Err(ProcError::Broken(format!(
                "one message of {n} bytes: more than netlab takes at once ({MAX_PAYLOAD})"
            )));
        }
        let mut data = vec![0; n];
        self.from
            .read_exact(&mut data)
            .map_err(|e| ProcError::Broken(format!("reading the program's pipe: {e}")))?;
        Ok(Msg {
            op: op.to_string(),
            at: at.to_string(),
            args: words.map(str::to_string).collect(),
            data,
        })
    }

    /// After the watchdog stopped the program: its line, from the traceback faulthandler
    /// wrote (`File "x.py", line 3 in <module>`), without the bootstrap's frames.
    fn stuck_line(&mut self) -> Option<String> {
        self.watch.gone.store(true, Ordering::SeqCst);
        let _ = self.child.wait();
        let mut text = String::new();
        self.stderr.take()?.read_to_string(&mut text).ok()?;
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with("File \"") && !l.starts_with("File \"<"))
            .map(|l| l.trim_start_matches("File ").to_string())
    }

    /// Waits for the process to end (after its `exit` message).
    pub fn finish(mut self) {
        self.watch.gone.store(true, Ordering::SeqCst);
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.watch.gone.store(true, Ordering::SeqCst);
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn watchdog(w: &Watch) {
    let tick = std::time::Duration::from_millis(20);
    while !w.gone.load(Ordering::SeqCst) {
        std::thread::sleep(tick);
        let since = w.waiting_since.load(Ordering::SeqCst);
        if since == 0 {
            continue;
        }
        let now = w.start.elapsed().as_millis() as u64 + 1;
        if now.saturating_sub(since) < w.limit_ms.load(Ordering::SeqCst) {
            continue;
        }
        w.stuck.store(true, Ordering::SeqCst);
        // SIGABRT: faulthandler prints where the program is (at C level, inside any loop),
        // then the process dies of the signal; the reader sees its pipe close. SIGKILL if it
        // has not died within 10 s.
        // SAFETY: kill(2) with a pid this process spawned and has not reaped: the reader
        // reaps it only after the pipe closed, and marks `gone` first.
        unsafe {
            libc::kill(w.pid, libc::SIGABRT);
        }
        for _ in 0..500 {
            std::thread::sleep(tick);
            if w.gone.load(Ordering::SeqCst) {
                return;
            }
        }
        unsafe {
            libc::kill(w.pid, libc::SIGKILL);
        }
        return;
    }
}
