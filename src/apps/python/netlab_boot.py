# netlab's bootstrap for one Python program on a simulated host.
#
# netlab runs `python3 -c <loader> <this source>`; this code replaces the modules through which a
# program reaches the network and the clock (`socket`, `_socket`, `select`, `time`'s clocks and
# sleep, stdin/stdout/stderr, `input`) with stand-ins that ask netlab over a private pipe, then
# runs the user's file with runpy. Every request is answered in simulated time; while the program
# computes, netlab waits, so simulated time stands still and only one program runs at a time.
#
# This is a teaching sandbox, not a security boundary: the real `_socket` is not importable by
# name and fork/exec/threads are refused, but a determined program (ctypes, loading the
# extension file by path, os.open on /dev/tcp-like tricks) can still reach the real machine.
#
# Protocol (binary, little-endian, on the two inherited pipes; netlab is the only reader and
# writer). Text framing cost more Python time than the pipe round trip itself: formatting and
# splitting words, str() and int() of every number. Now a call is one struct.pack, one write and
# one read of a fixed-size reply header.
#   request  op u8, nargs u8, wlen u16, line i32, nbytes u32, nargs x i64, wlen bytes (the file
#            of the calling line when it is not the program's own), nbytes of data
#   reply    kind u8, 0 u8, nres u16, nbytes u32, now_ns i64, nres x i64, nbytes of data;
#            kind 0 ok, 1 err (errno), 2 timed out, 3 gaierror (code), 4 herror (code)
# `line` is the caller's line in the program (0 unknown; -1 for a call netlab should neither log
# nor charge, such as the ones repr() makes). One-way messages (a printed line, an input() line,
# the exit) have no reply. Addresses travel as 32-bit numbers, timeouts as nanoseconds (-1
# blocking, -2 non-blocking). The op numbers are `_OPS`' order, the same as netlab's
# `process::OPS` (a netlab test compares the two lists).

import sys, os, io, builtins, json, struct, errno as _errno, time as _time, random as _random
import faulthandler, runpy, traceback, threading, _thread

_real_stderr = sys.stderr
# netlab's watchdog sends SIGABRT to a program stuck computing: faulthandler writes where it
# is, at C level (inside a tight loop too), and the process dies of the signal.
faulthandler.enable(file=_real_stderr, all_threads=False)

_R = os.dup(0)
_W = os.dup(1)
_null = os.open(os.devnull, os.O_RDWR)
os.dup2(_null, 0)
os.dup2(_null, 1)
os.close(_null)
_rf = os.fdopen(_R, "rb", buffering=1 << 16)

_NETLAB = "<netlab>"
_now_ns = 0
_main_file = None


_OPS = ("hello", "socket", "bind", "listen", "accept", "connect", "soerror", "send", "sendall",
        "recv", "recvfrom", "sendto", "shutdown", "close", "setsockopt", "getsockname",
        "getpeername", "gethostbyname", "gethostbyaddr", "sleep", "select", "out", "eout", "outp",
        "eoutp", "input", "exit")
(_HELLO, _SOCKET, _BIND, _LISTEN, _ACCEPT, _CONNECT, _SOERROR, _SEND, _SENDALL, _RECV, _RECVFROM,
 _SENDTO, _SHUTDOWN, _CLOSE, _SETSOCKOPT, _GETSOCKNAME, _GETPEERNAME, _GETHOSTBYNAME,
 _GETHOSTBYADDR, _SLEEP, _SELECT, _OUT, _EOUT, _OUTP, _EOUTP, _INPUT, _EXIT) = range(len(_OPS))
_REQ = [struct.Struct("<BBHiI%dq" % k) for k in range(8)]
_REPLY = struct.Struct("<BxHIq")
_RES = [struct.Struct("<%dq" % k) for k in range(8)]
_read = _rf.read
_os_write = os.write
_getframe = sys._getframe
_REPLY_unpack = _REPLY.unpack
_LINES = {}


def _where():
    # (file, line) of the program's line that called: the file is b"" for the program itself.
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename == _NETLAB:
        f = f.f_back
    if f is None:
        return b"", 0
    fn = f.f_code.co_filename
    if fn == _main_file:
        return b"", f.f_lineno
    return os.path.basename(fn).replace(" ", "_").encode("utf-8", "backslashreplace"), f.f_lineno


