//! One request carried out: the call as the log shows it, its arguments read from the message,
//! and the socket, name or time call it stands for, made through `SocketApi`.

use super::*;

impl PythonProgram {
    /// The call as the log shows it: `fd3.recv(1024)`.
    pub(super) fn call_text(&self, m: &Msg) -> String {
        let a = |i: usize| m.args.get(i).copied().unwrap_or(0);
        let ip = |i: usize| Ipv4Addr::from(a(i) as u32);
        let fd = |i: usize| format!("fd{}", a(i));
        let tail = match m.op {
            "socket" => {
                return format!(
                    "socket({})",
                    if a(0) == SOCK_DGRAM {
                        "SOCK_DGRAM"
                    } else {
                        "SOCK_STREAM"
                    }
                )
            }
            "bind" | "connect" => format!("{}(('{}', {}))", m.op, ip(1), a(2)),
            "listen" => format!("listen({})", a(1)),
            "accept" | "close" | "getsockname" | "getpeername" => format!("{}()", m.op),
            "send" | "sendall" => format!("{}({})", m.op, preview(&m.data)),
            "sendto" => format!("sendto({}, ('{}', {}))", preview(&m.data), ip(1), a(2)),
            "recv" | "recvfrom" => format!("{}({})", m.op, a(1)),
            "shutdown" => format!(
                "shutdown({})",
                match a(1) {
                    0 => "SHUT_RD",
                    1 => "SHUT_WR",
                    _ => "SHUT_RDWR",
                }
            ),
            "setsockopt" => format!("setsockopt({}, {}, {})", a(1), a(2), a(3)),
            "soerror" => "getsockopt(SOL_SOCKET, SO_ERROR)".to_string(),
            "sleep" => {
                return format!("time.sleep({})", Duration::from_nanos(a(0).max(0) as u64));
            }
            "select" => {
                let lists = select_lists(m);
                let list = |v: &[u32]| -> String {
                    let v: Vec<String> = v.iter().map(|f| format!("fd{f}")).collect();
                    format!("[{}]", v.join(", "))
                };
                let t = match a(0) {
                    t if t < 0 => "None".to_string(),
                    ns => Duration::from_nanos(ns as u64).to_string(),
                };
                return format!(
                    "select({}, {}, {}, {t})",
                    list(&lists[0]),
                    list(&lists[1]),
                    list(&lists[2])
                );
            }
            "gethostbyname" => {
                return format!("gethostbyname('{}')", String::from_utf8_lossy(&m.data))
            }
            "gethostbyaddr" => return format!("gethostbyaddr('{}')", ip(0)),
            other => format!("{other}()"),
        };
        format!("{}.{tail}", fd(0))
    }

    pub(super) fn sock(&self, m: &Msg, i: usize) -> Result<SocketId, SocketError> {
        m.args
            .get(i)
            .and_then(|&a| u32::try_from(a).ok())
            .filter(|&fd| fd >= 3)
            .map(|fd| SocketId(fd - 3))
            .filter(|s| self.open.contains(s))
            .ok_or(SocketError::BadDescriptor)
    }

    pub(super) fn num(m: &Msg, i: usize) -> Result<u64, SocketError> {
        m.args
            .get(i)
            .and_then(|&a| u64::try_from(a).ok())
            .ok_or(SocketError::InvalidArgument)
    }

    pub(super) fn endpoint(m: &Msg, i: usize) -> Result<SocketAddrV4, SocketError> {
        let ip = m
            .args
            .get(i)
            .and_then(|&a| u32::try_from(a).ok())
            .map(Ipv4Addr::from)
            .ok_or(SocketError::InvalidArgument)?;
        let port = Self::num(m, i + 1)?;
        Ok(SocketAddrV4::new(ip, port as u16))
    }

