//! The `python3` process behind a program: spawning it with netlab's bootstrap, the pipe
//! protocol (see `netlab_boot.py`), and the wall-clock watchdog that stops a program stuck
//! computing.
//!
//! The watchdog is the one place wall time enters: it decides only *whether* a program that
//! makes no call for `budget` of real time is stopped, never what the simulation does with a
//! program that answers. A stopped program's trace says so.

use std::io::{BufReader, Read, Write};
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

/// The operations, numbered in this order on the pipe: the same list as `_OPS` in
/// `netlab_boot.py` (a test compares them).
pub const OPS: [&str; 27] = [
    "hello",
    "socket",
    "bind",
    "listen",
    "accept",
    "connect",
    "soerror",
    "send",
    "sendall",
    "recv",
    "recvfrom",
    "sendto",
    "shutdown",
    "close",
    "setsockopt",
    "getsockname",
    "getpeername",
    "gethostbyname",
    "gethostbyaddr",
    "sleep",
    "select",
    "out",
    "eout",
    "outp",
    "eoutp",
    "input",
    "exit",
];

/// One message from the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub op: &'static str,
    /// The program line that made it (`12`, `other.py:12`, `0` unknown, or `-` for a silent
    /// call).
    pub at: String,
    pub args: Vec<i64>,
    pub data: Vec<u8>,
}

/// How a call ended, as the program's bootstrap raises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind {
    Ok = 0,
    /// `OSError(errno)`: the first result is the errno.
    Err = 1,
    TimedOut = 2,
    /// `socket.gaierror(code)`.
    Gai = 3,
    /// `socket.herror(code)`.
    Herr = 4,
}

/// An answer: its kind, numbers and data (the simulated time is added as it is sent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub kind: ReplyKind,
    pub res: Vec<i64>,
    pub data: Vec<u8>,
}

impl Reply {
    pub fn ok(res: Vec<i64>, data: Vec<u8>) -> Reply {
        Reply {
            kind: ReplyKind::Ok,
            res,
            data,
        }
    }

    pub fn fail(kind: ReplyKind, code: i64) -> Reply {
        Reply {
            kind,
            res: vec![code],
            data: Vec::new(),
        }
    }
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

    /// Sends one reply in one write: the header, the numbers, the data.
    pub fn reply(&mut self, now_ns: u64, r: &Reply) -> Result<(), ProcError> {
        self.out.clear();
        self.out.push(r.kind as u8);
        self.out.push(0);
        self.out
            .extend_from_slice(&(r.res.len() as u16).to_le_bytes());
        self.out
            .extend_from_slice(&(r.data.len() as u32).to_le_bytes());
        self.out.extend_from_slice(&now_ns.to_le_bytes());
        for v in &r.res {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&r.data);
        self.to
            .write_all(&self.out)
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
        let mut head = [0u8; 12];
        match self.from.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(ProcError::Broken(
                    "the program ended without saying so (killed, or it closed netlab's pipe)"
                        .into(),
                ))
            }
            Err(e) => {
                return Err(ProcError::Broken(format!(
                    "reading the program's pipe: {e}"
                )))
            }
        }
        let (head, n) = parse_head(&head)?;
        let mut small = vec![0; head.nargs * 8 + head.wlen];
        let mut data = vec![0; n];
        self.from
            .read_exact(&mut small)
            .and_then(|_| self.from.read_exact(&mut data))
            .map_err(|e| ProcError::Broken(format!("reading the program's pipe: {e}")))?;
        Ok(head.finish(&small, data))
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

/// A request's fixed header, read: what it is and how many bytes follow.
struct Head {
    op: &'static str,
    nargs: usize,
    wlen: usize,
    line: i32,
}

fn parse_head(h: &[u8; 12]) -> Result<(Head, usize), ProcError> {
    let op = *OPS.get(h[0] as usize).ok_or_else(|| {
        ProcError::Broken(format!(
            "the program wrote something that is not netlab's protocol on its pipe (operation {})",
            h[0]
        ))
    })?;
    let nargs = h[1] as usize;
    let wlen = u16::from_le_bytes([h[2], h[3]]) as usize;
    let line = i32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let n = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
    if n > MAX_PAYLOAD {
        return Err(ProcError::Broken(format!(
            "one message of {n} bytes: more than netlab takes at once ({MAX_PAYLOAD})"
        )));
    }
    let head = Head {
        op,
        nargs,
        wlen,
        line,
    };
    Ok((head, n))
}

impl Head {
    /// The message, from the bytes after the header: the arguments and file name, the data.
    fn finish(self, small: &[u8], data: Vec<u8>) -> Msg {
        let args = small[..self.nargs * 8]
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let file = &small[self.nargs * 8..];
        let at = match self.line {
            -1 => "-".to_string(),
            l if file.is_empty() => l.to_string(),
            l => format!("{}:{l}", String::from_utf8_lossy(file)),
        };
        Msg {
            op: self.op,
            at,
            args,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// netlab and the bootstrap number the operations the same way.
    #[test]
    fn the_bootstrap_lists_the_same_operations() {
        let start = BOOT.find("_OPS = (").expect("the bootstrap's _OPS");
        let end = start + BOOT[start..].find(')').expect("its end");
        let names: Vec<&str> = BOOT[start + 8..end]
            .split(',')
            .map(|w| w.trim().trim_matches('"'))
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(names, OPS);
    }

    #[test]
    fn a_request_is_read_back() {
        // sendto(fd 3, 10.0.0.2, 9000, blocking, flags 0) at other.py:7 with b"hi"
        let mut b = vec![11u8, 5, 8, 0];
        b.extend_from_slice(&7i32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        let head: [u8; 12] = b[..12].try_into().unwrap();
        let mut small = Vec::new();
        for v in [3i64, 0x0a00_0002, 9000, -1, 0] {
            small.extend_from_slice(&v.to_le_bytes());
        }
        small.extend_from_slice(b"other.py");
        let (h, n) = parse_head(&head).unwrap();
        assert_eq!((h.nargs * 8 + h.wlen, n), (small.len(), 2));
        let m = h.finish(&small, b"hi".to_vec());
        assert_eq!(m.op, "sendto");
        assert_eq!(m.at, "other.py:7");
        assert_eq!(m.args, vec![3, 0x0a00_0002, 9000, -1, 0]);
        assert_eq!(m.data, b"hi");
    }

    #[test]
    fn an_unknown_operation_is_a_clear_error() {
        let mut head = [0u8; 12];
        head[0] = 200;
        let Err(ProcError::Broken(m)) = parse_head(&head) else {
            panic!("accepted");
        };
        assert!(m.contains("not netlab's protocol"), "{m}");
    }
}