def _send(op, wf, line, data, args):
    # One write(2) per message, unbuffered: cheaper than a buffered write and its flush.
    k = len(args)
    m = _REQ[k].pack(op, k, len(wf), line, len(data), *args)
    if wf or data:
        m = b"".join((m, wf, data))
    n = _os_write(_W, m)
    if n != len(m):
        _write_rest(m, n)


def _write_rest(m, n):
    view = memoryview(m)
    while n < len(m):
        n += _os_write(_W, view[n:])


def _call(op, *args, data=b"", quiet=False):
    # A request and its answer. This runs for every call, so it does _send's and _where's work
    # inline: a Python function call costs more than the pipe's write here.
    global _now_ns
    k = len(args)
    if quiet:
        m = _REQ[k].pack(op, k, 0, -1, len(data), *args)
    else:
        # The caller (frame 1) is always the bootstrap's: start at its caller.
        f = _getframe(2)
        while f is not None and f.f_code.co_filename == _NETLAB:
            f = f.f_back
        if f is None:
            m = _REQ[k].pack(op, k, 0, 0, len(data), *args)
        elif f.f_code.co_filename == _main_file:
            # f_lineno decodes the line table up to the instruction each time: remember the
            # line of each (code object, instruction); the code object is kept with its lines,
            # so its id is not reused while the entry lives.
            c = f.f_code
            e = _LINES.get(id(c))
            if e is None or e[0] is not c:
                e = _LINES[id(c)] = (c, {})
            line = e[1].get(f.f_lasti)
            if line is None:
                line = e[1][f.f_lasti] = f.f_lineno
            m = _REQ[k].pack(op, k, 0, line, len(data), *args)
        else:
            wf = os.path.basename(f.f_code.co_filename).replace(" ", "_")
            wf = wf.encode("utf-8", "backslashreplace")
            m = _REQ[k].pack(op, k, len(wf), f.f_lineno, len(data), *args) + wf
    if data:
        m += data
    n = _os_write(_W, m)
    if n != len(m):
        _write_rest(m, n)
    head = _read(16)
    if len(head) != 16:
        os._exit(70)
    kind, nres, n, _now_ns = _REPLY_unpack(head)
    if kind == 0:
        if nres:
            return _RES[nres].unpack(_read(8 * nres)), (_read(n) if n else b"")
        return (), (_read(n) if n else b"")
    res = _RES[nres].unpack(_read(8 * nres))
    if kind == 1:
        raise OSError(res[0], os.strerror(res[0]))
    if kind == 2:
        raise TimeoutError("timed out")
    if kind == 3:
        # glibc's EAI_NONAME (-2), or EAI_AGAIN (-3) when the DNS server did not answer.
        e = res[0]
        raise gaierror(e, "Temporary failure in name resolution" if e == -3 else "Name or service not known")
    if kind == 4:
        # HOST_NOT_FOUND (1), or TRY_AGAIN (2) when the DNS server did not answer.
        e = res[0]
        raise herror(e, "Host name lookup failure" if e == 2 else "Unknown host")
    os._exit(71)


def _oneway(op, data, *args):
    # Sent at once: a program that then computes for ever still shows what it printed.
    wf, line = _where()
    _send(op, wf, line, data, args)


_IPSTR = {}
_IPNUM = {}


def _ipstr(v):
    # 32-bit address -> dotted text (memoised: a pure function; programs talk to few peers).
    s = _IPSTR.get(v)
    if s is None:
        s = _IPSTR[v] = "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)
    return s


def _ipnum(s):
    # Dotted text (already checked) -> 32-bit address.
    v = _IPNUM.get(s)
    if v is None:
        a, b, c, d = s.split(".")
        v = _IPNUM[s] = int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)
    return v


# ---------------------------------------------------------------- configuration

_fields, _conf = _call(_HELLO, quiet=True)
_conf = json.loads(_conf)
_hostname = _conf["hostname"]

# ---------------------------------------------------------------- time

_time.time = lambda: _now_ns / 1e9
_time.time_ns = lambda: _now_ns
_time.monotonic = _time.time
_time.monotonic_ns = _time.time_ns
_time.perf_counter = _time.time
_time.perf_counter_ns = _time.time_ns