    pub(super) fn exec(
        &mut self,
        cx: &mut impl AppCx,
        m: &Msg,
        deadline: Option<Instant>,
        nonblocking: bool,
    ) -> Outcome {
        match self.try_exec(cx, m, deadline, nonblocking) {
            Ok(o) => o,
            Err(SocketError::WouldBlock) if !nonblocking => Outcome::Block,
            Err(e) => Outcome::Fail(e),
        }
    }

    pub(super) fn try_exec(
        &mut self,
        cx: &mut impl AppCx,
        m: &Msg,
        deadline: Option<Instant>,
        nonblocking: bool,
    ) -> Result<Outcome, SocketError> {
        let done = |res: Vec<i64>, shown: String| Outcome::Done(res, Vec::new(), shown);
        // What the log shows after `→` is made only when someone reads the log.
        let tr = cx.tracing();
        let show = |f: &dyn Fn() -> String| if tr { f() } else { String::new() };
        Ok(match m.op {
            "socket" => {
                let ty = if m.args.first() == Some(&SOCK_DGRAM) {
                    SockType::Dgram
                } else {
                    SockType::Stream
                };
                let s = cx.socket(ty)?;
                self.open.insert(s);
                done(vec![fd_of(s) as i64], show(&|| format!("fd{}", fd_of(s))))
            }
            "bind" => {
                let s = self.sock(m, 0)?;
                cx.bind(s, Self::endpoint(m, 1)?)?;
                done(Vec::new(), String::new())
            }
            "listen" => {
                let s = self.sock(m, 0)?;
                cx.listen(s, Self::num(m, 1)? as usize)?;
                done(Vec::new(), String::new())
            }
            "accept" => {
                let s = self.sock(m, 0)?;
                let (c, a) = cx.accept(s)?;
                self.open.insert(c);
                done(
                    vec![fd_of(c) as i64, u32::from(*a.ip()) as i64, a.port() as i64],
                    show(&|| format!("fd{}, {}", fd_of(c), addr_text(a))),
                )
            }
            "connect" => {
                let s = self.sock(m, 0)?;
                let first = !self.connecting.contains(&s);
                if first {
                    match cx.connect(s, Self::endpoint(m, 1)?) {
                        // UDP: only the peer is fixed.
                        Ok(()) => return Ok(done(Vec::new(), String::new())),
                        Err(SocketError::InProgress) => {
                            self.connecting.insert(s);
                        }
                        Err(e) => return Err(e),
                    }
                }
                if !cx.connect_done(s) {
                    // A non-blocking connect: EINPROGRESS the first time, EALREADY after.
                    if nonblocking {
                        return Ok(Outcome::Fail(if first {
                            SocketError::InProgress
                        } else {
                            SocketError::Already
                        }));
                    }
                    return Err(SocketError::WouldBlock);
                }
                self.connecting.remove(&s);
                cx.connect_result(s)?;
                done(Vec::new(), String::new())
            }
            "soerror" => {
                let s = self.sock(m, 0)?;
                if self.connecting.contains(&s) && cx.connect_done(s) {
                    self.connecting.remove(&s);
                }
                let e = cx.getsockopt(s, SockOpt::Error)?;
                done(vec![e], show(&|| e.to_string()))
            }
            "send" => {
                let s = self.sock(m, 0)?;
                let nb = nonblocking || Self::num(m, 2)? & MSG_DONTWAIT != 0;
                let n = cx.send(s, &m.data)?;
                if n == 0 && !m.data.is_empty() {
                    if nb {
                        return Ok(Outcome::Fail(SocketError::WouldBlock));
                    }
                    return Err(SocketError::WouldBlock);
                }
                self.stats.bytes_out += n as u64;
                done(vec![n as i64], show(&|| n.to_string()))
            }
            "sendall" => {
                let s = self.sock(m, 0)?;
                while self.sent < m.data.len() {
                    match cx.send(s, &m.data[self.sent..]) {
                        Ok(0) | Err(SocketError::WouldBlock) => {
                            return Err(SocketError::WouldBlock);
                        }
                        Ok(n) => {
                            self.sent += n;
                            self.stats.bytes_out += n as u64;
                        }
                        Err(e) => return Err(e),
                    }
                }
                done(Vec::new(), String::new())
            }
            "recv" => {
                let s = self.sock(m, 0)?;
                let max = Self::num(m, 1)? as usize;
                let flags = Self::num(m, 3)?;
                let data = if flags & MSG_WAITALL != 0 {
                    while self.partial.len() < max {
                        match cx.recv(s, max - self.partial.len()) {
                            Ok(d) if d.is_empty() => break,
                            Ok(d) => self.partial.extend_from_slice(&d),
                            Err(e) => return Err(e),
                        }
                    }
                    std::mem::take(&mut self.partial)
                } else {
                    match cx.recv(s, max) {
                        Err(SocketError::WouldBlock) if flags & MSG_DONTWAIT != 0 => {
                            return Ok(Outcome::Fail(SocketError::WouldBlock))
                        }
                        r => r?,
                    }
                };
                self.stats.bytes_in += data.len() as u64;
                let shown = show(&|| preview(&data));
                Outcome::Done(Vec::new(), data, shown)
            }
            "recvfrom" => {
                let s = self.sock(m, 0)?;
                let max = Self::num(m, 1)? as usize;
                let (data, from) = match cx.recvfrom(s, max) {
                    Err(SocketError::NotSupported) => {
                        // On a TCP socket, recvfrom is recv (the address is the peer's).
                        let d = cx.recv(s, max)?;
                        (d, cx.getpeername(s)?)
                    }
                    r => r?,
                };
                self.stats.bytes_in += data.len() as u64;
                let shown = show(&|| format!("{}, {}", preview(&data), addr_text(from)));
                let res = vec![u32::from(*from.ip()) as i64, from.port() as i64];
                Outcome::Done(res, data, shown)
            }
            "sendto" => {
                let s = self.sock(m, 0)?;
                let to = Self::endpoint(m, 1)?;
                let n = cx.sendto(s, &m.data, to)?;
                self.stats.bytes_out += n as u64;
                done(vec![n as i64], show(&|| n.to_string()))
            }
            "shutdown" => {
                let s = self.sock(m, 0)?;
                let how = match Self::num(m, 1)? {
                    0 => Shutdown::Read,
                    1 => Shutdown::Write,
                    _ => Shutdown::Both,
                };
                cx.shutdown(s, how)?;
                done(Vec::new(), String::new())
            }
            "close" => {
                let s = self.sock(m, 0)?;
                self.open.remove(&s);
                self.connecting.remove(&s);
                cx.close(s)?;
                done(Vec::new(), String::new())
            }
            "setsockopt" => {
                let s = self.sock(m, 0)?;
                let (level, opt) = (Self::num(m, 1)?, Self::num(m, 2)?);
                // Signed: SO_LINGER's `l_onoff = 0` travels as -1.
                let value = *m.args.get(3).ok_or(SocketError::InvalidArgument)?;
                match SockOpt::from_linux(level as i32, opt as i32) {
                    Some(o) => cx.setsockopt(s, o, value)?,
                    // SO_BROADCAST and SO_REUSEPORT: accepted, with no effect here.
                    None if (level, opt) == (1, 6) || (level, opt) == (1, 15) => {}
                    None => return Err(SocketError::NoProtoOpt),
                }
                done(Vec::new(), String::new())
            }
            "getsockname" | "getpeername" => {
                let s = self.sock(m, 0)?;
                let a = if m.op == "getsockname" {
                    cx.getsockname(s)?
                } else {
                    cx.getpeername(s)?
                };
                done(
                    vec![u32::from(*a.ip()) as i64, a.port() as i64],
                    show(&|| addr_text(a)),
                )
            }
            "gethostbyname" => {
                let name = String::from_utf8_lossy(&m.data).into_owned();
                // With a resolver, a real DNS query (nsswitch "files dns" with only localhost
                // in the files); the call waits for the answer in simulated time.
                let asked = (name != "localhost" && name.parse::<Ipv4Addr>().is_err())
                    .then(|| cx.resolve(&Lookup::Name(name.clone())))
                    .flatten();
                if let Some(answer) = asked {
                    return Ok(match answer {
                        None => return Err(SocketError::WouldBlock),
                        Some(Resolved::Addr(ip)) => {
                            done(vec![u32::from(ip) as i64], format!("'{ip}'"))
                        }
                        Some(Resolved::NoAnswer) => Outcome::GaiAgain,
                        Some(_) => Outcome::Gai,
                    });
                }
                match self.config.hosts.lookup(&name) {
                    Some(ip) => done(vec![u32::from(ip) as i64], format!("'{ip}'")),
                    None => Outcome::Gai,
                }
            }
            "gethostbyaddr" => {
                let ip: Option<Ipv4Addr> = m
                    .args
                    .first()
                    .and_then(|&a| u32::try_from(a).ok())
                    .map(Ipv4Addr::from);
                let asked = ip
                    .filter(|ip| !ip.is_loopback())
                    .and_then(|ip| cx.resolve(&Lookup::Addr(ip)));
                if let (Some(answer), Some(ip)) = (asked, ip) {
                    return Ok(match answer {
                        None => return Err(SocketError::WouldBlock),
                        Some(Resolved::Name(n)) => Outcome::Done(
                            Vec::new(),
                            n.as_bytes().to_vec(),
                            format!("('{n}', [], ['{ip}'])"),
                        ),
                        Some(Resolved::NoAnswer) => Outcome::HerrAgain,
                        Some(_) => Outcome::Herr,
                    });
                }
                match ip.and_then(|ip| self.config.hosts.reverse(ip).map(|n| (ip, n))) {
                    Some((ip, n)) => Outcome::Done(
                        Vec::new(),
                        n.as_bytes().to_vec(),
                        format!("('{n}', [], ['{ip}'])"),
                    ),
                    None => Outcome::Herr,
                }
            }
            "sleep" => match deadline {
                Some(d) if d > cx.now() => return Err(SocketError::WouldBlock),
                _ => done(Vec::new(), String::new()),
            },
            "select" => {
                let lists = select_lists(m);
                let mut ready: [Vec<u32>; 3] = Default::default();
                for (k, list) in lists.iter().enumerate().take(2) {
                    for &fd in list {
                        let Some(id) = fd.checked_sub(3).map(SocketId) else {
                            return Err(SocketError::BadDescriptor);
                        };
                        if !self.open.contains(&id) {
                            return Err(SocketError::BadDescriptor);
                        }
                        let r = cx.poll(id);
                        let hit = if k == 0 {
                            r.input || r.error || r.hangup
                        } else {
                            r.output || r.error
                        };
                        if hit {
                            ready[k].push(fd);
                        }
                    }
                }
                let timed_out = deadline.is_some_and(|d| d <= cx.now());
                let zero = m.args.first() == Some(&0);
                if ready.iter().all(Vec::is_empty) && !timed_out && !zero {
                    return Err(SocketError::WouldBlock);
                }
                let shown = show(&|| {
                    ready
                        .iter()
                        .map(|v| {
                            let s: Vec<String> = v.iter().map(|f| format!("fd{f}")).collect();
                            format!("[{}]", s.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                });
                let res = ready.iter().map(|v| v.len() as i64).collect();
                let fds: Vec<u8> = ready
                    .iter()
                    .flatten()
                    .flat_map(|f| f.to_le_bytes())
                    .collect();
                Outcome::Done(res, fds, shown)
            }
            _ => return Err(SocketError::NotSupported),
        })
    }
}