def _sleep(secs):
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    _call(_SLEEP, int(secs * 1e9))


_time.sleep = _sleep

# ---------------------------------------------------------------- stdio


class _Out(io.TextIOBase):
    def __init__(self, op, partial, name):
        self._op = op
        self._partial = partial
        self._buf = ""
        self.name = name

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        self._buf += s
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            _oneway(self._op, line.encode("utf-8", "backslashreplace"))
        return len(s)

    def flush(self):
        pass

    def _final(self):
        # The last line, without its newline: "p" marks it partial.
        if self._buf:
            _send(self._partial, b"", -1, self._buf.encode("utf-8", "backslashreplace"), ())
            self._buf = ""


sys.stdout = _Out(_OUT, _OUTP, "<stdout>")
sys.stderr = _Out(_EOUT, _EOUTP, "<stderr>")
sys.stdin = io.TextIOWrapper(io.BytesIO(_conf["stdin"].encode("utf-8")), encoding="utf-8")


def _input(prompt=""):
    if prompt:
        sys.stdout.write(str(prompt))
    line = sys.stdin.readline()
    if not line:
        raise EOFError("EOF when reading a line")
    line = line[:-1] if line.endswith("\n") else line
    _oneway(_INPUT, line.encode("utf-8", "backslashreplace"))
    return line


builtins.input = _input

# ---------------------------------------------------------------- what a program may not do


def _refuse(what):
    def f(*a, **k):
        raise PermissionError(
            "netlab: %s is not available to a program on a simulated host "
            "(one program is one process; only netlab's socket calls reach the network)" % what
        )

    return f


for _n in ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp", "execv",
           "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv",
           "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "kill",
           "killpg"):
    if hasattr(os, _n):
        setattr(os, _n, _refuse("os." + _n))
_thread.start_new_thread = _refuse("starting a thread")
_thread.start_new = _thread.start_new_thread
threading._start_new_thread = _thread.start_new_thread

_BLOCKED = {
    "_socket": "the real _socket module",
    "_posixsubprocess": "starting processes (subprocess)",
    "_ssl": "TLS (ssl)",
    "_multiprocessing": "multiprocessing",
}


class _Block:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in _BLOCKED:
            raise ImportError(
                "netlab: %s is not available to a program on a simulated host; "
                "use the socket module (netlab's)" % _BLOCKED[name],
                name=name,
            )
        return None


for _n in list(_BLOCKED) + ["socket", "select", "selectors", "subprocess", "ssl", "socketserver"]:
    sys.modules.pop(_n, None)
sys.meta_path.insert(0, _Block)

# ---------------------------------------------------------------- the socket module

AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6 = 0, 1, 2, 10
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW = 1, 2, 3
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP = 1, 0, 6, 17
SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF = 2, 3, 4, 6, 7, 8
SO_KEEPALIVE, SO_REUSEPORT, SO_LINGER = 9, 15, 13
TCP_NODELAY = 1
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL = 2, 0x40, 0x100
SOMAXCONN = 4096
INADDR_ANY, INADDR_LOOPBACK, INADDR_BROADCAST = 0, 0x7F000001, 0xFFFFFFFF
AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST = 1, 2, 4
EAI_NONAME = -2
has_ipv6 = False
error = OSError
timeout = TimeoutError
_default_timeout = None


class herror(OSError):
    pass


class gaierror(OSError):
    pass


herror.__module__ = gaierror.__module__ = "socket"

_SERVICES = {
    "echo": 7, "discard": 9, "daytime": 13, "ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23,
    "smtp": 25, "time": 37, "domain": 53, "tftp": 69, "http": 80, "pop3": 110, "ntp": 123,
    "imap2": 143, "snmp": 161, "ldap": 389, "https": 443, "syslog": 514, "mysql": 3306,
    "redis": 6379, "postgresql": 5432, "mongodb": 27017,
}
_UDP_ONLY = {"tftp", "ntp", "snmp", "syslog"}
_TCP_ONLY = {"ftp-data", "ftp", "ssh", "telnet", "smtp", "http", "pop3", "imap2", "https",
             "mysql", "redis", "postgresql", "mongodb"}


def getservbyname(servicename, protocolname=None):
    port = _SERVICES.get(servicename)
    if port is None or (protocolname == "udp" and servicename in _TCP_ONLY) or (
            protocolname == "tcp" and servicename in _UDP_ONLY):
        raise OSError("service/proto not found")
    return port


def getservbyport(port, protocolname=None):
    for name, p in _SERVICES.items():
        if p == port:
            return name
    raise OSError("port/proto not found")


def htons(x):
    if not 0 <= x <= 0xFFFF:
        raise OverflowError("htons: Python int too large to convert to C 16-bit unsigned integer")
    return ((x & 0xFF) << 8) | (x >> 8)


ntohs = htons


def htonl(x):
    if not 0 <= x <= 0xFFFFFFFF:
        raise OverflowError("int larger than 32 bits")
    return int.from_bytes(x.to_bytes(4, "little"), "big")


ntohl = htonl


def _parse_ipv4(s, strict):
    parts = s.split(".")
    if strict and len(parts) != 4:
        return None
    try:
        nums = [int(p, 0) if not strict else int(p) for p in parts]
    except ValueError:
        return None
    if not strict:
        # inet_aton accepts a.b.c.d, a.b.c, a.b and a (the last part fills the rest).
        if not 1 <= len(nums) <= 4 or any(n < 0 for n in nums):
            return None
        last_bits = 8 * (5 - len(nums))
        if any(n > 255 for n in nums[:-1]) or nums[-1] >= 1 << last_bits:
            return None
        v = 0
        for n in nums[:-1]:
            v = v << 8 | n
        v = v << last_bits | nums[-1]
        return v.to_bytes(4, "big")
    if any(n < 0 or n > 255 for n in nums) or any(p != str(int(p)) and p != "0" * len(p) for p in parts):
        return None
    return bytes(nums)


def inet_aton(ip_string):
    if not isinstance(ip_string, str):
        raise TypeError("inet_aton() argument 1 must be str, not %s" % type(ip_string).__name__)
    b = _parse_ipv4(ip_string, False)
    if b is None:
        raise OSError("illegal IP address string passed to inet_aton")
    return b


def inet_ntoa(packed_ip):
    b = bytes(packed_ip)
    if len(b) != 4:
        raise OSError("packed IP wrong length for inet_ntoa")
    return "%d.%d.%d.%d" % tuple(b)


def inet_pton(address_family, ip_string):
    if address_family != AF_INET:
        raise OSError(97, "Address family not supported by protocol")
    b = _parse_ipv4(ip_string, True)
    if b is None:
        raise OSError("illegal IP address string passed to inet_pton")
    return b


def inet_ntop(address_family, packed_ip):
    if address_family != AF_INET:
        raise ValueError("unknown address family %d" % address_family)
    b = bytes(packed_ip)
    if len(b) != 4:
        raise ValueError("invalid length of packed IP address string")
    return inet_ntoa(b)


def gethostname():
    return _hostname


def _is_ipv4(s):
    return _parse_ipv4(s, True) is not None


def gethostbyname(hostname):
    if not isinstance(hostname, str):
        raise TypeError("gethostbyname() argument 1 must be str, not %s" % type(hostname).__name__)
    if hostname == "":
        return "0.0.0.0"
    if hostname == "<broadcast>":
        return "255.255.255.255"
    if _is_ipv4(hostname):
        return hostname
    res, _ = _call(_GETHOSTBYNAME, data=hostname.encode())
    return _ipstr(res[0])


def gethostbyname_ex(hostname):
    return (hostname, [], [gethostbyname(hostname)])


def gethostbyaddr(ip_address):
    ip = gethostbyname(ip_address)
    fields, name = _call(_GETHOSTBYADDR, _ipnum(ip))
    return (name.decode(), [], [ip])


def getfqdn(name=""):
    if not name or name == "0.0.0.0":
        name = _hostname
    try:
        return gethostbyaddr(name)[0]
    except OSError:
        return name


def _addr(address, who):
    if address.__class__ is tuple and len(address) == 2:
        host, port = address
        if host in _IPNUM and port.__class__ is int and 0 <= port <= 65535:
            # A dotted address seen before (only gethostbyname's answers are kept there): it
            # is its own answer, as gethostbyname would say without asking netlab.
            return address
    if not isinstance(address, tuple):
        raise TypeError("%s(): AF_INET address must be tuple, not %s" % (who, type(address).__name__))
    if len(address) != 2:
        raise TypeError("AF_INET address must be a pair (host, port)")
    host, port = address
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("idna")
    if not isinstance(host, str):
        raise TypeError("str, bytes or bytearray expected, not %s" % type(host).__name__)
    if not isinstance(port, int):
        raise TypeError("'%s' object cannot be interpreted as an integer" % type(port).__name__)
    if not 0 <= port <= 65535:
        raise OverflowError("%s(): port must be 0-65535." % who)
    return gethostbyname(host), port


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if isinstance(port, str):
        port = int(port) if port.isdigit() else getservbyname(port)
    if port is None:
        port = 0
    if family not in (AF_UNSPEC, AF_INET):
        raise gaierror(-9, "Address family for hostname not supported")
    if host is None:
        ip = "0.0.0.0" if flags & AI_PASSIVE else "127.0.0.1"
    else:
        ip = gethostbyname(host)
    kinds = [(SOCK_STREAM, IPPROTO_TCP), (SOCK_DGRAM, IPPROTO_UDP), (SOCK_RAW, 0)]
    out = []
    for t, p in kinds:
        if (type and t != type) or (proto and p != proto):
            continue
        out.append((AF_INET, t, p, "", (ip, port)))
    return out


def getdefaulttimeout():
    return _default_timeout


def setdefaulttimeout(t):
    global _default_timeout
    _default_timeout = _check_timeout(t)


def _check_timeout(t):
    if t is None:
        return None
    t = float(t)
    if t < 0:
        raise ValueError("Timeout value out of range")
    return t


def _bytes(data):
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError("a bytes-like object is required, not '%s'" % type(data).__name__) from None


class _SocketIO(io.RawIOBase):
    # The raw file under makefile(): reads are recv_into, writes are send (as socket.py's).
    def __init__(self, sock, mode):
        io.RawIOBase.__init__(self)
        self._sock = sock
        self._mode = mode
        self._reading = "r" in mode
        self._writing = "w" in mode

    def readinto(self, b):
        return self._sock.recv_into(b)

    def write(self, b):
        return self._sock.send(b)

    def readable(self):
        return self._reading

    def writable(self):
        return self._writing

    def fileno(self):
        return self._sock.fileno()

    @property
    def name(self):
        return self._sock.fileno()

    @property
    def mode(self):
        return self._mode

    def close(self):
        if self.closed:
            return
        io.RawIOBase.close(self)
        self._sock._decref_socketios()
        self._sock = None


class socket:
    __module__ = "socket"

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if family == -1:
            family = AF_INET
        if type == -1:
            type = SOCK_STREAM
        if proto == -1:
            proto = 0
        if family != AF_INET:
            raise OSError(97, "Address family not supported by protocol")
        base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
        if base == SOCK_RAW:
            raise PermissionError(1, "Operation not permitted")
        if base not in (SOCK_STREAM, SOCK_DGRAM):
            raise OSError(94, "Socket type not supported")
        self.family = family
        self.type = base
        self.proto = proto
        self._timeout = 0.0 if type & SOCK_NONBLOCK else _default_timeout
        self._io_refs = 0
        self._closed = False
        self._opts = {}
        if fileno is not None:
            self._fd = fileno
        else:
            res, _ = _call(_SOCKET, base)
            self._fd = res[0]

    # -- plumbing
    @property
    def _timeout(self):
        return self._tmo_s

    @_timeout.setter
    def _timeout(self, t):
        # The timeout as netlab takes it, kept ready: ns, -1 blocking, -2 non-blocking.
        self._tmo_s = t
        self._t = -1 if t is None else -2 if t == 0.0 else int(t * 1e9)

    def _tmo(self):
        return self._t

    def _check(self):
        if self._fd < 0:
            raise OSError(_errno.EBADF, "Bad file descriptor")
        return self._fd

    def __repr__(self):
        s = "<socket.socket%s fd=%i, family=%i, type=%i, proto=%i" % (
            " [closed]" if self._closed else "", self.fileno(), self.family, self.type, self.proto)
        if not self._closed and self._fd >= 0:
            try:
                s += ", laddr=%s" % (self._name(_GETSOCKNAME),)
            except OSError:
                pass
            try:
                s += ", raddr=%s" % (self._name(_GETPEERNAME),)
            except OSError:
                pass
        return s + ">"

    def __getstate__(self):
        raise TypeError("cannot pickle %r object" % self.__class__.__name__)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        if not self._closed:
            self.close()

    def _name(self, op, quiet=True):
        res, _ = _call(op, self._check(), quiet=quiet)
        return (_ipstr(res[0]), res[1])

    # -- calls
    def fileno(self):
        return self._fd

    def bind(self, address):
        ip, port = _addr(address, "bind")
        _call(_BIND, self._check(), _ipnum(ip), port)

    def listen(self, backlog=None):
        if backlog is None:
            backlog = min(SOMAXCONN, 128)
        _call(_LISTEN, self._check(), max(0, int(backlog)))

    def _accept(self):
        res, _ = _call(_ACCEPT, self._check(), self._tmo())
        return res[0], (_ipstr(res[1]), res[2])

    def accept(self):
        fd, addr = self._accept()
        sock = socket(self.family, self.type, self.proto, fileno=fd)
        if _default_timeout is None and self.gettimeout():
            sock.setblocking(True)
        return sock, addr

    def connect(self, address):
        ip, port = _addr(address, "connect")
        _call(_CONNECT, self._check(), _ipnum(ip), port, self._tmo())

    def connect_ex(self, address):
        try:
            self.connect(address)
        except TimeoutError:
            return _errno.EAGAIN
        except OSError as e:
            if e.errno is None:
                raise
            return e.errno
        return 0

    # The calls a loop makes often check their descriptor and data inline.
    def send(self, data, flags=0):
        if data.__class__ is not bytes:
            data = _bytes(data)
        fd = self._fd
        if fd < 0:
            self._check()
        res, _ = _call(_SEND, fd, self._t, flags, data=data)
        return res[0]

    def sendall(self, data, flags=0):
        if data.__class__ is not bytes:
            data = _bytes(data)
        fd = self._fd
        if fd < 0:
            self._check()
        _call(_SENDALL, fd, self._t, flags, data=data)

    def sendto(self, data, flags_or_address, address=None):
        if address is None:
            flags, address = 0, flags_or_address
        else:
            flags = flags_or_address
        if data.__class__ is not bytes:
            data = _bytes(data)
        ip, port = _addr(address, "sendto")
        fd = self._fd
        if fd < 0:
            self._check()
        res, _ = _call(_SENDTO, fd, _ipnum(ip), port, self._t, flags, data=data)
        return res[0]

    def recv(self, bufsize, flags=0):
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        fd = self._fd
        if fd < 0:
            self._check()
        return _call(_RECV, fd, bufsize, self._t, flags)[1]

    def recv_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        if nbytes < 0:
            raise ValueError("negative buffersize in recv_into")
        if nbytes == 0 or nbytes > len(view):
            nbytes = len(view)
        data = self.recv(nbytes, flags)
        view[: len(data)] = data
        return len(data)

    def recvfrom(self, bufsize, flags=0):
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        fd = self._fd
        if fd < 0:
            self._check()
        res, data = _call(_RECVFROM, fd, bufsize, self._t, flags)
        return data, (_ipstr(res[0]), res[1])

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        if nbytes == 0 or nbytes > len(view):
            nbytes = len(view)
        data, addr = self.recvfrom(nbytes, flags)
        view[: len(data)] = data
        return len(data), addr

    def shutdown(self, how):
        if how not in (SHUT_RD, SHUT_WR, SHUT_RDWR):
            raise OSError(_errno.EINVAL, "Invalid argument")
        _call(_SHUTDOWN, self._check(), how)

    def _real_close(self):
        fd, self._fd = self._fd, -1
        if fd >= 0:
            _call(_CLOSE, fd)

    def close(self):
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _decref_socketios(self):
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def detach(self):
        self._closed = True
        fd, self._fd = self._fd, -1
        return fd

    def setsockopt(self, level, optname, value, optlen=None):
        fd = self._check()
        if (level, optname) == (SOL_SOCKET, SO_LINGER):
            # A struct linger (l_onoff, l_linger), as struct.pack('ii', 1, 0) makes; an int is
            # too short for it, and Linux answers EINVAL (sock_setsockopt). netlab takes it as
            # one number: l_linger, or -1 when l_onoff is 0.
            if isinstance(value, int) or value is None or len(_bytes(value)) < 8:
                raise OSError(_errno.EINVAL, "Invalid argument")
            raw = _bytes(value)[:8]
            onoff, linger = struct.unpack("ii", raw)
            _call(_SETSOCKOPT, fd, level, optname, max(linger, 0) if onoff else -1)
            self._opts[(level, optname)] = raw
            return
        if not isinstance(value, int):
            value = int.from_bytes(_bytes(value)[:4], sys.byteorder) if value else 0
        _call(_SETSOCKOPT, fd, level, optname, int(value))
        self._opts[(level, optname)] = int(value)

    def getsockopt(self, level, optname, buflen=None):
        fd = self._check()
        if (level, optname) == (SOL_SOCKET, SO_ERROR):
            res, _ = _call(_SOERROR, fd)
            v = res[0]
        elif (level, optname) == (SOL_SOCKET, SO_TYPE):
            v = self.type
        elif (level, optname) == (SOL_SOCKET, SO_RCVBUF):
            # Linux reports twice the size asked for (socket(7)); 131072 by default here.
            v = 2 * self._opts.get((level, optname), 65536)
        elif (level, optname) == (SOL_SOCKET, SO_SNDBUF):
            v = 2 * self._opts.get((level, optname), 65536)
        elif (level, optname) == (SOL_SOCKET, SO_LINGER):
            raw = self._opts.get((level, optname), bytes(8))
            return raw[:buflen] if buflen else int.from_bytes(raw[:4], sys.byteorder)
        else:
            v = self._opts.get((level, optname), 0)
        if buflen:
            return v.to_bytes(4, sys.byteorder)[:buflen]
        return v

    def setblocking(self, flag):
        self._timeout = None if flag else 0.0

    def getblocking(self):
        return self._timeout != 0.0

    def settimeout(self, value):
        self._timeout = _check_timeout(value)

    def gettimeout(self):
        return self._timeout

    def getsockname(self):
        return self._name(_GETSOCKNAME, False)

    def getpeername(self):
        return self._name(_GETPEERNAME, False)

    def dup(self):
        raise OSError(_errno.EOPNOTSUPP, "netlab: dup() is not supported on a simulated host")

    def makefile(self, mode="r", buffering=None, *, encoding=None, errors=None, newline=None):
        # As socket.py's makefile: a raw _SocketIO under a buffer, under a text wrapper.
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError("invalid mode %r (only r, w, b allowed)" % (mode,))
        writing = "w" in mode
        reading = "r" in mode or not writing
        rawmode = ("r" if reading else "") + ("w" if writing else "")
        raw = _SocketIO(self, rawmode)
        self._io_refs += 1
        if buffering is None:
            buffering = -1
        if buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if "b" not in mode:
                raise ValueError("unbuffered streams must be binary")
            return raw
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            buffer = io.BufferedWriter(raw, buffering)
        if "b" in mode:
            return buffer
        text = io.TextIOWrapper(buffer, encoding, errors, newline)
        text.mode = mode
        return text

    @property
    def timeout(self):
        return self._timeout


SocketType = socket


_GLOBAL_DEFAULT_TIMEOUT = object()


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors=False):
    host, port = address
    s = socket(AF_INET, SOCK_STREAM)
    try:
        if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
            s.settimeout(timeout)
        if source_address:
            s.bind(source_address)
        s.connect((host, port))
        return s
    except BaseException:
        s.close()
        raise


def create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
    s = socket(family, SOCK_STREAM)
    try:
        s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        s.bind(address)
        s.listen() if backlog is None else s.listen(backlog)
        return s
    except BaseException:
        s.close()
        raise


def socketpair(*a, **k):
    raise OSError(_errno.EOPNOTSUPP, "netlab: socketpair() is not supported on a simulated host")


def fromfd(*a, **k):
    raise OSError(_errno.EOPNOTSUPP, "netlab: fromfd() is not supported on a simulated host")


# ---------------------------------------------------------------- the select module


def select(rlist, wlist, xlist, timeout=None):
    def fds(lst):
        out = []
        for o in lst:
            fd = o if isinstance(o, int) else o.fileno()
            if not isinstance(fd, int):
                raise TypeError("fileno() returned a non-integer")
            if fd < 0:
                raise ValueError("file descriptor cannot be a negative integer (%d)" % fd)
            out.append((fd, o))
        return out

    r, w, x = fds(rlist), fds(wlist), fds(xlist)
    if timeout is None:
        t = -1
    else:
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
        t = int(timeout * 1e9)
    # The descriptors travel as the data (32-bit each), the three counts as arguments; the
    # answer is the three ready counts, then the ready descriptors.
    every = [fd for fd, _ in r] + [fd for fd, _ in w] + [fd for fd, _ in x]
    data = struct.pack("<%dI" % len(every), *every)
    res, ready = _call(_SELECT, t, len(r), len(w), len(x), data=data)
    got = struct.unpack("<%dI" % (len(ready) // 4), ready)
    rr = set(got[:res[0]])
    ww = set(got[res[0]:res[0] + res[1]])
    xx = set(got[res[0] + res[1]:])
    return [o for fd, o in r if fd in rr], [o for fd, o in w if fd in ww], [o for fd, o in x if fd in xx]


# ---------------------------------------------------------------- build the modules

import types as _types

_socket_mod = _types.ModuleType("socket", "netlab's socket module: calls go to the simulated host.")
for _k, _v in list(globals().items()):
    if (_k.isupper() and not _k.startswith("_")) or _k in (
            "has_ipv6", "error", "timeout", "herror", "gaierror", "getservbyname", "getservbyport",
            "htons", "ntohs", "htonl", "ntohl", "inet_aton", "inet_ntoa", "inet_pton", "inet_ntop",
            "gethostname", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getfqdn",
            "getaddrinfo", "getdefaulttimeout", "setdefaulttimeout", "socket", "SocketType",
            "create_connection", "create_server", "socketpair", "fromfd",
            "_GLOBAL_DEFAULT_TIMEOUT"):
        setattr(_socket_mod, _k, _v)
_socket_mod.SocketIO = _SocketIO
_select_mod = _types.ModuleType("select", "netlab's select module: select() in simulated time.")
class _Builtin:
    # Called like the C function it replaces, and like it not a descriptor: selectors stores
    # `select.select` as a class attribute, which must not turn into a bound method.
    __slots__ = ("_f", "__name__", "__doc__")

    def __init__(self, f):
        self._f = f
        self.__name__ = f.__name__
        self.__doc__ = f.__doc__

    def __call__(self, *args, **kwargs):
        return self._f(*args, **kwargs)


_select_mod.select = _Builtin(select)
_select_mod.error = OSError
sys.modules["socket"] = _socket_mod
sys.modules["select"] = _select_mod

# ---------------------------------------------------------------- run the program

_random.seed(_conf["seed"])
_path = _conf["file"]
_main_file = _path
sys.argv = [_path] + list(_conf.get("argv", []))
sys.path[0] = os.path.dirname(os.path.abspath(_path))


def _finish(code, exc_name, text):
    for s in (sys.stdout, sys.stderr):
        try:
            s._final()
        except Exception:
            pass
    data = text.encode("utf-8", "backslashreplace")
    _send(_EXIT, b"", 0, exc_name.encode() + b"\n" + data, (code,))
    os._exit(0)


def _user_traceback(e):
    te = traceback.TracebackException.from_exception(e)
    keep = [f for f in te.stack if f.filename != _NETLAB and not f.filename.startswith("<frozen runpy")]
    # The standard library's own frames name it `<python>/…`, not this machine's install path.
    stdlib = os.path.dirname(os.__file__) + os.sep
    for f in keep:
        if f.filename.startswith(stdlib):
            f.filename = "<python>/" + f.filename[len(stdlib):]
    te.stack = traceback.StackSummary.from_list(keep)
    return "".join(te.format())


try:
    runpy.run_path(_path, run_name="__main__")
except SystemExit as e:
    c = e.code
    if c is None:
        _finish(0, "-", "")
    elif isinstance(c, int):
        _finish(c, "-" if c == 0 else "SystemExit", "")
    else:
        _finish(1, "SystemExit", str(c) + "\n")
except BaseException as e:
    _finish(1, type(e).__name__, _user_traceback(e))
_finish(0, "-", "")
